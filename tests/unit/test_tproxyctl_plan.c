/*
 * test_tproxyctl_plan.c - the pure plan of tproxyctl (tools/tproxyctl/
 * plan.c and the builders in nft.c, ipt.c, route.c, sysctl.c): options in,
 * steps and their text out. Table-driven; nothing here touches the system.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/tproxyctl/plan.h"

/* One case: options tweaked from the defaults, then strings that must
 * (and must not) appear in the rendered plan, in order for `in_order`. */
struct pcase {
	const char *name;
	void (*tweak)(struct plan_opts *o);
	const char *want[12];	/* must appear, in this order */
	const char *not_want[4];
};

static void t_default(struct plan_opts *o) { (void)o; }

static void
t_v4_ipt(struct plan_opts *o)
{
	o->backend = PLAN_IPT;
	o->families = PLAN_V4;
	o->dport[1] = 8080;
	o->ndport = 2;
	snprintf(o->bypass[0], 64, "198.18.9.0/24");
	o->nbypass = 1;
}

static void
t_v6_nft_addr(struct plan_opts *o)
{
	o->families = PLAN_V6;
	o->to[1].port = 3130;
	snprintf(o->to[1].addr, sizeof(o->to[1].addr), "2001:db8:1::1");
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

static const struct pcase cases[] = {
	{ "default: nft, both families, sysctls then routing then rules",
	  t_default,
	  { "sysctl -w net.ipv4.ip_forward=1",
	    "sysctl -w net.ipv4.conf.all.rp_filter=0",
	    "sysctl -w net.ipv4.conf.default.rp_filter=0",
	    "sysctl -w net.ipv6.conf.all.forwarding=1",
	    "ip -4 rule add fwmark 0x1/0x1 lookup 100",
	    "ip -4 route add local 0.0.0.0/0 dev lo table 100",
	    "ip -6 rule add fwmark 0x1/0x1 lookup 100",
	    "ip -6 route add local ::/0 dev lo table 100",
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
	    "ip -6 rule add fwmark 0x10/0xff lookup 42",
	    "ip -6 route add local ::/0 dev lo table 42",
	    "meta nfproto ipv6 meta l4proto tcp tcp flags & (syn|ack) != syn "
	    "socket transparent 1 "
	    "meta mark set meta mark & 0xffffff00 | 0x00000010 accept",
	    "tproxy ip6 to [2001:db8:1::1]:3130" },
	  { "rp_filter", "ip -4", "tproxy ip to", NULL } },
	{ "interfaces: rp_filter per interface, iifname set", t_iface_bypass,
	  { "sysctl -w net.ipv4.conf.r0.rp_filter=0",
	    "sysctl -w net.ipv4.conf.eth0.100.rp_filter=0",
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
	{ "mask 0xffffffff: plain mark", t_full_mask,
	  { "ip -4 rule add fwmark 0x1 lookup 100",
	    "meta mark set 0x00000001 accept" },
	  { "0xfffffffe", NULL } },
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
		for (k = 0; k < 12 && cases[i].want[k]; k++) {
			const char *f = strstr(at, cases[i].want[k]);

			if (f == NULL)
				fail_msg("%s: missing (or out of order) '%s' "
					 "in:\n%s", cases[i].name,
					 cases[i].want[k], sbuf_str(&out));
			at = f + strlen(cases[i].want[k]);
		}
		for (k = 0; k < 4 && cases[i].not_want[k]; k++)
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
	/* a sysctl's undo puts the previous value back */
	sbuf_reset(&u);
	plan_render_undo(&p.step[0], "0", &u);
	assert_string_equal(sbuf_str(&u), "sysctl -w net.ipv4.ip_forward=0\n");
	plan_free(&p);
	sbuf_free(&u);
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

static void b_noport(struct plan_opts *o) { o->ndport = 0; }
static void b_mark(struct plan_opts *o) { o->mark = 0x3; o->mask = 0x1; }
static void b_table(struct plan_opts *o) { o->table = 254; }
static void
b_bypass(struct plan_opts *o)
{
	snprintf(o->bypass[0], 64, "198.18.999.0/24");
	o->nbypass = 1;
}
static void b_tport(struct plan_opts *o) { o->to[1].port = 0; }
static void b_bridge(struct plan_opts *o) { o->bridge = 1; }

static const struct bad_case bad_cases[] = {
	{ "no dport", b_noport, "no port to intercept" },
	{ "mark outside mask", b_mark, "not inside its mask" },
	{ "reserved table", b_table, "reserved" },
	{ "bad bypass", b_bypass, "is not a CIDR" },
	{ "no IPv6 tproxy port", b_tport, "no tproxy port" },
	{ "bridge without ports", b_bridge, "--bridge needs" },
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_cases),
		cmocka_unit_test(test_undo),
		cmocka_unit_test(test_pure),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
