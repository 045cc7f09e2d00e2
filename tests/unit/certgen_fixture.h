/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certgen_fixture.h - what the test_certgen_*.c files share: the test CA
 * and the "real servers'" certificates made with OpenSSL in a temporary
 * directory (setup(), teardown()), verify() that checks a leaf as a TLS
 * client would, and run_table() that registers every row of a table as
 * its own cmocka test, named after the row.
 */
#ifndef TPROXYD_TESTS_CERTGEN_FIXTURE_H
#define TPROXYD_TESTS_CERTGEN_FIXTURE_H

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
#include "table_runner.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define DAY		86400L

static char tmpdir[64];

/* tmpdir/name */
static inline const char *
tpath(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

/* ---- certificates made for the tests ---- */

static inline void
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
static inline X509 *
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

static inline void
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
static inline uint8_t *
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
static inline int
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

static inline int
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

static inline void
teardown(void)
{
	tls_ca_free(ca);
	X509_free(ca_x509);
	EVP_PKEY_free(ca_key);
	unlink(tpath("ca.pem"));
	unlink(tpath("ca.key"));
	rmdir(tmpdir);
}

#endif
