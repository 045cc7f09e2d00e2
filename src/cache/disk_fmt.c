/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk_fmt.c - the disk store's object format (see disk-int.h): header
 * encoding, checksum, and the check of an object file (on I/O threads).
 *
 * The checksum is FNV-1a 64 over the header and the metadata, not the
 * body: a body is only as good as its length (written in full before the
 * rename), and hashing gigabytes at every restart would make the scan
 * slow. FNV is enough to tell a torn or foreign header from ours; it is
 * no defence against someone who can write the cache directory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/disk-int.h"

#define FNV_OFF		0xcbf29ce484222325ull
#define FNV_PRIME	0x100000001b3ull

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= FNV_PRIME;
	}
	return h;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The checksum of a header (its check field taken as 0) + meta. */
static uint64_t
hdr_sum(const unsigned char in[DISK_HDR_LEN], const void *meta,
	size_t metalen)
{
	static const unsigned char zero[8];
	uint64_t h;

	h = fnv(FNV_OFF, in, 32);
	h = fnv(h, zero, sizeof(zero));
	return fnv(h, meta, metalen);
}

void
disk_hdr_put(unsigned char out[DISK_HDR_LEN], const struct disk_hdr *h,
	     const void *meta)
{
	put32(out, DISK_MAGIC);
	put32(out + 4, DISK_VERSION);
	put32(out + 8, h->metalen);
	put32(out + 12, 0);
	put64(out + 16, h->body_len);
	put64(out + 24, h->fileno);
	put64(out + 32, 0);
	put64(out + 32, hdr_sum(out, meta, h->metalen));
}

int
disk_hdr_get(const unsigned char in[DISK_HDR_LEN], struct disk_hdr *h)
{
	if (get32(in) != DISK_MAGIC || get32(in + 4) != DISK_VERSION ||
	    get32(in + 12) != 0)
		return -EBADMSG;
	h->metalen = get32(in + 8);
	h->body_len = get64(in + 16);
	h->fileno = get64(in + 24);
	if (h->metalen > DISK_META_MAX)
		return -EBADMSG;
	return 0;
}

int
disk_hdr_check(const unsigned char in[DISK_HDR_LEN], const void *meta,
	       size_t metalen)
{
	return hdr_sum(in, meta, metalen) == get64(in + 32) ? 0 : -EBADMSG;
}

/* Read exactly n bytes at off; 0, -EBADMSG when the file is shorter, or
 * a negative errno. */
static int
pread_all(int fd, void *p, size_t n, off_t off)
{
	unsigned char *c = p;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, c, n, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EBADMSG;
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

int
disk_obj_check(int fd, uint64_t fileno, struct disk_hdr *h,
	       unsigned char **meta)
{
	unsigned char hdr[DISK_HDR_LEN];
	unsigned char *m;
	struct stat st;
	uint64_t size;
	int rc;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)DISK_HDR_LEN)
		return -EBADMSG;
	size = (uint64_t)st.st_size;
	if ((rc = pread_all(fd, hdr, sizeof(hdr), 0)) < 0)
		return rc;
	if (disk_hdr_get(hdr, h) < 0 || h->fileno != fileno)
		return -EBADMSG;
	/* size - header - meta, written so that it cannot wrap. */
	if (size - DISK_HDR_LEN < h->metalen ||
	    size - DISK_HDR_LEN - h->metalen != h->body_len)
		return -EBADMSG;
	m = malloc(h->metalen ? h->metalen : 1);
	if (m == NULL)
		return -ENOMEM;
	rc = pread_all(fd, m, h->metalen, DISK_HDR_LEN);
	if (rc == 0)
		rc = disk_hdr_check(hdr, m, h->metalen);
	if (rc < 0 || meta == NULL)
		free(m);
	else
		*meta = m;
	return rc;
}
