/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.c - tproxyd.conf (-f): it loads, it has a tproxy http_port (or
 * https_port), and no port is configured for two modes. Squid's TPROXY v4
 * guide, Troubleshooting, "commBind: cannot bind socket ... (99)": ports
 * using the tproxy flag MUST NOT receive traffic for any other mode (and
 * an http_port and an https_port are two modes: one receives requests,
 * the other TLS).
 *
 * Also which tproxy ports the configuration and the setup want
 * (dr_tproxy_ports()), and which of them take TLS (dr_port_is_https()),
 * for rules.c, https.c and tproxyd.c.
 */
#include <stdio.h>
#include <arpa/inet.h>

#include "config/config-t.h"

#include "checks.h"

static const char *
mode_name(const struct cfg_port *p)
{
	switch (p->mode) {
	case PORT_TPROXY:
		return p->https ? "https_port tproxy" : "tproxy";
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

void
dr_check_config(const struct cfg *c, const char *conf_path,
	     const char *cfg_error)
{
	size_t i, k;
	int ntproxy = 0, nhttps = 0, bad = 0;

	if (conf_path == NULL) {
		dr_add(ST_PASS, "config", NULL, "no configuration given (-f): "
		    "checking the ports from the state file/options");
		return;
	}
	if (c == NULL) {
		dr_add(ST_FAIL, "config", "fix the configuration (tproxyd -k "
		    "parse -f FILE lists every error)", "%s: %s", conf_path,
		    cfg_error ? cfg_error : "cannot load");
		return;
	}
	for (i = 0; i < c->nport; i++) {
		if (c->port[i].mode == PORT_TPROXY && c->port[i].https)
			nhttps++;
		else if (c->port[i].mode == PORT_TPROXY)
			ntproxy++;
		for (k = i + 1; k < c->nport; k++) {
			const struct cfg_port *a = &c->port[i];
			const struct cfg_port *b = &c->port[k];

			if (cport(a) != cport(b) || (a->mode == b->mode &&
						     a->https == b->https))
				continue;
			dr_add(ST_FAIL, "config.modes", "give each mode its "
			    "own http_port: a tproxy port must receive nothing "
			    "but TPROXY traffic", "port %u is configured for "
			    "two modes: %s (%s:%d) and %s (%s:%d)", cport(a),
			    mode_name(a), a->file, a->line,
			    mode_name(b), b->file, b->line);
			bad = 1;
		}
	}
	if (!bad)
		dr_add(ST_PASS, "config.modes", NULL, "no port is configured "
		    "for two modes");
	if (ntproxy || nhttps)
		dr_add(ST_PASS, "config.tproxy", NULL, "%d tproxy http_port "
		    "and %d tproxy https_port line(s) in %s", ntproxy, nhttps,
		    conf_path);
	else
		dr_add(ST_FAIL, "config.tproxy", "add `http_port 3129 tproxy`",
		    "%s has no `http_port ... tproxy` line", conf_path);
}

/* Add port to out (n so far, max) unless it is there; returns the new n. */
static size_t
add_port(unsigned *out, size_t n, size_t max, unsigned port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (out[i] == port)
			return n;
	if (n < max)
		out[n++] = port;
	return n;
}

size_t
dr_tproxy_ports(const struct plan_opts *o, const struct cfg *c, int f,
	     unsigned *out, size_t max)
{
	size_t i, n = 0, k;

	if (c) {
		for (i = 0; i < c->nport; i++) {
			const struct cfg_port *p = &c->port[i];
			int af = p->addr.ss_family;

			if (p->mode != PORT_TPROXY)
				continue;
			if (!p->wildcard && ((f == PLAN_V4 && af != AF_INET) ||
					     (f == PLAN_V6 && af != AF_INET6)))
				continue;
			n = add_port(out, n, max, cport(p));
		}
	}
	for (k = 0; k < PLAN_NKIND; k++) {
		const struct plan_target *t = plan_map_to(o, k, f);

		if (t)
			n = add_port(out, n, max, t->port);
	}
	return n;
}

int
dr_port_is_https(const struct plan_opts *o, const struct cfg *c,
		 unsigned port)
{
	size_t i;

	if (c)
		for (i = 0; i < c->nport; i++)
			if (c->port[i].mode == PORT_TPROXY &&
			    cport(&c->port[i]) == port)
				return c->port[i].https ? 1 : 0;
	for (i = 0; i < 2; i++) {
		if (o->map[PLAN_HTTPS].to[i].port == port)
			return 1;
		if (o->map[PLAN_HTTP].to[i].port == port)
			return 0;
	}
	return -1;
}
