/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * upgrade.c - -k upgrade (SIGUSR2): start the installed program in place
 * of the running one without closing its ports or its connections.
 *
 * The running process keeps its pid (systemd's MainPID, the pid file): it
 * forks a child that keeps every open connection and finishes them as on
 * shutdown (no new ones, up to shutdown_lifetime), and executes the
 * program file again in itself, the listening sockets (http_port,
 * https_port, udp_port) left open across execve(). The new program takes
 * them over by address (core/inherit.c): the same socket objects, so a
 * connection waiting in an accept queue is never refused or reset. If the
 * new program cannot start, nothing changes. (With workers, the master
 * does the same: master_upgrade() in master.c.)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "core/inherit.h"
#include "core/notify.h"
#include "core/priv.h"
#include "proc/proc-int.h"
#include "event/loop.h"
#include "intercept/listener.h"
#include "log/access_log.h"
#include "log/log.h"
#include "proxy/proxy.h"
#include "udp/udp.h"
#include "wccp/gre.h"
#include "wccp/wccp2.h"

/* In the new program: polls for the end of the old one. */
static struct evl_timer drainer_reap;

/* The program to execute: the file this one was started from (when a
 * package upgrade replaced it, that is the new one). Returns 0, or -1
 * after logging why. */
static int
upgrade_program(void)
{
	if (proc.exe_path[0] == '\0') {
		upgrade_refuse("the program file of this "
			"process is unknown; still running");
		return -1;
	}
	if (access(proc.exe_path, X_OK) < 0) {
		upgrade_refuse("%s: %s; still running",
			proc.exe_path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Run "PROGRAM -k parse -f CONF" (the new program on the configuration),
 * its messages going to cache.log, waiting up to 30 seconds (the event
 * loop waits too: connections pause for that long at most). Returns 0 when
 * it accepts the file, or -1 after logging why not.
 */
static int
check_new_program(void)
{
	char buf[1024], line[1024];
	size_t used = 0;
	double deadline = now_mono() + 30;
	struct pollfd pfd;
	int p[2], st, i;
	ssize_t r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		upgrade_refuse("pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		upgrade_refuse("fork: %s",
			strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execl(proc.exe_path, proc.exe_path, "-k", "parse", "-f",
		      proc.conf_path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		if (now_mono() >= deadline) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		r = read(p[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (i = 0; i < r; i++) {	/* one cache.log line each */
			if (buf[i] != '\n' && used < sizeof(line) - 1) {
				line[used++] = buf[i];
				continue;
			}
			if (buf[i] == '\n') {
				line[used] = '\0';
				log_msg(LOG_CRIT, "-k upgrade: %s", line);
				used = 0;
			}
		}
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	upgrade_refuse("%s %s %d on %s; not upgrading, "
		"still running version %s", proc.exe_path, WIFEXITED(st) ?
		"-k parse exited with status" : "-k parse died from signal",
		WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), proc.conf_path,
		TPROXYD_VERSION);
	return -1;
}

/* The signals tproxyd handles. Blocked across execve() (-k upgrade): the
 * new program's handlers are not in place at once, and the default action
 * of most of them ends the process; they wait, pending, until serve() (or
 * the master's sigwaitinfo()) takes them. */
void
handled_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

/* Whether c has WCCPv2 GRE forwarding (its data plane). */
static int
uses_wccp_gre(const struct cfg *c)
{
	return c->wccp2.nrouter > 0 &&
	       c->wccp2.forwarding_method == WCCP2_METHOD_GRE;
}

/* Before -k upgrade: RELOADING for systemd, then the configuration checked
 * by this program and by the new one. Returns 0, or -1 after logging why
 * not (then nothing changes). */
int
upgrade_check(void)
{
	struct cfg_msgs m = { 0 };
	struct cfg *c;
	int rc;

	notify_reloading();
	log_msg(LOG_CRIT, "Upgrade: checking %s with %s", proc.conf_path,
		proc.exe_path[0] ? proc.exe_path : "(unknown program)");
	c = cfg_load(proc.conf_path, &m);
	print_msgs(&m, 1);
	cfg_msgs_free(&m);
	if (c == NULL) {
		upgrade_refuse("%s has errors; not "
			"upgrading, still running version %s", proc.conf_path,
			TPROXYD_VERSION);
		return -1;
	}
	rc = c->workers != proc.cur->workers ? 1 : !uses_wccp_gre(proc.cur) &&
	     uses_wccp_gre(c) ? 2 : 0;
	cfg_unref(c);
	if (rc == 1) {
		upgrade_refuse("changing workers needs "
			"a restart; not upgrading");
		return -1;
	}
	if (rc == 2) {
		/* Its raw socket and TUN device are opened while privileged
		 * (CAP_NET_ADMIN), which the new program would not be; once
		 * open, they are handed over (wccp2_gre_fds()). */
		upgrade_refuse("turning WCCPv2 GRE forwarding on "
			"needs privileges this tproxyd gave up at start-up; "
			"restart tproxyd instead; not upgrading");
		return -1;
	}
	if (upgrade_program() < 0 || check_new_program() < 0)
		return -1;
	return 0;
}

/* What the new program needs from the environment besides the sockets:
 * systemd's variables, which notify_init() took out (set: 1; clear: 0,
 * after a failed execve()). */
void
upgrade_env(int set)
{
	char text[32];

	if (!set) {
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		return;
	}
	if (proc.notify_env != NULL)
		setenv("NOTIFY_SOCKET", proc.notify_env, 1);
	if (notify_watchdog_interval() > 0) {
		snprintf(text, sizeof(text), "%.0f",
			 notify_watchdog_interval() * 2e6);
		setenv("WATCHDOG_USEC", text, 1);
		snprintf(text, sizeof(text), "%ld", (long)getpid());
		setenv("WATCHDOG_PID", text, 1);
	}
}

/* In the forked child, once the new program runs: finish this program's
 * connections, accept no new ones, then exit. */
static void
become_drainer(void)
{
	proc.is_drainer = 1;
	evl_after_fork();
	notify_disable();	/* systemd hears from the new program */
	log_msg(LOG_CRIT, "Upgrade: version %s goes on in pid %ld with the "
		"%u open connections until they finish", TPROXYD_VERSION,
		(long)getpid(), proxy_nclients());
	/* The new program sends WCCP's Here_I_Am now. */
	wccp2_stop();
	begin_shutdown();
}

/* A worker of the previous version, told by the new master (whose workers
 * serve the ports now): finish the connections, then exit. */
void
kid_drain(void)
{
	proc.is_drainer = 1;
	log_msg(LOG_CRIT, "Upgrade: version %s's kid%u finishes its %u open "
		"connections", TPROXYD_VERSION, proc.kid, proxy_nclients());
	if (proc.kid == 1)
		wccp2_stop();
	begin_shutdown();
}

/* In the new program: reap the old one when it is done. */
static void
drainer_reap_cb(struct evl_timer *t)
{
	int st;
	pid_t r = waitpid(proc.drainer_pid, &st, WNOHANG);

	if (r == 0) {
		evl_timer_arm(t, 0.2);
		return;
	}
	/* libev's default loop reaps every child itself (ECHILD here). */
	if (r == proc.drainer_pid || (r < 0 && errno == ECHILD))
		log_msg(LOG_CRIT, "Upgrade: the previous version (pid %ld) "
			"finished its connections and exited",
			(long)proc.drainer_pid);
	else if (r < 0 && errno == EINTR) {
		evl_timer_arm(t, 0.2);
		return;
	}
	proc.drainer_pid = 0;
}

/* In the new program, from serve(): start polling for the end of the
 * old one (drainer_reap_cb()). */
void
upgrade_watch_drainer(void)
{
	evl_timer_init(&drainer_reap, drainer_reap_cb, NULL);
	evl_timer_arm(&drainer_reap, 0.2);
}

/*
 * SIGUSR2 (-k upgrade), in a single serving process. On any failure before
 * execve() the process goes on as before; after a failed execve() too (the
 * forked child is told to exit without touching anything).
 */
void
upgrade(void)
{
	sigset_t hold, prev;
	struct lsn *l;
	char text[32], ch;
	int fds[INHERIT_MAX], p[2], rc, saved;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (upgrade_check() < 0)
		goto keep;
	for (l = proc.listeners; l != NULL && n < INHERIT_MAX; l = l->next)
		fds[n++] = l->fd;
	n += udp_fds(fds + n, INHERIT_MAX - n);
	n += wccp2_gre_fds(fds + n, INHERIT_MAX - n);
	if (pipe2(p, O_CLOEXEC) < 0) {
		upgrade_refuse("pipe: %s",
			strerror(errno));
		goto keep;
	}
	log_msg(LOG_CRIT, "Upgrade: starting %s with %zu listening sockets",
		proc.exe_path, n);
	alog_flush();
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		upgrade_refuse("fork: %s",
			strerror(errno));
		close(p[0]);
		close(p[1]);
		goto keep;
	}
	if (pid == 0) {
		/* Wait, touching nothing shared, until the parent has
		 * executed the new program (its end of the pipe, close-on-
		 * exec, closes: end of file) or failed to (a byte). */
		close(p[1]);
		while ((r = read(p[0], &ch, 1)) < 0 && errno == EINTR)
			;
		if (r != 0)
			_exit(0);
		close(p[0]);
		become_drainer();
		return;
	}
	close(p[0]);
	snprintf(text, sizeof(text), "%ld", (long)pid);
	setenv(UPGRADE_ENV, text, 1);
	upgrade_env(1);
	if ((rc = priv_keep_across_exec()) < 0)
		log_msg(LOG_CRIT, "WARNING: -k upgrade: cannot keep the "
			"capabilities for the new program: %s", strerror(-rc));
	handled_signals(&hold);
	sigprocmask(SIG_BLOCK, &hold, &prev);
	rc = inherit_exec_prepare(fds, n);
	if (rc == 0) {
		execv(proc.exe_path, proc.argv);
		rc = -errno;
	}
	sigprocmask(SIG_SETMASK, &prev, NULL);
	saved = rc;
	(void)!write(p[1], "x", 1);	/* the child exits */
	close(p[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	inherit_exec_undo(fds, n);
	unsetenv(UPGRADE_ENV);
	upgrade_env(0);
	upgrade_refuse("cannot execute %s: %s; still "
		"running version %s", proc.exe_path, strerror(-saved),
		TPROXYD_VERSION);
keep:
	notify_send("READY=1\n");
	tell_status();
}
