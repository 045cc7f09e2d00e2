/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bump-t.h - a bumped (decrypted) intercepted TLS connection while it is
 * set up (bump.c): the TLS handshake with the server, then the
 * certificate made for the client and the handshake with it. Once both
 * are done, the connection carries HTTP requests (sess.bumped).
 */
#ifndef TPROXYD_PROXY_BUMP_T_H
#define TPROXYD_PROXY_BUMP_T_H

struct tls_leaf;

/* bump_state_str() */
enum bump_state {
	BUMP_SERVER,	/* TLS handshake with the server */
	BUMP_CLIENT,	/* TLS handshake with the client, with the
			   certificate made for it */
	BUMP_DONE,	/* both done: HTTP inside */
};

struct bump {
	enum bump_state  state;
	struct tls_leaf *leaf;		/* what the client is shown */
	const char      *error;	/* the connection could not go on to the
				   server (refused, unreachable, not
				   securely): the first request gets this
				   error page (ERR_SECURE_CONNECT_FAIL,
				   ERR_ACCESS_DENIED, ...) */
	int              status;	/* ... with this status */
	char             detail[256];	/* ... and why */
	char            *location;	/* ... and its deny_info redirect
					   target (owned; the CONNECT's
					   stream is reset before the first
					   request comes) */
};

#endif
