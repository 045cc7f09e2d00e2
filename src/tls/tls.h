/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls.h - reading TLS handshakes without decrypting them (types in
 * tls-t.h): the client's ClientHello and the server's first flight, and
 * the names and validity of a server certificate.
 */
#ifndef TPROXYD_TLS_TLS_H
#define TPROXYD_TLS_TLS_H

#include "tls/tls-t.h"

/*
 * Read the ClientHello at the start of p[0..n): the TLS records that carry
 * it may come in pieces (a record over several reads, the message over
 * several records). Returns TLS_OK with *h filled (h->len: the bytes of
 * those records), TLS_INCOMPLETE when more bytes are needed, TLS_NOT_TLS
 * when the bytes cannot be the start of a TLS handshake, TLS_E_MALFORMED,
 * or TLS_E_TOO_LONG when the hello is not complete within max bytes.
 * Never reads past p + n; p is not changed.
 */
int tls_hello_parse(const uint8_t *p, size_t n, size_t max,
		    struct tls_hello *h);

/*
 * Read a ClientHello handshake message without its records: p[0..n)
 * starts with the message header, as QUIC's CRYPTO stream carries it
 * (RFC 9001 §4). Same results as tls_hello_parse() (h->len: the message's
 * bytes, h->nrecords and h->record_version 0); TLS_E_TOO_LONG when the
 * header announces more than n bytes, TLS_INCOMPLETE never for a whole
 * message. Never reads past p + n.
 */
int tls_hello_parse_msg(const uint8_t *p, size_t n, struct tls_hello *h);

/*
 * Read the server's first flight at the start of p[0..n): ServerHello, and
 * for TLS 1.2 and older the Certificate message after it. TLS_OK when what
 * can be seen without decrypting has been read (TLS 1.3: the ServerHello;
 * TLS 1.2: through the Certificate message, or the ServerHelloDone when
 * the server sends none), TLS_INCOMPLETE, TLS_NOT_TLS, TLS_E_MALFORMED,
 * TLS_E_TOO_LONG (beyond max) or TLS_E_ALERT (s->alert_* set).
 */
int tls_server_parse(const uint8_t *p, size_t n, size_t max,
		     struct tls_server *s);

/* Text for a version: "TLS/1.3", "TLS/1.2", ... "SSL/3.0" (Squid's
 * %ssl::>negotiated_version form); "-" for 0 or an unknown one. */
const char *tls_version_str(uint16_t v);

const char *tls_strerror(int rc);

/*
 * The names of a DER certificate (cert.c, with OpenSSL): its subject
 * alternative names (DNS, and IP addresses as text) and its subject CN,
 * lowercase, each NUL-terminated in out[i] (at most max names of
 * TLS_SNI_MAX bytes each). Returns the count, or -1 when the bytes are not
 * a certificate.
 */
int tls_cert_names(const uint8_t *der, size_t len, char (*out)[TLS_SNI_MAX],
		   int max);

/*
 * Validate a server's chain (certs in p, leaf first) for host as OpenSSL
 * does for a client (trust store: cafile, or the system's when NULL),
 * at time now. Writes the names of the errors found ("X509_V_ERR_...",
 * "SQUID_X509_V_ERR_DOMAIN_MISMATCH") into err[0..max) and returns their
 * count (0: valid), or -1 when it cannot check.
 */
int tls_cert_verify(const uint8_t *p, const struct tls_cert_ref *cert,
		    unsigned ncert, const char *host, const char *cafile,
		    const char **err, int max);

/* verify_names.c: the macro name of an OpenSSL certificate verification
 * code ("X509_V_ERR_CERT_HAS_EXPIRED" for 10), NULL for X509_V_OK and
 * unknown codes; and the same static string for a name, NULL when it is
 * not one. */
const char *tls_verify_error_name(long code);
const char *tls_verify_error_canon(const char *name);

#endif
