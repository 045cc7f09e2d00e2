/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fwrule.c - reading one firewall rule for the packet of an intercepted
 * connection (fwrule.h): what it matches (yes, no, or maybe: interfaces,
 * addresses and sets are not known), its verdict or jump, and whether it
 * sets the mark losing tproxyd's bits or sends the connection elsewhere
 * (REDIRECT, DNAT, TPROXY). nft rules are read as `nft list ruleset`
 * prints them, iptables rules as iptables-save does (its MARK and CONNMARK
 * in their --set-xmark and --nfmask forms).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plan.h"
#include "fwrule.h"

/* Words of rule r, "quoted strings" kept whole; at most max. */
static size_t
split(const char *r, char *buf, size_t n, char **tok, size_t max)
{
	size_t k = 0;
	char *p;

	snprintf(buf, n, "%s", r);
	for (p = buf; *p && k < max;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		tok[k++] = p;
		if (*p == '"') {
			char *q = strchr(p + 1, '"');

			p = q ? q + 1 : p + strlen(p);
		}
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return k;
}

static int
and3(int a, int b)
{
	if (a == FW_NO || b == FW_NO)
		return FW_NO;
	return a == FW_MAYBE || b == FW_MAYBE ? FW_MAYBE : FW_YES;
}

static int
inv(int m, int neg)
{
	if (!neg || m == FW_MAYBE)
		return m;
	return m == FW_YES ? FW_NO : FW_YES;
}

/* Does port list s ("80", "{ 80, 443 }", "80-90", "80:90", "80,443")
 * hold port? A named set (@x) is a maybe. */
static int
port_in(const char *s, unsigned port)
{
	const char *p = s;

	if (strchr(s, '@') || strchr(s, '$'))
		return FW_MAYBE;
	while (*p) {
		char *end;
		unsigned a, b;

		while (*p && (*p < '0' || *p > '9'))
			p++;
		if (!*p)
			break;
		a = b = (unsigned)strtoul(p, &end, 10);
		p = end;
		if (*p == '-' || *p == ':')
			b = (unsigned)strtoul(p + 1, &end, 10), p = end;
		if (a <= port && port <= b)
			return FW_YES;
	}
	return FW_NO;
}

/* Does a mark match value/mask (mask all ones when 0) hold for the
 * packet? Only tproxyd's bits are known; others are a maybe. */
static int
mark_is(const struct fw_pkt *p, uint32_t val, uint32_t m)
{
	if (((p->mark & m) & p->mask) != (val & m & p->mask))
		return FW_NO;
	return (m & ~p->mask) == 0 ? FW_YES : FW_MAYBE;
}

/* nft -------------------------------------------------------------------- */

static int
nft_stmt(const char *t)
{
	static const char *const w[] = { "counter", "log", "accept", "drop",
		"reject", "return", "jump", "goto", "queue", "comment",
		"notrack", "tproxy", "redirect", "dnat", "snat", "masquerade",
		"continue", NULL };
	size_t i;

	for (i = 0; w[i]; i++)
		if (!strcmp(t, w[i]))
			return 1;
	return 0;
}

/* The value at tok[*i] ("{ ... }" joined), *i moved past it. */
static void
nft_value(char **tok, size_t n, size_t *i, char *out, size_t on)
{
	out[0] = '\0';
	if (*i >= n)
		return;
	if (strcmp(tok[*i], "{")) {
		snprintf(out, on, "%s", tok[(*i)++]);
		return;
	}
	for (; *i < n; (*i)++) {
		size_t l = strlen(out);

		snprintf(out + l, on - l, "%s ", tok[*i]);
		if (!strcmp(tok[*i], "}")) {
			(*i)++;
			break;
		}
	}
}

/* "mark set EXPR" with EXPR from tok[i]: does it lose tproxyd's bits? */
static int
nft_mark_lost(char **tok, size_t n, size_t i, const struct fw_pkt *p)
{
	uint32_t r;

	if (i >= n)
		return 0;
	if (!strcmp(tok[i], "meta") && i + 1 < n &&
	    !strcmp(tok[i + 1], "mark")) {
		r = p->mark;
		for (i += 2; i + 1 < n; i += 2) {
			uint32_t v = (uint32_t)strtoul(tok[i + 1], NULL, 0);

			if (!strcmp(tok[i], "&") || !strcmp(tok[i], "and"))
				r &= v;
			else if (!strcmp(tok[i], "|") || !strcmp(tok[i], "or"))
				r |= v;
			else if (!strcmp(tok[i], "^") ||
				 !strcmp(tok[i], "xor"))
				r ^= v;
			else
				break;
		}
		return (r & p->mask) != (p->mark & p->mask);
	}
	if (tok[i][0] >= '0' && tok[i][0] <= '9' && (i + 1 == n ||
						    nft_stmt(tok[i + 1])))
		return ((uint32_t)strtoul(tok[i], NULL, 0) & p->mask) !=
			(p->mark & p->mask);
	return 1;	/* ct mark, a map, ...: tproxyd's bits are gone */
}

void
dr_fw_nft_rule(const char *r, const struct fw_pkt *p, struct fw_rule *d)
{
	char buf[1024], val[512], *tok[128];
	size_t n = split(r, buf, sizeof(buf), tok, 128), i = 0, k;

	memset(d, 0, sizeof(*d));
	d->m = FW_YES;
	/* the matches, up to the first statement */
	while (i < n && !nft_stmt(tok[i])) {
		const char *t = tok[i];
		int neg, m = FW_MAYBE;

		if (!strcmp(t, "meta") && i + 1 < n)
			t = tok[++i];
		if (!strcmp(t, "mark") && i + 1 < n &&
		    !strcmp(tok[i + 1], "set"))
			break;
		if (!strcmp(t, "ct") && i + 2 < n &&
		    !strcmp(tok[i + 1], "mark") && !strcmp(tok[i + 2], "set"))
			break;
		i++;
		if (!strcmp(t, "ip") || !strcmp(t, "ip6")) {
			if ((t[2] == '6') != (p->fam == PLAN_V6))
				m = FW_NO;
			if (i < n && (!strcmp(tok[i], "protocol") ||
				      !strcmp(tok[i], "nexthdr")))
				t = "l4proto", i++;
			else
				i++;	/* saddr, daddr, ...: its value next */
		}
		if (!strcmp(t, "tcp") || !strcmp(t, "th")) {
			t = i < n ? tok[i++] : "";
			if (!strcmp(t, "dport")) {
				neg = i < n && !strcmp(tok[i], "!=");
				i += neg;
				nft_value(tok, n, &i, val, sizeof(val));
				m = inv(port_in(val, p->port), neg);
			} else if (!strcmp(t, "flags")) {
				m = FW_YES;
				while (i < n && !nft_stmt(tok[i]) &&
				       strcmp(tok[i], "tcp") &&
				       strcmp(tok[i], "meta") &&
				       strcmp(tok[i], "ct"))
					i++;
			} else {
				nft_value(tok, n, &i, val, sizeof(val));
			}
			d->m = and3(d->m, m);
			continue;
		}
		if (!strcmp(t, "udp") || !strcmp(t, "icmp") ||
		    !strcmp(t, "icmpv6") || !strcmp(t, "sctp") ||
		    !strcmp(t, "udplite") || !strcmp(t, "igmp")) {
			d->m = FW_NO;
			continue;
		}
		neg = i < n && !strcmp(tok[i], "!=");
		i += neg;
		if (!strcmp(t, "ct") && i < n && !strcmp(tok[i], "state")) {
			i++;
			if (i < n && !strcmp(tok[i], "vmap")) {
				d->m = FW_NO;	/* fw4's: no new, no verdict */
				return;
			}
			nft_value(tok, n, &i, val, sizeof(val));
			m = strstr(val, "new") || (p->any_state &&
				(strstr(val, "established") ||
				 strstr(val, "related"))) ? FW_YES : FW_NO;
			m = inv(m, neg);
		} else if (!strcmp(t, "ct")) {
			/* ct status dnat: TPROXY does no NAT */
			int st = i < n && !strcmp(tok[i], "status");

			i++;
			nft_value(tok, n, &i, val, sizeof(val));
			if (st && (strstr(val, "dnat") || strstr(val, "snat")))
				m = inv(FW_NO, neg);
		} else if (!strcmp(t, "iifname") || !strcmp(t, "iif")) {
			nft_value(tok, n, &i, val, sizeof(val));
			if (!strcmp(val, "lo") || !strcmp(val, "\"lo\""))
				m = inv(FW_NO, neg);
		} else if (!strcmp(t, "l4proto")) {
			nft_value(tok, n, &i, val, sizeof(val));
			m = inv(strstr(val, "tcp") ? FW_YES : FW_NO, neg);
		} else if (!strcmp(t, "nfproto")) {
			nft_value(tok, n, &i, val, sizeof(val));
			m = inv((strstr(val, "ipv6") != NULL) ==
				(p->fam == PLAN_V6) ? FW_YES : FW_NO, neg);
		} else if (!strcmp(t, "pkttype")) {
			nft_value(tok, n, &i, val, sizeof(val));
			m = inv(strstr(val, "host") ? FW_YES : FW_NO, neg);
		} else if (!strcmp(t, "mark")) {
			uint32_t msk = 0xffffffffU, v;

			if (i + 1 < n && (!strcmp(tok[i], "&") ||
					  !strcmp(tok[i], "and"))) {
				msk = (uint32_t)strtoul(tok[i + 1], NULL, 0);
				i += 2;
				neg = i < n && !strcmp(tok[i], "!=");
				if (i < n && (neg || !strcmp(tok[i], "==")))
					i++;
			}
			nft_value(tok, n, &i, val, sizeof(val));
			v = (uint32_t)strtoul(val, NULL, 0);
			m = val[0] == '{' || val[0] == '@' ? FW_MAYBE :
				inv(mark_is(p, v, msk), neg);
		} else if (!strcmp(t, "fib")) {
			/* fib daddr type local: TPROXY leaves the original,
			 * not local, destination */
			while (i < n && strcmp(tok[i], "type") &&
			       !nft_stmt(tok[i]))
				i++;
			if (i < n && !strcmp(tok[i], "type")) {
				i++;
				neg = i < n && !strcmp(tok[i], "!=");
				i += neg;
				nft_value(tok, n, &i, val, sizeof(val));
				m = strstr(val, "local") ? inv(FW_NO, neg) :
					FW_MAYBE;
			}
		} else if (!strcmp(t, "limit")) {
			m = FW_YES;	/* a rate limit lets the first pass */
			while (i < n && !nft_stmt(tok[i]))
				if (!strcmp(tok[i++], "over"))
					m = FW_MAYBE;
		} else if (i < n && !nft_stmt(tok[i])) {
			nft_value(tok, n, &i, val, sizeof(val));
		}
		d->m = and3(d->m, m);
	}
	/* statements and the verdict */
	for (k = i; k < n; k++) {
		if (!strcmp(tok[k], "comment"))
			break;
		if (!strcmp(tok[k], "mark") && k + 1 < n &&
		    !strcmp(tok[k + 1], "set") &&
		    (k == 0 || strcmp(tok[k - 1], "ct")))
			d->rewrite = nft_mark_lost(tok, n, k + 2, p);
		else if (!strcmp(tok[k], "redirect") ||
			 !strcmp(tok[k], "dnat") || !strcmp(tok[k], "tproxy"))
			d->capture = 1;
		else if (!strcmp(tok[k], "accept"))
			d->v = FW_ACCEPT;
		else if (!strcmp(tok[k], "drop") || !strcmp(tok[k], "reject"))
			d->v = FW_DROP;
		else if (!strcmp(tok[k], "return"))
			d->v = FW_RETURN;
		else if ((!strcmp(tok[k], "jump") ||
			  !strcmp(tok[k], "goto")) && k + 1 < n) {
			d->v = tok[k][0] == 'j' ? FW_JUMP : FW_GOTO;
			snprintf(d->target, sizeof(d->target), "%s",
				 tok[k + 1]);
		}
		if (d->v != FW_NONE)
			break;
	}
}

/* iptables ---------------------------------------------------------------- */

void
dr_fw_ipt_rule(const char *r, const struct fw_pkt *p, struct fw_rule *d)
{
	char buf[1024], *tok[128];
	size_t n = split(r, buf, sizeof(buf), tok, 128), i;
	int neg = 0;

	memset(d, 0, sizeof(*d));
	d->m = FW_YES;
	for (i = 2; i < n; i++) {
		const char *t = tok[i], *v = i + 1 < n ? tok[i + 1] : "";
		int m = FW_MAYBE;

		if (!strcmp(t, "!")) {
			neg = 1;
			continue;
		}
		if (!strcmp(t, "-j") || !strcmp(t, "-g")) {
			const char *rest = strstr(r, " -j ");

			i++;
			if (!strcmp(v, "ACCEPT"))
				d->v = FW_ACCEPT;
			else if (!strcmp(v, "DROP") || !strcmp(v, "REJECT"))
				d->v = FW_DROP;
			else if (!strcmp(v, "RETURN"))
				d->v = FW_RETURN;
			else if (!strcmp(v, "REDIRECT") ||
				 !strcmp(v, "DNAT") || !strcmp(v, "TPROXY"))
				d->capture = 1;
			else if (!strcmp(v, "CONNMARK") && rest &&
				 strstr(rest, "--restore-mark")) {
				const char *q = strstr(rest, "--nfmask ");
				uint32_t nf = q ? (uint32_t)strtoul(q + 9, NULL,
								   0) :
					0xffffffffU;

				/* mark = mark & ~nfmask | ctmark & ctmask;
				 * the connection's mark lacks tproxyd's */
				d->rewrite = (nf & p->mask & p->mark) != 0;
			} else if (!strcmp(v, "MARK") && rest &&
				   strstr(rest, "--set-xmark ")) {
				const char *q = strstr(rest, "--set-xmark ");
				char *e;
				uint32_t x = (uint32_t)strtoul(q + 12, &e, 0);
				uint32_t mk = *e == '/' ?
					(uint32_t)strtoul(e + 1, NULL, 0) :
					0xffffffffU;
				uint32_t nm = (p->mark & ~mk) ^ x;

				d->rewrite = (nm & p->mask) !=
					(p->mark & p->mask);
			} else if (strcmp(v, "LOG") && strcmp(v, "NFLOG") &&
				   strcmp(v, "MARK") && strcmp(v, "CONNMARK")) {
				d->v = t[1] == 'j' ? FW_JUMP : FW_GOTO;
				snprintf(d->target, sizeof(d->target), "%s", v);
			}
			break;
		}
		if (!strcmp(t, "-i")) {
			m = !strcmp(v, "lo") ? inv(FW_NO, neg) : FW_MAYBE;
			i++;
		} else if (!strcmp(t, "-p")) {
			m = inv(!strcmp(v, "tcp") || !strcmp(v, "6") ||
				!strcmp(v, "all") ? FW_YES : FW_NO, neg);
			i++;
		} else if (!strcmp(t, "-m") || !strcmp(t, "--comment") ||
			   !strcmp(t, "--limit") ||
			   !strcmp(t, "--limit-burst")) {
			m = FW_YES;
			i++;
		} else if (!strcmp(t, "--dport") || !strcmp(t, "--dports") ||
			   !strcmp(t, "--destination-port")) {
			m = inv(port_in(v, p->port), neg);
			i++;
		} else if (!strcmp(t, "--ctstate") || !strcmp(t, "--state")) {
			m = strstr(v, "NEW") || (p->any_state &&
				(strstr(v, "ESTABLISHED") ||
				 strstr(v, "RELATED"))) ? FW_YES : FW_NO;
			m = inv(m, neg);
			i++;
		} else if (!strcmp(t, "--mark")) {
			char *e;
			uint32_t mv = (uint32_t)strtoul(v, &e, 0);
			uint32_t mk = *e == '/' ? (uint32_t)strtoul(e + 1,
								    NULL, 0) :
				0xffffffffU;

			m = inv(mark_is(p, mv, mk), neg);
			i++;
		} else if (!strcmp(t, "--dst-type")) {
			m = inv(FW_NO, neg);	/* not local, not broadcast */
			i++;
		} else if (!strcmp(t, "--tcp-flags")) {
			m = FW_YES;
			i += 2;
		} else if (!strcmp(t, "--syn")) {
			m = FW_YES;
		} else if (t[0] == '-' && i + 1 < n && v[0] != '-') {
			i++;	/* -s, -d, --sport, ...: a maybe */
		}
		d->m = and3(d->m, m);
		neg = 0;
	}
}

/* Input interfaces ------------------------------------------------------- */

/* Does pattern pat (a name, iptables' "eth+" or nft's "eth*") cover
 * interface ifname? */
static int
ifname_covers(const char *pat, const char *ifname)
{
	size_t l = strlen(pat);

	if (l && (pat[l - 1] == '+' || pat[l - 1] == '*'))
		return strncmp(pat, ifname, l - 1) == 0;
	return strcmp(pat, ifname) == 0;
}

/* Does one of the names in v (a name, or a set as nft_value joins it:
 * `{ "a", "b" } `) cover ifname? */
static int
iflist_covers(const char *v, const char *ifname)
{
	char buf[512], *w, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	for (w = strtok_r(buf, " {},\"", &save); w;
	     w = strtok_r(NULL, " {},\"", &save))
		if (ifname_covers(w, ifname))
			return 1;
	return 0;
}

int
dr_fw_iif_may_match(const char *r, int ipt, const char *ifname)
{
	char buf[1024], *tok[128], val[512];
	size_t n = split(r, buf, sizeof(buf), tok, 128), i, j;
	int neg, cov;

	for (i = 0; i < n; i++) {
		if (ipt) {
			if ((strcmp(tok[i], "-i") &&
			     strcmp(tok[i], "--in-interface")) || i + 1 >= n)
				continue;
			neg = i > 0 && !strcmp(tok[i - 1], "!");
			cov = ifname_covers(tok[i + 1], ifname);
		} else {
			if (strcmp(tok[i], "iifname") && strcmp(tok[i], "iif"))
				continue;
			j = i + 1;
			neg = j < n && !strcmp(tok[j], "!=");
			if (j < n && (neg || !strcmp(tok[j], "==")))
				j++;
			nft_value(tok, n, &j, val, sizeof(val));
			if (val[0] == '\0')
				continue;
			cov = iflist_covers(val, ifname);
		}
		if (cov == neg)
			return 0;
	}
	return 1;
}
