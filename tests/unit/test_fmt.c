/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_fmt.c - number and address formatting (core/fmt.c, core/sa.c),
 * checked against printf and glibc's inet_ntop, and the buffer cache.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/fmt.h"
#include "core/sa.h"

static void
test_u64(void **state)
{
	static const unsigned long long v[] = {
		0, 1, 9, 10, 99, 100, 999, 1000, 65535, 4294967295ULL,
		4294967296ULL, 1000000000000ULL, 18446744073709551615ULL,
	};
	char got[FMT_U64_MAX], want[32];
	size_t i, n;
	unsigned long long r;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = fmt_u64(got, v[i]);
		snprintf(want, sizeof(want), "%llu", v[i]);
		assert_string_equal(got, want);
		assert_int_equal(n, strlen(want));
	}
	srandom(7);
	for (i = 0; i < 10000; i++) {
		r = (unsigned long long)random() << 33 ^
		    (unsigned long long)random();
		r >>= random() % 64;
		fmt_u64(got, r);
		snprintf(want, sizeof(want), "%llu", r);
		assert_string_equal(got, want);
	}
}

static void
test_u64_pad(void **state)
{
	static const struct {
		unsigned long long v;
		unsigned width;
		char pad;
		const char *want;
	} t[] = {
		{ 0, 3, '0', "000" },
		{ 7, 3, '0', "007" },
		{ 200, 3, '0', "200" },
		{ 1234, 3, '0', "1234" },
		{ 12, 6, ' ', "    12" },
		{ 1234567, 6, ' ', "1234567" },
		{ 0, 0, ' ', "0" },
		{ 5, 99, '0', "00000000000000000005" },	/* width capped at 20 */
	};
	char got[FMT_U64_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(fmt_u64_pad(got, t[i].v, t[i].width, t[i].pad),
				 strlen(t[i].want));
		assert_string_equal(got, t[i].want);
	}
}

static void
check_ip6(const unsigned char *a)
{
	char got[FMT_IP_MAX], want[INET6_ADDRSTRLEN];

	assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
	assert_int_equal(fmt_ip6(got, a), strlen(want));
	assert_string_equal(got, want);
}

static void
test_ip(void **state)
{
	static const char *const t6[] = {
		"::", "::1", "1::", "1::2", "2001:db8::1",
		"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", "2001:0:0:1::1",
		"fe80::1:2:3:4",
		"1:2:3:4:5:6:7:8", "1:0:2:3:4:5:6:7", "::ffff:198.18.0.1",
		"::198.18.0.1", "::ffff:0:0", "::ffff:0:1.2.3.4", "0:0:1::",
		"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff", "1::ffff:0",
	};
	unsigned char a[16];
	char got[FMT_IP_MAX], want[INET6_ADDRSTRLEN];
	size_t i, j;
	unsigned k;

	(void)state;
	for (i = 0; i < sizeof(t6) / sizeof(t6[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, t6[i], a), 1);
		check_ip6(a);
	}
	/* Random addresses with zero groups where runs matter. */
	srandom(11);
	for (i = 0; i < 20000; i++) {
		for (j = 0; j < 8; j++) {
			k = (unsigned)random();
			if (k % 3 != 0)
				k = 0;
			else if (k % 5 == 0)
				k = 0xffff;
			a[2 * j] = (unsigned char)(k >> 8);
			a[2 * j + 1] = (unsigned char)(k >> 16);
		}
		check_ip6(a);
	}
	for (i = 0; i < 20000; i++) {
		k = (unsigned)random() ^ (unsigned)random() << 16;
		if (i < 256)
			k = (unsigned)i * 0x01010101u;
		memcpy(a, &k, 4);
		inet_ntop(AF_INET, a, want, sizeof(want));
		assert_int_equal(fmt_ip4(got, a), strlen(want));
		assert_string_equal(got, want);
	}
}

static void
test_sa_text(void **state)
{
	static const struct {
		const char *ip;
		unsigned port;
		const char *ip_text, *text;
	} t[] = {
		{ "198.18.0.1", 80, "198.18.0.1", "198.18.0.1:80" },
		{ "2001:db8::1", 3129, "2001:db8::1", "[2001:db8::1]:3129" },
		{ "::ffff:198.18.1.2", 0, "198.18.1.2", "198.18.1.2:0" },
		{ "::", 65535, "::", "[::]:65535" },
	};
	struct sockaddr_storage ss;
	char out[64], small[6];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&ss, 0, sizeof(ss));
		if (strchr(t[i].ip, ':')) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, t[i].ip, &s6->sin6_addr);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			inet_pton(AF_INET, t[i].ip, &s4->sin_addr);
		}
		sa_set_port((struct sockaddr *)&ss, t[i].port);
		assert_string_equal(sa_ip_text((struct sockaddr *)&ss, out,
					       sizeof(out)), t[i].ip_text);
		assert_string_equal(sa_text((struct sockaddr *)&ss, out,
					    sizeof(out)), t[i].text);
	}
	/* Truncated, still terminated. */
	assert_string_equal(sa_ip_text((struct sockaddr *)&ss, small,
				       sizeof(small)), "::");
	assert_string_equal(sa_text((struct sockaddr *)&ss, small,
				    sizeof(small)), "[::]:");
	assert_string_equal(sa_ip_text(NULL, out, sizeof(out)), "-");
}

static void
test_buf_cache(void **state)
{
	struct buf a, b;

	(void)state;
	/* Small sizes are exact; larger ones round up to a power of two. */
	assert_int_equal(buf_init(&a, 100), 0);
	assert_int_equal(a.size, 100);
	buf_free(&a);
	assert_int_equal(buf_init(&a, 5000), 0);
	assert_int_equal(a.size, 8192);
	buf_free(&a);
	assert_int_equal(buf_init(&a, 70000), 0);
	assert_int_equal(a.size, 70000);
	buf_free(&a);
	/* Growing keeps the pending bytes. */
	assert_int_equal(buf_init(&b, 4096), 0);
	assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	buf_consume(&b, 3);
	assert_int_equal(buf_reserve(&b, 20000), 0);
	assert_int_equal(b.size, 32768);
	assert_int_equal(buf_len(&b), 7);
	assert_memory_equal(buf_head(&b), "3456789", 7);
	assert_int_equal(buf_append_u64(&b, 42), 0);
	assert_memory_equal(buf_head(&b), "345678942", 9);
	buf_free(&b);
	buf_cache_drop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_u64_pad),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_sa_text),
		cmocka_unit_test(test_buf_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
