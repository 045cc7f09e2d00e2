/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bump.h - decrypting intercepted TLS connections (ssl_bump bump; types
 * in bump-t.h).
 */
#ifndef TPROXYD_PROXY_BUMP_H
#define TPROXYD_PROXY_BUMP_H

#include "proxy/bump-t.h"

struct stream;
struct cli;

/* What the configuration uses to make its TLS objects (config.h): the
 * daemon sets cfg_tls_ops to it before loading. */
extern const struct cfg_tls_ops bump_cfg_ops;

const char *bump_state_str(enum bump_state st);

/* The server connection of s is up (phase_server_ready): when it must
 * speak TLS (s bumps, or s is a request of a bumped connection) and does
 * not yet, start the handshake (s goes to STRM_HANDSHAKE) and return 1;
 * 0 otherwise. */
int bump_server_ready(struct stream *s);
/* The name an idle TLS server connection must have been made for to carry
 * s (srv.tls_host): NULL when s's server connection is not TLS. */
const char *bump_pool_host(const struct stream *s);

/* STRM_HANDSHAKE: drive the handshakes; 1 on progress. */
int bump_step(struct stream *s);

/* The client's TLS handshake is under way: its bytes are OpenSSL's (the
 * front end neither reads them nor chooses the events to wait for). */
int bump_cli_handshaking(const struct cli *cli);

/* strm_error() on a connection being bumped, before its client's
 * handshake: the client is bumped all the same (a certificate made from
 * the SNI) and its first request gets the page. 1 when taken; 0: close
 * it as an unbumped one. */
/*
 * Squid 3's client-first (ssl_bump client-first at step 1): once the
 * CONNECT passed its checks, the client's handshake starts at once with a
 * certificate made for its SNI (or the CONNECT's host) alone, no server
 * contacted; each request then makes its own TLS connection to the
 * server. 1 when s was taken (STRM_HANDSHAKE, or closed on failure).
 */
int bump_client_first(struct stream *s);
int bump_error_page(struct stream *s, int status, const char *errname,
		    const char *detail);

/* The first request of a bumped connection whose server could not be
 * reached securely: answered with the error page; 1 when it was. */
int bump_pending_error(struct stream *s);

void bump_free(struct bump *b);

#endif
