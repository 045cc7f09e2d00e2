/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sock_inet.h - transparent sockets: the one place (the listener calls
 * spoof_make_transparent() too) that sets IP_TRANSPARENT.
 */
#ifndef TPROXYD_NET_SOCK_INET_H
#define TPROXYD_NET_SOCK_INET_H

#include <stdint.h>
#include <sys/socket.h>

/* Set IP_TRANSPARENT (AF_INET) or IPV6_TRANSPARENT (AF_INET6) on fd.
 * Returns 0 or -errno (-EPERM: no CAP_NET_ADMIN/CAP_NET_RAW). */
int spoof_make_transparent(int fd, int family);

/*
 * Give the not yet connected fd the source address src before connect().
 * transparent: src is a client's address, not ours (spoof_client_ip): the
 * socket gets IP_TRANSPARENT first. With port 0 the port is left to
 * connect() (IP_BIND_ADDRESS_NO_PORT), which picks one that makes the whole
 * 4-tuple unique: spoofed connections share the client's address with the
 * client's own connections, and a port chosen at bind() time could collide
 * with one of them or with a TIME_WAIT. Returns 0 or -errno.
 */
int spoof_bind(int fd, const struct sockaddr *src, socklen_t len,
	       int transparent);

/*
 * Mark the packets fd sends from now on (a connected socket too):
 * sock_set_tos() the TOS / traffic class byte (no privilege needed),
 * sock_set_mark() the netfilter mark SO_MARK (CAP_NET_ADMIN, else -EPERM;
 * the mark never leaves this host: netfilter rules and "ip rule fwmark"
 * policy routing here see it). Both return 0 or -errno. tos/mark 0 sets
 * the system's default back.
 */
/*
 * UDP TPROXY (src/udp/). spoof_udp_socket(): a non-blocking datagram
 * socket of addr's family, transparent and bound to addr, which need not
 * be ours: a udp_port (listen, with the original destination of each
 * datagram in a control message: IP_RECVORIGDSTADDR /
 * IPV6_RECVORIGDSTADDR), a client's address (a flow's socket towards the
 * destination, then connect()ed) or a destination's (replies to the
 * clients leave from it). SO_REUSEADDR: several flows of one client port
 * to different destinations share the client's address:port, told apart
 * by their connected peers; workers share a udp_port. v6only applies to
 * an AF_INET6 addr. Returns the descriptor or -errno.
 */
int spoof_udp_socket(const struct sockaddr *addr, socklen_t len,
		     int origdst, int v6only);

int sock_set_tos(int fd, int family, unsigned tos);
int sock_set_mark(int fd, uint32_t mark);

#endif
