/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * srv.h - the server side (types in srv-t.h): connections (srv_conn.c)
 * and the HTTP/1 exchange on them (srv_h1.c).
 */
#ifndef TPROXYD_PROXY_SRV_H
#define TPROXYD_PROXY_SRV_H

#include "proxy/srv-t.h"

/* srv_conn.c */

/*
 * Find or open a server connection for s toward
 * s->addr[s->addr_idx]: the idle pool first, else a new non-blocking
 * connect (spoofed per phase_choose_source()). Reports through
 * phase_server_ready() or phase_route_failed() (possibly before
 * returning).
 */
void srv_acquire(struct stream *s);
/* Close and schedule the free; the server must be detached or owned. */
void srv_close(struct srv *srv);
/* Return a server connection to the idle pool (or close it when the pool
 * is full). */
void srv_release(struct srv *srv, double idle_timeout);

/* srv_h1.c */

void srv_set_state(struct srv *srv, enum ss_state st);
const char *srv_state_str(enum ss_state st);
static inline enum ss_state
srv_state(const struct srv *srv)
{
	return srv->state;
}
/* The server may be sent request bytes now (SS_HEAD, SS_BODY,
 * SS_TUNNEL). */
static inline int
srv_sending(const struct srv *srv)
{
	return srv->state == SS_HEAD || srv->state == SS_BODY ||
	       srv->state == SS_TUNNEL;
}

/* The response head at the head of the server's buffer is to be parsed
 * again (an ICAP service let the original response go on). */
void srv_reparse(struct stream *s);

/* The steps of the server side of s; 1 on progress. */
/* Write the request channel (head, approved bytes) to the server. */
int srv_send_req(struct stream *s);
/* Read response bytes into the server's buffer. */
int srv_recv(struct stream *s);
/* SS_HEAD: parse the response head, build the client's version. */
int srv_parse_resp(struct stream *s);
/* SS_BODY: approve response body bytes for the client. */
int srv_scan_resp(struct stream *s);
/* A reused connection turned out closed: give the request to a new one.
 * 1 when it did. */
int srv_retry(struct stream *s);
/* The stream's server side is gone (closed, or back in the pool): the
 * request goes again from its first byte to the server the preparation
 * picks next (the caller then runs srv_acquire() or the routing). */
void srv_send_again(struct stream *s);
/* Response bytes are to be read into the server's buffer. */
int srv_want_read(const struct stream *s);
/* The stream becomes a tunnel (200 to CONNECT). */
void srv_tunnel(struct srv *srv);

#endif
