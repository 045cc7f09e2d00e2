/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_cases.h - what the configuration unit tests share (test_cfg_*.c,
 * test_config_*.c, test_udp.c): the table runner (load a text, count its
 * errors and warnings, check the first message), load_ok() and
 * load_clean(), and the loader's messages printed. Included after
 * <cmocka.h> and "config/config.h".
 */
#ifndef TPROXYD_TESTS_CFG_CASES_H
#define TPROXYD_TESTS_CFG_CASES_H

#include <stdio.h>
#include <string.h>

/* One configuration (with "http_port 65001" appended) and the number of
 * errors and warnings it gives; msg: a substring of the first message
 * (NULL: there must be no message at all). */
struct load_case {
	const char *text;
	int         nerr;
	int         nwarn;
	const char *msg;
};

static inline void
dump_msgs(const struct cfg_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		print_error("    msg[%zu] %s\n", i, m->msg[i].text);
}

/*
 * Load text (case i, shown as shown) and compare with what it must give:
 * nerr errors, nwarn warnings (< 0: not checked), msg a substring of the
 * first message (NULL: no message at all). Prints the differences and
 * returns 1 when there are some.
 */
static inline int
load_differs(size_t i, const char *shown, const char *text, int nerr,
	     int nwarn, const char *msg)
{
	struct cfg_msgs m;
	struct cfg *c;
	size_t w;
	int bad;

	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "t.conf", &m);
	w = m.n - m.nerr;
	bad = (int)m.nerr != nerr || (nwarn >= 0 && (int)w != nwarn) ||
	      (msg == NULL && m.n != 0) ||
	      (msg != NULL && (m.n == 0 ||
			       strstr(m.msg[0].text, msg) == NULL)) ||
	      (c == NULL) != (nerr > 0);
	if (bad) {
		print_error("case %zu: ---\n%s---\n  got nerr %zu nwarn %zu "
			    "cfg %s; want nerr %d nwarn %d, first msg "
			    "containing '%s'\n", i, shown, m.nerr, w,
			    c ? "set" : "NULL", nerr, nwarn,
			    msg ? msg : "(none)");
		dump_msgs(&m);
	}
	cfg_unref(c);
	cfg_msgs_free(&m);
	return bad;
}

/* Run every case, print each that differs; fail() if any did. */
static inline void
run_load_cases(const struct load_case *cases, size_t n)
{
	char text[2048];
	size_t i;
	int failed = 0;

	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%shttp_port 65001\n",
			 cases[i].text);
		failed |= load_differs(i, cases[i].text, text, cases[i].nerr,
				       cases[i].nwarn, cases[i].msg);
	}
	if (failed)
		fail();
}

/* text must load without errors (warnings allowed). */
static inline struct cfg *
load_ok(const char *text)
{
	struct cfg_msgs m;
	struct cfg *c;

	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "v.conf", &m);
	if (c == NULL || m.nerr != 0) {
		print_error("unexpected errors loading:\n%s", text);
		dump_msgs(&m);
		cfg_msgs_free(&m);
		cfg_unref(c);
		fail();
	}
	cfg_msgs_free(&m);
	return c;
}

/* text must load with no message at all. */
static inline struct cfg *
load_clean(const char *text)
{
	struct cfg_msgs m;
	struct cfg *c;

	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "v.conf", &m);
	if (c == NULL || m.n != 0) {
		print_error("unexpected messages loading:\n%s", text);
		dump_msgs(&m);
		cfg_msgs_free(&m);
		cfg_unref(c);
		fail();
	}
	cfg_msgs_free(&m);
	return c;
}

#endif
