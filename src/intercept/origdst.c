/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * origdst.c - original destination of intercepted connections.
 *
 * TPROXY: the kernel delivered the connection to our transparent socket
 * without rewriting it, so the accepted socket's local address IS the
 * address the client connected to: getsockname(). SO_ORIGINAL_DST must not
 * be used there: on a transparent socket there was no NAT, and conntrack
 * answers with whatever tuple it has (HAProxy sock_inet_get_dst()).
 *
 * NAT (REDIRECT/DNAT): the local address is ours; conntrack remembers the
 * original: SO_ORIGINAL_DST for IPv4, IP6T_SO_ORIGINAL_DST for IPv6.
 *
 * UDP (TPROXY only): per datagram, in a control message
 * (origdst_from_cmsg()).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/sa.h"
#include "intercept/origdst.h"

/* From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>,
 * which cannot be included together with glibc's <netinet/in.h>. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

int
origdst_get(int fd, enum port_mode mode, struct sockaddr_storage *out,
	    socklen_t *len)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);

	*len = sizeof(*out);
	memset(out, 0, sizeof(*out));
	if (mode != PORT_INTERCEPT) {
		if (getsockname(fd, (struct sockaddr *)out, len) < 0)
			return -errno;
		sa_unmap(out, len);
		return 0;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		return -errno;
	sa_unmap(&local, &llen);
	if (local.ss_family == AF_INET) {
		*len = sizeof(struct sockaddr_in);
		if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, out, len) < 0)
			return errno == ENOENT ? -ENOENT : -errno;
	} else {
		*len = sizeof(struct sockaddr_in6);
		if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, out,
			       len) < 0)
			return errno == ENOENT ? -ENOENT : -errno;
	}
	sa_unmap(out, len);
	return 0;
}

int
origdst_from_cmsg(struct msghdr *m, struct sockaddr_storage *out,
		  socklen_t *len)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(m); c != NULL;
	     c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == SOL_IP &&
		    c->cmsg_type == IP_ORIGDSTADDR &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in))) {
			memset(out, 0, sizeof(*out));
			memcpy(out, CMSG_DATA(c), sizeof(struct sockaddr_in));
			*len = sizeof(struct sockaddr_in);
			return 0;
		}
		if (c->cmsg_level == SOL_IPV6 &&
		    c->cmsg_type == IPV6_ORIGDSTADDR &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in6))) {
			memset(out, 0, sizeof(*out));
			memcpy(out, CMSG_DATA(c), sizeof(struct sockaddr_in6));
			*len = sizeof(struct sockaddr_in6);
			sa_unmap(out, len);
			return 0;
		}
	}
	return -ENOENT;
}
