/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certgen-t.h - types of the bumping certificates (certgen.h): what leaf
 * is asked for, and the cache's counters. The CA, the cache and the leaf
 * are opaque (certgen.c, certcache.c).
 */
#ifndef TPROXYD_TLS_CERTGEN_T_H
#define TPROXYD_TLS_CERTGEN_T_H

#include <stddef.h>
#include <stdint.h>

struct tls_ca;
struct tls_certcache;
struct tls_leaf;

/* The key of a generated leaf. */
enum tls_key_type {
	TLS_KEY_EC_P256 = 0,	/* the default */
	TLS_KEY_RSA2048,	/* for a client that offers no ECDSA */
};

/*
 * What to generate. With srv_der (the real server's leaf certificate,
 * DER): its subject, subject alternative names and validity are mimicked
 * (validity cut to the CA's), its other fields are not. Without: a leaf
 * for host (the SNI) or, when host is NULL or empty, for the address ip
 * (text), valid from a day ago for a year (cut to the CA's validity).
 * A host the mimicked certificate does not name is added to its SANs.
 * untrusted: signed instead by a throwaway CA no client trusts ("Not
 * trusted by ..."): Squid's way of passing a server certificate error on
 * to the client, who then sees one too.
 */
struct tls_leaf_req {
	const uint8_t     *srv_der;
	size_t             srv_len;
	const char        *host;
	const char        *ip;
	enum tls_key_type  key;
	int                untrusted;
};

struct tls_certcache_stats {
	uint64_t generated;	/* leaves made */
	uint64_t mem_hits;	/* answered from memory */
	uint64_t disk_hits;	/* answered from the directory */
	uint64_t entries;	/* in memory now */
	uint64_t mem_bytes;	/* ... their size */
	uint64_t errors;	/* generation or disk failures */
};

#endif
