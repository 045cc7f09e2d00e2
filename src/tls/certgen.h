/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certgen.h - the certificates a bumping port presents (ssl_bump bump):
 * the signing CA of the port (https_port ... cert=CA.pem key=CA.key
 * generate-host-certificates=on), and per-host leaf certificates signed
 * by it, mimicking the real server's certificate (Squid's "mimic") or made
 * from a host name or address alone (client-first), kept in a cache
 * bounded in memory (dynamic_cert_mem_cache_size) and optionally on disk
 * so that they survive restarts.
 *
 * Types in certgen-t.h. OpenSSL 3 (libcrypto) only; no TLS session here.
 * Nothing here prints: errors come back as text for the caller to log.
 */
#ifndef TPROXYD_TLS_CERTGEN_H
#define TPROXYD_TLS_CERTGEN_H

#include <stddef.h>
#include <stdint.h>

#include "tls/certgen-t.h"

/*
 * Load a signing CA: its certificate (PEM; more certificates after it in
 * the file are its chain, sent to clients after the leaf) and its private
 * key (PEM; keyfile NULL: the key is in certfile, as Squid's key= defaults
 * to cert=). Refused, with the reason in err: a key file that others can
 * read (mode & 007: never start with a world-readable key), a key that
 * does not match the certificate, a certificate that cannot sign
 * certificates (basicConstraints CA:TRUE and, when present, keyUsage
 * keyCertSign), one outside its validity. Returns NULL on error.
 */
struct tls_ca *tls_ca_load(const char *certfile, const char *keyfile,
			   char *err, size_t errlen);
void tls_ca_free(struct tls_ca *ca);
/* The CA's subject, one line (for logs and tproxyctl). */
const char *tls_ca_name(const struct tls_ca *ca);

/*
 * A certificate cache: at most mem_bytes of generated certificates and
 * keys in memory (least recently used go first; 0: Squid's default,
 * 4 MB), and when dir is not NULL a directory that keeps them across
 * restarts (created mode 0700 if missing; files mode 0600; at most
 * disk_bytes, oldest removed first; 0: no bound). NULL on error (err).
 */
struct tls_certcache *tls_certcache_new(size_t mem_bytes, const char *dir,
					uint64_t disk_bytes, char *err,
					size_t errlen);
void tls_certcache_free(struct tls_certcache *cc);
void tls_certcache_stats(const struct tls_certcache *cc,
			 struct tls_certcache_stats *st);

/*
 * The leaf for r, signed by ca: from the cache when the same request was
 * answered before (same CA, same mimicked properties), else generated
 * (and cached). Concurrent requests for the same properties in one
 * process get the same leaf (the cache is filled before this returns).
 * Returns a new reference (tls_leaf_unref), or NULL with the reason in
 * err. r->srv_der is hostile input: any bytes are safe.
 */
struct tls_leaf *tls_leaf_get(struct tls_certcache *cc,
			      const struct tls_ca *ca,
			      const struct tls_leaf_req *r, char *err,
			      size_t errlen);
void tls_leaf_unref(struct tls_leaf *l);

/* What a TLS server needs of a leaf (valid while the reference is held):
 * OpenSSL's X509 * and EVP_PKEY *, and the chain to send after the leaf
 * (STACK_OF(X509) *: the CA's chain; for an untrusted leaf, its throwaway
 * issuer). Typed void * so that callers need no OpenSSL header. */
void *tls_leaf_x509(const struct tls_leaf *l);
void *tls_leaf_pkey(const struct tls_leaf *l);
void *tls_leaf_chain(const struct tls_leaf *l);
/* The leaf's properties as text for logs: subject and SANs. */
const char *tls_leaf_desc(const struct tls_leaf *l);

#endif
