/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icp.c - ICPv2 codec (RFC 2186). See icp.h.
 *
 * A datagram is trusted for nothing: every length is checked against the
 * bytes actually received before anything is read.
 */
#include <string.h>

#include "cache/icp.h"

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
known_op(unsigned op)
{
	switch (op) {
	case ICP_OP_QUERY:
	case ICP_OP_HIT:
	case ICP_OP_MISS:
	case ICP_OP_ERR:
	case ICP_OP_SECHO:
	case ICP_OP_DECHO:
	case ICP_OP_MISS_NOFETCH:
	case ICP_OP_DENIED:
	case ICP_OP_HIT_OBJ:
		return 1;
	default:
		return 0;
	}
}

int
icp_parse(const uint8_t *p, size_t len, struct icp_msg *m)
{
	const uint8_t *u, *nul;
	size_t off;

	memset(m, 0, sizeof(*m));
	if (len < ICP_HDR_LEN)
		return ICP_E_SHORT;
	m->op = (enum icp_op)p[0];
	m->version = p[1];
	m->length = (uint16_t)(p[2] << 8 | p[3]);
	m->reqnum = get32(p + 4);
	m->options = get32(p + 8);
	m->option_data = get32(p + 12);
	memcpy(&m->sender, p + 16, 4);
	/* Squid drops a datagram whose length field differs from what was
	 * read; so do we (a truncated or padded message is not trusted). */
	if (len > ICP_MSG_MAX || m->length != len)
		return ICP_E_LENGTH;
	if (m->version != ICP_VERSION)
		return ICP_E_VERSION;
	if (!known_op(p[0]))
		return ICP_E_OPCODE;
	off = ICP_HDR_LEN;
	if (m->op == ICP_OP_QUERY) {
		if (len < off + 4)
			return ICP_E_SHORT;
		memcpy(&m->requester, p + off, 4);
		off += 4;
	}
	/* The URL runs to the first NUL; after it, HIT_OBJ carries the
	 * object, which we do not use (nor does Squid since 3.x). */
	u = p + off;
	nul = memchr(u, '\0', len - off);
	if (nul == NULL || nul == u)
		return ICP_E_URL;
	m->url = str_make((const char *)u, (size_t)(nul - u));
	return 0;
}

static int
build(uint8_t *out, size_t cap, enum icp_op op, uint32_t reqnum,
      uint32_t options, uint32_t option_data, const char *url, size_t ulen)
{
	size_t n, off;

	if (ulen == 0 || memchr(url, '\0', ulen) != NULL)
		return -1;
	off = ICP_HDR_LEN + (op == ICP_OP_QUERY ? 4 : 0);
	if (ulen > ICP_MSG_MAX - off - 1)
		return -1;
	n = off + ulen + 1;
	if (n > cap)
		return -1;
	out[0] = (uint8_t)op;
	out[1] = ICP_VERSION;
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	put32(out + 4, reqnum);
	put32(out + 8, options);
	put32(out + 12, option_data);
	/* Sender (and a query's requester) address: 0, as Squid sends
	 * them; the receiver takes the datagram's source instead. */
	memset(out + 16, 0, off - 16);
	memcpy(out + off, url, ulen);
	out[off + ulen] = '\0';
	return (int)n;
}

int
icp_build_query(uint8_t *out, size_t cap, uint32_t reqnum,
		uint32_t options, const char *url, size_t ulen)
{
	return build(out, cap, ICP_OP_QUERY, reqnum, options, 0, url, ulen);
}

int
icp_build_reply(uint8_t *out, size_t cap, enum icp_op op, uint32_t reqnum,
		uint32_t options, uint32_t option_data, const char *url,
		size_t ulen)
{
	switch (op) {
	case ICP_OP_HIT:
	case ICP_OP_MISS:
	case ICP_OP_MISS_NOFETCH:
	case ICP_OP_DENIED:
	case ICP_OP_ERR:
		break;
	default:
		return -1;
	}
	return build(out, cap, op, reqnum, options, option_data, url, ulen);
}

const char *
icp_op_str(int op)
{
	switch (op) {
	case ICP_OP_QUERY:
		return "ICP_QUERY";
	case ICP_OP_HIT:
		return "ICP_HIT";
	case ICP_OP_MISS:
		return "ICP_MISS";
	case ICP_OP_ERR:
		return "ICP_ERR";
	case ICP_OP_SECHO:
		return "ICP_SECHO";
	case ICP_OP_DECHO:
		return "ICP_DECHO";
	case ICP_OP_MISS_NOFETCH:
		return "ICP_MISS_NOFETCH";
	case ICP_OP_DENIED:
		return "ICP_DENIED";
	case ICP_OP_HIT_OBJ:
		return "ICP_HIT_OBJ";
	default:
		return "ICP_INVALID";
	}
}
