/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loopguard.c - forwarding loops seen in Via (see loopguard.h).
 */
#include <string.h>

#include "core/str.h"
#include "intercept/loopguard.h"

int
loop_via_names(const struct h1_header *hdr, size_t n, const char *hostname)
{
	static const char tag[] = " (tproxyd/";
	char needle[300];
	size_t i, hl = strlen(hostname), nl;

	if (hl > 255)
		return 0;
	/* " NAME (tproxyd/": what hdr_build_* write after the version. */
	needle[0] = ' ';
	memcpy(needle + 1, hostname, hl);
	memcpy(needle + 1 + hl, tag, sizeof(tag) - 1);
	nl = 1 + hl + sizeof(tag) - 1;
	for (i = 0; i < n; i++) {
		if (!str_ieq(hdr[i].name, "via"))
			continue;
		if (memmem(hdr[i].value.p, hdr[i].value.len, needle, nl) !=
		    NULL)
			return 1;
	}
	return 0;
}
