/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_h1_req.c - fuzz target: request head parser, then message info,
 * request framing and the body scanner on the bytes after the head.
 *
 * Invariants (abort() when broken):
 *  - a complete head is no longer than the input, and every view lies
 *    inside it;
 *  - feeding a prefix first (through the same h1_scan) gives either
 *    H1_INCOMPLETE or the final answer, and the final answer is the same
 *    as parsing everything at once;
 *  - a smaller max gives the same answer or H1_E_TOO_LONG, and exactly
 *    H1_E_TOO_LONG when the head does not fit;
 *  - a head that parses never starts like another protocol
 *    (h1_req_start_bad());
 *  - framing returns only the codes it documents, and a body scan gives
 *    the same result in one go, split in two, or byte by byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/h1.h"
#include "fuzz.h"

static struct h1_req req1, req2;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct h1_scan st;
	struct h1_info info;
	struct h1_body body;
	uint32_t h = fuzz_hash(data, size);
	size_t cut = size ? h % (size + 1) : 0, max2, i;
	int rc, r, irc, frc, done;
	ssize_t br;

	/* max above size: the whole input is available. */
	memset(&st, 0, sizeof(st));
	rc = h1_parse_req(p, size, size + 1, &st, &req1);
	FUZZ_CHECK(rc >= H1_E_LAST && rc != 0);
	/* What parses as a request cannot look like another protocol. */
	FUZZ_CHECK(rc < 0 || !h1_req_start_bad(p, size));
	FUZZ_CHECK(rc < 0 || (size_t)rc <= size);
	FUZZ_CHECK(h1_strerror(rc) != NULL);
	if (rc == H1_INCOMPLETE)
		FUZZ_CHECK(st.scanned <= size);

	/* The same bytes in two deliveries. */
	memset(&st, 0, sizeof(st));
	r = h1_parse_req(p, cut, size + 1, &st, &req2);
	FUZZ_CHECK(r == H1_INCOMPLETE || r == rc);
	if (r == H1_INCOMPLETE) {
		r = h1_parse_req(p, size, size + 1, &st, &req2);
		FUZZ_CHECK(r == rc);
	}
	if (rc > 0) {
		FUZZ_CHECK(req1.method.p == req2.method.p &&
		    req1.method.len == req2.method.len);
		FUZZ_CHECK(req1.target.p == req2.target.p &&
		    req1.target.len == req2.target.len);
		FUZZ_CHECK(req1.nhdr == req2.nhdr);
	}

	/* A tighter limit. */
	if (size > 0) {
		max2 = 1 + (h >> 8) % size;
		memset(&st, 0, sizeof(st));
		r = h1_parse_req(p, size, max2, &st, &req2);
		FUZZ_CHECK(r == rc || r == H1_E_TOO_LONG);
		if (rc > 0)
			FUZZ_CHECK(r == ((size_t)rc <= max2 ? rc :
			    H1_E_TOO_LONG));
		if (rc == H1_INCOMPLETE)
			FUZZ_CHECK(r == H1_E_TOO_LONG);
	}

	if (rc <= 0)
		return 0;

	fuzz_check_view(req1.method, p, (size_t)rc);
	fuzz_check_view(req1.target, p, (size_t)rc);
	FUZZ_CHECK(req1.method.len > 0 && req1.target.len > 0);
	FUZZ_CHECK(req1.minor == 0 || req1.minor == 1);
	for (i = 0; i < req1.target.len; i++)
		FUZZ_CHECK(req1.target.p[i] > 0x20 && req1.target.p[i] < 0x7f);
	fuzz_check_fields(req1.hdr, req1.nhdr, p, (size_t)rc);
	(void)h1_method_idempotent(h1_method_of(req1.method));
	(void)h1_hdr_find(req1.hdr, req1.nhdr, 0, "host");

	irc = h1_msg_info(req1.hdr, req1.nhdr, req1.minor, &info);
	fuzz_check_info(&info, irc, req1.nhdr);

	frc = h1_req_framing(&req1, &info, &body);
	FUZZ_CHECK(frc == 0 || frc == H1_E_CL || frc == H1_E_TE ||
	    frc == H1_E_TE_UNSUP);
	FUZZ_CHECK(irc == 0 || frc == H1_E_CL);
	if (frc != 0) {
		FUZZ_CHECK(body.kind == H1_BODY_NONE);
		return 0;
	}
	/* Requests are never close-delimited nor tunnels by themselves,
	 * and chunked requires a valid TE without CL (smuggling). */
	FUZZ_CHECK(body.kind == H1_BODY_NONE || body.kind == H1_BODY_LENGTH ||
	    body.kind == H1_BODY_CHUNKED);
	if (body.kind == H1_BODY_CHUNKED)
		FUZZ_CHECK(info.te_chunked && !info.has_cl &&
		    req1.minor == 1);
	if (body.kind == H1_BODY_LENGTH)
		FUZZ_CHECK(!info.has_te && body.left == info.cl &&
		    body.left > 0);

	br = fuzz_scan_body(&body, p + rc, size - (size_t)rc,
	    (h >> 16) % (size - (size_t)rc + 1), &done);
	(void)br;
	return 0;
}
