/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xprt_tls.h - the TLS transport (OpenSSL 3): a struct conn whose bytes
 * are decrypted and encrypted, for bumped connections (ssl_bump bump):
 * the server role towards the client, with a generated certificate, and
 * the client role towards the origin server, with its certificate
 * checked. After the handshake the conn is used as any other (conn.h:
 * conn_recv, conn_send2 ...); with kernel TLS (tls_ctx_opts.ktls, when the
 * kernel and OpenSSL can) the socket itself encrypts and
 * conn_can_splice() says yes, so bodies move with sendfile/splice.
 *
 * Errors are returned (negative errno; -EPROTO for TLS failures, with
 * xprt_tls_error() saying why); nothing here prints.
 */
#ifndef TPROXYD_NET_XPRT_TLS_H
#define TPROXYD_NET_XPRT_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "net/conn-t.h"

extern const struct xprt_ops xprt_tls;

/* Options of a context (one per bumping port, one for the connections to
 * servers: tls_outgoing_options). */
struct tls_ctx_opts {
	const char *cafile;	/* client role: trust store file; NULL: the
				   system's (OpenSSL's default paths) */
	const char *capath;	/* client role: a hashed directory */
	int         min_version;	/* TLS1_2_VERSION ... ; 0: TLS 1.2 */
	const char *options;	/* Squid's options= list (NO_TLSv1,
				   NO_TICKET, ...), NULL: none */
	const char *ciphers;	/* cipher= (TLS 1.2 and older), NULL:
				   OpenSSL's */
	int         ktls;	/* try kernel TLS */
	/* Key log: every connection of the context whose conn has a key log
	 * set (xprt_tls_keylog) gets its NSS key log lines passed there. */
};

/* A context, or NULL with the reason in err. server: the role towards
 * clients (its certificate is set per connection; it selects ALPN
 * "http/1.1" when the client offers it, else none). */
void *tls_ctx_new(int server, const struct tls_ctx_opts *o, char *err,
		  size_t errlen);
void tls_ctx_free(void *ctx);

/*
 * Start the server role on c (a connected socket, conn_init()ed with
 * xprt_raw): present cert/key/chain (OpenSSL X509 *, EVP_PKEY *,
 * STACK_OF(X509) *; references are taken), reading first the n bytes at
 * pre (what was already read from the socket: the ClientHello) and then
 * the socket. c's transport becomes xprt_tls; the handshake is driven by
 * xprt_tls_handshake().
 */
int xprt_tls_accept(struct conn *c, void *ctx, void *cert, void *key,
		    void *chain, const void *pre, size_t n);

/* Start the client role on c (connected): SNI host (NULL or an address:
 * none), ALPN "http/1.1". The server's certificate is checked against the
 * context's trust store and host; errors do not stop the handshake: they
 * are read after it (xprt_tls_peer) and the caller decides
 * (sslproxy_cert_error). */
int xprt_tls_connect(struct conn *c, void *ctx, const char *host);

/* Drive the handshake from c's I/O callback: 1 done, 0 not yet (c waits
 * for the event it needs: conn_want() was called), < 0 failed. */
int xprt_tls_handshake(struct conn *c);

/* Why the last operation on c failed (OpenSSL's reason, or the alert),
 * a static or per-connection string; "" when none. */
const char *xprt_tls_error(const struct conn *c);

/* After the handshake. */
struct xprt_tls_info {
	uint16_t    version;	/* TLS_V_1_2, TLS_V_1_3 (tls/tls-t.h) */
	const char *cipher;	/* OpenSSL's name */
	const char *alpn;	/* selected, "" when none */
	int         ktls_send;	/* the kernel encrypts what we send */
	int         ktls_recv;
};
void xprt_tls_info(const struct conn *c, struct xprt_tls_info *i);

/* Client role, after the handshake: the server's leaf certificate (DER,
 * valid while c is) and the names of the errors its chain has for the
 * host asked ("X509_V_ERR_...", "SQUID_X509_V_ERR_DOMAIN_MISMATCH"), as
 * tls_cert_verify() gives them (tls/tls.h). Returns the error count. */
int xprt_tls_peer(const struct conn *c, const uint8_t **der, size_t *len,
		  const char **err, int max);

/* Send this connection's key log lines (NSS format, "CLIENT_RANDOM ..."
 * or the TLS 1.3 secrets, without newline) to cb. Set before the
 * handshake. */
void xprt_tls_keylog(struct conn *c, void (*cb)(void *arg,
						const char *line),
		     void *arg);

#endif
