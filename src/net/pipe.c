/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipe.c - splice(2) pipes between two connections (see pipe-t.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/limits.h"
#include "event/loop.h"
#include "net/conn.h"
#include "net/pipe.h"

/*
 * Empty pipes kept for the next connection: a short tunnel (an HTTPS
 * connection per request) would otherwise pay pipe2(), F_SETPIPE_SZ and
 * two close() per direction. Bounded, and emptied after POOL_IDLE seconds
 * without use, so that a quiet proxy holds no extra descriptors; never
 * kept when the descriptor budget is tight.
 */
#define POOL_MAX   256
#define POOL_IDLE  1.0
static struct {
	int    fd[2];
	size_t cap;
} pool[POOL_MAX];
static unsigned npool;
static double pool_used;	/* last time a pipe was taken or given */
static struct evl_timer pool_timer;
static int pool_timer_ready;

static void
pool_close_all(void)
{
	while (npool > 0) {
		npool--;
		close(pool[npool].fd[0]);
		close(pool[npool].fd[1]);
		lim_fds_give(2);
	}
}

static void
pool_timer_cb(struct evl_timer *t)
{
	double left = pool_used + POOL_IDLE - evl_now();

	if (npool == 0)
		return;
	if (left > 0.01) {
		evl_timer_arm(t, left);
		return;
	}
	pool_close_all();
}

/* Keep p's descriptors for the next spipe_open(); 0 when they were not
 * taken (the caller closes them). */
static int
pool_put(struct spipe *p)
{
	if (npool == POOL_MAX || !lim_fd_room(2 * POOL_MAX + 64))
		return -1;
	if (!pool_timer_ready) {
		evl_timer_init(&pool_timer, pool_timer_cb, NULL);
		pool_timer_ready = 1;
	}
	pool[npool].fd[0] = p->fd[0];
	pool[npool].fd[1] = p->fd[1];
	pool[npool].cap = p->cap;
	npool++;
	pool_used = evl_now();
	if (!evl_timer_active(&pool_timer))
		evl_timer_arm(&pool_timer, POOL_IDLE);
	return 0;
}

/* Test builds only: -DTPROXYD_SPLICE_FAULT=N makes every Nth splice() fail
 * as it does on a socket that cannot splice, to exercise the fall-back to
 * copying in the middle of transfers (1: never splice at all). */
#ifndef TPROXYD_SPLICE_FAULT
#define TPROXYD_SPLICE_FAULT 0
#endif

/* splice(2) between a socket and a pipe, without blocking. */
static ssize_t
splice_io(int in, int out, size_t len)
{
	ssize_t n;
#if TPROXYD_SPLICE_FAULT > 0
	static unsigned calls;

	if (++calls % TPROXYD_SPLICE_FAULT == 0) {
		errno = EINVAL;
		return -1;
	}
#endif
	do {
		n = splice(in, NULL, out, NULL, len,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* errno of a splice() that cannot work for this pair of descriptors at
 * all, rather than an error of the socket. Taking a socket error for one
 * of these is harmless: the copy path then meets the error itself. */
static int
splice_unsupported(int err)
{
	return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP ||
	       err == ENOMEM;
}

void
spipe_init(struct spipe *p)
{
	p->fd[0] = p->fd[1] = -1;
	p->len = p->cap = 0;
	p->off = p->full = p->unload = 0;
}

int
spipe_open(struct spipe *p)
{
	int sz;

	if (p->fd[0] >= 0)
		return 0;
	if (p->off)
		return -1;
	if (npool > 0) {
		npool--;
		p->fd[0] = pool[npool].fd[0];
		p->fd[1] = pool[npool].fd[1];
		p->cap = pool[npool].cap;
		p->len = 0;
		p->full = p->unload = 0;
		pool_used = evl_now();
		return 0;
	}
	if (!lim_fd_room(2) || pipe2(p->fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		p->fd[0] = p->fd[1] = -1;
		p->off = 1;
		return -1;
	}
	lim_fds_take(2);
	/* Larger than the default 16 pages, so that a fill moves more per
	 * call. The kernel may refuse (pipe-max-size, or the user is over
	 * pipe-user-pages-soft): then work with the size it gave. */
	sz = fcntl(p->fd[1], F_SETPIPE_SZ, SPIPE_SIZE);
	if (sz < 0)
		sz = fcntl(p->fd[1], F_GETPIPE_SZ);
	p->cap = sz > 0 ? (size_t)sz : 4096;
	p->len = 0;
	p->full = p->unload = 0;
	return 0;
}

void
spipe_close(struct spipe *p)
{
	/* An empty pipe is kept for another connection; one that may
	 * still hold bytes never is. */
	if (p->fd[0] >= 0 &&
	    (p->len > 0 || p->unload || pool_put(p) < 0)) {
		close(p->fd[0]);
		close(p->fd[1]);
		lim_fds_give(2);
	}
	p->fd[0] = p->fd[1] = -1;
	p->len = 0;
	p->full = p->unload = 0;
}

void
spipe_reset(struct spipe *p)
{
	spipe_close(p);
	p->off = 0;
}

void
spipe_off(struct spipe *p)
{
	p->off = 1;
	if (p->len == 0)
		spipe_close(p);
}

int
spipe_room(const struct spipe *p)
{
	return !p->off && !p->full && (p->fd[0] < 0 || p->len < p->cap);
}

ssize_t
spipe_fill(struct spipe *p, struct conn *c, size_t max)
{
	ssize_t n;

	if (!conn_can_splice(c))
		return -EOPNOTSUPP;
	n = splice_io(c->fd, p->fd[1], max);
	if (n > 0) {
		p->len += (size_t)n;
		return n;
	}
	if (n == 0)
		return 0;
	if (errno == EAGAIN) {
		/* The socket is drained, or the pipe has no slot left (it
		 * counts pages, not bytes). When it holds bytes, wait until
		 * some are written out before trying again, rather than
		 * spin on a socket that stays readable. */
		if (p->len > 0)
			p->full = 1;
		return -EAGAIN;
	}
	return splice_unsupported(errno) ? -EOPNOTSUPP : -errno;
}

ssize_t
spipe_flush(struct spipe *p, struct conn *c, size_t max)
{
	ssize_t n;

	if (!conn_can_splice(c))
		return -EOPNOTSUPP;
	n = splice_io(p->fd[0], c->fd, p->len < max ? p->len : max);
	if (n > 0) {
		p->len -= (size_t)n;
		p->full = 0;
		return n;
	}
	if (n == 0)
		return -EOPNOTSUPP;	/* cannot happen: never spin on it */
	if (errno == EAGAIN)
		return -EAGAIN;
	return splice_unsupported(errno) ? -EOPNOTSUPP : -errno;
}

ssize_t
spipe_unload(struct spipe *p, struct buf *b, uint64_t *fwd)
{
	size_t want;
	ssize_t n;

	buf_reset(b);
	want = p->len < buf_room(b) ? p->len : buf_room(b);
	do {
		n = read(p->fd[0], buf_tail(b), want);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	buf_commit(b, (size_t)n);
	*fwd += (uint64_t)n;
	p->len -= (size_t)n;
	if (p->len == 0)
		spipe_close(p);
	return n;
}
