/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_udp.c - UDP interception (src/udp/): udp_port ... tproxy
 * (tproxyd's own form, written in the style of Squid's http_port; the
 * directive table entry is cfg_sibling.c's, where udp_port without
 * tproxy is Squid's icp_port), the idle
 * timeouts of a flow per protocol, the flow limits, udp_access (who may
 * send datagrams through, decided on a flow's first datagram) and
 * udp_quic_access (the same for QUIC flows once the client's name, the
 * SNI of its Initial packets, is known).
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
 * udp_port [ADDR:]PORT tproxy [name=NAME]: datagrams that netfilter's
 * TPROXY target delivers to PORT, for any destination. tproxy is the only
 * mode (NAT cannot give a datagram's original destination back). The
 * word is what tells this line from Squid's udp_port, another name of
 * icp_port (cfg_sibling.c dispatches).
 */
void
cfg_udp_port_line(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_udp_port port;
	const struct tok *tp = NULL;
	char buf[INET6_ADDRSTRLEN + 8];
	size_t i;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	memset(&port, 0, sizeof(port));
	if (cfg_port_addr(p, &t[1], t[0].s, &port.addr, &port.addrlen,
			  &port.wildcard) < 0)
		return;
	for (i = 2; i < n; i++) {
		if (strcmp(t[i].s, "tproxy") == 0) {
			tp = &t[i];
		} else if (strncmp(t[i].s, "name=", 5) == 0 &&
			   t[i].s[5] != '\0') {
			port.name = ar_strdup(p->ar, t[i].s + 5);
		} else {
			cfg_err(p, &t[i], "udp_port: unknown option '%s' "
				"(expected tproxy or name=NAME)", t[i].s);
			return;
		}
	}
	if (tp == NULL) {
		cfg_err(p, &t[1], "udp_port: 'tproxy' is missing (UDP is "
			"intercepted with TPROXY only: udp_port %s tproxy)",
			t[1].s);
		return;
	}
	for (i = 0; i < p->c->udp.nport; i++) {
		if (same_addr(&p->c->udp.port[i].addr, &port.addr)) {
			cfg_err(p, &t[1], "udp_port: '%s' is already used by "
				"the udp_port at %s:%d", t[1].s,
				p->c->udp.port[i].file,
				p->c->udp.port[i].line);
			return;
		}
	}
	if (port.name == NULL) {
		snprintf(buf, sizeof(buf), "%s", t[1].s);
		port.name = ar_strdup(p->ar, buf);
	}
	port.file = t[0].file;
	port.line = t[0].line;
	p->c->tproxy = 1;	/* keep the capability IP_TRANSPARENT needs */
	*AR_PUSH(p->ar, p->c->udp.port, p->c->udp.nport) = port;
}

/* The three idle timeouts: a time with a unit, more than 0 and at most a
 * day (a flow holds two descriptors while it waits). */
static void
set_udp_time(struct cfg_parse *p, const struct tok *t, size_t n, double *out)
{
	double v = -1;

	cfg_set_time(p, t, n, &v);
	if (v < 0)
		return;		/* reported */
	if (v < 0.001 || v > 86400) {
		cfg_err(p, &t[1], "%s: '%s' is out of range (more than 0, "
			"at most 1 day)", t[0].s, t[1].s);
		return;
	}
	*out = v;
}

static void
set_udp_idle(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_udp_time(p, t, n, &p->c->udp.idle);
}

static void
set_udp_dns_idle(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_udp_time(p, t, n, &p->c->udp.dns_idle);
}

static void
set_udp_quic_idle(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_udp_time(p, t, n, &p->c->udp.quic_idle);
}

/* udp_flows_per_client N / udp_flows_max N; 0: no limit. */
static void
set_udp_per_client(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (cfg_int_line(p, t, n, 0, 1000000, "0 (no limit) to 1000000",
			 &v) == 0)
		p->c->udp.per_client = v;
}

static void
set_udp_max(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (cfg_int_line(p, t, n, 0, 10000000, "0 (no limit) to 10000000",
			 &v) == 0)
		p->c->udp.max = v;
}

static void
set_udp_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->udp.access);
}

static void
set_udp_quic_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->udp.quic_access);
}

/* A DNS exchange is one datagram each way: a short timeout frees the
 * flow soon. QUIC's idle timeout is negotiated by the endpoints (often
 * 30 s, with keep-alive PINGs before it): ours must be longer. */
static void
udp_defaults(struct cfg_parse *p)
{
	p->c->udp.idle = 60;
	p->c->udp.dns_idle = 10;
	p->c->udp.quic_idle = 120;
}

static const struct cfg_dir dirs[] = {
	{ "udp_idle_timeout",		set_udp_idle },
	{ "udp_dns_idle_timeout",	set_udp_dns_idle },
	{ "udp_quic_idle_timeout",	set_udp_quic_idle },
	{ "udp_flows_per_client",	set_udp_per_client },
	{ "udp_flows_max",		set_udp_max },
	{ "udp_access",			set_udp_access },
	{ "udp_quic_access",		set_udp_quic_access },
};

const struct cfg_dirtab cfg_dirs_udp = {
	.module		= "udp",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= udp_defaults,
};
