/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xprt_raw.c - the plain-socket transport: read(), send()/writev(),
 * shutdown(); its bytes may be spliced.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/conn.h"

static ssize_t
raw_recv(struct conn *c, void *p, size_t n)
{
	ssize_t r = read(c->fd, p, n);

	return r < 0 ? -errno : r;
}

static ssize_t
raw_sendv(struct conn *c, const struct iovec *iov, int cnt)
{
	ssize_t w;

	do {
		/* One piece: send() with MSG_NOSIGNAL; two: writev (SIGPIPE
		 * is ignored process-wide). */
		w = cnt == 1 ? send(c->fd, iov[0].iov_base, iov[0].iov_len,
				    MSG_NOSIGNAL | (c->more ? MSG_MORE : 0))
			     : writev(c->fd, iov, cnt);
	} while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : w;
}

static int
raw_can_splice(const struct conn *c)
{
	(void)c;
	return 1;
}

static int
raw_shutw(struct conn *c)
{
	return shutdown(c->fd, SHUT_WR) < 0 ? -errno : 0;
}

const struct xprt_ops xprt_raw = {
	.name       = "raw",
	.recv       = raw_recv,
	.sendv      = raw_sendv,
	.can_splice = raw_can_splice,
	.shutw      = raw_shutw,
	.release    = NULL,
};
