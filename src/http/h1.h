/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * h1.h - HTTP/1.1 parser, framing rules and field-list helpers.
 *
 * All functions are pure (no I/O, no allocation, no globals).
 */
#ifndef TPROXYD_HTTP_H1_H
#define TPROXYD_HTTP_H1_H

#include <sys/types.h>

#include "http/h1-t.h"

/*
 * Parse a request head from p[0..len). max bounds the size of the whole head
 * (request line, fields and the empty line); leading empty lines before the
 * request line are skipped (RFC 9112 2.2, at most 64 bytes of them) and
 * count in the returned length. Lines end in CRLF or a bare LF; a CR not
 * followed by LF is H1_E_BARE_CR, obs-fold is H1_E_OBS_FOLD.
 * Returns the number of bytes of the head (> 0) once complete; H1_INCOMPLETE
 * when more bytes are needed (st remembers how far it looked); or a negative
 * H1_E_* code. Views in req point into p.
 */
int h1_parse_req(const char *p, size_t len, size_t max, struct h1_scan *st,
		 struct h1_req *req);

/* Same for a response head ("HTTP/1.x SSS reason"; the reason may be empty
 * and the SP before an empty reason may be missing). Fields are held to the
 * same rules as in requests: obs-fold is an error here too. */
int h1_parse_resp(const char *p, size_t len, size_t max, struct h1_scan *st,
		  struct h1_resp *resp);

/* Collect Connection, Content-Length, Transfer-Encoding, Expect, Host and
 * Upgrade facts in one pass. Returns 0, or H1_E_CL for a bad or conflicting
 * Content-Length (info is still filled in, with bad_cl set). Transfer-
 * Encoding problems (with Content-Length, not ending in chunked, in
 * HTTP/1.0) are judged by the framing functions, because requests and
 * responses treat them differently; minor is currently unused. */
int h1_msg_info(const struct h1_header *hdr, size_t nhdr, int minor,
		struct h1_info *info);

/* Framing of a request body (RFC 9112 6.3 rules 3-7). Returns 0 or a
 * negative H1_E_* code (the proxy answers 400, or 501 for H1_E_TE_UNSUP).
 * body is always initialised (H1_BODY_NONE on error). */
int h1_req_framing(const struct h1_req *req, const struct h1_info *info,
		   struct h1_body *body);

/* Framing of a response body, given the request method facts
 * (RFC 9112 6.3 rules 1-3, 8). Returns 0 or H1_E_CL (the proxy answers
 * 502). With both Transfer-Encoding and Content-Length, TE frames the body
 * and the caller MUST remove Content-Length before forwarding. 101 and a
 * 2xx to CONNECT give H1_BODY_TUNNEL. */
int h1_resp_framing(const struct h1_resp *resp, const struct h1_info *info,
		    int req_is_head, int req_is_connect, struct h1_body *body);

/*
 * Scan n body bytes at p. Returns how many of them belong to the message
 * (0..n), and sets *done to 1 when the message ended within them; or a
 * negative H1_E_CHUNK* code. Scanning is resumable at any byte boundary:
 * body keeps the state. For H1_BODY_CLOSE and H1_BODY_TUNNEL all bytes
 * belong and *done is never set.
 */
ssize_t h1_body_scan(struct h1_body *body, const char *p, size_t n, int *done);

/*
 * For an H1_BODY_CHUNKED body: how many chunk-data bytes come next, before
 * any framing; 0 while the scanner is on framing (size line, CRLF after the
 * data, trailers) and for other body kinds. A caller that removes chunk
 * framing can hand exactly that many bytes to h1_body_scan() and copy them
 * in bulk, and feed framing bytes otherwise.
 */
uint64_t h1_chunk_data_left(const struct h1_body *body);

/*
 * Remove chunk framing in place from the n bytes at p of an
 * H1_BODY_CHUNKED body: chunk data moves down to the start of p, framing
 * (size lines, CRLFs, trailers) is dropped, and bytes after the end of the
 * message are moved down behind the data. Returns how many data bytes now
 * start at p, and sets *n to the length of what remains of the region
 * (those data bytes plus any bytes after the end of the message, which
 * the caller must not treat as body); sets *done when the message ended.
 * Or a negative H1_E_CHUNK* code (nothing is approved then). Resumable:
 * body keeps the state, as for h1_body_scan().
 */
ssize_t h1_dechunk(struct h1_body *body, char *p, size_t *n, int *done);

/* 1 when the comma-separated list value contains token (case-insensitive,
 * optional whitespace and ;parameters ignored), else 0. */
int h1_list_has(struct str value, const char *token);

/* Index of the first field named name (case-insensitive) at or after from,
 * or -1. */
int h1_hdr_find(const struct h1_header *hdr, size_t nhdr, size_t from,
		const char *name);

enum h1_method h1_method_of(struct str m);
/* 1 when p[0..n), the first bytes of a connection, cannot begin an
 * HTTP/1 request (another protocol); 0 while they still can. */
int h1_req_start_bad(const char *p, size_t n);
/* Safe to replay on a fresh connection (RFC 9110 9.2.2 idempotent). */
int h1_method_idempotent(enum h1_method m);

/* Short static name of an h1_rc code, for logs. */
const char *h1_strerror(int rc);

#endif
