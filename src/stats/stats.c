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
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

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

/* Request durations: from a cache hit in memory (a millisecond) to
 * downloads and tunnels that last minutes. */
static const double duration_le[STATS_DURATION_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30, 60, 300,
};

static const char *const result_names[STATS_RES_N] = {
	"hit", "miss", "tunnel", "denied", "other",
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
	stats_sample_self();
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
	memset(&s->proc, 0, sizeof(s->proc));
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

enum stats_result
stats_result_class(const char *code)
{
	static const struct {
		const char       *code;
		enum stats_result res;
	} exact[] = {
		{ "TCP_REFRESH_UNMODIFIED", STATS_RES_HIT },
		{ "TCP_REFRESH_MODIFIED", STATS_RES_MISS },
		{ "TCP_TUNNEL", STATS_RES_TUNNEL },
		{ "TCP_DENIED", STATS_RES_DENIED },
		{ "TCP_DENIED_REPLY", STATS_RES_DENIED },
	};
	size_t i, n;

	if (code == NULL)
		return STATS_RES_OTHER;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(code, exact[i].code) == 0)
			return exact[i].res;
	n = strlen(code);
	if (strncmp(code, "TCP_", 4) != 0)
		return STATS_RES_OTHER;
	if (n >= 4 && strcmp(code + n - 4, "_HIT") == 0)
		return STATS_RES_HIT;
	if (n >= 8 && strcmp(code + n - 5, "_MISS") == 0)
		return STATS_RES_MISS;
	return STATS_RES_OTHER;
}

void
stats_request_time(const char *code, double s)
{
	struct stats_hist *h = &stats.duration[stats_result_class(code)];
	int i;

	if (s < 0)
		s = 0;
	for (i = 0; i < STATS_DURATION_BUCKETS; i++)
		if (s <= duration_le[i])
			h->bucket[i]++;
	h->count++;
	h->sum += s;
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

/* Add nb cumulative buckets and their count, read from another process,
 * to out's. The owner bumps buckets upwards and then the count: read
 * mid-way, a bucket may be ahead of the next one or of the count. Each
 * read value is one the field really had, so raising the later ones to it
 * keeps the result monotonic from scrape to scrape as well as cumulative.
 */
static void
sum_buckets(const uint64_t *in, const uint64_t *in_count, int nb,
	    uint64_t *out, uint64_t *out_count)
{
	uint64_t b, prev = 0;
	int k;

	for (k = 0; k < nb; k++) {
		b = __atomic_load_n(&in[k], __ATOMIC_RELAXED);
		if (b < prev)
			b = prev;
		out[k] += b;
		prev = b;
	}
	b = __atomic_load_n(in_count, __ATOMIC_RELAXED);
	*out_count += b > prev ? b : prev;
}

void
stats_sum(const struct stats_slot *slots, unsigned n, struct stats_slot *out)
{
	const struct stats_slot *s;
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
		sum_buckets(s->connect_bucket, &s->connect_count,
			    STATS_CONNECT_BUCKETS, out->connect_bucket,
			    &out->connect_count);
		out->connect_sum += load_double(&s->connect_sum);
		for (k = 0; k < STATS_RES_N; k++) {
			sum_buckets(s->duration[k].bucket,
				    &s->duration[k].count,
				    STATS_DURATION_BUCKETS,
				    out->duration[k].bucket,
				    &out->duration[k].count);
			out->duration[k].sum +=
				load_double(&s->duration[k].sum);
		}
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

/* Prometheus' process_* metrics (the names of its client libraries'
 * process collector, which dashboards know): per serving process, since
 * limits (descriptors) are per process and a sum would hide one worker at
 * its limit; sum() in a query adds them up. Without workers the one
 * process, without labels; with workers one series per running worker,
 * labelled kid (the master only starts and restarts them and holds no
 * connections: left out). */
static int
render_process(struct buf *b)
{
	enum { U64, DBL };
	static const struct {
		const char *name, *type, *help;
		size_t      off;
		int         kind;
	} m[] = {
		{ "process_start_time_seconds", "gauge",
		  "Start time of the process since unix epoch in seconds.",
		  offsetof(struct stats_proc, start_time), DBL },
		{ "process_cpu_seconds_total", "counter",
		  "Total user and system CPU time spent in seconds.",
		  offsetof(struct stats_proc, cpu_seconds), DBL },
		{ "process_resident_memory_bytes", "gauge",
		  "Resident memory size in bytes.",
		  offsetof(struct stats_proc, rss_bytes), U64 },
		{ "process_virtual_memory_bytes", "gauge",
		  "Virtual memory size in bytes.",
		  offsetof(struct stats_proc, vsize_bytes), U64 },
		{ "process_open_fds", "gauge",
		  "Number of open file descriptors.",
		  offsetof(struct stats_proc, open_fds), U64 },
		{ "process_max_fds", "gauge",
		  "Maximum number of open file descriptors.",
		  offsetof(struct stats_proc, max_fds), U64 },
	};
	const struct stats_proc *pr;
	const char *at;
	char lab[32];
	size_t i;
	unsigned k;
	double d;
	int rc = 0;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		rc |= buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n",
				  m[i].name, m[i].help, m[i].name, m[i].type);
		for (k = 0; k < nslots; k++) {
			pr = &table[k].proc;
			if (LOAD(pr->pid) == 0 ||
			    (nslots > 1 && LOAD(table[k].up) == 0))
				continue;
			lab[0] = '\0';
			if (nslots > 1)
				snprintf(lab, sizeof(lab), "{kid=\"%u\"}",
					 k + 1);
			at = (const char *)pr + m[i].off;
			if (m[i].kind == DBL) {
				d = load_double((const double *)(const void *)
						at);
				rc |= buf_appendf(b, "%s%s %.3f\n", m[i].name,
						  lab, d);
			} else {
				rc |= buf_appendf(b, "%s%s %llu\n", m[i].name,
						  lab, (unsigned long long)
						  __atomic_load_n((const
						  uint64_t *)(const void *)at,
						  __ATOMIC_RELAXED));
			}
		}
	}
	return rc;
}

/* One histogram of nb buckets with bounds le, its series labelled
 * label="value" (label NULL: none). */
static int
render_hist(struct buf *b, const char *name, const char *label,
	    const char *value, const double *le, int nb,
	    const uint64_t *bucket, uint64_t count, double sum)
{
	char lab[96] = "";
	int i, rc = 0;

	if (label != NULL)
		snprintf(lab, sizeof(lab), "%s=\"%s\",", label, value);
	for (i = 0; i < nb; i++)
		rc |= buf_appendf(b, "%s_bucket{%sle=\"%g\"} %llu\n", name,
				  lab, le[i], (unsigned long long)bucket[i]);
	rc |= buf_appendf(b, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, lab,
			  (unsigned long long)count);
	if (label != NULL)
		snprintf(lab, sizeof(lab), "{%s=\"%s\"}", label, value);
	rc |= buf_appendf(b, "%s_sum%s %.6f\n%s_count%s %llu\n", name, lab,
			  sum, name, lab, (unsigned long long)count);
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

/* One sample of the page, read from a field of the summed slot. A family's
 * first row has its type and help (the HELP and TYPE lines come before
 * it); the rows after it with the same name and no help are more samples
 * of it, with other labels. */
enum { V_U64, V_I32 };
struct mrow {
	const char *name;
	const char *labels;	/* "" or "{name=\"value\",...}" */
	size_t      off;	/* offsetof(struct stats_slot, field) */
	int         kind;	/* V_U64 or V_I32 */
	const char *type;	/* first row of a family only */
	const char *help;	/* ditto */
};
#define U64(f) offsetof(struct stats_slot, f), V_U64
#define I32(f) offsetof(struct stats_slot, f), V_I32

/* The families of the instance read straight from stats_sum()'s result, in
 * the order of the page. In that result, servers holds the active server
 * connections (stats_render() takes the idle ones out first). */
static const struct mrow rows[] = {
	{ "tproxyd_workers", "", I32(up), "gauge",
	  "Serving processes running: workers, or 1 without a master." },
	{ "tproxyd_client_connections_total", "", U64(client_accepted),
	  "counter", "Client connections accepted." },
	{ "tproxyd_client_connections", "", I32(clients), "gauge",
	  "Client connections open now." },
	{ "tproxyd_accepting", "", I32(accepting), "gauge",
	  "Serving processes accepting new connections: tproxyd_workers when "
	  "none is paused at a limit." },
	{ "tproxyd_udp_flows", "", I32(udp_flows), "gauge",
	  "UDP flows (client, original destination) open now." },
	{ "tproxyd_udp_flows_total", "", U64(udp_flows_total), "counter",
	  "UDP flows started (denied ones included)." },
	{ "tproxyd_udp_datagrams_total", "{dir=\"in\"}", U64(udp_dgrams_in),
	  "counter", "UDP datagrams relayed, by direction." },
	{ "tproxyd_udp_datagrams_total", "{dir=\"out\"}",
	  U64(udp_dgrams_out), NULL, NULL },
	{ "tproxyd_udp_bytes_total", "{dir=\"in\"}", U64(udp_bytes_in),
	  "counter", "UDP payload bytes, by direction (in: from clients)." },
	{ "tproxyd_udp_bytes_total", "{dir=\"out\"}", U64(udp_bytes_out),
	  NULL, NULL },
	{ "tproxyd_udp_drops_total", "{reason=\"denied\"}",
	  U64(udp_drop_denied), "counter",
	  "UDP datagrams dropped, by reason." },
	{ "tproxyd_udp_drops_total", "{reason=\"limit\"}",
	  U64(udp_drop_limit), NULL, NULL },
	{ "tproxyd_udp_drops_total", "{reason=\"send\"}",
	  U64(udp_drop_send), NULL, NULL },
	{ "tproxyd_udp_drops_total", "{reason=\"error\"}",
	  U64(udp_drop_error), NULL, NULL },
	{ "tproxyd_udp_icmp_errors_total", "", U64(udp_icmp_errors),
	  "counter",
	  "UDP flows ended by an ICMP error from the destination." },
	{ "tproxyd_accept_pauses_total", "", U64(client_refused), "counter",
	  "Times accepting paused at max_filedescriptors or "
	  "client_connection_limit." },
	{ "tproxyd_server_connections", "{state=\"active\"}", I32(servers),
	  "gauge", "Server connections open now, by state." },
	{ "tproxyd_server_connections", "{state=\"idle\"}",
	  I32(servers_idle), NULL, NULL },
	{ "tproxyd_requests_total", "{code=\"none\"}", U64(status[0]),
	  "counter", "Requests answered, by status class." },
	{ "tproxyd_requests_total", "{code=\"1xx\"}", U64(status[1]), NULL,
	  NULL },
	{ "tproxyd_requests_total", "{code=\"2xx\"}", U64(status[2]), NULL,
	  NULL },
	{ "tproxyd_requests_total", "{code=\"3xx\"}", U64(status[3]), NULL,
	  NULL },
	{ "tproxyd_requests_total", "{code=\"4xx\"}", U64(status[4]), NULL,
	  NULL },
	{ "tproxyd_requests_total", "{code=\"5xx\"}", U64(status[5]), NULL,
	  NULL },
	{ "tproxyd_requests_aborted_total", "", U64(aborted), "counter",
	  "Transactions cut short (client or server went away)." },
	{ "tproxyd_bytes_total", "{peer=\"client\",direction=\"in\"}",
	  U64(client_bytes_in), "counter",
	  "Bytes moved, by peer and direction." },
	{ "tproxyd_bytes_total", "{peer=\"client\",direction=\"out\"}",
	  U64(client_bytes_out), NULL, NULL },
	{ "tproxyd_bytes_total", "{peer=\"server\",direction=\"in\"}",
	  U64(server_bytes_in), NULL, NULL },
	{ "tproxyd_bytes_total", "{peer=\"server\",direction=\"out\"}",
	  U64(server_bytes_out), NULL, NULL },
	{ "tproxyd_spliced_bytes_total", "{direction=\"response\"}",
	  U64(spliced_resp), "counter",
	  "Bytes moved with splice(2), without a copy to user space (also "
	  "counted in tproxyd_bytes_total), by what they carried." },
	{ "tproxyd_spliced_bytes_total", "{direction=\"request\"}",
	  U64(spliced_req), NULL, NULL },
	{ "tproxyd_spliced_bytes_total", "{direction=\"tunnel_up\"}",
	  U64(spliced_up), NULL, NULL },
	{ "tproxyd_spliced_bytes_total", "{direction=\"tunnel_down\"}",
	  U64(spliced_down), NULL, NULL },
	{ "tproxyd_server_connects_total", "{spoofed=\"yes\"}",
	  U64(server_spoofed), "counter",
	  "Server connections opened, by source address." },
	{ "tproxyd_server_connects_total", "{spoofed=\"no\"}",
	  U64(server_direct), NULL, NULL },
	{ "tproxyd_cache_lookups_total", "", U64(cache_lookups), "counter",
	  "GET and HEAD requests the cache looked up." },
	{ "tproxyd_cache_hits_total", "", U64(cache_hits), "counter",
	  "Requests answered from the cache (TCP_HIT, TCP_MEM_HIT, "
	  "TCP_REFRESH_UNMODIFIED, TCP_INM_HIT, ...)." },
	{ "tproxyd_cache_hit_bytes_total", "", U64(cache_hit_bytes),
	  "counter",
	  "Bytes written to clients from the cache (over "
	  "tproxyd_bytes_total{peer=\"client\",direction=\"out\"}: the byte "
	  "hit ratio)." },
	{ "tproxyd_cache_stored_total", "", U64(cache_stored), "counter",
	  "Responses stored in the cache." },
	{ "tproxyd_cache_objects", "", U64(cache_objects), "gauge",
	  "Responses in the cache now." },
	{ "tproxyd_cache_memory_bytes", "{kind=\"used\"}",
	  U64(cache_mem_bytes), "gauge",
	  "Memory the cache's objects take, and its limit (cache_mem)." },
	{ "tproxyd_cache_memory_bytes", "{kind=\"max\"}", U64(cache_mem_max),
	  NULL, NULL },
	{ "tproxyd_cache_disk_bytes", "{kind=\"used\"}",
	  U64(cache_disk_bytes), "gauge",
	  "Space the cache's files take in the cache_dirs, and the dirs' "
	  "size." },
	{ "tproxyd_cache_disk_bytes", "{kind=\"max\"}", U64(cache_disk_max),
	  NULL, NULL },
	{ "tproxyd_server_connect_failures_total", "",
	  U64(server_connect_failed), "counter",
	  "Server connections that could not be established." },
	{ "tproxyd_server_reuses_total", "", U64(server_reused), "counter",
	  "Requests sent on a pooled server connection." },
	{ "tproxyd_host_forgeries_total", "", U64(host_forgery), "counter",
	  "Intercepted requests whose Host did not match the original "
	  "destination." },
	{ "tproxyd_tls_decisions_total", "{action=\"splice\"}",
	  U64(tls_spliced), "counter",
	  "Intercepted TLS connections by ssl_bump decision." },
	{ "tproxyd_tls_decisions_total", "{action=\"terminate\"}",
	  U64(tls_terminated), NULL, NULL },
	{ "tproxyd_tls_decisions_total", "{action=\"bump\"}",
	  U64(tls_bumped), NULL, NULL },
	{ "tproxyd_tls_bump_failures_total", "", U64(tls_bump_failed),
	  "counter",
	  "Bumped connections whose TLS handshake with the client or the "
	  "server failed." },
	{ "tproxyd_tls_certificates_total", "{source=\"generated\"}",
	  U64(tls_cert_generated), "counter",
	  "Certificates for bumped connections, by where they came from: "
	  "made, or found in the memory or disk cache." },
	{ "tproxyd_tls_certificates_total", "{source=\"memory\"}",
	  U64(tls_cert_mem_hit), NULL, NULL },
	{ "tproxyd_tls_certificates_total", "{source=\"disk\"}",
	  U64(tls_cert_disk_hit), NULL, NULL },
	{ "tproxyd_tls_server_peeks_total", "", U64(tls_peeked_server),
	  "counter",
	  "Intercepted TLS connections that peeked at the server's hello "
	  "before deciding (ssl_bump peek at step 2)." },
	{ "tproxyd_tls_unsupported_total", "{action=\"tunnel\"}",
	  U64(tls_unsupported_tunneled), "counter",
	  "Connections to an https_port that did not start with a TLS hello, "
	  "by on_unsupported_protocol action." },
	{ "tproxyd_tls_unsupported_total", "{action=\"respond\"}",
	  U64(tls_unsupported_closed), NULL, NULL },
	{ "tproxyd_tls_sni_forgeries_total", "", U64(tls_sni_forgery),
	  "counter",
	  "Intercepted TLS connections whose SNI did not match the original "
	  "destination." },
	{ "tproxyd_tls_hellos_total", "{kind=\"ech\"}", U64(tls_ech),
	  "counter",
	  "TLS hellos read on https_ports, by kind: Encrypted Client Hello "
	  "(the name is hidden) and without SNI." },
	{ "tproxyd_tls_hellos_total", "{kind=\"no_sni\"}", U64(tls_no_sni),
	  NULL, NULL },
	{ "tproxyd_http_unsupported_tunnels_total", "",
	  U64(http_unsupported_tunneled), "counter",
	  "Intercepted connections to an http_port that did not start with an "
	  "HTTP request, relayed as they are to their destination "
	  "(on_unsupported_protocol tunnel)." },
	{ "tproxyd_dns_answers_learnt_total", "", U64(learn_answers),
	  "counter",
	  "DNS answers from trusted resolvers to clients that were learnt "
	  "(host_verify_learn_dns)." },
	{ "tproxyd_verified_by_learnt_answers_total", "", U64(learn_verified),
	  "counter",
	  "Names (Host, TLS SNI) verified against the original destination by "
	  "a learnt DNS answer, without a lookup." },
	{ "tproxyd_wccp_gre_packets_total", "{action=\"served\"}",
	  U64(wccp_injected), "counter",
	  "Packets a WCCPv2 router redirected to this cache in GRE: "
	  "decapsulated and served, or given back to the router (GRE packet "
	  "return) for flows this cache does not hold." },
	{ "tproxyd_wccp_gre_packets_total", "{action=\"returned\"}",
	  U64(wccp_returned), NULL, NULL },
	{ "tproxyd_wccp_gre_packets_total", "{action=\"return_failed\"}",
	  U64(wccp_return_failed), NULL, NULL },
};

/* The rows: HELP and TYPE before each family's first, then each sample. */
static int
render_rows(struct buf *b, const struct stats_slot *t)
{
	const char *at;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].help != NULL)
			rc |= buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n",
					  rows[i].name, rows[i].help,
					  rows[i].name, rows[i].type);
		at = (const char *)t + rows[i].off;
		if (rows[i].kind == V_I32)
			rc |= buf_appendf(b, "%s%s %d\n", rows[i].name,
					  rows[i].labels,
					  (int)*(const int32_t *)(const void *)
					  at);
		else
			rc |= buf_appendf(b, "%s%s %llu\n", rows[i].name,
					  rows[i].labels, (unsigned long long)
					  *(const uint64_t *)(const void *)at);
	}
	return rc;
}

int
stats_render(struct buf *b)
{
	struct stats_slot t;
	int rc = 0, i;
	unsigned k;

	/* About 12 KiB for the instance (6 more with helpers), under 1 KiB
	 * per worker. */
	if (buf_reserve(b, buf_len(b) + 24576 + nslots * 1536) < 0)
		return -ENOMEM;
	stats_sample_self();	/* the others' are at most a second old */
	stats_sum(table, nslots, &t);
	rc |= METRIC(b, "tproxyd_build_info", "gauge",
		     "Always 1: the version of tproxyd and of the OpenSSL "
		     "library it runs with, as labels.");
	rc |= buf_appendf(b, "tproxyd_build_info{version=\"%s\","
			  "openssl=\"%s\"} 1\n", TPROXYD_VERSION,
			  OpenSSL_version(OPENSSL_VERSION_STRING));
	rc |= render_process(b);
	t.servers -= t.servers_idle;	/* the active ones (stats_sum()) */
	rc |= render_rows(b, &t);
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
	rc |= render_hist(b, "tproxyd_server_connect_seconds", NULL, NULL,
			  connect_le, STATS_CONNECT_BUCKETS, t.connect_bucket,
			  t.connect_count, t.connect_sum);
	rc |= METRIC(b, "tproxyd_request_duration_seconds", "histogram",
		     "Time from the request's first byte to the end of the "
		     "answer (access.log's elapsed time), by result: hit, "
		     "miss, tunnel (CONNECT, spliced TLS), denied, other.");
	for (i = 0; i < STATS_RES_N; i++)
		rc |= render_hist(b, "tproxyd_request_duration_seconds",
				  "result", result_names[i], duration_le,
				  STATS_DURATION_BUCKETS, t.duration[i].bucket,
				  t.duration[i].count, t.duration[i].sum);
	rc |= render_helpers(b, &t);
	if (nslots > 1)
		rc |= render_workers(b);
	return rc ? -ENOSPC : 0;
}
