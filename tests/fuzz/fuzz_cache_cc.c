/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_cache_cc.c - fuzz target: the cache policy (src/cache/policy.c and
 * policy_read.c) on arbitrary header text.
 *
 * Input: a first byte choosing the status, method and shared/private
 * cache, then request fields, a blank line, response fields ("Name: value"
 * lines). Invariants: parsed numbers are absent or 0..2^31; storable
 * implies GET, a final status other than 206 and 304, no request no-store,
 * no response no-store (unless must-understand), no private in a shared
 * cache; freshness lifetime and age are >= 0, a heuristic lifetime within
 * the rule; a response with no-cache is never used unvalidated; the Vary
 * key is -1 exactly on Vary: *, ends at the length returned and does not
 * depend on the order of the request's fields; a 304 update never takes
 * Content-Length from the 304; keys are NUL-terminated at the length
 * returned.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/policy.h"
#include "fuzz.h"

#define NH 24

static size_t
split(const char *p, const char *e, struct h1_header *h)
{
	const char *nl, *c;
	size_t n = 0;

	while (p < e && n < NH) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		c = memchr(p, ':', (size_t)(nl - p));
		if (c != NULL && c > p) {
			h[n].name = str_make(p, (size_t)(c - p));
			c++;
			while (c < nl && *c == ' ')
				c++;
			h[n].value = str_make(c, (size_t)(nl - c));
			n++;
		}
		p = nl + 1;
	}
	return n;
}

static int
has_star(const struct h1_header *h, size_t n)
{
	size_t i, j, k, a, b;
	struct str v;

	for (i = 0; i < n; i++) {
		if (!str_ieq(h[i].name, "Vary"))
			continue;
		v = h[i].value;
		for (j = 0; j < v.len; j = k + 1) {
			for (k = j; k < v.len && v.p[k] != ','; k++)
				;
			for (a = j; a < k && (v.p[a] == ' ' ||
					      v.p[a] == '\t'); a++)
				;
			for (b = k; b > a && (v.p[b - 1] == ' ' ||
					      v.p[b - 1] == '\t'); b--)
				;
			if (b - a == 1 && v.p[a] == '*')
				return 1;
		}
	}
	return 0;
}

static void
check_cc(const struct cache_cc *cc, const char *p, size_t len)
{
	const int64_t *v[] = { &cc->max_age, &cc->s_maxage, &cc->max_stale,
			       &cc->min_fresh, &cc->stale_while_revalidate,
			       &cc->stale_if_error };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		FUZZ_CHECK(*v[i] == CC_ABSENT ||
			   (*v[i] >= 0 && *v[i] <= CC_DELTA_MAX));
	FUZZ_CHECK(cc->nunknown <= CC_MAX_UNKNOWN);
	for (i = 0; i < cc->nunknown; i++) {
		FUZZ_CHECK(cc->unknown[i].name.len > 0);
		fuzz_check_view(cc->unknown[i].name, p, len);
		fuzz_check_view(cc->unknown[i].value, p, len);
	}
	fuzz_check_view(cc->no_cache_fields, p, len);
	fuzz_check_view(cc->private_fields, p, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 200, 206, 304, 404, 302, 299, 100,
					500 };
	static const char *const methods[] = { "GET", "POST", "HEAD", "PUT" };
	static const struct cache_refresh rule = { 60, 20, 86400 };
	struct h1_header rq[NH], rs[NH], rev[NH], out[2 * NH], cond[2];
	struct cache_cc qcc, scc;
	struct cache_xchg x = { 0 };
	struct cache_fresh f;
	enum cache_store st;
	enum cache_use use;
	char k1[512], k2[512], inv[3][CACHE_URI_MAX];
	const char *p, *e, *sep;
	size_t nrq, nrs, i;
	int shared, rc, rc2, n;
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = data[0];
	p = (const char *)data + 1;
	e = (const char *)data + size;
	sep = memmem(p, (size_t)(e - p), "\n\n", 2);
	nrq = split(p, sep != NULL ? sep : p, rq);
	nrs = split(sep != NULL ? sep + 2 : p, e, rs);
	shared = sel & 1;
	x.method = str_make(methods[(sel >> 1) & 3],
			    strlen(methods[(sel >> 1) & 3]));
	x.status = statuses[(sel >> 3) & 7];
	x.req = rq;
	x.nreq = nrq;
	x.resp = rs;
	x.nresp = nrs;
	x.request_time = 1000000000;
	x.response_time = 1000000000 + (sel >> 6);

	cache_cc_parse(&qcc, rq, nrq);
	cache_cc_parse(&scc, rs, nrs);
	check_cc(&qcc, (const char *)data, size);
	check_cc(&scc, (const char *)data, size);

	st = cache_storable(&x, shared);
	FUZZ_CHECK((unsigned)st <= CACHE_STORE_LAST);
	FUZZ_CHECK(cache_store_str(st)[0] != '?');
	if (st == CACHE_STORE_OK) {
		FUZZ_CHECK(str_eq(x.method, "GET"));
		FUZZ_CHECK(x.status >= 200 && x.status != 206 &&
			   x.status != 304);
		FUZZ_CHECK(!(qcc.flags & CC_NO_STORE));
		FUZZ_CHECK(!(scc.flags & CC_NO_STORE) ||
			   (scc.flags & CC_MUST_UNDERSTAND));
		FUZZ_CHECK(!shared || !(scc.flags & (CC_PRIVATE |
						      CC_PRIVATE_FIELDS)));
		FUZZ_CHECK(!has_star(rs, nrs));
	}

	cache_freshness(&x, shared, (sel & 4) ? &rule : NULL,
			x.response_time + (sel & 0x30), &f);
	FUZZ_CHECK(f.lifetime >= 0 && f.age >= 0);
	FUZZ_CHECK(!f.heuristic || f.lifetime <= rule.max);
	if (shared && scc.s_maxage != CC_ABSENT)
		FUZZ_CHECK(f.lifetime == scc.s_maxage);
	use = cache_use(&x, &f, rq, nrq, shared);
	if (scc.flags & CC_NO_CACHE)
		FUZZ_CHECK(use == CACHE_USE_REVALIDATE);
	if (use == CACHE_USE_FRESH)
		FUZZ_CHECK(f.lifetime > f.age);
	if (use == CACHE_USE_STALE_OK)
		FUZZ_CHECK(!(scc.flags & CC_MUST_REVALIDATE));

	/* Vary key, and the same with the request's fields reversed. */
	rc = cache_vary_key(k1, sizeof(k1), rs, nrs, rq, nrq);
	FUZZ_CHECK(rc >= -2);
	FUZZ_CHECK((rc == -1) == has_star(rs, nrs));
	for (i = 0; i < nrq; i++)
		rev[i] = rq[nrq - 1 - i];
	rc2 = cache_vary_key(k2, sizeof(k2), rs, nrs, rev, nrq);
	if (rc >= 0) {
		FUZZ_CHECK(k1[rc] == '\0');
		/* Same-name lines keep their relative order in the key,
		 * so reversing may reorder them: compare lengths only. */
		FUZZ_CHECK(rc2 == rc);
	}

	n = cache_update_304(out, sizeof(out) / sizeof(out[0]), rs, nrs, rq,
			     nrq);
	FUZZ_CHECK(n >= 0 && (size_t)n <= nrs + nrq);
	for (i = 0; i < (size_t)n; i++) {
		size_t j;

		if (!str_ieq(out[i].name, "Content-Length"))
			continue;
		for (j = 0; j < nrs && rs[j].name.p != out[i].name.p; j++)
			;
		FUZZ_CHECK(j < nrs);	/* the stored line, not the 304's */
	}
	FUZZ_CHECK(cache_cond_fields(cond, rs, nrs) <= 2);
	/* Without an ETag, a response with a valid Last-Modified or none
	 * selects itself. */
	rc = cache_304_selects(rs, nrs, rq, nrq, size > 0 && (data[0] & 1));
	FUZZ_CHECK(rc == 0 || rc == 1);
	{
		const struct h1_header *et = NULL, *lm = NULL;

		for (i = nrs; i > 0; i--) {
			if (str_ieq(rs[i - 1].name, "ETag"))
				et = &rs[i - 1];
			if (str_ieq(rs[i - 1].name, "Last-Modified"))
				lm = &rs[i - 1];
		}
		if (et == NULL && (lm == NULL ||
				   cache_parse_date(lm->value) >= 0))
			FUZZ_CHECK(cache_304_selects(rs, nrs, rs, nrs, 0) == 1);
	}

	if (nrq > 0) {
		rc = cache_primary_key(k1, sizeof(k1), x.method, "http",
				       rq[0].value, rq[0].name);
		FUZZ_CHECK(rc == -1 || k1[rc] == '\0');
		n = cache_invalidate(inv, STR_LIT("POST"), 200, rq[0].value,
				     rs, nrs);
		FUZZ_CHECK(n >= 0 && n <= 3);
		for (i = 0; i < (size_t)n; i++)
			FUZZ_CHECK(memchr(inv[i], '\0', CACHE_URI_MAX) !=
				   NULL);
	}
	for (i = 0; i < nrs; i++)
		FUZZ_CHECK(cache_parse_date(rs[i].value) >= -1);
	return 0;
}
