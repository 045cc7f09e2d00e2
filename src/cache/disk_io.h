/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk_io.h - the disk store's pool of I/O threads (internal to
 * src/cache/disk*.c).
 *
 * A job is queued by the loop, run() runs on one of the pool's threads,
 * then the job is handed back to the loop, where done() runs. The hand
 * back goes through an eventfd that the loop watches: a thread writes it
 * when the list of finished jobs was empty, the loop reads it and runs
 * every finished job in the order they finished.
 *
 * Jobs run in any order and in parallel; a caller that needs order (one
 * writer's writes) queues its next job from the previous one's done().
 */
#ifndef TPROXYD_CACHE_DISK_IO_H
#define TPROXYD_CACHE_DISK_IO_H

#include <pthread.h>

#include "event/loop-t.h"

struct dio_job;

/* On a thread: the blocking work. The job's memory is the caller's. */
typedef void dio_run_fn(struct dio_job *j);
/* On the loop: live is 1 normally, 0 when the pool is being closed
 * (then make no user callback, only free). NULL: nothing to do. */
typedef void dio_done_fn(struct dio_job *j, int live);

struct dio_job {
	struct dio_job *next;
	dio_run_fn     *run;
	dio_done_fn    *done;
};

#define DIO_MAX_THREADS 8

struct dio_pool {
	pthread_mutex_t mu;
	pthread_cond_t  cv;		/* work queued, or stop */
	struct dio_job *q_head, **q_tail;	/* queued */
	struct dio_job *d_head, **d_tail;	/* finished */
	int             stop;
	int             efd;		/* eventfd: finished jobs wait */
	unsigned        nthreads;
	pthread_t       th[DIO_MAX_THREADS];
	struct evl_io   io;		/* the loop's watch on efd */
	int             in_done;	/* inside dio_reap's callbacks */
	int             closing;	/* dio_fini called from a done() */
};

/*
 * Start n threads (1..DIO_MAX_THREADS) and watch the eventfd on the loop.
 * Returns 0 or a negative errno.
 */
int dio_init(struct dio_pool *p, unsigned n);
/* Queue j (its run and done set). Never fails; runs done() later. */
void dio_submit(struct dio_pool *p, struct dio_job *j);
/*
 * Let the threads finish every queued job, join them, then run the done()
 * of every finished job with live = 0 and stop watching. The pool is then
 * empty; the caller frees it.
 */
void dio_fini(struct dio_pool *p);

#endif
