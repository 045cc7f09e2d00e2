/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_udp.c - the UDP relay's pure parts: the flow table of
 * src/udp/udp_flow.c (keys, adding, finding, removing, per-client
 * counts, growth, colliding keys), the protocol guess and the timeouts;
 * and the directives of src/config/cfg_udp.c (a table of configurations
 * with the errors they give, FILE:LINE, and the values a good one loads;
 * udp_port without tproxy stays Squid's icp_port); the GRO segment size
 * read from the control messages and the datagrams it makes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/sa.h"
#include "udp/udp-int.h"
#include "udp/udp.h"

#include "cfg_cases.h"

/* "a.b.c.d:port" or "[v6]:port" into ss. */
static void
addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		colon = strstr(s, "]:");
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s - 1),
			 s + 1);
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, host, &s6->sin6_addr), 1);
		s6->sin6_port = htons((uint16_t)atoi(colon + 2));
		return;
	}
	colon = strrchr(s, ':');
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	s4->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, host, &s4->sin_addr), 1);
	s4->sin_port = htons((uint16_t)atoi(colon + 1));
}

static struct udp_flow *
flow(const char *cli, const char *dst)
{
	struct sockaddr_storage c, d;
	struct udp_flow *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	addr(cli, &c);
	addr(dst, &d);
	assert_int_equal(udp_key_make(&f->key, (struct sockaddr *)&c,
				      (struct sockaddr *)&d), 0);
	return f;
}

/* Table-driven: each step adds (+), removes (-) or looks up (?) the flow
 * from cli to dst, with what it must give: for '+' the return code, for
 * '?' whether it is found, and the client's flow count afterwards. */
struct step {
	char        op;
	const char *cli;
	const char *dst;
	int         want;
	size_t      cli_flows;
};

static const struct step steps[] = {
	{ '+', "198.18.1.2:4000", "198.18.2.2:53", 0, 1 },
	{ '+', "198.18.1.2:4000", "198.18.2.2:53", -EEXIST, 1 },
	{ '?', "198.18.1.2:4000", "198.18.2.2:53", 1, 1 },
	/* same client port, another destination: another flow */
	{ '+', "198.18.1.2:4000", "198.18.2.3:53", 0, 2 },
	/* another port of the same client: counted together */
	{ '+', "198.18.1.2:4001", "198.18.2.2:53", 0, 3 },
	{ '?', "198.18.1.2:4001", "198.18.2.2:54", 0, 3 },
	{ '?', "198.18.1.3:4000", "198.18.2.2:53", 0, 0 },
	/* IPv6 and an IPv4 address in the same bytes are not the same */
	{ '+', "[::c612:102]:4000", "[::c612:202]:53", 0, 1 },
	{ '?', "[2001:db8:1::2]:4000", "[2001:db8:2::2]:443", 0, 0 },
	{ '+', "[2001:db8:1::2]:4000", "[2001:db8:2::2]:443", 0, 1 },
	{ '?', "[2001:db8:1::2]:4000", "[2001:db8:2::2]:443", 1, 1 },
	{ '-', "198.18.1.2:4000", "198.18.2.2:53", 0, 2 },
	{ '?', "198.18.1.2:4000", "198.18.2.2:53", 0, 2 },
	{ '?', "198.18.1.2:4000", "198.18.2.3:53", 1, 2 },
	{ '-', "198.18.1.2:4000", "198.18.2.3:53", 0, 1 },
	{ '-', "198.18.1.2:4001", "198.18.2.2:53", 0, 0 },
	{ '+', "198.18.1.2:4000", "198.18.2.2:53", 0, 1 },
};

static void
test_tab_steps(void **state)
{
	struct udp_flow *made[32] = { 0 }, *f, *g;
	struct udp_tab t;
	size_t i, k, nmade = 0;
	int rc;

	(void)state;
	assert_int_equal(udp_tab_init(&t, 12345), 0);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *s = &steps[i];

		f = flow(s->cli, s->dst);
		switch (s->op) {
		case '+':
			rc = udp_tab_add(&t, f);
			if (rc != s->want)
				fail_msg("step %zu: add gave %d", i, rc);
			if (rc == 0)
				made[nmade++] = f;
			else
				free(f);
			break;
		case '?':
			g = udp_tab_find(&t, &f->key);
			if ((g != NULL) != s->want)
				fail_msg("step %zu: found %d", i, g != NULL);
			if (g != NULL)
				assert_memory_equal(&g->key, &f->key,
						    sizeof(f->key));
			free(f);
			break;
		case '-':
			g = udp_tab_find(&t, &f->key);
			assert_non_null(g);
			udp_tab_del(&t, g);
			for (k = 0; k < nmade; k++)
				if (made[k] == g)
					made[k] = NULL;
			free(g);
			free(f);
			break;
		}
		f = flow(s->cli, s->dst);
		if (udp_tab_client_flows(&t, &f->key) != s->cli_flows)
			fail_msg("step %zu: %zu client flows, want %zu", i,
				 udp_tab_client_flows(&t, &f->key),
				 s->cli_flows);
		free(f);
	}
	assert_int_equal(t.n, 3);
	for (k = 0; k < nmade; k++)
		if (made[k] != NULL) {
			udp_tab_del(&t, made[k]);
			free(made[k]);
		}
	assert_int_equal(t.n, 0);
	assert_int_equal(t.nc, 0);
	udp_tab_free(&t);
}

/* Many flows: the buckets grow, every flow is still found, each client
 * counted; removing them all leaves an empty table. */
static void
test_tab_grow(void **state)
{
	enum { N = 5000 };
	static struct udp_flow *fl[N];
	struct udp_tab t;
	char c[64], d[64];
	size_t i;

	(void)state;
	assert_int_equal(udp_tab_init(&t, 0), 0);
	for (i = 0; i < N; i++) {
		snprintf(c, sizeof(c), "198.18.%zu.%zu:%zu", i % 7, i % 250,
			 1024 + i);
		snprintf(d, sizeof(d), "198.19.0.1:%zu", 1 + i % 3);
		fl[i] = flow(c, d);
		assert_int_equal(udp_tab_add(&t, fl[i]), 0);
	}
	assert_true(t.nb >= N);
	for (i = 0; i < N; i++)
		assert_ptr_equal(udp_tab_find(&t, &fl[i]->key), fl[i]);
	/* 7 x 250 addresses, at most, each with its flows */
	assert_true(t.nc <= 7 * 250);
	for (i = 0; i < N; i++) {
		udp_tab_del(&t, fl[i]);
		assert_null(udp_tab_find(&t, &fl[i]->key));
		free(fl[i]);
	}
	assert_int_equal(t.n, 0);
	assert_int_equal(t.nc, 0);
	udp_tab_free(&t);
}

static void
test_key_families(void **state)
{
	struct sockaddr_storage a, b;
	struct udp_key k;

	(void)state;
	addr("198.18.1.2:1", &a);
	addr("[2001:db8::1]:2", &b);
	assert_int_equal(udp_key_make(&k, (struct sockaddr *)&a,
				      (struct sockaddr *)&b), -1);
	a.ss_family = AF_UNIX;
	assert_int_equal(udp_key_make(&k, (struct sockaddr *)&a,
				      (struct sockaddr *)&a), -1);
}

struct guess_case {
	unsigned       port;
	const uint8_t *d;
	size_t         n;
	enum udp_proto want;
};

static void
test_proto_guess(void **state)
{
	static const uint8_t lh[] = { 0xc3, 0, 0, 0, 1, 8, 1, 2 };
	static const uint8_t sh[] = { 0x43, 0, 0, 0, 1, 8, 1, 2 };
	static const struct guess_case cases[] = {
		{ 53, NULL, 0, UDP_P_DNS },
		{ 53, lh, sizeof(lh), UDP_P_DNS },
		{ 443, lh, sizeof(lh), UDP_P_QUIC },
		{ 443, sh, sizeof(sh), UDP_P_OTHER },	/* short header */
		{ 443, lh, 6, UDP_P_OTHER },		/* too short */
		{ 443, NULL, 0, UDP_P_OTHER },
		{ 444, lh, sizeof(lh), UDP_P_OTHER },
		{ 5000, NULL, 0, UDP_P_OTHER },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (udp_proto_guess(cases[i].port, cases[i].d, cases[i].n) !=
		    cases[i].want)
			fail_msg("case %zu", i);
	assert_string_equal(udp_proto_str(UDP_P_DNS), "dns");
	assert_string_equal(udp_proto_str(UDP_P_QUIC), "quic");
	assert_string_equal(udp_proto_str(UDP_P_OTHER), "udp");
	assert_string_equal(udp_flow_state_str(UF_SNIFF), "sniff");
	assert_string_equal(udp_flow_state_str(UF_RELAY), "relay");
	assert_string_equal(udp_flow_state_str(UF_DENIED), "denied");
	assert_string_equal(udp_flow_state_str(UF_CLOSED), "closed");
}

/* ---- configuration */

/* A configuration (with "http_port 65001" appended), its number of
 * errors, and a substring of its first message (NULL: no message at all;
 * warnings are not counted). */
struct udp_case {
	const char *text;
	int         nerr;
	const char *msg;
};

static const struct udp_case cases[] = {
	{ "udp_port 3131 tproxy\n", 0, NULL },
	{ "udp_port 127.0.0.1:3131 tproxy name=dns\n", 0, NULL },
	{ "udp_port [::1]:3131 tproxy\n", 0, NULL },
	{ "udp_port 3131 tproxy\nudp_port 3131 tproxy\n", 1,
	  "t.conf:2: udp_port: '3131' is already used by the udp_port at "
	  "t.conf:1" },
	{ "udp_port 99999 tproxy\n", 1, "t.conf:1: udp_port: invalid port "
	  "'99999'" },
	{ "udp_port 3131 tproxy bogus\n", 1, "t.conf:1: udp_port: unknown "
	  "option 'bogus' (expected tproxy or name=NAME)" },
	{ "udp_port ::1:3131 tproxy\n", 1, "IPv6 addresses need brackets" },
	/* Squid's udp_port: icp_port */
	{ "udp_port 3130\n", 0, NULL },
	{ "udp_idle_timeout 30 seconds\n", 0, NULL },
	{ "udp_dns_idle_timeout 500 milliseconds\n", 0, NULL },
	{ "udp_quic_idle_timeout 5 minutes\n", 0, NULL },
	{ "udp_idle_timeout 0 seconds\n", 1, "t.conf:1: udp_idle_timeout: "
	  "'0' is out of range" },
	{ "udp_idle_timeout 2 days\n", 1, "udp_idle_timeout: '2' is out of "
	  "range" },
	{ "udp_quic_idle_timeout x seconds\n", 1, "t.conf:1: "
	  "udp_quic_idle_timeout: invalid time value 'x'" },
	{ "udp_dns_idle_timeout 1 eon\n", 1, "unknown time unit" },
	{ "udp_flows_per_client 10\n", 0, NULL },
	{ "udp_flows_per_client -1\n", 1, "t.conf:1: udp_flows_per_client: "
	  "invalid value '-1'" },
	{ "udp_flows_max 20000000\n", 1, "udp_flows_max: invalid value" },
	{ "udp_flows_max\n", 1, "udp_flows_max: missing argument" },
	{ "udp_access deny all\n", 0, NULL },
	{ "udp_access deny nosuch\n", 1, "nosuch" },
	{ "udp_access maybe all\n", 1, "t.conf:1: udp_access" },
	{ "acl b ssl::server_name .example.com\n"
	  "udp_quic_access deny b\n", 0, NULL },
	{ "udp_quic_access deny nosuch\n", 1, "nosuch" },
};

static void
test_cfg_table(void **state)
{
	char text[1024];
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%shttp_port 65001\n",
			 cases[i].text);
		failed |= load_differs(i, cases[i].text, text, cases[i].nerr,
				       -1, cases[i].msg);
	}
	if (failed)
		fail();
}

static void
test_cfg_values(void **state)
{
	struct cfg *c;

	(void)state;
	c = load_ok("http_port 65001\n");
	assert_int_equal(c->udp.nport, 0);
	assert_true(c->udp.idle == 60 && c->udp.dns_idle == 10 &&
		    c->udp.quic_idle == 120);
	assert_int_equal(c->udp.per_client, 0);
	assert_int_equal(c->udp.max, 0);
	assert_true(udp_idle_timeout(c, UDP_P_DNS) == 10);
	assert_true(udp_idle_timeout(c, UDP_P_QUIC) == 120);
	assert_true(udp_idle_timeout(c, UDP_P_OTHER) == 60);
	cfg_unref(c);

	c = load_ok("http_port 65001\nudp_port 127.0.0.1:3131 tproxy "
		    "name=u1\nudp_port 3132 tproxy\n"
		    "udp_idle_timeout 30 seconds\n"
		    "udp_dns_idle_timeout 500 milliseconds\n"
		    "udp_quic_idle_timeout 5 minutes\n"
		    "udp_flows_per_client 7\nudp_flows_max 900\n"
		    "udp_access deny all\n");
	assert_int_equal(c->udp.nport, 2);
	assert_string_equal(c->udp.port[0].name, "u1");
	assert_int_equal(c->udp.port[0].wildcard, 0);
	assert_int_equal(sa_port((struct sockaddr *)&c->udp.port[0].addr),
			 3131);
	assert_string_equal(c->udp.port[1].name, "3132");
	assert_int_equal(c->udp.port[1].wildcard, 1);
	assert_int_equal(c->udp.port[1].line, 3);
	assert_true(c->udp.idle == 30 && c->udp.dns_idle == 0.5 &&
		    c->udp.quic_idle == 300);
	assert_int_equal(c->udp.per_client, 7);
	assert_int_equal(c->udp.max, 900);
	assert_int_equal(c->udp.access.n, 1);
	assert_int_equal(c->tproxy, 1);	/* the capability is kept */
	assert_int_equal(c->cache.icp_port, 0);
	cfg_unref(c);

	/* Squid's udp_port is icp_port */
	c = load_ok("http_port 65001\nudp_port 3130\n");
	assert_int_equal(c->udp.nport, 0);
	assert_int_equal(c->cache.icp_port, 3130);
	cfg_unref(c);
}

/* udp_seg_count(): n bytes cut every seg bytes. */
static void
test_seg_count(void **state)
{
	static const struct {
		size_t n, seg, want;
	} t[] = {
		{ 1200, 0, 1 },		/* no GRO: one datagram */
		{ 0, 0, 1 },		/* an empty datagram */
		{ 0, 1200, 1 },
		{ 1200, 1200, 1 },	/* one segment */
		{ 800, 1200, 1 },	/* shorter than a segment */
		{ 2400, 1200, 2 },
		{ 2401, 1200, 3 },	/* a short last one */
		{ 38400, 1200, 32 },
		{ 64000, 1000, 64 },
		{ 65507, 1, 65507 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(udp_seg_count(t[i].n, t[i].seg), t[i].want);
}

/* Control messages as recvmsg() fills them: msg with the given ones. */
struct cmsgs {
	union {
		char           buf[256];
		struct cmsghdr align;
	} u;
	struct msghdr m;
	struct cmsghdr *last;
};

static void
cm_init(struct cmsgs *c)
{
	memset(c, 0, sizeof(*c));
	c->m.msg_control = c->u.buf;
	c->m.msg_controllen = 0;
}

static void
cm_add(struct cmsgs *c, int level, int type, const void *v, size_t len)
{
	struct cmsghdr *h;

	c->m.msg_controllen += CMSG_SPACE(len);
	assert_true(c->m.msg_controllen <= sizeof(c->u.buf));
	h = c->last == NULL ? CMSG_FIRSTHDR(&c->m) :
	    CMSG_NXTHDR(&c->m, c->last);
	assert_non_null(h);
	h->cmsg_level = level;
	h->cmsg_type = type;
	h->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(h), v, len);
	c->last = h;
}

/* udp_gro_size(): the UDP_GRO message among others, or 0. */
static void
test_gro_size(void **state)
{
	struct sockaddr_in dst;
	struct cmsgs c;
	int v;
	uint16_t v16 = 1350;

	(void)state;
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;

	cm_init(&c);				/* no control message */
	assert_int_equal(udp_gro_size(&c.m), 0);

	cm_init(&c);				/* only the destination */
	cm_add(&c, SOL_IP, IP_ORIGDSTADDR, &dst, sizeof(dst));
	assert_int_equal(udp_gro_size(&c.m), 0);

	cm_init(&c);				/* after the destination */
	cm_add(&c, SOL_IP, IP_ORIGDSTADDR, &dst, sizeof(dst));
	v = 1200;
	cm_add(&c, SOL_UDP, UDP_GRO, &v, sizeof(v));
	assert_int_equal(udp_gro_size(&c.m), 1200);

	cm_init(&c);				/* before it */
	v = 1472;
	cm_add(&c, SOL_UDP, UDP_GRO, &v, sizeof(v));
	cm_add(&c, SOL_IP, IP_ORIGDSTADDR, &dst, sizeof(dst));
	assert_int_equal(udp_gro_size(&c.m), 1472);

	cm_init(&c);				/* a u16 */
	cm_add(&c, SOL_UDP, UDP_GRO, &v16, sizeof(v16));
	assert_int_equal(udp_gro_size(&c.m), 1350);

	cm_init(&c);				/* nonsense: none */
	v = -5;
	cm_add(&c, SOL_UDP, UDP_GRO, &v, sizeof(v));
	assert_int_equal(udp_gro_size(&c.m), 0);

	cm_init(&c);				/* same type, other level */
	v = 1200;
	cm_add(&c, SOL_IP, UDP_GRO, &v, sizeof(v));
	assert_int_equal(udp_gro_size(&c.m), 0);
}

/* udp_gso_join(): which datagram may join a GSO group. */
static void
test_gso_join(void **state)
{
	static const struct {
		size_t seg, count, total;
		int    closed;
		size_t n;
		int    want;
	} t[] = {
		{ 1200, 1, 1200, 0, 1200, 1 },	/* the same size */
		{ 1200, 1, 1200, 0, 700, 1 },	/* a shorter last one */
		{ 1200, 2, 1900, 1, 1200, 0 },	/* ... ends the group */
		{ 1200, 2, 1900, 1, 100, 0 },
		{ 1200, 1, 1200, 0, 1201, 0 },	/* longer: a new group */
		{ 1200, 1, 1200, 0, 0, 0 },	/* empty: never a segment */
		{ 0, 1, 0, 0, 0, 0 },		/* after an empty one */
		{ 0, 1, 0, 0, 10, 0 },
		{ 1200, 0, 0, 0, 1200, 0 },	/* no group */
		{ 1400, 46, 64400, 0, 1400, 0 },	/* 65,000 bytes */
		{ 1400, 46, 64400, 0, 600, 1 },
		{ 1000, 63, 63000, 0, 1000, 1 },
		{ 1000, 64, 63001, 0, 1, 0 },	/* 64 segments */
		{ 100, 63, 6300, 0, 100, 1 },
		{ 100, 64, 6400, 0, 100, 0 },
		{ 60, 1, 60, 0, 60, 1 },	/* small ones too */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (udp_gso_join(t[i].seg, t[i].count, t[i].total,
				 t[i].closed, t[i].n) != t[i].want)
			fail_msg("row %zu", i);
	}
}

/* ---- DNS flows: when every query has its answer (udp_dns.c) */

/*
 * A sequence of datagrams on one DNS flow: 'q' a query out, 'a' an answer
 * in (id: the DNS ID), 'x' something else out, 'g' answers read together
 * in; then whether the flow is answered, and whether it is followed.
 */
struct dns_step {
	char     kind;
	uint16_t id;
};

static const struct {
	const char     *what;
	struct dns_step s[6];
	int             answered, off;
} dns_cases[] = {
	{ "one query, its answer", { { 'q', 1 }, { 'a', 1 } }, 1, 0 },
	{ "A and AAAA, both answered", { { 'q', 1 }, { 'q', 2 }, { 'a', 2 },
	  { 'a', 1 } }, 1, 0 },
	{ "A and AAAA, one answered", { { 'q', 1 }, { 'q', 2 }, { 'a', 1 } },
	  0, 0 },
	{ "an answer to another ID", { { 'q', 1 }, { 'a', 9 } }, 0, 0 },
	{ "a query sent again", { { 'q', 1 }, { 'q', 1 }, { 'a', 1 } }, 1,
	  0 },
	{ "asked again after the answer", { { 'q', 1 }, { 'a', 1 },
	  { 'q', 2 } }, 0, 0 },
	{ "not a query first", { { 'x', 0 }, { 'q', 1 }, { 'a', 1 } }, 0, 1 },
	{ "answers read together", { { 'q', 1 }, { 'g', 1 } }, 0, 1 },
	{ "five at once", { { 'q', 1 }, { 'q', 2 }, { 'q', 3 }, { 'q', 4 },
	  { 'q', 5 } }, 0, 1 },
};

static size_t
dns_msg(uint8_t *b, uint16_t id, int answer)
{
	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = answer ? 0x81 : 0x01;	/* QR, RD */
	b[5] = 1;			/* one question */
	return 12;
}

static void
test_dns_answered(void **state)
{
	struct udp_flow f;
	uint8_t b[12];
	size_t i, k, n;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(dns_cases) / sizeof(dns_cases[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.proto = UDP_P_DNS;
		for (k = 0; k < 6 && dns_cases[i].s[k].kind; k++) {
			const struct dns_step *st = &dns_cases[i].s[k];

			switch (st->kind) {
			case 'q':
				n = dns_msg(b, st->id, 0);
				udp_dns_query_out(&f, b, n);
				break;
			case 'x':
				udp_dns_query_out(&f, (const uint8_t *)"first",
						  5);
				break;
			default:
				n = dns_msg(b, st->id, 1);
				udp_dns_answer_in(&f, b, n,
						  st->kind == 'g' ? n : 0);
				f.dgrams_out++;
				break;
			}
		}
		if (udp_dns_answered(&f) != dns_cases[i].answered ||
		    (int)f.dns_off != dns_cases[i].off) {
			print_error("%s: answered %d off %u, want %d %d\n",
				    dns_cases[i].what, udp_dns_answered(&f),
				    f.dns_off, dns_cases[i].answered,
				    dns_cases[i].off);
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
		cmocka_unit_test(test_tab_steps),
		cmocka_unit_test(test_tab_grow),
		cmocka_unit_test(test_key_families),
		cmocka_unit_test(test_proto_guess),
		cmocka_unit_test(test_cfg_table),
		cmocka_unit_test(test_cfg_values),
		cmocka_unit_test(test_seg_count),
		cmocka_unit_test(test_gro_size),
		cmocka_unit_test(test_gso_join),
		cmocka_unit_test(test_dns_answered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
