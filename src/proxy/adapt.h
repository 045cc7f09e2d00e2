/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * adapt.h - ICAP adaptation of requests and responses (adapt.c): the
 * services of the configuration (adaptation_access), REQMOD precache
 * between http_access and adapted_http_access.
 */
#ifndef TPROXYD_PROXY_ADAPT_H
#define TPROXYD_PROXY_ADAPT_H

#include "acl/acl-t.h"
#include "http/h1-t.h"

struct cfg;
struct stream;

/* What adapt_reqmod() did. */
enum adapt_rc {
	ADAPT_GO,	/* nothing to do: the phases go on */
	ADAPT_WAIT,	/* a service was asked (phase_run() is called when
			   it answered), or the request was answered */
	ADAPT_NEED,	/* adaptation_access needs what *v says
			   (ACL_NEED_DST, ACL_NEED_NAME) */
};

/* The ICAP services of c (none when icap_enable is off); at start and
 * after each reconfiguration, in every worker. */
void adapt_configure(const struct cfg *c);

/*
 * REQMOD precache for s, after http_access allowed it: chooses the
 * service (adaptation_access), sends the request, and when it answers
 * applies what it said (204: unchanged; a new request head; an HTTP
 * response for the client) and runs the phases again. ctx is s's acl
 * context.
 */
enum adapt_rc adapt_reqmod(struct stream *s, const struct acl_ctx *ctx,
			   enum acl_verdict *v);

/*
 * RESPMOD precache for s, whose final response head (hlen bytes at the
 * head of the server's buffer, parsed as resp) was just read and allowed
 * by the reply rules: 1 when a service takes it (or s was answered), 0
 * when the response goes on unadapted.
 */
int adapt_respmod_start(struct stream *s, const struct h1_resp *resp,
			size_t hlen);
/* One step of a RESPMOD in progress (in place of srv_scan_resp()): 1 on
 * progress. */
int adapt_respmod_step(struct stream *s);
/* Event interest of s's ICAP connection, after its steps. */
void adapt_update_events(struct stream *s);
/* Whether the server must not be read now (the service is behind, or
 * has decided). */
int adapt_srv_hold(const struct stream *s);

/* Forget s's ICAP transaction, if any (the stream ends or errs). */
void adapt_cancel(struct stream *s);

#endif
