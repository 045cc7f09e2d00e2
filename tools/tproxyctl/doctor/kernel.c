/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kernel.c - kernel support: the TPROXY target and socket match (iptables),
 * the tproxy and socket expressions (nftables), policy routing per family,
 * and bridge netfilter when bridged; when QUIC is refused, the reject
 * statement (nftables; bridged: in the netdev family) or REJECT target
 * (iptables, ip6tables). Squid's
 * TPROXY v4 guide, "Linux Kernel Configuration" (and the kernel's tproxy
 * documentation): without these options nothing can be intercepted,
 * whatever the rules say.
 *
 * Where the facts come from: /proc/config.gz; otherwise
 * /proc/net/ip_tables_targets and _matches, and `nft -c` (checks a ruleset
 * against the kernel without applying it).
 *
 * Also setup's preflight, doctor_kernel_preflight() (declared in apply.h),
 * which reads the same table of features.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../apply.h"
#include "../nft.h"
#include "checks.h"

/* The kernel's configuration, read once (have_kconfig: -1 not yet). */
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
	int quic;	/* needed only to refuse QUIC (--quic block) */
};

static const struct kfeat kfeats[] = {
	{ "kernel.xt_tproxy", "iptables TPROXY target",
	  "NETFILTER_XT_TARGET_TPROXY", "ip_tables_targets", "TPROXY", 2, 0 },
	{ "kernel.xt_socket", "iptables socket match",
	  "NETFILTER_XT_MATCH_SOCKET", "ip_tables_matches", "socket", 2, 0 },
	{ "kernel.nft_tproxy", "nftables tproxy expression", "NFT_TPROXY",
	  NULL, NULL, 1, 0 },
	{ "kernel.nft_socket", "nftables socket expression", "NFT_SOCKET",
	  NULL, NULL, 1, 0 },
	{ "kernel.policy_routing.ipv4", "IPv4 policy routing",
	  "IP_MULTIPLE_TABLES", NULL, NULL, 8, 0 },
	{ "kernel.policy_routing.ipv6", "IPv6 policy routing",
	  "IPV6_MULTIPLE_TABLES", NULL, NULL, 8, 0 },
	{ "kernel.bridge_netfilter", "bridge netfilter",
	  "BRIDGE_NETFILTER", NULL, NULL, 4, 0 },
	{ "kernel.nft_bridge", "nftables bridge family",
	  "NF_TABLES_BRIDGE", NULL, NULL, 4, 0 },
	{ "kernel.nft_reject", "nftables reject statement",
	  "NFT_REJECT_INET", NULL, NULL, 1, 1 },
	{ "kernel.xt_reject", "iptables REJECT target",
	  "IP_NF_TARGET_REJECT", "ip_tables_targets", "REJECT", 2, 1 },
	{ "kernel.ip6t_reject", "ip6tables REJECT target",
	  "IP6_NF_TARGET_REJECT", "ip6_tables_targets", "REJECT", 2, 1 },
	{ "kernel.nft_reject_netdev", "nftables reject on a bridge port "
	  "(netdev family)", "NFT_REJECT_NETDEV", NULL, NULL, 4, 1 },
};

/* 1 present, 0 missing, -1 unknown. nft_probed[2]: the probes' results
 * so far (-1: not run yet). */
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

		/* [0] tproxy and socket, [1] also reject */
		if (nft_probed[k->quic] < 0)
			nft_probed[k->quic] = nft_probe(k->quic, &e) == 0;
		sbuf_free(&e);
		return nft_probed[k->quic];
	}
	if (strcmp(k->config, "BRIDGE_NETFILTER") == 0)
		return access("/proc/sys/net/bridge", F_OK) == 0;
	return -1;
}

static int
needed(const struct kfeat *k, const struct plan_opts *o)
{
	if (k->quic) {
		int qf = plan_quic_families(o);

		if (strcmp(k->id, "kernel.ip6t_reject") == 0)
			qf &= PLAN_V6;
		else if (strcmp(k->id, "kernel.xt_reject") == 0)
			qf &= PLAN_V4;
		if (!qf)
			return 0;
	}
	if (k->need == 8)
		return strstr(k->id, "ipv4") ? (o->families & PLAN_V4) != 0 :
			(o->families & PLAN_V6) != 0;
	if (k->need == 4)
		return o->bridge;
	return (k->need == 1 && o->backend == PLAN_NFT) ||
		(k->need == 2 && o->backend == PLAN_IPT);
}

void
dr_check_kernel(const struct plan_opts *o)
{
	size_t i;
	int probed[2] = { -1, -1 };

	for (i = 0; i < sizeof(kfeats) / sizeof(kfeats[0]); i++) {
		const struct kfeat *k = &kfeats[i];
		int need = needed(k, o);
		char fix[256];
		int r;

		if ((k->need == 4 && !o->bridge) || (k->quic && !need))
			continue;
		r = kfeat_present(k, probed);
		snprintf(fix, sizeof(fix), "use a kernel built with "
			 "CONFIG_%s=m (or =y)%s%s", k->config, k->need == 1 ?
			 ", or tproxyctl setup --backend iptables" :
			 k->need == 2 ? ", or tproxyctl setup --backend nft" :
			 "", k->quic ? " (or --quic pass: browsers then use "
			 "HTTP/3 around the proxy)" : "");
		if (r == 1)
			dr_add(ST_PASS, k->id, NULL, "%s available (CONFIG_%s)",
			    k->what, k->config);
		else if (r == 0)
			dr_add(need ? ST_FAIL : ST_WARN, k->id, fix,
			    "%s missing (CONFIG_%s not set)%s", k->what,
			    k->config,
			    need ? "" : "; not needed by this setup");
		else
			dr_add(ST_WARN, k->id, "check the kernel configuration "
			    "(no /proc/config.gz here)", "cannot tell whether "
			    "the %s is available", k->what);
	}
	if (o->bridge)
		dr_add(ST_PASS, "kernel.bridge_divert", NULL, "bridged frames "
		    "are diverted with `ether daddr set` + `meta pkttype set "
		    "host` in table bridge tproxyd (nft `meta broute` %s)",
		    kconf("NFT_BRIDGE_META") == 1 ? "would also do" :
		    "is not available: CONFIG_NFT_BRIDGE_META is not set");
}

int
doctor_kernel_preflight(const struct plan_opts *o, struct sbuf *err)
{
	size_t i;
	int probed[2] = { -1, -1 }, bad = 0;

	if (o->backend == PLAN_NFT || o->bridge) {
		struct sbuf e = { 0 };
		int reject = o->backend == PLAN_NFT && plan_quic_families(o);

		if (nft_probe(reject, &e) < 0) {
			sbuf_printf(err, "tproxyctl: missing kernel support: "
				    "nftables tproxy/socket expressions "
				    "(CONFIG_NFT_TPROXY, CONFIG_NFT_SOCKET)%s: "
				    "%s", reject ? " or reject statement "
				    "(CONFIG_NFT_REJECT_INET; or --quic pass)" :
				    "", sbuf_str(&e));
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
		if (kfeat_present(&kfeats[i], probed) == 0) {
			sbuf_printf(err, "tproxyctl: missing kernel support: "
				    "%s (CONFIG_%s)\n", kfeats[i].what,
				    kfeats[i].config);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}
