/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.c - the pure plan: options -> ordered steps -> shell text.
 *
 * Order matters and follows Squid's TPROXY v4 guide ("Routing
 * configuration" before "iptables Configuration"): the sysctls first (so
 * that nothing is forwarded with rp_filter still on), then policy routing
 * (so that a marked packet already has somewhere to go), then the
 * netfilter rules that start marking packets. Teardown runs the undo
 * commands in reverse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

void
plan_opts_default(struct plan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->backend = PLAN_NFT;
	o->families = PLAN_BOTH;
	o->map[PLAN_HTTP].to[0].port = o->map[PLAN_HTTP].to[1].port = 3129;
	o->map[PLAN_HTTP].dport[0] = 80;
	o->map[PLAN_HTTP].ndport = 1;
	o->map[PLAN_HTTPS].dport[0] = 443;
	o->map[PLAN_HTTPS].ndport = 1;
	o->quic = PLAN_QUIC_AUTO;
	o->mark = 0x1;
	o->mask = 0x1;
	o->table = 100;
	o->rule_pref = PLAN_RULE_PREF;
}

const struct plan_target *
plan_map_to(const struct plan_opts *o, int kind, int f)
{
	const struct plan_map *m = &o->map[kind];
	const struct plan_target *t = &m->to[f == PLAN_V4 ? 0 : 1];

	if (!(o->families & f) || m->ndport == 0 || t->port == 0)
		return NULL;
	return t;
}

int
plan_map_families(const struct plan_opts *o, int kind)
{
	return (plan_map_to(o, kind, PLAN_V4) ? PLAN_V4 : 0) |
		(plan_map_to(o, kind, PLAN_V6) ? PLAN_V6 : 0);
}

const struct plan_target *
plan_udp_to(const struct plan_opts *o, int f)
{
	const struct plan_target *t = &o->udp.to[f == PLAN_V4 ? 0 : 1];

	if (!(o->families & f) || o->udp.ndport == 0 || t->port == 0)
		return NULL;
	return t;
}

int
plan_udp_families(const struct plan_opts *o)
{
	return (plan_udp_to(o, PLAN_V4) ? PLAN_V4 : 0) |
		(plan_udp_to(o, PLAN_V6) ? PLAN_V6 : 0);
}

/* The families where some HTTPS port is also a UDP port tproxyd
 * intercepts: QUIC there goes to tproxyd, it is not refused. */
static int
quic_intercepted(const struct plan_opts *o)
{
	size_t i, k;

	for (i = 0; i < o->map[PLAN_HTTPS].ndport; i++)
		for (k = 0; k < o->udp.ndport; k++)
			if (o->map[PLAN_HTTPS].dport[i] == o->udp.dport[k])
				return plan_udp_families(o);
	return 0;
}

int
plan_quic_families(const struct plan_opts *o)
{
	if (o->map[PLAN_HTTPS].ndport == 0)
		return 0;
	switch (o->quic) {
	case PLAN_QUIC_BLOCK:
		return o->families & PLAN_BOTH & ~quic_intercepted(o);
	case PLAN_QUIC_PASS:
		return 0;
	default:
		return plan_map_families(o, PLAN_HTTPS) & ~quic_intercepted(o);
	}
}

size_t
plan_all_dports(const struct plan_opts *o, int f, unsigned *out,
		size_t max)
{
	size_t n = 0, k, i, j;

	for (k = 0; k < PLAN_NKIND; k++) {
		if (!(plan_map_families(o, k) & f))
			continue;
		for (i = 0; i < o->map[k].ndport; i++) {
			for (j = 0; j < n; j++)
				if (out[j] == o->map[k].dport[i])
					break;
			if (j == n && n < max)
				out[n++] = o->map[k].dport[i];
		}
	}
	return n;
}

void
plan_format_ports(const unsigned *port, size_t nport, const char *sep,
		  char *out, size_t n)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < nport && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%u",
					i ? sep : "", port[i]);
}

void
plan_summary(const struct plan_opts *o, struct sbuf *out)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	size_t k, fi;
	int first = 1;

	for (k = 0; k < PLAN_NKIND; k++) {
		const struct plan_map *m = &o->map[k];
		char ports[PLAN_MAX_PORTS * 6];
		int mf = plan_map_families(o, k);

		if (mf == 0)
			continue;
		plan_format_ports(m->dport, m->ndport, ",", ports,
				  sizeof(ports));
		sbuf_printf(out, "%s%s %s -> ", first ? "" : ", ",
			    k == PLAN_HTTP ? "http" : "https", ports);
		first = 0;
		/* One port for both families is the usual case. */
		if (mf == PLAN_BOTH && m->to[0].port != m->to[1].port) {
			for (fi = 0; fi < 2; fi++)
				sbuf_printf(out, "%s%u (%s)", fi ? " / " : "",
					    m->to[fi].port,
					    plan_family_name(fams[fi]));
		} else {
			sbuf_printf(out, "%u",
				    m->to[mf & PLAN_V4 ? 0 : 1].port);
			if (mf != PLAN_BOTH && o->families == PLAN_BOTH)
				sbuf_printf(out, " (%s only)",
					    plan_family_name(mf));
		}
	}
	if (plan_udp_families(o)) {
		char ports[PLAN_MAX_PORTS * 6];
		int uf = plan_udp_families(o);

		plan_format_ports(o->udp.dport, o->udp.ndport, ",", ports,
				  sizeof(ports));
		sbuf_printf(out, "%sudp %s -> %u", first ? "" : ", ", ports,
			    o->udp.to[uf & PLAN_V4 ? 0 : 1].port);
		if (uf != PLAN_BOTH && o->families == PLAN_BOTH)
			sbuf_printf(out, " (%s only)", plan_family_name(uf));
		first = 0;
	}
	if (first)
		sbuf_add(out, "nothing intercepted");
	if (plan_quic_families(o)) {
		char ports[PLAN_MAX_PORTS * 6];

		plan_format_ports(o->map[PLAN_HTTPS].dport,
				  o->map[PLAN_HTTPS].ndport, ",", ports,
				  sizeof(ports));
		sbuf_printf(out, "; QUIC blocked (udp %s refused", ports);
		if (plan_quic_families(o) != PLAN_BOTH &&
		    o->families == PLAN_BOTH)
			sbuf_printf(out, ", %s only",
				    plan_family_name(plan_quic_families(o)));
		sbuf_add(out, ")");
	} else if (plan_map_families(o, PLAN_HTTPS)) {
		sbuf_add(out, "; QUIC passes (--quic pass)");
	}
}

struct step *
plan_add(struct plan *p, enum step_kind kind, int family, const char *what,
	 char **argv, char **undo)
{
	struct step *s, *n;

	n = realloc(p->step, (p->n + 1) * sizeof(*p->step));
	if (n == NULL) {
		fputs("tproxyctl: out of memory\n", stderr);
		exit(1);
	}
	p->step = n;
	s = &p->step[p->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->family = family;
	s->what = xstrdup(what);
	s->argv = argv;
	s->undo = undo;
	return s;
}

void
plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->step[i].what);
		argv_free(p->step[i].argv);
		argv_free(p->step[i].undo);
		free(p->step[i].input);
		free(p->step[i].key);
		free(p->step[i].value);
	}
	free(p->step);
	p->step = NULL;
	p->n = 0;
}

int
plan_parse_mark(const char *s, uint32_t *mark, uint32_t *mask)
{
	char *end;
	unsigned long v, m = 0xffffffffUL;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || v > 0xffffffffUL)
		return -1;
	if (*end == '/') {
		const char *ms = end + 1;

		m = strtoul(ms, &end, 0);
		if (errno || end == ms || m > 0xffffffffUL)
			return -1;
	}
	if (*end != '\0' || v == 0 || (v & ~m) != 0)
		return -1;
	*mark = (uint32_t)v;
	*mask = (uint32_t)m;
	return 0;
}

void
plan_format_mark(uint32_t mark, uint32_t mask, char *out, size_t n)
{
	if (mask == 0xffffffffU)
		snprintf(out, n, "0x%x", mark);
	else
		snprintf(out, n, "0x%x/0x%x", mark, mask);
}

int
plan_parse_ports(const char *s, unsigned *port, size_t max, size_t *n)
{
	const char *p = s;
	char *end;

	*n = 0;
	while (*p) {
		unsigned long v;
		size_t i;

		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || v == 0 || v > 65535 ||
		    (*end != ',' && *end != '\0'))
			return -1;
		for (i = 0; i < *n; i++)
			if (port[i] == v)
				break;
		if (i == *n) {
			if (*n == max)
				return -1;
			port[(*n)++] = (unsigned)v;
		}
		p = *end ? end + 1 : end;
	}
	return *n ? 0 : -1;
}

/* "198.18.9.0/24" or "2001:db8:9::/48" (a bare address is a /32 or
 * /128). Sets *family to PLAN_V4 or PLAN_V6. */
int
plan_parse_cidr(const char *s, int *family)
{
	char a[64], *slash, *end;
	unsigned char buf[16];
	long len = -1;
	int af;

	if (strlen(s) >= sizeof(a))
		return -1;
	memcpy(a, s, strlen(s) + 1);
	slash = strchr(a, '/');
	if (slash) {
		*slash = '\0';
		len = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || len < 0)
			return -1;
	}
	af = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, a, buf) != 1)
		return -1;
	if (len > (af == AF_INET ? 32 : 128))
		return -1;
	*family = af == AF_INET ? PLAN_V4 : PLAN_V6;
	return 0;
}

const char *
plan_family_name(int families)
{
	switch (families) {
	case PLAN_V4:
		return "ipv4";
	case PLAN_V6:
		return "ipv6";
	default:
		return "both";
	}
}

/* The same port in both mappings, or both mappings to one tproxy port:
 * a tproxy port receives one kind of traffic. */
static int
check_maps(const struct plan_opts *o, char *err, size_t errlen)
{
	const struct plan_map *h = &o->map[PLAN_HTTP];
	const struct plan_map *s = &o->map[PLAN_HTTPS];
	size_t i, k;
	int f;

	if (!plan_map_families(o, PLAN_HTTP) ||
	    !plan_map_families(o, PLAN_HTTPS))
		return 0;
	for (i = 0; i < h->ndport; i++)
		for (k = 0; k < s->ndport; k++)
			if (h->dport[i] == s->dport[k]) {
				snprintf(err, errlen, "port %u is in both "
					 "--ports (HTTP) and --https-ports",
					 h->dport[i]);
				return -1;
			}
	for (f = PLAN_V4; f <= PLAN_V6; f <<= 1) {
		const struct plan_target *a = plan_map_to(o, PLAN_HTTP, f);
		const struct plan_target *b = plan_map_to(o, PLAN_HTTPS, f);

		if (a && b && a->port == b->port) {
			snprintf(err, errlen, "HTTP and HTTPS both go to "
				 "tproxy port %u: HTTPS needs a port of its "
				 "own (an `https_port ... tproxy ssl-bump` "
				 "line, or --https-port)", a->port);
			return -1;
		}
	}
	return 0;
}

static int
check_opts(const struct plan_opts *o, char *err, size_t errlen)
{
	size_t i, k;
	int fam, f;

	if (!(o->families & PLAN_BOTH)) {
		snprintf(err, errlen, "no address family selected");
		return -1;
	}
	if (o->map[PLAN_HTTP].ndport == 0 &&
	    plan_map_families(o, PLAN_HTTPS) == 0) {
		snprintf(err, errlen, "no port to intercept (--ports)");
		return -1;
	}
	if (o->udp.ndport && !plan_udp_families(o)) {
		snprintf(err, errlen, "no UDP tproxy port for --udp-ports "
			 "(--udp-port, or a `udp_port ... tproxy` line in the "
			 "configuration)");
		return -1;
	}
	if (o->quic == PLAN_QUIC_BLOCK && quic_intercepted(o)) {
		snprintf(err, errlen, "--quic block refuses UDP to the HTTPS "
			 "ports that --udp-ports intercepts: use one or the "
			 "other");
		return -1;
	}
	for (k = 0; k < PLAN_NKIND; k++)
		for (f = 0; f < 2; f++)
			if (o->map[k].to[f].port > 65535) {
				snprintf(err, errlen, "bad tproxy port %u",
					 o->map[k].to[f].port);
				return -1;
			}
	/* Every family selected has something to divert. */
	for (f = PLAN_V4; f <= PLAN_V6; f <<= 1)
		if ((o->families & f) && !plan_map_to(o, PLAN_HTTP, f) &&
		    !plan_map_to(o, PLAN_HTTPS, f)) {
			snprintf(err, errlen, "no tproxy port (--port, or a "
				 "`http_port ... tproxy` line in the "
				 "configuration) for %s", plan_family_name(f));
			return -1;
		}
	if (check_maps(o, err, errlen) < 0)
		return -1;
	if (o->mark == 0 || (o->mark & ~o->mask)) {
		snprintf(err, errlen, "mark 0x%x is not inside its mask 0x%x",
			 o->mark, o->mask);
		return -1;
	}
	if (o->table == 0 || o->table >= 252) {
		/* 253..255 are default/main/local; 252 is "compat". */
		snprintf(err, errlen, "routing table %u is reserved; use "
			 "1..251", o->table);
		return -1;
	}
	if (o->rule_pref < 2 || o->rule_pref >= 32766) {
		snprintf(err, errlen, "rule preference %u is not usable; use "
			 "2..32765 (0 is `lookup local`, 32766 `lookup main`, "
			 "and the `iif lo` rule takes the one before)",
			 o->rule_pref);
		return -1;
	}
	for (i = 0; i < o->niface; i++)
		if (ifname_check(o->iface[i], err, errlen) < 0)
			return -1;
	for (i = 0; i < o->nbypass; i++)
		if (plan_parse_cidr(o->bypass[i], &fam) < 0) {
			snprintf(err, errlen, "bypass '%s' is not a CIDR",
				 o->bypass[i]);
			return -1;
		}
	if (o->bridge && (!o->br_client[0] || !o->br_inet[0] ||
			  !o->br_dev[0] || !o->br_mac[0])) {
		snprintf(err, errlen, "--bridge needs two bridge ports of one "
			 "bridge");
		return -1;
	}
	if (o->bridge && (ifname_check(o->br_client, err, errlen) < 0 ||
			  ifname_check(o->br_inet, err, errlen) < 0 ||
			  (o->br_dev[0] && ifname_check(o->br_dev, err,
							errlen) < 0)))
		return -1;
	return 0;
}

int
plan_build(const struct plan_opts *o, struct plan *p, char *err,
	   size_t errlen)
{
	if (check_opts(o, err, errlen) < 0)
		return -1;
	sysctl_plan(o, p);
	route_plan(o, p);
	if (o->backend == PLAN_IPT)
		ipt_plan(o, p);
	if (o->backend == PLAN_NFT || o->bridge) {
		struct sbuf b = { 0 }, u = { 0 };
		struct step *s;

		nft_ruleset(o, &b);
		/* Deleting the table(s) in one transaction is the whole
		 * undo. */
		nft_undo(o, &u);
		s = plan_add(p, STEP_NFT, 0, o->backend == PLAN_NFT ?
			     "netfilter rules: table inet " PLAN_NFT_TABLE
			     " (one atomic transaction)" :
			     "bridge: hand frames for the intercepted ports to "
			     "the routing path (table bridge " PLAN_NFT_TABLE
			     ")", argv_new("nft", "-f", "-", NULL),
			     argv_new("nft", sbuf_str(&u), NULL));
		sbuf_free(&u);
		s->input = xstrdup(sbuf_str(&b));
		sbuf_free(&b);
	}
	return 0;
}

void
plan_render_step(const struct step *s, struct sbuf *out)
{
	sbuf_printf(out, "# %s\n", s->what);
	switch (s->kind) {
	case STEP_SYSCTL:
		sbuf_printf(out, "sysctl -w %s=%s\n", s->key, s->value);
		return;
	case STEP_NFT:
		argv_render(s->argv, out);
		sbuf_printf(out, " <<'EOF'\n%sEOF\n", s->input);
		return;
	default:
		argv_render(s->argv, out);
		sbuf_add(out, "\n");
	}
}

void
plan_render(const struct plan *p, struct sbuf *out)
{
	size_t i;

	sbuf_add(out, "#!/bin/sh\n# generated by tproxyctl setup --dry-run\n"
		 "set -e\n");
	for (i = 0; i < p->n; i++)
		plan_render_step(&p->step[i], out);
}

void
plan_render_undo(const struct step *s, const char *prev, struct sbuf *out)
{
	if (s->kind == STEP_SYSCTL) {
		sbuf_printf(out, "sysctl -w %s=%s\n", s->key, prev ? prev :
			    "PREVIOUS");
		return;
	}
	if (s->undo) {
		argv_render(s->undo, out);
		sbuf_add(out, "\n");
	}
}
