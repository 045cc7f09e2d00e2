/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext_fmt.c - the FORMAT of an external_acl_type (Squid's
 * parse_externalAclHelper()): Squid's old %codes turned into logformat
 * codes, compiled. The line sent to the helper for a request is made by
 * log/ext_line.c. Pure: no I/O, no allocation.
 */
#include <stdio.h>
#include <string.h>

#include "config/ext_fmt.h"
#include "config/logfmt.h"

/* Squid's old external_acl_type codes and the logformat code each
 * stands for (Squid 7's format/Token.cc). */
static const struct {
	const char *old;
	const char *code;
} old_codes[] = {
	{ "SRCPORT",	"%>p" },
	{ "SRCEUI48",	"%>eui" },
	{ "SRCEUI64",	"%>eui" },
	{ "SRC",	"%>a" },
	{ "DST",	"%>rd" },
	{ "PROTO",	"%>rs" },
	{ "PORT",	"%>rP" },
	{ "URI",	"%>ru" },
	{ "PATH",	"%>rp" },
	{ "METHOD",	"%>rm" },
	{ "MYADDR",	"%>la" },
	{ "MYPORT",	"%>lp" },
	{ "LOGIN",	"%ul" },
	{ "EXT_USER",	"%ue" },
	{ "EXT_TAG",	"%et" },
	{ "TAG",	"%et" },
	{ "EXT_LOG",	"%ea" },
	{ "IDENT",	"%ui" },
};

int
ext_fmt_translate(const char *word, char *buf, size_t len)
{
	size_t i;
	int n;

	if (word[0] != '%')
		return -1;
	if (strncmp(word, "%>{", 3) == 0)
		n = snprintf(buf, len, "%%>ha%s", word + 2);
	else if (strncmp(word, "%<{", 3) == 0)
		n = snprintf(buf, len, "%%<h%s", word + 2);
	else if (strncmp(word, "%{", 2) == 0)	/* Squid 2: a request
						   header */
		n = snprintf(buf, len, "%%>ha%s", word + 1);
	else {
		n = -1;
		for (i = 0; i < sizeof(old_codes) / sizeof(old_codes[0]); i++)
			if (strcmp(word + 1, old_codes[i].old) == 0) {
				n = snprintf(buf, len, "%s", old_codes[i].code);
				break;
			}
		if (n < 0)
			n = snprintf(buf, len, "%s", word);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
ext_fmt_compile(const char *spec, struct ext_word *w, int shell_quote,
		char *err, size_t errlen)
{
	struct lf_tok tok[2];
	long n;

	memset(w, 0, sizeof(*w));
	if (strcmp(spec, "%ACL") == 0) {
		w->kind = EXT_W_ACL;
		return 0;
	}
	if (strcmp(spec, "%DATA") == 0) {
		w->kind = EXT_W_DATA;
		return 0;
	}
	if (errlen > 0)
		err[0] = '\0';
	n = lf_compile(spec, tok, 2, err, errlen);
	if (n < 0)
		return -1;
	if (n != 1 || tok[0].code == LF_TEXT) {
		snprintf(err, errlen, "'%s' is not one format code", spec);
		return -1;
	}
	w->kind = EXT_W_CODE;
	w->tok = tok[0];
	if (w->tok.enc == LF_ENC_AUTO)
		w->tok.enc = shell_quote ? LF_ENC_SHELL : LF_ENC_URL;
	return 0;
}
