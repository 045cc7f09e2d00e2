/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stream.c - a stream's life: start, the steps of each state in order,
 * the back end's event interest, timeouts, errors, and settling the back
 * end when the response is delivered. The zero-copy path is in splice.c,
 * the end of tunnels in tunnel.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/sa.h"
#include "event/loop.h"
#include "http/msg.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/pipe.h"
#include "proxy/adapt.h"
#include "proxy/applet.h"
#include "proxy/auth.h"
#include "proxy/bump.h"
#include "proxy/cache.h"
#include "proxy/cli.h"
#include "proxy/dns.h"
#include "proxy/phase.h"
#include "proxy/neigh.h"
#include "proxy/proxy.h"
#include "proxy/srv.h"
#include "proxy/peek.h"
#include "proxy/extacl.h"
#include "proxy/rewrite.h"
#include "proxy/stream.h"
#include "stats/stats.h"

static const char *strm_names[] = {
	"NEW", "PREPARE", "HANDSHAKE", "FORWARD", "TUNNEL", "LOCAL", "DONE",
	"CLOSE",
};

const char *
strm_state_str(enum strm_state st)
{
	return st <= STRM_CLOSE ? strm_names[st] : "?";
}

void
strm_set_state(struct stream *s, enum strm_state st)
{
	if (log_enabled(LOG_DEBUG + 1) && s->state != st)
		log_msg(LOG_DEBUG + 1, "stream of client FD %d: %s -> %s",
			s->fe->fd, strm_state_str(s->state),
			strm_state_str(st));
	s->state = st;
}

void
strm_init(struct stream *s, struct cli *cli, const struct sess *sess,
	  struct conn *fe, struct buf *fe_in)
{
	memset(s, 0, sizeof(*s));
	s->cli = cli;
	s->sess = sess;
	s->fe = fe;
	s->req.in = fe_in;
	s->req.keep_hd = 1;
	spipe_init(&s->req.pipe);
	spipe_init(&s->res.pipe);
	strm_delay_init(s);
}

void
strm_reset(struct stream *s)
{
	if (s->dns)
		dns_cancel(s->dns);
	rewrite_cancel(s);
	adapt_cancel(s);
	extacl_cancel(s);
	auth_clear(s);
	free(s->location);
	s->location = NULL;
	free(s->orig_url);
	s->orig_url = NULL;
	free(s->store_id);
	s->store_id = NULL;
	strm_delay_reset(s);
	memset(&s->state, 0,
	       sizeof(*s) - offsetof(struct stream, state));
	buf_reset(&s->req.hd);
	s->req.hd_sent = 0;
	s->req.fwd = 0;
	s->req.copied = 0;
	buf_reset(&s->res.hd);
	s->res.hd_sent = 0;
	s->res.fwd = 0;
	s->res.copied = 0;
	s->res.in = NULL;
	s->res.file_left = 0;
	buf_reset(&s->applet.out);
	http_msg_reset(&s->reqm);
	http_msg_reset(&s->resm);
}

void
strm_release(struct stream *s)
{
	if (s->dns)
		dns_cancel(s->dns);
	s->dns = NULL;
	rewrite_cancel(s);
	adapt_cancel(s);
	extacl_cancel(s);
	auth_cancel(s);
	if (s->srv) {
		srv_close(s->srv);
		s->srv = NULL;
		s->res.in = NULL;
	}
	applet_release(&s->applet);
	cache_strm_end(s);
	strm_delay_stop(s);
	spipe_close(&s->req.pipe);
	spipe_close(&s->res.pipe);
}

void
strm_free(struct stream *s)
{
	extacl_cancel(s);
	buf_free(&s->req.hd);
	buf_free(&s->res.hd);
	buf_free(&s->applet.out);
	http_msg_free(&s->reqm);
	http_msg_free(&s->resm);
	free(s->url);
	s->url = NULL;
	auth_clear(s);
	free(s->location);
	s->location = NULL;
	free(s->orig_url);
	s->orig_url = NULL;
	free(s->store_id);
	s->store_id = NULL;
}

void
strm_touch(struct stream *s)
{
	cli_touch(s->cli);
}

void
strm_deadline(struct stream *s, double secs)
{
	cli_set_deadline(s->cli, secs);
}

void
strm_wake(struct stream *s)
{
	cli_run(s->cli);
}

void
chn_advance(struct chn *c, size_t w)
{
	size_t hl = chn_hd_pending(c);

	if (w <= hl) {
		c->hd_sent += w;
	} else {
		c->hd_sent += hl;
		buf_consume(c->in, w - hl);
		c->fwd -= (uint64_t)(w - hl);
	}
	/* A response head is written once; a request head is kept for a
	 * retry on a new connection. */
	if (!c->keep_hd && c->hd.area && c->hd_sent == buf_len(&c->hd)) {
		buf_reset(&c->hd);
		c->hd_sent = 0;
	}
}

int
strm_set_url(struct stream *s, struct str a, struct str b, struct str c)
{
	size_t n = a.len + b.len + c.len;
	char *p;

	if (n + 1 > s->url_cap) {
		p = realloc(s->url, n + 64);
		if (p == NULL)
			return -1;
		s->url = p;
		s->url_cap = n + 64;
	}
	if (a.len)
		memcpy(s->url, a.p, a.len);
	if (b.len)
		memcpy(s->url + a.len, b.p, b.len);
	if (c.len)
		memcpy(s->url + a.len + b.len, c.p, c.len);
	s->url[n] = '\0';
	s->url_len = n;
	return 0;
}

void
strm_acl_ctx(const struct stream *s, struct acl_ctx *ctx)
{
	const struct sess *se = s->sess;

	memset(ctx, 0, sizeof(*ctx));
	ctx->client = (const struct sockaddr *)&se->addr;
	/* acl_uses_indirect_client: the address a trusted X-Forwarded-For
	 * named (rules_follow_xff()). */
	if (s->has_indirect && se->cfg->rules.acl_indirect)
		ctx->client = (const struct sockaddr *)&s->indirect;
	/* A rewritten request goes where its new URL says (rewrite.c). */
	if (se->intercepted && !s->rewritten) {
		ctx->dst = (const struct sockaddr *)&se->odst;
		ctx->dst_port = sa_port(ctx->dst);
	} else {
		ctx->dst = s->origin_resolved || (s->naddr > 0 && !s->peer) ?
			   (const struct sockaddr *)&s->addr[0] : NULL;
		ctx->dst_port = s->port;
	}
	ctx->local_port = sa_port((const struct sockaddr *)&se->local);
	ctx->method = str_make(s->method, strlen(s->method));
	ctx->proto = s->meth == H1_M_CONNECT ? STR_LIT("HTTPS") :
		     STR_LIT("HTTP");
	ctx->host = str_make(s->host, strlen(s->host));
	ctx->url = str_make(s->url ? s->url : "", s->url_len);
	ctx->path = s->meth == H1_M_CONNECT || s->url == NULL ? STR_NULL :
		    str_make(s->url + s->path_off, s->url_len - s->path_off);
	ctx->port_name = se->port->name;
	ctx->local = (const struct sockaddr *)&se->local;
	ctx->req = s->reqm.valid ? &s->reqm : NULL;
	ctx->resp = s->resm.valid ? &s->resm : NULL;
	ctx->status = s->status;
	ctx->now = (long long)evl_now();
	ctx->client_conns = lim_ip_count;
	ctx->direct = (const struct sockaddr *)&se->addr;
	ctx->client_mac = neigh_mac;
	/* Looked up by phase_run() when http_access needs it; until then
	 * srcdomain acls do not match (name_wait is 0). */
	ctx->client_name = s->client_name[0] != '\0' ? s->client_name : NULL;
	/* External acls ask the helper's answer for this stream. */
	ctx->ext_match = extacl_match;
	ctx->ext_arg = s;
	ctx->tag = s->ext_tag[0] != '\0' ? s->ext_tag : NULL;
	auth_acl_ctx(s, ctx);
	if (s->tls != NULL)
		peek_acl_ctx(s->tls, ctx);
	else if (se->bumped != NULL)
		peek_acl_ctx(se->bumped, ctx);
}

/* ---- ending a stream ---------------------------------------------------- */

void
strm_abort(struct stream *s)
{
	if (s->code == NULL)
		s->code = "TCP_MISS";
	strm_set_state(s, STRM_CLOSE);
}

void
strm_tunnel_abort(struct stream *s)
{
	s->aborted = 1;
	s->abortive = 1;
	conn_set_abortive(s->fe);
	if (s->srv != NULL)
		conn_set_abortive(&s->srv->conn);
	strm_abort(s);
}

void
strm_error(struct stream *s, int status, const char *errname,
	   const char *detail)
{
	if (s->dns) {
		dns_cancel(s->dns);
		s->dns = NULL;
	}
	rewrite_cancel(s);
	adapt_cancel(s);
	extacl_cancel(s);
	auth_cancel(s);
	if (s->srv) {
		srv_close(s->srv);
		s->srv = NULL;
	}
	/* A response being stored was not received whole; siblings being
	 * asked are no longer waited for. */
	cache_fill_abort(s);
	cache_sibling_cancel(s);
	s->res.in = NULL;
	s->res.fwd = 0;
	/* Bytes for the server that went with it. */
	if (s->req.pipe.len > 0)
		spipe_close(&s->req.pipe);
	if (s->resp_head_done || s->bytes_out > 0) {
		/* The response has started: the only honest signal left is
		 * to cut the connection. */
		strm_abort(s);
		return;
	}
	/* A connection being bumped gets the page inside TLS, as its
	 * first request's answer (bump.c). */
	if (s->tls != NULL && bump_error_page(s, status, errname, detail))
		return;
	if (s->tls != NULL) {
		/* An intercepted TLS client cannot read an HTTP error page
		 * (that needs bumping): it is closed, and the log says
		 * why (%err_code). A denial is logged as Squid logs a
		 * denied CONNECT (TCP_DENIED/403); anything else as a
		 * terminated connection, nothing having been sent. */
		s->errname = errname;
		stats_error(errname);
		if (s->code != NULL && strcmp(s->code, "TCP_DENIED") == 0) {
			s->status = status;
		} else {
			s->code = "NONE_NONE";
			s->status = 0;
		}
		strm_set_state(s, STRM_CLOSE);
		return;
	}
	if (s->start == 0)
		s->start = evl_now();
	if (s->method[0] == '\0')
		memcpy(s->method, "NONE", 5);
	if (applet_errpage(s, status, errname, detail) < 0) {
		strm_abort(s);
		return;
	}
	s->status = status;
	s->errname = errname;
	stats_error(errname);
	memcpy(s->ctype, "text/html", 10);
	if (s->code == NULL)
		s->code = "TCP_MISS";
	if (log_enabled(LOG_DEBUG)) {
		char client[INET6_ADDRSTRLEN];

		log_msg(LOG_DEBUG, "%s for %s: %s", errname,
			sa_ip_text((const struct sockaddr *)&s->sess->addr,
				   client, sizeof(client)),
			detail ? detail : "");
	}
	strm_set_state(s, STRM_LOCAL);
	strm_deadline(s, s->sess->cfg->read_timeout);
}

void
strm_access_denied(struct stream *s)
{
	s->code = "TCP_DENIED";
	strm_error(s, 403, "ERR_ACCESS_DENIED",
		   "Access control configuration prevents your request from "
		   "being allowed at this time.");
}

void
strm_settle(struct stream *s, int draining)
{
	struct srv *srv = s->srv;

	strm_log(s);
	/* Request bytes still in the pipe (answered early): for nobody. */
	if (s->req.pipe.len > 0)
		spipe_close(&s->req.pipe);
	applet_release(&s->applet);
	cache_strm_end(s);
	if (srv != NULL) {
		s->srv = NULL;
		s->res.in = NULL;
		if (s->srv_reusable && !srv->conn.eof &&
		    buf_empty(&srv->ibuf) && !draining)
			srv_release(srv,
				    s->sess->cfg->server_idle_pconn_timeout);
		else
			srv_close(srv);
	}
}

void
strm_timeout(struct stream *s)
{
	switch (s->state) {
	case STRM_PREPARE:
		s->hier = "HIER_NONE";
		strm_error(s, 504, "ERR_CONNECT_FAIL",
			   "Connecting to the server timed out.");
		break;
	case STRM_HANDSHAKE:
		/* A bumping connection (s->tls) is closed by the error;
		 * a request of a bumped one gets the page. */
		s->hier = "HIER_NONE";
		strm_error(s, 504, "ERR_SECURE_CONNECT_FAIL",
			   "The TLS handshake timed out.");
		break;
	case STRM_FORWARD:
		if (s->resp_head_done) {
			strm_abort(s);
			break;
		}
		strm_error(s, 504, "ERR_READ_TIMEOUT",
			   "The server did not answer in time.");
		break;
	default:
		strm_abort(s);
		break;
	}
}

/* ---- the steps ----------------------------------------------------------- */

/* Run one step; stop when it changed the stream's state (the caller's
 * loop goes on in the new state). */
#define STEP(s, st, x)					\
	do {						\
		p |= (x);				\
		if ((s)->state != (st))			\
			return 1;			\
	} while (0)

/* STRM_FORWARD: each direction's copy steps, then its splice step; at
 * most one of them has bytes to move (splice.c). */
static int
strm_forward(struct stream *s)
{
	int p = 0;

	STEP(s, STRM_FORWARD, cli_produce_req(s));
	STEP(s, STRM_FORWARD, srv_send_req(s));
	STEP(s, STRM_FORWARD, strm_splice_req(s));
	p |= srv_recv(s);
	STEP(s, STRM_FORWARD, srv_parse_resp(s));
	/* RESPMOD (adapt.c) reads the body in its place. */
	STEP(s, STRM_FORWARD, adapt_respmod_step(s));
	p |= srv_scan_resp(s);
	if (s->cache.fill != NULL && s->resp_scanned)
		cache_fill_end(s);
	STEP(s, STRM_FORWARD, cli_send_res(s));
	STEP(s, STRM_FORWARD, strm_splice_res(s));
	if (s->resp_scanned && s->res.fwd == 0 && !chn_pending(&s->res) &&
	    s->res.pipe.len == 0) {
		if (s->aborted) {
			strm_abort(s);
			return 1;
		}
		if (!s->req_sent) {
			/* Answered before the client finished its body:
			 * neither side knows where the next message would
			 * start. */
			s->resp_close = 1;
			s->srv_reusable = 0;
		}
		strm_set_state(s, STRM_DONE);
		return 1;
	}
	return p;
}

static int
strm_tunnel_step(struct stream *s)
{
	int p = 0;

	STEP(s, STRM_TUNNEL, srv_send_req(s));
	STEP(s, STRM_TUNNEL, strm_splice_req(s));
	p |= srv_recv(s);
	STEP(s, STRM_TUNNEL, strm_tunnel(s));
	STEP(s, STRM_TUNNEL, cli_send_res(s));
	STEP(s, STRM_TUNNEL, strm_splice_res(s));
	p |= strm_tunnel(s);
	if (!p)
		strm_splice_trim(s);
	return p;
}

static int
strm_local(struct stream *s)
{
	int p = 0;

	p |= applet_step(s);
	STEP(s, STRM_LOCAL, cli_send_res(s));
	if (s->applet.done && !chn_pending(&s->res)) {
		strm_set_state(s, STRM_DONE);
		return 1;
	}
	return p;
}

int
strm_process(struct stream *s)
{
	switch (s->state) {
	case STRM_PREPARE:
		/* A client that half-closed after a complete request still
		 * gets its answer (HAProxy's default, no abortonclose); a
		 * closed one is noticed when the response cannot be
		 * written. */
		if (cli_produce_req(s)) {
			/* REQMOD sends a small body whole: it is here. */
			if (s->reqmod_body_wait && s->req_scanned &&
			    s->state == STRM_PREPARE) {
				s->reqmod_body_wait = 0;
				phase_run(s);
			}
			return 1;
		}
		return 0;
	case STRM_HANDSHAKE:
		return bump_step(s);
	case STRM_FORWARD:
		return strm_forward(s);
	case STRM_TUNNEL:
		return strm_tunnel_step(s);
	case STRM_LOCAL:
		return strm_local(s);
	default:
		return 0;
	}
}

void
strm_update_events(struct stream *s)
{
	struct srv *srv = s->srv;
	int ev = 0;

	adapt_update_events(s);
	if (srv == NULL || !srv_sending(srv))
		return;
	if (srv_want_read(s) || strm_res_fill_ok(s))
		ev |= EVL_READ;
	if ((!s->req_sent && chn_pending(&s->req)) || s->req.pipe.len > 0)
		ev |= EVL_WRITE;
	conn_want(&srv->conn, ev);
}
