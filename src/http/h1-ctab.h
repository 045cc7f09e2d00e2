/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * h1-ctab.h - private to src/http/: the character classes shared by the
 * head parser (h1.c) and the chunked codec (h1_chunk.c), and their limits.
 */
#ifndef TPROXYD_HTTP_H1_CTAB_H
#define TPROXYD_HTTP_H1_CTAB_H

#define C_TOKEN		0x01	/* tchar (RFC 9110 5.6.2) */
#define C_VALUE		0x02	/* field-vchar, SP, HTAB (also reason-phrase) */
#define C_TARGET	0x04	/* VCHAR: allowed in a request-target */
#define C_QDTEXT	0x08	/* qdtext of a quoted-string */
#define C_WS		0x10	/* SP or HTAB */

/* One byte of C_* flags per octet, so that the main loops do a single
 * table load per byte instead of calling isalpha() and friends. */
extern const unsigned char h1_ctab[256];

/* Largest trailer section (RFC 9112 7.1.2) h1_body_scan() lets through. */
#define H1_MAX_TRAILER	(64 * 1024)

/* Largest Content-Length or chunk size: what fits in an off_t. */
#define H1_MAX_LEN	((uint64_t)INT64_MAX)

#define IS(c, cls)	(h1_ctab[(unsigned char)(c)] & (cls))

#endif
