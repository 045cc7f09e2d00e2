/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.c - cache.log: timestamped, levelled diagnostics in Squid's layout.
 *
 * Lines are written with one write(2) each on an O_APPEND descriptor, so
 * that several processes (workers) can share the file without interleaving
 * inside a line, and nothing is lost in a stdio buffer on a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

static int log_fd = -1;
static int log_level = 1;
static int log_stderr = 0;	/* highest level copied to stderr, -1 none */
static int log_kid = 1;
static int log_journal;	/* stderr is the journal: "<N>" lines there */
static int log_syslog;	/* cache_log syslog: the facility; log_fd is a
			   datagram socket to the system log */

int
log_open(const char *path, int stderr_level)
{
	int fd;

	if (stderr_level >= -1)	/* below -1: keep the current setting */
		log_stderr = stderr_level;
	if (path == NULL)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_syslog = 0;
	return 0;
}

int
log_open_syslog(int facility, int stderr_level)
{
	struct sockaddr_un sa;
	const char *path = getenv("TPROXYD_SYSLOG_SOCKET");
	int fd, e;

	if (stderr_level >= -1)
		log_stderr = stderr_level;
	/* Tests point it at their own socket, as for access_log. */
	if (path == NULL || strlen(path) >= sizeof(sa.sun_path))
		path = "/dev/log";
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_syslog = facility > 0 ? facility : 20 << 3;	/* local4 */
	return 0;
}

int
log_stderr_level(void)
{
	return log_stderr;
}

int
log_fd_get(void)
{
	return log_syslog ? -1 : log_fd;
}

void
log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void
log_set_level(int level)
{
	log_level = level;
}

void
log_set_kid(int kid)
{
	log_kid = kid;
}

int
log_journal_stream_is(const char *env, unsigned long long dev,
		      unsigned long long ino)
{
	unsigned long long d, i;
	char *end;

	if (env == NULL || *env < '0' || *env > '9')
		return 0;
	errno = 0;
	d = strtoull(env, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	i = strtoull(end + 1, &end, 10);
	if (errno || *end != '\0')
		return 0;
	return d == dev && i == ino;
}

int
log_journal_detect(void)
{
	struct stat st;

	log_journal = fstat(STDERR_FILENO, &st) == 0 &&
		log_journal_stream_is(getenv("JOURNAL_STREAM"),
				      (unsigned long long)st.st_dev,
				      (unsigned long long)st.st_ino);
	return log_journal;
}

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
log_priority(int level, const char *text)
{
	if (starts(text, "FATAL") || starts(text, "SECURITY ALERT"))
		return 2;
	if (starts(text, "ERROR"))
		return 3;
	if (starts(text, "WARNING"))
		return 4;
	return level <= 0 ? 5 : level == 1 ? 6 : 7;
}

int
log_enabled(int level)
{
	return level <= log_level || level <= log_stderr;
}

/* Where a line's text starts once its timestamp (stamp bytes) is dropped:
 * "kid1| text", or "text" for the master's "| text". */
static size_t
skip_stamp(const char *line, size_t stamp, size_t text)
{
	while (stamp < text && (line[stamp] == ' ' ||
				(line[stamp] == '|' && log_kid <= 0)))
		stamp++;
	return stamp;
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char line[2048], jline[2048 + 8], sline[2048 + 64];
	struct tm tm;
	time_t now;
	size_t n, stamp, text, k;
	int r;

	if (!log_enabled(level))
		return;
	now = time(NULL);
	localtime_r(&now, &tm);
	n = strftime(line, sizeof(line), "%Y/%m/%d %H:%M:%S", &tm);
	stamp = n;
	r = log_kid > 0 ?
	    snprintf(line + n, sizeof(line) - n, " kid%d| ", log_kid) :
	    snprintf(line + n, sizeof(line) - n, "| ");
	if (r > 0)
		n += (size_t)r;
	text = n < sizeof(line) ? n : sizeof(line) - 1;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r < 0)
		r = 0;
	n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;	/* truncated: keep the newline */
	line[n++] = '\n';
	if (level <= log_level && log_fd >= 0 && log_syslog) {
		/* "<PRI>Mmm dd hh:mm:ss tproxyd[PID]: kid1| text", each
		 * line with its own priority. */
		k = strftime(jline, sizeof(jline), "%b %e %H:%M:%S", &tm);
		r = snprintf(sline, sizeof(sline), "<%d>%.*s tproxyd[%ld]: "
			     "%.*s", log_syslog | log_priority(level, line +
							       text),
			     (int)k, jline, (long)getpid(),
			     (int)(n - 1 - skip_stamp(line, stamp, text)),
			     line + skip_stamp(line, stamp, text));
		if (r > 0)
			(void)!send(log_fd, sline, (size_t)r < sizeof(sline) ?
				    (size_t)r : sizeof(sline) - 1,
				    MSG_DONTWAIT | MSG_NOSIGNAL);
	} else if (level <= log_level && log_fd >= 0) {
		(void)!write(log_fd, line, n);
	}
	if (log_journal && (level <= log_stderr || level <= log_level)) {
		/* "<N>kid1| text": the priority instead of the time. */
		stamp = skip_stamp(line, stamp, text);
		r = snprintf(jline, sizeof(jline), "<%d>%.*s",
			     log_priority(level, line + text),
			     (int)(n - stamp), line + stamp);
		if (r > 0)
			(void)!write(STDERR_FILENO, jline,
				     (size_t)r < sizeof(jline) ? (size_t)r :
				     sizeof(jline) - 1);
	} else if (level <= log_stderr || (log_fd < 0 && level <= log_level)) {
		(void)!write(STDERR_FILENO, line, n);
	}
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
