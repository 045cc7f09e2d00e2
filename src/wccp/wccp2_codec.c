/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wccp2_codec.c - pure encode/decode of WCCPv2 messages.
 *
 * Layout (all fields big-endian):
 *
 *   message   = type(32) version(16) length(16) component...
 *               (length counts the bytes after this 8-byte header)
 *   component = type(16) length(16) body[length]
 *
 * Every read goes through struct rd, which stops at the end of the
 * enclosing component: a count that promises more than is there makes the
 * decode fail (WCCP2_E_SHORT), it never reads past buf + len. Counts are
 * also bounded by the WCCP2_MAX_* arrays of struct wccp2_msg.
 */
#include <stdio.h>
#include <string.h>

#include "wccp/wccp2.h"

/* ---------------------------------------------------------------- reader */

struct rd {
	const uint8_t  *p;
	size_t          len;	/* bytes readable from p */
	size_t          off;
	int             err;	/* first error, sticky */
};

static int
rd_need(struct rd *r, size_t n)
{
	if (r->err == 0 && r->len - r->off < n)
		r->err = WCCP2_E_SHORT;
	return r->err == 0;
}

static uint8_t
get8(struct rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	return r->p[r->off++];
}

static uint16_t
get16(struct rd *r)
{
	uint16_t v;

	if (!rd_need(r, 2))
		return 0;
	v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return v;
}

static uint32_t
get32(struct rd *r)
{
	uint32_t v;

	if (!rd_need(r, 4))
		return 0;
	v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	    (uint32_t)r->p[r->off + 2] << 8 | r->p[r->off + 3];
	r->off += 4;
	return v;
}

static void
get_bytes(struct rd *r, void *out, size_t n)
{
	if (!rd_need(r, n))
		return;
	memcpy(out, r->p + r->off, n);
	r->off += n;
}

static void
skip(struct rd *r, size_t n)
{
	if (rd_need(r, n))
		r->off += n;
}

/* A count field, refused above max (the arrays it fills are fixed). */
static uint32_t
get_count(struct rd *r, uint32_t max)
{
	uint32_t n = get32(r);

	if (r->err == 0 && n > max)
		r->err = WCCP2_E_TOOMANY;
	return r->err == 0 ? n : 0;
}

/* ---------------------------------------------------------------- writer */

struct wr {
	uint8_t        *p;
	size_t          cap;
	size_t          off;
	int             err;
};

static int
wr_room(struct wr *w, size_t n)
{
	if (w->err == 0 && w->cap - w->off < n)
		w->err = WCCP2_E_NOSPACE;
	return w->err == 0;
}

static void
put8(struct wr *w, uint8_t v)
{
	if (wr_room(w, 1))
		w->p[w->off++] = v;
}

static void
put16(struct wr *w, uint16_t v)
{
	if (!wr_room(w, 2))
		return;
	w->p[w->off] = (uint8_t)(v >> 8);
	w->p[w->off + 1] = (uint8_t)v;
	w->off += 2;
}

static void
put32(struct wr *w, uint32_t v)
{
	if (!wr_room(w, 4))
		return;
	w->p[w->off] = (uint8_t)(v >> 24);
	w->p[w->off + 1] = (uint8_t)(v >> 16);
	w->p[w->off + 2] = (uint8_t)(v >> 8);
	w->p[w->off + 3] = (uint8_t)v;
	w->off += 4;
}

static void
put_bytes(struct wr *w, const void *b, size_t n)
{
	if (wr_room(w, n)) {
		memcpy(w->p + w->off, b, n);
		w->off += n;
	}
}

/* Open a component: returns where its header is, for comp_end(). */
static size_t
comp_begin(struct wr *w, uint16_t type)
{
	size_t at = w->off;

	put16(w, type);
	put16(w, 0);
	return at;
}

static void
comp_end(struct wr *w, size_t at)
{
	size_t len = w->off - at - 4;

	if (w->err)
		return;
	if (len > 0xffff) {
		w->err = WCCP2_E_NOSPACE;
		return;
	}
	w->p[at + 2] = (uint8_t)(len >> 8);
	w->p[at + 3] = (uint8_t)len;
}

static void
too_many(struct wr *w, uint32_t n, uint32_t max)
{
	if (w->err == 0 && n > max)
		w->err = WCCP2_E_TOOMANY;
}

/* ---------------------------------------------------------------- elements */

/*
 * Mask/Value Set List. With set != NULL the values are kept (bounded by
 * WCCP2_MAX_VALUES); otherwise only the masks go to masks/nmask and the
 * values are skipped (still bounds-checked).
 */
static void
rd_mask_set(struct rd *r, struct wccp2_mask_set *set,
	    struct wccp2_mask_elem *masks, uint32_t *nmask)
{
	struct wccp2_mask_elem *me;
	struct wccp2_mask_value *v;
	uint32_t i, j, n, total = 0;

	n = get_count(r, WCCP2_MAX_MASKS);
	*nmask = n;
	for (i = 0; i < n && r->err == 0; i++) {
		me = &masks[i];
		me->src_ip_mask = get32(r);
		me->dst_ip_mask = get32(r);
		me->src_port_mask = get16(r);
		me->dst_port_mask = get16(r);
		me->nval = get32(r);
		me->first = total;
		if (set == NULL) {
			/* 16 bytes per value; compare before multiplying. */
			if (r->err == 0 && me->nval > (r->len - r->off) / 16)
				r->err = WCCP2_E_SHORT;
			skip(r, (size_t)me->nval * 16);
			continue;
		}
		if (r->err == 0 && me->nval > WCCP2_MAX_VALUES - total) {
			r->err = WCCP2_E_TOOMANY;
			break;
		}
		for (j = 0; j < me->nval && r->err == 0; j++) {
			v = &set->val[total + j];
			v->src_ip = get32(r);
			v->dst_ip = get32(r);
			v->src_port = get16(r);
			v->dst_port = get16(r);
			v->cache_ip = get32(r);
		}
		total += me->nval;
	}
	if (set != NULL)
		set->nval = total;
}

static void
wr_mask_set(struct wr *w, const struct wccp2_mask_elem *masks, uint32_t nmask,
	    const struct wccp2_mask_value *val, uint32_t nval_total)
{
	const struct wccp2_mask_elem *me;
	const struct wccp2_mask_value *v;
	uint32_t i, j;

	too_many(w, nmask, WCCP2_MAX_MASKS);
	if (w->err)
		return;
	put32(w, nmask);
	for (i = 0; i < nmask; i++) {
		me = &masks[i];
		put32(w, me->src_ip_mask);
		put32(w, me->dst_ip_mask);
		put16(w, me->src_port_mask);
		put16(w, me->dst_port_mask);
		if (val == NULL) {	/* identity: masks without values */
			put32(w, 0);
			continue;
		}
		if (me->first > nval_total ||
		    me->nval > nval_total - me->first) {
			w->err = WCCP2_E_TOOMANY;
			return;
		}
		put32(w, me->nval);
		for (j = 0; j < me->nval; j++) {
			v = &val[me->first + j];
			put32(w, v->src_ip);
			put32(w, v->dst_ip);
			put16(w, v->src_port);
			put16(w, v->dst_port);
			put32(w, v->cache_ip);
		}
	}
}

/* Web-Cache Identity Element (6.4 of rev1). */
static void
rd_cache_id(struct rd *r, struct wccp2_cache_id *c)
{
	uint16_t elen;

	memset(c, 0, sizeof(*c));
	c->ip = get32(r);
	c->hash_rev = get16(r);
	c->flags = get16(r);
	switch ((c->flags & WCCP2_WCF_TYPE_MASK) >> WCCP2_WCF_TYPE_SHIFT) {
	case WCCP2_WCD_HASH:
		get_bytes(r, c->buckets, sizeof(c->buckets));
		c->weight = get16(r);
		c->status = get16(r);
		break;
	case WCCP2_WCD_MASK:
		rd_mask_set(r, NULL, c->mask, &c->nmask);
		c->weight = get16(r);
		c->status = get16(r);
		break;
	case WCCP2_WCD_NONE:
		break;
	default:		/* extended: type(16) length(16) data */
		skip(r, 2);
		elen = get16(r);
		skip(r, elen);
		break;
	}
}

static void
wr_cache_id(struct wr *w, const struct wccp2_cache_id *c)
{
	put32(w, c->ip);
	put16(w, c->hash_rev);
	put16(w, c->flags);
	switch ((c->flags & WCCP2_WCF_TYPE_MASK) >> WCCP2_WCF_TYPE_SHIFT) {
	case WCCP2_WCD_HASH:
		put_bytes(w, c->buckets, sizeof(c->buckets));
		put16(w, c->weight);
		put16(w, c->status);
		break;
	case WCCP2_WCD_MASK:
		wr_mask_set(w, c->mask, c->nmask, NULL, 0);
		put16(w, c->weight);
		put16(w, c->status);
		break;
	case WCCP2_WCD_NONE:
		break;
	default:
		if (w->err == 0)
			w->err = WCCP2_E_COMPONENT;
		break;
	}
}

/* Assignment key, routers, then the hash or mask body. */
static void
rd_assignment(struct rd *r, struct wccp2_assignment *a)
{
	uint32_t i, nc;

	a->key_ip = get32(r);
	a->key_change = get32(r);
	a->nrouters = get_count(r, WCCP2_MAX_ROUTERS);
	for (i = 0; i < a->nrouters && r->err == 0; i++) {
		a->router[i].ip = get32(r);
		a->router[i].recv_id = get32(r);
		a->router[i].change = get32(r);
	}
	if (a->type == WCCP2_AT_MASK) {
		rd_mask_set(r, &a->mask, a->mask.mask, &a->mask.nmask);
		return;
	}
	nc = a->ncaches = get_count(r, WCCP2_MAX_CACHES);
	for (i = 0; i < nc && r->err == 0; i++)
		a->cache[i] = get32(r);
	get_bytes(r, a->bucket, sizeof(a->bucket));
	/* A bucket names a cache of the list (bit 7: alternate hash), or
	 * is unassigned: anything else would index out of the list. */
	for (i = 0; i < WCCP2_NBUCKETS && r->err == 0; i++)
		if (a->bucket[i] != WCCP2_BUCKET_UNASSIGNED &&
		    (a->bucket[i] & 0x7f) >= nc)
			r->err = WCCP2_E_COMPONENT;
}

static void
wr_assignment(struct wr *w, const struct wccp2_assignment *a)
{
	uint32_t i;

	too_many(w, a->nrouters, WCCP2_MAX_ROUTERS);
	too_many(w, a->ncaches, WCCP2_MAX_CACHES);
	if (w->err)
		return;
	put32(w, a->key_ip);
	put32(w, a->key_change);
	put32(w, a->nrouters);
	for (i = 0; i < a->nrouters; i++) {
		put32(w, a->router[i].ip);
		put32(w, a->router[i].recv_id);
		put32(w, a->router[i].change);
	}
	if (a->type == WCCP2_AT_MASK) {
		too_many(w, a->mask.nval, WCCP2_MAX_VALUES);
		if (w->err == 0)
			wr_mask_set(w, a->mask.mask, a->mask.nmask,
				    a->mask.val, a->mask.nval);
		return;
	}
	put32(w, a->ncaches);
	for (i = 0; i < a->ncaches; i++)
		put32(w, a->cache[i]);
	put_bytes(w, a->bucket, sizeof(a->bucket));
}

/* ---------------------------------------------------------------- decode */

/* Decode one component body (r spans exactly the body). */
static int
rd_component(struct rd *r, uint16_t type, size_t body_at, struct wccp2_msg *m)
{
	uint32_t i, n;
	uint16_t ct, cl, atype, alen;

	switch (type) {
	case WCCP2_C_SECURITY:
		m->security = get32(r);
		if (r->err)
			break;
		if (m->security == WCCP2_SEC_MD5) {
			m->md5_off = body_at + 4;
			get_bytes(r, m->md5, 16);
		} else if (m->security != WCCP2_SEC_NONE) {
			return WCCP2_E_SECURITY;
		}
		break;
	case WCCP2_C_SERVICE:
		m->has_service = 1;
		m->service.type = get8(r);
		m->service.id = get8(r);
		m->service.priority = get8(r);
		m->service.protocol = get8(r);
		m->service.flags = get32(r);
		for (i = 0; i < 8; i++)
			m->service.ports[i] = get16(r);
		break;
	case WCCP2_C_WC_ID:
		m->has_wc_id = 1;
		rd_cache_id(r, &m->wc_id);
		break;
	case WCCP2_C_WC_VIEW:
		m->has_wc_view = 1;
		m->wc_view.change = get32(r);
		n = m->wc_view.nrouters = get_count(r, WCCP2_MAX_ROUTERS);
		for (i = 0; i < n && r->err == 0; i++) {
			m->wc_view.router[i].ip = get32(r);
			m->wc_view.router[i].recv_id = get32(r);
		}
		n = m->wc_view.ncaches = get_count(r, WCCP2_MAX_CACHES);
		for (i = 0; i < n && r->err == 0; i++)
			m->wc_view.cache[i] = get32(r);
		break;
	case WCCP2_C_ROUTER_ID:
		m->has_router_id = 1;
		m->router_id.id.ip = get32(r);
		m->router_id.id.recv_id = get32(r);
		m->router_id.sent_to = get32(r);
		n = m->router_id.nrecv = get_count(r, WCCP2_MAX_ROUTERS);
		for (i = 0; i < n && r->err == 0; i++)
			m->router_id.recv_from[i] = get32(r);
		break;
	case WCCP2_C_ROUTER_VIEW:
		m->has_router_view = 1;
		m->router_view.change = get32(r);
		m->router_view.key_ip = get32(r);
		m->router_view.key_change = get32(r);
		n = m->router_view.nrouters = get_count(r, WCCP2_MAX_ROUTERS);
		for (i = 0; i < n && r->err == 0; i++)
			m->router_view.router[i] = get32(r);
		n = m->router_view.ncaches = get_count(r, WCCP2_MAX_CACHES);
		for (i = 0; i < n && r->err == 0; i++)
			rd_cache_id(r, &m->router_view.cache[i]);
		break;
	case WCCP2_C_ASSIGNMENT:
	case WCCP2_C_ALT_ASSIGNMENT:
		if (m->has_assign)	/* 6 and 13 are alternatives */
			return WCCP2_E_DUP;
		m->has_assign = 1;
		m->assign.type = WCCP2_AT_HASH;
		if (type == WCCP2_C_ALT_ASSIGNMENT) {
			m->assign.alternate = 1;
			atype = get16(r);
			alen = get16(r);
			if (r->err == 0 && (size_t)alen != r->len - r->off)
				return WCCP2_E_LENGTH;
			if (r->err == 0 && atype != WCCP2_AT_HASH &&
			    atype != WCCP2_AT_MASK)
				return WCCP2_E_COMPONENT;
			m->assign.type = atype;
		}
		rd_assignment(r, &m->assign);
		break;
	case WCCP2_C_QUERY:
		m->has_query = 1;
		m->query.id.ip = get32(r);
		m->query.id.recv_id = get32(r);
		m->query.sent_to = get32(r);
		m->query.target = get32(r);
		break;
	case WCCP2_C_CAPABILITIES:
		m->has_caps = 1;
		while (r->err == 0 && r->off < r->len) {
			ct = get16(r);
			cl = get16(r);
			if (r->err)
				break;
			if (ct < WCCP2_CAP_FORWARD || ct > WCCP2_CAP_RETURN) {
				skip(r, cl);	/* transmit_t, timer scale... */
				continue;
			}
			if (cl != 4)
				return WCCP2_E_COMPONENT;
			n = get32(r);
			if (ct == WCCP2_CAP_FORWARD)
				m->cap_forward = n;
			else if (ct == WCCP2_CAP_ASSIGN)
				m->cap_assign = n;
			else
				m->cap_return = n;
		}
		break;
	default:
		/* Assignment map, command extension, address table, or
		 * newer: not needed here; the length was checked. */
		r->off = r->len;
		break;
	}
	if (r->err)
		return r->err;
	/* A known component with bytes left over is malformed: its
	 * counts and its length disagree. */
	return r->off == r->len ? 0 : WCCP2_E_COMPONENT;
}

int
wccp2_decode(const uint8_t *buf, size_t len, struct wccp2_msg *m)
{
	struct rd r = { buf, len, 0, 0 }, body;
	uint32_t seen = 0, bit;
	uint16_t version, mlen, ctype, clen;
	int rc, have_sec = 0;

	memset(m, 0, sizeof(*m));
	m->type = get32(&r);
	version = get16(&r);
	mlen = get16(&r);
	if (r.err)
		return r.err;
	if (version != WCCP2_VERSION)
		return WCCP2_E_VERSION;
	if ((size_t)mlen != len - 8)
		return WCCP2_E_LENGTH;
	if (m->type < WCCP2_HERE_I_AM || m->type > WCCP2_REMOVAL_QUERY)
		return WCCP2_E_TYPE;
	while (r.off < len) {
		ctype = get16(&r);
		clen = get16(&r);
		if (r.err)
			return r.err;
		if ((size_t)clen > len - r.off)
			return WCCP2_E_LENGTH;
		if (ctype < 32) {
			bit = (uint32_t)1 << ctype;
			if (seen & bit)
				return WCCP2_E_DUP;
			seen |= bit;
		}
		body.p = buf + r.off;
		body.len = clen;
		body.off = 0;
		body.err = 0;
		rc = rd_component(&body, ctype, r.off, m);
		if (rc < 0)
			return rc;
		if (ctype == WCCP2_C_SECURITY)
			have_sec = 1;
		r.off += clen;
	}
	if (!have_sec || !m->has_service)
		return WCCP2_E_MISSING;
	switch (m->type) {
	case WCCP2_HERE_I_AM:
		rc = m->has_wc_id && m->has_wc_view;
		break;
	case WCCP2_I_SEE_YOU:
		rc = m->has_router_id && m->has_router_view;
		break;
	case WCCP2_REDIRECT_ASSIGN:
		rc = m->has_assign;
		break;
	default:
		rc = m->has_query;
		break;
	}
	return rc ? 0 : WCCP2_E_MISSING;
}

/* ---------------------------------------------------------------- encode */

/* MD5 over the padded password then the message (checksum zeroed). */
static void
md5_sum(const uint8_t *buf, size_t len, size_t md5_off, const char *password,
	uint8_t out[16])
{
	static const uint8_t zero[16];
	uint8_t key[WCCP2_PASSWORD_LEN] = { 0 };
	struct wccp2_md5 c;

	if (password != NULL)
		memcpy(key, password, strnlen(password, sizeof(key)));
	wccp2_md5_init(&c);
	wccp2_md5_update(&c, key, sizeof(key));
	wccp2_md5_update(&c, buf, md5_off);
	wccp2_md5_update(&c, zero, 16);
	wccp2_md5_update(&c, buf + md5_off + 16, len - md5_off - 16);
	wccp2_md5_final(&c, out);
}

int
wccp2_md5_verify(const uint8_t *buf, size_t len, size_t md5_off,
		 const char *password)
{
	uint8_t sum[16];
	unsigned diff = 0, i;

	if (md5_off < 12 || md5_off > len || len - md5_off < 16)
		return WCCP2_E_AUTH;
	md5_sum(buf, len, md5_off, password, sum);
	for (i = 0; i < 16; i++)	/* no early exit: constant time */
		diff |= (unsigned)(sum[i] ^ buf[md5_off + i]);
	return diff == 0 ? 0 : WCCP2_E_AUTH;
}

int
wccp2_encode(const struct wccp2_msg *m, const char *password, uint8_t *buf,
	     size_t cap)
{
	struct wr w = { buf, cap, 0, 0 };
	size_t at, md5_at = 0;
	uint32_t i;

	put32(&w, m->type);
	put16(&w, WCCP2_VERSION);
	put16(&w, 0);

	at = comp_begin(&w, WCCP2_C_SECURITY);
	put32(&w, m->security);
	if (m->security == WCCP2_SEC_MD5) {
		md5_at = w.off;
		put_bytes(&w, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	}
	comp_end(&w, at);

	if (m->has_service) {
		at = comp_begin(&w, WCCP2_C_SERVICE);
		put8(&w, m->service.type);
		put8(&w, m->service.id);
		put8(&w, m->service.priority);
		put8(&w, m->service.protocol);
		put32(&w, m->service.flags);
		for (i = 0; i < 8; i++)
			put16(&w, m->service.ports[i]);
		comp_end(&w, at);
	}
	if (m->has_router_id) {
		too_many(&w, m->router_id.nrecv, WCCP2_MAX_ROUTERS);
		at = comp_begin(&w, WCCP2_C_ROUTER_ID);
		put32(&w, m->router_id.id.ip);
		put32(&w, m->router_id.id.recv_id);
		put32(&w, m->router_id.sent_to);
		put32(&w, m->router_id.nrecv);
		for (i = 0; i < m->router_id.nrecv && w.err == 0; i++)
			put32(&w, m->router_id.recv_from[i]);
		comp_end(&w, at);
	}
	if (m->has_wc_id) {
		at = comp_begin(&w, WCCP2_C_WC_ID);
		wr_cache_id(&w, &m->wc_id);
		comp_end(&w, at);
	}
	if (m->has_router_view) {
		too_many(&w, m->router_view.nrouters, WCCP2_MAX_ROUTERS);
		too_many(&w, m->router_view.ncaches, WCCP2_MAX_CACHES);
		at = comp_begin(&w, WCCP2_C_ROUTER_VIEW);
		put32(&w, m->router_view.change);
		put32(&w, m->router_view.key_ip);
		put32(&w, m->router_view.key_change);
		put32(&w, m->router_view.nrouters);
		for (i = 0; i < m->router_view.nrouters && w.err == 0; i++)
			put32(&w, m->router_view.router[i]);
		put32(&w, m->router_view.ncaches);
		for (i = 0; i < m->router_view.ncaches && w.err == 0; i++)
			wr_cache_id(&w, &m->router_view.cache[i]);
		comp_end(&w, at);
	}
	if (m->has_wc_view) {
		too_many(&w, m->wc_view.nrouters, WCCP2_MAX_ROUTERS);
		too_many(&w, m->wc_view.ncaches, WCCP2_MAX_CACHES);
		at = comp_begin(&w, WCCP2_C_WC_VIEW);
		put32(&w, m->wc_view.change);
		put32(&w, m->wc_view.nrouters);
		for (i = 0; i < m->wc_view.nrouters && w.err == 0; i++) {
			put32(&w, m->wc_view.router[i].ip);
			put32(&w, m->wc_view.router[i].recv_id);
		}
		put32(&w, m->wc_view.ncaches);
		for (i = 0; i < m->wc_view.ncaches && w.err == 0; i++)
			put32(&w, m->wc_view.cache[i]);
		comp_end(&w, at);
	}
	if (m->has_assign) {
		/* Mask assignment only exists as an Alternate Assignment. */
		if (m->assign.alternate || m->assign.type == WCCP2_AT_MASK) {
			at = comp_begin(&w, WCCP2_C_ALT_ASSIGNMENT);
			put16(&w, m->assign.type);
			put16(&w, 0);
			wr_assignment(&w, &m->assign);
			if (w.err == 0) {	/* assignment length */
				w.p[at + 6] = (uint8_t)((w.off - at - 8) >> 8);
				w.p[at + 7] = (uint8_t)(w.off - at - 8);
			}
		} else {
			at = comp_begin(&w, WCCP2_C_ASSIGNMENT);
			wr_assignment(&w, &m->assign);
		}
		comp_end(&w, at);
	}
	if (m->has_query) {
		at = comp_begin(&w, WCCP2_C_QUERY);
		put32(&w, m->query.id.ip);
		put32(&w, m->query.id.recv_id);
		put32(&w, m->query.sent_to);
		put32(&w, m->query.target);
		comp_end(&w, at);
	}
	if (m->has_caps) {
		at = comp_begin(&w, WCCP2_C_CAPABILITIES);
		if (m->cap_forward) {
			put16(&w, WCCP2_CAP_FORWARD);
			put16(&w, 4);
			put32(&w, m->cap_forward);
		}
		if (m->cap_assign) {
			put16(&w, WCCP2_CAP_ASSIGN);
			put16(&w, 4);
			put32(&w, m->cap_assign);
		}
		if (m->cap_return) {
			put16(&w, WCCP2_CAP_RETURN);
			put16(&w, 4);
			put32(&w, m->cap_return);
		}
		comp_end(&w, at);
	}
	if (w.err)
		return w.err;
	if (w.off - 8 > 0xffff)
		return WCCP2_E_NOSPACE;
	buf[6] = (uint8_t)((w.off - 8) >> 8);
	buf[7] = (uint8_t)(w.off - 8);
	if (m->security == WCCP2_SEC_MD5) {
		uint8_t sum[16];

		md5_sum(buf, w.off, md5_at, password, sum);
		memcpy(buf + md5_at, sum, 16);
	}
	return (int)w.off;
}

/* ---------------------------------------------------------------- helpers */

void
wccp2_spread_buckets(const uint16_t *weight, uint32_t n,
		     uint8_t bucket[WCCP2_NBUCKETS])
{
	uint64_t total = 0, cum = 0;
	uint32_t i, b = 0, end;

	memset(bucket, WCCP2_BUCKET_UNASSIGNED, WCCP2_NBUCKETS);
	for (i = 0; i < n; i++)
		total += weight[i];
	for (i = 0; i < n; i++) {
		/* All weights zero means "no preference": equal shares.
		 * The last cache ends exactly at 256 (cum == total). */
		cum += total ? weight[i] : 1;
		end = (uint32_t)(cum * WCCP2_NBUCKETS / (total ? total : n));
		for (; b < end && b < WCCP2_NBUCKETS; b++)
			bucket[b] = (uint8_t)i;
	}
}

const char *
wccp2_strerror(int err)
{
	switch (err) {
	case 0:			return "no error";
	case WCCP2_E_SHORT:	return "truncated message or component";
	case WCCP2_E_VERSION:	return "not WCCP version 2";
	case WCCP2_E_LENGTH:	return "length field does not match the data";
	case WCCP2_E_COMPONENT:	return "malformed component";
	case WCCP2_E_TOOMANY:	return "too many routers, caches or values";
	case WCCP2_E_MISSING:	return "a required component is missing";
	case WCCP2_E_DUP:	return "duplicate component";
	case WCCP2_E_TYPE:	return "unknown message type";
	case WCCP2_E_SECURITY:	return "unknown security option";
	case WCCP2_E_NOSPACE:	return "message too large";
	case WCCP2_E_AUTH:	return "security check failed (MD5)";
	default:		return "unknown error";
	}
}

const char *
wccp2_type_str(uint32_t type)
{
	switch (type) {
	case WCCP2_HERE_I_AM:		return "HERE_I_AM";
	case WCCP2_I_SEE_YOU:		return "I_SEE_YOU";
	case WCCP2_REDIRECT_ASSIGN:	return "REDIRECT_ASSIGN";
	case WCCP2_REMOVAL_QUERY:	return "REMOVAL_QUERY";
	default:			return "unknown";
	}
}

const char *
wccp2_ip_str(uint32_t ip, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}
