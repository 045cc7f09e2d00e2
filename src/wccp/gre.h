/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gre.h - the WCCPv2 GRE data plane: the pure parser and builders
 * (gre.c), packet return (gre_return.c: the return encapsulation and the
 * flow table that decides what to return) and the raw socket -> TUN
 * decapsulator (gre_tun.c). Types and the wire format are in gre-t.h.
 *
 * tproxyd does not need the kernel's ip_gre module: gre_tun.c reads the
 * redirected packets from a raw IPPROTO_GRE socket and writes the
 * original packet to a TUN device, where it enters the normal receive
 * path (PREROUTING, TPROXY, policy routing) as if it had arrived on that
 * interface; packets of connections this cache does not hold go back to
 * the router instead (wccp2_return_method gre).
 */
#ifndef TPROXYD_WCCP_GRE_H
#define TPROXYD_WCCP_GRE_H

#include <stddef.h>
#include <stdint.h>

#include "wccp/gre-t.h"

/* Big-endian reads of wire fields (headers need not be aligned). */
static inline uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

struct cfg;

/*
 * Parse one packet as read from a raw IPPROTO_GRE socket (outer IPv4
 * header included; the kernel has already reassembled fragments). Pure:
 * no I/O, no allocation. Bytes after the outer total length (link-layer
 * padding) are ignored; so are bytes after the inner total length.
 *
 * The redirect header is optional, as in Linux's ip_gre and Wireshark:
 * WCCPv1 routers put the original packet right after the GRE header, and
 * the first octet of an IPv4 packet (0x4N) can never start a redirect
 * header (whose five high bits are zero).
 *
 * Returns 0 with *p filled, or a WCCP2_GRE_E_* code.
 */
int wccp2_gre_parse(const uint8_t *buf, size_t len, struct wccp2_gre_pkt *p);

/* A static description of a WCCP2_GRE_E_* code. */
const char *wccp2_gre_strerror(int err);

/*
 * Build a GRE+redirect packet around the IPv4 packet inner (for tests and
 * the fuzz target): no outer IP header (a raw socket adds it), just the
 * 8 bytes of GRE and redirect header followed by inner. Returns the
 * length written, or -1 when cap is too small.
 */
int wccp2_gre_encap(const uint8_t *inner, size_t len, uint8_t service_id,
		    int dynamic, uint8_t bucket, uint8_t *out, size_t cap);

/* ---- gre_return.c: packet return (pure: no I/O, no clock) ---- */

/*
 * Turn the packet p was parsed from (buf, as given to wccp2_gre_parse)
 * into the GRE packet that returns its original packet to the router,
 * in place (draft-wilson-wrec-wccp-v2-01 4.13): the 8 bytes before the
 * original packet become the base GRE header (flags and version 0,
 * protocol type 0x883E) and the redirect header as received, or a null
 * one (4 zero bytes) when the router sent none (WCCPv1 style, where
 * those bytes were the outer header's). The outer IPv4 header (cache ->
 * router) is the raw socket's to add. Returns the length to send, from
 * buf + *start; the original packet is not touched.
 */
size_t wccp2_gre_return_encap(uint8_t *buf, const struct wccp2_gre_pkt *p,
			      size_t *start);

/*
 * Read the ports and flags of the IPv4 packet ip (len bytes, its total
 * length already checked by wccp2_gre_parse). Returns a
 * enum wccp2_seg_kind; *s is filled for WCCP2_SEG_TCP.
 */
int wccp2_tcp_seg_parse(const uint8_t *ip, size_t len,
			struct wccp2_tcp_seg *s);

/*
 * Allocate a flow table of cap entries (>= 1; the chain heads round up
 * to a power of two) hashed with salt. Returns 0 or -ENOMEM. The only
 * allocation the table ever makes; wccp2_flow_free() releases it.
 */
int wccp2_flow_init(struct wccp2_flowtab *t, uint32_t cap, uint32_t salt);
void wccp2_flow_free(struct wccp2_flowtab *t);

/*
 * Decide whether the redirected segment s is injected (this cache serves
 * it) or returned to the router, updating the table; now is the caller's
 * clock in seconds. The rules:
 *
 *  - SYN without ACK (a client opening a connection): tracked as served,
 *    injected. With the table full (after dropping what has expired) it
 *    is returned instead: the client then talks to the origin directly,
 *    and flows already served keep their entries (WCCP2_FV_RETURN_FULL).
 *  - any other segment of a served flow: injected; a FIN each way
 *    shortens the entry's life, an RST ends it.
 *  - any other segment of a flow the table does not know (it began
 *    before its bucket came to this cache, or the entry expired): the
 *    kernel decides, through lookup (called only here): a connection ->
 *    tracked as served and injected (the SYN-ACK of a connection tproxyd
 *    opened from the client's address arrives so); none -> returned and
 *    remembered as such for WCCP2_FLOW_RETURN_S, so the lookup is not
 *    repeated for every segment. A SYN-ACK always asks the kernel again.
 *
 * Returned-flow entries never take the last quarter of the table, which
 * stays for flows to serve. Returns an enum wccp2_flow_verdict.
 */
int wccp2_flow_classify(struct wccp2_flowtab *t, const struct wccp2_tcp_seg *s,
			uint32_t now, wccp2_flow_lookup_fn *lookup, void *arg);

/* Free up to budget entries' worth of expired flows, resuming where the
 * last call stopped. Returns the number freed. */
uint32_t wccp2_flow_expire(struct wccp2_flowtab *t, uint32_t now,
			   uint32_t budget);

/* The entry of the flow s belongs to, or NULL (for tests and logs). */
const struct wccp2_flow *wccp2_flow_find(const struct wccp2_flowtab *t,
					 const struct wccp2_tcp_seg *s);

/* Nonzero when v sends the packet back to the router. */
static inline int
wccp2_flow_returns(int v)
{
	return v == WCCP2_FV_RETURN || v == WCCP2_FV_RETURN_FULL;
}

/* ---- gre_tun.c: raw socket -> TUN (one per host, like the control
 * plane) ---- */

/*
 * Open the raw IPPROTO_GRE socket and the TUN device (CAP_NET_RAW and
 * CAP_NET_ADMIN: call while privileged). Idempotent: a second call keeps
 * what is open. Does not touch the event loop, so it runs at start-up
 * before the privileges are dropped (every process count); the worker
 * that runs WCCP inherits the descriptors. Returns 0 (also when c does
 * not use GRE forwarding), or -1 with the reason in err (for the
 * operator: which capability or device is missing).
 */
int wccp2_gre_open(const struct cfg *c, char *err, size_t size);

/* -k upgrade: the open raw socket and TUN device, for the new program
 * (which takes them over in wccp2_gre_open()). Returns how many were put
 * in fds (0 or 2). */
size_t wccp2_gre_fds(int *fds, size_t max);

/* Where the systemd drop-in that grants what GRE forwarding needs is
 * installed (for messages). */
#define WCCP2_GRE_DROPIN_HINT \
	"under systemd, copy " TPROXYD_EXAMPLES "/wccp-gre.conf into " \
	"/etc/systemd/system/tproxyd.service.d/ and run `systemctl " \
	"daemon-reload` (tproxyd(8), WCCP)"

/*
 * Can the open data plane still deliver what the routers redirect? NULL
 * when it can (or it cannot be told), else why not: the TUN device was
 * removed or set down by someone. Needs no privilege.
 */
const char *wccp2_gre_down(void);

/*
 * Start decapsulating for c: open if needed (wccp2_gre_open), accept GRE
 * only from c's wccp2_router addresses, watch the raw socket. With
 * wccp2_return_method gre, also packet return: the flow table (allocated
 * once, kept across reconfigures) and the sock_diag socket; with l2,
 * they are released and every packet is injected. When c does not use
 * GRE forwarding, close what is open. Returns 0 or -1 (logged; never
 * fatal: the control plane still runs).
 */
int wccp2_gre_start(const struct cfg *c);

/* Stop watching, keep the descriptors (reconfigure: they cannot be
 * re-opened without the privileges dropped at start-up). */
void wccp2_gre_pause(void);

/* The process is shutting down (its listeners are closed): with packet
 * return on, SYNs of new connections are returned from now on, so the
 * clients reach the origin directly while established connections are
 * still served here. */
void wccp2_gre_drain(void);

/* Close the socket and the TUN device (it disappears with its last
 * descriptor), and release packet return (logging its last summary). */
void wccp2_gre_close(void);

#endif
