/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_wccp2.c - libFuzzer target for the WCCPv2 decoder: wccp2_decode()
 * over arbitrary bytes must never crash or read out of bounds; whatever
 * it accepts must encode again (or be refused with an error code), and
 * what the encoder writes must decode.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wccp/wccp2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wccp2_msg m, again;
static uint8_t out[70000];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rc, n;

	rc = wccp2_decode(data, size, &m);
	if (rc > 0)
		abort();	/* 0 or a negative code only */
	if (rc < 0)
		return 0;
	if (m.security == WCCP2_SEC_MD5)
		(void)wccp2_md5_verify(data, size, m.md5_off, "fuzz");
	n = wccp2_encode(&m, "fuzz", out, sizeof(out));
	if (n == 0)
		abort();
	if (n < 0)
		return 0;	/* e.g. an extended identity we do not write */
	if (wccp2_decode(out, (size_t)n, &again) != 0)
		abort();
	if (again.type != m.type || again.has_assign != m.has_assign ||
	    again.router_view.ncaches != m.router_view.ncaches)
		abort();
	if (m.security == WCCP2_SEC_MD5 &&
	    wccp2_md5_verify(out, (size_t)n, again.md5_off, "fuzz") != 0)
		abort();
	return 0;
}
