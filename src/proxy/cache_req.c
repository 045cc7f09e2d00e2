/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache_req.c - the HTTP cache's decisions on a request and on the
 * server's response head (RFC 9111 with Squid's directives):
 *
 *   lookup   (phase.c): GET and HEAD find a stored response for their
 *            URL and Vary fields; fresh (or stale within what the request
 *            accepts) answers from the cache (cache_hit.c); stale with
 *            validators goes to the server with If-None-Match /
 *            If-Modified-Since added; PURGE removes.
 *   response (srv_h1.c): a 304 to our validators refreshes the stored
 *            head and answers from it; an unsafe method's success
 *            invalidates; a storable response starts filling
 *            (cache_fill.c).
 *
 * Storing is refused for intercepted requests whose Host was not
 * verified to name the address the client connected to: a forged Host
 * must not put one site's content under another's URL for every client
 * (Squid's host_verify_strict discussion, CVE-2009-0801).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acl/acl.h"
#include "cache/disk.h"
#include "cache/policy.h"
#include "cache/store.h"
#include "config/config.h"
#include "core/buf.h"
#include "event/loop.h"
#include "http/h1.h"
#include "http/msg.h"
#include "log/log.h"
#include "proxy/applet.h"
#include "proxy/cache.h"
#include "proxy/req.h"
#include "proxy/srv.h"
#include "proxy/stream.h"
#include "stats/stats.h"

#define KEY_MAX (CACHE_URI_MAX + 16)
#define VKEY_MAX 4096

/* Squid's rule when no refresh_pattern is given: 0 20% 4320 minutes. */
static const struct cfg_refresh default_rule = {
	.pattern = ".", .min = 0, .percent = 20, .max = 4320 * 60,
	.max_stale = -1,
};

void
cache_configure(const struct cfg *c)
{
	const struct cfg_cache *cc = &c->cache;
	unsigned w = c->workers ? c->workers : 1;

	/* Each worker has its own memory cache: cache_mem is shared out. */
	store_configure(cc->mem_bytes / w, cc->max_obj_mem < cc->max_obj ?
			cc->max_obj_mem : cc->max_obj, (int)cc->repl_mem);
	store_configure_objects(cc->max_obj, cc->swap_low, cc->swap_high,
				(int)cc->repl_disk);
}

void
cache_dirs_check(const struct cfg *old, const struct cfg *c)
{
	const struct cfg_cache *a = &old->cache, *b = &c->cache;
	size_t i;
	int same = a->ndir == b->ndir;

	for (i = 0; same && i < a->ndir; i++)
		same = strcmp(a->dir[i].path, b->dir[i].path) == 0 &&
		       a->dir[i].max_bytes == b->dir[i].max_bytes &&
		       a->dir[i].l1 == b->dir[i].l1 &&
		       a->dir[i].l2 == b->dir[i].l2;
	if (!same)
		log_msg(LOG_CRIT, "WARNING: the cache_dir lines changed; the "
			"stores in use stay as they were until tproxyd is "
			"restarted");
}

void
cache_open_disks(const struct cfg *c, unsigned kid)
{
	const struct cfg_cache *cc = &c->cache;
	const struct cfg_cache_dir *cd;
	char path[4096], err[256];
	const char *squid;
	unsigned w = c->workers ? c->workers : 1;
	size_t i;
	int rc;

	for (i = 0; i < cc->ndir; i++) {
		cd = &cc->dir[i];
		/* Workers do not share a dir: each has its own part of it
		 * (PATH/kidN) and of its size, as Squid's ufs dirs with
		 * ${process_number} would be. */
		if (w > 1)
			rc = snprintf(path, sizeof(path), "%s/kid%u", cd->path,
				      kid);
		else
			rc = snprintf(path, sizeof(path), "%s", cd->path);
		if (rc < 0 || (size_t)rc >= sizeof(path))
			continue;
		err[0] = '\0';
		if ((squid = cdisk_squid_store(path)) != NULL)
			log_msg(LOG_CRIT, "WARNING: cache_dir %s (%s:%d) also "
				"holds a Squid %s cache: tproxyd cannot serve "
				"its objects and leaves them alone, but they "
				"take disk space beyond the %llu MB given "
				"here; never let Squid and tproxyd use one "
				"directory at the same time (give tproxyd its "
				"own, e.g. /var/spool/tproxyd)", path,
				cd->file, cd->line, squid,
				(unsigned long long)(cd->max_bytes / w >> 20));
		rc = store_dir_open(path, cd->l1, cd->l2, cd->max_bytes / w,
				    cd->min_size, cd->max_size, cd->read_only,
				    err, sizeof(err));
		if (rc < 0)
			log_msg(LOG_CRIT, "ERROR: cache_dir %s (%s:%d): %s; "
				"going on without it", path, cd->file,
				cd->line, err[0] ? err : strerror(-rc));
		else if (err[0])
			log_msg(LOG_CRIT, "WARNING: cache_dir %s: %s", path,
				err);
		else
			log_msg(LOG_INFO, "cache_dir %s: %llu MB, objects "
				"being indexed in the background", path,
				(unsigned long long)(cd->max_bytes / w >> 20));
	}
}

/* The refresh_pattern line for url (the first that matches). */
static const struct cfg_refresh *
refresh_rule(const struct cfg *c, const char *url)
{
	size_t i;

	for (i = 0; i < c->cache.nrefresh; i++)
		if (regexec(&c->cache.refresh[i].re, url, 0, NULL, 0) == 0)
			return &c->cache.refresh[i];
	return &default_rule;
}

/* The URL the cache knows s by: store_id_program's key, or the URL
 * (refresh_pattern applies to the key, as in Squid). */
static const char *
cache_url(const struct stream *s)
{
	return s->store_id != NULL ? s->store_id : s->url;
}

/* The primary key of s's URL for method m ("GET" for HEAD too). */
static int
make_key(const struct stream *s, const char *m, char *out, size_t cap)
{
	if (s->url == NULL || s->url_len == 0)
		return -1;
	/* store_id_program's key stands for the URL (rewrite.c). */
	if (s->store_id != NULL)
		return cache_primary_key(out, cap, str_make(m, strlen(m)),
					 "http", STR_NULL,
					 str_make(s->store_id,
						  strlen(s->store_id)));
	return cache_primary_key(out, cap, str_make(m, strlen(m)), "http",
				 STR_NULL, str_make(s->url, s->url_len));
}

static int
acl_allows(const struct stream *s, const struct access_list *l)
{
	struct acl_ctx ctx;

	if (l->n == 0)
		return 1;
	strm_acl_ctx(s, &ctx);
	return acl_check(l, &ctx, ACL_ALLOW, NULL) == ACL_ALLOW;
}

/* The request carries conditions of its own (RFC 9110 13.1). */
static int
req_conditional(const struct stream *s)
{
	const struct http_msg *m = &s->reqm;

	return cache_field(m->hdr, m->nhdr, "If-None-Match") ||
	       cache_field(m->hdr, m->nhdr, "If-Modified-Since") ||
	       cache_field(m->hdr, m->nhdr, "If-Match") ||
	       cache_field(m->hdr, m->nhdr, "If-Unmodified-Since") ||
	       cache_field(m->hdr, m->nhdr, "If-Range");
}

/* The client asks for a reload (no-cache, Pragma: no-cache). */
static int
req_reload(const struct stream *s)
{
	const struct cache_req_facts *q = &s->cache.rq;

	return (q->cc_flags & CC_NO_CACHE) ||
	       (!q->has_cc && q->pragma_no_cache);
}

void
cache_fresh_now(const struct cfg *c, const char *url, const struct cobj *o,
		struct cache_fresh *f)
{
	const struct cfg_refresh *r = refresh_rule(c, url);
	struct cache_refresh rule = { r->min, r->percent, r->max };

	cache_freshness_of(&o->facts, 1, &rule, (int64_t)evl_time(), f);
	/* override-expire: the minimum holds even against an explicit
	 * expiry time. */
	if ((r->opts & CFG_RF_OVERRIDE_EXPIRE) && !f->heuristic &&
	    f->lifetime < r->min)
		f->lifetime = r->min;
	if (o->negative && f->lifetime > c->cache.negative_ttl &&
	    f->heuristic)
		f->lifetime = c->cache.negative_ttl;
}

/* The request's only-if-cached. */
static int
only_if_cached(const struct stream *s)
{
	return (s->cache.rq.cc_flags & CC_ONLY_IF_CACHED) != 0;
}

/* PURGE: Squid's way of removing a URL from the cache; allowed when
 * http_access allowed it (we are past access control) and some acl
 * names the PURGE method, as Squid requires. */
static int
purge(struct stream *s)
{
	char key[KEY_MAX];
	int n = 0, k;

	s->hier = "HIER_NONE";
	if (!cfg_acl_method_used(s->sess->cfg, "PURGE")) {
		strm_access_denied(s);
		return 1;
	}
	if ((k = make_key(s, "GET", key, sizeof(key))) > 0)
		n += store_remove_key(key, (size_t)k);
	if ((k = make_key(s, "HEAD", key, sizeof(key))) > 0)
		n += store_remove_key(key, (size_t)k);
	s->code = "TCP_MISS";
	applet_empty(s, n > 0 ? 200 : 404, n > 0 ? "OK" : "Not Found");
	return 1;
}

int
cache_lookup(struct stream *s)
{
	const struct cfg *c = s->sess->cfg;
	char key[KEY_MAX];
	struct cache_fresh f;
	struct cobj *o;
	struct h1_header cond[2];
	enum cache_use use;
	size_t nc, i;
	int k, reload;

	s->cache.req_time = (int64_t)evl_time();
	if (!store_enabled())
		return 0;
	if (s->meth == H1_M_OTHER && strcmp(s->method, "PURGE") == 0)
		return purge(s);
	if ((s->meth != H1_M_GET && s->meth != H1_M_HEAD) ||
	    s->sess->stats_port)
		return 0;
	/* cache deny: neither stored nor answered from the cache. */
	if (!acl_allows(s, &c->cache.cache))
		return 0;
	s->cache.on = 1;
	if (!acl_allows(s, &c->cache.send_hit))
		return 0;
	/* A request's no-store: neither stored nor answered from the
	 * cache (RFC 9111 5.2.1.5 allows either; this is the safe one). */
	cache_req_read(s->reqm.hdr, s->reqm.nhdr, &s->cache.rq);
	if (s->cache.rq.cc_flags & CC_NO_STORE)
		return 0;
	k = make_key(s, "GET", key, sizeof(key));
	if (k <= 0)
		return 0;
	stats.cache_lookups++;
	o = store_lookup(key, (size_t)k, s->reqm.hdr, s->reqm.nhdr,
			 c->cache.collapsed_forwarding);
	if (o == NULL)
		goto miss;
	if (!o->complete) {
		/* collapsed_forwarding: wait for the fill in progress. */
		cache_hit_start(s, o, "TCP_CF_HIT");
		return 1;
	}
	reload = req_reload(s);
	cache_fresh_now(c, cache_url(s), o, &f);
	use = cache_use_of(&o->facts, &f, &s->cache.rq, 1);
	if (reload) {
		const struct cfg_refresh *r = refresh_rule(c, cache_url(s));

		/* ignore-reload: the client's reload is not honoured. */
		if (r->opts & CFG_RF_IGNORE_RELOAD)
			use = f.lifetime > f.age ? CACHE_USE_FRESH : use;
	}
	if (use != CACHE_USE_REVALIDATE || c->cache.offline_mode) {
		store_touch(o, evl_now());
		cache_hit_start(s, o, o->head.status >= 400 ?
				"TCP_NEGATIVE_HIT" : "TCP_MEM_HIT");
		return 1;
	}
	/* Stale, or the client wants it checked: revalidate when it has
	 * validators and the client sent no conditions of its own; never
	 * for only-if-cached (a sibling asking for our copy): 504. */
	if (only_if_cached(s)) {
		store_unref(o);
		goto miss;
	}
	nc = cache_cond_fields(cond, o->head.hdr, o->head.nhdr);
	if (nc == 0 || req_conditional(s)) {
		store_unref(o);
		if (reload)
			s->code = "TCP_CLIENT_REFRESH_MISS";
		goto miss;
	}
	for (i = 0; i < nc; i++)
		if (req_add_field(s, cond[i].name, cond[i].value) < 0) {
			store_unref(o);
			goto miss;
		}
	s->cache.found = o;
	s->cache.cond = 1;
	s->code = reload ? "TCP_CLIENT_REFRESH_MISS" : "TCP_REFRESH_MODIFIED";
	return 0;

miss:
	/* only-if-cached (RFC 9111 5.2.1.7): a miss gets 504. */
	{
		if (only_if_cached(s)) {
			s->hier = "HIER_NONE";
			strm_error(s, 504, "ERR_ONLY_IF_CACHED_MISS",
				   "The object is not in the cache and the "
				   "request allows only a cached answer "
				   "(only-if-cached).");
			return 1;
		}
	}
	return 0;
}

/* Remove the stored responses an unsafe method's success makes stale
 * (RFC 9111 4.4). */
static void
invalidate(struct stream *s, const struct h1_resp *resp)
{
	char uris[3][CACHE_URI_MAX], key[KEY_MAX];
	int n, i, k;

	n = cache_invalidate(uris, str_make(s->method, strlen(s->method)),
			     resp->status, str_make(s->url, s->url_len),
			     resp->hdr, resp->nhdr);
	for (i = 0; i < n; i++) {
		k = snprintf(key, sizeof(key), "GET %s", uris[i]);
		if (k > 0 && (size_t)k < sizeof(key))
			store_remove_key(key, (size_t)k);
	}
}

/* The 304 (rc bytes, no body) is consumed: the server connection goes
 * back to the pool when it can serve another request, else is closed. */
static void
settle_304(struct stream *s, size_t rc)
{
	struct srv *srv = s->srv;
	int reusable;

	buf_consume(&srv->ibuf, rc);
	reusable = s->srv_reusable && s->req_sent && !srv->conn.eof &&
		   buf_empty(&srv->ibuf);
	s->srv = NULL;
	s->res.in = NULL;
	if (reusable)
		srv_release(srv, s->sess->cfg->server_idle_pconn_timeout);
	else
		srv_close(srv);
}

/* The server's 304 refreshes s->cache.found: update it and answer from
 * it. Returns 1 when done so. */
static int
refreshed(struct stream *s, const struct h1_resp *resp, size_t rc)
{
	struct cobj *o = s->cache.found;
	struct h1_header merged[H1_MAX_HEADERS];
	int n;

	/* s->cache.cond: the conditions are the cache's own (the client
	 * sent none), made from o's validators. */
	if (!cache_304_selects(o->head.hdr, o->head.nhdr, resp->hdr,
			       resp->nhdr, 1))
		return 0;
	n = cache_update_304(merged, H1_MAX_HEADERS, o->head.hdr,
			     o->head.nhdr, resp->hdr, resp->nhdr);
	if (n < 0 || store_set_head(o, merged, (size_t)n, s->cache.req_time,
				    (int64_t)evl_time()) < 0)
		return 0;
	settle_304(s, rc);
	s->cache.found = NULL;
	s->cache.cond = 0;
	store_touch(o, evl_now());
	cache_hit_start(s, o, "TCP_REFRESH_UNMODIFIED");
	return 1;
}

int
cache_304_retry(struct stream *s, const struct h1_resp *resp,
		const struct h1_info *info, size_t rc)
{
	struct cobj *o = s->cache.found;

	if (!s->cache.cond || o == NULL || resp->status != 304 ||
	    cache_304_selects(o->head.hdr, o->head.nhdr, resp->hdr,
			      resp->nhdr, 1))
		return 0;
	/* A 304 that does not select the stored response (another
	 * validator: the object changed, or the server has several) cannot
	 * refresh it, and the client, which sent no conditions, cannot be
	 * given a 304 (RFC 9111 4.3.4): the request goes again without the
	 * cache's conditions, once (cache.cond is cleared). */
	log_msg(LOG_INFO, "%s: the server's 304 does not match the stored "
		"copy's validators; asking again without conditions",
		s->url);
	store_unref(o);
	s->cache.found = NULL;
	s->cache.cond = 0;
	(void)req_del_field(s, "If-None-Match");
	(void)req_del_field(s, "If-Modified-Since");
	s->srv_reusable = !info->conn_close &&
			  (resp->minor == 1 || info->conn_keepalive);
	settle_304(s, rc);
	srv_send_again(s);
	srv_acquire(s);
	return 1;
}

/* Whether the response may be stored, beyond RFC 9111's rules. */
static int
store_allowed(const struct stream *s, const struct h1_info *info)
{
	const struct cfg_cache *cc = &s->sess->cfg->cache;

	if (!s->cache.on || s->meth != H1_M_GET || !store_enabled())
		return 0;
	/* Intercepted: only a Host verified to be where the client went. */
	if (s->host_forged || s->verify_pending)
		return 0;
	if (s->peer != NULL && s->peer->proxy_only)
		return 0;
	if (info->has_cl && (info->cl > cc->max_obj ||
			     info->cl < cc->min_obj))
		return 0;
	return acl_allows(s, &cc->store_miss);
}

int
cache_response(struct stream *s, const struct h1_resp *resp,
	       const struct h1_info *info, size_t rc)
{
	return cache_response_head(s, resp, info, buf_head(&s->srv->ibuf),
				   rc);
}

int
cache_response_head(struct stream *s, const struct h1_resp *resp,
		    const struct h1_info *info, const char *head, size_t rc)
{
	const struct cfg_refresh *r;
	struct cache_xchg x;
	enum cache_store why;
	char key[KEY_MAX], vkey[VKEY_MAX];
	const char *vk = NULL;
	int k, vn;

	if (s->cache.cond && s->cache.found != NULL) {
		if (resp->status == 304 && refreshed(s, resp, rc))
			return 1;
		store_unref(s->cache.found);
		s->cache.found = NULL;
	}
	if (s->meth != H1_M_GET && s->meth != H1_M_HEAD &&
	    resp->status < 400)
		invalidate(s, resp);
	if (!store_allowed(s, info))
		return 0;
	memset(&x, 0, sizeof(x));
	x.method = STR_LIT("GET");
	x.req = s->reqm.hdr;
	x.nreq = s->reqm.nhdr;
	x.status = resp->status;
	x.resp = resp->hdr;
	x.nresp = resp->nhdr;
	why = cache_storable(&x, 1);
	r = refresh_rule(s->sess->cfg, cache_url(s));
	if ((why == CACHE_NS_NO_STORE &&
	     (r->opts & CFG_RF_IGNORE_NO_STORE)) ||
	    (why == CACHE_NS_PRIVATE && (r->opts & CFG_RF_IGNORE_PRIVATE)))
		why = CACHE_STORE_OK;
	if (why != CACHE_STORE_OK) {
		if (log_enabled(LOG_DEBUG))
			log_msg(LOG_DEBUG, "not storing %s: %s", s->url,
				cache_store_str(why));
		return 0;
	}
	k = make_key(s, "GET", key, sizeof(key));
	if (k <= 0)
		return 0;
	vn = cache_vary_key(vkey, sizeof(vkey), resp->hdr, resp->nhdr,
			    s->reqm.hdr, s->reqm.nhdr);
	if (vn < 0)
		return 0;
	if (vn > 0)
		vk = vkey;
	s->cache.fill = store_new(key, (size_t)k, vk, (size_t)vn, resp,
				  head, rc,
				  info->has_cl && !info->has_te ?
				  (int64_t)info->cl : -1, s->cache.req_time,
				  (int64_t)evl_time());
	if (s->cache.fill == NULL)
		return 0;
	s->cache.fill->negative = resp->status >= 400;
	s->cache.dechunk = s->resp_body;
	if (s->resp_body.kind == H1_BODY_NONE)
		store_complete(s->cache.fill);
	return 0;
}
