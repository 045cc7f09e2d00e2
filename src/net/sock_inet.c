/*
 * sock_inet.c - the only code that makes sockets transparent (IP_TRANSPARENT)
 * and binds them to a client's address: TPROXY's listening and
 * outgoing halves (spoofing).
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
