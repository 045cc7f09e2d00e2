/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ruleset.c - reading the netfilter rules into a model of the prerouting
 * path, for the checks of rules.c (and setup's conflict check).
 *
 * Where the facts come from: `nft list ruleset` (every prerouting base
 * chain, jumps followed) and `iptables-save -t mangle` / `ip6tables-save`
 * (PREROUTING, jumps followed); tables iptables-nft owns are read through
 * iptables-save only. Each path keeps the rules that matter to Squid's
 * TPROXY v4 guide, "iptables Configuration": bypass rules, the socket
 * (DIVERT) match and TPROXY, in the order a packet meets them.
 *
 * For QUIC, the same reading gives two more sets of paths: forwarded
 * packets (nft forward base chains, `iptables-save -t filter` FORWARD)
 * and where bridged frames arrive (bridge prerouting, netdev ingress),
 * with what they do to UDP.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backend.h"
#include "fwrule.h"
#include "ruleset.h"

/* The three sets of paths (see ruleset.h), read once, kept until exit. */
enum path { PATH_PRE, PATH_FWD, PATH_BRIDGE, NPATH };

static struct {
	struct walk *w;
	size_t       n;
} paths[NPATH];

static struct walk *
walk_new(enum path pt, const char *name)
{
	struct walk *w = realloc(paths[pt].w, (paths[pt].n + 1) * sizeof(*w));

	if (w == NULL)
		exit(1);
	paths[pt].w = w;
	w = &w[paths[pt].n++];
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	return w;
}

int
dr_ent_has_port(const struct ent *e, unsigned port)
{
	size_t i;

	if (e->ndport == 0)
		return 1;	/* no port match: every port */
	for (i = 0; i < e->ndport; i++)
		if (e->dport[i] == port)
			return 1;
	/* a range a-b is stored as its two ends */
	for (i = 0; i + 1 < e->ndport; i++)
		if (e->dport[i] < port && port < e->dport[i + 1] &&
		    strchr(e->text, '-'))
			return 1;
	return 0;
}

int
dr_ent_may_arrive(const struct ent *e, const char *ifname)
{
	return dr_fw_iif_may_match(e->text, e->ipt, ifname) &&
		(e->via[0] == '\0' ||
		 dr_fw_iif_may_match(e->via, e->ipt, ifname));
}

/* Whether rule r matches on input interfaces (then it is the via of the
 * rules of the chain it jumps to). */
static int
has_iif(const char *r, int ipt)
{
	return ipt ? strstr(r, " -i ") != NULL :
		strstr(r, "iifname ") != NULL || strstr(r, "iif ") != NULL;
}

static struct ent *
ent_add(struct walk *w, enum ent_type t, int fams, const char *text,
	const char *where, const char *via)
{
	struct ent *e = realloc(w->e, (w->n + 1) * sizeof(*e));

	if (e == NULL)
		exit(1);
	w->e = e;
	e = &w->e[w->n++];
	memset(e, 0, sizeof(*e));
	e->type = t;
	e->fams = fams;
	snprintf(e->text, sizeof(e->text), "%s", text);
	snprintf(e->where, sizeof(e->where), "%s", where);
	snprintf(e->via, sizeof(e->via), "%s", via ? via : "");
	e->ipt = strncmp(where, "nft ", 4) != 0;
	return e;
}

/* Ports after key: "80", "{ 80, 8080 }", "80,8080", "80-90" (first). */
static void
parse_ports(const char *p, struct ent *e)
{
	while (*p == ' ' || *p == '{')
		p++;
	while (isdigit((unsigned char)*p) && e->ndport < PLAN_MAX_PORTS) {
		char *end;

		e->dport[e->ndport++] = (unsigned)strtoul(p, &end, 10);
		p = end;
		if (*p == '-')	/* a range: keep its ends */
			continue;
		while (*p == ',' || *p == ' ')
			p++;
	}
}

/* nftables ------------------------------------------------------------- */

static struct dr_chain *nch;
static size_t nnch;

/* A base chain's priority: "mangle", "-150", "mangle + 10", ... */
static int
nft_prio(const char *p)
{
	static const struct {
		const char *name;
		int         val;
	} names[] = { { "raw", -300 }, { "mangle", -150 }, { "dstnat", -100 },
		      { "filter", 0 }, { "security", 50 }, { "srcnat", 100 } };
	size_t i;
	int v = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(p, names[i].name, strlen(names[i].name))) {
			v = names[i].val;
			p += strlen(names[i].name);
			break;
		}
	if (i == sizeof(names) / sizeof(names[0]))
		return (int)strtol(p, NULL, 10);
	while (*p == ' ')
		p++;
	if (*p == '+' || *p == '-')
		v += (*p == '+' ? 1 : -1) * (int)strtol(p + 1, NULL, 10);
	return v;
}

static int
ipt_owned(const char *fam, const char *table)
{
	static const char *const names[] = { "filter", "mangle", "nat",
					     "raw", "security" };
	size_t i;

	if (strcmp(fam, "ip") && strcmp(fam, "ip6"))
		return 0;
	for (i = 0; i < 5; i++)
		if (strcmp(table, names[i]) == 0)
			return 1;
	return 0;
}

static void
nft_parse(const char *text, int skip_ipt)
{
	char fam[8] = "", table[64] = "";
	struct dr_chain *cur = NULL;
	const char *p;
	int skip = 0;

	for (p = text; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ?
						     1 : 0)) {
		char l[1024];
		char *s;

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		for (s = l; *s == '\t' || *s == ' '; s++)
			;
		rstrip(s);
		if (strncmp(s, "table ", 6) == 0) {
			sscanf(s, "table %7s %63s", fam, table);
			skip = skip_ipt && ipt_owned(fam, table);
			cur = NULL;
			continue;
		}
		if (skip)
			continue;
		if (strncmp(s, "chain ", 6) == 0) {
			struct dr_chain *n = realloc(nch, (nnch + 1) *
						   sizeof(*n));

			if (n == NULL)
				exit(1);
			nch = n;
			cur = &nch[nnch++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->fam, sizeof(cur->fam), "%s", fam);
			snprintf(cur->table, sizeof(cur->table), "%s", table);
			sscanf(s, "chain %63s", cur->name);
			continue;
		}
		if (cur == NULL || *s == '\0' || *s == '}')
			continue;
		if (strncmp(s, "type ", 5) == 0) {
			const char *h = strstr(s, " hook ");
			const char *d = strstr(s, " device ");
			const char *pr = strstr(s, " priority ");

			if (h)
				sscanf(h + 6, "%15s", cur->hook);
			if (d)
				sscanf(d + 8, "\"%15[^\"]", cur->dev);
			if (pr)
				cur->prio = nft_prio(pr + 10);
			cur->policy_drop = strstr(s, "policy drop") != NULL;
			continue;
		}
		if (strncmp(s, "policy ", 7) == 0 || strncmp(s, "comment ",
							     8) == 0) {
			if (strncmp(s, "policy drop", 11) == 0)
				cur->policy_drop = 1;
			continue;
		}
		cur->rule = realloc(cur->rule, (cur->nrule + 1) *
				    sizeof(char *));
		if (cur->rule == NULL)
			exit(1);
		cur->rule[cur->nrule++] = xstrdup(s);
	}
}

static struct dr_chain *
nft_find(const char *fam, const char *table, const char *name)
{
	size_t i;

	for (i = 0; i < nnch; i++)
		if (!strcmp(nch[i].fam, fam) && !strcmp(nch[i].table, table) &&
		    !strcmp(nch[i].name, name))
			return &nch[i];
	return NULL;
}

static int
nft_fams(const struct dr_chain *c, const char *r)
{
	if (!strcmp(c->fam, "ip"))
		return PLAN_V4;
	if (!strcmp(c->fam, "ip6"))
		return PLAN_V6;
	if (strstr(r, "ether type ip6"))
		return PLAN_V6;
	if (strstr(r, "ether type ip "))
		return PLAN_V4;
	if (strstr(r, "nfproto ipv4") || strstr(r, "tproxy ip to") ||
	    strncmp(r, "ip ", 3) == 0 || strstr(r, " ip saddr") ||
	    strstr(r, " ip daddr"))
		return PLAN_V4;
	if (strstr(r, "nfproto ipv6") || strstr(r, "tproxy ip6 to") ||
	    strncmp(r, "ip6 ", 4) == 0 || strstr(r, " ip6 saddr") ||
	    strstr(r, " ip6 daddr"))
		return PLAN_V6;
	return PLAN_BOTH;
}

/* What rule r does to UDP (forward and bridge paths): -1 nothing we
 * model, else ENT_UDP_* (ports, if any, after "dport "). */
static int
udp_action(const char *r)
{
	if (!strstr(r, "udp ") && !strstr(r, "-p udp"))
		return -1;
	if (strstr(r, "sport") && !strstr(r, "dport"))
		return -1;
	if (strstr(r, "reject") || strstr(r, "REJECT"))
		return ENT_UDP_REJECT;
	if (strstr(r, " drop") || strstr(r, "-j DROP"))
		return ENT_UDP_DROP;
	return -1;
}

static void
nft_walk(struct walk *w, const struct dr_chain *c, enum path pt, int depth,
	 const char *via)
{
	char where[256];
	size_t i;

	snprintf(where, sizeof(where), "nft %s %s %s", c->fam, c->table,
		 c->name);
	for (i = 0; i < c->nrule; i++) {
		const char *r = c->rule[i], *q;
		int fams = nft_fams(c, r), ua;

		if (pt == PATH_PRE && (q = strstr(r, "tproxy ")) != NULL) {
			struct ent *e = ent_add(w, ENT_TPROXY, fams, r, where,
						via);
			const char *to = strstr(q, " to ");

			if ((q = strstr(r, "dport ")) != NULL)
				parse_ports(q + 6, e);
			if (to) {
				const char *end = to + 4 + strcspn(to + 4, " ");
				const char *colon = end;

				while (colon > to && *colon != ':')
					colon--;
				e->onport = (unsigned)strtoul(colon + 1, NULL,
							      10);
			}
		} else if (pt == PATH_PRE &&
			   (strstr(r, "socket transparent 1") ||
			    strstr(r, "socket exists"))) {
			ent_add(w, ENT_SOCKET, fams, r, where, via);
		} else if (pt != PATH_PRE &&
			   (ua = udp_action(r)) >= 0) {
			struct ent *e = ent_add(w, ua, fams, r, where, via);

			if ((q = strstr(r, "dport ")) != NULL)
				parse_ports(q + 6, e);
		} else if ((q = strstr(r, "jump ")) != NULL ||
			   (q = strstr(r, "goto ")) != NULL) {
			char target[64];
			const struct dr_chain *t;

			if (sscanf(q + 5, "%63s", target) == 1 && depth < 8 &&
			    (t = nft_find(c->fam, c->table, target)) != NULL)
				nft_walk(w, t, pt, depth + 1,
					 has_iif(r, 0) ? r : via);
		} else if ((strstr(r, "accept") || strstr(r, "return")) &&
			   (strstr(r, "saddr ") || strstr(r, "daddr ")) &&
			   !strstr(r, "mark set")) {
			ent_add(w, ENT_BYPASS, fams, r, where, via);
		}
	}
}

/* iptables -------------------------------------------------------------- */

static void
ipt_walk(struct walk *w, struct dr_chain *ch, size_t nch_, const char *name,
	 int fam, const char *table, int depth, const char *via)
{
	struct dr_chain *c = NULL;
	char where[256];
	size_t i, k;
	int ua;

	for (i = 0; i < nch_; i++)
		if (!strcmp(ch[i].name, name))
			c = &ch[i];
	if (c == NULL || depth > 8)
		return;
	snprintf(where, sizeof(where), "%s %s %s", fam == PLAN_V4 ?
		 "iptables" : "ip6tables", table, name);
	for (i = 0; i < c->nrule; i++) {
		const char *r = c->rule[i], *q;
		char target[64] = "";

		if ((q = strstr(r, " -j ")) != NULL)
			sscanf(q + 4, "%63s", target);
		if (!strcmp(table, "filter") &&
		    (!strcmp(target, "REJECT") || !strcmp(target, "DROP")) &&
		    (ua = udp_action(r)) >= 0) {
			struct ent *e = ent_add(w, ua, fam, r, where, via);

			if ((q = strstr(r, "--dport ")) != NULL)
				parse_ports(q + 8, e);
			else if ((q = strstr(r, "--dports ")) != NULL)
				parse_ports(q + 9, e);
		} else if (!strcmp(target, "TPROXY")) {
			struct ent *e = ent_add(w, ENT_TPROXY, fam, r, where,
						via);

			if ((q = strstr(r, "--dport ")) != NULL)
				parse_ports(q + 8, e);
			else if ((q = strstr(r, "--dports ")) != NULL)
				parse_ports(q + 9, e);
			if ((q = strstr(r, "--on-port ")) != NULL)
				e->onport = (unsigned)strtoul(q + 10, NULL, 10);
		} else if (strstr(r, "-m socket")) {
			ent_add(w, ENT_SOCKET, fam, r, where, via);
		} else if ((!strcmp(target, "RETURN") ||
			    !strcmp(target, "ACCEPT")) &&
			   (strstr(r, " -s ") || strstr(r, " -d "))) {
			ent_add(w, ENT_BYPASS, fam, r, where, via);
		} else if (target[0]) {
			for (k = 0; k < nch_; k++)
				if (!strcmp(ch[k].name, target))
					ipt_walk(w, ch, nch_, target, fam,
						 table, depth + 1,
						 has_iif(r, 1) ? r : via);
		}
	}
}

struct dr_chain *
dr_ipt_parse(const char *text, size_t *np)
{
	struct dr_chain *ch = NULL;
	size_t n = 0, i;
	const char *p;

	for (p = text; *p; p += strcspn(p, "\n") +
	     (p[strcspn(p, "\n")] ? 1 : 0)) {
		char l[1024], name[64];

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		if (l[0] != ':' && strncmp(l, "-A ", 3) != 0)
			continue;
		sscanf(l + (l[0] == ':' ? 1 : 3), "%63s", name);
		for (i = 0; i < n; i++)
			if (!strcmp(ch[i].name, name))
				break;
		if (i == n) {
			ch = realloc(ch, (n + 1) * sizeof(*ch));
			if (ch == NULL)
				exit(1);
			memset(&ch[n], 0, sizeof(*ch));
			snprintf(ch[n].name, sizeof(ch[n].name), "%s", name);
			n++;
		}
		if (l[0] == ':')
			ch[i].policy_drop = strstr(l, " DROP ") != NULL;
		if (l[0] == '-') {
			ch[i].rule = realloc(ch[i].rule, (ch[i].nrule + 1) *
					     sizeof(char *));
			if (ch[i].rule == NULL)
				exit(1);
			ch[i].rule[ch[i].nrule++] = xstrdup(l);
		}
	}
	*np = n;
	return ch;
}

void
dr_chains_free(struct dr_chain *ch, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < ch[i].nrule; k++)
			free(ch[i].rule[k]);
		free(ch[i].rule);
	}
	free(ch);
}

/* The path from built-in chain start of table (mangle PREROUTING, filter
 * FORWARD) as walk pt. */
static void
ipt_collect(int fam, const char *table, const char *start, enum path pt)
{
	struct sbuf out = { 0 };
	struct dr_chain *ch;
	size_t n;
	char wname[64];

	if (ipt_save(fam, table, &out) < 0) {
		sbuf_free(&out);
		return;
	}
	ch = dr_ipt_parse(sbuf_str(&out), &n);
	snprintf(wname, sizeof(wname), "%s %s %s", fam == PLAN_V4 ?
		 "iptables" : "ip6tables", table, start);
	ipt_walk(walk_new(pt, wname), ch, n, start, fam, table, 0, NULL);
	dr_chains_free(ch, n);
	sbuf_free(&out);
}

static int collected;

static void
collect_rules(void)
{
	char *argv[] = { (char *)"nft", (char *)"list", (char *)"ruleset",
			 NULL };
	struct sbuf out = { 0 };
	int ipt_nft = ipt_is_nft();
	size_t i;

	if (collected)
		return;
	collected = 1;
	if (run_cmd(argv, NULL, &out, NULL) == 0) {
		nft_parse(sbuf_str(&out), ipt_nft);
		for (i = 0; i < nnch; i++) {
			int bridge = !strcmp(nch[i].fam, "bridge");
			char name[256];
			struct walk *w;
			enum path pt;


			if (!strcmp(nch[i].hook, "prerouting"))
				pt = bridge ? PATH_BRIDGE : PATH_PRE;
			else if (!strcmp(nch[i].hook, "forward") && !bridge)
				pt = PATH_FWD;
			else if (!strcmp(nch[i].hook, "ingress") &&
				 !strcmp(nch[i].fam, "netdev"))
				pt = PATH_BRIDGE;
			else
				continue;
			snprintf(name, sizeof(name), "nft %s %s %s",
				 nch[i].fam, nch[i].table, nch[i].name);
			w = walk_new(pt, name);
			snprintf(w->dev, sizeof(w->dev), "%s", nch[i].dev);
			nft_walk(w, &nch[i], pt, 0, NULL);
		}
	}
	sbuf_free(&out);
	ipt_collect(PLAN_V4, "mangle", "PREROUTING", PATH_PRE);
	ipt_collect(PLAN_V6, "mangle", "PREROUTING", PATH_PRE);
	ipt_collect(PLAN_V4, "filter", "FORWARD", PATH_FWD);
	ipt_collect(PLAN_V6, "filter", "FORWARD", PATH_FWD);
}

static size_t
get(enum path pt, const struct walk **out)
{
	collect_rules();
	*out = paths[pt].w;
	return paths[pt].n;
}

size_t
dr_rules_walks(const struct walk **out)
{
	return get(PATH_PRE, out);
}

size_t
dr_forward_walks(const struct walk **out)
{
	return get(PATH_FWD, out);
}

size_t
dr_nft_chains(const struct dr_chain **out)
{
	collect_rules();
	*out = nch;
	return nnch;
}

size_t
dr_bridge_walks(const struct walk **out)
{
	return get(PATH_BRIDGE, out);
}
