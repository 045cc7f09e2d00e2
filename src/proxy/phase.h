/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * phase.h - the phases of a request, in order (phase.c):
 *
 *   access control (http_access; a dst ACL may need DNS first)
 *   -> url_rewrite_program (rewrite.c: rewrite, redirect, or nothing)
 *   -> adapted_http_access (on the rewritten request)
 *   -> destination and Host verification (intercepted ports)
 *   -> store_id_program (rewrite.c: the cache's key)
 *   -> cache lookup (a hit is answered here: cache_req.c)
 *   -> routing (cache_peer parents, never_direct/always_direct, direct)
 *   -> source address (spoof_client_ip, tcp_outgoing_address)
 *   -> connect (srv_acquire())
 *
 * Each asynchronous step (DNS, connect) calls back into phase_run().
 */
#ifndef TPROXYD_PROXY_PHASE_H
#define TPROXYD_PROXY_PHASE_H

#include "acl/acl-t.h"

struct stream;

/* Start or resume the phases of s (STRM_PREPARE). */
void phase_run(struct stream *s);

/*
 * An access list answered "unknown" (v: ACL_NEED_DST or ACL_NEED_NAME,
 * for lists checked in the phases, such as url_rewrite_access): start
 * the lookup it needs; its answer comes back to phase_run(). Returns 1
 * when waiting, 0 when nothing is left to look up (the acl then does not
 * match).
 */
int phase_acl_wait(struct stream *s, enum acl_verdict v,
		   const struct acl_ctx *ctx);
/* Set s->src for a connection of the given family: the client's address
 * on tproxy ports (spoof_client_ip), else tcp_outgoing_address, else
 * none. */
void phase_choose_source(struct stream *s, int family);
/*
 * Mark the server connection fd (of the given family) as
 * phase_choose_source() chose in s->srv_tos and s->srv_mark
 * (tcp_outgoing_tos, tcp_outgoing_mark). fresh: a new socket, before
 * connect(), where a 0 (default) needs no call; else a reused one, which
 * gets the chosen values (0 too) whenever such lines exist, since an
 * earlier request may have marked it otherwise. Returns 0, or -errno
 * after logging why (the caller must not use the connection: its packets
 * would not carry the marks the operator's routing relies on).
 */
int phase_mark_server(const struct stream *s, int fd, int family, int fresh);
/* srv_acquire()'s reports: the server side is attached and connected, or
 * every address of the current route failed (err: the last errno). */
void phase_server_ready(struct stream *s);
void phase_route_failed(struct stream *s, int err);
/* The current route answered without the object (a sibling's 504 to
 * only-if-cached): the next one is tried (the server side is gone). */
void phase_next_route(struct stream *s, const char *why);
/*
 * Intercepted request whose Host does not match where the client was
 * going (Squid's host_verify_strict; CVE-2009-0801): logs the SECURITY
 * ALERT; returns -1 after answering 409 when strict, else 0 (the stream
 * still goes where the client was going).
 */
int phase_host_forgery(struct stream *s, const char *why);

#endif
