/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * firewall.c - the rest of the firewall, seen from an intercepted
 * connection: what other nft chains and iptables tables do to the packets
 * TPROXY has taken (Squid's TPROXY v4 guide: the mark must reach the
 * routing rule, and the packet is then delivered locally, through INPUT):
 *   fw.mark.*     a chain that runs after tproxyctl's (prerouting, at or
 *                 after the mangle priority, or iptables' nat PREROUTING)
 *                 sets the packet mark and loses tproxyd's bits ("meta
 *                 mark set ct mark", CONNMARK --restore-mark, MARK): the
 *                 packet is then routed on, not delivered to tproxyd;
 *   fw.capture.*  a chain after tproxyctl's redirects the same ports
 *                 elsewhere (REDIRECT, DNAT, another TPROXY);
 *   fw.input.*    the input path drops or rejects what TPROXY delivers (a
 *                 policy drop, a final drop or reject, UFW's chains): the
 *                 delivered packet keeps its original destination address
 *                 and port, so only accepting the mark helps;
 *   fw.legacy     iptables-legacy rules beside nft (two rule sets that no
 *                 single listing shows); their problems are reported by the
 *                 checks above with the iptables-legacy command that fixes
 *                 them.
 * Each rule is read (fwrule.c) for one packet: a new TCP connection of the
 * family to an intercepted port, carrying tproxyd's mark, arriving on an
 * interface that is not lo. What a rule matches is yes, no or "maybe"
 * (interfaces, addresses, sets): a maybe-accept before a drop is a WARN.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backend.h"
#include "checks.h"
#include "fwrule.h"
#include "ruleset.h"

/* walking a hook ---------------------------------------------------------- */

enum { W_INPUT, W_PRE };

struct wctx {
	const struct dr_chain *ch;	/* the table's (nft: all) chains */
	size_t      n;
	int         ipt;		/* iptables-save rules */
	const struct fw_pkt *p;
	int         mode;		/* W_* */
	const char *fam, *table;	/* nft: where jumps go */
	char        maybe[300];		/* a maybe-accept (W_INPUT), a
					   maybe-rewrite (W_PRE) */
	char        mwhere[160];
	int         mwhat;
	char        bad[300];		/* the rule that breaks it */
	char        where[160];
	int         what;		/* W_PRE: a WHAT_* */
};

/* What a prerouting rule after tproxyctl's does to intercepted packets. */
enum { WHAT_NONE, WHAT_MARK, WHAT_CAPTURE, WHAT_DROP };

static const char *const what_text[] = {
	"", "sets the mark", "sends the port elsewhere", "drops them" };
static const char *const what_why[] = {
	"", "the TPROXY mark is lost and the connection is routed on instead "
	"of to tproxyd", "connections go there, not to tproxyd",
	"intercepted connections never reach tproxyd" };

static const struct dr_chain *
find_chain(const struct wctx *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!strcmp(w->ch[i].name, name) && (w->ipt ||
		    (!strcmp(w->ch[i].fam, w->fam) &&
		     !strcmp(w->ch[i].table, w->table))))
			return &w->ch[i];
	return NULL;
}

static void
note(char *dst, size_t n, const char *rule, const struct dr_chain *c,
     const struct wctx *w, char *where, size_t wn)
{
	snprintf(dst, n, "%.250s", rule);
	if (where)
		snprintf(where, wn, "%s %s %s", w->fam, w->table, c->name);
}

/* Walk chain c for the packet: FW_ACCEPT, FW_DROP, or FW_RETURN (it went
 * through, or returned). maybe: reached only through a maybe-match. */
static int
walk(struct wctx *w, const struct dr_chain *c, int depth, int maybe)
{
	size_t i;

	if (depth > 10)
		return FW_RETURN;
	for (i = 0; i < c->nrule; i++) {
		const struct dr_chain *t;
		struct fw_rule d;
		int sure, r;

		if (w->ipt)
			dr_fw_ipt_rule(c->rule[i], w->p, &d);
		else
			dr_fw_nft_rule(c->rule[i], w->p, &d);
		if (d.m == FW_NO)
			continue;
		sure = d.m == FW_YES && !maybe;
		if (w->mode == W_PRE && (d.rewrite || d.capture ||
					 d.v == FW_DROP)) {
			int what = d.rewrite ? WHAT_MARK : d.capture ?
				WHAT_CAPTURE : WHAT_DROP;

			if (sure) {
				note(w->bad, sizeof(w->bad), c->rule[i], c, w,
				     w->where, sizeof(w->where));
				w->what = what;
				return FW_DROP;
			}
			if (!w->maybe[0]) {
				note(w->maybe, sizeof(w->maybe), c->rule[i],
				     c, w, w->mwhere, sizeof(w->mwhere));
				w->mwhat = what;
			}
			continue;
		}
		switch (d.v) {
		case FW_ACCEPT:
			if (sure)
				return FW_ACCEPT;
			if (!w->maybe[0])
				note(w->maybe, sizeof(w->maybe), c->rule[i], c,
				     w, NULL, 0);
			break;
		case FW_DROP:
			if (d.capture && w->mode == W_INPUT)
				break;
			if (sure) {
				note(w->bad, sizeof(w->bad), c->rule[i], c, w,
				     w->where, sizeof(w->where));
				return FW_DROP;
			}
			break;
		case FW_RETURN:
			if (sure)
				return FW_RETURN;
			break;
		case FW_JUMP:
		case FW_GOTO:
			if (!strncmp(d.target, "TPROXYD_", 8))
				break;	/* tproxyctl's own */
			t = find_chain(w, d.target);
			if (t == NULL)
				break;
			r = walk(w, t, depth + 1, !sure);
			if (sure && (r != FW_RETURN || d.v == FW_GOTO))
				return r;
			break;
		}
	}
	if (c->policy_drop && !maybe && depth == 0) {
		snprintf(w->bad, sizeof(w->bad), "policy drop");
		snprintf(w->where, sizeof(w->where), "%s %s %s", w->fam,
			 w->table, c->name);
		return FW_DROP;
	}
	return FW_RETURN;
}

/* checks ------------------------------------------------------------------ */

/* One problem found: where, the rule, the fix. */
struct finding {
	int  status;
	int  what;	/* prerouting: a WHAT_* */
	char msg[500];
	char fix[300];
};

struct result {
	struct finding f[8];
	size_t n;
};

/* Add a finding to res (status ST_*, what: a prerouting finding's
 * WHAT_*); returns it, NULL when res is full. */
static struct finding *
found(struct result *res, int status, int what, const char *fix,
      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct finding *
found(struct result *res, int status, int what, const char *fix,
      const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	if (res->n == sizeof(res->f) / sizeof(res->f[0]))
		return NULL;
	f = &res->f[res->n++];
	f->status = status;
	f->what = what;
	snprintf(f->fix, sizeof(f->fix), "%s", fix ? fix : "");
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return f;
}

/* The nft match for tproxyd's mark (no shell metacharacters). */
static void
nft_mark_match(const struct fw_pkt *p, char *out, size_t n)
{
	if (p->mask == 0xffffffffU)
		snprintf(out, n, "meta mark 0x%08x", p->mark);
	else
		snprintf(out, n, "meta mark and 0x%08x == 0x%08x", p->mask,
			 p->mark);
}

/* The iptables command (cmd: iptables, ip6tables-legacy, ...) inserting
 * "accept tproxyd's mark" first in chain of table. */
static void
ipt_guard(const struct fw_pkt *p, const char *cmd, const char *table,
	  const char *chain, char *out, size_t n)
{
	char mk[32];

	plan_format_mark(p->mark, p->mask, mk, sizeof(mk));
	snprintf(out, n, "%s -w -t %s -I %s -m mark --mark %s -j ACCEPT", cmd,
		 table, chain, mk);
}

/* ipt_is_nft(), asked once. */
static int
ipt_nft(void)
{
	static int v = -1;

	if (v < 0)
		v = ipt_is_nft();
	return v;
}

/* The handle of nft table fam/table (`nft -a list ruleset`), -1 when
 * there is none. Handles grow as tables are made: at the same priority
 * the base chain of the newer table runs first. */
static long
table_handle(const char *fam, const char *table)
{
	static struct sbuf out;
	static int read;
	char key[160];
	const char *p;

	if (!read) {
		char *argv[] = { (char *)"nft", (char *)"-a", (char *)"list",
				 (char *)"ruleset", NULL };

		read = 1;
		run_cmd(argv, NULL, &out, NULL);
	}
	snprintf(key, sizeof(key), "table %s %s { # handle ", fam, table);
	p = strstr(sbuf_str(&out), key);
	if (p == NULL || (p != sbuf_str(&out) && p[-1] != '\n'))
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

/* The handle of the table holding tproxyctl's capture for family fam
 * (nft: inet tproxyd; iptables-nft: ip or ip6 mangle); -1 not known. */
static long
ours_handle(int fam, int ipt_ours)
{
	if (!ipt_ours)
		return table_handle("inet", PLAN_NFT_TABLE);
	if (!ipt_nft())
		return -1;
	return table_handle(fam == PLAN_V4 ? "ip" : "ip6", "mangle");
}

/* The priority of tproxyctl's prerouting chain: its nft chain's (setup
 * makes it at mangle), else iptables' mangle table's (-150). */
static int
ours_prio(void)
{
	const struct dr_chain *ch;
	size_t n = dr_nft_chains(&ch), i;

	for (i = 0; i < n; i++)
		if (!strcmp(ch[i].fam, "inet") &&
		    !strcmp(ch[i].table, PLAN_NFT_TABLE) &&
		    !strcmp(ch[i].hook, "prerouting"))
			return ch[i].prio;
	return -150;
}

/* Does a prerouting base chain at priority prio in table (handle h, -1
 * not known) run after tproxyctl's (priority oprio, its table's handle
 * ours)? 1 yes, 0 no, -1 cannot tell. */
static int
runs_after(int prio, long h, int oprio, long ours)
{
	if (prio != oprio)
		return prio > oprio;
	if (h < 0 || ours < 0)
		return -1;
	return h < ours;
}

static int
is_ours_nft(const struct dr_chain *c)
{
	return !strcmp(c->fam, "inet") && !strcmp(c->table, PLAN_NFT_TABLE);
}

/* nft: every input (W_INPUT) or prerouting-after-ours (W_PRE) base chain
 * for packet p. */
static void
nft_check(const struct fw_pkt *p, int mode, long ours, struct result *res)
{
	const struct dr_chain *ch;
	size_t n = dr_nft_chains(&ch), i;
	char mm[64], fix[300];
	int oprio = ours_prio();

	nft_mark_match(p, mm, sizeof(mm));
	for (i = 0; i < n; i++) {
		const struct dr_chain *c = &ch[i];
		struct wctx w;
		int r, after = 1;

		if (!strcmp(c->fam, "bridge") || !strcmp(c->fam, "netdev") ||
		    !strcmp(c->fam, "arp") || is_ours_nft(c))
			continue;
		if (strcmp(c->fam, "inet") && strcmp(c->fam, p->fam ==
						     PLAN_V4 ? "ip" : "ip6"))
			continue;
		if (mode == W_INPUT && strcmp(c->hook, "input"))
			continue;
		/* at tproxyctl's priority (mangle) the chain of the
		 * newer table runs first */
		if (mode == W_PRE && (strcmp(c->hook, "prerouting") ||
				      (after = runs_after(c->prio,
					table_handle(c->fam, c->table),
					oprio, ours)) == 0))
			continue;
		memset(&w, 0, sizeof(w));
		w.ch = ch;
		w.n = n;
		w.p = p;
		w.mode = mode;
		w.fam = c->fam;
		w.table = c->table;
		r = walk(&w, c, 0, 0);
		snprintf(fix, sizeof(fix), "nft insert rule %s %s %s %s "
			 "accept", c->fam, c->table, c->name, mm);
		if (mode == W_PRE && (r == FW_DROP || w.maybe[0])) {
			int sure = r == FW_DROP;

			found(res, sure && after > 0 ? ST_FAIL : ST_WARN,
			      sure ? w.what : w.mwhat, fix,
			      "nft %s (prerouting, priority %d, %s) %s%s: "
			      "`%s`: %s; the fix makes that chain leave "
			      "marked packets alone", sure ? w.where :
			      w.mwhere, c->prio, after > 0 ?
			      "after tproxyctl's" : "the same as "
			      "tproxyctl's: the one loaded last runs first",
			      sure ? "" : "may ", what_text[sure ? w.what :
							  w.mwhat],
			      sure ? w.bad : w.maybe,
			      what_why[sure ? w.what : w.mwhat]);
			continue;
		}
		if (mode == W_PRE || r != FW_DROP)
			continue;
		if (w.maybe[0])
			found(res, ST_WARN, 0, fix, "nft %s (input) ends in "
			      "`%s`; intercepted connections are accepted only "
			      "if "
			      "`%s` matches them (they keep their original "
			      "address and port)", w.where, w.bad, w.maybe);
		else
			found(res, ST_FAIL, 0, fix, "nft %s (input): `%s` "
			      "drops intercepted connections (TPROXY delivers "
			      "them "
			      "with their original address and port %u, so "
			      "accepting tproxyd's port does not help)",
			      w.where, w.bad, p->port);
	}
}

/* iptables-save text of one table (table) for family p->fam, read by
 * command cmd (iptables or iptables-legacy): filter INPUT (W_INPUT) or
 * PREROUTING (W_PRE). */
static void
ipt_check(const struct fw_pkt *p, int mode, const char *text, const char *cmd,
	  const char *table, int after, struct result *res)
{
	struct dr_chain *ch;
	size_t n, i;
	const struct dr_chain *start = NULL;
	char fix[300];
	struct wctx w;
	int ufw = 0, r;

	ch = dr_ipt_parse(text, &n);
	for (i = 0; i < n; i++) {
		if (!strcmp(ch[i].name, mode == W_INPUT ? "INPUT" :
			    "PREROUTING"))
			start = &ch[i];
		if (!strcmp(ch[i].name, "ufw-before-input") ||
		    !strcmp(ch[i].name, "ufw6-before-input"))
			ufw = 1;
	}
	if (start == NULL) {
		dr_chains_free(ch, n);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.ch = ch;
	w.n = n;
	w.ipt = 1;
	w.p = p;
	w.mode = mode;
	w.fam = cmd;
	w.table = table;
	r = walk(&w, start, 0, 0);
	if (mode == W_PRE && (r == FW_DROP || w.maybe[0])) {
		int sure = r == FW_DROP;

		ipt_guard(p, cmd, table, "PREROUTING", fix, sizeof(fix));
		found(res, sure && after > 0 ? ST_FAIL : ST_WARN,
		      sure ? w.what : w.mwhat, fix,
		      "%s: `%s` %s%s after TPROXY: %s%s", sure ? w.where :
		      w.mwhere, sure ? w.bad : w.maybe, sure ? "" : "may ",
		      what_text[sure ? w.what : w.mwhat],
		      what_why[sure ? w.what : w.mwhat], after > 0 ? "" :
		      " (if it runs after tproxyctl's chain: at the same "
		      "priority the one loaded last runs first)");
	} else if (mode == W_INPUT && r == FW_DROP) {
		const char *chain = "INPUT";
		char mk[32];

		plan_format_mark(p->mark, p->mask, mk, sizeof(mk));
		if (ufw)
			chain = p->fam == PLAN_V4 ? "ufw-before-input" :
				"ufw6-before-input";
		ipt_guard(p, cmd, table, chain, fix, sizeof(fix));
		if (w.maybe[0])
			found(res, ST_WARN, 0, fix, "%s INPUT ends in `%s` "
			      "(%s); intercepted connections are accepted "
			      "only if `%s` matches them", cmd, w.bad,
			      w.where, w.maybe);
		else if (ufw)
			found(res, ST_FAIL, 0, fix, "UFW (%s INPUT: `%s` in "
			      "%s) drops intercepted connections: they keep "
			      "their original address and port %u%s; to keep "
			      "the fix across `ufw reload`, add `-A %s -m mark "
			      "--mark %s -j ACCEPT` to /etc/ufw/%s "
			      "after its `# End required lines` line", cmd,
			      w.bad,
			      strrchr(w.where, ' ') + 1, p->port,
			      strstr(w.where, "not-local") ? " (not a local "
			      "address: `ufw allow` does not help)" : "",
			      p->fam == PLAN_V4 ? "ufw-before-input" :
			      "ufw6-before-input", mk,
			      p->fam == PLAN_V4 ? "before.rules" :
			      "before6.rules");
		else
			found(res, ST_FAIL, 0, fix, "%s INPUT: `%s` (%s) drops "
			      "intercepted connections (TPROXY delivers them "
			      "with their original address and port %u, so "
			      "accepting tproxyd's port does not help)", cmd,
			      w.bad, w.where, p->port);
	}
	dr_chains_free(ch, n);
}

/* The section "*table" ... "COMMIT" of a whole *-save output. */
static void
save_table(const char *all, const char *table, struct sbuf *out)
{
	char head[80];
	const char *p, *e;

	snprintf(head, sizeof(head), "*%s\n", table);
	p = strstr(all, head);
	if (p == NULL)
		return;
	e = strstr(p, "\nCOMMIT");
	sbuf_printf(out, "%.*s\n", (int)(e ? e - p : (long)strlen(p)), p);
}

static int
run_save(const char *cmd, const char *table, struct sbuf *out)
{
	char **argv = table ? argv_new(cmd, "-t", table, NULL) :
		argv_new(cmd, NULL);
	int rc = run_cmd(argv, NULL, out, NULL);

	argv_free(argv);
	return rc;
}

/* iptables-save's table for family fam (legacy: the iptables-legacy
 * variant's), read once; NULL when it cannot be read. */
static const char *
saved(int fam, const char *table, int legacy)
{
	static struct {
		int          fam, legacy, ok;
		char         table[16];
		struct sbuf  out;
	} cache[16];
	static size_t n;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (cache[i].fam == fam && cache[i].legacy == legacy &&
		    !strcmp(cache[i].table, table))
			return cache[i].ok ? sbuf_str(&cache[i].out) : NULL;
	if (n == sizeof(cache) / sizeof(cache[0]))
		return NULL;
	cache[n].fam = fam;
	cache[n].legacy = legacy;
	snprintf(cache[n].table, sizeof(cache[n].table), "%s", table);
	{
		/* the whole dump: `-t TABLE` would make a legacy table
		 * that is not there (and, for nat, start connection
		 * tracking) */
		static const char *const cmd[2][2] = {
			{ "iptables-save", "iptables-legacy-save" },
			{ "ip6tables-save", "ip6tables-legacy-save" } };
		struct sbuf all = { 0 };

		rc = run_save(cmd[fam == PLAN_V6][legacy != 0], NULL, &all);
		save_table(sbuf_str(&all), table, &cache[n].out);
		sbuf_free(&all);
	}
	cache[n].ok = rc == 0;
	return cache[n++].ok ? sbuf_str(&cache[n - 1].out) : NULL;
}

/* Whether our capture is iptables (its chains jumped from PREROUTING). */
static int
ours_is_ipt(void)
{
	const struct walk *walks;
	size_t n = dr_rules_walks(&walks), w, i;

	for (w = 0; w < n; w++)
		for (i = 0; i < walks[w].n; i++)
			if (strstr(walks[w].e[i].where, "TPROXYD_"))
				return 1;
	return 0;
}

static void
report(const char *id, const char *fam, struct result *res, const char *ok)
{
	char fix[600] = "";
	size_t i, l;
	int st = ST_PASS;

	if (res->n == 0) {
		dr_add(ST_PASS, id, NULL, "%s: %s", fam, ok);
		return;
	}
	for (i = 0; i < res->n; i++) {
		if (res->f[i].status > st)
			st = res->f[i].status;
		l = strlen(fix);
		if (res->f[i].fix[0] && !strstr(fix, res->f[i].fix))
			snprintf(fix + l, sizeof(fix) - l, "%s%s",
				 l ? " && " : "", res->f[i].fix);
	}
	dr_add(st, id, fix[0] ? fix : NULL, "%s: %s%s", fam, res->f[0].msg,
	       res->n > 1 ? " (and more: see the fix)" : "");
}

void
dr_check_firewall(const struct plan_opts *o)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	unsigned dport[PLAN_MAX_PORTS * PLAN_NKIND];
	int ipt_ours = ours_is_ipt(), legacy = 0;
	char legacy_tables[200] = "";
	size_t fi, k, nd;

	if (ipt_nft()) {
		/* rules of the legacy variant: no nft listing shows them */
		static const char *const tbl[] = { "filter", "mangle", "nat",
						   "raw" };
		size_t c, t;

		for (c = 0; c < 2; c++)
			for (t = 0; t < 4; t++) {
				const char *x = saved(c ? PLAN_V6 : PLAN_V4,
						      tbl[t], 1);
				size_t l = strlen(legacy_tables);

				if (x == NULL || (!strstr(x, "\n-A ") &&
						  !strstr(x, " DROP [")))
					continue;
				snprintf(legacy_tables + l,
					 sizeof(legacy_tables) - l, "%s%s %s",
					 l ? ", " : "", c ? "ip6" : "ip",
					 tbl[t]);
				legacy = 1;
			}
	}
	for (fi = 0; fi < 2; fi++) {
		struct result in = { .n = 0 }, mk = { .n = 0 },
			      cap = { .n = 0 };
		const char *ipt = fams[fi] == PLAN_V4 ? "iptables" :
			"ip6tables";
		long ours = ours_handle(fams[fi], ipt_ours);
		char id[64], leg[32];
		struct fw_pkt p;

		if (!(o->families & fams[fi]))
			continue;
		snprintf(leg, sizeof(leg), "%s-legacy", ipt);
		nd = plan_all_dports(o, fams[fi], dport,
				     sizeof(dport) / sizeof(dport[0]));
		for (k = 0; k < nd; k++) {
			struct result pre = { .n = 0 };
			const char *t;
			size_t j;

			memset(&p, 0, sizeof(p));
			p.fam = fams[fi];
			p.port = dport[k];
			p.mark = o->mark;
			p.mask = o->mask;
			if (in.n == 0) {
				nft_check(&p, W_INPUT, ours, &in);
				if ((t = saved(p.fam, "filter", 0)) != NULL)
					ipt_check(&p, W_INPUT, t, ipt, "filter",
						  1, &in);
				if (legacy && (t = saved(p.fam, "filter",
							 1)) != NULL)
					ipt_check(&p, W_INPUT, t, leg, "filter",
						  1, &in);
			}
			p.any_state = 1;
			if (mk.n == 0 && cap.n == 0) {
				int after;

				nft_check(&p, W_PRE, ours, &pre);
				if ((t = saved(p.fam, "nat", 0)) != NULL)
					ipt_check(&p, W_PRE, t, ipt, "nat", 1,
						  &pre);
				/* iptables' mangle PREROUTING: after the
				 * jump to tproxyctl's chain, TPROXY's
				 * accept ends it; beside nft, it depends */
				after = !ipt_nft() ? -1 :
					runs_after(-150, table_handle(
						fams[fi] == PLAN_V4 ? "ip" :
						"ip6", "mangle"), ours_prio(),
						ours);
				if (!ipt_ours && after &&
				    (t = saved(p.fam, "mangle", 0)) != NULL)
					ipt_check(&p, W_PRE, t, ipt, "mangle",
						  after, &pre);
				if (legacy && (t = saved(p.fam, "mangle",
							 1)) != NULL)
					ipt_check(&p, W_PRE, t, leg, "mangle",
						  -1, &pre);
				if (legacy && (t = saved(p.fam, "nat", 1)) !=
				    NULL)
					ipt_check(&p, W_PRE, t, leg, "nat", 1,
						  &pre);
				for (j = 0; j < pre.n; j++)
					found(pre.f[j].what == WHAT_MARK ?
					      &mk : &cap, pre.f[j].status,
					      pre.f[j].what, pre.f[j].fix,
					      "%s (port %u)", pre.f[j].msg,
					      dport[k]);
			}
		}
		snprintf(id, sizeof(id), "fw.mark.%s", dr_fam_name(fams[fi]));
		report(id, dr_fam_name(fams[fi]), &mk, "no chain after "
		       "tproxyctl's changes the TPROXY mark");
		snprintf(id, sizeof(id), "fw.capture.%s",
			 dr_fam_name(fams[fi]));
		report(id, dr_fam_name(fams[fi]), &cap, "no chain after "
		       "tproxyctl's sends the intercepted ports elsewhere");
		snprintf(id, sizeof(id), "fw.input.%s", dr_fam_name(fams[fi]));
		report(id, dr_fam_name(fams[fi]), &in, "the input path "
		       "accepts intercepted connections");
	}
	if (legacy)
		dr_add(ST_WARN, "fw.legacy", NULL, "iptables-legacy has rules "
		    "(%s) beside nft: `nft list ruleset` and iptables (the "
		    "nf_tables variant) do not show them; see them with "
		    "iptables-legacy-save and ip6tables-legacy-save",
		    legacy_tables);
}
