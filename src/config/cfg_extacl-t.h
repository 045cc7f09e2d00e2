/*
 * cfg_extacl-t.h - the external_acl_type lines (cfg_extacl.c), part of
 * struct cfg; "acl NAME external TYPE" names one of them (acl_parse.c).
 * Applied by src/proxy/extacl.c.
 */
#ifndef TPROXYD_CONFIG_CFG_EXTACL_T_H
#define TPROXYD_CONFIG_CFG_EXTACL_T_H

#include "acl/ext-t.h"

struct cfg_extacls {
	struct ext_def *defs;	/* in file order */
};

/* What frees a type's running state (its pool, its lookups): the daemon
 * sets it; tproxyctl has none. */
struct cfg_extacl_ops {
	void (*def_free)(struct ext_def *d);
};

extern const struct cfg_extacl_ops *cfg_extacl_ops;

#endif
