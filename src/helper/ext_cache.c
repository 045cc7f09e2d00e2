/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext_cache.c - the answers of an external_acl_type's helper, kept under
 * the line they answer (Squid's external_acl cache): OK answers for ttl
 * seconds, ERR answers for negative_ttl seconds, at most cache=N entries
 * (the least recently used one goes first), never a BH answer. Pure: the
 * clock is the caller's.
 */
#include <stdlib.h>
#include <string.h>

#include "helper/ext_cache.h"
#include "helper/reply.h"

static unsigned
hash(const char *s, size_t len)
{
	unsigned h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

void
ext_cache_init(struct ext_cache *c, size_t max, int ttl, int negative_ttl,
	       int grace)
{
	memset(c, 0, sizeof(*c));
	c->max = max;
	c->ttl = ttl;
	c->negative_ttl = negative_ttl;
	c->grace = grace < 0 ? 0 : grace > 100 ? 100 : grace;
}

void
ext_entry_ref(struct ext_entry *e)
{
	e->refs++;
}

void
ext_entry_unref(struct ext_entry *e)
{
	if (e != NULL && --e->refs == 0)
		free(e);
}

/* Unlink e from c (the cache's reference is dropped). */
static void
unlink_entry(struct ext_cache *c, struct ext_entry *e)
{
	struct ext_entry **pp = &c->tab[e->hash & (c->nbucket - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->hnext = e->prev = e->next = NULL;
	c->n--;
	ext_entry_unref(e);
}

void
ext_cache_clear(struct ext_cache *c)
{
	while (c->head != NULL)
		unlink_entry(c, c->head);
	free(c->tab);
	c->tab = NULL;
	c->nbucket = 0;
}

static struct ext_entry *
lookup(const struct ext_cache *c, const char *key, size_t klen, unsigned h)
{
	struct ext_entry *e;

	if (c->tab == NULL)
		return NULL;
	for (e = c->tab[h & (c->nbucket - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

/* Make e the most recently used entry. */
static void
touch(struct ext_cache *c, struct ext_entry *e)
{
	if (c->head == e)
		return;
	e->prev->next = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = NULL;
	e->next = c->head;
	c->head->prev = e;
	c->head = e;
}

struct ext_entry *
ext_cache_find(struct ext_cache *c, const char *key, size_t klen, double now,
	       enum ext_fresh *fresh)
{
	struct ext_entry *e = lookup(c, key, klen, hash(key, klen));
	int ttl;

	*fresh = EXT_EXPIRED;
	if (e == NULL)
		return NULL;
	touch(c, e);
	ttl = e->result == EXT_OK ? c->ttl : c->negative_ttl;
	/* Squid: expired when date + ttl < now; refreshed in the
	 * background once date + ttl * (100 - grace) / 100 <= now. */
	if (e->date + ttl < now)
		*fresh = EXT_EXPIRED;
	else if (c->grace > 0 &&
		 e->date + (double)(ttl * (100 - c->grace) / 100) <= now)
		*fresh = EXT_REFRESH;
	else
		*fresh = EXT_FRESH;
	return e;
}

/* Room for more entries: the table grows with them (load factor 1),
 * up to 2^20 buckets. */
static int
grow(struct ext_cache *c)
{
	struct ext_entry **tab, *e, *next;
	size_t nb = c->nbucket ? c->nbucket * 2 : 64, i;

	if (c->nbucket >= (1u << 20) || (c->tab != NULL && c->n < c->nbucket))
		return 0;
	tab = calloc(nb, sizeof(*tab));
	if (tab == NULL)
		return c->tab == NULL ? -1 : 0;
	for (i = 0; i < c->nbucket; i++)
		for (e = c->tab[i]; e != NULL; e = next) {
			next = e->hnext;
			e->hnext = tab[e->hash & (nb - 1)];
			tab[e->hash & (nb - 1)] = e;
		}
	free(c->tab);
	c->tab = tab;
	c->nbucket = nb;
	return 0;
}

int
ext_cache_add(struct ext_cache *c, struct ext_entry *e)
{
	struct ext_entry *old;
	unsigned h = hash(e->key, e->klen);
	int ttl = e->result == EXT_OK ? c->ttl : c->negative_ttl;

	old = lookup(c, e->key, e->klen, h);
	if (old != NULL)
		unlink_entry(c, old);
	if (c->max == 0 || e->result == EXT_BH || ttl <= 0)
		return 0;
	while (c->n >= c->max && c->tail != NULL)
		unlink_entry(c, c->tail);
	if (grow(c) < 0)
		return 0;
	e->hash = h;
	e->hnext = c->tab[h & (c->nbucket - 1)];
	c->tab[h & (c->nbucket - 1)] = e;
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
	c->n++;
	ext_entry_ref(e);
	return 1;
}

struct ext_entry *
ext_entry_new(const void *def, const char *key, size_t klen,
	      const struct hlp_reply *r, double now)
{
	static const char *const names[4] = { "user", "tag", "log",
					      "message" };
	const char *v[4] = { "", "", "", "" };
	size_t vl[4] = { 0, 0, 0, 0 }, size, i;
	struct ext_entry *e;
	char *p;

	if (r != NULL)
		for (i = 0; i < 4; i++) {
			v[i] = hlp_reply_get(r, names[i], &vl[i]);
			if (v[i] == NULL) {
				v[i] = "";
				vl[i] = 0;
			}
		}
	size = sizeof(*e) + klen + 1;
	for (i = 0; i < 4; i++)
		size += vl[i] + 1;
	e = calloc(1, size);
	if (e == NULL)
		return NULL;
	e->refs = 1;
	e->def = def;
	e->date = now;
	e->result = r == NULL ? EXT_BH : r->result == HLP_OK ? EXT_OK :
		    r->result == HLP_ERR ? EXT_ERR : EXT_BH;
	p = (char *)(e + 1);
	memcpy(p, key, klen);
	e->key = p;
	e->klen = klen;
	p += klen + 1;
	for (i = 0; i < 4; i++) {
		memcpy(p, v[i], vl[i]);
		if (i == 0)
			e->user = p;
		else if (i == 1)
			e->tag = p;
		else if (i == 2)
			e->log = p;
		else
			e->message = p;
		p += vl[i] + 1;
	}
	return e;
}
