/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_delay.c - delay pools' buckets (src/delay/delay.c) with a fake
 * clock, table driven: refill (first use at the initial level, restore
 * per second with fractions, the max, an over-full bucket, a clock that
 * goes back), the buckets of each class for IPv4, IPv4-mapped and IPv6
 * clients, "none" kinds, the allowance as the emptiest bucket, taking
 * from every bucket, the resume wait, and the per-address buckets of
 * client pools (same address, other address, eviction of the oldest).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "delay/delay.h"

#define T0	1000.0	/* the fake clock's start (0 means "unused") */

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr),
				 1);
		s6->sin6_family = AF_INET6;
	}
	return ss;
}

/* One bucket: its spec and initial level, then a use at T0 + dt after
 * taking "take" bytes at T0: the level seen. */
static const struct refill_case {
	const char *name;
	int64_t     restore, max;
	unsigned    initial;
	double      take, dt;
	double      level;
} refill_cases[] = {
	{ "first use: 50% of max", 1000, 8000, 50, 0, 0, 4000 },
	{ "first use: 0%", 1000, 8000, 0, 0, 0, 0 },
	{ "first use: 100%", 1000, 8000, 100, 0, 0, 8000 },
	{ "one second", 1000, 8000, 0, 0, 1, 1000 },
	{ "a fraction of a second", 1000, 8000, 0, 0, 0.25, 250 },
	{ "capped at max", 1000, 8000, 50, 0, 10, 8000 },
	{ "after a take", 1000, 8000, 100, 6000, 2, 4000 },
	{ "restore 0 never refills", 0, 8000, 50, 1000, 100, 3000 },
	{ "over-full keeps its level", 1000, 8000, 200, 0, 3, 16000 },
	{ "over-full refills below max", 1000, 8000, 200, 10000, 1, 7000 },
	{ "max 0 stays empty", 1000, 0, 50, 0, 5, 0 },
};

static void
test_refill(void **state)
{
	const struct refill_case *c;
	struct delay_bucket b;
	struct delay_spec sp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refill_cases) / sizeof(refill_cases[0]);
	     i++) {
		c = &refill_cases[i];
		memset(&b, 0, sizeof(b));
		sp.restore = c->restore;
		sp.max = c->max;
		delay_refill(&b, &sp, c->initial, T0);
		b.level -= c->take;
		delay_refill(&b, &sp, c->initial, T0 + c->dt);
		if (b.level != c->level)
			fail_msg("%s: level %.1f, want %.1f", c->name,
				 b.level, c->level);
	}
}

static void
test_clock_back(void **state)
{
	struct delay_spec sp = { 1000, 8000 };
	struct delay_bucket b = { 0, 0 };

	(void)state;
	delay_refill(&b, &sp, 0, T0);
	/* Back 5 s: no refill, and counting starts from there. */
	delay_refill(&b, &sp, 0, T0 - 5);
	assert_true(b.level == 0);
	delay_refill(&b, &sp, 0, T0 - 4);
	assert_true(b.level == 1000);
}

/* A pool and a client: which buckets (by their index in the pool's
 * arrays) limit the transfer. */
static const struct id_case {
	const char *name;
	int         cls;
	int64_t     agg, net, host;	/* restore; -1: none */
	const char *client;
	int         nb;
	int         net_idx, host_idx;	/* -1: none expected */
} id_cases[] = {
	{ "class 1", 1, 100, 0, 0, "10.1.2.3", 1, -1, -1 },
	{ "class 1 none", 1, -1, 0, 0, "10.1.2.3", 0, -1, -1 },
	{ "class 1 IPv6", 1, 100, 0, 0, "2001:db8::1", 1, -1, -1 },
	{ "class 2", 2, 100, 0, 50, "10.1.2.3", 2, -1, 3 },
	{ "class 2 no aggregate", 2, -1, 0, 50, "10.1.2.250", 1, -1, 250 },
	{ "class 2 host none", 2, 100, 0, -1, "10.1.2.3", 1, -1, -1 },
	{ "class 2 IPv6: aggregate only", 2, 100, 0, 50, "2001:db8::7", 1,
	  -1, -1 },
	{ "class 2 IPv6 no aggregate", 2, -1, 0, 50, "2001:db8::7", 0, -1,
	  -1 },
	{ "class 2 mapped IPv4", 2, 100, 0, 50, "::ffff:10.1.2.9", 2, -1,
	  9 },
	{ "class 3", 3, 100, 70, 50, "10.1.2.3", 3, 2, 2 * 256 + 3 },
	{ "class 3 all none", 3, -1, -1, -1, "10.1.2.3", 0, -1, -1 },
	{ "class 3 net only", 3, -1, 70, -1, "192.168.200.1", 1, 200, -1 },
	{ "class 3 IPv6", 3, 100, 70, 50, "2001:db8::7", 1, -1, -1 },
};

static void
test_ids(void **state)
{
	static struct delay_bucket hostb[DELAY_HOSTS3], netb[DELAY_NETS3];
	const struct id_case *c;
	struct sockaddr_storage ss;
	struct delay_pool p;
	struct delay_id id;
	size_t i;
	int k, seen_net, seen_host;

	(void)state;
	for (i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		c = &id_cases[i];
		memset(&p, 0, sizeof(p));
		p.cls = c->cls;
		p.initial = 50;
		p.agg.restore = c->agg;
		p.net.restore = c->net;
		p.host.restore = c->host;
		p.netb = netb;
		p.hostb = hostb;
		ss = addr(c->client);
		delay_id_make(&id, &p, (struct sockaddr *)&ss);
		if (id.nb != c->nb)
			fail_msg("%s: %d buckets, want %d", c->name, id.nb,
				 c->nb);
		seen_net = seen_host = -1;
		for (k = 0; k < id.nb; k++) {
			if (id.b[k] == &p.aggb) {
				assert_ptr_equal(id.spec[k], &p.agg);
			} else if (id.b[k] >= netb &&
				   id.b[k] < netb + DELAY_NETS3) {
				seen_net = (int)(id.b[k] - netb);
				assert_ptr_equal(id.spec[k], &p.net);
			} else {
				seen_host = (int)(id.b[k] - hostb);
				assert_ptr_equal(id.spec[k], &p.host);
			}
		}
		if (seen_net != c->net_idx || seen_host != c->host_idx)
			fail_msg("%s: net %d host %d, want %d %d", c->name,
				 seen_net, seen_host, c->net_idx,
				 c->host_idx);
	}
}

/*
 * A class 2 pool, aggregate 1000/4000, hosts 400/1000, initial 100%:
 * steps of (client, time, bytes wanted) and the allowance, all of it
 * taken.
 */
static const struct step {
	const char *client;
	double      dt;
	size_t      want;
	size_t      allowed;
} steps[] = {
	{ "10.0.0.1", 0, 5000, 1000 },	/* host bucket full: 1000 */
	{ "10.0.0.1", 0, 5000, 0 },	/* host empty */
	{ "10.0.0.2", 0, 500, 500 },	/* another host: wanted < level */
	{ "10.0.0.2", 0, 5000, 500 },
	{ "10.0.0.3", 0, 5000, 1000 },
	{ "10.0.0.4", 0, 5000, 1000 },	/* aggregate: what is left */
	{ "10.0.0.5", 0, 5000, 0 },	/* aggregate empty */
	{ "10.0.0.1", 0.5, 5000, 200 },	/* host +200, aggregate +500 */
	{ "10.0.0.5", 0.5, 5000, 300 },	/* aggregate left over */
	{ "10.0.0.1", 2.5, 5000, 800 },	/* host +800 (max 1000) */
	{ "2001:db8::1", 2.5, 5000, 1200 },	/* aggregate only */
	{ "2001:db8::1", 10, 100, 100 },
};

static void
test_allowance(void **state)
{
	static struct delay_bucket hostb[DELAY_HOSTS2];
	struct sockaddr_storage ss;
	struct delay_pool p;
	struct delay_id id;
	size_t i, n;

	(void)state;
	memset(&p, 0, sizeof(p));
	memset(hostb, 0, sizeof(hostb));
	p.cls = 2;
	p.initial = 100;
	p.agg.restore = 1000;
	p.agg.max = 4000;
	p.host.restore = 400;
	p.host.max = 1000;
	p.hostb = hostb;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ss = addr(steps[i].client);
		delay_id_make(&id, &p, (struct sockaddr *)&ss);
		n = delay_allowed(&id, T0 + steps[i].dt, steps[i].want);
		if (n != steps[i].allowed)
			fail_msg("step %zu (%s at +%.1f): %zu, want %zu", i,
				 steps[i].client, steps[i].dt, n,
				 steps[i].allowed);
		delay_take(&id, n);
	}
}

static void
test_unlimited(void **state)
{
	struct sockaddr_storage ss = addr("10.0.0.1");
	struct delay_pool p;
	struct delay_id id;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.cls = 1;
	p.agg.restore = -1;
	p.agg.max = -1;
	delay_id_make(&id, &p, (struct sockaddr *)&ss);
	assert_int_equal(id.nb, 0);
	assert_int_equal(delay_allowed(&id, T0, 1 << 20), 1 << 20);
	delay_take(&id, 1 << 20);
	assert_int_equal(delay_allowed(&id, T0, 1 << 20), 1 << 20);
}

/* The wait until a bucket holds a twentieth of a second of its rate
 * (within [1, min(max, 32 KiB)]), plus jitter times what is left before
 * the bucket is full (at most half the wait); at most DELAY_WAIT_MAX. */
static const struct wait_case {
	const char *name;
	int64_t     restore, max;
	double      level;
	double      jitter;
	double      wait;
} wait_cases[] = {
	{ "empty, 200 KB/s", 200000, 50000, 0, 0, 10000.0 / 200000 },
	{ "half way", 200000, 50000, 5000, 0, 5000.0 / 200000 },
	{ "enough already", 200000, 50000, 20000, 0, 0.001 },
	{ "32 KiB cap", 10000000, 1000000, 0, 0, 32768.0 / 10000000 },
	{ "max below the slice", 200000, 2000, 0, 0, 2000.0 / 200000 },
	{ "slow: at least 1 byte", 10, 100, 0, 0, 0.1 },
	{ "restore 0", 0, 100, 0, 0, DELAY_WAIT_MAX },
	{ "very slow: capped", 1, 100, -5, 0, DELAY_WAIT_MAX },
	{ "jitter: half of half the wait", 200000, 50000, 0, 0.5, 0.0625 },
	{ "jitter: all of half the wait", 200000, 50000, 0, 1, 0.075 },
	{ "jitter: only until full", 200000, 12000, 0, 1, 0.06 },
	{ "jitter: none when max is the slice", 200000, 2000, 0, 0.9, 0.01 },
};

static void
test_wait(void **state)
{
	const struct wait_case *c;
	struct delay_pool p;
	struct delay_id id;
	double w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(wait_cases) / sizeof(wait_cases[0]); i++) {
		c = &wait_cases[i];
		memset(&p, 0, sizeof(p));
		p.cls = 1;
		p.agg.restore = c->restore;
		p.agg.max = c->max;
		p.aggb.level = c->level;
		p.aggb.stamp = T0;
		delay_id_make(&id, &p, NULL);
		w = delay_wait(&id, T0, c->jitter);
		if (w < c->wait - 1e-9 || w > c->wait + 1e-9)
			fail_msg("%s: %.6f, want %.6f", c->name, w, c->wait);
	}
}

/* A transfer that reads what it is allowed and waits as told moves
 * restore bytes a second, after the initial level. */
static void
test_rate(void **state)
{
	struct delay_pool p;
	struct delay_id id;
	double now = T0, jitter = 0;
	uint64_t moved = 0;
	size_t n;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.cls = 1;
	p.initial = 50;
	p.agg.restore = 200000;
	p.agg.max = 40000;
	delay_id_make(&id, &p, NULL);
	while (now < T0 + 10) {
		n = delay_allowed(&id, now, 65536);
		if (n > 0) {
			delay_take(&id, n);
			moved += n;
			continue;
		}
		now += delay_wait(&id, now, jitter);
		jitter = jitter > 0.9 ? 0 : jitter + 0.3;
	}
	/* 20000 at first, then 200000 a second for 10 s. */
	assert_true(moved >= 2020000 - 20000 && moved <= 2020000 + 1);
}

static void
test_clients(void **state)
{
	static struct delay_client tab[DELAY_CLIENTS];
	struct sockaddr_storage a = addr("10.0.0.1");
	struct sockaddr_storage m = addr("::ffff:10.0.0.1");
	struct sockaddr_storage b = addr("2001:db8::2");
	struct delay_cpool cp;
	struct delay_id ia, im, ib;
	int i, n;

	(void)state;
	memset(&cp, 0, sizeof(cp));
	cp.spec.restore = 1000;
	cp.spec.max = 2000;
	cp.initial = 50;
	cp.tab = tab;
	delay_cid_make(&ia, &cp, (struct sockaddr *)&a, T0);
	assert_int_equal(ia.nb, 1);
	assert_int_equal(delay_allowed(&ia, T0, 5000), 1000);
	delay_take(&ia, 1000);
	/* The same address (written as IPv4-mapped): the same bucket. */
	delay_cid_make(&im, &cp, (struct sockaddr *)&m, T0);
	assert_ptr_equal(im.b[0], ia.b[0]);
	assert_int_equal(delay_allowed(&im, T0, 5000), 0);
	/* Another address: its own bucket. */
	delay_cid_make(&ib, &cp, (struct sockaddr *)&b, T0);
	assert_ptr_not_equal(ib.b[0], ia.b[0]);
	assert_int_equal(delay_allowed(&ib, T0, 5000), 1000);
	/* "none": no bucket. */
	cp.spec.restore = -1;
	delay_cid_make(&ib, &cp, (struct sockaddr *)&b, T0);
	assert_int_equal(ib.nb, 0);
	cp.spec.restore = 1000;
	/* Memory is bounded: many addresses reuse the table; the address
	 * used last is still there. */
	for (i = 0, n = 0; i < 3 * DELAY_CLIENTS; i++) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&b;

		memset(&b, 0, sizeof(b));
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(0x0b000000u + (uint32_t)i);
		delay_cid_make(&ib, &cp, (struct sockaddr *)&b,
			       T0 + 1 + i);
		n += (const char *)ib.b[0] >= (const char *)tab &&
		     (const char *)ib.b[0] <
		     (const char *)(tab + DELAY_CLIENTS);
	}
	assert_int_equal(n, 3 * DELAY_CLIENTS);
	delay_cid_make(&im, &cp, (struct sockaddr *)&b,
		       T0 + 5 * DELAY_CLIENTS);
	assert_ptr_equal(im.b[0], ib.b[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_clock_back),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_allowance),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_clients),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
