/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msg.c - kept message heads (see msg-t.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/msg.h"

/* Room for n fields and len bytes. 0 or -ENOMEM. */
static int
msg_room(struct http_msg *m, size_t n, size_t len)
{
	struct h1_header *h;
	char *a;

	if (n > m->hdr_cap) {
		h = realloc(m->hdr, n * sizeof(*h));
		if (h == NULL)
			return -ENOMEM;
		m->hdr = h;
		m->hdr_cap = n;
	}
	if (len > m->area_cap) {
		a = realloc(m->area, len);
		if (a == NULL)
			return -ENOMEM;
		m->area = a;
		m->area_cap = len;
	}
	return 0;
}

/* A view into the head at base, moved into the copy at m->area. */
static struct str
rebase(const struct http_msg *m, struct str v, const char *base)
{
	if (v.p == NULL)
		return v;
	return str_make(m->area + (v.p - base), v.len);
}

/* Copy the head and the fields; the start line is the caller's. */
static int
keep_fields(struct http_msg *m, const struct h1_header *hdr, size_t nhdr,
	    const char *base, size_t hlen)
{
	size_t i;

	m->valid = 0;
	if (msg_room(m, nhdr ? nhdr : 1, hlen ? hlen : 1) < 0) {
		m->nhdr = 0;
		return -ENOMEM;
	}
	memcpy(m->area, base, hlen);
	m->hlen = hlen;
	for (i = 0; i < nhdr; i++) {
		m->hdr[i].name = rebase(m, hdr[i].name, base);
		m->hdr[i].value = rebase(m, hdr[i].value, base);
	}
	m->nhdr = nhdr;
	m->valid = 1;
	return 0;
}

int
http_msg_keep_req(struct http_msg *m, const struct h1_req *req,
		  const char *base, size_t hlen)
{
	if (keep_fields(m, req->hdr, req->nhdr, base, hlen) < 0)
		return -ENOMEM;
	m->method = rebase(m, req->method, base);
	m->target = rebase(m, req->target, base);
	m->status = 0;
	m->reason = STR_NULL;
	m->minor = req->minor;
	return 0;
}

int
http_msg_keep_resp(struct http_msg *m, const struct h1_resp *resp,
		   const char *base, size_t hlen)
{
	if (keep_fields(m, resp->hdr, resp->nhdr, base, hlen) < 0)
		return -ENOMEM;
	m->method = STR_NULL;
	m->target = STR_NULL;
	m->status = resp->status;
	m->reason = rebase(m, resp->reason, base);
	m->minor = resp->minor;
	return 0;
}

void
http_msg_reset(struct http_msg *m)
{
	m->nhdr = 0;
	m->valid = 0;
	m->status = 0;
	m->method = m->target = m->reason = STR_NULL;
}

void
http_msg_free(struct http_msg *m)
{
	free(m->hdr);
	free(m->area);
	memset(m, 0, sizeof(*m));
}

const struct str *
http_msg_field(const struct http_msg *m, const char *name)
{
	size_t i;

	if (!m->valid)
		return NULL;
	for (i = 0; i < m->nhdr; i++)
		if (str_ieq(m->hdr[i].name, name))
			return &m->hdr[i].value;
	return NULL;
}
