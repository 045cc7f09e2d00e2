/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * learn-t.h - types of the DNS answer learner (learn.c: the packet socket
 * and the API in learn.h; learn_tab.c: the table; learn_pkt.c: IP and
 * UDP headers).
 *
 * The table maps a name (lowercase, no trailing dot) to the addresses a
 * trusted resolver gave for it, each with its own expiry. Its memory is
 * bounded: at most LEARN_MAX_NAMES names of at most LEARN_MAX_ADDRS
 * addresses; a full table drops its least recently used name, a full name
 * the address that expires first. A name costs 296 bytes plus its text
 * and malloc's overhead: a full table of 33-character names measured
 * 5.6 MiB of heap (buckets included), per worker.
 */
#ifndef TPROXYD_LEARN_LEARN_T_H
#define TPROXYD_LEARN_LEARN_T_H

#include <stddef.h>
#include <stdint.h>

#define LEARN_MAX_NAMES		16384
#define LEARN_MAX_ADDRS		8
/*
 * An answer stays good this long after its TTL: stub resolvers and
 * applications keep answers past the TTL. Firefox keeps an entry 60 s
 * (its default when the system resolver gives no TTL, as getaddrinfo
 * does) and uses it 60 s more while refreshing it; Chrome and Java cache
 * getaddrinfo results 60 and 30 s whatever the TTL. So a client may
 * connect to an address up to about 120 s after it was told, even when
 * the TTL was 5 s. Keeping an answer longer never admits an address no
 * trusted resolver gave for the name.
 */
#define LEARN_GRACE		120
/* TTLs are capped at a day (unbound's default cache-max-ttl). */
#define LEARN_MAX_TTL		86400
/* CNAME chains are followed this far (resolvers stop near 10-16). */
#define LEARN_MAX_CHAIN		16

/* One learnt address of a name: IPv4 in the first 4 bytes of a. */
struct learn_addr {
	uint8_t a[16];
	uint8_t family;		/* AF_INET or AF_INET6 */
	double  expires;	/* evl_now() seconds */
};

struct learn_ent {
	struct learn_ent *hnext;	/* same bucket */
	struct learn_ent *lprev;	/* LRU list, more recent */
	struct learn_ent *lnext;	/* ... less recent */
	uint64_t          hash;
	unsigned          naddr;
	struct learn_addr addr[LEARN_MAX_ADDRS];
	char              name[];	/* NUL-terminated */
};

/* A name -> addresses table (learn_tab.c). Zeroed: not initialized. */
struct learn_tab {
	struct learn_ent **bucket;
	uint32_t           mask;	/* buckets - 1 (a power of two) */
	struct learn_ent  *head;	/* most recently used */
	struct learn_ent  *tail;	/* least recently used */
	uint32_t           n;		/* names held */
	uint32_t           max;		/* at most this many */
	uint64_t           key[2];	/* SipHash key (random: a name's
					   bucket cannot be predicted, so
					   chains cannot be made long on
					   purpose) */
	uint64_t           evicted;	/* names dropped for room */
};

#endif
