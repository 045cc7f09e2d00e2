/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server.c - the server's first flight, read without decrypting anything:
 * the ServerHello (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3) and, for TLS 1.2
 * and older, the Certificate message after it (RFC 5246 §7.4.2).
 *
 * TLS 1.3 encrypts everything after the ServerHello (EncryptedExtensions
 * with the selected ALPN, Certificate, CertificateVerify), so for 1.3 the
 * ServerHello is all there is to read: version, cipher suite, and whether
 * it is a HelloRetryRequest.
 *
 * Pure, like hello.c: the caller calls again from byte 0 with more bytes.
 */
#include <string.h>

#include "tls/rec.h"
#include "tls/tls.h"

#define HS_HELLO_REQUEST        0
#define HS_SERVER_HELLO         2
#define HS_NEW_SESSION_TICKET   4
#define HS_CERTIFICATE          11
#define HS_SERVER_KEY_EXCHANGE  12
#define HS_CERTIFICATE_REQUEST  13
#define HS_SERVER_HELLO_DONE    14
#define SEEN_MAX                64

/* RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is
 * SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
	0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* The ALPN extension of a ServerHello: exactly one name (RFC 7301 §3.1).
 * Kept when printable and short enough, as the client side does. */
static int
sh_alpn(struct tls_rd *r, size_t lim, struct tls_server *s)
{
	uint8_t name[255];
	uint32_t list, len;
	size_t i;
	int rc;

	if ((rc = tls_rd_uint(r, lim, 2, &list)) < 0 ||
	    (rc = tls_rd_uint(r, lim, 1, &len)) < 0)
		return rc;
	if (len == 0 || list != len + 1 || r->off + len != lim)
		return tls_rd_bad(r, "bad ALPN in ServerHello");
	if ((rc = tls_rd_get(r, lim, name, len)) < 0)
		return rc;
	if (len >= sizeof(s->alpn))
		return 0;
	for (i = 0; i < len; i++)
		if (name[i] <= 0x20 || name[i] >= 0x7f || name[i] == ',')
			return 0;
	memcpy(s->alpn, name, len);
	s->alpn[len] = '\0';
	return 0;
}

/* The ServerHello's extensions, up to the end of the message at lim. */
static int
sh_exts(struct tls_rd *r, size_t lim, struct tls_server *s)
{
	uint16_t seen[SEEN_MAX];
	uint32_t total, type, len, v;
	size_t nseen = 0, elim, i;
	int rc;

	rc = tls_rd_uint(r, lim, 2, &total);
	if (rc < 0)
		return rc;
	if (r->off + total != lim)
		return tls_rd_bad(r, "bad extensions length");
	while (r->off < lim) {
		if ((rc = tls_rd_uint(r, lim, 2, &type)) < 0 ||
		    (rc = tls_rd_uint(r, lim, 2, &len)) < 0)
			return rc;
		if (len > lim - r->off)
			return tls_rd_bad(r, "extension past the end of "
			    "the message");
		elim = r->off + len;
		if (nseen == SEEN_MAX)
			return tls_rd_bad(r, "more than 64 extensions");
		for (i = 0; i < nseen; i++)
			if (seen[i] == type)
				return tls_rd_bad(r, "duplicate extension");
		seen[nseen++] = (uint16_t)type;
		switch (type) {
		case TLS_EXT_SUPPORTED_VERSIONS:
			/* The server form: the one selected version. */
			if (len != 2)
				return tls_rd_bad(r, "bad supported_versions "
				    "length");
			if ((rc = tls_rd_uint(r, elim, 2, &v)) < 0)
				return rc;
			s->version = (uint16_t)v;
			break;
		case TLS_EXT_ALPN:
			if ((rc = sh_alpn(r, elim, s)) < 0)
				return rc;
			break;
		default:
			if ((rc = tls_rd_get(r, elim, NULL, len)) < 0)
				return rc;
			break;
		}
	}
	return 0;
}

/* The ServerHello's body (or a HelloRetryRequest's), up to lim. */
static int
sh_body(struct tls_rd *r, size_t lim, struct tls_server *s)
{
	uint8_t random[32];
	uint32_t v, len;
	int rc;

	if ((rc = tls_rd_uint(r, lim, 2, &v)) < 0)
		return rc;
	if ((v >> 8) != 3)
		return tls_rd_bad(r, "bad server version");
	s->version = (uint16_t)v;
	if ((rc = tls_rd_get(r, lim, random, sizeof(random))) < 0)
		return rc;
	s->hello_retry = memcmp(random, hrr_random, sizeof(random)) == 0;
	if ((rc = tls_rd_uint(r, lim, 1, &len)) < 0)
		return rc;
	if (len > 32)
		return tls_rd_bad(r, "session id longer than 32 bytes");
	if ((rc = tls_rd_get(r, lim, NULL, len)) < 0 ||
	    (rc = tls_rd_uint(r, lim, 2, &v)) < 0)
		return rc;
	s->cipher = (uint16_t)v;
	/* legacy_compression_method */
	if ((rc = tls_rd_get(r, lim, NULL, 1)) < 0)
		return rc;
	if (r->off == lim)
		return 0;
	return sh_exts(r, lim, s);
}

/*
 * The Certificate message of TLS 1.2 and older, up to lim: a list of DER
 * certificates, leaf first. Their places in p are kept while they are
 * contiguous there (the usual case: a chain of a few KiB in one record).
 */
static int
certificate(struct tls_rd *r, size_t lim, struct tls_server *s)
{
	uint32_t list, len;
	int rc, keep = 1;

	if ((rc = tls_rd_uint(r, lim, 3, &list)) < 0)
		return rc;
	if (r->off + list != lim)
		return tls_rd_bad(r, "bad certificate list length");
	while (r->off < lim) {
		if ((rc = tls_rd_uint(r, lim, 3, &len)) < 0)
			return rc;
		if (len == 0)
			return tls_rd_bad(r, "empty certificate");
		if (len > lim - r->off)
			return tls_rd_bad(r, "certificate past the end of "
			    "the message");
		if (keep && s->ncerts == TLS_MAX_CERTS)
			keep = 0;
		if (keep) {
			rc = tls_rd_contig(r, len);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				keep = 0;
			} else {
				s->cert[s->ncerts].off = r->pos;
				s->cert[s->ncerts].len = len;
				s->ncerts++;
			}
		}
		if (!keep)
			s->certs_partial = 1;
		if ((rc = tls_rd_get(r, lim, NULL, len)) < 0)
			return rc;
	}
	s->has_certs = 1;
	return 0;
}

/* An alert record at r->pos: its level and description. */
static int
alert(struct tls_rd *r, struct tls_server *s)
{
	const uint8_t *a = r->p + r->pos;

	if (r->n - r->pos < 2)
		return TLS_INCOMPLETE;
	if (a[1] != 3)
		return tls_rd_bad(r, "bad record version");
	if (r->n - r->pos < TLS_REC_HEADER + 2)
		return TLS_INCOMPLETE;
	/* Exactly one alert, unencrypted (RFC 5246 §7.2). */
	if ((a[3] << 8 | a[4]) != 2)
		return tls_rd_bad(r, "bad alert length");
	s->alert_level = a[5];
	s->alert_desc = a[6];
	return TLS_E_ALERT;
}

/*
 * After a TLS 1.2 ServerHello: read messages until the Certificate, or
 * until one shows none is coming (a ServerKeyExchange, CertificateRequest
 * or ServerHelloDone first: anonymous or PSK key exchange; a ChangeCipher-
 * Spec record or a NewSessionTicket: a resumed session). TLS_OK or an
 * error code.
 */
static int
tls12_rest(struct tls_rd *r, struct tls_server *s)
{
	uint32_t type, len;
	size_t lim;
	int rc;

	for (;;) {
		rc = tls_rd_open(r);
		if (rc == TLS_RD_OTHER && r->other == TLS_CT_ALERT)
			return alert(r, s);
		if (rc == TLS_RD_OTHER && r->other == TLS_CT_CCS)
			return TLS_OK;
		if (rc == TLS_RD_OTHER)
			return tls_rd_bad(r, "unexpected record type");
		if (rc < 0)
			return rc;
		lim = r->off + 4;
		if ((rc = tls_rd_uint(r, lim, 1, &type)) < 0 ||
		    (rc = tls_rd_uint(r, lim, 3, &len)) < 0)
			return rc;
		lim += len;
		switch (type) {
		case HS_CERTIFICATE:
			if ((rc = certificate(r, lim, s)) < 0)
				return rc;
			s->len = r->pos;
			return TLS_OK;
		case HS_SERVER_KEY_EXCHANGE:
		case HS_CERTIFICATE_REQUEST:
		case HS_SERVER_HELLO_DONE:
		case HS_NEW_SESSION_TICKET:
			return TLS_OK;
		case HS_HELLO_REQUEST:
			/* RFC 5246 §7.4.1.1: may come at any time, and is
			 * to be ignored during a handshake. */
			if ((rc = tls_rd_get(r, lim, NULL, len)) < 0)
				return rc;
			break;
		default:
			return tls_rd_bad(r, "unexpected handshake message");
		}
	}
}

int
tls_server_parse(const uint8_t *p, size_t n, size_t max,
		 struct tls_server *s)
{
	struct tls_rd r;
	uint32_t type, len;
	size_t lim;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = tls_first_bytes(p, n, 0, &s->why);
	if (rc != 0)
		return rc;
	tls_rd_init(&r, p, n, max);
	if (p[0] == TLS_CT_ALERT) {
		rc = alert(&r, s);
		if (rc == TLS_E_ALERT)
			return rc;
		goto out;
	}
	if ((rc = tls_rd_uint(&r, 4, 1, &type)) < 0)
		goto out;
	if (type != HS_SERVER_HELLO) {
		rc = tls_rd_bad(&r, "not a ServerHello");
		goto out;
	}
	if ((rc = tls_rd_uint(&r, 4, 3, &len)) < 0)
		goto out;
	lim = 4 + (size_t)len;
	if (lim + TLS_REC_HEADER > max) {
		rc = TLS_E_TOO_LONG;
		goto out;
	}
	if ((rc = sh_body(&r, lim, s)) < 0)
		goto out;
	s->len = r.pos;
	/* TLS 1.3 (and a HelloRetryRequest, answered by a new
	 * ClientHello): nothing more can be read. */
	if (s->hello_retry || s->version >= TLS_V_1_3)
		return TLS_OK;
	rc = tls12_rest(&r, s);
	if (rc == TLS_OK || rc == TLS_E_ALERT)
		return rc;
out:
	memset(s, 0, sizeof(*s));
	if (rc == TLS_E_MALFORMED)
		s->why = r.why;
	return rc;
}
