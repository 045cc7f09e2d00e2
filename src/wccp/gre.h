/*
 * gre.h - the WCCPv2 GRE data plane.
 *
 * A router that redirects with the GRE forwarding method sends each
 * redirected packet to the cache as
 *
 *   outer IPv4 header (protocol 47, router -> cache)
 *   GRE base header, 4 bytes: flags and version 0, protocol type 0x883E
 *   WCCPv2 redirect header, 4 bytes (draft-wilson-wrec-wccp-v2, "Redirect
 *     Header"):  |0|0|0|0|0|flags | Service ID | Alt Bucket | Pri Bucket |
 *   the original packet, unchanged (IPv4)
 *
 * tproxyd does not need the kernel's ip_gre module: gre.c parses this
 * (pure, below) and gre_tun.c reads it from a raw IPPROTO_GRE socket and
 * writes the original packet to a TUN device, where it enters the normal
 * receive path (PREROUTING, TPROXY, policy routing) as if it had arrived
 * on that interface.
 */
#ifndef TPROXYD_WCCP_GRE_H
#define TPROXYD_WCCP_GRE_H

#include <stddef.h>
#include <stdint.h>

struct cfg;

#define WCCP2_GRE_PROTO		0x883e	/* GRE protocol type for WCCP */
#define WCCP2_GRE_HDR_LEN	4	/* base GRE header, no options */
#define WCCP2_REDIR_HDR_LEN	4	/* WCCPv2 redirect header */
/* Redirect header, first octet: the five high bits are zero; the low
 * bits are flags (bit masks as Wireshark's GRE dissector names them). */
#define WCCP2_RH_DYNAMIC	0x01	/* service id is a dynamic service */
#define WCCP2_RH_ALT_BUCKET	0x02	/* the alternate bucket was used */
#define WCCP2_RH_IGNORE		0x04	/* present, but contents not valid */
#define WCCP2_RH_MBZ		0xf8	/* must be zero */

/* The TUN device the decapsulated packets come in on (match it with
 * `iifname` in the TPROXY rules). */
#define WCCP2_GRE_TUN_NAME	"tpxwccp0"

/* wccp2_gre_parse() results (< 0). */
enum wccp2_gre_err {
	WCCP2_GRE_E_SHORT	= -1,	/* shorter than the headers */
	WCCP2_GRE_E_OUTER	= -2,	/* outer header: not IPv4, bad IHL
					   or total length */
	WCCP2_GRE_E_NOTGRE	= -3,	/* outer protocol is not 47 */
	WCCP2_GRE_E_FRAGMENT	= -4,	/* outer header is a fragment */
	WCCP2_GRE_E_FLAGS	= -5,	/* GRE flags or version not 0 */
	WCCP2_GRE_E_PROTO	= -6,	/* GRE protocol type not 0x883E */
	WCCP2_GRE_E_REDIRECT	= -7,	/* redirect header: reserved bits */
	WCCP2_GRE_E_INNER	= -8,	/* inner packet: not IPv4, bad IHL
					   or total length */
};

/* A parsed packet: offsets into the caller's buffer. */
struct wccp2_gre_pkt {
	uint32_t        outer_src;	/* host byte order: the router */
	uint32_t        outer_dst;
	int             has_redirect;	/* 0: a WCCPv1-style packet */
	uint8_t         rh_flags;	/* WCCP2_RH_* */
	uint8_t         service_id;
	uint8_t         alt_bucket;
	uint8_t         pri_bucket;
	size_t          inner_off;	/* the original packet */
	size_t          inner_len;	/* its IPv4 total length */
};

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

/* ---- gre_tun.c: raw socket -> TUN (one per host, like the control
 * plane) ---- */

/*
 * Open the raw IPPROTO_GRE socket and the TUN device (CAP_NET_RAW and
 * CAP_NET_ADMIN: call while privileged). Idempotent: a second call keeps
 * what is open. Does not touch the event loop, so the master of several
 * workers may call it before dropping privileges; kid1 inherits the
 * descriptors. Returns 0 (also when c does not use GRE forwarding), or
 * -1 after logging why.
 */
int wccp2_gre_open(const struct cfg *c);

/*
 * Start decapsulating for c: open if needed (wccp2_gre_open), accept GRE
 * only from c's wccp2_router addresses, watch the raw socket. When c does
 * not use GRE forwarding, close what is open. Returns 0 or -1 (logged;
 * never fatal: the control plane still runs).
 */
int wccp2_gre_start(const struct cfg *c);

/* Stop watching, keep the descriptors (reconfigure: they cannot be
 * re-opened without the privileges dropped at start-up). */
void wccp2_gre_pause(void);

/* Close the socket and the TUN device (it disappears with its last
 * descriptor). */
void wccp2_gre_close(void);

#endif
