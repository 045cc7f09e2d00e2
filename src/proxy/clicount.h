/*
 * clicount.h - open client connections per client address, for the
 * "maxconn" acl.
 */
#ifndef TPROXYD_PROXY_CLICOUNT_H
#define TPROXYD_PROXY_CLICOUNT_H

#include <sys/socket.h>

/* A connection from sa was accepted / closed (stats_port ones are not
 * counted). clicount_open() returns the new count, 0 when out of memory
 * (the connection is then not counted, and clicount_close() must not be
 * called for it). */
unsigned clicount_open(const struct sockaddr *sa);
void clicount_close(const struct sockaddr *sa);
/* Connections open from sa now. */
unsigned clicount_get(const struct sockaddr *sa);

#endif
