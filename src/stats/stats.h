/*
 * stats.h - counters and their Prometheus text rendering.
 */
#ifndef TPROXYD_STATS_STATS_H
#define TPROXYD_STATS_STATS_H

#include "core/buf-t.h"
#include "stats/stats-t.h"

/* Gauges read at render time, supplied by the owner modules. */
struct stats_gauges {
	unsigned clients;		/* open client connections */
	unsigned servers_active;	/* server connections serving */
	unsigned servers_idle;		/* in the idle pool */
	int      accepting;		/* 0 while accepts are paused */
};

void stats_connect_time(double seconds);
/* Count an error answered to a client (name: a static ERR_* string). */
void stats_error(const char *name);
void stats_status(int status);

/* Append the text exposition format (version 0.0.4) to out. Returns 0 or
 * -ENOSPC. */
int stats_render(struct buf *out, const struct stats_gauges *g);

#endif
