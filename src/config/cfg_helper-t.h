/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_helper-t.h - types of the helper programs' settings (cfg_helper.c),
 * part of struct cfg: url_rewrite_* and store_id_* (Squid's redirect.cc
 * directives). Applied by src/proxy/rewrite.c with the pools of
 * src/helper/.
 */
#ifndef TPROXYD_CONFIG_CFG_HELPER_T_H
#define TPROXYD_CONFIG_CFG_HELPER_T_H

#include <stddef.h>

#include "acl/acl-t.h"
#include "config/logfmt-t.h"
#include "helper/helper-t.h"

/* One kind of helper: its program, children, access list, bypass and
 * extras. opts.argv == NULL: not configured. */
struct cfg_helper {
	struct hlp_opts     opts;
	struct access_list  access;	/* *_access: which requests go */
	int                 bypass;	/* *_bypass: skip it when its queue
					   is full */
	const char         *extras;	/* *_extras, as written */
	struct lf_tok      *xtok;	/* ... compiled */
	size_t              nxtok;
	/* The running pool, made in the serving process on first use (the
	 * daemon's cfg_helper_ops frees it with the cfg); NULL: none. */
	struct hlp_pool    *pool;
};

struct cfg_helpers {
	struct cfg_helper rewrite;	/* url_rewrite_program */
	struct cfg_helper store_id;	/* store_id_program */
	int               rewrite_host;	/* url_rewrite_host_header */
};

/* What frees a running pool (the daemon sets it; tproxyctl has none). */
struct cfg_helper_ops {
	void (*pool_free)(struct hlp_pool *p);
};

#endif
