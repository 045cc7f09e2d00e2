/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * adapt-int.h - what adapt.c (REQMOD, the services) and adapt_resp.c
 * (RESPMOD) share; not for other modules.
 */
#ifndef TPROXYD_PROXY_ADAPT_INT_H
#define TPROXYD_PROXY_ADAPT_INT_H

#include <stddef.h>

#include "acl/acl-t.h"
#include "config/cfg_icap-t.h"
#include "icap/icap-t.h"

struct buf;
struct stream;

/* The service of vectoring point vec for s (an index in the
 * configuration's services), -1 none, or -2 with *v to look up. */
int adapt_choose(const struct stream *s, const struct acl_ctx *ctx,
		 enum acl_verdict *v, enum cfg_icap_vec vec);
/* The request head as a service sees it (absolute URL, the fields as
 * received) appended to b. 0 or -ENOMEM. */
int adapt_req_head(const struct stream *s, struct buf *b);
/* The encapsulated head of part in x's answer: (p, len), 0 or -1. */
int adapt_encap_head(const struct icap_xact *x, enum icap_part part,
		     const char **p, size_t *len);
/* icap_send_client_username: the user (the login, else an external
 * acl's user=) into o->username (base64 in buf with
 * icap_client_username_encode) and the field's name; nothing when off
 * or there is no user. */
void adapt_username(const struct stream *s, struct icap_req_opts *o,
		    char *buf, size_t size);
/* x's exchange ended: its time counts for %icap::tt (once). */
void adapt_xact_time(struct stream *s, struct icap_xact *x);
/* ... and x is freed. */
void adapt_xact_done(struct stream *s, struct icap_xact *x);

#endif
