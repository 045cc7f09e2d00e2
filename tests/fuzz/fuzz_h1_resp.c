/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_h1_resp.c - fuzz target: response head parser, then message info,
 * response framing and the body scanner on the bytes after the head.
 *
 * The request method facts (HEAD, CONNECT) come from two bits of the
 * input's hash, so every input is tried in a reproducible context.
 * Invariants are those of fuzz_h1_req.c, plus: framing only ever fails
 * with H1_E_CL, and 1xx/204/304/HEAD responses have no body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/h1.h"
#include "fuzz.h"

static struct h1_resp resp1, resp2;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct h1_scan st;
	struct h1_info info;
	struct h1_body body;
	uint32_t h = fuzz_hash(data, size);
	size_t cut = size ? h % (size + 1) : 0, max2;
	int rc, r, irc, frc, done, is_head, is_connect;

	memset(&st, 0, sizeof(st));
	rc = h1_parse_resp(p, size, size + 1, &st, &resp1);
	FUZZ_CHECK(rc >= H1_E_LAST && rc != 0);
	FUZZ_CHECK(rc < 0 || (size_t)rc <= size);
	FUZZ_CHECK(h1_strerror(rc) != NULL);

	memset(&st, 0, sizeof(st));
	r = h1_parse_resp(p, cut, size + 1, &st, &resp2);
	FUZZ_CHECK(r == H1_INCOMPLETE || r == rc);
	if (r == H1_INCOMPLETE) {
		r = h1_parse_resp(p, size, size + 1, &st, &resp2);
		FUZZ_CHECK(r == rc);
	}
	if (rc > 0) {
		FUZZ_CHECK(resp1.status == resp2.status);
		FUZZ_CHECK(resp1.reason.p == resp2.reason.p &&
		    resp1.reason.len == resp2.reason.len);
		FUZZ_CHECK(resp1.nhdr == resp2.nhdr);
	}

	if (size > 0) {
		max2 = 1 + (h >> 8) % size;
		memset(&st, 0, sizeof(st));
		r = h1_parse_resp(p, size, max2, &st, &resp2);
		FUZZ_CHECK(r == rc || r == H1_E_TOO_LONG);
		if (rc > 0)
			FUZZ_CHECK(r == ((size_t)rc <= max2 ? rc :
			    H1_E_TOO_LONG));
		if (rc == H1_INCOMPLETE)
			FUZZ_CHECK(r == H1_E_TOO_LONG);
	}

	if (rc <= 0)
		return 0;

	FUZZ_CHECK(resp1.status >= 100 && resp1.status <= 999);
	FUZZ_CHECK(resp1.minor == 0 || resp1.minor == 1);
	fuzz_check_view(resp1.reason, p, (size_t)rc);
	fuzz_check_fields(resp1.hdr, resp1.nhdr, p, (size_t)rc);

	irc = h1_msg_info(resp1.hdr, resp1.nhdr, resp1.minor, &info);
	fuzz_check_info(&info, irc, resp1.nhdr);

	is_head = (h >> 30) & 1;
	is_connect = !is_head && ((h >> 31) & 1);
	frc = h1_resp_framing(&resp1, &info, is_head, is_connect, &body);
	FUZZ_CHECK(frc == 0 || frc == H1_E_CL);
	FUZZ_CHECK((frc == H1_E_CL) == (irc == H1_E_CL));
	if (frc != 0) {
		FUZZ_CHECK(body.kind == H1_BODY_NONE);
		return 0;
	}
	if (resp1.status == 101)
		FUZZ_CHECK(body.kind == H1_BODY_TUNNEL);
	else if (resp1.status < 200 || resp1.status == 204 ||
	    resp1.status == 304 || is_head)
		FUZZ_CHECK(body.kind == H1_BODY_NONE);
	if (body.kind == H1_BODY_TUNNEL)
		FUZZ_CHECK(resp1.status == 101 ||
		    (is_connect && resp1.status / 100 == 2));
	if (body.kind == H1_BODY_LENGTH)
		FUZZ_CHECK(!info.has_te && body.left == info.cl &&
		    body.left > 0);
	if (body.kind == H1_BODY_CHUNKED)
		FUZZ_CHECK(info.te_chunked && resp1.minor == 1);

	(void)fuzz_scan_body(&body, p + rc, size - (size_t)rc,
	    (h >> 16) % (size - (size_t)rc + 1), &done);
	return 0;
}
