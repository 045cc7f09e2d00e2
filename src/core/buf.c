/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * buf.c - the byte buffer (see buf-t.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fmt.h"

/*
 * Storage comes from a small per-process cache of recently freed areas,
 * one list per power-of-two size from 4 KiB to 64 KiB (requests above
 * 2 KiB are rounded up to one of them), so a keep-alive
 * connection that frees its buffers between requests (idle connections
 * hold none) does not go through malloc and free for every request. Each
 * list keeps at most BUF_CACHE_BYTES, which bounds what the cache can
 * hold on to after a burst. Sanitizer builds bypass the cache so that a
 * use after free is still reported.
 */
#define BUF_CLASS_MIN   12		/* 4 KiB */
#define BUF_CLASS_MAX   16		/* 64 KiB */
#define BUF_NCLASS      (BUF_CLASS_MAX - BUF_CLASS_MIN + 1)
#define BUF_CACHE_BYTES (1u << 20)

#if defined(__SANITIZE_ADDRESS__)
#define BUF_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUF_CACHE 0
#endif
#endif
#ifndef BUF_CACHE
#define BUF_CACHE 1
#endif

struct buf_free_area {
	struct buf_free_area *next;
};

static struct buf_free_area *buf_cache[BUF_NCLASS];
static unsigned buf_cache_n[BUF_NCLASS];

/* The size class for size, or -1 when it is not one we cache. Sizes in
 * the cached range are rounded up to their power of two. */
static int
buf_class(size_t size, size_t *rounded)
{
	int c;

	if (size <= ((size_t)1 << (BUF_CLASS_MIN - 1))) {
		*rounded = size;	/* small ones are not worth it */
		return -1;
	}
	for (c = BUF_CLASS_MIN; c <= BUF_CLASS_MAX; c++)
		if (size <= ((size_t)1 << c)) {
			*rounded = (size_t)1 << c;
			return c - BUF_CLASS_MIN;
		}
	*rounded = size;
	return -1;
}

static char *
buf_alloc(size_t *size)
{
	struct buf_free_area *f;
	int c = buf_class(*size, size);

	if (BUF_CACHE && c >= 0 && (f = buf_cache[c]) != NULL) {
		buf_cache[c] = f->next;
		buf_cache_n[c]--;
		return (char *)f;
	}
	return malloc(*size);
}

static void
buf_release(char *area, size_t size)
{
	struct buf_free_area *f;
	size_t r;
	int c = buf_class(size, &r);

	if (BUF_CACHE && c >= 0 && r == size &&
	    (buf_cache_n[c] + 1) * size <= BUF_CACHE_BYTES) {
		f = (struct buf_free_area *)(void *)area;
		f->next = buf_cache[c];
		buf_cache[c] = f;
		buf_cache_n[c]++;
		return;
	}
	free(area);
}

void
buf_cache_drop(void)
{
	struct buf_free_area *f;
	int c;

	for (c = 0; c < BUF_NCLASS; c++) {
		while ((f = buf_cache[c]) != NULL) {
			buf_cache[c] = f->next;
			free(f);
		}
		buf_cache_n[c] = 0;
	}
}

int
buf_init(struct buf *b, size_t size)
{
	b->area = buf_alloc(&size);
	if (b->area == NULL) {
		b->size = b->head = b->tail = 0;
		return -ENOMEM;
	}
	b->size = size;
	b->head = b->tail = 0;
	return 0;
}

void
buf_free(struct buf *b)
{
	if (b->area != NULL)
		buf_release(b->area, b->size);
	b->area = NULL;
	b->size = b->head = b->tail = 0;
}

void
buf_compact(struct buf *b)
{
	size_t len = buf_len(b);

	if (b->head == 0)
		return;
	memmove(b->area, b->area + b->head, len);
	b->head = 0;
	b->tail = len;
}

int
buf_append(struct buf *b, const void *p, size_t len)
{
	if (buf_room(b) < len) {
		if (b->size - buf_len(b) < len)
			return -ENOSPC;
		buf_compact(b);
	}
	memcpy(buf_tail(b), p, len);
	b->tail += len;
	return 0;
}

int
buf_append_u64(struct buf *b, unsigned long long v)
{
	char d[FMT_U64_MAX];

	return buf_append(b, d, fmt_u64(d, v));
}

int
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (buf_room(b) < 64 && b->head > 0)
		buf_compact(b);
	va_start(ap, fmt);
	n = vsnprintf(buf_tail(b), buf_room(b), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= buf_room(b)) {
		/* Did not fit: retry once after compacting, else give up. */
		if (b->head == 0 || b->size - buf_len(b) <= (size_t)n)
			return -ENOSPC;
		buf_compact(b);
		va_start(ap, fmt);
		n = vsnprintf(buf_tail(b), buf_room(b), fmt, ap);
		va_end(ap);
		if (n < 0 || (size_t)n >= buf_room(b))
			return -ENOSPC;
	}
	b->tail += (size_t)n;
	return 0;
}

int
buf_reserve(struct buf *b, size_t size)
{
	struct buf nb;

	if (b->area != NULL && b->size >= size)
		return 0;
	if (b->area == NULL)
		return buf_init(b, size);
	if (buf_init(&nb, size) < 0)
		return -ENOMEM;
	memcpy(nb.area, buf_head(b), buf_len(b));
	nb.tail = buf_len(b);
	buf_free(b);
	*b = nb;
	return 0;
}
