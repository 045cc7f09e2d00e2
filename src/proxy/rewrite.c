/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rewrite.c - url_rewrite_program and store_id_program: which requests
 * are sent (url_rewrite_access, store_id_access), the line sent ("URL
 * extras", url_rewrite_extras), and what the answers do, as in Squid's
 * ClientRequestContext::clientRedirectDone() and clientStoreIdDone():
 *
 *   url_rewrite: OK url=U [status=30x]  the client is redirected to U
 *                                       (302 unless status= says 301,
 *                                       303, 307 or 308);
 *                OK rewrite-url=U       the request goes to U instead;
 *                                       Host becomes U's authority
 *                                       (url_rewrite_host_header on);
 *                                       access.log shows the URL as
 *                                       received;
 *                OK, ERR                no change;
 *                BH (after 2 retries), an answer without a result code
 *                that is no old-style URL: no change, with an ERROR line
 *                in cache.log (Squid too);
 *                no answer in url_rewrite_timeout: on_timeout= decides
 *                (bypass: no change; fail: a 500 error page
 *                ERR_GATEWAY_FAILURE; retry; use_configured_response).
 *   store_id:    OK store-id=K          the cache stores and looks the
 *                                       response up under K; the request
 *                                       still goes to its URL;
 *                anything else          the URL is the key.
 *
 * A queue over queue-size with *_bypass on skips the helper (Squid's
 * "queue too long. Bypassed."). On an intercepting port a rewritten
 * request goes where its new URL names (resolved by DNS), not to the
 * original destination: Squid treats a rewritten request as no longer
 * intercepted (PeerSelector::resolveSelected()), so Host verification no
 * longer applies to it either.
 *
 * CONNECT requests (and intercepted TLS) are not sent to the helpers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl/acl.h"
#include "cache/store.h"
#include "config/config.h"
#include "core/buf.h"
#include "helper/helper.h"
#include "helper/reply.h"
#include "http/url.h"
#include "log/access_log-t.h"
#include "log/log.h"
#include "log/logfmt.h"
#include "proxy/auth.h"
#include "proxy/phase.h"
#include "proxy/req.h"
#include "proxy/rewrite.h"
#include "proxy/stream.h"
#include "stats/stats.h"

static void
pool_free(struct hlp_pool *p)
{
	hlp_pool_free(p);
}

const struct cfg_helper_ops rewrite_cfg_ops = { pool_free };

void
rewrite_start(struct cfg *c)
{
	struct cfg_helper *h[2] = { &c->helpers.rewrite,
				    &c->helpers.store_id };
	int i;

	for (i = 0; i < 2; i++)
		if (h[i]->opts.argv != NULL && h[i]->pool == NULL)
			h[i]->pool = hlp_pool_new(&h[i]->opts);
}

void
rewrite_cancel(struct stream *s)
{
	if (s->hlp != NULL) {
		hlp_cancel(s->hlp);
		s->hlp = NULL;
	}
}

/* The helper applies to s: configured, not CONNECT, allowed by its
 * access list. 1 yes, 0 no, -1 waiting for a lookup an acl needs (its
 * answer comes back to phase_run()). */
static int
applies(struct stream *s, const struct cfg_helper *h)
{
	struct acl_ctx ctx;
	enum acl_verdict v;

	if (h->opts.argv == NULL || s->meth == H1_M_CONNECT || s->tls != NULL)
		return 0;
	if (h->access.n == 0)
		return 1;
	strm_acl_ctx(s, &ctx);
	ctx.name_wait = 1;
	v = acl_check(&h->access, &ctx, ACL_ALLOW, NULL);
	if (v == ACL_NEED_DST || v == ACL_NEED_NAME || v == ACL_NEED_EXT) {
		if (phase_acl_wait(s, v, &ctx))
			return -1;
		/* A literal address may have been taken: ask once more. */
		strm_acl_ctx(s, &ctx);
		v = acl_check(&h->access, &ctx, ACL_ALLOW, NULL);
	}
	return v == ACL_ALLOW;
}

/* "URL extras" into a malloc'd line; NULL when out of memory. */
static char *
make_line(const struct stream *s, const struct cfg_helper *h, size_t *len)
{
	struct alog_rec r;
	size_t cap = s->url_len + 4096, n;
	char *line;

	line = malloc(cap);
	if (line == NULL)
		return NULL;
	memcpy(line, s->url, s->url_len);
	n = s->url_len;
	if (h->nxtok > 0) {
		memset(&r, 0, sizeof(r));
		r.start = s->start;
		r.client = (const struct sockaddr *)&s->sess->addr;
		r.local = (const struct sockaddr *)&s->sess->local;
		r.code = "NONE";
		r.method = str_make(s->method, strlen(s->method));
		r.url = str_make(s->url, s->url_len);
		r.host = str_make(s->host, strlen(s->host));
		r.port = s->port;
		r.path = str_make(s->url + s->path_off,
				  s->url_len - s->path_off);
		r.minor = s->minor;
		r.hier = "HIER_NONE";
		r.req = s->reqm.valid ? &s->reqm : NULL;
		r.user = auth_user(s);
		r.ext_user = s->ext_user;
		r.tag = s->ext_tag;
		r.ext_log = s->ext_log;
		line[n++] = ' ';
		n += lf_format(line + n, cap - n, h->xtok, h->nxtok, &r);
		/* lf_format() ends its record with a line feed. */
		while (n > s->url_len && (line[n - 1] == '\n' ||
					  line[n - 1] == ' '))
			n--;
	}
	*len = n;
	return line;
}

/* Send s's line to h's pool (made on first use). 1: waiting; 0: skipped
 * (bypass, or the pool dropped it: an ERR answer). */
static int
submit(struct stream *s, struct cfg_helper *h, hlp_cb *cb)
{
	char *line;
	size_t len;

	if (h->pool == NULL) {
		h->pool = hlp_pool_new(&h->opts);
		if (h->pool == NULL)
			return 0;
	}
	if (h->bypass && hlp_would_overload(h->pool)) {
		stats.hlp[h->opts.kind].overloads++;
		log_msg(LOG_INFO, "%s queue too long; bypassed for %s",
			h->opts.name, s->url);
		return 0;
	}
	line = make_line(s, h, &len);
	if (line == NULL)
		return 0;
	s->hlp = hlp_submit(h->pool, line, len, cb, s);
	free(line);
	return s->hlp != NULL;
}

/* The request now goes to url (absolute http://, or https:// on a bumped
 * connection). 0; -1 when url cannot be used (logged, nothing changed);
 * -2 when the new head could not be made. */
static int
use_url(struct stream *s, const char *url, size_t len)
{
	const struct cfg *c = s->sess->cfg;
	int https = len >= 8 && strncasecmp(url, "https://", 8) == 0;
	size_t skip = https ? 8 : 7;
	const char *slash;
	char host[URL_HOST_MAX];
	unsigned port;

	if ((!https && (len < 8 || strncasecmp(url, "http://", 7) != 0)) ||
	    (https && s->sess->bumped == NULL) ||
	    url_authority_end(url, len, &slash) < 0 ||
	    url_parse_authority(url + skip, (size_t)(slash - url) - skip,
				https ? 443 : 80, host, &port) < 0) {
		log_msg(LOG_CRIT, "ERROR: URL-rewrite produces invalid "
			"request: %s %.*s", s->method, (int)len, url);
		return -1;
	}
	if (s->orig_url == NULL) {
		s->orig_url = strndup(s->url, s->url_len);
		if (s->orig_url == NULL)
			return -1;
	}
	if (strm_set_url(s, str_make(url, len), STR_NULL, STR_NULL) < 0)
		return -2;
	memcpy(s->host, host, sizeof(host));
	s->port = port;
	s->path_off = (size_t)(slash - url);
	if (req_set_form(s, 0) < 0 ||
	    (c->helpers.rewrite_host &&
	     req_set_host(s, str_make(url + skip, s->path_off - skip)) < 0)) {
		log_msg(LOG_CRIT, "ERROR: URL-rewrite: the request for %s "
			"does not fit", s->url);
		return -2;
	}
	s->rewritten = 1;
	s->verify_pending = 0;
	s->host_forged = 0;
	s->origin_resolved = 0;
	s->naddr = 0;
	return 0;
}

/* Redirect the client to url with status. */
static void
redirect(struct stream *s, const char *url, size_t len, unsigned status)
{
	free(s->location);
	s->location = strndup(url, len);
	if (s->location == NULL) {
		strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
		return;
	}
	s->code = "TCP_REDIRECT";
	s->hier = "HIER_NONE";
	strm_error(s, (int)status, "ERR_REDIRECT",
		   "The URL rewriter redirects this request.");
}

/* Act on the rewriter's answer. 0: go on with the phases; 1: answered. */
static int
rewrite_apply(struct stream *s, struct hlp_reply *r)
{
	const char *u, *st;
	size_t ulen;
	unsigned status = 302;

	hlp_reply_legacy_rewrite(r);
	switch (r->result) {
	case HLP_TIMEDOUT:
		log_msg(LOG_INFO, "ERROR: URL rewrite helper: Timedout");
		strm_error(s, 500, "ERR_GATEWAY_FAILURE", "The URL rewriter "
			   "did not answer in time.");
		return 1;
	case HLP_BH:
		u = hlp_reply_get(r, "message", NULL);
		log_msg(LOG_INFO, "ERROR: URL rewrite helper: BH%s%s",
			u ? " " : "", u ? u : "");
		return 0;
	case HLP_OK:
		break;
	case HLP_ERR:
		return 0;
	default:
		log_msg(LOG_INFO, "ERROR: URL rewrite helper returned invalid "
			"result code. Wrong helper? %s", r->other);
		return 0;
	}
	u = hlp_reply_get(r, "url", &ulen);
	if (u != NULL) {
		st = hlp_reply_get(r, "status", NULL);
		if (st != NULL)
			status = (unsigned)atoi(st);
		if (status != 301 && status != 302 && status != 303 &&
		    status != 307 && status != 308) {
			log_msg(LOG_CRIT, "ERROR: URL-rewrite produces invalid "
				"%u redirect Location: %s", status, u);
			return 0;
		}
		redirect(s, u, ulen, status);
		return 1;
	}
	u = hlp_reply_get(r, "rewrite-url", &ulen);
	/* A broken helper that echoes the URL changes nothing. */
	if (u == NULL || (ulen == s->url_len && memcmp(u, s->url, ulen) == 0))
		return 0;
	if (use_url(s, u, ulen) == -2) {
		/* The head is half made: it cannot go anywhere. */
		strm_error(s, 500, "ERR_INTERNAL", "The rewritten request "
			   "could not be made.");
		return 1;
	}
	return 0;
}

static void
rewrite_done(void *arg, struct hlp_reply *r)
{
	struct stream *s = arg;

	s->hlp = NULL;
	s->rewrite_done = 1;
	if (rewrite_apply(s, r) == 0)
		phase_run(s);
	strm_wake(s);
}

int
rewrite_phase(struct stream *s)
{
	struct cfg_helper *h = &s->sess->cfg->helpers.rewrite;

	int a;

	if (s->hlp != NULL || s->dns != NULL)
		return 1;
	a = applies(s, h);
	if (a < 0)
		return 1;
	if (a == 0 || !submit(s, h, rewrite_done)) {
		s->rewrite_done = 1;
		return 0;
	}
	return 1;
}

static void
storeid_done(void *arg, struct hlp_reply *r)
{
	struct stream *s = arg;
	const char *k;
	size_t klen;

	s->hlp = NULL;
	s->storeid_done = 1;
	switch (r->result) {
	case HLP_OK:
		k = hlp_reply_get(r, "store-id", &klen);
		if (k != NULL && klen > 0 &&
		    !(klen == s->url_len && memcmp(k, s->url, klen) == 0)) {
			free(s->store_id);
			s->store_id = strndup(k, klen);
		}
		break;
	case HLP_ERR:
		break;
	default:
		log_msg(LOG_INFO, "ERROR: storeID helper: %s%s%s",
			hlp_result_str(r->result), r->nkv ? " " : "",
			r->nkv ? r->kv[0].val : "");
		break;
	}
	phase_run(s);
	strm_wake(s);
}

int
storeid_phase(struct stream *s)
{
	struct cfg_helper *h = &s->sess->cfg->helpers.store_id;

	int a = 0;

	if (s->hlp != NULL || s->dns != NULL)
		return 1;
	/* Only what the cache could answer or store has a key to give. */
	if (store_enabled() && (s->meth == H1_M_GET || s->meth == H1_M_HEAD))
		a = applies(s, h);
	if (a < 0)
		return 1;
	if (a == 0 || !submit(s, h, storeid_done)) {
		s->storeid_done = 1;
		return 0;
	}
	return 1;
}
