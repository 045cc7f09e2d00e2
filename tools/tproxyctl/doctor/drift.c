/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * drift.c - the running rules and tproxyd.conf disagree: the rules were
 * set up from an earlier configuration (tproxyd.conf now says
 * `http_port 3140 tproxy`, the rules still send port 80 to 3129; an
 * https_port was added or removed; the configuration listens on another
 * set of families). Nothing reloads the rules when tproxyd.conf changes,
 * so this is what a configuration edit without `tproxyctl setup` (or
 * `systemctl restart tproxyctl`) leaves behind.
 *
 *   drift.http.FAMILY, drift.https.FAMILY
 *	the tproxy port the rules send each kind of traffic to (the state
 *	file's record of the last setup, checked against the TPROXY rules
 *	nft / iptables show) against the configuration's. FAIL when clients
 *	are not intercepted now: the rules send to a port nothing listens on,
 *	or the configuration has a port no rule sends to (those connections
 *	go direct). WARN when the old port still listens (tproxyd has not
 *	reloaded its configuration yet): interception works until it does;
 *	and for a port removed from the configuration with nft (clients go
 *	direct, which is what the configuration now wants).
 *   drift.family.FAMILY
 *	the configuration listens on a family the rules do not intercept
 *	(setup with --family, or the configuration grew an address): WARN,
 *	as the family was perhaps left out on purpose.
 *
 * The fix sets up again from the configuration with the options the last
 * setup had (interfaces, mark, table, bypasses, ...), or restarts
 * tproxyctl.service when that unit is what set the rules up.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "config/config-t.h"

#include "../conf.h"
#include "../doctor.h"
#include "../repair.h"
#include "../state.h"
#include "checks.h"
#include "ruleset.h"

static const char *const kind_line[] = { "http_port", "https_port" };
static const char *const kind_id[] = { "http", "https" };

/* Whether something listens on TCP port for family f in this network
 * namespace (/proc/net/tcp, and tcp6: a dual-stack socket takes IPv4
 * too). */
static int
listening(int f, unsigned port)
{
	static const char *const files[] = { "/proc/net/tcp",
					     "/proc/net/tcp6" };
	char want[8];
	size_t i;

	snprintf(want, sizeof(want), ":%04X", port);
	for (i = f == PLAN_V4 ? 0 : 1; i < 2; i++) {
		struct sbuf b = { 0 };
		const char *line;
		int found = 0;

		if (read_file(files[i], &b) < 0) {
			sbuf_free(&b);
			continue;
		}
		/* "  0: 00000000:0C39 00000000:0000 0A ..." (0A: LISTEN) */
		for (line = sbuf_str(&b); line && *line && !found;
		     line = strchr(line, '\n') ? strchr(line, '\n') + 1 :
		     NULL) {
			char local[64], st[8];

			if (sscanf(line, "%*s %63s %*s %7s", local, st) != 2)
				continue;
			found = strcmp(st, "0A") == 0 &&
				strstr(local, want) != NULL &&
				strlen(strstr(local, want)) == 5;
		}
		sbuf_free(&b);
		if (found)
			return 1;
	}
	return 0;
}

/* Whether one of tproxyctl's own TPROXY rules for family f sends to
 * port (what nft / iptables show, not what the state file says). */
static int
rules_send_to(int f, unsigned port)
{
	const struct walk *walks;
	size_t nwalks = dr_rules_walks(&walks), w, i;

	for (w = 0; w < nwalks; w++)
		for (i = 0; i < walks[w].n; i++) {
			const struct ent *e = &walks[w].e[i];

			if (e->type == ENT_TPROXY && (e->fams & f) &&
			    e->onport == port &&
			    (strstr(e->where, " " PLAN_NFT_TABLE " ") ||
			     strstr(e->where, "TPROXYD_")))
				return 1;
		}
	return 0;
}

/* The configuration's line for tproxy port (kind k), for messages. */
static const struct cfg_port *
conf_line(const struct cfg *c, int k, unsigned port)
{
	size_t i;

	for (i = 0; i < c->nport; i++) {
		const struct cfg_port *p = &c->port[i];
		const struct sockaddr_in *s4 = (const void *)&p->addr;
		const struct sockaddr_in6 *s6 = (const void *)&p->addr;
		unsigned pp = p->addr.ss_family == AF_INET ?
			ntohs(s4->sin_port) : ntohs(s6->sin6_port);

		if (p->mode == PORT_TPROXY && (int)p->https == k && pp == port)
			return p;
	}
	return NULL;
}

/* 1 when tproxyctl.service is active (systemd says so): restarting it
 * then sets up from the configuration the unit names. */
static int
unit_active(void)
{
	char *argv[] = { (char *)"systemctl", (char *)"is-active",
			 (char *)"--quiet", (char *)"tproxyctl.service", NULL };

	return run_cmd(argv, NULL, NULL, NULL) == 0;
}

/*
 * The command setting up again from conf_path with the options of the
 * last setup (st) that do not come from the configuration (the ports
 * tproxyd listens on do: not said again). With keep_family, the families
 * st was limited to (--family). Into fix (n bytes).
 */
static void
fix_setup(char *fix, size_t n, const char *conf_path,
	  const struct plan_opts *st, int keep_family)
{
	struct plan_opts o = *st;
	size_t k;

	for (k = 0; k < PLAN_NKIND; k++)
		o.map[k].to[0].port = o.map[k].to[1].port = 0;
	if (!keep_family)
		o.families = PLAN_BOTH;
	dr_fix_setup(fix, n, conf_path, &o);
}

/* One kind (k) of one family (f): the rules' target ht (NULL: none)
 * against the configuration's wt (NULL: none). */
static void
check_kind(const struct cfg *c, const char *conf_path, int f, int k,
	   const struct plan_target *ht, const struct plan_target *wt,
	   const struct plan_map *hm, int backend, const char *fix)
{
	const char *fam = dr_fam_name(f), *gone;
	const struct cfg_port *line;
	char id[64], dports[PLAN_MAX_PORTS * 6], where[300] = "";
	int st;

	snprintf(id, sizeof(id), "drift.%s.%s", kind_id[k], fam);
	plan_format_ports(hm->dport, hm->ndport, ",", dports, sizeof(dports));
	if (wt && (line = conf_line(c, k, wt->port)) != NULL)
		snprintf(where, sizeof(where), " (%s:%d)", line->file,
			 line->line);
	if (ht == NULL && wt == NULL)
		return;
	if (ht && wt && ht->port == wt->port) {
		dr_add(ST_PASS, id, NULL, "%s: the rules send port %s to %u, "
		    "the configuration's %s%s", fam, dports, ht->port,
		    kind_line[k], where);
		return;
	}
	if (ht == NULL) {
		dr_add(ST_FAIL, id, fix, "%s: %s has `%s %u ... tproxy`%s but "
		    "no rule sends port %s to it (the rules were set up "
		    "before): those connections go direct", fam, conf_path,
		    kind_line[k], wt->port, where, dports);
		return;
	}
	st = listening(f, ht->port) ? ST_WARN : ST_FAIL;
	/* Nothing listening: iptables' TPROXY drops the connection, nft's
	 * does not match and it is routed on (direct). */
	gone = backend == PLAN_IPT ? ": nothing listens there, and "
		"iptables' TPROXY drops what it cannot hand to a socket "
		"(clients time out)" : ": nothing listens there, so nft's "
		"TPROXY does not match and clients go direct";
	if (wt) {
		dr_add(st, id, fix, "%s: %s has `%s %u ... tproxy`%s but the "
		    "rules send port %s to %u (set up from an earlier "
		    "configuration)%s", fam, conf_path, kind_line[k],
		    wt->port, where, dports, ht->port, st == ST_WARN ?
		    "; tproxyd still listens there, so interception works "
		    "until it reloads its configuration" : gone);
		return;
	}
	/* Removed from the configuration: with nft, direct is what the
	 * configuration now wants; the rules only still claim the port. */
	if (st == ST_FAIL && backend == PLAN_NFT)
		st = ST_WARN;
	dr_add(st, id, fix, "%s: the rules send port %s to %u but %s has no "
	    "`%s ... tproxy` line for %s any more%s", fam, dports, ht->port,
	    conf_path, kind_line[k], fam, st == ST_FAIL ? gone :
	    listening(f, ht->port) ? "; something still listens there, "
	    "until tproxyd reloads its configuration" : "; nft's TPROXY "
	    "does not match without a listener, so those connections go "
	    "direct, as the configuration now wants");
}

void
dr_check_drift(const struct plan_opts *o, const struct cfg *c,
	       const char *conf_path)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	struct state st = { 0 };
	struct sbuf err = { 0 };
	struct plan_opts have, want;
	char fix[600], fixfam[600], id[64];
	int unit, ffound, keep;
	size_t fi, k;

	(void)o;	/* o has the configuration's ports already */
	if (conf_path == NULL || c == NULL)
		return;	/* nothing to compare with */
	if (state_load(doctor_state ? doctor_state : STATE_DEFAULT, &st,
		       &err) < 0 || !st.have_opts) {
		/* No record of a setup (rules.* say whether rules exist). */
		state_free(&st);
		sbuf_free(&err);
		return;
	}
	have = st.opts;
	state_free(&st);
	sbuf_free(&err);
	/* What `setup -f CONF` with the same other options makes now. */
	want = have;
	for (k = 0; k < PLAN_NKIND; k++)
		want.map[k].to[0].port = want.map[k].to[1].port = 0;
	ffound = conf_targets(c, 0, 0, 0, &want);
	if (ffound == 0)
		return;	/* config.tproxy FAILs */
	unit = (doctor_state == NULL ||
		strcmp(doctor_state, STATE_DEFAULT) == 0) && unit_active();
	keep = have.families != want.families &&
		(have.families & ~want.families) == 0;
	if (unit) {
		snprintf(fix, sizeof(fix), "systemctl restart tproxyctl");
		snprintf(fixfam, sizeof(fixfam), "sed -i 's/--family "
			 "[a-z0-9]*//' /etc/default/tproxyctl && systemctl "
			 "restart tproxyctl");
	} else {
		fix_setup(fix, sizeof(fix), conf_path, &have, keep);
		fix_setup(fixfam, sizeof(fixfam), conf_path, &have, 0);
	}
	for (fi = 0; fi < 2; fi++) {
		int f = fams[fi];

		if ((want.families & f) && !(have.families & f)) {
			char why[128];

			snprintf(id, sizeof(id), "drift.family.%s",
				 dr_fam_name(f));
			if (have.family_given)
				dr_add(ST_PASS, id, NULL, "%s: not "
				    "intercepted, as set up (--family %s)",
				    dr_fam_name(f),
				    dr_fam_name(have.families));
			else if (f == PLAN_V6 && ipv6_unusable(why,
							       sizeof(why)))
				continue;	/* path.ipv6 says why */
			else
				dr_add(ST_WARN, id, fixfam, "%s listens for "
				    "%s too, but the rules intercept %s only "
				    "(set up from an earlier configuration)",
				    conf_path, dr_fam_name(f),
				    dr_fam_name(have.families));
			continue;
		}
		for (k = 0; k < PLAN_NKIND; k++) {
			const struct plan_target *ht, *wt;

			ht = plan_map_to(&have, k, f);
			wt = plan_map_to(&want, k, f);
			/* A recorded target no rule sends to any more: the
			 * rules were changed or removed since (rules.*
			 * say so); compare what is there. */
			if (ht && !rules_send_to(f, ht->port))
				continue;
			check_kind(c, conf_path, f, k, ht, wt, &have.map[k],
				   have.backend, fix);
		}
	}
}
