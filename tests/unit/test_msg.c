/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_msg.c - kept message heads (src/http/msg.c): after the input the
 * parser read is overwritten, the kept copy still has the start line and
 * every field; memory is reused from one message to the next, and a
 * larger one grows it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/h1.h"
#include "http/msg.h"

static void
assert_str(struct str v, const char *want)
{
	assert_int_equal(v.len, strlen(want));
	assert_memory_equal(v.p, want, v.len);
}

static void
test_keep_request(void **state)
{
	static const char head[] =
		"POST http://example.com/a?b HTTP/1.1\r\n"
		"Host: example.com\r\n"
		"User-Agent: curl/7.88.1\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: 3\r\n\r\n";
	char buf[sizeof(head)];
	struct h1_scan sc = { 0 };
	struct h1_req req;
	struct http_msg m = { 0 };
	const struct str *v;
	int rc;

	(void)state;
	memcpy(buf, head, sizeof(head));
	rc = h1_parse_req(buf, sizeof(head) - 1, 8192, &sc, &req);
	assert_int_equal(rc, (int)sizeof(head) - 1);
	assert_int_equal(http_msg_keep_req(&m, &req, buf, (size_t)rc), 0);
	memset(buf, 'x', sizeof(buf));	/* the input buffer is reused */
	assert_true(m.valid);
	assert_str(m.method, "POST");
	assert_str(m.target, "http://example.com/a?b");
	assert_int_equal(m.minor, 1);
	assert_int_equal(m.status, 0);
	assert_int_equal(m.nhdr, 4);
	v = http_msg_field(&m, "user-agent");
	assert_non_null(v);
	assert_str(*v, "curl/7.88.1");
	v = http_msg_field(&m, "CONTENT-TYPE");
	assert_non_null(v);
	assert_str(*v, "text/plain; charset=utf-8");
	assert_null(http_msg_field(&m, "Via"));
	http_msg_reset(&m);
	assert_false(m.valid);
	assert_null(http_msg_field(&m, "Host"));
	http_msg_free(&m);
}

static void
test_keep_response_reuses_memory(void **state)
{
	static const char small[] = "HTTP/1.1 200 OK\r\nA: 1\r\n\r\n";
	char big[4096];
	struct h1_scan sc = { 0 };
	struct h1_resp resp;
	struct http_msg m = { 0 };
	const struct str *v;
	size_t n = 0, i;
	int rc;

	(void)state;
	rc = h1_parse_resp(small, sizeof(small) - 1, 8192, &sc, &resp);
	assert_true(rc > 0);
	assert_int_equal(http_msg_keep_resp(&m, &resp, small, (size_t)rc), 0);
	assert_int_equal(m.status, 200);
	assert_str(m.reason, "OK");
	/* A larger head: 40 fields. */
	n += (size_t)snprintf(big, sizeof(big), "HTTP/1.0 404 Not Found\r\n");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
				      "X-Field-%zu: value %zu\r\n", i, i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	memset(&sc, 0, sizeof(sc));
	rc = h1_parse_resp(big, n, 8192, &sc, &resp);
	assert_int_equal(rc, (int)n);
	assert_int_equal(http_msg_keep_resp(&m, &resp, big, n), 0);
	memset(big, 0, sizeof(big));
	assert_int_equal(m.status, 404);
	assert_int_equal(m.minor, 0);
	assert_int_equal(m.nhdr, 40);
	assert_true(m.hdr_cap >= 40);
	v = http_msg_field(&m, "x-field-39");
	assert_non_null(v);
	assert_str(*v, "value 39");
	assert_null(http_msg_field(&m, "A"));
	http_msg_free(&m);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_request),
		cmocka_unit_test(test_keep_response_reuses_memory),
	};

	return cmocka_run_group_tests_name("http_msg", tests, NULL, NULL);
}
