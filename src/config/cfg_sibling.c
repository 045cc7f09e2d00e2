/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_sibling.c - Squid's directives of the sibling protocols, ICP (RFC
 * 2186) and HTCP (RFC 2756): the ports this cache answers on (icp_port,
 * udp_port, htcp_port), who may ask (icp_access, htcp_access,
 * htcp_clr_access), how long a query waits (icp_query_timeout and its
 * bounds), icp_hit_stale and log_icp_queries. Fills the sibling members
 * of struct cfg's member cache (cfg_cache-t.h); src/proxy/sibling_cfg.c
 * reads them. The store's directives are in cfg_cache.c, cache_peer's
 * sibling options in cfg_route.c.
 */
#include <stddef.h>

#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

/* The ICP timeouts, in milliseconds. */
#define ICP_MS_MAX	3600000ul

/* ------------------------------------------------ ports and timeouts */

/* icp_port, udp_port, htcp_port N; 0 is closed. */
static void
set_port(struct cfg_parse *p, const struct tok *t, size_t n, unsigned *out)
{
	unsigned long v;

	if (cfg_int_line(p, t, n, 0, 65535, "a UDP port from 1 to 65535, or 0 "
			 "for none", &v) == 0)
		*out = (unsigned)v;
}

static void
set_icp_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_port(p, t, n, &p->c->cache.icp_port);
}

static void
set_htcp_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_port(p, t, n, &p->c->cache.htcp_port);
}

/* The ICP timeouts: N milliseconds (Squid's unit, no unit word), into
 * seconds. */
static void
set_icp_ms(struct cfg_parse *p, const struct tok *t, size_t n, double *out)
{
	unsigned long v;

	if (cfg_int_line(p, t, n, 0, ICP_MS_MAX, "milliseconds, from 0 to "
			 "3600000", &v) == 0)
		*out = (double)v / 1000;
}

static void
set_icp_query_timeout(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_icp_ms(p, t, n, &p->c->cache.icp_query_timeout);
}

static void
set_icp_timeout_max(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_icp_ms(p, t, n, &p->c->cache.icp_query_timeout_max);
}

static void
set_icp_timeout_min(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_icp_ms(p, t, n, &p->c->cache.icp_query_timeout_min);
}

/* ----------------------------------------------------------- on|off */

static void
set_icp_hit_stale(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->cache.icp_hit_stale);
}

static void
set_log_icp_queries(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->cache.log_icp_queries);
}

/* ------------------------------------------------------ access lists */

static void
set_icp_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->cache.icp_access);
}

static void
set_htcp_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->cache.htcp_access);
}

static void
set_htcp_clr_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->cache.htcp_clr_access);
}

/*
 * udp_port: Squid's other name for icp_port; with the word tproxy it is
 * tproxyd's UDP interception port instead (cfg_udp.c), which Squid does
 * not have: a squid.conf line keeps its meaning.
 */
static void
set_udp_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	size_t i;

	for (i = 2; i < n; i++)
		if (strcmp(t[i].s, "tproxy") == 0) {
			cfg_udp_port_line(p, t, n);
			return;
		}
	set_icp_port(p, t, n);
}

/* ------------------------------------------------------------ hooks */

/* Squid's defaults (cf.data.pre). */
static void
sibling_defaults(struct cfg_parse *p)
{
	struct cfg_cache *cc = &p->c->cache;

	cc->icp_port = 0;
	cc->htcp_port = 0;
	cc->icp_query_timeout = 0;
	cc->icp_query_timeout_max = 2;
	cc->icp_query_timeout_min = 0.005;
	cc->icp_hit_stale = 0;
	cc->log_icp_queries = 1;
}

static const struct cfg_dir dirs[] = {
	{ "icp_port",				set_icp_port },
	{ "udp_port",				set_udp_port },
	{ "htcp_port",				set_htcp_port },
	{ "icp_access",				set_icp_access },
	{ "htcp_access",			set_htcp_access },
	{ "htcp_clr_access",			set_htcp_clr_access },
	{ "icp_query_timeout",			set_icp_query_timeout },
	{ "maximum_icp_query_timeout",		set_icp_timeout_max },
	{ "minimum_icp_query_timeout",		set_icp_timeout_min },
	{ "icp_hit_stale",			set_icp_hit_stale },
	{ "log_icp_queries",			set_log_icp_queries },
};

const struct cfg_dirtab cfg_dirs_sibling = {
	.module		= "sibling",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= sibling_defaults,
};
