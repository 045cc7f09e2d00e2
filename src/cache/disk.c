/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk.c - one cache_dir (see disk.h): writers, readers, unlink and the
 * rebuild scan, each a job for the I/O threads of disk_io.c; the file
 * format is in disk_fmt.c.
 *
 * Who touches what: a writer's or reader's fields are the loop's, except
 * those marked "job", which only its one job in flight reads or writes
 * (queuing a job and taking it back go through the pool's mutex, which
 * orders the two sides). Each object has at most one job in flight, so
 * one writer's writes reach the file in order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cache/disk-int.h"
#include "cache/disk.h"
#include "cache/disk_io.h"
#include "event/loop.h"

/* ---- paths ---------------------------------------------------------- */

/* Squid's ufs mapping of a file number onto L1/L2. */
static void
obj_dirs(const struct cdisk *d, uint64_t fileno, unsigned *a, unsigned *b)
{
	*a = (unsigned)((fileno / d->l2 / d->l2) % d->l1);
	*b = (unsigned)((fileno / d->l2) % d->l2);
}

void
disk_obj_path(const struct cdisk *d, uint64_t fileno, char *buf, size_t len)
{
	unsigned a, b;

	obj_dirs(d, fileno, &a, &b);
	snprintf(buf, len, "%s/%02X/%02X/%016llX", d->path, a, b,
		 (unsigned long long)fileno);
}

/* mkdir that is fine with an existing directory. */
int
disk_mkdir(const char *p)
{
	if (mkdir(p, 0750) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

/* Create L1/ and L1/L2/ of fileno (after a rename found them gone). */
void
disk_obj_mkdirs(const struct cdisk *d, uint64_t fileno)
{
	char p[PATH_MAX];
	unsigned a, b;

	obj_dirs(d, fileno, &a, &b);
	snprintf(p, sizeof(p), "%s/%02X", d->path, a);
	disk_mkdir(p);
	snprintf(p, sizeof(p), "%s/%02X/%02X", d->path, a, b);
	disk_mkdir(p);
}

/* ---- opening and closing -------------------------------------------- */

/* Remove every file in PATH/tmp whose name does not start with keep
 * (NULL: all). Returns how many were removed. */
static uint64_t
clean_tmp(const char *path, const char *keep)
{
	char p[PATH_MAX];
	struct dirent *e;
	uint64_t n = 0;
	DIR *dir;

	snprintf(p, sizeof(p), "%s/tmp", path);
	if ((dir = opendir(p)) == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (keep != NULL && strncmp(e->d_name, keep, strlen(keep)) == 0)
			continue;
		if (unlinkat(dirfd(dir), e->d_name, 0) == 0)
			n++;
	}
	closedir(dir);
	return n;
}

const char *
cdisk_squid_store(const char *path)
{
	static const struct {
		const char *file, *kind;
	} marks[] = {
		{ "swap.state", "ufs" },	/* also aufs and diskd */
		{ "swap.state.last-clean", "ufs" },
		{ "rock", "rock" },
	};
	char p[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", path, marks[i].file);
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			return marks[i].kind;
	}
	return NULL;
}

int
cdisk_open(struct cdisk **out, const char *path, unsigned l1, unsigned l2,
	   char *errbuf, size_t errlen)
{
	static unsigned opens;
	struct timespec ts;
	struct cdisk *d;
	char p[PATH_MAX];
	unsigned a, b;
	int rc;

	*out = NULL;
	if (l1 < 1 || l1 > 256 || l2 < 1 || l2 > 256) {
		snprintf(errbuf, errlen, "cache_dir %s: L1 and L2 must be "
			 "1 to 256 (%u and %u)", path, l1, l2);
		return -EINVAL;
	}
	if (strlen(path) + 40 > sizeof(p)) {
		snprintf(errbuf, errlen, "cache_dir %s: path too long", path);
		return -ENAMETOOLONG;
	}
	/* The directories, synchronously: this runs at start-up, before the
	 * loop serves anything. */
	rc = disk_mkdir(path);
	snprintf(p, sizeof(p), "%s/tmp", path);
	if (rc == 0)
		rc = disk_mkdir(p);
	for (a = 0; rc == 0 && a < l1; a++) {
		snprintf(p, sizeof(p), "%s/%02X", path, a);
		rc = disk_mkdir(p);
		for (b = 0; rc == 0 && b < l2; b++) {
			snprintf(p, sizeof(p), "%s/%02X/%02X", path, a, b);
			rc = disk_mkdir(p);
		}
	}
	if (rc < 0) {
		snprintf(errbuf, errlen, "cache_dir %s: cannot create %s: %s",
			 path, p, strerror(-rc));
		return rc;
	}
	clean_tmp(path, NULL);
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->path = strdup(path)) == NULL) {
		free(d);
		snprintf(errbuf, errlen, "cache_dir %s: out of memory", path);
		return -ENOMEM;
	}
	d->l1 = l1;
	d->l2 = l2;
	clock_gettime(CLOCK_REALTIME, &ts);
	d->gen = ((uint64_t)getpid() << 40) ^ ((uint64_t)ts.tv_sec << 20) ^
		 (uint64_t)ts.tv_nsec ^ ((uint64_t)++opens << 56);
	if ((rc = dio_init(&d->pool, DISK_THREADS)) < 0) {
		snprintf(errbuf, errlen, "cache_dir %s: cannot start I/O "
			 "threads: %s", path, strerror(-rc));
		free(d->path);
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* The deferred half of cdisk_close(): no callback of d runs after it. */
static void
disk_free(void *arg)
{
	struct cdisk *d = arg;
	struct cdisk_wr *w;
	struct cdisk_rd *rd;

	dio_fini(&d->pool);
	/* Threads are gone: what is left is finished synchronously. */
	while ((w = d->writers) != NULL) {
		d->writers = w->next;
		if (w->fd >= 0) {
			close(w->fd);
			unlink(w->tmp);
		}
		disk_wr_free(w);
	}
	while ((rd = d->readers) != NULL) {
		d->readers = rd->next;
		if (rd->fd >= 0)
			close(rd->fd);
		disk_rd_free(rd);
	}
	disk_chunks_drop(d);
	free(d->path);
	free(d);
}

void
cdisk_close(struct cdisk *d)
{
	if (d == NULL || d->closing)
		return;
	d->closing = 1;
	d->pool.closing = 1;
	/* Inside one of d's callbacks the pool is still being walked: the
	 * loop frees d once the callback has returned. */
	evl_defer(&d->closer, disk_free, d);
}

uint64_t
cdisk_cost(size_t metalen, uint64_t n)
{
	uint64_t t = DISK_HDR_LEN + (uint64_t)metalen + n;

	return (t + DISK_BLOCK - 1) / DISK_BLOCK * DISK_BLOCK;
}

/* ---- the rebuild scan ----------------------------------------------- */

/* A file name of ours: 16 upper-case hex digits. */
static int
parse_name(const char *s, uint64_t *fileno)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = v << 4 | (uint64_t)(s[i] - '0');
		else if (s[i] >= 'A' && s[i] <= 'F')
			v = v << 4 | (uint64_t)(s[i] - 'A' + 10);
		else
			return -1;
	}
	if (s[16] != '\0')
		return -1;
	*fileno = v;
	return 0;
}

/* Check one file of directory dfd; append it to s->f if good, else
 * remove it. */
static void
scan_file(struct scan_job *s, int dfd, const char *name, unsigned a,
	  unsigned b)
{
	struct sfound *f;
	struct disk_hdr h;
	unsigned char *meta = NULL;
	uint64_t fileno;
	unsigned fa, fb;
	int fd, rc;

	if (parse_name(name, &fileno) < 0)
		return;		/* not ours: left alone */
	obj_dirs(s->d, fileno, &fa, &fb);
	if (fa != a || fb != b) {
		/* Out of place (L1 or L2 changed): unreachable. */
		if (unlinkat(dfd, name, 0) == 0)
			s->nremoved++;
		return;
	}
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT && unlinkat(dfd, name, 0) == 0)
			s->nremoved++;
		return;
	}
	rc = disk_obj_check(fd, fileno, &h, &meta);
	close(fd);
	if (rc == -ENOMEM)
		return;
	if (rc < 0) {
		if (unlinkat(dfd, name, 0) == 0)
			s->nremoved++;
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		f = realloc(s->f, cap * sizeof(*f));
		if (f == NULL) {
			free(meta);
			return;
		}
		s->f = f;
		s->cap = cap;
	}
	f = &s->f[s->n++];
	f->fileno = fileno;
	f->body_len = h.body_len;
	f->metalen = h.metalen;
	f->meta = meta;
}

/* On a thread: one directory (index 0: tmp/, the others
 * 1 + a * l2 + b: L1 a, L2 b). */
static void
scan_run(struct dio_job *j)
{
	struct scan_job *s = (struct scan_job *)j;
	struct cdisk *d = s->d;
	char p[PATH_MAX], keep[20];
	struct dirent *e;
	unsigned a, b;
	DIR *dir;

	if (s->idx == 0) {
		/* Files of earlier runs; ours are being written. */
		snprintf(keep, sizeof(keep), "%016llX.",
			 (unsigned long long)d->gen);
		s->nremoved += clean_tmp(d->path, keep);
		return;
	}
	a = (s->idx - 1) / d->l2;
	b = (s->idx - 1) % d->l2;
	snprintf(p, sizeof(p), "%s/%02X/%02X", d->path, a, b);
	if ((dir = opendir(p)) == NULL)
		return;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			scan_file(s, dirfd(dir), e->d_name, a, b);
	closedir(dir);
}

static void scan_done(struct dio_job *j, int live);

/* Queue the next directory: one at a time, so that the other thread
 * stays free for the traffic while the scan runs. */
static int
scan_next(struct cdisk *d)
{
	struct scan_job *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	s->d = d;
	s->idx = d->scan_next++;
	s->job.run = scan_run;
	s->job.done = scan_done;
	dio_submit(&d->pool, &s->job);
	return 0;
}

static void
scan_done(struct dio_job *j, int live)
{
	struct scan_job *s = (struct scan_job *)j;
	struct cdisk *d = s->d;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (live && !d->closing) {
			d->nfound++;
			d->found(d->sarg, s->f[i].fileno, s->f[i].meta,
				 s->f[i].metalen, s->f[i].body_len);
		}
		free(s->f[i].meta);
	}
	free(s->f);
	d->nremoved += s->nremoved;
	free(s);
	if (!live || d->closing)
		return;
	if (d->scan_next <= d->l1 * d->l2 && scan_next(d) == 0)
		return;
	d->scanning = 0;
	if (d->sdone != NULL)
		d->sdone(d->sarg, d->nfound, d->nremoved);
}

int
cdisk_scan(struct cdisk *d, cdisk_found_cb *found, cdisk_done_cb *done,
	   void *arg)
{
	if (d->closing)
		return -ESHUTDOWN;
	if (d->scanning)
		return -EBUSY;
	d->scanning = 1;
	d->scan_next = 0;
	d->found = found;
	d->sdone = done;
	d->sarg = arg;
	d->nfound = d->nremoved = 0;
	if (scan_next(d) < 0) {
		d->scanning = 0;
		return -ENOMEM;
	}
	return 0;
}

/* ---- removing ------------------------------------------------------- */

static void
unlink_run(struct dio_job *j)
{
	struct unlink_job *u = (struct unlink_job *)j;

	unlink(u->path);
}

static void
unlink_done(struct dio_job *j, int live)
{
	(void)live;
	free(j);
}

void
cdisk_unlink(struct cdisk *d, uint64_t fileno)
{
	struct unlink_job *u;
	char p[PATH_MAX];
	size_t n;

	if (d->closing)
		return;
	disk_obj_path(d, fileno, p, sizeof(p));
	n = strlen(p) + 1;
	if ((u = malloc(sizeof(*u) + n)) == NULL)
		return;
	memcpy(u->path, p, n);
	u->job.run = unlink_run;
	u->job.done = unlink_done;
	dio_submit(&d->pool, &u->job);
}
