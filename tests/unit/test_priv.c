/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_priv.c - what of core/priv.c can be checked in-process without
 * changing the test's own identity: the describe line, the probe, argument
 * errors, and the refusals priv_drop() makes before touching anything.
 *
 * The real drops (root -> proxy, ambient capabilities, nothing held) change
 * the process for good; they run in a child program, see
 * tests/priv/priv_check.c and tests/blackbox/test_priv.py.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/priv.h"

/* The capabilities line as /proc shows it, to tell "as root with the
 * usual capabilities" from a restricted container. */
static unsigned long long
cap_eff(void)
{
	unsigned long long v = 0;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/status", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

#define BIT(c) (1ULL << (c))
#define CAP_NET_ADMIN_BIT 12
#define CAP_NET_RAW_BIT 13

static void
test_describe_format(void **state)
{
	char out[1024], want[64];

	(void)state;
	priv_describe(out, sizeof(out));
	snprintf(want, sizeof(want), " (%u), group ", (unsigned)geteuid());
	assert_true(strncmp(out, "user ", 5) == 0);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, ", capabilities "));
	if (geteuid() == 0)
		assert_true(strncmp(out, "user root (0), group root (0), "
		    "capabilities ", 41) == 0);
	/* An empty set reads "none", not libcap's bare "=". */
	if (cap_eff() == 0)
		assert_non_null(strstr(out, "capabilities none"));
	else
		assert_null(strstr(out, "capabilities none"));
}

static void
test_describe_truncates(void **state)
{
	char out[12], full[1024];

	(void)state;
	priv_describe(full, sizeof(full));
	memset(out, 'x', sizeof(out));
	priv_describe(out, sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_memory_equal(out, full, sizeof(out) - 1);
	out[0] = '!';
	priv_describe(out, 0);	/* must not write */
	assert_int_equal(out[0], '!');
}

static void
test_probe_as_root(void **state)
{
	char err[512] = "";

	(void)state;
	if (!(cap_eff() & (BIT(CAP_NET_RAW_BIT) | BIT(CAP_NET_ADMIN_BIT))))
		skip();
	assert_int_equal(priv_probe_transparent(AF_INET, err, sizeof(err)), 0);
	assert_string_equal(err, "");	/* untouched on success */
	/* IPv6 may be disabled on the host; then the error says so. */
	switch (priv_probe_transparent(AF_INET6, err, sizeof(err))) {
	case 0:
		break;
	case -EAFNOSUPPORT:
		assert_non_null(strstr(err, "IPv6"));
		break;
	default:
		fail_msg("probe AF_INET6: %s", err);
	}
}

static void
test_probe_bad_family(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(priv_probe_transparent(AF_UNIX, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "unsupported address family"));
	/* A NULL buffer is allowed when its size is 0. */
	assert_int_equal(priv_probe_transparent(AF_UNIX, NULL, 0), -EINVAL);
}

static void
test_cap_name_default(void **state)
{
	(void)state;
	/* Before any priv_drop(): the capability we prefer (see priv.c). */
	assert_string_equal(priv_transparent_cap_name(), "CAP_NET_RAW");
}

/* Refusals made before any change: the process must stay root with the
 * same capabilities, so these are safe to run in-process. */
static void
test_drop_refusals_leave_root(void **state)
{
	unsigned long long before;
	char err[512];

	(void)state;
	if (geteuid() != 0)
		skip();
	before = cap_eff();
	assert_int_equal(priv_drop("no-such-user-tproxyd-test", 1, 0, err,
	    sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-user-tproxyd-test"));
	assert_non_null(strstr(err, "no such user"));
	assert_int_equal(priv_drop("root", 0, 0, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "refusing to serve as root"));
	assert_int_equal(geteuid(), 0);
	assert_int_equal(getuid(), 0);
	assert_true(cap_eff() == before);
	assert_string_equal(priv_transparent_cap_name(), "CAP_NET_RAW");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe_format),
		cmocka_unit_test(test_describe_truncates),
		cmocka_unit_test(test_probe_as_root),
		cmocka_unit_test(test_probe_bad_family),
		cmocka_unit_test(test_cap_name_default),
		cmocka_unit_test(test_drop_refusals_leave_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
