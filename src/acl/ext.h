/*
 * ext.h - external acls without I/O (ext-t.h): the FORMAT of an
 * external_acl_type (ext_fmt.c) and the cache of answers (ext_cache.c).
 * The helper requests and the streams waiting for them are in
 * src/proxy/extacl.c.
 */
#ifndef TPROXYD_ACL_EXT_H
#define TPROXYD_ACL_EXT_H

#include <stddef.h>

#include "acl/ext-t.h"
#include "helper/helper-t.h"
#include "log/access_log-t.h"

/*
 * One FORMAT word: Squid's old codes (%SRC %SRCPORT %DST %PROTO %PORT
 * %URI %PATH %METHOD %MYADDR %MYPORT %LOGIN %EXT_USER %EXT_TAG %TAG
 * %EXT_LOG %SRCEUI48 %SRCEUI64, %>{Header} %<{Header} %{Header}, each
 * with an optional :member or :;member list element), %ACL, %DATA, or a
 * logformat code (%>a %>p %>la %>lp %un %rm %ru %>rd %>ha{Header} ...).
 * The spec of a code is kept in *spec (arena memory of the caller: the
 * token points into it). Returns 0, or -1 with a message in err.
 * translate() writes the logformat spec of an old code into buf.
 */
int ext_fmt_translate(const char *word, char *buf, size_t len);
int ext_fmt_compile(const char *spec, struct ext_word *w, int shell_quote,
		    char *err, size_t errlen);

/*
 * The line for one request: each word's value ("-" when empty), values
 * separated by one space, URL-escaped (shell-quoted with shell_quote);
 * %DATA is the arguments each escaped and separated by spaces, "-" when
 * there are none. A format without %DATA gets it appended when the acl
 * has arguments. Writes at most cap - 1 bytes and a NUL; returns the
 * length, or -1 when the line does not fit.
 */
long ext_fmt_line(const struct ext_def *d, const struct acl_ext *a,
		  const char *acl_name, const struct alog_rec *r, char *out,
		  size_t cap);

/* URL-escape s (Squid's rfc1738_escape: controls, space, 8-bit, and
 * <>"#%{}|\^~[]`') or shell-quote it; returns the length written (at
 * most cap - 1, NUL-terminated). */
size_t ext_escape(const char *s, size_t len, int shell_quote, char *out,
		  size_t cap);

/* --- the cache (ext_cache.c); now is in seconds --- */

/* Empty c and set its bounds. */
void ext_cache_init(struct ext_cache *c, size_t max, int ttl,
		    int negative_ttl, int grace);
/* Drop every entry (their other references stay valid). */
void ext_cache_clear(struct ext_cache *c);
/*
 * The entry for key, or NULL; *fresh says whether to use it. A found
 * entry becomes the most recently used one. The reference stays the
 * cache's: take one (ext_entry_ref) to keep it past the next change.
 */
struct ext_entry *ext_cache_find(struct ext_cache *c, const char *key,
				 size_t klen, double now,
				 enum ext_fresh *fresh);
/*
 * Keep e (the cache takes a reference) when its result may be cached
 * (OK with ttl > 0, ERR with negative_ttl > 0, max > 0), replacing an
 * entry with the same key and evicting the least recently used one when
 * full. A BH answer removes the key's entry instead. Returns 1 kept.
 */
int ext_cache_add(struct ext_cache *c, struct ext_entry *e);

/*
 * An entry for key from a helper's reply (NULL r: no answer, BH), with
 * the reply's user=, tag=, log=, message=; one reference. NULL when out
 * of memory.
 */
struct ext_entry *ext_entry_new(const void *def, const char *key,
				size_t klen, const struct hlp_reply *r,
				double now);
void ext_entry_ref(struct ext_entry *e);
void ext_entry_unref(struct ext_entry *e);

#endif
