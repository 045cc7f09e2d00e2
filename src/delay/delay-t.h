/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * delay-t.h - Squid's delay pools: token buckets that limit how fast
 * bytes move (delay_pools, delay_class, delay_parameters; the buckets of
 * client_delay_pools). Types only; the logic is in delay.c, pure: the
 * caller passes the time, so the unit test drives it with a fake clock.
 *
 * A bucket holds up to max bytes and gains restore bytes per second; a
 * transfer may move as many bytes as the emptiest of its buckets holds,
 * and those bytes are taken from each of them. Buckets are refilled when
 * they are used, from the time elapsed since their last use: no timer
 * walks the buckets, and a pool's memory is fixed when it is configured.
 */
#ifndef TPROXYD_DELAY_DELAY_T_H
#define TPROXYD_DELAY_DELAY_T_H

#include <stdint.h>

/* restore/max of one kind of bucket; restore < 0 ("none", or any value
 * written with a leading '-' as in Squid): that kind does not limit. */
struct delay_spec {
	int64_t restore;	/* bytes added per second */
	int64_t max;		/* bytes the bucket holds at most */
};

/* One bucket. stamp 0: not used yet (its first use fills it to the
 * pool's initial level); callers' clocks start after 0. */
struct delay_bucket {
	double level;		/* bytes; may go below 0 by a rounding */
	double stamp;		/* when level was last brought up to date */
};

/* Buckets of the individual hosts (class 2: by the last octet of the
 * IPv4 address) and networks (class 3: by the third octet; its hosts by
 * the last two). */
#define DELAY_HOSTS2	256
#define DELAY_NETS3	256
#define DELAY_HOSTS3	65536

/*
 * One pool of delay_pools (class 1, 2 or 3; Squid's classes 4 and 5,
 * by user name and by helper tag, are refused when the configuration is
 * read). Made by the configuration (src/config/cfg_delay.c) in its own
 * memory, zeroed: its buckets are the only part of a loaded
 * configuration that changes, and they live as long as the
 * configuration does (a reconfigure starts new pools at the initial
 * level, as Squid does).
 */
struct delay_pool {
	int                  cls;	/* 1, 2 or 3 */
	unsigned             initial;	/* delay_initial_bucket_level (%) */
	struct delay_spec    agg;	/* aggregate */
	struct delay_spec    net;	/* class 3: each network */
	struct delay_spec    host;	/* class 2 and 3: each host */
	struct delay_bucket  aggb;
	struct delay_bucket *netb;	/* class 3: DELAY_NETS3 */
	struct delay_bucket *hostb;	/* class 2: DELAY_HOSTS2, class 3:
					   DELAY_HOSTS3 */
};

/* Which buckets of a pool one transfer draws from (delay_id_make()).
 * Up to three buckets. */
#define DELAY_MAXB	3

struct delay_id {
	int                  nb;	/* 0: not limited */
	struct delay_bucket *b[DELAY_MAXB];
	const struct delay_spec *spec[DELAY_MAXB];
	unsigned             initial;	/* level of a first use (%) */
};

/*
 * One pool of client_delay_pools: each client address has its own bucket
 * (Squid never pools clients of different addresses together), kept in a
 * table of DELAY_CLIENTS entries made with the pool: a new address takes
 * the least recently used of the DELAY_PROBE entries its hash points to,
 * so memory stays bounded whatever the number of clients.
 */
#define DELAY_CLIENTS	4096
#define DELAY_PROBE	4

struct delay_client {
	uint8_t             addr[16];	/* IPv4 as ::ffff:a.b.c.d */
	struct delay_bucket b;		/* b.stamp 0: entry free */
};

struct delay_cpool {
	struct delay_spec    spec;	/* speed_limit/max_bucket_size */
	unsigned             initial;	/* client_delay_initial_bucket_level
					   (%), may exceed 100 */
	struct delay_client *tab;	/* DELAY_CLIENTS */
};

#endif
