/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl-t.h - access control lists (Squid's "acl" and "*_access" directives).
 */
#ifndef TPROXYD_ACL_ACL_T_H
#define TPROXYD_ACL_ACL_T_H

#include <netinet/in.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/str.h"

enum acl_type {
	ACL_SRC,		/* client address in a set of ranges */
	ACL_DST,		/* server address in a set of ranges */
	ACL_PORT,		/* destination port in a set of ranges */
	ACL_LOCALPORT,		/* the port the client connected to */
	ACL_MYPORTNAME,		/* http_port name= */
	ACL_METHOD,		/* request method */
	ACL_PROTO,		/* URL scheme: HTTP, HTTPS (CONNECT) ... */
	ACL_DSTDOMAIN,		/* host name, ".example.com" covers
				   subdomains */
	ACL_DSTDOM_REGEX,	/* regex on the host */
	ACL_SRCDOMAIN,		/* client's reverse-DNS name, like
				   DSTDOMAIN */
	ACL_SRCDOM_REGEX,	/* regex on the client's reverse-DNS name */
	ACL_URL_REGEX,		/* regex on the whole URL */
	ACL_URLPATH_REGEX,	/* regex on the path */
	ACL_LOCALIP,		/* the address the client connected to */
	ACL_TIME,		/* days of the week and time of day */
	ACL_BROWSER,		/* regex on the request's User-Agent */
	ACL_REFERER_REGEX,	/* regex on the request's Referer */
	ACL_REQ_HEADER,		/* regex on a named request header */
	ACL_REP_HEADER,		/* regex on a named response header */
	ACL_REQ_MIME_TYPE,	/* regex on the request's Content-Type */
	ACL_REP_MIME_TYPE,	/* regex on the response's Content-Type */
	ACL_HTTP_STATUS,	/* response status in a set of ranges */
	ACL_ARP,		/* client MAC address (same link only) */
	ACL_MAXCONN,		/* client address has more than N
				   connections open */
	ACL_HAS,		/* the transaction has a component */
	ACL_ALL_OF,		/* all acls of one line (lines ORed) */
	ACL_ANY_OF,		/* any acl of any line */
	/* TLS interception (https_port ssl-bump). */
	ACL_AT_STEP,		/* the ssl_bump step (ctx->tls_step) */
	ACL_SERVER_NAME,	/* ssl::server_name: the name computed from
				   SNI, certificate names or the target
				   (acl.c), matched like DSTDOMAIN with
				   wildcard certificate names */
	ACL_SERVER_NAME_REGEX,	/* ssl::server_name_regex: the same names */
	ACL_SSL_ERROR,		/* a certificate validation error */
	ACL_ENCRYPTED,		/* connections_encrypted */
	ACL_SQUID_ERROR,	/* the transaction's error (ERR_...) */
	ACL_EXTERNAL,		/* an external_acl_type helper's answer
				   (ctx->ext_match, src/proxy/extacl.c) */
	ACL_TAG,		/* the tag an external acl's helper gave */
	/* Proxy authentication (acl_auth.c). */
	ACL_PROXY_AUTH,		/* the authenticated user: REQUIRED (any)
				   or in a list of names */
	ACL_PROXY_AUTH_REGEX,	/* regex on the authenticated user name */
};

/* proxy_auth options (struct acl.flags). */
#define ACL_PA_REQUIRED	0x1	/* REQUIRED: any authenticated user */
#define ACL_PA_ICASE	0x2	/* -i: names compared without case */

/* Where a request stands with proxy authentication (acl_ctx.auth). */
enum acl_auth {
	ACL_AUTH_NONE = 0,	/* no usable credentials: a proxy_auth acl
				   asks for them (407) */
	ACL_AUTH_UNCHECKED,	/* credentials the helper has not judged
				   yet */
	ACL_AUTH_OK,		/* accepted: acl_ctx.user is the user */
	ACL_AUTH_FAILED,	/* refused by the helper (407 again) */
	ACL_AUTH_NA,		/* cannot authenticate (an intercepted
				   request): proxy_auth acls do not
				   match */
};

/* ACL_AT_STEP values (v.num): 1, 2, 3 are SslBump1..3, compared with
 * ctx->tls_step. Squid's GeneratingCONNECT step (a CONNECT request sent to
 * a cache_peer) never happens in tproxyd: that value never matches. */
#define ACL_STEP_GENERATING_CONNECT	0x100

/* ssl::server_name and ssl::server_name_regex options (struct acl.flags):
 * where the names come from. At most one per acl. */
#define ACL_SN_CLIENT_REQUESTED	0x1	/* --client-requested: SNI, else
					   the target */
#define ACL_SN_SERVER_PROVIDED	0x2	/* --server-provided: the
					   certificate's names, else "none" */
#define ACL_SN_CONSENSUS	0x4	/* --consensus: SNI if the
					   certificate names it, else
					   "none" */

/* ACL_HAS values. */
enum acl_has {
	ACL_HAS_REQUEST,
	ACL_HAS_RESPONSE,
	ACL_HAS_ALE,
};

/* One address range lo..hi, both ends included, compared as big-endian
 * byte strings; a CIDR net/N is stored as its first and last address. */
struct acl_ip {
	int             family;		/* AF_INET or AF_INET6 */
	struct in6_addr lo, hi;		/* inclusive range (v4 in first
					   4 bytes) */
};

struct acl_range {
	uint32_t lo, hi;
};

/* One "time" entry: on the days in the mask (bit 0 Sunday .. bit 6
 * Saturday), from start to stop minutes after midnight, both included. */
struct acl_time {
	unsigned days;
	unsigned start, stop;
};

/* One req_header / rep_header value: the field name and its regex. */
struct acl_hre {
	const char *name;
	regex_t     re;
};

struct acl_ref;
struct acl_ext;

/* One all-of / any-of line: the acls it names, "!name" negated. */
struct acl_group {
	size_t          n;
	struct acl_ref *ref;
};

/* Where one value was written, for the warnings of the end of the load. */
struct acl_vloc {
	const char *file;
	int         line;
};

struct acl {
	char         *name;
	enum acl_type type;
	const char   *file;		/* where it was defined, for messages */
	int           line;
	size_t        n;		/* number of values */
	union {
		struct acl_ip    *ip;	/* SRC, DST */
		struct acl_range *range;/* PORT, LOCALPORT */
		char            **word;	/* METHOD, PROTO, MYPORTNAME,
					   DSTDOMAIN, SRCDOMAIN,
					   SERVER_NAME (lowercased, no
					   trailing dot, sorted by strcmp
					   and unique: acl.c searches them
					   with a binary search);
					   SSL_ERROR, SQUID_ERROR (names,
					   as written) */
		regex_t          *re;	/* *_REGEX, BROWSER, *_MIME_TYPE */
		struct acl_time  *time;	/* TIME */
		struct acl_hre   *hre;	/* REQ_HEADER, REP_HEADER */
		struct acl_group *grp;	/* ALL_OF, ANY_OF: one per line */
		unsigned char   (*mac)[6];	/* ARP */
		unsigned         *num;	/* MAXCONN (one), HAS, AT_STEP */
		struct acl_ext   *ext;	/* EXTERNAL (config/cfg_extacl-t.h) */
	} v;
	unsigned      flags;		/* SERVER_NAME, SERVER_NAME_REGEX:
					   ACL_SN_* */
	char        **rword;		/* SERVER_NAME: each v.word
					   reversed, sorted by strcmp: the
					   values that end with a suffix,
					   for wildcard certificate names */
	struct acl_vloc *vloc;		/* SRC, DST, LOCALIP: where each of
					   v.ip was written (the load only) */
	struct acl   *next;
};

/* One reference to an ACL inside an access rule, "!name" negates it. */
struct acl_ref {
	const struct acl *acl;
	int               negate;
};

/* One "*_access allow|deny acl..." line. All refs must match (AND). */
struct access_rule {
	int             allow;
	size_t          nref;
	struct acl_ref *ref;
	const char     *file;
	int             line;
};

struct access_list {
	size_t              n;
	struct access_rule *rule;
};

struct http_msg;

/* What a request offers to ACLs. Unknown items are NULL / 0. */
struct acl_ctx {
	const struct sockaddr *client;	/* client address (always set) */
	const struct sockaddr *dst;	/* server address, NULL until known */
	unsigned               dst_port;/* port from the URL or original dst */
	unsigned               local_port;
	struct str             method;
	struct str             proto;	/* "HTTP", ... */
	struct str             host;	/* host from the URL or Host */
	struct str             url;	/* full URL, for url_regex */
	struct str             path;	/* path part, for urlpath_regex */
	const char            *port_name;
	const struct sockaddr *local;	/* the address the client reached */
	const struct http_msg *req;	/* the request as received */
	const struct http_msg *resp;	/* the final response as received,
					   NULL before its head arrived */
	int                    status;	/* status of the reply to the client
					   (also one made here), 0: none */
	long long              now;	/* time for "time" acls; 0: the
					   clock (time(NULL)) */
	/* Connections open from the client's (direct) address, for
	 * "maxconn" acls: asked only when one is evaluated (NULL: 0). */
	unsigned             (*client_conns)(const struct sockaddr *sa);
	const struct sockaddr *direct;	/* the connection's own client */
	/* The client's link-layer address, for "arp" acls: 0 and mac
	 * filled, or -1 (not a neighbour, or no lookup: NULL). */
	int                  (*client_mac)(const struct sockaddr *sa,
					   unsigned char mac[6]);
	/* The client's name from a reverse (PTR) lookup of client, for
	 * srcdomain and srcdom_regex: lowercase, no trailing dot, "none"
	 * when the lookup failed or found no name; NULL when not looked up
	 * (yet). Then such acls answer "unknown" (ACL_NEED_NAME) when
	 * name_wait is set, the caller being able to look the name up and
	 * ask again, and do not match otherwise. */
	const char            *client_name;
	int                    name_wait;

	/* TLS interception (https_port ssl-bump). */
	int                    tls_step;	/* at_step: 1, 2 or 3 (SslBump1
						   ..3); 0: not deciding an
						   ssl_bump step */
	int                    encrypted;	/* connections_encrypted: the
						   client connection is TLS */
	const char            *sni;	/* the client's SNI, NULL: none yet */
	const char *const     *srv_names;	/* the server certificate's
						   names (CN, SANs) */
	size_t                 nsrv_names;	/* 0: no certificate seen */
	const char *const     *ssl_errors;	/* its validation errors
						   ("X509_V_ERR_...", as
						   acl_ssl_error_name()
						   names OpenSSL's codes) */
	size_t                 nssl_errors;
	const char            *squid_error;	/* squid_error: the ERR_* the
						   transaction got, NULL:
						   none */

	/* External acls (external_acl_type): the helper's answer for acl,
	 * 1 match, 0 no match, ACL_M_NEED_EXT (not known yet: only when
	 * name_wait is set, the caller then asks the helper and checks
	 * again) or ACL_M_EXT_FAIL (no answer: the check ends as not
	 * allowed, as Squid's ACCESS_DUNNO does). NULL: no match. */
	int                  (*ext_match)(const struct acl *acl,
					  const struct acl_ctx *ctx);
	const void            *ext_arg;	/* for ext_match */
	const char            *tag;	/* the helper's tag=, for "tag" acls;
					   NULL: none */
	/* Proxy authentication (acl_auth.c). A proxy_auth acl matches
	 * against user when auth is ACL_AUTH_OK. In any other state but
	 * ACL_AUTH_NA it does not match, unless auth_wait is set: then it
	 * answers ACL_M_NEED_AUTH and the walk stops there (Squid's
	 * "authentication required" ends an http_access check); the caller
	 * checks the credentials or sends a challenge. auth_na (may be
	 * NULL) counts the proxy_auth acls reached in state ACL_AUTH_NA. */
	enum acl_auth          auth;
	const char            *user;
	int                    auth_wait;
	unsigned              *auth_na;
};

enum acl_verdict {
	ACL_DENY     = 0,
	ACL_ALLOW    = 1,
	ACL_NEED_DST = 2,	/* a dst ACL decides: resolve, then ask again */
	ACL_NEED_NAME = 3,	/* a srcdomain or srcdom_regex ACL decides:
				   look the client's name up, then ask
				   again */
	ACL_NEED_EXT = 4,	/* an external acl's answer is not known: ask
				   its helper, then ask again */
	ACL_NEED_AUTH = 5,	/* a proxy_auth acl needs credentials
				   checked (auth_wait): check them, or
				   challenge the client */
};

#endif
