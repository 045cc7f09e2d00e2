/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules.h - the request and reply rules of struct cfg_rules applied to a
 * stream (rules.c): deny_info for denials, http_reply_access and
 * reply_body_max_size on a response head, request_body_max_size,
 * the header rules given to hdr_build_req()/hdr_build_resp(), and the
 * indirect client of follow_x_forwarded_for.
 */
#ifndef TPROXYD_PROXY_RULES_H
#define TPROXYD_PROXY_RULES_H

#include "acl/acl-t.h"
#include "config/cfg_rules-t.h"
#include "http/h1-t.h"
#include "http/hdr.h"

struct stream;

/* Most header_add fields one message gets, and the bytes their expanded
 * values may take together. */
#define RULES_ADD_MAX	16
#define RULES_ADD_AREA	2048

/*
 * Answer a denial of s by list (http_access or http_reply_access): the
 * deny_info of the acl that decided (the last acl of the deciding rule;
 * when no rule matched, the acl that failed on the last line, as Squid)
 * chooses an error page, a redirect or a reset; else 403
 * ERR_ACCESS_DENIED. code is the log tag (TCP_DENIED, TCP_DENIED_REPLY).
 */
/* Would rules_deny() ask for credentials (407): the list is one where
 * they are asked for (ctx->auth_wait) and the acl that decided is a
 * proxy_auth one? */
int rules_challenge(const struct access_list *list,
		    const struct access_rule *rule, const struct acl_ctx *ctx);
void rules_deny(struct stream *s, const struct access_list *list,
		const struct access_rule *rule, const struct acl_ctx *ctx,
		const char *code);

/*
 * A final response head of s was parsed (and kept in s->resm): apply
 * http_reply_access and reply_body_max_size. Returns 1 when s was
 * answered here instead (the server connection is then closed), else 0;
 * s->resp_body_max is set for the body.
 */
int rules_reply(struct stream *s, const struct h1_info *info);

/* request_body_max_size: the limit (0: none). */
uint64_t rules_request_body_max(const struct stream *s);

/*
 * What the header rules of one direction need while a head is built; the
 * caller keeps it alive until hdr_build_*() returns. rules_hdr_opts()
 * fills it and points the options' filter and added fields at it.
 */
struct rules_hdr {
	const struct cfg_hdr_rules *r;
	struct acl_ctx              ctx;
	struct h1_header            add[RULES_ADD_MAX];
	char                        area[RULES_ADD_AREA];
};

void rules_hdr_req(struct rules_hdr *rh, const struct stream *s,
		   struct hdr_req_opts *o);
void rules_hdr_resp(struct rules_hdr *rh, const struct stream *s,
		    struct hdr_resp_opts *o);

/* follow_x_forwarded_for: set s->indirect from the kept request's
 * X-Forwarded-For fields, as far as the list trusts them. */
void rules_follow_xff(struct stream *s);

#endif
