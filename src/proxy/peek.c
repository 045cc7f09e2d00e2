/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peek.c - intercepted TLS connections (https_port ... tproxy ssl-bump),
 * decided as Squid does with the ssl_bump rules at each step (peek-t.h):
 * the connection becomes a CONNECT request to the original destination
 * (step 1) or to the SNI (step 2), goes through the same phases as any
 * request (http_access, SNI verification, spoofed connect) and is then
 * relayed as a tunnel, byte for byte: the ClientHello was only looked at
 * where it lies in the client's buffer. Nothing here decrypts.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/sa.h"
#include "event/loop.h"
#include "http/url.h"
#include "log/log.h"
#include "net/conn.h"
#include "proxy/applet.h"
#include "proxy/cli-t.h"
#include "proxy/peek.h"
#include "proxy/phase.h"
#include "proxy/rules.h"
#include "proxy/srv.h"
#include "proxy/stream.h"
#include "stats/stats.h"
#include "tls/tls.h"

static const char *const mode_names[] = {
	[SSLB_SPLICE] = "splice",	[SSLB_PEEK] = "peek",
	[SSLB_STARE] = "stare",		[SSLB_TERMINATE] = "terminate",
	[SSLB_BUMP] = "bump",		[SSLB_CLIENT_FIRST] = "client-first",
	[SSLB_SERVER_FIRST] = "server-first",
};

const char *
peek_mode_str(enum sslb_action a)
{
	if ((unsigned)a < sizeof(mode_names) / sizeof(mode_names[0]) &&
	    mode_names[a] != NULL)
		return mode_names[a];
	return "-";
}

void
peek_acl_ctx(const struct tls_peek *tp, struct acl_ctx *ctx)
{
	ctx->tls_step = tp->step;
	ctx->encrypted = !tp->unsupported;
	if (tp->hello_rc == TLS_OK && tp->hello.has_sni)
		ctx->sni = tp->hello.sni;
	if (tp->cert != NULL) {
		ctx->srv_names = tp->cert->namep;
		ctx->nsrv_names = (size_t)tp->cert->nname;
		ctx->ssl_errors = tp->cert->err;
		ctx->nssl_errors = (size_t)tp->cert->nerr;
	}
	ctx->squid_error = tp->squid_error;
}

/* Rules whose action cannot be taken at this step are skipped (Squid:
 * "Rules with actions that are impossible at the current step are
 * ignored"). */
static int
step_allows(int action, void *arg)
{
	const struct tls_peek *tp = arg;

	switch (action) {
	case SSLB_TERMINATE:
		return 1;
	case SSLB_SPLICE:
		/* After a stare the server talks TLS with tproxyd, not
		 * with the client: nothing left to splice (Squid bans it
		 * then too). */
		return tp->step < 3 || !tp->stared;
	case SSLB_PEEK:
	case SSLB_STARE:
		return tp->step < 3;
	case SSLB_BUMP:
		/* After a peek at the server the client's own hello has
		 * gone to it: too late to bump; after a stare, bumping is
		 * what the stare was for. */
		return tp->step < 3 || tp->stared;
	case SSLB_CLIENT_FIRST:
	case SSLB_SERVER_FIRST:
		/* Squid: "Backward compatibility actions available at
		 * step SslBump1". */
		return tp->step == 1;
	default:
		return 0;
	}
}

/* A decision at step 1 that bumps: once the client's hello is read (its
 * SNI names the server), without asking again. 1 when a bumps. */
static int
bump_at_step1(struct tls_peek *tp, enum sslb_action a)
{
	if (a != SSLB_BUMP && a != SSLB_SERVER_FIRST &&
	    a != SSLB_CLIENT_FIRST)
		return 0;
	tp->bump1 = 1;
	tp->client_first = a == SSLB_CLIENT_FIRST;
	return 1;
}

/* The first ssl_bump rule that applies at this step; splice when none
 * does (Squid's default). */
static enum sslb_action
decide(struct stream *s)
{
	struct tls_peek *tp = s->tls;
	const struct access_list *l = &s->sess->cfg->tls.ssl_bump;
	const struct access_rule *rule = NULL;
	struct acl_ctx ctx;
	/* Squid's default: splice, but bump after a stare. */
	enum sslb_action a = tp->step == 3 && tp->stared ? SSLB_BUMP :
			     SSLB_SPLICE;

	if (l->n > 0) {
		strm_acl_ctx(s, &ctx);
		if (acl_first(l, &ctx, step_allows, tp, &rule) ==
		    ACL_ALLOW && rule != NULL)
			a = (enum sslb_action)rule->allow;
	}
	tp->act = a;
	return a;
}

/*
 * The CONNECT request the connection is handled as: to the SNI when the
 * client sent one, else to the original destination's address; the port
 * is always the original destination's. A CONNECT request on a forward
 * port (tp->connect) keeps its own host and port at every step, and its
 * start time.
 */
static int
set_target(struct stream *s)
{
	const struct sockaddr *od = (const struct sockaddr *)&s->sess->odst;
	const struct tls_peek *tp = s->tls;
	char a[INET6_ADDRSTRLEN], au[URL_HOST_MAX + 16];
	int k;

	if (tp->connect)
		s->start = tp->connect_start;
	if (s->start == 0)
		s->start = evl_now();
	s->meth = H1_M_CONNECT;
	memcpy(s->method, "CONNECT", 8);
	if (tp->connect) {
		snprintf(s->host, sizeof(s->host), "%s", tp->connect_host);
		s->port = tp->connect_port;
		k = snprintf(au, sizeof(au), strchr(s->host, ':') ?
			     "[%s]:%u" : "%s:%u", s->host, s->port);
	} else if (tp->hello_rc == TLS_OK && tp->hello.has_sni) {
		s->port = sa_port(od);
		snprintf(s->host, sizeof(s->host), "%s", tp->hello.sni);
		k = snprintf(au, sizeof(au), "%s:%u", s->host, s->port);
	} else {
		s->port = sa_port(od);
		sa_ip_text(od, a, sizeof(a));
		snprintf(s->host, sizeof(s->host), "%s", a);
		k = snprintf(au, sizeof(au), od->sa_family == AF_INET6 ?
			     "[%s]:%u" : "%s:%u", a, s->port);
	}
	if (k < 0 || (size_t)k >= sizeof(au))
		return -1;
	if (strm_set_url(s, str_make(au, (size_t)k), STR_NULL, STR_NULL) < 0)
		return -1;
	s->path_off = s->url_len;
	s->req_scanned = 1;	/* no HTTP body: the tunnel approves bytes */
	s->cli_keepalive = 0;
	s->resp_close = 1;
	return 0;
}

/* Close without a tunnel (terminate, respond): one access.log line. */
static void
end_here(struct stream *s, const char *errname)
{
	s->code = "NONE_NONE";
	s->hier = "HIER_NONE";
	s->status = 0;
	s->errname = errname;
	strm_set_state(s, STRM_CLOSE);
}

/* Into the phases as a CONNECT request; the tunnel follows. */
static void
start(struct stream *s)
{
	const struct tls_peek *tp = s->tls;

	s->code = "TCP_TUNNEL";
	struct sockaddr_storage h;
	struct sockaddr_in *h4 = (struct sockaddr_in *)&h;
	struct sockaddr_in6 *h6 = (struct sockaddr_in6 *)&h;

	strm_set_state(s, STRM_PREPARE);
	/* A forward port's CONNECT was allowed by http_access already, and
	 * goes where it says whatever the SNI; a denied one is answered now
	 * (over TLS when bumped, else by closing), whatever its hello. */
	if (tp->connect && tp->deny_list != NULL) {
		struct acl_ctx ctx;

		strm_acl_ctx(s, &ctx);
		rules_deny(s, tp->deny_list, tp->deny_rule, &ctx,
			   "TCP_DENIED");
		return;
	}
	if (tp->connect)
		s->access_done = 1;
	/* The SNI must name the original destination (phase.c, like Host):
	 * a name is looked up, an address (which RFC 6066 forbids, but
	 * clients send) is compared. */
	if (!tp->connect && tp->hello_rc == TLS_OK && tp->hello.has_sni) {
		memset(&h, 0, sizeof(h));
		if (inet_pton(AF_INET, s->host, &h4->sin_addr) == 1)
			h.ss_family = AF_INET;
		else if (inet_pton(AF_INET6, s->host, &h6->sin6_addr) == 1)
			h.ss_family = AF_INET6;
		if (h.ss_family == 0)
			s->verify_pending = 1;
		else if (!sa_same_ip((const struct sockaddr *)&h,
				     (const struct sockaddr *)&s->sess->odst)
			 && phase_host_forgery(s, "local IP does not match "
					       "the SNI IP") < 0)
			return;
	}
	strm_deadline(s, s->sess->cfg->connect_timeout);
	phase_run(s);
}

/* Act on the decision of step 1 or 2. */
static void
act(struct stream *s, enum sslb_action a)
{
	switch (a) {
	case SSLB_TERMINATE:
		stats.tls_terminated++;
		end_here(s, NULL);
		break;
	case SSLB_PEEK:
		/* At step 2: look at the server's answer before deciding
		 * (step 3); its bytes wait until then. */
		s->tls->hold_res = 1;
		stats.tls_peeked_server++;
		start(s);
		break;
	case SSLB_STARE:
	case SSLB_BUMP:
		/* Decrypt (bump.c): the server connection made by the
		 * phases speaks TLS with tproxyd, not with the client.
		 * A stare decides at step 3, once that handshake showed
		 * the server's certificate (peek_stared()). */
		s->tls->bump = calloc(1, sizeof(*s->tls->bump));
		if (s->tls->bump == NULL) {
			end_here(s, "ERR_INTERNAL");
			break;
		}
		s->tls->bumping = 1;
		s->tls->srv_done = 1;	/* nothing to read in the clear */
		if (a == SSLB_STARE) {
			s->tls->stared = 1;
			stats.tls_peeked_server++;
		} else {
			stats.tls_bumped++;
		}
		start(s);
		break;
	default:
		stats.tls_spliced++;
		start(s);
		break;
	}
}

int
peek_accept(struct stream *s)
{
	struct tls_peek *tp = s->tls;
	enum sslb_action a;

	tp->step = 1;
	tp->hello_rc = TLS_INCOMPLETE;
	tp->srv_rc = TLS_INCOMPLETE;
	if (set_target(s) < 0) {
		end_here(s, "ERR_INVALID_REQ");
		return 1;
	}
	a = decide(s);
	/* The access.log time is the connection's, from its accept. */
	if (a == SSLB_PEEK || a == SSLB_STARE || bump_at_step1(tp, a))
		return 0;
	act(s, a);
	return 1;
}

/* s is a CONNECT on a forward http_port with ssl-bump, not yet decided
 * about. */
static int
connect_bumps(const struct stream *s)
{
	const struct cfg_port *port = s->sess->port;

	return s->meth == H1_M_CONNECT && port->ssl_bump && !port->https &&
	       s->tls == NULL;
}

/* Its facts for step 1; NULL: out of memory. */
static struct tls_peek *
connect_peek(struct stream *s)
{
	struct tls_peek *tp;

	tp = calloc(1, sizeof(*tp));
	if (tp == NULL)
		return NULL;
	tp->step = 1;
	tp->hello_rc = TLS_INCOMPLETE;
	tp->srv_rc = TLS_INCOMPLETE;
	tp->connect = 1;
	snprintf(tp->connect_host, sizeof(tp->connect_host), "%s", s->host);
	tp->connect_port = s->port;
	tp->connect_start = s->start;
	return tp;
}

/* The client is told the tunnel is up, then speaks TLS: this answer ends
 * the CONNECT's HTTP part (not logged: the CONNECT is logged once its TLS
 * is decided), and the client side reads the ClientHello as on an
 * https_port (peek_hello()). tp belongs to the client side from now on
 * (freed with it). */
static void
connect_established(struct stream *s, struct tls_peek *tp)
{
	s->tls = tp;
	s->cli->tls = tp;
	if (buf_reserve(&s->res.hd, 64) < 0 ||
	    buf_append(&s->res.hd, "HTTP/1.1 200 Connection established\r\n"
		       "\r\n", 39) < 0) {
		end_here(s, "ERR_INTERNAL");
		return;
	}
	s->status = 200;
	s->logged = 1;
	s->resp_close = 0;
	applet_head_only(s);
}

int
peek_connect(struct stream *s)
{
	struct tls_peek *tp;
	enum sslb_action a;

	if (s->sess->cfg->tls.ssl_bump.n == 0 || !connect_bumps(s))
		return 0;
	if ((tp = connect_peek(s)) == NULL) {
		/* Not a tunnel the rules did not see. */
		strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
		return 1;
	}
	s->tls = tp;
	a = decide(s);
	if (a != SSLB_TERMINATE && a != SSLB_PEEK && a != SSLB_STARE &&
	    a < SSLB_BUMP) {
		/* splice: the tunnel of any CONNECT. */
		s->tls = NULL;
		s->tls_mode = peek_mode_str(a);
		free(tp);
		stats.tls_spliced++;
		return 0;
	}
	if (a == SSLB_TERMINATE) {
		s->cli->tls = tp;	/* freed with the client side */
		stats.tls_terminated++;
		end_here(s, NULL);
		return 1;
	}
	/* Bump at step 1 bumps once the hello is read (peek_accept()). */
	(void)bump_at_step1(tp, a);
	connect_established(s, tp);
	return 1;
}

int
peek_connect_denied(struct stream *s, const struct access_list *list,
		    const struct access_rule *rule)
{
	struct tls_peek *tp;

	/* Only a port that can bump (some rule bumps: its CA is loaded). */
	if (s->sess->port->certs == NULL || !connect_bumps(s) ||
	    (tp = connect_peek(s)) == NULL)
		return 0;
	tp->deny_list = list;
	tp->deny_rule = rule;
	tp->bump1 = 1;
	connect_established(s, tp);
	return 1;
}

int
peek_hello(struct stream *s, struct buf *in, int eof)
{
	struct tls_peek *tp = s->tls;
	int rc;

	if (s->start == 0)
		s->start = evl_now();
	rc = tls_hello_parse((const uint8_t *)buf_head(in), buf_len(in),
			     in->size, &tp->hello);
	if (rc == TLS_INCOMPLETE && !eof && buf_room(in) > 0)
		return 0;
	if (rc == TLS_INCOMPLETE) {
		if (eof) {
			/* Gone in the middle of its hello (or, after a
			 * CONNECT's 200, before it). */
			tp->squid_error = "ERR_PROTOCOL_UNKNOWN";
			s->aborted = 1;
			if (tp->connect)
				(void)set_target(s);
			end_here(s, NULL);
			return 1;
		}
		rc = TLS_E_TOO_LONG;
	}
	if (rc != TLS_OK) {
		if (log_enabled(LOG_DEBUG)) {
			char c[INET6_ADDRSTRLEN + 8];

			log_msg(LOG_DEBUG, "client %s on an https_port: %s",
				sa_text((const struct sockaddr *)
					&s->sess->addr, c, sizeof(c)),
				tls_strerror(rc));
		}
		peek_unsupported(s, rc == TLS_E_TOO_LONG ? "ERR_TOO_BIG" :
				 "ERR_PROTOCOL_UNKNOWN");
		return 1;
	}
	tp->hello_rc = TLS_OK;
	tp->step = 2;
	if (tp->hello.ech)
		stats.tls_ech++;
	if (!tp->hello.has_sni)
		stats.tls_no_sni++;
	if (set_target(s) < 0) {
		end_here(s, "ERR_INVALID_REQ");
		return 1;
	}
	act(s, tp->bump1 ? SSLB_BUMP : decide(s));
	return 1;
}

/* on_unsupported_protocol for s (s->tls set): UNSUP_TUNNEL or
 * UNSUP_RESPOND; s becomes a CONNECT to the original destination. */
static int
unsupported_action(struct stream *s, const char *squid_error)
{
	const struct access_list *l = &s->sess->cfg->tls.on_unsupported;
	const struct access_rule *rule = NULL;
	struct tls_peek *tp = s->tls;
	struct acl_ctx ctx;

	tp->unsupported = 1;
	tp->squid_error = squid_error;
	tp->hello_rc = TLS_NOT_TLS;
	if (s->start == 0)
		s->start = evl_now();
	if (set_target(s) < 0)
		return UNSUP_RESPOND;
	if (l->n > 0) {
		strm_acl_ctx(s, &ctx);
		if (acl_first(l, &ctx, NULL, NULL, &rule) == ACL_ALLOW &&
		    rule != NULL)
			return rule->allow;
	}
	return UNSUP_RESPOND;
}

/* Relay the connection's bytes as they are to the original destination. */
static void
tunnel_blindly(struct stream *s)
{
	s->tls->srv_done = 1;	/* nothing of the server is looked at */
	start(s);
}

void
peek_unsupported(struct stream *s, const char *squid_error)
{
	if (unsupported_action(s, squid_error) != UNSUP_TUNNEL) {
		/* "respond": an HTTP answer would mean nothing to a TLS
		 * client, so the connection is closed (Squid too). */
		stats.tls_unsupported_closed++;
		end_here(s, squid_error);
		return;
	}
	stats.tls_unsupported_tunneled++;
	tunnel_blindly(s);
}

int
peek_http_unsupported(struct stream *s, struct tls_peek *tp,
		      const char *squid_error)
{
	s->tls = tp;
	if (unsupported_action(s, squid_error) != UNSUP_TUNNEL) {
		/* "respond": the HTTP error page, as without rules. */
		s->tls = NULL;
		s->meth = H1_M_OTHER;
		s->method[0] = '\0';
		s->host[0] = '\0';
		s->port = 0;
		s->req_scanned = 0;
		s->cli_keepalive = 0;
		return 0;
	}
	stats.http_unsupported_tunneled++;
	tunnel_blindly(s);
	return 1;
}

/* Once a minute at most: the trust store cannot be read (a cafile= the
 * proxy's user cannot read, after it dropped its privileges). */
static void
cannot_verify(const char *cafile)
{
	static double last;

	if (evl_now() - last < 60)
		return;
	last = evl_now();
	log_msg(LOG_CRIT, "ERROR: cannot check TLS server certificates: "
		"the trust store (%s) cannot be read by this process; "
		"peeked connections are terminated unless "
		"sslproxy_cert_error allows X509_V_ERR_UNSPECIFIED",
		cafile ? cafile : "the system's");
}

/* Step 3's certificate facts: names of the leaf, errors of the chain. */
static void
read_cert(struct stream *s, const uint8_t *p)
{
	struct tls_peek *tp = s->tls;
	struct peek_cert *pc;
	int i, n;

	if (!tp->srvh.has_certs || tp->srvh.ncerts == 0)
		return;
	pc = calloc(1, sizeof(*pc));
	if (pc == NULL)
		return;
	n = tls_cert_names(p + tp->srvh.cert[0].off, tp->srvh.cert[0].len,
			   pc->name, PEEK_MAX_NAMES);
	for (i = 0; i < n; i++)
		pc->namep[i] = pc->name[i];
	pc->nname = n > 0 ? n : 0;
	n = tls_cert_verify(p, tp->srvh.cert, tp->srvh.ncerts,
			    tp->hello.has_sni ? tp->hello.sni : NULL,
			    s->sess->cfg->tls.cafile, pc->err, PEEK_MAX_ERRS);
	if (n < 0) {
		/* Not checked is not valid: the connection goes on only if
		 * sslproxy_cert_error allows X509_V_ERR_UNSPECIFIED. */
		cannot_verify(s->sess->cfg->tls.cafile);
		pc->err[0] = "X509_V_ERR_UNSPECIFIED";
		n = 1;
	}
	pc->nerr = n;
	tp->cert = pc;
}

int
peek_stared(struct stream *s, const uint8_t *der, size_t len,
	    const char *const *errs, int nerr)
{
	struct tls_peek *tp = s->tls;
	struct peek_cert *pc;
	int i, n;

	tp->step = 3;
	pc = calloc(1, sizeof(*pc));
	if (pc != NULL) {
		n = der != NULL ? tls_cert_names(der, len, pc->name,
						 PEEK_MAX_NAMES) : 0;
		for (i = 0; i < n; i++)
			pc->namep[i] = pc->name[i];
		pc->nname = n > 0 ? n : 0;
		for (i = 0; i < nerr && i < PEEK_MAX_ERRS; i++)
			pc->err[i] = errs[i];
		pc->nerr = i;
		free(tp->cert);
		tp->cert = pc;
	}
	if (decide(s) == SSLB_TERMINATE) {
		stats.tls_terminated++;
		return 0;
	}
	stats.tls_bumped++;
	return 1;
}

/*
 * A server certificate with errors (read at step 3) lets the connection go
 * on only when sslproxy_cert_error allows it (default deny); Squid closes
 * such a peeked connection too. 1: go on.
 */
static int
cert_accepted(struct stream *s)
{
	struct tls_peek *tp = s->tls;
	struct acl_ctx ctx;

	if (tp->cert == NULL || tp->cert->nerr == 0)
		return 1;
	strm_acl_ctx(s, &ctx);
	if (acl_check(&s->sess->cfg->tls.cert_error, &ctx, ACL_DENY, NULL) ==
	    ACL_ALLOW)
		return 1;
	s->errname = "ERR_SECURE_CONNECT_FAIL";
	if (log_enabled(LOG_INFO)) {
		char c[INET6_ADDRSTRLEN + 8];

		log_msg(LOG_INFO, "TLS server certificate of %s (client %s) "
			"fails its checks: %s; terminated "
			"(sslproxy_cert_error)",
			s->host, sa_text((const struct sockaddr *)
					 &s->sess->addr, c, sizeof(c)),
			tp->cert->err[0]);
	}
	return 0;
}

int
peek_server(struct stream *s)
{
	struct tls_peek *tp = s->tls;
	struct srv *srv = s->srv;
	const uint8_t *p = (const uint8_t *)buf_head(&srv->ibuf);
	int rc;

	if (tp->srv_done)
		return 1;
	rc = tls_server_parse(p, buf_len(&srv->ibuf), srv->ibuf.size,
			      &tp->srvh);
	if (rc == TLS_INCOMPLETE && !srv->conn.eof &&
	    buf_room(&srv->ibuf) > 0) {
		/* Splicing needs only the version, for the log. */
		if (!tp->hold_res && tp->srvh.version != 0)
			goto release;
		return 0;
	}
	tp->srv_rc = rc;
	if (tp->hold_res) {
		tp->step = 3;
		if (rc == TLS_OK)
			read_cert(s, p);
		if (!cert_accepted(s) || decide(s) == SSLB_TERMINATE) {
			stats.tls_terminated++;
			tp->srv_done = 1;
			tp->hold_res = 0;
			s->code = "NONE_NONE";
			s->status = 0;
			strm_set_state(s, STRM_CLOSE);
			return 1;
		}
		stats.tls_spliced++;
	}
release:
	tp->srv_done = 1;
	tp->hold_res = 0;
	return 1;
}
