/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch.h - `tproxyctl watch`: the long-running watchdog that carries out
 * --on-failure when tproxyd does not take connections (not listening,
 * hung, overloaded), and puts tproxyctl's rules back when they vanish.
 */
#ifndef TPROXYCTL_WATCH_H
#define TPROXYCTL_WATCH_H

/* Defaults of --interval and --overload-after, in milliseconds. */
#define WATCH_INTERVAL_MS  200
#define WATCH_OVERLOAD_MS  1000
/* Consecutive healthy checks before a failed port is taken back. */
#define WATCH_RECOVER_CHECKS 2

/* Health of one tproxy port as the watchdog tracks it between checks. */
struct watch_port {
	int       failed;	/* its intercepted ports are in the failed
				   set */
	int       listening;	/* at the last check */
	unsigned  queued;	/* connections waiting in its accept queue */
	long long busy_since;	/* ms: start of the current run of checks
				   that saw the queue non-empty; -1: none */
	int       healthy_run;	/* consecutive healthy checks while failed */
};

/*
 * One check of one port (pure, for the unit tests): listening and queued
 * as just read from the kernel at time now_ms. Updates p; returns 1 when
 * p->failed changed. A port fails at once when nothing listens, and when
 * its accept queue has not been seen empty for overload_ms (tproxyd is
 * stopped, hung or cannot keep up); it is taken back after
 * WATCH_RECOVER_CHECKS checks in a row find it listening with an empty
 * queue.
 */
int watch_step(struct watch_port *p, int listening, unsigned queued,
	       long long now_ms, long long overload_ms);

/*
 * The lock setup and teardown hold while they change the rules (held
 * until the process exits), so that the watchdog does not put rules back
 * half-way through: "STATE.lock", flock() exclusive (blocking) for them,
 * shared and non-blocking for the watchdog. Returns the descriptor, or
 * -1 (no lock: the directory does not exist, or for the watchdog, setup
 * or teardown is running).
 */
int watch_lock(const char *state_path, int exclusive);

/* `tproxyctl watch [--state FILE] [--interval MS] [--overload-after MS]`;
 * returns the exit status (0 after SIGTERM or SIGINT). */
int watch_main(int argc, char **argv);

#endif
