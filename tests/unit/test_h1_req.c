/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_h1_req.c - unit tests of the HTTP/1.1 parser
 * (src/http/h1.c): requests.
 *
 * Table-driven: every row of every table is registered as its own cmocka
 * test, named after the row (h1_fixture.h), so a failure names the input
 * and cmocka's assert_*_equal prints both values.
 * Each head is also fed one byte at a time through one h1_scan, to check
 * that the parser resumes correctly.
 */
#include "h1_fixture.h"

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
		cmocka_unit_test(test_req_start_bad),
	};
	int failed = 0;

	failed += RUN_TABLE("h1_req", test_req, req_cases);
	failed += cmocka_run_group_tests_name("h1_req_misc", misc, NULL, NULL);
	return failed != 0;
}
