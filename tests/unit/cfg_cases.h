/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_cases.h - the table runner of the configuration unit tests
 * (test_cfg_*.c): load a text, count its errors and warnings, check the
 * first message. Included after <cmocka.h> and "config/config.h".
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

/* Run every case, print each that differs; fail() if any did. */
static inline void
run_load_cases(const struct load_case *cases, size_t n)
{
	const struct load_case *lc;
	struct cfg_msgs m;
	struct cfg *c;
	char text[2048];
	size_t i, w;
	int failed = 0;

	for (i = 0; i < n; i++) {
		lc = &cases[i];
		snprintf(text, sizeof(text), "%shttp_port 65001\n", lc->text);
		memset(&m, 0, sizeof(m));
		c = cfg_load_mem(text, "t.conf", &m);
		w = m.n - m.nerr;
		if ((int)m.nerr != lc->nerr || (int)w != lc->nwarn ||
		    (lc->msg == NULL && m.n != 0) ||
		    (lc->msg != NULL && (m.n == 0 ||
					 strstr(m.msg[0].text, lc->msg) ==
					 NULL)) ||
		    (c == NULL) != (lc->nerr > 0)) {
			print_error("case %zu: ---\n%s---\n  got nerr %zu "
				    "nwarn %zu; want nerr %d nwarn %d, first "
				    "msg containing '%s'\n", i, lc->text,
				    m.nerr, w, lc->nerr, lc->nwarn,
				    lc->msg ? lc->msg : "(none)");
			dump_msgs(&m);
			failed = 1;
		}
		cfg_unref(c);
		cfg_msgs_free(&m);
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
		dump_msgs(&m);
		fail();
	}
	cfg_msgs_free(&m);
	return c;
}

#endif
