/*
 * stats.c - the counters behind /metrics, in Prometheus text format.
 */
#include <errno.h>
#include <string.h>

#include "core/buf.h"
#include "stats/stats.h"

struct stats stats;

static const double connect_le[STATS_CONNECT_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	5,
};

void
stats_connect_time(double s)
{
	int i;

	for (i = 0; i < STATS_CONNECT_BUCKETS; i++)
		if (s <= connect_le[i])
			stats.connect_bucket[i]++;
	stats.connect_count++;
	stats.connect_sum += s;
}

void
stats_error(const char *name)
{
	unsigned i;

	for (i = 0; i < stats.nerr; i++)
		if (strcmp(stats.err[i].name, name) == 0) {
			stats.err[i].n++;
			return;
		}
	if (stats.nerr < STATS_MAX_ERRNAMES) {
		stats.err[stats.nerr].name = name;
		stats.err[stats.nerr].n = 1;
		stats.nerr++;
	}
}

void
stats_status(int status)
{
	int c = status / 100;

	stats.requests++;
	stats.status[c >= 1 && c <= 5 ? c : 0]++;
}

#define METRIC(b, name, type, help) \
	buf_appendf(b, "# HELP " name " " help "\n# TYPE " name " " type "\n")

int
stats_render(struct buf *b, const struct stats_gauges *g)
{
	static const char *cls[6] = { "none", "1xx", "2xx", "3xx", "4xx",
				      "5xx" };
	int rc = 0, i;
	unsigned k;

	rc |= METRIC(b, "tproxyd_client_connections_total", "counter",
		     "Client connections accepted.");
	rc |= buf_appendf(b, "tproxyd_client_connections_total %llu\n",
			  (unsigned long long)stats.client_accepted);
	rc |= METRIC(b, "tproxyd_client_connections", "gauge",
		     "Client connections open now.");
	rc |= buf_appendf(b, "tproxyd_client_connections %u\n", g->clients);
	rc |= METRIC(b, "tproxyd_accepting", "gauge",
		     "1 while accepting, 0 while paused at a limit.");
	rc |= buf_appendf(b, "tproxyd_accepting %d\n", g->accepting);
	rc |= METRIC(b, "tproxyd_accept_pauses_total", "counter",
		     "Times accepting paused at max_filedescriptors or "
		     "client_connection_limit.");
	rc |= buf_appendf(b, "tproxyd_accept_pauses_total %llu\n",
			  (unsigned long long)stats.client_refused);
	rc |= METRIC(b, "tproxyd_server_connections", "gauge",
		     "Server connections open now, by state.");
	rc |= buf_appendf(b, "tproxyd_server_connections{state=\"active\"} "
			  "%u\ntproxyd_server_connections{state=\"idle\"} "
			  "%u\n", g->servers_active, g->servers_idle);
	rc |= METRIC(b, "tproxyd_requests_total", "counter",
		     "Requests answered, by status class.");
	for (i = 0; i < 6; i++)
		rc |= buf_appendf(b, "tproxyd_requests_total{code=\"%s\"} "
				  "%llu\n", cls[i],
				  (unsigned long long)stats.status[i]);
	rc |= METRIC(b, "tproxyd_requests_aborted_total", "counter",
		     "Transactions cut short (client or server went away).");
	rc |= buf_appendf(b, "tproxyd_requests_aborted_total %llu\n",
			  (unsigned long long)stats.aborted);
	rc |= METRIC(b, "tproxyd_bytes_total", "counter",
		     "Bytes moved, by peer and direction.");
	rc |= buf_appendf(b,
		"tproxyd_bytes_total{peer=\"client\",direction=\"in\"} %llu\n"
		"tproxyd_bytes_total{peer=\"client\",direction=\"out\"} %llu\n"
		"tproxyd_bytes_total{peer=\"server\",direction=\"in\"} %llu\n"
		"tproxyd_bytes_total{peer=\"server\",direction=\"out\"} %llu\n",
		(unsigned long long)stats.client_bytes_in,
		(unsigned long long)stats.client_bytes_out,
		(unsigned long long)stats.server_bytes_in,
		(unsigned long long)stats.server_bytes_out);
	rc |= METRIC(b, "tproxyd_spliced_bytes_total", "counter",
		     "Bytes moved with splice(2), without a copy to user space "
		     "(also counted in tproxyd_bytes_total), by what they "
		     "carried.");
	rc |= buf_appendf(b,
		"tproxyd_spliced_bytes_total{direction=\"response\"} %llu\n"
		"tproxyd_spliced_bytes_total{direction=\"request\"} %llu\n"
		"tproxyd_spliced_bytes_total{direction=\"tunnel_up\"} %llu\n"
		"tproxyd_spliced_bytes_total{direction=\"tunnel_down\"} "
		"%llu\n",
		(unsigned long long)stats.spliced_resp,
		(unsigned long long)stats.spliced_req,
		(unsigned long long)stats.spliced_up,
		(unsigned long long)stats.spliced_down);
	rc |= METRIC(b, "tproxyd_server_connects_total", "counter",
		     "Server connections opened, by source address.");
	rc |= buf_appendf(b,
		"tproxyd_server_connects_total{spoofed=\"yes\"} %llu\n"
		"tproxyd_server_connects_total{spoofed=\"no\"} %llu\n",
		(unsigned long long)stats.server_spoofed,
		(unsigned long long)(stats.server_opened -
				     stats.server_spoofed));
	rc |= METRIC(b, "tproxyd_server_connect_failures_total", "counter",
		     "Server connections that could not be established.");
	rc |= buf_appendf(b, "tproxyd_server_connect_failures_total %llu\n",
			  (unsigned long long)stats.server_connect_failed);
	rc |= METRIC(b, "tproxyd_server_reuses_total", "counter",
		     "Requests sent on a pooled server connection.");
	rc |= buf_appendf(b, "tproxyd_server_reuses_total %llu\n",
			  (unsigned long long)stats.server_reused);
	rc |= METRIC(b, "tproxyd_host_forgeries_total", "counter",
		     "Intercepted requests whose Host did not match the "
		     "original destination.");
	rc |= buf_appendf(b, "tproxyd_host_forgeries_total %llu\n",
			  (unsigned long long)stats.host_forgery);
	rc |= METRIC(b, "tproxyd_errors_total", "counter",
		     "Error responses made by tproxyd, by Squid error name.");
	for (k = 0; k < stats.nerr; k++)
		rc |= buf_appendf(b, "tproxyd_errors_total{kind=\"%s\"} %llu\n",
				  stats.err[k].name,
				  (unsigned long long)stats.err[k].n);
	rc |= METRIC(b, "tproxyd_server_connect_seconds", "histogram",
		     "Time to establish new server connections.");
	for (i = 0; i < STATS_CONNECT_BUCKETS; i++)
		rc |= buf_appendf(b, "tproxyd_server_connect_seconds_bucket"
				  "{le=\"%g\"} %llu\n", connect_le[i],
				  (unsigned long long)stats.connect_bucket[i]);
	rc |= buf_appendf(b, "tproxyd_server_connect_seconds_bucket"
			  "{le=\"+Inf\"} %llu\n"
			  "tproxyd_server_connect_seconds_sum %.6f\n"
			  "tproxyd_server_connect_seconds_count %llu\n",
			  (unsigned long long)stats.connect_count,
			  stats.connect_sum,
			  (unsigned long long)stats.connect_count);
	return rc ? -ENOSPC : 0;
}
