/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch_health.c - the watchdog's decision for one tproxy port (pure:
 * the unit tests drive it with made-up readings; watch.c with the
 * kernel's).
 */
#include "watch.h"

int
watch_step(struct watch_port *p, int listening, unsigned queued,
	   long long now_ms, long long overload_ms)
{
	int was = p->failed, stuck;

	p->listening = listening;
	p->queued = listening ? queued : 0;
	/* A tproxyd that keeps up accepts each connection as it arrives,
	 * so a check finds its queue empty; one that is stopped, hung or
	 * saturated leaves connections queued check after check. */
	if (!listening || queued == 0)
		p->busy_since = -1;
	else if (p->busy_since < 0)
		p->busy_since = now_ms;
	stuck = p->busy_since >= 0 && now_ms - p->busy_since >= overload_ms;
	if (!listening || stuck) {
		p->failed = 1;
		p->healthy_run = 0;
	} else if (p->failed) {
		/* Taken back only when the queue has drained: while the
		 * port is failed no new connection reaches it, so a queue
		 * that stays non-empty means tproxyd still does not
		 * accept. */
		if (queued == 0)
			p->healthy_run++;
		else
			p->healthy_run = 0;
		if (p->healthy_run >= WATCH_RECOVER_CHECKS) {
			p->failed = 0;
			p->healthy_run = 0;
		}
	}
	return p->failed != was;
}
