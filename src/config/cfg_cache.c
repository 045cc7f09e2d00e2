/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_cache.c - Squid's directives of the HTTP cache: the stores and
 * their limits (cache_mem, cache_dir, maximum_object_size, ...),
 * freshness (refresh_pattern, max_stale, ...), and which requests may be
 * stored or answered from the cache (cache, send_hit, store_miss). Fills
 * struct cfg's member cache (cfg_cache-t.h) in bytes and seconds;
 * src/cache/ and src/proxy/ read it. The sibling protocols' directives
 * (icp_*, htcp_*) are in cfg_sibling.c, cache_peer's sibling options in
 * cfg_route.c.
 *
 * Squid's syntax, units and defaults (cf.data.pre): a size without a unit
 * is taken in the directive's default unit with Squid's warning, "none"
 * and -1 mean no limit, a time without a unit is seconds.
 */
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/acl-int.h"
#include "config/cfg-int.h"
#include "config/config.h"

/* Squid cannot have more (StoreEntry::swap_dirn is 7 bits). */
#define CACHE_DIR_MAX	64
/* refresh_pattern MIN and MAX are cropped to one year, as by Squid. */
#define REFRESH_MAX_MIN	(60 * 24 * 365)
/* The longest time value: about 292 years, as Squid's nanoseconds. */
#define TIME_MAX	9.2e9

/* Where a value the finish hook compares was set (file NULL: default). */
static void
mark(struct cfg_parse *p, const struct tok *t, int which)
{
	p->cache.file[which] = t->file;
	p->cache.line[which] = t->line;
}

/* The token of a marked line, for cfg_msg(). */
static struct tok
marked(const struct cfg_parse *p, int which)
{
	struct tok w;

	memset(&w, 0, sizeof(w));
	w.file = p->cache.file[which];
	w.line = p->cache.line[which];
	return w;
}

/* ------------------------------------------------------------ sizes */

/*
 * Bytes per size unit as Squid reads them: a word that starts with
 * "bytes", "KB", "MB" or "GB" in any case ("KBytes" is KB). 0 or -1.
 */
static int
size_unit(const char *u, double *out)
{
	static const struct {
		const char *prefix;
		double      mul;
	} units[] = {
		{ "bytes", 1 }, { "KB", 1024.0 }, { "MB", 1024.0 * 1024 },
		{ "GB", 1024.0 * 1024 * 1024 },
	};
	size_t i;

	if (cfg_size_unit(u, out) == 0)
		return 0;
	for (i = 0; i < CFG_NELEM(units); i++) {
		if (strncasecmp(u, units[i].prefix,
				strlen(units[i].prefix)) == 0) {
			*out = units[i].mul;
			return 0;
		}
	}
	return -1;
}

/* What size_arg() found. */
enum size_kind {
	SZ_ERR = 0,	/* reported */
	SZ_VALUE,	/* *out */
	SZ_NONE,	/* "none" or -1: no limit */
};

/*
 * SIZE [UNIT] at t[*i]: a non-negative decimal, then a unit, else
 * unit_name (unit bytes each) with Squid's warning "no units" (not for
 * 0). *i moves past what was read. acls_follow: a word that is not a unit
 * starts the acls (range_offset_limit); else it is an error.
 */
static enum size_kind
size_arg(struct cfg_parse *p, const struct tok *t, size_t n, size_t *i,
	 const char *unit_name, double unit, int acls_follow, uint64_t *out)
{
	const struct tok *v = &t[*i];
	double d, mul = unit;

	if (strcmp(v->s, "none") == 0 || strcmp(v->s, "-1") == 0) {
		(*i)++;
		return SZ_NONE;
	}
	if (cfg_decimal(v->s, &d) < 0) {
		cfg_err(p, v, "%s: invalid size '%s' (a number and a unit: "
			"bytes, KB, MB or GB)", t[0].s, v->s);
		return SZ_ERR;
	}
	(*i)++;
	if (*i < n && size_unit(t[*i].s, &mul) == 0) {
		(*i)++;
	} else if (*i < n && !acls_follow) {
		cfg_err(p, &t[*i], "%s: unknown size unit '%s' (use bytes, "
			"KB, MB or GB)", t[0].s, t[*i].s);
		return SZ_ERR;
	} else if (d != 0) {
		cfg_warn(p, v, "%s: no units on '%s', assuming %s", t[0].s,
			 v->s, unit_name);
	}
	d *= mul;
	if (d >= 9223372036854775807.0) {
		cfg_err(p, v, "%s: size '%s' is too large", t[0].s, v->s);
		return SZ_ERR;
	}
	*out = (uint64_t)d;
	return SZ_VALUE;
}

/*
 * Squid reads a size and ignores the rest of the line
 * ("maximum_object_size 10 MB minimum_object_size 3 KB" is seen in real
 * files): so does tproxyd, with a warning.
 */
static void
warn_rest(struct cfg_parse *p, const struct tok *t, size_t n, size_t i)
{
	if (i < n)
		cfg_warn(p, &t[i], "%s: '%s%s' after the value is ignored, "
			 "as by Squid (write each directive on a line of its "
			 "own)", t[0].s, t[i].s, i + 1 < n ? " ..." : "");
}

/*
 * NAME SIZE [UNIT] [ignored words], default unit bytes (KB: kb != 0).
 * Returns the kind; *out is set for SZ_VALUE.
 */
static enum size_kind
size_line(struct cfg_parse *p, const struct tok *t, size_t n, int kb,
	  uint64_t *out)
{
	enum size_kind k;
	size_t i = 1;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return SZ_ERR;
	k = size_arg(p, t, n, &i, kb ? "KB" : "bytes", kb ? 1024.0 : 1, 0,
		     out);
	if (k != SZ_ERR)
		warn_rest(p, t, n, i);
	return k;
}

/* cache_mem SIZE: 0: no memory cache; none: no limit. */
static void
set_cache_mem(struct cfg_parse *p, const struct tok *t, size_t n)
{
	uint64_t v;

	switch (size_line(p, t, n, 0, &v)) {
	case SZ_VALUE:
		p->c->cache.mem_bytes = v;
		break;
	case SZ_NONE:
		p->c->cache.mem_bytes = UINT64_MAX;
		break;
	default:
		break;
	}
}

static void
set_max_obj(struct cfg_parse *p, const struct tok *t, size_t n)
{
	uint64_t v;

	switch (size_line(p, t, n, 0, &v)) {
	case SZ_VALUE:
		p->c->cache.max_obj = v;
		mark(p, t, CFGC_MAX_OBJ);
		break;
	case SZ_NONE:
		p->c->cache.max_obj = UINT64_MAX;
		mark(p, t, CFGC_MAX_OBJ);
		break;
	default:
		break;
	}
}

/* minimum_object_size: none (-1) is no minimum, as 0. */
static void
set_min_obj(struct cfg_parse *p, const struct tok *t, size_t n)
{
	uint64_t v;

	switch (size_line(p, t, n, 0, &v)) {
	case SZ_VALUE:
		p->c->cache.min_obj = v;
		mark(p, t, CFGC_MIN_OBJ);
		break;
	case SZ_NONE:
		p->c->cache.min_obj = 0;
		mark(p, t, CFGC_MIN_OBJ);
		break;
	default:
		break;
	}
}

static void
set_max_obj_mem(struct cfg_parse *p, const struct tok *t, size_t n)
{
	uint64_t v;

	switch (size_line(p, t, n, 0, &v)) {
	case SZ_VALUE:
		p->c->cache.max_obj_mem = v;
		break;
	case SZ_NONE:
		p->c->cache.max_obj_mem = UINT64_MAX;
		break;
	default:
		break;
	}
}

/* quick_abort_min|max SIZE, default unit KB; -1: none. */
static void
set_quick_abort(struct cfg_parse *p, const struct tok *t, size_t n,
		int64_t *out)
{
	uint64_t v;

	switch (size_line(p, t, n, 1, &v)) {
	case SZ_VALUE:
		*out = (int64_t)v;
		break;
	case SZ_NONE:
		*out = -1;
		break;
	default:
		break;
	}
}

static void
set_quick_abort_min(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_quick_abort(p, t, n, &p->c->cache.quick_abort_min);
}

static void
set_quick_abort_max(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_quick_abort(p, t, n, &p->c->cache.quick_abort_max);
}

/* range_offset_limit SIZE|none|-1 [UNIT] [[!]acl...] */
static void
set_range_offset_limit(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_cache *cc = &p->c->cache;
	struct cfg_range_limit rl;
	struct acl_ref ref;
	enum size_kind k;
	uint64_t v = 0;
	size_t i = 1;
	int bad = 0;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	memset(&rl, 0, sizeof(rl));
	k = size_arg(p, t, n, &i, "bytes", 1, 1, &v);
	if (k == SZ_ERR)
		return;
	rl.limit = k == SZ_NONE ? -1 : (int64_t)v;
	for (; i < n; i++) {
		if (cfg_acl_ref(p, t[0].s, &t[i], &ref) < 0) {
			bad = 1;
			continue;
		}
		*AR_PUSH(p->ar, rl.ref, rl.nref) = ref;
	}
	if (!bad)
		*AR_PUSH(p->ar, cc->range_limit, cc->nrange_limit) = rl;
}

/* ------------------------------------------------- numbers and times */

static void
set_swap_low(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (cfg_int_line(p, t, n, 0, 100, "a percentage from 0 to 100", &v) < 0)
		return;
	p->c->cache.swap_low = (int)v;
	mark(p, t, CFGC_SWAP_LOW);
}

static void
set_swap_high(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (cfg_int_line(p, t, n, 0, 100, "a percentage from 0 to 100", &v) < 0)
		return;
	p->c->cache.swap_high = (int)v;
	mark(p, t, CFGC_SWAP_HIGH);
}

static void
set_quick_abort_pct(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (cfg_int_line(p, t, n, 0, 100, "a percentage from 0 to 100",
			 &v) == 0)
		p->c->cache.quick_abort_pct = (int)v;
}

/* Seconds per time unit, as Squid reads them: a word that starts with
 * the unit's name, in any case ("minutes", "Hours"). */
static int
time_unit(const char *u, double *out)
{
	static const struct {
		const char *name;
		double      sec;
	} units[] = {
		{ "nanosecond", 1e-9 }, { "microsecond", 1e-6 },
		{ "millisecond", 1e-3 }, { "msec", 1e-3 }, { "second", 1 },
		{ "minute", 60 }, { "hour", 3600 }, { "day", 86400 },
		{ "week", 604800 }, { "fortnight", 1209600 },
		{ "month", 2592000 }, { "year", 31557600 },
		{ "decade", 315576000 },
	};
	size_t i;

	for (i = 0; i < CFG_NELEM(units); i++) {
		if (strncasecmp(u, units[i].name,
				strlen(units[i].name)) == 0) {
			*out = units[i].sec;
			return 0;
		}
	}
	return -1;
}

/*
 * NAME N [UNIT] in whole seconds: a bare number is seconds with Squid's
 * warning (not for 0, which needs no unit).
 */
static void
set_seconds(struct cfg_parse *p, const struct tok *t, size_t n,
	    int64_t *out)
{
	double v, mul = 1;

	if (cfg_nargs(p, t, n, 1, 2) < 0)
		return;
	if (cfg_decimal(t[1].s, &v) < 0) {
		cfg_err(p, &t[1], "%s: invalid time '%s' (a number and a "
			"unit: seconds, minutes, hours, days, weeks...)",
			t[0].s, t[1].s);
		return;
	}
	if (n == 3 && time_unit(t[2].s, &mul) < 0) {
		cfg_err(p, &t[2], "%s: unknown time unit '%s' (use seconds, "
			"minutes, hours, days, weeks, months or years)",
			t[0].s, t[2].s);
		return;
	}
	if (n == 2 && v != 0)
		cfg_warn(p, &t[1], "%s: no units on '%s', assuming seconds",
			 t[0].s, t[1].s);
	v *= mul;
	if (v > TIME_MAX) {
		cfg_err(p, &t[1], "%s: time '%s%s%s' is too long (at most "
			"292 years)", t[0].s, t[1].s, n == 3 ? " " : "",
			n == 3 ? t[2].s : "");
		return;
	}
	*out = (int64_t)v;	/* v >= 0: whole seconds */
}

static void
set_max_stale(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_seconds(p, t, n, &p->c->cache.max_stale);
}

static void
set_negative_ttl(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_seconds(p, t, n, &p->c->cache.negative_ttl);
}

static void
set_minimum_expiry_time(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_seconds(p, t, n, &p->c->cache.minimum_expiry_time);
}

/* ----------------------------------------------------------- on|off */

static void
set_reload_into_ims(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->cache.reload_into_ims);
}

static void
set_refresh_all_ims(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->cache.refresh_all_ims);
}

static void
set_cache_miss_revalidate(struct cfg_parse *p, const struct tok *t,
			  size_t n)
{
	cfg_set_bool(p, t, n, &p->c->cache.cache_miss_revalidate);
}

static void
set_offline_mode(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->cache.offline_mode);
}

static void
set_collapsed_forwarding(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->cache.collapsed_forwarding);
}

/* ------------------------------------------------------ access lists */

/* cache (no_cache): decided before there is a response. */
static void
set_cache(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->cache.cache);
	cfg_acl_warn_reply(p, t, n, t[0].s);
}

static void
set_send_hit(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->cache.send_hit);
}

static void
set_store_miss(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->cache.store_miss);
}

/* ---------------------------------------------- replacement policies */

/* lru | heap [LRU|GDSF|LFUDA] */
static void
set_repl(struct cfg_parse *p, const struct tok *t, size_t n,
	 enum cfg_repl *out)
{
	enum cfg_repl r = CFG_REPL_LRU;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (strcmp(t[1].s, "lru") == 0) {
		if (n > 2)
			cfg_warn(p, &t[2], "%s: lru takes no argument; '%s' "
				 "ignored", t[0].s, t[2].s);
		*out = r;
		return;
	}
	if (strcmp(t[1].s, "heap") != 0) {
		cfg_err(p, &t[1], "%s: unknown policy '%s' (lru, heap LRU, "
			"heap GDSF or heap LFUDA)", t[0].s, t[1].s);
		return;
	}
	if (n == 2 || strcmp(t[2].s, "LRU") == 0)
		r = CFG_REPL_LRU;
	else if (strcmp(t[2].s, "GDSF") == 0)
		r = CFG_REPL_GDSF;
	else if (strcmp(t[2].s, "LFUDA") == 0)
		r = CFG_REPL_LFUDA;
	else
		cfg_warn(p, &t[2], "%s: unknown heap key '%s' (LRU, GDSF or "
			 "LFUDA); using LRU, as Squid does", t[0].s, t[2].s);
	if (n > 3)
		cfg_warn(p, &t[3], "%s: '%s' after the heap key is ignored, "
			 "as by Squid", t[0].s, t[3].s);
	*out = r;
}

static void
set_cache_repl(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_repl(p, t, n, &p->c->cache.repl_disk);
}

static void
set_mem_repl(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_repl(p, t, n, &p->c->cache.repl_mem);
}

/* -------------------------------------------------------- cache_dir */

/* Length of path without its trailing slashes (at least 1): "/a/" and
 * "/a" name one directory. */
static size_t
path_len(const char *path)
{
	size_t l = strlen(path);

	while (l > 1 && path[l - 1] == '/')
		l--;
	return l;
}

/* min-size=N, max-size=N: bytes, digits only (Squid reads the digits
 * and drops the rest, so "1MB" would be 1 byte there). */
static int
dir_bytes(struct cfg_parse *p, const struct tok *t, const char *v,
	  uint64_t *out)
{
	unsigned long long x;
	char *end;

	if (*v < '0' || *v > '9' || strlen(v) > 19) {
		cfg_err(p, t, "cache_dir: invalid size in '%s' (a number of "
			"bytes, without a unit)", t->s);
		return -1;
	}
	x = strtoull(v, &end, 10);
	if (*end != '\0') {
		cfg_err(p, t, "cache_dir: invalid size in '%s' (a number of "
			"bytes, without a unit)", t->s);
		return -1;
	}
	*out = x;
	return 0;
}

/* Options of the ufs family or rock that tproxyd's one disk store has no
 * use for: tuning of Squid's own I/O. */
static const char *const dir_tuning[] = {
	"IOEngine=", "Q1=", "Q2=", "slot-size=", "swap-timeout=",
	"max-swap-rate=",
};

/* The options of one cache_dir line from t[i] on; 0 or -1. */
static int
dir_options(struct cfg_parse *p, const struct tok *t, size_t n, size_t i,
	    struct cfg_cache_dir *d)
{
	const char *s, *eq;
	unsigned long v = 0;
	size_t k;
	int bad = 0;

	for (; i < n; i++) {
		s = t[i].s;
		eq = strchr(s, '=');
		if (strncmp(s, "min-size=", 9) == 0) {
			bad |= dir_bytes(p, &t[i], s + 9, &d->min_size);
		} else if (strncmp(s, "max-size=", 9) == 0) {
			bad |= dir_bytes(p, &t[i], s + 9, &d->max_size);
		} else if (strcmp(s, "read-only") == 0 ||
			   strcmp(s, "no-store") == 0) {
			d->read_only = 1;
		} else if (strncmp(s, "read-only=", 10) == 0 ||
			   strncmp(s, "no-store=", 9) == 0) {
			if (cfg_number(eq + 1, 0, 4294967295ul, &v) < 0) {
				cfg_err(p, &t[i], "cache_dir: invalid '%s' "
					"(0 or 1)", s);
				bad = -1;
			}
			d->read_only = v != 0;
		} else {
			for (k = 0; k < CFG_NELEM(dir_tuning); k++)
				if (strncmp(s, dir_tuning[k],
					    strlen(dir_tuning[k])) == 0)
					break;
			if (k < CFG_NELEM(dir_tuning))
				cfg_warn(p, &t[i], "cache_dir: option '%s' "
					 "ignored (tuning of Squid's own "
					 "disk I/O; every cache_dir is the "
					 "same tproxyd disk store here)", s);
			else {
				cfg_err(p, &t[i], "cache_dir: unknown option "
					"'%s' (min-size=, max-size=, no-store "
					"or read-only)", s);
				bad = -1;
			}
		}
	}
	if (!bad && d->max_size != 0 && d->min_size > d->max_size) {
		cfg_err(p, &t[1], "cache_dir: min-size=%llu is larger than "
			"max-size=%llu", (unsigned long long)d->min_size,
			(unsigned long long)d->max_size);
		bad = -1;
	}
	return bad ? -1 : 0;
}

/*
 * cache_dir ufs|aufs|diskd PATH MBYTES L1 L2 [OPTIONS], or cache_dir rock
 * PATH MBYTES [OPTIONS]. Every type is one tproxyd disk store (a file
 * per object under PATH). Another type is ignored with a warning, as
 * Squid ignores a type it was built without.
 */
static void
set_cache_dir(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_cache *cc = &p->c->cache;
	struct cfg_cache_dir d;
	unsigned long mb, l1 = 16, l2 = 256;
	size_t i, pl;
	int rock;

	if (cfg_nargs(p, t, n, 2, -1) < 0)
		return;
	rock = strcmp(t[1].s, "rock") == 0;
	if (!rock && strcmp(t[1].s, "ufs") != 0 &&
	    strcmp(t[1].s, "aufs") != 0 && strcmp(t[1].s, "diskd") != 0) {
		cfg_warn(p, &t[1], "cache_dir: type '%s' is not supported "
			 "(ufs, aufs, diskd or rock); line ignored, as Squid "
			 "ignores a type it was built without", t[1].s);
		return;
	}
	if (cfg_nargs(p, t, n, rock ? 3 : 5, -1) < 0)
		return;
	memset(&d, 0, sizeof(d));
	if (t[2].s[0] != '/') {
		cfg_err(p, &t[2], "cache_dir: path '%s' is not absolute",
			t[2].s);
		return;
	}
	pl = path_len(t[2].s);
	for (i = 0; i < cc->ndir; i++) {
		if (path_len(cc->dir[i].path) == pl &&
		    strncmp(cc->dir[i].path, t[2].s, pl) == 0) {
			cfg_err(p, &t[2], "cache_dir: '%s' is already a "
				"cache_dir at %s:%d", t[2].s, cc->dir[i].file,
				cc->dir[i].line);
			return;
		}
	}
	if (cc->ndir >= CACHE_DIR_MAX) {
		cfg_err(p, &t[0], "cache_dir: more than %d cache_dir lines",
			CACHE_DIR_MAX);
		return;
	}
	if (cfg_number(t[3].s, 1, 16777216, &mb) < 0) {
		cfg_err(p, &t[3], "cache_dir: invalid size '%s' (megabytes, "
			"from 1 to 16777216)", t[3].s);
		return;
	}
	for (i = 4; !rock && i < 6; i++) {
		if (cfg_number(t[i].s, 1, 65535, i == 4 ? &l1 : &l2) < 0) {
			cfg_err(p, &t[i], "cache_dir: invalid %s directory "
				"count '%s' (from 1 to 65535)",
				i == 4 ? "first-level" : "second-level",
				t[i].s);
			return;
		}
	}
	if (dir_options(p, t, n, rock ? 4 : 6, &d) < 0)
		return;
	d.type = ar_strdup(p->ar, t[1].s);
	d.path = ar_strdup(p->ar, t[2].s);
	d.max_bytes = (uint64_t)mb << 20;
	d.l1 = (unsigned)l1;
	d.l2 = (unsigned)l2;
	d.file = t[0].file;
	d.line = t[0].line;
	*AR_PUSH(p->ar, cc->dir, cc->ndir) = d;
}

/* -------------------------------------------------- refresh_pattern */

/* MIN or MAX minutes at t: an integer (Squid's cropping of negative and
 * too large values, with its warnings) into seconds. 0 or -1. */
static int
refresh_minutes(struct cfg_parse *p, const struct tok *t, const char *what,
		int64_t *out)
{
	const char *s = t->s;
	unsigned long v;
	int neg = s[0] == '-';

	if (cfg_number(s + neg, 0, 4294967295ul, &v) < 0) {
		cfg_err(p, t, "refresh_pattern: invalid %s age '%s' (whole "
			"minutes)", what, s);
		return -1;
	}
	if (neg) {
		cfg_warn(p, t, "refresh_pattern: %s age '%s' is negative; "
			 "0 is used, as by Squid", what, s);
		v = 0;
	} else if (v > REFRESH_MAX_MIN) {
		cfg_warn(p, t, "refresh_pattern: %s age '%s' minutes is "
			 "more than a year; one year (525600) is used, as "
			 "by Squid", what, s);
		v = REFRESH_MAX_MIN;
	}
	*out = (int64_t)v * 60;
	return 0;
}

/* refresh_pattern options that are flags. */
static const struct {
	const char *name;
	unsigned    bit;
} refresh_flags[] = {
	{ "override-expire",	CFG_RF_OVERRIDE_EXPIRE },
	{ "override-lastmod",	CFG_RF_OVERRIDE_LASTMOD },
	{ "reload-into-ims",	CFG_RF_RELOAD_INTO_IMS },
	{ "ignore-reload",	CFG_RF_IGNORE_RELOAD },
	{ "ignore-no-store",	CFG_RF_IGNORE_NO_STORE },
	{ "ignore-private",	CFG_RF_IGNORE_PRIVATE },
	{ "refresh-ims",	CFG_RF_REFRESH_IMS },
	{ "store-stale",	CFG_RF_STORE_STALE },
};

/* One option at t into r; 0 or -1 after reporting. */
static int
refresh_option(struct cfg_parse *p, const struct tok *t,
	       struct cfg_refresh *r)
{
	const char *s = t->s;
	unsigned long v;
	size_t k;

	for (k = 0; k < CFG_NELEM(refresh_flags); k++) {
		if (strcmp(s, refresh_flags[k].name) == 0) {
			r->opts |= refresh_flags[k].bit;
			return 0;
		}
	}
	if (strncmp(s, "max-stale=", 10) == 0) {
		if (cfg_number(s + 10, 0, 4294967295ul, &v) < 0) {
			cfg_err(p, t, "refresh_pattern: invalid '%s' "
				"(max-stale=SECONDS)", s);
			return -1;
		}
		r->max_stale = (int64_t)v;
		return 0;
	}
	if (strcmp(s, "ignore-no-cache") == 0 ||
	    strcmp(s, "ignore-must-revalidate") == 0 ||
	    strcmp(s, "ignore-auth") == 0) {
		cfg_warn(p, t, "refresh_pattern: option '%s' is obsolete; "
			 "ignored, as by Squid (remove it)", s);
		return 0;
	}
	if (strncmp(s, "negative-ttl=", 13) == 0) {
		cfg_warn(p, t, "refresh_pattern: option '%s' is Squid 2's; "
			 "ignored, as by Squid 3 and later (use the "
			 "negative_ttl directive)", s);
		return 0;
	}
	cfg_err(p, t, "refresh_pattern: unknown option '%s'", s);
	return -1;
}

/* PERCENT at t: a number, '%' optional, no upper limit (as Squid);
 * 0 or -1 after reporting. */
static int
refresh_percent(struct cfg_parse *p, const struct tok *t, int *out)
{
	size_t l = strlen(t->s);
	char num[32];
	double d;

	if (l > 0 && t->s[l - 1] == '%')
		l--;
	if (l == 0 || l >= sizeof(num)) {
		d = -1;
	} else {
		memcpy(num, t->s, l);
		num[l] = '\0';
		if (cfg_decimal(num, &d) < 0 || d > 1000000)
			d = -1;
	}
	if (d < 0) {
		cfg_err(p, t, "refresh_pattern: invalid percentage '%s'",
			t->s);
		return -1;
	}
	*out = (int)d;
	return 0;
}

/* refresh_pattern [-i|+i] REGEX MIN PERCENT MAX [OPTIONS] */
static void
set_refresh_pattern(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_cache *cc = &p->c->cache;
	struct cfg_refresh r;
	char ebuf[256];
	const char *why;
	size_t i = 1, k;
	int flags = REG_EXTENDED | REG_NOSUB, rc, bad = 0;

	if (cfg_nargs(p, t, n, 4, -1) < 0)
		return;
	if (strcmp(t[1].s, "-i") == 0 || strcmp(t[1].s, "+i") == 0) {
		if (t[1].s[0] == '-')
			flags |= REG_ICASE;
		i = 2;
		if (cfg_nargs(p, t, n, 5, -1) < 0)
			return;
	}
	memset(&r, 0, sizeof(r));
	r.max_stale = -1;
	if (refresh_minutes(p, &t[i + 1], "minimum", &r.min) < 0)
		bad = 1;
	if (refresh_percent(p, &t[i + 2], &r.percent) < 0)
		bad = 1;
	if (refresh_minutes(p, &t[i + 3], "maximum", &r.max) < 0)
		bad = 1;
	for (k = i + 4; k < n; k++)
		if (refresh_option(p, &t[k], &r) < 0)
			bad = 1;
	/* A pattern that would take gigabytes in regcomp() (the acls'
	 * rule, found by fuzz_config) is refused before compiling. */
	if ((why = cfg_acl_regex_too_costly(t[i].s)) != NULL) {
		cfg_err(p, &t[i], "refresh_pattern: regular expression '%s' "
			"is too costly to compile: %s", t[i].s, why);
		return;
	}
	rc = regcomp(&r.re, t[i].s, flags);
	if (rc != 0) {
		regerror(rc, &r.re, ebuf, sizeof(ebuf));
		cfg_err(p, &t[i], "refresh_pattern: invalid regular "
			"expression '%s': %s", t[i].s, ebuf);
		return;
	}
	if (bad) {
		regfree(&r.re);
		return;
	}
	r.pattern = ar_strdup(p->ar, t[i].s);
	r.file = t[0].file;
	r.line = t[0].line;
	/* The regex is handed to the arena in the finish hook, when the
	 * array no longer moves. */
	*AR_PUSH(p->ar, cc->refresh, cc->nrefresh) = r;
}

/* ------------------------------------------------------------ hooks */

/* Squid's defaults (cf.data.pre). */
static void
cache_defaults(struct cfg_parse *p)
{
	struct cfg_cache *cc = &p->c->cache;

	cc->mem_bytes = 256u << 20;
	cc->max_obj = 4u << 20;
	cc->min_obj = 0;
	cc->max_obj_mem = 512u << 10;
	cc->repl_disk = CFG_REPL_LRU;
	cc->repl_mem = CFG_REPL_LRU;
	cc->swap_low = 90;
	cc->swap_high = 95;
	cc->max_stale = 7 * 86400;
	cc->negative_ttl = 0;
	cc->minimum_expiry_time = 60;
	cc->reload_into_ims = 0;
	cc->refresh_all_ims = 0;
	cc->cache_miss_revalidate = 1;
	cc->offline_mode = 0;
	cc->collapsed_forwarding = 0;
	cc->quick_abort_min = 16 << 10;
	cc->quick_abort_max = 16 << 10;
	cc->quick_abort_pct = 95;
}

/* The later of two marked lines (the one that made them disagree). */
static int
later(const struct cfg_parse *p, int a, int b)
{
	if (p->cache.file[b] == NULL)
		return a;
	if (p->cache.file[a] == NULL)
		return b;
	return p->cache.line[b] > p->cache.line[a] ? b : a;
}

static void
cache_finish(struct cfg_parse *p)
{
	struct cfg_cache *cc = &p->c->cache;
	struct tok w;
	size_t i;

	for (i = 0; i < cc->nrefresh; i++)
		ar_regex(p->ar, &cc->refresh[i].re, 1);
	if (cc->swap_low > cc->swap_high) {
		w = marked(p, later(p, CFGC_SWAP_LOW, CFGC_SWAP_HIGH));
		cfg_err(p, &w, "cache_swap_low %d is above cache_swap_high "
			"%d", cc->swap_low, cc->swap_high);
	}
	if (cc->min_obj > cc->max_obj) {
		w = marked(p, later(p, CFGC_MIN_OBJ, CFGC_MAX_OBJ));
		cfg_err(p, &w, "minimum_object_size (%llu bytes) is larger "
			"than maximum_object_size (%llu bytes): nothing "
			"could be cached", (unsigned long long)cc->min_obj,
			(unsigned long long)cc->max_obj);
	}
}

static const struct cfg_dir dirs[] = {
	{ "cache_mem",				set_cache_mem },
	{ "maximum_object_size",		set_max_obj },
	{ "minimum_object_size",		set_min_obj },
	{ "maximum_object_size_in_memory",	set_max_obj_mem },
	{ "cache_replacement_policy",		set_cache_repl },
	{ "memory_replacement_policy",		set_mem_repl },
	{ "cache_swap_low",			set_swap_low },
	{ "cache_swap_high",			set_swap_high },
	{ "cache_dir",				set_cache_dir },
	{ "refresh_pattern",			set_refresh_pattern },
	{ "max_stale",				set_max_stale },
	{ "negative_ttl",			set_negative_ttl },
	{ "minimum_expiry_time",		set_minimum_expiry_time },
	{ "reload_into_ims",			set_reload_into_ims },
	{ "refresh_all_ims",			set_refresh_all_ims },
	{ "cache_miss_revalidate",		set_cache_miss_revalidate },
	{ "offline_mode",			set_offline_mode },
	{ "cache",				set_cache },
	{ "no_cache",				set_cache },
	{ "send_hit",				set_send_hit },
	{ "store_miss",				set_store_miss },
	{ "collapsed_forwarding",		set_collapsed_forwarding },
	{ "range_offset_limit",			set_range_offset_limit },
	{ "quick_abort_min",			set_quick_abort_min },
	{ "quick_abort_max",			set_quick_abort_max },
	{ "quick_abort_pct",			set_quick_abort_pct },
};

const struct cfg_dirtab cfg_dirs_cache = {
	.module		= "cache",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= cache_defaults,
	.finish		= cache_finish,
};
