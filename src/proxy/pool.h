/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pool.h - idle server connections kept for reuse (pool.c), keyed by
 * destination, bound source and parent.
 */
#ifndef TPROXYD_PROXY_POOL_H
#define TPROXYD_PROXY_POOL_H

#include <sys/socket.h>

struct srv;

/* An idle connection to dst from src (NULL: the system's choice) through
 * peer, taken out of the pool; or NULL. tls_host: a TLS connection opened
 * for that server name (bumped connections), NULL: plain TCP. */
struct srv *pool_get(const struct sockaddr *dst, socklen_t dstlen,
		     const struct sockaddr *src, socklen_t srclen,
		     const void *peer, const char *tls_host);
/* Keep srv (SS_IDLE); the oldest idle connection is closed when the pool
 * is full. */
void pool_put(struct srv *srv);
/* Take srv out of the pool (it is being closed). */
void pool_remove(struct srv *srv);
void pool_close_all(void);

#endif
