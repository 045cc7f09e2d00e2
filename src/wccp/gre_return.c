/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gre_return.c - WCCPv2 packet return (draft-wilson-wrec-wccp-v2-01
 * 4.13): the GRE encapsulation of a returned packet and the flow table
 * that decides which redirected packets this cache gives back.
 *
 * Why return anything: a router redirects by bucket, not by connection.
 * When a bucket comes to this cache (it joins, or the designated cache
 * moves buckets), the segments of connections that began before - whose
 * SYN went to the origin directly or to another cache - arrive here too.
 * Injected, they would meet the TPROXY rule and the kernel would answer
 * them with an RST, breaking the client's connection. Returned, the
 * router forwards them as if they had never been redirected and the
 * connection goes on end to end. The same holds for the origin's
 * segments of such a connection (the return service, e.g. 90).
 *
 * Which flows are this cache's: those it saw open (a SYN without ACK,
 * injected here, where TPROXY makes the connection), and those the
 * kernel holds a connection for (the SYN-ACK of a connection tproxyd
 * opened from the client's address; a flow whose entry expired). The
 * table remembers the answer in both directions, so the kernel is asked
 * once per flow, not per segment. The kernel's socket table is the
 * authority, the flow table a bounded cache of it: an entry dropped too
 * early costs one lookup, never a connection.
 *
 * Everything here is pure: no I/O, no clock (the caller passes "now" and
 * the kernel lookup), no allocation after wccp2_flow_init().
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wccp/gre.h"

#define IPPROTO_TCP_	6
#define IP_MF_		0x2000
#define IP_OFFMASK_	0x1fff

size_t
wccp2_gre_return_encap(uint8_t *buf, const struct wccp2_gre_pkt *p,
		       size_t *start)
{
	/* wccp2_gre_parse() accepted at least 20 + 4 bytes before the
	 * original packet, so these 8 bytes are inside buf. */
	uint8_t *h = buf + p->inner_off - WCCP2_GRE_HDR_LEN -
	    WCCP2_REDIR_HDR_LEN;

	h[0] = 0;			/* no checksum/key/sequence, ver 0 */
	h[1] = 0;
	h[2] = WCCP2_GRE_PROTO >> 8;
	h[3] = WCCP2_GRE_PROTO & 0xff;
	if (p->has_redirect) {
		/* Already there (the router's own bytes); rewritten from
		 * the parsed copy so the result does not depend on it. */
		h[4] = p->rh_flags;
		h[5] = p->service_id;
		h[6] = p->alt_bucket;
		h[7] = p->pri_bucket;
	} else {
		memset(h + 4, 0, WCCP2_REDIR_HDR_LEN);	/* null header */
	}
	*start = (size_t)(h - buf);
	return WCCP2_GRE_HDR_LEN + WCCP2_REDIR_HDR_LEN + p->inner_len;
}

int
wccp2_tcp_seg_parse(const uint8_t *ip, size_t len, struct wccp2_tcp_seg *s)
{
	size_t ihl;

	memset(s, 0, sizeof(*s));
	if (len < 20)
		return WCCP2_SEG_FRAGMENT;	/* the parser never lets
						   this through */
	if (ip[9] != IPPROTO_TCP_)
		return WCCP2_SEG_OTHER;
	/* A later fragment carries no ports; the first one does, but its
	 * followers could not be classified alike: leave all fragments to
	 * the kernel, as before packet return existed. */
	if (be16(ip + 6) & (IP_MF_ | IP_OFFMASK_))
		return WCCP2_SEG_FRAGMENT;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || len < ihl + 14)		/* ports .. flags */
		return WCCP2_SEG_FRAGMENT;
	s->saddr = be32(ip + 12);
	s->daddr = be32(ip + 16);
	s->sport = be16(ip + ihl);
	s->dport = be16(ip + ihl + 2);
	s->flags = ip[ihl + 13];
	return WCCP2_SEG_TCP;
}

/* ---- the flow table ---- */

/* The canonical key of s: endpoint 0 is the smaller address:port. *rev
 * is 1 when s travels from endpoint 1 to endpoint 0. */
struct key {
	uint32_t        ip[2];
	uint16_t        port[2];
};

static void
seg_key(const struct wccp2_tcp_seg *s, struct key *k, int *rev)
{
	uint64_t a = ((uint64_t)s->saddr << 16) | s->sport;
	uint64_t b = ((uint64_t)s->daddr << 16) | s->dport;

	*rev = a > b;
	k->ip[0] = *rev ? s->daddr : s->saddr;
	k->port[0] = *rev ? s->dport : s->sport;
	k->ip[1] = *rev ? s->saddr : s->daddr;
	k->port[1] = *rev ? s->sport : s->dport;
}

/* A salted mix of the 12 key bytes: the salt keeps a client that picks
 * its ports from lining flows up in one chain. */
static uint32_t
key_hash(const struct wccp2_flowtab *t, const struct key *k)
{
	uint32_t h = t->salt;

	h ^= k->ip[0];
	h *= 0x9e3779b1u;
	h ^= h >> 15;
	h ^= k->ip[1];
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h ^= ((uint32_t)k->port[0] << 16) | k->port[1];
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h & t->mask;
}

static int
key_eq(const struct wccp2_flow *f, const struct key *k)
{
	return f->ip[0] == k->ip[0] && f->ip[1] == k->ip[1] &&
	    f->port[0] == k->port[0] && f->port[1] == k->port[1];
}

static int
expired(const struct wccp2_flow *f, uint32_t now)
{
	uint32_t idle = now - f->last;	/* unsigned: survives a wrap */

	if (f->state == WCCP2_FS_RETURN)
		return idle >= WCCP2_FLOW_RETURN_S;
	if (f->fin == 3)
		return idle >= WCCP2_FLOW_CLOSED_S;
	return idle >= WCCP2_FLOW_IDLE_S;
}

int
wccp2_flow_init(struct wccp2_flowtab *t, uint32_t cap, uint32_t salt)
{
	uint32_t nb = 1, i;

	memset(t, 0, sizeof(*t));
	if (cap == 0 || cap > (1u << 24))
		return -EINVAL;
	while (nb < cap)
		nb <<= 1;
	t->flow = calloc(cap, sizeof(*t->flow));
	t->head = calloc(nb, sizeof(*t->head));
	if (t->flow == NULL || t->head == NULL) {
		wccp2_flow_free(t);
		return -ENOMEM;
	}
	t->cap = cap;
	t->mask = nb - 1;
	t->salt = salt;
	for (i = 0; i < cap; i++)
		t->flow[i].next = i + 2 <= cap ? i + 2 : 0;
	t->free_head = 1;
	return 0;
}

void
wccp2_flow_free(struct wccp2_flowtab *t)
{
	free(t->flow);
	free(t->head);
	memset(t, 0, sizeof(*t));
}

/* Unlink entry idx (in use) from its chain and put it on the free list. */
static void
flow_release(struct wccp2_flowtab *t, uint32_t idx)
{
	struct wccp2_flow *f = &t->flow[idx];
	struct key k;
	uint32_t *pp;

	memcpy(k.ip, f->ip, sizeof(k.ip));
	memcpy(k.port, f->port, sizeof(k.port));
	for (pp = &t->head[key_hash(t, &k)]; *pp != 0;
	     pp = &t->flow[*pp - 1].next) {
		if (*pp - 1 == idx) {
			*pp = f->next;
			break;
		}
	}
	if (f->state == WCCP2_FS_RETURN)
		t->nreturn--;
	t->n--;
	memset(f, 0, sizeof(*f));
	f->next = t->free_head;
	t->free_head = idx + 1;
}

/* The entry index of k, or -1; an expired entry found on the way is
 * released and not returned. */
static long
flow_lookup(struct wccp2_flowtab *t, const struct key *k, uint32_t now)
{
	uint32_t i;

	for (i = t->head[key_hash(t, k)]; i != 0; i = t->flow[i - 1].next) {
		if (!key_eq(&t->flow[i - 1], k))
			continue;
		if (expired(&t->flow[i - 1], now)) {
			flow_release(t, i - 1);
			return -1;
		}
		return (long)(i - 1);
	}
	return -1;
}

/* A new entry for k in state st, or -1 when there is no room. */
static long
flow_add(struct wccp2_flowtab *t, const struct key *k, int st, uint32_t now)
{
	struct wccp2_flow *f;
	uint32_t idx, h;

	if (t->free_head == 0)
		return -1;
	idx = t->free_head - 1;
	f = &t->flow[idx];
	t->free_head = f->next;
	memcpy(f->ip, k->ip, sizeof(f->ip));
	memcpy(f->port, k->port, sizeof(f->port));
	f->state = (uint8_t)st;
	f->fin = 0;
	f->last = now;
	h = key_hash(t, k);
	f->next = t->head[h];
	t->head[h] = idx + 1;
	t->n++;
	if (st == WCCP2_FS_RETURN)
		t->nreturn++;
	return (long)idx;
}

static void
flow_set_state(struct wccp2_flowtab *t, struct wccp2_flow *f, int st)
{
	if (f->state == WCCP2_FS_RETURN)
		t->nreturn--;
	if (st == WCCP2_FS_RETURN)
		t->nreturn++;
	f->state = (uint8_t)st;
	f->fin = 0;
}

uint32_t
wccp2_flow_expire(struct wccp2_flowtab *t, uint32_t now, uint32_t budget)
{
	uint32_t freed = 0, i;

	if (t->cap == 0)
		return 0;
	if (budget > t->cap)
		budget = t->cap;
	while (budget-- > 0) {
		i = t->sweep;
		t->sweep = i + 1 < t->cap ? i + 1 : 0;
		if (t->flow[i].state != WCCP2_FS_FREE &&
		    expired(&t->flow[i], now)) {
			flow_release(t, i);
			freed++;
		}
	}
	return freed;
}

const struct wccp2_flow *
wccp2_flow_find(const struct wccp2_flowtab *t, const struct wccp2_tcp_seg *s)
{
	struct key k;
	uint32_t i;
	int rev;

	if (t->cap == 0)
		return NULL;
	seg_key(s, &k, &rev);
	for (i = t->head[key_hash(t, &k)]; i != 0; i = t->flow[i - 1].next)
		if (key_eq(&t->flow[i - 1], &k))
			return &t->flow[i - 1];
	return NULL;
}

/* A SYN without ACK: the client opens a connection, which TPROXY will
 * hand to tproxyd. */
static int
classify_syn(struct wccp2_flowtab *t, const struct key *k, long idx,
	     uint32_t now)
{
	if (idx >= 0) {
		/* A retransmitted SYN, or a new connection on the 4-tuple
		 * of one that was returned or closed. */
		flow_set_state(t, &t->flow[idx], WCCP2_FS_SERVE);
		t->flow[idx].last = now;
		return WCCP2_FV_INJECT_SYN;
	}
	if (t->free_head == 0 && t->last_full_sweep != now) {
		/* At most one whole sweep a second: a SYN flood against a
		 * full table must not cost O(cap) per packet. */
		t->last_full_sweep = now;
		wccp2_flow_expire(t, now, t->cap);
	}
	if (flow_add(t, k, WCCP2_FS_SERVE, now) < 0) {
		t->full++;
		return WCCP2_FV_RETURN_FULL;
	}
	return WCCP2_FV_INJECT_SYN;
}

int
wccp2_flow_classify(struct wccp2_flowtab *t, const struct wccp2_tcp_seg *s,
		    uint32_t now, wccp2_flow_lookup_fn *lookup, void *arg)
{
	struct wccp2_flow *f;
	struct key k;
	long idx;
	int rev, has, syn, ack, v;

	seg_key(s, &k, &rev);
	idx = flow_lookup(t, &k, now);
	syn = (s->flags & WCCP2_TCP_SYN) != 0;
	ack = (s->flags & WCCP2_TCP_ACK) != 0;
	if (syn && !ack && !(s->flags & WCCP2_TCP_RST))
		return classify_syn(t, &k, idx, now);

	f = idx >= 0 ? &t->flow[idx] : NULL;
	if (f != NULL && f->state == WCCP2_FS_SERVE) {
		v = WCCP2_FV_INJECT;
	} else if (f != NULL && !syn) {
		v = WCCP2_FV_RETURN;	/* known not to be ours */
	} else {
		/* Unknown, or a SYN-ACK (a connection being set up now:
		 * never trust an older "not ours" for it). */
		t->lookups++;
		has = lookup(arg, s) > 0;
		if (f == NULL) {
			/* Returned flows stay out of the last quarter. */
			if (has || t->n < t->cap - t->cap / 4)
				idx = flow_add(t, &k, has ? WCCP2_FS_SERVE :
					       WCCP2_FS_RETURN, now);
			f = idx >= 0 ? &t->flow[idx] : NULL;
		} else {
			flow_set_state(t, f, has ? WCCP2_FS_SERVE :
				       WCCP2_FS_RETURN);
		}
		v = has ? WCCP2_FV_INJECT_KERNEL : WCCP2_FV_RETURN;
	}
	if (f == NULL)
		return v;
	f->last = now;
	if (s->flags & WCCP2_TCP_RST) {
		/* The connection ends here, whoever holds it. */
		flow_release(t, (uint32_t)idx);
		return v;
	}
	if ((s->flags & WCCP2_TCP_FIN) && f->state == WCCP2_FS_SERVE)
		f->fin |= (uint8_t)(1u << rev);
	return v;
}
