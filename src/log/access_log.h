/*
 * access_log.h - access.log writer.
 *
 * Records are formatted into a process buffer and written when it fills or
 * on alog_flush(), which the daemon calls at least once a second and at
 * exit. So a line reaches the file within a second of the transaction.
 */
#ifndef TPROXYD_LOG_ACCESS_LOG_H
#define TPROXYD_LOG_ACCESS_LOG_H

#include "log/access_log-t.h"

/* Open path for appending (NULL: logging off). Returns 0 or -errno. */
int alog_open(const char *path);
void alog_close(void);
void alog_write(const struct alog_rec *r);
void alog_flush(void);

/* Format one record into out (size n, NUL-terminated, ends with '\n').
 * Returns the line length. Exposed for unit tests. */
size_t alog_format(char *out, size_t n, const struct alog_rec *r);

/* Print addr's numeric host into out (IPv4-mapped IPv6 printed as IPv4). */
const char *alog_addr(const struct sockaddr *sa, char *out, size_t n);

#endif
