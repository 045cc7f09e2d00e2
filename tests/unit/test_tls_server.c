/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tls_server.c - unit tests of the server first-flight reader
 * (src/tls/server.c) and of the certificate names and checks
 * (src/tls/cert.c).
 *
 * The flights are real: tests/data/tls/server-*.bin are what `openssl
 * s_server` answered to recorded hellos (scripts/tls-capture.py): TLS 1.2
 * with a chain (leaf + CA), with ALPN, in 512-byte records, with an
 * expired and a self-signed certificate; TLS 1.3; a HelloRetryRequest; an
 * alert. The certificates are checked against the capture's own CA
 * (tests/data/tls/ca.pem) and the PEM files of the certificates served.
 * Table-driven: each row is its own cmocka test, named after the row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls/tls.h"
#include "tls_data.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX		65536

static uint8_t data[TLS_DATA_MAX];
static uint8_t frame[4 * TLS_DATA_MAX];

/* Recorded server flights and what each must give. */
struct flight_case {
	const char *name;	/* tests/data/tls/server-NAME.bin */
	int         rc;
	uint16_t    version;
	uint16_t    cipher;	/* 0: not checked */
	const char *alpn;
	unsigned    hello_retry;
	unsigned    has_certs;
	unsigned    ncerts;
	unsigned    partial;
	const char *leaf_pem;	/* the certificate served, NULL: none */
	uint8_t     alert_desc;
};

static const struct flight_case flight_cases[] = {
	{ "tls12", TLS_OK, TLS_V_1_2, 0xc02c, "", 0, 1, 2, 0, "leaf.pem",
	  0 },
	{ "tls12-alpn", TLS_OK, TLS_V_1_2, 0, "h2", 0, 1, 2, 0, "leaf.pem",
	  0 },
	/* 512-byte records: the leaf fits in the first record of the
	 * Certificate message, the CA is split over two */
	{ "tls12-frag", TLS_OK, TLS_V_1_2, 0, "", 0, 1, 1, 1, "leaf.pem",
	  0 },
	{ "tls12-expired", TLS_OK, TLS_V_1_2, 0, "", 0, 1, 2, 0,
	  "expired.pem", 0 },
	{ "tls12-self", TLS_OK, TLS_V_1_2, 0, "", 0, 1, 1, 0, "self.pem",
	  0 },
	/* 1.3: the ServerHello only, everything after it is encrypted */
	{ "tls13", TLS_OK, TLS_V_1_3, 0x1302, "", 0, 0, 0, 0, NULL, 0 },
	{ "hrr", TLS_OK, TLS_V_1_3, 0x1302, "", 1, 0, 0, 0, NULL, 0 },
	/* fatal protocol_version (70): the client offered TLS 1.2 only */
	{ "alert", TLS_E_ALERT, 0, 0, "", 0, 0, 0, 0, NULL, 70 },
};

static size_t
flight_load(const struct flight_case *c)
{
	char fn[128];

	snprintf(fn, sizeof(fn), "server-%s.bin", c->name);
	return tls_data_load(fn, data, sizeof(data));
}

/* The DER bytes of a PEM certificate of tests/data/tls/ (the test fails
 * when it cannot be read). */
static size_t
pem_der(const char *name, uint8_t *out, size_t cap)
{
	static uint8_t pem[16384];
	unsigned char *d = NULL;
	X509 *x;
	BIO *bio;
	size_t n;
	int len;

	n = tls_data_load(name, pem, sizeof(pem));
	bio = BIO_new_mem_buf(pem, (int)n);
	assert_non_null(bio);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(x);
	len = i2d_X509(x, &d);
	X509_free(x);
	assert_true(len > 0 && (size_t)len <= cap);
	memcpy(out, d, (size_t)len);
	OPENSSL_free(d);
	return (size_t)len;
}

static void
server_same(const struct tls_server *a, const struct tls_server *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->cipher, b->cipher);
	assert_string_equal(a->alpn, b->alpn);
	assert_int_equal(a->hello_retry, b->hello_retry);
	assert_int_equal(a->has_certs, b->has_certs);
	assert_int_equal(a->alert_level, b->alert_level);
	assert_int_equal(a->alert_desc, b->alert_desc);
}

/* The whole flight: what it says, and the leaf where it is in the buffer
 * (byte for byte the DER of the PEM file the server was given). */
static void
test_flight(void **state)
{
	const struct flight_case *c = *state;
	static uint8_t der[8192];
	struct tls_server s;
	size_t n = flight_load(c), dl;
	uint8_t *p = tls_data_exact(data, n);
	unsigned i;

	assert_int_equal(tls_server_parse(p, n, MAX, &s), c->rc);
	free(p);
	if (c->rc == TLS_E_ALERT) {
		assert_int_equal(s.alert_level, 2);
		assert_int_equal(s.alert_desc, c->alert_desc);
		return;
	}
	assert_null(s.why);
	assert_int_equal(s.version, c->version);
	if (c->cipher != 0)
		assert_int_equal(s.cipher, c->cipher);
	assert_string_equal(s.alpn, c->alpn);
	assert_int_equal(s.hello_retry, c->hello_retry);
	assert_int_equal(s.has_certs, c->has_certs);
	assert_int_equal(s.ncerts, c->ncerts);
	assert_int_equal(s.certs_partial, c->partial);
	assert_true(s.len > 0 && s.len < n);
	if (c->version == TLS_V_1_3) {
		/* The ServerHello fills the first record exactly. */
		assert_int_equal(s.len, 5 + (data[3] << 8 | data[4]));
		/* ... and a ChangeCipherSpec record follows. */
		assert_int_equal(data[s.len], 20);
	}
	for (i = 0; i < s.ncerts; i++) {
		assert_true(s.cert[i].off + s.cert[i].len <= s.len);
		assert_int_equal(data[s.cert[i].off], 0x30);	/* SEQUENCE */
	}
	if (c->leaf_pem != NULL) {
		dl = pem_der(c->leaf_pem, der, sizeof(der));
		assert_int_equal(s.cert[0].len, dl);
		assert_memory_equal(data + s.cert[0].off, der, dl);
	}
	if (c->ncerts == 2 && !c->partial) {
		dl = pem_der("ca.pem", der, sizeof(der));
		assert_int_equal(s.cert[1].len, dl);
		assert_memory_equal(data + s.cert[1].off, der, dl);
	}
}

/* The shortest prefix that gives the answer: every shorter one is
 * TLS_INCOMPLETE, every longer one gives the same. */
static void
test_flight_split(void **state)
{
	const struct flight_case *c = *state;
	struct tls_server whole, s;
	size_t n = flight_load(c), k;
	uint8_t *p;
	int rc, done = 0;

	assert_int_equal(tls_server_parse(data, n, MAX, &whole), c->rc);
	for (k = 0; k <= n; k++) {
		p = tls_data_exact(data, k);
		rc = tls_server_parse(p, k, MAX, &s);
		free(p);
		if (!done && rc == TLS_INCOMPLETE)
			continue;
		done = 1;
		assert_int_equal(rc, c->rc);
		server_same(&whole, &s);
		assert_int_equal(s.len, whole.len);
		assert_int_equal(s.ncerts, whole.ncerts);
	}
	assert_true(done);
}

/* The handshake records re-framed into records of k bytes: the same
 * answer; certificates are kept while they are contiguous. */
static void
test_flight_reframe(void **state)
{
	const struct flight_case *c = *state;
	struct tls_server whole, s;
	size_t n = flight_load(c), k, m;

	if (c->rc != TLS_OK)
		return;
	assert_int_equal(tls_server_parse(data, n, MAX, &whole), TLS_OK);
	for (k = 1; k <= 1200; k++) {
		m = tls_data_reframe(data, n, k, frame, sizeof(frame));
		assert_int_equal(tls_server_parse(frame, m, 4 * MAX, &s),
		    TLS_OK);
		server_same(&whole, &s);
		/* One record for the whole stream: every certificate is
		 * contiguous again, even those of tls12-frag. */
		if (k == 1200)
			assert_int_equal(s.ncerts, whole.ncerts +
			    (c->partial ? 1 : 0));
		if (k == 1 && c->has_certs) {
			assert_int_equal(s.ncerts, 0);
			assert_int_equal(s.certs_partial, 1);
		}
	}
}

/* Names of the served certificates: SANs (DNS, then IP as text) and the
 * subject CN, lowercase, each once. */
struct names_case {
	const char *name;	/* PEM file */
	int         n;
	const char *names[6];
};

static const struct names_case names_cases[] = {
	{ "leaf.pem", 4, { "www.example.com", "*.example.org", "127.0.0.1",
	  "2001:db8::1" } },
	{ "expired.pem", 4, { "www.example.com", "*.example.org",
	  "127.0.0.1", "2001:db8::1" } },
	{ "self.pem", 1, { "self.example.net" } },
	/* "tproxyd test CA" is no host name (blanks): left out */
	{ "ca.pem", 0, { NULL } },
};

static void
test_names(void **state)
{
	const struct names_case *c = *state;
	static uint8_t der[8192];
	char out[8][TLS_SNI_MAX];
	size_t dl = pem_der(c->name, der, sizeof(der));
	int i, n;

	n = tls_cert_names(der, dl, out, 8);
	assert_int_equal(n, c->n);
	for (i = 0; i < n; i++)
		assert_string_equal(out[i], c->names[i]);
	/* Room for two: the first two. */
	n = tls_cert_names(der, dl, out, 2);
	assert_int_equal(n, c->n < 2 ? c->n : 2);
	/* Not a certificate: cut, with a byte more, garbage. */
	assert_int_equal(tls_cert_names(der, dl - 1, out, 8), -1);
	der[dl] = 0;
	assert_int_equal(tls_cert_names(der, dl + 1, out, 8), -1);
	assert_int_equal(tls_cert_names((const uint8_t *)"hello", 5, out, 8),
	    -1);
	assert_int_equal(tls_cert_names(der, 0, out, 8), -1);
}

/* Validation of the served chains as a client would do it, for a name. */
struct verify_case {
	const char *name;	/* row name */
	const char *flight;	/* server-FLIGHT.bin */
	const char *host;
	int         use_ca;	/* tests/data/tls/ca.pem, else the system's */
	int         n;
	const char *err[3];
};

static const struct verify_case verify_cases[] = {
	{ "valid", "tls12", "www.example.com", 1, 0, { NULL } },
	{ "valid, host in capitals", "tls12", "WWW.EXAMPLE.COM", 1, 0,
	  { NULL } },
	{ "valid, wildcard", "tls12", "a.example.org", 1, 0, { NULL } },
	{ "valid, ip address", "tls12", "127.0.0.1", 1, 0, { NULL } },
	{ "valid, ipv6 address", "tls12", "2001:db8::1", 1, 0, { NULL } },
	{ "valid, no host", "tls12", NULL, 1, 0, { NULL } },
	{ "wildcard is one label", "tls12", "a.b.example.org", 1, 1,
	  { "SQUID_X509_V_ERR_DOMAIN_MISMATCH" } },
	{ "other host", "tls12", "www.example.net", 1, 1,
	  { "SQUID_X509_V_ERR_DOMAIN_MISMATCH" } },
	{ "other ip", "tls12", "127.0.0.2", 1, 1,
	  { "SQUID_X509_V_ERR_DOMAIN_MISMATCH" } },
	/* The server sends its CA: known to nobody but the test. */
	{ "system store", "tls12", "www.example.com", 0, 1,
	  { "X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN" } },
	{ "expired", "tls12-expired", "www.example.com", 1, 1,
	  { "X509_V_ERR_CERT_HAS_EXPIRED" } },
	{ "expired, other host", "tls12-expired", "x.example.net", 1, 2,
	  { "X509_V_ERR_CERT_HAS_EXPIRED",
	    "SQUID_X509_V_ERR_DOMAIN_MISMATCH" } },
	{ "self-signed", "tls12-self", "self.example.net", 1, 1,
	  { "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT" } },
	/* The CA's certificate was cut out (split over records): the
	 * leaf alone, its issuer only in ca.pem. */
	{ "chain without the ca", "tls12-frag", "www.example.com", 1, 0,
	  { NULL } },
	{ "chain without the ca, system store", "tls12-frag",
	  "www.example.com", 0, 2,
	  { "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
	    "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE" } },
};

static void
test_verify(void **state)
{
	const struct verify_case *c = *state;
	struct flight_case fc = { .name = c->flight };
	const char *err[8];
	struct tls_server s;
	char ca[512];
	const char *dir = getenv("TLS_DATA");
	size_t n = flight_load(&fc);
	int i, rc;

	snprintf(ca, sizeof(ca), "%s/ca.pem", dir ? dir : "tests/data/tls");
	assert_int_equal(tls_server_parse(data, n, MAX, &s), TLS_OK);
	assert_true(s.ncerts > 0);
	rc = tls_cert_verify(data, s.cert, s.ncerts, c->host,
	    c->use_ca ? ca : NULL, err, 8);
	assert_int_equal(rc, c->n);
	for (i = 0; i < rc; i++)
		assert_string_equal(err[i], c->err[i]);
	/* Twice: the cached store gives the same. */
	assert_int_equal(tls_cert_verify(data, s.cert, s.ncerts, c->host,
	    c->use_ca ? ca : NULL, err, 8), c->n);
	/* Room for one error: one. */
	if (c->n > 1)
		assert_int_equal(tls_cert_verify(data, s.cert, s.ncerts,
		    c->host, c->use_ca ? ca : NULL, err, 1), 1);
}

/* What cannot be checked: -1. */
static void
test_verify_cannot(void **state)
{
	struct tls_cert_ref bad = { 0, 5 };
	const char *err[4];
	struct tls_server s;
	size_t n;
	struct flight_case fc = { .name = "tls12" };

	(void)state;
	n = flight_load(&fc);
	assert_int_equal(tls_server_parse(data, n, MAX, &s), TLS_OK);
	assert_int_equal(tls_cert_verify(data, s.cert, 0, "x", NULL, err, 4),
	    -1);
	assert_int_equal(tls_cert_verify(data, s.cert, s.ncerts, "x",
	    "/nonexistent/ca.pem", err, 4), -1);
	assert_int_equal(tls_cert_verify((const uint8_t *)"hello", &bad, 1,
	    "x", NULL, err, 4), -1);
	assert_int_equal(tls_cert_verify(data, s.cert, s.ncerts, "x", NULL,
	    err, 0), -1);
}

/* Broken or other first bytes from a server. */
struct raw_case {
	const char *name;
	const char *bytes;
	size_t      n;
	int         rc;
	const char *why;
};

#define RAW(s)	(s), sizeof(s) - 1
/* A TLS 1.2 ServerHello record: version 3.3, random, no session id,
 * cipher 0xC02F, null compression, then what follows SH_TAIL. */
#define SH_HEAD(reclen, msglen) "\x16\x03\x03\x00" reclen "\x02\x00\x00" \
	msglen "\x03\x03" "0123456789abcdef0123456789abcdef" "\x00\xc0\x2f\x00"

static const struct raw_case raw_cases[] = {
	{ "nothing yet", RAW(""), TLS_INCOMPLETE, NULL },
	{ "http response", RAW("HTTP/1.1 400 Bad Request\r\n"), TLS_NOT_TLS,
	  "not a TLS record" },
	{ "alert 1 byte", RAW("\x15"), TLS_INCOMPLETE, NULL },
	{ "alert not tls", RAW("\x15\x02"), TLS_NOT_TLS, NULL },
	{ "alert 6 bytes", RAW("\x15\x03\x03\x00\x02\x02"), TLS_INCOMPLETE,
	  NULL },
	{ "alert wrong length", RAW("\x15\x03\x03\x00\x03\x02\x28\x00"),
	  TLS_E_MALFORMED, "bad alert length" },
	{ "client hello", RAW("\x16\x03\x01\x00\x04\x01\x00\x00\x00"),
	  TLS_E_MALFORMED, "not a ServerHello" },
	/* 38 bytes of ServerHello body, no extensions */
	{ "tls 1.2 hello, then a change cipher spec (resumed)",
	  RAW(SH_HEAD("\x2a", "\x26") "\x14\x03\x03\x00\x01\x01"), TLS_OK,
	  NULL },
	{ "tls 1.2 hello, then server hello done (no certificate)",
	  RAW(SH_HEAD("\x2e", "\x26") "\x0e\x00\x00\x00"), TLS_OK, NULL },
	{ "tls 1.2 hello, then a hello request and server hello done",
	  RAW(SH_HEAD("\x32", "\x26") "\x00\x00\x00\x00\x0e\x00\x00\x00"),
	  TLS_OK, NULL },
	{ "tls 1.2 hello, then finished", RAW(SH_HEAD("\x2e", "\x26")
	  "\x14\x00\x00\x00"), TLS_E_MALFORMED,
	  "unexpected handshake message" },
	{ "tls 1.2 hello, then application data", RAW(SH_HEAD("\x2a", "\x26")
	  "\x17\x03\x03\x00\x01\x00"), TLS_E_MALFORMED,
	  "unexpected record type" },
	{ "tls 1.2 hello, then an alert", RAW(SH_HEAD("\x2a", "\x26")
	  "\x15\x03\x03\x00\x02\x02\x28"), TLS_E_ALERT, NULL },
	{ "tls 1.2 hello, more to come", RAW(SH_HEAD("\x2a", "\x26")),
	  TLS_INCOMPLETE, NULL },
	{ "empty certificate", RAW(SH_HEAD("\x34", "\x26")
	  "\x0b\x00\x00\x06\x00\x00\x03\x00\x00\x00"), TLS_E_MALFORMED,
	  "empty certificate" },
	{ "certificate list too long", RAW(SH_HEAD("\x34", "\x26")
	  "\x0b\x00\x00\x06\x00\x00\x04\x00\x00\x01"), TLS_E_MALFORMED,
	  "bad certificate list length" },
	{ "certificate past the list", RAW(SH_HEAD("\x34", "\x26")
	  "\x0b\x00\x00\x06\x00\x00\x03\x00\x00\x05"), TLS_E_MALFORMED,
	  "certificate past the end of the message" },
	{ "no certificates", RAW(SH_HEAD("\x31", "\x26")
	  "\x0b\x00\x00\x03\x00\x00\x00"), TLS_OK, NULL },
	{ "session id of 33", RAW("\x16\x03\x03\x00\x2a\x02\x00\x00\x26"
	  "\x03\x03" "0123456789abcdef0123456789abcdef" "\x21"),
	  TLS_E_MALFORMED, "session id longer than 32 bytes" },
	{ "server version 2.0", RAW("\x16\x03\x03\x00\x2a\x02\x00\x00\x26"
	  "\x02\x00"), TLS_E_MALFORMED, "bad server version" },
	{ "two supported_versions", RAW("\x16\x03\x03\x00\x38\x02\x00\x00"
	  "\x34\x03\x03" "0123456789abcdef0123456789abcdef" "\x00\x13\x01"
	  "\x00\x00\x0c\x00\x2b\x00\x02\x03\x04\x00\x2b\x00\x02\x03\x04"),
	  TLS_E_MALFORMED, "duplicate extension" },
	{ "supported_versions of 3 bytes", RAW("\x16\x03\x03\x00\x33\x02"
	  "\x00\x00\x2f\x03\x03" "0123456789abcdef0123456789abcdef"
	  "\x00\x13\x01\x00\x00\x07\x00\x2b\x00\x03\x03\x04\x00"),
	  TLS_E_MALFORMED, "bad supported_versions length" },
	{ "alpn with two names", RAW("\x16\x03\x03\x00\x37\x02\x00\x00\x33"
	  "\x03\x03" "0123456789abcdef0123456789abcdef" "\x00\xc0\x2f\x00"
	  "\x00\x0b\x00\x10\x00\x07\x00\x05\x02h2\x02h3"), TLS_E_MALFORMED,
	  "bad ALPN in ServerHello" },
};

static void
test_raw(void **state)
{
	const struct raw_case *c = *state;
	struct tls_server s;
	uint8_t *p = tls_data_exact((const uint8_t *)c->bytes, c->n);
	int rc;

	rc = tls_server_parse(p, c->n, MAX, &s);
	free(p);
	assert_int_equal(rc, c->rc);
	if (c->why != NULL) {
		assert_non_null(s.why);
		assert_string_equal(s.why, c->why);
	}
	if (rc == TLS_OK) {
		assert_int_equal(s.version, TLS_V_1_2);
		assert_int_equal(s.cipher, 0xc02f);
		assert_int_equal(s.ncerts, 0);
	}
	if (rc == TLS_E_ALERT)
		assert_int_equal(s.alert_desc, 40);
}

/* The ServerHello of the TLS 1.3 flight cut at every length: malformed
 * everywhere but at the end of the compression method (no extensions:
 * then it reads as a TLS 1.2 hello waiting for more). */
static void
test_truncated(void **state)
{
	struct flight_case fc = { .name = "tls13" };
	struct tls_server s;
	size_t len, l, comp_end;
	int rc;

	(void)state;
	flight_load(&fc);
	len = (size_t)data[6] << 16 | data[7] << 8 | data[8];
	comp_end = 34 + 1 + data[9 + 34] + 3;
	for (l = 0; l < len; l++) {
		memcpy(frame, data, 9 + l);
		frame[3] = (uint8_t)((4 + l) >> 8);
		frame[4] = (uint8_t)(4 + l);
		frame[6] = (uint8_t)(l >> 16);
		frame[7] = (uint8_t)(l >> 8);
		frame[8] = (uint8_t)l;
		rc = tls_server_parse(frame, 9 + l, MAX, &s);
		if (l == comp_end)
			assert_int_equal(rc, TLS_INCOMPLETE);
		else if (rc != TLS_E_MALFORMED)
			fail_msg("cut at %zu: %d", l, rc);
	}
}

/* Size limit: the TLS 1.2 flight needs its Certificate message. */
static void
test_max(void **state)
{
	struct flight_case fc = { .name = "tls12" };
	struct tls_server s;
	size_t n;

	(void)state;
	n = flight_load(&fc);
	assert_int_equal(tls_server_parse(data, n, MAX, &s), TLS_OK);
	/* Through the end of the Certificate's record: enough. */
	assert_int_equal(tls_server_parse(data, n, s.len, &s), TLS_OK);
	assert_int_equal(tls_server_parse(data, n, s.len - 1, &s),
	    TLS_E_TOO_LONG);
	assert_int_equal(tls_server_parse(data, n, 20, &s), TLS_E_TOO_LONG);
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_verify_cannot),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_max),
	};
	int failed = 0;

	failed += RUN_TABLE("server: recorded", test_flight, flight_cases);
	failed += RUN_TABLE("server: split", test_flight_split, flight_cases);
	failed += RUN_TABLE("server: re-framed", test_flight_reframe,
			    flight_cases);
	failed += RUN_TABLE("server: first bytes", test_raw, raw_cases);
	failed += RUN_TABLE("cert: names", test_names, names_cases);
	failed += RUN_TABLE("cert: verify", test_verify, verify_cases);
	failed += cmocka_run_group_tests_name("server: misc", misc, NULL,
					      NULL);
	return failed ? 1 : 0;
}
