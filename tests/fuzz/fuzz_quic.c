/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_quic.c - fuzz target: the QUIC Initial reader (src/quic/).
 *
 * The input is the datagrams a client sent on one flow, each as a 2-byte
 * big-endian length and its bytes (tests/data/quic/NAME.dgrams; a last
 * length past the end takes what is left). They are fed in order into
 * one context, as the UDP relay will. Invariants: every answer is one of
 * the reader's codes and, once final, never changes; NOT_QUIC and
 * MALFORMED say why, DONE does not; a hello read is a valid one (the TLS
 * reader's checks: a name within bounds, NUL-terminated) and its
 * CRYPTO stream buffer is given back; the buffer never grows past
 * QUIC_CRYPTO_MAX; the datagram count stays within QUIC_DGRAMS_MAX + 1.
 *
 * Most mutations break the AEAD tag, so the inputs taken as they are
 * (the RFC vectors and the real captures of tests/data/quic/) mainly
 * exercise the header and coalescing paths. The frame and reassembly
 * paths are reached through inputs whose first byte is 0xff: the rest
 * (after a byte whose low bit picks v2) is Initial payloads, each
 * length-prefixed, sealed here with quic_initial_seal() under the RFC's
 * connection ID before they are fed, so that the frames are fuzzed
 * behind a valid tag. tests/fuzz/quic_corpus.py writes the corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quic/quic.h"
#include "fuzz.h"

static const uint8_t dcid[8] = {
	0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08,
};

static void
check(const struct quic_hello_ctx *c, int rc, int prev)
{
	size_t l;

	FUZZ_CHECK(rc == QUIC_NEED_MORE || rc == QUIC_DONE ||
	    rc == QUIC_NOT_QUIC || rc == QUIC_MALFORMED);
	FUZZ_CHECK(prev == QUIC_NEED_MORE || rc == prev);
	FUZZ_CHECK(c->cap <= QUIC_CRYPTO_MAX);
	FUZZ_CHECK(c->nranges <= QUIC_RANGES_MAX);
	FUZZ_CHECK(c->ndgrams <= QUIC_DGRAMS_MAX + 1);
	FUZZ_CHECK(c->dcid_len <= QUIC_CID_MAX && c->scid_len <= QUIC_CID_MAX);
	(void)quic_rc_str(rc);
	if (rc == QUIC_NEED_MORE)
		return;
	FUZZ_CHECK(c->buf == NULL);
	if (rc != QUIC_DONE) {
		FUZZ_CHECK(c->why != NULL);
		return;
	}
	FUZZ_CHECK(c->why == NULL);
	FUZZ_CHECK(c->version == QUIC_V1 || c->version == QUIC_V2);
	FUZZ_CHECK(c->ninitials > 0);
	FUZZ_CHECK(c->hello.len >= 4 && c->hello.len <= QUIC_CRYPTO_MAX);
	l = strnlen(c->hello.sni, sizeof(c->hello.sni));
	FUZZ_CHECK(l < sizeof(c->hello.sni));
	FUZZ_CHECK(c->hello.has_sni == (l > 0));
	l = strnlen(c->hello.alpn, sizeof(c->hello.alpn));
	FUZZ_CHECK(l < sizeof(c->hello.alpn));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[QUIC_DGRAM_MAX + 64];
	struct quic_hello_ctx c;
	struct quic_seal s = {
		.version = QUIC_V1, .dcid = dcid, .dcid_len = sizeof(dcid),
		.pn_len = 2,
	};
	size_t off = 0, len;
	const uint8_t *d;
	int rc = QUIC_NEED_MORE, prev, sealed = 0, i = 0;
	long n;

	if (size > 0 && data[0] == 0xff) {
		sealed = 1;
		off = 1;
		/* The second byte picks v2 for odd values. */
		if (size > 1 && (data[1] & 1))
			s.version = QUIC_V2;
		off += size > 1;
	}
	quic_hello_init(&c);
	while (off + 2 <= size) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		d = data + off;
		off += len;
		if (sealed) {
			s.payload = d;
			s.payload_len = len;
			s.pn = (uint64_t)i++;
			n = quic_initial_seal(&s, pkt, sizeof(pkt));
			if (n < 0)
				continue;
			d = pkt;
			len = (size_t)n;
		}
		prev = rc;
		rc = quic_hello_feed(&c, d, len);
		check(&c, rc, prev);
	}
	quic_hello_free(&c);
	return 0;
}
