/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nft.c - the nftables backend.
 *
 * Everything lives in tproxyctl's own `table inet tproxyd` (and, with
 * --bridge, `table bridge tproxyd`, plus `table netdev tproxyd` for
 * bridged QUIC), so that teardown is "delete the tables" (nft_undo()) and
 * nothing written by anyone else is ever touched. The script
 * starts with the create-then-delete idiom so that running it again
 * replaces the table instead of adding a second copy of every rule, and
 * `nft -f -` applies the whole file as one transaction: either the new
 * ruleset is in place or the old one still is.
 *
 * QUIC (--quic block): UDP to the HTTPS ports is refused in a forward
 * chain of the same table (`reject` is not allowed in prerouting). With
 * --bridge, bridged UDP never meets that chain: it is refused as it
 * arrives on the client-side bridge port, in `table netdev tproxyd`
 * (ingress hook of that port). Not in the bridge family, whose reject
 * (CONFIG_NFT_BRIDGE_REJECT) many kernels lack; and not by handing the
 * frames to the routing path like the TCP ports: forwarded back out of
 * the bridge they came in on, IPv4 packets make the kernel send an ICMP
 * redirect first, which uses up the ICMP rate limit for that client, so
 * the port unreachable is not sent (seen with net.ipv4.icmp_ratelimit at
 * its default; with 0 it is).
 */
#include <stdio.h>
#include <string.h>

#include "nft.h"
#include "plan.h"

/* "meta mark set ..." giving TPROXY's --tproxy-mark semantics:
 * mark = (mark & ~mask) | value. */
static void
mark_set(const struct plan_opts *o, struct sbuf *b)
{
	if (o->mask == 0xffffffffU)
		sbuf_printf(b, "meta mark set 0x%08x", o->mark);
	else
		sbuf_printf(b, "meta mark set meta mark & 0x%08x | 0x%08x",
			    ~o->mask, o->mark);
}

static void
port_set(const unsigned *port, size_t n, struct sbuf *b)
{
	size_t i;

	if (n == 1) {
		sbuf_printf(b, "%u", port[0]);
		return;
	}
	sbuf_add(b, "{ ");
	for (i = 0; i < n; i++)
		sbuf_printf(b, "%s%u", i ? ", " : "", port[i]);
	sbuf_add(b, " }");
}

/* "iifname { ... } " for the capturing interfaces; with bridge_dev also
 * the bridge itself (frames diverted from the bridge arrive on it). */
static void
iface_set(const struct plan_opts *o, int bridge_dev, struct sbuf *b)
{
	int with_br = o->bridge && bridge_dev;
	size_t i, n = o->niface + (with_br && o->niface ? 1 : 0);

	if (o->niface == 0)
		return;
	sbuf_add(b, n == 1 ? "iifname " : "iifname { ");
	for (i = 0; i < o->niface; i++)
		sbuf_printf(b, "%s\"%s\"", i ? ", " : "", o->iface[i]);
	if (with_br)
		sbuf_printf(b, ", \"%s\"", o->br_dev);
	sbuf_add(b, n == 1 ? " " : " } ");
}

static void
bypass_rules(const struct plan_opts *o, const char *indent, struct sbuf *b)
{
	size_t i;
	int fam;

	for (i = 0; i < o->nbypass; i++) {
		const char *kw;

		if (plan_parse_cidr(o->bypass[i], &fam) < 0 ||
		    !(fam & o->families))
			continue;
		kw = fam == PLAN_V4 ? "ip" : "ip6";
		sbuf_printf(b, "%s%s daddr %s accept\n", indent, kw,
			    o->bypass[i]);
		sbuf_printf(b, "%s%s saddr %s accept\n", indent, kw,
			    o->bypass[i]);
	}
}

static void
tproxy_rule(const struct plan_opts *o, int kind, int fam, struct sbuf *b)
{
	const struct plan_target *t = plan_map_to(o, kind, fam);

	if (t == NULL)
		return;
	sbuf_printf(b, "\t\tmeta nfproto %s ", fam == PLAN_V4 ? "ipv4" :
		    "ipv6");
	iface_set(o, 1, b);
	sbuf_add(b, "tcp dport ");
	port_set(o->map[kind].dport, o->map[kind].ndport, b);
	sbuf_printf(b, " tproxy %s to ", fam == PLAN_V4 ? "ip" : "ip6");
	if (t->addr[0] && fam == PLAN_V6)
		sbuf_printf(b, "[%s]", t->addr);
	else if (t->addr[0])
		sbuf_add(b, t->addr);
	sbuf_printf(b, ":%u ", t->port);
	mark_set(o, b);
	sbuf_add(b, " accept\n");
}

static void
udp_rules(const struct plan_opts *o, struct sbuf *b)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	const struct plan_target *t;
	int uf = plan_udp_families(o);
	size_t i;

	if (uf == 0)
		return;
	for (i = 0; i < 2; i++) {
		if ((t = plan_udp_to(o, fams[i])) == NULL)
			continue;
		sbuf_printf(b, "\t\tmeta nfproto %s ", fams[i] == PLAN_V4 ?
			    "ipv4" : "ipv6");
		iface_set(o, 1, b);
		sbuf_add(b, "udp dport ");
		port_set(o->udp.dport, o->udp.ndport, b);
		sbuf_printf(b, " tproxy %s to ", fams[i] == PLAN_V4 ? "ip" :
			    "ip6");
		if (t->addr[0] && fams[i] == PLAN_V6)
			sbuf_printf(b, "[%s]", t->addr);
		else if (t->addr[0])
			sbuf_add(b, t->addr);
		sbuf_printf(b, ":%u ", t->port);
		mark_set(o, b);
		sbuf_add(b, " accept\n");
	}
	sbuf_add(b, "\t\t");
	if (uf != PLAN_BOTH)
		sbuf_printf(b, "meta nfproto %s ", uf == PLAN_V4 ? "ipv4" :
			    "ipv6");
	sbuf_add(b, "meta l4proto { udp, icmp, ipv6-icmp } socket "
		 "transparent 1 ");
	mark_set(o, b);
	sbuf_add(b, " accept\n");
}

/*
 * The forward chain. Two things are refused there, after the same
 * bypasses as the capture rules:
 *
 * QUIC: browsers try HTTP/3 over UDP to 443 first, and traffic on that
 * path never reaches tproxyd; an ICMP port unreachable (icmpx: ICMPv6's
 * for IPv6) makes them fall back to TCP at once instead of after a
 * timeout.
 *
 * --on-failure closed: a new connection to an intercepted port that the
 * tproxy rule did not take (nothing listens on the tproxy port, or the
 * port is in a failed set) is routed on like any other packet and so
 * reaches this hook, which answers it with a TCP reset; connections
 * tproxyd takes are delivered locally and never pass here.
 */
static void
forward_chain(const struct plan_opts *o, struct sbuf *b)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	unsigned ports[PLAN_MAX_PORTS * PLAN_NKIND];
	const struct plan_map *m = &o->map[PLAN_HTTPS];
	int qf = plan_quic_families(o);
	size_t i, n;

	if (qf)
		sbuf_add(b, "\t# QUIC (HTTP/3) to the HTTPS ports is refused, "
			 "so that\n\t# browsers fall back to TCP, which is "
			 "intercepted.\n");
	if (o->on_failure == PLAN_FAIL_CLOSED)
		sbuf_add(b, "\t# on-failure closed: connections tproxyd did "
			 "not take are\n\t# refused with a TCP reset.\n");
	sbuf_add(b, "\tchain forward {\n"
		 "\t\ttype filter hook forward priority filter; "
		 "policy accept;\n");
	bypass_rules(o, "\t\t", b);
	if (qf) {
		sbuf_add(b, "\t\t");
		if (qf != PLAN_BOTH)
			sbuf_printf(b, "meta nfproto %s ", qf == PLAN_V4 ?
				    "ipv4" : "ipv6");
		iface_set(o, 0, b);
		sbuf_add(b, "udp dport ");
		port_set(m->dport, m->ndport, b);
		sbuf_add(b, " reject with icmpx type port-unreachable\n");
	}
	for (i = 0; o->on_failure == PLAN_FAIL_CLOSED && i < 2; i++) {
		n = plan_all_dports(o, fams[i], ports,
				    sizeof(ports) / sizeof(ports[0]));
		if (n == 0)
			continue;
		sbuf_printf(b, "\t\tmeta nfproto %s ", fams[i] == PLAN_V4 ?
			    "ipv4" : "ipv6");
		iface_set(o, 1, b);
		sbuf_add(b, "tcp dport ");
		port_set(ports, n, b);
		sbuf_add(b, " reject with tcp reset\n");
	}
	sbuf_add(b, "\t}\n");
}

/* Whether family f intercepts any port. */
static int
has_dports(const struct plan_opts *o, int f)
{
	unsigned ports[PLAN_MAX_PORTS * PLAN_NKIND];

	return plan_all_dports(o, f, ports,
			       sizeof(ports) / sizeof(ports[0])) > 0;
}

/* The sets of intercepted ports whose tproxy port failed (`tproxyctl
 * watch` fills them), one per family: accepted before the tproxy rules,
 * such a connection is routed on (on-failure open: direct; closed: the
 * forward chain's reset). Empty while tproxyd is healthy. */
static void
failed_sets(const struct plan_opts *o, struct sbuf *b)
{
	if (has_dports(o, PLAN_V4))
		sbuf_add(b, "\tset " PLAN_NFT_FAILED4 " {\n"
			 "\t\ttype inet_service\n\t}\n");
	if (has_dports(o, PLAN_V6))
		sbuf_add(b, "\tset " PLAN_NFT_FAILED6 " {\n"
			 "\t\ttype inet_service\n\t}\n");
}

static void
failed_rules(const struct plan_opts *o, struct sbuf *b)
{
	if (has_dports(o, PLAN_V4))
		sbuf_add(b, "\t\tmeta nfproto ipv4 tcp dport @"
			 PLAN_NFT_FAILED4 " accept\n");
	if (has_dports(o, PLAN_V6))
		sbuf_add(b, "\t\tmeta nfproto ipv6 tcp dport @"
			 PLAN_NFT_FAILED6 " accept\n");
}

static void
bridge_table(const struct plan_opts *o, struct sbuf *b)
{
	static const struct { int fam; const char *et; } fams[] = {
		{ PLAN_V4, "ip" }, { PLAN_V6, "ip6" } };
	unsigned ports[PLAN_MAX_PORTS * PLAN_NKIND];
	size_t i, n;

	sbuf_add(b, "table bridge " PLAN_NFT_TABLE "\n"
		 "delete table bridge " PLAN_NFT_TABLE "\n"
		 "table bridge " PLAN_NFT_TABLE " {\n"
		 "\t# Frames for the intercepted ports are addressed to the\n"
		 "\t# bridge itself and marked for this host, so that they\n"
		 "\t# leave the bridging path for the IP layer, where the\n"
		 "\t# tproxy rules see them (the Squid TPROXY guide's\n"
		 "\t# ebtables broute DROP).\n"
		 "\tchain prerouting {\n"
		 "\t\ttype filter hook prerouting priority -200; "
		 "policy accept;\n");
	bypass_rules(o, "\t\t", b);
	for (i = 0; i < 2; i++) {
		n = plan_all_dports(o, fams[i].fam, ports,
				    sizeof(ports) / sizeof(ports[0]));
		if (n == 0)
			continue;
		sbuf_printf(b, "\t\tiifname \"%s\" ether type %s tcp dport ",
			    o->br_client, fams[i].et);
		port_set(ports, n, b);
		sbuf_printf(b, " ether daddr set %s meta pkttype set host "
			    "accept\n", o->br_mac);
	}
	for (i = 0; i < 2; i++) {
		n = plan_all_dports(o, fams[i].fam, ports,
				    sizeof(ports) / sizeof(ports[0]));
		if (n == 0)
			continue;
		sbuf_printf(b, "\t\tiifname \"%s\" ether type %s tcp sport ",
			    o->br_inet, fams[i].et);
		port_set(ports, n, b);
		sbuf_printf(b, " ether daddr set %s meta pkttype set host "
			    "accept\n", o->br_mac);
	}
	sbuf_add(b, "\t}\n}\n");
}

/* Bridged QUIC refused on the client-side bridge port (see the top of
 * this file): same bypasses, the port unreachable of each family. */
static void
netdev_table(const struct plan_opts *o, struct sbuf *b)
{
	static const struct { int fam; const char *et; } fams[] = {
		{ PLAN_V4, "ip" }, { PLAN_V6, "ip6" } };
	int qf = plan_quic_families(o);
	size_t i;

	sbuf_printf(b, "table netdev " PLAN_NFT_TABLE "\n"
		    "delete table netdev " PLAN_NFT_TABLE "\n"
		    "table netdev " PLAN_NFT_TABLE " {\n"
		    "\t# Bridged QUIC (HTTP/3) to the HTTPS ports is refused "
		    "as it\n\t# arrives from the clients, so that browsers "
		    "fall back to TCP.\n"
		    "\tchain quic {\n"
		    "\t\ttype filter hook ingress device \"%s\" priority "
		    "filter; policy accept;\n", o->br_client);
	bypass_rules(o, "\t\t", b);
	for (i = 0; i < 2; i++) {
		if (!(qf & fams[i].fam))
			continue;
		sbuf_printf(b, "\t\tether type %s udp dport ", fams[i].et);
		port_set(o->map[PLAN_HTTPS].dport, o->map[PLAN_HTTPS].ndport,
			 b);
		sbuf_add(b, " reject with icmpx type port-unreachable\n");
	}
	sbuf_add(b, "\t}\n}\n");
}

void
nft_undo(const struct plan_opts *o, struct sbuf *b)
{
	const char *sep = "";

	if (o->backend == PLAN_NFT) {
		sbuf_add(b, "delete table inet " PLAN_NFT_TABLE);
		sep = "; ";
	}
	if (o->bridge) {
		sbuf_printf(b, "%sdelete table bridge " PLAN_NFT_TABLE, sep);
		if (plan_quic_families(o))
			sbuf_add(b, "; delete table netdev " PLAN_NFT_TABLE);
	}
}

void
nft_ruleset(const struct plan_opts *o, struct sbuf *b)
{
	if (o->backend == PLAN_NFT) {
		sbuf_add(b, "table inet " PLAN_NFT_TABLE "\n"
			 "delete table inet " PLAN_NFT_TABLE "\n"
			 "table inet " PLAN_NFT_TABLE " {\n");
		failed_sets(o, b);
		sbuf_add(b, "\tchain prerouting {\n"
			 "\t\ttype filter hook prerouting priority mangle; "
			 "policy accept;\n");
		/* 1. bypass: before everything else (Squid's TPROXY v4
		 * guide, "Bypassing TPROXY intercept"). */
		bypass_rules(o, "\t\t", b);
		/* 2. packets of connections tproxyd already holds: mark
		 * and accept, so they are not sent through TPROXY twice.
		 * Not a pure SYN, though: a client reusing a port whose
		 * spoofed connection is in TIME_WAIT here would match that
		 * socket and be lost (a SYN retransmission a second later);
		 * TPROXY knows to hand such a SYN to the listener. */
		sbuf_add(b, "\t\t");
		if (o->families != PLAN_BOTH)
			sbuf_printf(b, "meta nfproto %s ", o->families ==
				    PLAN_V4 ? "ipv4" : "ipv6");
		sbuf_add(b, "meta l4proto tcp tcp flags & (syn|ack) != syn "
			 "socket transparent 1 ");
		mark_set(o, b);
		sbuf_add(b, " accept\n");
		/* 3. ports whose tproxy port failed (tproxyctl watch). */
		failed_rules(o, b);
		/* 4. new connections to the intercepted ports, each kind
		 * to its own port. */
		tproxy_rule(o, PLAN_HTTP, PLAN_V4, b);
		tproxy_rule(o, PLAN_HTTP, PLAN_V6, b);
		tproxy_rule(o, PLAN_HTTPS, PLAN_V4, b);
		tproxy_rule(o, PLAN_HTTPS, PLAN_V6, b);
		/* 5. UDP (udp_port ... tproxy), then the replies and ICMP
		 * errors for tproxyd's UDP sockets. In this order: tproxyd
		 * replies to clients from sockets bound to the destinations'
		 * addresses and ports, which the socket match would find for
		 * a client's next datagram too (it finds unconnected
		 * sockets); TPROXY's own lookup takes connected ones only. */
		udp_rules(o, b);
		sbuf_add(b, "\t}\n");
		if (plan_quic_families(o) ||
		    o->on_failure == PLAN_FAIL_CLOSED)
			forward_chain(o, b);
		sbuf_add(b, "}\n");
	}
	if (o->bridge)
		bridge_table(o, b);
	if (o->bridge && plan_quic_families(o))
		netdev_table(o, b);
}

/* Make nft's terse kernel errors say what is missing. */
static void
explain(const char *msg, struct sbuf *err)
{
	sbuf_add(err, msg);
	if (strstr(msg, "Operation not permitted"))
		sbuf_add(err, "tproxyctl: changing netfilter rules needs "
			 "CAP_NET_ADMIN (run as root)\n");
	else if (strstr(msg, "No such file or directory") ||
		 strstr(msg, "Operation not supported") ||
		 strstr(msg, "not supported"))
		sbuf_add(err, "tproxyctl: the kernel lacks nftables support "
			 "for this ruleset (CONFIG_NFT_TPROXY, "
			 "CONFIG_NFT_SOCKET, CONFIG_NF_TABLES_INET; with "
			 "--bridge also CONFIG_NF_TABLES_BRIDGE; to refuse "
			 "QUIC CONFIG_NFT_REJECT_INET, bridged also "
			 "CONFIG_NFT_REJECT_NETDEV); run `tproxyctl doctor`\n");
}

int
nft_apply(const char *script, struct sbuf *err)
{
	char *argv[] = { (char *)"nft", (char *)"-f", (char *)"-", NULL };
	struct sbuf e = { 0 };
	int rc = run_cmd(argv, script, NULL, &e);

	if (rc == 127)
		sbuf_add(err, "tproxyctl: cannot run nft (install the "
			 "nftables package, or use --backend iptables)\n");
	else if (rc != 0)
		explain(sbuf_str(&e), err);
	sbuf_free(&e);
	return rc == 0 ? 0 : -1;
}

int
nft_cmd(const char *cmd, struct sbuf *out, struct sbuf *err)
{
	char **argv = argv_new("nft", cmd, NULL);
	int rc = run_cmd(argv, NULL, out, err);

	argv_free(argv);
	return rc == 0 ? 0 : -1;
}

int
nft_table_exists(const char *family, const char *name)
{
	char **argv = argv_new("nft", "list", "table", family, name, NULL);
	int rc = run_cmd(argv, NULL, NULL, NULL);

	argv_free(argv);
	if (rc == 127 || rc < 0)
		return -1;
	return rc == 0;
}

int
nft_probe(int reject, struct sbuf *err)
{
	static const char probe[] =
		"table inet tproxyctl_probe {\n"
		" chain p { type filter hook prerouting priority mangle;\n"
		"  meta l4proto tcp socket transparent 1 accept\n"
		"  meta nfproto ipv4 tcp dport 9 tproxy ip to :9 accept\n"
		"  meta nfproto ipv6 tcp dport 9 tproxy ip6 to :9 accept\n"
		" }\n";
	static const char probe_reject[] =
		" chain f { type filter hook forward priority filter;\n"
		"  udp dport 9 reject with icmpx type port-unreachable\n"
		" }\n";
	char *argv[] = { (char *)"nft", (char *)"-c", (char *)"-f",
			 (char *)"-", NULL };
	struct sbuf script = { 0 };
	int rc;

	sbuf_add(&script, probe);
	if (reject)
		sbuf_add(&script, probe_reject);
	sbuf_add(&script, "}\n");
	rc = run_cmd(argv, sbuf_str(&script), NULL, err);
	sbuf_free(&script);
	return rc == 0 ? 0 : -1;
}
