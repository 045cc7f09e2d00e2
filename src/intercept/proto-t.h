/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto-t.h - a listening port's protocol: what an accepted connection is
 * handed to. HTTP today (proxy/); TLS peeking and UDP relaying plug in as
 * more protocols, without the listeners knowing what they do.
 */
#ifndef TPROXYD_INTERCEPT_PROTO_T_H
#define TPROXYD_INTERCEPT_PROTO_T_H

#include <sys/socket.h>

struct cfg;
struct cfg_port;

struct proto {
	const char *name;		/* "http" */
	/* Adopt fd (non-blocking, accepted on port). Takes a reference on
	 * cfg if it keeps it; closes fd itself on failure. */
	void      (*accept)(int fd, const struct sockaddr *addr,
			    socklen_t addrlen, struct cfg *cfg,
			    const struct cfg_port *port);
};

#endif
