/* SPDX-License-Identifier: GPL-2.0-or-later */
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
/* maximum_object_size (0: none), the cache_dirs' cache_swap_low and
 * cache_swap_high (percent) and their replacement policy
 * (cache_replacement_policy: enum cfg_repl). */
void store_configure_objects(uint64_t max_obj, int swap_low, int swap_high,
			     int repl);

/*
 * Add a cache_dir: open PATH (cache/disk.c) and start putting the objects
 * it holds back in the index (in the background). Objects of length in
 * [min_size, max_size] (max_size 0: any) are written there; read_only:
 * only read. Returns the dir's number, or a negative errno with a
 * message in err. At most STORE_MAX_DIRS; once per process, after fork.
 */
#define STORE_MAX_DIRS 16
struct cdisk;
int store_dir_open(const char *path, unsigned l1, unsigned l2, uint64_t max,
		   uint64_t min_size, uint64_t max_size, int read_only,
		   char *err, size_t errlen);
/* The disk store of dir number dir (to read an object's file). */
struct cdisk *store_dir_disk(int dir);

/* The open file of o kept for hits (NULL: none), and keeping rd (an
 * open reader of o's file, handed over: 1) for the next hits, within a
 * bound on open files (0: not kept, the caller closes it). A kept file
 * is only used, never closed, by a hit (which holds a reference). */
struct cdisk_rd;
struct cdisk_rd *store_kept_file(struct cobj *o);
int store_keep_file(struct cobj *o, struct cdisk_rd *rd);

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
 * Vary). clen: the declared body length, -1 when unknown. The body goes
 * to memory when it fits maximum_object_size_in_memory, and to a
 * cache_dir when there is one. Returns it with the filler's reference,
 * or NULL (out of memory, or nowhere to keep a body that large).
 */
struct cobj *store_new(const char *key, size_t klen, const char *vkey,
		       size_t vklen, const struct h1_resp *resp,
		       const char *base, size_t hlen, int64_t clen,
		       int64_t request_time, int64_t response_time);
/* Append body bytes. 0, or -EFBIG (over the memory limits: the object
 * is failed) or -ENOMEM. Wakes the waiters. */
int store_append(struct cobj *o, const void *p, size_t n);
/* The body is whole: older variants with the same secondary key leave
 * the index; the object becomes subject to replacement. A body only on
 * disk is complete once its file is in place (later, from the loop). */
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
/* Remove o from the index (its file could not be read). */
void store_remove(struct cobj *o);

/* The file of o being filled has as much queued for the disk as it may
 * hold: the filler stops reading its server (store_fill_busy()); with
 * store_fill_wait() w is called when the disk has caught up (1: wait
 * registered, 0: not busy). */
int store_fill_busy(const struct cobj *o);
int store_fill_wait(struct cobj *o, struct cwait *w);

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

/* Whether o's body is in the memory arena: then the arena's file and
 * the body's offset in it, for sendfile(2). */
int store_body_file(const struct cobj *o, int *fd, uint64_t *off);

/* The exchange that stored o, as the policy sees it (views into o). */
struct cache_xchg;
void store_xchg(const struct cobj *o, struct cache_xchg *x);

void store_get_stats(struct store_stats *st);

#endif
