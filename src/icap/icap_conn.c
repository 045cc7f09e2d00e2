/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icap_conn.c - connections to ICAP services (RFC 3507) on the event
 * loop. Each service keeps a pool of idle persistent connections; a
 * transaction takes one (or opens one, or waits while the service is at
 * its Max-Connections), writes its request, reads the response whole
 * (head, encapsulated heads, the chunked body decoded into x->body), and
 * gives the connection back when the response allows it. A pooled
 * connection the server closed in the meantime costs one resend on a new
 * connection, never an error. OPTIONS are asked at start and again when
 * their Options-TTL runs out; a service whose OPTIONS fail, or whose
 * connects fail more than icap_service_failure_limit times, is down until
 * OPTIONS succeed again (asked after icap_service_revival_delay).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/limits.h"
#include "event/loop.h"
#include "http/h1.h"
#include "icap/icap.h"
#include "icap/icap_conn.h"
#include "log/log.h"
#include "net/conn.h"
#include "stats/stats.h"

/* Options-TTL when the service names none (Squid's
 * icap_default_options_ttl). */
#define ICAP_DEFAULT_TTL 60.0
#define ICAP_IBUF 16384

/* A counter of the service, also in the shared metrics. */
#define COUNT(s, f) do {						\
	(s)->st.f++;							\
	if ((s)->ss != NULL)						\
		(s)->ss->f++;						\
} while (0)

static struct icap_svc **svcs;
static size_t nsvcs;

static void xact_run(struct icap_xact *x);
static void xact_fail(struct icap_xact *x, int err, const char *why);
static void ask_options(struct icap_svc *s);

const char *
icap_state_str(enum icap_state st)
{
	switch (st) {
	case ICAP_S_NEW:
		return "NEW";
	case ICAP_S_WAIT:
		return "WAIT";
	case ICAP_S_CONNECT:
		return "CONNECT";
	case ICAP_S_SEND:
		return "SEND";
	case ICAP_S_RECV:
		return "RECV";
	case ICAP_S_STREAM:
		return "STREAM";
	case ICAP_S_DONE:
		return "DONE";
	case ICAP_S_FAILED:
		return "FAILED";
	}
	return "?";
}

static void
set_state(struct icap_xact *x, enum icap_state st)
{
	log_msg(LOG_DEBUG, "icap %s: %s -> %s", x->svc->c.name,
		icap_state_str(x->state), icap_state_str(st));
	x->state = st;
}

/* ------------------------------------------------------------ services */

static void
svc_unref(struct icap_svc *s)
{
	if (--s->refs > 0)
		return;
	free(s);
}

/* The most connections s may have open. */
static unsigned
svc_limit(const struct icap_svc *s)
{
	unsigned l = s->c.max_conn;

	if (s->opt_ok && s->opt.max_conn > 0 &&
	    (l == 0 || (unsigned)s->opt.max_conn < l))
		l = (unsigned)s->opt.max_conn;
	return l;
}

static void
cn_close(struct icap_cn *cn)
{
	struct icap_svc *s = cn->svc;

	conn_close(&cn->conn);
	lim_server_close();
	s->nconn--;
	free(cn);
}

/* Take cn out of the idle list. */
static void
idle_remove(struct icap_cn *cn)
{
	struct icap_svc *s = cn->svc;
	struct icap_cn **pp;

	for (pp = &s->idle; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cn) {
			*pp = cn->next;
			s->nidle--;
			return;
		}
}

/* A connection closed or went idle: the first waiting transaction may
 * go now. */
static void
svc_kick(struct icap_svc *s)
{
	struct icap_xact *x;

	if (s->wait_head == NULL)
		return;
	if (s->idle == NULL && svc_limit(s) != 0 && s->nconn >= svc_limit(s))
		return;
	x = s->wait_head;
	s->wait_head = x->wnext;
	if (s->wait_head == NULL)
		s->wait_tail = NULL;
	s->nwait--;
	x->wnext = NULL;
	xact_run(x);
}

/* An idle connection became readable: the server closed it (or sent
 * what it must not). Either way it cannot carry a request. */
static void
idle_io(struct icap_cn *cn)
{
	struct icap_svc *s = cn->svc;

	idle_remove(cn);
	cn_close(cn);
	svc_kick(s);
}

static void
cn_io_cb(struct evl_io *io, int revents);

static void
opt_timer_cb(struct evl_timer *t)
{
	ask_options(t->data);
}

/* ------------------------------------------------------------ the I/O */

static void
timer_cb(struct evl_timer *t)
{
	struct icap_xact *x = t->data;

	xact_fail(x, -ETIMEDOUT, x->state == ICAP_S_CONNECT ?
		  "connect timed out (icap_connect_timeout)" :
		  "no answer in time (icap_io_timeout)");
}

static void
deferred_done(void *arg)
{
	struct icap_xact *x = arg;

	x->cb(x->arg, x);
}

static void
finish(struct icap_xact *x)
{
	evl_timer_stop(&x->timer);
	evl_defer(&x->defer, deferred_done, x);
}

/* Release x's connection: to the pool when reusable, else closed. */
static void
release_cn(struct icap_xact *x, int reusable)
{
	struct icap_cn *cn = x->cn;
	struct icap_svc *s = x->svc;

	if (cn == NULL)
		return;
	x->cn = NULL;
	cn->x = NULL;
	if (reusable && s->c.persistent && !s->retired && !cn->conn.eof) {
		cn->next = s->idle;
		s->idle = cn;
		s->nidle++;
		/* Watch for the server closing it. */
		conn_want(&cn->conn, EVL_READ);
	} else {
		cn_close(cn);
	}
	svc_kick(s);
}

/* Take x off its service's wait queue. */
static void
wait_remove(struct icap_xact *x)
{
	struct icap_svc *s = x->svc;
	struct icap_xact **pp, *prev = NULL;

	for (pp = &s->wait_head; *pp != NULL; pp = &(*pp)->wnext) {
		if (*pp == x) {
			*pp = x->wnext;
			if (s->wait_tail == x)
				s->wait_tail = prev;
			s->nwait--;
			x->wnext = NULL;
			return;
		}
		prev = *pp;
	}
}

static void
xact_fail(struct icap_xact *x, int err, const char *why)
{
	if (x->state == ICAP_S_DONE || x->state == ICAP_S_FAILED)
		return;
	if (x->state == ICAP_S_WAIT)
		wait_remove(x);
	x->err = err;
	x->why = why;
	release_cn(x, 0);
	if (!x->is_options)
		COUNT(x->svc, errors);
	set_state(x, ICAP_S_FAILED);
	finish(x);
}

/* Open a new connection for x. */
static int
open_cn(struct icap_xact *x)
{
	struct icap_svc *s = x->svc;
	struct icap_cn *cn;
	int fd, one = 1;

	if (!lim_fd_room(1))
		return -EMFILE;
	fd = socket(s->c.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	cn = calloc(1, sizeof(*cn));
	if (cn == NULL) {
		close(fd);
		return -ENOMEM;
	}
	cn->svc = s;
	conn_init(&cn->conn, fd, &xprt_raw, cn_io_cb, cn);
	lim_server_open();
	s->nconn++;
	COUNT(s, connects);
	cn->x = x;
	x->cn = cn;
	if (connect(fd, (const struct sockaddr *)&s->c.addr,
		    s->c.addrlen) == 0) {
		cn->conn.wr_ready = 1;
		set_state(x, ICAP_S_SEND);
		return 0;
	}
	if (errno != EINPROGRESS) {
		int e = errno;

		x->cn = NULL;
		cn_close(cn);
		return -e;
	}
	set_state(x, ICAP_S_CONNECT);
	evl_timer_arm(&x->timer, s->c.connect_timeout);
	conn_want(&cn->conn, EVL_WRITE);
	return 0;
}

/* A connect failed: count it against the service. */
static void
connect_failed(struct icap_xact *x, int err)
{
	struct icap_svc *s = x->svc;

	s->failures++;
	if (s->c.failure_limit >= 0 && !s->down &&
	    s->failures > (unsigned long)s->c.failure_limit) {
		s->down = 1;
		log_msg(LOG_CRIT, "ERROR: ICAP service %s is down after %u "
			"failed connects (icap_service_failure_limit %ld); "
			"asking its OPTIONS again in %.0f s", s->c.name,
			s->failures, s->c.failure_limit, s->c.revival_delay);
		evl_timer_arm(&s->opt_timer, s->c.revival_delay);
	}
	xact_fail(x, err, "cannot connect");
}

/* Does the response in x->in end here? 1 done, 0 more, < 0 error. */
static int
parse_more(struct icap_xact *x)
{
	const char *p = buf_head(&x->in);
	size_t len = buf_len(&x->in);
	struct str d;
	ssize_t k;
	int rc;

	if (x->head_len == 0) {
		rc = icap_parse_resp(p, len, ICAP_HEAD_MAX, &x->resp);
		if (rc == ICAP_INCOMPLETE)
			return 0;
		if (rc < 0)
			return rc;
		if (x->resp.status == 100)
			return ICAP_E_STATUS;	/* we sent no preview */
		x->head_len = (size_t)rc;
		if (x->resp.enc.n == 0) {
			x->body_off = x->head_len;
			return 1;
		}
		x->body_off = x->head_len +
			      (size_t)x->resp.enc.e[x->resp.enc.n - 1].off;
		x->ck_pos = x->body_off;
	}
	if (len < x->body_off)
		return 0;
	if (icap_encap_body(&x->resp.enc) == ICAP_P_NULL_BODY ||
	    x->resp.enc.n == 0)
		return 1;
	while (!x->ck.done && x->ck_pos < len) {
		k = icap_chunk_next(&x->ck, p + x->ck_pos, len - x->ck_pos,
				    &d);
		if (k == ICAP_INCOMPLETE)
			return 0;
		if (k < 0)
			return (int)k;
		/* The body must fit where it was given room. */
		if (d.len > 0 && buf_append(&x->body, d.p, d.len) < 0)
			return ICAP_E_TOO_LONG;
		x->ck_pos += (size_t)k;
	}
	return x->ck.done ? 1 : 0;
}

/* The connection may carry another request after this response. */
static int
reusable(const struct icap_xact *x)
{
	size_t end = x->ck.done ? x->ck_pos : x->body_off;
	const struct str *c = icap_field(&x->resp, "Connection");

	if (c != NULL && h1_list_has(*c, "close"))
		return 0;
	return end == buf_len(&x->in);
}

static void
recv_step(struct icap_xact *x)
{
	struct icap_cn *cn = x->cn;
	uint64_t count = 0;
	size_t max = x->body.size + ICAP_HEAD_MAX + 65536;
	int rc;

	for (;;) {
		if (buf_room(&x->in) == 0 && x->in.head == 0) {
			if (x->in.size >= max) {
				xact_fail(x, -EMSGSIZE, "answer too large");
				return;
			}
			if (buf_reserve(&x->in, x->in.size * 2) < 0) {
				xact_fail(x, -ENOMEM, "out of memory");
				return;
			}
		}
		if (!conn_recv(&cn->conn, &x->in, &count))
			break;
		if (count > 0)
			evl_timer_arm(&x->timer, x->svc->c.io_timeout);
		rc = parse_more(x);
		if (rc < 0) {
			xact_fail(x, -EPROTO, icap_strerror(rc));
			return;
		}
		if (rc > 0) {
			/* The buffer may have grown (moved) since the head
			 * was parsed: its views are taken again. */
			if (icap_parse_resp(buf_head(&x->in), x->head_len,
					    ICAP_HEAD_MAX, &x->resp) !=
			    (int)x->head_len) {
				xact_fail(x, -EPROTO, "malformed ICAP head");
				return;
			}
			/* Not the connection's end: a pooled one must not
			 * be touched by what follows. */
			release_cn(x, reusable(x));
			if (!x->is_options && x->resp.status == 204)
				COUNT(x->svc, no_content);
			else if (!x->is_options && x->resp.status != 200)
				COUNT(x->svc, errors);
			set_state(x, ICAP_S_DONE);
			finish(x);
			return;
		}
		if (cn->conn.eof) {
			if (buf_len(&x->in) == 0 && x->reused &&
			    !x->retried) {
				/* The server closed a pooled connection as
				 * we used it: once more on a new one. */
				x->retried = 1;
				x->reused = 0;
				release_cn(x, 0);
				x->out_off = 0;
				xact_run(x);
				return;
			}
			xact_fail(x, -ECONNRESET, "the ICAP server closed "
				  "the connection before its answer ended");
			return;
		}
	}
	conn_want(&cn->conn, EVL_READ);
}

static void
send_step(struct icap_xact *x)
{
	struct icap_cn *cn = x->cn;
	ssize_t n;

	while (x->out_off < buf_len(&x->out)) {
		n = conn_send2(&cn->conn, NULL, 0, buf_head(&x->out) +
			       x->out_off, buf_len(&x->out) - x->out_off);
		if (n == -EAGAIN || n == 0) {
			conn_want(&cn->conn, EVL_WRITE);
			return;
		}
		if (n < 0) {
			if (x->reused && !x->retried) {
				x->retried = 1;
				x->reused = 0;
				release_cn(x, 0);
				x->out_off = 0;
				xact_run(x);
				return;
			}
			xact_fail(x, (int)n, "cannot send the request");
			return;
		}
		x->out_off += (size_t)n;
		evl_timer_arm(&x->timer, x->svc->c.io_timeout);
	}
	set_state(x, ICAP_S_RECV);
	recv_step(x);
}

static void
cn_io_cb(struct evl_io *io, int revents)
{
	struct icap_cn *cn = io->data;
	struct icap_xact *x = cn->x;
	int err = 0;
	socklen_t el = sizeof(err);

	if (revents & EVL_READ)
		cn->conn.rd_ready = 1;
	if (revents & EVL_WRITE)
		cn->conn.wr_ready = 1;
	if (x == NULL) {
		idle_io(cn);
		return;
	}
	switch (x->state) {
	case ICAP_S_CONNECT:
		if (getsockopt(cn->conn.fd, SOL_SOCKET, SO_ERROR, &err,
			       &el) < 0)
			err = errno;
		if (err != 0) {
			connect_failed(x, -err);
			return;
		}
		x->svc->failures = 0;
		evl_timer_arm(&x->timer, x->svc->c.io_timeout);
		if (x->streaming) {
			conn_want(&cn->conn, 0);
			set_state(x, ICAP_S_STREAM);
			evl_defer(&x->defer, deferred_done, x);
			break;
		}
		set_state(x, ICAP_S_SEND);
		send_step(x);
		break;
	case ICAP_S_STREAM:
		/* The owner decides what to move. */
		conn_want(&cn->conn, 0);
		evl_defer(&x->defer, deferred_done, x);
		break;
	case ICAP_S_SEND:
		send_step(x);
		break;
	case ICAP_S_RECV:
		recv_step(x);
		break;
	default:
		break;
	}
}

/* Start x on a pooled or a new connection, or queue it. */
static void
xact_run(struct icap_xact *x)
{
	struct icap_svc *s = x->svc;
	struct icap_cn *cn;
	int rc;

	if (s->idle != NULL) {
		cn = s->idle;
		s->idle = cn->next;
		s->nidle--;
		cn->next = NULL;
		cn->x = x;
		cn->uses++;
		x->cn = cn;
		x->reused = 1;
		if (!x->is_options)
			COUNT(s, reused);
		evl_timer_arm(&x->timer, s->c.io_timeout);
		cn->conn.wr_ready = 1;
		conn_want(&cn->conn, 0);
		if (x->streaming) {
			set_state(x, ICAP_S_STREAM);
			evl_defer(&x->defer, deferred_done, x);
			return;
		}
		set_state(x, ICAP_S_SEND);
		send_step(x);
		return;
	}
	if (svc_limit(s) != 0 && s->nconn >= svc_limit(s)) {
		if (s->nwait >= ICAP_WAIT_MAX) {
			xact_fail(x, -EAGAIN, "too many transactions waiting "
				  "for a connection (Max-Connections)");
			return;
		}
		x->wnext = NULL;
		if (s->wait_tail != NULL)
			s->wait_tail->wnext = x;
		else
			s->wait_head = x;
		s->wait_tail = x;
		s->nwait++;
		set_state(x, ICAP_S_WAIT);
		evl_timer_arm(&x->timer, s->c.connect_timeout);
		return;
	}
	rc = open_cn(x);
	if (rc < 0) {
		connect_failed(x, rc);
		return;
	}
	if (x->state == ICAP_S_SEND) {
		evl_timer_arm(&x->timer, s->c.io_timeout);
		if (x->streaming) {
			set_state(x, ICAP_S_STREAM);
			evl_defer(&x->defer, deferred_done, x);
			return;
		}
		send_step(x);
	}
}

/* ------------------------------------------------------ transactions */

struct icap_xact *
icap_xact_new(struct icap_svc *svc, icap_done_cb *cb, void *arg)
{
	struct icap_xact *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->svc = svc;
	svc->refs++;
	x->cb = cb;
	x->arg = arg;
	evl_timer_init(&x->timer, timer_cb, x);
	if (buf_init(&x->out, 4096) < 0) {
		svc->refs--;
		free(x);
		return NULL;
	}
	return x;
}

void
icap_xact_start(struct icap_xact *x, size_t body_max)
{
	x->t_start = evl_now();
	if (!x->is_options)
		COUNT(x->svc, requests);
	if (buf_init(&x->in, ICAP_IBUF) < 0 ||
	    buf_init(&x->body, body_max > 0 ? body_max : 1) < 0) {
		xact_fail(x, -ENOMEM, "out of memory");
		return;
	}
	xact_run(x);
}

void
icap_xact_stream(struct icap_xact *x)
{
	x->streaming = 1;
	icap_xact_start(x, 1);
}

int
icap_xact_io(struct icap_xact *x, int rd)
{
	struct icap_cn *cn = x->cn;
	uint64_t count = 0;
	ssize_t n;
	int moved = 0, want = 0;

	if (x->state != ICAP_S_STREAM || cn == NULL)
		return 0;
	while (x->out_off < buf_len(&x->out) && cn->conn.wr_ready) {
		n = conn_send2(&cn->conn, NULL, 0, buf_head(&x->out) +
			       x->out_off, buf_len(&x->out) - x->out_off);
		if (n == -EAGAIN || n == 0)
			break;
		if (n < 0) {
			xact_fail(x, (int)n, "cannot send to the service");
			return (int)n;
		}
		x->out_off += (size_t)n;
		moved = 1;
	}
	/* What was written is not needed again. */
	buf_consume(&x->out, x->out_off);
	x->out_off = 0;
	if (!buf_empty(&x->out))
		want |= EVL_WRITE;
	if (rd && !x->eof) {
		if (x->in.area == NULL && buf_init(&x->in, ICAP_IBUF) < 0) {
			xact_fail(x, -ENOMEM, "out of memory");
			return -ENOMEM;
		}
		while (cn->conn.rd_ready && (buf_room(&x->in) > 0 ||
					     x->in.head > 0)) {
			if (!conn_recv(&cn->conn, &x->in, &count))
				break;
			moved = 1;
			if (cn->conn.eof) {
				x->eof = 1;
				break;
			}
		}
		if (!x->eof && (buf_room(&x->in) > 0 || x->in.head > 0))
			want |= EVL_READ;
	}
	if (moved)
		evl_timer_arm(&x->timer, x->svc->c.io_timeout);
	conn_want(&cn->conn, want);
	return moved;
}

void
icap_xact_want(struct icap_xact *x, int rd)
{
	int want = 0;

	if (x->state != ICAP_S_STREAM || x->cn == NULL)
		return;
	if (!buf_empty(&x->out))
		want |= EVL_WRITE;
	if (rd && !x->eof && (x->in.area == NULL || buf_room(&x->in) > 0 ||
			      x->in.head > 0))
		want |= EVL_READ;
	conn_want(&x->cn->conn, want);
}

void
icap_xact_end(struct icap_xact *x, int reusable)
{
	if (x->state != ICAP_S_STREAM)
		return;
	evl_timer_stop(&x->timer);
	release_cn(x, reusable && !x->eof);
	set_state(x, ICAP_S_DONE);
}

void
icap_xact_free(struct icap_xact *x)
{
	struct icap_svc *s;

	if (x == NULL)
		return;
	s = x->svc;
	evl_timer_stop(&x->timer);
	evl_defer_cancel(&x->defer);
	if (x->state == ICAP_S_WAIT)
		wait_remove(x);
	/* Cut short: its connection is in an unknown state. */
	release_cn(x, 0);
	buf_free(&x->out);
	buf_free(&x->in);
	buf_free(&x->body);
	free(x);
	svc_unref(s);
}

/* -------------------------------------------------------------- OPTIONS */

static void
options_done(void *arg, struct icap_xact *x)
{
	struct icap_svc *s = arg;
	struct icap_options o;
	unsigned want = s->c.respmod ? ICAP_OPT_RESPMOD : ICAP_OPT_REQMOD;
	const char *why = x->why;
	double next;

	s->opt_x = NULL;
	if (x->state == ICAP_S_DONE) {
		why = "malformed OPTIONS answer";
		if (icap_options_read(&x->resp, &o) == 0) {
			why = NULL;
			if (!(o.methods & want))
				why = s->c.respmod ? "the service does not "
				      "offer RESPMOD" : "the service does not "
				      "offer REQMOD";
		} else if (x->resp.status != 200) {
			why = "OPTIONS refused";
		}
	}
	if (why == NULL) {
		s->opt = o;
		/* The views die with x. */
		memset(&s->opt.transfer_preview, 0,
		       sizeof(s->opt.transfer_preview));
		memset(&s->opt.transfer_ignore, 0,
		       sizeof(s->opt.transfer_ignore));
		memset(&s->opt.transfer_complete, 0,
		       sizeof(s->opt.transfer_complete));
		memcpy(s->istag, o.istag, sizeof(s->istag));
		if (s->down || !s->opt_ok)
			log_msg(LOG_INFO, "ICAP service %s is up (%s, "
				"Max-Connections %d, Options-TTL %ld)",
				s->c.name, s->c.uri, o.max_conn, o.ttl);
		s->opt_ok = 1;
		s->down = 0;
		s->failures = 0;
		s->st.options++;
		next = o.ttl > 0 ? (double)o.ttl : ICAP_DEFAULT_TTL;
	} else {
		if (!s->down)
			log_msg(LOG_CRIT, "ERROR: ICAP service %s (%s) is "
				"down: %s%s%s", s->c.name, s->c.uri, why,
				x->err < 0 && x->err != -EPROTO ? ": " : "",
				x->err < 0 && x->err != -EPROTO ?
				strerror(-x->err) : "");
		s->down = 1;
		next = s->c.revival_delay;
	}
	icap_xact_free(x);
	evl_timer_arm(&s->opt_timer, next);
	svc_kick(s);
}

static void
ask_options(struct icap_svc *s)
{
	struct icap_req_opts o;
	struct icap_xact *x;

	if (s->opt_x != NULL)
		return;
	x = icap_xact_new(s, options_done, s);
	if (x == NULL) {
		evl_timer_arm(&s->opt_timer, s->c.revival_delay);
		return;
	}
	x->is_options = 1;
	memset(&o, 0, sizeof(o));
	o.method = ICAP_M_OPTIONS;
	o.uri = str_make(s->c.uri, strlen(s->c.uri));
	o.host = str_make(s->c.host, strlen(s->c.host));
	o.preview = -1;
	if (icap_build_req(&x->out, &o) < 0) {
		icap_xact_free(x);
		evl_timer_arm(&s->opt_timer, s->c.revival_delay);
		return;
	}
	s->opt_x = x;
	icap_xact_start(x, 4096);
}

/* ------------------------------------------------------ configuration */

static void
retire(struct icap_svc *s)
{
	struct icap_cn *cn;

	s->retired = 1;
	evl_timer_stop(&s->opt_timer);
	while ((cn = s->idle) != NULL) {
		s->idle = cn->next;
		s->nidle--;
		cn_close(cn);
	}
	if (s->opt_x != NULL) {
		struct icap_xact *x = s->opt_x;

		s->opt_x = NULL;
		icap_xact_free(x);
	}
	svc_unref(s);
}

int
icap_configure(const struct icap_svc_conf *c, size_t n)
{
	struct icap_svc **nv = NULL;
	size_t i;

	if (n > 0) {
		nv = calloc(n, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			nv[i] = calloc(1, sizeof(*nv[i]));
			if (nv[i] == NULL) {
				while (i-- > 0)
					free(nv[i]);
				free(nv);
				return -ENOMEM;
			}
			nv[i]->c = c[i];
			nv[i]->refs = 1;
			nv[i]->ss = stats_icap(c[i].name);
			evl_timer_init(&nv[i]->opt_timer, opt_timer_cb,
				       nv[i]);
		}
	}
	icap_shutdown();
	svcs = nv;
	nsvcs = n;
	for (i = 0; i < n; i++)
		ask_options(svcs[i]);
	return 0;
}

void
icap_shutdown(void)
{
	struct icap_svc **old = svcs;
	size_t i, n = nsvcs;

	svcs = NULL;
	nsvcs = 0;
	for (i = 0; i < n; i++)
		retire(old[i]);
	free(old);
}

void
icap_svc_bypassed(struct icap_svc *s)
{
	COUNT(s, bypassed);
}

void
icap_svc_no_content(struct icap_svc *s)
{
	COUNT(s, no_content);
}

void
icap_svc_error(struct icap_svc *s)
{
	COUNT(s, errors);
}

struct icap_svc *
icap_svc_at(size_t i)
{
	return i < nsvcs ? svcs[i] : NULL;
}

size_t
icap_nsvc(void)
{
	return nsvcs;
}
