/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_ports-t.h - types of the listening ports (cfg_ports.c: http_port,
 * https_port, stats_port), part of struct cfg.
 */
#ifndef TPROXYD_CONFIG_CFG_PORTS_T_H
#define TPROXYD_CONFIG_CFG_PORTS_T_H

#include <sys/socket.h>

enum port_mode {
	PORT_FORWARD,		/* plain forward proxy (absolute-form URLs) */
	PORT_INTERCEPT,		/* NAT REDIRECT: SO_ORIGINAL_DST */
	PORT_TPROXY,		/* TPROXY: IP_TRANSPARENT, getsockname() */
	PORT_ACCEL,		/* reverse proxy (parsed, not served yet) */
	PORT_STATS,		/* stats_port: Prometheus /metrics only */
};

struct tls_ca;
struct tls_certcache;

struct cfg_port {
	struct sockaddr_storage addr;	/* port set; address any when the
					   line named none */
	socklen_t       addrlen;
	int             wildcard;	/* no ADDR: listen on both families */
	enum port_mode  mode;
	char           *name;		/* name=, default "PORT" or
					   "ADDR:PORT" */
	unsigned        https:1;	/* https_port: clients speak TLS */
	unsigned        log_scrapes:1;	/* stats_port ... log: scrapes go
					   to access_log (not by default) */
	unsigned        ssl_bump:1;	/* ssl-bump: the ssl_bump rules
					   decide (peek, splice, terminate);
					   https_port only for now (an
					   http_port's ssl-bump leaves it 0:
					   CONNECT tunnels are not peeked
					   at yet) */
	char           *cert;		/* cert= / tls-cert=: for bumping,
					   NULL when not given */
	char           *key;		/* key= / tls-key= */
	/* Bumping (ssl_bump bump), set up when some rule bumps: */
	char           *tls_options;	/* options= (NO_SSLv3, ...) */
	char           *tls_ciphers;	/* cipher= */
	int             tls_min;	/* tls-min-version=1.N: TLS1_N_VERSION,
					   0: the default */
	int             gen_certs;	/* generate-host-certificates: 1 (the
					   default), 0 off */
	size_t          cert_mem;	/* dynamic_cert_mem_cache_size */
	struct tls_ca  *ca;		/* the signing CA (cert=, key=) */
	struct tls_certcache *certs;	/* the generated certificates */
	void           *tls_ctx;	/* the TLS server context */
	const char     *file;
	int             line;
};

#endif
