/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * h1_chunk.c - HTTP/1.1 message bodies (RFC 9112 6, 7.1): the resumable
 * body scanner, a byte-at-a-time state machine for chunk framing with a
 * bulk skip over chunk data, and in-place removal of chunk framing.
 *
 * Pure functions over caller-owned bytes, like h1.c.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "http/h1-ctab.h"
#include "http/h1.h"

/* States of the chunked scanner; 0 is the start of a chunk-size line. */
enum {
	CHK_SIZE0,	/* first hex digit of the chunk size */
	CHK_SIZE,	/* more hex digits */
	CHK_SIZE_WS,	/* BWS after the size: ';' must follow */
	CHK_EXT_WS1,	/* BWS after ';' */
	CHK_EXT_NAME,	/* chunk-ext-name */
	CHK_EXT_WS2,	/* BWS after the name: '=' or ';' must follow */
	CHK_EXT_WS3,	/* BWS after '=' */
	CHK_EXT_TOK,	/* token chunk-ext-val */
	CHK_EXT_QS,	/* inside a quoted-string value */
	CHK_EXT_QP,	/* after a backslash in it */
	CHK_EXT_QEND,	/* after the closing quote */
	CHK_EXT_WS4,	/* BWS after a value: ';' must follow */
	CHK_SIZE_LF,	/* CR ending the size line seen */
	CHK_DATA,	/* chunk data, ch->left bytes to go */
	CHK_DATA_CR,	/* CRLF after the data */
	CHK_DATA_LF,	/* ... its CR seen */
	CHK_TRL_START,	/* start of a trailer line; ch->left counts bytes */
	CHK_TRL_NAME,	/* trailer field name */
	CHK_TRL_VALUE,	/* trailer field value */
	CHK_TRL_LF,	/* CR ending a trailer line seen */
	CHK_END_LF,	/* CR of the final empty line seen */
	CHK_DONE,	/* message complete */
	CHK_ERROR,	/* an error was returned; it sticks */
};

/* Hex digit value of c, or -1. */
static inline int
h1_hex(unsigned char c)
{
	if ((unsigned)(c - '0') < 10)
		return c - '0';
	c |= 0x20;
	if ((unsigned)(c - 'a') < 6)
		return c - 'a' + 10;
	return -1;
}

/*
 * The chunked state machine (RFC 9112 7.1). Chunk data is skipped in bulk;
 * Every line of chunk framing must end in CRLF: a bare LF is an error here,
 * unlike in header blocks, because chunked bodies are passed on unchanged
 * and a next hop that reads a lone LF differently (as data, or as the end
 * of a chunk extension) would see other message boundaries than we do: a
 * known request smuggling vector.
 * everything else goes through the switch one byte at a time so that any
 * split point resumes exactly. Returns the bytes consumed, or a negative
 * H1_E_CHUNK* code.
 */
static ssize_t
h1_chunk_scan(struct h1_chunk *ch, const char *p, size_t n, int *done)
{
	size_t i = 0;
	uint64_t take;
	unsigned char c;
	int s = ch->state, d, rc = H1_E_CHUNK;

	if (s == CHK_ERROR)
		return H1_E_CHUNK;
	while (i < n && s != CHK_DONE) {
		if (s == CHK_DATA) {
			take = n - i;
			if (take > ch->left)
				take = ch->left;
			i += (size_t)take;
			ch->left -= take;
			if (ch->left == 0)
				s = CHK_DATA_CR;
			continue;
		}
		c = (unsigned char)p[i++];
		if (s >= CHK_TRL_START && ++ch->left > H1_MAX_TRAILER)
			goto bad;
		switch (s) {
		case CHK_SIZE0:
			if ((d = h1_hex(c)) < 0)
				goto bad;
			ch->left = (uint64_t)d;
			ch->digits = d != 0;
			s = CHK_SIZE;
			break;
		case CHK_SIZE:
			if ((d = h1_hex(c)) >= 0) {
				/* size * 16 + d must stay below 2^63, which
				 * also bounds it to 16 significant digits
				 * however many leading zeros come first. */
				if (ch->left > (H1_MAX_LEN >> 4)) {
					rc = H1_E_CHUNK_SIZE;
					goto bad;
				}
				ch->left = ch->left << 4 | (uint64_t)d;
				if (ch->left != 0)
					ch->digits++;
			} else if (c == ';')
				s = CHK_EXT_WS1;
			else if (c == ' ' || c == '\t')
				s = CHK_SIZE_WS;
			else if (c == '\r')
				s = CHK_SIZE_LF;
			else if (c == '\n')
				goto bad;	/* bare LF: see below */
			else
				goto bad;
			break;
		case CHK_SIZE_WS:
		case CHK_EXT_WS4:
			if (c == ';')
				s = CHK_EXT_WS1;
			else if (c != ' ' && c != '\t')
				goto bad;
			break;
		case CHK_EXT_WS1:
			if (IS(c, C_TOKEN))
				s = CHK_EXT_NAME;
			else if (c != ' ' && c != '\t')
				goto bad;
			break;
		case CHK_EXT_NAME:
			if (IS(c, C_TOKEN))
				break;
			if (c == '=')
				s = CHK_EXT_WS3;
			else if (c == ';')
				s = CHK_EXT_WS1;
			else if (c == ' ' || c == '\t')
				s = CHK_EXT_WS2;
			else if (c == '\r')
				s = CHK_SIZE_LF;
			else if (c == '\n')
				goto bad;	/* bare LF: see below */
			else
				goto bad;
			break;
		case CHK_EXT_WS2:
			if (c == '=')
				s = CHK_EXT_WS3;
			else if (c == ';')
				s = CHK_EXT_WS1;
			else if (c != ' ' && c != '\t')
				goto bad;
			break;
		case CHK_EXT_WS3:
			if (c == '"')
				s = CHK_EXT_QS;
			else if (IS(c, C_TOKEN))
				s = CHK_EXT_TOK;
			else if (c != ' ' && c != '\t')
				goto bad;
			break;
		case CHK_EXT_TOK:
			if (IS(c, C_TOKEN))
				break;
			/* FALLTHROUGH */
		case CHK_EXT_QEND:
			if (c == ';')
				s = CHK_EXT_WS1;
			else if (c == ' ' || c == '\t')
				s = CHK_EXT_WS4;
			else if (c == '\r')
				s = CHK_SIZE_LF;
			else if (c == '\n')
				goto bad;	/* bare LF: see below */
			else
				goto bad;
			break;
		case CHK_EXT_QS:
			if (c == '"')
				s = CHK_EXT_QEND;
			else if (c == '\\')
				s = CHK_EXT_QP;
			else if (!IS(c, C_QDTEXT))
				goto bad;
			break;
		case CHK_EXT_QP:
			/* quoted-pair: HTAB / SP / VCHAR / obs-text */
			if (!IS(c, C_VALUE))
				goto bad;
			s = CHK_EXT_QS;
			break;
		case CHK_SIZE_LF:
			if (c != '\n')
				goto bad;
			goto size_done;
		case CHK_DATA_CR:
			if (c == '\r')
				s = CHK_DATA_LF;
			else
				goto bad;
			break;
		case CHK_DATA_LF:
			if (c != '\n')
				goto bad;
			s = CHK_SIZE0;
			break;
		case CHK_TRL_START:
			if (IS(c, C_TOKEN))
				s = CHK_TRL_NAME;
			else if (c == '\r')
				s = CHK_END_LF;
			else
				goto bad;	/* obs-fold, bare LF, junk */
			break;
		case CHK_TRL_NAME:
			if (c == ':')
				s = CHK_TRL_VALUE;
			else if (!IS(c, C_TOKEN))
				goto bad;
			break;
		case CHK_TRL_VALUE:
			if (c == '\r')
				s = CHK_TRL_LF;
			else if (!IS(c, C_VALUE))
				goto bad;
			break;
		case CHK_TRL_LF:
			if (c != '\n')
				goto bad;
			s = CHK_TRL_START;
			break;
		case CHK_END_LF:
			if (c != '\n')
				goto bad;
			s = CHK_DONE;
			break;
		default:
			goto bad;
		}
		continue;
size_done:
		/* The last chunk has size 0; what follows is the trailer
		 * section, whose byte count reuses ch->left. */
		s = ch->left == 0 ? CHK_TRL_START : CHK_DATA;
	}
	ch->state = s;
	*done = s == CHK_DONE;
	return (ssize_t)i;
bad:
	ch->state = CHK_ERROR;
	return rc;
}

ssize_t
h1_body_scan(struct h1_body *body, const char *p, size_t n, int *done)
{
	uint64_t take;

	*done = 0;
	switch (body->kind) {
	case H1_BODY_NONE:
		*done = 1;
		return 0;
	case H1_BODY_LENGTH:
		take = body->left < n ? body->left : n;
		body->left -= take;
		*done = body->left == 0;
		return (ssize_t)take;
	case H1_BODY_CHUNKED:
		return h1_chunk_scan(&body->chunk, p, n, done);
	case H1_BODY_CLOSE:
	case H1_BODY_TUNNEL:
		break;
	}
	return (ssize_t)n;
}

uint64_t
h1_chunk_data_left(const struct h1_body *body)
{
	if (body->kind != H1_BODY_CHUNKED || body->chunk.state != CHK_DATA)
		return 0;
	return body->chunk.left;
}

/*
 * Data in bulk (h1_chunk_data_left() says how much comes before the next
 * framing), framing one byte at a time, as there are few bytes of it.
 */
ssize_t
h1_dechunk(struct h1_body *body, char *p, size_t *n, int *done)
{
	char *w = p, *r = p, *end = p + *n;
	uint64_t left;
	size_t m;
	ssize_t k;

	*done = 0;
	while (r < end && !*done) {
		left = h1_chunk_data_left(body);
		if (left > 0) {
			m = (size_t)(end - r) < left ? (size_t)(end - r) :
			    (size_t)left;
			k = h1_body_scan(body, r, m, done);
			if (k < 0)
				return k;
			memmove(w, r, (size_t)k);
			w += k;
			r += k;
		} else {
			k = h1_body_scan(body, r, 1, done);
			if (k < 0)
				return k;
			if (k == 0)
				break;
			r += k;
		}
	}
	/* Close the gap left by dropped framing. */
	memmove(w, r, (size_t)(end - r));
	*n -= (size_t)(r - w);
	return (ssize_t)(w - p);
}
