/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * path.c - the route a marked packet really takes. For each family and
 * each interface clients come in on (--iface, else every interface that
 * is up, not lo, with an address), the kernel is asked what it does with
 * a marked TCP packet from a client there to each intercepted port:
 *
 *   ip -j -4 route get DST from CLIENT iif IF mark M ipproto tcp dport P
 *
 * (no packet is sent). It must be `local` in setup's table: the kernel's
 * tproxy documentation and Squid's TPROXY guide ("Routing configuration")
 * rely on it. When it is not, the checks here find why and say it:
 *
 *   src_valid_mark=1 (wg-quick, Tailscale): the reverse-path lookup of the
 *     client's address carries the mark, hits table T's local default and
 *     the packet is a martian (EINVAL). setup adds `iif lo fwmark M lookup
 *     main` before the fwmark rule, so that lookup uses main;
 *   rp_filter (the larger of all and the interface) with a route back to
 *     the client through another interface;
 *   an `ip rule` evaluated before ours that takes the client's packets
 *     (added after setup without a preference, as wg-quick's, or at a
 *     fixed one below --rule-pref, as Calico's 99), or a rule of another
 *     program for the same mark;
 *   IPv6 disabled (no /proc/sys/net/ipv6, disable_ipv6=1, lo without
 *     IPv6: the local route in table T is gone);
 *   other writers of the mark whose bits overlap ours (path_marks.c).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../doctor.h"
#include "checks.h"
#include "pathparse.h"

const char *doctor_state;

#define DST4 "198.19.255.1"
#define DST6 "2001:db8:ffff::1"
#define MAX_RULES 256
#define MAX_IF 32

struct iface {
	char          name[IFNAMSIZ];
	char          client[INET6_ADDRSTRLEN];
	unsigned char client_bin[16];
};

struct fam_ctx {
	int            f, fam;	/* PLAN_V4 / 4 */
	char           flag[4];	/* "-4" */
	struct pp_rule rule[MAX_RULES];
	char           line[MAX_RULES][160];
	size_t         nrule;
	long           ours;	/* index of our fwmark rule, -1 none */
	long           lo_rule;	/* our iif lo rule, -1 none */
	char           table[32];	/* as ip names our table */
};

static void
rd_proc(const char *path, char *val, size_t n)
{
	struct sbuf b = { 0 };

	val[0] = '\0';
	if (read_file(path, &b) == 0)
		snprintf(val, n, "%s", sbuf_str(&b));
	sbuf_free(&b);
	rstrip(val);
}

/* An IPv4 conf value (/proc/sys/net/ipv4/conf/IF/key: the name as is). */
static int
conf4(const char *ifn, const char *key)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%.64s/%.32s",
		 ifn, key);
	rd_proc(path, v, sizeof(v));
	return v[0] ? atoi(v) : 0;
}

/* Where src_valid_mark is 1 ("all", or the interfaces), into out; 0 when
 * nowhere. */
static int
svm_where(char *out, size_t n)
{
	DIR *d;
	struct dirent *de;
	int any = 0;

	out[0] = '\0';
	if (conf4("all", "src_valid_mark")) {
		snprintf(out, n, "all");
		return 1;
	}
	if ((d = opendir("/proc/sys/net/ipv4/conf")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "all") ||
		    !strcmp(de->d_name, "default") ||
		    !conf4(de->d_name, "src_valid_mark"))
			continue;
		snprintf(out + strlen(out), n - strlen(out), "%s%.40s",
			 any++ ? ", " : "", de->d_name);
	}
	closedir(d);
	return any > 0;
}

int
dr_ipv6_off(char *why, size_t n)
{
	struct stat st;
	char v[16];

	if (stat("/proc/sys/net/ipv6", &st) < 0) {
		snprintf(why, n, "the kernel was booted with ipv6.disable=1 "
			 "(no /proc/sys/net/ipv6)");
		return 1;
	}
	rd_proc("/proc/sys/net/ipv6/conf/all/disable_ipv6", v, sizeof(v));
	if (!strcmp(v, "1")) {
		snprintf(why, n, "net.ipv6.conf.all.disable_ipv6 = 1");
		return 2;
	}
	rd_proc("/proc/sys/net/ipv6/conf/lo/disable_ipv6", v, sizeof(v));
	if (!strcmp(v, "1")) {
		snprintf(why, n, "net.ipv6.conf.lo.disable_ipv6 = 1: lo has "
			 "no IPv6 address, so the kernel removed the local "
			 "route setup put in the table");
		return 3;
	}
	return 0;
}

static void
load_rules(struct fam_ctx *x, const struct plan_opts *o)
{
	char *argv[] = { (char *)"ip", x->flag, (char *)"rule",
			 (char *)"show", NULL };
	struct sbuf out = { 0 };
	const char *p;
	char tstr[16];

	snprintf(tstr, sizeof(tstr), "%u", o->table);
	x->nrule = 0;
	x->ours = x->lo_rule = -1;
	snprintf(x->table, sizeof(x->table), "%s", tstr);
	run_cmd(argv, NULL, &out, NULL);
	for (p = sbuf_str(&out); *p && x->nrule < MAX_RULES;
	     p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0)) {
		struct pp_rule *r = &x->rule[x->nrule];
		char l[512];
		size_t k;

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		rstrip(l);
		if (pp_parse_rule(l, x->fam, r) < 0)
			continue;
		snprintf(x->line[x->nrule], sizeof(x->line[0]), "%.159s", l);
		for (k = 0; x->line[x->nrule][k]; k++)	/* "5270:\tfrom" */
			if (x->line[x->nrule][k] == '\t')
				x->line[x->nrule][k] = ' ';
		if (r->has_mark && r->mark == o->mark && r->mask == o->mask &&
		    !r->not && !strcmp(r->action, "lookup")) {
			if (!strcmp(r->iif, "lo") && !strcmp(r->table, "main")
			    && x->lo_rule < 0 && !r->other && r->from_len < 0)
				x->lo_rule = (long)x->nrule;
			else if (!r->iif[0] && x->ours < 0 &&
				 r->from_len < 0 && r->to_len < 0 &&
				 (!strcmp(r->table, tstr) ||
				  atoi(r->table) == 0)) {
				x->ours = (long)x->nrule;
				snprintf(x->table, sizeof(x->table), "%s",
					 r->table);
			}
		}
		x->nrule++;
	}
	sbuf_free(&out);
}

/* Interfaces clients come in on, with a client address in each one's
 * connected subnet other than the router's own. */
static size_t
client_ifaces(const struct plan_opts *o, int fam, struct iface *ifs,
	      size_t max)
{
	struct ifaddrs *ia, *a;
	size_t n = 0, i;

	if (getifaddrs(&ia) < 0)
		return 0;
	for (a = ia; a && n < max; a = a->ifa_next) {
		unsigned char own[16], mask[16], cli[16];
		int len = fam == 4 ? 4 : 16, k, want = o->niface == 0, bits = 0;

		if (a->ifa_addr == NULL || a->ifa_netmask == NULL ||
		    a->ifa_addr->sa_family != (fam == 4 ? AF_INET : AF_INET6))
			continue;
		for (i = 0; i < o->niface; i++)
			if (!strcmp(o->iface[i], a->ifa_name))
				want = 1;
		if (!want || (a->ifa_flags & IFF_LOOPBACK) ||
		    (o->niface == 0 && !(a->ifa_flags & IFF_UP)))
			continue;
		for (i = 0; i < n; i++)
			if (!strcmp(ifs[i].name, a->ifa_name))
				break;
		if (i < n)
			continue;
		if (fam == 4) {
			memcpy(own, &((struct sockaddr_in *)a->ifa_addr)->
			       sin_addr, 4);
			memcpy(mask, &((struct sockaddr_in *)a->ifa_netmask)->
			       sin_addr, 4);
		} else {
			memcpy(own, &((struct sockaddr_in6 *)a->ifa_addr)->
			       sin6_addr, 16);
			memcpy(mask, &((struct sockaddr_in6 *)a->ifa_netmask)->
			       sin6_addr, 16);
			if (own[0] == 0xfe && (own[1] & 0xc0) == 0x80)
				continue;	/* link-local */
		}
		for (k = 0; k < len; k++)
			bits += __builtin_popcount(mask[k]);
		if (bits >= len * 8) {
			/* point to point: the peer is the client */
			if (fam != 4 || a->ifa_dstaddr == NULL)
				continue;
			memcpy(cli, &((struct sockaddr_in *)a->ifa_dstaddr)->
			       sin_addr, 4);
		} else {
			for (k = 0; k < len; k++)
				cli[k] = own[k] & mask[k];
			cli[len - 1] |= 1;
			if (!memcmp(cli, own, (size_t)len))
				cli[len - 1] ^= 3;	/* .1 is ours: .2 */
			if (bits == len * 8 - 1)
				cli[len - 1] = own[len - 1] ^ 1;
		}
		snprintf(ifs[n].name, sizeof(ifs[n].name), "%s", a->ifa_name);
		memset(ifs[n].client_bin, 0, 16);
		memcpy(ifs[n].client_bin, cli, (size_t)len);
		inet_ntop(fam == 4 ? AF_INET : AF_INET6, cli, ifs[n].client,
			  sizeof(ifs[n].client));
		n++;
	}
	freeifaddrs(ia);
	return n;
}

/* ip route get; answer (parsed) or the error ip printed. */
static int
route_get(struct fam_ctx *x, char *const *args, struct pp_route *r,
	  char *err, size_t n)
{
	char *argv[24];
	struct sbuf out = { 0 }, e = { 0 };
	size_t i = 0;
	int rc;

	argv[i++] = (char *)"ip";
	argv[i++] = (char *)"-j";
	argv[i++] = x->flag;
	argv[i++] = (char *)"route";
	argv[i++] = (char *)"get";
	for (; *args && i < 23; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	run_cmd(argv, NULL, &out, &e);
	rc = pp_parse_route(sbuf_str(&out), r);
	snprintf(err, n, "%.*s", (int)strcspn(sbuf_str(&e), "\n"),
		 sbuf_str(&e));
	if (rc < 0 && !err[0])
		snprintf(err, n, "no answer");
	sbuf_free(&out);
	sbuf_free(&e);
	return rc;
}

static void
describe(const struct pp_route *r, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s%s%s dev %s table %s",
		 strcmp(r->type, "unicast") ? r->type : "",
		 strcmp(r->type, "unicast") ? " " : "",
		 r->gateway[0] ? "via " : "", r->gateway,
		 r->gateway[0] ? "" : "direct", r->dev, r->table);
}

/* The setup again, with --rule-pref pref: both our rules move before the
 * rule that took the packets (the iif lo rule at pref - 1), and a later
 * setup keeps them there (the preference is recorded; `ip rule del/add`
 * by hand would be moved back to the old one by the next setup). */
static void
rulepref_fix(const struct plan_opts *o, const char *conf_path,
	     unsigned long pref, char *fix, size_t n)
{
	struct plan_opts no = *o;

	no.rule_pref = (unsigned)pref;
	dr_fix_setup(fix, n, conf_path, &no);
}

struct cause {
	int  kind;	/* 0 none, see enum below */
	long rule;	/* index of the rule that took the packets */
	char text[400];
	char fix[600];
};

enum { C_NONE, C_SVM, C_RPF, C_RULE, C_MARK, C_NORULE, C_NOLOCAL,
       C_OTHER };

static void
find_cause(struct fam_ctx *x, const struct plan_opts *o,
	   const char *conf_path, const struct iface *ifc, const char *dst,
	   unsigned port,
	   const struct pp_route *answer, const char *err, int rev_local,
	   uint32_t used, struct cause *c)
{
	char mark[32], k1[128], q[200];
	struct pp_route none = { "unreachable", "", "", "" };
	const struct pp_route *rt = answer;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->rule = -1;
	plan_format_mark(o->mark, o->mask, mark, sizeof(mark));
	/* Invalid argument: the source check (martian, rp_filter); other
	 * errors (unreachable: no route) go to the rules below. */
	if (err && !strstr(err, "Invalid argument"))
		rt = &none;
	if (err && rt == answer) {
		int all = conf4("all", "rp_filter"), one = conf4(ifc->name,
								  "rp_filter");
		struct pp_route back;
		char e2[200], cl[INET6_ADDRSTRLEN], *a[] = { cl, NULL };

		snprintf(cl, sizeof(cl), "%s", ifc->client);
		if (x->fam == 4 && rev_local &&
		    (conf4("all", "src_valid_mark") ||
		     conf4(ifc->name, "src_valid_mark"))) {
			c->kind = C_SVM;
			snprintf(c->text, sizeof(c->text), "src_valid_mark = 1 "
				 "(%.40s; wg-quick and Tailscale set it): the "
				 "kernel checks the client's address with the "
				 "mark, that lookup hits table %.31s's local "
				 "route and the packet is dropped as a "
				 "martian", conf4("all", "src_valid_mark") ?
				 "net.ipv4.conf.all" : ifc->name, x->table);
			snprintf(c->fix, sizeof(c->fix), "ip -4 rule del iif "
				 "lo fwmark %s lookup main 2>/dev/null; ip -4 "
				 "rule add pref %lu iif lo fwmark %s lookup "
				 "main", mark, x->ours >= 0 &&
				 x->rule[x->ours].pref > 1 ?
				 x->rule[x->ours].pref - 1 : 32764UL, mark);
			return;
		}
		/* strict (1): the route back must leave through the
		 * interface; loose (2): there must be one */
		if (x->fam == 4 && (all || one) &&
		    (route_get(x, a, &back, e2, sizeof(e2)) < 0 ||
		     ((all > one ? all : one) == 1 &&
		      strcmp(back.dev, ifc->name)))) {
			if (!back.dev[0])
				snprintf(back.dev, sizeof(back.dev), "%s",
					 "nowhere (no route)");
			c->kind = C_RPF;
			snprintf(c->text, sizeof(c->text), "rp_filter = %d ("
				 "the "
				 "larger of all = %d and %.20s = %d): the "
				 "route back to %.46s leaves through %.20s, "
				 "not %.20s, so "
				 "the kernel drops the client's packets",
				 all > one ? all : one, all, ifc->name, one,
				 ifc->client, back.dev, ifc->name);
			pp_sysctl_key("ipv4", ifc->name, "rp_filter=0", k1,
				      sizeof(k1));
			pp_shell_quote(k1, q, sizeof(q));
			snprintf(c->fix, sizeof(c->fix), "%s%s%s%s",
				 all ? "sysctl -w net.ipv4.conf.all.rp_filter=0"
				 : "", all && one ? " && " : "",
				 one ? "sysctl -w " : "", one ? q : "");
			return;
		}
		c->kind = C_OTHER;
		snprintf(c->text, sizeof(c->text), "the kernel refuses the "
			 "packet, and neither src_valid_mark nor rp_filter "
			 "explains it (%.100s)", err);
		return;
	}
	for (i = 0; i < x->nrule; i++) {
		const struct pp_rule *r = &x->rule[i];
		struct pp_pkt p = { .fam = x->fam, .iif = ifc->name,
				    .mark = o->mark, .dport = port };

		if ((long)i == x->ours)
			break;
		if (r->pref == 0 || (long)i == x->lo_rule)
			continue;
		memcpy(p.src, ifc->client_bin, 16);
		inet_pton(x->fam == 4 ? AF_INET : AF_INET6, dst, p.dst);
		if (!pp_rule_matches(r, &p))
			continue;
		if (strcmp(r->action, "lookup") ? strcmp(r->action, rt->type) :
		    strcmp(r->table, rt->table))
			continue;
		c->rule = (long)i;
		if (r->has_mark && pp_fwmark_overlaps(r->mark, r->mask,
						      o->mark, o->mask)) {
			uint32_t m;

			c->kind = C_MARK;
			if (pp_free_mark(used | o->mask | (r->mask !=
							   0xffffffffu ?
							   r->mask : r->mark),
					 &m) == 0)
				dr_mark_fix(o, conf_path, m, c->fix,
					    sizeof(c->fix));
			snprintf(c->text, sizeof(c->text), "`%s` (another "
				 "program's rule for the same mark) is "
				 "evaluated before ours and sends the marked "
				 "packets to table %s; give setup a mark of "
				 "its own", x->line[i], r->table);
		} else {
			unsigned long first = r->pref;
			size_t k;

			/* Ours go before every rule that may take a client's
			 * packet to some destination, not only this one. */
			for (k = 1; k < i; k++) {
				struct pp_rule any = x->rule[k];

				any.to_len = -1;
				if (any.pref && (long)k != x->lo_rule &&
				    any.pref < first &&
				    pp_rule_matches(&any, &p))
					first = any.pref;
			}
			c->kind = C_RULE;
			if (first > 2)
				rulepref_fix(o, conf_path, first - 1, c->fix,
					     sizeof(c->fix));
			snprintf(c->text, sizeof(c->text), "`%.100s` is "
				 "evaluated before ours (%.100s) and takes the "
				 "client's packets%s; set up with a "
				 "--rule-pref below it", x->line[i],
				 x->ours >= 0 ?
				 x->line[x->ours] : "none", x->ours >= 0 &&
				 r->pref + 2 == x->rule[x->ours].pref ?
				 " (a rule added without a preference goes "
				 "before the lowest one there, setup's)" : "");
		}
		return;
	}
	if (x->ours < 0) {
		c->kind = C_NORULE;
		snprintf(c->text, sizeof(c->text), "no `ip rule` sends mark %s "
			 "to table %s", mark, x->table);
		snprintf(c->fix, sizeof(c->fix), "ip %s rule add fwmark %s "
			 "lookup %s && ip %s rule add iif lo fwmark %s lookup "
			 "main", x->flag, mark, x->table, x->flag, mark);
		return;
	}
	c->kind = C_NOLOCAL;
	snprintf(c->text, sizeof(c->text), "table %s has no `local default` "
		 "route", x->table);
	snprintf(c->fix, sizeof(c->fix), "ip %s route replace local %s dev lo "
		 "table %s", x->flag, x->fam == 4 ? "0.0.0.0/0" : "::/0",
		 x->table);
}

/*
 * Destinations the rules before ours may take a client's packet to: for
 * each rule evaluated first that matches the client's packets whatever
 * their destination and looks up another table (Calico's `99: not fwmark
 * 0x100000/0x100000 lookup 1`, a `lookup main suppress_prefixlength 0`),
 * one address of each specific route there (not default: the first probe
 * covers it), outside the client's own subnet. Up to max, into dst.
 */
#define MAX_DST 8
static size_t
table_dsts(struct fam_ctx *x, const struct iface *ifc,
	   const struct plan_opts *o, char dst[][INET6_ADDRSTRLEN],
	   size_t max)
{
	size_t n = 0, k;
	long stop = x->ours >= 0 ? x->ours : (long)x->nrule;

	for (k = 1; (long)k < stop && n < max; k++) {
		struct pp_rule any = x->rule[k];
		struct pp_pkt p = { .fam = x->fam, .iif = ifc->name,
				    .mark = o->mark, .dport = 80 };
		char *argv[] = { (char *)"ip", x->flag, (char *)"route",
				 (char *)"show", (char *)"table", any.table,
				 NULL };
		struct sbuf out = { 0 };
		const char *l;

		if (any.pref == 0 || (long)k == x->lo_rule ||
		    strcmp(any.action, "lookup") || !strcmp(any.table,
							    "local") ||
		    !strcmp(any.table, x->table))
			continue;
		any.to_len = -1;
		memcpy(p.src, ifc->client_bin, 16);
		if (!pp_rule_matches(&any, &p))
			continue;
		run_cmd(argv, NULL, &out, NULL);
		for (l = sbuf_str(&out); *l && n < max;
		     l += strcspn(l, "\n") + (l[strcspn(l, "\n")] ? 1 : 0)) {
			char w[64], *slash;
			unsigned char a[16] = { 0 };
			int len, bits, b;

			if (sscanf(l, "%63s", w) != 1 || !strchr("0123456789"
			    "abcdefABCDEF:", w[0]))
				continue;
			slash = strchr(w, '/');
			len = slash ? atoi(slash + 1) : x->fam == 4 ? 32 : 128;
			if (slash)
				*slash = '\0';
			if (inet_pton(x->fam == 4 ? AF_INET : AF_INET6, w,
				      a) != 1 || len == 0)
				continue;
			/* inside the client's subnet: not routed here */
			for (b = 0, bits = 0; b < len; b++)
				bits += ((a[b / 8] ^ ifc->client_bin[b / 8]) >>
					 (7 - b % 8)) & 1;
			/* and one the rule takes (its `to`, if any) */
			memcpy(p.dst, a, 16);
			if (bits == 0 || !pp_rule_matches(&x->rule[k], &p))
				continue;
			snprintf(dst[n++], INET6_ADDRSTRLEN, "%.45s", w);
		}
		sbuf_free(&out);
	}
	return n;
}

void
dr_check_path(const struct plan_opts *o, const struct cfg *cf,
	      const char *conf_path)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	static struct fam_ctx x;
	struct iface ifs[MAX_IF];
	char rpf_failed[MAX_IF];
	unsigned ports[PLAN_MAX_PORTS * 2];
	char mark[32], mval[16], id[96], why[200], fix[600], ans[200],
	     pl[200];
	uint32_t rule_bits = 0;
	int protected = 1;
	size_t fi, i, j, nport, nif;

	plan_format_mark(o->mark, o->mask, mark, sizeof(mark));
	/* route get takes the packet's mark, not a value/mask */
	snprintf(mval, sizeof(mval), "0x%x", o->mark);
	for (fi = 0; fi < 2; fi++) {
		int f = fams[fi], rev_local = 0, svm = 0, off;
		struct cause first = { 0 }, c;
		struct pp_route rt;
		char *ra[4];

		if (!(o->families & f))
			continue;
		x.f = f;
		x.fam = f == PLAN_V4 ? 4 : 6;
		snprintf(x.flag, sizeof(x.flag), "%s", f == PLAN_V4 ?
			 "-4" : "-6");
		if (f == PLAN_V6 && (off = dr_ipv6_off(why, sizeof(why)))) {
			snprintf(fix, sizeof(fix), "sysctl -w net.ipv6.conf.lo."
				 "disable_ipv6=0 && ip -6 route replace local "
				 "::/0 dev lo table %u", o->table);
			if (off == 3)
				dr_add(ST_FAIL, "path.ipv6", fix, "ipv6: %s; "
				       "IPv6 clients are forwarded, not "
				       "intercepted", why);
			else
				dr_add(ST_WARN, "path.ipv6", NULL, "ipv6: IPv6 "
				       "is disabled (%s): there is nothing to "
				       "intercept and no IPv6 rule or route "
				       "can be added; set up with --family "
				       "ipv4", why);
			continue;
		}
		load_rules(&x, o);
		for (i = 0; i < x.nrule; i++)
			if (x.rule[i].has_mark && (long)i != x.ours &&
			    (long)i != x.lo_rule)
				rule_bits |= x.rule[i].mask != 0xffffffffu ?
					x.rule[i].mask : x.rule[i].mark;
		if (x.lo_rule < 0 || x.ours < 0 ||
		    x.rule[x.lo_rule].pref > x.rule[x.ours].pref)
			protected = 0;
		nport = plan_all_dports(o, f, ports, PLAN_MAX_PORTS * 2);
		if (nport == 0) {
			ports[0] = 80;
			nport = 1;
		}
		ra[0] = (char *)(x.fam == 4 ? DST4 : DST6);
		ra[1] = (char *)"mark";
		ra[2] = mval;
		ra[3] = NULL;
		/* The source check with src_valid_mark looks the client's
		 * address up with the mark, from lo: through our table
		 * unless setup's iif lo rule comes first. (`ip route get
		 * ... mark M` without iif does not show it: rtnetlink's
		 * lookup does not match `iif lo`.) */
		rev_local = x.ours >= 0 && (x.lo_rule < 0 ||
			x.rule[x.lo_rule].pref > x.rule[x.ours].pref);
		nif = client_ifaces(o, x.fam, ifs, MAX_IF);
		memset(rpf_failed, 0, sizeof(rpf_failed));
		if (nif == 0)
			dr_add(ST_WARN, f == PLAN_V4 ? "path.ipv4" :
			       "path.ipv6", NULL, "%s: no interface with an "
			       "%s address takes clients: nothing to check",
			       dr_fam_name(f), dr_fam_name(f));
		for (i = 0; i < nif; i++) {
			char pstr[8], err[200] = "", dst[MAX_DST + 1]
				[INET6_ADDRSTRLEN];
			int bad = 0, rc = 0;
			size_t ndst, d;

			snprintf(dst[0], sizeof(dst[0]), "%s", ra[0]);
			ndst = 1 + table_dsts(&x, &ifs[i], o, dst + 1, MAX_DST);
			for (d = 0; d < ndst && !bad; d++)
				for (j = 0; j < nport && !bad; j++) {
					char *a[] = { dst[d], (char *)"from",
						      ifs[i].client,
						      (char *)"iif",
						      ifs[i].name,
						      (char *)"mark", mval,
						      (char *)"ipproto",
						      (char *)"tcp",
						      (char *)"dport", pstr,
						      NULL };

					snprintf(pstr, sizeof(pstr), "%u",
						 ports[j]);
					rc = route_get(&x, a, &rt, err,
						       sizeof(err));
					bad = rc < 0 ||
						strcmp(rt.type, "local") ||
						strcmp(rt.table, x.table);
				}
			snprintf(id, sizeof(id), "path.%s.%.40s",
				 dr_fam_name(f),
				 ifs[i].name);
			plan_format_ports(ports, nport, ",", pl, sizeof(pl));
			if (!bad) {
				dr_add(ST_PASS, id, NULL, "%s: a marked packet "
				       "from %s on %s to port %s is local, "
				       "table %s: delivered to tproxyd",
				       dr_fam_name(f), ifs[i].client,
				       ifs[i].name, pl, x.table);
				continue;
			}
			if (rc < 0)
				snprintf(ans, sizeof(ans), "%s", err);
			else
				describe(&rt, ans, sizeof(ans));
			find_cause(&x, o, conf_path, &ifs[i], dst[d - 1],
				   ports[j - 1], &rt, rc < 0 ? err : NULL,
				   rev_local, rule_bits, &c);
			dr_add(ST_FAIL, id, c.fix[0] ? c.fix : NULL, "%s: `ip "
			       "route get %s from %s iif %s mark %s ipproto "
			       "tcp dport %u` answers `%s`, not local in "
			       "table %s: %s", dr_fam_name(f), dst[d - 1],
			       ifs[i].client, ifs[i].name, mval, ports[j - 1],
			       ans, x.table, c.text);
			if (first.kind == C_NONE)
				first = c;
			if (c.kind == C_RPF) {
				rpf_failed[i] = 1;
				snprintf(id, sizeof(id), "path.rp_filter.%.40s",
					 ifs[i].name);
				dr_add(ST_FAIL, id, c.fix, "%s", c.text);
			}
		}
		/* rp_filter on interfaces where it drops nothing now */
		for (i = 0; f == PLAN_V4 && i < nif; i++) {
			int all = conf4("all", "rp_filter"),
			    one = conf4(ifs[i].name, "rp_filter"),
			    max = all > one ? all : one;

			snprintf(id, sizeof(id), "path.rp_filter.%.40s",
				 ifs[i].name);
			if (max == 0 || rpf_failed[i])
				continue;
			dr_add(ST_WARN, id, NULL, "rp_filter = %d on %s (the "
			       "larger of all = %d and %s = %d): the clients' "
			       "marked packets pass it now; Squid's TPROXY "
			       "guide turns it off, as it drops them %s",
			       max, ifs[i].name, all, ifs[i].name, one,
			       max == 1 ? "once the route back to a client "
			       "leaves through another interface" :
			       "(loose mode) from a client with no route "
			       "back");
		}
		if (f == PLAN_V4)
			svm = svm_where(why, sizeof(why));
		if (svm && first.kind == C_SVM) {
			dr_add(ST_FAIL, "path.src_valid_mark", first.fix, "%s",
			       first.text);
		} else if (svm && rev_local) {
			/* on an interface no client uses: the server's
			 * replies, marked by the socket rule, are dropped */
			snprintf(fix, sizeof(fix), "ip -4 rule del iif lo "
				 "fwmark %s lookup main 2>/dev/null; "
				 "ip -4 rule add pref %lu iif lo fwmark %s "
				 "lookup main", mark,
				 x.ours >= 0 && x.rule[x.ours].pref > 1 ?
				 x.rule[x.ours].pref - 1 : 32764UL, mark);
			dr_add(ST_FAIL, "path.src_valid_mark", fix,
			       "src_valid_mark = 1 on %s (wg-quick and "
			       "Tailscale set it) and no `ip rule ... iif lo "
			       "fwmark %s lookup main` comes before the fwmark "
			       "rule: the kernel checks the source of marked "
			       "packets arriving there through table %s, where "
			       "it is local, and drops them as martians", why,
			       mark, x.table);
		} else if (svm) {
			dr_add(ST_PASS, "path.src_valid_mark", NULL,
			       "src_valid_mark = 1 on %s (wg-quick and "
			       "Tailscale set it): the source check of marked "
			       "packets uses table main (`ip rule ... iif lo "
			       "fwmark %s lookup main` before the fwmark rule)",
			       why, mark);
		}
		snprintf(id, sizeof(id), "path.rules.%s", dr_fam_name(f));
		if (first.kind == C_RULE)
			dr_add(ST_FAIL, id, first.fix[0] ? first.fix : NULL,
			       "%s: %s", dr_fam_name(f), first.text);
		else if (first.kind != C_MARK)
			dr_add(ST_PASS, id, NULL, "%s: no ip rule before ours "
			       "takes the clients' marked packets",
			       dr_fam_name(f));
		snprintf(id, sizeof(id), "path.mark.%s", dr_fam_name(f));
		if (first.kind == C_MARK) {
			dr_add(ST_FAIL, id, first.fix[0] ? first.fix : NULL,
			       "%s: %s", dr_fam_name(f), first.text);
		} else {
			for (i = 0; i < x.nrule; i++)
				if (x.rule[i].has_mark && (long)i != x.ours &&
				    (long)i != x.lo_rule &&
				    pp_fwmark_overlaps(x.rule[i].mark,
						       x.rule[i].mask, o->mark,
						       o->mask))
					break;
			if (i < x.nrule)
				dr_add(ST_WARN, id, NULL, "%s: `%s` matches "
				       "mark %s too: its packets and ours "
				       "share a rule", dr_fam_name(f),
				       x.line[i], mark);
		}
	}
	dr_path_marks(o, cf, conf_path, rule_bits, protected);
}
