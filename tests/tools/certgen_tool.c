/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certgen_tool.c - the bumping certificates (src/tls/certgen.h) from the
 * command line, for black-box tests (tests/blackbox/test_tproxyctl_ca.py)
 * and measurements.
 *
 *   certgen_tool leaf CA.pem CA.key HOST OUT.pem [rsa] [untrusted] [key]
 *	a leaf for HOST (no server certificate to mimic): OUT.pem gets the
 *	leaf then its chain (with "key": OUT.pem.key its private key, mode
 *	0600, for a test TLS server); its description goes to stdout
 *   certgen_tool mimic CA.pem CA.key SERVER.pem HOST OUT.pem
 *	the same, mimicking SERVER.pem's certificate
 *   certgen_tool bench CA.pem CA.key N [rsa] [DIR]
 *	N leaves for N hosts, then the same N again (cache hits): the time
 *	of each kind, per leaf; with DIR (a new directory), the leaves are
 *	stored there too, and read back by a second cache (disk hits)
 *
 * Exit status: 0 done, 1 failed (the reason on stderr), 2 usage.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls/certgen.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
usage(void)
{
	fprintf(stderr, "usage: certgen_tool leaf CA.pem CA.key HOST OUT.pem "
	    "[rsa] [untrusted] [key]\n"
	    "       certgen_tool mimic CA.pem CA.key SERVER.pem HOST "
	    "OUT.pem\n"
	    "       certgen_tool bench CA.pem CA.key N [rsa] [DIR]\n");
	return 2;
}

static int
has(int argc, char **argv, int from, const char *word)
{
	int i;

	for (i = from; i < argc; i++)
		if (strcmp(argv[i], word) == 0)
			return 1;
	return 0;
}

/* Read the n leaves of bench() back from dir with a new cache. */
static int
bench_disk(struct tls_ca *ca, int n, int rsa, const char *dir)
{
	struct tls_certcache_stats st;
	struct tls_certcache *cc;
	struct tls_leaf_req r = { 0 };
	struct tls_leaf *l;
	char err[512], host[64];
	double t0, t1;
	int i;

	cc = tls_certcache_new(0, dir, 0, err, sizeof(err));
	if (cc == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	r.key = rsa ? TLS_KEY_RSA2048 : TLS_KEY_EC_P256;
	r.host = host;
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		snprintf(host, sizeof(host), "h%d.bench.example", i);
		l = tls_leaf_get(cc, ca, &r, err, sizeof(err));
		tls_leaf_unref(l);
	}
	t1 = now_ms();
	tls_certcache_stats(cc, &st);
	printf("directory: %llu disk hits in %.1f ms (%.3f ms each), "
	    "generated=%llu\n", (unsigned long long)st.disk_hits, t1 - t0,
	    (t1 - t0) / n, (unsigned long long)st.generated);
	tls_certcache_free(cc);
	return 0;
}

static int
bench(struct tls_ca *ca, int n, int rsa, const char *dir)
{
	struct tls_certcache_stats st;
	struct tls_certcache *cc;
	struct tls_leaf_req r = { 0 };
	struct tls_leaf *l;
	char err[512], host[64];
	double t0, t1, t2;
	size_t heap0, heap1;
	int pass, i;

	cc = tls_certcache_new((size_t)n * 8192 + (1 << 20), dir, 0, err,
	    sizeof(err));
	if (cc == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	r.key = rsa ? TLS_KEY_RSA2048 : TLS_KEY_EC_P256;
	r.host = host;
	heap0 = mallinfo2().uordblks;
	t0 = now_ms();
	t1 = t0;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			snprintf(host, sizeof(host), "h%d.bench.example", i);
			l = tls_leaf_get(cc, ca, &r, err, sizeof(err));
			if (l == NULL) {
				fprintf(stderr, "%s\n", err);
				tls_certcache_free(cc);
				return 1;
			}
			tls_leaf_unref(l);
		}
		if (pass == 0)
			t1 = now_ms();
	}
	t2 = now_ms();
	heap1 = mallinfo2().uordblks;
	tls_certcache_stats(cc, &st);
	printf("key %s: %d leaves generated in %.1f ms (%.3f ms each); "
	    "%d cache hits in %.1f ms (%.4f ms each); generated=%llu "
	    "mem_hits=%llu mem_bytes=%llu (counted %.0f per leaf; the heap "
	    "grew %.0f per leaf)\n", rsa ? "rsa2048" : "ec-p256",
	    n, t1 - t0, (t1 - t0) / n, n, t2 - t1, (t2 - t1) / n,
	    (unsigned long long)st.generated,
	    (unsigned long long)st.mem_hits,
	    (unsigned long long)st.mem_bytes, (double)st.mem_bytes / n,
	    ((double)heap1 - (double)heap0) / n);
	tls_certcache_free(cc);
	return dir != NULL ? bench_disk(ca, n, rsa, dir) : 0;
}

static uint8_t *
read_der(const char *path, size_t *len)
{
	uint8_t *der = NULL;
	FILE *f = fopen(path, "r");
	X509 *x;
	int n;

	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		return NULL;
	n = i2d_X509(x, &der);
	X509_free(x);
	*len = n > 0 ? (size_t)n : 0;
	return n > 0 ? der : NULL;
}

int
main(int argc, char **argv)
{
	struct tls_leaf_req r = { 0 };
	struct tls_certcache *cc;
	struct tls_leaf *l;
	STACK_OF(X509) *chain;
	const char *out;
	uint8_t *der = NULL;
	char err[512];
	struct tls_ca *ca;
	FILE *f;
	int i, rc = 1, mimic;

	if (argc < 5)
		return usage();
	ca = tls_ca_load(argv[2], argv[3], err, sizeof(err));
	if (ca == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "bench") == 0) {
		for (i = 5; i < argc && strcmp(argv[i], "rsa") == 0; i++)
			;
		rc = bench(ca, atoi(argv[4]) > 0 ? atoi(argv[4]) : 1,
		    has(argc, argv, 5, "rsa"), i < argc ? argv[i] : NULL);
		tls_ca_free(ca);
		return rc;
	}
	mimic = strcmp(argv[1], "mimic") == 0;
	if ((!mimic && strcmp(argv[1], "leaf") != 0) ||
	    argc < (mimic ? 7 : 6)) {
		tls_ca_free(ca);
		return usage();
	}
	if (mimic && (der = read_der(argv[4], &r.srv_len)) == NULL) {
		fprintf(stderr, "%s: no certificate\n", argv[4]);
		tls_ca_free(ca);
		return 1;
	}
	r.srv_der = der;
	r.host = argv[mimic ? 5 : 4];
	out = argv[mimic ? 6 : 5];
	r.key = has(argc, argv, 6, "rsa") ? TLS_KEY_RSA2048 :
	    TLS_KEY_EC_P256;
	r.untrusted = has(argc, argv, 6, "untrusted");
	cc = tls_certcache_new(0, NULL, 0, err, sizeof(err));
	l = cc ? tls_leaf_get(cc, ca, &r, err, sizeof(err)) : NULL;
	if (l == NULL) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	f = fopen(out, "w");
	if (f == NULL || !PEM_write_X509(f, tls_leaf_x509(l))) {
		perror(out);
		if (f)
			fclose(f);
		goto out;
	}
	chain = tls_leaf_chain(l);
	for (i = 0; i < sk_X509_num(chain); i++)
		PEM_write_X509(f, sk_X509_value(chain, i));
	if (fclose(f) != 0)
		goto out;
	if (has(argc, argv, 6, "key")) {
		char kpath[4096];
		int fd;

		snprintf(kpath, sizeof(kpath), "%s.key", out);
		fd = open(kpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (f == NULL || !PEM_write_PrivateKey(f, tls_leaf_pkey(l),
		    NULL, NULL, 0, NULL, NULL) || fclose(f) != 0) {
			perror(kpath);
			goto out;
		}
	}
	rc = 0;
	printf("%s\n", tls_leaf_desc(l));
out:
	tls_leaf_unref(l);
	tls_certcache_free(cc);
	tls_ca_free(ca);
	OPENSSL_free(der);
	return rc;
}
