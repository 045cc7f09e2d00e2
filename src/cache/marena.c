/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * marena.c - the store's memory arena: a memfd mapped once, carved into
 * extents of 2^k pages. Allocation takes a freed extent of the same size
 * or the next one from the top; freeing punches a hole (the pages go
 * back to the system at once) and keeps the extent for reuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cache/marena.h"

#define PAGE	4096u

static int
class_of(size_t len, uint64_t *bytes)
{
	uint64_t pages = (len + PAGE - 1) / PAGE, n = 1;
	int k = 0;

	while (n < pages) {
		n <<= 1;
		k++;
	}
	*bytes = n * PAGE;
	return k;
}

size_t
marena_cost(size_t len)
{
	return (len + PAGE - 1) / PAGE * PAGE;
}

static int
arena_open(struct marena *a, uint64_t size)
{
	void *p;

	a->fd = memfd_create("tproxyd-cache", MFD_CLOEXEC);
	if (a->fd < 0)
		goto fail;
	if (ftruncate(a->fd, (off_t)size) < 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	a->base = p;
	a->size = size;
	a->top = 0;
	a->pid = getpid();
	return 0;
fail:
	a->err = -errno;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	a->failed = 1;
	return -1;
}

int
marena_alloc(struct marena *a, uint64_t size, size_t len, uint64_t *off)
{
	struct marena_free *f;
	uint64_t bytes;
	int k;

	if (a->base != NULL && a->pid != getpid())
		marena_close(a);	/* inherited across fork: never
					   shared between processes */
	if (a->base == NULL && (a->failed || arena_open(a, size) < 0))
		return -1;
	k = class_of(len, &bytes);
	if (k >= MARENA_CLASSES)
		return -1;
	f = &a->free[k];
	if (f->n > 0) {
		*off = f->off[--f->n];
		return 0;
	}
	if (a->top + bytes > a->size)
		return -1;
	*off = a->top;
	a->top += bytes;
	return 0;
}

void
marena_free(struct marena *a, uint64_t off, size_t len)
{
	struct marena_free *f;
	uint64_t bytes, *n;
	int k = class_of(len, &bytes);

	if (a->base == NULL)
		return;
	/* The pages go; a send in flight keeps its own references. */
	(void)fallocate(a->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			(off_t)off, (off_t)bytes);
	f = &a->free[k];
	if (f->n == f->cap) {
		n = realloc(f->off, (f->cap ? f->cap * 2 : 16) * sizeof(*n));
		if (n == NULL)
			return;	/* the extent is not reused: no harm */
		f->off = n;
		f->cap = f->cap ? f->cap * 2 : 16;
	}
	f->off[f->n++] = off;
}

void
marena_close(struct marena *a)
{
	int k;

	if (a->base != NULL) {
		munmap(a->base, a->size);
		close(a->fd);
	}
	for (k = 0; k < MARENA_CLASSES; k++)
		free(a->free[k].off);
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}
