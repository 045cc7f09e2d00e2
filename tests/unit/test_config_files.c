/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config_files.c - squid.conf parsing from files: includes,
 * quoted acl value files, cfg_load(), the shipped etc/tproxyd.conf,
 * references and messages.
 *
 * Run from the repository root (etc/tproxyd.conf is opened relative to it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg-int.h"	/* cfg_getaddrinfo: the fake resolver */
#include "config/config.h"
#include "cfg_fixture.h"

/* ------------------------------------------------------------ files */

/* Short and fixed-size, so that paths built from it always fit. */
static char tmpdir[64];

static void
write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown_tmp(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	/* Only files this test wrote, in a directory it made. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Load text (with %s replaced by the temp dir, up to 4 times). */
static struct cfg *
load_fmt(struct cfg_msgs *m, const char *fmt)
{
	char text[8192];

	snprintf(text, sizeof(text), fmt, tmpdir, tmpdir, tmpdir, tmpdir);
	memset(m, 0, sizeof(*m));
	return cfg_load_mem(text, "main.conf", m);
}

static void
expect_first(const struct cfg_msgs *m, size_t nerr, const char *sub)
{
	char want[PATH_MAX + 256];

	want[0] = '\0';
	if (sub != NULL)
		snprintf(want, sizeof(want), sub, tmpdir, tmpdir);
	if (m->nerr != nerr || (sub != NULL && (m->n == 0 ||
	    strstr(m->msg[0].text, want) == NULL)) || (sub == NULL && m->n)) {
		print_error("got nerr %zu, want %zu and first message "
			    "containing '%s'\n", m->nerr, nerr,
			    sub ? want : "(none)");
		dump_msgs(m);
		fail();
	}
}

static void
test_include(void **state)
{
	struct cfg_msgs m;
	struct cfg *c;

	(void)state;
	write_file("10-acl.conf", "# acls\nacl lan src 10.0.0.0/8\n");
	write_file("20-access.conf", "http_access allow lan\n"
		   "http_access deny all\n");
	write_file("ports.inc", "http_port 3128\n\nhttp_port 99999\n");

	/* Glob order: 10-acl.conf defines lan before 20-access.conf uses
	 * it; the main file then continues after the include line. */
	c = load_fmt(&m, "include %s/*-*.conf\nhttp_port 3128\n"
		     "http_access allow lan\n");
	expect_first(&m, 0, NULL);
	EXPECT_INT(c->http_access.n, 3, "rules from includes and main");
	EXPECT_INT(c->http_access.rule[2].line, 3, "main line after include");
	EXPECT_INT(c->http_access.rule[0].line, 1, "included rule line");
	EXPECT_INT(strstr(c->http_access.rule[0].file, "20-access.conf") !=
		   NULL, 1, "included rule file");
	cfg_unref(c);
	cfg_msgs_free(&m);

	/* Errors name the included file and its line. */
	c = load_fmt(&m, "include %s/ports.inc\n");
	expect_first(&m, 1, "%s/ports.inc:3: http_port: invalid port "
		     "'99999'");
	EXPECT_INT(c == NULL, 1, "cfg NULL on error");
	cfg_msgs_free(&m);

	/* A file including itself stops at the depth limit. */
	write_file("self.conf", "");
	{
		char path[PATH_MAX], text[PATH_MAX + 32];
		FILE *f;

		snprintf(path, sizeof(path), "%s/self.conf", tmpdir);
		snprintf(text, sizeof(text), "include %s\n", path);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	c = load_fmt(&m, "http_port 3128\ninclude %s/self.conf\n");
	expect_first(&m, 1, "%s/self.conf:1: include: cannot include");
	EXPECT_INT(strstr(m.msg[0].text, "nested too deeply (more than 16")
		   != NULL, 1, "depth message");
	cfg_msgs_free(&m);

	/* Exactly 16 levels are fine: d1 includes d2 ... d16 is empty. */
	{
		char name[32], text[PATH_MAX + 32];
		int k;

		for (k = 1; k <= 16; k++) {
			snprintf(name, sizeof(name), "d%d.conf", k);
			if (k < 16)
				snprintf(text, sizeof(text),
					 "include %s/d%d.conf\n", tmpdir,
					 k + 1);
			else
				snprintf(text, sizeof(text), "http_port 1\n");
			write_file(name, text);
		}
	}
	c = load_fmt(&m, "include %s/d1.conf\n");
	expect_first(&m, 0, NULL);
	EXPECT_INT(c->nport, 1, "port from depth 16");
	cfg_unref(c);
	cfg_msgs_free(&m);
	write_file("d16.conf", "include %s/never\n");
	c = load_fmt(&m, "http_port 2\ninclude %s/d1.conf\n");
	expect_first(&m, 1, "d16.conf:1: include: cannot include");
	cfg_msgs_free(&m);

	/* A directory is not a configuration file. */
	c = load_fmt(&m, "http_port 3128\ninclude %s\n");
	expect_first(&m, 1, "main.conf:2: include: cannot read");
	cfg_msgs_free(&m);
}

static void
test_quoted_acl_file(void **state)
{
	struct cfg_msgs m;
	struct cfg *c;
	const struct acl *a;

	(void)state;
	write_file("domains.txt", "# blocked\n.Ads.example tracker.example\n"
		   "\n  evil.example # trailing comment\n");
	write_file("bad.txt", "10.0.0.0/8\n\n10.0.0.300\n");
	write_file("names.txt", "proxy.test\nnosuch.test\n");
	write_file("empty.txt", "# nothing here\n");

	c = load_fmt(&m, "http_port 3128\n"
		     "acl blocked dstdomain \"%s/domains.txt\" more.example\n"
		     "http_access deny blocked\n");
	expect_first(&m, 0, NULL);
	a = cfg_acl_find(c, "blocked");
	EXPECT_INT(a->n, 4, "values from file and line");
	EXPECT_STR(a->v.word[0], ".ads.example", "lowercased, sorted");
	cfg_unref(c);
	cfg_msgs_free(&m);

	c = load_fmt(&m, "http_port 3128\nacl n src \"%s/bad.txt\"\n");
	expect_first(&m, 1, "%s/bad.txt:3: acl n: invalid address "
		     "'10.0.0.300'");
	EXPECT_INT(c == NULL, 1, "cfg NULL");
	cfg_msgs_free(&m);

	/* Names in a value file are resolved too, each error at its line. */
	c = load_fmt(&m, "http_port 3128\nacl n src \"%s/names.txt\"\n");
	expect_first(&m, 1, "%s/names.txt:2: acl n: cannot resolve "
		     "'nosuch.test': Name or service not known");
	EXPECT_INT(c == NULL, 1, "cfg NULL");
	cfg_msgs_free(&m);

	c = load_fmt(&m, "http_port 3128\nacl n src \"%s/missing.txt\"\n");
	expect_first(&m, 1, "main.conf:2: cannot read acl values from "
		     "\"%s/missing.txt\": No such file");
	cfg_msgs_free(&m);

	/* An empty value file is legal (a list may be empty today) but
	 * worth a warning. */
	c = load_fmt(&m, "http_port 3128\nacl n src \"%s/empty.txt\"\n"
		     "http_access allow n\n");
	expect_first(&m, 0, "main.conf:2: WARNING: acl n: file "
		     "\"%s/empty.txt\" has no values");
	EXPECT_INT(c != NULL, 1, "empty file: loads");
	EXPECT_INT(cfg_acl_find(c, "n")->n, 0, "empty file: no values");
	cfg_unref(c);
	cfg_msgs_free(&m);
}

static void
test_load_file(void **state)
{
	struct cfg_msgs m;
	struct cfg *c;
	char path[PATH_MAX];

	(void)state;
	memset(&m, 0, sizeof(m));
	c = cfg_load("/nonexistent/tproxyd.conf", &m);
	EXPECT_INT(c == NULL, 1, "missing file");
	EXPECT_INT(m.nerr, 1, "missing file nerr");
	EXPECT_STR(m.msg[0].text, "/nonexistent/tproxyd.conf: cannot read "
		   "configuration: No such file or directory", "message");
	cfg_msgs_free(&m);

	write_file("x.conf", "http_port 3128\nacl a src 10.0.0.0/8\n"
		   "\nhttp_access allow a\nhttp_access deny foo\n");
	snprintf(path, sizeof(path), "%s/x.conf", tmpdir);
	memset(&m, 0, sizeof(m));
	c = cfg_load(path, &m);
	EXPECT_INT(c == NULL, 1, "x.conf fails");
	expect_first(&m, 1, "%s/x.conf:5: http_access: undefined acl 'foo'");
	cfg_msgs_free(&m);
}

/* The shipped default must load with no message at all. */
static void
test_shipped_config(void **state)
{
	struct cfg_msgs m;
	struct cfg *c;

	(void)state;
	memset(&m, 0, sizeof(m));
	c = cfg_load("etc/tproxyd.conf", &m);
	if (c == NULL || m.n != 0) {
		dump_msgs(&m);
		fail_msg("etc/tproxyd.conf: %zu messages (%zu errors)", m.n,
			 m.nerr);
	}
	EXPECT_INT(c->nport, 1, "one port");
	EXPECT_INT(c->http_access.n, 5, "five http_access rules");
	EXPECT_INT(c->http_access.rule[4].allow, 0, "last rule denies");
	EXPECT_INT(cfg_acl_find(c, "localnet")->n, 5, "localnet ranges");
	EXPECT_INT(cfg_acl_find(c, "Safe_ports")->n, 10, "Safe_ports");
	cfg_unref(c);
	cfg_msgs_free(&m);
}

static void
test_refs(void **state)
{
	struct cfg *c = load_clean("http_port 3128\n");

	(void)state;
	EXPECT_INT(cfg_ref(c) == c, 1, "cfg_ref returns c");
	EXPECT_INT(c->refs, 2, "refs after ref");
	cfg_unref(c);
	EXPECT_INT(c->refs, 1, "refs after unref");
	cfg_unref(c);		/* freed: LeakSanitizer checks the rest */
	cfg_unref(NULL);
}

/* Messages accumulate: nerr counts the errors of every load. */
static void
test_msgs_accumulate(void **state)
{
	struct cfg_msgs m;
	struct cfg *c;

	(void)state;
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem("htp_port 1\n", "a.conf", &m);
	EXPECT_INT(c == NULL, 1, "first fails");
	c = cfg_load_mem("http_port 1\nconnect_timeout 5\n", "b.conf", &m);
	EXPECT_INT(c != NULL, 1, "second loads despite earlier errors");
	/* a.conf: the unknown directive (error), no http_port (warning);
	 * b.conf: a time without a unit (warning). */
	EXPECT_INT(m.n, 3, "messages");
	EXPECT_INT(m.nerr, 1, "errors");
	EXPECT_INT(m.msg[0].level, CFG_ERR, "error level");
	EXPECT_INT(m.msg[1].level, CFG_WARN, "warning level");
	EXPECT_INT(m.msg[2].level, CFG_WARN, "warning level");
	cfg_unref(c);
	cfg_msgs_free(&m);
	EXPECT_INT(m.n, 0, "freed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_quoted_acl_file),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_shipped_config),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_msgs_accumulate),
	};

	fake_resolver_use();
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
