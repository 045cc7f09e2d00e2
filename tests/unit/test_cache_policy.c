/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cache_policy.c - unit tests of the cache policy (src/cache/policy.c
 * and policy_read.c, RFC 9111). Table-driven: each row is its own cmocka
 * test, named after the row. Header lists are written as "Name: value"
 * lines joined by '\n'.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache/policy.h"
#include "table_runner.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MAXH		16

/* RFC 9110's example date, Sun, 06 Nov 1994 08:49:37 GMT. */
#define D		784111777LL
#define DATE		"Date: Sun, 06 Nov 1994 08:49:37 GMT"
#define EXP_1H		"Expires: Sun, 06 Nov 1994 09:49:37 GMT"
#define LM_31D		"Last-Modified: Thu, 06 Oct 1994 08:49:37 GMT"

/* Split "Name: value\nName: value" into views of text. */
static size_t
hdrs(const char *text, struct h1_header *h)
{
	const char *p = text, *nl, *colon;
	size_t n = 0;

	if (text == NULL)
		return 0;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		colon = memchr(p, ':', (size_t)(nl - p));
		assert_non_null(colon);
		assert_true(n < MAXH);
		h[n].name = str_make(p, (size_t)(colon - p));
		colon++;
		while (colon < nl && *colon == ' ')
			colon++;
		h[n].value = str_make(colon, (size_t)(nl - colon));
		n++;
		p = *nl == '\n' ? nl + 1 : nl;
	}
	return n;
}

/* --- Cache-Control ---------------------------------------------------- */

struct cc_case {
	const char *name;
	const char *in;
	unsigned    flags;
	int64_t     max_age, s_maxage, max_stale, min_fresh;
	size_t      nunknown;
	unsigned    malformed, duplicates;
	const char *first_unknown;	/* "name=value" of unknown[0] */
};

#define A CC_ABSENT
static const struct cc_case cc_cases[] = {
	{ "empty", "", 0, A, A, A, A, 0, 0, 0, NULL },
	{ "no Cache-Control field", "Pragma: no-cache", 0, A, A, A, A,
	  0, 0, 0, NULL },
	{ "max-age", "Cache-Control: max-age=60", 0, 60, A, A, A,
	  0, 0, 0, NULL },
	{ "case-insensitive name", "cache-control: MAX-AGE=60, Public",
	  CC_PUBLIC, 60, A, A, A, 0, 0, 0, NULL },
	{ "quoted max-age accepted", "Cache-Control: max-age=\"60\"", 0,
	  60, A, A, A, 0, 0, 0, NULL },
	{ "negative max-age is stale", "Cache-Control: max-age=-1", 0, 0,
	  A, A, A, 0, 1, 0, NULL },
	{ "non-integer max-age is stale", "Cache-Control: max-age=1.5", 0,
	  0, A, A, A, 0, 1, 0, NULL },
	{ "max-age without value is stale", "Cache-Control: max-age", 0, 0,
	  A, A, A, 0, 1, 0, NULL },
	{ "delta-seconds capped at 2^31",
	  "Cache-Control: max-age=99999999999999999999", 0, CC_DELTA_MAX,
	  A, A, A, 0, 0, 0, NULL },
	{ "2^31 - 1 kept", "Cache-Control: s-maxage=2147483647", 0, A,
	  2147483647LL, A, A, 0, 0, 0, NULL },
	{ "first of repeated directives",
	  "Cache-Control: max-age=10\nCache-Control: max-age=20", 0, 10, A,
	  A, A, 0, 0, 1, NULL },
	{ "several lines joined",
	  "Cache-Control: no-cache\nDate: x\ncache-control: no-store",
	  CC_NO_CACHE | CC_NO_STORE, A, A, A, A, 0, 0, 0, NULL },
	{ "no-cache with fields",
	  "Cache-Control: no-cache=\"Set-Cookie, X-A\"", CC_NO_CACHE_FIELDS,
	  A, A, A, A, 0, 0, 0, NULL },
	{ "private with token field", "Cache-Control: private=Set-Cookie",
	  CC_PRIVATE_FIELDS, A, A, A, A, 0, 0, 0, NULL },
	{ "max-stale without value", "Cache-Control: max-stale",
	  CC_MAX_STALE_ANY, A, A, A, A, 0, 0, 0, NULL },
	{ "max-stale and min-fresh",
	  "Cache-Control: max-stale=30, min-fresh=5", 0, A, A, 30, 5,
	  0, 0, 0, NULL },
	{ "unknown kept", "Cache-Control: foo=\"a, b\", max-age=3", 0, 3,
	  A, A, A, 1, 0, 0, "foo=a, b" },
	{ "unknown without value", "Cache-Control: community",
	  0, A, A, A, A, 1, 0, 0, "community=" },
	{ "empty members skipped", "Cache-Control: , ,no-store,,",
	  CC_NO_STORE, A, A, A, A, 0, 0, 0, NULL },
	{ "whitespace around = is not a directive",
	  "Cache-Control: max-age = 7", 0, A, A, A, A, 0, 1, 0, NULL },
	{ "whitespace after =", "Cache-Control: max-age= 7", 0, A, A, A, A,
	  0, 1, 0, NULL },
	{ "garbage member skipped",
	  "Cache-Control: @@@, must-revalidate, proxy-revalidate",
	  CC_MUST_REVALIDATE | CC_PROXY_REVALIDATE, A, A, A, A, 0, 1, 0,
	  NULL },
	{ "argument on flag directive",
	  "Cache-Control: no-store=1, immutable, must-understand",
	  CC_NO_STORE | CC_IMMUTABLE | CC_MUST_UNDERSTAND, A, A, A, A, 0,
	  1, 0, NULL },
	{ "unterminated quote", "Cache-Control: no-cache=\"a, max-age=5",
	  CC_NO_CACHE_FIELDS, A, A, A, A, 0, 0, 0, NULL },
	{ "bad min-fresh ignored", "Cache-Control: min-fresh=x, only-if-cached",
	  CC_ONLY_IF_CACHED, A, A, A, A, 0, 1, 0, NULL },
};
#undef A

static void
test_cc(void **state)
{
	const struct cc_case *c = *state;
	struct h1_header h[MAXH];
	struct cache_cc cc;
	char buf[64];
	size_t n = hdrs(c->in, h);

	cache_cc_parse(&cc, h, n);
	assert_int_equal(cc.flags, c->flags);
	assert_int_equal(cc.max_age, c->max_age);
	assert_int_equal(cc.s_maxage, c->s_maxage);
	assert_int_equal(cc.max_stale, c->max_stale);
	assert_int_equal(cc.min_fresh, c->min_fresh);
	assert_int_equal(cc.nunknown, c->nunknown);
	assert_int_equal(cc.malformed, c->malformed);
	assert_int_equal(cc.duplicates, c->duplicates);
	if (c->first_unknown != NULL) {
		snprintf(buf, sizeof(buf), "%.*s=%.*s",
			 (int)cc.unknown[0].name.len, cc.unknown[0].name.p,
			 (int)cc.unknown[0].value.len, cc.unknown[0].value.p);
		assert_string_equal(buf, c->first_unknown);
	}
}

static void
test_cc_fields_value(void **state)
{
	struct h1_header h[MAXH];
	struct cache_cc cc;
	size_t n = hdrs("Cache-Control: private=\"Set-Cookie\", "
			"no-cache=\"X-A, X-B\"", h);

	(void)state;
	cache_cc_parse(&cc, h, n);
	assert_true(str_eq(cc.private_fields, "Set-Cookie"));
	assert_true(str_eq(cc.no_cache_fields, "X-A, X-B"));
}

static void
test_cc_unknown_overflow(void **state)
{
	struct h1_header h[MAXH];
	struct cache_cc cc;
	size_t n = hdrs("Cache-Control: a, b, c, d, e, f, g, h, i, j", h);

	(void)state;
	cache_cc_parse(&cc, h, n);
	assert_int_equal(cc.nunknown, CC_MAX_UNKNOWN);
	assert_int_equal(cc.unknown_dropped, 10 - CC_MAX_UNKNOWN);
}

/* --- HTTP-date -------------------------------------------------------- */

struct date_case {
	const char *name;
	const char *in;
	int64_t     t;
};

static const struct date_case date_cases[] = {
	{ "IMF-fixdate", "Sun, 06 Nov 1994 08:49:37 GMT", D },
	{ "RFC 850", "Sunday, 06-Nov-94 08:49:37 GMT", D },
	{ "asctime", "Sun Nov  6 08:49:37 1994", D },
	{ "asctime two-digit day", "Sun Nov 16 08:49:37 1994", D + 864000 },
	{ "epoch", "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
	{ "leap day", "Thu, 29 Feb 2024 12:00:00 GMT", 1709208000 },
	{ "RFC 850 year 2000s", "Monday, 01-Jan-07 00:00:00 GMT",
	  1167609600 },
	{ "not GMT", "Sun, 06 Nov 1994 08:49:37 PST", -1 },
	{ "bad month", "Sun, 06 Foo 1994 08:49:37 GMT", -1 },
	{ "hour 24", "Sun, 06 Nov 1994 24:49:37 GMT", -1 },
	{ "day 0", "Sun, 00 Nov 1994 08:49:37 GMT", -1 },
	{ "number", "0", -1 },
	{ "trailing junk", "Sun, 06 Nov 1994 08:49:37 GMTx", -1 },
	{ "empty", "", -1 },
	{ "before 1970 refused", "Sun, 05 Apr 0997 08:49:37 GMT", -1 },
	{ "RFC 850 year 69 is 2069", "Sunday, 01-Jan-69 00:00:00 GMT",
	  3124224000LL },
};

static void
test_date(void **state)
{
	const struct date_case *c = *state;

	assert_int_equal(cache_parse_date(str_make(c->in, strlen(c->in))),
			 c->t);
}

/* --- storable --------------------------------------------------------- */

struct store_case {
	const char      *name;
	const char      *method;
	const char      *req;
	int              status;
	const char      *resp;
	int              shared;
	enum cache_store want;
};

static const struct store_case store_cases[] = {
	{ "200 plain", "GET", NULL, 200, DATE, 1, CACHE_STORE_OK },
	{ "POST", "POST", NULL, 200, "Cache-Control: max-age=60", 1,
	  CACHE_NS_METHOD },
	{ "HEAD", "HEAD", NULL, 200, "Cache-Control: max-age=60", 1,
	  CACHE_NS_METHOD },
	{ "method case-sensitive", "get", NULL, 200, NULL, 1,
	  CACHE_NS_METHOD },
	{ "100 interim", "GET", NULL, 100, NULL, 1, CACHE_NS_NOT_FINAL },
	{ "206 not yet", "GET", NULL, 206, "Cache-Control: max-age=60", 1,
	  CACHE_NS_PARTIAL },
	{ "304 updates only", "GET", NULL, 304, NULL, 1,
	  CACHE_NS_NOT_MODIFIED },
	{ "response no-store", "GET", NULL, 200,
	  "Cache-Control: max-age=60, no-store", 1, CACHE_NS_NO_STORE },
	{ "request no-store", "GET", "Cache-Control: no-store", 200,
	  "Cache-Control: max-age=60", 1, CACHE_NS_REQ_NO_STORE },
	{ "private shared", "GET", NULL, 200,
	  "Cache-Control: private, max-age=60", 1, CACHE_NS_PRIVATE },
	{ "private fields shared", "GET", NULL, 200,
	  "Cache-Control: private=\"Set-Cookie\"", 1, CACHE_NS_PRIVATE },
	{ "private in a private cache", "GET", NULL, 299,
	  "Cache-Control: private", 0, CACHE_STORE_OK },
	{ "s-maxage in a private cache does not count", "GET", NULL, 299,
	  "Cache-Control: s-maxage=60", 0, CACHE_NS_NO_FRESHNESS },
	{ "Authorization", "GET", "Authorization: Basic eDp5", 200,
	  "Cache-Control: max-age=60", 1, CACHE_NS_AUTHORIZATION },
	{ "Authorization public", "GET", "authorization: Basic eDp5", 200,
	  "Cache-Control: public", 1, CACHE_STORE_OK },
	{ "Authorization s-maxage", "GET", "Authorization: Basic eDp5", 200,
	  "Cache-Control: s-maxage=5", 1, CACHE_STORE_OK },
	{ "Authorization must-revalidate", "GET",
	  "Authorization: Basic eDp5", 200,
	  "Cache-Control: must-revalidate, max-age=5", 1, CACHE_STORE_OK },
	{ "Authorization private cache", "GET", "Authorization: Basic eDp5",
	  200, "Cache-Control: max-age=60", 0, CACHE_STORE_OK },
	{ "Vary star", "GET", NULL, 200, "Vary: Accept\nVary: *", 1,
	  CACHE_NS_VARY_STAR },
	{ "Vary star in a list", "GET", NULL, 200,
	  "Vary: Accept-Encoding, * ", 1, CACHE_NS_VARY_STAR },
	{ "Vary named", "GET", NULL, 200, "Vary: Accept-Encoding", 1,
	  CACHE_STORE_OK },
	{ "302 without freshness", "GET", NULL, 302, "Location: /x", 1,
	  CACHE_NS_NO_FRESHNESS },
	{ "302 with max-age", "GET", NULL, 302,
	  "Cache-Control: max-age=60", 1, CACHE_STORE_OK },
	{ "500 with Expires", "GET", NULL, 500, EXP_1H, 1, CACHE_STORE_OK },
	{ "404 heuristic", "GET", NULL, 404, NULL, 1, CACHE_STORE_OK },
	{ "unknown status public", "GET", NULL, 299, "Cache-Control: public",
	  1, CACHE_STORE_OK },
	{ "unknown status must-understand", "GET", NULL, 299,
	  "Cache-Control: must-understand, no-store, max-age=9", 1,
	  CACHE_NS_NOT_UNDERSTOOD },
	{ "must-understand overrides no-store", "GET", NULL, 200,
	  "Cache-Control: must-understand, no-store", 1, CACHE_STORE_OK },
	{ "no-cache is stored", "GET", NULL, 200, "Cache-Control: no-cache",
	  1, CACHE_STORE_OK },
};

static void
test_store(void **state)
{
	const struct store_case *c = *state;
	struct h1_header rq[MAXH], rs[MAXH];
	struct cache_xchg x = { 0 };
	enum cache_store r;

	x.method = str_make(c->method, strlen(c->method));
	x.req = rq;
	x.nreq = hdrs(c->req, rq);
	x.status = c->status;
	x.resp = rs;
	x.nresp = hdrs(c->resp, rs);
	r = cache_storable(&x, c->shared);
	assert_string_equal(cache_store_str(r), cache_store_str(c->want));
}

/* --- freshness and age ------------------------------------------------ */

static const struct cache_refresh squid_default = { 0, 20, 259200 };
static const struct cache_refresh rule_wide = { 60, 20, 1000000 };

struct fresh_case {
	const char                 *name;
	const char                 *resp;
	int                         status;
	int                         shared;
	const struct cache_refresh *rule;
	int64_t                     req_time, resp_time, now;
	int64_t                     lifetime, age;
	int                         heuristic;
};

static const struct fresh_case fresh_cases[] = {
	{ "max-age", DATE "\nCache-Control: max-age=60", 200, 1, NULL,
	  D, D, D, 60, 0, 0 },
	{ "s-maxage wins in shared", DATE "\nCache-Control: max-age=60, "
	  "s-maxage=5", 200, 1, NULL, D, D, D, 5, 0, 0 },
	{ "s-maxage ignored in private", DATE "\nCache-Control: "
	  "max-age=60, s-maxage=5", 200, 0, NULL, D, D, D, 60, 0, 0 },
	{ "max-age over Expires", DATE "\n" EXP_1H "\nCache-Control: "
	  "max-age=10", 200, 1, NULL, D, D, D, 10, 0, 0 },
	{ "Expires minus Date", DATE "\n" EXP_1H, 200, 1, &squid_default,
	  D, D, D, 3600, 0, 0 },
	{ "Expires before Date", "Date: Sun, 06 Nov 1994 10:49:37 GMT\n"
	  EXP_1H, 200, 1, NULL, D + 7200, D + 7200, D + 7200, 0, 0, 0 },
	{ "invalid Expires is stale", DATE "\nExpires: 0", 200, 1,
	  &squid_default, D, D, D, 0, 0, 0 },
	{ "Expires without Date uses response time", EXP_1H, 200, 1, NULL,
	  D + 100, D + 100, D + 100, 3500, 0, 0 },
	{ "bad max-age is stale", DATE "\n" EXP_1H "\nCache-Control: "
	  "max-age=abc", 200, 1, NULL, D, D, D, 0, 0, 0 },
	{ "heuristic capped at max", DATE "\n" LM_31D, 200, 1,
	  &squid_default, D, D, D, 259200, 0, 1 },
	{ "heuristic percent of LM age", DATE "\n" LM_31D, 200, 1,
	  &rule_wide, D, D, D, 535680, 0, 1 },
	{ "heuristic min without LM", DATE, 200, 1, &rule_wide, D, D, D,
	  60, 0, 1 },
	{ "heuristic LM in the future: min", DATE "\nLast-Modified: "
	  "Mon, 07 Nov 1994 08:49:37 GMT", 200, 1, &rule_wide, D, D, D, 60,
	  0, 1 },
	{ "no heuristic for 302", DATE "\n" LM_31D, 302, 1, &rule_wide, D,
	  D, D, 0, 0, 0 },
	{ "heuristic for public 302", DATE "\n" LM_31D
	  "\nCache-Control: public", 302, 1, &rule_wide, D, D, D, 535680,
	  0, 1 },
	{ "no rule", DATE "\n" LM_31D, 200, 1, NULL, D, D, D, 0, 0, 0 },
	{ "age: apparent age and resident time", DATE "\nAge: 5", 200, 1,
	  NULL, D + 8, D + 10, D + 100, 0, 100, 0 },
	{ "age: Age plus response delay", DATE "\nAge: 30", 200, 1, NULL,
	  D - 2, D, D + 10, 0, 42, 0 },
	{ "age: clock skew, Date ahead", "Date: Sun, 06 Nov 1994 09:49:37 "
	  "GMT", 200, 1, NULL, D, D, D + 1, 0, 1, 0 },
	{ "age: invalid Age makes it stale", DATE "\nAge: soon", 200, 1,
	  NULL, D, D, D + 3, 0, CC_DELTA_MAX + 3, 0 },
	{ "age: two Age lines make it stale", DATE "\nAge: 1\nAge: 1", 200,
	  1, NULL, D, D, D, 0, CC_DELTA_MAX, 0 },
	{ "age: a list makes it stale", DATE "\nAge: 0, 0", 200, 1, NULL, D,
	  D, D, 0, CC_DELTA_MAX, 0 },
	{ "age: Age capped at 2^31", DATE "\nAge: 99999999999", 200, 1,
	  NULL, D, D, D, 0, CC_DELTA_MAX, 0 },
	{ "age: no Date", "Age: 7", 200, 1, NULL, D, D, D + 1, 0, 8, 0 },
};

static void
test_fresh(void **state)
{
	const struct fresh_case *c = *state;
	struct h1_header rs[MAXH];
	struct cache_xchg x = { 0 };
	struct cache_fresh f;

	x.method = STR_LIT("GET");
	x.status = c->status;
	x.resp = rs;
	x.nresp = hdrs(c->resp, rs);
	x.request_time = c->req_time;
	x.response_time = c->resp_time;
	cache_freshness(&x, c->shared, c->rule, c->now, &f);
	assert_int_equal(f.lifetime, c->lifetime);
	assert_int_equal(f.age, c->age);
	assert_int_equal(f.heuristic, c->heuristic);
}

/* --- serving a stored response ---------------------------------------- */

struct use_case {
	const char    *name;
	const char    *resp;
	int64_t        lifetime, age;
	const char    *req;
	int            shared;
	enum cache_use want;
};

static const struct use_case use_cases[] = {
	{ "fresh", NULL, 60, 10, NULL, 1, CACHE_USE_FRESH },
	{ "stale", NULL, 60, 60, NULL, 1, CACHE_USE_REVALIDATE },
	{ "response no-cache", "Cache-Control: no-cache", 60, 0, NULL, 1,
	  CACHE_USE_REVALIDATE },
	{ "request no-cache", NULL, 60, 0, "Cache-Control: no-cache", 1,
	  CACHE_USE_REVALIDATE },
	{ "Pragma no-cache", NULL, 60, 0, "Pragma: no-cache", 1,
	  CACHE_USE_REVALIDATE },
	{ "Pragma ignored beside Cache-Control", NULL, 60, 0,
	  "Pragma: no-cache\nCache-Control: max-stale", 1, CACHE_USE_FRESH },
	{ "request max-age older", NULL, 60, 20, "Cache-Control: max-age=10",
	  1, CACHE_USE_REVALIDATE },
	{ "request max-age=0", NULL, 60, 1, "Cache-Control: max-age=0",
	  1, CACHE_USE_REVALIDATE },
	{ "request max-age younger", NULL, 60, 5, "Cache-Control: "
	  "max-age=10", 1, CACHE_USE_FRESH },
	{ "min-fresh met", NULL, 60, 10, "Cache-Control: min-fresh=50", 1,
	  CACHE_USE_FRESH },
	{ "min-fresh not met", NULL, 60, 11, "Cache-Control: min-fresh=50",
	  1, CACHE_USE_REVALIDATE },
	{ "max-stale any", NULL, 60, 1000, "Cache-Control: max-stale", 1,
	  CACHE_USE_STALE_OK },
	{ "max-stale within", NULL, 60, 90, "Cache-Control: max-stale=30",
	  1, CACHE_USE_STALE_OK },
	{ "max-stale beyond", NULL, 60, 91, "Cache-Control: max-stale=30",
	  1, CACHE_USE_REVALIDATE },
	{ "must-revalidate beats max-stale", "Cache-Control: "
	  "must-revalidate", 60, 61, "Cache-Control: max-stale", 1,
	  CACHE_USE_REVALIDATE },
	{ "proxy-revalidate in shared", "Cache-Control: proxy-revalidate",
	  60, 61, "Cache-Control: max-stale", 1, CACHE_USE_REVALIDATE },
	{ "proxy-revalidate in private", "Cache-Control: proxy-revalidate",
	  60, 61, "Cache-Control: max-stale", 0, CACHE_USE_STALE_OK },
	{ "s-maxage implies proxy-revalidate", "Cache-Control: s-maxage=60",
	  60, 61, "Cache-Control: max-stale", 1, CACHE_USE_REVALIDATE },
	{ "qualified no-cache taken as unqualified", "Cache-Control: "
	  "no-cache=\"Set-Cookie\"", 60, 0, NULL, 1, CACHE_USE_REVALIDATE },
	{ "must-revalidate while fresh", "Cache-Control: must-revalidate",
	  60, 59, NULL, 1, CACHE_USE_FRESH },
};

static void
test_use(void **state)
{
	const struct use_case *c = *state;
	struct h1_header rs[MAXH], rq[MAXH];
	struct cache_xchg x = { 0 };
	struct cache_fresh f = { 0 };
	size_t nrq;

	x.method = STR_LIT("GET");
	x.status = 200;
	x.resp = rs;
	x.nresp = hdrs(c->resp, rs);
	f.lifetime = c->lifetime;
	f.age = c->age;
	nrq = hdrs(c->req, rq);
	assert_int_equal(cache_use(&x, &f, rq, nrq, c->shared), c->want);
}

/* --- keys ------------------------------------------------------------- */

struct pkey_case {
	const char *name;
	const char *method, *scheme, *host, *target;
	const char *want;	/* NULL: -1 */
};

static const struct pkey_case pkey_cases[] = {
	{ "origin-form", "GET", "http", "example.com", "/a?b",
	  "GET http://example.com/a?b" },
	{ "host lowercased, default port dropped", "GET", "http",
	  "Example.COM:80", "/A", "GET http://example.com/A" },
	{ "other port kept", "GET", "http", "example.com:8080", "/",
	  "GET http://example.com:8080/" },
	{ "https default port", "GET", "https", "example.com:443", "/x",
	  "GET https://example.com/x" },
	{ "absolute-form", "GET", "http", "ignored", "HTTP://Ex.Org:80",
	  "GET http://ex.org/" },
	{ "absolute-form query without path", "GET", "http", "", "http://"
	  "h?q", "GET http://h/?q" },
	{ "ipv6 host", "GET", "http", "[2001:DB8::1]:80", "/",
	  "GET http://[2001:db8::1]/" },
	{ "no host", "GET", "http", "", "/", NULL },
	{ "asterisk-form", "OPTIONS", "http", "h", "*", NULL },
};

static void
test_pkey(void **state)
{
	const struct pkey_case *c = *state;
	char out[256];
	int rc;

	rc = cache_primary_key(out, sizeof(out),
			       str_make(c->method, strlen(c->method)),
			       c->scheme, str_make(c->host, strlen(c->host)),
			       str_make(c->target, strlen(c->target)));
	if (c->want == NULL) {
		assert_int_equal(rc, -1);
		return;
	}
	assert_int_equal(rc, (int)strlen(c->want));
	assert_string_equal(out, c->want);
}

static void
test_pkey_small(void **state)
{
	char out[10];

	(void)state;
	assert_int_equal(cache_primary_key(out, sizeof(out), STR_LIT("GET"),
					   "http", STR_LIT("h"),
					   STR_LIT("/long-path")), -1);
}

struct vary_case {
	const char *name;
	const char *resp, *req;
	int         rc;		/* >= 0: strlen(want) */
	const char *want;
};

static const struct vary_case vary_cases[] = {
	{ "no Vary", "Date: x", "Accept: a", 0, "" },
	{ "one field", "Vary: Accept-Encoding",
	  "Accept-Encoding: gzip, br", 1, "accept-encoding=gzip,br\n" },
	{ "absent field", "Vary: Accept-Language", "Accept: x", 1,
	  "accept-language\n" },
	{ "empty value differs from absent", "Vary: X-A", "X-A: ", 1,
	  "x-a=\n" },
	{ "sorted, deduplicated, case-insensitive",
	  "Vary: User-Agent, accept\nVary: ACCEPT", "accept: */*\n"
	  "User-Agent: t", 1, "accept=*/*\nuser-agent=t\n" },
	{ "lines joined, OWS normalized", "Vary: Accept",
	  "Accept: a ,b\nAccept:  c", 1, "accept=a,b,c\n" },
	{ "value case kept", "Vary: X-A", "X-A: Foo", 1, "x-a=Foo\n" },
	{ "star", "Vary: Accept, *", "Accept: a", -1, NULL },
};

static void
test_vary(void **state)
{
	const struct vary_case *c = *state;
	struct h1_header rs[MAXH], rq[MAXH];
	size_t nrs = hdrs(c->resp, rs), nrq = hdrs(c->req, rq);
	char out[256];
	int rc;

	rc = cache_vary_key(out, sizeof(out), rs, nrs, rq, nrq);
	if (c->rc < 0) {
		assert_int_equal(rc, c->rc);
		return;
	}
	assert_int_equal(rc, (int)strlen(c->want));
	assert_string_equal(out, c->want);
}

/* The key does not depend on the order of the request's fields. */
static void
test_vary_order(void **state)
{
	struct h1_header rs[MAXH], a[MAXH], b[MAXH];
	size_t nrs = hdrs("Vary: B, A", rs);
	size_t na = hdrs("A: 1\nB: 2\nC: 3", a), nb = hdrs("C: 9\nB: 2\nA: 1",
							   b);
	char ka[64], kb[64];

	(void)state;
	assert_true(cache_vary_key(ka, sizeof(ka), rs, nrs, a, na) > 0);
	assert_true(cache_vary_key(kb, sizeof(kb), rs, nrs, b, nb) > 0);
	assert_string_equal(ka, kb);
	assert_string_equal(ka, "a=1\nb=2\n");
	assert_int_equal(cache_vary_key(ka, 5, rs, nrs, a, na), -2);
}

/* --- revalidation ----------------------------------------------------- */

static void
test_cond_both(void **state)
{
	struct h1_header st[MAXH], out[2];
	size_t n = hdrs("ETag: W/\"x\"\n" LM_31D, st);

	(void)state;
	assert_int_equal(cache_cond_fields(out, st, n), 2);
	assert_true(str_eq(out[0].name, "If-None-Match"));
	assert_true(str_eq(out[0].value, "W/\"x\""));
	assert_true(str_eq(out[1].name, "If-Modified-Since"));
	assert_true(str_eq(out[1].value, "Thu, 06 Oct 1994 08:49:37 GMT"));
}

static void
test_cond_none(void **state)
{
	struct h1_header st[MAXH], out[2];
	size_t n = hdrs(DATE "\nLast-Modified: yesterday", st);

	(void)state;
	assert_int_equal(cache_cond_fields(out, st, n), 0);
}

static void
test_cond_lm_only(void **state)
{
	struct h1_header st[MAXH], out[2];
	size_t n = hdrs(LM_31D, st);

	(void)state;
	assert_int_equal(cache_cond_fields(out, st, n), 1);
	assert_true(str_eq(out[0].name, "If-Modified-Since"));
}

struct upd_case {
	const char *name;
	const char *stored, *r304;
	const char *want;	/* resulting list, "Name: value" lines */
};

static const struct upd_case upd_cases[] = {
	{ "Date and Cache-Control replaced",
	  DATE "\nContent-Type: text/plain\nCache-Control: max-age=1\n"
	  "Content-Length: 5",
	  "Date: Mon, 07 Nov 1994 08:49:37 GMT\nCache-Control: max-age=9",
	  "Content-Type: text/plain\nContent-Length: 5\n"
	  "Date: Mon, 07 Nov 1994 08:49:37 GMT\nCache-Control: max-age=9" },
	{ "Content-Length never from 304", "Content-Length: 5",
	  "Content-Length: 0", "Content-Length: 5" },
	{ "hop-by-hop not taken", "X-A: 1",
	  "Connection: close, X-B\nKeep-Alive: 5\nX-B: 2\nTransfer-Encoding: "
	  "chunked\nETag: \"n\"", "X-A: 1\nETag: \"n\"" },
	{ "all lines of a name replaced", "Link: a\nLink: b\nX: 1",
	  "link: c", "X: 1\nlink: c" },
	{ "empty 304", "X: 1\nY: 2", NULL, "X: 1\nY: 2" },
};

static void
test_update(void **state)
{
	const struct upd_case *c = *state;
	struct h1_header st[MAXH], r[MAXH], want[MAXH], out[MAXH];
	size_t ns = hdrs(c->stored, st), nr = hdrs(c->r304, r);
	size_t nw = hdrs(c->want, want), i;
	int n;

	n = cache_update_304(out, MAXH, st, ns, r, nr);
	assert_int_equal(n, (int)nw);
	for (i = 0; i < nw; i++) {
		assert_true(want[i].name.len == out[i].name.len &&
			    memcmp(want[i].name.p, out[i].name.p,
				   want[i].name.len) == 0);
		assert_true(want[i].value.len == out[i].value.len &&
			    memcmp(want[i].value.p, out[i].value.p,
				   want[i].value.len) == 0);
	}
	if (nw > 0)
		assert_int_equal(cache_update_304(out, nw - 1, st, ns, r, nr),
				 -1);
}

struct sel_case {
	const char *name;
	const char *stored, *r304;
	int         want;
	int         own;	/* the cache's own revalidation */
};

static const struct sel_case sel_cases[] = {
	{ "strong ETag equal", "ETag: \"a\"", "ETag: \"a\"", 1, 0 },
	{ "strong ETag differs", "ETag: \"a\"", "ETag: \"b\"", 0, 0 },
	{ "strong 304, weak stored", "ETag: W/\"a\"", "ETag: \"a\"", 0, 0 },
	{ "weak 304, strong stored", "ETag: \"a\"", "ETag: W/\"a\"", 1, 0 },
	{ "weak both", "ETag: W/\"a\"", "ETag: W/\"a\"", 1, 0 },
	{ "ETag in 304 only", LM_31D, "ETag: \"a\"", 0, 0 },
	{ "malformed ETag", "ETag: a", "ETag: a", 0, 0 },
	{ "Last-Modified equal", LM_31D, LM_31D, 1, 0 },
	{ "Last-Modified equal in another format", LM_31D,
	  "Last-Modified: Thursday, 06-Oct-94 08:49:37 GMT", 1, 0 },
	{ "Last-Modified differs", LM_31D,
	  "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT", 0, 0 },
	{ "no validators either side", "X: 1", DATE, 1, 0 },
	{ "no validator in 304, stored has one", "ETag: \"a\"", DATE, 0, 0 },
	{ "the cache's own revalidation, no validator in 304", LM_31D, DATE,
	  1, 1 },
	{ "own revalidation, other Last-Modified", LM_31D,
	  "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT", 0, 1 },
	{ "own revalidation, other ETag", "ETag: \"a\"", "ETag: \"b\"", 0,
	  1 },
};

static void
test_select(void **state)
{
	const struct sel_case *c = *state;
	struct h1_header st[MAXH], r[MAXH];
	size_t ns = hdrs(c->stored, st), nr = hdrs(c->r304, r);

	assert_int_equal(cache_304_selects(st, ns, r, nr, c->own), c->want);
}

/* --- invalidation ----------------------------------------------------- */

struct inval_case {
	const char *name;
	const char *method;
	int         status;
	const char *uri, *resp;
	const char *want[3];
};

static const struct inval_case inval_cases[] = {
	{ "GET invalidates nothing", "GET", 200, "http://h/a", NULL,
	  { NULL } },
	{ "POST 200", "POST", 200, "http://H:80/a", NULL,
	  { "http://h/a", NULL } },
	{ "POST 500 invalidates nothing", "POST", 500, "http://h/a", NULL,
	  { NULL } },
	{ "PUT 404 invalidates nothing", "PUT", 404, "http://h/a", NULL,
	  { NULL } },
	{ "unknown method is unsafe", "PURGEX", 204, "http://h/a", NULL,
	  { "http://h/a", NULL } },
	{ "Location absolute-path", "POST", 303, "http://h/a",
	  "Location: /b", { "http://h/a", "http://h/b", NULL } },
	{ "Location and Content-Location", "PUT", 201, "http://h/d/a",
	  "Location: c\nContent-Location: http://h/d/a",
	  { "http://h/d/a", "http://h/d/c", NULL } },
	{ "Location other origin", "DELETE", 200, "http://h/a",
	  "Location: http://evil/a\nContent-Location: //h:81/x",
	  { "http://h/a", NULL } },
	{ "Content-Location network-path same origin", "POST", 200,
	  "http://h/a", "Content-Location: //H/x", { "http://h/a",
	  "http://h/x", NULL } },
	{ "other scheme is another origin", "POST", 200, "http://h/a",
	  "Location: https://h/a", { "http://h/a", NULL } },
};

static void
test_inval(void **state)
{
	const struct inval_case *c = *state;
	struct h1_header rs[MAXH];
	char out[3][CACHE_URI_MAX];
	size_t nrs = hdrs(c->resp, rs);
	int n, i, nw = 0;

	while (nw < 3 && c->want[nw] != NULL)
		nw++;
	n = cache_invalidate(out, str_make(c->method, strlen(c->method)),
			     c->status, str_make(c->uri, strlen(c->uri)), rs,
			     nrs);
	assert_int_equal(n, nw);
	for (i = 0; i < nw; i++)
		assert_string_equal(out[i], c->want[i]);
}

/* --------------------------------------------------------------------- */

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_cc_fields_value),
		cmocka_unit_test(test_cc_unknown_overflow),
		cmocka_unit_test(test_pkey_small),
		cmocka_unit_test(test_vary_order),
		cmocka_unit_test(test_cond_both),
		cmocka_unit_test(test_cond_none),
		cmocka_unit_test(test_cond_lm_only),
	};
	int failed = 0;

	failed += RUN_TABLE("cache_cc_parse", test_cc, cc_cases);
	failed += RUN_TABLE("cache_parse_date", test_date, date_cases);
	failed += RUN_TABLE("cache_storable", test_store, store_cases);
	failed += RUN_TABLE("cache_freshness", test_fresh, fresh_cases);
	failed += RUN_TABLE("cache_use", test_use, use_cases);
	failed += RUN_TABLE("cache_primary_key", test_pkey, pkey_cases);
	failed += RUN_TABLE("cache_vary_key", test_vary, vary_cases);
	failed += RUN_TABLE("cache_304_selects", test_select, sel_cases);
	failed += RUN_TABLE("cache_update_304", test_update, upd_cases);
	failed += RUN_TABLE("cache_invalidate", test_inval, inval_cases);
	failed += cmocka_run_group_tests_name("cache policy", misc, NULL,
					      NULL);
	return failed ? 1 : 0;
}
