/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * errpage.h - responses tproxyd makes itself: Squid's ERR_* pages.
 */
#ifndef TPROXYD_HTTP_ERRPAGE_H
#define TPROXYD_HTTP_ERRPAGE_H

#include "core/buf-t.h"
#include "core/str.h"

struct errpage {
	int         status;	/* 400, 403, 502 ... */
	const char *name;	/* "ERR_ACCESS_DENIED" ... */
	struct str  url;	/* the request URL, may be empty */
	const char *client;	/* client address text */
	const char *server;	/* visible_hostname */
	const char *detail;	/* one sentence, may be NULL */
	int         keepalive;	/* 1: Connection: keep-alive, else close */
	int         head;	/* request was HEAD: no body */
	const char *location;	/* a redirect's Location, or NULL */
	const char *auth_fields;	/* a 407's Proxy-Authenticate
					   lines (each ending with CRLF),
					   or NULL */
};

/* Append the whole response (head and HTML body) to out. Returns 0 or
 * -ENOSPC. Everything taken from the request is HTML-escaped. */
int errpage_build(struct buf *out, const struct errpage *e);

/* The standard reason phrase for status, or "Unknown". */
const char *http_reason(int status);

#endif
