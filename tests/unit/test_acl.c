/*
 * test_acl.c - ACL matching (acl_match) and access lists (acl_check).
 *
 * ACLs are built by loading configuration text, the way the daemon gets
 * them, so the tests also cover the values' parsed form (ranges, sorted
 * domains, compiled regexes).
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

#include "acl/acl.h"
#include "config/config.h"

static const char acl_conf[] =
	"http_port 3128 name=fwd\n"
	"acl lan src 10.0.0.0/8 192.168.1.0/255.255.255.0 "
	"172.16.0.5-172.16.0.9 2001:db8::/32 fe80::1-fe80::9\n"
	"acl one src 192.0.2.1\n"
	"acl v6all src ::/0\n"
	"acl mapped src ::ffff:0:0/96\n"
	"acl srv dst 192.0.2.0/24 2001:db8:1::/48\n"
	"acl web port 80 443 8000-8080\n"
	"acl lp localport 3128\n"
	"acl pn myportname fwd\n"
	"acl get method GET HEAD\n"
	"acl conn method CONNECT\n"
	"acl https proto HTTPS\n"
	"acl dom dstdomain .example.com exact.org\n"
	"acl dre dstdom_regex ^www\\.\n"
	"acl ure url_regex -i \\.EXE$\n"
	"acl ucs url_regex \\.EXE$\n"
	"acl pre urlpath_regex ^/cgi-bin/\n";

/* A request, as strings; NULL means unknown. */
struct req {
	const char *client;	/* default 198.51.100.200 */
	const char *dst;
	unsigned    dst_port;
	unsigned    local_port;
	const char *method;
	const char *proto;
	const char *host;
	const char *url;
	const char *path;
	const char *port_name;
};

static struct str
sv(const char *s)
{
	return s != NULL ? str_make(s, strlen(s)) : STR_NULL;
}

static void
mkaddr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return;
	}
	fail_msg("bad test address '%s'", s);
}

static void
mkctx(const struct req *r, struct acl_ctx *ctx, struct sockaddr_storage *cl,
      struct sockaddr_storage *dst)
{
	memset(ctx, 0, sizeof(*ctx));
	mkaddr(r->client != NULL ? r->client : "198.51.100.200", cl);
	ctx->client = (const struct sockaddr *)cl;
	if (r->dst != NULL) {
		mkaddr(r->dst, dst);
		ctx->dst = (const struct sockaddr *)dst;
	}
	ctx->dst_port = r->dst_port;
	ctx->local_port = r->local_port;
	ctx->method = sv(r->method);
	ctx->proto = sv(r->proto);
	ctx->host = sv(r->host);
	ctx->url = sv(r->url);
	ctx->path = sv(r->path);
	ctx->port_name = r->port_name;
}

static struct cfg *
load(const char *extra)
{
	struct cfg_msgs m;
	struct cfg *c;
	char text[8192];
	size_t i;

	snprintf(text, sizeof(text), "%s%s", acl_conf, extra);
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "acl.conf", &m);
	if (c == NULL || m.n != 0) {
		for (i = 0; i < m.n; i++)
			print_error("    %s\n", m.msg[i].text);
		cfg_msgs_free(&m);
		cfg_unref(c);
		fail_msg("test configuration does not load clean");
	}
	cfg_msgs_free(&m);
	return c;
}

/* ------------------------------------------------------------ acl_match */

struct match_case {
	const char *acl;
	struct req  r;
	int         want;
};

static const struct match_case match_cases[] = {
	/* src: CIDR, netmask, range, IPv6, mapped */
	{ "lan", { .client = "10.1.2.3" }, 1 },
	{ "lan", { .client = "10.0.0.0" }, 1 },
	{ "lan", { .client = "10.255.255.255" }, 1 },
	{ "lan", { .client = "11.0.0.0" }, 0 },
	{ "lan", { .client = "9.255.255.255" }, 0 },
	{ "lan", { .client = "192.168.1.77" }, 1 },
	{ "lan", { .client = "192.168.2.1" }, 0 },
	{ "lan", { .client = "172.16.0.4" }, 0 },
	{ "lan", { .client = "172.16.0.5" }, 1 },
	{ "lan", { .client = "172.16.0.9" }, 1 },
	{ "lan", { .client = "172.16.0.10" }, 0 },
	{ "lan", { .client = "::ffff:10.9.9.9" }, 1 },
	{ "lan", { .client = "::ffff:11.0.0.1" }, 0 },
	{ "lan", { .client = "::10.9.9.9" }, 0 },	/* compat, not mapped */
	{ "lan", { .client = "2001:db8::1" }, 1 },
	{ "lan", { .client = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff" }, 1 },
	{ "lan", { .client = "2001:db9::1" }, 0 },
	{ "lan", { .client = "fe80::5" }, 1 },
	{ "lan", { .client = "fe80::a" }, 0 },
	{ "one", { .client = "192.0.2.1" }, 1 },
	{ "one", { .client = "192.0.2.2" }, 0 },
	{ "one", { .client = "::ffff:192.0.2.1" }, 1 },
	{ "mapped", { .client = "::ffff:1.2.3.4" }, 1 },
	{ "mapped", { .client = "1.2.3.4" }, 0 },
	{ "v6all", { .client = "::1" }, 1 },
	{ "v6all", { .client = "1.2.3.4" }, 0 },
	{ "all", { .client = "1.2.3.4" }, 1 },
	{ "all", { .client = "::1" }, 1 },
	{ "all", { .client = "::ffff:1.2.3.4" }, 1 },
	{ "localhost", { .client = "127.0.0.1" }, 1 },
	{ "localhost", { .client = "127.0.0.2" }, 0 },
	{ "localhost", { .client = "::1" }, 1 },
	{ "localhost", { .client = "::ffff:127.0.0.1" }, 1 },

	/* dst: address known, host literal, unknown */
	{ "srv", { .dst = "192.0.2.7" }, 1 },
	{ "srv", { .dst = "198.51.100.1" }, 0 },
	{ "srv", { .dst = "::ffff:192.0.2.1" }, 1 },
	{ "srv", { .dst = "2001:db8:1:ffff::1" }, 1 },
	{ "srv", { .dst = "2001:db8:2::1" }, 0 },
	{ "srv", { .host = "www.example.com" }, -1 },
	{ "srv", { .host = NULL }, -1 },
	{ "srv", { .host = "192.0.2.8" }, 1 },
	{ "srv", { .host = "198.51.100.1" }, 0 },
	{ "srv", { .host = "[2001:db8:1::5]" }, 1 },
	{ "srv", { .host = "2001:db8:1::5" }, 1 },
	{ "srv", { .dst = "198.51.100.1", .host = "192.0.2.8" }, 0 },
	{ "to_localhost", { .dst = "127.1.2.3" }, 1 },
	{ "to_localhost", { .dst = "0.0.0.0" }, 1 },
	{ "to_localhost", { .dst = "::" }, 1 },
	{ "to_localhost", { .dst = "192.0.2.1" }, 0 },
	{ "to_linklocal", { .dst = "169.254.169.254" }, 1 },
	{ "to_linklocal", { .dst = "febf::1" }, 1 },
	{ "to_linklocal", { .dst = "fec0::1" }, 0 },

	/* ports */
	{ "web", { .dst_port = 80 }, 1 },
	{ "web", { .dst_port = 443 }, 1 },
	{ "web", { .dst_port = 8000 }, 1 },
	{ "web", { .dst_port = 8080 }, 1 },
	{ "web", { .dst_port = 8081 }, 0 },
	{ "web", { .dst_port = 7999 }, 0 },
	{ "web", { .dst_port = 0 }, 0 },
	{ "web", { .local_port = 80 }, 0 },
	{ "lp", { .local_port = 3128 }, 1 },
	{ "lp", { .local_port = 3129 }, 0 },
	{ "lp", { .dst_port = 3128 }, 0 },
	{ "pn", { .port_name = "fwd" }, 1 },
	{ "pn", { .port_name = "fwd2" }, 0 },
	{ "pn", { .port_name = NULL }, 0 },

	/* methods are case-sensitive; proto is not */
	{ "get", { .method = "GET" }, 1 },
	{ "get", { .method = "HEAD" }, 1 },
	{ "get", { .method = "get" }, 0 },
	{ "get", { .method = "GETX" }, 0 },
	{ "get", { .method = "GE" }, 0 },
	{ "get", { .method = NULL }, 0 },
	{ "conn", { .method = "CONNECT" }, 1 },
	{ "https", { .proto = "HTTPS" }, 1 },
	{ "https", { .proto = "https" }, 1 },
	{ "https", { .proto = "HTTP" }, 0 },

	/* dstdomain */
	{ "dom", { .host = "example.com" }, 1 },
	{ "dom", { .host = "www.example.com" }, 1 },
	{ "dom", { .host = "a.b.EXAMPLE.Com" }, 1 },
	{ "dom", { .host = "example.com." }, 1 },
	{ "dom", { .host = "www.example.com." }, 1 },
	{ "dom", { .host = "badexample.com" }, 0 },
	{ "dom", { .host = "example.com.evil" }, 0 },
	{ "dom", { .host = "com" }, 0 },
	{ "dom", { .host = "exact.org" }, 1 },
	{ "dom", { .host = "EXACT.ORG." }, 1 },
	{ "dom", { .host = "www.exact.org" }, 0 },
	{ "dom", { .host = "xexact.org" }, 0 },
	{ "dom", { .host = "192.0.2.1" }, 0 },
	{ "dom", { .host = "[::1]" }, 0 },
	{ "dom", { .host = "::1" }, 0 },
	{ "dom", { .host = "" }, 0 },
	{ "dom", { .host = "." }, 0 },
	{ "dom", { .host = NULL }, 0 },

	/* regexes */
	{ "dre", { .host = "www.foo" }, 1 },
	{ "dre", { .host = "WWW.FOO" }, 1 },
	{ "dre", { .host = "foo.www.x" }, 0 },
	{ "ure", { .url = "http://x/a.exe" }, 1 },
	{ "ure", { .url = "http://x/a.EXE" }, 1 },
	{ "ure", { .url = "http://x/a.exe?x" }, 0 },
	{ "ucs", { .url = "http://x/a.exe" }, 0 },
	{ "ucs", { .url = "http://x/A.EXE" }, 1 },
	{ "pre", { .path = "/cgi-bin/x" }, 1 },
	{ "pre", { .path = "/x/cgi-bin/" }, 0 },
	{ "pre", { .path = NULL }, 0 },
	{ "manager", { .path = "/squid-internal-mgr/info" }, 1 },
	{ "manager", { .path = "/" }, 0 },
};

static void
test_match_table(void **state)
{
	const struct match_case *mc;
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	const struct acl *a;
	struct cfg *c = load("");
	size_t i;
	int got, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		mc = &match_cases[i];
		a = cfg_acl_find(c, mc->acl);
		if (a == NULL) {
			print_error("case %zu: no acl '%s'\n", i, mc->acl);
			failed = 1;
			continue;
		}
		mkctx(&mc->r, &ctx, &cl, &dst);
		got = acl_match(a, &ctx);
		if (got != mc->want) {
			print_error("case %zu: acl %s client %s dst %s host "
				    "'%s' port %u: got %d, want %d\n", i,
				    mc->acl, mc->r.client ? mc->r.client : "-",
				    mc->r.dst ? mc->r.dst : "-",
				    mc->r.host ? mc->r.host : "(null)",
				    mc->r.dst_port, got, mc->want);
			failed = 1;
		}
	}
	cfg_unref(c);
	if (failed)
		fail();
}

/* Subjects longer than the stack buffer take the malloc path. */
static void
test_long_url(void **state)
{
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	struct req r = { .client = "10.0.0.1" };
	struct cfg *c = load("");
	char url[5000];

	(void)state;
	memset(url, 'a', sizeof(url));
	memcpy(url, "http://x/", 9);
	memcpy(url + sizeof(url) - 5, ".exe", 5);
	r.url = url;
	mkctx(&r, &ctx, &cl, &dst);
	assert_int_equal(acl_match(cfg_acl_find(c, "ure"), &ctx), 1);
	url[sizeof(url) - 2] = 'x';
	assert_int_equal(acl_match(cfg_acl_find(c, "ure"), &ctx), 0);
	cfg_unref(c);
}

/* Many dstdomain values: every one is found by the binary search, and
 * names between them are not. */
static void
test_domain_bsearch(void **state)
{
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	struct req r = { 0 };
	struct cfg_msgs m;
	struct cfg *c;
	const struct acl *a;
	char *text, host[64];
	size_t len = 0, cap = 64 * 1024;
	int i, got, want;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text, cap, "http_port 1\nacl d dstdomain");
	for (i = 0; i < 500; i += 2)
		len += (size_t)snprintf(text + len, cap - len, " %sd%03d.test",
					i % 4 ? "." : "", i);
	snprintf(text + len, cap - len, "\n");
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "big.conf", &m);
	free(text);
	assert_non_null(c);
	a = cfg_acl_find(c, "d");
	assert_int_equal(a->n, 250);
	for (i = 0; i < 500; i++) {
		snprintf(host, sizeof(host), "d%03d.test", i);
		r.host = host;
		mkctx(&r, &ctx, &cl, &dst);
		got = acl_match(a, &ctx);
		want = i % 2 == 0;
		snprintf(host, sizeof(host), "sub.d%03d.test", i);
		mkctx(&r, &ctx, &cl, &dst);
		if (got != want || acl_match(a, &ctx) != (i % 4 == 2)) {
			cfg_unref(c);
			cfg_msgs_free(&m);
			fail_msg("d%03d.test: got %d want %d (sub.: want %d)",
				 i, got, want, i % 4 == 2);
		}
	}
	cfg_unref(c);
	cfg_msgs_free(&m);
}

/* ------------------------------------------------------------ acl_check */

struct check_case {
	const char      *rules;		/* http_access lines */
	struct req       r;
	int              dflt;
	enum acl_verdict want;
	int              rule;		/* index of the deciding rule, -1 */
};

static const struct check_case check_cases[] = {
	/* empty list: the caller's default, no rule */
	{ "", { .client = "10.0.0.1" }, 1, ACL_ALLOW, -1 },
	{ "", { .client = "10.0.0.1" }, 0, ACL_DENY, -1 },
	/* first match wins */
	{ "http_access allow lan\nhttp_access deny all\n",
	  { .client = "10.0.0.1" }, 0, ACL_ALLOW, 0 },
	{ "http_access allow lan\nhttp_access deny all\n",
	  { .client = "8.8.8.8" }, 1, ACL_DENY, 1 },
	{ "http_access deny one\nhttp_access allow all\n",
	  { .client = "192.0.2.1" }, 1, ACL_DENY, 0 },
	{ "http_access deny one\nhttp_access allow all\n",
	  { .client = "192.0.2.2" }, 0, ACL_ALLOW, 1 },
	/* nothing matched: the opposite of the last rule, not dflt */
	{ "http_access allow lan\n", { .client = "8.8.8.8" }, 1, ACL_DENY,
	  -1 },
	{ "http_access deny lan\n", { .client = "8.8.8.8" }, 0, ACL_ALLOW,
	  -1 },
	{ "http_access allow lan\nhttp_access deny one\n",
	  { .client = "8.8.8.8" }, 0, ACL_ALLOW, -1 },
	/* negation */
	{ "http_access deny !lan\n", { .client = "10.0.0.1" }, 0, ACL_ALLOW,
	  -1 },
	{ "http_access deny !lan\n", { .client = "8.8.8.8" }, 1, ACL_DENY, 0 },
	/* AND within a rule */
	{ "http_access allow lan web\nhttp_access deny all\n",
	  { .client = "10.0.0.1", .dst_port = 80 }, 0, ACL_ALLOW, 0 },
	{ "http_access allow lan web\nhttp_access deny all\n",
	  { .client = "10.0.0.1", .dst_port = 22 }, 1, ACL_DENY, 1 },
	/* the shipped default's CONNECT rule */
	{ "http_access deny conn !web\nhttp_access allow all\n",
	  { .method = "CONNECT", .dst_port = 22 }, 1, ACL_DENY, 0 },
	{ "http_access deny conn !web\nhttp_access allow all\n",
	  { .method = "CONNECT", .dst_port = 443 }, 0, ACL_ALLOW, 1 },
	/* dst unknown: only when it decides */
	{ "http_access allow srv\n", { .host = "www.example.com" }, 0,
	  ACL_NEED_DST, -1 },
	{ "http_access allow srv\n", { .host = "192.0.2.5" }, 0, ACL_ALLOW,
	  0 },
	{ "http_access allow srv\n", { .host = "www.example.com",
	  .dst = "192.0.2.5" }, 0, ACL_ALLOW, 0 },
	{ "http_access deny !srv\n", { .host = "www.example.com" }, 0,
	  ACL_NEED_DST, -1 },
	{ "http_access deny one srv\nhttp_access allow all\n",
	  { .client = "8.8.8.8", .host = "www.example.com" }, 0, ACL_ALLOW,
	  1 },
	{ "http_access deny srv one\nhttp_access allow all\n",
	  { .client = "8.8.8.8", .host = "www.example.com" }, 0, ACL_ALLOW,
	  1 },
	{ "http_access deny one srv\nhttp_access allow all\n",
	  { .client = "192.0.2.1", .host = "www.example.com" }, 1,
	  ACL_NEED_DST, -1 },
	{ "http_access allow all\nhttp_access deny srv\n",
	  { .host = "www.example.com" }, 0, ACL_ALLOW, 0 },
	{ "http_access deny to_localhost\nhttp_access allow all\n",
	  { .host = "127.0.0.1" }, 1, ACL_DENY, 0 },
	{ "http_access deny to_localhost\nhttp_access allow all\n",
	  { .host = "localhost" }, 1, ACL_NEED_DST, -1 },
	{ "http_access deny to_localhost\nhttp_access allow all\n",
	  { .host = "localhost", .dst = "::1" }, 1, ACL_DENY, 0 },
	/* domains and methods in rules */
	{ "http_access allow dom get\nhttp_access deny all\n",
	  { .host = "WWW.Example.com.", .method = "GET" }, 0, ACL_ALLOW, 0 },
	{ "http_access allow dom get\nhttp_access deny all\n",
	  { .host = "www.example.com", .method = "POST" }, 1, ACL_DENY, 1 },
};

static void
test_check_table(void **state)
{
	const struct check_case *cc;
	const struct access_rule *rule, *want_rule;
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	enum acl_verdict v;
	struct cfg *c;
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		cc = &check_cases[i];
		c = load(cc->rules);
		mkctx(&cc->r, &ctx, &cl, &dst);
		rule = (const void *)&ctx;	/* must be overwritten */
		v = acl_check(&c->http_access, &ctx, cc->dflt, &rule);
		want_rule = cc->rule < 0 ? NULL :
		    &c->http_access.rule[cc->rule];
		if (v != cc->want || rule != want_rule) {
			print_error("case %zu: ---\n%s---\n  got verdict %d "
				    "rule %ld, want verdict %d rule %d\n", i,
				    cc->rules, (int)v, rule == NULL ? -1L :
				    (long)(rule - c->http_access.rule),
				    (int)cc->want, cc->rule);
			failed = 1;
		}
		/* The rule pointer is optional. */
		if (acl_check(&c->http_access, &ctx, cc->dflt, NULL) != v) {
			print_error("case %zu: verdict differs with rule "
				    "NULL\n", i);
			failed = 1;
		}
		cfg_unref(c);
	}
	if (failed)
		fail();
}

/* The shipped configuration's policy, end to end. */
static void
test_shipped_policy(void **state)
{
	static const struct {
		const char      *client, *method;
		unsigned         port;
		enum acl_verdict want;
	} cases[] = {
		{ "10.1.1.1", "GET", 80, ACL_ALLOW },
		{ "::ffff:192.168.0.9", "GET", 8080, ACL_ALLOW },
		{ "fd00::1", "GET", 80, ACL_ALLOW },
		{ "127.0.0.1", "GET", 80, ACL_ALLOW },
		{ "8.8.8.8", "GET", 80, ACL_DENY },
		{ "10.1.1.1", "GET", 25, ACL_DENY },
		{ "10.1.1.1", "CONNECT", 443, ACL_ALLOW },
		{ "10.1.1.1", "CONNECT", 8443, ACL_DENY },
	};
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	struct cfg_msgs m;
	struct cfg *c;
	struct req r;
	enum acl_verdict v;
	size_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	c = cfg_load("etc/tproxyd.conf", &m);
	assert_non_null(c);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.client = cases[i].client;
		r.method = cases[i].method;
		r.dst_port = cases[i].port;
		r.host = "www.example.com";
		mkctx(&r, &ctx, &cl, &dst);
		v = acl_check(&c->http_access, &ctx, ACL_DENY, NULL);
		if (v != cases[i].want) {
			cfg_unref(c);
			cfg_msgs_free(&m);
			fail_msg("%s %s port %u: got %d, want %d",
				 cases[i].client, cases[i].method,
				 cases[i].port, (int)v, (int)cases[i].want);
		}
	}
	cfg_unref(c);
	cfg_msgs_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_long_url),
		cmocka_unit_test(test_domain_bsearch),
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_shipped_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
