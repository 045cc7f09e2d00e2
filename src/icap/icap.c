/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icap.c - the ICAP message layer (RFC 3507): requests, responses, the
 * Encapsulated header, the chunked body with "ieof", OPTIONS. Pure: reads
 * and writes only the caller's bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "http/h1.h"
#include "icap/icap.h"

/* Append n bytes, growing out when they do not fit. */
static int
put(struct buf *out, const char *p, size_t n)
{
	size_t need = buf_len(out) + n;

	if (n == 0)
		return 0;	/* an empty view may have no pointer */
	if (out->size < need && buf_reserve(out, need + need / 2 + 256) < 0)
		return -ENOMEM;
	return buf_append(out, p, n) < 0 ? -ENOMEM : 0;
}

static int
puts_(struct buf *out, const char *s)
{
	return put(out, s, strlen(s));
}

static int
put_str(struct buf *out, struct str s)
{
	return put(out, s.p, s.len);
}

static int
put_u64(struct buf *out, uint64_t v)
{
	char d[24];
	int k = snprintf(d, sizeof(d), "%llu", (unsigned long long)v);

	return put(out, d, (size_t)k);
}

const char *
icap_method_str(enum icap_method m)
{
	switch (m) {
	case ICAP_M_REQMOD:
		return "REQMOD";
	case ICAP_M_RESPMOD:
		return "RESPMOD";
	case ICAP_M_OPTIONS:
		return "OPTIONS";
	}
	return "?";
}

/* A field value must not break the head: no CR, LF or NUL. */
static int
value_ok(struct str v)
{
	size_t i;

	for (i = 0; i < v.len; i++)
		if (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == '\0')
			return 0;
	return 1;
}

int
icap_build_req(struct buf *out, const struct icap_req_opts *o)
{
	int rc = 0;
	uint64_t off = 0;
	int n = 0;

	if (!value_ok(o->uri) || !value_ok(o->host) ||
	    !value_ok(o->client_ip) || !value_ok(o->username) ||
	    !value_ok(o->username_hdr))
		return -EINVAL;
	rc |= puts_(out, icap_method_str(o->method));
	rc |= puts_(out, " ");
	rc |= put_str(out, o->uri);
	rc |= puts_(out, " ICAP/1.0\r\nHost: ");
	rc |= put_str(out, o->host);
	rc |= puts_(out, "\r\n");
	if (o->method == ICAP_M_OPTIONS) {
		rc |= puts_(out, "Encapsulated: null-body=0\r\n\r\n");
		return rc ? -ENOMEM : 0;
	}
	if (o->allow204)
		rc |= puts_(out, "Allow: 204\r\n");
	if (o->preview >= 0 && o->has_body) {
		rc |= puts_(out, "Preview: ");
		rc |= put_u64(out, (uint64_t)o->preview);
		rc |= puts_(out, "\r\n");
	}
	if (o->client_ip.len > 0) {
		rc |= puts_(out, "X-Client-IP: ");
		rc |= put_str(out, o->client_ip);
		rc |= puts_(out, "\r\n");
	}
	if (o->username.len > 0) {
		if (o->username_hdr.len > 0)
			rc |= put_str(out, o->username_hdr);
		else
			rc |= puts_(out, "X-Client-Username");
		rc |= puts_(out, ": ");
		rc |= put_str(out, o->username);
		rc |= puts_(out, "\r\n");
	}
	rc |= puts_(out, "Encapsulated: ");
	if (o->req_hdr.len > 0) {
		rc |= puts_(out, "req-hdr=0");
		off = o->req_hdr.len;
		n++;
	}
	if (o->res_hdr.len > 0) {
		rc |= puts_(out, n ? ", res-hdr=" : "res-hdr=");
		rc |= put_u64(out, off);
		off += o->res_hdr.len;
		n++;
	}
	if (n)
		rc |= puts_(out, ", ");
	if (!o->has_body)
		rc |= puts_(out, "null-body=");
	else if (o->method == ICAP_M_RESPMOD)
		rc |= puts_(out, "res-body=");
	else
		rc |= puts_(out, "req-body=");
	rc |= put_u64(out, off);
	rc |= puts_(out, "\r\n\r\n");
	rc |= put_str(out, o->req_hdr);
	rc |= put_str(out, o->res_hdr);
	return rc ? -ENOMEM : 0;
}

int
icap_chunk_head(struct buf *out, size_t n)
{
	char d[24];
	int k = snprintf(d, sizeof(d), "%zx\r\n", n);

	return put(out, d, (size_t)k);
}

int
icap_chunk_end(struct buf *out, int ieof)
{
	return ieof ? puts_(out, "0; ieof\r\n\r\n") : puts_(out, "0\r\n\r\n");
}

/* RFC 9110 tchar. */
static int
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~",
							    c) != NULL);
}

/* The end of the line starting at p (the index of its LF), or -1. A CR
 * must come right before the LF; a bare LF is accepted (some servers). */
static ssize_t
line_end(const char *p, size_t len, size_t from)
{
	const char *lf = memchr(p + from, '\n', len - from);

	return lf == NULL ? -1 : lf - p;
}

/* The line [s, e) without its CR. */
static size_t
trim_cr(const char *p, size_t s, size_t e)
{
	return e > s && p[e - 1] == '\r' ? e - 1 : e;
}

static int
parse_status_line(const char *p, size_t n, struct icap_resp *r)
{
	size_t i;

	if (n < 12 || memcmp(p, "ICAP/", 5) != 0)
		return ICAP_E_VERSION;
	if (memcmp(p, "ICAP/1.0 ", 9) != 0)
		return ICAP_E_VERSION;
	for (i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return ICAP_E_STATUS;
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (r->status < 100 || r->status > 599)
		return ICAP_E_STATUS;
	if (n > 12 && p[12] != ' ')
		return ICAP_E_STATUS;
	r->reason = n > 13 ? str_make(p + 13, n - 13) : STR_NULL;
	for (i = 0; i < r->reason.len; i++)
		if ((unsigned char)r->reason.p[i] < 0x20 &&
		    r->reason.p[i] != '\t')
			return ICAP_E_SYNTAX;
	return 0;
}

static int
parse_field(const char *p, size_t n, struct h1_header *h)
{
	size_t i = 0, vs, ve;

	while (i < n && p[i] != ':') {
		if (!is_tchar((unsigned char)p[i]))
			return ICAP_E_SYNTAX;
		i++;
	}
	if (i == 0 || i == n)
		return ICAP_E_SYNTAX;
	h->name = str_make(p, i);
	vs = i + 1;
	while (vs < n && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
		ve--;
	for (i = vs; i < ve; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return ICAP_E_SYNTAX;
	}
	h->value = str_make(p + vs, ve - vs);
	return 0;
}

const struct str *
icap_field(const struct icap_resp *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nhdr; i++)
		if (str_ieq(r->hdr[i].name, name))
			return &r->hdr[i].value;
	return NULL;
}

int
icap_parse_resp(const char *p, size_t len, size_t max, struct icap_resp *r)
{
	size_t pos = 0, le, i;
	ssize_t e;
	int rc, first = 1;
	const struct str *v;

	memset(r, 0, sizeof(*r));
	for (;;) {
		e = line_end(p, len, pos);
		if (e < 0)
			return len > max ? ICAP_E_TOO_LONG : ICAP_INCOMPLETE;
		if ((size_t)e + 1 > max)
			return ICAP_E_TOO_LONG;
		le = trim_cr(p, pos, (size_t)e);
		if (memchr(p + pos, '\r', le - pos) != NULL)
			return ICAP_E_SYNTAX;	/* bare CR */
		if (first) {
			rc = parse_status_line(p + pos, le - pos, r);
			if (rc < 0)
				return rc;
			first = 0;
		} else if (le == pos) {
			pos = (size_t)e + 1;
			break;
		} else if (p[pos] == ' ' || p[pos] == '\t') {
			/* A folded continuation line (c-icap's virus_scan
			 * folds X-Violations-Found): allowed in ICAP heads
			 * (RFC 3507 uses RFC 2616's syntax). The field keeps
			 * its first line as its value; a fold before any
			 * field is malformed. */
			if (r->nhdr == 0)
				return ICAP_E_SYNTAX;
			for (i = pos; i < le; i++)
				if ((unsigned char)p[i] < 0x20 &&
				    p[i] != '\t')
					return ICAP_E_SYNTAX;
		} else {
			if (r->nhdr == ICAP_MAX_HEADERS)
				return ICAP_E_TOO_MANY;
			rc = parse_field(p + pos, le - pos,
					 &r->hdr[r->nhdr]);
			if (rc < 0)
				return rc;
			r->nhdr++;
		}
		pos = (size_t)e + 1;
	}
	if ((v = icap_field(r, "ISTag")) != NULL)
		r->istag = *v;
	if ((v = icap_field(r, "Encapsulated")) != NULL &&
	    icap_parse_encap(*v, &r->enc) < 0)
		return ICAP_E_ENCAP;
	/* A 200 carries a message; 100 and 204 need none. */
	if (r->status == 200 && r->enc.n == 0)
		return ICAP_E_ENCAP;
	return (int)pos;
}

static const struct {
	const char     *name;
	enum icap_part  part;
} part_names[] = {
	{ "req-hdr",	ICAP_P_REQ_HDR },
	{ "res-hdr",	ICAP_P_RES_HDR },
	{ "req-body",	ICAP_P_REQ_BODY },
	{ "res-body",	ICAP_P_RES_BODY },
	{ "null-body",	ICAP_P_NULL_BODY },
	{ "opt-body",	ICAP_P_OPT_BODY },
};

static int
part_is_body(enum icap_part p)
{
	return p != ICAP_P_REQ_HDR && p != ICAP_P_RES_HDR;
}

int
icap_parse_encap(struct str v, struct icap_encap *e)
{
	size_t i = 0, k, ns;
	uint64_t off;
	unsigned seen = 0;
	int j, found;

	memset(e, 0, sizeof(*e));
	for (;;) {
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		ns = i;
		while (i < v.len && v.p[i] != '=')
			i++;
		if (i == v.len)
			return ICAP_E_ENCAP;
		found = -1;
		for (k = 0; k < sizeof(part_names) / sizeof(part_names[0]);
		     k++)
			if (str_ieq(str_make(v.p + ns, i - ns),
				    part_names[k].name))
				found = (int)k;
		if (found < 0)
			return ICAP_E_ENCAP;
		i++;
		if (i == v.len || v.p[i] < '0' || v.p[i] > '9')
			return ICAP_E_ENCAP;
		off = 0;
		while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9') {
			if (off > (UINT64_MAX - 9) / 10 || off > 1u << 30)
				return ICAP_E_ENCAP;
			off = off * 10 + (uint64_t)(v.p[i] - '0');
			i++;
		}
		/* Parts in order of growing offsets, each once, a body
		 * last. */
		if (e->n > ICAP_MAX_PARTS || (seen & (1u << found)))
			return ICAP_E_ENCAP;
		if (e->n > 0 && (off < e->e[e->n - 1].off ||
				 part_is_body(e->e[e->n - 1].part)))
			return ICAP_E_ENCAP;
		seen |= 1u << found;
		e->e[e->n].part = part_names[found].part;
		e->e[e->n].off = off;
		e->n++;
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		if (i == v.len)
			break;
		if (v.p[i] != ',')
			return ICAP_E_ENCAP;
		i++;
	}
	if (!part_is_body(e->e[e->n - 1].part))
		return ICAP_E_ENCAP;
	/* The first part starts at 0. */
	for (j = 0; j < e->n; j++)
		if (j == 0 && e->e[j].off != 0)
			return ICAP_E_ENCAP;
	return 0;
}

int64_t
icap_encap_off(const struct icap_encap *e, enum icap_part part)
{
	int i;

	for (i = 0; i < e->n; i++)
		if (e->e[i].part == part)
			return (int64_t)e->e[i].off;
	return -1;
}

enum icap_part
icap_encap_body(const struct icap_encap *e)
{
	return e->n > 0 ? e->e[e->n - 1].part : ICAP_P_NULL_BODY;
}

/* States of the chunk decoder. */
enum {
	CK_SIZE,	/* hex digits of the size */
	CK_EXT,		/* after the digits: BWS, extensions, to CRLF */
	CK_SIZE_LF,	/* CR seen, LF expected */
	CK_DATA,	/* left data bytes */
	CK_DATA_CR,	/* the CRLF after data */
	CK_DATA_LF,
	CK_TRAILER,	/* after the last chunk: trailer lines */
	CK_TRAILER_LF,
	CK_DONE,
};

/* Longest size line or trailer line accepted. */
#define CK_LINE_MAX 4096

/* Whether the extension text seen so far after ';' names "ieof": c->ext
 * counts the matched letters of ";ieof" with BWS skipped (1: ';' seen,
 * 5: "ieof" read, 6: "ieof" is complete, something else follows: no). */
static void
ext_byte(struct icap_chunk *c, char ch)
{
	static const char want[] = ";ieof";

	if (c->ext == 99)
		return;
	if (ch == ' ' || ch == '\t') {
		if (c->ext == 5)
			c->ext = 6;	/* "ieof " */
		else if (c->ext != 0 && c->ext != 1 && c->ext != 6)
			c->ext = 99;
		return;
	}
	if (c->ext < 5 && (ch | 0x20) == (want[c->ext] | (c->ext ? 0x20 :
							    0))) {
		c->ext++;
		return;
	}
	c->ext = 99;	/* another extension: not ieof (first one only) */
}

ssize_t
icap_chunk_next(struct icap_chunk *c, const char *p, size_t n,
		struct str *data)
{
	size_t i = 0, take;
	int d;
	char ch;

	*data = STR_NULL;
	if (c->state == CK_DATA) {
		take = n < c->left ? n : (size_t)c->left;
		if (take == 0)
			return ICAP_INCOMPLETE;
		*data = str_make(p, take);
		c->left -= take;
		if (c->left == 0)
			c->state = CK_DATA_CR;
		return (ssize_t)take;
	}
	while (i < n && c->state != CK_DATA && c->state != CK_DONE) {
		ch = p[i++];
		switch (c->state) {
		case CK_SIZE:
			d = ch >= '0' && ch <= '9' ? ch - '0' :
			    (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ?
			    (ch | 0x20) - 'a' + 10 : -1;
			if (d >= 0) {
				if (c->left >> 59)
					return ICAP_E_CHUNK_SIZE;
				c->left = c->left * 16 + (uint64_t)d;
				c->digits++;
				if (c->digits > 32)
					return ICAP_E_CHUNK_SIZE;
				break;
			}
			if (c->digits == 0)
				return ICAP_E_CHUNK;
			c->state = CK_EXT;
			c->ext = 0;
			c->linelen = c->digits;
			/* FALLTHROUGH */
		case CK_EXT:
			if (++c->linelen > CK_LINE_MAX)
				return ICAP_E_CHUNK;
			if (ch == '\r') {
				c->state = CK_SIZE_LF;
				break;
			}
			if (ch == '\n' || (unsigned char)ch < 0x20 ||
			    ch == 0x7f) {
				if (ch == '\t') {
					ext_byte(c, ch);
					break;
				}
				return ICAP_E_CHUNK;
			}
			ext_byte(c, ch);
			break;
		case CK_SIZE_LF:
			if (ch != '\n')
				return ICAP_E_CHUNK;
			c->digits = 0;
			if (c->left == 0) {
				c->ieof = c->ext == 5 || c->ext == 6;
				c->state = CK_TRAILER;
				c->linelen = 0;
			} else {
				c->state = CK_DATA;
			}
			break;
		case CK_DATA_CR:
			if (ch != '\r')
				return ICAP_E_CHUNK;
			c->state = CK_DATA_LF;
			break;
		case CK_DATA_LF:
			if (ch != '\n')
				return ICAP_E_CHUNK;
			c->state = CK_SIZE;
			c->left = 0;
			break;
		case CK_TRAILER:
			if (ch == '\r') {
				c->state = CK_TRAILER_LF;
				break;
			}
			if (ch == '\n')
				return ICAP_E_CHUNK;
			if (++c->linelen > CK_LINE_MAX)
				return ICAP_E_CHUNK;
			break;
		case CK_TRAILER_LF:
			if (ch != '\n')
				return ICAP_E_CHUNK;
			if (c->linelen == 0) {
				c->state = CK_DONE;
				c->done = 1;
			} else {
				c->state = CK_TRAILER;
				c->linelen = 0;
			}
			break;
		default:
			return ICAP_E_CHUNK;
		}
	}
	if (i == 0)
		return ICAP_INCOMPLETE;
	return (ssize_t)i;
}

/* A decimal number in v, 0..max; -1 when malformed. */
static long
read_num(struct str v, long max)
{
	long x = 0;
	size_t i;

	if (v.len == 0)
		return -1;
	for (i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		x = x * 10 + (v.p[i] - '0');
		if (x > max)
			return -1;
	}
	return x;
}

int
icap_options_read(const struct icap_resp *r, struct icap_options *o)
{
	const struct str *v;
	size_t i;
	long x;

	memset(o, 0, sizeof(*o));
	o->preview = -1;
	o->ttl = -1;
	if (r->status != 200)
		return ICAP_E_SYNTAX;
	for (i = 0; i < r->nhdr; i++) {
		if (!str_ieq(r->hdr[i].name, "Methods"))
			continue;
		if (h1_list_has(r->hdr[i].value, "REQMOD"))
			o->methods |= ICAP_OPT_REQMOD;
		if (h1_list_has(r->hdr[i].value, "RESPMOD"))
			o->methods |= ICAP_OPT_RESPMOD;
	}
	if ((v = icap_field(r, "Preview")) != NULL) {
		if ((x = read_num(*v, 1L << 30)) < 0)
			return ICAP_E_SYNTAX;
		o->preview = (int)x;
	}
	for (i = 0; i < r->nhdr; i++)
		if (str_ieq(r->hdr[i].name, "Allow") &&
		    h1_list_has(r->hdr[i].value, "204"))
			o->allow204 = 1;
	if ((v = icap_field(r, "Options-TTL")) != NULL) {
		if ((x = read_num(*v, 1L << 30)) < 0)
			return ICAP_E_SYNTAX;
		o->ttl = x;
	}
	if ((v = icap_field(r, "Max-Connections")) != NULL) {
		if ((x = read_num(*v, 1L << 20)) < 0)
			return ICAP_E_SYNTAX;
		o->max_conn = (int)x;
	}
	if (r->istag.len > 0) {
		i = r->istag.len < sizeof(o->istag) - 1 ? r->istag.len :
		    sizeof(o->istag) - 1;
		memcpy(o->istag, r->istag.p, i);
		o->istag[i] = '\0';
	}
	if ((v = icap_field(r, "Transfer-Preview")) != NULL)
		o->transfer_preview = *v;
	if ((v = icap_field(r, "Transfer-Ignore")) != NULL)
		o->transfer_ignore = *v;
	if ((v = icap_field(r, "Transfer-Complete")) != NULL)
		o->transfer_complete = *v;
	return 0;
}

const char *
icap_strerror(int rc)
{
	switch (rc) {
	case ICAP_INCOMPLETE:
		return "incomplete message";
	case ICAP_E_SYNTAX:
		return "malformed ICAP head";
	case ICAP_E_VERSION:
		return "not an ICAP/1.0 response";
	case ICAP_E_STATUS:
		return "bad ICAP status code";
	case ICAP_E_TOO_LONG:
		return "ICAP head too long";
	case ICAP_E_TOO_MANY:
		return "too many ICAP header fields";
	case ICAP_E_ENCAP:
		return "missing or malformed Encapsulated header";
	case ICAP_E_CHUNK:
		return "malformed chunked body";
	case ICAP_E_CHUNK_SIZE:
		return "chunk size too large";
	case ICAP_E_HTTP:
		return "malformed encapsulated HTTP head";
	}
	return "unknown ICAP error";
}
