/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipt.c - the iptables/ip6tables backend.
 *
 * tproxyctl's rules live in its own chains of the mangle table:
 *
 *   PREROUTING -> TPROXYD_PREROUTING: bypass (-j RETURN)
 *                                     -m socket --transparent -j TPROXYD_DIVERT
 *                                     -p tcp -j TPROXYD_FAILED
 *                                     --dport ... -j TPROXY
 *   TPROXYD_DIVERT:                   -j MARK; -j ACCEPT
 *   TPROXYD_FAILED:                   (empty while tproxyd is healthy)
 *                                     --dport P -j ACCEPT per intercepted
 *                                     port whose tproxy port failed
 *                                     (`tproxyctl watch` fills it)
 *
 * so that one jump in PREROUTING is the only thing placed in a chain
 * someone else owns, and the order socket -> TPROXY (Squid's TPROXY v4
 * guide, Troubleshooting, "Traffic going through Squid but then timing
 * out") holds by construction. Each mapping (HTTP ports to the http_port,
 * HTTPS ports to the https_port) is one TPROXY rule per interface.
 *
 * QUIC (--quic block) lives in the filter table, where REJECT is allowed
 * (not in mangle PREROUTING):
 *
 *   FORWARD -> TPROXYD_QUIC: bypass (-j RETURN)
 *                            -p udp --dports 443 -j REJECT
 *                                --reject-with icmp-port-unreachable
 *                                (ip6tables: icmp6-port-unreachable)
 *
 * --on-failure closed adds, in the filter table:
 *
 *   FORWARD -> TPROXYD_CLOSED: bypass (-j RETURN)
 *                              -p tcp --dports 80,443 -j REJECT
 *                                  --reject-with tcp-reset
 *
 * A new connection TPROXY took is delivered locally and never reaches
 * FORWARD; one TPROXYD_FAILED accepted is routed on and meets the reset
 * there (open: it goes direct). Note that TPROXY itself drops a packet
 * when nothing listens on the tproxy port: until `tproxyctl watch` has
 * put the port in TPROXYD_FAILED, clients retransmit their SYN.
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "nft.h"
#include "plan.h"

static const char *
tool(int fam)
{
	return fam == PLAN_V4 ? "iptables" : "ip6tables";
}

static char **
cmd(int fam, const char *table, const char *op, const char *chain,
    const char *rest)
{
	char line[4096];

	snprintf(line, sizeof(line), "%s\t-w\t-t\t%s\t%s\t%s%s%s",
		 tool(fam), table, op, chain, rest[0] ? "\t" : "", rest);
	return argv_split(line, '\t');
}

static void
rule(struct plan *p, int fam, const char *table, const char *chain,
     const char *what, const char *rest)
{
	plan_add(p, STEP_IPT_RULE, fam, what,
		 cmd(fam, table, "-A", chain, rest),
		 cmd(fam, table, "-D", chain, rest));
}

static void
chain(struct plan *p, int fam, const char *table, const char *name,
      const char *what)
{
	plan_add(p, STEP_IPT_CHAIN, fam, what, cmd(fam, table, "-N", name, ""),
		 cmd(fam, table, "-X", name, ""));
}

/* -d/-s CIDR -j RETURN for each bypass of family fam, into chain. */
static void
bypass(const struct plan_opts *o, int fam, const char *table,
       const char *name, struct plan *p)
{
	char rest[256], what[128];
	size_t i;
	int bf;

	for (i = 0; i < o->nbypass; i++) {
		if (plan_parse_cidr(o->bypass[i], &bf) < 0 || bf != fam)
			continue;
		snprintf(what, sizeof(what), "bypass %s (before the capture "
			 "rules)", o->bypass[i]);
		snprintf(rest, sizeof(rest), "-d\t%s\t-j\tRETURN",
			 o->bypass[i]);
		rule(p, fam, table, name, what, rest);
		snprintf(rest, sizeof(rest), "-s\t%s\t-j\tRETURN",
			 o->bypass[i]);
		rule(p, fam, table, name, what, rest);
	}
}

/* "-m\tmultiport\t--dports\t80,8080" or "--dport\t80". */
static void
dports(const unsigned *port, size_t n, char *out, size_t len)
{
	char list[PLAN_MAX_PORTS * 6];

	plan_format_ports(port, n, ",", list, sizeof(list));
	snprintf(out, len, "%s\t%s", n > 1 ? "-m\tmultiport\t--dports" :
		 "--dport", list);
}

/* -i IF for capture rule k of the rules a mapping gets (one per
 * interface, plus the bridge when bridged; one rule without -i when no
 * --iface). */
static size_t
n_ifaces(const struct plan_opts *o)
{
	return o->niface ? o->niface + (o->bridge ? 1 : 0) : 1;
}

static void
iface_arg(const struct plan_opts *o, size_t k, char *out, size_t len)
{
	out[0] = '\0';
	if (o->niface)
		snprintf(out, len, "-i\t%s\t", k < o->niface ?
			 o->iface[k] : o->br_dev);
}

static void
fam_plan(const struct plan_opts *o, int fam, struct plan *p)
{
	char rest[2048], mark[32], ports[PLAN_MAX_PORTS * 6 + 32];
	size_t k, kind;

	plan_format_mark(o->mark, o->mask, mark, sizeof(mark));
	if (o->mask == 0xffffffffU)
		snprintf(mark, sizeof(mark), "0x%x/0xffffffff", o->mark);
	chain(p, fam, "mangle", PLAN_IPT_DIVERT, "chain marking packets of "
	      "connections tproxyd holds");
	chain(p, fam, "mangle", PLAN_IPT_FAILED, "intercepted ports whose "
	      "tproxy port failed (filled by tproxyctl watch; empty while "
	      "tproxyd is healthy)");
	/* Its undo runs before the chain's -X, which needs it empty: the
	 * watchdog may have left ports in it. Made before the capture chain
	 * that jumps to it, so that undoing (in reverse) removes that
	 * chain, and the jump, first. */
	plan_add(p, STEP_IPT_RULE, fam, "no port marked failed yet",
		 cmd(fam, "mangle", "-F", PLAN_IPT_FAILED, ""),
		 cmd(fam, "mangle", "-F", PLAN_IPT_FAILED, ""));
	chain(p, fam, "mangle", PLAN_IPT_CHAIN, "tproxyctl's capture chain");
	snprintf(rest, sizeof(rest), "-j\tMARK\t--set-xmark\t%s", mark);
	rule(p, fam, "mangle", PLAN_IPT_DIVERT, "mark for the fwmark routing "
	     "rule", rest);
	rule(p, fam, "mangle", PLAN_IPT_DIVERT, "and accept", "-j\tACCEPT");
	bypass(o, fam, "mangle", PLAN_IPT_CHAIN, p);
	/* Not pure SYNs (see nft.c): a SYN reusing a port in TIME_WAIT
	 * must reach TPROXY, which hands it to the listener. */
	rule(p, fam, "mangle", PLAN_IPT_CHAIN, "established connections: "
	     "socket match before TPROXY", "-p\ttcp\t!\t--syn\t-m\tsocket"
	     "\t--transparent\t-j\t" PLAN_IPT_DIVERT);
	rule(p, fam, "mangle", PLAN_IPT_CHAIN, "ports tproxyd does not take "
	     "are not sent to TPROXY", "-p\ttcp\t-j\t" PLAN_IPT_FAILED);
	for (kind = 0; kind < PLAN_NKIND; kind++) {
		const struct plan_target *t = plan_map_to(o, kind, fam);
		const struct plan_map *m = &o->map[kind];

		if (t == NULL)
			continue;
		dports(m->dport, m->ndport, ports, sizeof(ports));
		for (k = 0; k < n_ifaces(o); k++) {
			char in[64], on[128] = "";

			iface_arg(o, k, in, sizeof(in));
			if (t->addr[0])
				snprintf(on, sizeof(on), "\t--on-ip\t%s",
					 t->addr);
			snprintf(rest, sizeof(rest), "-p\ttcp\t%s%s\t-j\t"
				 "TPROXY\t--on-port\t%u%s\t--tproxy-mark\t%s",
				 in, ports, t->port, on, mark);
			rule(p, fam, "mangle", PLAN_IPT_CHAIN, kind ==
			     PLAN_HTTP ? "new connections to the HTTP ports "
			     "go to tproxyd's http_port" : "new connections "
			     "to the HTTPS ports go to tproxyd's https_port",
			     rest);
		}
	}
	/* UDP: TPROXY first, then the socket match (see nft.c). */
	if (plan_udp_to(o, fam) != NULL) {
		const struct plan_target *t = plan_udp_to(o, fam);

		dports(o->udp.dport, o->udp.ndport, ports, sizeof(ports));
		for (k = 0; k < n_ifaces(o); k++) {
			char in[64], on[128] = "";

			iface_arg(o, k, in, sizeof(in));
			if (t->addr[0])
				snprintf(on, sizeof(on), "\t--on-ip\t%s",
					 t->addr);
			snprintf(rest, sizeof(rest), "-p\tudp\t%s%s\t-j\t"
				 "TPROXY\t--on-port\t%u%s\t--tproxy-mark\t%s",
				 in, ports, t->port, on, mark);
			rule(p, fam, "mangle", PLAN_IPT_CHAIN, "UDP to the "
			     "intercepted ports goes to tproxyd's udp_port",
			     rest);
		}
		rule(p, fam, "mangle", PLAN_IPT_CHAIN, "replies for tproxyd's "
		     "UDP flows", "-p\tudp\t-m\tsocket\t--transparent\t-j\t"
		     PLAN_IPT_DIVERT);
		rule(p, fam, "mangle", PLAN_IPT_CHAIN, "ICMP errors for "
		     "tproxyd's UDP flows", fam == PLAN_V4 ?
		     "-p\ticmp\t-m\tsocket\t--transparent\t-j\t"
		     PLAN_IPT_DIVERT : "-p\tipv6-icmp\t-m\tsocket\t"
		     "--transparent\t-j\t" PLAN_IPT_DIVERT);
	}
	plan_add(p, STEP_IPT_JUMP, fam, "jump to tproxyctl's chain first in "
		 "mangle PREROUTING",
		 cmd(fam, "mangle", "-I", "PREROUTING", "1\t-j\t"
		     PLAN_IPT_CHAIN),
		 cmd(fam, "mangle", "-D", "PREROUTING", "-j\t"
		     PLAN_IPT_CHAIN));
}

/* QUIC for family fam: see the top of this file and nft.c's quic_chain().
 * Bridged frames for the HTTPS ports reach FORWARD through the bridge
 * table's divert (nft.c). */
static void
quic_plan(const struct plan_opts *o, int fam, struct plan *p)
{
	const struct plan_map *m = &o->map[PLAN_HTTPS];
	char rest[1024], ports[PLAN_MAX_PORTS * 6 + 32];
	size_t k;

	chain(p, fam, "filter", PLAN_IPT_QUIC, "tproxyctl's QUIC chain "
	      "(filter table: REJECT is not allowed in mangle PREROUTING)");
	bypass(o, fam, "filter", PLAN_IPT_QUIC, p);
	dports(m->dport, m->ndport, ports, sizeof(ports));
	for (k = 0; k < n_ifaces(o); k++) {
		char in[64];

		iface_arg(o, k, in, sizeof(in));
		snprintf(rest, sizeof(rest), "-p\tudp\t%s%s\t-j\tREJECT\t"
			 "--reject-with\t%s", in, ports, fam == PLAN_V4 ?
			 "icmp-port-unreachable" : "icmp6-port-unreachable");
		rule(p, fam, "filter", PLAN_IPT_QUIC, "QUIC (HTTP/3) to the "
		     "HTTPS ports is refused: browsers fall back to TCP, "
		     "which is intercepted", rest);
	}
	plan_add(p, STEP_IPT_JUMP, fam, "jump to tproxyctl's QUIC chain first "
		 "in filter FORWARD",
		 cmd(fam, "filter", "-I", "FORWARD", "1\t-j\t"
		     PLAN_IPT_QUIC),
		 cmd(fam, "filter", "-D", "FORWARD", "-j\t" PLAN_IPT_QUIC));
}

/* --on-failure closed for family fam: see the top of this file. */
static void
closed_plan(const struct plan_opts *o, int fam, struct plan *p)
{
	unsigned port[PLAN_MAX_PORTS * PLAN_NKIND];
	char rest[1024], ports[PLAN_MAX_PORTS * PLAN_NKIND * 6 + 32];
	size_t k, n;

	n = plan_all_dports(o, fam, port, sizeof(port) / sizeof(port[0]));
	if (n == 0)
		return;
	chain(p, fam, "filter", PLAN_IPT_CLOSED, "tproxyctl's on-failure "
	      "closed chain (connections tproxyd did not take are reset)");
	bypass(o, fam, "filter", PLAN_IPT_CLOSED, p);
	dports(port, n, ports, sizeof(ports));
	for (k = 0; k < n_ifaces(o); k++) {
		char in[64];

		iface_arg(o, k, in, sizeof(in));
		snprintf(rest, sizeof(rest), "-p\ttcp\t%s%s\t-j\tREJECT\t"
			 "--reject-with\ttcp-reset", in, ports);
		rule(p, fam, "filter", PLAN_IPT_CLOSED, "on-failure closed: "
		     "a connection to an intercepted port that tproxyd did "
		     "not take is refused with a TCP reset", rest);
	}
	plan_add(p, STEP_IPT_JUMP, fam, "jump to tproxyctl's on-failure "
		 "chain first in filter FORWARD",
		 cmd(fam, "filter", "-I", "FORWARD", "1\t-j\t"
		     PLAN_IPT_CLOSED),
		 cmd(fam, "filter", "-D", "FORWARD", "-j\t"
		     PLAN_IPT_CLOSED));
}

void
ipt_plan(const struct plan_opts *o, struct plan *p)
{
	int qf = plan_quic_families(o);

	if (o->families & PLAN_V4)
		fam_plan(o, PLAN_V4, p);
	if (o->families & PLAN_V6)
		fam_plan(o, PLAN_V6, p);
	if (qf & PLAN_V4)
		quic_plan(o, PLAN_V4, p);
	if (qf & PLAN_V6)
		quic_plan(o, PLAN_V6, p);
	if (o->on_failure == PLAN_FAIL_CLOSED && (o->families & PLAN_V4))
		closed_plan(o, PLAN_V4, p);
	if (o->on_failure == PLAN_FAIL_CLOSED && (o->families & PLAN_V6))
		closed_plan(o, PLAN_V6, p);
}

static int
run(char **argv, struct sbuf *err)
{
	struct sbuf e = { 0 };
	int rc = run_cmd(argv, NULL, NULL, &e);

	if (rc == 127)
		sbuf_printf(err, "tproxyctl: cannot run %s (install the "
			    "iptables package, or use --backend nft)\n",
			    argv[0]);
	else if (rc != 0) {
		argv_render(argv, err);
		sbuf_printf(err, ": %s", sbuf_str(&e));
		if (strstr(sbuf_str(&e), "Permission denied") ||
		    strstr(sbuf_str(&e), "not permitted"))
			sbuf_add(err, "tproxyctl: changing netfilter rules "
				 "needs CAP_NET_ADMIN (run as root)\n");
		else if (strstr(sbuf_str(&e), "No chain/target/match") ||
			 strstr(sbuf_str(&e), "does not exist") ||
			 strstr(sbuf_str(&e), "Couldn't load"))
			sbuf_add(err, "tproxyctl: the kernel or iptables lacks "
				 "the TPROXY target or the socket match "
				 "(CONFIG_NETFILTER_XT_TARGET_TPROXY, "
				 "CONFIG_NETFILTER_XT_MATCH_SOCKET)\n");
	}
	sbuf_free(&e);
	return rc;
}

/* The same command with op replaced (e.g. -A -> -C). */
static char **
with_op(char *const *argv, const char *op)
{
	size_t n = argv_len(argv), i;
	char **v = xcalloc(n + 1, sizeof(*v));

	for (i = 0; i < n; i++)
		v[i] = xstrdup(i == 4 ? op : argv[i]);
	return v;
}

int
ipt_apply(const struct step *s, struct sbuf *err)
{
	char **v;
	int rc;

	switch (s->kind) {
	case STEP_IPT_CHAIN:
		/* An existing chain of ours is emptied and refilled: running
		 * setup again must not leave two copies of each rule. */
		v = with_op(s->argv, "-S");
		rc = run_cmd(v, NULL, NULL, NULL);
		argv_free(v);
		if (rc == 0) {
			v = with_op(s->argv, "-F");
			rc = run(v, err);
			argv_free(v);
			return rc == 0 ? 1 : -1;
		}
		return run(s->argv, err) == 0 ? 0 : -1;
	case STEP_IPT_JUMP:
		/* The undo is `-D CHAIN -j OURS`: as -C, "is it there?". */
		v = with_op(s->undo, "-C");
		rc = run_cmd(v, NULL, NULL, NULL);
		argv_free(v);
		if (rc == 0)
			return 1;
		return run(s->argv, err) == 0 ? 0 : -1;
	case STEP_IPT_RULE:
		return run(s->argv, err) == 0 ? 0 : -1;
	default:
		sbuf_add(err, "tproxyctl: internal error: not an iptables "
			 "step\n");
		return -1;
	}
}

int
ipt_is_nft(void)
{
	char *argv[] = { (char *)"iptables", (char *)"-V", NULL };
	struct sbuf out = { 0 };
	int r;

	run_cmd(argv, NULL, &out, NULL);
	r = strstr(sbuf_str(&out), "nf_tables") != NULL;
	sbuf_free(&out);
	return r;
}

int
ipt_save(int family, const char *table, struct sbuf *out)
{
	char **argv = argv_new(family == PLAN_V4 ? "iptables-save" :
			       "ip6tables-save", "-t", table, NULL);
	int rc = run_cmd(argv, NULL, out, NULL);

	argv_free(argv);
	return rc == 0 ? 0 : -1;
}

/* Is line (of iptables-save) a built-in chain with policy ACCEPT, what an
 * untouched table has? */
static int
builtin_accept(const char *line)
{
	static const char *const names[] = { ":PREROUTING ", ":INPUT ",
		":FORWARD ", ":OUTPUT ", ":POSTROUTING " };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(line, names[i], strlen(names[i])) == 0)
			return strncmp(line + strlen(names[i]), "ACCEPT",
				       6) == 0;
	return 0;
}

void
ipt_drop_empty_table(int family, const char *table)
{
	struct sbuf out = { 0 };
	char cmdline[64];
	const char *p;
	int used = 0;

	if (strcmp(table, "mangle") != 0 && strcmp(table, "filter") != 0)
		return;
	if (ipt_save(family, table, &out) < 0) {
		sbuf_free(&out);
		return;
	}
	for (p = sbuf_str(&out); p && *p; p = strchr(p, '\n') ?
	     strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "-A ", 3) == 0)
			used = 1;
		if (*p == ':' && !builtin_accept(p))
			used = 1;
	}
	sbuf_free(&out);
	snprintf(cmdline, sizeof(cmdline), "delete table %s %s",
		 family == PLAN_V4 ? "ip" : "ip6", table);
	if (!used)
		nft_cmd(cmdline, NULL, NULL);
}
