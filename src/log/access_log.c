/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * access_log.c - the access_log outputs (see access_log.h).
 *
 * The configuration owns the access_log lines (struct cfg_alog: module,
 * place, compiled format, ACLs); this file owns one output per line: a
 * file descriptor and, for files and tcp://, a buffer. Modules:
 *
 *   stdio:PATH, daemon:PATH  appended to PATH by tproxyd itself (Squid's
 *                            daemon module hands lines to a helper that
 *                            writes the same file; tproxyd needs none)
 *   syslog:FAC.PRIO          one datagram per line to /dev/log in the
 *                            traditional "<PRI>Mmm dd hh:mm:ss tag: " form
 *   udp://HOST:PORT          one datagram per line
 *   tcp://HOST:PORT          a stream of lines; reconnected with back-off
 *                            (1 s doubling to 60 s); while the receiver
 *                            is down lines beyond a 256 KiB buffer are
 *                            dropped and counted, never waited for
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "acl/acl.h"
#include "config/config-t.h"
#include "core/fmt.h"
#include "core/sa.h"
#include "log/access_log.h"
#include "log/log.h"
#include "config/logfmt.h"
#include "log/logfmt.h"

#define ALOG_FILE_BUF	65536
#define ALOG_TCP_BUF	(256u << 10)
#define ALOG_LINE	16384
#define ALOG_BACKOFF_MAX 60.0

struct alog_out {
	const struct cfg_alog *a;
	int                    fd;
	char                  *buf;		/* files and tcp */
	size_t                 len, cap;
	/* tcp */
	double                 retry_at;	/* monotonic s */
	double                 backoff;
	int                    up;		/* a write went through */
	int                    down_logged;
	unsigned long long     dropped;	/* since the last report */
};

static const struct cfg *alog_cfg;
static struct alog_out *outs;
static size_t nouts;
static unsigned long long seq, dropped_total;
static struct sockaddr_un syslog_sa;

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
drop(struct alog_out *o)
{
	o->dropped++;
	dropped_total++;
}

static int
open_file(struct alog_out *o)
{
	int fd;

	fd = open(o->a->place, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		  0640);
	if (fd < 0)
		return -errno;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = fd;
	return 0;
}

/* A non-blocking datagram or stream socket for o; tcp starts connecting
 * here and finishes in the kernel. */
static int
open_socket(struct alog_out *o)
{
	const struct sockaddr *sa = (const struct sockaddr *)&o->a->addr;
	socklen_t sl = o->a->addrlen;
	int fd, type = o->a->module == ALOG_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int family = sa->sa_family;

	if (o->a->module == ALOG_SYSLOG) {
		sa = (const struct sockaddr *)&syslog_sa;
		sl = sizeof(syslog_sa);
		family = AF_UNIX;
	}
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, sa, sl) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return -e;
	}
	o->fd = fd;
	return 0;
}

static void
close_out(struct alog_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

/* The tcp connection failed: close it and retry later, longer each time. */
static void
tcp_down(struct alog_out *o, int err)
{
	close_out(o);
	o->backoff = o->backoff < 1 ? 1 : o->backoff * 2;
	if (o->backoff > ALOG_BACKOFF_MAX)
		o->backoff = ALOG_BACKOFF_MAX;
	o->retry_at = mono_now() + o->backoff;
	if (!o->down_logged)
		log_msg(LOG_WARN, "WARNING: access_log tcp:%s: %s; "
			"retrying, lines beyond %u KiB are dropped meanwhile",
			o->a->place, strerror(err), ALOG_TCP_BUF >> 10);
	o->down_logged = 1;
	o->up = 0;
}

/* Write what the buffer holds without waiting; returns -errno on a
 * failure that closes the output, else 0. */
static int
write_buf(struct alog_out *o)
{
	size_t off = 0;
	ssize_t n;
	int err = 0;

	while (off < o->len && o->fd >= 0) {
		n = write(o->fd, o->buf + off, o->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	if (o->a->module == ALOG_TCP) {
		if (err == EAGAIN || err == EWOULDBLOCK || err == ENOTCONN)
			err = 0;	/* connecting, or the peer is slow */
		if (off > 0 && !o->up) {
			if (o->down_logged || o->dropped)
				log_msg(LOG_INFO, "access_log tcp:%s: "
					"connected; %llu lines were dropped",
					o->a->place, o->dropped);
			o->up = 1;
			o->down_logged = 0;
			o->dropped = 0;
			o->backoff = 0;
		}
		memmove(o->buf, o->buf + off, o->len - off);
		o->len -= off;
		if (err)
			tcp_down(o, err);
		return err ? -err : 0;
	}
	/* A file: what could not be written (disk full) is dropped rather
	 * than waited for. */
	o->len = 0;
	return err ? -err : 0;
}

static void
flush_out(struct alog_out *o)
{
	if (o->a->module == ALOG_TCP && o->fd < 0 &&
	    mono_now() >= o->retry_at) {
		int rc = open_socket(o);

		if (rc < 0)
			tcp_down(o, -rc);
	}
	if (o->len > 0)
		(void)write_buf(o);
}

void
alog_flush(void)
{
	size_t i;

	for (i = 0; i < nouts; i++)
		flush_out(&outs[i]);
}

unsigned long long
alog_dropped(void)
{
	return dropped_total;
}

void
alog_close(void)
{
	size_t i;

	alog_flush();
	for (i = 0; i < nouts; i++) {
		close_out(&outs[i]);
		free(outs[i].buf);
	}
	free(outs);
	outs = NULL;
	nouts = 0;
	alog_cfg = NULL;
}

int
alog_open(const struct cfg *c)
{
	const char *env;
	struct alog_out *o;
	size_t i;
	int rc, failed = 0;

	alog_close();
	if (c == NULL || c->nalog == 0)
		return 0;
	/* Tests point syslog at their own socket. */
	memset(&syslog_sa, 0, sizeof(syslog_sa));
	syslog_sa.sun_family = AF_UNIX;
	env = getenv("TPROXYD_SYSLOG_SOCKET");
	if (env == NULL || strlen(env) >= sizeof(syslog_sa.sun_path))
		env = "/dev/log";
	memcpy(syslog_sa.sun_path, env, strlen(env) + 1);
	outs = calloc(c->nalog, sizeof(*outs));
	if (outs == NULL)
		return (int)c->nalog;
	alog_cfg = c;
	nouts = c->nalog;
	for (i = 0; i < nouts; i++) {
		o = &outs[i];
		o->a = &c->alog[i];
		o->fd = -1;
		rc = 0;
		switch (o->a->module) {
		case ALOG_NONE:
			break;
		case ALOG_FILE:
			rc = open_file(o);
			o->cap = ALOG_FILE_BUF;
			break;
		case ALOG_TCP:
			o->cap = ALOG_TCP_BUF;
			rc = open_socket(o);
			if (rc < 0) {
				tcp_down(o, -rc);
				rc = 0;
			}
			break;
		case ALOG_SYSLOG:
		case ALOG_UDP:
			/* syslog: retried on each line if not there yet. */
			rc = open_socket(o);
			if (o->a->module == ALOG_SYSLOG)
				rc = 0;
			break;
		}
		if (o->cap > 0 && (o->buf = malloc(o->cap)) == NULL)
			rc = -ENOMEM;
		if (rc < 0) {
			log_msg(LOG_CRIT, "WARNING: cannot open access_log "
				"%s (%s:%d): %s", o->a->place, o->a->file,
				o->a->line, strerror(-rc));
			close_out(o);
			o->cap = 0;
			failed++;
		}
	}
	return failed;
}

int
alog_check_start(char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < nouts; i++) {
		if (outs[i].a->module != ALOG_FILE || outs[i].fd >= 0 ||
		    outs[i].a->on_error_drop)
			continue;
		snprintf(err, errlen, "%s:%d: cannot open access_log %s for "
			 "writing (add on-error=drop to start without it)",
			 outs[i].a->file, outs[i].a->line, outs[i].a->place);
		return -1;
	}
	return 0;
}

void
alog_reopen(void)
{
	size_t i;
	int rc;

	for (i = 0; i < nouts; i++) {
		if (outs[i].a->module != ALOG_FILE)
			continue;
		flush_out(&outs[i]);
		if ((rc = open_file(&outs[i])) < 0)
			log_msg(LOG_CRIT, "WARNING: cannot reopen access_log "
				"%s: %s; still writing to the file open "
				"before", outs[i].a->place, strerror(-rc));
	}
}

/* One syslog datagram: "<PRI>Mmm dd hh:mm:ss tproxyd[pid]: line". */
static void
send_syslog(struct alog_out *o, const char *line, size_t len, double when)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char msg[ALOG_LINE + 128];
	struct tm tm;
	time_t t = (time_t)when;
	size_t n = 0;

	if (o->fd < 0 && open_socket(o) < 0) {
		drop(o);
		return;
	}
	localtime_r(&t, &tm);
	msg[n++] = '<';
	n += fmt_u64(msg + n, (unsigned long long)o->a->prio);
	msg[n++] = '>';
	memcpy(msg + n, mon + 3 * tm.tm_mon, 3);
	n += 3;
	msg[n++] = ' ';
	n += fmt_u64_pad(msg + n, (unsigned long long)tm.tm_mday, 2, ' ');
	msg[n++] = ' ';
	n += fmt_u64_pad(msg + n, (unsigned long long)tm.tm_hour, 2, '0');
	msg[n++] = ':';
	n += fmt_u64_pad(msg + n, (unsigned long long)tm.tm_min, 2, '0');
	msg[n++] = ':';
	n += fmt_u64_pad(msg + n, (unsigned long long)tm.tm_sec, 2, '0');
	memcpy(msg + n, " tproxyd[", 9);
	n += 9;
	n += fmt_u64(msg + n, (unsigned long long)getpid());
	memcpy(msg + n, "]: ", 3);
	n += 3;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > sizeof(msg) - n)
		len = sizeof(msg) - n;
	memcpy(msg + n, line, len);
	n += len;
	if (send(o->fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		drop(o);
		close_out(o);	/* syslogd restarted: reconnect next time */
	}
}

static void
deliver(struct alog_out *o, const char *line, size_t len, double when)
{
	switch (o->a->module) {
	case ALOG_NONE:
		return;
	case ALOG_SYSLOG:
		send_syslog(o, line, len, when);
		return;
	case ALOG_UDP:
		if (o->fd < 0 ||
		    send(o->fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			drop(o);
		return;
	case ALOG_FILE:
	case ALOG_TCP:
		break;
	}
	if (o->cap == 0)
		return;
	if (o->len + len > o->cap) {
		if (o->a->module == ALOG_FILE)
			(void)write_buf(o);
		else
			flush_out(o);
		if (o->len + len > o->cap) {
			drop(o);
			return;
		}
	}
	memcpy(o->buf + o->len, line, len);
	o->len += len;
}

/* All of the line's ACLs match (AND); an ACL that cannot decide (it needs
 * the destination address, unknown here) does not match. */
static int
acls_match(const struct cfg_alog *a, const struct acl_ctx *ctx)
{
	size_t i;
	int m;

	for (i = 0; i < a->nacl; i++) {
		if (ctx == NULL)
			return 0;
		m = acl_match(a->acl[i].acl, ctx);
		if (m < 0)
			return 0;
		if (m == a->acl[i].negate)
			return 0;
	}
	return 1;
}

void
alog_write(const struct alog_rec *r, const struct acl_ctx *ctx)
{
	static char line[ALOG_LINE];
	const struct logformat *last = NULL;
	struct alog_rec rr;
	size_t i, len = 0;

	if (nouts == 0)
		return;
	rr = *r;
	rr.seq = ++seq;
	rr.strip_query = alog_cfg->strip_query_terms;
	for (i = 0; i < nouts; i++) {
		const struct cfg_alog *a = outs[i].a;

		if (!acls_match(a, ctx))
			continue;
		if (a->module == ALOG_NONE)
			return;		/* Squid: a matching none stops */
		if (a->fmt != last) {
			len = lf_format(line, sizeof(line), a->fmt->tok,
					a->fmt->ntok, &rr);
			last = a->fmt;
		}
		deliver(&outs[i], line, len, rr.end);
	}
}

const char *
alog_addr(const struct sockaddr *sa, char *out, size_t n)
{
	return sa_ip_text(sa, out, n);
}

size_t
alog_format(char *out, size_t n, const struct alog_rec *r)
{
	static struct lf_tok tok[32];
	static long ntok;

	if (ntok == 0)
		ntok = lf_compile(lf_builtin("squid"), tok, 32, NULL, 0);
	return lf_format(out, n, tok, (size_t)ntok, r);
}
