/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_gre_return.c - WCCPv2 packet return (src/wccp/gre_return.c):
 *
 *  - the return encapsulation, byte by byte (draft-wilson-wrec-wccp-v2-01
 *    4.13: GRE flags/version 0, protocol 0x883E, the redirect header as
 *    received or a null one, the original packet unchanged), and that
 *    what it builds parses back (wccp2_gre_parse) to the same packet;
 *  - wccp2_tcp_seg_parse over a table of inner packets;
 *  - the flow table's decisions as tables of steps (segment, time, what
 *    the kernel would say, expected verdict, expected kernel lookups):
 *    SYN -> inject and track, tracked -> inject, untracked -> the kernel
 *    decides (none: return, remembered), RST ends a flow, FINs and idle
 *    time expire it, the full-table policy; then many flows at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
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

/* The inner packet: IPv4/TCP 198.18.1.2:40000 -> 198.18.2.2:80, ACK,
 * 4 bytes of payload "GET " (44 bytes). */
static const uint8_t inner[44] = {
	0x45, 0, 0, 44, 0x12, 0x34, 0x40, 0, 63, 6, 0xab, 0xcd,
	198, 18, 1, 2, 198, 18, 2, 2,
	0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 2,
	0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0,
	'G', 'E', 'T', ' ',
};

/*
 * A redirected packet as the raw socket reads it: outer IPv4 (router
 * 198.18.3.1 -> cache 198.18.3.2, opt option bytes), GRE, the redirect
 * header rh (NULL: none, WCCPv1 style), inner. Returns the length.
 */
static size_t
redirected(uint8_t *b, size_t opt, const uint8_t *rh)
{
	size_t ihl = 20 + opt, n;

	memset(b, 0, 128);
	b[0] = (uint8_t)(0x40 | ihl / 4);
	b[8] = 62;
	b[9] = 47;
	b[12] = 198; b[13] = 18; b[14] = 3; b[15] = 1;
	b[16] = 198; b[17] = 18; b[18] = 3; b[19] = 2;
	memset(b + 20, 0x01, opt);		/* NOP options */
	n = ihl;
	b[n + 2] = 0x88;
	b[n + 3] = 0x3e;
	n += 4;
	if (rh != NULL) {
		memcpy(b + n, rh, 4);
		n += 4;
	}
	memcpy(b + n, inner, sizeof(inner));
	n += sizeof(inner);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	return n;
}

static const struct encap_row {
	const char     *name;
	size_t          opt;		/* outer option bytes */
	int             has_rh;
	uint8_t         rh[4];		/* as the router sent it */
	size_t          start;		/* where the returned packet begins */
	uint8_t         want[8];	/* its GRE + redirect header */
} encap_rows[] = {
	{ "dynamic 90, primary bucket", 0, 1, { 0x01, 90, 0, 200 }, 20,
	  { 0, 0, 0x88, 0x3e, 0x01, 90, 0, 200 } },
	{ "alternate bucket used", 0, 1, { 0x03, 80, 7, 200 }, 20,
	  { 0, 0, 0x88, 0x3e, 0x03, 80, 7, 200 } },
	{ "standard 0, ignore flag", 0, 1, { 0x04, 0, 0, 0 }, 20,
	  { 0, 0, 0x88, 0x3e, 0x04, 0, 0, 0 } },
	{ "outer options", 8, 1, { 0x01, 80, 0, 17 }, 28,
	  { 0, 0, 0x88, 0x3e, 0x01, 80, 0, 17 } },
	/* WCCPv1 style: a null redirect header, written over the end of
	 * the outer header (draft 4.13). */
	{ "no redirect header", 0, 0, { 0 }, 16,
	  { 0, 0, 0x88, 0x3e, 0, 0, 0, 0 } },
	{ "no redirect header, options", 4, 0, { 0 }, 20,
	  { 0, 0, 0x88, 0x3e, 0, 0, 0, 0 } },
};

static void
test_return_encap(void **state)
{
	uint8_t b[128], pkt[128];
	struct wccp2_gre_pkt p, q;
	size_t i, n, start, len;

	(void)state;
	for (i = 0; i < sizeof(encap_rows) / sizeof(encap_rows[0]); i++) {
		const struct encap_row *r = &encap_rows[i];

		n = redirected(b, r->opt, r->has_rh ? r->rh : NULL);
		EXPECT_INT(wccp2_gre_parse(b, n, &p), 0, "parse", r->name);
		len = wccp2_gre_return_encap(b, &p, &start);
		EXPECT_INT(start, r->start, "start", r->name);
		EXPECT_INT(len, 8 + sizeof(inner), "length", r->name);
		if (memcmp(b + start, r->want, 8) != 0) {
			print_error("%s: header %02x%02x%02x%02x %02x%02x%02x"
				    "%02x\n", r->name, b[start], b[start + 1],
				    b[start + 2], b[start + 3], b[start + 4],
				    b[start + 5], b[start + 6], b[start + 7]);
			fail();
		}
		/* the original packet, untouched, right after */
		assert_memory_equal(b + start + 8, inner, sizeof(inner));
		EXPECT_INT(start + len, n, "ends where the packet did",
			   r->name);

		/* What the router receives (the kernel's outer header,
		 * cache -> router, added here by hand) parses back. */
		memset(pkt, 0, 20);
		pkt[0] = 0x45;
		pkt[2] = (uint8_t)((20 + len) >> 8);
		pkt[3] = (uint8_t)(20 + len);
		pkt[8] = 64;
		pkt[9] = 47;
		memcpy(pkt + 12, b + 16, 4);
		memcpy(pkt + 16, b + 12, 4);
		memcpy(pkt + 20, b + start, len);
		EXPECT_INT(wccp2_gre_parse(pkt, 20 + len, &q), 0, "re-parse",
			   r->name);
		EXPECT_INT(q.has_redirect, 1, "redirect header", r->name);
		EXPECT_INT(q.rh_flags, r->has_rh ? r->rh[0] : 0, "flags",
			   r->name);
		EXPECT_INT(q.service_id, r->has_rh ? r->rh[1] : 0, "service",
			   r->name);
		EXPECT_INT(q.alt_bucket, r->has_rh ? r->rh[2] : 0, "alt",
			   r->name);
		EXPECT_INT(q.pri_bucket, r->has_rh ? r->rh[3] : 0, "pri",
			   r->name);
		EXPECT_INT(q.inner_len, sizeof(inner), "inner length",
			   r->name);
		assert_memory_equal(pkt + q.inner_off, inner, sizeof(inner));
	}
}

/* ---- wccp2_tcp_seg_parse ---- */

enum seg_mut { S_TCP, S_TCP_OPTS, S_UDP, S_ICMP, S_MF, S_OFFSET, S_SHORT };

static const struct seg_row {
	const char     *name;
	enum seg_mut    mut;
	int             kind;
	uint8_t         flags;
} seg_rows[] = {
	{ "tcp ack",		S_TCP,		WCCP2_SEG_TCP, WCCP2_TCP_ACK },
	{ "tcp, ip options",	S_TCP_OPTS,	WCCP2_SEG_TCP, WCCP2_TCP_ACK },
	{ "udp",		S_UDP,		WCCP2_SEG_OTHER, 0 },
	{ "icmp",		S_ICMP,		WCCP2_SEG_OTHER, 0 },
	{ "more fragments",	S_MF,		WCCP2_SEG_FRAGMENT, 0 },
	{ "fragment offset",	S_OFFSET,	WCCP2_SEG_FRAGMENT, 0 },
	{ "header cut short",	S_SHORT,	WCCP2_SEG_FRAGMENT, 0 },
};

static void
test_seg_parse(void **state)
{
	uint8_t b[64];
	struct wccp2_tcp_seg s;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(seg_rows) / sizeof(seg_rows[0]); i++) {
		const struct seg_row *r = &seg_rows[i];

		memcpy(b, inner, sizeof(inner));
		len = sizeof(inner);
		switch (r->mut) {
		case S_TCP_OPTS:	/* 4 option bytes before TCP */
			memmove(b + 24, b + 20, 24);
			memset(b + 20, 1, 4);
			b[0] = 0x46;
			len += 4;
			break;
		case S_UDP:	b[9] = 17; break;
		case S_ICMP:	b[9] = 1; break;
		case S_MF:	b[6] = 0x20; break;
		case S_OFFSET:	b[6] = 0; b[7] = 0x10; break;
		case S_SHORT:	len = 33; break;
		default:	break;
		}
		EXPECT_INT(wccp2_tcp_seg_parse(b, len, &s), r->kind, "kind",
			   r->name);
		if (r->kind != WCCP2_SEG_TCP)
			continue;
		EXPECT_INT(s.saddr, 0xc6120102u, "saddr", r->name);
		EXPECT_INT(s.daddr, 0xc6120202u, "daddr", r->name);
		EXPECT_INT(s.sport, 40000, "sport", r->name);
		EXPECT_INT(s.dport, 80, "dport", r->name);
		EXPECT_INT(s.flags, r->flags, "flags", r->name);
	}
}

/* ---- the flow table ---- */

/* What the kernel says in these tests, and how often it was asked. */
struct kernel {
	int             answer;		/* 1, 0 or -errno */
	int             calls;
};

static int
kernel_lookup(void *arg, const struct wccp2_tcp_seg *s)
{
	struct kernel *k = arg;

	(void)s;
	k->calls++;
	return k->answer;
}

#define C2S	0	/* client 198.18.1.2:40000+flow -> origin :80 */
#define S2C	1	/* the origin's answer */
#define F	WCCP2_TCP_FIN
#define SYN	WCCP2_TCP_SYN
#define RST	WCCP2_TCP_RST
#define ACK	WCCP2_TCP_ACK
#define NONE	(-1)		/* no entry expected */

struct step {
	int             dir;
	int             flow;
	uint8_t         flags;
	uint32_t        t;		/* seconds from the start */
	int             kernel;		/* its answer if asked */
	int             verdict;	/* WCCP2_FV_* */
	int             lookups;	/* kernel calls this step makes */
	int             state;		/* entry afterwards, or NONE */
};

struct scenario {
	const char     *name;
	uint32_t        cap;
	struct step     step[16];
	size_t          nstep;
};

static void
seg_of(int dir, int flow, uint8_t flags, struct wccp2_tcp_seg *s)
{
	uint32_t cli = 0xc6120102u, srv = 0xc6120202u;
	uint16_t cport = (uint16_t)(40000 + flow);

	memset(s, 0, sizeof(*s));
	s->saddr = dir == C2S ? cli : srv;
	s->daddr = dir == C2S ? srv : cli;
	s->sport = dir == C2S ? cport : 80;
	s->dport = dir == C2S ? 80 : cport;
	s->flags = flags;
}

#define STEPS(...) { __VA_ARGS__ }, \
	sizeof((struct step[]){ __VA_ARGS__ }) / sizeof(struct step)

/* A clock near the 32-bit wrap, so ages are computed across it. */
#define T0	(UINT32_MAX - 100u)

static const struct scenario scenarios[] = {
	{ "SYN opens a flow, both directions injected, no lookup", 16, STEPS(
	  { C2S, 1, SYN, 0, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { S2C, 1, SYN | ACK, 0, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  { C2S, 1, ACK, 1, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  { S2C, 1, ACK, 2, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE }) },
	{ "an older connection is returned, asked once", 16, STEPS(
	  { C2S, 2, ACK, 0, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN },
	  { C2S, 2, ACK, 1, 0, WCCP2_FV_RETURN, 0, WCCP2_FS_RETURN },
	  { S2C, 2, ACK, 1, 1, WCCP2_FV_RETURN, 0, WCCP2_FS_RETURN },
	  { C2S, 2, F | ACK, 2, 0, WCCP2_FV_RETURN, 0, WCCP2_FS_RETURN }) },
	{ "the kernel holds it (entry expired): injected, tracked", 16,
	  STEPS(
	  { C2S, 3, ACK, 0, 1, WCCP2_FV_INJECT_KERNEL, 1, WCCP2_FS_SERVE },
	  { S2C, 3, ACK, 1, 1, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE }) },
	{ "SYN-ACK of a spoofed connection: the kernel has it", 16, STEPS(
	  { S2C, 4, SYN | ACK, 0, 1, WCCP2_FV_INJECT_KERNEL, 1,
	    WCCP2_FS_SERVE },
	  { S2C, 4, ACK, 0, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE }) },
	{ "a SYN-ACK asks again despite a returned entry", 16, STEPS(
	  { S2C, 5, ACK, 0, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN },
	  { S2C, 5, SYN | ACK, 1, 1, WCCP2_FV_INJECT_KERNEL, 1,
	    WCCP2_FS_SERVE },
	  { C2S, 5, ACK, 1, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE }) },
	{ "a SYN turns a returned flow into a served one", 16, STEPS(
	  { C2S, 6, ACK, 0, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN },
	  { C2S, 6, SYN, 1, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 6, ACK, 1, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE }) },
	{ "RST ends a served flow; the next segment asks", 16, STEPS(
	  { C2S, 7, SYN, 0, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { S2C, 7, RST | ACK, 1, 0, WCCP2_FV_INJECT, 0, NONE },
	  { C2S, 7, ACK, 2, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN }) },
	{ "RST of a returned flow is returned, entry gone", 16, STEPS(
	  { C2S, 8, ACK, 0, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN },
	  { S2C, 8, RST, 1, 0, WCCP2_FV_RETURN, 0, NONE }) },
	{ "FIN each way: 60 s more, then the kernel decides", 16, STEPS(
	  { C2S, 9, SYN, 0, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 9, F | ACK, 10, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  /* one FIN: still the idle lifetime */
	  { S2C, 9, ACK, 69, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  { S2C, 9, F | ACK, 70, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  { C2S, 9, ACK, 129, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  /* 60 s after the last segment of a closed flow: asked (the
	   * kernel's TIME_WAIT socket would answer yes) */
	  { C2S, 9, ACK, 189, 1, WCCP2_FV_INJECT_KERNEL, 1,
	    WCCP2_FS_SERVE }) },
	{ "idle served flow: 300 s, then the kernel decides", 16, STEPS(
	  { C2S, 10, SYN, 0, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 10, ACK, 299, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  { C2S, 10, ACK, 598, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  { C2S, 10, ACK, 898, 1, WCCP2_FV_INJECT_KERNEL, 1,
	    WCCP2_FS_SERVE }) },
	{ "returned flow remembered 60 s", 16, STEPS(
	  { C2S, 11, ACK, 0, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN },
	  { C2S, 11, ACK, 59, 0, WCCP2_FV_RETURN, 0, WCCP2_FS_RETURN },
	  { C2S, 11, ACK, 119, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN }) },
	{ "the kernel cannot tell: returned", 16, STEPS(
	  { C2S, 12, ACK, 0, -EIO, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN }) },
	{ "full table: new SYN returned, served flows kept", 4, STEPS(
	  { C2S, 1, SYN, 0, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 2, SYN, 0, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 3, SYN, 1, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 4, SYN, 1, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 5, SYN, 2, 0, WCCP2_FV_RETURN_FULL, 0, NONE },
	  /* ... and its later segments, not ours, go back too */
	  { C2S, 5, ACK, 2, 0, WCCP2_FV_RETURN, 1, NONE },
	  { S2C, 1, ACK, 3, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  { C2S, 4, ACK, 3, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE },
	  /* an untracked flow the kernel holds: injected all the same */
	  { C2S, 6, ACK, 3, 1, WCCP2_FV_INJECT_KERNEL, 1, NONE },
	  /* flows 2 and 3 idle out (1 and 4 were refreshed at 3 s): the
	   * full sweep makes room for new SYNs */
	  { C2S, 7, SYN, 301, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 8, SYN, 301, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 9, SYN, 301, 0, WCCP2_FV_RETURN_FULL, 0, NONE },
	  { S2C, 4, ACK, 302, 0, WCCP2_FV_INJECT, 0, WCCP2_FS_SERVE }) },
	{ "returned flows leave the last quarter to served ones", 4, STEPS(
	  { C2S, 1, ACK, 0, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN },
	  { C2S, 2, ACK, 0, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN },
	  { C2S, 3, ACK, 0, 0, WCCP2_FV_RETURN, 1, WCCP2_FS_RETURN },
	  { C2S, 4, ACK, 0, 0, WCCP2_FV_RETURN, 1, NONE },
	  { C2S, 4, ACK, 0, 0, WCCP2_FV_RETURN, 1, NONE },
	  { C2S, 5, SYN, 1, 0, WCCP2_FV_INJECT_SYN, 0, WCCP2_FS_SERVE },
	  { C2S, 6, SYN, 1, 0, WCCP2_FV_RETURN_FULL, 0, NONE }) },
};

static void
test_flow_scenarios(void **state)
{
	struct wccp2_flowtab t;
	struct wccp2_tcp_seg s;
	struct kernel k;
	const struct wccp2_flow *f;
	char what[128];
	size_t i, j;
	int v, calls;

	(void)state;
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		uint64_t full = 0;

		assert_int_equal(wccp2_flow_init(&t, sc->cap, 12345), 0);
		for (j = 0; j < sc->nstep; j++) {
			const struct step *st = &sc->step[j];

			snprintf(what, sizeof(what), "%s, step %zu", sc->name,
				 j + 1);
			seg_of(st->dir, st->flow, st->flags, &s);
			k.answer = st->kernel;
			k.calls = 0;
			v = wccp2_flow_classify(&t, &s, T0 + st->t,
						kernel_lookup, &k);
			calls = k.calls;
			EXPECT_INT(v, st->verdict, "verdict", what);
			EXPECT_INT(calls, st->lookups, "kernel lookups", what);
			f = wccp2_flow_find(&t, &s);
			EXPECT_INT(f ? f->state : NONE, st->state, "entry",
				   what);
			if (v == WCCP2_FV_RETURN_FULL)
				full++;
			EXPECT_INT(t.full, full, "refused count", what);
			EXPECT_INT(wccp2_flow_returns(v),
				   v == WCCP2_FV_RETURN ||
				   v == WCCP2_FV_RETURN_FULL, "returns", what);
		}
		wccp2_flow_free(&t);
	}
}

/* Many flows: every one findable, counts right, expiry in slices frees
 * exactly the idle ones, chains survive removals from their middle. */
static void
test_flow_many(void **state)
{
	struct wccp2_flowtab t;
	struct wccp2_tcp_seg s;
	struct kernel k = { 0, 0 };
	uint32_t i, freed = 0, rounds;
	int v;

	(void)state;
	/* 3000 flows in 4096 entries: chains of several entries. */
	assert_int_equal(wccp2_flow_init(&t, 4096, 7), 0);
	for (i = 0; i < 3000; i++) {
		seg_of(C2S, (int)i, SYN, &s);
		s.saddr += i >> 8;	/* spread addresses too */
		v = wccp2_flow_classify(&t, &s, 1000 + (i & 1) * 200,
					kernel_lookup, &k);
		EXPECT_INT(v, WCCP2_FV_INJECT_SYN, "syn", "many");
	}
	EXPECT_INT(t.n, 3000, "entries", "many");
	EXPECT_INT(k.calls, 0, "lookups", "many");
	/* At 1300 the flows stamped 1000 are 300 s idle: half go. */
	for (rounds = 0; rounds < 64; rounds++)
		freed += wccp2_flow_expire(&t, 1300, 100);
	EXPECT_INT(freed, 1500, "expired", "many");
	EXPECT_INT(t.n, 1500, "left", "many");
	for (i = 0; i < 3000; i++) {
		seg_of(S2C, (int)i, ACK, &s);
		s.daddr += i >> 8;
		EXPECT_INT(wccp2_flow_find(&t, &s) != NULL, i & 1, "found",
			   "many");
	}
	for (i = 1; i < 3000; i += 2) {
		seg_of(S2C, (int)i, ACK, &s);
		s.daddr += i >> 8;
		v = wccp2_flow_classify(&t, &s, 1300, kernel_lookup, &k);
		EXPECT_INT(v, WCCP2_FV_INJECT, "kept", "many");
	}
	EXPECT_INT(k.calls, 0, "lookups", "many");
	/* the free list is intact: fill up to the capacity exactly */
	for (i = 0; i < 4096 - 1500; i++) {
		seg_of(C2S, (int)(10000 + i), SYN, &s);
		s.saddr = 0x0a000000u + i;
		v = wccp2_flow_classify(&t, &s, 1300, kernel_lookup, &k);
		EXPECT_INT(v, WCCP2_FV_INJECT_SYN, "refill", "many");
	}
	EXPECT_INT(t.n, 4096, "full", "many");
	seg_of(C2S, 1, SYN, &s);
	s.saddr = 0x0b000000u;
	EXPECT_INT(wccp2_flow_classify(&t, &s, 1300, kernel_lookup, &k),
		   WCCP2_FV_RETURN_FULL, "refused", "many");
	wccp2_flow_free(&t);
	assert_int_equal(wccp2_flow_init(&t, 0, 1), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_return_encap),
		cmocka_unit_test(test_seg_parse),
		cmocka_unit_test(test_flow_scenarios),
		cmocka_unit_test(test_flow_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
