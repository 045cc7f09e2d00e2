/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_url.c - fuzz target: request-target pieces (src/http/url.c) and the
 * Via loop check (src/intercept/loopguard.c).
 *
 * The input is an authority or an absolute URL. Invariants: a host that
 * url_parse_authority() accepts is NUL-terminated within URL_HOST_MAX, is
 * itself a valid host (bracketed again when it holds a ':'), and a named
 * port is 1..65535; url_authority_end() points inside the input at '/', '?'
 * or its end, past "http://", never across an '@'.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/url.h"
#include "intercept/loopguard.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end;
	char host[URL_HOST_MAX], br[URL_HOST_MAX + 2];
	struct h1_header h;
	unsigned port = 0;
	size_t hl;
	int rc;

	rc = url_parse_authority(p, size, 80, host, &port);
	if (rc >= 0) {
		hl = strnlen(host, sizeof(host));
		FUZZ_CHECK(hl < sizeof(host));
		FUZZ_CHECK(rc == 0 ? port == 80 : port >= 1 && port <= 65535);
		if (memchr(host, ':', hl) != NULL) {
			br[0] = '[';
			memcpy(br + 1, host, hl);
			br[hl + 1] = ']';
			FUZZ_CHECK(url_valid_host(br, hl + 2));
		} else {
			FUZZ_CHECK(url_valid_host(host, hl));
		}
	}
	if (url_authority_end(p, size, &end) == 0) {
		/* The authority starts after the first "://" of the
		 * scheme ("http://", "https://"). */
		const char *a = memmem(p, size < 9 ? size : 9, "://", 3);

		FUZZ_CHECK(a != NULL);
		a += 3;
		FUZZ_CHECK(end > a && end <= p + size);
		FUZZ_CHECK(end == p + size || *end == '/' || *end == '?');
		FUZZ_CHECK(memchr(a, '@', (size_t)(end - a)) == NULL);
	}
	/* The input as a Via value, this proxy named "fuzz.example". */
	h.name = STR_LIT("Via");
	h.value = str_make(p, size);
	rc = loop_via_names(&h, 1, "fuzz.example");
	FUZZ_CHECK(rc == (memmem(p, size, " fuzz.example (tproxyd/", 23) !=
			  NULL));
	return 0;
}
