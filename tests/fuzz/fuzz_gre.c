/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_gre.c - libFuzzer target for the WCCPv2 GRE data plane's pure
 * code: wccp2_gre_parse() over arbitrary bytes must never crash or read
 * out of bounds, and what it accepts must describe an IPv4 packet inside
 * the input that
 *  - re-wraps (wccp2_gre_encap) and parses again to the same bytes;
 *  - turns into a returned packet (wccp2_gre_return_encap, in place)
 *    that a router parses back to the same packet and redirect header;
 *  - goes through wccp2_tcp_seg_parse and the flow table
 *    (wccp2_flow_classify, a small table kept across inputs so that
 *    chains, expiry and the full-table policy are exercised), with a
 *    verdict in range and the table's counts consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wccp/gre.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[70000];
static uint8_t work[70000];
static struct wccp2_flowtab ft;
static uint32_t clock_s;

/* The "kernel" answers from the segment itself: deterministic. */
static int
lookup(void *arg, const struct wccp2_tcp_seg *s)
{
	(void)arg;
	return (int)((s->sport ^ s->dport) % 3) - 1;	/* -1, 0 or 1 */
}

static void
check_return(const uint8_t *data, size_t size, const struct wccp2_gre_pkt *p)
{
	struct wccp2_gre_pkt q;
	size_t start, len;

	memcpy(work, data, size);
	len = wccp2_gre_return_encap(work, p, &start);
	if (start + len != p->inner_off + p->inner_len || start < 12 ||
	    memcmp(work + start + 8, data + p->inner_off, p->inner_len) != 0)
		abort();
	if (20 + len > 65535)
		return;
	memset(out, 0, 20);
	out[0] = 0x45;
	out[2] = (uint8_t)((20 + len) >> 8);
	out[3] = (uint8_t)(20 + len);
	out[9] = 47;
	memcpy(out + 20, work + start, len);
	if (wccp2_gre_parse(out, 20 + len, &q) != 0 || !q.has_redirect ||
	    q.inner_len != p->inner_len ||
	    q.service_id != (p->has_redirect ? p->service_id : 0) ||
	    q.pri_bucket != (p->has_redirect ? p->pri_bucket : 0) ||
	    memcmp(out + q.inner_off, data + p->inner_off, p->inner_len) != 0)
		abort();
}

static void
check_flow(const uint8_t *inner, size_t len)
{
	struct wccp2_tcp_seg s;
	uint32_t n0;
	int kind, v;

	kind = wccp2_tcp_seg_parse(inner, len, &s);
	if (kind < WCCP2_SEG_TCP || kind > WCCP2_SEG_FRAGMENT)
		abort();
	if (kind != WCCP2_SEG_TCP)
		return;
	if (ft.cap == 0 && wccp2_flow_init(&ft, 16, 99) != 0)
		abort();
	clock_s += s.flags & 0x3f;	/* time moves, sometimes a lot */
	n0 = ft.n;
	v = wccp2_flow_classify(&ft, &s, clock_s, lookup, NULL);
	if (v < WCCP2_FV_INJECT_SYN || v > WCCP2_FV_RETURN_FULL ||
	    ft.n > ft.cap || ft.nreturn > ft.n || ft.n > n0 + 1)
		abort();
	wccp2_flow_expire(&ft, clock_s, 4);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wccp2_gre_pkt p, q;
	int rc, n;

	rc = wccp2_gre_parse(data, size, &p);
	if (rc > 0)
		abort();
	if (rc < 0)
		return 0;
	if (p.inner_off < 28 - 4 || p.inner_len < 20 ||
	    p.inner_off + p.inner_len > size || data[p.inner_off] >> 4 != 4)
		abort();
	check_return(data, size, &p);
	check_flow(data + p.inner_off, p.inner_len);
	/* Outer header (20 bytes, no options) + our own encapsulation. */
	memcpy(out, data, 20);
	out[0] = 0x45;
	out[6] = out[7] = 0;
	n = wccp2_gre_encap(data + p.inner_off, p.inner_len, p.service_id, 1,
			    p.pri_bucket, out + 20, sizeof(out) - 20);
	if (n < 0)
		abort();
	if (20 + n > 65535)
		return 0;
	out[2] = (uint8_t)((20 + n) >> 8);
	out[3] = (uint8_t)(20 + n);
	if (wccp2_gre_parse(out, 20 + (size_t)n, &q) != 0 ||
	    q.inner_len != p.inner_len || q.service_id != p.service_id ||
	    memcmp(out + q.inner_off, data + p.inner_off, p.inner_len) != 0)
		abort();
	return 0;
}
