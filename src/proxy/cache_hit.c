/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache_hit.c - answering from a stored response: an applet (the
 * stream's back end) that sends the stored head, rebuilt for this client
 * (Age, Via, connection fields, the reply rules), and the body straight
 * from the stored chunks: the response channel's input is a view of the
 * stored bytes, so a memory hit is written without copying them.
 *
 * The client's own conditions are answered here (If-None-Match, then
 * If-Modified-Since: 304), and a single byte range of a stored body
 * (206, or 416 when it cannot be satisfied; RFC 9110 14, 13.1).
 * A hit on an object still being filled (collapsed_forwarding) sends
 * what is stored and waits for more; when its length is unknown the head
 * waits for the end.
 *
 * A body only in a cache_dir file is read by the disk store's threads
 * into a buffer of the hit, one read ahead of the client at most; the
 * head is sent once the file is open, so that a file that cannot be read
 * turns the hit into a miss (TCP_SWAPFAIL_MISS) the client never sees.
 */

#define DISK_READ (256u << 10)	/* bytes per read of a file */
#define SENDFILE_MAX (8u << 20)	/* bytes checked and sent at a time */

/* An open of a file in progress; outlives the stream if it must. */
struct hit_open {
	struct stream *s;	/* NULL: the stream went away */
};
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/disk.h"
#include "cache/policy.h"
#include "cache/store.h"
#include "config/config.h"
#include "core/buf.h"
#include "event/loop.h"
#include "http/h1.h"
#include "http/hdr.h"
#include "http/msg.h"
#include "log/log.h"
#include "net/conn.h"
#include "proxy/applet.h"
#include "proxy/cache.h"
#include "proxy/phase.h"
#include "proxy/proxy.h"
#include "proxy/rules.h"
#include "proxy/stream.h"
#include "stats/stats.h"

static struct str
trim(struct str s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

/* The opaque part of an entity tag (without W/); 0, or -1 if it is not
 * one. */
static int
etag_opaque(struct str v, struct str *op, int *weak)
{
	v = trim(v);
	*weak = v.len > 2 && v.p[0] == 'W' && v.p[1] == '/';
	if (*weak) {
		v.p += 2;
		v.len -= 2;
	}
	if (v.len < 2 || v.p[0] != '"' || v.p[v.len - 1] != '"')
		return -1;
	*op = v;
	return 0;
}

/* If-None-Match list matches the stored ETag (weak comparison, RFC 9110
 * 13.1.2). */
static int
inm_matches(struct str list, const struct h1_header *etag)
{
	struct str mine, op, item;
	int w, i0, inq = 0;
	size_t i, start = 0;

	list = trim(list);
	if (list.len == 1 && list.p[0] == '*')
		return 1;
	if (etag == NULL || etag_opaque(etag->value, &mine, &w) < 0)
		return 0;
	for (i = 0; i <= list.len; i++) {
		if (i < list.len && list.p[i] == '"')
			inq = !inq;
		if (i < list.len && (list.p[i] != ',' || inq))
			continue;
		item = str_make(list.p + start, i - start);
		start = i + 1;
		if (etag_opaque(item, &op, &i0) == 0 && op.len == mine.len &&
		    memcmp(op.p, mine.p, op.len) == 0)
			return 1;
	}
	return 0;
}

/* A single byte range "bytes=a-b" of a body of len bytes: 1 and
 * [*from, *to) when satisfiable, 0 when it is not (416), -1 when there
 * is no usable range (send everything). */
static int
parse_range(struct str v, uint64_t len, uint64_t *from, uint64_t *to)
{
	uint64_t a = 0, b = 0;
	size_t i = 0;
	int has_a = 0, has_b = 0;

	v = trim(v);
	if (v.len < 7 || strncasecmp(v.p, "bytes=", 6) != 0 ||
	    memchr(v.p, ',', v.len) != NULL)
		return -1;
	for (i = 6; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
		if (a > UINT64_MAX / 10 - 10)
			return -1;
		a = a * 10 + (uint64_t)(v.p[i] - '0');
		has_a = 1;
	}
	if (i >= v.len || v.p[i] != '-')
		return -1;
	for (i++; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
		if (b > UINT64_MAX / 10 - 10)
			return -1;
		b = b * 10 + (uint64_t)(v.p[i] - '0');
		has_b = 1;
	}
	if (i != v.len || (!has_a && !has_b))
		return -1;
	if (!has_a) {			/* suffix: the last b bytes */
		if (b == 0)
			return 0;
		*from = b >= len ? 0 : len - b;
		*to = len;
		return len > 0 ? 1 : 0;
	}
	if (has_b && b < a)
		return -1;
	if (a >= len)
		return 0;
	*from = a;
	*to = has_b && b + 1 < len ? b + 1 : len;
	return 1;
}

/* If-Range (RFC 9110 13.1.5) lets the range through. */
static int
if_range_ok(const struct stream *s, const struct cobj *o)
{
	const struct h1_header *ir = cache_field(s->reqm.hdr, s->reqm.nhdr,
					   "If-Range");
	const struct h1_header *et, *lm;
	struct str v, e;

	if (ir == NULL)
		return 1;
	v = trim(ir->value);
	if (v.len > 0 && v.p[0] == '"') {
		/* An entity tag: strong comparison with the stored one. */
		et = cache_field(o->head.hdr, o->head.nhdr, "ETag");
		if (et == NULL)
			return 0;
		e = trim(et->value);
		return e.len == v.len && memcmp(e.p, v.p, v.len) == 0;
	}
	lm = cache_field(o->head.hdr, o->head.nhdr, "Last-Modified");
	return lm != NULL && cache_parse_date(v) >= 0 &&
	       cache_parse_date(v) == cache_parse_date(lm->value);
}

/* The Content-Type of the stored response, for the log. */
static void
keep_ctype(struct stream *s, const struct cobj *o)
{
	const struct h1_header *ct = cache_field(o->head.hdr, o->head.nhdr,
					   "Content-Type");
	size_t n;
	const char *semi;

	if (ct == NULL)
		return;
	n = ct->value.len;
	semi = memchr(ct->value.p, ';', n);
	if (semi)
		n = (size_t)(semi - ct->value.p);
	if (n >= sizeof(s->ctype))
		n = sizeof(s->ctype) - 1;
	memcpy(s->ctype, ct->value.p, n);
	s->ctype[n] = '\0';
}

/*
 * Build the head for the client from the stored one. Returns 0, or -1
 * when the stream was answered otherwise (a reply rule denied it, or out
 * of memory).
 */
static int
hit_head(struct stream *s)
{
	struct cobj *o = s->cache.found;
	struct h1_resp r;
	struct h1_info info;
	struct hdr_resp_opts ho;
	struct rules_hdr rh;
	struct cache_fresh f;
	struct h1_header extra[1];
	const struct h1_header *inm, *ims, *lm, *rg;
	char crange[96];
	uint64_t len = o->complete ? o->body_len : (uint64_t)o->clen;
	uint64_t from = 0, to = len;
	int status = o->head.status, k;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.minor = o->head.minor;
	r.status = o->head.status;
	r.reason = o->head.reason;
	/* The stored fields, less Set-Cookie: one client's cookie is never
	 * handed to another (Squid removes it from hits too). */
	for (i = 0; i < o->head.nhdr && r.nhdr < H1_MAX_HEADERS; i++)
		if (!str_ieq(o->head.hdr[i].name, "Set-Cookie") &&
		    !str_ieq(o->head.hdr[i].name, "Set-Cookie2"))
			r.hdr[r.nhdr++] = o->head.hdr[i];
	if (h1_msg_info(r.hdr, r.nhdr, r.minor, &info) < 0)
		memset(&info, 0, sizeof(info));
	info.has_cl = 1;
	info.cl = len;
	info.has_te = 0;
	if (http_msg_keep_resp(&s->resm, &r, o->head.area, o->head.hlen) < 0) {
		strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
		return -1;
	}
	s->status = status;
	if (rules_reply(s, &info))
		return -1;

	memset(&ho, 0, sizeof(ho));
	s->cache.body = s->meth != H1_M_HEAD;
	/* The client's conditions, on a complete 200 (RFC 9110 13.2.2). */
	inm = cache_field(s->reqm.hdr, s->reqm.nhdr, "If-None-Match");
	ims = cache_field(s->reqm.hdr, s->reqm.nhdr, "If-Modified-Since");
	lm = cache_field(o->head.hdr, o->head.nhdr, "Last-Modified");
	if (status == 200 && inm != NULL) {
		if (inm_matches(inm->value, cache_field(o->head.hdr,
							o->head.nhdr,
							"ETag"))) {
			status = 304;
			s->code = "TCP_INM_HIT";
		}
	} else if (status == 200 && ims != NULL && lm != NULL &&
		   cache_parse_date(ims->value) >= 0 &&
		   cache_parse_date(lm->value) >= 0 &&
		   cache_parse_date(lm->value) <=
		   cache_parse_date(ims->value)) {
		status = 304;
		s->code = "TCP_IMS_HIT";
	}
	rg = cache_field(s->reqm.hdr, s->reqm.nhdr, "Range");
	if (status == 200 && rg != NULL && s->meth == H1_M_GET &&
	    o->complete && if_range_ok(s, o)) {
		k = parse_range(rg->value, len, &from, &to);
		if (k > 0) {
			status = 206;
			snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%"
				 PRIu64 "/%" PRIu64, from, to - 1, len);
		} else if (k == 0) {
			status = 416;
			snprintf(crange, sizeof(crange), "bytes */%" PRIu64,
				 len);
			from = to = 0;
		}
		if (k >= 0) {
			extra[0].name = STR_LIT("Content-Range");
			extra[0].value = str_make(crange, strlen(crange));
			ho.extra = extra;
			ho.nextra = 1;
		}
	}
	if (status == 304) {
		s->cache.body = 0;
		ho.drop_framing = 1;
	} else {
		ho.has_cl = 1;
		ho.cl = to - from;
		ho.drop_te = 1;
	}
	if (status != r.status) {
		r.status = status;
		r.reason = status == 304 ? STR_LIT("Not Modified") :
			   status == 206 ? STR_LIT("Partial Content") :
			   STR_LIT("Range Not Satisfiable");
	}
	{
		struct cache_refresh none = { 0, 0, 0 };

		cache_freshness_of(&o->facts, 1, &none, (int64_t)evl_time(),
				   &f);
		ho.set_age = 1;
		ho.age = (uint64_t)f.age;
	}
	s->resp_close = s->resp_close || !s->cli_keepalive ||
			proxy_draining() ||
			s->req_body.kind != H1_BODY_NONE;
	ho.keepalive = !s->resp_close;
	ho.client_minor = s->minor;
	ho.via_name = s->sess->cfg->via ? proxy_hostname : NULL;
	rules_hdr_resp(&rh, s, &ho);
	if (buf_reserve(&s->res.hd, buf_len(&s->res.hd) + o->head.hlen +
			1024) < 0 ||
	    hdr_build_resp(&s->res.hd, &r, &ho) < 0) {
		strm_error(s, 500, "ERR_INTERNAL", "Response headers too "
			   "large.");
		return -1;
	}
	s->status = status;
	keep_ctype(s, o);
	s->cache.end = to;
	if (from > 0) {
		if (s->cache.from_disk)
			s->cache.cur.pos = from;
		else
			store_cursor_seek(o, &s->cache.cur, from);
	}
	s->resp_head_done = 1;
	s->cache.head_built = 1;
	return 0;
}

/* The file of the hit cannot be read: forget the stored object and
 * fetch from the server instead, as if it had been a miss (nothing was
 * sent to the client yet). */
static void
swap_fail(struct stream *s)
{
	struct cobj *o = s->cache.found;

	log_msg(LOG_INFO, "cannot read the stored copy of %s (%s): fetching "
		"it again", s->url, strerror(-s->cache.disk_err));
	store_remove(o);
	applet_release(&s->applet);	/* closes the file (hit_release) */
	store_unref(o);
	s->cache.found = NULL;
	s->cache.served = 0;
	s->cache.from_disk = 0;
	s->code = "TCP_SWAPFAIL_MISS";
	s->hier = NULL;
	s->res.in = NULL;
	s->res.fwd = 0;
	strm_set_state(s, STRM_PREPARE);
	strm_deadline(s, s->sess->cfg->connect_timeout);
	phase_run(s);
}

static void
hit_opened(void *arg, struct cdisk_rd *rd, int err)
{
	struct hit_open *ho = arg;
	struct stream *s = ho->s;

	free(ho);
	if (s == NULL) {
		if (rd != NULL)
			cdisk_rd_close(rd);
		return;
	}
	s->cache.opening = NULL;
	if (rd == NULL || err < 0) {
		s->cache.disk_err = err < 0 ? err : -EIO;
	} else {
		s->cache.rd = rd;
		/* Kept open for the next hits of this object. */
		if (!s->cache.own_rd)
			s->cache.rd_kept = store_keep_file(s->cache.found,
							   rd);
	}
	strm_wake(s);
}

static void
hit_got(void *arg, long n)
{
	struct stream *s = arg;
	struct strm_cache *c = &s->cache;

	c->reading = 0;
	if (n <= 0) {
		c->disk_err = n < 0 ? (int)n : -EIO;
	} else {
		c->view.area = c->dbuf;
		c->view.size = (size_t)n;
		c->view.head = 0;
		c->view.tail = (size_t)n;
		s->res.in = &c->view;
		s->res.fwd = (uint64_t)n;
		c->cur.pos += (uint64_t)n;
	}
	strm_wake(s);
}

/* produce() of a hit from a file. */
static int
hit_produce_disk(struct applet *a, struct stream *s)
{
	struct strm_cache *c = &s->cache;
	struct cobj *o = c->found;
	struct cdisk *d;
	uint64_t left;
	int rc;

	if (c->rd == NULL && !c->own_rd &&
	    (c->rd = store_kept_file(o)) != NULL)
		c->rd_kept = 1;
	if (c->rd == NULL) {
		if (c->disk_err) {
			if (s->resp_head_done)
				return -EIO;
			swap_fail(s);
			return 1;
		}
		if (c->opening == NULL) {
			d = store_dir_disk(o->dir);
			c->opening = malloc(sizeof(*c->opening));
			if (c->opening == NULL || d == NULL)
				return -ENOMEM;
			c->opening->s = s;
			rc = cdisk_rd_open(d, o->fileno, hit_opened,
					   c->opening);
			if (rc < 0) {
				free(c->opening);
				c->opening = NULL;
				c->disk_err = rc;
				swap_fail(s);
				return 1;
			}
		}
		return 0;
	}
	if (!c->head_built) {
		if (hit_head(s) < 0)
			return 1;	/* answered otherwise */
		return 1;
	}
	if (c->disk_err)
		return -EIO;	/* cut: the head is out */
	if (c->reading)
		return 0;
	if (!c->body || c->cur.pos >= c->end) {
		a->done = 1;
		return 0;
	}
	left = c->end - c->cur.pos;
	/* Pages in the page cache go straight from the file to the socket
	 * (sendfile); others are read by an I/O thread, which also brings
	 * them into the cache for the next hit. */
	if (conn_can_splice(s->fe)) {
		uint64_t n = left < SENDFILE_MAX ? left : SENDFILE_MAX;
		uint64_t boff;

		if (cdisk_rd_cached(c->rd, c->cur.pos, n)) {
			s->res.file_fd = cdisk_rd_fd(c->rd, &boff);
			s->res.file_off = boff + c->cur.pos;
			s->res.file_left = n;
			c->cur.pos += n;
			return 1;
		}
	}
	if (c->rd_kept) {
		/* Pages to read from the disk: with a reader of this hit's
		 * own (the kept one may serve other hits meanwhile). */
		c->rd = NULL;
		c->rd_kept = 0;
		c->own_rd = 1;
		return 1;
	}
	if (c->dbuf == NULL && (c->dbuf = malloc(DISK_READ)) == NULL)
		return -ENOMEM;
	c->reading = 1;
	rc = cdisk_read(c->rd, c->cur.pos, c->dbuf, left < DISK_READ ?
			(size_t)left : DISK_READ, hit_got, s);
	if (rc < 0) {
		c->reading = 0;
		return rc;
	}
	return 0;
}

static void
hit_wake(void *arg)
{
	strm_wake(arg);
}

static int
hit_produce(struct applet *a, struct stream *s)
{
	struct strm_cache *c = &s->cache;
	struct cobj *o = c->found;
	const char *p;
	uint64_t boff;
	size_t n;
	int fd;

	if (o == NULL)
		return -EIO;
	if (c->from_disk)
		return hit_produce_disk(a, s);
	if (c->head_wait) {
		if (o->failed)
			return -EIO;
		if (!o->complete) {
			store_wait(o, &c->wait);
			return 0;
		}
		c->head_wait = 0;
		if (hit_head(s) < 0)
			return 1;	/* answered otherwise */
		return 1;
	}
	if (!c->body || c->cur.pos >= c->end) {
		a->done = 1;
		return 0;
	}
	/* A body in the memory arena goes from its pages to the socket
	 * (sendfile), without a copy. */
	if (conn_can_splice(s->fe) && store_body_file(o, &fd, &boff)) {
		uint64_t end = c->end < o->body_len ? c->end : o->body_len;

		if (end - c->cur.pos > SENDFILE_MAX)
			end = c->cur.pos + SENDFILE_MAX;
		s->res.file_fd = fd;
		s->res.file_off = boff + c->cur.pos;
		s->res.file_left = end - c->cur.pos;
		c->cur.pos = end;
		return 1;
	}
	n = store_body_next(o, &c->cur, &p);
	if (n > c->end - c->cur.pos)
		n = (size_t)(c->end - c->cur.pos);
	if (n > 0) {
		c->view.area = (char *)(uintptr_t)p;
		c->view.size = n;
		c->view.head = 0;
		c->view.tail = n;
		s->res.in = &c->view;
		s->res.fwd = n;
		store_cursor_skip(&c->cur, n);
		return 1;
	}
	if (o->complete) {
		a->done = 1;	/* end before the declared length: cut */
		return c->cur.pos < c->end ? -EIO : 0;
	}
	if (o->failed)
		return -EIO;
	store_wait(o, &c->wait);
	return 0;
}

static void
hit_release(struct applet *a)
{
	struct stream *s = a->ctx;

	if (s == NULL)
		return;
	if (s->cache.found != NULL)
		store_unwait(s->cache.found, &s->cache.wait);
	s->cache.view.area = NULL;
	if (s->cache.opening != NULL)
		s->cache.opening->s = NULL;	/* it frees itself */
	s->cache.opening = NULL;
	if (s->cache.rd != NULL && !s->cache.rd_kept)
		cdisk_rd_close(s->cache.rd);
	s->cache.rd = NULL;
	s->cache.rd_kept = 0;
	s->cache.reading = 0;
	free(s->cache.dbuf);
	s->cache.dbuf = NULL;
}

static const struct applet_ops hit_ops = {
	.name    = "cache",
	.produce = hit_produce,
	.release = hit_release,
};

void
cache_hit_start(struct stream *s, struct cobj *o, const char *code)
{
	struct strm_cache *c = &s->cache;

	if (c->found != NULL && c->found != o)
		store_unref(c->found);
	c->found = o;
	c->served = 1;
	memset(&c->cur, 0, sizeof(c->cur));
	memset(&c->view, 0, sizeof(c->view));
	c->wait.cb = hit_wake;
	c->wait.arg = s;
	c->end = UINT64_MAX;
	s->code = code;
	if (s->hier == NULL)
		s->hier = "HIER_NONE";	/* a refresh keeps the server's */
	applet_start(s, &hit_ops, s);
	s->res.in = &c->view;
	s->res.fwd = 0;
	strm_deadline(s, s->sess->cfg->read_timeout);
	if (o->complete && !o->mem_body) {
		/* The head goes once the file is open. */
		c->from_disk = 1;
		if (strcmp(code, "TCP_MEM_HIT") == 0)
			s->code = "TCP_HIT";
		return;
	}
	if (!o->complete && o->clen < 0) {
		c->head_wait = 1;
		return;
	}
	if (!o->complete)
		c->end = (uint64_t)o->clen;
	if (hit_head(s) < 0)
		return;
}
