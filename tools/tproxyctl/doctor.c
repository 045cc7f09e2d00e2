/*
 * doctor.c - diagnosing interception, one check per item of the seeds'
 * troubleshooting (and of the setup steps), each PASS / WARN / FAIL with
 * the exact command that fixes it.
 *
 * Where the facts come from:
 *   kernel support   /proc/config.gz; otherwise /proc/net/ip_tables_targets
 *                    and _matches, and `nft -c` (checks a ruleset against
 *                    the kernel without applying it)
 *   rules            `nft list ruleset` (every prerouting base chain, jumps
 *                    followed) and `iptables-save -t mangle` /
 *                    `ip6tables-save` (PREROUTING, jumps followed); tables
 *                    iptables-nft owns are read through iptables-save only
 *   routing          `ip -4|-6 rule show`, `ip route show table T`
 *   sysctls          /proc/sys
 *   tproxyd          processes named tproxyd in this network namespace
 *                    (/proc/PID/comm and /proc/PID/ns/net); their listening
 *                    sockets and IP_TRANSPARENT from
 *                    `ss -Hltnp --inet-sockopt` (the kernel's inet_diag
 *                    reports the transparent flag); capabilities from
 *                    /proc/PID/status; when it is not running, the last
 *                    start in its cache_log tells if it lacked one
 *   SELinux          /sys/fs/selinux/enforce and booleans
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "config/config-t.h"

#include "apply.h"
#include "backend.h"
#include "doctor.h"
#include "nft.h"

enum { ST_PASS, ST_WARN, ST_FAIL };
static const char *const st_name[] = { "PASS", "WARN", "FAIL" };

struct check {
	int  status;
	char id[64];
	char msg[600];
	char fix[600];
};

static struct check *checks;
static size_t nchecks;

static void add(int status, const char *id, const char *fix,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
add(int status, const char *id, const char *fix, const char *fmt, ...)
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

static const char *
fam_name(int f)
{
	return f == PLAN_V4 ? "ipv4" : "ipv6";
}

static char *
ipflag(int f)
{
	return f == PLAN_V4 ? "-4" : "-6";
}

/* ---- kernel support -------------------------------------------------- */

static struct sbuf kconfig;
static int have_kconfig = -1;

/* 1 set (y/m), 0 not set, -1 unknown (no /proc/config.gz). */
static int
kconf(const char *name)
{
	char key[96];
	const char *p;

	if (have_kconfig < 0) {
		char *argv[] = { (char *)"gzip", (char *)"-dc",
				 (char *)"/proc/config.gz", NULL };

		have_kconfig = access("/proc/config.gz", R_OK) == 0 &&
			run_cmd(argv, NULL, &kconfig, NULL) == 0;
	}
	if (!have_kconfig)
		return -1;
	snprintf(key, sizeof(key), "\nCONFIG_%s=", name);
	p = strstr(sbuf_str(&kconfig), key);
	if (p == NULL)
		return 0;
	p += strlen(key);
	return *p == 'y' || *p == 'm';
}

/* Is word a line of /proc/net/<file>? */
static int
proc_list_has(const char *file, const char *word)
{
	struct sbuf b = { 0 };
	char path[128];
	const char *p;
	size_t n = strlen(word);
	int found = 0;

	snprintf(path, sizeof(path), "/proc/net/%s", file);
	if (read_file(path, &b) < 0) {
		sbuf_free(&b);
		return -1;
	}
	for (p = sbuf_str(&b); *p; p += strcspn(p, "\n") + (p[strcspn(p,
	     "\n")] != '\0'))
		if (strncmp(p, word, n) == 0 && (p[n] == '\n' || !p[n]))
			found = 1;
	sbuf_free(&b);
	return found;
}

struct kfeat {
	const char *id, *what, *config, *proc_file, *proc_word;
	int need;	/* 1 nft, 2 iptables, 4 bridge, 8 always */
};

static const struct kfeat kfeats[] = {
	{ "kernel.xt_tproxy", "iptables TPROXY target",
	  "NETFILTER_XT_TARGET_TPROXY", "ip_tables_targets", "TPROXY", 2 },
	{ "kernel.xt_socket", "iptables socket match",
	  "NETFILTER_XT_MATCH_SOCKET", "ip_tables_matches", "socket", 2 },
	{ "kernel.nft_tproxy", "nftables tproxy expression", "NFT_TPROXY",
	  NULL, NULL, 1 },
	{ "kernel.nft_socket", "nftables socket expression", "NFT_SOCKET",
	  NULL, NULL, 1 },
	{ "kernel.policy_routing.ipv4", "IPv4 policy routing",
	  "IP_MULTIPLE_TABLES", NULL, NULL, 8 },
	{ "kernel.policy_routing.ipv6", "IPv6 policy routing",
	  "IPV6_MULTIPLE_TABLES", NULL, NULL, 8 },
	{ "kernel.bridge_netfilter", "bridge netfilter",
	  "BRIDGE_NETFILTER", NULL, NULL, 4 },
	{ "kernel.nft_bridge", "nftables bridge family",
	  "NF_TABLES_BRIDGE", NULL, NULL, 4 },
};

/* 1 present, 0 missing, -1 unknown. */
static int
kfeat_present(const struct kfeat *k, int *nft_probed)
{
	int r = kconf(k->config);

	if (r >= 0)
		return r;
	if (k->proc_file) {
		r = proc_list_has(k->proc_file, k->proc_word);
		if (r == 1)
			return 1;	/* modules may load on demand */
	}
	if (k->need == 1) {
		struct sbuf e = { 0 };

		if (*nft_probed < 0)
			*nft_probed = nft_probe(&e) == 0;
		sbuf_free(&e);
		return *nft_probed;
	}
	if (strcmp(k->config, "BRIDGE_NETFILTER") == 0)
		return access("/proc/sys/net/bridge", F_OK) == 0;
	return -1;
}

static int
needed(const struct kfeat *k, const struct plan_opts *o)
{
	if (k->need == 8)
		return strstr(k->id, "ipv4") ? (o->families & PLAN_V4) != 0 :
			(o->families & PLAN_V6) != 0;
	if (k->need == 4)
		return o->bridge;
	return (k->need == 1 && o->backend == PLAN_NFT) ||
		(k->need == 2 && o->backend == PLAN_IPT);
}

static void
check_kernel(const struct plan_opts *o)
{
	size_t i;
	int probed = -1;

	for (i = 0; i < sizeof(kfeats) / sizeof(kfeats[0]); i++) {
		const struct kfeat *k = &kfeats[i];
		int r = kfeat_present(k, &probed);
		int need = needed(k, o);
		char fix[256];

		if (k->need == 4 && !o->bridge)
			continue;
		snprintf(fix, sizeof(fix), "use a kernel built with "
			 "CONFIG_%s=m (or =y)%s", k->config, k->need == 1 ?
			 ", or tproxyctl setup --backend iptables" :
			 k->need == 2 ? ", or tproxyctl setup --backend nft" :
			 "");
		if (r == 1)
			add(ST_PASS, k->id, NULL, "%s available (CONFIG_%s)",
			    k->what, k->config);
		else if (r == 0)
			add(need ? ST_FAIL : ST_WARN, k->id, fix,
			    "%s missing (CONFIG_%s not set)%s", k->what,
			    k->config, need ? "" : "; not needed by this setup");
		else
			add(ST_WARN, k->id, "check the kernel configuration "
			    "(no /proc/config.gz here)", "cannot tell whether "
			    "the %s is available", k->what);
	}
	if (o->bridge)
		add(ST_PASS, "kernel.bridge_divert", NULL, "bridged frames are "
		    "diverted with `ether daddr set` + `meta pkttype set "
		    "host` in table bridge tproxyd (nft `meta broute` %s)",
		    kconf("NFT_BRIDGE_META") == 1 ? "would also do" :
		    "is not available: CONFIG_NFT_BRIDGE_META is not set");
}

int
doctor_kernel_preflight(const struct plan_opts *o, struct sbuf *err)
{
	size_t i;
	int probed = -1, bad = 0;

	if (o->backend == PLAN_NFT || o->bridge) {
		struct sbuf e = { 0 };

		if (nft_probe(&e) < 0) {
			sbuf_printf(err, "tproxyctl: missing kernel support: "
				    "nftables tproxy/socket expressions "
				    "(CONFIG_NFT_TPROXY, CONFIG_NFT_SOCKET): "
				    "%s", sbuf_str(&e));
			if (strstr(sbuf_str(&e), "not permitted"))
				sbuf_add(err, "tproxyctl: (or missing "
					 "privileges: run as root)\n");
			bad = 1;
		}
		sbuf_free(&e);
	}
	for (i = 0; i < sizeof(kfeats) / sizeof(kfeats[0]); i++) {
		if (!needed(&kfeats[i], o) || kfeats[i].need == 1)
			continue;
		if (kfeat_present(&kfeats[i], &probed) == 0) {
			sbuf_printf(err, "tproxyctl: missing kernel support: "
				    "%s (CONFIG_%s)\n", kfeats[i].what,
				    kfeats[i].config);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* ---- rules: a model of the prerouting path --------------------------- */

enum ent_type { ENT_BYPASS, ENT_SOCKET, ENT_TPROXY };

struct ent {
	enum ent_type type;
	int      fams;
	unsigned dport[PLAN_MAX_PORTS];
	size_t   ndport;
	unsigned onport;
	char     text[256];
	char     where[256];
};

/* One path through a prerouting hook (a base chain, jumps inlined). */
struct walk {
	char       name[256];
	struct ent *e;
	size_t     n;
};

static struct walk *walks;
static size_t nwalks;

static struct walk *
walk_new(const char *name)
{
	struct walk *w = realloc(walks, (nwalks + 1) * sizeof(*w));

	if (w == NULL)
		exit(1);
	walks = w;
	w = &walks[nwalks++];
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	return w;
}

static struct ent *
ent_add(struct walk *w, enum ent_type t, int fams, const char *text,
	const char *where)
{
	struct ent *e = realloc(w->e, (w->n + 1) * sizeof(*e));

	if (e == NULL)
		exit(1);
	w->e = e;
	e = &w->e[w->n++];
	memset(e, 0, sizeof(*e));
	e->type = t;
	e->fams = fams;
	snprintf(e->text, sizeof(e->text), "%s", text);
	snprintf(e->where, sizeof(e->where), "%s", where);
	return e;
}

/* Ports after key: "80", "{ 80, 8080 }", "80,8080", "80-90" (first). */
static void
parse_ports(const char *p, struct ent *e)
{
	while (*p == ' ' || *p == '{')
		p++;
	while (isdigit((unsigned char)*p) && e->ndport < PLAN_MAX_PORTS) {
		char *end;

		e->dport[e->ndport++] = (unsigned)strtoul(p, &end, 10);
		p = end;
		if (*p == '-')	/* a range: keep its ends */
			continue;
		while (*p == ',' || *p == ' ')
			p++;
	}
}

/* nftables ------------------------------------------------------------- */

struct nchain {
	char   fam[8], table[64], name[64];
	int    prerouting;
	char **rule;
	size_t nrule;
};

static struct nchain *nch;
static size_t nnch;

static int
ipt_owned(const char *fam, const char *table)
{
	static const char *const names[] = { "filter", "mangle", "nat",
					     "raw", "security" };
	size_t i;

	if (strcmp(fam, "ip") && strcmp(fam, "ip6"))
		return 0;
	for (i = 0; i < 5; i++)
		if (strcmp(table, names[i]) == 0)
			return 1;
	return 0;
}

static void
nft_parse(const char *text, int skip_ipt)
{
	char fam[8] = "", table[64] = "";
	struct nchain *cur = NULL;
	const char *p;
	int skip = 0;

	for (p = text; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ?
						     1 : 0)) {
		char l[1024];
		char *s;

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		for (s = l; *s == '\t' || *s == ' '; s++)
			;
		rstrip(s);
		if (strncmp(s, "table ", 6) == 0) {
			sscanf(s, "table %7s %63s", fam, table);
			skip = skip_ipt && ipt_owned(fam, table);
			cur = NULL;
			continue;
		}
		if (skip)
			continue;
		if (strncmp(s, "chain ", 6) == 0) {
			struct nchain *n = realloc(nch, (nnch + 1) *
						   sizeof(*n));

			if (n == NULL)
				exit(1);
			nch = n;
			cur = &nch[nnch++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->fam, sizeof(cur->fam), "%s", fam);
			snprintf(cur->table, sizeof(cur->table), "%s", table);
			sscanf(s, "chain %63s", cur->name);
			continue;
		}
		if (cur == NULL || *s == '\0' || *s == '}')
			continue;
		if (strncmp(s, "type ", 5) == 0) {
			cur->prerouting = strstr(s, "hook prerouting") != NULL;
			continue;
		}
		if (strncmp(s, "policy ", 7) == 0 || strncmp(s, "comment ",
							     8) == 0)
			continue;
		cur->rule = realloc(cur->rule, (cur->nrule + 1) *
				    sizeof(char *));
		if (cur->rule == NULL)
			exit(1);
		cur->rule[cur->nrule++] = xstrdup(s);
	}
}

static struct nchain *
nft_find(const char *fam, const char *table, const char *name)
{
	size_t i;

	for (i = 0; i < nnch; i++)
		if (!strcmp(nch[i].fam, fam) && !strcmp(nch[i].table, table) &&
		    !strcmp(nch[i].name, name))
			return &nch[i];
	return NULL;
}

static int
nft_fams(const struct nchain *c, const char *r)
{
	if (!strcmp(c->fam, "ip"))
		return PLAN_V4;
	if (!strcmp(c->fam, "ip6"))
		return PLAN_V6;
	if (strstr(r, "nfproto ipv4") || strstr(r, "tproxy ip to") ||
	    strncmp(r, "ip ", 3) == 0 || strstr(r, " ip saddr") ||
	    strstr(r, " ip daddr"))
		return PLAN_V4;
	if (strstr(r, "nfproto ipv6") || strstr(r, "tproxy ip6 to") ||
	    strncmp(r, "ip6 ", 4) == 0 || strstr(r, " ip6 saddr") ||
	    strstr(r, " ip6 daddr"))
		return PLAN_V6;
	return PLAN_BOTH;
}

static void
nft_walk(struct walk *w, const struct nchain *c, int depth)
{
	char where[256];
	size_t i;

	snprintf(where, sizeof(where), "nft %s %s %s", c->fam, c->table,
		 c->name);
	for (i = 0; i < c->nrule; i++) {
		const char *r = c->rule[i], *q;
		int fams = nft_fams(c, r);

		if ((q = strstr(r, "tproxy ")) != NULL) {
			struct ent *e = ent_add(w, ENT_TPROXY, fams, r, where);
			const char *to = strstr(q, " to ");

			if ((q = strstr(r, "dport ")) != NULL)
				parse_ports(q + 6, e);
			if (to) {
				const char *end = to + 4 + strcspn(to + 4, " ");
				const char *colon = end;

				while (colon > to && *colon != ':')
					colon--;
				e->onport = (unsigned)strtoul(colon + 1, NULL,
							      10);
			}
		} else if (strstr(r, "socket transparent 1") ||
			   strstr(r, "socket exists")) {
			ent_add(w, ENT_SOCKET, fams, r, where);
		} else if ((q = strstr(r, "jump ")) != NULL ||
			   (q = strstr(r, "goto ")) != NULL) {
			char target[64];
			const struct nchain *t;

			if (sscanf(q + 5, "%63s", target) == 1 && depth < 8 &&
			    (t = nft_find(c->fam, c->table, target)) != NULL)
				nft_walk(w, t, depth + 1);
		} else if ((strstr(r, "accept") || strstr(r, "return")) &&
			   (strstr(r, "saddr ") || strstr(r, "daddr ")) &&
			   !strstr(r, "mark set")) {
			ent_add(w, ENT_BYPASS, fams, r, where);
		}
	}
}

/* iptables -------------------------------------------------------------- */

struct ichain {
	char   name[64];
	char **rule;
	size_t nrule;
};

static void
ipt_walk(struct walk *w, struct ichain *ch, size_t nch_, const char *name,
	 int fam, int depth)
{
	struct ichain *c = NULL;
	char where[256];
	size_t i, k;

	for (i = 0; i < nch_; i++)
		if (!strcmp(ch[i].name, name))
			c = &ch[i];
	if (c == NULL || depth > 8)
		return;
	snprintf(where, sizeof(where), "%s mangle %s", fam == PLAN_V4 ?
		 "iptables" : "ip6tables", name);
	for (i = 0; i < c->nrule; i++) {
		const char *r = c->rule[i], *q;
		char target[64] = "";

		if ((q = strstr(r, " -j ")) != NULL)
			sscanf(q + 4, "%63s", target);
		if (!strcmp(target, "TPROXY")) {
			struct ent *e = ent_add(w, ENT_TPROXY, fam, r, where);

			if ((q = strstr(r, "--dport ")) != NULL)
				parse_ports(q + 8, e);
			else if ((q = strstr(r, "--dports ")) != NULL)
				parse_ports(q + 9, e);
			if ((q = strstr(r, "--on-port ")) != NULL)
				e->onport = (unsigned)strtoul(q + 10, NULL, 10);
		} else if (strstr(r, "-m socket")) {
			ent_add(w, ENT_SOCKET, fam, r, where);
		} else if ((!strcmp(target, "RETURN") ||
			    !strcmp(target, "ACCEPT")) &&
			   (strstr(r, " -s ") || strstr(r, " -d "))) {
			ent_add(w, ENT_BYPASS, fam, r, where);
		} else if (target[0]) {
			for (k = 0; k < nch_; k++)
				if (!strcmp(ch[k].name, target))
					ipt_walk(w, ch, nch_, target, fam,
						 depth + 1);
		}
	}
}

static void
ipt_collect(int fam)
{
	struct sbuf out = { 0 };
	struct ichain *ch = NULL;
	size_t n = 0, i, k;
	const char *p;
	char wname[64];

	if (ipt_save(fam, &out) < 0) {
		sbuf_free(&out);
		return;
	}
	for (p = sbuf_str(&out); *p; p += strcspn(p, "\n") +
	     (p[strcspn(p, "\n")] ? 1 : 0)) {
		char l[1024], name[64];

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"), p);
		if (l[0] != ':' && strncmp(l, "-A ", 3) != 0)
			continue;
		sscanf(l + (l[0] == ':' ? 1 : 3), "%63s", name);
		for (i = 0; i < n; i++)
			if (!strcmp(ch[i].name, name))
				break;
		if (i == n) {
			ch = realloc(ch, (n + 1) * sizeof(*ch));
			if (ch == NULL)
				exit(1);
			memset(&ch[n], 0, sizeof(*ch));
			snprintf(ch[n].name, sizeof(ch[n].name), "%s", name);
			n++;
		}
		if (l[0] == '-') {
			ch[i].rule = realloc(ch[i].rule, (ch[i].nrule + 1) *
					     sizeof(char *));
			if (ch[i].rule == NULL)
				exit(1);
			ch[i].rule[ch[i].nrule++] = xstrdup(l);
		}
	}
	snprintf(wname, sizeof(wname), "%s mangle PREROUTING",
		 fam == PLAN_V4 ? "iptables" : "ip6tables");
	ipt_walk(walk_new(wname), ch, n, "PREROUTING", fam, 0);
	for (i = 0; i < n; i++) {
		for (k = 0; k < ch[i].nrule; k++)
			free(ch[i].rule[k]);
		free(ch[i].rule);
	}
	free(ch);
	sbuf_free(&out);
}

static int collected;

static void
collect_rules(void)
{
	char *argv[] = { (char *)"nft", (char *)"list", (char *)"ruleset",
			 NULL };
	struct sbuf out = { 0 };
	int ipt_nft = ipt_is_nft();
	size_t i;

	if (collected)
		return;
	collected = 1;
	if (run_cmd(argv, NULL, &out, NULL) == 0) {
		nft_parse(sbuf_str(&out), ipt_nft);
		for (i = 0; i < nnch; i++) {
			char name[256];

			if (!nch[i].prerouting || !strcmp(nch[i].fam,
							   "bridge"))
				continue;
			snprintf(name, sizeof(name), "nft %s %s %s",
				 nch[i].fam, nch[i].table, nch[i].name);
			nft_walk(walk_new(name), &nch[i], 0);
		}
	}
	sbuf_free(&out);
	ipt_collect(PLAN_V4);
	ipt_collect(PLAN_V6);
}

static int
ent_has_port(const struct ent *e, unsigned port)
{
	size_t i;

	if (e->ndport == 0)
		return 1;	/* no port match: every port */
	for (i = 0; i < e->ndport; i++)
		if (e->dport[i] == port)
			return 1;
	/* a range a-b is stored as its two ends */
	for (i = 0; i + 1 < e->ndport; i++)
		if (e->dport[i] < port && port < e->dport[i + 1] &&
		    strchr(e->text, '-'))
			return 1;
	return 0;
}

static int
is_ours(const char *where)
{
	return strstr(where, " " PLAN_NFT_TABLE " ") ||
		strstr(where, "TPROXYD_");
}

int
doctor_foreign_capture(const struct plan_opts *o, struct sbuf *err)
{
	size_t w, i, k;
	int bad = 0;

	collect_rules();
	for (w = 0; w < nwalks; w++)
		for (i = 0; i < walks[w].n; i++) {
			const struct ent *e = &walks[w].e[i];

			if (e->type != ENT_TPROXY || is_ours(e->where) ||
			    !(e->fams & o->families))
				continue;
			for (k = 0; k < o->ndport; k++)
				if (ent_has_port(e, o->dport[k]))
					break;
			if (k == o->ndport)
				continue;
			sbuf_printf(err, "tproxyctl: conflicting existing "
				    "rule in %s: `%s` already intercepts port "
				    "%u; remove it first (tproxyctl manages "
				    "its own table/chains)\n", e->where,
				    e->text, o->dport[k]);
			bad = 1;
		}
	return bad ? -1 : 0;
}

static void
fix_setup(char *fix, size_t n, const char *conf_path,
	  const struct plan_opts *o)
{
	snprintf(fix, n, "tproxyctl setup%s%s%s", conf_path ? " -f " : "",
		 conf_path ? conf_path : "", o->backend == PLAN_IPT ?
		 " --backend iptables" : "");
}

/* Tproxy ports wanted for family f: the configuration's, else o's. */
static size_t
tproxy_ports(const struct plan_opts *o, const struct cfg *c, int f,
	     unsigned *out, size_t max)
{
	size_t i, n = 0;

	if (c) {
		for (i = 0; i < c->nport && n < max; i++) {
			const struct cfg_port *p = &c->port[i];
			int af = p->addr.ss_family;
			unsigned port;

			if (p->mode != PORT_TPROXY)
				continue;
			if (!p->wildcard && ((f == PLAN_V4 && af != AF_INET) ||
					     (f == PLAN_V6 && af != AF_INET6)))
				continue;
			port = af == AF_INET ? ntohs(((const struct sockaddr_in *)
				(const void *)&p->addr)->sin_port) :
				ntohs(((const struct sockaddr_in6 *)
				(const void *)&p->addr)->sin6_port);
			out[n++] = port;
		}
		return n;
	}
	out[0] = o->to[f == PLAN_V4 ? 0 : 1].port;
	return 1;
}

static void
check_rules(const struct plan_opts *o, const struct cfg *c,
	    const char *conf_path)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	char fix[600], id[64], setup[300];
	size_t fi, w, i, k;

	collect_rules();
	fix_setup(setup, sizeof(setup), conf_path, o);
	for (fi = 0; fi < 2; fi++) {
		int f = fams[fi];
		unsigned tp[16];
		size_t ntp;

		if (!(o->families & f))
			continue;
		ntp = tproxy_ports(o, c, f, tp, 16);
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
				 fam_name(f), tp[k]);
			if (found)
				add(ST_PASS, id, NULL, "%s: TPROXY rule sends to "
				    "tproxy port %u (%s)", fam_name(f), tp[k],
				    found->where);
			else
				add(ST_FAIL, id, setup, "%s: no TPROXY rule "
				    "sends connections to tproxy port %u",
				    fam_name(f), tp[k]);
		}
		/* Each intercepted port has a TPROXY rule. */
		for (k = 0; k < o->ndport; k++) {
			int found = 0;

			for (w = 0; w < nwalks; w++)
				for (i = 0; i < walks[w].n; i++)
					if (walks[w].e[i].type == ENT_TPROXY &&
					    (walks[w].e[i].fams & f) &&
					    ent_has_port(&walks[w].e[i],
							 o->dport[k]))
						found = 1;
			snprintf(id, sizeof(id), "rules.port.%s.%u",
				 fam_name(f), o->dport[k]);
			if (found)
				add(ST_PASS, id, NULL, "%s: port %u is "
				    "intercepted", fam_name(f), o->dport[k]);
			else
				add(ST_FAIL, id, setup, "%s: no rule intercepts "
				    "port %u", fam_name(f), o->dport[k]);
		}
		/* socket/DIVERT before TPROXY, bypass before both. */
		{
			int order_bad = 0, bypass_bad = 0, any = 0;
			char obad[400] = "", bbad[400] = "";

			for (w = 0; w < nwalks; w++) {
				int seen_socket = 0, seen_capture = 0;

				for (i = 0; i < walks[w].n; i++) {
					const struct ent *e = &walks[w].e[i];

					if (!(e->fams & f))
						continue;
					if (e->type == ENT_SOCKET) {
						seen_socket = 1;
						seen_capture = 1;
					} else if (e->type == ENT_TPROXY) {
						any = 1;
						if (!seen_socket && !order_bad) {
							order_bad = 1;
							snprintf(obad,
							  sizeof(obad),
							  "`%.200s` (%.150s)", e->text,
							  e->where);
						}
						seen_capture = 1;
					} else if (seen_capture &&
						   !bypass_bad) {
						bypass_bad = 1;
						snprintf(bbad, sizeof(bbad),
							 "`%.200s` (%.150s)", e->text,
							 e->where);
					}
				}
			}
			snprintf(id, sizeof(id), "rules.order.%s", fam_name(f));
			if (order_bad)
				add(ST_FAIL, id, setup, "%s: TPROXY rule %s "
				    "comes before the socket (DIVERT) rule: "
				    "replies of intercepted connections go "
				    "through TPROXY again", fam_name(f), obad);
			else if (any)
				add(ST_PASS, id, NULL, "%s: socket (DIVERT) "
				    "rule comes before TPROXY", fam_name(f));
			snprintf(id, sizeof(id), "rules.bypass.%s",
				 fam_name(f));
			if (bypass_bad)
				add(ST_FAIL, id, setup, "%s: bypass rule %s "
				    "comes after the capture rules and never "
				    "applies", fam_name(f), bbad);
			else
				add(ST_PASS, id, NULL, "%s: bypass rules (if "
				    "any) come before the capture rules",
				    fam_name(f));
		}
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
				 fam_name(f), o->bypass[k]);
			snprintf(fix, sizeof(fix), "%s --bypass %s", setup,
				 o->bypass[k]);
			if (found)
				add(ST_PASS, id, NULL, "bypass for %s present",
				    o->bypass[k]);
			else
				add(ST_FAIL, id, fix, "no bypass rule for %s",
				    o->bypass[k]);
		}
	}
}

/* ---- routing ---------------------------------------------------------- */

static void
check_routing(const struct plan_opts *o)
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
			if ((q = strstr(l, " lookup ")) != NULL)
				sscanf(q + 8, "%31s", table);
			break;
		}
		sbuf_free(&out);
		snprintf(id, sizeof(id), "route.rule.%s", fam_name(f));
		snprintf(fix, sizeof(fix), "ip %s rule add fwmark %s lookup %u",
			 ipflag(f), want, o->table);
		if (table[0])
			add(ST_PASS, id, NULL, "%s: ip rule fwmark %s lookup %s",
			    fam_name(f), want, table);
		else
			add(ST_FAIL, id, fix, "%s: no ip rule for fwmark %s: "
			    "marked packets are forwarded instead of delivered "
			    "to tproxyd", fam_name(f), want);
		snprintf(tstr, sizeof(tstr), "%u", o->table);
		{
			char *targv[] = { (char *)"ip", ipflag(f),
					  (char *)"route", (char *)"show",
					  (char *)"table",
					  table[0] ? table : tstr, NULL };

			run_cmd(targv, NULL, &out, NULL);
			snprintf(id, sizeof(id), "route.local.%s",
				 fam_name(f));
			snprintf(fix, sizeof(fix), "ip %s route add local %s dev "
				 "lo table %s", ipflag(f), f == PLAN_V4 ?
				 "0.0.0.0/0" : "::/0", table[0] ? table : tstr);
			if (strstr(sbuf_str(&out), "local default"))
				add(ST_PASS, id, NULL, "%s: table %s has the "
				    "local default route", fam_name(f),
				    table[0] ? table : tstr);
			else
				add(ST_FAIL, id, fix, "%s: no `local default` "
				    "route in table %s", fam_name(f),
				    table[0] ? table : tstr);
			sbuf_free(&out);
		}
	}
}

/* ---- sysctls ---------------------------------------------------------- */

static void
check_sysctl(const char *id, const char *key, const char *want,
	     const char *why)
{
	char val[64], fix[256];

	snprintf(fix, sizeof(fix), "sysctl -w %s=%s (and %s = %s in "
		 "/etc/sysctl.conf)", key, want, key, want);
	if (sysctl_read(key, val, sizeof(val)) < 0)
		add(ST_WARN, id, NULL, "%s: cannot read", key);
	else if (strcmp(val, want) == 0)
		add(ST_PASS, id, NULL, "%s = %s", key, val);
	else
		add(ST_FAIL, id, fix, "%s = %s (must be %s: %s)", key, val,
		    want, why);
}

static void
check_sysctls(const struct plan_opts *o)
{
	char key[400], id[400];
	size_t i;

	if (o->families & PLAN_V4) {
		check_sysctl("sysctl.ip_forward", "net.ipv4.ip_forward", "1",
			     "the router forwards what it does not intercept");
		check_sysctl("sysctl.rp_filter.all",
			     "net.ipv4.conf.all.rp_filter", "0",
			     "seeds: rp_filter off");
		check_sysctl("sysctl.rp_filter.default",
			     "net.ipv4.conf.default.rp_filter", "0",
			     "seeds: rp_filter off");
		if (o->niface || o->bridge) {
			for (i = 0; i < o->niface + (o->bridge ? 1 : 0); i++) {
				const char *ifn = i < o->niface ? o->iface[i] :
					o->br_dev;

				snprintf(key, sizeof(key),
					 "net.ipv4.conf.%s.rp_filter", ifn);
				snprintf(id, sizeof(id), "sysctl.rp_filter.%s",
					 ifn);
				check_sysctl(id, key, "0", "seeds: rp_filter "
					     "off on the TPROXY interface");
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
				check_sysctl(id, key, "0", "seeds: rp_filter "
					     "off on the interfaces concerned");
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
			     "seeds: /proc/sys/net/bridge/* = 0 when bridged");
		check_sysctl("sysctl.bridge.ip6tables",
			     "net.bridge.bridge-nf-call-ip6tables", "0",
			     "seeds: /proc/sys/net/bridge/* = 0 when bridged");
		check_sysctl("sysctl.bridge.arptables",
			     "net.bridge.bridge-nf-call-arptables", "0",
			     "seeds: /proc/sys/net/bridge/* = 0 when bridged");
	}
}

static void
check_bridge(const struct plan_opts *o, const char *conf_path)
{
	char fix[300], path[128], master[64] = "";
	ssize_t r;

	if (!o->bridge)
		return;
	fix_setup(fix, sizeof(fix), conf_path, o);
	snprintf(fix + strlen(fix), sizeof(fix) - strlen(fix),
		 " --bridge %s %s", o->br_client, o->br_inet);
	if (nft_table_exists("bridge", PLAN_NFT_TABLE) == 1)
		add(ST_PASS, "bridge.divert", NULL, "table bridge %s diverts "
		    "frames from %s/%s to the routing path", PLAN_NFT_TABLE,
		    o->br_client, o->br_inet);
	else
		add(ST_FAIL, "bridge.divert", fix, "no table bridge %s: "
		    "bridged frames are not handed to the routing path",
		    PLAN_NFT_TABLE);
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", o->br_client);
	r = readlink(path, master, sizeof(master) - 1);
	if (r > 0) {
		master[r] = '\0';
		if (strstr(master, o->br_dev))
			add(ST_PASS, "bridge.ports", NULL, "%s is a port of %s",
			    o->br_client, o->br_dev);
		else
			add(ST_FAIL, "bridge.ports", fix, "%s is no longer a "
			    "port of %s", o->br_client, o->br_dev);
	} else {
		add(ST_FAIL, "bridge.ports", fix, "%s is not a bridge port",
		    o->br_client);
	}
}

/* ---- tproxyd ---------------------------------------------------------- */

static int
same_netns(pid_t pid)
{
	char a[64], b[64], path[64];
	ssize_t r1, r2;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	r1 = readlink(path, a, sizeof(a) - 1);
	r2 = readlink("/proc/self/ns/net", b, sizeof(b) - 1);
	if (r1 <= 0 || r2 <= 0)
		return 0;
	a[r1] = b[r2] = '\0';
	return strcmp(a, b) == 0;
}

static size_t
find_tproxyd(pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL && n < max) {
		char path[300], comm[64] = "";
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
		rstrip(comm);
		if (strcmp(comm, "tproxyd") == 0 &&
		    same_netns((pid_t)atoi(de->d_name)))
			pids[n++] = (pid_t)atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

static unsigned long long
proc_caps(pid_t pid, const char *field, char *user, size_t un)
{
	struct sbuf st = { 0 };
	char path[64], key[32];
	const char *p;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(key, sizeof(key), "\n%s:", field);
	if (read_file(path, &st) == 0) {
		if ((p = strstr(sbuf_str(&st), key)) != NULL)
			v = strtoull(p + strlen(key), NULL, 16);
		if (user && (p = strstr(sbuf_str(&st), "\nUid:")) != NULL) {
			unsigned uid = 0;

			sscanf(p + 5, "%*u %u", &uid);
			snprintf(user, un, "uid %u", uid);
		}
	}
	sbuf_free(&st);
	return v;
}

/* The lines of cache_log since the last "Starting tproxyd": a capability
 * error there says why the last start failed. */
static int
last_start_cap_error(const struct cfg *c, char *line, size_t n)
{
	struct sbuf b = { 0 };
	const char *p, *start;
	int found = 0;

	if (c == NULL || c->cache_log == NULL || read_file(c->cache_log,
							   &b) < 0) {
		sbuf_free(&b);
		return 0;
	}
	start = sbuf_str(&b);
	for (p = start; (p = strstr(p, "Starting tproxyd")) != NULL; p++)
		start = p;
	if ((p = strstr(start, "CAP_NET_")) != NULL) {
		const char *bol = p, *eol = p + strcspn(p, "\n");

		while (bol > start && bol[-1] != '\n')
			bol--;
		snprintf(line, n, "%.*s", (int)(eol - bol), bol);
		found = 1;
	}
	sbuf_free(&b);
	return found;
}

static void
check_tproxyd(const struct plan_opts *o, const struct cfg *c,
	      const char *conf_path)
{
	pid_t pids[16];
	size_t np = find_tproxyd(pids, 16), i, k;
	char fix[600], id[64], user[32] = "";
	char *ssargv[] = { (char *)"ss", (char *)"-Hltnp",
			   (char *)"--inet-sockopt", NULL };
	struct sbuf ss = { 0 };
	unsigned ports[32];
	size_t nports = 0;

	snprintf(fix, sizeof(fix), "start it: tproxyd -f %s (or systemctl "
		 "start tproxyd)", conf_path ? conf_path :
		 "/etc/tproxyd/tproxyd.conf");
	if (np)
		add(ST_PASS, "tproxyd.running", NULL, "tproxyd is running "
		    "(pid %d) in this network namespace", (int)pids[0]);
	else
		add(ST_FAIL, "tproxyd.running", fix, "tproxyd is not running "
		    "in this network namespace");

	/* Listening, with IP_TRANSPARENT, on each tproxy port. */
	if (c) {
		unsigned tmp[16];
		size_t n4 = tproxy_ports(o, c, PLAN_V4, tmp, 16);

		for (i = 0; i < n4; i++)
			ports[nports++] = tmp[i];
		n4 = tproxy_ports(o, c, PLAN_V6, tmp, 16);
		for (i = 0; i < n4 && nports < 32; i++) {
			for (k = 0; k < nports; k++)
				if (ports[k] == tmp[i])
					break;
			if (k == nports)
				ports[nports++] = tmp[i];
		}
	} else {
		ports[nports++] = o->to[o->families & PLAN_V4 ? 0 : 1].port;
		if (o->to[1].port != ports[0] && (o->families & PLAN_V6) &&
		    (o->families & PLAN_V4))
			ports[nports++] = o->to[1].port;
	}
	run_cmd(ssargv, NULL, &ss, NULL);
	for (k = 0; k < nports; k++) {
		const char *p;
		int listening = 0, ours = 0, transparent = 0;
		char other[128] = "";

		for (p = sbuf_str(&ss); *p; p += strcspn(p, "\n") +
		     (p[strcspn(p, "\n")] ? 1 : 0)) {
			char l[1024], local[128] = "", *colon;
			const char *next;
			unsigned port;

			snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"),
				 p);
			if (strncmp(l, "LISTEN", 6) != 0)
				continue;
			sscanf(l, "%*s %*s %*s %127s", local);
			colon = strrchr(local, ':');
			if (colon == NULL)
				continue;
			port = (unsigned)strtoul(colon + 1, NULL, 10);
			if (port != ports[k])
				continue;
			listening = 1;
			next = p + strcspn(p, "\n");
			if (strstr(l, "\"tproxyd\"")) {
				ours = 1;
				if (*next && strncmp(next + 1, "\t", 1) == 0 &&
				    strstr(next + 1, "transparent") &&
				    strstr(next + 1, "transparent") <
				    next + 1 + strcspn(next + 1, "\n"))
					transparent = 1;
			} else {
				snprintf(other, sizeof(other), "%.100s", l);
			}
		}
		snprintf(id, sizeof(id), "tproxyd.listen.%u", ports[k]);
		if (ours && transparent)
			add(ST_PASS, id, NULL, "tproxyd listens on port %u with "
			    "IP_TRANSPARENT", ports[k]);
		else if (ours)
			add(ST_FAIL, id, "add the tproxy flag: `http_port PORT "
			    "tproxy`, then restart tproxyd", "tproxyd listens "
			    "on port %u without IP_TRANSPARENT", ports[k]);
		else if (listening)
			add(ST_FAIL, id, "stop the other program, or choose "
			    "another tproxy port", "port %u is held by another "
			    "program: %s", ports[k], other);
		else
			add(ST_FAIL, id, fix, "nothing listens on tproxy port "
			    "%u", ports[k]);
	}
	sbuf_free(&ss);

	/* The capability IP_TRANSPARENT needs. */
	snprintf(fix, sizeof(fix), "start tproxyd as root (it keeps "
		 "CAP_NET_RAW when it drops privileges), or grant it: systemd "
		 "AmbientCapabilities=CAP_NET_RAW, or setcap cap_net_raw+ep "
		 "on the tproxyd binary");
	if (np) {
		unsigned long long eff = proc_caps(pids[0], "CapEff", user,
						   sizeof(user));

		if (eff & ((1ULL << 12) | (1ULL << 13)))
			add(ST_PASS, "tproxyd.capability", NULL, "tproxyd "
			    "(pid %d, %s) holds %s", (int)pids[0], user,
			    eff & (1ULL << 13) ? "CAP_NET_RAW" :
			    "CAP_NET_ADMIN");
		else
			add(ST_FAIL, "tproxyd.capability", fix, "tproxyd (pid "
			    "%d, %s) holds neither CAP_NET_RAW nor "
			    "CAP_NET_ADMIN: it cannot open spoofed "
			    "connections", (int)pids[0], user);
	} else {
		char line[512];

		if (last_start_cap_error(c, line, sizeof(line)))
			add(ST_FAIL, "tproxyd.capability", fix, "capability "
			    "missing: tproxyd's last start failed: %s", line);
		else
			add(ST_WARN, "tproxyd.capability", fix, "cannot tell "
			    "whether tproxyd gets CAP_NET_RAW while it is not "
			    "running");
	}
}

/* ---- SELinux ---------------------------------------------------------- */

static void
check_selinux(void)
{
	char val[16], fix[300];
	struct sbuf b = { 0 };
	int boolean_on = 0;

	if (read_file("/sys/fs/selinux/enforce", &b) < 0) {
		add(ST_PASS, "selinux", NULL, "SELinux is not enabled");
		sbuf_free(&b);
		return;
	}
	snprintf(val, sizeof(val), "%s", sbuf_str(&b));
	rstrip(val);
	sbuf_reset(&b);
	if (strcmp(val, "1") != 0) {
		add(ST_PASS, "selinux", NULL, "SELinux is permissive");
		sbuf_free(&b);
		return;
	}
	if (read_file("/sys/fs/selinux/booleans/squid_use_tproxy", &b) == 0)
		boolean_on = sbuf_str(&b)[0] == '1';
	sbuf_free(&b);
	snprintf(fix, sizeof(fix), "setsebool -P squid_connect_any=yes "
		 "squid_use_tproxy=yes, or build a module from the denials: "
		 "grep AVC.*tproxyd /var/log/audit/audit.log | audit2allow -M "
		 "tproxydtproxy && semodule -i tproxydtproxy.pp");
	if (boolean_on)
		add(ST_WARN, "selinux", fix, "SELinux is enforcing; "
		    "squid_use_tproxy is on, check for AVC denials of tproxyd");
	else
		add(ST_FAIL, "selinux", fix, "SELinux is enforcing with a "
		    "policy that blocks TPROXY (squid_use_tproxy is off or "
		    "missing)");
}

/* ---- configuration ---------------------------------------------------- */

static const char *
mode_name(enum port_mode m)
{
	switch (m) {
	case PORT_TPROXY:
		return "tproxy";
	case PORT_INTERCEPT:
		return "intercept";
	case PORT_ACCEL:
		return "accel";
	default:
		return "forward";
	}
}

static unsigned
cport(const struct cfg_port *p)
{
	return p->addr.ss_family == AF_INET ?
		ntohs(((const struct sockaddr_in *)(const void *)&p->addr)->
		      sin_port) :
		ntohs(((const struct sockaddr_in6 *)(const void *)&p->addr)->
		      sin6_port);
}

static void
check_config(const struct cfg *c, const char *conf_path,
	     const char *cfg_error)
{
	size_t i, k;
	int ntproxy = 0, bad = 0;

	if (conf_path == NULL) {
		add(ST_PASS, "config", NULL, "no configuration given (-f): "
		    "checking the ports from the state file/options");
		return;
	}
	if (c == NULL) {
		add(ST_FAIL, "config", "fix the configuration (tproxyd -k "
		    "parse -f FILE lists every error)", "%s: %s", conf_path,
		    cfg_error ? cfg_error : "cannot load");
		return;
	}
	for (i = 0; i < c->nport; i++) {
		if (c->port[i].mode == PORT_TPROXY)
			ntproxy++;
		for (k = i + 1; k < c->nport; k++) {
			const struct cfg_port *a = &c->port[i], *b = &c->port[k];

			if (cport(a) != cport(b) || a->mode == b->mode)
				continue;
			add(ST_FAIL, "config.modes", "give each mode its own "
			    "http_port: a tproxy port must receive nothing "
			    "but TPROXY traffic", "port %u is configured for "
			    "two modes: %s (%s:%d) and %s (%s:%d)", cport(a),
			    mode_name(a->mode), a->file, a->line,
			    mode_name(b->mode), b->file, b->line);
			bad = 1;
		}
	}
	if (!bad)
		add(ST_PASS, "config.modes", NULL, "no port is configured for "
		    "two modes");
	if (ntproxy)
		add(ST_PASS, "config.tproxy", NULL, "%d tproxy http_port "
		    "line(s) in %s", ntproxy, conf_path);
	else
		add(ST_FAIL, "config.tproxy", "add `http_port 3129 tproxy`",
		    "%s has no `http_port ... tproxy` line", conf_path);
}

/* ---- output ------------------------------------------------------------ */

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
		add(ST_WARN, "privileges", "run doctor as root", "not running "
		    "with CAP_NET_ADMIN: rules may not be readable");
	check_kernel(o);
	check_config(c, conf_path, cfg_error);
	check_rules(o, c, conf_path);
	check_routing(o);
	check_sysctls(o);
	check_bridge(o, conf_path);
	check_tproxyd(o, c, conf_path);
	check_selinux();
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
