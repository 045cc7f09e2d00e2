/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * floor_sendfile.c - the "kernel floor" reference of the cache bench.
 *
 * Not a proxy and not a cache: the least work any server can do to answer
 * a hit, so that the bench shows how much of each peer's CPU per hit is the
 * kernel's own cost of moving the bytes. One thread, epoll, keep-alive; a
 * GET for /NAME answers the file DIR/NAME (opened once and kept open) with
 * a fixed head sent with MSG_MORE, then sendfile(2) of the whole file. No
 * parsing beyond the request line, no logging, no headers from the client
 * are looked at: anything a real server does costs more.
 *
 *   cc -O2 -Wall -o floor_sendfile floor_sendfile.c
 *   floor_sendfile PORT DIR      (listens with IP_TRANSPARENT, v4 + v6)
 *
 * The head carries "Age: 0" so the bench's probe counts its answers as
 * hits (they never reach the origin).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXFILES 16
#define MAXCONN 65536

struct file {
	char name[64];
	int fd;
	off_t size;
	char head[160];
	int hlen;
};

struct conn {
	char req[4096];
	int rlen;
	struct file *f;		/* answering: the file */
	int hoff;		/* head bytes sent */
	off_t off;		/* file bytes sent */
	int out;		/* waiting for EPOLLOUT */
};

static struct file files[MAXFILES];
static int nfiles;
static const char *dir;
static struct conn *conns[MAXCONN];

static struct file *
file_get(const char *name, size_t n)
{
	struct file *f;
	char path[512];
	struct stat st;
	int i, fd;

	if (n == 0 || n >= sizeof(f->name) || memchr(name, '/', n))
		return NULL;
	for (i = 0; i < nfiles; i++)
		if (strlen(files[i].name) == n &&
		    memcmp(files[i].name, name, n) == 0)
			return &files[i];
	if (nfiles == MAXFILES)
		return NULL;
	snprintf(path, sizeof(path), "%s/%.*s", dir, (int)n, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	f = &files[nfiles++];
	memcpy(f->name, name, n);
	f->name[n] = '\0';
	f->fd = fd;
	f->size = st.st_size;
	f->hlen = snprintf(f->head, sizeof(f->head),
			   "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n"
			   "Age: 0\r\nX-Cache: HIT from floor\r\n\r\n",
			   (long long)st.st_size);
	return f;
}

static void
drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(conns[fd]);
	conns[fd] = NULL;
}

/* Send what is left of the answer; 1 when done, 0 to wait, -1 on error. */
static int
send_answer(int fd, struct conn *c)
{
	ssize_t n;

	while (c->hoff < c->f->hlen) {
		n = send(fd, c->f->head + c->hoff,
			 (size_t)(c->f->hlen - c->hoff),
			 MSG_MORE | MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->hoff += (int)n;
	}
	while (c->off < c->f->size) {
		n = sendfile(fd, c->f->fd, &c->off,
			     (size_t)(c->f->size - c->off));
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return -1;
	}
	c->f = NULL;
	return 1;
}

static void
on_conn(int ep, int fd, unsigned ev)
{
	struct conn *c = conns[fd];
	struct epoll_event e;
	char *end, *sp, *sp2;
	ssize_t n;
	int rc, consumed;

	if (ev & (EPOLLERR | EPOLLHUP)) {
		drop(ep, fd);
		return;
	}
	for (;;) {
		if (c->f != NULL) {
			rc = send_answer(fd, c);
			if (rc < 0) {
				drop(ep, fd);
				return;
			}
			if (rc == 0) {
				c->out = 1;
				e.events = EPOLLOUT;
				e.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
				return;
			}
			if (c->out) {
				c->out = 0;
				e.events = EPOLLIN;
				e.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
			}
		}
		end = memmem(c->req, (size_t)c->rlen, "\r\n\r\n", 4);
		if (end == NULL) {
			if (c->rlen == (int)sizeof(c->req)) {
				drop(ep, fd);
				return;
			}
			n = recv(fd, c->req + c->rlen,
				 sizeof(c->req) - (size_t)c->rlen, 0);
			if (n < 0 && errno == EAGAIN)
				return;
			if (n <= 0) {
				drop(ep, fd);
				return;
			}
			c->rlen += (int)n;
			continue;
		}
		consumed = (int)(end + 4 - c->req);
		sp = memchr(c->req, ' ', (size_t)consumed);
		sp2 = sp ? memchr(sp + 1, ' ', (size_t)(end - sp - 1)) : NULL;
		if (sp == NULL || sp2 == NULL || sp[1] != '/' ||
		    (c->f = file_get(sp + 2, (size_t)(sp2 - sp - 2))) ==
		    NULL) {
			drop(ep, fd);
			return;
		}
		c->hoff = 0;
		c->off = 0;
		memmove(c->req, c->req + consumed, (size_t)(c->rlen - consumed));
		c->rlen -= consumed;
	}
}

static int
listen_on(int family, int port)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	int one = 1, fd;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((unsigned short)port);
		if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)) < 0)
			goto fail;
	} else {
		setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_port = htons((unsigned short)port);
		if (bind(fd, (struct sockaddr *)&s4, sizeof(s4)) < 0)
			goto fail;
	}
	if (listen(fd, 4096) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int
main(int argc, char **argv)
{
	struct epoll_event e, evs[256];
	int ep, lfd[2], i, n, fd, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: floor_sendfile PORT DIR\n");
		return 2;
	}
	dir = argv[2];
	ep = epoll_create1(EPOLL_CLOEXEC);
	lfd[0] = listen_on(AF_INET, atoi(argv[1]));
	lfd[1] = listen_on(AF_INET6, atoi(argv[1]));
	if (ep < 0 || lfd[0] < 0) {
		perror("floor_sendfile: listen");
		return 1;
	}
	for (i = 0; i < 2; i++) {
		if (lfd[i] < 0)
			continue;
		e.events = EPOLLIN;
		e.data.fd = lfd[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &e);
	}
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd != lfd[0] && fd != lfd[1]) {
				if (conns[fd] != NULL)
					on_conn(ep, fd, evs[i].events);
				continue;
			}
			while ((fd = accept4(fd, NULL, NULL, SOCK_NONBLOCK |
					     SOCK_CLOEXEC)) >= 0) {
				if (fd >= MAXCONN) {
					close(fd);
					break;
				}
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
				conns[fd] = calloc(1, sizeof(struct conn));
				if (conns[fd] == NULL) {
					close(fd);
					continue;
				}
				e.events = EPOLLIN;
				e.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
				fd = evs[i].data.fd;
			}
		}
	}
}
