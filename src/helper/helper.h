/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper.h - a pool of helper programs (Squid's helper.cc): children
 * started with fork+exec as cache_effective_user without capabilities,
 * fed one line per request through non-blocking pipes on the event loop,
 * their reply lines matched to the requests (in order, or by channel ID
 * with concurrency=N), restarted with back-off when they exit, crash,
 * overflow a line or flood; requests queued when every child is busy,
 * timed out as configured.
 *
 * Lifecycle: the caller owns the pool (hlp_pool_new(), hlp_pool_free())
 * and must not free it from inside one of its callbacks. A request
 * handle lives from hlp_submit() until its callback starts or
 * hlp_cancel() returns; a caller that goes away (a client closing while
 * its request waits) cancels it and is never called back. Callbacks run
 * from the loop, never from inside hlp_submit().
 *
 * The process must ignore SIGPIPE (the daemon does): a write to a child
 * that exited then fails with EPIPE, and the child is replaced.
 */
#ifndef TPROXYD_HELPER_HELPER_H
#define TPROXYD_HELPER_HELPER_H

#include "helper/helper-t.h"

/* A pool for o (which must outlive it); starts o->startup children.
 * NULL when out of memory. */
struct hlp_pool *hlp_pool_new(const struct hlp_opts *o);
/* Stop the children (stdin closed, SIGTERM, SIGKILL if still there 3 s
 * later) and free the pool; requests not answered yet are dropped
 * without a callback. */
void hlp_pool_free(struct hlp_pool *p);

/*
 * Send line (len bytes, no line feed; a line feed or NUL inside is
 * replaced by a space) or queue it. Returns the request's handle, or NULL
 * when it was not taken: the pool has been overloaded for more than 3
 * minutes with on-persistent-overload=ERR (the caller acts as if the
 * helper said ERR), or no memory. With on-persistent-overload=die the
 * process exits instead, as Squid's workers do.
 */
struct hlp_req *hlp_submit(struct hlp_pool *p, const char *line, size_t len,
			   hlp_cb *cb, void *arg);
/* Forget a request: its callback will not run. Its bytes may have been
 * sent already; the child's answer is then read and dropped. */
void hlp_cancel(struct hlp_req *q);

/* Would a request now have to wait while the queue is full (Squid's
 * willOverload(): the *_bypass directives skip the helper then)? */
int hlp_would_overload(const struct hlp_pool *p);
/* Requests waiting for a free child. */
unsigned hlp_queue_len(const struct hlp_pool *p);
/* Children running (for tests and metrics). */
unsigned hlp_children(const struct hlp_pool *p);

#endif
