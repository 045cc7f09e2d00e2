/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fwrule.h - private to doctor/: how one firewall rule (nft as listed,
 * or an iptables-save "-A" line) treats the packet of an intercepted
 * connection, for firewall.c. No system access: fwrule.c only reads text.
 */
#ifndef TPROXYCTL_DOCTOR_FWRULE_H
#define TPROXYCTL_DOCTOR_FWRULE_H

#include <stdint.h>

enum { FW_NO, FW_YES, FW_MAYBE };
enum { FW_NONE, FW_ACCEPT, FW_DROP, FW_RETURN, FW_JUMP, FW_GOTO };

/* The packet: family, destination port, tproxyd's mark; any_state: all
 * packets of the connection count (marks), not only the first (input). */
struct fw_pkt {
	int      fam;
	unsigned port;
	uint32_t mark, mask;
	int      any_state;
};

/* What one rule does to the packet. */
struct fw_rule {
	int  m;			/* FW_NO, FW_YES, FW_MAYBE */
	int  v;			/* FW_NONE (no verdict), FW_ACCEPT, ... */
	char target[64];	/* FW_JUMP, FW_GOTO: the chain */
	int  rewrite;		/* sets the mark, losing tproxyd's bits */
	int  capture;		/* REDIRECT, DNAT, TPROXY elsewhere */
};

/* Read rule r (nft's text, or iptables-save's "-A CHAIN ...") for packet
 * p into d. */
void dr_fw_nft_rule(const char *r, const struct fw_pkt *p, struct fw_rule *d);
void dr_fw_ipt_rule(const char *r, const struct fw_pkt *p, struct fw_rule *d);

/*
 * Whether rule r (an iptables-save "-A" line if ipt, else nft's text) can
 * match a packet that arrives on interface ifname, as far as its input
 * interface matches go: 0 when it names only other input interfaces
 * (`-i eth0`, `iifname "eth0"`, `iifname { "a", "b" }`, wildcards `eth+`
 * and `"eth*"`) or excludes ifname (`! -i eth1`, `iifname != "eth1"`),
 * else 1 (no such match, or one that covers ifname).
 */
int dr_fw_iif_may_match(const char *r, int ipt, const char *ifname);

#endif
