/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext_fmt.h - the FORMAT of an external_acl_type (cfg_extacl-t.h),
 * compiled. Pure: no I/O, no allocation. The line it makes for a request
 * is log/ext_line.h's; the helper requests and the streams waiting for
 * them are in src/proxy/extacl.c; the answers' cache in
 * helper/ext_cache.h.
 */
#ifndef TPROXYD_CONFIG_EXT_FMT_H
#define TPROXYD_CONFIG_EXT_FMT_H

#include <stddef.h>

#include "config/cfg_extacl-t.h"

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

#endif
