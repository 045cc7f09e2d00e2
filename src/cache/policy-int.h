/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy-int.h - private to src/cache/policy.c (the decisions) and
 * policy_read.c (the header readers): what both halves use.
 */
#ifndef TPROXYD_CACHE_POLICY_INT_H
#define TPROXYD_CACHE_POLICY_INT_H

#include <stddef.h>

#include "cache/cache-t.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static inline int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static inline struct str
trim(struct str s)
{
	while (s.len > 0 && is_ows(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_ows(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* policy_read.c: parse every field line named fname of h (Cache-Control,
 * Surrogate-Control) into cc, as cache_cc_parse() does. */
void cache_cc_parse_named(struct cache_cc *cc, const struct h1_header *h,
			  size_t n, const char *fname);

#endif
