/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_helper.c - helper programs (src/helper/): the reply parser and the
 * old url_rewrite answers (tables), channel IDs, and a pool on the event
 * loop with real children (/bin/cat echoes each request as its reply):
 * replies matched by channel ID, the queue bound and its overload test,
 * cancelled requests never called back, a child that dies restarted.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "event/loop.h"
#include "helper/helper.h"
#include "helper/reply.h"
#include "stats/stats.h"

/* ------------------------------------------------------------- parser */

struct row {
	const char *line;
	enum hlp_result result;
	const char *kv;		/* "k=v|k=v" expected pairs, in order */
	const char *other;	/* what is left */
};

static const struct row rows[] = {
	{ "", HLP_ERR, "", "" },
	{ "OK", HLP_OK, "", "" },
	{ "ERR", HLP_ERR, "", "" },
	{ "BH", HLP_BH, "", "" },
	{ "OKAY", HLP_UNKNOWN, "", "OKAY" },
	{ "OK\tuser=x", HLP_UNKNOWN, "", "OK\tuser=x" },
	{ "OK user=bob tag=t1", HLP_OK, "user=bob|tag=t1", "" },
	{ "OK rewrite-url=http://a/b", HLP_OK, "rewrite-url=http://a/b", "" },
	{ "OK status=302 url=\"http://a/b c\"", HLP_OK,
	  "status=302|url=http://a/b c", "" },
	{ "OK url=\"a\\\"q\\\\b\\nc\"", HLP_OK, "url=a\"q\\b\nc", "" },
	{ "OK message=a%20b%41%00", HLP_OK, "message=a bA%00", "" },
	{ "OK message=\"a%20b\"", HLP_OK, "message=a%20b", "" },
	{ "OK log=x\\ny", HLP_OK, "log=x\\ny", "" },
	{ "OK k=a\"b c\"d e=1", HLP_OK, "k=ab cd|e=1", "" },
	{ "OK key= value", HLP_OK, "", "key= value" },
	{ "OK user=u trailing words", HLP_OK, "user=u", "trailing words" },
	{ "OK store-id=", HLP_OK, "store-id=", "" },
	{ "OK a_=1 =2", HLP_OK, "a_=1|=2", "" },
	{ "BH message=\"broken\"", HLP_BH, "message=broken", "" },
	{ "BH something bad happened", HLP_BH,
	  "message=something bad happened", "" },
	{ "ERR message=\"no such user\"", HLP_ERR, "message=no such user",
	  "" },
	{ "TT abc==", HLP_TT, "token=abc==", "" },
	{ "TT ", HLP_BH, "message=Missing 'token' data", "" },
	{ "AF tok user1", HLP_OK, "token=tok|user=user1", "" },
	{ "AF user2", HLP_OK, "user=user2", "" },
	{ "NA bad password", HLP_ERR, "message=bad password", "" },
	{ "http://example.com/x", HLP_UNKNOWN, "", "http://example.com/x" },
	{ "OK user=a\0hidden", HLP_OK, "user=a", "" },
	{ "OK url=\"unterminated", HLP_OK, "url=unterminated", "" },
	{ "OK x=\"\\", HLP_OK, "x=", "" },
};

/* "k=v|k=v" of r, for comparing. */
static void
kv_text(const struct hlp_reply *r, char *out, size_t n)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < r->nkv && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s=%.*s", i ? "|" : "",
				      r->kv[i].key, (int)r->kv[i].vlen,
				      r->kv[i].val);
}

static void
test_parse_table(void **state)
{
	char line[256], kv[512];
	struct hlp_reply r;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = strlen(rows[i].line);
		memcpy(line, rows[i].line, len);
		if (i == 27) {	/* a NUL inside: the rest is ignored */
			memcpy(line + len, "\0hidden", 8);
			len += 7;
		}
		hlp_reply_parse(line, len, &r);
		kv_text(&r, kv, sizeof(kv));
		if (r.result != rows[i].result || strcmp(kv, rows[i].kv) != 0 ||
		    strcmp(r.other, rows[i].other) != 0 ||
		    r.other_len != strlen(rows[i].other))
			fail_msg("row %zu '%s': got %s [%s] other '%s', want "
				 "%s [%s] other '%s'", i, rows[i].line,
				 hlp_result_str(r.result), kv, r.other,
				 hlp_result_str(rows[i].result), rows[i].kv,
				 rows[i].other);
	}
}

static void
test_parse_many_pairs(void **state)
{
	char line[1024];
	struct hlp_reply r;
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(line, sizeof(line), "OK");
	for (i = 0; i < HLP_KV_MAX + 5; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " k%d=%d", i,
				      i);
	hlp_reply_parse(line, n, &r);
	assert_int_equal(r.result, HLP_OK);
	assert_int_equal(r.nkv, HLP_KV_MAX);
	assert_int_equal(r.dropped, 5);
	assert_string_equal(hlp_reply_get(&r, "k3", NULL), "3");
	assert_null(hlp_reply_get(&r, "k20", NULL));
}

struct legacy {
	const char *line;
	const char *kv;		/* after hlp_reply_legacy_rewrite() */
	enum hlp_result result;
};

static const struct legacy legacies[] = {
	{ "http://a/b", "rewrite-url=http://a/b", HLP_OK },
	{ "http://a/b 1.2.3.4/- - GET", "rewrite-url=http://a/b", HLP_OK },
	{ "302:http://a/b", "status=302|url=http://a/b", HLP_OK },
	{ "301:http://a/b", "status=301|url=http://a/b", HLP_OK },
	{ "308:http://x", "status=308|url=http://x", HLP_OK },
	{ "302", "", HLP_OK },
	{ "200:http://a", "rewrite-url=200:http://a", HLP_OK },
	{ "!grp!http://a/", "rewrite-url=http://a/", HLP_OK },
	{ "OK rewrite-url=http://a/", "rewrite-url=http://a/", HLP_OK },
	{ "ERR", "", HLP_ERR },
	{ "", "", HLP_ERR },
};

static void
test_legacy_rewrite(void **state)
{
	char line[256], kv[512];
	struct hlp_reply r;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(legacies) / sizeof(legacies[0]); i++) {
		len = strlen(legacies[i].line);
		memcpy(line, legacies[i].line, len + 1);
		hlp_reply_parse(line, len, &r);
		hlp_reply_legacy_rewrite(&r);
		kv_text(&r, kv, sizeof(kv));
		if (r.result != legacies[i].result ||
		    strcmp(kv, legacies[i].kv) != 0)
			fail_msg("'%s': got %s [%s], want %s [%s]",
				 legacies[i].line, hlp_result_str(r.result),
				 kv, hlp_result_str(legacies[i].result),
				 legacies[i].kv);
	}
}

static void
test_channel_split(void **state)
{
	static const struct {
		const char *line;
		int rc;
		unsigned id;
		size_t rest;
	} t[] = {
		{ "0 OK", 0, 0, 2 },
		{ "17   ERR x", 0, 17, 5 },
		{ "3", 0, 3, 1 },
		{ "2147483647 OK", 0, 2147483647u, 11 },
		{ "2147483648 OK", -1, 0, 0 },
		{ "OK", -1, 0, 0 },
		{ "1x OK", -1, 0, 0 },
		{ " 1 OK", -1, 0, 0 },
		{ "-1 OK", -1, 0, 0 },
		{ "", -1, 0, 0 },
	};
	unsigned id;
	size_t i, rest;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		id = 99;
		rest = 99;
		rc = hlp_channel_split(t[i].line, strlen(t[i].line), &id,
				       &rest);
		if (rc != t[i].rc || (rc == 0 && (id != t[i].id ||
						  rest != t[i].rest)))
			fail_msg("'%s': rc %d id %u rest %zu, want %d %u %zu",
				 t[i].line, rc, id, rest, t[i].rc, t[i].id,
				 t[i].rest);
	}
}

/* --------------------------------------------------- pools on the loop */

struct got {
	int         n;
	char        other[8][64];
	int         order[8];
	int         result[8];
	char        u[8][16];	/* the u= pair of the answer */
};

static struct got got;
static int expect_done;

struct tag {
	int idx;
};

static void
answered(void *arg, struct hlp_reply *r)
{
	struct tag *t = arg;

	if (got.n < 8) {
		snprintf(got.other[t->idx], sizeof(got.other[0]), "%s",
			 r->other);
		got.result[t->idx] = (int)r->result;
		snprintf(got.u[t->idx], sizeof(got.u[0]), "%s",
			 hlp_reply_get(r, "u", NULL) ? hlp_reply_get(r, "u",
			 NULL) : "");
		got.order[got.n] = t->idx;
	}
	got.n++;
	if (got.n >= expect_done)
		evl_break();
}

static void
stop_cb(struct evl_timer *t)
{
	(void)t;
	evl_break();
}

/* Run the loop until expect_done answers or 5 s. */
static void
run_until(int n)
{
	struct evl_timer guard;

	expect_done = n;
	evl_timer_init(&guard, stop_cb, NULL);
	evl_timer_arm(&guard, 5.0);
	if (got.n < n)
		evl_run();
	evl_timer_stop(&guard);
}

static char *cat_argv[] = { "/bin/cat", NULL };

static void
opts_cat(struct hlp_opts *o, unsigned max, unsigned conc, unsigned qsize)
{
	memset(o, 0, sizeof(*o));
	o->name = "test_helper";
	o->kind = STATS_HLP_URL_REWRITE;
	o->argv = cat_argv;
	o->max = max;
	o->idle = 1;
	o->concurrency = conc;
	o->queue_size = qsize;
}

static int
setup_loop(void **state)
{
	(void)state;
	memset(&got, 0, sizeof(got));
	return evl_init() == 0 && stats_init(1) == 0 ? 0 : -1;
}

/* concurrency=3: "ID line" goes out, cat echoes it, each answer reaches
 * its own request (the channel ID is cut off; the rest is "other"). */
static void
test_pool_channels(void **state)
{
	struct hlp_opts o;
	struct hlp_pool *p;
	struct tag t[5];
	char line[32];
	int i;

	(void)state;
	opts_cat(&o, 1, 3, 10);
	p = hlp_pool_new(&o);
	assert_non_null(p);
	for (i = 0; i < 5; i++) {
		t[i].idx = i;
		snprintf(line, sizeof(line), "http://h/%d x", i);
		assert_non_null(hlp_submit(p, line, strlen(line), answered,
					   &t[i]));
	}
	/* One child, three channels: two wait. */
	assert_int_equal(hlp_queue_len(p), 2);
	run_until(5);
	assert_int_equal(got.n, 5);
	for (i = 0; i < 5; i++) {
		char want[32];

		snprintf(want, sizeof(want), "http://h/%d x", i);
		assert_string_equal(got.other[i], want);
		assert_int_equal(got.result[i], HLP_UNKNOWN);
	}
	assert_int_equal(hlp_children(p), 1);
	hlp_pool_free(p);
}

/* Answers out of order: the child reads two requests, answers the second
 * first; each answer still reaches its own request. */
static char *swap_argv[] = { "/bin/sh", "-c",
	"while read a && read b; do set -- $b; echo \"$1 OK u=$2\"; "
	"set -- $a; echo \"$1 OK u=$2\"; done", NULL };

static void
test_pool_out_of_order(void **state)
{
	struct hlp_opts o;
	struct hlp_pool *p;
	struct tag t[4];
	char line[32];
	int i;

	(void)state;
	opts_cat(&o, 1, 2, 10);
	o.argv = swap_argv;
	p = hlp_pool_new(&o);
	for (i = 0; i < 4; i++) {
		t[i].idx = i;
		snprintf(line, sizeof(line), "req%d", i);
		assert_non_null(hlp_submit(p, line, strlen(line), answered,
					   &t[i]));
	}
	run_until(4);
	assert_int_equal(got.n, 4);
	/* Answered 1, 0, 3, 2, each with its own u=. */
	assert_int_equal(got.order[0], 1);
	assert_int_equal(got.order[1], 0);
	for (i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "req%d", i);
		assert_int_equal(got.result[i], HLP_OK);
		assert_string_equal(got.u[i], line);
	}
	hlp_pool_free(p);
}

/* Queue bound: one child, concurrency 0, queue-size 2. */
static void
test_pool_queue_bound(void **state)
{
	struct hlp_opts o;
	struct hlp_pool *p;
	struct hlp_req *q[4];
	struct tag t[4];
	int i;

	(void)state;
	opts_cat(&o, 1, 0, 2);
	p = hlp_pool_new(&o);
	assert_non_null(p);
	for (i = 0; i < 3; i++) {
		t[i].idx = i;
		assert_int_equal(hlp_would_overload(p), 0);
		q[i] = hlp_submit(p, "u", 1, answered, &t[i]);
		assert_non_null(q[i]);
	}
	assert_int_equal(hlp_queue_len(p), 2);
	/* Full, no free child, no new child allowed: a *_bypass would
	 * skip the helper now. */
	assert_int_equal(hlp_would_overload(p), 1);
	/* A cancelled request, queued or sent, is never called back. */
	hlp_cancel(q[2]);
	hlp_cancel(q[0]);
	assert_int_equal(hlp_queue_len(p), 1);
	assert_int_equal(hlp_would_overload(p), 0);
	t[3].idx = 3;
	q[3] = hlp_submit(p, "v", 1, answered, &t[3]);
	run_until(2);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.order[0], 1);
	assert_int_equal(got.order[1], 3);
	assert_string_equal(got.other[3], "v");
	hlp_pool_free(p);
}

/* A child that exits (sh answers one line, then exits): its request is
 * answered, the next one goes to a new child. */
static char *once_argv[] = { "/bin/sh", "-c", "read l; echo \"OK x=$l\"",
			     NULL };

static void
test_pool_restart(void **state)
{
	struct hlp_opts o;
	struct hlp_pool *p;
	struct tag t[3];
	int i;

	(void)state;
	opts_cat(&o, 1, 0, 10);
	o.argv = once_argv;
	p = hlp_pool_new(&o);
	for (i = 0; i < 3; i++) {
		t[i].idx = i;
		assert_non_null(hlp_submit(p, "a", 1, answered, &t[i]));
	}
	run_until(3);
	assert_int_equal(got.n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(got.result[i], HLP_OK);
	assert_true(stats.hlp[STATS_HLP_URL_REWRITE].restarts >= 2);
	hlp_pool_free(p);
}

/* A program that cannot be run: requests get BH, nothing hangs. */
static char *bad_argv[] = { "/nonexistent/helper", NULL };

static void
test_pool_cannot_start(void **state)
{
	struct hlp_opts o;
	struct hlp_pool *p;
	struct tag t;

	(void)state;
	opts_cat(&o, 2, 0, 10);
	o.argv = bad_argv;
	p = hlp_pool_new(&o);
	t.idx = 0;
	assert_non_null(hlp_submit(p, "a", 1, answered, &t));
	run_until(1);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.result[0], HLP_BH);
	hlp_pool_free(p);
}

/* ------------------------------------------------------ configuration */

struct cfg_case {
	const char *text;
	const char *msg;	/* first message contains it; NULL: none */
	int         nerr;
	/* url_rewrite's options when it loads */
	unsigned    max, startup, idle, conc, qsize;
	double      timeout;
	int         on_timeout, bypass, host;
};

static const struct cfg_case cfg_cases[] = {
	{ "url_rewrite_program /bin/cat -x\n", NULL, 0,
	  20, 0, 1, 0, 40, 0, HLP_TO_BYPASS, 0, 1 },
	{ "url_rewrite_program /bin/cat\nurl_rewrite_bypass on\n", NULL, 0,
	  20, 0, 1, 0, 0, 0, HLP_TO_BYPASS, 1, 1 },
	{ "redirect_program /bin/cat\nredirect_children 5 startup=2 idle=3 "
	  "concurrency=8 queue-size=9 on-persistent-overload=ERR\n"
	  "redirect_rewrites_host_header off\n", NULL, 0,
	  5, 2, 3, 8, 9, 0, HLP_TO_BYPASS, 0, 0 },
	{ "url_rewrite_program /bin/cat\nurl_rewrite_children 2 startup=5 "
	  "idle=0\n", "idle=0 makes requests fail", 0,
	  2, 2, 1, 0, 4, 0, HLP_TO_BYPASS, 0, 1 },
	{ "url_rewrite_program /bin/cat\n"
	  "url_rewrite_timeout 2 minutes on_timeout=fail\n", NULL, 0,
	  20, 0, 1, 0, 40, 120, HLP_TO_FAIL, 0, 1 },
	{ "url_rewrite_program /bin/cat\n"
	  "url_rewrite_timeout 3 seconds on_timeout=use_configured_response "
	  "response=\"OK url=http://x/ status=301\"\n", NULL, 0,
	  20, 0, 1, 0, 40, 3, HLP_TO_RESPONSE, 0, 1 },
	{ "url_rewrite_children 0\n", "from 1 to 10000", 1,
	  0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "url_rewrite_children 4 speed=9\n", "unknown option 'speed=9'", 1,
	  0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "url_rewrite_timeout 5 seconds on_timeout=panic\n",
	  "unsupported on_timeout action 'panic'", 1,
	  0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "url_rewrite_timeout 5 seconds on_timeout=use_configured_response"
	  "\n", "needs response=", 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "url_rewrite_timeout 5 seconds response=\"OK\"\n",
	  "only valid with", 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "url_rewrite_extras \"%>a %nosuchcode\"\n", "url_rewrite_extras",
	  1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "url_rewrite_program\n", "url_rewrite_program", 1,
	  0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

static void
test_cfg_table(void **state)
{
	const struct cfg_case *k;
	const struct hlp_opts *o;
	struct cfg_msgs m;
	struct cfg *c;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cfg_cases) / sizeof(cfg_cases[0]); i++) {
		k = &cfg_cases[i];
		snprintf(text, sizeof(text), "http_port 65001\n%s", k->text);
		memset(&m, 0, sizeof(m));
		c = cfg_load_mem(text, "h.conf", &m);
		if ((int)m.nerr != k->nerr || (c == NULL) != (k->nerr > 0) ||
		    (k->msg == NULL) != (m.n == 0) ||
		    (k->msg != NULL && strstr(m.msg[0].text, k->msg) == NULL))
			fail_msg("case %zu '%s': nerr %zu, first message '%s'",
				 i, k->text, m.nerr, m.n ? m.msg[0].text : "");
		if (c != NULL) {
			o = &c->helpers.rewrite.opts;
			assert_non_null(o->argv);
			assert_string_equal(o->argv[0], "/bin/cat");
			if (o->max != k->max || o->startup != k->startup ||
			    o->idle != k->idle || o->concurrency != k->conc ||
			    o->queue_size != k->qsize ||
			    o->timeout != k->timeout ||
			    (int)o->on_timeout != k->on_timeout ||
			    c->helpers.rewrite.bypass != k->bypass ||
			    c->helpers.rewrite_host != k->host)
				fail_msg("case %zu: max %u startup %u idle "
					 "%u conc %u queue %u timeout %g/%d "
					 "bypass %d host %d", i, o->max,
					 o->startup, o->idle, o->concurrency,
					 o->queue_size,
					 o->timeout, (int)o->on_timeout,
					 c->helpers.rewrite.bypass,
					 c->helpers.rewrite_host);
			if (k->on_timeout == HLP_TO_RESPONSE)
				assert_string_equal(o->timeout_response,
						    "OK url=http://x/ "
						    "status=301");
			assert_int_equal(c->helpers.store_id.opts.argv == NULL,
					 1);
			cfg_unref(c);
		}
		cfg_msgs_free(&m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_many_pairs),
		cmocka_unit_test(test_legacy_rewrite),
		cmocka_unit_test(test_channel_split),
		cmocka_unit_test(test_cfg_table),
		cmocka_unit_test_setup(test_pool_channels, setup_loop),
		cmocka_unit_test_setup(test_pool_out_of_order, setup_loop),
		cmocka_unit_test_setup(test_pool_queue_bound, setup_loop),
		cmocka_unit_test_setup(test_pool_restart, setup_loop),
		cmocka_unit_test_setup(test_pool_cannot_start, setup_loop),
	};

	/* As the daemon (main.c): a child that exits makes writes to it
	 * fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
