/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fmt.c - number and address formatting (see fmt.h).
 */
#include <string.h>

#include "core/fmt.h"

size_t
fmt_u64(char *out, unsigned long long v)
{
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";
	char tmp[FMT_U64_MAX];
	size_t i = sizeof(tmp), n;
	unsigned d;

	/* Two digits per division, from the right. */
	while (v >= 100) {
		d = (unsigned)(v % 100) * 2;
		v /= 100;
		tmp[--i] = pairs[d + 1];
		tmp[--i] = pairs[d];
	}
	if (v >= 10) {
		d = (unsigned)v * 2;
		tmp[--i] = pairs[d + 1];
		tmp[--i] = pairs[d];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	n = sizeof(tmp) - i;
	memcpy(out, tmp + i, n);
	out[n] = '\0';
	return n;
}

size_t
fmt_u64_pad(char *out, unsigned long long v, unsigned width, char pad)
{
	char digits[FMT_U64_MAX];
	size_t n = fmt_u64(digits, v), o = 0;

	if (width > FMT_U64_MAX - 1)
		width = FMT_U64_MAX - 1;
	while (o + n < width)
		out[o++] = pad;
	memcpy(out + o, digits, n + 1);
	return o + n;
}

size_t
fmt_ip4(char *out, const unsigned char *a)
{
	size_t o = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			out[o++] = '.';
		if (a[i] >= 100)
			out[o++] = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			out[o++] = (char)('0' + a[i] / 10 % 10);
		out[o++] = (char)('0' + a[i] % 10);
	}
	out[o] = '\0';
	return o;
}

size_t
fmt_ip6(char *out, const unsigned char *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8], g;
	int i, run = -1, runlen = 0, cur = -1, curlen = 0, shift, lead;
	size_t o = 0;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	/* The longest run of zero groups, the first one on a tie. */
	for (i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				curlen = 0;
			}
			if (++curlen > runlen) {
				run = cur;
				runlen = curlen;
			}
		} else {
			cur = -1;
		}
	}
	if (runlen < 2)
		run = -1;
	for (i = 0; i < 8; i++) {
		if (run >= 0 && i >= run && i < run + runlen) {
			if (i == run)
				out[o++] = ':';
			continue;
		}
		if (i > 0)
			out[o++] = ':';
		/* An IPv4 tail after ::, or after ::ffff: (glibc's rule). */
		if (i == 6 && run == 0 &&
		    (runlen == 6 || (runlen == 5 && w[5] == 0xffff)))
			return o + fmt_ip4(out + o, a + 12);
		g = w[i];
		for (lead = 1, shift = 12; shift >= 0; shift -= 4) {
			if (lead && shift > 0 && ((g >> shift) & 15) == 0)
				continue;
			lead = 0;
			out[o++] = hex[(g >> shift) & 15];
		}
	}
	if (run >= 0 && run + runlen == 8)
		out[o++] = ':';
	out[o] = '\0';
	return o;
}
