/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * srv_conn.c - server connections: finding one for a stream (idle pool
 * first, else a new non-blocking connect from the chosen source),
 * completing the connect, keeping it idle, closing. What goes over an
 * attached connection is srv_h1.c's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/limits.h"
#include "event/loop.h"
#include "http/h1.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/sock_inet.h"
#include "proxy/bump.h"
#include "proxy/phase.h"
#include "proxy/pool.h"
#include "proxy/srv.h"
#include "proxy/stream.h"
#include "stats/stats.h"

static void
srv_free(void *arg)
{
	struct srv *srv = arg;

	lim_server_close();
	stats.servers--;
	buf_free(&srv->ibuf);
	free(srv->tls_host);
	free(srv);
}

void
srv_close(struct srv *srv)
{
	if (srv->state == SS_CLOSED)
		return;
	if (srv->state == SS_IDLE)
		pool_remove(srv);
	evl_timer_stop(&srv->idle_timer);
	conn_close(&srv->conn);
	srv_set_state(srv, SS_CLOSED);
	srv->strm = NULL;
	evl_defer(&srv->free_later, srv_free, srv);
}

/* The stream gives srv up (it failed or is done). */
static void
srv_detach(struct stream *s)
{
	if (s->res.in == &s->srv->ibuf)
		s->res.in = NULL;
	s->srv = NULL;
}

static void
srv_connect_done(struct srv *srv)
{
	struct stream *s = srv->strm;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(srv->conn.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		stats_connect_time(evl_time() - srv->t_connect);
		srv_set_state(srv, SS_HEAD);
		srv->conn.wr_ready = 1;
		phase_server_ready(s);
		return;
	}
	stats.server_connect_failed++;
	/* This address failed: try the next candidate, if any. */
	log_msg(LOG_DEBUG, "connect to server failed: %s", strerror(err));
	srv_detach(s);
	srv_close(srv);
	s->addr_idx++;
	if (s->addr_idx < s->naddr) {
		srv_acquire(s);
		return;
	}
	phase_route_failed(s, err);
}

static void
srv_io_cb(struct evl_io *io, int revents)
{
	struct srv *srv = io->data;
	struct stream *s;
	char c;
	ssize_t n;

	if (revents & EVL_READ)
		srv->conn.rd_ready = 1;
	if (revents & EVL_WRITE)
		srv->conn.wr_ready = 1;
	switch (srv->state) {
	case SS_IDLE:
		/* An idle connection has nothing to say: EOF, an error or
		 * stray bytes all mean it cannot carry another request. A
		 * TLS one may get records that are not data (TLS 1.3 session
		 * tickets, sent after the handshake): the transport takes
		 * them and has nothing to give. */
		if (srv->tls_host != NULL)
			n = srv->conn.xprt->recv(&srv->conn, &c, 1);
		else
			n = recv(srv->conn.fd, &c, 1, MSG_DONTWAIT) < 0 ?
			    -errno : 1;
		if (n == -EAGAIN || n == -EINTR)
			return;
		srv_close(srv);
		return;
	case SS_CONNECT:
		/* The stream acts on the outcome (or on the error page it
		 * queued) in its front end's run. */
		s = srv->strm;
		if (revents & EVL_WRITE)
			srv_connect_done(srv);
		strm_wake(s);
		return;
	case SS_CLOSED:
		return;
	default:
		if (srv->strm != NULL)
			strm_wake(srv->strm);
		return;
	}
}

static void
srv_idle_timeout(struct evl_timer *t)
{
	srv_close(t->data);
}

/* Open a non-blocking connection to dst for s, from src when src is
 * given (spoofed: the client's address, transparent), marked as s chose.
 * Returns the new server side in SS_CONNECT (or SS_HEAD when connect
 * completed at once), or NULL with *err set to an errno. */
static struct srv *
srv_open(const struct stream *s, const struct sockaddr *dst,
	 socklen_t dstlen, const struct sockaddr_storage *src,
	 socklen_t srclen, int spoofed, int *err)
{
	struct srv *srv;
	int fd, one = 1;

	fd = socket(dst->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	/* Heads and small bodies leave in one write: Nagle only adds
	 * latency for a proxy. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* The marks before the SYN: routing and the router's rules see
	 * every packet of the connection marked. */
	if ((*err = -phase_mark_server(s, fd, dst->sa_family, 1)) != 0) {
		close(fd);
		return NULL;
	}
	if (srclen > 0 && (*err = -spoof_bind(fd, (const struct sockaddr *)src,
					      srclen, spoofed)) != 0) {
		if (*err == EPERM)
			log_msg(LOG_CRIT, "ERROR: cannot spoof the client "
				"address: IP_TRANSPARENT needs CAP_NET_ADMIN "
				"(or CAP_NET_RAW)");
		close(fd);
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		close(fd);
		*err = ENOMEM;
		return NULL;
	}
	lim_server_open();
	stats.servers++;
	/* One counter per label value: a scrape must never see "no" (the
	 * difference of two counters) go backwards. */
	if (spoofed)
		stats.server_spoofed++;
	else
		stats.server_direct++;
	srv->t_connect = evl_time();
	conn_init(&srv->conn, fd, &xprt_raw, srv_io_cb, srv);
	memcpy(&srv->dst, dst, dstlen);
	srv->dstlen = dstlen;
	if (srclen > 0) {
		srv->src = *src;
		srv->srclen = srclen;
	}
	evl_timer_init(&srv->idle_timer, srv_idle_timeout, srv);
	if (connect(fd, dst, dstlen) == 0) {
		stats_connect_time(evl_time() - srv->t_connect);
		srv_set_state(srv, SS_HEAD);
		srv->conn.wr_ready = 1;
		return srv;
	}
	if (errno != EINPROGRESS) {
		*err = errno;
		stats.server_connect_failed++;
		lim_server_close();
		stats.servers--;
		close(fd);
		free(srv);
		return NULL;
	}
	srv_set_state(srv, SS_CONNECT);
	conn_want(&srv->conn, EVL_WRITE);
	return srv;
}

/* srv serves s from now on. */
static void
srv_attach(struct srv *srv, struct stream *s)
{
	srv->strm = s;
	s->srv = srv;
	s->res.in = &srv->ibuf;
}

/* Whether the request may be sent again on a new connection if a reused
 * one turns out closed (see srv_retry()). */
static int
strm_retriable(const struct stream *s)
{
	return s->req_body.kind == H1_BODY_NONE &&
	       h1_method_idempotent(s->meth);
}

void
srv_acquire(struct stream *s)
{
	struct srv *srv;
	const struct sockaddr *dst;
	const char *tls_host;
	int err = ECONNREFUSED, bumping;

	/* The CONNECT of a connection being bumped sends nothing of its
	 * own: an idle TLS connection to the same name will do (each of its
	 * requests is then checked for retries on its own). */
	tls_host = bump_pool_host(s);
	bumping = tls_host != NULL && s->meth == H1_M_CONNECT;
	for (; s->addr_idx < s->naddr; s->addr_idx++) {
		dst = (const struct sockaddr *)&s->addr[s->addr_idx];
		/* Per address: the family decides whether the client's
		 * address can be the source. */
		phase_choose_source(s, dst->sa_family);
		/* A retry after a reused connection failed must not pick
		 * another idle one that may be just as stale; and a request
		 * that could not be retried (srv_retry(): a body, or a method
		 * that is not idempotent) never goes out on an idle one,
		 * which the server may be closing at that very moment
		 * (Squid's default for server_pconn_for_nonretriable). */
		if (!s->retried && (strm_retriable(s) || bumping) &&
		    (srv = pool_get(dst, s->addrlen[s->addr_idx],
				    s->srclen ? (struct sockaddr *)&s->src :
				    NULL, s->srclen, s->peer,
				    tls_host)) != NULL) {
			err = -phase_mark_server(s, srv->conn.fd,
						 dst->sa_family, 0);
			if (err != 0) {
				srv_close(srv);
				continue;
			}
			stats.server_reused++;
			srv_attach(srv, s);
			srv_set_state(srv, SS_HEAD);
			srv->conn.wr_ready = 1;
			srv->conn.rd_ready = 0;
			phase_server_ready(s);
			return;
		}
		srv = srv_open(s, dst, s->addrlen[s->addr_idx], &s->src,
			       s->srclen, s->spoofed, &err);
		if (srv == NULL)
			continue;
		srv->peer = s->peer;
		srv_attach(srv, s);
		if (srv->state == SS_HEAD)
			phase_server_ready(s);
		return;
	}
	phase_route_failed(s, err);
}

void
srv_release(struct srv *srv, double idle_timeout)
{
	srv->strm = NULL;
	srv->reused++;
	if (buf_empty(&srv->ibuf))
		buf_free(&srv->ibuf);	/* idle connections hold no buffer */
	srv_set_state(srv, SS_IDLE);
	conn_want(&srv->conn, EVL_READ);
	evl_timer_arm(&srv->idle_timer, idle_timeout);
	pool_put(srv);
}
