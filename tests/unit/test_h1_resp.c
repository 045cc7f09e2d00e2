/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_h1_resp.c - unit tests of the HTTP/1.1 parser
 * (src/http/h1.c): responses, h1_msg_info() on its own, and the helpers
 * (list membership, methods, header lookup, error strings).
 *
 * Table-driven: every row of every table is registered as its own cmocka
 * test, named after the row (h1_fixture.h), so a failure names the input
 * and cmocka's assert_*_equal prints both values.
 */
#include "h1_fixture.h"

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
int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_hdr_find),
		cmocka_unit_test(test_strerror),
	};
	int failed = 0;

	failed += RUN_TABLE("h1_resp", test_resp, resp_cases);
	failed += RUN_TABLE("h1_info", test_info, info_cases);
	failed += RUN_TABLE("h1_list_has", test_list, list_cases);
	failed += RUN_TABLE("h1_method", test_method, method_cases);
	failed += cmocka_run_group_tests_name("h1_misc", misc, NULL, NULL);
	return failed != 0;
}
