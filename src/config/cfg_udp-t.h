/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_udp-t.h - types of the UDP interception directives (cfg_udp.c):
 * udp_port, the flow idle timeouts and limits, udp_access and
 * udp_quic_access; struct cfg's member udp. Read by src/udp/.
 */
#ifndef TPROXYD_CONFIG_CFG_UDP_T_H
#define TPROXYD_CONFIG_CFG_UDP_T_H

#include <sys/socket.h>

#include "acl/acl-t.h"

/* udp_port [ADDR:]PORT tproxy [name=NAME]. */
struct cfg_udp_port {
	struct sockaddr_storage addr;	/* port set; any address when the
					   line named none */
	socklen_t       addrlen;
	int             wildcard;	/* no ADDR: IPv4 and IPv6 */
	char           *name;		/* name=, default "PORT" or
					   "ADDR:PORT" */
	const char     *file;
	int             line;
};

struct cfg_udp {
	struct cfg_udp_port *port;
	size_t          nport;
	double          idle;		/* udp_idle_timeout, seconds */
	double          dns_idle;	/* udp_dns_idle_timeout (port 53) */
	double          quic_idle;	/* udp_quic_idle_timeout (QUIC) */
	unsigned long   per_client;	/* udp_flows_per_client; 0: none */
	unsigned long   max;		/* udp_flows_max; 0: none */
	struct access_list access;	/* udp_access: empty allows all */
	struct access_list quic_access;	/* udp_quic_access: empty allows */
};

#endif
