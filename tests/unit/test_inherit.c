/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_inherit.c - the listening sockets -k upgrade hands to the new
 * program (core/inherit.c): the environment's list of descriptors, and
 * taking a socket from the pool by type, address and options.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/inherit.h"

static const struct {
	const char *text;
	int         n;		/* or -EINVAL */
	int         fds[4];
} parse_cases[] = {
	{ "", 0, { 0 } },
	{ "3", 1, { 3 } },
	{ "3,4,17", 3, { 3, 4, 17 } },
	{ "1000,5", 2, { 1000, 5 } },
	{ "2", -EINVAL, { 0 } },		/* stdio is never handed over */
	{ "0,3", -EINVAL, { 0 } },
	{ "-3", -EINVAL, { 0 } },
	{ "3,", -EINVAL, { 0 } },
	{ ",3", -EINVAL, { 0 } },
	{ "3;4", -EINVAL, { 0 } },
	{ "3 4", -EINVAL, { 0 } },
	{ "x", -EINVAL, { 0 } },
	{ "99999999999", -EINVAL, { 0 } },
	{ "3,4,5,6,7", -EINVAL, { 0 } },	/* more than max (4) */
};

static void
test_parse(void **state)
{
	size_t i;
	int fds[4], n, k;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		n = inherit_parse(parse_cases[i].text, fds, 4);
		if (n != parse_cases[i].n)
			fail_msg("\"%s\": %d, expected %d", parse_cases[i].text,
				 n, parse_cases[i].n);
		for (k = 0; k < n; k++)
			assert_int_equal(fds[k], parse_cases[i].fds[k]);
	}
}

static void
test_format_round_trip(void **state)
{
	int in[] = { 3, 4, 1234 }, out[3];
	char text[32], small[6];

	(void)state;
	assert_int_equal(inherit_format(in, 3, text, sizeof(text)), 0);
	assert_string_equal(text, "3,4,1234");
	assert_int_equal(inherit_parse(text, out, 3), 3);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(inherit_format(in, 0, text, sizeof(text)), 0);
	assert_string_equal(text, "");
	/* "3,4,1234" does not fit in 6 bytes: nothing half-written. */
	assert_int_equal(inherit_format(in, 3, small, sizeof(small)),
			 -ENOSPC);
	assert_string_equal(small, "");
}

/* A socket of type bound to 127.0.0.1 on an ephemeral port (listening if
 * a stream socket), its address in sa. */
static int
bound(int type, int listening, struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	if (listening)
		assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &len), 0);
	return fd;
}

static int
refuse_all(int fd, const void *arg)
{
	(void)fd;
	(void)arg;
	return 0;
}

static void
test_pool_take_by_address_and_type(void **state)
{
	struct sockaddr_in a_tcp, a_udp, a_idle, other;
	int tcp, udp, idle, fds[3], fd;
	char text[64];

	(void)state;
	tcp = bound(SOCK_STREAM, 1, &a_tcp);
	udp = bound(SOCK_DGRAM, 0, &a_udp);
	idle = bound(SOCK_STREAM, 0, &a_idle);	/* bound, not listening */
	fds[0] = tcp;
	fds[1] = udp;
	fds[2] = idle;
	/* What the old program does before execve(): none close-on-exec. */
	fcntl(tcp, F_SETFD, FD_CLOEXEC);
	assert_int_equal(inherit_exec_prepare(fds, 3), 0);
	assert_int_equal(fcntl(tcp, F_GETFD) & FD_CLOEXEC, 0);
	snprintf(text, sizeof(text), "%d,%d,%d", tcp, udp, idle);
	assert_string_equal(getenv(INHERIT_ENV), text);
	/* ... and the new one at start: the environment is cleared, the
	 * sockets are close-on-exec again (helpers never get them). */
	assert_false(inherit_active());
	assert_int_equal(inherit_load(), 3);
	assert_true(inherit_active());
	assert_null(getenv(INHERIT_ENV));
	assert_int_equal(fcntl(tcp, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

	/* Wrong type, wrong port, options that do not fit: not taken. */
	assert_int_equal(inherit_take(SOCK_DGRAM, (struct sockaddr *)&a_tcp,
				      NULL, NULL), -1);
	other = a_tcp;
	other.sin_port = htons((uint16_t)(ntohs(a_tcp.sin_port) ^ 1));
	assert_int_equal(inherit_take(SOCK_STREAM, (struct sockaddr *)&other,
				      NULL, NULL), -1);
	assert_int_equal(inherit_take(SOCK_STREAM, (struct sockaddr *)&a_tcp,
				      refuse_all, NULL), -1);
	/* A stream socket that does not listen is no listener. */
	assert_int_equal(inherit_take(SOCK_STREAM,
				      (struct sockaddr *)&a_idle, NULL, NULL),
			 -1);
	/* The right ones, once each. */
	fd = inherit_take(SOCK_STREAM, (struct sockaddr *)&a_tcp, NULL, NULL);
	assert_int_equal(fd, tcp);
	assert_int_equal(inherit_take(SOCK_STREAM, (struct sockaddr *)&a_tcp,
				      NULL, NULL), -1);
	fd = inherit_take(SOCK_DGRAM, (struct sockaddr *)&a_udp, NULL, NULL);
	assert_int_equal(fd, udp);
	/* What nobody took is closed. */
	assert_int_equal(inherit_close_rest(), 1);
	assert_int_equal(fcntl(idle, F_GETFD), -1);
	assert_int_equal(inherit_close_rest(), 0);
	close(tcp);
	close(udp);
}

static void
test_load_skips_non_sockets(void **state)
{
	int p[2];
	char text[32];

	(void)state;
	assert_int_equal(pipe(p), 0);
	/* A number that is a pipe, one that is not open: neither is used
	 * (nor closed). */
	snprintf(text, sizeof(text), "%d,%d", p[0], 999);
	setenv(INHERIT_ENV, text, 1);
	assert_int_equal(inherit_load(), 0);
	assert_int_equal(inherit_close_rest(), 0);
	assert_true(fcntl(p[0], F_GETFD) >= 0);
	close(p[0]);
	close(p[1]);
}

static int
is_chr(int fd, const void *arg)
{
	struct stat st;

	(void)arg;
	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
}

/* WCCPv2 GRE's TUN device crosses an upgrade too: a device is kept (a
 * character device: /dev/null here), taken by what it is, never by an
 * address. */
static void
test_load_keeps_devices(void **state)
{
	char text[64];
	int dev, s;

	(void)state;
	dev = open("/dev/null", O_RDWR | O_CLOEXEC);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(dev >= 0 && s >= 0);
	snprintf(text, sizeof(text), "%d,%d", dev, s);
	setenv(INHERIT_ENV, text, 1);
	assert_int_equal(inherit_load(), 2);
	assert_int_equal(fcntl(dev, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(inherit_take_if(is_chr, NULL), dev);
	assert_int_equal(inherit_take_if(is_chr, NULL), -1);
	/* The socket was not taken: closed with the rest. */
	assert_int_equal(inherit_close_rest(), 1);
	assert_true(fcntl(s, F_GETFD) < 0);
	close(dev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_pool_take_by_address_and_type),
		cmocka_unit_test(test_load_skips_non_sockets),
		cmocka_unit_test(test_load_keeps_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
