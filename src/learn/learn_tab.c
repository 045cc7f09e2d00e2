/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * learn_tab.c - the table of learnt DNS answers: name -> addresses with
 * their expiry, a hash table (SipHash-2-4 with a random key, chaining)
 * threaded on an LRU list, bounded in names and in addresses per name
 * (learn-t.h). Pure apart from malloc: time is the caller's `now`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "learn/dns_msg.h"
#include "learn/learn.h"

/* ------------------------------------------------------------ SipHash */

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

/* SipHash-2-4 (Aumasson and Bernstein, 2012) of len bytes at p. */
static uint64_t
siphash(const uint64_t key[2], const uint8_t *p, size_t len)
{
	uint64_t v[4], m, b = (uint64_t)len << 56;
	size_t i, full = len & ~(size_t)7;
	unsigned k;

	v[0] = key[0] ^ 0x736f6d6570736575ULL;
	v[1] = key[1] ^ 0x646f72616e646f6dULL;
	v[2] = key[0] ^ 0x6c7967656e657261ULL;
	v[3] = key[1] ^ 0x7465646279746573ULL;
	for (i = 0; i < full; i += 8) {
		for (m = 0, k = 0; k < 8; k++)
			m |= (uint64_t)p[i + k] << (8 * k);
		v[3] ^= m;
		sip_round(v);
		sip_round(v);
		v[0] ^= m;
	}
	for (k = 0; i + k < len; k++)
		b |= (uint64_t)p[i + k] << (8 * k);
	v[3] ^= b;
	sip_round(v);
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (k = 0; k < 4; k++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t
learn_tab_hash(const struct learn_tab *t, const void *p, size_t len)
{
	return siphash(t->key, p, len);
}

/* The key's two words, read little-endian as SipHash defines them. */
static uint64_t
rd64le(const uint8_t *p)
{
	uint64_t v = 0;
	unsigned k;

	for (k = 0; k < 8; k++)
		v |= (uint64_t)p[k] << (8 * k);
	return v;
}

/* ------------------------------------------------------------- table */

int
learn_tab_init(struct learn_tab *t, uint32_t max, const uint8_t key[16])
{
	uint32_t nb = 16;

	memset(t, 0, sizeof(*t));
	if (max == 0)
		return -EINVAL;
	while (nb < max && nb < (1u << 30))
		nb <<= 1;
	t->bucket = calloc(nb, sizeof(*t->bucket));
	if (t->bucket == NULL)
		return -ENOMEM;
	t->mask = nb - 1;
	t->max = max;
	t->key[0] = rd64le(key);
	t->key[1] = rd64le(key + 8);
	return 0;
}

static void
lru_unlink(struct learn_tab *t, struct learn_ent *e)
{
	if (e->lprev != NULL)
		e->lprev->lnext = e->lnext;
	else
		t->head = e->lnext;
	if (e->lnext != NULL)
		e->lnext->lprev = e->lprev;
	else
		t->tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void
lru_push(struct learn_tab *t, struct learn_ent *e)
{
	e->lprev = NULL;
	e->lnext = t->head;
	if (t->head != NULL)
		t->head->lprev = e;
	t->head = e;
	if (t->tail == NULL)
		t->tail = e;
}

/* Unlink e from its bucket and the LRU list, and free it. */
static void
ent_drop(struct learn_tab *t, struct learn_ent *e)
{
	struct learn_ent **pp = &t->bucket[e->hash & t->mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(t, e);
	t->n--;
	free(e);
}

void
learn_tab_clear(struct learn_tab *t)
{
	while (t->head != NULL)
		ent_drop(t, t->head);
}

void
learn_tab_free(struct learn_tab *t)
{
	if (t->bucket != NULL)
		learn_tab_clear(t);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

/* The entry of name (hash h), or NULL. */
static struct learn_ent *
ent_find(const struct learn_tab *t, const char *name, uint64_t h)
{
	struct learn_ent *e;

	for (e = t->bucket[h & t->mask]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* Drop the addresses of e that expired before now. */
static void
ent_expire(struct learn_ent *e, double now)
{
	unsigned i, k = 0;

	for (i = 0; i < e->naddr; i++)
		if (e->addr[i].expires >= now)
			e->addr[k++] = e->addr[i];
	e->naddr = k;
}

static size_t
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

int
learn_tab_add(struct learn_tab *t, const char *name, int family,
	      const uint8_t *addr, double expires, double now)
{
	struct learn_ent *e;
	struct learn_addr *a;
	size_t len = strlen(name);
	unsigned i, first;
	uint64_t h;

	if (t->bucket == NULL || len >= DNSMSG_TEXT_MAX ||
	    (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	h = learn_tab_hash(t, name, len);
	e = ent_find(t, name, h);
	if (e == NULL) {
		/* Room first: the least recently used name goes. */
		while (t->n >= t->max && t->tail != NULL) {
			ent_drop(t, t->tail);
			t->evicted++;
		}
		e = calloc(1, sizeof(*e) + len + 1);
		if (e == NULL)
			return -ENOMEM;
		memcpy(e->name, name, len + 1);
		e->hash = h;
		e->hnext = t->bucket[h & t->mask];
		t->bucket[h & t->mask] = e;
		t->n++;
	} else {
		lru_unlink(t, e);
	}
	lru_push(t, e);
	ent_expire(e, now);
	for (i = 0; i < e->naddr; i++) {
		a = &e->addr[i];
		if (a->family == family &&
		    memcmp(a->a, addr, addr_len(family)) == 0) {
			if (expires > a->expires)
				a->expires = expires;
			return 0;
		}
	}
	if (e->naddr < LEARN_MAX_ADDRS) {
		a = &e->addr[e->naddr++];
	} else {
		/* Full: replace the address that expires first. */
		for (first = 0, i = 1; i < e->naddr; i++)
			if (e->addr[i].expires < e->addr[first].expires)
				first = i;
		a = &e->addr[first];
	}
	memset(a, 0, sizeof(*a));
	memcpy(a->a, addr, addr_len(family));
	a->family = (uint8_t)family;
	a->expires = expires;
	return 0;
}

int
learn_tab_has(struct learn_tab *t, const char *name, int family,
	      const uint8_t *addr, double now)
{
	struct learn_ent *e;
	unsigned i;

	if (t->bucket == NULL)
		return 0;
	e = ent_find(t, name, learn_tab_hash(t, name, strlen(name)));
	if (e == NULL)
		return 0;
	ent_expire(e, now);
	if (e->naddr == 0) {
		ent_drop(t, e);
		return 0;
	}
	for (i = 0; i < e->naddr; i++) {
		if (e->addr[i].family == family &&
		    memcmp(e->addr[i].a, addr, addr_len(family)) == 0) {
			lru_unlink(t, e);
			lru_push(t, e);
			return 1;
		}
	}
	return 0;
}

/* Seconds an answer with this TTL stays good. */
static double
lifetime(uint32_t ttl)
{
	return (double)(ttl > LEARN_MAX_TTL ? LEARN_MAX_TTL : ttl) +
	    LEARN_GRACE;
}

int
learn_tab_answer(struct learn_tab *t, const struct dnsmsg *m,
		 const struct dnsmsg_rr *rr, size_t nrr, double now)
{
	const char *cur = m->qname;
	uint32_t ttl = UINT32_MAX;
	size_t i, hops;
	int n = 0, moved;

	if (m->qdcount != 1 || m->qname_odd || m->qname[0] == '\0')
		return 0;
	/*
	 * Follow the CNAME chain from the question: the client will ask
	 * for (and send as Host or SNI) the question name, and connect to
	 * the addresses at the end of the chain. The chain is only as
	 * good as its shortest-lived link.
	 */
	for (hops = 0; hops < LEARN_MAX_CHAIN; hops++) {
		moved = 0;
		for (i = 0; i < nrr; i++) {
			if (rr[i].type != DNSMSG_T_CNAME ||
			    strcmp(rr[i].name, cur) != 0)
				continue;
			if (rr[i].ttl < ttl)
				ttl = rr[i].ttl;
			cur = rr[i].d.target;
			moved = 1;
			break;
		}
		if (!moved)
			break;
	}
	for (i = 0; i < nrr; i++) {
		if ((rr[i].type != DNSMSG_T_A && rr[i].type != DNSMSG_T_AAAA) ||
		    strcmp(rr[i].name, cur) != 0)
			continue;
		if (learn_tab_add(t, m->qname, rr[i].type == DNSMSG_T_A ?
				  AF_INET : AF_INET6, rr[i].d.addr, now +
				  lifetime(rr[i].ttl < ttl ? rr[i].ttl : ttl),
				  now) == 0)
			n++;
	}
	return n;
}
