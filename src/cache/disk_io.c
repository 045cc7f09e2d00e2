/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk_io.c - the disk store's pool of I/O threads (see disk_io.h).
 *
 * One mutex guards both lists; a thread holds it only to take a job or to
 * hand one back, never during the job's system calls, so the loop waits
 * on it for a few instructions at most.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cache/disk_io.h"
#include "event/loop.h"

static void *
dio_thread(void *arg)
{
	struct dio_pool *p = arg;
	struct dio_job *j;
	uint64_t one = 1;
	int wake;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->q_head == NULL && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		/* On stop, the queue is still emptied first: cdisk_close
		 * waits for queued work. */
		if ((j = p->q_head) == NULL)
			break;
		p->q_head = j->next;
		if (p->q_head == NULL)
			p->q_tail = &p->q_head;
		pthread_mutex_unlock(&p->mu);

		j->run(j);

		pthread_mutex_lock(&p->mu);
		j->next = NULL;
		wake = p->d_head == NULL;
		*p->d_tail = j;
		p->d_tail = &j->next;
		/* Only the first finished job of a batch wakes the loop: it
		 * reads the eventfd before taking the list (dio_reap), so a
		 * job added after it took the list finds the list empty and
		 * wakes it again. */
		if (wake) {
			pthread_mutex_unlock(&p->mu);
			while (write(p->efd, &one, sizeof(one)) < 0 &&
			       errno == EINTR)
				;
			pthread_mutex_lock(&p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Run the done() of the finished jobs, on the loop. A done() may close
 * the store (p->closing): the jobs left are then put back for dio_fini. */
static void
dio_reap(struct evl_io *io, int revents)
{
	struct dio_pool *p = io->data;
	struct dio_job *list, *j, **tail;
	uint64_t v;

	(void)revents;
	while (read(p->efd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&p->mu);
	list = p->d_head;
	p->d_head = NULL;
	p->d_tail = &p->d_head;
	pthread_mutex_unlock(&p->mu);

	while ((j = list) != NULL) {
		if (p->closing) {
			pthread_mutex_lock(&p->mu);
			for (tail = &list; *tail != NULL;
			     tail = &(*tail)->next)
				;
			*tail = p->d_head;
			if (p->d_head == NULL)
				p->d_tail = tail;
			p->d_head = list;
			pthread_mutex_unlock(&p->mu);
			return;
		}
		list = j->next;
		j->next = NULL;
		if (j->done != NULL)
			j->done(j, 1);
	}
}

int
dio_init(struct dio_pool *p, unsigned n)
{
	unsigned i;
	int rc;

	memset(p, 0, sizeof(*p));
	if (n == 0 || n > DIO_MAX_THREADS)
		return -EINVAL;
	p->q_tail = &p->q_head;
	p->d_tail = &p->d_head;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0)
		return -errno;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (i = 0; i < n; i++) {
		rc = pthread_create(&p->th[i], NULL, dio_thread, p);
		if (rc != 0) {
			p->nthreads = i;
			dio_fini(p);
			return -rc;
		}
	}
	p->nthreads = n;
	evl_io_init(&p->io, dio_reap, p->efd, p);
	evl_io_want(&p->io, EVL_READ);
	return 0;
}

void
dio_submit(struct dio_pool *p, struct dio_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&p->mu);
	*p->q_tail = j;
	p->q_tail = &j->next;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
dio_fini(struct dio_pool *p)
{
	struct dio_job *j;
	unsigned i;

	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	p->nthreads = 0;
	evl_io_stop(&p->io);
	/* No thread left: the lists are the loop's alone. A done() called
	 * with live = 0 queues nothing more. */
	while ((j = p->d_head) != NULL) {
		p->d_head = j->next;
		j->next = NULL;
		if (j->done != NULL)
			j->done(j, 0);
	}
	p->d_tail = &p->d_head;
	/* Queued after the threads stopped (a bug): dropped, not run. */
	while ((j = p->q_head) != NULL) {
		p->q_head = j->next;
		j->next = NULL;
		if (j->done != NULL)
			j->done(j, 0);
	}
	p->q_tail = &p->q_head;
	close(p->efd);
	p->efd = -1;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
}
