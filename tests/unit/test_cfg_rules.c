/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cfg_rules.c - the rules module (cfg_rules.c): every directive's
 * valid and invalid forms as a table, the values stored, the header
 * filter of hdr_build_req()/hdr_build_resp() (what a rule may and may not
 * touch), and the per-address connection counts of limits.c
 * (client_ip_max_connections).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "core/limits.h"
#include "http/h1.h"
#include "http/hdr.h"

#include "cfg_cases.h"

static const struct load_case cases[] = {
	/* http_reply_access */
	{ "http_reply_access allow all\n", 0, 0, NULL },
	{ "acl a src 10.0.0.0/8\nhttp_reply_access deny !a\n", 0, 0, NULL },
	{ "http_reply_access deny nosuch\n", 1, 0, "undefined acl 'nosuch'" },
	{ "http_reply_access maybe all\n", 1, 0,
	  "t.conf:1: http_reply_access: expected 'allow' or 'deny'" },
	{ "http_reply_access deny\n", 1, 0, "rule without acls" },
	/* reply_body_max_size */
	{ "reply_body_max_size 10 MB\n", 0, 0, NULL },
	{ "reply_body_max_size none\n", 0, 0, NULL },
	{ "reply_body_max_size 10 KB all\n", 0, 0, NULL },
	{ "reply_body_max_size 1000 all\n", 0, 1, "no units on '1000'" },
	{ "reply_body_max_size ten MB\n", 1, 0,
	  "t.conf:1: reply_body_max_size: invalid size 'ten'" },
	{ "reply_body_max_size 1 MB nosuch\n", 1, 0, "undefined acl" },
	{ "reply_body_max_size\n", 1, 0, "missing argument" },
	/* request_body_max_size */
	{ "request_body_max_size 0 KB\n", 0, 0, NULL },
	{ "request_body_max_size 5 MB\n", 0, 0, NULL },
	{ "request_body_max_size 5 parsecs\n", 1, 0,
	  "request_body_max_size: unknown size unit 'parsecs'" },
	{ "request_body_max_size 5 MB x\n", 1, 0, "unexpected argument" },
	/* deny_info */
	{ "acl a src all\ndeny_info ERR_CUSTOM a\n", 0, 0, NULL },
	{ "acl a src all\ndeny_info 404:ERR_CUSTOM a\n", 0, 0, NULL },
	{ "acl a src all\ndeny_info http://x.example/?%u a\n", 0, 0, NULL },
	{ "acl a src all\ndeny_info 307:http://x.example/ a\n", 0, 0, NULL },
	{ "acl a src all\ndeny_info TCP_RESET a\n", 0, 0, NULL },
	{ "acl a src all\nacl b src all\ndeny_info ERR_X a b\n", 0, 0, NULL },
	{ "acl a src all\ndeny_info 200:ERR_X a\n", 1, 0,
	  "deny_info: an error page needs a 4xx or 5xx status" },
	{ "acl a src all\ndeny_info 404:http://x.example/ a\n", 1, 0,
	  "deny_info: a redirect needs a 3xx status" },
	{ "acl a src all\ndeny_info 999:ERR_X a\n", 1, 0,
	  "deny_info: invalid status" },
	{ "deny_info ERR_X\n", 1, 0, "deny_info: missing argument" },
	{ "deny_info ERR_X later\nacl later src all\n", 0, 1,
	  "acl 'later' is not defined" },
	/* header rules */
	{ "request_header_access User-Agent deny all\n", 0, 0, NULL },
	{ "request_header_access All deny all\n", 0, 0, NULL },
	{ "reply_header_access Other deny all\n", 0, 0, NULL },
	{ "request_header_access Host deny all\n", 0, 1,
	  "tproxyd never removes or replaces 'Host'" },
	{ "reply_header_access content-length deny all\n", 0, 1,
	  "never removes or replaces 'content-length'" },
	{ "request_header_access Bad:Name deny all\n", 1, 0,
	  "invalid header name 'Bad:Name'" },
	{ "request_header_access User-Agent deny\n", 1, 0,
	  "rule without acls" },
	{ "request_header_access User-Agent\n", 1, 0, "missing argument" },
	{ "request_header_replace User-Agent Nutscrape/1.0 (CP/M; 8-bit)\n",
	  0, 0, NULL },
	{ "header_replace User-Agent x\n", 0, 0, NULL },
	{ "reply_header_replace Server x\n", 0, 0, NULL },
	{ "request_header_replace Transfer-Encoding x\n", 0, 1,
	  "never replaces 'Transfer-Encoding'" },
	{ "request_header_add X-A b\n", 0, 0, NULL },
	{ "request_header_add X-A \"c=%>a:%>p %la:%lp %%\" all\n", 0, 0,
	  NULL },
	{ "reply_header_add X-A \"%ssl::>cert_issuer\"\n", 1, 0,
	  "is not supported by tproxyd in header values" },
	{ "request_header_add Content-Length 5\n", 1, 0,
	  "adding 'Content-Length' is not supported by tproxyd" },
	{ "request_header_add Host x\n", 1, 0, "adding 'Host'" },
	{ "request_header_add X-A\n", 1, 0, "missing argument" },
	{ "request_header_add X-A b nosuch\n", 1, 0, "undefined acl" },
	/* follow_x_forwarded_for and friends */
	{ "follow_x_forwarded_for allow localhost\n", 0, 0, NULL },
	{ "follow_x_forwarded_for deny all\n", 0, 0, NULL },
	{ "acl_uses_indirect_client off\nlog_uses_indirect_client on\n", 0, 0,
	  NULL },
	{ "acl_uses_indirect_client maybe\n", 1, 0, "expected 'on' or 'off'" },
	/* client_ip_max_connections */
	{ "client_ip_max_connections 10\n", 0, 0, NULL },
	{ "client_ip_max_connections -1\n", 0, 0, NULL },
	{ "client_ip_max_connections 0\n", 0, 1, "refuses every client" },
	{ "client_ip_max_connections many\n", 1, 0,
	  "client_ip_max_connections: invalid number 'many'" },
	{ "client_ip_max_connections -2\n", 1, 0, "invalid number" },
	/* errors are all reported in one pass */
	{ "reply_body_max_size x\nrequest_body_max_size y\n"
	  "client_ip_max_connections z\n", 3, 0, "t.conf:1:" },
};

static void
test_load_table(void **state)
{
	(void)state;
	run_load_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_defaults(void **state)
{
	struct cfg *c = load_ok("http_port 65001\n");

	(void)state;
	assert_int_equal(c->rules.reply_access.n, 0);
	assert_int_equal(c->rules.nreply_body, 0);
	assert_int_equal(c->rules.request_body_max, 0);
	assert_int_equal(c->rules.follow_xff.n, 0);	/* deny all */
	assert_int_equal(c->rules.acl_indirect, 1);
	assert_int_equal(c->rules.log_indirect, 1);
	assert_int_equal(c->rules.client_ip_max, -1);
	cfg_unref(c);
}

static void
test_values(void **state)
{
	struct cfg *c;
	const struct cfg_rules *r;

	(void)state;
	c = load_ok("http_port 65001\nacl a src 10.0.0.0/8\n"
		    "reply_body_max_size 2 KB a\nreply_body_max_size none\n"
		    "request_body_max_size 1 MB\n"
		    "deny_info 404:ERR_X a\ndeny_info http://h/%u a\n"
		    "deny_info TCP_RESET a\n"
		    "request_header_access X-A deny a\n"
		    "request_header_access x-a allow all\n"
		    "request_header_access All deny all\n"
		    "request_header_replace X-A one two  three\n"
		    "reply_header_add X-R \"v %>a\" a\n"
		    "client_ip_max_connections 7\n"
		    "acl_uses_indirect_client off\n");
	r = &c->rules;
	assert_int_equal(r->nreply_body, 2);
	assert_int_equal(r->reply_body[0].max, 2048);
	assert_int_equal(r->reply_body[0].nref, 1);
	assert_true(r->reply_body[1].max == UINT64_MAX);
	assert_int_equal(r->request_body_max, 1024 * 1024);
	assert_int_equal(r->ndeny_info, 3);
	assert_int_equal(r->deny_info[0].kind, DENY_PAGE);
	assert_int_equal(r->deny_info[0].status, 404);
	assert_string_equal(r->deny_info[0].page, "ERR_X");
	assert_string_equal(r->deny_info[0].acl, "a");
	assert_int_equal(r->deny_info[1].kind, DENY_REDIRECT);
	assert_string_equal(r->deny_info[1].url, "http://h/%u");
	assert_int_equal(r->deny_info[2].kind, DENY_RESET);
	/* One set per name, names case-insensitive, lines in order. */
	assert_int_equal(r->req_hdr.naccess, 2);
	assert_int_equal(r->req_hdr.access[0].kind, HDR_RULE_NAME);
	assert_int_equal(r->req_hdr.access[0].list.n, 2);
	assert_int_equal(r->req_hdr.access[1].kind, HDR_RULE_ALL);
	assert_int_equal(r->req_hdr.nreplace, 1);
	assert_string_equal(r->req_hdr.replace[0].value, "one two three");
	assert_int_equal(r->rep_hdr.nadd, 1);
	assert_int_equal(r->rep_hdr.add[0].codes, 1);
	assert_int_equal(r->rep_hdr.add[0].nref, 1);
	assert_int_equal(r->client_ip_max, 7);
	assert_int_equal(r->acl_indirect, 0);
	cfg_unref(c);
}

/* ------------------------------------------------ the header filter */

/* Drops X-Drop, Via and (if asked) everything; replaces X-Rep. */
static enum hdr_verdict
filt(void *arg, struct str name, struct str *value)
{
	int *all = arg;

	if (*all)
		return HDR_DROP;
	if (str_ieq(name, "x-drop") || str_ieq(name, "via"))
		return HDR_DROP;
	if (str_ieq(name, "x-rep")) {
		*value = STR_LIT("new");
		return HDR_REPLACE;
	}
	return HDR_KEEP;
}

struct filter_case {
	int         all;
	const char *in;		/* request head */
	const char *want;	/* fields of the built head, in order */
};

static const struct filter_case fcases[] = {
	{ 0, "POST /p HTTP/1.1\r\nHost: h\r\nX-Drop: 1\r\nX-Rep: old\r\n"
	  "X-Keep: k\r\nContent-Length: 2\r\n\r\n",
	  "Host: h\r\nX-Rep: new\r\nX-Keep: k\r\nContent-Length: 2\r\n"
	  "X-Forwarded-For: 192.0.2.1\r\nX-Add: a\r\n\r\n" },
	/* "All deny": Host and the framing fields stay, the generated
	 * X-Forwarded-For and Via go; added fields are not filtered. */
	{ 1, "POST /p HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\n"
	  "Transfer-Encoding: chunked\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
	  "Host: h\r\nTransfer-Encoding: chunked\r\nX-Add: a\r\n\r\n" },
};

static void
test_filter(void **state)
{
	struct h1_req req;
	struct h1_scan scan;
	struct hdr_req_opts o;
	struct h1_header add = { STR_LIT("X-Add"), STR_LIT("a") };
	struct buf out = { 0 };
	const char *eol;
	size_t i;
	int all, rc;

	(void)state;
	assert_int_equal(buf_init(&out, 4096), 0);
	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		memset(&scan, 0, sizeof(scan));
		rc = h1_parse_req(fcases[i].in, strlen(fcases[i].in), 8192,
				  &scan, &req);
		assert_true(rc > 0);
		memset(&o, 0, sizeof(o));
		o.method = req.method;
		o.target = req.target;
		o.host = STR_LIT("h");
		o.via_name = "proxy";
		o.xff = HDR_XFF_ON;
		o.client = "192.0.2.1";
		o.has_cl = strstr(fcases[i].in, "Content-Length") != NULL;
		o.cl = 2;
		all = fcases[i].all;
		o.filter = filt;
		o.filter_arg = &all;
		o.add = &add;
		o.nadd = 1;
		buf_reset(&out);
		assert_int_equal(hdr_build_req(&out, &req, &o), 0);
		buf_append(&out, "", 1);
		eol = strstr(buf_head(&out), "\r\n");
		assert_non_null(eol);
		if (strcmp(eol + 2, fcases[i].want) != 0) {
			print_error("case %zu: got\n%s\nwant\n%s\n", i,
				    eol + 2, fcases[i].want);
			fail();
		}
	}
	buf_free(&out);
}

/* ------------------------------------------- connections per address */

static void
addr4(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &s4->sin_addr);
}

static void
test_ip_counts(void **state)
{
	struct sockaddr_storage a, b, m;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&m;
	const struct sockaddr *pa = (struct sockaddr *)&a;
	char ip[32];
	int i;

	(void)state;
	addr4(&a, "192.0.2.1");
	addr4(&b, "192.0.2.2");
	memset(&m, 0, sizeof(m));
	s6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &s6->sin6_addr);
	assert_int_equal(lim_ip_open(pa, 2), 0);
	/* The mapped form is the same client. */
	assert_int_equal(lim_ip_open((struct sockaddr *)&m, 2), 0);
	assert_int_equal(lim_ip_open(pa, 2), -1);
	assert_int_equal(lim_ip_count(pa), 2);
	assert_int_equal(lim_ip_open((struct sockaddr *)&b, 2), 0);
	lim_ip_close(pa);
	assert_int_equal(lim_ip_open(pa, 2), 0);
	/* No limit: still counted. 0: nothing allowed. */
	assert_int_equal(lim_ip_open(pa, -1), 0);
	assert_int_equal(lim_ip_count(pa), 3);
	assert_int_equal(lim_ip_open((struct sockaddr *)&b, 0), -1);
	for (i = 0; i < 3; i++)
		lim_ip_close(pa);
	lim_ip_close((struct sockaddr *)&b);
	assert_int_equal(lim_ip_count(pa), 0);
	/* Many addresses: the table grows, every count stays right, and
	 * all entries go when their connections close. */
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		addr4(&a, ip);
		assert_int_equal(lim_ip_open(pa, 1), 0);
		assert_int_equal(lim_ip_open(pa, 1), -1);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 256, i % 256);
		addr4(&a, ip);
		assert_int_equal(lim_ip_count(pa), 1);
		lim_ip_close(pa);
		assert_int_equal(lim_ip_count(pa), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_ip_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
