/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_notify.c - systemd: the notify socket address and watchdog
 * settings (core/notify.c), messages sent to a real socket; the journal's
 * stream and priorities of cache.log lines (log/log.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/notify.h"
#include "log/log.h"

static void
test_addr(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int abstract;
	} t[] = {
		{ "/run/systemd/notify", 0, 0 },
		{ "@/org/freedesktop/systemd1/notify/123", 0, 1 },
		{ "@x", 0, 1 },
		{ "/", -1, 0 },
		{ "@", -1, 0 },
		{ "", -1, 0 },
		{ "relative/path", -1, 0 },
		{ "x", -1, 0 },
	};
	struct sockaddr_un sa;
	socklen_t len;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(notify_addr(t[i].in, &sa, &len), t[i].rc);
		if (t[i].rc < 0)
			continue;
		n = strlen(t[i].in);
		assert_int_equal(sa.sun_family, AF_UNIX);
		if (t[i].abstract) {
			/* A leading NUL, no trailing one counted. */
			assert_int_equal(sa.sun_path[0], '\0');
			assert_memory_equal(sa.sun_path + 1, t[i].in + 1,
					    n - 1);
			assert_int_equal(len, offsetof(struct sockaddr_un,
						       sun_path) + n);
		} else {
			assert_string_equal(sa.sun_path, t[i].in);
			assert_int_equal(len, offsetof(struct sockaddr_un,
						       sun_path) + n + 1);
		}
	}
	assert_int_equal(notify_addr(NULL, &sa, &len), -1);
}

static void
test_addr_lengths(void **state)
{
	char p[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
	struct sockaddr_un sa;
	socklen_t len;
	size_t max = sizeof(sa.sun_path);

	(void)state;
	/* A path needs room for its NUL; an abstract name does not. */
	memset(p, 'a', sizeof(p));
	p[0] = '/';
	p[max - 1] = '\0';
	assert_int_equal(notify_addr(p, &sa, &len), 0);
	p[max - 1] = 'a';
	p[max] = '\0';
	assert_int_equal(notify_addr(p, &sa, &len), -1);
	p[0] = '@';
	assert_int_equal(notify_addr(p, &sa, &len), 0);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + max);
	p[max] = 'a';
	p[max + 1] = '\0';
	assert_int_equal(notify_addr(p, &sa, &len), -1);
}

static void
test_watchdog_usec(void **state)
{
	static const struct {
		const char *usec, *pid;
		long mypid;
		unsigned long long want;
	} t[] = {
		{ "30000000", NULL, 42, 30000000 },
		{ "30000000", "42", 42, 30000000 },
		{ "30000000", "43", 42, 0 },	/* for another process */
		{ "30000000", "", 42, 0 },
		{ "30000000", "42x", 42, 0 },
		{ NULL, "42", 42, 0 },
		{ "", NULL, 42, 0 },
		{ "-5", NULL, 42, 0 },
		{ "12abc", NULL, 42, 0 },
		{ "0", NULL, 42, 0 },
		{ "99999999999999999999999", NULL, 42, 0 },	/* overflow */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(notify_watchdog_usec(t[i].usec, t[i].pid,
						      t[i].mypid), t[i].want);
}

/* Through a real socket: what is sent, and STATUS sent only on change. */
static void
test_send(void **state)
{
	struct sockaddr_un sa;
	socklen_t len;
	char name[64], buf[512];
	ssize_t n;
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@tproxyd-unit-%ld", (long)getpid());
	assert_int_equal(notify_addr(name, &sa, &len), 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "3000000", 1);
	assert_int_equal(notify_init(), 0);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_null(getenv("WATCHDOG_USEC"));
	assert_true(notify_enabled());
	assert_true(notify_watchdog_interval() > 1.49 &&
		    notify_watchdog_interval() < 1.51);
	notify_send("READY=1\n");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_int_equal(n, 8);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1\n");
	notify_status("serving 1 port");
	notify_status("serving 1 port");	/* unchanged: not sent */
	notify_status("serving 2 ports");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "STATUS=serving 1 port\n");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "STATUS=serving 2 ports\n");
	notify_reloading();
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	assert_true(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) < 0);	/* nothing more */
	notify_disable();
	assert_false(notify_enabled());
	notify_send("STOPPING=1\n");
	assert_true(recv(fd, buf, sizeof(buf), 0) < 0);
	close(fd);
}

/* Unset: nothing to do, no error. A bad address: an error. */
static void
test_init_unset(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_init(), 0);
	assert_false(notify_enabled());
	assert_true(notify_watchdog_interval() == 0);
	setenv("NOTIFY_SOCKET", "relative", 1);
	assert_int_equal(notify_init(), -1);
	assert_false(notify_enabled());
	assert_null(getenv("NOTIFY_SOCKET"));
}

static void
test_journal(void **state)
{
	static const struct {
		const char *env;
		unsigned long long dev, ino;
		int want;
	} t[] = {
		{ "8:1234", 8, 1234, 1 },
		{ "64769:18446744073709551615", 64769, 18446744073709551615ULL,
		  1 },
		{ "8:1234", 8, 1235, 0 },
		{ "9:1234", 8, 1234, 0 },
		{ "8:1234x", 8, 1234, 0 },
		{ "8:", 8, 0, 0 },
		{ ":1234", 0, 1234, 0 },
		{ "8 1234", 8, 1234, 0 },
		{ "", 0, 0, 0 },
		{ NULL, 0, 0, 0 },
		{ "99999999999999999999999:1", 0, 1, 0 },
	};
	static const struct {
		int level;
		const char *text;
		int want;
	} p[] = {
		{ LOG_CRIT, "FATAL: cannot open the http_port listeners", 2 },
		{ LOG_CRIT, "SECURITY ALERT: Host header forgery", 2 },
		{ LOG_CRIT, "ERROR: the new configuration has errors", 3 },
		{ LOG_CRIT, "WARNING: cannot reopen access_log", 4 },
		{ LOG_CRIT, "Starting tproxyd version 0.1.0", 5 },
		{ LOG_INFO, "Closing HTTP port 127.0.0.1:3128", 6 },
		{ LOG_INFO, "WARNING: at level 1", 4 },
		{ LOG_DEBUG, "a debugging line", 7 },
		{ 9, "deeper still", 7 },
		{ LOG_CRIT, "", 5 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(log_journal_stream_is(t[i].env, t[i].dev,
						       t[i].ino), t[i].want);
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		assert_int_equal(log_priority(p[i].level, p[i].text),
				 p[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr_lengths),
		cmocka_unit_test(test_watchdog_usec),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_init_unset),
		cmocka_unit_test(test_journal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
