/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proc-int.h - what the files of tproxyd's process share; not for other
 * modules (they are linked into the program only, never into the unit
 * tests: see MAIN_SRCS in the Makefile):
 *
 *   main.c     command line, -k actions, start-up order (run())
 *   setup.c    start-up steps: configuration messages, privileges, probes,
 *              limits, cache_log
 *   serve.c    a serving process (the only one, or a worker): listeners,
 *              signals, timers, reconfiguration, shutdown
 *   upgrade.c  -k upgrade: checks, execution of the new program, the
 *              process of the old one that finishes its connections
 *   master.c   the master of workers: starting, restarting and signalling
 *              them
 */
#ifndef TPROXYD_CORE_PROC_INT_H
#define TPROXYD_CORE_PROC_INT_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

struct cfg;
struct cfg_msgs;
struct lsn;

/* -k upgrade: in the new program's environment, the pid of the process
 * that goes on with the old one's connections (see upgrade()). */
#define UPGRADE_ENV "TPROXYD_UPGRADE_FROM"
/* Seconds an idle keep-alive connection of the old program may still
 * bring a request (see proxy_drain_soft()). */
#define UPGRADE_IDLE_GRACE 2.0

/* The state of this process, one for the program (defined in main.c). */
struct proc {
	const char *conf_path;	/* -f, the configuration file */
	struct cfg *cur;	/* the configuration in force */
	struct lsn *listeners;	/* a serving process's listening ports */
	unsigned kid;		/* this worker's number (0: no workers) */
	char exe_path[PATH_MAX];	/* the program file, found at start */
	char **argv;		/* the command line, for the new program */
	char *notify_env;	/* $NOTIFY_SOCKET as systemd gave it */
	int is_drainer;		/* the old program, finishing connections */
	pid_t drainer_pid;	/* in the new one: the old one's pid */
};

extern struct proc proc;

/* ---- setup.c: start-up steps ---- */

/* Seconds on CLOCK_MONOTONIC (outside the event loop). */
double now_mono(void);
/* Print configuration diagnostics (to cache.log when to_log, else to
 * stderr); returns the number of errors. */
size_t print_msgs(const struct cfg_msgs *m, int to_log);
/* Check that transparent sockets can be made when a tproxy port is
 * configured. Returns 0, or -1 after printing why. */
int probe_transparent(const struct cfg *c);
/* Drop to cache_effective_user keeping only what is needed. Returns 0,
 * or -1 after printing why. */
int drop_privileges(const struct cfg *c);
/* host_verify_learn_dns: open the packet sockets (one per serving
 * process). Returns 0, or -1 after printing why. */
int open_learner(const struct cfg *c);
/* Open WCCPv2 GRE forwarding's raw socket and TUN device while
 * privileged. Returns 0, or -1 after printing why. */
int wccp_gre_open(const struct cfg *c);
/* max_filedescriptors and client_connection_limit into RLIMIT_NOFILE and
 * the descriptor budget (core/limits.c). */
void apply_limits(const struct cfg *c);
/* visible_hostname, or the host's name, to proxy_set_hostname(). */
void set_hostname(const struct cfg *c);
/* Open cache_log as c says: a file, or the system log. Returns 0 or a
 * negative errno. */
int open_cache_log(const struct cfg *c, int stderr_level);
/* How cache_log is named in messages. */
const char *cache_log_name(const struct cfg *c);
/* -k reconfigure: reopen cache_log when c names another one than old. */
void reconfigure_cache_log(const struct cfg *old, const struct cfg *c);

/* ---- serve.c: a serving process ---- */

/* Loop, resolver and logs of a serving process (proc.cur). Returns 0 or
 * -1 after printing why. */
int serve_init(void);
/* Make proc.listeners match c (keeping the ports that stay). Returns 0,
 * or -1 with the reason logged (then nothing was changed). */
int apply_listeners(struct cfg *c);
/* The event loop of a serving process, listeners open: runs until
 * shutdown. */
void serve(void);
/* Stop accepting and let the connections finish (a second call closes
 * them now). */
void begin_shutdown(void);
/* -k rotate: reopen cache_log (or say why not and keep the one open). */
void rotate_cache_log(void);
/* systemd's one-line status: ports and connections. */
void tell_status(void);

/* ---- upgrade.c: -k upgrade ---- */

/* The signals tproxyd handles, held blocked across execve() until
 * serve() (or the master) takes them. */
void handled_signals(sigset_t *set);
/* Before -k upgrade: the configuration checked by this program and by
 * the new one. Returns 0, or -1 after logging why not. */
int upgrade_check(void);
/* systemd's variables for the new program (set: 1), or taken out again
 * after a failed execve() (0). */
void upgrade_env(int set);
/* SIGUSR2 in a single serving process: execute the new program with the
 * listening sockets; a forked child finishes the connections. On failure
 * nothing changes. */
void upgrade(void);
/* SIGUSR2 in a worker of the previous version, from the new master:
 * finish the connections, then exit. */
void kid_drain(void);
/* In the new program, started by upgrade(): reap the old one (pid
 * proc.drainer_pid) once it is done. */
void upgrade_watch_drainer(void);

/* ---- upgrade_report.c: what -k upgrade hears back ---- */

/* In the running tproxyd: tell a waiting "tproxyd -k upgrade" that the
 * new program serves (ok: 1; the text is its version) or why not. */
void upgrade_report(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Log "ERROR: -k upgrade: TEXT" and report TEXT as the refusal. */
void upgrade_refuse(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* In "tproxyd -k upgrade", before signalling pid: where its report will
 * come. Returns the descriptor, or -errno. */
int upgrade_listen(pid_t pid);
/* The program file pid runs (stat of /proc/PID/exe). 0 or -1. */
int upgrade_exe(pid_t pid, struct stat *st);
/* Wait up to timeout seconds for pid's report; print it. Without one,
 * pid upgraded when its program file is no longer exe (from
 * upgrade_exe() before the signal; NULL: unknown). Returns the command's
 * exit status: 0 upgraded, 1 not (refused, stopped, silent). */
int upgrade_wait(int fd, pid_t pid, double timeout, const struct stat *exe);

/* ---- master.c: the master of workers ---- */

/* At start-up: whether this program was executed by -k upgrade of a
 * master of workers (their pids taken from the environment, the
 * sockets loaded). */
int master_take_upgrade(void);
/* How many workers of the previous version finish their connections. */
int master_old_workers(void);
/* The master's listening sockets, one per worker and port. Returns 0, or
 * -1 after saying why. */
int master_open_sockets(void);
/* Start the workers and run the master until they have all exited;
 * returns the exit status. */
int master_run(void);

#endif
