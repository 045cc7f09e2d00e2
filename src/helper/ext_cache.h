/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext_cache.h - the answers of a helper kept under their line
 * (ext_cache-t.h). Pure: no I/O; the clock is the caller's (seconds).
 */
#ifndef TPROXYD_HELPER_EXT_CACHE_H
#define TPROXYD_HELPER_EXT_CACHE_H

#include <stddef.h>

#include "helper/ext_cache-t.h"
#include "helper/helper-t.h"

/* Empty c and set its bounds. */
void ext_cache_init(struct ext_cache *c, size_t max, int ttl,
		    int negative_ttl, int grace);
/* Drop every entry (their other references stay valid). */
void ext_cache_clear(struct ext_cache *c);
/*
 * The entry for key, or NULL; *fresh says whether to use it. A found
 * entry becomes the most recently used one. The reference stays the
 * cache's: take one (ext_entry_ref) to keep it past the next change.
 */
struct ext_entry *ext_cache_find(struct ext_cache *c, const char *key,
				 size_t klen, double now,
				 enum ext_fresh *fresh);
/*
 * Keep e (the cache takes a reference) when its result may be cached
 * (OK with ttl > 0, ERR with negative_ttl > 0, max > 0), replacing an
 * entry with the same key and evicting the least recently used one when
 * full. A BH answer removes the key's entry instead. Returns 1 kept.
 */
int ext_cache_add(struct ext_cache *c, struct ext_entry *e);

/*
 * An entry for key from a helper's reply (NULL r: no answer, BH), with
 * the reply's user=, tag=, log=, message=; one reference. NULL when out
 * of memory.
 */
struct ext_entry *ext_entry_new(const void *def, const char *key,
				size_t klen, const struct hlp_reply *r,
				double now);
void ext_entry_ref(struct ext_entry *e);
void ext_entry_unref(struct ext_entry *e);

#endif
