/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * table_runner.h - one cmocka group with a test per row of a table whose
 * rows start with their name (const char *), which becomes the test's
 * name: RUN_TABLE(group, fn, rows). Included after <cmocka.h>.
 */
#ifndef TPROXYD_TESTS_TABLE_RUNNER_H
#define TPROXYD_TESTS_TABLE_RUNNER_H

#include <stdint.h>
#include <stdlib.h>

#ifndef NELEM
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static inline int
run_table(const char *group, CMUnitTestFunction fn, const void *rows,
	  size_t stride, size_t n)
{
	struct CMUnitTest *t;
	size_t i;
	int failed;

	t = calloc(n, sizeof(*t));
	assert_non_null(t);
	for (i = 0; i < n; i++) {
		t[i].initial_state = (char *)(uintptr_t)rows + i * stride;
		t[i].name = *(const char *const *)t[i].initial_state;
		t[i].test_func = fn;
	}
	failed = _cmocka_run_group_tests(group, t, n, NULL, NULL);
	free(t);
	return failed;
}

#define RUN_TABLE(group, fn, rows) \
	run_table(group, fn, rows, sizeof((rows)[0]), NELEM(rows))

#endif
