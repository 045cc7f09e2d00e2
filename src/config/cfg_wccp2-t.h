/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_wccp2-t.h - types of the WCCPv2 settings (cfg_wccp2.c: the wccp2_*
 * directives), struct cfg's member wccp2. Read by src/wccp/.
 */
#ifndef TPROXYD_CONFIG_CFG_WCCP2_T_H
#define TPROXYD_CONFIG_CFG_WCCP2_T_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * WCCPv2 (issue 8): wccp2_service standard 0 | dynamic N [password=...],
 * completed for dynamic services by wccp2_service_info N ...
 */
struct cfg_wccp2_service {
	int             dynamic;	/* 0: standard service (id 0) */
	unsigned        id;		/* 0..255 */
	char           *password;	/* NULL: no security; else MD5 key */
	int             has_info;	/* a wccp2_service_info line was seen */
	unsigned        protocol;	/* IPPROTO_TCP or IPPROTO_UDP */
	unsigned        flags;		/* service flags, wire values */
	unsigned        priority;	/* 0..255 */
	unsigned        ports[8];	/* 0: unused */
	const char     *file;
	int             line;
};

/* The wccp2_* directives; methods use the wire values (= Squid's
 * numeric forms): 1 GRE / hash, 2 L2 / mask. */
struct cfg_wccp2 {
	struct sockaddr_storage *router;	/* wccp2_router, port 2048 */
	size_t          nrouter;
	struct sockaddr_storage address;	/* wccp2_address (any) */
	unsigned        forwarding_method;
	unsigned        return_method;
	unsigned        assignment_method;
	struct cfg_wccp2_service *service;
	size_t          nservice;
	unsigned        weight;			/* wccp2_weight, 0..65535 */
	int             rebuild_wait;		/* default on */
};

#endif
