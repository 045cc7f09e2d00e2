/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * basic.h - the Basic scheme's pure parts (RFC 7617, Squid's
 * src/auth/basic/Config.cc and UserRequest.cc): decoding a
 * Proxy-Authorization value and making the line a basic_* helper reads.
 * No I/O, no allocation, no globals: the unit tests and the fuzzer link
 * this file alone.
 */
#ifndef TPROXYD_AUTH_BASIC_H
#define TPROXYD_AUTH_BASIC_H

#include <stddef.h>

#include "auth/auth-t.h"

/*
 * Strict base64 (RFC 4648 alphabet, '=' padding to a multiple of 4
 * characters, as Squid's nettle decoder wants; blanks and line ends are
 * skipped) of len bytes at in into out (cap bytes). Returns the decoded
 * length, or -1 for bad input or no room.
 */
long auth_base64_decode(const char *in, size_t len, unsigned char *out,
			size_t cap);

/*
 * A Proxy-Authorization value (len bytes, "Basic BASE64"; the scheme's
 * case is free) into c: the user name before the first ':' (lowercased
 * unless flags has AUTH_B_CASESENSITIVE), the password after it.
 * Returns AUTH_B_OK or a negative enum auth_basic_err; c is then
 * zeroed.
 */
int auth_basic_decode(const char *val, size_t len, unsigned flags,
		      struct auth_basic_cred *c);

/* "bad base64", ... for cache.log. */
const char *auth_basic_strerror(int err);

/*
 * s %-escaped the way Squid's rfc1738_escape() does for the basic
 * helpers (RFC 1738 "unsafe" characters, '%', space and controls, DEL
 * and bytes >= 0x80 become %XX; everything else is kept), into out (cap
 * bytes, NUL-terminated). Returns the length, or -1 when it does not
 * fit.
 */
long auth_rfc1738_escape(const char *s, size_t len, char *out, size_t cap);

/* The helper's request line "USER PASSWORD" (both escaped, no line
 * feed) into out. Returns its length, or -1 when it does not fit. */
long auth_basic_line(const struct auth_basic_cred *c, char *out,
		     size_t cap);

#endif
