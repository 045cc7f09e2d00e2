/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * str.h - (pointer, length) string views. Views never own memory.
 */
#ifndef TPROXYD_CORE_STR_H
#define TPROXYD_CORE_STR_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

struct str {
	const char *p;
	size_t      len;
};

#define STR_NULL ((struct str){ NULL, 0 })
#define STR_LIT(s) ((struct str){ (s), sizeof(s) - 1 })

static inline struct str
str_make(const char *p, size_t len)
{
	return (struct str){ p, len };
}

/* Case-insensitive comparison of a view with a NUL-terminated literal. */
static inline int
str_ieq(struct str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.p, lit, n) == 0;
}

static inline int
str_eq(struct str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

#endif
