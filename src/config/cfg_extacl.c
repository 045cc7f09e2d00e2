/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_extacl.c - external_acl_type (cfg_extacl-t.h), with the options and
 * defaults of Squid 7's cf.data.pre and parse_externalAclHelper():
 *
 *   external_acl_type NAME [ttl=N] [negative_ttl=N] [grace=N] [cache=N]
 *       [children-max=N] [children-startup=N] [children-idle=N]
 *       [concurrency=N] [queue-size=N] [protocol=2.5] [ipv4|ipv6]
 *       %FORMAT... PROGRAM [ARG...]
 *
 * The acls that use a type ("acl NAME external TYPE [ARG...]") are read
 * by acl_parse.c with cfg_ext_find().
 */
#include <stdlib.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"
#include "config/ext_fmt.h"
#include "helper/ext_cache.h"
#include "stats/stats-t.h"

const struct cfg_extacl_ops *cfg_extacl_ops;

struct ext_def *
cfg_ext_find(const struct cfg *c, const char *name)
{
	struct ext_def *d;

	for (d = c->extacl.defs; d != NULL; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static void
release_def(void *arg)
{
	struct ext_def *d = arg;

	if (cfg_extacl_ops != NULL)
		cfg_extacl_ops->def_free(d);
	ext_cache_clear(&d->cache);
}

/* NAME=N with N from lo to hi into *v; 1 it was NAME=, 0 not, -1 bad. */
static int
num_opt(struct cfg_parse *p, const struct tok *t, const char *name,
	unsigned long lo, unsigned long hi, unsigned long *v)
{
	size_t k = strlen(name);

	if (strncmp(t->s, name, k) != 0 || t->s[k] != '=')
		return 0;
	if (cfg_number(t->s + k + 1, lo, hi, v) < 0) {
		cfg_err(p, t, "external_acl_type: %s= must be a number from "
			"%lu to %lu, not '%s'", name, lo, hi, t->s + k + 1);
		return -1;
	}
	return 1;
}

static void
set_type(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct ext_def *d, **tail;
	struct hlp_opts *o;
	unsigned long v, ttl = 3600, nttl = 0, grace = 0, cache = 262144;
	int nttl_set = 0, r, data = 0;
	char spec[512], err[256];
	size_t i, k;

	if (cfg_nargs(p, t, n, 3, -1) < 0)
		return;
	if (cfg_ext_find(p->c, t[1].s) != NULL) {
		cfg_err(p, &t[1], "external_acl_type: '%s' is defined "
			"twice", t[1].s);
		return;
	}
	d = ar_alloc(p->ar, sizeof(*d));
	d->name = ar_strdup(p->ar, t[1].s);
	d->file = t[0].file;
	d->line = t[0].line;
	o = &d->opts;
	o->name = "external_acl_type";
	o->kind = STATS_HLP_EXT_ACL;
	o->max = 5;
	o->idle = 1;
	o->file = t[0].file;
	o->line = t[0].line;
	for (i = 2; i < n && t[i].s[0] != '%'; i++) {
		if ((r = num_opt(p, &t[i], "ttl", 0, 1u << 30, &v)) != 0) {
			if (r > 0)
				ttl = v;
		} else if ((r = num_opt(p, &t[i], "negative_ttl", 0, 1u << 30,
					&v)) != 0) {
			if (r > 0) {
				nttl = v;
				nttl_set = 1;
			}
		} else if ((r = num_opt(p, &t[i], "grace", 0, 100, &v)) != 0) {
			if (r > 0)
				grace = v;
		} else if ((r = num_opt(p, &t[i], "cache", 0, 1u << 30,
					&v)) != 0) {
			if (r > 0)
				cache = v;
		} else if ((r = num_opt(p, &t[i], "children-max", 1, 10000,
					&v)) != 0) {
			if (r > 0)
				o->max = (unsigned)v;
		} else if ((r = num_opt(p, &t[i], "children", 1, 10000,
					&v)) != 0) {
			if (r > 0)
				o->max = (unsigned)v;
			cfg_warn(p, &t[i], "external_acl_type: children=N is "
				 "deprecated; use children-max=N");
		} else if ((r = num_opt(p, &t[i], "children-startup", 0,
					10000, &v)) != 0) {
			if (r > 0)
				o->startup = (unsigned)v;
		} else if ((r = num_opt(p, &t[i], "children-idle", 0, 10000,
					&v)) != 0) {
			if (r > 0)
				o->idle = (unsigned)v;
		} else if ((r = num_opt(p, &t[i], "concurrency", 0, 100000,
					&v)) != 0) {
			if (r > 0)
				o->concurrency = (unsigned)v;
		} else if ((r = num_opt(p, &t[i], "queue-size", 0, 100000,
					&v)) != 0) {
			if (r > 0) {
				o->queue_size = (unsigned)v;
				o->queue_size_set = 1;
			}
		} else if (strcmp(t[i].s, "protocol=2.5") == 0 ||
			   strcmp(t[i].s, "quote=shell") == 0) {
			d->shell_quote = 1;
		} else if (strcmp(t[i].s, "protocol=3.0") == 0 ||
			   strcmp(t[i].s, "quote=url") == 0) {
			d->shell_quote = 0;
		} else if (strcmp(t[i].s, "ipv4") == 0 ||
			   strcmp(t[i].s, "ipv6") == 0) {
			/* How Squid talks to its helpers (TCP on localhost);
			 * tproxyd uses pipes. */
		} else {
			/* Squid: the first word that is no option starts
			 * the FORMAT; it must be a %code. */
			break;
		}
	}
	if (o->startup > o->max)
		o->startup = o->max;
	if (o->idle > o->max)
		o->idle = o->max;
	if (o->idle < 1)
		o->idle = 1;
	if (!o->queue_size_set)
		o->queue_size = 2 * o->max;
	/* An overloaded helper: the acl gets no answer (Squid). */
	o->overload_err = 1;
	ext_cache_init(&d->cache, cache, (int)ttl,
		       (int)(nttl_set ? nttl : ttl), (int)grace);
	/* The FORMAT: the %codes up to the program. */
	for (k = i; i < n && t[i].s[0] == '%'; i++) {
		struct ext_word *w;

		if (ext_fmt_translate(t[i].s, spec, sizeof(spec)) < 0) {
			cfg_err(p, &t[i], "external_acl_type %s: format code "
				"'%s' is too long", d->name, t[i].s);
			continue;
		}
		w = AR_PUSH(p->ar, d->fmt, d->nfmt);
		if (ext_fmt_compile(ar_strdup(p->ar, spec), w, d->shell_quote,
				    err, sizeof(err)) < 0) {
			cfg_err(p, &t[i], "external_acl_type %s: %s", d->name,
				err);
			d->nfmt--;
			continue;
		}
		if (w->kind == EXT_W_DATA)
			data = 1;
	}
	(void)data;
	if (i == k) {
		cfg_err(p, i < n ? &t[i] : &t[n - 1], "external_acl_type %s: "
			"the FORMAT (at least one %%code, e.g. %%SRC) must "
			"come before the program%s%s", d->name,
			i < n ? ", not " : "", i < n ? t[i].s : "");
		return;
	}
	if (i == n) {
		cfg_err(p, &t[n - 1], "external_acl_type %s: missing the "
			"helper program after the FORMAT", d->name);
		return;
	}
	o->argv = ar_alloc(p->ar, (n - i + 1) * sizeof(char *));
	for (k = i; k < n; k++)
		o->argv[k - i] = ar_strdup(p->ar, t[k].s);
	o->argv[n - i] = NULL;
	ar_release(p->ar, release_def, d);
	for (tail = &p->c->extacl.defs; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = d;
}

static const struct cfg_dir dirs[] = {
	{ "external_acl_type",	set_type },
};

const struct cfg_dirtab cfg_dirs_extacl = {
	.module = "extacl",
	.dir = dirs,
	.ndir = CFG_NELEM(dirs),
};
