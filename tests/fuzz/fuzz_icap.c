/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_icap.c - fuzz target: the ICAP response reader (src/icap/icap.c).
 *
 * Input: the bytes an ICAP server sends. The ICAP head is parsed; when it
 * parses, its length is within the input, its status is 100..599, the
 * Encapsulated parts grow and end with a body, OPTIONS facts can be read,
 * each encapsulated HTTP head named is given to the HTTP/1 parser, and
 * the body after the heads is decoded twice, whole and cut at a point
 * chosen from the input: both give the same bytes, the same end and the
 * same "ieof", every data view lies inside the input, and no call
 * consumes more than it was given.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "http/h1.h"
#include "icap/icap.h"

/* Decode p[0..n) fed in two pieces (split at cut); the data goes into
 * out. Returns the last rc (0: done, else an error or incomplete). */
static int
decode(const uint8_t *p, size_t n, size_t cut, uint8_t *out, size_t *olen,
       struct icap_chunk *c)
{
	size_t pos = 0, lim;
	struct str d;
	ssize_t rc;

	memset(c, 0, sizeof(*c));
	*olen = 0;
	while (!c->done) {
		lim = pos < cut ? cut : n;
		if (pos == lim) {
			if (lim == n)
				return ICAP_INCOMPLETE;
			continue;	/* the second piece arrives */
		}
		rc = icap_chunk_next(c, (const char *)p + pos, lim - pos, &d);
		if (rc == ICAP_INCOMPLETE) {
			if (lim == n)
				return ICAP_INCOMPLETE;
			cut = n;	/* more bytes: the whole rest */
			continue;
		}
		if (rc < 0)
			return (int)rc;
		FUZZ_CHECK((size_t)rc <= lim - pos);
		if (d.len > 0) {
			FUZZ_CHECK((const uint8_t *)d.p == p + pos);
			FUZZ_CHECK(d.len == (size_t)rc);
			memcpy(out + *olen, d.p, d.len);
			*olen += d.len;
		}
		pos += (size_t)rc;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[1 << 16], b[1 << 16];
	static struct icap_resp r;
	static struct h1_req hreq;
	static struct h1_resp hres;
	struct icap_options o;
	struct icap_chunk ca, cb;
	struct h1_scan sc;
	size_t alen, blen, body, i, plen;
	int rc, ra, rb;
	int64_t off;

	if (size > sizeof(a))
		return 0;
	rc = icap_parse_resp((const char *)data, size, ICAP_HEAD_MAX, &r);
	FUZZ_CHECK(rc > 0 || (rc <= ICAP_INCOMPLETE && rc >= ICAP_E_LAST));
	if (rc <= 0)
		return 0;
	FUZZ_CHECK((size_t)rc <= size);
	FUZZ_CHECK(r.status >= 100 && r.status <= 599);
	FUZZ_CHECK(r.nhdr <= ICAP_MAX_HEADERS);
	for (i = 1; i < (size_t)r.enc.n; i++)
		FUZZ_CHECK(r.enc.e[i].off >= r.enc.e[i - 1].off);
	(void)icap_options_read(&r, &o);
	if (r.enc.n == 0)
		return 0;
	/* The heads, each from its offset to the next part's. */
	for (i = 0; i + 1 < (size_t)r.enc.n; i++) {
		off = (int64_t)r.enc.e[i].off;
		if ((uint64_t)off + (size_t)rc > size ||
		    r.enc.e[i + 1].off + (size_t)rc > size)
			return 0;
		plen = (size_t)(r.enc.e[i + 1].off - r.enc.e[i].off);
		memset(&sc, 0, sizeof(sc));
		if (r.enc.e[i].part == ICAP_P_REQ_HDR)
			(void)h1_parse_req((const char *)data + rc + off,
					   plen, plen, &sc, &hreq);
		else
			(void)h1_parse_resp((const char *)data + rc + off,
					    plen, plen, &sc, &hres);
	}
	body = (size_t)rc + r.enc.e[r.enc.n - 1].off;
	if (body > size || icap_encap_body(&r.enc) == ICAP_P_NULL_BODY)
		return 0;
	ra = decode(data + body, size - body, size - body, a, &alen, &ca);
	rb = decode(data + body, size - body,
		    (fuzz_hash(data, size) % (size - body + 1)), b, &blen,
		    &cb);
	FUZZ_CHECK(ra == rb);
	FUZZ_CHECK(alen == blen && memcmp(a, b, alen) == 0);
	FUZZ_CHECK(ca.done == cb.done && ca.ieof == cb.ieof);
	return 0;
}
