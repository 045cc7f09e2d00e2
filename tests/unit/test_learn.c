/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_learn.c - the DNS answer learner (src/learn/) and its directives
 * (src/config/cfg_learn.c):
 *  - the table: lookups by family and address, per-address expiry, the
 *    LRU bound on names, the bound on addresses per name, refreshes;
 *    SipHash-2-4 against the reference vectors;
 *  - learning a response: CNAME chains (the question gets the final
 *    addresses, for the shortest TTL on the way plus the grace), records
 *    about other names ignored, chain loops, the TTL cap;
 *  - IP and UDP headers (learn_pkt_udp), table driven;
 *  - host_verify_learn_dns and host_verify_trusted_resolvers: defaults
 *    from dns_nameservers or resolv.conf, lines that add up, errors and
 *    warnings;
 *  - the real packet socket on loopback (root only; skipped otherwise):
 *    an answer sent from a trusted address is learnt, one from another
 *    address is not, learning off forgets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg-int.h"	/* cfg_resolv_conf */
#include "config/config.h"
#include "event/loop.h"
#include "learn/dns_msg.h"
#include "learn/learn.h"

static const uint8_t key0[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
				  12, 13, 14, 15 };

static const uint8_t *
ip4(const char *s)
{
	static uint8_t b[4][16];
	static unsigned k;
	uint8_t *p = b[k++ % 4];

	assert_int_equal(inet_pton(AF_INET, s, p), 1);
	return p;
}

static const uint8_t *
ip6(const char *s)
{
	static uint8_t b[4][16];
	static unsigned k;
	uint8_t *p = b[k++ % 4];

	assert_int_equal(inet_pton(AF_INET6, s, p), 1);
	return p;
}

/* ---------------------------------------------------------------- table */

/* SipHash-2-4, key 00..0f, messages 00..(len-1): the reference vectors
 * of the SipHash paper (vectors.h). */
static void
test_siphash_vectors(void **state)
{
	static const struct {
		size_t   len;
		uint64_t want;
	} v[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },
		{ 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL },
	};
	struct learn_tab t;
	uint8_t msg[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(learn_tab_init(&t, 4, key0), 0);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (learn_tab_hash(&t, msg, v[i].len) != v[i].want)
			fail_msg("len %zu: got %016llx, want %016llx", v[i].len,
				 (unsigned long long)learn_tab_hash(&t, msg,
								    v[i].len),
				 (unsigned long long)v[i].want);
	learn_tab_free(&t);
}

static void
test_tab_basic(void **state)
{
	struct learn_tab t;

	(void)state;
	assert_int_equal(learn_tab_init(&t, 16, key0), 0);
	assert_int_equal(learn_tab_add(&t, "cdn.test", AF_INET,
				       ip4("198.18.2.3"), 200, 100), 0);
	assert_int_equal(learn_tab_add(&t, "cdn.test", AF_INET6,
				       ip6("2001:db8:2::3"), 200, 100), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET,
				       ip4("198.18.2.3"), 150), 1);
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET6,
				       ip6("2001:db8:2::3"), 150), 1);
	/* another address, another name, the IPv4 bytes as IPv6 */
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET,
				       ip4("198.18.2.4"), 150), 0);
	assert_int_equal(learn_tab_has(&t, "www.cdn.test", AF_INET,
				       ip4("198.18.2.3"), 150), 0);
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET6,
				       ip6("c612:203::"), 150), 0);
	/* until its expiry, included; then gone, and the name with it */
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET,
				       ip4("198.18.2.3"), 200), 1);
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET,
				       ip4("198.18.2.3"), 200.5), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(learn_tab_add(&t, "", AF_UNIX, ip4("1.2.3.4"), 1, 0),
			 -EINVAL);
	learn_tab_free(&t);
}

/* Each address has its own expiry; a refresh only extends it. */
static void
test_tab_expiry(void **state)
{
	struct learn_tab t;

	(void)state;
	assert_int_equal(learn_tab_init(&t, 16, key0), 0);
	learn_tab_add(&t, "cdn.test", AF_INET, ip4("198.18.2.2"), 110, 100);
	learn_tab_add(&t, "cdn.test", AF_INET, ip4("198.18.2.3"), 300, 100);
	learn_tab_add(&t, "cdn.test", AF_INET, ip4("198.18.2.3"), 200, 105);
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET,
				       ip4("198.18.2.2"), 120), 0);
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET,
				       ip4("198.18.2.3"), 250), 1);
	learn_tab_add(&t, "cdn.test", AF_INET, ip4("198.18.2.3"), 400, 250);
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET,
				       ip4("198.18.2.3"), 350), 1);
	learn_tab_free(&t);
}

/* At most max names: the least recently used (added or found) goes. */
static void
test_tab_lru(void **state)
{
	struct learn_tab t;

	(void)state;
	assert_int_equal(learn_tab_init(&t, 3, key0), 0);
	learn_tab_add(&t, "a.test", AF_INET, ip4("192.0.2.1"), 1e9, 0);
	learn_tab_add(&t, "b.test", AF_INET, ip4("192.0.2.2"), 1e9, 0);
	learn_tab_add(&t, "c.test", AF_INET, ip4("192.0.2.3"), 1e9, 0);
	assert_int_equal(learn_tab_has(&t, "a.test", AF_INET,
				       ip4("192.0.2.1"), 1), 1);
	learn_tab_add(&t, "d.test", AF_INET, ip4("192.0.2.4"), 1e9, 2);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.evicted, 1);
	assert_int_equal(learn_tab_has(&t, "b.test", AF_INET,
				       ip4("192.0.2.2"), 3), 0);
	assert_int_equal(learn_tab_has(&t, "a.test", AF_INET,
				       ip4("192.0.2.1"), 3), 1);
	assert_int_equal(learn_tab_has(&t, "c.test", AF_INET,
				       ip4("192.0.2.3"), 3), 1);
	assert_int_equal(learn_tab_has(&t, "d.test", AF_INET,
				       ip4("192.0.2.4"), 3), 1);
	learn_tab_clear(&t);
	assert_int_equal(t.n, 0);
	assert_null(t.head);
	learn_tab_free(&t);
}

/* At most LEARN_MAX_ADDRS addresses a name: a new one replaces the one
 * that expires first. */
static void
test_tab_addrs(void **state)
{
	struct learn_tab t;
	char a[32];
	unsigned i;

	(void)state;
	assert_int_equal(learn_tab_init(&t, 4, key0), 0);
	for (i = 0; i <= LEARN_MAX_ADDRS; i++) {
		snprintf(a, sizeof(a), "192.0.2.%u", i + 1);
		/* .1 expires first, though added first too */
		learn_tab_add(&t, "cdn.test", AF_INET, ip4(a), 1000 + i, 0);
	}
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET,
				       ip4("192.0.2.1"), 1), 0);
	for (i = 1; i <= LEARN_MAX_ADDRS; i++) {
		snprintf(a, sizeof(a), "192.0.2.%u", i + 1);
		if (!learn_tab_has(&t, "cdn.test", AF_INET, ip4(a), 1))
			fail_msg("%s lost", a);
	}
	learn_tab_free(&t);
}

/* --------------------------------------------------- learning answers */

#define RRA(n, ttl, ...)	{ n, DNSMSG_T_A, ttl, .d.addr = __VA_ARGS__ }
#define RRC(n, ttl, t)	{ n, DNSMSG_T_CNAME, ttl, .d.target = t }

static void
set_q(struct dnsmsg *m, const char *q)
{
	memset(m, 0, sizeof(*m));
	m->qdcount = 1;
	snprintf(m->qname, sizeof(m->qname), "%s", q);
}

/* www -> edge -> cdn -> 198.18.2.3 (and an A for an unrelated name):
 * www learns 198.18.2.3 for the shortest TTL (30) plus the grace; no
 * other name is learnt. */
static void
test_answer_chain(void **state)
{
	static const struct dnsmsg_rr rr[] = {
		RRC("www.example.test", 300, "edge.test"),
		RRC("edge.test", 30, "cdn.test"),
		RRA("cdn.test", 600, { 198, 18, 2, 3 }),
		RRA("other.test", 600, { 198, 18, 2, 4 }),
	};
	struct learn_tab t;
	struct dnsmsg m;
	double now = 1000;

	(void)state;
	assert_int_equal(learn_tab_init(&t, 16, key0), 0);
	set_q(&m, "www.example.test");
	assert_int_equal(learn_tab_answer(&t, &m, rr, 4, now), 1);
	assert_int_equal(t.n, 1);
	assert_int_equal(learn_tab_has(&t, "www.example.test", AF_INET,
				       ip4("198.18.2.3"), now + 30 +
				       LEARN_GRACE), 1);
	assert_int_equal(learn_tab_has(&t, "www.example.test", AF_INET,
				       ip4("198.18.2.3"), now + 31 +
				       LEARN_GRACE), 0);
	assert_int_equal(learn_tab_has(&t, "cdn.test", AF_INET,
				       ip4("198.18.2.3"), now), 0);
	assert_int_equal(learn_tab_has(&t, "other.test", AF_INET,
				       ip4("198.18.2.4"), now), 0);
	learn_tab_free(&t);
}

/* A chain that loops learns nothing (and ends); an A for the question
 * that also has a CNAME is not the chain's end; a TTL of days is capped
 * at LEARN_MAX_TTL; an odd question learns nothing. */
static void
test_answer_edges(void **state)
{
	static const struct dnsmsg_rr loop[] = {
		RRC("a.test", 60, "b.test"),
		RRC("b.test", 60, "a.test"),
		RRA("c.test", 60, { 198, 18, 2, 3 }),
	};
	static const struct dnsmsg_rr both[] = {
		RRA("a.test", 60, { 198, 18, 2, 9 }),
		RRC("a.test", 60, "b.test"),
		RRA("b.test", 60, { 198, 18, 2, 3 }),
	};
	static const struct dnsmsg_rr days[] = {
		RRA("a.test", 10 * 86400, { 198, 18, 2, 3 }),
	};
	struct learn_tab t;
	struct dnsmsg m;

	(void)state;
	assert_int_equal(learn_tab_init(&t, 16, key0), 0);
	set_q(&m, "a.test");
	assert_int_equal(learn_tab_answer(&t, &m, loop, 3, 0), 0);
	assert_int_equal(learn_tab_answer(&t, &m, both, 3, 0), 1);
	assert_int_equal(learn_tab_has(&t, "a.test", AF_INET,
				       ip4("198.18.2.3"), 1), 1);
	assert_int_equal(learn_tab_has(&t, "a.test", AF_INET,
				       ip4("198.18.2.9"), 1), 0);
	learn_tab_clear(&t);
	assert_int_equal(learn_tab_answer(&t, &m, days, 1, 0), 1);
	assert_int_equal(learn_tab_has(&t, "a.test", AF_INET,
				       ip4("198.18.2.3"), LEARN_MAX_TTL +
				       LEARN_GRACE), 1);
	assert_int_equal(learn_tab_has(&t, "a.test", AF_INET,
				       ip4("198.18.2.3"), LEARN_MAX_TTL +
				       LEARN_GRACE + 1), 0);
	m.qname_odd = 1;
	assert_int_equal(learn_tab_answer(&t, &m, days, 1, 0), 0);
	set_q(&m, "a.test");
	m.qdcount = 0;
	assert_int_equal(learn_tab_answer(&t, &m, days, 1, 0), 0);
	learn_tab_free(&t);
}

/* ------------------------------------------------------------- packets */

#define V4(tot, frag, proto) \
	0x45, 0, (uint8_t)((tot) >> 8), (uint8_t)(tot), 0, 1, \
	(uint8_t)((frag) >> 8), (uint8_t)(frag), 64, proto, 0, 0, \
	198, 18, 2, 53, 198, 18, 1, 2
#define UDP(sport, len) \
	(uint8_t)((sport) >> 8), (uint8_t)(sport), 0x9c, 0x40, \
	(uint8_t)((len) >> 8), (uint8_t)(len), 0, 0
#define V6(plen, nh) \
	0x60, 0, 0, 0, (uint8_t)((plen) >> 8), (uint8_t)(plen), nh, 64, \
	0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53, \
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2
#define DATA	'd', 'n', 's'

static const uint8_t p4[] = { V4(31, 0x4000, 17), UDP(53, 11), DATA };
static const uint8_t p4_opt[] = {
	0x46, 0, 0, 35, 0, 1, 0, 0, 64, 17, 0, 0,
	198, 18, 2, 53, 198, 18, 1, 2, 1, 1, 1, 0, UDP(53, 11), DATA,
};
static const uint8_t p4_pad[] = { V4(31, 0, 17), UDP(53, 11), DATA, 0, 0 };
static const uint8_t p4_port[] = { V4(31, 0, 17), UDP(5353, 11), DATA };
static const uint8_t p4_tcp[] = { V4(31, 0, 6), UDP(53, 11), DATA };
static const uint8_t p4_mf[] = { V4(31, 0x2000, 17), UDP(53, 11), DATA };
static const uint8_t p4_off[] = { V4(31, 0x0010, 17), UDP(53, 11), DATA };
static const uint8_t p4_tot[] = { V4(40, 0, 17), UDP(53, 11), DATA };
static const uint8_t p4_ulen[] = { V4(31, 0, 17), UDP(53, 12), DATA };
static const uint8_t p4_ushort[] = { V4(31, 0, 17), UDP(53, 7), DATA };
static const uint8_t p6[] = { V6(11, 17), UDP(53, 11), DATA };
static const uint8_t p6_ext[] = {
	V6(19, 0), 17, 0, 1, 4, 0, 0, 0, 0, UDP(53, 11), DATA,
};
static const uint8_t p6_plen[] = { V6(12, 17), UDP(53, 11), DATA };
static const uint8_t p6_jumbo[] = { V6(0, 17), UDP(53, 11), DATA };
static const uint8_t p5[] = { 0x55, 0, 0, 20 };

#define PKT(a)	a, sizeof(a)

static const struct {
	const char    *what;
	const uint8_t *p;
	size_t         len;
	const char    *src;	/* NULL: refused */
} pkts[] = {
	{ "IPv4 UDP from 53", PKT(p4), "198.18.2.53" },
	{ "IPv4 with options", PKT(p4_opt), "198.18.2.53" },
	{ "IPv4 with link padding", PKT(p4_pad), "198.18.2.53" },
	{ "IPv4 from 5353", PKT(p4_port), NULL },
	{ "IPv4 TCP", PKT(p4_tcp), NULL },
	{ "IPv4 first fragment", PKT(p4_mf), NULL },
	{ "IPv4 later fragment", PKT(p4_off), NULL },
	{ "IPv4 total length past the packet", PKT(p4_tot), NULL },
	{ "UDP length past the datagram", PKT(p4_ulen), NULL },
	{ "UDP length under 8", PKT(p4_ushort), NULL },
	{ "IPv6 UDP from 53", PKT(p6), "2001:db8:2::53" },
	{ "IPv6 hop-by-hop header", PKT(p6_ext), NULL },
	{ "IPv6 payload past the packet", PKT(p6_plen), NULL },
	{ "IPv6 jumbogram", PKT(p6_jumbo), NULL },
	{ "IP version 5", PKT(p5), NULL },
	{ "empty", p4, 0, NULL },
	{ "IPv4 cut in its header", p4, 19, NULL },
};

static void
test_packets(void **state)
{
	struct sockaddr_storage src;
	const uint8_t *payload;
	char a[INET6_ADDRSTRLEN];
	size_t i, plen, cut;
	int rc, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
		rc = learn_pkt_udp(pkts[i].p, pkts[i].len, &src, &payload,
				   &plen);
		if ((rc == 0) != (pkts[i].src != NULL)) {
			print_error("%s: rc %d\n", pkts[i].what, rc);
			failed = 1;
			continue;
		}
		if (rc < 0)
			continue;
		inet_ntop(src.ss_family, src.ss_family == AF_INET ?
			  (const void *)&((struct sockaddr_in *)&src)->sin_addr
			  : (const void *)&((struct sockaddr_in6 *)&src)->
			  sin6_addr, a, sizeof(a));
		if (strcmp(a, pkts[i].src) != 0 || plen != 3 ||
		    memcmp(payload, "dns", 3) != 0) {
			print_error("%s: src %s, %zu bytes\n", pkts[i].what, a,
				    plen);
			failed = 1;
		}
		/* every cut of an accepted packet that loses payload bytes
		 * is refused */
		for (cut = 0; cut < (size_t)(payload + plen - pkts[i].p);
		     cut++)
			if (learn_pkt_udp(pkts[i].p, cut, &src, &payload,
					  &plen) == 0) {
				print_error("%s cut to %zu: accepted\n",
					    pkts[i].what, cut);
				failed = 1;
				break;
			}
	}
	if (failed)
		fail();
}

/* --------------------------------------------------------- directives */

static char resolv_path[64];

static void
write_resolv(const char *text)
{
	FILE *f = fopen(resolv_path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The trusted set of c as "a b c". */
static void
trusted_str(const struct cfg *c, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	const void *p;
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < c->learn.ntrusted; i++) {
		p = c->learn.trusted[i].ss_family == AF_INET ?
		    (const void *)&((const struct sockaddr_in *)
				    &c->learn.trusted[i])->sin_addr :
		    (const void *)&((const struct sockaddr_in6 *)
				    &c->learn.trusted[i])->sin6_addr;
		inet_ntop(c->learn.trusted[i].ss_family, p, a, sizeof(a));
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
					i ? " " : "", a);
	}
}

static const struct {
	const char *what;
	const char *conf;
	const char *resolv;	/* resolv.conf text; NULL: no file */
	int         ok;		/* loads */
	int         on;
	const char *trusted;
	const char *msg;	/* the one message, NULL: none */
} dirs[] = {
	{ "default off: no trusted set (resolv.conf not read)",
	  "http_port 3128\n", "nameserver 192.0.2.7\n", 1, 0, "", NULL },
	{ "on, trusted from resolv.conf",
	  "http_port 3128\nhost_verify_learn_dns on\n",
	  "search example\nnameserver 192.0.2.7\n# nameserver 192.0.2.8\n"
	  "nameserver fe80::1%eth0\nnameserver\toops\n", 1, 1,
	  "192.0.2.7 fe80::1", NULL },
	{ "on, trusted from dns_nameservers (resolv.conf not read)",
	  "http_port 3128\nhost_verify_learn_dns on\n"
	  "dns_nameservers 192.0.2.1 2001:db8::53\n",
	  "nameserver 192.0.2.7\n", 1, 1, "192.0.2.1 2001:db8::53", NULL },
	{ "lines add up; duplicates and IPv4-mapped once",
	  "http_port 3128\nhost_verify_learn_dns on\n"
	  "dns_nameservers 192.0.2.1\n"
	  "host_verify_trusted_resolvers 198.18.2.53 ::ffff:198.18.2.53\n"
	  "host_verify_trusted_resolvers 2001:DB8:2::53 198.18.2.54\n",
	  "nameserver 192.0.2.7\n", 1, 1,
	  "198.18.2.53 2001:db8:2::53 198.18.2.54", NULL },
	{ "a name is not an address",
	  "http_port 3128\nhost_verify_learn_dns on\n"
	  "host_verify_trusted_resolvers 198.18.2.53 dns.example\n",
	  NULL, 0, 1, NULL,
	  "t.conf:3: host_verify_trusted_resolvers: invalid address "
	  "'dns.example' (numeric IPv4 or IPv6 only)" },
	{ "no address",
	  "http_port 3128\nhost_verify_trusted_resolvers\n", NULL, 0, 0,
	  NULL, NULL },
	{ "not on/off",
	  "http_port 3128\nhost_verify_learn_dns maybe\n", NULL, 0, 0, NULL,
	  "t.conf:2: host_verify_learn_dns: expected 'on' or 'off', got "
	  "'maybe'" },
	{ "trusted resolvers without learning",
	  "http_port 3128\nhost_verify_trusted_resolvers 198.18.2.53\n",
	  NULL, 1, 0, "198.18.2.53",
	  "t.conf:2: WARNING: host_verify_trusted_resolvers has no effect "
	  "without host_verify_learn_dns on" },
	{ "on without any resolver",
	  "http_port 3128\nhost_verify_learn_dns on\n", NULL, 1, 1, "",
	  "t.conf: WARNING: host_verify_learn_dns: no trusted resolver (no "
	  "dns_nameservers, no nameserver line in RESOLV): no answer will be "
	  "learnt; name the resolvers your clients use with "
	  "host_verify_trusted_resolvers" },
};

static void
test_directives(void **state)
{
	char got[256], want[512];
	const char *r;
	struct cfg_msgs m;
	struct cfg *c;
	size_t i;
	int failed = 0;

	(void)state;
	snprintf(resolv_path, sizeof(resolv_path), "/tmp/test_learn.%ld",
		 (long)getpid());
	cfg_resolv_conf = resolv_path;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		unlink(resolv_path);
		if (dirs[i].resolv != NULL)
			write_resolv(dirs[i].resolv);
		memset(&m, 0, sizeof(m));
		c = cfg_load_mem(dirs[i].conf, "t.conf", &m);
		want[0] = '\0';
		if (dirs[i].msg != NULL) {
			r = strstr(dirs[i].msg, "RESOLV");
			snprintf(want, sizeof(want), "%.*s%s%s",
				 (int)(r ? r - dirs[i].msg :
				       (long)strlen(dirs[i].msg)),
				 dirs[i].msg, r ? resolv_path : "",
				 r ? r + 6 : "");
		}
		if ((c != NULL) != dirs[i].ok ||
		    (dirs[i].msg != NULL &&
		     (m.n != 1 || strcmp(m.msg[0].text, want) != 0)) ||
		    (dirs[i].msg == NULL && dirs[i].ok && m.n != 0)) {
			print_error("%s: loaded %d, %zu messages, first '%s'; "
				    "want '%s'\n", dirs[i].what, c != NULL,
				    m.n, m.n ? m.msg[0].text : "", want);
			failed = 1;
		}
		if (c != NULL) {
			trusted_str(c, got, sizeof(got));
			if (c->learn.on != dirs[i].on ||
			    strcmp(got, dirs[i].trusted) != 0) {
				print_error("%s: on %d trusted '%s'; want %d "
					    "'%s'\n", dirs[i].what, c->learn.on,
					    got, dirs[i].on, dirs[i].trusted);
				failed = 1;
			}
		}
		cfg_unref(c);
		cfg_msgs_free(&m);
	}
	unlink(resolv_path);
	cfg_resolv_conf = "/etc/resolv.conf";
	if (failed)
		fail();
}

/* ------------------------------------------------- the socket, for real */

/* A response for cdn.test: one A record. */
static size_t
answer(uint8_t *b, const char *addr)
{
	static const uint8_t head[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		3, 'c', 'd', 'n', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
	};

	memcpy(b, head, sizeof(head));
	assert_int_equal(inet_pton(AF_INET, addr, b + sizeof(head)), 1);
	return sizeof(head) + 4;
}

/* Send an answer from from:53 to 127.0.0.1:to (loopback only). */
static void
send_answer(const char *from, const char *addr, unsigned short to)
{
	struct sockaddr_in a;
	uint8_t b[64];
	size_t n;
	int s, one = 1;

	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(53);
	inet_pton(AF_INET, from, &a.sin_addr);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		fail_msg("bind %s:53: %s", from, strerror(errno));
	a.sin_port = htons(to);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	n = answer(b, addr);
	assert_int_equal(sendto(s, b, n, 0, (struct sockaddr *)&a, sizeof(a)),
			 (ssize_t)n);
	close(s);
}

static int
seen(const char *name, const char *addr)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &a.sin_addr);
	return learn_seen(name, (struct sockaddr *)&a);
}

/*
 * The packet socket on loopback: 127.0.0.2 is trusted, 127.0.0.3 is not
 * (both are loopback addresses). Answers from each, sent to a port
 * nobody listens on (the packet socket sees them leave all the same),
 * then learn_seen() (which reads what is queued). Needs CAP_NET_RAW.
 */
static void
test_socket(void **state)
{
	struct cfg_msgs m;
	struct cfg *on, *off;
	char err[256];
	int rc;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(evl_init(), 0);
	rc = learn_open(err, sizeof(err));
	if (rc < 0)
		fail_msg("learn_open: %s", err);
	memset(&m, 0, sizeof(m));
	on = cfg_load_mem("http_port 3128\nhost_verify_learn_dns on\n"
			  "host_verify_trusted_resolvers 127.0.0.2\n",
			  "t.conf", &m);
	off = cfg_load_mem("http_port 3128\n"
			   "host_verify_trusted_resolvers 127.0.0.2\n",
			   "t.conf", &m);
	cfg_msgs_free(&m);
	assert_non_null(on);
	assert_non_null(off);
	/* learning off: nothing is read, nothing seen */
	learn_apply(off);
	send_answer("127.0.0.2", "198.18.2.3", 9);
	assert_int_equal(seen("cdn.test", "198.18.2.3"), 0);
	learn_apply(on);
	/* what was sent while off was filtered out in the kernel */
	assert_int_equal(seen("cdn.test", "198.18.2.3"), 0);
	send_answer("127.0.0.3", "198.18.2.4", 9);	/* untrusted */
	send_answer("127.0.0.2", "198.18.2.3", 9);
	assert_int_equal(seen("cdn.test", "198.18.2.3"), 1);
	assert_int_equal(seen("CDN.Test.", "198.18.2.3"), 1);
	assert_int_equal(seen("cdn.test", "198.18.2.4"), 0);
	assert_int_equal(seen("cdn.test", "198.18.2.2"), 0);
	assert_int_equal(seen("www.cdn.test", "198.18.2.3"), 0);
	/* off again: forgotten */
	learn_apply(off);
	assert_int_equal(seen("cdn.test", "198.18.2.3"), 0);
	learn_close();
	cfg_unref(on);
	cfg_unref(off);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_tab_basic),
		cmocka_unit_test(test_tab_expiry),
		cmocka_unit_test(test_tab_lru),
		cmocka_unit_test(test_tab_addrs),
		cmocka_unit_test(test_answer_chain),
		cmocka_unit_test(test_answer_edges),
		cmocka_unit_test(test_packets),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
