/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inherit.h - listening sockets handed from a running tproxyd to the new
 * program it starts on -k upgrade (the same socket objects, so that no
 * connection waiting in an accept queue is lost), and WCCPv2 GRE's raw
 * socket and TUN device (made with privileges the new program lacks).
 *
 * The old program clears close-on-exec on its listening sockets and names
 * them in the environment (INHERIT_ENV, "3,4,7"); the new one takes each
 * configured port's socket from that pool by type and address, opens only
 * the ports that are new, and closes what no configured port took.
 */
#ifndef TPROXYD_CORE_INHERIT_H
#define TPROXYD_CORE_INHERIT_H

#include <stddef.h>
#include <sys/socket.h>

#define INHERIT_ENV "TPROXYD_LISTEN_FDS"
#define INHERIT_MAX 256

/* Parse "3,4,7" into fds (at most max). Returns how many, or -EINVAL for
 * anything else than comma-separated descriptor numbers above 2. Pure. */
int inherit_parse(const char *text, int *fds, size_t max);
/* Write fds as "3,4,7" into out. Returns 0, or -ENOSPC. Pure. */
int inherit_format(const int *fds, size_t n, char *out, size_t len);

/* At start-up: take the descriptors named in the environment (which is
 * then cleared) into the pool, keeping those that are sockets, close-on-exec
 * again. Returns how many. */
size_t inherit_load(void);
/* Put fd in the pool (a worker given its sockets by the master). Returns
 * 0, or -ENOSPC. */
int inherit_add(int fd);
/* Whether the pool was loaded from an upgrade (even if empty). */
int inherit_active(void);
/*
 * Take out of the pool the socket of type (SOCK_STREAM, SOCK_DGRAM) bound
 * to addr (getsockname()), listening when it is a stream socket, for which
 * ok(fd, arg) says yes (options that must match; NULL: any). Returns its
 * descriptor, now the caller's, or -1.
 */
int inherit_take(int type, const struct sockaddr *addr,
		 int (*ok)(int fd, const void *arg), const void *arg);
/* Take out of the pool the first descriptor (a socket or a device) for
 * which ok(fd, arg) says yes. Returns it, now the caller's, or -1. */
int inherit_take_if(int (*ok)(int fd, const void *arg), const void *arg);
/* Close what is left in the pool (ports no longer configured). Returns
 * how many were closed. */
size_t inherit_close_rest(void);

/*
 * Just before execve(): every descriptor above 2 becomes close-on-exec
 * except fds, which lose it; their numbers go into the environment.
 * Returns 0 or a negative errno. inherit_exec_undo() puts close-on-exec
 * back on fds and clears the environment (execve failed).
 */
int inherit_exec_prepare(const int *fds, size_t n);
void inherit_exec_undo(const int *fds, size_t n);

#endif
