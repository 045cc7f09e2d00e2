/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * origdst.h - where an intercepted client meant to go.
 */
#ifndef TPROXYD_INTERCEPT_ORIGDST_H
#define TPROXYD_INTERCEPT_ORIGDST_H

#include <sys/socket.h>

#include "config/config-t.h"

/*
 * The original destination of a connection accepted on a port of the given
 * mode, IPv4-mapped addresses unmapped. Returns 0 or a negative errno
 * (-ENOENT when the connection was not NAT-redirected on an intercept
 * port).
 */
int origdst_get(int fd, enum port_mode mode, struct sockaddr_storage *out,
		socklen_t *len);

struct msghdr;
/*
 * The original destination of a datagram read with recvmsg() from a
 * TPROXY socket with IP_RECVORIGDSTADDR / IPV6_RECVORIGDSTADDR
 * (spoof_udp_socket()), from its control messages, IPv4-mapped unmapped.
 * 0, or -ENOENT when the datagram carries none.
 */
int origdst_from_cmsg(struct msghdr *m, struct sockaddr_storage *out,
		      socklen_t *len);

#endif
