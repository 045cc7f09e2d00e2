/*
 * store.h - the store of one process (types in store-t.h): the index of
 * stored responses, their bodies in memory, the cache_mem bound and
 * replacement, and the readers waiting for an object being filled.
 *
 * Nothing here knows streams or sockets: the proxy looks objects up,
 * fills them from a server's response, and reads them to answer hits.
 */
#ifndef TPROXYD_CACHE_STORE_H
#define TPROXYD_CACHE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "cache/store-t.h"
#include "http/h1-t.h"

/* Limits (cache_mem, maximum_object_size_in_memory, the memory
 * replacement policy: enum cfg_repl). May be called again (reconfigure):
 * objects over a new limit go at once. */
void store_configure(uint64_t mem_max, uint64_t max_obj_mem, int repl);
/* Whether anything may be stored at all (cache_mem > 0, or a
 * cache_dir). */
int store_enabled(void);
/* Drop every object (at exit; tests). */
void store_clear(void);

/*
 * The object for a request: among the indexed variants of the primary
 * key (klen bytes at key), the newest complete one whose secondary key
 * matches the request's fields (rq, nrq); when none is complete and
 * want_filling, one being filled. Returns it with a reference taken
 * (store_unref()), or NULL.
 */
struct cobj *store_lookup(const char *key, size_t klen,
			  const struct h1_header *rq, size_t nrq,
			  int want_filling);

/*
 * A new object being filled, indexed at once (collapsed readers can
 * find it); lookups of complete objects still return the older variant
 * until this one completes. head: the response head as received (hlen
 * bytes at base, parsed as resp). vkey: its secondary key (NULL: no
 * Vary). clen: the declared body length, -1 when unknown. Returns it with
 * the filler's reference, or NULL (out of memory).
 */
struct cobj *store_new(const char *key, size_t klen, const char *vkey,
		       size_t vklen, const struct h1_resp *resp,
		       const char *base, size_t hlen, int64_t clen);
/* Append body bytes. 0, or -EFBIG (over the memory limits: the object
 * is failed) or -ENOMEM. Wakes the waiters. */
int store_append(struct cobj *o, const void *p, size_t n);
/* The body is whole: older variants with the same secondary key leave
 * the index; the object becomes subject to replacement. */
void store_complete(struct cobj *o);
/* Filling stopped before the end: the object leaves the index; readers
 * see o->failed. */
void store_fail(struct cobj *o);

/*
 * Replace the stored head (after a 304, RFC 9111 4.3.4): the fields
 * given (views that may point into the old head) become the new head.
 * Returns 0 or -ENOMEM (the object is unchanged).
 */
int store_set_head(struct cobj *o, const struct h1_header *hdr, size_t n,
		   int64_t request_time, int64_t response_time);

void store_ref(struct cobj *o);
void store_unref(struct cobj *o);
/* A hit: recency and frequency for replacement. */
void store_touch(struct cobj *o, double now);

/* Remove every variant of the primary key; returns how many. */
int store_remove_key(const char *key, size_t klen);

/* Wait for o to change (more bytes, complete, failed): w->cb(w->arg)
 * is called once from the loop. store_unwait() cancels. */
void store_wait(struct cobj *o, struct cwait *w);
void store_unwait(struct cobj *o, struct cwait *w);

/* The next body bytes after cursor cur (zeroed: from the start): a view
 * of up to the rest of one chunk, valid while the reference is held.
 * Returns the length, 0 when nothing more is stored yet; the caller
 * moves the cursor with store_cursor_skip() as it uses them. */
size_t store_body_next(const struct cobj *o, struct ccursor *cur,
		       const char **p);
void store_cursor_skip(struct ccursor *cur, size_t n);
/* Put the cursor at body byte off (off <= o->body_len). */
void store_cursor_seek(const struct cobj *o, struct ccursor *cur,
		       uint64_t off);

void store_get_stats(struct store_stats *st);

#endif
