/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.h - tproxyctl status: is tproxyd running, and what do its
 * counters (the stats_port's /metrics) say.
 */
#ifndef TPROXYCTL_STATUS_H
#define TPROXYCTL_STATUS_H

#include "config/config-t.h"

/* Print a summary for the tproxyd configured by c (loaded from path).
 * Returns 0 when it runs, 1 when it does not or cannot be asked. */
int status_run(const struct cfg *c, const char *path);

/* Print what the last `tproxyctl setup` recorded in the state file at
 * path: which ports go where, whether QUIC is refused. From the record,
 * not the kernel (doctor checks the kernel). */
void status_setup(const char *state_path);

/* tproxyctl status --json: the same facts as one JSON object on stdout,
 * with the keys doc/tproxyctl.8 lists (stable; new keys may be added,
 * none renamed). Returns as status_run. */
int status_json(const struct cfg *c, const char *path,
		const char *state_path);

#endif
