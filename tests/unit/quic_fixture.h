/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quic_fixture.h - what the test_quic_*.c files share: the RFC's DCID,
 * hex input, feeding the reader exact copies, and ROWS() that registers
 * every row of a table as its own cmocka test, named after the row.
 */
#ifndef TPROXYD_TESTS_QUIC_FIXTURE_H
#define TPROXYD_TESTS_QUIC_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "quic/quic.h"
#include "tls/tls.h"
#include "quic_data.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define BIG		70000

static const uint8_t rfc_dcid[8] = {
	0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08,
};

static inline size_t
unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1]) {
		if (s[0] == ' ') {
			s++;
			continue;
		}
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* Feed a copy of exactly n bytes (a sanitizer build sees any read past
 * the end). */
static inline int
feed(struct quic_hello_ctx *c, const uint8_t *d, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	int rc;

	assert_non_null(q);
	memcpy(q, d, n);
	rc = quic_hello_feed(c, q, n);
	free(q);
	return rc;
}

#define ROWS(fn, rows, out, k) do {					\
	for (size_t i_ = 0; i_ < NELEM(rows); i_++) {			\
		out[k].name = rows[i_].name;				\
		out[k].test_func = fn;					\
		out[k].initial_state = (void *)(uintptr_t)&rows[i_];	\
		k++;							\
	}								\
} while (0)

#endif
