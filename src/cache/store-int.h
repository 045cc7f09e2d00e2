/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store-int.h - private to src/cache/store.c and store_dir.c: the state
 * of the store and the functions each half calls in the other.
 */
#ifndef TPROXYD_CACHE_STORE_INT_H
#define TPROXYD_CACHE_STORE_INT_H

#include <stdint.h>

#include "cache/marena-t.h"
#include "cache/store-t.h"
#include "cache/store.h"

struct cdisk;
struct h1_resp;

/* One cache_dir of this process. */
struct sdir {
	struct cdisk *d;
	uint64_t      max;
	uint64_t      used;
	uint64_t      min_size;
	uint64_t      max_size;	/* 0: maximum_object_size */
	int           read_only;
	struct cobj  *lru_head;
	struct cobj  *lru_tail;
};

/* The store of this process (store.c and store_dir.c only). */
struct store_state {
	struct cobj **bucket;
	size_t        nbucket;
	size_t        nobj;		/* in the index */
	struct cobj  *lru_head;		/* most recent */
	struct cobj  *lru_tail;
	uint64_t      mem;		/* counted against mem_max */
	uint64_t      mem_max;
	uint64_t      max_obj_mem;
	int           repl;		/* enum cfg_repl */
	double        age;		/* LFUDA/GDSF: the key of the last
					   victim (the cache's age) */
	uint64_t      max_obj;		/* maximum_object_size */
	struct sdir   dir[STORE_MAX_DIRS];
	int           ndir;
	int           swap_low;		/* percent */
	int           swap_high;
	int           repl_disk;	/* cache_replacement_policy */
	double        age_disk;		/* its cache age (GDSF, LFUDA) */
	uint64_t      next_fileno;
	struct cobj  *ofile_head;	/* objects whose file is open */
	struct cobj  *ofile_tail;
	unsigned      nofile;
	struct marena arena;		/* complete bodies in memory */
	struct store_stats st;
};
extern struct store_state store_g;



/* store.c */
void store_i_wake(struct cobj *o);
void store_i_unindex(struct cobj *o);
void store_i_complete(struct cobj *o);
double store_i_repl_key(const struct cobj *o, size_t cost, int repl,
			double age);
struct cobj *store_i_obj_new(const char *key, size_t klen, const char *vkey,
			     size_t vklen, const struct h1_resp *resp,
			     const char *base, size_t hlen, int64_t clen,
			     int64_t request_time, int64_t response_time);

/* store_dir.c */
void sdir_lru_unlink(struct cobj *o);
void sdir_lru_push(struct cobj *o);
void sdir_drop_file(struct cobj *o);
void sdir_evict(struct sdir *sd);
void sdir_start_file(struct cobj *o);
void sdir_stop_file(struct cobj *o);
void sdir_finish_file(struct cobj *o);

#endif
