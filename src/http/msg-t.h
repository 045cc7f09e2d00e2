/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msg-t.h - a kept message head: the start line's facts and an owned copy
 * of the header fields, as they were received.
 *
 * The parser's views die with the input buffer they point into, and the
 * head sent on is rewritten; what decides later (reply ACLs on the
 * request's fields, the log, the cache storing a response with the
 * request's Vary fields) reads the kept copy. The bytes are copied in one
 * block and the views re-pointed into it, so keeping a head costs one
 * memcpy; the memory is reused from one message to the next.
 */
#ifndef TPROXYD_HTTP_MSG_T_H
#define TPROXYD_HTTP_MSG_T_H

#include <stddef.h>

#include "http/h1-t.h"

struct http_msg {
	struct str        method;	/* request: as sent; response: empty */
	struct str        target;	/* request-target as sent */
	int               status;	/* response: 100..999; request: 0 */
	struct str        reason;	/* response reason phrase */
	int               minor;	/* HTTP/1.minor */
	size_t            hlen;		/* bytes of the head as received */
	size_t            nhdr;
	struct h1_header *hdr;		/* views into area */
	size_t            hdr_cap;
	char             *area;		/* the copied head, owned */
	size_t            area_cap;
	unsigned          valid:1;	/* a head is kept */
};

#endif
