/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * srv_h1.c - the server side of an HTTP/1 exchange: sending the request
 * channel, reading, parsing and scanning the response into the response
 * channel, and the retry of a request whose reused connection turned out
 * closed. The only file that changes a server side's state.
 *
 * It knows the stream (what was asked, how to frame the answer) and the
 * client connection's facts (struct sess), never the client side itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "delay/delay.h"
#include "event/loop.h"
#include "http/h1.h"
#include "http/hdr.h"
#include "http/msg.h"
#include "log/log.h"
#include "net/conn.h"
#include "proxy/adapt.h"
#include "proxy/cache.h"
#include "proxy/phase.h"
#include "proxy/proxy.h"
#include "proxy/rules.h"
#include "proxy/srv.h"
#include "proxy/stream.h"
#include "stats/stats.h"

static const char *ss_names[] = {
	"CONNECT", "TLS", "HEAD", "BODY", "TUNNEL", "IDLE", "CLOSED",
};

const char *
srv_state_str(enum ss_state st)
{
	return st <= SS_CLOSED ? ss_names[st] : "?";
}

void
srv_set_state(struct srv *srv, enum ss_state st)
{
	if (log_enabled(LOG_DEBUG + 1) && srv->state != st)
		log_msg(LOG_DEBUG + 1, "server FD %d: %s -> %s", srv->conn.fd,
			srv_state_str(srv->state), srv_state_str(st));
	srv->state = st;
}

void
srv_tunnel(struct srv *srv)
{
	srv_set_state(srv, SS_TUNNEL);
}

void
srv_reparse(struct stream *s)
{
	srv_set_state(s->srv, SS_HEAD);
}

void
srv_send_again(struct stream *s)
{
	s->srv = NULL;
	s->res.in = NULL;
	s->req.hd_sent = 0;
	s->req_sent = 0;	/* all of it goes again */
	strm_set_state(s, STRM_PREPARE);
}

int
srv_retry(struct stream *s)
{
	struct srv *srv = s->srv;

	if (s->retried || srv == NULL || srv->reused == 0 ||
	    s->req_body.kind != H1_BODY_NONE ||
	    !h1_method_idempotent(s->meth) || s->resp_head_done ||
	    buf_len(&srv->ibuf) > 0)
		return 0;
	log_msg(LOG_DEBUG, "retrying %s on a new connection: reused one "
		"was closed", s->url);
	srv_close(srv);
	s->retried = 1;
	srv_send_again(s);
	srv_acquire(s);
	return 1;
}

/* Squid's re-forwarding: a 502 or 504 (and with retry_on_error a 403,
 * 500, 501 or 503) from one destination is not the answer while another
 * destination is left (the next address of this route, else the next
 * route) and the request can go again (no body, an idempotent method),
 * at most REFORWARD_MAX times. 1: gone to the next one. */
#define REFORWARD_MAX 10

static int
reforward(struct stream *s, int status)
{
	struct srv *srv = s->srv;
	char why[64];

	switch (status) {
	case 502:
	case 504:
		break;
	case 403:
	case 500:
	case 501:
	case 503:
		if (s->sess->cfg->retry_on_error)
			break;
		return 0;
	default:
		return 0;
	}
	if (!s->req_sent || s->req_body.kind != H1_BODY_NONE ||
	    !h1_method_idempotent(s->meth) ||
	    s->reforwarded >= REFORWARD_MAX ||
	    (s->addr_idx + 1 >= s->naddr && s->route_idx + 1 >= s->nroute))
		return 0;
	s->reforwarded++;
	srv_close(srv);
	srv_send_again(s);
	snprintf(why, sizeof(why), "answered %d", status);
	if (s->addr_idx + 1 < s->naddr) {
		log_msg(LOG_INFO, "%s: %s; trying its next address",
			s->peer ? s->peer->host : s->host, why);
		s->addr_idx++;
		srv_acquire(s);
	} else {
		phase_next_route(s, why);
	}
	return 1;
}

int
srv_send_req(struct stream *s)
{
	struct srv *srv = s->srv;
	struct chn *c = &s->req;
	size_t hl, bl;
	ssize_t w;

	if (srv == NULL || s->req_sent || !srv->conn.wr_ready ||
	    !srv_sending(srv))
		return 0;
	hl = chn_hd_pending(c);
	bl = (size_t)c->fwd;
	if (hl == 0 && bl == 0) {
		if (s->req_scanned && s->state == STRM_FORWARD &&
		    c->pipe.len == 0) {
			s->req_sent = 1;
			return 1;
		}
		return 0;
	}
	w = conn_send2(&srv->conn, &c->hd, c->hd_sent,
		       c->in && c->in->area ? buf_head(c->in) : NULL, bl);
	if (w < 0) {
		if (w == -EAGAIN)
			return 0;
		if (s->state == STRM_TUNNEL) {
			strm_tunnel_abort(s);
			return 1;
		}
		/* The server may still have answered (e.g. 413 before our
		 * body): stop sending and let the response side decide. */
		if (srv_retry(s))
			return 1;
		s->req_sent = 1;
		s->srv_reusable = 0;
		s->resp_close = 1;
		return 1;
	}
	stats.server_bytes_out += (uint64_t)w;
	chn_advance(c, (size_t)w);
	strm_touch(s);
	return w > 0;
}

int
srv_want_read(const struct stream *s)
{
	const struct srv *srv = s->srv;

	if (srv == NULL || srv->conn.eof || strm_res_in_pipe(s) ||
	    !srv_sending(srv) || cache_fill_throttled(s) || s->dly.srv_wait ||
	    adapt_srv_hold(s))
		return 0;
	return srv->ibuf.area == NULL || buf_room(&srv->ibuf) > 0 ||
	       srv->ibuf.head > 0;
}

int
srv_recv(struct stream *s)
{
	struct srv *srv = s->srv;
	size_t sz;
	int r;

	if (srv == NULL || !srv->conn.rd_ready || !srv_want_read(s))
		return 0;
	if (srv->ibuf.area == NULL) {
		sz = s->sess->cfg->reply_header_max_size;
		if (buf_init(&srv->ibuf, sz < STRM_MIN_BUF ? STRM_MIN_BUF :
			     sz) < 0) {
			strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
			return 1;
		}
	}
	if (s->dly.srv.nb == 0) {
		r = conn_recv(&srv->conn, &srv->ibuf,
			      &stats.server_bytes_in);
	} else {
		/* A delay pool: no more than its buckets hold. */
		size_t len = buf_len(&srv->ibuf), max;

		max = strm_delay_srv_room(s, buf_room(&srv->ibuf) +
					  srv->ibuf.head);
		if (max == 0)
			return 0;
		r = conn_recv_max(&srv->conn, &srv->ibuf, max,
				  &stats.server_bytes_in);
		if (buf_len(&srv->ibuf) > len)
			delay_take(&s->dly.srv, buf_len(&srv->ibuf) - len);
	}
	if (r)
		strm_touch(s);
	return r;
}

/* The Content-Type of the response, without parameters, for the log. */
static void
keep_ctype(struct stream *s, const struct h1_resp *resp)
{
	int k = h1_hdr_find(resp->hdr, resp->nhdr, 0, "content-type");
	size_t cl;
	const char *semi;

	if (k < 0)
		return;
	cl = resp->hdr[k].value.len;
	semi = memchr(resp->hdr[k].value.p, ';', cl);
	if (semi)
		cl = (size_t)(semi - resp->hdr[k].value.p);
	if (cl >= sizeof(s->ctype))
		cl = sizeof(s->ctype) - 1;
	memcpy(s->ctype, resp->hdr[k].value.p, cl);
	s->ctype[cl] = '\0';
}

int
srv_parse_resp(struct stream *s)
{
	struct srv *srv = s->srv;
	const struct cfg *cfg = s->sess->cfg;
	struct h1_resp resp;
	struct h1_info info;
	struct hdr_resp_opts o;
	struct rules_hdr rh;
	struct h1_scan scan = { 0 };
	int rc, k;

	if (srv == NULL || srv->state != SS_HEAD)
		return 0;
	if (srv->ibuf.area == NULL || buf_empty(&srv->ibuf)) {
		if (!srv->conn.eof)
			return 0;
		if (srv_retry(s))
			return 1;
		s->hier = "HIER_DIRECT";
		strm_error(s, 502, "ERR_ZERO_SIZE_OBJECT",
			   "The server closed the connection without "
			   "sending any data.");
		return 1;
	}
	/* Heads are small and usually arrive in one read: rescanning from
	 * the start when one comes in pieces is cheaper than keeping state
	 * in the server side. */
	rc = h1_parse_resp(buf_head(&srv->ibuf), buf_len(&srv->ibuf),
			   cfg->reply_header_max_size, &scan, &resp);
	if (rc == H1_INCOMPLETE) {
		if (!srv->conn.eof)
			return 0;
		strm_error(s, 502, "ERR_INVALID_RESP",
			   "The server closed the connection in the middle "
			   "of the response headers.");
		return 1;
	}
	if (rc < 0) {
		log_msg(LOG_INFO, "invalid response from %s: %s", s->url,
			h1_strerror(rc));
		strm_error(s, 502, "ERR_INVALID_RESP", h1_strerror(rc));
		return 1;
	}
	k = h1_msg_info(resp.hdr, resp.nhdr, resp.minor, &info);
	if (k < 0) {
		strm_error(s, 502, "ERR_INVALID_RESP", h1_strerror(k));
		return 1;
	}
	/* Interim responses may still be queued ahead of this head. */
	if (buf_reserve(&s->res.hd, buf_len(&s->res.hd) + (size_t)rc + 1024)
	    < 0) {
		strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.via_name = cfg->via ? proxy_hostname : NULL;
	o.client_minor = s->minor;

	if (resp.status < 200 && resp.status != 101) {
		/* Interim (100 Continue, 103 Early Hints): pass to HTTP/1.1
		 * clients, drop for 1.0 ones (RFC 9110 15.2). */
		if (s->minor == 1) {
			o.keepalive = 1;
			o.client_minor = 1;
			if (hdr_build_resp(&s->res.hd, &resp, &o) < 0) {
				strm_error(s, 502, "ERR_TOO_BIG",
					   "Response headers too large.");
				return 1;
			}
		}
		buf_consume(&srv->ibuf, (size_t)rc);
		return 1;
	}
	/* A sibling that no longer has the object answers our
	 * only-if-cached with 504: the next route gets the request. */
	if (s->peer != NULL && s->peer->sibling && resp.status == 504 &&
	    s->route_idx + 1 < s->nroute && s->req_sent) {
		srv_close(srv);
		srv_send_again(s);
		phase_next_route(s, "the sibling no longer has it (504)");
		return 1;
	}
	if (reforward(s, resp.status))
		return 1;
	if (cache_304_retry(s, &resp, &info, (size_t)rc))
		return 1;
	if (resp.status == 101 && !s->upgrade) {
		strm_error(s, 502, "ERR_INVALID_RESP",
			   "The server switched protocols unasked.");
		return 1;
	}
	if (h1_resp_framing(&resp, &info, s->meth == H1_M_HEAD,
			    s->meth == H1_M_CONNECT, &s->resp_body) < 0) {
		strm_error(s, 502, "ERR_INVALID_RESP",
			   "The response framing is invalid.");
		return 1;
	}
	/* The final head as received, for reply acls and the log; then
	 * http_reply_access and reply_body_max_size, before any byte of it
	 * goes to the client. A refusal closes this server connection
	 * (strm_error()): its unread body is never reused. */
	if (http_msg_keep_resp(&s->resm, &resp, buf_head(&srv->ibuf),
			       (size_t)rc) < 0) {
		strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
		return 1;
	}
	if (rules_reply(s, &info))
		return 1;
	s->status = resp.status;
	keep_ctype(s, &resp);
	s->srv_reusable = !info.conn_close &&
			  (resp.minor == 1 || info.conn_keepalive) &&
			  s->resp_body.kind != H1_BODY_CLOSE &&
			  s->resp_body.kind != H1_BODY_TUNNEL;
	/* RESPMOD precache: an ICAP service sees the response first; its
	 * answer is relayed by adapt.c (the body is read in SS_BODY). */
	if (adapt_respmod_start(s, &resp, (size_t)rc)) {
		if (s->rm != NULL)
			srv_set_state(srv, SS_BODY);
		return 1;
	}
	/* The cache: a 304 that refreshes a stored response is answered
	 * from it (the head is consumed, the server side settled);
	 * otherwise this response may start being stored. */
	if (resp.status != 101 && cache_response(s, &resp, &info, (size_t)rc))
		return 1;
	/* HTTP/1.0 clients cannot read chunked: decode it for them and
	 * delimit the body by closing. */
	s->dechunk = s->minor == 0 && s->resp_body.kind == H1_BODY_CHUNKED;
	s->resp_close = s->resp_close || !s->cli_keepalive ||
			proxy_draining() ||
			s->resp_body.kind == H1_BODY_CLOSE || s->dechunk;
	o.keepalive = !s->resp_close;
	o.upgrade = resp.status == 101;
	o.drop_cl = info.has_te;
	o.has_cl = info.has_cl;
	o.cl = info.cl;
	/* Read until close (a Transfer-Encoding that does not end in
	 * chunked, or any in HTTP/1.0: RFC 9112 6.1, 6.3): the client gets
	 * it close-delimited too, without the framing fields, so it cannot
	 * find a message boundary inside that the server slipped in. */
	o.drop_framing = s->dechunk ||
			 (s->resp_body.kind == H1_BODY_CLOSE && info.has_te);
	/* reply_header_access, _replace, _add. */
	rules_hdr_resp(&rh, s, &o);
	if (hdr_build_resp(&s->res.hd, &resp, &o) < 0) {
		strm_error(s, 502, "ERR_TOO_BIG",
			   "Response headers too large.");
		return 1;
	}
	buf_consume(&srv->ibuf, (size_t)rc);
	s->res.fwd = 0;
	s->resp_head_done = 1;
	if (resp.status == 101) {
		s->code = "TCP_TUNNEL";
		srv_set_state(srv, SS_TUNNEL);
		/* From now on req_sent means "client EOF passed on". */
		s->req_scanned = 1;
		s->req_sent = 0;
		strm_set_state(s, STRM_TUNNEL);
		return 1;
	}
	srv_set_state(srv, SS_BODY);
	if (s->resp_body.kind == H1_BODY_NONE)
		s->resp_scanned = 1;
	return 1;
}

/*
 * Approve response body bytes for the client. When dechunking for an
 * HTTP/1.0 client, chunk framing is removed in place (h1_dechunk()) and
 * only chunk data is approved.
 */
int
srv_scan_resp(struct stream *s)
{
	struct srv *srv = s->srv;
	struct buf *b;
	size_t avail, rest;
	ssize_t n;
	int done = 0;

	if (srv == NULL || srv->state != SS_BODY || s->resp_scanned ||
	    s->rm != NULL)
		return 0;
	b = &srv->ibuf;
	avail = b->area ? buf_len(b) - s->res.fwd : 0;
	if (avail == 0) {
		if (!srv->conn.eof)
			return 0;
		if (s->resp_body.kind == H1_BODY_CLOSE) {
			s->resp_scanned = 1;
			return 1;
		}
		/* Truncated: never present a cut body as complete. */
		log_msg(LOG_INFO, "server closed %s before the end of the "
			"response body", s->url);
		s->srv_reusable = 0;
		s->resp_close = 1;
		s->resp_scanned = 1;
		s->code = "TCP_MISS";
		s->aborted = 1;	/* flush what we have, then cut */
		return 1;
	}
	if (s->dechunk) {
		rest = avail;
		n = h1_dechunk(&s->resp_body, buf_head(b) + s->res.fwd, &rest,
			       &done);
		if (n >= 0)
			b->tail -= avail - rest;	/* framing dropped */
		if (n > 0)
			cache_fill_data(s, buf_head(b) + s->res.fwd,
					(size_t)n);
	} else {
		n = h1_body_scan(&s->resp_body, buf_head(b) + s->res.fwd,
				 avail, &done);
		if (n > 0)
			cache_fill_data(s, buf_head(b) + s->res.fwd,
					(size_t)n);
	}
	if (n < 0) {
		log_msg(LOG_INFO, "invalid response body from %s: %s",
			s->url, h1_strerror((int)n));
		s->srv_reusable = 0;
		s->resp_close = 1;
		s->resp_scanned = 1;
		s->aborted = 1;
		return 1;
	}
	/* reply_body_max_size on a body whose length was not declared:
	 * pass what fits, then cut (Squid closes the client's
	 * connection; it gets a partial reply). */
	if (s->resp_body_max > 0 &&
	    s->resp_body_seen + (uint64_t)n > s->resp_body_max) {
		n = (ssize_t)(s->resp_body_max - s->resp_body_seen);
		log_msg(LOG_INFO, "reply to %s is over reply_body_max_size "
			"(%llu bytes): cut", s->url,
			(unsigned long long)s->resp_body_max);
		s->res.fwd += (uint64_t)n;
		s->resp_body_seen = s->resp_body_max;
		s->srv_reusable = 0;
		s->resp_close = 1;
		s->resp_scanned = 1;
		s->aborted = 1;
		return 1;
	}
	s->resp_body_seen += (uint64_t)n;
	s->res.fwd += (uint64_t)n;
	if (done) {
		s->resp_scanned = 1;
		if (buf_len(b) > s->res.fwd)
			s->srv_reusable = 0;	/* bytes after the end */
	}
	return 1;
}
