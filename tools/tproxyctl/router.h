/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * router.h - the rules for the router in front of a proxy box (`tproxyctl
 * setup --behind-router`): printed for the operator, never run.
 */
#ifndef TPROXYCTL_ROUTER_H
#define TPROXYCTL_ROUTER_H

#include <net/if.h>
#include <netinet/in.h>

#include "plan.h"
#include "util.h"

struct router_opts {
	int  on;			/* --behind-router given */
	char addr4[INET6_ADDRSTRLEN];	/* proxy box, as the router */
	char addr6[INET6_ADDRSTRLEN];	/* reaches it ("": none) */
	char wan[IFNAMSIZ];		/* router's Internet side */
	int  tos;			/* tcp_outgoing_tos, -1: unset */
};

/*
 * Check r against o (an address per family set up, a WAN interface, a TOS
 * that is not 0). Returns 0, or -1 with a message in err.
 */
int router_check(const struct router_opts *r, const struct plan_opts *o,
		 char *err, size_t errlen);

/* The router's side as shell text for an administrator, after a comment
 * saying where it runs and why. Pure. */
void router_render(const struct router_opts *r, const struct plan_opts *o,
		   struct sbuf *out);

#endif
