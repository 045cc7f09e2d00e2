/*
 * logfmt.h - Squid's logformat codes: compile a format once, format
 * records with it (no printf, no parsing per record).
 */
#ifndef TPROXYD_LOG_LOGFMT_H
#define TPROXYD_LOG_LOGFMT_H

#include "log/access_log-t.h"
#include "log/logfmt-t.h"

/*
 * Compile spec into tok (room for max tokens; tok may be NULL to count).
 * The tokens point into spec, which must outlive them. Returns the number
 * of tokens (may exceed max: call again with more room), or -1 with a
 * message for the operator in err.
 */
long lf_compile(const char *spec, struct lf_tok *tok, size_t max,
		char *err, size_t errlen);

/* The format string of a built-in format (squid, common, combined,
 * referrer, useragent), or NULL. */
const char *lf_builtin(const char *name);

/*
 * Format r with the n tokens into out (size n_out >= 512), NUL-terminated
 * and ending with '\n' (values are cut to fit). Returns the length.
 */
size_t lf_format(char *out, size_t n_out, const struct lf_tok *tok, size_t n,
		 const struct alog_rec *r);

#endif
