/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * basic.c - decoding Basic credentials and escaping them for the helper
 * (see basic.h).
 */
#include <string.h>
#include <strings.h>

#include "auth/basic.h"

/* The value of a base64 character, -1 for none. */
static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

long
auth_base64_decode(const char *in, size_t len, unsigned char *out,
		   size_t cap)
{
	unsigned char q[4];
	size_t i, nq = 0, o = 0, keep;
	int v[4], k, done = 0;

	for (i = 0; i < len; i++) {
		if (is_blank((unsigned char)in[i]))
			continue;
		if (done)	/* data after a padded group */
			return -1;
		q[nq++] = (unsigned char)in[i];
		if (nq < 4)
			continue;
		nq = 0;
		for (k = 0; k < 4; k++)
			v[k] = b64val(q[k]);
		if (v[0] < 0 || v[1] < 0)
			return -1;
		if (q[2] == '=') {
			if (q[3] != '=')
				return -1;
			keep = 1;
		} else if (v[2] < 0) {
			return -1;
		} else if (q[3] == '=') {
			keep = 2;
		} else if (v[3] < 0) {
			return -1;
		} else {
			keep = 3;
		}
		done = keep < 3;
		if (o + keep > cap)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (keep > 1)
			out[o++] = (unsigned char)((v[1] & 15) << 4 |
						   v[2] >> 2);
		if (keep > 2)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return nq == 0 ? (long)o : -1;
}

/* Is s (len bytes) valid UTF-8 (no overlongs, no surrogates)? */
static int
valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0, k, n;
	unsigned long cp;

	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 &&
					       cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
auth_basic_decode(const char *val, size_t len, unsigned flags,
		  struct auth_basic_cred *c)
{
	unsigned char raw[AUTH_CRED_MAX * 2], conv[AUTH_CRED_MAX * 2];
	unsigned char *txt = raw;
	const unsigned char *colon;
	size_t i = 0, ulen, plen;
	long n;

	memset(c, 0, sizeof(*c));
	while (i < len && is_blank((unsigned char)val[i]))
		i++;
	if (len - i < 6 || strncasecmp(val + i, "Basic", 5) != 0 ||
	    !is_blank((unsigned char)val[i + 5]))
		return AUTH_B_NOT_BASIC;
	i += 5;
	while (i < len && is_blank((unsigned char)val[i]))
		i++;
	if (i == len)
		return AUTH_B_NOT_BASIC;
	/* A value too long for the buffer is refused without decoding. */
	if ((len - i) / 4 * 3 > sizeof(raw))
		return AUTH_B_TOO_LONG;
	n = auth_base64_decode(val + i, len - i, raw, sizeof(raw));
	if (n < 0)
		return AUTH_B_BASE64;
	if (memchr(raw, '\r', (size_t)n) || memchr(raw, '\n', (size_t)n) ||
	    memchr(raw, '\0', (size_t)n))
		return AUTH_B_BAD_CHAR;
	if ((flags & AUTH_B_UTF8) && !valid_utf8(raw, (size_t)n)) {
		/* Latin-1: each byte from 0x80 up is two in UTF-8. */
		size_t o = 0;
		long k;

		for (k = 0; k < n; k++) {
			if (o + 2 > sizeof(conv))
				return AUTH_B_TOO_LONG;
			if (raw[k] < 0x80) {
				conv[o++] = raw[k];
				continue;
			}
			conv[o++] = (unsigned char)(0xc0 | (raw[k] >> 6));
			conv[o++] = (unsigned char)(0x80 | (raw[k] & 0x3f));
		}
		txt = conv;
		n = (long)o;
	}
	colon = memchr(txt, ':', (size_t)n);
	if (colon == NULL)
		return AUTH_B_NO_COLON;
	ulen = (size_t)(colon - txt);
	plen = (size_t)n - ulen - 1;
	if (plen == 0)
		return AUTH_B_EMPTY_PASS;
	if (ulen >= sizeof(c->user) || plen >= sizeof(c->pass))
		return AUTH_B_TOO_LONG;
	memcpy(c->user, txt, ulen);
	memcpy(c->pass, colon + 1, plen);
	if (!(flags & AUTH_B_CASESENSITIVE))
		for (i = 0; i < ulen; i++)
			if (c->user[i] >= 'A' && c->user[i] <= 'Z')
				c->user[i] = (char)(c->user[i] - 'A' + 'a');
	memset(raw, 0, sizeof(raw));
	memset(conv, 0, sizeof(conv));
	return AUTH_B_OK;
}

const char *
auth_basic_strerror(int err)
{
	switch (err) {
	case AUTH_B_OK:
		return "ok";
	case AUTH_B_NOT_BASIC:
		return "not the Basic scheme";
	case AUTH_B_BASE64:
		return "invalid base64";
	case AUTH_B_NO_COLON:
		return "no ':' between user name and password";
	case AUTH_B_EMPTY_PASS:
		return "empty password";
	case AUTH_B_BAD_CHAR:
		return "CR, LF or NUL in the credentials";
	case AUTH_B_TOO_LONG:
		return "credentials too long";
	default:
		return "?";
	}
}

/* Squid's rfc1738_unsafe_chars, plus the ones its code adds (space and
 * below, '%'). */
static int
must_escape(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 0;
	if (c <= ' ' || c >= 0x7f || c == '%')
		return 1;
	return strchr("<>\"#{}|\\^~[]`'", c) != NULL;
}

long
auth_rfc1738_escape(const char *s, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!must_escape(c)) {
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)c;
			continue;
		}
		if (o + 3 >= cap)
			return -1;
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	if (o >= cap)
		return -1;
	out[o] = '\0';
	return (long)o;
}

long
auth_basic_line(const struct auth_basic_cred *c, char *out, size_t cap)
{
	long u, p;

	u = auth_rfc1738_escape(c->user, strlen(c->user), out, cap);
	if (u < 0 || (size_t)u + 2 >= cap)
		return -1;
	out[u] = ' ';
	p = auth_rfc1738_escape(c->pass, strlen(c->pass), out + u + 1,
				cap - (size_t)u - 1);
	if (p < 0)
		return -1;
	return u + 1 + p;
}
