/*
 * route.c - policy routing through the `ip` command (iproute2):
 *
 *   ip -4 rule add fwmark MARK/MASK lookup TABLE
 *   ip -4 route add local 0.0.0.0/0 dev lo table TABLE
 *   ip -4 rule add iif lo fwmark MARK/MASK lookup main
 *
 * (and the same with -6). A packet marked by the socket or TPROXY rule
 * is routed by TABLE, whose only route says "every address is local", so
 * it is delivered to tproxyd's socket instead of being forwarded.
 *
 * The third rule, added after (so evaluated before) the first, is for
 * lookups that are not a client's packet: with src_valid_mark=1 (set by
 * wg-quick and Tailscale) the kernel checks a packet's source address by
 * a lookup that carries its mark and comes from lo; through TABLE that
 * address is local, and the client's packet is dropped as a martian.
 * Sockets of local programs using the same mark bits (SO_MARK) are routed
 * by main as well instead of looping back. Marked packets arriving on a
 * real interface never match `iif lo`. `dev lo`
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
	char mark[32], table[16], what[128];
	size_t i;

	/* ip rule always shows value/mask unless the mask is all ones. */
	plan_format_mark(o->mark, o->mask, mark, sizeof(mark));
	snprintf(table, sizeof(table), "%u", o->table);
	for (i = 0; i < 2; i++) {
		int f = fams[i];

		if (!(o->families & f))
			continue;
		snprintf(what, sizeof(what), "%s: marked packets are routed by "
			 "table %u", plan_family_name(f), o->table);
		plan_add(p, STEP_IP_RULE, f, what,
			 argv_new("ip", fam_flag(f), "rule", "add", "fwmark",
				  mark, "lookup", table, NULL),
			 argv_new("ip", fam_flag(f), "rule", "del", "fwmark",
				  mark, "lookup", table, NULL));
		snprintf(what, sizeof(what), "%s: table %u delivers every "
			 "address locally", plan_family_name(f), o->table);
		plan_add(p, STEP_IP_ROUTE, f, what,
			 argv_new("ip", fam_flag(f), "route", "add", "local",
				  any(f), "dev", "lo", "table", table, NULL),
			 argv_new("ip", fam_flag(f), "route", "del", "local",
				  any(f), "dev", "lo", "table", table, NULL));
		snprintf(what, sizeof(what), "%s: source checks of marked "
			 "packets (src_valid_mark) and marked local sockets "
			 "use table main", plan_family_name(f));
		plan_add(p, STEP_IP_RULE, f, what,
			 argv_new("ip", fam_flag(f), "rule", "add", "iif", "lo",
				  "fwmark", mark, "lookup", "main", NULL),
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

int
route_apply(const struct step *s, struct sbuf *err)
{
	struct sbuf out = { 0 }, e = { 0 };
	const char *table = s->argv[argv_len(s->argv) - 1];
	int present = 0, rc;

	if (s->kind == STEP_IP_RULE) {
		char want[64], m[32], t[16];
		const char *line;
		int lo = strcmp(s->argv[4], "iif") == 0, mine = 0;
		size_t k;

		/* After "fwmark"; the iif lo rule must come before the
		 * fwmark rule (a lower preference) to be of use. */
		for (k = 0; s->argv[k] && strcmp(s->argv[k], "fwmark"); k++)
			;
		snprintf(want, sizeof(want), "%s", s->argv[k] ?
			 s->argv[k + 1] : "");
		ip_show(s->family, "rule", NULL, &out);
		for (line = sbuf_str(&out); *line;
		     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
			char l[512];
			int has_lo;

			snprintf(l, sizeof(l), "%.*s",
				 (int)strcspn(line, "\n"), line);
			if (rule_fields(l, m, sizeof(m), t, sizeof(t)) != 0 ||
			    strcmp(m, want) != 0)
				continue;
			has_lo = strstr(l, " iif lo ") != NULL;
			if (lo && has_lo && strcmp(t, "main") == 0 && !mine)
				present = 1;
			else if (!has_lo && strcmp(t, "main") != 0)
				mine = 1;	/* a fwmark rule: ours is
						   listed first */
			if (!lo && !has_lo && strcmp(t, table) == 0)
				present = 1;
		}
		if (lo && !present && strstr(sbuf_str(&out), " iif lo ")) {
			/* there but after the fwmark rule: again, first */
			sbuf_free(&out);
			run_cmd(s->undo, NULL, NULL, NULL);
		}
	} else {
		ip_show(s->family, "route", table, &out);
		present = strstr(sbuf_str(&out), "local default dev lo") !=
			NULL;
	}
	sbuf_free(&out);
	if (present)
		return 1;
	rc = run_cmd(s->argv, NULL, NULL, &e);
	if (rc != 0) {
		argv_render(s->argv, err);
		sbuf_printf(err, ": %s", rc == 127 ? "cannot run ip\n" :
			    sbuf_str(&e));
		if (strstr(sbuf_str(&e), "not permitted"))
			sbuf_add(err, "tproxyctl: policy routing needs "
				 "CAP_NET_ADMIN (run as root)\n");
		if (strstr(sbuf_str(&e), "not supported"))
			sbuf_add(err, "tproxyctl: the kernel lacks policy "
				 "routing (CONFIG_IP_MULTIPLE_TABLES / "
				 "CONFIG_IPV6_MULTIPLE_TABLES)\n");
	}
	sbuf_free(&e);
	return rc == 0 ? 0 : -1;
}
