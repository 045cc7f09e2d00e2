/*
 * acl.h - ACL matching and access lists.
 */
#ifndef TPROXYD_ACL_ACL_H
#define TPROXYD_ACL_ACL_H

#include "acl/acl-t.h"

/* What acl_match() gives when it cannot decide yet. */
#define ACL_M_NEED_DST	(-1)	/* needs the destination address */
#define ACL_M_NEED_NAME	(-2)	/* needs the client's name (name_wait) */

/* Matching an ACL gives 1 (match), 0 (no match), ACL_M_NEED_DST when it
 * needs the destination address and ctx->dst is NULL, or ACL_M_NEED_NAME
 * when it needs the client's name, ctx->client_name is NULL and
 * ctx->name_wait is set. */
int acl_match(const struct acl *acl, const struct acl_ctx *ctx);

/*
 * Walk an access list: the first rule whose ACLs all match decides. When no
 * rule matches, the answer is the opposite of the last rule (Squid); an empty
 * list gives dflt. Returns ACL_ALLOW, ACL_DENY, ACL_NEED_DST or
 * ACL_NEED_NAME. When rule is not NULL it receives the deciding rule (NULL
 * when none matched).
 */
enum acl_verdict acl_check(const struct access_list *list,
			   const struct acl_ctx *ctx, int dflt,
			   const struct access_rule **rule);

/*
 * Walk a list of action rules (ssl_bump, on_unsupported_protocol): the
 * first rule whose ACLs all match and whose action (rule->allow) ok()
 * accepts (ok NULL: any) gives ACL_ALLOW with *rule set; ACL_DENY with
 * *rule NULL when none matched; or ACL_NEED_DST / ACL_NEED_NAME as
 * acl_check() gives them.
 */
enum acl_verdict acl_first(const struct access_list *list,
			   const struct acl_ctx *ctx,
			   int (*ok)(int action, void *arg), void *arg,
			   const struct access_rule **rule);

#endif
