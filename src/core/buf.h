/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * buf.h - operations on struct buf (see buf-t.h for the invariants).
 */
#ifndef TPROXYD_CORE_BUF_H
#define TPROXYD_CORE_BUF_H

#include <string.h>

#include "core/buf-t.h"

/* Allocate at least size bytes of storage (sizes from 2 KiB to 64 KiB are
 * rounded up to a power of two). Returns 0 or -ENOMEM. */
int buf_init(struct buf *b, size_t size);
/* Make room for at least size bytes of storage in all: allocates when the
 * buffer has none, grows it (keeping pending bytes) when it is smaller.
 * Returns 0 or -ENOMEM (the buffer is unchanged then). */
int buf_reserve(struct buf *b, size_t size);
/* Release the storage; the buffer becomes empty and may be re-initialised. */
void buf_free(struct buf *b);
/* Move pending bytes to the start of the area so that all room is at the end.
 * Invalidates views into the buffer. */
void buf_compact(struct buf *b);
/* Append len bytes; returns 0, or -ENOSPC when they do not fit (nothing is
 * written then). Compacts first when that makes them fit. */
int buf_append(struct buf *b, const void *p, size_t len);
/* Append v in decimal; returns 0 or -ENOSPC (nothing written). */
int buf_append_u64(struct buf *b, unsigned long long v);
/* Free the areas the process keeps for reuse (after fork in a child that
 * will not serve, or at exit to keep leak checkers quiet). */
void buf_cache_drop(void);
/* printf-style append; returns 0 or -ENOSPC (nothing written). */
int buf_appendf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline char *buf_head(const struct buf *b) { return b->area + b->head; }
static inline char *buf_tail(const struct buf *b) { return b->area + b->tail; }
static inline size_t buf_len(const struct buf *b) { return b->tail - b->head; }
static inline size_t buf_room(const struct buf *b) { return b->size - b->tail; }
static inline int buf_empty(const struct buf *b) { return b->tail == b->head; }
static inline int
buf_full(const struct buf *b)
{
	return b->head == 0 && b->tail == b->size;
}

/* Mark n bytes at the head as consumed. When the buffer empties, head and
 * tail go back to 0 so the whole area is room again (cheap compaction). */
static inline void
buf_consume(struct buf *b, size_t n)
{
	b->head += n;
	if (b->head == b->tail)
		b->head = b->tail = 0;
}

/* Mark n bytes written at the tail (after a read() into buf_tail()). */
static inline void buf_commit(struct buf *b, size_t n) { b->tail += n; }

static inline void buf_reset(struct buf *b) { b->head = b->tail = 0; }

#endif
