/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysctls.c - the sysctls interception needs, read from /proc/sys:
 * ip_forward (and IPv6 forwarding) on; rp_filter 0 on all, default and
 * the interfaces concerned (--iface and the bridge, else every interface
 * but lo); the bridge-nf-call-* sysctls 0 when bridged. Squid's TPROXY v4
 * guide, "Routing configuration" (rp_filter off) and "ebtables on a
 * Bridging device" (every /proc/sys/net/bridge entry 0), which the
 * messages cite as "Squid TPROXY guide:".
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "../backend.h"
#include "checks.h"

/* The fix as typed: sysctl(8) reads dots as the separator, so the dots of
 * an interface name are written as slashes (net.ipv4.conf.lan/100.
 * rp_filter for lan.100); single quotes when the name needs them. */
static void
sysctl_fix(const char *key, const char *want, char *fix, size_t n)
{
	static const char conf[] = "net.ipv4.conf.";
	const char *tail = strrchr(key, '.');
	char k[300];
	size_t i, l = 0;
	int quote = 0;

	for (i = 0; key[i] && l + 1 < sizeof(k); i++) {
		int in_if = !strncmp(key, conf, sizeof(conf) - 1) &&
			i >= sizeof(conf) - 1 && key + i < tail;

		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
			    "XYZ0123456789._-/@:+,", key[i]) || key[i] == '\'')
			quote = 1;
		k[l++] = in_if && key[i] == '.' ? '/' : key[i];
	}
	k[l] = '\0';
	if (quote && !strchr(k, '\''))
		snprintf(fix, n, "sysctl -w '%s=%s'", k, want);
	else
		snprintf(fix, n, "sysctl -w %s=%s", k, want);
}

static void
check_sysctl_st(int st, const char *id, const char *key, const char *want,
		const char *why)
{
	char val[64], fix[400];

	sysctl_fix(key, want, fix, sizeof(fix));
	if (sysctl_read(key, val, sizeof(val)) < 0)
		dr_add(ST_WARN, id, NULL, "%s: cannot read", key);
	else if (strcmp(val, want) == 0)
		dr_add(ST_PASS, id, NULL, "%s = %s", key, val);
	else
		dr_add(st, id, fix, "%s = %s (%s %s: %s; keep it in "
		    "/etc/sysctl.conf)", key, val, st == ST_FAIL ?
		    "must be" : "should be", want, why);
}

static void
check_sysctl(const char *id, const char *key, const char *want,
	     const char *why)
{
	check_sysctl_st(ST_FAIL, id, key, want, why);
}

/* rp_filter is a FAIL only where it drops the clients' marked packets,
 * which the route check (path.c, path.rp_filter.IF) sees: with routes
 * back to the clients through the interface they come in on it passes
 * them. */
static void
check_rpf(const char *id, const char *key, const char *why)
{
	check_sysctl_st(ST_WARN, id, key, "0", why);
}

void
dr_check_sysctls(const struct plan_opts *o)
{
	char key[400], id[400];
	size_t i;

	if (o->families & PLAN_V4) {
		check_sysctl("sysctl.ip_forward", "net.ipv4.ip_forward", "1",
			     "the router forwards what it does not intercept");
		check_rpf("sysctl.rp_filter.all",
			  "net.ipv4.conf.all.rp_filter",
			  "Squid TPROXY guide: rp_filter off; path.* "
			  "shows whether it drops clients");
		check_rpf("sysctl.rp_filter.default",
			  "net.ipv4.conf.default.rp_filter",
			  "Squid TPROXY guide: rp_filter off; path.* "
			  "shows whether it drops clients");
		if (o->niface || o->bridge) {
			for (i = 0; i < o->niface + (o->bridge ? 1 : 0); i++) {
				const char *ifn = i < o->niface ? o->iface[i] :
					o->br_dev;

				snprintf(key, sizeof(key),
					 "net.ipv4.conf.%s.rp_filter", ifn);
				snprintf(id, sizeof(id), "sysctl.rp_filter.%s",
					 ifn);
				check_rpf(id, key, "Squid TPROXY guide: "
					  "rp_filter off on the TPROXY "
					  "interface; path.* shows whether "
					  "it drops clients");
			}
		} else {
			DIR *d = opendir("/sys/class/net");
			struct dirent *de;

			while (d && (de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.' ||
				    !strcmp(de->d_name, "lo"))
					continue;
				snprintf(key, sizeof(key),
					 "net.ipv4.conf.%s.rp_filter",
					 de->d_name);
				snprintf(id, sizeof(id), "sysctl.rp_filter.%s",
					 de->d_name);
				check_rpf(id, key, "Squid TPROXY guide: "
					  "rp_filter off on the interfaces "
					  "concerned; path.* shows whether "
					  "it drops clients");
			}
			if (d)
				closedir(d);
		}
	}
	if (o->families & PLAN_V6)
		check_sysctl("sysctl.ipv6_forwarding",
			     "net.ipv6.conf.all.forwarding", "1",
			     "the router forwards what it does not intercept");
	if (o->bridge) {
		check_sysctl("sysctl.bridge.iptables",
			     "net.bridge.bridge-nf-call-iptables", "0",
			     "Squid TPROXY guide: "
			     "/proc/sys/net/bridge/* = 0 when bridged");
		check_sysctl("sysctl.bridge.ip6tables",
			     "net.bridge.bridge-nf-call-ip6tables", "0",
			     "Squid TPROXY guide: "
			     "/proc/sys/net/bridge/* = 0 when bridged");
		check_sysctl("sysctl.bridge.arptables",
			     "net.bridge.bridge-nf-call-arptables", "0",
			     "Squid TPROXY guide: "
			     "/proc/sys/net/bridge/* = 0 when bridged");
	}
}
