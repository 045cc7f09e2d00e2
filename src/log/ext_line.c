/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ext_line.c - the line an external_acl_type helper gets for a request
 * (Squid's makeExternalAclKey()), from the type's FORMAT compiled by
 * config/ext_fmt.c and the request's log record. Pure: no I/O, no
 * allocation.
 *
 * As in Squid, every word of the FORMAT is followed by one space, each
 * value is URL-escaped (protocol=2.5: shell-quoted) and an empty value is
 * "-". Without %DATA in the FORMAT the acl's arguments come last, with
 * no space after them ("-" when there are none).
 */
#include <stdio.h>
#include <string.h>

#include "log/ext_line.h"
#include "log/logfmt.h"

/* Bytes Squid's rfc1738_escape() %-encodes. */
static int
url_escaped(unsigned char ch)
{
	return ch <= 0x20 || ch >= 0x7f ||
	    strchr("<>\"#%{}|\\^~[]`'", ch) != NULL;
}

size_t
ext_escape(const char *s, size_t len, int shell_quote, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;
	unsigned char ch;
	int quote;

	if (cap == 0)
		return 0;
	if (!shell_quote) {
		for (i = 0; i < len; i++) {
			ch = (unsigned char)s[i];
			if (!url_escaped(ch)) {
				if (o + 1 >= cap)
					break;
				out[o++] = (char)ch;
				continue;
			}
			if (o + 3 >= cap)
				break;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
		out[o] = '\0';
		return o;
	}
	/* Squid's strwordquote(): "..." around a value with a space, \
	 * before " and \, \n and \r for line feeds. */
	quote = memchr(s, ' ', len) != NULL;
	if (quote && o + 1 < cap)
		out[o++] = '"';
	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\' || ch == '\n' || ch == '\r') {
			if (o + 2 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = ch == '\n' ? 'n' : ch == '\r' ? 'r' :
				   (char)ch;
			continue;
		}
		if (o + 1 >= cap)
			break;
		out[o++] = (char)ch;
	}
	if (quote && o + 1 < cap)
		out[o++] = '"';
	out[o] = '\0';
	return o;
}

/* Append len bytes of v to out at *o; -1 when they do not fit. */
static int
put(char *out, size_t cap, size_t *o, const char *v, size_t len)
{
	if (*o + len + 1 > cap)
		return -1;
	memcpy(out + *o, v, len);
	*o += len;
	out[*o] = '\0';
	return 0;
}

/* The acl's arguments, each escaped, separated by spaces; "-" none. */
static int
put_data(const struct ext_def *d, const struct acl_ext *a, char *out,
	 size_t cap, size_t *o)
{
	char v[4096];
	size_t i, k;

	if (a == NULL || a->narg == 0)
		return put(out, cap, o, "-", 1);
	for (i = 0; i < a->narg; i++) {
		if (i > 0 && put(out, cap, o, " ", 1) < 0)
			return -1;
		k = ext_escape(a->arg[i], strlen(a->arg[i]), d->shell_quote,
			       v, sizeof(v));
		if (put(out, cap, o, v, k) < 0)
			return -1;
	}
	return 0;
}

long
ext_fmt_line(const struct ext_def *d, const struct acl_ext *a,
	     const char *acl_name, const struct alog_rec *r, char *out,
	     size_t cap)
{
	char v[8192];
	size_t i, o = 0, k;
	int data = 0;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < d->nfmt; i++) {
		switch (d->fmt[i].kind) {
		case EXT_W_ACL:
			k = ext_escape(acl_name, strlen(acl_name),
				       d->shell_quote, v, sizeof(v));
			if (k == 0)
				v[k++] = '-';
			if (put(out, cap, &o, v, k) < 0)
				return -1;
			break;
		case EXT_W_DATA:
			data = 1;
			if (put_data(d, a, out, cap, &o) < 0)
				return -1;
			break;
		case EXT_W_CODE:
			k = lf_format(v, sizeof(v), &d->fmt[i].tok, 1, r);
			/* lf_format() ends the record with a line feed. */
			while (k > 0 && v[k - 1] == '\n')
				k--;
			if (put(out, cap, &o, v, k) < 0)
				return -1;
			break;
		}
		if (put(out, cap, &o, " ", 1) < 0)
			return -1;
	}
	if (!data && put_data(d, a, out, cap, &o) < 0)
		return -1;
	return (long)o;
}
