/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store_dir.c - the store's cache_dirs (store.h): which dir takes an
 * object, its file written while the object fills (the metadata a restart
 * needs, then the body; the filler waits while the disk is behind), the
 * dir's recency list trimmed from cache_swap_high down to cache_swap_low,
 * the objects found again by the scan at start, and the files kept open
 * for hits (cache/disk.c does the I/O, on its threads).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/disk.h"
#include "cache/store-int.h"
#include "cache/store.h"
#include "http/h1.h"

#define META_MAGIC    0x4d585054u	/* "TPXM" */
#define META_VERSION  1
#define FILL_ROOM     (1u << 20)	/* room kept for one more read */
#define EVICT_SAMPLE  8
/* Files kept open for hits (nginx's open_file_cache): a hit on one of
 * them needs no I/O thread at all when its pages are cached. */
#define OPEN_FILES_MAX 512

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

static void close_kept(struct cobj *o);

/* The dir's recency list. */
void
sdir_lru_unlink(struct cobj *o)
{
	struct sdir *sd;

	if (!o->in_dlru)
		return;
	sd = &store_g.dir[o->dir];
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

void
sdir_lru_push(struct cobj *o)
{
	struct sdir *sd = &store_g.dir[o->dir];

	sdir_lru_unlink(o);
	o->dlru_next = sd->lru_head;
	if (sd->lru_head)
		sd->lru_head->dlru_prev = o;
	sd->lru_head = o;
	if (sd->lru_tail == NULL)
		sd->lru_tail = o;
	o->in_dlru = 1;
}

static void
ofile_unlink(struct cobj *o)
{
	if (o->ofile_prev)
		o->ofile_prev->ofile_next = o->ofile_next;
	else if (store_g.ofile_head == o)
		store_g.ofile_head = o->ofile_next;
	if (o->ofile_next)
		o->ofile_next->ofile_prev = o->ofile_prev;
	else if (store_g.ofile_tail == o)
		store_g.ofile_tail = o->ofile_prev;
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
	store_g.nofile--;
}

struct cdisk_rd *
store_kept_file(struct cobj *o)
{
	if (o->rd != NULL && store_g.ofile_head != o) {
		ofile_unlink(o);
		o->ofile_next = store_g.ofile_head;
		if (store_g.ofile_head)
			store_g.ofile_head->ofile_prev = o;
		store_g.ofile_head = o;
		if (store_g.ofile_tail == NULL)
			store_g.ofile_tail = o;
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
	for (x = store_g.ofile_tail;
	     x != NULL && store_g.nofile >= OPEN_FILES_MAX; x = prev) {
		prev = x->ofile_prev;
		if (x->refs == 0)
			close_kept(x);
	}
	if (store_g.nofile >= OPEN_FILES_MAX)
		return 0;
	o->rd = rd;
	store_g.nofile++;
	store_kept_file(o);
	return 1;
}

/* Remove o's file (the object may stay, with its body in memory). */
void
sdir_drop_file(struct cobj *o)
{
	close_kept(o);
	if (!o->on_disk)
		return;
	sdir_lru_unlink(o);
	cdisk_unlink(store_g.dir[o->dir].d, o->fileno);
	store_g.dir[o->dir].used -= o->disk_cost;
	o->on_disk = 0;
	o->disk_cost = 0;
}

/* cache_swap_high reached in sd: drop files from its cold end down to
 * cache_swap_low. */
void
sdir_evict(struct sdir *sd)
{
	struct cobj *o, *victim;
	uint64_t low = sd->max / 100 * (uint64_t)store_g.swap_low;
	double best = 0, k;
	int i;

	if (sd->used <= sd->max / 100 * (uint64_t)store_g.swap_high)
		return;
	while (sd->used > low) {
		/* LRU: the coldest file no hit reads; heap GDSF/LFUDA: the
		 * lowest key among the EVICT_SAMPLE coldest. */
		victim = NULL;
		for (o = sd->lru_tail, i = 0; o != NULL && i < EVICT_SAMPLE;
		     o = o->dlru_prev) {
			if (o->refs > 0)
				continue;
			i++;
			if (store_g.repl_disk == 0 /* CFG_REPL_LRU */) {
				victim = o;
				break;
			}
			k = store_i_repl_key(o, o->disk_cost,
					     store_g.repl_disk,
					     store_g.age_disk);
			if (victim == NULL || k < best) {
				best = k;
				victim = o;
			}
		}
		if (victim == NULL)
			break;
		if (store_g.repl_disk != 0)
			store_g.age_disk = best;
		store_g.st.evicted++;
		if (victim->mem_body)
			sdir_drop_file(victim);
		else
			store_i_unindex(victim);
	}
}

/* Choose a cache_dir for an object of length clen (-1: unknown): the
 * one with the most room left that takes that size. -1: none. */
static int
choose_dir(int64_t clen)
{
	int i, best = -1;
	uint64_t room, best_room = 0;
	const struct sdir *sd;

	for (i = 0; i < store_g.ndir; i++) {
		sd = &store_g.dir[i];
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
void
sdir_start_file(struct cobj *o)
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
	o->fileno = store_g.next_fileno++;
	o->dir = dir;
	o->metalen = len;
	o->wr = cdisk_wr_open(store_g.dir[dir].d, o->fileno, meta, len);
	free(meta);
}

/* Stop writing o's file (it is dropped). */
void
sdir_stop_file(struct cobj *o)
{
	if (o->wr == NULL)
		return;
	cdisk_wr_finish(o->wr, 0, NULL, NULL);
	o->wr = NULL;
}

/* The file of o is written (err 0) or lost. */
static void
file_done(void *arg, int err, uint64_t body_len)
{
	struct cobj *o = arg;
	struct sdir *sd = &store_g.dir[o->dir];

	if (err == 0 && body_len == o->body_len && !o->failed) {
		o->on_disk = 1;
		o->disk_cost = cdisk_cost(o->metalen, body_len);
		sd->used += o->disk_cost;
		if (o->in_index)
			sdir_lru_push(o);
		if (!o->complete)
			store_i_complete(o);
		sdir_evict(sd);
	} else {
		if (err != 0)
			store_g.st.disk_errors++;
		if (!o->complete)
			store_fail(o);
	}
	store_unref(o);
}

static void
drained(void *arg)
{
	store_i_wake(arg);
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
	if (fileno >= store_g.next_fileno)
		store_g.next_fileno = fileno + 1;
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
	o = store_i_obj_new(m + sizeof(mh), mh.klen, mh.vklen ?
			    m + sizeof(mh) + mh.klen : NULL, mh.vklen, resp,
			    head, mh.hlen, (int64_t)body_len, mh.request_time,
			    mh.response_time);
	free(resp);
	if (o == NULL)
		return;
	o->body_len = body_len;
	o->fileno = fileno;
	o->dir = (int)(sd - store_g.dir);
	o->metalen = metalen;
	o->on_disk = 1;
	o->complete = 1;
	o->disk_cost = cdisk_cost(metalen, body_len);
	sd->used += o->disk_cost;
	sdir_lru_push(o);
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
	sdir_evict(sd);
}

int
store_dir_open(const char *path, unsigned l1, unsigned l2, uint64_t max,
	       uint64_t min_size, uint64_t max_size, int read_only,
	       char *err, size_t errlen)
{
	struct sdir *sd;
	int rc;

	if (store_g.ndir >= STORE_MAX_DIRS) {
		snprintf(err, errlen, "more than %d cache_dir lines",
			 STORE_MAX_DIRS);
		return -ENOSPC;
	}
	if (store_g.next_fileno == 0)
		store_g.next_fileno = (uint64_t)time(NULL) << 20;
	sd = &store_g.dir[store_g.ndir];
	memset(sd, 0, sizeof(*sd));
	rc = cdisk_open(&sd->d, path, l1, l2, err, errlen);
	if (rc < 0)
		return rc;
	sd->max = max;
	sd->min_size = min_size;
	sd->max_size = max_size;
	sd->read_only = read_only;
	store_g.ndir++;
	rc = cdisk_scan(sd->d, scan_found, scan_done, sd);
	if (rc < 0)
		snprintf(err, errlen, "cannot read the objects already "
			 "stored: %s", strerror(-rc));
	return store_g.ndir - 1;
}

struct cdisk *
store_dir_disk(int dir)
{
	return dir >= 0 && dir < store_g.ndir ? store_g.dir[dir].d : NULL;
}

void
sdir_finish_file(struct cobj *o)
{
	o->refs++;	/* until file_done() */
	cdisk_wr_finish(o->wr, 1, file_done, o);
	o->wr = NULL;
}
