/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rec.h - inside src/tls only: a cursor over the handshake bytes that
 * consecutive TLS records carry (RFC 8446 §5.1, RFC 5246 §6.2.1).
 *
 * A handshake message may be cut into several records and each record may
 * be only partly in the buffer. The cursor reads the message as one
 * logical byte stream ("off", counted from the first handshake byte)
 * while it walks the records underneath ("pos", an offset in p), so the
 * readers never copy a message to reassemble it: they copy out only the
 * few bytes they keep (a length, a name).
 *
 * Every read checks two limits, in this order: the logical end of the
 * vector being read (past it: TLS_E_MALFORMED, so a broken length is
 * reported as soon as it is seen, whatever has arrived), then the bytes
 * in the buffer (TLS_INCOMPLETE). A record that would end past max is
 * TLS_E_TOO_LONG as soon as its header is read.
 */
#ifndef TPROXYD_TLS_REC_H
#define TPROXYD_TLS_REC_H

#include <stddef.h>
#include <stdint.h>

#include "tls/tls-t.h"

#define TLS_REC_HEADER   5
#define TLS_REC_MAX      16384	/* a plaintext record's payload (2^14) */

#define TLS_CT_CCS       20	/* content types */
#define TLS_CT_ALERT     21
#define TLS_CT_HANDSHAKE 22

/* tls_rd_open(): the next record is not a handshake record; its content
 * type is in rd->other and rd->pos is at its header. Never returned by
 * the readers' public functions. */
#define TLS_RD_OTHER     (-100)

struct tls_rd {
	const uint8_t *p;
	size_t      n;		/* bytes in p */
	size_t      max;	/* no record may end past this */
	size_t      pos;	/* offset in p of the next handshake byte
				   (or of the next record's header when
				   pos == rend) */
	size_t      rend;	/* offset in p of the end of the current
				   record (may be past n) */
	size_t      off;	/* handshake bytes read so far */
	unsigned    nrec;	/* handshake records entered */
	uint8_t     other;	/* TLS_RD_OTHER: that record's type */
	unsigned    bare:1;	/* p holds handshake bytes without record
				   headers (QUIC's CRYPTO stream): one
				   "record" spanning p[0..n) */
	const char *why;	/* what was wrong, for TLS_E_MALFORMED */
};

void tls_rd_init(struct tls_rd *r, const uint8_t *p, size_t n, size_t max);

/* A cursor over bare handshake bytes p[0..n), with no record layer (QUIC
 * carries the handshake in CRYPTO frames, RFC 9001 §4): reading past n is
 * TLS_INCOMPLETE, never a record header. */
void tls_rd_init_bare(struct tls_rd *r, const uint8_t *p, size_t n);

/* Enter the next record when the current one is used up. 0 (the cursor
 * is inside a handshake record, pos < rend), TLS_INCOMPLETE, TLS_RD_OTHER,
 * TLS_E_MALFORMED or TLS_E_TOO_LONG. */
int tls_rd_open(struct tls_rd *r);

/* Read k handshake bytes into out (NULL: skip them) when they end at or
 * before the logical offset lim. 0 or a negative TLS_* code. */
int tls_rd_get(struct tls_rd *r, size_t lim, uint8_t *out, size_t k);

/* 1 when the next k handshake bytes are contiguous in p (in the record
 * the cursor is in, entering the next one when the current one is used
 * up), 0 when they are split over records, or a negative TLS_* code. */
int tls_rd_contig(struct tls_rd *r, size_t k);

/* Big-endian integers of 1, 2 or 3 bytes. */
int tls_rd_uint(struct tls_rd *r, size_t lim, size_t k, uint32_t *v);

/* A TLS_E_MALFORMED with its reason. */
static inline int
tls_rd_bad(struct tls_rd *r, const char *why)
{
	r->why = why;
	return TLS_E_MALFORMED;
}

/* RFC 8701: GREASE values are 0x?A?A with both bytes equal. */
static inline int
tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/*
 * Look at the first bytes of a direction: 0 when they may start a TLS
 * handshake record (or, server side, an alert record), TLS_NOT_TLS as soon
 * as one byte shows they cannot, TLS_INCOMPLETE when no byte tells yet.
 * Client side, an SSLv2-compatible ClientHello (RFC 5246 appendix E.2) is
 * TLS_E_MALFORMED with *why "SSLv2 hello".
 */
int tls_first_bytes(const uint8_t *p, size_t n, int client,
		    const char **why);

#endif
