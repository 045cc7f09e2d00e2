/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop-t.h - event loop types: a thin seam over libev.
 *
 * Only src/event/ names libev; the rest of tproxyd uses evl_* types and
 * functions. One loop per process (workers are processes).
 *
 * Lifecycle rule (Valkey freeClientAsync, libuv uv_close): an object is never
 * freed inside a callback that code up the stack may still be running.
 * Instead it is handed to evl_defer(); the deferred functions run when the
 * outermost callback has returned.
 */
#ifndef TPROXYD_EVENT_LOOP_T_H
#define TPROXYD_EVENT_LOOP_T_H

#include <ev.h>

#define EVL_READ  EV_READ
#define EVL_WRITE EV_WRITE

struct evl_io;
struct evl_timer;
struct evl_signal;

typedef void evl_io_cb(struct evl_io *io, int revents);
typedef void evl_timer_cb(struct evl_timer *t);
typedef void evl_signal_cb(struct evl_signal *s);
typedef void evl_defer_cb(void *arg);

struct evl_io {
	ev_io      w;		/* must stay first: libev hands us &w */
	evl_io_cb *cb;
	void      *data;
};

struct evl_timer {
	ev_timer      w;
	evl_timer_cb *cb;
	void         *data;
};

struct evl_signal {
	ev_signal      w;
	evl_signal_cb *cb;
	void          *data;
};

/* A deferred call; embedded in the object it will free. */
struct evl_defer {
	evl_defer_cb     *cb;
	void             *arg;
	struct evl_defer *next;
	int               queued;
};

#endif
