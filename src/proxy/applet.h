/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * applet.h - local responders (types in applet-t.h).
 */
#ifndef TPROXYD_PROXY_APPLET_H
#define TPROXYD_PROXY_APPLET_H

#include "http/h1-t.h"
#include "proxy/applet-t.h"

struct stream;

/* Make a an error page for s: Squid's ERR_* page with status. Returns 0
 * or -ENOMEM. */
int applet_errpage(struct stream *s, int status, const char *errname,
		   const char *detail);
/* A response without a body made here (a PURGE's 200 or 404). */
void applet_empty(struct stream *s, int status, const char *reason);
/* A response that is its head alone, already in s->res.hd (a CONNECT's
 * 200 before its TLS is read). */
void applet_head_only(struct stream *s);
/*
 * A whole response made elsewhere (an ICAP service's answer to a
 * request): resp's head, rewritten for the client, and len body bytes
 * copied from body (not sent for HEAD). Returns 0 or -ENOMEM.
 */
int applet_response(struct stream *s, const struct h1_resp *resp,
		    const char *body, size_t len);
/* A request on the stats_port: GET /metrics for clients stats_access
 * allows, else an error. The head (hlen bytes) is consumed by the
 * caller. */
void applet_stats_request(struct stream *s, const struct h1_req *req);

/*
 * Make the applet ops (with its state ctx) the back end of s: its head is
 * to be in s->res.hd already; its body goes through applet_put(). The
 * stream answers from here (STRM_LOCAL).
 */
void applet_start(struct stream *s, const struct applet_ops *ops, void *ctx);
/* In a produce(): room for more body bytes now (0: wait for the client),
 * and appending n of them (at most that room): 0, or -ENOMEM / -ENOSPC
 * (nothing appended). */
size_t applet_room(const struct stream *s);
int applet_put(struct stream *s, const void *p, size_t n);

/* One step of the applet back end: produce what fits. 1 on progress. */
int applet_step(struct stream *s);
/* Drop the applet (its buffer goes back). */
void applet_release(struct applet *a);

#endif
