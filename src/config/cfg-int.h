/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg-int.h - private to src/config/: the arena, the lexer, the parser
 * state, the diagnostics, the directive tables and the helpers shared by
 * lex.c, config.c, acl_parse.c and the directive modules cfg_*.c. Nothing
 * outside src/config/ includes this file (its unit tests aside).
 */
#ifndef TPROXYD_CONFIG_CFG_INT_H
#define TPROXYD_CONFIG_CFG_INT_H

#include <netdb.h>
#include <regex.h>
#include <stddef.h>

#include "config/config-t.h"

/* Includes may nest this deep (Squid's limit too); it also stops cycles. */
#define CFG_INCLUDE_DEPTH	16
/* No configuration or acl value file may be larger than this. */
#define CFG_FILE_MAX		(64u << 20)

/*
 * The arena owns every byte a struct cfg points to: one free releases it
 * all, so a cfg can never leak part of itself. Allocation failure aborts:
 * a configuration is loaded at boot or on -k reconfigure, and there is no
 * sensible half-loaded state to return to.
 */
struct arena;

struct arena   *ar_new(void);
/* Free every allocation and run regfree() on every registered regex. */
void            ar_free(struct arena *ar);
/* Zeroed memory, aligned for any type, valid until ar_free(). */
void           *ar_alloc(struct arena *ar, size_t size);
char           *ar_strdup(struct arena *ar, const char *s);
char           *ar_strndup(struct arena *ar, const char *s, size_t len);
/*
 * Make room for element n of an array of n elements of size bytes and
 * return the (possibly moved) array; the new element is zeroed. Capacity
 * doubles when n is a power of two, so pushing N values costs O(N) memory.
 */
void           *ar_grow(struct arena *ar, void *base, size_t n, size_t size);
/* Call fn(arg) in ar_free() (newest first): for objects a cfg holds
 * that are not arena memory (certificates, TLS contexts). */
void            ar_release(struct arena *ar, void (*fn)(void *arg),
			   void *arg);
/* Register n compiled regexes for regfree() in ar_free(). */
void            ar_regex(struct arena *ar, regex_t *re, size_t n);

/* Append one element to arr (counted by n) and yield a pointer to it. */
#define AR_PUSH(ar, arr, n) \
	((arr) = ar_grow((ar), (arr), (n), sizeof(*(arr))), &(arr)[(n)++])

/* One word of a configuration line and where it was written. */
struct tok {
	const char *s;		/* NUL-terminated, quotes removed */
	const char *file;	/* owned by the arena */
	int         line;
	int         quoted;	/* was "..." (an acl value file) */
	const char *raw;	/* the line from this token on, as written
				   (trailing comment included) */
};

struct lexer;

/*
 * Everything a directive setter may touch while one configuration is being
 * read. The cfg is not visible to anyone else until cfg_load returns it.
 */
struct cfg_parse {
	struct cfg      *c;
	struct arena    *ar;
	struct cfg_msgs *msgs;
	size_t           nerr;		/* errors from this load only */
	const char      *name;		/* main file name, arena-owned */
	struct acl      *acl_tail;	/* c->acls is kept in file order */

	/*
	 * What a module needs to remember from one line to the next (or for
	 * its finish hook) but the loaded cfg does not: one member per
	 * module that has such state.
	 */
	struct {
		int         set;	/* an access_log line was seen */
	} access_log;			/* cfg_log.c */
	struct {
		const char *file;	/* first ${process_number} or */
		int         line;	/* ${process_name} (lex.c), 0: none */
		const char *name;
	} kid_macro;			/* lex.c; checked by config.c */
	struct {
		/* Seen on a line; else the finish hook sets the default. */
		int         weight_set;
		int         rebuild_wait_set;
	} wccp2;			/* cfg_wccp2.c */
	struct {
		int         style;	/* ssl_bump lines so far: 0 none, 1
					   actions, 2 Squid 3.2's allow/deny */
	} tls;				/* cfg_tls.c */
	struct {
		/* The first host_verify_trusted_resolvers line; NULL:
		 * none. */
		const char *file;
		int         line;
	} learn;			/* cfg_learn.c */
	struct {
		/* Where the values the finish hook compares were set
		 * (enum cfgc_mark; file NULL: the default). */
		const char *file[4];
		int         line[4];
	} cache;			/* cfg_cache.c */
	struct {
		/* Where delay_pools [0] and client_delay_pools [1] were
		 * set; NULL: not yet. */
		const char *file[2];
		int         line[2];
	} delay;			/* cfg_delay.c */
};

/* The marks of struct cfg_parse's member cache. */
enum cfgc_mark {
	CFGC_SWAP_LOW = 0,
	CFGC_SWAP_HIGH,
	CFGC_MIN_OBJ,
	CFGC_MAX_OBJ,
};

/* Add "FILE:LINE: text" (where == NULL: "MAINFILE: text"); WARNING: is
 * prefixed to warnings. */
void cfg_msg(struct cfg_parse *p, enum cfg_level level, const struct tok *where,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define cfg_err(p, t, ...)	cfg_msg((p), CFG_ERR, (t), __VA_ARGS__)
#define cfg_warn(p, t, ...)	cfg_msg((p), CFG_WARN, (t), __VA_ARGS__)

/*
 * Read a whole regular file into a malloc'd, NUL-terminated buffer.
 * Returns 0, or a negative errno (-EFBIG over CFG_FILE_MAX, -EINVAL when
 * it is not a regular file or holds a NUL byte).
 */
int cfg_read_file(const char *path, char **buf, size_t *len);

/* Lexer over a file (NULL and an error message when it cannot be read) or
 * over a caller's string (copied). */
struct lexer *lex_open_file(struct cfg_parse *p, const char *path);
struct lexer *lex_open_mem(struct cfg_parse *p, const char *text,
			   const char *name);
/*
 * Next logical line as tokens, following includes. Returns the number of
 * tokens (> 0), or 0 at the end of the input. The tokens are valid until
 * the next call; their file names live as long as the arena.
 */
size_t lex_line(struct lexer *lx, const struct tok **tok);
void lex_close(struct lexer *lx);

/*
 * Call fn for each word of the acl value file named by the quoted token q:
 * one or more words per line, '#' starts a comment. Returns the number of
 * words, or -1 when the file cannot be read (already reported).
 */
long lex_file_words(struct cfg_parse *p, const struct tok *q,
		    void (*fn)(struct cfg_parse *, const struct tok *, void *),
		    void *arg);

/* ------------------------------------------------------ directive tables */

/*
 * A setter receives the tokens of one logical line (t[0] is the directive
 * name, n >= 1) and either stores values in p->c or reports through
 * cfg_err() / cfg_warn(). Messages always name the directive and the
 * offending token: "FILE:LINE: http_port: invalid port '99999'". A setter
 * never stops the load; cfg_load() decides at the end from p->nerr.
 */
typedef void cfg_setter(struct cfg_parse *p, const struct tok *t, size_t n);

struct cfg_dir {
	const char *name;
	cfg_setter *set;
};

/*
 * A Squid directive tproxyd does not implement. In an ignored or obsolete
 * table, why ignoring it is safe (the warning says so); in a refused
 * table, the feature it needs and what would go wrong if it were ignored
 * (the error says so). A directive that decides access, authentication,
 * content or privacy is never ignored.
 */
struct cfg_nodir {
	const char *name;
	const char *feature;	/* refused: what tproxyd lacks; else NULL */
	const char *why;
};

/* What a table's nodir entries get: a warning, or an error. */
enum cfg_nokind {
	CFG_NO_NONE = 0,	/* the table has no nodir entries */
	CFG_NO_IGNORE,		/* "'X' is not implemented by tproxyd;
				   ignored (WHY)" */
	CFG_NO_OBSOLETE,	/* "'X' is obsolete; ignored, as by Squid 7
				   (SQUID'S ADVICE)" */
	CFG_NO_REFUSE,		/* "'X' is not supported by tproxyd
				   (FEATURE): if it were ignored, WHY" */
};

/*
 * One module's directives: src/config/cfg_MODULE.c exports its table as
 * cfg_dirs_MODULE and config.c lists it in cfg_dirtabs[]. Each hook may
 * be NULL. defaults runs on a fresh cfg before the first line is read;
 * finish runs after the last line when the main file could be read, for
 * the defaults that depend on what was set and the checks that need the
 * whole file. Both run in the order of cfg_dirtabs[], so that is also the
 * order of the finish hooks' messages. A directive name appears in one
 * table only.
 */
struct cfg_dirtab {
	const char           *module;	/* "wccp2": for tests and readers */
	const struct cfg_dir *dir;
	size_t                ndir;
	/* Directives this module names but does not implement. */
	enum cfg_nokind         nokind;
	const struct cfg_nodir *nodir;
	size_t                  nnodir;
	void                (*defaults)(struct cfg_parse *p);
	void                (*finish)(struct cfg_parse *p);
};

#define CFG_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The modules' tables (cfg_access.c, cfg_ports.c, ...). */
extern const struct cfg_dirtab cfg_dirs_access;
extern const struct cfg_dirtab cfg_dirs_ports;
extern const struct cfg_dirtab cfg_dirs_proc;
extern const struct cfg_dirtab cfg_dirs_log;
extern const struct cfg_dirtab cfg_dirs_http;
extern const struct cfg_dirtab cfg_dirs_route;
extern const struct cfg_dirtab cfg_dirs_rules;
extern const struct cfg_dirtab cfg_dirs_wccp2;
extern const struct cfg_dirtab cfg_dirs_qos;
extern const struct cfg_dirtab cfg_dirs_tls;
extern const struct cfg_dirtab cfg_dirs_learn;
extern const struct cfg_dirtab cfg_dirs_cache;
extern const struct cfg_dirtab cfg_dirs_sibling;
extern const struct cfg_dirtab cfg_dirs_helper;
extern const struct cfg_dirtab cfg_dirs_delay;
extern const struct cfg_dirtab cfg_dirs_icap;
extern const struct cfg_dirtab cfg_dirs_extacl;
extern const struct cfg_dirtab cfg_dirs_udp;
/* cfg_udp.c: udp_port ... tproxy (called by cfg_sibling.c's udp_port). */
void cfg_udp_port_line(struct cfg_parse *p, const struct tok *t, size_t n);
/* cfg_extacl.c: the external_acl_type named name, or NULL. */
struct ext_def *cfg_ext_find(const struct cfg *c, const char *name);
extern const struct cfg_dirtab cfg_dirs_auth;
extern const struct cfg_dirtab cfg_dirs_ignored;
extern const struct cfg_dirtab cfg_dirs_obsolete;
extern const struct cfg_dirtab cfg_dirs_refused;

/* cfg_learn.c: the file whose nameserver lines are the default trusted
 * resolvers when dns_nameservers is not set (tests replace it). */
extern const char *cfg_resolv_conf;

/* config.c: every module's table, NULL-terminated. */
extern const struct cfg_dirtab *const cfg_dirtabs[];

/* config.c: the entry for name and (when tab != NULL) its table, or NULL
 * when no module knows name. */
const struct cfg_dir *cfg_dir_find(const char *name,
				   const struct cfg_dirtab **tab);
/* config.c: the not-implemented entry for name (ignored, obsolete or
 * refused: (*tab)->nokind says which), or NULL. */
const struct cfg_nodir *cfg_nodir_find(const char *name,
				       const struct cfg_dirtab **tab);

/* --------------------------------------------- cfg_util.c: shared helpers */

/* Check the argument count (t[0] excluded); 0 if between min and max,
 * else -1 after reporting. max < 0: no limit. */
int cfg_nargs(struct cfg_parse *p, const struct tok *t, size_t n,
	      size_t min, int max);
/* Squid's on|off (also enable|disable) in v, for directive d. Returns 0
 * or 1, or -1 after reporting. */
int cfg_onoff(struct cfg_parse *p, const struct tok *d, const struct tok *v);
/* Strict decimal in [lo, hi] (no sign, at most 10 digits); 0 or -1. */
int cfg_number(const char *s, unsigned long lo, unsigned long hi,
	       unsigned long *out);
/* Non-negative decimal "12" or "1.5" (no sign, exponent, hex or inf);
 * 0 or -1. */
int cfg_decimal(const char *s, double *out);
/* Bytes per Squid size unit (bytes, KB, MB, GB; any case); 0 or -1. */
int cfg_size_unit(const char *u, double *out);
/* A numeric address of len bytes at s, IPv6 with or without brackets,
 * into *ss with the given port; 0 or -1 (names are refused). */
int cfg_sockaddr(const char *s, size_t len, unsigned port,
		 struct sockaddr_storage *ss, socklen_t *sl);
/*
 * Host names, resolved when the configuration is read (as Squid does).
 * cfg_getaddrinfo and cfg_freeaddrinfo are getaddrinfo() and
 * freeaddrinfo(); tests replace them so that they need no DNS.
 */
extern int (*cfg_getaddrinfo)(const char *, const char *,
			      const struct addrinfo *, struct addrinfo **);
extern void (*cfg_freeaddrinfo)(struct addrinfo *);
/* len bytes at s look like a host name: letters, digits, '-', '.', '_',
 * at least one letter (so a mistyped address is not looked up). */
int cfg_is_hostname(const char *s, size_t len);
/* Every address (port 0, each once, the resolver's order) of the name of
 * len bytes at s, of family (AF_UNSPEC: both), into an arena array *out.
 * Returns how many, or 0 after reporting "DNAME: cannot resolve 'NAME':
 * REASON" at t. */
size_t cfg_resolve(struct cfg_parse *p, const struct tok *t,
		   const char *dname, const char *s, size_t len, int family,
		   struct sockaddr_storage **out);
/* The address of ss (no port) as text. */
void cfg_addr_str(const struct sockaddr_storage *ss, char *buf, size_t size);
/* When a name had k > 1 addresses (all): warn "DNAME: 'NAME' has k
 * addresses (A, B, ...); VERB A only, as Squid doesTAIL". */
void cfg_warn_first(struct cfg_parse *p, const struct tok *t,
		    const char *dname, const char *s, size_t len,
		    const struct sockaddr_storage *all, int k,
		    const char *verb, const char *tail);
/* A numeric address or a host name (its first address, as Squid) into
 * *ss with port; family AF_INET: IPv4 only. Returns how many addresses
 * the name has (1: numeric), 0 after reporting a name that does not
 * resolve, -1 when s is neither (the caller reports). all (may be NULL):
 * every address of a name, NULL for a numeric address. */
int cfg_host_sockaddr(struct cfg_parse *p, const struct tok *t,
		      const char *dname, const char *s, size_t len,
		      unsigned port, int family, struct sockaddr_storage *ss,
		      socklen_t *sl, struct sockaddr_storage **all);
/* cfg_ports.c: "[ADDR:]PORT" of a *_port line into *addr (any address
 * of IPv6 with *wildcard set when the line names none); 0 or -1 after
 * reporting. */
int cfg_port_addr(struct cfg_parse *p, const struct tok *t, const char *dname,
		  struct sockaddr_storage *addr, socklen_t *addrlen,
		  int *wildcard);
/* NAME ... allow|deny [!]acl...: append one rule to list; t[first] is
 * allow or deny, dname names the directive in messages. */
void cfg_access_line(struct cfg_parse *p, const struct tok *t, size_t n,
		     size_t first, const char *dname, struct access_list *list);
/* NAME VALUE into *out (arena copy); none_ok: "none" stores NULL. */
void cfg_set_string(struct cfg_parse *p, const struct tok *t, size_t n,
		    char **out, int none_ok);
/* NAME on|off into *out. */
void cfg_set_bool(struct cfg_parse *p, const struct tok *t, size_t n,
		  int *out);
/* NAME N with N in [lo, hi]: 0, or -1 after reporting (what: the
 * range in words). */
int cfg_int_line(struct cfg_parse *p, const struct tok *t, size_t n,
		 unsigned long lo, unsigned long hi, const char *what,
		 unsigned long *out);
/* NAME N [unit] into *out in seconds; a bare number is seconds, with
 * Squid's warning. */
void cfg_set_time(struct cfg_parse *p, const struct tok *t, size_t n,
		  double *out);

/* acl_parse.c. The predefined acls (all, localhost, ...): the access
 * module's defaults hook (cfg_access.c). */
void cfg_acl_builtin(struct cfg_parse *p);
/* One "acl NAME TYPE VALUE..." line. */
void cfg_acl_line(struct cfg_parse *p, const struct tok *t, size_t n);
/* Sort dstdomain values and compile regexes; the access module's finish
 * hook, run once after parsing. */
void cfg_acl_finish(struct cfg_parse *p);
/* Warn about acls of an "access allow|deny acl..." line (t[2] on) that
 * need the response, for lists decided before there is one. */
void cfg_acl_warn_reply(struct cfg_parse *p, const struct tok *t, size_t n,
			const char *dname);
/* Parse "name" or "!name" into ref; 0, or -1 after reporting. */
int cfg_acl_ref(struct cfg_parse *p, const char *dname, const struct tok *t,
		struct acl_ref *ref);
/* The name used for builtin acls' file: acl->file == cfg_builtin_file. */
extern const char cfg_builtin_file[];

/* cfg_helper.c: NAME N [startup=N] [idle=N] [concurrency=N]
 * [queue-size=N] [on-persistent-overload=ERR|die] into o (Squid's
 * HelperChildConfig), t[0] naming the directive in messages. */
void cfg_helper_children(struct cfg_parse *p, const struct tok *t, size_t n,
			 struct hlp_opts *o);

/* acl_auth.c: a proxy_auth value ("REQUIRED" or a user name) into acl;
 * icase: -i was given. */
void cfg_acl_add_proxy_auth(struct cfg_parse *p, const struct tok *t,
			    struct acl *acl, int icase);

/* A numeric IPv4 or IPv6 address ("[v6]" allowed) of len bytes at s:
 * *family and the 16 address bytes (IPv4 in the first 4). 0 or -1. */
int cfg_parse_addr(const char *s, size_t len, int *family,
		   struct in6_addr *a);

#endif
