/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_logfmt.c - the logformat compiler and formatter (src/log/logfmt.c):
 * each row is a format string, the record it formats and the line it must
 * give. Squid's built-in formats are checked byte for byte against lines
 * written from their definitions in Squid's logformat documentation
 * (squid.conf.documented, "The default formats available").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "http/h1.h"
#include "http/msg.h"
#include "log/access_log.h"
#include "config/logfmt.h"
#include "log/logfmt.h"

static const char req_head[] =
	"GET http://o.test/a/b?q=1&r=2 HTTP/1.1\r\n"
	"Host: o.test\r\n"
	"Referer: http://r.test/x\r\n"
	"User-Agent: curl/8.0 (x)\r\n"
	"Accept: a=1, b=2\r\n"
	"X-Odd: a%b[c]\r\n"
	"X-Q: say \"hi\"\\\r\n\r\n";
static const char resp_head[] =
	"HTTP/1.1 200 OK\r\n"
	"Server: S\r\n"
	"Cache-Control: max-age=60, private\r\n"
	"Content-Type: text/html\r\n\r\n";

static struct http_msg reqm, respm;
static struct sockaddr_in cli, loc, peer;

static void
keep_heads(void)
{
	static char rb[sizeof(req_head)], sb[sizeof(resp_head)];
	struct h1_scan sc = { 0 };
	struct h1_req req;
	struct h1_resp resp;
	int rc;

	memcpy(rb, req_head, sizeof(req_head));
	rc = h1_parse_req(rb, sizeof(req_head) - 1, 8192, &sc, &req);
	assert_int_equal(rc, (int)sizeof(req_head) - 1);
	assert_int_equal(http_msg_keep_req(&reqm, &req, rb, (size_t)rc), 0);
	memset(&sc, 0, sizeof(sc));
	memcpy(sb, resp_head, sizeof(resp_head));
	rc = h1_parse_resp(sb, sizeof(resp_head) - 1, 8192, &sc, &resp);
	assert_int_equal(rc, (int)sizeof(resp_head) - 1);
	assert_int_equal(http_msg_keep_resp(&respm, &resp, sb, (size_t)rc),
			 0);
}

static void
addr4(struct sockaddr_in *sa, const char *ip, unsigned port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &sa->sin_addr);
}

/* The record every row starts from: a GET through a direct route. */
static void
base_rec(struct alog_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->end = 1732459201.123;
	r->start = 1732459201.111;
	r->elapsed_ms = 12;
	r->client = (struct sockaddr *)&cli;
	r->local = (struct sockaddr *)&loc;
	r->code = "TCP_MISS";
	r->status = 200;
	r->bytes = 1234;
	r->bytes_in = sizeof(req_head) - 1;
	r->method = STR_LIT("GET");
	r->url = STR_LIT("http://o.test/a/b?q=1&r=2");
	r->strip_query = 1;
	r->host = STR_LIT("o.test");
	r->port = 80;
	r->path = STR_LIT("/a/b?q=1&r=2");
	r->minor = 1;
	r->hier = "HIER_DIRECT";
	r->peer = (struct sockaddr *)&peer;
	r->type = STR_LIT("text/html");
	r->req = &reqm;
	r->resp = &respm;
	r->seq = 7;
}

enum mod {
	M_NONE, M_NOSTRIP, M_CONNECT, M_NOHEADS, M_DENIED, M_ABORTED,
	M_CLIENT6,
};

struct fmt_case {
	const char *spec;
	enum mod    mod;
	const char *want;	/* without the '\n' */
};

#define HLEN "157"	/* sizeof(req_head) - 1, checked below */

static const struct fmt_case cases[] = {
	/* Squid's built-in formats, as squid.conf.documented defines them. */
	{ "squid", M_NONE, "1732459201.123     12 198.18.1.2 TCP_MISS/200 "
	  "1234 GET http://o.test/a/b? - HIER_DIRECT/198.18.2.2 text/html" },
	{ "common", M_NONE, "198.18.1.2 - - [24/Nov/2024:14:40:01 +0000] "
	  "\"GET http://o.test/a/b? HTTP/1.1\" 200 1234 TCP_MISS:HIER_DIRECT" },
	{ "combined", M_NONE, "198.18.1.2 - - [24/Nov/2024:14:40:01 +0000] "
	  "\"GET http://o.test/a/b? HTTP/1.1\" 200 1234 \"http://r.test/x\" "
	  "\"curl/8.0%20(x)\" TCP_MISS:HIER_DIRECT" },
	{ "referrer", M_NONE, "1732459201.123 198.18.1.2 http://r.test/x "
	  "http://o.test/a/b?" },
	{ "useragent", M_NONE, "198.18.1.2 [24/Nov/2024:14:40:01 +0000] "
	  "\"curl/8.0%20(x)\"" },
	{ "squid", M_DENIED, "1732459201.123     12 198.18.1.2 TCP_DENIED/403 "
	  "1234 GET http://o.test/a/b? - HIER_NONE/- text/html" },
	{ "squid", M_ABORTED, "1732459201.123     12 198.18.1.2 "
	  "TCP_MISS_ABORTED/000 1234 GET http://o.test/a/b? - "
	  "HIER_DIRECT/198.18.2.2 text/html" },
	{ "common", M_NOHEADS, "198.18.1.2 - - [24/Nov/2024:14:40:01 +0000] "
	  "\"GET http://o.test/a/b? HTTP/0.0\" 200 1234 TCP_MISS:HIER_DIRECT" },

	/* Connection codes. */
	{ "%>a:%>p %http::>a %>A", M_NONE,
	  "198.18.1.2:40000 198.18.1.2 198.18.1.2" },
	{ "%>a", M_CLIENT6, "2001:db8::7" },
	{ "%la %lp %>la %>lp", M_NONE, "198.18.0.1 3128 198.18.0.1 3128" },
	{ "%<a %<p %<A", M_NONE, "198.18.2.2 80 198.18.2.2" },
	{ "%<a %<p", M_DENIED, "- -" },
	{ "%>eui %>qos %<la %<lp %>nfmark", M_NONE, "- - - - -" },

	/* Times. */
	{ "%ts %tu %03tu %tr %6tr %-6tr|", M_NONE,
	  "1732459201 123 123 12     12 12    |" },
	{ "%tS", M_NONE, "1732459201.111" },
	{ "%tg|%tl", M_NONE,
	  "24/Nov/2024:14:40:01 +0000|24/Nov/2024:14:40:01 +0000" },
	{ "%{%Y-%m-%d %H}tg", M_NONE, "2024-11-24 14" },
	{ "%tg{%s}", M_NONE, "1732459201" },
	{ "%dt %<pt %<tt %busy_time", M_NONE, "- - - -" },

	/* The request. */
	{ "%rm %>rm %<rm %http::rm", M_NONE, "GET GET GET GET" },
	{ "%ru", M_NONE, "http://o.test/a/b?" },
	{ "%ru", M_NOSTRIP, "http://o.test/a/b?q=1&r=2" },
	{ "%>ru", M_NONE, "http://o.test/a/b?q=1&r=2" },
	{ "%ru %rm", M_CONNECT, "o.test:443 CONNECT" },
	{ "%rp|%>rd|%>rP|%>rs", M_NONE, "/a/b?q=1&r=2|o.test|80|http" },
	{ "%>rs %rp", M_CONNECT, "- -" },
	{ "%rv %>rv %<rv", M_NONE, "1.1 1.1 1.1" },

	/* Header fields, members, and no head at all. */
	{ "%{Host}>h %>h{Host} %{host}>ha", M_NONE, "o.test o.test o.test" },
	{ "%{Accept:b}>h %{Accept:a}>h %{Accept:c}>h", M_NONE, "2 1 -" },
	{ "%{Cache-Control:max-age}<h %{Server}<h %{X-None}<h", M_NONE,
	  "60 S -" },
	{ "%{Referer}>h %{Server}<h", M_NOHEADS, "- -" },
	{ "%{X-Odd}>h", M_NONE, "a%b%5Bc%5D" },

	/* Encodings, alignment and widths. */
	{ "%\"{User-Agent}>h", M_NONE, "curl/8.0 (x)" },
	{ "%\"{X-Q}>h", M_NONE, "say \\\"hi\\\"\\\\" },
	{ "%[{X-Odd}>h", M_NONE, "a%25b%5Bc%5D" },
	{ "%#{User-Agent}>h %#{X-Odd}>h", M_NONE,
	  "curl/8.0%20(x) a%25b%5Bc%5D" },
	{ "%'{User-Agent}>h", M_NONE, "curl/8.0 (x)" },
	{ "%/{User-Agent}>h %/{Host}>h", M_NONE, "\"curl/8.0 (x)\" o.test" },
	{ "%.4{User-Agent}>h|%-8.4{User-Agent}>h|", M_NONE,
	  "curl|curl    |" },
	{ "%-10rm|%10rm|%05>Hs", M_NONE, "GET       |       GET|00200" },

	/* Status, sizes, tags. */
	{ "%>Hs %<Hs %03>Hs %Hs", M_NONE, "200 200 200 200" },
	{ "%>Hs %<Hs", M_NOHEADS, "200 -" },
	{ "%mt", M_NONE, "text/html" },
	{ "%st %>st %<st %>sh", M_NONE, "1391 " HLEN " 1234 " HLEN },
	{ "%<sh %<bs", M_NONE, "- -" },
	{ "%Ss %Sh %Ss:%Sh", M_ABORTED,
	  "TCP_MISS_ABORTED HIER_DIRECT TCP_MISS_ABORTED:HIER_DIRECT" },
	{ "%err_code %err_detail", M_NONE, "- -" },
	{ "%err_code", M_DENIED, "ERR_ACCESS_DENIED" },

	/* Users (none until authentication), TLS (none until ssl_bump). */
	{ "%un %ul %ue %ui %us %[un", M_NONE, "- - - - - -" },
	{ "%ssl::>sni %ssl::bump_mode %ssl::>cert_subject", M_NONE, "- - -" },
	{ "%6icap::tr %adapt::<last_h{X} %{svc}adapt::sum_trs", M_NONE,
	  "- - -" },
	/* ICAP codes of a request no service saw. */
	{ "%icap::tt %icap::<service_name", M_NONE, "- -" },

	/* Literals. */
	{ "100%% %byte{65}%byte{9}x", M_NONE, "100% A\tx" },
	{ "%sn %master_xaction", M_NONE, "7 7" },
	{ "", M_NONE, "" },
	{ "no codes", M_NONE, "no codes" },
};

static void
apply_mod(struct alog_rec *r, enum mod m)
{
	static struct sockaddr_in6 c6;

	switch (m) {
	case M_NONE:
		break;
	case M_NOSTRIP:
		r->strip_query = 0;
		break;
	case M_CONNECT:
		r->method = STR_LIT("CONNECT");
		r->url = STR_LIT("o.test:443");
		r->path = STR_NULL;
		break;
	case M_NOHEADS:
		r->req = r->resp = NULL;
		r->minor = -1;
		break;
	case M_DENIED:
		r->code = "TCP_DENIED";
		r->status = 403;
		r->hier = "HIER_NONE";
		r->peer = NULL;
		r->errname = "ERR_ACCESS_DENIED";
		break;
	case M_ABORTED:
		r->aborted = 1;
		r->status = 0;
		break;
	case M_CLIENT6:
		memset(&c6, 0, sizeof(c6));
		c6.sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::7", &c6.sin6_addr);
		r->client = (struct sockaddr *)&c6;
		break;
	}
}

static void
test_codes(void **state)
{
	struct lf_tok tok[64];
	struct alog_rec r;
	char line[4096], want[1024], err[160];
	const char *spec;
	size_t i, len;
	long n;
	int failed = 0;

	(void)state;
	assert_int_equal(strlen(HLEN), 3);
	assert_int_equal(sizeof(req_head) - 1, atoi(HLEN));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		spec = lf_builtin(cases[i].spec);
		if (spec == NULL)
			spec = cases[i].spec;
		n = lf_compile(spec, tok, 64, err, sizeof(err));
		if (n < 0 || n > 64) {
			print_error("'%s': does not compile: %s\n", spec,
				    n < 0 ? err : "too long");
			failed = 1;
			continue;
		}
		base_rec(&r);
		apply_mod(&r, cases[i].mod);
		len = lf_format(line, sizeof(line), tok, (size_t)n, &r);
		snprintf(want, sizeof(want), "%s\n", cases[i].want);
		if (len != strlen(line) || strcmp(line, want) != 0) {
			print_error("'%s' (case %zu):\n got  '%s'\n"
				    " want '%s'\n", cases[i].spec, i, line,
				    want);
			failed = 1;
		}
	}
	if (failed)
		fail();
}

/* alog_format (the squid format the daemon writes by default) is the
 * compiled built-in. */
static void
test_native_is_squid(void **state)
{
	struct lf_tok tok[64];
	struct alog_rec r;
	char a[2048], b[2048];
	long n;

	(void)state;
	base_rec(&r);
	n = lf_compile(lf_builtin("squid"), tok, 64, NULL, 0);
	assert_true(n > 0 && n <= 64);
	lf_format(a, sizeof(a), tok, (size_t)n, &r);
	alog_format(b, sizeof(b), &r);
	assert_string_equal(a, b);
}

struct bad_case {
	const char *spec;
	const char *msg;
};

static const struct bad_case bad[] = {
	{ "%Q", "unknown format code '%Q'" },
	{ "%ts %zz", "unknown format code '%zz'" },
	{ "%{Host>h", "malformed format code" },
	{ "%.x", "malformed format code" },
	{ "%byte{0}", "%byte needs {1..255}" },
	{ "%byte", "%byte needs {1..255}" },
	{ "%byte{256}", "%byte needs {1..255}" },
	{ "%", "unknown format code '%'" },
	{ "%icap::", "unknown format code '%icap::'" },
};

static void
test_bad(void **state)
{
	char err[160];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (lf_compile(bad[i].spec, NULL, 0, err, sizeof(err)) >= 0) {
			print_error("'%s' compiled\n", bad[i].spec);
			fail();
		}
		if (strstr(err, bad[i].msg) == NULL) {
			print_error("'%s': '%s', want '%s'\n", bad[i].spec,
				    err, bad[i].msg);
			fail();
		}
	}
}

/* A value longer than the line is cut, the line still ends in '\n'. */
static void
test_long_values(void **state)
{
	struct lf_tok tok[8];
	struct alog_rec r;
	static char url[20000], line[1024];
	size_t len;
	long n;

	(void)state;
	memset(url, 'a', sizeof(url) - 1);
	base_rec(&r);
	r.url = str_make(url, sizeof(url) - 1);
	n = lf_compile("%ts %>ru %ts", tok, 8, NULL, 0);
	assert_int_equal(n, 5);
	len = lf_format(line, sizeof(line), tok, (size_t)n, &r);
	assert_true(len < sizeof(line));
	assert_int_equal(line[len - 1], '\n');
	assert_int_equal(strlen(line), len);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_native_is_squid),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_long_values),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	addr4(&cli, "198.18.1.2", 40000);
	addr4(&loc, "198.18.0.1", 3128);
	addr4(&peer, "198.18.2.2", 80);
	keep_heads();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
