/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tproxyctl_plan_render.c - the pure plan of tproxyctl
 * (tools/tproxyctl/plan.c and the builders in nft.c, ipt.c, route.c,
 * sysctl.c): options in, steps and their text out; their undo; the
 * watchdog's decision (watch_step()). The options: plan_tweaks.h.
 * Table-driven; nothing here touches the system.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "config/config-t.h"

#include "../../tools/tproxyctl/backend.h"
#include "../../tools/tproxyctl/conf.h"
#include "../../tools/tproxyctl/plan.h"
#include "../../tools/tproxyctl/repair.h"
#include "../../tools/tproxyctl/watch.h"

#include "plan_tweaks.h"

/* One case: options tweaked from the defaults, then strings that must
 * (and must not) appear in the rendered plan, in order for `in_order`. */
struct pcase {
	const char *name;
	void (*tweak)(struct plan_opts *o);
	const char *want[14];	/* must appear, in this order */
	const char *not_want[5];
};

static const struct pcase cases[] = {
	{ "nft UDP: TPROXY for both families, then the socket rule for "
	  "replies and ICMP errors; QUIC to an intercepted 443 not refused",
	  t_udp,
	  { "meta l4proto tcp tcp flags & (syn|ack) != syn socket",
	    "meta nfproto ipv4 tcp dport 443 tproxy ip to :3130",
	    "meta nfproto ipv4 udp dport { 53, 443 } tproxy ip to :3131 "
	    "meta mark set",
	    "meta nfproto ipv6 udp dport { 53, 443 } tproxy ip6 to :3131",
	    "meta l4proto { udp, icmp, ipv6-icmp } socket transparent 1 "
	    "meta mark set" },
	  { "reject", "chain forward", NULL } },
	{ "iptables UDP, IPv4: TPROXY, then socket for udp and icmp",
	  t_udp_ipt4,
	  { "-A TPROXYD_PREROUTING -p tcp --dport 80 -j TPROXY",
	    "-A TPROXYD_PREROUTING -p udp -m multiport --dports 53,443 -j "
	    "TPROXY --on-port 3131 --tproxy-mark 0x1/0x1",
	    "-A TPROXYD_PREROUTING -p udp -m socket --transparent -j "
	    "TPROXYD_DIVERT",
	    "-A TPROXYD_PREROUTING -p icmp -m socket --transparent -j "
	    "TPROXYD_DIVERT",
	    "iptables -w -t mangle -I PREROUTING 1 -j TPROXYD_PREROUTING" },
	  { "ip6tables", "TPROXYD_QUIC", NULL } },
	{ "UDP 53 only: QUIC to 443 still refused", t_udp_dns,
	  { "udp dport 53 tproxy ip to :3131", "chain forward",
	    "udp dport 443 reject" },
	  { NULL } },
	{ "default: nft, both families, sysctls then routing then rules",
	  t_default,
	  { "sysctl -w net.ipv4.ip_forward=1",
	    "sysctl -w net.ipv4.conf.all.rp_filter=0",
	    "sysctl -w net.ipv4.conf.default.rp_filter=0",
	    "sysctl -w net.ipv6.conf.all.forwarding=1",
	    "ip -4 rule add pref 100 fwmark 0x1/0x1 lookup 100",
	    "ip -4 route add local 0.0.0.0/0 dev lo table 100",
	    "ip -4 rule add pref 99 iif lo fwmark 0x1/0x1 lookup main",
	    "ip -6 rule add pref 100 fwmark 0x1/0x1 lookup 100",
	    "ip -6 route add local ::/0 dev lo table 100",
	    "ip -6 rule add pref 99 iif lo fwmark 0x1/0x1 lookup main",
	    "nft -f - <<'EOF'\ntable inet tproxyd\ndelete table inet tproxyd\n",
	    "meta l4proto tcp tcp flags & (syn|ack) != syn "
	    "socket transparent 1 "
	    "meta mark set meta mark & "
	    "0xfffffffe | 0x00000001 accept",
	    "meta nfproto ipv4 tcp dport 80 tproxy ip to :3129",
	    "meta nfproto ipv6 tcp dport 80 tproxy ip6 to :3129" },
	  { "iptables", "bridge", "nfproto ipv4 meta l4proto", NULL } },
	{ "iptables, IPv4 only, two ports, a bypass first", t_v4_ipt,
	  { "iptables -w -t mangle -N TPROXYD_DIVERT",
	    "iptables -w -t mangle -N TPROXYD_PREROUTING",
	    "-A TPROXYD_DIVERT -j MARK --set-xmark 0x1/0x1",
	    "-A TPROXYD_DIVERT -j ACCEPT",
	    "-A TPROXYD_PREROUTING -d 198.18.9.0/24 -j RETURN",
	    "-A TPROXYD_PREROUTING -s 198.18.9.0/24 -j RETURN",
	    "-A TPROXYD_PREROUTING -p tcp '!' --syn -m socket --transparent -j "
	    "TPROXYD_DIVERT",
	    "-A TPROXYD_PREROUTING -p tcp -m multiport --dports 80,8080 -j "
	    "TPROXY --on-port 3129 --tproxy-mark 0x1/0x1",
	    "iptables -w -t mangle -I PREROUTING 1 -j TPROXYD_PREROUTING" },
	  { "ip6tables", "ipv6", "nft -f", NULL } },
	{ "nft, IPv6 only, address, other mark and table", t_v6_nft_addr,
	  { "sysctl -w net.ipv6.conf.all.forwarding=1",
	    "ip -6 rule add pref 100 fwmark 0x10/0xff lookup 42",
	    "ip -6 route add local ::/0 dev lo table 42",
	    "ip -6 rule add pref 99 iif lo fwmark 0x10/0xff lookup main",
	    "meta nfproto ipv6 meta l4proto tcp tcp flags & (syn|ack) != syn "
	    "socket transparent 1 "
	    "meta mark set meta mark & 0xffffff00 | 0x00000010 accept",
	    "tproxy ip6 to [2001:db8:1::1]:3130" },
	  { "rp_filter", "ip -4", "tproxy ip to", NULL } },
	{ "interfaces: rp_filter per interface, iifname set", t_iface_bypass,
	  { "sysctl -w net.ipv4.conf.r0.rp_filter=0",
	    "sysctl -w net.ipv4.conf.eth0/100.rp_filter=0",
	    "ip6 daddr 2001:db8:9::/48 accept",
	    "ip6 saddr 2001:db8:9::/48 accept",
	    "socket transparent 1",
	    "meta nfproto ipv4 iifname { \"r0\", \"eth0.100\" } tcp dport 80" },
	  { "ip daddr", NULL } },
	{ "bridge: bridge sysctls and a bridge table diverting frames",
	  t_bridge,
	  { "sysctl -w net.bridge.bridge-nf-call-iptables=0",
	    "sysctl -w net.bridge.bridge-nf-call-ip6tables=0",
	    "sysctl -w net.bridge.bridge-nf-call-arptables=0",
	    "table inet tproxyd {",
	    "table bridge tproxyd\ndelete table bridge tproxyd\n",
	    "type filter hook prerouting priority -200",
	    "iifname \"b0\" ether type ip tcp dport 80 ether daddr set "
	    "02:00:00:00:00:01 meta pkttype set host accept",
	    "iifname \"b1\" ether type ip6 tcp sport 80 ether daddr set" },
	  { "meta broute", NULL } },
	{ "--rule-pref 5000: the rule at that preference", t_pref,
	  { "ip -4 rule add pref 5000 fwmark 0x1/0x1 lookup 100",
	    "ip -4 rule add pref 4999 iif lo fwmark 0x1/0x1 lookup main",
	    "ip -6 rule add pref 5000 fwmark 0x1/0x1 lookup 100" },
	  { "pref 100 ", "pref 99 ", NULL } },
	{ "mask 0xffffffff: plain mark", t_full_mask,
	  { "ip -4 rule add pref 100 fwmark 0x1 lookup 100",
	    "meta mark set 0x00000001 accept" },
	  { "0xfffffffe", NULL } },
	{ "default: no HTTPS, no QUIC rule", t_default,
	  { "tcp dport 80 tproxy ip to :3129" },
	  { "443", "chain forward", "reject", "udp", NULL } },
	{ "nft: HTTP to 3129, HTTPS to 3130, QUIC refused in forward",
	  t_https,
	  { "meta nfproto ipv4 tcp dport 80 tproxy ip to :3129",
	    "meta nfproto ipv6 tcp dport 80 tproxy ip6 to :3129",
	    "meta nfproto ipv4 tcp dport 443 tproxy ip to :3130",
	    "meta nfproto ipv6 tcp dport 443 tproxy ip6 to :3130",
	    "\tchain forward {\n\t\ttype filter hook forward priority "
	    "filter; policy accept;\n"
	    "\t\tudp dport 443 reject with icmpx type port-unreachable\n"
	    "\t}\n}\n" },
	  { "tcp dport { 80, 443 }", "nfproto ipv4 udp", NULL } },
	{ "iptables: two mappings, QUIC in filter FORWARD", t_https_ipt,
	  { "-A TPROXYD_PREROUTING -p tcp -m multiport --dports 80,8080 -j "
	    "TPROXY --on-port 3129 --tproxy-mark 0x1/0x1",
	    "-A TPROXYD_PREROUTING -p tcp -m multiport --dports 443,8443 -j "
	    "TPROXY --on-port 3130 --tproxy-mark 0x1/0x1",
	    "iptables -w -t mangle -I PREROUTING 1 -j TPROXYD_PREROUTING",
	    "iptables -w -t filter -N TPROXYD_QUIC",
	    "iptables -w -t filter -A TPROXYD_QUIC -d 198.18.9.0/24 -j RETURN",
	    "iptables -w -t filter -A TPROXYD_QUIC -s 198.18.9.0/24 -j RETURN",
	    "iptables -w -t filter -A TPROXYD_QUIC -p udp -m multiport "
	    "--dports 443,8443 -j REJECT --reject-with icmp-port-unreachable",
	    "iptables -w -t filter -I FORWARD 1 -j TPROXYD_QUIC" },
	  { "ip6tables", "nft -f", NULL } },
	{ "ip6tables, an interface: ICMPv6 port unreachable",
	  t_https_ipt6_iface,
	  { "ip6tables -w -t mangle -A TPROXYD_PREROUTING -p tcp -i r0 "
	    "--dport 443 -j TPROXY --on-port 3130",
	    "ip6tables -w -t filter -A TPROXYD_QUIC -p udp -i r0 --dport 443 "
	    "-j REJECT --reject-with icmp6-port-unreachable",
	    "ip6tables -w -t filter -I FORWARD 1 -j TPROXYD_QUIC" },
	  { "iptables -w", "icmp-port-unreachable", NULL } },
	{ "--quic pass: HTTPS mapped, UDP left alone", t_https_quic_pass,
	  { "tcp dport 443 tproxy ip to :3130" },
	  { "reject", "chain forward", NULL } },
	{ "--quic block without HTTPS: UDP 443 refused, TCP 443 not diverted",
	  t_quic_block_only,
	  { "tcp dport 80 tproxy",
	    "udp dport 443 reject with icmpx type port-unreachable" },
	  { "tcp dport 443", NULL } },
	{ "HTTPS for IPv4 only: QUIC refused for IPv4 only, after bypasses",
	  t_https_v4_only,
	  { "meta nfproto ipv6 tcp dport 80 tproxy ip6 to :3129",
	    "meta nfproto ipv4 tcp dport 443 tproxy ip to 198.18.1.1:3130",
	    "chain forward {",
	    "ip daddr 198.18.9.0/24 accept",
	    "ip saddr 198.18.9.0/24 accept",
	    "meta nfproto ipv4 udp dport 443 reject" },
	  { "ip6 to :3130", "tproxy ip6 to 198", NULL } },
	{ "only HTTPS: no HTTP rule", t_https_only,
	  { "tcp dport 443 tproxy ip to :3130",
	    "tcp dport 443 tproxy ip6 to :3130",
	    "udp dport 443 reject" },
	  { "dport 80", ":3129", NULL } },
	{ "bridge + HTTPS: both ports diverted, UDP 443 refused on the "
	  "client port", t_https_bridge,
	  { "chain forward {",
	    "udp dport 443 reject with icmpx type port-unreachable",
	    "table bridge tproxyd {",
	    "iifname \"b0\" ether type ip tcp dport { 80, 443 } ether daddr "
	    "set 02:00:00:00:00:01 meta pkttype set host accept",
	    "iifname \"b1\" ether type ip6 tcp sport { 80, 443 } ether daddr",
	    "table netdev tproxyd\ndelete table netdev tproxyd\n",
	    "type filter hook ingress device \"b0\" priority filter; "
	    "policy accept;\n",
	    "\t\tether type ip udp dport 443 reject with icmpx type "
	    "port-unreachable\n",
	    "\t\tether type ip6 udp dport 443 reject with icmpx type "
	    "port-unreachable\n" },
	  { "udp sport", "ether type ip udp dport 443 ether", NULL } },
	{ "bridge + HTTPS with iptables: FORWARD and the bridge port refuse",
	  t_https_bridge_ipt,
	  { "iptables -w -t filter -A TPROXYD_QUIC -p udp --dport 443 -j "
	    "REJECT --reject-with icmp-port-unreachable",
	    "table bridge tproxyd {",
	    "type filter hook ingress device \"b0\"",
	    "ether type ip udp dport 443 reject" },
	  { "table inet", "ether type ip6", NULL } },
	{ "on-failure open (default): failed sets consulted after the socket "
	  "rule, before tproxy; no reset", t_default,
	  { "table inet tproxyd {\n\tset failed4 {\n\t\ttype inet_service\n"
	    "\t}\n\tset failed6 {\n\t\ttype inet_service\n\t}\n",
	    "socket transparent 1",
	    "\t\tmeta nfproto ipv4 tcp dport @failed4 accept\n"
	    "\t\tmeta nfproto ipv6 tcp dport @failed6 accept\n",
	    "meta nfproto ipv4 tcp dport 80 tproxy ip to :3129" },
	  { "tcp reset", "chain forward", NULL } },
	{ "nft on-failure closed: forward chain resets what tproxy did not "
	  "take", t_closed,
	  { "@failed4 accept", "tproxy ip to :3129",
	    "# on-failure closed: connections tproxyd did not take are\n",
	    "\tchain forward {\n\t\ttype filter hook forward priority "
	    "filter; policy accept;\n"
	    "\t\tmeta nfproto ipv4 tcp dport 80 reject with tcp reset\n"
	    "\t\tmeta nfproto ipv6 tcp dport 80 reject with tcp reset\n"
	    "\t}\n}\n" },
	  { "udp", "icmpx", NULL } },
	{ "nft closed + HTTPS + interfaces: bypass, QUIC, then the reset of "
	  "both ports on the capturing interfaces", t_closed_https_iface,
	  { "chain forward {",
	    "ip6 daddr 2001:db8:9::/48 accept",
	    "udp dport 443 reject with icmpx type port-unreachable",
	    "meta nfproto ipv4 iifname { \"r0\", \"eth0.100\" } tcp dport "
	    "{ 80, 443 } reject with tcp reset",
	    "meta nfproto ipv6 iifname { \"r0\", \"eth0.100\" } tcp dport "
	    "{ 80, 443 } reject with tcp reset" },
	  { NULL } },
	{ "nft closed, IPv6 only: one set, one reset rule", t_closed_v6,
	  { "set failed6 {", "meta nfproto ipv6 tcp dport @failed6 accept",
	    "meta nfproto ipv6 tcp dport 80 reject with tcp reset" },
	  { "failed4", "nfproto ipv4", NULL } },
	{ "iptables closed: TPROXYD_FAILED before TPROXY, TPROXYD_CLOSED in "
	  "filter FORWARD after the bypass", t_closed_ipt,
	  { "iptables -w -t mangle -N TPROXYD_FAILED",
	    "iptables -w -t mangle -F TPROXYD_FAILED",
	    "iptables -w -t mangle -N TPROXYD_PREROUTING",
	    "-A TPROXYD_PREROUTING -p tcp '!' --syn -m socket",
	    "iptables -w -t mangle -A TPROXYD_PREROUTING -p tcp -j "
	    "TPROXYD_FAILED",
	    "-j TPROXY --on-port 3129",
	    "iptables -w -t mangle -I PREROUTING 1 -j TPROXYD_PREROUTING",
	    "iptables -w -t filter -N TPROXYD_CLOSED",
	    "iptables -w -t filter -A TPROXYD_CLOSED -d 198.18.9.0/24 -j "
	    "RETURN",
	    "iptables -w -t filter -A TPROXYD_CLOSED -p tcp -m multiport "
	    "--dports 80,8080 -j REJECT --reject-with tcp-reset",
	    "iptables -w -t filter -I FORWARD 1 -j TPROXYD_CLOSED" },
	  { "ip6tables", "nft -f", NULL } },
	{ "iptables open: TPROXYD_FAILED, no TPROXYD_CLOSED", t_v4_ipt,
	  { "-N TPROXYD_FAILED", "-j TPROXYD_FAILED", "-j TPROXY" },
	  { "TPROXYD_CLOSED", "tcp-reset", NULL } },
	{ "ip6tables closed, an interface: reset on that interface",
	  t_closed_ipt6_iface,
	  { "ip6tables -w -t filter -A TPROXYD_CLOSED -p tcp -i r0 -m "
	    "multiport --dports 80,443 -j REJECT --reject-with tcp-reset",
	    "ip6tables -w -t filter -I FORWARD 1 -j TPROXYD_CLOSED" },
	  { "iptables -w", NULL } },
};

static void
test_render_cases(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct plan_opts o;
		struct plan p = { 0 };
		struct sbuf out = { 0 };
		char err[256];
		const char *at;

		plan_opts_default(&o);
		cases[i].tweak(&o);
		if (plan_build(&o, &p, err, sizeof(err)) != 0)
			fail_msg("%s: plan_build: %s", cases[i].name, err);
		plan_render(&p, &out);
		at = sbuf_str(&out);
		for (k = 0; k < 14 && cases[i].want[k]; k++) {
			const char *f = strstr(at, cases[i].want[k]);

			if (f == NULL)
				fail_msg("%s: missing (or out of order) '%s' "
					 "in:\n%s", cases[i].name,
					 cases[i].want[k], sbuf_str(&out));
			at = f + strlen(cases[i].want[k]);
		}
		for (k = 0; k < 5 && cases[i].not_want[k]; k++)
			if (strstr(sbuf_str(&out), cases[i].not_want[k]))
				fail_msg("%s: unexpected '%s' in:\n%s",
					 cases[i].name, cases[i].not_want[k],
					 sbuf_str(&out));
		sbuf_free(&out);
		plan_free(&p);
	}
}

/* Every step but sysctls has an undo; undo of iptables rules is -D of the
 * same rule; nft's is deleting the table. */
static void
test_undo(void **state)
{
	struct plan_opts o;
	struct plan p = { 0 };
	struct sbuf u = { 0 };
	char err[256];
	size_t i;

	(void)state;
	plan_opts_default(&o);
	t_v4_ipt(&o);
	assert_int_equal(plan_build(&o, &p, err, sizeof(err)), 0);
	for (i = 0; i < p.n; i++) {
		if (p.step[i].kind == STEP_SYSCTL) {
			assert_null(p.step[i].undo);
			continue;
		}
		assert_non_null(p.step[i].undo);
		plan_render_undo(&p.step[i], NULL, &u);
	}
	assert_non_null(strstr(sbuf_str(&u), "ip -4 rule del fwmark 0x1/0x1 "
			       "lookup 100\n"));
	assert_non_null(strstr(sbuf_str(&u), "iptables -w -t mangle -D "
			       "PREROUTING -j TPROXYD_PREROUTING\n"));
	assert_non_null(strstr(sbuf_str(&u), "iptables -w -t mangle -X "
			       "TPROXYD_DIVERT\n"));
	assert_non_null(strstr(sbuf_str(&u), "-D TPROXYD_DIVERT -j ACCEPT\n"));
	plan_free(&p);
	sbuf_reset(&u);

	plan_opts_default(&o);
	t_bridge(&o);
	assert_int_equal(plan_build(&o, &p, err, sizeof(err)), 0);
	plan_render_undo(&p.step[p.n - 1], NULL, &u);
	assert_string_equal(sbuf_str(&u), "nft 'delete table inet tproxyd; "
			    "delete table bridge tproxyd'\n");
	plan_free(&p);
	/* bridged QUIC: the netdev table goes too */
	sbuf_reset(&u);
	plan_opts_default(&o);
	t_https_bridge_ipt(&o);
	assert_int_equal(plan_build(&o, &p, err, sizeof(err)), 0);
	plan_render_undo(&p.step[p.n - 1], NULL, &u);
	assert_string_equal(sbuf_str(&u), "nft 'delete table bridge tproxyd; "
			    "delete table netdev tproxyd'\n");
	/* a sysctl's undo puts the previous value back */
	sbuf_reset(&u);
	plan_render_undo(&p.step[0], "0", &u);
	assert_string_equal(sbuf_str(&u), "sysctl -w net.ipv4.ip_forward=0\n");
	plan_free(&p);
	sbuf_free(&u);
}

/* iptables closed: the failed chain is emptied (-F) before it is
 * removed (-X; teardown runs undos in reverse), the closed chain's jump
 * goes before the chain. */
static void
test_undo_closed(void **state)
{
	struct plan_opts o;
	struct plan p = { 0 };
	struct sbuf u = { 0 };
	char err[256];
	const char *x, *f, *j, *c;
	size_t i;

	(void)state;
	plan_opts_default(&o);
	t_closed_ipt(&o);
	assert_int_equal(plan_build(&o, &p, err, sizeof(err)), 0);
	for (i = 0; i < p.n; i++)
		plan_render_undo(&p.step[i], NULL, &u);
	x = strstr(sbuf_str(&u), "iptables -w -t mangle -X TPROXYD_FAILED\n");
	f = strstr(sbuf_str(&u), "iptables -w -t mangle -F TPROXYD_FAILED\n");
	c = strstr(sbuf_str(&u), "iptables -w -t filter -X TPROXYD_CLOSED\n");
	j = strstr(sbuf_str(&u), "iptables -w -t filter -D FORWARD -j "
		   "TPROXYD_CLOSED\n");
	assert_non_null(x);
	assert_non_null(f);
	assert_non_null(c);
	assert_non_null(j);
	assert_true(x < f);
	assert_true(c < j);
	plan_free(&p);
	sbuf_free(&u);
}

/* The watchdog's decision for one port, reading by reading. */
static void
test_watch_step(void **state)
{
	static const struct {
		const char *name;
		struct { int lis; unsigned q; long long t; int failed;
			 int changed; } r[8];
		size_t n;
	} tc[] = {
		{ "healthy stays healthy",
		  { { 1, 0, 0, 0, 0 }, { 1, 0, 100, 0, 0 },
		    { 1, 3, 200, 0, 0 }, { 1, 0, 300, 0, 0 } }, 4 },
		{ "not listening fails at once, back after two healthy checks",
		  { { 0, 0, 0, 1, 1 }, { 0, 0, 100, 1, 0 },
		    { 1, 0, 200, 1, 0 }, { 1, 0, 300, 0, 1 } }, 4 },
		{ "queue never seen empty for overload ms: failed",
		  { { 1, 2, 0, 0, 0 }, { 1, 5, 400, 0, 0 },
		    { 1, 9, 999, 0, 0 }, { 1, 12, 1000, 1, 1 },
		    { 1, 12, 1100, 1, 0 }, { 1, 0, 1200, 1, 0 },
		    { 1, 0, 1300, 0, 1 } }, 7 },
		{ "a queue that empties between checks is not overload",
		  { { 1, 2, 0, 0, 0 }, { 1, 0, 600, 0, 0 },
		    { 1, 4, 700, 0, 0 }, { 1, 4, 1600, 0, 0 },
		    { 1, 4, 1700, 1, 1 } }, 5 },
		{ "a non-empty queue resets the recovery count",
		  { { 0, 0, 0, 1, 1 }, { 1, 0, 100, 1, 0 },
		    { 1, 1, 200, 1, 0 }, { 1, 0, 300, 1, 0 },
		    { 1, 0, 400, 0, 1 } }, 5 },
		{ "stuck queue while failed, then the listener goes: failed "
		  "all along", { { 1, 1, 0, 0, 0 }, { 1, 1, 1000, 1, 1 },
				 { 0, 0, 1100, 1, 0 }, { 1, 0, 1200, 1, 0 },
				 { 1, 0, 1300, 0, 1 } }, 5 },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		struct watch_port p = { 0 };

		p.busy_since = -1;
		p.listening = 1;
		for (k = 0; k < tc[i].n; k++) {
			int ch = watch_step(&p, tc[i].r[k].lis, tc[i].r[k].q,
					    tc[i].r[k].t, 1000);

			if (ch != tc[i].r[k].changed ||
			    p.failed != tc[i].r[k].failed)
				fail_msg("%s: reading %zu: failed %d changed "
					 "%d (want %d %d)", tc[i].name, k,
					 p.failed, ch, tc[i].r[k].failed,
					 tc[i].r[k].changed);
		}
	}
}

/* The plan is a pure function: same options, same text. */
static void
test_pure(void **state)
{
	struct plan_opts o;
	struct plan p1 = { 0 }, p2 = { 0 };
	struct sbuf a = { 0 }, b = { 0 };
	char err[256];

	(void)state;
	plan_opts_default(&o);
	t_iface_bypass(&o);
	assert_int_equal(plan_build(&o, &p1, err, sizeof(err)), 0);
	assert_int_equal(plan_build(&o, &p2, err, sizeof(err)), 0);
	plan_render(&p1, &a);
	plan_render(&p2, &b);
	assert_string_equal(sbuf_str(&a), sbuf_str(&b));
	plan_free(&p1);
	plan_free(&p2);
	sbuf_free(&a);
	sbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_cases),
		cmocka_unit_test(test_undo),
		cmocka_unit_test(test_undo_closed),
		cmocka_unit_test(test_watch_step),
		cmocka_unit_test(test_pure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
