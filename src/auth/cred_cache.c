/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cred_cache.c - the Basic credentials cache (see cred_cache.h).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/cred_cache.h"

struct slot {
	unsigned char key[32];
	double        expires;	/* 0: empty */
};

static struct slot table[AUTH_CACHE_SLOTS];

/* Digest users: the HA1 under the key of (user, realm). */
struct ha1_slot {
	unsigned char key[32];
	double        expires;
	char          ha1[33];
};

static struct ha1_slot ha1_table[AUTH_CACHE_SLOTS / 4];
static unsigned char secret[32];
static int have_secret;

/* The key of user/pass; 0, or -1 when it cannot be made (nothing is
 * cached then). */
static int
make_key(const char *user, const char *pass, unsigned char key[32])
{
	EVP_MD_CTX *md;
	unsigned int n = 0;
	int ok;

	if (!have_secret) {
		if (RAND_bytes(secret, sizeof(secret)) != 1)
			return -1;
		have_secret = 1;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL)
		return -1;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, secret, sizeof(secret)) == 1 &&
	     EVP_DigestUpdate(md, user, strlen(user) + 1) == 1 &&
	     EVP_DigestUpdate(md, pass, strlen(pass)) == 1 &&
	     EVP_DigestFinal_ex(md, key, &n) == 1 && n == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static struct slot *
slot_of(const unsigned char key[32])
{
	unsigned v = (unsigned)key[0] | (unsigned)key[1] << 8;

	return &table[v % AUTH_CACHE_SLOTS];
}

int
auth_cache_get(const char *user, const char *pass, double now)
{
	unsigned char key[32];
	struct slot *s;

	if (make_key(user, pass, key) < 0)
		return 0;
	s = slot_of(key);
	if (s->expires == 0 || CRYPTO_memcmp(s->key, key, 32) != 0)
		return 0;
	if (s->expires <= now) {
		s->expires = 0;
		return 0;
	}
	return 1;
}

void
auth_cache_put(const char *user, const char *pass, double expires)
{
	unsigned char key[32];
	struct slot *s;

	if (make_key(user, pass, key) < 0)
		return;
	s = slot_of(key);
	memcpy(s->key, key, 32);
	s->expires = expires;
}

/* The key of a digest user: as make_key() with a prefix no Basic user
 * name can start with (a Basic user has no NUL). */
static int
ha1_key(const char *user, const char *realm, unsigned char key[32])
{
	char u[600];
	size_t n = strlen(user);

	if (n + 9 > sizeof(u))
		return -1;
	memcpy(u, "digest:", 7);
	memcpy(u + 7, user, n + 1);
	return make_key(u, realm, key);
}

int
auth_cache_get_ha1(const char *user, const char *realm, double now,
		   char ha1[33])
{
	unsigned char key[32];
	struct ha1_slot *s;

	if (ha1_key(user, realm, key) < 0)
		return 0;
	s = &ha1_table[((unsigned)key[0] | (unsigned)key[1] << 8) %
		       (AUTH_CACHE_SLOTS / 4)];
	if (s->expires <= now || CRYPTO_memcmp(s->key, key, 32) != 0)
		return 0;
	memcpy(ha1, s->ha1, 33);
	return 1;
}

void
auth_cache_put_ha1(const char *user, const char *realm, const char *ha1,
		   double expires)
{
	unsigned char key[32];
	struct ha1_slot *s;

	if (strlen(ha1) != 32 || ha1_key(user, realm, key) < 0)
		return;
	s = &ha1_table[((unsigned)key[0] | (unsigned)key[1] << 8) %
		       (AUTH_CACHE_SLOTS / 4)];
	memcpy(s->key, key, 32);
	memcpy(s->ha1, ha1, 33);
	s->expires = expires;
}

void
auth_cache_clear(void)
{
	memset(table, 0, sizeof(table));
	memset(ha1_table, 0, sizeof(ha1_table));
}
