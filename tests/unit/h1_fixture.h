/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * h1_fixture.h - what the test_h1_*.c files share: the row macros, the
 * checks of a parsed view, and run_table() that registers every row of a
 * table as its own cmocka test, named after the row.
 */
#ifndef TPROXYD_TESTS_H1_FIXTURE_H
#define TPROXYD_TESTS_H1_FIXTURE_H

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "http/h1.h"
#include "table_runner.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* Raw bytes of a row, NULs included. */
#define RAW(s)		.raw = (s), .len = sizeof(s) - 1
#define DEFAULT_MAX	8192

/* Views must point inside the input. */
static inline void
check_view(struct str v, const char *p, size_t len)
{
	assert_non_null(v.p);
	assert_true(v.p >= p);
	assert_true(v.p + v.len <= p + len);
}

/* A view compared with a C string; prints both on mismatch. */
static inline void
assert_view(struct str v, const char *want)
{
	char buf[256];
	size_t n = v.len < sizeof(buf) - 1 ? v.len : sizeof(buf) - 1;

	memcpy(buf, v.p, n);
	buf[n] = '\0';
	assert_string_equal(buf, want);
	assert_int_equal(v.len, strlen(want));
}

#endif
