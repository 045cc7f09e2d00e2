/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cdisk_store.c - the disk store (src/cache/disk*.c) on a real
 * event loop and a temporary directory: objects written, scanned after a
 * reopen and read back byte for byte; dropped writes, damaged files,
 * temporary files and unlinks leave nothing behind.
 *
 * The loop, the directory, writers, scan and reader: cdisk_fixture.h.
 */
#include "cdisk_fixture.h"

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
int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_roundtrip),
		T(test_dropped),
		T(test_damaged),
		T(test_tmp_files),
		T(test_unlink),
	};

	if (loop_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
