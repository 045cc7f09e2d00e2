/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * setup.c - tproxyd's start-up steps, each run once by run() (main.c) in
 * the order it explains: configuration messages, the transparency probe,
 * the packet and WCCP GRE sockets opened while privileged, the privilege
 * drop, descriptor limits, the visible hostname and cache_log. Each step
 * that can fail prints why (cache.log and stderr) and returns -1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/limits.h"
#include "core/priv.h"
#include "proc/proc-int.h"
#include "core/sa.h"
#include "learn/learn.h"
#include "log/log.h"
#include "proxy/proxy.h"
#include "wccp/gre.h"

static char hostname[256];

double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Print configuration diagnostics; returns the number of errors. */
size_t
print_msgs(const struct cfg_msgs *m, int to_log)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (to_log)
			log_msg(LOG_CRIT, "%s%s", m->msg[i].level == CFG_ERR ?
				"ERROR: " : "", m->msg[i].text);
		else
			fprintf(stderr, "%s\n", m->msg[i].text);
	}
	return m->nerr;
}

/* Whether any http_port is below 1024 (re-opening it on reconfigure then
 * needs CAP_NET_BIND_SERVICE after the privilege drop), or some udp_port
 * is configured: replies to a client leave from a socket bound to the
 * destination's port (53, 443), and a flow's socket is bound to the
 * client's, which may be low too. */
static int
has_low_port(const struct cfg *c)
{
	size_t i;

	if (c->udp.nport > 0)
		return 1;

	for (i = 0; i < c->nport; i++)
		if (sa_port((const struct sockaddr *)&c->port[i].addr) < 1024)
			return 1;
	return 0;
}

/*
 * When a tproxy port is configured, check that transparent sockets can
 * really be made (Squid's start-up probe) before anything else, so a
 * missing capability is reported with how to grant it, before the first
 * client and not as a silent half-working mode. Returns 0, or -1 after
 * printing why.
 */
int
probe_transparent(const struct cfg *c)
{
	char err[512];
	int rc, v6 = 0;
	size_t i;

	if (!c->tproxy)
		return 0;
	for (i = 0; i < c->nport; i++)
		if (c->port[i].mode == PORT_TPROXY &&
		    c->port[i].addr.ss_family == AF_INET6)
			v6 = 1;
	if ((rc = priv_probe_transparent(AF_INET, err, sizeof(err))) < 0 ||
	    (v6 && (rc = priv_probe_transparent(AF_INET6, err,
						sizeof(err))) < 0 &&
	     rc != -EAFNOSUPPORT)) {
		log_msg(LOG_CRIT, "FATAL: Stopping full transparency: %s", err);
		fprintf(stderr, "tproxyd: FATAL: Stopping full transparency: "
			"%s\n", err);
		return -1;
	}
	return 0;
}

/* Drop to cache_effective_user keeping only what is needed. Returns 0,
 * or -1 after printing why. */
int
drop_privileges(const struct cfg *c)
{
	char err[512], desc[256];

	priv_set_needs_mark(c->qos.need_mark);
	if (priv_drop(c->cache_effective_user, c->tproxy, has_low_port(c),
		      err, sizeof(err)) < 0) {
		log_msg(LOG_CRIT, "FATAL: cannot drop privileges: %s", err);
		fprintf(stderr, "tproxyd: FATAL: cannot drop privileges: %s\n",
			err);
		return -1;
	}
	priv_describe(desc, sizeof(desc));
	log_msg(LOG_CRIT, "Running as %s%s%s", desc, c->tproxy ?
		" (kept for IP_TRANSPARENT: client address spoofing)" : "",
		c->qos.need_mark ? " (kept for SO_MARK: tcp_outgoing_mark, "
		"clientside_mark)" : "");
	return 0;
}

/*
 * host_verify_learn_dns: the packet sockets DNS answers are read from
 * (src/learn) need CAP_NET_RAW, so they are opened now, one per serving
 * process (each worker reads its own and so sees every answer), and kept
 * across reconfigurations. Returns 0, or -1 after printing why.
 */
int
open_learner(const struct cfg *c)
{
	char err[256];
	unsigned i, n = c->workers > 1 ? c->workers : 1;

	if (!c->learn.on)
		return 0;
	for (i = 0; i < n; i++) {
		if (learn_open(err, sizeof(err)) < 0) {
			log_msg(LOG_CRIT, "FATAL: host_verify_learn_dns: %s",
				err);
			fprintf(stderr, "tproxyd: FATAL: host_verify_learn_dns:"
				" %s\n", err);
			return -1;
		}
	}
	return 0;
}

/*
 * WCCPv2 GRE forwarding needs a raw socket and a TUN device (CAP_NET_RAW,
 * CAP_NET_ADMIN, /dev/net/tun): open them while privileged (the process
 * that runs WCCP uses or inherits them). Without them the cache must not
 * join the routers' service group, where it would take traffic it cannot
 * receive. Returns 0, or -1 after printing why.
 */
int
wccp_gre_open(const struct cfg *c)
{
	char err[256];

	if (wccp2_gre_open(c, err, sizeof(err)) == 0)
		return 0;
	log_msg(LOG_CRIT, "FATAL: WCCPv2 GRE forwarding cannot work: %s; not "
		"joining the WCCP routers' service group (%s)", err,
		WCCP2_GRE_DROPIN_HINT);
	fprintf(stderr, "tproxyd: FATAL: WCCPv2 GRE forwarding cannot work: "
		"%s; not joining the WCCP routers' service group (%s)\n", err,
		WCCP2_GRE_DROPIN_HINT);
	return -1;
}

/*
 * max_filedescriptors: raise (or lower) RLIMIT_NOFILE, then tell the
 * budget (core/limits.c) the limit it must stay under, so it stops
 * accepting before running out (instead of failing accept() or a server
 * connect()).
 */
void
apply_limits(const struct cfg *c)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && c->max_filedescriptors) {
		rl.rlim_cur = c->max_filedescriptors;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max &&
		    geteuid() == 0)
			rl.rlim_max = rl.rlim_cur;
		if (rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_msg(LOG_CRIT, "WARNING: max_filedescriptors %u: %s",
				c->max_filedescriptors, strerror(errno));
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		lim_set_fd_limit(rl.rlim_cur == RLIM_INFINITY ? 0 :
				 (unsigned)rl.rlim_cur);
	lim_set_conn_limit(c->client_connection_limit);
}

void
set_hostname(const struct cfg *c)
{
	if (c->visible_hostname) {
		snprintf(hostname, sizeof(hostname), "%s", c->visible_hostname);
	} else if (gethostname(hostname, sizeof(hostname) - 1) < 0 ||
		   hostname[0] == '\0') {
		snprintf(hostname, sizeof(hostname), "localhost");
	}
	proxy_set_hostname(hostname);
}

/* Open cache_log as c says: a file, or the system log. Returns 0 or a
 * negative errno. */
int
open_cache_log(const struct cfg *c, int stderr_level)
{
	if (c->cache_log_syslog)
		return log_open_syslog(c->cache_log_syslog, stderr_level);
	return log_open(c->cache_log, stderr_level);
}

/* How cache_log is named in messages. */
const char *
cache_log_name(const struct cfg *c)
{
	return c->cache_log_syslog ? "syslog" : c->cache_log ? c->cache_log :
		"stderr";
}

void
reconfigure_cache_log(const struct cfg *old, const struct cfg *c)
{
	/* Only when it changed (-k rotate reopens). */
	if (c->cache_log_syslog == old->cache_log_syslog &&
	    (c->cache_log == NULL || (old->cache_log != NULL &&
				      strcmp(c->cache_log,
					     old->cache_log) == 0)))
		return;
	if ((c->cache_log || c->cache_log_syslog) && open_cache_log(c, -2) < 0)
		log_msg(LOG_CRIT, "WARNING: cannot open cache_log %s",
			cache_log_name(c));
}
