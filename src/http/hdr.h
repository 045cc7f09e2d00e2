/* SPDX-License-Identifier: GPL-2.0-or-later */
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

/*
 * Header rules (Squid's request_header_access and reply_header_access
 * with their _replace lines): a filter sees each field about to be sent,
 * the ones the proxy generates (Via, X-Forwarded-For) included, and says
 * what becomes of it. The framing fields (Content-Length,
 * Transfer-Encoding), Host and Connection are never shown to it: they
 * decide how the next hop reads the message, so no rule changes them.
 */
enum hdr_verdict { HDR_KEEP, HDR_DROP, HDR_REPLACE };

/* On HDR_REPLACE, *value is set to the value to send (the caller's
 * memory, valid until the head is built). */
typedef enum hdr_verdict hdr_filter_fn(void *arg, struct str name,
				       struct str *value);

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
	hdr_filter_fn *filter;	/* NULL: every field passes */
	void        *filter_arg;
	const struct h1_header *add;	/* fields appended last, as they
					   are (request_header_add) */
	size_t       nadd;
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
	int          drop_te;	/* remove Transfer-Encoding (a stored
				   body is sent with its length) */
	int          set_age;	/* replace Age with "Age: age" (a
				   response from the cache) */
	uint64_t     age;
	const struct h1_header *extra;	/* fields added after the
					   received ones (a 206's
					   Content-Range), filtered like
					   them */
	size_t       nextra;
	hdr_filter_fn *filter;	/* as in hdr_req_opts */
	void        *filter_arg;
	const struct h1_header *add;
	size_t       nadd;
};

/* Append the response head for the client. Returns 0 or -ENOSPC. */
int hdr_build_resp(struct buf *out, const struct h1_resp *resp,
		   const struct hdr_resp_opts *o);

#endif
