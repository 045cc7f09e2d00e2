/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache_fill.c - storing a response's body while it is relayed: the
 * bytes the framing scanner approves for the client are appended to the
 * object (a chunked body is stored decoded, with its own decoder state,
 * since the client may get the framing as it came); the object is
 * complete when the whole body was seen, and dropped when the transfer
 * is cut, too large, or the client goes away first.
 */
#include <stdlib.h>
#include <string.h>

#include "cache/store.h"
#include "http/h1.h"
#include "log/log.h"
#include "proxy/cache.h"
#include "proxy/stream.h"
#include "stats/stats.h"

#define DECHUNK_STACK 16384

static void
fill_wake(void *arg)
{
	strm_wake(arg);
}

/* Stop storing: the object is dropped. */
static void
fill_drop(struct stream *s, const char *why)
{
	struct cobj *o = s->cache.fill;

	if (o == NULL)
		return;
	store_unwait(o, &s->cache.fill_wait);
	if (log_enabled(LOG_DEBUG) && why != NULL)
		log_msg(LOG_DEBUG, "not storing %s: %s", s->url, why);
	store_fail(o);
	store_unref(o);
	s->cache.fill = NULL;
}

/* The disk is behind with this object: the server is not read until it
 * catches up (srv_want_read() asks cache_fill_throttled()). */
static void
fill_throttle(struct stream *s)
{
	s->cache.fill_wait.cb = fill_wake;
	s->cache.fill_wait.arg = s;
	store_fill_wait(s->cache.fill, &s->cache.fill_wait);
}

int
cache_fill_throttled(const struct stream *s)
{
	return s->cache.fill != NULL && store_fill_busy(s->cache.fill);
}

void
cache_fill_data(struct stream *s, const char *p, size_t n)
{
	struct cobj *o = s->cache.fill;
	char stack[DECHUNK_STACK], *tmp;
	size_t rest;
	ssize_t k;
	int done = 0;

	if (o == NULL || n == 0)
		return;
	if (s->resp_body.kind != H1_BODY_CHUNKED || s->dechunk) {
		if (store_append(o, p, n) < 0)
			fill_drop(s, "larger than the cache's limits");
		else
			fill_throttle(s);
		return;
	}
	/* The client gets the chunks as they came; the store keeps the
	 * data alone, decoded from a copy. */
	tmp = n <= sizeof(stack) ? stack : malloc(n);
	if (tmp == NULL) {
		fill_drop(s, "out of memory");
		return;
	}
	memcpy(tmp, p, n);
	rest = n;
	k = h1_dechunk(&s->cache.dechunk, tmp, &rest, &done);
	if (k < 0)
		fill_drop(s, "invalid chunked body");
	else if (k > 0 && store_append(o, tmp, (size_t)k) < 0)
		fill_drop(s, "larger than the cache's limits");
	else
		fill_throttle(s);
	if (tmp != stack)
		free(tmp);
}

void
cache_fill_abort(struct stream *s)
{
	fill_drop(s, "the transfer was cut");
}

void
cache_fill_end(struct stream *s)
{
	struct cobj *o = s->cache.fill;

	if (o == NULL || !s->resp_scanned)
		return;
	store_unwait(o, &s->cache.fill_wait);
	/* Complete only when the whole body went by and its length is
	 * what was declared. */
	if (!s->aborted && (o->clen < 0 || (uint64_t)o->clen == o->body_len)) {
		store_complete(o);
		stats.cache_stored++;
	} else
		store_fail(o);
	store_unref(o);
	s->cache.fill = NULL;
}

void
cache_strm_end(struct stream *s)
{
	struct strm_cache *c = &s->cache;

	struct store_stats st;

	cache_sibling_cancel(s);
	cache_fill_end(s);
	fill_drop(s, NULL);	/* cut before its end */
	if (c->served && !s->sess->stats_port) {
		stats.cache_hits++;
		stats.cache_hit_bytes += s->bytes_out;
	}
	c->served = 0;
	/* The gauges, now that the store may have changed. */
	store_get_stats(&st);
	stats.cache_objects = st.objects;
	stats.cache_mem_bytes = st.mem_bytes;
	stats.cache_mem_max = st.mem_max;
	stats.cache_disk_bytes = st.disk_bytes;
	stats.cache_disk_max = st.disk_max;
	if (c->found != NULL) {
		store_unref(c->found);
		c->found = NULL;
	}
}
