/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hello.c - the client's ClientHello, read from the first bytes of a
 * connection without consuming them (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).
 *
 * Pure: no allocation, no I/O, no global state. The caller calls again
 * from byte 0 with more bytes after TLS_INCOMPLETE; the answer for a
 * prefix of a valid hello is always TLS_INCOMPLETE, and once the hello is
 * complete the result does not depend on how the bytes arrived.
 *
 * What is kept: the versions (RFC 8446 §4.2.1 supported_versions), the
 * server name (RFC 6066 §3), the offered application protocols (RFC 7301),
 * the cipher suites and extension types in wire order, and whether the
 * hello is the outer hello of an Encrypted Client Hello. GREASE values
 * (RFC 8701) are left out of every list.
 */
#include <arpa/inet.h>
#include <string.h>

#include "tls/rec.h"
#include "tls/tls.h"

#define HS_CLIENT_HELLO  1
#define HOST_MAX         253	/* RFC 1035 text form, no trailing dot */
#define LABEL_MAX        63
#define SEEN_MAX         256	/* extensions checked for duplicates */

/*
 * Validate a server name and store it lowercase in h->sni: letters,
 * digits, '-' and '.', '_' tolerated (seen in real names), labels of 1-63
 * bytes, at most 253 bytes once one trailing dot is stripped. An IPv4 or
 * IPv6 literal is kept as the name with h->sni_ip set. Anything else sets
 * h->sni_invalid and leaves h->sni empty.
 */
static void
sni_set(struct tls_hello *h, const uint8_t *name, size_t len)
{
	char buf[TLS_SNI_MAX], c;
	size_t i, label = 0;
	struct in6_addr a6;
	struct in_addr a4;
	int colon = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > HOST_MAX)
		goto invalid;
	for (i = 0; i < len; i++) {
		c = (char)name[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				goto invalid;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_') {
			if (++label > LABEL_MAX)
				goto invalid;
		} else if (c == ':') {
			colon = 1;
		} else {
			goto invalid;
		}
		buf[i] = c;
	}
	/* An empty last label: "name.." had one dot stripped. */
	if (label == 0 && !colon)
		goto invalid;
	buf[len] = '\0';
	if (colon) {
		/* Only an IPv6 literal may hold a colon. */
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			goto invalid;
		h->sni_ip = 1;
	} else if (inet_pton(AF_INET, buf, &a4) == 1) {
		h->sni_ip = 1;
	}
	memcpy(h->sni, buf, len + 1);
	h->has_sni = 1;
	return;
invalid:
	h->sni_invalid = 1;
}

/*
 * server_name (RFC 6066 §3): a list of (name_type, name); the host_name
 * entry (type 0) is the one kept. Wire-format errors are TLS_E_MALFORMED;
 * a host name that is not a valid one only sets h->sni_invalid.
 */
static int
ext_sni(struct tls_rd *r, size_t lim, struct tls_hello *h)
{
	uint8_t name[HOST_MAX + 2];
	uint32_t list, type, len;
	int rc, seen = 0;

	rc = tls_rd_uint(r, lim, 2, &list);
	if (rc < 0)
		return rc;
	if (list == 0 || r->off + list != lim)
		return tls_rd_bad(r, "bad server_name list length");
	while (r->off < lim) {
		if ((rc = tls_rd_uint(r, lim, 1, &type)) < 0 ||
		    (rc = tls_rd_uint(r, lim, 2, &len)) < 0)
			return rc;
		if (len == 0)
			return tls_rd_bad(r, "empty server name");
		if (type != 0 || len > sizeof(name)) {
			/* Another name type, or too long to be a host
			 * name (checked for its length below). */
			rc = tls_rd_get(r, lim, NULL, len);
			if (rc < 0)
				return rc;
			if (type == 0) {
				if (seen++)
					return tls_rd_bad(r, "two host "
					    "names in server_name");
				h->sni_invalid = 1;
			}
			continue;
		}
		rc = tls_rd_get(r, lim, name, len);
		if (rc < 0)
			return rc;
		/* RFC 6066: "MUST NOT contain more than one name of the
		 * same name_type". */
		if (seen++)
			return tls_rd_bad(r, "two host names in server_name");
		sni_set(h, name, len);
	}
	return 0;
}

/* An ALPN name printable in a comma-separated list (no comma, no space,
 * no control byte), so that h->alpn is safe to log as it is. */
static int
alpn_printable(const uint8_t *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == ',')
			return 0;
	return 1;
}

/*
 * application_layer_protocol_negotiation (RFC 7301 §3.1): a list of
 * 1-255 byte names, at least one. h->alpn gets the printable ones that
 * are not GREASE (RFC 8701 §2: two equal bytes 0x?A), comma separated,
 * stopping at the first that does not fit whole.
 */
static int
ext_alpn(struct tls_rd *r, size_t lim, struct tls_hello *h)
{
	uint8_t name[255];
	uint32_t list, len;
	size_t used = 0;
	int rc, full = 0;

	rc = tls_rd_uint(r, lim, 2, &list);
	if (rc < 0)
		return rc;
	if (list < 2 || r->off + list != lim)
		return tls_rd_bad(r, "bad ALPN list length");
	while (r->off < lim) {
		rc = tls_rd_uint(r, lim, 1, &len);
		if (rc < 0)
			return rc;
		if (len == 0)
			return tls_rd_bad(r, "empty ALPN name");
		rc = tls_rd_get(r, lim, name, len);
		if (rc < 0)
			return rc;
		if (full || (len == 2 && name[0] == name[1] &&
		    (name[0] & 0x0f) == 0x0a) || !alpn_printable(name, len))
			continue;
		/* Room for a comma, the name and the NUL. */
		if (used + (used > 0) + len + 1 > sizeof(h->alpn)) {
			full = 1;
			continue;
		}
		if (used > 0)
			h->alpn[used++] = ',';
		memcpy(h->alpn + used, name, len);
		used += len;
		h->alpn[used] = '\0';
	}
	return 0;
}

/*
 * supported_versions (RFC 8446 §4.2.1), client form: a list of 2-byte
 * versions. h->version becomes the highest SSL/TLS one (major byte 3) that
 * is not GREASE; old draft numbers (0x7fXX) are kept in the list but do
 * not count.
 */
static int
ext_versions(struct tls_rd *r, size_t lim, struct tls_hello *h)
{
	uint32_t list, v;
	int rc;

	rc = tls_rd_uint(r, lim, 1, &list);
	if (rc < 0)
		return rc;
	if (list < 2 || list % 2 != 0 || r->off + list != lim)
		return tls_rd_bad(r, "bad supported_versions length");
	while (r->off < lim) {
		rc = tls_rd_uint(r, lim, 2, &v);
		if (rc < 0)
			return rc;
		if (tls_is_grease((uint16_t)v))
			continue;
		if (h->nversions < TLS_MAX_VERSIONS)
			h->versions[h->nversions++] = (uint16_t)v;
		if ((v >> 8) == 3 && v > h->version)
			h->version = (uint16_t)v;
	}
	return 0;
}

/*
 * signature_algorithms (RFC 8446 §4.2.3, RFC 5246 §7.4.1.4.1): a list of
 * 2-byte schemes. h->ecdsa when one is ECDSA: ecdsa_secp256r1_sha256,
 * ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512 (0x0403, 0x0503, 0x0603)
 * or TLS 1.2's ecdsa_sha1 (0x0203). 0x0807/0x0808 are EdDSA: a client
 * offering only those cannot check an ECDSA signature. Only read for
 * that flag: a malformed list is skipped, not an error, so that this
 * does not refuse hellos the reader accepted before it looked here.
 */
static int
ext_sigalgs(struct tls_rd *r, size_t lim, struct tls_hello *h)
{
	uint32_t list, v;
	int rc, ok, ecdsa = 0;

	if (lim - r->off < 2)
		return tls_rd_get(r, lim, NULL, lim - r->off);
	if ((rc = tls_rd_uint(r, lim, 2, &list)) < 0)
		return rc;
	ok = list % 2 == 0 && r->off + list == lim;
	while (lim - r->off >= 2) {
		if ((rc = tls_rd_uint(r, lim, 2, &v)) < 0)
			return rc;
		if (v == 0x0403 || v == 0x0503 || v == 0x0603 || v == 0x0203)
			ecdsa = 1;
	}
	if (r->off < lim && (rc = tls_rd_get(r, lim, NULL, lim - r->off)) < 0)
		return rc;
	if (ok)
		h->ecdsa = ecdsa;
	return 0;
}

/* An ECDHE_ECDSA cipher suite (RFC 8422, 5289, 6209, 6367, 7251, 7905):
 * the server's certificate holds an ECDSA key. */
static int
suite_ecdsa(uint32_t v)
{
	return (v >= 0xc006 && v <= 0xc00a) || v == 0xc023 || v == 0xc024 ||
	    v == 0xc02b || v == 0xc02c || v == 0xc048 || v == 0xc049 ||
	    v == 0xc05c || v == 0xc05d || v == 0xc072 || v == 0xc073 ||
	    v == 0xc086 || v == 0xc087 || (v >= 0xc0ac && v <= 0xc0af) ||
	    v == 0xcca9;
}

/* Is type among the first n of seen[]? */
static int
ext_seen(const uint16_t *seen, size_t n, uint16_t type)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seen[i] == type)
			return 1;
	return 0;
}

/* The extensions block, from its length to the end of the message at
 * lim. Each one is read to its end, whether understood or not. */
static int
hello_exts(struct tls_rd *r, size_t lim, struct tls_hello *h, int *sigalgs)
{
	uint16_t seen[SEEN_MAX];
	uint32_t total, type, len;
	size_t nseen = 0, elim;
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
			    "the hello");
		elim = r->off + len;
		/* RFC 8446 §4.2: at most one extension of each type (two
		 * different GREASE values are two types). */
		if (nseen == SEEN_MAX)
			return tls_rd_bad(r, "more than 256 extensions");
		if (ext_seen(seen, nseen, (uint16_t)type))
			return tls_rd_bad(r, "duplicate extension");
		seen[nseen++] = (uint16_t)type;
		if (!tls_is_grease((uint16_t)type) && h->nexts < TLS_MAX_EXTS)
			h->exts[h->nexts++] = (uint16_t)type;
		switch (type) {
		case TLS_EXT_SNI:
			rc = ext_sni(r, elim, h);
			break;
		case TLS_EXT_ALPN:
			rc = ext_alpn(r, elim, h);
			break;
		case TLS_EXT_SUPPORTED_VERSIONS:
			rc = ext_versions(r, elim, h);
			break;
		case TLS_EXT_SIG_ALGS:
			*sigalgs = 1;
			rc = ext_sigalgs(r, elim, h);
			break;
		case TLS_EXT_ECH:
			/* The outer hello of ECH (or a GREASE ECH, which
			 * looks the same from outside): its content is
			 * encrypted for the server. */
			h->ech = 1;
			rc = tls_rd_get(r, elim, NULL, len);
			break;
		default:
			rc = tls_rd_get(r, elim, NULL, len);
			break;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The ClientHello's body, from legacy_version to the end at lim. */
static int
hello_body(struct tls_rd *r, size_t lim, struct tls_hello *h)
{
	uint32_t v, len;
	size_t end;
	int rc, ecdsa_suite = 0, sigalgs = 0;

	rc = tls_rd_uint(r, lim, 2, &v);
	if (rc < 0)
		return rc;
	if ((v >> 8) != 3)
		return tls_rd_bad(r, "bad client version");
	h->legacy_version = (uint16_t)v;
	/* random */
	if ((rc = tls_rd_get(r, lim, NULL, 32)) < 0)
		return rc;
	/* legacy_session_id<0..32> */
	if ((rc = tls_rd_uint(r, lim, 1, &len)) < 0)
		return rc;
	if (len > 32)
		return tls_rd_bad(r, "session id longer than 32 bytes");
	if ((rc = tls_rd_get(r, lim, NULL, len)) < 0)
		return rc;
	/* cipher_suites<2..2^16-2> */
	if ((rc = tls_rd_uint(r, lim, 2, &len)) < 0)
		return rc;
	if (len < 2 || len % 2 != 0)
		return tls_rd_bad(r, "bad cipher suites length");
	if (len > lim - r->off)
		return tls_rd_bad(r, "length past the end of its field");
	end = r->off + len;
	while (r->off < end) {
		if ((rc = tls_rd_uint(r, end, 2, &v)) < 0)
			return rc;
		if (!tls_is_grease((uint16_t)v) &&
		    h->nciphers < TLS_MAX_CIPHERS)
			h->ciphers[h->nciphers++] = (uint16_t)v;
		if (suite_ecdsa(v))
			ecdsa_suite = 1;
	}
	/* legacy_compression_methods<1..2^8-1> */
	if ((rc = tls_rd_uint(r, lim, 1, &len)) < 0)
		return rc;
	if (len == 0)
		return tls_rd_bad(r, "no compression method");
	if ((rc = tls_rd_get(r, lim, NULL, len)) < 0)
		return rc;
	/* SSL 3.0 hellos may end here (RFC 5246 §7.4.1.2). */
	if (r->off < lim && (rc = hello_exts(r, lim, h, &sigalgs)) < 0)
		return rc;
	/* RFC 5246 §7.4.1.4.1: without signature_algorithms, the suites
	 * say which certificates the client takes. */
	if (!sigalgs && ecdsa_suite)
		h->ecdsa = 1;
	return 0;
}

/*
 * The ClientHello message at the cursor (its 4-byte header, then the
 * body), when its header and body fit in room bytes. 0 with *h filled
 * (h->len and h->nrecords are the caller's), or a negative TLS_* code.
 */
static int
hello_msg(struct tls_rd *r, size_t room, struct tls_hello *h)
{
	uint32_t type, len;
	int rc;

	/* The message header: its type and its 24-bit length. */
	if ((rc = tls_rd_uint(r, 4, 1, &type)) < 0)
		return rc;
	if (type != HS_CLIENT_HELLO)
		return tls_rd_bad(r, "not a ClientHello");
	if ((rc = tls_rd_uint(r, 4, 3, &len)) < 0)
		return rc;
	if (4 + (size_t)len > room)
		return TLS_E_TOO_LONG;
	rc = hello_body(r, 4 + (size_t)len, h);
	if (rc < 0)
		return rc;
	if (r->off != 4 + (size_t)len)
		return tls_rd_bad(r, "bytes after the extensions");
	if (h->version == 0)
		h->version = h->legacy_version;
	return 0;
}

int
tls_hello_parse(const uint8_t *p, size_t n, size_t max,
		struct tls_hello *h)
{
	struct tls_rd r;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = tls_first_bytes(p, n, 1, &h->why);
	if (rc != 0)
		return rc;
	if (n >= 3)
		h->record_version = (uint16_t)(p[1] << 8 | p[2]);
	tls_rd_init(&r, p, n, max);
	/* It cannot fit: the records carrying it take at least a header
	 * more than the message. */
	rc = hello_msg(&r, max > TLS_REC_HEADER ? max - TLS_REC_HEADER : 0,
	    h);
	if (rc < 0)
		goto out;
	/* The record holding the last byte must be whole: its end is
	 * where the hello's bytes end for the caller. */
	if (r.rend > n) {
		rc = TLS_INCOMPLETE;
		goto out;
	}
	h->len = r.rend;
	h->nrecords = r.nrec;
	return TLS_OK;
out:
	/* Nothing half-read is left for the caller to trust. */
	memset(h, 0, sizeof(*h));
	if (rc == TLS_E_MALFORMED)
		h->why = r.why;
	return rc;
}

int
tls_hello_parse_msg(const uint8_t *p, size_t n, struct tls_hello *h)
{
	struct tls_rd r;
	int rc;

	memset(h, 0, sizeof(*h));
	tls_rd_init_bare(&r, p, n);
	rc = hello_msg(&r, n, h);
	if (rc < 0) {
		memset(h, 0, sizeof(*h));
		if (rc == TLS_E_MALFORMED)
			h->why = r.why;
		return rc;
	}
	h->len = r.off;
	return TLS_OK;
}
