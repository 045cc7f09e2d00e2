/*
 * hdr.h - rewriting header blocks on their way through the proxy:
 * hop-by-hop fields removed (RFC 9110 7.6.1), Via added, X-Forwarded-For
 * handled per forwarded_for, Host set from the request target.
 */
#ifndef TPROXYD_HTTP_HDR_H
#define TPROXYD_HTTP_HDR_H

#include <stdint.h>

#include "core/buf-t.h"
#include "http/h1-t.h"

/* X-Forwarded-For handling (values of config's enum fwd_for). */
enum hdr_xff { HDR_XFF_ON, HDR_XFF_OFF, HDR_XFF_TRANSPARENT,
	       HDR_XFF_DELETE, HDR_XFF_TRUNCATE };

struct hdr_req_opts {
	struct str   method;
	struct str   target;	/* origin-form path, or absolute URL for a
				   parent proxy */
	struct str   host;	/* value for Host: "name[:port]" */
	const char  *via_name;	/* NULL: no Via added */
	int          xff;	/* enum hdr_xff */
	const char  *client;	/* client address text for XFF */
	int          upgrade;	/* keep Connection: upgrade + Upgrade */
	int          drop_expect;/* remove Expect (we answer 100 here) */
	int          has_cl;	/* send one Content-Length: cl, whatever
				   duplicates came (RFC 9110 8.6) */
	uint64_t     cl;
};

/* Append the request head for the server to out. Returns 0 or -ENOSPC. */
int hdr_build_req(struct buf *out, const struct h1_req *req,
		  const struct hdr_req_opts *o);

struct hdr_resp_opts {
	const char  *via_name;	/* NULL: no Via */
	int          keepalive;	/* Connection: keep-alive vs close */
	int          client_minor;	/* 0: HTTP/1.0 client */
	int          upgrade;	/* 101: keep Connection: upgrade, Upgrade */
	int          drop_framing;	/* remove Content-Length and
					   Transfer-Encoding (dechunking) */
	int          drop_cl;	/* remove Content-Length (TE present) */
	int          has_cl;	/* send one Content-Length: cl */
	uint64_t     cl;
};

/* Append the response head for the client. Returns 0 or -ENOSPC. */
int hdr_build_resp(struct buf *out, const struct h1_resp *resp,
		   const struct hdr_resp_opts *o);

#endif
