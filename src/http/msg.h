/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msg.h - kept message heads (see msg-t.h).
 */
#ifndef TPROXYD_HTTP_MSG_H
#define TPROXYD_HTTP_MSG_H

#include "http/msg-t.h"

/*
 * Keep the request req, whose views all point into the head of hlen bytes
 * at base (the parser's input). Returns 0 or -ENOMEM (m is then empty).
 */
int http_msg_keep_req(struct http_msg *m, const struct h1_req *req,
		      const char *base, size_t hlen);
/* The same for a response. */
int http_msg_keep_resp(struct http_msg *m, const struct h1_resp *resp,
		       const char *base, size_t hlen);
/* Forget the head, keeping the memory for the next one. */
void http_msg_reset(struct http_msg *m);
void http_msg_free(struct http_msg *m);

/* The value of the first field named name (case-insensitive), or NULL. */
const struct str *http_msg_field(const struct http_msg *m, const char *name);

#endif
