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
#include <string.h>

#include "http/h1.h"
#include "fuzz.h"

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

	/* Dechunking as the forwarding code does it: chunk data in bulk
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
