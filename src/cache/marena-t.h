/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * marena-t.h - the memory arena of the store: the bodies of complete
 * objects kept in memory, in one memory-backed file (memfd) mapped into
 * the process. A hit then sends a body with sendfile(2) straight from
 * the arena's pages, without copying it (marena.c).
 */
#ifndef TPROXYD_CACHE_MARENA_T_H
#define TPROXYD_CACHE_MARENA_T_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Extents are 2^k pages; freed ones are kept per size for reuse. */
#define MARENA_CLASSES	40

struct marena_free {
	uint64_t *off;
	size_t    n;
	size_t    cap;
};

struct marena {
	int      fd;		/* -1: not made (yet), or it failed */
	char    *base;		/* the mapping of the whole file */
	uint64_t size;		/* of the file and the mapping (sparse:
				   only written pages take memory) */
	uint64_t top;		/* never used beyond this */
	pid_t    pid;		/* the process that made it */
	int      failed;	/* made once and failed: not tried again
				   (bodies then stay in chunks) */
	int      err;		/* why (-errno) */
	struct marena_free free[MARENA_CLASSES];
};

#endif
