/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl.h - ACL matching and access lists.
 */
#ifndef TPROXYD_ACL_ACL_H
#define TPROXYD_ACL_ACL_H

#include "acl/acl-t.h"

/* What acl_match() gives when it cannot decide yet. */
#define ACL_M_NEED_DST	(-1)	/* needs the destination address */
#define ACL_M_NEED_NAME	(-2)	/* needs the client's name (name_wait) */
#define ACL_M_NEED_EXT	(-3)	/* needs an external acl's answer
				   (name_wait) */
#define ACL_M_EXT_FAIL	(-4)	/* an external acl got no answer (BH):
				   the whole check ends, not allowed */
#define ACL_M_NEED_AUTH	(-5)	/* needs checked credentials (auth_wait) */

/* Matching an ACL gives 1 (match), 0 (no match), ACL_M_NEED_DST when it
 * needs the destination address and ctx->dst is NULL, or ACL_M_NEED_NAME
 * when it needs the client's name, ctx->client_name is NULL and
 * ctx->name_wait is set. */
int acl_match(const struct acl *acl, const struct acl_ctx *ctx);

/*
 * Walk an access list: the first rule whose ACLs all match decides. When no
 * rule matches, the answer is the opposite of the last rule (Squid); an empty
 * list gives dflt. Returns ACL_ALLOW, ACL_DENY, ACL_NEED_DST,
 * ACL_NEED_NAME or ACL_NEED_EXT; an external acl without an answer
 * (ACL_M_EXT_FAIL) makes it ACL_DENY at once, with *rule NULL. When rule
 * is not NULL it receives the deciding rule (NULL when none matched).
 */
enum acl_verdict acl_check(const struct access_list *list,
			   const struct acl_ctx *ctx, int dflt,
			   const struct access_rule **rule);

/*
 * Walk a list whose rules carry an action in access_rule.allow (ssl_bump,
 * on_unsupported_protocol): the first rule whose action ok() accepts (ok
 * NULL: any) and whose acls all match. Rules ok() refuses are skipped
 * before their acls are looked at, so they never make the walk wait
 * (Squid: "Rules with actions that are impossible at the current step are
 * ignored."). Returns ACL_ALLOW with *rule set to that rule; ACL_DENY with
 * *rule NULL when no rule matched (no "opposite of the last rule" here:
 * the caller applies its default action); or ACL_NEED_DST / ACL_NEED_NAME
 * (*rule NULL) exactly as acl_check() would give them, the caller then
 * looks up what is missing and asks again. rule may be NULL.
 */
enum acl_verdict acl_first(const struct access_list *list,
			   const struct acl_ctx *ctx,
			   int (*ok)(int action, void *arg), void *arg,
			   const struct access_rule **rule);

/* acl_auth.c: a proxy_auth or proxy_auth_regex acl against ctx (see
 * acl_ctx.auth). */
int acl_match_auth(const struct acl *acl, const struct acl_ctx *ctx);
/* Is acl a proxy_auth or proxy_auth_regex acl? (Squid's aclIsProxyAuth():
 * a request denied by a rule that ends with one gets a challenge.) */
int acl_is_proxy_auth(const struct acl *acl);

/* acl_names.c: the names ssl_error acls compare. The name of OpenSSL's
 * certificate verification error code ("X509_V_ERR_CERT_HAS_EXPIRED" for
 * 10), for acl_ctx.ssl_errors; NULL for 0 (X509_V_OK) and unknown codes. */
const char *acl_ssl_error_name(long code);
/* The name an ssl_error value stands for (a known X509_V_ERR_* or Squid's
 * SQUID_X509_V_ERR_* / SQUID_TLS_ERR_*, an old alias turned into its
 * current name), or NULL. Static storage. */
const char *acl_ssl_error_canon(const char *name);
/* The same for Squid's error types (ERR_PROTOCOL_UNKNOWN, TCP_RESET,
 * ...), which squid_error acls compare with acl_ctx.squid_error. */
const char *acl_squid_error_canon(const char *name);

#endif
