/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_delay.c - Squid's delay pools: how fast responses may come from
 * servers (delay_pools, delay_class, delay_parameters, delay_access,
 * delay_initial_bucket_level, delay_pool_uses_indirect_client) and how
 * fast each client address may be sent to (client_delay_pools,
 * client_delay_parameters, client_delay_access,
 * client_delay_initial_bucket_level). Squid's syntax and rules
 * (cf.data.pre, DelayConfig.cc, DelaySpec.cc, ClientDelayConfig.cc),
 * except that what Squid ignores with a message (a pool number out of
 * range, a class or rates for a pool that has none) is an error here: a
 * limit must not silently vanish.
 *
 * Classes 1-3 are implemented. Class 4 (a bucket per authenticated user)
 * and class 5 (a bucket per external acl tag) are refused with the
 * feature they need. The buckets are allocated here, zeroed, with the
 * configuration (class 3: 65,536 host buckets, 1 MiB).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

#define DELAY_POOLS_MAX	256	/* delay_pools and client_delay_pools */

/* Where delay_pools (k 0) or client_delay_pools (k 1) was set. */
static void
mark(struct cfg_parse *p, int k, const struct tok *t)
{
	p->delay.file[k] = t->file;
	p->delay.line[k] = t->line;
}

/* NAME N: the number of pools, once. */
static int
pool_count(struct cfg_parse *p, const struct tok *t, size_t n, int k,
	   size_t *out)
{
	unsigned long v;

	if (p->delay.file[k] != NULL) {
		cfg_err(p, &t[0], "%s: already set at %s:%d", t[0].s,
			p->delay.file[k], p->delay.line[k]);
		return -1;
	}
	if (cfg_int_line(p, t, n, 0, DELAY_POOLS_MAX, "a number of pools, "
			 "0-256", &v) < 0)
		return -1;
	mark(p, k, &t[0]);
	*out = (size_t)v;
	return 0;
}

static void
set_delay_pools(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_delay *d = &p->c->delay;
	size_t i, k;

	if (pool_count(p, t, n, 0, &k) < 0)
		return;
	d->pool = ar_alloc(p->ar, (k ? k : 1) * sizeof(*d->pool));
	for (i = 0; i < k; i++)
		d->pool[i].dp = ar_alloc(p->ar, sizeof(struct delay_pool));
	d->npool = k;
}

static void
set_client_delay_pools(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_delay *d = &p->c->delay;
	size_t i, k;

	if (pool_count(p, t, n, 1, &k) < 0)
		return;
	d->cpool = ar_alloc(p->ar, (k ? k : 1) * sizeof(*d->cpool));
	for (i = 0; i < k; i++) {
		d->cpool[i].cp = ar_alloc(p->ar, sizeof(struct delay_cpool));
		d->cpool[i].cp->spec.restore = -1;
		d->cpool[i].cp->spec.max = -1;
	}
	d->ncpool = k;
}

/*
 * The pool number in t[1] for directive t[0], which needs "count"
 * (delay_pools or client_delay_pools, k 0 or 1) first: its index, or -1
 * after reporting.
 */
static long
pool_index(struct cfg_parse *p, const struct tok *t, size_t n, int k,
	   size_t npool, const char *count)
{
	unsigned long v;

	if (n < 2) {
		cfg_err(p, &t[0], "%s: missing the pool number", t[0].s);
		return -1;
	}
	if (p->delay.file[k] == NULL) {
		cfg_err(p, &t[0], "%s: no '%s' line before this one (it says "
			"how many pools there are)", t[0].s, count);
		return -1;
	}
	if (cfg_number(t[1].s, 1, npool ? npool : 1, &v) < 0 || npool == 0) {
		cfg_err(p, &t[1], "%s: pool '%s' is not in 1..%zu (%s %zu at "
			"%s:%d)", t[0].s, t[1].s, npool, count, npool,
			p->delay.file[k], p->delay.line[k]);
		return -1;
	}
	return (long)v - 1;
}

/* delay_class POOL CLASS */
static void
set_delay_class(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_delay *d = &p->c->delay;
	struct delay_pool *dp;
	unsigned long cls;
	long i;

	i = pool_index(p, t, n, 0, d->npool, "delay_pools");
	if (i < 0 || cfg_nargs(p, t, n, 2, 2) < 0)
		return;
	dp = d->pool[i].dp;
	if (cfg_number(t[2].s, 1, 5, &cls) < 0) {
		cfg_err(p, &t[2], "%s: invalid class '%s' (1, 2 or 3)",
			t[0].s, t[2].s);
		return;
	}
	if (cls == 4) {
		cfg_err(p, &t[2], "%s: class 4 is not supported by tproxyd "
			"(its per-user buckets need proxy authentication): "
			"use class 3", t[0].s);
		return;
	}
	if (cls == 5) {
		cfg_err(p, &t[2], "%s: class 5 is not supported by tproxyd "
			"(its buckets are chosen by the tag external acl "
			"helpers return)", t[0].s);
		return;
	}
	if (dp->cls != 0) {
		cfg_err(p, &t[0], "%s: pool %s has a class already",
			t[0].s, t[1].s);
		return;
	}
	dp->cls = (int)cls;
	/* "none" until delay_parameters says otherwise. */
	dp->agg.restore = dp->net.restore = dp->host.restore = -1;
	dp->agg.max = dp->net.max = dp->host.max = -1;
	if (cls == 2)
		dp->hostb = ar_alloc(p->ar, DELAY_HOSTS2 *
				     sizeof(struct delay_bucket));
	if (cls == 3) {
		dp->netb = ar_alloc(p->ar, DELAY_NETS3 *
				    sizeof(struct delay_bucket));
		dp->hostb = ar_alloc(p->ar, DELAY_HOSTS3 *
				     sizeof(struct delay_bucket));
	}
}

/*
 * One restore/max pair (Squid's DelaySpec): "none", or anything starting
 * with '-' (as "-1/-1"), is no limit; else two decimal numbers of bytes.
 * 0 or -1 after reporting.
 */
static int
parse_spec(struct cfg_parse *p, const struct tok *d, const struct tok *t,
	   struct delay_spec *sp)
{
	unsigned long r;
	char *end;
	const char *slash;
	unsigned long long m;

	if (strcmp(t->s, "none") == 0 || t->s[0] == '-') {
		sp->restore = sp->max = -1;
		return 0;
	}
	slash = strchr(t->s, '/');
	if (slash == NULL || slash == t->s || slash - t->s > 10)
		goto bad;
	{
		char rs[11];

		memcpy(rs, t->s, (size_t)(slash - t->s));
		rs[slash - t->s] = '\0';
		if (cfg_number(rs, 0, INT32_MAX, &r) < 0)
			goto bad;
	}
	if (slash[1] < '0' || slash[1] > '9')
		goto bad;
	m = strtoull(slash + 1, &end, 10);
	if (*end != '\0' || m > (unsigned long long)INT64_MAX / 2)
		goto bad;
	sp->restore = (int64_t)r;
	sp->max = (int64_t)m;
	return 0;
bad:
	cfg_err(p, t, "%s: invalid rate '%s' (restore/max in bytes, e.g. "
		"8000/16000, or 'none')", d->s, t->s);
	return -1;
}

/* delay_parameters POOL aggregate [network] [individual] */
static void
set_delay_parameters(struct cfg_parse *p, const struct tok *t, size_t n)
{
	static const char *const usage[] = {
		NULL, "aggregate", "aggregate individual",
		"aggregate network individual",
	};
	struct cfg_delay *d = &p->c->delay;
	struct delay_spec sp[3];
	struct delay_pool *dp;
	size_t k;
	long i;

	i = pool_index(p, t, n, 0, d->npool, "delay_pools");
	if (i < 0)
		return;
	dp = d->pool[i].dp;
	if (dp->cls == 0) {
		cfg_err(p, &t[1], "%s: pool %s has no class yet (a "
			"delay_class line must come first)", t[0].s, t[1].s);
		return;
	}
	if (n != 2 + (size_t)dp->cls) {
		cfg_err(p, &t[0], "%s: a class %d pool takes %d rate%s: "
			"%s POOL %s", t[0].s, dp->cls, dp->cls,
			dp->cls > 1 ? "s" : "", t[0].s, usage[dp->cls]);
		return;
	}
	for (k = 0; k < (size_t)dp->cls; k++)
		if (parse_spec(p, &t[0], &t[2 + k], &sp[k]) < 0)
			return;
	dp->agg = sp[0];
	if (dp->cls == 2)
		dp->host = sp[1];
	if (dp->cls == 3) {
		dp->net = sp[1];
		dp->host = sp[2];
	}
	d->pool[i].rates_set = 1;
}

static void
set_delay_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_delay *d = &p->c->delay;
	long i;

	i = pool_index(p, t, n, 0, d->npool, "delay_pools");
	if (i >= 0)
		cfg_access_line(p, t, n, 2, t[0].s, &d->pool[i].access);
}

static void
set_delay_initial_bucket_level(struct cfg_parse *p, const struct tok *t,
			       size_t n)
{
	unsigned long v;

	if (cfg_int_line(p, t, n, 0, 100, "a percentage, 0-100", &v) == 0)
		p->c->delay.initial = (unsigned)v;
}

static void
set_delay_pool_uses_indirect_client(struct cfg_parse *p, const struct tok *t,
				    size_t n)
{
	cfg_set_bool(p, t, n, &p->c->delay.uses_indirect);
}

/* client_delay_parameters POOL SPEED_LIMIT MAX_BUCKET_SIZE (bytes per
 * second, bytes; plain numbers, as Squid reads them). */
static void
set_client_delay_parameters(struct cfg_parse *p, const struct tok *t,
			    size_t n)
{
	struct cfg_delay *d = &p->c->delay;
	unsigned long rate;
	unsigned long long m;
	char *end;
	long i;

	i = pool_index(p, t, n, 1, d->ncpool, "client_delay_pools");
	if (i < 0 || cfg_nargs(p, t, n, 3, 3) < 0)
		return;
	if (cfg_number(t[2].s, 0, INT32_MAX, &rate) < 0) {
		cfg_err(p, &t[2], "%s: invalid speed limit '%s' (bytes per "
			"second)", t[0].s, t[2].s);
		return;
	}
	if (t[3].s[0] < '0' || t[3].s[0] > '9' ||
	    (m = strtoull(t[3].s, &end, 10), *end != '\0') ||
	    m > (unsigned long long)INT64_MAX / 2) {
		cfg_err(p, &t[3], "%s: invalid bucket size '%s' (bytes)",
			t[0].s, t[3].s);
		return;
	}
	d->cpool[i].cp->spec.restore = (int64_t)rate;
	d->cpool[i].cp->spec.max = (int64_t)m;
	d->cpool[i].rates_set = 1;
}

static void
set_client_delay_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_delay *d = &p->c->delay;
	long i;

	i = pool_index(p, t, n, 1, d->ncpool, "client_delay_pools");
	if (i >= 0)
		cfg_access_line(p, t, n, 2, t[0].s, &d->cpool[i].access);
}

static void
set_client_delay_initial_bucket_level(struct cfg_parse *p,
				      const struct tok *t, size_t n)
{
	unsigned long v;

	/* Above 100 is allowed: an over-full bucket to start with. */
	if (cfg_int_line(p, t, n, 0, 65535, "a percentage, 0-65535",
			 &v) == 0)
		p->c->delay.cinitial = (unsigned)v;
}

static void
delay_defaults(struct cfg_parse *p)
{
	p->c->delay.initial = 50;
	p->c->delay.cinitial = 50;
	p->c->delay.uses_indirect = 1;
}

/* A token pointing at where delay_pools (k 0) or client_delay_pools (k 1)
 * was set, for the end-of-file checks. */
static struct tok
where(const struct cfg_parse *p, int k)
{
	struct tok w;

	memset(&w, 0, sizeof(w));
	w.s = "";
	w.file = p->delay.file[k];
	w.line = p->delay.line[k];
	return w;
}

/* Every pool has a class and rates; pools without delay_access are never
 * used (a warning, as Squid warns for client pools). The initial levels,
 * known now, go into the pools. */
static void
delay_finish(struct cfg_parse *p)
{
	struct cfg_delay *d = &p->c->delay;
	struct delay_pool *dp;
	struct delay_cpool *cp;
	struct tok w;
	size_t i;

	w = where(p, 0);
	for (i = 0; i < d->npool; i++) {
		dp = d->pool[i].dp;
		if (dp->cls == 0)
			cfg_err(p, &w, "delay_pools: pool %zu has no "
				"delay_class line", i + 1);
		else if (!d->pool[i].rates_set)
			cfg_err(p, &w, "delay_pools: pool %zu has no "
				"delay_parameters line", i + 1);
		else if (d->pool[i].access.n == 0)
			cfg_warn(p, &w, "delay_pools: pool %zu has no "
				 "delay_access line: no request will use it",
				 i + 1);
		dp->initial = d->initial;
	}
	w = where(p, 1);
	for (i = 0; i < d->ncpool; i++) {
		cp = d->cpool[i].cp;
		if (!d->cpool[i].rates_set)
			cfg_err(p, &w, "client_delay_pools: pool %zu has no "
				"client_delay_parameters line", i + 1);
		else if (d->cpool[i].access.n == 0)
			cfg_warn(p, &w, "client_delay_pools: pool %zu has no "
				 "client_delay_access line: no client will "
				 "use it", i + 1);
		cp->initial = d->cinitial;
		if (cp->spec.restore >= 0)
			cp->tab = ar_alloc(p->ar, DELAY_CLIENTS *
					   sizeof(struct delay_client));
	}
}

static const struct cfg_dir dirs[] = {
	{ "delay_pools",			set_delay_pools },
	{ "delay_class",			set_delay_class },
	{ "delay_parameters",			set_delay_parameters },
	{ "delay_access",			set_delay_access },
	{ "delay_initial_bucket_level",	set_delay_initial_bucket_level },
	{ "delay_pool_uses_indirect_client",
	  set_delay_pool_uses_indirect_client },
	{ "client_delay_pools",			set_client_delay_pools },
	{ "client_delay_parameters",		set_client_delay_parameters },
	{ "client_delay_access",		set_client_delay_access },
	{ "client_delay_initial_bucket_level",
	  set_client_delay_initial_bucket_level },
};

const struct cfg_dirtab cfg_dirs_delay = {
	.module		= "delay",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= delay_defaults,
	.finish		= delay_finish,
};
