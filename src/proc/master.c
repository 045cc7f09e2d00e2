/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * master.c - the master of several workers (workers N > 1; Squid's SMP
 * "kids"). It holds the pid file and opens every worker's listening
 * sockets, forks the workers (each a serving process: serve.c), checks a
 * new configuration before passing -k reconfigure on, restarts a worker
 * that dies (giving up when they keep dying at once), executes the new
 * program on -k upgrade with the workers' sockets, and on shutdown waits
 * for all of them. It runs no event loop: it waits for signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/daemon.h"
#include "core/inherit.h"
#include "core/notify.h"
#include "core/priv.h"
#include "proc/proc-int.h"
#include "core/sa.h"
#include "intercept/listener.h"
#include "learn/learn.h"
#include "proxy/adapt.h"
#include "proxy/cache.h"
#include "log/log.h"
#include "proxy/proxy.h"
#include "stats/stats.h"
#include "wccp/gre.h"
#include "wccp/wccp2.h"

#define MAX_KIDS 64

static pid_t kid_pid[MAX_KIDS + 1];	/* 1-based, like Squid's kid numbers */
/* Each first worker writes a byte here once its listeners are open (the
 * master then tells systemd it is ready); -1 in later ones. */
static int kid_ready_fd = -1;
/* The listening sockets, opened by the master: kid k's for port i at
 * [(k - 1) * nport + i]. Each worker takes its own (SO_REUSEPORT: the
 * kernel spreads connections over them); the master keeps them all, so a
 * worker that is restarted, or the next program (-k upgrade), gets the
 * same sockets with the connections waiting in their queues. */
static int *kid_fds;
static size_t kid_nfds;
/* The configuration kid_fds was opened for (its ports, layout_nport of
 * them), and the number of workers, fixed until a restart. proc.cur is
 * the configuration in force: a worker started or restarted gets it. */
static struct cfg *layout;
static size_t layout_nport;
static unsigned nkids;
/* -k upgrade with workers: the previous version's workers (in the new
 * master), told to drain once the new ones serve. */
#define UPGRADE_KIDS_ENV "TPROXYD_UPGRADE_KIDS"
static int old_kids[MAX_KIDS];
static int nold_kids;
static double kid_started[MAX_KIDS + 1];
static unsigned kid_quick_deaths;

/* In a worker: pin it per cpu_affinity_map. */
static void
kid_affinity(unsigned kid)
{
	cpu_set_t set;
	unsigned i;

	for (i = 0; i < proc.cur->ncpu_map; i++) {
		if (proc.cur->cpu_map_kid[i] != kid)
			continue;
		CPU_ZERO(&set);
		CPU_SET(proc.cur->cpu_map_core[i] - 1, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			log_msg(LOG_CRIT, "WARNING: cpu_affinity_map: core %u: "
				"%s", proc.cur->cpu_map_core[i],
				strerror(errno));
	}
}

/* The body of worker number kid, in the child. Never returns. */
static void
kid_main(unsigned kid, const sigset_t *oldmask)
{
	size_t i;

	/* SIGUSR2 (drain) means nothing until serve() takes it. */
	signal(SIGUSR2, SIG_IGN);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	notify_disable();	/* only the master talks to systemd */
	/* A worker must not outlive its master (nobody would reap or
	 * restart it, and it would hold the ports). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(1);
	log_set_kid((int)kid);
	stats_attach(kid);	/* counters: slot kid of the shared table */
	kid_affinity(kid);
	learn_attach(kid);	/* its own packet socket, if learning */
	lsn_set_reuseport(1);
	/* Its own sockets, from the master's; not the other workers'. */
	for (i = 0; i < kid_nfds; i++) {
		if (kid_fds[i] < 0)
			continue;	/* a port gone (master_drop_ports()) */
		if (i / layout_nport == kid - 1)
			inherit_add(kid_fds[i]);
		else
			close(kid_fds[i]);
	}
	if (serve_init() < 0 || apply_listeners(proc.cur) < 0)
		_exit(1);
	inherit_close_rest();
	if (kid_ready_fd >= 0) {
		(void)!write(kid_ready_fd, "", 1);
		close(kid_ready_fd);
		kid_ready_fd = -1;
	}
	cache_open_disks(proc.cur, kid);
	proc.kid = kid;
	cache_siblings_start(proc.cur, kid == 1);
	adapt_configure(proc.cur);
	if (kid == 1)		/* one WCCP cache per host, not per worker */
		wccp2_start(proc.cur);
	log_msg(LOG_INFO, "kid%u started", kid);
	serve();
	log_close();
	_exit(0);
}

static int
kid_spawn(unsigned kid, const sigset_t *oldmask)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_msg(LOG_CRIT, "ERROR: cannot start kid%u: %s", kid,
			strerror(errno));
		return -1;
	}
	if (pid == 0)
		kid_main(kid, oldmask);
	kid_pid[kid] = pid;
	kid_started[kid] = now_mono();
	return 0;
}

static void
kids_signal(int sig)
{
	unsigned k;

	for (k = 1; k <= nkids; k++)
		if (kid_pid[k] > 0)
			kill(kid_pid[k], sig);
}

/* Wait (up to 30 s) until n workers have said their listeners are open,
 * or all have gone, on the read end fd of their pipe; closes it. Returns
 * whether all of them did. */
static int
wait_kids_ready(int fd, unsigned n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double deadline = now_mono() + 30;
	char buf[MAX_KIDS];
	ssize_t r;

	if (fd < 0)
		return 1;
	while (n > 0 && now_mono() < deadline) {
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			break;	/* every worker is gone */
		n = (size_t)r >= n ? 0 : n - (unsigned)r;
	}
	close(fd);
	return n == 0;
}

/* At start-up (run()): whether the previous master executed this program
 * (-k upgrade); then its workers' pids are in old_kids and the listening
 * sockets are loaded (inherit_load()). */
int
master_take_upgrade(void)
{
	if (getenv(UPGRADE_KIDS_ENV) == NULL)
		return 0;
	/* As for UPGRADE_ENV (see upgrade()), as the master of workers: the
	 * previous ones. */
	nold_kids = inherit_parse(getenv(UPGRADE_KIDS_ENV), old_kids,
				  MAX_KIDS);
	if (nold_kids < 0)
		nold_kids = 0;
	unsetenv(UPGRADE_KIDS_ENV);
	inherit_load();
	return 1;
}

/* For run()'s start-up line: the previous version's workers. */
int
master_old_workers(void)
{
	return nold_kids;
}

/* The master's listening sockets, one per worker and port (kid_fds).
 * Returns 0, or -1 after saying why. */
int
master_open_sockets(void)
{
	char err[256];
	size_t i, n = (size_t)proc.cur->workers * proc.cur->nport;

	lsn_register("http", &proxy_proto_http);
	lsn_register("tls", &proxy_proto_tls);
	lsn_set_reuseport(1);
	kid_fds = calloc(n ? n : 1, sizeof(*kid_fds));
	if (kid_fds == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		kid_fds[i] = lsn_socket(&proc.cur->port[i % proc.cur->nport],
					err, sizeof(err));
		if (kid_fds[i] < 0) {
			log_msg(LOG_CRIT, "ERROR: %s:%d: %s",
				proc.cur->port[i % proc.cur->nport].file,
				proc.cur->port[i % proc.cur->nport].line, err);
			fprintf(stderr, "tproxyd: %s:%d: %s\n",
				proc.cur->port[i % proc.cur->nport].file,
				proc.cur->port[i % proc.cur->nport].line, err);
			while (i-- > 0)
				close(kid_fds[i]);
			kid_nfds = 0;
			return -1;
		}
	}
	kid_nfds = n;
	layout = cfg_ref(proc.cur);
	layout_nport = proc.cur->nport;
	nkids = proc.cur->workers;
	return 0;
}

/* Whether c has a port like p (same address, mode and wildcard). */
static int
has_port(const struct cfg *c, const struct cfg_port *p)
{
	const struct cfg_port *q;
	size_t j;

	for (j = 0; j < c->nport; j++) {
		q = &c->port[j];
		if (p->mode == q->mode && p->wildcard == q->wildcard &&
		    sa_equal((const struct sockaddr *)&p->addr,
			     (const struct sockaddr *)&q->addr))
			return 1;
	}
	return 0;
}

/* -k reconfigure with workers: close the master's sockets of the ports c
 * no longer has, which would otherwise stay open (queuing connections
 * nobody accepts). A port c adds is opened by each worker itself. */
static void
master_drop_ports(const struct cfg *c)
{
	size_t i, k;

	for (i = 0; i < layout_nport; i++) {
		if (has_port(c, &layout->port[i]))
			continue;
		for (k = 0; k < nkids; k++) {
			if (kid_fds[k * layout_nport + i] >= 0)
				close(kid_fds[k * layout_nport + i]);
			kid_fds[k * layout_nport + i] = -1;
		}
	}
}

/*
 * -k reconfigure with workers: make c (checked, the workers told) the
 * configuration of every worker started from now on, as the running ones
 * each read the file themselves. Not when a worker could not apply it:
 * without an http_port, or with a new port that cannot be opened (then
 * the running workers keep their configuration, and so do those
 * restarted). Takes c over (unreferenced when not kept).
 */
static void
master_adopt(struct cfg *c)
{
	const char *why = NULL;
	char err[256];
	size_t j;
	int fd;

	if (cfg_http_ports(c) == 0)
		why = "it has no http_port";
	for (j = 0; why == NULL && j < c->nport; j++) {
		if (has_port(layout, &c->port[j]))
			continue;
		/* A port the workers will open themselves: can they? */
		fd = lsn_socket(&c->port[j], err, sizeof(err));
		if (fd < 0)
			why = err;
		else
			close(fd);
	}
	if (why != NULL) {
		log_msg(LOG_CRIT, "WARNING: the new configuration cannot be "
			"applied (%s); a restarted worker runs the previous "
			"one", why);
		cfg_unref(c);
		return;
	}
	/* The number of workers changes only with a restart. */
	c->workers = nkids;
	reconfigure_cache_log(proc.cur, c);
	log_set_level(c->debug_level);
	cfg_unref(proc.cur);
	proc.cur = c;
}

/*
 * SIGUSR2 (-k upgrade) in the master of workers: execute the new program
 * in this process with every worker's listening sockets; its master starts
 * new workers on them and, once they serve, tells these workers (its
 * children now) to finish their connections and exit. Until then they go
 * on accepting: nobody waits. On any failure nothing changes.
 */
static void
master_upgrade(void)
{
	char text[MAX_KIDS * 12];
	int fds[INHERIT_MAX];
	size_t used = 0, n = 0, i;
	unsigned k;
	int rc;

	if (upgrade_check() < 0)
		goto keep;
	for (i = 0; i < kid_nfds && n < INHERIT_MAX; i++)
		if (kid_fds[i] >= 0)
			fds[n++] = kid_fds[i];
	n += wccp2_gre_fds(fds + n, INHERIT_MAX - n);
	text[0] = '\0';
	for (k = 1; k <= nkids; k++)
		if (kid_pid[k] > 0 && used < sizeof(text) - 12)
			used += (size_t)snprintf(text + used,
						 sizeof(text) - used, "%s%ld",
						 used ? "," : "",
						 (long)kid_pid[k]);
	setenv(UPGRADE_KIDS_ENV, text, 1);
	upgrade_env(1);
	if ((rc = priv_keep_across_exec()) < 0)
		log_msg(LOG_CRIT, "WARNING: -k upgrade: cannot keep the "
			"capabilities for the new program: %s", strerror(-rc));
	log_msg(LOG_CRIT, "Upgrade: starting %s with %zu listening sockets",
		proc.exe_path, n);
	fflush(NULL);
	rc = inherit_exec_prepare(fds, n);
	if (rc == 0) {
		execv(proc.exe_path, proc.argv);
		rc = -errno;
	}
	inherit_exec_undo(fds, n);
	unsetenv(UPGRADE_KIDS_ENV);
	upgrade_env(0);
	upgrade_refuse("cannot execute %s: %s; still "
		"running version %s", proc.exe_path, strerror(-rc),
		TPROXYD_VERSION);
keep:
	notify_send("READY=1\n");
}

/*
 * The master of several workers: it holds the pid file, checks new
 * configurations before passing -k reconfigure on, restarts a worker that
 * dies (giving up when they keep dying at once), and on shutdown waits for
 * all of them. Each worker has its own listening sockets (SO_REUSEPORT: the
 * kernel spreads connections over them), event loop and resolver.
 */
int
master_run(void)
{
	sigset_t set, old;
	siginfo_t si;
	struct timespec wd_ts;
	unsigned k, alive;
	int st, stopping = 0, p[2];
	double wd, wd_next, left;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	/* After -k upgrade these are blocked already (the previous master
	 * waited for them too): workers must get them. */
	sigdelset(&old, SIGHUP);
	sigdelset(&old, SIGTERM);
	sigdelset(&old, SIGINT);
	sigdelset(&old, SIGUSR1);
	sigdelset(&old, SIGUSR2);
	sigdelset(&old, SIGCHLD);
	log_set_kid(0);		/* the master's lines carry no kid number */
	if (pipe2(p, O_CLOEXEC) < 0)
		p[0] = p[1] = -1;
	kid_ready_fd = p[1];
	for (k = 1; k <= nkids; k++)
		if (kid_spawn(k, &old) < 0)
			return 1;
	if (p[1] >= 0)
		close(p[1]);
	kid_ready_fd = -1;
	log_msg(LOG_CRIT, "Started %u workers", nkids);
	if (wait_kids_ready(p[0], nkids)) {
		notify_send("READY=1\nSTATUS=serving with %u workers\n",
			    nkids);
		/* -k upgrade: the new workers serve; the previous ones
		 * finish their connections. */
		for (k = 0; k < (unsigned)nold_kids; k++)
			kill(old_kids[k], SIGUSR2);
		if (nold_kids > 0) {
			log_msg(LOG_CRIT, "Upgrade: the new workers serve; "
				"the %d of the previous version finish their "
				"connections", nold_kids);
			upgrade_report(1, "%s", TPROXYD_VERSION);
		}
	} else {
		/* systemd's start times out: the workers cannot serve */
		log_msg(LOG_CRIT, "WARNING: not every worker could open its "
			"ports; not telling systemd tproxyd is ready");
		if (nold_kids > 0)
			upgrade_report(0, "version %s started, but not every "
				       "one of its workers could open its "
				       "ports; the previous version's "
				       "workers go on serving",
				       TPROXYD_VERSION);
	}
	daemon_ready(0);
	wd = notify_watchdog_interval();
	wd_next = now_mono() + wd;
	for (;;) {
		/* WatchdogSec=: a ping every wd seconds, however often
		 * signals come. */
		if (wd > 0 && now_mono() >= wd_next) {
			notify_send("WATCHDOG=1\n");
			wd_next = now_mono() + wd;
		}
		if (wd > 0) {
			left = wd_next - now_mono();
			if (left < 0)
				left = 0;
			wd_ts.tv_sec = (time_t)left;
			wd_ts.tv_nsec = (long)((left - (double)wd_ts.tv_sec) *
					       1e9);
		}
		if ((wd > 0 ? sigtimedwait(&set, &si, &wd_ts) :
		     sigwaitinfo(&set, &si)) < 0)
			continue;
		switch (si.si_signo) {
		case SIGCHLD:
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
				for (k = 1; k <= nkids; k++)
					if (kid_pid[k] == pid)
						break;
				if (k > nkids) {
					for (k = 0; k < (unsigned)nold_kids;
					     k++)
						if (old_kids[k] == pid)
							log_msg(LOG_CRIT,
								"Upgrade: a "
								"previous "
								"worker (pid "
								"%ld) finished "
								"its "
								"connections "
								"and exited",
								(long)pid);
					continue;
				}
				kid_pid[k] = 0;
				stats_kid_exited(k);
				if (stopping)
					continue;
				log_msg(LOG_CRIT, "WARNING: kid%u (pid %ld) "
					"%s %d; restarting it", k, (long)pid,
					WIFSIGNALED(st) ? "died from signal" :
					"exited with status", WIFSIGNALED(st) ?
					WTERMSIG(st) : WEXITSTATUS(st));
				if (now_mono() - kid_started[k] < 2) {
					if (++kid_quick_deaths >= 5) {
						log_msg(LOG_CRIT, "FATAL: "
							"workers keep dying at "
							"start; stopping");
						stopping = 1;
						kids_signal(SIGTERM);
						continue;
					}
				} else {
					kid_quick_deaths = 0;
				}
				kid_spawn(k, &old);
			}
			break;
		case SIGHUP: {
			struct cfg_msgs m = { 0 };
			struct cfg *c;

			notify_reloading();
			c = cfg_load(proc.conf_path, &m);

			print_msgs(&m, 1);
			cfg_msgs_free(&m);
			if (c == NULL) {
				log_msg(LOG_CRIT, "ERROR: the new "
					"configuration has errors; still "
					"running with the previous one");
				notify_send("READY=1\n");
				break;
			}
			if (c->workers != nkids)
				log_msg(LOG_CRIT, "WARNING: changing workers "
					"needs a restart; keeping %u",
					nkids);
			master_drop_ports(c);
			/* Before the workers open a new port (its check). */
			master_adopt(c);
			kids_signal(SIGHUP);
			notify_send("READY=1\n");
			break;
		}
		case SIGUSR1:
			rotate_cache_log();
			kids_signal(SIGUSR1);
			break;
		case SIGUSR2:
			if (!stopping)
				master_upgrade();
			else
				upgrade_refuse("tproxyd is shutting down");
			break;
		default:	/* SIGTERM, SIGINT: the kids drain and exit */
			if (!stopping) {
				log_msg(LOG_CRIT, "Preparing for shutdown: "
					"stopping %u workers",
					nkids);
				notify_send("STOPPING=1\n");
			}
			stopping = 1;
			kids_signal(si.si_signo);
			break;
		}
		if (stopping) {
			for (alive = 0, k = 1; k <= nkids; k++)
				alive += kid_pid[k] > 0;
			if (alive == 0)
				break;
		}
	}
	log_msg(LOG_CRIT, "tproxyd is shutting down");
	return 0;
}
