/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli_h1.c - the client side: one HTTP/1 session per accepted connection
 * (idle, reading a request head, carrying a stream, lingering, closed).
 * The only file that changes a client side's state.
 *
 * Everything happens in cli_run(): each I/O callback (the client's, and
 * through strm_wake() the server's and DNS's) records readiness and calls
 * it; cli_run() makes every step that can progress on the client side and
 * its stream until none can, and finally sets the event interest of both
 * connections from what is left to do. One place decides, so a wake-up
 * cannot be lost between the two sides.
 *
 * The client side produces the request channel (body bytes approved in
 * its input buffer) and consumes the response channel; it never looks
 * inside the server side.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/sa.h"
#include "delay/delay.h"
#include "event/loop.h"
#include "http/h1.h"
#include "intercept/origdst.h"
#include "log/log.h"
#include "net/conn.h"
#include "net/pipe.h"
#include "proxy/bump.h"
#include "proxy/cli.h"
#include "proxy/peek.h"
#include "proxy/pool.h"
#include "proxy/proxy.h"
#include "proxy/req.h"
#include "proxy/rules.h"
#include "proxy/stream.h"
#include "stats/stats.h"

#define LINGER_TIME    2.0	/* seconds to drain input after a close */
#define RUN_MAX_STEPS  64	/* fairness: yield to other connections */
#define SENDFILE_CHUNK (2u << 20)	/* bytes per sendfile(2) call */

static struct cli *clients;
static int draining;
static double drain_grace;	/* proxy_drain_soft() */
const char *proxy_hostname = "localhost";

static const char *cs_names[] = {
	"IDLE", "HEAD", "STREAM", "LINGER", "CLOSED",
};

const char *
cli_state_str(enum cs_state s)
{
	return s <= CS_CLOSED ? cs_names[s] : "?";
}

static void cli_close(struct cli *cli);

static void
cli_set_state(struct cli *cli, enum cs_state s)
{
	if (log_enabled(LOG_DEBUG + 1) && cli->state != s)
		log_msg(LOG_DEBUG + 1, "client FD %d: %s -> %s", cli->conn.fd,
			cli_state_str(cli->state), cli_state_str(s));
	cli->state = s;
}

/*
 * Timeouts use one lazily re-armed timer per client: activity only moves
 * cli->deadline forward; when the timer fires early it re-arms itself for
 * the rest. This keeps timer-heap work off the per-read path.
 */
void
cli_set_deadline(struct cli *cli, double secs)
{
	double now = evl_now();

	cli->deadline = now + secs;
	if (!evl_timer_active(&cli->timer) ||
	    evl_timer_remaining(&cli->timer) > secs)
		evl_timer_arm(&cli->timer, secs);
}

void
cli_touch(struct cli *cli)
{
	cli->deadline = evl_now() + cli->sess.cfg->read_timeout;
}

/* The next bytes of the client are a TLS ClientHello: an https_port's
 * connection, or a CONNECT's on a forward http_port with ssl-bump after
 * its 200 (peek.c). */
static int
cli_awaits_hello(const struct cli *cli)
{
	return cli->tls != NULL && cli->sess.bumped == NULL;
}

/* Allocate the input buffer when the connection has none (idle ones hold
 * none). 0 or -ENOMEM. */
static int
cli_ensure_ibuf(struct cli *cli)
{
	size_t sz = cli->sess.cfg->request_header_max_size;

	if (cli->ibuf.area != NULL)
		return 0;
	return buf_init(&cli->ibuf, sz < STRM_MIN_BUF ? STRM_MIN_BUF : sz);
}

/* Client bytes are to be read into cli->ibuf. */
static int
cli_want_read(const struct cli *cli)
{
	const struct stream *s = &cli->strm;

	if (cli->conn.eof || strm_req_in_pipe(s))
		return 0;
	switch (cli->state) {
	case CS_STREAM:
		/* Not while answering from here: the answer is all the
		 * client gets on this connection until it is sent. */
		if (s->state != STRM_PREPARE && s->state != STRM_FORWARD &&
		    s->state != STRM_TUNNEL)
			return 0;
		/* fall through */
	case CS_IDLE:
	case CS_HEAD:
	case CS_LINGER:
		return cli->ibuf.area == NULL || buf_room(&cli->ibuf) > 0 ||
		       cli->ibuf.head > 0;
	default:
		return 0;
	}
}

static int
cli_recv(struct cli *cli)
{
	int r;

	if (!cli->conn.rd_ready || !cli_want_read(cli))
		return 0;
	if (cli_ensure_ibuf(cli) < 0) {
		cli_close(cli);
		return 0;
	}
	if (cli->state == CS_LINGER)
		buf_reset(&cli->ibuf);	/* discard */
	r = conn_recv(&cli->conn, &cli->ibuf, &stats.client_bytes_in);
	if (r && (cli->state == CS_STREAM || cli->state == CS_LINGER))
		cli_touch(cli);
	return r;
}

/*
 * on_unsupported_protocol on an intercepted http_port: the first request
 * of a connection is not HTTP (squid_error ERR_PROTOCOL_UNKNOWN,
 * ERR_TOO_BIG) or did not come in time (ERR_REQUEST_START_TIMEOUT). 1
 * when the rules tunnel the connection's bytes to the original
 * destination (the client side is in CS_STREAM); 0: answer as usual.
 */
static int
cli_unsupported(struct cli *cli, const char *squid_error)
{
	if (!cli->sess.intercepted || cli->tls != NULL || cli->nreq != 1 ||
	    cli->sess.cfg->tls.on_unsupported.n == 0)
		return 0;
	cli->tls = calloc(1, sizeof(*cli->tls));
	if (cli->tls == NULL)
		return 0;
	if (peek_http_unsupported(&cli->strm, cli->tls, squid_error))
		return 1;
	free(cli->tls);
	cli->tls = NULL;
	return 0;
}

/* CS_IDLE / CS_HEAD: look for a complete request head, and start its
 * stream. */
static int
cli_parse(struct cli *cli)
{
	struct stream *s = &cli->strm;
	struct h1_req req;
	int rc;

	if (cli->ibuf.area == NULL || buf_empty(&cli->ibuf)) {
		if (!cli->conn.eof)
			return 0;
		/* A CONNECT answered 200 whose client left without a word
		 * is logged (peek_hello()); else it went away between
		 * requests. */
		if (!cli_awaits_hello(cli) || cli->nreq == 0 ||
		    cli_ensure_ibuf(cli) < 0) {
			cli_close(cli);
			return 0;
		}
	}
	if (cli->state == CS_IDLE) {
		if (cli->tls == NULL || cli->sess.bumped != NULL)
			s->start = evl_now();
		cli_set_state(cli, CS_HEAD);
		cli_set_deadline(cli, cli->sess.cfg->request_timeout);
	}
	if (cli_awaits_hello(cli)) {
		/* An https_port, or a bumped CONNECT: the head is the TLS
		 * ClientHello. */
		if (!peek_hello(s, &cli->ibuf, cli->conn.eof))
			return 0;
		cli->nreq++;
		cli_set_state(cli, CS_STREAM);
		return 1;
	}
	rc = h1_parse_req(buf_head(&cli->ibuf), buf_len(&cli->ibuf),
			  cli->sess.cfg->request_header_max_size, &cli->scan,
			  &req);
	/* Another protocol that waits for an answer (SSH, SMTP's client
	 * side) would never complete a head: refused from its first line
	 * (or tunnelled by on_unsupported_protocol), not at the timeout. */
	if (rc == H1_INCOMPLETE &&
	    h1_req_start_bad(buf_head(&cli->ibuf), buf_len(&cli->ibuf)))
		rc = H1_E_SYNTAX;
	if (rc == H1_INCOMPLETE) {
		if (cli->conn.eof)
			cli_close(cli);	/* half a request: nobody to answer */
		return 0;
	}
	cli->nreq++;
	cli_set_state(cli, CS_STREAM);
	if (rc < 0 && cli_unsupported(cli, rc == H1_E_TOO_LONG ||
				      rc == H1_E_TOO_MANY ? "ERR_TOO_BIG" :
				      "ERR_PROTOCOL_UNKNOWN"))
		return 1;
	if (rc < 0) {
		s->code = "TAG_NONE";
		if (strm_set_url(s, STR_LIT("error:invalid-request"), STR_NULL,
				 STR_NULL) < 0)
			s->url_len = 0;
		if (rc == H1_E_TOO_LONG || rc == H1_E_TOO_MANY)
			strm_error(s, 431, "ERR_TOO_BIG", h1_strerror(rc));
		else if (rc == H1_E_VERSION_UNSUP)
			strm_error(s, 505, "ERR_UNSUP_HTTPVERSION",
				   h1_strerror(rc));
		else
			strm_error(s, 400, "ERR_INVALID_REQ", h1_strerror(rc));
		s->resp_close = 1;
		buf_reset(&cli->ibuf);
		return 1;
	}
	req_start(s, &req, (size_t)rc, &cli->ibuf);
	return 1;
}

int
cli_produce_req(struct stream *s)
{
	struct cli *cli = s->cli;
	size_t avail;
	ssize_t n;
	int done = 0;

	if (s->req_scanned || cli->ibuf.area == NULL)
		return 0;
	avail = buf_len(&cli->ibuf) - s->req.fwd;
	if (avail == 0) {
		if (cli->conn.eof) {
			/* The client stopped in the middle of its body. */
			s->code = "TCP_MISS";
			strm_abort(s);
		}
		return 0;
	}
	n = h1_body_scan(&s->req_body, buf_head(&cli->ibuf) + s->req.fwd,
			 avail, &done);
	if (n < 0) {
		s->code = "TAG_NONE";
		strm_error(s, 400, "ERR_INVALID_REQ", h1_strerror((int)n));
		return 1;
	}
	/* request_body_max_size on a chunked body (a declared length was
	 * checked in req_start()): none of the bytes past the limit go
	 * on; the server connection is closed, the client gets 413 if no
	 * response has started, else its connection is cut. The chunk
	 * framing counts too. */
	s->req_body_seen += (uint64_t)n;
	if (rules_request_body_max(s) > 0 &&
	    s->req_body_seen > rules_request_body_max(s)) {
		s->code = "TAG_NONE";
		strm_error(s, 413, "ERR_TOO_BIG", "The request body is "
			   "larger than the configured limit "
			   "(request_body_max_size).");
		return 1;
	}
	s->req.fwd += (uint64_t)n;
	if (done)
		s->req_scanned = 1;
	return n > 0 || done;
}

int
cli_send_res(struct stream *s)
{
	struct cli *cli = s->cli;
	struct chn *c = &s->res;
	size_t hl, bl, fl, lim;
	ssize_t w;

	if (!cli->conn.wr_ready || cli->state != CS_STREAM ||
	    s->dly.cli_wait)
		return 0;
	hl = chn_hd_pending(c);
	bl = c->in && c->in->area ? (size_t)c->fwd : 0;
	fl = c->file_left > SENDFILE_CHUNK ? SENDFILE_CHUNK :
	     (size_t)c->file_left;
	if (hl == 0 && bl == 0 && fl == 0)
		return 0;
	if (s->dly.cli.nb > 0) {
		/* client_delay_pools: no more than the client's bucket
		 * holds; a head goes whole (it is taken from the bucket
		 * all the same). */
		lim = strm_delay_cli_room(s, hl + bl + fl);
		if (lim == 0)
			return 0;
		if (hl + bl > 0)
			bl = lim > hl ? (bl < lim - hl ? bl : lim - hl) : 0;
		else if (fl > lim)
			fl = lim;
	}
	if (hl == 0 && bl == 0) {
		/* A stored body from the page cache, without copying. */
		w = conn_sendfile(&cli->conn, c->file_fd, &c->file_off, fl);
		if (w > 0)
			c->file_left -= (uint64_t)w;
		goto sent;
	}
	/* A head before a file: sent with the file's first bytes. */
	cli->conn.more = bl == 0 && c->file_left > 0;
	w = conn_send2(&cli->conn, &c->hd, c->hd_sent,
		       bl ? buf_head(c->in) : NULL, bl);
	cli->conn.more = 0;
sent:
	if (w < 0) {
		if (w == -EAGAIN)
			return 0;
		/* The client is gone: nothing more to deliver. */
		s->aborted = 1;
		if (s->state == STRM_TUNNEL)
			strm_tunnel_abort(s);
		else
			strm_abort(s);
		return 1;
	}
	s->bytes_out += (uint64_t)w;
	stats.client_bytes_out += (uint64_t)w;
	if (s->dly.cli.nb > 0)
		delay_take(&s->dly.cli, (size_t)w);
	if (hl > 0 || bl > 0)
		chn_advance(c, (size_t)w);
	if (s->state != STRM_LOCAL)
		cli_touch(cli);
	return w > 0;
}

/* Close gracefully: shut our side, then drain what the client still sends
 * for a moment, so that unread request bytes do not make the kernel answer
 * with a RST that could destroy the response in flight (nginx's lingering
 * close). */
static void
cli_linger(struct cli *cli)
{
	if (cli->conn.eof) {
		cli_close(cli);
		return;
	}
	conn_shutw(&cli->conn);
	if (cli->ibuf.area)
		buf_reset(&cli->ibuf);
	cli_set_state(cli, CS_LINGER);
	cli_set_deadline(cli, LINGER_TIME);
}

/* The stream's response is delivered: settle it, then wait for the next
 * request (or close). */
static void
cli_stream_done(struct cli *cli)
{
	struct stream *s = &cli->strm;
	int keep;

	strm_settle(s, draining);
	/* Draining for -k upgrade (drain_grace): a response that went out
	 * promising keep-alive before the drain began keeps that promise,
	 * for one more request answered with "Connection: close" (the
	 * client may be sending it already). */
	keep = !s->resp_close && (!draining || drain_grace > 0);
	strm_reset(s);
	if (cli->sess.bumped != NULL && s->tls != NULL) {
		/* Bumped: HTTP requests follow, inside TLS; OpenSSL may hold
		 * the first one already. */
		s->tls = NULL;
		cli->conn.rd_ready = 1;
	}
	memset(&cli->scan, 0, sizeof(cli->scan));
	if (!keep) {
		cli_linger(cli);
		return;
	}
	cli_set_state(cli, CS_IDLE);
	/* A CONNECT answered before its TLS is read (peek_connect()): the
	 * ClientHello comes next, in the time of a request. */
	cli_set_deadline(cli, cli_awaits_hello(cli) ?
			 cli->sess.cfg->request_timeout : draining ?
			 drain_grace :
			 cli->sess.cfg->client_idle_pconn_timeout);
	if (cli->ibuf.area && buf_empty(&cli->ibuf)) {
		/* Idle keep-alive connections hold no buffers (nor splice
		 * pipes, which cost two descriptors each); a refused splice
		 * is tried again on the next busy period. */
		buf_free(&cli->ibuf);
		buf_free(&s->req.hd);
		buf_free(&s->res.hd);
		buf_free(&s->applet.out);
		spipe_reset(&s->req.pipe);
		spipe_reset(&s->res.pipe);
	}
}

/*
 * half_closed_clients off (Squid's default): the client's end of the
 * connection (EOF) while its whole request is being answered gives the
 * transaction up, so that a client that went away does not keep a server
 * connection busy until read_timeout. A client still sending its body is
 * cut in cli_produce_req(); a tunnel passes the half close on.
 */
static int
cli_gave_up(const struct cli *cli)
{
	const struct stream *s = &cli->strm;

	if (!cli->conn.eof || cli->sess.cfg->half_closed_clients ||
	    !s->req_scanned)
		return 0;
	return s->state == STRM_PREPARE || s->state == STRM_FORWARD;
}

/* Event interest from what is left to do. The loop is level-triggered:
 * interest is registered whenever there is something to read or write,
 * even when the last step did not drain the socket (cli_run() stops after
 * RUN_MAX_STEPS for fairness), so the kernel wakes us again at once. */
static void
cli_update_events(struct cli *cli)
{
	struct stream *s = &cli->strm;
	int ev = 0, busy = cli->state == CS_STREAM;

	if (bump_cli_handshaking(cli)) {
		/* OpenSSL chose the event it waits for. */
		strm_update_events(s);
		return;
	}
	if (cli_want_read(cli) || (busy && strm_req_fill_ok(s)))
		ev |= EVL_READ;
	if (busy && (chn_pending(&s->res) || s->res.pipe.len > 0) &&
	    !s->dly.cli_wait)
		ev |= EVL_WRITE;
	conn_want(&cli->conn, ev);
	if (busy)
		strm_update_events(s);
}

void
cli_run(struct cli *cli)
{
	struct stream *s = &cli->strm;
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
		case CS_STREAM:
			if (cli_gave_up(cli)) {
				s->aborted = 1;
				strm_abort(s);
			} else {
				p |= strm_process(s);
			}
			if (s->state == STRM_DONE) {
				cli_stream_done(cli);
				p = 1;
			} else if (s->state == STRM_CLOSE) {
				strm_log(s);
				cli_close(cli);
				return;
			}
			break;
		case CS_LINGER:
			if (cli->conn.eof) {
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
	struct cli *cli = arg;

	buf_free(&cli->ibuf);
	strm_free(&cli->strm);
	if (cli->tls != NULL) {
		free(cli->tls->cert);
		bump_free(cli->tls->bump);
	}
	free(cli->tls);
	free(cli->sess.auth_user);
	cfg_unref(cli->sess.cfg);
	free(cli);
}

/* Close the client side and whatever its stream holds; the memory is
 * freed after the running callback returns. */
static void
cli_close(struct cli *cli)
{
	if (cli->state == CS_CLOSED)
		return;
	strm_release(&cli->strm);
	evl_timer_stop(&cli->timer);
	conn_close(&cli->conn);
	cli_set_state(cli, CS_CLOSED);
	if (cli->prev)
		cli->prev->next = cli->next;
	else
		clients = cli->next;
	if (cli->next)
		cli->next->prev = cli->prev;
	lim_client_close(cli->sess.stats_port);
	if (cli->ip_counted)
		lim_ip_close((const struct sockaddr *)&cli->sess.addr);
	if (!cli->sess.stats_port)
		stats.clients--;
	evl_defer(&cli->free_later, cli_free, cli);
}

static void
cli_io_cb(struct evl_io *io, int revents)
{
	struct cli *cli = io->data;

	if (revents & EVL_READ)
		cli->conn.rd_ready = 1;
	if (revents & EVL_WRITE)
		cli->conn.wr_ready = 1;
	cli_run(cli);
}

static void
cli_timer_cb(struct evl_timer *tm)
{
	struct cli *cli = tm->data;
	struct stream *s = &cli->strm;
	double left = cli->deadline - evl_now();

	if (left > 0.001) {
		evl_timer_arm(&cli->timer, left);
		return;
	}
	if (cli_awaits_hello(cli) &&
	    (cli->state == CS_IDLE || cli->state == CS_HEAD)) {
		/* No (complete) TLS hello in time: maybe a protocol where
		 * the server talks first (on_unsupported_protocol). */
		cli_set_state(cli, CS_STREAM);
		cli->nreq++;
		peek_unsupported(s, "ERR_REQUEST_START_TIMEOUT");
		cli_run(cli);
		return;
	}
	if (cli->nreq == 0 &&
	    (cli->state == CS_IDLE || cli->state == CS_HEAD)) {
		/* The first request did not come in time on an http_port:
		 * maybe the server talks first (on_unsupported_protocol). */
		enum cs_state was = cli->state;

		cli->nreq++;
		cli_set_state(cli, CS_STREAM);
		if (cli_unsupported(cli, "ERR_REQUEST_START_TIMEOUT")) {
			cli_run(cli);
			return;
		}
		cli->nreq--;
		cli_set_state(cli, was);
	}
	switch (cli->state) {
	case CS_HEAD:
		cli_set_state(cli, CS_STREAM);
		s->code = "TAG_NONE";
		if (strm_set_url(s, STR_LIT("error:request-timeout"), STR_NULL,
				 STR_NULL) < 0)
			s->url_len = 0;
		strm_error(s, 408, "ERR_REQUEST_START_TIMEOUT",
			   "The request headers did not arrive in time.");
		s->resp_close = 1;
		break;
	case CS_STREAM:
		strm_timeout(s);
		break;
	default:	/* idle, lingering */
		cli_close(cli);
		return;
	}
	cli_run(cli);
}

void
cli_accept(int fd, const struct sockaddr *addr, socklen_t addrlen,
	   struct cfg *cfg, const struct cfg_port *port)
{
	static double warned;
	char ip[INET6_ADDRSTRLEN];
	struct cli *cli;
	struct sess *se;
	int one = 1, ipc = -2;

	/* client_ip_max_connections: Squid closes a connection over the
	 * limit at once, without a word to the client. */
	if (port->mode != PORT_STATS) {
		ipc = lim_ip_open(addr, cfg->rules.client_ip_max);
		if (ipc == -1) {
			if (evl_now() - warned >= 1.0) {
				warned = evl_now();
				log_msg(LOG_WARN, "WARNING: %s attempting "
					"more than %ld connections",
					sa_ip_text(addr, ip, sizeof(ip)),
					cfg->rules.client_ip_max);
			}
			close(fd);
			return;
		}
	}
	cli = calloc(1, sizeof(*cli));
	if (cli == NULL) {
		if (ipc == 0)
			lim_ip_close(addr);
		close(fd);
		return;
	}
	cli->ip_counted = ipc == 0;
	conn_init(&cli->conn, fd, &xprt_raw, cli_io_cb, cli);
	se = &cli->sess;
	memcpy(&se->addr, addr, addrlen);
	se->addrlen = addrlen;
	sa_unmap(&se->addr, &se->addrlen);
	se->locallen = sizeof(se->local);
	if (getsockname(fd, (struct sockaddr *)&se->local, &se->locallen) < 0)
		se->locallen = 0;
	sa_unmap(&se->local, &se->locallen);
	if (port->mode == PORT_TPROXY && se->locallen > 0) {
		/* TPROXY keeps the original destination as the socket's
		 * own address: the getsockname() above gave it. */
		se->intercepted = 1;
		se->odst = se->local;
		se->odstlen = se->locallen;
	} else if (port->mode == PORT_TPROXY || port->mode == PORT_INTERCEPT) {
		se->intercepted = 1;
		if (origdst_get(fd, port->mode, &se->odst, &se->odstlen) < 0) {
			/* No NAT entry: the client came straight to us;
			 * the loop guard will refuse it. */
			se->odst = se->local;
			se->odstlen = se->locallen;
		}
	}
	se->stats_port = port->mode == PORT_STATS;
	se->cfg = cfg_ref(cfg);
	se->port = port;
	strm_init(&cli->strm, cli, se, &cli->conn, &cli->ibuf);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evl_timer_init(&cli->timer, cli_timer_cb, cli);
	cli->state = CS_IDLE;
	cli->conn.wr_ready = 1;
	cli->conn.rd_ready = 1;	/* accept: the request is often there */
	lim_client_open(se->stats_port);
	if (!se->stats_port) {
		stats.client_accepted++;
		stats.clients++;
	}
	cli->next = clients;
	if (clients)
		clients->prev = cli;
	clients = cli;
	cli_set_deadline(cli, cfg->request_timeout);
	if (port->https) {
		/* Intercepted TLS: step 1 decides before any byte is read. */
		cli->tls = calloc(1, sizeof(*cli->tls));
		if (cli->tls == NULL) {
			cli_close(cli);
			return;
		}
		cli->strm.tls = cli->tls;
		if (peek_accept(&cli->strm)) {
			cli->nreq++;
			cli_set_state(cli, CS_STREAM);
		}
	}
	cli_run(cli);
}

/* ---- the proxy as the daemon sees it (proxy.h) ------------------------- */

const struct proto proxy_proto_http = {
	.name   = "http",
	.accept = cli_accept,
};

/* https_port ... ssl-bump: the same client side, reading a TLS hello
 * instead of an HTTP request (cli_accept() looks at the port). */
const struct proto proxy_proto_tls = {
	.name   = "tls",
	.accept = cli_accept,
};

void
proxy_set_hostname(const char *name)
{
	proxy_hostname = name;
}

int
proxy_draining(void)
{
	return draining;
}

void
proxy_drain(void)
{
	struct cli *cli, *next;

	draining = 1;
	pool_close_all();
	for (cli = clients; cli; cli = next) {
		next = cli->next;
		if (cli->state == CS_IDLE)
			cli_close(cli);
	}
}

void
proxy_drain_soft(double grace)
{
	struct cli *cli;

	draining = 1;
	drain_grace = grace;
	pool_close_all();
	/* Another process accepts the new connections (-k upgrade): a
	 * keep-alive connection idle now may carry the client's next
	 * request at any moment, and closing it then would fail that
	 * request. It gets grace seconds to send one (answered with
	 * "Connection: close"). A connection whose first request has not
	 * arrived yet keeps its request timeout. */
	for (cli = clients; cli; cli = cli->next)
		if (cli->state == CS_IDLE && cli->nreq > 0 &&
		    cli->deadline - evl_now() > grace)
			cli_set_deadline(cli, grace);
}

void
proxy_close_all(void)
{
	while (clients)
		cli_close(clients);
	pool_close_all();
}

unsigned
proxy_nclients(void)
{
	return lim_clients();
}
