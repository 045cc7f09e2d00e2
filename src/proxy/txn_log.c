/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * txn_log.c - a stream's access.log record and its request counters,
 * written once when the stream ends (delivered, answered here, cut).
 */
#include <stdio.h>
#include <string.h>

#include "acl/acl-t.h"
#include "config/config.h"
#include "http/msg.h"
#include "event/loop.h"
#include "log/access_log.h"
#include "net/xprt_tls.h"
#include "proxy/auth.h"
#include "proxy/peek.h"
#include "proxy/stream.h"
#include "stats/stats.h"
#include "tls/tls.h"

/* client_netmask: the client's address as logged, in out. */
static const struct sockaddr *
mask_client(const struct cfg *c, const struct sockaddr *sa,
	    struct sockaddr_storage *out)
{
	unsigned char *b;
	size_t i;

	memcpy(out, sa, sa->sa_family == AF_INET6 ?
	       sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	if (sa->sa_family == AF_INET) {
		b = (unsigned char *)&((struct sockaddr_in *)out)->sin_addr;
		for (i = 0; i < 4; i++)
			b[i] &= c->client_netmask4[i];
	} else {
		b = (unsigned char *)&((struct sockaddr_in6 *)out)->sin6_addr;
		for (i = 0; i < 16; i++)
			b[i] &= c->client_netmask6[i];
	}
	return (const struct sockaddr *)out;
}

/* The intercepted TLS connection's facts for the %ssl:: codes. */
static void
tls_fields(const struct tls_peek *tp, struct alog_rec *r, char *errs,
	   size_t errlen)
{
	size_t o = 0;
	int i, k;

	if (tp->hello_rc == TLS_OK) {
		if (tp->hello.has_sni)
			r->tls[ALOG_TLS_SNI] = tp->hello.sni;
		r->tls[ALOG_TLS_HELLO_VERSION] =
			tls_version_str(tp->hello.legacy_version);
		r->tls[ALOG_TLS_SUPPORTED] =
			tls_version_str(tp->hello.version);
		if (tp->hello.ech)
			r->tls[ALOG_TLS_ECH] = "outer";
		if (tp->hello.alpn[0] != '\0')
			r->tls[ALOG_TLS_ALPN] = tp->hello.alpn;
	}
	if (tp->act != 0)
		r->tls[ALOG_TLS_BUMP_MODE] = peek_mode_str(tp->act);
	if (tp->srvh.version != 0) {
		r->tls[ALOG_TLS_VERSION] = tls_version_str(tp->srvh.version);
		r->tls[ALOG_TLS_SRV_HELLO_VERSION] = r->tls[ALOG_TLS_VERSION];
	}
	if (tp->cert != NULL && tp->cert->nerr > 0) {
		errs[0] = '\0';
		for (i = 0; i < tp->cert->nerr; i++) {
			k = snprintf(errs + o, errlen - o, "%s%s",
				     i ? ":" : "", tp->cert->err[i]);
			if (k < 0 || (size_t)k >= errlen - o)
				break;
			o += (size_t)k;
		}
		r->tls[ALOG_TLS_CERT_ERRORS] = errs;
	}
}

void
strm_log(struct stream *s)
{
	struct alog_rec r;
	struct sockaddr_storage masked;
	struct acl_ctx ctx;
	const struct sockaddr *peer = NULL;
	const struct str *cl;
	struct xprt_tls_info ti;
	char errs[256];
	size_t k;

	if (s->logged || s->start == 0)
		return;
	s->logged = 1;
	/* A scrape of the stats_port is not client traffic: not logged
	 * unless the port says "log". */
	if (s->sess->stats_port && !(s->sess->port != NULL &&
				     s->sess->port->log_scrapes))
		return;
	evl_now_update();
	memset(&r, 0, sizeof(r));
	r.end = evl_now();
	r.start = s->start;
	r.elapsed_ms = (long)((r.end - s->start) * 1000.0 + 0.5);
	r.client = (const struct sockaddr *)&s->sess->addr;
	if (s->has_indirect && s->sess->cfg->rules.log_indirect)
		r.client = (const struct sockaddr *)&s->indirect;
	r.local = (const struct sockaddr *)&s->sess->local;
	if (s->sess->cfg->client_netmask_set)
		r.client = mask_client(s->sess->cfg, r.client, &masked);
	r.code = s->code ? s->code : "TCP_MISS";
	r.status = s->status;
	r.aborted = s->aborted;
	/* Scrapes of the stats_port are not traffic: they would make every
	 * scrape see a different count. */
	if (!s->sess->stats_port) {
		stats_status(s->aborted ? 0 : s->status);
		if (s->aborted)
			stats.aborted++;
		stats_request_time(r.code, r.end - r.start);
	}
	r.bytes = s->bytes_out;
	r.method = str_make(s->method, strlen(s->method));
	/* A rewritten URL is logged as received (Squid's log_uri). */
	if (s->orig_url != NULL)
		r.url = str_make(s->orig_url, strlen(s->orig_url));
	else
		r.url = str_make(s->url ? s->url : "", s->url ? s->url_len :
				 0);
	if (s->hier == NULL)
		s->hier = "HIER_NONE";
	r.hier = s->hier;
	if (s->naddr > 0 && s->addr_idx < s->naddr &&
	    strcmp(s->hier, "HIER_NONE") != 0)
		peer = (const struct sockaddr *)&s->addr[s->addr_idx];
	r.peer = peer;
	if (s->peer != NULL && peer != NULL)
		r.peer_name = s->peer->host;
	r.type = str_make(s->ctype, strlen(s->ctype));
	r.errname = s->errname;
	r.icap_svc = s->icap_svc;
	r.icap_ms = (unsigned long)(s->icap_t * 1000 + 0.5);
	r.ext_user = s->ext_user;
	r.tag = s->ext_tag;
	r.ext_log = s->ext_log;
	r.user = auth_user(s);
	r.host = str_make(s->host, strlen(s->host));
	r.port = s->port;
	if (s->url != NULL && s->meth != H1_M_CONNECT)
		r.path = str_make(s->url + s->path_off,
				  s->url_len - s->path_off);
	r.minor = s->reqm.valid ? s->reqm.minor : -1;
	r.req = s->reqm.valid ? &s->reqm : NULL;
	r.resp = s->resm.valid ? &s->resm : NULL;
	/* %>st: the head as received and the body its Content-Length
	 * announced (a chunked body is not counted). */
	if (r.req != NULL) {
		r.bytes_in = s->reqm.hlen;
		cl = http_msg_field(&s->reqm, "Content-Length");
		if (cl != NULL && cl->len < 20) {
			uint64_t v = 0;
			size_t i;

			for (i = 0; i < cl->len && cl->p[i] >= '0' &&
			     cl->p[i] <= '9'; i++)
				v = v * 10 + (uint64_t)(cl->p[i] - '0');
			r.bytes_in += v;
		}
	}
	/* The ACL context only when some access_log line has ACLs (it costs
	 * a few hundred instructions per request). */
	for (k = 0; k < s->sess->cfg->nalog; k++)
		if (s->sess->cfg->alog[k].nacl > 0)
			break;
	if (k < s->sess->cfg->nalog)
		strm_acl_ctx(s, &ctx);
	if (s->tls != NULL)
		tls_fields(s->tls, &r, errs, sizeof(errs));
	else if (s->sess->bumped != NULL)
		tls_fields(s->sess->bumped, &r, errs, sizeof(errs));
	else if (s->tls_mode != NULL)
		r.tls[ALOG_TLS_BUMP_MODE] = s->tls_mode;
	if (s->fe->xprt == &xprt_tls) {
		/* Bumped: the session with the client is tproxyd's. */
		xprt_tls_info(s->fe, &ti);
		r.tls[ALOG_TLS_VERSION] = tls_version_str(ti.version);
		r.tls[ALOG_TLS_CIPHER] = ti.cipher;
	}
	alog_write(&r, k < s->sess->cfg->nalog ? &ctx : NULL);
}
