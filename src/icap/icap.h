/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icap.h - the ICAP client's message layer (types in icap-t.h). Pure: no
 * I/O, no globals; parsers return views into the caller's bytes.
 */
#ifndef TPROXYD_ICAP_ICAP_H
#define TPROXYD_ICAP_ICAP_H

#include <sys/types.h>

#include "core/buf-t.h"
#include "icap/icap-t.h"

/*
 * Append an ICAP request head and the encapsulated HTTP head(s) to out
 * (grown as needed). The body, if any, is written after it by the caller
 * with icap_chunk_head() / icap_chunk_end(). Returns 0 or -ENOMEM.
 */
int icap_build_req(struct buf *out, const struct icap_req_opts *o);

/* Append the size line of a chunk of n bytes ("1a2\r\n"). 0 or -ENOMEM. */
int icap_chunk_head(struct buf *out, size_t n);
/* Append the end of the body: "0\r\n\r\n", or "0; ieof\r\n\r\n" when
 * ieof (the preview holds the whole body). */
int icap_chunk_end(struct buf *out, int ieof);

/*
 * Parse the ICAP head of a response in p[0..len). Returns the head's
 * length (up to and including its empty line), ICAP_INCOMPLETE, or a
 * negative ICAP_E_* code. max bounds the head (ICAP_HEAD_MAX).
 */
int icap_parse_resp(const char *p, size_t len, size_t max,
		    struct icap_resp *r);

/*
 * Parse an Encapsulated header value ("req-hdr=0, res-body=123"). The
 * offsets must grow, the last part must be a body or null-body, and no
 * part may appear twice. Returns 0 or ICAP_E_ENCAP.
 */
int icap_parse_encap(struct str v, struct icap_encap *e);

/* The offset of part in e, or -1 when it is absent. The length of a head
 * part is the next part's offset minus its own. */
int64_t icap_encap_off(const struct icap_encap *e, enum icap_part part);
/* The body part of e (REQ_BODY, RES_BODY, NULL_BODY, OPT_BODY). */
enum icap_part icap_encap_body(const struct icap_encap *e);

/*
 * Decode the chunked body in p[0..n). Returns the count of bytes consumed
 * (> 0), ICAP_INCOMPLETE when n bytes hold no progress, or a negative
 * ICAP_E_* code. *data is set to the body bytes among them (data->len may
 * be 0 when only framing was consumed; then data->p is NULL). c->done is
 * set once the last chunk and its empty line were read, c->ieof when the
 * last chunk said "ieof".
 */
ssize_t icap_chunk_next(struct icap_chunk *c, const char *p, size_t n,
			struct str *data);

/* Read an OPTIONS response's facts from its parsed head. Returns 0, or
 * ICAP_E_SYNTAX when the status is not 200 or a number is malformed. */
int icap_options_read(const struct icap_resp *r, struct icap_options *o);

/* The value of the first field called name, or NULL. */
const struct str *icap_field(const struct icap_resp *r, const char *name);

const char *icap_strerror(int rc);
const char *icap_method_str(enum icap_method m);

#endif
