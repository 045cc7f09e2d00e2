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
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "auth/basic.h"
#include "auth/cred_cache.h"
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

void
auth_clear(struct stream *s)
{
	free_secret(&s->auth_user);
	free_secret(&s->auth_pass);
	s->auth = ACL_AUTH_NONE;
	s->auth_read = 0;
	s->auth_challenge = 0;
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

static void
auth_done(void *arg, struct hlp_reply *r)
{
	struct stream *s = arg;
	const struct cfg_auth *a = &s->sess->cfg->auth;
	const char *m;

	s->hlp = NULL;
	switch (r->result) {
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
		m = hlp_reply_get(r, "message", NULL);
		log_msg(LOG_INFO, "ERROR: auth_param basic program: %s%s%s "
			"for user '%s'; the login is refused",
			hlp_result_str(r->result), m ? " " : "", m ? m : "",
			s->auth_user);
		s->auth = ACL_AUTH_FAILED;
		break;
	}
	free_secret(&s->auth_pass);
	phase_run(s);
	strm_wake(s);
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
		s->hlp = hlp_submit(a->pool, line, (size_t)n, auth_done, s);
	if (line != NULL) {
		memset(line, 0, cap);
		free(line);
	}
	if (c != NULL) {
		memset(c, 0, sizeof(*c));
		free(c);
	}
	return s->hlp != NULL;
}

int
auth_need(struct stream *s)
{
	if (s->hlp != NULL)
		return 1;
	if (s->auth == ACL_AUTH_UNCHECKED) {
		if (ask_helper(s))
			return 1;
		s->auth = ACL_AUTH_FAILED;
		free_secret(&s->auth_pass);
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
