/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certcache.c - the cache of generated leaves (certgen.h): in memory,
 * least recently used first out, bounded in bytes; optionally a directory
 * that keeps them across restarts, one file per leaf.
 *
 * A leaf is found by a hash of everything it is made of (tls_props_key:
 * the CA's fingerprint, the mimicked subject, names and validity, the key
 * type, untrusted or not), so a changed CA or a changed server
 * certificate never gets an old leaf. The cache holds one reference to
 * each leaf it keeps; callers hold their own (tls_leaf_get), so a leaf
 * evicted while a connection presents it lives until that one lets go.
 *
 * One thread: tproxyd runs one event loop per process. Workers may share
 * the directory: files are written under a temporary name and renamed,
 * so a reader sees a whole file or none.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "tls/certgen.h"
#include "tls/certgen_int.h"

/* Squid's default dynamic_cert_mem_cache_size. */
#define MEM_DEFAULT   (4u << 20)
#define FILE_MAX      (256u << 10)	/* a bigger cache file is not ours */
#define NAME_LEN      (2 * TLS_LEAF_KEYLEN + 4)	/* hex + ".pem" */

struct tls_certcache {
	size_t            mem_max;
	size_t            mem_used;
	struct tls_leaf **tab;		/* hash chains */
	size_t            nbuckets;	/* a power of 2 */
	struct tls_leaf  *head, *tail;	/* LRU list, most recent first */
	uint64_t          entries;
	char             *dir;		/* NULL: memory only */
	uint64_t          disk_max;	/* 0: no bound */
	uint64_t          disk_used;	/* estimate, set by disk_trim */
	struct tls_certcache_stats st;
};

static void
hexkey(const uint8_t *key, char *out)
{
	static const char hx[] = "0123456789abcdef";
	int i;

	for (i = 0; i < TLS_LEAF_KEYLEN; i++) {
		out[2 * i] = hx[key[i] >> 4];
		out[2 * i + 1] = hx[key[i] & 15];
	}
	out[2 * TLS_LEAF_KEYLEN] = '\0';
}

static size_t
bucket(const struct tls_certcache *cc, const uint8_t *key)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return (size_t)h & (cc->nbuckets - 1);
}

/* ---- the directory ---- */

/* A cache file's name: 64 lowercase hex digits and ".pem". */
static int
is_cache_name(const char *n)
{
	size_t i;

	if (strlen(n) != NAME_LEN || strcmp(n + 2 * TLS_LEAF_KEYLEN, ".pem"))
		return 0;
	for (i = 0; i < 2 * TLS_LEAF_KEYLEN; i++)
		if (!((n[i] >= '0' && n[i] <= '9') ||
		    (n[i] >= 'a' && n[i] <= 'f')))
			return 0;
	return 1;
}

struct dent {
	struct timespec mtime;	/* to the nanosecond: many leaves are made
				   in one second */
	off_t  size;
	char   name[NAME_LEN + 1];
};

static int
dent_cmp(const void *a, const void *b)
{
	const struct dent *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Count the directory's cache files and, over disk_max, remove the
 * oldest (least recently used: a disk hit touches its file) until under
 * it; remove temporary files left by writers that died. A scan per
 * trim: trims happen when the running estimate passes the bound, not on
 * every write.
 */
static int
disk_trim(struct tls_certcache *cc)
{
	struct dent *v = NULL, *nv;
	size_t n = 0, cap = 0, i;
	uint64_t total = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = opendir(cc->dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		/* A writer that died between open and rename (disk_write)
		 * left its temporary file: gone after an hour. */
		if (strncmp(de->d_name, ".tmp-", 5) == 0 &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    0 && S_ISREG(st.st_mode) &&
		    st.st_mtime < time(NULL) - 3600) {
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (!is_cache_name(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				closedir(d);
				return -1;
			}
			v = nv;
		}
		v[n].mtime = st.st_mtim;
		v[n].size = st.st_size;
		memcpy(v[n].name, de->d_name, NAME_LEN + 1);
		total += (uint64_t)st.st_size;
		n++;
	}
	if (cc->disk_max > 0 && total > cc->disk_max) {
		qsort(v, n, sizeof(*v), dent_cmp);
		for (i = 0; i < n && total > cc->disk_max; i++)
			if (unlinkat(dirfd(d), v[i].name, 0) == 0 ||
			    errno == ENOENT)
				total -= (uint64_t)v[i].size;
	}
	closedir(d);
	free(v);
	cc->disk_used = total;
	return 0;
}

/* The stored leaf for key when it is still good; a bad one is removed. */
static struct tls_leaf *
disk_read(struct tls_certcache *cc, const struct tls_ca *ca,
	  const uint8_t *key)
{
	char path[4096], hex[2 * TLS_LEAF_KEYLEN + 1];
	struct tls_leaf *l;
	EVP_PKEY *pk = NULL;
	struct stat st;
	X509 *x = NULL;
	FILE *f;
	BIO *b;
	int fd;

	hexkey(key, hex);
	snprintf(path, sizeof(path), "%s/%s.pem", cc->dir, hex);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)FILE_MAX || (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return NULL;
	}
	b = BIO_new_fp(f, BIO_CLOSE);
	if (b == NULL) {
		fclose(f);
		return NULL;
	}
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (x != NULL)
		pk = PEM_read_bio_PrivateKey(b, NULL, tls_pem_nopass,
		    NULL);
	BIO_free(b);
	ERR_clear_error();
	if (x == NULL || pk == NULL) {
		X509_free(x);
		EVP_PKEY_free(pk);
		l = NULL;
	} else {
		l = tls_leaf_adopt(ca, x, pk, key);
	}
	if (l == NULL) {
		/* Signed by a CA since replaced, expired, or broken. */
		(void)unlink(path);
		return NULL;
	}
	/* Recently used: the trim removes the oldest mtime first. */
	(void)utimensat(AT_FDCWD, path, NULL, 0);
	return l;
}

/* Store l as DIR/KEY.pem, mode 0600: its certificate and its key. */
static int
disk_write(struct tls_certcache *cc, const struct tls_leaf *l)
{
	char path[4096], tmp[4096], hex[2 * TLS_LEAF_KEYLEN + 1];
	struct stat st;
	int fd, ok;
	FILE *f;
	BIO *b;

	hexkey(l->key, hex);
	snprintf(path, sizeof(path), "%s/%s.pem", cc->dir, hex);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-%ld", cc->dir, hex,
	    (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		(void)unlink(tmp);
		return -1;
	}
	b = BIO_new_fp(f, BIO_NOCLOSE);
	ok = b != NULL && PEM_write_bio_X509(b, l->x509) &&
	    PEM_write_bio_PrivateKey(b, l->pkey, NULL, NULL, 0, NULL, NULL) &&
	    BIO_flush(b) == 1;
	BIO_free(b);
	ERR_clear_error();
	/* No fsync: a file cut by a crash fails to load and is made
	 * again; the cache is not worth a disk flush per host. */
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || stat(tmp, &st) < 0 || rename(tmp, path) < 0) {
		(void)unlink(tmp);
		return -1;
	}
	cc->disk_used += (uint64_t)st.st_size;
	if (cc->disk_max > 0 && cc->disk_used > cc->disk_max)
		return disk_trim(cc);
	return 0;
}

/* ---- memory ---- */

static void
lru_unlink(struct tls_certcache *cc, struct tls_leaf *l)
{
	if (l->lprev)
		l->lprev->lnext = l->lnext;
	else
		cc->head = l->lnext;
	if (l->lnext)
		l->lnext->lprev = l->lprev;
	else
		cc->tail = l->lprev;
	l->lprev = l->lnext = NULL;
}

static void
lru_push(struct tls_certcache *cc, struct tls_leaf *l)
{
	l->lprev = NULL;
	l->lnext = cc->head;
	if (cc->head)
		cc->head->lprev = l;
	cc->head = l;
	if (cc->tail == NULL)
		cc->tail = l;
}

/* Take l out of the cache and drop the cache's reference. */
static void
mem_remove(struct tls_certcache *cc, struct tls_leaf *l)
{
	struct tls_leaf **pp = &cc->tab[bucket(cc, l->key)];

	while (*pp != l)
		pp = &(*pp)->hnext;
	*pp = l->hnext;
	l->hnext = NULL;
	lru_unlink(cc, l);
	l->cached = 0;
	cc->mem_used -= l->bytes;
	cc->entries--;
	tls_leaf_unref(l);
}

static struct tls_leaf *
mem_find(struct tls_certcache *cc, const uint8_t *key)
{
	struct tls_leaf *l;

	for (l = cc->tab[bucket(cc, key)]; l != NULL; l = l->hnext)
		if (memcmp(l->key, key, TLS_LEAF_KEYLEN) == 0)
			return l;
	return NULL;
}

/* Keep l (the cache takes a reference of its own), then evict the least
 * recently used while over the bound: l itself when it alone is over. */
static void
mem_insert(struct tls_certcache *cc, struct tls_leaf *l)
{
	size_t b = bucket(cc, l->key);

	l->refs++;
	l->cached = 1;
	l->hnext = cc->tab[b];
	cc->tab[b] = l;
	lru_push(cc, l);
	cc->mem_used += l->bytes;
	cc->entries++;
	while (cc->mem_used > cc->mem_max && cc->tail != NULL)
		mem_remove(cc, cc->tail);
}

struct tls_certcache *
tls_certcache_new(size_t mem_bytes, const char *dir, uint64_t disk_bytes,
		  char *err, size_t errlen)
{
	struct tls_certcache *cc;
	struct stat st;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		goto oom;
	cc->mem_max = mem_bytes ? mem_bytes : MEM_DEFAULT;
	/* About one chain per KiB of budget (a leaf weighs 2-4 KiB). */
	cc->nbuckets = 64;
	while (cc->nbuckets < cc->mem_max / 1024 &&
	    cc->nbuckets < (1u << 16))
		cc->nbuckets *= 2;
	if ((cc->tab = calloc(cc->nbuckets, sizeof(*cc->tab))) == NULL)
		goto oom;
	cc->disk_max = disk_bytes;
	if (dir == NULL)
		return cc;
	if ((cc->dir = strdup(dir)) == NULL)
		goto oom;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create the certificate "
		    "cache directory: %s", dir, strerror(errno));
		goto fail;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		goto fail;
	}
	if (access(dir, W_OK | X_OK) < 0 || disk_trim(cc) < 0) {
		snprintf(err, errlen, "%s: cannot use the certificate cache "
		    "directory: %s", dir, strerror(errno));
		goto fail;
	}
	return cc;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	tls_certcache_free(cc);
	return NULL;
}

void
tls_certcache_free(struct tls_certcache *cc)
{
	if (cc == NULL)
		return;
	while (cc->tail != NULL)
		mem_remove(cc, cc->tail);
	free(cc->tab);
	free(cc->dir);
	free(cc);
}

void
tls_certcache_stats(const struct tls_certcache *cc,
		    struct tls_certcache_stats *st)
{
	*st = cc->st;
	st->entries = cc->entries;
	st->mem_bytes = cc->mem_used;
}

/*
 * Memory, then the directory, then a new leaf. errors counts leaves that
 * could not be made and files that could not be written; a server
 * certificate that cannot be read is the server's doing and is not
 * counted.
 */
struct tls_leaf *
tls_leaf_get(struct tls_certcache *cc, const struct tls_ca *ca,
	     const struct tls_leaf_req *r, char *err, size_t errlen)
{
	uint8_t key[TLS_LEAF_KEYLEN];
	struct tls_props p;
	struct tls_leaf *l;
	int untrusted;

	if (tls_props_make(ca, r, &p, err, errlen) < 0)
		return NULL;
	if (tls_props_key(ca, &p, key) < 0) {
		tls_props_clear(&p);
		cc->st.errors++;
		snprintf(err, errlen, "cannot hash the certificate's "
		    "properties");
		return NULL;
	}
	if ((l = mem_find(cc, key)) != NULL) {
		tls_props_clear(&p);
		lru_unlink(cc, l);
		lru_push(cc, l);
		l->refs++;
		cc->st.mem_hits++;
		return l;
	}
	/* Untrusted leaves are not stored: their throwaway CA does not
	 * outlive the process, so no later one could use them. */
	if (cc->dir != NULL && !p.untrusted &&
	    (l = disk_read(cc, ca, key)) != NULL) {
		tls_props_clear(&p);
		cc->st.disk_hits++;
		mem_insert(cc, l);
		return l;
	}
	l = tls_leaf_make(ca, &p, key, err, errlen);
	untrusted = p.untrusted;
	tls_props_clear(&p);
	if (l == NULL) {
		cc->st.errors++;
		return NULL;
	}
	cc->st.generated++;
	if (cc->dir != NULL && !untrusted && disk_write(cc, l) < 0)
		cc->st.errors++;
	mem_insert(cc, l);
	return l;
}
