/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xprt_tls.c - the TLS transport (OpenSSL 3, non-blocking): contexts for
 * both roles, the handshake driven from the connection's I/O callback,
 * reads and writes through SSL_read/SSL_write_ex, close_notify, the
 * server's certificate and its errors, key log lines, kernel TLS.
 *
 * I/O goes through OpenSSL socket BIOs on c->fd, so that kernel TLS
 * (SSL_OP_ENABLE_KTLS) can take over the socket once the keys are known:
 * OpenSSL enables it only when the BIO is a socket BIO. The server role
 * starts with the ClientHello already read by tproxyd (the peek): those
 * bytes are put in a memory BIO which OpenSSL reads first; as soon as it
 * is drained the read BIO becomes the socket BIO (SSL_set0_rbio), before
 * the handshake keys are installed, so kTLS receive stays possible.
 *
 * Session resumption is off in the server role (no tickets, no session
 * cache): each client connection presents a certificate made for its
 * host, and a resumed session would skip it, possibly across hosts or
 * after the CA changed; ticket keys would also differ per worker process.
 * A full handshake with the cached leaf costs one ECDSA signature.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/conn.h"
#include "net/xprt_tls.h"
#include "tls/tls.h"

#define XTLS_MAX_ERRS  16	/* certificate errors kept per connection */
#define XTLS_MAX_CHAIN 16	/* certificates of the peer chain checked */
#define XTLS_GATHER    16384	/* one TLS record of plaintext */

/* A context: OpenSSL's and what the client role checks against. */
struct xtls_ctx {
	SSL_CTX *ssl;
	int      server;
	char    *cafile;
	char    *capath;
};

/* One connection's TLS state (c->xprt_ctx). */
struct xtls {
	SSL             *ssl;
	struct xtls_ctx *ctx;
	struct conn     *c;
	BIO             *pre;	/* the pre-read bytes, until drained */
	BIO             *sock;	/* the socket BIO, to read from then */
	unsigned         done:1;	/* handshake complete */
	unsigned         checked:1;	/* peer errors computed */
	char            *host;	/* client role: the name checked */
	uint8_t         *der;	/* the server's leaf, DER */
	size_t           der_len;
	const char      *errs[XTLS_MAX_ERRS];
	int              nerr;
	/* capath: what OpenSSL's own verification found (the names as
	 * tls_cert_verify() gives them). */
	const char      *herrs[XTLS_MAX_ERRS];
	int              nherr;
	void           (*keylog)(void *arg, const char *line);
	void            *keylog_arg;
	char             alpn[32];
	char             why[160];
};

/* Where callbacks find the struct xtls of an SSL (SSL ex_data). */
static int xtls_idx = -1;
/* Why the last xprt_tls_accept/connect failed before c had a state. */
static char xtls_last_why[160];

static int
xtls_index(void)
{
	if (xtls_idx < 0)
		xtls_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return xtls_idx;
}

static struct xtls *
xtls_of(const struct conn *c)
{
	return c->xprt == &xprt_tls ? c->xprt_ctx : NULL;
}

/* OpenSSL's reason for the first queued error (or fallback), into buf;
 * the queue is emptied. */
static void
why_set(char *buf, size_t len, const char *fallback)
{
	unsigned long e = ERR_get_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else if (e != 0)
		snprintf(buf, len, "OpenSSL error %lx", e);
	else
		snprintf(buf, len, "%s", fallback);
	ERR_clear_error();
}

/* Squid's options= names this transport supports. */
static const struct {
	const char *name;
	uint64_t    op;
} squid_opts[] = {
	{ "NO_SSLv3", SSL_OP_NO_SSLv3 },
	{ "NO_TLSv1", SSL_OP_NO_TLSv1 },
	{ "NO_TLSv1_1", SSL_OP_NO_TLSv1_1 },
	{ "NO_TLSv1_2", SSL_OP_NO_TLSv1_2 },
	{ "NO_TLSv1_3", SSL_OP_NO_TLSv1_3 },
	{ "NO_TICKET", SSL_OP_NO_TICKET },
	/* Ephemeral keys are always fresh in OpenSSL 3: accepted, no-ops. */
	{ "SINGLE_DH_USE", 0 },
	{ "SINGLE_ECDH_USE", 0 },
};

/*
 * Apply an options= list: names separated by ',' or ':' (as Squid), each
 * with an optional '+' (set, the default) or '-' (clear). Returns 0, or -1
 * with err naming the first unknown one.
 */
static int
opts_apply(SSL_CTX *ctx, const char *list, char *err, size_t errlen)
{
	const char *p = list, *e;
	size_t len, i;
	int clear;

	while (*p != '\0') {
		while (*p == ',' || *p == ':' || *p == ' ')
			p++;
		if (*p == '\0')
			break;
		clear = *p == '-';
		if (*p == '-' || *p == '+')
			p++;
		for (e = p; *e != '\0' && *e != ',' && *e != ':' && *e != ' ';
		     e++)
			;
		len = (size_t)(e - p);
		for (i = 0; i < sizeof(squid_opts) / sizeof(squid_opts[0]);
		     i++)
			if (strlen(squid_opts[i].name) == len &&
			    strncmp(squid_opts[i].name, p, len) == 0)
				break;
		if (i == sizeof(squid_opts) / sizeof(squid_opts[0])) {
			snprintf(err, errlen, "unknown TLS option '%.*s' in "
			    "options= (known: NO_SSLv3, NO_TLSv1, NO_TLSv1_1, "
			    "NO_TLSv1_2, NO_TLSv1_3, NO_TICKET, SINGLE_DH_USE, "
			    "SINGLE_ECDH_USE)", (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		if (clear)
			SSL_CTX_clear_options(ctx, squid_opts[i].op);
		else
			SSL_CTX_set_options(ctx, squid_opts[i].op);
		p = e;
	}
	return 0;
}

/* Server role: "http/1.1" when the client offers it, else no ALPN. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
	    const unsigned char *in, unsigned inlen, void *arg)
{
	static const unsigned char ours[] = "\x08http/1.1";
	unsigned char *o;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&o, outlen, ours, sizeof(ours) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = o;
	return SSL_TLSEXT_ERR_OK;
}

/* Every context: the key log line to the connection's callback, if any. */
static void
keylog_cb(const SSL *ssl, const char *line)
{
	struct xtls *x = SSL_get_ex_data(ssl, xtls_idx);

	if (x != NULL && x->keylog != NULL)
		x->keylog(x->keylog_arg, line);
}

/* Client role with a capath: OpenSSL's verification records each error
 * (by the name tls_cert_verify() would give) and goes on: the caller
 * decides after the handshake. */
static int
verify_record(int ok, X509_STORE_CTX *sctx)
{
	SSL *ssl;
	struct xtls *x;
	const char *n;
	int i;

	if (ok)
		return 1;
	ssl = X509_STORE_CTX_get_ex_data(sctx,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	x = ssl != NULL ? SSL_get_ex_data(ssl, xtls_idx) : NULL;
	if (x == NULL)
		return 1;
	n = tls_verify_error_name(X509_STORE_CTX_get_error(sctx));
	if (n == NULL)
		n = "X509_V_ERR_UNSPECIFIED";
	for (i = 0; i < x->nherr; i++)
		if (x->herrs[i] == n)
			return 1;
	if (x->nherr < XTLS_MAX_ERRS)
		x->herrs[x->nherr++] = n;
	return 1;
}

void *
tls_ctx_new(int server, const struct tls_ctx_opts *o, char *err,
	    size_t errlen)
{
	struct xtls_ctx *t;
	SSL_CTX *ctx;

	if (xtls_index() < 0) {
		snprintf(err, errlen, "cannot set up TLS (OpenSSL ex_data)");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (t == NULL || ctx == NULL) {
		snprintf(err, errlen, "cannot create a TLS context: %s",
		    t == NULL ? "out of memory" : "OpenSSL failed");
		goto fail;
	}
	t->ssl = ctx;
	t->server = server;
	if (SSL_CTX_set_min_proto_version(ctx, o->min_version != 0 ?
	    o->min_version : TLS1_2_VERSION) != 1) {
		snprintf(err, errlen, "unsupported minimum TLS version 0x%x",
		    (unsigned)o->min_version);
		goto fail;
	}
	/* No renegotiation (TLS 1.2): conn's reads never have to write. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | (o->ktls ? SSL_OP_ENABLE_KTLS : 0));
	/* conn hands the bytes not taken again, maybe from another place
	 * in its buffer, and takes short writes. The record buffers
	 * (~34 KiB per connection) are given back while a connection has
	 * nothing in them: idle keep-alive connections and pooled server
	 * connections then hold a few hundred bytes of TLS state each. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (o->options != NULL && opts_apply(ctx, o->options, err,
	    errlen) < 0)
		goto fail;
	if (o->ciphers != NULL && o->ciphers[0] != '\0' &&
	    SSL_CTX_set_cipher_list(ctx, o->ciphers) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "no usable cipher in cipher=%s",
		    o->ciphers);
		goto fail;
	}
	SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	if (server) {
		SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
		/* No resumption (the top of this file says why). */
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	} else {
		if ((o->cafile != NULL && (t->cafile = strdup(o->cafile)) ==
		    NULL) || (o->capath != NULL &&
		    (t->capath = strdup(o->capath)) == NULL)) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		/* Without a capath the chain is checked after the handshake
		 * by tls_cert_verify() (the same code, store and names as
		 * for peeked connections). tls_cert_verify() knows no
		 * hashed directory: with one, OpenSSL checks during the
		 * handshake and verify_record() keeps the errors. */
		if (o->capath != NULL) {
			if (SSL_CTX_load_verify_locations(ctx, o->cafile,
			    o->capath) != 1) {
				ERR_clear_error();
				snprintf(err, errlen, "cannot load the CA "
				    "certificates of %s%s%s",
				    o->cafile != NULL ? o->cafile : "",
				    o->cafile != NULL ? " and " : "",
				    o->capath);
				goto fail;
			}
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER,
			    verify_record);
		} else {
			SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		}
	}
	return t;
fail:
	SSL_CTX_free(ctx);
	if (t != NULL) {
		free(t->cafile);
		free(t->capath);
		free(t);
	}
	return NULL;
}

void
tls_ctx_free(void *ctx)
{
	struct xtls_ctx *t = ctx;

	if (t == NULL)
		return;
	SSL_CTX_free(t->ssl);
	free(t->cafile);
	free(t->capath);
	free(t);
}

static void
xtls_free(struct xtls *x)
{
	if (x == NULL)
		return;
	/* SSL_free frees the BIOs it holds; the pre-read BIO is held by
	 * the SSL until replaced, and the socket BIO too (write side). */
	SSL_free(x->ssl);
	free(x->host);
	OPENSSL_free(x->der);
	free(x);
}

/* A new state for c over ctx, with a socket BIO for writing and, when n >
 * 0, a memory BIO with pre for reading first. NULL on failure (why in
 * xtls_last_why). */
static struct xtls *
xtls_new(struct conn *c, struct xtls_ctx *ctx, const void *pre, size_t n)
{
	struct xtls *x;
	BIO *rd;

	ERR_clear_error();
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(xtls_last_why, sizeof(xtls_last_why),
		    "out of memory");
		return NULL;
	}
	x->c = c;
	x->ctx = ctx;
	x->ssl = SSL_new(ctx->ssl);
	x->sock = BIO_new_socket(c->fd, BIO_NOCLOSE);
	if (x->ssl == NULL || x->sock == NULL ||
	    !SSL_set_ex_data(x->ssl, xtls_idx, x))
		goto fail;
	rd = x->sock;
	if (n > 0) {
		x->pre = BIO_new(BIO_s_mem());
		if (x->pre == NULL ||
		    BIO_write(x->pre, pre, (int)n) != (int)n) {
			BIO_free(x->pre);
			x->pre = NULL;
			goto fail;
		}
		rd = x->pre;
	}
	/* Takes our reference of each; the socket BIO alone for both
	 * ways counts once (SSL_set_bio(3)). pre_switch() gives it a
	 * second one for reading. */
	SSL_set_bio(x->ssl, rd, x->sock);
	return x;
fail:
	/* Nothing was handed to the SSL yet. */
	why_set(xtls_last_why, sizeof(xtls_last_why),
	    "cannot set up the TLS connection");
	BIO_free(x->sock);
	SSL_free(x->ssl);
	free(x);
	return NULL;
}

/* Once OpenSSL has read all the pre-read bytes, it reads the socket.
 * Returns 1 when this call switched. */
static int
pre_switch(struct xtls *x)
{
	if (x->pre == NULL || BIO_ctrl_pending(x->pre) > 0)
		return 0;
	/* The BIO in hand becomes the SSL's (its reference); the memory
	 * BIO is freed by SSL_set0_rbio. */
	if (!BIO_up_ref(x->sock))
		return 0;
	SSL_set0_rbio(x->ssl, x->sock);
	x->pre = NULL;
	return 1;
}

int
xprt_tls_accept(struct conn *c, void *ctx, void *cert, void *key,
		void *chain, const void *pre, size_t n)
{
	struct xtls_ctx *t = ctx;
	struct xtls *x;

	if (t == NULL || !t->server || n > INT32_MAX)
		return -EINVAL;
	x = xtls_new(c, t, pre, n);
	if (x == NULL)
		return -ENOMEM;
	/* References taken: SSL_use_* and SSL_set1_chain up-ref. */
	if (SSL_use_certificate(x->ssl, cert) != 1 ||
	    SSL_use_PrivateKey(x->ssl, key) != 1 ||
	    (chain != NULL && SSL_set1_chain(x->ssl, chain) != 1) ||
	    SSL_check_private_key(x->ssl) != 1) {
		why_set(xtls_last_why, sizeof(xtls_last_why),
		    "unusable certificate or key");
		xtls_free(x);
		return -EPROTO;
	}
	SSL_set_accept_state(x->ssl);
	c->xprt = &xprt_tls;
	c->xprt_ctx = x;
	return 0;
}

/* An address literal, sent as no SNI (RFC 6066). */
static int
host_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

int
xprt_tls_connect(struct conn *c, void *ctx, const char *host)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	struct xtls_ctx *t = ctx;
	struct xtls *x;

	if (t == NULL || t->server)
		return -EINVAL;
	x = xtls_new(c, t, NULL, 0);
	if (x == NULL)
		return -ENOMEM;
	if ((host != NULL && host[0] != '\0' &&
	    (x->host = strdup(host)) == NULL) ||
	    SSL_set_alpn_protos(x->ssl, alpn, sizeof(alpn) - 1) != 0 ||
	    (x->host != NULL && !host_is_ip(x->host) &&
	    SSL_set_tlsext_host_name(x->ssl, x->host) != 1)) {
		why_set(xtls_last_why, sizeof(xtls_last_why),
		    "cannot set the server name");
		xtls_free(x);
		return -ENOMEM;
	}
	SSL_set_connect_state(x->ssl);
	c->xprt = &xprt_tls;
	c->xprt_ctx = x;
	return 0;
}

/* An SSL call returned r <= 0: what the caller returns. -EAGAIN with the
 * event needed in *ev for WANT_READ/WRITE, 0 for close_notify, else a
 * negative errno with x->why set. */
static int
ssl_fail(struct xtls *x, int r, int *ev)
{
	int e = SSL_get_error(x->ssl, r);

	*ev = 0;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		*ev = EVL_READ;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*ev = EVL_WRITE;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno != 0 && ERR_peek_error() == 0) {
			e = errno;
			snprintf(x->why, sizeof(x->why), "%s", strerror(e));
			ERR_clear_error();
			return e == EAGAIN ? -EPROTO : -e;
		}
		why_set(x->why, sizeof(x->why), "connection closed without "
		    "close_notify");
		return -EPROTO;
	default:
		why_set(x->why, sizeof(x->why), "TLS failure");
		return -EPROTO;
	}
}

/* Client role, after the handshake: the leaf's DER and the chain's
 * errors for the host, with tls_cert_verify() when it can read the trust
 * store (no capath). */
static void
peer_check(struct xtls *x)
{
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(x->ssl);
	struct tls_cert_ref ref[XTLS_MAX_CHAIN];
	X509 *leaf = SSL_get0_peer_certificate(x->ssl);
	uint8_t *buf = NULL, *q;
	size_t total = 0;
	int i, n, len, m;

	x->checked = 1;
	if (leaf == NULL) {
		x->errs[x->nerr++] = "X509_V_ERR_UNSPECIFIED";
		return;
	}
	len = i2d_X509(leaf, &x->der);
	x->der_len = len > 0 ? (size_t)len : 0;
	if (x->ctx->capath != NULL) {
		memcpy(x->errs, x->herrs, sizeof(x->errs));
		x->nerr = x->nherr;
		if (x->host == NULL)
			return;
		m = host_is_ip(x->host) ? X509_check_ip_asc(leaf, x->host, 0) :
		    X509_check_host(leaf, x->host, 0, 0, NULL);
		if (m != 1 && x->nerr < XTLS_MAX_ERRS)
			x->errs[x->nerr++] =
			    "SQUID_X509_V_ERR_DOMAIN_MISMATCH";
		return;
	}
	/* The chain as the server sent it (leaf first), in one buffer. */
	n = sk != NULL ? sk_X509_num(sk) : 0;
	if (n > XTLS_MAX_CHAIN)
		n = XTLS_MAX_CHAIN;
	for (i = 0; i < n; i++) {
		len = i2d_X509(sk_X509_value(sk, i), NULL);
		if (len <= 0)
			goto fail;
		total += (size_t)len;
	}
	if (n == 0 || (buf = malloc(total)) == NULL)
		goto fail;
	for (q = buf, i = 0; i < n; i++) {
		ref[i].off = (size_t)(q - buf);
		ref[i].len = (size_t)i2d_X509(sk_X509_value(sk, i), &q);
	}
	m = tls_cert_verify(buf, ref, (unsigned)n, x->host, x->ctx->cafile,
	    x->errs, XTLS_MAX_ERRS);
	free(buf);
	if (m >= 0) {
		x->nerr = m;
		return;
	}
fail:
	ERR_clear_error();
	x->errs[0] = "X509_V_ERR_UNSPECIFIED";
	x->nerr = 1;
}

int
xprt_tls_handshake(struct conn *c)
{
	struct xtls *x = xtls_of(c);
	int r, ev, sw;

	if (x == NULL)
		return -EINVAL;
	if (x->done)
		return 1;
	do {
		sw = pre_switch(x);
		ERR_clear_error();
		errno = 0;
		r = SSL_do_handshake(x->ssl);
		if (r == 1)
			break;
		r = ssl_fail(x, r, &ev);
		if (r == 0) {
			snprintf(x->why, sizeof(x->why), "connection closed "
			    "during the handshake");
			return -EPROTO;
		}
		if (r != -EAGAIN)
			return r;
		/* The pre-read bytes ran out within this call: the rest
		 * may be in the socket already. */
	} while (ev == EVL_READ && !sw && x->pre != NULL &&
		 BIO_ctrl_pending(x->pre) == 0);
	if (r != 1) {
		if (ev == EVL_READ)
			c->rd_ready = 0;
		else
			c->wr_ready = 0;
		conn_want(c, ev);
		return 0;
	}
	x->done = 1;
	x->why[0] = '\0';
	if (!SSL_is_server(x->ssl))
		peer_check(x);
	return 1;
}

const char *
xprt_tls_error(const struct conn *c)
{
	const struct xtls *x = xtls_of(c);

	if (x == NULL)
		return xtls_last_why;
	return x->why;
}

void
xprt_tls_info(const struct conn *c, struct xprt_tls_info *i)
{
	struct xtls *x = xtls_of(c);
	const unsigned char *a;
	unsigned alen;

	memset(i, 0, sizeof(*i));
	i->cipher = "";
	i->alpn = "";
	if (x == NULL || !x->done)
		return;
	i->version = (uint16_t)SSL_version(x->ssl);
	i->cipher = SSL_get_cipher_name(x->ssl);
	SSL_get0_alpn_selected(x->ssl, &a, &alen);
	/* None selected: a is NULL. */
	if (a == NULL || alen >= sizeof(x->alpn))
		alen = 0;
	if (alen > 0)
		memcpy(x->alpn, a, alen);
	x->alpn[alen] = '\0';
	i->alpn = x->alpn;
	i->ktls_send = BIO_get_ktls_send(SSL_get_wbio(x->ssl)) > 0;
	i->ktls_recv = BIO_get_ktls_recv(SSL_get_rbio(x->ssl)) > 0;
}

int
xprt_tls_peer(const struct conn *c, const uint8_t **der, size_t *len,
	      const char **err, int max)
{
	const struct xtls *x = xtls_of(c);
	int i;

	*der = NULL;
	*len = 0;
	if (x == NULL || !x->checked)
		return -EINVAL;
	*der = x->der;
	*len = x->der_len;
	for (i = 0; i < x->nerr && i < max; i++)
		err[i] = x->errs[i];
	return x->nerr;
}

void
xprt_tls_keylog(struct conn *c, void (*cb)(void *arg, const char *line),
		void *arg)
{
	struct xtls *x = xtls_of(c);

	if (x == NULL)
		return;
	x->keylog = cb;
	x->keylog_arg = arg;
}

/* Reads as many records as fit in p (one SSL_read each): a short count
 * means OpenSSL holds nothing more and the socket was drained, as for a
 * raw socket. An error after some bytes comes back at the next call. */
static ssize_t
tls_recv(struct conn *c, void *p, size_t n)
{
	struct xtls *x = c->xprt_ctx;
	size_t got = 0, k;
	int ev, r;

	while (got < n) {
		pre_switch(x);
		ERR_clear_error();
		errno = 0;
		if (SSL_read_ex(x->ssl, (char *)p + got, n - got, &k)) {
			got += k;
			continue;
		}
		r = ssl_fail(x, 0, &ev);
		if (got > 0)
			break;
		return r;
	}
	return (ssize_t)got;
}

/* Write len bytes at p as one SSL_write_ex. Returns the count taken (a
 * short count: the socket is full) or a negative errno. */
static ssize_t
write1(struct xtls *x, const void *p, size_t len)
{
	size_t w;
	int ev, r;

	ERR_clear_error();
	errno = 0;
	if (SSL_write_ex(x->ssl, p, len, &w))
		return (ssize_t)w;
	/* close_notify received: nothing more can be sent. */
	r = ssl_fail(x, 0, &ev);
	return r == 0 ? -EPIPE : r;
}

/*
 * Small pieces (a head, then the start of a body) go out as one record:
 * the iovecs' first 16 KiB are copied into one buffer when the first is
 * smaller than that. The rest follows with one SSL_write_ex per iovec.
 * A write OpenSSL could not finish must be retried with at least the
 * same bytes: conn offers the same bytes again (maybe more), and the
 * gathering gives the same prefix, so the retry is valid
 * (ACCEPT_MOVING_WRITE_BUFFER lets them be elsewhere in memory).
 */
static ssize_t
tls_sendv(struct conn *c, const struct iovec *iov, int cnt)
{
	struct xtls *x = c->xprt_ctx;
	unsigned char g[XTLS_GATHER];
	size_t total = 0, glen = 0, skip = 0, k, want;
	ssize_t w;
	int i = 0;

	if (cnt > 1 && iov[0].iov_len < sizeof(g)) {
		for (i = 0; i < cnt && glen < sizeof(g); i++) {
			k = iov[i].iov_len;
			if (k > sizeof(g) - glen)
				k = sizeof(g) - glen;
			memcpy(g + glen, iov[i].iov_base, k);
			glen += k;
			skip = k;
		}
		i--;
		w = write1(x, g, glen);
		if (w <= 0 || (size_t)w < glen)
			return w;
		total = glen;
		/* The part of iov[i] not gathered, then the rest. */
		if (skip == iov[i].iov_len) {
			skip = 0;
			i++;
		}
	}
	for (; i < cnt; i++, skip = 0) {
		want = iov[i].iov_len - skip;
		if (want == 0)
			continue;
		w = write1(x, (const char *)iov[i].iov_base + skip, want);
		if (w < 0)
			return total > 0 ? (ssize_t)total : w;
		total += (size_t)w;
		if ((size_t)w < want)
			break;
	}
	return (ssize_t)total;
}

/* With kernel TLS both ways, the socket carries plaintext for
 * sendfile/splice (the kernel encrypts and decrypts). */
static int
tls_can_splice(const struct conn *c)
{
	const struct xtls *x = c->xprt_ctx;

	return x->done && x->pre == NULL &&
	    BIO_get_ktls_send(SSL_get_wbio(x->ssl)) > 0 &&
	    BIO_get_ktls_recv(SSL_get_rbio(x->ssl)) > 0;
}

/* close_notify (when the handshake is over and the socket takes it now),
 * then FIN. */
static int
tls_shutw(struct conn *c)
{
	struct xtls *x = c->xprt_ctx;

	if (x->done) {
		ERR_clear_error();
		if (SSL_shutdown(x->ssl) < 0)
			ERR_clear_error();
	}
	return shutdown(c->fd, SHUT_WR) < 0 ? -errno : 0;
}

static void
tls_release(struct conn *c)
{
	xtls_free(c->xprt_ctx);
	c->xprt_ctx = NULL;
}

const struct xprt_ops xprt_tls = {
	.name       = "tls",
	.recv       = tls_recv,
	.sendv      = tls_sendv,
	.can_splice = tls_can_splice,
	.shutw      = tls_shutw,
	.release    = tls_release,
};
