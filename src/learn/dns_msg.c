/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns_msg.c - a hand-written reader of DNS responses (RFC 1035 section
 * 4, RFC 3596 for AAAA). Every read is checked against the message
 * length before it is made; names are decoded with the compression rules
 * of 4.1.4 and a guard that makes pointer loops impossible (see
 * name_read()). Nothing here allocates or keeps state.
 */
#include <string.h>

#include "learn/dns_msg.h"

/* Octets of a name on the wire at most, root label included (3.1). */
#define NAME_WIRE_MAX	255

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

/*
 * Decode the name at msg[off] into text (DNSMSG_TEXT_MAX bytes, written
 * as described in dns_msg-t.h) and set *end to the offset just after the
 * name's bytes at off (after its first pointer, or after its root label
 * when it has none). *odd is set when a label holds a byte that a host
 * name cannot have ('.', '\', blanks, control or non-ASCII bytes): text
 * is then still filled, but means nothing.
 *
 * Loops: each pointer must point before the start of the part of the
 * name that holds it (the name's start, then the previous pointer's
 * target). Offsets so decrease strictly at every jump and the walk ends
 * within len steps; real compressors only point back at names already
 * written, which always satisfies this.
 *
 * Returns 0, DNSMSG_E_SHORT (the name runs off the end) or DNSMSG_E_NAME.
 */
static int
name_read(const uint8_t *msg, size_t len, size_t off, size_t *end,
	  char *text, int *odd)
{
	size_t pos = off, part = off, wire = 0, t = 0, target;
	int jumped = 0;
	uint8_t b, c;
	unsigned i;

	*odd = 0;
	for (;;) {
		if (pos >= len)
			return DNSMSG_E_SHORT;
		b = msg[pos];
		if ((b & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return DNSMSG_E_SHORT;
			target = ((size_t)(b & 0x3f) << 8) | msg[pos + 1];
			if (target >= part)
				return DNSMSG_E_NAME;
			if (!jumped)
				*end = pos + 2;
			jumped = 1;
			part = pos = target;
			continue;
		}
		if ((b & 0xc0) != 0)	/* 01 and 10: RFC 6891 retired
					   extended labels */
			return DNSMSG_E_NAME;
		if (b == 0)
			break;
		if (pos + 1 + b > len)
			return DNSMSG_E_SHORT;
		wire += 1u + b;
		if (wire + 1 > NAME_WIRE_MAX)
			return DNSMSG_E_NAME;
		if (t > 0)
			text[t++] = '.';
		for (i = 1; i <= b; i++) {
			c = msg[pos + i];
			if (c <= ' ' || c >= 0x7f || c == '.' || c == '\\')
				*odd = 1;
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c - 'A' + 'a');
			text[t++] = (char)c;
		}
		pos += 1u + b;
	}
	/* wire <= 254 so t <= 253: text always has room for the NUL. */
	text[t] = '\0';
	if (!jumped)
		*end = pos + 1;
	return 0;
}

/*
 * One resource record at msg[*off]: its owner into owner, its fixed
 * fields, and the offset and length of its RDATA. Advances *off past it.
 */
struct rr_head {
	uint16_t type, class;
	uint32_t ttl;
	size_t   rdoff, rdlen;
	int      odd;
};

static int
rr_read(const uint8_t *msg, size_t len, size_t *off, char *owner,
	struct rr_head *h)
{
	size_t p;
	int rc;

	rc = name_read(msg, len, *off, &p, owner, &h->odd);
	if (rc < 0)
		return rc;
	if (len - p < 10)
		return DNSMSG_E_SHORT;
	h->type = rd16(msg + p);
	h->class = rd16(msg + p + 2);
	h->ttl = rd32(msg + p + 4);
	if (h->ttl & 0x80000000u)	/* RFC 2181 section 8 */
		h->ttl = 0;
	h->rdlen = rd16(msg + p + 8);
	h->rdoff = p + 10;
	if (len - h->rdoff < h->rdlen)
		return DNSMSG_E_SHORT;
	*off = h->rdoff + h->rdlen;
	return 0;
}

/* Check and keep one answer record of class IN (h read by rr_read()). */
static int
answer_keep(const uint8_t *msg, size_t len, const struct rr_head *h,
	    const char *owner, struct dnsmsg *m, struct dnsmsg_rr *rr,
	    size_t maxrr)
{
	char target[DNSMSG_TEXT_MAX];
	struct dnsmsg_rr *r;
	size_t end;
	int rc, odd = h->odd;

	switch (h->type) {
	case DNSMSG_T_A:
		if (h->rdlen != 4)
			return DNSMSG_E_RDATA;
		break;
	case DNSMSG_T_AAAA:
		if (h->rdlen != 16)
			return DNSMSG_E_RDATA;
		break;
	case DNSMSG_T_CNAME:
		/* The name must fill the RDATA exactly; its pointers may
		 * reach back anywhere in the message. */
		rc = name_read(msg, len, h->rdoff, &end, target, &odd);
		if (rc == DNSMSG_E_SHORT || (rc == 0 &&
					     end != h->rdoff + h->rdlen))
			return DNSMSG_E_RDATA;
		if (rc < 0)
			return rc;
		odd |= h->odd;
		break;
	default:
		return 0;
	}
	if (odd) {
		m->nodd++;
		return 0;
	}
	if (m->nrr >= maxrr) {
		m->nlost++;
		return 0;
	}
	r = &rr[m->nrr++];
	memcpy(r->name, owner, strlen(owner) + 1);
	r->type = h->type;
	r->ttl = h->ttl;
	if (h->type == DNSMSG_T_CNAME)
		memcpy(r->d.target, target, strlen(target) + 1);
	else
		memcpy(r->d.addr, msg + h->rdoff, h->rdlen);
	return 0;
}

int
dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg *m,
	     struct dnsmsg_rr *rr, size_t maxrr)
{
	char owner[DNSMSG_TEXT_MAX];
	struct rr_head h;
	size_t off, i, total;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len < DNSMSG_HDR_LEN)
		return DNSMSG_E_SHORT;
	m->id = rd16(msg);
	m->flags = rd16(msg + 2);
	m->opcode = (m->flags >> 11) & 15u;
	m->rcode = m->flags & 15u;
	m->qdcount = rd16(msg + 4);
	m->ancount = rd16(msg + 6);
	m->nscount = rd16(msg + 8);
	m->arcount = rd16(msg + 10);
	if (m->qdcount > 1)
		return DNSMSG_E_QDCOUNT;
	off = DNSMSG_HDR_LEN;
	if (m->qdcount == 1) {
		rc = name_read(msg, len, off, &off, m->qname, &m->qname_odd);
		if (rc < 0)
			return rc;
		if (len - off < 4)
			return DNSMSG_E_SHORT;
		m->qtype = rd16(msg + off);
		m->qclass = rd16(msg + off + 2);
		off += 4;
	}
	total = (size_t)m->ancount + m->nscount + m->arcount;
	for (i = 0; i < total; i++) {
		rc = rr_read(msg, len, &off, owner, &h);
		if (rc < 0)
			return rc;
		if (i >= m->ancount || h.class != DNSMSG_C_IN)
			continue;
		rc = answer_keep(msg, len, &h, owner, m, rr, maxrr);
		if (rc < 0)
			return rc;
	}
	return 0;
}

const char *
dnsmsg_strerror(int err)
{
	switch (err) {
	case 0:
		return "no error";
	case DNSMSG_E_SHORT:
		return "message ends before what it announces";
	case DNSMSG_E_NAME:
		return "malformed name (label type, length or pointer)";
	case DNSMSG_E_QDCOUNT:
		return "more than one question";
	case DNSMSG_E_RDATA:
		return "A, AAAA or CNAME data of the wrong length";
	default:
		return "unknown error";
	}
}
