/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.c - libev behind the evl_* seam.
 *
 * Every callback goes through a trampoline that counts the nesting depth;
 * when the outermost callback returns, deferred calls run (that is where
 * connection objects are freed).
 */
#include <signal.h>
#include <stddef.h>

#include "event/loop.h"

static struct ev_loop *loop;
static unsigned depth;
static struct evl_defer *defer_head, **defer_tail = &defer_head;

static void
run_deferred(void)
{
	struct evl_defer *d;

	while ((d = defer_head) != NULL) {
		defer_head = d->next;
		if (defer_head == NULL)
			defer_tail = &defer_head;
		d->queued = 0;
		d->next = NULL;
		depth++;	/* a deferred call may defer more */
		d->cb(d->arg);
		depth--;
	}
}

static void
io_tramp(struct ev_loop *l, ev_io *w, int revents)
{
	struct evl_io *io = (struct evl_io *)w;

	(void)l;
	depth++;
	io->cb(io, revents);
	if (--depth == 0)
		run_deferred();
}

static void
timer_tramp(struct ev_loop *l, ev_timer *w, int revents)
{
	struct evl_timer *t = (struct evl_timer *)w;

	(void)l;
	(void)revents;
	depth++;
	t->cb(t);
	if (--depth == 0)
		run_deferred();
}

static void
signal_tramp(struct ev_loop *l, ev_signal *w, int revents)
{
	struct evl_signal *s = (struct evl_signal *)w;

	(void)l;
	(void)revents;
	depth++;
	s->cb(s);
	if (--depth == 0)
		run_deferred();
}

int
evl_init(void)
{
	/* EVBACKEND_EPOLL: the only backend we test; EVFLAG_NOENV so that
	 * LIBEV_FLAGS in the environment cannot change it behind our back. */
	loop = ev_default_loop(EVBACKEND_EPOLL | EVFLAG_NOENV);
	return loop ? 0 : -1;
}

void
evl_run(void)
{
	ev_run(loop, 0);
}

void
evl_break(void)
{
	ev_break(loop, EVBREAK_ALL);
}

void
evl_after_fork(void)
{
	ev_loop_fork(loop);
}

double
evl_now(void)
{
	return ev_now(loop);
}

double
evl_time(void)
{
	return ev_time();
}

void
evl_now_update(void)
{
	ev_now_update(loop);
}

void
evl_io_init(struct evl_io *io, evl_io_cb *cb, int fd, void *data)
{
	ev_io_init(&io->w, io_tramp, fd, 0);
	io->cb = cb;
	io->data = data;
}

void
evl_io_want(struct evl_io *io, int events)
{
	if (evl_io_events(io) == events)
		return;
	if (ev_is_active(&io->w))
		ev_io_stop(loop, &io->w);
	if (events) {
		/* Same descriptor (ev_io_modify, not ev_io_set): libev then
		 * tells the kernel only when the interest it holds really
		 * changes, not on every stop and start (an interest dropped
		 * and taken again in one turn of the loop costs nothing). */
		ev_io_modify(&io->w, events);
		ev_io_start(loop, &io->w);
	}
}

void
evl_timer_init(struct evl_timer *t, evl_timer_cb *cb, void *data)
{
	ev_timer_init(&t->w, timer_tramp, 0., 0.);
	t->cb = cb;
	t->data = data;
}

void
evl_timer_arm(struct evl_timer *t, double seconds)
{
	if (ev_is_active(&t->w))
		ev_timer_stop(loop, &t->w);
	ev_timer_set(&t->w, seconds, 0.);
	ev_timer_start(loop, &t->w);
}

double
evl_timer_remaining(struct evl_timer *t)
{
	return ev_timer_remaining(loop, &t->w);
}

void
evl_timer_stop(struct evl_timer *t)
{
	if (ev_is_active(&t->w))
		ev_timer_stop(loop, &t->w);
}

void
evl_signal_start(struct evl_signal *s, int signum, evl_signal_cb *cb,
		 void *data)
{
	ev_signal_init(&s->w, signal_tramp, signum);
	s->cb = cb;
	s->data = data;
	ev_signal_start(loop, &s->w);
}

void
evl_signal_stop(struct evl_signal *s)
{
	ev_signal_stop(loop, &s->w);
}

void
evl_defer(struct evl_defer *d, evl_defer_cb *cb, void *arg)
{
	if (d->queued)
		return;
	d->cb = cb;
	d->arg = arg;
	d->next = NULL;
	d->queued = 1;
	*defer_tail = d;
	defer_tail = &d->next;
	if (depth == 0)
		run_deferred();
}

void
evl_defer_cancel(struct evl_defer *d)
{
	struct evl_defer **pp;

	if (!d->queued)
		return;
	for (pp = &defer_head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			if (defer_tail == &d->next)
				defer_tail = pp;
			break;
		}
	d->next = NULL;
	d->queued = 0;
}
