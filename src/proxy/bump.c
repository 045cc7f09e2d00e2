/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bump.c - decrypting an intercepted TLS connection (ssl_bump bump), as
 * Squid's SslBump does after peeking at the client's hello:
 *
 *   1. the connection goes through the phases as a CONNECT to the SNI
 *      (http_access, SNI verification, the spoofed connect: peek.c);
 *   2. BUMP_SERVER: tproxyd's own TLS handshake with the server, asking
 *      for the client's SNI; the server's certificate is checked against
 *      the trust store (tls_outgoing_options) and sslproxy_cert_error;
 *   3. a certificate for the client, signed by the port's CA, mimicking
 *      the server's (tls/certgen.h); a server certificate with errors
 *      that sslproxy_cert_error does not allow is passed on as an
 *      untrusted certificate, and the first request gets the error page;
 *   4. BUMP_CLIENT: the handshake with the client, starting from its
 *      ClientHello already in the client's buffer;
 *   5. BUMP_DONE: the CONNECT is logged, the server connection waits in
 *      the pool for the first request, and the connection carries HTTP
 *      (sess.bumped): each request goes through the same phases as on
 *      port 80, with https:// URLs, over TLS connections to the server.
 *
 * Each request of a bumped connection that needs a new server connection
 * makes its TLS handshake here too (STRM_HANDSHAKE, step 2 alone).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/sa.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/xprt_tls.h"
#include "proxy/bump.h"
#include "proxy/cli-t.h"
#include "proxy/peek.h"
#include "proxy/phase.h"
#include "proxy/srv.h"
#include "proxy/stream.h"
#include "stats/stats.h"
#include "tls/certgen.h"
#include "tls/tls.h"

#define MAX_ERRS 8

const struct cfg_tls_ops bump_cfg_ops = {
	.ca_load    = tls_ca_load,
	.ca_free    = tls_ca_free,
	.cache_new  = tls_certcache_new,
	.cache_free = tls_certcache_free,
	.ctx_new    = tls_ctx_new,
	.ctx_free   = tls_ctx_free,
};

static const char *const names[] = {
	[BUMP_SERVER] = "SERVER", [BUMP_CLIENT] = "CLIENT",
	[BUMP_DONE] = "DONE",
};

const char *
bump_state_str(enum bump_state st)
{
	return (unsigned)st <= BUMP_DONE ? names[st] : "?";
}

static void
set_state(struct stream *s, struct bump *b, enum bump_state st)
{
	if (log_enabled(LOG_DEBUG + 1) && b->state != st)
		log_msg(LOG_DEBUG + 1, "bump of client FD %d: %s -> %s",
			s->fe->fd, bump_state_str(b->state),
			bump_state_str(st));
	b->state = st;
}

void
bump_free(struct bump *b)
{
	if (b == NULL)
		return;
	if (b->leaf != NULL)
		tls_leaf_unref(b->leaf);
	free(b->location);
	free(b);
}

int
bump_cli_handshaking(const struct cli *cli)
{
	return cli->tls != NULL && cli->tls->bump != NULL &&
	       cli->tls->bump->state == BUMP_CLIENT;
}

/* The server name to ask the server for: the client's SNI (a host name,
 * not an address), else a CONNECT's host when it is a name; NULL for
 * none. */
static const char *
server_name(const struct stream *s)
{
	const struct tls_peek *tp = s->tls;
	struct in6_addr a;

	if (tp == NULL)
		return s->sess->tls_host[0] != '\0' ? s->sess->tls_host :
		       NULL;
	if (tp->hello_rc == TLS_OK && tp->hello.has_sni && !tp->hello.sni_ip)
		return tp->hello.sni;
	if (tp->connect && inet_pton(AF_INET, tp->connect_host, &a) != 1 &&
	    inet_pton(AF_INET6, tp->connect_host, &a) != 1)
		return tp->connect_host;
	return NULL;
}

/* The client's address and the server's, for log lines. */
static const char *
who(const struct stream *s, char *buf, size_t size)
{
	char c[INET6_ADDRSTRLEN + 8];

	snprintf(buf, size, "%s (client %s)", s->host,
		 sa_text((const struct sockaddr *)&s->sess->addr, c,
			 sizeof(c)));
	return buf;
}

static void
keylog_line(void *arg, const char *line)
{
	struct iovec v[2];

	v[0].iov_base = (void *)(uintptr_t)line;
	v[0].iov_len = strlen(line);
	v[1].iov_base = (void *)(uintptr_t)"\n";
	v[1].iov_len = 1;
	(void)!writev((int)(intptr_t)arg, v, 2);
}

/* tls_key_log: the secrets of c's session, when the rules select s. */
static void
keylog(struct stream *s, struct conn *c)
{
	const struct cfg_tls *t = &s->sess->cfg->tls;
	struct acl_ctx ctx;

	if (t->keylog_fd < 0)
		return;
	if (t->keylog.n > 0) {
		strm_acl_ctx(s, &ctx);
		if (acl_check(&t->keylog, &ctx, ACL_DENY, NULL) != ACL_ALLOW)
			return;
	}
	xprt_tls_keylog(c, keylog_line, (void *)(intptr_t)t->keylog_fd);
}

const char *
bump_pool_host(const struct stream *s)
{
	const char *host;

	if (s->tls != NULL ? !s->tls->bumping : s->sess->bumped == NULL)
		return NULL;
	host = server_name(s);
	return host ? host : "";
}

static int reused(struct stream *s);

int
bump_server_ready(struct stream *s)
{
	struct srv *srv = s->srv;
	const char *host;

	if (s->tls != NULL ? !s->tls->bumping : s->sess->bumped == NULL)
		return 0;
	if (srv == NULL)
		return 0;
	if (srv->tls_host != NULL)
		return reused(s);	/* TLS already: handshake done */
	host = server_name(s);
	srv->tls_host = strdup(host ? host : "");
	if (srv->tls_host == NULL ||
	    xprt_tls_connect(&srv->conn, s->sess->cfg->tls.out_ctx, host) <
	    0) {
		s->hier = "HIER_NONE";
		strm_error(s, 503, "ERR_SECURE_CONNECT_FAIL",
			   "Out of memory.");
		return 1;
	}
	keylog(s, &srv->conn);
	srv_set_state(srv, SS_TLS);
	strm_set_state(s, STRM_HANDSHAKE);
	return 1;
}

/*
 * The server's certificate after the handshake: 0 when it has no errors,
 * or errors that tls_outgoing_options flags=DONT_VERIFY_PEER or
 * sslproxy_cert_error allow; else 1, with the first error in detail.
 */
static int
cert_refused(struct stream *s, char *detail, size_t size)
{
	const struct cfg *c = s->sess->cfg;
	const char *errs[MAX_ERRS];
	const uint8_t *der;
	struct acl_ctx ctx;
	char w[512];
	size_t len;
	int n;

	n = xprt_tls_peer(&s->srv->conn, &der, &len, errs, MAX_ERRS);
	if (n <= 0 || c->tls.dont_verify)
		return 0;
	strm_acl_ctx(s, &ctx);
	ctx.ssl_errors = errs;
	ctx.nssl_errors = (size_t)n;
	if (acl_check(&c->tls.cert_error, &ctx, ACL_DENY, NULL) == ACL_ALLOW)
		return 0;
	snprintf(detail, size, "The server's certificate fails its checks "
		 "(%s).", errs[0]);
	log_msg(LOG_INFO, "TLS server certificate of %s fails its checks: "
		"%s (sslproxy_cert_error)", who(s, w, sizeof(w)), errs[0]);
	return 1;
}

/* A request's own server connection failed its handshake or its
 * certificate checks: 503 over the client's TLS connection. */
static void
request_server_failed(struct stream *s, const char *detail)
{
	struct srv *srv = s->srv;

	stats.tls_bump_failed++;
	if (srv != NULL) {
		s->srv = NULL;
		s->res.in = NULL;
		srv_close(srv);
	}
	s->hier = "HIER_NONE";
	strm_error(s, 503, "ERR_SECURE_CONNECT_FAIL", detail);
}

/* Give the client up before its handshake: nothing can be said to it. */
static void
bump_abort(struct stream *s, const char *errname)
{
	stats.tls_bump_failed++;
	s->code = "NONE_NONE";
	s->status = 0;
	s->errname = errname;
	strm_set_state(s, STRM_CLOSE);
}

/* The certificate the client is shown, made from the server's (der, or
 * none) and the SNI. */
static int
make_leaf(struct stream *s, const uint8_t *der, size_t len, int untrusted)
{
	const struct cfg_port *port = s->sess->port;
	struct tls_peek *tp = s->tls;
	struct tls_certcache_stats st0, st1;
	struct tls_leaf_req r;
	char ip[INET6_ADDRSTRLEN], err[256], w[512];

	memset(&r, 0, sizeof(r));
	r.srv_der = der;
	r.srv_len = len;
	r.host = server_name(s);
	/* Without a name: the address the client asked for. */
	r.ip = tp->connect ? tp->connect_host :
	       sa_ip_text((const struct sockaddr *)&s->sess->odst, ip,
			  sizeof(ip));
	r.key = tp->hello.ecdsa ? TLS_KEY_EC_P256 : TLS_KEY_RSA2048;
	r.untrusted = untrusted;
	tls_certcache_stats(port->certs, &st0);
	tp->bump->leaf = tls_leaf_get(port->certs, port->ca, &r, err,
				      sizeof(err));
	tls_certcache_stats(port->certs, &st1);
	stats.tls_cert_generated += st1.generated - st0.generated;
	stats.tls_cert_mem_hit += st1.mem_hits - st0.mem_hits;
	stats.tls_cert_disk_hit += st1.disk_hits - st0.disk_hits;
	if (tp->bump->leaf == NULL) {
		log_msg(LOG_CRIT, "ERROR: cannot make a certificate for %s: "
			"%s", who(s, w, sizeof(w)), err);
		return -1;
	}
	return 0;
}

/* Start the handshake with the client. */
static int
client_start(struct stream *s)
{
	const struct cfg_port *port = s->sess->port;
	struct bump *b = s->tls->bump;
	struct buf *in = &s->cli->ibuf;
	int rc;

	rc = xprt_tls_accept(s->fe, port->tls_ctx, tls_leaf_x509(b->leaf),
			     tls_leaf_pkey(b->leaf), tls_leaf_chain(b->leaf),
			     in->area ? buf_head(in) : NULL,
			     in->area ? buf_len(in) : 0);
	if (rc < 0)
		return rc;
	keylog(s, s->fe);
	/* The hello (and anything after it) is OpenSSL's now. */
	if (in->area != NULL)
		buf_reset(in);
	s->req.fwd = 0;
	set_state(s, b, BUMP_CLIENT);
	return 0;
}

/* Both handshakes done: the CONNECT is over, HTTP follows. */
static void
bump_done(struct stream *s)
{
	struct tls_peek *tp = s->tls;
	struct sess *se = &s->cli->sess;
	const char *host = server_name(s);

	set_state(s, tp->bump, BUMP_DONE);
	se->bumped = tp;
	snprintf(se->tls_host, sizeof(se->tls_host), "%s", host ? host : "");
	/* Logged as Squid logs a bumped CONNECT (a denied one as a
	 * denial). */
	if (s->code == NULL || strcmp(s->code, "TCP_DENIED") != 0) {
		s->code = "NONE_NONE";
		s->status = 200;
	}
	s->resp_close = 0;
	s->cli_keepalive = 1;
	/* The server connection waits for the first request. */
	s->srv_reusable = s->srv != NULL && tp->bump->error == NULL;
	strm_set_state(s, STRM_DONE);
}

/* After the server's handshake (or its failure) on the bumping CONNECT:
 * the certificate for the client, then the client's handshake. */
static int
to_client(struct stream *s, int srv_ok)
{
	struct bump *b = s->tls->bump;
	const uint8_t *der = NULL;
	const char *errs[MAX_ERRS];
	size_t len = 0;
	int untrusted = 0;

	if (srv_ok) {
		if (cert_refused(s, b->detail, sizeof(b->detail))) {
			/* Squid's way: the client sees an untrusted
			 * certificate, then the error page. */
			untrusted = 1;
			b->error = "ERR_SECURE_CONNECT_FAIL";
		}
		(void)xprt_tls_peer(&s->srv->conn, &der, &len, errs,
				    MAX_ERRS);
	}
	if (make_leaf(s, der, len, untrusted) < 0) {
		bump_abort(s, "ERR_SECURE_ACCEPT_FAIL");
		return 1;
	}
	if (b->error != NULL && s->srv != NULL) {
		struct srv *srv = s->srv;

		s->srv = NULL;
		s->res.in = NULL;
		srv_close(srv);
	}
	if (client_start(s) < 0) {
		bump_abort(s, "ERR_SECURE_ACCEPT_FAIL");
		return 1;
	}
	return 1;
}

/* Step 3 after a stare (ssl_bump ... step3): 1 to bump; 0 when the rules
 * terminate, the connection closed. */
static int
stare_bumps(struct stream *s)
{
	const char *errs[MAX_ERRS];
	const uint8_t *der = NULL;
	size_t len = 0;
	int n;

	n = xprt_tls_peer(&s->srv->conn, &der, &len, errs, MAX_ERRS);
	if (peek_stared(s, der, len, errs, n > 0 ? n : 0))
		return 1;
	/* Squid closes the client's connection: it has had no TLS
	 * handshake to carry an error page. */
	s->code = "NONE_NONE";
	s->status = 0;
	s->errname = "ERR_SECURE_CONNECT_FAIL";
	strm_set_state(s, STRM_CLOSE);
	return 0;
}

/*
 * The server connection came from the idle pool: its handshake was done
 * for the same name, from the same source, and its certificate checked
 * then. It is checked again for this client (sslproxy_cert_error may
 * depend on who asks); a bumping connection goes on to the client's
 * handshake with it, as after a handshake of its own.
 */
static int
reused(struct stream *s)
{
	struct tls_peek *tp = s->tls;
	char detail[256];

	if (tp == NULL) {
		if (!cert_refused(s, detail, sizeof(detail)))
			return 0;
		request_server_failed(s, detail);
		return 1;
	}
	if (tp->bump == NULL || tp->bump->state != BUMP_SERVER ||
	    tp->bump->leaf != NULL)
		return 0;
	strm_set_state(s, STRM_HANDSHAKE);
	strm_deadline(s, s->sess->cfg->read_timeout);
	if (tp->stared && tp->step < 3 && !stare_bumps(s))
		return 1;
	return to_client(s, 1);
}

int
bump_client_first(struct stream *s)
{
	struct tls_peek *tp = s->tls;

	if (tp == NULL || !tp->bumping || !tp->client_first ||
	    tp->bump == NULL || tp->bump->leaf != NULL)
		return 0;
	s->hier = "HIER_NONE";
	if (make_leaf(s, NULL, 0, 0) < 0 || client_start(s) < 0) {
		bump_abort(s, "ERR_SECURE_ACCEPT_FAIL");
		return 1;
	}
	strm_set_state(s, STRM_HANDSHAKE);
	strm_deadline(s, s->sess->cfg->read_timeout);
	return 1;
}

int
bump_error_page(struct stream *s, int status, const char *errname,
		const char *detail)
{
	struct tls_peek *tp = s->tls;
	struct bump *b = tp->bump;

	if (!tp->bumping || b == NULL || b->state != BUMP_SERVER ||
	    b->leaf != NULL)
		return 0;
	b->error = errname;
	b->status = status;
	snprintf(b->detail, sizeof(b->detail), "%s", detail ? detail : "");
	free(b->location);
	b->location = s->location;	/* a deny_info redirect's */
	s->location = NULL;
	s->errname = errname;
	if (s->code != NULL && strcmp(s->code, "TCP_DENIED") == 0)
		s->status = status;
	if (make_leaf(s, NULL, 0, 0) < 0 || client_start(s) < 0)
		return 0;
	strm_set_state(s, STRM_HANDSHAKE);
	strm_deadline(s, s->sess->cfg->read_timeout);
	return 1;
}

int
bump_step(struct stream *s)
{
	struct srv *srv = s->srv;
	struct tls_peek *tp = s->tls;
	struct bump *b = tp != NULL ? tp->bump : NULL;
	char detail[256], w[512];
	int rc;

	if (b != NULL && b->state == BUMP_CLIENT) {
		rc = xprt_tls_handshake(s->fe);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			/* Usually a client that does not trust the CA. */
			log_msg(LOG_INFO, "TLS handshake with the client of "
				"%s failed: %s", who(s, w, sizeof(w)),
				xprt_tls_error(s->fe));
			bump_abort(s, "ERR_SECURE_ACCEPT_FAIL");
			return 1;
		}
		bump_done(s);
		return 1;
	}
	if (srv == NULL || srv->state != SS_TLS)
		return 0;
	rc = xprt_tls_handshake(&srv->conn);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		snprintf(detail, sizeof(detail), "The TLS handshake with the "
			 "server failed: %s.", xprt_tls_error(&srv->conn));
		log_msg(LOG_INFO, "TLS handshake with the server %s failed: "
			"%s", who(s, w, sizeof(w)), xprt_tls_error(&srv->conn));
		if (b == NULL) {
			request_server_failed(s, detail);
			return 1;
		}
		b->error = "ERR_SECURE_CONNECT_FAIL";
		snprintf(b->detail, sizeof(b->detail), "%s", detail);
		return to_client(s, 0);
	}
	srv_set_state(srv, SS_HEAD);
	srv->conn.wr_ready = 1;
	if (b != NULL && tp->stared && tp->step < 3 && !stare_bumps(s))
		return 1;
	if (b != NULL)
		return to_client(s, 1);
	if (cert_refused(s, detail, sizeof(detail))) {
		request_server_failed(s, detail);
		return 1;
	}
	strm_set_state(s, STRM_PREPARE);
	phase_server_ready(s);
	return 1;
}

int
bump_pending_error(struct stream *s)
{
	const struct tls_peek *tp = s->sess->bumped;
	struct bump *b;

	if (tp == NULL || tp->bump == NULL || tp->bump->error == NULL)
		return 0;
	b = tp->bump;
	s->hier = "HIER_NONE";
	free(s->location);
	s->location = b->location;
	b->location = NULL;
	strm_error(s, b->status ? b->status : 503, b->error, b->detail);
	s->resp_close = 1;
	b->error = NULL;
	return 1;
}
