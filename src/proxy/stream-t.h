/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stream-t.h - one transaction (a stream) between a front end and a back
 * end, and the two channels that carry its bytes.
 *
 *   front end: the client side (cli-t.h), an HTTP/1 session on the client's
 *              connection; it produces the request channel and consumes
 *              the response channel.
 *   back end:  the server side (srv-t.h), a connection to an origin or a
 *              parent, or a local responder (applet-t.h); it consumes the
 *              request channel and produces the response channel.
 *
 * Data flow (bodies are never copied between buffers):
 *   request:  client conn -> cli->ibuf -> [req.hd, approved bytes of
 *             req.in == &cli->ibuf] -> server conn
 *   response: server conn -> srv->ibuf -> [res.hd, approved bytes of
 *             res.in == &srv->ibuf] -> client conn
 * "fwd" counts the bytes at the head of an input buffer that the framing
 * scanner has approved for the other side. Where no byte needs looking at,
 * a direction goes socket -> pipe -> socket (req.pipe, res.pipe).
 *
 * A client connection carries at most one active stream today (HTTP/1);
 * nothing in the stream assumes it is the only one, so an HTTP/2 front end
 * can hold several.
 */
#ifndef TPROXYD_PROXY_STREAM_T_H
#define TPROXYD_PROXY_STREAM_T_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/buf-t.h"
#include "delay/delay-t.h"
#include "event/loop-t.h"
#include "http/h1-t.h"
#include "http/msg-t.h"
#include "http/url.h"
#include "net/conn-t.h"
#include "net/pipe-t.h"
#include "proxy/applet-t.h"
#include "proxy/cache-t.h"

struct cfg;
struct cfg_port;
struct cfg_peer;
struct dns_query;
struct hlp_req;
struct icap_xact;
struct adapt_rm;
struct ext_entry;
struct ext_lookup;
struct acl;
struct cli;
struct srv;
struct tls_peek;

#define STRM_MAX_ADDRS  8
#define STRM_MAX_ROUTES 8	/* parents tried, plus direct */

/* What the client connection tells its streams: who, where, under which
 * configuration. Owned by the front end; streams only read it. */
struct sess {
	struct cfg             *cfg;	/* reference held by the front end */
	const struct cfg_port  *port;
	struct sockaddr_storage addr;	/* client address */
	socklen_t               addrlen;
	struct sockaddr_storage local;	/* our address */
	socklen_t               locallen;
	struct sockaddr_storage odst;	/* original destination (tproxy and
					   intercept ports) */
	socklen_t               odstlen;
	const struct tls_peek  *bumped;	/* the connection was bumped (what
					   its TLS handshake showed), its
					   requests are HTTPS; NULL: not */
	char                    tls_host[256];	/* bumped: the server name
						   the client asked for
						   (SNI), "" none */
	char                   *auth_user;	/* the user a bumped CONNECT
						   logged in as (owned; its
						   decrypted requests are
						   this user's), NULL: none */
	unsigned                intercepted:1;	/* tproxy or intercept port */
	unsigned                stats_port:1;	/* the stats_port */
};

/* A stream's state (strm_set_state(), strm_state_str()). */
enum strm_state {
	STRM_NEW,	/* no request yet */
	STRM_PREPARE,	/* request accepted: access control, DNS, routing,
			   connecting (the phases, phase.c) */
	STRM_HANDSHAKE,	/* TLS handshakes of a bumped connection: with the
			   server, then (bumping) with the client (bump.c) */
	STRM_FORWARD,	/* request body and/or response relayed */
	STRM_TUNNEL,	/* CONNECT or Upgrade: raw bytes both ways */
	STRM_LOCAL,	/* a response made here (an applet) is sent */
	STRM_DONE,	/* response delivered: the front end settles it */
	STRM_CLOSE,	/* the front end must log and close its connection
			   now: a transfer cut short, or a tunnel ended */
};

/*
 * One direction of a stream. The producer writes a head into hd and
 * approves body bytes at the head of *in (fwd); the consumer writes hd
 * from hd_sent, then the approved bytes, and consumes them. keep_hd: the
 * head is kept once sent (a request is sent again on a retry).
 */
struct chn {
	struct buf      hd;
	size_t          hd_sent;
	struct buf     *in;	/* the producer's input buffer, or NULL */
	uint64_t        fwd;
	uint64_t        copied;	/* tunnels: bytes approved through the
				   buffer (the copy path) so far */
	struct spipe    pipe;
	/* Bytes of a file sent after the head and the approved buffer
	 * bytes, straight from the page cache (a hit whose body is in a
	 * cache_dir file): file_left bytes of file_fd from file_off. */
	int             file_fd;
	uint64_t        file_off;
	uint64_t        file_left;
	unsigned        keep_hd:1;
};

/*
 * A stream's delay pools (strm_delay.c). srv: the buckets the response's
 * reads from the server draw from (delay_pools, chosen once per request
 * when the server is ready); cli: those the writes to the client draw
 * from (client_delay_pools, chosen once per client connection, on its
 * first request). nb 0: that direction is not limited, and costs one
 * test. A direction whose buckets are empty waits (srv_wait, cli_wait:
 * no read, or no write, interest) until the timer, armed for when they
 * hold enough again, wakes the stream.
 */
struct strm_delay {
	struct delay_id  srv;
	struct delay_id  cli;
	struct evl_timer timer;
	unsigned         cli_chosen:1;	/* client_delay_access was checked */
	unsigned         srv_wait:1;
	unsigned         cli_wait:1;
};

/* What an outstanding DNS query of a stream is for. */
enum dns_for {
	DNS_FOR_NONE,
	DNS_FOR_ORIGIN,		/* the URL's host, to connect or for dst ACLs */
	DNS_FOR_VERIFY,		/* intercepted: does Host resolve to the
				   original destination? */
	DNS_FOR_PEER,		/* a cache_peer's host name */
	DNS_FOR_CLIENT_NAME,	/* the client's name, for srcdomain acls */
};

struct stream {
	/* Kept across transactions (strm_reset()): the wiring, memory worth
	 * reusing, and arrays that are always written before being read
	 * (naddr, nroute say how much of them is valid). */
	const struct sess  *sess;
	struct cli         *cli;	/* front end */
	struct conn        *fe;	/* ... its connection */
	struct chn          req;	/* client -> server */
	struct chn          res;	/* server (or applet) -> client */
	struct applet       applet;	/* back end: a local responder, when
					   applet.ops is set */
	struct tls_peek    *tls;	/* an intercepted TLS connection's
					   facts (https_port ssl-bump),
					   owned by the front end; NULL for
					   HTTP */
	char               *url;	/* absolute URL, owned (reused) */
	size_t              url_cap;
	struct sockaddr_storage addr[STRM_MAX_ADDRS];	/* candidates */
	socklen_t           addrlen[STRM_MAX_ADDRS];
	int                 route[STRM_MAX_ROUTES];	/* -1 direct, else a
							   cfg->peer index */
	/* The heads as received (reply ACLs, logs, the cache read these,
	 * not the rewritten ones); valid while the transaction lasts. */
	struct http_msg     reqm;	/* the request */
	struct http_msg     resm;	/* the final response */
	char               *location;	/* deny_info redirect target for
					   the error page, owned; freed by
					   strm_reset() */
	char               *orig_url;	/* the URL as received when
					   url_rewrite_program changed it
					   (access.log shows it), owned;
					   freed by strm_reset() */
	char               *store_id;	/* store_id_program's key for the
					   cache instead of the URL, owned;
					   freed by strm_reset() */
	struct strm_delay   dly;	/* delay pools; dly.srv and the
					   waits are cleared by strm_reset() */

	/* The transaction: everything from here on is zeroed by
	 * strm_reset(). */
	enum strm_state     state;
	struct srv         *srv;	/* back end: a server connection */

	/* The request, as kept after its head was rewritten. */
	double              start;	/* first byte of the request head */
	enum h1_method      meth;
	char                method[24];	/* for the log; longer are cut */
	size_t              url_len;
	char                host[URL_HOST_MAX];	/* NUL-terminated */
	unsigned            port;
	size_t              path_off;	/* path starts at url + path_off */
	int                 minor;	/* client's HTTP/1.minor */
	struct h1_body      req_body;	/* request framing */
	unsigned            cli_keepalive:1;	/* client can keep the conn */
	unsigned            upgrade:1;	/* request asks for Upgrade */
	unsigned            req_scanned:1;	/* whole request body scanned */
	unsigned            req_sent:1;	/* ... and written to the server
					   (tunnel: client EOF passed on) */
	unsigned            has_indirect:1;	/* indirect set */
	struct sockaddr_storage indirect;	/* the client named by a
						   trusted X-Forwarded-For
						   (follow_x_forwarded_for) */
	char                client_name[256];	/* the acls' client's
						   reverse-DNS name, "none"
						   if it has none, "": not
						   looked up (DNS_NAME_MAX) */
	uint64_t            req_body_seen;	/* body bytes approved */

	/* The response. */
	struct h1_body      resp_body;
	int                 status;	/* final status sent to the client */
	char                ctype[64];	/* Content-Type for the log */
	uint64_t            bytes_out;	/* bytes written to the client */
	uint64_t            resp_body_seen;	/* body bytes approved */
	uint64_t            resp_body_max;	/* reply_body_max_size for
						   this reply; 0: none */
	unsigned            resp_head_done:1;	/* final head built */
	unsigned            resp_scanned:1;	/* whole response body
						   scanned */
	unsigned            resp_close:1;	/* close the client after */
	unsigned            srv_reusable:1;	/* server may go to the pool */
	unsigned            retried:1;
	unsigned char       reforwarded;	/* responses given up for
						   another destination
						   (srv_h1.c) */
	unsigned            dechunk:1;	/* decode chunked for HTTP/1.0 */
	unsigned            logged:1;
	unsigned            aborted:1;	/* cut short: logged _ABORTED */
	unsigned            abortive:1;	/* close with RST (tunnels) */
	const char         *code;	/* log tag: TCP_MISS ... */
	const char         *hier;	/* HIER_DIRECT, HIER_NONE ... */
	const char         *tls_mode;	/* %ssl::bump_mode of a CONNECT the
					   ssl_bump rules spliced at step 1
					   (no TLS facts kept: s->tls is
					   NULL) */
	const char         *errname;	/* ERR_* when answered locally */

	/* The phases: where to, from where. */
	struct dns_query   *dns;
	enum dns_for        dns_for;
	int                 naddr;	/* valid entries of addr[] */
	int                 addr_idx;
	unsigned            access_done:1;	/* http_access allowed */
	unsigned            origin_resolved:1;	/* addr[] holds the host's */
	unsigned            verify_pending:1;	/* Host check to do */
	unsigned            host_forged:1;	/* Host != original dst */
	unsigned            routes_done:1;
	unsigned            cache_looked:1;	/* the cache phase ran */
	unsigned            rewrite_done:1;	/* url_rewrite_program
						   asked, or not to ask */
	unsigned            adapted_done:1;	/* adapted_http_access */
	unsigned            storeid_done:1;	/* store_id_program */
	unsigned            rewritten:1;	/* the URL was rewritten */
	struct hlp_req     *hlp;	/* a helper request under way */
	/* Proxy authentication (auth.c): the user name (logged as %un once
	 * accepted) and, while the helper checks it, the password; both
	 * owned. auth: enum acl_auth. */
	char               *auth_user;
	char               *auth_pass;
	unsigned char       auth;
	void               *auth_pend;	/* the helper lookup it waits
					   for (auth.c), NULL: none */
	struct stream      *auth_next;	/* ... the next one waiting */
	void               *auth_digest;	/* Digest credentials waiting
						   for the helper (struct
						   auth_digest_cred, owned) */
	unsigned            auth_read:1;	/* Proxy-Authorization read */
	unsigned            auth_stale:1;	/* Digest nonce stale: the
						   challenge says so */
	unsigned            auth_challenge:1;	/* the error page asks for
						   credentials */
	unsigned            spoofed:1;		/* src is the client's */
	int                 nroute;	/* valid entries of route[] */
	int                 route_idx;
	const struct cfg_peer *peer;	/* the route being tried, if a parent */
	struct sockaddr_storage src;	/* source to bind, family 0: any */
	socklen_t           srclen;
	unsigned            srv_tos;	/* tcp_outgoing_tos, 0: default */
	uint32_t            srv_mark;	/* tcp_outgoing_mark, 0: default */

	/* ICAP (adapt.c): the transaction in flight, and how far the
	 * request got. */
	struct icap_xact   *icap;
	struct adapt_rm    *rm;		/* RESPMOD in progress, or NULL */
	const char         *icap_svc;	/* the service used, for the log */
	double              icap_t;	/* seconds in ICAP transactions */
	unsigned            http_allowed:1;	/* http_access said allow */
	unsigned            reqmod_done:1;	/* REQMOD was decided */
	unsigned            respmod_done:1;	/* RESPMOD was decided */
	unsigned            reqmod_body_wait:1;	/* REQMOD waits for the
						   request body to be read
						   whole */
	unsigned            host_adapted:1;	/* the service changed the
						   request's host: go there,
						   not to the original
						   destination */

	/* The HTTP cache: what was found, what is being stored. Settled
	 * (references dropped) by cache_strm_end() before the reset. */
	struct strm_cache   cache;

	/* External acls (extacl.c); settled by extacl_cancel() before the
	 * reset. */
	struct ext_entry   *ext_last;	/* the last helper answer this
					   request waited for (a reference):
					   an answer that is not cached is
					   used once */
	const struct acl   *ext_need;	/* the acl an access check needs an
					   answer for (ACL_NEED_EXT) */
	const struct acl   *ext_fail;	/* the acl that ended a check without
					   an answer (BH): its deny_info */
	struct ext_lookup  *ext_lk;	/* the lookup it waits for */
	struct stream      *ext_wnext;	/* ... with these streams */
	/* The helpers' user=, tag= (the first one given), log=, message=
	 * for this request ("" none), for the logs and error pages. */
	char                ext_user[128];
	char                ext_tag[128];
	char                ext_log[256];
	char                ext_msg[256];
};

#endif
