/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache-t.h - types of the HTTP cache's policy (RFC 9111): parsed
 * Cache-Control, why a response is not stored, the refresh rule used for
 * heuristic freshness, and one request/response exchange as the policy
 * sees it.
 *
 * Header lists are the parser's views (struct h1_header, http/h1-t.h):
 * the policy never copies or owns field text.
 */
#ifndef TPROXYD_CACHE_CACHE_T_H
#define TPROXYD_CACHE_CACHE_T_H

#include <stddef.h>
#include <stdint.h>

#include "http/h1-t.h"

/* Directives without an argument, as bits of cache_cc.flags. */
enum cache_cc_flag {
	CC_NO_STORE         = 1u << 0,
	CC_NO_CACHE         = 1u << 1,	/* unqualified no-cache */
	CC_NO_CACHE_FIELDS  = 1u << 2,	/* no-cache="field, ..." */
	CC_PRIVATE          = 1u << 3,	/* unqualified private */
	CC_PRIVATE_FIELDS   = 1u << 4,	/* private="field, ..." */
	CC_PUBLIC           = 1u << 5,
	CC_MUST_REVALIDATE  = 1u << 6,
	CC_PROXY_REVALIDATE = 1u << 7,
	CC_NO_TRANSFORM     = 1u << 8,
	CC_ONLY_IF_CACHED   = 1u << 9,
	CC_MUST_UNDERSTAND  = 1u << 10,
	CC_IMMUTABLE        = 1u << 11,
	CC_MAX_STALE_ANY    = 1u << 12,	/* max-stale without a value */
};

/* A delta-seconds directive absent (the numbers below are >= 0 when
 * present; RFC 9111 1.2.2 caps them at CC_DELTA_MAX). */
#define CC_ABSENT	(-1)
#define CC_DELTA_MAX	2147483648LL

/* Directives this cache does not know, kept as they came. */
#define CC_MAX_UNKNOWN	8
struct cc_unknown {
	struct str name;
	struct str value;	/* without the quotes; empty if none */
};

struct cache_cc {
	unsigned  flags;		/* enum cache_cc_flag */
	int64_t   max_age;		/* CC_ABSENT or 0..CC_DELTA_MAX */
	int64_t   s_maxage;
	int64_t   max_stale;		/* a value; see CC_MAX_STALE_ANY */
	int64_t   min_fresh;
	int64_t   stale_while_revalidate;	/* RFC 5861 */
	int64_t   stale_if_error;
	struct str no_cache_fields;	/* the quoted list, as sent */
	struct str private_fields;
	size_t    nunknown;
	struct cc_unknown unknown[CC_MAX_UNKNOWN];
	size_t    unknown_dropped;	/* beyond CC_MAX_UNKNOWN */
	unsigned  malformed;		/* directives with a bad argument */
	unsigned  duplicates;		/* repeated directives (first kept) */
};

/* Why a response is not stored (cache_storable()). */
enum cache_store {
	CACHE_STORE_OK = 0,
	CACHE_NS_METHOD,	/* only GET responses are stored */
	CACHE_NS_NOT_FINAL,	/* 1xx */
	CACHE_NS_PARTIAL,	/* 206: ranges not stored yet */
	CACHE_NS_NOT_MODIFIED,	/* 304 updates, it is not stored */
	CACHE_NS_NOT_UNDERSTOOD,	/* must-understand, status unknown */
	CACHE_NS_REQ_NO_STORE,	/* request's no-store */
	CACHE_NS_NO_STORE,	/* response's no-store */
	CACHE_NS_PRIVATE,	/* private, shared cache */
	CACHE_NS_AUTHORIZATION,	/* 3.5: Authorization, no public,
				   s-maxage or must-revalidate */
	CACHE_NS_VARY_STAR,	/* Vary: * never matches */
	CACHE_NS_NO_FRESHNESS,	/* no explicit freshness, no public, and
				   a status not heuristically cacheable */
	CACHE_STORE_LAST = CACHE_NS_NO_FRESHNESS
};

/* Heuristic freshness, Squid's refresh_pattern as data: fresh for
 * percent of the time since Last-Modified, at least min, at most max
 * seconds; without Last-Modified, min. */
struct cache_refresh {
	int64_t min;
	int     percent;
	int64_t max;
};

/* One exchange as the policy sees it. Times are seconds since the
 * epoch: request_time when the request was sent on, response_time when
 * the response head came (RFC 9111 4.2.3). */
struct cache_xchg {
	struct str              method;
	const struct h1_header *req;
	size_t                  nreq;
	int                     status;
	const struct h1_header *resp;
	size_t                  nresp;
	int64_t                 request_time;
	int64_t                 response_time;
};

/* What the freshness and the use of a stored response depend on, read
 * once from its head (cache_resp_read()) and kept with it, so that a hit
 * does not parse the stored fields again. */
struct cache_resp_facts {
	int      status;
	unsigned cc_flags;		/* Cache-Control, enum cache_cc_flag */
	int64_t  max_age;		/* CC_ABSENT or the value */
	int64_t  s_maxage;
	int64_t  sc_max_age;		/* Surrogate-Control's max-age */
	int64_t  date;			/* -1 absent, -2 not a date */
	int64_t  expires;
	int64_t  last_modified;
	int64_t  age_value;		/* Age: 0 absent, CC_DELTA_MAX when
					   not understood */
	int64_t  request_time;
	int64_t  response_time;
};

/* What the request says about using stored responses (its
 * Cache-Control and Pragma), read once per request (cache_req_read()). */
struct cache_req_facts {
	unsigned cc_flags;		/* enum cache_cc_flag */
	int64_t  max_age;		/* CC_ABSENT or the value */
	int64_t  max_stale;
	int64_t  min_fresh;
	unsigned has_cc:1;		/* a Cache-Control field is there */
	unsigned pragma_no_cache:1;	/* Pragma lists no-cache */
};

/* Whether a stored response may answer a request (cache_use()). */
enum cache_use {
	CACHE_USE_FRESH,	/* fresh enough for this request */
	CACHE_USE_STALE_OK,	/* stale, but the request's max-stale
				   accepts it and nothing forbids it */
	CACHE_USE_REVALIDATE,	/* ask the origin first */
};

/* Freshness facts of a stored response. */
struct cache_fresh {
	int64_t lifetime;	/* >= 0 */
	int64_t age;		/* current age, >= 0 */
	unsigned heuristic:1;	/* lifetime from the refresh rule */
};

#endif
