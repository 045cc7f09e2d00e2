/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_chunked.c - fuzz target: the chunked body scanner alone.
 *
 * The input is a chunked body. It is scanned in one go, split at an
 * input-derived point, and (when small) byte by byte: the consumed length,
 * the end flag and any error must agree (fuzz_scan_body() checks). A
 * scanner that reported the end must consume nothing more.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"
#include "fuzz.h"

/*
 * h1_dechunk(), the in-place decoder the server side uses, must agree with
 * the scan: the same error, the same end, as many data bytes as the bulk
 * walk found, and the bytes after the end kept behind the data.
 */
static void
check_dechunk(const char *p, size_t size, ssize_t r, int done, size_t ndata)
{
	struct h1_body b;
	char *copy = malloc(size ? size : 1);
	size_t len = size;
	ssize_t n;
	int d = 0;

	FUZZ_CHECK(copy != NULL);
	memcpy(copy, p, size);
	memset(&b, 0, sizeof(b));
	b.kind = H1_BODY_CHUNKED;
	n = h1_dechunk(&b, copy, &len, &d);
	if (r < 0) {
		FUZZ_CHECK(n == r);
	} else {
		FUZZ_CHECK(n >= 0 && d == done);
		FUZZ_CHECK((size_t)n == ndata);
		FUZZ_CHECK(len >= (size_t)n && len <= size);
		/* What followed the message is intact, behind the data. */
		if (done)
			FUZZ_CHECK(len - (size_t)n == size - (size_t)r &&
				   memcmp(copy + n, p + r, len - (size_t)n) ==
				   0);
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct h1_body body, b;
	uint32_t h = fuzz_hash(data, size);
	uint64_t left;
	size_t pos, ndata, m;
	ssize_t r, n = 0;
	int done, d;

	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_CHUNKED;
	r = fuzz_scan_body(&body, p, size, size ? h % (size + 1) : 0, &done);

	/* The chunk data, taken out by hand: chunk data in bulk
	 * (h1_chunk_data_left() bytes), framing one byte at a time. */
	b = body;
	pos = 0;
	ndata = 0;
	d = 0;
	while (pos < size && !d) {
		left = h1_chunk_data_left(&b);
		m = size - pos < left ? size - pos : (size_t)left;
		n = h1_body_scan(&b, p + pos, left > 0 ? m : 1, &d);
		if (n < 0)
			break;
		FUZZ_CHECK(n == (ssize_t)(left > 0 ? m : 1));
		if (left > 0)
			ndata += (size_t)n;
		pos += (size_t)n;
	}
	FUZZ_CHECK(n < 0 ? n == r : (ssize_t)pos == r);
	FUZZ_CHECK(r < 0 || d == done);
	FUZZ_CHECK(ndata <= pos);
	check_dechunk(p, size, r, done, ndata);
	if (r < 0 || !done)
		return 0;

	/* Done: a scanner at the end takes no more bytes. */
	b = body;
	FUZZ_CHECK(h1_body_scan(&b, p, size, &d) == r);
	FUZZ_CHECK(d == 1);
	FUZZ_CHECK(h1_body_scan(&b, p, size, &d) == 0);
	FUZZ_CHECK(d == 1);
	/* The message ended at a LF. */
	FUZZ_CHECK(r > 0 && p[r - 1] == '\n');
	return 0;
}
