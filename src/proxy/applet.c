/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * applet.c - local responders (see applet-t.h): Squid's error pages and
 * the stats_port's /metrics. Both are small and produced in one go; the
 * stream only asks an applet for more when the client has taken what was
 * produced, so a responder with a large body (cache hits) fills its
 * bounded buffer a piece at a time.
 */
#include <errno.h>
#include <string.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/sa.h"
#include "http/errpage.h"
#include "http/h1.h"
#include "http/hdr.h"
#include "proxy/applet.h"
#include "proxy/auth.h"
#include "proxy/proxy.h"
#include "proxy/stream.h"
#include "stats/stats.h"

/* Everything was produced when the applet was set up. */
static int
produce_nothing(struct applet *a, struct stream *s)
{
	(void)s;
	a->done = 1;
	return 0;
}

static const struct applet_ops errpage_ops = {
	.name    = "errpage",
	.produce = produce_nothing,
	.release = NULL,
};

static const struct applet_ops metrics_ops = {
	.name    = "metrics",
	.produce = produce_nothing,
	.release = NULL,
};

void
applet_release(struct applet *a)
{
	if (a->ops != NULL && a->ops->release != NULL)
		a->ops->release(a);
	a->ops = NULL;
	a->ctx = NULL;
	a->off = 0;
	a->done = 0;
	buf_reset(&a->out);
}

void
applet_start(struct stream *s, const struct applet_ops *ops, void *ctx)
{
	s->applet.ops = ops;
	s->applet.ctx = ctx;
	s->applet.done = 0;
	s->applet.off = 0;
	s->res.in = &s->applet.out;
	s->res.fwd = 0;
	strm_set_state(s, STRM_LOCAL);
}

size_t
applet_room(const struct stream *s)
{
	const struct buf *b = &s->applet.out;

	if (b->area == NULL)
		return APPLET_BUF;
	return buf_empty(b) ? b->size : buf_room(b);
}

int
applet_put(struct stream *s, const void *p, size_t n)
{
	struct buf *b = &s->applet.out;
	int rc;

	if (n == 0)
		return 0;
	if (b->area == NULL && buf_init(b, APPLET_BUF) < 0)
		return -ENOMEM;
	if ((rc = buf_append(b, p, n)) < 0)
		return rc;
	s->res.fwd += n;
	s->applet.off += n;
	return 0;
}

int
applet_step(struct stream *s)
{
	struct applet *a = &s->applet;
	int r;

	if (a->ops == NULL || a->done)
		return 0;
	/* Back-pressure: more only once the client took the body bytes
	 * made so far. A head still waiting does not hold the body back:
	 * both then go in one write (one packet for a small response). */
	if (s->res.fwd > 0 || s->res.file_left > 0 || applet_room(s) == 0)
		return 0;
	r = a->ops->produce(a, s);
	if (r < 0) {
		strm_abort(s);
		return 1;
	}
	return r;
}

int
applet_errpage(struct stream *s, int status, const char *errname,
	       const char *detail)
{
	struct errpage e;
	char client[INET6_ADDRSTRLEN];

	applet_release(&s->applet);
	if (buf_reserve(&s->res.hd, 8192) < 0)
		return -ENOMEM;
	buf_reset(&s->res.hd);
	s->res.hd_sent = 0;
	memset(&e, 0, sizeof(e));
	e.status = status;
	e.name = errname;
	e.url = str_make(s->url ? s->url : "", s->url ? s->url_len : 0);
	e.client = sa_ip_text((const struct sockaddr *)&s->sess->addr, client,
			      sizeof(client));
	e.server = proxy_hostname;
	e.detail = detail;
	e.head = s->meth == H1_M_HEAD;
	e.location = s->location;
	if (s->auth_challenge)
		e.auth_fields = auth_challenge_fields(s);
	/* Keep the connection only when the request was read whole and the
	 * client can tell where our answer ends. */
	s->resp_close = !s->cli_keepalive ||
			s->req_body.kind != H1_BODY_NONE || status == 400 ||
			status == 408 || status == 431 || status == 501;
	/* auth_param basic keep_alive off: a challenge ends the
	 * connection. */
	if (s->auth_challenge && !s->sess->cfg->auth.keep_alive)
		s->resp_close = 1;
	e.keepalive = !s->resp_close;
	if (errpage_build(&s->res.hd, &e) < 0)
		return -ENOSPC;
	s->applet.ops = &errpage_ops;
	return 0;
}

void
applet_empty(struct stream *s, int status, const char *reason)
{
	applet_release(&s->applet);
	s->resp_close = !s->cli_keepalive || proxy_draining() ||
			s->req_body.kind != H1_BODY_NONE;
	if (buf_reserve(&s->res.hd, 256) < 0) {
		strm_abort(s);
		return;
	}
	buf_reset(&s->res.hd);
	s->res.hd_sent = 0;
	buf_appendf(&s->res.hd, "HTTP/1.1 %d %s\r\nServer: tproxyd\r\n"
		    "Content-Length: 0\r\n%s\r\n", status, reason,
		    s->resp_close ? "Connection: close\r\n" : "");
	s->status = status;
	s->res.in = NULL;
	s->res.fwd = 0;
	s->applet.ops = &errpage_ops;
	strm_set_state(s, STRM_LOCAL);
	strm_deadline(s, s->sess->cfg->read_timeout);
}

void
applet_head_only(struct stream *s)
{
	applet_release(&s->applet);
	s->res.hd_sent = 0;
	s->res.in = NULL;
	s->res.fwd = 0;
	s->applet.ops = &errpage_ops;
	strm_set_state(s, STRM_LOCAL);
	strm_deadline(s, s->sess->cfg->read_timeout);
}

int
applet_response(struct stream *s, const struct h1_resp *resp,
		const char *body, size_t len)
{
	const struct cfg *cfg = s->sess->cfg;
	struct hdr_resp_opts o;
	struct buf *out = &s->applet.out;

	applet_release(&s->applet);
	if (s->meth == H1_M_HEAD || resp->status == 204 ||
	    resp->status == 304)
		len = 0;
	s->resp_close = !s->cli_keepalive || proxy_draining() ||
			s->req_body.kind != H1_BODY_NONE;
	memset(&o, 0, sizeof(o));
	o.via_name = cfg->via ? proxy_hostname : NULL;
	o.keepalive = !s->resp_close;
	o.client_minor = s->minor;
	/* The body is whole here: its length replaces whatever framing
	 * the service's head named. */
	o.drop_te = 1;
	o.has_cl = 1;
	o.cl = len;
	buf_reset(out);
	buf_reset(&s->res.hd);
	s->res.hd_sent = 0;
	if (buf_reserve(out, len > 0 ? len : 1) < 0 ||
	    buf_reserve(&s->res.hd, 65536) < 0 ||
	    hdr_build_resp(&s->res.hd, resp, &o) < 0)
		return -ENOMEM;
	if (len > 0)
		memcpy(buf_tail(out), body, len);
	buf_commit(out, len);
	s->res.in = out;
	s->res.fwd = len;
	s->status = resp->status;
	s->resp_head_done = 1;
	s->applet.ops = &errpage_ops;
	strm_set_state(s, STRM_LOCAL);
	strm_deadline(s, cfg->read_timeout);
	return 0;
}

/* Whether stats_access (localhost when it is empty) lets s in. */
static int
stats_allowed(const struct stream *s)
{
	const struct cfg *c = s->sess->cfg;
	struct acl_ctx ctx;
	const struct acl *lh;
	struct acl_ref ref;
	struct access_rule rule;
	struct access_list local;

	strm_acl_ctx(s, &ctx);
	if (c->stats_access.n > 0)
		return acl_check(&c->stats_access, &ctx, ACL_DENY, NULL) ==
		       ACL_ALLOW;
	/* Default: the local host only. */
	lh = cfg_acl_find(c, "localhost");
	ref.acl = lh;
	ref.negate = 0;
	memset(&rule, 0, sizeof(rule));
	rule.allow = 1;
	rule.nref = 1;
	rule.ref = &ref;
	local.n = lh ? 1 : 0;
	local.rule = &rule;
	return acl_check(&local, &ctx, ACL_DENY, NULL) == ACL_ALLOW;
}

void
applet_stats_request(struct stream *s, const struct h1_req *req)
{
	struct buf *out = &s->applet.out;
	struct h1_info info;
	size_t ml;

	ml = req->method.len < sizeof(s->method) - 1 ? req->method.len :
	     sizeof(s->method) - 1;
	memcpy(s->method, req->method.p, ml);
	s->method[ml] = '\0';
	s->meth = h1_method_of(req->method);
	s->minor = req->minor;
	s->code = "TCP_MISS";
	s->hier = "HIER_NONE";
	if (strm_set_url(s, req->target, STR_NULL, STR_NULL) < 0)
		s->url_len = 0;
	/* The request's body, if any, is not read: the connection closes
	 * after the answer (applet_errpage()'s rule). */
	if (h1_msg_info(req->hdr, req->nhdr, req->minor, &info) < 0 ||
	    h1_req_framing(req, &info, &s->req_body) < 0) {
		s->cli_keepalive = 0;
		s->req_body.kind = H1_BODY_NONE;
	} else {
		s->cli_keepalive = req->minor == 1 ? !info.conn_close :
				   info.conn_keepalive;
	}
	if (proxy_draining())
		s->cli_keepalive = 0;
	s->req_scanned = 1;
	if (!stats_allowed(s)) {
		strm_access_denied(s);
		return;
	}
	if (s->meth != H1_M_GET || !str_eq(req->target, "/metrics")) {
		strm_error(s, 404, "ERR_INVALID_URL",
			   "This port serves GET /metrics only.");
		return;
	}
	s->resp_close = !s->cli_keepalive ||
			s->req_body.kind != H1_BODY_NONE;
	/* The whole instance: every worker's counters (stats.h). */
	buf_reset(out);
	if ((out->area == NULL && buf_init(out, 16384) < 0) ||
	    stats_render(out) < 0 || buf_reserve(&s->res.hd, 256) < 0) {
		buf_reset(out);
		strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
		return;
	}
	buf_reset(&s->res.hd);
	s->res.hd_sent = 0;
	buf_appendf(&s->res.hd, "HTTP/1.1 200 OK\r\nServer: tproxyd\r\n"
		    "Content-Type: text/plain; version=0.0.4\r\n"
		    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s"
		    "\r\n", buf_len(out), s->resp_close ?
		    "Connection: close\r\n" : "");
	s->res.in = out;
	s->res.fwd = buf_len(out);
	s->status = 200;
	memcpy(s->ctype, "text/plain", 11);
	s->applet.ops = &metrics_ops;
	strm_set_state(s, STRM_LOCAL);
	strm_deadline(s, s->sess->cfg->read_timeout);
}
