/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * htcp.c - HTCP codec (RFC 2756). See htcp.h.
 *
 * Every length field is checked against the bytes that remain before
 * anything behind it is read.
 */
#include <string.h>

#include "cache/htcp.h"

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Read COUNTSTRs one after another from a cursor (*pp, *leftp). */
static int
countstr(const uint8_t **pp, size_t *leftp, struct str *out)
{
	size_t n;

	if (*leftp < 2)
		return HTCP_E_COUNTSTR;
	n = get16(*pp);
	if (n > *leftp - 2)
		return HTCP_E_COUNTSTR;
	*out = str_make((const char *)*pp + 2, n);
	*pp += 2 + n;
	*leftp -= 2 + n;
	return 0;
}

static int
parse_spec(const uint8_t *p, size_t left, struct htcp_spec *s)
{
	struct str *f[4] = { &s->method, &s->uri, &s->version,
			     &s->req_hdrs };
	size_t i;
	int rc;

	for (i = 0; i < 4; i++)
		if ((rc = countstr(&p, &left, f[i])) != 0)
			return rc;
	return left == 0 ? 0 : HTCP_E_TRAILING;
}

static int
parse_detail(const uint8_t *p, size_t left, struct htcp_detail *d)
{
	struct str *f[3] = { &d->resp_hdrs, &d->entity_hdrs,
			     &d->cache_hdrs };
	size_t i;
	int rc;

	for (i = 0; i < 3; i++)
		if ((rc = countstr(&p, &left, f[i])) != 0)
			return rc;
	return left == 0 ? 0 : HTCP_E_TRAILING;
}

int
htcp_parse(const uint8_t *p, size_t len, struct htcp_msg *m)
{
	const uint8_t *d, *od;
	size_t dlen, rest, odlen;

	memset(m, 0, sizeof(*m));
	if (len < HTCP_HDR_LEN + HTCP_DATA_LEN)
		return HTCP_E_SHORT;
	if (get16(p) != len)
		return HTCP_E_LENGTH;
	m->major = p[2];
	m->minor = p[3];
	if (m->major != 0)
		return HTCP_E_VERSION;
	d = p + HTCP_HDR_LEN;
	rest = len - HTCP_HDR_LEN;
	dlen = get16(d);
	if (dlen < HTCP_DATA_LEN || dlen > rest)
		return HTCP_E_DATA;
	/* AUTH: absent, or its LENGTH (2 unsigned) covers the rest. */
	rest -= dlen;
	if (rest != 0 && (rest < 2 || get16(d + dlen) != rest))
		return HTCP_E_AUTH;
	m->op = (enum htcp_op)(d[2] >> 4);
	m->response = d[2] & 0x0f;
	m->f1 = (d[3] >> 1) & 1;
	m->rr = d[3] & 1;
	m->trans_id = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 |
		      (uint32_t)d[6] << 8 | d[7];
	if (m->op > HTCP_OP_CLR)
		return HTCP_E_OPCODE;
	od = d + HTCP_DATA_LEN;
	odlen = dlen - HTCP_DATA_LEN;
	m->opdata = str_make((const char *)od, odlen);
	if (m->op == HTCP_OP_TST && !m->rr) {
		m->has_spec = 1;
		return parse_spec(od, odlen, &m->spec);
	}
	if (m->op == HTCP_OP_CLR && !m->rr) {
		/* RESERVED (12 bits), REASON (4 bits), SPECIFIER. */
		if (odlen < 2)
			return HTCP_E_COUNTSTR;
		m->reason = od[1] & 0x0f;
		m->has_spec = 1;
		return parse_spec(od + 2, odlen - 2, &m->spec);
	}
	if (m->op == HTCP_OP_TST && m->rr && odlen > 0) {
		m->has_detail = 1;
		return parse_detail(od, odlen, &m->detail);
	}
	return 0;
}

/* A cursor writing into out[0..cap); fails once something does not fit
 * and then writes nothing more. */
struct wr {
	uint8_t *p;
	size_t   cap, off;
	int      bad;
};

static void
w_bytes(struct wr *w, const void *b, size_t n)
{
	if (w->bad || n > w->cap - w->off) {
		w->bad = 1;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->off, b, n);
	w->off += n;
}

static void
w_16(struct wr *w, size_t v)
{
	uint8_t b[2];

	put16(b, v);
	w_bytes(w, b, 2);
}

static void
w_countstr(struct wr *w, struct str s)
{
	if (s.len > 0xffff) {
		w->bad = 1;
		return;
	}
	w_16(w, s.len);
	w_bytes(w, s.p, s.len);
}

static void
w_spec(struct wr *w, const struct htcp_spec *s)
{
	w_countstr(w, s->method);
	w_countstr(w, s->uri);
	w_countstr(w, s->version);
	w_countstr(w, s->req_hdrs);
}

/* Start a message: HEADER and DATA's fixed part, lengths filled in by
 * finish(). */
static void
start(struct wr *w, uint8_t *out, size_t cap, enum htcp_op op,
      unsigned response, int f1, int rr, uint32_t trans_id)
{
	uint8_t h[HTCP_HDR_LEN + HTCP_DATA_LEN];

	w->p = out;
	w->cap = cap;
	w->off = 0;
	w->bad = 0;
	memset(h, 0, sizeof(h));
	h[3] = HTCP_MINOR;
	h[6] = (uint8_t)((unsigned)op << 4 | (response & 0x0f));
	h[7] = (uint8_t)((f1 ? 2 : 0) | (rr ? 1 : 0));
	h[8] = (uint8_t)(trans_id >> 24);
	h[9] = (uint8_t)(trans_id >> 16);
	h[10] = (uint8_t)(trans_id >> 8);
	h[11] = (uint8_t)trans_id;
	w_bytes(w, h, sizeof(h));
}

static int
finish(struct wr *w)
{
	size_t dlen;

	if (w->bad)
		return -1;
	dlen = w->off - HTCP_HDR_LEN;
	w_16(w, 2);			/* AUTH: no signature */
	if (w->bad || w->off > 0xffff || dlen > 0xffff)
		return -1;
	put16(w->p, w->off);
	put16(w->p + HTCP_HDR_LEN, dlen);
	return (int)w->off;
}

int
htcp_build_tst(uint8_t *out, size_t cap, uint32_t trans_id,
	       const struct htcp_spec *s)
{
	struct wr w;

	start(&w, out, cap, HTCP_OP_TST, 0, 1, 0, trans_id);
	w_spec(&w, s);
	return finish(&w);
}

int
htcp_build_tst_reply(uint8_t *out, size_t cap, uint32_t trans_id, int hit,
		     const struct htcp_detail *d)
{
	struct wr w;

	start(&w, out, cap, HTCP_OP_TST, hit ? HTCP_TST_HIT : HTCP_TST_MISS,
	      0, 1, trans_id);
	/* Squid reads a DETAIL from every TST response with MO clear, a
	 * miss's too: an empty one, never none. */
	w_countstr(&w, d != NULL ? d->resp_hdrs : STR_NULL);
	w_countstr(&w, d != NULL ? d->entity_hdrs : STR_NULL);
	w_countstr(&w, d != NULL ? d->cache_hdrs : STR_NULL);
	return finish(&w);
}

int
htcp_build_clr(uint8_t *out, size_t cap, uint32_t trans_id, unsigned reason,
	       int rd, const struct htcp_spec *s)
{
	struct wr w;

	start(&w, out, cap, HTCP_OP_CLR, 0, rd, 0, trans_id);
	w_16(&w, reason & 0x0f);
	w_spec(&w, s);
	return finish(&w);
}

int
htcp_build_clr_reply(uint8_t *out, size_t cap, uint32_t trans_id,
		     unsigned code)
{
	struct wr w;

	start(&w, out, cap, HTCP_OP_CLR, code, 0, 1, trans_id);
	return finish(&w);
}

const char *
htcp_op_str(int op)
{
	static const char *const names[] = { "HTCP_NOP", "HTCP_TST",
		"HTCP_MON", "HTCP_SET", "HTCP_CLR" };

	if (op < 0 || op > HTCP_OP_CLR)
		return "HTCP_INVALID";
	return names[op];
}
