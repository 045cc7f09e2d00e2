/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * htcp.h - HTCP codec (RFC 2756): pure functions over caller-owned bytes,
 * no I/O, no allocation. Only the operations siblings use are built and
 * parsed in depth: TST (is this URL in your cache?) and CLR (drop it).
 */
#ifndef TPROXYD_CACHE_HTCP_H
#define TPROXYD_CACHE_HTCP_H

#include <stddef.h>
#include <stdint.h>

#include "cache/htcp-t.h"

/*
 * Parse the datagram p[0..len). Returns 0 and fills m (views into p), or
 * a negative enum htcp_err. Never reads outside p[0..len).
 *
 * Checked: LENGTH equals len, MAJOR is 0 (any MINOR: the RFC layout is
 * assumed), DATA LENGTH fits, AUTH (when present) fills exactly the rest,
 * OPCODE is known. For a TST or CLR request the SPECIFIER must fill
 * OP-DATA exactly; for a TST response OP-DATA is empty or exactly a
 * DETAIL. Other OP-DATA is left as m->opdata.
 */
int htcp_parse(const uint8_t *p, size_t len, struct htcp_msg *m);

/*
 * Write a TST request (RR 0, RD set: Squid answers nothing otherwise) for
 * s into out (cap bytes), with an empty AUTH. Returns its length, or -1
 * when it does not fit (in cap, or a COUNTSTR or the message over 65535).
 */
int htcp_build_tst(uint8_t *out, size_t cap, uint32_t trans_id,
		   const struct htcp_spec *s);

/*
 * Write a TST response (RR 1, MO 0) to the request trans_id: RESPONSE
 * HTCP_TST_HIT or HTCP_TST_MISS, and a DETAIL always (d NULL: three empty
 * COUNTSTRs), as Squid sends it and expects it. Same returns.
 */
int htcp_build_tst_reply(uint8_t *out, size_t cap, uint32_t trans_id,
			 int hit, const struct htcp_detail *d);

/*
 * Write a CLR request: REASON (0: unspecified, 1: invalidation), the
 * SPECIFIER s, RD as rd. Same returns.
 */
int htcp_build_clr(uint8_t *out, size_t cap, uint32_t trans_id,
		   unsigned reason, int rd, const struct htcp_spec *s);

/* Write a CLR response with RESPONSE code (HTCP_CLR_*). Same returns. */
int htcp_build_clr_reply(uint8_t *out, size_t cap, uint32_t trans_id,
			 unsigned code);

/* "HTCP_TST", ... as Squid names them in access.log; "HTCP_INVALID". */
const char *htcp_op_str(int op);

#endif
