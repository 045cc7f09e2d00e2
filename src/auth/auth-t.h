/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth-t.h - proxy authentication (Squid's auth_param basic): decoded
 * Basic credentials and the reasons a Proxy-Authorization field is not
 * usable.
 */
#ifndef TPROXYD_AUTH_AUTH_T_H
#define TPROXYD_AUTH_AUTH_T_H

#include <stddef.h>

/* Decoded "user:password" bytes kept at most (Squid's helper lines are
 * 8 KiB; each part is sent %-escaped, up to three times longer). */
#define AUTH_CRED_MAX	1024

/* auth_basic_decode() flags. */
#define AUTH_B_CASESENSITIVE	0x1	/* keep the user name as sent */
#define AUTH_B_UTF8		0x2	/* credentials that are not UTF-8 are
					   Latin-1: turned into UTF-8 */

/* Why a Proxy-Authorization field gives no credentials (negative). */
enum auth_basic_err {
	AUTH_B_OK = 0,
	AUTH_B_NOT_BASIC = -1,	/* another scheme, or no value */
	AUTH_B_BASE64 = -2,	/* not valid base64 */
	AUTH_B_NO_COLON = -3,	/* no ':' between user and password */
	AUTH_B_EMPTY_PASS = -4,	/* empty password (Squid refuses it) */
	AUTH_B_BAD_CHAR = -5,	/* CR, LF or NUL in the credentials */
	AUTH_B_TOO_LONG = -6,	/* longer than AUTH_CRED_MAX */
};

/* Basic credentials, NUL-terminated. */
struct auth_basic_cred {
	char   user[AUTH_CRED_MAX];
	char   pass[AUTH_CRED_MAX];
};

#endif
