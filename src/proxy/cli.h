/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.h - the client side (types in cli-t.h).
 */
#ifndef TPROXYD_PROXY_CLI_H
#define TPROXYD_PROXY_CLI_H

#include "proxy/cli-t.h"

struct cfg;
struct cfg_port;

/* Adopt the accepted, non-blocking socket fd on port: the HTTP protocol's
 * accept handler. Takes a reference on cfg; closes fd itself when it
 * cannot allocate. */
void cli_accept(int fd, const struct sockaddr *addr, socklen_t addrlen,
		struct cfg *cfg, const struct cfg_port *port);

/* Make all the progress that can be made now on the client side and its
 * stream, then set the event interest. Never frees cli itself. */
void cli_run(struct cli *cli);

const char *cli_state_str(enum cs_state s);

/* Timeouts: the client's one timer fires secs from now (or later, when
 * activity moved the deadline on: cli_touch() sets it read_timeout ahead). */
void cli_set_deadline(struct cli *cli, double secs);
void cli_touch(struct cli *cli);

/* The front end's halves of stream s's steps; 1 on progress. They take
 * the stream, not the connection, so that a front end carrying several
 * streams (HTTP/2) keeps the same interface. */
/* Approve request body bytes of the client's buffer for the server. */
int cli_produce_req(struct stream *s);
/* Write the response channel (head, approved bytes) to the client. */
int cli_send_res(struct stream *s);


#endif
