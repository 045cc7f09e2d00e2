/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_icap-t.h - the ICAP client's settings (cfg_icap.c): icap_enable,
 * icap_service, adaptation_access and the icap_* tunables. Used by
 * src/icap/icap_conn.c and src/proxy/adapt.c.
 */
#ifndef TPROXYD_CONFIG_CFG_ICAP_T_H
#define TPROXYD_CONFIG_CFG_ICAP_T_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "acl/acl-t.h"

/* Most icap_service lines. */
#define CFG_ICAP_MAX_SVC 16
/* adaptation_access lines naming a service defined further down (Squid
 * resolves the names at the end too). */
#define CFG_ICAP_MAX_PEND 32

/* A vectoring point (Squid's names). */
enum cfg_icap_vec {
	CFG_ICAP_REQMOD,	/* reqmod_precache */
	CFG_ICAP_RESPMOD,	/* respmod_precache */
};

struct cfg_icap_svc {
	char                    name[64];
	enum cfg_icap_vec       vec;
	int                     bypass;	/* bypass=on: a failure goes on
					   unadapted */
	struct sockaddr_storage addr;	/* host:port, resolved at load */
	socklen_t               addrlen;
	char                    uri[512];	/* icap://host:port/path */
	char                    host[300];	/* Host: host:port */
	unsigned                max_conn;	/* max-conn=N, 0: the
						   service's own limit */
};

struct cfg_icap {
	int                 enable;		/* icap_enable */
	size_t              nsvc;
	struct cfg_icap_svc svc[CFG_ICAP_MAX_SVC];
	/* adaptation_access: each rule's allow field is
	 * (service index << 1) | allow. */
	struct access_list  access;
	size_t              npend;
	struct {
		size_t rule;		/* index in access */
		char   name[64];	/* the service it names */
	} pend[CFG_ICAP_MAX_PEND];
	int                 preview_enable;	/* icap_preview_enable */
	long                preview_size;	/* icap_preview_size, -1 */
	int                 send_client_ip;
	int                 send_client_username;
	char               *username_header;	/* icap_client_username_
						   header, NULL: X-Client-
						   Username */
	int                 username_encode;	/* ..._encode: base64 */
	int                 persistent;		/* icap_persistent_
						   connections */
	double              revival_delay;	/* icap_service_revival_
						   delay */
	long                failure_limit;	/* icap_service_failure_
						   limit, -1: none */
	double              connect_timeout;	/* icap_connect_timeout,
						   0: connect_timeout */
	double              io_timeout;		/* icap_io_timeout, 0:
						   read_timeout */
};

#endif
