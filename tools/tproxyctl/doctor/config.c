/*
 * config.c - tproxyd.conf (-f): it loads, it has a tproxy http_port, and no
 * port is configured for two modes. Squid's TPROXY v4 guide,
 * Troubleshooting, "commBind: cannot bind socket ... (99)": ports using the
 * tproxy flag MUST NOT receive traffic for any other mode.
 *
 * Also which tproxy ports the configuration wants (dr_tproxy_ports()), for
 * rules.c and tproxyd.c.
 */
#include <stdio.h>
#include <arpa/inet.h>

#include "config/config-t.h"

#include "checks.h"

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

void
dr_check_config(const struct cfg *c, const char *conf_path,
	     const char *cfg_error)
{
	size_t i, k;
	int ntproxy = 0, bad = 0;

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
		if (c->port[i].mode == PORT_TPROXY)
			ntproxy++;
		for (k = i + 1; k < c->nport; k++) {
			const struct cfg_port *a = &c->port[i];
			const struct cfg_port *b = &c->port[k];

			if (cport(a) != cport(b) || a->mode == b->mode)
				continue;
			dr_add(ST_FAIL, "config.modes", "give each mode its "
			    "own http_port: a tproxy port must receive nothing "
			    "but TPROXY traffic", "port %u is configured for "
			    "two modes: %s (%s:%d) and %s (%s:%d)", cport(a),
			    mode_name(a->mode), a->file, a->line,
			    mode_name(b->mode), b->file, b->line);
			bad = 1;
		}
	}
	if (!bad)
		dr_add(ST_PASS, "config.modes", NULL, "no port is configured "
		    "for two modes");
	if (ntproxy)
		dr_add(ST_PASS, "config.tproxy", NULL, "%d tproxy http_port "
		    "line(s) in %s", ntproxy, conf_path);
	else
		dr_add(ST_FAIL, "config.tproxy", "add `http_port 3129 tproxy`",
		    "%s has no `http_port ... tproxy` line", conf_path);
}

/* Tproxy ports wanted for family f: the configuration's, else o's. */
size_t
dr_tproxy_ports(const struct plan_opts *o, const struct cfg *c, int f,
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
			port = af == AF_INET ?
				ntohs(((const struct sockaddr_in *)
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
