/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xtls_fixture.h - what the test_xprt_tls_*.c files share: the test
 * certificates (a CA, a leaf for test.example and 127.0.0.1, an expired
 * leaf, a self-signed one) made with OpenSSL's API in a scratch directory
 * by the group setup, the poll loop that drives the transport (it asks for
 * events through conn_want(); the loop reads them back with
 * evl_io_events()), loopback TCP pairs, and the TLS contexts.
 */
#ifndef TPROXYD_TESTS_XTLS_FIXTURE_H
#define TPROXYD_TESTS_XTLS_FIXTURE_H

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

static inline EVP_PKEY *
key_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

static inline void
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
static inline void
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

static inline void
cred_free(struct cred *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->k);
}

static inline int
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

static inline int
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

static inline void
io_cb(struct evl_io *io, int revents)
{
	(void)io;
	(void)revents;
}

static inline void
nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static inline void
conn_on(struct conn *c, int fd)
{
	nonblock(fd);
	conn_init(c, fd, &xprt_raw, io_cb, NULL);
}

/* Wait until one of the n conns gets an event it asked for. */
static inline void
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
static inline int
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
static inline void
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
static inline void
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
static inline ssize_t
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
static inline int
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

static inline int
accept_wait(int l)
{
	struct pollfd p = { .fd = l, .events = POLLIN };

	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	return accept(l, NULL, NULL);
}

/* A connected TCP pair over loopback through the listener l on port:
 * *a the client's end. */
static inline void
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

static inline void
tcp_pair(int *a, int *b)
{
	int port, l = listener(&port);

	tcp_connect(l, port, a, b);
	close(l);
}

static inline void *
ctx_server(const char *options, int ktls)
{
	struct tls_ctx_opts o = { .options = options, .ktls = ktls };
	char err[256];
	void *ctx = tls_ctx_new(1, &o, err, sizeof(err));

	if (ctx == NULL)
		fail_msg("%s", err);
	return ctx;
}

static inline void *
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

static inline void
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
#define ROW(fn, arr, i) \
	cmocka_unit_test_prestate(fn, (void *)(uintptr_t)&arr[i])

/* A test per row of arr appended to t (n of them so far), named after
 * the row. */
#define ROWS(fn, arr, t, n) do {					\
	for (size_t i_ = 0; i_ < NELEM(arr); i_++) {			\
		t[n] = (struct CMUnitTest)ROW(fn, arr, i_);		\
		t[n++].name = arr[i_].name;				\
	}								\
} while (0)

#endif
