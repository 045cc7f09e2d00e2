/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icap_conn.h - connections to ICAP services and the transactions over
 * them (types in icap-t.h): a pool of persistent connections per service,
 * OPTIONS fetched at start and again when their Options-TTL runs out,
 * connect and I/O timeouts, Max-Connections.
 */
#ifndef TPROXYD_ICAP_ICAP_CONN_H
#define TPROXYD_ICAP_ICAP_CONN_H

#include "icap/icap-t.h"

/*
 * Replace the services with n new ones (the previous ones are retired:
 * their idle connections close, their transactions finish). Asks each new
 * service for its OPTIONS. Returns 0 or -ENOMEM.
 */
int icap_configure(const struct icap_svc_conf *c, size_t n);
/* Close everything (exit). */
void icap_shutdown(void);
/* The i-th service of the current configuration, or NULL. */
struct icap_svc *icap_svc_at(size_t i);
size_t icap_nsvc(void);
/* A message went on unadapted because s failed (bypass=on). */
void icap_svc_bypassed(struct icap_svc *s);
/* A streamed transaction was answered 204 / failed in a way its owner
 * found (the counters of the metrics). */
void icap_svc_no_content(struct icap_svc *s);
void icap_svc_error(struct icap_svc *s);

/*
 * A new transaction with svc, whose request the caller appends to x->out
 * (icap_build_req() ...) before icap_xact_start(). cb(arg, x) is called
 * once, deferred (outside any of this module's calls), when it is DONE or
 * FAILED; it may free x. NULL when out of memory.
 */
struct icap_xact *icap_xact_new(struct icap_svc *svc, icap_done_cb *cb,
				void *arg);
/* Send the request and read the response whole (at most body_max bytes
 * of decoded body). */
void icap_xact_start(struct icap_xact *x, size_t body_max);
/*
 * Streaming (RESPMOD with a body): the transaction gets a connection (as
 * icap_xact_start()), then stays in ICAP_S_STREAM, where its owner moves
 * the bytes with icap_xact_io(): x->out from out_off is written, x->in
 * read into while it has room. cb(arg, x) is called, deferred, whenever
 * the connection is ready for that or the transaction FAILED (connect,
 * timeout); it may free x.
 */
void icap_xact_stream(struct icap_xact *x);
/*
 * Write what x->out holds past out_off (the written bytes are dropped
 * from x->out), read into x->in when it has room and rd is set, and watch
 * the connection for what is left to do. Returns 1 when bytes moved or
 * the server closed (x->eof), 0 when nothing could move, or a negative
 * errno (x is FAILED then).
 */
int icap_xact_io(struct icap_xact *x, int rd);
/* Watch the connection for what is left to do now (after the owner's
 * steps: the level-triggered loop wakes it again). */
void icap_xact_want(struct icap_xact *x, int rd);
/* The streamed exchange is over: the connection goes back to the pool
 * when reusable (the answer was read whole, nothing more came), else it
 * closes; x stays with its buffers. */
void icap_xact_end(struct icap_xact *x, int reusable);
/* Free x; a transaction still running is cancelled and its connection
 * closed (never pooled half-way). */
void icap_xact_free(struct icap_xact *x);

const char *icap_state_str(enum icap_state st);

#endif
