/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_xprt_tls_handshake.c - the TLS transport (src/net/xprt_tls.c)
 * against itself, the handshake: context options, pairs over socketpairs
 * and loopback TCP (kernel TLS where the kernel has it), mismatches that
 * must fail, a ClientHello already read.
 *
 * The certificates, the poll loop and the contexts: xtls_fixture.h.
 */
#include "xtls_fixture.h"

/* Can this kernel do TLS in the socket (CONFIG_TLS)? Attaching the "tls"
 * ULP to a connected TCP socket says (ENOENT: no). */
static int
kernel_has_ktls(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l, s, t, ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	getsockname(l, (struct sockaddr *)&a, &al);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	t = accept(l, NULL, NULL);
	ok = setsockopt(s, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) == 0;
	close(t);
	close(s);
	close(l);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Contexts */

struct opt_case {
	const char *name;
	int         server;
	const char *options;
	const char *ciphers;
	int         min_version;
	const char *err;	/* a part of the error, NULL: accepted */
};

static const struct opt_case opt_cases[] = {
	{ "none", 0, NULL, NULL, 0, NULL },
	{ "squid-list", 1, "NO_SSLv3,NO_TLSv1:NO_TLSv1_1,SINGLE_DH_USE",
	  NULL, 0, NULL },
	{ "ticket-ecdh", 0, "NO_TICKET,SINGLE_ECDH_USE,-NO_TLSv1_3", NULL, 0,
	  NULL },
	{ "unknown", 0, "NO_SSLv3,NO_FROBNICATE", NULL, 0,
	  "unknown TLS option 'NO_FROBNICATE'" },
	{ "ciphers-ok", 1, NULL, "ECDHE-ECDSA-AES128-GCM-SHA256", 0, NULL },
	{ "ciphers-bad", 0, NULL, "NOT-A-CIPHER", 0, "cipher=NOT-A-CIPHER" },
	{ "min-1.3", 0, NULL, NULL, TLS1_3_VERSION, NULL },
	{ "min-bad", 0, NULL, NULL, 0x9999, "minimum TLS version" },
};

static void
test_ctx_options(void **state)
{
	const struct opt_case *t = *state;
	struct tls_ctx_opts o = { .options = t->options,
				  .ciphers = t->ciphers,
				  .min_version = t->min_version };
	char err[256] = "";
	void *ctx = tls_ctx_new(t->server, &o, err, sizeof(err));

	if (t->err == NULL) {
		if (ctx == NULL)
			fail_msg("%s: %s", t->name, err);
	} else {
		assert_null(ctx);
		if (strstr(err, t->err) == NULL)
			fail_msg("%s: '%s' lacks '%s'", t->name, err, t->err);
	}
	tls_ctx_free(ctx);
}

/* ------------------------------------------------------------------ */
/* Both roles against each other */

struct pair_case {
	const char *name;
	const char *options;	/* of both contexts */
	uint16_t    version;
	int         ktls;
};

static const struct pair_case pair_cases[] = {
	{ "tls13", NULL, TLS_V_1_3, 0 },
	{ "tls12", "NO_TLSv1_3", TLS_V_1_2, 0 },
	{ "tls13-ktls", NULL, TLS_V_1_3, 1 },
	{ "tls12-ktls", "NO_TLSv1_3", TLS_V_1_2, 1 },
};

static void
test_pair(void **state)
{
	const struct pair_case *t = *state;
	void *sctx = ctx_server(t->options, t->ktls);
	void *cctx = ctx_client(path_ca, NULL, t->options, t->ktls);
	struct xprt_tls_info si, ci;
	struct conn a, b;
	const uint8_t *der;
	uint8_t *mine = NULL;
	const char *errs[8];
	size_t dlen;
	char buf[64];
	int fa, fb, ra, rb, kernel = kernel_has_ktls();

	/* TCP: kernel TLS needs it. */
	tcp_pair(&fa, &fb);
	conn_on(&a, fa);
	conn_on(&b, fb);
	assert_int_equal(xprt_tls_connect(&a, cctx, "test.example"), 0);
	accept_leaf(&b, sctx, &leaf, NULL, 0);
	hs2(&a, &b, &ra, &rb);
	assert_int_equal(ra, 1);
	assert_int_equal(rb, 1);
	xprt_tls_info(&a, &ci);
	xprt_tls_info(&b, &si);
	assert_int_equal(ci.version, t->version);
	assert_int_equal(si.version, t->version);
	assert_string_equal(ci.alpn, "http/1.1");
	assert_string_equal(si.alpn, "http/1.1");
	assert_string_equal(ci.cipher, si.cipher);
	assert_non_null(strstr(ci.cipher, "GCM"));
	/* Kernel TLS: on exactly when asked for and the kernel has it. */
	assert_int_equal(ci.ktls_send, t->ktls && kernel);
	assert_int_equal(si.ktls_send, t->ktls && kernel);
	assert_int_equal(conn_can_splice(&a),
	    t->ktls && kernel && ci.ktls_recv);
	assert_int_equal(xprt_tls_peer(&a, &der, &dlen, errs, 8), 0);
	assert_int_equal(dlen, (size_t)i2d_X509(leaf.x, &mine));
	assert_memory_equal(der, mine, dlen);
	OPENSSL_free(mine);
	send_all(&a, "ping", 4, 0);
	assert_int_equal(recv_all(&b, buf, sizeof(buf), 4), 4);
	assert_memory_equal(buf, "ping", 4);
	conn_close(&a);
	conn_close(&b);
	tls_ctx_free(sctx);
	tls_ctx_free(cctx);
	fprintf(stderr, "   %s: %s, kTLS send %d recv %d (kernel TLS %s)\n",
	    t->name, ci.cipher, ci.ktls_send, ci.ktls_recv,
	    kernel ? "available" : "not available: CONFIG_TLS unset");
}

/* Versions the two ends cannot agree on: both handshakes fail. */
struct mismatch_case {
	const char *name;
	const char *s_options;
	int         s_min;
	const char *c_options;
	int         c_min;
};

static const struct mismatch_case mismatch_cases[] = {
	{ "client-min-1.3", "NO_TLSv1_3", 0, NULL, TLS1_3_VERSION },
	{ "server-min-1.3", NULL, TLS1_3_VERSION, "NO_TLSv1_3", 0 },
	{ "client-no-1.2", "NO_TLSv1_3", 0, "NO_TLSv1_2", 0 },
	/* (The default minimum, TLS 1.2, cannot be told apart here:
	 * OpenSSL 3 refuses TLS 1.0 and 1.1 at its default security
	 * level anyway.) */
};

static void
test_mismatch(void **state)
{
	const struct mismatch_case *t = *state;
	struct tls_ctx_opts so = { .options = t->s_options,
				   .min_version = t->s_min };
	struct tls_ctx_opts co = { .options = t->c_options,
				   .min_version = t->c_min };
	char err[256];
	void *sctx = tls_ctx_new(1, &so, err, sizeof(err));
	void *cctx = tls_ctx_new(0, &co, err, sizeof(err));
	struct conn a, b;
	int sv[2], ra, rb;

	assert_non_null(sctx);
	assert_non_null(cctx);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	conn_on(&a, sv[0]);
	conn_on(&b, sv[1]);
	assert_int_equal(xprt_tls_connect(&a, cctx, "test.example"), 0);
	accept_leaf(&b, sctx, &leaf, NULL, 0);
	hs2(&a, &b, &ra, &rb);
	/* The end that finds no common version fails with -EPROTO and
	 * says why; the other sees the alert or the close. */
	assert_true(ra < 0);
	assert_true(rb < 0);
	assert_true(ra == -EPROTO || rb == -EPROTO);
	conn_close(&a);
	conn_close(&b);
	tls_ctx_free(sctx);
	tls_ctx_free(cctx);
}

/* ------------------------------------------------------------------ */
/* Server role with the ClientHello already read, split at odd places */

static const size_t split_at[] = { 1, 2, 3, 5, 6, 9, 77, 200, 0 /* all
    but one */, SIZE_MAX /* all */ };

static void
test_preread(void **state)
{
	void *sctx = ctx_server(NULL, 0), *cctx = ctx_client(path_ca, NULL,
	    NULL, 0);
	struct pollfd p;
	struct conn a, b;
	char hello[4096], buf[16];
	ssize_t hl, k;
	unsigned i;
	int sv[2], ra, rb;

	(void)state;
	for (i = 0; i < NELEM(split_at); i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		conn_on(&a, sv[0]);
		conn_on(&b, sv[1]);
		assert_int_equal(xprt_tls_connect(&a, cctx, "test.example"),
		    0);
		assert_int_equal(xprt_tls_handshake(&a), 0);
		/* The whole hello is in the socket: peek at its size. */
		p.fd = sv[1];
		p.events = POLLIN;
		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		hl = recv(sv[1], hello, sizeof(hello), MSG_PEEK);
		assert_true(hl > 200);
		k = split_at[i] == 0 ? hl - 1 : split_at[i] == SIZE_MAX ? hl :
		    (ssize_t)split_at[i];
		assert_int_equal(read(sv[1], hello, (size_t)k), k);
		accept_leaf(&b, sctx, &leaf, hello, (size_t)k);
		/* The caller's copy is not used after accept. */
		memset(hello, 'x', (size_t)k);
		hs2(&a, &b, &ra, &rb);
		if (ra != 1 || rb != 1)
			fail_msg("split at %zd of %zd: %d %d (%s / %s)", k,
			    hl, ra, rb, xprt_tls_error(&a),
			    xprt_tls_error(&b));
		send_all(&b, "pong", 4, 0);
		assert_int_equal(recv_all(&a, buf, sizeof(buf), 4), 4);
		assert_memory_equal(buf, "pong", 4);
		conn_close(&a);
		conn_close(&b);
	}
	tls_ctx_free(sctx);
	tls_ctx_free(cctx);
}

int
main(void)
{
	struct CMUnitTest t[64];
	size_t n = 0;

	ROWS(test_ctx_options, opt_cases, t, n);
	ROWS(test_pair, pair_cases, t, n);
	ROWS(test_mismatch, mismatch_cases, t, n);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_preread);
	return _cmocka_run_group_tests("xprt_tls_handshake", t, n, setup,
	    teardown);
}
