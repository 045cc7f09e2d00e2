/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * digest.h - the Digest scheme's pure parts (RFC 2617 with qop=auth and
 * MD5, as Squid's src/auth/digest/ implements it): reading a Digest
 * Proxy-Authorization value, the response a client must send, and the
 * nonces this process hands out (a fixed table; a nonce it no longer
 * knows is "stale": the client tries again with a new one, without
 * asking its user).
 */
#ifndef TPROXYD_AUTH_DIGEST_H
#define TPROXYD_AUTH_DIGEST_H

#include <stddef.h>

/* Why a Digest value is not usable (negative). */
enum auth_digest_err {
	AUTH_D_OK = 0,
	AUTH_D_NOT_DIGEST = -1,	/* another scheme */
	AUTH_D_SYNTAX = -2,	/* not a list of name=value */
	AUTH_D_MISSING = -3,	/* a required field is missing */
	AUTH_D_TOO_LONG = -4,	/* a field longer than its buffer */
	AUTH_D_UNSUPPORTED = -5,/* algorithm other than MD5, qop other than
				   auth */
};

struct auth_digest_cred {
	char user[256];
	char realm[256];
	char nonce[64];
	char uri[2048];
	char response[40];
	char qop[16];		/* "" or "auth" */
	char nc[16];		/* 8 hex digits with qop */
	char cnonce[128];
};

/* A Digest Proxy-Authorization value into d (zeroed first). Returns
 * AUTH_D_OK or a negative enum auth_digest_err. */
int auth_digest_parse(const char *val, size_t len,
		      struct auth_digest_cred *d);

/* The response the client must have sent for ha1 (32 lowercase hex
 * digits) and method: MD5(HA1:nonce[:nc:cnonce:qop]:MD5(method:uri)),
 * into out (33 bytes). 0, or -1 when MD5 is not available. */
int auth_digest_expect(const char *ha1, const struct auth_digest_cred *d,
		       const char *method, char out[33]);
/* MD5(user:realm:password) in hex (tests, and what digest_file_auth
 * computes). 0 or -1. */
int auth_digest_ha1(const char *user, const char *realm, const char *pass,
		    char out[33]);

/* Nonces handed out (AUTH_NONCE_SLOTS at once, then the oldest in a
 * slot is forgotten). */
#define AUTH_NONCE_SLOTS	4096

/* A new nonce (32 hex digits) valid from now. 0 or -1. */
int auth_nonce_new(double now, char out[33]);
/*
 * Use nonce with nc (the hex count, "" without qop) at now: 0 when it is
 * known, younger than max_age seconds and used fewer than max_count
 * times (0: no limit), and, with check_nc, nc is above the last one seen
 * (strict: exactly one above); then it is counted. 1 when it is stale
 * (unknown, expired, used up, or a count out of order).
 */
int auth_nonce_use(const char *nonce, const char *nc, double now,
		   double max_age, unsigned max_count, int check_nc,
		   int strict);
/* Forget every nonce (tests). */
void auth_nonce_clear(void);

#endif
