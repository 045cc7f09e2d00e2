/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icp.h - ICPv2 codec (RFC 2186): pure functions over caller-owned
 * bytes, no I/O, no allocation.
 */
#ifndef TPROXYD_CACHE_ICP_H
#define TPROXYD_CACHE_ICP_H

#include <stddef.h>
#include <stdint.h>

#include "cache/icp-t.h"

/*
 * Parse the datagram p[0..len). Returns 0 and fills m (m->url points into
 * p), or a negative enum icp_err. Never reads outside p[0..len).
 */
int icp_parse(const uint8_t *p, size_t len, struct icp_msg *m);

/*
 * Write an ICP_OP_QUERY for url (ulen bytes, no NUL in it) with request
 * number reqnum and options into out (cap bytes). Sender and requester
 * addresses are 0, as Squid sends them. Returns the datagram's length, or
 * -1 when it does not fit in cap or ICP_MSG_MAX, or the URL holds a NUL or
 * is empty.
 */
int icp_build_query(uint8_t *out, size_t cap, uint32_t reqnum,
		    uint32_t options, const char *url, size_t ulen);

/*
 * Write a reply (ICP_OP_HIT, ICP_OP_MISS, ICP_OP_MISS_NOFETCH,
 * ICP_OP_DENIED or ICP_OP_ERR) to a query: its request number and URL are
 * echoed, since the querier matches replies on both. Same returns as
 * icp_build_query(); -1 also for another opcode.
 */
int icp_build_reply(uint8_t *out, size_t cap, enum icp_op op,
		    uint32_t reqnum, uint32_t options, uint32_t option_data,
		    const char *url, size_t ulen);

/* "ICP_HIT", "ICP_MISS", ... as Squid names them in access.log's method
 * column ("ICP_QUERY"); "ICP_INVALID" for what is not an opcode. */
const char *icp_op_str(int op);

#endif
