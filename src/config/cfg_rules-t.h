/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_rules-t.h - types of the request and reply rules (cfg_rules.c):
 * http_reply_access, body size limits, deny_info, the header rules,
 * follow_x_forwarded_for and client_ip_max_connections; struct cfg's
 * member rules. Read by src/proxy/ (rules.c, phase.c, srv_h1.c, req.c,
 * cli_h1.c).
 */
#ifndef TPROXYD_CONFIG_CFG_RULES_T_H
#define TPROXYD_CONFIG_CFG_RULES_T_H

#include <stddef.h>
#include <stdint.h>

#include "acl/acl-t.h"

/* reply_body_max_size SIZE [acl...]: the first line whose acls all match
 * gives the limit; UINT64_MAX for "none". */
struct cfg_size_rule {
	uint64_t        max;
	size_t          nref;
	struct acl_ref *ref;
};

/* What a deny_info line makes of a denial. */
enum deny_kind {
	DENY_PAGE,		/* an error page named page, with status */
	DENY_REDIRECT,		/* a redirect to url (%-codes expanded) */
	DENY_RESET,		/* TCP_RESET: reset the client connection */
};

/* deny_info ACTION acl...: one entry per acl name. */
struct cfg_deny_info {
	enum deny_kind  kind;
	int             status;	/* 0: the default (403, or 302/307) */
	char           *page;	/* DENY_PAGE: "ERR_..." */
	char           *url;	/* DENY_REDIRECT */
	char           *acl;	/* the acl name it is for */
};

/* Which fields a header_access rule set is for. */
enum hdr_rule_kind {
	HDR_RULE_NAME,		/* the field named name */
	HDR_RULE_OTHER,		/* "Other": fields Squid does not know */
	HDR_RULE_ALL,		/* "All" */
};

/* All NAME_header_access lines for one name, in file order. */
struct cfg_hdr_access {
	char               *name;
	enum hdr_rule_kind  kind;
	struct access_list  list;
};

/* NAME_header_replace NAME VALUE: the value a denied field gets. */
struct cfg_hdr_replace {
	char *name;
	char *value;
};

/* NAME_header_add NAME VALUE [acl...]. */
struct cfg_hdr_add {
	char           *name;
	char           *value;	/* %-codes (a quoted value) expanded per
				   message when codes is set */
	int             codes;
	size_t          nref;
	struct acl_ref *ref;
};

/* The header rules of one direction. */
struct cfg_hdr_rules {
	struct cfg_hdr_access  *access;
	size_t                  naccess;
	struct cfg_hdr_replace *replace;
	size_t                  nreplace;
	struct cfg_hdr_add     *add;
	size_t                  nadd;
};

struct cfg_rules {
	struct access_list    reply_access;	/* http_reply_access */
	struct cfg_size_rule *reply_body;	/* reply_body_max_size */
	size_t                nreply_body;
	uint64_t              request_body_max;	/* 0: no limit */
	struct cfg_deny_info *deny_info;
	size_t                ndeny_info;
	struct cfg_hdr_rules  req_hdr;		/* request_header_* */
	struct cfg_hdr_rules  rep_hdr;		/* reply_header_* */
	struct access_list    follow_xff;	/* empty: "deny all" */
	int                   acl_indirect;	/* acl_uses_indirect_client */
	int                   log_indirect;	/* log_uses_indirect_client */
	long                  client_ip_max;	/* -1: no limit */
};

#endif
