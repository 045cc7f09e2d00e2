/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cred_cache.h - the Basic credentials cache (Squid's user cache with
 * credentialsttl): credentials a helper accepted, remembered until
 * their time is up so that the next requests do not ask it again. Only
 * accepted credentials are kept: a refused password is asked again with
 * the next request, as Squid resets a failed user to "unchecked".
 *
 * Entries hold no password: the key is a SHA-256 of a per-process
 * random secret, the user name and the password. A fixed table (one
 * process-wide, direct-mapped): a collision only costs a helper call.
 */
#ifndef TPROXYD_AUTH_CRED_CACHE_H
#define TPROXYD_AUTH_CRED_CACHE_H

/* Slots in the table. */
#define AUTH_CACHE_SLOTS	8192

/* 1 when user/pass were accepted and their entry is still valid at now
 * (seconds, any clock), else 0. */
int auth_cache_get(const char *user, const char *pass, double now);
/* Remember user/pass as accepted until expires. */
void auth_cache_put(const char *user, const char *pass, double expires);
/* Digest: the HA1 a helper gave for user in realm (32 hex digits) into
 * ha1 (33 bytes), while valid at now: 1, else 0. */
int auth_cache_get_ha1(const char *user, const char *realm, double now,
		       char ha1[33]);
void auth_cache_put_ha1(const char *user, const char *realm,
			const char *ha1, double expires);
/* Forget every entry (tests). */
void auth_cache_clear(void);

#endif
