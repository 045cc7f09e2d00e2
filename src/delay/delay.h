/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * delay.h - delay pools' buckets (types in delay-t.h). Pure: no I/O, no
 * clock (every function that refills takes the time now, in seconds,
 * > 0), no allocation.
 */
#ifndef TPROXYD_DELAY_DELAY_H
#define TPROXYD_DELAY_DELAY_H

#include <stddef.h>
#include <sys/socket.h>

#include "delay/delay-t.h"

/* Wait at most this long before looking at the buckets again (a pool
 * with restore 0 refills only when reconfigured; a clock that jumped). */
#define DELAY_WAIT_MAX	1.0

/*
 * The buckets of pool p that a transfer for client draws from, into id:
 * the aggregate bucket unless its restore is "none"; class 2 and 3 also
 * the individual (and class 3 the network) bucket of an IPv4 client
 * (IPv4-mapped IPv6 included), unless "none". An IPv6 client has no
 * individual or network bucket (Squid: "due to the use of bitmasks in
 * class 2,3,4 pools they only apply to IPv4 traffic"), so only the
 * aggregate bucket limits it. id->nb == 0: nothing limits this
 * transfer.
 */
void delay_id_make(struct delay_id *id, struct delay_pool *p,
		   const struct sockaddr *client);

/* The bucket of client in pool cp, into id (one bucket, or none when
 * cp's rate is "none" or client is neither IPv4 nor IPv6). */
void delay_cid_make(struct delay_id *id, struct delay_cpool *cp,
		    const struct sockaddr *client, double now);

/*
 * How many of want bytes the transfer may move now: the fullest amount
 * every one of its buckets holds, after refilling them up to now. 0 when
 * one is empty: wait delay_wait() and ask again. want when id limits
 * nothing.
 */
size_t delay_allowed(struct delay_id *id, double now, size_t want);

/* n bytes moved: take them from each of id's buckets. */
void delay_take(struct delay_id *id, size_t n);

/*
 * Seconds from now until each of id's buckets holds a worthwhile amount
 * again (a twentieth of a second of its rate, at least 1 byte, at most its
 * max and 32 KiB), so a waiting transfer resumes a few times a second at
 * most rather than for every byte; plus jitter (in [0, 1)) times the
 * time a bucket can still fill without overflowing, at most half the
 * wait, so that transfers sharing a bucket resume in a random order. In
 * (0, DELAY_WAIT_MAX].
 */
double delay_wait(struct delay_id *id, double now, double jitter);

/* One bucket brought up to now under spec (a first use fills it to
 * initial % of max). Exposed for the unit test. */
void delay_refill(struct delay_bucket *b, const struct delay_spec *spec,
		  unsigned initial, double now);

#endif
