/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gre-t.h - types and wire constants of the WCCPv2 GRE data plane
 * (gre.c, gre_return.c, gre_tun.c; functions in gre.h).
 *
 * A router that redirects with the GRE forwarding method sends each
 * redirected packet to the cache as
 *
 *   outer IPv4 header (protocol 47, router -> cache)
 *   GRE base header, 4 bytes: flags and version 0, protocol type 0x883E
 *   WCCPv2 redirect header, 4 bytes (draft-wilson-wrec-wccp-v2-01 4.12.1):
 *     |0|0|0|0|0|flags | Service ID | Alt Bucket | Pri Bucket |
 *   the original packet, unchanged (IPv4)
 *
 * A packet the cache declines goes back the same way (draft 4.13, the
 * GRE packet return method): outer IPv4 (cache -> that router), the same
 * GRE header, the redirect header as received (a null one when the
 * router sent none) and the original packet, unchanged.
 */
#ifndef TPROXYD_WCCP_GRE_T_H
#define TPROXYD_WCCP_GRE_T_H

#include <stddef.h>
#include <stdint.h>

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

/* ---- packet return (gre_return.c) ---- */

/*
 * What the flow classifier needs of an inner IPv4 TCP segment
 * (wccp2_tcp_seg_parse()). Addresses and ports in host byte order.
 */
struct wccp2_tcp_seg {
	uint32_t        saddr, daddr;
	uint16_t        sport, dport;
	uint8_t         flags;		/* WCCP2_TCP_* below */
};
#define WCCP2_TCP_FIN		0x01
#define WCCP2_TCP_SYN		0x02
#define WCCP2_TCP_RST		0x04
#define WCCP2_TCP_ACK		0x10

/* wccp2_tcp_seg_parse() results. */
enum wccp2_seg_kind {
	WCCP2_SEG_TCP		= 0,	/* a TCP segment: *s is filled */
	WCCP2_SEG_OTHER		= 1,	/* another protocol: never served */
	WCCP2_SEG_FRAGMENT	= 2,	/* a TCP fragment without the ports
					   (or a truncated header) */
};

/*
 * One flow: a TCP 4-tuple, the same entry for both directions. The
 * endpoints are stored in canonical order (the smaller address:port is
 * endpoint 0), so the client's segments and the origin's answers find it.
 */
enum wccp2_flow_state {
	WCCP2_FS_FREE		= 0,	/* on the free list */
	WCCP2_FS_SERVE		= 1,	/* this cache holds the connection:
					   its segments are injected */
	WCCP2_FS_RETURN		= 2,	/* the kernel holds no connection
					   for it: returned (negative
					   cache of a kernel lookup) */
};

struct wccp2_flow {
	uint32_t        ip[2];		/* canonical endpoints */
	uint16_t        port[2];
	uint32_t        next;		/* index + 1 in the chain or free
					   list; 0 ends it */
	uint32_t        last;		/* last segment, caller's seconds */
	uint8_t         state;		/* enum wccp2_flow_state */
	uint8_t         fin;		/* bit i: FIN seen from endpoint i */
};

/* Lifetimes, in seconds of inactivity. */
#define WCCP2_FLOW_IDLE_S	300	/* a served flow */
#define WCCP2_FLOW_CLOSED_S	60	/* ... after a FIN each way (the
					   kernel's TIME_WAIT length) */
#define WCCP2_FLOW_RETURN_S	60	/* a returned flow */

/*
 * The bounded flow table of the decapsulator. Fixed capacity, allocated
 * once (wccp2_flow_init); chained hashing over entry indexes, so nothing
 * is allocated per packet. Counters are for logs.
 */
struct wccp2_flowtab {
	struct wccp2_flow *flow;	/* cap entries */
	uint32_t       *head;		/* nbucket chain heads (index + 1) */
	uint32_t        cap;
	uint32_t        mask;		/* nbucket - 1 (a power of two) */
	uint32_t        salt;		/* hash salt (random: see init) */
	uint32_t        free_head;	/* index + 1, 0: table full */
	uint32_t        n;		/* entries in use */
	uint32_t        nreturn;	/* ... of them WCCP2_FS_RETURN */
	uint32_t        sweep;		/* next index wccp2_flow_expire()
					   looks at */
	uint32_t        last_full_sweep;/* when a full table was last
					   swept for expired entries */
	uint64_t        full;		/* new flows refused: table full */
	uint64_t        lookups;	/* kernel lookups made */
};

/*
 * Ask the kernel whether it holds a TCP connection (any state but
 * LISTEN) whose local side is the segment's destination and remote side
 * its source. Returns 1 (yes), 0 (no) or a negative errno (could not
 * tell: treated as no).
 */
typedef int wccp2_flow_lookup_fn(void *arg, const struct wccp2_tcp_seg *s);

/* What to do with a redirected TCP segment (wccp2_flow_classify()). */
enum wccp2_flow_verdict {
	WCCP2_FV_INJECT_SYN	= 0,	/* a SYN: a new flow, tracked */
	WCCP2_FV_INJECT		= 1,	/* a tracked flow */
	WCCP2_FV_INJECT_KERNEL	= 2,	/* untracked, but the kernel holds
					   its connection (now tracked) */
	WCCP2_FV_RETURN		= 3,	/* not this cache's: return it */
	WCCP2_FV_RETURN_FULL	= 4,	/* a SYN while the table is full:
					   returned, so the client talks
					   to the origin directly */
};

#endif
