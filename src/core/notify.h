/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify.h - telling systemd how the service is doing (sd_notify(3)'s
 * protocol, written here: one datagram of KEY=VALUE lines to the UNIX
 * socket named by $NOTIFY_SOCKET; no libsystemd).
 *
 * Under a Type=notify unit: READY=1 once the listeners are open and the
 * privileges dropped, RELOADING=1 (with MONOTONIC_USEC) then READY=1
 * around a reconfiguration, STATUS= a one-line summary, STOPPING=1 on
 * shutdown, WATCHDOG=1 every half of WatchdogSec= from the event loop.
 * Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
 */
#ifndef TPROXYD_CORE_NOTIFY_H
#define TPROXYD_CORE_NOTIFY_H

#include <sys/socket.h>
#include <sys/un.h>

/* Pure: the address in $NOTIFY_SOCKET ("/path", or "@name" for an
 * abstract socket) as a sockaddr_un and its length. Returns 0, or -1 when
 * it cannot name a socket (empty, relative, too long). */
int notify_addr(const char *s, struct sockaddr_un *sa, socklen_t *len);
/* Pure: the watchdog interval asked for, in microseconds, from
 * $WATCHDOG_USEC and $WATCHDOG_PID (NULL when unset) for the process pid:
 * 0 when there is none or it is meant for another process. */
unsigned long long notify_watchdog_usec(const char *usec, const char *pid,
					long mypid);

/* Read $NOTIFY_SOCKET and $WATCHDOG_USEC and take them out of the
 * environment (helper programs must not inherit them). Returns 0, or -1
 * when $NOTIFY_SOCKET is set but unusable (said on stderr). */
int notify_init(void);
/* Whether messages go anywhere. */
int notify_enabled(void);
/* Stop sending (a forked worker: only the main process talks to
 * systemd). */
void notify_disable(void);
/* Send one message (lines "KEY=VALUE\n"); printf-like. Errors are
 * ignored (systemd may be gone). */
void notify_send(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* RELOADING=1 with MONOTONIC_USEC, as systemd wants it. */
void notify_reloading(void);
/* STATUS=text, sent only when it differs from the last one sent. */
void notify_status(const char *text);
/* Seconds between WATCHDOG=1 messages (half of $WATCHDOG_USEC), or 0
 * when no watchdog is asked for. */
double notify_watchdog_interval(void);

#endif
