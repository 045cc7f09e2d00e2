/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.c - tproxy ports and TOS from tproxyd.conf (see conf.h).
 */
#include <arpa/inet.h>
#include <string.h>

#include "config/config-t.h"

#include "conf.h"

static unsigned
port_of(const struct cfg_port *p)
{
	if (p->addr.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)
			      (const void *)&p->addr)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)
		      (const void *)&p->addr)->sin6_port);
}

/* p as the target of family f (PLAN_V4/PLAN_V6): its port, and its
 * address unless it is the wildcard. */
static void
set_target(const struct cfg_port *p, int f, struct plan_target *t)
{
	int af = p->addr.ss_family;

	t->port = port_of(p);
	t->addr[0] = '\0';
	if (p->wildcard)
		return;
	if (f == PLAN_V4 && af == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
			  (const void *)&p->addr)->sin_addr, t->addr,
			  sizeof(t->addr));
	else if (f == PLAN_V6 && af == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			  (const void *)&p->addr)->sin6_addr, t->addr,
			  sizeof(t->addr));
	if (!strcmp(t->addr, "0.0.0.0") || !strcmp(t->addr, "::"))
		t->addr[0] = '\0';
}

/* Which families a port line listens on. */
static int
families_of(const struct cfg_port *p)
{
	if (p->wildcard)
		return PLAN_BOTH;
	return p->addr.ss_family == AF_INET ? PLAN_V4 : PLAN_V6;
}

/* The first tproxy line of kind https (0/1) for each family into seen[]
 * (NULL: none); with https, an ssl-bump line wins over an earlier one
 * without (tproxyd peeks only on ssl-bump ports). */
static void
pick(const struct cfg *c, int https, const struct cfg_port *seen[2])
{
	size_t i, f;

	seen[0] = seen[1] = NULL;
	for (i = 0; i < c->nport; i++) {
		const struct cfg_port *p = &c->port[i];
		int fams = families_of(p);

		if (p->mode != PORT_TPROXY || (int)p->https != https)
			continue;
		for (f = 0; f < 2; f++) {
			if (!(fams & (f ? PLAN_V6 : PLAN_V4)))
				continue;
			if (seen[f] == NULL ||
			    (https && p->ssl_bump && !seen[f]->ssl_bump))
				seen[f] = p;
		}
	}
}

int
conf_targets(const struct cfg *c, int family_locked, int skip_http,
	     int skip_https, struct plan_opts *o)
{
	const struct cfg_port *http[2], *https[2];
	int found = 0, f;

	pick(c, 0, http);
	pick(c, 1, https);
	for (f = 0; f < 2; f++)
		found |= (http[f] || https[f]) ? (f ? PLAN_V6 : PLAN_V4) : 0;
	if (found == 0)
		return 0;
	/* What the command line gave counts as covered too. */
	for (f = 0; f < 2; f++)
		if ((skip_http && o->map[PLAN_HTTP].to[f].port) ||
		    (skip_https && o->map[PLAN_HTTPS].to[f].port))
			found |= f ? PLAN_V6 : PLAN_V4;
	for (f = 0; f < 2; f++) {
		int fam = f ? PLAN_V6 : PLAN_V4;

		if (!skip_http) {
			if (http[f])
				set_target(http[f], fam, &o->map[PLAN_HTTP].
					   to[f]);
			else
				o->map[PLAN_HTTP].to[f].port = 0;
		}
		if (!skip_https && https[f])
			set_target(https[f], fam, &o->map[PLAN_HTTPS].to[f]);
	}
	if (!family_locked)
		o->families = found;
	return found;
}

void
conf_udp_target(const struct cfg *c, struct plan_opts *o)
{
	struct cfg_port p;
	size_t i;
	int f, seen = 0;

	for (i = 0; i < c->udp.nport; i++) {
		/* The same fields as an http_port line's. */
		memset(&p, 0, sizeof(p));
		p.addr = c->udp.port[i].addr;
		p.wildcard = c->udp.port[i].wildcard;
		for (f = 0; f < 2; f++) {
			int fam = f ? PLAN_V6 : PLAN_V4;

			if (!(families_of(&p) & fam) || (seen & fam))
				continue;
			set_target(&p, fam, &o->udp.to[f]);
			seen |= fam;
		}
	}
}

int
conf_tos(const struct cfg *c)
{
	const struct cfg_qos_rule *r;
	size_t i, k;
	int every;

	for (i = 0; i < c->qos.tos_server.n; i++) {
		r = &c->qos.tos_server.rule[i];
		every = 1;
		for (k = 0; k < r->nref; k++)
			if (r->ref[k].negate ||
			    strcmp(r->ref[k].acl->name, "all") != 0)
				every = 0;
		if (every)
			return r->value ? (int)r->value : -1;
		return -1;	/* an earlier line may apply instead */
	}
	return -1;
}
