/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.h - connections (types and the transport rule in conn-t.h).
 */
#ifndef TPROXYD_NET_CONN_H
#define TPROXYD_NET_CONN_H

#include <stdint.h>

#include "core/buf-t.h"
#include "net/conn-t.h"

/* The plain-socket transport. */
extern const struct xprt_ops xprt_raw;

/* Set up c over the non-blocking socket fd with transport x; cb(io) gets
 * readiness with io->data == data. No event is watched yet. */
void conn_init(struct conn *c, int fd, const struct xprt_ops *x,
	       evl_io_cb *cb, void *data);

/*
 * One read into b, of at most max bytes (a delay pool's allowance).
 * Returns 1 when something happened (bytes arrived, or
 * the end of the stream or an error: eof, and rst for an error, are then
 * set), 0 when nothing could be read. Clears rd_ready when the socket is
 * drained. Adds what was read to *count.
 */
int conn_recv_max(struct conn *c, struct buf *b, size_t max,
		  uint64_t *count);
/* The same with no bound but b's room. */
static inline int
conn_recv(struct conn *c, struct buf *b, uint64_t *count)
{
	return conn_recv_max(c, b, (size_t)-1, count);
}

/*
 * Write the bytes of h from offset off (h may be NULL), then n bytes at p,
 * in one call. Returns the count written (>= 0) or a negative errno;
 * clears wr_ready when the socket took less than offered or -EAGAIN.
 */
ssize_t conn_send2(struct conn *c, const struct buf *h, size_t off,
		   const char *p, size_t n);

/*
 * Up to n bytes of the regular file fd from *off straight to the socket
 * (sendfile(2)); *off moves on. Only for a connection whose transport
 * lets the kernel move its bytes (conn_can_splice()), and only for file
 * pages already in memory: a page not cached would block the caller on
 * the disk. Returns the count or a negative errno, as conn_send2().
 */
ssize_t conn_sendfile(struct conn *c, int fd, uint64_t *off, size_t n);

/* Watch exactly events (EVL_READ|EVL_WRITE, or 0). */
void conn_want(struct conn *c, int events);

static inline int
conn_can_splice(const struct conn *c)
{
	return c->fd >= 0 && c->xprt->can_splice(c);
}

/* Half-close our side (once). */
void conn_shutw(struct conn *c);
/* Make the coming close send a RST rather than a FIN (SO_LINGER 0), so
 * that the peer cannot take a stream cut here for a complete one. */
void conn_set_abortive(struct conn *c);
/* Stop watching, release the transport and close the socket. */
void conn_close(struct conn *c);

#endif
