/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk_rw.c - the disk store's writers and readers (see disk.h and the
 * rules in disk.c's head comment): each has at most one job in flight on
 * the I/O threads; its fields marked "job" in disk-int.h are the job's.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cache/disk-int.h"

static void
chunks_free(struct wchunk *c)
{
	struct wchunk *n;

	for (; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
}

void
disk_chunks_drop(struct cdisk *d)
{
	chunks_free(d->cfree);
	d->cfree = NULL;
	d->ncfree = 0;
}

/* A chunk of DISK_CHUNK bytes, spare or new; NULL when out of memory. */
static struct wchunk *
chunk_get(struct cdisk *d)
{
	struct wchunk *c = d->cfree;

	if (c != NULL) {
		d->cfree = c->next;
		d->ncfree--;
	} else if ((c = malloc(sizeof(*c) + DISK_CHUNK)) == NULL) {
		return NULL;
	}
	c->next = NULL;
	c->len = 0;
	c->cap = DISK_CHUNK;
	return c;
}

/* Give back a list of chunks: DISK_CHUNK_KEEP are kept, the rest freed. */
static void
chunks_put(struct cdisk *d, struct wchunk *c)
{
	struct wchunk *n;

	for (; c != NULL; c = n) {
		n = c->next;
		if (d->ncfree < DISK_CHUNK_KEEP) {
			c->next = d->cfree;
			d->cfree = c;
			d->ncfree++;
		} else {
			free(c);
		}
	}
}

void
disk_wr_free(struct cdisk_wr *w)
{
	chunks_free(w->pend);
	chunks_free(w->fly);
	free(w->tmp);
	free(w->meta);
	free(w);
}

void
disk_rd_free(struct cdisk_rd *rd)
{
	pthread_mutex_destroy(&rd->mu);
	free(rd->bounce);
	free(rd);
}


/* ---- writing -------------------------------------------------------- */

/* Write the iovecs in full (retrying short writes); 0 or -errno. */
static int
writev_all(int fd, struct iovec *iov, int n)
{
	ssize_t r;

	while (n > 0) {
		r = writev(fd, iov, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* On a thread: create the temporary file and write a blank header (a
 * crash before the finish leaves a file the scan rejects) and meta. */
static int
wr_create(struct cdisk_wr *w)
{
	static unsigned char blank[DISK_HDR_LEN];	/* never written */
	struct iovec iov[2];
	int rc;

	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0 && errno == ENOENT) {
		/* tmp/ removed behind our back: make it again. */
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/tmp", w->d->path);
		disk_mkdir(p);
		w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			     0600);
	}
	if (w->fd < 0)
		return -errno;
	iov[0].iov_base = blank;
	iov[0].iov_len = sizeof(blank);
	iov[1].iov_base = w->meta;
	iov[1].iov_len = w->metalen;
	rc = writev_all(w->fd, iov, 2);
	return rc;
}

/* On a thread: the header with the final length, then the rename. */
static int
wr_commit(struct cdisk_wr *w)
{
	unsigned char hdr[DISK_HDR_LEN];
	struct disk_hdr h;
	char dst[PATH_MAX];
	ssize_t r;
	int rc;

	h.metalen = (uint32_t)w->metalen;
	h.body_len = w->jwritten;
	h.fileno = w->fileno;
	disk_hdr_put(hdr, &h, w->meta);
	do
		r = pwrite(w->fd, hdr, sizeof(hdr), 0);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof(hdr))
		return r < 0 ? -errno : -EIO;
	rc = close(w->fd);
	w->fd = -1;
	if (rc < 0 && errno != EINTR)
		return -errno;
	disk_obj_path(w->d, w->fileno, dst, sizeof(dst));
	if (rename(w->tmp, dst) < 0) {
		if (errno != ENOENT)
			return -errno;
		disk_obj_mkdirs(w->d, w->fileno);
		if (rename(w->tmp, dst) < 0)
			return -errno;
	}
	return 0;
}

/* The job of a writer: create the file if not yet, write what was queued
 * (writev, DISK_IOV chunks at a time), and on the last job commit or
 * drop. After an error the file is removed at once. */
static void
wr_run(struct dio_job *j)
{
	struct cdisk_wr *w = (struct cdisk_wr *)j;
	struct iovec iov[DISK_IOV];
	struct wchunk *c;
	uint64_t n;
	int k;

	if (w->jerr == 0 && w->fd < 0 && !(w->jfinal && !w->ok))
		w->jerr = wr_create(w);
	c = w->fly;
	while (w->jerr == 0 && c != NULL) {
		for (k = 0, n = 0; k < DISK_IOV && c != NULL; k++) {
			iov[k].iov_base = c->data;
			iov[k].iov_len = c->len;
			n += c->len;
			c = c->next;
		}
		w->jerr = writev_all(w->fd, iov, k);
		if (w->jerr == 0)
			w->jwritten += n;
	}
	if (w->jfinal && w->jerr == 0 && w->ok)
		w->jerr = wr_commit(w);
	else if (w->jfinal && w->jerr == 0)
		w->jerr = -ECANCELED;
	if (w->jerr != 0 && w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
		unlink(w->tmp);
	} else if (w->jerr != 0 && w->jfinal) {
		/* The commit failed after the close (or the rename): the
		 * temporary file may still be there. */
		unlink(w->tmp);
	}
}

static void wr_done(struct dio_job *j, int live);

/* Hand what is queued (and the finish, once asked) to a job. */
static void
wr_kick(struct cdisk_wr *w)
{
	if (w->busy || (w->pend == NULL && !w->finishing))
		return;
	w->fly = w->pend;
	w->fly_bytes = w->pend_bytes;
	w->pend = NULL;
	w->pend_tail = &w->pend;
	w->pend_bytes = 0;
	w->jfinal = w->finishing;
	w->jerr = w->err;
	w->busy = 1;
	w->job.run = wr_run;
	w->job.done = wr_done;
	dio_submit(&w->d->pool, &w->job);
}

static void
wr_unlist(struct cdisk_wr *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		w->d->writers = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void
wr_done(struct dio_job *j, int live)
{
	struct cdisk_wr *w = (struct cdisk_wr *)j;

	w->busy = 0;
	w->fly_bytes = 0;
	/* Back on the loop: the chunks are ours again. */
	if (live)
		chunks_put(w->d, w->fly);
	else
		chunks_free(w->fly);
	w->fly = NULL;
	w->written = w->jwritten;
	if (w->err == 0)
		w->err = w->jerr;
	if (!w->jfinal) {
		if (live)
			wr_kick(w);
		if (live && w->drain != NULL && !w->finishing &&
		    w->pend_bytes + w->fly_bytes <= DISK_WQ_MAX / 2) {
			void (*cb)(void *) = w->drain;

			w->drain = NULL;
			cb(w->drain_arg);
		}
		return;
	}
	wr_unlist(w);
	if (live && w->done != NULL)
		w->done(w->arg, w->err, w->written);
	disk_wr_free(w);
}

struct cdisk_wr *
cdisk_wr_open(struct cdisk *d, uint64_t fileno, const void *meta,
	      size_t metalen)
{
	struct cdisk_wr *w;
	char p[PATH_MAX];

	if (d->closing || metalen > DISK_META_MAX)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	snprintf(p, sizeof(p), "%s/tmp/%016llX.%016llX", d->path,
		 (unsigned long long)d->gen, (unsigned long long)++d->seq);
	w->tmp = strdup(p);
	w->meta = malloc(metalen ? metalen : 1);
	if (w->tmp == NULL || w->meta == NULL) {
		disk_wr_free(w);
		return NULL;
	}
	if (metalen > 0)
		memcpy(w->meta, meta, metalen);
	w->metalen = metalen;
	w->d = d;
	w->fileno = fileno;
	w->fd = -1;
	w->pend_tail = &w->pend;
	w->next = d->writers;
	if (w->next != NULL)
		w->next->prev = w;
	d->writers = w;
	return w;
}

int
cdisk_write(struct cdisk_wr *w, const void *p, size_t n)
{
	const unsigned char *s = p;
	struct wchunk *c;
	size_t queued = w->pend_bytes + w->fly_bytes, k;

	if (w->finishing)
		return -EINVAL;
	if (w->err != 0)
		return w->err;
	if (n == 0)
		return 0;
	/* One write larger than the bound is taken when nothing waits, or
	 * it could never be. */
	if (queued > 0 && queued + n > DISK_WQ_MAX)
		return -EAGAIN;
	/* Into the last chunk's room, then into new chunks. */
	c = w->pend == NULL ? NULL :
	    (struct wchunk *)((char *)w->pend_tail -
			      offsetof(struct wchunk, next));
	while (n > 0) {
		if (c == NULL || c->len == c->cap) {
			if ((c = chunk_get(w->d)) == NULL)
				break;
			*w->pend_tail = c;
			w->pend_tail = &c->next;
		}
		k = c->cap - c->len < n ? c->cap - c->len : n;
		memcpy(c->data + c->len, s, k);
		c->len += k;
		s += k;
		n -= k;
		w->pend_bytes += k;
	}
	if (n > 0) {
		/* Out of memory: the object cannot be whole any more. */
		w->err = -ENOMEM;
		wr_kick(w);
		return -ENOMEM;
	}
	wr_kick(w);
	return 0;
}

size_t
cdisk_queued(const struct cdisk_wr *w)
{
	return w->pend_bytes + w->fly_bytes;
}

void
cdisk_wr_on_drain(struct cdisk_wr *w, void (*cb)(void *arg), void *arg)
{
	w->drain = cb;
	w->drain_arg = arg;
}

uint64_t
cdisk_written(const struct cdisk_wr *w)
{
	return w->written;
}

void
cdisk_wr_finish(struct cdisk_wr *w, int ok, cdisk_wdone_cb *done, void *arg)
{
	if (w->finishing)
		return;
	w->finishing = 1;
	w->ok = ok;
	w->done = done;
	w->arg = arg;
	if (!ok) {
		chunks_put(w->d, w->pend);
		w->pend = NULL;
		w->pend_tail = &w->pend;
		w->pend_bytes = 0;
	}
	wr_kick(w);
}

/* ---- reading -------------------------------------------------------- */

static void
rd_unlist(struct cdisk_rd *rd)
{
	if (rd->prev != NULL)
		rd->prev->next = rd->next;
	else
		rd->d->readers = rd->next;
	if (rd->next != NULL)
		rd->next->prev = rd->prev;
	rd->prev = rd->next = NULL;
}

/* On a thread: open and check the file (RJ_OPEN), read into the bounce
 * buffer and copy to the caller's unless closed meanwhile (RJ_READ), or
 * close it (RJ_CLOSE). */
static void
rd_run(struct dio_job *j)
{
	struct cdisk_rd *rd = (struct cdisk_rd *)j;
	char p[PATH_MAX];
	struct disk_hdr h;
	size_t got = 0;
	ssize_t r = 0;
	int rc;

	switch (rd->jkind) {
	case RJ_OPEN:
		disk_obj_path(rd->d, rd->fileno, p, sizeof(p));
		rd->fd = open(p, O_RDONLY | O_CLOEXEC);
		if (rd->fd < 0) {
			rd->res = -errno;
			return;
		}
		rc = disk_obj_check(rd->fd, rd->fileno, &h, NULL);
		if (rc < 0) {
			close(rd->fd);
			rd->fd = -1;
			/* Damaged: never served, and gone for the next
			 * scan too. */
			if (rc == -EBADMSG)
				unlink(p);
			rd->res = rc;
			return;
		}
		rd->body_off = DISK_HDR_LEN + (uint64_t)h.metalen;
		rd->body_len = h.body_len;
		/* Bodies are read front to back: a larger readahead. */
		posix_fadvise(rd->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		rd->res = 0;
		return;
	case RJ_READ:
		while (got < rd->rn) {
			r = pread(rd->fd, rd->bounce + got, rd->rn - got,
				  (off_t)(rd->body_off + rd->roff + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		rd->res = got > 0 || r >= 0 ? (long)got : -errno;
		pthread_mutex_lock(&rd->mu);
		if (!rd->closed && got > 0)
			memcpy(rd->p, rd->bounce, got);
		pthread_mutex_unlock(&rd->mu);
		return;
	case RJ_CLOSE:
		close(rd->fd);
		rd->fd = -1;
		return;
	}
}

static void rd_done(struct dio_job *j, int live);

static void
rd_submit(struct cdisk_rd *rd, enum rd_job k)
{
	rd->jkind = k;
	rd->job.run = rd_run;
	rd->job.done = rd_done;
	dio_submit(&rd->d->pool, &rd->job);
}

static void
rd_done(struct dio_job *j, int live)
{
	struct cdisk_rd *rd = (struct cdisk_rd *)j;

	switch (rd->jkind) {
	case RJ_OPEN:
		if (rd->res < 0) {
			rd_unlist(rd);
			if (live)
				rd->opened(rd->oarg, NULL, (int)rd->res);
			disk_rd_free(rd);
		} else if (live) {
			rd->opened(rd->oarg, rd, 0);
		}
		return;
	case RJ_READ:
		rd->reading = 0;
		if (rd->closed) {
			/* Off the list since cdisk_rd_close(): ours. */
			if (live)
				rd_submit(rd, RJ_CLOSE);
			else {
				close(rd->fd);
				disk_rd_free(rd);
			}
		} else if (live) {
			rd->got(rd->garg, rd->res);
		}
		return;
	case RJ_CLOSE:
		disk_rd_free(rd);
		return;
	}
}

int
cdisk_rd_open(struct cdisk *d, uint64_t fileno, cdisk_opened_cb *cb,
	      void *arg)
{
	struct cdisk_rd *rd;

	if (d->closing)
		return -ESHUTDOWN;
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return -ENOMEM;
	pthread_mutex_init(&rd->mu, NULL);
	rd->d = d;
	rd->fileno = fileno;
	rd->fd = -1;
	rd->opened = cb;
	rd->oarg = arg;
	rd->next = d->readers;
	if (rd->next != NULL)
		rd->next->prev = rd;
	d->readers = rd;
	rd_submit(rd, RJ_OPEN);
	return 0;
}

int
cdisk_read(struct cdisk_rd *rd, uint64_t off, void *p, size_t n,
	   cdisk_got_cb *got, void *arg)
{
	unsigned char *b;

	if (rd->closed)
		return -EBADF;
	if (rd->reading)
		return -EBUSY;
	if (off >= rd->body_len)
		n = 0;
	else if (n > rd->body_len - off)
		n = (size_t)(rd->body_len - off);
	if (n > DISK_READ_MAX)
		n = DISK_READ_MAX;
	if (n > rd->bcap) {
		if ((b = realloc(rd->bounce, n)) == NULL)
			return -ENOMEM;
		rd->bounce = b;
		rd->bcap = n;
	}
	rd->p = p;
	rd->roff = off;
	rd->rn = n;
	rd->got = got;
	rd->garg = arg;
	rd->reading = 1;
	rd_submit(rd, RJ_READ);
	return 0;
}

int
cdisk_rd_fd(const struct cdisk_rd *rd, uint64_t *body_off)
{
	if (body_off != NULL)
		*body_off = rd->body_off;
	return rd->fd;
}

/* cachestat(2) (Linux 6.5): how many pages of a range are in the page
 * cache, without touching them. Declared here: older headers lack it. */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
struct tpx_cachestat_range {
	uint64_t off;
	uint64_t len;
};
struct tpx_cachestat {
	uint64_t nr_cache;
	uint64_t nr_dirty;
	uint64_t nr_writeback;
	uint64_t nr_evicted;
	uint64_t nr_recently_evicted;
};

int
cdisk_rd_cached(const struct cdisk_rd *rd, uint64_t off, uint64_t n)
{
	static int unsupported;
	struct tpx_cachestat_range r;
	struct tpx_cachestat cs;
	uint64_t first, last, ps = 4096;

	if (unsupported || n == 0 || rd->fd < 0)
		return 0;
	off += rd->body_off;
	first = off / ps;
	last = (off + n - 1) / ps;
	r.off = first * ps;
	r.len = (last - first + 1) * ps;
	if (syscall(__NR_cachestat, rd->fd, &r, &cs, 0) < 0) {
		if (errno == ENOSYS)
			unsupported = 1;
		return 0;
	}
	return cs.nr_cache >= last - first + 1;
}

uint64_t
cdisk_rd_len(const struct cdisk_rd *rd)
{
	return rd->body_len;
}

void
cdisk_rd_close(struct cdisk_rd *rd)
{
	if (rd == NULL || rd->closed)
		return;
	rd_unlist(rd);
	/* After this the thread no longer copies into the caller's p. */
	pthread_mutex_lock(&rd->mu);
	rd->closed = 1;
	pthread_mutex_unlock(&rd->mu);
	if (!rd->reading)
		rd_submit(rd, RJ_CLOSE);
}

