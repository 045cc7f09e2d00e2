/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * md5.c - MD5 (RFC 1321), only for WCCPv2's security component.
 *
 * tproxyd links no crypto library, and WCCP's MD5 "security" is a keyed
 * checksum over a few hundred bytes: a small, self-contained
 * implementation is enough. Not for anything that needs real security.
 */
#include <string.h>

#include "wccp/wccp2.h"

/* Per-round shift amounts (RFC 1321 section 3.4). */
static const uint8_t shift[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
	4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

/* floor(2^32 * |sin(i + 1)|), the table T of RFC 1321. */
static const uint32_t sine[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
	0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
	0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
	0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
	0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static uint32_t
rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void
transform(uint32_t st[4], const uint8_t blk[64])
{
	uint32_t w[16], a = st[0], b = st[1], c = st[2], d = st[3], f, tmp;
	unsigned i, g;

	for (i = 0; i < 16; i++)	/* MD5 is little-endian */
		w[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
		    (uint32_t)blk[4 * i + 2] << 16 |
		    (uint32_t)blk[4 * i + 3] << 24;
	for (i = 0; i < 64; i++) {
		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		tmp = d;
		d = c;
		c = b;
		b = b + rol(a + f + sine[i] + w[g], shift[i]);
		a = tmp;
	}
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
}

void
wccp2_md5_init(struct wccp2_md5 *c)
{
	c->state[0] = 0x67452301;
	c->state[1] = 0xefcdab89;
	c->state[2] = 0x98badcfe;
	c->state[3] = 0x10325476;
	c->nbytes = 0;
}

void
wccp2_md5_update(struct wccp2_md5 *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t have = (size_t)(c->nbytes % 64), take;

	c->nbytes += len;
	while (len > 0) {
		take = 64 - have < len ? 64 - have : len;
		memcpy(c->block + have, p, take);
		have += take;
		p += take;
		len -= take;
		if (have == 64) {
			transform(c->state, c->block);
			have = 0;
		}
	}
}

void
wccp2_md5_final(struct wccp2_md5 *c, uint8_t out[16])
{
	static const uint8_t pad[64] = { 0x80 };
	uint64_t bits = c->nbytes * 8;
	uint8_t len[8];
	size_t have = (size_t)(c->nbytes % 64);
	unsigned i;

	for (i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (8 * i));
	wccp2_md5_update(c, pad, have < 56 ? 56 - have : 120 - have);
	wccp2_md5_update(c, len, 8);
	for (i = 0; i < 4; i++) {
		out[4 * i] = (uint8_t)c->state[i];
		out[4 * i + 1] = (uint8_t)(c->state[i] >> 8);
		out[4 * i + 2] = (uint8_t)(c->state[i] >> 16);
		out[4 * i + 3] = (uint8_t)(c->state[i] >> 24);
	}
}
