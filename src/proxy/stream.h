/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stream.h - streams (types in stream-t.h) and their channels.
 *
 * The stream is the mediator between its two sides: each side produces
 * into and consumes from the channels; only the stream looks at both
 * connections (to splice, to pass the end of a tunnel on, to set event
 * interest). Errors found anywhere end up here: strm_error() answers with
 * an error page (or cuts the stream when its response has started).
 */
#ifndef TPROXYD_PROXY_STREAM_H
#define TPROXYD_PROXY_STREAM_H

#include "acl/acl-t.h"
#include "core/buf.h"
#include "proxy/stream-t.h"

#define STRM_MIN_BUF 16384

/* Set up s as the (not yet started) stream of the client side cli. */
void strm_init(struct stream *s, struct cli *cli, const struct sess *sess,
	       struct conn *fe, struct buf *fe_in);
/* Forget the transaction (keeping reusable memory: URL, heads). The back
 * end must have been settled (strm_settle()). */
void strm_reset(struct stream *s);
/* Cancel DNS, close the server side and the pipes; before the front end
 * closes its connection. */
void strm_release(struct stream *s);
/* Free what strm_reset() keeps. */
void strm_free(struct stream *s);

void strm_set_state(struct stream *s, enum strm_state st);
const char *strm_state_str(enum strm_state st);

/*
 * Make every step of the current state that can progress (the back end's
 * and the channels'; the front end's own reading is its business). Returns
 * 1 on progress. Afterwards s->state may be STRM_DONE or STRM_CLOSE, for
 * the front end to act on.
 */
int strm_process(struct stream *s);
/* Event interest of the back end, from what is left to do. */
void strm_update_events(struct stream *s);
/* Something happened on the back end (I/O, DNS): run the front end, which
 * runs the stream. */
void strm_wake(struct stream *s);
/* Activity: the stream's inactivity deadline (read_timeout) moves on. */
void strm_touch(struct stream *s);
/* The stream's deadline is secs from now (connect_timeout ...). */
void strm_deadline(struct stream *s, double secs);
/* The front end's timer expired while the stream was active. */
void strm_timeout(struct stream *s);

/* The response is delivered: log, give the server connection back to the
 * pool (or close it). Leaves the stream to strm_reset(). */
void strm_settle(struct stream *s, int draining);

/*
 * Answer with an error page made here (an applet); if a response has
 * already started toward the client, cut the stream instead.
 */
void strm_error(struct stream *s, int status, const char *errname,
		const char *detail);
/* Cut the stream without a response (STRM_CLOSE). */
void strm_abort(struct stream *s);
/* A tunnel cannot go on: both connections are closed with a RST. */
void strm_tunnel_abort(struct stream *s);
/* 403 ERR_ACCESS_DENIED, logged TCP_DENIED. */
void strm_access_denied(struct stream *s);

/* Write one access.log record for s (once). txn_log.c. */
void strm_log(struct stream *s);

/* Store the URL from up to three views (owned copy, reused). 0 or -1. */
int strm_set_url(struct stream *s, struct str a, struct str b, struct str c);

/* The ACL context of s's request. */
void strm_acl_ctx(const struct stream *s, struct acl_ctx *ctx);

/* ---- channels ---------------------------------------------------------- */

/* Head bytes not yet written. */
static inline size_t
chn_hd_pending(const struct chn *c)
{
	return c->hd.area ? buf_len(&c->hd) - c->hd_sent : 0;
}

/* Bytes waiting for the consumer: head or approved body bytes. */
static inline int
chn_pending(const struct chn *c)
{
	return chn_hd_pending(c) > 0 || c->fwd > 0 || c->file_left > 0;
}

/* w bytes of c were written: its head first, then approved body bytes. */
void chn_advance(struct chn *c, size_t w);

/* ---- splice.c: the zero-copy path of each direction -------------------- */

/* A tunnel at rest keeps no empty buffer: thousands of quiet HTTPS
 * connections then hold only their structs; a read that needs a buffer
 * takes one again from the buffer cache (splice.c). */
void strm_splice_trim(struct stream *s);

/* The client's bytes go into req.pipe rather than the client's buffer. */
int strm_req_in_pipe(const struct stream *s);
/* ... and req.pipe can take more client bytes now. */
int strm_req_fill_ok(const struct stream *s);
/* The server's bytes go into res.pipe rather than the server's buffer. */
int strm_res_in_pipe(const struct stream *s);
int strm_res_fill_ok(const struct stream *s);
/* One step of each direction's splice path; 1 on progress. May end the
 * stream (check s->state). */
int strm_splice_req(struct stream *s);
int strm_splice_res(struct stream *s);

/* ---- tunnel.c ------------------------------------------------------------ */

/* STRM_TUNNEL: pass each direction's end on once its bytes are
 * delivered; 1 on progress. */
int strm_tunnel(struct stream *s);

/* ---- delay pools (strm_delay.c) ---------------------------------------- */

/* Set up s's delay timer (strm_init()). */
void strm_delay_init(struct stream *s);
/* The transaction is over: stop waiting, forget its server-side pool
 * (the client's stays with the connection). */
void strm_delay_reset(struct stream *s);
/* The stream is released: stop the timer. */
void strm_delay_stop(struct stream *s);
/* delay_access: the first pool that allows this request limits its reads
 * from the server (s->dly.srv). Once per request. */
void strm_delay_choose(struct stream *s);
/* client_delay_access: the pool whose bucket (of this client's address)
 * limits the writes to the client (s->dly.cli). Once per connection. */
void strm_delay_choose_cli(struct stream *s);
/*
 * How many of want bytes may be read from the server (srv) or written to
 * the client (cli) now. 0: none; the direction then waits (srv_wait,
 * cli_wait) until the timer wakes the stream. Only when that direction is
 * limited (s->dly.srv.nb, s->dly.cli.nb); the caller takes what it moved
 * with delay_take().
 */
size_t strm_delay_srv_room(struct stream *s, size_t want);
size_t strm_delay_cli_room(struct stream *s, size_t want);

#endif
