/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wccp2-t.h - WCCPv2 wire constants and the decoded form of a message.
 *
 * References (read for understanding; the code is our own):
 * draft-wilson-wrec-wccp-v2-01 (WCCP V2.0) and draft-mclaggan-wccp-v2rev1
 * (revision 1: capabilities, mask assignment, alternate assignment).
 *
 * Conventions in struct wccp2_msg:
 *  - IPv4 addresses are uint32_t in HOST byte order (compare with <, print
 *    with wccp2_ip_str()); the codec converts at the wire.
 *  - Every list has a fixed maximum (WCCP2_MAX_*): the decoder never
 *    allocates, and a message announcing more than the maximum is refused
 *    (WCCP2_E_TOOMANY) rather than truncated silently.
 *  - has_* flags say which components were present (decode) or are to be
 *    written (encode).
 */
#ifndef TPROXYD_WCCP_WCCP2_T_H
#define TPROXYD_WCCP_WCCP2_T_H

#include <stddef.h>
#include <stdint.h>

#define WCCP2_PORT		2048
#define WCCP2_VERSION		0x0200

/* Message types (header, 32 bits). */
enum wccp2_msg_type {
	WCCP2_HERE_I_AM		= 10,
	WCCP2_I_SEE_YOU		= 11,
	WCCP2_REDIRECT_ASSIGN	= 12,
	WCCP2_REMOVAL_QUERY	= 13,
};

/* Component types (16 bits). */
enum wccp2_comp_type {
	WCCP2_C_SECURITY	= 0,
	WCCP2_C_SERVICE		= 1,
	WCCP2_C_ROUTER_ID	= 2,
	WCCP2_C_WC_ID		= 3,
	WCCP2_C_ROUTER_VIEW	= 4,
	WCCP2_C_WC_VIEW		= 5,
	WCCP2_C_ASSIGNMENT	= 6,
	WCCP2_C_QUERY		= 7,
	WCCP2_C_CAPABILITIES	= 8,
	WCCP2_C_ALT_ASSIGNMENT	= 13,
	WCCP2_C_ASSIGN_MAP	= 14,
	WCCP2_C_COMMAND_EXT	= 15,
};

/* Security Info option. */
enum wccp2_security {
	WCCP2_SEC_NONE	= 0,
	WCCP2_SEC_MD5	= 1,
};
#define WCCP2_PASSWORD_LEN	8	/* the key is padded with NULs to 8 */

/* Service Info type, and the one standard service tproxyd knows. */
enum wccp2_svc_type {
	WCCP2_SVC_STANDARD	= 0,
	WCCP2_SVC_DYNAMIC	= 1,
};
#define WCCP2_SVC_WEB_CACHE	0	/* standard 0: TCP dst port 80 */

/* Service flags (32 bits). */
#define WCCP2_SF_SRC_IP_HASH		0x0001
#define WCCP2_SF_DST_IP_HASH		0x0002
#define WCCP2_SF_SRC_PORT_HASH		0x0004
#define WCCP2_SF_DST_PORT_HASH		0x0008
#define WCCP2_SF_PORTS_DEFINED		0x0010
#define WCCP2_SF_PORTS_SOURCE		0x0020
#define WCCP2_SF_SRC_IP_ALT_HASH	0x0100
#define WCCP2_SF_DST_IP_ALT_HASH	0x0200
#define WCCP2_SF_SRC_PORT_ALT_HASH	0x0400
#define WCCP2_SF_DST_PORT_ALT_HASH	0x0800

/* Capability element types, and their 32-bit flag values. */
enum wccp2_cap_type {
	WCCP2_CAP_FORWARD	= 1,
	WCCP2_CAP_ASSIGN	= 2,
	WCCP2_CAP_RETURN	= 3,
};
#define WCCP2_METHOD_GRE	0x1	/* forwarding and return */
#define WCCP2_METHOD_L2		0x2
#define WCCP2_ASSIGN_HASH	0x1	/* assignment method */
#define WCCP2_ASSIGN_MASK	0x2

/* Web-Cache Identity Element flags: bits 1-2 carry the type of the
 * assignment data that follows (rev1); 0 is the original hash element. */
#define WCCP2_WCF_U		0x0001	/* hash information is historical */
#define WCCP2_WCF_TYPE_SHIFT	1
#define WCCP2_WCF_TYPE_MASK	0x0006
enum wccp2_wc_data {
	WCCP2_WCD_HASH		= 0,
	WCCP2_WCD_MASK		= 1,
	WCCP2_WCD_NONE		= 2,
	WCCP2_WCD_EXTENDED	= 3,
};

/* Alternate Assignment component: assignment type. */
enum wccp2_assign_type {
	WCCP2_AT_HASH	= 0,
	WCCP2_AT_MASK	= 1,
};

#define WCCP2_NBUCKETS		256
#define WCCP2_BUCKET_UNASSIGNED	0xff

/* Limits of the decoded form (see the header comment). */
#define WCCP2_MAX_ROUTERS	32
#define WCCP2_MAX_CACHES	32
#define WCCP2_MAX_MASKS		4	/* mask/value set elements */
#define WCCP2_MAX_VALUES	256	/* value elements, over all masks */
#define WCCP2_MSG_MAX		8192	/* largest message we build or read */

/* Decoder and encoder results: 0 / length, or one of these (< 0). */
enum wccp2_err {
	WCCP2_E_SHORT		= -1,	/* ends inside a header or field */
	WCCP2_E_VERSION		= -2,	/* not version 2.00 */
	WCCP2_E_LENGTH		= -3,	/* length fields disagree */
	WCCP2_E_COMPONENT	= -4,	/* a component's body is malformed */
	WCCP2_E_TOOMANY		= -5,	/* a count above WCCP2_MAX_* */
	WCCP2_E_MISSING		= -6,	/* a required component is absent */
	WCCP2_E_DUP		= -7,	/* a component appears twice */
	WCCP2_E_TYPE		= -8,	/* unknown message type */
	WCCP2_E_SECURITY	= -9,	/* unknown security option */
	WCCP2_E_NOSPACE		= -10,	/* encode: buffer too small */
	WCCP2_E_AUTH		= -11,	/* MD5 checksum does not match */
};

struct wccp2_service {
	uint8_t         type;		/* enum wccp2_svc_type */
	uint8_t         id;
	uint8_t         priority;
	uint8_t         protocol;	/* IPPROTO_TCP / IPPROTO_UDP */
	uint32_t        flags;		/* WCCP2_SF_* */
	uint16_t        ports[8];	/* 0: unused */
};

/* Router Identity Element. */
struct wccp2_router_id {
	uint32_t        ip;
	uint32_t        recv_id;	/* the router's I_SEE_YOU counter */
};

/* One Mask/Value Set Element; its values are val[first .. first+nval). */
struct wccp2_mask_elem {
	uint32_t        src_ip_mask;
	uint32_t        dst_ip_mask;
	uint16_t        src_port_mask;
	uint16_t        dst_port_mask;
	uint32_t        first;
	uint32_t        nval;
};

struct wccp2_mask_value {
	uint32_t        src_ip;
	uint32_t        dst_ip;
	uint16_t        src_port;
	uint16_t        dst_port;
	uint32_t        cache_ip;
};

/* A Mask/Value Set List. */
struct wccp2_mask_set {
	uint32_t        nmask;
	struct wccp2_mask_elem mask[WCCP2_MAX_MASKS];
	uint32_t        nval;		/* total over all masks */
	struct wccp2_mask_value val[WCCP2_MAX_VALUES];
};

/*
 * Web-Cache Identity Element. For hash data: buckets (a 256-bit bitmap of
 * the buckets this cache holds). For mask data inside an identity (a
 * router's view, or our HERE_I_AM) only the masks are kept, not their
 * values: nothing here needs them, and it keeps the element small.
 */
struct wccp2_cache_id {
	uint32_t        ip;
	uint16_t        hash_rev;
	uint16_t        flags;		/* WCCP2_WCF_*, incl. the data type */
	uint8_t         buckets[32];	/* WCCP2_WCD_HASH */
	uint32_t        nmask;		/* WCCP2_WCD_MASK */
	struct wccp2_mask_elem mask[WCCP2_MAX_MASKS];
	uint16_t        weight;
	uint16_t        status;
};

/* Assignment (Assignment Info, or Alternate Assignment). */
struct wccp2_assignment {
	uint16_t        type;		/* enum wccp2_assign_type */
	int             alternate;	/* sent as component 13, not 6 */
	uint32_t        key_ip;
	uint32_t        key_change;
	uint32_t        nrouters;
	struct {
		uint32_t ip;
		uint32_t recv_id;
		uint32_t change;
	}               router[WCCP2_MAX_ROUTERS];
	/* hash */
	uint32_t        ncaches;
	uint32_t        cache[WCCP2_MAX_CACHES];
	uint8_t         bucket[WCCP2_NBUCKETS];	/* index into cache[] */
	/* mask */
	struct wccp2_mask_set mask;
};

struct wccp2_msg {
	uint32_t        type;		/* enum wccp2_msg_type */

	/* Security Info (all messages). md5_off is where the checksum
	 * lies in the decoded buffer (for wccp2_md5_verify). */
	uint32_t        security;	/* enum wccp2_security */
	uint8_t         md5[16];
	size_t          md5_off;

	int             has_service;
	struct wccp2_service service;

	/* HERE_I_AM */
	int             has_wc_id;
	struct wccp2_cache_id wc_id;
	int             has_wc_view;
	struct {
		uint32_t change;
		uint32_t nrouters;
		struct wccp2_router_id router[WCCP2_MAX_ROUTERS];
		uint32_t ncaches;
		uint32_t cache[WCCP2_MAX_CACHES];
	}               wc_view;

	/* I_SEE_YOU */
	int             has_router_id;
	struct {
		struct wccp2_router_id id;
		uint32_t sent_to;
		uint32_t nrecv;
		uint32_t recv_from[WCCP2_MAX_ROUTERS];
	}               router_id;
	int             has_router_view;
	struct {
		uint32_t change;
		uint32_t key_ip;
		uint32_t key_change;
		uint32_t nrouters;
		uint32_t router[WCCP2_MAX_ROUTERS];
		uint32_t ncaches;
		struct wccp2_cache_id cache[WCCP2_MAX_CACHES];
	}               router_view;

	/* REDIRECT_ASSIGN */
	int             has_assign;
	struct wccp2_assignment assign;

	/* REMOVAL_QUERY */
	int             has_query;
	struct {
		struct wccp2_router_id id;
		uint32_t sent_to;
		uint32_t target;
	}               query;

	/* Capabilities Info (0: that capability was not announced). */
	int             has_caps;
	uint32_t        cap_forward;
	uint32_t        cap_assign;
	uint32_t        cap_return;
};

#endif
