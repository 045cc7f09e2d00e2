/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tproxyctl_fwrule.c - doctor/fwrule.c: how one nft or iptables rule
 * treats the packet of an intercepted connection (tcp to port 80, carrying
 * the TPROXY mark 0x1/0x1, from an interface that is not lo). The rules are
 * as `nft list ruleset` and iptables-save print them, taken from what
 * OpenWrt fw4, firewalld, UFW, mwan3 and Kubernetes helpers load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/tproxyctl/plan.h"
#include "../../tools/tproxyctl/doctor/fwrule.h"

struct row {
	int         ipt;	/* iptables-save line, else nft */
	int         fam;
	int         any_state;	/* every packet of the connection */
	const char *rule;
	int         m, v;	/* FW_YES..., FW_ACCEPT... */
	const char *target;	/* FW_JUMP / FW_GOTO */
	int         rewrite, capture;
};

#define V4 PLAN_V4
#define V6 PLAN_V6

static const struct row rows[] = {
	/* nft: input path */
	{ 0, V4, 0, "iifname \"lo\" accept comment \"!fw4: loopback\"",
	  FW_NO, FW_ACCEPT, NULL, 0, 0 },
	{ 0, V4, 0, "iifname != \"lo\" accept", FW_YES, FW_ACCEPT, NULL, 0,
	  0 },
	{ 0, V4, 0, "ct state vmap { established : accept, related : accept }",
	  FW_NO, FW_NONE, NULL, 0, 0 },
	{ 0, V4, 0, "ct state established,related accept", FW_NO, FW_ACCEPT,
	  NULL, 0, 0 },
	{ 0, V4, 0, "ct state { established, related, new } accept", FW_YES,
	  FW_ACCEPT, NULL, 0, 0 },
	{ 0, V4, 0, "ct state invalid drop", FW_NO, FW_DROP, NULL, 0, 0 },
	{ 0, V4, 0, "ct status dnat accept", FW_NO, FW_ACCEPT, NULL, 0, 0 },
	{ 0, V4, 0, "tcp flags syn / fin,syn,rst,ack jump syn_flood", FW_YES,
	  FW_JUMP, "syn_flood", 0, 0 },
	{ 0, V4, 0, "limit rate 25/second burst 50 packets return", FW_YES,
	  FW_RETURN, NULL, 0, 0 },
	{ 0, V4, 0, "iifname \"br-lan\" jump input_lan", FW_MAYBE, FW_JUMP,
	  "input_lan", 0, 0 },
	{ 0, V4, 0, "tcp dport 3129 accept", FW_NO, FW_ACCEPT, NULL, 0, 0 },
	{ 0, V4, 0, "tcp dport { 22, 80, 443 } accept", FW_YES, FW_ACCEPT,
	  NULL, 0, 0 },
	{ 0, V4, 0, "tcp dport 70-90 counter packets 0 bytes 0 accept",
	  FW_YES, FW_ACCEPT, NULL, 0, 0 },
	{ 0, V4, 0, "tcp dport != 80 drop", FW_NO, FW_DROP, NULL, 0, 0 },
	{ 0, V4, 0, "tcp dport @allowed accept", FW_MAYBE, FW_ACCEPT, NULL, 0,
	  0 },
	{ 0, V4, 0, "udp dport { 53, 67 } accept", FW_NO, FW_ACCEPT, NULL, 0,
	  0 },
	{ 0, V6, 0, "meta l4proto { icmp, ipv6-icmp } accept", FW_NO,
	  FW_ACCEPT, NULL, 0, 0 },
	{ 0, V4, 0, "meta l4proto tcp reject with tcp reset", FW_YES, FW_DROP,
	  NULL, 0, 0 },
	{ 0, V6, 0, "reject with icmpx admin-prohibited", FW_YES, FW_DROP,
	  NULL, 0, 0 },
	{ 0, V6, 0, "ip saddr 10.0.0.0/8 accept", FW_NO, FW_ACCEPT, NULL, 0,
	  0 },
	{ 0, V6, 0, "ip6 daddr fe80::/64 udp dport 546 accept", FW_NO,
	  FW_ACCEPT, NULL, 0, 0 },
	{ 0, V4, 0, "meta nfproto ipv6 tcp dport 80 accept", FW_NO, FW_ACCEPT,
	  NULL, 0, 0 },
	{ 0, V4, 0, "fib daddr type local tcp dport 80 accept", FW_NO,
	  FW_ACCEPT, NULL, 0, 0 },
	{ 0, V4, 0, "meta mark & 0x00000001 == 0x00000001 accept", FW_YES,
	  FW_ACCEPT, NULL, 0, 0 },
	{ 0, V4, 0, "meta mark 0x00000001 accept", FW_MAYBE, FW_ACCEPT, NULL,
	  0, 0 },
	{ 0, V4, 0, "meta mark & 0x00000001 == 0x00000000 drop", FW_NO,
	  FW_DROP, NULL, 0, 0 },
	{ 0, V4, 0, "goto filter_IN_public", FW_YES, FW_GOTO,
	  "filter_IN_public", 0, 0 },
	/* nft: mark rewriters and other captures */
	{ 0, V4, 1, "meta mark set ct mark", FW_YES, FW_NONE, NULL, 1, 0 },
	{ 0, V4, 1, "meta mark set ct mark & 0x00003f00", FW_YES, FW_NONE,
	  NULL, 1, 0 },
	{ 0, V4, 1, "meta mark set 0x00010000", FW_YES, FW_NONE, NULL, 1, 0 },
	{ 0, V4, 1, "meta mark set 0x00000101", FW_YES, FW_NONE, NULL, 0, 0 },
	{ 0, V4, 1, "meta mark set meta mark & 0xffff00ff | 0x00000100",
	  FW_YES, FW_NONE, NULL, 0, 0 },
	{ 0, V4, 1, "meta mark set meta mark & 0xfffffff0", FW_YES, FW_NONE,
	  NULL, 1, 0 },
	{ 0, V4, 1, "meta mark set meta mark | 0x00000040", FW_YES, FW_NONE,
	  NULL, 0, 0 },
	{ 0, V4, 1, "ct mark set meta mark", FW_YES, FW_NONE, NULL, 0, 0 },
	{ 0, V4, 1, "meta mark & 0x00000001 == 0x00000000 meta mark set ct "
	  "mark", FW_NO, FW_NONE, NULL, 1, 0 },
	{ 0, V4, 1, "ct state established meta mark set ct mark", FW_YES,
	  FW_NONE, NULL, 1, 0 },
	{ 0, V4, 1, "tcp dport { 80, 443 } redirect to :7892", FW_YES,
	  FW_NONE, NULL, 0, 1 },
	{ 0, V6, 1, "meta nfproto ipv6 tcp dport 80 tproxy ip6 to :7893 "
	  "accept", FW_YES, FW_ACCEPT, NULL, 0, 1 },
	{ 0, V4, 1, "tcp dport 8080 dnat ip to 10.0.0.2", FW_NO, FW_NONE,
	  NULL, 0, 1 },
	/* iptables-save: input path (UFW, firewalld, hand-written) */
	{ 1, V4, 0, "-A ufw-before-input -i lo -j ACCEPT", FW_NO, FW_ACCEPT,
	  NULL, 0, 0 },
	{ 1, V4, 0, "-A ufw-before-input -m conntrack --ctstate "
	  "RELATED,ESTABLISHED -j ACCEPT", FW_NO, FW_ACCEPT, NULL, 0, 0 },
	{ 1, V4, 0, "-A ufw-before-input -p udp -m udp --sport 67 --dport 68 "
	  "-j ACCEPT", FW_NO, FW_ACCEPT, NULL, 0, 0 },
	{ 1, V4, 0, "-A ufw-before-input -j ufw-not-local", FW_YES, FW_JUMP,
	  "ufw-not-local", 0, 0 },
	{ 1, V4, 0, "-A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN",
	  FW_NO, FW_RETURN, NULL, 0, 0 },
	{ 1, V4, 0, "-A ufw-not-local -m limit --limit 3/min --limit-burst 10 "
	  "-j ufw-logging-deny", FW_YES, FW_JUMP, "ufw-logging-deny", 0, 0 },
	{ 1, V4, 0, "-A ufw-logging-deny -m limit --limit 3/min --limit-burst "
	  "10 -j LOG --log-prefix \"[UFW BLOCK] \"", FW_YES, FW_NONE, NULL, 0,
	  0 },
	{ 1, V4, 0, "-A ufw-not-local -j DROP", FW_YES, FW_DROP, NULL, 0, 0 },
	{ 1, V4, 0, "-A ufw-user-input -p tcp -m tcp --dport 80 -j ACCEPT",
	  FW_YES, FW_ACCEPT, NULL, 0, 0 },
	{ 1, V4, 0, "-A INPUT -p tcp -m multiport --dports 22,443 -j ACCEPT",
	  FW_NO, FW_ACCEPT, NULL, 0, 0 },
	{ 1, V4, 0, "-A INPUT -p tcp -m multiport --dports 22,70:90 -j "
	  "ACCEPT", FW_YES, FW_ACCEPT, NULL, 0, 0 },
	{ 1, V4, 0, "-A INPUT -p tcp ! --dport 80 -j DROP", FW_NO, FW_DROP,
	  NULL, 0, 0 },
	{ 1, V4, 0, "-A INPUT -s 192.168.1.0/24 -j ACCEPT", FW_MAYBE,
	  FW_ACCEPT, NULL, 0, 0 },
	{ 1, V4, 0, "-A INPUT -m mark --mark 0x1/0x1 -j ACCEPT", FW_YES,
	  FW_ACCEPT, NULL, 0, 0 },
	{ 1, V4, 0, "-A INPUT -m mark ! --mark 0x1/0x1 -j DROP", FW_NO,
	  FW_DROP, NULL, 0, 0 },
	{ 1, V6, 0, "-A INPUT -j REJECT --reject-with icmp6-adm-prohibited",
	  FW_YES, FW_DROP, NULL, 0, 0 },
	{ 1, V4, 0, "-A INPUT -m state --state NEW -p tcp --dport 80 -j "
	  "ACCEPT", FW_YES, FW_ACCEPT, NULL, 0, 0 },
	/* iptables-save: mark rewriters and other captures */
	{ 1, V4, 1, "-A PREROUTING -j CONNMARK --restore-mark --nfmask "
	  "0xffffffff --ctmask 0xffffffff", FW_YES, FW_NONE, NULL, 1, 0 },
	{ 1, V4, 1, "-A mwan3_hook -j CONNMARK --restore-mark --nfmask 0x3f00 "
	  "--ctmask 0x3f00", FW_YES, FW_NONE, NULL, 0, 0 },
	{ 1, V4, 1, "-A PREROUTING -p tcp -j MARK --set-xmark "
	  "0x4000/0xffffffff", FW_YES, FW_NONE, NULL, 1, 0 },
	{ 1, V4, 1, "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
	  FW_YES, FW_NONE, NULL, 0, 0 },
	{ 1, V4, 1, "-A mwan3_iface_in_wan -i eth0.2 -m mark --mark 0x0/0x3f00 "
	  "-j MARK --set-xmark 0x100/0x3f00", FW_MAYBE, FW_NONE, NULL, 0, 0 },
	{ 1, V4, 1, "-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT "
	  "--to-ports 7892", FW_YES, FW_NONE, NULL, 0, 1 },
	{ 1, V4, 1, "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT "
	  "--to-destination 172.17.0.2:80", FW_NO, FW_NONE, NULL, 0, 1 },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct fw_pkt p = { .fam = r->fam, .port = 80, .mark = 1,
				    .mask = 1, .any_state = r->any_state };
		struct fw_rule d;

		if (r->ipt)
			dr_fw_ipt_rule(r->rule, &p, &d);
		else
			dr_fw_nft_rule(r->rule, &p, &d);
		if (d.m != r->m || d.v != r->v || d.rewrite != r->rewrite ||
		    d.capture != r->capture ||
		    (r->target && strcmp(d.target, r->target)))
			fail_msg("row %zu `%s`: match %d verdict %d target %s "
				 "rewrite %d capture %d; want %d %d %s %d %d",
				 i, r->rule, d.m, d.v, d.target, d.rewrite,
				 d.capture, r->m, r->v, r->target ? r->target :
				 "", r->rewrite, r->capture);
	}
}

/* A mark with a full mask: only an exact match is sure. */
static void
test_full_mask(void **state)
{
	struct fw_pkt p = { .fam = PLAN_V4, .port = 80, .mark = 0x10,
			    .mask = 0xffffffffU, .any_state = 1 };
	struct fw_rule d;

	(void)state;
	dr_fw_nft_rule("meta mark 0x00000010 accept", &p, &d);
	assert_int_equal(d.m, FW_YES);
	dr_fw_ipt_rule("-A INPUT -m mark --mark 0x10 -j ACCEPT", &p, &d);
	assert_int_equal(d.m, FW_YES);
	dr_fw_nft_rule("meta mark set meta mark | 0x00000100", &p, &d);
	assert_int_equal(d.rewrite, 1);	/* the whole mark is tproxyd's */
	dr_fw_nft_rule("meta mark set 0x00000010", &p, &d);
	assert_int_equal(d.rewrite, 0);
}

/* Input interface matches: can the rule see packets from interface
 * "lan2"? (Squid's TPROXY rule kept to another LAN during a migration is
 * no conflict for tproxyctl setup --iface lan2.) */
static const struct iif_row {
	int         ipt;
	const char *rule;
	int         may;
} iif_rows[] = {
	{ 1, "-A PREROUTING -i lan1 -p tcp -m tcp --dport 80 -j TPROXY "
	  "--on-port 3129 --on-ip 0.0.0.0 --tproxy-mark 0x1/0x1", 0 },
	{ 1, "-A PREROUTING -i lan2 -p tcp -m tcp --dport 80 -j TPROXY", 1 },
	{ 1, "-A PREROUTING ! -i lan2 -p tcp -m tcp --dport 80 -j TPROXY", 0 },
	{ 1, "-A PREROUTING ! -i lan1 -p tcp -m tcp --dport 80 -j TPROXY", 1 },
	{ 1, "-A PREROUTING -i lan+ -p tcp -j TPROXY", 1 },
	{ 1, "-A PREROUTING -i eth+ -p tcp -j TPROXY", 0 },
	{ 1, "-A PREROUTING -p tcp --dport 80 -j TPROXY", 1 },
	{ 1, "-A PREROUTING -i lan1 -o lan2 -j ACCEPT", 0 },
	{ 1, "-A PREROUTING -o lan2 -j ACCEPT", 1 },
	{ 1, "-A PREROUTING -i", 1 },
	{ 0, "iifname \"lan1\" tcp dport 80 tproxy ip to :3129", 0 },
	{ 0, "iifname \"lan2\" tcp dport 80 tproxy ip to :3129", 1 },
	{ 0, "iifname != \"lan2\" tcp dport 80 tproxy ip to :3129", 0 },
	{ 0, "iifname != \"lan1\" tcp dport 80 tproxy ip to :3129", 1 },
	{ 0, "iifname { \"lan1\", \"lan3\" } tcp dport 80 tproxy to :3129",
	  0 },
	{ 0, "iifname { \"lan1\", \"lan2\" } tcp dport 80 tproxy to :3129",
	  1 },
	{ 0, "iifname != { \"lan1\", \"lan2\" } tproxy to :3129", 0 },
	{ 0, "iifname \"lan*\" tcp dport 80 tproxy ip to :3129", 1 },
	{ 0, "iif \"lan1\" tcp dport 80 tproxy ip to :3129", 0 },
	{ 0, "meta iifname \"lan1\" tproxy ip to :3129", 0 },
	{ 0, "tcp dport 80 tproxy ip to :3129 comment \"iifname lan1\"", 1 },
	{ 0, "oifname \"lan1\" accept", 1 },
	{ 0, "iifname", 1 },
};

static void
test_iif(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(iif_rows) / sizeof(iif_rows[0]); i++) {
		const struct iif_row *r = &iif_rows[i];
		int got = dr_fw_iif_may_match(r->rule, r->ipt, "lan2");

		if (got != r->may)
			fail_msg("iif row %zu `%s`: %d, want %d", i, r->rule,
				 got, r->may);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_full_mask),
		cmocka_unit_test(test_iif),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
