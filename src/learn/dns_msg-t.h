/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns_msg-t.h - types of the DNS response reader (dns_msg.c; functions in
 * dns_msg.h): the header facts of a message and the answer records the
 * learner keeps (A, AAAA, CNAME of class IN).
 *
 * Wire format, RFC 1035 section 4.1: a 12-byte header (id, flags, four
 * section counts), the question section (name, type, class), then the
 * answer, authority and additional sections of resource records (owner
 * name, type, class, TTL, RDLENGTH, RDATA). Names are sequences of
 * labels, or end in a 2-byte pointer to an earlier name (4.1.4, message
 * compression). AAAA: RFC 3596.
 */
#ifndef TPROXYD_LEARN_DNS_MSG_T_H
#define TPROXYD_LEARN_DNS_MSG_T_H

#include <stddef.h>
#include <stdint.h>

/* A name as text, NUL included: at most 255 octets on the wire (RFC 1035
 * 3.1) is at most 253 characters without the trailing dot. */
#define DNSMSG_TEXT_MAX		254
#define DNSMSG_HDR_LEN		12

/* Record types and the class the reader keeps. */
#define DNSMSG_T_A		1
#define DNSMSG_T_CNAME		5
#define DNSMSG_T_AAAA		28
#define DNSMSG_C_IN		1

/* Header flags (second 16-bit word). */
#define DNSMSG_F_QR		0x8000	/* a response */
#define DNSMSG_F_TC		0x0200	/* truncated: retry over TCP */

/* dnsmsg_parse() results (< 0). */
enum dnsmsg_err {
	DNSMSG_E_SHORT   = -1,	/* ends inside the header, a name or a
				   record its counts announce */
	DNSMSG_E_NAME    = -2,	/* a label type other than 0 and 3
				   (pointer), a name over 255 octets, or a
				   pointer that does not go strictly back
				   (forward or looping) */
	DNSMSG_E_QDCOUNT = -3,	/* more than one question */
	DNSMSG_E_RDATA   = -4,	/* an IN A not 4 bytes, an IN AAAA not 16,
				   a CNAME whose RDATA is not one name */
};

/*
 * One answer record the reader keeps: class IN, type A, AAAA or CNAME,
 * owner (and CNAME target) written as a host name: labels of printable
 * ASCII without '.' or '\', lowercased, joined by dots, no trailing dot
 * (the root is ""). Records whose names cannot be written so are counted
 * in struct dnsmsg's nodd and not kept (no host name can match them).
 */
struct dnsmsg_rr {
	char     name[DNSMSG_TEXT_MAX];	/* owner */
	uint16_t type;			/* DNSMSG_T_A, _AAAA or _CNAME */
	uint32_t ttl;			/* seconds; RFC 2181 8: a value with
					   the top bit set reads as 0 */
	union {
		uint8_t addr[16];	/* A: 4 bytes, AAAA: 16 */
		char    target[DNSMSG_TEXT_MAX];	/* CNAME */
	} d;
};

/* What dnsmsg_parse() found. */
struct dnsmsg {
	uint16_t id;
	uint16_t flags;		/* QR, opcode, AA, TC, RD, RA, Z, RCODE */
	unsigned opcode;	/* (flags >> 11) & 15; 0 is QUERY */
	unsigned rcode;		/* flags & 15; 0 NOERROR, 3 NXDOMAIN */
	uint16_t qdcount, ancount, nscount, arcount;
	/* The question (qdcount 1); qname "" and qtype 0 without one. */
	char     qname[DNSMSG_TEXT_MAX];
	int      qname_odd;	/* qname is not a host name (see above) */
	uint16_t qtype, qclass;
	size_t   nrr;		/* records written to the caller's array */
	size_t   nlost;		/* kept-type answers with no room left */
	size_t   nodd;		/* kept-type answers with a name that is
				   not a host name */
};

#endif
