/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * doctor.c - `tproxyctl doctor`, the runner: it calls the groups of checks
 * in a fixed order, collects their results and prints them, PASS / WARN /
 * FAIL with the exact command that fixes each problem, as text or --json.
 * The exit status is 1 when anything FAILed.
 *
 * The checks follow Squid's TPROXY v4 guide (its setup steps and its
 * Troubleshooting list), one file per group:
 *   kernel.c    kernel support (Linux Kernel Configuration)
 *   config.c    tproxyd.conf's tproxy ports and their modes
 *   ruleset.c   reading nft / iptables rules into a model of the
 *               prerouting path (and of the forward path, for QUIC);
 *               rules.c checks that model
 *   https.c     the HTTPS ports go to the https_port; QUIC is refused
 *   firewall.c  other chains: mark rewriters, redirects of the same
 *               ports, input drops, iptables-legacy beside nft (each
 *               rule read by fwrule.c)
 *   drift.c     the rules were set up from another configuration
 *   routing.c   the fwmark rule and the local table (Routing configuration)
 *   path.c      the route the kernel gives a marked client packet, and
 *               why it is not local (src_valid_mark, rp_filter, earlier
 *               ip rules, marks of other programs, IPv6 disabled)
 *   sysctls.c   ip_forward, rp_filter, bridge sysctls
 *   bridge.c    the bridge divert and its ports (ebtables on a Bridging
 *               device)
 *   tproxyd.c   the running tproxyd: listening sockets, IP_TRANSPARENT,
 *               capabilities
 *   selinux.c   SELinux (SELINUX Policy tuning, selinux policy denials)
 *   wccp.c      a cache behind a WCCPv2 router (Squid's WCCP guides): the
 *               GRE device, MTU/MSS, each router reachable and answering
 * checks.h is the API they share; the order of output is the order of the
 * calls in doctor_run() and, within a group, of its dr_add() calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../apply.h"
#include "../doctor.h"
#include "checks.h"
#include "pathparse.h"

static const char *const st_name[] = { "PASS", "WARN", "FAIL" };

struct check {
	int  status;
	char id[64];
	char msg[600];
	char fix[600];
};

/* Every result so far, in the order added; lives until exit. */
static struct check *checks;
static size_t nchecks;

void
dr_add(int status, const char *id, const char *fix, const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	c = realloc(checks, (nchecks + 1) * sizeof(*c));
	if (c == NULL)
		exit(1);
	checks = c;
	c = &checks[nchecks++];
	c->status = status;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
}

const char *
dr_fam_name(int f)
{
	return f == PLAN_V4 ? "ipv4" : "ipv6";
}

/* " --name value" of a shell-quoted value, appended to out. */
static void
opt_q(struct sbuf *out, const char *name, const char *v)
{
	char q[600];

	pp_shell_quote(v, q, sizeof(q));
	sbuf_printf(out, " %s %s", name, q);
}

void
dr_fix_setup(char *fix, size_t n, const char *conf_path,
	     const struct plan_opts *o)
{
	const struct plan_map *h = &o->map[PLAN_HTTP], *s = &o->map[PLAN_HTTPS];
	const struct plan_target *t = plan_map_to(o, PLAN_HTTPS, PLAN_V4);
	struct sbuf out = { 0 };
	char buf[PLAN_MAX_PORTS * 6];
	size_t i;

	/*
	 * The setup recorded (the state file's options, or the command
	 * line's), said again in full, so that pasting the fix repairs
	 * without changing anything else; the ports tproxyd listens on
	 * come from the configuration, as they did.
	 */
	sbuf_add(&out, "tproxyctl setup");
	if (conf_path)
		opt_q(&out, "-f", conf_path);
	if (o->backend == PLAN_IPT)
		sbuf_add(&out, " --backend iptables");
	if (o->family_given && o->families != PLAN_BOTH)
		sbuf_printf(&out, " --family %s",
			    plan_family_name(o->families));
	if (conf_path == NULL && h->to[0].port && h->to[0].port != 3129)
		sbuf_printf(&out, " --port %u", h->to[0].port);
	if (!(h->ndport == 1 && h->dport[0] == 80)) {
		plan_format_ports(h->dport, h->ndport, ",", buf, sizeof(buf));
		sbuf_printf(&out, " --ports %s", buf);
	}
	/* The HTTPS port may have come from the command line (before the
	 * configuration had one): say it again, it is the same either way. */
	if (t == NULL)
		t = plan_map_to(o, PLAN_HTTPS, PLAN_V6);
	if (t)
		sbuf_printf(&out, " --https-port %u", t->port);
	if (t && !(s->ndport == 1 && s->dport[0] == 443)) {
		plan_format_ports(s->dport, s->ndport, ",", buf, sizeof(buf));
		sbuf_printf(&out, " --https-ports %s", buf);
	}
	if (o->quic == PLAN_QUIC_BLOCK)
		sbuf_add(&out, " --quic block");
	else if (o->quic == PLAN_QUIC_PASS)
		sbuf_add(&out, " --quic pass");
	if (o->on_failure == PLAN_FAIL_CLOSED)
		sbuf_add(&out, " --on-failure closed");
	if (o->mark != 0x1 || o->mask != 0x1) {
		plan_format_mark(o->mark, o->mask, buf, sizeof(buf));
		sbuf_printf(&out, " --mark %s", buf);
	}
	if (o->table != 100)
		sbuf_printf(&out, " --table %u", o->table);
	if (o->rule_pref != PLAN_RULE_PREF)
		sbuf_printf(&out, " --rule-pref %u", o->rule_pref);
	if (o->niface) {
		sbuf_add(&out, " --iface");
		for (i = 0; i < o->niface; i++)
			sbuf_printf(&out, " %s", o->iface[i]);
	}
	if (o->nbypass) {
		sbuf_add(&out, " --bypass");
		for (i = 0; i < o->nbypass; i++)
			sbuf_printf(&out, " %s", o->bypass[i]);
	}
	if (o->bridge)
		sbuf_printf(&out, " --bridge %s %s", o->br_client, o->br_inet);
	if (doctor_state)
		opt_q(&out, "--state", doctor_state);
	snprintf(fix, n, "%s", sbuf_str(&out));
	sbuf_free(&out);
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int
doctor_run(const struct plan_opts *o, const struct cfg *c,
	   const char *conf_path, const char *cfg_error, int json)
{
	size_t i, cnt[3] = { 0, 0, 0 };

	if (!have_net_admin())
		dr_add(ST_WARN, "privileges", "run doctor as root", "not "
		    "running with CAP_NET_ADMIN: rules may not be readable");
	dr_check_kernel(o);
	dr_check_config(c, conf_path, cfg_error);
	dr_check_rules(o, c, conf_path);
	dr_check_https(o, c, conf_path);
	dr_check_firewall(o);
	dr_check_drift(o, c, conf_path);
	dr_check_routing(o);
	dr_check_path(o, c, conf_path);
	dr_check_sysctls(o);
	dr_check_bridge(o, conf_path);
	dr_check_tproxyd(o, c, conf_path);
	dr_check_selinux();
	dr_check_wccp(o, c, conf_path);
	dr_check_failure(o, c, conf_path);
	for (i = 0; i < nchecks; i++)
		cnt[checks[i].status]++;
	if (json) {
		printf("{\"checks\": [");
		for (i = 0; i < nchecks; i++) {
			printf("%s\n  {\"id\": ", i ? "," : "");
			json_str(checks[i].id);
			printf(", \"status\": \"%s\", \"message\": ",
			       st_name[checks[i].status]);
			json_str(checks[i].msg);
			printf(", \"fix\": ");
			if (checks[i].status == ST_PASS || !checks[i].fix[0])
				printf("null");
			else
				json_str(checks[i].fix);
			printf("}");
		}
		printf("\n], \"pass\": %zu, \"warn\": %zu, \"fail\": %zu, "
		       "\"ok\": %s}\n", cnt[0], cnt[1], cnt[2],
		       cnt[2] ? "false" : "true");
	} else {
		for (i = 0; i < nchecks; i++) {
			printf("%s  %-28s %s\n", st_name[checks[i].status],
			       checks[i].id, checks[i].msg);
			if (checks[i].status != ST_PASS && checks[i].fix[0])
				printf("      fix: %s\n", checks[i].fix);
		}
		printf("doctor: %zu PASS, %zu WARN, %zu FAIL\n", cnt[0], cnt[1],
		       cnt[2]);
	}
	return cnt[2] ? 1 : 0;
}
