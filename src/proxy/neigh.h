/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * neigh.h - a client's link-layer (MAC) address from the kernel's
 * neighbour table, for the "arp" acl.
 */
#ifndef TPROXYD_PROXY_NEIGH_H
#define TPROXYD_PROXY_NEIGH_H

#include <sys/socket.h>

/*
 * The MAC address the kernel has for sa (IPv4: ARP, IPv6: neighbour
 * discovery): 0 and mac filled, or -1 when sa is not a reachable
 * neighbour on an Ethernet-like link (a routed client has none).
 */
int neigh_mac(const struct sockaddr *sa, unsigned char mac[6]);

#endif
