/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * marena.h - the store's memory arena (see marena-t.h).
 *
 * An extent's pages are returned to the system when it is freed (a hole
 * is punched in the file): a send still in flight keeps the pages it
 * refers to, so a freed extent reused for another body never changes
 * bytes already handed to the kernel.
 */
#ifndef TPROXYD_CACHE_MARENA_H
#define TPROXYD_CACHE_MARENA_H

#include "cache/marena-t.h"

/* The arena is made on first use, in the process that uses it (each
 * worker its own); size: of the sparse file, the bound of what can be
 * allocated at once. */
int marena_alloc(struct marena *a, uint64_t size, size_t len,
		 uint64_t *off);
void marena_free(struct marena *a, uint64_t off, size_t len);
/* Memory an extent of len bytes takes. */
size_t marena_cost(size_t len);
/* Close the arena (tests; the process's end does it otherwise). */
void marena_close(struct marena *a);

#endif
