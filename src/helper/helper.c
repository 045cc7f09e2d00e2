/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper.c - pools of helper programs (see helper.h), after Squid's
 * src/helper.cc: the same options (children-max, startup, idle,
 * concurrency, queue-size, on-persistent-overload), the same line
 * protocol and the same answers to failures (a BH answer is retried
 * twice, a persistent overload is fatal or ERR), on tproxyd's event loop
 * with non-blocking pipes.
 *
 * Where tproxyd differs, and why:
 *   - requests a dying child had not answered are sent once more to
 *     another child before they get BH (Squid gives them "unknown" at
 *     once): a helper that exits after N answers then costs no request;
 *   - a request that times out leaves its channel "owed": the child's
 *     late answer to it is read and dropped, and a child whose every
 *     channel is owed (with concurrency 0: its one channel) is killed and
 *     replaced, since it answers nothing else in time;
 *   - a child that writes a line longer than HLP_LINE_MAX, or more than
 *     HLP_FLOOD_MAX lines nobody asked for, is killed and replaced.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/priv.h"
#include "event/loop.h"
#include "helper/helper.h"
#include "helper/reply.h"
#include "log/log.h"
#include "stats/stats.h"

/* Lines from a child that answer no request before it is killed. */
#define HLP_FLOOD_MAX		100
/* Squid's limit on a persistent overload before on-persistent-overload
 * applies. */
#define HLP_OVERLOAD_SECS	180
/* Back-off of restarts after children that died without answering. */
#define HLP_BACKOFF_FIRST	0.1
#define HLP_BACKOFF_MAX		30.0
/* A stopped child gets SIGKILL if still there this long after SIGTERM. */
#define HLP_KILL_GRACE		3.0

/* A channel whose request timed out: its answer is still owed. */
#define OWED	((struct hlp_req *)(uintptr_t)1)

struct hlp_child;

struct hlp_req {
	struct hlp_req   *next, *prev;	/* the pool's queue */
	struct hlp_pool  *pool;
	struct hlp_child *child;	/* sent to; NULL while queued */
	unsigned          chan;
	hlp_cb           *cb;		/* NULL: cancelled while sent */
	void             *arg;
	struct evl_timer  timer;	/* the answer's deadline */
	unsigned          retries;	/* BH answers and timeouts retried */
	unsigned          requeued;	/* sent again after a child died */
	size_t            len;
	char              line[];	/* the request, no line feed */
};

struct hlp_child {
	struct hlp_child *next;
	struct hlp_pool  *pool;
	unsigned          idx;		/* #N in cache.log, from 1 */
	pid_t             pid;
	int               wfd, rfd;	/* its stdin, its stdout */
	struct evl_io     wio, rio;
	char             *wbuf;
	size_t            wlen, woff, wcap;
	char             *rbuf;		/* HLP_LINE_MAX + 2 bytes */
	size_t            rlen;
	struct hlp_req  **slot;		/* by channel; NULL free, OWED */
	unsigned          nslots, busy, owed;
	unsigned          unasked;	/* lines that answered nothing */
	double            started;
	uint64_t          replies;
	int               dead;		/* being replaced */
	struct evl_defer  d;
};

struct hlp_pool {
	const struct hlp_opts *o;
	struct hlp_child *kids;
	unsigned          nkids, next_idx;
	struct hlp_req   *qhead, *qtail;
	unsigned          qlen;
	unsigned          fails;	/* children in a row that died
					   without answering */
	struct evl_timer  restart;	/* back-off before starting again */
	double            overload_since;	/* 0: not overloaded */
	unsigned long     dropped;
	int               freeing;
};

/* ---------------------------------------------------- reaping children */

/* Children stopped or dead, not reaped yet: waitpid() from a timer, with
 * SIGKILL after the grace. Shared by every pool of the process. */
struct reap {
	pid_t  pid;
	double kill_at;		/* 0: already killed */
	char   name[48];
};
static struct reap *reaps;
static size_t nreap, capreap;
static struct evl_timer reap_timer;
static int reap_timer_ready;

static void reap_cb(struct evl_timer *t);

static void
reap_poll(void)
{
	size_t i = 0;
	int st;
	pid_t r;

	while (i < nreap) {
		r = waitpid(reaps[i].pid, &st, WNOHANG);
		if (r == reaps[i].pid || (r < 0 && errno == ECHILD)) {
			if (r > 0 && WIFEXITED(st) && WEXITSTATUS(st) != 0)
				log_msg(LOG_INFO, "%s (pid %ld) exited with "
					"status %d", reaps[i].name,
					(long)reaps[i].pid, WEXITSTATUS(st));
			else if (r > 0 && WIFSIGNALED(st) &&
				 WTERMSIG(st) != SIGKILL &&
				 WTERMSIG(st) != SIGTERM)
				log_msg(LOG_INFO, "%s (pid %ld) died from "
					"signal %d", reaps[i].name,
					(long)reaps[i].pid, WTERMSIG(st));
			reaps[i] = reaps[--nreap];
			continue;
		}
		if (reaps[i].kill_at > 0 && evl_now() >= reaps[i].kill_at) {
			kill(reaps[i].pid, SIGKILL);
			reaps[i].kill_at = 0;
		}
		i++;
	}
	if (nreap > 0) {
		if (!reap_timer_ready) {
			evl_timer_init(&reap_timer, reap_cb, NULL);
			reap_timer_ready = 1;
		}
		if (!evl_timer_active(&reap_timer))
			evl_timer_arm(&reap_timer, 0.25);
	}
}

static void
reap_cb(struct evl_timer *t)
{
	(void)t;
	reap_poll();
}

/* pid is ours to reap; sig (0: none) is sent now, SIGKILL after the
 * grace when sig is SIGTERM. */
static void
reap_add(pid_t pid, int sig, const char *name)
{
	struct reap *n;

	if (pid <= 0)
		return;
	if (sig != 0)
		kill(pid, sig);
	if (nreap == capreap) {
		n = realloc(reaps, (capreap ? capreap * 2 : 8) * sizeof(*n));
		if (n == NULL) {
			/* Not reaped: a zombie until the worker exits. */
			kill(pid, SIGKILL);
			return;
		}
		reaps = n;
		capreap = capreap ? capreap * 2 : 8;
	}
	reaps[nreap].pid = pid;
	reaps[nreap].kill_at = sig == SIGTERM ? evl_now() + HLP_KILL_GRACE :
			       0;
	snprintf(reaps[nreap].name, sizeof(reaps[nreap].name), "%s", name);
	nreap++;
	reap_poll();
}

/* ------------------------------------------------------------- requests */

static struct stats_hlp *
hstats(const struct hlp_pool *p)
{
	return &stats.hlp[p->o->kind];
}

static void
sync_gauges(const struct hlp_pool *p)
{
	(void)p;
	/* Gauges of this kind: recomputed by the pools that change them
	 * (one pool per kind per configuration; a reconfigure briefly has
	 * two and the last writer wins until the old one is freed). */
	stats.hlp_queue[p->o->kind] = (int32_t)p->qlen;
	stats.hlp_children[p->o->kind] = (int32_t)p->nkids;
}

static void
q_unlink(struct hlp_pool *p, struct hlp_req *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		p->qhead = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	else
		p->qtail = q->prev;
	q->next = q->prev = NULL;
	p->qlen--;
}

static void
q_push(struct hlp_pool *p, struct hlp_req *q, int front)
{
	q->child = NULL;
	if (front) {
		q->prev = NULL;
		q->next = p->qhead;
		if (p->qhead != NULL)
			p->qhead->prev = q;
		else
			p->qtail = q;
		p->qhead = q;
	} else {
		q->next = NULL;
		q->prev = p->qtail;
		if (p->qtail != NULL)
			p->qtail->next = q;
		else
			p->qhead = q;
		p->qtail = q;
	}
	p->qlen++;
}

static void
req_free(struct hlp_req *q)
{
	evl_timer_stop(&q->timer);
	free(q);
}

/* Answer q with r (NULL: a bare code) and free it. */
static void
req_answer(struct hlp_req *q, struct hlp_reply *r,
	   enum hlp_result code)
{
	struct hlp_reply fake;
	hlp_cb *cb = q->cb;
	void *arg = q->arg;

	if (r == NULL) {
		memset(&fake, 0, sizeof(fake));
		fake.result = code;
		fake.other = (char *)(uintptr_t)"";
		r = &fake;
	}
	if (r->result == HLP_BH)
		hstats(q->pool)->bh++;
	req_free(q);
	if (cb != NULL)
		cb(arg, r);
}

static void dispatch(struct hlp_pool *p);
static void child_fail(struct hlp_child *c, const char *why);

/* The answer to a request never came in time. */
static void
req_timeout(struct evl_timer *t)
{
	struct hlp_req *q = t->data;
	struct hlp_pool *p = q->pool;
	struct hlp_child *c = q->child;
	const struct hlp_opts *o = p->o;
	struct hlp_reply r;
	char line[HLP_LINE_MAX + 1];
	size_t n;

	if (c == NULL)
		return;		/* queued requests are not timed */
	hstats(p)->timeouts++;
	c->slot[q->chan] = OWED;
	c->owed++;
	q->child = NULL;
	log_msg(LOG_INFO, "WARNING: %s #%u (pid %ld) did not answer in %g "
		"seconds", o->name, c->idx, (long)c->pid, o->timeout);
	if (c->owed >= c->nslots)
		child_fail(c, "answers nothing in time");
	if (o->on_timeout == HLP_TO_RETRY && q->retries < HLP_MAX_RETRIES &&
	    q->cb != NULL) {
		q->retries++;
		q_push(p, q, 1);
		dispatch(p);
		return;
	}
	switch (o->on_timeout) {
	case HLP_TO_RESPONSE:
		n = strlen(o->timeout_response);
		if (n > HLP_LINE_MAX)
			n = HLP_LINE_MAX;
		memcpy(line, o->timeout_response, n);
		hlp_reply_parse(line, n, &r);
		req_answer(q, &r, HLP_UNKNOWN);
		break;
	case HLP_TO_BYPASS:
		req_answer(q, NULL, HLP_ERR);
		break;
	default:	/* fail, and retry once retried enough */
		req_answer(q, NULL, HLP_TIMEDOUT);
		break;
	}
	dispatch(p);
}

/* ------------------------------------------------------------- children */

static void child_io(struct evl_io *io, int revents);

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

/* In the child after fork(): stdin, stdout, stderr (cache.log), nothing
 * else open, no privilege, then exec. Only async-signal-safe calls. */
static void __attribute__((noreturn))
child_exec(const struct hlp_opts *o, int in, int out, int err)
{
	static const char msg[] = "tproxyd: cannot start a helper program: "
				  "dropping privileges failed\n";
	static const char msg2[] = "tproxyd: cannot execute the helper "
				   "program ";
	sigset_t none;
	int rc;

	/* Above 2 first, so that the dup2() below never clobber them. */
	in = fcntl(in, F_DUPFD, 3);
	out = fcntl(out, F_DUPFD, 3);
	err = err >= 0 ? fcntl(err, F_DUPFD, 3) : -1;
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
		_exit(127);
	if (err >= 0)
		dup2(err, 2);
	close_range(3, ~0U, 0);
	/* What the daemon ignores or blocks is not the helper's business. */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	rc = priv_child_drop();
	if (rc < 0) {
		if (write(2, msg, sizeof(msg) - 1) < 0)
			_exit(126);
		_exit(126);
	}
	execvp(o->argv[0], o->argv);
	if (write(2, msg2, sizeof(msg2) - 1) >= 0 &&
	    write(2, o->argv[0], strlen(o->argv[0])) >= 0)
		rc = (int)write(2, "\n", 1);
	_exit(127);
}

/* Start one child. 0, or -errno. */
static int
child_start(struct hlp_pool *p)
{
	const struct hlp_opts *o = p->o;
	struct hlp_child *c;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	pid_t pid;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->nslots = o->concurrency > 0 ? o->concurrency : 1;
	c->slot = calloc(c->nslots, sizeof(*c->slot));
	c->rbuf = malloc(HLP_LINE_MAX + 2);
	if (c->slot == NULL || c->rbuf == NULL)
		goto nomem;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		child_exec(o, in[0], out[1], log_fd_get() >= 0 ?
			   log_fd_get() : 2);
	close(in[0]);
	close(out[1]);
	c->pid = pid;
	c->wfd = in[1];
	c->rfd = out[0];
	set_nonblock(c->wfd);
	set_nonblock(c->rfd);
	c->pool = p;
	c->idx = ++p->next_idx;
	c->started = evl_now();
	evl_io_init(&c->rio, child_io, c->rfd, c);
	evl_io_init(&c->wio, child_io, c->wfd, c);
	evl_io_want(&c->rio, EVL_READ);
	c->next = p->kids;
	p->kids = c;
	p->nkids++;
	sync_gauges(p);
	log_msg(LOG_DEBUG, "started %s #%u (pid %ld)", o->name, c->idx,
		(long)pid);
	return 0;
fail:
	{
		int e = errno;

		if (in[0] >= 0) {
			close(in[0]);
			close(in[1]);
		}
		if (out[0] >= 0) {
			close(out[0]);
			close(out[1]);
		}
		free(c->slot);
		free(c->rbuf);
		free(c);
		return -e;
	}
nomem:
	free(c->slot);
	free(c->rbuf);
	free(c);
	return -ENOMEM;
}

/* Free what a dead child still holds, after the loop is done with it. */
static void
child_free(void *arg)
{
	struct hlp_child *c = arg;

	free(c->wbuf);
	free(c->rbuf);
	free(c->slot);
	free(c);
}

static void restart_cb(struct evl_timer *t);

/* Start children up to what is needed (the queue, startup, idle), unless
 * restarts are backing off. */
static void
spawn_needed(struct hlp_pool *p)
{
	const struct hlp_opts *o = p->o;
	struct hlp_child *c;
	unsigned free_kids = 0, want;

	if (p->freeing || evl_timer_active(&p->restart))
		return;
	for (c = p->kids; c != NULL; c = c->next)
		if (!c->dead && c->busy < c->nslots)
			free_kids++;
	want = p->nkids < o->startup ? o->startup - p->nkids : 0;
	if (p->qlen > 0 && free_kids == 0 && want == 0)
		want = 1;
	/* idle=: keep that many free while below the maximum. */
	if (p->qlen > 0 || p->nkids > 0)
		if (free_kids < o->idle && o->idle - free_kids > want &&
		    p->nkids < o->max)
			want = o->idle - free_kids;
	while (want-- > 0 && p->nkids < o->max) {
		int rc = child_start(p);

		if (rc < 0) {
			log_msg(LOG_CRIT, "ERROR: cannot start %s: %s",
				o->name, strerror(-rc));
			p->fails++;
			evl_timer_arm(&p->restart, HLP_BACKOFF_MAX);
			return;
		}
	}
}

/* The back-off is over. */
static void
restart_cb(struct evl_timer *t)
{
	struct hlp_pool *p = t->data;

	spawn_needed(p);
	dispatch(p);
}

/*
 * Finish a child that died or was killed (deferred from child_fail(), so
 * that no callback runs inside the code that found out): its requests
 * go to another child once, then get BH; then children are started
 * again, at once when it had answered something, else after a back-off.
 */
static void
child_finish(void *arg)
{
	struct hlp_child *c = arg, **pp;
	struct hlp_pool *p = c->pool;
	struct hlp_req *q;
	unsigned i;
	double delay;

	for (pp = &p->kids; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	p->nkids--;
	for (i = 0; i < c->nslots; i++) {
		q = c->slot[i];
		c->slot[i] = NULL;
		if (q == NULL || q == OWED)
			continue;
		evl_timer_stop(&q->timer);
		if (q->cb == NULL) {
			req_free(q);
		} else if (q->requeued == 0 && !p->freeing) {
			q->requeued = 1;
			q_push(p, q, 1);
		} else {
			req_answer(q, NULL, HLP_BH);
		}
	}
	if (c->replies > 0) {
		p->fails = 0;
	} else {
		p->fails++;
	}
	child_free(c);
	sync_gauges(p);
	if (p->freeing)
		return;
	hstats(p)->restarts++;
	if (p->fails > 0) {
		delay = HLP_BACKOFF_FIRST;
		for (i = 1; i < p->fails && delay < HLP_BACKOFF_MAX; i++)
			delay *= 2;
		if (delay > HLP_BACKOFF_MAX)
			delay = HLP_BACKOFF_MAX;
		if (!evl_timer_active(&p->restart))
			evl_timer_arm(&p->restart, delay);
		if (p->fails == 1 || p->fails % 10 == 0)
			log_msg(LOG_CRIT, "WARNING: %s children exit without "
				"answering; starting one again in %g "
				"seconds", p->o->name, delay);
		/* Nobody can answer the queue meanwhile (Squid drops
		 * it too). */
		if (p->nkids == 0)
			while ((q = p->qhead) != NULL) {
				q_unlink(p, q);
				req_answer(q, NULL, HLP_BH);
			}
	}
	spawn_needed(p);
	dispatch(p);
	sync_gauges(p);
}

/*
 * The child is lost (exited, a read or write error) or must go (line
 * overflow, flood, nothing answered in time): stop talking to it, signal
 * it, and finish it after the current callbacks.
 */
static void
child_fail(struct hlp_child *c, const char *why)
{
	char name[48];

	if (c->dead)
		return;
	c->dead = 1;
	evl_io_stop(&c->rio);
	evl_io_stop(&c->wio);
	close(c->rfd);
	close(c->wfd);
	snprintf(name, sizeof(name), "%s #%u", c->pool->o->name, c->idx);
	if (!c->pool->freeing)
		log_msg(LOG_CRIT, "WARNING: %s (pid %ld) %s; restarting it",
			name, (long)c->pid, why);
	/* One that exited is reaped now; one that must go is killed. */
	reap_add(c->pid, strcmp(why, "exited") == 0 ? 0 : SIGKILL, name);
	evl_defer(&c->d, child_finish, c);
}

/* Write what is pending; 0, or -1 after child_fail(). */
static int
child_flush(struct hlp_child *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		n = write(c->wfd, c->wbuf + c->woff, c->wlen - c->woff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			child_fail(c, "exited");
			return -1;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	evl_io_want(&c->wio, c->wlen > 0 ? EVL_WRITE : 0);
	return 0;
}

/* Queue "[ID ]line\n" on c's stdin. 0, or -ENOMEM. */
static int
child_send(struct hlp_child *c, const struct hlp_req *q)
{
	char id[16];
	size_t idlen = 0, need;
	char *nb;

	if (c->pool->o->concurrency > 0)
		idlen = (size_t)snprintf(id, sizeof(id), "%u ", q->chan);
	need = c->wlen + idlen + q->len + 1;
	if (need > c->wcap) {
		nb = realloc(c->wbuf, need + 1024);
		if (nb == NULL)
			return -ENOMEM;
		c->wbuf = nb;
		c->wcap = need + 1024;
	}
	memcpy(c->wbuf + c->wlen, id, idlen);
	memcpy(c->wbuf + c->wlen + idlen, q->line, q->len);
	c->wbuf[c->wlen + idlen + q->len] = '\n';
	c->wlen = need;
	return 0;
}

/* Send queued requests to children with a free channel. */
static void
dispatch(struct hlp_pool *p)
{
	struct hlp_child *c, *best;
	struct hlp_req *q;
	unsigned i;

	spawn_needed(p);
	while ((q = p->qhead) != NULL) {
		best = NULL;
		for (c = p->kids; c != NULL; c = c->next)
			if (!c->dead && c->busy < c->nslots &&
			    (best == NULL || c->busy < best->busy))
				best = c;
		if (best == NULL)
			break;
		c = best;
		for (i = 0; i < c->nslots && c->slot[i] != NULL; i++)
			;
		q->chan = i;
		if (child_send(c, q) < 0)
			break;	/* no memory: stays queued */
		q_unlink(p, q);
		q->child = c;
		c->slot[i] = q;
		c->busy++;
		hstats(p)->requests++;
		if (p->o->timeout > 0)
			evl_timer_arm(&q->timer, p->o->timeout);
		if (child_flush(c) < 0)
			continue;	/* its requests come back later */
	}
	/* Squid's overload: the queue is over queue-size. */
	if (p->qlen > p->o->queue_size) {
		if (p->overload_since == 0) {
			p->overload_since = evl_now();
			log_msg(LOG_CRIT, "WARNING: %s: all %u children are "
				"busy and %u requests are queued (queue-size="
				"%u)", p->o->name, p->nkids, p->qlen,
				p->o->queue_size);
		}
	} else if (p->overload_since != 0) {
		if (p->dropped > 0)
			log_msg(LOG_CRIT, "%s is no longer overloaded after "
				"dropping %lu requests in %.0f seconds",
				p->o->name, p->dropped,
				evl_now() - p->overload_since);
		p->overload_since = 0;
		p->dropped = 0;
	}
	sync_gauges(p);
}

/* One reply line of c (no line feed). */
static void
child_line(struct hlp_child *c, char *line, size_t len)
{
	struct hlp_pool *p = c->pool;
	struct hlp_req *q;
	struct hlp_reply r;
	unsigned id = 0;
	size_t rest = 0;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (p->o->concurrency > 0) {
		if (hlp_channel_split(line, len, &id, &rest) < 0 ||
		    id >= c->nslots) {
			q = NULL;
		} else {
			q = c->slot[id];
		}
	} else {
		q = c->slot[0];
	}
	if (q == NULL) {
		if (++c->unasked > HLP_FLOOD_MAX) {
			child_fail(c, "writes lines nobody asked for");
			return;
		}
		log_msg(LOG_INFO, "WARNING: %s #%u wrote a line that "
			"answers no request", p->o->name, c->idx);
		return;
	}
	c->slot[id] = NULL;
	c->busy--;
	c->replies++;
	if (q == OWED) {
		c->owed--;
		return;		/* the late answer of a timed out request */
	}
	hstats(p)->replies++;
	evl_timer_stop(&q->timer);
	q->child = NULL;
	hlp_reply_parse(line + rest, len - rest, &r);
	if (r.result == HLP_BH && q->retries < HLP_MAX_RETRIES &&
	    q->cb != NULL) {
		const char *m = hlp_reply_get(&r, "message", NULL);

		hstats(p)->bh++;
		log_msg(LOG_INFO, "ERROR: %s: BH%s%s, attempt #%u of %d",
			p->o->name, m ? " " : "", m ? m : "", q->retries + 1,
			HLP_MAX_RETRIES);
		q->retries++;
		q_push(p, q, 1);
		return;
	}
	req_answer(q, &r, HLP_UNKNOWN);
}

/* Readiness of a child's pipes. */
static void
child_io(struct evl_io *io, int revents)
{
	struct hlp_child *c = io->data;
	struct hlp_pool *p = c->pool;
	char *nl, *start;
	ssize_t n;

	if (io == &c->wio) {
		if (revents & EVL_WRITE)
			child_flush(c);
		return;
	}
	n = read(c->rfd, c->rbuf + c->rlen, HLP_LINE_MAX + 1 - c->rlen);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		child_fail(c, "exited");
		return;
	}
	if (n == 0) {
		child_fail(c, "exited");
		dispatch(p);
		return;
	}
	c->rlen += (size_t)n;
	start = c->rbuf;
	/* The callbacks below may send more to this child, or lose it. */
	while (!c->dead &&
	       (nl = memchr(start, '\n', c->rlen - (size_t)(start - c->rbuf)))
	       != NULL) {
		child_line(c, start, (size_t)(nl - start));
		start = nl + 1;
	}
	if (c->dead) {
		dispatch(p);
		return;
	}
	c->rlen -= (size_t)(start - c->rbuf);
	memmove(c->rbuf, start, c->rlen);
	if (c->rlen > HLP_LINE_MAX) {
		log_msg(LOG_CRIT, "ERROR: %s #%u wrote a line longer than %d "
			"bytes", p->o->name, c->idx, HLP_LINE_MAX);
		/* Its request gets BH, not another child's time. */
		if (c->slot[0] != NULL && c->slot[0] != OWED &&
		    p->o->concurrency == 0)
			c->slot[0]->requeued = 1;
		child_fail(c, "overflowed its line");
	}
	dispatch(p);
}

/* ----------------------------------------------------------------- pool */

struct hlp_pool *
hlp_pool_new(const struct hlp_opts *o)
{
	struct hlp_pool *p;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->o = o;
	evl_timer_init(&p->restart, restart_cb, p);
	spawn_needed(p);
	return p;
}

void
hlp_pool_free(struct hlp_pool *p)
{
	struct hlp_child *c;
	struct hlp_req *q;
	char name[48];
	unsigned i;

	if (p == NULL)
		return;
	p->freeing = 1;
	evl_timer_stop(&p->restart);
	while ((q = p->qhead) != NULL) {
		q_unlink(p, q);
		req_free(q);
	}
	while ((c = p->kids) != NULL) {
		p->kids = c->next;
		if (!c->dead) {
			evl_io_stop(&c->rio);
			evl_io_stop(&c->wio);
			close(c->rfd);
			close(c->wfd);
			snprintf(name, sizeof(name), "%s #%u", p->o->name,
				 c->idx);
			reap_add(c->pid, SIGTERM, name);
		} else {
			evl_defer_cancel(&c->d);
		}
		for (i = 0; i < c->nslots; i++)
			if (c->slot[i] != NULL && c->slot[i] != OWED)
				req_free(c->slot[i]);
		child_free(c);
	}
	p->nkids = 0;
	p->qlen = 0;
	sync_gauges(p);
	free(p);
}

struct hlp_req *
hlp_submit(struct hlp_pool *p, const char *line, size_t len, hlp_cb *cb,
	   void *arg)
{
	struct hlp_req *q;
	size_t i;

	if (len > HLP_LINE_MAX)
		len = HLP_LINE_MAX;
	/* Squid's prepSubmit(): a persistent overload. */
	if (p->overload_since != 0 && p->qlen > p->o->queue_size &&
	    evl_now() - p->overload_since > HLP_OVERLOAD_SECS) {
		if (!p->o->overload_err) {
			log_msg(LOG_CRIT, "FATAL: Too many queued %s requests; "
				"see on-persistent-overload.", p->o->name);
			exit(1);
		}
		if (p->dropped++ == 0)
			log_msg(LOG_CRIT, "WARNING: dropping requests to "
				"overloaded %s configured with "
				"on-persistent-overload=ERR", p->o->name);
		hstats(p)->overloads++;
		return NULL;
	}
	q = malloc(sizeof(*q) + len + 1);
	if (q == NULL)
		return NULL;
	memset(q, 0, sizeof(*q));
	q->pool = p;
	q->cb = cb;
	q->arg = arg;
	q->len = len;
	for (i = 0; i < len; i++)
		q->line[i] = line[i] == '\n' || line[i] == '\0' ||
			     line[i] == '\r' ? ' ' : line[i];
	q->line[len] = '\0';
	evl_timer_init(&q->timer, req_timeout, q);
	q_push(p, q, 0);
	dispatch(p);
	/* It waits, and past queue-size: Squid's "overloaded". (No callback
	 * ran: q is still ours.) */
	if (q->child == NULL && p->qlen > p->o->queue_size)
		hstats(p)->overloads++;
	return q;
}

void
hlp_cancel(struct hlp_req *q)
{
	if (q == NULL)
		return;
	if (q->child == NULL) {
		q_unlink(q->pool, q);
		sync_gauges(q->pool);
		req_free(q);
		return;
	}
	/* Sent: the child's answer still has to be read (and matched). */
	q->cb = NULL;
	q->arg = NULL;
}

int
hlp_would_overload(const struct hlp_pool *p)
{
	const struct hlp_child *c;

	if (p->qlen < p->o->queue_size)
		return 0;
	if (p->nkids < p->o->max && !evl_timer_active(
	    (struct evl_timer *)(uintptr_t)&p->restart))
		return 0;
	for (c = p->kids; c != NULL; c = c->next)
		if (!c->dead && c->busy < c->nslots)
			return 0;
	return 1;
}

unsigned
hlp_queue_len(const struct hlp_pool *p)
{
	return p->qlen;
}

unsigned
hlp_children(const struct hlp_pool *p)
{
	return p->nkids;
}
