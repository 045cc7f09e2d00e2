/*
 * store.c - the index of stored responses and where their bodies are
 * (store.h): a hash table of primary keys whose buckets chain every
 * variant; bodies in memory (bounded by cache_mem, a recency list for
 * replacement) and in cache_dir files (cache/disk.c does the I/O; each
 * dir has its own recency list, trimmed from cache_swap_high down to
 * cache_swap_low). An object's head is always in memory, so lookups and
 * freshness never wait for the disk.
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
#include "cache/policy.h"
#include "cache/store.h"
#include "event/loop.h"
#include "http/h1.h"
#include "http/msg.h"

#define NBUCKET_MIN   1024
#define CHUNK_MIN     16384
#define CHUNK_MAX     (1u << 20)	/* one chunk for bodies up to this */
#define EVICT_SAMPLE  8
#define VKEY_MAX      4096
#define OBJ_OVERHEAD  (sizeof(struct cobj) + 64)
#define META_MAGIC    0x4d585054u	/* "TPXM" */
#define META_VERSION  1

/* One cache_dir of this process. */
struct sdir {
	struct cdisk *d;
	uint64_t      max;
	uint64_t      used;
	uint64_t      min_size;
	uint64_t      max_size;	/* 0: maximum_object_size */
	int           read_only;
	struct cobj  *lru_head;
	struct cobj  *lru_tail;
};

/* The metadata written before each body in a file: enough to put the
 * object back in the index after a restart. */
struct meta_hdr {
	uint32_t magic;
	uint32_t version;
	uint32_t klen;
	uint32_t vklen;
	uint32_t hlen;
	uint32_t pad;
	int64_t  request_time;
	int64_t  response_time;
};

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
	uint64_t      max_obj;		/* maximum_object_size */
	struct sdir   dir[STORE_MAX_DIRS];
	int           ndir;
	int           swap_low;		/* percent */
	int           swap_high;
	uint64_t      next_fileno;
	struct cobj  *ofile_head;	/* objects whose file is open */
	struct cobj  *ofile_tail;
	unsigned      nofile;
	struct store_stats st;
} S;

/* Files kept open for hits (nginx's open_file_cache): a hit on one of
 * them needs no I/O thread at all when its pages are cached. */
#define OPEN_FILES_MAX 512

static void unindex(struct cobj *o);

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

/* The dir's recency list. */
static void
dlru_unlink(struct cobj *o)
{
	struct sdir *sd;

	if (!o->in_dlru)
		return;
	sd = &S.dir[o->dir];
	if (o->dlru_prev)
		o->dlru_prev->dlru_next = o->dlru_next;
	else
		sd->lru_head = o->dlru_next;
	if (o->dlru_next)
		o->dlru_next->dlru_prev = o->dlru_prev;
	else
		sd->lru_tail = o->dlru_prev;
	o->dlru_prev = o->dlru_next = NULL;
	o->in_dlru = 0;
}

static void
dlru_push(struct cobj *o)
{
	struct sdir *sd = &S.dir[o->dir];

	dlru_unlink(o);
	o->dlru_next = sd->lru_head;
	if (sd->lru_head)
		sd->lru_head->dlru_prev = o;
	sd->lru_head = o;
	if (sd->lru_tail == NULL)
		sd->lru_tail = o;
	o->in_dlru = 1;
}

/* Free the body's chunks (the object stays). */
static void
drop_chunks(struct cobj *o)
{
	struct cchunk *c, *n;
	size_t freed = 0;

	for (c = o->first; c != NULL; c = n) {
		n = c->next;
		freed += sizeof(*c) + c->cap;
		free(c);
	}
	o->first = o->last = NULL;
	o->mem_cost -= freed;
	S.mem -= freed;
	o->mem_body = 0;
	lru_unlink(o);
}

static void
ofile_unlink(struct cobj *o)
{
	if (o->ofile_prev)
		o->ofile_prev->ofile_next = o->ofile_next;
	else if (S.ofile_head == o)
		S.ofile_head = o->ofile_next;
	if (o->ofile_next)
		o->ofile_next->ofile_prev = o->ofile_prev;
	else if (S.ofile_tail == o)
		S.ofile_tail = o->ofile_prev;
	o->ofile_prev = o->ofile_next = NULL;
}

/* Close o's kept file (no hit is using it: refs say so). */
static void
close_kept(struct cobj *o)
{
	if (o->rd == NULL)
		return;
	ofile_unlink(o);
	cdisk_rd_close(o->rd);
	o->rd = NULL;
	S.nofile--;
}

struct cdisk_rd *
store_kept_file(struct cobj *o)
{
	if (o->rd != NULL && S.ofile_head != o) {
		ofile_unlink(o);
		o->ofile_next = S.ofile_head;
		if (S.ofile_head)
			S.ofile_head->ofile_prev = o;
		S.ofile_head = o;
		if (S.ofile_tail == NULL)
			S.ofile_tail = o;
	}
	return o->rd;
}

int
store_keep_file(struct cobj *o, struct cdisk_rd *rd)
{
	struct cobj *x, *prev;

	if (o->rd != NULL || !o->on_disk)
		return 0;
	/* Make room: close the coldest files no hit is reading. */
	for (x = S.ofile_tail; x != NULL && S.nofile >= OPEN_FILES_MAX;
	     x = prev) {
		prev = x->ofile_prev;
		if (x->refs == 0)
			close_kept(x);
	}
	if (S.nofile >= OPEN_FILES_MAX)
		return 0;
	o->rd = rd;
	S.nofile++;
	store_kept_file(o);
	return 1;
}

/* Remove o's file (the object may stay, with its body in memory). */
static void
drop_file(struct cobj *o)
{
	close_kept(o);
	if (!o->on_disk)
		return;
	dlru_unlink(o);
	cdisk_unlink(S.dir[o->dir].d, o->fileno);
	S.dir[o->dir].used -= o->disk_cost;
	o->on_disk = 0;
	o->disk_cost = 0;
}

static void
obj_free(struct cobj *o)
{
	drop_chunks(o);
	drop_file(o);
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

/* Take o out of the index (it lives on while referenced: a fill in
 * progress goes on for its own client, a hit is served to its end). */
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
	dlru_unlink(o);
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
repl_key(const struct cobj *o, size_t cost)
{
	double k = (double)o->hits + S.age;

	if (S.repl == 2 /* CFG_REPL_LFUDA */)
		return k;
	/* GDSF: frequency per byte. */
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

	while (S.mem > S.mem_max) {
		victim = NULL;
		best = 0;
		for (o = S.lru_tail, i = 0; o != NULL && i < EVICT_SAMPLE;
		     o = o->lru_prev) {
			if (o == keep || o->refs > 0)
				continue;
			i++;
			if (S.repl == 0 /* CFG_REPL_LRU */) {
				victim = o;
				break;
			}
			k = repl_key(o, o->mem_cost);
			if (victim == NULL || k < best) {
				best = k;
				victim = o;
			}
		}
		if (victim == NULL)
			break;
		if (S.repl != 0)
			S.age = best;
		S.st.evicted++;
		if (victim->on_disk)
			drop_chunks(victim);
		else
			unindex(victim);
	}
}

/* cache_swap_high reached in sd: drop files from its cold end down to
 * cache_swap_low. */
static void
evict_disk(struct sdir *sd)
{
	struct cobj *o, *prev;
	uint64_t low = sd->max / 100 * (uint64_t)S.swap_low;

	if (sd->used <= sd->max / 100 * (uint64_t)S.swap_high)
		return;
	for (o = sd->lru_tail; o != NULL && sd->used > low; o = prev) {
		prev = o->dlru_prev;
		if (o->refs > 0)
			continue;
		S.st.evicted++;
		if (o->mem_body)
			drop_file(o);
		else
			unindex(o);
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

void
store_configure_objects(uint64_t max_obj, int swap_low, int swap_high)
{
	int i;

	S.max_obj = max_obj;
	S.swap_low = swap_low;
	S.swap_high = swap_high;
	for (i = 0; i < S.ndir; i++)
		evict_disk(&S.dir[i]);
}

int
store_enabled(void)
{
	return S.mem_max > 0 || S.ndir > 0;
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
		} else if (!o->failed && o->mem_body && filling == NULL &&
			   o->clen >= 0 &&
			   (uint64_t)o->clen <= S.max_obj_mem) {
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

/* Choose a cache_dir for an object of length clen (-1: unknown): the
 * one with the most room left that takes that size. -1: none. */
static int
choose_dir(int64_t clen)
{
	int i, best = -1;
	uint64_t room, best_room = 0;
	const struct sdir *sd;

	for (i = 0; i < S.ndir; i++) {
		sd = &S.dir[i];
		if (sd->read_only)
			continue;
		if (clen >= 0 && ((uint64_t)clen < sd->min_size ||
				  (sd->max_size && (uint64_t)clen >
				   sd->max_size)))
			continue;
		room = sd->max > sd->used ? sd->max - sd->used : 0;
		if (best < 0 || room > best_room) {
			best = i;
			best_room = room;
		}
	}
	return best;
}

/* Start writing o into a cache_dir. */
static void
start_file(struct cobj *o)
{
	struct meta_hdr mh;
	char *meta;
	size_t len;
	int dir = choose_dir(o->clen);

	if (dir < 0)
		return;
	len = sizeof(mh) + o->klen + o->vklen + o->head.hlen;
	meta = malloc(len);
	if (meta == NULL)
		return;
	memset(&mh, 0, sizeof(mh));
	mh.magic = META_MAGIC;
	mh.version = META_VERSION;
	mh.klen = (uint32_t)o->klen;
	mh.vklen = (uint32_t)o->vklen;
	mh.hlen = (uint32_t)o->head.hlen;
	mh.request_time = o->request_time;
	mh.response_time = o->response_time;
	memcpy(meta, &mh, sizeof(mh));
	memcpy(meta + sizeof(mh), o->key, o->klen);
	if (o->vklen)
		memcpy(meta + sizeof(mh) + o->klen, o->vkey, o->vklen);
	memcpy(meta + sizeof(mh) + o->klen + o->vklen, o->head.area,
	       o->head.hlen);
	o->fileno = S.next_fileno++;
	o->dir = dir;
	o->metalen = len;
	o->wr = cdisk_wr_open(S.dir[dir].d, o->fileno, meta, len);
	free(meta);
}

/* Stop writing o's file (it is dropped). */
static void
stop_file(struct cobj *o)
{
	if (o->wr == NULL)
		return;
	cdisk_wr_finish(o->wr, 0, NULL, NULL);
	o->wr = NULL;
}

/* A new object in the index (head kept), not yet complete. */
static struct cobj *
obj_new(const char *key, size_t klen, const char *vkey, size_t vklen,
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
	S.nobj++;
	return o;
}

struct cobj *
store_new(const char *key, size_t klen, const char *vkey, size_t vklen,
	  const struct h1_resp *resp, const char *base, size_t hlen,
	  int64_t clen, int64_t request_time, int64_t response_time)
{
	struct cobj *o;

	o = obj_new(key, klen, vkey, vklen, resp, base, hlen, clen);
	if (o == NULL)
		return NULL;
	o->refs = 1;		/* the filler's */
	o->request_time = request_time;
	o->response_time = response_time;
	o->mem_body = S.mem_max > 0 &&
		      (clen < 0 || (uint64_t)clen <= S.max_obj_mem);
	if (S.ndir > 0)
		start_file(o);
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
	if (S.max_obj > 0 && o->body_len + n > S.max_obj) {
		store_fail(o);
		return -EFBIG;
	}
	if (o->wr != NULL && cdisk_write(o->wr, p, n) < 0) {
		/* The disk cannot keep up or failed: no file then. */
		S.st.disk_errors++;
		stop_file(o);
	}
	if (o->mem_body && (o->body_len + n > S.max_obj_mem ||
			    o->mem_cost + n > S.mem_max)) {
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
			S.mem += sizeof(*c) + cap;
		}
		take = c->cap - c->len < n ? c->cap - c->len : n;
		memcpy(c->data + c->len, src, take);
		c->len += take;
		src += take;
		n -= take;
	}
	wake(o);
	if (S.mem > S.mem_max)
		evict(o);
	return 0;
}

/* o can be read whole: it replaces older variants with the same
 * secondary key. */
static void
complete_now(struct cobj *o)
{
	struct cobj *x, *next;

	o->complete = 1;
	S.st.stored++;
	if (o->in_index) {
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
		if (o->mem_body)
			lru_push(o);
	}
	wake(o);
	if (S.mem > S.mem_max)
		evict(NULL);
}

/* The file of o is written (err 0) or lost. */
static void
file_done(void *arg, int err, uint64_t body_len)
{
	struct cobj *o = arg;
	struct sdir *sd = &S.dir[o->dir];

	if (err == 0 && body_len == o->body_len && !o->failed) {
		o->on_disk = 1;
		o->disk_cost = cdisk_cost(o->metalen, body_len);
		sd->used += o->disk_cost;
		if (o->in_index)
			dlru_push(o);
		if (!o->complete)
			complete_now(o);
		evict_disk(sd);
	} else {
		if (err != 0)
			S.st.disk_errors++;
		if (!o->complete)
			store_fail(o);
	}
	store_unref(o);
}

void
store_complete(struct cobj *o)
{
	if (o->failed || o->complete)
		return;
	if (o->wr != NULL) {
		o->refs++;	/* until file_done() */
		cdisk_wr_finish(o->wr, 1, file_done, o);
		o->wr = NULL;
	}
	/* A body in memory can be read now; one only on disk once its
	 * file is in place. */
	if (o->mem_body)
		complete_now(o);
}

void
store_fail(struct cobj *o)
{
	if (o->failed || o->complete)
		return;
	o->failed = 1;
	stop_file(o);
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
	if (o->in_dlru)
		dlru_push(o);
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
store_remove(struct cobj *o)
{
	if (!o->complete)
		store_fail(o);
	else
		unindex(o);
}

#define FILL_ROOM (1u << 20)	/* room kept for one more read */

static void
drained(void *arg)
{
	wake(arg);
}

int
store_fill_busy(const struct cobj *o)
{
	return o->wr != NULL && cdisk_queued(o->wr) + FILL_ROOM > DISK_WQ_MAX;
}

int
store_fill_wait(struct cobj *o, struct cwait *w)
{
	if (!store_fill_busy(o))
		return 0;
	store_wait(o, w);
	cdisk_wr_on_drain(o->wr, drained, o);
	return 1;
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

/* ---- cache_dirs --------------------------------------------------------- */

/* A file found by the scan: its object back in the index. */
static void
scan_found(void *arg, uint64_t fileno, const void *meta, size_t metalen,
	   uint64_t body_len)
{
	struct sdir *sd = arg;
	struct meta_hdr mh;
	struct h1_scan scan;
	struct h1_resp *resp;
	const char *m = meta, *head;
	struct cobj *o;
	int rc;

	if (metalen < sizeof(mh))
		goto bad;
	memcpy(&mh, m, sizeof(mh));
	if (mh.magic != META_MAGIC || mh.version != META_VERSION ||
	    (uint64_t)sizeof(mh) + mh.klen + mh.vklen + mh.hlen != metalen ||
	    mh.klen == 0)
		goto bad;
	if (fileno >= S.next_fileno)
		S.next_fileno = fileno + 1;
	head = m + sizeof(mh) + mh.klen + mh.vklen;
	resp = malloc(sizeof(*resp));
	if (resp == NULL)
		return;
	memset(&scan, 0, sizeof(scan));
	rc = h1_parse_resp(head, mh.hlen, mh.hlen, &scan, resp);
	if (rc != (int)mh.hlen) {
		free(resp);
		goto bad;
	}
	o = obj_new(m + sizeof(mh), mh.klen, mh.vklen ? m + sizeof(mh) +
		    mh.klen : NULL, mh.vklen, resp, head, mh.hlen,
		    (int64_t)body_len);
	free(resp);
	if (o == NULL)
		return;
	o->request_time = mh.request_time;
	o->response_time = mh.response_time;
	o->body_len = body_len;
	o->fileno = fileno;
	o->dir = (int)(sd - S.dir);
	o->metalen = metalen;
	o->on_disk = 1;
	o->complete = 1;
	o->disk_cost = cdisk_cost(metalen, body_len);
	sd->used += o->disk_cost;
	dlru_push(o);
	return;
bad:
	cdisk_unlink(sd->d, fileno);
}

static void
scan_done(void *arg, uint64_t nfound, uint64_t nremoved)
{
	struct sdir *sd = arg;

	(void)nfound;
	(void)nremoved;
	evict_disk(sd);
}

int
store_dir_open(const char *path, unsigned l1, unsigned l2, uint64_t max,
	       uint64_t min_size, uint64_t max_size, int read_only,
	       char *err, size_t errlen)
{
	struct sdir *sd;
	int rc;

	if (S.ndir >= STORE_MAX_DIRS) {
		snprintf(err, errlen, "more than %d cache_dir lines",
			 STORE_MAX_DIRS);
		return -ENOSPC;
	}
	if (S.next_fileno == 0)
		S.next_fileno = (uint64_t)time(NULL) << 20;
	sd = &S.dir[S.ndir];
	memset(sd, 0, sizeof(*sd));
	rc = cdisk_open(&sd->d, path, l1, l2, err, errlen);
	if (rc < 0)
		return rc;
	sd->max = max;
	sd->min_size = min_size;
	sd->max_size = max_size;
	sd->read_only = read_only;
	S.ndir++;
	rc = cdisk_scan(sd->d, scan_found, scan_done, sd);
	if (rc < 0)
		snprintf(err, errlen, "cannot read the objects already "
			 "stored: %s", strerror(-rc));
	return S.ndir - 1;
}

struct cdisk *
store_dir_disk(int dir)
{
	return dir >= 0 && dir < S.ndir ? S.dir[dir].d : NULL;
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

	*st = S.st;
	st->objects = S.nobj;
	st->mem_bytes = S.mem;
	st->mem_max = S.mem_max;
	st->disk_bytes = 0;
	st->disk_max = 0;
	for (i = 0; i < S.ndir; i++) {
		st->disk_bytes += S.dir[i].used;
		st->disk_max += S.dir[i].max;
	}
}
