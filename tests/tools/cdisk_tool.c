/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cdisk_tool.c - drive the disk store (src/cache/disk.h) from the command
 * line, for black-box tests (tests/blackbox/test_cdisk_crash.py) and
 * measurements. Objects are made of a known pattern: body byte i of
 * object F is pat(F, i), its metadata "obj F size S", so that any
 * process can check an object it did not write.
 *
 *   cdisk_tool write DIR FIRST COUNT SIZE [-j K] [-c CHUNK] [--pause]
 *       write objects FIRST..FIRST+COUNT-1 (COUNT 0: forever), K at a
 *       time (default 1), in writes of CHUNK bytes (default 64 KiB);
 *       prints "stored F" once each is in place. --pause: after the
 *       last object's first half is in its temporary file, print
 *       "midway F" and wait there (to be killed).
 *   cdisk_tool scan DIR      "found F LEN META" lines, then
 *                            "scan found N removed M"
 *   cdisk_tool verify DIR    scan, then read every object back and check
 *                            each byte and the length the metadata says;
 *                            "verified N bad B removed M", exit 1 if B
 *   cdisk_tool read DIR F    the body of F on stdout
 *   cdisk_tool bench DIR SIZE COUNT [-j K] [--cold]
 *       write COUNT objects of SIZE, scan, then read them all back;
 *       prints MB/s and the loop thread's CPU time (getrusage
 *       RUSAGE_THREAD). --cold: the files are synced and dropped from
 *       the page cache (posix_fadvise) before the scan and the reads.
 *
 * Exit status: 0, 1 on a failed check, 2 on a usage or store error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cache/disk.h"
#include "event/loop.h"

#define MiB	(1u << 20)
#define MAXJ	64

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
	size_t i = 0;

	/* 8 bytes at a time where aligned: the pattern costs less than
	 * the store, or the loop's CPU time would be the pattern's. */
	while (i < n && ((off + i) & 7) != 0) {
		p[i] = pat(f, off + i);
		i++;
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t x = f * 0x9E3779B97F4A7C15ull + ((off + i) >> 3);

		x ^= x >> 31;
		x *= 0xBF58476D1CE4E5B9ull;
		x ^= x >> 29;
		memcpy(p + i, &x, 8);	/* little-endian, as pat() */
	}
	for (; i < n; i++)
		p[i] = pat(f, off + i);
}

static struct cdisk *d;
static struct evl_timer tick;
static int finished, failed;

/* The loop thread's CPU time (user + system), and its system part. */
static double
loop_cpu(double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	*sys = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + *sys;
}

/* ---- writing -------------------------------------------------------- */

struct wslot {
	struct cdisk_wr *w;
	uint64_t f, off;
	int      busy;
};

static struct wslot ws[MAXJ];
static unsigned nj = 1;
static size_t chunk = 64 << 10;
static uint64_t next_f, end_f, size;
static int forever, pause_last, paused, nostore_pattern, quiet, cold;
static const char *dir;
static uint64_t nstored;
static unsigned char *wbuf;

static void wpump(void);

static void
wdone(void *arg, int err, uint64_t len)
{
	struct wslot *s = arg;

	s->busy = 0;
	if (err != 0 || len != size) {
		fprintf(stderr, "object %llu: %s (%llu bytes)\n",
			(unsigned long long)s->f, strerror(-err),
			(unsigned long long)len);
		failed = 1;
	} else {
		if (!quiet)
			printf("stored %llu\n", (unsigned long long)s->f);
		nstored++;
	}
	wpump();
}

/* Start objects in free slots, queue what each takes, finish the whole
 * ones; retried every millisecond (-EAGAIN has no callback). */
static void
wpump(void)
{
	struct wslot *s, *half = NULL;
	char meta[96];
	unsigned i, busy = 0;
	size_t n;
	int ml, rc;

	for (i = 0; i < nj; i++) {
		s = &ws[i];
		if (!s->busy && (forever || next_f < end_f)) {
			s->f = next_f++;
			s->off = 0;
			ml = snprintf(meta, sizeof(meta), "obj %llu size %llu",
				      (unsigned long long)s->f,
				      (unsigned long long)size);
			s->w = cdisk_wr_open(d, s->f, meta, (size_t)ml);
			if (s->w == NULL) {
				fprintf(stderr, "cdisk_wr_open failed\n");
				exit(2);
			}
			s->busy = 1;
		}
		if (s->busy)
			busy++;
		while (s->w != NULL && s->off < size) {
			if (pause_last && !forever && s->f == end_f - 1 &&
			    s->off >= size / 2) {
				if (cdisk_written(s->w) >= s->off)
					half = s;
				break;
			}
			n = size - s->off < chunk ? (size_t)(size - s->off) :
			    chunk;
			if (!nostore_pattern)
				fill(wbuf, s->f, s->off, n);
			rc = cdisk_write(s->w, wbuf, n);
			if (rc == -EAGAIN)
				break;
			if (rc < 0) {
				cdisk_wr_finish(s->w, 0, wdone, s);
				s->w = NULL;
				break;
			}
			s->off += n;
		}
		if (s->w != NULL && s->off == size) {
			cdisk_wr_finish(s->w, 1, wdone, s);
			s->w = NULL;
		}
	}
	/* The last object half in its file and every other one stored. */
	if (half != NULL && busy == 1 && !paused) {
		printf("midway %llu\n", (unsigned long long)half->f);
		fflush(stdout);
		paused = 1;
	}
	if (busy == 0 && !forever && next_f >= end_f) {
		finished = 1;
		evl_break();
	}
}

static void
tick_cb(struct evl_timer *t)
{
	if (!finished)
		wpump();
	if (!finished)
		evl_timer_arm(t, 0.001);
}

static void
do_write(uint64_t first, uint64_t count)
{
	next_f = first;
	end_f = first + count;
	forever = count == 0;
	if ((wbuf = calloc(1, chunk)) == NULL)
		exit(2);
	finished = 0;
	evl_timer_init(&tick, tick_cb, NULL);
	evl_timer_arm(&tick, 0.001);
	wpump();
	if (!finished)
		evl_run();
	evl_timer_stop(&tick);
	free(wbuf);
}

/* ---- scanning and reading ------------------------------------------- */

struct obj {
	uint64_t f, len, meta_size;
	int      meta_ok;
};

static struct obj *objs;
static size_t nobjs, capobjs;
static uint64_t nremoved;
static int print_found;

static void
found_cb(void *arg, uint64_t f, const void *meta, size_t metalen,
	 uint64_t len)
{
	unsigned long long mf, ms;
	char m[128];
	struct obj *o;

	(void)arg;
	if (nobjs == capobjs) {
		capobjs = capobjs ? 2 * capobjs : 256;
		objs = realloc(objs, capobjs * sizeof(*objs));
		if (objs == NULL)
			exit(2);
	}
	o = &objs[nobjs++];
	o->f = f;
	o->len = len;
	snprintf(m, sizeof(m), "%.*s", (int)metalen, (const char *)meta);
	o->meta_ok = sscanf(m, "obj %llu size %llu", &mf, &ms) == 2 &&
		     mf == f;
	o->meta_size = o->meta_ok ? ms : 0;
	if (print_found)
		printf("found %llu %llu %s\n", (unsigned long long)f,
		       (unsigned long long)len, m);
}

static void
scan_done(void *arg, uint64_t n, uint64_t removed)
{
	(void)arg;
	(void)n;
	nremoved = removed;
	finished = 1;
	evl_break();
}

static void
do_scan(void)
{
	finished = 0;
	if (cdisk_scan(d, found_cb, scan_done, NULL) < 0)
		exit(2);
	evl_run();
}

/* One object at a time, in reads of rbufsz bytes. */
struct reading {
	struct obj      *o;
	struct cdisk_rd *rd;
	uint64_t         off;
	unsigned char   *buf;
	size_t           bufsz;
	int              bad, to_stdout, check;
};

static struct reading rs;
static unsigned char *cmpbuf;

static void
got_cb(void *arg, long n)
{
	(void)arg;
	if (n < 0) {
		rs.bad = 1;
		n = 0;
	}
	if (n > 0) {
		if (rs.check) {
			fill(cmpbuf, rs.o->f, rs.off, (size_t)n);
			if (memcmp(cmpbuf, rs.buf, (size_t)n) != 0)
				rs.bad = 1;
		}
		if (rs.to_stdout &&
		    fwrite(rs.buf, 1, (size_t)n, stdout) != (size_t)n)
			exit(2);
		rs.off += (uint64_t)n;
		if (cdisk_read(rs.rd, rs.off, rs.buf, rs.bufsz, got_cb,
			       NULL) < 0)
			exit(2);
		return;
	}
	if (rs.off != cdisk_rd_len(rs.rd) ||
	    (rs.o->len != UINT64_MAX && rs.off != rs.o->len))
		rs.bad = 1;
	cdisk_rd_close(rs.rd);
	finished = 1;
	evl_break();
}

static void
opened_cb(void *arg, struct cdisk_rd *rd, int err)
{
	(void)arg;
	rs.rd = rd;
	if (rd == NULL) {
		fprintf(stderr, "object %llu: %s\n",
			(unsigned long long)rs.o->f, strerror(-err));
		rs.bad = 1;
		finished = 1;
		evl_break();
		return;
	}
	if (cdisk_read(rd, 0, rs.buf, rs.bufsz, got_cb, NULL) < 0)
		exit(2);
}

/* Read object o whole; returns 0 if every check held. */
static int
read_obj(struct obj *o, int check, int to_stdout)
{
	rs.o = o;
	rs.off = 0;
	rs.bad = 0;
	rs.check = check;
	rs.to_stdout = to_stdout;
	finished = 0;
	if (cdisk_rd_open(d, o->f, opened_cb, NULL) < 0)
		exit(2);
	evl_run();
	return rs.bad;
}

/* ---- main ----------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr, "usage: cdisk_tool write DIR FIRST COUNT SIZE "
		"[-j K] [-c CHUNK] [--pause]\n"
		"       cdisk_tool scan|verify DIR\n"
		"       cdisk_tool read DIR F\n"
		"       cdisk_tool bench DIR SIZE COUNT [-j K] [--cold]\n");
	exit(2);
}

static void
options(int argc, char **argv, int i)
{
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-j") == 0 && i + 1 < argc)
			nj = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			chunk = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--pause") == 0)
			pause_last = 1;
		else if (strcmp(argv[i], "--cold") == 0)
			cold = 1;
		else
			usage();
	}
	if (nj < 1 || nj > MAXJ || chunk < 1)
		usage();
}

/* Write object f's file to the disk and drop it from the page cache
 * (the store's 16 x 256 layout). */
static void
drop_cached(uint64_t f)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%02X/%02X/%016llX", dir,
		 (unsigned)((f / 256 / 256) % 16), (unsigned)((f / 256) % 256),
		 (unsigned long long)f);
	if ((fd = open(p, O_RDONLY)) < 0)
		return;
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

static void
bench(uint64_t sz, uint64_t count)
{
	double t0, c0, wt, wc, rt, rc, s0, wsys, rsys, st;
	uint64_t i;
	int bad = 0;

	size = sz;
	nostore_pattern = 1;
	chunk = MiB;
	quiet = 1;
	t0 = evl_time();
	c0 = loop_cpu(&s0);
	do_write(1, count);
	wt = evl_time() - t0;
	wc = loop_cpu(&wsys) - c0;
	wsys -= s0;

	if (cold)
		for (i = 1; i <= count; i++)
			drop_cached(i);
	nobjs = 0;
	st = evl_time();
	do_scan();
	st = evl_time() - st;
	rs.bufsz = MiB;
	rs.buf = malloc(rs.bufsz);
	t0 = evl_time();
	c0 = loop_cpu(&s0);
	for (i = 0; i < nobjs; i++)
		bad |= read_obj(&objs[i], 0, 0);
	rt = evl_time() - t0;
	rc = loop_cpu(&rsys) - c0;
	rsys -= s0;
	fprintf(stderr, "objects %llu x %llu B (%u at a time)%s\n"
		"write: %.3f s, %.0f MB/s, loop thread CPU %.3f s "
		"(sys %.3f; %.1f ms per GiB)\n"
		"read:  %.3f s, %.0f MB/s, loop thread CPU %.3f s "
		"(sys %.3f; %.1f ms per GiB)%s\n",
		(unsigned long long)count, (unsigned long long)sz, nj,
		cold ? ", page cache dropped before the scan" : "",
		wt, (double)(sz * count) / wt / 1e6, wc, wsys,
		wc * 1e3 / ((double)(sz * count) / (1 << 30)),
		rt, (double)(sz * nobjs) / rt / 1e6, rc, rsys,
		rc * 1e3 / ((double)(sz * nobjs) / (1 << 30)),
		bad || nobjs != count ? " (BAD)" : "");
	fprintf(stderr, "scan:  %.3f s for %zu objects\n", st, nobjs);
	if (bad || nobjs != count || failed)
		exit(1);
}

int
main(int argc, char **argv)
{
	char err[256];
	size_t i;
	int bad = 0;

	if (argc < 3)
		usage();
	if (evl_init() != 0)
		return 2;
	dir = argv[2];
	if (cdisk_open(&d, dir, 16, 256, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "write") == 0 && argc >= 6) {
		options(argc, argv, 6);
		size = strtoull(argv[5], NULL, 0);
		do_write(strtoull(argv[3], NULL, 0),
			 strtoull(argv[4], NULL, 0));
		if (paused)
			for (;;)
				pause();	/* waiting to be killed */
	} else if (strcmp(argv[1], "scan") == 0 && argc == 3) {
		print_found = 1;
		do_scan();
		printf("scan found %zu removed %llu\n", nobjs,
		       (unsigned long long)nremoved);
	} else if (strcmp(argv[1], "verify") == 0 && argc == 3) {
		do_scan();
		rs.bufsz = 256 << 10;
		rs.buf = malloc(rs.bufsz);
		cmpbuf = malloc(rs.bufsz);
		for (i = 0; i < nobjs; i++) {
			if (!objs[i].meta_ok || objs[i].meta_size !=
			    objs[i].len || read_obj(&objs[i], 1, 0)) {
				printf("BAD %llu\n",
				       (unsigned long long)objs[i].f);
				bad++;
			}
		}
		printf("verified %zu bad %d removed %llu\n", nobjs, bad,
		       (unsigned long long)nremoved);
		failed = bad > 0;
	} else if (strcmp(argv[1], "read") == 0 && argc == 4) {
		struct obj o = { .f = strtoull(argv[3], NULL, 0),
				 .len = UINT64_MAX };

		rs.bufsz = 256 << 10;
		rs.buf = malloc(rs.bufsz);
		failed = read_obj(&o, 0, 1);
	} else if (strcmp(argv[1], "bench") == 0 && argc >= 5) {
		options(argc, argv, 5);
		bench(strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
	} else {
		usage();
	}
	cdisk_close(d);
	return failed ? 1 : 0;
}
