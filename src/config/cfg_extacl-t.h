/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_extacl-t.h - external acls (Squid's external_acl_type and "acl NAME
 * external TYPE [ARG...]"), part of struct cfg: a type's settings and
 * FORMAT (cfg_extacl.c, ext_fmt.c), its running pool, lookups and answer
 * cache (helper/ext_cache-t.h), and one acl's use of it (acl_parse.c).
 * Applied by src/proxy/extacl.c.
 *
 * A request reaching such an acl is described by the type's FORMAT (one
 * value per %code, URL-escaped, "-" when empty; the acl's arguments are
 * appended, escaped, as %DATA); that line goes to the helper, which
 * answers OK (match), ERR (no match) or BH (broken: the access check ends
 * as not allowed, as in Squid). Answers are cached under the line.
 */
#ifndef TPROXYD_CONFIG_CFG_EXTACL_T_H
#define TPROXYD_CONFIG_CFG_EXTACL_T_H

#include <stddef.h>

#include "config/logfmt-t.h"
#include "helper/ext_cache-t.h"
#include "helper/helper-t.h"

/* What one word of a FORMAT expands to. */
enum ext_word_kind {
	EXT_W_CODE,		/* a logformat code (tok) */
	EXT_W_ACL,		/* %ACL: the acl's name */
	EXT_W_DATA,		/* %DATA: the acl's arguments */
};

struct ext_word {
	enum ext_word_kind kind;
	struct lf_tok      tok;		/* EXT_W_CODE */
};

struct ext_lookup;

/* One external_acl_type line. */
struct ext_def {
	const char        *name;
	struct hlp_opts    opts;	/* children-*, concurrency, queue-size,
					   the program */
	int                shell_quote;	/* protocol=2.5: values quoted
					   shell-style instead of
					   URL-escaped */
	struct ext_word   *fmt;
	size_t             nfmt;
	struct ext_cache   cache;	/* cache=, ttl=, negative_ttl=,
					   grace= */
	/* Running state, made in the serving process (src/proxy/extacl.c):
	 * the pool of children and the lookups waiting for them. */
	struct hlp_pool   *pool;
	struct ext_lookup *pending;
	struct ext_def    *next;
	const char        *file;	/* where it was defined */
	int                line;
};

/* One "acl NAME external TYPE [ARG...]": the type and the arguments. */
struct acl_ext {
	struct ext_def  *def;
	char           **arg;
	size_t           narg;
};

struct cfg_extacls {
	struct ext_def *defs;	/* in file order */
};

/* What frees a type's running state (its pool, its lookups): the daemon
 * sets it; tproxyctl has none. */
struct cfg_extacl_ops {
	void (*def_free)(struct ext_def *d);
};

extern const struct cfg_extacl_ops *cfg_extacl_ops;

#endif
