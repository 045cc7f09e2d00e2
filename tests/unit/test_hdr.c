/*
 * test_hdr.c - header rewriting: hop-by-hop removal, Via, X-Forwarded-For,
 * Host, response Connection handling. Table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "http/hdr.h"

struct kv {
	const char *name, *value;
};

static void
fill_req(struct h1_req *r, const struct kv *kv, int minor)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->method = STR_LIT("GET");
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
};

static const struct req_case req_cases[] = {
	{ "plain GET gets Host, XFF and Via",
	  { { "Accept", "*/*" }, { NULL, NULL } }, HDR_XFF_ON, 0,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\nAccept: */*\r\n"
	  "X-Forwarded-For: 198.18.1.2\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
	{ "hop-by-hop and Connection-named fields removed",
	  { { "Connection", "X-Foo, keep-alive" }, { "X-Foo", "1" },
	    { "Keep-Alive", "300" }, { "Proxy-Connection", "keep-alive" },
	    { "TE", "trailers" }, { "Trailer", "X" },
	    { "Proxy-Authorization", "Basic eA==" }, { NULL, NULL } },
	  HDR_XFF_DELETE, 0,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
	{ "client Host replaced by the target's",
	  { { "Host", "evil.test" }, { NULL, NULL } }, HDR_XFF_DELETE, 0,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
	{ "XFF on appends to an existing one",
	  { { "X-Forwarded-For", "203.0.113.9" }, { NULL, NULL } },
	  HDR_XFF_ON, 0,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\n"
	  "X-Forwarded-For: 203.0.113.9, 198.18.1.2\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
	{ "XFF off says unknown",
	  { { NULL, NULL } }, HDR_XFF_OFF, 0,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\nX-Forwarded-For: unknown\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
	{ "XFF transparent leaves it alone",
	  { { "X-Forwarded-For", "a" }, { NULL, NULL } },
	  HDR_XFF_TRANSPARENT, 0,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\nX-Forwarded-For: a\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
	{ "XFF truncate replaces it",
	  { { "X-Forwarded-For", "a, b" }, { NULL, NULL } },
	  HDR_XFF_TRUNCATE, 0,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\n"
	  "X-Forwarded-For: 198.18.1.2\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
	{ "an existing Via is kept, ours follows",
	  { { "Via", "1.0 other" }, { NULL, NULL } }, HDR_XFF_DELETE, 0,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\nVia: 1.0 other\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
	{ "Upgrade kept when tunnelling",
	  { { "Connection", "Upgrade" }, { "Upgrade", "websocket" },
	    { NULL, NULL } }, HDR_XFF_DELETE, 1,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\nUpgrade: websocket\r\n"
	  "Connection: Upgrade\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
	{ "Upgrade dropped otherwise",
	  { { "Connection", "Upgrade" }, { "Upgrade", "websocket" },
	    { NULL, NULL } }, HDR_XFF_DELETE, 0,
	  "GET /x HTTP/1.1\r\nHost: o.test\r\n"
	  "Via: 1.1 px (tproxyd/" TPROXYD_VERSION ")\r\n\r\n" },
};

static void
test_req_table(void **state)
{
	struct h1_req r;
	struct hdr_req_opts o;
	struct buf b;
	size_t i;
	char got[4096];

	(void)state;
	assert_int_equal(buf_init(&b, 4096), 0);
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];

		fill_req(&r, c->in, 1);
		memset(&o, 0, sizeof(o));
		o.method = STR_LIT("GET");
		o.target = STR_LIT("/x");
		o.host = STR_LIT("o.test");
		o.via_name = "px";
		o.xff = c->xff;
		o.client = "198.18.1.2";
		o.upgrade = c->upgrade;
		buf_reset(&b);
		assert_int_equal(hdr_build_req(&b, &r, &o), 0);
		memcpy(got, buf_head(&b), buf_len(&b));
		got[buf_len(&b)] = '\0';
		print_message("case: %s\n", c->what);
		assert_string_equal(got, c->expect);
	}
	buf_free(&b);
}

static void
test_req_no_room(void **state)
{
	struct h1_req r;
	struct hdr_req_opts o;
	struct buf b;
	static const struct kv kv[] = { { "X-Long", "0123456789012345678901234567890123456789" }, { NULL, NULL } };

	(void)state;
	fill_req(&r, kv, 1);
	memset(&o, 0, sizeof(o));
	o.method = STR_LIT("GET");
	o.target = STR_LIT("/");
	o.host = STR_LIT("h");
	o.client = "x";
	assert_int_equal(buf_init(&b, 48), 0);
	assert_true(hdr_build_req(&b, &r, &o) < 0);
	buf_free(&b);
}

struct resp_case {
	const char *what;
	struct kv   in[6];
	int         keepalive, client_minor, drop_cl;
	const char *expect;
};

static const struct resp_case resp_cases[] = {
	{ "1.1 client, keep-alive: no Connection added",
	  { { "Content-Length", "3" }, { NULL, NULL } }, 1, 1, 0,
	  "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n" },
	{ "close: Connection: close",
	  { { "Content-Length", "3" }, { "Connection", "close" },
	    { NULL, NULL } }, 0, 1, 0,
	  "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n" },
	{ "1.0 client kept alive is told so",
	  { { "Content-Length", "3" }, { "Keep-Alive", "timeout=5" },
	    { NULL, NULL } }, 1, 0, 0,
	  "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	  "Connection: keep-alive\r\n\r\n" },
	{ "CL dropped when TE present",
	  { { "Transfer-Encoding", "chunked" }, { "Content-Length", "9" },
	    { NULL, NULL } }, 1, 1, 1,
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" },
};

static void
test_resp_table(void **state)
{
	struct h1_resp r;
	struct hdr_resp_opts o;
	struct buf b;
	size_t i, k;
	char got[4096];

	(void)state;
	assert_int_equal(buf_init(&b, 4096), 0);
	for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
		const struct resp_case *c = &resp_cases[i];

		memset(&r, 0, sizeof(r));
		r.minor = 1;
		r.status = 200;
		r.reason = STR_LIT("OK");
		for (k = 0; c->in[k].name; k++) {
			r.hdr[k].name = str_make(c->in[k].name,
						 strlen(c->in[k].name));
			r.hdr[k].value = str_make(c->in[k].value,
						  strlen(c->in[k].value));
		}
		r.nhdr = k;
		memset(&o, 0, sizeof(o));
		o.keepalive = c->keepalive;
		o.client_minor = c->client_minor;
		o.drop_cl = c->drop_cl;
		buf_reset(&b);
		assert_int_equal(hdr_build_resp(&b, &r, &o), 0);
		memcpy(got, buf_head(&b), buf_len(&b));
		got[buf_len(&b)] = '\0';
		print_message("case: %s\n", c->what);
		assert_string_equal(got, c->expect);
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
