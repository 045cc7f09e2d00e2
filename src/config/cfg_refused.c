/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_refused.c - Squid directives tproxyd refuses: those that decide
 * access, authentication, content or privacy (or need a feature that does)
 * and that tproxyd does not implement yet. Loading a configuration that
 * uses one fails with "FILE:LINE: 'NAME' is not supported by tproxyd
 * (FEATURE): if it were ignored, WHY" (config.c): a squid.conf must never
 * load with an access or privacy rule silently dropped.
 *
 * Grouped by the feature each waits for. A module that implements one
 * moves the name into its own table (the unit test fails while a name is
 * in two tables); doc/tproxyd.conf.5 ("SQUID DIRECTIVES") lists them.
 */
#include <stddef.h>

#include "config/cfg-int.h"

#define F_TLS	"TLS decryption and server certificate checks"
#define F_AUTH	"proxy authentication"
#define F_ECAP	"eCAP content adaptation (loadable modules)"
#define F_ADAPT_SET	"sets and chains of ICAP services"
#define F_DELAY	"response delay pools (response_delay_pool)"
#define F_ACCESS	"access control"
#define F_XFF	"X-Forwarded-For"
#define F_PRIVACY	"privacy"
#define F_ROUTE	"peer selection"
#define F_MARK	"packet marking"
#define F_FTP	"native FTP proxying"
#define F_PROC	"process confinement"
#define F_SYNTAX	"configuration syntax"
#define F_OBS_HDR	"obsolete: Squid 3.0 replaced it with " \
			"request_header_access and reply_header_access"
#define F_OBS_PEER	"obsolete: Squid 3 replaced it with dstdomain acls " \
			"and cache_peer_access"
#define F_OBS_LOG	"obsolete: Squid 3 replaced it with acls on " \
			"access_log lines"

static const struct cfg_nodir refused[] = {
	/* TLS decryption and server certificate checks */
	{ "sslproxy_cert_sign", F_TLS,
	  "certificate checks of TLS interception would not be made as "
	  "configured" },
	{ "sslproxy_cert_adapt", F_TLS,
	  "certificate checks of TLS interception would not be made as "
	  "configured" },
	{ "sslcrtvalidator_program", F_TLS,
	  "certificate checks of TLS interception would not be made as "
	  "configured" },
	{ "sslproxy_foreign_intermediate_certs", F_TLS,
	  "certificate checks of TLS interception would not be made as "
	  "configured" },
	/* proxy authentication */
	{ "auth_schemes", F_AUTH,
	  "the authentication schemes offered to clients would not be the "
	  "configured ones (tproxyd offers Basic only)" },
	/* ICAP and eCAP content adaptation (ICAP services: cfg_icap.c) */
	{ "ecap_service", F_ECAP,
	  "requests and responses would pass without the configured content "
	  "adaptation" },
	{ "icap_class", F_ADAPT_SET,
	  "requests and responses would pass without the configured content "
	  "adaptation; name one icap_service in adaptation_access instead" },
	{ "icap_access", F_ADAPT_SET,
	  "requests and responses would pass without the configured content "
	  "adaptation (it names an icap_class); use adaptation_access with "
	  "an icap_service name" },
	{ "adaptation_service_set", F_ADAPT_SET,
	  "requests and responses would pass without the configured content "
	  "adaptation" },
	{ "adaptation_service_chain", F_ADAPT_SET,
	  "requests and responses would pass without the configured content "
	  "adaptation" },
	{ "adaptation_meta", F_ADAPT_SET,
	  "the ICAP service would not get the request details it was "
	  "configured to decide on" },
	{ "loadable_modules", F_ECAP,
	  "requests and responses would pass without the configured content "
	  "adaptation" },
	/* response delay pools (delay_pools are implemented: cfg_delay.c) */
	{ "response_delay_pool", F_DELAY,
	  "transfers would not be slowed to the configured rates" },
	{ "response_delay_pool_access", F_DELAY,
	  "transfers would not be slowed to the configured rates" },
	/* access control */
	{ "miss_access", F_ACCESS,
	  "requests it denies would be forwarded" },
	{ "proxy_protocol_access", F_ACCESS,
	  "the PROXY protocol headers of the clients it trusts would not be "
	  "honoured" },
	{ "http_upgrade_request_protocols", F_ACCESS,
	  "protocol upgrades (WebSocket) it allows would fail" },
	{ "check_hostnames", F_ACCESS,
	  "requests with malformed host names would be forwarded" },
	{ "uri_whitespace", F_ACCESS,
	  "requests with whitespace in the URI would not be handled as "
	  "configured" },
	/* X-Forwarded-For */
	{ "tproxy_uses_indirect_client", F_XFF,
	  "the spoofed source address would be the direct client's, not the "
	  "one from X-Forwarded-For" },
	/* privacy */
	{ "log_access", F_OBS_LOG,
	  "transactions it keeps out of the log would be logged" },
	{ "header_access", F_OBS_HDR,
	  "the headers it removes would be forwarded" },
	/* peer selection */
	{ "neighbor_type_domain", F_ROUTE,
	  "requests would go to a peer that should only be a sibling for "
	  "these domains" },
	{ "prefer_direct", F_ROUTE,
	  "requests would go through a cache_peer or direct other than as "
	  "configured" },
	{ "nonhierarchical_direct", F_ROUTE,
	  "requests would go through a cache_peer or direct other than as "
	  "configured" },
	{ "append_domain", F_ROUTE,
	  "single-label host names would resolve to another host than "
	  "configured" },
	{ "cache_peer_domain", F_OBS_PEER,
	  "requests for other domains would go to this peer" },
	{ "cache_host_domain", F_OBS_PEER,
	  "requests for other domains would go to this peer" },
	/* packet marking */
	{ "qos_flows", F_MARK,
	  "traffic would not be marked, so firewall and shaping rules relying "
	  "on the marks would not apply" },
	{ "mark_client_connection", F_MARK,
	  "traffic would not be marked, so firewall and shaping rules relying "
	  "on the marks would not apply" },
	/* native FTP proxying */
	{ "ftp_port", F_FTP,
	  "FTP clients would get no answer on this port" },
	/* process confinement */
	{ "chroot", F_PROC,
	  "the process would run without the configured chroot confinement" },
	/* configuration syntax */
	{ "configuration_includes_quoted_values", F_SYNTAX,
	  "quoted values would be read with another meaning than configured" },
};

const struct cfg_dirtab cfg_dirs_refused = {
	.module		= "refused",
	.nokind		= CFG_NO_REFUSE,
	.nodir		= refused,
	.nnodir		= CFG_NELEM(refused),
};
