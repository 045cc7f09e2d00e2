/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * htcp-t.h - HTCP/0.x messages (RFC 2756), the types of htcp.c.
 *
 * A message is one UDP datagram, all fields in network byte order:
 *
 *   HEADER  0  LENGTH (16): the whole message
 *           2  MAJOR (8) = 0 | MINOR (8): 0 in RFC 2756; Squid sends 1
 *              and reads 0 as an old, bit-swapped Squid layout
 *   DATA    0  LENGTH (16): the DATA section, these 8 bytes included
 *           2  OPCODE (4) | RESPONSE (4)
 *           3  RESERVED (6) | F1 (1) | RR (1)
 *           4  TRANS-ID (32)
 *           8  OP-DATA
 *   AUTH    0  LENGTH (16): 2 when there is no signature (what Squid
 *              sends), then SIG-TIME, SIG-EXPIRE, KEY-NAME, SIGNATURE
 *
 * A COUNTSTR is a 16-bit length and that many bytes (no NUL). A
 * SPECIFIER is four COUNTSTRs: METHOD, URI, VERSION, REQ-HDRS (header
 * lines ending in CRLF). A DETAIL is three: RESP-HDRS, ENTITY-HDRS,
 * CACHE-HDRS.
 *
 * RR is 0 in a request, 1 in a response. In a request F1 is RD (response
 * desired); in a response MO (the opcode-specific part is an error).
 */
#ifndef TPROXYD_CACHE_HTCP_T_H
#define TPROXYD_CACHE_HTCP_T_H

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define HTCP_HDR_LEN	4
#define HTCP_DATA_LEN	8	/* the DATA section's fixed part */
#define HTCP_MINOR	1	/* what we send: the RFC's layout, which
				   Squid reads when MINOR is not 0 */

enum htcp_op {
	HTCP_OP_NOP = 0,
	HTCP_OP_TST = 1,
	HTCP_OP_MON = 2,
	HTCP_OP_SET = 3,
	HTCP_OP_CLR = 4,
};

/* RESPONSE of a TST response (RFC 2756 section 4.3). */
#define HTCP_TST_HIT	0	/* present in the responder's cache */
#define HTCP_TST_MISS	1	/* not present */

/* RESPONSE of a CLR response (section 4.5). */
#define HTCP_CLR_GONE	0	/* had it, it is gone now */
#define HTCP_CLR_KEPT	1	/* had it, keeping it */
#define HTCP_CLR_NONE	2	/* did not have it */

/* Why htcp_parse() refused a datagram (negative). */
enum htcp_err {
	HTCP_E_SHORT    = -1,	/* shorter than HEADER + DATA's fixed part */
	HTCP_E_LENGTH   = -2,	/* LENGTH is not the datagram's size */
	HTCP_E_VERSION  = -3,	/* MAJOR is not 0 */
	HTCP_E_DATA     = -4,	/* DATA LENGTH under 8 or past the end */
	HTCP_E_AUTH     = -5,	/* AUTH LENGTH does not fill the rest */
	HTCP_E_OPCODE   = -6,	/* OPCODE over 4 */
	HTCP_E_COUNTSTR = -7,	/* a COUNTSTR runs past OP-DATA, or one is
				   missing */
	HTCP_E_TRAILING = -8,	/* bytes left in OP-DATA after what the
				   opcode defines */
};

/* Views into the datagram, valid while it is. */
struct htcp_spec {
	struct str method;
	struct str uri;
	struct str version;
	struct str req_hdrs;
};

struct htcp_detail {
	struct str resp_hdrs;
	struct str entity_hdrs;
	struct str cache_hdrs;
};

struct htcp_msg {
	uint8_t     major, minor;
	enum htcp_op op;
	uint8_t     response;	/* RESPONSE (responses) */
	uint8_t     f1;		/* RD in a request, MO in a response */
	uint8_t     rr;		/* 0 request, 1 response */
	uint32_t    trans_id;
	struct str  opdata;	/* the whole OP-DATA */
	/* TST and CLR requests: the SPECIFIER. */
	int         has_spec;
	struct htcp_spec spec;
	unsigned    reason;	/* CLR request: REASON (0..15) */
	/* TST response with OP-DATA: the DETAIL. */
	int         has_detail;
	struct htcp_detail detail;
};

#endif
