/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * arena.c - the allocator behind a struct cfg: many small allocations,
 * released all at once by ar_free() (see cfg-int.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg-int.h"

#define AR_CHUNK	16384
#define AR_ALIGN	_Alignof(max_align_t)

struct ar_chunk {
	struct ar_chunk *next;
	size_t           used, size;
	_Alignas(max_align_t) unsigned char data[];
};

struct ar_re {
	struct ar_re *next;
	regex_t      *re;
	size_t        n;
};

/* Something the configuration holds that is not memory of the arena
 * (a loaded certificate, a TLS context): released by fn(arg). */
struct ar_rel {
	struct ar_rel *next;
	void         (*fn)(void *arg);
	void          *arg;
};

struct arena {
	struct ar_chunk *chunk;		/* current chunk first */
	struct ar_re    *re;
	struct ar_rel   *rel;
};

/* Configuration memory is not optional: see the comment in cfg-int.h. */
static void *
ar_xmalloc(size_t size)
{
	void *p = malloc(size);

	if (p == NULL) {
		fputs("tproxyd: out of memory while loading the "
		      "configuration\n", stderr);
		abort();
	}
	return p;
}

static void *
ar_xcalloc(size_t size)
{
	void *p = calloc(1, size);

	if (p == NULL) {
		fputs("tproxyd: out of memory while loading the "
		      "configuration\n", stderr);
		abort();
	}
	return p;
}

struct arena *
ar_new(void)
{
	struct arena *ar = ar_xmalloc(sizeof(*ar));

	ar->chunk = NULL;
	ar->re = NULL;
	ar->rel = NULL;
	return ar;
}

void
ar_free(struct arena *ar)
{
	struct ar_chunk *ch, *chn;
	struct ar_re *r, *rn;
	struct ar_rel *l;
	size_t i;

	if (ar == NULL)
		return;
	/* Newest first: what was made from an older object goes before
	 * it. The list lives in the chunks too. */
	for (l = ar->rel; l != NULL; l = l->next)
		l->fn(l->arg);
	/* The regex list itself lives in the chunks: walk it first. */
	for (r = ar->re; r != NULL; r = rn) {
		rn = r->next;
		for (i = 0; i < r->n; i++)
			regfree(&r->re[i]);
	}
	for (ch = ar->chunk; ch != NULL; ch = chn) {
		chn = ch->next;
		free(ch);
	}
	free(ar);
}

void *
ar_alloc(struct arena *ar, size_t size)
{
	struct ar_chunk *ch = ar->chunk;
	size_t need, csize;
	int zeroed = 0;
	void *p;

	if (size > SIZE_MAX / 2) {
		/* Nothing in a configuration is this big: an overflow. */
		fputs("tproxyd: configuration allocation too large\n", stderr);
		abort();
	}
	need = (size + AR_ALIGN - 1) & ~(AR_ALIGN - 1);
	if (ch == NULL || ch->size - ch->used < need) {
		/* Big blocks get a chunk of their own, placed behind the
		 * current one so its free space is not lost. They come
		 * zeroed from calloc(), whose fresh pages cost memory only
		 * once touched (a class 3 delay pool's 1 MiB of buckets:
		 * only the networks in use). */
		csize = need > AR_CHUNK / 4 ? need : AR_CHUNK;
		if (need > AR_CHUNK / 4) {
			ch = ar_xcalloc(sizeof(*ch) + csize);
			zeroed = 1;
		} else {
			ch = ar_xmalloc(sizeof(*ch) + csize);
		}
		ch->used = 0;
		ch->size = csize;
		if (ar->chunk != NULL && need > AR_CHUNK / 4) {
			ch->next = ar->chunk->next;
			ar->chunk->next = ch;
		} else {
			ch->next = ar->chunk;
			ar->chunk = ch;
		}
	}
	p = ch->data + ch->used;
	ch->used += need;
	if (!zeroed)
		memset(p, 0, size);
	return p;
}

char *
ar_strndup(struct arena *ar, const char *s, size_t len)
{
	char *d = ar_alloc(ar, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *
ar_strdup(struct arena *ar, const char *s)
{
	return ar_strndup(ar, s, strlen(s));
}

void *
ar_grow(struct arena *ar, void *base, size_t n, size_t size)
{
	void *nb;
	size_t cap;

	/* Capacity is the next power of two >= n (1 for n == 0), so only a
	 * power-of-two count can be full. */
	if (n != 0 && (n & (n - 1)) != 0)
		return base;
	cap = n == 0 ? 1 : 2 * n;
	if (cap > SIZE_MAX / size) {
		fputs("tproxyd: configuration array too large\n", stderr);
		abort();
	}
	nb = ar_alloc(ar, cap * size);
	if (n > 0)
		memcpy(nb, base, n * size);
	return nb;
}

void
ar_release(struct arena *ar, void (*fn)(void *arg), void *arg)
{
	struct ar_rel *l = ar_alloc(ar, sizeof(*l));

	l->fn = fn;
	l->arg = arg;
	l->next = ar->rel;
	ar->rel = l;
}

void
ar_regex(struct arena *ar, regex_t *re, size_t n)
{
	struct ar_re *r = ar_alloc(ar, sizeof(*r));

	r->re = re;
	r->n = n;
	r->next = ar->re;
	ar->re = r;
}
