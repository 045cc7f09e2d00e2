/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * extacl.c - external acls on a stream (Squid's external_acl.cc
 * ACLExternal::match() and startLookup()):
 *
 *   - the line of the request (ext_fmt_line()) is looked up in the type's
 *     cache; a fresh answer decides at once; one in its grace= period is
 *     used and refreshed in the background;
 *   - otherwise an access list that can wait (http_access,
 *     adapted_http_access, the helpers' access lists) answers
 *     ACL_NEED_EXT; phase_acl_wait() calls extacl_wait(), which sends the
 *     line to the helper or joins a lookup of the same line under way; the
 *     answer is cached and the waiting streams run their checks again
 *     (phase_run()), each using that answer even when it is not cached
 *     (ttl=0, BH);
 *   - a list that cannot wait, a helper whose queue is full (the stale
 *     answer is used if there is one, as in Squid), or a BH, timed out or
 *     garbled answer: the check ends as not allowed (Squid's
 *     ACCESS_DUNNO), with a cache.log line.
 *
 * The answer's user= (%un, %ue), tag= (%et, "tag" acls; the first one
 * stays), log= (%ea) and message= (%o in error pages) go to the request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "config/ext_fmt.h"
#include "log/ext_line.h"
#include "config/config.h"
#include "event/loop.h"
#include "helper/ext_cache.h"
#include "helper/helper.h"
#include "helper/reply.h"
#include "log/log.h"
#include "proxy/auth.h"
#include "proxy/extacl.h"
#include "proxy/phase.h"
#include "proxy/stream.h"
#include "stats/stats.h"

/* A line sent to a helper and the streams waiting for its answer. */
struct ext_lookup {
	struct ext_def    *def;
	struct hlp_req    *req;
	struct stream     *waiters;	/* linked by ext_wnext */
	struct ext_lookup *next;	/* def->pending */
	size_t             klen;
	char               key[];
};

/* The line being matched (one process, one check at a time). */
static char line[HLP_LINE_MAX];

static void
def_free(struct ext_def *d)
{
	struct ext_lookup *lk;

	/* No stream of this configuration is left (each holds it): only
	 * background refreshes can be under way. */
	while ((lk = d->pending) != NULL) {
		d->pending = lk->next;
		if (lk->req != NULL)
			hlp_cancel(lk->req);
		free(lk);
	}
	if (d->pool != NULL)
		hlp_pool_free(d->pool);
	d->pool = NULL;
}

const struct cfg_extacl_ops extacl_cfg_ops = { def_free };

void
extacl_start(struct cfg *c)
{
	struct ext_def *d;

	for (d = c->extacl.defs; d != NULL; d = d->next)
		if (d->pool == NULL && d->opts.startup > 0)
			d->pool = hlp_pool_new(&d->opts);
}

/* The request as the FORMAT codes see it. */
static void
rec_of(const struct stream *s, struct alog_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->start = s->start;
	r->end = evl_now();
	r->client = (const struct sockaddr *)&s->sess->addr;
	if (s->has_indirect && s->sess->cfg->rules.acl_indirect)
		r->client = (const struct sockaddr *)&s->indirect;
	r->local = (const struct sockaddr *)&s->sess->local;
	r->code = "NONE";
	r->method = str_make(s->method, strlen(s->method));
	r->url = str_make(s->url ? s->url : "", s->url ? s->url_len : 0);
	r->host = str_make(s->host, strlen(s->host));
	r->port = s->port;
	if (s->url != NULL && s->meth != H1_M_CONNECT)
		r->path = str_make(s->url + s->path_off,
				   s->url_len - s->path_off);
	r->minor = s->minor;
	r->hier = "HIER_NONE";
	r->req = s->reqm.valid ? &s->reqm : NULL;
	r->ext_user = s->ext_user;
	r->tag = s->ext_tag;
	r->ext_log = s->ext_log;
	r->user = auth_user(s);	/* %LOGIN %ul %un */
}

/* The line for acl into line[]; its length, or -1 (too long). */
static long
make_line(const struct stream *s, const struct acl *acl)
{
	struct alog_rec r;

	rec_of(s, &r);
	return ext_fmt_line(acl->v.ext->def, acl->v.ext, acl->name, &r, line,
			    sizeof(line));
}

static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The answer's pairs go to the request (Squid's
 * copyResultsFromEntry()). */
static void
apply(struct stream *s, const struct ext_entry *e)
{
	if (e->user[0] != '\0')
		copy_str(s->ext_user, sizeof(s->ext_user), e->user);
	if (e->tag[0] != '\0' && s->ext_tag[0] == '\0')
		copy_str(s->ext_tag, sizeof(s->ext_tag), e->tag);
	if (e->log[0] != '\0')
		copy_str(s->ext_log, sizeof(s->ext_log), e->log);
	if (e->message[0] != '\0')
		copy_str(s->ext_msg, sizeof(s->ext_msg), e->message);
}

static int
result_of(struct stream *s, const struct acl *acl, const struct ext_entry *e)
{
	apply(s, e);
	if (e->result == EXT_OK)
		return 1;
	if (e->result == EXT_ERR)
		return 0;
	s->ext_fail = acl;
	return ACL_M_EXT_FAIL;
}

static struct ext_lookup *
find_pending(const struct ext_def *d, const char *key, size_t klen)
{
	struct ext_lookup *lk;

	for (lk = d->pending; lk != NULL; lk = lk->next)
		if (lk->klen == klen && memcmp(lk->key, key, klen) == 0)
			return lk;
	return NULL;
}

static void lookup_done(void *arg, struct hlp_reply *r);

/* Send key to d's helper; NULL when the helper did not take it. */
static struct ext_lookup *
submit(struct ext_def *d, const char *key, size_t klen)
{
	struct ext_lookup *lk;

	if (d->pool == NULL) {
		d->pool = hlp_pool_new(&d->opts);
		if (d->pool == NULL)
			return NULL;
	}
	lk = calloc(1, sizeof(*lk) + klen + 1);
	if (lk == NULL)
		return NULL;
	lk->def = d;
	lk->klen = klen;
	memcpy(lk->key, key, klen);
	lk->req = hlp_submit(d->pool, key, klen, lookup_done, lk);
	if (lk->req == NULL) {
		free(lk);
		return NULL;
	}
	lk->next = d->pending;
	d->pending = lk;
	return lk;
}

static void
unlink_pending(struct ext_lookup *lk)
{
	struct ext_lookup **pp = &lk->def->pending;

	while (*pp != NULL && *pp != lk)
		pp = &(*pp)->next;
	if (*pp == lk)
		*pp = lk->next;
}

static void
lookup_done(void *arg, struct hlp_reply *r)
{
	struct ext_lookup *lk = arg;
	struct ext_def *d = lk->def;
	struct ext_entry *e;
	struct stream *s;
	const char *msg;

	lk->req = NULL;
	unlink_pending(lk);
	if (r->result != HLP_OK && r->result != HLP_ERR) {
		msg = hlp_reply_get(r, "message", NULL);
		log_msg(LOG_INFO, "ERROR: external ACL '%s' helper answered "
			"%s%s%s for '%.*s'", d->name,
			hlp_result_str(r->result), msg ? ": " : "",
			msg ? msg : "", (int)lk->klen, lk->key);
	}
	e = ext_entry_new(d, lk->key, lk->klen, r, evl_now());
	if (e != NULL)
		ext_cache_add(&d->cache, e);
	/* Each waiting stream checks again with this answer. One may end
	 * (extacl_cancel() takes it off the list) while another runs: lk
	 * stays until the list is empty. */
	while ((s = lk->waiters) != NULL) {
		lk->waiters = s->ext_wnext;
		s->ext_wnext = NULL;
		s->ext_lk = NULL;
		ext_entry_unref(s->ext_last);
		s->ext_last = e;
		if (e != NULL)
			ext_entry_ref(e);
		phase_run(s);
		strm_wake(s);
	}
	free(lk);
	ext_entry_unref(e);
}

int
extacl_match(const struct acl *acl, const struct acl_ctx *ctx)
{
	/* The stream strm_acl_ctx() described (its answers are kept). */
	struct stream *s = (struct stream *)(uintptr_t)ctx->ext_arg;
	struct acl_ext *a = acl->v.ext;
	struct ext_def *d = a->def;
	struct ext_entry *e;
	enum ext_fresh fresh;
	long n;

	if (s == NULL || d == NULL)
		return 0;
	n = make_line(s, acl);
	if (n < 0) {
		log_msg(LOG_INFO, "ERROR: external ACL '%s': the line for %s "
			"is too long", d->name, s->url ? s->url : "-");
		s->ext_fail = acl;
		return ACL_M_EXT_FAIL;
	}
	e = s->ext_last;
	if (e != NULL && e->def == d && e->klen == (size_t)n &&
	    memcmp(e->key, line, (size_t)n) == 0)
		return result_of(s, acl, e);
	e = ext_cache_find(&d->cache, line, (size_t)n, evl_now(), &fresh);
	if (e != NULL && fresh == EXT_REFRESH &&
	    find_pending(d, line, (size_t)n) == NULL &&
	    (d->pool == NULL || !hlp_would_overload(d->pool)))
		submit(d, line, (size_t)n);	/* in the background */
	if (e != NULL && fresh != EXT_EXPIRED)
		return result_of(s, acl, e);
	if (d->pool != NULL && hlp_would_overload(d->pool) &&
	    find_pending(d, line, (size_t)n) == NULL) {
		if (e != NULL) {
			log_msg(LOG_INFO, "WARNING: external ACL '%s' queue "
				"full. Using stale result. '%.*s'.", d->name,
				(int)n, line);
			return result_of(s, acl, e);
		}
		log_msg(LOG_INFO, "WARNING: external ACL '%s' queue full. "
			"Request rejected '%.*s'.", d->name, (int)n, line);
		copy_str(s->ext_msg, sizeof(s->ext_msg),
			 "SYSTEM TOO BUSY, TRY AGAIN LATER");
		s->ext_fail = acl;
		return ACL_M_EXT_FAIL;
	}
	if (!ctx->name_wait) {
		s->ext_fail = acl;
		return ACL_M_EXT_FAIL;
	}
	s->ext_need = acl;
	return ACL_M_NEED_EXT;
}

int
extacl_wait(struct stream *s)
{
	const struct acl *acl = s->ext_need;
	struct ext_def *d;
	struct ext_lookup *lk;
	long n;

	s->ext_need = NULL;
	if (acl == NULL || s->ext_lk != NULL)
		return s->ext_lk != NULL;
	d = acl->v.ext->def;
	n = make_line(s, acl);
	if (n < 0)
		return 0;
	lk = find_pending(d, line, (size_t)n);
	if (lk == NULL)
		lk = submit(d, line, (size_t)n);
	if (lk == NULL) {
		/* Not taken: the next check sees a BH answer. */
		s->ext_fail = acl;
		ext_entry_unref(s->ext_last);
		s->ext_last = ext_entry_new(d, line, (size_t)n, NULL,
					    evl_now());
		return 0;
	}
	s->ext_lk = lk;
	s->ext_wnext = lk->waiters;
	lk->waiters = s;
	return 1;
}

void
extacl_cancel(struct stream *s)
{
	struct ext_lookup *lk = s->ext_lk;
	struct stream **pp;

	if (lk != NULL) {
		for (pp = &lk->waiters; *pp != NULL; pp = &(*pp)->ext_wnext)
			if (*pp == s) {
				*pp = s->ext_wnext;
				break;
			}
		/* Nobody else waits: the helper's answer is not needed. */
		if (lk->waiters == NULL && lk->req != NULL) {
			hlp_cancel(lk->req);
			unlink_pending(lk);
			free(lk);
		}
	}
	s->ext_lk = NULL;
	s->ext_wnext = NULL;
	s->ext_need = NULL;
	ext_entry_unref(s->ext_last);
	s->ext_last = NULL;
}
