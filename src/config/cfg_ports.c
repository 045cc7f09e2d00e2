/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_ports.c - the listening ports: http_port (the proxy's ports, in
 * forward, NAT interception, TPROXY or accel mode), https_port (TLS
 * interception: tproxy or intercept with ssl-bump, the ssl_bump rules of
 * cfg_tls.c deciding) and stats_port (the Prometheus /metrics endpoint).
 * All fill c->port; the whole-file check is that there is at least one.
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
int
cfg_port_addr(struct cfg_parse *p, const struct tok *t, const char *dname,
	      struct sockaddr_storage *addr, socklen_t *addrlen,
	      int *wildcard)
{
	const char *s = t->s, *colon, *ps;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)addr;
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
		*wildcard = 1;
		memset(addr, 0, sizeof(*addr));
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)pn);
		*addrlen = sizeof(*s6);
		return 0;
	}
	alen = (size_t)(colon - s);
	k = cfg_host_sockaddr(p, t, dname, s, alen, (unsigned)pn, AF_UNSPEC,
			      addr, addrlen, &all);
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

/* The directive of an earlier port line, for "already used" messages. */
static const char *
port_dname(const struct cfg_port *q)
{
	if (q->mode == PORT_STATS)
		return "stats_port";
	return q->https ? "https_port" : "http_port";
}

/*
 * Options of Squid's *_port lines that configure the TLS server side of a
 * port: the certificate and key it would present, the protocol versions,
 * ciphers and options, the CA files, the generation of mimicked
 * certificates. They matter only when a port decrypts (ssl_bump bump);
 * those tproxyd does not apply get one warning per line that lists them.
 */
static int
tls_server_option(const char *o)
{
	static const char *const prefix[] = {
		"cert=", "key=", "tls-", "generate-host-certificates",
		"dynamic_cert_mem_cache_size=", "version=", "options=",
		"cipher=", "clientca=", "cafile=", "capath=", "crlfile=",
		"dhparams=", "sslflags=", "sslcontext=",
	};
	size_t i;

	for (i = 0; i < CFG_NELEM(prefix); i++)
		if (strncmp(o, prefix[i], strlen(prefix[i])) == 0)
			return 1;
	return 0;
}

/*
 * The TLS server options tproxyd applies when the port bumps: 1 when o is
 * one of them (stored in q), 0 when it is another, -1 after reporting a
 * bad value. Squid's defaults: generate-host-certificates on, a 4 MB
 * certificate cache.
 */
static int
tls_applied_option(struct cfg_parse *p, const struct tok *t,
		   struct cfg_port *q, const char *dname)
{
	const char *o = t->s, *v = strchr(o, '=');
	size_t sz;
	int on;

	if (v == NULL)
		return strcmp(o, "generate-host-certificates") == 0 ?
		       (q->gen_certs = 1) : 0;
	v++;
	if (strncmp(o, "options=", 8) == 0 || strncmp(o, "tls-options=", 12)
	    == 0) {
		q->tls_options = ar_strdup(p->ar, v);
		return 1;
	}
	if (strncmp(o, "cipher=", 7) == 0) {
		q->tls_ciphers = ar_strdup(p->ar, v);
		return 1;
	}
	if (strncmp(o, "tls-min-version=", 16) == 0) {
		if (strcmp(v, "1.0") == 0 || strcmp(v, "1.1") == 0 ||
		    strcmp(v, "1.2") == 0 || strcmp(v, "1.3") == 0) {
			q->tls_min = 0x0300 + (v[2] - '0') + 1;
			return 1;
		}
		cfg_err(p, t, "%s: tls-min-version=%s: expected 1.0, 1.1, "
			"1.2 or 1.3", dname, v);
		return -1;
	}
	if (strncmp(o, "generate-host-certificates=", 27) == 0) {
		on = strcmp(v, "on") == 0 ? 1 : strcmp(v, "off") == 0 ? 0 : -1;
		if (on < 0) {
			cfg_err(p, t, "%s: generate-host-certificates=%s: "
				"expected on or off", dname, v);
			return -1;
		}
		q->gen_certs = on;
		return 1;
	}
	if (strncmp(o, "dynamic_cert_mem_cache_size=", 28) == 0) {
		if (cfg_parse_size_word(v, &sz) < 0) {
			cfg_err(p, t, "%s: %s: expected a size such as 4MB",
				dname, o);
			return -1;
		}
		q->cert_mem = sz;
		return 1;
	}
	return 0;
}

/* Append "NAME" (an option up to its '=') to the list in buf. */
static void
list_option(char *buf, size_t size, const char *o)
{
	size_t len = strlen(buf), n = strcspn(o, "=");

	if (len + n + 4 >= size)
		return;
	snprintf(buf + len, size - len, "%s%.*s%s", len > 0 ? ", " : "",
		 (int)n, o, o[n] == '=' ? "=" : "");
}

/*
 * The rules Squid applies to https_port (cache_cf.cc, parsePortCfg), and
 * the one tproxyd adds: it decrypts only intercepted TLS (ssl_bump bump),
 * so the only https_port it serves is an intercepting one with ssl-bump.
 * 0, or -1 after reporting.
 */
static int
https_port_mode(struct cfg_parse *p, const struct tok *t,
		const struct tok *bump, const struct tok *intc,
		const struct tok *ac, const struct tok *rph)
{
	if (rph != NULL) {
		cfg_err(p, rph, "https_port: require-proxy-header is not "
			"possible on an https_port (Squid refuses it too)");
		return -1;
	}
	if (bump != NULL && intc != NULL)
		return 0;
	if (bump != NULL) {
		cfg_err(p, bump, "https_port: 'ssl-bump' needs 'tproxy' or "
			"'intercept' on the same line (Squid refuses it too): "
			"the ssl_bump rules decide about intercepted "
			"connections");
		return -1;
	}
	if (intc != NULL) {
		cfg_err(p, intc, "https_port: '%s' needs 'ssl-bump' on the "
			"same line (Squid refuses it too): the ssl_bump rules "
			"decide what happens to intercepted TLS connections",
			intc->s);
		return -1;
	}
	cfg_err(p, ac != NULL ? ac : &t[1], "https_port: a port where "
		"clients' TLS ends with this proxy's own certificate (%s) is "
		"not supported by tproxyd: it handles intercepted TLS "
		"only; write 'https_port PORT tproxy ssl-bump' (or "
		"intercept) for intercepted HTTPS",
		ac != NULL ? "accel: an HTTPS reverse proxy" :
		"a forward proxy reached over TLS");
	return -1;
}

/*
 * http_port and https_port: [ADDR:]PORT [tproxy|intercept|transparent|
 * accel] [ssl-bump] [name=NAME] [cert=FILE] [key=FILE] [options]. Squid
 * options that change nothing here (vhost, connection-auth=off, ...) are
 * warned about and ignored, so that squid.conf lines load unchanged; the
 * TLS server options get one warning per line. https_port (https != 0)
 * also needs ssl-bump with tproxy or intercept (https_port_mode()).
 */
static void
set_port(struct cfg_parse *p, const struct tok *t, size_t n, int https)
{
	struct cfg_port port, *q;
	const struct tok *tp = NULL, *ic = NULL, *tr = NULL, *ac = NULL;
	const struct tok *bump = NULL, *rph = NULL, *first_tls = NULL;
	const char *dname = t[0].s;
	char tls[256] = "";
	size_t i;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	memset(&port, 0, sizeof(port));
	port.gen_certs = 1;
	port.cert_mem = 4u << 20;
	if (cfg_port_addr(p, &t[1], dname, &port.addr, &port.addrlen,
			  &port.wildcard) < 0)
		return;
	for (i = 2; i < n; i++) {
		if (strcmp(t[i].s, "tproxy") == 0) {
			tp = &t[i];
		} else if (strcmp(t[i].s, "intercept") == 0) {
			ic = &t[i];
		} else if (strcmp(t[i].s, "transparent") == 0) {
			tr = &t[i];
		} else if (strcmp(t[i].s, "accel") == 0) {
			ac = &t[i];
		} else if (strncmp(t[i].s, "name=", 5) == 0 &&
			   t[i].s[5] != '\0') {
			port.name = ar_strdup(p->ar, t[i].s + 5);
		} else if (strcmp(t[i].s, "ssl-bump") == 0) {
			bump = &t[i];
		} else if (strcmp(t[i].s, "sslBump") == 0) {
			cfg_warn(p, &t[i], "%s: 'sslBump' is deprecated; use "
				 "'ssl-bump' instead (read as ssl-bump)",
				 dname);
			bump = &t[i];
		} else if (strcmp(t[i].s, "require-proxy-header") == 0 &&
			   https) {
			rph = &t[i];
		} else if (tls_server_option(t[i].s)) {
			/* For bumping; Squid's key defaults to the cert=
			 * file. The first of each. */
			if (strncmp(t[i].s, "cert=", 5) == 0 ||
			    strncmp(t[i].s, "tls-cert=", 9) == 0) {
				if (port.cert == NULL)
					port.cert = ar_strdup(p->ar,
					    strchr(t[i].s, '=') + 1);
				continue;
			}
			if (strncmp(t[i].s, "key=", 4) == 0 ||
			    strncmp(t[i].s, "tls-key=", 8) == 0) {
				if (port.key == NULL)
					port.key = ar_strdup(p->ar,
					    strchr(t[i].s, '=') + 1);
				continue;
			}
			switch (tls_applied_option(p, &t[i], &port, dname)) {
			case 1:
				continue;
			case -1:
				return;
			}
			list_option(tls, sizeof(tls), t[i].s);
			if (first_tls == NULL)
				first_tls = &t[i];
		} else {
			cfg_warn(p, &t[i], "%s: option '%s' is not "
				 "supported by tproxyd; ignored", dname,
				 t[i].s);
		}
	}
	if (tp != NULL && ic != NULL) {
		cfg_err(p, ic, "%s: 'tproxy' and 'intercept' cannot be "
			"used on the same port (TPROXY keeps the original "
			"destination on the socket; NAT interception rewrites "
			"it): use two %s lines", dname, dname);
		return;
	}
	if (ac != NULL && (tp != NULL || ic != NULL || tr != NULL)) {
		cfg_err(p, ac, "%s: 'accel' cannot be combined with '%s'",
			dname, (tp ? tp : ic ? ic : tr)->s);
		return;
	}
	if (tp != NULL && tr != NULL) {
		cfg_warn(p, tr, "%s: 'transparent tproxy' is old "
			 "Balabit advice for TPROXY v2; 'transparent' means "
			 "NAT interception and would make tproxyd look up "
			 "SO_ORIGINAL_DST on a TPROXY socket; treating this "
			 "port as 'tproxy' only", dname);
		tr = NULL;
	}
	if (https && https_port_mode(p, t, bump, tp ? tp : ic ? ic : tr, ac,
				     rph) < 0)
		return;
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
	if (https) {
		port.https = 1;
		port.ssl_bump = 1;
	} else if (bump != NULL && (tp != NULL || ic != NULL || tr != NULL)) {
		/* Squid loads it, but its ssl_bump rules apply there only to
		 * CONNECT requests, which intercepted clients do not send:
		 * HTTPS sent to such a port would not be decrypted as the
		 * operator expects. */
		cfg_err(p, bump, "http_port: 'ssl-bump' cannot be used with "
			"'%s': intercepted clients send no CONNECT requests, "
			"so the ssl_bump rules would never apply here; for "
			"intercepted HTTPS write 'https_port PORT %s "
			"ssl-bump' (for clients configured to use the proxy, "
			"'http_port PORT ssl-bump' without '%s')",
			(tp ? tp : ic ? ic : tr)->s, tp ? "tproxy" :
			"intercept", (tp ? tp : ic ? ic : tr)->s);
		return;
	} else if (bump != NULL) {
		/* The CONNECT requests of a forward port follow the
		 * ssl_bump rules (proxy/peek.c). */
		port.ssl_bump = 1;
	}
	if (port.key == NULL)
		port.key = port.cert;
	if (first_tls != NULL)
		cfg_warn(p, first_tls, "%s: %s: not applied by tproxyd when "
			 "it decrypts (ssl_bump bump); ignored", dname, tls);
	for (i = 0; i < p->c->nport; i++) {
		q = &p->c->port[i];
		if (same_addr(&q->addr, &port.addr)) {
			cfg_err(p, &t[1], "%s: '%s' is already used by the "
				"%s at %s:%d", dname, t[1].s, port_dname(q),
				q->file, q->line);
			return;
		}
	}
	if (port.name == NULL)
		port.name = ar_strdup(p->ar, t[1].s);
	port.file = t[0].file;
	port.line = t[0].line;
	*AR_PUSH(p->ar, p->c->port, p->c->nport) = port;
}

static void
set_http_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_port(p, t, n, 0);
}

static void
set_https_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_port(p, t, n, 1);
}

/*
 * stats_port [ADDR:]PORT [log]: the Prometheus /metrics endpoint. Without
 * an address it listens on 127.0.0.1 only: metrics are not for the world.
 * Scrapes are not client traffic: access_log has them only with "log".
 */
static void
set_stats_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_port port;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&port.addr;
	unsigned pn;
	size_t i;

	if (cfg_nargs(p, t, n, 1, 2) < 0)
		return;
	memset(&port, 0, sizeof(port));
	if (cfg_port_addr(p, &t[1], t[0].s, &port.addr, &port.addrlen,
			  &port.wildcard) < 0)
		return;
	if (n == 3) {
		if (strcmp(t[2].s, "log") != 0) {
			cfg_err(p, &t[2], "stats_port: unknown option '%s' "
				"(the only one is 'log': write scrapes to "
				"access_log)", t[2].s);
			return;
		}
		port.log_scrapes = 1;
	}
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
				"the %s at %s:%d", t[1].s,
				port_dname(&p->c->port[i]),
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
	{ "https_port",			set_https_port },
	{ "stats_port",			set_stats_port },
};

const struct cfg_dirtab cfg_dirs_ports = {
	.module		= "ports",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.finish		= ports_finish,
};
