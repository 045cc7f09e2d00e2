/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper-t.h - Squid's helper programs (url_rewrite_program,
 * store_id_program; next: auth_param, external_acl_type): the options of
 * a pool of children, a parsed reply, and the opaque pool and request.
 *
 * The protocol (Squid's src/helper.cc, src/helper/Reply.cc): one request
 * per line on the child's stdin, one reply per line on its stdout; with
 * concurrency=N > 0 both start with a channel ID ("ID request", "ID
 * reply"), the child may answer out of order; with concurrency 0 a child
 * has one request at a time and answers in order.
 */
#ifndef TPROXYD_HELPER_HELPER_T_H
#define TPROXYD_HELPER_HELPER_T_H

#include <stddef.h>

/* A reply line may be this long (the line feed not counted); a longer one
 * gets its child killed and restarted, and its request a BH answer. */
#define HLP_LINE_MAX	(32 * 1024)
/* key=value pairs kept from one reply; later ones are dropped. */
#define HLP_KV_MAX	16
/* Times a request is sent again after a BH answer (Squid's MAX_RETRIES)
 * or a timeout with on_timeout=retry. */
#define HLP_MAX_RETRIES	2

/* What a helper answered (Squid's Helper::ResultCode). */
enum hlp_result {
	HLP_UNKNOWN = 0,	/* no result code: an old-style answer (a bare
				   URL, "302:URL"), or garbage */
	HLP_OK,			/* "OK" */
	HLP_ERR,		/* "ERR", "NA", or an empty line */
	HLP_BH,			/* "BH": the helper is broken; also what
				   tproxyd answers for a child that died,
				   overflowed its line or could not start */
	HLP_TT,			/* "TT token" (NTLM/Negotiate challenge) */
	HLP_TIMEDOUT,		/* no answer in time (the pool's timeout) */
};

/* One key=value pair of a reply; both NUL-terminated, in the caller's
 * line (unquoted and unescaped in place). */
struct hlp_kv {
	const char *key;
	const char *val;
	size_t      vlen;
};

/*
 * A parsed reply line. Every pointer is into the line given to
 * hlp_reply_parse(), which it changed in place; valid as long as it.
 */
struct hlp_reply {
	enum hlp_result result;
	struct hlp_kv   kv[HLP_KV_MAX];
	size_t          nkv;
	size_t          dropped;	/* pairs past HLP_KV_MAX */
	char           *other;		/* what is left after the result code
					   and the pairs (NUL-terminated;
					   "" none): an old-style answer */
	size_t          other_len;
};

/* What a timed out request gets (url_rewrite_timeout's on_timeout=). */
enum hlp_on_timeout {
	HLP_TO_BYPASS = 0,	/* answer as if the helper said ERR: keep
				   the request as it is (Squid's default) */
	HLP_TO_FAIL,		/* HLP_TIMEDOUT: the caller answers with an
				   error */
	HLP_TO_RETRY,		/* send it again (HLP_MAX_RETRIES times) */
	HLP_TO_RESPONSE,	/* use the configured response line */
};

/*
 * A pool's options: the program and Squid's *_children settings. Filled
 * by the configuration (arena memory, lives as long as the cfg).
 */
struct hlp_opts {
	const char  *name;	/* the directive, for cache.log: e.g.
				   "url_rewrite_program" */
	int          kind;	/* enum stats_helper (stats-t.h) */
	char       **argv;	/* program and arguments, NULL-terminated */
	unsigned     max;	/* children-max (the first number) */
	unsigned     startup;	/* started with the pool */
	unsigned     idle;	/* kept free, at least 1 */
	unsigned     concurrency;	/* 0: one request at a time, no
					   channel IDs */
	unsigned     queue_size;	/* queued requests before the pool
					   is overloaded */
	int          queue_size_set;	/* queue-size= given */
	int          overload_err;	/* on-persistent-overload=ERR (else
					   die) */
	double       timeout;	/* seconds a sent request may wait for its
				   answer; 0: forever */
	enum hlp_on_timeout on_timeout;
	const char  *timeout_response;	/* HLP_TO_RESPONSE's line */
	const char  *file;	/* where the program was configured */
	int          line;
};

struct hlp_pool;
struct hlp_req;

/*
 * The answer to a request, called once unless the request was cancelled
 * first (hlp_cancel()). r and its strings are valid only during the call
 * (the callback may change them in place, e.g. hlp_reply_legacy_rewrite());
 * the request handle is dead as soon as the callback starts.
 */
typedef void hlp_cb(void *arg, struct hlp_reply *r);

#endif
