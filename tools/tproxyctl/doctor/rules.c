/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules.c - the netfilter rules, checked on the model ruleset.c reads
 * (every prerouting path, nft and iptables alike), per family:
 *   rules.tproxy.*  a TPROXY rule sends to each tproxy port;
 *   rules.port.*    each intercepted port (HTTP and HTTPS) has a TPROXY
 *                   rule (where it goes: https.c);
 *   rules.order.*   the socket (DIVERT) rule comes before TPROXY: Squid's
 *                   TPROXY v4 guide, Troubleshooting, "Traffic going
 *                   through Squid but then timing out" (replies of
 *                   intercepted connections would go through TPROXY again);
 *   rules.udp.*     with --udp-ports: a TPROXY rule sends each UDP port to
 *                   tproxyd's udp_port (before any socket rule that
 *                   covers UDP: see tproxyctl(8), UDP);
 *   rules.bypass.*  bypass rules come before the capture rules and the
 *                   requested ones exist: "Bypassing TPROXY intercept", and
 *                   Troubleshooting, "Timeouts with Squid not running in the
 *                   router directly" (exceptions MUST come first).
 * Also setup's check for someone else's TPROXY rule on the ports it is
 * about to intercept (doctor_foreign_capture(), declared in apply.h).
 */
#include <stdio.h>
#include <string.h>

#include "../apply.h"
#include "checks.h"
#include "ruleset.h"

static int
is_ours(const char *where)
{
	return strstr(where, " " PLAN_NFT_TABLE " ") ||
		strstr(where, "TPROXYD_");
}

/* Can rule e see packets of the interfaces tproxyctl captures on? With
 * --iface (not bridged), a rule restricted to other input interfaces
 * cannot: another proxy on other LANs (side by side during a migration,
 * doc/migrating.md) is no conflict. */
static int
may_arrive(const struct plan_opts *o, const struct ent *e)
{
	size_t i;

	if (o->niface == 0 || o->bridge)
		return 1;
	for (i = 0; i < o->niface; i++)
		if (dr_ent_may_arrive(e, o->iface[i]))
			return 1;
	return 0;
}

int
doctor_foreign_capture(const struct plan_opts *o, struct sbuf *err)
{
	const struct walk *walks;
	unsigned dport[PLAN_MAX_PORTS * PLAN_NKIND];
	size_t nwalks, w, i, k, nd;
	int bad = 0;

	nwalks = dr_rules_walks(&walks);
	for (w = 0; w < nwalks; w++)
		for (i = 0; i < walks[w].n; i++) {
			const struct ent *e = &walks[w].e[i];

			if (e->type != ENT_TPROXY || is_ours(e->where) ||
			    !(e->fams & o->families))
				continue;
			nd = plan_all_dports(o, e->fams & o->families, dport,
					     sizeof(dport) / sizeof(dport[0]));
			for (k = 0; k < nd; k++)
				if (dr_ent_has_port(e, dport[k]))
					break;
			if (k == nd || !may_arrive(o, e))
				continue;
			sbuf_printf(err, "tproxyctl: conflicting existing "
				    "rule in %s: `%s` already intercepts port "
				    "%u; remove it first (tproxyctl manages "
				    "its own table/chains)\n", e->where,
				    e->text, dport[k]);
			bad = 1;
		}
	return bad ? -1 : 0;
}

/* Family f: socket/DIVERT before TPROXY, bypass before both, on every
 * prerouting path (rules.order.*, rules.bypass.*). Only TPROXY rules to
 * tproxyd's ports (tp, ntp) count: another proxy's are fw.capture's. */
static void
check_order(const struct walk *walks, size_t nwalks, int f,
	    const char *setup, const unsigned *tp, size_t ntp)
{
	int order_bad = 0, bypass_bad = 0, any = 0;
	char id[64], obad[400] = "", bbad[400] = "";
	size_t w, i;

	for (w = 0; w < nwalks; w++) {
		int seen_socket = 0, seen_capture = 0;

		for (i = 0; i < walks[w].n; i++) {
			const struct ent *e = &walks[w].e[i];

			size_t k;

			if (!(e->fams & f))
				continue;
			for (k = 0; e->type == ENT_TPROXY && k < ntp; k++)
				if (tp[k] == e->onport)
					break;
			if (e->type == ENT_TPROXY && k == ntp)
				continue;
			if (e->type == ENT_SOCKET) {
				seen_socket = 1;
				seen_capture = 1;
			} else if (e->type == ENT_TPROXY) {
				any = 1;
				if (!seen_socket && !order_bad) {
					order_bad = 1;
					snprintf(obad, sizeof(obad),
						 "`%.200s` (%.150s)", e->text,
						 e->where);
				}
				seen_capture = 1;
			} else if (seen_capture && !bypass_bad) {
				bypass_bad = 1;
				snprintf(bbad, sizeof(bbad),
					 "`%.200s` (%.150s)", e->text,
					 e->where);
			}
		}
	}
	snprintf(id, sizeof(id), "rules.order.%s", dr_fam_name(f));
	if (order_bad)
		dr_add(ST_FAIL, id, setup, "%s: TPROXY rule %s "
		    "comes before the socket (DIVERT) rule: "
		    "replies of intercepted connections go "
		    "through TPROXY again", dr_fam_name(f), obad);
	else if (any)
		dr_add(ST_PASS, id, NULL, "%s: socket (DIVERT) "
		    "rule comes before TPROXY", dr_fam_name(f));
	snprintf(id, sizeof(id), "rules.bypass.%s",
		 dr_fam_name(f));
	if (bypass_bad)
		dr_add(ST_FAIL, id, setup, "%s: bypass rule %s "
		    "comes after the capture rules and never "
		    "applies", dr_fam_name(f), bbad);
	else
		dr_add(ST_PASS, id, NULL, "%s: bypass rules (if "
		    "any) come before the capture rules",
		    dr_fam_name(f));
}

/*
 * --udp-ports, family f: each port has a TPROXY rule to the udp_port.
 * The order against socket rules is not checked: the rule model has no
 * protocols, and tproxyctl's TCP socket rule (first) matches TCP only.
 */
static void
check_udp(const struct plan_opts *o, const struct walk *walks,
	  size_t nwalks, int f, const char *setup)
{
	const struct plan_target *t = plan_udp_to(o, f);
	char id[64];
	size_t k, w, i;

	if (t == NULL)
		return;
	for (k = 0; k < o->udp.ndport; k++) {
		int found = 0;

		for (w = 0; w < nwalks && !found; w++)
			for (i = 0; i < walks[w].n; i++) {
				const struct ent *e = &walks[w].e[i];

				if (e->type == ENT_TPROXY &&
				    (e->fams & f) && e->onport == t->port &&
				    dr_ent_has_port(e, o->udp.dport[k])) {
					found = 1;
					break;
				}
			}
		snprintf(id, sizeof(id), "rules.udp.%s.%u", dr_fam_name(f),
			 o->udp.dport[k]);
		if (found)
			dr_add(ST_PASS, id, NULL, "%s: UDP port %u goes to "
			    "udp_port %u", dr_fam_name(f), o->udp.dport[k],
			    t->port);
		else
			dr_add(ST_FAIL, id, setup, "%s: no TPROXY rule sends "
			    "UDP port %u to tproxyd's udp_port %u",
			    dr_fam_name(f), o->udp.dport[k], t->port);
	}
}

void
dr_check_rules(const struct plan_opts *o, const struct cfg *c,
	       const char *conf_path)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	char id[64], setup[600];
	const struct walk *walks;
	unsigned dport[PLAN_MAX_PORTS * PLAN_NKIND];
	size_t nwalks, fi, w, i, k, nd;

	nwalks = dr_rules_walks(&walks);
	dr_fix_setup(setup, sizeof(setup), conf_path, o);
	for (fi = 0; fi < 2; fi++) {
		int f = fams[fi];
		unsigned tp[32];
		size_t ntp;

		if (!(o->families & f))
			continue;
		ntp = dr_tproxy_ports(o, c, f, tp, 32);
		/* A TPROXY rule sending to each tproxy port. */
		for (k = 0; k < ntp; k++) {
			const struct ent *found = NULL;

			for (w = 0; w < nwalks && !found; w++)
				for (i = 0; i < walks[w].n; i++)
					if (walks[w].e[i].type == ENT_TPROXY &&
					    (walks[w].e[i].fams & f) &&
					    walks[w].e[i].onport == tp[k]) {
						found = &walks[w].e[i];
						break;
					}
			snprintf(id, sizeof(id), "rules.tproxy.%s.%u",
				 dr_fam_name(f), tp[k]);
			if (found)
				dr_add(ST_PASS, id, NULL, "%s: TPROXY rule "
				    "sends to tproxy port %u (%s)",
				    dr_fam_name(f), tp[k], found->where);
			else
				dr_add(ST_FAIL, id, setup, "%s: no TPROXY rule "
				    "sends connections to tproxy port %u",
				    dr_fam_name(f), tp[k]);
		}
		/* Each intercepted port has a TPROXY rule. */
		nd = plan_all_dports(o, f, dport, sizeof(dport) /
				     sizeof(dport[0]));
		for (k = 0; k < nd; k++) {
			int found = 0;

			for (w = 0; w < nwalks; w++)
				for (i = 0; i < walks[w].n; i++)
					if (walks[w].e[i].type == ENT_TPROXY &&
					    (walks[w].e[i].fams & f) &&
					    dr_ent_has_port(&walks[w].e[i],
							    dport[k]))
						found = 1;
			snprintf(id, sizeof(id), "rules.port.%s.%u",
				 dr_fam_name(f), dport[k]);
			if (found)
				dr_add(ST_PASS, id, NULL, "%s: port %u is "
				    "intercepted", dr_fam_name(f), dport[k]);
			else
				dr_add(ST_FAIL, id, setup, "%s: no rule "
				    "intercepts port %u", dr_fam_name(f),
				    dport[k]);
		}
		check_order(walks, nwalks, f, setup, tp, ntp);
		check_udp(o, walks, nwalks, f, setup);
		/* Requested bypasses are present. */
		for (k = 0; k < o->nbypass; k++) {
			int bf, found = 0;

			if (plan_parse_cidr(o->bypass[k], &bf) < 0 || bf != f)
				continue;
			for (w = 0; w < nwalks; w++)
				for (i = 0; i < walks[w].n; i++)
					if (walks[w].e[i].type == ENT_BYPASS &&
					    strstr(walks[w].e[i].text,
						   o->bypass[k]))
						found = 1;
			snprintf(id, sizeof(id), "rules.bypass.%s.%s",
				 dr_fam_name(f), o->bypass[k]);
			/* the setup command says every bypass again */
			if (found)
				dr_add(ST_PASS, id, NULL, "bypass for %s "
				    "present", o->bypass[k]);
			else
				dr_add(ST_FAIL, id, setup, "no bypass rule for "
				    "%s", o->bypass[k]);
		}
	}
}
