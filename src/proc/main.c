/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - tproxyd's entry point: command line (Squid's flags), the -k
 * actions that signal the running instance, and start-up in its order
 * (run()). The steps live in setup.c, the serving process in serve.c,
 * -k upgrade in upgrade.c, the master of workers in master.c; what they
 * share (struct proc, defined here) is in proc-int.h.
 *
 *   tproxyd [-N] [-d LEVEL] [-f FILE]       run (detached unless -N)
 *   tproxyd -k parse|reconfigure|rotate|shutdown|interrupt|kill|check
 *   tproxyd -k upgrade                      start the installed program
 *                                           in place of the running one
 *   tproxyd -v
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/daemon.h"
#include "core/inherit.h"
#include "core/notify.h"
#include "proc/proc-int.h"
#include "proxy/bump.h"
#include "proxy/extacl.h"
#include "proxy/rewrite.h"
#include "proxy/adapt.h"
#include "proxy/cache.h"
#include "log/log.h"
#include "stats/stats.h"
#include "wccp/wccp2.h"

#ifndef TPROXYD_CONF
#define TPROXYD_CONF "/usr/local/etc/tproxyd/tproxyd.conf"
#endif

/* The state of this process (proc-int.h). */
struct proc proc = { .conf_path = TPROXYD_CONF };

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: tproxyd [-N] [-d level] [-f config] [-k action]\n"
		"       tproxyd --help | --version\n"
		"  -f file    configuration file (default %s)\n"
		"  -N         stay in the foreground\n"
		"  -d level   also write cache.log messages up to level to "
		"stderr\n"
		"  -k parse   check the configuration and exit\n"
		"  -k reconfigure|rotate|shutdown|interrupt|kill|check\n"
		"             signal the running instance (via pid_filename)\n"
		"  -k upgrade replace the running instance by the installed "
		"program,\n"
		"             without closing its ports or its connections\n"
		"  -v, --version  print the version and the default "
		"configuration file, and exit\n"
		"  -h, --help     print this text and exit\n"
		"Exit status: 0 success, 1 failure (configuration errors, "
		"cannot start,\nno running instance), 2 bad command line.\n",
		TPROXYD_CONF);
}

/* How long -k upgrade waits for the outcome: the running tproxyd checks
 * the configuration with both programs (up to 30 s) before it starts the
 * new one. */
#define UPGRADE_WAIT 90.0

/* How long -k upgrade waits: UPGRADE_WAIT, or TPROXYD_UPGRADE_WAIT
 * seconds (a slow machine, a test). */
static double
upgrade_wait_time(void)
{
	const char *v = getenv("TPROXYD_UPGRADE_WAIT");
	char *end;
	double t;

	if (v == NULL)
		return UPGRADE_WAIT;
	t = strtod(v, &end);
	if (end == v || *end != '\0' || !(t > 0 && t <= 3600)) {
		fprintf(stderr, "tproxyd: TPROXYD_UPGRADE_WAIT=%s is not a "
			"number of seconds (up to 3600); waiting %.0f\n", v,
			UPGRADE_WAIT);
		return UPGRADE_WAIT;
	}
	return t;
}

/* -k ACTION: signal the instance whose pid file the configuration names. */
static int
signal_running(const char *action)
{
	static const struct { const char *name; int sig; } acts[] = {
		{ "reconfigure", SIGHUP }, { "rotate", SIGUSR1 },
		{ "shutdown", SIGTERM }, { "interrupt", SIGINT },
		{ "kill", SIGKILL }, { "check", 0 }, { "upgrade", SIGUSR2 },
	};
	struct cfg_msgs m = { 0 };
	struct cfg *c;
	size_t i;
	struct stat exe;
	pid_t pid;
	int fd = -1, rc, exe_known;

	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcmp(action, acts[i].name) == 0)
			break;
	if (i == sizeof(acts) / sizeof(acts[0])) {
		fprintf(stderr, "tproxyd: unknown -k action '%s'\n", action);
		usage(stderr);
		return 2;
	}
	c = cfg_load(proc.conf_path, &m);
	if (c == NULL) {
		print_msgs(&m, 0);
		cfg_msgs_free(&m);
		fprintf(stderr, "tproxyd: %s has errors; not sending '%s'\n",
			proc.conf_path, action);
		return 1;
	}
	cfg_msgs_free(&m);
	if (c->pid_filename == NULL) {
		fprintf(stderr, "tproxyd: pid_filename is none; cannot find "
			"the running instance\n");
		cfg_unref(c);
		return 1;
	}
	pid = daemon_read_pid(c->pid_filename);
	if (pid < 0) {
		fprintf(stderr, "tproxyd: no running copy (pid file %s: %s)\n",
			c->pid_filename, strerror((int)-pid));
		cfg_unref(c);
		return 1;
	}
	cfg_unref(c);
	/* -k upgrade waits for the running tproxyd to say how it went. */
	if (acts[i].sig == SIGUSR2) {
		fd = upgrade_listen(pid);
		if (fd == -EADDRINUSE) {
			fprintf(stderr, "tproxyd: another 'tproxyd -k upgrade' "
				"is waiting for pid %ld\n", (long)pid);
			return 1;
		}
		if (fd < 0)
			fprintf(stderr, "tproxyd: cannot wait for the outcome "
				"(%s): see cache.log\n", strerror(-fd));
	}
	exe_known = acts[i].sig == SIGUSR2 && upgrade_exe(pid, &exe) == 0;
	if (kill(pid, acts[i].sig) < 0) {
		fprintf(stderr, "tproxyd: cannot signal pid %ld: %s\n",
			(long)pid, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (fd < 0)
		return 0;
	rc = upgrade_wait(fd, pid, upgrade_wait_time(),
			  exe_known ? &exe : NULL);
	close(fd);
	return rc;
}

static int
run(int foreground, int debug_level)
{
	struct cfg_msgs m = { 0 };
	size_t i;
	int rc;

	if (getenv("NOTIFY_SOCKET") != NULL)	/* for -k upgrade */
		proc.notify_env = strdup(getenv("NOTIFY_SOCKET"));
	if (master_take_upgrade())
		foreground = 1;
	if (getenv(UPGRADE_ENV) != NULL) {
		/* Started by -k upgrade, in the process of the previous
		 * version: take over its sockets; never detach (the pid
		 * stays). */
		proc.drainer_pid = (pid_t)atol(getenv(UPGRADE_ENV));
		unsetenv(UPGRADE_ENV);
		inherit_load();
		foreground = 1;
	}
	notify_init();
	/* Under systemd: cache.log lines go to the journal too. */
	log_journal_detect();
	proc.cur = cfg_load(proc.conf_path, &m);
	print_msgs(&m, 0);
	if (proc.cur == NULL) {
		fprintf(stderr, "tproxyd: %zu error(s) in %s\n", m.nerr,
			proc.conf_path);
		cfg_msgs_free(&m);
		return 1;
	}
	if (cfg_http_ports(proc.cur) == 0) {
		/* Squid: "No HTTP, HTTPS, or FTP ports configured". */
		fprintf(stderr, "tproxyd: FATAL: no http_port configured in "
			"%s: nothing to serve\n", proc.conf_path);
		cfg_msgs_free(&m);
		cfg_unref(proc.cur);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* /run/tproxyd and /var/log/tproxyd on a fresh install. */
	daemon_prepare_dir(proc.cur->pid_filename,
			   proc.cur->cache_effective_user, 0);
	daemon_prepare_dir(proc.cur->cache_log,
			   proc.cur->cache_effective_user, 1);
	for (i = 0; i < proc.cur->nalog; i++)
		if (proc.cur->alog[i].module == ALOG_FILE)
			daemon_prepare_dir(proc.cur->alog[i].place,
					   proc.cur->cache_effective_user, 1);
	if (!foreground && daemon_detach() < 0) {
		perror("tproxyd: fork");
		return 1;
	}
	if ((proc.cur->cache_log || proc.cur->cache_log_syslog) &&
	    (rc = open_cache_log(proc.cur, debug_level)) < 0)
		fprintf(stderr, "tproxyd: WARNING: cannot open cache_log %s: "
			"%s; logging to stderr\n", cache_log_name(proc.cur),
			strerror(-rc));
	if (proc.cur->cache_log == NULL && !proc.cur->cache_log_syslog)
		log_open(NULL, debug_level);
	log_set_level(proc.cur->debug_level);	/* debug_options ALL,N */
	log_msg(LOG_CRIT, "Starting tproxyd version %s", TPROXYD_VERSION);
	log_msg(LOG_CRIT, "Process ID %ld", (long)getpid());
	if (inherit_active() && proc.drainer_pid > 0)
		log_msg(LOG_CRIT, "Upgrade: taking over the listening sockets "
			"of the previous version (which goes on in pid %ld "
			"until its connections finish)",
			(long)proc.drainer_pid);
	else if (inherit_active())
		log_msg(LOG_CRIT, "Upgrade: taking over the listening sockets "
			"of the previous version (whose %d workers go on until "
			"the new ones serve)", master_old_workers());
	log_msg(LOG_CRIT, "Configuration: %s", proc.conf_path);
	print_msgs(&m, 1);
	cfg_msgs_free(&m);
	apply_limits(proc.cur);
	if (probe_transparent(proc.cur) < 0 || open_learner(proc.cur) < 0)
		goto fail;
	/* Before any worker is forked: they all write into one table, so
	 * that /metrics in any of them can show the whole instance. */
	if ((rc = stats_init(proc.cur->workers)) < 0) {
		log_msg(LOG_CRIT, "FATAL: cannot map the shared counters: %s",
			strerror(-rc));
		fprintf(stderr, "tproxyd: FATAL: cannot map the shared "
			"counters: %s\n", strerror(-rc));
		goto fail;
	}
	if (proc.cur->workers == 1)
		stats_attach(1);
	if (wccp_gre_open(proc.cur) < 0)
		goto fail;
	if (proc.cur->workers == 1) {
		/* One process: listeners first, while privileged. */
		if (serve_init() < 0)
			goto fail;
		if (apply_listeners(proc.cur) < 0) {
			fprintf(stderr, "tproxyd: FATAL: cannot open the "
				"http_port listeners (see %s)\n",
				cache_log_name(proc.cur));
			goto fail;
		}
		if ((i = inherit_close_rest()) > 0)
			log_msg(LOG_CRIT, "Upgrade: closed %zu listening "
				"sockets no longer configured", i);
		wccp2_start(proc.cur);
	}
	if (proc.cur->pid_filename &&
	    (rc = daemon_write_pid(proc.cur->pid_filename)) < 0) {
		log_msg(LOG_CRIT, "FATAL: pid file %s: %s",
			proc.cur->pid_filename, rc == -EEXIST ?
			"another tproxyd is running" : strerror(-rc));
		fprintf(stderr, "tproxyd: FATAL: pid file %s: %s\n",
			proc.cur->pid_filename, rc == -EEXIST ?
			"another tproxyd is running" : strerror(-rc));
		goto fail;
	}
	/* Workers open their listeners after this: drop_privileges() keeps
	 * what that needs (CAP_NET_RAW for tproxy ports,
	 * CAP_NET_BIND_SERVICE for ports < 1024). */
	if (drop_privileges(proc.cur) < 0) {
		daemon_remove_pid(proc.cur->pid_filename);
		goto fail;
	}
	if (proc.cur->workers > 1) {
		/* After the drop: the same user as the sockets a worker
		 * opens itself later (SO_REUSEPORT wants that). */
		if (master_open_sockets() < 0) {
			daemon_remove_pid(proc.cur->pid_filename);
			goto fail;
		}
		if ((i = inherit_close_rest()) > 0)
			log_msg(LOG_CRIT, "Upgrade: closed %zu listening "
				"sockets no longer configured", i);
		rc = master_run();
	} else {
		/* As the user that owns them: files it writes are its. */
		cache_open_disks(proc.cur, 0);
		cache_siblings_start(proc.cur, 1);
		adapt_configure(proc.cur);
		daemon_ready(0);
		notify_send("READY=1\n");
		tell_status();
		serve();
		rc = 0;
	}
	if (proc.cur->pid_filename)
		daemon_remove_pid(proc.cur->pid_filename);
	cfg_unref(proc.cur);
	log_close();
	return rc;
fail:
	/* Started by -k upgrade: the command waiting hears it too. */
	if (inherit_active())
		upgrade_report(0, "version %s could not start, and tproxyd "
			       "stops (the previous version finishes its "
			       "connections): %s says why", TPROXYD_VERSION,
			       proc.cur ? cache_log_name(proc.cur) :
			       "the output above");
	daemon_ready(1);
	return 1;
}

int
main(int argc, char **argv)
{
	const char *action = NULL;
	static const struct option long_opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int foreground = 0, debug_level = -1, c;
	sigset_t mask;

	/* -k upgrade executes this file again: where it is. */
	if ((c = (int)readlink("/proc/self/exe", proc.exe_path,
			       sizeof(proc.exe_path) - 1)) > 0)
		proc.exe_path[c] = '\0';
	else
		proc.exe_path[0] = '\0';
	proc.argv = argv;
	/* -k upgrade before the handler is in place (at start-up, or while
	 * the new program starts) must not kill tproxyd (SIGUSR2's default
	 * action): ignored until then. */
	sigprocmask(SIG_SETMASK, NULL, &mask);
	if (!sigismember(&mask, SIGUSR2))	/* (see handled_signals()) */
		signal(SIGUSR2, SIG_IGN);
	/* Bumping ports' CAs and TLS contexts are made while loading. */
	cfg_tls_ops = &bump_cfg_ops;
	cfg_helper_ops = &rewrite_cfg_ops;
	cfg_extacl_ops = &extacl_cfg_ops;
	while ((c = getopt_long(argc, argv, "f:Nk:d:vhX", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			proc.conf_path = optarg;
			break;
		case 'N':
			foreground = 1;
			break;
		case 'k':
			action = optarg;
			break;
		case 'd':
			debug_level = atoi(optarg);
			break;
		case 'v':
			printf("tproxyd version %s\n"
			       "configuration file: %s\n", TPROXYD_VERSION,
			       TPROXYD_CONF);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (action && strcmp(action, "parse") == 0) {
		struct cfg_msgs m = { 0 };
		struct cfg *cf = cfg_load(proc.conf_path, &m);
		size_t nerr = print_msgs(&m, 0);

		cfg_msgs_free(&m);
		if (cf)
			cfg_unref(cf);
		return nerr ? 1 : 0;
	}
	if (action)
		return signal_running(action);
	return run(foreground, debug_level);
}
