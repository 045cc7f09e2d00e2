/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_fixture.h - what the test_config_*.c files share: assertions that
 * show both sides, the loader's messages, the fake resolver every run
 * installs (and cfg_cases.h: load_clean(), the messages). Included after
 * <cmocka.h> and
 * "config/cfg-int.h".
 */
#ifndef TPROXYD_TESTS_CFG_FIXTURE_H
#define TPROXYD_TESTS_CFG_FIXTURE_H

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_cases.h"

/* Assertions that show both sides, then fail the test. */
#define EXPECT_INT(got, want, what) do {				\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_) {							\
		print_error("%s: got %lld, want %lld\n", (what), g_, w_);\
		fail();							\
	}								\
} while (0)

#define EXPECT_STR(got, want, what) do {				\
	const char *g_ = (got), *w_ = (want);				\
	if ((g_ == NULL) != (w_ == NULL) ||				\
	    (g_ != NULL && strcmp(g_, w_) != 0)) {			\
		print_error("%s: got '%s', want '%s'\n", (what),	\
			    g_ ? g_ : "(null)", w_ ? w_ : "(null)");	\
		fail();							\
	}								\
} while (0)

#define EXPECT_DBL(got, want, what) do {				\
	double g_ = (got), w_ = (want);					\
	if (g_ < w_ - 1e-9 || g_ > w_ + 1e-9) {				\
		print_error("%s: got %g, want %g\n", (what), g_, w_);	\
		fail();							\
	}								\
} while (0)

/* ------------------------------------------------------- fake resolver */

/*
 * The host names the configurations of these tests use, and what the
 * resolver answers for them: the loader's cfg_getaddrinfo is replaced by
 * fake_gai() for the whole run, so that no test depends on DNS or on this
 * machine's /etc/hosts (test_resolver_real() alone uses the real one, on
 * "localhost"). Names not listed are unknown (EAI_NONAME).
 */
static const struct fake_host {
	const char *name;
	int         err;		/* EAI_*, or 0: the addresses */
	const char *addr[4];		/* in the resolver's order */
} fake_hosts[] = {
	{ "proxy.test",		0, { "192.0.2.10" } },
	{ "dual.test",		0, { "2001:db8::1", "192.0.2.1" } },
	{ "dup.test",		0, { "192.0.2.7", "192.0.2.7",
				     "2001:db8::7" } },
	{ "v6only.test",	0, { "2001:db8::6" } },
	{ "three.test",		0, { "192.0.2.1", "192.0.2.2",
				     "192.0.2.3" } },
	{ "slow.test",		EAI_AGAIN, { NULL } },
};

static inline int
fake_gai(const char *node, const char *service, const struct addrinfo *hints,
	 struct addrinfo **res)
{
	struct addrinfo *head = NULL, **tail = &head, *ai;
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;
	size_t i, k;
	int fam;

	(void)service;
	for (i = 0; i < sizeof(fake_hosts) / sizeof(fake_hosts[0]); i++)
		if (strcmp(fake_hosts[i].name, node) == 0)
			break;
	if (i == sizeof(fake_hosts) / sizeof(fake_hosts[0]))
		return EAI_NONAME;
	if (fake_hosts[i].err != 0)
		return fake_hosts[i].err;
	for (k = 0; k < 4 && fake_hosts[i].addr[k] != NULL; k++) {
		fam = strchr(fake_hosts[i].addr[k], ':') ? AF_INET6 : AF_INET;
		if (hints->ai_family != AF_UNSPEC && hints->ai_family != fam)
			continue;
		ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_in6));
		assert_non_null(ai);
		ai->ai_family = fam;
		ai->ai_socktype = SOCK_STREAM;
		ai->ai_addr = (struct sockaddr *)(ai + 1);
		if (fam == AF_INET) {
			s4 = (struct sockaddr_in *)ai->ai_addr;
			s4->sin_family = AF_INET;
			inet_pton(AF_INET, fake_hosts[i].addr[k],
				  &s4->sin_addr);
			ai->ai_addrlen = sizeof(*s4);
		} else {
			s6 = (struct sockaddr_in6 *)ai->ai_addr;
			s6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, fake_hosts[i].addr[k],
				  &s6->sin6_addr);
			ai->ai_addrlen = sizeof(*s6);
		}
		*tail = ai;
		tail = &ai->ai_next;
	}
	if (head == NULL)
		return EAI_NODATA;	/* glibc: none of that family */
	*res = head;
	return 0;
}

static inline void
fake_freeai(struct addrinfo *ai)
{
	struct addrinfo *next;

	for (; ai != NULL; ai = next) {
		next = ai->ai_next;
		free(ai);
	}
}

/* From now on the loader resolves host names with fake_gai(). */
static inline void
fake_resolver_use(void)
{
	cfg_getaddrinfo = fake_gai;
	cfg_freeaddrinfo = fake_freeai;
}

#endif
