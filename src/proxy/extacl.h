/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * extacl.h - external acls on a stream (Squid's ACLExternal): the
 * helper's cached answer, or a lookup the access check waits for, never
 * blocking. See config/cfg_extacl-t.h for the protocol,
 * config/ext_fmt.h for the line and helper/ext_cache.h for the cache.
 */
#ifndef TPROXYD_PROXY_EXTACL_H
#define TPROXYD_PROXY_EXTACL_H

#include "acl/acl-t.h"
#include "config/cfg_extacl-t.h"

struct cfg;
struct stream;

/* acl_ctx.ext_match for a stream (acl_ctx.ext_arg): the answer for acl
 * if it is known (cached, or just received), else ACL_M_NEED_EXT when
 * the check can wait (name_wait), else ACL_M_EXT_FAIL. */
int extacl_match(const struct acl *acl, const struct acl_ctx *ctx);

/* The check said ACL_NEED_EXT: ask the helper (or join the same question
 * under way). 1: the stream waits, phase_run() is called with the
 * answer; 0: it could not be asked (the next check sees a BH answer). */
int extacl_wait(struct stream *s);

/* Forget what the stream waits for and its last answer (the stream ends,
 * or is answered otherwise). */
void extacl_cancel(struct stream *s);

/* Start the children-startup= children of c's helpers (a serving process,
 * after the privileges were dropped). */
void extacl_start(struct cfg *c);

/* What the configuration calls to free a type's pool and lookups. */
extern const struct cfg_extacl_ops extacl_cfg_ops;

#endif
