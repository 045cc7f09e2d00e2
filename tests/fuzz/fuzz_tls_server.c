/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_tls_server.c - fuzz target: the server first-flight reader
 * (src/tls/server.c) and certificate names (src/tls/cert.c, OpenSSL).
 *
 * The input is the start of a server's byte stream. Invariants: the
 * result is one of the reader's codes; a prefix gives TLS_INCOMPLETE or
 * the same answer as the whole; certificates lie inside the bytes read,
 * after a record header, and only TLS 1.2 and older have any; the names
 * of each certificate are NUL-terminated and lowercase.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls.h"
#include "fuzz.h"

#define MAX	65536

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char names[4][TLS_SNI_MAX];
	struct tls_server s, s2;
	uint32_t r = fuzz_hash(data, size);
	size_t cut, l;
	unsigned i;
	int rc, rc2, n, j, k;

	rc = tls_server_parse(data, size, MAX, &s);
	FUZZ_CHECK(rc == TLS_OK || rc == TLS_INCOMPLETE ||
	    rc == TLS_NOT_TLS || rc == TLS_E_MALFORMED ||
	    rc == TLS_E_TOO_LONG || rc == TLS_E_ALERT);
	FUZZ_CHECK((rc == TLS_E_MALFORMED || rc == TLS_NOT_TLS) ==
	    (s.why != NULL));
	(void)tls_strerror(rc);

	cut = size ? r % (size + 1) : 0;
	rc2 = tls_server_parse(data, cut, MAX, &s2);
	FUZZ_CHECK(rc2 == TLS_INCOMPLETE || rc2 == rc);
	if (rc2 == TLS_OK) {
		FUZZ_CHECK(s2.version == s.version && s2.cipher == s.cipher);
		FUZZ_CHECK(s2.ncerts == s.ncerts && s2.len == s.len);
	}
	if (rc != TLS_OK)
		return 0;
	FUZZ_CHECK(s.len >= 5 + 4 + 38 && s.len <= size);
	FUZZ_CHECK(s.ncerts <= TLS_MAX_CERTS);
	FUZZ_CHECK(s.has_certs || (s.ncerts == 0 && !s.certs_partial));
	FUZZ_CHECK(!s.has_certs || (!s.hello_retry && s.version < TLS_V_1_3));
	FUZZ_CHECK(strnlen(s.alpn, sizeof(s.alpn)) < sizeof(s.alpn));
	(void)tls_version_str(s.version);
	for (i = 0; i < s.ncerts; i++) {
		FUZZ_CHECK(s.cert[i].len > 0 && s.cert[i].off >= 5 + 4 + 38);
		FUZZ_CHECK(s.cert[i].off + s.cert[i].len <= s.len);
		FUZZ_CHECK(i == 0 || s.cert[i].off >= s.cert[i - 1].off +
		    s.cert[i - 1].len);
		n = tls_cert_names(data + s.cert[i].off, s.cert[i].len, names,
		    4);
		FUZZ_CHECK(n >= -1 && n <= 4);
		for (j = 0; j < n; j++) {
			l = strnlen(names[j], TLS_SNI_MAX);
			FUZZ_CHECK(l > 0 && l < TLS_SNI_MAX);
			for (k = 0; k < (int)l; k++)
				FUZZ_CHECK(names[j][k] > 0x20 &&
				    names[j][k] < 0x7f &&
				    (names[j][k] < 'A' || names[j][k] > 'Z'));
		}
	}
	return 0;
}
