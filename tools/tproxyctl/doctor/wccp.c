/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wccp.c - a cache behind a WCCPv2 router: checked when the configuration
 * (-f) has wccp2_router lines. What Squid's WCCP guides ask the operator
 * to set up on the cache, adapted to how tproxyd receives the traffic:
 * with `wccp2_forwarding_method gre` tproxyd decapsulates the GRE packets
 * itself (a raw GRE socket) and hands the original packets to the kernel
 * on its TUN device tpxwccp0; no kernel GRE tunnel is used. With `l2` the
 * packets arrive unchanged on the cache's own interface.
 *
 *   wccp.gre.tpxwccp0       the device exists, is up, rp_filter off on it
 *   wccp.gre.rules          the TPROXY rules take what arrives on it
 *   wccp.gre.tunnel.NAME    no kernel GRE tunnel to a router beside it
 *                           (Squid's guides create one, `ip tunnel add
 *                           wccp0 mode gre ...`; with tproxyd each packet
 *                           would be received twice)
 *   wccp.mtu                GRE adds 24 bytes, 28 with the WCCP redirect
 *                           header: the MSS of this cache's connections
 *                           must leave room for them, or large responses
 *                           stall unless the router fragments
 *   wccp.router.R.route     a route to the router, not a blackhole
 *   wccp.router.R.udp2048   no firewall rule drops UDP 2048 to or from it
 *   wccp.router.R           tproxyd's HERE_I_AM are answered (I_SEE_YOU)
 *
 * Where the facts come from: /sys/class/net and /proc/sys for devices;
 * `ip route get` (sends nothing); `nft -a list ruleset` (also shows the
 * tables iptables-nft writes) and, for iptables-legacy, `iptables-save`;
 * tproxyd's cache_log for the routers' answers: tproxyd logs when a
 * router starts answering ("router R answers"), stops ("stopped
 * answering"), does not offer its methods, or fails the MD5 check.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config-t.h"

#include "../backend.h"
#include "checks.h"
#include "ruleset.h"

#define TUN_NAME	"tpxwccp0"	/* tproxyd's (src/wccp/gre-t.h) */
#define GRE_OVERHEAD	28	/* outer IPv4 20 + GRE 4 + redirect 4 */
#define TCPIP_HDRS	40	/* IPv4 20 + TCP 20 */
#define ANSWER_WAIT_S	5	/* first HERE_I_AM goes at once; a router
				   answers within milliseconds */

/* Whether a process named tproxyd runs in this network namespace. */
static int
tproxyd_running(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char self[64] = "", ns[64], path[300], comm[64];
	ssize_t r;
	int found = 0;
	FILE *f;

	r = readlink("/proc/self/ns/net", self, sizeof(self) - 1);
	if (r > 0)
		self[r] = '\0';
	while (d && !found && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
		rstrip(comm);
		if (strcmp(comm, "tproxyd") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		r = readlink(path, ns, sizeof(ns) - 1);
		if (r > 0) {
			ns[r] = '\0';
			found = strcmp(ns, self) == 0;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* A small integer from a /sys file, or -1. */
static long
sys_long(const char *path)
{
	struct sbuf b = { 0 };
	long v = -1;

	if (read_file(path, &b) == 0)
		v = strtol(sbuf_str(&b), NULL, 0);
	sbuf_free(&b);
	return v;
}

/* Run the NULL-terminated argv (owned, freed here); its stdout into out
 * (reset first), its stderr into err (may be NULL). Returns the status. */
static int
run_argv(struct sbuf *out, struct sbuf *err, char **argv)
{
	int rc;

	sbuf_reset(out);
	rc = run_cmd(argv, NULL, out, err);
	argv_free(argv);
	return rc;
}

#define RUN(out, ...)	run_argv(out, NULL, argv_new(__VA_ARGS__, NULL))

/* The value after "key " in a one-line listing ("dev e0 src ..."), into
 * val; 0, or -1 when absent. key must be a whole word. */
static int
word_after(const char *line, const char *key, char *val, size_t n)
{
	size_t kl = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[kl] == ' ') {
			p += kl + 1;
			snprintf(val, n, "%.*s", (int)strcspn(p, " \t\n\\"),
				 p);
			return 0;
		}
		p += kl;
	}
	return -1;
}

/* The last LOG_TAIL bytes of a log file (all of a smaller one) into out;
 * 0 or -1. A busy cache_log grows large: its lines about WCCP's start are
 * looked for in the tail only. */
#define LOG_TAIL	(16L << 20)

static int
read_log(const char *path, struct sbuf *out)
{
	FILE *f = fopen(path, "r");
	char buf[65536];
	size_t n;
	long size;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > LOG_TAIL) {
		fseek(f, size - LOG_TAIL, SEEK_SET);
		if (fgets(buf, sizeof(buf), f) == NULL)	/* partial line */
			buf[0] = '\0';
	} else {
		rewind(f);
	}
	while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
		buf[n] = '\0';
		sbuf_add(out, buf);
	}
	fclose(f);
	return 0;
}

/* ---- the GRE device ---- */

/* The last line of cache_log since tproxyd's last start that contains
 * "WCCPv2 GRE" and "ERROR", into line: why tpxwccp0 could not be made. */
static int
gre_error(const struct cfg *c, char *line, size_t n)
{
	struct sbuf b = { 0 };
	const char *p, *start, *hit = NULL;

	if (c->cache_log == NULL || read_log(c->cache_log, &b) < 0) {
		sbuf_free(&b);
		return 0;
	}
	start = sbuf_str(&b);
	for (p = start; (p = strstr(p, "Starting tproxyd")) != NULL; p++)
		start = p;
	for (p = start; (p = strstr(p, "ERROR: WCCPv2 GRE")) != NULL; p++)
		hit = p;
	if (hit)
		snprintf(line, n, "%.*s", (int)strcspn(hit, "\n"), hit);
	sbuf_free(&b);
	return hit != NULL;
}

static void
check_gre_device(const struct cfg *c, const char *conf_path, int running)
{
	char path[128], val[32], fix[300], err[300];
	long flags;

	snprintf(path, sizeof(path), "/sys/class/net/%s/flags", TUN_NAME);
	flags = sys_long(path);
	if (flags < 0) {
		if (!running) {
			snprintf(fix, sizeof(fix), "tproxyd -f %s", conf_path);
			dr_add(ST_FAIL, "wccp.gre." TUN_NAME, fix, "%s does "
			    "not exist: tproxyd creates it when it starts with "
			    "wccp2_forwarding_method gre, and it is not "
			    "running; nothing receives what the router "
			    "redirects", TUN_NAME);
		} else if (gre_error(c, err, sizeof(err))) {
			dr_add(ST_FAIL, "wccp.gre." TUN_NAME, NULL, "%s does "
			    "not exist: redirected packets are dropped. "
			    "tproxyd's cache_log says: %s. Restart tproxyd "
			    "as root: it needs CAP_NET_RAW and CAP_NET_ADMIN "
			    "when it starts, to open its GRE socket and "
			    "create %s", TUN_NAME, err, TUN_NAME);
		} else {
			dr_add(ST_FAIL, "wccp.gre." TUN_NAME, NULL, "%s does "
			    "not exist although tproxyd runs (deleted by "
			    "hand?): redirected packets are dropped. Restart "
			    "tproxyd (stop and start it; -k reconfigure "
			    "keeps the old device)", TUN_NAME);
		}
		return;
	}
	if (!(flags & 1)) {
		dr_add(ST_FAIL, "wccp.gre." TUN_NAME, "ip link set " TUN_NAME
		    " up", "%s is down: tproxyd cannot hand the packets the "
		    "router redirects (GRE) to the kernel; clients time out",
		    TUN_NAME);
		return;
	}
	/* The kernel uses the larger of all's and the device's value; all's
	 * is sysctls.c's (sysctl.rp_filter.all). */
	if (sysctl_read("net.ipv4.conf." TUN_NAME ".rp_filter", val,
			sizeof(val)) == 0 && strcmp(val, "0") != 0) {
		dr_add(ST_FAIL, "wccp.gre." TUN_NAME, "sysctl -w net.ipv4.conf."
		    TUN_NAME ".rp_filter=0", "%s is up but rp_filter = %s on "
		    "it: the clients' packets arrive there while the route "
		    "back to them goes through another interface, so "
		    "reverse-path filtering drops them (Squid TPROXY guide: "
		    "rp_filter off; tproxyd turns it off when it creates the "
		    "device)", TUN_NAME, val);
		return;
	}
	dr_add(ST_PASS, "wccp.gre." TUN_NAME, NULL, "%s (tproxyd's GRE "
	    "decapsulation) is up, rp_filter off on it", TUN_NAME);
}

/* The ports the service groups redirect (80 when none names ports). */
static unsigned
service_port(const struct cfg *c)
{
	size_t i;

	for (i = 0; i < c->wccp2.nservice; i++)
		if (c->wccp2.service[i].ports[0])
			return c->wccp2.service[i].ports[0];
	return 80;
}

/* Whether a TPROXY rule's text restricts the input interface. */
static int
names_iif(const char *text)
{
	return strstr(text, "iif") != NULL || strstr(text, "-i ") != NULL;
}

static void
check_gre_rules(const struct plan_opts *o, const struct cfg *c,
		const char *conf_path)
{
	const struct walk *w;
	size_t nw = dr_rules_walks(&w), i, k;
	unsigned port = service_port(c);
	char fix[600], only[256] = "";
	int any = 0;

	for (i = 0; i < nw && !any; i++)
		for (k = 0; k < w[i].n && !any; k++) {
			const struct ent *e = &w[i].e[k];

			if (e->type != ENT_TPROXY || !(e->fams & PLAN_V4) ||
			    !dr_ent_has_port(e, port))
				continue;
			if (!names_iif(e->text) || strstr(e->text, TUN_NAME))
				any = 1;
			else if (!only[0])
				snprintf(only, sizeof(only), "%s", e->text);
		}
	if (any) {
		dr_add(ST_PASS, "wccp.gre.rules", NULL, "a TPROXY rule takes "
		    "port %u arriving on %s", port, TUN_NAME);
		return;
	}
	if (only[0] && o->niface < PLAN_MAX_IFACES) {
		struct plan_opts wo = *o;

		snprintf(wo.iface[wo.niface++], IFNAMSIZ, "%s", TUN_NAME);
		dr_fix_setup(fix, sizeof(fix), conf_path, &wo);
		dr_add(ST_FAIL, "wccp.gre.rules", fix, "the TPROXY rules take "
		    "port %u only on other interfaces (%s): what the router "
		    "redirects arrives on %s and is routed past tproxyd",
		    port, only, TUN_NAME);
	} else {
		dr_fix_setup(fix, sizeof(fix), conf_path, o);
		dr_add(ST_FAIL, "wccp.gre.rules", fix, "no TPROXY rule takes "
		    "port %u: what the router redirects arrives on %s and is "
		    "routed past tproxyd", port, TUN_NAME);
	}
}

/* Kernel GRE tunnels (Squid's guides: `ip tunnel add wccp0 mode gre
 * remote ROUTER ...`) to a configured router: the kernel takes the same
 * packets tproxyd's GRE socket receives. */
static void
check_kernel_tunnels(const struct cfg *c)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *de;
	struct sbuf out = { 0 };
	char path[300], id[64], remote[64], fix[128];
	size_t i;

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "gre0"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/type",
			 de->d_name);
		if (sys_long(path) != 778)	/* ARPHRD_IPGRE */
			continue;
		if (RUN(&out, "ip", "-d", "-o", "link", "show",
			    de->d_name) != 0 ||
		    word_after(sbuf_str(&out), "remote", remote,
			       sizeof(remote)) < 0)
			continue;
		for (i = 0; i < c->wccp2.nrouter; i++) {
			char r[INET_ADDRSTRLEN];
			const struct sockaddr_in *sa = (const void *)
				&c->wccp2.router[i];

			inet_ntop(AF_INET, &sa->sin_addr, r, sizeof(r));
			if (strcmp(r, remote) != 0)
				continue;
			snprintf(id, sizeof(id), "wccp.gre.tunnel.%.15s",
				 de->d_name);
			snprintf(fix, sizeof(fix), "ip link del %.15s",
				 de->d_name);
			dr_add(ST_WARN, id, fix, "a kernel GRE tunnel %s to "
			    "router %s exists (as Squid's WCCP guides set "
			    "up); tproxyd decapsulates GRE itself on %s, so "
			    "each redirected packet is received twice",
			    de->d_name, r, TUN_NAME);
		}
	}
	if (d)
		closedir(d);
	sbuf_free(&out);
}

/* ---- MTU / MSS ---- */

/* The smallest MSS a clamp rule on this cache's own packets (output or
 * postrouting) sets, or -1; "rt mtu" / --clamp-mss-to-pmtu count as the
 * route's MTU (rt_mtu, -1 when the route sets none). */
static long
clamp_mss(const char *nft, const char *ipt, long rt_mtu)
{
	const char *p, *chain_hook = "";
	long best = -1, v;
	char hook[32] = "";

	for (p = nft; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ?
						   1 : 0)) {
		char l[1024];
		const char *h, *s;

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		if ((h = strstr(l, " hook ")) != NULL) {
			sscanf(h + 6, "%31s", hook);
			chain_hook = hook;
			continue;
		}
		if (strstr(l, "chain ") && strchr(l, '{'))
			hook[0] = '\0';
		if (strcmp(chain_hook, "output") && strcmp(chain_hook,
							   "postrouting"))
			continue;
		if ((s = strstr(l, "maxseg size set ")) == NULL)
			continue;
		s += 16;
		if (!strncmp(s, "rt mtu", 6))
			v = rt_mtu > 0 ? rt_mtu - TCPIP_HDRS : -1;
		else
			v = strtol(s, NULL, 10);
		if (v > 0 && (best < 0 || v < best))
			best = v;
	}
	for (p = ipt; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ?
						   1 : 0)) {
		char l[1024];
		const char *s;

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		if (strncmp(l, "-A OUTPUT ", 10) &&
		    strncmp(l, "-A POSTROUTING ", 15))
			continue;
		if ((s = strstr(l, "--set-mss ")) != NULL)
			v = strtol(s + 10, NULL, 10);
		else if (strstr(l, "--clamp-mss-to-pmtu"))
			v = rt_mtu > 0 ? rt_mtu - TCPIP_HDRS : -1;
		else
			continue;
		if (v > 0 && (best < 0 || v < best))
			best = v;
	}
	return best;
}

static void
check_mtu(const struct plan_opts *o, const struct cfg *c)
{
	struct sbuf out = { 0 }, nft = { 0 }, ipt = { 0 };
	char r[INET_ADDRSTRLEN], dev[64] = "", path[128], val[32], fix[600];
	const struct sockaddr_in *sa = (const void *)&c->wccp2.router[0];
	long mtu, want, rt_mtu = -1, advmss = -1, clamp;

	if (c->wccp2.forwarding_method == 2) {
		dr_add(ST_PASS, "wccp.mtu", NULL, "L2 forwarding: the router "
		    "adds no encapsulation");
		return;
	}
	inet_ntop(AF_INET, &sa->sin_addr, r, sizeof(r));
	if (RUN(&out, "ip", "-4", "-o", "route", "get", r) != 0 ||
	    word_after(sbuf_str(&out), "dev", dev, sizeof(dev)) < 0) {
		dr_add(ST_WARN, "wccp.mtu", NULL, "cannot tell the MTU toward "
		    "router %s: no route to it (see wccp.router.%s.route)", r,
		    r);
		sbuf_free(&out);
		return;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", dev);
	mtu = sys_long(path);
	want = mtu - GRE_OVERHEAD - TCPIP_HDRS;
	/* The cache's connections (to the clients, to the origins) follow
	 * the default route: its mtu or advmss lowers their MSS. */
	RUN(&out, "ip", "-4", "-o", "route", "show", "default");
	if (word_after(sbuf_str(&out), "advmss", val, sizeof(val)) == 0)
		advmss = strtol(val, NULL, 10);
	if (word_after(sbuf_str(&out), "lock", val, sizeof(val)) == 0 ||
	    word_after(sbuf_str(&out), "mtu", val, sizeof(val)) == 0)
		rt_mtu = strtol(val, NULL, 10);
	RUN(&nft, "nft", "list", "ruleset");
	RUN(&ipt, "iptables-save", "-t", "mangle");
	clamp = clamp_mss(sbuf_str(&nft), sbuf_str(&ipt), rt_mtu);
	if (mtu <= 0) {
		dr_add(ST_WARN, "wccp.mtu", NULL, "cannot read the MTU of %s",
		    dev);
	} else if (clamp > 0 && clamp <= want) {
		dr_add(ST_PASS, "wccp.mtu", NULL, "GRE adds %d bytes: the MSS "
		    "of this cache's connections is clamped to %ld (<= %ld = "
		    "%s's MTU %ld - %d - %d)", GRE_OVERHEAD, clamp, want, dev,
		    mtu, GRE_OVERHEAD, TCPIP_HDRS);
	} else if ((advmss > 0 && advmss <= want) ||
		   (rt_mtu > 0 && rt_mtu - TCPIP_HDRS <= want)) {
		dr_add(ST_PASS, "wccp.mtu", NULL, "GRE adds %d bytes: the "
		    "default route's %s leaves room for them on %s (MTU "
		    "%ld)", GRE_OVERHEAD, advmss > 0 ? "advmss" : "mtu", dev,
		    mtu);
	} else {
		if (o->backend == PLAN_IPT)
			snprintf(fix, sizeof(fix), "iptables -t mangle -A "
				 "OUTPUT -p tcp --tcp-flags SYN SYN -m tcpmss "
				 "--mss %ld:65535 -j TCPMSS --set-mss %ld",
				 want + 1, want);
		else
			snprintf(fix, sizeof(fix), "nft 'table inet "
				 "tproxyd_wccp { chain output { type filter "
				 "hook output priority mangle; tcp flags syn "
				 "tcp option maxseg size > %ld tcp option "
				 "maxseg size set %ld; }; }'", want, want);
		dr_add(ST_WARN, "wccp.mtu", fix, "GRE adds %d bytes (24, and 4 "
		    "for the WCCP redirect header): a full-size packet from "
		    "an origin server (%ld bytes) no longer fits %s's MTU "
		    "(%ld) between the router and this cache; unless the "
		    "router fragments it, large responses stall. Clamp the "
		    "MSS of this cache's connections to %ld (%s %ld; %s is "
		    "tproxyd's, its MTU does not matter)", GRE_OVERHEAD, mtu,
		    dev, mtu, want, clamp > 0 ? "now" : "no clamp rule, MSS",
		    clamp > 0 ? clamp : mtu - TCPIP_HDRS, TUN_NAME);
	}
	sbuf_free(&out);
	sbuf_free(&nft);
	sbuf_free(&ipt);
}

/* ---- the routers ---- */

/* Whether prefix ("198.18.3.0/24", "198.18.3.1") covers address a. */
static int
prefix_covers(const char *prefix, struct in_addr a)
{
	char net[INET_ADDRSTRLEN];
	struct in_addr n;
	const char *slash = strchr(prefix, '/');
	unsigned bits = slash ? (unsigned)atoi(slash + 1) : 32;
	uint32_t mask;

	snprintf(net, sizeof(net), "%.*s", (int)(slash ? (size_t)(slash -
		 prefix) : strlen(prefix)), prefix);
	if (!strcmp(net, "default"))
		bits = 0, n.s_addr = 0;
	else if (inet_pton(AF_INET, net, &n) != 1 || bits > 32)
		return 0;
	mask = bits ? htonl(~0u << (32 - bits)) : 0;
	return (n.s_addr & mask) == (a.s_addr & mask);
}

/* A blackhole / unreachable / prohibit route covering a (any table):
 * the command that removes it into fix. 0 when found. */
static int
find_reject_route(struct in_addr a, char *fix, size_t n)
{
	static const char *const types[] = { "blackhole", "unreachable",
					     "prohibit" };
	struct sbuf out = { 0 };
	size_t t;
	int found = 0;

	for (t = 0; t < 3 && !found; t++) {
		const char *p;

		RUN(&out, "ip", "-4", "-o", "route", "show", "table", "all",
		    "type", types[t]);
		for (p = sbuf_str(&out); *p && !found; p += strcspn(p, "\n") +
		     (p[strcspn(p, "\n")] ? 1 : 0)) {
			char l[512], pfx[64] = "", table[64] = "";

			snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"),
				 p);
			if (sscanf(l, "%*s %63s", pfx) != 1 ||
			    !prefix_covers(pfx, a))
				continue;
			word_after(l, "table", table, sizeof(table));
			snprintf(fix, n, "ip route del %s %s%s%s", types[t],
				 pfx, table[0] ? " table " : "", table);
			found = 1;
		}
	}
	sbuf_free(&out);
	return found;
}

static void
check_route(const char *r, struct in_addr a, char *dev, size_t dn)
{
	struct sbuf out = { 0 }, err = { 0 };
	char id[64], fix[300];
	int rc = run_argv(&out, &err, argv_new("ip", "-4", "-o", "route",
						"get", r, NULL));

	snprintf(id, sizeof(id), "wccp.router.%s.route", r);
	dev[0] = '\0';
	if (rc == 0 && word_after(sbuf_str(&out), "dev", dev, dn) == 0) {
		dr_add(ST_PASS, id, NULL, "router %s is reached through %s",
		    r, dev);
	} else if (find_reject_route(a, fix, sizeof(fix))) {
		dr_add(ST_FAIL, id, fix, "router %s is unreachable: a route "
		    "rejects it (%s); HERE_I_AM to UDP 2048 cannot be sent, "
		    "the router drops this cache from the service group and "
		    "stops redirecting to it", r, fix + 13);
	} else {
		if (err.p)
			rstrip(err.p);
		dr_add(ST_FAIL, id, NULL, "no route to router %s (%s): add one "
		    "(ip route add %s via GATEWAY), or correct the "
		    "wccp2_router line", r, sbuf_str(&err), r);
	}
	sbuf_free(&out);
	sbuf_free(&err);
}

/* Whether an nft rule line matches an address of the family ip (saddr or
 * daddr, a single address or a prefix): *covers says whether one of them
 * covers router address a. */
static int
rule_addr(const char *l, struct in_addr a, int *covers)
{
	static const char *const keys[] = { "saddr ", "daddr " };
	const char *p;
	int any = 0;
	size_t k;

	*covers = 0;
	for (k = 0; k < 2; k++)
		for (p = l; (p = strstr(p, keys[k])) != NULL; p++) {
			char v[64];

			any = 1;
			snprintf(v, sizeof(v), "%.*s", (int)strcspn(p + 6,
				 " ,}"), p + 6);
			if (prefix_covers(v, a))
				*covers = 1;
		}
	return any;
}

/* Whether a rule's interface match (iifname/oifname "X", if any) lets
 * it apply to dev, the interface toward the router ("" unknown: only
 * rules without an interface match apply). */
static int
rule_iface_ok(const char *l, const char *dev)
{
	static const char *const keys[] = { "iifname ", "oifname " };
	char want[64];
	const char *p;
	size_t k;
	int any = 0;

	snprintf(want, sizeof(want), "\"%s\"", dev);
	for (k = 0; k < 2; k++)
		if ((p = strstr(l, keys[k])) != NULL) {
			any = 1;
			if (dev[0] && !strncmp(p + 8, want, strlen(want)))
				return 1;
		}
	return !any && !strstr(l, "iif ") && !strstr(l, "oif ");
}

/*
 * Whether an nft rule line of an input (input = 1) or output chain is
 * about the WCCP messages exchanged with router a: UDP port 2048, or
 * (no port) the router's address, or all UDP, or everything (on dev,
 * the interface toward the router, when the rule names interfaces).
 * With accept, connection tracking's established state counts on input
 * (I_SEE_YOU answers our HERE_I_AM from port 2048 to port 2048), not on
 * output (the first HERE_I_AM is new).
 */
static int
rule_concerns(const char *l, struct in_addr a, const char *dev, int accept,
	      int input)
{
	int port = strstr(l, "port") != NULL, covers;
	int addr = rule_addr(l, a, &covers);
	int proto = strstr(l, "tcp") || strstr(l, "icmp") ||
		strstr(l, "udp") || strstr(l, "l4proto") ||
		strstr(l, "protocol");

	if (!rule_iface_ok(l, dev) || (strstr(l, "tcp") && !strstr(l, "udp")))
		return 0;
	if (strstr(l, "2048"))
		return 1;
	if (strstr(l, "ct state"))
		return accept && input && strstr(l, "established") && !port &&
			!addr;
	if (port)
		return 0;
	if (addr)
		return covers;
	return !proto || strstr(l, "udp") != NULL;
}

/* The verdict of an nft rule line: 1 accept, -1 drop/reject, 0 other. */
static int
verdict(const char *l)
{
	char v[512];
	char *h;

	snprintf(v, sizeof(v), "%s", l);
	if ((h = strstr(v, " # handle")) != NULL)
		*h = '\0';
	rstrip(v);
	if ((h = strrchr(v, ' ')) == NULL)
		h = v;
	else
		h++;
	if (!strcmp(h, "accept"))
		return 1;
	if (!strcmp(h, "drop") || strstr(v, " reject") || !strncmp(v + strspn(
	    v, " \t"), "reject", 6))
		return -1;
	return 0;
}

/* nft input/output chains that drop WCCP messages to or from router r:
 * a drop rule (fix: delete it), or a drop policy that nothing lets them
 * through (fix: insert an accept rule). One result per direction. */
static void
check_udp2048(const char *ruleset, const char *r, struct in_addr a,
	      const char *dev)
{
	const char *p;
	char fam[16] = "", table[64] = "", chain[64] = "", hook[16] = "";
	char id[64], fix[400], found[400] = "", why[600] = "";
	int policy_drop = 0, accepted = 0, dropped = 0;

	snprintf(id, sizeof(id), "wccp.router.%s.udp2048", r);
	for (p = ruleset; *p && !found[0]; p += strcspn(p, "\n") +
	     (p[strcspn(p, "\n")] ? 1 : 0)) {
		char l[1024], *h;

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		if (!strncmp(l, "table ", 6)) {
			sscanf(l, "table %15s %63s", fam, table);
			continue;
		}
		if (!strncmp(l, "\tchain ", 7)) {
			sscanf(l, "\tchain %63s", chain);
			hook[0] = '\0';
			policy_drop = accepted = dropped = 0;
			continue;
		}
		if ((h = strstr(l, " hook ")) != NULL) {
			sscanf(h + 6, "%15s", hook);
			policy_drop = strstr(l, "policy drop") != NULL;
			continue;
		}
		if (strcmp(fam, "ip") && strcmp(fam, "inet"))
			continue;
		if (strcmp(hook, "input") && strcmp(hook, "output"))
			continue;
		if (!strcmp(l, "\t}")) {
			/* End of the chain: its policy decides. */
			if (policy_drop && !accepted && !dropped) {
				snprintf(fix, sizeof(fix), "nft insert rule %s "
					 "%s %s ip %s %s udp dport 2048 accept",
					 fam, table, chain, strcmp(hook,
					 "input") ? "daddr" : "saddr", r);
				snprintf(found, sizeof(found), "%s", fix);
				snprintf(why, sizeof(why), "the %s chain %s %s "
					 "%s drops by policy and no rule "
					 "accepts UDP 2048 %s router %s",
					 hook, fam, table, chain, strcmp(hook,
					 "input") ? "to" : "from", r);
			}
			hook[0] = '\0';
			continue;
		}
		if (!strstr(l, "# handle") || accepted || dropped)
			continue;
		if (verdict(l) == 1 && rule_concerns(l, a, dev, 1,
						     !strcmp(hook, "input"))) {
			accepted = 1;
		} else if (verdict(l) == -1 && rule_concerns(l, a, dev, 0, 0)) {
			dropped = 1;
			h = strstr(l, "# handle ");
			snprintf(fix, sizeof(fix), "nft delete rule %s %s %s "
				 "handle %s", fam, table, chain, h + 9);
			snprintf(found, sizeof(found), "%s", fix);
			*h = '\0';
			rstrip(l);
			snprintf(why, sizeof(why), "the %s chain %s %s %s "
				 "drops WCCP messages %s router %s: %s", hook,
				 fam, table, chain, strcmp(hook, "input") ?
				 "to" : "from", r, l + strspn(l, "\t "));
		}
	}
	if (found[0])
		dr_add(ST_FAIL, id, found, "%s; without them the router drops "
		    "this cache from the service group", why);
	else
		dr_add(ST_PASS, id, NULL, "no firewall rule drops UDP 2048 to "
		    "or from router %s", r);
}

/* What tproxyd's cache_log says about router r since WCCP last started:
 * its last event, into ev (NULL: none), and the start time (*started, 0:
 * WCCP did not start; then *why, when not NULL, says why). */
static const char *
router_event(const char *log, const char *r, time_t *started,
	     char *why, size_t wn)
{
	static const char *const evs[] = { "answers", "stopped answering",
					   "does not offer", "now offers",
					   "fails the security check" };
	const char *p, *start = NULL, *boot = NULL, *best = NULL;
	const char *ev = NULL;
	char key[128];
	size_t i;
	struct tm tm;

	*started = 0;
	why[0] = '\0';
	for (p = log; (p = strstr(p, "Starting tproxyd")) != NULL; p++)
		boot = p;
	for (p = log; (p = strstr(p, "WCCPv2: ")) != NULL; p++) {
		size_t digits = strspn(p + 8, "0123456789");

		if (digits && !strncmp(p + 8 + digits, " service group(s), ",
				       19))
			start = p;
	}
	if (boot && (start == NULL || start < boot)) {
		for (p = boot; (p = strstr(p, "ERROR: WCCPv2")) != NULL; p++)
			snprintf(why, wn, "%.*s", (int)strcspn(p, "\n"), p);
		return NULL;
	}
	if (start == NULL)
		return NULL;
	p = start;
	while (p > log && p[-1] != '\n')
		p--;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(p, "%d/%d/%d %d:%d:%d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		tm.tm_isdst = -1;
		*started = mktime(&tm);
	}
	if (*started <= 0)
		*started = 1;
	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		if (i == 4)
			snprintf(key, sizeof(key), " from %s %s", r, evs[i]);
		else
			snprintf(key, sizeof(key), "router %s %s", r, evs[i]);
		for (p = start; (p = strstr(p, key)) != NULL; p++)
			if (best == NULL || p > best) {
				best = p;
				ev = evs[i];
			}
	}
	if (best) {
		while (best > log && best[-1] != '\n')
			best--;
		snprintf(why, wn, "%.*s", (int)strcspn(best, "\n"), best);
	}
	return ev;
}

static void
check_answers(const struct cfg *c, const char *r, int running)
{
	struct sbuf log = { 0 };
	char id[64], line[600], svc[200] = "";
	const char *ev;
	time_t started;
	size_t i;

	snprintf(id, sizeof(id), "wccp.router.%s", r);
	for (i = 0; i < c->wccp2.nservice; i++) {
		size_t l = strlen(svc);

		snprintf(svc + l, sizeof(svc) - l, "%sip wccp %u%s",
			 i ? ", " : "", c->wccp2.service[i].dynamic ?
			 c->wccp2.service[i].id : 0, c->wccp2.service[i].
			 password ? " password KEY" : "");
	}
	if (!running) {
		dr_add(ST_WARN, id, NULL, "tproxyd is not running: nothing "
		    "announces this cache to router %s", r);
		return;
	}
	if (c->cache_log == NULL || read_log(c->cache_log, &log) < 0) {
		dr_add(ST_WARN, id, NULL, "cannot tell whether router %s "
		    "answers: no readable cache_log (tproxyd logs there when "
		    "a router answers or stops answering)", r);
		sbuf_free(&log);
		return;
	}
	if (!strstr(sbuf_str(&log), "Starting tproxyd") &&
	    !strstr(sbuf_str(&log), " service group(s), ")) {
		/* Rotated since tproxyd started (logrotate renames it to
		 * .1, uncompressed with delaycompress; -k rotate reopens):
		 * the start is in the previous file. */
		struct sbuf old = { 0 };
		char path[4096];

		snprintf(path, sizeof(path), "%s.1", c->cache_log);
		if (read_log(path, &old) == 0) {
			sbuf_add(&old, sbuf_str(&log));
			sbuf_free(&log);
			log = old;
		} else {
			sbuf_free(&old);
		}
	}
	if (!strstr(sbuf_str(&log), "Starting tproxyd") &&
	    !strstr(sbuf_str(&log), " service group(s), ")) {
		dr_add(ST_WARN, id, NULL, "cannot tell whether router %s "
		    "answers: %s does not go back to tproxyd's start "
		    "(rotated?); `tproxyd -k reconfigure` logs WCCP's start "
		    "again", r, c->cache_log);
		sbuf_free(&log);
		return;
	}
	ev = router_event(sbuf_str(&log), r, &started, line, sizeof(line));
	if (started == 0)
		dr_add(ST_FAIL, id, NULL, "tproxyd runs without WCCP: %s",
		    line[0] ? line : "its last start did not log \"WCCPv2: "
		    "... service group(s)\"; check its cache_log");
	else if (ev == NULL && time(NULL) - started < ANSWER_WAIT_S)
		dr_add(ST_WARN, id, NULL, "tproxyd started WCCP %ld s ago; "
		    "router %s has not answered yet", (long)(time(NULL) -
		    started), r);
	else if (ev == NULL)
		dr_add(ST_FAIL, id, NULL, "router %s has not answered "
		    "tproxyd's HERE_I_AM (sent every 10 s to UDP 2048) since "
		    "WCCP started %ld s ago: the router is not redirecting "
		    "to this cache. On the router: the service group(s) "
		    "enabled (%s) and `ip wccp N redirect in` on the "
		    "clients' interface; %s is the router's address "
		    "(its Router ID may differ)", r, (long)(time(NULL) -
		    started), svc, r);
	else if (!strcmp(ev, "answers") || !strcmp(ev, "now offers"))
		dr_add(ST_PASS, id, NULL, "router %s answers HERE_I_AM "
		    "(I_SEE_YOU received)", r);
	else if (!strcmp(ev, "stopped answering"))
		dr_add(ST_FAIL, id, NULL, "router %s stopped answering "
		    "HERE_I_AM: it drops this cache from the service group "
		    "(%s)", r, line);
	else if (!strcmp(ev, "does not offer"))
		dr_add(ST_FAIL, id, NULL, "router %s answers but does not "
		    "offer the configured methods; set "
		    "wccp2_forwarding_method / wccp2_return_method / "
		    "wccp2_assignment_method to ones it offers (%s)", r, line);
	else
		dr_add(ST_FAIL, id, NULL, "router %s's answers fail the MD5 "
		    "check: the password= of wccp2_service and the router's "
		    "`ip wccp N password` differ (%s)", r, line);
	sbuf_free(&log);
}

void
dr_check_wccp(const struct plan_opts *o, const struct cfg *c,
	      const char *conf_path)
{
	struct sbuf ruleset = { 0 };
	int running;
	size_t i;

	if (c == NULL || c->wccp2.nrouter == 0)
		return;
	running = tproxyd_running();
	if (c->wccp2.forwarding_method != 2) {
		check_gre_device(c, conf_path, running);
		check_gre_rules(o, c, conf_path);
		check_kernel_tunnels(c);
	}
	check_mtu(o, c);
	RUN(&ruleset, "nft", "-a", "list", "ruleset");
	for (i = 0; i < c->wccp2.nrouter; i++) {
		char r[INET_ADDRSTRLEN], dev[64];
		const struct sockaddr_in *sa = (const void *)
			&c->wccp2.router[i];

		inet_ntop(AF_INET, &sa->sin_addr, r, sizeof(r));
		check_route(r, sa->sin_addr, dev, sizeof(dev));
		check_udp2048(sbuf_str(&ruleset), r, sa->sin_addr, dev);
		check_answers(c, r, running);
	}
	sbuf_free(&ruleset);
}
