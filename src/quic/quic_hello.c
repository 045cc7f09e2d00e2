/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quic_hello.c - a QUIC client's ClientHello, read from the first
 * datagrams of a UDP flow (RFC 9000 §7, §12.2, §19; RFC 9001 §4).
 *
 * The client's TLS ClientHello travels in CRYPTO frames of Initial
 * packets. A big one (a post-quantum key share: Chromium's ML-KEM hello
 * is near 1,800 bytes) does not fit in one 1,200-byte datagram: it comes
 * in two Initial packets or more, in as many datagrams, and a client may
 * send its pieces out of order, repeat them, or cut them differently when
 * it retransmits. The context below puts the CRYPTO stream back together
 * by offset, in a buffer bounded by QUIC_CRYPTO_MAX, and hands it to the
 * TLS reader (src/tls/hello.c) once the whole message is there.
 *
 * Everything a datagram says is checked against what was received before
 * it is used: lengths against the datagram, offsets against the bound,
 * ranges against QUIC_RANGES_MAX, datagrams against QUIC_DGRAMS_MAX. The
 * work per datagram is linear in its length (two AEAD attempts at most
 * per packet).
 */
#include <stdlib.h>
#include <string.h>

#include "quic/quic.h"
#include "tls/tls.h"

/* Frame types allowed in an Initial packet (RFC 9000 §12.4 table 3). */
#define FT_PADDING      0x00
#define FT_PING         0x01
#define FT_ACK          0x02
#define FT_ACK_ECN      0x03
#define FT_CRYPTO       0x06
#define FT_CLOSE        0x1c	/* CONNECTION_CLOSE, transport error */

#define HS_CLIENT_HELLO 1

void
quic_hello_init(struct quic_hello_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->largest_pn = -1;
}

void
quic_hello_free(struct quic_hello_ctx *c)
{
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
}

const char *
quic_rc_str(int rc)
{
	switch (rc) {
	case QUIC_NEED_MORE:
		return "need more";
	case QUIC_DONE:
		return "done";
	case QUIC_NOT_QUIC:
		return "not QUIC v1/v2";
	case QUIC_MALFORMED:
		return "malformed QUIC Initial";
	default:
		return "unknown QUIC reader result";
	}
}

/* A final answer: kept, and the stream buffer given back at once (a flow
 * may live on for minutes after its hello was read). */
static int
finish(struct quic_hello_ctx *c, int rc, const char *why)
{
	c->rc = rc;
	c->why = why;
	quic_hello_free(c);
	return rc;
}

/* Make buf hold at least end bytes (end <= QUIC_CRYPTO_MAX): doubling from
 * 4 KiB, so a usual hello takes one allocation. */
static int
buf_reserve(struct quic_hello_ctx *c, size_t end)
{
	size_t cap = c->cap ? c->cap : 4096;
	uint8_t *nb;

	if (end <= c->cap)
		return 0;
	while (cap < end)
		cap *= 2;
	if (cap > QUIC_CRYPTO_MAX)
		cap = QUIC_CRYPTO_MAX;
	nb = realloc(c->buf, cap);
	if (nb == NULL)
		return -1;
	c->buf = nb;
	c->cap = cap;
	return 0;
}

/*
 * Keep CRYPTO bytes data[0..len) at stream offset off (off + len <=
 * QUIC_CRYPTO_MAX): bytes already received must be the same (RFC 9000
 * §2.2: data at an offset does not change), then the range joins the
 * sorted list, merged with the ones it touches.
 */
static int
crypto_store(struct quic_hello_ctx *c, uint32_t off, const uint8_t *data,
	     uint32_t len, const char **why)
{
	struct quic_range nr[QUIC_RANGES_MAX];
	uint32_t start = off, end = off + len, a, b;
	unsigned i, n = 0, placed = 0;

	if (len == 0)
		return 0;
	for (i = 0; i < c->nranges; i++) {
		a = c->ranges[i].start > start ? c->ranges[i].start : start;
		b = c->ranges[i].end < end ? c->ranges[i].end : end;
		if (a < b && memcmp(c->buf + a, data + (a - off), b - a)) {
			*why = "CRYPTO data changed when sent again";
			return QUIC_MALFORMED;
		}
	}
	if (buf_reserve(c, end) < 0) {
		*why = "out of memory for the CRYPTO stream";
		return QUIC_MALFORMED;
	}
	memcpy(c->buf + off, data, len);
	for (i = 0; i < c->nranges; i++) {
		const struct quic_range *r = &c->ranges[i];

		if (r->end < start) {
			nr[n++] = *r;
			continue;
		}
		if (r->start > end) {
			if (!placed) {
				if (n == QUIC_RANGES_MAX)
					goto many;
				nr[n].start = start;
				nr[n++].end = end;
				placed = 1;
			}
			if (n == QUIC_RANGES_MAX)
				goto many;
			nr[n++] = *r;
			continue;
		}
		/* Touching or overlapping: one range. */
		if (r->start < start)
			start = r->start;
		if (r->end > end)
			end = r->end;
	}
	if (!placed) {
		if (n == QUIC_RANGES_MAX)
			goto many;
		nr[n].start = start;
		nr[n++].end = end;
	}
	memcpy(c->ranges, nr, n * sizeof(nr[0]));
	c->nranges = n;
	return 0;
many:
	*why = "CRYPTO stream in too many pieces";
	return QUIC_MALFORMED;
}

/* Read n varints from p[*off..len) (values dropped). 0 or -1. */
static int
skip_varints(const uint8_t *p, size_t len, size_t *off, unsigned n,
	     uint64_t *last)
{
	size_t l;

	while (n-- > 0) {
		l = quic_varint(p + *off, len - *off, last);
		if (l == 0)
			return -1;
		*off += l;
	}
	return 0;
}

/* The frames of one opened Initial packet. */
static int
frames(struct quic_hello_ctx *c, const uint8_t *p, size_t len,
       const char **why)
{
	uint64_t type, v, count, off64, clen;
	size_t off = 0, l;
	int rc;

	while (off < len) {
		l = quic_varint(p + off, len - off, &type);
		if (l == 0)
			goto trunc;
		off += l;
		switch (type) {
		case FT_PADDING:
			while (off < len && p[off] == 0)
				off++;
			break;
		case FT_PING:
			break;
		case FT_ACK:
		case FT_ACK_ECN:
			/* Largest, delay, range count, first range; then
			 * count gaps and ranges: each reads a byte at
			 * least, so a huge count ends at the packet's end. */
			if (skip_varints(p, len, &off, 3, &count) < 0 ||
			    skip_varints(p, len, &off, 1, &v) < 0)
				goto trunc;
			while (count-- > 0)
				if (skip_varints(p, len, &off, 2, &v) < 0)
					goto trunc;
			if (type == FT_ACK_ECN &&
			    skip_varints(p, len, &off, 3, &v) < 0)
				goto trunc;
			break;
		case FT_CLOSE:
			/* Error code, frame type, reason phrase. */
			if (skip_varints(p, len, &off, 3, &v) < 0 ||
			    v > len - off)
				goto trunc;
			off += (size_t)v;
			break;
		case FT_CRYPTO:
			if (skip_varints(p, len, &off, 1, &off64) < 0 ||
			    skip_varints(p, len, &off, 1, &clen) < 0 ||
			    clen > len - off)
				goto trunc;
			if (off64 > QUIC_CRYPTO_MAX ||
			    clen > QUIC_CRYPTO_MAX - off64) {
				*why = "CRYPTO data beyond 64 KiB";
				return QUIC_MALFORMED;
			}
			rc = crypto_store(c, (uint32_t)off64, p + off,
			    (uint32_t)clen, why);
			if (rc < 0)
				return rc;
			off += (size_t)clen;
			break;
		default:
			*why = "frame not allowed in an Initial packet";
			return QUIC_MALFORMED;
		}
	}
	return 0;
trunc:
	*why = "truncated frame in an Initial packet";
	return QUIC_MALFORMED;
}

static int
same_cid(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/*
 * One Initial packet p (parsed as k): the keys come from the client's
 * first Initial's Destination CID. A later Initial with another one
 * follows a Retry (the client then derives new keys from the CID the
 * server chose, RFC 9001 §5.2): it is tried with keys of its own, and
 * those replace the first when they open it.
 */
static int
initial(struct quic_hello_ctx *c, const uint8_t *p, const struct quic_pkt *k,
	const char **why)
{
	struct quic_keys alt;
	uint8_t *pt;
	size_t ptlen;
	uint64_t pn;
	int rc;

	if (!c->have_keys) {
		if (k->dcid_len < QUIC_CID_MIN_INITIAL) {
			*why = "Initial Destination CID shorter than 8 bytes";
			return QUIC_MALFORMED;
		}
		if (quic_initial_keys(k->version, k->dcid, k->dcid_len, 0,
		    &c->keys) < 0) {
			*why = "Initial key derivation failed";
			return QUIC_MALFORMED;
		}
		memcpy(c->dcid, k->dcid, k->dcid_len);
		c->dcid_len = k->dcid_len;
		memcpy(c->scid, k->scid, k->scid_len);
		c->scid_len = k->scid_len;
		c->have_keys = 1;
	}
	pt = malloc(k->len);
	if (pt == NULL) {
		*why = "out of memory for an Initial packet";
		return QUIC_MALFORMED;
	}
	rc = quic_initial_open(&c->keys, p, k, c->largest_pn, pt, &ptlen,
	    &pn, why);
	if (rc < 0 && !same_cid(k->dcid, k->dcid_len, c->dcid, c->dcid_len) &&
	    k->dcid_len >= QUIC_CID_MIN_INITIAL &&
	    quic_initial_keys(k->version, k->dcid, k->dcid_len, 0,
	    &alt) == 0) {
		rc = quic_initial_open(&alt, p, k, c->largest_pn, pt, &ptlen,
		    &pn, why);
		if (rc == 0) {
			c->keys = alt;
			memcpy(c->dcid, k->dcid, k->dcid_len);
			c->dcid_len = k->dcid_len;
		}
	}
	if (rc == 0) {
		if ((int64_t)pn > c->largest_pn)
			c->largest_pn = (int64_t)pn;
		c->ninitials++;
		rc = frames(c, pt, ptlen, why);
	}
	free(pt);
	return rc;
}

/* Is the ClientHello whole at the start of the stream? Then read it. */
static int
hello_check(struct quic_hello_ctx *c)
{
	size_t have, mlen;
	int rc;

	if (c->nranges == 0 || c->ranges[0].start != 0)
		return QUIC_NEED_MORE;
	have = c->ranges[0].end;
	if (c->buf[0] != HS_CLIENT_HELLO)
		return finish(c, QUIC_MALFORMED,
		    "CRYPTO stream does not start with a ClientHello");
	if (have < 4)
		return QUIC_NEED_MORE;
	mlen = 4 + ((size_t)c->buf[1] << 16 | (size_t)c->buf[2] << 8 |
	    c->buf[3]);
	if (mlen > QUIC_CRYPTO_MAX)
		return finish(c, QUIC_MALFORMED, "ClientHello over 64 KiB");
	if (have < mlen)
		return QUIC_NEED_MORE;
	rc = tls_hello_parse_msg(c->buf, mlen, &c->hello);
	if (rc != TLS_OK)
		return finish(c, QUIC_MALFORMED,
		    c->hello.why ? c->hello.why : tls_strerror(rc));
	return finish(c, QUIC_DONE, NULL);
}

int
quic_hello_feed(struct quic_hello_ctx *c, const uint8_t *d, size_t n)
{
	struct quic_pkt k;
	const uint8_t *dcid = NULL;
	size_t off = 0, dcid_len = 0;
	const char *why = NULL;
	int rc, any = 0;

	if (c->rc != QUIC_NEED_MORE)
		return c->rc;
	if (++c->ndgrams > QUIC_DGRAMS_MAX)
		return finish(c, QUIC_MALFORMED,
		    "no whole ClientHello in 32 datagrams");
	if (n == 0)
		return finish(c, QUIC_NOT_QUIC, "empty datagram");
	if (n > QUIC_DGRAM_MAX)
		return finish(c, QUIC_MALFORMED, "datagram over 65535 bytes");
	/*
	 * Coalesced packets (RFC 9000 §12.2): long header packets one after
	 * the other, each sized by its Length. After the first, anything
	 * that does not parse, or names another connection, is ignored as
	 * the RFC lets a receiver do: clients pad datagrams with zeros
	 * after their last packet.
	 */
	while (off < n) {
		rc = quic_initial_parse(d + off, n - off, &k, &why);
		if (rc < 0) {
			if (off > 0)
				break;
			if (c->version == 0)
				c->version = k.version;
			return finish(c, rc, why);
		}
		if (off == 0) {
			dcid = k.dcid;
			dcid_len = k.dcid_len;
		} else if (!same_cid(k.dcid, k.dcid_len, dcid, dcid_len))
			break;
		if (c->version == 0)
			c->version = k.version;
		else if (k.version != c->version)
			return finish(c, QUIC_MALFORMED,
			    "packets of two QUIC versions");
		if (k.type == QUIC_PT_INITIAL) {
			rc = initial(c, d + off, &k, &why);
			if (rc < 0)
				return finish(c, rc, why);
			any = 1;
		}
		off += k.len;
	}
	/* A flow whose first datagram has no Initial was under way before
	 * we saw it (0-RTT or Handshake packets only): not ours to read. */
	if (!any && c->ninitials == 0)
		return finish(c, QUIC_NOT_QUIC,
		    "no Initial packet: a QUIC connection already under way");
	return hello_check(c);
}
