/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * limits.h - the descriptor and connection budget of this process.
 *
 * Every protocol asks here before it takes descriptors: the listeners
 * before accepting (lim_over()), the splice pipes before opening
 * (lim_fd_room()). Each client is counted with the server connection it
 * may need, so tproxyd stops accepting before it runs out rather than
 * failing an accept() or a server connect() (max_filedescriptors,
 * client_connection_limit).
 */
#ifndef TPROXYD_CORE_LIMITS_H
#define TPROXYD_CORE_LIMITS_H

struct sockaddr;

/* Descriptors kept free for what one more client needs (its server
 * connection, a DNS socket, a log reopen). */
#define LIM_FD_RESERVE 16

/* The descriptor limit (RLIMIT_NOFILE) to account against; 0: none. */
void lim_set_fd_limit(unsigned limit);
/* client_connection_limit; 0: none. */
void lim_set_conn_limit(unsigned limit);

/* A client connection opened / closed; stats_port ones do not count
 * against client_connection_limit. */
void lim_client_open(int stats_port);
void lim_client_close(int stats_port);
/* A server connection opened / closed (pooled ones included). */
void lim_server_open(void);
void lim_server_close(void);
/* n descriptors taken (splice pipes: 2) / given back. */
void lim_fds_take(unsigned n);
void lim_fds_give(unsigned n);

/* Whether n more descriptors leave the reserve free. */
int lim_fd_room(unsigned n);
/* At max_filedescriptors (less the reserve) or client_connection_limit:
 * listeners stop accepting until this is false again. */
int lim_over(void);

/*
 * Connections per client address (client_ip_max_connections). Every
 * client connection is counted, whatever the limit, so that a
 * reconfigure that sets one counts the connections already open. One
 * entry per address with connections open: memory follows the number of
 * connections, and each call is O(1) on average.
 *
 * lim_ip_open() counts one more connection from sa unless max >= 0 and
 * sa already has max of them; returns 0 when counted, -1 when over the
 * limit (nothing counted), -2 without memory (nothing counted; the
 * caller lets the connection in uncounted and must not call
 * lim_ip_close() for it).
 */
int lim_ip_open(const struct sockaddr *sa, long max);
void lim_ip_close(const struct sockaddr *sa);
/* Connections counted for sa (tests). */
unsigned lim_ip_count(const struct sockaddr *sa);

unsigned lim_clients(void);	/* all client connections */
unsigned lim_servers(void);	/* open server connections */

#endif
