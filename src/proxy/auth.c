/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth.c - proxy authentication of a request with auth_param basic
 * (Squid's src/auth/basic/ and src/auth/UserRequest.cc):
 *
 *   - the request's Proxy-Authorization is read once, before its first
 *     access check (auth_prepare()): Basic credentials that the cache
 *     (src/auth/cred_cache.c) knows as accepted are taken at once;
 *     others wait for the helper; a missing, undecodable or other-scheme
 *     field gives none;
 *   - http_access reaching a proxy_auth acl without accepted credentials
 *     stops there (ACL_NEED_AUTH, src/acl/acl_auth.c): the helper is
 *     asked ("USER PASSWORD", each %-escaped as Squid's rfc1738_escape()
 *     does), its answer comes back to phase_run(), which asks the access
 *     list again; without credentials, or after a refusal, the client
 *     gets 407 with "Proxy-Authenticate: Basic realm=..." (Squid's
 *     ERR_CACHE_ACCESS_DENIED);
 *   - OK answers are cached for credentialsttl; ERR and BH answers are
 *     not (Squid asks again with the next request);
 *   - intercepted requests cannot be authenticated (the client does not
 *     know about the proxy): proxy_auth acls do not match them, with
 *     Squid's cache.log warning; the decrypted requests of a bumped
 *     CONNECT are the CONNECT's user's (Squid's connection login), and
 *     without one their proxy_auth acls do not match (a challenge
 *     becomes 403 there: they cannot log in).
 *
 * The Proxy-Authorization field itself is never forwarded (hdr.c treats
 * it as hop-by-hop).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl/acl.h"
#include "auth/basic.h"
#include "auth/cred_cache.h"
#include "auth/digest.h"
#include "config/config.h"
#include "core/sa.h"
#include "event/loop.h"
#include "helper/helper.h"
#include "helper/reply.h"
#include "http/msg.h"
#include "log/log.h"
#include "proxy/auth.h"
#include "proxy/cli-t.h"
#include "proxy/phase.h"
#include "proxy/stream.h"
#include "stats/stats.h"

/* Free a string that may hold a password, wiping it first. */
static void
free_secret(char **p)
{
	if (*p == NULL)
		return;
	memset(*p, 0, strlen(*p));
	free(*p);
	*p = NULL;
}

/* How long a Digest user's HA1 is used without asking the helper again
 * (Squid keeps it while the user is in its cache: authenticate_ttl,
 * 1 hour by default). */
#define DIGEST_HA1_TTL	3600.0

static void
free_digest(struct stream *s)
{
	if (s->auth_digest == NULL)
		return;
	memset(s->auth_digest, 0, sizeof(struct auth_digest_cred));
	free(s->auth_digest);
	s->auth_digest = NULL;
}

void
auth_clear(struct stream *s)
{
	auth_cancel(s);
	free_secret(&s->auth_user);
	free_secret(&s->auth_pass);
	free_digest(s);
	s->auth_stale = 0;
	s->auth = ACL_AUTH_NONE;
	s->auth_read = 0;
	s->auth_challenge = 0;
}

/* Does the Digest uri name this request? The request-target as the
 * client sent it (an absolute URL, or host:port for CONNECT), or its
 * path (some clients send that to a proxy). */
static int
uri_ok(const struct stream *s, const char *uri)
{
	size_t n = strlen(uri);

	if (s->url != NULL && n == s->url_len && memcmp(uri, s->url, n) == 0)
		return 1;
	if (s->url != NULL && s->meth != H1_M_CONNECT &&
	    n == s->url_len - s->path_off &&
	    memcmp(uri, s->url + s->path_off, n) == 0)
		return 1;
	return s->reqm.valid && s->reqm.target.len == n &&
	       memcmp(s->reqm.target.p, uri, n) == 0;
}

/* Check Digest credentials against ha1: the login is accepted or
 * refused. */
static void
digest_verify(struct stream *s, const struct auth_digest_cred *d,
	      const char *ha1)
{
	char want[33];

	if (auth_digest_expect(ha1, d, s->method, want) == 0 &&
	    strcasecmp(want, d->response) == 0)
		s->auth = ACL_AUTH_OK;
	else
		s->auth = ACL_AUTH_FAILED;
}

/* A Digest Proxy-Authorization value f. */
static void
digest_prepare(struct stream *s, const struct str *f)
{
	const struct cfg_auth_digest *a = &s->sess->cfg->auth.digest;
	struct auth_digest_cred *d;
	char ha1[33];

	d = malloc(sizeof(*d));
	if (d == NULL)
		return;
	if (auth_digest_parse(f->p, f->len, d) != AUTH_D_OK ||
	    strcmp(d->realm, a->realm) != 0 ||
	    strpbrk(d->user, "\"\\") != NULL) {
		memset(d, 0, sizeof(*d));
		free(d);
		return;
	}
	if (!uri_ok(s, d->uri)) {
		log_msg(LOG_INFO, "WARNING: Digest credentials of '%s' are for "
			"'%s', not for the request %s: refused", d->user,
			d->uri, s->url);
		s->auth = ACL_AUTH_FAILED;
	} else if (auth_nonce_use(d->nonce, d->nc, evl_now(),
				  a->nonce_max_duration, a->nonce_max_count,
				  a->check_nonce_count,
				  a->nonce_strictness) != 0) {
		/* The client tries again with a new nonce, without asking
		 * its user. */
		s->auth_stale = 1;
	} else if ((s->auth_user = strdup(d->user)) != NULL) {
		if (auth_cache_get_ha1(d->user, d->realm, evl_now(), ha1)) {
			digest_verify(s, d, ha1);
		} else {
			s->auth = ACL_AUTH_UNCHECKED;
			s->auth_digest = d;
			return;
		}
	}
	memset(d, 0, sizeof(*d));
	free(d);
}

void
auth_prepare(struct stream *s)
{
	const struct cfg_auth *a = &s->sess->cfg->auth;
	struct auth_basic_cred *c;
	const struct str *f;
	unsigned flags = 0;
	int rc;

	if (s->auth_read)
		return;
	s->auth_read = 1;
	s->auth = ACL_AUTH_NONE;
	if (!a->used)
		return;
	if (s->sess->intercepted) {
		s->auth = ACL_AUTH_NA;
		return;
	}
	/* A decrypted request of a CONNECT: the CONNECT's user, if it
	 * logged in; else it cannot authenticate (Squid: "SslBumped
	 * request: It is an encapsulated request do not authenticate"). */
	if (s->sess->bumped != NULL) {
		if (s->sess->auth_user != NULL &&
		    (s->auth_user = strdup(s->sess->auth_user)) != NULL)
			s->auth = ACL_AUTH_OK;
		else
			s->auth = ACL_AUTH_NA;
		return;
	}
	f = s->reqm.valid ? http_msg_field(&s->reqm, "proxy-authorization") :
	    NULL;
	if (f == NULL)
		return;
	if (a->digest.opts.argv != NULL && f->len >= 6 &&
	    strncasecmp(f->p, "Digest", 6) == 0) {
		digest_prepare(s, f);
		return;
	}
	if (a->opts.argv == NULL)
		return;
	c = malloc(sizeof(*c));
	if (c == NULL)
		return;
	if (a->casesensitive)
		flags |= AUTH_B_CASESENSITIVE;
	if (a->utf8)
		flags |= AUTH_B_UTF8;
	rc = auth_basic_decode(f->p, f->len, flags, c);
	if (rc == AUTH_B_BAD_CHAR)
		log_msg(LOG_INFO, "WARNING: Bad characters in authorization "
			"header for %s", s->url);
	if (rc == AUTH_B_OK) {
		s->auth_user = strdup(c->user);
		if (s->auth_user != NULL &&
		    auth_cache_get(c->user, c->pass, evl_now())) {
			s->auth = ACL_AUTH_OK;
		} else if (s->auth_user != NULL) {
			s->auth_pass = strdup(c->pass);
			s->auth = s->auth_pass != NULL ? ACL_AUTH_UNCHECKED :
				  ACL_AUTH_NONE;
		}
	}
	memset(c, 0, sizeof(*c));
	free(c);
}

void
auth_acl_ctx(const struct stream *s, struct acl_ctx *ctx)
{
	ctx->auth = (enum acl_auth)s->auth;
	ctx->user = s->auth == ACL_AUTH_OK ? s->auth_user : NULL;
}

const char *
auth_user(const struct stream *s)
{
	return s->auth == ACL_AUTH_OK ? s->auth_user : s->sess->auth_user;
}

void
auth_keep_login(struct stream *s)
{
	struct sess *se = &s->cli->sess;

	if (s->meth != H1_M_CONNECT || s->auth != ACL_AUTH_OK ||
	    s->auth_user == NULL)
		return;
	free(se->auth_user);
	se->auth_user = strdup(s->auth_user);
}

static int
is_hex32(const char *h, size_t n)
{
	size_t i;

	if (n != 32)
		return 0;
	for (i = 0; i < 32; i++)
		if (!((h[i] >= '0' && h[i] <= '9') ||
		      (h[i] >= 'a' && h[i] <= 'f') ||
		      (h[i] >= 'A' && h[i] <= 'F')))
			return 0;
	return 1;
}

/* What a helper said about one login, for every request waiting for
 * it. */
struct outcome {
	enum hlp_result result;
	int             ha1_ok;		/* digest: ha1 holds a valid HA1 */
	char            ha1[33];
	char            msg[160];	/* message=, "" none */
};

static void
outcome_read(struct hlp_reply *r, int digest, struct outcome *o)
{
	const char *h, *m;
	size_t n = 0, i;

	memset(o, 0, sizeof(*o));
	o->result = r->result;
	m = hlp_reply_get(r, "message", NULL);
	if (m != NULL)
		snprintf(o->msg, sizeof(o->msg), "%s", m);
	if (!digest)
		return;
	/* "OK ha1=HEX", or an old helper's bare HEX. */
	h = r->result == HLP_OK ? hlp_reply_get(r, "ha1", &n) : NULL;
	if (h == NULL && r->result == HLP_UNKNOWN) {
		h = r->other;
		n = r->other_len;
	}
	if (h != NULL && is_hex32(h, n)) {
		for (i = 0; i < 32; i++)
			o->ha1[i] = (char)(h[i] >= 'A' && h[i] <= 'F' ?
					   h[i] - 'A' + 'a' : h[i]);
		o->ha1_ok = 1;
	} else if (h != NULL) {
		snprintf(o->msg, sizeof(o->msg), "bad ha1");
	}
}

/* The Basic helper's answer for s: OK accepts (and is cached), ERR and
 * the rest refuse. */
static void
basic_apply(struct stream *s, const struct outcome *o)
{
	const struct cfg_auth *a = &s->sess->cfg->auth;

	switch (o->result) {
	case HLP_OK:
		s->auth = ACL_AUTH_OK;
		if (a->ttl > 0)
			auth_cache_put(s->auth_user, s->auth_pass,
				       evl_now() + a->ttl);
		break;
	case HLP_ERR:
		s->auth = ACL_AUTH_FAILED;
		break;
	default:
		log_msg(LOG_INFO, "ERROR: auth_param basic program: %s%s%s "
			"for user '%s'; the login is refused",
			hlp_result_str(o->result), o->msg[0] ? " " : "",
			o->msg, s->auth_user);
		s->auth = ACL_AUTH_FAILED;
		break;
	}
	free_secret(&s->auth_pass);
}

/* The Digest helper's answer for s: with an HA1, s's response is
 * checked (and the HA1 cached); without, the login is refused. */
static void
digest_apply(struct stream *s, const struct outcome *o)
{
	struct auth_digest_cred *d = s->auth_digest;

	if (o->ha1_ok) {
		auth_cache_put_ha1(d->user, d->realm, o->ha1,
				   evl_now() + DIGEST_HA1_TTL);
		digest_verify(s, d, o->ha1);
	} else {
		if (o->result != HLP_ERR)
			log_msg(LOG_INFO, "ERROR: auth_param digest program: "
				"%s%s%s for user '%s'; the login is refused",
				hlp_result_str(o->result), o->msg[0] ? " " :
				"", o->msg, d->user);
		s->auth = ACL_AUTH_FAILED;
	}
	free_digest(s);
}

/*
 * Lookups under way, one per helper line: requests with the same
 * credentials wait for the same answer (Squid queues them on the user's
 * pending check), so a browser opening six connections with a fresh
 * password asks the helper once.
 */
struct pending {
	struct pending  *next;
	struct hlp_pool *pool;
	int              digest;
	char            *line;		/* holds a password: wiped */
	size_t           len;
	struct hlp_req  *req;
	struct stream   *waiters;	/* linked by auth_next */
};

static struct pending *pendings;

static void
pending_drop(struct pending *p)
{
	struct pending **pp;

	for (pp = &pendings; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	memset(p->line, 0, p->len);
	free(p->line);
	free(p);
}

static void
pending_done(void *arg, struct hlp_reply *r)
{
	struct pending *p = arg;
	struct stream *s, *next;
	struct outcome o;
	int digest = p->digest;

	outcome_read(r, digest, &o);
	s = p->waiters;
	pending_drop(p);
	for (; s != NULL; s = next) {
		next = s->auth_next;
		s->auth_next = NULL;
		s->auth_pend = NULL;
		if (digest)
			digest_apply(s, &o);
		else
			basic_apply(s, &o);
		phase_run(s);
		strm_wake(s);
	}
	memset(&o, 0, sizeof(o));
}

/* Wait for the answer to line: join the lookup of the same line, or
 * start one. 1: waiting; 0: not sent. */
static int
wait_for(struct stream *s, struct hlp_pool *pool, int digest,
	 const char *line, size_t len)
{
	struct pending *p;

	for (p = pendings; p != NULL; p = p->next)
		if (p->pool == pool && p->digest == digest && p->len == len &&
		    memcmp(p->line, line, len) == 0)
			break;
	if (p == NULL) {
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			return 0;
		p->line = malloc(len + 1);
		if (p->line == NULL) {
			free(p);
			return 0;
		}
		memcpy(p->line, line, len);
		p->len = len;
		p->pool = pool;
		p->digest = digest;
		p->req = hlp_submit(pool, line, len, pending_done, p);
		p->next = pendings;
		pendings = p;
		if (p->req == NULL) {
			pending_drop(p);
			return 0;
		}
	}
	s->auth_next = p->waiters;
	p->waiters = s;
	s->auth_pend = p;
	return 1;
}

void
auth_cancel(struct stream *s)
{
	struct pending *p = s->auth_pend;
	struct stream **sp;

	if (p == NULL)
		return;
	for (sp = &p->waiters; *sp != NULL; sp = &(*sp)->auth_next)
		if (*sp == s) {
			*sp = s->auth_next;
			break;
		}
	s->auth_next = NULL;
	s->auth_pend = NULL;
	if (p->waiters == NULL) {
		/* Nobody waits for it any more. */
		hlp_cancel(p->req);
		pending_drop(p);
	}
}

/* Send the Digest user to the helper ("USER":"REALM"). */
static int
ask_digest(struct stream *s)
{
	struct cfg_auth_digest *a = &s->sess->cfg->auth.digest;
	const struct auth_digest_cred *d = s->auth_digest;
	char line[sizeof(d->user) + sizeof(d->realm) + 8];
	int n;

	if (a->opts.argv == NULL)
		return 0;
	if (a->pool == NULL) {
		a->pool = hlp_pool_new(&a->opts);
		if (a->pool == NULL)
			return 0;
	}
	n = snprintf(line, sizeof(line), "\"%s\":\"%s\"", d->user,
		     d->realm);
	if (n < 0 || (size_t)n >= sizeof(line))
		return 0;
	return wait_for(s, a->pool, 1, line, (size_t)n);
}

/* Send the credentials to the helper. 1: waiting; 0: not sent (the
 * login counts as refused). */
static int
ask_helper(struct stream *s)
{
	struct cfg_auth *a = &s->sess->cfg->auth;
	struct auth_basic_cred *c;
	char *line;
	size_t cap = 3 * 2 * AUTH_CRED_MAX + 8;
	long n;
	int rc = 0;

	if (a->opts.argv == NULL)
		return 0;
	if (a->pool == NULL) {
		a->pool = hlp_pool_new(&a->opts);
		if (a->pool == NULL)
			return 0;
	}
	c = calloc(1, sizeof(*c));
	line = malloc(cap);
	n = -1;
	if (c != NULL && line != NULL) {
		memcpy(c->user, s->auth_user, strlen(s->auth_user) + 1);
		memcpy(c->pass, s->auth_pass, strlen(s->auth_pass) + 1);
		n = auth_basic_line(c, line, cap);
	}
	if (n >= 0)
		rc = wait_for(s, a->pool, 0, line, (size_t)n);
	if (line != NULL) {
		memset(line, 0, cap);
		free(line);
	}
	if (c != NULL) {
		memset(c, 0, sizeof(*c));
		free(c);
	}
	return rc;
}

int
auth_need(struct stream *s)
{
	if (s->auth_pend != NULL)
		return 1;
	if (s->auth == ACL_AUTH_UNCHECKED) {
		if (s->auth_digest != NULL ? ask_digest(s) : ask_helper(s))
			return 1;
		s->auth = ACL_AUTH_FAILED;
		free_secret(&s->auth_pass);
		free_digest(s);
	}
	auth_challenge(s, NULL);
	return 0;
}

void
auth_challenge(struct stream *s, const char *page)
{
	s->code = "TCP_DENIED";
	s->hier = "HIER_NONE";
	if (s->sess->bumped != NULL) {
		/* Squid: "SSL Bumped request, authentication is not
		 * possible". */
		strm_error(s, 403, page ? page : "ERR_ACCESS_DENIED",
			   "Access control configuration prevents your "
			   "request from being allowed at this time.");
		return;
	}
	s->auth_challenge = 1;
	strm_error(s, 407, page ? page : "ERR_CACHE_ACCESS_DENIED",
		   "Sorry, you are not currently allowed to request this "
		   "page until you have authenticated yourself.");
}

const char *
auth_challenge_fields(struct stream *s)
{
	static char out[1024];
	const struct cfg_auth *a = &s->sess->cfg->auth;
	char basic[320], digest[420], nonce[33];
	int n;

	basic[0] = digest[0] = '\0';
	if (a->opts.argv != NULL)
		snprintf(basic, sizeof(basic), "Proxy-Authenticate: Basic "
			 "realm=\"%.256s\"\r\n", a->realm);
	if (a->digest.opts.argv != NULL && auth_nonce_new(evl_now(), nonce)
	    == 0)
		snprintf(digest, sizeof(digest), "Proxy-Authenticate: Digest "
			 "realm=\"%.256s\", nonce=\"%s\", qop=\"auth\", "
			 "stale=%s\r\n", a->digest.realm, nonce,
			 s->auth_stale ? "true" : "false");
	n = snprintf(out, sizeof(out), "%s%s", a->digest_first ? digest :
		     basic, a->digest_first ? basic : digest);
	if (n < 0)
		out[0] = '\0';
	return out;
}

void
auth_na_warn(const struct stream *s, unsigned n)
{
	static double last;
	double now = evl_now();

	/* (Decrypted requests without a login are Squid's silent case.) */
	if (n == 0 || !s->sess->intercepted || now - last < 60)
		return;
	last = now;
	log_msg(LOG_INFO, "WARNING: Authentication not applicable on "
		"intercepted requests (proxy_auth acls do not match them; "
		"use external_acl_type with a session helper)");
}
