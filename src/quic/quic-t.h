/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quic-t.h - what the QUIC Initial reader (src/quic/) finds in the first
 * datagrams a client sends on a UDP flow: the version, the connection IDs,
 * and the TLS ClientHello that the Initial packets carry encrypted with
 * keys anybody can derive (RFC 9001 §5.2, RFC 9369 §3.3).
 *
 * The reader is pure: no sockets, no clock. The caller feeds the client's
 * datagrams one by one into a struct quic_hello_ctx until it answers
 * QUIC_DONE (the ClientHello is read: SNI, ALPN in hello), QUIC_NOT_QUIC
 * (pass the flow untouched) or QUIC_MALFORMED (why says what).
 */
#ifndef TPROXYD_QUIC_QUIC_T_H
#define TPROXYD_QUIC_QUIC_T_H

#include <stddef.h>
#include <stdint.h>

#include "tls/tls-t.h"

/* Results of quic_hello_feed(). */
enum quic_rc {
	QUIC_NEED_MORE = 0,	/* valid so far: feed the next datagram */
	QUIC_DONE      = 1,	/* the ClientHello is complete and read */
	QUIC_NOT_QUIC  = -1,	/* not a QUIC v1/v2 client's first flight
				   (another protocol, another version, a
				   connection already under way): leave
				   the flow alone */
	QUIC_MALFORMED = -2,	/* QUIC v1/v2, but broken or hostile, or
				   beyond the reader's bounds */
};

#define QUIC_V1          0x00000001u	/* RFC 9000 */
#define QUIC_V2          0x6b3343cfu	/* RFC 9369 */

#define QUIC_CID_MAX     20	/* connection ID bytes in v1 and v2 */
#define QUIC_CID_MIN_INITIAL 8	/* a client's first Destination CID
				   (RFC 9000 §7.2) */
#define QUIC_CRYPTO_MAX  65536	/* CRYPTO stream bytes kept per flow: the
				   ClientHello must end within it */
#define QUIC_RANGES_MAX  32	/* disjoint CRYPTO byte ranges held */
#define QUIC_DGRAMS_MAX  32	/* datagrams read before giving up on a
				   ClientHello that never completes */
#define QUIC_DGRAM_MAX   65535	/* longest datagram read */

/* Initial packet protection keys of one direction (AES-128-GCM). */
struct quic_keys {
	uint8_t secret[32];	/* client_initial_secret (or server's) */
	uint8_t key[16];
	uint8_t iv[12];
	uint8_t hp[16];		/* header protection (AES-128-ECB) */
};

/* Long header packet types, by meaning (the bits differ: RFC 9369 §3.2). */
enum quic_pt {
	QUIC_PT_INITIAL   = 0,
	QUIC_PT_0RTT      = 1,
	QUIC_PT_HANDSHAKE = 2,
	QUIC_PT_RETRY     = 3,
};

/* One long header packet in a datagram (quic_initial_parse()); the
 * pointers are into the datagram. */
struct quic_pkt {
	uint32_t version;
	enum quic_pt type;
	const uint8_t *dcid;
	uint8_t  dcid_len;
	const uint8_t *scid;
	uint8_t  scid_len;
	const uint8_t *token;	/* Initial only */
	size_t   token_len;
	size_t   pn_off;	/* where the (protected) packet number is */
	size_t   len;		/* the whole packet, from its first byte */
};

/* What quic_initial_seal() builds (tests and corpus generation). */
struct quic_seal {
	uint32_t version;
	const uint8_t *dcid;
	size_t   dcid_len;
	const uint8_t *scid;
	size_t   scid_len;
	const uint8_t *token;
	size_t   token_len;
	uint64_t pn;
	unsigned pn_len;	/* 1..4 bytes on the wire */
	unsigned reserved;	/* the 2 reserved bits (0 in a valid
				   packet: tests of their check) */
	const uint8_t *payload;	/* frames */
	size_t   payload_len;
};

/* A received range [start, end) of the CRYPTO stream. */
struct quic_range {
	uint32_t start;
	uint32_t end;
};

/*
 * One flow's reader state. Zeroed by quic_hello_init(); owns buf (freed
 * by quic_hello_free()). Its memory is bounded: this struct plus buf,
 * which grows with the highest CRYPTO offset seen up to QUIC_CRYPTO_MAX.
 */
struct quic_hello_ctx {
	int      rc;		/* last result; sticky once not NEED_MORE */
	uint32_t version;	/* of the first long header packet seen
				   (set for NOT_QUIC on a foreign version
				   too: 0 for Version Negotiation) */
	uint8_t  dcid[QUIC_CID_MAX];	/* the client's first Initial's
					   Destination CID: the keys' input */
	uint8_t  dcid_len;
	uint8_t  scid[QUIC_CID_MAX];	/* its Source CID */
	uint8_t  scid_len;
	unsigned have_keys:1;
	struct quic_keys keys;	/* derived from dcid */
	int64_t  largest_pn;	/* highest Initial packet number opened,
				   -1 before the first */
	unsigned ndgrams;	/* datagrams fed */
	unsigned ninitials;	/* Initial packets opened */
	uint8_t *buf;		/* CRYPTO stream bytes, by offset */
	size_t   cap;		/* bytes allocated at buf */
	struct quic_range ranges[QUIC_RANGES_MAX];	/* received, sorted,
							   disjoint */
	unsigned nranges;
	struct tls_hello hello;	/* QUIC_DONE: the ClientHello */
	const char *why;	/* NOT_QUIC, MALFORMED: what, a static
				   string */
};

#endif
