/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * digest.c - the Digest scheme's pure parts (see digest.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/digest.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The buffer of d for a parameter name, and its size; NULL: ignored. */
static char *
field(struct auth_digest_cred *d, const char *name, size_t nlen,
      size_t *size)
{
	static const struct {
		const char *name;
		size_t      off, size;
	} tab[] = {
#define F(n, m) { n, offsetof(struct auth_digest_cred, m), \
		  sizeof(((struct auth_digest_cred *)0)->m) }
		F("username", user), F("realm", realm), F("nonce", nonce),
		F("uri", uri), F("response", response), F("qop", qop),
		F("nc", nc), F("cnonce", cnonce),
#undef F
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].name) == nlen &&
		    strncasecmp(tab[i].name, name, nlen) == 0) {
			*size = tab[i].size;
			return (char *)d + tab[i].off;
		}
	return NULL;
}

int
auth_digest_parse(const char *val, size_t len, struct auth_digest_cred *d)
{
	size_t i = 0, nstart, nlen, size, o;
	char *dst, alg[16];
	int quoted;

	memset(d, 0, sizeof(*d));
	alg[0] = '\0';
	while (i < len && is_blank(val[i]))
		i++;
	if (len - i < 7 || strncasecmp(val + i, "Digest", 6) != 0 ||
	    !is_blank(val[i + 6]))
		return AUTH_D_NOT_DIGEST;
	i += 6;
	for (;;) {
		while (i < len && (is_blank(val[i]) || val[i] == ','))
			i++;
		if (i == len)
			break;
		nstart = i;
		while (i < len && (isalnum((unsigned char)val[i]) ||
				   val[i] == '-' || val[i] == '_'))
			i++;
		nlen = i - nstart;
		while (i < len && is_blank(val[i]))
			i++;
		if (nlen == 0 || i == len || val[i] != '=')
			return AUTH_D_SYNTAX;
		i++;
		while (i < len && is_blank(val[i]))
			i++;
		dst = field(d, val + nstart, nlen, &size);
		if (dst == NULL && nlen == 9 &&
		    strncasecmp(val + nstart, "algorithm", 9) == 0) {
			dst = alg;
			size = sizeof(alg);
		}
		quoted = i < len && val[i] == '"';
		i += quoted;
		o = 0;
		while (i < len) {
			char c = val[i];

			if (quoted && c == '"')
				break;
			if (!quoted && (c == ',' || is_blank(c)))
				break;
			if (quoted && c == '\\' && i + 1 < len)
				c = val[++i];
			if (c == '\0')
				return AUTH_D_SYNTAX;
			if (dst != NULL) {
				if (o + 1 >= size)
					return AUTH_D_TOO_LONG;
				dst[o++] = c;
			}
			i++;
		}
		if (quoted) {
			if (i == len)
				return AUTH_D_SYNTAX;
			i++;
		}
		if (dst != NULL)
			dst[o] = '\0';
	}
	if (d->user[0] == '\0' || d->nonce[0] == '\0' || d->uri[0] == '\0' ||
	    d->response[0] == '\0')
		return AUTH_D_MISSING;
	if (alg[0] != '\0' && strcasecmp(alg, "MD5") != 0)
		return AUTH_D_UNSUPPORTED;
	if (d->qop[0] != '\0') {
		if (strcasecmp(d->qop, "auth") != 0)
			return AUTH_D_UNSUPPORTED;
		if (d->nc[0] == '\0' || d->cnonce[0] == '\0')
			return AUTH_D_MISSING;
	}
	return AUTH_D_OK;
}

/* MD5 of the n parts joined with ':' in lowercase hex. */
static int
md5_hex(const char *const *part, size_t n, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	EVP_MD_CTX *c;
	size_t i;
	int ok;

	c = EVP_MD_CTX_new();
	if (c == NULL)
		return -1;
	ok = EVP_DigestInit_ex(c, EVP_md5(), NULL) == 1;
	for (i = 0; ok && i < n; i++)
		ok = (i == 0 || EVP_DigestUpdate(c, ":", 1) == 1) &&
		     EVP_DigestUpdate(c, part[i], strlen(part[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(c, md, &mlen) == 1 && mlen == 16;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

int
auth_digest_ha1(const char *user, const char *realm, const char *pass,
		char out[33])
{
	const char *p[3] = { user, realm, pass };

	return md5_hex(p, 3, out);
}

int
auth_digest_expect(const char *ha1, const struct auth_digest_cred *d,
		   const char *method, char out[33])
{
	const char *a2[2] = { method, d->uri };
	const char *r[6];
	char ha2[33];

	if (md5_hex(a2, 2, ha2) < 0)
		return -1;
	r[0] = ha1;
	r[1] = d->nonce;
	if (d->qop[0] == '\0') {
		r[2] = ha2;
		return md5_hex(r, 3, out);
	}
	r[2] = d->nc;
	r[3] = d->cnonce;
	r[4] = d->qop;
	r[5] = ha2;
	return md5_hex(r, 6, out);
}

/* ---- nonces ---------------------------------------------------------- */

struct nonce {
	char          text[33];	/* "" empty */
	double        created;
	unsigned long last_nc;
	unsigned      uses;
};

static struct nonce nonces[AUTH_NONCE_SLOTS];

static struct nonce *
slot(const char *text)
{
	unsigned long v;
	char head[5];

	memcpy(head, text, 4);
	head[4] = '\0';
	v = strtoul(head, NULL, 16);
	return &nonces[v % AUTH_NONCE_SLOTS];
}

int
auth_nonce_new(double now, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16];
	struct nonce *n;
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[32] = '\0';
	n = slot(out);
	memcpy(n->text, out, 33);
	n->created = now;
	n->last_nc = 0;
	n->uses = 0;
	return 0;
}

int
auth_nonce_use(const char *nonce, const char *nc, double now,
	       double max_age, unsigned max_count, int check_nc, int strict)
{
	struct nonce *n;
	unsigned long v = 0;
	char *end;
	size_t i;

	if (strlen(nonce) != 32)
		return 1;
	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)nonce[i]))
			return 1;
	n = slot(nonce);
	if (strcmp(n->text, nonce) != 0)
		return 1;
	if (now - n->created >= max_age ||
	    (max_count > 0 && n->uses >= max_count))
		return 1;
	if (nc[0] != '\0') {
		v = strtoul(nc, &end, 16);
		if (*end != '\0' || strlen(nc) != 8)
			return 1;
		if (check_nc && (strict ? v != n->last_nc + 1 :
				 v <= n->last_nc))
			return 1;
		n->last_nc = v;
	}
	n->uses++;
	return 0;
}

void
auth_nonce_clear(void)
{
	memset(nonces, 0, sizeof(nonces));
}
