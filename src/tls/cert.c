/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cert.c - the names and the validity of a server certificate, with
 * OpenSSL's X.509 code (libcrypto only: no TLS session is involved).
 *
 * The certificates come from the server's Certificate message as read by
 * tls_server_parse() (TLS 1.2 and older; TLS 1.3 encrypts it), as DER
 * bytes inside the caller's buffer.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "tls/tls.h"

/*
 * Store a name in out[*n] when it is printable ASCII without blanks,
 * fits, and is not there yet; lowercase. Names with other bytes (an
 * embedded NUL, controls, UTF-8) are left out: they would match nothing a
 * client can ask for, and they go into logs.
 */
static void
name_add(char (*out)[TLS_SNI_MAX], int *n, int max, const unsigned char *s,
	 size_t len)
{
	char buf[TLS_SNI_MAX];
	size_t i;
	int j;

	if (*n >= max || len == 0 || len >= sizeof(buf))
		return;
	for (i = 0; i < len; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return;
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ?
		    s[i] - 'A' + 'a' : s[i]);
	}
	buf[len] = '\0';
	for (j = 0; j < *n; j++)
		if (strcmp(out[j], buf) == 0)
			return;
	memcpy(out[*n], buf, len + 1);
	(*n)++;
}

int
tls_cert_names(const uint8_t *der, size_t len, char (*out)[TLS_SNI_MAX],
	       int max)
{
	const unsigned char *q = der;
	GENERAL_NAMES *sans;
	const GENERAL_NAME *g;
	const ASN1_OCTET_STRING *ip;
	X509_NAME *subj;
	X509_NAME_ENTRY *e;
	unsigned char *utf8;
	char text[INET6_ADDRSTRLEN];
	X509 *x;
	int i, k, n = 0, ulen;

	if (len == 0 || len > (size_t)INT32_MAX)
		return -1;
	x = d2i_X509(NULL, &q, (long)len);
	if (x == NULL)
		return -1;
	/* The DER must be exactly one certificate. */
	if ((size_t)(q - der) != len) {
		X509_free(x);
		return -1;
	}
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		g = sk_GENERAL_NAME_value(sans, i);
		if (g->type == GEN_DNS) {
			name_add(out, &n, max,
			    ASN1_STRING_get0_data(g->d.dNSName),
			    (size_t)ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			ip = g->d.iPAddress;
			k = ASN1_STRING_length(ip);
			if ((k != 4 && k != 16) || inet_ntop(k == 4 ? AF_INET :
			    AF_INET6, ASN1_STRING_get0_data(ip), text,
			    sizeof(text)) == NULL)
				continue;
			name_add(out, &n, max, (const unsigned char *)text,
			    strlen(text));
		}
	}
	GENERAL_NAMES_free(sans);
	/* The subject's common names last: RFC 6125 puts SANs first, and
	 * clients no longer look at the CN when there are SANs; Squid's
	 * ssl::server_name matches either. */
	subj = X509_get_subject_name(x);
	i = -1;
	while ((i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >=
	    0) {
		e = X509_NAME_get_entry(subj, i);
		ulen = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
		if (ulen < 0)
			continue;
		name_add(out, &n, max, utf8, (size_t)ulen);
		OPENSSL_free(utf8);
	}
	X509_free(x);
	return n;
}

/* The macro name of an X509_V_ERR_* code; X509_V_ERR_UNSPECIFIED for
 * a code the table does not know (a newer OpenSSL). */
static const char *
verr_name(int code)
{
	const char *n = tls_verify_error_name(code);

	return n != NULL ? n : "X509_V_ERR_UNSPECIFIED";
}

/* The errors of one verification, filled by verify_cb(). */
struct verr_list {
	const char **err;
	int          max;
	int          n;
};

static void
verr_add(struct verr_list *l, const char *name)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->err[i] == name)
			return;
	if (l->n < l->max)
		l->err[l->n++] = name;
}

/* Where verify_cb() finds its list (X509_STORE_CTX ex_data). */
static int verr_idx = -1;

/* OpenSSL calls this for every certificate checked and for every error
 * found: record the error and go on, so that all of them are known (an
 * expired certificate from an unknown CA is two errors). */
static int
verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct verr_list *l;

	if (ok)
		return 1;
	l = X509_STORE_CTX_get_ex_data(ctx, verr_idx);
	if (l != NULL)
		verr_add(l, verr_name(X509_STORE_CTX_get_error(ctx)));
	return 1;
}

/*
 * The trust store, loaded once per CA file (the system's when cafile is
 * NULL): loading a bundle of ~150 certificates costs milliseconds, too
 * much for every connection. A CA file is read again when its size or
 * modification time changes. One store at a time: a process uses one
 * CA setting.
 */
static X509_STORE *store_cached;
static char *store_file;
static struct stat store_st;

static X509_STORE *
store_get(const char *cafile)
{
	struct stat st;
	X509_STORE *st_new;
	char *name = NULL;

	memset(&st, 0, sizeof(st));
	if (cafile != NULL && stat(cafile, &st) < 0)
		return NULL;
	if (store_cached != NULL &&
	    (cafile == NULL) == (store_file == NULL) &&
	    (cafile == NULL || (strcmp(cafile, store_file) == 0 &&
	    st.st_size == store_st.st_size &&
	    st.st_mtim.tv_sec == store_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == store_st.st_mtim.tv_nsec)))
		return store_cached;
	st_new = X509_STORE_new();
	if (st_new == NULL)
		return NULL;
	if (cafile != NULL) {
		name = strdup(cafile);
		if (name == NULL || X509_STORE_load_file(st_new, cafile) != 1)
			goto fail;
	} else if (X509_STORE_set_default_paths(st_new) != 1) {
		goto fail;
	}
	X509_STORE_free(store_cached);
	free(store_file);
	store_cached = st_new;
	store_file = name;
	store_st = st;
	return st_new;
fail:
	free(name);
	X509_STORE_free(st_new);
	return NULL;
}

/* Is host an IP address literal (checked against iPAddress SANs)? */
static int
host_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

int
tls_cert_verify(const uint8_t *p, const struct tls_cert_ref *cert,
		unsigned ncert, const char *host, const char *cafile,
		const char **err, int max)
{
	struct verr_list l = { err, max, 0 };
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store;
	X509 *leaf = NULL, *x;
	const unsigned char *q;
	unsigned i;
	int rc = -1, m;

	if (ncert == 0 || max < 1)
		return -1;
	if (verr_idx < 0) {
		verr_idx = X509_STORE_CTX_get_ex_new_index(0, NULL, NULL,
		    NULL, NULL);
		if (verr_idx < 0)
			return -1;
	}
	store = store_get(cafile);
	if (store == NULL)
		return -1;
	q = p + cert[0].off;
	leaf = d2i_X509(NULL, &q, (long)cert[0].len);
	chain = sk_X509_new_null();
	ctx = X509_STORE_CTX_new();
	if (leaf == NULL || chain == NULL || ctx == NULL)
		goto out;
	/* The rest of the chain as the server sent it: an intermediate
	 * that does not parse is left out (the path then lacks it, which
	 * the verification reports). */
	for (i = 1; i < ncert; i++) {
		q = p + cert[i].off;
		x = d2i_X509(NULL, &q, (long)cert[i].len);
		if (x != NULL && !sk_X509_push(chain, x))
			X509_free(x);
	}
	if (X509_STORE_CTX_init(ctx, store, leaf, chain) != 1 ||
	    X509_STORE_CTX_set_default(ctx, "ssl_server") != 1 ||
	    X509_STORE_CTX_set_ex_data(ctx, verr_idx, &l) != 1)
		goto out;
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	/* With the callback always answering 1, a result <= 0 without
	 * any error recorded means the check itself failed. */
	if (X509_verify_cert(ctx) <= 0 && l.n == 0)
		goto out;
	/* The name the client asked for, checked as Squid does (and
	 * named as Squid names the error). */
	if (host != NULL && host[0] != '\0') {
		if (host_is_ip(host))
			m = X509_check_ip_asc(leaf, host, 0);
		else
			m = X509_check_host(leaf, host, 0, 0, NULL);
		if (m != 1)
			verr_add(&l, "SQUID_X509_V_ERR_DOMAIN_MISMATCH");
	}
	rc = l.n;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	return rc;
}
