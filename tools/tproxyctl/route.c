/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * route.c - policy routing through the `ip` command (iproute2):
 *
 *   ip -4 rule add pref PREF fwmark MARK/MASK lookup TABLE
 *   ip -4 route add local 0.0.0.0/0 dev lo table TABLE
 *   ip -4 rule add pref PREF-1 iif lo fwmark MARK/MASK lookup main
 *
 * (and the same with -6). A packet marked by the socket or TPROXY rule
 * is routed by TABLE, whose only route says "every address is local", so
 * it is delivered to tproxyd's socket instead of being forwarded. `dev lo`
 * follows the kernel's tproxy documentation; Squid's TPROXY v4 guide
 * ("Routing configuration") notes some systems want the receiving
 * interface instead, which doctor does not require.
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "plan.h"

static char *
fam_flag(int fam)
{
	return fam == PLAN_V4 ? "-4" : "-6";
}

static const char *
any(int fam)
{
	return fam == PLAN_V4 ? "0.0.0.0/0" : "::/0";
}

void
route_plan(const struct plan_opts *o, struct plan *p)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	char mark[32], table[16], pref[16], lopref[16], what[128];
	size_t i;

	/* ip rule always shows value/mask unless the mask is all ones. */
	plan_format_mark(o->mark, o->mask, mark, sizeof(mark));
	snprintf(table, sizeof(table), "%u", o->table);
	snprintf(pref, sizeof(pref), "%u", o->rule_pref);
	snprintf(lopref, sizeof(lopref), "%u", o->rule_pref - 1);
	for (i = 0; i < 2; i++) {
		int f = fams[i];

		if (!(o->families & f))
			continue;
		snprintf(what, sizeof(what), "%s: marked packets are routed by "
			 "table %u", plan_family_name(f), o->table);
		/* An explicit preference, so that a second setup can tell
		 * when the rule was moved; the undo takes it away wherever
		 * it is now. */
		plan_add(p, STEP_IP_RULE, f, what,
			 argv_new("ip", fam_flag(f), "rule", "add", "pref",
				  pref, "fwmark", mark, "lookup", table, NULL),
			 argv_new("ip", fam_flag(f), "rule", "del", "fwmark",
				  mark, "lookup", table, NULL));
		snprintf(what, sizeof(what), "%s: table %u delivers every "
			 "address locally", plan_family_name(f), o->table);
		plan_add(p, STEP_IP_ROUTE, f, what,
			 argv_new("ip", fam_flag(f), "route", "add", "local",
				  any(f), "dev", "lo", "table", table, NULL),
			 argv_new("ip", fam_flag(f), "route", "del", "local",
				  any(f), "dev", "lo", "table", table, NULL));
		/* Evaluated just before the fwmark rule: with src_valid_mark
		 * (wg-quick, Tailscale) the kernel checks a marked packet's
		 * source address with a lookup that carries the mark and
		 * comes from lo, which table T would answer "local" (a
		 * martian: dropped); local programs using the mark bits do
		 * not loop back into tproxyd either. */
		snprintf(what, sizeof(what), "%s: source checks of marked "
			 "packets (src_valid_mark) and marked local sockets "
			 "use table main", plan_family_name(f));
		plan_add(p, STEP_IP_RULE, f, what,
			 argv_new("ip", fam_flag(f), "rule", "add", "pref",
				  lopref, "iif", "lo", "fwmark", mark, "lookup",
				  "main", NULL),
			 argv_new("ip", fam_flag(f), "rule", "del", "iif", "lo",
				  "fwmark", mark, "lookup", "main", NULL));
	}
}

/* The words after "fwmark" and "lookup" in one `ip rule` line. */
static int
rule_fields(const char *line, char *mark, size_t mn, char *table, size_t tn)
{
	const char *m = strstr(line, " fwmark "), *t = strstr(line, " lookup ");

	if (m == NULL)
		return -1;
	if (sscanf(m + 8, "%31s", mark) != 1)
		return -1;
	(void)mn;
	if (t == NULL || sscanf(t + 8, "%15s", table) != 1)
		table[0] = '\0';
	(void)tn;
	return 0;
}

static int
ip_show(int fam, const char *what, const char *table, struct sbuf *out)
{
	char **argv = table ? argv_new("ip", fam_flag(fam), what, "show",
				       "table", table, NULL) :
		argv_new("ip", fam_flag(fam), what, "show", NULL);
	int rc = run_cmd(argv, NULL, out, NULL);

	argv_free(argv);
	return rc;
}

int
route_conflicts(const struct plan_opts *o, struct sbuf *err)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	char want[32], table[16], m[32], t[16];
	size_t i;
	int bad = 0;

	plan_format_mark(o->mark, o->mask, want, sizeof(want));
	snprintf(table, sizeof(table), "%u", o->table);
	for (i = 0; i < 2; i++) {
		struct sbuf out = { 0 };
		const char *line;
		int f = fams[i];

		if (!(o->families & f))
			continue;
		if (ip_show(f, "rule", NULL, &out) == 127) {
			sbuf_add(err, "tproxyctl: cannot run ip (install "
				 "iproute2)\n");
			sbuf_free(&out);
			return -1;
		}
		for (line = sbuf_str(&out); *line;
		     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
			char l[512];
			size_t len = strcspn(line, "\n");

			snprintf(l, sizeof(l), "%.*s", (int)len, line);
			if (rule_fields(l, m, sizeof(m), t, sizeof(t)) < 0)
				continue;
			if (strstr(l, " iif lo ") && strcmp(t, "main") == 0)
				continue;	/* ours, or harmless */
			if (strcmp(m, want) == 0 && strcmp(t, table) != 0) {
				sbuf_printf(err, "tproxyctl: conflicting "
					    "existing rule: `%s` already "
					    "routes mark %s elsewhere; remove "
					    "it or choose another --mark\n",
					    l, want);
				bad = 1;
			}
		}
		sbuf_reset(&out);
		ip_show(f, "route", table, &out);
		for (line = sbuf_str(&out); *line;
		     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
			char l[512];
			size_t len = strcspn(line, "\n");

			snprintf(l, sizeof(l), "%.*s", (int)len, line);
			rstrip(l);
			if (l[0] == '\0' || strncmp(l, "local default dev lo",
						    20) == 0)
				continue;
			sbuf_printf(err, "tproxyctl: conflicting existing "
				    "route: table %s already holds `%s`; "
				    "choose another --table\n", table, l);
			bad = 1;
		}
		sbuf_free(&out);
	}
	return bad ? -1 : 0;
}
