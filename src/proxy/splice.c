/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * splice.c - the zero-copy path of a stream's two directions: socket ->
 * pipe -> socket with splice(2), for tunnels once a direction has carried
 * STRM_SPLICE_MIN bytes by copying (a short exchange, an HTTPS connection
 * per request, costs less copied: splice(2) is dearer per call than
 * recv/send for small reads, and needs pipes), and for the rest of
 * Content-Length bodies of at least STRM_SPLICE_MIN, when both connections'
 * transports can splice (conn_can_splice()).
 *
 * Order: a direction's pipe starts filling only when everything before its
 * bytes has gone out (heads, buffered bytes), and while it holds bytes
 * nothing more of that direction is read into the buffer, not even a
 * pipelined request; so nothing can overtake the pipe's bytes. Byte
 * counters are as on the copy path: *_bytes_in when read, *_bytes_out
 * (and the logged size) when written.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "delay/delay.h"
#include "event/loop.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/pipe.h"
#include "proxy/peek-t.h"
#include "proxy/srv.h"
#include "proxy/stream.h"
#include "stats/stats.h"

#define STRM_SPLICE_MIN 65536	/* splice bodies with at least this left */

/* Both connections of s can move bytes with splice(2). */
static int
both_splice(const struct stream *s)
{
	return conn_can_splice(s->fe) && conn_can_splice(&s->srv->conn);
}

void
strm_splice_trim(struct stream *s)
{
	struct srv *srv = s->srv;

	if (srv == NULL || s->state != STRM_TUNNEL)
		return;
	if (s->req.in->area && buf_empty(s->req.in) && s->req.fwd == 0 &&
	    !s->req.pipe.off && !s->req.pipe.unload)
		buf_free(s->req.in);
	if (srv->ibuf.area && buf_empty(&srv->ibuf) && s->res.fwd == 0 &&
	    !s->res.pipe.off && !s->res.pipe.unload &&
	    (s->tls == NULL || s->tls->srv_done))
		buf_free(&srv->ibuf);
}

int
strm_req_in_pipe(const struct stream *s)
{
	const struct srv *srv = s->srv;

	if (srv == NULL ||
	    (s->state != STRM_FORWARD && s->state != STRM_TUNNEL))
		return 0;
	if (s->req.pipe.len > 0)
		return 1;
	if (s->req.pipe.off || s->fe->eof || s->req_sent || s->req.fwd > 0 ||
	    (s->req.in->area && !buf_empty(s->req.in)) ||
	    chn_hd_pending(&s->req) || !both_splice(s))
		return 0;
	if (s->state == STRM_TUNNEL)
		return srv_state(srv) == SS_TUNNEL &&
		       s->req.copied >= STRM_SPLICE_MIN;
	return (srv_state(srv) == SS_HEAD || srv_state(srv) == SS_BODY) &&
	       !s->req_scanned && s->req_body.kind == H1_BODY_LENGTH &&
	       s->req_body.left >= STRM_SPLICE_MIN;
}

int
strm_req_fill_ok(const struct stream *s)
{
	return strm_req_in_pipe(s) && !s->fe->eof &&
	       spipe_room(&s->req.pipe) &&
	       (s->state == STRM_TUNNEL || !s->req_scanned);
}

int
strm_res_in_pipe(const struct stream *s)
{
	const struct srv *srv = s->srv;

	if (srv == NULL || s->rm != NULL ||
	    (srv_state(srv) != SS_BODY && srv_state(srv) != SS_TUNNEL))
		return 0;
	if (s->res.pipe.len > 0)
		return 1;
	if (s->tls != NULL && !s->tls->srv_done)
		return 0;	/* its first flight is read first (peek.c) */
	/* A response being stored passes through memory. */
	if (s->res.pipe.off || srv->conn.eof || s->res.fwd > 0 ||
	    s->cache.fill != NULL ||
	    (srv->ibuf.area && !buf_empty(&srv->ibuf)) ||
	    chn_hd_pending(&s->res) || !both_splice(s))
		return 0;
	if (srv_state(srv) == SS_TUNNEL)
		return s->state == STRM_TUNNEL &&
		       s->res.copied >= STRM_SPLICE_MIN;
	return s->state == STRM_FORWARD &&
	       s->resp_body.kind == H1_BODY_LENGTH && !s->resp_scanned &&
	       !s->dechunk && s->resp_body.left >= STRM_SPLICE_MIN;
}

int
strm_res_fill_ok(const struct stream *s)
{
	return strm_res_in_pipe(s) && !s->srv->conn.eof && !s->dly.srv_wait &&
	       spipe_room(&s->res.pipe) &&
	       (srv_state(s->srv) == SS_TUNNEL || !s->resp_scanned);
}

/* Log why a direction falls back to copying (errno from the splice). */
static void
splice_refused(const struct stream *s, const char *where, ssize_t err)
{
	log_msg(LOG_DEBUG, "client FD %d: cannot splice %s (%s): copying "
		"instead", s->fe->fd, where, strerror((int)-err));
}

/*
 * A direction of s, seen the same way for both: data flows from the
 * connection "from" through pipe p to the connection "to"; body is its
 * framing (NULL in a tunnel), scanned its "whole body seen" flag, in the
 * producer's input buffer with *fwd approved bytes.
 */
struct dir {
	struct conn    *from, *to;
	struct spipe   *p;
	struct h1_body *body;
	unsigned        scanned;
	struct buf     *in;
	uint64_t       *fwd;
	size_t          in_size;	/* for a buffer to unload into */
	size_t          fill_max;	/* a delay pool's allowance, else
					   SIZE_MAX */
	size_t          flush_max;
	uint64_t       *bytes_in, *bytes_out, *spliced;
	uint64_t       *logged;		/* the access.log size, or NULL */
	const char     *from_name, *to_name;
};

/* The fill half: from -> pipe. Returns 1 on progress, 0 otherwise; -1
 * when no pipe can be had (copy instead). Sets *scanned_now when the
 * body's last byte went in. */
static int
dir_fill(struct stream *s, struct dir *d, int *scanned_now)
{
	size_t want;
	ssize_t n;

	if (spipe_open(d->p) < 0)
		return -1;
	want = d->p->cap - d->p->len;
	if (d->body != NULL && want > d->body->left)
		want = (size_t)d->body->left;
	if (want > d->fill_max)
		want = d->fill_max;
	n = spipe_fill(d->p, d->from, want);
	if (n > 0) {
		*d->bytes_in += (uint64_t)n;
		if (d->body != NULL) {
			d->body->left -= (uint64_t)n;
			if (d->body->left == 0)
				*scanned_now = 1;
		}
		if ((size_t)n < want)
			d->from->rd_ready = 0;
		strm_touch(s);
		return 1;
	}
	if (n == -EAGAIN) {
		if (d->p->len == 0)
			d->from->rd_ready = 0;
		return 0;
	}
	if (n == -EOPNOTSUPP) {
		splice_refused(s, d->from_name, n);
		spipe_off(d->p);
		return 1;
	}
	/* End of stream or error: the body scan aborts a cut body, the
	 * tunnel passes the end on. */
	d->from->eof = 1;
	d->from->rst = n < 0;
	d->from->rd_ready = 0;
	return 1;
}

/* The flush half: pipe -> to. Returns 1 on progress, 0 otherwise, or the
 * negative errno of a failed write to the destination. */
static int
dir_flush(struct stream *s, struct dir *d)
{
	ssize_t n = spipe_flush(d->p, d->to, d->flush_max);

	if (n > 0) {
		*d->bytes_out += (uint64_t)n;
		*d->spliced += (uint64_t)n;
		if (d->logged != NULL)
			*d->logged += (uint64_t)n;
		/* Less than offered: the socket is full (not when a delay
		 * pool allowed only that much). */
		if (d->p->len > 0 && (size_t)n < d->flush_max)
			d->to->wr_ready = 0;
		strm_touch(s);
		return 1;
	}
	if (n == -EAGAIN) {
		d->to->wr_ready = 0;
		return 0;
	}
	if (n == -EOPNOTSUPP) {
		splice_refused(s, d->to_name, n);
		d->p->off = d->p->unload = 1;
		return 1;
	}
	return (int)n;
}

/* The destination cannot take spliced bytes: move them back into the
 * copy path. 0, or -1 when that failed. */
static int
dir_unload(struct dir *d)
{
	if (d->in->area == NULL && buf_init(d->in, d->in_size) < 0)
		return -1;
	return spipe_unload(d->p, d->in, d->fwd) < 0 ? -1 : 0;
}

/* What a direction's splice step ended with. */
enum dir_end {
	DIR_GOES_ON,		/* normal: progress or waiting */
	DIR_COPY,		/* no pipe: the copy path takes over */
	DIR_WRITE_FAILED,	/* the destination failed */
	DIR_UNLOAD_FAILED,	/* bytes could not be moved back to copy */
};

/*
 * One step of direction d: fill when fill_ok (the source is readable and
 * the pipe may take its bytes),
 * write out once everything before the pipe's bytes has gone (hd_pending,
 * *d->fwd), and hand the bytes back to the copy path when the destination
 * refused splice. *prog is set on progress; *scanned when the body's last
 * byte went into the pipe.
 */
static enum dir_end
dir_step(struct stream *s, struct dir *d, int fill_ok, size_t hd_pending,
	 unsigned *scanned, int *prog)
{
	int r, sn = 0;

	if (fill_ok) {
		r = dir_fill(s, d, &sn);
		if (r < 0) {
			*prog = 1;
			return DIR_COPY;
		}
		*prog |= r;
		if (sn)
			*scanned = 1;
	}
	if (d->p->len > 0 && !d->p->unload && d->to->wr_ready &&
	    hd_pending == 0 && *d->fwd == 0 && d->flush_max > 0) {
		r = dir_flush(s, d);
		if (r < 0) {
			*prog = 1;
			return DIR_WRITE_FAILED;
		}
		*prog |= r;
	}
	if (d->p->unload && d->p->len > 0 && *d->fwd == 0 &&
	    (d->in->area == NULL || buf_empty(d->in))) {
		*prog = 1;
		if (dir_unload(d) < 0)
			return DIR_UNLOAD_FAILED;
	}
	return DIR_GOES_ON;
}

/* The client's half of the request: client -> req.pipe -> server. */
int
strm_splice_req(struct stream *s)
{
	struct dir d;
	int tunnel = s->state == STRM_TUNNEL, prog = 0, fill_ok;
	unsigned scanned = 0;
	size_t sz;

	/* Nothing to move (the common case): no setup. */
	if (s->srv == NULL)
		return 0;
	fill_ok = s->fe->rd_ready && strm_req_fill_ok(s);
	if (s->req.pipe.len == 0 && !fill_ok)
		return 0;
	memset(&d, 0, sizeof(d));
	d.from = s->fe;
	d.to = &s->srv->conn;
	d.p = &s->req.pipe;
	d.body = tunnel ? NULL : &s->req_body;
	d.in = s->req.in;
	d.fwd = &s->req.fwd;
	sz = s->sess->cfg->request_header_max_size;
	d.in_size = sz < STRM_MIN_BUF ? STRM_MIN_BUF : sz;
	d.fill_max = d.flush_max = SIZE_MAX;
	d.bytes_in = &stats.client_bytes_in;
	d.bytes_out = &stats.server_bytes_out;
	d.spliced = tunnel ? &stats.spliced_up : &stats.spliced_req;
	d.from_name = "from the client";
	d.to_name = "to the server";
	switch (dir_step(s, &d, fill_ok, chn_hd_pending(&s->req),
			 &scanned, &prog)) {
	case DIR_GOES_ON:
	case DIR_COPY:		/* the client side reads instead */
		break;
	case DIR_WRITE_FAILED:
		if (tunnel) {
			strm_tunnel_abort(s);
			break;
		}
		/* As for a failed copy: stop sending, and let the response
		 * side decide; what the pipe holds is for nobody now. */
		spipe_close(d.p);
		s->req_sent = 1;
		s->srv_reusable = 0;
		s->resp_close = 1;
		break;
	case DIR_UNLOAD_FAILED:
		if (tunnel)
			strm_tunnel_abort(s);
		else
			strm_abort(s);
		break;
	}
	if (scanned)
		s->req_scanned = 1;
	return prog;
}

/*
 * The server's half of the response: server -> res.pipe -> client. A
 * Content-Length body cut short by the server is noticed by the body scan
 * (srv_scan_resp()), which lets the pipe drain and then aborts, so it
 * never looks complete.
 */
int
strm_splice_res(struct stream *s)
{
	struct dir d;
	int tunnel = s->state == STRM_TUNNEL, prog = 0, fill_ok;
	unsigned scanned = 0;
	uint64_t in0, out0;
	enum dir_end r;
	size_t sz;

	if (s->srv == NULL)
		return 0;
	fill_ok = s->srv->conn.rd_ready && strm_res_fill_ok(s);
	if (s->res.pipe.len == 0 && !fill_ok)
		return 0;
	memset(&d, 0, sizeof(d));
	d.fill_max = d.flush_max = SIZE_MAX;
	/* Delay pools: reads from the server (delay_pools), writes to the
	 * client (client_delay_pools). */
	if (fill_ok && s->dly.srv.nb > 0) {
		/* Whatever the buckets hold: dir_fill() takes no more
		 * than the pipe's room (the pipe may not be open yet). */
		d.fill_max = strm_delay_srv_room(s, (size_t)1 << 30);
		fill_ok = d.fill_max > 0;
	}
	/* What the client's bucket holds now, for a flush in this step
	 * (the pipe may be empty yet and filled first). */
	if (s->dly.cli.nb > 0)
		d.flush_max = s->dly.cli_wait ? 0 :
			      delay_allowed(&s->dly.cli, evl_now(),
					    (size_t)1 << 30);
	d.from = &s->srv->conn;
	d.to = s->fe;
	d.p = &s->res.pipe;
	d.body = tunnel ? NULL : &s->resp_body;
	d.in = &s->srv->ibuf;
	d.fwd = &s->res.fwd;
	sz = s->sess->cfg->reply_header_max_size;
	d.in_size = sz < STRM_MIN_BUF ? STRM_MIN_BUF : sz;
	d.bytes_in = &stats.server_bytes_in;
	d.bytes_out = &stats.client_bytes_out;
	d.spliced = tunnel ? &stats.spliced_down : &stats.spliced_resp;
	d.logged = &s->bytes_out;
	d.from_name = "from the server";
	d.to_name = "to the client";
	in0 = stats.server_bytes_in;
	out0 = stats.client_bytes_out;
	r = dir_step(s, &d, fill_ok, chn_hd_pending(&s->res), &scanned,
		     &prog);
	if (s->dly.srv.nb > 0 && stats.server_bytes_in > in0)
		delay_take(&s->dly.srv, stats.server_bytes_in - in0);
	if (s->dly.cli.nb > 0 && stats.client_bytes_out > out0)
		delay_take(&s->dly.cli, stats.client_bytes_out - out0);
	/* Bytes held back by an empty bucket: wait for it (the timer). */
	if (s->dly.cli.nb > 0 && d.flush_max == 0 && s->res.pipe.len > 0 &&
	    !s->dly.cli_wait)
		(void)strm_delay_cli_room(s, s->res.pipe.len);
	switch (r) {
	case DIR_GOES_ON:
	case DIR_COPY:
		break;
	case DIR_WRITE_FAILED:		/* the client is gone */
	case DIR_UNLOAD_FAILED:
		s->aborted = 1;
		if (tunnel)
			strm_tunnel_abort(s);
		else
			strm_abort(s);
		break;
	}
	if (scanned)
		s->resp_scanned = 1;
	return prog;
}
