/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunnel.c - CONNECT and Upgrade tunnels after their head: every byte read
 * is approved for the other side, and the end of each direction is passed
 * on once every byte before it is delivered (buffer and pipe): a FIN as a
 * half-close, an error (reset) by cutting both connections with a RST, so
 * that neither peer can take a stream cut here for a complete one.
 */
#include "core/buf.h"
#include "net/conn.h"
#include "proxy/peek.h"
#include "proxy/srv.h"
#include "proxy/stream.h"

/* Every byte of the buffer goes to the other side; 1 when some are new
 * (their consumer can write them at once, in this same run). */
static int
approve(struct chn *c, size_t n)
{
	int more = n > c->fwd;

	if (more)
		c->copied += n - c->fwd;
	c->fwd = n;
	return more;
}

int
strm_tunnel(struct stream *s)
{
	struct srv *srv = s->srv;
	int progress = 0;

	if (srv == NULL) {
		strm_abort(s);
		return 1;
	}
	if (s->req.in->area)
		progress |= approve(&s->req, buf_len(s->req.in));
	/* An intercepted TLS connection: the server's first flight is read
	 * where it lies before any of it goes (peek.c). */
	if (s->tls != NULL && !s->tls->srv_done) {
		if (srv->ibuf.area == NULL && !srv->conn.eof)
			return progress;
		if (!peek_server(s))
			return progress;
		if (s->state != STRM_TUNNEL)
			return 1;
	}
	if (srv->ibuf.area)
		progress |= approve(&s->res, buf_len(&srv->ibuf));
	if (s->fe->eof && s->req.fwd == 0 && s->req.pipe.len == 0 &&
	    !s->req_sent && !chn_hd_pending(&s->req)) {
		if (s->fe->rst) {
			strm_tunnel_abort(s);
			return 1;
		}
		conn_shutw(&srv->conn);
		s->req_sent = 1;
		progress = 1;
	}
	if (srv->conn.eof && s->res.fwd == 0 && s->res.pipe.len == 0 &&
	    !chn_hd_pending(&s->res) && !s->fe->shut_wr) {
		if (srv->conn.rst) {
			strm_tunnel_abort(s);
			return 1;
		}
		conn_shutw(s->fe);
		progress = 1;
	}
	if (s->req_sent && s->fe->shut_wr) {
		/* Both directions ended: the front end logs and closes. */
		strm_set_state(s, STRM_CLOSE);
		return 1;
	}
	return progress;
}
