/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats-t.h - counters and gauges for the Prometheus /metrics endpoint.
 *
 * Each serving process owns one slot: the only process, or worker N
 * (kid N) the slot N - 1 of a table that the master maps shared before it
 * forks the workers. A process writes only its own slot, with plain
 * stores from its event loop thread (no locks, no atomic read-modify-write
 * on the hot path); /metrics, in whichever worker answers it, reads every
 * slot and renders the sum. See stats.h for who writes what when.
 */
#ifndef TPROXYD_STATS_STATS_T_H
#define TPROXYD_STATS_STATS_T_H

#include <stdint.h>

/* Server connect-time histogram bounds, in seconds (Prometheus "le"). */
#define STATS_CONNECT_BUCKETS 12
#define STATS_MAX_ERRNAMES    32
#define STATS_ERRNAME_LEN     40	/* ERR_* names are under 30 bytes */
/* Slots never share a cache line: a worker's stores do not slow another
 * worker's (false sharing). 64 bytes on x86-64 and most arm64 parts. */
#define STATS_CACHE_LINE      64
/* At most this many slots (proc/master.c's MAX_KIDS workers). */
#define STATS_MAX_SLOTS       64
/* Request duration histogram bounds, in seconds (stats.c). */
#define STATS_DURATION_BUCKETS 16

/* What became of a request, for the duration histogram: a small, fixed
 * set of classes of the access.log result code (stats_result_class()). */
enum stats_result {
	STATS_RES_HIT = 0,	/* answered from the cache (*_HIT,
				   TCP_REFRESH_UNMODIFIED) */
	STATS_RES_MISS,		/* fetched from the server (*_MISS,
				   TCP_REFRESH_MODIFIED, ...) */
	STATS_RES_TUNNEL,	/* CONNECT and spliced TLS (TCP_TUNNEL) */
	STATS_RES_DENIED,	/* TCP_DENIED, TCP_DENIED_REPLY */
	STATS_RES_OTHER,	/* anything else (redirects, resets, ...) */
	STATS_RES_N
};

/* One histogram: cumulative buckets, count and sum of the observations. */
struct stats_hist {
	uint64_t bucket[STATS_DURATION_BUCKETS];
	uint64_t count;
	double   sum;
};

/* What the owning process says of itself (Prometheus' process_*
 * metrics), sampled from /proc/self every second and before a scrape;
 * written by the owner only, zeroed by the master when it dies. */
struct stats_proc {
	double   start_time;	/* seconds since the epoch */
	double   cpu_seconds;	/* user + system */
	uint64_t rss_bytes;	/* resident memory */
	uint64_t vsize_bytes;	/* virtual memory */
	uint64_t open_fds;
	uint64_t max_fds;	/* RLIMIT_NOFILE, soft */
	int32_t  pid;		/* 0: not sampled yet */
};

/* The kinds of helper programs (src/helper/), for their metrics; names in
 * stats.c. */
enum stats_helper {
	STATS_HLP_URL_REWRITE = 0,	/* url_rewrite_program */
	STATS_HLP_STORE_ID,		/* store_id_program */
	STATS_HLP_EXT_ACL,		/* external_acl_type (all types) */
	STATS_HLP_AUTH_BASIC,		/* auth_param basic program */
	STATS_HLP_AUTH_DIGEST,		/* auth_param digest program */
	STATS_HLP_N
};

/* One kind of helper's counters (all its pools in this process). */
struct stats_hlp {
	uint64_t requests;	/* requests sent to a child */
	uint64_t replies;	/* reply lines matched to a request */
	uint64_t bh;		/* BH answers: said, or a child lost */
	uint64_t timeouts;	/* requests unanswered in time */
	uint64_t restarts;	/* children started after one exited */
	uint64_t overloads;	/* requests that found the queue full */
};

struct stats_err {
	char     name[STATS_ERRNAME_LEN];	/* ERR_*, NUL-terminated */
	uint64_t n;
};

/*
 * One process's numbers. Counters only grow and survive a restart of the
 * worker that owns the slot (the new one goes on from them), so their sum
 * never goes backwards. Gauges say what the process holds now: they go to
 * 0 when it dies or restarts.
 *
 * Every field is 64 or 32 bits wide and naturally aligned, so a reader in
 * another process sees either the old or the new value of a field, never
 * a torn one (its loads are relaxed atomics, see stats.c).
 */
/* One ICAP service's counters (src/icap/icap_conn.c), by name. */
#define STATS_MAX_ICAP 16
struct stats_icap {
	char     name[STATS_ERRNAME_LEN];	/* icap_service NAME */
	uint64_t requests;	/* REQMOD/RESPMOD transactions */
	uint64_t no_content;	/* ... answered 204 */
	uint64_t errors;	/* ... failed */
	uint64_t bypassed;	/* ... went on unadapted (bypass=on) */
	uint64_t connects;	/* connections opened */
	uint64_t reused;	/* transactions on a pooled connection */
};

struct stats_slot {
	/* -- counters, written by the owning process only -- */
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
	uint64_t server_direct;		/* server connections opened from
					   tproxyd's own address */
	uint64_t server_spoofed;	/* ... from a client's address */
	uint64_t server_reused;		/* requests sent on a pooled one */
	uint64_t server_connect_failed;
	uint64_t connect_bucket[STATS_CONNECT_BUCKETS];	/* cumulative */
	uint64_t connect_count;
	double   connect_sum;
	uint64_t host_forgery;		/* SECURITY ALERT: Host forgery */
	/* Intercepted TLS (https_port ssl-bump, src/proxy/peek.c). */
	uint64_t tls_spliced;		/* decided: splice */
	uint64_t tls_terminated;	/* decided: terminate */
	uint64_t tls_bumped;		/* decided: bump */
	uint64_t tls_bump_failed;	/* bumping failed (handshakes) */
	uint64_t tls_cert_generated;	/* bumping certificates made */
	uint64_t tls_cert_mem_hit;	/* ... found in memory */
	uint64_t tls_cert_disk_hit;	/* ... found on disk */
	uint64_t tls_peeked_server;	/* peeked at the server (step 2) */
	uint64_t tls_unsupported_tunneled;	/* not TLS: tunnelled */
	uint64_t tls_unsupported_closed;	/* not TLS: closed */
	uint64_t tls_sni_forgery;	/* SECURITY ALERT: SNI forgery */
	uint64_t tls_ech;		/* Encrypted Client Hello (outer) */
	uint64_t tls_no_sni;		/* hello without a server name */
	uint64_t http_unsupported_tunneled;	/* http_port: not HTTP,
						   tunnelled */
	uint64_t learn_answers;		/* DNS answers learnt (src/learn) */
	uint64_t learn_verified;	/* names verified by them */
	uint64_t wccp_injected;		/* GRE-redirected packets served */
	uint64_t wccp_returned;		/* ... given back to the router */
	uint64_t wccp_return_failed;	/* ... that could not be given back */
	uint64_t starts;		/* times a process took this slot */
	uint64_t cache_lookups;		/* GET/HEAD the cache looked up */
	uint64_t cache_hits;		/* ... answered from the cache */
	uint64_t cache_hit_bytes;	/* bytes written for those */
	uint64_t cache_stored;		/* responses stored */
	struct stats_hlp hlp[STATS_HLP_N];	/* helper programs */
	struct stats_err err[STATS_MAX_ERRNAMES];
	uint32_t nerr;			/* entries of err[] in use; stored
					   with release order after the
					   entry is written */
	struct stats_icap icap[STATS_MAX_ICAP];
	uint32_t nicap;			/* entries of icap[] in use (as
					   nerr) */
	/* UDP relay (src/udp/). */
	uint64_t udp_flows_total;	/* flows started (denied ones too) */
	uint64_t udp_dgrams_in;		/* datagrams from clients */
	uint64_t udp_dgrams_out;	/* datagrams to clients */
	uint64_t udp_bytes_in;
	uint64_t udp_bytes_out;
	uint64_t udp_drop_denied;	/* client datagrams dropped by
					   udp_access / udp_quic_access */
	uint64_t udp_drop_limit;	/* new flows dropped at a limit */
	uint64_t udp_drop_send;		/* datagrams the kernel refused */
	uint64_t udp_drop_error;	/* datagrams without an original
					   destination, truncated, or no
					   memory */
	uint64_t udp_icmp_errors;	/* flows ended by an ICMP error */
	struct stats_hist duration[STATS_RES_N];	/* requests, by
							   result class */
	/* -- gauges, written by the owning process; the master zeroes them
	 *    when that process dies -- */
	int32_t  clients;		/* open client connections (not
					   those on the stats_port) */
	int32_t  udp_flows;		/* UDP flows in the table */
	int32_t  servers;		/* open server connections, pooled
					   or serving */
	int32_t  servers_idle;		/* ... of them in the idle pool */
	int32_t  accepting;		/* 1, or 0 while paused at a limit */
	int32_t  up;			/* 1 while a process owns the slot */
	uint64_t cache_objects;		/* responses in the cache */
	uint64_t cache_mem_bytes;	/* memory they take (cache_mem) */
	uint64_t cache_mem_max;		/* this process's share of
					   cache_mem */
	uint64_t cache_disk_bytes;	/* cache_dir space its files take */
	uint64_t cache_disk_max;	/* ... its share of the dirs' size */
	int32_t  hlp_queue[STATS_HLP_N];	/* helper requests waiting
						   for a free child */
	int32_t  hlp_children[STATS_HLP_N];	/* helper children
						   running */
	struct stats_proc proc;			/* the owning process */
} __attribute__((aligned(STATS_CACHE_LINE)));

#endif
