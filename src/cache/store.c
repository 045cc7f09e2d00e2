/*
 * store.c - the index of stored responses and their bodies in memory
 * (store.h): a hash table of primary keys whose buckets chain every
 * variant, a recency list for replacement, and the bound of cache_mem.
 *
 * Replacement: LRU, or with heap GDSF / heap LFUDA a frequency-aware
 * choice among the least recently used objects: the victim is the one
 * of the EVICT_SAMPLE oldest with the lowest key (LFUDA: hits plus the
 * cache's age; GDSF: that divided by the object's size, so small popular
 * objects stay), as Squid's heap policies order them. A sample of the
 * LRU tail keeps eviction O(1) without a heap to maintain on every hit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/policy.h"
#include "cache/store.h"
#include "event/loop.h"
#include "http/msg.h"

#define NBUCKET_MIN   1024
#define CHUNK_MIN     16384
#define CHUNK_MAX     (1u << 20)	/* one chunk for bodies up to this */
#define EVICT_SAMPLE  8
#define VKEY_MAX      4096
#define OBJ_OVERHEAD  (sizeof(struct cobj) + 64)

static struct {
	struct cobj **bucket;
	size_t        nbucket;
	size_t        nobj;		/* in the index */
	struct cobj  *lru_head;		/* most recent */
	struct cobj  *lru_tail;
	uint64_t      mem;		/* counted against mem_max */
	uint64_t      mem_max;
	uint64_t      max_obj_mem;
	int           repl;		/* enum cfg_repl */
	double        age;		/* LFUDA/GDSF: the key of the last
					   victim (the cache's age) */
	struct store_stats st;
} S;

/* FNV-1a over the primary key. */
static uint64_t
key_hash(const char *k, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int
grow_index(void)
{
	struct cobj **nb, *o, *next;
	size_t n = S.nbucket ? S.nbucket * 2 : NBUCKET_MIN, i, k;

	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return -ENOMEM;
	for (i = 0; i < S.nbucket; i++)
		for (o = S.bucket[i]; o != NULL; o = next) {
			next = o->hnext;
			k = o->hash & (n - 1);
			o->hnext = nb[k];
			nb[k] = o;
		}
	free(S.bucket);
	S.bucket = nb;
	S.nbucket = n;
	return 0;
}

static void
lru_unlink(struct cobj *o)
{
	if (!o->in_lru)
		return;
	if (o->lru_prev)
		o->lru_prev->lru_next = o->lru_next;
	else
		S.lru_head = o->lru_next;
	if (o->lru_next)
		o->lru_next->lru_prev = o->lru_prev;
	else
		S.lru_tail = o->lru_prev;
	o->lru_prev = o->lru_next = NULL;
	o->in_lru = 0;
}

static void
lru_push(struct cobj *o)
{
	lru_unlink(o);
	o->lru_prev = NULL;
	o->lru_next = S.lru_head;
	if (S.lru_head)
		S.lru_head->lru_prev = o;
	S.lru_head = o;
	if (S.lru_tail == NULL)
		S.lru_tail = o;
	o->in_lru = 1;
}

static void
obj_free(struct cobj *o)
{
	struct cchunk *c, *n;

	for (c = o->first; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	S.mem -= o->mem_cost;
	http_msg_free(&o->head);
	free(o->key);
	free(o->vkey);
	free(o);
}

/* Call every waiter of o (deferred: never from inside the change). */
static void
wake(struct cobj *o)
{
	struct cwait *w, *n;

	for (w = o->waiters; w != NULL; w = n) {
		n = w->next;
		w->next = NULL;
		w->queued = 0;
		evl_defer(&w->defer, w->cb, w->arg);
	}
	o->waiters = NULL;
}

/* Take o out of the index (it lives on while referenced). */
static void
unindex(struct cobj *o)
{
	struct cobj **pp;

	if (!o->in_index)
		return;
	for (pp = &S.bucket[o->hash & (S.nbucket - 1)]; *pp != NULL;
	     pp = &(*pp)->hnext)
		if (*pp == o) {
			*pp = o->hnext;
			break;
		}
	o->hnext = NULL;
	o->in_index = 0;
	S.nobj--;
	lru_unlink(o);
	/* A fill in progress goes on for its own client (which holds a
	 * reference), but no one else can find it. */
	if (o->refs == 0)
		obj_free(o);
}

void
store_ref(struct cobj *o)
{
	o->refs++;
}

void
store_unref(struct cobj *o)
{
	if (o->refs > 0)
		o->refs--;
	if (o->refs == 0 && !o->in_index)
		obj_free(o);
}

/* The replacement key of o (lower goes first). */
static double
repl_key(const struct cobj *o)
{
	double k = (double)o->hits + S.age;

	if (S.repl == 2 /* CFG_REPL_LFUDA */)
		return k;
	/* GDSF: frequency per byte of memory. */
	return k * 65536.0 / (double)(o->mem_cost ? o->mem_cost : 1);
}

/* Drop objects from the cold end until mem is within the limit (or
 * nothing evictable is left). keep: never this one. */
static void
evict(const struct cobj *keep)
{
	struct cobj *o, *victim;
	double best, k;
	int i;

	while (S.mem > S.mem_max && S.lru_tail != NULL) {
		victim = S.lru_tail;
		if (S.repl != 0 /* CFG_REPL_LRU */) {
			best = repl_key(victim);
			for (o = victim, i = 0; o != NULL && i < EVICT_SAMPLE;
			     o = o->lru_prev, i++) {
				k = repl_key(o);
				if (o != keep && k < best) {
					best = k;
					victim = o;
				}
			}
			S.age = best;
		}
		if (victim == keep) {
			victim = victim->lru_prev;
			if (victim == NULL)
				break;
		}
		S.st.evicted++;
		unindex(victim);
	}
}

void
store_configure(uint64_t mem_max, uint64_t max_obj_mem, int repl)
{
	S.mem_max = mem_max;
	S.max_obj_mem = max_obj_mem;
	S.repl = repl;
	evict(NULL);
}

int
store_enabled(void)
{
	return S.mem_max > 0;
}

void
store_clear(void)
{
	size_t i;

	for (i = 0; i < S.nbucket; i++)
		while (S.bucket[i] != NULL)
			unindex(S.bucket[i]);
}

/* Whether o's secondary key matches the request's fields. */
static int
variant_matches(const struct cobj *o, const struct h1_header *rq,
		size_t nrq)
{
	char vk[VKEY_MAX];
	int n;

	if (o->vkey == NULL)
		return 1;
	n = cache_vary_key(vk, sizeof(vk), o->head.hdr, o->head.nhdr, rq,
			   nrq);
	return n >= 0 && (size_t)n == o->vklen &&
	       memcmp(vk, o->vkey, o->vklen) == 0;
}

struct cobj *
store_lookup(const char *key, size_t klen, const struct h1_header *rq,
	     size_t nrq, int want_filling)
{
	struct cobj *o, *best = NULL, *filling = NULL;
	uint64_t h;

	if (S.nbucket == 0)
		return NULL;
	h = key_hash(key, klen);
	for (o = S.bucket[h & (S.nbucket - 1)]; o != NULL; o = o->hnext) {
		if (o->hash != h || o->klen != klen ||
		    memcmp(o->key, key, klen) != 0 ||
		    !variant_matches(o, rq, nrq))
			continue;
		if (o->complete) {
			if (best == NULL ||
			    o->response_time > best->response_time)
				best = o;
		} else if (!o->failed && filling == NULL) {
			filling = o;
		}
	}
	if (best == NULL && want_filling)
		best = filling;
	if (best != NULL)
		best->refs++;
	return best;
}

struct cobj *
store_new(const char *key, size_t klen, const char *vkey, size_t vklen,
	  const struct h1_resp *resp, const char *base, size_t hlen,
	  int64_t clen)
{
	struct cobj *o;
	size_t k;

	if (S.nobj + 1 > S.nbucket && grow_index() < 0)
		return NULL;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->key = malloc(klen + 1);
	o->vkey = vkey ? malloc(vklen + 1) : NULL;
	if (o->key == NULL || (vkey && o->vkey == NULL) ||
	    http_msg_keep_resp(&o->head, resp, base, hlen) < 0) {
		http_msg_free(&o->head);
		free(o->key);
		free(o->vkey);
		free(o);
		return NULL;
	}
	memcpy(o->key, key, klen);
	o->key[klen] = '\0';
	o->klen = klen;
	if (vkey) {
		memcpy(o->vkey, vkey, vklen);
		o->vkey[vklen] = '\0';
		o->vklen = vklen;
	}
	o->hash = key_hash(key, klen);
	o->clen = clen;
	o->dir = -1;
	o->mem_cost = OBJ_OVERHEAD + klen + vklen + hlen +
		      resp->nhdr * sizeof(struct h1_header);
	S.mem += o->mem_cost;
	k = o->hash & (S.nbucket - 1);
	o->hnext = S.bucket[k];
	S.bucket[k] = o;
	o->in_index = 1;
	o->refs = 1;		/* the filler's */
	S.nobj++;
	return o;
}

int
store_append(struct cobj *o, const void *p, size_t n)
{
	struct cchunk *c = o->last;
	size_t take, cap;
	const char *src = p;

	if (o->failed)
		return -EFBIG;
	if (o->body_len + n > S.max_obj_mem ||
	    o->mem_cost + n > S.mem_max) {
		store_fail(o);
		return -EFBIG;
	}
	while (n > 0) {
		if (c == NULL || c->len == c->cap) {
			/* One chunk for a declared length that fits: a hit
			 * is then one write. */
			if (o->clen > 0 && o->body_len == 0 &&
			    (uint64_t)o->clen <= CHUNK_MAX)
				cap = (size_t)o->clen;
			else
				cap = n < CHUNK_MIN ? CHUNK_MIN :
				      n > CHUNK_MAX ? CHUNK_MAX : n;
			c = malloc(sizeof(*c) + cap);
			if (c == NULL) {
				store_fail(o);
				return -ENOMEM;
			}
			c->next = NULL;
			c->len = 0;
			c->cap = cap;
			if (o->last)
				o->last->next = c;
			else
				o->first = c;
			o->last = c;
			o->mem_cost += sizeof(*c) + cap;
			S.mem += sizeof(*c) + cap;
		}
		take = c->cap - c->len < n ? c->cap - c->len : n;
		memcpy(c->data + c->len, src, take);
		c->len += take;
		src += take;
		n -= take;
		o->body_len += take;
	}
	wake(o);
	if (S.mem > S.mem_max)
		evict(o);
	return 0;
}

void
store_complete(struct cobj *o)
{
	struct cobj *x, *next;

	if (o->failed || o->complete)
		return;
	o->complete = 1;
	S.st.stored++;
	if (o->in_index) {
		/* Older variants with the same secondary key leave. */
		for (x = S.bucket[o->hash & (S.nbucket - 1)]; x != NULL;
		     x = next) {
			next = x->hnext;
			if (x != o && x->hash == o->hash &&
			    x->klen == o->klen &&
			    memcmp(x->key, o->key, o->klen) == 0 &&
			    x->complete && x->vklen == o->vklen &&
			    (o->vkey == NULL ||
			     memcmp(x->vkey, o->vkey, o->vklen) == 0))
				unindex(x);
		}
		lru_push(o);
	}
	wake(o);
	if (S.mem > S.mem_max)
		evict(NULL);
}

void
store_fail(struct cobj *o)
{
	if (o->failed || o->complete)
		return;
	o->failed = 1;
	S.st.abandoned++;
	wake(o);
	if (o->in_index)
		unindex(o);	/* the caller's reference keeps o */
}

int
store_set_head(struct cobj *o, const struct h1_header *hdr, size_t n,
	       int64_t request_time, int64_t response_time)
{
	struct http_msg m;
	struct h1_resp *r;
	char *text, *q;
	size_t len = 0, i, newcost;

	/* Render the new head, then keep it as if received. */
	for (i = 0; i < n; i++)
		len += hdr[i].name.len + hdr[i].value.len + 4;
	len += 32 + o->head.reason.len;
	text = malloc(len);
	r = malloc(sizeof(*r));
	if (text == NULL || r == NULL) {
		free(text);
		free(r);
		return -ENOMEM;
	}
	memset(&m, 0, sizeof(m));
	q = text;
	q += snprintf(q, 32, "HTTP/1.%d %03d ", o->head.minor,
		      o->head.status);
	memcpy(q, o->head.reason.p, o->head.reason.len);
	r->reason = str_make(q, o->head.reason.len);
	q += o->head.reason.len;
	*q++ = '\r';
	*q++ = '\n';
	r->nhdr = n < H1_MAX_HEADERS ? n : H1_MAX_HEADERS;
	for (i = 0; i < r->nhdr; i++) {
		memcpy(q, hdr[i].name.p, hdr[i].name.len);
		r->hdr[i].name = str_make(q, hdr[i].name.len);
		q += hdr[i].name.len;
		*q++ = ':';
		*q++ = ' ';
		memcpy(q, hdr[i].value.p, hdr[i].value.len);
		r->hdr[i].value = str_make(q, hdr[i].value.len);
		q += hdr[i].value.len;
		*q++ = '\r';
		*q++ = '\n';
	}
	r->minor = o->head.minor;
	r->status = o->head.status;
	if (http_msg_keep_resp(&m, r, text, (size_t)(q - text)) < 0) {
		free(text);
		free(r);
		http_msg_free(&m);
		return -ENOMEM;
	}
	free(text);
	free(r);
	newcost = m.hlen + m.nhdr * sizeof(struct h1_header);
	S.mem -= o->head.hlen + o->head.nhdr * sizeof(struct h1_header);
	o->mem_cost -= o->head.hlen + o->head.nhdr *
		       sizeof(struct h1_header);
	http_msg_free(&o->head);
	o->head = m;
	S.mem += newcost;
	o->mem_cost += newcost;
	o->request_time = request_time;
	o->response_time = response_time;
	return 0;
}

void
store_touch(struct cobj *o, double now)
{
	o->hits++;
	o->last_ref = now;
	if (o->in_lru)
		lru_push(o);
}

int
store_remove_key(const char *key, size_t klen)
{
	struct cobj *o, *next;
	uint64_t h;
	int n = 0;

	if (S.nbucket == 0)
		return 0;
	h = key_hash(key, klen);
	for (o = S.bucket[h & (S.nbucket - 1)]; o != NULL; o = next) {
		next = o->hnext;
		if (o->hash == h && o->klen == klen &&
		    memcmp(o->key, key, klen) == 0) {
			n++;
			if (!o->complete)
				store_fail(o);
			else
				unindex(o);
		}
	}
	return n;
}

void
store_wait(struct cobj *o, struct cwait *w)
{
	if (w->queued)
		return;
	w->next = o->waiters;
	o->waiters = w;
	w->queued = 1;
}

void
store_unwait(struct cobj *o, struct cwait *w)
{
	struct cwait **pp;

	if (w->queued) {
		for (pp = &o->waiters; *pp != NULL; pp = &(*pp)->next)
			if (*pp == w) {
				*pp = w->next;
				break;
			}
		w->queued = 0;
	}
	evl_defer_cancel(&w->defer);
}

size_t
store_body_next(const struct cobj *o, struct ccursor *cur, const char **p)
{
	const struct cchunk *c = cur->c;

	if (c == NULL) {
		c = o->first;
		if (c == NULL)
			return 0;
		cur->c = c;
		cur->off = 0;
	}
	while (cur->off == c->len && c->next != NULL) {
		c = c->next;
		cur->c = c;
		cur->off = 0;
	}
	if (cur->off >= c->len)
		return 0;
	*p = c->data + cur->off;
	return c->len - cur->off;
}

void
store_cursor_skip(struct ccursor *cur, size_t n)
{
	cur->off += n;
	cur->pos += n;
}

void
store_cursor_seek(const struct cobj *o, struct ccursor *cur, uint64_t off)
{
	const struct cchunk *c = o->first;
	uint64_t left = off;

	while (c != NULL && left > c->len && c->next != NULL) {
		left -= c->len;
		c = c->next;
	}
	cur->c = c;
	cur->off = c ? (size_t)left : 0;
	cur->pos = off;
}

void
store_get_stats(struct store_stats *st)
{
	*st = S.st;
	st->objects = S.nobj;
	st->mem_bytes = S.mem;
	st->mem_max = S.mem_max;
}
