/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * listener.c - listening sockets (http_port, stats_port): open, bind,
 * listen, keep across a reload, and accept, handing each connection to
 * its port's protocol after asking the descriptor and connection budget
 * (core/limits.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event/loop.h"
#include "core/inherit.h"
#include "core/sa.h"
#include "core/limits.h"
#include "intercept/listener.h"
#include "log/log.h"
#include "net/sock_inet.h"
#include "stats/stats.h"

static struct lsn *all;	/* every open listener, for lsn_is_own() */

#define MAX_PROTOS 8
static struct {
	const char         *name;
	const struct proto *p;
} protos[MAX_PROTOS];

void
lsn_register(const char *name, const struct proto *p)
{
	size_t i;

	for (i = 0; i < MAX_PROTOS; i++)
		if (protos[i].name == NULL || strcmp(protos[i].name, name) == 0)
			break;
	if (i < MAX_PROTOS) {
		protos[i].name = name;
		protos[i].p = p;
	}
}

/* The protocol a port speaks: TLS on https_port, else HTTP. */
static const struct proto *
port_proto(const struct cfg_port *port)
{
	const char *name = port->https ? "tls" : "http";
	size_t i;

	for (i = 0; i < MAX_PROTOS && protos[i].name != NULL; i++)
		if (strcmp(protos[i].name, name) == 0)
			return protos[i].p;
	return NULL;
}
static int reuseport;	/* workers: each has its own socket per port */

void
lsn_set_reuseport(int on)
{
	reuseport = on;
}

#define ACCEPT_BATCH 64		/* accepts per wake-up, for fairness */
#define EMFILE_PAUSE 0.1	/* seconds to stop accepting when out of fds */

const char *
lsn_port_text(const struct cfg_port *p, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&p->addr;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&p->addr;

	if (p->addr.ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(out, n, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(out, n, "[%s]:%u", a, ntohs(s6->sin6_port));
	}
	return out;
}

static int paused;		/* accepts stopped at a limit */
static double pause_logged;

/* Stop or restart accepting on every listener. While paused, clients wait
 * in the listen backlog; nothing spins on a listener that stays readable. */
static void
set_paused(int on)
{
	struct lsn *l;

	if (paused == on)
		return;
	paused = on;
	stats.accepting = !on;
	for (l = all; l; l = l->all_next) {
		/* Not started yet; or the stats port, which stays open so
		 * that an overloaded proxy can still be watched. */
		if (l->cfg == NULL || l->port->mode == PORT_STATS)
			continue;
		if (on) {
			evl_io_stop(&l->io);
			evl_timer_arm(&l->resume, EMFILE_PAUSE);
		} else {
			evl_io_want(&l->io, EVL_READ);
		}
	}
	if (on) {
		stats.client_refused++;
		if (evl_now() - pause_logged > 10) {
			pause_logged = evl_now();
			log_msg(LOG_WARN, "WARNING: connection limit reached "
				"(%u clients): not accepting new connections "
				"until some close (max_filedescriptors, "
				"client_connection_limit)", lim_clients());
		}
	}
}

static void
accept_cb(struct evl_io *io, int revents)
{
	struct lsn *l = io->data;
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd;

	(void)revents;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (l->port->mode != PORT_STATS && lim_over()) {
			set_paused(1);
			return;
		}
		len = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			l->proto->accept(fd, (struct sockaddr *)&ss, len,
					 l->cfg, l->port);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* Out of descriptors anyway (something else holds
			 * them): pause the same way. */
			log_msg(LOG_WARN, "WARNING: cannot accept: %s",
				strerror(errno));
			set_paused(1);
		}
		return;
	}
}

static void
resume_cb(struct evl_timer *t)
{
	if (lim_over()) {
		evl_timer_arm(t, EMFILE_PAUSE);
		return;
	}
	set_paused(0);
}

/*
 * Whether the inherited listening socket fd (-k upgrade) was set up as
 * port p asks: transparent for a tproxy port, and for an IPv6 address
 * serving IPv4 too exactly when the line names no address. Its type and
 * address were checked by inherit_take().
 */
static int
inherited_fits(int fd, const void *arg)
{
	const struct cfg_port *p = arg;
	socklen_t len;
	int v = 0, v6only = 0;

	len = sizeof(v);
	if (p->addr.ss_family == AF_INET6) {
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			       &len) < 0 || !v6only != !!p->wildcard)
			return 0;
		len = sizeof(v);
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &v,
			       &len) < 0)
			v = 0;
	} else if (getsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &v, &len) < 0) {
		v = 0;
	}
	return !v == (p->mode != PORT_TPROXY);
}

/* A listener on fd for port p; NULL (fd closed) when out of memory. */
static struct lsn *
lsn_new(int fd, const struct cfg_port *p, char *err, size_t errlen)
{
	struct lsn *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	l->fd = fd;
	l->port = p;
	l->proto = port_proto(p);
	memcpy(&l->addr, &p->addr, sizeof(l->addr));
	l->all_next = all;
	all = l;
	evl_io_init(&l->io, accept_cb, fd, l);
	evl_timer_init(&l->resume, resume_cb, l);
	return l;
}

int
lsn_socket(const struct cfg_port *p, char *err, size_t errlen)
{
	char where[INET6_ADDRSTRLEN + 16];
	int fd, one = 1, zero = 0, rc;
	socklen_t alen = p->addr.ss_family == AF_INET ?
			 sizeof(struct sockaddr_in) :
			 sizeof(struct sockaddr_in6);

	lsn_port_text(p, where, sizeof(where));
	if (port_proto(p) == NULL) {
		snprintf(err, errlen, "no protocol serves %s", where);
		return -1;
	}
	/* -k upgrade: the previous program's socket for this port, with
	 * the connections already waiting in its queue. */
	fd = inherit_take(SOCK_STREAM, (const struct sockaddr *)&p->addr,
			  inherited_fits, p);
	if (fd >= 0) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		return fd;
	}
	fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket for %s: %s", where,
			 strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Several workers listen on the same port with a socket each; the
	 * kernel spreads new connections over them by hash. */
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* No address on the line: one socket for both families. */
	if (p->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
			   p->wildcard ? &zero : &one, sizeof(int));
	/* TPROXY delivers connections for any address to this socket only
	 * when it is transparent (the kernel's tproxy documentation). */
	if (p->mode == PORT_TPROXY &&
	    (rc = spoof_make_transparent(fd, p->addr.ss_family)) < 0) {
		snprintf(err, errlen, "cannot make %s transparent "
			 "(IP_TRANSPARENT): %s%s", where, strerror(-rc),
			 rc == -EPERM ? ": tproxy ports need CAP_NET_ADMIN or "
			 "CAP_NET_RAW (run as root, or grant it with systemd "
			 "AmbientCapabilities= or setcap)" : "");
		close(fd);
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&p->addr, alen) < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", where,
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, 4096) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", where,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct lsn *
lsn_open(const struct cfg_port *p, char *err, size_t errlen)
{
	int fd = lsn_socket(p, err, errlen);

	return fd < 0 ? NULL : lsn_new(fd, p, err, errlen);
}

void
lsn_start(struct lsn *l, struct cfg *cfg, const struct cfg_port *p)
{
	l->cfg = cfg;
	l->port = p;
	if (paused)
		evl_timer_arm(&l->resume, EMFILE_PAUSE);
	else
		evl_io_want(&l->io, EVL_READ);
}

void
lsn_close(struct lsn *l)
{
	struct lsn **pl;

	for (pl = &all; *pl; pl = &(*pl)->all_next)
		if (*pl == l) {
			*pl = l->all_next;
			break;
		}
	evl_io_stop(&l->io);
	evl_timer_stop(&l->resume);
	close(l->fd);
	free(l);
}

int
lsn_matches(const struct lsn *l, const struct cfg_port *p)
{
	const struct cfg_port *q = l->port;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&q->addr;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)&p->addr;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&q->addr;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)&p->addr;

	if (q->mode != p->mode || q->wildcard != p->wildcard ||
	    q->addr.ss_family != p->addr.ss_family)
		return 0;
	if (q->addr.ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

/* Whether ip is assigned to this host: binding a plain socket to it
 * succeeds only then. */
static int
ip_is_local(const struct sockaddr *sa)
{
	struct sockaddr_storage ss;
	int fd, ok;

	memcpy(&ss, sa, sa_len(sa));
	sa_set_port((struct sockaddr *)&ss, 0);
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&ss, sa_len(sa)) == 0;
	close(fd);
	return ok;
}

int
lsn_is_own(const struct sockaddr *sa)
{
	struct sockaddr_storage a;
	socklen_t alen;
	struct lsn *l;

	for (l = all; l; l = l->all_next) {
		a = l->addr;
		alen = sa_len((struct sockaddr *)&a);
		sa_unmap(&a, &alen);
		if (sa_port((struct sockaddr *)&a) != sa_port(sa))
			continue;
		if (sa_same_ip((struct sockaddr *)&a, sa))
			return 1;
		if (l->port->wildcard || sa_is_any((struct sockaddr *)&a))
			if (ip_is_local(sa))
				return 1;
	}
	return 0;
}
