/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_delay-t.h - delay pools (cfg_delay.c: delay_pools, delay_class,
 * delay_parameters, delay_access, delay_initial_bucket_level,
 * delay_pool_uses_indirect_client, client_delay_pools,
 * client_delay_parameters, client_delay_access,
 * client_delay_initial_bucket_level), part of struct cfg. Applied by
 * src/proxy/delay.c with the buckets of src/delay/.
 */
#ifndef TPROXYD_CONFIG_CFG_DELAY_T_H
#define TPROXYD_CONFIG_CFG_DELAY_T_H

#include <stddef.h>

#include "acl/acl-t.h"
#include "delay/delay-t.h"

/*
 * One pool of delay_pools. The buckets (*dp) are the one part of a loaded
 * configuration that changes while it serves: they are reached through a
 * pointer so that a const struct cfg still lets a transfer draw from
 * them, and they are freed with the configuration.
 */
struct cfg_delay_pool {
	struct delay_pool  *dp;		/* class, rates, buckets */
	struct access_list  access;	/* delay_access: default deny */
	int                 rates_set;	/* a delay_parameters line */
};

/* One pool of client_delay_pools. */
struct cfg_cdelay_pool {
	struct delay_cpool *cp;
	struct access_list  access;	/* client_delay_access */
	int                 rates_set;	/* a client_delay_parameters line */
};

struct cfg_delay {
	size_t                  npool;		/* delay_pools */
	struct cfg_delay_pool  *pool;
	unsigned                initial;	/* percent, default 50 */
	int                     uses_indirect;	/* default on */
	size_t                  ncpool;		/* client_delay_pools */
	struct cfg_cdelay_pool *cpool;
	unsigned                cinitial;	/* percent, default 50 */
};

#endif
