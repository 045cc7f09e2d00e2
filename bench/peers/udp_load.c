/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp_load.c - the load ends of bench/udp_bench.py (issue 19), in C so
 * that the load costs little next to what it measures. Built by the
 * bench (cc -O2), run inside its namespaces, pinned with taskset. Every
 * mode is bounded in time (and the senders in count).
 *
 *   udp_load echo PORT SECONDS
 *       answer every datagram with itself (recvmmsg / sendmmsg)
 *   udp_load sink PORT SECONDS
 *       count datagrams (recvmmsg), print JSON at the end: the count, the
 *       bytes and the seconds between the first and the last datagram
 *   udp_load rr HOST PORT FLOWS SECONDS SIZE
 *       FLOWS sockets (flows), each with one SIZE-byte request out at a
 *       time; print JSON: answers, their round trip p50 / p99 (us)
 *   udp_load bulk HOST PORT SECONDS SIZE MAXCOUNT [GSO [RATE]]
 *       send SIZE-byte datagrams from one socket as fast as it goes
 *       (sendmmsg, 64 a call), at most MAXCOUNT; GSO > 0: UDP_SEGMENT
 *       with GSO datagrams a call (one buffer, the kernel cuts it);
 *       RATE > 0: paced to RATE datagrams per second (a burst of a call
 *       at a time, sleeping until the next one is due);
 *       print JSON: datagrams sent, send errors, seconds it sent
 *
 * It prints "ready" on stdout once its socket is bound (echo, sink).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define BATCH 64
#define DMAX  65536

static uint8_t bufs[BATCH][DMAX];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static int
bound(int port)
{
	struct sockaddr_in a;
	int fd, sz = 8 << 20;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	printf("ready\n");
	fflush(stdout);
	return fd;
}

static int
connected(const char *host, int port)
{
	struct sockaddr_in a;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket");
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		die("address");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	return fd;
}

static void
setup_msgs(struct mmsghdr *m, struct iovec *iov,
	   struct sockaddr_in *from, size_t len)
{
	int i;

	memset(m, 0, BATCH * sizeof(*m));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = len;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		if (from != NULL) {
			m[i].msg_hdr.msg_name = &from[i];
			m[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
	}
}

/* Wait for the socket for at most 200 ms: 1 when readable. */
static int
wait_in(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 200) > 0;
}

static int
echo(int port, double secs)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	int fd = bound(port), n, i;
	double end = now() + secs;

	while (now() < end) {
		if (!wait_in(fd))
			continue;
		setup_msgs(m, iov, from, DMAX);
		n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++)
			iov[i].iov_len = m[i].msg_len;
		sendmmsg(fd, m, (unsigned)n, 0);
	}
	return 0;
}

static int
sink(int port, double secs)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	unsigned long long cnt = 0, bytes = 0;
	double end = now() + secs, first = 0, last = 0;
	int fd = bound(port), n, i;

	setup_msgs(m, iov, NULL, DMAX);
	while (now() < end) {
		n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			wait_in(fd);
			continue;
		}
		last = now();
		if (first == 0)
			first = last;
		cnt += (unsigned)n;
		for (i = 0; i < n; i++)
			bytes += m[i].msg_len;
	}
	printf("{\"n\": %llu, \"bytes\": %llu, \"secs\": %.6f}\n", cnt,
	       bytes, last - first);
	return 0;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
rr(const char *host, int port, int flows, double secs, size_t size)
{
	struct epoll_event ev[64];
	double *sent_at, *rtt, end, t;
	size_t nrtt = 0, cap = 1 << 22;
	unsigned long long answers = 0, resent = 0;
	int *fds, ep, i, n, k;
	uint8_t q[DMAX], a[DMAX];

	if (size > sizeof(q))
		size = sizeof(q);
	memset(q, 'q', size);
	fds = calloc((size_t)flows, sizeof(*fds));
	sent_at = calloc((size_t)flows, sizeof(*sent_at));
	rtt = malloc(cap * sizeof(*rtt));
	ep = epoll_create1(0);
	if (fds == NULL || sent_at == NULL || rtt == NULL || ep < 0)
		die("setup");
	for (i = 0; i < flows; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		fds[i] = connected(host, port);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e) < 0)
			die("epoll_ctl");
	}
	for (i = 0; i < flows; i++) {
		send(fds[i], q, size, 0);
		sent_at[i] = now();
	}
	end = now() + secs;
	while ((t = now()) < end) {
		n = epoll_wait(ep, ev, 64, 100);
		for (k = 0; k < n; k++) {
			i = (int)ev[k].data.u32;
			while (recv(fds[i], a, sizeof(a), 0) >= 0) {
				t = now();
				if (nrtt < cap)
					rtt[nrtt++] = t - sent_at[i];
				answers++;
				send(fds[i], q, size, 0);
				sent_at[i] = now();
			}
		}
		/* A lost datagram: ask again after a second. */
		t = now();
		for (i = 0; i < flows; i++)
			if (t - sent_at[i] > 1.0) {
				send(fds[i], q, size, 0);
				sent_at[i] = t;
				resent++;
			}
	}
	qsort(rtt, nrtt, sizeof(*rtt), cmp_d);
	printf("{\"n\": %llu, \"resent\": %llu, \"p50_us\": %.1f, "
	       "\"p99_us\": %.1f}\n", answers, resent,
	       nrtt ? rtt[nrtt / 2] * 1e6 : 0.0,
	       nrtt ? rtt[(size_t)((double)nrtt * 0.99)] * 1e6 : 0.0);
	return 0;
}

/* Sleep until the monotonic time t. */
static void
sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int
bulk(const char *host, int port, double secs, size_t size,
     unsigned long long maxcount, int gso, double rate)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	unsigned long long sent = 0, errs = 0;
	double start = now(), end = start + secs;
	int fd = connected(host, port), n, i, want;
	static uint8_t big[DMAX];
	int seg = (int)size;

	if (size == 0 || size > 1472)
		die("size");
	for (i = 0; i < BATCH; i++)
		memset(bufs[i], 'b', size);
	memset(big, 'b', sizeof(big));
	setup_msgs(m, iov, NULL, size);
	if (gso > 0) {
		if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg,
			       sizeof(seg)) < 0)
			die("UDP_SEGMENT");
		if ((size_t)gso * size > 65000)
			gso = (int)(65000 / size);
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (sent < maxcount && now() < end) {
		if (rate > 0 && now() < start + (double)sent / rate)
			sleep_until(start + (double)sent / rate);
		if (gso > 0) {
			want = gso;
			if ((unsigned long long)want > maxcount - sent)
				want = (int)(maxcount - sent);
			if (send(fd, big, (size_t)want * size, 0) < 0) {
				struct pollfd p = { .fd = fd,
						    .events = POLLOUT };

				errs++;
				poll(&p, 1, 10);
				continue;
			}
			sent += (unsigned)want;
			continue;
		}
		want = BATCH;
		if ((unsigned long long)want > maxcount - sent)
			want = (int)(maxcount - sent);
		n = sendmmsg(fd, m, (unsigned)want, 0);
		if (n < 0) {
			errs++;
			if (errno == EAGAIN) {
				struct pollfd p = { .fd = fd,
						    .events = POLLOUT };

				poll(&p, 1, 10);
			}
			continue;
		}
		sent += (unsigned)n;
	}
	printf("{\"sent\": %llu, \"errors\": %llu, \"secs\": %.6f}\n",
	       sent, errs, now() - start);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "echo") == 0)
		return echo(atoi(argv[2]), atof(argv[3]));
	if (argc == 4 && strcmp(argv[1], "sink") == 0)
		return sink(atoi(argv[2]), atof(argv[3]));
	if (argc == 7 && strcmp(argv[1], "rr") == 0)
		return rr(argv[2], atoi(argv[3]), atoi(argv[4]),
			  atof(argv[5]), (size_t)atoi(argv[6]));
	if (argc >= 7 && argc <= 9 && strcmp(argv[1], "bulk") == 0)
		return bulk(argv[2], atoi(argv[3]), atof(argv[4]),
			    (size_t)atoi(argv[5]), strtoull(argv[6], NULL, 10),
			    argc >= 8 ? atoi(argv[7]) : 0,
			    argc == 9 ? atof(argv[8]) : 0);
	fprintf(stderr, "usage: see the head of udp_load.c\n");
	return 2;
}
