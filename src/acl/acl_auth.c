/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl_auth.c - proxy_auth and proxy_auth_regex acls (Squid's
 * ACLProxyAuth): matching the user a request authenticated as.
 *
 * Squid's order is kept: a proxy_auth acl reached without accepted
 * credentials ends the access check with "authentication required" (the
 * caller asks the helper, or answers 407) instead of going on to the next
 * rule; on an intercepted request (no credentials can be asked for) it
 * just does not match ("WARNING: Authentication not applicable on
 * intercepted requests"; the caller logs it, counted through
 * ctx->auth_na).
 */
#include <string.h>
#include <strings.h>

#include "acl/acl.h"

int
acl_is_proxy_auth(const struct acl *acl)
{
	return acl != NULL && (acl->type == ACL_PROXY_AUTH ||
			       acl->type == ACL_PROXY_AUTH_REGEX);
}

static int
match_user(const struct acl *acl, const char *user)
{
	size_t i;

	if (acl->type == ACL_PROXY_AUTH_REGEX) {
		for (i = 0; i < acl->n; i++)
			if (regexec(&acl->v.re[i], user, 0, NULL, 0) == 0)
				return 1;
		return 0;
	}
	if (acl->flags & ACL_PA_REQUIRED)
		return 1;
	for (i = 0; i < acl->n; i++)
		if ((acl->flags & ACL_PA_ICASE) ?
		    strcasecmp(acl->v.word[i], user) == 0 :
		    strcmp(acl->v.word[i], user) == 0)
			return 1;
	return 0;
}

int
acl_match_auth(const struct acl *acl, const struct acl_ctx *ctx)
{
	switch (ctx->auth) {
	case ACL_AUTH_OK:
		return ctx->user != NULL && match_user(acl, ctx->user);
	case ACL_AUTH_NA:
		if (ctx->auth_na != NULL)
			(*ctx->auth_na)++;
		return 0;
	default:
		return ctx->auth_wait ? ACL_M_NEED_AUTH : 0;
	}
}
