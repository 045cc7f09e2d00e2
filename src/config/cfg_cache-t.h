/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_cache-t.h - the HTTP cache's settings (cfg_cache.c, cfg_sibling.c),
 * struct cfg's member cache: the stores and their limits, refresh_pattern,
 * which requests may be stored or answered from the cache, and the sibling
 * protocols (ICP, HTCP). Used by src/cache/ and src/proxy/.
 *
 * Sizes are bytes and times seconds, converted from Squid's units while
 * parsing.
 */
#ifndef TPROXYD_CONFIG_CFG_CACHE_T_H
#define TPROXYD_CONFIG_CFG_CACHE_T_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "acl/acl-t.h"

/* cache_replacement_policy, memory_replacement_policy. */
enum cfg_repl {
	CFG_REPL_LRU = 0,	/* lru, heap LRU */
	CFG_REPL_GDSF,		/* heap GDSF */
	CFG_REPL_LFUDA,		/* heap LFUDA */
};

/* refresh_pattern options (bits of cfg_refresh.opts). */
enum cfg_refresh_opt {
	CFG_RF_OVERRIDE_EXPIRE   = 1u << 0,
	CFG_RF_OVERRIDE_LASTMOD  = 1u << 1,
	CFG_RF_RELOAD_INTO_IMS   = 1u << 2,
	CFG_RF_IGNORE_RELOAD     = 1u << 3,
	CFG_RF_IGNORE_NO_STORE   = 1u << 4,
	CFG_RF_IGNORE_PRIVATE    = 1u << 5,
	CFG_RF_REFRESH_IMS       = 1u << 6,
	CFG_RF_STORE_STALE       = 1u << 7,
};

/* refresh_pattern [-i] REGEX MIN PERCENT MAX [OPTIONS]: heuristic
 * freshness for URLs the regex matches (first match wins). */
struct cfg_refresh {
	const char *pattern;	/* as written */
	regex_t     re;		/* extended, REG_NOSUB (REG_ICASE: -i) */
	int64_t     min;	/* seconds (Squid writes minutes) */
	int         percent;	/* of the time since Last-Modified */
	int64_t     max;	/* seconds */
	unsigned    opts;	/* enum cfg_refresh_opt */
	int64_t     max_stale;	/* max-stale=N (seconds); -1: the global
				   max_stale */
	const char *file;
	int         line;
};

/* cache_dir TYPE PATH MBYTES L1 L2 [OPTIONS] (ufs, aufs, diskd), or
 * cache_dir rock PATH MBYTES [OPTIONS]: every type is one tproxyd disk
 * store (one file per object under PATH). */
struct cfg_cache_dir {
	const char *type;	/* as written: ufs, aufs, diskd, rock */
	const char *path;
	uint64_t    max_bytes;	/* MBYTES */
	unsigned    l1, l2;	/* directory levels (rock: 16, 256) */
	uint64_t    min_size;	/* min-size=, bytes; 0: none */
	uint64_t    max_size;	/* max-size=, bytes; 0: maximum_object_
				   size */
	int         read_only;	/* read-only or no-store: hits only */
	const char *file;
	int         line;
};

/* range_offset_limit SIZE [acl ...]: first line whose acls match. */
struct cfg_range_limit {
	int64_t         limit;	/* bytes; -1: none ("none" or -1) */
	size_t          nref;
	struct acl_ref *ref;
};

struct cfg_cache {
	/* Stores. */
	uint64_t    mem_bytes;		/* cache_mem, default 256 MB; 0: no
					   memory cache */
	uint64_t    max_obj;		/* maximum_object_size, 4 MB */
	uint64_t    min_obj;		/* minimum_object_size, 0 */
	uint64_t    max_obj_mem;	/* maximum_object_size_in_memory,
					   512 KB */
	enum cfg_repl repl_disk;	/* cache_replacement_policy, lru */
	enum cfg_repl repl_mem;		/* memory_replacement_policy, lru */
	int         swap_low;		/* cache_swap_low, 90 (percent) */
	int         swap_high;		/* cache_swap_high, 95 */
	struct cfg_cache_dir *dir;	/* cache_dir lines */
	size_t      ndir;

	/* Freshness. */
	struct cfg_refresh *refresh;	/* refresh_pattern lines, in order;
					   none: Squid's built-in rule
					   (0 20% 4320 minutes) */
	size_t      nrefresh;
	int64_t     max_stale;		/* max_stale, 1 week */
	int64_t     negative_ttl;	/* negative_ttl, 0 */
	int64_t     minimum_expiry_time;	/* 60 s */
	int         reload_into_ims;	/* off */
	int         refresh_all_ims;	/* off */
	int         cache_miss_revalidate;	/* on */
	int         offline_mode;	/* off */

	/* Which requests: cache (deny: neither stored nor answered from
	 * the cache), send_hit (deny: not answered), store_miss (deny: not
	 * stored). Empty: allow. */
	struct access_list cache;
	struct access_list send_hit;
	struct access_list store_miss;
	int         collapsed_forwarding;	/* off */
	struct cfg_range_limit *range_limit;	/* range_offset_limit;
						   none: 0 for all */
	size_t      nrange_limit;
	int64_t     quick_abort_min;	/* bytes, 16 KB; -1: always finish */
	int64_t     quick_abort_max;	/* bytes, 16 KB */
	int         quick_abort_pct;	/* 95 */

	/* Siblings (cfg_sibling.c; cache_peer ... sibling: cfg_route.c).
	 * 0: closed. */
	unsigned    icp_port;		/* icp_port, 0 */
	unsigned    htcp_port;		/* htcp_port, 0 */
	struct access_list icp_access;	/* empty: deny all (Squid) */
	struct access_list htcp_access;	/* empty: deny all */
	struct access_list htcp_clr_access;	/* empty: deny all */
	double      icp_query_timeout;	/* seconds; 0: dynamic, between
					   the minimum and maximum */
	double      icp_query_timeout_max;	/* 2 s */
	double      icp_query_timeout_min;	/* 0.005 s (Squid: 5 ms) */
	int         icp_hit_stale;	/* off */
	int         log_icp_queries;	/* on */
};

#endif
