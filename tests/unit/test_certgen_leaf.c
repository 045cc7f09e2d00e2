/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_certgen_leaf.c - unit tests of the bumping certificates
 * (src/tls/certgen.c): the leaves made after real servers' certificates,
 * and what is refused.
 *
 * Every leaf is checked as a TLS client would: X509_verify_cert against
 * the CA alone as trust anchor, for the SSL server purpose, with the host
 * name (or address) checked. The CA, the certificates and verify():
 * certgen_fixture.h.
 */
#include "certgen_fixture.h"

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

int
main(void)
{
	int failed = 0;

	if (setup() < 0)
		return 1;
	failed += RUN_TABLE("certgen: leaves", test_leaf, leaf_cases);
	failed += RUN_TABLE("certgen: refused", test_bad, bad_cases);
	teardown();
	return failed ? 1 : 0;
}
