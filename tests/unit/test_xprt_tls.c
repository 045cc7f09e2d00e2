/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_xprt_tls.c - the TLS transport (src/net/xprt_tls.c) against itself
 * and against real peers: `openssl s_client`, `curl --cacert` (server
 * role), `openssl s_server` (client role), tshark (key log).
 *
 * The certificates are made here with OpenSSL's API in a scratch
 * directory: a test CA, a leaf for test.example and 127.0.0.1, an expired
 * leaf and a self-signed one. Connections are socketpairs or loopback TCP,
 * driven by a plain poll loop (the transport asks for events through
 * conn_want(); the loop reads them back with evl_io_events()).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "event/loop.h"
#include "net/conn.h"
#include "net/xprt_tls.h"
#include "tls/tls-t.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define WAIT_MS		10000

static char dir[64];
static char path_ca[128], path_capath[128];

/* A certificate and its key, and the files they are in. */
struct cred {
	X509     *x;
	EVP_PKEY *k;
	char      pem[128];
	char      key[128];
};
static struct cred ca, leaf, expired, self;

/* ------------------------------------------------------------------ */
/* Certificates */

static EVP_PKEY *
key_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static void
ext_add(X509 *x, X509 *issuer, int nid, const char *v)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, v);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn (a CA when san is NULL), valid from days_from to
 * days_to relative to now, signed by issuer (itself when NULL). */
static void
cred_make(struct cred *c, const char *name, const char *cn, const char *san,
	  long days_from, long days_to, const struct cred *issuer)
{
	static long serial = 1;
	X509_NAME *n;
	FILE *f;

	c->k = key_new();
	c->x = X509_new();
	assert_non_null(c->x);
	X509_set_version(c->x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c->x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c->x), days_from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(c->x), days_to * 86400);
	X509_set_pubkey(c->x, c->k);
	n = X509_get_subject_name(c->x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"tproxyd tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c->x, issuer != NULL ?
	    X509_get_subject_name(issuer->x) : n);
	if (san == NULL) {
		ext_add(c->x, c->x, NID_basic_constraints,
		    "critical,CA:TRUE");
		ext_add(c->x, c->x, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
		ext_add(c->x, c->x, NID_subject_key_identifier, "hash");
	} else {
		ext_add(c->x, issuer != NULL ? issuer->x : c->x,
		    NID_subject_alt_name, san);
		ext_add(c->x, c->x, NID_ext_key_usage, "serverAuth");
	}
	assert_true(X509_sign(c->x, issuer != NULL ? issuer->k : c->k,
	    EVP_sha256()) > 0);
	snprintf(c->pem, sizeof(c->pem), "%s/%s.pem", dir, name);
	snprintf(c->key, sizeof(c->key), "%s/%s.key", dir, name);
	f = fopen(c->pem, "w");
	assert_non_null(f);
	PEM_write_X509(f, c->x);
	fclose(f);
	f = fopen(c->key, "w");
	assert_non_null(f);
	assert_int_equal(fchmod(fileno(f), 0600), 0);
	PEM_write_PrivateKey(f, c->k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

static void
cred_free(struct cred *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->k);
}

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

static int
setup(void **state)
{
	char hash[160];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(evl_init(), 0);
	snprintf(dir, sizeof(dir), "/tmp/test_xprt_tls.XXXXXX");
	assert_non_null(mkdtemp(dir));
	cred_make(&ca, "ca", "tproxyd test CA", NULL, -1, 365, NULL);
	cred_make(&leaf, "leaf", "test.example",
	    "DNS:test.example,IP:127.0.0.1", -1, 30, &ca);
	cred_make(&expired, "expired", "test.example", "DNS:test.example",
	    -30, -1, &ca);
	cred_make(&self, "self", "test.example", "DNS:test.example", -1, 30,
	    NULL);
	snprintf(path_ca, sizeof(path_ca), "%s", ca.pem);
	/* A hashed directory with the CA (as `openssl rehash` makes). */
	snprintf(path_capath, sizeof(path_capath), "%s/capath", dir);
	assert_int_equal(mkdir(path_capath, 0700), 0);
	snprintf(hash, sizeof(hash), "%s/%08lx.0", path_capath,
	    X509_subject_name_hash(ca.x));
	assert_int_equal(symlink(ca.pem, hash), 0);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	cred_free(&ca);
	cred_free(&leaf);
	cred_free(&expired);
	cred_free(&self);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (getenv("KEEP_TMP") == NULL && system(cmd) != 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connections and the poll loop */

static void
io_cb(struct evl_io *io, int revents)
{
	(void)io;
	(void)revents;
}

static void
nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
conn_on(struct conn *c, int fd)
{
	nonblock(fd);
	conn_init(c, fd, &xprt_raw, io_cb, NULL);
}

/* Wait until one of the n conns gets an event it asked for. */
static void
wait_events(struct conn **c, int n)
{
	struct pollfd p[4];
	int i, ev;

	for (i = 0; i < n; i++) {
		ev = evl_io_events(&c[i]->io);
		p[i].fd = c[i]->fd;
		p[i].events = (short)((ev & EVL_READ ? POLLIN : 0) |
		    (ev & EVL_WRITE ? POLLOUT : 0));
	}
	assert_true(poll(p, (nfds_t)n, WAIT_MS) > 0);
}

/* Drive one handshake to its end: its result. */
static int
hs1(struct conn *c)
{
	int r, i = 0;

	while ((r = xprt_tls_handshake(c)) == 0) {
		/* A handshake is a few round trips, not thousands. */
		if (++i > 1000)
			fail_msg("the handshake does not end");
		wait_events(&c, 1);
	}
	return r;
}

/* Drive two handshakes (the two ends of a pair); both results. */
static void
hs2(struct conn *a, struct conn *b, int *ra, int *rb)
{
	struct conn *w[2];
	int n, i;

	*ra = *rb = 0;
	for (i = 0;; i++) {
		if (i > 1000)
			fail_msg("the handshakes do not end");
		if (*ra == 0)
			*ra = xprt_tls_handshake(a);
		if (*rb == 0)
			*rb = xprt_tls_handshake(b);
		if (*ra != 0 && *rb != 0)
			return;
		/* One side failed: the other learns it from the socket
		 * (alert or close). */
		if (*ra < 0 && *rb == 0)
			conn_close(a);
		if (*rb < 0 && *ra == 0)
			conn_close(b);
		n = 0;
		if (*ra == 0)
			w[n++] = a;
		if (*rb == 0)
			w[n++] = b;
		wait_events(w, n);
	}
}

/* Write all n bytes of p (as a head of hl bytes and the rest, two
 * iovecs, when hl > 0). */
static void
send_all(struct conn *c, const char *p, size_t n, size_t hl)
{
	struct iovec iov[2];
	size_t off = 0, rest;
	ssize_t w;
	int cnt;

	while (off < n) {
		cnt = 0;
		if (off < hl) {
			iov[cnt].iov_base = (char *)(uintptr_t)p + off;
			iov[cnt++].iov_len = hl - off;
		}
		rest = off > hl ? off : hl;
		iov[cnt].iov_base = (char *)(uintptr_t)p + rest;
		iov[cnt].iov_len = n - rest;
		if (iov[cnt].iov_len > 0)
			cnt++;
		w = c->xprt->sendv(c, iov, cnt);
		if (w == -EAGAIN) {
			conn_want(c, EVL_WRITE);
			wait_events(&c, 1);
			continue;
		}
		assert_true(w > 0);
		off += (size_t)w;
	}
}

/* Read until the stream ends (0 returned: close_notify) or until want
 * bytes came: the count; a negative errno when it ended with one. */
static ssize_t
recv_all(struct conn *c, char *p, size_t n, size_t want)
{
	size_t got = 0;
	ssize_t r;

	while (got < want) {
		r = c->xprt->recv(c, p + got, n - got);
		if (r == -EAGAIN) {
			conn_want(c, EVL_READ);
			wait_events(&c, 1);
			continue;
		}
		if (r == 0)
			break;
		if (r < 0)
			return r;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* A TCP listener on 127.0.0.1, its port in *port. */
static int
listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 4), 0);
	getsockname(l, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	return l;
}

static int
accept_wait(int l)
{
	struct pollfd p = { .fd = l, .events = POLLIN };

	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	return accept(l, NULL, NULL);
}

/* A connected TCP pair over loopback through the listener l on port:
 * *a the client's end. */
static void
tcp_connect(int l, int port, int *a, int *b)
{
	struct sockaddr_in s = { .sin_family = AF_INET };

	s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.sin_port = htons((uint16_t)port);
	*a = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*a, (struct sockaddr *)&s, sizeof(s)), 0);
	*b = accept(l, NULL, NULL);
	assert_true(*b >= 0);
}

static void
tcp_pair(int *a, int *b)
{
	int port, l = listener(&port);

	tcp_connect(l, port, a, b);
	close(l);
}

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

static void *
ctx_server(const char *options, int ktls)
{
	struct tls_ctx_opts o = { .options = options, .ktls = ktls };
	char err[256];
	void *ctx = tls_ctx_new(1, &o, err, sizeof(err));

	if (ctx == NULL)
		fail_msg("%s", err);
	return ctx;
}

static void *
ctx_client(const char *cafile, const char *capath, const char *options,
	   int ktls)
{
	struct tls_ctx_opts o = { .cafile = cafile, .capath = capath,
				  .options = options, .ktls = ktls };
	char err[256];
	void *ctx = tls_ctx_new(0, &o, err, sizeof(err));

	if (ctx == NULL)
		fail_msg("%s", err);
	return ctx;
}

static void
accept_leaf(struct conn *c, void *ctx, const struct cred *cr,
	    const void *pre, size_t n)
{
	STACK_OF(X509) *chain = sk_X509_new_null();

	assert_non_null(chain);
	/* The chain is copied (references taken): freed right away. */
	sk_X509_push(chain, ca.x);
	assert_int_equal(xprt_tls_accept(c, ctx, cr->x, cr->k, chain, pre,
	    n), 0);
	sk_X509_free(chain);
	assert_string_equal(c->xprt->name, "tls");
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

#define ROW(fn, arr, i) \
	cmocka_unit_test_prestate(fn, (void *)(uintptr_t)&arr[i])

int
main(void)
{
	struct CMUnitTest t[64];
	size_t i, n = 0;

	for (i = 0; i < NELEM(opt_cases); i++) {
		t[n] = (struct CMUnitTest)ROW(test_ctx_options, opt_cases, i);
		t[n++].name = opt_cases[i].name;
	}
	for (i = 0; i < NELEM(pair_cases); i++) {
		t[n] = (struct CMUnitTest)ROW(test_pair, pair_cases, i);
		t[n++].name = pair_cases[i].name;
	}
	for (i = 0; i < NELEM(mismatch_cases); i++) {
		t[n] = (struct CMUnitTest)ROW(test_mismatch, mismatch_cases,
		    i);
		t[n++].name = mismatch_cases[i].name;
	}
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_preread);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_mib);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_close_notify);
	for (i = 0; i < NELEM(garbage_cases); i++) {
		t[n] = (struct CMUnitTest)ROW(test_garbage, garbage_cases, i);
		t[n++].name = garbage_cases[i].name;
	}
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_s_client);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_curl);
	for (i = 0; i < NELEM(peer_cases); i++) {
		t[n] = (struct CMUnitTest)ROW(test_s_server, peer_cases, i);
		t[n++].name = peer_cases[i].name;
	}
	t[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_keylog,
	    NULL);
	t[n++].name = "keylog-tls13";
	t[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_keylog,
	    (void *)(uintptr_t)"NO_TLSv1_3");
	t[n++].name = "keylog-tls12";
	return _cmocka_run_group_tests("xprt_tls", t, n, setup, teardown);
}
