/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_htcp.c - fuzz target: the HTCP codec (src/cache/htcp.c).
 *
 * Input: one datagram. Invariants: a parsed message has MAJOR 0, a known
 * OPCODE, every view (OP-DATA, the SPECIFIER's and DETAIL's COUNTSTRs)
 * inside the datagram; a TST request rebuilt from its SPECIFIER is at
 * most as long as the input and parses back to the same fields; a reply
 * built to it parses with the same TRANS-ID; errors are one of enum
 * htcp_err.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cache/htcp.h"
#include "fuzz.h"

static int
same(struct str a, struct str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	const char *p = (const char *)data;
	struct htcp_msg m, r;
	int rc, n;

	rc = htcp_parse(data, size, &m);
	FUZZ_CHECK(rc <= 0 && rc >= HTCP_E_TRAILING);
	if (rc != 0)
		return 0;
	FUZZ_CHECK(m.major == 0 && m.op <= HTCP_OP_CLR);
	FUZZ_CHECK(m.rr <= 1 && m.f1 <= 1 && m.response <= 15);
	fuzz_check_view(m.opdata, p, size);
	if (m.has_spec) {
		fuzz_check_view(m.spec.method, p, size);
		fuzz_check_view(m.spec.uri, p, size);
		fuzz_check_view(m.spec.version, p, size);
		fuzz_check_view(m.spec.req_hdrs, p, size);
		n = htcp_build_tst(out, sizeof(out), m.trans_id, &m.spec);
		/* Only an input near 65535 bytes, without AUTH, may make
		 * a message too long for LENGTH. */
		if (n < 0) {
			FUZZ_CHECK(size > 65535 - 2);
			return 0;
		}
		/* A CLR's SPECIFIER is 2 bytes further in; the AUTH we
		 * write may be shorter or absent in the input. */
		FUZZ_CHECK((size_t)n <= size + 2);
		FUZZ_CHECK(htcp_parse(out, (size_t)n, &r) == 0);
		FUZZ_CHECK(r.op == HTCP_OP_TST && r.has_spec && r.f1 &&
			   !r.rr && r.trans_id == m.trans_id);
		FUZZ_CHECK(same(r.spec.method, m.spec.method) &&
			   same(r.spec.uri, m.spec.uri) &&
			   same(r.spec.version, m.spec.version) &&
			   same(r.spec.req_hdrs, m.spec.req_hdrs));
	}
	if (m.has_detail) {
		fuzz_check_view(m.detail.resp_hdrs, p, size);
		fuzz_check_view(m.detail.entity_hdrs, p, size);
		fuzz_check_view(m.detail.cache_hdrs, p, size);
		FUZZ_CHECK(m.op == HTCP_OP_TST && m.rr);
	}
	n = htcp_build_tst_reply(out, sizeof(out), m.trans_id,
				 m.response == 0, m.has_detail ? &m.detail :
				 NULL);
	if (n < 0) {
		FUZZ_CHECK(size > 65535 - 2);
		return 0;
	}
	FUZZ_CHECK(htcp_parse(out, (size_t)n, &r) == 0);
	FUZZ_CHECK(r.trans_id == m.trans_id && r.rr && r.has_detail);
	return 0;
}
