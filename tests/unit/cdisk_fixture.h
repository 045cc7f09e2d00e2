/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cdisk_fixture.h - what the test_cdisk_*.c files share: the event loop
 * run until a condition holds, a temporary directory, and the store's
 * writers, scan and reader driven from the tests.
 *
 * Body byte i of object f is pat(f, i); its metadata is "meta-<f>"
 * unless a test says otherwise.
 */
#ifndef TPROXYD_TESTS_CDISK_FIXTURE_H
#define TPROXYD_TESTS_CDISK_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache/disk-int.h"
#include "cache/disk.h"
#include "event/loop.h"

#define MiB		(1u << 20)
#define MAXOBJ		128
#define TIMEOUT		30.0

static inline unsigned char
pat(uint64_t f, uint64_t i)
{
	uint64_t x = f * 0x9E3779B97F4A7C15ull + (i >> 3);

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 29;
	return (unsigned char)(x >> ((i & 7) * 8));
}

static inline void
fill(unsigned char *p, uint64_t f, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pat(f, off + i);
}

static inline size_t
meta_of(uint64_t f, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, "meta-%llu", (unsigned long long)f);
}

/* ---- the loop: run until a condition holds --------------------------- */

static int (*want)(void);
static double deadline;
static int timed_out;
static struct evl_timer poll_t;
static void (*on_poll)(void);

static inline void
poll_cb(struct evl_timer *t)
{
	if (on_poll != NULL)
		on_poll();
	if (want()) {
		evl_break();
		return;
	}
	if (evl_time() > deadline) {
		timed_out = 1;
		evl_break();
		return;
	}
	evl_timer_arm(t, 0.001);
}

/* Run the loop until cond() (checked every millisecond); fail after
 * TIMEOUT seconds. */
static inline void
run_until(int (*cond)(void))
{
	want = cond;
	timed_out = 0;
	deadline = evl_time() + TIMEOUT;
	evl_timer_arm(&poll_t, 0.001);
	evl_run();
	evl_timer_stop(&poll_t);
	on_poll = NULL;
	assert_false(timed_out);
}

static inline int
never(void)
{
	return 0;
}

/* Run the loop for secs seconds. */
static inline void
run_for(double secs)
{
	want = never;
	deadline = evl_time() + secs;
	evl_timer_arm(&poll_t, 0.001);
	evl_run();
	evl_timer_stop(&poll_t);
	on_poll = NULL;
}

/* ---- a temporary directory ------------------------------------------- */

static char dir[64];

static inline int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void
rm_rf(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline int
setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_cdisk.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static inline int
teardown_dir(void **state)
{
	(void)state;
	rm_rf(dir);
	return 0;
}

/* The store's directory inside dir. */
static inline const char *
store_path(void)
{
	static char p[96];

	snprintf(p, sizeof(p), "%s/store", dir);
	return p;
}

static inline struct cdisk *
open_store(unsigned l1, unsigned l2)
{
	struct cdisk *d = NULL;
	char err[256];
	int rc;

	rc = cdisk_open(&d, store_path(), l1, l2, err, sizeof(err));
	if (rc != 0)
		print_error("cdisk_open: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(d);
	return d;
}

/* Regular files under p (recursively). */
static unsigned nfiles_n;
static inline int
count_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)p;
	(void)ftw;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		nfiles_n++;
	return 0;
}

static inline unsigned
nfiles(const char *p)
{
	nfiles_n = 0;
	nftw(p, count_one, 16, FTW_PHYS);
	return nfiles_n;
}

static inline unsigned
ntmp(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/tmp", store_path());
	return nfiles(p);
}

/* The path of object f (Squid's ufs mapping, as disk.c does). */
static inline void
obj_file(uint64_t f, unsigned l1, unsigned l2, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%02X/%02X/%016llX", store_path(),
		 (unsigned)((f / l2 / l2) % l1), (unsigned)((f / l2) % l2),
		 (unsigned long long)f);
}

/* ---- writing objects ------------------------------------------------- */

struct wjob {
	struct cdisk_wr *w;
	uint64_t f, size, off;
	size_t   chunk;
	int      ok;		/* finish with ok */
	int      done, err;
	uint64_t len;
	unsigned eagain;
};

static struct wjob wj[MAXOBJ];
static unsigned nwj, nwdone;

static inline void
wdone(void *arg, int err, uint64_t len)
{
	struct wjob *j = arg;

	j->done = 1;
	j->err = err;
	j->len = len;
	nwdone++;
}

/* Queue what each writer may take; finish those that wrote everything. */
static inline void
pump(void)
{
	static unsigned char buf[8 * MiB];
	struct wjob *j;
	size_t n;
	unsigned i;
	int rc;

	for (i = 0; i < nwj; i++) {
		j = &wj[i];
		while (j->w != NULL && j->off < j->size) {
			n = j->size - j->off < j->chunk ?
			    (size_t)(j->size - j->off) : j->chunk;
			if (n > sizeof(buf))
				n = sizeof(buf);
			fill(buf, j->f, j->off, n);
			rc = cdisk_write(j->w, buf, n);
			if (rc == -EAGAIN) {
				j->eagain++;
				break;
			}
			if (rc < 0) {
				/* A write error seen: give the object up. */
				cdisk_wr_finish(j->w, 0, wdone, j);
				j->w = NULL;
				break;
			}
			j->off += n;
		}
		if (j->w != NULL && j->off == j->size) {
			cdisk_wr_finish(j->w, j->ok, wdone, j);
			j->w = NULL;
		}
	}
}

static inline int
all_written(void)
{
	return nwdone == nwj;
}

static inline void
add_writer(struct cdisk *d, uint64_t f, uint64_t size, size_t chunk)
{
	struct wjob *j;
	char meta[64];
	size_t ml;

	assert_true(nwj < MAXOBJ);
	j = &wj[nwj++];
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->size = size;
	j->chunk = chunk;
	j->ok = 1;
	ml = meta_of(f, meta, sizeof(meta));
	j->w = cdisk_wr_open(d, f, meta, ml);
	assert_non_null(j->w);
}

/* Write the writers added, all at once, until every one is done. */
static inline void
write_all(void)
{
	nwdone = 0;
	pump();
	on_poll = pump;
	run_until(all_written);
}

static inline void
reset_writers(void)
{
	nwj = nwdone = 0;
}

/* ---- scanning -------------------------------------------------------- */

struct found {
	uint64_t f, len;
	char     meta[64];
	size_t   metalen;
};

static struct found fnd[4 * MAXOBJ];
static unsigned nfnd, scan_done_n;
static uint64_t scan_found, scan_removed;

static inline void
found_cb(void *arg, uint64_t f, const void *meta, size_t metalen,
	 uint64_t len)
{
	(void)arg;
	assert_true(nfnd < 4 * MAXOBJ);
	fnd[nfnd].f = f;
	fnd[nfnd].len = len;
	fnd[nfnd].metalen = metalen;
	assert_true(metalen < sizeof(fnd[nfnd].meta));
	memcpy(fnd[nfnd].meta, meta, metalen);
	nfnd++;
}

static inline void
scan_done_cb(void *arg, uint64_t nfound, uint64_t nremoved)
{
	(void)arg;
	scan_found = nfound;
	scan_removed = nremoved;
	scan_done_n++;
}

static inline int
scanned(void)
{
	return scan_done_n > 0;
}

static inline void
scan(struct cdisk *d)
{
	nfnd = scan_done_n = 0;
	assert_int_equal(cdisk_scan(d, found_cb, scan_done_cb, NULL), 0);
	run_until(scanned);
	assert_int_equal(scan_done_n, 1);
	assert_int_equal(scan_found, nfnd);
}

static inline const struct found *
find(uint64_t f)
{
	unsigned i;

	for (i = 0; i < nfnd; i++)
		if (fnd[i].f == f)
			return &fnd[i];
	return NULL;
}

/* Object f is in the last scan with its size and metadata. */
static inline void
assert_found(uint64_t f, uint64_t size)
{
	const struct found *x = find(f);
	char meta[64];
	size_t ml;

	if (x == NULL)
		fail_msg("object %llX not found by the scan",
			 (unsigned long long)f);
	assert_int_equal(x->len, size);
	ml = meta_of(f, meta, sizeof(meta));
	assert_int_equal(x->metalen, ml);
	assert_memory_equal(x->meta, meta, ml);
}

/* ---- reading --------------------------------------------------------- */

struct rjob {
	struct cdisk    *d;
	struct cdisk_rd *rd;
	uint64_t         f, off;
	unsigned char   *buf;
	size_t           bufsz;
	int              open_err, done, bad, got_calls;
	long             last;
};

static struct rjob rj;

static inline int
read_finished(void)
{
	return rj.done;
}

static inline void got_cb(void *arg, long n);

static inline void
next_read(struct rjob *r)
{
	assert_int_equal(cdisk_read(r->rd, r->off, r->buf, r->bufsz, got_cb,
				    r), 0);
}

static inline void
got_cb(void *arg, long n)
{
	struct rjob *r = arg;
	long i;

	r->got_calls++;
	r->last = n;
	if (n <= 0) {
		r->done = 1;
		return;
	}
	for (i = 0; i < n; i++)
		if (r->buf[i] != pat(r->f, r->off + (uint64_t)i)) {
			r->bad++;
			break;
		}
	r->off += (uint64_t)n;
	next_read(r);
}

static inline void
opened_cb(void *arg, struct cdisk_rd *rd, int err)
{
	struct rjob *r = arg;

	r->rd = rd;
	r->open_err = err;
	if (rd == NULL) {
		r->done = 1;
		return;
	}
	next_read(r);
}

/* Read object f whole; returns 0 or the open error. Checks every byte
 * against pat() and the length against size. */
static inline int
read_obj(struct cdisk *d, uint64_t f, uint64_t size, size_t bufsz)
{
	uint64_t off;
	char meta[64];
	int fd;

	memset(&rj, 0, sizeof(rj));
	rj.d = d;
	rj.f = f;
	rj.bufsz = bufsz;
	rj.buf = malloc(bufsz);
	assert_non_null(rj.buf);
	assert_int_equal(cdisk_rd_open(d, f, opened_cb, &rj), 0);
	assert_null(rj.rd);	/* never from inside the call */
	run_until(read_finished);
	free(rj.buf);
	if (rj.rd == NULL)
		return rj.open_err;
	assert_int_equal(rj.last, 0);
	assert_int_equal(rj.bad, 0);
	assert_int_equal(rj.off, size);
	assert_int_equal(cdisk_rd_len(rj.rd), size);
	fd = cdisk_rd_fd(rj.rd, &off);
	assert_true(fd >= 0);
	assert_int_equal(off, DISK_HDR_LEN + meta_of(f, meta, sizeof(meta)));
	if (size > 0) {
		unsigned char c;

		/* What sendfile(2) would send from: body byte 0. */
		assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
		assert_int_equal(c, pat(f, 0));
	}
	cdisk_rd_close(rj.rd);
	return 0;
}

/* The event loop the helpers run, with its polling timer. */
static inline int
loop_init(void)
{
	if (evl_init() != 0)
		return -1;
	evl_timer_init(&poll_t, poll_cb, NULL);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

#endif
