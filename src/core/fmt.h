/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fmt.h - number and address formatting for the per-request paths
 * (request heads, access.log lines), where snprintf's format parsing cost
 * more than the rest of the line building put together.
 *
 * Each writes into out, NUL-terminates, and returns the length without the
 * NUL. out must hold the FMT_*_MAX bytes given for the function.
 */
#ifndef TPROXYD_CORE_FMT_H
#define TPROXYD_CORE_FMT_H

#include <stddef.h>

#define FMT_U64_MAX 21		/* 18446744073709551615 + NUL */
#define FMT_IP_MAX  46		/* INET6_ADDRSTRLEN */

/* Decimal, no padding. */
size_t fmt_u64(char *out, unsigned long long v);
/* Decimal, right-aligned in at least width columns with spaces or zeros
 * (as printf's "%6lu" and "%03u"); width at most 20. */
size_t fmt_u64_pad(char *out, unsigned long long v, unsigned width, char pad);
/* Dotted quad from 4 bytes in network order. */
size_t fmt_ip4(char *out, const unsigned char *a);
/* RFC 5952 text from 16 bytes in network order, as glibc's inet_ntop
 * prints it (longest run of two or more zero groups as "::", lower-case
 * hex; ::a.b.c.d and ::ffff:a.b.c.d with a dotted IPv4 tail). */
size_t fmt_ip6(char *out, const unsigned char *a);

#endif
