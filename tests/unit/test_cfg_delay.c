/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cfg_delay.c - the delay pool directives (src/config/cfg_delay.c):
 * a table of configurations with the errors and warnings they give
 * (FILE:LINE, order of the lines, pool numbers, classes, rates), and the
 * values a good one loads (classes, rates, "none", initial levels, access
 * lists, bucket arrays).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#include "cfg_cases.h"

#define P1	"delay_pools 1\n"
#define C1	"delay_class 1 1\n"
#define A1	"delay_access 1 allow all\n"

static const struct load_case cases[] = {
	{ P1 C1 "delay_parameters 1 8000/16000\n" A1, 0, 0, NULL },
	{ "delay_pools 0\n", 0, 0, NULL },
	{ "delay_pools 2\ndelay_class 1 2\ndelay_class 2 3\n"
	  "delay_parameters 1 none 8000/8000\n"
	  "delay_parameters 2 32000/32000 8000/8000 600/8000\n"
	  "delay_access 1 allow all\ndelay_access 2 allow all\n", 0, 0,
	  NULL },
	{ P1 C1 "delay_parameters 1 -1/-1\n" A1, 0, 0, NULL },
	/* order */
	{ C1, 1, 0,
	  "t.conf:1: delay_class: no 'delay_pools' line before this one" },
	{ "delay_parameters 1 1/1\n", 1, 0, "t.conf:1: delay_parameters: "
	  "no 'delay_pools' line" },
	{ "delay_access 1 allow all\n", 1, 0, "t.conf:1: delay_access: no "
	  "'delay_pools' line" },
	{ P1 "delay_parameters 1 8000/8000\n" C1 A1, 2, 0,
	  "t.conf:2: delay_parameters: pool 1 has no class yet" },
	{ P1 P1 C1 "delay_parameters 1 1/1\n" A1, 1, 0,
	  "t.conf:2: delay_pools: already set at t.conf:1" },
	/* pool numbers */
	{ P1 "delay_class 2 1\n", 2, 0,
	  "t.conf:2: delay_class: pool '2' is not in 1..1 (delay_pools 1 at "
	  "t.conf:1)" },
	{ P1 "delay_class 0 1\n", 2, 0, "pool '0' is not in 1..1" },
	{ P1 C1 "delay_parameters x 1/1\n", 2, 0,
	  "delay_parameters: pool 'x' is not in 1..1" },
	{ P1 C1 "delay_parameters 1 8/8\ndelay_access 3 allow all\n", 1, 1,
	  "t.conf:4: delay_access: pool '3' is not in 1..1" },
	{ "delay_pools 257\n", 1, 0,
	  "t.conf:1: delay_pools: invalid value '257' (a number of pools" },
	{ "delay_pools\n", 1, 0, "delay_pools: missing argument" },
	/* classes */
	{ P1 "delay_class 1 4\n", 2, 0, "t.conf:2: delay_class: class 4 is "
	  "not supported by tproxyd (its per-user buckets need proxy "
	  "authentication)" },
	{ P1 "delay_class 1 5\n", 2, 0, "delay_class: class 5 is not "
	  "supported" },
	{ P1 "delay_class 1 6\n", 2, 0,
	  "delay_class: invalid class '6' (1, 2 or 3)" },
	{ P1 C1 C1, 2, 0, "t.conf:3: delay_class: pool 1 has a class" },
	{ P1 "delay_class 1\n", 2, 0, "delay_class: missing argument" },
	/* rates */
	{ P1 C1 "delay_parameters 1 8000\n" A1, 2, 0,
	  "t.conf:3: delay_parameters: invalid rate '8000' (restore/max" },
	{ P1 C1 "delay_parameters 1 8000/\n" A1, 2, 0, "invalid rate" },
	{ P1 C1 "delay_parameters 1 /8000\n" A1, 2, 0, "invalid rate" },
	{ P1 C1 "delay_parameters 1 8k/8000\n" A1, 2, 0, "invalid rate" },
	{ P1 C1 "delay_parameters 1 8000/8x\n" A1, 2, 0, "invalid rate" },
	{ P1 C1 "delay_parameters 1 99999999999/8\n" A1, 2, 0,
	  "invalid rate" },
	{ P1 C1 "delay_parameters 1 1/1 1/1\n" A1, 2, 0,
	  "t.conf:3: delay_parameters: a class 1 pool takes 1 rate: "
	  "delay_parameters POOL aggregate" },
	{ P1 "delay_class 1 3\ndelay_parameters 1 1/1 1/1\n" A1, 2, 0,
	  "a class 3 pool takes 3 rates" },
	/* the end of the file */
	{ P1, 1, 0, "t.conf:1: delay_pools: pool 1 has no delay_class" },
	{ P1 C1, 1, 0, "t.conf:1: delay_pools: pool 1 has no "
	  "delay_parameters line" },
	{ P1 C1 "delay_parameters 1 8/8\n", 0, 1, "t.conf:1: WARNING: "
	  "delay_pools: pool 1 has no delay_access line" },
	/* levels */
	{ "delay_initial_bucket_level 101\n", 1, 0,
	  "delay_initial_bucket_level: invalid value '101'" },
	{ "delay_initial_bucket_level 100\n", 0, 0, NULL },
	{ "client_delay_initial_bucket_level 300\n", 0, 0, NULL },
	{ "delay_pool_uses_indirect_client off\n", 0, 0, NULL },
	/* client pools */
	{ "client_delay_pools 1\nclient_delay_parameters 1 1024 2048\n"
	  "client_delay_access 1 allow all\n", 0, 0, NULL },
	{ "client_delay_parameters 1 1024 2048\n", 1, 0,
	  "t.conf:1: client_delay_parameters: no 'client_delay_pools' "
	  "line" },
	{ "client_delay_pools 1\nclient_delay_parameters 2 1 1\n", 2, 0,
	  "t.conf:2: client_delay_parameters: pool '2' is not in 1..1" },
	{ "client_delay_pools 1\nclient_delay_parameters 1 1k 1\n", 2, 0,
	  "client_delay_parameters: invalid speed limit '1k'" },
	{ "client_delay_pools 1\nclient_delay_parameters 1 1 -1\n", 2, 0,
	  "client_delay_parameters: invalid bucket size '-1'" },
	{ "client_delay_pools 1\nclient_delay_parameters 1 1\n", 2, 0,
	  "client_delay_parameters: missing argument" },
	{ "client_delay_pools 1\n", 1, 0, "t.conf:1: client_delay_pools: "
	  "pool 1 has no client_delay_parameters line" },
	{ "client_delay_pools 1\nclient_delay_parameters 1 1 1\n", 0, 1,
	  "no client will use it" },
	{ "client_delay_pools 1\nclient_delay_access 1 allow nosuch\n"
	  "client_delay_parameters 1 1 1\n", 1, 1, "undefined acl" },
	/* still refused */
	{ "response_delay_pool x\n", 1, 0, "'response_delay_pool' is not "
	  "supported by tproxyd" },
};

static void
test_load_table(void **state)
{
	(void)state;
	run_load_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_defaults(void **state)
{
	struct cfg *c = load_ok("http_port 65001\n");

	(void)state;
	assert_int_equal(c->delay.npool, 0);
	assert_int_equal(c->delay.ncpool, 0);
	assert_int_equal(c->delay.initial, 50);
	assert_int_equal(c->delay.cinitial, 50);
	assert_int_equal(c->delay.uses_indirect, 1);
	cfg_unref(c);
}

static void
test_values(void **state)
{
	struct cfg *c;
	const struct delay_pool *dp;

	(void)state;
	c = load_ok("acl lan src 10.0.0.0/8\n"
		    "delay_pools 3\n"
		    "delay_class 1 1\ndelay_class 2 2\ndelay_class 3 3\n"
		    "delay_parameters 1 200000/50000\n"
		    "delay_parameters 2 none 8000/8000\n"
		    "delay_parameters 3 32000/32000 -1/-1 600/64000\n"
		    "delay_access 1 allow lan\ndelay_access 1 deny all\n"
		    "delay_access 2 allow all\ndelay_access 3 allow all\n"
		    "delay_initial_bucket_level 20\n"
		    "delay_pool_uses_indirect_client off\n"
		    "client_delay_pools 2\n"
		    "client_delay_parameters 1 1024 2048\n"
		    "client_delay_parameters 2 51200 16384\n"
		    "client_delay_access 2 allow lan\n"
		    "client_delay_access 1 allow all\n"
		    "client_delay_initial_bucket_level 150\n"
		    "http_port 65001\n");
	assert_int_equal(c->delay.npool, 3);
	dp = c->delay.pool[0].dp;
	assert_int_equal(dp->cls, 1);
	assert_int_equal(dp->agg.restore, 200000);
	assert_int_equal(dp->agg.max, 50000);
	assert_int_equal(dp->initial, 20);
	assert_null(dp->hostb);
	assert_int_equal(c->delay.pool[0].access.n, 2);
	dp = c->delay.pool[1].dp;
	assert_int_equal(dp->cls, 2);
	assert_int_equal(dp->agg.restore, -1);
	assert_int_equal(dp->host.restore, 8000);
	assert_int_equal(dp->host.max, 8000);
	assert_non_null(dp->hostb);
	assert_null(dp->netb);
	dp = c->delay.pool[2].dp;
	assert_int_equal(dp->cls, 3);
	assert_int_equal(dp->agg.restore, 32000);
	assert_int_equal(dp->net.restore, -1);
	assert_int_equal(dp->net.max, -1);
	assert_int_equal(dp->host.restore, 600);
	assert_int_equal(dp->host.max, 64000);
	assert_non_null(dp->hostb);
	assert_non_null(dp->netb);
	/* The buckets start unused, so at the initial level. */
	assert_true(dp->hostb[65535].stamp == 0);
	assert_int_equal(c->delay.uses_indirect, 0);
	assert_int_equal(c->delay.ncpool, 2);
	assert_int_equal(c->delay.cpool[0].cp->spec.restore, 1024);
	assert_int_equal(c->delay.cpool[0].cp->spec.max, 2048);
	assert_int_equal(c->delay.cpool[1].cp->spec.restore, 51200);
	assert_int_equal(c->delay.cpool[1].cp->initial, 150);
	assert_non_null(c->delay.cpool[1].cp->tab);
	assert_int_equal(c->delay.cpool[1].access.n, 1);
	cfg_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
