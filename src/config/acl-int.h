/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl-int.h - private to the acl parser (acl_parse.c, acl_values.c,
 * acl_finish.c): the type predicates and the value parsers they share.
 */
#ifndef TPROXYD_CONFIG_ACL_INT_H
#define TPROXYD_CONFIG_ACL_INT_H

#include <netinet/in.h>
#include <stddef.h>

#include "acl/acl-t.h"
#include "config/cfg-int.h"

/* Per-line state for adding values: the ACL, the regex -i flag, and what
 * some types carry from one value to the next. */
struct acl_add {
	struct acl       *acl;
	int               icase;
	const char       *hname;	/* req_header / rep_header: the field */
	unsigned          days;		/* time: days not yet given a range */
	struct acl_group *grp;		/* all-of / any-of: this line's */
};

/* acl_parse.c: what a type is. */
const char *cfg_acl_type_name(enum acl_type type);
int cfg_acl_is_regex(enum acl_type type);
int cfg_acl_is_header(enum acl_type type);
int cfg_acl_is_ip(enum acl_type type);
int cfg_acl_valid_name(const char *s);

/* acl_values.c: one value of a line (each reports its own errors). */
int cfg_acl_parse_uint(const char *s, size_t len, unsigned long max,
		       unsigned long *out);
int cfg_acl_mask_bits(const struct in6_addr *m);
int cfg_acl_parse_ip_value(struct cfg_parse *p, const struct acl *acl,
			   const struct tok *t, struct acl_ip *out);
void cfg_acl_push_ip(struct cfg_parse *p, struct acl *acl,
		     const struct tok *t, const struct acl_ip *r);
int cfg_acl_add_ip_name(struct cfg_parse *p, struct acl *acl,
			const struct tok *t);
int cfg_acl_parse_port_value(struct cfg_parse *p, const struct acl *acl,
			     const struct tok *t, struct acl_range *out);
int cfg_acl_parse_num_range(const char *s, unsigned long max,
			    struct acl_range *out);
void cfg_acl_add_time(struct cfg_parse *p, const struct tok *t,
		      struct acl_add *aa);
int cfg_acl_parse_mac(const char *s, unsigned char mac[6]);
const char *cfg_acl_regex_too_costly(const char *re);
/* The TLS acls' values: at_step, ssl_error, squid_error. */
void cfg_acl_add_step(struct cfg_parse *p, const struct tok *t,
		      struct acl *acl);
void cfg_acl_add_ssl_error(struct cfg_parse *p, const struct tok *t,
			   struct acl *acl);
void cfg_acl_add_squid_error(struct cfg_parse *p, const struct tok *t,
			     struct acl *acl);
/* s in inet_ntop() form (arena copy) when it is an IPv6 address,
 * brackets allowed; else NULL. */
char *cfg_acl_canon_ip6(struct cfg_parse *p, const char *s);

#endif
