/*
 * cfg_ignored.c - Squid directives tproxyd accepts and ignores, so that
 * an existing squid.conf loads unchanged: each use gets the warning
 * "'NAME' is not implemented by tproxyd; ignored" (config.c), never an
 * error.
 *
 * A module that starts implementing one of these moves the name into its
 * own table (the unit test fails while a name is in two tables).
 */
#include <stddef.h>

#include "config/cfg-int.h"

static const struct cfg_dir dirs[] = {
	/* caching (tproxyd does not cache yet) */
	{ "cache_dir",				NULL },
	{ "cache_mem",				NULL },
	{ "refresh_pattern",			NULL },
	{ "coredump_dir",			NULL },
	{ "maximum_object_size",		NULL },
	{ "maximum_object_size_in_memory",	NULL },
	{ "minimum_object_size",		NULL },
	{ "cache",				NULL },
	{ "cache_replacement_policy",		NULL },
	{ "memory_replacement_policy",		NULL },
	{ "hierarchy_stoplist",			NULL },
	{ "cache_store_log",			NULL },
	{ "cache_swap_low",			NULL },
	{ "cache_swap_high",			NULL },
	/* logs, administration, tuning */
	{ "logfile_rotate",			NULL },
	{ "cache_mgr",				NULL },
	{ "httpd_suppress_version_string",	NULL },
	/* Squid-2, in the wiki: */
	{ "httpd_accel_no_pmtu_disc",		NULL },
	{ "pipeline_prefetch",			NULL },
	{ "dns_v4_first",			NULL },
	{ "memory_pools",			NULL },
	{ "client_persistent_connections",	NULL },
	{ "server_persistent_connections",	NULL },
	{ "pconn_timeout",			NULL },
	{ "half_closed_clients",		NULL },
	{ "forward_timeout",			NULL },
	{ "negative_ttl",			NULL },
	/* ICP, HTCP, SNMP */
	{ "icp_port",				NULL },
	{ "htcp_port",				NULL },
	{ "snmp_port",				NULL },
	{ "icp_access",				NULL },
	{ "htcp_access",			NULL },
	{ "snmp_access",			NULL },
	/* WCCPv1 (Squid's wccp_*): not implemented, only WCCPv2. */
	{ "wccp_version",			NULL },
	{ "wccp_router",			NULL },
};

const struct cfg_dirtab cfg_dirs_ignored = {
	.module		= "ignored",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
};
