/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.h - process plumbing: pid file, detaching, signalling a running
 * instance (-k).
 */
#ifndef TPROXYD_CORE_DAEMON_H
#define TPROXYD_CORE_DAEMON_H

#include <sys/types.h>

/* Write our pid to path (atomically, via a temporary file). Returns 0 or
 * -errno. Refuses (-EEXIST) when the file names a live tproxyd. */
int daemon_write_pid(const char *path);
void daemon_remove_pid(const char *path);
/* The pid in path, or -errno (-ESRCH when that process is not running). */
pid_t daemon_read_pid(const char *path);
/* Fork into the background, new session, stdio to /dev/null. The parent
 * waits until the child reports ready (or failure) and exits with that
 * status. Returns in the child only; call daemon_ready() when serving. */
int daemon_detach(void);
void daemon_ready(int status);

/* Create the directory that will hold file (pid file, logs) when it does
 * not exist, and when running as root give it to user (NULL: "proxy", else
 * "nobody"), the account tproxyd serves as after start-up, so it can
 * still remove its pid file and reopen its logs. With create_file, also
 * create the file itself (a log) owned by that user when it is new.
 * Returns 0 or -errno. */
int daemon_prepare_dir(const char *file, const char *user, int create_file);

#endif
