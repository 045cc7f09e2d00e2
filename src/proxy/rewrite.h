/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rewrite.h - the url_rewrite_program and store_id_program phases
 * (Squid's redirect.cc and client_side_request.cc), on the helper pools
 * of src/helper/. Each phase returns 0 when the request goes on at once,
 * 1 when it waits for the helper (its answer comes back to phase_run())
 * or was answered (a redirect, an error).
 */
#ifndef TPROXYD_PROXY_REWRITE_H
#define TPROXYD_PROXY_REWRITE_H

#include "config/cfg_helper-t.h"

struct cfg;
struct stream;

/* Make c's helper pools in this process and start their startup=
 * children: call after the privileges were dropped (a serving process, a
 * new configuration). */
void rewrite_start(struct cfg *c);

/* url_rewrite_program: after http_access, before adapted_http_access. */
int rewrite_phase(struct stream *s);
/* store_id_program: before the cache lookup. */
int storeid_phase(struct stream *s);
/* Forget the stream's helper request (it is going away or answered
 * otherwise): no callback will reach it. */
void rewrite_cancel(struct stream *s);

/* What the configuration calls to free a pool (the daemon installs it as
 * cfg_helper_ops). */
extern const struct cfg_helper_ops rewrite_cfg_ops;

#endif
