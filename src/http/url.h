/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * url.h - request-target pieces: the authority of an absolute http:// URL
 * and "host[:port]" authorities (RFC 9110 4.2, 7.2; RFC 9112 3.2).
 *
 * Pure functions over caller-owned bytes: no I/O, no allocation, no
 * globals.
 */
#ifndef TPROXYD_HTTP_URL_H
#define TPROXYD_HTTP_URL_H

#include <stddef.h>

/* Longest host name kept (DNS names are at most 253 bytes). */
#define URL_HOST_MAX 256

/*
 * The end of the authority of an absolute "http://..." or
 * "https://..." URL of n bytes at p (the caller checked the scheme):
 * *end points at the first '/', '?' or the end. Returns 0, or -1 when
 * the authority is empty or has userinfo (RFC 9110 4.2.4).
 */
int url_authority_end(const char *p, size_t n, const char **end);

/* Whether p[0..n) is a host: reg-name characters, or an IPv6 literal in
 * brackets. */
int url_valid_host(const char *p, size_t n);

/*
 * Split an authority "host[:port]" of n bytes at p. The host goes to host
 * (URL_HOST_MAX bytes, NUL-terminated, an IPv6 literal without its
 * brackets) and the port to *port (dflt when none is named; a named port
 * is 1..65535). Returns 1 when it named a port, 0 when dflt was used, or
 * -1 when malformed (nothing is written then).
 */
int url_parse_authority(const char *p, size_t n, unsigned dflt, char *host,
			unsigned *port);

#endif
