/*
 * fwd.h - the forwarding engine (types in fwd-t.h).
 *
 * External API: fwd_accept() adopts an accepted client socket;
 * fwd_drain() starts a graceful shutdown; fwd_nclients() counts what is
 * left. The rest is shared between client.c, server.c and pool.c.
 */
#ifndef TPROXYD_FORWARD_FWD_H
#define TPROXYD_FORWARD_FWD_H

#include "forward/fwd-t.h"

/* Adopt fd (non-blocking, accepted on port). Takes a reference on cfg.
 * Closes fd itself when it cannot allocate. */
void fwd_accept(int fd, const struct sockaddr *addr, socklen_t addrlen,
		struct cfg *cfg, const struct cfg_port *port);
/* Stop keeping connections alive: idle ones close now, busy ones after
 * their current transaction. */
void fwd_drain(void);
/* Close every client connection at once (end of shutdown_lifetime). */
void fwd_close_all(void);
unsigned fwd_nclients(void);

/* client.c, called by the server side */
void cli_run(struct fwd_cli *cli);
void cli_server_ready(struct fwd_cli *cli);
/* Every address of the current route failed (err: the last errno): try
 * the next route, or answer 503. */
void cli_route_failed(struct fwd_cli *cli, int err);
/* Set txn.src for a connection of the given family: the client's address
 * on tproxy ports (spoof_client_ip), else tcp_outgoing_address, else none. */
void cli_choose_source(struct fwd_cli *cli, int family);
void cli_server_failed(struct fwd_cli *cli, int status, const char *errname,
		       const char *detail);

/* server.c */
/* Find or open a server connection for cli's transaction toward
 * cli->txn.addr[cli->txn.addr_idx]. Reports through cli_server_ready() or
 * cli_server_failed() (possibly before returning). */
void srv_acquire(struct fwd_cli *cli);
/* Close and schedule the free; the server must be detached or owned. */
void srv_close(struct fwd_srv *srv);
/* Return a server connection to the idle pool (or close it when the pool
 * is full). */
void srv_release(struct fwd_srv *srv, double idle_timeout);
/* Open server connections, pooled or serving. */
unsigned srv_count(void);
/* Over max_filedescriptors (with a reserve) or client_connection_limit:
 * the listeners pause accepting. */
int fwd_over_limit(void);
/* The descriptor limit (RLIMIT_NOFILE) to account against. */
void fwd_set_fd_limit(unsigned limit);
/* client_connection_limit (0: none). */
void fwd_set_conn_limit(unsigned limit);

/* pool.c */
struct fwd_srv *pool_get(const struct sockaddr *dst, socklen_t dstlen,
			 const struct sockaddr *src, socklen_t srclen,
			 const void *peer);
void pool_put(struct fwd_srv *srv);
void pool_remove(struct fwd_srv *srv);
void pool_close_all(void);

#endif
