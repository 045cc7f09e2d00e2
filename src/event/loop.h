/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.h - the event loop (see loop-t.h for the lifecycle rule).
 */
#ifndef TPROXYD_EVENT_LOOP_H
#define TPROXYD_EVENT_LOOP_H

#include "event/loop-t.h"

/* Create the process's loop. Returns 0 or -1. */
int evl_init(void);
/* Run until evl_break() or no active watchers. */
void evl_run(void);
void evl_break(void);
/* Re-create the loop's kernel state in a forked child. */
void evl_after_fork(void);
/* Cached time of the current iteration, in seconds since the epoch. */
double evl_now(void);
/* The current time, not the iteration's cached one (for measurements). */
double evl_time(void);
/* Refresh the cached time (after a long blocking operation). */
void evl_now_update(void);

void evl_io_init(struct evl_io *io, evl_io_cb *cb, int fd, void *data);
/* Watch exactly the given events (EVL_READ|EVL_WRITE, or 0 to stop).
 * Cheap when nothing changes: libev applies fd changes once per loop. */
void evl_io_want(struct evl_io *io, int events);
static inline int
evl_io_events(const struct evl_io *io)
{
	return ev_is_active(&io->w) ? (io->w.events & (EV_READ | EV_WRITE)) : 0;
}
static inline void evl_io_stop(struct evl_io *io) { evl_io_want(io, 0); }

void evl_timer_init(struct evl_timer *t, evl_timer_cb *cb, void *data);
/* (Re)arm to fire once after seconds. */
void evl_timer_arm(struct evl_timer *t, double seconds);
void evl_timer_stop(struct evl_timer *t);
/* Seconds until an active timer fires. */
double evl_timer_remaining(struct evl_timer *t);
static inline int
evl_timer_active(const struct evl_timer *t)
{
	return ev_is_active(&t->w);
}

/* Watch a signal (libev turns it into an ordinary callback). */
void evl_signal_start(struct evl_signal *s, int signum, evl_signal_cb *cb,
		      void *data);
void evl_signal_stop(struct evl_signal *s);

/* Queue cb(arg) to run after the outermost running callback returns (at
 * once when called outside any callback). Queuing an already queued d is a
 * no-op. */
void evl_defer(struct evl_defer *d, evl_defer_cb *cb, void *arg);
/* Take d off the deferred calls if it is queued (its owner is going
 * away). */
void evl_defer_cancel(struct evl_defer *d);

#endif
