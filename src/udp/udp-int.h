/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp-int.h - what the files of the UDP relay share among themselves
 * (udp_relay.c: sockets, flows and the event loop side; udp_rsock.c: the
 * sockets replies leave from; udp_batch.c: a batch of a flow's datagrams
 * sent together, with GSO). Not for use outside src/udp/.
 */
#ifndef TPROXYD_UDP_UDP_INT_H
#define TPROXYD_UDP_UDP_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "event/loop.h"
#include "udp/udp-t.h"

struct cfg;
struct cfg_udp_port;

/* One udp_port socket (two for a line without an address). */
struct udp_sock {
	int                        fd;
	struct evl_io              io;
	struct sockaddr_storage    addr;
	socklen_t                  len;
	struct cfg                *cfg;		/* not a ref: main keeps
						   it alive */
	const struct cfg_udp_port *port;
	struct udp_sock           *next;
};

struct udp_rsock {
	struct udp_rsock          *next;
	struct sockaddr_storage    addr;
	int                        fd;
	unsigned                   refs;
};

#define RS_BUCKETS  256
#define BATCH       16		/* datagrams per recvmmsg() */
#define DGRAM_MAX   65536	/* a UDP payload is at most 65527 bytes */
#define REPLY_BATCH 64		/* replies read per wake-up, for fairness */
#define SOCK_ROUNDS 4		/* batches read per wake-up, for fairness */
#define HELD_MAX    (64 * 1024)	/* bytes held while a QUIC flow is read */
#define SOCK_RCVBUF (4 << 20)	/* a udp_port socket's receive buffer */

/* A control message buffer for one datagram: its original destination
 * (IPv4 or IPv6) and its GRO segment size in, a GSO segment size out. */
union ctlbuf {
	char           buf[CMSG_SPACE(sizeof(struct sockaddr_in6)) +
			   CMSG_SPACE(sizeof(struct sockaddr_in)) +
			   CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};
/*
 * The client datagrams of one relaying flow gathered from a batch, sent
 * with one sendmmsg(): a bulk stream (QUIC) is mostly one flow's
 * datagrams one after the other. Datagrams of the same size one after
 * the other go as one GSO send (UDP_SEGMENT: one trip through the
 * kernel's output path for all of them, cut into the same datagrams on
 * the way; udp_gso_join() says which); so does an entry read with GRO
 * (several datagrams kept together by the kernel).
 */
struct run_ent {
	unsigned first;		/* its buffers: iov[first .. first+niov) */
	unsigned niov;
	size_t   seg;		/* its datagrams' size (all but the last) */
	size_t   count;		/* datagrams */
	size_t   total;		/* bytes */
	int      closed;	/* takes no more (short last one, GRO) */
};

struct run {
	struct udp_flow *f;
	struct mmsghdr   m[BATCH];
	struct iovec     iov[BATCH];
	union ctlbuf     ctl[BATCH];
	struct run_ent   e[BATCH];
	unsigned         n;		/* entries */
	unsigned         niov;
};

/* ---- udp_relay.c ------------------------------------------------------ */

/* End f: log it, give back what it holds, free it (its callers return at
 * once after it). */
void udp_flow_end(struct udp_flow *f, const char *why);
/* One datagram of the client to the destination (UF_RELAY). 0, or -1
 * when the flow ended (an ICMP error came first). */
int udp_flow_send(struct udp_flow *f, const uint8_t *d, size_t n);

/* ---- udp_dns.c -------------------------------------------------------- */

/* How long a DNS flow whose every query has its answer may stay idle:
 * the time a client reusing its port would take to ask again. */
#define UDP_DNS_LINGER 1.0

/* A DNS flow's first datagram: f->qname, the name it asks for, when it
 * is one query with one question whose name is a host name. */
void udp_dns_question(struct udp_flow *f, const uint8_t *d, size_t n);
/* A DNS flow's query on its way to the destination (d, n: one datagram):
 * its ID is followed until the answer comes. */
void udp_dns_query_out(struct udp_flow *f, const uint8_t *d, size_t n);
/* One datagram (seg: several read together) from a DNS flow's
 * destination: the query it answers is answered. */
void udp_dns_answer_in(struct udp_flow *f, const uint8_t *d, size_t n,
		       size_t seg);
/* Whether every DNS query f relayed has its answer now. */
int udp_dns_answered(const struct udp_flow *f);
/* How long f may stay idle: its protocol's timeout, UDP_DNS_LINGER once
 * a DNS flow is answered. */
double udp_flow_timeout(const struct udp_flow *f);

/* ---- udp_rsock.c ------------------------------------------------------ */

/* The socket replies from dst leave from (a reference), or NULL with
 * *err set (-errno). Opens it when no flow to dst has one. seed: the
 * flow table's (hashes the destinations). */
struct udp_rsock *udp_rsock_get(const struct sockaddr *dst, uint32_t seed,
				int *err);
/* Give back a reference (NULL: nothing); the last one closes it. */
void udp_rsock_put(struct udp_rsock *r, uint32_t seed);

/* ---- udp_batch.c ------------------------------------------------------ */

/* Make m a GSO send of seg-byte datagrams (seg 0: one datagram). */
void udp_gso_ctl(struct mmsghdr *m, union ctlbuf *ctl, size_t seg);
/* Whether a GSO send failed because the path cannot take it: then the
 * datagrams go one by one. */
int udp_gso_refused(int err);
/* The size of the datagrams of m as read with UDP_GRO: 0 for one
 * datagram, else the segment size. */
size_t udp_seg_of(struct mmsghdr *m);
/* Add d (seg: its datagrams' size when it is several, read with GRO) to
 * r when it is one more datagram of r's flow (or r is empty and f
 * relays): 1, else 0 (the caller flushes r and handles d itself). */
int udp_run_add(struct run *r, struct udp_flow *f, uint8_t *d, size_t n,
		size_t seg);
/* Send r's datagrams (the flow may end: ICMP error); r is then empty. */
void udp_run_flush(struct run *r);

#endif
