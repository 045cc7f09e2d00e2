/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * neigh.c - the kernel's neighbour table, for the "arp" acl.
 *
 * Only clients on a link of this host have an entry: the MAC address of a
 * routed client is its router's, which is why the table says nothing for
 * such clients and the acl does not match them. IPv4 entries come from
 * /proc/net/arp, IPv6 entries from a netlink RTM_GETNEIGH dump (there is
 * no /proc file for them). Both are read when an "arp" acl is asked,
 * which Squid also does per check; a configuration without "arp" acls
 * never reads them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/neigh.h"

#define ATF_COM_FLAG 0x02	/* <net/if_arp.h> ATF_COM: complete entry */

static int
neigh4(const struct in_addr *a, unsigned char mac[6])
{
	char line[256], ip[64], hw[64], dev[64];
	unsigned type, flags, m[6];
	struct in_addr x;
	FILE *f;
	int found = -1, i;

	f = fopen("/proc/net/arp", "re");
	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL) {	/* header */
		fclose(f);
		return -1;
	}
	while (found < 0 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %x %x %63s %*s %63s", ip, &type, &flags,
			   hw, dev) != 5 || !(flags & ATF_COM_FLAG) ||
		    inet_pton(AF_INET, ip, &x) != 1 ||
		    x.s_addr != a->s_addr)
			continue;
		if (sscanf(hw, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2],
			   &m[3], &m[4], &m[5]) != 6)
			continue;
		for (i = 0; i < 6; i++)
			mac[i] = (unsigned char)m[i];
		found = 0;
	}
	fclose(f);
	return found;
}

/* Look for a's entry in one batch of RTM_NEWNEIGH messages: 1 found,
 * 0 not in it, -1 the dump ended. */
static int
neigh6_batch(const char *buf, size_t len, const struct in6_addr *a,
	     unsigned char mac[6])
{
	const struct nlmsghdr *nh;
	const struct ndmsg *nd;
	const struct rtattr *rta;
	const unsigned char *dst, *ll;
	size_t rlen;
	int lllen;

	for (nh = (const struct nlmsghdr *)(const void *)buf;
	     NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_type == NLMSG_DONE ||
		    nh->nlmsg_type == NLMSG_ERROR)
			return -1;
		if (nh->nlmsg_type != RTM_NEWNEIGH)
			continue;
		nd = NLMSG_DATA(nh);
		if (nd->ndm_family != AF_INET6 ||
		    (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED |
				      NUD_NOARP)) ||
		    nd->ndm_state == NUD_NONE)
			continue;
		dst = ll = NULL;
		lllen = 0;
		rlen = NLMSG_PAYLOAD(nh, sizeof(*nd));
		for (rta = (const struct rtattr *)(const void *)
			   ((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
		     RTA_OK(rta, rlen); rta = RTA_NEXT(rta, rlen)) {
			if (rta->rta_type == NDA_DST &&
			    RTA_PAYLOAD(rta) == 16)
				dst = RTA_DATA(rta);
			else if (rta->rta_type == NDA_LLADDR) {
				ll = RTA_DATA(rta);
				lllen = (int)RTA_PAYLOAD(rta);
			}
		}
		if (dst != NULL && ll != NULL && lllen == 6 &&
		    memcmp(dst, a, 16) == 0) {
			memcpy(mac, ll, 6);
			return 1;
		}
	}
	return 0;
}

static int
neigh6(const struct in6_addr *a, unsigned char mac[6])
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg    nd;
	} req;
	struct sockaddr_nl sa;
	char buf[16384];
	ssize_t n;
	int fd, r = 0, tries;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETNEIGH;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.nd.ndm_family = AF_INET6;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	/* A dump of a huge table is bounded: 256 batches at most. */
	for (tries = 0; r == 0 && tries < 256; tries++) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r = neigh6_batch(buf, (size_t)n, a, mac);
	}
	close(fd);
	return r == 1 ? 0 : -1;
}

int
neigh_mac(const struct sockaddr *sa, unsigned char mac[6])
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	struct in_addr a4;

	if (sa->sa_family == AF_INET)
		return neigh4(&((const struct sockaddr_in *)sa)->sin_addr, mac);
	if (sa->sa_family != AF_INET6)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(&a4, &s6->sin6_addr.s6_addr[12], 4);
		return neigh4(&a4, mac);
	}
	return neigh6(&s6->sin6_addr, mac);
}
