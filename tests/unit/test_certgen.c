/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_certgen.c - unit tests of the bumping certificates
 * (src/tls/certgen.c, src/tls/certcache.c).
 *
 * The CA and the "real servers'" certificates are made here with
 * OpenSSL, in a temporary directory. Every leaf is checked as a TLS
 * client would: X509_verify_cert against the CA alone as trust anchor,
 * for the SSL server purpose, with the host name (or address) checked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <fcntl.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "tls/certgen.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define DAY		86400L

static char tmpdir[64];

/* tmpdir/name */
static const char *
tpath(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

/* ---- certificates made for the tests ---- */

static void
ext_add(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509_EXTENSION *e;
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/*
 * A certificate: subject CN=cn (NULL: an empty subject), valid from
 * now + nb to now + na seconds, the extensions given (NULL: none),
 * signed by ikey/issuer (NULL: self-signed with key).
 */
static X509 *
cert_make(EVP_PKEY *key, const char *cn, long nb, long na, const char *bc,
	  const char *ku, const char *san, X509 *issuer, EVP_PKEY *ikey)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	static long serial = 1000;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	X509_time_adj_ex(X509_getm_notBefore(x), 0, nb, NULL);
	X509_time_adj_ex(X509_getm_notAfter(x), 0, na, NULL);
	X509_set_pubkey(x, key);
	if (bc)
		ext_add(x, issuer ? issuer : x, NID_basic_constraints, bc);
	if (ku)
		ext_add(x, issuer ? issuer : x, NID_key_usage, ku);
	ext_add(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	if (san)
		ext_add(x, issuer ? issuer : x, NID_subject_alt_name, san);
	assert_true(X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0);
	return x;
}

static void
pem_write(const char *path, X509 *x, EVP_PKEY *k, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	if (x)
		assert_true(PEM_write_X509(f, x));
	if (k)
		assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL,
		    NULL));
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* The test CA: "Test CA", valid from a day ago for 30 days. */
static X509 *ca_x509;
static EVP_PKEY *ca_key;
static struct tls_ca *ca;

/* The DER of a server certificate (self-signed: its issuer does not
 * matter to mimicking). */
static uint8_t *
srv_der(const char *cn, const char *san, long nb, long na, size_t *len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = cert_make(k, cn, nb, na, "critical,CA:FALSE",
	    "digitalSignature", san, NULL, NULL);
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);

	assert_true(n > 0);
	*len = (size_t)n;
	X509_free(x);
	EVP_PKEY_free(k);
	return der;
}

/* ---- checking a leaf as a client would ---- */

/* X509_verify_cert of l against anchor for host (a name or an address):
 * the X509_V_* result. */
static int
verify(const struct tls_leaf *l, X509 *anchor, const char *host)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int rc;

	X509_STORE_add_cert(st, anchor);
	assert_int_equal(X509_STORE_CTX_init(ctx, st, tls_leaf_x509(l),
	    tls_leaf_chain(l)), 1);
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
	if (host != NULL && X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1) {
		ERR_clear_error();
		X509_VERIFY_PARAM_set1_host(vp, host, 0);
	}
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK :
	    X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ERR_clear_error();
	return rc;
}

/* The SANs of x as "DNS:a,IP:1.2.3.4". */
static void
sans_text(X509 *x, char *out, size_t len)
{
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	const GENERAL_NAME *n;
	const unsigned char *ip;
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; g != NULL && i < sk_GENERAL_NAME_num(g); i++) {
		n = sk_GENERAL_NAME_value(g, i);
		if (n->type == GEN_DNS) {
			used += (size_t)snprintf(out + used, len - used,
			    "%sDNS:%s", i ? "," : "",
			    (const char *)ASN1_STRING_get0_data(n->d.dNSName));
		} else if (n->type == GEN_IPADD &&
		    ASN1_STRING_length(n->d.iPAddress) == 4) {
			ip = ASN1_STRING_get0_data(n->d.iPAddress);
			used += (size_t)snprintf(out + used, len - used,
			    "%sIP:%u.%u.%u.%u", i ? "," : "", ip[0], ip[1],
			    ip[2], ip[3]);
		} else {
			used += (size_t)snprintf(out + used, len - used,
			    "%s?", i ? "," : "");
		}
	}
	GENERAL_NAMES_free(g);
}

/* The subject's CN of x, "" when none. */
static void
cn_text(const X509_NAME *n, char *out, size_t len)
{
	out[0] = '\0';
	if (X509_NAME_get_text_by_NID(n, NID_commonName, out, (int)len) < 0)
		out[0] = '\0';
}

/* seconds from now to t */
static long
from_now(const ASN1_TIME *t)
{
	int day, sec;

	assert_int_equal(ASN1_TIME_diff(&day, &sec, NULL, t), 1);
	return day * DAY + sec;
}

/* What every leaf is, whatever was asked. */
static void
leaf_common(X509 *x, int rsa)
{
	const ASN1_INTEGER *s = X509_get0_serialNumber(x);
	uint32_t kf = X509_get_key_usage(x);
	EVP_PKEY *pk = X509_get0_pubkey(x);

	assert_int_equal(X509_get_version(x), 2);
	assert_false(X509_get_extension_flags(x) & EXFLAG_CA);
	assert_true(X509_get_extension_flags(x) & EXFLAG_BCONS);
	assert_true(kf & KU_DIGITAL_SIGNATURE);
	assert_int_equal(!!(kf & KU_KEY_ENCIPHERMENT), rsa);
	assert_false(kf & KU_KEY_CERT_SIGN);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(X509_get0_authority_key_id(x));
	assert_true(ASN1_STRING_length(s) == 16 &&
	    ASN1_STRING_type(s) == V_ASN1_INTEGER);
	assert_non_null(pk);
	if (rsa) {
		assert_true(EVP_PKEY_is_a(pk, "RSA"));
		assert_int_equal(EVP_PKEY_get_bits(pk), 2048);
	} else {
		assert_true(EVP_PKEY_is_a(pk, "EC"));
		assert_int_equal(EVP_PKEY_get_bits(pk), 256);
	}
}

/* ---- leaves ---- */

struct leaf_case {
	const char *name;
	int         mimic;	/* a server certificate is given */
	const char *srv_cn;	/* its subject CN (NULL: empty subject) */
	const char *srv_san;	/* its SANs (NULL: no extension) */
	long        srv_nb, srv_na;	/* its validity, from now */
	const char *host;	/* the SNI */
	const char *ip;
	int         rsa;
	int         untrusted;
	const char *want_cn;	/* the leaf's subject CN ("": none) */
	const char *want_sans;
	int         nb_is_ca;	/* notBefore cut to the CA's */
	int         na_is_ca;	/* notAfter cut to the CA's */
	int         want_verify;	/* against the CA, host checked */
};

static const struct leaf_case leaf_cases[] = {
	{ "mimic with SANs", 1, "www.example.com",
	  "DNS:www.example.com,DNS:example.com", -DAY / 2, 20 * DAY,
	  "example.com", NULL, 0, 0, "www.example.com",
	  "DNS:www.example.com,DNS:example.com", 0, 0, X509_V_OK },
	{ "mimic, SNI under a wildcard", 1, "example.net",
	  "DNS:*.example.net", -DAY / 2, 20 * DAY, "a.example.net", NULL, 0,
	  0, "example.net", "DNS:*.example.net", 0, 0, X509_V_OK },
	{ "mimic, SNI not named: added", 1, "www.example.com",
	  "DNS:www.example.com", -DAY / 2, 20 * DAY, "other.example.org",
	  NULL, 0, 0, "www.example.com",
	  "DNS:www.example.com,DNS:other.example.org", 0, 0, X509_V_OK },
	{ "mimic without SANs: CN and host added", 1, "old.example.com",
	  NULL, -DAY / 2, 20 * DAY, "www.old.example.com", NULL, 0, 0,
	  "old.example.com",
	  "DNS:old.example.com,DNS:www.old.example.com", 0, 0, X509_V_OK },
	{ "mimic without SANs, no SNI", 1, "old.example.com", NULL,
	  -DAY / 2, 20 * DAY, NULL, "192.0.2.7", 0, 0, "old.example.com",
	  "DNS:old.example.com,IP:192.0.2.7", 0, 0, X509_V_OK },
	{ "mimic, IP SAN", 1, "192.0.2.1", "IP:192.0.2.1", -DAY / 2,
	  20 * DAY, NULL, "192.0.2.1", 0, 0, "192.0.2.1", "IP:192.0.2.1", 0,
	  0, X509_V_OK },
	{ "mimic, validity cut to the CA's", 1, "long.example.com",
	  "DNS:long.example.com", -400 * DAY, 400 * DAY, "long.example.com",
	  NULL, 0, 0, "long.example.com", "DNS:long.example.com", 1, 1,
	  X509_V_OK },
	{ "mimic an expired server: expired leaf", 1, "gone.example.com",
	  "DNS:gone.example.com", -DAY / 2, -DAY / 4, "gone.example.com",
	  NULL, 0, 0, "gone.example.com", "DNS:gone.example.com", 0, 0,
	  X509_V_ERR_CERT_HAS_EXPIRED },
	/* Found by fuzz_certgen: a server valid only after the CA ends. */
	{ "mimic a server valid after the CA: kept inside it", 1,
	  "late.example.com", "DNS:late.example.com", 40 * DAY, 50 * DAY,
	  "late.example.com", NULL, 0, 0, "late.example.com",
	  "DNS:late.example.com", 0, 1, X509_V_ERR_CERT_NOT_YET_VALID },
	{ "mimic, RSA key", 1, "www.example.com", "DNS:www.example.com",
	  -DAY / 2, 20 * DAY, "www.example.com", NULL, 1, 0,
	  "www.example.com", "DNS:www.example.com", 0, 0, X509_V_OK },
	{ "mimic, untrusted", 1, "bad.example.com", "DNS:bad.example.com",
	  -DAY / 2, 20 * DAY, "bad.example.com", NULL, 0, 1,
	  "bad.example.com", "DNS:bad.example.com", 0, 0,
	  X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN },
	{ "host only", 0, NULL, NULL, 0, 0, "www.example.com", NULL, 0, 0,
	  "www.example.com", "DNS:www.example.com", 1, 1, X509_V_OK },
	{ "host only, RSA", 0, NULL, NULL, 0, 0, "www.example.com", NULL, 1,
	  0, "www.example.com", "DNS:www.example.com", 1, 1, X509_V_OK },
	{ "IP address only", 0, NULL, NULL, 0, 0, NULL, "198.51.100.4", 0,
	  0, "198.51.100.4", "IP:198.51.100.4", 1, 1, X509_V_OK },
	{ "SNI that is an address", 0, NULL, NULL, 0, 0, "203.0.113.9",
	  "198.51.100.4", 0, 0, "203.0.113.9", "IP:203.0.113.9", 1, 1,
	  X509_V_OK },
	{ "host only, untrusted", 0, NULL, NULL, 0, 0, "www.example.com",
	  NULL, 0, 1, "www.example.com", "DNS:www.example.com", 1, 1,
	  X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN },
};

static void
test_leaf(void **state)
{
	const struct leaf_case *c = *state;
	struct tls_leaf_req r = { 0 };
	struct tls_certcache *cc;
	struct tls_leaf *l;
	char err[512], text[1024];
	const char *h = c->host ? c->host : c->ip;
	STACK_OF(X509) *chain;
	X509 *x, *ut;
	uint8_t *der = NULL;
	size_t len = 0;

	cc = tls_certcache_new(0, NULL, 0, err, sizeof(err));
	assert_non_null(cc);
	if (c->mimic)
		der = srv_der(c->srv_cn, c->srv_san, c->srv_nb, c->srv_na,
		    &len);
	r.srv_der = der;
	r.srv_len = len;
	r.host = c->host;
	r.ip = c->ip;
	r.key = c->rsa ? TLS_KEY_RSA2048 : TLS_KEY_EC_P256;
	r.untrusted = c->untrusted;
	l = tls_leaf_get(cc, ca, &r, err, sizeof(err));
	if (l == NULL)
		fail_msg("tls_leaf_get: %s", err);
	x = tls_leaf_x509(l);
	leaf_common(x, c->rsa);
	assert_int_equal(X509_check_private_key(x, tls_leaf_pkey(l)), 1);
	cn_text(X509_get_subject_name(x), text, sizeof(text));
	assert_string_equal(text, c->want_cn);
	sans_text(x, text, sizeof(text));
	assert_string_equal(text, c->want_sans);
	assert_non_null(strstr(tls_leaf_desc(l), c->want_sans[0] == 'D' ?
	    "DNS:" : "IP:"));
	/* Never beyond the CA, cut exactly to it when asked past it. */
	assert_true(ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(ca_x509)) <= 0);
	assert_true(ASN1_TIME_compare(X509_get0_notBefore(x),
	    X509_get0_notBefore(ca_x509)) >= 0);
	assert_true(ASN1_TIME_compare(X509_get0_notBefore(x),
	    X509_get0_notAfter(x)) <= 0);
	if (c->na_is_ca)
		assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(x),
		    X509_get0_notAfter(ca_x509)), 0);
	if (c->nb_is_ca)
		assert_int_equal(ASN1_TIME_compare(X509_get0_notBefore(x),
		    X509_get0_notBefore(ca_x509)), 0);
	if (c->mimic && !c->na_is_ca)
		assert_true(labs(from_now(X509_get0_notAfter(x)) -
		    c->srv_na) < 60);
	assert_int_equal(verify(l, ca_x509, h), c->want_verify);
	chain = tls_leaf_chain(l);
	assert_int_equal(sk_X509_num(chain), 1);
	if (c->untrusted) {
		/* Signed by the throwaway CA, which the chain carries: a
		 * client trusting it would accept the leaf. */
		ut = sk_X509_value(chain, 0);
		cn_text(X509_get_subject_name(ut), text, sizeof(text));
		assert_string_equal(text, "Not trusted by Test CA");
		cn_text(X509_get_issuer_name(x), text, sizeof(text));
		assert_string_equal(text, "Not trusted by Test CA");
		assert_int_equal(verify(l, ut, h), X509_V_OK);
	} else {
		assert_int_equal(X509_cmp(sk_X509_value(chain, 0), ca_x509),
		    0);
		assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
		    X509_get_subject_name(ca_x509)), 0);
		/* And not for another host. */
		if (c->want_verify == X509_V_OK)
			assert_int_equal(verify(l, ca_x509, "unrelated.test"),
			    X509_V_ERR_HOSTNAME_MISMATCH);
	}
	tls_leaf_unref(l);
	tls_certcache_free(cc);
	OPENSSL_free(der);
}

/* Requests refused, with the reason. */
struct bad_case {
	const char *name;
	const char *der;	/* NULL: none */
	size_t      len;
	const char *host;
	const char *ip;
	const char *why;
};

static const struct bad_case bad_cases[] = {
	{ "no name at all", NULL, 0, NULL, NULL, "neither a host name" },
	{ "empty host and no address", NULL, 0, "", NULL,
	  "neither a host name" },
	{ "host with a space", NULL, 0, "a b.example", NULL,
	  "not a host name" },
	{ "server certificate garbage", "\x30\x03\x02\x01\x01", 5,
	  "example.com", NULL, "cannot be read" },
	{ "server certificate empty", "", 0, "example.com", NULL,
	  "cannot be read" },
};

static void
test_bad(void **state)
{
	const struct bad_case *c = *state;
	struct tls_leaf_req r = { 0 };
	struct tls_certcache_stats st;
	struct tls_certcache *cc;
	char err[512] = "";

	cc = tls_certcache_new(0, NULL, 0, err, sizeof(err));
	assert_non_null(cc);
	r.srv_der = (const uint8_t *)c->der;
	r.srv_len = c->len;
	r.host = c->host;
	r.ip = c->ip;
	assert_null(tls_leaf_get(cc, ca, &r, err, sizeof(err)));
	if (strstr(err, c->why) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, c->why);
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.generated, 0);
	assert_int_equal(st.entries, 0);
	tls_certcache_free(cc);
}

/* ---- the cache ---- */

static struct tls_leaf *
get_host(struct tls_certcache *cc, const char *host, int untrusted)
{
	struct tls_leaf_req r = { 0 };
	struct tls_leaf *l;
	char err[512];

	r.host = host;
	r.untrusted = untrusted;
	l = tls_leaf_get(cc, ca, &r, err, sizeof(err));
	if (l == NULL)
		fail_msg("tls_leaf_get %s: %s", host, err);
	return l;
}

static void
test_cache_hit(void **state)
{
	struct tls_certcache_stats st;
	struct tls_certcache *cc;
	struct tls_leaf *a, *b, *c, *d, *u, *r1, *r2;
	struct tls_leaf_req r = { 0 };
	uint8_t *der;
	size_t len;
	char err[256];

	(void)state;
	cc = tls_certcache_new(0, NULL, 0, err, sizeof(err));
	assert_non_null(cc);
	a = get_host(cc, "www.example.com", 0);
	b = get_host(cc, "www.example.com", 0);
	assert_ptr_equal(a, b);
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.generated, 1);
	assert_int_equal(st.mem_hits, 1);
	assert_int_equal(st.entries, 1);
	assert_true(st.mem_bytes > 0);
	/* Another host, untrusted, RSA: other leaves with other serials. */
	c = get_host(cc, "www.example.org", 0);
	u = get_host(cc, "www.example.com", 1);
	assert_ptr_not_equal(a, c);
	assert_ptr_not_equal(a, u);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(
	    tls_leaf_x509(a)), X509_get0_serialNumber(tls_leaf_x509(c))), 0);
	/* The same server certificate under an SNI it names: one leaf. */
	der = srv_der("ex.test", "DNS:ex.test,DNS:*.ex.test", -DAY / 2,
	    9 * DAY, &len);
	r.srv_der = der;
	r.srv_len = len;
	r.host = "a.ex.test";
	d = tls_leaf_get(cc, ca, &r, err, sizeof(err));
	assert_non_null(d);
	tls_leaf_unref(d);
	r.host = "b.ex.test";
	d = tls_leaf_get(cc, ca, &r, err, sizeof(err));
	assert_non_null(d);
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.generated, 4);
	assert_int_equal(st.mem_hits, 2);
	assert_int_equal(st.entries, 4);
	/* Keys: a fresh one per ECDSA leaf, one shared by RSA leaves. */
	assert_int_not_equal(EVP_PKEY_eq(tls_leaf_pkey(a), tls_leaf_pkey(c)),
	    1);
	r.srv_der = NULL;
	r.key = TLS_KEY_RSA2048;
	r.host = "rsa1.example.com";
	r1 = tls_leaf_get(cc, ca, &r, err, sizeof(err));
	r.host = "rsa2.example.com";
	r2 = tls_leaf_get(cc, ca, &r, err, sizeof(err));
	assert_non_null(r1);
	assert_non_null(r2);
	assert_ptr_not_equal(r1, r2);
	assert_int_equal(EVP_PKEY_eq(tls_leaf_pkey(r1), tls_leaf_pkey(r2)),
	    1);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(
	    tls_leaf_x509(r1)), X509_get0_serialNumber(tls_leaf_x509(r2))),
	    0);
	tls_leaf_unref(r1);
	tls_leaf_unref(r2);
	tls_leaf_unref(a);
	tls_leaf_unref(b);
	tls_leaf_unref(c);
	tls_leaf_unref(d);
	tls_leaf_unref(u);
	tls_certcache_free(cc);
	OPENSSL_free(der);
}

static void
test_cache_evict(void **state)
{
	struct tls_certcache_stats st;
	struct tls_certcache *cc;
	struct tls_leaf *l, *held;
	char err[256], host[64];
	int i;

	(void)state;
	/* Room for a few leaves (5-7 KiB each). */
	cc = tls_certcache_new(16000, NULL, 0, err, sizeof(err));
	assert_non_null(cc);
	held = get_host(cc, "h0.example.com", 0);
	for (i = 1; i < 20; i++) {
		snprintf(host, sizeof(host), "h%d.example.com", i);
		tls_leaf_unref(get_host(cc, host, 0));
		tls_certcache_stats(cc, &st);
		assert_true(st.mem_bytes <= 16000);
	}
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.generated, 20);
	assert_true(st.entries >= 2 && st.entries < 10);
	/* The most recent is still there, the first is gone (made again),
	 * though a connection still holds it: that reference stays good. */
	tls_leaf_unref(get_host(cc, "h19.example.com", 0));
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.mem_hits, 1);
	l = get_host(cc, "h0.example.com", 0);
	assert_ptr_not_equal(l, held);
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.generated, 21);
	assert_int_equal(verify(held, ca_x509, "h0.example.com"), X509_V_OK);
	tls_leaf_unref(l);
	tls_certcache_free(cc);
	/* Freed after the cache: the leaf owns what it needs. */
	assert_int_equal(verify(held, ca_x509, "h0.example.com"), X509_V_OK);
	tls_leaf_unref(held);
}

/* Files in dir whose names end in .pem, and their modes. */
static int
dir_files(const char *dir, mode_t *mode)
{
	char p[512];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(p, &st), 0);
		if (mode)
			*mode = st.st_mode & 07777;
	}
	closedir(d);
	return n;
}

static void
rm_dir(const char *dir)
{
	char p[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    de->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
test_cache_dir(void **state)
{
	const char *dir = tpath("cache");
	struct tls_certcache_stats st;
	struct tls_certcache *cc;
	struct tls_leaf *a, *b, *u;
	unsigned char *da = NULL, *db = NULL;
	struct stat sb;
	mode_t mode = 0;
	char err[256], path[512] = "";
	struct dirent *de;
	DIR *d;
	FILE *f;
	int la, lb;

	(void)state;
	rm_dir(dir);
	/* A temporary file of a writer that died: removed when old. */
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/.tmp-dead-1", dir);
	f = fopen(path, "w");
	fclose(f);
	{
		struct timespec old[2] = { { time(NULL) - 7200, 0 },
					   { time(NULL) - 7200, 0 } };

		assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	}
	snprintf(path, sizeof(path), "%s/.tmp-young-1", dir);
	f = fopen(path, "w");
	fclose(f);
	cc = tls_certcache_new(0, dir, 0, err, sizeof(err));
	if (cc == NULL)
		fail_msg("%s", err);
	snprintf(path, sizeof(path), "%s/.tmp-dead-1", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/.tmp-young-1", dir);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	a = get_host(cc, "disk.example.com", 0);
	u = get_host(cc, "disk.example.com", 1);
	tls_leaf_unref(u);
	/* The untrusted leaf is not stored: one file, mode 0600. */
	assert_int_equal(dir_files(dir, &mode), 1);
	assert_int_equal(mode, 0600);
	tls_certcache_free(cc);

	cc = tls_certcache_new(0, dir, 0, err, sizeof(err));
	assert_non_null(cc);
	b = get_host(cc, "disk.example.com", 0);
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.disk_hits, 1);
	assert_int_equal(st.generated, 0);
	la = i2d_X509(tls_leaf_x509(a), &da);
	lb = i2d_X509(tls_leaf_x509(b), &db);
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, (size_t)la);
	assert_int_equal(X509_check_private_key(tls_leaf_x509(b),
	    tls_leaf_pkey(b)), 1);
	assert_int_equal(verify(b, ca_x509, "disk.example.com"), X509_V_OK);
	tls_leaf_unref(b);
	tls_certcache_free(cc);

	/* A broken file is made again, not served. */
	d = opendir(dir);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			snprintf(path, sizeof(path), "%s/%s", dir,
			    de->d_name);
	closedir(d);
	f = fopen(path, "w");
	fputs("-----BEGIN CERTIFICATE-----\nAAAA\n", f);
	fclose(f);
	cc = tls_certcache_new(0, dir, 0, err, sizeof(err));
	b = get_host(cc, "disk.example.com", 0);
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.disk_hits, 0);
	assert_int_equal(st.generated, 1);
	assert_int_equal(verify(b, ca_x509, "disk.example.com"), X509_V_OK);
	tls_leaf_unref(b);
	tls_certcache_free(cc);

	/* The disk bound: about two files' worth. */
	rm_dir(dir);
	cc = tls_certcache_new(0, dir, 2 * 1100, err, sizeof(err));
	assert_non_null(cc);
	tls_leaf_unref(get_host(cc, "d1.example.com", 0));
	tls_leaf_unref(get_host(cc, "d2.example.com", 0));
	tls_leaf_unref(get_host(cc, "d3.example.com", 0));
	tls_leaf_unref(get_host(cc, "d4.example.com", 0));
	assert_true(dir_files(dir, NULL) <= 2);
	assert_true(dir_files(dir, NULL) >= 1);
	tls_certcache_free(cc);
	/* The newest file stayed, the oldest went. */
	cc = tls_certcache_new(0, dir, 2 * 1100, err, sizeof(err));
	tls_leaf_unref(get_host(cc, "d4.example.com", 0));
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.disk_hits, 1);
	tls_leaf_unref(get_host(cc, "d1.example.com", 0));
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.disk_hits, 1);
	assert_int_equal(st.generated, 1);
	tls_certcache_free(cc);
	rm_dir(dir);
	tls_leaf_unref(a);
	OPENSSL_free(da);
	OPENSSL_free(db);
}

/* ---- loading a CA ---- */

struct ca_case {
	const char *name;
	int         kind;	/* what to write, below */
	mode_t      keymode;
	int         keyfile;	/* 0: the key inside the cert file */
	const char *why;	/* NULL: loads */
};

enum { CA_GOOD, CA_NOT_CA, CA_NO_CERTSIGN, CA_EXPIRED, CA_OTHER_KEY,
       CA_ENCRYPTED, CA_CHAIN };

static const struct ca_case ca_cases[] = {
	{ "good, key 0600", CA_GOOD, 0600, 1, NULL },
	{ "good, key 0640", CA_GOOD, 0640, 1, NULL },
	{ "key inside the certificate file", CA_GOOD, 0600, 0, NULL },
	{ "an intermediate and its root in the file", CA_CHAIN, 0600, 1,
	  NULL },
	{ "key world-readable", CA_GOOD, 0644, 1,
	  "can be read by every user" },
	{ "key world-readable: the fix", CA_GOOD, 0604, 1, "chmod 600" },
	{ "cert file with the key, world-readable", CA_GOOD, 0644, 0,
	  "chmod 640" },
	{ "not a CA", CA_NOT_CA, 0600, 1, "is not a CA certificate" },
	{ "CA without keyCertSign", CA_NO_CERTSIGN, 0600, 1,
	  "is not a CA certificate" },
	{ "expired", CA_EXPIRED, 0600, 1, "has expired" },
	{ "key of another CA", CA_OTHER_KEY, 0600, 1, "does not match" },
	{ "key with a passphrase", CA_ENCRYPTED, 0600, 1, "passphrase" },
};

static void
test_ca(void **state)
{
	const struct ca_case *c = *state;
	const char *cf = tpath("t-ca.pem"), *kf = tpath("t-ca.key");
	EVP_PKEY *k = EVP_EC_gen("P-256"), *k2 = NULL;
	X509 *x = NULL, *root = NULL;
	struct tls_ca *t;
	char err[512] = "";
	FILE *f;

	switch (c->kind) {
	case CA_NOT_CA:
		x = cert_make(k, "Leaf", -DAY, DAY, "CA:FALSE", NULL, NULL,
		    NULL, NULL);
		break;
	case CA_NO_CERTSIGN:
		x = cert_make(k, "No sign", -DAY, DAY, "critical,CA:TRUE",
		    "digitalSignature", NULL, NULL, NULL);
		break;
	case CA_EXPIRED:
		x = cert_make(k, "Old", -9 * DAY, -DAY, "critical,CA:TRUE",
		    NULL, NULL, NULL, NULL);
		break;
	case CA_CHAIN:
		x = cert_make(k, "Intermediate", -DAY, 9 * DAY,
		    "critical,CA:TRUE,pathlen:0", "keyCertSign", NULL,
		    ca_x509, ca_key);
		root = ca_x509;
		break;
	default:
		x = cert_make(k, "Good", -DAY, 9 * DAY, "critical,CA:TRUE",
		    "critical,keyCertSign,cRLSign", NULL, NULL, NULL);
		break;
	}
	if (c->kind == CA_OTHER_KEY)
		k2 = EVP_EC_gen("P-256");
	if (c->keyfile) {
		pem_write(cf, x, NULL, 0644);
		if (root) {
			f = fopen(cf, "a");
			PEM_write_X509(f, root);
			fclose(f);
		}
		if (c->kind == CA_ENCRYPTED) {
			f = fopen(kf, "w");
			PEM_write_PKCS8PrivateKey(f, k, EVP_aes_128_cbc(),
			    "secret", 6, NULL, NULL);
			fclose(f);
			chmod(kf, c->keymode);
		} else {
			pem_write(kf, NULL, k2 ? k2 : k, c->keymode);
		}
	} else {
		pem_write(cf, x, k, c->keymode);
	}
	t = tls_ca_load(cf, c->keyfile ? kf : NULL, err, sizeof(err));
	if (c->why == NULL) {
		if (t == NULL)
			fail_msg("refused: %s", err);
		assert_non_null(strstr(tls_ca_name(t), c->kind == CA_CHAIN ?
		    "CN = Intermediate" : "CN = Good"));
	} else {
		assert_null(t);
		if (strstr(err, c->why) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", err, c->why);
		/* The message names the file at fault. */
		assert_non_null(strstr(err, "/t-ca."));
	}
	if (t != NULL && c->kind == CA_CHAIN) {
		/* A leaf of the intermediate: the chain carries it and
		 * the root; a client trusting the root accepts it. */
		struct tls_certcache *cc;
		struct tls_leaf_req r = { 0 };
		struct tls_leaf *l;

		cc = tls_certcache_new(0, NULL, 0, err, sizeof(err));
		r.host = "chain.example.com";
		l = tls_leaf_get(cc, t, &r, err, sizeof(err));
		assert_non_null(l);
		assert_int_equal(sk_X509_num(tls_leaf_chain(l)), 2);
		assert_int_equal(verify(l, ca_x509, "chain.example.com"),
		    X509_V_OK);
		tls_leaf_unref(l);
		tls_certcache_free(cc);
	}
	tls_ca_free(t);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	unlink(cf);
	unlink(kf);
}

/* The name of the one file in dir that is not in before[] (NULL: the
 * first file), into out. */
static void
new_file(const char *dir, const char *before, char *out, size_t len)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	out[0] = '\0';
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    (before == NULL || strcmp(de->d_name, before) != 0))
			snprintf(out, len, "%s", de->d_name);
	closedir(d);
	assert_true(out[0] != '\0');
}

static void
file_copy(const char *from, const char *to)
{
	char buf[65536];
	FILE *f = fopen(from, "r"), *g;
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	g = fopen(to, "w");
	assert_non_null(g);
	assert_int_equal(fwrite(buf, 1, n, g), n);
	fclose(g);
}

/*
 * A new CA: its leaves are its own (verify against it, not the old one).
 * A file in the directory that the current CA did not sign (here: the
 * old CA's leaf put in the place of the new one's) is not served.
 */
static void
test_ca_change(void **state)
{
	const char *dir = tpath("cache2");
	const char *cf = tpath("n-ca.pem"), *kf = tpath("n-ca.key");
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = cert_make(k, "Test CA", -DAY, 30 * DAY,
	    "critical,CA:TRUE", "critical,keyCertSign", NULL, NULL, NULL);
	struct tls_leaf_req r = { 0 };
	struct tls_certcache_stats st;
	struct tls_certcache *cc;
	struct tls_leaf *l;
	struct tls_ca *n;
	char err[256], fa[256], fb[256], pa[600], pb[600];

	(void)state;
	rm_dir(dir);
	pem_write(cf, x, NULL, 0644);
	pem_write(kf, NULL, k, 0600);
	n = tls_ca_load(cf, kf, err, sizeof(err));
	assert_non_null(n);
	r.host = "same.example.com";

	cc = tls_certcache_new(0, dir, 0, err, sizeof(err));
	tls_leaf_unref(get_host(cc, "same.example.com", 0));
	new_file(dir, NULL, fa, sizeof(fa));
	l = tls_leaf_get(cc, n, &r, err, sizeof(err));
	assert_non_null(l);
	new_file(dir, fa, fb, sizeof(fb));
	assert_int_equal(verify(l, x, "same.example.com"), X509_V_OK);
	assert_int_not_equal(verify(l, ca_x509, "same.example.com"),
	    X509_V_OK);
	tls_leaf_unref(l);
	tls_certcache_free(cc);

	snprintf(pa, sizeof(pa), "%s/%s", dir, fa);
	snprintf(pb, sizeof(pb), "%s/%s", dir, fb);
	file_copy(pa, pb);
	cc = tls_certcache_new(0, dir, 0, err, sizeof(err));
	l = tls_leaf_get(cc, n, &r, err, sizeof(err));
	assert_non_null(l);
	tls_certcache_stats(cc, &st);
	assert_int_equal(st.disk_hits, 0);
	assert_int_equal(st.generated, 1);
	assert_int_equal(verify(l, x, "same.example.com"), X509_V_OK);
	tls_leaf_unref(l);
	tls_certcache_free(cc);
	tls_ca_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	unlink(cf);
	unlink(kf);
	rm_dir(dir);
}

static int
setup(void)
{
	char err[512];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_certgen.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	ca_key = EVP_EC_gen("P-256");
	ca_x509 = cert_make(ca_key, "Test CA", -DAY, 30 * DAY,
	    "critical,CA:TRUE,pathlen:1", "critical,keyCertSign,cRLSign",
	    NULL, NULL, NULL);
	pem_write(tpath("ca.pem"), ca_x509, NULL, 0644);
	pem_write(tpath("ca.key"), NULL, ca_key, 0600);
	ca = tls_ca_load(tpath("ca.pem"), tpath("ca.key"), err, sizeof(err));
	if (ca == NULL) {
		fprintf(stderr, "test CA: %s\n", err);
		return -1;
	}
	return 0;
}

static void
teardown(void)
{
	tls_ca_free(ca);
	X509_free(ca_x509);
	EVP_PKEY_free(ca_key);
	unlink(tpath("ca.pem"));
	unlink(tpath("ca.key"));
	rmdir(tmpdir);
}

static int
run_table(const char *group, CMUnitTestFunction fn, const void *rows,
	  size_t stride, size_t n)
{
	struct CMUnitTest *t;
	size_t i;
	int failed;

	t = calloc(n, sizeof(*t));
	assert_non_null(t);
	for (i = 0; i < n; i++) {
		t[i].initial_state = (char *)(uintptr_t)rows + i * stride;
		t[i].name = *(const char *const *)t[i].initial_state;
		t[i].test_func = fn;
	}
	failed = _cmocka_run_group_tests(group, t, n, NULL, NULL);
	free(t);
	return failed;
}

#define RUN_TABLE(group, fn, rows) \
	run_table(group, fn, rows, sizeof((rows)[0]), NELEM(rows))

int
main(void)
{
	static const struct CMUnitTest cache[] = {
		cmocka_unit_test(test_cache_hit),
		cmocka_unit_test(test_cache_evict),
		cmocka_unit_test(test_cache_dir),
		cmocka_unit_test(test_ca_change),
	};
	int failed = 0;

	if (setup() < 0)
		return 1;
	failed += RUN_TABLE("certgen: leaves", test_leaf, leaf_cases);
	failed += RUN_TABLE("certgen: refused", test_bad, bad_cases);
	failed += RUN_TABLE("certgen: CA", test_ca, ca_cases);
	failed += cmocka_run_group_tests_name("certgen: cache", cache, NULL,
					      NULL);
	teardown();
	return failed ? 1 : 0;
}
