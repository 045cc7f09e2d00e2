/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peek-t.h - what tproxyd learns of an intercepted TLS connection
 * (https_port ... ssl-bump) while it decides, step by step, with the
 * ssl_bump rules, what to do with it (peek.c, cli_tls.c):
 *
 *   step 1 (SslBump1): the TCP connection only; the target is the original
 *          destination's address.
 *   step 2 (SslBump2): the client's ClientHello has been read (SNI ...);
 *          the target becomes the SNI.
 *   step 3 (SslBump3): the server's first flight has been read (after a
 *          peek at step 2): its version, and with TLS 1.2 and older its
 *          certificate names. TLS 1.3 encrypts the certificate. After a
 *          stare at step 2, tproxyd's own handshake with the server is
 *          done (bump.c): its certificate, whatever the version.
 *
 * Nothing is decrypted and no byte is changed: the ClientHello waits in
 * the client's input buffer and goes to the server as it came; the
 * server's first flight waits in the server's buffer until step 3 decided.
 *
 * A CONNECT request on a forward http_port with ssl-bump goes through the
 * same steps (peek.c, peek_connect()): step 1 is the CONNECT request itself
 * (after http_access), its target stays the CONNECT's host and port at
 * every step, and after the "200 Connection established" the client's
 * ClientHello is read as on an https_port.
 */
#ifndef TPROXYD_PROXY_PEEK_T_H
#define TPROXYD_PROXY_PEEK_T_H

#include "config/cfg_tls-t.h"
#include "proxy/bump-t.h"
#include "tls/tls-t.h"

struct access_list;
struct access_rule;

#define PEEK_MAX_NAMES 16	/* server certificate names kept */
#define PEEK_MAX_ERRS  8	/* certificate errors kept */

/* The server side's certificate facts (step 3), allocated only when the
 * connection peeks at the server. */
struct peek_cert {
	char        name[PEEK_MAX_NAMES][TLS_SNI_MAX];
	const char *namep[PEEK_MAX_NAMES];
	int         nname;
	const char *err[PEEK_MAX_ERRS];
	int         nerr;
};

struct tls_peek {
	int               step;		/* the step being decided, 1..3 */
	enum sslb_action  act;		/* the last decision (0: none) */
	int               hello_rc;	/* tls_hello_parse(): TLS_OK when
					   the hello was read */
	struct tls_hello  hello;
	int               srv_rc;	/* tls_server_parse() */
	struct tls_server srvh;
	struct peek_cert *cert;		/* step 3 with a certificate */
	const char       *squid_error;	/* not TLS: ERR_PROTOCOL_UNKNOWN,
					   ERR_REQUEST_START_TIMEOUT ... */
	unsigned          hold_res:1;	/* the server's bytes wait for the
					   step 3 decision (peek at step 2) */
	unsigned          srv_done:1;	/* the server's first flight was
					   read, or is not going to be */
	unsigned          unsupported:1;/* not TLS: on_unsupported_protocol
					   decided */
	unsigned          forged:1;	/* SNI does not match the original
					   destination */
	unsigned          bump1:1;	/* bump decided at step 1: done once
					   the hello is read */
	unsigned          client_first:1;/* ... as Squid 3's client-first:
					   the client's handshake before any
					   server connection (bump.c) */
	unsigned          bumping:1;	/* bump decided: the CONNECT's
					   server connection speaks TLS */
	unsigned          stared:1;	/* stare at step 2: tproxyd's own
					   handshake with the server (as
					   bumping), the rules decide again
					   at step 3 with its certificate:
					   bump or terminate (no splice:
					   the client's hello never went to
					   the server) */
	unsigned          connect:1;	/* a CONNECT request on a forward
					   http_port: the client has its 200;
					   connect_* are the target */
	struct bump      *bump;		/* bumping: its handshakes */
	char              connect_host[256];	/* the CONNECT's host
						   (URL_HOST_MAX) */
	unsigned          connect_port;
	double            connect_start;	/* when its head came */
	const struct access_list *deny_list;	/* the CONNECT was denied
						   (http_access ...) at */
	const struct access_rule *deny_rule;	/* ... this rule: answered
						   once bumped */
};

#endif
