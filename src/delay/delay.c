/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * delay.c - the buckets of delay pools (Squid's DelayBucket, DelayVector,
 * the class 1-3 pools of delay_pools.cc, and the per-address buckets of
 * client_delay_pools), pure: the time is the caller's.
 *
 * Squid adds restore * whole seconds to every bucket once a second from
 * an event; here a bucket is brought up to date when a transfer uses it,
 * from the time since its last use (fractions of a second included), so
 * nothing runs for idle buckets and a transfer's rate is smooth within a
 * second. The result over a second is Squid's: restore bytes a second,
 * never more than max in the bucket.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "delay/delay.h"

/* A bucket's resume amount: DELAY_SLICE of a second of its rate,
 * within [1, min(max, DELAY_RESUME_MAX)]. */
#define DELAY_SLICE		20
#define DELAY_RESUME_MAX	32768

void
delay_refill(struct delay_bucket *b, const struct delay_spec *spec,
	     unsigned initial, double now)
{
	double lv;

	if (b->stamp == 0) {
		b->level = (double)spec->max * initial / 100.0;
		b->stamp = now;
		return;
	}
	if (now <= b->stamp) {
		/* The clock went back: start counting again from now. */
		b->stamp = now;
		return;
	}
	/* An over-full bucket (client_delay_initial_bucket_level above
	 * 100) keeps its level until it drains below max (Squid). */
	if (b->level < (double)spec->max) {
		lv = b->level + (double)spec->restore * (now - b->stamp);
		b->level = lv > (double)spec->max ? (double)spec->max : lv;
	}
	b->stamp = now;
}

static void
id_add(struct delay_id *id, struct delay_bucket *b,
       const struct delay_spec *spec)
{
	if (spec->restore < 0)
		return;		/* "none": this kind does not limit */
	id->b[id->nb] = b;
	id->spec[id->nb] = spec;
	id->nb++;
}

/* The IPv4 address of sa (IPv4-mapped IPv6 included) in host order into
 * *v4; 0, or -1 for any other address. */
static int
client_v4(const struct sockaddr *sa, uint32_t *v4)
{
	const struct sockaddr_in6 *s6;
	uint32_t a;

	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		*v4 = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	s6 = (const struct sockaddr_in6 *)sa;
	if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return -1;
	memcpy(&a, &s6->sin6_addr.s6_addr[12], 4);
	*v4 = ntohl(a);
	return 0;
}

void
delay_id_make(struct delay_id *id, struct delay_pool *p,
	      const struct sockaddr *client)
{
	uint32_t v4;

	memset(id, 0, sizeof(*id));
	id->initial = p->initial;
	id_add(id, &p->aggb, &p->agg);
	if (p->cls < 2 || client_v4(client, &v4) < 0)
		return;
	if (p->cls == 2) {
		id_add(id, &p->hostb[v4 & 0xff], &p->host);
		return;
	}
	/* Class 3: the network is the third octet, the host the third
	 * and fourth (Squid's "c" and "c * 256 + d"). */
	id_add(id, &p->netb[(v4 >> 8) & 0xff], &p->net);
	id_add(id, &p->hostb[v4 & 0xffff], &p->host);
}

/* The table slot for addr (16 bytes): FNV-1a, then DELAY_PROBE entries
 * from there. */
static size_t
client_hash(const uint8_t *addr)
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++) {
		h ^= addr[i];
		h *= 16777619u;
	}
	return h % DELAY_CLIENTS;
}

void
delay_cid_make(struct delay_id *id, struct delay_cpool *cp,
	       const struct sockaddr *client, double now)
{
	struct delay_client *e, *victim = NULL;
	uint8_t addr[16];
	uint32_t v4;
	size_t h;
	int i;

	memset(id, 0, sizeof(*id));
	id->initial = cp->initial;
	if (cp->spec.restore < 0 || cp->tab == NULL)
		return;
	if (client_v4(client, &v4) == 0) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		v4 = htonl(v4);
		memcpy(addr + 12, &v4, 4);
	} else if (client != NULL && client->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)client)->
		       sin6_addr, 16);
	} else {
		return;
	}
	h = client_hash(addr);
	for (i = 0; i < DELAY_PROBE; i++) {
		e = &cp->tab[(h + (size_t)i) % DELAY_CLIENTS];
		if (e->b.stamp != 0 && memcmp(e->addr, addr, 16) == 0) {
			victim = e;
			break;
		}
		/* A free entry, else the one used longest ago. */
		if (victim == NULL || (victim->b.stamp != 0 &&
				       e->b.stamp < victim->b.stamp))
			victim = e;
	}
	if (memcmp(victim->addr, addr, 16) != 0 || victim->b.stamp == 0) {
		memcpy(victim->addr, addr, 16);
		victim->b.stamp = 0;	/* a first use: the initial level */
	}
	id_add(id, &victim->b, &cp->spec);
	delay_refill(&victim->b, &cp->spec, cp->initial, now);
}

size_t
delay_allowed(struct delay_id *id, double now, size_t want)
{
	double least = (double)want;
	int i;

	for (i = 0; i < id->nb; i++) {
		delay_refill(id->b[i], id->spec[i], id->initial, now);
		if (id->b[i]->level < least)
			least = id->b[i]->level;
	}
	return least < 1 ? 0 : (size_t)least;
}

void
delay_take(struct delay_id *id, size_t n)
{
	int i;

	for (i = 0; i < id->nb; i++)
		id->b[i]->level -= (double)n;
}

double
delay_wait(struct delay_id *id, double now, double jitter)
{
	const struct delay_spec *sp;
	double w = 0, full = DELAY_WAIT_MAX, need, t, slack;
	int i;

	for (i = 0; i < id->nb; i++) {
		sp = id->spec[i];
		delay_refill(id->b[i], sp, id->initial, now);
		need = (double)sp->restore / DELAY_SLICE;
		if (need > DELAY_RESUME_MAX)
			need = DELAY_RESUME_MAX;
		if (need > (double)sp->max)
			need = (double)sp->max;
		if (need < 1)
			need = 1;
		if (sp->restore <= 0) {
			if (id->b[i]->level < need)
				return DELAY_WAIT_MAX;
			continue;
		}
		/* When this bucket is full: waiting longer loses bytes. */
		t = ((double)sp->max - id->b[i]->level) / (double)sp->restore;
		if (t < full)
			full = t;
		if (id->b[i]->level >= need)
			continue;
		t = (need - id->b[i]->level) / (double)sp->restore;
		if (t > w)
			w = t;
	}
	/* Transfers that share a bucket and wait for the same amount would
	 * resume in the same order every time, the first taking it all:
	 * a random part of the time left before a bucket overflows (at
	 * most half the wait) lets each come first as often. */
	slack = full - w;
	if (slack > w / 2)
		slack = w / 2;
	if (slack > 0 && jitter > 0)
		w += jitter * slack;
	if (w > DELAY_WAIT_MAX)
		w = DELAY_WAIT_MAX;
	/* Every bucket holds enough already (another transfer may take it
	 * first): look again soon rather than never. */
	return w > 0.001 ? w : 0.001;
}
