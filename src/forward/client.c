/*
 * client.c - the client side: one per accepted connection. It owns the
 * current transaction and drives both directions of it (see fwd-t.h for the
 * data flow and doc/state-machines.md for the states).
 *
 * Everything happens in cli_run(): each I/O callback only records readiness
 * and calls it; cli_run() then makes every step that can make progress
 * (read, parse, scan, write) until none can, and finally sets the event
 * interest of both sockets from what is left to do. One place decides, so a
 * wake-up cannot be lost between the two sides.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/buf.h"
#include "event/loop.h"
#include "forward/dns.h"
#include "forward/fwd.h"
#include "http/errpage.h"
#include "http/h1.h"
#include "http/hdr.h"
#include "log/access_log.h"
#include "log/log.h"

#define MIN_BUF        16384
#define LINGER_TIME    2.0	/* seconds to drain input after a close */
#define RUN_MAX_STEPS  64	/* fairness: yield to other connections */

static struct fwd_cli *clients;
static unsigned nclients;
static int draining;
extern const char *fwd_hostname;	/* set by main: visible hostname */
const char *fwd_hostname = "localhost";

static const char *cs_names[] = {
	"IDLE", "HEAD", "WAIT", "FORWARD", "TUNNEL", "LOCAL", "LINGER",
	"CLOSED",
};

static const char *
cs_state_str(enum cs_state s)
{
	return s <= CS_CLOSED ? cs_names[s] : "?";
}

static void cli_close(struct fwd_cli *cli);
static void cli_error(struct fwd_cli *cli, int status, const char *errname,
		      const char *detail);

/* ---- small helpers ---------------------------------------------------- */

static void
cli_set_state(struct fwd_cli *cli, enum cs_state s)
{
	if (log_enabled(LOG_DEBUG + 1))
		log_msg(LOG_DEBUG + 1, "client FD %d: %s -> %s", cli->fd,
			cs_state_str(cli->state), cs_state_str(s));
	cli->state = s;
}

/*
 * Timeouts use one lazily re-armed timer per client: activity only moves
 * cli->deadline forward; when the timer fires early it re-arms itself for
 * the rest. This keeps timer-heap work off the per-read path.
 */
static void
cli_deadline(struct fwd_cli *cli, double secs)
{
	double now = evl_now();

	cli->deadline = now + secs;
	if (!evl_timer_active(&cli->timer) ||
	    cli->timer.w.at > secs)	/* at: remaining when armed */
		evl_timer_arm(&cli->timer, secs);
}

static void
cli_touch(struct fwd_cli *cli)
{
	cli->deadline = evl_now() + cli->cfg->read_timeout;
}

static const char *
addr_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	return alog_addr((const struct sockaddr *)ss, out, n);
}

static int
ensure_buf(struct buf *b, size_t size)
{
	if (b->area != NULL)
		return 0;
	return buf_init(b, size < MIN_BUF ? MIN_BUF : size);
}

/* One read into b. Returns 1 when bytes arrived, 0 otherwise; sets *eof on
 * end of stream or error and clears *rd when the socket is drained. */
static int
recv_into(int fd, struct buf *b, unsigned *rd, unsigned *eof)
{
	size_t room;
	ssize_t n;

	if (buf_room(b) == 0) {
		if (b->head == 0)
			return 0;
		buf_compact(b);
	}
	room = buf_room(b);
	n = read(fd, buf_tail(b), room);
	if (n > 0) {
		buf_commit(b, (size_t)n);
		/* A short read drained the socket: wait for the next event
		 * rather than spend a read() on EAGAIN. */
		if ((size_t)n < room)
			*rd = 0;
		return 1;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		*eof = 1;
		*rd = 0;
		return 1;
	}
	if (errno == EAGAIN)
		*rd = 0;
	return 0;
}

/* writev of a generated head (from offset *off of h) followed by n bytes
 * at p. Returns bytes written (>= 0) or -1 with errno. */
static ssize_t
send_two(int fd, struct buf *h, size_t off, const char *p, size_t n)
{
	struct iovec iov[2];
	int cnt = 0;
	ssize_t w;

	if (h != NULL && buf_len(h) > off) {
		iov[cnt].iov_base = buf_head(h) + off;
		iov[cnt].iov_len = buf_len(h) - off;
		cnt++;
	}
	if (n > 0) {
		iov[cnt].iov_base = (void *)(uintptr_t)p;
		iov[cnt].iov_len = n;
		cnt++;
	}
	if (cnt == 0)
		return 0;
	do {
		w = cnt == 1 ? send(fd, iov[0].iov_base, iov[0].iov_len,
				    MSG_NOSIGNAL)
			     : writev(fd, iov, cnt);
	} while (w < 0 && errno == EINTR);
	return w;
}

/* ---- the transaction -------------------------------------------------- */

static void
txn_reset(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;
	char *url = t->url;
	size_t cap = t->url_cap;

	if (t->dns) {
		dns_cancel(t->dns);
	}
	memset(t, 0, sizeof(*t));
	t->url = url;
	t->url_cap = cap;
	t->host = t->hostbuf;
	buf_reset(&cli->reqhead);
	cli->reqhead_sent = 0;
	buf_reset(&cli->obuf);
	cli->fwd = 0;
	memset(&cli->scan, 0, sizeof(cli->scan));
}

static void
txn_log(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;
	struct alog_rec r;
	const struct sockaddr *peer = NULL;

	if (t->logged || t->start == 0)
		return;
	t->logged = 1;
	evl_now_update();
	memset(&r, 0, sizeof(r));
	r.end = evl_now();
	r.elapsed_ms = (long)((r.end - t->start) * 1000.0 + 0.5);
	r.client = (const struct sockaddr *)&cli->addr;
	r.code = t->code ? t->code : "TCP_MISS";
	r.status = t->status;
	r.aborted = t->aborted;
	r.bytes = t->bytes_out;
	r.method = str_make(t->method, strlen(t->method));
	r.url = str_make(t->url ? t->url : "", t->url ? t->url_len : 0);
	if (t->hier == NULL)
		t->hier = "HIER_NONE";
	r.hier = t->hier;
	if (t->naddr > 0 && t->addr_idx < t->naddr &&
	    strcmp(t->hier, "HIER_NONE") != 0)
		peer = (const struct sockaddr *)&t->addr[t->addr_idx];
	r.peer = peer;
	r.type = str_make(t->ctype, strlen(t->ctype));
	alog_write(&r);
}

/* Store the URL for logs and ACLs: owned copy, reused across requests. */
static int
txn_set_url(struct fwd_txn *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
txn_set_url(struct fwd_txn *t, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->url, t->url_cap, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < t->url_cap)
			break;
		p = realloc(t->url, (size_t)n + 64);
		if (p == NULL)
			return -1;
		t->url = p;
		t->url_cap = (size_t)n + 64;
	}
	t->url_len = (size_t)n;
	return 0;
}

/* host: reg-name chars, or an IPv6 literal in brackets. */
static int
valid_host(const char *p, size_t n)
{
	size_t i;
	struct in6_addr a6;
	char tmp[64];

	if (n == 0 || n >= 256)
		return 0;
	if (p[0] == '[') {
		if (n < 3 || p[n - 1] != ']' || n - 2 >= sizeof(tmp))
			return 0;
		memcpy(tmp, p + 1, n - 2);
		tmp[n - 2] = '\0';
		return inet_pton(AF_INET6, tmp, &a6) == 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_'))
			return 0;
	}
	return 1;
}

/*
 * Split an authority "host[:port]" into t->hostbuf and t->port. Returns 0
 * or -1 when malformed.
 */
static int
parse_authority(struct fwd_txn *t, const char *p, size_t n, unsigned dflt)
{
	size_t hl = n;
	const char *colon = NULL;
	unsigned long port = dflt;
	size_t i;

	if (n > 0 && p[0] == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb == NULL)
			return -1;
		hl = (size_t)(rb - p) + 1;
		if (hl < n) {
			if (p[hl] != ':')
				return -1;
			colon = p + hl;
		}
	} else {
		colon = memchr(p, ':', n);
		if (colon)
			hl = (size_t)(colon - p);
	}
	if (colon) {
		size_t pl = n - (size_t)(colon - p) - 1;

		if (pl == 0 || pl > 5)
			return -1;
		port = 0;
		for (i = 0; i < pl; i++) {
			if (colon[1 + i] < '0' || colon[1 + i] > '9')
				return -1;
			port = port * 10 + (unsigned long)(colon[1 + i] - '0');
		}
		if (port == 0 || port > 65535)
			return -1;
	}
	if (!valid_host(p, hl))
		return -1;
	/* Keep the brackets off for resolving an IPv6 literal. */
	if (p[0] == '[') {
		memcpy(t->hostbuf, p + 1, hl - 2);
		t->hostbuf[hl - 2] = '\0';
	} else {
		memcpy(t->hostbuf, p, hl);
		t->hostbuf[hl] = '\0';
	}
	t->host = t->hostbuf;
	t->port = (unsigned)port;
	return 0;
}

/* Fill the ACL context of the current transaction. */
static void
txn_acl_ctx(struct fwd_cli *cli, struct acl_ctx *ctx)
{
	struct fwd_txn *t = &cli->txn;

	memset(ctx, 0, sizeof(*ctx));
	ctx->client = (const struct sockaddr *)&cli->addr;
	ctx->dst = t->naddr > 0 ? (const struct sockaddr *)&t->addr[0] : NULL;
	ctx->dst_port = t->port;
	ctx->local_port = ntohs(((struct sockaddr_in *)&cli->local)->sin_port);
	ctx->method = str_make(t->method, strlen(t->method));
	ctx->proto = t->meth == H1_M_CONNECT ? STR_LIT("HTTPS") :
		     STR_LIT("HTTP");
	ctx->host = str_make(t->host, strlen(t->host));
	ctx->url = str_make(t->url, t->url_len);
	ctx->path = t->meth == H1_M_CONNECT ? STR_NULL :
		    str_make(t->url + t->path_off, t->url_len - t->path_off);
	ctx->port_name = cli->port->name;
}

/* Numeric host literal to candidate address; 1 when it was one. */
static int
host_literal(struct fwd_txn *t)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&t->addr[0];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->addr[0];

	memset(&t->addr[0], 0, sizeof(t->addr[0]));
	if (inet_pton(AF_INET, t->host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)t->port);
		t->addrlen[0] = sizeof(*s4);
		t->naddr = 1;
		return 1;
	}
	if (inet_pton(AF_INET6, t->host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)t->port);
		t->addrlen[0] = sizeof(*s6);
		t->naddr = 1;
		return 1;
	}
	return 0;
}

static void
cli_access_denied(struct fwd_cli *cli)
{
	cli->txn.code = "TCP_DENIED";
	cli_error(cli, 403, "ERR_ACCESS_DENIED",
		  "Access control configuration prevents your request from "
		  "being allowed at this time.");
}

/* Run http_access. Returns 1 to go on, 0 when the request was refused or
 * must wait for the destination address. */
static int
cli_check_access(struct fwd_cli *cli)
{
	struct acl_ctx ctx;
	enum acl_verdict v;

	txn_acl_ctx(cli, &ctx);
	v = acl_check(&cli->cfg->http_access, &ctx, ACL_DENY, NULL);
	if (v == ACL_ALLOW) {
		cli->txn.access_done = 1;
		return 1;
	}
	if (v == ACL_NEED_DST)
		return 0;	/* resolve first, then ask again */
	cli_access_denied(cli);
	return 0;
}

static void
dns_done(void *arg, int err, const struct sockaddr_storage *addrs, int n)
{
	struct fwd_cli *cli = arg;
	struct fwd_txn *t = &cli->txn;
	int i;

	t->dns = NULL;
	if (err != 0) {
		cli_error(cli, 503, "ERR_DNS_FAIL", dns_strerror(err));
		cli_run(cli);
		return;
	}
	for (i = 0; i < n && i < FWD_MAX_ADDRS; i++) {
		t->addr[i] = addrs[i];
		if (addrs[i].ss_family == AF_INET) {
			((struct sockaddr_in *)&t->addr[i])->sin_port =
				htons((uint16_t)t->port);
			t->addrlen[i] = sizeof(struct sockaddr_in);
		} else {
			((struct sockaddr_in6 *)&t->addr[i])->sin6_port =
				htons((uint16_t)t->port);
			t->addrlen[i] = sizeof(struct sockaddr_in6);
		}
	}
	t->naddr = i;
	if (!t->access_done && !cli_check_access(cli)) {
		if (cli->state != CS_LOCAL)	/* still undecided: deny */
			cli_access_denied(cli);
		cli_run(cli);
		return;
	}
	srv_acquire(cli);
	cli_run(cli);
}

/* Resolve (unless literal) and connect. */
static void
cli_start_server(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;

	cli_set_state(cli, CS_WAIT);
	cli_deadline(cli, cli->cfg->connect_timeout);
	if (host_literal(t)) {
		if (!t->access_done && !cli_check_access(cli)) {
			if (cli->state != CS_LOCAL)
				cli_access_denied(cli);
			return;
		}
		srv_acquire(cli);
		return;
	}
	t->dns = dns_lookup(t->host, dns_done, cli);
	if (t->dns == NULL)
		cli_error(cli, 503, "ERR_DNS_FAIL", "out of memory");
}

/*
 * A complete request head of hlen bytes is at the head of cli->ibuf:
 * decide what to do with it. Views into ibuf are used only here; what the
 * rest of the transaction needs is copied or rewritten into reqhead.
 */
static void
cli_start_request(struct fwd_cli *cli, struct h1_req *req, size_t hlen)
{
	struct fwd_txn *t = &cli->txn;
	struct h1_info info;
	struct hdr_req_opts o;
	char client[INET6_ADDRSTRLEN];
	const char *p, *slash;
	size_t n, ml;
	int rc;

	t->meth = h1_method_of(req->method);
	ml = req->method.len < sizeof(t->method) - 1 ? req->method.len :
	     sizeof(t->method) - 1;
	memcpy(t->method, req->method.p, ml);
	t->method[ml] = '\0';
	t->minor = req->minor;
	t->code = "TCP_MISS";
	if (txn_set_url(t, "%.*s", (int)req->target.len, req->target.p) < 0)
		goto fail500;

	rc = h1_msg_info(req->hdr, req->nhdr, req->minor, &info);
	if (rc == 0)
		rc = h1_req_framing(req, &info, &t->req_body);
	if (rc < 0) {
		buf_consume(&cli->ibuf, hlen);
		t->code = "TAG_NONE";
		cli_error(cli, rc == H1_E_TE_UNSUP ? 501 : 400,
			  rc == H1_E_TE_UNSUP ? "ERR_UNSUP_REQ" :
			  "ERR_INVALID_REQ", h1_strerror(rc));
		return;
	}
	t->cli_keepalive = req->minor == 1 ? !info.conn_close
					   : info.conn_keepalive;
	if (draining)
		t->cli_keepalive = 0;

	/* The target: authority-form for CONNECT, absolute-form otherwise
	 * (this is a forward-proxy port). */
	p = req->target.p;
	n = req->target.len;
	if (t->meth == H1_M_CONNECT) {
		if (parse_authority(t, p, n, 0) < 0 || t->port == 0)
			goto bad_url;
		t->path_off = t->url_len;
	} else {
		if (n < 8 || strncasecmp(p, "http://", 7) != 0) {
			buf_consume(&cli->ibuf, hlen);
			t->code = "TAG_NONE";
			if (n >= 8 && strncasecmp(p, "https://", 8) == 0)
				cli_error(cli, 501, "ERR_UNSUP_REQ",
					  "Only http:// URLs can be fetched "
					  "without CONNECT.");
			else
				cli_error(cli, 400, "ERR_INVALID_URL",
					  "This is a proxy: requests must use "
					  "an absolute http:// URL.");
			return;
		}
		p += 7;
		n -= 7;
		slash = memchr(p, '/', n);
		{
			const char *q = memchr(p, '?', n);

			if (q && (!slash || q < slash))
				slash = q;
		}
		if (memchr(p, '@', slash ? (size_t)(slash - p) : n))
			goto bad_url;	/* userinfo: RFC 9110 4.2.4 */
		if (parse_authority(t, p, slash ? (size_t)(slash - p) : n,
				    80) < 0)
			goto bad_url;
		/* path_off indexes into the URL copy: "http://" + authority */
		t->path_off = 7 + (slash ? (size_t)(slash - p) : n);
	}
	t->upgrade = info.conn_upgrade && info.upgrade >= 0;

	/* Rewrite the head for the server now: req views die with it. */
	if (t->meth != H1_M_CONNECT) {
		if (ensure_buf(&cli->reqhead, cli->cfg->request_header_max_size
			       + 4096) < 0)
			goto fail500;
		memset(&o, 0, sizeof(o));
		o.method = req->method;
		if (t->path_off < t->url_len)
			o.target = str_make(t->url + t->path_off,
					    t->url_len - t->path_off);
		else
			o.target = STR_LIT("/");
		o.host = str_make(t->url + 7, t->path_off - 7);
		o.via_name = cli->cfg->via ? fwd_hostname : NULL;
		o.xff = (int)cli->cfg->forwarded_for;
		o.client = addr_text(&cli->addr, client, sizeof(client));
		o.upgrade = t->upgrade;
		if (t->path_off < t->url_len && t->url[t->path_off] == '?') {
			/* "http://h?x" means "/?x" (RFC 9112 3.2.1). */
			char *tmp = NULL;
			size_t ql = t->url_len - t->path_off;

			tmp = malloc(ql + 2);
			if (tmp == NULL)
				goto fail500;
			tmp[0] = '/';
			memcpy(tmp + 1, t->url + t->path_off, ql);
			o.target = str_make(tmp, ql + 1);
			rc = hdr_build_req(&cli->reqhead, req, &o);
			free(tmp);
		} else {
			rc = hdr_build_req(&cli->reqhead, req, &o);
		}
		if (rc < 0) {
			buf_consume(&cli->ibuf, hlen);
			t->code = "TAG_NONE";
			cli_error(cli, 431, "ERR_TOO_BIG",
				  "The request headers are too large.");
			return;
		}
	}
	buf_consume(&cli->ibuf, hlen);
	cli->fwd = 0;
	if (t->req_body.kind == H1_BODY_NONE)
		t->req_scanned = 1;

	if (!cli_check_access(cli) && cli->state == CS_LOCAL)
		return;
	cli_start_server(cli);
	return;

bad_url:
	buf_consume(&cli->ibuf, hlen);
	t->code = "TAG_NONE";
	cli_error(cli, 400, "ERR_INVALID_URL", "The URL is malformed.");
	return;
fail500:
	buf_consume(&cli->ibuf, hlen);
	cli_error(cli, 500, "ERR_INTERNAL", "Out of memory.");
}

/* ---- reporting errors ------------------------------------------------- */

/* Abort the transaction without a response: the response has started, so
 * the only honest signal left is to cut the connection. */
static void
cli_abort(struct fwd_cli *cli)
{
	cli->txn.code = cli->txn.code ? cli->txn.code : "TCP_MISS";
	txn_log(cli);
	cli_close(cli);
}

/*
 * Answer the current request with an error page made here. If a response
 * has already started toward the client, cut the connection instead.
 */
static void
cli_error(struct fwd_cli *cli, int status, const char *errname,
	  const char *detail)
{
	struct fwd_txn *t = &cli->txn;
	struct errpage e;
	char client[INET6_ADDRSTRLEN];

	if (t->dns) {
		dns_cancel(t->dns);
		t->dns = NULL;
	}
	if (cli->srv) {
		srv_close(cli->srv);
		cli->srv = NULL;
	}
	if (t->resp_head_done || t->bytes_out > 0) {
		cli_abort(cli);
		return;
	}
	if (t->start == 0)
		t->start = evl_now();
	if (t->method[0] == '\0')
		memcpy(t->method, "NONE", 5);
	if (ensure_buf(&cli->obuf, 8192) < 0) {
		cli_close(cli);
		return;
	}
	buf_reset(&cli->obuf);
	memset(&e, 0, sizeof(e));
	e.status = status;
	e.name = errname;
	e.url = str_make(t->url ? t->url : "", t->url ? t->url_len : 0);
	e.client = addr_text(&cli->addr, client, sizeof(client));
	e.server = fwd_hostname;
	e.detail = detail;
	e.head = t->meth == H1_M_HEAD;
	/* Keep the connection only when the request was read whole and the
	 * client can tell where our answer ends. */
	t->resp_close = !t->cli_keepalive ||
			t->req_body.kind != H1_BODY_NONE || status == 400 ||
			status == 408 || status == 431 || status == 501;
	e.keepalive = !t->resp_close;
	if (errpage_build(&cli->obuf, &e) < 0) {
		cli_close(cli);
		return;
	}
	t->status = status;
	t->errname = errname;
	memcpy(t->ctype, "text/html", 10);
	if (t->code == NULL)
		t->code = "TCP_MISS";
	log_msg(LOG_DEBUG, "%s for %s: %s", errname, client,
		detail ? detail : "");
	cli_set_state(cli, CS_LOCAL);
	cli_deadline(cli, cli->cfg->read_timeout);
}

void
cli_server_failed(struct fwd_cli *cli, int status, const char *errname,
		  const char *detail)
{
	cli->txn.hier = "HIER_NONE";
	cli_error(cli, status, errname, detail);
	/* The caller is inside cli_run() or a server callback that calls
	 * cli_run() next, which flushes the page. */
}

void
cli_server_ready(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;

	t->hier = "HIER_DIRECT";
	cli_touch(cli);
	if (t->meth == H1_M_CONNECT) {
		if (ensure_buf(&cli->obuf, 8192) < 0 ||
		    buf_append(&cli->obuf,
			       "HTTP/1.1 200 Connection established\r\n\r\n",
			       39) < 0) {
			cli_error(cli, 500, "ERR_INTERNAL", "Out of memory.");
			return;
		}
		t->status = 200;
		t->code = "TCP_TUNNEL";
		t->resp_head_done = 1;
		cli->srv->state = SS_TUNNEL;
		cli_set_state(cli, CS_TUNNEL);
		return;
	}
	cli_set_state(cli, CS_FORWARD);
}

/* ---- the steps of cli_run() ------------------------------------------- */

static int
cli_want_read(const struct fwd_cli *cli)
{
	if (cli->eof)
		return 0;
	switch (cli->state) {
	case CS_IDLE:
	case CS_HEAD:
	case CS_WAIT:
	case CS_FORWARD:
	case CS_TUNNEL:
	case CS_LINGER:
		return cli->ibuf.area == NULL || buf_room(&cli->ibuf) > 0 ||
		       cli->ibuf.head > 0;
	default:
		return 0;
	}
}

static int
cli_recv(struct fwd_cli *cli)
{
	unsigned rd = cli->rd_ready, eof = cli->eof;
	int r;

	if (!cli->rd_ready || !cli_want_read(cli))
		return 0;
	if (ensure_buf(&cli->ibuf, cli->cfg->request_header_max_size) < 0) {
		cli_close(cli);
		return 0;
	}
	if (cli->state == CS_LINGER)
		buf_reset(&cli->ibuf);	/* discard */
	r = recv_into(cli->fd, &cli->ibuf, &rd, &eof);
	cli->rd_ready = rd;
	cli->eof = eof;
	if (r && cli->state >= CS_WAIT)
		cli_touch(cli);
	return r;
}

/* CS_IDLE / CS_HEAD: look for a complete request head. */
static int
cli_parse(struct fwd_cli *cli)
{
	struct h1_req req;
	int rc;

	if (cli->ibuf.area == NULL || buf_empty(&cli->ibuf)) {
		if (cli->eof)
			cli_close(cli);	/* client went away between requests */
		return 0;
	}
	if (cli->state == CS_IDLE) {
		cli->txn.start = evl_now();
		cli_set_state(cli, CS_HEAD);
		cli_deadline(cli, cli->cfg->request_timeout);
	}
	rc = h1_parse_req(buf_head(&cli->ibuf), buf_len(&cli->ibuf),
			  cli->cfg->request_header_max_size, &cli->scan, &req);
	if (rc == H1_INCOMPLETE) {
		if (cli->eof)
			cli_close(cli);	/* half a request: nobody to answer */
		return 0;
	}
	cli->nreq++;
	if (rc < 0) {
		cli->txn.code = "TAG_NONE";
		if (txn_set_url(&cli->txn, "error:invalid-request") < 0)
			cli->txn.url_len = 0;
		if (rc == H1_E_TOO_LONG || rc == H1_E_TOO_MANY)
			cli_error(cli, 431, "ERR_TOO_BIG", h1_strerror(rc));
		else
			cli_error(cli, 400, "ERR_INVALID_REQ", h1_strerror(rc));
		cli->txn.resp_close = 1;
		buf_reset(&cli->ibuf);
		return 1;
	}
	cli_start_request(cli, &req, (size_t)rc);
	return 1;
}

/* Approve request body bytes in cli->ibuf for the server. */
static int
cli_scan_req(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;
	size_t avail;
	ssize_t n;
	int done = 0;

	if (t->req_scanned || cli->ibuf.area == NULL)
		return 0;
	avail = buf_len(&cli->ibuf) - cli->fwd;
	if (avail == 0) {
		if (cli->eof) {
			/* The client stopped in the middle of its body. */
			t->code = "TCP_MISS";
			cli_abort(cli);
		}
		return 0;
	}
	n = h1_body_scan(&t->req_body, buf_head(&cli->ibuf) + cli->fwd,
			 avail, &done);
	if (n < 0) {
		t->code = "TAG_NONE";
		cli_error(cli, 400, "ERR_INVALID_REQ", h1_strerror((int)n));
		return 1;
	}
	cli->fwd += (uint64_t)n;
	if (done)
		t->req_scanned = 1;
	return n > 0 || done;
}

/* Try to give the request to another connection after a reused one turned
 * out to be closed by the server. */
static int
cli_retry(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;

	if (t->retried || cli->srv == NULL || cli->srv->reused == 0 ||
	    t->req_body.kind != H1_BODY_NONE ||
	    !h1_method_idempotent(t->meth) || t->resp_head_done ||
	    buf_len(&cli->srv->ibuf) > 0)
		return 0;
	log_msg(LOG_DEBUG, "retrying %s on a new connection: reused one "
		"was closed", t->url);
	srv_close(cli->srv);
	cli->srv = NULL;
	t->retried = 1;
	cli->reqhead_sent = 0;
	cli_set_state(cli, CS_WAIT);
	srv_acquire(cli);
	return 1;
}

/* Request bytes to the server: rewritten head, then approved body. */
static int
cli_send_req(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	struct fwd_txn *t = &cli->txn;
	size_t hl, bl;
	ssize_t w;

	if (srv == NULL || t->req_sent || !srv->wr_ready ||
	    (srv->state != SS_HEAD && srv->state != SS_BODY &&
	     srv->state != SS_TUNNEL))
		return 0;
	hl = buf_len(&cli->reqhead) - cli->reqhead_sent;
	bl = (size_t)cli->fwd;
	if (hl == 0 && bl == 0) {
		if (t->req_scanned && cli->state == CS_FORWARD) {
			t->req_sent = 1;
			return 1;
		}
		return 0;
	}
	w = send_two(srv->fd, &cli->reqhead, cli->reqhead_sent,
		     cli->ibuf.area ? buf_head(&cli->ibuf) : NULL, bl);
	if (w < 0) {
		if (errno == EAGAIN) {
			srv->wr_ready = 0;
			return 0;
		}
		if (cli->state == CS_TUNNEL) {
			cli_abort(cli);
			return 1;
		}
		/* The server may still have answered (e.g. 413 before our
		 * body): stop sending and let the response side decide. */
		if (cli_retry(cli))
			return 1;
		t->req_sent = 1;
		t->srv_reusable = 0;
		t->resp_close = 1;
		return 1;
	}
	if ((size_t)w < hl + bl)
		srv->wr_ready = 0;
	if ((size_t)w <= hl) {
		cli->reqhead_sent += (size_t)w;
	} else {
		cli->reqhead_sent += hl;
		buf_consume(&cli->ibuf, (size_t)w - hl);
		cli->fwd -= (uint64_t)w - hl;
	}
	cli_touch(cli);
	return w > 0;
}

static int
srv_want_read(const struct fwd_srv *srv)
{
	if (srv->eof)
		return 0;
	if (srv->state != SS_HEAD && srv->state != SS_BODY &&
	    srv->state != SS_TUNNEL)
		return 0;
	return srv->ibuf.area == NULL || buf_room(&srv->ibuf) > 0 ||
	       srv->ibuf.head > 0;
}

static int
cli_recv_resp(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	unsigned rd, eof;
	int r;

	if (srv == NULL || !srv->rd_ready || !srv_want_read(srv))
		return 0;
	if (ensure_buf(&srv->ibuf, cli->cfg->reply_header_max_size) < 0) {
		cli_error(cli, 500, "ERR_INTERNAL", "Out of memory.");
		return 1;
	}
	rd = srv->rd_ready;
	eof = srv->eof;
	r = recv_into(srv->fd, &srv->ibuf, &rd, &eof);
	srv->rd_ready = rd;
	srv->eof = eof;
	if (r)
		cli_touch(cli);
	return r;
}

/* SS_HEAD: parse the response head, build the client's version. */
static int
cli_parse_resp(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	struct fwd_txn *t = &cli->txn;
	struct h1_resp resp;
	struct h1_info info;
	struct hdr_resp_opts o;
	struct h1_scan scan = { 0 };
	int rc, k;

	if (srv == NULL || srv->state != SS_HEAD)
		return 0;
	if (srv->ibuf.area == NULL || buf_empty(&srv->ibuf)) {
		if (!srv->eof)
			return 0;
		if (cli_retry(cli))
			return 1;
		t->hier = "HIER_DIRECT";
		cli_error(cli, 502, "ERR_ZERO_SIZE_OBJECT",
			  "The server closed the connection without "
			  "sending any data.");
		return 1;
	}
	/* Heads are small and usually arrive in one read: rescanning from
	 * the start when one comes in pieces is cheaper than keeping state
	 * in the server side. */
	rc = h1_parse_resp(buf_head(&srv->ibuf), buf_len(&srv->ibuf),
			   cli->cfg->reply_header_max_size, &scan, &resp);
	if (rc == H1_INCOMPLETE) {
		if (!srv->eof)
			return 0;
		cli_error(cli, 502, "ERR_INVALID_RESP",
			  "The server closed the connection in the middle of "
			  "the response headers.");
		return 1;
	}
	if (rc < 0) {
		log_msg(LOG_INFO, "invalid response from %s: %s", t->url,
			h1_strerror(rc));
		cli_error(cli, 502, "ERR_INVALID_RESP", h1_strerror(rc));
		return 1;
	}
	k = h1_msg_info(resp.hdr, resp.nhdr, resp.minor, &info);
	if (k < 0) {
		cli_error(cli, 502, "ERR_INVALID_RESP", h1_strerror(k));
		return 1;
	}
	if (ensure_buf(&cli->obuf, cli->cfg->reply_header_max_size + 4096)
	    < 0) {
		cli_error(cli, 500, "ERR_INTERNAL", "Out of memory.");
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.via_name = cli->cfg->via ? fwd_hostname : NULL;
	o.client_minor = t->minor;

	if (resp.status < 200 && resp.status != 101) {
		/* Interim (100 Continue, 103 Early Hints): pass to HTTP/1.1
		 * clients, drop for 1.0 ones (RFC 9110 15.2). */
		if (t->minor == 1) {
			o.keepalive = 1;
			o.client_minor = 1;
			if (hdr_build_resp(&cli->obuf, &resp, &o) < 0) {
				cli_error(cli, 502, "ERR_TOO_BIG",
					  "Response headers too large.");
				return 1;
			}
		}
		buf_consume(&srv->ibuf, (size_t)rc);
		return 1;
	}
	if (resp.status == 101 && !t->upgrade) {
		cli_error(cli, 502, "ERR_INVALID_RESP",
			  "The server switched protocols unasked.");
		return 1;
	}
	rc = h1_resp_framing(&resp, &info, t->meth == H1_M_HEAD,
			     t->meth == H1_M_CONNECT, &t->resp_body) < 0 ?
	     -1 : rc;
	if (rc < 0) {
		cli_error(cli, 502, "ERR_INVALID_RESP",
			  "The response framing is invalid.");
		return 1;
	}
	t->status = resp.status;
	k = h1_hdr_find(resp.hdr, resp.nhdr, 0, "content-type");
	if (k >= 0) {
		size_t cl = resp.hdr[k].value.len;
		const char *semi = memchr(resp.hdr[k].value.p, ';', cl);

		if (semi)
			cl = (size_t)(semi - resp.hdr[k].value.p);
		if (cl >= sizeof(t->ctype))
			cl = sizeof(t->ctype) - 1;
		memcpy(t->ctype, resp.hdr[k].value.p, cl);
		t->ctype[cl] = '\0';
	}
	t->srv_reusable = !info.conn_close &&
			  (resp.minor == 1 || info.conn_keepalive) &&
			  t->resp_body.kind != H1_BODY_CLOSE &&
			  t->resp_body.kind != H1_BODY_TUNNEL;
	/* HTTP/1.0 clients cannot read chunked: decode it for them and
	 * delimit the body by closing. */
	t->dechunk = t->minor == 0 && t->resp_body.kind == H1_BODY_CHUNKED;
	t->resp_close = t->resp_close || !t->cli_keepalive || draining ||
			t->resp_body.kind == H1_BODY_CLOSE || t->dechunk;
	o.keepalive = !t->resp_close;
	o.upgrade = resp.status == 101;
	o.drop_cl = info.has_te;
	o.drop_framing = t->dechunk;
	if (hdr_build_resp(&cli->obuf, &resp, &o) < 0) {
		cli_error(cli, 502, "ERR_TOO_BIG", "Response headers too large.");
		return 1;
	}
	buf_consume(&srv->ibuf, (size_t)rc);
	srv->fwd = 0;
	t->resp_head_done = 1;
	if (resp.status == 101) {
		t->code = "TCP_TUNNEL";
		srv->state = SS_TUNNEL;
		t->req_scanned = 1;
		cli_set_state(cli, CS_TUNNEL);
		return 1;
	}
	srv->state = SS_BODY;
	if (t->resp_body.kind == H1_BODY_NONE)
		t->resp_scanned = 1;
	return 1;
}

/*
 * Remove chunk framing in place from the unapproved part of srv->ibuf:
 * chunk data moves down to follow the approved bytes, framing is dropped.
 * Returns how many data bytes were approved, or a negative H1_E_* code.
 */
static ssize_t
dechunk(struct fwd_srv *srv, struct h1_body *body, int *done)
{
	char *w = buf_head(&srv->ibuf) + srv->fwd;
	char *r = w, *end = buf_tail(&srv->ibuf);
	uint64_t left;
	size_t m;
	ssize_t n;

	while (r < end && !*done) {
		left = h1_chunk_data_left(body);
		if (left > 0) {
			m = (size_t)(end - r) < left ? (size_t)(end - r) :
			    (size_t)left;
			n = h1_body_scan(body, r, m, done);
			if (n < 0)
				return n;
			memmove(w, r, (size_t)n);
			w += n;
			r += n;
		} else {
			/* Framing: size line, CRLF, trailers; one byte at a
			 * time, as there are few. */
			n = h1_body_scan(body, r, 1, done);
			if (n < 0)
				return n;
			if (n == 0)
				break;
			r += n;
		}
	}
	/* Close the gap left by dropped framing. */
	memmove(w, r, (size_t)(end - r));
	srv->ibuf.tail -= (size_t)(r - w);
	return (ssize_t)(w - (buf_head(&srv->ibuf) + srv->fwd));
}

/*
 * Approve response body bytes for the client. When dechunking for an
 * HTTP/1.0 client, chunk framing is removed in place: the scanner is fed
 * one piece at a time and only chunk data is kept.
 */
static int
cli_scan_resp(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	struct fwd_txn *t = &cli->txn;
	size_t avail;
	ssize_t n;
	int done = 0;

	if (srv == NULL || srv->state != SS_BODY || t->resp_scanned)
		return 0;
	avail = srv->ibuf.area ? buf_len(&srv->ibuf) - srv->fwd : 0;
	if (avail == 0) {
		if (!srv->eof)
			return 0;
		if (t->resp_body.kind == H1_BODY_CLOSE) {
			t->resp_scanned = 1;
			return 1;
		}
		/* Truncated: never present a cut body as complete. */
		log_msg(LOG_INFO, "server closed %s before the end of the "
			"response body", t->url);
		t->srv_reusable = 0;
		t->resp_close = 1;
		t->resp_scanned = 1;
		t->code = "TCP_MISS";
		t->aborted = 1;	/* flush what we have, then cut */
		return 1;
	}
	if (t->dechunk)
		n = dechunk(srv, &t->resp_body, &done);
	else
		n = h1_body_scan(&t->resp_body, buf_head(&srv->ibuf) + srv->fwd,
				 avail, &done);
	if (n < 0) {
		log_msg(LOG_INFO, "invalid response body from %s: %s",
			t->url, h1_strerror((int)n));
		t->srv_reusable = 0;
		t->resp_close = 1;
		t->resp_scanned = 1;
		t->aborted = 1;
		return 1;
	}
	srv->fwd += (uint64_t)n;
	if (done) {
		t->resp_scanned = 1;
		if (buf_len(&srv->ibuf) > srv->fwd)
			t->srv_reusable = 0;	/* bytes after the end */
	}
	return 1;
}

/* Response bytes to the client: generated head, then approved body. */
static int
cli_send_resp(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	size_t hl, bl;
	ssize_t w;

	if (!cli->wr_ready || cli->state == CS_CLOSED ||
	    cli->state == CS_LINGER)
		return 0;
	hl = cli->obuf.area ? buf_len(&cli->obuf) : 0;
	bl = srv && srv->ibuf.area ? (size_t)srv->fwd : 0;
	if (hl == 0 && bl == 0)
		return 0;
	w = send_two(cli->fd, &cli->obuf, 0,
		     bl ? buf_head(&srv->ibuf) : NULL, bl);
	if (w < 0) {
		if (errno == EAGAIN) {
			cli->wr_ready = 0;
			return 0;
		}
		/* The client is gone: nothing more to deliver. */
		cli->txn.aborted = 1;
		cli_abort(cli);
		return 1;
	}
	if ((size_t)w < hl + bl)
		cli->wr_ready = 0;
	cli->txn.bytes_out += (uint64_t)w;
	if ((size_t)w <= hl) {
		buf_consume(&cli->obuf, (size_t)w);
	} else {
		buf_reset(&cli->obuf);
		buf_consume(&srv->ibuf, (size_t)w - hl);
		srv->fwd -= (uint64_t)w - hl;
	}
	if (cli->state != CS_LOCAL)
		cli_touch(cli);
	return w > 0;
}

/* Close gracefully: shut our side, then drain what the client still sends
 * for a moment, so that unread request bytes do not make the kernel answer
 * with a RST that could destroy the response in flight (nginx's lingering
 * close). */
static void
cli_linger(struct fwd_cli *cli)
{
	if (cli->eof) {
		cli_close(cli);
		return;
	}
	shutdown(cli->fd, SHUT_WR);
	cli->shut_wr = 1;
	if (cli->ibuf.area)
		buf_reset(&cli->ibuf);
	cli_set_state(cli, CS_LINGER);
	cli_deadline(cli, LINGER_TIME);
}

/* The response is delivered: log, settle the server connection, and go
 * back to idle (or close). */
static void
cli_finish(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;
	struct fwd_srv *srv = cli->srv;
	int keep;

	if (!t->req_sent && cli->state == CS_FORWARD) {
		/* Answered before the client finished its body: neither side
		 * knows where the next message would start. */
		t->resp_close = 1;
		t->srv_reusable = 0;
	}
	txn_log(cli);
	if (srv != NULL) {
		cli->srv = NULL;
		if (t->srv_reusable && !srv->eof && buf_empty(&srv->ibuf) &&
		    !draining)
			srv_release(srv, cli->cfg->server_idle_pconn_timeout);
		else
			srv_close(srv);
	}
	keep = !t->resp_close && !draining;
	txn_reset(cli);
	if (!keep) {
		cli_linger(cli);
		return;
	}
	cli_set_state(cli, CS_IDLE);
	cli_deadline(cli, cli->cfg->client_idle_pconn_timeout);
	if (cli->ibuf.area && buf_empty(&cli->ibuf)) {
		/* Idle keep-alive connections hold no buffers. */
		buf_free(&cli->ibuf);
		buf_free(&cli->obuf);
		buf_free(&cli->reqhead);
	}
}

/* CS_TUNNEL: everything read is approved for the other side; EOF is
 * passed on as a half-close once the bytes before it are delivered. */
static int
cli_tunnel(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	int progress = 0;

	if (srv == NULL) {
		cli_abort(cli);
		return 1;
	}
	if (cli->ibuf.area)
		cli->fwd = buf_len(&cli->ibuf);
	if (srv->ibuf.area)
		srv->fwd = buf_len(&srv->ibuf);
	if (cli->eof && cli->fwd == 0 && !cli->txn.req_sent &&
	    buf_len(&cli->reqhead) == cli->reqhead_sent) {
		shutdown(srv->fd, SHUT_WR);
		cli->txn.req_sent = 1;
		progress = 1;
	}
	if (srv->eof && srv->fwd == 0 &&
	    (cli->obuf.area == NULL || buf_empty(&cli->obuf)) &&
	    !cli->shut_wr) {
		shutdown(cli->fd, SHUT_WR);
		cli->shut_wr = 1;
		progress = 1;
	}
	if (cli->txn.req_sent && cli->shut_wr) {
		txn_log(cli);
		cli_close(cli);
		return 1;
	}
	return progress;
}

static void
cli_update_events(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	int ev = 0;

	if (cli->state == CS_CLOSED)
		return;
	if (cli_want_read(cli) && !cli->rd_ready)
		ev |= EVL_READ;
	if (!cli->wr_ready &&
	    ((cli->obuf.area && !buf_empty(&cli->obuf)) ||
	     (srv && srv->fwd > 0)))
		ev |= EVL_WRITE;
	evl_io_want(&cli->io, ev);
	if (srv == NULL || srv->state == SS_CLOSED ||
	    srv->state == SS_CONNECT || srv->state == SS_IDLE)
		return;
	ev = 0;
	if (srv_want_read(srv) && !srv->rd_ready)
		ev |= EVL_READ;
	if (!srv->wr_ready && !cli->txn.req_sent &&
	    (buf_len(&cli->reqhead) > cli->reqhead_sent || cli->fwd > 0))
		ev |= EVL_WRITE;
	evl_io_want(&srv->io, ev);
}

/*
 * Make all the progress that can be made now on both sides, then set the
 * event interest. Safe to call at any time; never frees cli itself (a close
 * is deferred).
 */
void
cli_run(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;
	int steps, p;

	for (steps = 0; steps < RUN_MAX_STEPS; steps++) {
		if (cli->state == CS_CLOSED)
			return;
		p = cli_recv(cli);
		switch (cli->state) {
		case CS_IDLE:
		case CS_HEAD:
			p |= cli_parse(cli);
			break;
		case CS_WAIT:
			/* A client that half-closed after a complete request
			 * still gets its answer (HAProxy's default, no
			 * abortonclose); a closed one is noticed when the
			 * response cannot be written. */
			p |= cli_scan_req(cli);
			break;
		case CS_FORWARD:
			p |= cli_scan_req(cli);
			if (cli->state != CS_FORWARD)
				break;
			p |= cli_send_req(cli);
			p |= cli_recv_resp(cli);
			p |= cli_parse_resp(cli);
			if (cli->state != CS_FORWARD)
				break;
			p |= cli_scan_resp(cli);
			p |= cli_send_resp(cli);
			if (cli->state != CS_FORWARD)
				break;
			if (t->resp_scanned && cli->srv && cli->srv->fwd == 0 &&
			    buf_empty(&cli->obuf)) {
				if (t->aborted) {
					cli_abort(cli);
					return;
				}
				cli_finish(cli);
				p = 1;
			}
			break;
		case CS_TUNNEL:
			p |= cli_send_req(cli);
			p |= cli_recv_resp(cli);
			p |= cli_tunnel(cli);
			if (cli->state != CS_TUNNEL)
				break;
			p |= cli_send_resp(cli);
			if (cli->state == CS_TUNNEL)
				p |= cli_tunnel(cli);
			break;
		case CS_LOCAL:
			p |= cli_send_resp(cli);
			if (cli->state == CS_LOCAL && buf_empty(&cli->obuf)) {
				if (t->resp_close) {
					txn_log(cli);
					t->start = 0;
					cli_linger(cli);
				} else {
					cli_finish(cli);
				}
				p = 1;
			}
			break;
		case CS_LINGER:
			if (cli->eof) {
				cli_close(cli);
				return;
			}
			if (cli->ibuf.area)
				buf_reset(&cli->ibuf);
			break;
		case CS_CLOSED:
			return;
		}
		if (!p)
			break;
	}
	if (cli->state != CS_CLOSED)
		cli_update_events(cli);
}

/* ---- lifecycle -------------------------------------------------------- */

static void
cli_free(void *arg)
{
	struct fwd_cli *cli = arg;

	buf_free(&cli->ibuf);
	buf_free(&cli->obuf);
	buf_free(&cli->reqhead);
	free(cli->txn.url);
	cfg_unref(cli->cfg);
	free(cli);
}

/* Close the client side and whatever server side it holds; the memory is
 * freed after the running callback returns. */
static void
cli_close(struct fwd_cli *cli)
{
	if (cli->state == CS_CLOSED)
		return;
	if (cli->txn.dns)
		dns_cancel(cli->txn.dns);
	cli->txn.dns = NULL;
	if (cli->srv) {
		srv_close(cli->srv);
		cli->srv = NULL;
	}
	evl_io_stop(&cli->io);
	evl_timer_stop(&cli->timer);
	close(cli->fd);
	cli->fd = -1;
	cli_set_state(cli, CS_CLOSED);
	if (cli->prev)
		cli->prev->next = cli->next;
	else
		clients = cli->next;
	if (cli->next)
		cli->next->prev = cli->prev;
	nclients--;
	evl_defer(&cli->free_later, cli_free, cli);
}

static void
cli_io_cb(struct evl_io *io, int revents)
{
	struct fwd_cli *cli = io->data;

	if (revents & EVL_READ)
		cli->rd_ready = 1;
	if (revents & EVL_WRITE)
		cli->wr_ready = 1;
	cli_run(cli);
}

static void
cli_timer_cb(struct evl_timer *tm)
{
	struct fwd_cli *cli = tm->data;
	struct fwd_txn *t = &cli->txn;
	double left = cli->deadline - evl_now();

	if (left > 0.001) {
		evl_timer_arm(&cli->timer, left);
		return;
	}
	switch (cli->state) {
	case CS_IDLE:
	case CS_LINGER:
		cli_close(cli);
		return;
	case CS_HEAD:
		t->code = "TAG_NONE";
		if (txn_set_url(t, "error:request-timeout") < 0)
			t->url_len = 0;
		cli_error(cli, 408, "ERR_REQUEST_START_TIMEOUT",
			  "The request headers did not arrive in time.");
		t->resp_close = 1;
		break;
	case CS_WAIT:
		t->hier = "HIER_NONE";
		cli_error(cli, 504, "ERR_CONNECT_FAIL",
			  "Connecting to the server timed out.");
		break;
	case CS_FORWARD:
		if (t->resp_head_done) {
			cli_abort(cli);
			return;
		}
		cli_error(cli, 504, "ERR_READ_TIMEOUT",
			  "The server did not answer in time.");
		break;
	default:
		txn_log(cli);
		cli_close(cli);
		return;
	}
	cli_run(cli);
}

void
fwd_accept(int fd, const struct sockaddr *addr, socklen_t addrlen,
	   struct cfg *cfg, const struct cfg_port *port)
{
	struct fwd_cli *cli;
	int one = 1;

	cli = calloc(1, sizeof(*cli));
	if (cli == NULL) {
		close(fd);
		return;
	}
	cli->fd = fd;
	memcpy(&cli->addr, addr, addrlen);
	cli->addrlen = addrlen;
	cli->locallen = sizeof(cli->local);
	if (getsockname(fd, (struct sockaddr *)&cli->local, &cli->locallen) < 0)
		cli->locallen = 0;
	cli->cfg = cfg_ref(cfg);
	cli->port = port;
	cli->txn.host = cli->txn.hostbuf;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evl_io_init(&cli->io, cli_io_cb, fd, cli);
	evl_timer_init(&cli->timer, cli_timer_cb, cli);
	cli->state = CS_IDLE;
	cli->wr_ready = 1;
	cli->rd_ready = 1;	/* accept: the request is often there already */
	cli->next = clients;
	if (clients)
		clients->prev = cli;
	clients = cli;
	nclients++;
	cli_deadline(cli, cfg->request_timeout);
	cli_run(cli);
}

void
fwd_drain(void)
{
	struct fwd_cli *cli, *next;

	draining = 1;
	pool_close_all();
	for (cli = clients; cli; cli = next) {
		next = cli->next;
		if (cli->state == CS_IDLE)
			cli_close(cli);
	}
}

void
fwd_close_all(void)
{
	while (clients)
		cli_close(clients);
	pool_close_all();
}

unsigned
fwd_nclients(void)
{
	return nclients;
}
