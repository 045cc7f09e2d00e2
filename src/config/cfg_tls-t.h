/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_tls-t.h - types of the TLS interception rules (cfg_tls.c): ssl_bump
 * and on_unsupported_protocol; struct cfg's member tls. Read by
 * src/proxy/cli_tls.c.
 */
#ifndef TPROXYD_CONFIG_CFG_TLS_T_H
#define TPROXYD_CONFIG_CFG_TLS_T_H

#include <stdint.h>

#include "acl/acl-t.h"

/* An ssl_bump action (struct access_rule.allow of cfg_tls.ssl_bump). */
enum sslb_action {
	SSLB_SPLICE = 1,	/* relay bytes without decrypting ("none") */
	SSLB_PEEK,		/* read the next hello, keep splicing
				   possible */
	SSLB_STARE,		/* like peek; meant to allow bumping */
	SSLB_TERMINATE,		/* close both connections */
	SSLB_BUMP,		/* decrypt: the client gets a certificate
				   signed by the port's CA, the requests
				   inside go through the HTTP phases */
	/* Squid 3's bumping, decided at step 1 only (all after SSLB_BUMP
	 * decrypt): */
	SSLB_CLIENT_FIRST,	/* the client's handshake first, with a
				   certificate for the SNI (or CONNECT
				   host) alone; the server's per request */
	SSLB_SERVER_FIRST,	/* = bump at step 1 */
};

/* An on_unsupported_protocol action (access_rule.allow). */
enum unsup_action {
	UNSUP_RESPOND = 1,	/* answer in the port's protocol (TLS:
				   close), the default */
	UNSUP_TUNNEL,		/* relay the bytes as they are to the
				   original destination */
};

struct cfg_tls {
	struct access_list ssl_bump;		/* allow: enum sslb_action */
	struct access_list on_unsupported;	/* allow: enum unsup_action */
	struct access_list cert_error;	/* sslproxy_cert_error: a server
					   certificate error is accepted
					   when allowed (default: deny, the
					   connection is terminated) */
	char              *cafile;	/* tls_outgoing_options cafile=, for
					   ssl_error; NULL: the system's */
	/* tls_outgoing_options, for the connections to servers of bumped
	 * connections: */
	char              *capath;	/* capath= */
	char              *out_options;	/* options= */
	char              *out_ciphers;	/* cipher= */
	int                out_min;	/* min-version=1.N: TLS1_N_VERSION */
	unsigned           dont_verify:1;	/* flags=DONT_VERIFY_PEER */
	unsigned           bumps:1;	/* some ssl_bump rule bumps */
	void              *out_ctx;	/* their TLS client context */
	/* sslcrtd_program's -s DIR -M SIZE: the generated certificates are
	 * kept in DIR/tproxyd (at most SIZE), not in Squid's format. */
	char              *cert_dir;
	uint64_t           cert_dir_bytes;
	/* tls_key_log FILE [if ACL...]: the secrets of the bumped
	 * connections the rules select, in the NSS key log format. */
	int                keylog_fd;	/* -1: none */
	struct access_list keylog;	/* allow: log; no rule: all */
};

#endif
