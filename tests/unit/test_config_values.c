/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config_values.c - squid.conf parsing, what lands in the cfg:
 * defaults, values, host names, marking, macros, acl values, units.
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

static void
test_defaults(void **state)
{
	struct cfg *c = load_clean("http_port 3128\n");

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
	c = load_clean("access_log /tmp/${process_name}-${service_name}-"
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
	c = load_clean(
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

	c = load_clean("http_port 3128\naccess_log none\n");
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
	c = load_clean("http_port 3128\n"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_host_values),
		cmocka_unit_test(test_resolver_real),
		cmocka_unit_test(test_qos),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_acl_values),
		cmocka_unit_test(test_units),
	};

	fake_resolver_use();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
