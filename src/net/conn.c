/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.c - a connection over its transport: reads into buffers, writes of
 * a head plus body bytes, half-close, abortive close.
 */
#include <errno.h>
#include <sys/sendfile.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "event/loop.h"
#include "net/conn.h"

void
conn_init(struct conn *c, int fd, const struct xprt_ops *x, evl_io_cb *cb,
	  void *data)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->xprt = x;
	evl_io_init(&c->io, cb, fd, data);
}

int
conn_recv_max(struct conn *c, struct buf *b, size_t max, uint64_t *count)
{
	size_t room;
	ssize_t n;

	if (buf_room(b) == 0) {
		if (b->head == 0)
			return 0;
		buf_compact(b);
	}
	room = buf_room(b);
	if (room > max)
		room = max;
	if (room == 0)
		return 0;	/* a read of 0 bytes would look like EOF */
	n = c->xprt->recv(c, buf_tail(b), room);
	if (n > 0) {
		buf_commit(b, (size_t)n);
		*count += (uint64_t)n;
		/* A short read drained the socket: wait for the next event
		 * rather than spend a read() on EAGAIN. */
		if ((size_t)n < room)
			c->rd_ready = 0;
		return 1;
	}
	if (n == -EAGAIN) {
		c->rd_ready = 0;
		return 0;
	}
	if (n == -EINTR)
		return 0;
	/* End of stream, or an error (reset). */
	if (n < 0)
		c->rst = 1;
	c->eof = 1;
	c->rd_ready = 0;
	return 1;
}

ssize_t
conn_send2(struct conn *c, const struct buf *h, size_t off, const char *p,
	   size_t n)
{
	struct iovec iov[2];
	int cnt = 0;
	size_t total = 0;
	ssize_t w;

	if (h != NULL && h->area != NULL && buf_len(h) > off) {
		iov[cnt].iov_base = buf_head(h) + off;
		iov[cnt].iov_len = buf_len(h) - off;
		total += iov[cnt].iov_len;
		cnt++;
	}
	if (n > 0) {
		iov[cnt].iov_base = (void *)(uintptr_t)p;
		iov[cnt].iov_len = n;
		total += n;
		cnt++;
	}
	if (cnt == 0)
		return 0;
	w = c->xprt->sendv(c, iov, cnt);
	if (w == -EAGAIN || (w >= 0 && (size_t)w < total))
		c->wr_ready = 0;
	return w;
}

ssize_t
conn_sendfile(struct conn *c, int fd, uint64_t *off, size_t n)
{
	off_t o = (off_t)*off;
	ssize_t w;

	if (!conn_can_splice(c))
		return -EOPNOTSUPP;
	w = sendfile(c->fd, fd, &o, n);
	if (w < 0) {
		w = -errno;
		if (w == -EAGAIN)
			c->wr_ready = 0;
		return w;
	}
	if ((size_t)w < n)
		c->wr_ready = 0;
	*off = (uint64_t)o;
	return w;
}

void
conn_want(struct conn *c, int events)
{
	evl_io_want(&c->io, events);
}

void
conn_shutw(struct conn *c)
{
	if (c->shut_wr || c->fd < 0)
		return;
	c->xprt->shutw(c);
	c->shut_wr = 1;
}

void
conn_set_abortive(struct conn *c)
{
	struct linger lg = { 1, 0 };

	if (c->fd >= 0)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

void
conn_close(struct conn *c)
{
	if (c->fd < 0)
		return;
	evl_io_stop(&c->io);
	if (c->xprt->release)
		c->xprt->release(c);
	close(c->fd);
	c->fd = -1;
}
