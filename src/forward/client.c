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
#include <fcntl.h>
#include <unistd.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/sa.h"
#include "event/loop.h"
#include "forward/dns.h"
#include "forward/fwd.h"
#include "http/errpage.h"
#include "http/h1.h"
#include "http/hdr.h"
#include "intercept/listener.h"
#include "intercept/origdst.h"
#include "log/access_log.h"
#include "log/log.h"
#include "stats/stats.h"

#define MIN_BUF        16384
#define LINGER_TIME    2.0	/* seconds to drain input after a close */
#define RUN_MAX_STEPS  64	/* fairness: yield to other connections */
#define SPLICE_MIN     65536	/* splice bodies with at least this left */
#define SPLICE_PIPE    262144	/* bytes a splice pipe may hold */
/* Descriptors kept free for what one more client needs (its server
 * connection, a DNS socket, a log reopen). */
#define FD_RESERVE     16

/* Test builds only: -DTPROXYD_SPLICE_FAULT=N makes every Nth splice() fail
 * as it does on a socket that cannot splice, to exercise the fall-back to
 * copying in the middle of transfers (1: never splice at all). */
#ifndef TPROXYD_SPLICE_FAULT
#define TPROXYD_SPLICE_FAULT 0
#endif

static struct fwd_cli *clients;
static unsigned nclients;	/* all client connections */
static unsigned nstats;		/* ... of them on the stats_port */
static unsigned npipefd;	/* descriptors held by splice pipes */
static unsigned fd_limit;	/* RLIMIT_NOFILE to account against, or 0 */
static unsigned conn_limit;	/* client_connection_limit, or 0 */
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
static void cli_tunnel_abort(struct fwd_cli *cli);

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
	    evl_timer_remaining(&cli->timer) > secs)
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
 * end of stream or error (and *rst too on an error), and clears *rd when
 * the socket is drained. */
static int
recv_into(int fd, struct buf *b, unsigned *rd, unsigned *eof, unsigned *rst,
	  uint64_t *count)
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
		*count += (uint64_t)n;
		/* A short read drained the socket: wait for the next event
		 * rather than spend a read() on EAGAIN. */
		if ((size_t)n < room)
			*rd = 0;
		return 1;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		if (n < 0)
			*rst = 1;
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

/* ---- splice pipes ------------------------------------------------------ */

/* n more descriptors leave FD_RESERVE free under the descriptor limit,
 * counting one server connection per client (see fwd_over_limit()). */
static int
fd_room(unsigned n)
{
	return fd_limit == 0 ||
	       nclients + srv_count() + npipefd + n + FD_RESERVE < fd_limit;
}

/* splice(2) between a socket and a pipe, without blocking. */
static ssize_t
splice_io(int in, int out, size_t len)
{
	ssize_t n;
#if TPROXYD_SPLICE_FAULT > 0
	static unsigned calls;

	if (++calls % TPROXYD_SPLICE_FAULT == 0) {
		errno = EINVAL;
		return -1;
	}
#endif
	do {
		n = splice(in, NULL, out, NULL, len,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* errno of a splice() that cannot work for this pair of descriptors at
 * all, rather than an error of the socket. Taking a socket error for one
 * of these is harmless: the copy path then meets the error itself. */
static int
splice_unsupported(int err)
{
	return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP ||
	       err == ENOMEM;
}

/* Open p if it is not yet. Returns 0, or -1 when no pipe can be had (out
 * of descriptors, or the reserve would be touched): p is then off, and
 * its direction copies until the connection goes idle. */
static int
pipe_open(struct fwd_pipe *p)
{
	int sz;

	if (p->fd[0] >= 0)
		return 0;
	if (p->off)
		return -1;
	if (!fd_room(2) || pipe2(p->fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		p->fd[0] = p->fd[1] = -1;
		p->off = 1;
		return -1;
	}
	npipefd += 2;
	/* Larger than the default 16 pages, so that a fill moves more per
	 * call. The kernel may refuse (pipe-max-size, or the user is over
	 * pipe-user-pages-soft): then work with the size it gave. */
	sz = fcntl(p->fd[1], F_SETPIPE_SZ, SPLICE_PIPE);
	if (sz < 0)
		sz = fcntl(p->fd[1], F_GETPIPE_SZ);
	p->cap = sz > 0 ? (size_t)sz : 4096;
	p->len = 0;
	p->full = p->unload = 0;
	return 0;
}

/* Close p, dropping whatever it holds; p->off is kept. */
static void
pipe_close(struct fwd_pipe *p)
{
	if (p->fd[0] >= 0) {
		close(p->fd[0]);
		close(p->fd[1]);
		npipefd -= 2;
	}
	p->fd[0] = p->fd[1] = -1;
	p->len = 0;
	p->full = p->unload = 0;
}

/* Splice refused for this connection: no more fills; what p holds is
 * still written out first. */
static void
pipe_off(struct fwd_pipe *p)
{
	p->off = 1;
	if (p->len == 0)
		pipe_close(p);
}

/* p may take more bytes now (it need not be open yet). */
static int
pipe_room(const struct fwd_pipe *p)
{
	return !p->off && !p->full && (p->fd[0] < 0 || p->len < p->cap);
}

/* Move up to max bytes from socket fd into the open pipe p. Returns the
 * count (> 0), 0 at the end of the stream, -EAGAIN when there is nothing
 * to move now, -EOPNOTSUPP when this socket cannot be spliced, or another
 * negative errno: an error of the socket. */
static ssize_t
pipe_fill(struct fwd_pipe *p, int fd, size_t max)
{
	ssize_t n = splice_io(fd, p->fd[1], max);

	if (n > 0) {
		p->len += (size_t)n;
		return n;
	}
	if (n == 0)
		return 0;
	if (errno == EAGAIN) {
		/* The socket is drained, or the pipe has no slot left (it
		 * counts pages, not bytes). When it holds bytes, wait until
		 * some are written out before trying again, rather than
		 * spin on a socket that stays readable. */
		if (p->len > 0)
			p->full = 1;
		return -EAGAIN;
	}
	return splice_unsupported(errno) ? -EOPNOTSUPP : -errno;
}

/* Write what p holds to socket fd. Returns the count (> 0), -EAGAIN when
 * the socket takes nothing now, -EOPNOTSUPP when it cannot take spliced
 * bytes, or another negative errno: an error of the socket. */
static ssize_t
pipe_flush(struct fwd_pipe *p, int fd)
{
	ssize_t n = splice_io(p->fd[0], fd, p->len);

	if (n > 0) {
		p->len -= (size_t)n;
		p->full = 0;
		return n;
	}
	if (n == 0)
		return -EOPNOTSUPP;	/* cannot happen: never spin on it */
	if (errno == EAGAIN)
		return -EAGAIN;
	return splice_unsupported(errno) ? -EOPNOTSUPP : -errno;
}

/*
 * The destination cannot take spliced bytes: hand what p holds to the copy
 * path, a bufferful at a time. b is the direction's input buffer, and
 * *fwd the count of its bytes approved for the other side; both must be
 * empty (nothing of the direction enters b while the pipe holds bytes),
 * so the pipe's bytes, the oldest, go first. Returns bytes moved, or -1.
 */
static ssize_t
pipe_unload(struct fwd_pipe *p, struct buf *b, uint64_t *fwd)
{
	size_t want;
	ssize_t n;

	buf_reset(b);
	want = p->len < buf_room(b) ? p->len : buf_room(b);
	do {
		n = read(p->fd[0], buf_tail(b), want);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	buf_commit(b, (size_t)n);
	*fwd += (uint64_t)n;
	p->len -= (size_t)n;
	if (p->len == 0)
		pipe_close(p);
	return n;
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
	/* Scrapes of the stats_port are not traffic: they would make every
	 * scrape see a different count. */
	if (cli->port->mode != PORT_STATS) {
		stats_status(t->aborted ? 0 : t->status);
		if (t->aborted)
			stats.aborted++;
	}
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
	if (t->peer != NULL && peer != NULL)
		r.peer_name = t->peer->host;
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

/* The same from up to three views, without printf: the common cases run
 * for every request. */
static int
txn_set_url3(struct fwd_txn *t, struct str a, struct str b, struct str c)
{
	size_t n = a.len + b.len + c.len;
	char *p;

	if (n + 1 > t->url_cap) {
		p = realloc(t->url, n + 64);
		if (p == NULL)
			return -1;
		t->url = p;
		t->url_cap = n + 64;
	}
	if (a.len)
		memcpy(t->url, a.p, a.len);
	if (b.len)
		memcpy(t->url + a.len, b.p, b.len);
	if (c.len)
		memcpy(t->url + a.len + b.len, c.p, c.len);
	t->url[n] = '\0';
	t->url_len = n;
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
 * Split an authority "host[:port]" into t->hostbuf and t->port. Returns 1
 * when it named a port, 0 when dflt was used, or -1 when malformed.
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
	return colon != NULL;
}

/* Fill the ACL context of the current transaction. */
static void
txn_acl_ctx(struct fwd_cli *cli, struct acl_ctx *ctx)
{
	struct fwd_txn *t = &cli->txn;

	memset(ctx, 0, sizeof(*ctx));
	ctx->client = (const struct sockaddr *)&cli->addr;
	if (cli->intercepted) {
		ctx->dst = (const struct sockaddr *)&cli->odst;
		ctx->dst_port = sa_port(ctx->dst);
	} else {
		ctx->dst = t->origin_resolved || (t->naddr > 0 && !t->peer) ?
			   (const struct sockaddr *)&t->addr[0] : NULL;
		ctx->dst_port = t->port;
	}
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

static void
cli_access_denied(struct fwd_cli *cli)
{
	cli->txn.code = "TCP_DENIED";
	cli_error(cli, 403, "ERR_ACCESS_DENIED",
		  "Access control configuration prevents your request from "
		  "being allowed at this time.");
}

static void cli_prepare(struct fwd_cli *cli);
static void cli_route_try(struct fwd_cli *cli);

/* Fill t->addr from DNS answers (or one literal) with port. */
static void
txn_set_addrs(struct fwd_txn *t, const struct sockaddr_storage *addrs,
	      int n, unsigned port)
{
	int i;

	for (i = 0; i < n && i < FWD_MAX_ADDRS; i++) {
		t->addr[i] = addrs[i];
		sa_set_port((struct sockaddr *)&t->addr[i], port);
		t->addrlen[i] = sa_len((struct sockaddr *)&t->addr[i]);
	}
	t->naddr = i;
	t->addr_idx = 0;
}

/* Numeric host to one candidate address; 1 when it was numeric. */
static int
txn_literal(struct fwd_txn *t, const char *host, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		return 0;
	txn_set_addrs(t, &ss, 1, port);
	return 1;
}

/* Intercepted request whose Host does not match where the client was
 * going (Squid's host_verify_strict; CVE-2009-0801). */
static int
cli_host_forgery(struct fwd_cli *cli, const char *why)
{
	char c[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];

	stats.host_forgery++;
	log_msg(LOG_CRIT, "SECURITY ALERT: Host header forgery detected on "
		"local=%s remote=%s (%s): Host: %s URL: %s",
		sa_text((struct sockaddr *)&cli->odst, d, sizeof(d)),
		sa_text((struct sockaddr *)&cli->addr, c, sizeof(c)), why,
		cli->txn.host, cli->txn.url);
	if (cli->cfg->host_verify_strict) {
		cli->txn.hier = "HIER_NONE";
		cli_error(cli, 409, "ERR_CONFLICT_HOST",
			  "The Host header does not match the address your "
			  "request was sent to.");
		return -1;
	}
	/* Not strict: still go where the client was going, never where
	 * Host says, and never through a parent (which would use Host). */
	cli->txn.host_forged = 1;
	return 0;
}

/* Act on a DNS answer for what the transaction asked it for. */
static void
dns_result(struct fwd_cli *cli, enum dns_for what, int err,
	   const struct sockaddr_storage *addrs, int n)
{
	struct fwd_txn *t = &cli->txn;
	int i, found = 0;

	switch (what) {
	case DNS_FOR_VERIFY:
		t->verify_pending = 0;
		for (i = 0; i < n; i++)
			if (sa_same_ip((const struct sockaddr *)&addrs[i],
				       (struct sockaddr *)&cli->odst))
				found = 1;
		if (!found && cli_host_forgery(cli, err ? "Host does not "
			"resolve" : "local IP does not match any domain IP")
		    < 0)
			break;
		cli_prepare(cli);
		break;
	case DNS_FOR_ORIGIN:
	case DNS_FOR_PEER:
		if (err != 0) {
			if (what == DNS_FOR_PEER || t->route_idx + 1 <
			    t->nroute) {
				log_msg(LOG_INFO, "cannot resolve %s: %s",
					t->peer ? t->peer->host : t->host,
					dns_strerror(err));
				t->route_idx++;
				cli_route_try(cli);
				break;
			}
			cli_error(cli, 503, "ERR_DNS_FAIL", dns_strerror(err));
			break;
		}
		txn_set_addrs(t, addrs, n, what == DNS_FOR_PEER ?
			      t->peer->port : t->port);
		t->origin_resolved = what == DNS_FOR_ORIGIN;
		if (what == DNS_FOR_ORIGIN && !t->access_done) {
			cli_prepare(cli);	/* dst ACLs can decide now */
			break;
		}
		srv_acquire(cli);
		break;
	default:
		break;
	}
}

static void
dns_done(void *arg, int err, const struct sockaddr_storage *addrs, int n)
{
	struct fwd_cli *cli = arg;
	enum dns_for what = cli->txn.dns_for;

	cli->txn.dns = NULL;
	cli->txn.dns_for = DNS_FOR_NONE;
	dns_result(cli, what, err, addrs, n);
	cli_run(cli);
}

static void
cli_lookup(struct fwd_cli *cli, const char *name, enum dns_for what)
{
	struct sockaddr_storage addrs[DNS_MAX_ADDRS];
	int n;

	/* A cached answer is used at once: no query object, no deferred
	 * call (the common case for a busy forward proxy). */
	if ((n = dns_cached(name, addrs)) > 0) {
		dns_result(cli, what, 0, addrs, n);
		return;
	}
	cli->txn.dns_for = what;
	cli->txn.dns = dns_lookup(name, dns_done, cli);
	if (cli->txn.dns == NULL)
		cli_error(cli, 503, "ERR_DNS_FAIL", "out of memory");
}

/* All refs of a tcp_outgoing_address line match. */
static int
refs_match(const struct acl_ref *ref, size_t n, const struct acl_ctx *ctx)
{
	size_t i;
	int m;

	for (i = 0; i < n; i++) {
		m = acl_match(ref[i].acl, ctx);
		if (m < 0)
			return 0;
		if (m == ref[i].negate)
			return 0;
	}
	return 1;
}

/*
 * The source address of the next server connection: the client's own
 * address on tproxy ports (unless spoof_client_ip denies it or the parent
 * is no-tproxy), else the first matching tcp_outgoing_address of the right
 * family, else whatever the system picks.
 */
void
cli_choose_source(struct fwd_cli *cli, int family)
{
	struct fwd_txn *t = &cli->txn;
	const struct cfg *c = cli->cfg;
	struct acl_ctx ctx;
	size_t i;

	t->srclen = 0;
	t->spoofed = 0;
	memset(&t->src, 0, sizeof(t->src));
	txn_acl_ctx(cli, &ctx);
	if (cli->port->mode == PORT_TPROXY &&
	    cli->addr.ss_family == family &&
	    !(t->peer != NULL && t->peer->no_tproxy) &&
	    acl_check(&c->spoof_client_ip, &ctx, ACL_ALLOW, NULL) ==
	    ACL_ALLOW) {
		t->src = cli->addr;
		t->srclen = cli->addrlen;
		if (!c->spoof_client_port)
			sa_set_port((struct sockaddr *)&t->src, 0);
		t->spoofed = 1;
		return;
	}
	for (i = 0; i < c->noutgoing; i++) {
		if (c->outgoing[i].addr.ss_family != family ||
		    !refs_match(c->outgoing[i].ref, c->outgoing[i].nref,
				&ctx))
			continue;
		t->src = c->outgoing[i].addr;
		t->srclen = c->outgoing[i].addrlen;
		return;
	}
}

/* Rewrite the request line of reqhead to absolute-form (toward a parent)
 * or origin-form (toward the origin). */
static int
reqhead_set_form(struct fwd_cli *cli, int absolute)
{
	struct fwd_txn *t = &cli->txn;
	struct buf *b = &cli->reqhead;
	const char *target, *slash = "";
	size_t restlen, tlen;
	char *eol, *tmp;

	eol = memchr(buf_head(b), '\n', buf_len(b));
	if (eol == NULL)
		return -1;
	restlen = (size_t)(buf_tail(b) - (eol + 1));
	if (absolute) {
		target = t->url;
		tlen = t->url_len;
	} else {
		/* "http://h" is "/", "http://h?x" is "/?x" (RFC 9112
		 * 3.2.1). */
		target = t->url + t->path_off;
		tlen = t->url_len - t->path_off;
		if (tlen == 0 || target[0] != '/')
			slash = "/";
	}
	if (strlen(t->method) + tlen + 13 + restlen > b->size)
		return -1;
	tmp = malloc(restlen + 1);
	if (tmp == NULL)
		return -1;
	memcpy(tmp, eol + 1, restlen);
	buf_reset(b);
	if (buf_appendf(b, "%s %s%.*s HTTP/1.1\r\n", t->method, slash,
			(int)tlen, target) < 0 ||
	    buf_append(b, tmp, restlen) < 0) {
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* Routes in order: parents allowed by cache_peer_access (unless
 * always_direct, or the Host was forged), then direct (unless
 * never_direct). */
static void
txn_routes(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;
	const struct cfg *c = cli->cfg;
	struct acl_ctx ctx;
	int direct = 1, peers = 1;
	size_t i;

	txn_acl_ctx(cli, &ctx);
	if (c->npeer == 0 || t->host_forged || t->meth == H1_M_CONNECT)
		peers = 0;
	else if (acl_check(&c->always_direct, &ctx, ACL_DENY, NULL) ==
		 ACL_ALLOW)
		peers = 0;
	else if (acl_check(&c->never_direct, &ctx, ACL_DENY, NULL) ==
		 ACL_ALLOW)
		direct = 0;
	t->nroute = 0;
	for (i = 0; peers && i < c->npeer && t->nroute < FWD_MAX_ROUTES - 1;
	     i++)
		if (acl_check(&c->peer[i].access, &ctx, ACL_ALLOW, NULL) ==
		    ACL_ALLOW)
			t->route[t->nroute++] = (int)i;
	if (direct)
		t->route[t->nroute++] = -1;
	t->route_idx = 0;
	t->routes_done = 1;
}

/* Try the current route; srv_acquire() reports back. */
static void
cli_route_try(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;
	const struct cfg_peer *pe;
	int r;

	if (t->route_idx >= t->nroute) {
		t->hier = "HIER_NONE";
		cli_error(cli, 503, t->nroute ? "ERR_CONNECT_FAIL" :
			  "ERR_CANNOT_FORWARD", t->nroute ?
			  "No server could be reached." :
			  "never_direct forbids going direct and no "
			  "cache_peer is allowed.");
		return;
	}
	r = t->route[t->route_idx];
	if (r >= 0) {
		pe = &cli->cfg->peer[r];
		t->peer = pe;
		t->origin_resolved = 0;
		if (t->meth != H1_M_CONNECT && reqhead_set_form(cli, 1) < 0) {
			cli_error(cli, 431, "ERR_TOO_BIG",
				  "The request headers are too large.");
			return;
		}
		if (!txn_literal(t, pe->host, pe->port)) {
			cli_lookup(cli, pe->host, DNS_FOR_PEER);
			return;
		}
	} else {
		if (t->peer != NULL && t->meth != H1_M_CONNECT)
			reqhead_set_form(cli, 0);
		t->peer = NULL;
		if (cli->intercepted) {
			/* Where the client was going: never a fresh DNS
			 * answer for Host (CVE-2009-0801). */
			txn_set_addrs(t, &cli->odst, 1,
				      sa_port((struct sockaddr *)&cli->odst));
		} else if (!t->origin_resolved &&
			   !txn_literal(t, t->host, t->port)) {
			cli_lookup(cli, t->host, DNS_FOR_ORIGIN);
			return;
		}
	}
	srv_acquire(cli);
}

void
cli_route_failed(struct fwd_cli *cli, int err)
{
	struct fwd_txn *t = &cli->txn;

	t->route_idx++;
	if (t->route_idx < t->nroute) {
		log_msg(LOG_INFO, "%s unreachable (%s), trying the next route",
			t->peer ? t->peer->host : t->host, strerror(err));
		t->naddr = 0;
		t->addr_idx = 0;
		cli_route_try(cli);
		return;
	}
	t->hier = "HIER_NONE";
	cli_error(cli, 503, "ERR_CONNECT_FAIL", strerror(err));
}

/*
 * Everything between a parsed request and a connection: access control
 * (which may need the destination address), Host verification on
 * intercepted ports, then the routes. Each asynchronous step calls back
 * here when done.
 */
static void
cli_prepare(struct fwd_cli *cli)
{
	struct fwd_txn *t = &cli->txn;
	struct acl_ctx ctx;
	enum acl_verdict v;

	if (!t->access_done) {
		txn_acl_ctx(cli, &ctx);
		v = acl_check(&cli->cfg->http_access, &ctx, ACL_DENY, NULL);
		if (v == ACL_NEED_DST && !t->origin_resolved &&
		    !cli->intercepted && !txn_literal(t, t->host, t->port)) {
			cli_lookup(cli, t->host, DNS_FOR_ORIGIN);
			return;
		}
		if (v != ACL_ALLOW) {
			cli_access_denied(cli);
			return;
		}
		t->access_done = 1;
	}
	if (t->verify_pending) {
		cli_lookup(cli, t->host, DNS_FOR_VERIFY);
		return;
	}
	if (!t->routes_done)
		txn_routes(cli);
	cli_route_try(cli);
}

static void
cli_start_server(struct fwd_cli *cli)
{
	cli_set_state(cli, CS_WAIT);
	cli_deadline(cli, cli->cfg->connect_timeout);
	cli_prepare(cli);
}

/* The end of the authority of an absolute "http://..." URL at p (n
 * bytes): *end points at the first '/', '?' or the end. Returns 0, or -1
 * when the authority is empty or has userinfo (RFC 9110 4.2.4). */
static int
url_authority(const char *p, size_t n, const char **end)
{
	const char *a = p + 7, *e = p + n, *q;

	for (q = a; q < e && *q != '/' && *q != '?'; q++)
		if (*q == '@')
			return -1;
	if (q == a)
		return -1;
	*end = q;
	return 0;
}

/* Via already names this proxy: the request went round in a loop. */
static int
via_loop(const struct h1_req *req)
{
	char needle[300];
	size_t i, nl;
	int k;

	k = snprintf(needle, sizeof(needle), " %s (tproxyd/", fwd_hostname);
	if (k < 0 || (size_t)k >= sizeof(needle))
		return 0;
	nl = (size_t)k;
	for (i = 0; i < req->nhdr; i++) {
		if (!str_ieq(req->hdr[i].name, "via"))
			continue;
		if (memmem(req->hdr[i].value.p, req->hdr[i].value.len, needle,
			   nl) != NULL)
			return 1;
	}
	return 0;
}

/*
 * Target of a request on an intercepted port (origin-form, built into a URL
 * from Host, or from the original destination when Host is missing, as in
 * HTTP/1.0). Checks Host against the original destination. Returns 0 to go
 * on, 1 when the request was answered here, -1 when malformed.
 */
static int
txn_intercepted_target(struct fwd_cli *cli, const struct h1_req *req,
		       const struct h1_info *info)
{
	struct fwd_txn *t = &cli->txn;
	const struct sockaddr *od = (const struct sockaddr *)&cli->odst;
	char otext[INET6_ADDRSTRLEN + 8];
	const char *path, *slash, *auth;
	size_t plen, alen;
	int explicit_port;
	struct in6_addr a6;
	struct in_addr a4;

	if (t->meth == H1_M_CONNECT || req->target.len == 0)
		return -1;
	if (lsn_is_own(od)) {
		/* The connection reached our port directly, not through
		 * interception: forwarding it would be to ourselves. */
		log_msg(LOG_CRIT, "ERROR: %s from %s was sent straight to "
			"this proxy's %s port %s, not intercepted: clients "
			"must not be configured to use an interception port "
			"(use a forward-proxy http_port for that), and "
			"routing must deliver intercepted traffic with the "
			"TPROXY/REDIRECT rules",
			t->method, addr_text(&cli->addr, otext, sizeof(otext)),
			cli->port->mode == PORT_TPROXY ? "tproxy" :
			"intercept", cli->port->name);
		t->code = "TCP_DENIED";
		cli_error(cli, 403, "ERR_ACCESS_DENIED",
			  "This port only serves intercepted traffic.");
		return 1;
	}
	path = req->target.p;
	plen = req->target.len;
	if (plen >= 7 && strncasecmp(path, "http://", 7) == 0) {
		/* absolute-form is allowed here too (RFC 9112 3.2.2) */
		if (url_authority(path, plen, &slash) < 0)
			return -1;
		auth = path + 7;
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
	if (auth != NULL && alen > 0) {
		explicit_port = parse_authority(t, auth, alen, 80);
		if (explicit_port < 0)
			return -1;
		if (txn_set_url3(t, STR_LIT("http://"), str_make(auth, alen),
				 str_make(path, plen)) < 0)
			return -1;
		t->path_off = 7 + alen;
		/* Host check (Squid's hostHeaderVerify). */
		if (explicit_port && t->port != sa_port(od)) {
			if (cli_host_forgery(cli, "intercepted port does not "
					     "match the Host port") < 0)
				return 1;
		} else if (inet_pton(AF_INET, t->host, &a4) == 1 ||
			   inet_pton(AF_INET6, t->host, &a6) == 1) {
			struct sockaddr_storage h;

			txn_literal(t, t->host, t->port);
			h = t->addr[0];
			t->naddr = 0;
			if (!sa_same_ip((struct sockaddr *)&h, od) &&
			    cli_host_forgery(cli, "local IP does not match "
					     "the Host IP") < 0)
				return 1;
		} else {
			t->verify_pending = 1;
		}
	} else {
		/* No Host (HTTP/1.0): the original destination names the
		 * server. */
		char ip[INET6_ADDRSTRLEN];

		sa_ip_text(od, ip, sizeof(ip));
		memcpy(t->hostbuf, ip, strlen(ip) + 1);
		t->host = t->hostbuf;
		t->port = sa_port(od);
		snprintf(otext, sizeof(otext), od->sa_family == AF_INET6 ?
			 "[%s]" : "%s", ip);
		if (t->port != 80 && txn_set_url(t, "http://%s:%u%.*s", otext,
						 t->port, (int)plen, path) < 0)
			return -1;
		if (t->port == 80 && txn_set_url(t, "http://%s%.*s", otext,
						 (int)plen, path) < 0)
			return -1;
		t->path_off = t->url_len - plen;
	}
	return 0;
}

/*
 * A request on the stats_port: GET /metrics answers the Prometheus text
 * format, for clients stats_access allows (localhost when it is empty).
 */
static void
cli_stats(struct fwd_cli *cli, struct h1_req *req, size_t hlen)
{
	struct fwd_txn *t = &cli->txn;
	struct acl_ctx ctx;
	struct buf body = { 0 };
	enum acl_verdict v;
	const struct acl *lh;
	struct acl_ref ref;
	struct access_rule rule;
	struct access_list local;

	memcpy(t->method, "GET", 4);
	t->meth = h1_method_of(req->method);
	t->code = "TCP_MISS";
	if (txn_set_url3(t, req->target, STR_NULL, STR_NULL) < 0)
		t->url_len = 0;
	buf_consume(&cli->ibuf, hlen);
	t->req_scanned = 1;
	t->cli_keepalive = !draining;
	txn_acl_ctx(cli, &ctx);
	if (cli->cfg->stats_access.n > 0) {
		v = acl_check(&cli->cfg->stats_access, &ctx, ACL_DENY, NULL);
	} else {
		/* Default: the local host only. */
		lh = cfg_acl_find(cli->cfg, "localhost");
		ref.acl = lh;
		ref.negate = 0;
		memset(&rule, 0, sizeof(rule));
		rule.allow = 1;
		rule.nref = 1;
		rule.ref = &ref;
		local.n = lh ? 1 : 0;
		local.rule = &rule;
		v = acl_check(&local, &ctx, ACL_DENY, NULL);
	}
	if (v != ACL_ALLOW) {
		cli_access_denied(cli);
		return;
	}
	if (t->meth != H1_M_GET ||
	    !(req->target.len == 8 && memcmp(req->target.p, "/metrics", 8) == 0)) {
		cli_error(cli, 404, "ERR_INVALID_URL",
			  "This port serves GET /metrics only.");
		return;
	}
	/* The whole instance: every worker's counters (stats.h). */
	if (buf_init(&body, 16384) < 0 || stats_render(&body) < 0 ||
	    buf_reserve(&cli->obuf, buf_len(&body) + 256) < 0) {
		buf_free(&body);
		cli_error(cli, 500, "ERR_INTERNAL", "Out of memory.");
		return;
	}
	buf_reset(&cli->obuf);
	buf_appendf(&cli->obuf, "HTTP/1.1 200 OK\r\nServer: tproxyd\r\n"
		    "Content-Type: text/plain; version=0.0.4\r\n"
		    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s"
		    "\r\n", buf_len(&body), t->cli_keepalive ? "" :
		    "Connection: close\r\n");
	buf_append(&cli->obuf, buf_head(&body), buf_len(&body));
	buf_free(&body);
	t->status = 200;
	t->resp_close = !t->cli_keepalive;
	t->hier = "HIER_NONE";
	memcpy(t->ctype, "text/plain", 11);
	cli_set_state(cli, CS_LOCAL);
	cli_deadline(cli, cli->cfg->read_timeout);
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

	if (cli->port->mode == PORT_STATS) {
		cli_stats(cli, req, hlen);
		return;
	}
	t->meth = h1_method_of(req->method);
	ml = req->method.len < sizeof(t->method) - 1 ? req->method.len :
	     sizeof(t->method) - 1;
	memcpy(t->method, req->method.p, ml);
	t->method[ml] = '\0';
	t->minor = req->minor;
	t->code = "TCP_MISS";
	if (txn_set_url3(t, req->target, STR_NULL, STR_NULL) < 0)
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

	if (via_loop(req)) {
		buf_consume(&cli->ibuf, hlen);
		t->code = "TCP_DENIED";
		log_msg(LOG_CRIT, "WARNING: Forwarding loop detected for: %s "
			"(Via names this proxy, %s)", t->url, fwd_hostname);
		cli_error(cli, 403, "ERR_ACCESS_DENIED",
			  "Forwarding loop detected: this request already "
			  "passed through this proxy.");
		return;
	}
	p = req->target.p;
	n = req->target.len;
	if (cli->intercepted) {
		rc = txn_intercepted_target(cli, req, &info);
		if (rc < 0)
			goto bad_url;
		if (rc > 0) {
			buf_consume(&cli->ibuf, hlen);
			return;	/* answered (409 or loop) */
		}
	} else if (t->meth == H1_M_CONNECT) {
		/* authority-form */
		if (parse_authority(t, p, n, 0) < 0 || t->port == 0)
			goto bad_url;
		t->path_off = t->url_len;
	} else {
		/* absolute-form: this is a forward-proxy port */
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
		if (url_authority(p, n, &slash) < 0 ||
		    parse_authority(t, p + 7, (size_t)(slash - p) - 7, 80) < 0)
			goto bad_url;
		/* path_off indexes into the URL copy, which is the target */
		t->path_off = (size_t)(slash - p);
	}
	t->upgrade = info.conn_upgrade && info.upgrade >= 0;

	/* Rewrite the head for the server now: req views die with it. */
	if (t->meth != H1_M_CONNECT) {
		/* The rewritten head is the received one, less hop-by-hop
		 * fields, plus Host, Via and X-Forwarded-For, and the URL
		 * again if it goes to a parent in absolute-form. */
		if (buf_reserve(&cli->reqhead, hlen + 2 * t->url_len + 1024)
		    < 0)
			goto fail500;
		memset(&o, 0, sizeof(o));
		o.method = req->method;
		/* Origin-form: the path as sent when there is one; otherwise
		 * reqhead_set_form() below writes "/" or "/?query". */
		if (t->path_off < t->url_len && t->url[t->path_off] == '/')
			o.target = str_make(t->url + t->path_off,
					    t->url_len - t->path_off);
		else
			o.target = STR_LIT("*");
		o.host = str_make(t->url + 7, t->path_off - 7);
		o.via_name = cli->cfg->via ? fwd_hostname : NULL;
		o.xff = (int)cli->cfg->forwarded_for;
		o.client = addr_text(&cli->addr, client, sizeof(client));
		o.upgrade = t->upgrade;
		o.has_cl = info.has_cl;
		o.cl = info.cl;
		rc = hdr_build_req(&cli->reqhead, req, &o);
		if (rc == 0 && o.target.p[0] == '*')
			rc = reqhead_set_form(cli, 0);
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
	/* Bytes for the server that went with it. */
	if (cli->up.len > 0)
		pipe_close(&cli->up);
	if (t->resp_head_done || t->bytes_out > 0) {
		cli_abort(cli);
		return;
	}
	if (t->start == 0)
		t->start = evl_now();
	if (t->method[0] == '\0')
		memcpy(t->method, "NONE", 5);
	if (buf_reserve(&cli->obuf, 8192) < 0) {
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
	stats_error(errname);
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

	t->hier = t->peer ? "FIRSTUP_PARENT" : cli->intercepted ?
		  "ORIGINAL_DST" : "HIER_DIRECT";
	cli_deadline(cli, cli->cfg->read_timeout);
	if (t->meth == H1_M_CONNECT) {
		if (buf_reserve(&cli->obuf, 64) < 0 ||
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
reqhead_pending(const struct fwd_cli *cli)
{
	return buf_len(&cli->reqhead) > cli->reqhead_sent;
}

/*
 * Whether the client's bytes go into cli->up rather than cli->ibuf: in a
 * tunnel, and for the rest of a Content-Length request body of at least
 * SPLICE_MIN, once everything before them has gone out (head, buffered
 * bytes). While the pipe holds bytes, nothing more is read into ibuf, not
 * even a pipelined request, so ibuf stays empty and nothing can overtake
 * the pipe's bytes.
 */
static int
up_in_pipe(const struct fwd_cli *cli)
{
	const struct fwd_txn *t = &cli->txn;
	const struct fwd_srv *srv = cli->srv;

	if (srv == NULL ||
	    (cli->state != CS_FORWARD && cli->state != CS_TUNNEL))
		return 0;
	if (cli->up.len > 0)
		return 1;
	if (cli->up.off || cli->eof || t->req_sent || cli->fwd > 0 ||
	    !buf_empty(&cli->ibuf) || reqhead_pending(cli))
		return 0;
	if (cli->state == CS_TUNNEL)
		return srv->state == SS_TUNNEL;
	return (srv->state == SS_HEAD || srv->state == SS_BODY) &&
	       !t->req_scanned && t->req_body.kind == H1_BODY_LENGTH &&
	       t->req_body.left >= SPLICE_MIN;
}

/* ... and cli->up can take more client bytes now. */
static int
up_fill_ok(const struct fwd_cli *cli)
{
	return up_in_pipe(cli) && !cli->eof && pipe_room(&cli->up) &&
	       (cli->state == CS_TUNNEL || !cli->txn.req_scanned);
}

/*
 * Whether the server's bytes go into cli->down rather than srv->ibuf: in a
 * tunnel, and for the rest of a Content-Length response body of at least
 * SPLICE_MIN that is not being dechunked, once the head and the buffered
 * bytes have gone out. The same rule as up_in_pipe() keeps the order.
 */
static int
down_in_pipe(const struct fwd_cli *cli)
{
	const struct fwd_txn *t = &cli->txn;
	const struct fwd_srv *srv = cli->srv;

	if (srv == NULL || (srv->state != SS_BODY && srv->state != SS_TUNNEL))
		return 0;
	if (cli->down.len > 0)
		return 1;
	if (cli->down.off || srv->eof || srv->fwd > 0 ||
	    !buf_empty(&srv->ibuf) || !buf_empty(&cli->obuf))
		return 0;
	if (srv->state == SS_TUNNEL)
		return cli->state == CS_TUNNEL;
	return cli->state == CS_FORWARD &&
	       t->resp_body.kind == H1_BODY_LENGTH && !t->resp_scanned &&
	       !t->dechunk && t->resp_body.left >= SPLICE_MIN;
}

/* ... and cli->down can take more server bytes now. */
static int
down_fill_ok(const struct fwd_cli *cli)
{
	return down_in_pipe(cli) && !cli->srv->eof &&
	       pipe_room(&cli->down) &&
	       (cli->srv->state == SS_TUNNEL || !cli->txn.resp_scanned);
}

/* Client bytes are to be read into cli->ibuf. */
static int
cli_want_read(const struct fwd_cli *cli)
{
	if (cli->eof || up_in_pipe(cli))
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
	unsigned rd = cli->rd_ready, eof = cli->eof, rst = cli->rst;
	int r;

	if (!cli->rd_ready || !cli_want_read(cli))
		return 0;
	if (ensure_buf(&cli->ibuf, cli->cfg->request_header_max_size) < 0) {
		cli_close(cli);
		return 0;
	}
	if (cli->state == CS_LINGER)
		buf_reset(&cli->ibuf);	/* discard */
	r = recv_into(cli->fd, &cli->ibuf, &rd, &eof, &rst,
		      &stats.client_bytes_in);
	cli->rd_ready = rd;
	cli->eof = eof;
	cli->rst = rst;
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
		else if (rc == H1_E_VERSION_UNSUP)
			cli_error(cli, 505, "ERR_UNSUP_HTTPVERSION",
				  h1_strerror(rc));
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
	t->req_sent = 0;	/* all of it goes again */
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
		if (t->req_scanned && cli->state == CS_FORWARD &&
		    cli->up.len == 0) {
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
			cli_tunnel_abort(cli);
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
	stats.server_bytes_out += (uint64_t)w;
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

/* Server bytes are to be read into srv->ibuf. */
static int
srv_want_read(const struct fwd_cli *cli, const struct fwd_srv *srv)
{
	if (srv->eof || down_in_pipe(cli))
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
	unsigned rd, eof, rst;
	int r;

	if (srv == NULL || !srv->rd_ready || !srv_want_read(cli, srv))
		return 0;
	if (ensure_buf(&srv->ibuf, cli->cfg->reply_header_max_size) < 0) {
		cli_error(cli, 500, "ERR_INTERNAL", "Out of memory.");
		return 1;
	}
	rd = srv->rd_ready;
	eof = srv->eof;
	rst = srv->rst;
	r = recv_into(srv->fd, &srv->ibuf, &rd, &eof, &rst,
		      &stats.server_bytes_in);
	srv->rd_ready = rd;
	srv->eof = eof;
	srv->rst = rst;
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
	/* Interim responses may still be queued ahead of this head. */
	if (buf_reserve(&cli->obuf, buf_len(&cli->obuf) + (size_t)rc + 1024)
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
	o.has_cl = info.has_cl;
	o.cl = info.cl;
	/* Read until close (a Transfer-Encoding that does not end in
	 * chunked, or any in HTTP/1.0: RFC 9112 6.1, 6.3): the client gets
	 * it close-delimited too, without the framing fields, so it cannot
	 * find a message boundary inside that the server slipped in. */
	o.drop_framing = t->dechunk ||
			 (t->resp_body.kind == H1_BODY_CLOSE && info.has_te);
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
		/* From now on req_sent means "client EOF passed on". */
		t->req_scanned = 1;
		t->req_sent = 0;
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

/* Log why a direction falls back to copying (errno from the splice). */
static void
splice_refused(const struct fwd_cli *cli, const char *where)
{
	log_msg(LOG_DEBUG, "client FD %d: cannot splice %s (%s): copying "
		"instead", cli->fd, where, strerror(errno));
}

/*
 * cli->up: client socket -> pipe -> server socket (see up_in_pipe()). The
 * pipe is written out only once the rewritten head and the approved bytes
 * of ibuf are gone. Byte counters as on the copy path: client_bytes_in
 * when read, server_bytes_out when written. Returns 1 on progress; may
 * abort the transaction (check cli->state).
 */
static int
cli_splice_up(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	struct fwd_txn *t = &cli->txn;
	struct fwd_pipe *p = &cli->up;
	int tunnel = cli->state == CS_TUNNEL, prog = 0;
	size_t want;
	ssize_t n;

	if (srv == NULL)
		return 0;
	if (cli->rd_ready && up_fill_ok(cli)) {
		if (pipe_open(p) < 0)
			return 1;	/* copy instead: cli_recv() reads */
		want = p->cap - p->len;
		if (!tunnel && want > t->req_body.left)
			want = (size_t)t->req_body.left;
		n = pipe_fill(p, cli->fd, want);
		if (n > 0) {
			stats.client_bytes_in += (uint64_t)n;
			if (!tunnel) {
				t->req_body.left -= (uint64_t)n;
				if (t->req_body.left == 0)
					t->req_scanned = 1;
			}
			if ((size_t)n < want)
				cli->rd_ready = 0;
			cli_touch(cli);
			prog = 1;
		} else if (n == -EAGAIN) {
			if (p->len == 0)
				cli->rd_ready = 0;
		} else if (n == -EOPNOTSUPP) {
			splice_refused(cli, "from the client");
			pipe_off(p);
			prog = 1;
		} else {
			/* End of stream or error: cli_scan_req() aborts a
			 * cut body, cli_tunnel() passes the end on. */
			cli->eof = 1;
			cli->rst = n < 0;
			cli->rd_ready = 0;
			prog = 1;
		}
	}
	if (p->len > 0 && !p->unload && srv->wr_ready &&
	    !reqhead_pending(cli) && cli->fwd == 0) {
		n = pipe_flush(p, srv->fd);
		if (n > 0) {
			stats.server_bytes_out += (uint64_t)n;
			if (tunnel)
				stats.spliced_up += (uint64_t)n;
			else
				stats.spliced_req += (uint64_t)n;
			if (p->len > 0)
				srv->wr_ready = 0;
			cli_touch(cli);
			prog = 1;
		} else if (n == -EAGAIN) {
			srv->wr_ready = 0;
		} else if (n == -EOPNOTSUPP) {
			splice_refused(cli, "to the server");
			p->off = p->unload = 1;
			prog = 1;
		} else if (tunnel) {
			cli_tunnel_abort(cli);
			return 1;
		} else {
			/* As in cli_send_req(): stop sending, and let the
			 * response side decide; what the pipe holds is for
			 * nobody now. */
			pipe_close(p);
			t->req_sent = 1;
			t->srv_reusable = 0;
			t->resp_close = 1;
			return 1;
		}
	}
	if (p->unload && p->len > 0 && cli->fwd == 0 &&
	    buf_empty(&cli->ibuf)) {
		if (ensure_buf(&cli->ibuf, cli->cfg->request_header_max_size) <
		    0 || pipe_unload(p, &cli->ibuf, &cli->fwd) < 0) {
			if (tunnel)
				cli_tunnel_abort(cli);
			else
				cli_abort(cli);
		}
		prog = 1;
	}
	return prog;
}

/*
 * cli->down: server socket -> pipe -> client socket (see down_in_pipe()),
 * written out once the head (obuf) and the approved bytes of srv->ibuf are
 * gone. Counters as on the copy path: server_bytes_in when read,
 * client_bytes_out and the logged size when written. A Content-Length body
 * cut short by the server is noticed by cli_scan_resp(), which lets the
 * pipe drain and then aborts, so it never looks complete. Returns 1 on
 * progress; may abort (check cli->state).
 */
static int
cli_splice_down(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	struct fwd_txn *t = &cli->txn;
	struct fwd_pipe *p = &cli->down;
	int tunnel = cli->state == CS_TUNNEL, prog = 0;
	size_t want;
	ssize_t n;

	if (srv == NULL)
		return 0;
	if (srv->rd_ready && down_fill_ok(cli)) {
		if (pipe_open(p) < 0)
			return 1;	/* copy instead */
		want = p->cap - p->len;
		if (!tunnel && want > t->resp_body.left)
			want = (size_t)t->resp_body.left;
		n = pipe_fill(p, srv->fd, want);
		if (n > 0) {
			stats.server_bytes_in += (uint64_t)n;
			if (!tunnel) {
				t->resp_body.left -= (uint64_t)n;
				if (t->resp_body.left == 0)
					t->resp_scanned = 1;
			}
			if ((size_t)n < want)
				srv->rd_ready = 0;
			cli_touch(cli);
			prog = 1;
		} else if (n == -EAGAIN) {
			if (p->len == 0)
				srv->rd_ready = 0;
		} else if (n == -EOPNOTSUPP) {
			splice_refused(cli, "from the server");
			pipe_off(p);
			prog = 1;
		} else {
			srv->eof = 1;
			srv->rst = n < 0;
			srv->rd_ready = 0;
			prog = 1;
		}
	}
	if (p->len > 0 && !p->unload && cli->wr_ready &&
	    buf_empty(&cli->obuf) && srv->fwd == 0) {
		n = pipe_flush(p, cli->fd);
		if (n > 0) {
			t->bytes_out += (uint64_t)n;
			stats.client_bytes_out += (uint64_t)n;
			if (tunnel)
				stats.spliced_down += (uint64_t)n;
			else
				stats.spliced_resp += (uint64_t)n;
			if (p->len > 0)
				cli->wr_ready = 0;
			cli_touch(cli);
			prog = 1;
		} else if (n == -EAGAIN) {
			cli->wr_ready = 0;
		} else if (n == -EOPNOTSUPP) {
			splice_refused(cli, "to the client");
			p->off = p->unload = 1;
			prog = 1;
		} else {
			/* The client is gone. */
			t->aborted = 1;
			if (tunnel)
				cli_tunnel_abort(cli);
			else
				cli_abort(cli);
			return 1;
		}
	}
	if (p->unload && p->len > 0 && srv->fwd == 0 &&
	    buf_empty(&srv->ibuf)) {
		if (ensure_buf(&srv->ibuf, cli->cfg->reply_header_max_size) <
		    0 || pipe_unload(p, &srv->ibuf, &srv->fwd) < 0) {
			t->aborted = 1;
			if (tunnel)
				cli_tunnel_abort(cli);
			else
				cli_abort(cli);
		}
		prog = 1;
	}
	return prog;
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
		if (cli->state == CS_TUNNEL)
			cli_tunnel_abort(cli);
		else
			cli_abort(cli);
		return 1;
	}
	if ((size_t)w < hl + bl)
		cli->wr_ready = 0;
	cli->txn.bytes_out += (uint64_t)w;
	stats.client_bytes_out += (uint64_t)w;
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
	/* Request bytes still in the pipe (answered early): for nobody. */
	if (cli->up.len > 0)
		pipe_close(&cli->up);
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
		/* Idle keep-alive connections hold no buffers (nor splice
		 * pipes, which cost two descriptors each); a refused splice
		 * is tried again on the next busy period. */
		buf_free(&cli->ibuf);
		buf_free(&cli->obuf);
		buf_free(&cli->reqhead);
		pipe_close(&cli->up);
		pipe_close(&cli->down);
		cli->up.off = cli->down.off = 0;
	}
}

/*
 * A tunnel cannot go on (a side reset, or a write failed): close both
 * connections with a RST (SO_LINGER 0), so that neither peer can take the
 * stream cut here for a complete one, as it would a FIN.
 */
static void
cli_tunnel_abort(struct fwd_cli *cli)
{
	struct linger lg = { 1, 0 };

	cli->txn.aborted = 1;
	setsockopt(cli->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (cli->srv != NULL)
		setsockopt(cli->srv->fd, SOL_SOCKET, SO_LINGER, &lg,
			   sizeof(lg));
	cli_abort(cli);
}

/* CS_TUNNEL: everything read is approved for the other side. The end of a
 * direction is passed on once every byte before it is delivered (buffer
 * and pipe): a FIN as a half-close, an error (reset) by cutting both
 * connections. */
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
	if (cli->eof && cli->fwd == 0 && cli->up.len == 0 &&
	    !cli->txn.req_sent && !reqhead_pending(cli)) {
		if (cli->rst) {
			cli_tunnel_abort(cli);
			return 1;
		}
		shutdown(srv->fd, SHUT_WR);
		cli->txn.req_sent = 1;
		progress = 1;
	}
	if (srv->eof && srv->fwd == 0 && cli->down.len == 0 &&
	    buf_empty(&cli->obuf) && !cli->shut_wr) {
		if (srv->rst) {
			cli_tunnel_abort(cli);
			return 1;
		}
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

/*
 * Event interest from what is left to do. The loop is level-triggered:
 * interest is registered whenever there is something to read or write,
 * even when the last step did not drain the socket (cli_run() stops after
 * RUN_MAX_STEPS for fairness), so the kernel wakes us again at once.
 */
static void
cli_update_events(struct fwd_cli *cli)
{
	struct fwd_srv *srv = cli->srv;
	int ev = 0;

	if (cli->state == CS_CLOSED)
		return;
	if (cli_want_read(cli) || up_fill_ok(cli))
		ev |= EVL_READ;
	if ((cli->obuf.area && !buf_empty(&cli->obuf)) ||
	    (srv && srv->fwd > 0) || cli->down.len > 0)
		ev |= EVL_WRITE;
	evl_io_want(&cli->io, ev);
	if (srv == NULL || srv->state == SS_CLOSED ||
	    srv->state == SS_CONNECT || srv->state == SS_IDLE)
		return;
	ev = 0;
	if (srv_want_read(cli, srv) || down_fill_ok(cli))
		ev |= EVL_READ;
	if ((!cli->txn.req_sent &&
	     (reqhead_pending(cli) || cli->fwd > 0)) || cli->up.len > 0)
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
			/* Each direction: the copy steps, then the splice
			 * step; at most one of them has bytes to move (see
			 * up_in_pipe(), down_in_pipe()). */
			p |= cli_scan_req(cli);
			if (cli->state != CS_FORWARD)
				break;
			p |= cli_send_req(cli);
			if (cli->state != CS_FORWARD)
				break;
			p |= cli_splice_up(cli);
			if (cli->state != CS_FORWARD)
				break;
			p |= cli_recv_resp(cli);
			p |= cli_parse_resp(cli);
			if (cli->state != CS_FORWARD)
				break;
			p |= cli_scan_resp(cli);
			p |= cli_send_resp(cli);
			if (cli->state != CS_FORWARD)
				break;
			p |= cli_splice_down(cli);
			if (cli->state != CS_FORWARD)
				break;
			if (t->resp_scanned && cli->srv && cli->srv->fwd == 0 &&
			    buf_empty(&cli->obuf) && cli->down.len == 0) {
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
			if (cli->state != CS_TUNNEL)
				break;
			p |= cli_splice_up(cli);
			if (cli->state != CS_TUNNEL)
				break;
			p |= cli_recv_resp(cli);
			p |= cli_tunnel(cli);
			if (cli->state != CS_TUNNEL)
				break;
			p |= cli_send_resp(cli);
			if (cli->state != CS_TUNNEL)
				break;
			p |= cli_splice_down(cli);
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
	pipe_close(&cli->up);
	pipe_close(&cli->down);
	cli_set_state(cli, CS_CLOSED);
	if (cli->prev)
		cli->prev->next = cli->next;
	else
		clients = cli->next;
	if (cli->next)
		cli->next->prev = cli->prev;
	nclients--;
	if (cli->port->mode == PORT_STATS)
		nstats--;
	else
		stats.clients--;
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
	sa_unmap(&cli->addr, &cli->addrlen);
	cli->locallen = sizeof(cli->local);
	if (getsockname(fd, (struct sockaddr *)&cli->local, &cli->locallen) < 0)
		cli->locallen = 0;
	sa_unmap(&cli->local, &cli->locallen);
	if (port->mode == PORT_TPROXY || port->mode == PORT_INTERCEPT) {
		cli->intercepted = 1;
		if (origdst_get(fd, port->mode, &cli->odst, &cli->odstlen) < 0) {
			/* No NAT entry: the client came straight to us;
			 * the loop guard will refuse it. */
			cli->odst = cli->local;
			cli->odstlen = cli->locallen;
		}
	}
	cli->cfg = cfg_ref(cfg);
	cli->port = port;
	cli->txn.host = cli->txn.hostbuf;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evl_io_init(&cli->io, cli_io_cb, fd, cli);
	evl_timer_init(&cli->timer, cli_timer_cb, cli);
	cli->state = CS_IDLE;
	cli->wr_ready = 1;
	cli->rd_ready = 1;	/* accept: the request is often there already */
	cli->up.fd[0] = cli->up.fd[1] = -1;
	cli->down.fd[0] = cli->down.fd[1] = -1;
	if (port->mode == PORT_STATS) {
		nstats++;
	} else {
		stats.client_accepted++;
		stats.clients++;
	}
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

void
fwd_set_fd_limit(unsigned limit)
{
	fd_limit = limit;
}

void
fwd_set_conn_limit(unsigned limit)
{
	conn_limit = limit;
}

int
fwd_over_limit(void)
{
	/* Every client may need a server connection: count both, and the
	 * splice pipes. */
	if (fd_limit &&
	    nclients + srv_count() + npipefd + FD_RESERVE >= fd_limit)
		return 1;
	return conn_limit && nclients - nstats >= conn_limit;
}
