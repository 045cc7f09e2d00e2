/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pathparse.c - see pathparse.h. The formats are iproute2's `ip rule show`
 * text (iprule.c prints "PREF:\t[not ]from SRC [to DST] [fwmark V[/M]]
 * [iif IF] [oif IF] ... lookup TABLE"), its `ip -j route get` JSON, nft's
 * `list ruleset` and iptables-save.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathparse.h"

static int
parse_prefix(const char *s, int fam, unsigned char *a, int *len)
{
	char buf[64], *slash;
	int max = fam == 4 ? 32 : 128, n;

	if (!strcmp(s, "all")) {
		*len = -1;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	n = max;
	if (slash) {
		*slash = '\0';
		n = atoi(slash + 1);
		if (n < 0 || n > max)
			return -1;	/* *len untouched: never past a */
	}
	memset(a, 0, 16);
	if (inet_pton(fam == 4 ? AF_INET : AF_INET6, buf, a) != 1)
		return -1;
	*len = n;
	return 0;
}

static int
in_prefix(const unsigned char *a, const unsigned char *p, int len)
{
	int i;

	if (len < 0)
		return 1;
	for (i = 0; i < len / 8; i++)
		if (a[i] != p[i])
			return 0;
	if (len % 8) {
		unsigned char m = (unsigned char)(0xff << (8 - len % 8));

		if ((a[i] & m) != (p[i] & m))
			return 0;
	}
	return 1;
}

int
pp_parse_rule(const char *line, int fam, struct pp_rule *r)
{
	char buf[512], *w, *save = NULL, *end;
	static const char *const actions[] = { "unreachable", "blackhole",
					       "prohibit", "nop", NULL };

	memset(r, 0, sizeof(*r));
	r->from_len = r->to_len = -1;
	r->pref = strtoul(line, &end, 10);
	if (end == line || *end != ':')
		return -1;
	snprintf(buf, sizeof(buf), "%s", end + 1);
	for (w = strtok_r(buf, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		char *v = NULL;
		size_t i;

		for (i = 0; actions[i]; i++)
			if (!strcmp(w, actions[i]))
				snprintf(r->action, sizeof(r->action), "%s", w);
		if (!strcmp(w, "not")) {
			r->not = 1;
			continue;
		}
		if (!strcmp(w, "l3mdev")) {
			r->other = 1;
			continue;
		}
		if (!strcmp(w, "from") || !strcmp(w, "to") ||
		    !strcmp(w, "fwmark") || !strcmp(w, "iif") ||
		    !strcmp(w, "oif") || !strcmp(w, "lookup") ||
		    !strcmp(w, "goto") || !strcmp(w, "ipproto") ||
		    !strcmp(w, "dport") || !strcmp(w, "sport") ||
		    !strcmp(w, "uidrange") || !strcmp(w, "tos") ||
		    !strcmp(w, "dsfield") || !strcmp(w, "realms") ||
		    !strcmp(w, "suppress_prefixlength") ||
		    !strcmp(w, "suppress_ifgroup") || !strcmp(w, "proto") ||
		    !strcmp(w, "flowlabel"))
			v = strtok_r(NULL, " \t", &save);
		else
			continue;
		if (v == NULL)
			return -1;
		if (!strcmp(w, "from")) {
			if (parse_prefix(v, fam, r->from, &r->from_len) < 0)
				r->other = 1;
		} else if (!strcmp(w, "to")) {
			if (parse_prefix(v, fam, r->to, &r->to_len) < 0)
				r->other = 1;
		} else if (!strcmp(w, "fwmark")) {
			char *sl;

			r->has_mark = 1;
			r->mark = (uint32_t)strtoul(v, &sl, 0);
			r->mask = *sl == '/' ? (uint32_t)strtoul(sl + 1, NULL,
								 0) :
				0xffffffffu;
		} else if (!strcmp(w, "iif")) {
			snprintf(r->iif, sizeof(r->iif), "%s", v);
		} else if (!strcmp(w, "oif")) {
			snprintf(r->oif, sizeof(r->oif), "%s", v);
		} else if (!strcmp(w, "lookup") || !strcmp(w, "goto")) {
			snprintf(r->action, sizeof(r->action), "%s", w);
			snprintf(r->table, sizeof(r->table), "%s", v);
		} else if (!strcmp(w, "ipproto")) {
			snprintf(r->ipproto, sizeof(r->ipproto), "%s", v);
		} else if (!strcmp(w, "dport")) {
			char *dash;

			r->dport_lo = (unsigned)strtoul(v, &dash, 10);
			r->dport_hi = *dash == '-' ?
				(unsigned)strtoul(dash + 1, NULL, 10) :
				r->dport_lo;
			if (r->dport_hi < r->dport_lo || r->dport_hi > 65535)
				return -1;	/* not something ip prints */
		} else if (strcmp(w, "suppress_prefixlength") &&
			   strcmp(w, "suppress_ifgroup") &&
			   strcmp(w, "proto") && strcmp(w, "realms")) {
			r->other = 1;	/* sport, uidrange, tos, ... */
		}
	}
	if (r->action[0] == '\0')
		snprintf(r->action, sizeof(r->action), "%s", "lookup");
	return 0;
}

int
pp_rule_matches(const struct pp_rule *r, const struct pp_pkt *p)
{
	int m = 1;

	if (!in_prefix(p->src, r->from, r->from_len) ||
	    !in_prefix(p->dst, r->to, r->to_len))
		m = 0;
	if (r->has_mark && (p->mark & r->mask) != r->mark)
		m = 0;
	if (r->iif[0] && strcmp(r->iif, p->iif))
		m = 0;
	if (r->oif[0])	/* forwarded packets have no oif yet */
		m = 0;
	if (r->ipproto[0] && strcmp(r->ipproto, "tcp") &&
	    strcmp(r->ipproto, "6"))
		m = 0;
	if (r->dport_hi && (p->dport < r->dport_lo || p->dport > r->dport_hi))
		m = 0;
	return r->not ? !m : m;
}

/* The value of "key":"..." in one JSON object (flat, as ip prints it). */
static void
json_field(const char *obj, const char *key, char *out, size_t n)
{
	char pat[48];
	const char *p;
	size_t len;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(obj, pat)) == NULL)
		return;
	p += strlen(pat);
	len = strcspn(p, "\"");
	snprintf(out, n, "%.*s", (int)len, p);
}

int
pp_parse_route(const char *json, struct pp_route *r)
{
	const char *o = strchr(json, '{');
	char obj[1024];

	memset(r, 0, sizeof(*r));
	if (o == NULL)
		return -1;
	snprintf(obj, sizeof(obj), "%.*s", (int)strcspn(o, "}"), o);
	json_field(obj, "type", r->type, sizeof(r->type));
	if (r->type[0] == '\0')
		snprintf(r->type, sizeof(r->type), "unicast");
	json_field(obj, "table", r->table, sizeof(r->table));
	if (r->table[0] == '\0')	/* ip omits the main table */
		snprintf(r->table, sizeof(r->table), "main");
	json_field(obj, "dev", r->dev, sizeof(r->dev));
	json_field(obj, "gateway", r->gateway, sizeof(r->gateway));
	return 0;
}

static const char *
skip_sp(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

uint32_t
pp_nft_mark_bits(const char *expr)
{
	const char *p = skip_sp(expr);
	uint32_t bits = 0;
	char *end;

	if (strncmp(p, "meta mark", 9) && strncmp(p, "mark ", 5))
		return 0xffffffffu;	/* a constant, ct mark, a map */
	p = skip_sp(p + (p[0] == 'm' && p[1] == 'e' ? 9 : 4));
	while (*p == '&' || *p == '|' || *p == '^' ||
	       !strncmp(p, "and ", 4) || !strncmp(p, "or ", 3) ||
	       !strncmp(p, "xor ", 4)) {
		int op = *p == 'a' ? '&' : *p == 'o' ? '|' : *p == 'x' ? '^' :
			*p;
		uint32_t v;

		p = skip_sp(p + (*p == 'a' || *p == 'x' ? 3 : *p == 'o' ? 2 :
				 1));
		v = (uint32_t)strtoul(p, &end, 0);
		if (end == p)
			return 0xffffffffu;
		bits |= op == '&' ? ~v : v;
		p = skip_sp(end);
	}
	return bits;
}

static uint32_t
opt_val(const char *line, const char *opt, uint32_t *mask, int *found)
{
	const char *p = strstr(line, opt);
	char *end;
	uint32_t v;

	*found = p != NULL;
	if (p == NULL)
		return 0;
	v = (uint32_t)strtoul(p + strlen(opt), &end, 0);
	if (mask)
		*mask = *end == '/' ? (uint32_t)strtoul(end + 1, NULL, 0) :
			0xffffffffu;
	return v;
}

uint32_t
pp_ipt_mark_bits(const char *line)
{
	uint32_t v, m = 0xffffffffu;
	int f;

	if (strstr(line, "-j MARK ")) {
		v = opt_val(line, "--set-xmark ", &m, &f);
		if (f)
			return v | m;
		v = opt_val(line, "--set-mark ", &m, &f);
		if (f)
			return v | m;
		v = opt_val(line, "--or-mark ", NULL, &f);
		if (f)
			return v;
		v = opt_val(line, "--xor-mark ", NULL, &f);
		if (f)
			return v;
		v = opt_val(line, "--and-mark ", NULL, &f);
		if (f)
			return ~v;
		return 0xffffffffu;
	}
	if (strstr(line, "-j CONNMARK ") && strstr(line, "--restore-mark")) {
		v = opt_val(line, "--nfmask ", NULL, &f);
		return f ? v : 0xffffffffu;
	}
	return 0;
}

int
pp_fwmark_overlaps(uint32_t v, uint32_t m, uint32_t mark, uint32_t mask)
{
	return (m & mask) != 0 && ((v ^ mark) & m & mask) == 0;
}

int
pp_free_mark(uint32_t used, uint32_t *mark)
{
	int b;

	for (b = 0; b < 32; b++)
		if (!(used & (1u << b))) {
			*mark = 1u << b;
			return 0;
		}
	return -1;
}

void
pp_sysctl_key(const char *fam, const char *ifn, const char *key, char *out,
	      size_t n)
{
	size_t i, l;

	l = (size_t)snprintf(out, n, "net.%s.conf.", fam);
	for (i = 0; ifn[i] && l + 1 < n; i++)
		out[l++] = ifn[i] == '.' ? '/' : ifn[i];
	out[l < n ? l : n - 1] = '\0';
	snprintf(out + strlen(out), n - strlen(out), ".%s", key);
}

void
pp_shell_quote(const char *s, char *out, size_t n)
{
	size_t l = 0;

	static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/=:@+,";

	if (*s && strspn(s, plain) == strlen(s)) {
		snprintf(out, n, "%s", s);
		return;
	}
	out[l++] = '\'';
	for (; *s && l + 6 < n; s++) {
		if (*s == '\'') {
			memcpy(out + l, "'\\''", 4);
			l += 4;
		} else {
			out[l++] = *s;
		}
	}
	out[l++] = '\'';
	out[l] = '\0';
}

void
pp_nft_iifname(const char *rule, char *out, size_t n)
{
	const char *s = strstr(rule, "iifname ");

	out[0] = '\0';
	if (s == NULL || (s > rule && s[-1] != ' '))
		return;
	s += 8;
	if (*s == '"')
		s++;
	if (!strncmp(s, "!= ", 3) || *s == '{' || *s == '@')
		return;		/* not one interface */
	if (*s == '"')
		s++;
	snprintf(out, n, "%.*s", (int)strcspn(s, "\" ;{}"), s);
	if (strchr(out, '*'))
		out[0] = '\0';	/* a wildcard: may be any */
}

uint32_t
pp_ipt_guard(const char *line)
{
	uint32_t v, m;
	char *end;
	const char *p;

	/* "-A CHAIN -m mark --mark V[/M] -j ACCEPT|RETURN", nothing else */
	if (strncmp(line, "-A ", 3))
		return 0;
	p = line + 3 + strcspn(line + 3, " ");
	if (strncmp(p, " -m mark --mark ", 16))
		return 0;
	v = (uint32_t)strtoul(p + 16, &end, 0);
	m = 0xffffffffu;
	if (*end == '/')
		m = (uint32_t)strtoul(end + 1, &end, 0);
	if (strcmp(end, " -j ACCEPT") && strcmp(end, " -j RETURN"))
		return 0;
	return m == v ? m : 0;
}

int
pp_ipt_jump(const char *line, char *chain, size_t n)
{
	const char *j = strstr(line, " -j ");

	if (j == NULL) {
		j = strstr(line, " -g ");
		if (j == NULL)
			return 0;
	}
	j += 4;
	snprintf(chain, n, "%.*s", (int)strcspn(j, " "), j);
	return chain[0] != '\0';
}

uint32_t
pp_nft_guard(const char *rule)
{
	uint32_t m, v;
	char *end;

	if (strncmp(rule, "meta mark & ", 12))
		return 0;
	m = (uint32_t)strtoul(rule + 12, &end, 0);
	if (strncmp(end, " == ", 4))
		return 0;
	v = (uint32_t)strtoul(end + 4, &end, 0);
	if (strcmp(end, " accept"))
		return 0;
	return m == v ? m : 0;
}
