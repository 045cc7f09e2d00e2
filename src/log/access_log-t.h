/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * access_log-t.h - one access.log record: what the logformat codes read
 * (src/log/logfmt.c). Filled by src/proxy/txn_log.c; every pointer is
 * borrowed from the stream and valid only during alog_write().
 */
#ifndef TPROXYD_LOG_ACCESS_LOG_T_H
#define TPROXYD_LOG_ACCESS_LOG_T_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/str.h"

struct http_msg;

/* The intercepted TLS facts a record can carry (LF_TLS_* codes). */
enum alog_tls {
	ALOG_TLS_SNI,
	ALOG_TLS_BUMP_MODE,
	ALOG_TLS_VERSION,
	ALOG_TLS_CIPHER,
	ALOG_TLS_HELLO_VERSION,
	ALOG_TLS_SUPPORTED,
	ALOG_TLS_SRV_HELLO_VERSION,
	ALOG_TLS_CERT_ERRORS,
	ALOG_TLS_ECH,
	ALOG_TLS_ALPN,
	ALOG_TLS_N,
};

struct alog_rec {
	double                 end;		/* completion time, epoch s */
	double                 start;		/* first request byte */
	long                   elapsed_ms;
	const struct sockaddr *client;
	const struct sockaddr *local;		/* the address the client
						   reached, NULL logs "-" */
	const char            *code;		/* "TCP_MISS", "TCP_DENIED"
						   ... */
	int                    aborted;		/* adds "_ABORTED" to code */
	int                    status;		/* 0 logs as 000 */
	uint64_t               bytes;		/* sent to the client */
	uint64_t               bytes_in;	/* received from the client:
						   head + Content-Length */
	struct str             method;
	struct str             url;		/* as received (absolute) */
	int                    strip_query;	/* %ru ends at the '?' */
	struct str             host;		/* %>rd */
	unsigned               port;		/* %>rP, 0 logs "-" */
	struct str             path;		/* %rp */
	int                    minor;		/* HTTP/1.minor, -1 "-" */
	const char            *hier;		/* "HIER_DIRECT", "HIER_NONE" */
	const struct sockaddr *peer;		/* NULL logs "-" */
	const char            *peer_name;	/* used instead of peer
						   if set */
	struct str             type;		/* Content-Type, empty
						   logs "-" */
	const char            *errname;		/* ERR_..., or NULL */
	unsigned long          icap_ms;		/* time in ICAP transactions
						   (when icap_svc is set) */
	const char            *icap_svc;	/* ICAP service, or NULL: no
						   ICAP ("-" for both) */
	const struct http_msg *req;		/* heads as received, or */
	const struct http_msg *resp;		/* NULL */
	unsigned long long     seq;		/* %sn */
	const char            *tls[ALOG_TLS_N];	/* NULL logs "-" */
	/* What an external acl's helper answered (user=, tag=, log=);
	 * NULL or "" logs "-". */
	const char            *ext_user;	/* %ue, and %un without a
						   login */
	const char            *tag;		/* %et */
	const char            *ext_log;		/* %ea */
	const char            *user;		/* %un %ul: the authenticated
						   user, NULL logs "-" */
};

#endif
