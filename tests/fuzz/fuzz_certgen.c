/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_certgen.c - fuzz target: mimicking a server certificate
 * (src/tls/certgen.c, src/tls/certcache.c, OpenSSL).
 *
 * The input is the DER of the real server's certificate given to
 * tls_leaf_get, with a CA made once (an ECDSA key, written to a temporary
 * directory and loaded as tproxyd would). The host asked for, the
 * untrusted flag and the cache's memory bound come from a hash of the
 * input. Invariants: a leaf, when there is one, is signed by its chain's
 * first certificate (the CA, or the untrusted CA), holds its key, names
 * the host, never outlives the CA, and its description is printable; the
 * same request again gives the same leaf from memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/certgen.h"
#include "fuzz.h"

static struct tls_ca *ca;
static X509 *ca_cert;
static struct tls_certcache *cache;

/* The CA, once per process; its files are removed at once. */
static void
ca_init(void)
{
	char dir[] = "/tmp/fuzz_certgen.XXXXXX", cf[64], kf[64], err[256];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509_NAME *n = X509_NAME_new();
	X509_EXTENSION *e;
	X509V3_CTX ctx;
	FILE *f;

	ca_cert = X509_new();
	FUZZ_CHECK(k && n && ca_cert && mkdtemp(dir) != NULL);
	X509_set_version(ca_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(ca_cert), 1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Fuzz CA", -1, -1, 0);
	X509_set_subject_name(ca_cert, n);
	X509_set_issuer_name(ca_cert, n);
	X509_NAME_free(n);
	X509_time_adj_ex(X509_getm_notBefore(ca_cert), -1, 0, NULL);
	X509_time_adj_ex(X509_getm_notAfter(ca_cert), 3650, 0, NULL);
	X509_set_pubkey(ca_cert, k);
	X509V3_set_ctx(&ctx, ca_cert, ca_cert, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE");
	FUZZ_CHECK(e != NULL && X509_add_ext(ca_cert, e, -1) == 1);
	X509_EXTENSION_free(e);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier,
	    "hash");
	FUZZ_CHECK(e != NULL && X509_add_ext(ca_cert, e, -1) == 1);
	X509_EXTENSION_free(e);
	FUZZ_CHECK(X509_sign(ca_cert, k, EVP_sha256()) > 0);
	snprintf(cf, sizeof(cf), "%s/ca.pem", dir);
	snprintf(kf, sizeof(kf), "%s/ca.key", dir);
	f = fopen(cf, "w");
	FUZZ_CHECK(f && PEM_write_X509(f, ca_cert) && fclose(f) == 0);
	f = fopen(kf, "w");
	FUZZ_CHECK(f && fchmod(fileno(f), 0600) == 0 &&
	    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) &&
	    fclose(f) == 0);
	ca = tls_ca_load(cf, kf, err, sizeof(err));
	FUZZ_CHECK(ca != NULL);
	unlink(cf);
	unlink(kf);
	rmdir(dir);
	EVP_PKEY_free(k);
	cache = tls_certcache_new(64 << 10, NULL, 0, err, sizeof(err));
	FUZZ_CHECK(cache != NULL);
}

static const char *const hosts[] = {
	"example.com", "www.example.com", "a.b.example.net", "192.0.2.1",
	"2001:db8::1", NULL,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_leaf_req r = { 0 };
	struct tls_leaf *l, *l2;
	uint32_t h = fuzz_hash(data, size);
	const char *d, *name;
	STACK_OF(X509) *chain;
	X509 *x, *issuer;
	char err[512];
	int rc;

	if (ca == NULL)
		ca_init();
	r.srv_der = data;
	r.srv_len = size;
	r.host = hosts[h % 6];
	r.ip = "198.51.100.7";
	r.untrusted = (h >> 8) & 1;
	l = tls_leaf_get(cache, ca, &r, err, sizeof(err));
	if (l == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	x = tls_leaf_x509(l);
	chain = tls_leaf_chain(l);
	FUZZ_CHECK(x != NULL && chain != NULL && sk_X509_num(chain) >= 1);
	issuer = sk_X509_value(chain, 0);
	FUZZ_CHECK(X509_verify(x, X509_get0_pubkey(issuer)) == 1);
	FUZZ_CHECK(r.untrusted || X509_cmp(issuer, ca_cert) == 0);
	FUZZ_CHECK(X509_check_private_key(x, tls_leaf_pkey(l)) == 1);
	FUZZ_CHECK(ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(ca_cert)) <= 0);
	FUZZ_CHECK(!(X509_get_extension_flags(x) & EXFLAG_CA));
	name = r.host != NULL ? r.host : r.ip;
	if (strchr(name, ':') != NULL || (name[0] >= '0' && name[0] <= '9'))
		rc = X509_check_ip_asc(x, name, 0);
	else
		rc = X509_check_host(x, name, 0,
		    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL);
	FUZZ_CHECK(rc == 1);
	for (d = tls_leaf_desc(l); *d; d++)
		FUZZ_CHECK(*d >= 0x20 && *d < 0x7f);
	l2 = tls_leaf_get(cache, ca, &r, err, sizeof(err));
	FUZZ_CHECK(l2 == l);
	tls_leaf_unref(l2);
	tls_leaf_unref(l);
	ERR_clear_error();
	return 0;
}
