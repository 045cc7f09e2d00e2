/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_store.c - the memory store (src/cache/store.c): variants by Vary,
 * replacement of a variant by a newer response, removal, references that
 * outlive the index, failed fills, and which objects each replacement
 * policy evicts under cache_mem.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cache/policy.h"
#include "cache/store.h"
#include "http/h1.h"

#define KB 1024

/* Store a complete object: key "GET URL", a 200 with the fields extra,
 * a body of len bytes of c. vary: the request's fields for its Vary key
 * (NULL: no Vary). Returns it (no reference kept). */
static struct cobj *
put(const char *url, size_t len, char c, const char *extra,
    const struct h1_header *rq, size_t nrq)
{
	char head[512], key[256], vkey[256], body[64 * KB];
	struct h1_resp resp;
	struct h1_scan scan;
	struct cobj *o;
	int hl, kl, vl;

	hl = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		      "Cache-Control: max-age=60\r\n%sContent-Length: %zu"
		      "\r\n\r\n", extra, len);
	memset(&scan, 0, sizeof(scan));
	assert_int_equal(h1_parse_resp(head, (size_t)hl, sizeof(head), &scan,
				       &resp), hl);
	kl = snprintf(key, sizeof(key), "GET %s", url);
	vl = cache_vary_key(vkey, sizeof(vkey), resp.hdr, resp.nhdr, rq,
			    nrq);
	assert_true(vl >= 0);
	o = store_new(key, (size_t)kl, vl > 0 ? vkey : NULL, (size_t)vl,
		      &resp, head, (size_t)hl, (int64_t)len, 100, 100);
	assert_non_null(o);
	memset(body, c, len < sizeof(body) ? len : sizeof(body));
	while (len > 0) {
		size_t k = len < sizeof(body) ? len : sizeof(body);

		if (store_append(o, body, k) < 0)
			break;
		len -= k;
	}
	store_complete(o);
	store_unref(o);
	return o;
}

/* Whether url is stored (for a request with fields rq). */
static int
has(const char *url, const struct h1_header *rq, size_t nrq)
{
	char key[256];
	struct cobj *o;
	int kl = snprintf(key, sizeof(key), "GET %s", url);

	o = store_lookup(key, (size_t)kl, rq, nrq, 0);
	if (o == NULL)
		return 0;
	store_unref(o);
	return 1;
}

/* The first body byte of url's stored response (0: none). */
static char
first_byte(const char *url, const struct h1_header *rq, size_t nrq)
{
	char key[256];
	struct ccursor cur = { 0 };
	struct cobj *o;
	const char *p;
	char c = 0;
	int kl = snprintf(key, sizeof(key), "GET %s", url);

	o = store_lookup(key, (size_t)kl, rq, nrq, 0);
	if (o == NULL)
		return 0;
	if (store_body_next(o, &cur, &p) > 0)
		c = p[0];
	store_unref(o);
	return c;
}

static int
setup(void **state)
{
	(void)state;
	store_clear();
	store_configure(256 * KB, 128 * KB, 0);
	store_configure_objects(0, 90, 95, 0);
	return 0;
}

static void
test_variants(void **state)
{
	struct h1_header en = { STR_LIT("Accept-Language"), STR_LIT("en") };
	struct h1_header fr = { STR_LIT("Accept-Language"), STR_LIT("fr") };

	(void)state;
	put("http://h/v", 10, 'e', "Vary: Accept-Language\r\n", &en, 1);
	put("http://h/v", 10, 'f', "Vary: Accept-Language\r\n", &fr, 1);
	assert_int_equal(first_byte("http://h/v", &en, 1), 'e');
	assert_int_equal(first_byte("http://h/v", &fr, 1), 'f');
	assert_false(has("http://h/v", NULL, 0));	/* no field: no match */
	/* A newer response for "en" replaces the older one only. */
	put("http://h/v", 10, 'E', "Vary: Accept-Language\r\n", &en, 1);
	assert_int_equal(first_byte("http://h/v", &en, 1), 'E');
	assert_int_equal(first_byte("http://h/v", &fr, 1), 'f');
	assert_int_equal(store_remove_key("GET http://h/v", 14), 2);
	assert_false(has("http://h/v", &en, 1));
}

static void
test_reference_outlives_the_index(void **state)
{
	struct ccursor cur = { 0 };
	struct cobj *o;
	const char *p;

	(void)state;
	put("http://h/r", 3000, 'r', "", NULL, 0);
	o = store_lookup("GET http://h/r", 14, NULL, 0, 0);
	assert_non_null(o);
	assert_int_equal(store_remove_key("GET http://h/r", 14), 1);
	assert_false(has("http://h/r", NULL, 0));
	/* Still readable whole by the one who holds it. */
	assert_int_equal(store_body_next(o, &cur, &p), 3000);
	assert_int_equal(p[2999], 'r');
	store_unref(o);
}

static void
test_failed_fill_is_never_found(void **state)
{
	char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
	struct h1_resp resp;
	struct h1_scan scan = { 0 };
	struct cobj *o;

	(void)state;
	assert_true(h1_parse_resp(head, sizeof(head) - 1, sizeof(head),
				  &scan, &resp) > 0);
	o = store_new("GET http://h/f", 14, NULL, 0, &resp, head,
		      sizeof(head) - 1, 100, 1, 1);
	assert_non_null(o);
	assert_int_equal(store_append(o, "abc", 3), 0);
	/* Being filled: only a collapsed lookup sees it. */
	assert_false(has("http://h/f", NULL, 0));
	store_fail(o);
	assert_true(o->failed);
	assert_null(store_lookup("GET http://h/f", 14, NULL, 0, 1));
	store_unref(o);
}

static void
test_memory_limits(void **state)
{
	struct store_stats st;

	char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 204800\r\n\r\n";
	char head2[] = "HTTP/1.1 200 OK\r\n\r\n";
	char block[16 * KB];
	struct h1_resp resp;
	struct h1_scan scan = { 0 };
	struct cobj *o;
	int i;

	(void)state;
	/* Declared over maximum_object_size_in_memory, no cache_dir:
	 * nowhere to keep it. */
	assert_true(h1_parse_resp(head, sizeof(head) - 1, sizeof(head),
				  &scan, &resp) > 0);
	assert_null(store_new("GET http://h/big", 16, NULL, 0, &resp, head,
			      sizeof(head) - 1, 200 * KB, 1, 1));
	/* Length unknown: given up when it grows past the limit. */
	memset(&scan, 0, sizeof(scan));
	assert_true(h1_parse_resp(head2, sizeof(head2) - 1, sizeof(head2),
				  &scan, &resp) > 0);
	o = store_new("GET http://h/grow", 17, NULL, 0, &resp, head2,
		      sizeof(head2) - 1, -1, 1, 1);
	assert_non_null(o);
	memset(block, 'g', sizeof(block));
	for (i = 0; i < 7; i++)
		assert_int_equal(store_append(o, block, sizeof(block)), 0);
	assert_int_equal(store_append(o, block, sizeof(block)), 0);
	assert_true(store_append(o, block, sizeof(block)) < 0);
	assert_true(o->failed);
	store_unref(o);
	assert_false(has("http://h/grow", NULL, 0));
	store_get_stats(&st);
	assert_true(st.mem_bytes <= 256 * KB);
}

/* Fill the store with 8 objects of 30 KB, use the first one often,
 * then add 8 more: which of the first eight are left. */
static unsigned
survivors(int repl, int small_first)
{
	char url[64];
	unsigned left = 0;
	int i, k;

	store_clear();
	store_configure(256 * KB, 128 * KB, repl);
	for (i = 0; i < 8; i++) {
		snprintf(url, sizeof(url), "http://h/a%d", i);
		put(url, small_first && i == 0 ? 1 * KB : 30 * KB, 'a', "",
		    NULL, 0);
	}
	/* a0 is the popular one, but not the most recent. */
	for (k = 0; k < 20; k++) {
		struct cobj *o = store_lookup("GET http://h/a0", 15, NULL, 0,
					      0);

		assert_non_null(o);
		store_touch(o, 1);
		store_unref(o);
	}
	for (i = 1; i < 8; i++) {
		snprintf(url, sizeof(url), "http://h/a%d", i);
		if (has(url, NULL, 0)) {
			struct cobj *o;
			char key[80];
			int kl = snprintf(key, sizeof(key), "GET %s", url);

			o = store_lookup(key, (size_t)kl, NULL, 0, 0);
			store_touch(o, 2);	/* newer than a0 */
			store_unref(o);
		}
	}
	for (i = 0; i < 8; i++) {
		snprintf(url, sizeof(url), "http://h/b%d", i);
		put(url, 30 * KB, 'b', "", NULL, 0);
	}
	for (i = 0; i < 8; i++) {
		snprintf(url, sizeof(url), "http://h/a%d", i);
		if (has(url, NULL, 0))
			left |= 1u << i;
	}
	return left;
}

static void
test_replacement_policies(void **state)
{
	(void)state;
	/* LRU: a0 was used least recently: it goes. */
	assert_false(survivors(0, 0) & 1u);
	/* heap LFUDA and heap GDSF keep the popular a0. */
	assert_true(survivors(2, 0) & 1u);
	assert_true(survivors(1, 1) & 1u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_variants, setup),
		cmocka_unit_test_setup(test_reference_outlives_the_index,
				       setup),
		cmocka_unit_test_setup(test_failed_fill_is_never_found, setup),
		cmocka_unit_test_setup(test_memory_limits, setup),
		cmocka_unit_test_setup(test_replacement_policies, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
