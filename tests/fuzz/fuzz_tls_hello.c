/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_tls_hello.c - fuzz target: the ClientHello reader (src/tls/hello.c).
 *
 * The input is the start of a client's byte stream. Invariants: the
 * result is one of the reader's codes; a prefix of the input gives either
 * TLS_INCOMPLETE or the same answer as the whole (the reader decides from
 * the bytes it has seen, in order); a hello that is read is the same when
 * re-read from exactly its own bytes, under a size limit (TLS_E_TOO_LONG
 * below its length) and re-framed into records of another size; what it
 * keeps is within its arrays, NUL-terminated, lowercase, without GREASE.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls.h"
#include "fuzz.h"

#define MAX	(16384 + 5)

static int
grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static void
check_hello(const struct tls_hello *h, size_t size)
{
	size_t l, i;

	FUZZ_CHECK(h->len > 0 && h->len <= size && h->len <= MAX);
	FUZZ_CHECK(h->nrecords >= 1 && h->why == NULL);
	FUZZ_CHECK((h->legacy_version >> 8) == 3);
	FUZZ_CHECK(h->version >= h->legacy_version || h->nversions > 0);
	FUZZ_CHECK(h->nversions <= TLS_MAX_VERSIONS);
	FUZZ_CHECK(h->nciphers <= TLS_MAX_CIPHERS);
	FUZZ_CHECK(h->nexts <= TLS_MAX_EXTS);
	l = strnlen(h->sni, sizeof(h->sni));
	FUZZ_CHECK(l <= 253);
	FUZZ_CHECK(h->has_sni == (l > 0));
	FUZZ_CHECK(!(h->has_sni && h->sni_invalid));
	FUZZ_CHECK(!h->sni_ip || h->has_sni);
	for (i = 0; i < l; i++) {
		FUZZ_CHECK(h->sni[i] > 0x20 && h->sni[i] < 0x7f);
		FUZZ_CHECK(h->sni[i] < 'A' || h->sni[i] > 'Z');
	}
	FUZZ_CHECK(l == 0 || h->sni[l - 1] != '.');
	l = strnlen(h->alpn, sizeof(h->alpn));
	FUZZ_CHECK(l < sizeof(h->alpn));
	FUZZ_CHECK(l == 0 || (h->alpn[0] != ',' && h->alpn[l - 1] != ','));
	FUZZ_CHECK(strstr(h->alpn, ",,") == NULL);
	for (i = 0; i < l; i++)
		FUZZ_CHECK(h->alpn[i] > 0x20 && h->alpn[i] < 0x7f);
	for (i = 0; i < h->nciphers; i++)
		FUZZ_CHECK(!grease(h->ciphers[i]));
	for (i = 0; i < h->nexts; i++)
		FUZZ_CHECK(!grease(h->exts[i]));
	for (i = 0; i < h->nversions; i++)
		FUZZ_CHECK(!grease(h->versions[i]));
	/* ECH is set by its extension, listed unless the list is full. */
	for (i = 0; i < h->nexts && h->exts[i] != TLS_EXT_ECH; i++)
		;
	FUZZ_CHECK(h->ech == (i < h->nexts) || h->nexts == TLS_MAX_EXTS);
}

/* Everything but where the bytes were. */
static void
check_same(const struct tls_hello *a, const struct tls_hello *b)
{
	FUZZ_CHECK(a->legacy_version == b->legacy_version);
	FUZZ_CHECK(a->record_version == b->record_version);
	FUZZ_CHECK(a->version == b->version);
	FUZZ_CHECK(a->nversions == b->nversions);
	FUZZ_CHECK(memcmp(a->versions, b->versions,
	    a->nversions * sizeof(a->versions[0])) == 0);
	FUZZ_CHECK(strcmp(a->sni, b->sni) == 0);
	FUZZ_CHECK(a->has_sni == b->has_sni);
	FUZZ_CHECK(a->sni_invalid == b->sni_invalid);
	FUZZ_CHECK(a->sni_ip == b->sni_ip);
	FUZZ_CHECK(a->ech == b->ech);
	FUZZ_CHECK(a->ecdsa == b->ecdsa);
	FUZZ_CHECK(strcmp(a->alpn, b->alpn) == 0);
	FUZZ_CHECK(a->nciphers == b->nciphers);
	FUZZ_CHECK(memcmp(a->ciphers, b->ciphers,
	    a->nciphers * sizeof(a->ciphers[0])) == 0);
	FUZZ_CHECK(a->nexts == b->nexts);
	FUZZ_CHECK(memcmp(a->exts, b->exts,
	    a->nexts * sizeof(a->exts[0])) == 0);
}

/* The handshake message in the records of p[0..n) (without what may
 * follow it in its last record) carried in records of k bytes (version
 * 3.1); returns the length written to out. */
static size_t
reframe(const uint8_t *p, size_t n, size_t k, uint8_t *out)
{
	static uint8_t hs[MAX];
	size_t pos = 0, nhs = 0, o = 0, i, take, rl, msg;

	while (pos + 5 <= n) {
		rl = (size_t)p[pos + 3] << 8 | p[pos + 4];
		if (pos + 5 + rl > n)
			break;
		memcpy(hs + nhs, p + pos + 5, rl);
		nhs += rl;
		pos += 5 + rl;
	}
	if (nhs >= 4) {
		msg = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
		if (nhs > msg)
			nhs = msg;
	}
	for (i = 0; i < nhs; i += take) {
		take = nhs - i < k ? nhs - i : k;
		out[o++] = 22;
		out[o++] = 3;
		out[o++] = 1;
		out[o++] = (uint8_t)(take >> 8);
		out[o++] = (uint8_t)take;
		memcpy(out + o, hs + i, take);
		o += take;
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[6 * MAX];
	struct tls_hello h, h2;
	uint32_t r = fuzz_hash(data, size);
	size_t cut, max2, k, m;
	int rc, rc2;

	rc = tls_hello_parse(data, size, MAX, &h);
	FUZZ_CHECK(rc == TLS_OK || rc == TLS_INCOMPLETE ||
	    rc == TLS_NOT_TLS || rc == TLS_E_MALFORMED ||
	    rc == TLS_E_TOO_LONG);
	FUZZ_CHECK((rc == TLS_E_MALFORMED || rc == TLS_NOT_TLS) ==
	    (h.why != NULL));
	(void)tls_strerror(rc);

	/* A prefix decides nothing the whole does not. */
	cut = size ? r % (size + 1) : 0;
	rc2 = tls_hello_parse(data, cut, MAX, &h2);
	FUZZ_CHECK(rc2 == TLS_INCOMPLETE || rc2 == rc);
	if (rc != TLS_OK)
		return 0;
	FUZZ_CHECK(rc2 == TLS_INCOMPLETE ? cut < h.len : cut >= h.len);
	check_hello(&h, size);
	(void)tls_version_str(h.version);

	/* Exactly its own bytes; one byte less. */
	FUZZ_CHECK(tls_hello_parse(data, h.len, MAX, &h2) == TLS_OK);
	check_same(&h, &h2);
	FUZZ_CHECK(h2.len == h.len);
	FUZZ_CHECK(tls_hello_parse(data, h.len - 1, MAX, &h2) ==
	    TLS_INCOMPLETE);

	/* A size limit around its length. */
	max2 = h.len - 8 + (r >> 8) % 16;
	rc2 = tls_hello_parse(data, size, max2, &h2);
	FUZZ_CHECK(rc2 == (h.len <= max2 ? TLS_OK : TLS_E_TOO_LONG));

	/* Other records, same hello. */
	if (h.len <= 4096) {
		k = 1 + (r >> 12) % 600;
		m = reframe(data, h.len, k, out);
		FUZZ_CHECK(tls_hello_parse(out, m, 6 * MAX, &h2) == TLS_OK);
		FUZZ_CHECK(h2.len == m);
		h2.record_version = h.record_version;
		check_same(&h, &h2);
	}
	return 0;
}
