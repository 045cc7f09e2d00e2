/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cdisk.c - the disk store (src/cache/disk*.c) on a real event loop
 * and a temporary directory: objects written, scanned after a reopen and
 * read back byte for byte; dropped writes, damaged files, temporary files
 * and unlinks leave nothing behind; the per-writer queue bound; a full
 * disk (a 1 MiB tmpfs, when the test may mount one) fails one writer and
 * nothing else; random headers never crash the scan nor come back.
 *
 * Body byte i of object f is pat(f, i); its metadata is "meta-<f>"
 * unless a test says otherwise.
 */
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

static unsigned char
pat(uint64_t f, uint64_t i)
{
	uint64_t x = f * 0x9E3779B97F4A7C15ull + (i >> 3);

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 29;
	return (unsigned char)(x >> ((i & 7) * 8));
}

static void
fill(unsigned char *p, uint64_t f, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pat(f, off + i);
}

static size_t
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

static void
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
static void
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

static int
never(void)
{
	return 0;
}

/* Run the loop for secs seconds. */
static void
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

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
rm_rf(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_cdisk.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	rm_rf(dir);
	return 0;
}

/* The store's directory inside dir. */
static const char *
store_path(void)
{
	static char p[96];

	snprintf(p, sizeof(p), "%s/store", dir);
	return p;
}

static struct cdisk *
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
static int
count_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)p;
	(void)ftw;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		nfiles_n++;
	return 0;
}

static unsigned
nfiles(const char *p)
{
	nfiles_n = 0;
	nftw(p, count_one, 16, FTW_PHYS);
	return nfiles_n;
}

static unsigned
ntmp(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/tmp", store_path());
	return nfiles(p);
}

/* The path of object f (Squid's ufs mapping, as disk.c does). */
static void
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

static void
wdone(void *arg, int err, uint64_t len)
{
	struct wjob *j = arg;

	j->done = 1;
	j->err = err;
	j->len = len;
	nwdone++;
}

/* Queue what each writer may take; finish those that wrote everything. */
static void
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

static int
all_written(void)
{
	return nwdone == nwj;
}

static void
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
static void
write_all(void)
{
	nwdone = 0;
	pump();
	on_poll = pump;
	run_until(all_written);
}

static void
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

static void
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

static void
scan_done_cb(void *arg, uint64_t nfound, uint64_t nremoved)
{
	(void)arg;
	scan_found = nfound;
	scan_removed = nremoved;
	scan_done_n++;
}

static int
scanned(void)
{
	return scan_done_n > 0;
}

static void
scan(struct cdisk *d)
{
	nfnd = scan_done_n = 0;
	assert_int_equal(cdisk_scan(d, found_cb, scan_done_cb, NULL), 0);
	run_until(scanned);
	assert_int_equal(scan_done_n, 1);
	assert_int_equal(scan_found, nfnd);
}

static const struct found *
find(uint64_t f)
{
	unsigned i;

	for (i = 0; i < nfnd; i++)
		if (fnd[i].f == f)
			return &fnd[i];
	return NULL;
}

/* Object f is in the last scan with its size and metadata. */
static void
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

static int
read_finished(void)
{
	return rj.done;
}

static void got_cb(void *arg, long n);

static void
next_read(struct rjob *r)
{
	assert_int_equal(cdisk_read(r->rd, r->off, r->buf, r->bufsz, got_cb,
				    r), 0);
}

static void
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

static void
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
static int
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

/* ---- tests ----------------------------------------------------------- */

static const uint64_t sizes[] = { 0, 1, 64 << 10, 5 * MiB };

/* Bodies of 0 B, 1 B, 64 KiB and 5 MiB written at once (in uneven
 * chunks), scanned after a reopen, read back byte for byte. */
static void
test_roundtrip(void **state)
{
	struct cdisk *d;
	unsigned i;

	(void)state;
	d = open_store(4, 8);
	reset_writers();
	for (i = 0; i < 4; i++)
		add_writer(d, 0x100 + i * 0x1111, sizes[i], 300000 + i);
	write_all();
	for (i = 0; i < 4; i++) {
		assert_int_equal(wj[i].err, 0);
		assert_int_equal(wj[i].len, sizes[i]);
	}
	assert_int_equal(ntmp(), 0);
	cdisk_close(d);

	d = open_store(4, 8);
	scan(d);
	assert_int_equal(nfnd, 4);
	assert_int_equal(scan_removed, 0);
	for (i = 0; i < 4; i++) {
		assert_found(0x100 + i * 0x1111, sizes[i]);
		assert_int_equal(read_obj(d, 0x100 + i * 0x1111, sizes[i],
					  i == 3 ? 3 * MiB : 4096), 0);
	}
	/* Not in the store. */
	assert_int_equal(read_obj(d, 0x99, 0, 16), -ENOENT);
	cdisk_close(d);
}

/* A dropped write leaves no file, whether it had reached the disk or
 * not; the done callback says -ECANCELED. */
static void
test_dropped(void **state)
{
	static unsigned char buf[100000];
	struct cdisk_wr *w;
	struct cdisk *d;

	(void)state;
	d = open_store(2, 2);
	reset_writers();
	nwj = 1;
	memset(&wj[0], 0, sizeof(wj[0]));
	w = cdisk_wr_open(d, 7, "m", 1);
	assert_non_null(w);
	fill(buf, 7, 0, sizeof(buf));
	assert_int_equal(cdisk_write(w, buf, sizeof(buf)), 0);
	wj[0].w = w;
	/* Wait until the bytes are in the temporary file. */
	while (cdisk_written(w) < sizeof(buf))
		run_for(0.005);
	assert_int_equal(ntmp(), 1);
	wj[0].w = NULL;
	cdisk_wr_finish(w, 0, wdone, &wj[0]);
	nwdone = 0;
	run_until(all_written);
	assert_int_equal(wj[0].err, -ECANCELED);
	assert_int_equal(nfiles(store_path()), 0);

	/* Dropped before anything was written. */
	w = cdisk_wr_open(d, 8, "m", 1);
	assert_int_equal(cdisk_write(w, buf, 10), 0);
	cdisk_wr_finish(w, 0, wdone, &wj[0]);
	nwdone = 0;
	run_until(all_written);
	assert_int_equal(wj[0].err, -ECANCELED);
	assert_int_equal(nfiles(store_path()), 0);
	scan(d);
	assert_int_equal(nfnd, 0);
	cdisk_close(d);
}

static void
flip_byte(const char *p, off_t off)
{
	unsigned char c;
	int fd = open(p, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

/* Damaged files (short, long, a flipped byte in the header or the
 * metadata, a copy under another number) are never opened and the scan
 * removes them; the intact one stays. */
static void
test_damaged(void **state)
{
	char p[256], q[256];
	struct cdisk *d;
	unsigned i;
	int fd;

	(void)state;
	d = open_store(4, 4);
	reset_writers();
	for (i = 0; i < 7; i++)
		add_writer(d, 0x40 + i, 5000 + i, 1000);
	write_all();
	for (i = 0; i < 7; i++)
		assert_int_equal(wj[i].err, 0);
	cdisk_close(d);

	obj_file(0x40, 4, 4, p, sizeof(p));
	assert_int_equal(truncate(p, 5000 + DISK_HDR_LEN + 7 - 1), 0);
	obj_file(0x41, 4, 4, p, sizeof(p));
	flip_byte(p, 5);			/* version */
	obj_file(0x42, 4, 4, p, sizeof(p));
	flip_byte(p, 17);			/* body length */
	obj_file(0x43, 4, 4, p, sizeof(p));
	flip_byte(p, DISK_HDR_LEN + 2);	/* metadata */
	obj_file(0x44, 4, 4, p, sizeof(p));
	fd = open(p, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	/* 0x45's file under number 0x145: the header says 0x45. */
	obj_file(0x45, 4, 4, p, sizeof(p));
	obj_file(0x145, 4, 4, q, sizeof(q));
	assert_int_equal(rename(p, q), 0);

	d = open_store(4, 4);
	/* Opening a damaged file fails, and removes it. */
	assert_int_equal(read_obj(d, 0x41, 0, 16), -EBADMSG);
	obj_file(0x41, 4, 4, p, sizeof(p));
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(read_obj(d, 0x145, 0, 16), -EBADMSG);
	scan(d);
	assert_int_equal(nfnd, 1);
	assert_found(0x46, 5006);
	assert_int_equal(scan_removed, 4);	/* 0x40, 0x42, 0x43, 0x44 */
	assert_int_equal(nfiles(store_path()), 1);
	for (i = 0; i < 6; i++)
		assert_int_equal(read_obj(d, 0x40 + i, 0, 16), -ENOENT);
	assert_int_equal(read_obj(d, 0x46, 5006, 100), 0);
	cdisk_close(d);
}

/* Temporary files of earlier runs go at open; the scan removes those of
 * other runs but not the ones this process is writing. */
static void
test_tmp_files(void **state)
{
	static unsigned char buf[1000];
	char p[256];
	struct cdisk_wr *w;
	struct cdisk *d;
	int fd;

	(void)state;
	d = open_store(2, 2);
	cdisk_close(d);
	snprintf(p, sizeof(p), "%s/tmp/0000000000000001.0000000000000001",
		 store_path());
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_int_equal(write(fd, "partial", 7), 7);
	close(fd);
	snprintf(p, sizeof(p), "%s/tmp/junk", store_path());
	close(open(p, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(ntmp(), 2);
	d = open_store(2, 2);
	assert_int_equal(ntmp(), 0);

	/* A writer of ours in progress, and a stray file of another run. */
	reset_writers();
	nwj = 1;
	memset(&wj[0], 0, sizeof(wj[0]));
	w = cdisk_wr_open(d, 3, "meta-3", 6);
	fill(buf, 3, 0, sizeof(buf));
	assert_int_equal(cdisk_write(w, buf, sizeof(buf)), 0);
	while (cdisk_written(w) < sizeof(buf))
		run_for(0.005);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(ntmp(), 2);
	scan(d);
	assert_int_equal(scan_removed, 1);
	assert_int_equal(ntmp(), 1);
	cdisk_wr_finish(w, 1, wdone, &wj[0]);
	nwdone = 0;
	run_until(all_written);
	assert_int_equal(wj[0].err, 0);
	assert_int_equal(ntmp(), 0);
	assert_int_equal(read_obj(d, 3, sizeof(buf), 4096), 0);
	cdisk_close(d);
}

static int
gone_path_gone(void);
static char gone_path[256];
static int
gone_path_gone(void)
{
	return access(gone_path, F_OK) != 0;
}

/* cdisk_unlink() removes the file (in the background). */
static void
test_unlink(void **state)
{
	struct cdisk *d;

	(void)state;
	d = open_store(2, 2);
	reset_writers();
	add_writer(d, 0x77, 3000, 1000);
	write_all();
	assert_int_equal(wj[0].err, 0);
	obj_file(0x77, 2, 2, gone_path, sizeof(gone_path));
	assert_int_equal(access(gone_path, F_OK), 0);
	cdisk_unlink(d, 0x77);
	run_until(gone_path_gone);
	assert_int_equal(read_obj(d, 0x77, 0, 16), -ENOENT);
	scan(d);
	assert_int_equal(nfnd, 0);
	cdisk_close(d);
}

/* 100 writers at once, sizes 0 to 300 KiB written in pieces of 1 B to
 * 20 KB: every object is stored whole and reads back. */
static void
test_many_writers(void **state)
{
	uint64_t size[100];
	struct cdisk *d;
	unsigned i, seed = 12345;

	(void)state;
	d = open_store(16, 16);
	reset_writers();
	for (i = 0; i < 100; i++) {
		seed = seed * 1103515245u + 12345u;
		size[i] = (seed >> 8) % 300000;
		seed = seed * 1103515245u + 12345u;
		add_writer(d, 1000 + i * 37, size[i], 1 + (seed >> 8) % 20000);
	}
	write_all();
	for (i = 0; i < 100; i++) {
		assert_int_equal(wj[i].err, 0);
		assert_int_equal(wj[i].len, size[i]);
	}
	assert_int_equal(ntmp(), 0);
	cdisk_close(d);
	d = open_store(16, 16);
	scan(d);
	assert_int_equal(nfnd, 100);
	for (i = 0; i < 100; i++) {
		assert_found(1000 + i * 37, size[i]);
		assert_int_equal(read_obj(d, 1000 + i * 37, size[i], 65536),
				 0);
	}
	cdisk_close(d);
}

static struct cdisk_wr *eag_w;
static int
eag_drained(void)
{
	return cdisk_written(eag_w) == 4 * MiB;
}

/* Over DISK_WQ_MAX queued, a write gets -EAGAIN and nothing of it is
 * queued; once the thread has written, writes are taken again. */
static void
test_eagain(void **state)
{
	static unsigned char buf[MiB];
	struct cdisk *d;
	unsigned i;

	(void)state;
	d = open_store(2, 2);
	reset_writers();
	nwj = 1;
	memset(&wj[0], 0, sizeof(wj[0]));
	eag_w = cdisk_wr_open(d, 0x5, "meta-5", 6);
	assert_non_null(eag_w);
	/* The queue shrinks only on the loop, which does not run here. */
	for (i = 0; i < 4; i++) {
		fill(buf, 5, (uint64_t)i * MiB, MiB);
		assert_int_equal(cdisk_write(eag_w, buf, MiB), 0);
	}
	fill(buf, 5, 4 * MiB, MiB);
	assert_int_equal(cdisk_write(eag_w, buf, MiB), -EAGAIN);
	assert_int_equal(cdisk_write(eag_w, buf, 1), -EAGAIN);
	run_until(eag_drained);
	assert_int_equal(cdisk_write(eag_w, buf, MiB), 0);
	cdisk_wr_finish(eag_w, 1, wdone, &wj[0]);
	assert_int_equal(cdisk_write(eag_w, buf, 1), -EINVAL);
	nwdone = 0;
	run_until(all_written);
	assert_int_equal(wj[0].err, 0);
	assert_int_equal(wj[0].len, 5 * MiB);
	assert_int_equal(read_obj(d, 5, 5 * MiB, MiB), 0);

	/* One write larger than the bound, on an empty queue: taken. */
	reset_writers();
	add_writer(d, 6, 6 * MiB, 6 * MiB);
	write_all();
	assert_int_equal(wj[0].err, 0);
	assert_int_equal(wj[0].eagain, 0);
	assert_int_equal(read_obj(d, 6, 6 * MiB, MiB), 0);
	cdisk_close(d);
}

static void
opened_only(void *arg, struct cdisk_rd *rd, int err)
{
	struct rjob *r = arg;

	r->rd = rd;
	r->open_err = err;
	r->done = 1;
}

/* A read outstanding when its reader is closed: no callback, and the
 * buffer (freed at once) is never written to (ASan would see it). */
static void
test_rd_close_outstanding(void **state)
{
	struct cdisk *d;
	unsigned char *b;
	int i;

	(void)state;
	d = open_store(2, 2);
	reset_writers();
	add_writer(d, 9, 2 * MiB, MiB);
	write_all();
	for (i = 0; i < 20; i++) {
		memset(&rj, 0, sizeof(rj));
		assert_int_equal(cdisk_rd_open(d, 9, opened_only, &rj), 0);
		run_until(read_finished);
		assert_non_null(rj.rd);
		b = malloc(MiB);
		assert_int_equal(cdisk_read(rj.rd, (uint64_t)i * 1000, b, MiB,
					    got_cb, &rj), 0);
		assert_int_equal(cdisk_read(rj.rd, 0, b, MiB, got_cb, &rj),
				 -EBUSY);
		/* Closed before the thread reads, while it reads, or after
		 * it read but before the loop took the result. */
		usleep((useconds_t)(i % 3) * (useconds_t)(i % 3) * 1000);
		cdisk_rd_close(rj.rd);
		free(b);
		run_for(0.01);
		assert_int_equal(rj.got_calls, 0);
	}
	cdisk_close(d);
}

/* ---- a full disk ----------------------------------------------------- */

static char mnt[128];
static int mounted;

static int
setup_tmpfs(void **state)
{
	if (setup_dir(state) != 0)
		return -1;
	snprintf(mnt, sizeof(mnt), "%s", dir);
	mounted = mount("tmpfs", mnt, "tmpfs", 0, "size=1m,mode=0700") == 0;
	return 0;
}

static int
teardown_tmpfs(void **state)
{
	if (mounted)
		umount2(mnt, MNT_DETACH);
	mounted = 0;
	return teardown_dir(state);
}

/* On a 1 MiB tmpfs: three 100 KB objects are stored, a 2 MiB one gets
 * -ENOSPC and leaves no file, the three still scan and read back, and a
 * new small object can be stored after it. */
static void
test_disk_full(void **state)
{
	struct cdisk *d;
	unsigned i;

	(void)state;
	if (!mounted)
		skip();	/* not root, or no tmpfs: cannot make a full disk */
	d = open_store(2, 2);
	reset_writers();
	for (i = 0; i < 3; i++)
		add_writer(d, 0x10 + i, 100000, 8192);
	write_all();
	for (i = 0; i < 3; i++)
		assert_int_equal(wj[i].err, 0);

	reset_writers();
	add_writer(d, 0x20, 2 * MiB, 65536);
	write_all();
	assert_int_equal(wj[0].err, -ENOSPC);
	assert_int_equal(ntmp(), 0);
	cdisk_close(d);

	d = open_store(2, 2);
	scan(d);
	assert_int_equal(nfnd, 3);
	assert_int_equal(scan_removed, 0);
	for (i = 0; i < 3; i++) {
		assert_found(0x10 + i, 100000);
		assert_int_equal(read_obj(d, 0x10 + i, 100000, 7000), 0);
	}
	reset_writers();
	add_writer(d, 0x30, 200000, 65536);
	write_all();
	assert_int_equal(wj[0].err, 0);
	assert_int_equal(read_obj(d, 0x30, 200000, 65536), 0);
	cdisk_close(d);
}

/* ---- damaged headers, replayed --------------------------------------- */

/* 400 files of random bytes or of headers with random fields, among two
 * good objects: the scan survives, removes all 400 and finds the two. */
static void
test_random_headers(void **state)
{
	unsigned char b[DISK_HDR_LEN + 256];
	struct disk_hdr h;
	char p[256];
	struct cdisk *d;
	uint64_t f, r = 0x2545F4914F6CDD1Dull;
	size_t n, k;
	unsigned i;
	int fd;

	(void)state;
	d = open_store(4, 4);
	reset_writers();
	add_writer(d, 1, 1000, 1000);
	add_writer(d, 2, 0, 1000);
	write_all();
	cdisk_close(d);

	for (i = 0; i < 400; i++) {
		f = 100 + i;
		for (k = 0; k < sizeof(b); k++) {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			b[k] = (unsigned char)r;
		}
		n = (size_t)(r % sizeof(b));
		h.metalen = (uint32_t)(r >> 8);
		h.body_len = r >> 3;
		h.fileno = f;
		switch (i % 4) {
		case 0:		/* random bytes */
			break;
		case 1:		/* a good checksum, random lengths */
			h.metalen = (uint32_t)(r % 200);
			disk_hdr_put(b, &h, b + DISK_HDR_LEN);
			if (r & 1)	/* a metadata length up to 4 GiB */
				memcpy(b + 8, &r, 4);
			break;
		case 2:		/* lengths that fit, a bad checksum */
			h.metalen = (uint32_t)(r % 64);
			n = DISK_HDR_LEN + h.metalen + r % 100;
			h.body_len = n - DISK_HDR_LEN - h.metalen;
			disk_hdr_put(b, &h, b + DISK_HDR_LEN);
			b[32 + r % 8] ^= 1;
			break;
		case 3:		/* good but for its number */
			h.metalen = (uint32_t)(r % 64);
			n = DISK_HDR_LEN + h.metalen + r % 100;
			h.body_len = n - DISK_HDR_LEN - h.metalen;
			h.fileno = f + 1;
			disk_hdr_put(b, &h, b + DISK_HDR_LEN);
			break;
		}
		obj_file(f, 4, 4, p, sizeof(p));
		fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, b, n), (ssize_t)n);
		close(fd);
	}
	d = open_store(4, 4);
	scan(d);
	assert_int_equal(nfnd, 2);
	assert_found(1, 1000);
	assert_found(2, 0);
	assert_int_equal(scan_removed, 400);
	assert_int_equal(nfiles(store_path()), 2);
	cdisk_close(d);
}

/* ---- closing from a callback ----------------------------------------- */

static struct cdisk *cl_d;
static unsigned cl_found;

static void
close_found(void *arg, uint64_t f, const void *meta, size_t metalen,
	    uint64_t len)
{
	(void)arg;
	(void)f;
	(void)meta;
	(void)metalen;
	(void)len;
	cl_found++;
	cdisk_close(cl_d);
}

/* cdisk_close() in the first found callback: no other callback (found
 * or done) is made, nothing crashes. */
static void
test_close_in_callback(void **state)
{
	(void)state;
	cl_d = open_store(1, 1);
	reset_writers();
	add_writer(cl_d, 1, 10, 10);
	add_writer(cl_d, 2, 10, 10);
	add_writer(cl_d, 3, 10, 10);
	write_all();
	cl_found = 0;
	scan_done_n = 0;
	assert_int_equal(cdisk_scan(cl_d, close_found, scan_done_cb, NULL),
			 0);
	run_for(0.2);
	assert_int_equal(cl_found, 1);
	assert_int_equal(scan_done_n, 0);
}

static void
test_cost(void **state)
{
	(void)state;
	assert_int_equal(cdisk_cost(0, 0), 4096);
	assert_int_equal(cdisk_cost(56, 4000), 4096);
	assert_int_equal(cdisk_cost(56, 4001), 8192);
	assert_int_equal(cdisk_cost(100, 1u << 20), (1u << 20) + 4096);
}

static void
test_open_errors(void **state)
{
	struct cdisk *d = NULL;
	char err[256], p[128];

	(void)state;
	assert_int_equal(cdisk_open(&d, store_path(), 0, 16, err, sizeof(err)),
			 -EINVAL);
	assert_null(d);
	assert_non_null(strstr(err, "L1 and L2"));
	snprintf(p, sizeof(p), "%s/no/such/dir", dir);
	assert_int_equal(cdisk_open(&d, p, 2, 2, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot create"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_roundtrip),
		T(test_dropped),
		T(test_damaged),
		T(test_tmp_files),
		T(test_unlink),
		T(test_many_writers),
		T(test_eagain),
		T(test_rd_close_outstanding),
		cmocka_unit_test_setup_teardown(test_disk_full, setup_tmpfs,
						teardown_tmpfs),
		T(test_random_headers),
		T(test_close_in_callback),
		T(test_cost),
		T(test_open_errors),
	};

	if (evl_init() != 0)
		return 1;
	evl_timer_init(&poll_t, poll_cb, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
