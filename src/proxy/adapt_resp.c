/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * adapt_resp.c - RESPMOD precache (see adapt.c for REQMOD and the
 * services): the origin's response through an ICAP service on its way
 * to the client and the cache.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
#include "proxy/cache.h"
#include "proxy/phase.h"
#include "proxy/proxy.h"
#include "proxy/req.h"
#include "proxy/rules.h"
#include "proxy/srv.h"
#include "proxy/stream.h"

/* ------------------------------------------------------------ RESPMOD */

/*
 * RESPMOD precache. The origin's head and body go to the service as they
 * are read (a chunked body decoded, then chunked for ICAP), with a
 * preview when the service asks for one. Until the service decides, the
 * head and the preview stay in the server's buffer: a 204 then lets the
 * original response go on exactly as if it had never been diverted
 * (srv_reparse()). A 200 brings the adapted head, and its body is relayed
 * to the client from the ICAP connection's buffer, in ICAP's chunks
 * (chunked for HTTP/1.1 clients, decoded and closed for HTTP/1.0 ones);
 * the cache stores the adapted response. Memory stays bounded: the origin
 * is read only while less than ADAPT_OUT_MAX bytes wait for the service,
 * and the service only while the client takes what it sent.
 */

static const struct cfg_icap_svc *
rm_cfg(const struct stream *s)
{
	return &s->sess->cfg->icap.svc[s->rm->svc];
}

/* The original response goes on unadapted: the service said 204, or it
 * failed and bypass=on allows it. reusable: its connection may be
 * pooled. */
static void
original(struct stream *s, int reusable)
{
	struct icap_xact *x = s->icap;
	struct adapt_rm *rm = s->rm;

	s->resp_body = rm->body0;
	if (x != NULL) {
		icap_xact_end(x, reusable);
		adapt_xact_done(s, x);
	}
	s->icap = NULL;
	free(rm);
	s->rm = NULL;
	srv_reparse(s);
}

/* The service failed (why): a response already started is cut; else
 * bypass=on lets the original go on while it is still whole here, and
 * anything else answers 500. Returns 1 (progress). */
static int
rm_failed(struct stream *s, const char *why)
{
	const struct cfg_icap_svc *cs = rm_cfg(s);
	struct icap_svc *sv = s->icap ? s->icap->svc : NULL;
	struct adapt_rm *rm = s->rm;

	if (sv != NULL && s->icap->state != ICAP_S_FAILED)
		icap_svc_error(sv);
	if (s->resp_head_done || s->bytes_out > 0) {
		log_msg(LOG_CRIT, "ERROR: ICAP service %s: %s; the response "
			"to %s %s is cut", cs->name, why, s->method, s->url);
		s->aborted = 1;
		adapt_cancel(s);
		strm_abort(s);
		return 1;
	}
	if (cs->bypass && rm->held >= rm->head_len) {
		if (sv != NULL)
			icap_svc_bypassed(sv);
		log_msg(LOG_CRIT, "WARNING: ICAP service %s: %s; the response "
			"to %s %s goes on unadapted (bypass=on)", cs->name,
			why, s->method, s->url);
		original(s, 0);
		return 1;
	}
	log_msg(LOG_CRIT, "ERROR: ICAP service %s: %s; %s %s is answered "
		"with an error (%s)", cs->name, why, s->method, s->url,
		cs->bypass ? "the response was no longer whole here" :
		"bypass=off");
	adapt_cancel(s);
	s->srv_reusable = 0;
	strm_error(s, 500, "ERR_ICAP_FAILURE", "The content adaptation "
		   "service failed.");
	return 1;
}

/* rm_failed(), for the steps that return -1 once s was answered. */
static int
rm_fail(struct stream *s, const char *why)
{
	rm_failed(s, why);
	return -1;
}

/* Append one ICAP chunk of n bytes at p to x->out. */
static int
put_chunk(struct icap_xact *x, const char *p, size_t n)
{
	if (icap_chunk_head(&x->out, n) < 0 ||
	    buf_reserve(&x->out, buf_len(&x->out) + n + 2) < 0 ||
	    buf_append(&x->out, p, n) < 0 ||
	    buf_append(&x->out, "\r\n", 2) < 0)
		return -ENOMEM;
	return 0;
}

/* The end of what the service gets now: the preview's end (more to come,
 * or the whole body: ieof), or the body's end. */
static int
put_end(struct stream *s, int body_done)
{
	struct adapt_rm *rm = s->rm;
	int rc;

	rc = icap_chunk_end(&s->icap->out, rm->pv_phase && body_done);
	if (rm->pv_phase) {
		rm->pv_phase = 0;
		rm->pv_wait = 1;
	}
	if (body_done)
		rm->up_done = 1;
	return rc;
}

/* Move origin body bytes from the server's buffer to the service. 1 on
 * progress, 0 none, -1 when s was answered or cut. */
static int
upload(struct stream *s)
{
	struct adapt_rm *rm = s->rm;
	struct icap_xact *x = s->icap;
	struct srv *srv = s->srv;
	struct buf *b = &srv->ibuf;
	size_t avail, room, take, raw;
	struct str d;
	ssize_t k;
	int p = 0, done;

	while (!rm->up_done && !rm->up_stop && !rm->pv_wait &&
	       buf_len(&x->out) < ADAPT_OUT_MAX) {
		if (rm->pv_phase && rm->pv_len >= (size_t)rm->preview) {
			if (put_end(s, 0) < 0)
				return rm_fail(s, "out of memory");
			p = 1;
			break;
		}
		avail = b->area ? buf_len(b) - rm->held : 0;
		room = rm->pv_phase ? (size_t)rm->preview - rm->pv_len :
		       (size_t)-1;
		done = 0;
		d = STR_NULL;
		if (avail == 0 && rm->up.kind == H1_BODY_CLOSE &&
		    srv->conn.eof) {
			/* The origin's end is the body's end. */
			if (put_end(s, 1) < 0)
				return rm_fail(s, "out of memory");
			p = 1;
			break;
		}
		if (avail == 0) {
			if (srv->conn.eof) {
				/* Cut by the origin: never complete. */
				log_msg(LOG_INFO, "server closed %s before the "
					"end of the response body", s->url);
				s->srv_reusable = 0;
				return rm_fail(s, "the server's response "
						 "was cut");
			}
			break;
		}
		switch (rm->up.kind) {
		case H1_BODY_LENGTH:
			take = avail < room ? avail : room;
			if (take > rm->up.left)
				take = (size_t)rm->up.left;
			d = str_make(buf_head(b) + rm->held, take);
			raw = take;
			rm->up.left -= take;
			done = rm->up.left == 0;
			break;
		case H1_BODY_CHUNKED:
			k = icap_chunk_next(&rm->ck, buf_head(b) + rm->held,
					    avail < room ? avail : room, &d);
			if (k == ICAP_INCOMPLETE) {
				if (srv->conn.eof)
					return rm_fail(s, "the server's "
							 "response was cut");
				goto out;
			}
			if (k < 0)
				return rm_fail(s, "the server's chunked "
						 "body is malformed");
			raw = (size_t)k;
			done = rm->ck.done;
			break;
		default:	/* H1_BODY_CLOSE */
			take = avail < room ? avail : room;
			d = str_make(buf_head(b) + rm->held, take);
			raw = take;
			break;
		}
		if (d.len > 0 && put_chunk(x, d.p, d.len) < 0)
			return rm_fail(s, "out of memory");
		if (rm->pv_phase) {
			rm->pv_len += d.len;
			rm->held += raw;
		} else {
			buf_consume(b, raw);
		}
		s->resp_body_seen += d.len;
		p = 1;
		if (done) {
			if (put_end(s, 1) < 0)
				return rm_fail(s, "out of memory");
			if (!rm->pv_wait && buf_len(b) > 0)
				s->srv_reusable = 0;	/* bytes after */
			break;
		}
	}
out:
	return p;
}

/* The service wants the rest after the preview (100), or answered it:
 * the kept bytes are not needed any more. */
static void
drop_held(struct stream *s)
{
	struct adapt_rm *rm = s->rm;

	buf_consume(&s->srv->ibuf, rm->held);
	rm->held = 0;
	rm->pv_wait = 0;
}

/* Read and apply the answer's head. 1 on progress, 0 waiting, -1 when s
 * was answered otherwise. */
static int
answer_head(struct stream *s)
{
	static struct h1_resp resp;
	struct adapt_rm *rm = s->rm;
	struct icap_xact *x = s->icap;
	const struct cfg *cfg = s->sess->cfg;
	struct hdr_resp_opts o;
	struct rules_hdr rh;
	struct h1_info info;
	struct h1_scan sc;
	struct h1_header te;
	enum icap_part body;
	const char *p;
	size_t len, end;
	int rc;

	if (x->in.area == NULL)
		return 0;
	rc = icap_parse_resp(buf_head(&x->in), buf_len(&x->in), ICAP_HEAD_MAX,
			     &x->resp);
	if (rc == ICAP_INCOMPLETE) {
		if (x->eof)
			return rm_fail(s, "the service closed the "
					 "connection without answering");
		return 0;
	}
	if (rc < 0)
		return rm_fail(s, icap_strerror(rc));
	if (x->resp.status == 100) {
		buf_consume(&x->in, (size_t)rc);
		/* After "ieof" a 100 means nothing (RFC 3507 errata). */
		if (rm->pv_wait && !rm->up_done)
			drop_held(s);
		return 1;
	}
	if (x->resp.status == 204) {
		if (rm->held < rm->head_len)
			return rm_fail(s, "204 after the body was sent "
					 "without Allow: 204");
		icap_svc_no_content(x->svc);
		buf_consume(&x->in, (size_t)rc);
		original(s, rm->up_done && buf_empty(&x->in));
		return -1;
	}
	if (x->resp.status != 200)
		return rm_fail(s, "the service answered with an error "
				 "status");
	x->head_len = (size_t)rc;
	if (adapt_encap_head(x, ICAP_P_RES_HDR, &p, &len) < 0)
		return rm_fail(s, "the answer has no response head");
	end = (size_t)rc + (size_t)x->resp.enc.e[x->resp.enc.n - 1].off;
	if (buf_len(&x->in) < end) {
		if (x->eof)
			return rm_fail(s, "the service closed the "
					 "connection in the answer's head");
		return 0;
	}
	memset(&sc, 0, sizeof(sc));
	if (h1_parse_resp(p, len, len, &sc, &resp) != (int)len ||
	    resp.status < 200 ||
	    h1_msg_info(resp.hdr, resp.nhdr, resp.minor, &info) < 0)
		return rm_fail(s, "the adapted response head is "
				 "malformed");
	/* An answer to the preview alone: the rest is not wanted. */
	if (rm->pv_wait && !rm->up_done) {
		drop_held(s);
		rm->up_stop = 1;
		s->srv_reusable = 0;
	} else if (rm->held > 0) {
		drop_held(s);
	}
	body = icap_encap_body(&x->resp.enc);
	memset(&o, 0, sizeof(o));
	o.via_name = cfg->via ? proxy_hostname : NULL;
	o.client_minor = s->minor;
	s->dechunk = 0;
	if (body == ICAP_P_RES_BODY && s->meth != H1_M_HEAD &&
	    resp.status != 204 && resp.status != 304) {
		/* ICAP's chunks go on as the client's: chunked for
		 * HTTP/1.1, decoded and delimited by closing for 1.0. */
		o.drop_framing = 1;
		s->resp_body.kind = H1_BODY_CHUNKED;
		memset(&s->resp_body.chunk, 0, sizeof(s->resp_body.chunk));
		if (s->minor == 0) {
			s->dechunk = 1;
		} else {
			te.name = STR_LIT("Transfer-Encoding");
			te.value = STR_LIT("chunked");
			o.extra = &te;
			o.nextra = 1;
		}
	} else {
		s->resp_body.kind = H1_BODY_NONE;
		if (s->meth != H1_M_HEAD && resp.status != 204 &&
		    resp.status != 304) {
			o.drop_te = 1;
			o.has_cl = 1;
			o.cl = 0;
		}
	}
	s->resp_close = s->resp_close || s->dechunk || !s->cli_keepalive ||
			proxy_draining();
	o.keepalive = !s->resp_close;
	rules_hdr_resp(&rh, s, &o);
	buf_reset(&s->res.hd);
	s->res.hd_sent = 0;
	if (buf_reserve(&s->res.hd, len + 1024) < 0 ||
	    hdr_build_resp(&s->res.hd, &resp, &o) < 0)
		return rm_fail(s, "the adapted response head is too "
				 "large");
	s->status = resp.status;
	/* The cache stores what the client gets (precache). */
	if (http_msg_keep_resp(&s->resm, &resp, p, len) == 0 &&
	    !s->cache.cond)
		(void)cache_response_head(s, &resp, &info, p, len);
	buf_consume(&x->in, end);
	s->res.in = &x->in;
	s->res.fwd = 0;
	s->resp_head_done = 1;
	rm->head_done = 1;
	if (s->resp_body.kind == H1_BODY_NONE) {
		s->resp_scanned = 1;
		rm->icap_done = 1;
		adapt_xact_time(s, x);
		if (body != ICAP_P_NULL_BODY)
			rm->up_stop = 1;	/* a body we do not read */
		icap_xact_end(x, rm->up_done && body == ICAP_P_NULL_BODY &&
			      buf_empty(&x->in));
	}
	return 1;
}

/* Approve the answer's body bytes for the client, as srv_scan_resp()
 * does for a server's. */
static int
relay(struct stream *s)
{
	struct adapt_rm *rm = s->rm;
	struct icap_xact *x = s->icap;
	struct buf *b = &x->in;
	size_t avail, rest;
	ssize_t n;
	int done = 0;

	avail = b->area ? buf_len(b) - s->res.fwd : 0;
	if (avail == 0) {
		if (!x->eof)
			return 0;
		/* Cut by the service: never present it as complete. */
		icap_svc_error(x->svc);
		log_msg(LOG_CRIT, "ERROR: ICAP service %s closed the "
			"connection in the middle of the response to %s %s: "
			"the client's response is cut", rm_cfg(s)->name,
			s->method, s->url);
		s->srv_reusable = 0;
		s->resp_close = 1;
		s->resp_scanned = 1;
		s->aborted = 1;
		rm->icap_done = 1;
		adapt_xact_time(s, x);
		return 1;
	}
	if (s->dechunk) {
		rest = avail;
		n = h1_dechunk(&s->resp_body, buf_head(b) + s->res.fwd, &rest,
			       &done);
		if (n >= 0)
			b->tail -= avail - rest;
	} else {
		n = h1_body_scan(&s->resp_body, buf_head(b) + s->res.fwd,
				 avail, &done);
	}
	if (n < 0) {
		log_msg(LOG_CRIT, "ERROR: ICAP service %s: malformed body in "
			"the answer for %s: the client's response is cut",
			rm_cfg(s)->name, s->url);
		icap_svc_error(x->svc);
		s->srv_reusable = 0;
		s->resp_close = 1;
		s->resp_scanned = 1;
		s->aborted = 1;
		rm->icap_done = 1;
		icap_xact_end(x, 0);
		return 1;
	}
	if (n > 0)
		cache_fill_data(s, buf_head(b) + s->res.fwd, (size_t)n);
	s->res.fwd += (uint64_t)n;
	if (done) {
		s->resp_scanned = 1;
		rm->icap_done = 1;
		adapt_xact_time(s, x);
		if (!rm->up_done)
			s->srv_reusable = 0;
		icap_xact_end(x, rm->up_done && buf_len(b) == s->res.fwd);
	}
	return n > 0 || done;
}

int
adapt_respmod_step(struct stream *s)
{
	struct adapt_rm *rm = s->rm;
	struct icap_xact *x = s->icap;
	int p = 0, rc, i;

	if (rm == NULL || x == NULL)
		return 0;
	if (x->state == ICAP_S_FAILED)
		return rm_failed(s, x->why ? x->why : "failed");
	if (x->state != ICAP_S_STREAM && x->state != ICAP_S_DONE)
		return 0;	/* connecting, or waiting for a connection */
	for (i = 0; i < 8; i++) {
		rc = 0;
		if (!rm->up_done && !rm->up_stop && !rm->pv_wait) {
			if ((rc = upload(s)) < 0)
				return 1;
		}
		if (x->state == ICAP_S_STREAM) {
			int r = icap_xact_io(x, !rm->head_done ||
					     !rm->icap_done);

			if (r < 0)
				return rm_failed(s, x->why ? x->why :
						 "failed");
			rc |= r;
		}
		if (!rm->head_done) {
			int r = answer_head(s);

			if (r < 0)
				return 1;
			rc |= r;
		}
		if (rm->head_done && !rm->icap_done)
			rc |= relay(s);
		if (!rc)
			break;
		p = 1;
		if (s->rm == NULL)
			break;
	}
	if (p)
		strm_touch(s);
	return p;
}

void
adapt_update_events(struct stream *s)
{
	if (s->rm != NULL && s->icap != NULL)
		icap_xact_want(s->icap, !s->rm->head_done ||
			       !s->rm->icap_done);
}

int
adapt_srv_hold(const struct stream *s)
{
	const struct adapt_rm *rm = s->rm;

	if (rm == NULL)
		return 0;
	return rm->up_done || rm->up_stop || rm->pv_wait ||
	       (s->icap != NULL && buf_len(&s->icap->out) >= ADAPT_OUT_MAX);
}

/* The service answered (or failed): wake the stream. */
static void
respmod_ev(void *arg, struct icap_xact *x)
{
	struct stream *s = arg;

	(void)x;
	strm_wake(s);
}

int
adapt_respmod_start(struct stream *s, const struct h1_resp *resp,
		    size_t hlen)
{
	const struct cfg *cfg = s->sess->cfg;
	const struct cfg_icap_svc *cs;
	struct icap_req_opts o;
	struct acl_ctx ctx;
	enum acl_verdict v;
	struct icap_svc *sv;
	struct icap_xact *x;
	struct adapt_rm *rm;
	struct buf head;
	char client[INET6_ADDRSTRLEN], user[400];
	long pv;
	int i, rc, has_body;

	if (!cfg->icap.enable || cfg->icap.nsvc == 0 || s->respmod_done ||
	    resp->status < 200 || resp->status == 101)
		return 0;
	s->respmod_done = 1;
	strm_acl_ctx(s, &ctx);
	i = adapt_choose(s, &ctx, &v, CFG_ICAP_RESPMOD);
	if (i < 0)
		return 0;
	cs = &cfg->icap.svc[i];
	sv = icap_svc_at((size_t)i);
	s->icap_svc = cs->name;
	if (sv == NULL || sv->down) {
		if (cs->bypass) {
			if (sv != NULL)
				icap_svc_bypassed(sv);
			log_msg(LOG_CRIT, "WARNING: ICAP service %s: the "
				"service is down; the response to %s %s goes "
				"on unadapted (bypass=on)", cs->name,
				s->method, s->url);
			return 0;
		}
		log_msg(LOG_CRIT, "ERROR: ICAP service %s: the service is "
			"down; %s %s is answered with an error (bypass=off)",
			cs->name, s->method, s->url);
		s->srv_reusable = 0;
		strm_error(s, 500, "ERR_ICAP_FAILURE", "The content "
			   "adaptation service failed.");
		return 1;
	}
	has_body = s->resp_body.kind != H1_BODY_NONE;
	rm = calloc(1, sizeof(*rm));
	x = icap_xact_new(sv, respmod_ev, s);
	memset(&head, 0, sizeof(head));
	if (rm == NULL || x == NULL || adapt_req_head(s, &head) < 0)
		goto nomem;
	rm->svc = i;
	rm->preview = -1;
	if (has_body && cfg->icap.preview_enable) {
		/* The service's OPTIONS decide (no Preview there: none,
		 * as in Squid); icap_preview_size until they are known. */
		pv = sv->opt_ok ? sv->opt.preview : cfg->icap.preview_size;
		/* The kept bytes must fit beside the head. */
		if (pv > ADAPT_PREVIEW_MAX)
			pv = ADAPT_PREVIEW_MAX;
		if (pv >= 0 && (size_t)pv > (s->srv->ibuf.size - hlen) / 2)
			pv = (long)((s->srv->ibuf.size - hlen) / 2);
		rm->preview = pv;
	}
	memset(&o, 0, sizeof(o));
	o.method = ICAP_M_RESPMOD;
	o.uri = str_make(sv->c.uri, strlen(sv->c.uri));
	o.host = str_make(sv->c.host, strlen(sv->c.host));
	o.req_hdr = str_make(buf_head(&head), buf_len(&head));
	o.res_hdr = str_make(buf_head(&s->srv->ibuf), hlen);
	o.has_body = has_body;
	o.preview = (int)rm->preview;
	/* A 204 is possible only while the original is kept whole here:
	 * without a body, or in answer to a preview (which needs no
	 * Allow: 204, RFC 3507 4.5). */
	o.allow204 = !has_body;
	if (cfg->icap.send_client_ip)
		o.client_ip = str_make(client, strlen(sa_ip_text(
			(const struct sockaddr *)&s->sess->addr, client,
			sizeof(client))));
	adapt_username(s, &o, user, sizeof(user));
	rc = icap_build_req(&x->out, &o);
	buf_free(&head);
	if (rc < 0)
		goto nomem;
	rm->body0 = s->resp_body;
	rm->up = s->resp_body;
	rm->head_len = hlen;
	if (rm->preview >= 0 || !has_body) {
		rm->held = hlen;	/* a 204 may still come */
		rm->pv_phase = rm->preview >= 0;
	} else {
		buf_consume(&s->srv->ibuf, hlen);
	}
	if (!has_body) {
		rm->up_done = 1;
		rm->pv_wait = 0;
	}
	s->rm = rm;
	s->icap = x;
	icap_xact_stream(x);
	return 1;
nomem:
	buf_free(&head);
	icap_xact_free(x);
	free(rm);
	s->srv_reusable = 0;
	strm_error(s, 500, "ERR_ICAP_FAILURE", "Out of memory.");
	return 1;
}
