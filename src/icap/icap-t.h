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

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "http/h1-t.h"

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

#endif
