/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * path_marks.c - the last of doctor's route checks (path.c): other
 * writers of the mark whose bits overlap ours. nft `meta mark set`,
 * iptables MARK / CONNMARK, sockets with SO_MARK and tproxyd's own
 * tcp_outgoing_mark / clientside_mark are read; each one that overlaps is
 * reported (a FAIL when it can rewrite or misroute the packets setup
 * diverts, else a WARN), and a --mark that collides with none is
 * computed, with the setup command that takes it (dr_mark_fix(), also
 * path.c's fix for another program's ip rule on our mark).
 */
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../doctor.h"
#include "config/config-t.h"
#include "checks.h"
#include "pathparse.h"

void
dr_mark_fix(const struct plan_opts *o, const char *conf_path, uint32_t m,
	    char *fix, size_t n)
{
	char setup[600], st[300] = "", q[256];
	struct plan_opts no = *o;

	no.mark = no.mask = m;
	dr_fix_setup(setup, sizeof(setup), conf_path, &no);
	if (doctor_state) {
		pp_shell_quote(doctor_state, q, sizeof(q));
		snprintf(st, sizeof(st), " --state %s", q);
	}
	{
		struct sbuf out = { 0 };

		sbuf_printf(&out, "tproxyctl teardown%s && %s", st, setup);
		snprintf(fix, n, "%s", sbuf_str(&out));
		sbuf_free(&out);
	}
}

/* The bits of the mark used by others: ip rule fwmark masks (not ours),
 * nft `meta mark set`, iptables MARK/CONNMARK, socket marks. Each writer
 * overlapping ours is reported; returns the number of FAILs. */
struct writer {
	char     what[200];
	uint32_t bits;
	int      fail;
	int      sock;	/* a program's packets (SO_MARK), not a rule */
	/* A rule's: the command that makes its chain leave packets with
	 * our mark alone (the fix when it writes the whole mark). */
	char     guard[200];
};

/* "mangle + 10;", "-140;", "filter;" */
static int
nft_prio(const char *p)
{
	static const struct { const char *n; int v; } names[] = {
		{ "raw", -300 }, { "mangle", -150 }, { "dstnat", -100 },
		{ "filter", 0 }, { "security", 50 }, { "srcnat", 100 } };
	size_t i;
	char *end;
	int v;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(p, names[i].n, strlen(names[i].n))) {
			p += strlen(names[i].n);
			v = names[i].v;
			if (p[0] == ' ' && (p[1] == '+' || p[1] == '-'))
				v += (p[1] == '+' ? 1 : -1) * atoi(p + 3);
			return v;
		}
	v = (int)strtol(p, &end, 10);
	return v;
}

/* Is ifn an interface clients come in on (--iface, else any that
 * exists)? */
static int
client_iface(const struct plan_opts *o, const char *ifn)
{
	size_t i;

	if (o->niface == 0)
		return if_nametoindex(ifn) != 0;
	for (i = 0; i < o->niface; i++)
		if (!strcmp(o->iface[i], ifn))
			return 1;
	return 0;
}

static size_t
nft_writers(struct writer *w, size_t max, const struct plan_opts *o)
{
	char *argv[] = { (char *)"nft", (char *)"list", (char *)"ruleset",
			 NULL };
	struct sbuf out = { 0 };
	const char *p;
	char table[128] = "", chain[128] = "";
	int prio = 0, base = 0, pre = 0, skip = 0, ours = -150;
	int prio_of[48];
	uint32_t guard = 0;
	size_t n = 0, i;

	run_cmd(argv, NULL, &out, NULL);
	for (p = sbuf_str(&out); *p && n < max;
	     p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0)) {
		char l[512], fam[16], name[100], ifn[IFNAMSIZ + 8];
		const char *q = l, *s;

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		while (*q == '\t' || *q == ' ')
			q++;
		if (sscanf(q, "table %15s %99s", fam, name) == 2) {
			snprintf(table, sizeof(table), "%s %s", fam, name);
			/* ours, and iptables-nft's (read via iptables) */
			skip = !strcmp(name, PLAN_NFT_TABLE) ||
				((!strcmp(fam, "ip") || !strcmp(fam, "ip6")) &&
				 (!strcmp(name, "mangle") ||
				  !strcmp(name, "filter") ||
				  !strcmp(name, "nat") ||
				  !strcmp(name, "raw")));
			continue;
		}
		if (sscanf(q, "chain %99s", name) == 1) {
			snprintf(chain, sizeof(chain), "%s", name);
			base = pre = prio = 0;
			guard = 0;
			continue;
		}
		if ((s = strstr(q, "hook ")) != NULL && strstr(q, "type ")) {
			const char *pr = strstr(q, "priority ");

			base = 1;
			pre = !strncmp(s + 5, "prerouting", 10);
			prio = 0;
			if (pr)
				prio = nft_prio(pr + 9);
			/* setup's chain may have been moved: compare with
			 * where it is */
			if (pre && strstr(table, PLAN_NFT_TABLE) &&
			    !strcmp(chain, "prerouting"))
				ours = prio;
			continue;
		}
		if (!skip && (guard & o->mask) != o->mask)
			guard |= pp_nft_guard(q);
		if (skip || (s = strstr(q, "meta mark set ")) == NULL)
			continue;
		w[n].bits = pp_nft_mark_bits(s + 14);
		/* a chain that lets marked packets go first rewrites none
		 * of ours */
		if (!(w[n].bits & o->mask) || (guard & o->mask) == o->mask)
			continue;
		pp_nft_iifname(q, ifn, sizeof(ifn));
		/* fail: decided below, once setup's priority is known; a
		 * rule for an interface no client uses rewrites none of
		 * ours */
		w[n].fail = base && pre && (!ifn[0] || client_iface(o, ifn));
		w[n].sock = 0;
		prio_of[n] = prio;
		snprintf(w[n].what, sizeof(w[n].what), "nft table %.40s "
			 "chain %.40s%s: `%.80s`", table, chain, !base ? "" :
			 pre ? " (prerouting)" : "", q);
		snprintf(w[n].guard, sizeof(w[n].guard), "nft insert rule "
			 "%.40s %.40s meta mark and 0x%08x == 0x%08x accept",
			 table, chain, o->mask, o->mask);
		n++;
	}
	for (i = 0; i < n; i++) {
		char t[sizeof(w[i].what)];
		const char *at = strstr(w[i].what, " (prerouting)");

		w[i].fail = w[i].fail && prio_of[i] > ours;
		if (!w[i].fail || at == NULL)
			continue;
		snprintf(t, sizeof(t), "%.*s (prerouting, after setup's "
			 "rules)%s", (int)(at - w[i].what), w[i].what, at + 13);
		snprintf(w[i].what, sizeof(w[i].what), "%s", t);
	}
	sbuf_free(&out);
	return n;
}

/* A chain of iptables' mangle table and where PREROUTING jumps to it. */
struct ipt_chain {
	char name[64];
	int  jump;	/* first PREROUTING rule that jumps here, or -1 */
	int  guard;	/* a guard of ours seen in it so far */
};

static struct ipt_chain *
ipt_chain(struct ipt_chain *c, size_t *n, size_t max, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(c[i].name, name))
			return &c[i];
	if (*n == max)
		return NULL;
	snprintf(c[*n].name, sizeof(c[*n].name), "%s", name);
	c[*n].jump = -1;
	c[*n].guard = 0;
	return &c[(*n)++];
}

/* iptables' mangle rules writing our bits. One is left out when a guard
 * (`-m mark --mark M/M -j ACCEPT` covering our mask) comes before it in
 * its chain, or in PREROUTING before the jump to its chain (Squid's
 * side-by-side recipe: the ACCEPT first, then `-m socket -j DIVERT`). */
static size_t
ipt_writers(struct writer *w, size_t max, const char *save,
	    const struct plan_opts *o)
{
	char prog[32], *argv[] = { prog, (char *)"-t", (char *)"mangle",
				   NULL };
	struct ipt_chain ch[64];
	struct sbuf out = { 0 };
	const char *p;
	size_t n = 0, nch = 0;
	int pass, pos, pre_guard = -1;

	snprintf(prog, sizeof(prog), "%s", save);
	if (run_cmd(argv, NULL, &out, NULL) != 0) {
		sbuf_free(&out);
		return 0;
	}
	/* Pass 0: PREROUTING's guard and jumps; pass 1: the writers. */
	for (pass = 0; pass < 2; pass++) {
		pos = 0;
		for (p = sbuf_str(&out); *p && n < max;
		     p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0)) {
			char l[400], chain[64], to[64];
			struct ipt_chain *c;
			int pre;

			snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"),
				 p);
			if (sscanf(l, "-A %63s", chain) != 1 ||
			    !strncmp(chain, "TPROXYD_", 8))
				continue;
			pre = !strcmp(chain, "PREROUTING");
			pos++;
			if (pass == 0) {
				if (pre && pre_guard < 0 &&
				    (pp_ipt_guard(l) & o->mask) == o->mask)
					pre_guard = pos;
				if (pre && pp_ipt_jump(l, to, sizeof(to)) &&
				    (c = ipt_chain(ch, &nch, 64, to)) != NULL &&
				    c->jump < 0)
					c->jump = pos;
				continue;
			}
			c = ipt_chain(ch, &nch, 64, chain);
			if (c != NULL && (pp_ipt_guard(l) & o->mask) ==
			    o->mask)
				c->guard = 1;
			w[n].bits = pp_ipt_mark_bits(l);
			if (w[n].bits == 0 || (c != NULL && c->guard) ||
			    (pre_guard > 0 && (pre ? pre_guard < pos :
					       c != NULL && c->jump >
					       pre_guard)))
				continue;
			/* Never a FAIL: with --backend iptables our chain
			 * comes first and its TPROXY and ACCEPT end the
			 * mangle table for the packets we divert; with nft,
			 * iptables' mangle hook has the same priority as our
			 * chain, in no defined order. */
			w[n].fail = 0;
			w[n].sock = 0;
			snprintf(w[n].what, sizeof(w[n].what), "%s: `%.120s`",
				 save[2] == '6' ? "ip6tables -t mangle" :
				 "iptables -t mangle", l);
			snprintf(w[n].guard, sizeof(w[n].guard), "%s -w -t "
				 "mangle -I %s -m mark --mark 0x%x/0x%x -j "
				 "ACCEPT", save[2] == '6' ? "ip6tables" :
				 "iptables", chain, o->mask, o->mask);
			n++;
		}
	}
	sbuf_free(&out);
	return n;
}

static size_t
sock_writers(struct writer *w, size_t max, int protected)
{
	char *argv[] = { (char *)"ss", (char *)"-tuapneH", NULL };
	struct sbuf out = { 0 };
	const char *p;
	size_t n = 0;

	run_cmd(argv, NULL, &out, NULL);
	for (p = sbuf_str(&out); *p && n < max;
	     p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0)) {
		char l[1024], prog[64] = "a program", local[80] = "";
		const char *m, *u;
		size_t i;

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		if ((m = strstr(l, "fwmark:")) == NULL)
			continue;
		if ((u = strstr(l, "users:((\"")) != NULL)
			snprintf(prog, sizeof(prog), "%.*s",
				 (int)strcspn(u + 9, "\""), u + 9);
		sscanf(l, "%*s %*s %*s %*s %79s", local);
		w[n].bits = (uint32_t)strtoul(m + 7, NULL, 0);
		for (i = 0; i < n; i++)
			if (w[i].bits == w[n].bits &&
			    strstr(w[i].what, prog))
				break;
		if (i < n)
			continue;
		w[n].fail = !protected;
		w[n].sock = 1;
		snprintf(w[n].what, sizeof(w[n].what), "%s (socket %s) marks "
			 "its packets 0x%x", prog, local, w[n].bits);
		n++;
	}
	sbuf_free(&out);
	return n;
}

/* tproxyd's own marks (tcp_outgoing_mark, clientside_mark): its sockets
 * have them only while connections are open, so they are read from the
 * configuration. Marked packets tproxyd sends are routed by our table
 * (delivered locally, not sent) unless the iif lo rule comes first. */
static size_t
conf_writers(struct writer *w, size_t max, const struct cfg *cf,
	     const char *conf_path, int protected)
{
	static const char *const what[] = { "tcp_outgoing_mark",
					    "clientside_mark" };
	size_t n = 0, k, i;

	if (cf == NULL)
		return 0;
	for (k = 0; k < 2; k++) {
		const struct cfg_qos_list *l = k == 0 ?
			&cf->qos.mark_server : &cf->qos.mark_client;

		for (i = 0; i < l->n && n < max; i++) {
			if (l->rule[i].value == 0)
				continue;
			w[n].bits = l->rule[i].value;
			w[n].fail = !protected;
			w[n].sock = 1;
			snprintf(w[n].what, sizeof(w[n].what), "tproxyd "
				 "(%s 0x%x in %.100s) marks its packets 0x%x",
				 what[k], l->rule[i].value, conf_path ?
				 conf_path : "its configuration",
				 l->rule[i].value);
			n++;
		}
	}
	return n;
}

/* nft, iptables and sockets writing mark bits we use. */
void
dr_path_marks(const struct plan_opts *o, const struct cfg *cf,
	      const char *conf_path, uint32_t rule_bits, int protected)
{
	struct writer w[48];
	size_t n = 0, i, bad = 0;
	uint32_t used = rule_bits, m;
	int fail = 0, sock = 0;
	char msg[600] = "", fix[600], mark[32], whole[600] = "";
	const char *why;

	memset(w, 0, sizeof(w));
	n += nft_writers(w + n, 16, o);
	if (o->families & PLAN_V4)
		n += ipt_writers(w + n, 8, "iptables-save", o);
	if (o->families & PLAN_V6)
		n += ipt_writers(w + n, 8, "ip6tables-save", o);
	n += sock_writers(w + n, 16, protected);
	n += conf_writers(w + n, 8, cf, conf_path, protected);
	for (i = 0; i < n; i++) {
		int ov;

		if (w[i].bits != 0xffffffffu)
			used |= w[i].bits;
		ov = (w[i].bits & o->mask) && (!w[i].sock ||
			pp_fwmark_overlaps(w[i].bits, 0xffffffffu, o->mark,
					   o->mask));
		if (!ov)
			continue;
		if (w[i].fail && !fail)
			sock = w[i].sock;
		fail |= w[i].fail;
		/* A rule setting the whole mark overwrites any --mark: the
		 * fix is that its chain leaves ours alone. */
		if (!w[i].sock && w[i].bits == 0xffffffffu && w[i].guard[0] &&
		    !strstr(whole, w[i].guard))
			snprintf(whole + strlen(whole), sizeof(whole) -
				 strlen(whole), "%s%s", whole[0] ? " && " : "",
				 w[i].guard);
		if (bad++ < 2)
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
				 "%s%.200s", bad > 1 ? "; " : "", w[i].what);
	}
	plan_format_mark(o->mark, o->mask, mark, sizeof(mark));
	if (bad == 0) {
		dr_add(ST_PASS, "path.marks", NULL, "no nft, iptables rule or "
		       "socket writes the bits of mark %s", mark);
		return;
	}
	if (whole[0]) {
		dr_add(fail ? ST_FAIL : ST_WARN, "path.marks", whole,
		       "mark %s is also written by %s%s, which sets the whole "
		       "mark: no other --mark avoids it%s; the fix makes it "
		       "leave packets with mark %s alone", mark, msg,
		       bad > 2 ? " (and more)" : "", fail ? " (the packets "
		       "setup diverts are forwarded and dropped)" : "", mark);
		return;
	}
	used |= o->mask;
	if (pp_free_mark(used, &m) < 0) {
		dr_add(fail ? ST_FAIL : ST_WARN, "path.marks", NULL,
		       "mark %s is also written by %s%s; no bit of the mark "
		       "is free for another --mark", mark, msg,
		       bad > 2 ? " (and more)" : "");
		return;
	}
	dr_mark_fix(o, conf_path, m, fix, sizeof(fix));
	if (fail && sock)
		why = "with no `ip rule ... iif lo ... lookup main` before the "
			"fwmark rule, those packets are routed by setup's "
			"table and delivered locally instead of sent";
	else if (fail)
		why = "a prerouting chain after setup's rules rewrites the "
			"mark of the packets setup diverts: they are forwarded "
			"and dropped";
	else
		why = "nothing is seen dropped (the `iif lo` rule routes "
			"marked local packets by main; a rule that runs before "
			"setup's is overwritten by it), but the programs share "
			"bits";
	dr_add(fail ? ST_FAIL : ST_WARN, "path.marks", fix, "mark %s is also "
	       "written by %s%s: %s; --mark 0x%x/0x%x collides with none",
	       mark, msg, bad > 2 ? " (and more)" : "", why, m, m);
}
