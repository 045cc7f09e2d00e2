/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_htcp.c - the HTCP codec (src/cache/htcp.c), table driven: the
 * RFC 2756 layouts byte for byte (a TST request with its SPECIFIER, TST
 * responses with a DETAIL, a CLR request with its REASON, a CLR response,
 * NOP), the OPCODE/RESPONSE nibbles and the F1/RR bits, every way a
 * datagram is refused (LENGTH, MAJOR, DATA LENGTH, AUTH, OPCODE, a
 * COUNTSTR running past OP-DATA or missing, trailing bytes), every valid
 * datagram cut at every byte, and the builders (exact bytes, room).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cache/htcp.h"

#define U16(x)	(uint8_t)((x) >> 8), (uint8_t)((x) & 0xff)
#define U32(x)	U16((uint32_t)(x) >> 16), U16((x) & 0xffff)
#define GET	U16(3), 'G', 'E', 'T'
#define URI_A	U16(9), 'h', 't', 't', 'p', ':', '/', '/', 'a', '/'
#define V11	U16(8), 'H', 'T', 'T', 'P', '/', '1', '.', '1'
#define HOST_A	U16(9), 'H', 'o', 's', 't', ':', ' ', 'a', '\r', '\n'
/* The SPECIFIER above: 5 + 11 + 10 + 11 = 37 bytes. */
#define SPEC_A	GET, URI_A, V11, HOST_A
#define AUTH0	U16(2)

/* TST request, RD set, TRANS-ID 5, HTCP/0.1 as Squid sends it:
 * 4 + (8 + 37) + 2 = 51. */
static const uint8_t tst_a[] = {
	U16(51), 0, 1,
	U16(45), 0x10, 0x02, U32(5), SPEC_A,
	AUTH0,
};
/* The same as HTCP/0.0 (RFC 2756's MINOR), RD clear. */
static const uint8_t tst_a_00[] = {
	U16(51), 0, 0,
	U16(45), 0x10, 0x00, U32(5), SPEC_A,
	AUTH0,
};
/* TST response, miss (RESPONSE 1), empty DETAIL: 4 + 14 + 2. */
static const uint8_t tst_miss[] = {
	U16(20), 0, 1,
	U16(14), 0x11, 0x01, U32(5), U16(0), U16(0), U16(0),
	AUTH0,
};
/* TST response, hit (RESPONSE 0), DETAIL with "Age: 3\r\n" (8) and
 * empty entity and cache headers: 4 + (8 + 10 + 2 + 2) + 2 = 28. */
static const uint8_t tst_hit[] = {
	U16(28), 0, 1,
	U16(22), 0x10, 0x01, U32(0xdeadbeef),
	U16(8), 'A', 'g', 'e', ':', ' ', '3', '\r', '\n', U16(0), U16(0),
	AUTH0,
};
/* TST response with MO set and no OP-DATA (an error: not a hit). */
static const uint8_t tst_mo[] = {
	U16(14), 0, 1,
	U16(8), 0x12, 0x03, U32(5),
	AUTH0,
};
/* CLR request, RD, REASON 1 (invalidation): 4 + (8 + 2 + 37) + 2. */
static const uint8_t clr_a[] = {
	U16(53), 0, 1,
	U16(47), 0x40, 0x02, U32(9), U16(1), SPEC_A,
	AUTH0,
};
/* CLR response, RESPONSE 2 (did not have it). */
static const uint8_t clr_resp[] = {
	U16(14), 0, 1,
	U16(8), 0x42, 0x01, U32(9),
	AUTH0,
};
/* NOP without AUTH at all (tolerated: Squid ignores AUTH). */
static const uint8_t nop_noauth[] = {
	U16(12), 0, 0,
	U16(8), 0x00, 0x00, U32(1),
};
/* NOP with a longer AUTH (a signature we do not check). */
static const uint8_t nop_auth[] = {
	U16(18), 0, 0,
	U16(8), 0x00, 0x00, U32(1),
	U16(6), 1, 2, 3, 4,
};

/* A TST request as Squid 5.7 sends it to a sibling (captured on
 * loopback): HTCP/0.1, RD, TRANS-ID 1, VERSION "1/1" and an empty
 * REQ-HDRS (Squid builds the headers but sends a zero length). */
static const uint8_t squid57_tst[] = {
	0x00, 0x38, 0x00, 0x01, 0x00, 0x32, 0x10, 0x02, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x03, 0x47, 0x45, 0x54, 0x00, 0x1c, 0x68,
	0x74, 0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x31, 0x32, 0x37, 0x2e,
	0x30, 0x2e, 0x30, 0x2e, 0x31, 0x3a, 0x34, 0x31, 0x32, 0x39,
	0x31, 0x2f, 0x6f, 0x62, 0x6a, 0x2f, 0x78, 0x00, 0x03, 0x31,
	0x2f, 0x31, 0x00, 0x00, 0x00, 0x02,
};

/* Refused. */
static const uint8_t e_len[] = {	/* LENGTH 52, 51 came */
	U16(52), 0, 1, U16(45), 0x10, 0x02, U32(5), SPEC_A, AUTH0,
};
static const uint8_t e_major[] = {
	U16(51), 1, 0, U16(45), 0x10, 0x02, U32(5), SPEC_A, AUTH0,
};
static const uint8_t e_dlen_small[] = {
	U16(14), 0, 1, U16(7), 0x00, 0x00, U32(1), AUTH0,
};
static const uint8_t e_dlen_big[] = {	/* DATA says 46: into AUTH */
	U16(51), 0, 1, U16(46), 0x10, 0x02, U32(5), SPEC_A, AUTH0,
};
static const uint8_t e_auth_len[] = {	/* AUTH says 3, 2 left */
	U16(14), 0, 1, U16(8), 0x00, 0x00, U32(1), U16(3),
};
static const uint8_t e_auth_one[] = {	/* one byte after DATA */
	U16(13), 0, 1, U16(8), 0x00, 0x00, U32(1), 0,
};
static const uint8_t e_opcode[] = {
	U16(14), 0, 1, U16(8), 0x50, 0x00, U32(1), AUTH0,
};
static const uint8_t e_opcode15[] = {
	U16(14), 0, 1, U16(8), 0xf0, 0x02, U32(1), AUTH0,
};
/* URI says 10 bytes: the specifier runs past OP-DATA. */
static const uint8_t e_cs_over[] = {
	U16(51), 0, 1, U16(45), 0x10, 0x02, U32(5),
	GET, U16(10), 'h', 't', 't', 'p', ':', '/', '/', 'a', '/', V11,
	HOST_A, AUTH0,
};
/* Three COUNTSTRs: REQ-HDRS missing. */
static const uint8_t e_cs_missing[] = {
	U16(40), 0, 1, U16(34), 0x10, 0x02, U32(5), GET, URI_A, V11,
	AUTH0,
};
/* REQ-HDRS with one length byte only. */
static const uint8_t e_cs_half[] = {
	U16(41), 0, 1, U16(35), 0x10, 0x02, U32(5), GET, URI_A, V11, 0,
	AUTH0,
};
/* A byte after the SPECIFIER. */
static const uint8_t e_trailing[] = {
	U16(52), 0, 1, U16(46), 0x10, 0x02, U32(5), SPEC_A, 'x', AUTH0,
};
/* A TST request with no OP-DATA. */
static const uint8_t e_tst_empty[] = {
	U16(14), 0, 1, U16(8), 0x10, 0x02, U32(5), AUTH0,
};
/* A DETAIL with two COUNTSTRs only. */
static const uint8_t e_detail_short[] = {
	U16(18), 0, 1, U16(12), 0x10, 0x01, U32(5), U16(0), U16(0), AUTH0,
};
/* A DETAIL and a byte after it. */
static const uint8_t e_detail_trail[] = {
	U16(21), 0, 1, U16(15), 0x11, 0x01, U32(5), U16(0), U16(0), U16(0),
	7, AUTH0,
};
/* A CLR request with one byte of OP-DATA. */
static const uint8_t e_clr_short[] = {
	U16(15), 0, 1, U16(9), 0x40, 0x02, U32(5), 1, AUTH0,
};

struct pcase {
	const char    *name;
	const uint8_t *p;
	size_t         len;
	int            rc;
	int            op, response, f1, rr;
	uint32_t       trans_id;
	int            spec;		/* 1: the SPECIFIER of tst_a, 2:
					   Squid's */
	int            detail;		/* 1: empty, 2: "Age: 3" */
};

#define C(n, a, rc, op, rs, f1, rr, id, sp, dt) \
	{ n, a, sizeof(a), rc, op, rs, f1, rr, id, sp, dt }

static const struct pcase pcases[] = {
	C("tst", tst_a, 0, HTCP_OP_TST, 0, 1, 0, 5, 1, 0),
	C("squid57_tst", squid57_tst, 0, HTCP_OP_TST, 0, 1, 0, 1, 2, 0),
	C("tst_0.0", tst_a_00, 0, HTCP_OP_TST, 0, 0, 0, 5, 1, 0),
	C("tst_miss", tst_miss, 0, HTCP_OP_TST, 1, 0, 1, 5, 0, 1),
	C("tst_hit", tst_hit, 0, HTCP_OP_TST, 0, 0, 1, 0xdeadbeef, 0, 2),
	C("tst_mo", tst_mo, 0, HTCP_OP_TST, 2, 1, 1, 5, 0, 0),
	C("clr", clr_a, 0, HTCP_OP_CLR, 0, 1, 0, 9, 1, 0),
	C("clr_resp", clr_resp, 0, HTCP_OP_CLR, 2, 0, 1, 9, 0, 0),
	C("nop_noauth", nop_noauth, 0, HTCP_OP_NOP, 0, 0, 0, 1, 0, 0),
	C("nop_auth", nop_auth, 0, HTCP_OP_NOP, 0, 0, 0, 1, 0, 0),
	C("len", e_len, HTCP_E_LENGTH, 0, 0, 0, 0, 0, 0, 0),
	C("major", e_major, HTCP_E_VERSION, 0, 0, 0, 0, 0, 0, 0),
	C("dlen_small", e_dlen_small, HTCP_E_DATA, 0, 0, 0, 0, 0, 0, 0),
	C("dlen_big", e_dlen_big, HTCP_E_AUTH, 0, 0, 0, 0, 0, 0, 0),
	C("auth_len", e_auth_len, HTCP_E_AUTH, 0, 0, 0, 0, 0, 0, 0),
	C("auth_one", e_auth_one, HTCP_E_AUTH, 0, 0, 0, 0, 0, 0, 0),
	C("opcode5", e_opcode, HTCP_E_OPCODE, 0, 0, 0, 0, 0, 0, 0),
	C("opcode15", e_opcode15, HTCP_E_OPCODE, 0, 0, 0, 0, 0, 0, 0),
	C("countstr_over", e_cs_over, HTCP_E_COUNTSTR, 0, 0, 0, 0, 0, 0, 0),
	C("countstr_missing", e_cs_missing, HTCP_E_COUNTSTR, 0, 0, 0, 0, 0,
	  0, 0),
	C("countstr_half", e_cs_half, HTCP_E_COUNTSTR, 0, 0, 0, 0, 0, 0, 0),
	C("trailing", e_trailing, HTCP_E_TRAILING, 0, 0, 0, 0, 0, 0, 0),
	C("tst_empty", e_tst_empty, HTCP_E_COUNTSTR, 0, 0, 0, 0, 0, 0, 0),
	C("detail_short", e_detail_short, HTCP_E_COUNTSTR, 0, 0, 0, 0, 0, 0,
	  0),
	C("detail_trailing", e_detail_trail, HTCP_E_TRAILING, 0, 0, 0, 0, 0,
	  0, 0),
	C("clr_short", e_clr_short, HTCP_E_COUNTSTR, 0, 0, 0, 0, 0, 0, 0),
};

static void
eq(const char *name, const char *what, struct str s, const char *want)
{
	if (s.len != strlen(want) || (s.len > 0 &&
				      memcmp(s.p, want, s.len) != 0))
		fail_msg("%s: %s '%.*s', expected '%s'", name, what,
			 (int)s.len, s.p, want);
}

static void
test_parse(void **state)
{
	const struct pcase *c;
	struct htcp_msg m;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		c = &pcases[i];
		rc = htcp_parse(c->p, c->len, &m);
		if (rc != c->rc)
			fail_msg("%s: rc %d, expected %d", c->name, rc, c->rc);
		if (rc != 0)
			continue;
		assert_int_equal(m.major, 0);
		assert_int_equal(m.minor, c->p[3]);
		assert_int_equal(m.op, c->op);
		assert_int_equal(m.response, c->response);
		assert_int_equal(m.f1, c->f1);
		assert_int_equal(m.rr, c->rr);
		assert_int_equal(m.trans_id, c->trans_id);
		assert_int_equal(m.has_spec, c->spec != 0);
		if (c->spec == 2) {
			eq(c->name, "method", m.spec.method, "GET");
			eq(c->name, "uri", m.spec.uri,
			   "http://127.0.0.1:41291/obj/x");
			eq(c->name, "version", m.spec.version, "1/1");
			eq(c->name, "req_hdrs", m.spec.req_hdrs, "");
		} else if (c->spec) {
			eq(c->name, "method", m.spec.method, "GET");
			eq(c->name, "uri", m.spec.uri, "http://a/");
			eq(c->name, "version", m.spec.version, "HTTP/1.1");
			eq(c->name, "req_hdrs", m.spec.req_hdrs,
			   "Host: a\r\n");
		}
		assert_int_equal(m.has_detail, c->detail != 0);
		if (c->detail) {
			eq(c->name, "resp_hdrs", m.detail.resp_hdrs,
			   c->detail == 2 ? "Age: 3\r\n" : "");
			eq(c->name, "entity_hdrs", m.detail.entity_hdrs, "");
			eq(c->name, "cache_hdrs", m.detail.cache_hdrs, "");
		}
	}
	assert_int_equal(htcp_parse(clr_a, sizeof(clr_a), &m), 0);
	assert_int_equal(m.reason, 1);
}

/* Every valid datagram cut anywhere is refused; with both LENGTHs fixed
 * up to the cut, only a structural error comes back (a copy exactly the
 * cut's size, so that a sanitizer build sees any read past it). */
static void
test_cuts(void **state)
{
	const struct pcase *c;
	struct htcp_msg m;
	uint8_t *b;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		c = &pcases[i];
		if (c->rc != 0)
			continue;
		for (n = 0; n < c->len; n++) {
			b = malloc(n ? n : 1);
			assert_non_null(b);
			memcpy(b, c->p, n);
			if (htcp_parse(b, n, &m) == 0)
				fail_msg("%s cut at %zu parsed", c->name, n);
			if (n >= HTCP_HDR_LEN + HTCP_DATA_LEN) {
				/* No AUTH, DATA up to the cut. */
				b[0] = (uint8_t)(n >> 8);
				b[1] = (uint8_t)n;
				b[4] = (uint8_t)((n - 4) >> 8);
				b[5] = (uint8_t)(n - 4);
				rc = htcp_parse(b, n, &m);
				if (rc != 0 && rc != HTCP_E_COUNTSTR &&
				    rc != HTCP_E_TRAILING)
					fail_msg("%s cut at %zu: %d", c->name,
						 n, rc);
			}
			free(b);
		}
	}
}

static const struct htcp_spec spec_a = {
	{ "GET", 3 }, { "http://a/", 9 }, { "HTTP/1.1", 8 },
	{ "Host: a\r\n", 9 },
};

static void
test_build(void **state)
{
	static const struct htcp_detail age3 = {
		{ "Age: 3\r\n", 8 }, { NULL, 0 }, { "", 0 },
	};
	uint8_t out[128];
	int n;

	(void)state;
	n = htcp_build_tst(out, sizeof(out), 5, &spec_a);
	assert_int_equal(n, sizeof(tst_a));
	assert_memory_equal(out, tst_a, sizeof(tst_a));
	assert_int_equal(htcp_build_tst(out, sizeof(tst_a) - 1, 5, &spec_a),
			 -1);
	assert_int_equal(htcp_build_tst(out, sizeof(tst_a), 5, &spec_a),
			 sizeof(tst_a));

	n = htcp_build_tst_reply(out, sizeof(out), 5, 0, NULL);
	assert_int_equal(n, sizeof(tst_miss));
	assert_memory_equal(out, tst_miss, sizeof(tst_miss));

	n = htcp_build_tst_reply(out, sizeof(out), 0xdeadbeef, 1, &age3);
	assert_int_equal(n, sizeof(tst_hit));
	assert_memory_equal(out, tst_hit, sizeof(tst_hit));
	assert_int_equal(htcp_build_tst_reply(out, sizeof(tst_hit) - 1,
					      0xdeadbeef, 1, &age3), -1);

	n = htcp_build_clr(out, sizeof(out), 9, 1, 1, &spec_a);
	assert_int_equal(n, sizeof(clr_a));
	assert_memory_equal(out, clr_a, sizeof(clr_a));

	n = htcp_build_clr_reply(out, sizeof(out), 9, HTCP_CLR_NONE);
	assert_int_equal(n, sizeof(clr_resp));
	assert_memory_equal(out, clr_resp, sizeof(clr_resp));
	assert_int_equal(htcp_build_clr_reply(out, 13, 9, 0), -1);
}

/* A COUNTSTR over 65535 bytes, or a message over 65535, cannot be
 * written. */
static void
test_build_limits(void **state)
{
	struct htcp_spec s = spec_a;
	uint8_t *out;
	char *big;
	int n;

	(void)state;
	big = malloc(70000);
	out = malloc(140000);
	assert_non_null(big);
	assert_non_null(out);
	memset(big, 'h', 70000);
	s.req_hdrs = str_make(big, 65536);
	assert_int_equal(htcp_build_tst(out, 140000, 1, &s), -1);
	s.req_hdrs = str_make(big, 65535);
	assert_int_equal(htcp_build_tst(out, 140000, 1, &s), -1);
	/* The longest REQ-HDRS that fits: 65535 less HEADER (4), DATA's
	 * fixed part (8), the other COUNTSTRs (26), its own length (2) and
	 * AUTH (2). */
	s.req_hdrs = str_make(big, 65535 - 4 - 8 - 26 - 2 - 2 + 1);
	assert_int_equal(htcp_build_tst(out, 140000, 1, &s), -1);
	s.req_hdrs = str_make(big, 65535 - 4 - 8 - 26 - 2 - 2);
	n = htcp_build_tst(out, 140000, 1, &s);
	assert_int_equal(n, 65535);
	{
		struct htcp_msg m;

		assert_int_equal(htcp_parse(out, (size_t)n, &m), 0);
		assert_int_equal(m.spec.req_hdrs.len, s.req_hdrs.len);
	}
	free(big);
	free(out);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(htcp_op_str(HTCP_OP_TST), "HTCP_TST");
	assert_string_equal(htcp_op_str(HTCP_OP_CLR), "HTCP_CLR");
	assert_string_equal(htcp_op_str(5), "HTCP_INVALID");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_limits),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
