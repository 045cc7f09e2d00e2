/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp_flow.c - what a UDP flow is, without sockets: its key, the table of
 * flows (and of flows per client address), the protocol it is guessed to
 * carry and the timeout that follows.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config-t.h"
#include "udp/udp.h"

/* A client address and its flows (udp_flows_per_client). */
struct udp_cli {
	struct udp_cli *next;
	uint8_t         family;
	uint8_t         addr[16];
	size_t          n;
};

#define TAB_MIN 64	/* buckets at first; doubled past one flow each */

int
udp_key_make(struct udp_key *k, const struct sockaddr *cli,
	     const struct sockaddr *dst)
{
	const struct sockaddr_in *c4 = (const struct sockaddr_in *)cli;
	const struct sockaddr_in *d4 = (const struct sockaddr_in *)dst;
	const struct sockaddr_in6 *c6 = (const struct sockaddr_in6 *)cli;
	const struct sockaddr_in6 *d6 = (const struct sockaddr_in6 *)dst;

	memset(k, 0, sizeof(*k));
	if (cli->sa_family != dst->sa_family)
		return -1;
	if (cli->sa_family == AF_INET) {
		k->family = AF_INET;
		k->cport = c4->sin_port;
		k->dport = d4->sin_port;
		memcpy(k->caddr, &c4->sin_addr, 4);
		memcpy(k->daddr, &d4->sin_addr, 4);
		return 0;
	}
	if (cli->sa_family == AF_INET6) {
		k->family = AF_INET6;
		k->cport = c6->sin6_port;
		k->dport = d6->sin6_port;
		memcpy(k->caddr, &c6->sin6_addr, 16);
		memcpy(k->daddr, &d6->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/* FNV-1a over n bytes, started from the seed: clients choose their
 * ports, and so could choose colliding keys if the hash were known. */
static uint32_t
hash_bytes(const uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	h ^= h >> 16;	/* mix the high bits into the bucket index */
	return h;
}

uint32_t
udp_key_hash(const struct udp_key *k, uint32_t seed)
{
	return hash_bytes((const uint8_t *)k, sizeof(*k), seed);
}

int
udp_tab_init(struct udp_tab *t, uint32_t seed)
{
	struct timespec ts;

	memset(t, 0, sizeof(*t));
	if (seed == 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^
		       ((uint32_t)(uintptr_t)t << 7);
	}
	t->seed = seed;
	t->b = calloc(TAB_MIN, sizeof(*t->b));
	t->cb = calloc(TAB_MIN, sizeof(*t->cb));
	if (t->b == NULL || t->cb == NULL) {
		udp_tab_free(t);
		return -ENOMEM;
	}
	t->nb = t->ncb = TAB_MIN;
	return 0;
}

void
udp_tab_free(struct udp_tab *t)
{
	struct udp_cli *c, *next;
	size_t i;

	for (i = 0; t->cb != NULL && i < t->ncb; i++)
		for (c = t->cb[i]; c; c = next) {
			next = c->next;
			free(c);
		}
	free(t->b);
	free(t->cb);
	memset(t, 0, sizeof(*t));
}

struct udp_flow *
udp_tab_find(const struct udp_tab *t, const struct udp_key *k)
{
	struct udp_flow *f;

	for (f = t->b[udp_key_hash(k, t->seed) & (t->nb - 1)]; f;
	     f = f->hnext)
		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
	return NULL;
}

/* The client entry of k's client address; NULL when it has no flow. With
 * pprev, where it is linked from. */
static struct udp_cli *
cli_find(const struct udp_tab *t, const struct udp_key *k,
	 struct udp_cli ***pprev)
{
	struct udp_cli **pc;
	uint32_t h = hash_bytes(k->caddr, 16, t->seed ^ k->family);

	for (pc = &t->cb[h & (t->ncb - 1)]; *pc; pc = &(*pc)->next)
		if ((*pc)->family == k->family &&
		    memcmp((*pc)->addr, k->caddr, 16) == 0)
			break;
	if (pprev != NULL)
		*pprev = pc;
	return *pc;
}

/* Double the flow buckets when there is more than a flow per bucket
 * (best effort: without memory the chains grow longer). */
static void
grow_flows(struct udp_tab *t)
{
	struct udp_flow **nb, *f, *next;
	size_t i, n = t->nb * 2;
	uint32_t h;

	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < t->nb; i++)
		for (f = t->b[i]; f; f = next) {
			next = f->hnext;
			h = udp_key_hash(&f->key, t->seed) & (n - 1);
			f->hnext = nb[h];
			nb[h] = f;
		}
	free(t->b);
	t->b = nb;
	t->nb = n;
}

static void
grow_clients(struct udp_tab *t)
{
	struct udp_cli **nb, *c, *next;
	size_t i, n = t->ncb * 2;
	uint32_t h;

	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < t->ncb; i++)
		for (c = t->cb[i]; c; c = next) {
			next = c->next;
			h = hash_bytes(c->addr, 16, t->seed ^ c->family) &
			    (n - 1);
			c->next = nb[h];
			nb[h] = c;
		}
	free(t->cb);
	t->cb = nb;
	t->ncb = n;
}

int
udp_tab_add(struct udp_tab *t, struct udp_flow *f)
{
	struct udp_cli *c, **pc;
	uint32_t h;

	if (udp_tab_find(t, &f->key) != NULL)
		return -EEXIST;
	c = cli_find(t, &f->key, &pc);
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return -ENOMEM;
		c->family = f->key.family;
		memcpy(c->addr, f->key.caddr, 16);
		*pc = c;
		if (++t->nc > t->ncb)
			grow_clients(t);
	}
	c->n++;
	h = udp_key_hash(&f->key, t->seed) & (t->nb - 1);
	f->hnext = t->b[h];
	t->b[h] = f;
	if (++t->n > t->nb)
		grow_flows(t);
	return 0;
}

void
udp_tab_del(struct udp_tab *t, struct udp_flow *f)
{
	struct udp_flow **pf;
	struct udp_cli *c, **pc;

	for (pf = &t->b[udp_key_hash(&f->key, t->seed) & (t->nb - 1)]; *pf;
	     pf = &(*pf)->hnext)
		if (*pf == f) {
			*pf = f->hnext;
			f->hnext = NULL;
			t->n--;
			break;
		}
	c = cli_find(t, &f->key, &pc);
	if (c != NULL && --c->n == 0) {
		*pc = c->next;
		free(c);
		t->nc--;
	}
}

size_t
udp_tab_client_flows(const struct udp_tab *t, const struct udp_key *k)
{
	struct udp_cli *c = cli_find(t, k, NULL);

	return c != NULL ? c->n : 0;
}

/*
 * Port 53 is DNS. Port 443 is QUIC when the datagram starts with a long
 * header (RFC 9000 §17.2: header form and fixed bits set); anything else
 * to 443 (a short header of a connection that started before we saw it,
 * garbage) is relayed as plain UDP.
 */
enum udp_proto
udp_proto_guess(unsigned dport, const uint8_t *d, size_t n)
{
	if (dport == 53)
		return UDP_P_DNS;
	if (dport == 443 && n >= 7 && (d[0] & 0xc0) == 0xc0)
		return UDP_P_QUIC;
	return UDP_P_OTHER;
}

const char *
udp_proto_str(enum udp_proto p)
{
	switch (p) {
	case UDP_P_DNS:
		return "dns";
	case UDP_P_QUIC:
		return "quic";
	default:
		return "udp";
	}
}

const char *
udp_flow_state_str(enum udp_flow_state s)
{
	switch (s) {
	case UF_SNIFF:
		return "sniff";
	case UF_RELAY:
		return "relay";
	case UF_DENIED:
		return "denied";
	case UF_CLOSED:
		return "closed";
	}
	return "?";
}

double
udp_idle_timeout(const struct cfg *c, enum udp_proto p)
{
	switch (p) {
	case UDP_P_DNS:
		return c->udp.dns_idle;
	case UDP_P_QUIC:
		return c->udp.quic_idle;
	default:
		return c->udp.idle;
	}
}

size_t
udp_gro_size(struct msghdr *m)
{
	struct cmsghdr *c;
	int v;
	uint16_t v16;

	for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO)
			continue;
		/* An int since Linux 5.0; a u16 is accepted too. */
		if (c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
		if (c->cmsg_len >= CMSG_LEN(sizeof(v16))) {
			memcpy(&v16, CMSG_DATA(c), sizeof(v16));
			return v16;
		}
	}
	return 0;
}

size_t
udp_seg_count(size_t n, size_t seg)
{
	if (seg == 0 || n <= seg)
		return 1;
	return (n + seg - 1) / seg;
}

int
udp_gso_join(size_t seg, size_t count, size_t total, int closed, size_t n)
{
	return seg > 0 && count > 0 && !closed && n > 0 && n <= seg &&
	       count + 1 <= UDP_GSO_SEGS && total + n <= UDP_GSO_BYTES;
}
