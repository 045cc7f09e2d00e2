/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_auth-t.h - types of the proxy authentication settings
 * (cfg_auth.c): auth_param basic. Applied by src/proxy/auth.c with a
 * pool of src/helper/.
 */
#ifndef TPROXYD_CONFIG_CFG_AUTH_T_H
#define TPROXYD_CONFIG_CFG_AUTH_T_H

#include "helper/helper-t.h"

/* auth_param digest; opts.argv == NULL: no Digest scheme. */
struct cfg_auth_digest {
	struct hlp_opts  opts;
	const char      *realm;
	double           nonce_max_duration;	/* seconds a nonce lives */
	unsigned         nonce_max_count;	/* uses of one nonce */
	int              nonce_strictness;	/* nc must be last + 1 */
	int              check_nonce_count;	/* nc must grow */
	struct hlp_pool *pool;
};

struct cfg_auth {
	/* auth_param basic program and children; opts.argv == NULL: no
	 * Basic scheme (then no proxy_auth acl may be used). */
	struct hlp_opts  opts;
	const char      *realm;		/* auth_param basic realm */
	double           ttl;		/* credentialsttl, seconds */
	int              casesensitive;	/* user names kept as sent */
	int              utf8;		/* Latin-1 credentials made UTF-8 */
	int              keep_alive;	/* keep the connection after a 407 */
	int              used;		/* some proxy_auth(_regex) acl */
	struct cfg_auth_digest digest;
	int              digest_first;	/* its program line came first: its
					   challenge is offered first */
	/* The running pool, made in the serving process on first use and
	 * freed with the cfg (cfg_helper_ops); NULL: none. */
	struct hlp_pool *pool;
};

#endif
