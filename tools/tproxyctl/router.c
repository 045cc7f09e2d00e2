/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * router.c - a proxy box BEHIND the router (Squid's TPROXY v4 guide,
 * "Timeouts with Squid not running in the router directly").
 *
 * The proxy box itself needs the usual setup (TPROXY rules, policy
 * routing, sysctls: plan.c): the router hands it packets addressed to
 * servers. What differs is the router, which tproxyctl does not manage
 * (it may not even run Linux), so its part is printed:
 *
 *   - port 80 from the clients -> the proxy box (policy routing by a mark);
 *   - the servers' replies (source port 80, arriving on the router's
 *     Internet side) -> the proxy box too: they are addressed to the
 *     clients, but the proxy holds those connections (spoofing), so a
 *     reply going straight to the client is what makes connections hang;
 *   - the proxy's own connections to the servers must NOT be sent back to
 *     it, and they carry the clients' addresses: "IP address rules are
 *     the one thing guaranteed to fail". tproxyd marks them with a TOS
 *     (tcp_outgoing_tos), and the router's first rule lets packets with
 *     that DSCP through;
 *   - with QUIC refused (HTTPS intercepted), the clients' UDP to the HTTPS
 *     ports never reaches the proxy box: the router refuses it itself.
 *
 * "Port 80" above stands for every intercepted port, HTTP and HTTPS.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "router.h"

int
router_check(const struct router_opts *r, const struct plan_opts *o,
	     char *err, size_t errlen)
{
	if (r->wan[0] == '\0') {
		snprintf(err, errlen, "--behind-router needs --router-wan IF: "
			 "the router's interface toward the Internet, where "
			 "the servers' replies arrive");
		return -1;
	}
	if (r->tos <= 0) {
		snprintf(err, errlen, "--behind-router needs the TOS tproxyd "
			 "puts on its server connections: add "
			 "`tcp_outgoing_tos 0x20 all` to tproxyd.conf (-f) or "
			 "give --tos 0x20; without it the router cannot tell "
			 "the proxy's connections (which carry the clients' "
			 "addresses) from the clients' own");
		return -1;
	}
	if ((o->families & PLAN_V4) && r->addr4[0] == '\0') {
		snprintf(err, errlen, "--behind-router needs the proxy box's "
			 "IPv4 address (as the router reaches it), or "
			 "--family ipv6");
		return -1;
	}
	if ((o->families & PLAN_V6) && r->addr6[0] == '\0') {
		snprintf(err, errlen, "--behind-router needs the proxy box's "
			 "IPv6 address (as the router reaches it), or "
			 "--family ipv4");
		return -1;
	}
	return 0;
}

/* The intercepted TCP ports of either family as an nft set. */
static void
ports(const struct plan_opts *o, struct sbuf *out)
{
	unsigned port[PLAN_MAX_PORTS * PLAN_NKIND];
	char list[sizeof(port) / sizeof(port[0]) * 7];
	size_t n = plan_all_dports(o, PLAN_BOTH, port,
				   sizeof(port) / sizeof(port[0]));

	plan_format_ports(port, n, ", ", list, sizeof(list));
	sbuf_printf(out, "{ %s }", list);
}

/* " meta mark set ... accept": the bits of the mask only. */
static void
set_mark(const struct plan_opts *o, struct sbuf *out)
{
	if (o->mask == 0xffffffffU)
		sbuf_printf(out, " meta mark set 0x%x accept\n", o->mark);
	else
		sbuf_printf(out, " meta mark set meta mark and 0x%x or 0x%x "
			    "accept\n", ~o->mask, o->mark);
}

void
router_render(const struct router_opts *r, const struct plan_opts *o,
	      struct sbuf *out)
{
	static const char *fam[2] = { "4", "6" };
	const char *addr[2] = { r->addr4, r->addr6 };
	char mark[64];
	int f;

	plan_format_mark(o->mark, o->mask, mark, sizeof(mark));
	sbuf_printf(out,
		    "\n# ---- On the ROUTER, not on this proxy box: tproxyctl "
		    "does not run these. ----\n"
		    "# Squid's TPROXY v4 guide, \"Timeouts with Squid not "
		    "running in the router\n# directly\". The proxy's server "
		    "connections carry the clients' addresses; they\n"
		    "# are told apart by the TOS tproxyd sets "
		    "(tcp_outgoing_tos 0x%02x = DSCP 0x%02x).\n"
		    "# Clients' requests and the servers' replies (arriving on "
		    "%s) go to the\n# proxy box by policy routing "
		    "(mark %s, table %u).\n"
		    "nft -f - <<'EOF'\n"
		    "table inet tproxyd_router {\n"
		    "\tchain prerouting {\n"
		    "\t\ttype filter hook prerouting priority mangle; "
		    "policy accept;\n", r->tos, r->tos >> 2, r->wan, mark,
		    o->table);
	if (o->families & PLAN_V4) {
		sbuf_printf(out, "\t\tip dscp 0x%02x tcp dport ", r->tos >> 2);
		ports(o, out);
		sbuf_add(out, " accept\n");
	}
	if (o->families & PLAN_V6) {
		sbuf_printf(out, "\t\tip6 dscp 0x%02x tcp dport ",
			    r->tos >> 2);
		ports(o, out);
		sbuf_add(out, " accept\n");
	}
	sbuf_printf(out, "\t\tiifname != \"%s\" tcp dport ", r->wan);
	ports(o, out);
	set_mark(o, out);
	sbuf_printf(out, "\t\tiifname \"%s\" tcp sport ", r->wan);
	ports(o, out);
	set_mark(o, out);
	sbuf_add(out, "\t}\n");
	if (plan_quic_families(o)) {
		const struct plan_map *m = &o->map[PLAN_HTTPS];
		char list[PLAN_MAX_PORTS * 7];
		int qf = plan_quic_families(o);

		plan_format_ports(m->dport, m->ndport, ", ", list,
				  sizeof(list));
		sbuf_printf(out, "\t# QUIC (HTTP/3) from the clients is "
			    "refused: browsers fall back to TCP,\n\t# which "
			    "goes to the proxy box.\n"
			    "\tchain forward {\n"
			    "\t\ttype filter hook forward priority filter; "
			    "policy accept;\n"
			    "\t\t%s%siifname != \"%s\" udp dport { %s } "
			    "reject with icmpx type port-unreachable\n\t}\n",
			    qf == PLAN_BOTH ? "" : "meta nfproto ",
			    qf == PLAN_BOTH ? "" : qf == PLAN_V4 ? "ipv4 " :
			    "ipv6 ", r->wan, list);
	}
	sbuf_add(out, "}\nEOF\n");
	for (f = 0; f < 2; f++) {
		if (!(o->families & (f ? PLAN_V6 : PLAN_V4)))
			continue;
		sbuf_printf(out, "ip -%s rule add fwmark %s lookup %u\n"
			    "ip -%s route add default via %s table %u\n",
			    fam[f], mark, o->table, fam[f], addr[f],
			    o->table);
	}
}
