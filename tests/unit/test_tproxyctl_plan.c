/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tproxyctl_plan.c - the pure plan of tproxyctl (tools/tproxyctl/
 * plan.c and the builders in nft.c, ipt.c, route.c, sysctl.c): options in,
 * steps and their text out; what conf.c takes from a configuration;
 * interface names, sysctl keys and `ip rule` keys (util.c, sysctl.c,
 * repair.c).
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

/* One case: options tweaked from the defaults, then strings that must
 * (and must not) appear in the rendered plan, in order for `in_order`. */
struct pcase {
	const char *name;
	void (*tweak)(struct plan_opts *o);
	const char *want[14];	/* must appear, in this order */
	const char *not_want[5];
};

static void t_default(struct plan_opts *o) { (void)o; }
static void t_pref(struct plan_opts *o) { o->rule_pref = 5000; }

static void
t_v4_ipt(struct plan_opts *o)
{
	o->backend = PLAN_IPT;
	o->families = PLAN_V4;
	o->map[PLAN_HTTP].dport[1] = 8080;
	o->map[PLAN_HTTP].ndport = 2;
	snprintf(o->bypass[0], 64, "198.18.9.0/24");
	o->nbypass = 1;
}

static void
t_v6_nft_addr(struct plan_opts *o)
{
	o->families = PLAN_V6;
	o->map[PLAN_HTTP].to[1].port = 3130;
	snprintf(o->map[PLAN_HTTP].to[1].addr,
		 sizeof(o->map[PLAN_HTTP].to[1].addr), "2001:db8:1::1");
	o->mark = 0x10;
	o->mask = 0xff;
	o->table = 42;
}

static void
t_iface_bypass(struct plan_opts *o)
{
	snprintf(o->iface[0], IFNAMSIZ, "r0");
	snprintf(o->iface[1], IFNAMSIZ, "eth0.100");
	o->niface = 2;
	snprintf(o->bypass[0], 64, "2001:db8:9::/48");
	o->nbypass = 1;
}

static void
t_bridge(struct plan_opts *o)
{
	o->bridge = 1;
	snprintf(o->br_client, IFNAMSIZ, "b0");
	snprintf(o->br_inet, IFNAMSIZ, "b1");
	snprintf(o->br_dev, IFNAMSIZ, "br0");
	snprintf(o->br_mac, sizeof(o->br_mac), "02:00:00:00:00:01");
}

static void
t_full_mask(struct plan_opts *o)
{
	o->mark = 0x1;
	o->mask = 0xffffffff;
}

/* --https-port 3130 (both families): HTTPS mapped, QUIC refused (auto). */
static void
t_https(struct plan_opts *o)
{
	o->map[PLAN_HTTPS].to[0].port = o->map[PLAN_HTTPS].to[1].port = 3130;
}

static void
t_https_ipt(struct plan_opts *o)
{
	t_https(o);
	t_v4_ipt(o);
	o->map[PLAN_HTTPS].dport[1] = 8443;
	o->map[PLAN_HTTPS].ndport = 2;
}

static void
t_https_ipt6_iface(struct plan_opts *o)
{
	t_https(o);
	o->backend = PLAN_IPT;
	o->families = PLAN_V6;
	snprintf(o->iface[0], IFNAMSIZ, "r0");
	o->niface = 1;
}

static void
t_https_quic_pass(struct plan_opts *o)
{
	t_https(o);
	o->quic = PLAN_QUIC_PASS;
}

/* --quic block without HTTPS interception: refused all the same. */
static void
t_quic_block_only(struct plan_opts *o)
{
	o->quic = PLAN_QUIC_BLOCK;
}

/* HTTPS for IPv4 only (an https_port with an IPv4 address): QUIC auto
 * refused for IPv4 only. */
static void
t_https_v4_only(struct plan_opts *o)
{
	o->map[PLAN_HTTPS].to[0].port = 3130;
	snprintf(o->map[PLAN_HTTPS].to[0].addr,
		 sizeof(o->map[PLAN_HTTPS].to[0].addr), "198.18.1.1");
	snprintf(o->bypass[0], 64, "198.18.9.0/24");
	o->nbypass = 1;
}

/* Only HTTPS: the HTTP mapping off (no http_port tproxy). */
static void
t_https_only(struct plan_opts *o)
{
	t_https(o);
	o->map[PLAN_HTTP].to[0].port = o->map[PLAN_HTTP].to[1].port = 0;
}

static void
t_https_bridge(struct plan_opts *o)
{
	t_https(o);
	t_bridge(o);
}

static void
t_https_bridge_ipt(struct plan_opts *o)
{
	t_https_bridge(o);
	o->backend = PLAN_IPT;
	o->families = PLAN_V4;
}

/* --on-failure closed, with and without more options. */
static void
t_closed(struct plan_opts *o)
{
	o->on_failure = PLAN_FAIL_CLOSED;
}

static void
t_closed_https_iface(struct plan_opts *o)
{
	t_closed(o);
	t_https(o);
	t_iface_bypass(o);
}

static void
t_closed_ipt(struct plan_opts *o)
{
	t_closed(o);
	t_v4_ipt(o);
}

static void
t_closed_ipt6_iface(struct plan_opts *o)
{
	t_closed(o);
	t_https_ipt6_iface(o);
}

static void
t_closed_v6(struct plan_opts *o)
{
	t_closed(o);
	o->families = PLAN_V6;
}

/* UDP: --udp-ports 53,443 --udp-port 3131 (HTTPS intercepted too). */
static void
t_udp(struct plan_opts *o)
{
	o->udp.dport[0] = 53;
	o->udp.dport[1] = 443;
	o->udp.ndport = 2;
	o->udp.to[0].port = o->udp.to[1].port = 3131;
	o->map[PLAN_HTTPS].to[0].port = o->map[PLAN_HTTPS].to[1].port = 3130;
}

static void
t_udp_ipt4(struct plan_opts *o)
{
	t_udp(o);
	o->backend = PLAN_IPT;
	o->families = PLAN_V4;
}

/* UDP 53 only: QUIC to 443 still refused (HTTPS intercepted). */
static void
t_udp_dns(struct plan_opts *o)
{
	t_udp(o);
	o->udp.ndport = 1;
}

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

struct bad_case {
	const char *name;
	void (*tweak)(struct plan_opts *o);
	const char *err;
};

static void b_noport(struct plan_opts *o) { o->map[PLAN_HTTP].ndport = 0; }
static void b_mark(struct plan_opts *o) { o->mark = 0x3; o->mask = 0x1; }
static void b_table(struct plan_opts *o) { o->table = 254; }
static void
b_bypass(struct plan_opts *o)
{
	snprintf(o->bypass[0], 64, "198.18.999.0/24");
	o->nbypass = 1;
}
static void
b_tport(struct plan_opts *o)
{
	o->map[PLAN_HTTP].to[1].port = 0;
}
static void b_bridge(struct plan_opts *o) { o->bridge = 1; }
static void
b_overlap(struct plan_opts *o)
{
	t_https(o);
	o->map[PLAN_HTTP].dport[1] = 443;
	o->map[PLAN_HTTP].ndport = 2;
}
static void
b_same_port(struct plan_opts *o)
{
	o->map[PLAN_HTTPS].to[0].port = 3129;
}

static void b_pref0(struct plan_opts *o) { o->rule_pref = 0; }
static void b_pref_main(struct plan_opts *o) { o->rule_pref = 32766; }
static void b_pref1(struct plan_opts *o) { o->rule_pref = 1; }
static void
b_iface_semicolon(struct plan_opts *o)
{
	snprintf(o->iface[0], IFNAMSIZ, "lan;reboot");
	o->niface = 1;
}
static void
b_iface_at(struct plan_opts *o)
{
	snprintf(o->iface[0], IFNAMSIZ, "eth0@if5");
	o->niface = 1;
}

static void
b_udp_noport(struct plan_opts *o)
{
	o->udp.dport[0] = 53;
	o->udp.ndport = 1;
}

static void
b_udp_quic(struct plan_opts *o)
{
	t_udp(o);
	o->quic = PLAN_QUIC_BLOCK;
}

static const struct bad_case bad_cases[] = {
	{ "--udp-ports without a udp_port", b_udp_noport,
	  "no UDP tproxy port for --udp-ports" },
	{ "--quic block and UDP 443 intercepted", b_udp_quic,
	  "--quic block refuses UDP to the HTTPS ports that --udp-ports "
	  "intercepts" },
	{ "rule preference 0", b_pref0, "rule preference 0 is not usable" },
	{ "rule preference 1: none left for iif lo", b_pref1,
	  "rule preference 1 is not usable" },
	{ "rule preference of main", b_pref_main,
	  "rule preference 32766 is not usable" },
	{ "interface with ';'", b_iface_semicolon,
	  "bad interface name 'lan;reboot': ';' is not accepted" },
	{ "interface shown as NAME@PEER", b_iface_at,
	  "give only the name ('eth0')" },
	{ "no dport", b_noport, "no port to intercept" },
	{ "mark outside mask", b_mark, "not inside its mask" },
	{ "reserved table", b_table, "reserved" },
	{ "bad bypass", b_bypass, "is not a CIDR" },
	{ "no IPv6 tproxy port", b_tport, "no tproxy port" },
	{ "bridge without ports", b_bridge, "--bridge needs" },
	{ "port in both mappings", b_overlap,
	  "port 443 is in both --ports (HTTP) and --https-ports" },
	{ "HTTP and HTTPS to one tproxy port", b_same_port,
	  "HTTPS needs a port of its own" },
};

static void
test_bad_options(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct plan_opts o;
		struct plan p = { 0 };
		char err[256] = "";

		plan_opts_default(&o);
		bad_cases[i].tweak(&o);
		if (plan_build(&o, &p, err, sizeof(err)) != -1 ||
		    strstr(err, bad_cases[i].err) == NULL)
			fail_msg("%s: got '%s'", bad_cases[i].name, err);
		plan_free(&p);
	}
}

static void
test_parsers(void **state)
{
	static const struct {
		const char *in;
		int ok;
		uint32_t m, k;
	} marks[] = {
		{ "0x1/0x1", 0, 1, 1 }, { "1", 0, 1, 0xffffffff },
		{ "0x10/0xf0", 0, 0x10, 0xf0 }, { "0x3/0x1", -1, 0, 0 },
		{ "0", -1, 0, 0 }, { "x", -1, 0, 0 }, { "1/", -1, 0, 0 },
	};
	static const struct { const char *in; int ok; size_t n; } ports[] = {
		{ "80", 0, 1 }, { "80,8080", 0, 2 }, { "80,80", 0, 1 },
		{ "0", -1, 0 }, { "70000", -1, 0 }, { "80,", 0, 1 },
		{ "a", -1, 0 }, { "", -1, 0 },
	};
	static const struct { const char *in; int ok, fam; } cidrs[] = {
		{ "198.18.0.0/15", 0, PLAN_V4 },
		{ "2001:db8::/32", 0, PLAN_V6 },
		{ "198.18.1.1", 0, PLAN_V4 }, { "198.18.0.0/33", -1, 0 },
		{ "2001:db8::/129", -1, 0 }, { "nope", -1, 0 },
	};
	size_t i, n;
	uint32_t m, k;
	unsigned pv[PLAN_MAX_PORTS];
	int fam;

	(void)state;
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		int rc = plan_parse_mark(marks[i].in, &m, &k);

		if (rc != marks[i].ok || (rc == 0 && (m != marks[i].m ||
						     k != marks[i].k)))
			fail_msg("mark '%s'", marks[i].in);
	}
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		int rc = plan_parse_ports(ports[i].in, pv, PLAN_MAX_PORTS, &n);

		if (rc != ports[i].ok || (rc == 0 && n != ports[i].n))
			fail_msg("ports '%s'", ports[i].in);
	}
	for (i = 0; i < sizeof(cidrs) / sizeof(cidrs[0]); i++) {
		int rc = plan_parse_cidr(cidrs[i].in, &fam);

		if (rc != cidrs[i].ok || (rc == 0 && fam != cidrs[i].fam))
			fail_msg("cidr '%s'", cidrs[i].in);
	}
}

/* A port line as the parser leaves it: ADDR ("" = wildcard), port. */
static void
port_line(struct cfg_port *p, const char *addr, unsigned port,
	  enum port_mode mode, int https, int ssl_bump)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->https = https ? 1 : 0;
	p->ssl_bump = ssl_bump ? 1 : 0;
	p->file = "t.conf";
	if (addr[0] == '\0' || strchr(addr, ':') == NULL) {
		struct sockaddr_in *a = (struct sockaddr_in *)(void *)&p->addr;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		p->wildcard = addr[0] == '\0';
		if (addr[0])
			inet_pton(AF_INET, addr, &a->sin_addr);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)
			&p->addr;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
	}
}

/* What -f gives each mapping: http_port and https_port lines, kinds given
 * on the command line left alone, families from the lines. */
static void
test_conf_targets(void **state)
{
	static const struct {
		const char *name;
		struct { const char *addr; unsigned port; int mode, https,
			 bump; } line[4];
		int skip_http, skip_https;
		int want_found, want_fams;
		unsigned http4, http6, https4, https6;
		const char *https4_addr;
	} tc[] = {
		{ "http_port only: HTTPS stays off",
		  { { "", 3129, PORT_TPROXY, 0, 0 } }, 0, 0,
		  PLAN_BOTH, PLAN_BOTH, 3129, 3129, 0, 0, "" },
		{ "http_port and https_port ... ssl-bump",
		  { { "", 3129, PORT_TPROXY, 0, 0 },
		    { "", 3130, PORT_TPROXY, 1, 1 } }, 0, 0,
		  PLAN_BOTH, PLAN_BOTH, 3129, 3129, 3130, 3130, "" },
		{ "an ssl-bump https_port wins over an earlier plain one",
		  { { "", 3129, PORT_TPROXY, 0, 0 },
		    { "", 3131, PORT_TPROXY, 1, 0 },
		    { "", 3130, PORT_TPROXY, 1, 1 } }, 0, 0,
		  PLAN_BOTH, PLAN_BOTH, 3129, 3129, 3130, 3130, "" },
		{ "https_port only: HTTP off",
		  { { "", 3130, PORT_TPROXY, 1, 1 },
		    { "", 3128, PORT_FORWARD, 0, 0 } }, 0, 0,
		  PLAN_BOTH, PLAN_BOTH, 0, 0, 3130, 3130, "" },
		{ "https_port on an IPv4 address: HTTPS for IPv4 only",
		  { { "", 3129, PORT_TPROXY, 0, 0 },
		    { "198.18.1.1", 3130, PORT_TPROXY, 1, 1 } }, 0, 0,
		  PLAN_BOTH, PLAN_BOTH, 3129, 3129, 3130, 0, "198.18.1.1" },
		{ "intercept-mode https_port is not a tproxy target",
		  { { "", 3129, PORT_TPROXY, 0, 0 },
		    { "", 3130, PORT_INTERCEPT, 1, 1 } }, 0, 0,
		  PLAN_BOTH, PLAN_BOTH, 3129, 3129, 0, 0, "" },
		{ "IPv6 lines only: families ipv6",
		  { { "2001:db8:1::1", 3129, PORT_TPROXY, 0, 0 },
		    { "2001:db8:1::1", 3130, PORT_TPROXY, 1, 1 } }, 0, 0,
		  PLAN_V6, PLAN_V6, 0, 3129, 0, 3130, "" },
		{ "--https-port given: the https_port line is not used",
		  { { "", 3129, PORT_TPROXY, 0, 0 },
		    { "", 3130, PORT_TPROXY, 1, 1 } }, 0, 1,
		  PLAN_BOTH, PLAN_BOTH, 3129, 3129, 4430, 4430, "" },
		{ "--port given, an IPv4 https_port: both families covered",
		  { { "198.18.1.1", 3130, PORT_TPROXY, 1, 1 } }, 1, 0,
		  PLAN_BOTH, PLAN_BOTH, 8080, 8080, 3130, 0, "198.18.1.1" },
		{ "no tproxy line: nothing changes",
		  { { "", 3128, PORT_FORWARD, 0, 0 } }, 0, 0,
		  0, PLAN_BOTH, 3129, 3129, 0, 0, "" },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		struct cfg_port ports[4];
		struct plan_opts o;
		struct cfg c;
		int found;

		memset(&c, 0, sizeof(c));
		for (k = 0; k < 4 && tc[i].line[k].port; k++)
			port_line(&ports[k], tc[i].line[k].addr,
				  tc[i].line[k].port,
				  (enum port_mode)tc[i].line[k].mode,
				  tc[i].line[k].https,
				  tc[i].line[k].bump);
		c.port = ports;
		c.nport = k;
		plan_opts_default(&o);
		if (tc[i].skip_http)
			o.map[PLAN_HTTP].to[0].port =
				o.map[PLAN_HTTP].to[1].port = 8080;
		if (tc[i].skip_https)
			o.map[PLAN_HTTPS].to[0].port =
				o.map[PLAN_HTTPS].to[1].port = 4430;
		found = conf_targets(&c, 0, tc[i].skip_http,
				     tc[i].skip_https, &o);
		if (found != tc[i].want_found ||
		    o.families != tc[i].want_fams ||
		    o.map[PLAN_HTTP].to[0].port != tc[i].http4 ||
		    o.map[PLAN_HTTP].to[1].port != tc[i].http6 ||
		    o.map[PLAN_HTTPS].to[0].port != tc[i].https4 ||
		    o.map[PLAN_HTTPS].to[1].port != tc[i].https6 ||
		    strcmp(o.map[PLAN_HTTPS].to[0].addr,
			   tc[i].https4_addr) != 0)
			fail_msg("%s: found %d families %d http %u/%u https "
				 "%u/%u addr '%s'", tc[i].name, found,
				 o.families, o.map[PLAN_HTTP].to[0].port,
				 o.map[PLAN_HTTP].to[1].port,
				 o.map[PLAN_HTTPS].to[0].port,
				 o.map[PLAN_HTTPS].to[1].port,
				 o.map[PLAN_HTTPS].to[0].addr);
	}
}

/* The one-line summary (setup's last line, status) and the QUIC
 * decision behind it. */
static void
test_summary(void **state)
{
	static const struct {
		void (*tweak)(struct plan_opts *o);
		int quic_fams;
		const char *want;
	} tc[] = {
		{ t_default, 0, "http 80 -> 3129" },
		{ t_https, PLAN_BOTH, "http 80 -> 3129, https 443 -> 3130; "
		  "QUIC blocked (udp 443 refused)" },
		{ t_https_quic_pass, 0, "http 80 -> 3129, https 443 -> 3130; "
		  "QUIC passes (--quic pass)" },
		{ t_https_v4_only, PLAN_V4, "http 80 -> 3129, https 443 -> "
		  "3130 (ipv4 only); QUIC blocked (udp 443 refused, ipv4 "
		  "only)" },
		{ t_quic_block_only, PLAN_BOTH, "http 80 -> 3129; QUIC "
		  "blocked (udp 443 refused)" },
		{ t_https_only, PLAN_BOTH, "https 443 -> 3130; QUIC blocked "
		  "(udp 443 refused)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		struct plan_opts o;
		struct sbuf b = { 0 };

		plan_opts_default(&o);
		tc[i].tweak(&o);
		plan_summary(&o, &b);
		if (plan_quic_families(&o) != tc[i].quic_fams ||
		    strcmp(sbuf_str(&b), tc[i].want) != 0)
			fail_msg("case %zu: quic %d (want %d), '%s' (want "
				 "'%s')", i, plan_quic_families(&o),
				 tc[i].quic_fams, sbuf_str(&b),
				 tc[i].want);
		sbuf_free(&b);
	}
}

/* Interface names: what passes on to ip, nft, iptables, sysctl and the
 * shell, and why the others do not. */
static void
test_ifname(void **state)
{
	static const struct {
		const char *name;
		const char *err;	/* NULL: accepted */
	} tc[] = {
		{ "eth0", NULL }, { "lan.100", NULL }, { "br-lan", NULL },
		{ "wg_0", NULL }, { "abcdefghijklmno", NULL },
		{ "abcdefghijklmnop", "1 to 15 characters" },
		{ "", "1 to 15 characters" }, { ".", "bad interface" },
		{ "..", "bad interface" },
		{ "eth0@if5", "NAME@PEER; give only the name ('eth0')" },
		{ "a/b", "'/' is not accepted" },
		{ "a:1", "':' is not accepted" },
		{ "a b", "space or control" }, { "a\tb", "space or control" },
		{ "a'b", "''' is not accepted" },
		{ "a\"b", "'\"' is not accepted" },
		{ "a\\b", "'\\' is not accepted" },
		{ "a;b", "';' is not accepted" },
		{ "a$b", "'$' is not accepted" },
		{ "a`b", "'`' is not accepted" },
		{ "eth*", "'*' is not accepted" },
		{ "eth+", "'+' is not accepted" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		char err[256] = "";
		int rc = ifname_check(tc[i].name, err, sizeof(err));

		if (tc[i].err == NULL && rc != 0)
			fail_msg("'%s' refused: %s", tc[i].name, err);
		if (tc[i].err && (rc != -1 || strstr(err, tc[i].err) == NULL))
			fail_msg("'%s': got '%s', want '%s'", tc[i].name, err,
				 tc[i].err);
	}
}

/* An interface's sysctl key as sysctl(8) reads it: its dots as '/'. */
static void
test_sysctl_key(void **state)
{
	static const struct {
		const char *ifname, *key;
	} tc[] = {
		{ "eth0", "net.ipv4.conf.eth0.rp_filter" },
		{ "lan.100", "net.ipv4.conf.lan/100.rp_filter" },
		{ "a.b.c", "net.ipv4.conf.a/b/c.rp_filter" },
		{ "br-lan", "net.ipv4.conf.br-lan.rp_filter" },
	};
	char key[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		sysctl_if_key("net.ipv4.conf", tc[i].ifname, "rp_filter", key,
			      sizeof(key));
		assert_string_equal(key, tc[i].key);
	}
}

/* `ip rule show` lines and `ip rule add` commands reduced to the same key
 * (repair.c tells by it whether a rule is tproxyctl's, and where it is). */
static void
test_rule_key(void **state)
{
	static const struct {
		const char *words;	/* split at blanks */
		const char *key;
		unsigned    pref;
	} tc[] = {
		{ "from all fwmark 0x1/0x1 lookup 100",
		  "fwmark 0x1/0x1 lookup 100", 0 },
		{ "pref 100 fwmark 0x1/0x1 lookup 100",
		  "fwmark 0x1/0x1 lookup 100", 100 },
		{ "fwmark 0x1/0x1 table 100 priority 7",
		  "fwmark 0x1/0x1 lookup 100", 7 },
		{ "from all iif lo fwmark 0x1/0x1 lookup 100",
		  "fwmark 0x1/0x1 iif lo lookup 100", 0 },
		{ "iif lo fwmark 0x1/0x1 lookup 100",
		  "fwmark 0x1/0x1 iif lo lookup 100", 0 },
		{ "from 198.18.77.0/24 lookup 100",
		  "from 198.18.77.0/24 lookup 100", 0 },
		{ "from all lookup main suppress_prefixlength 0",
		  "lookup main suppress_prefixlength 0", 0 },
		{ "not from all fwmark 0xca6c lookup 51820",
		  "fwmark 0xca6c lookup 51820 not", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		char buf[256], *w[32], key[256];
		size_t n = 0;
		unsigned pref = 99999;

		snprintf(buf, sizeof(buf), "%s", tc[i].words);
		for (w[n] = strtok(buf, " "); w[n] && n < 31;
		     w[++n] = strtok(NULL, " "))
			;
		w[n] = NULL;
		repair_rule_key(w, key, sizeof(key), &pref);
		if (strcmp(key, tc[i].key) != 0 || pref != tc[i].pref)
			fail_msg("'%s': got '%s' pref %u, want '%s' pref %u",
				 tc[i].words, key, pref, tc[i].key,
				 tc[i].pref);
	}
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
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_conf_targets),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_sysctl_key),
		cmocka_unit_test(test_rule_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
