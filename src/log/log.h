/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - cache.log (diagnostics) and access.log (one line per transaction).
 *
 * cache.log lines look like Squid's:
 *   2026/11/24 14:30:01 kid1| WARNING: message
 * Levels follow Squid's debug levels: 0 = critical/important (always
 * written), 1 = notable, 2+ = debugging.
 */
#ifndef TPROXYD_LOG_LOG_H
#define TPROXYD_LOG_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_CRIT  = 0,	/* "FATAL:", "ERROR:", "SECURITY ALERT:" */
	LOG_WARN  = 0,	/* "WARNING:" is also always written */
	LOG_INFO  = 1,
	LOG_DEBUG = 2,
};

/* Open (or reopen) cache.log at path; NULL keeps only stderr. stderr_level
 * is the highest level also copied to stderr (-d), -1 for none, -2 to
 * keep the current setting. Returns 0
 * or a negative errno. */
int log_open(const char *path, int stderr_level);
/* cache_log syslog: send the lines to the system log (/dev/log) with
 * facility (syslog.h's LOG_LOCAL4 ...; 0: local4), each with its own
 * priority (log_priority). Returns 0 or a negative errno. */
int log_open_syslog(int facility, int stderr_level);
void log_close(void);
/* The highest level copied to stderr (-d), -1 for none. */
int log_stderr_level(void);
/* cache.log's descriptor (for helper programs' stderr), or -1. */
int log_fd_get(void);
/* Highest level written to cache.log (default 1). */
void log_set_level(int level);
int log_enabled(int level);
/* Worker number shown as "kidN|" (Squid's SMP layout). */
void log_set_kid(int kid);

/*
 * The journal: when standard error is systemd's journal stream (tproxyd
 * run by a unit: $JOURNAL_STREAM names stderr's device and inode), every
 * cache.log line is also written there, without the timestamp (the
 * journal has its own) and with its syslog priority as a "<N>" prefix
 * (sd-daemon(3)), so `journalctl -u tproxyd -p warning` finds them.
 */
/* Pure: whether $JOURNAL_STREAM ("DEV:INO") is the file of dev and ino. */
int log_journal_stream_is(const char *env, unsigned long long dev,
			  unsigned long long ino);
/* Turn journal output on when stderr is the journal stream; returns
 * whether it is on. */
int log_journal_detect(void);
/* Pure: the syslog priority (LOG_CRIT 2 ... LOG_DEBUG 7 of syslog.h) of a
 * line of that level and text: FATAL and SECURITY ALERT lines 2, ERROR 3,
 * WARNING 4, other level 0 lines 5, level 1 lines 6, debugging 7. */
int log_priority(int level, const char *text);

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);

#endif
