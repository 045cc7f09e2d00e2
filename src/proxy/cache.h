/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache.h - the HTTP cache in the request path (types in cache-t.h):
 *
 *   cache_req.c   the lookup phase (hit, revalidation, miss, PURGE,
 *                 only-if-cached), and the cache's part of a server's
 *                 response (a 304 that refreshes, invalidation, whether
 *                 to store it);
 *   cache_fill.c  storing a response's body as it is relayed;
 *   cache_hit.c   answering from a stored response (an applet).
 */
#ifndef TPROXYD_PROXY_CACHE_H
#define TPROXYD_PROXY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "http/h1-t.h"

struct stream;
struct cobj;

/* Apply the configuration's store limits (at start and reconfigure). */
struct cfg;
void cache_configure(const struct cfg *c);
/* Open the cache_dirs (after fork and after privileges are dropped, in
 * each serving process; kid: the worker's number, with workers). A dir
 * that cannot be opened is logged and left out. */
void cache_open_disks(const struct cfg *c, unsigned kid);
/* Reconfigure: cache_dir lines take effect at the next start only; a
 * change is logged. */
void cache_dirs_check(const struct cfg *old, const struct cfg *c);

/*
 * The lookup phase (phase.c, after access control and Host
 * verification). Returns 1 when the stream was answered from here (a
 * hit, a PURGE, only-if-cached), 0 to go on to a server (maybe with
 * validators added to revalidate a stored response).
 */
int cache_lookup(struct stream *s);

/*
 * A final response head from the server (srv_h1.c, after the reply
 * rules): rc bytes at the head of the server's buffer, parsed as resp.
 * Refreshes a revalidated object on a 304 and answers from it (returns
 * 1: the head was consumed and the server side settled); invalidates on
 * unsafe methods; starts storing a storable response. Returns 0 to relay
 * the response as usual.
 */
int cache_response(struct stream *s, const struct h1_resp *resp,
		   const struct h1_info *info, size_t rc);
/* A 304 answering the cache's own revalidation that does not match the
 * stored copy (srv_h1.c, before the reply rules): the request is sent
 * again without the cache's conditions. 1 when so (the 304 was consumed
 * and the server side settled), 0 otherwise. */
int cache_304_retry(struct stream *s, const struct h1_resp *resp,
		    const struct h1_info *info, size_t rc);
/* The same for a head of rc bytes at head (an ICAP service's adapted
 * response, adapt.c); never called for a revalidation's answer. */
int cache_response_head(struct stream *s, const struct h1_resp *resp,
			const struct h1_info *info, const char *head,
			size_t rc);

/* Approved response body bytes (srv_scan_resp()): stored when the
 * response is being stored. */
void cache_fill_data(struct stream *s, const char *p, size_t n);
/* The disk is behind with the response being stored: do not read more
 * of it from the server now (the stream is woken when it may). */
int cache_fill_throttled(const struct stream *s);
/* The response being stored will not be received whole (an error). */
void cache_fill_abort(struct stream *s);
/* The whole response body was scanned: a fill becomes a complete
 * object (or is dropped when it was cut). */
void cache_fill_end(struct stream *s);
/* Settle the stream's cache state: a complete fill is stored, an
 * incomplete one dropped, references released. Before strm_reset(). */
void cache_strm_end(struct stream *s);

/* Siblings (cache_sibling.c): answer their queries and ask them
 * (ports: this process opens icp_port and htcp_port; with workers only
 * one does). Restarted on reconfigure; stop: queries waiting go on
 * without them. */
void cache_siblings_start(struct cfg *c, int ports);
void cache_siblings_stop(void);
/* On a miss that may be stored: ask the siblings; 1 when s waits for
 * their answers (phase_run() is called again with s->cache.sib_hit set
 * when one has it). */
int cache_sibling_ask(struct stream *s);
void cache_sibling_cancel(struct stream *s);

/* The freshness of the stored o now, for url under c's refresh_pattern
 * lines (Squid's built-in rule without any), negative_ttl and
 * override-expire. */
struct cache_fresh;
void cache_fresh_now(const struct cfg *c, const char *url,
		     const struct cobj *o, struct cache_fresh *f);

/* Answer s from the stored response o (a reference the stream takes
 * over) with log code code. */
void cache_hit_start(struct stream *s, struct cobj *o, const char *code);

#endif
