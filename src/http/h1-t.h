/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * h1-t.h - types of the HTTP/1.1 parser and message framing (RFC 9112).
 *
 * The parser is pure: it reads caller-owned bytes, never allocates, keeps no
 * global state, and returns (pointer, length) views into the caller's bytes.
 */
#ifndef TPROXYD_HTTP_H1_T_H
#define TPROXYD_HTTP_H1_T_H

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

/* Most header fields one message may carry (Squid's limit is 64 KiB of
 * headers, not a count; 100 fields is HAProxy's default). */
#define H1_MAX_HEADERS 100

/*
 * Return codes of the parsers. A positive value is a length consumed; the
 * negative values below say why parsing stopped. h1_strerror() names them.
 */
enum h1_rc {
	H1_INCOMPLETE   = -1,	/* need more bytes; call again with more */
	H1_E_SYNTAX     = -2,	/* malformed start line or field line */
	H1_E_METHOD     = -3,	/* method is not a token */
	H1_E_TARGET     = -4,	/* request-target has invalid characters */
	H1_E_VERSION    = -5,	/* not HTTP-version syntax */
	H1_E_HDR_NAME   = -6,	/* field name empty, not a token, or
				   whitespace before the colon */
	H1_E_HDR_VALUE  = -7,	/* NUL, bare CR or other control in value */
	H1_E_OBS_FOLD   = -8,	/* obsolete line folding (rejected in
				   requests and responses alike) */
	H1_E_TOO_LONG   = -9,	/* header block larger than allowed */
	H1_E_TOO_MANY   = -10,	/* more than H1_MAX_HEADERS fields */
	H1_E_STATUS     = -11,	/* bad status code in a response */
	H1_E_BARE_CR    = -12,	/* CR not followed by LF */
	H1_E_CL         = -13,	/* invalid or conflicting Content-Length */
	H1_E_TE         = -14,	/* Transfer-Encoding not ending in chunked,
				   together with Content-Length, or in
				   an HTTP/1.0 request */
	H1_E_TE_UNSUP   = -15,	/* a transfer coding we do not implement */
	H1_E_CHUNK      = -16,	/* bad chunk size line, extension or CRLF */
	H1_E_CHUNK_SIZE = -17,	/* chunk size overflows 63 bits */
	H1_E_VERSION_UNSUP = -18, /* well-formed, major version not 1 */
	H1_E_LAST       = H1_E_VERSION_UNSUP	/* the lowest code */
};

/* Method classification. */
enum h1_method {
	H1_M_OTHER, H1_M_GET, H1_M_HEAD, H1_M_POST, H1_M_PUT, H1_M_DELETE,
	H1_M_CONNECT, H1_M_OPTIONS, H1_M_TRACE, H1_M_PATCH,
};

struct h1_header {
	struct str name;
	struct str value;	/* leading and trailing whitespace trimmed */
};

/* State kept by the caller between calls on a growing buffer, so that the
 * search for the end of the header block does not rescan old bytes (it
 * resumes two bytes back, where "\n\r\n" may straddle the old end). Zero
 * it before the first call of each message. */
struct h1_scan {
	size_t scanned;
};

struct h1_req {
	struct str method;
	struct str target;	/* as sent: origin-, absolute-, authority- or
				   asterisk-form */
	int        minor;	/* 0 or 1: HTTP/1.minor */
	size_t     nhdr;
	struct h1_header hdr[H1_MAX_HEADERS];
};

struct h1_resp {
	int        minor;
	int        status;	/* 100..999 */
	struct str reason;
	size_t     nhdr;
	struct h1_header hdr[H1_MAX_HEADERS];
};

/* How a message body is delimited (RFC 9112 section 6.3). */
enum h1_body_kind {
	H1_BODY_NONE,		/* no body */
	H1_BODY_LENGTH,		/* Content-Length: left bytes remain */
	H1_BODY_CHUNKED,	/* chunked transfer coding */
	H1_BODY_CLOSE,		/* response read until the server closes */
	H1_BODY_TUNNEL,		/* CONNECT/101: raw bytes both ways */
};

/* Resumable chunked-coding scanner state (private to h1_body_scan). */
struct h1_chunk {
	int      state;
	uint64_t left;		/* data bytes left in the current chunk */
	unsigned digits;	/* significant hex digits in the size */
};

struct h1_body {
	enum h1_body_kind kind;
	uint64_t          left;	/* H1_BODY_LENGTH: bytes still to come */
	struct h1_chunk   chunk;
};

/* Facts about a message's header fields that forwarding needs, collected in
 * one pass by h1_msg_info(). */
struct h1_info {
	int      conn_close;	/* Connection: close */
	int      conn_keepalive;/* Connection: keep-alive (HTTP/1.0) */
	int      conn_upgrade;	/* Connection: upgrade */
	int      has_cl;	/* a valid Content-Length was present */
	int      bad_cl;	/* an invalid or conflicting one was: the
				   message cannot be framed (H1_E_CL) */
	uint64_t cl;
	int      has_te;	/* Transfer-Encoding present */
	int      te_chunked;	/* ... and its last coding is chunked */
	int      te_codings;	/* codings listed in all TE fields */
	int      expect_100;	/* Expect: 100-continue */
	int      host;		/* index of Host in hdr[], or -1 */
	int      nhost;		/* how many Host fields */
	int      upgrade;	/* index of Upgrade in hdr[], or -1 */
};

#endif
