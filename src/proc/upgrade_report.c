/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upgrade_report.c - how "tproxyd -k upgrade" learns what became of its
 * request, so that it (and the package's postinst) can say so and exit
 * non-zero when the running tproxyd did not upgrade.
 *
 * Before signalling, the command binds a datagram socket at the abstract
 * Unix address "tproxyd-upgrade-PID" (PID: the running tproxyd's, which
 * an upgrade keeps). The running tproxyd sends one line there: "ok
 * VERSION" once the new program serves, or "refused REASON". The command
 * takes only a datagram whose sender the kernel vouches for
 * (SCM_CREDENTIALS) to be that pid, and gives up when the pid stops or
 * after the time it was given. Nobody listening: the line is dropped.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log/log.h"
#include "proc/proc-int.h"

#define REPORT_MAX 1024

static socklen_t
report_addr(struct sockaddr_un *sa, pid_t pid)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* sun_path[0] == '\0': the abstract namespace, no file. */
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1,
		     "tproxyd-upgrade-%ld", (long)pid);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   (size_t)n);
}

void
upgrade_report(int ok, const char *fmt, ...)
{
	struct sockaddr_un sa;
	char msg[REPORT_MAX];
	socklen_t len;
	va_list ap;
	int fd, n;

	n = snprintf(msg, sizeof(msg), "%s ", ok ? "ok" : "refused");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	len = report_addr(&sa, getpid());
	(void)!sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, len);
	close(fd);
}

void
upgrade_refuse(const char *fmt, ...)
{
	char msg[REPORT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(LOG_CRIT, "ERROR: -k upgrade: %s", msg);
	upgrade_report(0, "%s", msg);
}

int
upgrade_listen(pid_t pid)
{
	struct sockaddr_un sa;
	socklen_t len = report_addr(&sa, pid);
	int fd, on = 1, e;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, len) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* One datagram from pid, or 0 when the one read came from elsewhere
 * (ignored). Returns its length, or -errno. */
static ssize_t
recv_from(int fd, pid_t pid, char *buf, size_t size)
{
	union {
		struct cmsghdr h;
		char           b[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = { buf, size - 1 };
	struct msghdr mh = { 0 };
	struct cmsghdr *c;
	struct ucred cr;
	ssize_t r;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	r = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&cr, CMSG_DATA(c), sizeof(cr));
			if (cr.pid != pid)
				return 0;
			buf[r] = '\0';
			return r;
		}
	return 0;
}

/* Whether pid has exited (gone, or a zombie its parent has not reaped:
 * kill() still finds those). */
static int
exited(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;	/* cannot tell */
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold anything but ends at the
	 * last ')'. */
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

int
upgrade_exe(pid_t pid, struct stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	return stat(path, st) == 0 ? 0 : -1;
}

int
upgrade_wait(int fd, pid_t pid, double timeout, const struct stat *exe)
{
	struct stat now;
	char msg[REPORT_MAX];
	double deadline = now_mono() + timeout;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;

	while (now_mono() < deadline) {
		if (exited(pid)) {
			fprintf(stderr, "tproxyd: the running tproxyd (pid "
				"%ld) stopped during the upgrade; its "
				"cache.log or the journal says why\n",
				(long)pid);
			return 1;
		}
		if (poll(&pfd, 1, 250) <= 0)
			continue;
		r = recv_from(fd, pid, msg, sizeof(msg));
		if (r < 0) {
			fprintf(stderr, "tproxyd: -k upgrade: %s\n",
				strerror((int)-r));
			return 1;
		}
		if (r == 0)
			continue;
		if (strncmp(msg, "ok ", 3) == 0) {
			printf("tproxyd: pid %ld runs version %s now\n",
			       (long)pid, msg + 3);
			return 0;
		}
		fprintf(stderr, "tproxyd: not upgraded: %s\n",
			strncmp(msg, "refused ", 8) == 0 ? msg + 8 : msg);
		return 1;
	}
	/* No word (it may run in another network namespace, where this
	 * socket is not seen): its program file tells whether it changed. */
	if (exe != NULL && upgrade_exe(pid, &now) == 0 &&
	    (now.st_dev != exe->st_dev || now.st_ino != exe->st_ino)) {
		printf("tproxyd: pid %ld runs the new program file now (it did "
		       "not report back: its cache.log or the journal says "
		       "more)\n", (long)pid);
		return 0;
	}
	fprintf(stderr, "tproxyd: the running tproxyd (pid %ld) did not say "
		"within %.0f seconds whether it upgraded; its cache.log or "
		"the journal says what happened\n", (long)pid, timeout);
	return 1;
}
