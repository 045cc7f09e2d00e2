/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * access_log.h - the access_log outputs: one line per transaction to each
 * access_log line of the configuration whose ACLs match, in its format.
 *
 * Files (stdio:, daemon:) and tcp:// are buffered in the process and
 * written when the buffer fills or on alog_flush(), which the daemon calls
 * at least once a second and at exit: a line is out within a second of
 * the transaction. syslog and udp:// send each line at once. Nothing here
 * ever blocks the event loop: what cannot be written is dropped and
 * counted.
 */
#ifndef TPROXYD_LOG_ACCESS_LOG_H
#define TPROXYD_LOG_ACCESS_LOG_H

#include <stddef.h>

#include "log/access_log-t.h"

struct cfg;
struct acl_ctx;

/* Close the current outputs and open those of c (which must stay alive
 * until the next alog_open or alog_close). Each output that cannot be
 * opened is reported in cache.log and skipped. Returns the number of
 * outputs that failed. */
int alog_open(const struct cfg *c);
/* At start-up, after alog_open: -1 (with why, naming the line, in err)
 * when a file output could not be opened and its line does not say
 * on-error=drop (Squid's default is to die), else 0. */
int alog_check_start(char *err, size_t errlen);
/* -k rotate: reopen the files (logrotate renamed them). */
void alog_reopen(void);
void alog_close(void);
/* Log r to every access_log line whose ACLs match ctx (the stream's ACL
 * context; NULL matches only lines without ACLs). */
void alog_write(const struct alog_rec *r, const struct acl_ctx *ctx);
/* Write the buffers; reconnect tcp:// outputs that are due. */
void alog_flush(void);
/* Lines dropped so far (receiver down, buffer full). */
unsigned long long alog_dropped(void);

/* Format one record in Squid's native format (logformat squid) into out
 * (size n, NUL-terminated, ends with '\n'). Returns the line length.
 * Exposed for unit tests. */
size_t alog_format(char *out, size_t n, const struct alog_rec *r);

/* Print addr's numeric host into out (IPv4-mapped IPv6 printed as IPv4). */
const char *alog_addr(const struct sockaddr *sa, char *out, size_t n);

#endif
