/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * logfmt.h - formatting access.log records with a compiled logformat
 * (tokens from src/config/logfmt_parse.c): no printf, no parsing per
 * record.
 */
#ifndef TPROXYD_LOG_LOGFMT_H
#define TPROXYD_LOG_LOGFMT_H

#include "config/logfmt-t.h"
#include "log/access_log-t.h"

/*
 * Format r with the n tokens into out (size n_out >= 512), NUL-terminated
 * and ending with '\n' (values are cut to fit). Returns the length.
 */
size_t lf_format(char *out, size_t n_out, const struct lf_tok *tok, size_t n,
		 const struct alog_rec *r);

#endif
