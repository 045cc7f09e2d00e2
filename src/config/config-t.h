/*
 * config-t.h - the parsed configuration (squid.conf syntax and names).
 *
 * A struct cfg is immutable once loaded. Connections hold a reference
 * (cfg_ref/cfg_unref) so that -k reconfigure can swap in a new one while
 * transfers that started under the old one finish with it.
 */
#ifndef TPROXYD_CONFIG_CONFIG_T_H
#define TPROXYD_CONFIG_CONFIG_T_H

#include <stddef.h>
#include <sys/socket.h>

#include "acl/acl-t.h"

enum port_mode {
	PORT_FORWARD,		/* plain forward proxy (absolute-form URLs) */
	PORT_INTERCEPT,		/* NAT REDIRECT: SO_ORIGINAL_DST */
	PORT_TPROXY,		/* TPROXY: IP_TRANSPARENT, getsockname() */
	PORT_ACCEL,		/* reverse proxy (parsed, not served yet) */
	PORT_STATS,		/* stats_port: Prometheus /metrics only */
};

struct cfg_port {
	struct sockaddr_storage addr;	/* port set; address any when the
					   line named none */
	socklen_t       addrlen;
	int             wildcard;	/* no ADDR: listen on both families */
	enum port_mode  mode;
	char           *name;		/* name=, default "PORT" or "ADDR:PORT" */
	const char     *file;
	int             line;
};

enum fwd_for {
	FWD_FOR_ON,		/* append the client address */
	FWD_FOR_OFF,		/* append "unknown" */
	FWD_FOR_TRANSPARENT,	/* leave the header as it came */
	FWD_FOR_DELETE,		/* remove the header */
	FWD_FOR_TRUNCATE,	/* replace with the client address only */
};

/* tcp_outgoing_address ADDR [acl...] */
struct cfg_outgoing {
	struct sockaddr_storage addr;	/* port 0 */
	socklen_t       addrlen;
	size_t          nref;
	struct acl_ref *ref;
};

/* cache_peer HOST parent HTTP_PORT ICP_PORT [options] */
struct cfg_peer {
	char           *host;
	char           *name;		/* name=, default host */
	unsigned        port;
	int             no_tproxy;	/* do not spoof toward this peer */
	struct access_list access;	/* cache_peer_access NAME ... */
	const char     *file;
	int             line;
};

/*
 * WCCPv2 (issue 8): wccp2_service standard 0 | dynamic N [password=...],
 * completed for dynamic services by wccp2_service_info N ...
 */
struct cfg_wccp2_service {
	int             dynamic;	/* 0: standard service (id 0) */
	unsigned        id;		/* 0..255 */
	char           *password;	/* NULL: no security; else MD5 key */
	int             has_info;	/* a wccp2_service_info line was seen */
	unsigned        protocol;	/* IPPROTO_TCP or IPPROTO_UDP */
	unsigned        flags;		/* service flags, wire values */
	unsigned        priority;	/* 0..255 */
	unsigned        ports[8];	/* 0: unused */
	const char     *file;
	int             line;
};

/* The wccp2_* directives; methods use the wire values (= Squid's
 * numeric forms): 1 GRE / hash, 2 L2 / mask. */
struct cfg_wccp2 {
	struct sockaddr_storage *router;	/* wccp2_router, port 2048 */
	size_t          nrouter;
	struct sockaddr_storage address;	/* wccp2_address (any) */
	unsigned        forwarding_method;
	unsigned        return_method;
	unsigned        assignment_method;
	struct cfg_wccp2_service *service;
	size_t          nservice;
	unsigned        weight;			/* wccp2_weight, 0..65535 */
	int             rebuild_wait;		/* default on */
	int             weight_set;		/* parse state: defaults are */
	int             rebuild_wait_set;	/* applied at the end */
};

struct cfg {
	int             refs;
	char           *path;		/* main file, as given */

	struct cfg_port *port;		/* http_port lines */
	size_t          nport;
	int             tproxy;		/* some port is in tproxy mode: the
					   daemon must keep the capability
					   IP_TRANSPARENT needs */

	struct acl     *acls;		/* all acl definitions, incl. builtin */
	struct access_list http_access;

	char           *access_log;	/* path, or NULL for "none" */
	char           *cache_log;
	char           *pid_filename;
	char           *dns_nameservers;/* "a,b,c" for c-ares, or NULL */
	char           *visible_hostname;/* for Via and error pages */

	enum fwd_for    forwarded_for;
	int             via;

	/* Timeouts in seconds (Squid units are converted while parsing). */
	double          connect_timeout;
	double          read_timeout;
	double          request_timeout;
	double          client_idle_pconn_timeout;
	double          server_idle_pconn_timeout;
	double          shutdown_lifetime;

	size_t          request_header_max_size;
	size_t          reply_header_max_size;

	/* Interception (issue 4); parsed here, used by forward/ and core/. */
	char           *cache_effective_user;	/* NULL: default "proxy" */
	struct access_list spoof_client_ip;	/* default allow */
	int             spoof_client_port;
	int             host_verify_strict;
	struct cfg_outgoing *outgoing;		/* tcp_outgoing_address */
	size_t          noutgoing;
	struct cfg_peer *peer;			/* cache_peer */
	size_t          npeer;
	struct access_list never_direct;
	struct access_list always_direct;

	/* Processes (issue 7). */
	unsigned        workers;		/* >= 1; "auto": CPU count */
	unsigned        ncpu_map;		/* cpu_affinity_map entries */
	unsigned        cpu_map_kid[64];	/* process_numbers= */
	unsigned        cpu_map_core[64];	/* cores= (1-based, Squid) */

	/* Overload and observability (issue 6). */
	unsigned        max_filedescriptors;	/* 0: the system's limit */
	unsigned        client_connection_limit;/* 0: none */
	struct access_list stats_access;	/* empty: localhost only */

	/* WCCPv2 (issue 8); wccp2.nrouter == 0: WCCP is off. */
	struct cfg_wccp2 wccp2;

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
