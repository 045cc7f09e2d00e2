/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats.c - the counters behind /metrics, in Prometheus text format.
 *
 * Writers (the owner of a slot) use plain loads and stores: each slot has
 * one writer, its process's event loop thread. Readers (the process that
 * answers /metrics, for every slot, its own included) use relaxed atomic
 * loads: a field is read whole, and successive reads of one field never go
 * backwards, so the sums of counters are monotonic from scrape to scrape.
 * Nothing orders two different fields, so a sum may be mid-update by a
 * few events; where that could show (histogram buckets, idle vs all
 * servers) stats_sum() makes the numbers consistent.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "core/buf.h"
#include "stats/stats.h"

/* The private slot: the only one without workers, and where updates go
 * before stats_attach() (the master never counts anything). */
static struct stats_slot own;
struct stats_slot *stats_self = &own;
static struct stats_slot *table = &own;
static unsigned nslots = 1;

static const double connect_le[STATS_CONNECT_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	5,
};

/* Relaxed loads of a field another process may be storing to. */
#define LOAD(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

static double
load_double(const double *p)
{
	double v;

	__atomic_load(p, &v, __ATOMIC_RELAXED);
	return v;
}

int
stats_init(unsigned n)
{
	void *p;

	if (n == 0 || n > STATS_MAX_SLOTS)
		return -EINVAL;
	if (n == 1) {
		table = &own;
		nslots = 1;
		return 0;
	}
	/* Anonymous shared memory is zeroed, and a fork() keeps it shared:
	 * every worker the master forks, now or after a restart, sees the
	 * same pages. It lives as long as the processes; no unmap. */
	p = mmap(NULL, n * sizeof(struct stats_slot), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	table = p;
	nslots = n;
	return 0;
}

void
stats_attach(unsigned kid)
{
	struct stats_slot *s;

	if (kid == 0 || kid > nslots)
		return;		/* keep the private slot */
	s = &table[kid - 1];
	s->clients = 0;
	s->udp_flows = 0;
	s->servers = 0;
	s->servers_idle = 0;
	s->accepting = 1;
	s->cache_objects = 0;
	s->cache_mem_bytes = 0;
	s->starts++;
	s->up = 1;
	stats_self = s;
}

void
stats_kid_exited(unsigned kid)
{
	struct stats_slot *s;

	if (kid == 0 || kid > nslots || nslots == 1)
		return;
	/* The writer is gone (reaped), so the master may store here; the
	 * next owner is forked after this. */
	s = &table[kid - 1];
	s->up = 0;
	s->clients = 0;
	s->udp_flows = 0;
	s->servers = 0;
	s->servers_idle = 0;
	s->accepting = 0;
	s->cache_objects = 0;
	s->cache_mem_bytes = 0;
	s->cache_mem_max = 0;
	s->cache_disk_bytes = 0;
	s->cache_disk_max = 0;
	memset(s->hlp_queue, 0, sizeof(s->hlp_queue));
	memset(s->hlp_children, 0, sizeof(s->hlp_children));
}

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
	struct stats_err *e;
	uint32_t i, n = stats.nerr;
	size_t len;

	for (i = 0; i < n; i++)
		if (strncmp(stats.err[i].name, name, STATS_ERRNAME_LEN - 1) ==
		    0) {
			stats.err[i].n++;
			return;
		}
	if (n >= STATS_MAX_ERRNAMES)
		return;
	/* Fill the entry, then publish it: a reader that sees the new nerr
	 * sees the whole name. */
	e = &stats.err[n];
	len = strnlen(name, STATS_ERRNAME_LEN - 1);
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->n = 1;
	__atomic_store_n(&stats.nerr, n + 1, __ATOMIC_RELEASE);
}

struct stats_icap *
stats_icap(const char *name)
{
	struct stats_icap *e;
	uint32_t i, n = stats.nicap;
	size_t len;

	for (i = 0; i < n; i++)
		if (strncmp(stats.icap[i].name, name, STATS_ERRNAME_LEN - 1) ==
		    0)
			return &stats.icap[i];
	if (n >= STATS_MAX_ICAP)
		return NULL;
	e = &stats.icap[n];
	len = strnlen(name, STATS_ERRNAME_LEN - 1);
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	__atomic_store_n(&stats.nicap, n + 1, __ATOMIC_RELEASE);
	return e;
}

void
stats_status(int status)
{
	int c = status / 100;

	stats.requests++;
	stats.status[c >= 1 && c <= 5 ? c : 0]++;
}

/* Add slot s's errors to out's, by name. */
static void
sum_errors(const struct stats_slot *s, struct stats_slot *out)
{
	uint32_t k, j, n = __atomic_load_n(&s->nerr, __ATOMIC_ACQUIRE);

	if (n > STATS_MAX_ERRNAMES)
		n = STATS_MAX_ERRNAMES;
	for (k = 0; k < n; k++) {
		for (j = 0; j < out->nerr; j++)
			if (strcmp(out->err[j].name, s->err[k].name) == 0)
				break;
		if (j == out->nerr) {
			if (out->nerr == STATS_MAX_ERRNAMES)
				continue;
			memcpy(out->err[j].name, s->err[k].name,
			       STATS_ERRNAME_LEN);
			out->err[j].name[STATS_ERRNAME_LEN - 1] = '\0';
			out->nerr++;
		}
		out->err[j].n += LOAD(s->err[k].n);
	}
}

/* Add slot s's ICAP services to out's, by name. */
static void
sum_icap(const struct stats_slot *s, struct stats_slot *out)
{
	uint32_t k, j, n = __atomic_load_n(&s->nicap, __ATOMIC_ACQUIRE);
	struct stats_icap *o;

	if (n > STATS_MAX_ICAP)
		n = STATS_MAX_ICAP;
	for (k = 0; k < n; k++) {
		for (j = 0; j < out->nicap; j++)
			if (strcmp(out->icap[j].name, s->icap[k].name) == 0)
				break;
		if (j == out->nicap) {
			memcpy(out->icap[j].name, s->icap[k].name,
			       STATS_ERRNAME_LEN);
			out->icap[j].name[STATS_ERRNAME_LEN - 1] = '\0';
			out->nicap++;
		}
		o = &out->icap[j];
		o->requests += LOAD(s->icap[k].requests);
		o->no_content += LOAD(s->icap[k].no_content);
		o->errors += LOAD(s->icap[k].errors);
		o->bypassed += LOAD(s->icap[k].bypassed);
		o->connects += LOAD(s->icap[k].connects);
		o->reused += LOAD(s->icap[k].reused);
	}
}

void
stats_sum(const struct stats_slot *slots, unsigned n, struct stats_slot *out)
{
	const struct stats_slot *s;
	uint64_t b, prev;
	int32_t srv, idle;
	unsigned i;
	int k;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		s = &slots[i];
		out->client_accepted += LOAD(s->client_accepted);
		out->client_refused += LOAD(s->client_refused);
		out->udp_flows_total += LOAD(s->udp_flows_total);
		out->udp_dgrams_in += LOAD(s->udp_dgrams_in);
		out->udp_dgrams_out += LOAD(s->udp_dgrams_out);
		out->udp_bytes_in += LOAD(s->udp_bytes_in);
		out->udp_bytes_out += LOAD(s->udp_bytes_out);
		out->udp_drop_denied += LOAD(s->udp_drop_denied);
		out->udp_drop_limit += LOAD(s->udp_drop_limit);
		out->udp_drop_send += LOAD(s->udp_drop_send);
		out->udp_drop_error += LOAD(s->udp_drop_error);
		out->udp_icmp_errors += LOAD(s->udp_icmp_errors);
		out->udp_flows += LOAD(s->udp_flows);
		out->requests += LOAD(s->requests);
		for (k = 0; k < 6; k++)
			out->status[k] += LOAD(s->status[k]);
		out->aborted += LOAD(s->aborted);
		out->client_bytes_in += LOAD(s->client_bytes_in);
		out->client_bytes_out += LOAD(s->client_bytes_out);
		out->server_bytes_in += LOAD(s->server_bytes_in);
		out->server_bytes_out += LOAD(s->server_bytes_out);
		out->spliced_resp += LOAD(s->spliced_resp);
		out->spliced_req += LOAD(s->spliced_req);
		out->spliced_up += LOAD(s->spliced_up);
		out->spliced_down += LOAD(s->spliced_down);
		out->server_direct += LOAD(s->server_direct);
		out->server_spoofed += LOAD(s->server_spoofed);
		out->server_reused += LOAD(s->server_reused);
		out->server_connect_failed += LOAD(s->server_connect_failed);
		/* The owner bumps buckets upwards and then the count: read
		 * mid-way, a bucket may be ahead of the next one or of the
		 * count. Each read value is one the field really had, so
		 * raising the later ones to it keeps the result monotonic
		 * from scrape to scrape as well as cumulative. */
		prev = 0;
		for (k = 0; k < STATS_CONNECT_BUCKETS; k++) {
			b = LOAD(s->connect_bucket[k]);
			if (b < prev)
				b = prev;
			out->connect_bucket[k] += b;
			prev = b;
		}
		b = LOAD(s->connect_count);
		out->connect_count += b > prev ? b : prev;
		out->connect_sum += load_double(&s->connect_sum);
		out->host_forgery += LOAD(s->host_forgery);
		out->tls_spliced += LOAD(s->tls_spliced);
		out->tls_terminated += LOAD(s->tls_terminated);
		out->tls_bumped += LOAD(s->tls_bumped);
		out->tls_bump_failed += LOAD(s->tls_bump_failed);
		out->tls_cert_generated += LOAD(s->tls_cert_generated);
		out->tls_cert_mem_hit += LOAD(s->tls_cert_mem_hit);
		out->tls_cert_disk_hit += LOAD(s->tls_cert_disk_hit);
		out->tls_peeked_server += LOAD(s->tls_peeked_server);
		out->tls_unsupported_tunneled +=
			LOAD(s->tls_unsupported_tunneled);
		out->tls_unsupported_closed += LOAD(s->tls_unsupported_closed);
		out->tls_sni_forgery += LOAD(s->tls_sni_forgery);
		out->tls_ech += LOAD(s->tls_ech);
		out->tls_no_sni += LOAD(s->tls_no_sni);
		out->http_unsupported_tunneled +=
			LOAD(s->http_unsupported_tunneled);
		out->learn_answers += LOAD(s->learn_answers);
		out->learn_verified += LOAD(s->learn_verified);
		out->wccp_injected += LOAD(s->wccp_injected);
		out->wccp_returned += LOAD(s->wccp_returned);
		out->wccp_return_failed += LOAD(s->wccp_return_failed);
		out->starts += LOAD(s->starts);
		out->cache_lookups += LOAD(s->cache_lookups);
		out->cache_hits += LOAD(s->cache_hits);
		out->cache_hit_bytes += LOAD(s->cache_hit_bytes);
		out->cache_stored += LOAD(s->cache_stored);
		out->cache_objects += LOAD(s->cache_objects);
		out->cache_mem_bytes += LOAD(s->cache_mem_bytes);
		out->cache_mem_max += LOAD(s->cache_mem_max);
		out->cache_disk_bytes += LOAD(s->cache_disk_bytes);
		out->cache_disk_max += LOAD(s->cache_disk_max);
		for (k = 0; k < STATS_HLP_N; k++) {
			out->hlp[k].requests += LOAD(s->hlp[k].requests);
			out->hlp[k].replies += LOAD(s->hlp[k].replies);
			out->hlp[k].bh += LOAD(s->hlp[k].bh);
			out->hlp[k].timeouts += LOAD(s->hlp[k].timeouts);
			out->hlp[k].restarts += LOAD(s->hlp[k].restarts);
			out->hlp[k].overloads += LOAD(s->hlp[k].overloads);
			out->hlp_queue[k] += LOAD(s->hlp_queue[k]);
			out->hlp_children[k] += LOAD(s->hlp_children[k]);
		}
		sum_errors(s, out);
		sum_icap(s, out);
		out->clients += LOAD(s->clients);
		srv = LOAD(s->servers);
		idle = LOAD(s->servers_idle);
		out->servers += srv > idle ? srv : idle;
		out->servers_idle += idle;
		out->accepting += LOAD(s->accepting);
		out->up += LOAD(s->up);
	}
}

#define METRIC(b, name, type, help) \
	buf_appendf(b, "# HELP " name " " help "\n# TYPE " name " " type "\n")
/* A counter without labels: its HELP and TYPE lines, then its value
 * (|| keeps that order; non-zero on a failure, as buf_appendf()). */
#define COUNTER(b, name, help, v) \
	(METRIC(b, name, "counter", help) || \
	 buf_appendf(b, name " %llu\n", (unsigned long long)(v)))

/* The helper programs' numbers, by kind (enum stats_helper), only for
 * the kinds some process ran. */
static int
render_helpers(struct buf *b, const struct stats_slot *t)
{
	static const char *const names[STATS_HLP_N] = { "url_rewrite",
							"store_id",
							"external_acl",
							"auth_basic",
							"auth_digest" };
	static const struct {
		const char *name, *help;
		size_t      off;
	} ctr[] = {
		{ "tproxyd_helper_requests_total",
		  "Requests sent to helper programs.",
		  offsetof(struct stats_hlp, requests) },
		{ "tproxyd_helper_replies_total",
		  "Answers received from helper programs.",
		  offsetof(struct stats_hlp, replies) },
		{ "tproxyd_helper_broken_total",
		  "BH answers: said by a helper, or given for a helper that "
		  "died, overflowed its line or could not start.",
		  offsetof(struct stats_hlp, bh) },
		{ "tproxyd_helper_timeouts_total",
		  "Helper requests unanswered in time.",
		  offsetof(struct stats_hlp, timeouts) },
		{ "tproxyd_helper_restarts_total",
		  "Helper processes started again after one exited or was "
		  "killed.", offsetof(struct stats_hlp, restarts) },
		{ "tproxyd_helper_overloads_total",
		  "Helper requests that found the queue full.",
		  offsetof(struct stats_hlp, overloads) },
	};
	size_t i;
	int k, rc = 0, any = 0;

	for (k = 0; k < STATS_HLP_N; k++)
		any |= t->hlp[k].requests != 0 || t->hlp_children[k] != 0;
	if (!any)
		return 0;
	for (i = 0; i < sizeof(ctr) / sizeof(ctr[0]); i++) {
		rc |= buf_appendf(b, "# HELP %s %s\n# TYPE %s counter\n",
				  ctr[i].name, ctr[i].help, ctr[i].name);
		for (k = 0; k < STATS_HLP_N; k++)
			rc |= buf_appendf(b, "%s{helper=\"%s\"} %llu\n",
				ctr[i].name, names[k], (unsigned long long)
				*(const uint64_t *)(const void *)
				((const char *)&t->hlp[k] + ctr[i].off));
	}
	rc |= METRIC(b, "tproxyd_helper_queue", "gauge",
		     "Helper requests waiting for a free helper process.");
	for (k = 0; k < STATS_HLP_N; k++)
		rc |= buf_appendf(b, "tproxyd_helper_queue{helper=\"%s\"} "
				  "%d\n", names[k], (int)t->hlp_queue[k]);
	rc |= METRIC(b, "tproxyd_helper_processes", "gauge",
		     "Helper processes running.");
	for (k = 0; k < STATS_HLP_N; k++)
		rc |= buf_appendf(b, "tproxyd_helper_processes{helper="
				  "\"%s\"} %d\n", names[k],
				  (int)t->hlp_children[k]);
	return rc;
}

/* Gauges and counters per worker, for a view of how the load spreads
 * and of which worker is paused or restarting. */
static int
render_workers(struct buf *b)
{
	const struct stats_slot *s;
	unsigned i;
	int rc = 0;
	uint64_t st;

	rc |= METRIC(b, "tproxyd_worker_up", "gauge",
		     "1 while worker process kid runs, 0 until the master "
		     "restarts it.");
	for (i = 0; i < nslots; i++)
		rc |= buf_appendf(b, "tproxyd_worker_up{kid=\"%u\"} %d\n",
				  i + 1, (int)LOAD(table[i].up));
	rc |= METRIC(b, "tproxyd_worker_accepting", "gauge",
		     "1 while the worker accepts, 0 while paused at a limit "
		     "or down.");
	for (i = 0; i < nslots; i++)
		rc |= buf_appendf(b, "tproxyd_worker_accepting{kid=\"%u\"} "
				  "%d\n", i + 1, (int)LOAD(table[i].accepting));
	rc |= METRIC(b, "tproxyd_worker_client_connections", "gauge",
		     "Client connections open now in the worker.");
	for (i = 0; i < nslots; i++)
		rc |= buf_appendf(b, "tproxyd_worker_client_connections"
				  "{kid=\"%u\"} %d\n", i + 1,
				  (int)LOAD(table[i].clients));
	rc |= METRIC(b, "tproxyd_worker_requests_total", "counter",
		     "Requests answered by the worker, across its "
		     "restarts.");
	for (i = 0; i < nslots; i++)
		rc |= buf_appendf(b, "tproxyd_worker_requests_total"
				  "{kid=\"%u\"} %llu\n", i + 1,
				  (unsigned long long)LOAD(table[i].requests));
	rc |= METRIC(b, "tproxyd_worker_restarts_total", "counter",
		     "Times the master restarted the worker.");
	for (i = 0; i < nslots; i++) {
		s = &table[i];
		st = LOAD(s->starts);
		rc |= buf_appendf(b, "tproxyd_worker_restarts_total"
				  "{kid=\"%u\"} %llu\n", i + 1,
				  (unsigned long long)(st > 0 ? st - 1 : 0));
	}
	return rc;
}

int
stats_render(struct buf *b)
{
	static const char *cls[6] = { "none", "1xx", "2xx", "3xx", "4xx",
				      "5xx" };
	struct stats_slot t;
	int rc = 0, i;
	unsigned k;

	/* About 4 KiB for the instance (6 more with helpers), under 512
	 * bytes per worker. */
	if (buf_reserve(b, buf_len(b) + 12288 + nslots * 512) < 0)
		return -ENOMEM;
	stats_sum(table, nslots, &t);
	rc |= METRIC(b, "tproxyd_workers", "gauge",
		     "Serving processes running: workers, or 1 without a "
		     "master.");
	rc |= buf_appendf(b, "tproxyd_workers %d\n", (int)t.up);
	rc |= COUNTER(b, "tproxyd_client_connections_total",
		      "Client connections accepted.",
		      t.client_accepted);
	rc |= METRIC(b, "tproxyd_client_connections", "gauge",
		     "Client connections open now.");
	rc |= buf_appendf(b, "tproxyd_client_connections %d\n", (int)t.clients);
	rc |= METRIC(b, "tproxyd_accepting", "gauge",
		     "Serving processes accepting new connections: "
		     "tproxyd_workers when none is paused at a limit.");
	rc |= buf_appendf(b, "tproxyd_accepting %d\n", (int)t.accepting);
	rc |= METRIC(b, "tproxyd_udp_flows", "gauge",
		     "UDP flows (client, original destination) open now.");
	rc |= buf_appendf(b, "tproxyd_udp_flows %d\n", (int)t.udp_flows);
	rc |= COUNTER(b, "tproxyd_udp_flows_total",
		      "UDP flows started (denied ones included).",
		      t.udp_flows_total);
	rc |= METRIC(b, "tproxyd_udp_datagrams_total", "counter",
		     "UDP datagrams relayed, by direction.");
	rc |= buf_appendf(b, "tproxyd_udp_datagrams_total{dir=\"in\"} %llu\n"
			  "tproxyd_udp_datagrams_total{dir=\"out\"} %llu\n",
			  (unsigned long long)t.udp_dgrams_in,
			  (unsigned long long)t.udp_dgrams_out);
	rc |= METRIC(b, "tproxyd_udp_bytes_total", "counter",
		     "UDP payload bytes, by direction (in: from clients).");
	rc |= buf_appendf(b, "tproxyd_udp_bytes_total{dir=\"in\"} %llu\n"
			  "tproxyd_udp_bytes_total{dir=\"out\"} %llu\n",
			  (unsigned long long)t.udp_bytes_in,
			  (unsigned long long)t.udp_bytes_out);
	rc |= METRIC(b, "tproxyd_udp_drops_total", "counter",
		     "UDP datagrams dropped, by reason.");
	rc |= buf_appendf(b, "tproxyd_udp_drops_total{reason=\"denied\"} "
			  "%llu\ntproxyd_udp_drops_total{reason=\"limit\"} "
			  "%llu\ntproxyd_udp_drops_total{reason=\"send\"} "
			  "%llu\ntproxyd_udp_drops_total{reason=\"error\"} "
			  "%llu\n", (unsigned long long)t.udp_drop_denied,
			  (unsigned long long)t.udp_drop_limit,
			  (unsigned long long)t.udp_drop_send,
			  (unsigned long long)t.udp_drop_error);
	rc |= COUNTER(b, "tproxyd_udp_icmp_errors_total",
		      "UDP flows ended by an ICMP error from the destination.",
		      t.udp_icmp_errors);
	rc |= COUNTER(b, "tproxyd_accept_pauses_total",
		      "Times accepting paused at max_filedescriptors or "
		      "client_connection_limit.",
		      t.client_refused);
	rc |= METRIC(b, "tproxyd_server_connections", "gauge",
		     "Server connections open now, by state.");
	rc |= buf_appendf(b, "tproxyd_server_connections{state=\"active\"} "
			  "%d\ntproxyd_server_connections{state=\"idle\"} "
			  "%d\n", (int)(t.servers - t.servers_idle),
			  (int)t.servers_idle);
	rc |= METRIC(b, "tproxyd_requests_total", "counter",
		     "Requests answered, by status class.");
	for (i = 0; i < 6; i++)
		rc |= buf_appendf(b, "tproxyd_requests_total{code=\"%s\"} "
				  "%llu\n", cls[i],
				  (unsigned long long)t.status[i]);
	rc |= COUNTER(b, "tproxyd_requests_aborted_total",
		      "Transactions cut short (client or server went away).",
		      t.aborted);
	rc |= METRIC(b, "tproxyd_bytes_total", "counter",
		     "Bytes moved, by peer and direction.");
	rc |= buf_appendf(b,
		"tproxyd_bytes_total{peer=\"client\",direction=\"in\"} %llu\n"
		"tproxyd_bytes_total{peer=\"client\",direction=\"out\"} %llu\n"
		"tproxyd_bytes_total{peer=\"server\",direction=\"in\"} %llu\n"
		"tproxyd_bytes_total{peer=\"server\",direction=\"out\"} %llu\n",
		(unsigned long long)t.client_bytes_in,
		(unsigned long long)t.client_bytes_out,
		(unsigned long long)t.server_bytes_in,
		(unsigned long long)t.server_bytes_out);
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
		(unsigned long long)t.spliced_resp,
		(unsigned long long)t.spliced_req,
		(unsigned long long)t.spliced_up,
		(unsigned long long)t.spliced_down);
	rc |= METRIC(b, "tproxyd_server_connects_total", "counter",
		     "Server connections opened, by source address.");
	rc |= buf_appendf(b,
		"tproxyd_server_connects_total{spoofed=\"yes\"} %llu\n"
		"tproxyd_server_connects_total{spoofed=\"no\"} %llu\n",
		(unsigned long long)t.server_spoofed,
		(unsigned long long)t.server_direct);
	rc |= COUNTER(b, "tproxyd_cache_lookups_total",
		      "GET and HEAD requests the cache looked up.",
		      t.cache_lookups);
	rc |= COUNTER(b, "tproxyd_cache_hits_total",
		      "Requests answered from the cache (TCP_HIT, TCP_MEM_HIT, "
		      "TCP_REFRESH_UNMODIFIED, TCP_INM_HIT, ...).",
		      t.cache_hits);
	rc |= COUNTER(b, "tproxyd_cache_hit_bytes_total",
		      "Bytes written to clients from the cache (over "
		      "tproxyd_bytes_total{peer=\"client\",direction="
		      "\"out\"}: the byte hit ratio).",
		      t.cache_hit_bytes);
	rc |= COUNTER(b, "tproxyd_cache_stored_total",
		      "Responses stored in the cache.", t.cache_stored);
	rc |= METRIC(b, "tproxyd_cache_objects", "gauge",
		     "Responses in the cache now.");
	rc |= buf_appendf(b, "tproxyd_cache_objects %llu\n",
			  (unsigned long long)t.cache_objects);
	rc |= METRIC(b, "tproxyd_cache_memory_bytes", "gauge",
		     "Memory the cache's objects take, and its limit "
		     "(cache_mem).");
	rc |= buf_appendf(b, "tproxyd_cache_memory_bytes{kind=\"used\"} "
			  "%llu\ntproxyd_cache_memory_bytes{kind=\"max\"} "
			  "%llu\n", (unsigned long long)t.cache_mem_bytes,
			  (unsigned long long)t.cache_mem_max);
	rc |= METRIC(b, "tproxyd_cache_disk_bytes", "gauge",
		     "Space the cache's files take in the cache_dirs, and "
		     "the dirs' size.");
	rc |= buf_appendf(b, "tproxyd_cache_disk_bytes{kind=\"used\"} "
			  "%llu\ntproxyd_cache_disk_bytes{kind=\"max\"} "
			  "%llu\n", (unsigned long long)t.cache_disk_bytes,
			  (unsigned long long)t.cache_disk_max);
	rc |= COUNTER(b, "tproxyd_server_connect_failures_total",
		      "Server connections that could not be established.",
		      t.server_connect_failed);
	rc |= COUNTER(b, "tproxyd_server_reuses_total",
		      "Requests sent on a pooled server connection.",
		      t.server_reused);
	rc |= COUNTER(b, "tproxyd_host_forgeries_total",
		      "Intercepted requests whose Host did not match the "
		      "original destination.",
		      t.host_forgery);
	rc |= METRIC(b, "tproxyd_tls_decisions_total", "counter",
		     "Intercepted TLS connections by ssl_bump decision.");
	rc |= buf_appendf(b,
		"tproxyd_tls_decisions_total{action=\"splice\"} %llu\n"
		"tproxyd_tls_decisions_total{action=\"terminate\"} %llu\n"
		"tproxyd_tls_decisions_total{action=\"bump\"} %llu\n",
		(unsigned long long)t.tls_spliced,
		(unsigned long long)t.tls_terminated,
		(unsigned long long)t.tls_bumped);
	rc |= COUNTER(b, "tproxyd_tls_bump_failures_total",
		      "Bumped connections whose TLS handshake with the client "
		      "or the server failed.", t.tls_bump_failed);
	rc |= METRIC(b, "tproxyd_tls_certificates_total", "counter",
		     "Certificates for bumped connections, by where they "
		     "came from: made, or found in the memory or disk "
		     "cache.");
	rc |= buf_appendf(b,
		"tproxyd_tls_certificates_total{source=\"generated\"} %llu\n"
		"tproxyd_tls_certificates_total{source=\"memory\"} %llu\n"
		"tproxyd_tls_certificates_total{source=\"disk\"} %llu\n",
		(unsigned long long)t.tls_cert_generated,
		(unsigned long long)t.tls_cert_mem_hit,
		(unsigned long long)t.tls_cert_disk_hit);
	rc |= COUNTER(b, "tproxyd_tls_server_peeks_total",
		      "Intercepted TLS connections that peeked at the server's "
		      "hello before deciding (ssl_bump peek at step 2).",
		      t.tls_peeked_server);
	rc |= METRIC(b, "tproxyd_tls_unsupported_total", "counter",
		     "Connections to an https_port that did not start with a "
		     "TLS hello, by on_unsupported_protocol action.");
	rc |= buf_appendf(b,
		"tproxyd_tls_unsupported_total{action=\"tunnel\"} %llu\n"
		"tproxyd_tls_unsupported_total{action=\"respond\"} %llu\n",
		(unsigned long long)t.tls_unsupported_tunneled,
		(unsigned long long)t.tls_unsupported_closed);
	rc |= COUNTER(b, "tproxyd_tls_sni_forgeries_total",
		      "Intercepted TLS connections whose SNI did not match the "
		      "original destination.",
		      t.tls_sni_forgery);
	rc |= METRIC(b, "tproxyd_tls_hellos_total", "counter",
		     "TLS hellos read on https_ports, by kind: Encrypted "
		     "Client Hello (the name is hidden) and without SNI.");
	rc |= buf_appendf(b,
		"tproxyd_tls_hellos_total{kind=\"ech\"} %llu\n"
		"tproxyd_tls_hellos_total{kind=\"no_sni\"} %llu\n",
		(unsigned long long)t.tls_ech,
		(unsigned long long)t.tls_no_sni);
	rc |= COUNTER(b, "tproxyd_http_unsupported_tunnels_total",
		      "Intercepted connections to an http_port that did not "
		      "start with an HTTP request, relayed as they are to "
		      "their destination (on_unsupported_protocol tunnel).",
		      t.http_unsupported_tunneled);
	rc |= COUNTER(b, "tproxyd_dns_answers_learnt_total",
		      "DNS answers from trusted resolvers to clients that were "
		      "learnt (host_verify_learn_dns).",
		      t.learn_answers);
	rc |= COUNTER(b, "tproxyd_verified_by_learnt_answers_total",
		      "Names (Host, TLS SNI) verified against the original "
		      "destination by a learnt DNS answer, without a lookup.",
		      t.learn_verified);
	rc |= METRIC(b, "tproxyd_wccp_gre_packets_total", "counter",
		     "Packets a WCCPv2 router redirected to this cache in GRE: "
		     "decapsulated and served, or given back to the router "
		     "(GRE packet return) for flows this cache does not hold.");
	rc |= buf_appendf(b,
		"tproxyd_wccp_gre_packets_total{action=\"served\"} %llu\n"
		"tproxyd_wccp_gre_packets_total{action=\"returned\"} %llu\n"
		"tproxyd_wccp_gre_packets_total{action=\"return_failed\"} "
		"%llu\n",
		(unsigned long long)t.wccp_injected,
		(unsigned long long)t.wccp_returned,
		(unsigned long long)t.wccp_return_failed);
	rc |= METRIC(b, "tproxyd_errors_total", "counter",
		     "Error responses made by tproxyd, by Squid error name.");
	for (k = 0; k < t.nerr; k++)
		rc |= buf_appendf(b, "tproxyd_errors_total{kind=\"%s\"} %llu\n",
				  t.err[k].name,
				  (unsigned long long)t.err[k].n);
	{
		static const struct {
			const char *name, *help;
			size_t      off;
		} ic[] = {
			{ "tproxyd_icap_requests_total", "ICAP REQMOD and "
			  "RESPMOD transactions, by icap_service.",
			  offsetof(struct stats_icap, requests) },
			{ "tproxyd_icap_no_content_total", "... of them "
			  "answered 204 (unchanged).",
			  offsetof(struct stats_icap, no_content) },
			{ "tproxyd_icap_errors_total", "... of them that "
			  "failed (connect, timeout, protocol, error status).",
			  offsetof(struct stats_icap, errors) },
			{ "tproxyd_icap_bypassed_total", "Messages that went "
			  "on unadapted because the service failed or was "
			  "down (bypass=on).",
			  offsetof(struct stats_icap, bypassed) },
			{ "tproxyd_icap_connections_total", "Connections "
			  "opened to the service.",
			  offsetof(struct stats_icap, connects) },
			{ "tproxyd_icap_reused_total", "Transactions sent on "
			  "a persistent connection already open.",
			  offsetof(struct stats_icap, reused) },
		};
		size_t q;

		for (q = 0; q < sizeof(ic) / sizeof(ic[0]); q++) {
			rc |= buf_appendf(b, "# HELP %s %s\n# TYPE %s "
					  "counter\n", ic[q].name, ic[q].help,
					  ic[q].name);
			for (k = 0; k < t.nicap; k++)
				rc |= buf_appendf(b, "%s{service=\"%s\"} "
						  "%llu\n", ic[q].name,
						  t.icap[k].name,
						  (unsigned long long)
						  *(const uint64_t *)(const
						  void *)((const char *)
						  &t.icap[k] + ic[q].off));
		}
	}
	rc |= METRIC(b, "tproxyd_server_connect_seconds", "histogram",
		     "Time to establish new server connections.");
	for (i = 0; i < STATS_CONNECT_BUCKETS; i++)
		rc |= buf_appendf(b, "tproxyd_server_connect_seconds_bucket"
				  "{le=\"%g\"} %llu\n", connect_le[i],
				  (unsigned long long)t.connect_bucket[i]);
	rc |= buf_appendf(b, "tproxyd_server_connect_seconds_bucket"
			  "{le=\"+Inf\"} %llu\n"
			  "tproxyd_server_connect_seconds_sum %.6f\n"
			  "tproxyd_server_connect_seconds_count %llu\n",
			  (unsigned long long)t.connect_count,
			  t.connect_sum,
			  (unsigned long long)t.connect_count);
	rc |= render_helpers(b, &t);
	if (nslots > 1)
		rc |= render_workers(b);
	return rc ? -ENOSPC : 0;
}
