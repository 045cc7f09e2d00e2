/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * applet-t.h - local responders: a stream's back end that is not a server
 * socket (error pages and /metrics today; cache hits next).
 *
 * An applet produces the response into the response channel's buffers
 * only when there is room: the stream calls produce() again as the client
 * takes bytes, so a large response never needs a buffer of its size
 * (back-pressure). The head goes into res.hd, body bytes into the
 * applet's own buffer, which is res.in while it runs.
 */
#ifndef TPROXYD_PROXY_APPLET_T_H
#define TPROXYD_PROXY_APPLET_T_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf-t.h"

/* Body bytes an applet may have waiting for the client at a time: what
 * it holds is bounded by this, not by the size of its response. */
#define APPLET_BUF 65536

struct stream;
struct applet;

struct applet_ops {
	const char *name;		/* "errpage", "metrics" */
	/* Append more of the response to the stream's channel, as much as
	 * fits. Returns 1 on progress, 0 when nothing could be added now,
	 * or a negative errno (the stream is then cut). Sets a->done after
	 * the last byte. */
	int       (*produce)(struct applet *a, struct stream *s);
	/* Free what the applet holds (may be NULL). */
	void      (*release)(struct applet *a);
};

struct applet {
	const struct applet_ops *ops;	/* NULL: no applet */
	struct buf               out;	/* body bytes (res.in) */
	uint64_t                 off;	/* producer's position */
	void                    *ctx;	/* the applet's own state */
	unsigned                 done:1;	/* everything produced */
};

#endif
