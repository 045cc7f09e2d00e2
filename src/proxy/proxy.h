/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proxy.h - what the rest of the daemon (the process: proc/serve.c and
 * the files beside it) sees of the proxy: the HTTP protocol for the
 * listeners, shutdown, and the name it uses in Via, error pages and the
 * loop guard.
 */
#ifndef TPROXYD_PROXY_PROXY_H
#define TPROXYD_PROXY_PROXY_H

#include "intercept/proto-t.h"

/* HTTP/1 on http_port (forward, tproxy, intercept) and stats_port. */
extern const struct proto proxy_proto_http;
extern const struct proto proxy_proto_tls;

/* visible_hostname, or the system's. The string must outlive its use. */
void proxy_set_hostname(const char *name);
extern const char *proxy_hostname;

/* Graceful shutdown: no more keep-alive, idle connections close now. */
void proxy_drain(void);
/* Like proxy_drain(), but idle keep-alive connections are closed only if
 * no request comes within grace seconds (-k upgrade: the next process
 * serves the ports meanwhile). */
void proxy_drain_soft(double grace);
/* End of shutdown_lifetime: close everything. */
void proxy_close_all(void);
/* Whether draining (then no connection is kept alive). */
int proxy_draining(void);
/* Open client connections. */
unsigned proxy_nclients(void);

#endif
