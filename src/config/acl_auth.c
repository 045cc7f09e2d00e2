/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl_auth.c - the values of proxy_auth acls (Squid's ACLUserData):
 * "REQUIRED" (any authenticated user) or user names; -i compares them
 * without case. proxy_auth_regex values are regexes (acl_parse.c).
 */
#include <string.h>

#include "acl/acl-t.h"
#include "config/cfg-int.h"

void
cfg_acl_add_proxy_auth(struct cfg_parse *p, const struct tok *t,
		       struct acl *acl, int icase)
{
	size_t i;

	if (icase)
		acl->flags |= ACL_PA_ICASE;
	if (strcmp(t->s, "REQUIRED") == 0) {
		if (acl->n > 0)
			cfg_warn(p, t, "acl %s: REQUIRED matches every "
				 "authenticated user; the user names given "
				 "with it are not looked at", acl->name);
		acl->flags |= ACL_PA_REQUIRED;
		return;
	}
	if (acl->flags & ACL_PA_REQUIRED)
		cfg_warn(p, t, "acl %s: REQUIRED matches every authenticated "
			 "user; user name '%s' is not looked at", acl->name,
			 t->s);
	for (i = 0; i < acl->n; i++)
		if (strcmp(acl->v.word[i], t->s) == 0)
			return;
	*AR_PUSH(p->ar, acl->v.word, acl->n) = ar_strdup(p->ar, t->s);
}
