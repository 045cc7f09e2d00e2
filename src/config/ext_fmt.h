/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext_fmt.h - the FORMAT of an external_acl_type (cfg_extacl-t.h) and
 * the line it makes for a request. Pure: no I/O, no allocation. The
 * helper requests and the streams waiting for them are in
 * src/proxy/extacl.c; the answers' cache in helper/ext_cache.h.
 */
#ifndef TPROXYD_CONFIG_EXT_FMT_H
#define TPROXYD_CONFIG_EXT_FMT_H

#include <stddef.h>

#include "config/cfg_extacl-t.h"
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

#endif
