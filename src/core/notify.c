/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify.c - systemd's readiness protocol (see notify.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_sa;
static socklen_t notify_salen;
static unsigned long long watchdog_usec;
static char last_status[256];

int
notify_addr(const char *s, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n;

	if (s == NULL || (s[0] != '/' && s[0] != '@') || s[1] == '\0')
		return -1;
	n = strlen(s);
	if (n > sizeof(sa->sun_path) - (s[0] == '/'))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, s, n);
	if (s[0] == '@') {
		/* Abstract: a leading NUL, and the name's exact length. */
		sa->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				   n + 1);
	}
	return 0;
}

unsigned long long
notify_watchdog_usec(const char *usec, const char *pid, long mypid)
{
	unsigned long long v;
	char *end;
	long p;

	if (usec == NULL || *usec < '0' || *usec > '9')
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || *end != '\0')
		return 0;
	if (pid != NULL) {
		errno = 0;
		p = strtol(pid, &end, 10);
		if (errno || *end != '\0' || end == pid || p != mypid)
			return 0;
	}
	return v;
}

int
notify_init(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	watchdog_usec = notify_watchdog_usec(getenv("WATCHDOG_USEC"),
					     getenv("WATCHDOG_PID"),
					     (long)getpid());
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (s == NULL)
		return 0;
	if (notify_addr(s, &notify_sa, &notify_salen) < 0) {
		fprintf(stderr, "tproxyd: NOTIFY_SOCKET=%s: not a socket "
			"address; not telling systemd anything\n", s);
		unsetenv("NOTIFY_SOCKET");
		return -1;
	}
	unsetenv("NOTIFY_SOCKET");
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0) {
		fprintf(stderr, "tproxyd: NOTIFY_SOCKET: socket: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

int
notify_enabled(void)
{
	return notify_fd >= 0;
}

void
notify_disable(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
	watchdog_usec = 0;
}

void
notify_send(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (notify_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	(void)!sendto(notify_fd, msg, (size_t)n, MSG_NOSIGNAL,
		      (struct sockaddr *)&notify_sa, notify_salen);
}

void
notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\n",
		    (unsigned long long)ts.tv_sec * 1000000ULL +
		    (unsigned long long)ts.tv_nsec / 1000ULL);
}

void
notify_status(const char *text)
{
	if (notify_fd < 0 || strcmp(text, last_status) == 0)
		return;
	snprintf(last_status, sizeof(last_status), "%s", text);
	notify_send("STATUS=%s\n", last_status);
}

double
notify_watchdog_interval(void)
{
	return notify_fd < 0 || watchdog_usec == 0 ? 0 :
		(double)watchdog_usec / 2e6;
}
