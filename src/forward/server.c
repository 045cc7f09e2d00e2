/*
 * server.c - the server side: finding a connection for a transaction
 * (idle pool first, else a new non-blocking connect), completing the
 * connect, and closing. Data movement on an attached server connection is
 * driven by the client side (client.c), which owns the transaction.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "event/loop.h"
#include "forward/fwd.h"
#include "forward/spoof.h"
#include "log/log.h"
#include "stats/stats.h"

static unsigned nservers;	/* open server connections, pooled or not */

unsigned
srv_count(void)
{
	return nservers;
}

static void
srv_free(void *arg)
{
	struct fwd_srv *srv = arg;

	nservers--;
	stats.servers--;
	buf_free(&srv->ibuf);
	free(srv);
}

void
srv_close(struct fwd_srv *srv)
{
	if (srv->state == SS_CLOSED)
		return;
	if (srv->state == SS_IDLE)
		pool_remove(srv);
	evl_io_stop(&srv->io);
	evl_timer_stop(&srv->idle_timer);
	close(srv->fd);
	srv->fd = -1;
	srv->state = SS_CLOSED;
	srv->cli = NULL;
	evl_defer(&srv->free_later, srv_free, srv);
}

static void
srv_connect_done(struct fwd_srv *srv)
{
	struct fwd_cli *cli = srv->cli;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(srv->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		stats_connect_time(evl_time() - srv->t_connect);
		srv->state = SS_HEAD;
		srv->wr_ready = 1;
		cli_server_ready(cli);
		return;
	}
	stats.server_connect_failed++;
	/* This address failed: try the next candidate, if any. */
	log_msg(LOG_DEBUG, "connect to server failed: %s", strerror(err));
	cli->srv = NULL;
	srv_close(srv);
	cli->txn.addr_idx++;
	if (cli->txn.addr_idx < cli->txn.naddr) {
		srv_acquire(cli);
		return;
	}
	cli_route_failed(cli, err);
}

static void
srv_io_cb(struct evl_io *io, int revents)
{
	struct fwd_srv *srv = io->data;
	struct fwd_cli *cli;
	char c;
	ssize_t n;

	if (revents & EVL_READ)
		srv->rd_ready = 1;
	if (revents & EVL_WRITE)
		srv->wr_ready = 1;
	switch (srv->state) {
	case SS_IDLE:
		/* An idle connection has nothing to say: EOF, an error or
		 * stray bytes all mean it cannot carry another request. */
		n = recv(srv->fd, &c, 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		srv_close(srv);
		return;
	case SS_CONNECT:
		/* The client side acts on the outcome (or on the error page
		 * it queued) in its own run. */
		cli = srv->cli;
		if (revents & EVL_WRITE)
			srv_connect_done(srv);
		cli_run(cli);
		return;
	case SS_CLOSED:
		return;
	default:
		if (srv->cli != NULL)
			cli_run(srv->cli);
		return;
	}
}

static void
srv_idle_timeout(struct evl_timer *t)
{
	srv_close(t->data);
}

/* Open a non-blocking connection to dst, from src when src is given
 * (spoofed: the client's address, transparent). Returns the new server
 * side in SS_CONNECT (or SS_HEAD when connect completed at once), or NULL
 * with *err set to an errno. */
static struct fwd_srv *
srv_open(const struct sockaddr *dst, socklen_t dstlen,
	 const struct sockaddr_storage *src, socklen_t srclen, int spoofed,
	 int *err)
{
	struct fwd_srv *srv;
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
	nservers++;
	stats.servers++;
	/* One counter per label value: a scrape must never see "no" (the
	 * difference of two counters) go backwards. */
	if (spoofed)
		stats.server_spoofed++;
	else
		stats.server_direct++;
	srv->t_connect = evl_time();
	srv->fd = fd;
	memcpy(&srv->dst, dst, dstlen);
	srv->dstlen = dstlen;
	if (srclen > 0) {
		srv->src = *src;
		srv->srclen = srclen;
	}
	evl_io_init(&srv->io, srv_io_cb, fd, srv);
	evl_timer_init(&srv->idle_timer, srv_idle_timeout, srv);
	if (connect(fd, dst, dstlen) == 0) {
		stats_connect_time(evl_time() - srv->t_connect);
		srv->state = SS_HEAD;
		srv->wr_ready = 1;
		return srv;
	}
	if (errno != EINPROGRESS) {
		*err = errno;
		stats.server_connect_failed++;
		nservers--;
		stats.servers--;
		close(fd);
		free(srv);
		return NULL;
	}
	srv->state = SS_CONNECT;
	evl_io_want(&srv->io, EVL_WRITE);
	return srv;
}

void
srv_acquire(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;
	struct fwd_srv *srv;
	const struct sockaddr *dst;
	int err = ECONNREFUSED;

	for (; t->addr_idx < t->naddr; t->addr_idx++) {
		dst = (const struct sockaddr *)&t->addr[t->addr_idx];
		/* A retry after a reused connection failed must not pick
		 * another idle one that may be just as stale. */
		/* Per address: the family decides whether the client's
		 * address can be the source. */
		cli_choose_source(cli, dst->sa_family);
		if (!t->retried &&
		    (srv = pool_get(dst, t->addrlen[t->addr_idx],
				    t->srclen ? (struct sockaddr *)&t->src :
				    NULL, t->srclen, t->peer)) != NULL) {
			stats.server_reused++;
			srv->cli = cli;
			srv->state = SS_HEAD;
			srv->wr_ready = 1;
			srv->rd_ready = 0;
			cli->srv = srv;
			cli_server_ready(cli);
			return;
		}
		srv = srv_open(dst, t->addrlen[t->addr_idx], &t->src,
			       t->srclen, t->spoofed, &err);
		if (srv == NULL)
			continue;
		srv->peer = t->peer;
		srv->cli = cli;
		cli->srv = srv;
		if (srv->state == SS_HEAD)
			cli_server_ready(cli);
		return;
	}
	cli_route_failed(cli, err);
}

void
srv_release(struct fwd_srv *srv, double idle_timeout)
{
	srv->cli = NULL;
	srv->fwd = 0;
	srv->reused++;
	if (buf_empty(&srv->ibuf))
		buf_free(&srv->ibuf);	/* idle connections hold no buffer */
	srv->state = SS_IDLE;
	evl_io_want(&srv->io, EVL_READ);
	evl_timer_arm(&srv->idle_timer, idle_timeout);
	pool_put(srv);
}
