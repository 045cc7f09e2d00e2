/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_xprt_tls_peers.c - the TLS transport (src/net/xprt_tls.c)
 * against real peers: `openssl s_client`, `curl --cacert` (server role),
 * `openssl s_server` (client role), tshark (key log).
 *
 * The certificates, the poll loop and the contexts: xtls_fixture.h.
 */
#include "xtls_fixture.h"

/* Run argv with stdin from in (or /dev/null) and stdout+stderr to out. */
static pid_t
spawn(char *const argv[], const char *in, const char *out)
{
	pid_t pid = fork();
	int fd;

	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(in != NULL ? in : "/dev/null", O_RDONLY);
		dup2(fd, 0);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Its exit status, killing it after WAIT_MS. */
static int
reap(pid_t pid)
{
	int st, i;

	for (i = 0; i < WAIT_MS / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	/* A child may not have created it yet. */
	buf[0] = '\0';
	if (f == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Server role against openssl s_client and curl */

/* Accept one TCP connection from a spawned client and serve it: the
 * handshake, then read until the text until arrives, answer reply, and
 * close with close_notify. Returns the info of the connection. */
static void
serve_one(int l, const char *until, const char *reply,
	  struct xprt_tls_info *i, size_t pre)
{
	struct pollfd pf;
	char hello[64];
	void *sctx = ctx_server(NULL, 0);
	struct conn b;
	char buf[4096];
	size_t got = 0;
	ssize_t r;
	int fd = accept_wait(l);

	assert_true(fd >= 0);
	conn_on(&b, fd);
	/* The first pre bytes of the client's hello already read, as the
	 * peek leaves them. */
	if (pre > 0) {
		pf.fd = fd;
		pf.events = POLLIN;
		assert_int_equal(poll(&pf, 1, WAIT_MS), 1);
		assert_true(pre <= sizeof(hello));
		assert_int_equal(recv(fd, hello, pre, MSG_WAITALL),
		    (ssize_t)pre);
	}
	accept_leaf(&b, sctx, &leaf, hello, pre);
	if (hs1(&b) != 1)
		fail_msg("handshake: %s", xprt_tls_error(&b));
	xprt_tls_info(&b, i);
	i->cipher = strdup(i->cipher);
	i->alpn = strdup(i->alpn);
	while (got + 1 < sizeof(buf)) {
		r = recv_all(&b, buf + got, sizeof(buf) - 1 - got, 1);
		assert_true(r > 0);
		got += (size_t)r;
		buf[got] = '\0';
		if (strstr(buf, until) != NULL)
			break;
	}
	send_all(&b, reply, strlen(reply), 0);
	conn_shutw(&b);
	conn_close(&b);
	tls_ctx_free(sctx);
}

static void
info_free(struct xprt_tls_info *i)
{
	free((char *)(uintptr_t)i->cipher);
	free((char *)(uintptr_t)i->alpn);
}

/* openssl s_client runs: version, ALPN offered, what it must say about
 * ALPN and what the server selects, hello bytes read before. */
static const struct {
	const char *version;
	const char *alpn;
	const char *said;
	const char *selected;
	size_t      pre;
} s_client_runs[] = {
	{ "-tls1_2", "http/1.1", "ALPN protocol: http/1.1", "http/1.1", 0 },
	{ "-tls1_3", "h2,http/1.1", "ALPN protocol: http/1.1", "http/1.1",
	  11 },
	/* Only h2 offered: no ALPN in the answer. */
	{ "-tls1_3", "h2", "No ALPN negotiated", "", 0 },
};

static void
test_s_client(void **state)
{
	struct xprt_tls_info i;
	char in[160], out[160], port[32], *o;
	unsigned v;
	pid_t pid;
	int l, p;
	FILE *f;

	(void)state;
	snprintf(in, sizeof(in), "%s/s_client.in", dir);
	snprintf(out, sizeof(out), "%s/s_client.out", dir);
	f = fopen(in, "w");
	assert_non_null(f);
	fputs("ping\n", f);
	fclose(f);
	for (v = 0; v < NELEM(s_client_runs); v++) {
		l = listener(&p);
		snprintf(port, sizeof(port), "127.0.0.1:%d", p);
		{
			char *const argv[] = { "openssl", "s_client",
			    "-connect", port, "-servername", "test.example",
			    "-verify_hostname", "test.example",
			    "-verify_return_error", "-CAfile", path_ca,
			    "-alpn", (char *)(uintptr_t)s_client_runs[v].alpn,
			    "-ign_eof",
			    (char *)(uintptr_t)s_client_runs[v].version,
			    NULL };

			pid = spawn(argv, in, out);
		}
		serve_one(l, "ping\n", "pong\n", &i, s_client_runs[v].pre);
		assert_int_equal(reap(pid), 0);
		close(l);
		o = slurp(out);
		if (strstr(o, "pong") == NULL ||
		    strstr(o, "Verify return code: 0 (ok)") == NULL ||
		    strstr(o, s_client_runs[v].said) == NULL)
			fail_msg("s_client %s -alpn %s said:\n%s",
			    s_client_runs[v].version, s_client_runs[v].alpn, o);
		assert_int_equal(i.version,
		    strcmp(s_client_runs[v].version, "-tls1_2") == 0 ?
		    TLS_V_1_2 : TLS_V_1_3);
		assert_string_equal(i.alpn, s_client_runs[v].selected);
		info_free(&i);
	}
}

/* curl, with its hello read from the socket or partly given as bytes
 * already read (a record header and a bit). */
static void
test_curl(void **state)
{
	static const size_t pre[] = { 0, 7, 64 };
	struct xprt_tls_info i;
	char out[160], res[96], url[96];
	unsigned k;
	pid_t pid;
	int l, p;

	(void)state;
	for (k = 0; k < NELEM(pre); k++) {
		l = listener(&p);
		snprintf(out, sizeof(out), "%s/curl.out", dir);
		snprintf(res, sizeof(res), "test.example:%d:127.0.0.1", p);
		snprintf(url, sizeof(url), "https://test.example:%d/hello", p);
		{
			char *const argv[] = { "curl", "-sS", "--max-time",
			    "10", "--cacert", path_ca, "--resolve", res, url,
			    NULL };

			pid = spawn(argv, NULL, out);
		}
		serve_one(l, "\r\n\r\n", "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 6\r\nConnection: close\r\n\r\nhello\n",
		    &i, pre[k]);
		assert_int_equal(reap(pid), 0);
		close(l);
		assert_string_equal(slurp(out), "hello\n");
		/* curl offers h2 and http/1.1: the server picks http/1.1. */
		assert_string_equal(i.alpn, "http/1.1");
		info_free(&i);
	}
}

/* ------------------------------------------------------------------ */
/* Client role against openssl s_server */

struct peer_case {
	const char *name;
	const struct cred *cred;
	const char *host;
	int         capath;	/* trust from the hashed directory */
	const char *errs[3];	/* expected, in any order */
};

static const struct peer_case peer_cases[] = {
	{ "good", &leaf, "test.example", 0, { NULL } },
	{ "good-ip", &leaf, "127.0.0.1", 0, { NULL } },
	{ "good-capath", &leaf, "test.example", 1, { NULL } },
	{ "expired", &expired, "test.example", 0,
	  { "X509_V_ERR_CERT_HAS_EXPIRED", NULL } },
	{ "self-signed", &self, "test.example", 0,
	  { "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT", NULL } },
	{ "wrong-host", &leaf, "other.example", 0,
	  { "SQUID_X509_V_ERR_DOMAIN_MISMATCH", NULL } },
	{ "expired-capath", &expired, "other.example", 1,
	  { "X509_V_ERR_CERT_HAS_EXPIRED",
	    "SQUID_X509_V_ERR_DOMAIN_MISMATCH", NULL } },
};

/* Connect to 127.0.0.1:port, retrying while the server starts. */
static int
connect_retry(int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET };
	int fd, i;

	s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.sin_port = htons((uint16_t)port);
	for (i = 0; i < WAIT_MS / 20; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&s, sizeof(s)) == 0)
			return fd;
		close(fd);
		usleep(20000);
	}
	fail_msg("nothing listens on port %d", port);
	return -1;
}

static void
test_s_server(void **state)
{
	const struct peer_case *t = *state;
	void *cctx = ctx_client(t->capath ? NULL : path_ca,
	    t->capath ? path_capath : NULL, NULL, 0);
	const char *errs[8];
	const uint8_t *der;
	size_t dlen;
	char out[160], acc[32], chain[160];
	struct conn a;
	pid_t pid;
	int l, p, n, i, j;

	l = listener(&p);
	close(l);
	snprintf(acc, sizeof(acc), "127.0.0.1:%d", p);
	snprintf(out, sizeof(out), "%s/s_server.out", dir);
	snprintf(chain, sizeof(chain), "%s", ca.pem);
	{
		char *const argv[] = { "openssl", "s_server", "-accept", acc,
		    "-cert", (char *)(uintptr_t)t->cred->pem,
		    "-key", (char *)(uintptr_t)t->cred->key,
		    "-cert_chain", chain, "-naccept", "1", "-quiet", NULL };

		pid = spawn(argv, NULL, out);
	}
	conn_on(&a, connect_retry(p));
	assert_int_equal(xprt_tls_connect(&a, cctx, t->host), 0);
	if (hs1(&a) != 1)
		fail_msg("handshake: %s", xprt_tls_error(&a));
	n = xprt_tls_peer(&a, &der, &dlen, errs, 8);
	assert_true(dlen > 100);
	for (j = 0; t->errs[j] != NULL; j++)
		;
	if (n != j)
		fail_msg("%s: %d errors, %d expected (first: %s)", t->name,
		    n, j, n > 0 ? errs[0] : "-");
	for (j = 0; t->errs[j] != NULL; j++) {
		for (i = 0; i < n && strcmp(errs[i], t->errs[j]) != 0; i++)
			;
		if (i == n)
			fail_msg("%s: %s missing", t->name, t->errs[j]);
	}
	conn_shutw(&a);
	conn_close(&a);
	kill(pid, SIGTERM);
	reap(pid);
	tls_ctx_free(cctx);
}

/* ------------------------------------------------------------------ */
/* Key log */

struct klog {
	char   lines[16][512];
	int    n;
};

static void
klog_cb(void *arg, const char *line)
{
	struct klog *k = arg;

	if (k->n < 16)
		snprintf(k->lines[k->n++], sizeof(k->lines[0]), "%s", line);
}

/* Is s n hex digits followed by end or blank? */
static int
hexlen(const char *s)
{
	int n = 0;

	while ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))
		n++;
	return n;
}

/* OpenSSL's documented format (SSL_CTX_set_keylog_callback(3), NSS):
 * LABEL <client random, 64 hex> <secret, hex>. */
static void
klog_check(const struct klog *k, int tls13)
{
	static const char *const l13[] = { "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	    "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
	    "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET" };
	const char *sp;
	unsigned i;
	int j;

	if (!tls13) {
		assert_int_equal(k->n, 1);
		assert_memory_equal(k->lines[0], "CLIENT_RANDOM ", 14);
		assert_int_equal(hexlen(k->lines[0] + 14), 64);
		assert_int_equal(k->lines[0][78], ' ');
		assert_int_equal(hexlen(k->lines[0] + 79), 96);
		assert_int_equal(strlen(k->lines[0]), 79 + 96);
		return;
	}
	assert_int_equal(k->n, (int)NELEM(l13));
	for (i = 0; i < NELEM(l13); i++) {
		for (j = 0; j < k->n; j++)
			if (strncmp(k->lines[j], l13[i], strlen(l13[i])) == 0 &&
			    k->lines[j][strlen(l13[i])] == ' ')
				break;
		assert_true(j < k->n);
		sp = k->lines[j] + strlen(l13[i]) + 1;
		assert_int_equal(hexlen(sp), 64);
		/* SHA-256 or SHA-384 secrets. */
		assert_true(hexlen(sp + 65) == 64 || hexlen(sp + 65) == 96);
		assert_null(strchr(sp, '\n'));
	}
}

static int
have(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/*
 * Both ends log; the lines are the same on both sides and in the NSS
 * format. Then, over loopback TCP captured by tshark, a request sent
 * through our pair is decrypted by tshark with the client's lines.
 */
static void
test_keylog(void **state)
{
	static const char req[] =
	    "GET /keylog-secret-path HTTP/1.1\r\nHost: test.example\r\n\r\n";
	static struct klog kc, ks;
	const char *opts = *state;
	int tls13 = opts == NULL;
	void *sctx = ctx_server(opts, 0), *cctx = ctx_client(path_ca, NULL,
	    opts, 0);
	char cap[160], kl[160], out[160], filt[64], dec[64], *o;
	struct conn a, b;
	char buf[128];
	int fa, fb, ra, rb, j, l, port;
	/* Capturing needs root (or tshark's capabilities). */
	int tshark = have("tshark") && geteuid() == 0;
	pid_t pid = -1;
	FILE *f;

	memset(&kc, 0, sizeof(kc));
	memset(&ks, 0, sizeof(ks));
	l = listener(&port);
	snprintf(cap, sizeof(cap), "%s/keylog%d.pcapng", dir, tls13);
	snprintf(kl, sizeof(kl), "%s/keylog%d.txt", dir, tls13);
	snprintf(out, sizeof(out), "%s/tshark%d.out", dir, tls13);
	snprintf(filt, sizeof(filt), "tcp port %d", port);
	/* Not a TLS port: tell tshark what it carries. */
	snprintf(dec, sizeof(dec), "tcp.port==%d,tls", port);
	if (tshark) {
		char *const argv[] = { "tshark", "-q", "-i", "lo", "-f", filt,
		    "-w", cap, NULL };

		pid = spawn(argv, NULL, out);
		/* tshark says "Capturing on 'Loopback: lo'" when ready. */
		for (j = 0; j < 1000 && strstr(slurp(out), "Capturing") ==
		    NULL; j++)
			usleep(10000);
		/* ... a little before it really captures. */
		sleep(1);
	}
	/* The whole connection is captured, from its SYN. */
	tcp_connect(l, port, &fa, &fb);
	close(l);
	conn_on(&a, fa);
	conn_on(&b, fb);
	assert_int_equal(xprt_tls_connect(&a, cctx, "test.example"), 0);
	accept_leaf(&b, sctx, &leaf, NULL, 0);
	xprt_tls_keylog(&a, klog_cb, &kc);
	xprt_tls_keylog(&b, klog_cb, &ks);
	hs2(&a, &b, &ra, &rb);
	assert_int_equal(ra + rb, 2);
	send_all(&a, req, sizeof(req) - 1, 0);
	assert_int_equal(recv_all(&b, buf, sizeof(buf), sizeof(req) - 1),
	    (ssize_t)(sizeof(req) - 1));
	conn_shutw(&a);
	conn_shutw(&b);
	conn_close(&a);
	conn_close(&b);
	tls_ctx_free(sctx);
	tls_ctx_free(cctx);
	klog_check(&kc, tls13);
	klog_check(&ks, tls13);
	/* The same secrets on both sides (logged in another order). */
	assert_int_equal(kc.n, ks.n);
	for (j = 0; j < kc.n; j++) {
		for (l = 0; l < ks.n && strcmp(kc.lines[j], ks.lines[l]) != 0;
		     l++)
			;
		if (l == ks.n)
			fail_msg("the server lacks %s", kc.lines[j]);
	}
	if (!tshark) {
		fprintf(stderr, "   no tshark or not root: line format "
		    "only\n");
		return;
	}
	f = fopen(kl, "w");
	assert_non_null(f);
	for (j = 0; j < kc.n; j++)
		fprintf(f, "%s\n", kc.lines[j]);
	fclose(f);
	usleep(300000);
	kill(pid, SIGINT);
	assert_int_equal(reap(pid), 0);
	{
		char klopt[200];
		char *const argv[] = { "tshark", "-n", "-r", cap, "-o", klopt,
		    "-d", dec, "-Y", "http.request", "-T", "fields", "-e",
		    "http.request.uri", NULL };

		snprintf(klopt, sizeof(klopt), "tls.keylog_file:%s", kl);
		pid = spawn(argv, NULL, out);
		assert_int_equal(reap(pid), 0);
	}
	o = slurp(out);
	if (strstr(o, "/keylog-secret-path") == NULL)
		fail_msg("tshark did not decrypt the request:\n%s", o);
	/* Without the key log it cannot. */
	{
		char *const argv[] = { "tshark", "-n", "-r", cap, "-d", dec,
		    "-Y", "http.request", "-T", "fields", "-e",
		    "http.request.uri", NULL };

		pid = spawn(argv, NULL, out);
		assert_int_equal(reap(pid), 0);
	}
	assert_null(strstr(slurp(out), "/keylog-secret-path"));
}

int
main(void)
{
	struct CMUnitTest t[64];
	size_t n = 0;

	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_s_client);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_curl);
	ROWS(test_s_server, peer_cases, t, n);
	t[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_keylog,
	    NULL);
	t[n++].name = "keylog-tls13";
	t[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_keylog,
	    (void *)(uintptr_t)"NO_TLSv1_3");
	t[n++].name = "keylog-tls12";
	return _cmocka_run_group_tests("xprt_tls_peers", t, n, setup,
	    teardown);
}
