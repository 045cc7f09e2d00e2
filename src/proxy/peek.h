/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peek.h - intercepted TLS connections (https_port ... ssl-bump): the
 * ssl_bump steps, the CONNECT request such a connection is handled as,
 * and the server's first flight (types in peek-t.h).
 */
#ifndef TPROXYD_PROXY_PEEK_H
#define TPROXYD_PROXY_PEEK_H

#include "proxy/peek-t.h"

struct access_list;
struct access_rule;
struct acl_ctx;
struct buf;
struct stream;

/* Step 1, when the connection is accepted: decide with the ssl_bump rules
 * on the original destination alone. Returns 1 when the stream was
 * started (splice) or ended (terminate), 0 when the client's hello is to
 * be read (peek, stare). */
int peek_accept(struct stream *s);

/*
 * A CONNECT request on a forward http_port with ssl-bump, after
 * http_access allowed it: step 1 with the ssl_bump rules. Returns 0 when
 * it goes on as any CONNECT (no rules, splice); 1 when taken here:
 * terminate (the connection is closed), or peek, stare, bump: the client
 * gets "200 Connection established" (s->tls, owned by the client side,
 * remembers the CONNECT) and its ClientHello is then read with
 * peek_hello(), with the CONNECT's target.
 */
int peek_connect(struct stream *s);

/*
 * The same CONNECT when http_access (list, at rule) denied it, on a port
 * that can bump: as Squid does, the client is bumped all the same (200,
 * then a certificate made from the SNI or the CONNECT's host, whatever the
 * ssl_bump rules) and its first request gets the denial's answer over TLS
 * (the server is never contacted). 1 when taken; 0: answer as usual.
 */
int peek_connect_denied(struct stream *s, const struct access_list *list,
			const struct access_rule *rule);

/* Step 2: read the ClientHello at the head of in; 0 while incomplete (eof:
 * the client is gone, the stream is ended), 1 when decided (the stream is
 * started or ended). */
int peek_hello(struct stream *s, struct buf *in, int eof);

/* The client did not speak TLS (squid_error: ERR_PROTOCOL_UNKNOWN,
 * ERR_REQUEST_START_TIMEOUT ...): on_unsupported_protocol tunnels it to
 * the original destination or closes it. */
void peek_unsupported(struct stream *s, const char *squid_error);

/*
 * An intercepted HTTP connection whose first bytes are not an HTTP request
 * (or that sent none in time): when on_unsupported_protocol says tunnel,
 * s (given tp, zeroed, which the front end then owns) is relayed as it is
 * to the original destination and 1 is returned; else 0 and s is as it
 * was, for the usual error page.
 */
int peek_http_unsupported(struct stream *s, struct tls_peek *tp,
			  const char *squid_error);

/* In a tunnel: read the server's first flight in the server's buffer
 * before any of it goes to the client; after a peek at step 2, decide
 * step 3. Returns 1 when the server's bytes may go, 0 while they wait. */
int peek_server(struct stream *s);

/* The TLS facts for ACLs (ctx already filled for the stream). */
/*
 * After a stare at step 2, tproxyd's handshake with the server is done:
 * step 3 decides with its certificate (der, NULL when none) and the
 * errors its chain has (errs: static names). 1: bump; 0: terminate (the
 * caller closes the connection).
 */
int peek_stared(struct stream *s, const uint8_t *der, size_t len,
		const char *const *errs, int nerr);
void peek_acl_ctx(const struct tls_peek *tp, struct acl_ctx *ctx);

/* Squid's %ssl::bump_mode name of an action ("-" for none). */
const char *peek_mode_str(enum sslb_action a);

#endif
