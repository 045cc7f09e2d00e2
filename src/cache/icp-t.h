/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icp-t.h - ICPv2 messages (RFC 2186), the types of icp.c.
 *
 * Every message is one UDP datagram: a 20-byte header, all fields in
 * network byte order, then the payload:
 *
 *   0        Opcode (8) | Version (8) | Message Length (16)
 *   4        Request Number (32)
 *   8        Options (32)
 *   12       Option Data (32)
 *   16       Sender Host Address (32)
 *   20       payload: ICP_OP_QUERY: Requester Host Address (32), then
 *            the URL and a NUL; the other opcodes: the URL and a NUL.
 *
 * Message Length counts the whole datagram, header included.
 */
#ifndef TPROXYD_CACHE_ICP_T_H
#define TPROXYD_CACHE_ICP_T_H

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define ICP_VERSION	2
#define ICP_HDR_LEN	20
/* RFC 2186 section 1: a message must not be longer than 16,384 octets. */
#define ICP_MSG_MAX	16384

/* Opcodes (RFC 2186 section 1). The gaps are unused or obsolete. */
enum icp_op {
	ICP_OP_INVALID      = 0,
	ICP_OP_QUERY        = 1,
	ICP_OP_HIT          = 2,
	ICP_OP_MISS         = 3,
	ICP_OP_ERR          = 4,
	ICP_OP_SECHO        = 10,
	ICP_OP_DECHO        = 11,
	ICP_OP_MISS_NOFETCH = 21,
	ICP_OP_DENIED       = 22,
	ICP_OP_HIT_OBJ      = 23,
};

/* Options bits (RFC 2186 section 3). */
#define ICP_FLAG_HIT_OBJ	0x80000000u
#define ICP_FLAG_SRC_RTT	0x40000000u

/* Why icp_parse() refused a datagram (negative). */
enum icp_err {
	ICP_E_SHORT   = -1,	/* shorter than the header (or a query's
				   requester address) */
	ICP_E_LENGTH  = -2,	/* Message Length is not the datagram's
				   size, or over ICP_MSG_MAX */
	ICP_E_VERSION = -3,	/* not version 2 */
	ICP_E_OPCODE  = -4,	/* ICP_OP_INVALID or an unknown opcode */
	ICP_E_URL     = -5,	/* no NUL ends the URL inside the
				   datagram, or the URL is empty */
};

/* A parsed message: numbers in host order; url is a view into the
 * datagram (not counting its NUL), valid while the datagram is. */
struct icp_msg {
	enum icp_op op;
	uint8_t     version;
	uint16_t    length;
	uint32_t    reqnum;
	uint32_t    options;
	uint32_t    option_data;
	uint32_t    sender;		/* Sender Host Address, as sent
					   (network order) */
	uint32_t    requester;		/* ICP_OP_QUERY only (network
					   order) */
	struct str  url;
};

#endif
