/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ca.c - `tproxyctl ca`: create, show and export the signing CA of a
 * bumping port (ca.h). OpenSSL's libcrypto only.
 *
 *   create: DIR/ca.pem (0644) and DIR/ca.key (0640 group of the proxy
 *           user, else 0600), each written under a temporary name and
 *           renamed, never over existing files without --force
 *   show:   subject, validity, SHA-256 fingerprint, constraints
 *   export: the certificate on stdout, how to install it on stderr
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "util.h"

#define PROXY_USER "proxy"	/* Debian's user for Squid and tproxyd */
#define PERMIT_MAX 32

static void
ca_usage(FILE *f)
{
	fprintf(f,
		"usage: tproxyctl ca create [--dir DIR] [--name TEXT] "
		"[--days N] [--rsa]\n"
		"                           [--permit DOMAIN ...] [--force]\n"
		"       tproxyctl ca show [--dir DIR | FILE]\n"
		"       tproxyctl ca export [--dir DIR] [--der]\n"
		"DIR defaults to %s.\n", CA_DIR_DEFAULT);
}

static int
ca_bad(const char *fmt, const char *arg)
{
	fputs("tproxyctl ca: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	ca_usage(stderr);
	return 2;
}

/* OpenSSL's last error, on stderr after what, and 1. */
static int
ossl_fail(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256] = "";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	fprintf(stderr, "tproxyctl ca: %s%s%s\n", what, buf[0] ? ": " : "",
		buf);
	ERR_clear_error();
	return 1;
}

static int
ext_add(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *e;
	X509V3_CTX ctx;
	int ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

/* A domain for --permit: letters, digits, '-' and '.', not empty. */
static int
domain_ok(const char *d)
{
	size_t i, n = strlen(d);

	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((d[i] >= 'a' && d[i] <= 'z') ||
		      (d[i] >= 'A' && d[i] <= 'Z') ||
		      (d[i] >= '0' && d[i] <= '9') || d[i] == '-' ||
		      d[i] == '.'))
			return 0;
	return 1;
}

/*
 * Write data with mode (and group gid unless -1) as path: a temporary
 * file in the same directory, renamed over path at the end, so that a
 * reader never sees half a key and a failure leaves the old file.
 */
static int
write_file(const char *path, const unsigned char *data, size_t len,
	   mode_t mode, gid_t gid)
{
	char tmp[4096];
	ssize_t w;
	size_t off = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	/* Created 0600: the key is never readable by others, not even
	 * between open and fchmod. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "tproxyctl ca: %s: %s\n", tmp,
			strerror(errno));
		return -1;
	}
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0) {
		fprintf(stderr, "tproxyctl ca: %s: cannot give it to group "
			"%s (%s): left mode 0600\n", path, PROXY_USER,
			strerror(errno));
		mode = 0600;
	}
	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "tproxyctl ca: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* PEM of x (key NULL) or of key, into a new buffer. */
static unsigned char *
pem_of(X509 *x, EVP_PKEY *key, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	unsigned char *out = NULL;
	char *p = NULL;
	long n;
	int ok;

	if (b == NULL)
		return NULL;
	ok = x ? PEM_write_bio_X509(b, x) :
	    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	if (ok && n > 0) {
		out = xmalloc((size_t)n);
		memcpy(out, p, (size_t)n);
		*len = (size_t)n;
	}
	/* The key's PEM was in the BIO's memory: wipe it before free. */
	if (n > 0)
		OPENSSL_cleanse(p, (size_t)n);
	BIO_free(b);
	return out;
}

static int
ca_create(int argc, char **argv)
{
	const char *dir = CA_DIR_DEFAULT, *name = NULL;
	const char *permit[PERMIT_MAX];
	char host[256], defname[300], cpath[4096], kpath[4096];
	unsigned char serial[16], *kpem = NULL, *cpem = NULL;
	int npermit = 0, rsa = 0, force = 0, i, rc = 1;
	long days = 3650;
	size_t klen = 0, clen = 0;
	gid_t gid = (gid_t)-1;
	struct sbuf nc = { 0 };
	struct passwd *pw;
	struct stat st;
	EVP_PKEY *k = NULL;
	X509_NAME *n = NULL;
	BIGNUM *bn = NULL;
	X509 *x = NULL;
	char *end;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			name = argv[++i];
		} else if (!strcmp(argv[i], "--days") && i + 1 < argc) {
			errno = 0;
			days = strtol(argv[++i], &end, 10);
			if (errno || *end || days < 1 || days > 36500)
				return ca_bad("--days %s: a number of days "
					      "from 1 to 36500", argv[i]);
		} else if (!strcmp(argv[i], "--rsa")) {
			rsa = 1;
		} else if (!strcmp(argv[i], "--force")) {
			force = 1;
		} else if (!strcmp(argv[i], "--permit") && i + 1 < argc) {
			/* Every following word that is not an option. */
			while (i + 1 < argc && argv[i + 1][0] != '-') {
				if (!domain_ok(argv[++i]))
					return ca_bad("--permit %s: not a "
						      "domain name", argv[i]);
				if (npermit == PERMIT_MAX)
					return ca_bad("--permit: at most 32 "
						      "domains%s", "");
				permit[npermit++] = argv[i];
			}
			if (npermit == 0)
				return ca_bad("--permit needs a domain%s",
					      "");
		} else {
			return ca_bad("create: unknown option '%s'", argv[i]);
		}
	}
	if (name == NULL) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(defname, sizeof(defname), "tproxyd CA on %s", host);
		name = defname;
	}
	if (name[0] == '\0' || strlen(name) > 64)
		return ca_bad("--name '%s': 1 to 64 characters (an X.509 "
			      "common name)", name);
	snprintf(cpath, sizeof(cpath), "%s/ca.pem", dir);
	snprintf(kpath, sizeof(kpath), "%s/ca.key", dir);
	if (!force && (lstat(cpath, &st) == 0 || lstat(kpath, &st) == 0)) {
		fprintf(stderr, "tproxyctl ca: %s already holds a CA (ca.pem "
			"or ca.key): not replaced. Clients that trust it "
			"would refuse a new one; to replace it anyway: "
			"tproxyctl ca create --force --dir %s\n", dir, dir);
		return 1;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "tproxyctl ca: %s: %s\n", dir,
			strerror(errno));
		return 1;
	}

	k = rsa ? EVP_RSA_gen(3072) : EVP_EC_gen("P-256");
	if (k == NULL)
		return ossl_fail("cannot make the key");
	x = X509_new();
	n = X509_NAME_new();
	if (x == NULL || n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
		(const unsigned char *)name, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
		(const unsigned char *)"tproxyd", -1, -1, 0)) {
		rc = ossl_fail("cannot make the certificate's name");
		goto out;
	}
	if (RAND_bytes(serial, sizeof(serial)) != 1) {
		rc = ossl_fail("no random numbers");
		goto out;
	}
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	/* An hour back: a client whose clock is a little behind. */
	if (bn == NULL || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_set_version(x, 2) || !X509_set_subject_name(x, n) ||
	    !X509_set_issuer_name(x, n) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, NULL) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) ||
	    !X509_set_pubkey(x, k) ||
	    ext_add(x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    ext_add(x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    ext_add(x, NID_subject_key_identifier, "hash") ||
	    ext_add(x, NID_authority_key_identifier, "keyid:always")) {
		rc = ossl_fail("cannot make the certificate");
		goto out;
	}
	if (npermit > 0) {
		sbuf_add(&nc, "critical");
		for (i = 0; i < npermit; i++)
			sbuf_printf(&nc, ",permitted;DNS:%s", permit[i]);
		if (ext_add(x, NID_name_constraints, sbuf_str(&nc))) {
			rc = ossl_fail("cannot add the name constraints");
			goto out;
		}
	}
	if (X509_sign(x, k, EVP_sha256()) <= 0) {
		rc = ossl_fail("cannot sign the certificate");
		goto out;
	}
	kpem = pem_of(NULL, k, &klen);
	cpem = pem_of(x, NULL, &clen);
	if (kpem == NULL || cpem == NULL) {
		rc = ossl_fail("cannot write PEM");
		goto out;
	}
	/* tproxyd reads the key after dropping to the proxy user (as
	 * Squid): group-readable by it, else owner only (then tproxyd
	 * must read it as root, or the operator chowns it). */
	pw = getpwnam(PROXY_USER);
	if (pw != NULL)
		gid = pw->pw_gid;
	if (write_file(kpath, kpem, klen, gid != (gid_t)-1 ? 0640 : 0600,
		       gid) < 0 ||
	    write_file(cpath, cpem, clen, 0644, (gid_t)-1) < 0)
		goto out;
	printf("Wrote %s (the CA certificate: give it to clients)\n"
	       "  and %s (its private key, mode %s: keep it secret).\n",
	       cpath, kpath, stat(kpath, &st) == 0 &&
	       (st.st_mode & 0777) == 0640 ? "0640, group " PROXY_USER :
	       "0600");
	printf("In squid.conf:\n"
	       "  https_port 3130 tproxy ssl-bump cert=%s key=%s "
	       "generate-host-certificates=on\n", cpath, kpath);
	printf("Install it on clients (shows how): tproxyctl ca export "
	       "--dir %s > tproxyd-ca.crt\n", dir);
	rc = 0;
out:
	if (kpem != NULL)
		OPENSSL_cleanse(kpem, klen);
	free(kpem);
	free(cpem);
	sbuf_free(&nc);
	BN_free(bn);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

/* The certificate of --dir DIR (DIR/ca.pem), or FILE; NULL (reported). */
static X509 *
load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL) {
		fprintf(stderr, "tproxyctl ca: %s: %s%s\n", path,
			strerror(errno), errno == ENOENT ?
			" (make one with: tproxyctl ca create)" : "");
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		ossl_fail("no PEM certificate in the file");
	return x;
}

/* "--dir DIR", "FILE" or nothing: the path of the certificate. */
static int
cert_path(int argc, char **argv, int files, char *out, size_t len,
	  int *der)
{
	const char *dir = CA_DIR_DEFAULT, *file = NULL;
	int i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (der != NULL && !strcmp(argv[i], "--der"))
			*der = 1;
		else if (files && argv[i][0] != '-' && file == NULL)
			file = argv[i];
		else
			return ca_bad("unknown argument '%s'", argv[i]);
	}
	if (file)
		snprintf(out, len, "%s", file);
	else
		snprintf(out, len, "%s/ca.pem", dir);
	return 0;
}

/* One extension of x by nid as OpenSSL prints it, or "none". */
static void
show_ext(BIO *out, X509 *x, int nid, const char *label)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	X509_EXTENSION *e;

	BIO_printf(out, "%-20s ", label);
	if (i < 0) {
		BIO_printf(out, "none\n");
		return;
	}
	e = X509_get_ext(x, i);
	if (X509_EXTENSION_get_critical(e))
		BIO_printf(out, "(critical) ");
	if (!X509V3_EXT_print(out, e, 0, 0))
		BIO_printf(out, "(cannot print)");
	BIO_printf(out, "\n");
}

static int
ca_show(int argc, char **argv)
{
	char path[4096];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int day = 0, sec = 0, rc;
	EVP_PKEY *pk;
	BIO *out;
	X509 *x;

	if ((rc = cert_path(argc, argv, 1, path, sizeof(path), NULL)) != 0)
		return rc;
	if ((x = load_cert(path)) == NULL)
		return 1;
	out = BIO_new_fp(stdout, BIO_NOCLOSE);
	BIO_printf(out, "%-20s %s\n", "File", path);
	BIO_printf(out, "%-20s ", "Subject");
	X509_NAME_print_ex(out, X509_get_subject_name(x), 0, XN_FLAG_ONELINE);
	BIO_printf(out, "\n%-20s ", "Issuer");
	X509_NAME_print_ex(out, X509_get_issuer_name(x), 0, XN_FLAG_ONELINE);
	BIO_printf(out, "\n%-20s ", "Not before");
	ASN1_TIME_print(out, X509_get0_notBefore(x));
	BIO_printf(out, "\n%-20s ", "Not after");
	ASN1_TIME_print(out, X509_get0_notAfter(x));
	if (ASN1_TIME_diff(&day, &sec, NULL, X509_get0_notAfter(x)) == 1) {
		if (day < 0 || (day == 0 && sec <= 0))
			BIO_printf(out, " (EXPIRED)");
		else
			BIO_printf(out, " (in %d days)", day);
	}
	pk = X509_get0_pubkey(x);
	BIO_printf(out, "\n%-20s %s %d bits\n", "Key",
		   pk == NULL ? "?" : EVP_PKEY_is_a(pk, "EC") ? "ECDSA" :
		   EVP_PKEY_is_a(pk, "RSA") ? "RSA" : OBJ_nid2sn(
		   EVP_PKEY_get_base_id(pk)), pk ? EVP_PKEY_get_bits(pk) : 0);
	if (X509_digest(x, EVP_sha256(), md, &mdlen)) {
		BIO_printf(out, "%-20s ", "SHA-256 fingerprint");
		for (i = 0; i < mdlen; i++)
			BIO_printf(out, "%s%02X", i ? ":" : "", md[i]);
		BIO_printf(out, "\n");
	}
	show_ext(out, x, NID_basic_constraints, "Basic constraints");
	show_ext(out, x, NID_key_usage, "Key usage");
	show_ext(out, x, NID_name_constraints, "Name constraints");
	if (!(X509_get_extension_flags(x) & EXFLAG_CA))
		BIO_printf(out, "Warning: not a CA certificate: tproxyd "
			   "cannot sign with it.\n");
	BIO_free(out);
	X509_free(x);
	ERR_clear_error();
	return 0;
}

static int
ca_export(int argc, char **argv)
{
	char path[4096];
	int der = 0, rc, ok;
	X509 *x;

	if ((rc = cert_path(argc, argv, 0, path, sizeof(path), &der)) != 0)
		return rc;
	if ((x = load_cert(path)) == NULL)
		return 1;
	ok = der ? i2d_X509_fp(stdout, x) : PEM_write_X509(stdout, x);
	X509_free(x);
	if (!ok || fflush(stdout) != 0)
		return ossl_fail("cannot write the certificate");
	fprintf(stderr,
		"The %s certificate is on standard output. Save it as "
		"tproxyd-ca.crt and install it\nas a trusted root on each "
		"client:\n"
		"  Debian/Ubuntu: %s\n"
		"  Windows (administrator): certutil -addstore -f ROOT "
		"tproxyd-ca.crt\n"
		"  macOS: sudo security add-trusted-cert -d -r trustRoot "
		"-k /Library/Keychains/System.keychain tproxyd-ca.crt\n"
		"  Firefox (its own store): enterprise policy "
		"\"Certificates\": {\"ImportEnterpriseRoots\": true}\n"
		"    (trusts the system's roots), or {\"Install\": "
		"[\"/path/to/tproxyd-ca.crt\"]}\n"
		"    in policies.json.\n",
		der ? "DER" : "PEM", der ?
		"update-ca-certificates reads PEM only: export it again "
		"without --der" :
		"cp tproxyd-ca.crt /usr/local/share/ca-certificates/ && "
		"update-ca-certificates");
	return 0;
}

int
ca_main(int argc, char **argv)
{
	if (argc < 3 || !strcmp(argv[2], "-h") || !strcmp(argv[2], "--help")) {
		ca_usage(argc < 3 ? stderr : stdout);
		return argc < 3 ? 2 : 0;
	}
	if (!strcmp(argv[2], "create"))
		return ca_create(argc - 1, argv + 1);
	if (!strcmp(argv[2], "show"))
		return ca_show(argc - 1, argv + 1);
	if (!strcmp(argv[2], "export"))
		return ca_export(argc - 1, argv + 1);
	return ca_bad("unknown command '%s'", argv[2]);
}
