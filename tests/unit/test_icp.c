/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_icp.c - the ICPv2 codec (src/cache/icp.c), table driven: the
 * RFC 2186 layout byte for byte (a query with its requester address, the
 * replies), every way a datagram is refused (short, Message Length not
 * the datagram's size or over 16,384, version, opcode, URL not ended by a
 * NUL inside the datagram, empty URL), every valid datagram cut at every
 * byte, and the builders (exact bytes, echo of request number and URL,
 * room, refused opcodes and URLs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cache/icp.h"

#define U16(x)	(uint8_t)((x) >> 8), (uint8_t)((x) & 0xff)
#define U32(x)	U16((uint32_t)(x) >> 16), U16((x) & 0xffff)
/* "http://a/" and its NUL: 10 bytes. */
#define URL_A	'h', 't', 't', 'p', ':', '/', '/', 'a', '/', 0

/* RFC 2186 section 1 layout: ICP_OP_QUERY, version 2, length 34,
 * request number 7, option ICP_FLAG_SRC_RTT, no option data, sender
 * 10.0.0.1, requester 10.0.0.2, the URL. */
static const uint8_t q_a[] = {
	1, 2, U16(34), U32(7), U32(0x40000000), U32(0),
	10, 0, 0, 1, 10, 0, 0, 2, URL_A,
};
/* ICP_OP_HIT to it: no requester address. */
static const uint8_t hit_a[] = {
	2, 2, U16(30), U32(7), U32(0), U32(0), U32(0), URL_A,
};
/* ICP_OP_MISS_NOFETCH, request number 0xfffffffe, option data. */
static const uint8_t nofetch_a[] = {
	21, 2, U16(30), U32(0xfffffffe), U32(0x40000000), U32(0x00030010),
	U32(0), URL_A,
};
/* ICP_OP_HIT_OBJ: URL, then object size and bytes (ignored). */
static const uint8_t hitobj_a[] = {
	23, 2, U16(33), U32(1), U32(0x80000000), U32(0), U32(0), URL_A,
	U16(1), 'x',
};
/* ICP_OP_DENIED with a one-byte URL. */
static const uint8_t denied_x[] = {
	22, 2, U16(22), U32(9), U32(0), U32(0), U32(0), 'x', 0,
};

/* An ICP_OP_QUERY as Squid 5.7 sends it to a sibling (captured on
 * loopback): request number 1, no options, addresses 0. */
static const uint8_t squid57_query[] = {
	0x01, 0x02, 0x00, 0x35, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x68, 0x74, 0x74, 0x70, 0x3a, 0x2f,
	0x2f, 0x31, 0x32, 0x37, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x31,
	0x3a, 0x34, 0x31, 0x32, 0x39, 0x31, 0x2f, 0x6f, 0x62, 0x6a,
	0x2f, 0x78, 0x00,
};

/* Refused. */
static const uint8_t e_len_big[] = {	/* says 35, 34 came */
	1, 2, U16(35), U32(7), U32(0), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t e_len_small[] = {	/* says 33: a padded datagram */
	1, 2, U16(33), U32(7), U32(0), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t e_v3[] = {
	1, 3, U16(34), U32(7), U32(0), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t e_v1[] = {
	2, 1, U16(30), U32(7), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t e_op0[] = {
	0, 2, U16(30), U32(7), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t e_op5[] = {
	5, 2, U16(30), U32(7), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t e_op24[] = {
	24, 2, U16(30), U32(7), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t e_nonul[] = {	/* the NUL is missing */
	2, 2, U16(29), U32(7), U32(0), U32(0), U32(0),
	'h', 't', 't', 'p', ':', '/', '/', 'a', '/',
};
static const uint8_t e_empty[] = {	/* "" */
	3, 2, U16(21), U32(7), U32(0), U32(0), U32(0), 0,
};
static const uint8_t e_q_noreq[] = {	/* a query without requester */
	1, 2, U16(20), U32(7), U32(0), U32(0), U32(0),
};
static const uint8_t e_q_nourl[] = {	/* requester, no URL at all */
	1, 2, U16(24), U32(7), U32(0), U32(0), U32(0), U32(0),
};
static const uint8_t e_hdr_only[] = {	/* a reply with no payload */
	3, 2, U16(20), U32(7), U32(0), U32(0), U32(0),
};

struct pcase {
	const char    *name;
	const uint8_t *p;
	size_t         len;
	int            rc;
	int            op;
	uint32_t       reqnum, options, option_data;
	const char    *url;
};

#define C(n, a, rc, op, rq, o, od, u) \
	{ n, a, sizeof(a), rc, op, rq, o, od, u }

static const struct pcase pcases[] = {
	C("query", q_a, 0, ICP_OP_QUERY, 7, 0x40000000, 0, "http://a/"),
	C("squid57", squid57_query, 0, ICP_OP_QUERY, 1, 0, 0,
	  "http://127.0.0.1:41291/obj/x"),
	C("hit", hit_a, 0, ICP_OP_HIT, 7, 0, 0, "http://a/"),
	C("miss_nofetch", nofetch_a, 0, ICP_OP_MISS_NOFETCH, 0xfffffffe,
	  0x40000000, 0x00030010, "http://a/"),
	C("hit_obj", hitobj_a, 0, ICP_OP_HIT_OBJ, 1, 0x80000000, 0,
	  "http://a/"),
	C("denied", denied_x, 0, ICP_OP_DENIED, 9, 0, 0, "x"),
	C("len_big", e_len_big, ICP_E_LENGTH, 0, 0, 0, 0, NULL),
	C("len_small", e_len_small, ICP_E_LENGTH, 0, 0, 0, 0, NULL),
	C("v3", e_v3, ICP_E_VERSION, 0, 0, 0, 0, NULL),
	C("v1", e_v1, ICP_E_VERSION, 0, 0, 0, 0, NULL),
	C("op0", e_op0, ICP_E_OPCODE, 0, 0, 0, 0, NULL),
	C("op5", e_op5, ICP_E_OPCODE, 0, 0, 0, 0, NULL),
	C("op24", e_op24, ICP_E_OPCODE, 0, 0, 0, 0, NULL),
	C("nonul", e_nonul, ICP_E_URL, 0, 0, 0, 0, NULL),
	C("empty_url", e_empty, ICP_E_URL, 0, 0, 0, 0, NULL),
	C("query_no_requester", e_q_noreq, ICP_E_SHORT, 0, 0, 0, 0, NULL),
	C("query_no_url", e_q_nourl, ICP_E_URL, 0, 0, 0, 0, NULL),
	C("header_only", e_hdr_only, ICP_E_URL, 0, 0, 0, 0, NULL),
};

static void
test_parse(void **state)
{
	const struct pcase *c;
	struct icp_msg m;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		c = &pcases[i];
		rc = icp_parse(c->p, c->len, &m);
		if (rc != c->rc)
			fail_msg("%s: rc %d, expected %d", c->name, rc, c->rc);
		if (rc != 0)
			continue;
		assert_int_equal(m.op, c->op);
		assert_int_equal(m.version, 2);
		assert_int_equal(m.length, c->len);
		assert_int_equal(m.reqnum, c->reqnum);
		assert_int_equal(m.options, c->options);
		assert_int_equal(m.option_data, c->option_data);
		if (m.url.len != strlen(c->url) ||
		    memcmp(m.url.p, c->url, m.url.len) != 0)
			fail_msg("%s: url '%.*s'", c->name, (int)m.url.len,
				 m.url.p);
		/* The view lies inside the datagram. */
		assert_true((const uint8_t *)m.url.p >= c->p &&
			    (const uint8_t *)m.url.p + m.url.len < c->p +
			    c->len);
	}
}

/* The addresses are kept as sent (network order). */
static void
test_addresses(void **state)
{
	struct icp_msg m;
	const uint8_t *s, *r;

	(void)state;
	assert_int_equal(icp_parse(q_a, sizeof(q_a), &m), 0);
	s = (const uint8_t *)&m.sender;
	r = (const uint8_t *)&m.requester;
	assert_memory_equal(s, ((const uint8_t []){ 10, 0, 0, 1 }), 4);
	assert_memory_equal(r, ((const uint8_t []){ 10, 0, 0, 2 }), 4);
}

/* Every valid datagram cut anywhere is refused, and the length field
 * fixed up to the cut gives a URL error or a short query, never a read
 * past the cut (the copy is exactly the cut's size, so ASan sees it). */
static void
test_cuts(void **state)
{
	const struct pcase *c;
	struct icp_msg m;
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
			rc = icp_parse(b, n, &m);
			if (rc == 0)
				fail_msg("%s cut at %zu parsed", c->name, n);
			if (n >= ICP_HDR_LEN) {
				b[2] = (uint8_t)(n >> 8);
				b[3] = (uint8_t)n;
				rc = icp_parse(b, n, &m);
				/* A HIT_OBJ cut after its URL's NUL is
				 * still a message (the object is not
				 * read). */
				if (rc == 0 && !(c->op == ICP_OP_HIT_OBJ &&
						 n >= 30))
					fail_msg("%s cut at %zu, fixed, parsed",
						 c->name, n);
				if (rc != 0 && rc != ICP_E_URL &&
				    rc != ICP_E_SHORT)
					fail_msg("%s cut at %zu: %d", c->name,
						 n, rc);
			}
			free(b);
		}
	}
}

static void
test_too_long(void **state)
{
	uint8_t *b;
	struct icp_msg m;
	size_t n = ICP_MSG_MAX + 1;

	(void)state;
	b = calloc(1, n);
	assert_non_null(b);
	b[0] = ICP_OP_MISS;
	b[1] = 2;
	b[2] = 0xff;		/* the field cannot say 16385 exactly: */
	b[3] = 0xff;		/* any value is refused for the size */
	memset(b + ICP_HDR_LEN, 'a', n - ICP_HDR_LEN - 1);
	assert_int_equal(icp_parse(b, n, &m), ICP_E_LENGTH);
	/* 16,384 itself is fine. */
	n = ICP_MSG_MAX;
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	b[n - 1] = 0;
	assert_int_equal(icp_parse(b, n, &m), 0);
	assert_int_equal(m.url.len, n - ICP_HDR_LEN - 1);
	free(b);
}

struct bcase {
	const char    *name;
	int            op;		/* ICP_OP_QUERY: icp_build_query */
	uint32_t       reqnum, options, option_data;
	const uint8_t *want;
	size_t         wlen;
};

static const uint8_t b_query[] = {
	1, 2, U16(34), U32(7), U32(0x40000000), U32(0), U32(0), U32(0),
	URL_A,
};
static const uint8_t b_miss[] = {
	3, 2, U16(30), U32(0x01020304), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t b_hit[] = {
	2, 2, U16(30), U32(7), U32(0x40000000), U32(0x00010002), U32(0),
	URL_A,
};
static const uint8_t b_denied[] = {
	22, 2, U16(30), U32(7), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t b_err[] = {
	4, 2, U16(30), U32(0), U32(0), U32(0), U32(0), URL_A,
};
static const uint8_t b_nofetch[] = {
	21, 2, U16(30), U32(1), U32(0), U32(0), U32(0), URL_A,
};

static const struct bcase bcases[] = {
	{ "query", ICP_OP_QUERY, 7, 0x40000000, 0, b_query,
	  sizeof(b_query) },
	{ "miss", ICP_OP_MISS, 0x01020304, 0, 0, b_miss, sizeof(b_miss) },
	{ "hit", ICP_OP_HIT, 7, 0x40000000, 0x00010002, b_hit,
	  sizeof(b_hit) },
	{ "denied", ICP_OP_DENIED, 7, 0, 0, b_denied, sizeof(b_denied) },
	{ "err", ICP_OP_ERR, 0, 0, 0, b_err, sizeof(b_err) },
	{ "miss_nofetch", ICP_OP_MISS_NOFETCH, 1, 0, 0, b_nofetch,
	  sizeof(b_nofetch) },
};

static void
test_build(void **state)
{
	const struct bcase *c;
	uint8_t out[64];
	struct icp_msg m;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(bcases) / sizeof(bcases[0]); i++) {
		c = &bcases[i];
		if (c->op == ICP_OP_QUERY)
			n = icp_build_query(out, sizeof(out), c->reqnum,
					    c->options, "http://a/", 9);
		else
			n = icp_build_reply(out, sizeof(out),
					    (enum icp_op)c->op, c->reqnum,
					    c->options, c->option_data,
					    "http://a/", 9);
		if (n != (int)c->wlen)
			fail_msg("%s: length %d, expected %zu", c->name, n,
				 c->wlen);
		assert_memory_equal(out, c->want, c->wlen);
		/* What we build, we read back. */
		assert_int_equal(icp_parse(out, (size_t)n, &m), 0);
		assert_int_equal(m.op, c->op);
		assert_int_equal(m.reqnum, c->reqnum);
		/* Exactly the room needed is enough, one byte less not. */
		assert_int_equal(c->op == ICP_OP_QUERY ?
			icp_build_query(out, c->wlen - 1, c->reqnum, 0,
					"http://a/", 9) :
			icp_build_reply(out, c->wlen - 1, (enum icp_op)c->op,
					c->reqnum, 0, 0, "http://a/", 9), -1);
	}
}

static void
test_build_refused(void **state)
{
	uint8_t out[64];
	char *big;
	size_t n;

	(void)state;
	assert_int_equal(icp_build_reply(out, sizeof(out), ICP_OP_QUERY, 1,
					 0, 0, "a", 1), -1);
	assert_int_equal(icp_build_reply(out, sizeof(out), ICP_OP_HIT_OBJ, 1,
					 0, 0, "a", 1), -1);
	assert_int_equal(icp_build_reply(out, sizeof(out), ICP_OP_INVALID,
					 1, 0, 0, "a", 1), -1);
	assert_int_equal(icp_build_query(out, sizeof(out), 1, 0, "a\0b", 3),
			 -1);
	assert_int_equal(icp_build_query(out, sizeof(out), 1, 0, "", 0), -1);
	/* The longest URL a query can carry, and one byte more. */
	n = ICP_MSG_MAX - ICP_HDR_LEN - 4 - 1;
	big = malloc(ICP_MSG_MAX + 1);
	assert_non_null(big);
	memset(big, 'u', ICP_MSG_MAX);
	{
		uint8_t *o = malloc(ICP_MSG_MAX + 8);

		assert_non_null(o);
		assert_int_equal(icp_build_query(o, ICP_MSG_MAX + 8, 1, 0,
						 big, n), ICP_MSG_MAX);
		assert_int_equal(icp_build_query(o, ICP_MSG_MAX + 8, 1, 0,
						 big, n + 1), -1);
		assert_int_equal(icp_build_reply(o, ICP_MSG_MAX + 8,
						 ICP_OP_MISS, 1, 0, 0, big,
						 n + 4), ICP_MSG_MAX);
		free(o);
	}
	free(big);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(icp_op_str(ICP_OP_QUERY), "ICP_QUERY");
	assert_string_equal(icp_op_str(ICP_OP_MISS_NOFETCH),
			    "ICP_MISS_NOFETCH");
	assert_string_equal(icp_op_str(ICP_OP_DENIED), "ICP_DENIED");
	assert_string_equal(icp_op_str(7), "ICP_INVALID");
	assert_string_equal(icp_op_str(-1), "ICP_INVALID");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_refused),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
