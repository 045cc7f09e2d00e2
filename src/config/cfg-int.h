/*
 * cfg-int.h - private to src/config/: the arena, the lexer, the parser
 * state and the diagnostics shared by lex.c, directives.c, acl_parse.c and
 * config.c. Nothing outside src/config/ includes this file.
 */
#ifndef TPROXYD_CONFIG_CFG_INT_H
#define TPROXYD_CONFIG_CFG_INT_H

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
	int              access_log_set;
	const char      *access_log_file;	/* the one in use */
	int              access_log_line;
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

/* directives.c: run one configuration line (tok[0] is the directive). */
void cfg_directive(struct cfg_parse *p, const struct tok *t, size_t n);

/* directives.c: WCCPv2 defaults and whole-file checks; run once after
 * parsing. */
void cfg_wccp2_finish(struct cfg_parse *p);

/* acl_parse.c */
void cfg_acl_builtin(struct cfg_parse *p);
void cfg_acl_line(struct cfg_parse *p, const struct tok *t, size_t n);
/* Sort dstdomain values and compile regexes; run once after parsing. */
void cfg_acl_finish(struct cfg_parse *p);
/* Parse "name" or "!name" into ref; 0, or -1 after reporting. */
int cfg_acl_ref(struct cfg_parse *p, const char *dname, const struct tok *t,
		struct acl_ref *ref);
/* The name used for builtin acls' file: acl->file == cfg_builtin_file. */
extern const char cfg_builtin_file[];

/* A numeric IPv4 or IPv6 address ("[v6]" allowed) of len bytes at s:
 * *family and the 16 address bytes (IPv4 in the first 4). 0 or -1. */
int cfg_parse_addr(const char *s, size_t len, int *family,
		   struct in6_addr *a);

#endif
