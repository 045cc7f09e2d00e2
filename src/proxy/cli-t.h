/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli-t.h - the client side: one HTTP/1 session per accepted client
 * connection (cli_h1.c owns enum cs_state; doc/state-machines.md). On an
 * https_port with ssl-bump the session's one "request" is the client's
 * TLS hello (peek.c): HEAD reads it, STREAM carries the tunnel, then the
 * connection closes.
 */
#ifndef TPROXYD_PROXY_CLI_T_H
#define TPROXYD_PROXY_CLI_T_H

#include "core/buf-t.h"
#include "event/loop-t.h"
#include "http/h1-t.h"
#include "net/conn-t.h"
#include "proxy/stream-t.h"

struct tls_peek;

/* Client side states (cli_set_state(), cli_state_str()). */
enum cs_state {
	CS_IDLE,	/* between requests: no byte of the next one yet */
	CS_HEAD,	/* receiving a request head (request_timeout) */
	CS_STREAM,	/* a stream is active (its state says how far) */
	CS_LINGER,	/* response sent, write side shut, draining input */
	CS_CLOSED,	/* closed; freed after the running callback */
};

struct cli {
	struct conn         conn;
	enum cs_state       state;
	struct sess         sess;
	struct evl_timer    timer;
	double              deadline;	/* for the lazy timer */
	struct evl_defer    free_later;
	struct buf          ibuf;	/* request bytes from the client */
	struct h1_scan      scan;	/* request head search state */
	struct stream       strm;	/* the one stream of HTTP/1 */
	unsigned            nreq;	/* requests on this connection */
	unsigned            ip_counted:1;	/* in lim_ip_open()'s count */
	struct tls_peek    *tls;	/* https_port ssl-bump: what is known
					   of the TLS connection (peek.c);
					   its "request head" is the
					   ClientHello */
	struct cli         *next;	/* list of all clients */
	struct cli         *prev;
};

#endif
