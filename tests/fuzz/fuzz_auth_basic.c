/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_auth_basic.c - fuzz target: Basic and Digest
 * Proxy-Authorization values (src/auth/basic.c, src/auth/digest.c),
 * which any client sends.
 *
 * The first byte chooses the flags (casesensitive, utf8); the rest is
 * the field's value. Invariants: an accepted value gives NUL-terminated
 * user and password with no CR, LF or NUL, a non-empty password, a user
 * with no upper-case ASCII unless casesensitive; a refused one leaves
 * both empty; the helper line made from accepted credentials has no
 * space but the one between them, no control byte and no byte >= 0x80,
 * and decoding "Basic " + base64(user:password) again gives the same.
 * The same bytes as a Digest value: accepted ones have every required
 * field, NUL-terminated inside its buffer, qop "" or "auth" (then nc and
 * cnonce too); refused ones leave the fields empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/basic.h"
#include "auth/digest.h"
#include "fuzz.h"

static void
b64(const unsigned char *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				"qrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = t[v >> 6 & 63];
		out[o++] = t[v & 63];
	}
	if (n - i == 1) {
		out[o++] = t[in[i] >> 2];
		out[o++] = t[(in[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		out[o++] = t[in[i] >> 2];
		out[o++] = t[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = t[(in[i + 1] & 15) << 2];
		out[o++] = '=';
	}
	out[o] = '\0';
}

static void
digest(const char *v, size_t n)
{
	static struct auth_digest_cred d;
	int rc;

	rc = auth_digest_parse(v, n, &d);
	FUZZ_CHECK(memchr(d.user, 0, sizeof(d.user)) != NULL);
	FUZZ_CHECK(memchr(d.uri, 0, sizeof(d.uri)) != NULL);
	FUZZ_CHECK(memchr(d.nonce, 0, sizeof(d.nonce)) != NULL);
	FUZZ_CHECK(memchr(d.response, 0, sizeof(d.response)) != NULL);
	FUZZ_CHECK(memchr(d.nc, 0, sizeof(d.nc)) != NULL);
	FUZZ_CHECK(memchr(d.cnonce, 0, sizeof(d.cnonce)) != NULL);
	if (rc != AUTH_D_OK) {
		FUZZ_CHECK(rc < 0);
		return;
	}
	FUZZ_CHECK(d.user[0] && d.nonce[0] && d.uri[0] && d.response[0]);
	FUZZ_CHECK(d.qop[0] == '\0' || strcasecmp(d.qop, "auth") == 0);
	if (d.qop[0] != '\0')
		FUZZ_CHECK(d.nc[0] != '\0' && d.cnonce[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_basic_cred c, c2;
	static char line[6 * AUTH_CRED_MAX + 8];
	static unsigned char raw[2 * AUTH_CRED_MAX + 2];
	static char val[4 * sizeof(raw) / 3 + 16];
	unsigned flags;
	size_t i, ul, pl, spaces = 0;
	long n;
	int rc;

	if (size < 1)
		return 0;
	digest((const char *)data + 1, size - 1);
	flags = data[0] & (AUTH_B_CASESENSITIVE | AUTH_B_UTF8);
	rc = auth_basic_decode((const char *)data + 1, size - 1, flags, &c);
	if (rc != AUTH_B_OK) {
		FUZZ_CHECK(rc < 0);
		FUZZ_CHECK(c.user[0] == '\0' && c.pass[0] == '\0');
		FUZZ_CHECK(auth_basic_strerror(rc)[0] != '?');
		return 0;
	}
	ul = strnlen(c.user, sizeof(c.user));
	pl = strnlen(c.pass, sizeof(c.pass));
	FUZZ_CHECK(ul < sizeof(c.user) && pl < sizeof(c.pass));
	FUZZ_CHECK(pl > 0);
	FUZZ_CHECK(strpbrk(c.user, "\r\n") == NULL);
	FUZZ_CHECK(strpbrk(c.pass, "\r\n") == NULL);
	if (!(flags & AUTH_B_CASESENSITIVE))
		for (i = 0; i < ul; i++)
			FUZZ_CHECK(!(c.user[i] >= 'A' && c.user[i] <= 'Z'));
	n = auth_basic_line(&c, line, sizeof(line));
	FUZZ_CHECK(n > 0 && (size_t)n == strlen(line));
	for (i = 0; i < (size_t)n; i++) {
		unsigned char ch = (unsigned char)line[i];

		FUZZ_CHECK(ch > ' ' || ch == ' ');
		FUZZ_CHECK(ch < 0x7f);
		spaces += ch == ' ';
	}
	FUZZ_CHECK(spaces == 1);
	/* Round trip (the user as decoded, kept as is). */
	memcpy(raw, c.user, ul);
	raw[ul] = ':';
	memcpy(raw + ul + 1, c.pass, pl);
	memcpy(val, "Basic ", 6);
	b64(raw, ul + 1 + pl, val + 6);
	rc = auth_basic_decode(val, strlen(val),
			       AUTH_B_CASESENSITIVE, &c2);
	FUZZ_CHECK(rc == AUTH_B_OK);
	/* utf8 made the text longer: it must then be valid UTF-8, and is
	 * decoded unchanged. */
	FUZZ_CHECK(strcmp(c.user, c2.user) == 0);
	FUZZ_CHECK(strcmp(c.pass, c2.pass) == 0);
	return 0;
}
