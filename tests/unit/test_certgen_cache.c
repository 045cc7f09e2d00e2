/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_certgen_cache.c - unit tests of the bumping certificates
 * (src/tls/certcache.c, src/tls/certgen.c): the cache of leaves in memory
 * and on disk, loading a CA, a CA that changes.
 *
 * Every leaf is checked as a TLS client would: X509_verify_cert against
 * the CA alone as trust anchor, for the SSL server purpose, with the host
 * name (or address) checked. The CA, the certificates and verify():
 * certgen_fixture.h.
 */
#include "certgen_fixture.h"

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
	failed += RUN_TABLE("certgen: CA", test_ca, ca_cases);
	failed += cmocka_run_group_tests_name("certgen: cache", cache, NULL,
					      NULL);
	teardown();
	return failed ? 1 : 0;
}
