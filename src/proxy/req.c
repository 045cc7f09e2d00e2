/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req.c - from a parsed request head to a stream ready for its phases:
 * the target (absolute-form on forward ports, CONNECT's authority, or
 * rebuilt from Host and the original destination on interception ports,
 * with the Host checks), the checks that answer at once (forwarding loop,
 * bad URL, bad framing), and the head rewritten for the server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/sa.h"
#include "event/loop.h"
#include "http/h1.h"
#include "http/hdr.h"
#include "http/msg.h"
#include "http/url.h"
#include "intercept/listener.h"
#include "intercept/loopguard.h"
#include "log/log.h"
#include "proxy/applet.h"
#include "proxy/peek-t.h"
#include "proxy/phase.h"
#include "proxy/proxy.h"
#include "proxy/req.h"
#include "proxy/rules.h"
#include "proxy/stream.h"

int
req_set_form(struct stream *s, int absolute)
{
	struct buf *b = &s->req.hd;
	const char *target, *slash = "";
	size_t restlen, tlen;
	char *eol, *tmp;

	eol = memchr(buf_head(b), '\n', buf_len(b));
	if (eol == NULL)
		return -1;
	restlen = (size_t)(buf_tail(b) - (eol + 1));
	if (absolute) {
		target = s->url;
		tlen = s->url_len;
	} else {
		/* "http://h" is "/", "http://h?x" is "/?x" (RFC 9112
		 * 3.2.1). */
		target = s->url + s->path_off;
		tlen = s->url_len - s->path_off;
		if (tlen == 0 || target[0] != '/')
			slash = "/";
	}
	if (strlen(s->method) + tlen + 13 + restlen > b->size)
		return -1;
	tmp = malloc(restlen + 1);
	if (tmp == NULL)
		return -1;
	memcpy(tmp, eol + 1, restlen);
	buf_reset(b);
	if (buf_appendf(b, "%s %s%.*s HTTP/1.1\r\n", s->method, slash,
			(int)tlen, target) < 0 ||
	    buf_append(b, tmp, restlen) < 0) {
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* Insert "name: value" at the end of the request head for the server. */
int
req_add_field(struct stream *s, struct str name, struct str value)
{
	struct buf *b = &s->req.hd;
	size_t need = name.len + value.len + 4;
	char *end;

	if (buf_len(b) < 4 || buf_room(b) < need)
		return -ENOSPC;
	end = buf_tail(b) - 2;		/* the empty line's CRLF */
	memcpy(end, name.p, name.len);
	end += name.len;
	*end++ = ':';
	*end++ = ' ';
	memcpy(end, value.p, value.len);
	end += value.len;
	memcpy(end, "\r\n\r\n", 4);
	buf_commit(b, need);
	return 0;
}

int
req_del_field(struct stream *s, const char *name)
{
	struct buf *b = &s->req.hd;
	size_t nlen = strlen(name), gone;
	char *line, *eol, *end;
	int n = 0;

	line = memchr(buf_head(b), '\n', buf_len(b));
	while (line != NULL) {
		line++;
		end = buf_tail(b);
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL || eol - line <= 1)
			break;		/* the empty line */
		if ((size_t)(eol - line) > nlen && line[nlen] == ':' &&
		    strncasecmp(line, name, nlen) == 0) {
			gone = (size_t)(eol + 1 - line);
			memmove(line, eol + 1, (size_t)(end - (eol + 1)));
			b->tail -= gone;
			n++;
			line--;		/* the previous line's LF */
			continue;
		}
		line = eol;
	}
	return n;
}

int
req_set_host(struct stream *s, struct str value)
{
	struct buf *b = &s->req.hd;
	char *p = buf_head(b), *end = buf_tail(b), *line, *eol, *v, *tmp;
	size_t restlen, pre;

	line = memchr(p, '\n', (size_t)(end - p));
	while (line != NULL && line + 1 < end) {
		line++;
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL || eol - line <= 1)
			break;
		if (eol - line > 5 && strncasecmp(line, "Host:", 5) == 0) {
			v = line + 5;
			pre = (size_t)(v - p);
			restlen = (size_t)(end - eol);
			if (pre + 1 + value.len + 1 + restlen > b->size)
				return -1;
			tmp = malloc(restlen);
			if (tmp == NULL)
				return -1;
			/* "Host: VALUE\r" then the rest from "\n". */
			memcpy(tmp, eol, restlen);
			b->tail = b->head + pre;
			if (buf_append(b, " ", 1) < 0 ||
			    buf_append(b, value.p, value.len) < 0 ||
			    buf_append(b, "\r", 1) < 0 ||
			    buf_append(b, tmp, restlen) < 0) {
				free(tmp);
				return -1;
			}
			free(tmp);
			return 0;
		}
		line = eol;
	}
	return req_add_field(s, STR_LIT("Host"), value);
}

/* The connection reached an interception port directly, not through
 * interception: forwarding it would be to ourselves. Answers 403. */
static void
not_intercepted(struct stream *s)
{
	char c[INET6_ADDRSTRLEN];

	log_msg(LOG_CRIT, "ERROR: %s from %s was sent straight to this "
		"proxy's %s port %s, not intercepted: clients must not be "
		"configured to use an interception port (use a forward-proxy "
		"http_port for that), and routing must deliver intercepted "
		"traffic with the TPROXY/REDIRECT rules", s->method,
		sa_ip_text((const struct sockaddr *)&s->sess->addr, c,
			   sizeof(c)),
		s->sess->port->mode == PORT_TPROXY ? "tproxy" : "intercept",
		s->sess->port->name);
	s->code = "TCP_DENIED";
	strm_error(s, 403, "ERR_ACCESS_DENIED",
		   "This port only serves intercepted traffic.");
}

/*
 * Target of a request on an intercepted port (origin-form, built into a URL
 * from Host, or from the original destination when Host is missing, as in
 * HTTP/1.0). Checks Host against the original destination. Returns 0 to go
 * on, 1 when the request was answered here, -1 when malformed.
 */
static int
intercepted_target(struct stream *s, const struct h1_req *req,
		   const struct h1_info *info)
{
	const struct sockaddr *od = (const struct sockaddr *)&s->sess->odst;
	const char *path, *slash, *auth;
	char au[INET6_ADDRSTRLEN + 10];
	int k;
	size_t plen, alen;
	int explicit_port;
	struct sockaddr_storage h;
	struct in6_addr a6;
	struct in_addr a4;
	/* A bumped connection's requests are https:// (port 443). */
	int tls = s->sess->bumped != NULL;
	struct str scheme = tls ? STR_LIT("https://") : STR_LIT("http://");
	unsigned defport = tls ? 443 : 80;

	if (s->meth == H1_M_CONNECT || req->target.len == 0)
		return -1;
	if (lsn_is_own(od)) {
		not_intercepted(s);
		return 1;
	}
	path = req->target.p;
	plen = req->target.len;
	if (plen >= scheme.len &&
	    strncasecmp(path, scheme.p, scheme.len) == 0) {
		/* absolute-form is allowed here too (RFC 9112 3.2.2) */
		if (url_authority_end(path, plen, &slash) < 0)
			return -1;
		auth = path + scheme.len;
		alen = (size_t)(slash - auth);
		plen -= (size_t)(slash - path);
		path = slash;
	} else if (path[0] == '/') {
		if (info->nhost > 1)
			return -1;
		if (info->host >= 0) {
			auth = req->hdr[info->host].value.p;
			alen = req->hdr[info->host].value.len;
		} else {
			auth = NULL;
			alen = 0;
		}
	} else {
		return -1;
	}
	if (auth == NULL || alen == 0) {
		/* No Host (HTTP/1.0): the original destination names the
		 * server: "http://IP[:PORT]PATH". */
		sa_ip_text(od, s->host, sizeof(s->host));
		s->port = sa_port(od);
		if (s->port != defport)
			k = snprintf(au, sizeof(au), od->sa_family == AF_INET6
				     ? "[%s]:%u" : "%s:%u", s->host, s->port);
		else
			k = snprintf(au, sizeof(au), od->sa_family == AF_INET6
				     ? "[%s]" : "%s", s->host);
		if (k < 0 || (size_t)k >= sizeof(au) ||
		    strm_set_url(s, scheme, str_make(au, (size_t)k),
				 str_make(path, plen)) < 0)
			return -1;
		s->path_off = s->url_len - plen;
		return 0;
	}
	explicit_port = url_parse_authority(auth, alen, defport, s->host,
					    &s->port);
	if (explicit_port < 0)
		return -1;
	if (strm_set_url(s, scheme, str_make(auth, alen),
			 str_make(path, plen)) < 0)
		return -1;
	s->path_off = scheme.len + alen;
	/* Host check (Squid's hostHeaderVerify). */
	if (explicit_port && s->port != sa_port(od)) {
		if (phase_host_forgery(s, "intercepted port does not match "
				       "the Host port") < 0)
			return 1;
	} else if (inet_pton(AF_INET, s->host, &a4) == 1 ||
		   inet_pton(AF_INET6, s->host, &a6) == 1) {
		memset(&h, 0, sizeof(h));
		if (inet_pton(AF_INET, s->host, &a4) == 1) {
			h.ss_family = AF_INET;
			((struct sockaddr_in *)&h)->sin_addr = a4;
		} else {
			h.ss_family = AF_INET6;
			((struct sockaddr_in6 *)&h)->sin6_addr = a6;
		}
		if (!sa_same_ip((struct sockaddr *)&h, od) &&
		    phase_host_forgery(s, "local IP does not match the Host "
				       "IP") < 0)
			return 1;
	} else {
		s->verify_pending = 1;
	}
	return 0;
}

/* Answer a request that cannot go on: its head is consumed already. */
static void
refuse(struct stream *s, int status, const char *errname,
       const char *detail)
{
	s->code = "TAG_NONE";
	strm_error(s, status, errname, detail);
}

/*
 * Target of a request inside a bumped CONNECT (a forward port): origin-form
 * with Host (without one, the CONNECT's host), or absolute https://, made
 * into "https://AUTHORITY/PATH". The server connection goes where the
 * CONNECT said: a request that names another server or port is refused
 * (409), so that the rules and the log see where it really goes. Returns
 * 0 to go on, 1 when answered here, -1 when malformed.
 */
static int
bumped_target(struct stream *s, const struct h1_req *req,
	      const struct h1_info *info)
{
	const struct tls_peek *tp = s->sess->bumped;
	struct str scheme = STR_LIT("https://");
	const char *path = req->target.p, *slash, *auth;
	size_t plen = req->target.len, alen;
	char au[URL_HOST_MAX + 16];
	int k;

	if (s->meth == H1_M_CONNECT || plen == 0)
		return -1;
	if (plen >= scheme.len &&
	    strncasecmp(path, scheme.p, scheme.len) == 0) {
		if (url_authority_end(path, plen, &slash) < 0)
			return -1;
		auth = path + scheme.len;
		alen = (size_t)(slash - auth);
		plen -= (size_t)(slash - path);
		path = slash;
	} else if (path[0] == '/') {
		if (info->nhost > 1)
			return -1;
		auth = info->host >= 0 ? req->hdr[info->host].value.p : NULL;
		alen = info->host >= 0 ? req->hdr[info->host].value.len : 0;
	} else {
		return -1;
	}
	if (auth == NULL || alen == 0) {
		k = snprintf(au, sizeof(au), strchr(tp->connect_host, ':') ?
			     "[%s]:%u" : "%s:%u", tp->connect_host,
			     tp->connect_port);
		if (k < 0 || (size_t)k >= sizeof(au))
			return -1;
		auth = au;
		alen = (size_t)k;
	}
	if (url_parse_authority(auth, alen, 443, s->host, &s->port) < 0 ||
	    strm_set_url(s, scheme, str_make(auth, alen),
			 str_make(path, plen)) < 0)
		return -1;
	s->path_off = scheme.len + alen;
	if (strcasecmp(s->host, tp->connect_host) != 0 ||
	    s->port != tp->connect_port) {
		if (log_enabled(LOG_INFO)) {
			char c[INET6_ADDRSTRLEN];

			log_msg(LOG_INFO, "%s from %s inside a CONNECT to "
				"%s:%u: refused (another server)", s->url,
				sa_ip_text((const struct sockaddr *)
					   &s->sess->addr, c, sizeof(c)),
				tp->connect_host, tp->connect_port);
		}
		refuse(s, 409, "ERR_CONFLICT_HOST", "The request names "
		       "another server than the one this connection was "
		       "opened to (CONNECT).");
		return 1;
	}
	return 0;
}

/* The head for the server: the received one, less hop-by-hop fields, plus
 * Host, Via and X-Forwarded-For, in origin-form. 0, or -1 when it does not
 * fit (431). */
static int
build_head(struct stream *s, const struct h1_req *req, size_t hlen,
	   const struct h1_info *info)
{
	const struct cfg *cfg = s->sess->cfg;
	struct hdr_req_opts o;
	struct rules_hdr rh;
	char client[INET6_ADDRSTRLEN];
	int rc;

	if (buf_reserve(&s->req.hd, hlen + 2 * s->url_len + 1024) < 0)
		return -2;
	memset(&o, 0, sizeof(o));
	o.method = req->method;
	/* Origin-form: the path as sent when there is one; otherwise
	 * req_set_form() below writes "/" or "/?query". */
	if (s->path_off < s->url_len && s->url[s->path_off] == '/')
		o.target = str_make(s->url + s->path_off,
				    s->url_len - s->path_off);
	else
		o.target = STR_LIT("*");
	{
		/* The authority, after "http://" or "https://". */
		const char *a = memchr(s->url, ':', s->url_len);
		size_t skip = a != NULL ? (size_t)(a - s->url) + 3 : 7;

		o.host = str_make(s->url + skip, s->path_off - skip);
	}
	o.via_name = cfg->via ? proxy_hostname : NULL;
	o.xff = (int)cfg->forwarded_for;
	o.client = sa_ip_text((const struct sockaddr *)&s->sess->addr, client,
			      sizeof(client));
	o.upgrade = s->upgrade;
	o.has_cl = info->has_cl;
	o.cl = info->cl;
	/* request_header_access, _replace, _add. */
	rules_hdr_req(&rh, s, &o);
	rc = hdr_build_req(&s->req.hd, req, &o);
	if (rc == 0 && o.target.p[0] == '*')
		rc = req_set_form(s, 0);
	return rc < 0 ? -1 : 0;
}

int
req_adapt(struct stream *s, const struct h1_req *req, const char *head,
	  size_t hlen, const char **why)
{
	struct h1_info info;
	struct h1_body body;
	char host[URL_HOST_MAX];
	unsigned port;
	const char *p = req->target.p, *slash;
	size_t n = req->target.len, ml, skip;
	int tls = strncasecmp(s->url, "https://", 8) == 0;
	struct str scheme = tls ? STR_LIT("https://") : STR_LIT("http://");

	*why = "malformed adapted request";
	if (h1_msg_info(req->hdr, req->nhdr, req->minor, &info) < 0 ||
	    h1_req_framing(req, &info, &body) < 0)
		return -1;
	/* The body is the client's, already read: the new head must
	 * frame it as it is (the same length), or have none with it. */
	if (h1_method_of(req->method) == H1_M_CONNECT ||
	    (body.kind == H1_BODY_NONE) != (s->req_body.kind ==
					    H1_BODY_NONE) ||
	    (body.kind != H1_BODY_NONE && (body.kind != H1_BODY_LENGTH ||
					   body.left != s->req.fwd))) {
		*why = "the adapted request is a CONNECT, or frames a body "
		       "other than the client's";
		return -1;
	}
	if (n > 7 && strncasecmp(p, "http://", 7) == 0)
		skip = 7;
	else if (n > 8 && strncasecmp(p, "https://", 8) == 0)
		skip = 8;
	else
		skip = 0;
	if (skip > 0) {
		if (url_authority_end(p, n, &slash) < 0 ||
		    url_parse_authority(p + skip, (size_t)(slash - p) - skip,
					skip == 8 ? 443 : 80, host, &port) < 0)
			return -1;
		if (strm_set_url(s, req->target, STR_NULL, STR_NULL) < 0)
			return -1;
		s->path_off = (size_t)(slash - p);
	} else if (n > 0 && p[0] == '/' && info.host >= 0 &&
		   info.nhost == 1) {
		struct str a = req->hdr[info.host].value;

		if (url_parse_authority(a.p, a.len, tls ? 443 : 80, host,
					&port) < 0 ||
		    strm_set_url(s, scheme, a, req->target) < 0)
			return -1;
		s->path_off = scheme.len + a.len;
	} else {
		return -1;
	}
	if (strcmp(host, s->host) != 0 || port != s->port) {
		/* Another server than the one the client asked for: it
		 * is found by its name, not by the original destination,
		 * and the Host check no longer applies. */
		memcpy(s->host, host, strlen(host) + 1);
		s->port = port;
		s->host_adapted = 1;
		s->verify_pending = 0;
		s->origin_resolved = 0;
		s->naddr = 0;
	}
	if (http_msg_keep_req(&s->reqm, req, head, hlen) < 0)
		return -1;
	s->meth = h1_method_of(req->method);
	ml = req->method.len < sizeof(s->method) - 1 ? req->method.len :
	     sizeof(s->method) - 1;
	memcpy(s->method, req->method.p, ml);
	s->method[ml] = '\0';
	s->upgrade = info.conn_upgrade && info.upgrade >= 0;
	buf_reset(&s->req.hd);
	s->req.hd_sent = 0;
	if (build_head(s, req, hlen, &info) < 0) {
		*why = "the adapted request head is too large";
		return -1;
	}
	return 0;
}

void
req_start(struct stream *s, struct h1_req *req, size_t hlen, struct buf *in)
{
	const struct sess *se = s->sess;
	struct h1_info info;
	const char *p, *slash;
	size_t n, ml;
	int rc;

	/* The request as received, for what decides after its head was
	 * rewritten and consumed. */
	if (http_msg_keep_req(&s->reqm, req, buf_head(in), hlen) < 0)
		goto fail500;
	if (se->stats_port) {
		applet_stats_request(s, req);
		buf_consume(in, hlen);
		return;
	}
	s->meth = h1_method_of(req->method);
	ml = req->method.len < sizeof(s->method) - 1 ? req->method.len :
	     sizeof(s->method) - 1;
	memcpy(s->method, req->method.p, ml);
	s->method[ml] = '\0';
	s->minor = req->minor;
	s->code = "TCP_MISS";
	if (strm_set_url(s, req->target, STR_NULL, STR_NULL) < 0)
		goto fail500;

	rc = h1_msg_info(req->hdr, req->nhdr, req->minor, &info);
	if (rc == 0)
		rc = h1_req_framing(req, &info, &s->req_body);
	if (rc < 0) {
		buf_consume(in, hlen);
		refuse(s, rc == H1_E_TE_UNSUP ? 501 : 400,
		       rc == H1_E_TE_UNSUP ? "ERR_UNSUP_REQ" :
		       "ERR_INVALID_REQ", h1_strerror(rc));
		return;
	}
	s->cli_keepalive = req->minor == 1 ? !info.conn_close
					   : info.conn_keepalive;
	if (proxy_draining())
		s->cli_keepalive = 0;
	/* request_body_max_size, before anything else (Squid too): a
	 * declared length over it is refused at once; a chunked body is
	 * cut when it passes it (cli_produce_req()). */
	if (rules_request_body_max(s) > 0 &&
	    s->req_body.kind == H1_BODY_LENGTH &&
	    s->req_body.left > rules_request_body_max(s)) {
		buf_consume(in, hlen);
		refuse(s, 413, "ERR_TOO_BIG", "The request body is larger "
		       "than the configured limit (request_body_max_size).");
		return;
	}

	if (loop_via_names(req->hdr, req->nhdr, proxy_hostname)) {
		buf_consume(in, hlen);
		s->code = "TCP_DENIED";
		log_msg(LOG_CRIT, "WARNING: Forwarding loop detected for: %s "
			"(Via names this proxy, %s)", s->url, proxy_hostname);
		strm_error(s, 403, "ERR_ACCESS_DENIED",
			   "Forwarding loop detected: this request already "
			   "passed through this proxy.");
		return;
	}
	p = req->target.p;
	n = req->target.len;
	if (se->intercepted) {
		rc = intercepted_target(s, req, &info);
		if (rc < 0)
			goto bad_url;
		if (rc > 0) {
			buf_consume(in, hlen);
			return;	/* answered (409 or not intercepted) */
		}
	} else if (se->bumped != NULL) {
		rc = bumped_target(s, req, &info);
		if (rc < 0)
			goto bad_url;
		if (rc > 0) {
			buf_consume(in, hlen);
			return;	/* answered (409) */
		}
	} else if (s->meth == H1_M_CONNECT) {
		/* authority-form */
		if (url_parse_authority(p, n, 0, s->host, &s->port) < 0 ||
		    s->port == 0)
			goto bad_url;
		s->path_off = s->url_len;
	} else {
		/* absolute-form: this is a forward-proxy port */
		if (n < 8 || strncasecmp(p, "http://", 7) != 0) {
			buf_consume(in, hlen);
			if (n >= 8 && strncasecmp(p, "https://", 8) == 0)
				refuse(s, 501, "ERR_UNSUP_REQ",
				       "Only http:// URLs can be fetched "
				       "without CONNECT.");
			else
				refuse(s, 400, "ERR_INVALID_URL",
				       "This is a proxy: requests must use an "
				       "absolute http:// URL.");
			return;
		}
		if (url_authority_end(p, n, &slash) < 0 ||
		    url_parse_authority(p + 7, (size_t)(slash - p) - 7, 80,
					s->host, &s->port) < 0)
			goto bad_url;
		/* path_off indexes into the URL copy, which is the target */
		s->path_off = (size_t)(slash - p);
	}
	s->upgrade = info.conn_upgrade && info.upgrade >= 0;
	/* The indirect client, before any acl looks at the client. */
	rules_follow_xff(s);

	/* Rewrite the head for the server now: req's views die with it. */
	if (s->meth != H1_M_CONNECT) {
		rc = build_head(s, req, hlen, &info);
		if (rc == -2)
			goto fail500;
		if (rc < 0) {
			buf_consume(in, hlen);
			refuse(s, 431, "ERR_TOO_BIG",
			       "The request headers are too large.");
			return;
		}
	}
	buf_consume(in, hlen);
	s->req.fwd = 0;
	if (s->req_body.kind == H1_BODY_NONE)
		s->req_scanned = 1;
	strm_set_state(s, STRM_PREPARE);
	strm_deadline(s, se->cfg->connect_timeout);
	phase_run(s);
	return;

bad_url:
	buf_consume(in, hlen);
	refuse(s, 400, "ERR_INVALID_URL", "The URL is malformed.");
	return;
fail500:
	buf_consume(in, hlen);
	strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
}
