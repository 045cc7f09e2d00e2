/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tproxyctl_plan_opts.c - what tproxyctl's plan takes in
 * (tools/tproxyctl/): options it refuses, the parsers of marks, ports and
 * prefixes, what conf.c takes from a configuration, the summary;
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

#include "plan_tweaks.h"

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
