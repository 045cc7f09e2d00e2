/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xtls_bench.c - how fast the TLS transport (src/net/xprt_tls.c) sends a
 * file over loopback TCP: with kernel TLS (sendfile(2) once the socket
 * encrypts) or without (read() into a buffer, SSL_write_ex).
 *
 *   build/tests/xtls_bench [-k] [-3] [-m MIB]
 *
 *   -k   ask for kernel TLS (tls_ctx_opts.ktls) on both ends
 *   -3   TLS 1.3 (default TLS 1.2)
 *   -m   file size in MiB (default 64)
 *
 * The receiver is a child process (client role) that reads and drops the
 * bytes. Prints one line: mode, whether kTLS engaged (send/recv), the
 * sender's and the receiver's CPU seconds (user+sys, getrusage), wall
 * seconds and MB/s. Traffic stays on 127.0.0.1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "event/loop.h"
#include "net/conn.h"
#include "net/xprt_tls.h"

static void
die(const char *what)
{
	fprintf(stderr, "xtls_bench: %s\n", what);
	exit(1);
}

static void
io_cb(struct evl_io *io, int revents)
{
	(void)io;
	(void)revents;
}

/* Wait for what c asked for (conn_want), or for ev. */
static void
wait_for(struct conn *c, int ev)
{
	struct pollfd p = { .fd = c->fd };

	if (ev == 0)
		ev = evl_io_events(&c->io);
	p.events = (short)((ev & EVL_READ ? POLLIN : 0) |
	    (ev & EVL_WRITE ? POLLOUT : 0));
	if (poll(&p, 1, 30000) != 1)
		die("timed out");
}

static void
handshake(struct conn *c)
{
	int r;

	while ((r = xprt_tls_handshake(c)) == 0)
		wait_for(c, 0);
	if (r < 0) {
		fprintf(stderr, "xtls_bench: handshake: %s\n",
		    xprt_tls_error(c));
		exit(1);
	}
}

/* A self-signed leaf for the sender. */
static void
cert_make(X509 **x, EVP_PKEY **k)
{
	X509_NAME *n;

	*k = EVP_EC_gen("P-256");
	*x = X509_new();
	if (*k == NULL || *x == NULL)
		die("cannot make a certificate");
	X509_set_version(*x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(*x), 1);
	X509_gmtime_adj(X509_getm_notBefore(*x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(*x), 86400);
	X509_set_pubkey(*x, *k);
	n = X509_get_subject_name(*x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"bench.example", -1, -1, 0);
	X509_set_issuer_name(*x, n);
	if (X509_sign(*x, *k, EVP_sha256()) <= 0)
		die("cannot sign");
}

static double
cpu(const struct rusage *r)
{
	return (double)r->ru_utime.tv_sec + r->ru_utime.tv_usec / 1e6 +
	    (double)r->ru_stime.tv_sec + r->ru_stime.tv_usec / 1e6;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* The child: connect, read everything until close_notify. */
static void
receiver(int port, const struct tls_ctx_opts *o)
{
	struct sockaddr_in s = { .sin_family = AF_INET };
	static char buf[256 * 1024];
	struct conn c;
	char err[256];
	void *ctx;
	ssize_t r;
	int fd;

	ctx = tls_ctx_new(0, o, err, sizeof(err));
	if (ctx == NULL)
		die(err);
	s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
		die("connect");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	conn_init(&c, fd, &xprt_raw, io_cb, NULL);
	if (xprt_tls_connect(&c, ctx, NULL) < 0)
		die("connect TLS");
	handshake(&c);
	for (;;) {
		r = c.xprt->recv(&c, buf, sizeof(buf));
		if (r == -EAGAIN) {
			wait_for(&c, EVL_READ);
			continue;
		}
		if (r <= 0)
			break;
	}
	conn_close(&c);
	tls_ctx_free(ctx);
	_exit(r == 0 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	struct tls_ctx_opts o = { .min_version = 0 };
	struct sockaddr_in s = { .sin_family = AF_INET };
	socklen_t sl = sizeof(s);
	static char buf[256 * 1024];
	struct xprt_tls_info i;
	struct rusage r0, r1, rc;
	struct iovec iov;
	struct conn c;
	size_t size = 64, sent = 0;
	uint64_t off = 0;
	off_t o_;
	char err[256];
	double t0, t1;
	X509 *x;
	EVP_PKEY *k;
	void *ctx;
	ssize_t w;
	pid_t pid;
	int l, fd, file, opt, st, use_sendfile;

	while ((opt = getopt(argc, argv, "k3m:")) != -1) {
		if (opt == 'k')
			o.ktls = 1;
		else if (opt == '3')
			o.options = NULL;
		else if (opt == 'm')
			size = strtoul(optarg, NULL, 10);
		else
			die("usage: xtls_bench [-k] [-3] [-m MIB]");
		if (opt == '3')
			o.min_version = TLS1_3_VERSION;
	}
	if (o.min_version == 0)
		o.options = "NO_TLSv1_3";
	size <<= 20;
	signal(SIGPIPE, SIG_IGN);
	if (evl_init() != 0)
		die("event loop");
	/* The file: in memory (tmpfs or page cache), as a cached body. */
	file = memfd_create("xtls_bench", 0);
	if (file < 0 || ftruncate(file, (off_t)size) < 0)
		die("memfd");
	memset(buf, 'a', sizeof(buf));
	for (sent = 0; sent < size; sent += sizeof(buf))
		if (pwrite(file, buf, sizeof(buf), (off_t)sent) < 0)
			die("pwrite");
	l = socket(AF_INET, SOCK_STREAM, 0);
	s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&s, sizeof(s)) < 0 || listen(l, 1) < 0)
		die("listen");
	getsockname(l, (struct sockaddr *)&s, &sl);
	pid = fork();
	if (pid == 0) {
		close(l);
		receiver(ntohs(s.sin_port), &o);
	}
	cert_make(&x, &k);
	ctx = tls_ctx_new(1, &o, err, sizeof(err));
	if (ctx == NULL)
		die(err);
	fd = accept(l, NULL, NULL);
	close(l);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	conn_init(&c, fd, &xprt_raw, io_cb, NULL);
	if (xprt_tls_accept(&c, ctx, x, k, NULL, NULL, 0) < 0)
		die(xprt_tls_error(&c));
	handshake(&c);
	xprt_tls_info(&c, &i);
	use_sendfile = i.ktls_send;
	getrusage(RUSAGE_SELF, &r0);
	t0 = now();
	sent = 0;
	while (sent < size) {
		if (use_sendfile) {
			/* The kernel encrypts: plain sendfile(2). */
			o_ = (off_t)off;
			w = sendfile(c.fd, file, &o_, size - sent);
			if (w < 0)
				w = -errno;
			else
				off = (uint64_t)o_;
		} else {
			w = pread(file, buf, sizeof(buf), (off_t)sent);
			if (w <= 0)
				die("pread");
			iov.iov_base = buf;
			iov.iov_len = (size_t)w;
			for (;;) {
				w = c.xprt->sendv(&c, &iov, 1);
				if (w == -EAGAIN) {
					wait_for(&c, EVL_WRITE);
					continue;
				}
				if (w < 0)
					die("send");
				sent += (size_t)w;
				iov.iov_base = (char *)iov.iov_base + w;
				iov.iov_len -= (size_t)w;
				if (iov.iov_len == 0)
					break;
			}
			continue;
		}
		if (w == -EAGAIN) {
			wait_for(&c, EVL_WRITE);
			continue;
		}
		if (w < 0)
			die("sendfile");
		sent += (size_t)w;
	}
	conn_shutw(&c);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		die("the receiver failed");
	t1 = now();
	getrusage(RUSAGE_SELF, &r1);
	getrusage(RUSAGE_CHILDREN, &rc);
	printf("%s %s %zu MiB: kTLS send %d recv %d, %s; sender CPU %.3f s, "
	    "receiver CPU %.3f s, %.3f s, %.0f MB/s\n",
	    i.version == 0x0304 ? "TLS1.3" : "TLS1.2", i.cipher, size >> 20,
	    i.ktls_send, i.ktls_recv, use_sendfile ? "sendfile" :
	    "SSL_write", cpu(&r1) - cpu(&r0), cpu(&rc), t1 - t0,
	    (double)size / (t1 - t0) / 1e6);
	conn_close(&c);
	tls_ctx_free(ctx);
	X509_free(x);
	EVP_PKEY_free(k);
	close(file);
	return 0;
}
