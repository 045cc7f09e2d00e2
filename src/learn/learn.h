/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * learn.h - learning the DNS answers clients actually receive, so that
 * Host (and TLS SNI) verification can accept an address a trusted
 * resolver gave the client for that name even when tproxyd's own lookup
 * gets other addresses (CDNs answer per resolver and per query).
 *
 * How: one AF_PACKET socket per serving process sees, through a kernel
 * filter, only UDP packets from port 53 that this host sends out: answers
 * it forwards to clients, and answers of a resolver running on it.
 * Answers merely arriving are never learnt: the packet socket sees them
 * before the kernel's reverse-path and netfilter checks, so a client
 * could forge them; a forwarded answer has passed those checks. Of those,
 * only answers whose source address is a trusted resolver
 * (host_verify_trusted_resolvers) are kept, in a bounded table
 * (learn-t.h).
 *
 * Life:
 *   learn_open()      at start-up, while privileged (CAP_NET_RAW), once
 *                     per serving process to come (workers N: N times);
 *   learn_attach(k)   in worker k: use the k-th socket, close the others;
 *   learn_apply(c)    after evl_init() and after each load: on or off,
 *                     the trusted set (the socket stays across reloads);
 *   learn_seen()      from the request path;
 *   learn_close()     at exit.
 * With workers every worker has its own socket and table, and each sees
 * every packet (a packet socket gets a copy of each packet that passes
 * its filter), so each learns everything.
 */
#ifndef TPROXYD_LEARN_LEARN_H
#define TPROXYD_LEARN_LEARN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "learn/learn-t.h"

struct cfg;
struct dnsmsg;
struct dnsmsg_rr;

/*
 * Open one more packet socket (with a filter that passes nothing until
 * learn_apply() turns learning on). Returns 0, or a negative errno with a
 * message in err (-EPERM: CAP_NET_RAW is missing).
 */
int learn_open(char *err, size_t errlen);
/* In the process serving as kid (1-based): use the socket opened for it
 * by the kid-th learn_open() and close this process's copies of the
 * others. Without workers it is not needed (the first socket is used). */
void learn_attach(unsigned kid);
/*
 * Apply c (host_verify_learn_dns, host_verify_trusted_resolvers): start
 * or stop reading (from the event loop, so after evl_init()), take the
 * trusted set (a change forgets what was learnt). Turning learning on
 * without a socket (it was off at start-up) only logs a warning that a
 * restart is needed. Logs what it does to cache.log.
 */
void learn_apply(const struct cfg *c);
/*
 * 1 when a trusted resolver told some client that name (a host name, any
 * case, a trailing dot allowed) has the address of addr (IPv4, IPv6 or
 * IPv4-mapped IPv6; port ignored) and that answer is still fresh (its TTL
 * plus LEARN_GRACE); else 0, and always 0 while learning is off. Answers
 * already queued on the socket are read before saying no, so an answer
 * that passed just before the client's connection counts. Each 1 is
 * counted in the metrics (verifications by learnt answers).
 */
int learn_seen(const char *name, const struct sockaddr *addr);
void learn_close(void);

/* ---- pure parts, for the tests (learn_tab.c, learn_pkt.c) ----------- */

/* An empty table for at most max names; key: 16 random bytes. 0, -EINVAL
 * or -ENOMEM. */
int learn_tab_init(struct learn_tab *t, uint32_t max, const uint8_t key[16]);
void learn_tab_free(struct learn_tab *t);
void learn_tab_clear(struct learn_tab *t);
/* Add or refresh name (lowercase, no trailing dot) -> addr (4 or 16
 * bytes by family), good until expires (a later expiry wins). 0, -EINVAL
 * or -ENOMEM. */
int learn_tab_add(struct learn_tab *t, const char *name, int family,
		  const uint8_t *addr, double expires, double now);
/* 1 when name has addr, not expired at now (and name becomes the most
 * recently used); else 0. Expired addresses are dropped on the way. */
int learn_tab_has(struct learn_tab *t, const char *name, int family,
		  const uint8_t *addr, double now);
/* SipHash-2-4 under the table's key of len bytes at p: a name's bucket. */
uint64_t learn_tab_hash(const struct learn_tab *t, const void *p,
			size_t len);
/*
 * Learn one response (already judged worth learning: from a trusted
 * resolver, NOERROR, not truncated): the question name gets the A and
 * AAAA addresses at the end of its CNAME chain (at most LEARN_MAX_CHAIN
 * links), each good for the smallest TTL on the way (capped at
 * LEARN_MAX_TTL) plus LEARN_GRACE. Records about other names are not
 * learnt. Returns how many addresses were added or refreshed.
 */
int learn_tab_answer(struct learn_tab *t, const struct dnsmsg *m,
		     const struct dnsmsg_rr *rr, size_t nrr, double now);
/*
 * The source address and UDP payload of a packet that starts at its IP
 * header, when it is a whole UDP datagram from port 53 over IPv4 (not a
 * fragment) or IPv6 (UDP right after the fixed header: packets with
 * extension headers are ignored). 0, or -1 for anything else.
 */
int learn_pkt_udp(const uint8_t *pkt, size_t len,
		  struct sockaddr_storage *src, const uint8_t **payload,
		  size_t *plen);

#endif
