/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * h1.c - HTTP/1.1 message parser and framing rules (RFC 9112).
 *
 * Everything here is a pure function over caller-owned bytes: no I/O, no
 * allocation, no globals except constant tables. The head parsers work in
 * two passes: a memchr() search for the empty line that ends the head
 * (resumable through struct h1_scan, so a growing buffer is not rescanned),
 * then one strict pass over the complete head that fills in views. Bodies
 * (the chunked codec) are in h1_chunk.c.
 *
 * Strictness is deliberate: a proxy that accepts what the origin reads
 * differently is a request smuggling vector, so anything ambiguous (bare CR,
 * obs-fold, whitespace before a colon, conflicting lengths) is an error.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "http/h1-ctab.h"
#include "http/h1.h"

/* Character classes (h1-ctab.h). */
const unsigned char h1_ctab[256] = {
	/* 00 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	         0x00, 0x1a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 10 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 20 */ 0x1a, 0x0f, 0x06, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	         0x0e, 0x0e, 0x0f, 0x0f, 0x0e, 0x0f, 0x0f, 0x0e,
	/* 30 */ 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	         0x0f, 0x0f, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,
	/* 40 */ 0x0e, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	         0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	/* 50 */ 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	         0x0f, 0x0f, 0x0f, 0x0e, 0x06, 0x0e, 0x0f, 0x0f,
	/* 60 */ 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	         0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	/* 70 */ 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f, 0x0f,
	         0x0f, 0x0f, 0x0f, 0x0e, 0x0f, 0x0e, 0x0f, 0x00,
	/* 80 */ 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	         0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	/* 90 */ 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	         0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	/* a0 */ 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	         0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	/* b0 */ 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	         0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	/* c0 */ 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	         0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	/* d0 */ 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	         0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	/* e0 */ 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	         0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	/* f0 */ 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	         0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
};

/*
 * Leading empty lines skipped before a start line. RFC 9112 2.2 asks to
 * ignore "at least one"; a client that sends more than a few is abusing
 * us, and without a bound every call on a growing buffer would rescan them.
 */
#define H1_MAX_LEADING	64

/*
 * 1 when any of the 8 bytes in w is a control (< 0x20, HTAB included) or
 * DEL: the classic "has a byte less than n" bit trick (Hacker's Delight
 * 6-1), so field values are checked a word at a time. Bytes >= 0x80
 * (obs-text) are never flagged: their top bit is masked out by ~w.
 */
#define H1_ONES		0x0101010101010101ULL
#define H1_HIGHS	0x8080808080808080ULL
static inline int
h1_word_has_ctl(uint64_t w)
{
	uint64_t del = w ^ (0x7f * H1_ONES);

	return (((w - 0x20 * H1_ONES) & ~w) |
	    ((del - H1_ONES) & ~del)) & H1_HIGHS ? 1 : 0;
}

/*
 * End of the run of field-value bytes (C_VALUE) starting at i, before
 * eol. Whole words are skipped while they hold no control byte; the
 * per-byte loop finishes the tail and handles HTAB.
 */
static inline size_t
h1_value_end(const char *p, size_t i, size_t eol)
{
	uint64_t w;

	while (eol - i >= 8) {
		memcpy(&w, p + i, 8);	/* unaligned load, inlined */
		if (h1_word_has_ctl(w))
			break;
		i += 8;
	}
	while (i < eol && IS(p[i], C_VALUE))
		i++;
	return i;
}

/*
 * Same for a request-target, whose bytes must all be VCHAR (0x21-0x7e):
 * a word is skipped when it has no byte below 0x21, no DEL and no byte
 * with the top bit set.
 */
static inline size_t
h1_target_end(const char *p, size_t i, size_t end)
{
	uint64_t w, del;

	while (end - i >= 8) {
		memcpy(&w, p + i, 8);
		del = w ^ (0x7f * H1_ONES);
		if ((w | ((w - 0x21 * H1_ONES) & ~w) |
		    ((del - H1_ONES) & ~del)) & H1_HIGHS)
			break;
		i += 8;
	}
	while (i < end && IS(p[i], C_TARGET))
		i++;
	return i;
}

/*
 * Error code for an unexpected byte c where rc would apply: a CR there can
 * only be a bare CR (line ends were stripped), which gets its own code
 * because it is the classic smuggling trick.
 */
static inline int
h1_bad(char c, int rc)
{
	return c == '\r' ? H1_E_BARE_CR : rc;
}

/*
 * Find the end of a head in p[0..len): the empty line after the start line
 * and the field lines. Line ends are CRLF or a bare LF (RFC 9112 2.2), so
 * the empty line is "\n\n" or "\n\r\n" once we stand on the LF ending the
 * previous line. Leading empty lines are skipped and *startp receives the
 * offset of the start line. The search resumes at st->scanned; on return
 * without a result st->scanned is set two bytes short of what was looked
 * at, because an LF there may turn out to start "\n\r\n" with more bytes.
 * Returns the offset just past the head, H1_INCOMPLETE, H1_E_TOO_LONG, or
 * H1_E_SYNTAX for too many leading empty lines.
 */
static int
h1_find_end(const char *p, size_t len, size_t max, struct h1_scan *st,
	    size_t *startp)
{
	const char *lf;
	size_t lim, start, pos, i;

	if (max > INT_MAX)
		max = INT_MAX;
	lim = len < max ? len : max;

	start = 0;
	for (;;) {
		if (start < lim && p[start] == '\n')
			start++;
		else if (start + 1 < lim && p[start] == '\r' &&
		    p[start + 1] == '\n')
			start += 2;
		else
			break;
		if (start > H1_MAX_LEADING)
			return H1_E_SYNTAX;
	}
	*startp = start;

	pos = st->scanned > start ? st->scanned : start;
	while (pos < lim) {
		lf = memchr(p + pos, '\n', lim - pos);
		if (lf == NULL)
			break;
		i = (size_t)(lf - p);
		if (i + 1 < lim && p[i + 1] == '\n')
			return (int)(i + 2);
		if (i + 2 < lim && p[i + 1] == '\r' && p[i + 2] == '\n')
			return (int)(i + 3);
		pos = i + 1;
	}
	st->scanned = lim > 2 ? lim - 2 : 0;
	if (len >= max)
		return H1_E_TOO_LONG;
	return H1_INCOMPLETE;
}

/*
 * Bounds of the line starting at pos: *eol is the end of its content (CR
 * of a CRLF excluded) and the return value the offset of the next line.
 * The caller guarantees an LF exists before end.
 */
static inline size_t
h1_line(const char *p, size_t pos, size_t end, size_t *eol)
{
	const char *lf;
	size_t le;

	lf = memchr(p + pos, '\n', end - pos);
	le = (size_t)(lf - p);
	*eol = (le > pos && p[le - 1] == '\r') ? le - 1 : le;
	return le + 1;
}

/*
 * HTTP-version in s[0..n): returns the minor version we speak for it, or
 * H1_E_VERSION_UNSUP / H1_E_VERSION / H1_E_BARE_CR. RFC 9112 2.3: a
 * higher minor version of HTTP/1 is processed as the highest one we
 * implement (1.1); another major version ("HTTP/2.0" on an HTTP/1
 * connection, "HTTP/0.9") is well-formed but not ours (505).
 */
static inline int
h1_version(const char *s, size_t n)
{
	if (n == 8 && memcmp(s, "HTTP/", 5) == 0 && s[6] == '.' &&
	    (unsigned char)(s[5] - '0') <= 9 &&
	    (unsigned char)(s[7] - '0') <= 9) {
		if (s[5] != '1')
			return H1_E_VERSION_UNSUP;
		return s[7] == '0' ? 0 : 1;
	}
	if (memchr(s, '\r', n) != NULL)
		return H1_E_BARE_CR;
	return H1_E_VERSION;
}

/*
 * Parse the field lines from pos up to and including the empty line that
 * ends at end (found by h1_find_end()). Fills hdr[] and *nhdr. Returns 0
 * or a negative H1_E_* code.
 */
static int
h1_fields(const char *p, size_t pos, size_t end, struct h1_header *hdr,
	  size_t *nhdr)
{
	size_t eol, next, i, vs, ve, n;

	n = 0;
	*nhdr = 0;
	while (pos < end) {
		next = h1_line(p, pos, end, &eol);
		if (eol == pos)
			break;		/* the empty line */
		/* RFC 9112 5.2: obs-fold is rejected, never unfolded. */
		if (IS(p[pos], C_WS))
			return H1_E_OBS_FOLD;
		if (n == H1_MAX_HEADERS)
			return H1_E_TOO_MANY;

		for (i = pos; i < eol && IS(p[i], C_TOKEN); i++)
			;
		if (i == eol)
			return H1_E_SYNTAX;	/* no colon at all */
		if (p[i] != ':' || i == pos)
			return h1_bad(p[i], H1_E_HDR_NAME);
		hdr[n].name = str_make(p + pos, i - pos);

		for (i++; i < eol && IS(p[i], C_WS); i++)
			;
		vs = i;
		i = h1_value_end(p, i, eol);
		if (i != eol)
			return h1_bad(p[i], H1_E_HDR_VALUE);
		for (ve = eol; ve > vs && IS(p[ve - 1], C_WS); ve--)
			;
		hdr[n].value = str_make(p + vs, ve - vs);
		n++;
		*nhdr = n;
		pos = next;
	}
	return 0;
}

/*
 * Request line: method SP request-target SP HTTP-version. The version is
 * found from the right (last SP) so that a space inside the target is
 * reported as a bad target rather than a bad version.
 */
static int
h1_req_line(const char *p, size_t start, size_t eol, struct h1_req *req)
{
	const char *sp;
	size_t i, ts, te;
	int minor;

	for (i = start; i < eol && IS(p[i], C_TOKEN); i++)
		;
	if (i == eol)
		return H1_E_SYNTAX;	/* a lone word */
	if (p[i] != ' ' || i == start)
		return h1_bad(p[i], H1_E_METHOD);
	req->method = str_make(p + start, i - start);

	ts = i + 1;
	sp = memrchr(p + ts, ' ', eol - ts);
	if (sp == NULL)		/* HTTP/0.9 "GET /" or garbage */
		return memchr(p + ts, '\r', eol - ts) ? H1_E_BARE_CR :
		    H1_E_SYNTAX;
	te = (size_t)(sp - p);
	if (te == ts || p[ts] == ' ' || p[te - 1] == ' ')
		return H1_E_SYNTAX;	/* empty target or two SPs */
	i = h1_target_end(p, ts, te);
	if (i != te)
		return h1_bad(p[i], H1_E_TARGET);
	req->target = str_make(p + ts, te - ts);

	minor = h1_version(p + te + 1, eol - te - 1);
	if (minor < 0)
		return minor;
	req->minor = minor;
	return 0;
}

int
h1_parse_req(const char *p, size_t len, size_t max, struct h1_scan *st,
	     struct h1_req *req)
{
	size_t start, eol, next;
	int end, rc;

	end = h1_find_end(p, len, max, st, &start);
	if (end < 0)
		return end;
	req->nhdr = 0;
	next = h1_line(p, start, (size_t)end, &eol);
	if ((rc = h1_req_line(p, start, eol, req)) < 0)
		return rc;
	if ((rc = h1_fields(p, next, (size_t)end, req->hdr, &req->nhdr)) < 0)
		return rc;
	return end;
}

/*
 * Status line: HTTP-version SP 3DIGIT SP [reason-phrase]. The SP before an
 * empty reason is optional in practice ("HTTP/1.1 200\r\n"), so accept both.
 */
static int
h1_status_line(const char *p, size_t start, size_t eol, struct h1_resp *resp)
{
	const char *s = p + start;
	size_t n = eol - start, i;
	int minor;

	if (n < 8 || (minor = h1_version(s, 8)) < 0)
		return memchr(s, '\r', n) ? H1_E_BARE_CR : H1_E_VERSION;
	if (n == 8)
		return H1_E_STATUS;
	if (s[8] != ' ')
		return h1_bad(s[8], H1_E_VERSION);	/* "HTTP/1.10" */
	for (i = 9; i < 12; i++) {
		if (i >= n)
			return H1_E_STATUS;
		if ((unsigned char)(s[i] - '0') > 9)
			return h1_bad(s[i], H1_E_STATUS);
	}
	resp->minor = minor;
	resp->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (resp->status < 100)
		return H1_E_STATUS;
	if (n == 12) {
		resp->reason = str_make(s + 12, 0);
		return 0;
	}
	if (s[12] != ' ')
		return h1_bad(s[12], H1_E_STATUS);	/* "2000", "200x" */
	for (i = 13; i < n && IS(s[i], C_VALUE); i++)
		;
	if (i != n)
		return h1_bad(s[i], H1_E_SYNTAX);
	resp->reason = str_make(s + 13, n - 13);
	return 0;
}

int
h1_parse_resp(const char *p, size_t len, size_t max, struct h1_scan *st,
	      struct h1_resp *resp)
{
	size_t start, eol, next;
	int end, rc;

	end = h1_find_end(p, len, max, st, &start);
	if (end < 0)
		return end;
	resp->nhdr = 0;
	next = h1_line(p, start, (size_t)end, &eol);
	if ((rc = h1_status_line(p, start, eol, resp)) < 0)
		return rc;
	if ((rc = h1_fields(p, next, (size_t)end, resp->hdr,
	    &resp->nhdr)) < 0)
		return rc;
	return end;
}

/*
 * Iterate over the elements of a comma-separated list (RFC 9110 5.6.1).
 * *pos starts at 0. Each call stores the next element, OWS trimmed, in
 * *elem (possibly empty: "a, ,b" has an empty element, which recipients
 * must tolerate) and returns 1; returns 0 past the last element. An empty
 * value yields one empty element.
 */
static int
h1_list_next(struct str v, size_t *pos, struct str *elem)
{
	const char *c;
	size_t s, e;

	if (*pos > v.len)
		return 0;
	s = *pos;
	c = memchr(v.p + s, ',', v.len - s);
	e = c != NULL ? (size_t)(c - v.p) : v.len;
	*pos = e + 1;
	while (s < e && IS(v.p[s], C_WS))
		s++;
	while (e > s && IS(v.p[e - 1], C_WS))
		e--;
	*elem = str_make(v.p + s, e - s);
	return 1;
}

/* The token part of a list element: what precedes ";parameters". */
static inline struct str
h1_elem_token(struct str e)
{
	const char *semi = memchr(e.p, ';', e.len);

	if (semi != NULL) {
		e.len = (size_t)(semi - e.p);
		while (e.len > 0 && IS(e.p[e.len - 1], C_WS))
			e.len--;
	}
	return e;
}

int
h1_list_has(struct str value, const char *token)
{
	struct str e;
	size_t pos = 0;

	while (h1_list_next(value, &pos, &e))
		if (str_ieq(h1_elem_token(e), token))
			return 1;
	return 0;
}

int
h1_hdr_find(const struct h1_header *hdr, size_t nhdr, size_t from,
	    const char *name)
{
	size_t i, n = strlen(name);

	for (i = from; i < nhdr; i++)
		if (hdr[i].name.len == n &&
		    strncasecmp(hdr[i].name.p, name, n) == 0)
			return (int)i;
	return -1;
}

/*
 * Fold one Content-Length field value into info. RFC 9110 8.6 allows a
 * recipient to accept a list of identical values ("5, 5", or the same value
 * in several fields) as one; anything else is fatal for the message
 * (RFC 9112 6.3 rule 5). Returns 0 or H1_E_CL.
 */
static int
h1_cl_value(struct str v, struct h1_info *info)
{
	struct str e;
	size_t pos = 0, i;
	uint64_t n;
	unsigned d;

	while (h1_list_next(v, &pos, &e)) {
		if (e.len == 0)
			return H1_E_CL;
		n = 0;
		for (i = 0; i < e.len; i++) {
			d = (unsigned char)e.p[i] - '0';
			if (d > 9 || n > (H1_MAX_LEN - d) / 10)
				return H1_E_CL;
			n = n * 10 + d;
		}
		if (info->has_cl && info->cl != n)
			return H1_E_CL;
		info->has_cl = 1;
		info->cl = n;
	}
	return 0;
}

/*
 * One pass over the fields. Name matching switches on the length first so
 * that most fields cost one comparison of an integer.
 */
int
h1_msg_info(const struct h1_header *hdr, size_t nhdr, int minor,
	    struct h1_info *info)
{
	const struct h1_header *h;
	struct str e, last;
	size_t i, pos;

	/* The HTTP/1.0 Transfer-Encoding rule (RFC 9112 6.1) depends on
	 * whether this is a request or a response: the framing functions
	 * apply it, with the start line in hand. */
	(void)minor;
	memset(info, 0, sizeof(*info));
	info->host = -1;
	info->upgrade = -1;
	last = STR_NULL;

	for (i = 0; i < nhdr; i++) {
		h = &hdr[i];
		switch (h->name.len) {
		case 4:
			if (strncasecmp(h->name.p, "host", 4) == 0) {
				if (info->nhost++ == 0)
					info->host = (int)i;
			}
			break;
		case 6:
			if (strncasecmp(h->name.p, "expect", 6) == 0 &&
			    str_ieq(h->value, "100-continue"))
				info->expect_100 = 1;
			break;
		case 7:
			if (strncasecmp(h->name.p, "upgrade", 7) == 0 &&
			    info->upgrade < 0)
				info->upgrade = (int)i;
			break;
		case 10:
			if (strncasecmp(h->name.p, "connection", 10) != 0)
				break;
			pos = 0;
			while (h1_list_next(h->value, &pos, &e)) {
				e = h1_elem_token(e);
				if (str_ieq(e, "close"))
					info->conn_close = 1;
				else if (str_ieq(e, "keep-alive"))
					info->conn_keepalive = 1;
				else if (str_ieq(e, "upgrade"))
					info->conn_upgrade = 1;
			}
			break;
		case 14:
			if (strncasecmp(h->name.p, "content-length", 14) == 0 &&
			    !info->bad_cl && h1_cl_value(h->value, info) < 0) {
				info->bad_cl = 1;
				info->has_cl = 0;
				info->cl = 0;
			}
			break;
		case 17:
			if (strncasecmp(h->name.p, "transfer-encoding",
			    17) != 0)
				break;
			info->has_te = 1;
			/* Codings of all TE fields form one list (RFC 9110
			 * 5.3); only the last one decides the framing. */
			pos = 0;
			while (h1_list_next(h->value, &pos, &e)) {
				if (e.len == 0)
					continue;
				info->te_codings++;
				last = e;
			}
			break;
		}
	}
	/* Parameters make it another coding as far as we are concerned:
	 * "chunked;x=1" is refused rather than guessed at. */
	info->te_chunked = info->te_codings > 0 && str_ieq(last, "chunked");
	return info->bad_cl ? H1_E_CL : 0;
}

/* Fresh body state of the given kind. */
static inline void
h1_body_init(struct h1_body *body, enum h1_body_kind kind, uint64_t left)
{
	memset(body, 0, sizeof(*body));
	body->kind = kind;
	body->left = left;
}

/*
 * Request framing, RFC 9112 6.3. Every Transfer-Encoding oddity is an
 * error here because a request we frame differently from the origin is a
 * smuggled request; for the same reason CL together with TE is refused
 * (rule 3 allows processing it, but then the request must not be reused,
 * and refusing is simpler and safer).
 */
int
h1_req_framing(const struct h1_req *req, const struct h1_info *info,
	       struct h1_body *body)
{
	h1_body_init(body, H1_BODY_NONE, 0);
	if (info->bad_cl)
		return H1_E_CL;
	if (info->has_te) {
		/* RFC 9112 6.1: TE in an HTTP/1.0 message is faulty. */
		if (req->minor == 0 || info->has_cl || !info->te_chunked)
			return H1_E_TE;
		/* "gzip, chunked": framing is clear but we only pass
		 * chunked through; refuse with 501 (RFC 9112 6.1). */
		if (info->te_codings > 1)
			return H1_E_TE_UNSUP;
	}
	/* A CONNECT has no content (RFC 9110 9.3.6); whether bytes after
	 * the head become a tunnel is decided when the 2xx comes back. */
	if (h1_method_of(req->method) == H1_M_CONNECT)
		return 0;
	if (info->has_te)
		h1_body_init(body, H1_BODY_CHUNKED, 0);
	else if (info->has_cl && info->cl > 0)
		h1_body_init(body, H1_BODY_LENGTH, info->cl);
	return 0;
}

/*
 * Response framing, RFC 9112 6.3 rules 1-3 and 8. When both TE and CL are
 * present, TE wins (rule 3): the caller MUST then remove Content-Length
 * before forwarding, and should not reuse the server connection.
 */
int
h1_resp_framing(const struct h1_resp *resp, const struct h1_info *info,
		int req_is_head, int req_is_connect, struct h1_body *body)
{
	int st = resp->status;

	h1_body_init(body, H1_BODY_NONE, 0);
	/* An invalid length is unrecoverable even where it does not frame
	 * the body: the proxy answers 502 (RFC 9112 6.3 rule 5). */
	if (info->bad_cl)
		return H1_E_CL;
	/* The caller checks that an upgrade was asked for. */
	if (st == 101) {
		body->kind = H1_BODY_TUNNEL;
		return 0;
	}
	if (st < 200 || st == 204 || st == 304 || req_is_head)
		return 0;
	if (req_is_connect && st < 300) {
		body->kind = H1_BODY_TUNNEL;
		return 0;
	}
	if (info->has_te) {
		/* A 1.0 sender cannot mean chunked (RFC 9112 6.1); a coding
		 * list not ending in chunked is delimited by close (rule 4). */
		if (resp->minor == 0 || !info->te_chunked)
			body->kind = H1_BODY_CLOSE;
		else
			body->kind = H1_BODY_CHUNKED;
		return 0;
	}
	if (info->has_cl) {
		if (info->cl > 0)
			h1_body_init(body, H1_BODY_LENGTH, info->cl);
		return 0;
	}
	body->kind = H1_BODY_CLOSE;
	return 0;
}

/*
 * The first bytes of a connection cannot begin an HTTP/1 request line:
 * method (tchars) SP target (VCHARs) SP "HTTP/1." -- as far as they go;
 * empty lines before it are allowed (RFC 9112 2.2). Lets the caller see
 * another protocol (TLS, SSH) without waiting for a whole head that will
 * never come.
 */
int
h1_req_start_bad(const char *p, size_t n)
{
	static const char ver[] = "HTTP/1.";
	size_t i = 0, k;

	while (i < n && (p[i] == '\r' || p[i] == '\n'))
		i++;
	for (k = i; i < n && p[i] != ' '; i++)
		if (!IS(p[i], C_TOKEN))
			return 1;
	if (i == n)
		return 0;
	if (i == k)
		return 1;		/* no method */
	for (k = ++i; i < n && p[i] != ' '; i++)
		if (!IS(p[i], C_TARGET))
			return 1;
	if (i == n)
		return 0;
	if (i == k)
		return 1;		/* no target */
	for (k = 0, i++; i < n && k < sizeof(ver) - 1; i++, k++)
		if (p[i] != ver[k])
			return 1;
	return 0;
}

/* Methods are case-sensitive (RFC 9110 9.1): "get" is not GET. */
enum h1_method
h1_method_of(struct str m)
{
	switch (m.len) {
	case 3:
		if (memcmp(m.p, "GET", 3) == 0)
			return H1_M_GET;
		if (memcmp(m.p, "PUT", 3) == 0)
			return H1_M_PUT;
		break;
	case 4:
		if (memcmp(m.p, "HEAD", 4) == 0)
			return H1_M_HEAD;
		if (memcmp(m.p, "POST", 4) == 0)
			return H1_M_POST;
		break;
	case 5:
		if (memcmp(m.p, "TRACE", 5) == 0)
			return H1_M_TRACE;
		if (memcmp(m.p, "PATCH", 5) == 0)
			return H1_M_PATCH;
		break;
	case 6:
		if (memcmp(m.p, "DELETE", 6) == 0)
			return H1_M_DELETE;
		break;
	case 7:
		if (memcmp(m.p, "CONNECT", 7) == 0)
			return H1_M_CONNECT;
		if (memcmp(m.p, "OPTIONS", 7) == 0)
			return H1_M_OPTIONS;
		break;
	}
	return H1_M_OTHER;
}

int
h1_method_idempotent(enum h1_method m)
{
	switch (m) {
	case H1_M_GET:
	case H1_M_HEAD:
	case H1_M_PUT:
	case H1_M_DELETE:
	case H1_M_OPTIONS:
	case H1_M_TRACE:
		return 1;
	default:
		return 0;
	}
}

const char *
h1_strerror(int rc)
{
	if (rc >= 0)
		return "ok";
	switch (rc) {
	case H1_INCOMPLETE:	return "incomplete";
	case H1_E_SYNTAX:	return "syntax error";
	case H1_E_METHOD:	return "bad method";
	case H1_E_TARGET:	return "bad request-target";
	case H1_E_VERSION:	return "bad HTTP version";
	case H1_E_VERSION_UNSUP: return "unsupported HTTP version";
	case H1_E_HDR_NAME:	return "bad field name";
	case H1_E_HDR_VALUE:	return "bad field value";
	case H1_E_OBS_FOLD:	return "obsolete line folding";
	case H1_E_TOO_LONG:	return "header too long";
	case H1_E_TOO_MANY:	return "too many fields";
	case H1_E_STATUS:	return "bad status code";
	case H1_E_BARE_CR:	return "bare CR";
	case H1_E_CL:		return "bad Content-Length";
	case H1_E_TE:		return "bad Transfer-Encoding";
	case H1_E_TE_UNSUP:	return "unsupported transfer coding";
	case H1_E_CHUNK:	return "bad chunk framing";
	case H1_E_CHUNK_SIZE:	return "chunk size too large";
	}
	return "unknown error";
}
