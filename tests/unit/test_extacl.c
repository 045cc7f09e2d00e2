/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_extacl.c - external acls without I/O (src/config/ext_fmt.c,
 * src/helper/ext_cache.c): each FORMAT row is the words of an
 * external_acl_type, the acl's arguments and the line the helper must
 * get; the cache rows run against a fake clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "config/ext_fmt.h"
#include "log/ext_line.h"
#include "helper/ext_cache.h"
#include "helper/reply.h"
#include "http/h1.h"
#include "http/msg.h"

static const char req_head[] =
	"GET http://o.test/a%20b/c?q=1 HTTP/1.1\r\n"
	"Host: o.test\r\n"
	"X-Who: al ice\r\n"
	"X-List: a=1; b=two words\r\n"
	"X-Odd: 100% <x> \"q\"\r\n\r\n";

static struct http_msg reqm;
static struct sockaddr_in cli, loc;

static void
keep_head(void)
{
	static char rb[sizeof(req_head)];
	struct h1_scan sc = { 0 };
	struct h1_req req;
	int rc;

	memcpy(rb, req_head, sizeof(req_head));
	rc = h1_parse_req(rb, sizeof(req_head) - 1, 8192, &sc, &req);
	assert_int_equal(rc, (int)sizeof(req_head) - 1);
	assert_int_equal(http_msg_keep_req(&reqm, &req, rb, (size_t)rc), 0);
}

static void
addr4(struct sockaddr_in *sa, const char *ip, unsigned port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &sa->sin_addr);
}

static void
base_rec(struct alog_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->client = (struct sockaddr *)&cli;
	r->local = (struct sockaddr *)&loc;
	r->code = "NONE";
	r->method = STR_LIT("GET");
	r->url = STR_LIT("http://o.test/a%20b/c?q=1");
	r->host = STR_LIT("o.test");
	r->port = 80;
	r->path = STR_LIT("/a%20b/c?q=1");
	r->minor = 1;
	r->hier = "HIER_NONE";
	r->req = &reqm;
	r->ext_user = "";
}

struct fmt_case {
	const char *words;	/* the FORMAT, space separated */
	int         shell;	/* protocol=2.5 */
	const char *args;	/* the acl's arguments, space separated */
	const char *want;	/* the line; NULL: the FORMAT is refused */
};

static const struct fmt_case fmt_cases[] = {
	/* Squid's old codes; the acl's arguments last, "-" for none. */
	{ "%SRC", 0, NULL, "198.18.1.2 -" },
	{ "%SRC %SRCPORT", 0, NULL, "198.18.1.2 40000 -" },
	{ "%DST %PORT %PROTO", 0, NULL, "o.test 80 http -" },
	/* Squid's rfc1738_escape() escapes '%' too. */
	{ "%URI", 0, NULL, "http://o.test/a%2520b/c?q=1 -" },
	{ "%PATH %METHOD", 0, NULL, "/a%2520b/c?q=1 GET -" },
	{ "%MYADDR %MYPORT", 0, NULL, "198.18.0.1 3129 -" },
	{ "%LOGIN %EXT_USER %EXT_TAG %EXT_LOG", 0, NULL, "- - - - -" },
	{ "%SRCEUI48", 0, NULL, "- -" },
	/* Headers: values URL-escaped, "-" when absent; a list member. */
	{ "%>{X-Who}", 0, NULL, "al%20ice -" },
	{ "%{X-Who}", 0, NULL, "al%20ice -" },
	{ "%>{X-Odd}", 0, NULL, "100%25%20%3Cx%3E%20%22q%22 -" },
	{ "%>{X-List:;b}", 0, NULL, "two%20words -" },
	{ "%>{X-None}", 0, NULL, "- -" },
	{ "%<{Server}", 0, NULL, "- -" },
	/* New-style logformat codes. */
	{ "%>a %>p %>la %>lp", 0, NULL, "198.18.1.2 40000 198.18.0.1 3129 -" },
	{ "%rm %>rd %ru", 0, NULL, "GET o.test http://o.test/a%2520b/c?q=1 -" },
	{ "%un %ue", 0, NULL, "- - -" },
	{ "%>ha{X-Who}", 0, NULL, "al%20ice -" },
	/* The arguments: each escaped, separated by spaces. */
	{ "%SRC", 0, "LOGIN", "198.18.1.2 LOGIN" },
	{ "%SRC", 0, "a b%c d\"e", "198.18.1.2 a b%25c d%22e" },
	/* %DATA in the FORMAT: every word is followed by a space. */
	{ "%DATA %SRC", 0, "x y", "x y 198.18.1.2 " },
	{ "%SRC %DATA", 0, NULL, "198.18.1.2 - " },
	{ "%ACL %SRC", 0, NULL, "myacl 198.18.1.2 -" },
	/* protocol=2.5: shell quoting instead of escapes. */
	{ "%>{X-Who}", 1, "plain a\"b", "\"al ice\" plain a\\\"b" },
	{ "%>{X-Odd}", 1, NULL, "\"100% <x> \\\"q\\\"\" -" },
	/* Refused. */
	{ "%NOSUCH", 0, NULL, NULL },
	{ "%SRC%DST", 0, NULL, NULL },
	{ "%>{X-Who", 0, NULL, NULL },
};

static void
test_format(void **state)
{
	char words[256], args[256], spec[256], err[256], line[1024];
	struct ext_word w[8];
	struct ext_def d;
	struct acl_ext a;
	struct alog_rec r;
	char *argv[8], *save, *q;
	static char specs[8][256];
	size_t i;
	long n;
	int bad;

	(void)state;
	keep_head();
	addr4(&cli, "198.18.1.2", 40000);
	addr4(&loc, "198.18.0.1", 3129);
	for (i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++) {
		const struct fmt_case *c = &fmt_cases[i];

		memset(&d, 0, sizeof(d));
		memset(&a, 0, sizeof(a));
		d.fmt = w;
		d.shell_quote = c->shell;
		snprintf(words, sizeof(words), "%s", c->words);
		bad = 0;
		for (q = strtok_r(words, " ", &save); q != NULL;
		     q = strtok_r(NULL, " ", &save)) {
			if (ext_fmt_translate(q, spec, sizeof(spec)) < 0) {
				bad = 1;
				break;
			}
			memcpy(specs[d.nfmt], spec, sizeof(spec));
			if (ext_fmt_compile(specs[d.nfmt], &w[d.nfmt],
					    c->shell, err, sizeof(err)) < 0) {
				bad = 1;
				break;
			}
			d.nfmt++;
		}
		if (c->want == NULL) {
			if (!bad)
				fail_msg("row %zu (%s) should be refused", i,
					 c->words);
			continue;
		}
		if (bad)
			fail_msg("row %zu (%s): %s", i, c->words, err);
		if (c->args != NULL) {
			snprintf(args, sizeof(args), "%s", c->args);
			a.arg = argv;
			for (q = strtok_r(args, " ", &save); q != NULL;
			     q = strtok_r(NULL, " ", &save))
				argv[a.narg++] = q;
		}
		base_rec(&r);
		n = ext_fmt_line(&d, &a, "myacl", &r, line, sizeof(line));
		if (n < 0 || strcmp(line, c->want) != 0)
			fail_msg("row %zu (%s): got '%s', want '%s'", i,
				 c->words, line, c->want);
		assert_int_equal((size_t)n, strlen(line));
	}
	/* A line that does not fit. */
	memset(&d, 0, sizeof(d));
	d.fmt = w;
	assert_int_equal(ext_fmt_compile("%>ru", &w[0], 0, err, sizeof(err)),
			 0);
	d.nfmt = 1;
	base_rec(&r);
	assert_true(ext_fmt_line(&d, NULL, "x", &r, line, 10) < 0);
	http_msg_free(&reqm);
}

/* A reply line parsed as the pool gives it. */
static struct ext_entry *
entry(const char *key, const char *reply, double now)
{
	static char buf[256];
	struct hlp_reply r;

	if (reply == NULL)
		return ext_entry_new(NULL, key, strlen(key), NULL, now);
	snprintf(buf, sizeof(buf), "%s", reply);
	hlp_reply_parse(buf, strlen(buf), &r);
	return ext_entry_new(NULL, key, strlen(key), &r, now);
}

static int
look(struct ext_cache *c, const char *key, double now,
     struct ext_entry **e)
{
	enum ext_fresh f;

	*e = ext_cache_find(c, key, strlen(key), now, &f);
	return *e == NULL ? -1 : (int)f;
}

static void
add(struct ext_cache *c, const char *key, const char *reply, double now,
    int kept)
{
	struct ext_entry *e = entry(key, reply, now);

	assert_non_null(e);
	assert_int_equal(ext_cache_add(c, e), kept);
	ext_entry_unref(e);
}

static void
test_entry_pairs(void **state)
{
	struct ext_entry *e;

	(void)state;
	e = entry("k", "OK user=J%20Smith tag=t1 log=\"a b\" message=hi",
		  5.0);
	assert_int_equal(e->result, EXT_OK);
	assert_string_equal(e->user, "J Smith");
	assert_string_equal(e->tag, "t1");
	assert_string_equal(e->log, "a b");
	assert_string_equal(e->message, "hi");
	assert_string_equal(e->key, "k");
	ext_entry_unref(e);
	e = entry("k", "ERR", 5.0);
	assert_int_equal(e->result, EXT_ERR);
	assert_string_equal(e->user, "");
	ext_entry_unref(e);
	e = entry("k", "BH message=\"down\"", 5.0);
	assert_int_equal(e->result, EXT_BH);
	assert_string_equal(e->message, "down");
	ext_entry_unref(e);
	e = entry("k", NULL, 5.0);	/* no answer at all */
	assert_int_equal(e->result, EXT_BH);
	ext_entry_unref(e);
	e = entry("k", "garbage here", 5.0);
	assert_int_equal(e->result, EXT_BH);
	ext_entry_unref(e);
}

static void
test_cache_ttl(void **state)
{
	struct ext_cache c;
	struct ext_entry *e;

	(void)state;
	ext_cache_init(&c, 100, 10, 2, 0);
	add(&c, "ok", "OK", 100.0, 1);
	add(&c, "no", "ERR", 100.0, 1);
	add(&c, "bh", "BH", 100.0, 0);
	assert_int_equal(look(&c, "ok", 100.0, &e), EXT_FRESH);
	assert_int_equal(e->result, EXT_OK);
	assert_int_equal(look(&c, "ok", 110.0, &e), EXT_FRESH);
	assert_int_equal(look(&c, "ok", 110.5, &e), EXT_EXPIRED);
	assert_int_equal(look(&c, "no", 102.0, &e), EXT_FRESH);
	assert_int_equal(e->result, EXT_ERR);
	assert_int_equal(look(&c, "no", 102.5, &e), EXT_EXPIRED);
	assert_int_equal(look(&c, "bh", 100.0, &e), -1);
	assert_int_equal(look(&c, "other", 100.0, &e), -1);
	/* A new answer replaces the old one; a BH one removes it. */
	add(&c, "ok", "ERR", 120.0, 1);
	assert_int_equal(look(&c, "ok", 121.0, &e), EXT_FRESH);
	assert_int_equal(e->result, EXT_ERR);
	add(&c, "ok", "BH", 121.0, 0);
	assert_int_equal(look(&c, "ok", 121.0, &e), -1);
	assert_int_equal(c.n, 1);
	ext_cache_clear(&c);
	assert_int_equal(c.n, 0);
	/* ttl=0 / negative_ttl=0 / cache=0: nothing of that kind kept. */
	ext_cache_init(&c, 100, 0, 5, 0);
	add(&c, "ok", "OK", 1.0, 0);
	add(&c, "no", "ERR", 1.0, 1);
	ext_cache_clear(&c);
	ext_cache_init(&c, 0, 60, 60, 0);
	add(&c, "ok", "OK", 1.0, 0);
	ext_cache_clear(&c);
}

static void
test_cache_grace(void **state)
{
	struct ext_cache c;
	struct ext_entry *e;

	(void)state;
	/* grace=20 of ttl=100: refreshed from 80 s on, used up to 100 s. */
	ext_cache_init(&c, 10, 100, 100, 20);
	add(&c, "k", "OK", 0.0, 1);
	assert_int_equal(look(&c, "k", 79.0, &e), EXT_FRESH);
	assert_int_equal(look(&c, "k", 80.0, &e), EXT_REFRESH);
	assert_int_equal(look(&c, "k", 100.0, &e), EXT_REFRESH);
	assert_int_equal(look(&c, "k", 100.5, &e), EXT_EXPIRED);
	ext_cache_clear(&c);
}

static void
test_cache_lru(void **state)
{
	struct ext_cache c;
	struct ext_entry *e, *kept;
	char key[16];
	int i;

	(void)state;
	ext_cache_init(&c, 3, 60, 60, 0);
	add(&c, "a", "OK", 1.0, 1);
	add(&c, "b", "OK", 1.0, 1);
	add(&c, "c", "OK", 1.0, 1);
	/* "a" used: "b" is the least recently used one, it goes. */
	assert_int_equal(look(&c, "a", 2.0, &e), EXT_FRESH);
	add(&c, "d", "OK", 2.0, 1);
	assert_int_equal(c.n, 3);
	assert_int_equal(look(&c, "b", 2.0, &e), -1);
	assert_int_equal(look(&c, "a", 2.0, &e), EXT_FRESH);
	assert_int_equal(look(&c, "c", 2.0, &e), EXT_FRESH);
	assert_int_equal(look(&c, "d", 2.0, &e), EXT_FRESH);
	/* A reference outlives the entry's eviction. */
	assert_int_equal(look(&c, "a", 2.0, &kept), EXT_FRESH);
	ext_entry_ref(kept);
	add(&c, "e", "OK", 3.0, 1);
	add(&c, "f", "OK", 3.0, 1);
	add(&c, "g", "OK", 3.0, 1);
	assert_int_equal(look(&c, "a", 3.0, &e), -1);
	assert_string_equal(kept->key, "a");
	ext_entry_unref(kept);
	ext_cache_clear(&c);
	/* Many entries: the table grows, every one is found. */
	ext_cache_init(&c, 5000, 60, 60, 0);
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		add(&c, key, i % 2 ? "OK" : "ERR", 1.0, 1);
	}
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(look(&c, key, 1.0, &e), EXT_FRESH);
		assert_int_equal(e->result, i % 2 ? EXT_OK : EXT_ERR);
	}
	assert_int_equal(c.n, 3000);
	ext_cache_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_entry_pairs),
		cmocka_unit_test(test_cache_ttl),
		cmocka_unit_test(test_cache_grace),
		cmocka_unit_test(test_cache_lru),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
