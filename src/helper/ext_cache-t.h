/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext_cache-t.h - the answers of a helper kept under the line they answer
 * (Squid's external_acl cache, for external_acl_type): an entry and the
 * bounded LRU cache with Squid's ttl, negative_ttl and grace. The
 * external acls themselves: config/cfg_extacl-t.h, proxy/extacl.c.
 */
#ifndef TPROXYD_HELPER_EXT_CACHE_T_H
#define TPROXYD_HELPER_EXT_CACHE_T_H

#include <stddef.h>

/* An answer, as cached (Squid's ExternalACLEntry). */
enum ext_result {
	EXT_ERR = 0,		/* no match */
	EXT_OK = 1,		/* match */
	EXT_BH = 2,		/* no answer (BH, a timeout, garbage):
				   never cached */
};

/*
 * One answer: the line it answers and the reply's user=, tag=, log=,
 * message= ("" when not given). One allocation, reference counted: the
 * cache holds one reference, a request that used it another.
 */
struct ext_entry {
	unsigned           refs;
	enum ext_result    result;
	double             date;	/* when it was answered */
	const void        *def;	/* what it belongs to (the caller's:
					   an external_acl_type) */
	const char        *key;	/* the line sent (NUL-terminated) */
	size_t             klen;
	const char        *user, *tag, *log, *message;
	/* The cache's links. */
	struct ext_entry  *hnext;	/* hash chain */
	struct ext_entry  *prev, *next;	/* most recently used first */
	unsigned           hash;
};

/* A bounded cache of answers: LRU, with Squid's ttl and grace. */
struct ext_cache {
	struct ext_entry **tab;		/* NULL until the first entry */
	size_t             nbucket;	/* a power of two */
	size_t             n, max;	/* max 0: nothing is cached */
	struct ext_entry  *head, *tail;
	int                ttl;		/* seconds an OK answer is used */
	int                negative_ttl;	/* ... an ERR answer */
	int                grace;	/* percent of the ttl left when a
					   refresh starts in the background
					   (0: none) */
};

/* What ext_cache_find() says about an entry. */
enum ext_fresh {
	EXT_EXPIRED = 0,	/* too old: ask the helper */
	EXT_FRESH,		/* use it */
	EXT_REFRESH,		/* use it, and ask again in the background
				   (grace=) */
};

#endif
