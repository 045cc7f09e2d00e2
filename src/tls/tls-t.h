/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls-t.h - what the TLS handshake readers (hello.c, server.c) find in the
 * first bytes of each direction of a TLS connection, without decrypting
 * anything: the client's ClientHello (SNI, ALPN, versions, ciphers,
 * extensions, Encrypted Client Hello) and the server's first flight
 * (ServerHello, and for TLS 1.2 and older its certificate chain).
 *
 * The readers are pure functions over a byte array (the start of a
 * connection as received so far); they never consume or change it, so the
 * same bytes can be forwarded untouched afterwards.
 */
#ifndef TPROXYD_TLS_TLS_T_H
#define TPROXYD_TLS_TLS_T_H

#include <stddef.h>
#include <stdint.h>

/* Results of the readers (negative: no usable handshake). */
enum tls_rc {
	TLS_OK           = 0,	/* the message is complete and parsed */
	TLS_INCOMPLETE   = -1,	/* valid so far; more bytes are needed */
	TLS_NOT_TLS      = -2,	/* the first bytes are not a TLS handshake
				   record (another protocol) */
	TLS_E_MALFORMED  = -3,	/* TLS, but the message is broken */
	TLS_E_TOO_LONG   = -4,	/* not complete within the size limit */
	TLS_E_ALERT      = -5,	/* the peer sent an alert (server side) */
};

#define TLS_SNI_MAX      256	/* a host name (253) and its NUL */
#define TLS_ALPN_TEXT    128	/* "h2,http/1.1", cut at a whole name */
#define TLS_MAX_VERSIONS 8
#define TLS_MAX_CIPHERS  128
#define TLS_MAX_EXTS     64
#define TLS_MAX_CERTS    8	/* certificates kept of a chain */

/* Protocol versions on the wire. */
#define TLS_V_SSL3 0x0300
#define TLS_V_1_0  0x0301
#define TLS_V_1_1  0x0302
#define TLS_V_1_2  0x0303
#define TLS_V_1_3  0x0304

/* Extension types the readers look at. */
#define TLS_EXT_SNI                 0x0000
#define TLS_EXT_SIG_ALGS            0x000d	/* signature_algorithms */
#define TLS_EXT_ALPN                0x0010
#define TLS_EXT_SUPPORTED_VERSIONS  0x002b
#define TLS_EXT_ECH                 0xfe0d	/* Encrypted Client Hello */

/* A ClientHello. GREASE values (RFC 8701) are left out of versions,
 * ciphers and exts. */
struct tls_hello {
	size_t   len;		/* bytes of the records that carried the
				   whole ClientHello (from byte 0) */
	unsigned nrecords;	/* how many records it spanned */
	uint16_t record_version;	/* of the first record */
	uint16_t legacy_version;	/* ClientHello.legacy_version */
	uint16_t version;	/* highest version offered (supported_versions
				   when present, else legacy_version) */
	uint16_t versions[TLS_MAX_VERSIONS];	/* supported_versions */
	unsigned nversions;
	char     sni[TLS_SNI_MAX];	/* server_name host_name, lowercase,
					   no trailing dot; "" when none */
	unsigned has_sni:1;	/* a valid host name was sent */
	unsigned sni_invalid:1;	/* a server_name extension was sent but its
				   name is not a valid host name (sni is "") */
	unsigned sni_ip:1;	/* sni is an IPv4 or IPv6 address literal:
				   RFC 6066 forbids it, clients send it
				   anyway; kept as the name */
	unsigned ech:1;		/* an encrypted_client_hello extension: this
				   is the outer hello, the real one is
				   encrypted (or a GREASE ECH) */
	unsigned ecdsa:1;	/* the client accepts an ECDSA certificate:
				   it offers an ECDSA signature scheme
				   (signature_algorithms), or without that
				   extension an ECDHE_ECDSA cipher suite;
				   else a bumping port presents RSA */
	char     alpn[TLS_ALPN_TEXT];	/* offered protocols, comma
					   separated; "" when none */
	uint16_t ciphers[TLS_MAX_CIPHERS];
	unsigned nciphers;	/* kept (at most TLS_MAX_CIPHERS) */
	uint16_t exts[TLS_MAX_EXTS];	/* extension types in wire order */
	unsigned nexts;
	const char *why;	/* TLS_E_MALFORMED, TLS_NOT_TLS: what was
				   wrong ("SSLv2 hello", "duplicate
				   extension", ...), a static string; NULL
				   otherwise */
};

/* One certificate of the server's chain: where its DER bytes are in the
 * buffer that was parsed (valid while that buffer is). */
struct tls_cert_ref {
	size_t off;
	size_t len;
};

/* The server's first flight. */
struct tls_server {
	size_t   len;		/* bytes parsed, through the last message
				   read (ServerHello, or Certificate) */
	uint16_t version;	/* negotiated: supported_versions when
				   present, else ServerHello.version */
	uint16_t cipher;
	char     alpn[TLS_ALPN_TEXT];	/* selected protocol (TLS 1.2 and
					   older: TLS 1.3 sends it
					   encrypted), "" when none */
	unsigned hello_retry:1;	/* a HelloRetryRequest, not a ServerHello */
	unsigned has_certs:1;	/* ncerts certificates were read (TLS 1.2
				   and older; TLS 1.3 encrypts them) */
	unsigned certs_partial:1;	/* the chain holds more than cert[]
					   shows: over TLS_MAX_CERTS, or a
					   certificate split over two records
					   (its bytes are not contiguous in
					   the buffer: it and the ones after
					   it are left out) */
	struct tls_cert_ref cert[TLS_MAX_CERTS];	/* leaf first */
	unsigned ncerts;
	uint8_t  alert_level;	/* TLS_E_ALERT: the alert */
	uint8_t  alert_desc;
	const char *why;	/* as in struct tls_hello */
};

#endif
