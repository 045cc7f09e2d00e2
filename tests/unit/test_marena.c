/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_marena.c - the store's memory arena (src/cache/marena.c): extents
 * by size class, reuse of freed extents, pages given back when freed,
 * a fresh arena after fork, and the property hits rely on: bytes sent
 * with sendfile(2) from an extent stay as they were when the extent is
 * freed and reused for other bytes while they are still in flight.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache/marena.h"

#define KB 1024
#define SIZE ((uint64_t)1 << 30)

static struct marena *
fresh(void)
{
	static struct marena a;

	marena_close(&a);
	return &a;
}

static void
test_extents_by_size_class(void **state)
{
	static const struct {
		size_t len;
		uint64_t step;	/* what the next extent's offset moves by */
		size_t cost;
	} t[] = {
		{ 1,          4 * KB,    4 * KB },
		{ 4 * KB,     4 * KB,    4 * KB },
		{ 4 * KB + 1, 8 * KB,    8 * KB },
		{ 33 * KB,    64 * KB,   36 * KB },
		{ 64 * KB,    64 * KB,   64 * KB },
		{ 1000 * KB,  1024 * KB, 1000 * KB },
	};
	struct marena *a;
	uint64_t off, next;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		a = fresh();
		assert_int_equal(marena_alloc(a, SIZE, t[i].len, &off), 0);
		assert_int_equal(off, 0);
		assert_int_equal(marena_alloc(a, SIZE, 1, &next), 0);
		assert_int_equal(next - off, t[i].step);
		assert_int_equal(marena_cost(t[i].len), t[i].cost);
		marena_close(a);
	}
}

static void
test_freed_extent_is_reused_and_its_pages_go(void **state)
{
	struct marena *a = fresh();
	uint64_t x, y, z;
	struct stat st;

	(void)state;
	assert_int_equal(marena_alloc(a, SIZE, 256 * KB, &x), 0);
	memset(a->base + x, 'x', 256 * KB);
	assert_int_equal(fstat(a->fd, &st), 0);
	assert_true(st.st_blocks * 512 >= 256 * KB);
	marena_free(a, x, 256 * KB);
	assert_int_equal(fstat(a->fd, &st), 0);
	assert_int_equal(st.st_blocks, 0);	/* the pages went back */
	/* Another size takes another extent; the same size reuses it. */
	assert_int_equal(marena_alloc(a, SIZE, 16 * KB, &y), 0);
	assert_true(y != x);
	assert_int_equal(marena_alloc(a, SIZE, 200 * KB, &z), 0);
	assert_int_equal(z, x);
	/* A reused extent reads as zeros: nothing of the old body. */
	assert_int_equal(a->base[z], 0);
	marena_close(a);
}

static void
test_full_arena_refuses(void **state)
{
	struct marena *a = fresh();
	uint64_t off;

	(void)state;
	assert_int_equal(marena_alloc(a, 1 << 20, 512 * KB, &off), 0);
	assert_int_equal(marena_alloc(a, 1 << 20, 512 * KB, &off), 0);
	assert_int_equal(marena_alloc(a, 1 << 20, 4 * KB, &off), -1);
	marena_close(a);
}

static void
test_child_gets_an_arena_of_its_own(void **state)
{
	struct marena *a = fresh();
	uint64_t off;
	int status, parent_fd;
	pid_t pid;

	(void)state;
	assert_int_equal(marena_alloc(a, SIZE, 64 * KB, &off), 0);
	memset(a->base + off, 'p', 64 * KB);
	parent_fd = a->fd;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t o2;
		int bad = marena_alloc(a, SIZE, 64 * KB, &o2) < 0 ||
			  o2 != 0 || a->base[o2] != 0;

		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent's arena is untouched. */
	assert_int_equal(a->fd, parent_fd);
	assert_int_equal(a->base[off], 'p');
	marena_close(a);
}

/* A connected TCP pair on loopback: s[0] sends, s[1] receives. */
static void
tcp_pair(int s[2])
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(l >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	s[0] = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(s[0], (struct sockaddr *)&sa, sizeof(sa)),
			 0);
	s[1] = accept(l, NULL, NULL);
	assert_true(s[1] >= 0);
	close(l);
}

static void
test_bytes_in_flight_survive_reuse(void **state)
{
	struct marena *a = fresh();
	char got[64 * KB];
	uint64_t x, y;
	off_t o;
	size_t n = 0;
	ssize_t r;
	int s[2];

	(void)state;
	assert_int_equal(marena_alloc(a, SIZE, sizeof(got), &x), 0);
	memset(a->base + x, 'A', sizeof(got));
	tcp_pair(s);
	o = (off_t)x;
	assert_int_equal(sendfile(s[0], a->fd, &o, sizeof(got)),
			 (ssize_t)sizeof(got));
	/* Unread by the peer: the socket still refers to the pages. The
	 * extent is freed and taken by another body meanwhile. */
	marena_free(a, x, sizeof(got));
	assert_int_equal(marena_alloc(a, SIZE, sizeof(got), &y), 0);
	assert_int_equal(y, x);
	memset(a->base + y, 'B', sizeof(got));
	while (n < sizeof(got)) {
		r = read(s[1], got + n, sizeof(got) - n);
		assert_true(r > 0);
		n += (size_t)r;
	}
	assert_int_equal(got[0], 'A');
	assert_int_equal(got[sizeof(got) - 1], 'A');
	assert_null(memchr(got, 'B', sizeof(got)));
	close(s[0]);
	close(s[1]);
	marena_close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extents_by_size_class),
		cmocka_unit_test(test_freed_extent_is_reused_and_its_pages_go),
		cmocka_unit_test(test_full_arena_refuses),
		cmocka_unit_test(test_child_gets_an_arena_of_its_own),
		cmocka_unit_test(test_bytes_in_flight_survive_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
