/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp_rsock.c - the sockets the UDP relay's replies leave from: one
 * transparent socket bound to each destination's address:port (so that
 * the client sees the reply come from where it sent), unconnected, shared
 * by every flow to that destination and closed with the last of them
 * (see udp_relay.c for why it is not the udp_port socket nor a connected
 * one). Descriptors come from core/limits.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/limits.h"
#include "core/sa.h"
#include "event/loop.h"
#include "net/sock_inet.h"
#include "stats/stats.h"
#include "udp/udp.h"
#include "udp/udp-int.h"

static struct udp_rsock *rs_b[RS_BUCKETS];

static unsigned
rs_hash(const struct sockaddr *sa, uint32_t seed)
{
	struct udp_key k;

	if (udp_key_make(&k, sa, sa) < 0)
		return 0;
	return udp_key_hash(&k, seed) & (RS_BUCKETS - 1);
}

/* The socket replies from dst leave from (a reference), or NULL with
 * *err set (-errno). Opens it when no flow to dst has one. */
struct udp_rsock *
udp_rsock_get(const struct sockaddr *dst, uint32_t seed, int *err)
{
	struct udp_rsock *r;
	unsigned h = rs_hash(dst, seed);
	int fd;

	for (r = rs_b[h]; r; r = r->next)
		if (sa_equal((const struct sockaddr *)&r->addr, dst)) {
			r->refs++;
			return r;
		}
	if (!lim_fd_room(1)) {
		*err = -EMFILE;
		return NULL;
	}
	fd = spoof_udp_socket(dst, sa_len(dst), 0, 1);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(&r->addr, dst, sa_len(dst));
	r->fd = fd;
	r->refs = 1;
	r->next = rs_b[h];
	rs_b[h] = r;
	lim_fds_take(1);
	return r;
}

void
udp_rsock_put(struct udp_rsock *r, uint32_t seed)
{
	struct udp_rsock **pr;

	if (r == NULL || --r->refs > 0)
		return;
	for (pr = &rs_b[rs_hash((struct sockaddr *)&r->addr, seed)]; *pr;
	     pr = &(*pr)->next)
		if (*pr == r) {
			*pr = r->next;
			break;
		}
	close(r->fd);
	lim_fds_give(1);
	free(r);
}
