/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config-t.h - the parsed configuration (squid.conf syntax and names).
 *
 * A struct cfg is immutable once loaded. Connections hold a reference
 * (cfg_ref/cfg_unref) so that -k reconfigure can swap in a new one while
 * transfers that started under the old one finish with it.
 *
 * Each group of fields belongs to one directive module, src/config/cfg_*.c,
 * which alone sets them (and their defaults); the module's types are in its
 * own cfg_MODULE-t.h. A new module adds one member of its own struct type,
 * the way wccp2 is (struct cfg_wccp2 in cfg_wccp2-t.h, filled by
 * cfg_wccp2.c), instead of more flat fields. The flat fields below predate
 * that rule and are read by name all over src/: they stay where they are.
 */
#ifndef TPROXYD_CONFIG_CONFIG_T_H
#define TPROXYD_CONFIG_CONFIG_T_H

#include <stddef.h>
#include <sys/socket.h>

#include "acl/acl-t.h"
#include "config/cfg_cache-t.h"
#include "config/cfg_extacl-t.h"
#include "config/cfg_auth-t.h"
#include "config/cfg_helper-t.h"
#include "config/cfg_delay-t.h"
#include "config/cfg_icap-t.h"
#include "config/cfg_http-t.h"
#include "config/cfg_log-t.h"
#include "config/cfg_ports-t.h"
#include "config/cfg_qos-t.h"
#include "config/cfg_route-t.h"
#include "config/cfg_rules-t.h"
#include "config/cfg_tls-t.h"
#include "config/cfg_udp-t.h"
#include "config/cfg_learn-t.h"
#include "config/cfg_wccp2-t.h"

struct cfg {
	int             refs;
	char           *path;		/* main file, as given */

	/* cfg_ports.c: http_port, stats_port (cfg_ports-t.h). */
	struct cfg_port *port;		/* http_port and stats_port lines */
	size_t          nport;
	int             tproxy;		/* some port is in tproxy mode: the
					   daemon must keep the capability
					   IP_TRANSPARENT needs */

	/* cfg_access.c (acl lines: acl_parse.c). */
	struct acl     *acls;		/* all acl definitions, incl. builtin */
	struct access_list http_access;
	struct access_list adapted_http_access;	/* after http_access */
	struct access_list stats_access;	/* empty: localhost only */

	/* cfg_log.c. */
	struct cfg_alog *alog;		/* access_log lines, in file order;
					   none: not logging */
	size_t          nalog;
	struct logformat *logformat;	/* logformat lines */
	size_t          nlogformat;
	int             strip_query_terms;	/* %ru ends at the '?' */
	int             client_netmask_set;	/* client_netmask given */
	unsigned char   client_netmask4[4];	/* for IPv4 clients */
	unsigned char   client_netmask6[16];	/* for IPv6 clients */
	int             debug_level;	/* debug_options ALL,N */
	char           *cache_log;	/* a file, or NULL with
					   cache_log_syslog */
	int             cache_log_syslog;	/* cache_log syslog[:FAC]: the
						   facility (LOG_LOCAL4 ...),
						   0 for a file */

	/* cfg_proc.c: processes (issue 7), overload (issue 6). */
	char           *pid_filename;
	char           *cache_effective_user;	/* NULL: default "proxy" */
	double          shutdown_lifetime;	/* seconds */
	unsigned        workers;		/* >= 1; "auto": CPU count */
	unsigned        ncpu_map;		/* cpu_affinity_map entries */
	unsigned        cpu_map_kid[64];	/* process_numbers= */
	unsigned        cpu_map_core[64];	/* cores= (1-based, Squid) */
	unsigned        max_filedescriptors;	/* 0: the system's limit */
	unsigned        client_connection_limit;/* 0: none */

	/* cfg_http.c (cfg_http-t.h). */
	char           *dns_nameservers;/* "a,b,c" for c-ares, or NULL */
	char           *visible_hostname;/* for Via and error pages */
	enum fwd_for    forwarded_for;
	int             via;
	int             retry_on_error;	/* also re-forward 403 500 501 503 */
	int             half_closed_clients;	/* default off, Squid's */
	/* Timeouts in seconds (Squid units are converted while parsing). */
	double          connect_timeout;
	double          read_timeout;
	double          request_timeout;
	double          client_idle_pconn_timeout;
	double          server_idle_pconn_timeout;
	size_t          request_header_max_size;
	size_t          reply_header_max_size;

	/* cfg_route.c: interception (issue 4) and parents (cfg_route-t.h);
	 * used by proxy/. */
	struct access_list spoof_client_ip;	/* default allow */
	int             spoof_client_port;
	int             host_verify_strict;
	struct cfg_outgoing *outgoing;		/* tcp_outgoing_address */
	size_t          noutgoing;
	struct cfg_peer *peer;			/* cache_peer */
	size_t          npeer;
	struct access_list never_direct;
	struct access_list always_direct;

	/* cfg_wccp2.c: WCCPv2 (issue 8, cfg_wccp2-t.h); wccp2.nrouter == 0:
	 * WCCP is off. */
	struct cfg_wccp2 wccp2;

	/* cfg_rules.c: reply access, body limits, deny_info, header rules,
	 * follow_x_forwarded_for, client_ip_max_connections
	 * (cfg_rules-t.h); applied by src/proxy/rules.c. */
	struct cfg_rules rules;
	/* cfg_qos.c: TOS and netfilter marks of server and client
	 * connections (cfg_qos-t.h). */
	struct cfg_qos  qos;

	/* cfg_udp.c: UDP interception (cfg_udp-t.h). */
	struct cfg_udp  udp;

	/* cfg_tls.c: https_port's ssl_bump rules, on_unsupported_protocol
	 * (cfg_tls-t.h); applied by src/proxy/cli_tls.c. */
	struct cfg_tls  tls;
	/* cfg_learn.c: learning the DNS answers clients get, for Host and
	 * SNI verification (cfg_learn-t.h); used by src/learn/. */
	struct cfg_learn learn;
	/* cfg_cache.c: the HTTP cache (issue 15, cfg_cache-t.h); used by
	 * src/cache/ and src/proxy/. */
	struct cfg_cache cache;
	/* cfg_delay.c: delay pools, client delay pools (cfg_delay-t.h);
	 * applied by src/proxy/delay.c. */
	struct cfg_delay delay;

	/* cfg_helper.c: url_rewrite_* and store_id_* (cfg_helper-t.h);
	 * applied by src/proxy/rewrite.c. */
	struct cfg_helpers helpers;

	/* cfg_icap.c: the ICAP client (issue 17, cfg_icap-t.h); used by
	 * src/icap/ and src/proxy/adapt.c. */
	struct cfg_icap icap;
	/* cfg_extacl.c: external_acl_type (cfg_extacl-t.h); applied by
	 * src/proxy/extacl.c. */
	struct cfg_extacls extacl;

	/* cfg_auth.c: auth_param basic (cfg_auth-t.h); applied by
	 * src/proxy/auth.c, proxy_auth acls by src/acl/acl_auth.c. */
	struct cfg_auth auth;

	/* New modules: struct cfg_MODULE MODULE; here. */

	/* Every string above points into memory owned by the cfg. */
	void           *arena;
};

/* Diagnostics from loading a configuration, each "FILE:LINE: message". */
enum cfg_level { CFG_WARN, CFG_ERR };

struct cfg_msg {
	enum cfg_level level;
	char          *text;
};

struct cfg_msgs {
	size_t          n;
	size_t          nerr;
	struct cfg_msg *msg;
};

#endif
