/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rec.c - the record layer under the handshake readers (rec.h): walking
 * TLS records from the start of a direction and reading the handshake
 * bytes they carry as one stream, without copying it. Also the texts both
 * readers' callers use (tls_version_str(), tls_strerror()).
 */
#include <string.h>

#include "tls/rec.h"
#include "tls/tls.h"

void
tls_rd_init(struct tls_rd *r, const uint8_t *p, size_t n, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->n = n;
	r->max = max;
}

void
tls_rd_init_bare(struct tls_rd *r, const uint8_t *p, size_t n)
{
	tls_rd_init(r, p, n, n);
	r->bare = 1;
	r->rend = n;
}

int
tls_first_bytes(const uint8_t *p, size_t n, int client, const char **why)
{
	if (n == 0)
		return TLS_INCOMPLETE;
	/*
	 * SSLv2's record header is two bytes, the first with its high bit
	 * set, and a ClientHello's message type (1) comes third. Old
	 * clients sent it to reach SSLv3/TLS servers; nothing today speaks
	 * SSLv2, and its hello carries no SNI: name it, refuse it.
	 */
	if (client && (p[0] & 0x80) != 0) {
		if (n < 3)
			return TLS_INCOMPLETE;
		if (p[2] == 1) {
			*why = "SSLv2 hello";
			return TLS_E_MALFORMED;
		}
		*why = "not a TLS record";
		return TLS_NOT_TLS;
	}
	if (p[0] != TLS_CT_HANDSHAKE && (client || p[0] != TLS_CT_ALERT)) {
		*why = "not a TLS record";
		return TLS_NOT_TLS;
	}
	/* Every TLS version, 1.3 included, keeps 3 as the major byte of
	 * the record version (SSL 3.0 = 3.0, TLS 1.x = 3.(x+1)). */
	if (n >= 2 && p[1] != 3) {
		*why = "not a TLS record version";
		return TLS_NOT_TLS;
	}
	return 0;
}

int
tls_rd_open(struct tls_rd *r)
{
	const uint8_t *h;
	size_t len;

	if (r->pos < r->rend)
		return 0;
	if (r->bare)
		return TLS_INCOMPLETE;
	/*
	 * pos == rend: the next record's header starts here. Whatever it
	 * says, a record that ends past max holds at least one byte more
	 * than its header: when that does not fit, the message is too long
	 * even if its bytes are still to come.
	 */
	h = r->p + r->pos;
	if (r->pos < r->n && h[0] != TLS_CT_HANDSHAKE) {
		r->other = h[0];
		return TLS_RD_OTHER;
	}
	if (r->n - r->pos >= 2 && h[1] != 3)
		return tls_rd_bad(r, "bad record version");
	if (r->pos + TLS_REC_HEADER >= r->max)
		return TLS_E_TOO_LONG;
	if (r->n - r->pos < TLS_REC_HEADER)
		return TLS_INCOMPLETE;
	len = (size_t)h[3] << 8 | h[4];
	/* RFC 8446 §5.1: no empty handshake records; RFC 5246 §6.2.1: at
	 * most 2^14 bytes of plaintext in a record. */
	if (len == 0)
		return tls_rd_bad(r, "empty handshake record");
	if (len > TLS_REC_MAX)
		return tls_rd_bad(r, "record longer than 16384 bytes");
	if (r->pos + TLS_REC_HEADER + len > r->max)
		return TLS_E_TOO_LONG;
	r->pos += TLS_REC_HEADER;
	r->rend = r->pos + len;
	r->nrec++;
	return 0;
}

int
tls_rd_get(struct tls_rd *r, size_t lim, uint8_t *out, size_t k)
{
	size_t avail, take;
	int rc;

	if (lim < r->off || k > lim - r->off)
		return tls_rd_bad(r, "length past the end of its field");
	while (k > 0) {
		rc = tls_rd_open(r);
		if (rc == TLS_RD_OTHER)
			return tls_rd_bad(r, "handshake message cut by "
			    "another record");
		if (rc < 0)
			return rc;
		avail = (r->rend < r->n ? r->rend : r->n) - r->pos;
		if (avail == 0)
			return TLS_INCOMPLETE;
		take = avail < k ? avail : k;
		if (out != NULL) {
			memcpy(out, r->p + r->pos, take);
			out += take;
		}
		r->pos += take;
		r->off += take;
		k -= take;
	}
	return 0;
}

int
tls_rd_contig(struct tls_rd *r, size_t k)
{
	int rc;

	if (k == 0)
		return 1;
	rc = tls_rd_open(r);
	if (rc == TLS_RD_OTHER)
		return tls_rd_bad(r, "handshake message cut by another record");
	if (rc < 0)
		return rc;
	return k <= r->rend - r->pos;
}

int
tls_rd_uint(struct tls_rd *r, size_t lim, size_t k, uint32_t *v)
{
	uint8_t b[3];
	size_t i;
	int rc;

	if (k > sizeof(b))
		return tls_rd_bad(r, "integer too wide");
	rc = tls_rd_get(r, lim, b, k);
	if (rc < 0)
		return rc;
	*v = 0;
	for (i = 0; i < k; i++)
		*v = *v << 8 | b[i];
	return 0;
}

const char *
tls_version_str(uint16_t v)
{
	switch (v) {
	case TLS_V_SSL3:
		return "SSL/3.0";
	case TLS_V_1_0:
		return "TLS/1.0";
	case TLS_V_1_1:
		return "TLS/1.1";
	case TLS_V_1_2:
		return "TLS/1.2";
	case TLS_V_1_3:
		return "TLS/1.3";
	default:
		return "-";
	}
}

const char *
tls_strerror(int rc)
{
	switch (rc) {
	case TLS_OK:
		return "complete TLS handshake message";
	case TLS_INCOMPLETE:
		return "incomplete TLS handshake message";
	case TLS_NOT_TLS:
		return "not a TLS handshake";
	case TLS_E_MALFORMED:
		return "malformed TLS handshake";
	case TLS_E_TOO_LONG:
		return "TLS handshake message too long";
	case TLS_E_ALERT:
		return "TLS alert from the server";
	default:
		return "unknown TLS reader result";
	}
}
