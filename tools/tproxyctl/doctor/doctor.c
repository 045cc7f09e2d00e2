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
 *   drift.c     the rules were set up from another configuration
 *   routing.c   the fwmark rule and the local table (Routing configuration)
 *   sysctls.c   ip_forward, rp_filter, bridge sysctls
 *   bridge.c    the bridge divert and its ports (ebtables on a Bridging
 *               device)
 *   tproxyd.c   the running tproxyd: listening sockets, IP_TRANSPARENT,
 *               capabilities
 *   selinux.c   SELinux (SELINUX Policy tuning, selinux policy denials)
 * checks.h is the API they share; the order of output is the order of the
 * calls in doctor_run() and, within a group, of its dr_add() calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../apply.h"
#include "../doctor.h"
#include "checks.h"

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

void
dr_fix_setup(char *fix, size_t n, const char *conf_path,
	     const struct plan_opts *o)
{
	const struct plan_target *t = plan_map_to(o, PLAN_HTTPS, PLAN_V4);
	char https[32] = "";

	/* The HTTPS port may have come from the command line (before the
	 * configuration had one): say it again, it is the same either way. */
	if (t == NULL)
		t = plan_map_to(o, PLAN_HTTPS, PLAN_V6);
	if (t)
		snprintf(https, sizeof(https), " --https-port %u", t->port);
	snprintf(fix, n, "tproxyctl setup%s%s%s%s", conf_path ? " -f " : "",
		 conf_path ? conf_path : "", o->backend == PLAN_IPT ?
		 " --backend iptables" : "", https);
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
	dr_check_drift(o, c, conf_path);
	dr_check_routing(o);
	dr_check_sysctls(o);
	dr_check_bridge(o, conf_path);
	dr_check_tproxyd(o, c, conf_path);
	dr_check_selinux();
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
