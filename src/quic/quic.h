/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quic.h - reading a QUIC v1/v2 client's first flight (types in quic-t.h):
 * long headers, Initial packet protection, and the ClientHello in the
 * CRYPTO stream. Pure functions over byte arrays; no sockets.
 */
#ifndef TPROXYD_QUIC_QUIC_H
#define TPROXYD_QUIC_QUIC_H

#include "quic/quic-t.h"

/*
 * The per-flow reader (quic_hello.c). quic_hello_init() zeroes a context;
 * quic_hello_feed() reads one datagram the client sent (in the order
 * received) and returns QUIC_NEED_MORE, QUIC_DONE (c->hello holds the
 * ClientHello), QUIC_NOT_QUIC or QUIC_MALFORMED (c->why says why); once
 * not QUIC_NEED_MORE it returns the same answer without reading. Only the
 * Initial packets are opened; 0-RTT and Handshake packets coalesced with
 * them are skipped by their length. Never reads outside d[0..n); holds at
 * most QUIC_CRYPTO_MAX bytes of CRYPTO stream. quic_hello_free() releases
 * what the context holds (it may be fed again after quic_hello_init()).
 */
void quic_hello_init(struct quic_hello_ctx *c);
int quic_hello_feed(struct quic_hello_ctx *c, const uint8_t *d, size_t n);
void quic_hello_free(struct quic_hello_ctx *c);

/* "need more", "done", "not QUIC v1/v2", "malformed QUIC Initial". */
const char *quic_rc_str(int rc);

/*
 * One long header packet at the start of p[0..n) (quic_initial.c, RFC 9000
 * §17.2): fills *k (pointers into p) and returns 0, or QUIC_NOT_QUIC (a
 * short header, Version Negotiation, another version: k->version is set
 * when 5 bytes were there) or QUIC_MALFORMED, with *why set. k->len never
 * exceeds n.
 */
int quic_initial_parse(const uint8_t *p, size_t n, struct quic_pkt *k,
		       const char **why);

/*
 * The Initial keys of a version for a client's Destination CID (RFC 9001
 * §5.2, RFC 9369 §3.3): the client's (server 0) or the server's. 0, or -1
 * for an unknown version or a failure of libcrypto.
 */
int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
		      int server, struct quic_keys *keys);

/*
 * Remove the header protection of the Initial packet k (parsed from p)
 * and decrypt its payload into out (room for k->len bytes), with
 * largest_pn the highest packet number opened so far (-1: none). 0 with
 * *outlen and *pn set, or QUIC_MALFORMED with *why.
 */
int quic_initial_open(const struct quic_keys *keys, const uint8_t *p,
		      const struct quic_pkt *k, int64_t largest_pn,
		      uint8_t *out, size_t *outlen, uint64_t *pn,
		      const char **why);

/*
 * Build a protected client Initial packet (for the tests and the fuzz
 * corpus generator: a proxy never sends one). Writes it to out and
 * returns its length, or -1 when it does not fit in outsz or the
 * arguments cannot make a packet (s->payload_len + s->pn_len < 4: no
 * header protection sample).
 */
long quic_initial_seal(const struct quic_seal *s, uint8_t *out,
		       size_t outsz);

/* A variable-length integer (RFC 9000 §16) at p[0..n): its length in
 * bytes (1, 2, 4 or 8) with *v set, or 0 when it does not fit. */
size_t quic_varint(const uint8_t *p, size_t n, uint64_t *v);

#endif
