/*
 * ipt.c - the iptables/ip6tables backend.
 *
 * tproxyctl's rules live in its own chains of the mangle table:
 *
 *   PREROUTING -> TPROXYD_PREROUTING: bypass (-j RETURN)
 *                                     -m socket --transparent -j TPROXYD_DIVERT
 *                                     --dport ... -j TPROXY
 *   TPROXYD_DIVERT:                   -j MARK; -j ACCEPT
 *
 * so that one jump in PREROUTING is the only thing placed in a chain
 * someone else owns, and the order socket -> TPROXY (Squid's TPROXY v4
 * guide, Troubleshooting, "Traffic going through Squid but then timing
 * out") holds by construction.
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
cmd(int fam, const char *op, const char *chain, const char *rest)
{
	char line[4096];

	snprintf(line, sizeof(line), "%s\t-w\t-t\tmangle\t%s\t%s%s%s",
		 tool(fam), op, chain, rest[0] ? "\t" : "", rest);
	return argv_split(line, '\t');
}

static void
rule(struct plan *p, int fam, const char *chain, const char *what,
     const char *rest)
{
	plan_add(p, STEP_IPT_RULE, fam, what, cmd(fam, "-A", chain, rest),
		 cmd(fam, "-D", chain, rest));
}

static void
fam_plan(const struct plan_opts *o, int fam, struct plan *p)
{
	const struct plan_target *t = &o->to[fam == PLAN_V4 ? 0 : 1];
	char rest[2048], mark[32], ports[256], what[128];
	size_t i, k;
	int bf;

	plan_format_mark(o->mark, o->mask, mark, sizeof(mark));
	if (o->mask == 0xffffffffU)
		snprintf(mark, sizeof(mark), "0x%x/0xffffffff", o->mark);
	plan_add(p, STEP_IPT_CHAIN, fam, "chain marking packets of "
		 "connections tproxyd holds", cmd(fam, "-N", PLAN_IPT_DIVERT,
		 ""), cmd(fam, "-X", PLAN_IPT_DIVERT, ""));
	plan_add(p, STEP_IPT_CHAIN, fam, "tproxyctl's capture chain",
		 cmd(fam, "-N", PLAN_IPT_CHAIN, ""),
		 cmd(fam, "-X", PLAN_IPT_CHAIN, ""));
	snprintf(rest, sizeof(rest), "-j\tMARK\t--set-xmark\t%s", mark);
	rule(p, fam, PLAN_IPT_DIVERT, "mark for the fwmark routing rule",
	     rest);
	rule(p, fam, PLAN_IPT_DIVERT, "and accept", "-j\tACCEPT");
	for (i = 0; i < o->nbypass; i++) {
		if (plan_parse_cidr(o->bypass[i], &bf) < 0 || bf != fam)
			continue;
		snprintf(what, sizeof(what), "bypass %s (before the capture "
			 "rules)", o->bypass[i]);
		snprintf(rest, sizeof(rest), "-d\t%s\t-j\tRETURN",
			 o->bypass[i]);
		rule(p, fam, PLAN_IPT_CHAIN, what, rest);
		snprintf(rest, sizeof(rest), "-s\t%s\t-j\tRETURN",
			 o->bypass[i]);
		rule(p, fam, PLAN_IPT_CHAIN, what, rest);
	}
	/* Not pure SYNs (see nft.c): a SYN reusing a port in TIME_WAIT
	 * must reach TPROXY, which hands it to the listener. */
	rule(p, fam, PLAN_IPT_CHAIN, "established connections: socket match "
	     "before TPROXY", "-p\ttcp\t!\t--syn\t-m\tsocket\t--transparent"
	     "\t-j\t" PLAN_IPT_DIVERT);
	ports[0] = '\0';
	for (i = 0; i < o->ndport; i++)
		snprintf(ports + strlen(ports), sizeof(ports) - strlen(ports),
			 "%s%u", i ? "," : "", o->dport[i]);
	for (k = 0; k < (o->niface ? o->niface + (o->bridge ? 1 : 0) : 1);
	     k++) {
		char in[64] = "";
		char on[128] = "";

		if (o->niface)
			snprintf(in, sizeof(in), "-i\t%s\t", k < o->niface ?
				 o->iface[k] : o->br_dev);
		if (t->addr[0])
			snprintf(on, sizeof(on), "\t--on-ip\t%s", t->addr);
		snprintf(rest, sizeof(rest), "-p\ttcp\t%s%s\t%s\t-j\tTPROXY\t"
			 "--on-port\t%u%s\t--tproxy-mark\t%s", in,
			 o->ndport > 1 ? "-m\tmultiport\t--dports" : "--dport",
			 ports, t->port, on, mark);
		rule(p, fam, PLAN_IPT_CHAIN, "new connections to the "
		     "intercepted ports go to tproxyd", rest);
	}
	plan_add(p, STEP_IPT_JUMP, fam, "jump to tproxyctl's chain first in "
		 "mangle PREROUTING",
		 cmd(fam, "-I", "PREROUTING", "1\t-j\t" PLAN_IPT_CHAIN),
		 cmd(fam, "-D", "PREROUTING", "-j\t" PLAN_IPT_CHAIN));
}

void
ipt_plan(const struct plan_opts *o, struct plan *p)
{
	if (o->families & PLAN_V4)
		fam_plan(o, PLAN_V4, p);
	if (o->families & PLAN_V6)
		fam_plan(o, PLAN_V6, p);
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
		v = cmd(s->family, "-C", "PREROUTING", "-j\t" PLAN_IPT_CHAIN);
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
ipt_save(int family, struct sbuf *out)
{
	char *argv[] = { (char *)(family == PLAN_V4 ? "iptables-save" :
				  "ip6tables-save"), (char *)"-t",
			 (char *)"mangle", NULL };

	return run_cmd(argv, NULL, out, NULL) == 0 ? 0 : -1;
}

void
ipt_drop_empty_mangle(int family)
{
	struct sbuf out = { 0 };
	const char *p;
	int used = 0;

	if (ipt_save(family, &out) < 0) {
		sbuf_free(&out);
		return;
	}
	for (p = sbuf_str(&out); p && *p; p = strchr(p, '\n') ?
	     strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "-A ", 3) == 0)
			used = 1;
		if (*p == ':' && strncmp(p, ":PREROUTING ", 12) &&
		    strncmp(p, ":INPUT ", 7) && strncmp(p, ":FORWARD ", 9) &&
		    strncmp(p, ":OUTPUT ", 8) &&
	    strncmp(p, ":POSTROUTING ", 13))
			used = 1;
	}
	sbuf_free(&out);
	if (!used)
		nft_cmd(family == PLAN_V4 ? "delete table ip mangle" :
			"delete table ip6 mangle", NULL, NULL);
}
