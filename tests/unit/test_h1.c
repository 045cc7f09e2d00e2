/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_h1.c - unit tests of the HTTP/1.1 parser (src/http/h1.c).
 *
 * Table-driven: every row of every table is registered as its own cmocka
 * test, named after the row, so a failure names the input and cmocka's
 * assert_*_equal prints both values. Each head is also fed one byte at a
 * time through one h1_scan, and each chunked body at every split point, to
 * check that the parsers resume correctly.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "http/h1.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
/* Raw bytes of a row, NULs included. */
#define RAW(s)		.raw = (s), .len = sizeof(s) - 1
#define DEFAULT_MAX	8192

/* ------------------------------------------------------------------ */
/* Requests                                                           */

struct req_case {
	const char *name;
	const char *raw;
	size_t      len;
	size_t      max;	/* 0: DEFAULT_MAX */
	int         rc;		/* 0: the whole input is the head */
	const char *method;	/* NULL: not checked */
	const char *target;	/* NULL: not checked */
	int         http10;	/* expect minor 0 (else 1) */
	size_t      nhdr;
	const char *h0name;	/* first field; NULL: not checked */
	const char *h0value;
	int         info_rc;	/* h1_msg_info() */
	int         fr_rc;	/* h1_req_framing() */
	enum h1_body_kind kind;
	uint64_t    left;
};

static struct req_case req_cases[] = {
	/* valid */
	{ "origin-form", RAW("GET /a/b?c=d HTTP/1.1\r\nHost: a\r\n\r\n"),
	  .method = "GET", .target = "/a/b?c=d", .nhdr = 1,
	  .h0name = "Host", .h0value = "a" },
	{ "absolute-form", RAW("GET http://example.com:8080/x?y=1 HTTP/1.1\r\n"
	  "Host: example.com:8080\r\n\r\n"),
	  .method = "GET", .target = "http://example.com:8080/x?y=1",
	  .nhdr = 1 },
	{ "connect authority-form", RAW("CONNECT example.com:443 HTTP/1.1\r\n"
	  "Host: example.com:443\r\n\r\n"),
	  .method = "CONNECT", .target = "example.com:443", .nhdr = 1 },
	{ "connect ignores content-length", RAW("CONNECT a:443 HTTP/1.1\r\n"
	  "Host: a:443\r\nContent-Length: 5\r\n\r\n"),
	  .method = "CONNECT", .nhdr = 2, .kind = H1_BODY_NONE },
	{ "asterisk-form", RAW("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
	  .method = "OPTIONS", .target = "*", .nhdr = 1 },
	{ "leading crlf", RAW("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	  .method = "GET", .target = "/", .nhdr = 1 },
	{ "leading bare lf", RAW("\nGET / HTTP/1.1\n\n"),
	  .method = "GET", .target = "/" },
	{ "http/1.0 no fields", RAW("GET / HTTP/1.0\r\n\r\n"),
	  .method = "GET", .target = "/", .http10 = 1 },
	{ "bare lf line ends", RAW("GET / HTTP/1.1\nHost: a\nX: y\n\n"),
	  .method = "GET", .nhdr = 2, .h0name = "Host", .h0value = "a" },
	{ "mixed line ends", RAW("GET / HTTP/1.1\r\nHost: a\n\r\n"),
	  .nhdr = 1 },
	{ "value ows trimmed", RAW("GET / HTTP/1.1\r\nX-A: \t a b \t \r\n\r\n"),
	  .nhdr = 1, .h0name = "X-A", .h0value = "a b" },
	{ "empty value", RAW("GET / HTTP/1.1\r\nX-A:\r\n\r\n"),
	  .nhdr = 1, .h0name = "X-A", .h0value = "" },
	{ "obs-text in value", RAW("GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n"),
	  .nhdr = 1, .h0value = "caf\xc3\xa9" },
	{ "long value with htab and obs-text",
	  RAW("GET / HTTP/1.1\r\n"
	  "X: abcdefgh\tijklmnop \xff\x80qrstuvwxyz0123~\r\n\r\n"),
	  .nhdr = 1, .h0value = "abcdefgh\tijklmnop \xff\x80qrstuvwxyz0123~" },
	{ "long target",
	  RAW("GET /abcdefghijklmnopqrstuvwxyz0123456789~!$&'()*+,;=:@?"
	  " HTTP/1.1\r\n\r\n"),
	  .target = "/abcdefghijklmnopqrstuvwxyz0123456789~!$&'()*+,;=:@?" },
	{ "token method", RAW("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n"),
	  .method = "M-SEARCH", .target = "*", .nhdr = 1 },
	{ "lowercase method is a token", RAW("get / HTTP/1.1\r\n\r\n"),
	  .method = "get" },
	{ "post content-length, body after head",
	  RAW("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"),
	  .rc = 48, .method = "POST", .nhdr = 2,
	  .kind = H1_BODY_LENGTH, .left = 5 },
	{ "content-length 0",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
	  .nhdr = 1, .kind = H1_BODY_NONE },
	{ "content-length leading zeros",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 007\r\n\r\n"),
	  .nhdr = 1, .kind = H1_BODY_LENGTH, .left = 7 },
	{ "content-length list of equal values",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n"),
	  .nhdr = 1, .kind = H1_BODY_LENGTH, .left = 5 },
	{ "content-length repeated equal",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
	  "content-length: 5\r\n\r\n"),
	  .nhdr = 2, .kind = H1_BODY_LENGTH, .left = 5 },
	{ "content-length 2^63-1",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n"),
	  .nhdr = 1, .kind = H1_BODY_LENGTH, .left = INT64_MAX },
	{ "chunked",
	  RAW("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
	  .nhdr = 1, .kind = H1_BODY_CHUNKED },
	{ "chunked case-insensitive",
	  RAW("POST / HTTP/1.1\r\ntransfer-encoding: ChUnKeD\r\n\r\n"),
	  .nhdr = 1, .kind = H1_BODY_CHUNKED },

	/* framing errors (the head itself parses) */
	{ "cl and te", RAW("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n"),
	  .nhdr = 2, .fr_rc = H1_E_TE },
	{ "te and cl", RAW("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 0\r\n\r\n"),
	  .nhdr = 2, .fr_rc = H1_E_TE },
	{ "differing content-length", RAW("POST / HTTP/1.1\r\n"
	  "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"),
	  .nhdr = 2, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "differing content-length list",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n"),
	  .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "content-length +5",
	  RAW("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n"),
	  .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "content-length -1",
	  RAW("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
	  .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "content-length hex",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n"),
	  .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "content-length empty",
	  RAW("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"),
	  .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "content-length inner space",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"),
	  .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "content-length empty element",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 5,\r\n\r\n"),
	  .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "content-length 2^63",
	  RAW("POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n"),
	  .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "content-length 2^64+",
	  RAW("POST / HTTP/1.1\r\n"
	  "Content-Length: 99999999999999999999\r\n\r\n"),
	  .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "te chunked, gzip",
	  RAW("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
	  .nhdr = 1, .fr_rc = H1_E_TE },
	{ "te gzip", RAW("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
	  .nhdr = 1, .fr_rc = H1_E_TE },
	{ "te empty", RAW("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n"),
	  .nhdr = 1, .fr_rc = H1_E_TE },
	{ "te chunked with parameter",
	  RAW("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;x=1\r\n\r\n"),
	  .nhdr = 1, .fr_rc = H1_E_TE },
	{ "te xchunked",
	  RAW("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n"),
	  .nhdr = 1, .fr_rc = H1_E_TE },
	{ "te gzip, chunked",
	  RAW("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
	  .nhdr = 1, .fr_rc = H1_E_TE_UNSUP },
	{ "te split over fields", RAW("POST / HTTP/1.1\r\n"
	  "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"),
	  .nhdr = 2, .fr_rc = H1_E_TE_UNSUP },
	{ "te chunked then gzip field", RAW("POST / HTTP/1.1\r\n"
	  "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"),
	  .nhdr = 2, .fr_rc = H1_E_TE },
	{ "te in http/1.0",
	  RAW("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
	  .http10 = 1, .nhdr = 1, .fr_rc = H1_E_TE },

	/* head errors */
	{ "bare cr in value", RAW("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
	  .rc = H1_E_BARE_CR },
	{ "bare cr before crlf", RAW("GET / HTTP/1.1\r\nX: a\r\r\n\r\n"),
	  .rc = H1_E_BARE_CR },
	{ "bare cr in name", RAW("GET / HTTP/1.1\r\nX\r: a\r\n\r\n"),
	  .rc = H1_E_BARE_CR },
	{ "bare cr line end", RAW("GET / HTTP/1.1\r\nX: a\rY: b\r\n\r\n"),
	  .rc = H1_E_BARE_CR },
	{ "bare cr in request line", RAW("GET /\r HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_BARE_CR },
	{ "bare cr after version", RAW("GET / HTTP/1.1\r\r\n\r\n"),
	  .rc = H1_E_BARE_CR },
	{ "nul in value", RAW("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"),
	  .rc = H1_E_HDR_VALUE },
	{ "control in value", RAW("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n"),
	  .rc = H1_E_HDR_VALUE },
	{ "del in value", RAW("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n"),
	  .rc = H1_E_HDR_VALUE },
	{ "control deep in long value",
	  RAW("GET / HTTP/1.1\r\nX: abcdefghijklmnopq\x1frstuvwxyz\r\n\r\n"),
	  .rc = H1_E_HDR_VALUE },
	{ "del deep in long value",
	  RAW("GET / HTTP/1.1\r\nX: abcdefghijklmnop\x7fqrstuvwxyz\r\n\r\n"),
	  .rc = H1_E_HDR_VALUE },
	{ "nul deep in long value",
	  RAW("GET / HTTP/1.1\r\nX: abcdefghijklmnopqrstuvwx\0yz\r\n\r\n"),
	  .rc = H1_E_HDR_VALUE },
	{ "bare cr deep in long value",
	  RAW("GET / HTTP/1.1\r\nX: abcdefghijklmnopqrstuvw\rxyz\r\n\r\n"),
	  .rc = H1_E_BARE_CR },
	{ "obs-fold", RAW("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"),
	  .rc = H1_E_OBS_FOLD },
	{ "obs-fold htab", RAW("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"),
	  .rc = H1_E_OBS_FOLD },
	{ "whitespace before first field",
	  RAW("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), .rc = H1_E_OBS_FOLD },
	{ "space before colon", RAW("GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
	  .rc = H1_E_HDR_NAME },
	{ "htab before colon", RAW("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"),
	  .rc = H1_E_HDR_NAME },
	{ "empty field name", RAW("GET / HTTP/1.1\r\n: a\r\n\r\n"),
	  .rc = H1_E_HDR_NAME },
	{ "bad name char", RAW("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n"),
	  .rc = H1_E_HDR_NAME },
	{ "nul in name", RAW("GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n"),
	  .rc = H1_E_HDR_NAME },
	{ "no colon", RAW("GET / HTTP/1.1\r\nHost\r\n\r\n"),
	  .rc = H1_E_SYNTAX },
	{ "bad method char",
	  RAW("G(ET / HTTP/1.1\r\n\r\n"), .rc = H1_E_METHOD },
	{ "control in method", RAW("GE\x01T / HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_METHOD },
	{ "tls client hello", RAW("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
	  "\r\n\r\n"), .rc = H1_E_METHOD },
	{ "leading space", RAW(" GET / HTTP/1.1\r\n\r\n"), .rc = H1_E_METHOD },
	{ "space in target", RAW("GET /a b HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_TARGET },
	{ "htab in target", RAW("GET /a\tb HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_TARGET },
	{ "del in target", RAW("GET /\x7f HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_TARGET },
	{ "8-bit in target", RAW("GET /\xc3\xa9 HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_TARGET },
	{ "8-bit deep in long target",
	  RAW("GET /abc\xc3\xa9" "defghijklmnopqrstu HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_TARGET },
	{ "del deep in long target",
	  RAW("GET /abcdefghijklmnopqrs\x7ftuv HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_TARGET },
	{ "control deep in long target",
	  RAW("GET /abcdefghijklmnopq\x01rstuvwxyz HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_TARGET },
	{ "nul in target", RAW("GET /\0 HTTP/1.1\r\n\r\n"), .rc = H1_E_TARGET },
	{ "two spaces after method", RAW("GET  / HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_SYNTAX },
	{ "two spaces before version", RAW("GET /  HTTP/1.1\r\n\r\n"),
	  .rc = H1_E_SYNTAX },
	/* RFC 9112 2.3: a later HTTP/1 minor version is served as 1.1. */
	{ "http/1.2 is 1.1", RAW("GET / HTTP/1.2\r\n\r\n"), .method = "GET" },
	{ "http/1.9 is 1.1", RAW("GET / HTTP/1.9\r\n\r\n"), .method = "GET" },
	{ "http/2.0", RAW("GET / HTTP/2.0\r\n\r\n"),
	  .rc = H1_E_VERSION_UNSUP },
	{ "http/0.9 with version", RAW("GET / HTTP/0.9\r\n\r\n"),
	  .rc = H1_E_VERSION_UNSUP },
	{ "http/1.x", RAW("GET / HTTP/1.x\r\n\r\n"), .rc = H1_E_VERSION },
	{ "lowercase version", RAW("GET / http/1.1\r\n\r\n"),
	  .rc = H1_E_VERSION },
	{ "version too long", RAW("GET / HTTP/1.11\r\n\r\n"),
	  .rc = H1_E_VERSION },
	{ "http/0.9", RAW("GET /\r\n\r\n"), .rc = H1_E_SYNTAX },
	{ "lone method", RAW("GET\r\n\r\n"), .rc = H1_E_SYNTAX },
	{ "too many leading empty lines",
	  RAW("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
	      "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
	      "\r\nGET / HTTP/1.1\r\n\r\n"), .rc = H1_E_SYNTAX },
	{ "oversized complete head",
	  RAW("GET / HTTP/1.1\r\nHost: example\r\n\r\n"),
	  .max = 20, .rc = H1_E_TOO_LONG },
	{ "oversized incomplete head", RAW("GET / HTTP/1.1\r\nHost: exampl"),
	  .max = 20, .rc = H1_E_TOO_LONG },
	{ "head exactly max", RAW("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	  .max = 27, .method = "GET", .nhdr = 1 },
	{ "head one over max", RAW("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	  .max = 26, .rc = H1_E_TOO_LONG },
	{ "incomplete fields", RAW("GET / HTTP/1.1\r\nHost: a\r\n"),
	  .rc = H1_INCOMPLETE },
	{ "incomplete final cr", RAW("GET / HTTP/1.1\r\nHost: a\r\n\r"),
	  .rc = H1_INCOMPLETE },
	{ "incomplete request line",
	  RAW("GET / HTTP/1.1"), .rc = H1_INCOMPLETE },
	{ "empty input", RAW(""), .rc = H1_INCOMPLETE },
	{ "only empty lines", RAW("\r\n\r\n"), .rc = H1_INCOMPLETE },
};

/* Views must point inside the input. */
static void
check_view(struct str v, const char *p, size_t len)
{
	assert_non_null(v.p);
	assert_true(v.p >= p);
	assert_true(v.p + v.len <= p + len);
}

/* A view compared with a C string; prints both on mismatch. */
static void
assert_view(struct str v, const char *want)
{
	char buf[256];
	size_t n = v.len < sizeof(buf) - 1 ? v.len : sizeof(buf) - 1;

	memcpy(buf, v.p, n);
	buf[n] = '\0';
	assert_string_equal(buf, want);
	assert_int_equal(v.len, strlen(want));
}

static void
test_req(void **state)
{
	const struct req_case *c = *state;
	struct h1_req req;
	struct h1_info info;
	struct h1_body body;
	struct h1_scan st;
	size_t max = c->max ? c->max : DEFAULT_MAX, k, i;
	int want = c->rc ? c->rc : (int)c->len, rc;

	memset(&st, 0, sizeof(st));
	rc = h1_parse_req(c->raw, c->len, max, &st, &req);
	assert_int_equal(rc, want);

	/* Byte by byte through one scan state: nothing before the end. */
	memset(&st, 0, sizeof(st));
	for (k = 0; k < c->len; k++) {
		rc = h1_parse_req(c->raw, k, max, &st, &req);
		if (rc != H1_INCOMPLETE)
			assert_int_equal(rc, want);
	}
	rc = h1_parse_req(c->raw, c->len, max, &st, &req);
	assert_int_equal(rc, want);
	if (want < 0)
		return;

	if (c->method != NULL)
		assert_view(req.method, c->method);
	if (c->target != NULL)
		assert_view(req.target, c->target);
	check_view(req.method, c->raw, c->len);
	check_view(req.target, c->raw, c->len);
	assert_int_equal(req.minor, c->http10 ? 0 : 1);
	assert_int_equal(req.nhdr, c->nhdr);
	for (i = 0; i < req.nhdr; i++) {
		check_view(req.hdr[i].name, c->raw, (size_t)want);
		check_view(req.hdr[i].value, c->raw, (size_t)want);
	}
	if (c->h0name != NULL)
		assert_view(req.hdr[0].name, c->h0name);
	if (c->h0value != NULL)
		assert_view(req.hdr[0].value, c->h0value);

	assert_int_equal(h1_msg_info(req.hdr, req.nhdr, req.minor, &info),
	    c->info_rc);
	assert_int_equal(h1_req_framing(&req, &info, &body), c->fr_rc);
	assert_int_equal(body.kind, c->fr_rc ? H1_BODY_NONE : c->kind);
	assert_int_equal(body.left, c->left);
}

/* Build a request with n fields into buf; returns its length. */
static size_t
req_with_fields(char *buf, size_t size, size_t n)
{
	size_t len, i;

	len = (size_t)snprintf(buf, size, "GET / HTTP/1.1\r\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "X-%zu: %zu\r\n",
		    i, i);
	len += (size_t)snprintf(buf + len, size - len, "\r\n");
	assert_true(len < size);
	return len;
}

static void
test_req_max_fields(void **state)
{
	static char buf[8192];
	struct h1_req req;
	struct h1_scan st;
	size_t len;

	(void)state;
	len = req_with_fields(buf, sizeof(buf), H1_MAX_HEADERS);
	memset(&st, 0, sizeof(st));
	assert_int_equal(h1_parse_req(buf, len, sizeof(buf), &st, &req),
	    (int)len);
	assert_int_equal(req.nhdr, H1_MAX_HEADERS);
	assert_view(req.hdr[H1_MAX_HEADERS - 1].name, "X-99");
	assert_view(req.hdr[H1_MAX_HEADERS - 1].value, "99");

	len = req_with_fields(buf, sizeof(buf), H1_MAX_HEADERS + 1);
	memset(&st, 0, sizeof(st));
	assert_int_equal(h1_parse_req(buf, len, sizeof(buf), &st, &req),
	    H1_E_TOO_MANY);
}

/* A long head delivered in pieces: the scan state must move forward so
 * that old bytes are not searched again. */
static void
test_req_scan_resumes(void **state)
{
	static char buf[8192];
	struct h1_req req;
	struct h1_scan st;
	size_t len, k;

	(void)state;
	len = req_with_fields(buf, sizeof(buf), 50);
	memset(&st, 0, sizeof(st));
	for (k = 100; k < len; k += 100) {
		assert_int_equal(h1_parse_req(buf, k, sizeof(buf), &st, &req),
		    H1_INCOMPLETE);
		assert_true(st.scanned + 2 >= k);
		assert_true(st.scanned <= k);
	}
	assert_int_equal(h1_parse_req(buf, len, sizeof(buf), &st, &req),
	    (int)len);
	assert_int_equal(req.nhdr, 50);
}

/* ------------------------------------------------------------------ */
/* Responses                                                          */

struct resp_case {
	const char *name;
	const char *raw;
	size_t      len;
	size_t      max;	/* 0: DEFAULT_MAX */
	int         rc;		/* 0: the whole input is the head */
	int         status;
	const char *reason;	/* NULL: not checked */
	int         http10;
	size_t      nhdr;
	int         req_head;
	int         req_connect;
	int         info_rc;
	int         fr_rc;
	enum h1_body_kind kind;
	uint64_t    left;
};

static struct resp_case resp_cases[] = {
	{ "200 with length",
	  RAW("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
	  .status = 200, .reason = "OK", .nhdr = 1,
	  .kind = H1_BODY_LENGTH, .left = 5 },
	{ "body after head",
	  RAW("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
	  .rc = 38, .status = 200, .nhdr = 1,
	  .kind = H1_BODY_LENGTH, .left = 2 },
	{ "empty reason with sp", RAW("HTTP/1.1 200 \r\n\r\n"),
	  .status = 200, .reason = "", .kind = H1_BODY_CLOSE },
	{ "empty reason without sp", RAW("HTTP/1.1 200\r\n\r\n"),
	  .status = 200, .reason = "", .kind = H1_BODY_CLOSE },
	{ "http/1.0 404", RAW("HTTP/1.0 404 Not Found\r\n\r\n"),
	  .status = 404, .reason = "Not Found", .http10 = 1,
	  .kind = H1_BODY_CLOSE },
	{ "reason with htab and obs-text",
	  RAW("HTTP/1.1 200 O\tK \xe9\r\n\r\n"),
	  .status = 200, .reason = "O\tK \xe9", .kind = H1_BODY_CLOSE },
	{ "status 999", RAW("HTTP/1.1 999 Odd\r\n\r\n"), .status = 999,
	  .kind = H1_BODY_CLOSE },
	{ "bare lf", RAW("HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
	  .status = 200, .nhdr = 1 },
	{ "leading crlf",
	  RAW("\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	  .status = 200, .nhdr = 1 },
	{ "chunked",
	  RAW("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
	  .status = 200, .nhdr = 1, .kind = H1_BODY_CHUNKED },
	{ "gzip, chunked", RAW("HTTP/1.1 200 OK\r\n"
	  "Transfer-Encoding: gzip, chunked\r\n\r\n"),
	  .status = 200, .nhdr = 1, .kind = H1_BODY_CHUNKED },
	{ "te gzip is close-delimited",
	  RAW("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"),
	  .status = 200, .nhdr = 1, .kind = H1_BODY_CLOSE },
	{ "te chunked, gzip is close-delimited",
	  RAW("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
	  .status = 200, .nhdr = 1, .kind = H1_BODY_CLOSE },
	{ "te overrides cl", RAW("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n"),
	  .status = 200, .nhdr = 2, .kind = H1_BODY_CHUNKED },
	{ "te in http/1.0 response",
	  RAW("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
	  .status = 200, .http10 = 1, .nhdr = 1, .kind = H1_BODY_CLOSE },
	{ "content-length 0",
	  RAW("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	  .status = 200, .nhdr = 1, .kind = H1_BODY_NONE },
	{ "204 ignores length", RAW("HTTP/1.1 204 No Content\r\n"
	  "Content-Length: 5\r\n\r\n"), .status = 204, .nhdr = 1 },
	{ "304 ignores length", RAW("HTTP/1.1 304 Not Modified\r\n"
	  "Content-Length: 5\r\n\r\n"), .status = 304, .nhdr = 1 },
	{ "100 continue", RAW("HTTP/1.1 100 Continue\r\n\r\n"), .status = 100 },
	{ "101 switching", RAW("HTTP/1.1 101 Switching Protocols\r\n"
	  "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
	  .status = 101, .nhdr = 2, .kind = H1_BODY_TUNNEL },
	{ "head response", RAW("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
	  .status = 200, .nhdr = 1, .req_head = 1, .kind = H1_BODY_NONE },
	{ "head response chunked", RAW("HTTP/1.1 200 OK\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n"),
	  .status = 200, .nhdr = 1, .req_head = 1, .kind = H1_BODY_NONE },
	{ "connect 200", RAW("HTTP/1.1 200 Connection established\r\n\r\n"),
	  .status = 200, .req_connect = 1, .kind = H1_BODY_TUNNEL },
	{ "connect 407", RAW("HTTP/1.1 407 Auth\r\nContent-Length: 3\r\n\r\n"),
	  .status = 407, .nhdr = 1, .req_connect = 1,
	  .kind = H1_BODY_LENGTH, .left = 3 },
	{ "bad content-length",
	  RAW("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
	  .status = 200, .nhdr = 1, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },
	{ "differing content-length", RAW("HTTP/1.1 200 OK\r\n"
	  "Content-Length: 1\r\nContent-Length: 2\r\n\r\n"),
	  .status = 200, .nhdr = 2, .info_rc = H1_E_CL, .fr_rc = H1_E_CL },

	{ "two-digit status",
	  RAW("HTTP/1.1 20 OK\r\n\r\n"), .rc = H1_E_STATUS },
	{ "status 099", RAW("HTTP/1.1 099 X\r\n\r\n"), .rc = H1_E_STATUS },
	{ "four-digit status", RAW("HTTP/1.1 2000 OK\r\n\r\n"),
	  .rc = H1_E_STATUS },
	{ "letters in status", RAW("HTTP/1.1 2x0 OK\r\n\r\n"),
	  .rc = H1_E_STATUS },
	{ "no status", RAW("HTTP/1.1\r\n\r\n"), .rc = H1_E_STATUS },
	{ "http/2.0", RAW("HTTP/2.0 200 OK\r\n\r\n"), .rc = H1_E_VERSION },
	{ "http/1.10", RAW("HTTP/1.10 200 OK\r\n\r\n"), .rc = H1_E_VERSION },
	{ "http/1.2 response is 1.1", RAW("HTTP/1.2 200 OK\r\n\r\n"),
	  .status = 200, .reason = "OK", .kind = H1_BODY_CLOSE },
	{ "icy", RAW("ICY 200 OK\r\n\r\n"), .rc = H1_E_VERSION },
	{ "obs-fold", RAW("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"),
	  .rc = H1_E_OBS_FOLD },
	{ "bare cr in reason", RAW("HTTP/1.1 200 O\rK\r\n\r\n"),
	  .rc = H1_E_BARE_CR },
	{ "nul in reason",
	  RAW("HTTP/1.1 200 O\0K\r\n\r\n"), .rc = H1_E_SYNTAX },
	{ "bare cr in field", RAW("HTTP/1.1 200 OK\r\nX: \r\r\n\r\n"),
	  .rc = H1_E_BARE_CR },
	{ "space before colon", RAW("HTTP/1.1 200 OK\r\n"
	  "Content-Length : 5\r\n\r\n"), .rc = H1_E_HDR_NAME },
	{ "incomplete", RAW("HTTP/1.1 200 OK\r\n"), .rc = H1_INCOMPLETE },
	{ "too long", RAW("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"), .max = 16,
	  .rc = H1_E_TOO_LONG },
};

static void
test_resp(void **state)
{
	const struct resp_case *c = *state;
	struct h1_resp resp;
	struct h1_info info;
	struct h1_body body;
	struct h1_scan st;
	size_t max = c->max ? c->max : DEFAULT_MAX, k, i;
	int want = c->rc ? c->rc : (int)c->len, rc;

	memset(&st, 0, sizeof(st));
	rc = h1_parse_resp(c->raw, c->len, max, &st, &resp);
	assert_int_equal(rc, want);

	memset(&st, 0, sizeof(st));
	for (k = 0; k < c->len; k++) {
		rc = h1_parse_resp(c->raw, k, max, &st, &resp);
		if (rc != H1_INCOMPLETE)
			assert_int_equal(rc, want);
	}
	rc = h1_parse_resp(c->raw, c->len, max, &st, &resp);
	assert_int_equal(rc, want);
	if (want < 0)
		return;

	assert_int_equal(resp.status, c->status);
	assert_int_equal(resp.minor, c->http10 ? 0 : 1);
	if (c->reason != NULL)
		assert_view(resp.reason, c->reason);
	check_view(resp.reason, c->raw, c->len);
	assert_int_equal(resp.nhdr, c->nhdr);
	for (i = 0; i < resp.nhdr; i++) {
		check_view(resp.hdr[i].name, c->raw, (size_t)want);
		check_view(resp.hdr[i].value, c->raw, (size_t)want);
	}
	assert_int_equal(h1_msg_info(resp.hdr, resp.nhdr, resp.minor, &info),
	    c->info_rc);
	assert_int_equal(h1_resp_framing(&resp, &info, c->req_head,
	    c->req_connect, &body), c->fr_rc);
	assert_int_equal(body.kind, c->fr_rc ? H1_BODY_NONE : c->kind);
	assert_int_equal(body.left, c->left);
}

/* ------------------------------------------------------------------ */
/* Chunked bodies                                                     */

struct chunk_case {
	const char *name;
	const char *raw;
	size_t      len;
	ssize_t     rc;		/* 0: all bytes consumed */
	int         done;
};

static struct chunk_case chunk_cases[] = {
	{ "simple", RAW("5\r\nhello\r\n0\r\n\r\n"), .done = 1 },
	{ "two chunks", RAW("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "empty body", RAW("0\r\n\r\n"), .done = 1 },
	{ "hex sizes", RAW("a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "leading zeros", RAW("0005\r\nhello\r\n000\r\n\r\n"), .done = 1 },
	{ "many leading zeros",
	  RAW("0000000000000000000000001\r\nx\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "extensions", RAW("5;a=b;c\r\nhello\r\n0;last\r\n\r\n"), .done = 1 },
	{ "quoted extension", RAW("5;a=\"x;y\\\"z\"\r\nhello\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "extension bws", RAW("5 ; a = b ;c\t;d=\"q\" \r\nhello\r\n0\r\n\r\n"),
	  .rc = H1_E_CHUNK },
	{ "extension bws ok",
	  RAW("5 ; a = b ;c\t;d=\"q\"\r\nhello\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "trailers", RAW("5\r\nhello\r\n0\r\nX-A: 1\r\nX-B:\t2 \r\n\r\n"),
	  .done = 1 },
	/* Bare LF in chunk framing is refused (a smuggling vector). */
	{ "bare lf after size", RAW("5\nhello\r\n0\r\n\r\n"),
	  .rc = H1_E_CHUNK },
	{ "bare lf after data", RAW("5\r\nhello\n0\r\n\r\n"),
	  .rc = H1_E_CHUNK },
	{ "bare lf ending trailers", RAW("0\r\nX: y\n\n"), .rc = H1_E_CHUNK },
	{ "bytes after the end", RAW("0\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
	  .rc = 5, .done = 1 },
	{ "bytes after trailers", RAW("1\r\nx\r\n0\r\nA: b\r\n\r\nHTTP"),
	  .rc = 17, .done = 1 },
	{ "unfinished data", RAW("5\r\nhel"), .done = 0 },
	{ "unfinished trailers",
	  RAW("5\r\nhello\r\n0\r\nX: 1\r\n"), .done = 0 },
	{ "unfinished final crlf", RAW("0\r\n\r"), .done = 0 },
	{ "largest size", RAW("7fffffffffffffff\r\nabc"), .done = 0 },
	{ "largest size 16 digits",
	  RAW("00007FFFFFFFFFFFFFFF\r\n"), .done = 0 },

	{ "missing size", RAW("\r\nhello\r\n0\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "only extension", RAW(";a\r\n"), .rc = H1_E_CHUNK },
	{ "non-hex size", RAW("g\r\n"), .rc = H1_E_CHUNK },
	{ "negative size", RAW("-5\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "0x prefix", RAW("0x5\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "leading space", RAW(" 5\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "trailing space", RAW("5 \r\nhello\r\n0\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "bare cr after size",
	  RAW("5\rhello\r\n0\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "bare cr in extension",
	  RAW("5;a\rb\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "empty extension name", RAW("5;\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "empty extension value", RAW("5;a=\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "unterminated quote", RAW("5;a=\"x\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "space in extension value", RAW("5;a=b c\r\nhello\r\n"),
	  .rc = H1_E_CHUNK },
	{ "data too long", RAW("5\r\nhelloX\r\n0\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "bare cr after data", RAW("5\r\nhello\rX\n0\r\n\r\n"),
	  .rc = H1_E_CHUNK },
	{ "size 2^63", RAW("8000000000000000\r\n"), .rc = H1_E_CHUNK_SIZE },
	{ "17 digits", RAW("10000000000000000\r\n"), .rc = H1_E_CHUNK_SIZE },
	{ "2^64 overflow",
	  RAW("ffffffffffffffffff\r\n"), .rc = H1_E_CHUNK_SIZE },
	{ "trailer obs-fold",
	  RAW("0\r\nX: a\r\n b\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "trailer without colon", RAW("0\r\nX\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "trailer bare cr", RAW("0\r\nX: a\rb\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "trailer nul", RAW("0\r\nX: a\0b\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "final bare cr", RAW("0\r\n\rX"), .rc = H1_E_CHUNK },
};

/*
 * Feed p[0..len) to a fresh chunked scanner in pieces ending at the given
 * split offsets (strictly increasing, the last being len). Returns the
 * total consumed or the first error; *done as the scanner says. Once the
 * scanner is done, the remaining bytes are not offered again.
 */
static ssize_t
chunk_feed(const char *p, size_t len, const size_t *cuts, size_t ncut,
	   int *done)
{
	struct h1_body body;
	size_t pos = 0, i;
	ssize_t r, total = 0;

	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_CHUNKED;
	*done = 0;
	for (i = 0; i < ncut && !*done; i++) {
		r = h1_body_scan(&body, p + pos, cuts[i] - pos, done);
		if (r < 0)
			return r;
		assert_true((size_t)r <= cuts[i] - pos);
		/* Short only when the message ended. */
		if (!*done)
			assert_int_equal(r, cuts[i] - pos);
		total += r;
		pos = cuts[i];
	}
	assert_true((size_t)total <= len);
	return total;
}

static void
test_chunk(void **state)
{
	const struct chunk_case *c = *state;
	ssize_t want = c->rc ? c->rc : (ssize_t)c->len, r;
	size_t cuts[2], k, *bytes;
	int done, want_done = want < 0 ? 0 : c->done;

	cuts[0] = c->len;
	r = chunk_feed(c->raw, c->len, cuts, 1, &done);
	assert_int_equal(r, want);
	if (want >= 0)
		assert_int_equal(done, want_done);

	/* Every split point. */
	for (k = 0; k <= c->len; k++) {
		cuts[0] = k;
		cuts[1] = c->len;
		r = chunk_feed(c->raw, c->len, cuts, 2, &done);
		assert_int_equal(r, want);
		if (want >= 0)
			assert_int_equal(done, want_done);
	}

	/* One byte at a time. */
	bytes = malloc((c->len + 1) * sizeof(*bytes));
	assert_non_null(bytes);
	for (k = 0; k < c->len; k++)
		bytes[k] = k + 1;
	r = chunk_feed(c->raw, c->len, bytes, c->len, &done);
	free(bytes);
	assert_int_equal(r, want);
	if (want >= 0)
		assert_int_equal(done, want_done);
}

/* Errors stick: a scanner that failed keeps failing. */
static void
test_chunk_error_sticks(void **state)
{
	struct h1_body body;
	int done;

	(void)state;
	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_CHUNKED;
	assert_int_equal(h1_body_scan(&body, "x", 1, &done), H1_E_CHUNK);
	assert_int_equal(h1_body_scan(&body, "0\r\n\r\n", 5, &done),
	    H1_E_CHUNK);
}

/* After the end, nothing more belongs to the message. */
static void
test_chunk_done_sticks(void **state)
{
	struct h1_body body;
	int done;

	(void)state;
	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_CHUNKED;
	assert_int_equal(h1_body_scan(&body, "0\r\n\r\n", 5, &done), 5);
	assert_int_equal(done, 1);
	assert_int_equal(h1_body_scan(&body, "0\r\n\r\n", 5, &done), 0);
	assert_int_equal(done, 1);
}

/* Trailer section limit: 64 KiB passes, one byte more does not. */
static void
test_chunk_trailer_limit(void **state)
{
	static char buf[70000];
	struct h1_body body;
	size_t len, fill;
	ssize_t r;
	int done, over;

	(void)state;
	for (over = 0; over <= 1; over++) {
		/* "0\r\n" "X:" fill "\r\n" "\r\n": the section is the
		 * field line plus the final CRLF. */
		fill = 64 * 1024 - 2 - 2 - 2 + (size_t)over;
		len = 0;
		memcpy(buf, "0\r\nX:", 5);
		len = 5;
		memset(buf + len, 'a', fill);
		len += fill;
		memcpy(buf + len, "\r\n\r\n", 4);
		len += 4;
		memset(&body, 0, sizeof(body));
		body.kind = H1_BODY_CHUNKED;
		r = h1_body_scan(&body, buf, len, &done);
		if (over) {
			assert_int_equal(r, H1_E_CHUNK);
		} else {
			assert_int_equal(r, (ssize_t)len);
			assert_int_equal(done, 1);
		}
	}
}

/*
 * h1_dechunk(), the in-place decoder the server side uses for HTTP/1.0
 * clients: fed the whole body at once, and fed in pieces split at every
 * point (resuming with the same h1_body, as the server side does when a
 * body arrives in several reads). rest: bytes after the end of the message
 * that must stay behind the data, untouched.
 */
struct dechunk_case {
	const char *name;
	const char *raw;
	size_t      len;
	const char *data;	/* the decoded content */
	const char *rest;	/* what follows the message, "" if nothing */
	int         err;	/* expected negative code, or 0 */
};

static struct dechunk_case dechunk_cases[] = {
	{ "simple", RAW("5\r\nhello\r\n0\r\n\r\n"), "hello", "" },
	{ "two chunks", RAW("5\r\nhello\r\n6;x=\"y\"\r\n world\r\n0\r\n\r\n"),
	  "hello world", "" },
	{ "data looks like framing", RAW("5\r\n0\r\n\r\n\r\n0\r\n\r\n"),
	  "0\r\n\r\n", "" },
	{ "trailers dropped", RAW("3\r\nabc\r\n0\r\nX: y\r\n\r\nNEXT"), "abc",
	  "NEXT" },
	{ "empty", RAW("0\r\n\r\n"), "", "" },
	{ "pipelined response after",
	  RAW("2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK"),
	  "ok", "HTTP/1.1 200 OK" },
	{ "bare LF in framing", RAW("5\nhello\r\n0\r\n\r\n"), "", "",
	  H1_E_CHUNK },
	{ "bad size", RAW("zz\r\nhello\r\n0\r\n\r\n"), "", "", H1_E_CHUNK },
};

/* Decode c->raw fed in two pieces split at cut (cut == len: at once),
 * the way the server side does: the decoded data accumulates at the start
 * of the region, the undecoded tail follows. */
static void
dechunk_split(const struct dechunk_case *c, size_t cut)
{
	struct h1_body body;
	char buf[128];
	size_t have = 0, len, fwd = 0;
	ssize_t n;
	int done = 0, err = 0;

	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_CHUNKED;
	assert_true(c->len < sizeof(buf));
	/* First piece. */
	memcpy(buf, c->raw, cut);
	have = cut;
	len = have - fwd;
	n = h1_dechunk(&body, buf + fwd, &len, &done);
	if (n < 0) {
		err = (int)n;
	} else {
		have = fwd + len;
		fwd += (size_t)n;
	}
	/* Second piece, appended behind what the first left (and left
	 * alone when the message already ended). */
	if (!err && cut < c->len) {
		memcpy(buf + have, c->raw + cut, c->len - cut);
		have += c->len - cut;
	}
	if (!err && !done && cut < c->len) {
		len = have - fwd;
		n = h1_dechunk(&body, buf + fwd, &len, &done);
		if (n < 0) {
			err = (int)n;
		} else {
			have = fwd + len;
			fwd += (size_t)n;
		}
	}
	if (c->err) {
		assert_int_equal(err, c->err);
		return;
	}
	assert_int_equal(err, 0);
	assert_int_equal(done, 1);
	assert_int_equal(fwd, strlen(c->data));
	assert_memory_equal(buf, c->data, fwd);
	assert_int_equal(have - fwd, strlen(c->rest));
	assert_memory_equal(buf + fwd, c->rest, have - fwd);
	assert_int_equal(h1_chunk_data_left(&body), 0);
}

static void
test_dechunk(void **state)
{
	const struct dechunk_case *c = *state;
	size_t cut;

	dechunk_split(c, c->len);
	for (cut = 0; cut < c->len; cut++)
		dechunk_split(c, cut);
}

/* Only a chunked body on chunk data has data left. */
static void
test_chunk_data_left_kinds(void **state)
{
	struct h1_body body;
	int done;

	(void)state;
	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_LENGTH;
	body.left = 10;
	assert_int_equal(h1_chunk_data_left(&body), 0);
	body.kind = H1_BODY_CHUNKED;
	body.left = 0;
	assert_int_equal(h1_chunk_data_left(&body), 0);
	assert_int_equal(h1_body_scan(&body, "1a\r", 3, &done), 3);
	assert_int_equal(h1_chunk_data_left(&body), 0);
	assert_int_equal(h1_body_scan(&body, "\nxy", 3, &done), 3);
	assert_int_equal(h1_chunk_data_left(&body), 24);
}

/* ------------------------------------------------------------------ */
/* Content-Length, close and tunnel bodies                            */

struct len_case {
	const char *name;
	enum h1_body_kind kind;
	uint64_t    left;
	size_t      n;		/* bytes offered */
	ssize_t     rc;
	int         done;
	uint64_t    left_after;
};

static struct len_case len_cases[] = {
	{ "length exact", H1_BODY_LENGTH, 5, 5, 5, 1, 0 },
	{ "length short", H1_BODY_LENGTH, 5, 3, 3, 0, 2 },
	{ "length bytes after", H1_BODY_LENGTH, 5, 9, 5, 1, 0 },
	{ "length huge", H1_BODY_LENGTH, INT64_MAX, 9, 9, 0, INT64_MAX - 9 },
	{ "none", H1_BODY_NONE, 0, 9, 0, 1, 0 },
	{ "close", H1_BODY_CLOSE, 0, 9, 9, 0, 0 },
	{ "tunnel", H1_BODY_TUNNEL, 0, 9, 9, 0, 0 },
};

static void
test_len(void **state)
{
	const struct len_case *c = *state;
	struct h1_body body;
	int done = -1;

	memset(&body, 0, sizeof(body));
	body.kind = c->kind;
	body.left = c->left;
	assert_int_equal(h1_body_scan(&body, "123456789", c->n, &done), c->rc);
	assert_int_equal(done, c->done);
	assert_int_equal(body.left, c->left_after);
}

/* ------------------------------------------------------------------ */
/* h1_msg_info() on its own                                           */

struct info_case {
	const char *name;
	const char *raw;
	size_t      len;
	int         rc;
	int         conn_close, conn_keepalive, conn_upgrade;
	int         expect_100;
	int         host, nhost, upgrade;
	int         has_te, te_chunked;
};

static struct info_case info_cases[] = {
	{ "nothing", RAW("GET / HTTP/1.1\r\nX: y\r\n\r\n"),
	  .host = -1, .upgrade = -1 },
	{ "connection close",
	  RAW("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
	  .conn_close = 1, .host = -1, .upgrade = -1 },
	{ "connection list", RAW("GET / HTTP/1.1\r\n"
	  "Connection: Keep-Alive , UPGRADE\r\n\r\n"),
	  .conn_keepalive = 1, .conn_upgrade = 1, .host = -1, .upgrade = -1 },
	{ "connection fields combine", RAW("GET / HTTP/1.1\r\n"
	  "Connection: keep-alive\r\nConnection: close\r\n\r\n"),
	  .conn_close = 1, .conn_keepalive = 1, .host = -1, .upgrade = -1 },
	{ "connection closed is not close", RAW("GET / HTTP/1.1\r\n"
	  "Connection: closed, xclose\r\n\r\n"), .host = -1, .upgrade = -1 },
	{ "host and upgrade", RAW("GET / HTTP/1.1\r\nX: 1\r\nhOsT: a\r\n"
	  "Upgrade: websocket\r\nHost: b\r\nUpgrade: h2c\r\n\r\n"),
	  .host = 1, .nhost = 2, .upgrade = 2 },
	{ "expect", RAW("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n"),
	  .expect_100 = 1, .host = -1, .upgrade = -1 },
	{ "expect other", RAW("PUT / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n"),
	  .host = -1, .upgrade = -1 },
	{ "te empty elements", RAW("POST / HTTP/1.1\r\n"
	  "Transfer-Encoding: , chunked ,\r\n\r\n"),
	  .has_te = 1, .te_chunked = 1, .host = -1, .upgrade = -1 },
	{ "te last field wins", RAW("POST / HTTP/1.1\r\n"
	  "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"),
	  .has_te = 1, .host = -1, .upgrade = -1 },
	{ "bad cl still collects", RAW("POST / HTTP/1.1\r\n"
	  "Content-Length: 1x\r\nHost: a\r\nConnection: close\r\n\r\n"),
	  .rc = H1_E_CL, .conn_close = 1, .host = 1, .nhost = 1,
	  .upgrade = -1 },
};

static void
test_info(void **state)
{
	const struct info_case *c = *state;
	struct h1_req req;
	struct h1_info info;
	struct h1_scan st;

	memset(&st, 0, sizeof(st));
	assert_int_equal(h1_parse_req(c->raw, c->len, DEFAULT_MAX, &st, &req),
	    (int)c->len);
	assert_int_equal(h1_msg_info(req.hdr, req.nhdr, req.minor, &info),
	    c->rc);
	assert_int_equal(info.conn_close, c->conn_close);
	assert_int_equal(info.conn_keepalive, c->conn_keepalive);
	assert_int_equal(info.conn_upgrade, c->conn_upgrade);
	assert_int_equal(info.expect_100, c->expect_100);
	assert_int_equal(info.host, c->host);
	assert_int_equal(info.nhost, c->nhost);
	assert_int_equal(info.upgrade, c->upgrade);
	assert_int_equal(info.has_te, c->has_te);
	assert_int_equal(info.te_chunked, c->te_chunked);
	assert_int_equal(info.bad_cl, c->rc == H1_E_CL);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

struct list_case {
	const char *name;
	const char *value;
	const char *token;
	int         want;
};

static struct list_case list_cases[] = {
	{ "single", "close", "close", 1 },
	{ "case", "Close", "close", 1 },
	{ "second", "keep-alive, close", "close", 1 },
	{ "ows", "  a ,\tclose\t", "close", 1 },
	{ "parameters", "a, close;q=1", "close", 1 },
	{ "parameters ows", "close ; q=1", "close", 1 },
	{ "empty elements", ",,a,,", "a", 1 },
	{ "prefix", "closed", "close", 0 },
	{ "suffix", "xclose", "close", 0 },
	{ "empty", "", "close", 0 },
	{ "inside other", "a close b", "close", 0 },
};

static void
test_list(void **state)
{
	const struct list_case *c = *state;

	assert_int_equal(h1_list_has(str_make(c->value, strlen(c->value)),
	    c->token), c->want);
}

struct method_case {
	const char *name;	/* the method itself */
	enum h1_method m;
	int         idem;
};

static struct method_case method_cases[] = {
	{ "GET", H1_M_GET, 1 },
	{ "HEAD", H1_M_HEAD, 1 },
	{ "POST", H1_M_POST, 0 },
	{ "PUT", H1_M_PUT, 1 },
	{ "DELETE", H1_M_DELETE, 1 },
	{ "CONNECT", H1_M_CONNECT, 0 },
	{ "OPTIONS", H1_M_OPTIONS, 1 },
	{ "TRACE", H1_M_TRACE, 1 },
	{ "PATCH", H1_M_PATCH, 0 },
	{ "get", H1_M_OTHER, 0 },
	{ "GETS", H1_M_OTHER, 0 },
	{ "PROPFIND", H1_M_OTHER, 0 },
};

static void
test_method(void **state)
{
	const struct method_case *c = *state;
	enum h1_method m = h1_method_of(str_make(c->name, strlen(c->name)));

	assert_int_equal(m, c->m);
	assert_int_equal(h1_method_idempotent(m), c->idem);
}

static void
test_hdr_find(void **state)
{
	struct h1_header h[3];

	(void)state;
	h[0].name = STR_LIT("Host");
	h[1].name = STR_LIT("X-Host");
	h[2].name = STR_LIT("HOST");
	assert_int_equal(h1_hdr_find(h, 3, 0, "host"), 0);
	assert_int_equal(h1_hdr_find(h, 3, 1, "host"), 2);
	assert_int_equal(h1_hdr_find(h, 3, 3, "host"), -1);
	assert_int_equal(h1_hdr_find(h, 3, 0, "x-host"), 1);
	assert_int_equal(h1_hdr_find(h, 3, 0, "hos"), -1);
	assert_int_equal(h1_hdr_find(h, 0, 0, "host"), -1);
}

static void
test_strerror(void **state)
{
	const char *seen[20];
	int rc, i;

	(void)state;
	for (rc = H1_INCOMPLETE; rc >= H1_E_LAST; rc--) {
		seen[-rc] = h1_strerror(rc);
		assert_non_null(seen[-rc]);
		assert_string_not_equal(seen[-rc], "unknown error");
		for (i = 1; i < -rc; i++)
			assert_string_not_equal(seen[i], seen[-rc]);
	}
	assert_string_equal(h1_strerror(-100), "unknown error");
	assert_string_equal(h1_strerror(12), "ok");
}

/* ------------------------------------------------------------------ */

/*
 * Run one cmocka group with a test per table row. Every row struct starts
 * with its name, which becomes the test's name.
 */
static int
run_table(const char *group, CMUnitTestFunction fn, void *rows,
	  size_t stride, size_t n)
{
	struct CMUnitTest *t;
	size_t i;
	int failed;

	t = calloc(n, sizeof(*t));
	assert_non_null(t);
	for (i = 0; i < n; i++) {
		t[i].initial_state = (char *)rows + i * stride;
		t[i].name = *(const char **)t[i].initial_state;
		t[i].test_func = fn;
	}
	failed = _cmocka_run_group_tests(group, t, n, NULL, NULL);
	free(t);
	return failed;
}

#define RUN_TABLE(group, fn, rows) \
	run_table(group, fn, rows, sizeof((rows)[0]), NELEM(rows))

/* h1_req_start_bad(): every prefix of a real request line can still be
 * one; other protocols are seen from their first bytes. */
static const struct {
	const char *in;
	size_t      len;	/* 0: strlen */
	int         bad;
} start_cases[] = {
	{ "", 0, 0 },
	{ "G", 0, 0 },
	{ "GET", 0, 0 },
	{ "GET ", 0, 0 },
	{ "GET /a?b=c", 0, 0 },
	{ "GET / ", 0, 0 },
	{ "GET / HTTP/1", 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: x\r\n", 0, 0 },
	{ "\r\n\r\nPOST http://a/ HTTP/1.0", 0, 0 },
	{ "CONNECT a:443 HTTP/1.1", 0, 0 },
	{ "\x16\x03\x01\x02\x00", 5, 1 },	/* TLS hello */
	{ "SSH-2.0-OpenSSH_9.2\r\n", 0, 1 },	/* CR before SP */
	{ "\x00\x01", 2, 1 },
	{ " GET / HTTP/1.1", 0, 1 },	/* no method */
	{ "GET  / HTTP/1.1", 0, 1 },	/* no target */
	{ "GET /a\x01 HTTP/1.1", 0, 1 },
	{ "GET / FTP/1.0", 0, 1 },
	{ "GET / HTTP/2.0", 0, 1 },
	{ "GET / http/1.1", 0, 1 },
	{ "EHLO mail.example\r\n", 0, 1 },
};

static void
test_req_start_bad(void **state)
{
	size_t i, n, k;

	(void)state;
	for (i = 0; i < sizeof(start_cases) / sizeof(start_cases[0]); i++) {
		n = start_cases[i].len ? start_cases[i].len :
		    strlen(start_cases[i].in);
		if (h1_req_start_bad(start_cases[i].in, n) !=
		    start_cases[i].bad)
			fail_msg("case %zu (%s): want %d", i,
				 start_cases[i].in, start_cases[i].bad);
		/* A prefix of a good start is good too. */
		for (k = 0; !start_cases[i].bad && k < n; k++)
			assert_int_equal(h1_req_start_bad(start_cases[i].in,
							  k), 0);
	}
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_req_max_fields),
		cmocka_unit_test(test_req_scan_resumes),
		cmocka_unit_test(test_chunk_error_sticks),
		cmocka_unit_test(test_chunk_done_sticks),
		cmocka_unit_test(test_chunk_trailer_limit),
		cmocka_unit_test(test_chunk_data_left_kinds),
		cmocka_unit_test(test_hdr_find),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_req_start_bad),
	};
	int failed = 0;

	failed += RUN_TABLE("h1_req", test_req, req_cases);
	failed += RUN_TABLE("h1_resp", test_resp, resp_cases);
	failed += RUN_TABLE("h1_chunked", test_chunk, chunk_cases);
	failed += RUN_TABLE("h1_dechunk", test_dechunk, dechunk_cases);
	failed += RUN_TABLE("h1_length", test_len, len_cases);
	failed += RUN_TABLE("h1_info", test_info, info_cases);
	failed += RUN_TABLE("h1_list_has", test_list, list_cases);
	failed += RUN_TABLE("h1_method", test_method, method_cases);
	failed += cmocka_run_group_tests_name("h1_misc", misc, NULL, NULL);
	return failed != 0;
}
