/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_xprt_tls_records.c - the TLS transport (src/net/xprt_tls.c)
 * against itself, the records after the handshake: 1 MiB each way at
 * once, close_notify, a cut without it, garbage.
 *
 * The certificates, the poll loop and the contexts: xtls_fixture.h.
 */
#include "xtls_fixture.h"

/* ------------------------------------------------------------------ */
/* 1 MiB each way at once, through small socket buffers */

#define BIG (1u << 20)

static void
fill(char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (char)(seed >> 16);
	}
}

struct flow {
	struct conn *c;
	const char  *out;
	size_t       sent;
	char        *in;
	size_t       got;
	unsigned     partial;	/* writes that took less than offered */
};

/* One step of a flow: write what the socket takes (a 300-byte "head"
 * then the rest, gathered as conn_send2 offers them), read what came. */
static void
flow_step(struct flow *f)
{
	struct iovec iov[2];
	size_t hl = 300, want;
	ssize_t w;
	int cnt = 0;

	if (f->sent < BIG) {
		if (f->sent < hl) {
			iov[cnt].iov_base = (char *)(uintptr_t)f->out +
			    f->sent;
			iov[cnt++].iov_len = hl - f->sent;
		}
		want = f->sent < hl ? hl : f->sent;
		iov[cnt].iov_base = (char *)(uintptr_t)f->out + want;
		iov[cnt++].iov_len = BIG - want;
		want = BIG - f->sent;
		w = f->c->xprt->sendv(f->c, iov, cnt);
		if (w > 0) {
			f->sent += (size_t)w;
			if ((size_t)w < want)
				f->partial++;
		} else {
			assert_int_equal(w, -EAGAIN);
			f->partial++;
		}
	}
	for (;;) {
		w = f->c->xprt->recv(f->c, f->in + f->got, BIG - f->got);
		if (w == -EAGAIN || f->got == BIG)
			break;
		assert_true(w > 0);
		f->got += (size_t)w;
	}
	conn_want(f->c, EVL_READ | (f->sent < BIG ? EVL_WRITE : 0));
}

static void
test_mib(void **state)
{
	void *sctx = ctx_server(NULL, 0), *cctx = ctx_client(path_ca, NULL,
	    NULL, 0);
	struct conn a, b, *w[2] = { &a, &b };
	struct flow fa, fb;
	char *oa = malloc(BIG), *ob = malloc(BIG);
	char *ia = malloc(BIG), *ib = malloc(BIG);
	int sv[2], ra, rb, sz = 8192;

	(void)state;
	assert_true(oa && ob && ia && ib);
	fill(oa, BIG, 1);
	fill(ob, BIG, 2);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	conn_on(&a, sv[0]);
	conn_on(&b, sv[1]);
	assert_int_equal(xprt_tls_connect(&a, cctx, "test.example"), 0);
	accept_leaf(&b, sctx, &leaf, NULL, 0);
	hs2(&a, &b, &ra, &rb);
	assert_int_equal(ra + rb, 2);
	fa = (struct flow){ &a, oa, 0, ia, 0, 0 };
	fb = (struct flow){ &b, ob, 0, ib, 0, 0 };
	while (fa.sent < BIG || fb.sent < BIG || fa.got < BIG ||
	    fb.got < BIG) {
		flow_step(&fa);
		flow_step(&fb);
		if (fa.sent < BIG || fb.sent < BIG || fa.got < BIG ||
		    fb.got < BIG)
			wait_events(w, 2);
	}
	assert_memory_equal(ia, ob, BIG);
	assert_memory_equal(ib, oa, BIG);
	/* The socket buffers are far smaller than 1 MiB. */
	assert_true(fa.partial > 10);
	assert_true(fb.partial > 10);
	conn_close(&a);
	conn_close(&b);
	free(oa);
	free(ob);
	free(ia);
	free(ib);
	tls_ctx_free(sctx);
	tls_ctx_free(cctx);
}

/* ------------------------------------------------------------------ */
/* close_notify; a cut without it; garbage */

static void
test_close_notify(void **state)
{
	void *sctx = ctx_server(NULL, 0), *cctx = ctx_client(path_ca, NULL,
	    NULL, 0);
	struct conn a, b;
	char buf[64];
	int sv[2], ra, rb, cut;

	(void)state;
	for (cut = 0; cut < 2; cut++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		conn_on(&a, sv[0]);
		conn_on(&b, sv[1]);
		assert_int_equal(xprt_tls_connect(&a, cctx, "test.example"),
		    0);
		accept_leaf(&b, sctx, &leaf, NULL, 0);
		hs2(&a, &b, &ra, &rb);
		assert_int_equal(ra + rb, 2);
		send_all(&b, "bye", 3, 0);
		if (cut) {
			/* FIN without close_notify: a truncation. */
			assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
			assert_int_equal(recv_all(&a, buf, sizeof(buf), 3), 3);
			assert_int_equal(recv_all(&a, buf, sizeof(buf), 1),
			    -EPROTO);
			assert_string_not_equal(xprt_tls_error(&a), "");
		} else {
			conn_shutw(&b);
			assert_true(b.shut_wr);
			assert_int_equal(recv_all(&a, buf, sizeof(buf), 64),
			    3);
			assert_memory_equal(buf, "bye", 3);
			/* Ended by close_notify: 0 again, not an error. */
			assert_int_equal(a.xprt->recv(&a, buf, sizeof(buf)),
			    0);
		}
		conn_close(&a);
		conn_close(&b);
	}
	tls_ctx_free(sctx);
	tls_ctx_free(cctx);
}

struct garbage_case {
	const char *name;
	const char *bytes;
	size_t      len;
	int         pre;	/* given as pre-read bytes, not sent */
};

static const struct garbage_case garbage_cases[] = {
	{ "http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, 0 },
	{ "http-pre", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, 1 },
	{ "bad-record", "\x16\x03\x01\x00\x05\x01\x00\x00\x01\xff", 10, 0 },
	{ "alert-pre", "\x15\x03\x03\x00\x02\x02\x28", 7, 1 },
};

static void
test_garbage(void **state)
{
	const struct garbage_case *t = *state;
	void *sctx = ctx_server(NULL, 0);
	struct conn b;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	conn_on(&b, sv[1]);
	if (!t->pre)
		assert_int_equal(write(sv[0], t->bytes, t->len),
		    (ssize_t)t->len);
	accept_leaf(&b, sctx, &leaf, t->pre ? t->bytes : NULL,
	    t->pre ? t->len : 0);
	assert_int_equal(hs1(&b), -EPROTO);
	assert_string_not_equal(xprt_tls_error(&b), "");
	fprintf(stderr, "   %s: %s\n", t->name, xprt_tls_error(&b));
	conn_close(&b);
	close(sv[0]);
	tls_ctx_free(sctx);
}

int
main(void)
{
	struct CMUnitTest t[64];
	size_t n = 0;

	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_mib);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_close_notify);
	ROWS(test_garbage, garbage_cases, t, n);
	return _cmocka_run_group_tests("xprt_tls_records", t, n, setup,
	    teardown);
}
