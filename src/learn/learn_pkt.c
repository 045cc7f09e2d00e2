/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * learn_pkt.c - the IPv4 / IPv6 and UDP headers of a packet read from the
 * learner's packet socket (SOCK_DGRAM: the packet starts at its IP
 * header). Pure: no I/O, no allocation.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "learn/learn.h"

#define UDP_HDR_LEN	8
#define DNS_PORT	53

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* The UDP datagram of l bytes at u: from port 53, its length field within
 * l (bytes past it are link padding). 0 or -1. */
static int
udp_payload(const uint8_t *u, size_t l, const uint8_t **payload,
	    size_t *plen)
{
	size_t ulen;

	if (l < UDP_HDR_LEN || rd16(u) != DNS_PORT)
		return -1;
	ulen = rd16(u + 4);
	if (ulen < UDP_HDR_LEN || ulen > l)
		return -1;
	*payload = u + UDP_HDR_LEN;
	*plen = ulen - UDP_HDR_LEN;
	return 0;
}

int
learn_pkt_udp(const uint8_t *pkt, size_t len, struct sockaddr_storage *src,
	      const uint8_t **payload, size_t *plen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)src;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)src;
	size_t ihl, tot;

	memset(src, 0, sizeof(*src));
	if (len < 1)
		return -1;
	switch (pkt[0] >> 4) {
	case 4:
		if (len < 20)
			return -1;
		ihl = (size_t)(pkt[0] & 15) * 4;
		tot = rd16(pkt + 2);
		/* A fragment (more to come, or not the first) holds no
		 * whole datagram: the reader would see a cut message. */
		if (ihl < 20 || tot < ihl || tot > len || pkt[9] != 17 ||
		    (rd16(pkt + 6) & 0x3fff) != 0)
			return -1;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, pkt + 12, 4);
		return udp_payload(pkt + ihl, tot - ihl, payload, plen);
	case 6:
		if (len < 40)
			return -1;
		tot = rd16(pkt + 4);
		/* Extension headers (next header other than UDP) are not
		 * walked: such packets are ignored. DNS answers do not
		 * carry them, but for fragments, which no single packet
		 * could be read from anyway. A payload length of 0 is a
		 * jumbogram's: ignored too. */
		if (pkt[6] != 17 || tot == 0 || tot > len - 40)
			return -1;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, pkt + 8, 16);
		return udp_payload(pkt + 40, tot, payload, plen);
	default:
		return -1;
	}
}
