/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inherit.c - the listening sockets a new program takes over from the one
 * it replaces (-k upgrade; see inherit.h). The sockets are passed by
 * execve() itself: no descriptor passing over a UNIX socket is needed,
 * since the new program runs in the same process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/inherit.h"
#include "core/sa.h"

static int pool[INHERIT_MAX];
static size_t npool;
static int loaded;

int
inherit_parse(const char *text, int *fds, size_t max)
{
	const char *p = text;
	char *end;
	size_t n = 0;
	long v;

	if (text == NULL || *text == '\0')
		return 0;
	for (;;) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno != 0 || v < 3 || v > 1 << 24 || n >= max)
			return -EINVAL;
		fds[n++] = (int)v;
		if (*end == '\0')
			return (int)n;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
}

int
inherit_format(const int *fds, size_t n, char *out, size_t len)
{
	size_t i, used = 0;
	int w;

	if (len == 0)
		return -ENOSPC;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		w = snprintf(out + used, len - used, "%s%d", i ? "," : "",
			     fds[i]);
		if (w < 0 || (size_t)w >= len - used) {
			out[0] = '\0';
			return -ENOSPC;
		}
		used += (size_t)w;
	}
	return 0;
}

size_t
inherit_load(void)
{
	const char *text = getenv(INHERIT_ENV);
	int fds[INHERIT_MAX], n, i, type;
	struct stat st;
	socklen_t len;

	if (text == NULL)
		return 0;
	loaded = 1;
	n = inherit_parse(text, fds, INHERIT_MAX);
	unsetenv(INHERIT_ENV);
	for (i = 0; i < n; i++) {
		len = sizeof(type);
		/* Only sockets and devices (WCCPv2 GRE's TUN device): a wrong
		 * number must not make us close or use some other file. */
		if (getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type, &len) < 0 &&
		    (fstat(fds[i], &st) < 0 || !S_ISCHR(st.st_mode)))
			continue;
		/* Our own helpers must not inherit them in turn. */
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		pool[npool++] = fds[i];
	}
	return npool;
}

int
inherit_add(int fd)
{
	if (npool >= INHERIT_MAX)
		return -ENOSPC;
	pool[npool++] = fd;
	return 0;
}

int
inherit_active(void)
{
	return loaded;
}

int
inherit_take(int type, const struct sockaddr *addr,
	     int (*ok)(int fd, const void *arg), const void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;
	int t, acc, fd;

	for (i = 0; i < npool; i++) {
		fd = pool[i];
		len = sizeof(t);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) < 0 ||
		    t != type)
			continue;
		len = sizeof(acc);
		if (type == SOCK_STREAM &&
		    (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0
		     || !acc))
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
		    !sa_equal((struct sockaddr *)&ss, addr))
			continue;
		if (ok != NULL && !ok(fd, arg))
			continue;
		pool[i] = pool[--npool];
		return fd;
	}
	return -1;
}

int
inherit_take_if(int (*ok)(int fd, const void *arg), const void *arg)
{
	size_t i;
	int fd;

	for (i = 0; i < npool; i++) {
		fd = pool[i];
		if (!ok(fd, arg))
			continue;
		pool[i] = pool[--npool];
		return fd;
	}
	return -1;
}

size_t
inherit_close_rest(void)
{
	size_t n = npool;

	while (npool > 0)
		close(pool[--npool]);
	return n;
}

/* Mark every descriptor above 2 close-on-exec (close_range() where the C
 * library has it, else one by one from /proc/self/fd). */
static int
cloexec_all(void)
{
	struct dirent *de;
	DIR *d;
	int fd, dfd;

#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
#endif
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return -errno;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		if (fd > 2 && fd != dfd)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
	return 0;
}

int
inherit_exec_prepare(const int *fds, size_t n)
{
	char text[INHERIT_MAX * 12];
	size_t i;
	int rc;

	if ((rc = inherit_format(fds, n, text, sizeof(text))) < 0)
		return rc;
	if ((rc = cloexec_all()) < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (fcntl(fds[i], F_SETFD, 0) < 0)
			return -errno;
	if (setenv(INHERIT_ENV, text, 1) < 0)
		return -errno;
	return 0;
}

void
inherit_exec_undo(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	unsetenv(INHERIT_ENV);
}
