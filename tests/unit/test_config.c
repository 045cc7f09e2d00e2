/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config.c - squid.conf parsing: every directive valid and invalid,
 * the "FILE:LINE: message" format, continuation lines, includes, quoted
 * acl value files, units, defaults, and the shipped etc/tproxyd.conf.
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

static void
dump_msgs(const struct cfg_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		print_error("    msg[%zu] %s\n", i, m->msg[i].text);
}

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

static int
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

static void
fake_freeai(struct addrinfo *ai)
{
	struct addrinfo *next;

	for (; ai != NULL; ai = next) {
		next = ai->ai_next;
		free(ai);
	}
}

/* ------------------------------------------------------------ load table */

/*
 * One configuration and what loading it must give. Unless noport is set,
 * "http_port 65001" is appended as a last line so that cases need not
 * repeat it (and the line numbers of the case text are unchanged).
 * nwarn < 0: not checked. msg: a substring of the first message (NULL: no
 * message at all).
 */
struct load_case {
	const char *text;
	int         nerr;
	int         nwarn;
	const char *msg;
	int         noport;
};

static const struct load_case load_cases[] = {
	/* --- lexing --- */
	{ "", 0, 0, NULL, 0 },
	{ "# only a comment\n\n   \t\n", 0, 0, NULL, 0 },
	{ "http_port 3128 # trailing comment\n", 0, 0, NULL, 0 },
	{ "acl a src 10.0.0.1 \\\n  10.0.0.2 \\\n  bogus\n", 1, 0,
	  "t.conf:3: acl a: cannot resolve 'bogus'", 0 },
	{ "acl a src 10.0.0.1\\\n0.0.0.0/0\n", 1, 0,
	  "t.conf:1: acl a: invalid address '10.0.0.10.0.0.0/0'", 0 },
	{ "http_port 3128\r\nhtp_port 1\r\n", 1, 0,
	  "t.conf:2: unknown directive 'htp_port'", 0 },
	{ "acl q src \"unterminated\n", 1, 0,
	  "t.conf:1: unterminated quoted value", 0 },
	{ "include\n", 1, 0, "t.conf:1: include: missing file name", 0 },
	{ "include /nonexistent-dir-xyz/*.conf\n", 1, 0,
	  "t.conf:1: include: no file matches '/nonexistent-dir-xyz/*.conf'",
	  0 },
	{ "include /nonexistent-file-xyz.conf\n", 1, 0,
	  "t.conf:1: include: cannot read '/nonexistent-file-xyz.conf': No "
	  "such file", 0 },
	{ "\n\nhtp_port 3128\n", 1, 0,
	  "t.conf:3: unknown directive 'htp_port'", 0 },

	/* --- regular expressions glibc would blow up on (fuzz_config) --- */
	{ "acl r url_regex nam+++e\n", 1, 0,
	  "t.conf:1: acl r: regular expression 'nam+++e' is too costly", 0 },
	{ "acl r url_regex ((a{100}){100}){100}\n", 1, 0,
	  "bounds multiply past 100000", 0 },
	{ "acl r url_regex a{1000}\n", 1, 0, "a {n,m} bound above 255", 0 },
	{ "acl r url_regex ^https?://[a-z+*]+\\.example/(x|y)*[0-9]{2,4}$\n",
	  0, 0, NULL, 0 },

	/* --- processes, limits, stats --- */
	{ "workers 2\ncpu_affinity_map process_numbers=1,2 cores=1,2\n",
	  0, 0, NULL, 0 },
	{ "workers 0\n", 1, 0, "t.conf:1: workers: expected a number", 0 },
	{ "workers 65\n", 1, 0, "t.conf:1: workers: at most 64", 0 },
	{ "workers auto\n", 0, 0, NULL, 0 },
	{ "cpu_affinity_map process_numbers=1,2 cores=1\n", 1, 0,
	  "cpu_affinity_map: process_numbers= and cores= need lists", 0 },
	{ "cpu_affinity_map cpus=1 cores=1\n", 1, 0,
	  "cpu_affinity_map: expected process_numbers=", 0 },
	{ "max_filedescriptors 65536\nclient_connection_limit 100\n", 0, 0,
	  NULL, 0 },
	{ "max_filedescriptors 10\n", 1, 0,
	  "max_filedescriptors: expected a number from 64", 0 },
	{ "stats_port 9128\nstats_access allow localhost\n", 0, 0, NULL, 0 },
	{ "stats_port 9128 log\n", 0, 0, NULL, 0 },
	{ "stats_port 9128 verbose\n", 1, 0,
	  "t.conf:1: stats_port: unknown option 'verbose' (the only one is "
	  "'log'", 0 },
	{ "stats_port 9128 log log\n", 1, 0, "t.conf:1: stats_port", 0 },
	{ "http_port 127.0.0.1:3130\nstats_port 3130\n", 1, 0,
	  "t.conf:2: stats_port: '3130' is already used", 0 },
	{ "stats_access allow nosuch\n", 1, 0,
	  "stats_access: undefined acl 'nosuch'", 0 },

	/* --- adapted_http_access, client_netmask --- */
	{ "acl a src 10.0.0.0/8\nadapted_http_access deny a\n", 0, 0, NULL, 0 },
	{ "http_access2 allow all\n", 0, 0, NULL, 0 },
	{ "adapted_http_access allow nosuch\n", 1, 0,
	  "adapted_http_access: undefined acl 'nosuch'", 0 },
	{ "client_netmask 255.255.255.0\n", 0, 0, NULL, 0 },
	{ "client_netmask /16\n", 0, 0, NULL, 0 },
	{ "client_netmask 24\n", 0, 0, NULL, 0 },
	{ "client_netmask ffff:ffff:ffff::\n", 0, 0, NULL, 0 },
	{ "client_netmask /33\n", 1, 0, "client_netmask: expected a netmask",
	  0 },
	{ "client_netmask mask\n", 1, 0, "t.conf:1: client_netmask: expected "
	  "a netmask", 0 },
	{ "client_netmask\n", 1, 0, "client_netmask: missing argument", 0 },

	/* --- http_port --- */
	{ "http_port 3128\n", 0, 0, NULL, 1 },
	{ "", 0, 1, "t.conf: WARNING: no http_port configured: tproxyd "
	  "will not start with this file", 1 },
	{ "stats_port 9128\n", 0, 1, "no http_port configured", 1 },
	{ "http_port 99999\n", 1, 0, "t.conf:1: http_port: invalid port "
	  "'99999'", 0 },
	{ "http_port 0\n", 1, 0, "http_port: invalid port '0'", 0 },
	{ "http_port 3128x\n", 1, 0, "http_port: invalid port '3128x'", 0 },
	{ "http_port 1.2.3.4:\n", 1, 0, "http_port: invalid port ''", 0 },
	{ "http_port\n", 1, 0, "t.conf:1: http_port: missing argument", 0 },
	{ "http_port 1.2.3.999:3128\n", 1, 0,
	  "t.conf:1: http_port: invalid address '1.2.3.999' (expected an "
	  "IPv4 address, [IPv6] or a host name)", 0 },
	/* Host names (the fake resolver above): resolved at load, the
	 * first address used, as Squid does. */
	{ "http_port proxy.test:3128\n", 0, 0, NULL, 1 },
	{ "http_port dual.test:3128\n", 0, 1,
	  "t.conf:1: WARNING: http_port: 'dual.test' has 2 addresses "
	  "(2001:db8::1, 192.0.2.1); listening on 2001:db8::1 only, as Squid "
	  "does (add a line for each other address", 1 },
	{ "http_port dup.test:3128\n", 0, 1, "'dup.test' has 2 addresses "
	  "(192.0.2.7, 2001:db8::7); listening on 192.0.2.7 only", 1 },
	{ "http_port three.test:3128\n", 0, 1, "'three.test' has 3 addresses "
	  "(192.0.2.1, 192.0.2.2, ...); listening on 192.0.2.1 only", 1 },
	{ "http_port nosuch.test:3128\n", 1, 0,
	  "t.conf:1: http_port: cannot resolve 'nosuch.test': Name or "
	  "service not known", 0 },
	{ "http_port slow.test:3128\n", 1, 0,
	  "t.conf:1: http_port: cannot resolve 'slow.test': Temporary "
	  "failure in name resolution", 0 },
	{ "http_port nosuch.test:99999\n", 1, 0,
	  "http_port: invalid port '99999'", 0 },
	{ "http_port proxy.test:3128\nhttp_port 192.0.2.10:3128\n", 1, 0,
	  "t.conf:2: http_port: '192.0.2.10:3128' is already used by the "
	  "http_port at t.conf:1", 0 },
	{ "stats_port proxy.test:9100\n", 0, 0, NULL, 0 },
	{ "stats_port nosuch.test:9100\n", 1, 0,
	  "t.conf:1: stats_port: cannot resolve 'nosuch.test'", 0 },
	/* Every name that does not resolve is reported, in one pass. */
	{ "http_port a.test:1\nacl x dst b.test\nwccp2_router c.test\n"
	  "wccp2_address d.test\ntcp_outgoing_address e.test\n"
	  "acl y src proxy.test f.test\n", 6, 0,
	  "t.conf:1: http_port: cannot resolve 'a.test'", 0 },
	{ "http_port ::1:3128\n", 1, 0, "IPv6 addresses need brackets", 0 },
	{ "http_port [::1\n", 1, 0, "http_port: invalid address '[::1'", 0 },
	{ "http_port [::1]:3128 name=lo6\nhttp_port 127.0.0.1:3128\n", 0, 0,
	  NULL, 0 },
	{ "http_port 3129 tproxy\nhttp_port 3130 intercept\n"
	  "http_port 3131 transparent\nhttp_port 3132 accel\n", 0, 1,
	  "t.conf:4: WARNING: http_port: 'accel' (reverse proxy) is not "
	  "implemented", 0 },
	{ "http_port 3129 tproxy intercept\n", 1, 0,
	  "t.conf:1: http_port: 'tproxy' and 'intercept' cannot be used on "
	  "the same port", 0 },
	{ "http_port 3129 intercept accel\n", 1, 0,
	  "http_port: 'accel' cannot be combined with 'intercept'", 0 },
	{ "http_port 3129 tproxy accel\n", 1, 0,
	  "http_port: 'accel' cannot be combined with 'tproxy'", 0 },
	{ "http_port 80 transparent tproxy\n", 0, 1,
	  "t.conf:1: WARNING: http_port: 'transparent tproxy' is old Balabit "
	  "advice", 0 },
	{ "http_port 3128\nhttp_port 3128 tproxy\n", 1, 0,
	  "t.conf:2: http_port: '3128' is already used by the http_port at "
	  "t.conf:1", 0 },
	{ "http_port 10.0.0.1:3128\nhttp_port 10.0.0.1:3128\n", 1, 0,
	  "at t.conf:1", 0 },
	{ "http_port 3128 connection-auth=off ssl-bump vhost\n", 0, 2,
	  "t.conf:1: WARNING: http_port: option 'connection-auth=off' is not "
	  "supported by tproxyd; ignored", 0 },

	/* --- acl --- */
	{ "acl\n", 1, 0, "t.conf:1: acl: missing acl name", 0 },
	{ "acl a\n", 1, 0, "t.conf:1: acl a: missing acl type", 0 },
	{ "acl a src\n", 1, 0, "t.conf:1: acl a: missing values", 0 },
	{ "acl a$b src 1.2.3.4\n", 1, 0, "acl: invalid acl name 'a$b'", 0 },
	{ "acl foo bogus_type x\n", 1, 0,
	  "t.conf:1: acl foo: unsupported acl type 'bogus_type'", 0 },
	/* Predefined acls: same type appends (Squid's warnings for covered
	 * values), another type is an error. */
	{ "acl all src all\n", 0, 2, "t.conf:1: WARNING: acl all: Ignoring "
	  "0.0.0.0/0 because it is already covered by 0.0.0.0/0", 0 },
	{ "acl all src 0.0.0.0/0.0.0.0\n", 0, 3, "t.conf:1: WARNING: acl "
	  "all: '0.0.0.0/0.0.0.0' needs to be replaced by the term 'all'",
	  0 },
	{ "acl all src 1.2.3.4\n", 0, 1, "t.conf:1: WARNING: acl all: "
	  "Ignoring 1.2.3.4 because it is already covered by 0.0.0.0/0", 0 },
	{ "acl localhost src 127.0.0.1/32\n", 0, 1, "t.conf:1: WARNING: acl "
	  "localhost: Ignoring 127.0.0.1 because it is already covered by "
	  "127.0.0.1", 0 },
	{ "acl localhost src 127.0.0.0/8\n", 0, 1, "t.conf:1: WARNING: acl "
	  "localhost: Ignoring earlier 127.0.0.1 because it is covered by "
	  "127.0.0.0/8", 0 },
	{ "acl to_localhost dst 127.0.0.0/8 0.0.0.0/32 ::1\n", 0, 3,
	  "t.conf:1: WARNING: acl to_localhost: Ignoring 0.0.0.0 because it "
	  "is already covered by 0.0.0.0", 0 },
	{ "acl a src 10.0.0.0/9 10.100.0.0-10.200.0.0\n", 0, 1, "t.conf:1: "
	  "WARNING: acl a: Merging overlapping 10.100.0.0-10.200.0.0 and "
	  "10.0.0.0/9 into 10.0.0.0-10.200.0.0", 0 },
	{ "acl a src 10.0.0.0/9\nacl a src 10.64.0.0/10\n", 0, 1, "t.conf:2: "
	  "WARNING: acl a: Ignoring 10.64.0.0/10 because it is already "
	  "covered by 10.0.0.0/9", 0 },
	{ "acl manager proto cache_object\n", 0, 1, "t.conf:1: WARNING: "
	  "UPGRADE: ACL 'manager' is now a built-in ACL", 0 },
	{ "acl CONNECT method CONNECT\nhttp_access deny CONNECT\n", 0, 0,
	  NULL, 0 },
	{ "acl localhost dst 127.0.0.1\n", 1, 0, "t.conf:1: acl localhost: "
	  "predefined with type 'src'; cannot add values of type 'dst'", 0 },
	{ "acl CONNECT port 443\n", 1, 0, "t.conf:1: acl CONNECT: predefined "
	  "with type 'method'", 0 },
	{ "acl m myip 10.0.0.1\n", 0, 1, "t.conf:1: WARNING: UPGRADE: ACL "
	  "'myip' type has been renamed to 'localip'", 0 },
	/* Squid types tproxyd lacks: refused with the reason. */
	{ "acl s peername p1\n", 1, 0, "t.conf:1: 'acl peername' "
	  "is not supported by tproxyd: it matches cache_peer selection", 0 },
	{ "acl u max_user_ip 2\n", 1, 0, "t.conf:1: 'acl max_user_ip' "
	  "is not supported by tproxyd", 0 },
	/* proxy_auth needs auth_param basic; other schemes are refused. */
	{ "acl u proxy_auth REQUIRED\n", 1, 0, "t.conf:1: acl u: proxy "
	  "authentication needs 'auth_param basic program' or 'auth_param "
	  "digest program'", 0 },
	{ "auth_param basic program /bin/false\n"
	  "acl u proxy_auth -i alice REQUIRED\n", 0, 1, "t.conf:2: WARNING: "
	  "acl u: REQUIRED matches every authenticated user", 0 },
	{ "auth_param basic program /bin/false\n"
	  "acl u proxy_auth_regex -i ^a(\n", 1, 0, "t.conf:2: acl u: invalid "
	  "regular expression", 0 },
	{ "auth_param digest program /bin/false\n"
	  "auth_param digest nonce_max_count 0\n", 1, 0, "t.conf:2: ", 0 },
	{ "auth_param digest program /bin/false\n"
	  "auth_param digest post_workaround on\n", 0, 1, "t.conf:2: "
	  "WARNING: auth_param digest post_workaround is not implemented", 0 },
	{ "auth_param digest program /bin/false\n"
	  "auth_param digest nonce_max_duration 5 minutes\n"
	  "auth_param digest nonce_max_count 10\n"
	  "auth_param digest nonce_strictness on\n"
	  "auth_param digest check_nonce_count off\n"
	  "auth_param digest realm R\n"
	  "acl u proxy_auth REQUIRED\n", 0, 0, NULL, 0 },
	{ "auth_param digest frob 1\n", 1, 0, "t.conf:1: auth_param digest: "
	  "unknown option 'frob'", 0 },
	{ "auth_param ntlm children 5\n", 1, 0, "t.conf:1: auth_param ntlm "
	  "is not supported by tproxyd", 0 },
	{ "auth_param basic key_extras \"%>a\"\n", 1, 0, "t.conf:1: "
	  "auth_param basic key_extras is not supported", 0 },
	{ "auth_param basic realm a\\b\n", 1, 0, "t.conf:1: "
	  "auth_param basic realm: quotes", 0 },
	{ "auth_param basic children 0\n", 1, 0, "t.conf:1: children: the "
	  "maximum number of processes must be a number from 1 to 10000", 0 },
	{ "auth_param basic credentialsttl 5 minutes\n"
	  "auth_param basic casesensitive on\nauth_param basic utf8 on\n"
	  "auth_param basic realm My Proxy\n", 0, 0, NULL, 0 },
	/* srcdomain, srcdom_regex: values as dstdomain's and regexes. */
	{ "acl s srcdomain .example.com none\n", 0, 0, NULL, 0 },
	{ "acl s srcdomain a..b\n", 1, 0, "t.conf:1: acl s: invalid domain "
	  "'a..b'", 0 },
	{ "acl s srcdom_regex -i ^pc[0-9]+\\.lan$\n", 0, 0, NULL, 0 },
	{ "acl s srcdom_regex (\n", 1, 0, "t.conf:1: acl s: invalid regular "
	  "expression '('", 0 },
	/* New types: bad values. */
	{ "acl t time MTX 08:00-17:00\n", 1, 0, "t.conf:1: acl t: bad day "
	  "'X' in 'MTX'", 0 },
	{ "acl t time 08:00-25:00\n", 1, 0, "t.conf:1: acl t: bad time "
	  "range '08:00-25:00'", 0 },
	{ "acl t time 17:00-08:00\n", 1, 0, "t.conf:1: acl t: reversed time "
	  "range '17:00-08:00'", 0 },
	{ "acl t time 8:00-9:00x\n", 1, 0, "bad time range", 0 },
	{ "acl t time MTWHF 08:00-17:30 A 00:00-24:00\n", 0, 0, NULL, 0 },
	{ "acl s http_status 200 300-399 500- 1000\n", 1, 0, "t.conf:1: acl "
	  "s: invalid status or status range '1000'", 0 },
	{ "acl m arp 00:11:22:33:44:5g\n", 1, 0, "t.conf:1: acl m: invalid "
	  "MAC address '00:11:22:33:44:5g'", 0 },
	{ "acl m arp 00:11:22:33:44:55 00-AA-bb-CC-dd-EE\n", 0, 0, NULL, 0 },
	{ "acl m maxconn x\n", 1, 0, "acl m: invalid connection count 'x'",
	  0 },
	{ "acl m maxconn 2\nacl m maxconn 3\n", 0, 1, "t.conf:2: WARNING: "
	  "acl m: maxconn takes one number; 3 replaces 2", 0 },
	{ "acl h has request responses\n", 1, 0, "t.conf:1: acl h: unknown "
	  "component 'responses'", 0 },
	{ "acl h req_header X-A\n", 1, 0, "t.conf:1: acl h: missing regular "
	  "expression after the header name 'X-A'", 0 },
	{ "acl h req_header X:A foo\n", 1, 0, "acl h: invalid header name "
	  "'X:A'", 0 },
	{ "acl h rep_header Server -i ^apache\nhttp_access deny h\n", 0, 1,
	  "t.conf:2: WARNING: http_access: acl 'h' needs the response", 0 },
	{ "acl g all-of localhost nope\n", 1, 0, "t.conf:1: acl g: undefined "
	  "acl 'nope'", 0 },
	{ "acl g any-of localhost\nacl h any-of g\nacl g any-of h\n", 1, 0,
	  "t.conf:3: acl g: 'h' refers back to g", 0 },
	{ "acl g any-of g\n", 1, 0, "'g' refers back to g", 0 },
	{ "acl a src 1.2.3.4\nacl a dst 1.2.3.4\n", 1, 0,
	  "t.conf:2: acl a: already defined as type 'src' at t.conf:1", 0 },
	{ "acl a src 1.2.3.4\nacl a src 5.6.7.8\n", 0, 0, NULL, 0 },
	{ "acl a src 10.0.0.0/8 10.1.0.0/255.255.0.0 1.2.3.4-1.2.3.9 "
	  "::1 2001:db8::/32 [::2]\n", 0, 1, "Ignoring 10.1.0.0/16 because "
	  "it is already covered by 10.0.0.0/8", 0 },
	{ "acl a src 10.0.0.0/8 ::1 all\n", 0, 2, "t.conf:1: WARNING: acl a: "
	  "Ignoring earlier 10.0.0.0/8 because it is covered by 0.0.0.0/0",
	  0 },
	{ "acl a src 10.0.0.1/8\n", 0, 1, "WARNING: acl a: '10.0.0.1/8' has "
	  "bits set outside its mask; using 10.0.0.0/8", 0 },
	{ "acl a src 10.0.0.0/33\n", 1, 0, "acl a: invalid mask in "
	  "'10.0.0.0/33'", 0 },
	{ "acl a src 10.0.0.0/255.0.255.0\n", 1, 0, "invalid mask", 0 },
	{ "acl a src 1.2.3.9-1.2.3.4\n", 1, 0, "invalid address range", 0 },
	{ "acl a src 1.2.3.4-::1\n", 1, 0, "invalid address range", 0 },
	{ "acl a src 1.2.3.256\n", 1, 0, "acl a: invalid address '1.2.3.256'",
	  0 },
	/* Host names: every address, resolved at load (as Squid). */
	{ "acl a src proxy.test\nacl b dst dual.test dup.test\n"
	  "acl c localip three.test\n", 0, 0, NULL, 0 },
	{ "acl a src host.example.com\n", 1, 0, "t.conf:1: acl a: cannot "
	  "resolve 'host.example.com': Name or service not known", 0 },
	{ "acl a dst www.example.com\n", 1, 0,
	  "t.conf:1: acl a: cannot resolve 'www.example.com'", 0 },
	{ "acl a dst slow.test\n", 1, 0, "acl a: cannot resolve 'slow.test': "
	  "Temporary failure", 0 },
	/* A name with a mask or a port is not Squid's either. */
	{ "acl a dst proxy.test/24\n", 1, 0,
	  "acl a: invalid address 'proxy.test/24'", 0 },
	{ "acl a dst proxy.test:80\n", 1, 0,
	  "acl a: invalid address 'proxy.test:80'", 0 },
	{ "acl a src ipv4\nacl b dst ipv6\nacl c src ipv4 ipv6\n", 0, 0,
	  NULL, 0 },
	{ "acl a dst -n 192.0.2.0/24\n", 0, 0, NULL, 0 },
	{ "acl p port 80 8000-8080 0\n", 0, 0, NULL, 0 },
	{ "acl p port 65536\n", 1, 0, "acl p: invalid port or port range "
	  "'65536'", 0 },
	{ "acl p port 90-80\n", 1, 0, "invalid port or port range '90-80'",
	  0 },
	{ "acl p localport http\n", 1, 0, "invalid port or port range 'http'",
	  0 },
	{ "acl p myport 3128\n", 0, 1, "t.conf:1: WARNING: UPGRADE: ACL "
	  "'myport' type has been renamed to 'localport'", 0 },
	{ "acl n myportname lo6\nacl m method GET CONNECT\n"
	  "acl pr proto HTTP HTTPS\n", 0, 0, NULL, 0 },
	{ "acl d dstdomain .Example.COM example.org. .example.com\n", 0, 0,
	  NULL, 0 },
	{ "acl d dstdomain a..b\n", 1, 0, "acl d: invalid domain 'a..b'", 0 },
	{ "acl d dstdomain .\n", 1, 0, "acl d: invalid domain '.'", 0 },
	{ "acl r url_regex -i ^http://(foo\n", 1, 0,
	  "t.conf:1: acl r: invalid regular expression '^http://(foo'", 0 },
	{ "acl r url_regex -i ^http:// +i \\.exe$\n"
	  "acl s urlpath_regex ^/cgi-bin/\nacl t dstdom_regex ^www\\.\n",
	  0, 0, NULL, 0 },

	/* --- access lists --- */
	{ "http_access allow all\nhttp_access deny !all\n", 0, 0, NULL, 0 },
	{ "http_access allow foo\n", 1, 0,
	  "t.conf:1: http_access: undefined acl 'foo'", 0 },
	{ "http_access allow !foo\n", 1, 0, "http_access: undefined acl "
	  "'foo'", 0 },
	{ "http_access allow ! all\n", 1, 0, "'!' must be followed by an acl "
	  "name", 0 },
	{ "http_access allow\n", 1, 0,
	  "t.conf:1: http_access: rule without acls", 0 },
	{ "http_access\n", 1, 0, "http_access: missing 'allow' or 'deny'",
	  0 },
	{ "http_access permit all\n", 1, 0,
	  "http_access: expected 'allow' or 'deny', got 'permit'", 0 },
	{ "http_access allow localnet\nacl localnet src 10.0.0.0/8\n", 1, 0,
	  "http_access: undefined acl 'localnet'", 0 },
	{ "spoof_client_ip deny localhost\nspoof_client_ip allow all\n", 0, 0,
	  NULL, 0 },
	{ "spoof_client_ip deny nope\n", 1, 0,
	  "t.conf:1: spoof_client_ip: undefined acl 'nope'", 0 },
	{ "never_direct allow all\nalways_direct deny manager\n", 0, 0, NULL,
	  0 },
	{ "never_direct allow\n", 1, 0, "never_direct: rule without acls",
	  0 },
	{ "always_direct maybe all\n", 1, 0, "always_direct: expected "
	  "'allow' or 'deny'", 0 },

	/* --- logs and process --- */
	{ "access_log stdio:/var/log/a.log squid\n", 0, 0, NULL, 0 },
	{ "access_log none\n", 0, 0, NULL, 0 },
	{ "access_log /var/log/a.log combined\n", 0, 0, NULL, 0 },
	{ "access_log daemon:/var/log/a.log logformat=combined\n", 0, 0,
	  NULL, 0 },
	{ "access_log /a\naccess_log /b\n", 0, 0, NULL, 0 },
	{ "access_log syslog:daemon.info\n", 0, 0, NULL, 0 },
	{ "access_log syslog:local9.info\n", 1, 0, "t.conf:1: access_log: "
	  "unknown syslog facility or priority 'local9'", 0 },
	{ "access_log udp://127.0.0.1:514 squid\n", 0, 0, NULL, 0 },
	{ "access_log tcp://[::1]:5140 logformat=common\n", 0, 0, NULL, 0 },
	{ "access_log tcp://127.0.0.1\n", 1, 0,
	  "access_log: expected tcp://HOST:PORT", 0 },
	{ "access_log stdio:\n", 1, 0, "access_log: expected an absolute "
	  "path", 0 },
	{ "access_log ftp:/x\n", 1, 0, "access_log: unknown log module", 0 },
	{ "access_log\n", 1, 0, "t.conf:1: access_log: missing argument", 0 },
	{ "access_log /a squid localnet\n", 1, 0, "t.conf:1: access_log: "
	  "undefined acl 'localnet'", 0 },
	{ "access_log /a squid localhost !manager\n", 0, 0, NULL, 0 },
	{ "access_log /a logformat=nope\n", 1, 0, "access_log: unknown "
	  "logformat 'nope'", 0 },
	{ "access_log /a buffer-size=64KB on-error=drop rotate=3\n", 0, 0,
	  NULL, 0 },
	{ "access_log /a on-error=die\n", 0, 0, NULL, 0 },
	{ "cache_log syslog\n", 0, 0, NULL, 0 },
	{ "cache_log syslog:daemon.info\n", 0, 0, NULL, 0 },
	{ "cache_log syslog:nosuch\n", 1, 0, "t.conf:1: cache_log: unknown "
	  "syslog facility or priority 'nosuch'", 0 },
	{ "cache_log cache.log\n", 1, 0, "t.conf:1: cache_log: expected an "
	  "absolute path, stdio:PATH, syslog[:FACILITY] or none, not "
	  "'cache.log'", 0 },
	{ "cache_log /var/log/tproxyd/cache.log\n", 0, 0, NULL, 0 },
	{ "cache_log stdio:/var/log/tproxyd/cache.log\n", 0, 0, NULL, 0 },
	{ "cache_log none\n", 0, 1, "t.conf:1: WARNING: cache_log none: no "
	  "cache.log file; its lines go to standard error only (the journal "
	  "under systemd)", 0 },
	{ "access_log /a on-error=ignore\n", 1, 0, "t.conf:1: access_log: "
	  "on-error= takes die or drop, not 'ignore'", 0 },
	{ "access_log /a colour=blue\n", 1, 0, "access_log: unknown option "
	  "'colour=blue'", 0 },
	{ "logformat my %ts %>a \"%rm %ru\" %{Host}>h\n"
	  "access_log /a my all\n", 0, 0, NULL, 0 },
	{ "logformat my %ts %Q\n", 1, 0, "t.conf:1: logformat my: unknown "
	  "format code '%Q'", 0 },
	{ "logformat squid %ts\n", 1, 0, "logformat: 'squid' is a built-in "
	  "format", 0 },
	{ "logformat x %byte{300}\n", 1, 0, "%byte needs {1..255}", 0 },
	{ "logformat x %{Host>h\n", 1, 0, "malformed format code", 0 },
	{ "strip_query_terms off\n", 0, 0, NULL, 0 },
	{ "strip_query_terms maybe\n", 1, 0, "strip_query_terms", 0 },
	{ "debug_options ALL,1 33,2 rotate=2\n", 0, 0, NULL, 0 },
	{ "debug_options ALL\n", 1, 0, "debug_options: expected SECTION,"
	  "LEVEL", 0 },
	{ "debug_options 33,12\n", 1, 0, "debug_options: expected", 0 },
	{ "cache_log /tmp/c.log\npid_filename none\n", 0, 0, NULL, 0 },
	{ "cache_log\n", 1, 0, "t.conf:1: cache_log: missing argument", 0 },
	{ "cache_log /a /b\n", 1, 0, "cache_log: unexpected argument '/b'",
	  0 },
	{ "pid_filename\n", 1, 0, "pid_filename: missing argument", 0 },
	{ "dns_nameservers 192.0.2.1 2001:db8::1\n", 0, 0, NULL, 0 },
	{ "dns_nameservers 192.0.2.1 ns.example.com\n", 1, 0,
	  "t.conf:1: dns_nameservers: invalid address 'ns.example.com'", 0 },
	{ "dns_nameservers\n", 1, 0, "dns_nameservers: missing argument", 0 },
	{ "visible_hostname proxy.example.net\n", 0, 0, NULL, 0 },
	{ "visible_hostname\n", 1, 0, "visible_hostname: missing argument",
	  0 },
	{ "cache_effective_user proxy\n", 0, 0, NULL, 0 },
	{ "cache_effective_user a b\n", 1, 0, "cache_effective_user: "
	  "unexpected argument 'b'", 0 },

	/* --- HTTP --- */
	{ "forwarded_for transparent\nvia off\n", 0, 0, NULL, 0 },
	{ "forwarded_for maybe\n", 1, 0, "t.conf:1: forwarded_for: expected "
	  "on, off, transparent, delete or truncate, got 'maybe'", 0 },
	{ "via yes\n", 1, 0, "t.conf:1: via: expected 'on' or 'off', got "
	  "'yes'", 0 },
	{ "via\n", 1, 0, "via: missing argument", 0 },
	{ "request_header_max_size 32 KB\nreply_header_max_size 1 MB\n", 0, 0,
	  NULL, 0 },
	{ "request_header_max_size 2048\n", 0, 1,
	  "WARNING: request_header_max_size: no units on '2048', assuming "
	  "bytes", 0 },
	{ "request_header_max_size 2 MB\n", 1, 0,
	  "t.conf:1: request_header_max_size: '2 MB' is out of range: must "
	  "be between 1 KB and 1 MB", 0 },
	{ "reply_header_max_size 512 bytes\n", 1, 0,
	  "reply_header_max_size: '512 bytes' is out of range", 0 },
	{ "reply_header_max_size 64 parsecs\n", 1, 0,
	  "reply_header_max_size: unknown size unit 'parsecs'", 0 },
	{ "reply_header_max_size lots KB\n", 1, 0,
	  "reply_header_max_size: invalid size 'lots'", 0 },

	/* --- timeouts --- */
	{ "connect_timeout 30 seconds\nread_timeout 15 minutes\n"
	  "request_timeout 1 hour\nclient_idle_pconn_timeout 500 msec\n"
	  "server_idle_pconn_timeout 1.5 minutes\n"
	  "shutdown_lifetime 1 day\n", 0, 0, NULL, 0 },
	{ "connect_timeout 5\n", 0, 1,
	  "t.conf:1: WARNING: connect_timeout: no units on '5', assuming "
	  "seconds", 0 },
	{ "read_timeout 5 parsecs\n", 1, 0,
	  "t.conf:1: read_timeout: unknown time unit 'parsecs'", 0 },
	{ "request_timeout -1 seconds\n", 1, 0,
	  "request_timeout: invalid time value '-1'", 0 },
	{ "shutdown_lifetime\n", 1, 0, "shutdown_lifetime: missing argument",
	  0 },
	{ "shutdown_lifetime 1 second extra\n", 1, 0,
	  "shutdown_lifetime: unexpected argument 'extra'", 0 },

	/* --- interception --- */
	{ "spoof_client_port on\nhost_verify_strict off\n", 0, 0, NULL, 0 },
	{ "spoof_client_port sometimes\n", 1, 0,
	  "spoof_client_port: expected 'on' or 'off', got 'sometimes'", 0 },
	{ "host_verify_strict\n", 1, 0, "host_verify_strict: missing "
	  "argument", 0 },
	{ "tcp_outgoing_address 192.0.2.10\n"
	  "tcp_outgoing_address 2001:db8::10 !localhost\n", 0, 0, NULL, 0 },
	{ "tcp_outgoing_address out.example.com\n", 1, 0,
	  "t.conf:1: tcp_outgoing_address: cannot resolve 'out.example.com': "
	  "Name or service not known", 0 },
	{ "tcp_outgoing_address proxy.test\n", 0, 0, NULL, 0 },
	{ "tcp_outgoing_address dual.test\n", 0, 1,
	  "t.conf:1: WARNING: tcp_outgoing_address: 'dual.test' has 2 "
	  "addresses (2001:db8::1, 192.0.2.1); using 2001:db8::1 only, as "
	  "Squid does", 0 },
	{ "tcp_outgoing_address 1.2.3.4.5\n", 1, 0,
	  "tcp_outgoing_address: invalid address '1.2.3.4.5'", 0 },
	/* cache_peer names are resolved when used (src/proxy/phase.c), not
	 * at load: an unknown one loads. */
	{ "cache_peer nosuch.test parent 3128 0\n", 0, 0, NULL, 0 },
	{ "tcp_outgoing_address 192.0.2.10 nope\n", 1, 0,
	  "tcp_outgoing_address: undefined acl 'nope'", 0 },
	{ "cache_peer 192.0.2.1 parent 3128 0 no-query no-tproxy name=up "
	  "carp\ncache_peer_access up allow all\n", 0, 1,
	  "cache_peer: option 'carp' is not supported by tproxyd; "
	  "ignored", 0 },
	{ "cache_peer 192.0.2.1 sibling 3128 3130 no-tproxy\n", 0, 0, NULL,
	  0 },
	{ "cache_peer 192.0.2.1 multicast 3128 3130\n", 0, 1,
	  "t.conf:1: WARNING: cache_peer: multicast peers are not used "
	  "by tproxyd", 0 },
	{ "cache_peer 192.0.2.1 cousin 3128 0\n", 1, 0,
	  "t.conf:1: cache_peer: peer type must be parent", 0 },
	{ "cache_peer 192.0.2.1 parent 3128\n", 1, 0,
	  "cache_peer: missing argument", 0 },
	{ "cache_peer 192.0.2.1 parent 0 0\n", 1, 0,
	  "cache_peer: invalid port '0'", 0 },
	{ "cache_peer 192.0.2.1 parent 3128 x\n", 1, 0,
	  "cache_peer: invalid ICP port 'x'", 0 },
	{ "cache_peer p.example parent 3128 0\n"
	  "cache_peer p.example parent 3129 0\n", 1, 0,
	  "t.conf:2: cache_peer: peer name 'p.example' is already used at "
	  "t.conf:1", 0 },
	{ "cache_peer_access nope allow all\n", 1, 0,
	  "t.conf:1: cache_peer_access: unknown cache_peer 'nope'", 0 },
	{ "cache_peer p parent 3128 0\ncache_peer_access p allow\n", 1, 0,
	  "cache_peer_access: rule without acls", 0 },

	/* --- SMP macros and conditionals (lex.c) --- */
	{ "if ${process_number} = 1\nhttp_port 3128\nelse\nfrobnicate\n"
	  "endif\n", 0, 0, NULL, 0 },
	{ "if ${process_number}=2\nfrobnicate\nendif\n", 0, 0, NULL, 0 },
	{ "if true\n if false\n  frobnicate\n else\n  http_port 3128\n"
	  " endif\nelse\n if true\n  frobnicate\n endif\nendif\n", 0, 0,
	  NULL, 0 },
	{ "if 0x10 = 16\nfrobnicate\nendif\n", 1, 0,
	  "t.conf:2: unknown directive 'frobnicate'", 0 },
	{ "if false\ninclude /nonexistent-file-xyz.conf\nendif\n", 0, 0,
	  NULL, 0 },
	{ "access_log /tmp/${process_name}-${service_name}-${process_number}"
	  ".log\n", 0, 0, NULL, 0 },
	{ "acl a src 10.0.0.1 ${process_number}0.0.0.2 \\\n bogus\n", 1, 0,
	  "t.conf:2: acl a: cannot resolve 'bogus'", 0 },
	{ "else\n", 1, 0, "t.conf:1: 'else' without 'if'", 0 },
	{ "endif\n", 1, 0, "t.conf:1: 'endif' without 'if'", 0 },
	{ "if true\n", 1, 0, "t.conf:1: if: no 'endif' before the end of "
	  "the file", 0 },
	{ "if ${process_number} = one\nendif\n", 1, 0,
	  "t.conf:1: if: cannot evaluate the condition", 0 },
	{ "if 1 = 1 = 1\nendif\n", 1, 0,
	  "t.conf:1: if: cannot evaluate the condition", 0 },
	{ "if\nendif\n", 1, 0, "t.conf:1: if: cannot evaluate", 0 },
	{ "if true\nelse extra\nendif\n", 1, 0,
	  "t.conf:2: else: unexpected 'extra'", 0 },
	{ "workers 2\nif ${process_number} = 1\nhttp_port 3128\nendif\n",
	  1, 0, "t.conf:2: '${process_number}' is not supported by tproxyd "
	  "with workers 2", 0 },
	{ "workers 3\naccess_log /var/log/${process_name}.log\n", 1, 0,
	  "t.conf:2: '${process_name}' is not supported by tproxyd with "
	  "workers 3", 0 },
	{ "workers 2\naccess_log /var/log/${service_name}.log\n", 0, 0,
	  NULL, 0 },

	/* --- packet marking (cfg_qos.c) --- */
	{ "tcp_outgoing_tos 0x20 all\ntcp_outgoing_dscp 8\n"
	  "tcp_outgoing_ds 040 all\nclientside_tos default\n"
	  "tcp_outgoing_mark 0xffffffff all\nclientside_mark 1\n"
	  "mark_client_packet 0\n", 0, 0, NULL, 0 },
	{ "tcp_outgoing_tos 0x21 all\n", 0, 1,
	  "t.conf:1: WARNING: tcp_outgoing_tos: TOS value '0x21' adjusted "
	  "to 0x20 (the two lowest bits belong to ECN)", 0 },
	{ "tcp_outgoing_tos 256 all\n", 1, 0,
	  "t.conf:1: tcp_outgoing_tos: invalid TOS value '256'", 0 },
	{ "clientside_tos -4 all\n", 1, 0,
	  "t.conf:1: clientside_tos: invalid TOS value '-4'", 0 },
	{ "tcp_outgoing_tos 0x2g all\n", 1, 0,
	  "tcp_outgoing_tos: invalid TOS value '0x2g'", 0 },
	{ "tcp_outgoing_tos\n", 1, 0,
	  "t.conf:1: tcp_outgoing_tos: missing argument", 0 },
	{ "tcp_outgoing_tos 0x20 nosuchacl\n", 1, 0,
	  "t.conf:1: tcp_outgoing_tos: undefined acl 'nosuchacl'", 0 },
	{ "tcp_outgoing_mark 0x100000000 all\n", 1, 0,
	  "t.conf:1: tcp_outgoing_mark: invalid mark '0x100000000'", 0 },
	{ "tcp_outgoing_mark 0x10/0xff all\n", 1, 0,
	  "t.conf:1: tcp_outgoing_mark: '0x10/0xff': a packet mark takes "
	  "no /mask", 0 },
	{ "clientside_mark mark all\n", 1, 0,
	  "clientside_mark: invalid mark 'mark'", 0 },

	/* --- ignored and unknown --- */
	{ "cache_swap_state /var/spool/squid/swap.state\n", 0, 1,
	  "t.conf:1: WARNING: 'cache_swap_state' is not implemented by "
	  "tproxyd; ignored", 0 },
	{ "wccp2_router 192.0.2.1\nwccp2_forwarding_method gre\n"
	  "wccp2_return_method gre\nwccp2_service dynamic 80\n"
	  "wccp2_service_info 80 protocol=tcp flags=src_ip_hash priority=240 "
	  "ports=80\n", 0, 0, NULL, 0 },
	/* --- wccp2_router, wccp2_address: IPv4 or a name, Squid's :PORT */
	{ "wccp2_router 192.0.2.1:2048 proxy.test proxy.test:2048\n"
	  "wccp2_address proxy.test\n", 0, 0, NULL, 0 },
	{ "wccp2_router 192.0.2.1:3000\n", 0, 1,
	  "t.conf:1: WARNING: wccp2_router: port 3000 ignored: WCCPv2 routers "
	  "are always reached on UDP port 2048 (Squid ignores the port too)",
	  0 },
	{ "wccp2_router 192.0.2.1:0\n", 1, 0,
	  "t.conf:1: wccp2_router: invalid port '0'", 0 },
	{ "wccp2_router 192.0.2.1:x\n", 1, 0,
	  "wccp2_router: invalid port 'x'", 0 },
	{ "wccp2_router [2001:db8::1]:2048\n", 1, 0,
	  "wccp2_router: invalid address '[2001:db8::1]:2048' (an IPv4 "
	  "address or a host name: WCCPv2 is IPv4 only)", 0 },
	{ "wccp2_router 192.0.2.300\n", 1, 0,
	  "wccp2_router: invalid address '192.0.2.300'", 0 },
	{ "wccp2_router nosuch.test:2048\n", 1, 0,
	  "t.conf:1: wccp2_router: cannot resolve 'nosuch.test': Name or "
	  "service not known", 0 },
	{ "wccp2_router v6only.test\n", 1, 0,
	  "t.conf:1: wccp2_router: cannot resolve 'v6only.test': No address "
	  "associated with hostname", 0 },
	{ "wccp2_router dual.test three.test\n", 0, 1,
	  "t.conf:1: WARNING: wccp2_router: 'three.test' has 3 addresses "
	  "(192.0.2.1, 192.0.2.2, ...); using 192.0.2.1 only, as Squid does",
	  0 },
	{ "wccp2_address any_addr\n", 0, 0, NULL, 0 },
	{ "wccp2_address 2001:db8::1\n", 1, 0,
	  "wccp2_address: invalid address '2001:db8::1' (an IPv4 address or "
	  "a host name: WCCPv2 is IPv4 only)", 0 },
	{ "wccp2_address 192.0.2.1:2048\n", 1, 0,
	  "wccp2_address: invalid address '192.0.2.1:2048'", 0 },
	{ "wccp2_address nosuch.test\n", 1, 0,
	  "t.conf:1: wccp2_address: cannot resolve 'nosuch.test'", 0 },
	{ "digest_generation off\ncoredump_dir /var/spool/squid\n", 0,
	  2, "'digest_generation' is not implemented", 0 },
	{ "frobnicate yes\n", 1, 0, "t.conf:1: unknown directive "
	  "'frobnicate'", 0 },

	/* --- errors keep parsing --- */
	{ "htp_port 1\nhttp_port 99999\nacl x bogus y\nhttp_access allow z\n",
	  4, 0, "t.conf:1: unknown directive 'htp_port'", 0 },
};

static void
test_load_table(void **state)
{
	const struct load_case *lc;
	struct cfg_msgs m;
	struct cfg *c;
	char text[4096];
	size_t i, w;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
		lc = &load_cases[i];
		snprintf(text, sizeof(text), "%s%s", lc->text,
			 lc->noport ? "" : "http_port 65001\n");
		memset(&m, 0, sizeof(m));
		c = cfg_load_mem(text, "t.conf", &m);
		w = m.n - m.nerr;
		if ((int)m.nerr != lc->nerr ||
		    (lc->nwarn >= 0 && (int)w != lc->nwarn) ||
		    (lc->msg == NULL && m.n != 0) ||
		    (lc->msg != NULL && (m.n == 0 ||
					 strstr(m.msg[0].text, lc->msg) ==
					 NULL))
		    || (c == NULL) != (lc->nerr > 0)) {
			print_error("case %zu: ---\n%s---\n"
				    "  got nerr %zu nwarn %zu cfg %s; want "
				    "nerr %d nwarn %d first msg containing "
				    "'%s'\n",
				    i, lc->text, m.nerr, w, c ? "set" : "NULL",
				    lc->nerr, lc->nwarn,
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

/* ------------------------------------------------------------ marking */

/*
 * The stored rules of the marking directives: which list a line lands
 * in (aliases included), its value after Squid's ECN masking, its acls,
 * and need_mark (the daemon keeps the capability SO_MARK needs only
 * when a non-zero mark is configured).
 */
static const struct qos_case {
	const char *text;
	int         list;	/* 0 tos_server 1 mark_server 2 tos_client
				   3 mark_client */
	size_t      n;		/* rules in that list */
	size_t      idx;	/* the rule checked */
	uint32_t    value;
	size_t      nref;
	int         negate0;	/* ref[0].negate */
	int         need_mark;
} qos_cases[] = {
	{ "tcp_outgoing_tos 0x20 lan\n", 0, 1, 0, 0x20, 1, 0, 0 },
	{ "tcp_outgoing_ds 0x23 lan !lan\n", 0, 1, 0, 0x20, 2, 0, 0 },
	{ "tcp_outgoing_dscp 010\n", 0, 1, 0, 8, 0, 0, 0 },
	{ "tcp_outgoing_tos 4 lan\ntcp_outgoing_tos 8 !lan\n", 0, 2, 1, 8,
	  1, 1, 0 },
	{ "tcp_outgoing_tos default all\n", 0, 1, 0, 0, 1, 0, 0 },
	{ "tcp_outgoing_mark 0x1f4 lan\n", 1, 1, 0, 500, 1, 0, 1 },
	{ "tcp_outgoing_mark 0 lan\n", 1, 1, 0, 0, 1, 0, 0 },
	{ "tcp_outgoing_mark 4294967295\n", 1, 1, 0, 0xffffffffu, 0, 0, 1 },
	{ "clientside_tos 0xb8 !lan\n", 2, 1, 0, 0xb8, 1, 1, 0 },
	{ "clientside_mark 7 lan\n", 3, 1, 0, 7, 1, 0, 1 },
	{ "mark_client_packet 9\nclientside_mark 10\n", 3, 2, 1, 10, 0, 0,
	  1 },
};

static void
test_qos(void **state)
{
	const struct qos_case *qc;
	const struct cfg_qos_list *l;
	struct cfg_msgs m;
	struct cfg *c;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(qos_cases) / sizeof(qos_cases[0]); i++) {
		qc = &qos_cases[i];
		snprintf(text, sizeof(text), "acl lan src 10.0.0.0/8\n%s"
			 "http_port 65001\n", qc->text);
		memset(&m, 0, sizeof(m));
		c = cfg_load_mem(text, "q.conf", &m);
		if (c == NULL) {
			print_error("case %zu: not loaded:\n%s", i, qc->text);
			dump_msgs(&m);
			fail();
		}
		l = qc->list == 0 ? &c->qos.tos_server : qc->list == 1 ?
		    &c->qos.mark_server : qc->list == 2 ?
		    &c->qos.tos_client : &c->qos.mark_client;
		if (l->n != qc->n || l->rule[qc->idx].value != qc->value)
			print_error("case %zu: %s", i, qc->text);
		EXPECT_INT(l->n, qc->n, "rules");
		EXPECT_INT(l->rule[qc->idx].value, qc->value, "value");
		EXPECT_INT(l->rule[qc->idx].nref, qc->nref, "acls");
		if (qc->nref > 0)
			EXPECT_INT(l->rule[qc->idx].ref[0].negate,
				   qc->negate0, "negate");
		EXPECT_INT(c->qos.need_mark, qc->need_mark, "need_mark");
		EXPECT_INT(c->qos.tos_server.n + c->qos.mark_server.n +
			   c->qos.tos_client.n + c->qos.mark_client.n, qc->n,
			   "no other list filled");
		cfg_unref(c);
		cfg_msgs_free(&m);
	}
}

/* ------------------------------------------------------------ values */

static struct cfg *
load_ok(const char *text)
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

static void
test_defaults(void **state)
{
	struct cfg *c = load_ok("http_port 3128\n");

	(void)state;
	EXPECT_INT(c->nalog, 1, "one default access_log");
	EXPECT_INT(c->alog[0].module, ALOG_FILE, "access_log is a file");
	EXPECT_STR(c->alog[0].place, "/var/log/tproxyd/access.log",
		   "access_log");
	EXPECT_STR(c->alog[0].fmt->name, "squid", "access_log format");
	EXPECT_INT(c->strip_query_terms, 1, "strip_query_terms on");
	EXPECT_INT(c->debug_level, 1, "debug_options ALL,1");
	EXPECT_STR(c->cache_log, "/var/log/tproxyd/cache.log", "cache_log");
	EXPECT_STR(c->pid_filename, "/run/tproxyd/tproxyd.pid", "pid_filename");
	EXPECT_STR(c->dns_nameservers, NULL, "dns_nameservers");
	EXPECT_STR(c->visible_hostname, NULL, "visible_hostname");
	EXPECT_STR(c->cache_effective_user, NULL, "cache_effective_user");
	EXPECT_STR(c->path, "v.conf", "path");
	EXPECT_INT(c->forwarded_for, FWD_FOR_ON, "forwarded_for");
	EXPECT_INT(c->via, 1, "via");
	EXPECT_DBL(c->connect_timeout, 60, "connect_timeout");
	EXPECT_DBL(c->read_timeout, 900, "read_timeout");
	EXPECT_DBL(c->request_timeout, 300, "request_timeout");
	EXPECT_DBL(c->client_idle_pconn_timeout, 120, "client_idle");
	EXPECT_DBL(c->server_idle_pconn_timeout, 60, "server_idle");
	EXPECT_DBL(c->shutdown_lifetime, 30, "shutdown_lifetime");
	EXPECT_INT(c->request_header_max_size, 65536, "request_header");
	EXPECT_INT(c->reply_header_max_size, 65536, "reply_header");
	EXPECT_INT(c->spoof_client_ip.n, 0, "spoof_client_ip rules");
	EXPECT_INT(c->http_access.n, 0, "http_access rules");
	EXPECT_INT(c->spoof_client_port, 0, "spoof_client_port");
	EXPECT_INT(c->tproxy, 0, "tproxy");
	EXPECT_INT(c->npeer, 0, "npeer");
	EXPECT_INT(c->noutgoing, 0, "noutgoing");
	EXPECT_INT(c->refs, 1, "refs");
	/* Predefined acls. */
	EXPECT_INT(cfg_acl_find(c, "all") != NULL, 1, "acl all");
	EXPECT_INT(cfg_acl_find(c, "localhost")->type, ACL_SRC, "localhost");
	EXPECT_INT(cfg_acl_find(c, "to_localhost")->type, ACL_DST,
		   "to_localhost");
	EXPECT_INT(cfg_acl_find(c, "to_linklocal")->n, 2, "to_linklocal n");
	EXPECT_INT(cfg_acl_find(c, "manager")->type, ACL_URL_REGEX,
		   "manager");
	EXPECT_INT(cfg_acl_find(c, "CONNECT")->type, ACL_METHOD, "CONNECT");
	EXPECT_INT(cfg_acl_find(c, "all")->n, 2, "all n");
	EXPECT_INT(cfg_acl_find(c, "nope") == NULL, 1, "undefined acl");
	cfg_unref(c);
}

/* What the macros expand to and which branch of an if is read: the
 * values must land in the cfg, not just load without error. */
static void
test_macros(void **state)
{
	struct cfg *c;

	(void)state;
	c = load_ok("access_log /tmp/${process_name}-${service_name}-"
		    "${process_number}.log\n"
		    "if ${process_number} = 1\n"
		    "http_port 3128\n"
		    "else\n"
		    "http_port 3129\n"
		    "endif\n"
		    "if ${process_number} = 2\n"
		    "http_port 3130\n"
		    "endif\n");
	EXPECT_INT(c->nalog, 1, "access_log lines");
	EXPECT_STR(c->alog[0].place, "/tmp/squid-squid-1.log", "access_log");
	EXPECT_INT(c->nport, 1, "ports from the true branches only");
	EXPECT_INT(ntohs(((const struct sockaddr_in *)&c->port[0].addr)->
			 sin_port), 3128, "port");
	cfg_unref(c);
}

static void
test_values(void **state)
{
	struct cfg *c;
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;
	char buf[64];

	(void)state;
	c = load_ok(
	    "acl lan src 10.0.0.0/8\n"
	    "http_port 3128\n"
	    "http_port 192.0.2.1:3129 tproxy name=tp\n"
	    "http_port [2001:db8::1]:3130 intercept\n"
	    "http_port 3131 transparent\n"
	    "access_log daemon:/var/log/x/access.log squid\n"
	    "cache_log /tmp/cache.log\n"
	    "pid_filename none\n"
	    "dns_nameservers 192.0.2.53 2001:db8::53 198.51.100.53\n"
	    "visible_hostname proxy.example.net\n"
	    "forwarded_for truncate\n"
	    "via off\n"
	    "connect_timeout 1.5 minutes\n"
	    "read_timeout 2 hours\n"
	    "request_timeout 250 milliseconds\n"
	    "client_idle_pconn_timeout 1 week\n"
	    "server_idle_pconn_timeout 3 days\n"
	    "shutdown_lifetime 1 second\n"
	    "request_header_max_size 1 MB\n"
	    "reply_header_max_size 2 KB\n"
	    "cache_effective_user squid\n"
	    "spoof_client_ip deny lan\n"
	    "spoof_client_port on\n"
	    "host_verify_strict on\n"
	    "tcp_outgoing_address 192.0.2.7 !lan all\n"
	    "cache_peer parent.example parent 8080 0 no-tproxy\n"
	    "cache_peer 192.0.2.9 parent 3128 3130 name=second\n"
	    "cache_peer_access second deny lan\n"
	    "never_direct allow lan\n"
	    "always_direct deny all\n");
	EXPECT_INT(c->nport, 4, "nport");
	EXPECT_INT(c->tproxy, 1, "tproxy");
	s6 = (const struct sockaddr_in6 *)&c->port[0].addr;
	EXPECT_INT(c->port[0].wildcard, 1, "port0 wildcard");
	EXPECT_INT(s6->sin6_family, AF_INET6, "port0 family");
	EXPECT_INT(IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr), 1, "port0 any");
	EXPECT_INT(ntohs(s6->sin6_port), 3128, "port0 port");
	EXPECT_INT(c->port[0].addrlen, sizeof(struct sockaddr_in6), "addrlen");
	EXPECT_INT(c->port[0].mode, PORT_FORWARD, "port0 mode");
	EXPECT_STR(c->port[0].name, "3128", "port0 name");
	EXPECT_INT(c->port[0].line, 2, "port0 line");
	EXPECT_STR(c->port[0].file, "v.conf", "port0 file");
	s4 = (const struct sockaddr_in *)&c->port[1].addr;
	EXPECT_INT(c->port[1].wildcard, 0, "port1 wildcard");
	EXPECT_INT(s4->sin_family, AF_INET, "port1 family");
	EXPECT_STR(inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof(buf)),
		   "192.0.2.1", "port1 addr");
	EXPECT_INT(ntohs(s4->sin_port), 3129, "port1 port");
	EXPECT_INT(c->port[1].mode, PORT_TPROXY, "port1 mode");
	EXPECT_STR(c->port[1].name, "tp", "port1 name");
	s6 = (const struct sockaddr_in6 *)&c->port[2].addr;
	EXPECT_STR(inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof(buf)),
		   "2001:db8::1", "port2 addr");
	EXPECT_INT(c->port[2].mode, PORT_INTERCEPT, "port2 mode");
	EXPECT_STR(c->port[2].name, "[2001:db8::1]:3130", "port2 name");
	EXPECT_INT(c->port[3].mode, PORT_INTERCEPT, "transparent = intercept");

	EXPECT_STR(c->alog[0].place, "/var/log/x/access.log", "access_log");
	EXPECT_STR(c->cache_log, "/tmp/cache.log", "cache_log");
	EXPECT_STR(c->pid_filename, NULL, "pid_filename none");
	EXPECT_STR(c->dns_nameservers, "192.0.2.53,2001:db8::53,198.51.100.53",
		   "dns_nameservers");
	EXPECT_STR(c->visible_hostname, "proxy.example.net", "visible");
	EXPECT_INT(c->forwarded_for, FWD_FOR_TRUNCATE, "forwarded_for");
	EXPECT_INT(c->via, 0, "via");
	EXPECT_DBL(c->connect_timeout, 90, "connect_timeout");
	EXPECT_DBL(c->read_timeout, 7200, "read_timeout");
	EXPECT_DBL(c->request_timeout, 0.25, "request_timeout");
	EXPECT_DBL(c->client_idle_pconn_timeout, 604800, "client_idle");
	EXPECT_DBL(c->server_idle_pconn_timeout, 259200, "server_idle");
	EXPECT_DBL(c->shutdown_lifetime, 1, "shutdown_lifetime");
	EXPECT_INT(c->request_header_max_size, 1048576, "request hdr");
	EXPECT_INT(c->reply_header_max_size, 2048, "reply hdr");
	EXPECT_STR(c->cache_effective_user, "squid", "user");
	EXPECT_INT(c->spoof_client_ip.n, 1, "spoof rules");
	EXPECT_INT(c->spoof_client_ip.rule[0].allow, 0, "spoof deny");
	EXPECT_STR(c->spoof_client_ip.rule[0].ref[0].acl->name, "lan",
		   "spoof acl");
	EXPECT_INT(c->spoof_client_ip.rule[0].line, 22, "spoof line");
	EXPECT_INT(c->spoof_client_port, 1, "spoof_client_port");
	EXPECT_INT(c->host_verify_strict, 1, "host_verify_strict");
	EXPECT_INT(c->noutgoing, 1, "noutgoing");
	EXPECT_INT(c->outgoing[0].addr.ss_family, AF_INET, "outgoing family");
	EXPECT_INT(c->outgoing[0].nref, 2, "outgoing nref");
	EXPECT_INT(c->outgoing[0].ref[0].negate, 1, "outgoing !lan");
	EXPECT_STR(c->outgoing[0].ref[1].acl->name, "all", "outgoing all");
	EXPECT_INT(c->npeer, 2, "npeer");
	EXPECT_STR(c->peer[0].host, "parent.example", "peer0 host");
	EXPECT_STR(c->peer[0].name, "parent.example", "peer0 name");
	EXPECT_INT(c->peer[0].port, 8080, "peer0 port");
	EXPECT_INT(c->peer[0].no_tproxy, 1, "peer0 no-tproxy");
	EXPECT_INT(c->peer[0].line, 26, "peer0 line");
	EXPECT_STR(c->peer[1].name, "second", "peer1 name");
	EXPECT_INT(c->peer[1].no_tproxy, 0, "peer1 no-tproxy");
	EXPECT_INT(c->peer[1].access.n, 1, "peer1 access");
	EXPECT_INT(c->peer[0].access.n, 0, "peer0 access");
	EXPECT_INT(c->never_direct.n, 1, "never_direct");
	EXPECT_INT(c->always_direct.n, 1, "always_direct");
	EXPECT_INT(c->always_direct.rule[0].allow, 0, "always_direct deny");
	cfg_unref(c);

	c = load_ok("http_port 3128\naccess_log none\n");
	EXPECT_INT(c->nalog, 1, "access_log none");
	EXPECT_INT(c->alog[0].module, ALOG_NONE, "access_log none");
	cfg_unref(c);
}

/* The address a sockaddr holds, as text, and its port. */
static const char *
sa_str(const struct sockaddr_storage *ss, char *buf, size_t size,
       unsigned *port)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		*port = ntohs(s4->sin_port);
		return inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)size);
	}
	*port = ntohs(s6->sin6_port);
	return inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)size);
}

/* Whether acl name holds the single address a (lo == hi == a). */
static int
acl_has(const struct cfg *c, const char *name, const char *a)
{
	const struct acl *acl = cfg_acl_find(c, name);
	struct in6_addr x;
	int fam = strchr(a, ':') ? AF_INET6 : AF_INET;
	size_t i;

	memset(&x, 0, sizeof(x));
	inet_pton(fam, a, &x);
	for (i = 0; acl != NULL && i < acl->n; i++)
		if (acl->v.ip[i].family == fam &&
		    memcmp(&acl->v.ip[i].lo, &x, sizeof(x)) == 0 &&
		    memcmp(&acl->v.ip[i].hi, &x, sizeof(x)) == 0)
			return 1;
	return 0;
}

/*
 * Host names land in the cfg as the addresses the (fake) resolver gave:
 * a port on the first address with the line's text as its name, an acl
 * with every address once, a WCCPv2 router on port 2048 whatever port
 * the line wrote, the first IPv4 address for WCCPv2.
 */
static void
test_host_values(void **state)
{
	static const struct {
		const char *acl;
		const char *addr;
		int         has;
	} want[] = {
		{ "a", "192.0.2.10", 1 },
		{ "b", "2001:db8::1", 1 }, { "b", "192.0.2.1", 1 },
		{ "b", "192.0.2.7", 1 }, { "b", "2001:db8::7", 1 },
		{ "b", "192.0.2.10", 0 },
		{ "c", "192.0.2.10", 1 }, { "c", "192.0.2.99", 1 },
	};
	struct cfg_msgs m;
	struct cfg *c;
	char buf[64];
	unsigned port;
	size_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem("http_port proxy.test:3128\n"
			 "http_port dual.test:3129 name=d\n"
			 "acl a src proxy.test\n"
			 "acl b dst dual.test dup.test\n"
			 "acl c dst proxy.test 192.0.2.99\n"
			 "acl v4 src ipv4\n"
			 "acl v6 src ipv6\n"
			 "wccp2_router proxy.test:3000 dual.test\n"
			 "wccp2_address dual.test\n"
			 "tcp_outgoing_address dual.test\n", "h.conf", &m);
	if (c == NULL) {
		dump_msgs(&m);
		fail();
	}
	EXPECT_INT(m.nerr, 0, "errors");
	EXPECT_INT(c->nport, 2, "nport");
	EXPECT_STR(sa_str(&c->port[0].addr, buf, sizeof(buf), &port),
		   "192.0.2.10", "port0 addr");
	EXPECT_INT(port, 3128, "port0 port");
	EXPECT_INT(c->port[0].addrlen, sizeof(struct sockaddr_in),
		   "port0 addrlen");
	EXPECT_INT(c->port[0].wildcard, 0, "port0 wildcard");
	EXPECT_STR(c->port[0].name, "proxy.test:3128", "port0 name");
	EXPECT_STR(sa_str(&c->port[1].addr, buf, sizeof(buf), &port),
		   "2001:db8::1", "port1 addr (the first)");
	EXPECT_INT(port, 3129, "port1 port");
	EXPECT_INT(c->port[1].addrlen, sizeof(struct sockaddr_in6),
		   "port1 addrlen");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (acl_has(c, want[i].acl, want[i].addr) != want[i].has) {
			print_error("acl %s %s %s\n", want[i].acl,
				    want[i].has ? "lacks" : "has",
				    want[i].addr);
			fail();
		}
	}
	EXPECT_INT(cfg_acl_find(c, "a")->n, 1, "acl a n");
	EXPECT_INT(cfg_acl_find(c, "b")->n, 4, "acl b n (dup.test once)");
	EXPECT_INT(cfg_acl_find(c, "v4")->n, 1, "acl v4 n");
	EXPECT_INT(cfg_acl_find(c, "v4")->v.ip[0].family, AF_INET, "v4 fam");
	EXPECT_INT(cfg_acl_find(c, "v4")->v.ip[0].hi.s6_addr[3], 0xff,
		   "v4 hi");
	EXPECT_INT(cfg_acl_find(c, "v6")->v.ip[0].family, AF_INET6, "v6 fam");
	EXPECT_INT(cfg_acl_find(c, "v6")->v.ip[0].hi.s6_addr[15], 0xff,
		   "v6 hi");
	EXPECT_INT(c->wccp2.nrouter, 2, "nrouter");
	EXPECT_STR(sa_str(&c->wccp2.router[0], buf, sizeof(buf), &port),
		   "192.0.2.10", "router0");
	EXPECT_INT(port, 2048, "router0 port (3000 ignored, as Squid)");
	EXPECT_STR(sa_str(&c->wccp2.router[1], buf, sizeof(buf), &port),
		   "192.0.2.1", "router1: dual.test's IPv4 address");
	EXPECT_STR(sa_str(&c->wccp2.address, buf, sizeof(buf), &port),
		   "192.0.2.1", "wccp2_address");
	EXPECT_INT(c->noutgoing, 1, "noutgoing");
	EXPECT_STR(sa_str(&c->outgoing[0].addr, buf, sizeof(buf), &port),
		   "2001:db8::1", "outgoing: the first address");
	EXPECT_INT(c->outgoing[0].addrlen, sizeof(struct sockaddr_in6),
		   "outgoing addrlen");
	cfg_unref(c);
	cfg_msgs_free(&m);
}

/*
 * The real resolver on "localhost" (from /etc/hosts; no DNS): the port
 * listens on the first address getaddrinfo() gives, as Squid's would, and
 * an acl holds every address.
 */
static void
test_resolver_real(void **state)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct cfg_msgs m;
	struct cfg *c;
	char buf[64], first[64];
	unsigned port;
	size_t naddr = 0;

	(void)state;
	cfg_getaddrinfo = getaddrinfo;
	cfg_freeaddrinfo = freeaddrinfo;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	assert_int_equal(getaddrinfo("localhost", NULL, &hints, &res), 0);
	sa_str((struct sockaddr_storage *)(void *)res->ai_addr, first,
	       sizeof(first), &port);
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem("http_port localhost:3128\n"
			 "acl lo src localhost\n", "r.conf", &m);
	cfg_getaddrinfo = fake_gai;
	cfg_freeaddrinfo = fake_freeai;
	if (c == NULL) {
		dump_msgs(&m);
		freeaddrinfo(res);
		fail();
	}
	EXPECT_STR(sa_str(&c->port[0].addr, buf, sizeof(buf), &port), first,
		   "port on the first address of localhost");
	EXPECT_INT(port, 3128, "port");
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		sa_str((struct sockaddr_storage *)(void *)ai->ai_addr, buf,
		       sizeof(buf), &port);
		if (!acl_has(c, "lo", buf)) {
			print_error("acl lo lacks %s\n", buf);
			fail();
		}
		naddr++;
	}
	EXPECT_INT(acl_has(c, "lo", "127.0.0.1"), 1, "acl lo 127.0.0.1");
	/* A warning names the other addresses when there are some. */
	EXPECT_INT(m.n - m.nerr, naddr > 1 ? 1 : 0, "warnings");
	freeaddrinfo(res);
	cfg_unref(c);
	cfg_msgs_free(&m);
}

/* Several acl lines with one name add up; values keep file order except
 * dstdomain (sorted, unique). */
static void
test_acl_values(void **state)
{
	struct cfg *c;
	const struct acl *a;
	char lo[64], hi[64];

	(void)state;
	c = load_ok("http_port 3128\n"
		    "acl a src 10.0.0.0/8\n"
		    "acl a src 192.168.1.0/255.255.255.0 fe80::/10\n"
		    "acl d dstdomain .b.example a.example .B.EXAMPLE. "
		    "c.example\n"
		    "acl p port 80 1025-65535\n"
		    "acl n src all\n");
	a = cfg_acl_find(c, "a");
	EXPECT_INT(a->n, 3, "a values");
	EXPECT_INT(a->line, 2, "a line (first definition)");
	EXPECT_INT(a->v.ip[1].family, AF_INET, "netmask family");
	EXPECT_STR(inet_ntop(AF_INET, &a->v.ip[1].lo, lo, sizeof(lo)),
		   "192.168.1.0", "netmask lo");
	EXPECT_STR(inet_ntop(AF_INET, &a->v.ip[1].hi, hi, sizeof(hi)),
		   "192.168.1.255", "netmask hi");
	EXPECT_STR(inet_ntop(AF_INET6, &a->v.ip[2].hi, hi, sizeof(hi)),
		   "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "v6 hi");
	a = cfg_acl_find(c, "d");
	EXPECT_INT(a->n, 3, "dstdomain unique");
	EXPECT_STR(a->v.word[0], ".b.example", "d[0]");
	EXPECT_STR(a->v.word[1], "a.example", "d[1]");
	EXPECT_STR(a->v.word[2], "c.example", "d[2]");
	a = cfg_acl_find(c, "p");
	EXPECT_INT(a->n, 2, "port values");
	EXPECT_INT(a->v.range[1].lo, 1025, "port lo");
	EXPECT_INT(a->v.range[1].hi, 65535, "port hi");
	EXPECT_INT(cfg_acl_find(c, "n")->n, 2, "src all: v4 and v6");
	cfg_unref(c);
}

/* ------------------------------------------------------------ units */

struct unit_case {
	const char *num, *unit;
	int         rc;
	double      want;
};

static const struct unit_case time_cases[] = {
	{ "30", NULL, 0, 30 },
	{ "30", "seconds", 0, 30 },
	{ "1", "second", 0, 1 },
	{ "2", "minutes", 0, 120 },
	{ "1.5", "hours", 0, 5400 },
	{ "1", "day", 0, 86400 },
	{ "2", "weeks", 0, 1209600 },
	{ "1", "fortnight", 0, 1209600 },
	{ "250", "msec", 0, 0.25 },
	{ "500", "milliseconds", 0, 0.5 },
	{ "0", "seconds", 0, 0 },
	{ "1", "secondss", -1, 0 },
	{ "1", "sec", -1, 0 },
	{ "1", "Seconds", -1, 0 },
	{ "-1", "seconds", -1, 0 },
	{ "1e3", NULL, -1, 0 },
	{ "inf", NULL, -1, 0 },
	{ "0x10", NULL, -1, 0 },
	{ "1.2.3", NULL, -1, 0 },
	{ ".", NULL, -1, 0 },
	{ "", NULL, -1, 0 },
};

static const struct unit_case size_cases[] = {
	{ "100", NULL, 0, 100 },
	{ "100", "bytes", 0, 100 },
	{ "64", "KB", 0, 65536 },
	{ "64", "kb", 0, 65536 },
	{ "1", "MB", 0, 1048576 },
	{ "2", "GB", 0, 2147483648.0 },
	{ "1.5", "KB", 0, 1536 },
	{ "1", "TB", -1, 0 },
	{ "x", "KB", -1, 0 },
	{ "-1", "KB", -1, 0 },
	{ "99999999999", "GB", -1, 0 },
};

static void
test_units(void **state)
{
	const struct unit_case *u;
	double d;
	size_t i, sz;
	int rc, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		u = &time_cases[i];
		d = -1;
		rc = cfg_parse_time(u->num, u->unit, &d);
		if (rc != u->rc || (rc == 0 && (d < u->want - 1e-9 ||
						d > u->want + 1e-9))) {
			print_error("time '%s' '%s': got rc %d value %g, want "
				    "rc %d value %g\n", u->num,
				    u->unit ? u->unit : "(none)", rc, d, u->rc,
				    u->want);
			failed = 1;
		}
	}
	for (i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		u = &size_cases[i];
		sz = 0;
		rc = cfg_parse_size(u->num, u->unit, &sz);
		if (rc != u->rc || (rc == 0 && (double)sz != u->want)) {
			print_error("size '%s' '%s': got rc %d value %zu, want "
				    "rc %d value %.0f\n", u->num,
				    u->unit ? u->unit : "(none)", rc, sz, u->rc,
				    u->want);
			failed = 1;
		}
	}
	if (failed)
		fail();
}

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
	struct cfg *c = load_ok("http_port 3128\n");

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
		cmocka_unit_test(test_load_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_host_values),
		cmocka_unit_test(test_resolver_real),
		cmocka_unit_test(test_qos),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_acl_values),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_quoted_acl_file),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_shipped_config),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_msgs_accumulate),
	};

	cfg_getaddrinfo = fake_gai;
	cfg_freeaddrinfo = fake_freeai;
	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
