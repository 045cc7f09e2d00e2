/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp.h - the UDP relay (types in udp-t.h): udp_flow.c (the flow table
 * and what a flow is; pure, no sockets) and udp_relay.c (the udp_port
 * sockets and the flows' event loop side).
 */
#ifndef TPROXYD_UDP_UDP_H
#define TPROXYD_UDP_UDP_H

#include "udp/udp-t.h"

struct cfg;

/* ---- udp_flow.c */

/* The key of the flow of a datagram from cli to dst (same family; an
 * IPv4-mapped address must have been unmapped). 0, or -1 for another
 * family or two families. */
int udp_key_make(struct udp_key *k, const struct sockaddr *cli,
		 const struct sockaddr *dst);
uint32_t udp_key_hash(const struct udp_key *k, uint32_t seed);

/* An empty table (seed 0: one from the clock). 0 or -ENOMEM. */
int udp_tab_init(struct udp_tab *t, uint32_t seed);
/* Free the table's memory (not the flows). */
void udp_tab_free(struct udp_tab *t);
struct udp_flow *udp_tab_find(const struct udp_tab *t,
			      const struct udp_key *k);
/* Add f (f->key set, not in the table): 0, -EEXIST when a flow has that
 * key, -ENOMEM. Counts f against its client's address. */
int udp_tab_add(struct udp_tab *t, struct udp_flow *f);
/* Take f out of the table (it must be in it) and its client's count. */
void udp_tab_del(struct udp_tab *t, struct udp_flow *f);
/* Flows in the table from the client address of k (ports ignored). */
size_t udp_tab_client_flows(const struct udp_tab *t, const struct udp_key *k);

/* What a flow to port dport whose first datagram is d[0..n) carries. */
enum udp_proto udp_proto_guess(unsigned dport, const uint8_t *d, size_t n);
/* "dns", "quic", "udp". */
const char *udp_proto_str(enum udp_proto p);
/* "sniff", "relay", "denied", "closed". */
const char *udp_flow_state_str(enum udp_flow_state s);
/* The idle timeout of a flow carrying p under c's udp_*idle_timeout. */
double udp_idle_timeout(const struct cfg *c, enum udp_proto p);

/*
 * UDP GRO / GSO: a udp_port socket with UDP_GRO set may hand over, in one
 * read, several datagrams of one sender that the kernel kept together
 * (the sender used UDP_SEGMENT, or a device coalesced them): all of
 * seg bytes but the last, which may be shorter. The size comes in a
 * (SOL_UDP, UDP_GRO) control message.
 */
/* The segment size of m's datagrams, from its UDP_GRO control message, or
 * 0 when there is none (one datagram). */
size_t udp_gro_size(struct msghdr *m);
/* How many datagrams n bytes cut every seg bytes are (seg 0: one; n 0:
 * one, an empty datagram). */
size_t udp_seg_count(size_t n, size_t seg);

/*
 * Coalescing single datagrams of one flow into one GSO send: a group of
 * count datagrams of seg bytes (total bytes in all; closed when the last
 * one was shorter than seg) may take one more of n bytes when n is at
 * most seg (not empty), the group is not closed, and it stays within
 * what a GSO send takes (UDP_GSO_SEGS datagrams, UDP_GSO_BYTES bytes).
 */
#define UDP_GSO_SEGS  64	/* UDP_MAX_SEGMENTS before Linux 6.9 */
#define UDP_GSO_BYTES 65000	/* a datagram's payload, headers left out */
int udp_gso_join(size_t seg, size_t count, size_t total, int closed,
		 size_t n);

/* ---- udp_relay.c */

/*
 * Make the udp_port sockets match c (keep those that stay, open the new
 * ones, close the rest); new flows use c, which must stay alive until
 * the next udp_apply() or udp_close_all(). Returns 0, or -1 when a
 * socket could not be opened (logged, and with startup printed on
 * stderr too): that port stays closed, the others are applied. Needs
 * the capability IP_TRANSPARENT needs when c has a udp_port.
 */
int udp_apply(struct cfg *c, int startup);
/* Close every socket and end every flow (logging them): shutdown. */
void udp_close_all(void);
/* Flows in the table now. */
size_t udp_nflows(void);
/* The descriptors of the open udp_port sockets (at most max), for
 * -k upgrade to hand them to the new program. Returns how many. */
size_t udp_fds(int *fds, size_t max);

#endif
