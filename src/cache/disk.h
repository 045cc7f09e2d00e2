/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk.h - one cache_dir: a disk store of whole objects, one file per
 * object, whose every blocking system call (open, pread, write, rename,
 * unlink, the directory scan) runs on a small pool of I/O threads, never
 * on the event loop. Results come back to the loop as callbacks (an
 * eventfd watched by the loop wakes it).
 *
 * What an object is, is the caller's business: the store hands over an
 * opaque metadata blob (its key, the stored head, times) with each object
 * and gets it back from the scan after a restart; the disk store only
 * keeps bytes safe:
 *   - an object is written to a temporary file and renamed into place
 *     when complete, so a crash (kill -9, disk full) loses at most the
 *     objects being written; temporary files are removed at start;
 *   - a file whose header or length does not check is never returned by
 *     the scan (it is removed);
 *   - writes are queued with a bound (DISK_WQ_MAX bytes per writer): a
 *     writer over it gets -EAGAIN and the caller gives that object up,
 *     instead of memory growing with a slow disk.
 *
 * Objects are named by a 64-bit file number the store chooses (unique in
 * the directory): PATH/L1/L2/NNNNNNNNNNNNNNNN, Squid's ufs layout.
 * Callbacks are never called from inside the call that queued the work.
 */
#ifndef TPROXYD_CACHE_DISK_H
#define TPROXYD_CACHE_DISK_H

#include <stddef.h>
#include <stdint.h>

#define DISK_WQ_MAX (4u << 20)	/* bytes queued per writer at most */

struct cdisk;
struct cdisk_wr;
struct cdisk_rd;

/*
 * Open the directory PATH (created with its L1 x L2 subdirectories if
 * missing) for the calling process. Starts no scan. Returns 0 and *out,
 * or a negative errno with a message in err (static or in errbuf).
 * The one call that blocks (mkdir of the subdirectories, removal of the
 * temporary files left by a crash): call it at start-up, after fork.
 */
/* If directory path also holds a Squid cache (ufs, aufs and diskd keep a
 * swap.state file there, rock a file named rock), its kind ("ufs", "rock");
 * else NULL. Squid's objects are named differently and never touched. */
const char *cdisk_squid_store(const char *path);

int cdisk_open(struct cdisk **out, const char *path, unsigned l1,
	       unsigned l2, char *errbuf, size_t errlen);
/*
 * Stop the threads (waiting for queued work to finish) and free. No
 * callback of d is made afterwards; writers not finished are dropped
 * (their temporary files removed) and readers closed: their handles are
 * invalid. May be called from one of d's callbacks (d is then freed when
 * the loop's callback returns).
 */
void cdisk_close(struct cdisk *d);

/*
 * Rebuild: read every object's header in the background and call
 * found(arg, fileno, meta, metalen, body_len) on the loop for each valid
 * one (meta is valid during the call only), then done(arg, nfound,
 * nremoved) once. Damaged and temporary files are removed (not those
 * of writers still open). One directory at a time, so the I/O threads
 * stay free for traffic meanwhile; an object stored while the scan runs
 * may be reported or not. -EBUSY when a scan already runs.
 */
typedef void cdisk_found_cb(void *arg, uint64_t fileno, const void *meta,
			    size_t metalen, uint64_t body_len);
typedef void cdisk_done_cb(void *arg, uint64_t nfound, uint64_t nremoved);
int cdisk_scan(struct cdisk *d, cdisk_found_cb *found, cdisk_done_cb *done,
	       void *arg);

/* ---- writing one object --------------------------------------------- */

/*
 * Start writing object fileno with its metadata (copied). Body bytes are
 * appended with cdisk_write() (copied; 0, or -EAGAIN when the writer's
 * queue is over DISK_WQ_MAX: nothing was queued; or the writer's first
 * write error once the loop has seen it, e.g. -ENOSPC: the object is
 * lost, finish it with ok = 0). A single write larger than DISK_WQ_MAX
 * is taken when nothing is queued. cdisk_wr_finish():
 * ok != 0: the object is complete (renamed into place), else it is
 * dropped; done(arg, err, body_len) is called on the loop afterwards
 * (err 0: stored; else a negative errno, e.g. -ENOSPC: the file is
 * gone; -ECANCELED when dropped). The writer is freed by finish. NULL
 * from cdisk_wr_open(): out of memory, metadata over 1 MiB, or closing.
 * cdisk_written(): body bytes written to the file so far.
 */
typedef void cdisk_wdone_cb(void *arg, int err, uint64_t body_len);
struct cdisk_wr *cdisk_wr_open(struct cdisk *d, uint64_t fileno,
			       const void *meta, size_t metalen);
int cdisk_write(struct cdisk_wr *w, const void *p, size_t n);
uint64_t cdisk_written(const struct cdisk_wr *w);
/* Bytes queued and not yet written; and a call of cb(arg), once, from
 * the loop, when that falls to DISK_WQ_MAX / 2 or less (a writer that
 * keeps its producer waiting instead of getting -EAGAIN). */
size_t cdisk_queued(const struct cdisk_wr *w);
void cdisk_wr_on_drain(struct cdisk_wr *w, void (*cb)(void *arg), void *arg);
void cdisk_wr_finish(struct cdisk_wr *w, int ok, cdisk_wdone_cb *done,
		     void *arg);

/* ---- reading one object --------------------------------------------- */

/*
 * Open object fileno for reading; opened(arg, rd, err) is called on the
 * loop (rd NULL and err < 0 when it is gone). cdisk_read() reads up to n
 * body bytes at off into p (the caller keeps p alive until the callback)
 * and calls got(arg, nread or negative errno) on the loop; one read at a
 * time per reader. cdisk_rd_fd(): the open descriptor and the file
 * offset of body byte 0, for sendfile(2) of pages already in memory.
 * cdisk_rd_close() may be called with a read outstanding: its callback
 * is then never made, and p is not written to once it returns (the
 * threads read into a buffer of the reader's and copy under its lock).
 * A read returns fewer bytes than asked at the end of the body and at
 * most 1 MiB; 0 at or past the end. cdisk_rd_len(): the body's length.
 * A file whose header, checksum or size does not check is never opened
 * (err -EBADMSG) and is removed.
 */
typedef void cdisk_opened_cb(void *arg, struct cdisk_rd *rd, int err);
typedef void cdisk_got_cb(void *arg, long n);
int cdisk_rd_open(struct cdisk *d, uint64_t fileno, cdisk_opened_cb *cb,
		  void *arg);
int cdisk_read(struct cdisk_rd *rd, uint64_t off, void *p, size_t n,
	       cdisk_got_cb *got, void *arg);
int cdisk_rd_fd(const struct cdisk_rd *rd, uint64_t *body_off);
uint64_t cdisk_rd_len(const struct cdisk_rd *rd);
/* Whether body bytes [off, off + n) of rd are all in the page cache (a
 * sendfile(2) of them then never waits for the disk); 0 when not, or
 * when the kernel cannot say (cachestat(2), Linux 6.5). Never blocks. */
int cdisk_rd_cached(const struct cdisk_rd *rd, uint64_t off, uint64_t n);
void cdisk_rd_close(struct cdisk_rd *rd);

/* Remove object fileno (in the background; no callback). */
void cdisk_unlink(struct cdisk *d, uint64_t fileno);

/* Bytes a body of n bytes with metalen of metadata takes on disk
 * (rounded to the block size), for the store's accounting. */
uint64_t cdisk_cost(size_t metalen, uint64_t n);

#endif
