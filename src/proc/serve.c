/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * serve.c - a serving process: the only process, or one worker of the
 * master (master.c). Its event loop, listening ports (kept across
 * reconfigurations), the signals it handles (-k reconfigure, rotate,
 * shutdown, interrupt, upgrade), its timers (log flushing, shutdown
 * deadline, systemd's status and watchdog) and the orderly shutdown that
 * lets connections finish.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/limits.h"
#include "core/notify.h"
#include "core/priv.h"
#include "proc/proc-int.h"
#include "event/loop.h"
#include "intercept/listener.h"
#include "learn/learn.h"
#include "proxy/extacl.h"
#include "proxy/rewrite.h"
#include "proxy/adapt.h"
#include "proxy/cache.h"
#include "log/access_log.h"
#include "log/log.h"
#include "proxy/dns.h"
#include "proxy/proxy.h"
#include "stats/stats.h"
#include "udp/udp.h"
#include "wccp/wccp2.h"

static struct evl_signal sig_hup, sig_term, sig_int, sig_usr1, sig_usr2;
static struct evl_timer tick, watchdog;	/* every second; WatchdogSec= */
static int shutting_down;	/* begin_shutdown() was called */
static double shutdown_deadline;	/* then: shutdown_lifetime's end */

/* systemd's one-line status (notify.h): ports and connections. */
void
tell_status(void)
{
	char text[128];
	struct lsn *l;
	unsigned n = 0;

	if (!notify_enabled())
		return;
	for (l = proc.listeners; l; l = l->next)
		n++;
	snprintf(text, sizeof(text), "serving %u port%s, %u connection%s", n,
		 n == 1 ? "" : "s", proxy_nclients(),
		 proxy_nclients() == 1 ? "" : "s");
	notify_status(text);
}

/*
 * Make the listeners match c: keep the sockets of ports that stay (so no
 * client is refused during a reload), open the new ones, close the rest.
 * Returns 0, or -1 with the reason logged (then nothing was changed).
 */
int
apply_listeners(struct cfg *c)
{
	struct lsn *next_list = NULL, *l, **pl, *nl;
	char err[256], where[80];
	size_t i;

	for (i = 0; i < c->nport; i++) {
		for (pl = &proc.listeners; (l = *pl) != NULL; pl = &l->next)
			if (lsn_matches(l, &c->port[i]))
				break;
		if (l != NULL) {
			*pl = l->next;	/* keep it */
		} else {
			l = lsn_open(&c->port[i], err, sizeof(err));
			if (l == NULL) {
				log_msg(LOG_CRIT, "ERROR: %s:%d: %s",
					c->port[i].file, c->port[i].line, err);
				/* At start-up: say it here too. */
				if (proc.cur == c)
					fprintf(stderr, "tproxyd: %s:%d: %s\n",
						c->port[i].file,
						c->port[i].line, err);
				/* Undo: put back what we took. */
				while ((nl = next_list) != NULL) {
					next_list = nl->next;
					if (nl->cfg == NULL) {
						lsn_close(nl);
					} else {
						nl->next = proc.listeners;
						proc.listeners = nl;
					}
				}
				return -1;
			}
		}
		l->next = next_list;
		next_list = l;
		l->port = &c->port[i];
	}
	while ((l = proc.listeners) != NULL) {	/* ports that went away */
		proc.listeners = l->next;
		log_msg(LOG_INFO, "Closing HTTP port %s",
			lsn_port_text(l->port, where, sizeof(where)));
		lsn_close(l);
	}
	proc.listeners = next_list;
	for (l = proc.listeners; l; l = l->next) {
		if (l->cfg == NULL)
			log_msg(LOG_CRIT, "Accepting %s %s Socket "
				"connections at %s, FD %d",
				l->port->mode == PORT_TPROXY ? "TPROXY "
				"intercepted" : l->port->mode == PORT_INTERCEPT
				? "NAT intercepted" : l->port->mode ==
				PORT_STATS ? "metrics (/metrics)" :
				"forward-proxy", l->port->https ? "HTTPS (TLS "
				"peek and splice)" : "HTTP",
				lsn_port_text(l->port, where, sizeof(where)),
				l->fd);
		lsn_start(l, c, l->port);
	}
	/* UDP after TCP, which is applied by now: a udp_port that cannot
	 * be opened stays closed (logged); only at start-up does that stop
	 * tproxyd, as a TCP port does. */
	if (udp_apply(c, proc.cur == c) < 0 && proc.cur == c)
		return -1;
	return 0;
}

static void
reconfigure(void)
{
	struct cfg_msgs m = { 0 };
	struct cfg *c;
	const char *err;
	char merr[512];

	log_msg(LOG_CRIT, "Reconfiguring tproxyd from %s", proc.conf_path);
	c = cfg_load(proc.conf_path, &m);
	print_msgs(&m, 1);
	cfg_msgs_free(&m);
	if (c == NULL) {
		log_msg(LOG_CRIT, "ERROR: the new configuration has errors; "
			"still running with the previous one");
		return;
	}
	if (cfg_http_ports(c) == 0) {
		log_msg(LOG_CRIT, "ERROR: the new configuration has no "
			"http_port; still running with the previous one");
		cfg_unref(c);
		return;
	}
	if (c->qos.need_mark && priv_probe_mark(merr, sizeof(merr)) < 0) {
		log_msg(LOG_CRIT, "ERROR: %s; still running with the previous "
			"configuration (restart tproxyd to keep the capability "
			"from the start)", merr);
		cfg_unref(c);
		return;
	}
	if (apply_listeners(c) < 0) {
		log_msg(LOG_CRIT, "ERROR: cannot apply the new configuration; "
			"still running with the previous one");
		cfg_unref(c);
		return;
	}
	reconfigure_cache_log(proc.cur, c);
	/* The access_log lines belong to c: reopen them all. */
	alog_open(c);
	log_set_level(c->debug_level);
	if (dns_init(c->dns_nameservers, &err) < 0)
		log_msg(LOG_CRIT, "WARNING: DNS resolver: %s", err);
	learn_apply(c);
	cache_configure(c);
	cache_dirs_check(proc.cur, c);
	/* With workers, kid1 holds the ICP and HTCP ports. */
	cache_siblings_start(c, proc.kid <= 1);
	adapt_configure(c);
	set_hostname(c);
	lim_set_conn_limit(c->client_connection_limit);
	/* Connections keep the old one until they end. */
	cfg_unref(proc.cur);
	proc.cur = c;
	rewrite_start(c);
	extacl_start(c);
	wccp2_reconfigure(c);
}

void
begin_shutdown(void)
{
	struct lsn *l;

	if (shutting_down) {
		log_msg(LOG_CRIT, "Shutdown: second signal, closing now");
		proxy_close_all();
		evl_break();
		return;
	}
	shutting_down = 1;
	notify_send("STOPPING=1\n");
	while ((l = proc.listeners) != NULL) {
		proc.listeners = l->next;
		lsn_close(l);
	}
	udp_close_all();	/* each flow logged */
	wccp2_drain();
	if (proc.is_drainer)
		proxy_drain_soft(UPGRADE_IDLE_GRACE);
	else
		proxy_drain();
	shutdown_deadline = evl_now() + proc.cur->shutdown_lifetime;
	log_msg(LOG_CRIT, "Preparing for shutdown: waiting up to %.0f seconds "
		"for %u active connections to finish",
		proc.cur->shutdown_lifetime, proxy_nclients());
	if (proxy_nclients() == 0)
		evl_break();
}

/* -k rotate: reopen cache_log; when that fails, say so (in the file still
 * open, and on stderr: the journal under systemd) and keep writing to the
 * file open until now rather than to nowhere. (With -d or the journal,
 * log_msg() writes to stderr already.) */
void
rotate_cache_log(void)
{
	int rc;

	if ((proc.cur->cache_log == NULL && !proc.cur->cache_log_syslog) ||
	    (rc = open_cache_log(proc.cur, -2)) == 0)
		return;
	log_msg(LOG_CRIT, "WARNING: -k rotate: cannot reopen cache_log %s: "
		"%s; still writing to the file open before",
		cache_log_name(proc.cur), strerror(-rc));
	if (!log_journal_detect() && log_stderr_level() < LOG_CRIT)
		fprintf(stderr, "tproxyd: WARNING: -k rotate: cannot reopen "
			"cache_log %s: %s; still writing to the file open "
			"before\n", cache_log_name(proc.cur), strerror(-rc));
}

static void
signal_cb(struct evl_signal *s)
{
	int sig = s->w.signum;

	switch (sig) {
	case SIGHUP:
		if (!shutting_down) {
			notify_reloading();
			reconfigure();
			/* Running again, with the new configuration or, when
			 * it had errors, the previous one (cache.log says). */
			notify_send("READY=1\n");
			tell_status();
		}
		break;
	case SIGUSR1:	/* -k rotate: reopen the logs */
		alog_reopen();
		rotate_cache_log();
		break;
	case SIGUSR2:	/* -k upgrade */
		if (shutting_down) {
			if (proc.kid == 0)
				upgrade_refuse("tproxyd is shutting down");
			break;
		}
		if (proc.kid > 0)	/* from the new master: drain */
			kid_drain();
		else
			upgrade();
		break;
	default:
		begin_shutdown();
		break;
	}
}

static void
tick_cb(struct evl_timer *t)
{
	alog_flush();
	if (shutting_down) {
		if (proxy_nclients() == 0) {
			evl_break();
			return;
		}
		if (evl_now() >= shutdown_deadline) {
			log_msg(LOG_CRIT, "Shutdown: shutdown_lifetime "
				"reached, closing %u connections",
				proxy_nclients());
			proxy_close_all();
			evl_break();
			return;
		}
	}
	if (!shutting_down) {
		tell_status();
		stats_sample_self();	/* process_* of /metrics */
	}
	evl_timer_arm(t, shutting_down ? 0.1 : 1.0);
}

/* WatchdogSec=: the event loop is turning. */
static void
watchdog_cb(struct evl_timer *t)
{
	notify_send("WATCHDOG=1\n");
	evl_timer_arm(t, notify_watchdog_interval());
}

/* The event loop of one serving process (the only one, or a worker):
 * listeners are open; run until shutdown. */
void
serve(void)
{
	sigset_t held;

	evl_signal_start(&sig_hup, SIGHUP, signal_cb, NULL);
	evl_signal_start(&sig_term, SIGTERM, signal_cb, NULL);
	evl_signal_start(&sig_int, SIGINT, signal_cb, NULL);
	evl_signal_start(&sig_usr1, SIGUSR1, signal_cb, NULL);
	evl_signal_start(&sig_usr2, SIGUSR2, signal_cb, NULL);
	/* Started by -k upgrade: the signals were held across execve(). */
	handled_signals(&held);
	sigprocmask(SIG_UNBLOCK, &held, NULL);
	if (proc.drainer_pid > 0) {
		upgrade_watch_drainer();
		upgrade_report(1, "%s", TPROXYD_VERSION);
	}
	evl_timer_init(&tick, tick_cb, NULL);
	evl_timer_arm(&tick, 1.0);
	if (notify_watchdog_interval() > 0) {
		evl_timer_init(&watchdog, watchdog_cb, NULL);
		evl_timer_arm(&watchdog, notify_watchdog_interval());
	}
	/* Helper programs: never before the privileges are dropped. */
	rewrite_start(proc.cur);
	extacl_start(proc.cur);
	evl_run();
	wccp2_stop();
	if (proc.is_drainer)
		log_msg(LOG_CRIT, "Upgrade: version %s (pid %ld) finished its "
			"connections and exits", TPROXYD_VERSION,
			(long)getpid());
	else
		log_msg(LOG_CRIT, "tproxyd is shutting down");
	alog_close();
	dns_shutdown();
	learn_close();
}

/* Loop, resolver and logs of a serving process. Returns 0 or -1. */
int
serve_init(void)
{
	const char *err;
	char aerr[512];

	if (evl_init() < 0) {
		fprintf(stderr, "tproxyd: cannot create the event loop\n");
		return -1;
	}
	/* What each listening port speaks. */
	lsn_register("http", &proxy_proto_http);
	lsn_register("tls", &proxy_proto_tls);
	alog_open(proc.cur);	/* reports the outputs it cannot open */
	/* Starting without a log that was asked for is an error (Squid's
	 * on-error=die), unless its line says on-error=drop. */
	if (alog_check_start(aerr, sizeof(aerr)) < 0) {
		log_msg(LOG_CRIT, "FATAL: %s", aerr);
		fprintf(stderr, "tproxyd: FATAL: %s\n", aerr);
		return -1;
	}
	if (dns_init(proc.cur->dns_nameservers, &err) < 0) {
		log_msg(LOG_CRIT, "FATAL: DNS resolver: %s", err);
		fprintf(stderr, "tproxyd: FATAL: DNS resolver: %s\n", err);
		return -1;
	}
	set_hostname(proc.cur);
	learn_apply(proc.cur);
	cache_configure(proc.cur);
	return 0;
}
