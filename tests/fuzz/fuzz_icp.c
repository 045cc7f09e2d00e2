/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_icp.c - fuzz target: the ICPv2 codec (src/cache/icp.c).
 *
 * Input: one datagram. Invariants: a parsed message has version 2, a
 * length equal to the input's, a known opcode, a non-empty URL inside the
 * datagram with no NUL in it and a NUL right after it; a reply built from
 * it (request number and URL echoed) parses back to the same request
 * number and URL; errors are one of enum icp_err.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cache/icp.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[ICP_MSG_MAX];
	struct icp_msg m, r;
	const uint8_t *u;
	int rc, n;

	rc = icp_parse(data, size, &m);
	FUZZ_CHECK(rc <= 0 && rc >= ICP_E_URL);
	if (rc != 0)
		return 0;
	FUZZ_CHECK(m.version == ICP_VERSION);
	FUZZ_CHECK(m.length == size && size <= ICP_MSG_MAX);
	FUZZ_CHECK(strcmp(icp_op_str(m.op), "ICP_INVALID") != 0);
	u = (const uint8_t *)m.url.p;
	FUZZ_CHECK(m.url.len > 0);
	FUZZ_CHECK(u >= data + ICP_HDR_LEN && u + m.url.len < data + size);
	FUZZ_CHECK(memchr(u, '\0', m.url.len) == NULL);
	FUZZ_CHECK(u[m.url.len] == '\0');

	n = icp_build_reply(out, sizeof(out), ICP_OP_MISS, m.reqnum, 0, 0,
			    m.url.p, m.url.len);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(icp_parse(out, (size_t)n, &r) == 0);
	FUZZ_CHECK(r.op == ICP_OP_MISS && r.reqnum == m.reqnum);
	FUZZ_CHECK(r.url.len == m.url.len &&
		   memcmp(r.url.p, m.url.p, m.url.len) == 0);
	if (m.op != ICP_OP_QUERY)
		FUZZ_CHECK((size_t)n <= size);
	return 0;
}
