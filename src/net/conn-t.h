/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn-t.h - one connection: a socket, its readiness and end-of-stream
 * state, and the transport that moves its bytes.
 *
 * Everything above this layer (the HTTP client side, the server side, the
 * splice engine) reads and writes a connection only through conn_*(),
 * which go through conn->xprt: plain sockets today (xprt_raw.c); a TLS
 * transport plugs in beside it without touching the HTTP code. Whether the
 * kernel may move a connection's bytes with splice(2) is the transport's
 * answer (conn_can_splice()), never a question HTTP code asks about TLS.
 */
#ifndef TPROXYD_NET_CONN_T_H
#define TPROXYD_NET_CONN_T_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "event/loop-t.h"

struct conn;

/*
 * A transport. Every function returns a byte count (>= 0) or a negative
 * errno (-EAGAIN: nothing can move now). recv returns 0 at the end of the
 * stream. None of them prints or closes the connection: the owner decides.
 */
struct xprt_ops {
	const char *name;			/* "raw", "tls" */
	ssize_t   (*recv)(struct conn *c, void *p, size_t n);
	ssize_t   (*sendv)(struct conn *c, const struct iovec *iov, int cnt);
	/* Bytes may move socket <-> pipe with splice(2) (plain TCP, or
	 * kernel TLS once set up). */
	int       (*can_splice)(const struct conn *c);
	/* Half-close: no more bytes from us (FIN for raw sockets). */
	int       (*shutw)(struct conn *c);
	/* Release the transport's state; the socket is closed by conn. */
	void      (*release)(struct conn *c);
};

struct conn {
	int                    fd;	/* -1 once closed */
	struct evl_io          io;
	const struct xprt_ops *xprt;
	void                  *xprt_ctx;	/* the transport's state */
	unsigned               rd_ready:1;	/* readable per the last
						   event (or assumed: just
						   accepted) */
	unsigned               wr_ready:1;	/* writable (speculative) */
	unsigned               eof:1;	/* the peer closed its side */
	unsigned               rst:1;	/* ... with an error (reset) */
	unsigned               shut_wr:1;	/* we shut our write side */
	unsigned               more:1;	/* the caller sends more at once
					   (a file after a head): a raw
					   socket holds a partial segment
					   (MSG_MORE) */
};

#endif
