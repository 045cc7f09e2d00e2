/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hdr.c - header block rewriting (see hdr.h).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "http/errpage.h"
#include "http/h1.h"
#include "http/hdr.h"

#define MAX_CONN_TOKENS 16

/* Field names that are hop-by-hop by definition (RFC 9110 7.6.1), plus
 * Proxy-Connection (a de-facto one) and Proxy-Authorization (meant for us,
 * never for the next hop unless a peer login passes it on). */
enum hop { HOP_NO, HOP_YES, HOP_UPGRADE };

static enum hop
static_hop(struct str n)
{
	switch (n.len) {
	case 2:
		return str_ieq(n, "te") ? HOP_YES : HOP_NO;
	case 7:
		if (str_ieq(n, "upgrade"))
			return HOP_UPGRADE;
		return str_ieq(n, "trailer") ? HOP_YES : HOP_NO;
	case 10:
		return (str_ieq(n, "connection") || str_ieq(n, "keep-alive")) ?
		       HOP_YES : HOP_NO;
	case 16:
		return str_ieq(n, "proxy-connection") ? HOP_YES : HOP_NO;
	case 19:
		return str_ieq(n, "proxy-authorization") ? HOP_YES : HOP_NO;
	default:
		return HOP_NO;
	}
}

/* Collect the tokens of every Connection field. */
static size_t
conn_tokens(const struct h1_header *hdr, size_t nhdr, struct str *tok)
{
	size_t i, n = 0;
	const char *p, *e, *s;

	for (i = 0; i < nhdr; i++) {
		if (!str_ieq(hdr[i].name, "connection"))
			continue;
		p = hdr[i].value.p;
		e = p + hdr[i].value.len;
		while (p < e && n < MAX_CONN_TOKENS) {
			while (p < e && (*p == ',' || *p == ' ' || *p == '\t'))
				p++;
			s = p;
			while (p < e && *p != ',' && *p != ' ' && *p != '\t')
				p++;
			if (p > s)
				tok[n++] = str_make(s, (size_t)(p - s));
		}
	}
	return n;
}

static int
named_in(struct str name, const struct str *tok, size_t ntok)
{
	size_t i;

	for (i = 0; i < ntok; i++)
		if (tok[i].len == name.len &&
		    strncasecmp(tok[i].p, name.p, name.len) == 0)
			return 1;
	return 0;
}

static int
put_field(struct buf *out, struct str name, struct str value)
{
	if (buf_room(out) < name.len + value.len + 4) {
		buf_compact(out);
		if (buf_room(out) < name.len + value.len + 4)
			return -ENOSPC;
	}
	memcpy(buf_tail(out), name.p, name.len);
	out->tail += name.len;
	memcpy(buf_tail(out), ": ", 2);
	out->tail += 2;
	memcpy(buf_tail(out), value.p, value.len);
	out->tail += value.len;
	memcpy(buf_tail(out), "\r\n", 2);
	out->tail += 2;
	return 0;
}

/*
 * Fields that Connection cannot make hop-by-hop: the framing fields and
 * Host. The proxy framed the message by Transfer-Encoding or
 * Content-Length and relays the body in that framing, so the next hop must
 * get the same field, or it frames the body differently: "Connection:
 * Transfer-Encoding" would leave a chunked body with no framing at all,
 * and a request hidden in a chunk would reach the origin as a request of
 * its own (request smuggling); a response would reach the client
 * unframed on a kept-alive connection. Whoever removes framing (dechunking
 * for an HTTP/1.0 client, close-delimited bodies) says so through the
 * options (drop_framing, drop_cl), never through the message's own
 * Connection field.
 */
static int
conn_cannot_name(struct str n)
{
	switch (n.len) {
	case 4:
		return str_ieq(n, "host");
	case 14:
		return str_ieq(n, "content-length");
	case 17:
		return str_ieq(n, "transfer-encoding");
	default:
		return 0;
	}
}

/* A field that is for this hop only: hop-by-hop by definition or named in
 * Connection (unless conn_cannot_name() keeps it); Upgrade passes when the
 * exchange is an upgrade. */
static int
is_hop(struct str n, const struct str *tok, size_t ntok, int upgrade)
{
	enum hop h = static_hop(n);

	if (h == HOP_YES || (h == HOP_UPGRADE && !upgrade))
		return 1;
	if (conn_cannot_name(n))
		return 0;
	return named_in(n, tok, ntok) && !(upgrade && str_ieq(n, "upgrade"));
}

/* Never shown to a filter: see hdr.h. */
static int
hdr_fixed(struct str n)
{
	return conn_cannot_name(n) || (n.len == 10 &&
				       str_ieq(n, "connection"));
}

/*
 * The field whose name (nlen bytes) starts mark bytes into out's pending
 * data was just written; let the filter judge it: kept, taken back, or
 * its value rewritten. 0 or -ENOSPC.
 */
static int
judge(struct buf *out, size_t mark, size_t nlen, hdr_filter_fn *f,
      void *arg)
{
	const char *p = buf_head(out) + mark;
	struct str name, value;

	if (f == NULL || hdr_fixed(str_make(p, nlen)))
		return 0;
	name = str_make(p, nlen);
	value = str_make(p + nlen + 2, buf_len(out) - mark - nlen - 4);
	switch (f(arg, name, &value)) {
	case HDR_KEEP:
		return 0;
	case HDR_DROP:
		out->tail = out->head + mark;
		return 0;
	case HDR_REPLACE:
		out->tail = out->head + mark + nlen + 2;
		return buf_append(out, value.p, value.len) |
		       buf_append(out, "\r\n", 2);
	}
	return 0;
}

/* The configured fields to add, after all others. */
static int
put_added(struct buf *out, const struct h1_header *add, size_t nadd)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < nadd && rc == 0; i++)
		rc |= put_field(out, add[i].name, add[i].value);
	return rc;
}

/* Pieces of a head; each returns 0 or -ENOSPC. Heads are built for every
 * request and response, so they are put together from views and decimal
 * numbers rather than through printf. */
static inline int
put_str(struct buf *out, struct str s)
{
	return buf_append(out, s.p, s.len);
}

#define put_lit(out, lit) buf_append((out), (lit), sizeof(lit) - 1)

static inline int
put_cstr(struct buf *out, const char *s)
{
	return buf_append(out, s, strlen(s));
}

static int
put_cl(struct buf *out, unsigned long long cl)
{
	return put_lit(out, "Content-Length: ") | buf_append_u64(out, cl) |
	       put_lit(out, "\r\n");
}

static int
put_via(struct buf *out, int minor, const char *name)
{
	return put_lit(out, "Via: 1.") |
	       buf_append_u64(out, (unsigned)(minor < 0 ? 0 : minor)) |
	       put_lit(out, " ") | put_cstr(out, name) |
	       put_lit(out, " (tproxyd/" TPROXYD_VERSION ")\r\n");
}

int
hdr_build_req(struct buf *out, const struct h1_req *req,
	      const struct hdr_req_opts *o)
{
	struct str tok[MAX_CONN_TOKENS], n;
	size_t ntok, i, mark;
	int rc = 0, xff_seen = 0;

	ntok = conn_tokens(req->hdr, req->nhdr, tok);
	rc |= put_str(out, o->method);
	rc |= put_lit(out, " ");
	rc |= put_str(out, o->target);
	rc |= put_lit(out, " HTTP/1.1\r\nHost: ");
	rc |= put_str(out, o->host);
	rc |= put_lit(out, "\r\n");
	for (i = 0; i < req->nhdr && rc == 0; i++) {
		n = req->hdr[i].name;
		if (is_hop(n, tok, ntok, o->upgrade))
			continue;
		if (n.len == 4 && str_ieq(n, "host"))
			continue;	/* replaced from the target */
		if (o->drop_expect && str_ieq(n, "expect"))
			continue;
		if (o->has_cl && str_ieq(n, "content-length"))
			continue;	/* one, normalised, below */
		mark = buf_len(out);
		if (n.len == 15 && str_ieq(n, "x-forwarded-for")) {
			switch (o->xff) {
			case HDR_XFF_ON:
			case HDR_XFF_OFF:
				/* Append ours to the first one; there is
				 * normally only one. */
				if (xff_seen)
					break;
				xff_seen = 1;
				rc |= put_lit(out, "X-Forwarded-For: ");
				rc |= put_str(out, req->hdr[i].value);
				rc |= put_lit(out, ", ");
				rc |= put_cstr(out, o->xff == HDR_XFF_ON ?
					       o->client : "unknown");
				rc |= put_lit(out, "\r\n");
				if (rc == 0)
					rc |= judge(out, mark, n.len,
						    o->filter, o->filter_arg);
				continue;
			case HDR_XFF_TRANSPARENT:
				break;
			default:
				continue;	/* delete, truncate */
			}
		}
		rc |= put_field(out, n, req->hdr[i].value);
		if (rc == 0)
			rc |= judge(out, mark, n.len, o->filter,
				    o->filter_arg);
	}
	if (o->has_cl)
		rc |= put_cl(out, o->cl);
	if (o->upgrade)
		rc |= buf_append(out, "Connection: Upgrade\r\n", 21);
	mark = buf_len(out);
	if (!xff_seen && (o->xff == HDR_XFF_ON || o->xff == HDR_XFF_TRUNCATE))
		rc |= put_lit(out, "X-Forwarded-For: ") |
		      put_cstr(out, o->client) | put_lit(out, "\r\n");
	else if (!xff_seen && o->xff == HDR_XFF_OFF)
		rc |= buf_append(out, "X-Forwarded-For: unknown\r\n", 26);
	if (rc == 0 && buf_len(out) > mark)
		rc |= judge(out, mark, 15, o->filter, o->filter_arg);
	mark = buf_len(out);
	if (o->via_name)
		rc |= put_via(out, req->minor, o->via_name);
	if (rc == 0 && buf_len(out) > mark)
		rc |= judge(out, mark, 3, o->filter, o->filter_arg);
	rc |= put_added(out, o->add, o->nadd);
	rc |= buf_append(out, "\r\n", 2);
	return rc ? -ENOSPC : 0;
}

int
hdr_build_resp(struct buf *out, const struct h1_resp *resp,
	       const struct hdr_resp_opts *o)
{
	struct str tok[MAX_CONN_TOKENS], n;
	size_t ntok, i, mark;
	int rc = 0;

	ntok = conn_tokens(resp->hdr, resp->nhdr, tok);
	rc |= put_lit(out, "HTTP/1.1 ");
	rc |= buf_append_u64(out, (unsigned)resp->status);
	rc |= put_lit(out, " ");
	rc |= put_str(out, resp->reason);
	rc |= put_lit(out, "\r\n");
	for (i = 0; i < resp->nhdr && rc == 0; i++) {
		n = resp->hdr[i].name;
		if (is_hop(n, tok, ntok, o->upgrade))
			continue;
		if ((o->drop_cl || o->drop_framing) &&
		    str_ieq(n, "content-length"))
			continue;
		if ((o->drop_framing || o->drop_te) &&
		    str_ieq(n, "transfer-encoding"))
			continue;
		if (o->has_cl && str_ieq(n, "content-length"))
			continue;	/* one, normalised, below */
		if (o->set_age && str_ieq(n, "age"))
			continue;	/* ours, below */
		mark = buf_len(out);
		rc |= put_field(out, n, resp->hdr[i].value);
		if (rc == 0)
			rc |= judge(out, mark, n.len, o->filter,
				    o->filter_arg);
	}
	for (i = 0; i < o->nextra && rc == 0; i++) {
		mark = buf_len(out);
		rc |= put_field(out, o->extra[i].name, o->extra[i].value);
		if (rc == 0)
			rc |= judge(out, mark, o->extra[i].name.len,
				    o->filter, o->filter_arg);
	}
	if (o->set_age && rc == 0) {
		rc |= put_lit(out, "Age: ");
		rc |= buf_append_u64(out, o->age);
		rc |= put_lit(out, "\r\n");
	}
	if (o->has_cl && !o->drop_cl && !o->drop_framing)
		rc |= put_cl(out, o->cl);
	mark = buf_len(out);
	if (o->via_name)
		rc |= put_via(out, resp->minor, o->via_name);
	if (rc == 0 && buf_len(out) > mark)
		rc |= judge(out, mark, 3, o->filter, o->filter_arg);
	rc |= put_added(out, o->add, o->nadd);
	if (o->upgrade)
		rc |= buf_append(out, "Connection: Upgrade\r\n", 21);
	else if (!o->keepalive)
		rc |= buf_append(out, "Connection: close\r\n", 19);
	else if (o->client_minor == 0)
		rc |= buf_append(out, "Connection: keep-alive\r\n", 24);
	rc |= buf_append(out, "\r\n", 2);
	return rc ? -ENOSPC : 0;
}
