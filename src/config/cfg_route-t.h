/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_route-t.h - types of the routing settings (cfg_route.c:
 * tcp_outgoing_address, cache_peer), part of struct cfg.
 */
#ifndef TPROXYD_CONFIG_CFG_ROUTE_T_H
#define TPROXYD_CONFIG_CFG_ROUTE_T_H

#include <stddef.h>
#include <sys/socket.h>

#include "acl/acl-t.h"

/* tcp_outgoing_address ADDR [acl...] */
struct cfg_outgoing {
	struct sockaddr_storage addr;	/* port 0 */
	socklen_t       addrlen;
	size_t          nref;
	struct acl_ref *ref;
};

/* cache_peer HOST parent|sibling HTTP_PORT ICP_PORT [options] */
struct cfg_peer {
	char           *host;
	char           *name;		/* name=, default host */
	unsigned        port;
	int             no_tproxy;	/* do not spoof toward this peer */
	int             sibling;	/* a sibling: asked (ICP or HTCP)
					   on a miss, fetched from only when
					   it has the object; never a route
					   of its own */
	unsigned        icp_port;	/* ICP_PORT (0: not queried by
					   ICP); with htcp, the HTCP port */
	int             htcp;		/* htcp: queried by HTCP */
	int             no_query;	/* no-query: never asked */
	int             proxy_only;	/* proxy-only: what it sends is not
					   stored here */
	struct access_list access;	/* cache_peer_access NAME ... */
	const char     *file;
	int             line;
};

#endif
