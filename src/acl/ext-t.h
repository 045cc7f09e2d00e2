/*
 * ext-t.h - external acls (Squid's external_acl_type and "acl NAME
 * external TYPE [ARG...]"): a type's settings and format, the cache of
 * its answers, and one acl's use of it.
 *
 * A request reaching such an acl is described by the type's FORMAT (one
 * value per %code, URL-escaped, "-" when empty; the acl's arguments are
 * appended, escaped, as %DATA); that line goes to the helper, which
 * answers OK (match), ERR (no match) or BH (broken: the access check ends
 * as not allowed, as in Squid). Answers are cached under the line.
 */
#ifndef TPROXYD_ACL_EXT_T_H
#define TPROXYD_ACL_EXT_T_H

#include <stddef.h>

#include "config/logfmt-t.h"
#include "helper/helper-t.h"

/* What one word of a FORMAT expands to. */
enum ext_word_kind {
	EXT_W_CODE,		/* a logformat code (tok) */
	EXT_W_ACL,		/* %ACL: the acl's name */
	EXT_W_DATA,		/* %DATA: the acl's arguments */
};

struct ext_word {
	enum ext_word_kind kind;
	struct lf_tok      tok;		/* EXT_W_CODE */
};

/* An answer, as cached (Squid's ExternalACLEntry). */
enum ext_result {
	EXT_ERR = 0,		/* no match */
	EXT_OK = 1,		/* match */
	EXT_BH = 2,		/* no answer (BH, a timeout, garbage):
				   never cached */
};

/*
 * One answer: the line it answers and the reply's user=, tag=, log=,
 * message= ("" when not given). One allocation, reference counted: the
 * cache holds one reference, a request that used it another.
 */
struct ext_entry {
	unsigned           refs;
	enum ext_result    result;
	double             date;	/* when it was answered */
	const void        *def;	/* the struct ext_def it belongs to */
	const char        *key;	/* the line sent (NUL-terminated) */
	size_t             klen;
	const char        *user, *tag, *log, *message;
	/* The cache's links. */
	struct ext_entry  *hnext;	/* hash chain */
	struct ext_entry  *prev, *next;	/* most recently used first */
	unsigned           hash;
};

/* A bounded cache of answers: LRU, with Squid's ttl and grace. */
struct ext_cache {
	struct ext_entry **tab;		/* NULL until the first entry */
	size_t             nbucket;	/* a power of two */
	size_t             n, max;	/* max 0: nothing is cached */
	struct ext_entry  *head, *tail;
	int                ttl;		/* seconds an OK answer is used */
	int                negative_ttl;	/* ... an ERR answer */
	int                grace;	/* percent of the ttl left when a
					   refresh starts in the background
					   (0: none) */
};

/* What ext_cache_find() says about an entry. */
enum ext_fresh {
	EXT_EXPIRED = 0,	/* too old: ask the helper */
	EXT_FRESH,		/* use it */
	EXT_REFRESH,		/* use it, and ask again in the background
				   (grace=) */
};

struct ext_lookup;

/* One external_acl_type line. */
struct ext_def {
	const char        *name;
	struct hlp_opts    opts;	/* children-*, concurrency, queue-size,
					   the program */
	int                shell_quote;	/* protocol=2.5: values quoted
					   shell-style instead of
					   URL-escaped */
	struct ext_word   *fmt;
	size_t             nfmt;
	struct ext_cache   cache;	/* cache=, ttl=, negative_ttl=,
					   grace= */
	/* Running state, made in the serving process (src/proxy/extacl.c):
	 * the pool of children and the lookups waiting for them. */
	struct hlp_pool   *pool;
	struct ext_lookup *pending;
	struct ext_def    *next;
	const char        *file;	/* where it was defined */
	int                line;
};

/* One "acl NAME external TYPE [ARG...]": the type and the arguments. */
struct acl_ext {
	struct ext_def  *def;
	char           **arg;
	size_t           narg;
};

#endif
