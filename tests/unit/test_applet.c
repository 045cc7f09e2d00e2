/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_applet.c - local responders stream with back-pressure
 * (src/proxy/applet.c): a 50 MiB response made by an applet goes through
 * the response channel while the consumer takes bytes in uneven pieces,
 * and the applet never holds more than APPLET_BUF of it; every byte
 * arrives once and in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "proxy/applet.h"
#include "proxy/stream.h"

#define TOTAL (50u << 20)

/* The applet: bytes i of its body are (i * 7 + i / 4096) & 0xff. */
struct gen {
	uint64_t made;
	unsigned calls;
};

static unsigned char
pattern(uint64_t i)
{
	return (unsigned char)((i * 7 + i / 4096) & 0xff);
}

static int
gen_produce(struct applet *a, struct stream *s)
{
	struct gen *g = a->ctx;
	unsigned char chunk[3000];
	size_t room, n, i;
	int prog = 0;

	g->calls++;
	while (g->made < TOTAL && (room = applet_room(s)) > 0) {
		n = room < sizeof(chunk) ? room : sizeof(chunk);
		if (n > TOTAL - g->made)
			n = (size_t)(TOTAL - g->made);
		for (i = 0; i < n; i++)
			chunk[i] = pattern(g->made + i);
		assert_int_equal(applet_put(s, chunk, n), 0);
		g->made += n;
		prog = 1;
	}
	if (g->made == TOTAL)
		a->done = 1;
	return prog;
}

static const struct applet_ops gen_ops = {
	.name = "test-generator",
	.produce = gen_produce,
};

static void
test_backpressure(void **state)
{
	struct stream s;
	struct conn fe;
	struct buf fe_in = { 0 };
	struct gen g = { 0 };
	uint64_t got = 0;
	size_t take, k, max_held = 0, max_size = 0;
	unsigned step = 0;

	(void)state;
	memset(&fe, 0, sizeof(fe));
	fe.fd = -1;
	strm_init(&s, NULL, NULL, &fe, &fe_in);
	assert_int_equal(buf_reserve(&s.res.hd, 64), 0);
	assert_int_equal(buf_append(&s.res.hd, "HTTP/1.1 200 OK\r\n\r\n", 19),
			 0);
	applet_start(&s, &gen_ops, &g);
	assert_int_equal(s.state, STRM_LOCAL);
	/* While the head is unsent, the first body bytes are made (both go
	 * out in one write), and no more until they are taken. */
	assert_int_equal(applet_step(&s), 1);
	assert_int_equal(g.calls, 1);
	assert_true(s.res.fwd > 0);
	assert_int_equal(chn_hd_pending(&s.res), 19);
	assert_int_equal(applet_step(&s), 0);
	assert_int_equal(g.calls, 1);
	chn_advance(&s.res, 19);
	while (!(s.applet.done && !chn_pending(&s.res))) {
		applet_step(&s);
		if (s.res.fwd > max_held)
			max_held = (size_t)s.res.fwd;
		if (s.applet.out.size > max_size)
			max_size = s.applet.out.size;
		/* A slow client: uneven pieces, sometimes nothing. */
		take = (size_t)((step * 7919u) % 20000u);
		step++;
		if (take > s.res.fwd)
			take = (size_t)s.res.fwd;
		for (k = 0; k < take; k++)
			if (((unsigned char *)buf_head(s.res.in))[k] !=
			    pattern(got + k))
				fail_msg("byte %llu differs",
					 (unsigned long long)(got + k));
		if (take > 0)
			chn_advance(&s.res, take);
		got += take;
		assert_true(step < 100000000u);
	}
	assert_int_equal(got, TOTAL);
	assert_int_equal(g.made, TOTAL);
	/* Bounded by the applet's buffer, not by the response. */
	assert_true(max_held <= APPLET_BUF);
	assert_true(max_size <= APPLET_BUF);
	assert_true(g.calls >= TOTAL / APPLET_BUF);
	applet_release(&s.applet);
	strm_free(&s);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backpressure),
	};

	return cmocka_run_group_tests_name("applet", tests, NULL, NULL);
}
