/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_buf_log.c - the buffer invariants, the access.log line format and
 * error pages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "http/errpage.h"
#include "log/access_log.h"

static void
test_buf_append_compact(void **state)
{
	struct buf b;

	(void)state;
	assert_int_equal(buf_init(&b, 8), 0);
	assert_int_equal(buf_append(&b, "abcdef", 6), 0);
	buf_consume(&b, 4);
	assert_int_equal(buf_len(&b), 2);
	/* 5 more bytes fit only after compaction. */
	assert_int_equal(buf_append(&b, "ghijk", 5), 0);
	assert_int_equal(b.head, 0);
	assert_memory_equal(buf_head(&b), "efghijk", 7);
	assert_int_equal(buf_append(&b, "xy", 2), -ENOSPC);
	assert_int_equal(buf_len(&b), 7);	/* nothing written */
	buf_consume(&b, 7);
	assert_int_equal(b.head, 0);
	assert_int_equal(b.tail, 0);
	assert_int_equal(buf_appendf(&b, "%d-%s", 12, "ab"), 0);
	assert_memory_equal(buf_head(&b), "12-ab", 5);
	assert_int_equal(buf_appendf(&b, "%s", "toolong"), -ENOSPC);
	assert_int_equal(buf_len(&b), 5);
	buf_free(&b);
	assert_null(b.area);
}

static void
test_alog_format(void **state)
{
	struct sockaddr_in c, p;
	struct sockaddr_in6 m;
	struct alog_rec r;
	char line[1024];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.sin_family = AF_INET;
	inet_pton(AF_INET, "198.18.1.2", &c.sin_addr);
	memset(&p, 0, sizeof(p));
	p.sin_family = AF_INET;
	inet_pton(AF_INET, "198.18.2.2", &p.sin_addr);
	memset(&r, 0, sizeof(r));
	r.end = 1732459201.123;
	r.elapsed_ms = 12;
	r.client = (struct sockaddr *)&c;
	r.code = "TCP_MISS";
	r.status = 200;
	r.bytes = 1234;
	r.method = STR_LIT("GET");
	r.url = STR_LIT("http://o.test/a b");
	r.hier = "HIER_DIRECT";
	r.peer = (struct sockaddr *)&p;
	r.type = STR_LIT("text/html");
	alog_format(line, sizeof(line), &r);
	assert_string_equal(line, "1732459201.123     12 198.18.1.2 "
			    "TCP_MISS/200 1234 GET http://o.test/a%20b - "
			    "HIER_DIRECT/198.18.2.2 text/html\n");

	/* Denied, aborted, mapped client address, no peer, no type. */
	memset(&m, 0, sizeof(m));
	m.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:198.18.1.7", &m.sin6_addr);
	r.client = (struct sockaddr *)&m;
	r.code = "TCP_DENIED";
	r.aborted = 1;
	r.status = 403;
	r.peer = NULL;
	r.hier = "HIER_NONE";
	r.type = STR_NULL;
	r.elapsed_ms = 1234567;
	alog_format(line, sizeof(line), &r);
	assert_string_equal(line, "1732459201.123 1234567 198.18.1.7 "
			    "TCP_DENIED_ABORTED/403 1234 GET "
			    "http://o.test/a%20b - HIER_NONE/- -\n");
}

static void
test_errpage(void **state)
{
	struct buf b;
	struct errpage e;
	char *s;

	(void)state;
	assert_int_equal(buf_init(&b, 8192), 0);
	memset(&e, 0, sizeof(e));
	e.status = 403;
	e.name = "ERR_ACCESS_DENIED";
	e.url = STR_LIT("http://x.test/<script>");
	e.client = "198.18.1.2";
	e.server = "px";
	assert_int_equal(errpage_build(&b, &e), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	s = buf_head(&b);
	assert_non_null(strstr(s, "HTTP/1.1 403 Forbidden\r\n"));
	assert_non_null(strstr(s, "X-Squid-Error: ERR_ACCESS_DENIED 0\r\n"));
	assert_non_null(strstr(s, "Connection: close\r\n"));
	assert_non_null(strstr(s, "&lt;script&gt;"));
	assert_null(strstr(s, "<script>"));
	/* Content-Length matches the body. */
	{
		char *body = strstr(s, "\r\n\r\n") + 4;
		char *cl = strstr(s, "Content-Length: ") + 16;

		assert_int_equal(strtol(cl, NULL, 10), strlen(body));
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_append_compact),
		cmocka_unit_test(test_alog_format),
		cmocka_unit_test(test_errpage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
