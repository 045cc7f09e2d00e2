/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_quic_rfc.c - unit tests of the QUIC Initial reader (src/quic/)
 * on its ground truth: RFC 9001 Appendix A and RFC 9369 Appendix A (keys,
 * the sample client Initial of v1 and v2: quic_data.h), and real client
 * first flights in tests/data/quic/ (scripts/quic-capture.py: Debian's
 * ngtcp2 client, including a ClientHello in two Initial packets, and
 * Chrome's and Google's from FoxIO's public pcaps); every truncation and
 * every single-bit change of a real packet.
 * Table-driven: each row is its own cmocka test, named after the row.
 */
#include "quic_fixture.h"

/* ---- helpers ---- */

/* Read tests/data/quic/NAME (or $QUIC_DATA/NAME); missing is a failure. */
static size_t
load(const char *name, uint8_t *buf, size_t cap)
{
	const char *dir = getenv("QUIC_DATA");
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data/quic",
	    name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (run from the top of the tree, or "
		    "set QUIC_DATA)", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(n > 0 && n < cap);
	return n;
}

/* The next length-prefixed datagram of a .dgrams file. */
static int
next_dgram(const uint8_t *buf, size_t n, size_t *off, const uint8_t **d,
	   size_t *len)
{
	if (*off + 2 > n)
		return 0;
	*len = (size_t)buf[*off] << 8 | buf[*off + 1];
	assert_true(*len <= n - *off - 2);
	*d = buf + *off + 2;
	*off += 2 + *len;
	return 1;
}

/* ---- keys: RFC 9001 A.1, RFC 9369 A.1 ---- */

struct key_row {
	const char *name;
	uint32_t version;
	int server;
	const char *secret, *key, *iv, *hp;
};

static const struct key_row key_rows[] = {
	{ "keys v1 client (RFC 9001 A.1)", QUIC_V1, 0,
	  "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
	  "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
	  "9f50449e04a0e810283a1e9933adedd2" },
	{ "keys v1 server (RFC 9001 A.1)", QUIC_V1, 1,
	  "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
	  "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e",
	  "c206b8d9b9f0f37644430b490eeaa314" },
	{ "keys v2 client (RFC 9369 A.1)", QUIC_V2, 0,
	  "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
	  "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
	  "45b95e15235d6f45a6b19cbcb0294ba9" },
	{ "keys v2 server (RFC 9369 A.1)", QUIC_V2, 1,
	  "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
	  "82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652",
	  "edf6d05c83121201b436e16877593c3a" },
};

static void
test_keys(void **state)
{
	const struct key_row *r = *state;
	struct quic_keys k;
	uint8_t want[32];

	assert_int_equal(quic_initial_keys(r->version, rfc_dcid,
	    sizeof(rfc_dcid), r->server, &k), 0);
	assert_int_equal(unhex(r->secret, want), 32);
	assert_memory_equal(k.secret, want, 32);
	assert_int_equal(unhex(r->key, want), 16);
	assert_memory_equal(k.key, want, 16);
	assert_int_equal(unhex(r->iv, want), 12);
	assert_memory_equal(k.iv, want, 12);
	assert_int_equal(unhex(r->hp, want), 16);
	assert_memory_equal(k.hp, want, 16);
}

static void
test_keys_unknown_version(void **state)
{
	struct quic_keys k;

	(void)state;
	assert_int_equal(quic_initial_keys(0xff00001d, rfc_dcid, 8, 0, &k),
	    -1);
}

/* ---- the RFC's client Initial, v1 and v2 (A.2) ---- */

struct rfc_row {
	const char *name;
	uint32_t version;
	const uint8_t *pkt;
	size_t len;
};

static const struct rfc_row rfc_rows[] = {
	{ "RFC 9001 A.2 client Initial (v1)", QUIC_V1, rfc9001_initial,
	  sizeof(rfc9001_initial) },
	{ "RFC 9369 A.2 client Initial (v2)", QUIC_V2, rfc9369_initial,
	  sizeof(rfc9369_initial) },
};

/* Parse, unprotect and open the packet: packet number 2, the CRYPTO
 * frame, then PADDING to 1,162 bytes. */
static void
test_rfc_open(void **state)
{
	const struct rfc_row *r = *state;
	struct quic_keys keys;
	struct quic_pkt k;
	uint8_t out[1200];
	const char *why = NULL;
	size_t outlen, i;
	uint64_t pn;

	assert_int_equal(quic_initial_parse(r->pkt, r->len, &k, &why), 0);
	assert_int_equal(k.version, r->version);
	assert_int_equal(k.type, QUIC_PT_INITIAL);
	assert_int_equal(k.dcid_len, 8);
	assert_memory_equal(k.dcid, rfc_dcid, 8);
	assert_int_equal(k.scid_len, 0);
	assert_int_equal(k.token_len, 0);
	assert_int_equal(k.pn_off, 18);
	assert_int_equal(k.len, 1200);
	assert_int_equal(quic_initial_keys(r->version, k.dcid, k.dcid_len, 0,
	    &keys), 0);
	assert_int_equal(quic_initial_open(&keys, r->pkt, &k, -1, out,
	    &outlen, &pn, &why), 0);
	assert_int_equal(pn, 2);
	assert_int_equal(outlen, 1162);
	assert_memory_equal(out, rfc_crypto_frame, sizeof(rfc_crypto_frame));
	for (i = sizeof(rfc_crypto_frame); i < outlen; i++)
		assert_int_equal(out[i], 0);
}

/* quic_initial_seal() with the RFC's inputs gives the RFC's bytes: the
 * packets the other tests build are what a client sends. */
static void
test_rfc_seal(void **state)
{
	const struct rfc_row *r = *state;
	uint8_t payload[1162], out[1300];
	struct quic_seal s = {
		.version = r->version, .dcid = rfc_dcid, .dcid_len = 8,
		.pn = 2, .pn_len = 4, .payload = payload,
		.payload_len = sizeof(payload),
	};

	memset(payload, 0, sizeof(payload));
	memcpy(payload, rfc_crypto_frame, sizeof(rfc_crypto_frame));
	assert_int_equal(quic_initial_seal(&s, out, sizeof(out)), 1200);
	assert_memory_equal(out, r->pkt, 1200);
	assert_int_equal(quic_initial_seal(&s, out, 1199), -1);
}

static void
test_rfc_feed(void **state)
{
	const struct rfc_row *r = *state;
	struct quic_hello_ctx c;

	quic_hello_init(&c);
	assert_int_equal(feed(&c, r->pkt, r->len), QUIC_DONE);
	assert_int_equal(c.version, r->version);
	assert_string_equal(c.hello.sni, "example.com");
	assert_true(c.hello.has_sni);
	assert_string_equal(c.hello.alpn, "alpn");
	assert_int_equal(c.hello.version, TLS_V_1_3);
	assert_int_equal(c.hello.len, sizeof(rfc_crypto_frame) - 4);
	assert_int_equal(c.hello.nrecords, 0);
	assert_int_equal(c.ninitials, 1);
	assert_int_equal(c.dcid_len, 8);
	assert_null(c.why);
	/* The answer stays; the stream buffer is already given back. */
	assert_null(c.buf);
	assert_int_equal(feed(&c, (const uint8_t *)"x", 1), QUIC_DONE);
	quic_hello_free(&c);
}

/* Every prefix of the packet is refused, never read past its end, never
 * taken for a hello. */
static void
test_rfc_truncated(void **state)
{
	const struct rfc_row *r = *state;
	struct quic_hello_ctx c;
	size_t n;
	int rc;

	for (n = 0; n < r->len; n++) {
		quic_hello_init(&c);
		rc = feed(&c, r->pkt, n);
		if (rc >= 0)
			fail_msg("prefix of %zu bytes: %s", n, quic_rc_str(rc));
		assert_non_null(c.why);
		quic_hello_free(&c);
	}
}

/* Every single-bit change is caught (the header is the AEAD's additional
 * data, the rest its ciphertext and tag). */
static void
test_rfc_bitflip(void **state)
{
	const struct rfc_row *r = *state;
	struct quic_hello_ctx c;
	uint8_t pkt[1200];
	size_t i;
	int bit, rc;

	assert_int_equal(r->len, sizeof(pkt));
	for (i = 0; i < r->len; i++) {
		for (bit = 0; bit < 8; bit += 7) {
			memcpy(pkt, r->pkt, r->len);
			pkt[i] ^= (uint8_t)(1 << bit);
			quic_hello_init(&c);
			rc = quic_hello_feed(&c, pkt, r->len);
			if (rc >= 0)
				fail_msg("byte %zu bit %d: %s", i, bit,
				    quic_rc_str(rc));
			quic_hello_free(&c);
		}
	}
}

/* ---- real clients (tests/data/quic/) ---- */

struct real_row {
	const char *name;	/* file in tests/data/quic/ */
	int rc;
	uint32_t version;
	const char *sni;
	const char *alpn;
	unsigned ninitials;	/* Initials opened when it answered */
	unsigned ndgrams;	/* datagrams fed when it answered */
};

static const struct real_row real_rows[] = {
	{ "gtlsclient.dgrams", QUIC_DONE, QUIC_V1, "www.example.com", "h3",
	  1, 1 },
	{ "gtlsclient-split.dgrams", QUIC_DONE, QUIC_V1,
	  "split.example.net", "h3", 2, 2 },
	{ "gtlsclient-v2draft.dgrams", QUIC_NOT_QUIC, 0x709a50c4, NULL, NULL,
	  0, 1 },
	{ "chrome-cloudflare-quic.dgrams", QUIC_DONE, QUIC_V1,
	  "cloudflare-quic.com", "h3", 1, 1 },
	{ "google-www.dgrams", QUIC_DONE, QUIC_V1, "www.google.com", "h3", 1,
	  1 },
	{ "google-ogs-several-frames.dgrams", QUIC_DONE, QUIC_V1,
	  "ogs.google.com", "h3", 1, 1 },
};

static void
test_real(void **state)
{
	const struct real_row *r = *state;
	static uint8_t buf[BIG];
	struct quic_hello_ctx c;
	const uint8_t *d;
	size_t n, off = 0, len;
	int rc = QUIC_NEED_MORE;

	n = load(r->name, buf, sizeof(buf));
	quic_hello_init(&c);
	while (rc == QUIC_NEED_MORE && next_dgram(buf, n, &off, &d, &len))
		rc = feed(&c, d, len);
	assert_int_equal(rc, r->rc);
	assert_int_equal(c.version, r->version);
	assert_int_equal(c.ninitials, r->ninitials);
	assert_int_equal(c.ndgrams, r->ndgrams);
	if (r->sni != NULL) {
		assert_string_equal(c.hello.sni, r->sni);
		assert_string_equal(c.hello.alpn, r->alpn);
	}
	quic_hello_free(&c);
}

/* The first datagram of each capture, cut at every length: never read
 * past its end, never a hello before its Initial is whole. */
static void
test_real_truncated(void **state)
{
	const struct real_row *r = *state;
	static uint8_t buf[BIG];
	struct quic_hello_ctx c;
	struct quic_pkt k;
	const uint8_t *d;
	const char *why;
	size_t n, off = 0, len = 0, cut;
	int rc;

	n = load(r->name, buf, sizeof(buf));
	assert_true(next_dgram(buf, n, &off, &d, &len));
	if (quic_initial_parse(d, len, &k, &why) < 0)
		k.len = len;
	for (cut = 0; cut < k.len; cut++) {
		quic_hello_init(&c);
		rc = feed(&c, d, cut);
		if (rc >= 0)
			fail_msg("%zu of %zu bytes: %s", cut, len,
			    quic_rc_str(rc));
		quic_hello_free(&c);
	}
}

int
main(void)
{
	static struct CMUnitTest t[256];
	static char names[4][NELEM(rfc_rows) + NELEM(real_rows)][96];
	size_t k = 0, i;

	ROWS(test_keys, key_rows, t, k);
	ROWS(test_rfc_open, rfc_rows, t, k);
	for (i = 0; i < NELEM(rfc_rows); i++) {
		snprintf(names[0][i], sizeof(names[0][i]), "%s: seal",
		    rfc_rows[i].name);
		snprintf(names[1][i], sizeof(names[1][i]), "%s: feed",
		    rfc_rows[i].name);
		snprintf(names[2][i], sizeof(names[2][i]),
		    "%s: every truncation", rfc_rows[i].name);
		snprintf(names[3][i], sizeof(names[3][i]),
		    "%s: every bit flip", rfc_rows[i].name);
		t[k++] = (struct CMUnitTest){ names[0][i], test_rfc_seal,
		    NULL, NULL, (void *)(uintptr_t)&rfc_rows[i] };
		t[k++] = (struct CMUnitTest){ names[1][i], test_rfc_feed,
		    NULL, NULL, (void *)(uintptr_t)&rfc_rows[i] };
		t[k++] = (struct CMUnitTest){ names[2][i],
		    test_rfc_truncated, NULL, NULL,
		    (void *)(uintptr_t)&rfc_rows[i] };
		t[k++] = (struct CMUnitTest){ names[3][i], test_rfc_bitflip,
		    NULL, NULL, (void *)(uintptr_t)&rfc_rows[i] };
	}
	ROWS(test_real, real_rows, t, k);
	for (i = 0; i < NELEM(real_rows); i++) {
		char *nm = names[0][NELEM(rfc_rows) + i];

		snprintf(nm, 96, "%s: every truncation", real_rows[i].name);
		t[k++] = (struct CMUnitTest){ nm, test_real_truncated, NULL,
		    NULL, (void *)(uintptr_t)&real_rows[i] };
	}
	t[k++] = (struct CMUnitTest)cmocka_unit_test(test_keys_unknown_version);
	assert_true(k <= NELEM(t));
	return _cmocka_run_group_tests("quic_rfc", t, k, NULL, NULL);
}
