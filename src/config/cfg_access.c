/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_access.c - acl definitions and the access lists that decide who
 * may use tproxyd: http_access and adapted_http_access (the proxy) and
 * stats_access (/metrics).
 * The acl directive itself is parsed in acl_parse.c; its predefined acls
 * and its end-of-file step (sort, compile) are this module's hooks.
 * Lists that decide how a request is routed are in cfg_route.c.
 */
#include <stddef.h>

#include "config/cfg-int.h"
#include "config/config.h"

static void
set_acl(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_acl_line(p, t, n);
}

static void
set_http_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->http_access);
	cfg_acl_warn_reply(p, t, n, t[0].s);
}

/* adapted_http_access (http_access2): checked after http_access, on the
 * request as adapted. tproxyd adapts no request (no URL rewriting, no
 * ICAP: those directives are refused), so it is the same request. */
static void
set_adapted_http_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->adapted_http_access);
	cfg_acl_warn_reply(p, t, n, t[0].s);
}

static void
set_stats_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->stats_access);
}

static const struct cfg_dir dirs[] = {
	{ "acl",			set_acl },
	{ "http_access",		set_http_access },
	{ "adapted_http_access",	set_adapted_http_access },
	{ "http_access2",		set_adapted_http_access },
	{ "stats_access",		set_stats_access },
};

const struct cfg_dirtab cfg_dirs_access = {
	.module		= "access",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= cfg_acl_builtin,
	.finish		= cfg_acl_finish,
};
