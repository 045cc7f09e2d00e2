/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_auth.c - auth_param (cfg_auth-t.h): the Basic scheme's program,
 * children, realm, credentialsttl, casesensitive and utf8, with Squid
 * 7's syntax and defaults (cf.data.pre "auth_param"), and keep_alive
 * (Squid's option of every scheme: off closes the connection after a
 * 407); the Digest scheme's program, children, realm and nonce
 * settings. The other schemes
 * (negotiate, ntlm) are refused with a reason: a configuration
 * that asks for them would otherwise let their users through or lock
 * them out without saying why.
 *
 * The finish hook checks the proxy_auth acls against it: such an acl
 * without a Basic program is an error (Squid: "Cannot use proxy auth
 * because no authentication schemes are fully configured"), and one in a
 * configuration with intercepting ports gets a warning: intercepted
 * requests cannot be authenticated.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl/acl-t.h"
#include "config/cfg-int.h"
#include "config/config.h"
#include "stats/stats-t.h"

#define DEFAULT_REALM	"Squid proxy-caching web server"

static void
release_pool(void *arg)
{
	struct hlp_pool **pool = arg;

	if (*pool != NULL && cfg_helper_ops != NULL)
		cfg_helper_ops->pool_free(*pool);
	*pool = NULL;
}

/* SCHEME program PROGRAM [ARG...] into o (t[0] "auth_param"). */
static void
set_program(struct cfg_parse *p, const struct tok *t, size_t n,
	    struct hlp_opts *o, struct hlp_pool **pool)
{
	size_t i;

	if (n < 4) {
		cfg_err(p, &t[2], "auth_param %s program: missing the "
			"program", t[1].s);
		return;
	}
	if (o->argv != NULL)
		cfg_warn(p, &t[2], "auth_param %s program: given again; "
			 "the last line is used", t[1].s);
	else
		ar_release(p->ar, release_pool, pool);
	o->argv = ar_alloc(p->ar, (n - 2) * sizeof(char *));
	for (i = 3; i < n; i++)
		o->argv[i - 3] = ar_strdup(p->ar, t[i].s);
	o->argv[n - 3] = NULL;
	o->file = t[0].file;
	o->line = t[0].line;
}

/* auth_param SCHEME realm TEXT...: the rest of the line. */
static void
set_realm(struct cfg_parse *p, const struct tok *t, size_t n,
	  const char **out)
{
	size_t i, k, len = 0, o = 0;
	char *r;

	if (n < 4) {
		cfg_err(p, &t[2], "auth_param %s realm: missing the realm",
			t[1].s);
		return;
	}
	for (i = 3; i < n; i++)
		len += strlen(t[i].s) + 1;
	r = ar_alloc(p->ar, len);
	for (i = 3; i < n; i++) {
		if (i > 3)
			r[o++] = ' ';
		k = strlen(t[i].s);
		memcpy(r + o, t[i].s, k);
		o += k;
	}
	r[o] = '\0';
	for (i = 0; r[i] != '\0'; i++)
		if (r[i] == '"' || r[i] == '\\' ||
		    (unsigned char)r[i] < ' ' || r[i] == 0x7f) {
			cfg_err(p, &t[3], "auth_param %s realm: quotes, "
				"backslashes and control characters cannot "
				"be sent in a challenge", t[1].s);
			return;
		}
	*out = r;
}

static void
basic_line(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_auth *a = &p->c->auth;
	const char *opt = t[2].s;

	if (strcmp(opt, "program") == 0) {
		if (a->opts.argv == NULL && a->digest.opts.argv == NULL)
			a->digest_first = 0;
		set_program(p, t, n, &a->opts, &a->pool);
	} else if (strcmp(opt, "children") == 0) {
		cfg_helper_children(p, t + 2, n - 2, &a->opts);
	} else if (strcmp(opt, "realm") == 0) {
		set_realm(p, t, n, &a->realm);
	} else if (strcmp(opt, "credentialsttl") == 0) {
		cfg_set_time(p, t + 2, n - 2, &a->ttl);
	} else if (strcmp(opt, "casesensitive") == 0) {
		cfg_set_bool(p, t + 2, n - 2, &a->casesensitive);
	} else if (strcmp(opt, "utf8") == 0) {
		cfg_set_bool(p, t + 2, n - 2, &a->utf8);
	} else if (strcmp(opt, "keep_alive") == 0) {
		cfg_set_bool(p, t + 2, n - 2, &a->keep_alive);
	} else if (strcmp(opt, "key_extras") == 0) {
		cfg_err(p, &t[2], "auth_param basic key_extras is not "
			"supported by tproxyd: the helper would get lines "
			"without the extra fields it expects and decide on "
			"less than it was configured to");
	} else {
		cfg_err(p, &t[2], "auth_param basic: unknown option '%s' "
			"(program, children, realm, credentialsttl, "
			"casesensitive, utf8, keep_alive)", opt);
	}
}

static void
digest_line(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_auth *a = &p->c->auth;
	struct cfg_auth_digest *d = &a->digest;
	const char *opt = t[2].s;
	unsigned long v;

	if (strcmp(opt, "program") == 0) {
		if (a->opts.argv == NULL && d->opts.argv == NULL)
			a->digest_first = 1;
		set_program(p, t, n, &d->opts, &d->pool);
	} else if (strcmp(opt, "children") == 0) {
		cfg_helper_children(p, t + 2, n - 2, &d->opts);
	} else if (strcmp(opt, "realm") == 0) {
		set_realm(p, t, n, &d->realm);
	} else if (strcmp(opt, "nonce_max_duration") == 0) {
		cfg_set_time(p, t + 2, n - 2, &d->nonce_max_duration);
	} else if (strcmp(opt, "nonce_max_count") == 0) {
		if (cfg_int_line(p, t + 2, n - 2, 1, 1000000000UL,
				 "a number of uses", &v) == 0)
			d->nonce_max_count = (unsigned)v;
	} else if (strcmp(opt, "nonce_strictness") == 0) {
		cfg_set_bool(p, t + 2, n - 2, &d->nonce_strictness);
	} else if (strcmp(opt, "check_nonce_count") == 0) {
		cfg_set_bool(p, t + 2, n - 2, &d->check_nonce_count);
	} else if (strcmp(opt, "nonce_garbage_interval") == 0 ||
		   strcmp(opt, "post_workaround") == 0 ||
		   strcmp(opt, "utf8") == 0) {
		cfg_warn(p, &t[2], "auth_param digest %s is not implemented "
			 "by tproxyd; ignored (%s)", opt,
			 opt[0] == 'n' ? "nonces are kept in a fixed table "
			 "and expire with nonce_max_duration" :
			 opt[0] == 'p' ? "clients that need it are asked "
			 "to log in again" : "user names are sent to the "
			 "program as the client wrote them");
	} else if (strcmp(opt, "keep_alive") == 0) {
		cfg_set_bool(p, t + 2, n - 2, &a->keep_alive);
	} else {
		cfg_err(p, &t[2], "auth_param digest: unknown option '%s' "
			"(program, children, realm, nonce_max_duration, "
			"nonce_max_count, nonce_strictness, "
			"check_nonce_count, keep_alive)", opt);
	}
}

/* auth_param SCHEME OPTION VALUE... */
static void
set_auth_param(struct cfg_parse *p, const struct tok *t, size_t n)
{
	const char *scheme;

	if (n < 3) {
		cfg_err(p, &t[0], "auth_param: expected 'auth_param SCHEME "
			"OPTION VALUE...'");
		return;
	}
	scheme = t[1].s;
	if (strcasecmp(scheme, "basic") == 0) {
		basic_line(p, t, n);
		return;
	}
	if (strcasecmp(scheme, "negotiate") == 0 ||
	    strcasecmp(scheme, "ntlm") == 0) {
		cfg_err(p, &t[1], "auth_param %s is not supported by tproxyd: "
			"it authenticates a connection with a handshake over "
			"several requests, which tproxyd does not carry out; "
			"users would be refused or let through without "
			"being checked. Use auth_param basic or digest, or "
			"external_acl_type with a helper that checks who the "
			"user is", scheme);
		return;
	}
	if (strcasecmp(scheme, "digest") == 0) {
		digest_line(p, t, n);
		return;
	}
	cfg_err(p, &t[1], "auth_param: unknown scheme '%s' (basic, digest)",
		scheme);
}

static void
auth_defaults(struct cfg_parse *p)
{
	struct cfg_auth *a = &p->c->auth;

	a->opts.name = "auth_param basic program";
	a->opts.kind = STATS_HLP_AUTH_BASIC;
	/* "children 20 startup=0 idle=1 concurrency=0" */
	a->opts.max = 20;
	a->opts.idle = 1;
	a->realm = DEFAULT_REALM;
	a->ttl = 2 * 3600;
	a->keep_alive = 1;
	a->digest.opts.name = "auth_param digest program";
	a->digest.opts.kind = STATS_HLP_AUTH_DIGEST;
	a->digest.opts.max = 20;
	a->digest.opts.idle = 1;
	a->digest.realm = DEFAULT_REALM;
	a->digest.nonce_max_duration = 30 * 60;
	a->digest.nonce_max_count = 50;
	a->digest.check_nonce_count = 1;
}

static int
is_auth_acl(const struct acl *acl)
{
	return acl->type == ACL_PROXY_AUTH ||
	       acl->type == ACL_PROXY_AUTH_REGEX;
}

static void
auth_finish(struct cfg_parse *p)
{
	struct cfg_auth *a = &p->c->auth;
	const struct acl *acl, *first = NULL;
	struct tok t;
	size_t i;
	int intercepting = 0;

	if (!a->opts.queue_size_set)
		a->opts.queue_size = 2 * a->opts.max;
	if (a->opts.idle < 1)
		a->opts.idle = 1;
	if (!a->digest.opts.queue_size_set)
		a->digest.opts.queue_size = 2 * a->digest.opts.max;
	if (a->digest.opts.idle < 1)
		a->digest.opts.idle = 1;
	for (acl = p->c->acls; acl != NULL; acl = acl->next) {
		if (!is_auth_acl(acl))
			continue;
		if (first == NULL)
			first = acl;
		a->used = 1;
		if (a->opts.argv == NULL && a->digest.opts.argv == NULL) {
			memset(&t, 0, sizeof(t));
			t.s = acl->name;
			t.file = acl->file;
			t.line = acl->line;
			cfg_err(p, &t, "acl %s: proxy authentication needs "
				"'auth_param basic program' or 'auth_param "
				"digest program' (Squid: \"Cannot "
				"use proxy auth because no authentication "
				"schemes are fully configured\")", acl->name);
		}
	}
	for (i = 0; i < p->c->nport; i++)
		if (p->c->port[i].mode == PORT_INTERCEPT ||
		    p->c->port[i].mode == PORT_TPROXY)
			intercepting = 1;
	if (first != NULL && intercepting) {
		memset(&t, 0, sizeof(t));
		t.s = first->name;
		t.file = first->file;
		t.line = first->line;
		cfg_warn(p, &t, "acl %s: intercepted requests cannot be "
			 "authenticated (clients do not know there is a "
			 "proxy); on intercept and tproxy ports proxy_auth "
			 "acls never match, as in Squid. Identify those "
			 "users with external_acl_type and a session helper "
			 "instead", first->name);
	}
}

static const struct cfg_dir dirs[] = {
	{ "auth_param",	set_auth_param },
};

const struct cfg_dirtab cfg_dirs_auth = {
	.module = "auth",
	.dir = dirs,
	.ndir = CFG_NELEM(dirs),
	.defaults = auth_defaults,
	.finish = auth_finish,
};
