/*
 * cfg_ports.c - the listening ports: http_port (the proxy's ports, in
 * forward, NAT interception, TPROXY or accel mode) and stats_port (the
 * Prometheus /metrics endpoint). Both fill c->port; the whole-file check
 * is that there is at least one.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

/* Same family, address and port. */
static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

/*
 * Split "[ADDR:]PORT" and fill port->addr; 0 or -1 after reporting. ADDR
 * may be a host name, resolved now: like Squid, the port listens on the
 * name's first address only (the others are named in a warning).
 */
static int
port_addr(struct cfg_parse *p, const struct tok *t, const char *dname,
	  struct cfg_port *port)
{
	const char *s = t->s, *colon, *ps;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&port->addr;
	struct sockaddr_storage *all;
	unsigned long pn;
	size_t alen;
	int k;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (colon == NULL) {
			cfg_err(p, t, "%s: invalid address '%s' "
				"(expected [IPv6]:PORT)", dname, s);
			return -1;
		}
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon) {
			cfg_err(p, t, "%s: invalid address '%s' (IPv6 "
				"addresses need brackets: [::1]:3128)", dname,
				s);
			return -1;
		}
	}
	ps = colon != NULL ? colon + 1 : s;
	if (cfg_number(ps, 1, 65535, &pn) < 0) {
		cfg_err(p, t, "%s: invalid port '%s'", dname, ps);
		return -1;
	}
	if (colon == NULL) {
		/* No address: the listener opens [::]:PORT with IPV6_V6ONLY
		 * off (or two sockets), so both families are served. */
		port->wildcard = 1;
		memset(&port->addr, 0, sizeof(port->addr));
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)pn);
		port->addrlen = sizeof(*s6);
		return 0;
	}
	alen = (size_t)(colon - s);
	k = cfg_host_sockaddr(p, t, dname, s, alen, (unsigned)pn, AF_UNSPEC,
			      &port->addr, &port->addrlen, &all);
	if (k == 0)
		return -1;
	if (k < 0) {
		cfg_err(p, t, "%s: invalid address '%.*s' (expected an IPv4 "
			"address, [IPv6] or a host name)", dname, (int)alen,
			s);
		return -1;
	}
	cfg_warn_first(p, t, dname, s, alen, all, k, "listening on",
		       " (add a line for each other address to listen "
		       "there too)");
	return 0;
}

/*
 * http_port [ADDR:]PORT [tproxy|intercept|transparent|accel] [name=NAME]
 * [options]. Squid options that change nothing here (ssl-bump, vhost, ...)
 * are warned about and ignored, so that squid.conf lines load unchanged.
 */
static void
set_http_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_port port, *q;
	const struct tok *tp = NULL, *ic = NULL, *tr = NULL, *ac = NULL;
	size_t i;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	memset(&port, 0, sizeof(port));
	if (port_addr(p, &t[1], t[0].s, &port) < 0)
		return;
	for (i = 2; i < n; i++) {
		if (strcmp(t[i].s, "tproxy") == 0)
			tp = &t[i];
		else if (strcmp(t[i].s, "intercept") == 0)
			ic = &t[i];
		else if (strcmp(t[i].s, "transparent") == 0)
			tr = &t[i];
		else if (strcmp(t[i].s, "accel") == 0)
			ac = &t[i];
		else if (strncmp(t[i].s, "name=", 5) == 0 && t[i].s[5] != '\0')
			port.name = ar_strdup(p->ar, t[i].s + 5);
		else
			cfg_warn(p, &t[i], "http_port: option '%s' is not "
				 "supported by tproxyd; ignored", t[i].s);
	}
	if (tp != NULL && ic != NULL) {
		cfg_err(p, ic, "http_port: 'tproxy' and 'intercept' cannot be "
			"used on the same port (TPROXY keeps the original "
			"destination on the socket; NAT interception rewrites "
			"it): use two http_port lines");
		return;
	}
	if (ac != NULL && (tp != NULL || ic != NULL || tr != NULL)) {
		cfg_err(p, ac, "http_port: 'accel' cannot be combined with "
			"'%s'", (tp ? tp : ic ? ic : tr)->s);
		return;
	}
	if (tp != NULL && tr != NULL) {
		cfg_warn(p, tr, "http_port: 'transparent tproxy' is old "
			 "Balabit advice for TPROXY v2; 'transparent' means "
			 "NAT interception and would make tproxyd look up "
			 "SO_ORIGINAL_DST on a TPROXY socket; treating this "
			 "port as 'tproxy' only");
		tr = NULL;
	}
	if (tp != NULL) {
		port.mode = PORT_TPROXY;
		p->c->tproxy = 1;
	} else if (ic != NULL || tr != NULL) {
		port.mode = PORT_INTERCEPT;
	} else if (ac != NULL) {
		cfg_warn(p, ac, "http_port: 'accel' (reverse proxy) is not "
			 "implemented by tproxyd yet: this port serves as a "
			 "forward proxy (absolute-form requests only)");
		port.mode = PORT_ACCEL;
	} else {
		port.mode = PORT_FORWARD;
	}
	for (i = 0; i < p->c->nport; i++) {
		q = &p->c->port[i];
		if (same_addr(&q->addr, &port.addr)) {
			cfg_err(p, &t[1], "http_port: '%s' is already used by "
				"the http_port at %s:%d", t[1].s, q->file,
				q->line);
			return;
		}
	}
	if (port.name == NULL)
		port.name = ar_strdup(p->ar, t[1].s);
	port.file = t[0].file;
	port.line = t[0].line;
	*AR_PUSH(p->ar, p->c->port, p->c->nport) = port;
}

/*
 * stats_port [ADDR:]PORT: the Prometheus /metrics endpoint. Without an
 * address it listens on 127.0.0.1 only: metrics are not for the world.
 */
static void
set_stats_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_port port;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&port.addr;
	unsigned pn;
	size_t i;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	memset(&port, 0, sizeof(port));
	if (port_addr(p, &t[1], t[0].s, &port) < 0)
		return;
	if (port.wildcard) {
		pn = ntohs(((struct sockaddr_in6 *)&port.addr)->sin6_port);
		memset(&port.addr, 0, sizeof(port.addr));
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_port = htons((uint16_t)pn);
		port.addrlen = sizeof(*s4);
		port.wildcard = 0;
	}
	for (i = 0; i < p->c->nport; i++) {
		if (same_addr(&p->c->port[i].addr, &port.addr)) {
			cfg_err(p, &t[1], "stats_port: '%s' is already used by "
				"the http_port at %s:%d", t[1].s,
				p->c->port[i].file, p->c->port[i].line);
			return;
		}
	}
	port.mode = PORT_STATS;
	port.name = ar_strdup(p->ar, "stats");
	port.file = t[0].file;
	port.line = t[0].line;
	*AR_PUSH(p->ar, p->c->port, p->c->nport) = port;
}

/* Checks that need the whole file. */
/*
 * Checks that need the whole file. A file without http_port loads, as in
 * Squid (packaged files such as OpenWrt's get their port from the init
 * script); the daemon refuses to start or reload with it
 * (cfg_http_ports()).
 */
static void
ports_finish(struct cfg_parse *p)
{
	if (cfg_http_ports(p->c) == 0)
		cfg_warn(p, NULL, "no http_port configured: tproxyd will not "
			 "start with this file");
}

size_t
cfg_http_ports(const struct cfg *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nport; i++)
		n += c->port[i].mode != PORT_STATS;
	return n;
}

static const struct cfg_dir dirs[] = {
	{ "http_port",			set_http_port },
	{ "ascii_port",			set_http_port },
	{ "stats_port",			set_stats_port },
};

const struct cfg_dirtab cfg_dirs_ports = {
	.module		= "ports",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.finish		= ports_finish,
};
