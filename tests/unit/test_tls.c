/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tls.c - unit tests of the ClientHello reader (src/tls/hello.c).
 *
 * The hellos are real: tests/data/tls/client-*.bin were sent by curl,
 * openssl s_client, Python, GnuTLS and Node.js (scripts/tls-capture.py),
 * and by Chrome and Firefox (FoxIO's public captures, see the MANIFEST
 * there). Each is read whole, at every split point, re-framed into records
 * of every size, and truncated at every length. Crafted hellos cover what
 * no client here sends (GREASE everywhere, ECH, broken names and lengths).
 * Table-driven: each row is its own cmocka test, named after the row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls/tls.h"
#include "tls_data.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX		(16384 + 5)

static int
is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* The same hello seen twice: everything but where its bytes were. */
static void
hello_same(const struct tls_hello *a, const struct tls_hello *b)
{
	assert_int_equal(a->record_version, b->record_version);
	assert_int_equal(a->legacy_version, b->legacy_version);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->nversions, b->nversions);
	assert_memory_equal(a->versions, b->versions,
	    a->nversions * sizeof(a->versions[0]));
	assert_string_equal(a->sni, b->sni);
	assert_int_equal(a->has_sni, b->has_sni);
	assert_int_equal(a->sni_invalid, b->sni_invalid);
	assert_int_equal(a->sni_ip, b->sni_ip);
	assert_int_equal(a->ech, b->ech);
	assert_string_equal(a->alpn, b->alpn);
	assert_int_equal(a->nciphers, b->nciphers);
	assert_memory_equal(a->ciphers, b->ciphers,
	    a->nciphers * sizeof(a->ciphers[0]));
	assert_int_equal(a->nexts, b->nexts);
	assert_memory_equal(a->exts, b->exts, a->nexts * sizeof(a->exts[0]));
}

static int
has_ext(const struct tls_hello *h, uint16_t type)
{
	unsigned i;

	for (i = 0; i < h->nexts; i++)
		if (h->exts[i] == type)
			return 1;
	return 0;
}

/* Recorded hellos and what each must give. */
struct cap_case {
	const char *name;	/* tests/data/tls/client-NAME.bin */
	const char *sni;
	unsigned    sni_ip;
	const char *alpn;
	uint16_t    version;
	unsigned    nrecords;
	int         nversions;	/* -1: not checked */
	int         nciphers;	/* -1: not checked */
	int         nexts;	/* -1: not checked */
	int         ext_has;	/* an extension it lists, -1: none */
	int         ext_not;	/* one it must not list, -1: none */
};

/* IANA ALPN names as s_client-frag512 sent them, cut at the last whole
 * name that fits in TLS_ALPN_TEXT - 1 characters. */
#define FRAG_ALPN "h2,http/1.1,http/1.0,http/0.9,spdy/1,spdy/2,spdy/3," \
	"stun.turn,stun.nat-discovery,webrtc,c-webrtc,ftp,imap,pop3," \
	"managesieve,coap"

static const struct cap_case cap_cases[] = {
	{ "curl", "www.example.com", 0, "h2,http/1.1", TLS_V_1_3, 1, 4,
	  -1, -1, TLS_EXT_SUPPORTED_VERSIONS, -1 },
	{ "curl-http1.1", "www.example.com", 0, "http/1.1", TLS_V_1_3, 1, 4,
	  -1, -1, -1, -1 },
	{ "curl-http2", "www.example.com", 0, "h2,http/1.1", TLS_V_1_3, 1, 4,
	  -1, -1, -1, -1 },
	/* --tls-max 1.2: no supported_versions, legacy_version decides */
	{ "curl-tls12", "www.example.com", 0, "h2,http/1.1", TLS_V_1_2, 1, 0,
	  -1, -1, -1, TLS_EXT_SUPPORTED_VERSIONS },
	{ "curl-tls13", "www.example.com", 0, "h2,http/1.1", TLS_V_1_3, 1, 1,
	  -1, -1, -1, -1 },
	/* an IP in the URL: curl sends no SNI */
	{ "curl-ip", "", 0, "h2,http/1.1", TLS_V_1_3, 1, 4, -1, -1, -1,
	  TLS_EXT_SNI },
	{ "s_client", "www.example.com", 0, "", TLS_V_1_3, 1, 4, -1, -1,
	  0x0023, TLS_EXT_ALPN },
	{ "s_client-nosni", "", 0, "", TLS_V_1_3, 1, 4, -1, -1, -1,
	  TLS_EXT_SNI },
	{ "s_client-alpn", "www.example.com", 0, "h2,http/1.1", TLS_V_1_3, 1,
	  4, -1, -1, TLS_EXT_ALPN, -1 },
	{ "s_client-tls12", "www.example.com", 0, "", TLS_V_1_2, 1, 0, -1,
	  -1, -1, -1 },
	{ "s_client-tls13", "www.example.com", 0, "", TLS_V_1_3, 1, 1, -1,
	  -1, -1, -1 },
	/* -no_ticket: no session_ticket extension (35) */
	{ "s_client-noticket", "www.example.com", 0, "", TLS_V_1_3, 1, 4, -1,
	  -1, -1, 0x0023 },
	{ "s_client-ipsni", "127.0.0.1", 1, "", TLS_V_1_3, 1, 4, -1, -1, -1,
	  -1 },
	{ "s_client-trailingdot", "www.example.com", 0, "", TLS_V_1_3, 1, 4,
	  -1, -1, -1, -1 },
	/* over 512 bytes with -max_send_frag 512: two records */
	{ "s_client-frag512", "www.example.com", 0, FRAG_ALPN, TLS_V_1_2, 2,
	  0, -1, -1, -1, -1 },
	{ "python", "www.example.com", 0, "", TLS_V_1_3, 1, 4, -1, -1, -1,
	  TLS_EXT_ALPN },
	{ "python-alpn", "www.example.com", 0, "h2,http/1.1", TLS_V_1_3, 1, 4,
	  -1, -1, -1, -1 },
	{ "gnutls", "www.example.com", 0, "", TLS_V_1_3, 1, 4, -1, -1, -1,
	  -1 },
	{ "gnutls-alpn", "www.example.com", 0, "h2,http/1.1", TLS_V_1_3, 1, 4,
	  -1, -1, -1, -1 },
	{ "node", "www.example.com", 0, "h2,http/1.1", TLS_V_1_3, 1, 2, -1,
	  -1, -1, -1 },
	/* Chrome: GREASE in ciphers, extensions, versions; FoxIO's JA4
	 * for it (t13d1516h2) counts 15 ciphers and 16 extensions without
	 * GREASE; ALPS (0x4469) */
	{ "chrome", "cloudflare-quic.com", 0, "h2,http/1.1", TLS_V_1_3, 1, 2,
	  15, 16, 0x4469, -1 },
	/* Firefox: JA4 t13d1715h2, record_size_limit (28) */
	{ "firefox", "contile.services.mozilla.com", 0, "h2,http/1.1",
	  TLS_V_1_3, 1, 2, 17, 15, 0x001c, -1 },
};

static uint8_t data[TLS_DATA_MAX];
static uint8_t frame[4 * TLS_DATA_MAX];

static size_t
cap_load(const struct cap_case *c)
{
	char fn[128];

	snprintf(fn, sizeof(fn), "client-%s.bin", c->name);
	return tls_data_load(fn, data, sizeof(data));
}

/* The whole hello, in one piece. */
static void
test_capture(void **state)
{
	const struct cap_case *c = *state;
	struct tls_hello h;
	size_t n = cap_load(c);
	uint8_t *p = tls_data_exact(data, n);
	unsigned i;

	assert_int_equal(tls_hello_parse(p, n, MAX, &h), TLS_OK);
	free(p);
	assert_null(h.why);
	assert_int_equal(h.len, n);
	assert_int_equal(h.nrecords, c->nrecords);
	assert_int_equal(h.record_version, data[1] << 8 | data[2]);
	assert_int_equal(h.legacy_version, TLS_V_1_2);
	assert_int_equal(h.version, c->version);
	assert_string_equal(h.sni, c->sni);
	assert_int_equal(h.has_sni, c->sni[0] != '\0');
	assert_int_equal(h.sni_invalid, 0);
	assert_int_equal(h.sni_ip, c->sni_ip);
	assert_int_equal(h.ech, 0);
	/* Every recorded client offers ecdsa_secp256r1_sha256. */
	assert_int_equal(h.ecdsa, 1);
	assert_string_equal(h.alpn, c->alpn);
	if (c->nversions >= 0)
		assert_int_equal(h.nversions, c->nversions);
	if (c->nciphers >= 0)
		assert_int_equal(h.nciphers, c->nciphers);
	if (c->nexts >= 0)
		assert_int_equal(h.nexts, c->nexts);
	if (c->ext_has >= 0)
		assert_true(has_ext(&h, (uint16_t)c->ext_has));
	if (c->ext_not >= 0)
		assert_false(has_ext(&h, (uint16_t)c->ext_not));
	assert_int_equal(has_ext(&h, TLS_EXT_SNI), c->sni[0] != '\0');
	/* RFC 8701: no GREASE value is kept anywhere. */
	for (i = 0; i < h.nciphers; i++)
		assert_false(is_grease(h.ciphers[i]));
	for (i = 0; i < h.nexts; i++)
		assert_false(is_grease(h.exts[i]));
	for (i = 0; i < h.nversions; i++)
		assert_false(is_grease(h.versions[i]));
	assert_true(h.nciphers > 0 && h.nexts > 0);
}

/* Every split point: each prefix is INCOMPLETE (in a buffer of exactly
 * its size), the whole is the same as in one piece. */
static void
test_capture_split(void **state)
{
	const struct cap_case *c = *state;
	struct tls_hello whole, h;
	size_t n = cap_load(c), k;
	uint8_t *p;

	assert_int_equal(tls_hello_parse(data, n, MAX, &whole), TLS_OK);
	for (k = 0; k < n; k++) {
		p = tls_data_exact(data, k);
		assert_int_equal(tls_hello_parse(p, k, MAX, &h),
		    TLS_INCOMPLETE);
		free(p);
	}
	assert_int_equal(tls_hello_parse(data, n, MAX, &h), TLS_OK);
	hello_same(&whole, &h);
	assert_int_equal(h.len, whole.len);
}

/* The same handshake bytes carried in records of 1, 2, ... bytes: the
 * same hello, its length counting every record header. For 1- and
 * 7-byte records, every split point too. */
static void
test_capture_reframe(void **state)
{
	const struct cap_case *c = *state;
	struct tls_hello whole, h;
	size_t n = cap_load(c), k, m, hs, j;
	uint8_t *p;

	assert_int_equal(tls_hello_parse(data, n, MAX, &whole), TLS_OK);
	hs = n - 5 * whole.nrecords;
	for (k = 1; k <= hs + 1; k++) {
		m = tls_data_reframe(data, n, k, frame, sizeof(frame));
		assert_int_equal(tls_hello_parse(frame, m, 4 * MAX, &h),
		    TLS_OK);
		hello_same(&whole, &h);
		assert_int_equal(h.nrecords, (hs + k - 1) / k);
		assert_int_equal(h.len, m);
		if (k != 1 && k != 7)
			continue;
		for (j = 0; j < m; j++) {
			p = tls_data_exact(frame, j);
			assert_int_equal(tls_hello_parse(p, j, 4 * MAX, &h),
			    TLS_INCOMPLETE);
			free(p);
		}
	}
}

/* The size limit: max = the hello's length is enough, one byte less is
 * TLS_E_TOO_LONG, and that is known from the first record header. */
static void
test_capture_max(void **state)
{
	const struct cap_case *c = *state;
	struct tls_hello h;
	size_t n = cap_load(c);

	assert_int_equal(tls_hello_parse(data, n, n, &h), TLS_OK);
	assert_int_equal(tls_hello_parse(data, n, n - 1, &h), TLS_E_TOO_LONG);
	if (c->nrecords == 1)
		assert_int_equal(tls_hello_parse(data, 9, n - 1, &h),
		    TLS_E_TOO_LONG);
	/* Re-framed into 100-byte records: the limit counts the headers. */
	n = tls_data_reframe(data, n, 100, frame, sizeof(frame));
	assert_int_equal(tls_hello_parse(frame, n, n, &h), TLS_OK);
	assert_int_equal(tls_hello_parse(frame, n, n - 1, &h),
	    TLS_E_TOO_LONG);
	assert_int_equal(tls_hello_parse(frame, n - 1, n - 1, &h),
	    TLS_E_TOO_LONG);
}

/*
 * Truncated at every length: the message cut after L bytes, its length
 * and its record's length saying L. Every L is TLS_E_MALFORMED (a length
 * inside points past the end), but one: the end of the compression
 * methods, where a hello without extensions (SSL 3.0's form) ends.
 */
static void
test_capture_truncated(void **state)
{
	const struct cap_case *c = *state;
	struct tls_hello h;
	size_t n = cap_load(c), len, l, comp_end;
	const uint8_t *b;
	int rc;

	/* One record for the whole message (s_client-frag512 has two). */
	n = tls_data_reframe(data, n, 16384, frame, sizeof(frame));
	memcpy(data, frame, n);
	b = data + 9;
	len = (size_t)data[6] << 16 | data[7] << 8 | data[8];
	assert_int_equal(len + 9, n);
	/* version, random, session id, ciphers, compression */
	comp_end = 34;
	comp_end += 1 + b[comp_end];
	comp_end += 2 + (b[comp_end] << 8 | b[comp_end + 1]);
	comp_end += 1 + b[comp_end];
	for (l = 0; l < len; l++) {
		memcpy(frame, data, 9 + l);
		frame[3] = (uint8_t)((4 + l) >> 8);
		frame[4] = (uint8_t)(4 + l);
		frame[6] = (uint8_t)(l >> 16);
		frame[7] = (uint8_t)(l >> 8);
		frame[8] = (uint8_t)l;
		rc = tls_hello_parse(frame, 9 + l, MAX, &h);
		if (l == comp_end) {
			assert_int_equal(rc, TLS_OK);
			assert_int_equal(h.nexts, 0);
			assert_int_equal(h.version, TLS_V_1_2);
		} else {
			if (rc != TLS_E_MALFORMED)
				fail_msg("cut at %zu: %d", l, rc);
			assert_non_null(h.why);
		}
	}
}

/* A ClientHello under construction. */
struct hb {
	uint8_t b[70000];
	size_t  n;
};

static void
hb_put(struct hb *h, const void *p, size_t n)
{
	assert_true(h->n + n <= sizeof(h->b));
	memcpy(h->b + h->n, p, n);
	h->n += n;
}

static void
hb_u16(struct hb *h, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	hb_put(h, b, 2);
}

/* An extension as the test tables give it: type (-1 ends the list) and
 * its data. */
struct ext {
	int         type;
	const char *data;
	size_t      len;
};

#define EXT(t, s)	{ (t), (s), sizeof(s) - 1 }
#define EXT_END		{ -1, NULL, 0 }

/*
 * A ClientHello record: legacy_version 3.3, a session id of 32 bytes,
 * the cipher suites GREASE 0x0A0A, 0x1301, 0xC02F (unless ciphers says
 * otherwise), null compression, and the extensions given (noext: no
 * extensions block at all).
 */
static void
hello_make(struct hb *h, const struct ext *ext, int noext,
	   const uint8_t *ciphers, size_t clen)
{
	static const uint8_t dflt[] = { 0x0a, 0x0a, 0x13, 0x01, 0xc0, 0x2f };
	uint8_t random[32];
	size_t elen_at, body, i;

	memset(random, 0x5a, sizeof(random));
	h->n = 0;
	hb_put(h, "\x16\x03\x01\x00\x00\x01\x00\x00\x00\x03\x03", 11);
	hb_put(h, random, 32);
	hb_put(h, "\x20", 1);
	hb_put(h, random, 32);
	if (ciphers == NULL) {
		ciphers = dflt;
		clen = sizeof(dflt);
	}
	hb_u16(h, (unsigned)clen);
	hb_put(h, ciphers, clen);
	hb_put(h, "\x01\x00", 2);
	if (!noext) {
		elen_at = h->n;
		hb_u16(h, 0);
		for (i = 0; ext != NULL && ext[i].type >= 0; i++) {
			hb_u16(h, (unsigned)ext[i].type);
			hb_u16(h, (unsigned)ext[i].len);
			hb_put(h, ext[i].data, ext[i].len);
		}
		h->b[elen_at] = (uint8_t)((h->n - elen_at - 2) >> 8);
		h->b[elen_at + 1] = (uint8_t)(h->n - elen_at - 2);
	}
	body = h->n - 9;
	h->b[3] = (uint8_t)((body + 4) >> 8);
	h->b[4] = (uint8_t)(body + 4);
	h->b[6] = (uint8_t)(body >> 16);
	h->b[7] = (uint8_t)(body >> 8);
	h->b[8] = (uint8_t)body;
	/* A hello over 16 KiB needs re-framing by the caller. */
}

/* server_name host names: rc is TLS_OK in every row (a bad name is not a
 * broken hello); sni is what is kept ("" when invalid). */
struct sni_case {
	const char *name;
	const char *host;
	size_t      len;	/* 0: strlen(host) */
	const char *sni;
	unsigned    invalid;
	unsigned    ip;
};

static char label63[64], label64[65], name253[254], name254[255],
	    name253dot[255], name300[301];

static const struct sni_case sni_cases[] = {
	{ "plain", "example.com", 0, "example.com", 0, 0 },
	{ "uppercase", "WWW.Example.COM", 0, "www.example.com", 0, 0 },
	{ "trailing dot", "example.com.", 0, "example.com", 0, 0 },
	{ "two trailing dots", "example.com..", 0, "", 1, 0 },
	{ "underscore", "_dmarc.example.com", 0, "_dmarc.example.com", 0, 0 },
	{ "digits and dash", "a-1.b2.example", 0, "a-1.b2.example", 0, 0 },
	{ "single label", "localhost", 0, "localhost", 0, 0 },
	{ "ipv4 literal", "192.0.2.1", 0, "192.0.2.1", 0, 1 },
	{ "ipv6 literal", "2001:DB8::1", 0, "2001:db8::1", 0, 1 },
	{ "all digits not ip", "1.2.3", 0, "1.2.3", 0, 0 },
	{ "colon not ipv6", "example.com:443", 0, "", 1, 0 },
	{ "space", "exa mple.com", 0, "", 1, 0 },
	{ "nul inside", "exa\0mple.com", 12, "", 1, 0 },
	{ "utf-8", "\xc3\xa9.example", 0, "", 1, 0 },
	{ "slash", "a/b.example", 0, "", 1, 0 },
	{ "percent", "a%2eb.example", 0, "", 1, 0 },
	{ "empty label", "a..b", 0, "", 1, 0 },
	{ "leading dot", ".example.com", 0, "", 1, 0 },
	{ "only a dot", ".", 0, "", 1, 0 },
	{ "label of 63", label63, 0, label63, 0, 0 },
	{ "label of 64", label64, 0, "", 1, 0 },
	{ "253 bytes", name253, 0, name253, 0, 0 },
	{ "254 bytes", name254, 0, "", 1, 0 },
	{ "253 bytes and a dot", name253dot, 0, name253, 0, 0 },
	{ "300 bytes", name300, 0, "", 1, 0 },
};

/* Names of 63 and 64 byte labels, and of 253, 254, 300 bytes. */
static void
sni_names_init(void)
{
	size_t i;

	memset(label63, 'a', 63);
	memset(label64, 'b', 64);
	/* 253 = 4 labels of 62 + 3 dots + a label of 2 */
	for (i = 0; i < 253; i++)
		name253[i] = (i % 63 == 62) ? '.' : 'c';
	memcpy(name254, name253, 253);
	name254[253] = 'd';
	memcpy(name253dot, name253, 253);
	name253dot[253] = '.';
	for (i = 0; i < 300; i++)
		name300[i] = (i % 50 == 49) ? '.' : 'e';
}

static void
test_sni(void **state)
{
	const struct sni_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->host);
	char sni[400];
	struct ext ext[2] = { { TLS_EXT_SNI, sni, 5 + len }, EXT_END };
	struct hb *hb = malloc(sizeof(*hb));
	struct tls_hello h;

	assert_non_null(hb);
	sni[0] = (char)((3 + len) >> 8);
	sni[1] = (char)(3 + len);
	sni[2] = 0;
	sni[3] = (char)(len >> 8);
	sni[4] = (char)len;
	memcpy(sni + 5, c->host, len);
	hello_make(hb, ext, 0, NULL, 0);
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h), TLS_OK);
	free(hb);
	assert_string_equal(h.sni, c->sni);
	assert_int_equal(h.has_sni, !c->invalid);
	assert_int_equal(h.sni_invalid, c->invalid);
	assert_int_equal(h.sni_ip, c->ip);
}

/* Crafted hellos: extensions, and what must come out. */
struct craft_case {
	const char *name;
	struct ext  ext[6];
	int         noext;	/* no extensions block */
	int         rc;
	const char *why;	/* rc < 0: the reason given */
	const char *sni;	/* NULL: not checked */
	const char *alpn;	/* NULL: not checked */
	int         ech;	/* -1: not checked */
	int         version;	/* 0: not checked */
	int         nversions;	/* -1: not checked */
	int         nexts;	/* -1: not checked */
};

/* server_name for "example.com" */
#define SNI_EX "\x00\x0e\x00\x00\x0b" "example.com"
#define SNI_OTHER "\x00\x0e\x00\x00\x0b" "example.org"

static const struct craft_case craft_cases[] = {
	{ "no extensions block", { EXT_END }, 1, TLS_OK, NULL, "", "", 0,
	  TLS_V_1_2, 0, 0 },
	{ "empty extensions block", { EXT_END }, 0, TLS_OK, NULL, "", "", 0,
	  TLS_V_1_2, 0, 0 },
	{ "sni", { EXT(0, SNI_EX), EXT_END }, 0, TLS_OK, NULL,
	  "example.com", "", 0, TLS_V_1_2, 0, 1 },
	{ "sni other name type only",
	  { EXT(0, "\x00\x04\x01\x00\x01x"), EXT_END }, 0, TLS_OK, NULL, "",
	  NULL, -1, 0, -1, 1 },
	{ "sni other name type then host name",
	  { EXT(0, "\x00\x12\x01\x00\x01x\x00\x00\x0b" "example.com"),
	    EXT_END }, 0, TLS_OK, NULL, "example.com", NULL, -1, 0, -1, 1 },
	{ "sni two host names",
	  { EXT(0, "\x00\x1c\x00\x00\x0b" "example.com\x00\x00\x0b"
	    "example.org"), EXT_END }, 0, TLS_E_MALFORMED,
	  "two host names in server_name", NULL, NULL, -1, 0, -1, -1 },
	{ "sni twice", { EXT(0, SNI_EX), EXT(0, SNI_OTHER), EXT_END }, 0,
	  TLS_E_MALFORMED, "duplicate extension", NULL, NULL, -1, 0, -1, -1 },
	{ "sni empty name", { EXT(0, "\x00\x03\x00\x00\x00"), EXT_END }, 0,
	  TLS_E_MALFORMED, "empty server name", NULL, NULL, -1, 0, -1, -1 },
	{ "sni empty list", { EXT(0, "\x00\x00"), EXT_END }, 0,
	  TLS_E_MALFORMED, "bad server_name list length", NULL, NULL, -1, 0,
	  -1, -1 },
	{ "sni empty extension", { EXT(0, ""), EXT_END }, 0, TLS_E_MALFORMED,
	  "length past the end of its field", NULL, NULL, -1, 0, -1, -1 },
	{ "sni list length short",
	  { EXT(0, "\x00\x0d\x00\x00\x0b" "example.com"), EXT_END }, 0,
	  TLS_E_MALFORMED, "bad server_name list length", NULL, NULL, -1, 0,
	  -1, -1 },
	{ "sni name length long",
	  { EXT(0, "\x00\x0e\x00\x00\x0c" "example.com"), EXT_END }, 0,
	  TLS_E_MALFORMED, "length past the end of its field", NULL, NULL,
	  -1, 0, -1, -1 },
	{ "same unknown extension twice",
	  { EXT(0x1234, ""), EXT(0x1234, "x"), EXT_END }, 0, TLS_E_MALFORMED,
	  "duplicate extension", NULL, NULL, -1, 0, -1, -1 },
	{ "two GREASE extensions", { EXT(0x0a0a, ""), EXT(0, SNI_EX),
	  EXT(0x1a1a, "\x00"), EXT_END }, 0, TLS_OK, NULL, "example.com",
	  NULL, -1, 0, -1, 1 },
	{ "one GREASE extension twice",
	  { EXT(0x2a2a, ""), EXT(0x2a2a, ""), EXT_END }, 0, TLS_E_MALFORMED,
	  "duplicate extension", NULL, NULL, -1, 0, -1, -1 },
	{ "empty extension", { EXT(0x0017, ""), EXT_END }, 0, TLS_OK, NULL,
	  NULL, NULL, -1, 0, -1, 1 },
	{ "alpn", { EXT(TLS_EXT_ALPN, "\x00\x0c\x02h2\x08http/1.1"),
	  EXT_END }, 0, TLS_OK, NULL, "", "h2,http/1.1", -1, 0, -1, 1 },
	{ "alpn GREASE name",
	  { EXT(TLS_EXT_ALPN, "\x00\x06\x02\x3a\x3a\x02h2"), EXT_END }, 0,
	  TLS_OK, NULL, NULL, "h2", -1, 0, -1, 1 },
	{ "alpn name with a comma",
	  { EXT(TLS_EXT_ALPN, "\x00\x07\x03" "a,b\x02h3"), EXT_END }, 0,
	  TLS_OK, NULL, NULL, "h3", -1, 0, -1, 1 },
	{ "alpn name with a control byte",
	  { EXT(TLS_EXT_ALPN, "\x00\x07\x03" "a\nb\x02h3"), EXT_END }, 0,
	  TLS_OK, NULL, NULL, "h3", -1, 0, -1, 1 },
	{ "alpn cut at a whole name",
	  { EXT(TLS_EXT_ALPN, "\x00\xa8"
	    "\x14" "aaaaaaaaaaaaaaaaaaa1" "\x14" "aaaaaaaaaaaaaaaaaaa2"
	    "\x14" "aaaaaaaaaaaaaaaaaaa3" "\x14" "aaaaaaaaaaaaaaaaaaa4"
	    "\x14" "aaaaaaaaaaaaaaaaaaa5" "\x14" "aaaaaaaaaaaaaaaaaaa6"
	    "\x14" "aaaaaaaaaaaaaaaaaaa7" "\x14" "aaaaaaaaaaaaaaaaaaa8"),
	    EXT_END }, 0, TLS_OK, NULL, NULL,
	  "aaaaaaaaaaaaaaaaaaa1,aaaaaaaaaaaaaaaaaaa2,aaaaaaaaaaaaaaaaaaa3,"
	  "aaaaaaaaaaaaaaaaaaa4,aaaaaaaaaaaaaaaaaaa5,aaaaaaaaaaaaaaaaaaa6",
	  -1, 0, -1, 1 },
	{ "alpn empty name", { EXT(TLS_EXT_ALPN, "\x00\x03\x00\x01x"),
	  EXT_END }, 0, TLS_E_MALFORMED, "empty ALPN name", NULL, NULL, -1, 0,
	  -1, -1 },
	{ "alpn empty list", { EXT(TLS_EXT_ALPN, "\x00\x00"), EXT_END }, 0,
	  TLS_E_MALFORMED, "bad ALPN list length", NULL, NULL, -1, 0, -1,
	  -1 },
	{ "alpn list length long",
	  { EXT(TLS_EXT_ALPN, "\x00\x04\x02h2"), EXT_END }, 0,
	  TLS_E_MALFORMED, "bad ALPN list length", NULL, NULL, -1, 0, -1,
	  -1 },
	{ "versions with GREASE",
	  { EXT(TLS_EXT_SUPPORTED_VERSIONS, "\x06\x2a\x2a\x03\x04\x03\x03"),
	    EXT_END }, 0, TLS_OK, NULL, NULL, NULL, -1, TLS_V_1_3, 2, 1 },
	{ "versions only GREASE",
	  { EXT(TLS_EXT_SUPPORTED_VERSIONS, "\x02\x3a\x3a"), EXT_END }, 0,
	  TLS_OK, NULL, NULL, NULL, -1, TLS_V_1_2, 0, 1 },
	{ "versions draft number",
	  { EXT(TLS_EXT_SUPPORTED_VERSIONS, "\x04\x7f\x1c\x03\x03"),
	    EXT_END }, 0, TLS_OK, NULL, NULL, NULL, -1, TLS_V_1_2, 2, 1 },
	{ "versions odd length",
	  { EXT(TLS_EXT_SUPPORTED_VERSIONS, "\x03\x03\x04\x03"), EXT_END },
	  0, TLS_E_MALFORMED, "bad supported_versions length", NULL, NULL,
	  -1, 0, -1, -1 },
	{ "versions empty",
	  { EXT(TLS_EXT_SUPPORTED_VERSIONS, "\x00"), EXT_END }, 0,
	  TLS_E_MALFORMED, "bad supported_versions length", NULL, NULL, -1,
	  0, -1, -1 },
	/* ECH outer hello (draft-ietf-tls-esni-22 §5): type outer (0),
	 * HPKE KDF and AEAD ids, config id, enc<0..2^16-1>, payload. The
	 * SNI is the public name of the client-facing server. */
	{ "ech outer hello", { EXT(0, "\x00\x11\x00\x00\x0e"
	  "public.example"),
	  EXT(TLS_EXT_ECH, "\x00\x00\x01\x00\x01\x2a\x00\x04" "encK"
	  "\x00\x08" "payload!"), EXT_END }, 0, TLS_OK, NULL,
	  "public.example", NULL, 1, 0, -1, 2 },
	{ "ech empty", { EXT(TLS_EXT_ECH, ""), EXT_END }, 0, TLS_OK, NULL,
	  "", NULL, 1, 0, -1, 1 },
};

static void
test_craft(void **state)
{
	const struct craft_case *c = *state;
	struct hb *hb = malloc(sizeof(*hb));
	struct tls_hello h;
	int rc;

	assert_non_null(hb);
	hello_make(hb, c->ext, c->noext, NULL, 0);
	rc = tls_hello_parse(hb->b, hb->n, MAX, &h);
	assert_int_equal(rc, c->rc);
	if (rc == TLS_OK) {
		assert_int_equal(h.len, hb->n);
		/* The GREASE cipher suite is left out. */
		assert_int_equal(h.nciphers, 2);
		assert_int_equal(h.ciphers[0], 0x1301);
	}
	free(hb);
	if (rc < 0) {
		assert_non_null(h.why);
		assert_string_equal(h.why, c->why);
		return;
	}
	assert_null(h.why);
	if (c->sni != NULL)
		assert_string_equal(h.sni, c->sni);
	if (c->alpn != NULL)
		assert_string_equal(h.alpn, c->alpn);
	if (c->ech >= 0)
		assert_int_equal(h.ech, c->ech);
	if (c->version != 0)
		assert_int_equal(h.version, c->version);
	if (c->nversions >= 0)
		assert_int_equal(h.nversions, c->nversions);
	if (c->nexts >= 0)
		assert_int_equal(h.nexts, c->nexts);
	if (c->ech == 1)
		assert_true(has_ext(&h, TLS_EXT_ECH));
}

/* Does the client take an ECDSA certificate (h.ecdsa)? From the
 * signature_algorithms extension (13) when sent, else from the suites. */
struct ecdsa_case {
	const char *name;
	const char *ciphers;	/* NULL: 0x1301, 0xC02F (ECDHE_RSA) */
	size_t      clen;
	struct ext  ext[3];
	int         rc;
	unsigned    ecdsa;
};

#define SUITES(s)	(s), sizeof(s) - 1
#define SIGALGS(s)	EXT(TLS_EXT_SIG_ALGS, s)

static const struct ecdsa_case ecdsa_cases[] = {
	{ "no sigalgs, ECDHE_RSA only", NULL, 0, { EXT_END }, TLS_OK, 0 },
	{ "no sigalgs, ECDHE_ECDSA_AES128_GCM",
	  SUITES("\xc0\x2f\xc0\x2b"), { EXT_END }, TLS_OK, 1 },
	{ "no sigalgs, ECDHE_ECDSA_CHACHA20", SUITES("\xcc\xa9"),
	  { EXT_END }, TLS_OK, 1 },
	{ "no sigalgs, ECDHE_ECDSA_AES256_CBC_SHA", SUITES("\xc0\x0a"),
	  { EXT_END }, TLS_OK, 1 },
	{ "no sigalgs, ECDHE_RSA_CHACHA20", SUITES("\xcc\xa8"),
	  { EXT_END }, TLS_OK, 0 },
	{ "ecdsa_secp256r1_sha256", NULL, 0,
	  { SIGALGS("\x00\x04\x08\x04\x04\x03"), EXT_END }, TLS_OK, 1 },
	{ "ecdsa_secp384r1_sha384", NULL, 0,
	  { SIGALGS("\x00\x02\x05\x03"), EXT_END }, TLS_OK, 1 },
	{ "ecdsa_secp521r1_sha512", NULL, 0,
	  { SIGALGS("\x00\x02\x06\x03"), EXT_END }, TLS_OK, 1 },
	{ "rsa_pss and rsa_pkcs1 only", NULL, 0,
	  { SIGALGS("\x00\x06\x08\x04\x04\x01\x08\x05"), EXT_END },
	  TLS_OK, 0 },
	{ "ed25519 and ed448 are not ECDSA", NULL, 0,
	  { SIGALGS("\x00\x04\x08\x07\x08\x08"), EXT_END }, TLS_OK, 0 },
	/* The extension decides over the suites: RFC 5246 §7.4.1.4.1. */
	{ "ECDSA suite but sigalgs RSA only", SUITES("\xc0\x2b"),
	  { SIGALGS("\x00\x02\x08\x04"), EXT_END }, TLS_OK, 0 },
	{ "sigalgs odd length: skipped", NULL, 0,
	  { SIGALGS("\x00\x03\x04\x03\x01"), EXT_END }, TLS_OK, 0 },
	{ "sigalgs list length short: skipped", NULL, 0,
	  { SIGALGS("\x00\x02\x08\x04\x04\x03"), EXT_END }, TLS_OK, 0 },
	{ "sigalgs one byte: skipped", NULL, 0,
	  { SIGALGS("\x04"), EXT_END }, TLS_OK, 0 },
	{ "sigalgs empty", NULL, 0, { SIGALGS(""), EXT_END }, TLS_OK, 0 },
	{ "sigalgs twice", NULL, 0,
	  { SIGALGS("\x00\x02\x04\x03"), SIGALGS("\x00\x02\x04\x03"),
	    EXT_END }, TLS_E_MALFORMED, 0 },
};

static void
test_ecdsa(void **state)
{
	const struct ecdsa_case *c = *state;
	struct hb *hb = malloc(sizeof(*hb));
	struct tls_hello h;
	size_t k;

	assert_non_null(hb);
	hello_make(hb, c->ext, 0, (const uint8_t *)c->ciphers, c->clen);
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h), c->rc);
	assert_int_equal(h.ecdsa, c->ecdsa);
	/* Every prefix: INCOMPLETE, never a wrong answer. */
	for (k = 0; c->rc == TLS_OK && k < hb->n; k++)
		assert_int_equal(tls_hello_parse(hb->b, k, MAX, &h),
		    TLS_INCOMPLETE);
	free(hb);
}

/* The first bytes of a stream, and a broken record layer or body: the
 * answer after n bytes. */
struct raw_case {
	const char *name;
	const char *bytes;
	size_t      len;
	size_t      n;		/* bytes given (<= len) */
	int         rc;
	const char *why;	/* NULL: not checked */
};

#define RAW(s)	(s), sizeof(s) - 1

static const struct raw_case raw_cases[] = {
	{ "nothing yet", RAW(""), 0, TLS_INCOMPLETE, NULL },
	{ "http after 1 byte", RAW("GET / HTTP/1.1\r\n"), 1, TLS_NOT_TLS,
	  "not a TLS record" },
	{ "ssh banner", RAW("SSH-2.0-OpenSSH_9.2\r\n"), 1, TLS_NOT_TLS,
	  NULL },
	{ "one handshake byte", RAW("\x16"), 1, TLS_INCOMPLETE, NULL },
	{ "record version 2.0", RAW("\x16\x02\x00"), 2, TLS_NOT_TLS,
	  "not a TLS record version" },
	{ "alert record", RAW("\x15\x03\x03\x00\x02\x02\x28"), 1,
	  TLS_NOT_TLS, NULL },
	{ "sslv2 hello 1 byte", RAW("\x80\x2e\x01\x03\x01"), 1,
	  TLS_INCOMPLETE, NULL },
	{ "sslv2 hello 2 bytes", RAW("\x80\x2e\x01\x03\x01"), 2,
	  TLS_INCOMPLETE, NULL },
	{ "sslv2 hello", RAW("\x80\x2e\x01\x03\x01\x00\x15"), 3,
	  TLS_E_MALFORMED, "SSLv2 hello" },
	{ "sslv2 long header", RAW("\x81\x02\x01\x03\x01"), 5,
	  TLS_E_MALFORMED, "SSLv2 hello" },
	{ "high bit not sslv2", RAW("\x80\x2e\x04"), 3, TLS_NOT_TLS, NULL },
	{ "empty record", RAW("\x16\x03\x01\x00\x00\x01"), 6,
	  TLS_E_MALFORMED, "empty handshake record" },
	{ "record over 16384", RAW("\x16\x03\x01\x40\x01\x01"), 6,
	  TLS_E_MALFORMED, "record longer than 16384 bytes" },
	{ "server hello first", RAW("\x16\x03\x03\x00\x04\x02\x00\x00\x00"),
	  9, TLS_E_MALFORMED, "not a ClientHello" },
	{ "header only", RAW("\x16\x03\x01\x00\x30\x01\x00\x00\x2c"), 9,
	  TLS_INCOMPLETE, NULL },
	{ "empty body", RAW("\x16\x03\x01\x00\x04\x01\x00\x00\x00"), 9,
	  TLS_E_MALFORMED, "length past the end of its field" },
	{ "client version 2.0",
	  RAW("\x16\x03\x01\x00\x06\x01\x00\x00\x02\x02\x00"), 11,
	  TLS_E_MALFORMED, "bad client version" },
	/* The message continues in a ChangeCipherSpec record. */
	{ "other record inside",
	  RAW("\x16\x03\x01\x00\x03\x01\x00\x00\x14\x03\x03\x00\x01\x01"),
	  14, TLS_E_MALFORMED, "handshake message cut by another record" },
	{ "second record version 2",
	  RAW("\x16\x03\x01\x00\x03\x01\x00\x00\x16\x02\x03\x00\x01\x01"),
	  14, TLS_E_MALFORMED, "bad record version" },
};

static void
test_raw(void **state)
{
	const struct raw_case *c = *state;
	struct tls_hello h;
	uint8_t *p = tls_data_exact((const uint8_t *)c->bytes, c->n);
	int rc;

	rc = tls_hello_parse(p, c->n, MAX, &h);
	free(p);
	assert_int_equal(rc, c->rc);
	if (c->why != NULL) {
		assert_non_null(h.why);
		assert_string_equal(h.why, c->why);
	}
	assert_int_equal(h.len, 0);
}

/* Body fields: a session id of 33 bytes, odd or empty cipher lists, no
 * compression method, extensions past the end of the hello. */
static void
test_body_errors(void **state)
{
	struct hb *hb = malloc(sizeof(*hb));
	struct tls_hello h;
	static const struct ext one[] = { EXT(0x1234, "ab"), EXT_END };

	(void)state;
	assert_non_null(hb);
	hello_make(hb, NULL, 0, NULL, 0);
	hb->b[43] = 33;		/* session id length */
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h),
	    TLS_E_MALFORMED);
	assert_string_equal(h.why, "session id longer than 32 bytes");

	hello_make(hb, NULL, 0, (const uint8_t *)"\x13\x01\x13", 3);
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h),
	    TLS_E_MALFORMED);
	assert_string_equal(h.why, "bad cipher suites length");
	hello_make(hb, NULL, 0, (const uint8_t *)"", 0);
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h),
	    TLS_E_MALFORMED);

	hello_make(hb, NULL, 1, NULL, 0);
	hb->b[hb->n - 2] = 0;	/* compression methods: none */
	assert_int_equal(tls_hello_parse(hb->b, hb->n - 1, MAX, &h),
	    TLS_E_MALFORMED);

	/* The extension says 3 bytes, 2 follow; the block says 7. */
	hello_make(hb, one, 0, NULL, 0);
	hb->b[hb->n - 3] = 3;
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h),
	    TLS_E_MALFORMED);
	assert_string_equal(h.why, "extension past the end of the hello");
	/* The block says one byte more than the message has. */
	hello_make(hb, one, 0, NULL, 0);
	hb->b[hb->n - 7]++;
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h),
	    TLS_E_MALFORMED);
	assert_string_equal(h.why, "bad extensions length");
	free(hb);
}

/* Lists longer than the struct keeps: 200 cipher suites (128 kept), 100
 * extensions (64 kept), 257 extensions (refused: duplicates cannot be
 * checked beyond 256). A 20 KiB hello in two records. */
static void
test_limits(void **state)
{
	static struct ext many[300];
	static uint8_t ciphers[400];
	struct hb *hb = malloc(sizeof(*hb));
	struct tls_hello h;
	size_t i, m;

	(void)state;
	assert_non_null(hb);
	for (i = 0; i < 200; i++) {
		ciphers[2 * i] = 0xc0;
		ciphers[2 * i + 1] = (uint8_t)i;
	}
	hello_make(hb, NULL, 0, ciphers, 400);
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h), TLS_OK);
	assert_int_equal(h.nciphers, TLS_MAX_CIPHERS);
	assert_int_equal(h.ciphers[127], 0xc07f);

	for (i = 0; i < 257; i++) {
		many[i].type = (int)(0x1000 + i);
		many[i].data = "";
		many[i].len = 0;
	}
	many[100].type = -1;
	hello_make(hb, many, 0, NULL, 0);
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h), TLS_OK);
	assert_int_equal(h.nexts, TLS_MAX_EXTS);
	assert_int_equal(h.exts[63], 0x1000 + 63);
	many[100].type = 0x1000 + 100;
	many[257].type = -1;
	hello_make(hb, many, 0, NULL, 0);
	assert_int_equal(tls_hello_parse(hb->b, hb->n, MAX, &h),
	    TLS_E_MALFORMED);
	assert_string_equal(h.why, "more than 256 extensions");

	/* 20,000 bytes of padding (RFC 7685): over one record's 16384. */
	many[0].type = 0x0015;
	many[0].data = (const char *)hb->b + 40000;
	memset(hb->b + 40000, 0, 20000);
	many[0].len = 20000;
	many[1].type = -1;
	hello_make(hb, many, 0, NULL, 0);
	m = tls_data_reframe(hb->b, hb->n, 16384, frame, sizeof(frame));
	assert_int_equal(tls_hello_parse(frame, m, 16384, &h),
	    TLS_E_TOO_LONG);
	assert_int_equal(tls_hello_parse(frame, m, 65536, &h), TLS_OK);
	assert_int_equal(h.nrecords, 2);
	assert_int_equal(h.len, m);
	assert_int_equal(tls_hello_parse(frame, m - 1, 65536, &h),
	    TLS_INCOMPLETE);
	free(hb);
}

/* Bytes after the hello in the record that ends it (no client sends
 * that; the record is still what the hello's bytes end with): the hello
 * is complete when that whole record is in. */
static void
test_trailing_bytes(void **state)
{
	static const struct cap_case curl = { .name = "curl" };
	struct tls_hello whole, h;
	size_t n = cap_load(&curl), rl;

	(void)state;
	assert_int_equal(tls_hello_parse(data, n, MAX, &whole), TLS_OK);
	rl = (size_t)(data[3] << 8 | data[4]) + 10;
	data[3] = (uint8_t)(rl >> 8);
	data[4] = (uint8_t)rl;
	memset(data + n, 0xee, 10);
	assert_int_equal(tls_hello_parse(data, n, MAX, &h), TLS_INCOMPLETE);
	assert_int_equal(tls_hello_parse(data, n + 9, MAX, &h),
	    TLS_INCOMPLETE);
	assert_int_equal(tls_hello_parse(data, n + 10, MAX, &h), TLS_OK);
	assert_int_equal(h.len, n + 10);
	hello_same(&whole, &h);
}

/* Texts for the access log and cache.log. */
static void
test_texts(void **state)
{
	(void)state;
	assert_string_equal(tls_version_str(TLS_V_1_3), "TLS/1.3");
	assert_string_equal(tls_version_str(TLS_V_1_2), "TLS/1.2");
	assert_string_equal(tls_version_str(TLS_V_1_1), "TLS/1.1");
	assert_string_equal(tls_version_str(TLS_V_1_0), "TLS/1.0");
	assert_string_equal(tls_version_str(TLS_V_SSL3), "SSL/3.0");
	assert_string_equal(tls_version_str(0), "-");
	assert_string_equal(tls_version_str(0x7f1c), "-");
	assert_string_equal(tls_strerror(TLS_NOT_TLS), "not a TLS handshake");
	assert_string_equal(tls_strerror(TLS_E_MALFORMED),
	    "malformed TLS handshake");
	assert_string_equal(tls_strerror(TLS_E_TOO_LONG),
	    "TLS handshake message too long");
	assert_string_equal(tls_strerror(TLS_E_ALERT),
	    "TLS alert from the server");
	assert_string_equal(tls_strerror(-77), "unknown TLS reader result");
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_body_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_texts),
	};
	int failed = 0;

	sni_names_init();
	failed += RUN_TABLE("hello: recorded", test_capture, cap_cases);
	failed += RUN_TABLE("hello: split", test_capture_split, cap_cases);
	failed += RUN_TABLE("hello: re-framed", test_capture_reframe,
			    cap_cases);
	failed += RUN_TABLE("hello: size limit", test_capture_max, cap_cases);
	failed += RUN_TABLE("hello: truncated", test_capture_truncated,
			    cap_cases);
	failed += RUN_TABLE("hello: server_name", test_sni, sni_cases);
	failed += RUN_TABLE("hello: crafted", test_craft, craft_cases);
	failed += RUN_TABLE("hello: ECDSA", test_ecdsa, ecdsa_cases);
	failed += RUN_TABLE("hello: first bytes", test_raw, raw_cases);
	failed += cmocka_run_group_tests_name("hello: misc", misc, NULL,
					      NULL);
	return failed ? 1 : 0;
}
