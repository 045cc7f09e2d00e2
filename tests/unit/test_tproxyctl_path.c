/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tproxyctl_path.c - the pure part of `tproxyctl doctor`'s route
 * check (tools/tproxyctl/doctor/pathparse.c): `ip rule show` lines, which
 * rules select a client's marked packet, `ip -j route get` answers, and
 * the mark bits nft, iptables and ip rule use. Table-driven; nothing here
 * touches the system. The rule lines are as iproute2 prints them for the
 * programs doctor names (wg-quick, Tailscale, netbird, mwan3, CNI).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "../../tools/tproxyctl/doctor/pathparse.h"

struct rcase {
	const char *line;
	int         fam;
	int         ok;	/* pp_parse_rule's result */
	unsigned long pref;
	const char *action, *table, *iif;
	int         has_mark;
	uint32_t    mark, mask;
	int         matches;	/* the client packet below */
};

/* The packet: TCP from 198.18.1.2 (2001:db8:1::2) on r0 to 198.19.255.1
 * (2001:db8:ffff::1) port 80, mark 0x1. */
static const struct rcase rules[] = {
	{ "0:\tfrom all lookup local", 4, 0, 0, "lookup", "local", "", 0, 0,
	  0, 1 },
	{ "32765:\tfrom all fwmark 0x1/0x1 lookup 100", 4, 0, 32765,
	  "lookup", "100", "", 1, 1, 1, 1 },
	{ "32764:\tfrom all fwmark 0x1/0x1 iif lo lookup main", 4, 0, 32764,
	  "lookup", "main", "lo", 1, 1, 1, 0 },
	{ "5270:\tfrom all lookup 52", 4, 0, 5270, "lookup", "52", "", 0, 0,
	  0, 1 },
	{ "5250:\tfrom all fwmark 0x80000/0xff0000 unreachable", 4, 0, 5250,
	  "unreachable", "", "", 1, 0x80000, 0xff0000, 0 },
	{ "110:\tnot from all fwmark 0x1bd00 lookup 7120", 4, 0, 110,
	  "lookup", "7120", "", 1, 0x1bd00, 0xffffffff, 1 },
	{ "32766:\tnot from all fwmark 0x1 lookup 51820", 4, 0, 32766,
	  "lookup", "51820", "", 1, 1, 0xffffffff, 0 },
	{ "2048:\tfrom 198.18.1.2 lookup 1003", 4, 0, 2048, "lookup", "1003",
	  "", 0, 0, 0, 1 },
	{ "2049:\tfrom 198.18.7.0/24 lookup 1004", 4, 0, 2049, "lookup",
	  "1004", "", 0, 0, 0, 0 },
	{ "100:\tfrom 198.18.0.0/15 lookup 200", 4, 0, 100, "lookup", "200",
	  "", 0, 0, 0, 1 },
	{ "1001:\tfrom all iif r0 lookup 1", 4, 0, 1001, "lookup", "1", "r0",
	  0, 0, 0, 1 },
	{ "1002:\tfrom all iif wan lookup 2", 4, 0, 1002, "lookup", "2",
	  "wan", 0, 0, 0, 0 },
	{ "9000:\tfrom all fwmark 0x1 lookup 300", 4, 0, 9000, "lookup", "300",
	  "", 1, 1, 0xffffffff, 1 },
	{ "105:\tfrom all lookup main suppress_prefixlength 0", 4, 0, 105,
	  "lookup", "main", "", 0, 0, 0, 1 },
	{ "300:\tfrom all to 198.19.0.0/16 ipproto tcp dport 443 lookup 9",
	  4, 0, 300, "lookup", "9", "", 0, 0, 0, 0 },
	{ "301:\tfrom all ipproto tcp dport 80-90 lookup 9", 4, 0, 301,
	  "lookup", "9", "", 0, 0, 0, 1 },
	{ "302:\tfrom all uidrange 1000-1000 lookup 9", 4, 0, 302, "lookup",
	  "9", "", 0, 0, 0, 1 },
	{ "303:\tfrom all oif wg0 lookup 9", 4, 0, 303, "lookup", "9", "", 0,
	  0, 0, 0 },
	{ "304:\tfrom all goto 32765", 4, 0, 304, "goto", "32765", "", 0, 0,
	  0, 1 },
	{ "1000:\tfrom 2001:db8:1::/64 lookup 7", 6, 0, 1000, "lookup", "7",
	  "", 0, 0, 0, 1 },
	{ "1000:\tfrom 2001:db8:2::/64 lookup 7", 6, 0, 1000, "lookup", "7",
	  "", 0, 0, 0, 0 },
	{ "from all lookup main", 4, -1, 0, "", "", "", 0, 0, 0, 0 },
	{ "", 4, -1, 0, "", "", "", 0, 0, 0, 0 },
};

static void
test_rules(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rcase *c = &rules[i];
		struct pp_rule r;
		struct pp_pkt p = { .fam = c->fam, .iif = "r0", .mark = 1,
				    .dport = 80 };
		int rc = pp_parse_rule(c->line, c->fam, &r);

		if (rc != c->ok)
			fail_msg("%s: parse %d, want %d", c->line, rc, c->ok);
		if (rc < 0)
			continue;
		inet_pton(c->fam == 4 ? AF_INET : AF_INET6, c->fam == 4 ?
			  "198.18.1.2" : "2001:db8:1::2", p.src);
		inet_pton(c->fam == 4 ? AF_INET : AF_INET6, c->fam == 4 ?
			  "198.19.255.1" : "2001:db8:ffff::1", p.dst);
		if (r.pref != c->pref || strcmp(r.action, c->action) ||
		    strcmp(r.table, c->table) || strcmp(r.iif, c->iif) ||
		    r.has_mark != c->has_mark || (c->has_mark &&
		    (r.mark != c->mark || r.mask != c->mask)))
			fail_msg("%s: pref %lu action %s table %s iif %s mark "
				 "%d 0x%x/0x%x", c->line, r.pref, r.action,
				 r.table, r.iif, r.has_mark, r.mark, r.mask);
		if (pp_rule_matches(&r, &p) != c->matches)
			fail_msg("%s: matches %d, want %d", c->line,
				 pp_rule_matches(&r, &p), c->matches);
	}
}

static const struct {
	const char *json;
	int         ok;
	const char *type, *table, *dev, *gw;
} routes[] = {
	{ "[{\"type\":\"local\",\"dst\":\"198.18.2.2\",\"from\":\"198.18.1.2\","
	  "\"dev\":\"lo\",\"table\":\"100\",\"flags\":[],\"mark\":1,"
	  "\"cache\":[\"local\"],\"iif\":\"r0\"}]\n", 0, "local", "100", "lo",
	  "" },
	{ "[{\"dst\":\"198.18.2.2\",\"from\":\"198.18.1.2\",\"gateway\":"
	  "\"198.18.2.2\",\"dev\":\"r1\",\"table\":\"52\",\"flags\":[],"
	  "\"mark\":1,\"cache\":[],\"iif\":\"r0\"}]", 0, "unicast", "52", "r1",
	  "198.18.2.2" },
	{ "[{\"dst\":\"2001:db8:2::2\",\"from\":\"2001:db8:1::2\",\"dev\":"
	  "\"r1\",\"protocol\":\"kernel\",\"metric\":256,\"flags\":[],"
	  "\"iif\":\"r0\",\"pref\":\"medium\"}]", 0, "unicast", "main", "r1",
	  "" },
	{ "", -1, "", "", "", "" },
	{ "RTNETLINK answers: Invalid argument", -1, "", "", "", "" },
};

static void
test_routes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		struct pp_route r;
		int rc = pp_parse_route(routes[i].json, &r);

		if (rc != routes[i].ok)
			fail_msg("%s: rc %d", routes[i].json, rc);
		if (rc == 0 && (strcmp(r.type, routes[i].type) ||
				strcmp(r.table, routes[i].table) ||
				strcmp(r.dev, routes[i].dev) ||
				strcmp(r.gateway, routes[i].gw)))
			fail_msg("%s: %s %s %s %s", routes[i].json, r.type,
				 r.table, r.dev, r.gateway);
	}
}

static const struct {
	const char *s;
	uint32_t    bits;
} nft[] = {
	{ "meta mark & 0xffffff10 | 0x00000010", 0xff },
	{ "meta mark & 0xfffffffe | 0x00000001 accept", 0x1 },
	{ "mark and 0xffffff00 or 0x10", 0xff },
	{ "meta mark | 0x00000100", 0x100 },
	{ "meta mark ^ 0x4", 0x4 },
	{ "0x00000002", 0xffffffff },
	{ "ct mark", 0xffffffff },
	{ "ct mark & 0x000000ff", 0xffffffff },
	{ "ip saddr map { 198.18.1.2 : 0x5 }", 0xffffffff },
};

static const struct {
	const char *s;
	uint32_t    bits;
} ipt[] = {
	{ "-A PREROUTING -i r0 -j MARK --set-xmark 0x10/0xff", 0xff },
	{ "-A mwan3_rule_https -m mark --mark 0x0/0x3f00 -j MARK --set-xmark "
	  "0x100/0x3f00", 0x3f00 },
	{ "-A X -j MARK --set-mark 0x2", 0xffffffff },
	{ "-A X -j MARK --or-mark 0x40", 0x40 },
	{ "-A X -j MARK --and-mark 0xffffc0ff", 0x3f00 },
	{ "-A X -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff",
	  0xff },
	{ "-A X -j CONNMARK --restore-mark", 0xffffffff },
	{ "-A X -j CONNMARK --save-mark", 0 },
	{ "-A X -p tcp -j TPROXY --on-port 3129 --tproxy-mark 0x1/0x1", 0 },
};

static void
test_mark_bits(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nft) / sizeof(nft[0]); i++)
		if (pp_nft_mark_bits(nft[i].s) != nft[i].bits)
			fail_msg("nft %s: 0x%x, want 0x%x", nft[i].s,
				 pp_nft_mark_bits(nft[i].s), nft[i].bits);
	for (i = 0; i < sizeof(ipt) / sizeof(ipt[0]); i++)
		if (pp_ipt_mark_bits(ipt[i].s) != ipt[i].bits)
			fail_msg("ipt %s: 0x%x, want 0x%x", ipt[i].s,
				 pp_ipt_mark_bits(ipt[i].s), ipt[i].bits);
}

static const struct {
	const char *rule, *iif;
	uint32_t    guard;
} nftr[] = {
	{ "iifname \"wan0\" meta mark set ct mark", "wan0", 0 },
	{ "iifname \"lan.100\" tcp dport 80 meta mark set 0x10", "lan.100",
	  0 },
	{ "meta mark set ct mark", "", 0 },
	{ "iifname != \"wan0\" meta mark set ct mark", "", 0 },
	{ "iifname { \"a\", \"b\" } meta mark set 0x1", "", 0 },
	{ "iifname \"wg*\" meta mark set 0x1", "", 0 },
	{ "oifname \"r0\" meta mark set 0x1", "", 0 },
	{ "meta mark & 0x00000001 == 0x00000001 accept", "", 0x1 },
	{ "meta mark & 0x0000ff00 == 0x0000ff00 accept", "", 0xff00 },
	{ "meta mark & 0x00000003 == 0x00000001 accept", "", 0 },
	{ "meta mark & 0x00000001 == 0x00000001 drop", "", 0 },
	{ "meta mark & 0x00000001 == 0x00000001 meta mark set 0x2 accept", "",
	  0 },
};

static void
test_nft_iif_and_guard(void **state)
{
	char ifn[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nftr) / sizeof(nftr[0]); i++) {
		pp_nft_iifname(nftr[i].rule, ifn, sizeof(ifn));
		if (strcmp(ifn, nftr[i].iif))
			fail_msg("%s: iif '%s', want '%s'", nftr[i].rule, ifn,
				 nftr[i].iif);
		if (pp_nft_guard(nftr[i].rule) != nftr[i].guard)
			fail_msg("%s: guard 0x%x, want 0x%x", nftr[i].rule,
				 pp_nft_guard(nftr[i].rule), nftr[i].guard);
	}
}

static const struct {
	const char *line, *jump;
	uint32_t    guard;
} iptg[] = {
	{ "-A PREROUTING -m mark --mark 0x2/0x2 -j ACCEPT", "ACCEPT", 0x2 },
	{ "-A DIVERT -m mark --mark 0xff00/0xff00 -j RETURN", "RETURN",
	  0xff00 },
	{ "-A PREROUTING -m mark --mark 0x1 -j ACCEPT", "ACCEPT", 0 },
	{ "-A PREROUTING -m mark --mark 0x1/0x3 -j ACCEPT", "ACCEPT", 0 },
	{ "-A PREROUTING -i r0 -m mark --mark 0x1/0x1 -j ACCEPT", "ACCEPT",
	  0 },
	{ "-A PREROUTING -m mark --mark 0x1/0x1 -j DROP", "DROP", 0 },
	{ "-A PREROUTING -m mark --mark 0x1/0x1 -j ACCEPT -m comment", "ACCEPT",
	  0 },
	{ "-A PREROUTING -p tcp -m socket -j DIVERT", "DIVERT", 0 },
	{ "-A PREROUTING -p tcp -g mwan3_hook", "mwan3_hook", 0 },
	{ "-A DIVERT -j MARK --set-xmark 0x1/0xffffffff", "MARK", 0 },
	{ "-A PREROUTING -p tcp", "", 0 },
	{ "-N DIVERT", "", 0 },
};

static void
test_ipt_guard_and_jump(void **state)
{
	char j[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(iptg) / sizeof(iptg[0]); i++) {
		j[0] = '\0';
		(void)pp_ipt_jump(iptg[i].line, j, sizeof(j));
		if (strcmp(j, iptg[i].jump))
			fail_msg("%s: jump '%s', want '%s'", iptg[i].line, j,
				 iptg[i].jump);
		if (pp_ipt_guard(iptg[i].line) != iptg[i].guard)
			fail_msg("%s: guard 0x%x, want 0x%x", iptg[i].line,
				 pp_ipt_guard(iptg[i].line), iptg[i].guard);
	}
}

static void
test_overlap_and_free(void **state)
{
	static const struct {
		uint32_t v, m, mark, mask;
		int      want;
	} ov[] = {
		{ 0x1, 0x1, 0x1, 0x1, 1 },	/* fwmark 0x1/0x1 */
		{ 0x1, 0xffffffff, 0x1, 0x1, 1 },	/* fwmark 0x1 */
		{ 0xff, 0xff, 0x1, 0x1, 1 },	/* 0xff has our bit */
		{ 0xca6c, 0xffffffff, 0x1, 0x1, 0 },	/* wg-quick 51820 */
		{ 0x80000, 0xff0000, 0x1, 0x1, 0 },	/* Tailscale */
		{ 0x100, 0x3f00, 0x1, 0x1, 0 },	/* mwan3 */
		{ 0x100, 0x3f00, 0x100, 0x100, 1 },
		{ 0x0, 0x1, 0x1, 0x1, 0 },	/* wants the bit clear */
	};
	static const struct {
		uint32_t used, want;
		int      rc;
	} fr[] = {
		{ 0x1, 0x2, 0 }, { 0xff, 0x100, 0 }, { 0x0, 0x1, 0 },
		{ 0x7fffffff, 0x80000000, 0 }, { 0xffffffff, 0, -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ov) / sizeof(ov[0]); i++)
		if (pp_fwmark_overlaps(ov[i].v, ov[i].m, ov[i].mark,
				       ov[i].mask) != ov[i].want)
			fail_msg("overlap 0x%x/0x%x with 0x%x/0x%x", ov[i].v,
				 ov[i].m, ov[i].mark, ov[i].mask);
	for (i = 0; i < sizeof(fr) / sizeof(fr[0]); i++) {
		uint32_t m = 0;
		int rc = pp_free_mark(fr[i].used, &m);

		if (rc != fr[i].rc || (rc == 0 && m != fr[i].want))
			fail_msg("free mark of 0x%x: %d 0x%x", fr[i].used, rc,
				 m);
	}
}

static void
test_sysctl_key_and_quote(void **state)
{
	static const struct {
		const char *ifn, *key, *want, *quoted;
	} tc[] = {
		{ "r0", "rp_filter", "net.ipv4.conf.r0.rp_filter",
		  "net.ipv4.conf.r0.rp_filter" },
		{ "lan.100", "rp_filter=0", "net.ipv4.conf.lan/100.rp_filter=0",
		  "net.ipv4.conf.lan/100.rp_filter=0" },
		{ "eth0.100.20", "src_valid_mark",
		  "net.ipv4.conf.eth0/100/20.src_valid_mark",
		  "net.ipv4.conf.eth0/100/20.src_valid_mark" },
		{ "wan-1@x.5", "rp_filter", "net.ipv4.conf.wan-1@x/5.rp_filter",
		  "net.ipv4.conf.wan-1@x/5.rp_filter" },
		{ "a$b;c", "rp_filter", "net.ipv4.conf.a$b;c.rp_filter",
		  "'net.ipv4.conf.a$b;c.rp_filter'" },
		{ "it's", "rp_filter", "net.ipv4.conf.it's.rp_filter",
		  "'net.ipv4.conf.it'\\''s.rp_filter'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		char k[128], q[160];

		pp_sysctl_key("ipv4", tc[i].ifn, tc[i].key, k, sizeof(k));
		if (strcmp(k, tc[i].want))
			fail_msg("%s: key %s, want %s", tc[i].ifn, k,
				 tc[i].want);
		pp_shell_quote(k, q, sizeof(q));
		if (strcmp(q, tc[i].quoted))
			fail_msg("%s: quoted %s, want %s", tc[i].ifn, q,
				 tc[i].quoted);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_mark_bits),
		cmocka_unit_test(test_nft_iif_and_guard),
		cmocka_unit_test(test_ipt_guard_and_jump),
		cmocka_unit_test(test_overlap_and_free),
		cmocka_unit_test(test_sysctl_key_and_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
