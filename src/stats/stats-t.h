/*
 * stats-t.h - counters for the Prometheus /metrics endpoint.
 *
 * Plain process-wide integers, updated on the event loop thread only, so
 * no atomics. With several workers each process has its own.
 */
#ifndef TPROXYD_STATS_STATS_T_H
#define TPROXYD_STATS_STATS_T_H

#include <stdint.h>

/* Server connect-time histogram bounds, in seconds (Prometheus "le"). */
#define STATS_CONNECT_BUCKETS 12
#define STATS_MAX_ERRNAMES    32

struct stats {
	uint64_t client_accepted;	/* client connections accepted */
	uint64_t client_refused;	/* accepts paused by the limits */
	uint64_t requests;		/* transactions logged */
	uint64_t status[6];		/* by class: [1] 1xx ... [5] 5xx,
					   [0] no status (aborted) */
	uint64_t aborted;		/* transactions cut short */
	uint64_t client_bytes_in;	/* read from clients */
	uint64_t client_bytes_out;	/* written to clients */
	uint64_t server_bytes_in;	/* read from servers */
	uint64_t server_bytes_out;	/* written to servers */
	uint64_t spliced_resp;		/* ... of these bytes, moved with
					   splice(2): response bodies */
	uint64_t spliced_req;		/* request bodies */
	uint64_t spliced_up;		/* tunnels, client to server */
	uint64_t spliced_down;		/* tunnels, server to client */
	uint64_t server_opened;		/* server connections opened */
	uint64_t server_spoofed;	/* ... of them from a client address */
	uint64_t server_reused;		/* requests sent on a pooled one */
	uint64_t server_connect_failed;
	uint64_t connect_bucket[STATS_CONNECT_BUCKETS];	/* cumulative */
	uint64_t connect_count;
	double   connect_sum;
	uint64_t host_forgery;		/* SECURITY ALERT: Host forgery */
	struct {
		const char *name;	/* ERR_* (static strings) */
		uint64_t    n;
	} err[STATS_MAX_ERRNAMES];
	unsigned nerr;
};

extern struct stats stats;

#endif
