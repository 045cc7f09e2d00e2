/*
 * fuzz_gre.c - libFuzzer target for the WCCPv2 GRE parser:
 * wccp2_gre_parse() over arbitrary bytes must never crash or read out of
 * bounds, and what it accepts must describe an IPv4 packet inside the
 * input that re-wraps (wccp2_gre_encap) and parses again to the same
 * bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wccp/gre.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[70000];

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
