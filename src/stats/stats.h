/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats.h - counters and gauges, shared by the workers, and their
 * Prometheus text rendering.
 *
 * Life of the table:
 *   stats_init(n)       once, before any worker is forked: n slots in
 *                       shared memory (n == 1: the process's own slot);
 *   stats_attach(kid)   in the process that serves as kid (1 without a
 *                       master): from now on `stats` is slot kid - 1;
 *   stats_kid_exited()  in the master, after reaping a worker.
 * Modules update their numbers as `stats.field++` (see below) and call
 * stats_render() to answer /metrics with the sum over all slots.
 */
#ifndef TPROXYD_STATS_STATS_H
#define TPROXYD_STATS_STATS_H

#include "core/buf-t.h"
#include "stats/stats-t.h"

/*
 * This process's slot. Rule zero: `stats` is a macro, not a variable, so
 * that the counters moved into shared memory without touching the call
 * sites (`stats.requests++`, `&stats.client_bytes_in`) in the forwarding
 * code; before stats_attach() it is a private slot, so updates are always
 * safe (unit tests never attach).
 */
extern struct stats_slot *stats_self;
#define stats (*stats_self)

/* Map room for n (1..STATS_MAX_SLOTS) serving processes, zeroed. With
 * n > 1 the table is MAP_SHARED, so that workers forked afterwards share
 * it. Call once, at start-up. Returns 0, -EINVAL or the negative errno of
 * mmap(). */
int stats_init(unsigned n);
/* In the process that serves as kid (1..n): take slot kid - 1. Its
 * counters go on from where a previous owner left them; its gauges start
 * at 0 (accepting: 1). */
void stats_attach(unsigned kid);
/* In the master, after kid exited: its gauges drop to 0, since its
 * connections went with it. */
void stats_kid_exited(unsigned kid);

void stats_connect_time(double seconds);
/* Count a request that took seconds, by its access.log result code. */
void stats_request_time(const char *code, double seconds);
/* The class of an access.log result code ("TCP_MEM_HIT": STATS_RES_HIT).
 * Pure. */
enum stats_result stats_result_class(const char *code);
/* Refresh this process's own figures (stats.proc) from /proc/self: call
 * it once a second (the tick of the event loop); stats_render() calls it
 * too, for the process that answers. */
void stats_sample_self(void);

/* The fields of /proc/PID/stat that stats_sample_self() uses, in the
 * kernel's units (clock ticks, bytes, pages). */
struct stats_pstat {
	unsigned long long utime, stime, starttime, vsize, rss;
};
/* Parse the text of /proc/PID/stat (len bytes, not NUL-terminated).
 * Returns 0, or -EINVAL if it does not have the fields. Pure. */
int stats_parse_pstat(const char *text, size_t len, struct stats_pstat *out);
/* Count an error answered to a client (name: an ERR_* string). */
void stats_error(const char *name);
/* This process's counters of the ICAP service name (made on first use;
 * NULL past STATS_MAX_ICAP names). */
struct stats_icap *stats_icap(const char *name);
void stats_status(int status);

/*
 * Add up n slots into *out (zeroed first): counters, histogram buckets and
 * gauges field by field, errors by name (in order of first appearance,
 * slot by slot; names beyond STATS_MAX_ERRNAMES are dropped). Per slot,
 * servers is counted as at least servers_idle, so that
 * out->servers - out->servers_idle (the active ones) is never negative even
 * when a slot was read while its owner moved a connection. Reads with
 * relaxed atomic loads: the owners may be writing meanwhile. Pure.
 */
void stats_sum(const struct stats_slot *slots, unsigned n,
	       struct stats_slot *out);

/* Append the text exposition format (version 0.0.4) of the whole instance
 * (every slot) to out, growing it as needed. Returns 0, or -ENOSPC/-ENOMEM
 * (out then holds part of it). */
int stats_render(struct buf *out);

#endif
