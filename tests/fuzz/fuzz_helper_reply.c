/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_helper_reply.c - fuzz target: helper reply lines (src/helper/
 * reply.c), which come from programs tproxyd runs but does not trust.
 *
 * The input is one line (after the channel ID when it has one). The
 * parser works in place on a copy with one spare byte. Invariants: every
 * pair's key and value are NUL-terminated inside the copy, a value's
 * length is its strlen() (no NUL inside), "other" is inside the copy and
 * NUL-terminated at its length; the old url_rewrite mapping keeps them
 * so; a channel ID that splits leaves the rest inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helper/reply.h"
#include "fuzz.h"

static int
inside(const char *p, const char *buf, size_t n)
{
	return p >= buf && p <= buf + n;
}

static void
check(const struct hlp_reply *r, const char *buf, size_t n)
{
	size_t i;

	FUZZ_CHECK(r->nkv <= HLP_KV_MAX);
	for (i = 0; i < r->nkv; i++) {
		if (inside(r->kv[i].val, buf, n))
			FUZZ_CHECK(r->kv[i].val + r->kv[i].vlen <= buf + n);
		FUZZ_CHECK(strlen(r->kv[i].val) == r->kv[i].vlen);
		FUZZ_CHECK(r->kv[i].key != NULL);
	}
	FUZZ_CHECK(inside(r->other, buf, n));
	FUZZ_CHECK(r->other + r->other_len <= buf + n);
	FUZZ_CHECK(strlen(r->other) == r->other_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hlp_reply r;
	unsigned id;
	size_t rest;
	char *buf;

	if (hlp_channel_split((const char *)data, size, &id, &rest) == 0)
		FUZZ_CHECK(rest <= size);
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	hlp_reply_parse(buf, size, &r);
	check(&r, buf, size);
	FUZZ_CHECK(r.result <= HLP_TIMEDOUT);
	hlp_reply_legacy_rewrite(&r);
	check(&r, buf, size);
	(void)hlp_reply_get(&r, "url", NULL);
	free(buf);
	return 0;
}
