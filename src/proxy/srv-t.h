/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * srv-t.h - the server side: one per connection to an origin or a parent
 * (srv_h1.c owns enum ss_state; doc/state-machines.md). Lent to a stream
 * while it serves a request, kept in the idle pool between requests.
 */
#ifndef TPROXYD_PROXY_SRV_T_H
#define TPROXYD_PROXY_SRV_T_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "core/buf-t.h"
#include "event/loop-t.h"
#include "net/conn-t.h"

struct cfg_peer;
struct stream;

/* Server side states (srv_set_state(), srv_state_str()). */
enum ss_state {
	SS_CONNECT,	/* non-blocking connect() in progress */
	SS_TLS,		/* TLS handshake (bumped connections, bump.c) */
	SS_HEAD,	/* sending the request; waiting for the response head */
	SS_BODY,	/* relaying the response body */
	SS_TUNNEL,	/* raw relay after 200-to-CONNECT or 101 */
	SS_IDLE,	/* in the idle pool, owned by it */
	SS_CLOSED,	/* closed; freed after the running callback */
};

struct srv {
	struct conn         conn;
	enum ss_state       state;
	struct evl_timer    idle_timer;	/* SS_IDLE only */
	struct evl_defer    free_later;
	struct buf          ibuf;	/* response bytes from the server */
	struct sockaddr_storage dst;	/* where it is connected */
	socklen_t           dstlen;
	struct sockaddr_storage src;	/* bound source (spoofed), or
					   family 0 when the system chose */
	socklen_t           srclen;
	const struct cfg_peer *peer;	/* parent, or NULL when direct */
	struct stream      *strm;	/* owner while serving, NULL in pool */
	unsigned            reused;	/* requests served before this one */
	char               *tls_host;	/* TLS (bumped): the server name it
					   was opened for ("" none), owned;
					   NULL: plain TCP */
	double              t_connect;	/* when connect() started */
	struct srv         *pool_next;	/* idle pool bucket list */
	struct srv         *pool_prev;
	struct srv         *lru_next;	/* idle pool age order */
	struct srv         *lru_prev;
};

#endif
