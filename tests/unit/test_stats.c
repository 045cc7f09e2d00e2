/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_stats.c - the counters behind /metrics: summing the workers' slots
 * (counters, histogram buckets, gauges, errors by name; table-driven),
 * the shared table across a fork, and the text rendering; the request
 * duration histogram by result class, the process_* figures read from
 * /proc.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "stats/stats.h"

#define NB STATS_CONNECT_BUCKETS

/* What a case sets in a slot, and what it expects of the sum. */
struct slot_in {
	uint64_t    requests, bytes_in, spoofed, direct;
	uint64_t    bucket[NB];
	uint64_t    count;
	double      sum;
	int32_t     clients, servers, idle, accepting, up;
	const char *err[4];
	uint64_t    errn[4];
};

struct sum_case {
	const char    *what;
	unsigned       n;
	struct slot_in in[3];
	struct slot_in want;
	unsigned       want_nerr;
};

static const struct sum_case sum_cases[] = {
	{ "no slot: all zero", 0, { { 0 } }, { 0 }, 0 },
	{ "one slot: itself", 1, {
		{ .requests = 7, .bytes_in = 1000, .spoofed = 2, .direct = 3,
		  .bucket = { 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2 },
		  .count = 3, .sum = 0.5, .clients = 4, .servers = 3,
		  .idle = 1, .accepting = 1, .up = 1,
		  .err = { "ERR_CONNECT_FAIL" }, .errn = { 5 } } },
	  { .requests = 7, .bytes_in = 1000, .spoofed = 2, .direct = 3,
	    .bucket = { 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2 },
	    .count = 3, .sum = 0.5, .clients = 4, .servers = 3, .idle = 1,
	    .accepting = 1, .up = 1,
	    .err = { "ERR_CONNECT_FAIL" }, .errn = { 5 } }, 1 },
	{ "two workers: field by field, bucket by bucket", 2, {
		{ .requests = 10, .bytes_in = 100, .spoofed = 1,
		  .bucket = { 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3 },
		  .count = 4, .sum = 1.25, .clients = 2, .servers = 2,
		  .idle = 2, .accepting = 1, .up = 1 },
		{ .requests = 5, .bytes_in = 50, .direct = 6,
		  .bucket = { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2 },
		  .count = 2, .sum = 2.5, .clients = 3, .servers = 4,
		  .idle = 0, .accepting = 0, .up = 1 } },
	  { .requests = 15, .bytes_in = 150, .spoofed = 1, .direct = 6,
	    .bucket = { 1, 1, 2, 3, 3, 4, 4, 4, 4, 4, 4, 5 },
	    .count = 6, .sum = 3.75, .clients = 5, .servers = 6, .idle = 2,
	    .accepting = 1, .up = 2 }, 0 },
	{ "a dead worker: its counters still count, its gauges are 0", 3, {
		{ .requests = 1, .clients = 1, .accepting = 1, .up = 1 },
		{ .requests = 100, .bucket = { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
					       9, 9 }, .count = 9, .sum = 0.1 },
		{ .requests = 2, .clients = 2, .accepting = 1, .up = 1 } },
	  { .requests = 103, .bucket = { 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 },
	    .count = 9, .sum = 0.1, .clients = 3, .accepting = 2, .up = 2 },
	  0 },
	{ "errors merged by name, in order of first appearance", 3, {
		{ .err = { "ERR_DNS_FAIL", "ERR_CONNECT_FAIL" },
		  .errn = { 1, 2 } },
		{ .err = { "ERR_READ_TIMEOUT", "ERR_DNS_FAIL" },
		  .errn = { 3, 4 } },
		{ .err = { "ERR_CONNECT_FAIL", "ERR_INVALID_REQ" },
		  .errn = { 10, 1 } } },
	  { .err = { "ERR_DNS_FAIL", "ERR_CONNECT_FAIL", "ERR_READ_TIMEOUT",
		     "ERR_INVALID_REQ" }, .errn = { 5, 12, 3, 1 } }, 4 },
	{ "read mid-update: buckets made cumulative, count >= last bucket",
	  2, {
		/* Owner bumped buckets 3.. but the reader saw 3 and 4 only,
		 * and not yet the count. */
		{ .bucket = { 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0 },
		  .count = 0, .sum = 0.004 },
		{ .bucket = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		  .count = 1, .sum = 0.0001 } },
	  { .bucket = { 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2 }, .count = 2,
	    .sum = 0.0041 }, 0 },
	{ "read mid-move: idle above all servers counts as all", 2, {
		{ .servers = 1, .idle = 2 },
		{ .servers = 5, .idle = 1 } },
	  { .servers = 7, .idle = 3 }, 0 },
};

static void
fill_slot(struct stats_slot *s, const struct slot_in *in)
{
	unsigned k;

	memset(s, 0, sizeof(*s));
	s->requests = in->requests;
	s->client_bytes_in = in->bytes_in;
	s->server_spoofed = in->spoofed;
	s->server_direct = in->direct;
	memcpy(s->connect_bucket, in->bucket, sizeof(s->connect_bucket));
	s->connect_count = in->count;
	s->connect_sum = in->sum;
	s->clients = in->clients;
	s->servers = in->servers;
	s->servers_idle = in->idle;
	s->accepting = in->accepting;
	s->up = in->up;
	for (k = 0; k < 4 && in->err[k]; k++) {
		snprintf(s->err[k].name, sizeof(s->err[k].name), "%s",
			 in->err[k]);
		s->err[k].n = in->errn[k];
	}
	s->nerr = k;
}

static void
test_sum_table(void **state)
{
	struct stats_slot slots[3], out;
	const struct sum_case *c;
	const struct slot_in *w;
	size_t i;
	unsigned k;

	(void)state;
	for (i = 0; i < sizeof(sum_cases) / sizeof(sum_cases[0]); i++) {
		c = &sum_cases[i];
		w = &c->want;
		print_message("case: %s\n", c->what);
		for (k = 0; k < c->n; k++)
			fill_slot(&slots[k], &c->in[k]);
		memset(&out, 0xa5, sizeof(out));	/* must be reset */
		stats_sum(slots, c->n, &out);
		assert_int_equal(out.requests, w->requests);
		assert_int_equal(out.client_bytes_in, w->bytes_in);
		assert_int_equal(out.server_spoofed, w->spoofed);
		assert_int_equal(out.server_direct, w->direct);
		for (k = 0; k < NB; k++)
			assert_int_equal(out.connect_bucket[k], w->bucket[k]);
		assert_int_equal(out.connect_count, w->count);
		assert_float_equal(out.connect_sum, w->sum, 1e-9);
		assert_int_equal(out.clients, w->clients);
		assert_int_equal(out.servers, w->servers);
		assert_int_equal(out.servers_idle, w->idle);
		assert_int_equal(out.accepting, w->accepting);
		assert_int_equal(out.up, w->up);
		assert_int_equal(out.nerr, c->want_nerr);
		for (k = 0; k < c->want_nerr; k++) {
			assert_string_equal(out.err[k].name, w->err[k]);
			assert_int_equal(out.err[k].n, w->errn[k]);
		}
	}
}

/* More distinct names than an error table holds: the first ones stay. */
static void
test_sum_errors_overflow(void **state)
{
	static struct stats_slot slots[2], out;
	unsigned k;

	(void)state;
	memset(slots, 0, sizeof(slots));
	for (k = 0; k < STATS_MAX_ERRNAMES; k++) {
		snprintf(slots[0].err[k].name, STATS_ERRNAME_LEN, "ERR_A%u", k);
		slots[0].err[k].n = 1;
		snprintf(slots[1].err[k].name, STATS_ERRNAME_LEN, "ERR_%c%u",
			 k % 2 ? 'A' : 'B', k);
		slots[1].err[k].n = 1;
	}
	slots[0].nerr = slots[1].nerr = STATS_MAX_ERRNAMES;
	stats_sum(slots, 2, &out);
	assert_int_equal(out.nerr, STATS_MAX_ERRNAMES);
	for (k = 0; k < STATS_MAX_ERRNAMES; k++)
		assert_int_equal(out.err[k].n, k % 2 ? 2 : 1);
}

/* The counting functions, on this process's (private) slot. */
static void
test_count_into_own_slot(void **state)
{
	struct stats_slot before = stats, out;
	unsigned k;

	(void)state;
	stats_status(200);
	stats_status(503);
	stats_status(0);
	stats_connect_time(0.003);	/* le 0.005 and up */
	stats_error("ERR_CONNECT_FAIL");
	stats_error("ERR_DNS_FAIL");
	stats_error("ERR_CONNECT_FAIL");
	assert_int_equal(stats.requests - before.requests, 3);
	assert_int_equal(stats.status[2] - before.status[2], 1);
	assert_int_equal(stats.status[5] - before.status[5], 1);
	assert_int_equal(stats.status[0] - before.status[0], 1);
	for (k = 0; k < NB; k++)
		assert_int_equal(stats.connect_bucket[k] -
				 before.connect_bucket[k], k >= 3);
	stats_sum(&stats, 1, &out);
	assert_int_equal(out.nerr, 2);
	assert_string_equal(out.err[0].name, "ERR_CONNECT_FAIL");
	assert_int_equal(out.err[0].n, 2);
	assert_int_equal(out.err[1].n, 1);
}

/*
 * Two workers forked after stats_init(2) write their own slots; the parent
 * (the master) sees both, and after one "dies" its gauges are 0 but its
 * counters stay; a new owner of that slot goes on counting from them.
 */
static void
test_shared_across_fork(void **state)
{
	struct buf b = { 0 };
	pid_t pid;
	int st;
	unsigned kid, i;

	(void)state;
	assert_int_equal(stats_init(0), -EINVAL);
	assert_int_equal(stats_init(STATS_MAX_SLOTS + 1), -EINVAL);
	assert_int_equal(stats_init(2), 0);
	for (kid = 1; kid <= 2; kid++) {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			stats_attach(kid);
			for (i = 0; i < 10 * kid; i++)
				stats_status(200);
			stats.clients += (int32_t)kid;
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* The parent's own slot is not in the table. */
	assert_int_equal(buf_init(&b, 64), 0);
	assert_int_equal(stats_render(&b), 0);
	assert_non_null(strstr(buf_head(&b), "\ntproxyd_requests_total"
			       "{code=\"2xx\"} 30\n"));
	assert_non_null(strstr(buf_head(&b),
	    "\ntproxyd_client_connections 3\n"));
	assert_non_null(strstr(buf_head(&b), "\ntproxyd_workers 2\n"));
	assert_non_null(strstr(buf_head(&b), "tproxyd_worker_requests_total"
			       "{kid=\"2\"} 20\n"));
	assert_non_null(strstr(buf_head(&b), "tproxyd_worker_client_connections"
			       "{kid=\"1\"} 1\n"));
	assert_non_null(strstr(buf_head(&b),
			       "\nprocess_open_fds{kid=\"2\"} "));
	assert_null(strstr(buf_head(&b), "\nprocess_open_fds "));
	buf_free(&b);
	stats_kid_exited(1);
	/* A dead worker has no process figures. */
	assert_int_equal(buf_init(&b, 64), 0);
	assert_int_equal(stats_render(&b), 0);
	assert_null(strstr(buf_head(&b), "process_open_fds{kid=\"1\"}"));
	assert_non_null(strstr(buf_head(&b), "process_open_fds{kid=\"2\"}"));
	buf_free(&b);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {		/* kid1, restarted */
		stats_attach(1);
		stats_status(404);
		_exit(stats.clients == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(buf_init(&b, 64), 0);
	assert_int_equal(stats_render(&b), 0);
	assert_non_null(strstr(buf_head(&b), "tproxyd_worker_requests_total"
			       "{kid=\"1\"} 11\n"));
	assert_non_null(strstr(buf_head(&b), "tproxyd_worker_restarts_total"
			       "{kid=\"1\"} 1\n"));
	assert_non_null(strstr(buf_head(&b), "tproxyd_client_connections 2\n"));
	buf_free(&b);
}

/* Every sample line is "name[{labels}] value"; every family has HELP and
 * TYPE before its samples; counters end in _total (histograms aside). */
static void
test_render_format(void **state)
{
	struct buf b = { 0 };
	char *text, *line, *save = NULL, family[128] = "", type[16] = "";
	size_t n;

	(void)state;
	assert_int_equal(buf_init(&b, 16), 0);
	assert_int_equal(stats_render(&b), 0);
	assert_int_equal(buf_appendf(&b, "%c", '\0'), 0);
	text = strdup(buf_head(&b));
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (sscanf(line, "# TYPE %127s %15s", family, type) == 2) {
			if (strcmp(type, "counter") == 0) {
				n = strlen(family);
				assert_true(n > 6 && strcmp(family + n - 6,
							    "_total") == 0);
			}
			continue;
		}
		/* A sample of the family announced last. */
		assert_int_equal(strncmp(line, family, strlen(family)), 0);
		assert_non_null(strchr(line, ' '));
	}
	free(text);
	buf_free(&b);
}

/* The result class of every access.log code tproxyd writes, and of
 * strangers. */
static void
test_result_class(void **state)
{
	static const struct {
		const char       *code;
		enum stats_result want;
	} cases[] = {
		{ "TCP_HIT", STATS_RES_HIT },
		{ "TCP_MEM_HIT", STATS_RES_HIT },
		{ "TCP_IMS_HIT", STATS_RES_HIT },
		{ "TCP_INM_HIT", STATS_RES_HIT },
		{ "TCP_CF_HIT", STATS_RES_HIT },
		{ "TCP_NEGATIVE_HIT", STATS_RES_HIT },
		{ "TCP_REFRESH_UNMODIFIED", STATS_RES_HIT },
		{ "TCP_MISS", STATS_RES_MISS },
		{ "TCP_CLIENT_REFRESH_MISS", STATS_RES_MISS },
		{ "TCP_SWAPFAIL_MISS", STATS_RES_MISS },
		{ "TCP_REFRESH_MODIFIED", STATS_RES_MISS },
		{ "TCP_TUNNEL", STATS_RES_TUNNEL },
		{ "TCP_DENIED", STATS_RES_DENIED },
		{ "TCP_DENIED_REPLY", STATS_RES_DENIED },
		{ "TCP_REDIRECT", STATS_RES_OTHER },
		{ "TCP_RESET", STATS_RES_OTHER },
		{ "TAG_NONE", STATS_RES_OTHER },
		{ "NONE_NONE", STATS_RES_OTHER },
		{ "UDP_HIT", STATS_RES_OTHER },
		{ "_HIT", STATS_RES_OTHER },
		{ "TCP_HIT_", STATS_RES_OTHER },
		{ "TCP_MISS", STATS_RES_MISS },
		{ "", STATS_RES_OTHER },
		{ NULL, STATS_RES_OTHER },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (stats_result_class(cases[i].code) != cases[i].want)
			fail_msg("%s: class %d, want %d", cases[i].code ?
				 cases[i].code : "(null)",
				 (int)stats_result_class(cases[i].code),
				 (int)cases[i].want);
	}
}

static void
test_parse_pstat(void **state)
{
	static const struct {
		const char *what, *text;
		int         rc;
		unsigned long long utime, stime, start, vsize, rss;
	} cases[] = {
		{ "a real line",
		  "4242 (tproxyd) S 1 4242 4242 0 -1 4194560 1200 0 0 0 "
		  "17 5 0 0 20 0 1 0 98765 23456768 1234 18446744073709551615 "
		  "1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n", 0,
		  17, 5, 98765, 23456768, 1234 },
		{ "a name with ') (' and spaces",
		  "7 (a) (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 "
		  "55 4096 2 0\n", 0, 3, 4, 55, 4096, 2 },
		{ "cut before rss", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 "
		  "1 0 55 4096\n", -EINVAL, 0, 0, 0, 0, 0 },
		{ "no name", "7 x R 1 2 3", -EINVAL, 0, 0, 0, 0, 0 },
		{ "nothing after the name", "7 (x)", -EINVAL, 0, 0, 0, 0, 0 },
		{ "a word for a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 3 four "
		  "0 0 20 0 1 0 55 4096 2\n", -EINVAL, 0, 0, 0, 0, 0 },
	};
	struct stats_pstat ps;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = stats_parse_pstat(cases[i].text, strlen(cases[i].text),
				       &ps);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, want %d", cases[i].what, rc,
				 cases[i].rc);
		if (rc != 0)
			continue;
		assert_int_equal(ps.utime, cases[i].utime);
		assert_int_equal(ps.stime, cases[i].stime);
		assert_int_equal(ps.starttime, cases[i].start);
		assert_int_equal(ps.vsize, cases[i].vsize);
		assert_int_equal(ps.rss, cases[i].rss);
	}
}

/* The value of the sample "name" (whole series name) in text, or -1. */
static double
sample(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

/* Durations land in the buckets of their result class, cumulative. */
static void
test_request_duration(void **state)
{
	static const struct {
		const char *code;
		double      s;
	} obs[] = {
		{ "TCP_MEM_HIT", 0.0004 }, { "TCP_HIT", 0.003 },
		{ "TCP_MISS", 0.2 }, { "TCP_MISS", 0.3 },
		{ "TCP_REFRESH_MODIFIED", 0.3 }, { "TCP_TUNNEL", 90 },
		{ "TCP_TUNNEL", 4000 }, { "TCP_DENIED", 0 },
		{ "TAG_NONE", -1 },
	};
	static const struct {
		const char *series;
		double      want;
	} want[] = {
		{ "tproxyd_request_duration_seconds_bucket{result=\"hit\","
		  "le=\"0.001\"}", 1 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"hit\","
		  "le=\"0.0025\"}", 1 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"hit\","
		  "le=\"0.005\"}", 2 },
		{ "tproxyd_request_duration_seconds_count{result=\"hit\"}", 2 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"miss\","
		  "le=\"0.1\"}", 0 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"miss\","
		  "le=\"0.25\"}", 1 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"miss\","
		  "le=\"0.5\"}", 3 },
		{ "tproxyd_request_duration_seconds_sum{result=\"miss\"}",
		  0.8 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"tunnel\","
		  "le=\"60\"}", 0 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"tunnel\","
		  "le=\"300\"}", 1 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"tunnel\","
		  "le=\"+Inf\"}", 2 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"denied\","
		  "le=\"0.001\"}", 1 },
		{ "tproxyd_request_duration_seconds_bucket{result=\"other\","
		  "le=\"0.001\"}", 1 },
		{ "tproxyd_request_duration_seconds_sum{result=\"other\"}", 0 },
	};
	struct buf b = { 0 };
	size_t i;
	double v;

	(void)state;
	memset(stats.duration, 0, sizeof(stats.duration));
	for (i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		stats_request_time(obs[i].code, obs[i].s);
	assert_int_equal(buf_init(&b, 64), 0);
	assert_int_equal(stats_render(&b), 0);
	assert_int_equal(buf_appendf(&b, "%c", '\0'), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		v = sample(buf_head(&b), want[i].series);
		if (v < want[i].want - 1e-9 || v > want[i].want + 1e-9)
			fail_msg("%s: %g, want %g", want[i].series, v,
				 want[i].want);
	}
	buf_free(&b);
	memset(stats.duration, 0, sizeof(stats.duration));
}

/* Without workers: one process, no labels; its descriptors counted as
 * they open, its limit and start time as the kernel has them. */
static void
test_process_self(void **state)
{
	struct buf b = { 0 };
	struct rlimit rl;
	double fds, start;
	int extra[3], i;

	(void)state;
	assert_int_equal(buf_init(&b, 64), 0);
	assert_int_equal(stats_render(&b), 0);
	assert_int_equal(buf_appendf(&b, "%c", '\0'), 0);
	fds = sample(buf_head(&b), "process_open_fds");
	start = sample(buf_head(&b), "process_start_time_seconds");
	assert_true(fds >= 3);
	assert_true(start > (double)time(NULL) - 3600 &&
		    start <= (double)time(NULL) + 1);
	assert_true(sample(buf_head(&b), "process_resident_memory_bytes") >
		    1e5);
	assert_true(sample(buf_head(&b), "process_virtual_memory_bytes") >
		    sample(buf_head(&b), "process_resident_memory_bytes"));
	assert_true(sample(buf_head(&b), "process_cpu_seconds_total") >= 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(sample(buf_head(&b), "process_max_fds") ==
		    (double)rl.rlim_cur);
	assert_non_null(strstr(buf_head(&b), "\ntproxyd_build_info{version=\""
			       TPROXYD_VERSION "\",openssl=\"3."));
	for (i = 0; i < 3; i++)
		assert_true((extra[i] = open("/dev/null", O_RDONLY)) >= 0);
	buf_reset(&b);
	assert_int_equal(stats_render(&b), 0);
	assert_int_equal(buf_appendf(&b, "%c", '\0'), 0);
	assert_true(sample(buf_head(&b), "process_open_fds") == fds + 3);
	for (i = 0; i < 3; i++)
		close(extra[i]);
	buf_free(&b);
}

/* Every sample of the instance reads its own field: with every 32-bit word
 * of the slot different, no two samples (histograms, errors and process
 * figures aside) show the same number. A row of the table pointing at the
 * wrong field shows as a repeat. */
static void
test_render_rows_distinct(void **state)
{
	struct buf b = { 0 };
	uint32_t *w = (uint32_t *)(void *)stats_self;
	char *text, *line, *save = NULL, *sp;
	char seen[400][32];
	size_t i, n = sizeof(struct stats_slot) / 4, nseen = 0, k;

	(void)state;
	for (i = 0; i < n; i++)
		w[i] = (uint32_t)(i * 7 + 3);
	stats.nerr = 0;
	stats.nicap = 0;
	assert_int_equal(buf_init(&b, 64), 0);
	assert_int_equal(stats_render(&b), 0);
	assert_int_equal(buf_appendf(&b, "%c", '\0'), 0);
	text = strdup(buf_head(&b));
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || strncmp(line, "process_", 8) == 0 ||
		    strncmp(line, "tproxyd_build_info", 18) == 0 ||
		    strstr(line, "_bucket{") || strstr(line, "_sum") ||
		    strstr(line, "_count"))
			continue;
		sp = strrchr(line, ' ');
		assert_non_null(sp);
		for (k = 0; k < nseen; k++)
			if (strcmp(seen[k], sp + 1) == 0)
				fail_msg("%s: value seen before", line);
		assert_true(nseen < 400 && strlen(sp + 1) < 32);
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", sp + 1);
	}
	assert_true(nseen > 60);
	free(text);
	buf_free(&b);
	memset(stats_self, 0, sizeof(*stats_self));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sum_table),
		cmocka_unit_test(test_sum_errors_overflow),
		cmocka_unit_test(test_count_into_own_slot),
		cmocka_unit_test(test_render_format),
		cmocka_unit_test(test_result_class),
		cmocka_unit_test(test_parse_pstat),
		cmocka_unit_test(test_request_duration),
		cmocka_unit_test(test_process_self),
		cmocka_unit_test(test_render_rows_distinct),
		cmocka_unit_test(test_shared_across_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
