/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sock_inet.c - the only code that makes sockets transparent (IP_TRANSPARENT)
 * and binds them to a client's address: TPROXY's listening and
 * outgoing halves (spoofing); and the marks a connection's packets carry
 * (IP_TOS / IPV6_TCLASS, SO_MARK).
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/sa.h"
#include "net/sock_inet.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

int
spoof_make_transparent(int fd, int family)
{
	int one = 1;

	if (family == AF_INET6) {
		if (setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one,
			       sizeof(one)) < 0)
			return -errno;
		return 0;
	}
	if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

int
spoof_bind(int fd, const struct sockaddr *src, socklen_t len,
	   int transparent)
{
	int one = 1, rc;

	if (transparent && (rc = spoof_make_transparent(fd,
							src->sa_family)) < 0)
		return rc;
	/* Applies to IPv6 sockets too (the option lives at SOL_IP). */
	if (sa_port(src) == 0)
		setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
	if (bind(fd, src, len) < 0)
		return -errno;
	return 0;
}

int
spoof_udp_socket(const struct sockaddr *addr, socklen_t len, int origdst,
		 int v6only)
{
	int fd, one = 1, rc;

	fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			   sizeof(v6only));
	if ((rc = spoof_make_transparent(fd, addr->sa_family)) < 0)
		goto fail;
	/* The original destination of each datagram: TPROXY leaves the
	 * packet untouched and only steers it to this socket, so its
	 * destination address is the one the client sent it to. IPv4
	 * datagrams on an AF_INET6 socket report it at the IPv4 level. */
	if (origdst) {
		if (setsockopt(fd, SOL_IP, IP_RECVORIGDSTADDR, &one,
			       sizeof(one)) < 0 && addr->sa_family == AF_INET) {
			rc = -errno;
			goto fail;
		}
		if (addr->sa_family == AF_INET6 &&
		    setsockopt(fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, &one,
			       sizeof(one)) < 0) {
			rc = -errno;
			goto fail;
		}
	}
	if (bind(fd, addr, len) < 0) {
		rc = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

/*
 * The TOS byte of the packets fd sends: IP_TOS, and for an IPv6 socket
 * also IPV6_TCLASS (an AF_INET6 socket may carry IPv4-mapped traffic,
 * which uses IP_TOS). TCP keeps the two ECN bits to itself.
 */
int
sock_set_tos(int fd, int family, unsigned tos)
{
	int v = (int)(tos & 0xff);

	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &v,
			       sizeof(v)) < 0)
			return -errno;
		/* Best effort: the v4-mapped half of a dual-stack socket. */
		(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v));
		return 0;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v)) < 0)
		return -errno;
	return 0;
}

int
sock_set_mark(int fd, uint32_t mark)
{
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		return -errno;
	return 0;
}
