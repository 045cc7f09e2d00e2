/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sibling_cfg.c - struct sib_opts from the configuration: the settings of
 * cfg_cache-t.h (icp_port, htcp_port, icp_access, htcp_access,
 * htcp_clr_access, icp_query_timeout and its bounds) and one struct
 * sib_peer per "cache_peer ... sibling" line (cfg_route-t.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-t.h"
#include "proxy/sibling.h"

/* host:port into ss when host is an IPv4 or IPv6 literal (brackets
 * allowed). Returns the address length, or 0 for a name. */
static socklen_t
literal(const char *host, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char buf[64];
	size_t n = strlen(host);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return sizeof(*s4);
	}
	if (n >= 2 && n < sizeof(buf) + 1 && host[0] == '[' &&
	    host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return sizeof(*s6);
	}
	memset(ss, 0, sizeof(*ss));
	return 0;
}

int
sib_opts_from_cfg(struct sib_opts *o, const struct cfg *c,
		  struct sib_peer **peersp)
{
	const struct cfg_cache *cc = &c->cache;
	struct sib_peer *pe;
	size_t i, n = 0;

	memset(o, 0, sizeof(*o));
	*peersp = NULL;
	o->icp_port = cc->icp_port;
	o->htcp_port = cc->htcp_port;
	o->icp_access = &cc->icp_access;
	o->htcp_access = &cc->htcp_access;
	o->htcp_clr_access = &cc->htcp_clr_access;
	o->query_timeout = cc->icp_query_timeout;
	o->timeout_min = cc->icp_query_timeout_min;
	o->timeout_max = cc->icp_query_timeout_max;
	for (i = 0; i < c->npeer; i++)
		n += c->peer[i].sibling != 0;
	if (n == 0)
		return 0;
	pe = calloc(n, sizeof(*pe));
	if (pe == NULL)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < c->npeer; i++) {
		const struct cfg_peer *cp = &c->peer[i];

		if (!cp->sibling)
			continue;
		pe[n].name = cp->name != NULL ? cp->name : cp->host;
		pe[n].htcp = cp->htcp;
		/* ICP_PORT 0: Squid never pings such a peer. */
		pe[n].no_query = cp->no_query || cp->icp_port == 0;
		pe[n].data = (void *)(uintptr_t)i;
		pe[n].addrlen = literal(cp->host, cp->icp_port, &pe[n].addr);
		n++;
	}
	o->peers = pe;
	o->npeers = n;
	*peersp = pe;
	return (int)n;
}
