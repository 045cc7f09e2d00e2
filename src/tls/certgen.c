/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certgen.c - the signing CA of a bumping port and the leaf certificates
 * it signs (certgen.h), with OpenSSL 3's X509 and EVP code.
 *
 * What a leaf copies of the real server's certificate ("mimic", as
 * Squid's Ssl::CertificateProperties with setCommonName / mimicCert): its
 * subject, its subject alternative names and its validity, the latter cut
 * to the CA's own (a leaf never outlives its issuer). Everything else is
 * ours: issuer = the CA's subject, a serial derived from a hash, our own
 * key, and a fixed set of extensions (basicConstraints CA:FALSE,
 * keyUsage, extKeyUsage serverAuth, subject and authority key ids).
 * Squid also copies the server's keyUsage/extKeyUsage/basicConstraints;
 * we do not: a leaf that only a TLS server can use is what a client
 * checks, and copied extensions (a CA:TRUE, a codeSigning usage) would
 * only widen what our CA vouches for.
 *
 * Keys. Squid gives every leaf the signing CA's own key (gadgets.cc,
 * generateFakeSslCertificate: "Use signing certificates private key as
 * generated certificate private key"): no key generation per host, but
 * whoever reads one leaf's key holds the CA's. Here an ECDSA P-256 leaf
 * (the default) gets a fresh key: a key read from one leaf (a core dump,
 * a cache file) impersonates that host only, and no two leaves share a
 * key a client could link them by. It is cheap: 0.37-0.47 ms per leaf,
 * key and signature, measured with `build/tests/certgen_tool bench
 * CA.pem CA.key 500` on the 2-core test machine. An RSA 2048 key took
 * 100 to 410 ms (`bench ... 1 rsa`, five runs: the search for primes
 * varies): the event loop would stand still that long for every first
 * visit of an RSA-only client to a host, where signing with a shared key
 * costs about 1 ms. So RSA leaves share one key per loaded CA, made at
 * the first RSA leaf (not the CA's key): it is no easier to steal than
 * the CA's own key beside it, and a leaked copy (a cache file)
 * impersonates hosts but signs nothing.
 *
 * Squid also keeps the server's validity even past its CA's, and the
 * server's subjectAltName as it is; here the validity is cut to the CA's
 * and the asked host is added, as certgen.h says.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "tls/certgen.h"
#include "tls/certgen_int.h"

#define DAY             86400
#define LEAF_DAYS       366	/* a leaf made without a server cert */
#define SRV_DER_MAX     65536	/* a bigger "certificate" is refused */
#define SANS_MAX        1024	/* names copied from the server's cert */
#define CN_MAX          64	/* RFC 5280 ub-common-name */
#define DESC_MAX        512
/* What a leaf weighs beyond its DER certificate, DER key and text: the
 * heap grew 5090 bytes per P-256 leaf for 2689 counted without it
 * (certgen_tool bench, glibc's mallinfo2). */
#define LEAF_OVERHEAD   4480

struct tls_ca {
	X509           *cert;
	EVP_PKEY       *key;
	STACK_OF(X509) *chain;	/* cert, then the rest of the file */
	uint8_t         fp[32];	/* SHA-256 of cert's DER */
	time_t          not_before, not_after;
	char            name[256];
	/* The throwaway CA that signs untrusted leaves: made once with
	 * this CA, its key never leaves memory. */
	X509           *ut_cert;
	EVP_PKEY       *ut_key;
	STACK_OF(X509) *ut_chain;
	/* What changes after loading (callers hold a const CA). */
	struct ca_lazy *lazy;
};

struct ca_lazy {
	EVP_PKEY *rsa;		/* the RSA leaves' shared key */
};

int
tls_pem_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* err gets "what: OpenSSL's last reason"; the error queue is emptied
 * so that the next failure does not report this one. */
static void
ossl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, errlen, "%s: %s", what, buf);
	} else {
		snprintf(err, errlen, "%s", what);
	}
	ERR_clear_error();
}

/* An ASN1_TIME as a time_t; 0 when it cannot be read. */
static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* A name on one line, "C = FR, O = Example, CN = example.com", with bytes
 * outside printable ASCII escaped (it goes into logs). */
static void
name_line(const X509_NAME *n, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	int len;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE) >= 0) {
		len = BIO_read(b, out, (int)outlen - 1);
		out[len > 0 ? len : 0] = '\0';
	}
	BIO_free(b);
}

/* The common name of n as UTF-8, cut to max bytes; "" when none. */
static void
name_cn(const X509_NAME *n, char *out, size_t max)
{
	const X509_NAME_ENTRY *e;
	unsigned char *u = NULL;
	int i, len;

	out[0] = '\0';
	i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	if (i < 0)
		return;
	e = X509_NAME_get_entry(n, i);
	len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
	if (len < 0)
		return;
	if ((size_t)len >= max) {
		/* Cut at a character, not inside one. */
		len = (int)max - 1;
		while (len > 0 && (u[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(out, u, (size_t)len);
	out[len] = '\0';
	OPENSSL_free(u);
}

/* The digest a key signs with: none for EdDSA (it hashes itself). */
static const EVP_MD *
sign_md(EVP_PKEY *k)
{
	if (EVP_PKEY_is_a(k, "ED25519") || EVP_PKEY_is_a(k, "ED448"))
		return NULL;
	return EVP_sha256();
}

/* The key of a new leaf (a reference of its own), or NULL: a new P-256
 * key, or the CA's shared RSA key (see the top of the file). */
static EVP_PKEY *
key_new(const struct tls_ca *ca, enum tls_key_type t)
{
	if (t != TLS_KEY_RSA2048)
		return EVP_EC_gen("P-256");
	if (ca->lazy->rsa == NULL)
		ca->lazy->rsa = EVP_RSA_gen(2048);
	if (ca->lazy->rsa == NULL || !EVP_PKEY_up_ref(ca->lazy->rsa))
		return NULL;
	return ca->lazy->rsa;
}

/* Add extension nid, given as OpenSSL's config text, to x. */
static int
ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e;
	int ok;

	e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (e == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

/*
 * The throwaway CA of untrusted leaves: self-signed, "Not trusted by
 * <the CA's CN>", valid as long as the CA, P-256 key kept in memory only.
 */
static int
ca_untrusted(struct tls_ca *ca, char *err, size_t errlen)
{
	/* "Not trusted by " is 15 bytes: the CN must fit in the rest. */
	char cn[CN_MAX - 14], text[CN_MAX + 1];
	X509_NAME *n = NULL;
	X509V3_CTX ctx;
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	X509 *x = NULL;
	int rc = -1;

	name_cn(X509_get_subject_name(ca->cert), cn, sizeof(cn));
	snprintf(text, sizeof(text), "Not trusted by %s",
	    cn[0] ? cn : "the proxy");
	ca->ut_key = EVP_EC_gen("P-256");
	if (ca->ut_key == NULL || (x = X509_new()) == NULL ||
	    (n = X509_NAME_new()) == NULL)
		goto out;
	if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)text, -1, -1, 0))
		goto out;
	memcpy(serial, ca->fp, sizeof(serial));
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto out;
	if (!X509_set_version(x, 2) || !X509_set_subject_name(x, n) ||
	    !X509_set_issuer_name(x, n) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), ca->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), ca->not_after) ||
	    !X509_set_pubkey(x, ca->ut_key))
		goto out;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (ext_add(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,"
	    "pathlen:0") < 0 ||
	    ext_add(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") <
	    0 || ext_add(x, &ctx, NID_subject_key_identifier, "hash") < 0)
		goto out;
	if (X509_sign(x, ca->ut_key, EVP_sha256()) <= 0)
		goto out;
	if ((ca->ut_chain = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(ca->ut_chain, x))
		goto out;
	ca->ut_cert = x;
	x = NULL;
	rc = 0;
out:
	if (rc < 0)
		ossl_err(err, errlen, "cannot make the untrusted CA");
	BN_free(bn);
	X509_NAME_free(n);
	X509_free(x);
	return rc;
}

/*
 * Read the private key of keyfile, refusing one that others may read and
 * one protected by a passphrase (there is nobody to type it).
 */
static EVP_PKEY *
key_load(const char *keyfile, char *err, size_t errlen)
{
	EVP_PKEY *k;
	struct stat st;
	BIO *b;

	if (stat(keyfile, &st) < 0) {
		snprintf(err, errlen, "%s: %s", keyfile, strerror(errno));
		return NULL;
	}
	if (st.st_mode & 007) {
		snprintf(err, errlen, "%s: the private key can be read by "
		    "every user on this machine (mode %04o): "
		    "run chmod 600 %s, or chown root:proxy %s and "
		    "chmod 640 %s (proxy: the user tproxyd runs as)",
		    keyfile, (unsigned)(st.st_mode & 07777), keyfile,
		    keyfile, keyfile);
		return NULL;
	}
	b = BIO_new_file(keyfile, "r");
	if (b == NULL) {
		ossl_err(err, errlen, keyfile);
		return NULL;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, tls_pem_nopass, NULL);
	BIO_free(b);
	if (k == NULL) {
		char what[512];

		snprintf(what, sizeof(what), "%s: no private key in PEM form "
		    "(or one protected by a passphrase)", keyfile);
		ossl_err(err, errlen, what);
	}
	return k;
}

struct tls_ca *
tls_ca_load(const char *certfile, const char *keyfile, char *err,
	    size_t errlen)
{
	struct tls_ca *ca;
	unsigned int fplen = 0;
	uint32_t xf;
	time_t now = time(NULL);
	X509 *x;
	BIO *b;

	if ((ca = calloc(1, sizeof(*ca))) == NULL ||
	    (ca->lazy = calloc(1, sizeof(*ca->lazy))) == NULL) {
		free(ca);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((b = BIO_new_file(certfile, "r")) == NULL) {
		ossl_err(err, errlen, certfile);
		goto fail;
	}
	ca->chain = sk_X509_new_null();
	while (ca->chain != NULL &&
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(ca->chain, x)) {
			X509_free(x);
			break;
		}
	}
	BIO_free(b);
	ERR_clear_error();	/* the end of the file */
	if (ca->chain == NULL || sk_X509_num(ca->chain) == 0) {
		snprintf(err, errlen, "%s: no certificate in PEM form",
		    certfile);
		goto fail;
	}
	ca->cert = sk_X509_value(ca->chain, 0);
	X509_up_ref(ca->cert);
	name_line(X509_get_subject_name(ca->cert), ca->name,
	    sizeof(ca->name));
	ca->not_before = asn1_time(X509_get0_notBefore(ca->cert));
	ca->not_after = asn1_time(X509_get0_notAfter(ca->cert));

	/* The certificate first: a wrong file is a likelier mistake than
	 * a readable key, and the message should say so. */
	xf = X509_get_extension_flags(ca->cert);
	if (!(xf & EXFLAG_CA) || ((xf & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(ca->cert) & KU_KEY_CERT_SIGN))) {
		snprintf(err, errlen, "%s: \"%s\" is not a CA certificate "
		    "(it needs basicConstraints CA:TRUE and, with a "
		    "keyUsage, keyCertSign): it cannot sign certificates; "
		    "make one with: tproxyctl ca create", certfile, ca->name);
		goto fail;
	}
	if (ca->not_after <= now) {
		snprintf(err, errlen, "%s: the CA certificate \"%s\" has "
		    "expired", certfile, ca->name);
		goto fail;
	}
	if (ca->not_before > now) {
		snprintf(err, errlen, "%s: the CA certificate \"%s\" is not "
		    "valid yet (check the clock)", certfile, ca->name);
		goto fail;
	}
	ca->key = key_load(keyfile ? keyfile : certfile, err, errlen);
	if (ca->key == NULL)
		goto fail;
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: the private key does not match "
		    "the certificate of %s", keyfile ? keyfile : certfile,
		    certfile);
		goto fail;
	}
	if (!X509_digest(ca->cert, EVP_sha256(), ca->fp, &fplen) ||
	    fplen != sizeof(ca->fp)) {
		ossl_err(err, errlen, "cannot hash the CA certificate");
		goto fail;
	}
	if (ca_untrusted(ca, err, errlen) < 0)
		goto fail;
	return ca;
fail:
	tls_ca_free(ca);
	return NULL;
}

void
tls_ca_free(struct tls_ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	sk_X509_pop_free(ca->chain, X509_free);
	X509_free(ca->ut_cert);
	EVP_PKEY_free(ca->ut_key);
	/* ut_chain holds ut_cert's only reference, already counted. */
	sk_X509_free(ca->ut_chain);
	EVP_PKEY_free(ca->lazy->rsa);
	free(ca->lazy);
	free(ca);
}

const char *
tls_ca_name(const struct tls_ca *ca)
{
	return ca->name;
}

/* ---- the properties of a leaf ---- */

/* host: printable ASCII without blanks, 1-253 bytes. */
static int
host_ok(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (h[i] <= 0x20 || h[i] >= 0x7f)
			return 0;
	return 1;
}

/* Does pattern (a DNS SAN) name host? A "*." wildcard stands for one
 * whole leftmost label (RFC 6125 §6.4.3, as browsers apply it), and
 * only above two labels at least ("*.com" names nothing). When in doubt
 * the answer is no: the host is then added, which costs a name. */
static int
dns_match(const ASN1_IA5STRING *pat, const char *host)
{
	const char *p = (const char *)ASN1_STRING_get0_data(pat);
	size_t plen = (size_t)ASN1_STRING_length(pat);
	size_t hlen = strlen(host);
	const char *dot;

	if (plen == hlen && strncasecmp(p, host, hlen) == 0 &&
	    memchr(p, '\0', plen) == NULL)
		return 1;
	if (plen < 3 || p[0] != '*' || p[1] != '.' ||
	    memchr(p, '\0', plen) != NULL ||
	    memchr(p + 2, '.', plen - 2) == NULL || p[plen - 1] == '.')
		return 0;
	dot = strchr(host, '.');
	if (dot == NULL || dot == host)
		return 0;
	return strlen(dot) == plen - 1 &&
	    strncasecmp(dot, p + 1, plen - 1) == 0;
}

/* Is host (a name, or an address ipbin of iplen bytes) among sans? */
static int
sans_name(const GENERAL_NAMES *sans, const char *host,
	  const unsigned char *ipbin, int iplen)
{
	const GENERAL_NAME *g;
	int i;

	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		g = sk_GENERAL_NAME_value(sans, i);
		if (iplen == 0 && g->type == GEN_DNS &&
		    dns_match(g->d.dNSName, host))
			return 1;
		if (iplen > 0 && g->type == GEN_IPADD &&
		    ASN1_STRING_length(g->d.iPAddress) == iplen &&
		    memcmp(ASN1_STRING_get0_data(g->d.iPAddress), ipbin,
		    (size_t)iplen) == 0)
			return 1;
	}
	return 0;
}

/* Append host to sans: an iPAddress for an address literal, else a
 * dNSName. */
static int
sans_add(GENERAL_NAMES *sans, const char *host)
{
	unsigned char bin[16];
	GENERAL_NAME *g;
	ASN1_OCTET_STRING *os = NULL;
	ASN1_IA5STRING *s = NULL;
	int iplen = 0;

	if (inet_pton(AF_INET, host, bin) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, host, bin) == 1)
		iplen = 16;
	if (sans_name(sans, host, bin, iplen))
		return 0;
	if ((g = GENERAL_NAME_new()) == NULL)
		return -1;
	if (iplen > 0) {
		if ((os = ASN1_OCTET_STRING_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(os, bin, iplen))
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_IPADD, os);
	} else {
		if ((s = ASN1_IA5STRING_new()) == NULL ||
		    !ASN1_STRING_set(s, host, -1))
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
	}
	if (!sk_GENERAL_NAME_push(sans, g)) {
		GENERAL_NAME_free(g);
		return -1;
	}
	return 0;
fail:
	ASN1_OCTET_STRING_free(os);
	ASN1_IA5STRING_free(s);
	GENERAL_NAME_free(g);
	return -1;
}

/* The server certificate's DNS and IP names (the ones a TLS client
 * matches; other kinds are left out), at most SANS_MAX. */
static GENERAL_NAMES *
sans_copy(X509 *srv)
{
	GENERAL_NAMES *in, *out;
	GENERAL_NAME *g;
	int i;

	if ((out = sk_GENERAL_NAME_new_null()) == NULL)
		return NULL;
	in = X509_get_ext_d2i(srv, NID_subject_alt_name, NULL, NULL);
	for (i = 0; in != NULL && i < sk_GENERAL_NAME_num(in) &&
	    sk_GENERAL_NAME_num(out) < SANS_MAX; i++) {
		g = sk_GENERAL_NAME_value(in, i);
		if (g->type != GEN_DNS && g->type != GEN_IPADD)
			continue;
		if ((g = GENERAL_NAME_dup(g)) == NULL ||
		    !sk_GENERAL_NAME_push(out, g)) {
			GENERAL_NAME_free(g);
			GENERAL_NAMES_free(out);
			out = NULL;
			break;
		}
	}
	GENERAL_NAMES_free(in);
	ERR_clear_error();
	return out;
}

static time_t
time_clamp(time_t t, const struct tls_ca *ca)
{
	if (t < ca->not_before)
		return ca->not_before;
	if (t > ca->not_after)
		return ca->not_after;
	return t;
}

void
tls_props_clear(struct tls_props *p)
{
	X509_NAME_free(p->subject);
	GENERAL_NAMES_free(p->sans);
	memset(p, 0, sizeof(*p));
}

int
tls_props_make(const struct tls_ca *ca, const struct tls_leaf_req *r,
	       struct tls_props *p, char *err, size_t errlen)
{
	const unsigned char *q = r->srv_der;
	const char *host = r->host != NULL && r->host[0] ? r->host : r->ip;
	char cn[CN_MAX + 1];
	time_t now = time(NULL);
	/* Our own validity starts a day back, at a whole day, so that the
	 * same request again today gives the same properties (and a cache
	 * hit), not new ones every second. */
	time_t day_start = now - now % DAY - DAY;
	X509 *srv = NULL;

	memset(p, 0, sizeof(*p));
	p->key = r->key == TLS_KEY_RSA2048 ? TLS_KEY_RSA2048 :
	    TLS_KEY_EC_P256;
	p->untrusted = r->untrusted != 0;
	if (host != NULL && host[0] && !host_ok(host)) {
		snprintf(err, errlen, "not a host name or address");
		return -1;
	}
	if (r->srv_der != NULL) {
		if (r->srv_len == 0 || r->srv_len > SRV_DER_MAX ||
		    (srv = d2i_X509(NULL, &q, (long)r->srv_len)) == NULL ||
		    (size_t)(q - r->srv_der) != r->srv_len) {
			X509_free(srv);
			ERR_clear_error();
			snprintf(err, errlen, "the server certificate cannot "
			    "be read");
			return -1;
		}
		p->subject = X509_NAME_dup(X509_get_subject_name(srv));
		p->sans = sans_copy(srv);
		p->not_before = asn1_time(X509_get0_notBefore(srv));
		p->not_after = asn1_time(X509_get0_notAfter(srv));
		/* Times OpenSSL cannot read: the server's are lost, ours
		 * stand instead (a mimicked leaf still needs some). */
		if (p->not_before == 0 || p->not_after == 0) {
			p->not_before = day_start;
			p->not_after = day_start + (time_t)LEAF_DAYS * DAY;
		}
		X509_free(srv);
		/* No SAN at all: the name clients used to read in the CN
		 * becomes one, as modern clients read SANs only. */
		if (p->sans != NULL && sk_GENERAL_NAME_num(p->sans) == 0 &&
		    p->subject != NULL) {
			name_cn(p->subject, cn, sizeof(cn));
			if (host_ok(cn) && sans_add(p->sans, cn) < 0)
				goto oom;
		}
	} else {
		if (host == NULL || !host[0]) {
			snprintf(err, errlen, "neither a host name nor an "
			    "address to make a certificate for");
			return -1;
		}
		p->subject = X509_NAME_new();
		p->sans = sk_GENERAL_NAME_new_null();
		if (p->subject != NULL && strlen(host) <= CN_MAX &&
		    !X509_NAME_add_entry_by_txt(p->subject, "CN",
		    MBSTRING_ASC, (const unsigned char *)host, -1, -1, 0))
			goto oom;
		p->not_before = day_start;
		p->not_after = day_start + (time_t)LEAF_DAYS * DAY;
	}
	if (p->subject == NULL || p->sans == NULL)
		goto oom;
	if (host != NULL && host[0] && sans_add(p->sans, host) < 0)
		goto oom;
	if (sk_GENERAL_NAME_num(p->sans) == 0 &&
	    X509_NAME_entry_count(p->subject) == 0) {
		snprintf(err, errlen, "the server certificate names nothing "
		    "and no host name was given");
		tls_props_clear(p);
		return -1;
	}
	/* Both ends inside the CA's validity (a server's notBefore may be
	 * after the CA's notAfter), and never ending before starting. */
	p->not_before = time_clamp(p->not_before, ca);
	p->not_after = time_clamp(p->not_after, ca);
	if (p->not_after < p->not_before)
		p->not_after = p->not_before;
	return 0;
oom:
	tls_props_clear(p);
	ossl_err(err, errlen, "cannot copy the certificate's properties");
	return -1;
}

/* Feed a length-prefixed DER encoding (or a 0 length) to the digest. */
static int
md_der(EVP_MD_CTX *m, unsigned char *der, int len)
{
	uint8_t l[4];
	int ok;

	if (len < 0)
		len = 0;
	l[0] = (uint8_t)(len >> 24);
	l[1] = (uint8_t)(len >> 16);
	l[2] = (uint8_t)(len >> 8);
	l[3] = (uint8_t)len;
	ok = EVP_DigestUpdate(m, l, 4) &&
	    (len == 0 || EVP_DigestUpdate(m, der, (size_t)len));
	return ok ? 0 : -1;
}

static int
md_u64(EVP_MD_CTX *m, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	return EVP_DigestUpdate(m, b, 8) ? 0 : -1;
}

int
tls_props_key(const struct tls_ca *ca, const struct tls_props *p,
	      uint8_t key[TLS_LEAF_KEYLEN])
{
	static const char tag[] = "tproxyd leaf v1";
	unsigned char *subj = NULL, *sans = NULL;
	int slen, nlen, rc = -1;
	EVP_MD_CTX *m;

	slen = i2d_X509_NAME(p->subject, &subj);
	nlen = i2d_GENERAL_NAMES(p->sans, &sans);
	m = EVP_MD_CTX_new();
	if (m == NULL || slen < 0 || nlen < 0 ||
	    !EVP_DigestInit_ex(m, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(m, tag, sizeof(tag)) ||
	    !EVP_DigestUpdate(m, ca->fp, sizeof(ca->fp)) ||
	    md_u64(m, (uint64_t)p->key) < 0 ||
	    md_u64(m, (uint64_t)p->untrusted) < 0 ||
	    md_u64(m, (uint64_t)p->not_before) < 0 ||
	    md_u64(m, (uint64_t)p->not_after) < 0 ||
	    md_der(m, subj, slen) < 0 || md_der(m, sans, nlen) < 0 ||
	    !EVP_DigestFinal_ex(m, key, NULL))
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(m);
	OPENSSL_free(subj);
	OPENSSL_free(sans);
	ERR_clear_error();
	return rc;
}

/*
 * The serial: a hash of the properties' key and the leaf's public key,
 * 16 bytes, positive, first byte never 0 (a fixed length). Different
 * properties never share one (a SHA-256 collision aside), and neither do
 * two generations of the same properties with different keys: Firefox
 * refuses a certificate whose issuer and serial it has seen on a
 * different certificate (sec_error_reused_issuer_and_serial).
 */
static int
serial_set(X509 *x, EVP_PKEY *pk, const uint8_t key[TLS_LEAF_KEYLEN])
{
	unsigned char *pub = NULL, md[32];
	unsigned int mdlen = 0;
	BIGNUM *bn = NULL;
	EVP_MD_CTX *m;
	int plen, rc = -1;

	plen = i2d_PUBKEY(pk, &pub);
	m = EVP_MD_CTX_new();
	if (m == NULL || plen <= 0 ||
	    !EVP_DigestInit_ex(m, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(m, key, TLS_LEAF_KEYLEN) ||
	    !EVP_DigestUpdate(m, pub, (size_t)plen) ||
	    !EVP_DigestFinal_ex(m, md, &mdlen))
		goto out;
	md[0] = (unsigned char)((md[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(md, 16, NULL)) == NULL ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto out;
	rc = 0;
out:
	BN_free(bn);
	EVP_MD_CTX_free(m);
	OPENSSL_free(pub);
	return rc;
}

/* "CN = example.com; DNS:example.com, IP:192.0.2.1", cut to DESC_MAX,
 * printable ASCII only. */
static char *
desc_make(X509 *x, const GENERAL_NAMES *sans)
{
	char line[DESC_MAX], *out;
	const GENERAL_NAME *g;
	size_t used;
	char ip[INET6_ADDRSTRLEN];
	int i, l, n;

	name_line(X509_get_subject_name(x), line, sizeof(line));
	used = strlen(line);
	for (i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		g = sk_GENERAL_NAME_value(sans, i);
		if (g->type == GEN_DNS) {
			l = ASN1_STRING_length(g->d.dNSName);
			n = snprintf(line + used, sizeof(line) - used,
			    "%sDNS:%.*s", i ? ", " : "; ", l,
			    (const char *)ASN1_STRING_get0_data(
			    g->d.dNSName));
		} else {
			/* Length first: a hostile 5-byte "address" must
			 * not be read as 16. */
			l = ASN1_STRING_length(g->d.iPAddress);
			if ((l != 4 && l != 16) ||
			    inet_ntop(l == 4 ? AF_INET : AF_INET6,
			    ASN1_STRING_get0_data(g->d.iPAddress), ip,
			    sizeof(ip)) == NULL)
				snprintf(ip, sizeof(ip), "?");
			n = snprintf(line + used, sizeof(line) - used,
			    "%sIP:%s", i ? ", " : "; ", ip);
		}
		if (n < 0 || (size_t)n >= sizeof(line) - used) {
			used = sizeof(line) - 1;
			break;
		}
		used += (size_t)n;
	}
	line[used] = '\0';
	/* Server-supplied names: nothing unprintable reaches a log. */
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] >= 0x7f)
			line[i] = '?';
	out = strdup(line);
	return out;
}

/* Set the counted size of l (what it weighs in the memory bound). */
static void
leaf_weigh(struct tls_leaf *l)
{
	int c = i2d_X509(l->x509, NULL), k = i2d_PrivateKey(l->pkey, NULL);

	l->bytes = LEAF_OVERHEAD + strlen(l->desc) + (c > 0 ? (size_t)c : 0)
	    + (k > 0 ? (size_t)k : 0);
}

/* Wrap x, pk (taken) into a leaf with the chain of its issuer. */
static struct tls_leaf *
leaf_new(const struct tls_ca *ca, X509 *x, EVP_PKEY *pk, int untrusted,
	 const uint8_t key[TLS_LEAF_KEYLEN])
{
	struct tls_leaf *l;
	GENERAL_NAMES *sans;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto fail;
	l->refs = 1;
	l->x509 = x;
	l->pkey = pk;
	memcpy(l->key, key, TLS_LEAF_KEYLEN);
	l->chain = X509_chain_up_ref(untrusted ? ca->ut_chain : ca->chain);
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	l->desc = desc_make(x, sans);
	GENERAL_NAMES_free(sans);
	ERR_clear_error();
	if (l->chain == NULL || l->desc == NULL) {
		tls_leaf_unref(l);
		return NULL;
	}
	leaf_weigh(l);
	return l;
fail:
	X509_free(x);
	EVP_PKEY_free(pk);
	return NULL;
}

struct tls_leaf *
tls_leaf_make(const struct tls_ca *ca, const struct tls_props *p,
	      const uint8_t key[TLS_LEAF_KEYLEN], char *err, size_t errlen)
{
	X509 *signer = p->untrusted ? ca->ut_cert : ca->cert;
	EVP_PKEY *skey = p->untrusted ? ca->ut_key : ca->key;
	EVP_PKEY *pk;
	X509V3_CTX ctx;
	X509 *x = NULL;

	pk = key_new(ca, p->key);
	if (pk == NULL || (x = X509_new()) == NULL)
		goto fail;
	if (!X509_set_version(x, 2) || serial_set(x, pk, key) < 0 ||
	    !X509_set_issuer_name(x, X509_get_subject_name(signer)) ||
	    !X509_set_subject_name(x, p->subject) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), p->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), p->not_after) ||
	    !X509_set_pubkey(x, pk))
		goto fail;
	X509V3_set_ctx(&ctx, signer, x, NULL, NULL, 0);
	if (ext_add(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") <
	    0 || ext_add(x, &ctx, NID_key_usage,
	    p->key == TLS_KEY_RSA2048 ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature") < 0 ||
	    ext_add(x, &ctx, NID_ext_key_usage, "serverAuth") < 0 ||
	    ext_add(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    ext_add(x, &ctx, NID_authority_key_identifier, "keyid") < 0)
		goto fail;
	/* RFC 5280 §4.2.1.6: critical when the subject is empty. */
	if (sk_GENERAL_NAME_num(p->sans) > 0 &&
	    X509_add1_ext_i2d(x, NID_subject_alt_name, p->sans,
	    X509_NAME_entry_count(p->subject) == 0, X509V3_ADD_DEFAULT) != 1)
		goto fail;
	if (X509_sign(x, skey, sign_md(skey)) <= 0)
		goto fail;
	return leaf_new(ca, x, pk, p->untrusted, key);
fail:
	ossl_err(err, errlen, "cannot make the certificate");
	X509_free(x);
	EVP_PKEY_free(pk);
	return NULL;
}

struct tls_leaf *
tls_leaf_adopt(const struct tls_ca *ca, X509 *x, EVP_PKEY *pk,
	       const uint8_t key[TLS_LEAF_KEYLEN])
{
	EVP_PKEY *capub = X509_get0_pubkey(ca->cert);

	/* Untrusted leaves are never stored (their CA dies with the
	 * process), so a stored one is signed by the CA itself. */
	if (capub == NULL || X509_verify(x, capub) != 1 ||
	    X509_check_private_key(x, pk) != 1 ||
	    X509_cmp_current_time(X509_get0_notAfter(x)) <= 0 ||
	    X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(ca->cert)) != 0) {
		ERR_clear_error();
		X509_free(x);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return leaf_new(ca, x, pk, 0, key);
}

void
tls_leaf_unref(struct tls_leaf *l)
{
	if (l == NULL || --l->refs > 0)
		return;
	X509_free(l->x509);
	EVP_PKEY_free(l->pkey);
	sk_X509_pop_free(l->chain, X509_free);
	free(l->desc);
	free(l);
}

void *
tls_leaf_x509(const struct tls_leaf *l)
{
	return l->x509;
}

void *
tls_leaf_pkey(const struct tls_leaf *l)
{
	return l->pkey;
}

void *
tls_leaf_chain(const struct tls_leaf *l)
{
	return l->chain;
}

const char *
tls_leaf_desc(const struct tls_leaf *l)
{
	return l->desc;
}
