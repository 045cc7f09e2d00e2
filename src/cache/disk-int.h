/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk-int.h - what disk.c and disk_fmt.c share: the on-disk object
 * format and the paths of objects and temporary files. Internal to
 * src/cache/disk*.c.
 *
 * An object file is
 *   header (DISK_HDR_LEN bytes, little-endian)
 *     0  magic     u32  DISK_MAGIC
 *     4  version   u32  DISK_VERSION
 *     8  metalen   u32  bytes of metadata after the header
 *     12 flags     u32  0
 *     16 body_len  u64  bytes of body after the metadata
 *     24 fileno    u64  the object's number (its file name, checked)
 *     32 check     u64  FNV-1a 64 of the header (check = 0) + metadata
 *   metadata (metalen bytes, the caller's blob)
 *   body (body_len bytes)
 * and its size is exactly DISK_HDR_LEN + metalen + body_len.
 */
#ifndef TPROXYD_CACHE_DISK_INT_H
#define TPROXYD_CACHE_DISK_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/disk.h"
#include "cache/disk_io.h"

#define DISK_MAGIC	0x43445054u	/* "TPDC" read little-endian */
#define DISK_VERSION	1u
#define DISK_HDR_LEN	40u
#define DISK_META_MAX	(1u << 20)	/* metadata larger is refused */

struct disk_hdr {
	uint32_t metalen;
	uint64_t body_len;
	uint64_t fileno;
};

/* Encode h into out with the checksum of out + meta. */
void disk_hdr_put(unsigned char out[DISK_HDR_LEN], const struct disk_hdr *h,
		  const void *meta);
/* Decode the fixed fields of in (magic, version, metalen bound); 0 or
 * -EBADMSG. The checksum needs the metadata: disk_hdr_check(). */
int disk_hdr_get(const unsigned char in[DISK_HDR_LEN], struct disk_hdr *h);
/* 0 when the checksum in in matches in + meta, else -EBADMSG. */
int disk_hdr_check(const unsigned char in[DISK_HDR_LEN], const void *meta,
		   size_t metalen);

/*
 * Check the object file open on fd, expected to be number fileno: size,
 * header, checksum. Returns 0 with *h filled and, when meta is not NULL,
 * *meta a malloc'd copy of the metadata (the caller frees it); -EBADMSG
 * when damaged; another negative errno when it could not be read.
 * Blocking: I/O threads only.
 */
int disk_obj_check(int fd, uint64_t fileno, struct disk_hdr *h,
		   unsigned char **meta);

/* ---- disk.c and disk_rw.c ---- */

#define DISK_THREADS	2
#define DISK_CHUNK	(256u << 10)	/* writes are copied into these */
#define DISK_CHUNK_KEEP	32		/* spare chunks kept (8 MiB) */
#define DISK_READ_MAX	(1u << 20)	/* one read returns at most this */
#define DISK_BLOCK	4096u
#define DISK_IOV	64

struct wchunk {
	struct wchunk *next;
	size_t         len, cap;
	unsigned char  data[];
};

struct cdisk_wr {
	struct dio_job  job;
	struct cdisk   *d;
	struct cdisk_wr *prev, *next;	/* d->writers */
	uint64_t        fileno;
	char           *tmp;		/* temporary file's path */
	unsigned char  *meta;
	size_t          metalen;
	struct wchunk  *pend, **pend_tail;	/* not yet handed to a job */
	size_t          pend_bytes;
	size_t          fly_bytes;	/* handed to the job in flight */
	uint64_t        written;	/* body bytes in the file */
	int             busy;		/* a job is in flight */
	int             err;		/* first error, sticky */
	int             finishing, ok;
	cdisk_wdone_cb *done;
	void           *arg;
	void          (*drain)(void *arg);	/* cdisk_wr_on_drain() */
	void           *drain_arg;
	/* job */
	struct wchunk  *fly;
	int             fd;
	int             jerr;
	int             jfinal;		/* finish after writing fly */
	uint64_t        jwritten;
};

enum rd_job { RJ_OPEN, RJ_READ, RJ_CLOSE };

struct cdisk_rd {
	struct dio_job   job;
	struct cdisk    *d;
	struct cdisk_rd *prev, *next;	/* d->readers while open */
	uint64_t         fileno;
	cdisk_opened_cb *opened;
	void            *oarg;
	cdisk_got_cb    *got;
	void            *garg;
	void            *p;		/* the caller's buffer */
	int              reading;
	int              closed;	/* cdisk_rd_close() called */
	pthread_mutex_t  mu;		/* closed, against the copy to p */
	unsigned char   *bounce;	/* what the thread reads into */
	size_t           bcap;
	/* job */
	enum rd_job      jkind;
	int              fd;
	uint64_t         body_off, body_len;
	uint64_t         roff;
	size_t           rn;
	long             res;
};

struct unlink_job {
	struct dio_job job;
	char           path[];
};

struct sfound {
	uint64_t       fileno, body_len;
	uint32_t       metalen;
	unsigned char *meta;
};

/* One directory of the scan (index 0: tmp/, then the L1 x L2 ones). */
struct scan_job {
	struct dio_job job;
	struct cdisk  *d;
	unsigned       idx;
	struct sfound *f;
	size_t         n, cap;
	uint64_t       nremoved;
};

struct cdisk {
	struct dio_pool  pool;
	char            *path;
	unsigned         l1, l2;
	uint64_t         gen;		/* names this process's tmp files */
	uint64_t         seq;
	int              closing;
	struct evl_defer closer;
	struct cdisk_wr *writers;
	struct cdisk_rd *readers;
	/* Chunks written and given back, reused: a fresh malloc of 256 KiB
	 * is a fresh mmap, whose page faults cost the loop more than the
	 * copy into it. */
	struct wchunk   *cfree;
	unsigned         ncfree;
	/* the scan, when one runs */
	int              scanning;
	unsigned         scan_next;
	cdisk_found_cb  *found;
	cdisk_done_cb   *sdone;
	void            *sarg;
	uint64_t         nfound, nremoved;
};

/* Paths and directories (disk.c). */
void disk_obj_path(const struct cdisk *d, uint64_t fileno, char *buf,
		   size_t len);
void disk_obj_mkdirs(const struct cdisk *d, uint64_t fileno);
int disk_mkdir(const char *p);
/* Free a writer or reader (disk_rw.c); no callback. */
void disk_wr_free(struct cdisk_wr *w);
void disk_rd_free(struct cdisk_rd *rd);
/* Free d's list of spare chunks. */
void disk_chunks_drop(struct cdisk *d);

#endif
