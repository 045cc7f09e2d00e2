/*
 * fwd-t.h - types of the forwarding engine: the client side (one per
 * accepted connection, it owns the transaction) and the server side (one per
 * connection to an origin or parent, lent to a client side while it serves
 * a request, kept in the idle pool between requests).
 *
 * Data flows through two directions:
 *   request:  client fd -> cli->ibuf -> [cli->reqhead, body bytes of
 *             cli->ibuf] -> server fd
 *   response: server fd -> srv->ibuf -> [cli->obuf, body bytes of
 *             srv->ibuf] -> client fd
 * Header blocks are rewritten into reqhead / obuf; bodies are never copied:
 * "fwd" counts how many bytes at the head of an input buffer the framing
 * scanner has approved for the other side. See doc/state-machines.md.
 *
 * Where no byte needs looking at (Content-Length bodies of at least 64 KiB,
 * tunnels), a direction skips user space: socket -> pipe -> socket with
 * splice(2), through cli->up (client to server) or cli->down (server to
 * client). A direction's pipe only starts filling when its input buffer
 * and its generated head are empty, and while it holds bytes nothing of
 * that direction is read into the buffer, so order is kept.
 */
#ifndef TPROXYD_FORWARD_FWD_T_H
#define TPROXYD_FORWARD_FWD_T_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/buf-t.h"
#include "event/loop-t.h"
#include "http/h1-t.h"

struct cfg;
struct cfg_port;
struct cfg_peer;
struct dns_query;

/* Client side states. */
enum cs_state {
	CS_IDLE,	/* between requests: no byte of the next one yet */
	CS_HEAD,	/* receiving a request head (request_timeout) */
	CS_WAIT,	/* request accepted; server side resolving/connecting */
	CS_FORWARD,	/* relaying the request body and/or the response */
	CS_TUNNEL,	/* CONNECT or Upgrade: raw bytes both ways */
	CS_LOCAL,	/* sending a response made here (error page) */
	CS_LINGER,	/* response sent, write side shut, draining input */
	CS_CLOSED,	/* closed; freed after the running callback */
};

/* Server side states. */
enum ss_state {
	SS_RESOLVE,	/* waiting for DNS */
	SS_CONNECT,	/* non-blocking connect() in progress */
	SS_HEAD,	/* sending the request; waiting for the response head */
	SS_BODY,	/* relaying the response body */
	SS_TUNNEL,	/* raw relay after 200-to-CONNECT or 101 */
	SS_IDLE,	/* in the idle pool, owned by it */
	SS_CLOSED,	/* closed; freed after the running callback */
};

#define FWD_MAX_ADDRS  8
#define FWD_MAX_ROUTES 8	/* parents tried, plus direct */

/* What an outstanding DNS query of a transaction is for. */
enum dns_for {
	DNS_FOR_NONE,
	DNS_FOR_ORIGIN,		/* the URL's host, to connect or for dst ACLs */
	DNS_FOR_VERIFY,		/* intercepted: does Host resolve to the
				   original destination? */
	DNS_FOR_PEER,		/* a cache_peer's host name */
};

/*
 * A splice(2) pipe: one direction of a client connection, moving from one
 * socket to the other without a copy to user space. Opened when first
 * needed, kept while the connection is busy, closed when it goes idle.
 */
struct fwd_pipe {
	int                 fd[2];	/* read end, write end, or -1 */
	size_t              len;	/* bytes in it, not yet written out */
	size_t              cap;	/* its size (F_GETPIPE_SZ) */
	unsigned            off:1;	/* splice failed or no descriptor:
					   copy until the connection is idle */
	unsigned            full:1;	/* a fill found no room: wait until
					   some bytes were written out */
	unsigned            unload:1;	/* cannot splice out: its bytes go
					   back through the input buffer */
};

struct fwd_srv {
	int                 fd;
	enum ss_state       state;
	struct evl_io       io;
	struct evl_timer    idle_timer;	/* SS_IDLE only */
	struct evl_defer    free_later;
	struct buf          ibuf;	/* response bytes from the server */
	uint64_t            fwd;	/* bytes at ibuf head approved for
					   the client */
	struct sockaddr_storage dst;	/* where it is connected */
	socklen_t           dstlen;
	struct sockaddr_storage src;	/* bound source (spoofed), or
					   family 0 when the system chose */
	socklen_t           srclen;
	const struct cfg_peer *peer;	/* parent, or NULL when direct */
	struct fwd_cli     *cli;	/* owner while serving, NULL in pool */
	unsigned            reused;	/* requests served before this one */
	double              t_connect;	/* when connect() started */
	unsigned            rd_ready:1;	/* readable per last event */
	unsigned            wr_ready:1;	/* writable (speculative) */
	unsigned            eof:1;	/* server closed its side */
	unsigned            rst:1;	/* ... with an error (reset), not
					   a FIN */
	struct fwd_srv     *pool_next;	/* idle pool bucket list */
	struct fwd_srv     *pool_prev;
	struct fwd_srv     *lru_next;	/* idle pool age order */
	struct fwd_srv     *lru_prev;
};

/* One request/response exchange on a client connection. */
struct fwd_txn {
	double              start;	/* first byte of the request head */
	enum h1_method      meth;
	char                method[24];	/* for the log; longer are cut */
	char               *url;	/* absolute URL, owned (reused) */
	size_t              url_cap;
	size_t              url_len;
	char               *host;	/* points into url (NUL-terminated
					   copy kept in hostbuf) */
	char                hostbuf[256];
	unsigned            port;
	size_t              path_off;	/* path starts at url + path_off */
	int                 minor;	/* client's HTTP/1.minor */
	int                 cli_keepalive;	/* client can keep the conn */
	int                 upgrade;	/* request asks for Upgrade */

	struct h1_body      req_body;	/* request framing */
	unsigned            req_scanned:1;	/* whole request body scanned */
	unsigned            req_sent:1;	/* ... and written to the server */
	unsigned            resp_head_done:1;	/* final head built */
	unsigned            resp_scanned:1;	/* whole response body scanned */
	unsigned            resp_close:1;	/* close client after */
	unsigned            srv_reusable:1;	/* server may go to the pool */
	unsigned            retried:1;
	unsigned            dechunk:1;	/* decode chunked for HTTP/1.0 */
	unsigned            logged:1;
	unsigned            aborted:1;	/* cut short: logged _ABORTED */
	struct h1_body      resp_body;
	int                 status;	/* final status sent to the client */
	char                ctype[64];	/* Content-Type for the log */
	uint64_t            bytes_out;	/* bytes written to the client */
	const char         *code;	/* log tag: TCP_MISS ... */
	const char         *hier;	/* HIER_DIRECT, HIER_NONE ... */
	const char         *errname;	/* ERR_* when answered locally */

	struct dns_query   *dns;
	enum dns_for        dns_for;
	struct sockaddr_storage addr[FWD_MAX_ADDRS];	/* candidates */
	socklen_t           addrlen[FWD_MAX_ADDRS];
	int                 naddr;
	int                 addr_idx;
	unsigned            access_done:1;	/* http_access allowed */
	unsigned            origin_resolved:1;	/* addr[] holds the host's */
	unsigned            verify_pending:1;	/* Host check to do */
	unsigned            host_forged:1;	/* Host != original dst */
	unsigned            routes_done:1;
	unsigned            spoofed:1;		/* src is the client's */
	int                 route[FWD_MAX_ROUTES];	/* -1 direct, else a
						   cfg->peer index */
	int                 nroute;
	int                 route_idx;
	const struct cfg_peer *peer;	/* the route being tried, if a parent */
	struct sockaddr_storage src;	/* source to bind, family 0: any */
	socklen_t           srclen;
};

struct fwd_cli {
	int                 fd;
	enum cs_state       state;
	struct evl_io       io;
	struct evl_timer    timer;
	double              deadline;	/* for the lazy timer */
	struct evl_defer    free_later;
	struct cfg         *cfg;	/* reference held */
	const struct cfg_port *port;
	struct sockaddr_storage addr;	/* client address */
	socklen_t           addrlen;
	struct sockaddr_storage local;	/* our address */
	socklen_t           locallen;
	struct sockaddr_storage odst;	/* original destination (tproxy and
					   intercept ports) */
	socklen_t           odstlen;
	int                 intercepted;/* port is tproxy or intercept */
	struct buf          ibuf;	/* request bytes from the client */
	uint64_t            fwd;	/* bytes at ibuf head approved for
					   the server */
	struct buf          reqhead;	/* rewritten request head */
	size_t              reqhead_sent;/* bytes of reqhead written */
	struct buf          obuf;	/* response head / local response */
	struct h1_scan      scan;	/* request head search state */
	struct fwd_txn      txn;
	struct fwd_srv     *srv;	/* server side, while serving */
	struct fwd_pipe     up;		/* client -> server: request
					   bodies, tunnels */
	struct fwd_pipe     down;	/* server -> client: response
					   bodies, tunnels */
	unsigned            nreq;	/* requests on this connection */
	unsigned            rd_ready:1;
	unsigned            wr_ready:1;
	unsigned            eof:1;	/* client closed its side */
	unsigned            rst:1;	/* ... with an error (reset), not
					   a FIN */
	unsigned            shut_wr:1;	/* we shut our write side */
	struct fwd_cli     *next;	/* list of all clients */
	struct fwd_cli     *prev;
};

#endif
