/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store.c - the index of stored responses and their bodies in memory
 * (store.h): a hash table of primary keys whose buckets chain every
 * variant, bodies bounded by cache_mem with a recency list for
 * replacement, objects' lifecycle (filling, complete, failed) and their
 * readers. An object's head is always in memory, so lookups and
 * freshness never wait for the disk. The cache_dirs are store_dir.c.
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
#include <time.h>
#include <string.h>

#include "cache/disk.h"
#include "cache/marena.h"
#include "cache/policy.h"
#include "cache/store-int.h"
#include "cache/store.h"
#include "event/loop.h"
#include "http/h1.h"
#include "http/msg.h"

#define NBUCKET_MIN   1024
#define CHUNK_MIN     16384
#define CHUNK_MAX     (1u << 20)	/* one chunk for bodies up to this */
#define ARENA_MIN     (32u << 10)	/* smaller complete bodies stay in
					   chunks */
#define EVICT_SAMPLE  8
#define VKEY_MAX      4096
#define OBJ_OVERHEAD  (sizeof(struct cobj) + 64)

struct store_state store_g;


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

/* The chain of hash h (the table is not empty). */
static struct cobj **
bucket_of(uint64_t h)
{
	return &store_g.bucket[h & (store_g.nbucket - 1)];
}

static int
grow_index(void)
{
	struct cobj **nb, *o, *next;
	size_t n = store_g.nbucket ? store_g.nbucket * 2 : NBUCKET_MIN, i, k;

	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return -ENOMEM;
	for (i = 0; i < store_g.nbucket; i++)
		for (o = store_g.bucket[i]; o != NULL; o = next) {
			next = o->hnext;
			k = o->hash & (n - 1);
			o->hnext = nb[k];
			nb[k] = o;
		}
	free(store_g.bucket);
	store_g.bucket = nb;
	store_g.nbucket = n;
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
		store_g.lru_head = o->lru_next;
	if (o->lru_next)
		o->lru_next->lru_prev = o->lru_prev;
	else
		store_g.lru_tail = o->lru_prev;
	o->lru_prev = o->lru_next = NULL;
	o->in_lru = 0;
}

static void
lru_push(struct cobj *o)
{
	lru_unlink(o);
	o->lru_prev = NULL;
	o->lru_next = store_g.lru_head;
	if (store_g.lru_head)
		store_g.lru_head->lru_prev = o;
	store_g.lru_head = o;
	if (store_g.lru_tail == NULL)
		store_g.lru_tail = o;
	o->in_lru = 1;
}

/* Free the chunks of o's body; returns the bytes they took. */
static size_t
free_chunks(struct cobj *o)
{
	struct cchunk *c, *n;
	size_t freed = 0;

	for (c = o->first; c != NULL; c = n) {
		n = c->next;
		freed += sizeof(*c) + c->cap;
		free(c);
	}
	o->first = o->last = NULL;
	return freed;
}

/* Free the body in memory (the object stays). */
static void
drop_chunks(struct cobj *o)
{
	size_t freed = free_chunks(o);

	if (o->in_arena) {
		marena_free(&store_g.arena, o->arena_off, o->body_len);
		freed += marena_cost(o->body_len);
		o->in_arena = 0;
	}
	o->mem_cost -= freed;
	store_g.mem -= freed;
	o->mem_body = 0;
	lru_unlink(o);
}

/* A complete body in chunks moves into the arena, from where hits send
 * it without copying. Only when nobody reads the chunks (a collapsed
 * hit following the fill keeps them); small bodies stay (one write of
 * head and body is cheaper for them). */
static void
to_arena(struct cobj *o)
{
	const struct cchunk *c;
	uint64_t off, size;
	size_t done = 0, freed;

	if (o->refs > 1 || o->first == NULL || o->body_len < ARENA_MIN)
		return;
	size = store_g.mem_max * 64;
	if (size < ((uint64_t)1 << 30))
		size = (uint64_t)1 << 30;
	if (marena_alloc(&store_g.arena, size, o->body_len, &off) < 0)
		return;
	for (c = o->first; c != NULL; c = c->next) {
		memcpy(store_g.arena.base + off + done, c->data, c->len);
		done += c->len;
	}
	freed = free_chunks(o);
	o->arena_off = off;
	o->in_arena = 1;
	o->mem_cost = o->mem_cost - freed + marena_cost(o->body_len);
	store_g.mem = store_g.mem - freed + marena_cost(o->body_len);
}

static void
obj_free(struct cobj *o)
{
	drop_chunks(o);
	sdir_drop_file(o);
	store_g.mem -= o->mem_cost;
	http_msg_free(&o->head);
	free(o->key);
	free(o->vkey);
	free(o);
}

/* Call every waiter of o (deferred: never from inside the change). */
void
store_i_wake(struct cobj *o)
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

/* Take o out of the index (it lives on while referenced: a fill in
 * progress goes on for its own client, a hit is served to its end). */
void
store_i_unindex(struct cobj *o)
{
	struct cobj **pp;

	if (!o->in_index)
		return;
	for (pp = bucket_of(o->hash); *pp != NULL;
	     pp = &(*pp)->hnext)
		if (*pp == o) {
			*pp = o->hnext;
			break;
		}
	o->hnext = NULL;
	o->in_index = 0;
	store_g.nobj--;
	lru_unlink(o);
	sdir_lru_unlink(o);
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

/* The replacement key of o under policy repl (lower goes first): heap
 * LFUDA counts hits plus the cache's age (the key of the last victim);
 * heap GDSF divides that by the object's cost, so that small popular
 * objects stay. */
double
store_i_repl_key(const struct cobj *o, size_t cost, int repl, double age)
{
	double k = (double)o->hits + age;

	if (repl == 2 /* CFG_REPL_LFUDA */)
		return k;
	return k * 65536.0 / (double)(cost ? cost : 1);
}

/* Drop bodies from the cold end of memory until it is within cache_mem
 * (or nothing evictable is left): an object whose body is also in a
 * file keeps its place in the index. Referenced objects (being read)
 * are skipped. keep: never this one. */
static void
evict(const struct cobj *keep)
{
	struct cobj *o, *victim;
	double best, k;
	int i;

	while (store_g.mem > store_g.mem_max) {
		victim = NULL;
		best = 0;
		for (o = store_g.lru_tail, i = 0; o != NULL && i < EVICT_SAMPLE;
		     o = o->lru_prev) {
			if (o == keep || o->refs > 0)
				continue;
			i++;
			if (store_g.repl == 0 /* CFG_REPL_LRU */) {
				victim = o;
				break;
			}
			k = store_i_repl_key(o, o->mem_cost, store_g.repl,
					     store_g.age);
			if (victim == NULL || k < best) {
				best = k;
				victim = o;
			}
		}
		if (victim == NULL)
			break;
		if (store_g.repl != 0)
			store_g.age = best;
		store_g.st.evicted++;
		if (victim->on_disk)
			drop_chunks(victim);
		else
			store_i_unindex(victim);
	}
}

void
store_configure(uint64_t mem_max, uint64_t max_obj_mem, int repl)
{
	store_g.mem_max = mem_max;
	store_g.max_obj_mem = max_obj_mem;
	store_g.repl = repl;
	evict(NULL);
}

void
store_configure_objects(uint64_t max_obj, int swap_low, int swap_high,
			int repl)
{
	int i;

	store_g.repl_disk = repl;
	store_g.max_obj = max_obj;
	store_g.swap_low = swap_low;
	store_g.swap_high = swap_high;
	for (i = 0; i < store_g.ndir; i++)
		sdir_evict(&store_g.dir[i]);
}

int
store_enabled(void)
{
	return store_g.mem_max > 0 || store_g.ndir > 0;
}

void
store_clear(void)
{
	size_t i;

	for (i = 0; i < store_g.nbucket; i++)
		while (store_g.bucket[i] != NULL)
			store_i_unindex(store_g.bucket[i]);
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

	if (store_g.nbucket == 0)
		return NULL;
	h = key_hash(key, klen);
	for (o = *bucket_of(h); o != NULL; o = o->hnext) {
		if (o->hash != h || o->klen != klen ||
		    memcmp(o->key, key, klen) != 0 ||
		    !variant_matches(o, rq, nrq))
			continue;
		if (o->complete) {
			if (best == NULL ||
			    o->response_time > best->response_time)
				best = o;
		} else if (!o->failed && o->mem_body && filling == NULL &&
			   o->clen >= 0 &&
			   (uint64_t)o->clen <= store_g.max_obj_mem) {
			/* A reader of a fill reads its memory chunks:
			 * only a fill whose whole body stays there. */
			filling = o;
		}
	}
	if (best == NULL && want_filling)
		best = filling;
	if (best != NULL)
		best->refs++;
	return best;
}

/* What a hit needs of the stored head, read once. */
static void
read_facts(struct cobj *o)
{
	struct cache_xchg x;

	store_xchg(o, &x);
	cache_resp_read(&x, &o->facts);
}

/* A new object in the index (head kept), not yet complete. */
struct cobj *
store_i_obj_new(const char *key, size_t klen, const char *vkey, size_t vklen,
	const struct h1_resp *resp, const char *base, size_t hlen,
	int64_t clen, int64_t request_time, int64_t response_time)
{
	struct cobj *o;
	size_t k;

	if (store_g.nobj + 1 > store_g.nbucket && grow_index() < 0)
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
	o->request_time = request_time;
	o->response_time = response_time;
	read_facts(o);
	o->mem_cost = OBJ_OVERHEAD + klen + vklen + hlen +
		      resp->nhdr * sizeof(struct h1_header);
	store_g.mem += o->mem_cost;
	k = o->hash & (store_g.nbucket - 1);
	o->hnext = store_g.bucket[k];
	store_g.bucket[k] = o;
	o->in_index = 1;
	store_g.nobj++;
	return o;
}

struct cobj *
store_new(const char *key, size_t klen, const char *vkey, size_t vklen,
	  const struct h1_resp *resp, const char *base, size_t hlen,
	  int64_t clen, int64_t request_time, int64_t response_time)
{
	struct cobj *o;

	o = store_i_obj_new(key, klen, vkey, vklen, resp, base, hlen, clen,
			    request_time, response_time);
	if (o == NULL)
		return NULL;
	o->refs = 1;		/* the filler's */
	o->mem_body = store_g.mem_max > 0 &&
		      (clen < 0 || (uint64_t)clen <= store_g.max_obj_mem);
	if (store_g.ndir > 0)
		sdir_start_file(o);
	if (!o->mem_body && o->wr == NULL) {
		store_fail(o);
		store_unref(o);
		return NULL;
	}
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
	if (store_g.max_obj > 0 && o->body_len + n > store_g.max_obj) {
		store_fail(o);
		return -EFBIG;
	}
	if (o->wr != NULL && cdisk_write(o->wr, p, n) < 0) {
		/* The disk cannot keep up or failed: no file then. */
		store_g.st.disk_errors++;
		sdir_stop_file(o);
	}
	if (o->mem_body && (o->body_len + n > store_g.max_obj_mem ||
			    o->mem_cost + n > store_g.mem_max)) {
		/* Too large for memory: a file alone keeps it (no reader
		 * shares a fill that can grow past the limit). */
		drop_chunks(o);
	}
	if (!o->mem_body && o->wr == NULL) {
		store_fail(o);
		return -EFBIG;
	}
	o->body_len += n;
	while (o->mem_body && n > 0) {
		if (c == NULL || c->len == c->cap) {
			/* One chunk for a declared length that fits: a hit
			 * is then one write. */
			if (o->clen > 0 && o->first == NULL &&
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
			store_g.mem += sizeof(*c) + cap;
		}
		take = c->cap - c->len < n ? c->cap - c->len : n;
		memcpy(c->data + c->len, src, take);
		c->len += take;
		src += take;
		n -= take;
	}
	store_i_wake(o);
	if (store_g.mem > store_g.mem_max)
		evict(o);
	return 0;
}

/* o can be read whole: it replaces older variants with the same
 * secondary key. */
void
store_i_complete(struct cobj *o)
{
	struct cobj *x, *next;

	o->complete = 1;
	store_g.st.stored++;
	if (o->mem_body)
		to_arena(o);
	if (o->in_index) {
		for (x = *bucket_of(o->hash); x != NULL;
		     x = next) {
			next = x->hnext;
			if (x != o && x->hash == o->hash &&
			    x->klen == o->klen &&
			    memcmp(x->key, o->key, o->klen) == 0 &&
			    x->complete && x->vklen == o->vklen &&
			    (o->vkey == NULL ||
			     memcmp(x->vkey, o->vkey, o->vklen) == 0))
				store_i_unindex(x);
		}
		if (o->mem_body)
			lru_push(o);
	}
	store_i_wake(o);
	if (store_g.mem > store_g.mem_max)
		evict(NULL);
}

void
store_complete(struct cobj *o)
{
	if (o->failed || o->complete)
		return;
	if (o->wr != NULL)
		sdir_finish_file(o);
	/* A body in memory can be read now; one only on disk once its
	 * file is in place. */
	if (o->mem_body)
		store_i_complete(o);
}

void
store_fail(struct cobj *o)
{
	if (o->failed || o->complete)
		return;
	o->failed = 1;
	sdir_stop_file(o);
	store_g.st.abandoned++;
	store_i_wake(o);
	if (o->in_index)
		store_i_unindex(o);	/* the caller's reference keeps o */
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
	store_g.mem -= o->head.hlen + o->head.nhdr * sizeof(struct h1_header);
	o->mem_cost -= o->head.hlen + o->head.nhdr *
		       sizeof(struct h1_header);
	http_msg_free(&o->head);
	o->head = m;
	store_g.mem += newcost;
	o->mem_cost += newcost;
	o->request_time = request_time;
	o->response_time = response_time;
	read_facts(o);
	return 0;
}

void
store_touch(struct cobj *o, double now)
{
	o->hits++;
	o->last_ref = now;
	if (o->in_lru)
		lru_push(o);
	if (o->in_dlru)
		sdir_lru_push(o);
}

int
store_remove_key(const char *key, size_t klen)
{
	struct cobj *o, *next;
	uint64_t h;
	int n = 0;

	if (store_g.nbucket == 0)
		return 0;
	h = key_hash(key, klen);
	for (o = *bucket_of(h); o != NULL; o = next) {
		next = o->hnext;
		if (o->hash == h && o->klen == klen &&
		    memcmp(o->key, key, klen) == 0) {
			n++;
			if (!o->complete)
				store_fail(o);
			else
				store_i_unindex(o);
		}
	}
	return n;
}

void
store_remove(struct cobj *o)
{
	if (!o->complete)
		store_fail(o);
	else
		store_i_unindex(o);
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

	if (o->in_arena) {
		if (cur->pos >= o->body_len)
			return 0;
		*p = store_g.arena.base + o->arena_off + cur->pos;
		return (size_t)(o->body_len - cur->pos);
	}
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

	if (o->in_arena) {
		cur->c = NULL;
		cur->off = 0;
		cur->pos = off;
		return;
	}
	while (c != NULL && left > c->len && c->next != NULL) {
		left -= c->len;
		c = c->next;
	}
	cur->c = c;
	cur->off = c ? (size_t)left : 0;
	cur->pos = off;
}


int
store_body_file(const struct cobj *o, int *fd, uint64_t *off)
{
	if (!o->in_arena)
		return 0;
	*fd = store_g.arena.fd;
	*off = o->arena_off;
	return 1;
}

void
store_xchg(const struct cobj *o, struct cache_xchg *x)
{
	memset(x, 0, sizeof(*x));
	x->method = STR_LIT("GET");
	x->status = o->head.status;
	x->resp = o->head.hdr;
	x->nresp = o->head.nhdr;
	x->request_time = o->request_time;
	x->response_time = o->response_time;
}

void
store_get_stats(struct store_stats *st)
{
	int i;

	*st = store_g.st;
	st->objects = store_g.nobj;
	st->mem_bytes = store_g.mem;
	st->mem_max = store_g.mem_max;
	st->disk_bytes = 0;
	st->disk_max = 0;
	for (i = 0; i < store_g.ndir; i++) {
		st->disk_bytes += store_g.dir[i].used;
		st->disk_max += store_g.dir[i].max;
	}
}
