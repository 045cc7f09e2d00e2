/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_helper.c - the helper programs' directives (cfg_helper-t.h):
 * url_rewrite_program, url_rewrite_children, url_rewrite_access,
 * url_rewrite_bypass, url_rewrite_extras, url_rewrite_timeout,
 * url_rewrite_host_header, store_id_program, store_id_children,
 * store_id_access, store_id_bypass, store_id_extras, with Squid's old
 * names (redirect_*, storeurl_rewrite_*). Syntax and defaults of Squid
 * 7's cf.data.pre.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg-int.h"
#include "config/config.h"
#include "config/logfmt.h"
#include "stats/stats-t.h"

const struct cfg_helper_ops *cfg_helper_ops;

#define DEFAULT_EXTRAS	"%>a/%>A %un %>rm myip=%la myport=%lp"

/* The helper a directive is about: url_rewrite or store_id. */
static struct cfg_helper *
which(struct cfg_parse *p, const struct tok *t)
{
	if (strncmp(t[0].s, "store", 5) == 0)
		return &p->c->helpers.store_id;
	return &p->c->helpers.rewrite;
}

static void
release_pool(void *arg)
{
	struct cfg_helper *h = arg;

	if (h->pool != NULL && cfg_helper_ops != NULL)
		cfg_helper_ops->pool_free(h->pool);
	h->pool = NULL;
}

/* url_rewrite_program PROGRAM [ARG...]: the words as the lexer gives
 * them (quotes removed), as Squid splits its wordlist. */
static void
set_program(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_helper *h = which(p, t);
	size_t i;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (h->opts.argv != NULL)
		cfg_warn(p, &t[0], "%s: given again; the last line is used",
			 t[0].s);
	else
		ar_release(p->ar, release_pool, h);
	h->opts.argv = ar_alloc(p->ar, n * sizeof(char *));
	for (i = 1; i < n; i++)
		h->opts.argv[i - 1] = ar_strdup(p->ar, t[i].s);
	h->opts.argv[n - 1] = NULL;
	h->opts.file = t[0].file;
	h->opts.line = t[0].line;
}

/* NAME N [startup=N] [idle=N] [concurrency=N] [queue-size=N]
 * [on-persistent-overload=ERR|die] (Squid's HelperChildConfig). */
void
cfg_helper_children(struct cfg_parse *p, const struct tok *t, size_t n,
		    struct hlp_opts *o)
{
	unsigned long v;
	const char *eq;
	size_t i;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (cfg_number(t[1].s, 1, 10000, &v) < 0) {
		cfg_err(p, &t[1], "%s: the maximum number of processes must "
			"be a number from 1 to 10000, not '%s'", t[0].s,
			t[1].s);
		return;
	}
	o->max = (unsigned)v;
	for (i = 2; i < n; i++) {
		eq = strchr(t[i].s, '=');
		if (eq != NULL &&
		    strcmp(t[i].s, "on-persistent-overload=ERR") == 0) {
			o->overload_err = 1;
			continue;
		}
		if (eq != NULL &&
		    strcmp(t[i].s, "on-persistent-overload=die") == 0) {
			o->overload_err = 0;
			continue;
		}
		if (eq == NULL || cfg_number(eq + 1, 0, 100000, &v) < 0) {
			cfg_err(p, &t[i], "%s: unknown option '%s' (startup=, "
				"idle=, concurrency=, queue-size=, "
				"on-persistent-overload=ERR|die)", t[0].s,
				t[i].s);
			continue;
		}
		if (strncmp(t[i].s, "startup=", 8) == 0) {
			o->startup = (unsigned)v;
		} else if (strncmp(t[i].s, "idle=", 5) == 0) {
			if (v < 1) {
				cfg_warn(p, &t[i], "%s: idle=0 makes requests "
					 "fail; using idle=1, as Squid does",
					 t[0].s);
				v = 1;
			}
			o->idle = (unsigned)v;
		} else if (strncmp(t[i].s, "concurrency=", 12) == 0) {
			o->concurrency = (unsigned)v;
		} else if (strncmp(t[i].s, "queue-size=", 11) == 0) {
			o->queue_size = (unsigned)v;
			o->queue_size_set = 1;
		} else {
			cfg_err(p, &t[i], "%s: unknown option '%s' (startup=, "
				"idle=, concurrency=, queue-size=, "
				"on-persistent-overload=ERR|die)", t[0].s,
				t[i].s);
		}
	}
	if (o->startup > o->max) {
		cfg_warn(p, &t[0], "%s: startup=%u is more than the maximum; "
			 "using %u", t[0].s, o->startup, o->max);
		o->startup = o->max;
	}
	if (o->idle > o->max) {
		cfg_warn(p, &t[0], "%s: idle=%u is more than the maximum; "
			 "using %u", t[0].s, o->idle, o->max);
		o->idle = o->max;
	}
}

static void
set_children(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_helper_children(p, t, n, &which(p, t)->opts);
}

static void
set_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &which(p, t)->access);
}

static void
set_bypass(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &which(p, t)->bypass);
}

static void
set_host_header(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->helpers.rewrite_host);
}

/* NAME "format with %codes" (one token, or the rest of the line). */
static void
set_extras(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_helper *h = which(p, t);
	char err[256];
	long k;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	err[0] = '\0';
	k = lf_compile(t[1].s, NULL, 0, err, sizeof(err));
	if (k < 0) {
		cfg_err(p, &t[1], "%s: %s", t[0].s, err);
		return;
	}
	h->extras = ar_strdup(p->ar, t[1].s);
	h->xtok = ar_alloc(p->ar, ((size_t)k + 1) * sizeof(*h->xtok));
	h->nxtok = (size_t)lf_compile(h->extras, h->xtok, (size_t)k, NULL, 0);
}

/* url_rewrite_timeout TIME [UNIT] [on_timeout=bypass|fail|retry|
 * use_configured_response] [response="..."] */
static void
set_timeout(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct hlp_opts *o = &p->c->helpers.rewrite.opts;
	size_t i = 2;
	const char *resp = NULL;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (n > 2 && strchr(t[2].s, '=') == NULL) {
		if (cfg_parse_time(t[1].s, t[2].s, &o->timeout) < 0) {
			cfg_err(p, &t[1], "%s: invalid time '%s %s'", t[0].s,
				t[1].s, t[2].s);
			return;
		}
		i = 3;
	} else if (cfg_parse_time(t[1].s, NULL, &o->timeout) < 0) {
		cfg_err(p, &t[1], "%s: invalid time '%s'", t[0].s, t[1].s);
		return;
	}
	o->on_timeout = HLP_TO_BYPASS;
	for (; i < n; i++) {
		if (strncasecmp(t[i].s, "on_timeout=", 11) == 0) {
			const char *a = t[i].s + 11;

			if (strcasecmp(a, "bypass") == 0)
				o->on_timeout = HLP_TO_BYPASS;
			else if (strcasecmp(a, "fail") == 0)
				o->on_timeout = HLP_TO_FAIL;
			else if (strcasecmp(a, "retry") == 0)
				o->on_timeout = HLP_TO_RETRY;
			else if (strcasecmp(a, "use_configured_response") == 0)
				o->on_timeout = HLP_TO_RESPONSE;
			else
				cfg_err(p, &t[i], "%s: unsupported on_timeout "
					"action '%s' (bypass, fail, retry or "
					"use_configured_response)", t[0].s, a);
		} else if (strncasecmp(t[i].s, "response=\"", 10) == 0) {
			/* response="OK rewrite-url=..." spans tokens: take it
			 * from the line as written, up to its closing quote
			 * (\" inside is a quote). */
			const char *a = t[i].raw + 10, *e = a;
			char *v;
			size_t k = 0;

			while (*e != '\0' && *e != '"')
				e += e[0] == '\\' && e[1] != '\0' ? 2 : 1;
			if (*e != '"') {
				cfg_err(p, &t[i], "%s: response= has no "
					"closing quote", t[0].s);
				return;
			}
			v = ar_alloc(p->ar, (size_t)(e - a) + 1);
			for (; a < e; a++) {
				if (a[0] == '\\' && a + 1 < e)
					a++;
				v[k++] = *a;
			}
			resp = v;
			/* Skip the tokens the quoted text was cut into. */
			while (i < n && (strlen(t[i].s) < 1 ||
					 t[i].s[strlen(t[i].s) - 1] != '"' ||
					 strcmp(t[i].s, "response=\"") == 0))
				i++;
		} else if (strncasecmp(t[i].s, "response=", 9) == 0) {
			resp = ar_strdup(p->ar, t[i].s + 9);
		} else {
			cfg_err(p, &t[i], "%s: unsupported option '%s'",
				t[0].s, t[i].s);
		}
	}
	if (o->on_timeout == HLP_TO_RESPONSE && resp == NULL)
		cfg_err(p, &t[0], "%s: on_timeout=use_configured_response "
			"needs response=\"...\"", t[0].s);
	if (o->on_timeout != HLP_TO_RESPONSE && resp != NULL)
		cfg_err(p, &t[0], "%s: response= is only valid with "
			"on_timeout=use_configured_response", t[0].s);
	o->timeout_response = resp;
}

static void
defaults_one(struct cfg_parse *p, struct cfg_helper *h, const char *name,
	     int kind)
{
	h->opts.name = name;
	h->opts.kind = kind;
	/* "20 startup=0 idle=1 concurrency=0" */
	h->opts.max = 20;
	h->opts.idle = 1;
	h->extras = DEFAULT_EXTRAS;
	h->nxtok = 0;
	{
		long k = lf_compile(DEFAULT_EXTRAS, NULL, 0, NULL, 0);

		h->xtok = ar_alloc(p->ar, ((size_t)k + 1) * sizeof(*h->xtok));
		h->nxtok = (size_t)lf_compile(DEFAULT_EXTRAS, h->xtok,
					      (size_t)k, NULL, 0);
	}
}

static void
helper_defaults(struct cfg_parse *p)
{
	defaults_one(p, &p->c->helpers.rewrite, "url_rewrite_program",
		     STATS_HLP_URL_REWRITE);
	defaults_one(p, &p->c->helpers.store_id, "store_id_program",
		     STATS_HLP_STORE_ID);
	p->c->helpers.rewrite_host = 1;
}

/* Squid's queue-size default: 0 with the bypass on, else twice the
 * maximum number of children. */
static void
finish_one(struct cfg_helper *h)
{
	if (!h->opts.queue_size_set)
		h->opts.queue_size = h->bypass ? 0 : 2 * h->opts.max;
	if (h->opts.idle < 1)
		h->opts.idle = 1;
}

static void
helper_finish(struct cfg_parse *p)
{
	finish_one(&p->c->helpers.rewrite);
	finish_one(&p->c->helpers.store_id);
}

static const struct cfg_dir dirs[] = {
	{ "url_rewrite_program",		set_program },
	{ "redirect_program",			set_program },
	{ "url_rewrite_children",		set_children },
	{ "redirect_children",			set_children },
	{ "url_rewrite_access",			set_access },
	{ "redirector_access",			set_access },
	{ "url_rewrite_bypass",			set_bypass },
	{ "redirector_bypass",			set_bypass },
	{ "url_rewrite_extras",			set_extras },
	{ "url_rewrite_timeout",		set_timeout },
	{ "url_rewrite_host_header",		set_host_header },
	{ "redirect_rewrites_host_header",	set_host_header },
	{ "store_id_program",			set_program },
	{ "storeurl_rewrite_program",		set_program },
	{ "store_id_children",			set_children },
	{ "storeurl_rewrite_children",		set_children },
	{ "store_id_access",			set_access },
	{ "storeurl_rewrite_access",		set_access },
	{ "store_id_bypass",			set_bypass },
	{ "storeurl_rewrite_bypass",		set_bypass },
	{ "store_id_extras",			set_extras },
};

const struct cfg_dirtab cfg_dirs_helper = {
	.module = "helper",
	.dir = dirs,
	.ndir = CFG_NELEM(dirs),
	.defaults = helper_defaults,
	.finish = helper_finish,
};
