/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store-t.h - the store of one process: stored responses (objects) found
 * by their primary key and, among the variants of a key, by their
 * secondary (Vary) key (RFC 9111 section 2, 4.1).
 *
 * An object is its response head (the fields as received, kept in memory
 * for every object so that freshness is decided without I/O) and its
 * body, in memory (a list of chunks) and/or in a cache_dir file.
 * Objects are reference counted: a stream serving a hit or filling an
 * object holds a reference; an object removed from the index (replaced,
 * invalidated, evicted) lives until the last reference goes.
 */
#ifndef TPROXYD_CACHE_STORE_T_H
#define TPROXYD_CACHE_STORE_T_H

#include <stddef.h>
#include <stdint.h>

#include "cache/cache-t.h"
#include "event/loop-t.h"
#include "http/msg-t.h"

struct cdisk_wr;
struct cdisk_rd;

/* One piece of a body in memory. */
struct cchunk {
	struct cchunk *next;
	size_t         len;
	size_t         cap;
	char           data[];
};

/* A reader's position in a body in memory. */
struct ccursor {
	const struct cchunk *c;	/* NULL: before the first chunk */
	size_t               off;	/* in c */
	uint64_t             pos;	/* body offset */
};

/* Someone (a stream reading an object being filled) waiting for more
 * body bytes or the end; called once, from the loop, after the change. */
struct cwait {
	struct cwait    *next;
	void           (*cb)(void *arg);
	void            *arg;
	struct evl_defer defer;
	unsigned         queued:1;	/* on an object's list */
};

struct cobj {
	struct cobj    *hnext;		/* the key's bucket chain */
	struct cobj    *lru_prev;	/* recency order (complete, indexed
					   objects with a body in memory) */
	struct cobj    *lru_next;
	uint64_t        hash;
	char           *key;		/* primary key, owned */
	size_t          klen;
	char           *vkey;		/* secondary key; NULL: the stored
					   response has no Vary */
	size_t          vklen;

	/* The stored response head as received from the server (fields
	 * as sent, status and reason), and when (RFC 9111 4.2.3). */
	struct http_msg head;
	char           *head_text;	/* the head's bytes (for re-parsing
					   when serving), owned */
	size_t          head_len;
	int64_t         request_time;
	int64_t         response_time;
	struct cache_resp_facts facts;	/* what freshness and use depend on,
					   read from head once */
	int64_t         clen;		/* declared length, -1: unknown */

	/* The body: in memory (mem_body), in a cache_dir file (on_disk),
	 * or both. */
	struct cchunk  *first;	/* while filling, or when the arena */
	struct cchunk  *last;	/* could not take it */
	uint64_t        arena_off;	/* in_arena: where in the arena */
	uint64_t        body_len;	/* bytes stored so far */
	uint64_t        fileno;		/* cache_dir file */
	int             dir;		/* which cache_dir, -1: none */
	struct cdisk_wr *wr;		/* writing the file (filling) */
	size_t          metalen;	/* the file's metadata bytes */
	uint64_t        disk_cost;	/* bytes counted against the dir */
	struct cobj    *dlru_prev;	/* the dir's recency order */
	struct cobj    *dlru_next;
	struct cdisk_rd *rd;		/* the file kept open for hits */
	struct cobj    *ofile_prev;	/* open files, recency order */
	struct cobj    *ofile_next;
	struct cwait   *waiters;

	size_t          mem_cost;	/* bytes counted against cache_mem */
	uint64_t        hits;
	double          last_ref;
	unsigned        refs;
	unsigned        in_index:1;	/* found by lookups */
	unsigned        complete:1;	/* the whole body is stored */
	unsigned        failed:1;	/* filling stopped: never complete */
	unsigned        in_lru:1;
	unsigned        in_dlru:1;
	unsigned        mem_body:1;	/* the body is kept in memory */
	unsigned        in_arena:1;	/* ... in the memory arena (complete
					   bodies), not in chunks */
	unsigned        on_disk:1;	/* a complete file holds the body */
	unsigned        negative:1;	/* an error status kept for
					   negative_ttl */
};

/* What the store holds, for /metrics and tproxyctl status. */
struct store_stats {
	uint64_t objects;	/* in the index */
	uint64_t mem_bytes;	/* counted against cache_mem */
	uint64_t mem_max;
	uint64_t evicted;	/* objects dropped to make room */
	uint64_t stored;	/* objects completed */
	uint64_t abandoned;	/* fills given up */
	uint64_t disk_bytes;	/* counted against the cache_dirs */
	uint64_t disk_max;
	uint64_t disk_errors;	/* writes or reads that failed */
};

#endif
