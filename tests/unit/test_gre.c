/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_gre.c - the WCCPv2 GRE parser (wccp2_gre_parse) and builder
 * (wccp2_gre_encap): a table of hand-made packets, valid and malformed,
 * each with the expected result, offsets and redirect-header fields;
 * then every truncation of a valid packet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "wccp/gre.h"

#define EXPECT_INT(got, want, what, row) do {				\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_) {							\
		print_error("%s: %s: got %lld, want %lld\n", (row),	\
			    (what), g_, w_);				\
		fail();							\
	}								\
} while (0)

/* Mutations applied to the reference packet. */
enum mut {
	M_NONE,
	M_NO_REDIRECT,		/* WCCPv1 style: inner right after GRE */
	M_OUTER_V6,		/* outer version 6 */
	M_OUTER_IHL4,		/* IHL 4 (16 bytes) */
	M_OUTER_IHL6,		/* IHL 6: 4 option bytes (valid) */
	M_OUTER_TOT_BIG,	/* total length > bytes present */
	M_OUTER_TOT_SMALL,	/* total length < IHL */
	M_PADDING,		/* 6 bytes of link padding after tot len */
	M_NOT_GRE,		/* protocol 6 */
	M_MF,			/* more-fragments bit */
	M_FRAG_OFF,		/* fragment offset */
	M_GRE_CSUM,		/* GRE checksum bit */
	M_GRE_KEY,		/* GRE key bit */
	M_GRE_VER1,		/* GRE version 1 (PPTP) */
	M_GRE_PROTO_IP,		/* protocol type 0x0800 */
	M_RH_RESERVED,		/* reserved bit in the redirect header */
	M_RH_FLAGS,		/* all three defined flags */
	M_INNER_V6,		/* inner version 6 */
	M_INNER_IHL3,
	M_INNER_TOT_BIG,
	M_INNER_TOT_SMALL,	/* total length 20 of a 40-byte packet */
	M_NO_INNER,		/* GRE + redirect header, nothing after */
};

static size_t
build(enum mut m, uint8_t *b)
{
	/* inner: IPv4/TCP 198.18.1.2:40000 -> 198.18.2.2:80, 40 bytes */
	static const uint8_t inner[40] = {
		0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0,
		198, 18, 1, 2, 198, 18, 2, 2,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0,
		0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};
	size_t ihl = m == M_OUTER_IHL6 ? 24 : 20, n, tot;
	uint8_t *g, *in;

	memset(b, 0, 256);
	b[0] = (uint8_t)(0x40 | ihl / 4);
	b[8] = 64;
	b[9] = 47;
	b[12] = 198; b[13] = 18; b[14] = 3; b[15] = 1;	/* router */
	b[16] = 198; b[17] = 18; b[18] = 3; b[19] = 2;	/* cache */
	g = b + ihl;
	g[2] = 0x88;
	g[3] = 0x3e;
	n = ihl + 4;
	if (m != M_NO_REDIRECT) {
		g[4] = WCCP2_RH_DYNAMIC;
		g[5] = 80;
		g[6] = 7;
		g[7] = 200;
		n += 4;
	}
	in = b + n;
	if (m != M_NO_INNER) {
		memcpy(in, inner, sizeof(inner));
		n += sizeof(inner);
	}
	tot = n;
	switch (m) {
	case M_OUTER_V6:	b[0] = 0x65; break;
	case M_OUTER_IHL4:	b[0] = 0x44; break;
	case M_OUTER_TOT_BIG:	tot = n + 1; break;
	case M_OUTER_TOT_SMALL:	tot = 19; break;
	case M_PADDING:		n += 6; memset(b + tot, 0xee, 6); break;
	case M_NOT_GRE:		b[9] = 6; break;
	case M_MF:		b[6] = 0x20; break;
	case M_FRAG_OFF:	b[7] = 0x01; break;
	case M_GRE_CSUM:	g[0] = 0x80; break;
	case M_GRE_KEY:		g[0] = 0x20; break;
	case M_GRE_VER1:	g[1] = 0x01; break;
	case M_GRE_PROTO_IP:	g[2] = 0x08; g[3] = 0x00; break;
	case M_RH_RESERVED:	g[4] |= 0x10; break;
	case M_RH_FLAGS:	g[4] = 0x07; break;
	case M_INNER_V6:	in[0] = 0x65; break;
	case M_INNER_IHL3:	in[0] = 0x43; break;
	case M_INNER_TOT_BIG:	in[3] = 41; break;
	case M_INNER_TOT_SMALL:	in[3] = 20; break;
	default:		break;
	}
	b[2] = (uint8_t)(tot >> 8);
	b[3] = (uint8_t)tot;
	return n;
}

static const struct row {
	const char     *name;
	enum mut        mut;
	int             rc;
	int             has_redirect;
	size_t          inner_off;
	size_t          inner_len;
	uint8_t         rh_flags;
} rows[] = {
	{ "valid",		M_NONE,		0, 1, 28, 40,
	  WCCP2_RH_DYNAMIC },
	{ "no redirect hdr",	M_NO_REDIRECT,	0, 0, 24, 40, 0 },
	{ "outer options",	M_OUTER_IHL6,	0, 1, 32, 40,
	  WCCP2_RH_DYNAMIC },
	{ "link padding",	M_PADDING,	0, 1, 28, 40,
	  WCCP2_RH_DYNAMIC },
	{ "all rh flags",	M_RH_FLAGS,	0, 1, 28, 40, 0x07 },
	{ "inner shorter",	M_INNER_TOT_SMALL, 0, 1, 28, 20,
	  WCCP2_RH_DYNAMIC },
	{ "outer v6",		M_OUTER_V6,	WCCP2_GRE_E_OUTER, 0, 0, 0, 0 },
	{ "outer ihl 4",	M_OUTER_IHL4,	WCCP2_GRE_E_OUTER, 0, 0, 0, 0 },
	{ "outer tot > len",	M_OUTER_TOT_BIG, WCCP2_GRE_E_OUTER,
	  0, 0, 0, 0 },
	{ "outer tot < ihl",	M_OUTER_TOT_SMALL, WCCP2_GRE_E_OUTER,
	  0, 0, 0, 0 },
	{ "not gre",		M_NOT_GRE,	WCCP2_GRE_E_NOTGRE,
	  0, 0, 0, 0 },
	{ "MF",			M_MF,		WCCP2_GRE_E_FRAGMENT,
	  0, 0, 0, 0 },
	{ "frag offset",	M_FRAG_OFF,	WCCP2_GRE_E_FRAGMENT,
	  0, 0, 0, 0 },
	{ "gre checksum",	M_GRE_CSUM,	WCCP2_GRE_E_FLAGS, 0, 0, 0, 0 },
	{ "gre key",		M_GRE_KEY,	WCCP2_GRE_E_FLAGS, 0, 0, 0, 0 },
	{ "gre version 1",	M_GRE_VER1,	WCCP2_GRE_E_FLAGS, 0, 0, 0, 0 },
	{ "gre proto ip",	M_GRE_PROTO_IP,	WCCP2_GRE_E_PROTO, 0, 0, 0, 0 },
	{ "rh reserved",	M_RH_RESERVED,	WCCP2_GRE_E_REDIRECT,
	  0, 0, 0, 0 },
	{ "inner v6",		M_INNER_V6,	WCCP2_GRE_E_INNER, 0, 0, 0, 0 },
	{ "inner ihl 3",	M_INNER_IHL3,	WCCP2_GRE_E_INNER, 0, 0, 0, 0 },
	{ "inner tot > len",	M_INNER_TOT_BIG, WCCP2_GRE_E_INNER,
	  0, 0, 0, 0 },
	{ "no inner",		M_NO_INNER,	WCCP2_GRE_E_SHORT, 0, 0, 0, 0 },
};

static void
test_parse_table(void **state)
{
	uint8_t b[256];
	struct wccp2_gre_pkt p;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		n = build(r->mut, b);
		rc = wccp2_gre_parse(b, n, &p);
		EXPECT_INT(rc, r->rc, "result", r->name);
		assert_non_null(wccp2_gre_strerror(rc));
		/* the source is known whenever 20 bytes are there */
		EXPECT_INT(p.outer_src, 0xc6120301u, "outer_src", r->name);
		if (rc < 0)
			continue;
		EXPECT_INT(p.outer_dst, 0xc6120302u, "outer_dst", r->name);
		EXPECT_INT(p.has_redirect, r->has_redirect, "redirect",
			   r->name);
		EXPECT_INT(p.inner_off, r->inner_off, "inner_off", r->name);
		EXPECT_INT(p.inner_len, r->inner_len, "inner_len", r->name);
		EXPECT_INT(p.rh_flags, r->rh_flags, "rh_flags", r->name);
		if (r->has_redirect) {
			EXPECT_INT(p.service_id, 80, "service", r->name);
			EXPECT_INT(p.alt_bucket, 7, "alt bucket", r->name);
			EXPECT_INT(p.pri_bucket, 200, "pri bucket", r->name);
		}
		EXPECT_INT(b[p.inner_off], 0x45, "inner first byte", r->name);
	}
}

/* Every prefix of a valid packet is refused, never read past. */
static void
test_truncated(void **state)
{
	uint8_t b[256];
	struct wccp2_gre_pkt p;
	size_t n, k;
	char what[32];

	(void)state;
	n = build(M_NONE, b);
	for (k = 0; k < n; k++) {
		int rc = wccp2_gre_parse(b, k, &p);

		snprintf(what, sizeof(what), "prefix %zu", k);
		/* < 20: short; otherwise the outer total length lies */
		EXPECT_INT(rc, k < 20 ? WCCP2_GRE_E_SHORT : WCCP2_GRE_E_OUTER,
			   "result", what);
	}
	/* consistent total lengths, cut inside GRE / redirect / inner */
	for (k = 20; k < n; k++) {
		int rc;

		n = build(M_NONE, b);
		b[2] = (uint8_t)(k >> 8);
		b[3] = (uint8_t)k;
		rc = wccp2_gre_parse(b, k, &p);
		snprintf(what, sizeof(what), "tot %zu", k);
		if (rc != WCCP2_GRE_E_SHORT && rc != WCCP2_GRE_E_INNER)
			EXPECT_INT(rc, WCCP2_GRE_E_SHORT, "result", what);
	}
}

static void
test_encap_round_trip(void **state)
{
	uint8_t b[256], out[300], pkt[400];
	struct wccp2_gre_pkt p;
	size_t n;
	int len;

	(void)state;
	n = build(M_NONE, b);
	/* re-wrap the inner packet with the builder, add an outer header */
	len = wccp2_gre_encap(b + 28, 40, 90, 1, 33, out, sizeof(out));
	EXPECT_INT(len, 48, "encap length", "encap");
	memcpy(pkt, b, 20);
	memcpy(pkt + 20, out, (size_t)len);
	pkt[2] = 0;
	pkt[3] = (uint8_t)(20 + len);
	EXPECT_INT(wccp2_gre_parse(pkt, 20 + (size_t)len, &p), 0, "parse",
		   "encap");
	EXPECT_INT(p.service_id, 90, "service", "encap");
	EXPECT_INT(p.pri_bucket, 33, "bucket", "encap");
	EXPECT_INT(p.rh_flags, WCCP2_RH_DYNAMIC, "flags", "encap");
	assert_memory_equal(pkt + p.inner_off, b + 28, 40);
	EXPECT_INT(wccp2_gre_encap(b, 40, 0, 0, 0, out, 47), -1, "no room",
		   "encap");
	(void)n;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_encap_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
