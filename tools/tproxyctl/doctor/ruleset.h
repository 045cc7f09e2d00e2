/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ruleset.h - private to doctor/: the prerouting path as ruleset.c reads it
 * from nftables and iptables, for the checks in rules.c.
 */
#ifndef TPROXYCTL_DOCTOR_RULESET_H
#define TPROXYCTL_DOCTOR_RULESET_H

#include <net/if.h>
#include <stddef.h>

#include "../plan.h"

/* What a rule does to a new connection, as far as interception goes:
 * a bypass (accept/return on an address), the socket (DIVERT) match, or
 * TPROXY; on the forward path (and where bridged frames arrive), what
 * happens to UDP: refused (reject) or dropped. Other rules are left out
 * of the model. */
enum ent_type { ENT_BYPASS, ENT_SOCKET, ENT_TPROXY, ENT_UDP_REJECT,
		ENT_UDP_DROP };

/* One such rule: the families it applies to, its destination ports (none:
 * every port), TPROXY's on-port, the rule's text and where it is
 * ("nft inet tproxyd prerouting", "iptables mangle TPROXYD_PREROUTING");
 * ipt: text is an iptables-save line; via: the nearest jump on the way to
 * it that matches on input interfaces, if any (its text). */
struct ent {
	enum ent_type type;
	int      fams;
	unsigned dport[PLAN_MAX_PORTS];
	size_t   ndport;
	unsigned onport;
	int      ipt;
	char     text[256];
	char     where[256];
	char     via[256];
};

/* One path through a hook (a base chain, jumps inlined). */
struct walk {
	char       name[256];
	char       dev[IFNAMSIZ];	/* netdev ingress: its device */
	struct ent *e;
	size_t     n;
};

/*
 * Every prerouting path of this network namespace: each nft prerouting base
 * chain (bridge family excepted; tables iptables-nft owns are skipped when
 * iptables is the nf_tables variant) and iptables' / ip6tables' mangle
 * PREROUTING, jumps followed. Read on the first call, then the same walks;
 * ruleset.c owns them (kept until exit). Returns how many, *walks the array.
 */
size_t dr_rules_walks(const struct walk **walks);

/*
 * The paths of forwarded packets, for the QUIC checks: each nft forward
 * base chain (bridge family excepted, iptables-nft's tables as above) and
 * iptables' / ip6tables' filter FORWARD, jumps followed; only bypass and
 * ENT_UDP_* entries. Same ownership as dr_rules_walks().
 */
size_t dr_forward_walks(const struct walk **walks);

/* Where bridged frames can be refused: the bridge family's prerouting
 * base chains and the netdev family's ingress chains (dev: their device);
 * only bypass and ENT_UDP_* entries. Same ownership. */
size_t dr_bridge_walks(const struct walk **walks);

/*
 * A chain as read: nft (fam, table, name; a base chain has its hook, its
 * priority as a number, mangle -150, and dev for netdev ingress) or one of
 * an iptables-save table (name; fam and table as asked). policy_drop: a
 * base chain (or built-in iptables chain) whose policy is drop. rule: the
 * rules' text in order (nft as listed, iptables-save's "-A ..." lines).
 */
struct dr_chain {
	char   fam[8], table[64], name[64];
	char   hook[16];
	char   dev[IFNAMSIZ];
	int    prio;
	int    policy_drop;
	char **rule;
	size_t nrule;
};

/* Every nft chain of this network namespace (bridge family included;
 * tables iptables-nft owns left out when iptables is its nf_tables
 * variant: read those with dr_ipt_parse()). Same ownership as
 * dr_rules_walks(). */
size_t dr_nft_chains(const struct dr_chain **chains);

/* The chains of iptables-save output text (one table), in *n; free with
 * dr_chains_free(). */
struct dr_chain *dr_ipt_parse(const char *text, size_t *n);
void dr_chains_free(struct dr_chain *c, size_t n);

/* Whether e (and the jump that led to it) can match packets arriving on
 * interface ifname (see dr_fw_iif_may_match()). */
int dr_ent_may_arrive(const struct ent *e, const char *ifname);

/* Whether e applies to destination port port (no port match: every
 * port; a range a-b is stored as its two ends). */
int dr_ent_has_port(const struct ent *e, unsigned port);

#endif
