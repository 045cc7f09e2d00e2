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
/* A request on the stats_port: GET /metrics for clients stats_access
 * allows, else an error. The head (hlen bytes) is consumed by the
 * caller. */
void applet_stats_request(struct stream *s, const struct h1_req *req);

/* One step of the applet back end: produce what fits. 1 on progress. */
int applet_step(struct stream *s);
/* Drop the applet (its buffer goes back). */
void applet_release(struct applet *a);

#endif
