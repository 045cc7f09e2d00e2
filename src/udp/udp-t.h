/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp-t.h - types of the UDP relay (src/udp/): TPROXY'd datagrams
 * grouped in flows, one per (client address:port, original destination
 * address:port), each relayed through a socket of its own bound to the
 * client's address.
 */
#ifndef TPROXYD_UDP_UDP_T_H
#define TPROXYD_UDP_UDP_T_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "event/loop-t.h"

struct cfg;
struct cfg_udp_port;
struct quic_hello_ctx;

/*
 * A flow's key: both addresses with their ports, IPv4 in the first 4
 * bytes of an address, the rest zero, so that keys compare with memcmp()
 * and hash as bytes.
 */
struct udp_key {
	uint8_t  family;	/* AF_INET or AF_INET6 */
	uint8_t  pad;
	uint16_t cport;		/* network order */
	uint16_t dport;
	uint16_t pad2;
	uint8_t  caddr[16];
	uint8_t  daddr[16];
};

/* What the first datagram and the port say a flow carries. */
enum udp_proto {
	UDP_P_OTHER,		/* udp_idle_timeout */
	UDP_P_DNS,		/* to port 53: udp_dns_idle_timeout */
	UDP_P_QUIC,		/* to port 443 with a QUIC long header:
				   udp_quic_idle_timeout, SNI read */
};

/*
 * A flow's life: UF_SNIFF (QUIC: the client's datagrams are held and read
 * until its name is known, nothing sent yet) -> UF_RELAY (datagrams go
 * both ways) -> UF_CLOSED. UF_DENIED: udp_access or udp_quic_access said
 * no; the flow stays in the table, without a socket, so that its further
 * datagrams are dropped without another log line until it is idle.
 */
enum udp_flow_state {
	UF_SNIFF,
	UF_RELAY,
	UF_DENIED,
	UF_CLOSED,
};

/* DNS queries of one flow waiting for their answer that are followed
 * (beyond them, the flow waits for its idle timeout). */
#define UDP_DNS_PENDING 4

/* A datagram held while a QUIC flow is read (UF_SNIFF). */
struct udp_held {
	struct udp_held *next;
	size_t           len;
	uint8_t          data[];
};

/* The transparent socket replies leave from, bound to an original
 * destination and shared by its flows (udp_relay.c). */
struct udp_rsock;

struct udp_flow {
	struct udp_key          key;
	struct udp_flow        *hnext;		/* hash chain */
	struct sockaddr_storage cli;		/* the client, as it sent */
	struct sockaddr_storage dst;		/* its original destination */
	enum udp_flow_state     state;
	enum udp_proto          proto;
	int                     fd;		/* to the destination, bound to
						   the client's address; -1 */
	struct evl_io           io;
	struct evl_timer        idle;
	struct udp_rsock       *rs;		/* replies leave from it */
	struct cfg             *cfg;		/* a reference */
	const struct cfg_udp_port *port;	/* its udp_port line in cfg */
	double                  start;
	double                  last;		/* last datagram either way */
	uint64_t                bytes_in;	/* from the client */
	uint64_t                bytes_out;	/* to the client */
	uint64_t                dgrams_in;
	uint64_t                dgrams_out;
	const char             *code;		/* log code: "UDP_RELAY" ... */
	const char             *why;		/* why it ended (cache.log) */
	struct quic_hello_ctx  *quic;		/* UF_SNIFF only */
	struct udp_held        *held;		/* UF_SNIFF: in order */
	struct udp_held       **held_tail;
	size_t                  nheld;
	size_t                  held_bytes;
	char                   *sni;		/* QUIC: the name asked for */
	char                   *alpn;		/* QUIC: first ALPN offered */
	char                   *qname;		/* DNS: the first datagram's
						   question, a host name */
	/* DNS: the IDs of the queries relayed and not answered yet; once
	 * there is none left the flow ends after a short idle time
	 * (dns_off: not followed, the idle timeout ends it). */
	uint16_t                dns_ids[UDP_DNS_PENDING];
	unsigned                dns_n;
	unsigned                counted:1;	/* in the per-client count */
	unsigned                logged:1;	/* its line is written */
	unsigned                dns_off:1;
	unsigned                dns_done:1;	/* every one answered */
};

/* Flows by key, and the number of flows per client address. Chained
 * hash tables with a random seed (a client chooses its ports). */
struct udp_cli;
struct udp_tab {
	struct udp_flow **b;
	size_t            nb;		/* power of 2 */
	size_t            n;
	struct udp_cli  **cb;		/* per-client counts */
	size_t            ncb;		/* power of 2 */
	size_t            nc;
	uint32_t          seed;
};

#endif
