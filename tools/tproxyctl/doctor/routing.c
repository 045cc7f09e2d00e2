/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * routing.c - policy routing, per family: the `ip rule` for setup's fwmark
 * and the `local default` route in the table it looks up. Squid's TPROXY
 * v4 guide, "Routing configuration", and Troubleshooting, "Traffic going
 * through Squid but then timing out" (check the routing): without them,
 * marked packets are forwarded instead of delivered to tproxyd.
 *
 * Where the facts come from: `ip -4|-6 rule show`, `ip route show table T`.
 */
#include <stdio.h>
#include <string.h>

#include "checks.h"

static char *
ipflag(int f)
{
	return f == PLAN_V4 ? "-4" : "-6";
}

void
dr_check_routing(const struct plan_opts *o)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	char want[32], id[64], fix[256];
	size_t fi;

	plan_format_mark(o->mark, o->mask, want, sizeof(want));
	for (fi = 0; fi < 2; fi++) {
		int f = fams[fi];
		char *rargv[] = { (char *)"ip", ipflag(f),
				  (char *)"rule", (char *)"show", NULL };
		struct sbuf out = { 0 };
		char table[32] = "", tstr[16];
		const char *p;

		if (!(o->families & f))
			continue;
		if (f == PLAN_V6 && dr_ipv6_off(tstr, sizeof(tstr)) != 0 &&
		    dr_ipv6_off(tstr, sizeof(tstr)) != 3)
			continue;	/* no IPv6: path.ipv6 says so */
		run_cmd(rargv, NULL, &out, NULL);
		for (p = sbuf_str(&out); *p; p += strcspn(p, "\n") +
		     (p[strcspn(p, "\n")] ? 1 : 0)) {
			char l[512], m[32];
			const char *q;

			snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"),
				 p);
			if ((q = strstr(l, " fwmark ")) == NULL ||
			    sscanf(q + 8, "%31s", m) != 1 || strcmp(m, want))
				continue;
			if (strstr(l, " iif ") || strstr(l, "not from"))
				continue;	/* setup's iif lo rule */
			if ((q = strstr(l, " lookup ")) != NULL)
				sscanf(q + 8, "%31s", table);
			break;
		}
		sbuf_free(&out);
		snprintf(id, sizeof(id), "route.rule.%s", dr_fam_name(f));
		snprintf(fix, sizeof(fix), "ip %s rule add fwmark %s lookup %u",
			 ipflag(f), want, o->table);
		if (table[0])
			dr_add(ST_PASS, id, NULL, "%s: ip rule fwmark %s "
			    "lookup %s", dr_fam_name(f), want, table);
		else
			dr_add(ST_FAIL, id, fix, "%s: no ip rule for fwmark "
			    "%s: marked packets are forwarded instead of "
			    "delivered to tproxyd", dr_fam_name(f), want);
		snprintf(tstr, sizeof(tstr), "%u", o->table);
		{
			char *targv[] = { (char *)"ip", ipflag(f),
					  (char *)"route", (char *)"show",
					  (char *)"table",
					  table[0] ? table : tstr, NULL };

			run_cmd(targv, NULL, &out, NULL);
			snprintf(id, sizeof(id), "route.local.%s",
				 dr_fam_name(f));
			snprintf(fix, sizeof(fix), "%sip %s route add local "
				 "%s dev lo table %s", f == PLAN_V6 &&
				 dr_ipv6_off(tstr, sizeof(tstr)) == 3 ?
				 "sysctl -w net.ipv6.conf.lo.disable_ipv6=0 && "
				 : "", ipflag(f), f == PLAN_V4 ?
				 "0.0.0.0/0" : "::/0", table[0] ? table : tstr);
			if (strstr(sbuf_str(&out), "local default"))
				dr_add(ST_PASS, id, NULL, "%s: table %s has "
				    "the local default route", dr_fam_name(f),
				    table[0] ? table : tstr);
			else
				dr_add(ST_FAIL, id, fix, "%s: no `local "
				    "default` route in table %s",
				    dr_fam_name(f), table[0] ? table : tstr);
			sbuf_free(&out);
		}
	}
}
