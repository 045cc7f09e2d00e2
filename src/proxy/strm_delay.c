/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strm_delay.c - a stream's delay pools: which pool limits it, how many
 * bytes each direction may move now, and the wait when its buckets are
 * empty (the buckets themselves: src/delay/).
 *
 * What Squid limits, and so what is limited here:
 *  - delay_pools: the bytes read from the server for a response (the head
 *    and the body, a CONNECT tunnel's server -> client bytes too). Cache
 *    hits are not limited: no server is read (Squid's store clients do
 *    not consult their delay id when reading from memory or disk).
 *    delay_access is checked once per request, pools in order, the first
 *    that allows the request wins (no pool: not limited).
 *  - client_delay_pools: the bytes written to the client, whatever they
 *    are (misses, hits, error pages), one bucket per client address
 *    (Squid's "Squid-to-client bandwidth": ClientInfo's write limiter).
 *    client_delay_access is checked once per client connection, on its
 *    first request (Squid checks it when the connection is accepted,
 *    with its address only; here the first request's acls can match
 *    too).
 * Waiting costs no CPU: the direction loses its read (or write) interest
 * and one timer per waiting stream wakes it when its buckets hold enough
 * again (delay_wait(): a twentieth of a second of the rate, so a few
 * wake-ups a second at most).
 */
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "config/config.h"
#include "delay/delay.h"
#include "event/loop.h"
#include "proxy/stream.h"

static void
delay_timer_cb(struct evl_timer *t)
{
	struct stream *s = t->data;

	s->dly.srv_wait = 0;
	s->dly.cli_wait = 0;
	strm_wake(s);
}

void
strm_delay_init(struct stream *s)
{
	evl_timer_init(&s->dly.timer, delay_timer_cb, s);
}

void
strm_delay_reset(struct stream *s)
{
	evl_timer_stop(&s->dly.timer);
	memset(&s->dly.srv, 0, sizeof(s->dly.srv));
	s->dly.srv_wait = 0;
	s->dly.cli_wait = 0;
}

void
strm_delay_stop(struct stream *s)
{
	evl_timer_stop(&s->dly.timer);
	s->dly.srv_wait = 0;
	s->dly.cli_wait = 0;
}

/* The address the pools key on: the client a trusted X-Forwarded-For
 * named (follow_x_forwarded_for) unless delay_pool_uses_indirect_client
 * is off, else the connection's. */
static const struct sockaddr *
delay_client(const struct stream *s)
{
	if (s->has_indirect && s->sess->cfg->delay.uses_indirect)
		return (const struct sockaddr *)&s->indirect;
	return (const struct sockaddr *)&s->sess->addr;
}

void
strm_delay_choose(struct stream *s)
{
	const struct cfg_delay *d = &s->sess->cfg->delay;
	struct acl_ctx ctx;
	size_t i;

	if (d->npool == 0)
		return;
	strm_acl_ctx(s, &ctx);
	for (i = 0; i < d->npool; i++) {
		/* A "fast" check: an acl that would need a lookup does
		 * not match (Squid's delay_access takes fast acls only). */
		if (acl_check(&d->pool[i].access, &ctx, ACL_DENY, NULL) !=
		    ACL_ALLOW)
			continue;
		delay_id_make(&s->dly.srv, d->pool[i].dp, delay_client(s));
		return;
	}
}

void
strm_delay_choose_cli(struct stream *s)
{
	const struct cfg_delay *d = &s->sess->cfg->delay;
	struct acl_ctx ctx;
	size_t i;

	if (s->dly.cli_chosen)
		return;
	s->dly.cli_chosen = 1;
	if (d->ncpool == 0)
		return;
	strm_acl_ctx(s, &ctx);
	for (i = 0; i < d->ncpool; i++) {
		if (acl_check(&d->cpool[i].access, &ctx, ACL_DENY, NULL) !=
		    ACL_ALLOW)
			continue;
		/* Squid: one bucket per client address, the connection's
		 * (client_delay_pools ignore X-Forwarded-For). */
		delay_cid_make(&s->dly.cli, d->cpool[i].cp,
			       (const struct sockaddr *)&s->sess->addr,
			       evl_now());
		return;
	}
}

/* No tokens in id: wait until there are (the timer wakes the stream). */
static void
delay_sleep(struct stream *s, struct delay_id *id)
{
	double w;

	w = delay_wait(id, evl_now(), (double)random() / 2147483648.0);

	if (!evl_timer_active(&s->dly.timer) ||
	    evl_timer_remaining(&s->dly.timer) > w)
		evl_timer_arm(&s->dly.timer, w);
}

size_t
strm_delay_srv_room(struct stream *s, size_t want)
{
	size_t n = delay_allowed(&s->dly.srv, evl_now(), want);

	if (n == 0 && want > 0) {
		s->dly.srv_wait = 1;
		delay_sleep(s, &s->dly.srv);
	}
	return n;
}

size_t
strm_delay_cli_room(struct stream *s, size_t want)
{
	size_t n = delay_allowed(&s->dly.cli, evl_now(), want);

	if (n == 0 && want > 0) {
		s->dly.cli_wait = 1;
		delay_sleep(s, &s->dly.cli);
	}
	return n;
}
