/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h - helpers shared by the fuzz targets in tests/fuzz/.
 *
 * Every target checks invariants itself and calls abort() when one breaks,
 * so that both libFuzzer and the plain replay driver (replay.c) report it.
 */
#ifndef TPROXYD_TESTS_FUZZ_H
#define TPROXYD_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1.h"

/* The libFuzzer entry point; declared here for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() unless cond holds. A macro so that the failing line is in the
 * core dump or the sanitizer's stack trace. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		abort();						\
} while (0)

/* A number derived from the input (FNV-1a), to pick split points and
 * limits that change with the input but are reproducible. */
static inline uint32_t
fuzz_hash(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

/* A view must lie inside p[0..len). */
static inline void
fuzz_check_view(struct str v, const char *p, size_t len)
{
	FUZZ_CHECK(v.len <= len);
	if (v.len == 0)
		return;
	FUZZ_CHECK(v.p >= p && v.p + v.len <= p + len);
}

/* Header views inside the head, and names that are non-empty. */
static inline void
fuzz_check_fields(const struct h1_header *hdr, size_t nhdr, const char *p,
		  size_t len)
{
	size_t i, j;
	unsigned char c;

	FUZZ_CHECK(nhdr <= H1_MAX_HEADERS);
	for (i = 0; i < nhdr; i++) {
		FUZZ_CHECK(hdr[i].name.len > 0);
		fuzz_check_view(hdr[i].name, p, len);
		fuzz_check_view(hdr[i].value, p, len);
		/* Names are tokens; values hold no control but HTAB and no
		 * DEL (checked byte by byte against the parser's word-at-a-
		 * time scan). */
		for (j = 0; j < hdr[i].name.len; j++)
			FUZZ_CHECK(hdr[i].name.p[j] > 0x20 &&
			    hdr[i].name.p[j] < 0x7f &&
			    hdr[i].name.p[j] != ':');
		for (j = 0; j < hdr[i].value.len; j++) {
			c = (unsigned char)hdr[i].value.p[j];
			FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
		}
		/* Values are trimmed. */
		if (hdr[i].value.len > 0) {
			FUZZ_CHECK(hdr[i].value.p[0] != ' ' &&
			    hdr[i].value.p[0] != '\t');
			FUZZ_CHECK(hdr[i].value.p[hdr[i].value.len - 1] !=
			    ' ' && hdr[i].value.p[hdr[i].value.len - 1] !=
			    '\t');
		}
		/* The helpers must not crash on anything the parser let in. */
		(void)h1_list_has(hdr[i].value, "close");
		(void)h1_list_has(hdr[i].value, "chunked");
	}
}

/* Info facts consistent with the fields they came from. */
static inline void
fuzz_check_info(const struct h1_info *info, int rc, size_t nhdr)
{
	FUZZ_CHECK(rc == 0 || rc == H1_E_CL);
	FUZZ_CHECK((rc == H1_E_CL) == (info->bad_cl != 0));
	FUZZ_CHECK(!(info->has_cl && info->bad_cl));
	FUZZ_CHECK(info->cl <= (uint64_t)INT64_MAX);
	FUZZ_CHECK(info->has_cl || info->cl == 0);
	FUZZ_CHECK(info->host >= -1 && info->host < (int)nhdr);
	FUZZ_CHECK((info->host >= 0) == (info->nhost > 0));
	FUZZ_CHECK(info->nhost >= 0 && (size_t)info->nhost <= nhdr);
	FUZZ_CHECK(info->upgrade >= -1 && info->upgrade < (int)nhdr);
	FUZZ_CHECK(!info->te_chunked || info->has_te);
	FUZZ_CHECK(!info->te_chunked || info->te_codings > 0);
}

/* Scan a body in one go, then again split at cut; both must agree. For
 * chunked bodies also byte by byte when the input is small. Returns the
 * result of the one-go scan. */
static inline ssize_t
fuzz_scan_body(const struct h1_body *init, const char *p, size_t n,
	       size_t cut, int *donep)
{
	struct h1_body b1, b2;
	ssize_t r1, r2, r;
	size_t i;
	int d1, d2;

	b1 = *init;
	r1 = h1_body_scan(&b1, p, n, &d1);
	FUZZ_CHECK(r1 < 0 || (size_t)r1 <= n);
	FUZZ_CHECK(r1 < 0 || d1 || (size_t)r1 == n);
	if (r1 < 0)
		FUZZ_CHECK(r1 == H1_E_CHUNK || r1 == H1_E_CHUNK_SIZE);
	if (r1 >= 0 && init->kind == H1_BODY_LENGTH)
		FUZZ_CHECK((uint64_t)r1 + b1.left == init->left);

	if (cut > n)
		cut = n;
	b2 = *init;
	r2 = h1_body_scan(&b2, p, cut, &d2);
	if (r2 >= 0 && !d2) {
		FUZZ_CHECK((size_t)r2 == cut);
		r = h1_body_scan(&b2, p + cut, n - cut, &d2);
		r2 = r < 0 ? r : r2 + r;
	}
	FUZZ_CHECK(r1 == r2);
	FUZZ_CHECK(r1 < 0 || d1 == d2);

	if (init->kind == H1_BODY_CHUNKED && n <= 4096) {
		b2 = *init;
		r2 = 0;
		d2 = 0;
		for (i = 0; i < n && !d2; i++) {
			r = h1_body_scan(&b2, p + i, 1, &d2);
			if (r < 0) {
				r2 = r;
				break;
			}
			FUZZ_CHECK(r == 1);
			r2 += r;
		}
		FUZZ_CHECK(r1 == r2);
		FUZZ_CHECK(r1 < 0 || d1 == d2);
	}
	*donep = r1 >= 0 ? d1 : 0;
	return r1;
}

#endif
