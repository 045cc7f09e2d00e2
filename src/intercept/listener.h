/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * listener.h - the listening sockets (http_port, stats_port) and their
 * accept loop.
 */
#ifndef TPROXYD_INTERCEPT_LISTENER_H
#define TPROXYD_INTERCEPT_LISTENER_H

#include <stddef.h>

#include "config/config-t.h"
#include "event/loop-t.h"
#include "intercept/proto-t.h"

struct lsn {
	int                    fd;
	struct evl_io          io;
	struct evl_timer       resume;	/* after EMFILE */
	struct cfg            *cfg;	/* current configuration (not a ref:
					   main keeps it alive) */
	const struct cfg_port *port;	/* its line in cfg */
	const struct proto    *proto;	/* who gets accepted connections */
	struct sockaddr_storage addr;	/* where it listens */
	struct lsn            *next;	/* main's list */
	struct lsn            *all_next;/* every open listener */
};

/* Make protocol p serve the ports whose protocol is name ("http").
 * Before the first lsn_open(). */
void lsn_register(const char *name, const struct proto *p);
/* Open, bind and listen for port p. Returns the listener (not yet
 * accepting) or NULL with a message in err. */
struct lsn *lsn_open(const struct cfg_port *p, char *err, size_t errlen);
/* The listening socket lsn_open() uses: the one inherited for p
 * (core/inherit.c), or a new one bound and listening. Returns its
 * descriptor, or -1 with a message in err. */
int lsn_socket(const struct cfg_port *p, char *err, size_t errlen);
/* Start accepting with cfg / p as the configuration for new clients. */
void lsn_start(struct lsn *l, struct cfg *cfg, const struct cfg_port *p);
void lsn_close(struct lsn *l);
/* Whether l listens where p asks (same address, port and mode). */
int lsn_matches(const struct lsn *l, const struct cfg_port *p);
/* Whether sa (address and port) is where one of our listeners listens:
 * a connection "intercepted" to it reached us directly. */
int lsn_is_own(const struct sockaddr *sa);
/* Open later listeners with SO_REUSEPORT (set in each worker). */
void lsn_set_reuseport(int on);
/* "ADDR:PORT" text of a port line. */
const char *lsn_port_text(const struct cfg_port *p, char *out, size_t n);

#endif
