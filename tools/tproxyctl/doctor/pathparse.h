/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pathparse.h - the pure part of doctor's route check (path.c): reading
 * one `ip rule show` line, deciding whether a rule selects a packet,
 * reading an `ip -j route get` answer, and the bits of the packet mark
 * that nft `meta mark set`, iptables MARK / CONNMARK and `ip rule fwmark`
 * touch. No command is run here (tests/unit/test_tproxyctl_path.c).
 */
#ifndef TPROXYCTL_DOCTOR_PATHPARSE_H
#define TPROXYCTL_DOCTOR_PATHPARSE_H

#include <stddef.h>
#include <stdint.h>

/* One `ip rule show` line ("32765:\tfrom all fwmark 0x1/0x1 lookup 100"). */
struct pp_rule {
	unsigned long pref;
	int           not;	/* "not": the selector is inverted */
	int           from_len, to_len;	/* -1: all */
	unsigned char from[16], to[16];
	char          iif[32], oif[32];	/* "" any */
	int           has_mark;
	uint32_t      mark, mask;
	char          action[16];	/* lookup goto unreachable blackhole
					   prohibit nop */
	char          table[32];	/* of lookup (or goto's target) */
	char          ipproto[16];	/* "" any */
	unsigned      dport_lo, dport_hi;	/* 0 0: any */
	int           other;	/* selectors not modelled (uidrange, ...) */
};

/* Parse one line for family fam (4 or 6); 0, or -1 when not a rule. */
int pp_parse_rule(const char *line, int fam, struct pp_rule *r);

/* A TCP packet as the route check asks about it. */
struct pp_pkt {
	int           fam;	/* 4 or 6 */
	unsigned char src[16], dst[16];
	const char   *iif;
	uint32_t      mark;
	unsigned      dport;
};

/* Whether r's selectors select p: 1 yes, 0 no. Selectors not modelled
 * (r->other) count as selecting. */
int pp_rule_matches(const struct pp_rule *r, const struct pp_pkt *p);

/* An `ip -j route get` answer. type is "unicast" when ip omits it. */
struct pp_route {
	char type[16];
	char table[32];
	char dev[32];
	char gateway[64];
};

/* Parse the first object of ip's JSON answer; 0, or -1 when there is
 * none (ip printed an error instead). */
int pp_parse_route(const char *json, struct pp_route *r);

/* The mark bits an nft `meta mark set EXPR` writes (expr: the text after
 * "meta mark set "): "meta mark & A | B" writes ~A | B, a constant or
 * "ct mark" all 32 bits. */
uint32_t pp_nft_mark_bits(const char *expr);
/* The mark bits an iptables-save line's MARK or CONNMARK --restore-mark
 * target writes; 0 when the line has neither. */
uint32_t pp_ipt_mark_bits(const char *line);
/* Whether an `ip rule fwmark v/m` selects packets carrying mark/mask (the
 * bits they share agree), so that it routes ours or we route its. */
int pp_fwmark_overlaps(uint32_t v, uint32_t m, uint32_t mark, uint32_t mask);
/* The lowest bit not in used, as a mark (mark == mask); -1 when none. */
int pp_free_mark(uint32_t used, uint32_t *mark);
/* The interface of an nft rule's `iifname "X"` (as nft lists it), or ""
 * when it has none or names no one interface (!=, a set, a wildcard). */
void pp_nft_iifname(const char *rule, char *out, size_t n);
/* M when the iptables-save line is `-A CHAIN -m mark --mark M/M -j
 * ACCEPT` (or RETURN): packets with all bits of M leave the chain there;
 * else 0. */
uint32_t pp_ipt_guard(const char *line);
/* The target of an iptables-save line's -j or -g (a chain, or ACCEPT,
 * MARK...) into chain; 0 when it has none. */
int pp_ipt_jump(const char *line, char *chain, size_t n);
/* M when the nft rule is `meta mark & M == M accept` (packets with all
 * bits of M leave the chain there), else 0. */
uint32_t pp_nft_guard(const char *rule);

/* The sysctl(8) key of an interface setting: the name's dots become '/'
 * (net.ipv4.conf.lan/100.rp_filter for lan.100; '-' and '@' stay). */
void pp_sysctl_key(const char *fam, const char *ifn, const char *key,
		   char *out, size_t n);
/* s as one shell word: as is when it is plain, else in single quotes. */
void pp_shell_quote(const char *s, char *out, size_t n);

#endif
