/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_quic_packets.c - unit tests of the QUIC Initial reader
 * (src/quic/) on packets built with quic_initial_seal() (checked first
 * against the RFC's bytes by test_quic_rfc.c): hellos split over packets
 * and datagrams in every order, with overlaps; coalesced packets; every
 * header and frame error; the bounds; the bare handshake message reader.
 * Table-driven: each row is its own cmocka test, named after the row.
 */
#include "quic_fixture.h"

/* ---- helpers ---- */

/* A varint in its shortest form. */
static size_t
put_varint(uint8_t *p, uint64_t v)
{
	int i;

	if (v < 64) {
		p[0] = (uint8_t)v;
		return 1;
	}
	if (v < 16384) {
		p[0] = (uint8_t)(0x40 | v >> 8);
		p[1] = (uint8_t)v;
		return 2;
	}
	if (v < (1u << 30)) {
		p[0] = (uint8_t)(0x80 | v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
		return 4;
	}
	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
	p[0] |= 0xc0;
	return 8;
}

/*
 * The RFC's ClientHello (SNI example.com, ALPN "alpn"), with a padding
 * extension (type 21) of pad bytes when pad > 0: pad 1500 makes a hello
 * of Chromium's post-quantum size, which no 1,200-byte Initial holds.
 */
static size_t
make_hello(size_t pad, uint8_t *out)
{
	/* The frame is 06 00 40f1: the message starts at byte 4. */
	size_t n = sizeof(rfc_crypto_frame) - 4, blen, elen;

	memcpy(out, rfc_crypto_frame + 4, n);
	if (pad == 0)
		return n;
	out[n++] = 0x00;
	out[n++] = 0x15;
	out[n++] = (uint8_t)(pad >> 8);
	out[n++] = (uint8_t)pad;
	memset(out + n, 0, pad);
	n += pad;
	blen = n - 4;
	out[1] = (uint8_t)(blen >> 16);
	out[2] = (uint8_t)(blen >> 8);
	out[3] = (uint8_t)blen;
	/* The extensions' length: 4 + 43 bytes in (no session ID). */
	elen = n - 49;
	out[47] = (uint8_t)(elen >> 8);
	out[48] = (uint8_t)elen;
	return n;
}

static size_t
crypto_frame(uint8_t *out, uint64_t off, const uint8_t *data, size_t len)
{
	size_t n = 0;

	out[n++] = 0x06;
	n += put_varint(out + n, off);
	n += put_varint(out + n, len);
	memcpy(out + n, data, len);
	return n + len;
}

/* A client Initial of version v with the RFC's DCID around payload. */
static size_t
seal(uint32_t v, const uint8_t *payload, size_t len, uint64_t pn,
     unsigned pn_len, uint8_t *out, size_t cap)
{
	struct quic_seal s = {
		.version = v, .dcid = rfc_dcid, .dcid_len = sizeof(rfc_dcid),
		.scid = (const uint8_t *)"\x01\x02\x03\x04", .scid_len = 4,
		.pn = pn, .pn_len = pn_len, .payload = payload,
		.payload_len = len,
	};
	long n = quic_initial_seal(&s, out, cap);

	assert_true(n > 0);
	return (size_t)n;
}

/* ---- a hello over several Initial packets ---- */

#define PIECES_MAX 6
#define PKTS_MAX   4
#define REST       UINT32_MAX	/* a piece up to the hello's end */

struct piece {
	uint32_t off, end;
};

struct split_row {
	const char *name;
	size_t pad;		/* make_hello() */
	unsigned coalesce:1;	/* all packets in one datagram */
	unsigned npkts;
	struct piece pkt[PKTS_MAX][PIECES_MAX];	/* CRYPTO frames, in
						   order; end 0 ends */
	int rc;			/* after the last datagram */
	unsigned done_at;	/* datagrams fed when it answered DONE */
};

static const struct split_row split_rows[] = {
	{ "hello in 2 Initials (Chromium's ML-KEM size)", 1500, 0, 2,
	  { { { 0, 1100 } }, { { 1100, REST } } }, QUIC_DONE, 2 },
	{ "hello in 2 Initials, second first", 1500, 0, 2,
	  { { { 1100, REST } }, { { 0, 1100 } } }, QUIC_DONE, 2 },
	{ "hello in 3 Initials, out of order, overlapping", 1500, 0, 3,
	  { { { 900, 1500 } }, { { 1400, REST } }, { { 0, 1000 } } },
	  QUIC_DONE, 3 },
	{ "frames reversed and overlapping inside packets", 1500, 0, 2,
	  { { { 1200, REST }, { 700, 1300 }, { 600, 700 } },
	    { { 300, 650 }, { 0, 400 }, { 1, 2 } } }, QUIC_DONE, 2 },
	{ "hello repeated whole (a retransmission)", 0, 0, 2,
	  { { { 100, REST } }, { { 0, REST } } }, QUIC_DONE, 2 },
	{ "2 Initials coalesced in one datagram", 1500, 1, 2,
	  { { { 0, 1000 } }, { { 1000, REST } } }, QUIC_DONE, 1 },
	{ "a gap never filled", 1500, 0, 2,
	  { { { 0, 1000 } }, { { 1001, REST } } }, QUIC_NEED_MORE, 0 },
	{ "the start never sent", 1500, 0, 2,
	  { { { 1, 1000 } }, { { 1000, REST } } }, QUIC_NEED_MORE, 0 },
	{ "empty CRYPTO frames", 0, 0, 2,
	  { { { 5, 5 }, { 0, 100 } }, { { 100, REST }, { 7, 7 } } },
	  QUIC_DONE, 2 },
};

static void
test_split(void **state)
{
	const struct split_row *r = *state;
	static uint8_t hello[4096], payload[BIG], pkt[BIG], dgram[BIG];
	struct quic_hello_ctx c;
	size_t hlen, plen, dlen = 0, n;
	unsigned i, j;
	uint32_t end;
	int rc = QUIC_NEED_MORE;

	hlen = make_hello(r->pad, hello);
	quic_hello_init(&c);
	for (i = 0; i < r->npkts; i++) {
		/* A PING first, the pieces, then PADDING like a client. */
		plen = 0;
		payload[plen++] = 0x01;
		for (j = 0; j < PIECES_MAX; j++) {
			const struct piece *p = &r->pkt[i][j];

			if (j > 0 && p->end == 0)
				break;
			end = p->end == REST ? (uint32_t)hlen : p->end;
			plen += crypto_frame(payload + plen, p->off,
			    hello + p->off, end - p->off);
		}
		memset(payload + plen, 0, 100);
		plen += 100;
		n = seal(QUIC_V1, payload, plen, i, 2, pkt, sizeof(pkt));
		if (r->coalesce) {
			memcpy(dgram + dlen, pkt, n);
			dlen += n;
			continue;
		}
		rc = feed(&c, pkt, n);
		if (i + 1 < r->npkts)
			assert_int_equal(rc, QUIC_NEED_MORE);
	}
	if (r->coalesce)
		rc = feed(&c, dgram, dlen);
	assert_int_equal(rc, r->rc);
	assert_int_equal(c.ninitials, r->npkts);
	if (rc == QUIC_DONE) {
		assert_int_equal(c.ndgrams, r->done_at);
		assert_string_equal(c.hello.sni, "example.com");
		assert_int_equal(c.hello.len, hlen);
	}
	quic_hello_free(&c);
}

/* ---- frames in one Initial ---- */

struct frame_row {
	const char *name;
	const char *before;	/* hex frames before the hello's CRYPTO */
	int with_hello;		/* then the whole hello in one frame */
	const char *after;	/* hex frames after it */
	int rc;
	const char *why;	/* a part of c.why when not DONE */
};

static const struct frame_row frame_rows[] = {
	{ "PING, PADDING, ACK around the hello", "01 0000 02 05 00 00 03", 1,
	  "01 00", QUIC_DONE, NULL },
	{ "ACK with ranges and ECN counts",
	  "03 4005 00 02 01 00 01 01 01 0a 0b 0c", 1, "", QUIC_DONE, NULL },
	{ "CONNECTION_CLOSE skipped", "", 1, "1c 0a 00 03 616263", QUIC_DONE,
	  NULL },
	{ "STREAM frame", "08 00 01 61", 1, "", QUIC_MALFORMED,
	  "not allowed" },
	{ "application CONNECTION_CLOSE", "", 1, "1d 00 00", QUIC_MALFORMED,
	  "not allowed" },
	{ "NEW_TOKEN frame", "", 1, "07 01 61", QUIC_MALFORMED,
	  "not allowed" },
	{ "ACK cut short", "", 1, "02 05 00", QUIC_MALFORMED, "truncated" },
	{ "ACK with a huge range count", "", 1,
	  "02 05 00 bfffffff 00 01 01", QUIC_MALFORMED, "truncated" },
	{ "CONNECTION_CLOSE reason past the packet", "", 1, "1c 0a 00 40ff",
	  QUIC_MALFORMED, "truncated" },
	{ "CRYPTO length past the packet", "06 00 4400 01", 0, "",
	  QUIC_MALFORMED, "truncated" },
	{ "CRYPTO offset beyond 64 KiB", "06 80010000 01 00", 0, "",
	  QUIC_MALFORMED, "beyond 64 KiB" },
	{ "CRYPTO ending past 64 KiB", "06 8000fffe 04 00000000", 0, "",
	  QUIC_MALFORMED, "beyond 64 KiB" },
	{ "CRYPTO offset near 2^62", "06 ffffffffffffffff 01 00", 0, "",
	  QUIC_MALFORMED, "beyond 64 KiB" },
	{ "CRYPTO up to exactly 64 KiB", "06 8000ffff 01 00", 0, "",
	  QUIC_NEED_MORE, NULL },
	{ "not a ClientHello", "06 00 04 02000000", 0, "", QUIC_MALFORMED,
	  "does not start with a ClientHello" },
	{ "a ClientHello over 64 KiB", "06 00 04 01010000", 0, "",
	  QUIC_MALFORMED, "over 64 KiB" },
	{ "a broken ClientHello", "06 00 08 01000004 0303 0000", 0, "",
	  QUIC_MALFORMED, "length past the end" },
	{ "a hello changed when sent again", "06 00 02 0101", 1, "",
	  QUIC_MALFORMED, "changed" },
	{ "padding only", "00 00 00", 0, "", QUIC_NEED_MORE, NULL },
};

static void
test_frames(void **state)
{
	const struct frame_row *r = *state;
	static uint8_t hello[4096], payload[BIG], pkt[BIG];
	struct quic_hello_ctx c;
	size_t hlen, plen, n;
	int rc;

	hlen = make_hello(0, hello);
	plen = unhex(r->before, payload);
	if (r->with_hello)
		plen += crypto_frame(payload + plen, 0, hello, hlen);
	plen += unhex(r->after, payload + plen);
	n = seal(QUIC_V1, payload, plen, 0, 4, pkt, sizeof(pkt));
	quic_hello_init(&c);
	rc = feed(&c, pkt, n);
	assert_int_equal(rc, r->rc);
	if (rc == QUIC_DONE)
		assert_string_equal(c.hello.sni, "example.com");
	if (r->why != NULL) {
		assert_non_null(c.why);
		if (strstr(c.why, r->why) == NULL)
			fail_msg("why \"%s\", want \"%s\"", c.why, r->why);
	}
	quic_hello_free(&c);
}

/* ---- datagrams: headers, coalescing, versions ---- */

enum dg_kind {
	DG_HEX,			/* the datagram is hex */
	DG_INITIAL_THEN_HEX,	/* a good Initial, then hex bytes */
	DG_HEX_THEN_INITIAL,	/* hex bytes, then a good Initial */
	DG_INITIAL_V2_THEN_HEX,
};

struct dgram_row {
	const char *name;
	enum dg_kind kind;
	const char *hex;
	int rc;
	uint32_t version;
	const char *why;
};

/* A v1 Handshake packet for the RFC's DCID, 20 bytes of "payload". */
#define HS_V1 "e0 00000001 08 8394c8f03e515708 00 14" \
	"0102030405060708090a0b0c0d0e0f1011121314"
#define HS_V2 "f0 6b3343cf 08 8394c8f03e515708 00 14" \
	"0102030405060708090a0b0c0d0e0f1011121314"
#define ZRTT_V1 "d0 00000001 08 8394c8f03e515708 00 05 0102030405"

static const struct dgram_row dgram_rows[] = {
	{ "empty datagram", DG_HEX, "", QUIC_NOT_QUIC, 0, "empty" },
	{ "short header packet", DG_HEX, "40 0102030405060708", QUIC_NOT_QUIC,
	  0, "long header" },
	{ "QUIC draft-29", DG_HEX, "c0 ff00001d 08 8394c8f03e515708 00 00",
	  QUIC_NOT_QUIC, 0xff00001d, "not QUIC v1/v2" },
	{ "a grease version", DG_HEX, "c0 1a2a3a4a 00 00", QUIC_NOT_QUIC,
	  0x1a2a3a4a, "not QUIC v1/v2" },
	{ "Version Negotiation", DG_HEX, "80 00000000 00 00 00000001",
	  QUIC_NOT_QUIC, 0, "Version Negotiation" },
	{ "4 bytes", DG_HEX, "c0 000000", QUIC_MALFORMED, 0, "truncated" },
	{ "fixed bit 0", DG_HEX, "80 00000001 08 8394c8f03e515708 00 00 01 00",
	  QUIC_MALFORMED, QUIC_V1, "fixed bit" },
	{ "DCID of 21 bytes", DG_HEX,
	  "c0 00000001 15 000102030405060708090a0b0c0d0e0f1011121314 00 00 "
	  "01 00", QUIC_MALFORMED, QUIC_V1, "longer than 20" },
	{ "SCID of 21 bytes", DG_HEX,
	  "c0 00000001 08 8394c8f03e515708 "
	  "15 000102030405060708090a0b0c0d0e0f1011121314 00 01 00",
	  QUIC_MALFORMED, QUIC_V1, "longer than 20" },
	{ "DCID of 7 bytes", DG_HEX,
	  "c0 00000001 07 8394c8f03e5157 00 00 40 20"
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  QUIC_MALFORMED, QUIC_V1, "shorter than 8" },
	{ "DCID cut", DG_HEX, "c0 00000001 08 8394c8", QUIC_MALFORMED,
	  QUIC_V1, "truncated" },
	{ "Retry from a client", DG_HEX, "f0 00000001 08 8394c8f03e515708 00 "
	  "0102030405060708090a0b0c0d0e0f10", QUIC_MALFORMED, QUIC_V1,
	  "Retry" },
	{ "token past the datagram", DG_HEX,
	  "c0 00000001 08 8394c8f03e515708 00 4100 00", QUIC_MALFORMED,
	  QUIC_V1, "token" },
	{ "Length past the datagram", DG_HEX,
	  "c0 00000001 08 8394c8f03e515708 00 00 4100 00", QUIC_MALFORMED,
	  QUIC_V1, "longer than its datagram" },
	{ "Initial too short to sample", DG_HEX,
	  "c0 00000001 08 8394c8f03e515708 00 00 10 "
	  "00000000000000000000000000000000", QUIC_MALFORMED, QUIC_V1,
	  "too short" },
	{ "Initial that does not authenticate", DG_HEX,
	  "c0 00000001 08 8394c8f03e515708 00 00 20 "
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  QUIC_MALFORMED, QUIC_V1, "authentication" },
	{ "Handshake only: a connection under way", DG_HEX, HS_V1,
	  QUIC_NOT_QUIC, QUIC_V1, "under way" },
	{ "Initial + Handshake coalesced", DG_INITIAL_THEN_HEX, HS_V1,
	  QUIC_DONE, QUIC_V1, NULL },
	{ "Initial + 0-RTT + Handshake coalesced", DG_INITIAL_THEN_HEX,
	  ZRTT_V1 HS_V1, QUIC_DONE, QUIC_V1, NULL },
	{ "Handshake + Initial coalesced", DG_HEX_THEN_INITIAL, HS_V1,
	  QUIC_DONE, QUIC_V1, NULL },
	{ "Initial + zeros after it", DG_INITIAL_THEN_HEX,
	  "0000000000000000000000000000", QUIC_DONE, QUIC_V1, NULL },
	{ "Initial + a cut packet after it", DG_INITIAL_THEN_HEX,
	  "e0 00000001 08 8394c8f03e515708 00 40", QUIC_DONE, QUIC_V1, NULL },
	{ "Initial + a packet for another connection", DG_INITIAL_THEN_HEX,
	  "c0 00000001 08 0000000000000000 00 00 01 00", QUIC_DONE, QUIC_V1,
	  NULL },
	{ "v1 Initial + v2 Handshake", DG_INITIAL_THEN_HEX, HS_V2,
	  QUIC_MALFORMED, QUIC_V1, "two QUIC versions" },
	{ "v2 Initial + v2 Handshake", DG_INITIAL_V2_THEN_HEX, HS_V2,
	  QUIC_DONE, QUIC_V2, NULL },
};

static void
test_dgram(void **state)
{
	const struct dgram_row *r = *state;
	static uint8_t hello[4096], payload[4096], d[BIG];
	struct quic_hello_ctx c;
	size_t n = 0, plen, hlen;
	int rc;

	hlen = make_hello(0, hello);
	plen = crypto_frame(payload, 0, hello, hlen);
	if (r->kind == DG_HEX_THEN_INITIAL || r->kind == DG_HEX)
		n = unhex(r->hex, d);
	if (r->kind != DG_HEX)
		n += seal(r->kind == DG_INITIAL_V2_THEN_HEX ? QUIC_V2 : QUIC_V1,
		    payload, plen, 0, 1, d + n, sizeof(d) - n);
	if (r->kind == DG_INITIAL_THEN_HEX || r->kind == DG_INITIAL_V2_THEN_HEX)
		n += unhex(r->hex, d + n);
	quic_hello_init(&c);
	rc = feed(&c, d, n);
	assert_int_equal(rc, r->rc);
	assert_int_equal(c.version, r->version);
	if (rc == QUIC_DONE) {
		assert_string_equal(c.hello.sni, "example.com");
		assert_null(c.why);
	} else if (rc < 0) {
		assert_non_null(c.why);
		if (r->why == NULL || strstr(c.why, r->why) == NULL)
			fail_msg("why \"%s\", want \"%s\"", c.why,
			    r->why ? r->why : "(none)");
	}
	quic_hello_free(&c);
}

/* ---- bounds ---- */

/* More disjoint pieces than the reader keeps: refused, not grown. */
static void
test_too_many_pieces(void **state)
{
	static uint8_t payload[4096], pkt[8192];
	struct quic_hello_ctx c;
	size_t plen = 0, n;
	unsigned i;

	(void)state;
	for (i = 0; i <= QUIC_RANGES_MAX; i++)
		plen += crypto_frame(payload + plen, 10 + 2 * i,
		    (const uint8_t *)"x", 1);
	n = seal(QUIC_V1, payload, plen, 0, 2, pkt, sizeof(pkt));
	quic_hello_init(&c);
	assert_int_equal(feed(&c, pkt, n), QUIC_MALFORMED);
	assert_string_equal(c.why, "CRYPTO stream in too many pieces");
	assert_null(c.buf);
	quic_hello_free(&c);
}

/* A hello that never completes: given up after QUIC_DGRAMS_MAX
 * datagrams; the stream buffer never exceeds QUIC_CRYPTO_MAX. */
static void
test_datagram_limit(void **state)
{
	static uint8_t hello[4096], payload[4096], pkt[8192];
	struct quic_hello_ctx c;
	size_t hlen, plen, n;
	unsigned i;
	int rc;

	(void)state;
	hlen = make_hello(1500, hello);
	plen = crypto_frame(payload, 0, hello, 1000);
	quic_hello_init(&c);
	for (i = 0; i < QUIC_DGRAMS_MAX; i++) {
		n = seal(QUIC_V1, payload, plen, i, 2, pkt, sizeof(pkt));
		assert_int_equal(feed(&c, pkt, n), QUIC_NEED_MORE);
		assert_true(c.cap <= QUIC_CRYPTO_MAX);
	}
	plen = crypto_frame(payload, 1000, hello + 1000, hlen - 1000);
	n = seal(QUIC_V1, payload, plen, i, 2, pkt, sizeof(pkt));
	rc = feed(&c, pkt, n);
	assert_int_equal(rc, QUIC_MALFORMED);
	assert_non_null(strstr(c.why, "32 datagrams"));
	quic_hello_free(&c);
}

/* The largest hello the bound allows is read; the buffer is 64 KiB. */
static void
test_hello_at_bound(void **state)
{
	static uint8_t hello[QUIC_CRYPTO_MAX], payload[8192], pkt[16384];
	struct quic_hello_ctx c;
	size_t hlen, plen, n, off;
	unsigned i = 0;
	int rc = QUIC_NEED_MORE;

	(void)state;
	hlen = make_hello(QUIC_CRYPTO_MAX - 245, hello);
	assert_int_equal(hlen, QUIC_CRYPTO_MAX);
	quic_hello_init(&c);
	/* Backwards, 8,000 bytes a packet: the stream grows from its far
	 * end (one allocation of the bound at once). */
	for (off = hlen; off > 0 && rc == QUIC_NEED_MORE; i++) {
		size_t take = off > 8000 ? 8000 : off;

		off -= take;
		plen = crypto_frame(payload, off, hello + off, take);
		n = seal(QUIC_V1, payload, plen, i, 2, pkt, sizeof(pkt));
		rc = feed(&c, pkt, n);
		assert_true(c.cap <= QUIC_CRYPTO_MAX);
	}
	assert_int_equal(rc, QUIC_DONE);
	assert_int_equal(c.hello.len, QUIC_CRYPTO_MAX);
	assert_string_equal(c.hello.sni, "example.com");
	quic_hello_free(&c);
}

/* After a Retry the client derives keys from the new DCID: a later
 * Initial under other keys is still read. */
static void
test_new_dcid_after_retry(void **state)
{
	static uint8_t hello[4096], payload[4096], pkt[8192];
	static const uint8_t dcid2[10] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	struct quic_hello_ctx c;
	struct quic_seal s = {
		.version = QUIC_V1, .dcid = dcid2, .dcid_len = sizeof(dcid2),
		.token = (const uint8_t *)"retry-token", .token_len = 11,
		.pn = 1, .pn_len = 1, .payload = payload,
	};
	size_t hlen, plen, n;
	long m;

	(void)state;
	hlen = make_hello(1500, hello);
	plen = crypto_frame(payload, 0, hello, 1000);
	n = seal(QUIC_V1, payload, plen, 0, 1, pkt, sizeof(pkt));
	quic_hello_init(&c);
	assert_int_equal(feed(&c, pkt, n), QUIC_NEED_MORE);
	s.payload_len = crypto_frame(payload, 1000, hello + 1000,
	    hlen - 1000);
	m = quic_initial_seal(&s, pkt, sizeof(pkt));
	assert_true(m > 0);
	assert_int_equal(feed(&c, pkt, (size_t)m), QUIC_DONE);
	assert_int_equal(c.dcid_len, sizeof(dcid2));
	assert_string_equal(c.hello.sni, "example.com");
	quic_hello_free(&c);
}

/* A 1-byte packet number past the window of the last one (RFC 9000
 * A.3): 260 after 250 is sent as 0x04 and must be read as 260, or the
 * nonce is wrong and the packet does not open. */
static void
test_pn_window(void **state)
{
	static uint8_t hello[4096], payload[4096], pkt[8192];
	struct quic_hello_ctx c;
	size_t hlen, plen, n;

	(void)state;
	hlen = make_hello(1500, hello);
	plen = crypto_frame(payload, 0, hello, 1000);
	n = seal(QUIC_V1, payload, plen, 250, 2, pkt, sizeof(pkt));
	quic_hello_init(&c);
	assert_int_equal(feed(&c, pkt, n), QUIC_NEED_MORE);
	assert_int_equal(c.largest_pn, 250);
	plen = crypto_frame(payload, 1000, hello + 1000, hlen - 1000);
	n = seal(QUIC_V1, payload, plen, 260, 1, pkt, sizeof(pkt));
	assert_int_equal(feed(&c, pkt, n), QUIC_DONE);
	assert_int_equal(c.largest_pn, 260);
	quic_hello_free(&c);
}

/* Reserved bits set under a valid tag: refused (RFC 9000 §17.2). */
static void
test_reserved_bits(void **state)
{
	static uint8_t hello[4096], payload[4096], pkt[8192];
	struct quic_hello_ctx c;
	struct quic_seal s = {
		.version = QUIC_V1, .dcid = rfc_dcid, .dcid_len = 8,
		.pn_len = 2, .payload = payload,
	};
	unsigned r;
	long n;

	(void)state;
	s.payload_len = crypto_frame(payload, 0, hello, make_hello(0, hello));
	for (r = 0; r < 4; r++) {
		s.reserved = r;
		n = quic_initial_seal(&s, pkt, sizeof(pkt));
		assert_true(n > 0);
		quic_hello_init(&c);
		assert_int_equal(feed(&c, pkt, (size_t)n),
		    r == 0 ? QUIC_DONE : QUIC_MALFORMED);
		if (r != 0)
			assert_string_equal(c.why,
			    "reserved bits set in an Initial packet");
		quic_hello_free(&c);
	}
}

/* RFC 9000 Appendix A.1's sample varints, and cut ones. */
static void
test_varint(void **state)
{
	static const struct {
		const char *hex;
		size_t len;
		uint64_t v;
	} rows[] = {
		{ "c2197c5eff14e88c", 8, 151288809941952652ull },
		{ "9d7f3e7d", 4, 494878333 },
		{ "7bbd", 2, 15293 },
		{ "25", 1, 37 },
		{ "4025", 2, 37 },
		{ "c2197c5eff14e8", 0, 0 },
		{ "9d7f3e", 0, 0 },
		{ "7b", 0, 0 },
		{ "", 0, 0 },
	};
	uint8_t b[8];
	uint64_t v;
	size_t i, n;

	(void)state;
	for (i = 0; i < NELEM(rows); i++) {
		n = unhex(rows[i].hex, b);
		v = 0;
		assert_int_equal(quic_varint(b, n, &v), rows[i].len);
		if (rows[i].len > 0)
			assert_true(v == rows[i].v);
	}
}

/* ---- the bare handshake message reader (src/tls/hello.c) ---- */

static void
test_tls_msg(void **state)
{
	uint8_t hello[4096];
	struct tls_hello h;
	size_t n;

	(void)state;
	n = make_hello(0, hello);
	assert_int_equal(tls_hello_parse_msg(hello, n, &h), TLS_OK);
	assert_string_equal(h.sni, "example.com");
	assert_int_equal(h.len, n);
	assert_int_equal(tls_hello_parse_msg(hello, n - 1, &h),
	    TLS_E_TOO_LONG);
	assert_int_equal(tls_hello_parse_msg(hello, 3, &h), TLS_INCOMPLETE);
	hello[0] = 2;
	assert_int_equal(tls_hello_parse_msg(hello, n, &h), TLS_E_MALFORMED);
	assert_string_equal(h.why, "not a ClientHello");
	n = make_hello(1500, hello);
	assert_int_equal(tls_hello_parse_msg(hello, n, &h), TLS_OK);
	assert_int_equal(h.len, n);
}

int
main(void)
{
	static struct CMUnitTest t[256];
	size_t k = 0;

	ROWS(test_split, split_rows, t, k);
	ROWS(test_frames, frame_rows, t, k);
	ROWS(test_dgram, dgram_rows, t, k);
	t[k++] = (struct CMUnitTest)cmocka_unit_test(test_too_many_pieces);
	t[k++] = (struct CMUnitTest)cmocka_unit_test(test_datagram_limit);
	t[k++] = (struct CMUnitTest)cmocka_unit_test(test_hello_at_bound);
	t[k++] = (struct CMUnitTest)cmocka_unit_test(test_new_dcid_after_retry);
	t[k++] = (struct CMUnitTest)cmocka_unit_test(test_pn_window);
	t[k++] = (struct CMUnitTest)cmocka_unit_test(test_reserved_bits);
	t[k++] = (struct CMUnitTest)cmocka_unit_test(test_varint);
	t[k++] = (struct CMUnitTest)cmocka_unit_test(test_tls_msg);
	assert_true(k <= NELEM(t));
	return _cmocka_run_group_tests("quic_packets", t, k, NULL, NULL);
}
