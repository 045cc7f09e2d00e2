/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * logfmt.h - compiling Squid's logformat strings (logfmt_parse.c), once,
 * when the configuration loads; the tokens are in logfmt-t.h, and
 * src/log/logfmt.h formats records with them.
 */
#ifndef TPROXYD_CONFIG_LOGFMT_H
#define TPROXYD_CONFIG_LOGFMT_H

#include <stddef.h>

#include "config/logfmt-t.h"

/*
 * Compile spec into tok (room for max tokens; tok may be NULL to count).
 * The tokens point into spec, which must outlive them. Returns the number
 * of tokens (may exceed max: call again with more room), or -1 with a
 * message for the operator in err.
 */
long lf_compile(const char *spec, struct lf_tok *tok, size_t max,
		char *err, size_t errlen);

/* The format string of Squid's built-in format name (squid, common,
 * combined, referrer, useragent), or NULL. */
const char *lf_builtin(const char *name);

#endif
