/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_hdr.c - header rewriting: hop-by-hop removal, Via, X-Forwarded-For,
 * Host, response Connection handling. Table-driven.
 *
 * Besides the exact head, every row checks the framing invariant: the head
 * built for the next hop, parsed again, frames the body the way the proxy
 * framed the received one (same kind, same length), unless the proxy
 * removes the framing itself (drop_framing), and then the body is
 * delimited by close and the head says so. Connection naming a framing
 * field must never change that (request/response smuggling).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "http/h1.h"
#include "http/hdr.h"

struct kv {
	const char *name, *value;
};

static void
fill_req(struct h1_req *r, const char *method, const struct kv *kv,
	 int minor)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->method = str_make(method, strlen(method));
	r->target = STR_LIT("http://o.test/x");
	r->minor = minor;
	for (i = 0; kv[i].name; i++) {
		r->hdr[i].name = str_make(kv[i].name, strlen(kv[i].name));
		r->hdr[i].value = str_make(kv[i].value, strlen(kv[i].value));
	}
	r->nhdr = i;
}

struct req_case {
	const char *what;
	struct kv   in[8];
	int         xff;
	int         upgrade;
	const char *expect;	/* the whole head */
	const char *method;	/* NULL: GET */
};

#define VIA_PX	"Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n"

static const struct req_case req_cases[] = {
	{ .what = "plain GET gets Host, XFF and Via",
	  .in = { { "Accept", "*/*" }, { NULL, NULL } },
	  .xff = HDR_XFF_ON,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\nAccept: */*\r\n"
		    "X-Forwarded-For: 198.18.1.2\r\n" VIA_PX "\r\n" },
	{ .what = "hop-by-hop and Connection-named fields removed",
	  .in = { { "Connection", "X-Foo, keep-alive" }, { "X-Foo", "1" },
		  { "Keep-Alive", "300" },
		  { "Proxy-Connection", "keep-alive" },
		  { "TE", "trailers" }, { "Trailer", "X" },
		  { "Proxy-Authorization", "Basic eA==" }, { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n" VIA_PX "\r\n" },
	{ .what = "client Host replaced by the target's",
	  .in = { { "Host", "evil.test" }, { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n" VIA_PX "\r\n" },
	{ .what = "XFF on appends to an existing one",
	  .in = { { "X-Forwarded-For", "203.0.113.9" }, { NULL, NULL } },
	  .xff = HDR_XFF_ON,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n"
		    "X-Forwarded-For: 203.0.113.9, 198.18.1.2\r\n"
		    VIA_PX "\r\n" },
	{ .what = "XFF off says unknown",
	  .in = { { NULL, NULL } },
	  .xff = HDR_XFF_OFF,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n"
		    "X-Forwarded-For: unknown\r\n" VIA_PX "\r\n" },
	{ .what = "XFF transparent leaves it alone",
	  .in = { { "X-Forwarded-For", "a" }, { NULL, NULL } },
	  .xff = HDR_XFF_TRANSPARENT,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n"
		    "X-Forwarded-For: a\r\n" VIA_PX "\r\n" },
	{ .what = "XFF truncate replaces it",
	  .in = { { "X-Forwarded-For", "a, b" }, { NULL, NULL } },
	  .xff = HDR_XFF_TRUNCATE,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n"
		    "X-Forwarded-For: 198.18.1.2\r\n" VIA_PX "\r\n" },
	{ .what = "an existing Via is kept, ours follows",
	  .in = { { "Via", "1.0 other" }, { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n"
		    "Via: 1.0 other\r\n" VIA_PX "\r\n" },
	{ .what = "Upgrade kept when tunnelling",
	  .in = { { "Connection", "Upgrade" }, { "Upgrade", "websocket" },
		  { NULL, NULL } },
	  .xff = HDR_XFF_DELETE, .upgrade = 1,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n"
		    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		    VIA_PX "\r\n" },
	{ .what = "Upgrade dropped otherwise",
	  .in = { { "Connection", "Upgrade" }, { "Upgrade", "websocket" },
		  { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n" VIA_PX "\r\n" },

	/* Connection cannot make a framing field (or Host) hop-by-hop: the
	 * body goes on in the framing the proxy parsed, so the field that
	 * says so must go with it, or a request hidden in a chunk reaches
	 * the origin as a request of its own. */
	{ .what = "Connection: Transfer-Encoding keeps TE (smuggling)",
	  .method = "POST",
	  .in = { { "Connection", "Transfer-Encoding" },
		  { "Transfer-Encoding", "chunked" }, { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "POST /x HTTP/1.1\r\nHost: o.test\r\n"
		    "Transfer-Encoding: chunked\r\n" VIA_PX "\r\n" },
	{ .what = "Connection: close, Transfer-Encoding keeps TE",
	  .method = "POST",
	  .in = { { "Connection", "close, Transfer-Encoding" },
		  { "Transfer-Encoding", "chunked" }, { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "POST /x HTTP/1.1\r\nHost: o.test\r\n"
		    "Transfer-Encoding: chunked\r\n" VIA_PX "\r\n" },
	{ .what = "any case: connection: TRANSFER-encoding",
	  .method = "POST",
	  .in = { { "connection", "TRANSFER-encoding" },
		  { "TRANSFER-ENCODING", "chunked" }, { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "POST /x HTTP/1.1\r\nHost: o.test\r\n"
		    "TRANSFER-ENCODING: chunked\r\n" VIA_PX "\r\n" },
	{ .what = "several Connection fields: X-Foo goes, TE stays",
	  .method = "POST",
	  .in = { { "Connection", "keep-alive" },
		  { "Transfer-Encoding", "chunked" },
		  { "Connection", "X-Foo,Transfer-Encoding" },
		  { "X-Foo", "1" }, { "Connection", "transfer-encoding" },
		  { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "POST /x HTTP/1.1\r\nHost: o.test\r\n"
		    "Transfer-Encoding: chunked\r\n" VIA_PX "\r\n" },
	{ .what = "Connection: Content-Length keeps the length",
	  .method = "POST",
	  .in = { { "Content-Length", "5" },
		  { "Connection", "Content-Length" }, { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "POST /x HTTP/1.1\r\nHost: o.test\r\n"
		    "Content-Length: 5\r\n" VIA_PX "\r\n" },
	{ .what = "Connection naming TE, CL and Host at once",
	  .method = "POST",
	  .in = { { "Host", "o.test" },
		  { "Connection", "Host, Content-Length, Transfer-Encoding, "
				  "X-Foo" },
		  { "Transfer-Encoding", "chunked" }, { "X-Foo", "1" },
		  { "Accept", "*/*" }, { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "POST /x HTTP/1.1\r\nHost: o.test\r\n"
		    "Transfer-Encoding: chunked\r\nAccept: */*\r\n"
		    VIA_PX "\r\n" },
	{ .what = "Connection: Host on a GET keeps the target's Host",
	  .in = { { "Connection", "host" }, { "Host", "o.test" },
		  { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "GET /x HTTP/1.1\r\nHost: o.test\r\n"
		    VIA_PX "\r\n" },
	{ .what = "Connection: TE (the request field) still removes TE",
	  .method = "POST",
	  .in = { { "Connection", "TE" }, { "TE", "trailers" },
		  { "Transfer-Encoding", "chunked" }, { NULL, NULL } },
	  .xff = HDR_XFF_DELETE,
	  .expect = "POST /x HTTP/1.1\r\nHost: o.test\r\n"
		    "Transfer-Encoding: chunked\r\n" VIA_PX "\r\n" },
};

/*
 * Parse a head again, as the next hop would, and return its framing in
 * *body. fails the test if the head does not parse or frame.
 */
static void
reparse_req(const char *head, struct h1_body *body)
{
	static struct h1_req r;
	struct h1_scan sc;
	struct h1_info info;
	size_t n = strlen(head);

	memset(&sc, 0, sizeof(sc));
	assert_int_equal(h1_parse_req(head, n, n, &sc, &r), (int)n);
	assert_int_equal(h1_msg_info(r.hdr, r.nhdr, r.minor, &info), 0);
	assert_int_equal(h1_req_framing(&r, &info, body), 0);
}

static void
test_req_table(void **state)
{
	static struct h1_req r;
	struct hdr_req_opts o;
	struct h1_info info;
	struct h1_body in_body, out_body;
	struct buf b;
	size_t i;
	char got[4096];

	(void)state;
	assert_int_equal(buf_init(&b, 4096), 0);
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];
		const char *m = c->method ? c->method : "GET";

		print_message("case: %s\n", c->what);
		fill_req(&r, m, c->in, 1);
		/* What the client side does: frame the request (the row must
		 * be one it accepts), pass the length it parsed. */
		assert_int_equal(h1_msg_info(r.hdr, r.nhdr, r.minor, &info), 0);
		assert_int_equal(h1_req_framing(&r, &info, &in_body), 0);
		memset(&o, 0, sizeof(o));
		o.method = str_make(m, strlen(m));
		o.target = STR_LIT("/x");
		o.host = STR_LIT("o.test");
		o.via_name = "px";
		o.xff = c->xff;
		o.client = "198.18.1.2";
		o.upgrade = c->upgrade;
		o.has_cl = info.has_cl;
		o.cl = info.cl;
		buf_reset(&b);
		assert_int_equal(hdr_build_req(&b, &r, &o), 0);
		memcpy(got, buf_head(&b), buf_len(&b));
		got[buf_len(&b)] = '\0';
		assert_string_equal(got, c->expect);
		/* The origin frames the body as the proxy did. */
		reparse_req(got, &out_body);
		assert_int_equal(out_body.kind, in_body.kind);
		assert_int_equal(out_body.left, in_body.left);
	}
	buf_free(&b);
}

static void
test_req_no_room(void **state)
{
	struct h1_req r;
	struct hdr_req_opts o;
	struct buf b;
	static const struct kv kv[] = {
		{ "X-Long", "0123456789012345678901234567890123456789" },
		{ NULL, NULL },
	};

	(void)state;
	fill_req(&r, "GET", kv, 1);
	memset(&o, 0, sizeof(o));
	o.method = STR_LIT("GET");
	o.target = STR_LIT("/");
	o.host = STR_LIT("h");
	o.client = "x";
	assert_int_equal(buf_init(&b, 48), 0);
	assert_true(hdr_build_req(&b, &r, &o) < 0);
	buf_free(&b);
}

/*
 * Response rows. The options are set the way the client side sets them
 * from the response (src/forward/client.c): one Content-Length passed on
 * when there was one, Content-Length dropped when Transfer-Encoding frames
 * the body; the row says whether the connection stays open, what version
 * the client speaks and whether the proxy removes the framing itself
 * (dechunking for an HTTP/1.0 client, a body delimited by close).
 */
struct resp_case {
	const char *what;
	struct kv   in[8];
	int         keepalive, client_minor, drop_framing;
	const char *expect;
	int         resp_http10;	/* the server spoke HTTP/1.0 */
};

static const struct resp_case resp_cases[] = {
	{ .what = "1.1 client, keep-alive: no Connection added",
	  .in = { { "Content-Length", "3" }, { NULL, NULL } },
	  .keepalive = 1, .client_minor = 1,
	  .expect = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n" },
	{ .what = "close: Connection: close",
	  .in = { { "Content-Length", "3" }, { "Connection", "close" },
		  { NULL, NULL } },
	  .keepalive = 0, .client_minor = 1,
	  .expect = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
		    "Connection: close\r\n\r\n" },
	{ .what = "1.0 client kept alive is told so",
	  .in = { { "Content-Length", "3" }, { "Keep-Alive", "timeout=5" },
		  { NULL, NULL } },
	  .keepalive = 1, .client_minor = 0,
	  .expect = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
		    "Connection: keep-alive\r\n\r\n" },
	{ .what = "CL dropped when TE present",
	  .in = { { "Transfer-Encoding", "chunked" }, { "Content-Length", "9" },
		  { NULL, NULL } },
	  .keepalive = 1, .client_minor = 1,
	  .expect = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" },

	/* Connection cannot make a framing field hop-by-hop: without it a
	 * chunked body reaches the client unframed on a kept connection,
	 * and what the server hid in a chunk reads as the next response. */
	{ .what = "Connection: Transfer-Encoding keeps TE (smuggling)",
	  .in = { { "Connection", "Transfer-Encoding" },
		  { "Transfer-Encoding", "chunked" }, { NULL, NULL } },
	  .keepalive = 1, .client_minor = 1,
	  .expect = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" },
	{ .what = "Connection: close, Transfer-Encoding keeps TE",
	  .in = { { "Connection", "close, Transfer-Encoding" },
		  { "Transfer-Encoding", "chunked" }, { NULL, NULL } },
	  .keepalive = 0, .client_minor = 1,
	  .expect = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		    "Connection: close\r\n\r\n" },
	{ .what = "any case: CONNECTION: transfer-ENCODING",
	  .in = { { "CONNECTION", "transfer-ENCODING" },
		  { "transfer-encoding", "chunked" }, { NULL, NULL } },
	  .keepalive = 1, .client_minor = 1,
	  .expect = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" },
	{ .what = "several Connection fields: X-Foo goes, TE stays",
	  .in = { { "Connection", "keep-alive" },
		  { "Transfer-Encoding", "chunked" },
		  { "Connection", "X-Foo,\tTransfer-Encoding" },
		  { "X-Foo", "1" }, { "Connection", "Transfer-Encoding" },
		  { NULL, NULL } },
	  .keepalive = 1, .client_minor = 1,
	  .expect = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" },
	{ .what = "Connection: Content-Length keeps the length",
	  .in = { { "Connection", "Content-Length" },
		  { "Content-Length", "8" }, { NULL, NULL } },
	  .keepalive = 1, .client_minor = 1,
	  .expect = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n" },
	{ .what = "Connection naming TE and CL, both present: TE frames",
	  .in = { { "Connection", "Content-Length, Transfer-Encoding" },
		  { "Content-Length", "8" },
		  { "Transfer-Encoding", "chunked" }, { NULL, NULL } },
	  .keepalive = 1, .client_minor = 1,
	  .expect = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" },
	{ .what = "Connection: Content-Length to a 1.0 client kept alive",
	  .in = { { "Content-Length", "8" },
		  { "Connection", "content-length" }, { NULL, NULL } },
	  .keepalive = 1, .client_minor = 0,
	  .expect = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n"
		    "Connection: keep-alive\r\n\r\n" },
	/* The proxy's own framing decisions still apply. */
	{ .what = "dechunked for a 1.0 client: no framing, close",
	  .in = { { "Connection", "Transfer-Encoding" },
		  { "Transfer-Encoding", "chunked" }, { NULL, NULL } },
	  .keepalive = 0, .client_minor = 0, .drop_framing = 1,
	  .expect = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" },
	{ .what = "HTTP/1.0 server with TE: close-delimited, no framing",
	  .in = { { "Connection", "Transfer-Encoding" },
		  { "Transfer-Encoding", "chunked" }, { NULL, NULL } },
	  .keepalive = 0, .client_minor = 1, .drop_framing = 1,
	  .resp_http10 = 1,
	  .expect = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" },
};

/* Parse a response head again, as the client would; fails the test if it
 * does not parse or frame. */
static void
reparse_resp(const char *head, struct h1_info *info, struct h1_body *body)
{
	static struct h1_resp r;
	struct h1_scan sc;
	size_t n = strlen(head);

	memset(&sc, 0, sizeof(sc));
	assert_int_equal(h1_parse_resp(head, n, n, &sc, &r), (int)n);
	assert_int_equal(h1_msg_info(r.hdr, r.nhdr, r.minor, info), 0);
	assert_int_equal(h1_resp_framing(&r, info, 0, 0, body), 0);
}

static void
test_resp_table(void **state)
{
	static struct h1_resp r;
	struct hdr_resp_opts o;
	struct h1_info info, out_info;
	struct h1_body in_body, out_body;
	struct buf b;
	size_t i, k;
	char got[4096];

	(void)state;
	assert_int_equal(buf_init(&b, 4096), 0);
	for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
		const struct resp_case *c = &resp_cases[i];

		print_message("case: %s\n", c->what);
		memset(&r, 0, sizeof(r));
		r.minor = c->resp_http10 ? 0 : 1;
		r.status = 200;
		r.reason = STR_LIT("OK");
		for (k = 0; c->in[k].name; k++) {
			r.hdr[k].name = str_make(c->in[k].name,
						 strlen(c->in[k].name));
			r.hdr[k].value = str_make(c->in[k].value,
						  strlen(c->in[k].value));
		}
		r.nhdr = k;
		assert_int_equal(h1_msg_info(r.hdr, r.nhdr, r.minor, &info), 0);
		assert_int_equal(h1_resp_framing(&r, &info, 0, 0, &in_body), 0);
		memset(&o, 0, sizeof(o));
		o.keepalive = c->keepalive;
		o.client_minor = c->client_minor;
		o.drop_cl = info.has_te;
		o.has_cl = info.has_cl;
		o.cl = info.cl;
		o.drop_framing = c->drop_framing;
		buf_reset(&b);
		assert_int_equal(hdr_build_resp(&b, &r, &o), 0);
		memcpy(got, buf_head(&b), buf_len(&b));
		got[buf_len(&b)] = '\0';
		assert_string_equal(got, c->expect);
		reparse_resp(got, &out_info, &out_body);
		if (c->drop_framing) {
			assert_int_equal(out_body.kind, H1_BODY_CLOSE);
		} else {
			assert_int_equal(out_body.kind, in_body.kind);
			assert_int_equal(out_body.left, in_body.left);
		}
		/* A body delimited by close on a connection the client may
		 * keep is how a response gets smuggled. */
		if (out_body.kind == H1_BODY_CLOSE)
			assert_int_equal(out_info.conn_close, 1);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_table),
		cmocka_unit_test(test_req_no_room),
		cmocka_unit_test(test_resp_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
