/*
 * buf.c - the byte buffer (see buf-t.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

int
buf_init(struct buf *b, size_t size)
{
	b->area = malloc(size);
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
	free(b->area);
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
	char *p;

	if (b->area != NULL && b->size >= size)
		return 0;
	if (b->area == NULL)
		return buf_init(b, size);
	buf_compact(b);
	p = realloc(b->area, size);
	if (p == NULL)
		return -ENOMEM;
	b->area = p;
	b->size = size;
	return 0;
}
