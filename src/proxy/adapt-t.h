/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * adapt-t.h - a stream's RESPMOD precache state (adapt.c): the origin's
 * response going to an ICAP service and the service's answer coming back.
 */
#ifndef TPROXYD_PROXY_ADAPT_T_H
#define TPROXYD_PROXY_ADAPT_T_H

#include <stddef.h>
#include <stdint.h>

#include "http/h1-t.h"
#include "icap/icap-t.h"

/* Most body bytes sent as a preview (the origin's bytes are kept in the
 * server's input buffer until the service decides). */
#define ADAPT_PREVIEW_MAX 8192
/* Largest request body sent to a REQMOD service (whole, from the
 * client's buffer). */
#define ADAPT_REQ_BODY_MAX 65536
/* Bytes waiting for the service before the origin is read again. */
#define ADAPT_OUT_MAX 65536

struct adapt_rm {
	int               svc;		/* the configured service */
	struct h1_body    body0;	/* the origin body's framing at its
					   start (for a 204: the original
					   goes on as if never diverted) */
	struct h1_body    up;		/* the origin body's framing as it
					   is read (s->resp_body frames
					   the answer's body) */
	struct icap_chunk ck;		/* decoding a chunked origin body */
	size_t            held;		/* bytes at the head of the server's
					   buffer kept (the head and the
					   preview) while the service may
					   still answer 204 */
	size_t            head_len;	/* the origin head, first of them */
	long              preview;	/* preview size, -1: none */
	size_t            pv_len;	/* body bytes sent in the preview */
	unsigned          pv_phase:1;	/* the preview is being sent */
	unsigned          pv_wait:1;	/* ... and was: 100, 204 or an
					   answer is awaited */
	unsigned          up_done:1;	/* the origin body went whole */
	unsigned          up_stop:1;	/* the service answered: it gets
					   no more of the body */
	unsigned          head_done:1;	/* the answer's head was applied */
	unsigned          icap_done:1;	/* the answer's body ended */
};

#endif
