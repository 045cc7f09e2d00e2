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
void log_close(void);
/* cache.log's descriptor (for helper programs' stderr), or -1. */
int log_fd_get(void);
/* Highest level written to cache.log (default 1). */
void log_set_level(int level);
int log_enabled(int level);
/* Worker number shown as "kidN|" (Squid's SMP layout). */
void log_set_kid(int kid);

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);

#endif
