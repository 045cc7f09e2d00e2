/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext_line.h - the line an external_acl_type helper gets for a request,
 * from its compiled FORMAT (config/ext_fmt.h) and the request's log
 * record. Pure: no I/O, no allocation.
 */
#ifndef TPROXYD_LOG_EXT_LINE_H
#define TPROXYD_LOG_EXT_LINE_H

#include <stddef.h>

#include "config/cfg_extacl-t.h"
#include "log/access_log-t.h"

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
