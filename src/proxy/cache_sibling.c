/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache_sibling.c - the cache's sibling peers (Squid's TPROXY guide
 * cluster: "cache_peer HOST sibling HTTP_PORT ICP_PORT no-tproxy"): this
 * process answers their ICP and HTCP queries from its store, and asks
 * them on a miss; a sibling that has the object is fetched from, without
 * spoofing the client's address (the WCCP router must see the sibling's
 * answer come back to this cache), and with "Cache-Control:
 * only-if-cached" so that a sibling that lost it answers 504 instead of
 * fetching it (the next route is then tried). The protocols are in
 * cache/icp.c, cache/htcp.c and proxy/sibling.c.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "cache/policy.h"
#include "cache/store.h"
#include "config/config.h"
#include "event/loop.h"
#include "log/access_log.h"
#include "log/log.h"
#include "proxy/cache.h"
#include "proxy/phase.h"
#include "proxy/sibling.h"
#include "proxy/stream.h"

#define KEY_MAX (CACHE_URI_MAX + 16)

static struct {
	struct cfg      *cfg;	/* a reference, while running */
	struct sib_peer *peers;
	int              npeers;
	int              on;
} K;

/* ICP/HTCP: is a fresh response for url stored? */
static int
sib_lookup(const char *url, size_t len)
{
	char key[KEY_MAX];
	struct cache_fresh f;
	struct cobj *o;
	int fresh;

	if (len + 5 > sizeof(key) || !store_enabled() || K.cfg == NULL)
		return 0;
	memcpy(key, "GET ", 4);
	memcpy(key + 4, url, len);
	key[4 + len] = '\0';
	o = store_lookup(key, len + 4, NULL, 0, 0);
	if (o == NULL)
		return 0;
	cache_fresh_now(K.cfg, key + 4, o, &f);
	/* icp_hit_stale: a stale object is a hit too. */
	fresh = f.lifetime > f.age || K.cfg->cache.icp_hit_stale;
	store_unref(o);
	return fresh;
}

/* HTCP CLR: drop url. */
static int
sib_clear(const char *url, size_t len)
{
	char key[KEY_MAX];

	if (len + 5 > sizeof(key))
		return 0;
	memcpy(key, "GET ", 4);
	memcpy(key + 4, url, len);
	return store_remove_key(key, len + 4) > 0;
}

/* log_icp_queries: one access.log line per query answered, as Squid's
 * ("UDP_HIT/000 BYTES ICP_QUERY URL - HIER_NONE/- -"). */
static void
sib_log(const struct sib_log *l)
{
	struct alog_rec r;
	struct acl_ctx ctx;

	if (K.cfg == NULL || !K.cfg->cache.log_icp_queries)
		return;
	memset(&r, 0, sizeof(r));
	memset(&ctx, 0, sizeof(ctx));
	evl_now_update();
	r.end = r.start = evl_now();
	r.client = l->client;
	r.code = l->code;
	r.bytes = l->bytes;
	r.method = str_make(l->method, strlen(l->method));
	r.url = l->url;
	r.minor = -1;
	r.hier = "HIER_NONE";
	ctx.client = l->client;
	ctx.direct = l->client;
	ctx.method = r.method;
	ctx.url = l->url;
	alog_write(&r, &ctx);
}

/* cache_peer_access: ask only the siblings the request may use. */
static int
sib_may_ask(const struct sib_peer *p, void *arg)
{
	struct stream *s = arg;
	const struct cfg_peer *cp = &s->sess->cfg->peer[(uintptr_t)p->data];
	struct acl_ctx ctx;

	if ((uintptr_t)p->data >= s->sess->cfg->npeer)
		return 0;
	strm_acl_ctx(s, &ctx);
	return acl_check(&cp->access, &ctx, ACL_ALLOW, NULL) == ACL_ALLOW;
}

/* A sibling named by host name: its address, resolved once (at start
 * or reconfigure, as Squid resolves its peers). */
static void
resolve(struct sib_peer *p, const struct cfg_peer *cp)
{
	struct addrinfo hints, *ai = NULL;
	char port[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(port, sizeof(port), "%u", cp->icp_port);
	if (getaddrinfo(cp->host, port, &hints, &ai) != 0 || ai == NULL) {
		log_msg(LOG_CRIT, "WARNING: cache_peer %s (%s:%d): cannot "
			"resolve it; it is not asked", cp->host, cp->file,
			cp->line);
		return;
	}
	memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
	p->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
}

void
cache_siblings_stop(void)
{
	if (!K.on)
		return;
	sib_stop();
	free(K.peers);
	K.peers = NULL;
	cfg_unref(K.cfg);
	K.cfg = NULL;
	K.on = 0;
}

void
cache_siblings_start(struct cfg *c, int ports)
{
	struct sib_opts o;
	char err[256];
	int n, i;

	cache_siblings_stop();
	memset(&o, 0, sizeof(o));
	n = sib_opts_from_cfg(&o, c, &K.peers);
	if (n < 0) {
		log_msg(LOG_CRIT, "ERROR: siblings: out of memory");
		return;
	}
	if (n == 0 && c->cache.icp_port == 0 && c->cache.htcp_port == 0)
		return;
	for (i = 0; i < n; i++)
		if (K.peers[i].addrlen == 0 && !K.peers[i].no_query)
			resolve(&K.peers[i],
				&c->peer[(uintptr_t)K.peers[i].data]);
	/* With workers, one process answers on the ports (they cannot be
	 * shared); every worker asks the siblings. */
	if (!ports) {
		o.icp_port = 0;
		o.htcp_port = 0;
	}
	o.lookup = sib_lookup;
	o.clear = sib_clear;
	o.log = sib_log;
	o.may_ask = sib_may_ask;
	if (sib_start(&o, err, sizeof(err)) < 0) {
		log_msg(LOG_CRIT, "ERROR: %s; siblings are not used", err);
		free(K.peers);
		K.peers = NULL;
		return;
	}
	K.cfg = cfg_ref(c);
	K.npeers = n;
	K.on = 1;
	if (sib_icp_port() || sib_htcp_port())
		log_msg(LOG_INFO, "Accepting ICP messages on port %u, HTCP "
			"messages on port %u", sib_icp_port(),
			sib_htcp_port());
}

/* A sibling's answer for s. */
static void
asked(void *arg, struct sib_peer *hit)
{
	struct stream *s = arg;

	s->cache.sibq = NULL;
	if (hit != NULL) {
		s->cache.sib_hit = 1;
		s->cache.sib_peer = (int)(uintptr_t)hit->data;
	}
	phase_run(s);
	strm_wake(s);
}

int
cache_sibling_ask(struct stream *s)
{
	if (!K.on || K.npeers == 0 || s->cache.sib_asked ||
	    !s->cache.on || s->meth != H1_M_GET || s->host_forged)
		return 0;
	s->cache.sib_asked = 1;
	s->cache.sibq = sib_query(s->url, s->url_len, asked, s);
	return s->cache.sibq != NULL;
}

void
cache_sibling_cancel(struct stream *s)
{
	if (s->cache.sibq != NULL)
		sib_cancel(s->cache.sibq);
	s->cache.sibq = NULL;
}
