/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icap-t.h - types of the ICAP client (RFC 3507): the pure message layer
 * (requests built into a caller's buffer, responses parsed into views of
 * the caller's bytes, the chunked body with its "ieof" extension, OPTIONS)
 * and the connections to ICAP services (icap_conn.c).
 *
 * An ICAP message is an ICAP head (a start line and header fields in the
 * HTTP syntax) followed by the encapsulated HTTP message: its head(s),
 * then its body in the chunked coding. The Encapsulated header gives the
 * offset of each part from the end of the ICAP head (RFC 3507 4.4.1).
 */
#ifndef TPROXYD_ICAP_ICAP_T_H
#define TPROXYD_ICAP_ICAP_T_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/buf-t.h"
#include "core/str.h"
#include "event/loop-t.h"
#include "http/h1-t.h"
#include "net/conn-t.h"

/* Most header fields an ICAP head may carry. */
#define ICAP_MAX_HEADERS 64
/* Largest ICAP head accepted (Squid reads at most 64 KiB of head). */
#define ICAP_HEAD_MAX 65536
/* Parts of one Encapsulated header: req-hdr, res-hdr and one body. */
#define ICAP_MAX_PARTS 3

/* Return codes: a positive value is a length consumed. icap_strerror()
 * names the negative ones. */
enum icap_rc {
	ICAP_INCOMPLETE  = -1,	/* need more bytes */
	ICAP_E_SYNTAX    = -2,	/* malformed start line or field line */
	ICAP_E_VERSION   = -3,	/* not ICAP/1.0 */
	ICAP_E_STATUS    = -4,	/* bad status code */
	ICAP_E_TOO_LONG  = -5,	/* head larger than the limit */
	ICAP_E_TOO_MANY  = -6,	/* more than ICAP_MAX_HEADERS fields */
	ICAP_E_ENCAP     = -7,	/* Encapsulated missing or malformed */
	ICAP_E_CHUNK     = -8,	/* bad chunk size line or CRLF */
	ICAP_E_CHUNK_SIZE = -9,	/* chunk size overflows */
	ICAP_E_HTTP      = -10,	/* the encapsulated HTTP head is bad */
	ICAP_E_LAST      = ICAP_E_HTTP
};

enum icap_method {
	ICAP_M_REQMOD,
	ICAP_M_RESPMOD,
	ICAP_M_OPTIONS,
};

/* One part named by the Encapsulated header. */
enum icap_part {
	ICAP_P_REQ_HDR,
	ICAP_P_RES_HDR,
	ICAP_P_REQ_BODY,
	ICAP_P_RES_BODY,
	ICAP_P_NULL_BODY,
	ICAP_P_OPT_BODY,
};

struct icap_encap {
	int n;
	struct {
		enum icap_part part;
		uint64_t       off;	/* from the end of the ICAP head */
	} e[ICAP_MAX_PARTS + 1];
};

/* What icap_build_req() writes. Heads are given as the HTTP bytes to
 * encapsulate, each ending with its empty line. */
struct icap_req_opts {
	enum icap_method method;
	struct str uri;		/* icap://host[:port]/path */
	struct str host;	/* Host: host[:port] */
	struct str req_hdr;	/* HTTP request head, or empty */
	struct str res_hdr;	/* RESPMOD: HTTP response head, or empty */
	int        has_body;	/* a body follows (chunked), else null-body */
	int        preview;	/* Preview: N, or -1 for none */
	int        allow204;	/* Allow: 204 */
	struct str client_ip;	/* X-Client-IP, or empty */
	struct str username;	/* X-Client-Username, or empty */
	struct str username_hdr;/* its field name; empty: X-Client-Username */
};

/* A parsed ICAP response head: views into the caller's bytes. */
struct icap_resp {
	int               status;	/* 100..599 */
	struct str        reason;
	struct icap_encap enc;		/* n == 0: no Encapsulated header */
	struct str        istag;
	size_t            nhdr;
	struct h1_header  hdr[ICAP_MAX_HEADERS];
};

/* Resumable chunked-body decoder (icap_chunk_next()); zero it first. */
struct icap_chunk {
	int      state;
	uint64_t left;		/* data bytes left in the current chunk */
	unsigned digits;	/* hex digits of the size */
	unsigned linelen;	/* bytes of the size line or a trailer */
	unsigned ext;		/* position in the extension parse */
	unsigned ieof:1;	/* the last chunk carried "ieof" */
	unsigned done:1;	/* the whole body was read */
};

/* What an OPTIONS response says (RFC 3507 4.10.2). */
#define ICAP_OPT_REQMOD  1u
#define ICAP_OPT_RESPMOD 2u
struct icap_options {
	unsigned methods;	/* ICAP_OPT_* */
	int      preview;	/* bytes, or -1 when the service wants none */
	int      allow204;
	long     ttl;		/* Options-TTL in seconds, -1: none */
	int      max_conn;	/* Max-Connections, 0: no limit */
	char     istag[64];	/* "" none */
	struct str transfer_preview;	/* views into the response */
	struct str transfer_ignore;
	struct str transfer_complete;
};

/* ------------------------------------------------ connections (icap_conn.c) */

/* Most bytes of an ICAP response read whole (a REQMOD answer, with its
 * block page): a larger one is an error. */
#define ICAP_RESP_MAX (256 * 1024)
/* Transactions that may wait for a connection of one service at its
 * Max-Connections; more fail at once. */
#define ICAP_WAIT_MAX 1024

/* A transaction's state (icap_state_str()). */
enum icap_state {
	ICAP_S_NEW,		/* made, not started */
	ICAP_S_WAIT,		/* queued: the service is at its connection
				   limit */
	ICAP_S_CONNECT,		/* TCP connect in progress */
	ICAP_S_SEND,		/* writing the request */
	ICAP_S_RECV,		/* reading the response */
	ICAP_S_STREAM,		/* connected, streaming both ways: the owner
				   moves the bytes (icap_xact_io()) */
	ICAP_S_DONE,		/* the response was read whole */
	ICAP_S_FAILED,		/* failed: err and why say how */
};

/* One service as the connection layer needs it (filled by its user from
 * the configuration, so that icap/ does not read config/). */
struct icap_svc_conf {
	char                    name[64];
	struct sockaddr_storage addr;
	socklen_t               addrlen;
	char                    uri[512];
	char                    host[300];
	int                     respmod;	/* else REQMOD */
	int                     bypass;
	unsigned                max_conn;	/* 0: the service's own */
	int                     persistent;
	long                    failure_limit;	/* -1: none */
	double                  revival_delay;	/* OPTIONS again after a
						   failure */
	double                  connect_timeout;
	double                  io_timeout;
};

struct icap_svc;
struct icap_xact;
struct stats_icap;

/* One connection to a service: busy with one transaction, or idle in
 * the service's pool. */
struct icap_cn {
	struct conn       conn;
	struct icap_svc  *svc;
	struct icap_xact *x;		/* NULL: idle */
	struct icap_cn   *next;		/* the pool's list */
	unsigned          uses;		/* transactions it carried */
};

/* Counters of one service (the metrics). */
struct icap_svc_stats {
	uint64_t requests;	/* REQMOD/RESPMOD transactions started */
	uint64_t no_content;	/* answered 204 */
	uint64_t errors;	/* failed (connect, I/O, protocol) */
	uint64_t bypassed;	/* went on unadapted (bypass=on) */
	uint64_t connects;	/* connections opened */
	uint64_t reused;	/* transactions on a pooled connection */
	uint64_t options;	/* OPTIONS answered */
};

struct icap_svc {
	struct icap_svc_conf   c;
	struct icap_options    opt;
	char                   istag[64];
	int                    opt_ok;		/* OPTIONS answered */
	int                    down;		/* not to be used now */
	int                    retired;		/* replaced by a new
						   configuration */
	unsigned               failures;	/* connect failures since
						   the last OPTIONS */
	struct evl_timer       opt_timer;
	struct icap_xact      *opt_x;		/* OPTIONS in flight */
	struct icap_cn        *idle;
	unsigned               nidle;
	unsigned               nconn;		/* open: busy and idle */
	struct icap_xact      *wait_head;
	struct icap_xact      *wait_tail;
	unsigned               nwait;
	unsigned               refs;		/* transactions, plus one
						   while configured */
	struct icap_svc_stats  st;
	struct stats_icap     *ss;		/* the same, shared */
};

/* Called once per transaction, deferred, when it is DONE or FAILED; the
 * owner reads it and may free it with icap_xact_free() right there. */
typedef void icap_done_cb(void *arg, struct icap_xact *x);

struct icap_xact {
	struct icap_svc   *svc;
	struct icap_cn    *cn;
	enum icap_state    state;
	int                err;		/* 0, a negative errno or ICAP_E_* */
	const char        *why;		/* what failed, for the log */
	struct buf         out;		/* the request, written from
					   out_off */
	size_t             out_off;
	struct buf         in;		/* the response as read */
	struct buf         body;	/* its encapsulated body, decoded */
	struct icap_resp   resp;	/* views into in */
	size_t             head_len;	/* the ICAP head's length in in */
	size_t             body_off;	/* where the body part starts */
	size_t             ck_pos;	/* the chunk decoder's position */
	struct icap_chunk  ck;
	struct evl_timer   timer;	/* connect and I/O timeouts */
	struct evl_defer   defer;	/* the done callback */
	icap_done_cb      *cb;
	void              *arg;
	struct icap_xact  *wnext;	/* the service's wait queue */
	double             t_start;
	unsigned           reused:1;	/* on a pooled connection */
	unsigned           retried:1;	/* resent on a new connection */
	unsigned           is_options:1;
	unsigned           streaming:1;	/* the owner moves the bytes */
	unsigned           eof:1;	/* streaming: the server closed */
};

#endif
