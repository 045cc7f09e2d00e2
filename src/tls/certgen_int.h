/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certgen_int.h - what certgen.c (the CA, making leaves) and certcache.c
 * (the cache, tls_leaf_get) share. Not for other modules: they use
 * certgen.h. OpenSSL types appear here, and only here and in those two
 * files.
 */
#ifndef TPROXYD_TLS_CERTGEN_INT_H
#define TPROXYD_TLS_CERTGEN_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/certgen-t.h"

#define TLS_LEAF_KEYLEN 32	/* SHA-256: the cache key */

/* A leaf, shared by the cache and the connections that present it. */
struct tls_leaf {
	unsigned         refs;
	X509            *x509;
	EVP_PKEY        *pkey;
	STACK_OF(X509)  *chain;	/* its own references */
	char            *desc;
	size_t           bytes;	/* what it counts for in the memory bound */
	uint8_t          key[TLS_LEAF_KEYLEN];
	/* certcache.c: the hash chain and the LRU list (most recent at
	 * the head); cached says whether the cache holds a reference. */
	struct tls_leaf *hnext;
	struct tls_leaf *lprev, *lnext;
	int              cached;
};

/* What a leaf will hold, computed before the cache is asked: its key is a
 * hash of all of this (tls_props_key). */
struct tls_props {
	X509_NAME       *subject;
	GENERAL_NAMES   *sans;
	time_t           not_before, not_after;
	enum tls_key_type key;
	int              untrusted;
};

/*
 * Fill p for r, signed by ca (see struct tls_leaf_req). 0, or -1 with the
 * reason in err (r->srv_der that is not a certificate, no name at all).
 * tls_props_clear() frees what p holds, in both cases.
 */
int tls_props_make(const struct tls_ca *ca, const struct tls_leaf_req *r,
		   struct tls_props *p, char *err, size_t errlen);
void tls_props_clear(struct tls_props *p);
/* The cache key of p with ca: a hash of the CA's certificate fingerprint
 * and every property. 0, or -1 on an OpenSSL failure. */
int tls_props_key(const struct tls_ca *ca, const struct tls_props *p,
		  uint8_t key[TLS_LEAF_KEYLEN]);

/* OpenSSL's password callback for the keys we read: none to give. With
 * NULL, OpenSSL would prompt on the terminal for an encrypted key; this
 * makes it fail instead. */
int tls_pem_nopass(char *buf, int size, int rwflag, void *u);

/* A new leaf for p (one reference, not cached), or NULL (err). */
struct tls_leaf *tls_leaf_make(const struct tls_ca *ca,
			       const struct tls_props *p,
			       const uint8_t key[TLS_LEAF_KEYLEN], char *err,
			       size_t errlen);
/*
 * A leaf from a certificate and key read back from the cache directory,
 * when it is still good: signed by ca (not by an older CA), the key
 * matching, not expired. Takes x and pk in every case; NULL when not good.
 */
struct tls_leaf *tls_leaf_adopt(const struct tls_ca *ca, X509 *x,
				EVP_PKEY *pk,
				const uint8_t key[TLS_LEAF_KEYLEN]);

#endif
