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
	ACL_URL_REGEX,		/* regex on the whole URL */
	ACL_URLPATH_REGEX,	/* regex on the path */
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
					   DSTDOMAIN (lowercased, no
					   trailing dot, sorted by strcmp
					   and unique: acl.c searches them
					   with a binary search) */
		regex_t          *re;	/* *_REGEX */
	} v;
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
};

enum acl_verdict {
	ACL_DENY     = 0,
	ACL_ALLOW    = 1,
	ACL_NEED_DST = 2,	/* a dst ACL decides: resolve, then ask again */
};

#endif
