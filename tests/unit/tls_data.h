/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_data.h - helpers shared by test_tls.c and test_tls_server.c: the
 * recorded first flights of tests/data/tls/ (scripts/tls-capture.py) and
 * ways to cut them up as a network or a peer may.
 *
 * Include after <cmocka.h>.
 */
#ifndef TPROXYD_TESTS_TLS_DATA_H
#define TPROXYD_TESTS_TLS_DATA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_runner.h"

#define TLS_DATA_MAX	65536

/* Read tests/data/tls/NAME (or $TLS_DATA/NAME) into buf; the test fails
 * when the file is missing: a capture that is not there is not a pass. */
static inline size_t
tls_data_load(const char *name, uint8_t *buf, size_t cap)
{
	const char *dir = getenv("TLS_DATA");
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data/tls",
	    name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (run from the top of the tree, or "
		    "set TLS_DATA)", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(n > 0 && n < cap);
	return n;
}

/* A copy of p[0..n) in a buffer of exactly n bytes, so that a sanitizer
 * build (make SAN=1) catches any read past the end. */
static inline uint8_t *
tls_data_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	assert_non_null(q);
	memcpy(q, p, n);
	return q;
}

/*
 * Carry the handshake bytes of the leading handshake records of in[0..n)
 * in records of k bytes each (the last one shorter), with the first
 * record's version; whatever follows those records (a ChangeCipherSpec,
 * encrypted records) is copied as it is. Returns the length written.
 */
static inline size_t
tls_data_reframe(const uint8_t *in, size_t n, size_t k, uint8_t *out,
		 size_t cap)
{
	static uint8_t hs[TLS_DATA_MAX];
	size_t pos = 0, nhs = 0, o = 0, take, rl, i;

	while (pos + 5 <= n && in[pos] == 22) {
		rl = (size_t)in[pos + 3] << 8 | in[pos + 4];
		assert_true(pos + 5 + rl <= n);
		memcpy(hs + nhs, in + pos + 5, rl);
		nhs += rl;
		pos += 5 + rl;
	}
	for (i = 0; i < nhs; i += take) {
		take = nhs - i < k ? nhs - i : k;
		assert_true(o + 5 + take <= cap);
		out[o++] = 22;
		out[o++] = in[1];
		out[o++] = in[2];
		out[o++] = (uint8_t)(take >> 8);
		out[o++] = (uint8_t)take;
		memcpy(out + o, hs + i, take);
		o += take;
	}
	assert_true(o + (n - pos) <= cap);
	memcpy(out + o, in + pos, n - pos);
	return o + (n - pos);
}

#endif
