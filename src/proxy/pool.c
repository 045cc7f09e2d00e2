/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pool.c - idle server connections, kept for reuse.
 *
 * Keyed by destination address AND bound source address (and parent peer):
 * a connection spoofed with one client's address must never carry another
 * client's request (HAProxy reg-test http_reuse_be_transparent). Buckets are
 * LIFO so the most recently used, warmest connection goes first; a global
 * LRU list caps how many idle connections are kept in all.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "event/loop.h"
#include "proxy/pool.h"
#include "proxy/srv.h"
#include "stats/stats.h"

#define POOL_BUCKETS 1024	/* power of two */
#define POOL_MAX     4096	/* idle connections kept in all */

static struct srv *bucket[POOL_BUCKETS];
static struct srv lru = { .lru_next = &lru, .lru_prev = &lru };
static unsigned count;

static uint32_t
hash_bytes(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 16777619u;
	return h;
}

/* Hash only the address bytes and port (sockaddr padding is not zeroed
 * everywhere). */
static uint32_t
hash_sa(uint32_t h, const struct sockaddr *sa)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	if (sa == NULL || sa->sa_family == 0)
		return h;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)sa;
		h = hash_bytes(h, &s4->sin_addr, 4);
		return hash_bytes(h, &s4->sin_port, 2);
	}
	s6 = (const struct sockaddr_in6 *)sa;
	h = hash_bytes(h, &s6->sin6_addr, 16);
	return hash_bytes(h, &s6->sin6_port, 2);
}

static int
key_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;
	int fa = a ? a->sa_family : 0, fb = b ? b->sa_family : 0;

	if (fa != fb)
		return 0;
	if (fa == 0)
		return 1;
	if (fa == AF_INET) {
		a4 = (const struct sockaddr_in *)a;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const struct sockaddr_in6 *)a;
	b6 = (const struct sockaddr_in6 *)b;
	return a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

static unsigned
key_of(const struct sockaddr *dst, const struct sockaddr *src,
       const void *peer)
{
	uint32_t h = 2166136261u;

	h = hash_sa(h, dst);
	h = hash_sa(h, src);
	h = hash_bytes(h, &peer, sizeof(peer));
	return h & (POOL_BUCKETS - 1);
}

struct srv *
pool_get(const struct sockaddr *dst, socklen_t dstlen,
	 const struct sockaddr *src, socklen_t srclen, const void *peer,
	 const char *tls_host)
{
	struct srv *s;

	(void)dstlen;
	(void)srclen;
	for (s = bucket[key_of(dst, src, peer)]; s; s = s->pool_next) {
		if (s->peer == peer &&
		    (tls_host == NULL ? s->tls_host == NULL :
		     s->tls_host != NULL &&
		     strcmp(s->tls_host, tls_host) == 0) &&
		    key_equal((const struct sockaddr *)&s->dst, dst) &&
		    key_equal(s->src.ss_family ?
			     (const struct sockaddr *)&s->src : NULL, src)) {
			pool_remove(s);
			evl_timer_stop(&s->idle_timer);
			return s;
		}
	}
	return NULL;
}

void
pool_put(struct srv *srv)
{
	unsigned k = key_of((const struct sockaddr *)&srv->dst,
			    srv->src.ss_family ?
			    (const struct sockaddr *)&srv->src : NULL,
			    srv->peer);

	if (count >= POOL_MAX)
		srv_close(lru.lru_prev);	/* the oldest */
	srv->pool_prev = NULL;
	srv->pool_next = bucket[k];
	if (bucket[k])
		bucket[k]->pool_prev = srv;
	bucket[k] = srv;
	srv->lru_next = lru.lru_next;
	srv->lru_prev = &lru;
	lru.lru_next->lru_prev = srv;
	lru.lru_next = srv;
	count++;
	stats.servers_idle++;
}

void
pool_remove(struct srv *srv)
{
	unsigned k;

	if (srv->lru_next == NULL)
		return;	/* not pooled */
	k = key_of((const struct sockaddr *)&srv->dst,
		   srv->src.ss_family ? (const struct sockaddr *)&srv->src :
		   NULL, srv->peer);
	if (srv->pool_prev)
		srv->pool_prev->pool_next = srv->pool_next;
	else
		bucket[k] = srv->pool_next;
	if (srv->pool_next)
		srv->pool_next->pool_prev = srv->pool_prev;
	srv->lru_prev->lru_next = srv->lru_next;
	srv->lru_next->lru_prev = srv->lru_prev;
	srv->pool_next = srv->pool_prev = NULL;
	srv->lru_next = srv->lru_prev = NULL;
	count--;
	stats.servers_idle--;
}

void
pool_close_all(void)
{
	while (lru.lru_next != &lru)
		srv_close(lru.lru_next);
}
