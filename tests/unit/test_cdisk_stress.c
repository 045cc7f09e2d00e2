/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cdisk_stress.c - the disk store (src/cache/disk*.c) under
 * load and in trouble: many writers at once, the per-writer queue bound,
 * a reader closed with reads outstanding, a full disk (a 1 MiB tmpfs,
 * when the test may mount one) fails one writer and nothing else, random
 * headers never crash the scan nor come back, closing from a callback,
 * the cost of an object, errors at open.
 *
 * The loop, the directory, writers, scan and reader: cdisk_fixture.h.
 */
#include "cdisk_fixture.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
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

	if (loop_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
