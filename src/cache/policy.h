/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.h - the decisions RFC 9111 makes about one request/response
 * pair: pure functions, no I/O, no event loop, no state.
 *
 * Header lists are arrays of struct h1_header views; output header lists
 * hold views into the inputs.
 */
#ifndef TPROXYD_CACHE_POLICY_H
#define TPROXYD_CACHE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "cache/cache-t.h"

/* Parse every Cache-Control field line of h (5.2). Repeated directives:
 * the first is kept. A bad number in max-age or s-maxage makes it 0 (the
 * response is stale, 4.2.1); in other directives it is ignored. */
void cache_cc_parse(struct cache_cc *cc, const struct h1_header *h,
		    size_t n);

/* The first field line of h named name (any case), or NULL. */
const struct h1_header *cache_field(const struct h1_header *h, size_t n,
				    const char *name);

/* Parse an HTTP-date (RFC 9110 5.6.7: IMF-fixdate, RFC 850, asctime).
 * Returns seconds since the epoch, or -1 if it is not a date. */
int64_t cache_parse_date(struct str s);

/* Whether a response may be stored (section 3, 3.5). shared: a shared
 * cache (a proxy's). */
enum cache_store cache_storable(const struct cache_xchg *x, int shared);
const char *cache_store_str(enum cache_store r);

/* Status codes heuristically cacheable (RFC 9110 15.1) and understood. */
int cache_status_heuristic(int status);
int cache_status_understood(int status);

/* Freshness lifetime (4.2.1, 4.2.2) and current age at now (4.2.3).
 * rule: heuristic when nothing explicit (NULL: none, lifetime 0). */
void cache_freshness(const struct cache_xchg *x, int shared,
		     const struct cache_refresh *rule, int64_t now,
		     struct cache_fresh *f);

/* The same in two steps: read what matters of the stored response once
 * (cache_resp_read), then its freshness at any time from that. */
void cache_resp_read(const struct cache_xchg *x, struct cache_resp_facts *rf);
void cache_freshness_of(const struct cache_resp_facts *rf, int shared,
			const struct cache_refresh *rule, int64_t now,
			struct cache_fresh *f);

/* Whether a stored response (x: the exchange that stored it; f: its
 * freshness now) may answer a request with header list rq (4.2, 4.2.4,
 * 5.2.1, 5.2.2, 5.4). */
enum cache_use cache_use(const struct cache_xchg *x,
			 const struct cache_fresh *f,
			 const struct h1_header *rq, size_t nrq, int shared);

/* The same from facts read once: the request's (cache_req_read) and the
 * stored response's (cache_resp_read). */
void cache_req_read(const struct h1_header *rq, size_t nrq,
		    struct cache_req_facts *q);
enum cache_use cache_use_of(const struct cache_resp_facts *rf,
			    const struct cache_fresh *f,
			    const struct cache_req_facts *q, int shared);

/* Primary key (section 2): "METHOD SP effective-URI". target is the
 * request-target; an origin-form one is joined to scheme and host (the
 * Host field). Scheme and host are lowercased, a default port dropped.
 * Returns the length written (NUL-terminated) or -1 if it does not fit
 * or the target is not origin- or absolute-form. */
int cache_primary_key(char *out, size_t cap, struct str method,
		      const char *scheme, struct str host, struct str target);

/* Secondary key (4.1): for each field named in the stored response's
 * Vary, the request's values. Names lowercased and sorted, duplicates
 * dropped; a present field is "name=value\n" with the field lines joined
 * by ", " and whitespace around commas removed, an absent one "name\n".
 * Returns the length (NUL-terminated), 0 without Vary, -1 on Vary: * and
 * -2 if it does not fit. */
int cache_vary_key(char *out, size_t cap, const struct h1_header *resp,
		   size_t nresp, const struct h1_header *req, size_t nreq);

/* Validators for revalidating a stored response (4.3.1): If-None-Match
 * from ETag, If-Modified-Since from Last-Modified. Fills out (values are
 * views into stored). Returns the count (0..2). */
size_t cache_cond_fields(struct h1_header out[2],
			 const struct h1_header *stored, size_t nstored);

/* Whether a 304 (r304) selects this stored response for update (4.3.4):
 * its ETag matches the stored one (strong comparison for a strong ETag,
 * weak for a weak one), or without ETag its Last-Modified is the stored
 * one; a 304 with neither selects only a response without validators,
 * unless own is set: the cache made the request conditional itself, from
 * this stored response's validators, so a 304 that names no validator can
 * only be about it (servers such as Python's http.server send no
 * Last-Modified in their 304s). */
int cache_304_selects(const struct h1_header *stored, size_t nstored,
		      const struct h1_header *r304, size_t n304, int own);

/* The stored header list after a 304 (4.3.4, 3.2): each field of the 304
 * replaces the stored lines of that name; the others stay. Never taken
 * from the 304: Content-Length, hop-by-hop fields and the ones its
 * Connection names. Returns the count or -1 if more than cap. */
int cache_update_304(struct h1_header *out, size_t cap,
		     const struct h1_header *stored, size_t nstored,
		     const struct h1_header *r304, size_t n304);

/* Invalidation (4.4): for an unsafe method answered with a non-error
 * status, the URIs whose stored responses go: the effective request URI,
 * and Location and Content-Location when they have its origin. uri is
 * the absolute effective request URI. Writes up to 3 NUL-terminated URIs
 * into out[i] (each CACHE_URI_MAX); returns the count. */
#define CACHE_URI_MAX 2048
int cache_invalidate(char out[3][CACHE_URI_MAX], struct str method,
		     int status, struct str uri,
		     const struct h1_header *resp, size_t nresp);

#endif
