/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req.h - from a parsed request head to a stream ready for its phases
 * (req.c): the target, the checks that answer at once (loop, bad URL,
 * framing), and the head rewritten for the server.
 */
#ifndef TPROXYD_PROXY_REQ_H
#define TPROXYD_PROXY_REQ_H

#include <stddef.h>

#include "core/str.h"
#include "http/h1-t.h"

struct stream;
struct buf;

/*
 * A complete request head req of hlen bytes is at the head of in (the
 * client's buffer): decide what to do with it, consume it, and leave s in
 * STRM_PREPARE (the phases run) or answering (an error page). Views into
 * in are used only here; what the stream needs is copied or rewritten
 * into s->req.hd.
 */
void req_start(struct stream *s, struct h1_req *req, size_t hlen,
	       struct buf *in);
/*
 * The request as an ICAP service changed it: req (hlen bytes at head,
 * which stay valid during the call) replaces the stream's request: its
 * method, URL (absolute-form, or origin-form with Host), kept head and
 * the head for the server. A request that would need a body the client
 * did not send is refused. Returns 0, or -1 with *why set.
 */
int req_adapt(struct stream *s, const struct h1_req *req, const char *head,
	      size_t hlen, const char **why);
/* Rewrite the request line of the kept head to absolute-form (toward a
 * parent) or origin-form (toward the origin). 0 or -1. */
int req_set_form(struct stream *s, int absolute);

/* Insert "name: value" at the end of the request head for the server.
 * 0, or -ENOSPC when it does not fit. */
int req_add_field(struct stream *s, struct str name, struct str value);
/* Remove every "name:" field from the request head for the server.
 * Returns how many were removed. */
int req_del_field(struct stream *s, const char *name);
/* Replace the value of the Host field of the head for the server (add
 * one when there is none). 0, or -1 when it does not fit. */
int req_set_host(struct stream *s, struct str value);

#endif
