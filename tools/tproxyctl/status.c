/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.c - tproxyctl status: reads the pid file the configuration names
 * and the Prometheus text from its stats_port, and prints the numbers an
 * operator looks at first. Prometheus scrapes the same endpoint. With
 * workers, whichever worker answers reports the whole instance (the
 * counters live in memory the workers share), plus a line per worker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "state.h"
#include "status.h"

/* GET /metrics from addr; returns a malloc'd body or NULL. */
static char *
fetch_metrics(const struct sockaddr_storage *addr, char *err, size_t errlen)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: tproxyd\r\n"
				  "Connection: close\r\n\r\n";
	struct timeval tv = { 5, 0 };
	size_t len = 0, cap = 65536;
	char *buf, *body;
	ssize_t n;
	int fd;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)addr,
		    addr->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6)) < 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		snprintf(err, errlen, "cannot reach the stats_port: %s",
			 strerror(errno));
		close(fd);
		return NULL;
	}
	buf = malloc(cap + 1);
	while (buf && (n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (buf == NULL)
		return NULL;
	buf[len] = '\0';
	if (strncmp(buf, "HTTP/1.1 200", 12) != 0) {
		snprintf(err, errlen, "the stats_port answered: %.40s%s",
			 buf, strncmp(buf, "HTTP/1.1 403", 12) == 0 ?
			 " (stats_access does not allow this host)" : "");
		free(buf);
		return NULL;
	}
	body = strstr(buf, "\r\n\r\n");
	if (body == NULL) {
		free(buf);
		return NULL;
	}
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
}

/* Whether there is a sample line for name (labels included); its value
 * goes to *v. */
static int
metric_find(const char *text, const char *name, double *v)
{
	size_t nl = strlen(name);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ' ') {
			*v = strtod(p + nl + 1, NULL);
			return 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/* The value of the sample line starting with name, 0 when there is none. */
static double
metric(const char *text, const char *name)
{
	double v = 0;

	return metric_find(text, name, &v) ? v : 0;
}

/*
 * With workers, the numbers above are the sum over all of them (any worker
 * answers /metrics for the whole instance); this adds a line per worker,
 * from the tproxyd_worker_* series. Without a master there are none.
 */
static void
print_workers(const char *m)
{
	char name[96];
	double up, v;
	unsigned kid;

	for (kid = 1;; kid++) {
		snprintf(name, sizeof(name), "tproxyd_worker_up{kid=\"%u\"}",
			 kid);
		if (!metric_find(m, name, &up))
			break;
		printf("  %-10s kid%u %s", kid == 1 ? "workers:" : "", kid,
		       up ? "up" : "DOWN");
		snprintf(name, sizeof(name), "tproxyd_worker_client_connections"
			 "{kid=\"%u\"}", kid);
		printf(": %.0f open", metric(m, name));
		snprintf(name, sizeof(name), "tproxyd_worker_requests_total"
			 "{kid=\"%u\"}", kid);
		printf(", %.0f requests", metric(m, name));
		snprintf(name, sizeof(name), "tproxyd_worker_accepting"
			 "{kid=\"%u\"}", kid);
		if (up && !metric(m, name))
			printf(", NOT accepting");
		snprintf(name, sizeof(name), "tproxyd_worker_restarts_total"
			 "{kid=\"%u\"}", kid);
		v = metric(m, name);
		if (v > 0)
			printf(", restarted %.0f time%s", v, v == 1 ? "" : "s");
		printf("\n");
	}
}

int
status_run(const struct cfg *c, const char *path)
{
	const struct cfg_port *sp = NULL;
	char err[256], line[512], *m;
	const char *p;
	long pid = 0;
	FILE *f;
	size_t i;
	double req, e, workers, acc;
	char acctext[64];

	if (c->pid_filename && (f = fopen(c->pid_filename, "r")) != NULL) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if (pid <= 1 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
		printf("tproxyd: not running (pid file %s)\n",
		       c->pid_filename ? c->pid_filename : "none");
		return 1;
	}
	printf("tproxyd: running, pid %ld (%s)\n", pid, path);
	for (i = 0; i < c->nport; i++)
		if (c->port[i].mode == PORT_STATS)
			sp = &c->port[i];
	if (sp == NULL) {
		printf("  no stats_port in %s: add 'stats_port 9128' for "
		       "counters\n", path);
		return 0;
	}
	m = fetch_metrics(&sp->addr, err, sizeof(err));
	if (m == NULL) {
		printf("  counters: %s\n", err);
		return 1;
	}
	req = metric(m, "tproxyd_requests_total{code=\"1xx\"}") +
	      metric(m, "tproxyd_requests_total{code=\"2xx\"}") +
	      metric(m, "tproxyd_requests_total{code=\"3xx\"}") +
	      metric(m, "tproxyd_requests_total{code=\"4xx\"}") +
	      metric(m, "tproxyd_requests_total{code=\"5xx\"}");
	/* tproxyd_accepting counts the serving processes that accept. */
	if (!metric_find(m, "tproxyd_workers", &workers))
		workers = 1;
	acc = metric(m, "tproxyd_accepting");
	if (acc >= workers && acc > 0)
		snprintf(acctext, sizeof(acctext), "yes");
	else if (acc == 0)
		snprintf(acctext, sizeof(acctext), "NO");
	else
		snprintf(acctext, sizeof(acctext), "%.0f of %.0f workers", acc,
			 workers);
	printf("  clients:   %.0f open, %.0f accepted, accepting: %s "
	       "(%.0f pauses at limits)\n",
	       metric(m, "tproxyd_client_connections"),
	       metric(m, "tproxyd_client_connections_total"), acctext,
	       metric(m, "tproxyd_accept_pauses_total"));
	printf("  requests:  %.0f answered: 2xx %.0f, 3xx %.0f, 4xx %.0f, "
	       "5xx %.0f; %.0f aborted\n", req,
	       metric(m, "tproxyd_requests_total{code=\"2xx\"}"),
	       metric(m, "tproxyd_requests_total{code=\"3xx\"}"),
	       metric(m, "tproxyd_requests_total{code=\"4xx\"}"),
	       metric(m, "tproxyd_requests_total{code=\"5xx\"}"),
	       metric(m, "tproxyd_requests_aborted_total"));
	printf("  servers:   %.0f active, %.0f idle; %.0f opened (%.0f "
	       "spoofed), %.0f reuses, %.0f connect failures\n",
	       metric(m, "tproxyd_server_connections{state=\"active\"}"),
	       metric(m, "tproxyd_server_connections{state=\"idle\"}"),
	       metric(m, "tproxyd_server_connects_total{spoofed=\"yes\"}") +
	       metric(m, "tproxyd_server_connects_total{spoofed=\"no\"}"),
	       metric(m, "tproxyd_server_connects_total{spoofed=\"yes\"}"),
	       metric(m, "tproxyd_server_reuses_total"),
	       metric(m, "tproxyd_server_connect_failures_total"));
	e = metric(m, "tproxyd_server_connect_seconds_count");
	printf("  connect:   %.2f ms average over %.0f connects\n",
	       e > 0 ? metric(m, "tproxyd_server_connect_seconds_sum") * 1000 /
	       e : 0, e);
	printf("  bytes:     client in %.0f, out %.0f; server in %.0f, "
	       "out %.0f\n",
	       metric(m, "tproxyd_bytes_total"
			 "{peer=\"client\",direction=\"in\"}"),
	       metric(m, "tproxyd_bytes_total"
			 "{peer=\"client\",direction=\"out\"}"),
	       metric(m, "tproxyd_bytes_total"
			 "{peer=\"server\",direction=\"in\"}"),
	       metric(m, "tproxyd_bytes_total"
			 "{peer=\"server\",direction=\"out\"}"));
	e = metric(m, "tproxyd_cache_lookups_total");
	printf("  cache:     %.0f hits of %.0f lookups (%.1f%%), %.1f%% of "
	       "bytes out; %.0f objects, memory %.0f of %.0f MB, disk %.0f "
	       "of %.0f MB\n", metric(m, "tproxyd_cache_hits_total"), e,
	       e > 0 ? 100.0 * metric(m, "tproxyd_cache_hits_total") / e : 0,
	       metric(m, "tproxyd_bytes_total"
			 "{peer=\"client\",direction=\"out\"}") > 0 ?
	       100.0 * metric(m, "tproxyd_cache_hit_bytes_total") /
	       metric(m, "tproxyd_bytes_total"
		      "{peer=\"client\",direction=\"out\"}") : 0,
	       metric(m, "tproxyd_cache_objects"),
	       metric(m, "tproxyd_cache_memory_bytes{kind=\"used\"}") / 1048576,
	       metric(m, "tproxyd_cache_memory_bytes{kind=\"max\"}") / 1048576,
	       metric(m, "tproxyd_cache_disk_bytes{kind=\"used\"}") / 1048576,
	       metric(m, "tproxyd_cache_disk_bytes{kind=\"max\"}") / 1048576);
	printf("  security:  %.0f Host header forgeries\n",
	       metric(m, "tproxyd_host_forgeries_total"));
	for (p = m; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "tproxyd_errors_total{kind=\"", 27) != 0)
			continue;
		if (sscanf(p + 27, "%255[^\"]\"} %lf", line, &e) == 2)
			printf("  errors:    %-26s %.0f\n", line, e);
	}
	print_workers(m);
	free(m);
	return 0;
}

void
status_setup(const char *state_path)
{
	struct state st = { 0 };
	struct sbuf e = { 0 }, sum = { 0 };
	int rc = state_load(state_path, &st, &e);

	if (rc == -ENOENT || (rc == 0 && !st.have_opts)) {
		printf("  intercept: no tproxyctl setup recorded in %s\n",
		       state_path);
	} else if (rc < 0) {
		printf("  intercept: %s", sbuf_str(&e));
	} else {
		plan_summary(&st.opts, &sum);
		printf("  intercept: %s\n"
		       "             %s, %s%s, set up by tproxyctl (%s; "
		       "`tproxyctl doctor` checks the kernel)\n",
		       sbuf_str(&sum), st.opts.backend == PLAN_NFT ?
		       "nftables" : "iptables",
		       st.opts.families == PLAN_BOTH ? "IPv4 and IPv6" :
		       st.opts.families == PLAN_V4 ? "IPv4" : "IPv6",
		       st.opts.bridge ? ", bridged" : "", state_path);
		printf("  on failure: %s\n", st.opts.on_failure ==
		       PLAN_FAIL_CLOSED ? "closed (when tproxyd does not take "
		       "a connection, the client gets a TCP reset)" :
		       "open (when tproxyd does not take a connection, the "
		       "client goes direct)");
	}
	state_free(&st);
	sbuf_free(&e);
	sbuf_free(&sum);
}

/* ---- tproxyctl status --json ------------------------------------------- */

/* s as a JSON string (or null). */
static void
js_str(struct sbuf *b, const char *s)
{
	if (s == NULL) {
		sbuf_add(b, "null");
		return;
	}
	sbuf_add(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sbuf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			sbuf_printf(b, "\\u%04x", (unsigned)(unsigned char)*s);
		else
			sbuf_printf(b, "%c", *s);
	}
	sbuf_add(b, "\"");
}

/* "key": value of the sample name (0 when absent), a whole number. */
static void
js_metric(struct sbuf *b, const char *key, const char *m, const char *name,
	  int last)
{
	sbuf_printf(b, "\"%s\": %.0f%s", key, metric(m, name), last ? "" :
		    ", ");
}

static void
js_metrics(struct sbuf *b, const char *m)
{
	static const char *const codes[] = { "1xx", "2xx", "3xx", "4xx",
					     "5xx" };
	char name[128], kind[256];
	double total = 0, workers, v;
	const char *p;
	unsigned kid;
	size_t i;
	int first;

	if (!metric_find(m, "tproxyd_workers", &workers))
		workers = 1;
	sbuf_add(b, "\"clients\": {");
	js_metric(b, "open", m, "tproxyd_client_connections", 0);
	js_metric(b, "accepted", m, "tproxyd_client_connections_total", 0);
	sbuf_printf(b, "\"accepting\": %s, ", metric(m, "tproxyd_accepting")
		    >= workers ? "true" : "false");
	js_metric(b, "accept_pauses", m, "tproxyd_accept_pauses_total", 1);
	sbuf_add(b, "}, \"requests\": {");
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name),
			 "tproxyd_requests_total{code=\"%s\"}", codes[i]);
		js_metric(b, codes[i], m, name, 0);
		total += metric(m, name);
	}
	sbuf_printf(b, "\"total\": %.0f, ", total);
	js_metric(b, "aborted", m, "tproxyd_requests_aborted_total", 1);
	sbuf_add(b, "}, \"servers\": {");
	js_metric(b, "active", m,
		  "tproxyd_server_connections{state=\"active\"}", 0);
	js_metric(b, "idle", m, "tproxyd_server_connections{state=\"idle\"}",
		  0);
	sbuf_printf(b, "\"connects\": %.0f, ",
		    metric(m, "tproxyd_server_connects_total{spoofed=\"yes\"}")
		    + metric(m, "tproxyd_server_connects_total"
			     "{spoofed=\"no\"}"));
	js_metric(b, "spoofed_connects", m,
		  "tproxyd_server_connects_total{spoofed=\"yes\"}", 0);
	js_metric(b, "reuses", m, "tproxyd_server_reuses_total", 0);
	js_metric(b, "connect_failures", m,
		  "tproxyd_server_connect_failures_total", 0);
	v = metric(m, "tproxyd_server_connect_seconds_count");
	sbuf_printf(b, "\"connect_ms_average\": %.3f}, ", v > 0 ?
		    metric(m, "tproxyd_server_connect_seconds_sum") * 1000 / v
		    : 0);
	sbuf_add(b, "\"bytes\": {");
	js_metric(b, "client_in", m,
		  "tproxyd_bytes_total{peer=\"client\",direction=\"in\"}", 0);
	js_metric(b, "client_out", m,
		  "tproxyd_bytes_total{peer=\"client\",direction=\"out\"}", 0);
	js_metric(b, "server_in", m,
		  "tproxyd_bytes_total{peer=\"server\",direction=\"in\"}", 0);
	js_metric(b, "server_out", m,
		  "tproxyd_bytes_total{peer=\"server\",direction=\"out\"}", 1);
	sbuf_add(b, "}, \"cache\": {");
	js_metric(b, "lookups", m, "tproxyd_cache_lookups_total", 0);
	js_metric(b, "hits", m, "tproxyd_cache_hits_total", 0);
	js_metric(b, "hit_bytes", m, "tproxyd_cache_hit_bytes_total", 0);
	js_metric(b, "objects", m, "tproxyd_cache_objects", 0);
	js_metric(b, "memory_used_bytes", m,
		  "tproxyd_cache_memory_bytes{kind=\"used\"}", 0);
	js_metric(b, "memory_max_bytes", m,
		  "tproxyd_cache_memory_bytes{kind=\"max\"}", 0);
	js_metric(b, "disk_used_bytes", m,
		  "tproxyd_cache_disk_bytes{kind=\"used\"}", 0);
	js_metric(b, "disk_max_bytes", m,
		  "tproxyd_cache_disk_bytes{kind=\"max\"}", 1);
	sbuf_add(b, "}, ");
	js_metric(b, "host_forgeries", m, "tproxyd_host_forgeries_total", 0);
	sbuf_add(b, "\"errors\": {");
	first = 1;
	for (p = m; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "tproxyd_errors_total{kind=\"", 27) != 0)
			continue;
		if (sscanf(p + 27, "%255[^\"]\"} %lf", kind, &v) != 2)
			continue;
		if (!first)
			sbuf_add(b, ", ");
		first = 0;
		js_str(b, kind);
		sbuf_printf(b, ": %.0f", v);
	}
	sbuf_add(b, "}, \"workers\": [");
	for (kid = 1;; kid++) {
		snprintf(name, sizeof(name), "tproxyd_worker_up{kid=\"%u\"}",
			 kid);
		if (!metric_find(m, name, &v))
			break;
		sbuf_printf(b, "%s{\"kid\": %u, \"up\": %s, ", kid > 1 ? ", " :
			    "", kid, v ? "true" : "false");
		snprintf(name, sizeof(name), "tproxyd_worker_client_connections"
			 "{kid=\"%u\"}", kid);
		js_metric(b, "open", m, name, 0);
		snprintf(name, sizeof(name), "tproxyd_worker_requests_total"
			 "{kid=\"%u\"}", kid);
		js_metric(b, "requests", m, name, 0);
		snprintf(name, sizeof(name), "tproxyd_worker_accepting"
			 "{kid=\"%u\"}", kid);
		sbuf_printf(b, "\"accepting\": %s, ", metric(m, name) ? "true" :
			    "false");
		snprintf(name, sizeof(name), "tproxyd_worker_restarts_total"
			 "{kid=\"%u\"}", kid);
		js_metric(b, "restarts", m, name, 1);
		sbuf_add(b, "}");
	}
	sbuf_add(b, "]");
}

/* "intercept": what the last tproxyctl setup recorded. */
static void
js_setup(struct sbuf *b, const char *state_path)
{
	struct state st = { 0 };
	struct sbuf e = { 0 }, sum = { 0 };
	int rc = state_load(state_path, &st, &e);

	sbuf_add(b, "\"intercept\": {\"state_file\": ");
	js_str(b, state_path);
	if (rc == -ENOENT || (rc == 0 && !st.have_opts)) {
		sbuf_add(b, ", \"recorded\": false, \"error\": null");
	} else if (rc < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", sbuf_str(&e));
		rstrip(why);
		sbuf_add(b, ", \"recorded\": false, \"error\": ");
		js_str(b, why);
	} else {
		plan_summary(&st.opts, &sum);
		sbuf_add(b, ", \"recorded\": true, \"error\": null, "
			 "\"summary\": ");
		js_str(b, sbuf_str(&sum));
		sbuf_printf(b, ", \"backend\": \"%s\", \"families\": \"%s\", "
			    "\"bridge\": %s, \"on_failure\": \"%s\"",
			    st.opts.backend == PLAN_NFT ? "nftables" :
			    "iptables", st.opts.families == PLAN_BOTH ? "both" :
			    st.opts.families == PLAN_V4 ? "ipv4" : "ipv6",
			    st.opts.bridge ? "true" : "false",
			    st.opts.on_failure == PLAN_FAIL_CLOSED ? "closed" :
			    "open");
	}
	sbuf_add(b, "}");
	state_free(&st);
	sbuf_free(&e);
	sbuf_free(&sum);
}

int
status_json(const struct cfg *c, const char *path, const char *state_path)
{
	const struct cfg_port *sp = NULL;
	struct sbuf b = { 0 };
	char err[256], where[INET6_ADDRSTRLEN + 8], host[INET6_ADDRSTRLEN];
	const struct sockaddr_in *a4;
	const struct sockaddr_in6 *a6;
	char *m = NULL;
	long pid = 0;
	FILE *f;
	size_t i;
	int running, rc;

	if (c->pid_filename && (f = fopen(c->pid_filename, "r")) != NULL) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	running = pid > 1 && !(kill((pid_t)pid, 0) < 0 && errno == ESRCH);
	sbuf_printf(&b, "{\"format\": 1, \"version\": \"%s\", \"config\": ",
		    TPROXYD_VERSION);
	js_str(&b, path);
	sbuf_add(&b, ", \"pid_file\": ");
	js_str(&b, c->pid_filename);
	sbuf_printf(&b, ", \"running\": %s, ", running ? "true" : "false");
	if (running)
		sbuf_printf(&b, "\"pid\": %ld, ", pid);
	else
		sbuf_add(&b, "\"pid\": null, ");
	for (i = 0; i < c->nport; i++)
		if (c->port[i].mode == PORT_STATS)
			sp = &c->port[i];
	sbuf_add(&b, "\"stats_port\": ");
	if (sp == NULL) {
		sbuf_add(&b, "null");
	} else {
		if (sp->addr.ss_family == AF_INET6) {
			a6 = (const struct sockaddr_in6 *)&sp->addr;
			inet_ntop(AF_INET6, &a6->sin6_addr, host,
				  sizeof(host));
			snprintf(where, sizeof(where), "[%s]:%u", host,
				 ntohs(a6->sin6_port));
		} else {
			a4 = (const struct sockaddr_in *)&sp->addr;
			inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
			snprintf(where, sizeof(where), "%s:%u", host,
				 ntohs(a4->sin_port));
		}
		js_str(&b, where);
	}
	err[0] = '\0';
	if (running && sp != NULL)
		m = fetch_metrics(&sp->addr, err, sizeof(err));
	else if (running)
		snprintf(err, sizeof(err), "no stats_port in %s", path);
	sbuf_add(&b, ", \"metrics_error\": ");
	js_str(&b, running && m == NULL ? err : NULL);
	sbuf_add(&b, ", ");
	if (m != NULL) {
		js_metrics(&b, m);
		sbuf_add(&b, ", ");
	}
	js_setup(&b, state_path);
	sbuf_add(&b, "}\n");
	fputs(sbuf_str(&b), stdout);
	rc = running && (sp == NULL || m != NULL) ? 0 : 1;
	free(m);
	sbuf_free(&b);
	return rc;
}
