/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * adapt.c - ICAP adaptation (RFC 3507) wired to the request path.
 *
 * REQMOD precache: after http_access allowed a request, adaptation_access
 * chooses at most one reqmod_precache service; the request head (absolute
 * URL, fields as received) goes to it, and its answer decides: 204 (or an
 * echo of the same request) lets the request go on unchanged; a new
 * request head replaces the request (adapted_http_access then applies to
 * it); an HTTP response goes to the client instead (a block page). A
 * service that is down or fails lets the request go on unadapted with a
 * cache.log line when it has bypass=on, and answers 500
 * ERR_ICAP_FAILURE when it has bypass=off. A request body of declared
 * length up to ADAPT_REQ_BODY_MAX is read whole first and sent from the
 * client's buffer (the service may change the head, not the body);
 * other bodies are not sent, which counts as a failure of the service
 * (bypass decides).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/sa.h"
#include "event/loop.h"
#include "http/h1.h"
#include "http/hdr.h"
#include "http/msg.h"
#include "icap/icap.h"
#include "icap/icap_conn.h"
#include "log/log.h"
#include "proxy/adapt-int.h"
#include "proxy/adapt.h"
#include "proxy/adapt-t.h"
#include "proxy/applet.h"
#include "proxy/auth.h"
#include "proxy/cache.h"
#include "proxy/phase.h"
#include "proxy/proxy.h"
#include "proxy/req.h"
#include "proxy/rules.h"
#include "proxy/srv.h"
#include "proxy/stream.h"

void
adapt_configure(const struct cfg *c)
{
	struct icap_svc_conf sc[CFG_ICAP_MAX_SVC];
	const struct cfg_icap *ic = &c->icap;
	size_t i, n = ic->enable ? ic->nsvc : 0;

	memset(sc, 0, sizeof(sc));
	for (i = 0; i < n; i++) {
		const struct cfg_icap_svc *s = &ic->svc[i];

		memcpy(sc[i].name, s->name, sizeof(sc[i].name));
		sc[i].addr = s->addr;
		sc[i].addrlen = s->addrlen;
		memcpy(sc[i].uri, s->uri, sizeof(sc[i].uri));
		memcpy(sc[i].host, s->host, sizeof(sc[i].host));
		sc[i].respmod = s->vec == CFG_ICAP_RESPMOD;
		sc[i].bypass = s->bypass;
		sc[i].max_conn = s->max_conn;
		sc[i].persistent = ic->persistent;
		sc[i].failure_limit = ic->failure_limit;
		sc[i].revival_delay = ic->revival_delay;
		/* Squid: peer_connect_timeout for optional services,
		 * connect_timeout for essential ones; tproxyd has one
		 * connect_timeout. */
		sc[i].connect_timeout = ic->connect_timeout > 0 ?
					ic->connect_timeout :
					c->connect_timeout;
		sc[i].io_timeout = ic->io_timeout > 0 ? ic->io_timeout :
				   c->read_timeout;
	}
	if (icap_configure(sc, n) < 0)
		log_msg(LOG_CRIT, "ERROR: ICAP services: out of memory; none "
			"is used");
}

/* x's exchange ended: its time counts for %icap::tt (once). */
void
adapt_xact_time(struct stream *s, struct icap_xact *x)
{
	if (x != NULL && x->t_start > 0) {
		s->icap_t += evl_now() - x->t_start;
		x->t_start = 0;
	}
}

/* x is done with. */
void
adapt_xact_done(struct stream *s, struct icap_xact *x)
{
	adapt_xact_time(s, x);
	icap_xact_free(x);
}

void
adapt_cancel(struct stream *s)
{
	struct icap_xact *x = s->icap;

	/* The response channel may read the answer's buffer. */
	if (x != NULL && s->res.in == &x->in) {
		s->res.in = NULL;
		s->res.fwd = 0;
	}
	s->icap = NULL;
	adapt_xact_done(s, x);
	free(s->rm);
	s->rm = NULL;
}

/* adaptation_access: skip rules of services of the other vectoring
 * point. */
struct pick {
	const struct cfg_icap *ic;
	enum cfg_icap_vec      vec;
};

static int
rule_is_vec(int action, void *arg)
{
	const struct pick *k = arg;
	size_t i = (size_t)action >> 1;

	return i < k->ic->nsvc && k->ic->svc[i].vec == k->vec;
}

/* The service of vectoring point vec for s, -1 none, or -2 with *v to
 * look up. */
int
adapt_choose(const struct stream *s, const struct acl_ctx *ctx,
	     enum acl_verdict *v, enum cfg_icap_vec vec)
{
	const struct cfg_icap *ic = &s->sess->cfg->icap;
	const struct access_rule *rule;
	struct pick k = { ic, vec };
	size_t i;

	if (ic->access.n == 0) {
		/* "Allow, unless rules exist": the first service. */
		for (i = 0; i < ic->nsvc; i++)
			if (ic->svc[i].vec == vec)
				return (int)i;
		return -1;
	}
	*v = acl_first(&ic->access, ctx, rule_is_vec, &k, &rule);
	if (*v == ACL_NEED_DST || *v == ACL_NEED_NAME)
		return -2;
	if (*v != ACL_ALLOW || rule == NULL || !(rule->allow & 1))
		return -1;
	return rule->allow >> 1;
}

/* The service failed s (why): bypass=on goes on, else 500. */
static void
failed(struct stream *s, const struct cfg_icap_svc *cs, struct icap_svc *sv,
       const char *why)
{
	if (cs->bypass) {
		if (sv != NULL)
			icap_svc_bypassed(sv);
		log_msg(LOG_CRIT, "WARNING: ICAP service %s: %s; %s %s goes "
			"on unadapted (bypass=on)", cs->name, why, s->method,
			s->url);
		phase_run(s);
		return;
	}
	log_msg(LOG_CRIT, "ERROR: ICAP service %s: %s; %s %s is answered "
		"with an error (bypass=off)", cs->name, why, s->method,
		s->url);
	s->hier = "HIER_NONE";
	strm_error(s, 500, "ERR_ICAP_FAILURE", "The content adaptation "
		   "service failed.");
}

/* The encapsulated head of part in x's answer: (p, len), 0 or -1. */
int
adapt_encap_head(const struct icap_xact *x, enum icap_part part,
		 const char **p, size_t *len)
{
	const struct icap_encap *e = &x->resp.enc;
	int i;

	for (i = 0; i + 1 < e->n; i++)
		if (e->e[i].part == part) {
			*p = buf_head(&x->in) + x->head_len + e->e[i].off;
			*len = (size_t)(e->e[i + 1].off - e->e[i].off);
			return 0;
		}
	return -1;
}

/* Apply a 200 answer to REQMOD. 0: the phases go on, 1: answered, -1
 * with *why: a failure of the service. */
static int
apply(struct stream *s, const struct icap_xact *x, const char **why)
{
	static struct h1_req req;
	static struct h1_resp resp;
	struct h1_scan sc;
	const char *p;
	size_t len;
	int rc;

	*why = "malformed answer";
	if (adapt_encap_head(x, ICAP_P_RES_HDR, &p, &len) == 0) {
		memset(&sc, 0, sizeof(sc));
		rc = h1_parse_resp(p, len, len, &sc, &resp);
		if (rc != (int)len)
			return -1;
		if (applet_response(s, &resp, buf_head(&x->body),
				    buf_len(&x->body)) < 0) {
			*why = "out of memory";
			return -1;
		}
		s->hier = "HIER_NONE";
		return 1;
	}
	if (adapt_encap_head(x, ICAP_P_REQ_HDR, &p, &len) == 0) {
		/* The body goes on as the client sent it: the service may
		 * change the head, not the body. */
		if (buf_len(&x->body) != (s->req.in ? s->req.fwd : 0) ||
		    (buf_len(&x->body) > 0 &&
		     memcmp(buf_head(&x->body), buf_head(s->req.in),
			    buf_len(&x->body)) != 0)) {
			*why = "the service changed the request body, which "
			       "tproxyd does not take from an ICAP service";
			return -1;
		}
		memset(&sc, 0, sizeof(sc));
		rc = h1_parse_req(p, len, len, &sc, &req);
		if (rc != (int)len)
			return -1;
		if (req_adapt(s, &req, p, len, why) < 0)
			return -1;
		return 0;
	}
	return -1;
}

static void
reqmod_done(void *arg, struct icap_xact *x)
{
	struct stream *s = arg;
	const struct cfg_icap *ic = &s->sess->cfg->icap;
	const struct cfg_icap_svc *cs = NULL;
	const char *why = x->why;
	size_t i;
	int rc;

	s->icap = NULL;
	for (i = 0; i < ic->nsvc; i++)
		if (strcmp(ic->svc[i].name, x->svc->c.name) == 0)
			cs = &ic->svc[i];
	if (x->state == ICAP_S_DONE && x->resp.status == 204) {
		phase_run(s);
	} else if (x->state == ICAP_S_DONE && x->resp.status == 200) {
		rc = apply(s, x, &why);
		if (rc == 0)
			phase_run(s);
		else if (rc < 0)
			failed(s, cs, x->svc, why);
	} else {
		if (x->state == ICAP_S_DONE)
			why = "the service answered with an error status";
		failed(s, cs, x->svc, why ? why : "failed");
	}
	adapt_xact_done(s, x);
	strm_wake(s);
}

/* The request head as the service sees it: the absolute URL, the fields
 * as received. 0 or -ENOMEM. */
void
adapt_username(const struct stream *s, struct icap_req_opts *o,
	       char *buf, size_t size)
{
	const struct cfg *cfg = s->sess->cfg;
	const char *u = auth_user(s);
	size_t len;

	if (!cfg->icap.send_client_username)
		return;
	if (u == NULL || u[0] == '\0')
		u = s->ext_user;
	if (u == NULL || u[0] == '\0')
		return;
	len = strlen(u);
	if (cfg->icap.username_encode) {
		if (4 * ((len + 2) / 3) + 1 > size)
			return;
		len = (size_t)EVP_EncodeBlock((unsigned char *)buf,
					      (const unsigned char *)u,
					      (int)len);
		u = buf;
	}
	o->username = str_make(u, len);
	if (cfg->icap.username_header != NULL)
		o->username_hdr = str_make(cfg->icap.username_header,
					   strlen(cfg->icap.username_header));
}

int
adapt_req_head(const struct stream *s, struct buf *b)
{
	const struct http_msg *m = &s->reqm;
	size_t i, need = s->url_len + 64;

	for (i = 0; i < m->nhdr; i++)
		need += m->hdr[i].name.len + m->hdr[i].value.len + 4;
	if (buf_reserve(b, need) < 0)
		return -ENOMEM;
	if (buf_appendf(b, "%s %.*s HTTP/1.1\r\n", s->method,
			(int)s->url_len, s->url) < 0)
		return -ENOMEM;
	for (i = 0; i < m->nhdr; i++)
		if (buf_append(b, m->hdr[i].name.p, m->hdr[i].name.len) < 0 ||
		    buf_append(b, ": ", 2) < 0 ||
		    buf_append(b, m->hdr[i].value.p,
			       m->hdr[i].value.len) < 0 ||
		    buf_append(b, "\r\n", 2) < 0)
			return -ENOMEM;
	return buf_append(b, "\r\n", 2);
}

enum adapt_rc
adapt_reqmod(struct stream *s, const struct acl_ctx *ctx,
	     enum acl_verdict *v)
{
	const struct cfg *cfg = s->sess->cfg;
	const struct cfg_icap_svc *cs;
	struct icap_req_opts o;
	struct icap_svc *sv;
	struct icap_xact *x;
	struct buf head;
	char client[INET6_ADDRSTRLEN], user[400];
	enum acl_verdict av;
	int i, rc;

	if (!cfg->icap.enable || cfg->icap.nsvc == 0 || s->meth ==
	    H1_M_CONNECT) {
		s->reqmod_done = 1;
		return ADAPT_GO;
	}
	i = adapt_choose(s, ctx, &av, CFG_ICAP_REQMOD);
	if (i == -2) {
		*v = av;	/* what to look up before asking again */
		return ADAPT_NEED;
	}
	s->reqmod_done = 1;
	if (i < 0)
		return ADAPT_GO;
	cs = &cfg->icap.svc[i];
	sv = icap_svc_at((size_t)i);
	s->icap_svc = cs->name;
	if (sv == NULL || sv->down) {
		failed(s, cs, sv, "the service is down");
		return ADAPT_WAIT;
	}
	if (s->req_body.kind != H1_BODY_NONE) {
		/* A small body with a declared length is sent whole, once
		 * the client's buffer holds it; others are not sent. */
		if (s->req_body.kind != H1_BODY_LENGTH ||
		    s->req_body_seen + s->req_body.left > ADAPT_REQ_BODY_MAX ||
		    s->req.in == NULL || s->req_body_seen + s->req_body.left >
		    s->req.in->size) {
			failed(s, cs, sv, "a request body of unknown length "
			       "or over 64 KiB is not sent to ICAP services");
			return ADAPT_WAIT;
		}
		if (!s->req_scanned) {
			s->reqmod_done = 0;	/* asked again with it */
			s->reqmod_body_wait = 1;
			return ADAPT_WAIT;
		}
	}
	x = icap_xact_new(sv, reqmod_done, s);
	memset(&head, 0, sizeof(head));
	if (x == NULL || adapt_req_head(s, &head) < 0) {
		buf_free(&head);
		icap_xact_free(x);
		failed(s, cs, sv, "out of memory");
		return ADAPT_WAIT;
	}
	memset(&o, 0, sizeof(o));
	o.method = ICAP_M_REQMOD;
	o.uri = str_make(sv->c.uri, strlen(sv->c.uri));
	o.host = str_make(sv->c.host, strlen(sv->c.host));
	o.req_hdr = str_make(buf_head(&head), buf_len(&head));
	o.has_body = s->req_body.kind != H1_BODY_NONE;
	o.preview = -1;
	o.allow204 = 1;
	if (cfg->icap.send_client_ip)
		o.client_ip = str_make(client, strlen(sa_ip_text(
			(const struct sockaddr *)&s->sess->addr, client,
			sizeof(client))));
	adapt_username(s, &o, user, sizeof(user));
	rc = icap_build_req(&x->out, &o);
	buf_free(&head);
	if (rc == 0 && o.has_body) {
		/* The whole body, read and approved in the client's
		 * buffer: one chunk. */
		size_t n = (size_t)s->req.fwd;

		rc = icap_chunk_head(&x->out, n);
		if (rc == 0 && buf_reserve(&x->out, buf_len(&x->out) + n + 16)
		    < 0)
			rc = -ENOMEM;
		if (rc == 0 && (buf_append(&x->out, buf_head(s->req.in), n) <
				0 || buf_append(&x->out, "\r\n", 2) < 0))
			rc = -ENOMEM;
		if (rc == 0)
			rc = icap_chunk_end(&x->out, 0);
	}
	if (rc < 0) {
		icap_xact_free(x);
		failed(s, cs, sv, "cannot build the request");
		return ADAPT_WAIT;
	}
	s->icap = x;
	/* The stream waits for the service, within its timeouts. */
	strm_deadline(s, sv->c.connect_timeout + sv->c.io_timeout + 1);
	icap_xact_start(x, ICAP_RESP_MAX);
	return ADAPT_WAIT;
}
