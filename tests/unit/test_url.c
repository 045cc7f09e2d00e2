/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_url.c - unit tests of request-target pieces (src/http/url.c) and of
 * the Via loop check (src/intercept/loopguard.c). Table-driven: each row is
 * its own cmocka test, named after the row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/url.h"
#include "intercept/loopguard.h"
#include "table_runner.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* url_parse_authority(): "host[:port]" with default port 80. */
struct auth_case {
	const char *name;
	const char *in;
	int         rc;		/* 1 port named, 0 default, -1 malformed */
	const char *host;	/* expected host when rc >= 0 */
	unsigned    port;
};

static const struct auth_case auth_cases[] = {
	{ "name", "example.com", 0, "example.com", 80 },
	{ "name and port", "example.com:8080", 1, "example.com", 8080 },
	{ "ipv4", "198.18.0.1:81", 1, "198.18.0.1", 81 },
	{ "ipv6 bracketed", "[2001:db8::1]", 0, "2001:db8::1", 80 },
	{ "ipv6 and port", "[2001:db8::1]:443", 1, "2001:db8::1", 443 },
	{ "port 65535", "h:65535", 1, "h", 65535 },
	{ "underscore and dash", "a_b-c.d", 0, "a_b-c.d", 80 },
	{ "port 0", "h:0", -1, NULL, 0 },
	{ "port 65536", "h:65536", -1, NULL, 0 },
	{ "port too long", "h:000080", -1, NULL, 0 },
	{ "empty port", "h:", -1, NULL, 0 },
	{ "port not a number", "h:8o", -1, NULL, 0 },
	{ "empty host", ":80", -1, NULL, 0 },
	{ "empty", "", -1, NULL, 0 },
	{ "userinfo", "u@h", -1, NULL, 0 },
	{ "space", "a b", -1, NULL, 0 },
	{ "unclosed bracket", "[2001:db8::1", -1, NULL, 0 },
	{ "bracket not ipv6", "[example.com]", -1, NULL, 0 },
	{ "junk after bracket", "[::1]x", -1, NULL, 0 },
	{ "two colons unbracketed", "2001:db8::1", -1, NULL, 0 },
};

static void
test_authority(void **state)
{
	const struct auth_case *c = *state;
	char host[URL_HOST_MAX] = "unchanged";
	unsigned port = 0;
	int rc;

	rc = url_parse_authority(c->in, strlen(c->in), 80, host, &port);
	assert_int_equal(rc, c->rc);
	if (rc < 0) {
		assert_string_equal(host, "unchanged");
		return;
	}
	assert_string_equal(host, c->host);
	assert_int_equal(port, c->port);
}

/* url_authority_end() over an absolute URL. */
struct end_case {
	const char *name;
	const char *in;
	int         rc;
	const char *rest;	/* what *end points at */
};

static const struct end_case end_cases[] = {
	{ "path", "http://h/x", 0, "/x" },
	{ "query", "http://h?x", 0, "?x" },
	{ "bare", "http://h:81", 0, "" },
	{ "empty authority", "http:///x", -1, NULL },
	{ "userinfo", "http://u:p@h/", -1, NULL },
	{ "at after path", "http://h/a@b", 0, "/a@b" },
	{ "too short", "http:/", -1, NULL },
	/* https:// (requests of a bumped connection) */
	{ "https path", "https://h/x", 0, "/x" },
	{ "https port", "https://h:8443?q", 0, "?q" },
	{ "https empty authority", "https:///x", -1, NULL },
	{ "https userinfo", "https://u@h/", -1, NULL },
	{ "no scheme", "//h/x", -1, NULL },
};

static void
test_authority_end(void **state)
{
	const struct end_case *c = *state;
	const char *end = NULL;
	int rc;

	rc = url_authority_end(c->in, strlen(c->in), &end);
	assert_int_equal(rc, c->rc);
	if (rc == 0)
		assert_string_equal(end, c->rest);
}

/* loop_via_names() with this proxy called "proxy.example". */
struct via_case {
	const char *name;
	const char *via[3];	/* Via field values; NULL ends */
	const char *other;	/* a field of another name with this value */
	int         loop;
};

static const struct via_case via_cases[] = {
	{ "ours", { "1.1 proxy.example (tproxyd/0.1.0)" }, NULL, 1 },
	{ "ours among others", { "1.0 a, 1.1 proxy.example (tproxyd/9)" },
	  NULL, 1 },
	{ "second Via field", { "1.1 a (squid)", "1.1 proxy.example "
	  "(tproxyd/1)" }, NULL, 1 },
	{ "another tproxyd", { "1.1 other.example (tproxyd/0.1.0)" }, NULL,
	  0 },
	{ "our name, other software", { "1.1 proxy.example (squid/5.7)" },
	  NULL, 0 },
	{ "name as a suffix", { "1.1 xproxy.example (tproxyd/0.1.0)" },
	  NULL, 0 },
	{ "not in Via", { NULL }, "1.1 proxy.example (tproxyd/0.1.0)", 0 },
	{ "no fields", { NULL }, NULL, 0 },
};

static void
test_via(void **state)
{
	const struct via_case *c = *state;
	struct h1_header h[4];
	size_t n = 0, i;

	for (i = 0; i < 3 && c->via[i] != NULL; i++) {
		h[n].name = STR_LIT("Via");
		h[n].value = str_make(c->via[i], strlen(c->via[i]));
		n++;
	}
	if (c->other != NULL) {
		h[n].name = STR_LIT("X-Via");
		h[n].value = str_make(c->other, strlen(c->other));
		n++;
	}
	assert_int_equal(loop_via_names(h, n, "proxy.example"), c->loop);
}

/* A name too long to be ours never matches (and never overflows). */
static void
test_via_long_name(void **state)
{
	char name[400];
	struct h1_header h;

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	h.name = STR_LIT("Via");
	h.value = str_make(name, strlen(name));
	assert_int_equal(loop_via_names(&h, 1, name), 0);
}

int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_via_long_name),
	};
	int failed = 0;

	failed += RUN_TABLE("url_parse_authority", test_authority,
			    auth_cases);
	failed += RUN_TABLE("url_authority_end", test_authority_end,
			    end_cases);
	failed += RUN_TABLE("loop_via_names", test_via, via_cases);
	failed += cmocka_run_group_tests_name("loopguard", misc, NULL, NULL);
	return failed ? 1 : 0;
}
