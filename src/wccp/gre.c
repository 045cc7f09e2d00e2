/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gre.c - pure parsing (and, for tests, building) of GRE-redirected
 * WCCPv2 packets. No I/O, no allocation, no globals: see gre.h for the
 * wire format and gre_tun.c for the socket and TUN side.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wccp/gre.h"

#define IPPROTO_GRE_	47
#define IP_MF_		0x2000
#define IP_OFFMASK_	0x1fff

/*
 * Check the IPv4 header at buf (avail bytes): version 4, IHL >= 5 and
 * within avail, total length >= IHL and <= avail. Returns the total
 * length, or 0 when malformed, or -1 when shorter than 20 bytes.
 */
static long
ipv4_check(const uint8_t *buf, size_t avail)
{
	size_t ihl, tot;

	if (avail < 20)
		return -1;
	if ((buf[0] >> 4) != 4)
		return 0;
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	tot = be16(buf + 2);
	if (ihl < 20 || ihl > tot || tot > avail)
		return 0;
	return (long)tot;
}

int
wccp2_gre_parse(const uint8_t *buf, size_t len, struct wccp2_gre_pkt *p)
{
	const uint8_t *g;
	size_t ihl, tot, off, rest;
	long n;

	memset(p, 0, sizeof(*p));
	n = ipv4_check(buf, len);
	if (n < 0)
		return WCCP2_GRE_E_SHORT;
	/* Known even when the rest is refused, for the caller's log. */
	p->outer_src = be32(buf + 12);
	p->outer_dst = be32(buf + 16);
	if (n == 0)
		return WCCP2_GRE_E_OUTER;
	tot = (size_t)n;		/* the rest of buf is padding */
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	if (buf[9] != IPPROTO_GRE_)
		return WCCP2_GRE_E_NOTGRE;
	/* A raw socket sees reassembled datagrams; a fragment here would be
	 * a lie about its own length. */
	if (be16(buf + 6) & (IP_MF_ | IP_OFFMASK_))
		return WCCP2_GRE_E_FRAGMENT;

	off = ihl;
	if (tot - off < WCCP2_GRE_HDR_LEN)
		return WCCP2_GRE_E_SHORT;
	g = buf + off;
	/* RFC 2784 base header only: checksum, key, sequence (RFC 2890) and
	 * the RFC 1701 routing bits are never used by WCCP. */
	if (be16(g) != 0)
		return WCCP2_GRE_E_FLAGS;
	if (be16(g + 2) != WCCP2_GRE_PROTO)
		return WCCP2_GRE_E_PROTO;
	off += WCCP2_GRE_HDR_LEN;
	if (off >= tot)
		return WCCP2_GRE_E_SHORT;

	if ((buf[off] >> 4) != 4) {
		/* A WCCPv2 redirect header. */
		if (tot - off < WCCP2_REDIR_HDR_LEN)
			return WCCP2_GRE_E_SHORT;
		if (buf[off] & WCCP2_RH_MBZ)
			return WCCP2_GRE_E_REDIRECT;
		p->has_redirect = 1;
		p->rh_flags = buf[off];
		p->service_id = buf[off + 1];
		p->alt_bucket = buf[off + 2];
		p->pri_bucket = buf[off + 3];
		off += WCCP2_REDIR_HDR_LEN;
	}
	rest = tot - off;
	n = ipv4_check(buf + off, rest);
	if (n < 0)
		return rest == 0 ? WCCP2_GRE_E_SHORT : WCCP2_GRE_E_INNER;
	if (n == 0)
		return WCCP2_GRE_E_INNER;
	p->inner_off = off;
	p->inner_len = (size_t)n;
	return 0;
}

const char *
wccp2_gre_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case WCCP2_GRE_E_SHORT:
		return "truncated packet";
	case WCCP2_GRE_E_OUTER:
		return "bad outer IPv4 header";
	case WCCP2_GRE_E_NOTGRE:
		return "not GRE";
	case WCCP2_GRE_E_FRAGMENT:
		return "outer fragment";
	case WCCP2_GRE_E_FLAGS:
		return "GRE flags or version not zero";
	case WCCP2_GRE_E_PROTO:
		return "GRE protocol type is not WCCP (0x883E)";
	case WCCP2_GRE_E_REDIRECT:
		return "bad WCCPv2 redirect header";
	case WCCP2_GRE_E_INNER:
		return "inner packet is not a valid IPv4 packet";
	}
	return "unknown error";
}

int
wccp2_gre_encap(const uint8_t *inner, size_t len, uint8_t service_id,
		int dynamic, uint8_t bucket, uint8_t *out, size_t cap)
{
	size_t hl = WCCP2_GRE_HDR_LEN + WCCP2_REDIR_HDR_LEN;

	if (cap < hl || len > cap - hl || len > 65535)
		return -1;
	out[0] = 0;
	out[1] = 0;
	out[2] = WCCP2_GRE_PROTO >> 8;
	out[3] = WCCP2_GRE_PROTO & 0xff;
	out[4] = dynamic ? WCCP2_RH_DYNAMIC : 0;
	out[5] = service_id;
	out[6] = 0;
	out[7] = bucket;
	memcpy(out + hl, inner, len);
	return (int)(hl + len);
}
