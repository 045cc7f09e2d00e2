/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_auth.c - proxy authentication's pure parts (src/auth/, tables):
 * base64 decoding, Basic Proxy-Authorization values, Squid's
 * rfc1738_escape() for the helper line, the credentials cache, and the
 * proxy_auth / proxy_auth_regex acls (src/acl/acl_auth.c) through
 * acl_check() with a loaded configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acl/acl.h"
#include "auth/basic.h"
#include "auth/cred_cache.h"
#include "auth/digest.h"
#include "config/config.h"

/* ------------------------------------------------------------- base64 */

struct b64_row {
	const char *in;
	long        len;	/* -1: refused */
	const char *out;
};

static const struct b64_row b64_rows[] = {
	{ "", 0, "" },
	{ "YQ==", 1, "a" },
	{ "YWI=", 2, "ab" },
	{ "YWJj", 3, "abc" },
	{ "YWxpY2U6c2VjcmV0", 12, "alice:secret" },
	{ "YWxp Y2U6\r\nc2VjcmV0", 12, "alice:secret" },	/* blanks */
	{ "Lz8+", 3, "/?>" },
	{ "YQ", -1, NULL },		/* no padding */
	{ "YWI", -1, NULL },
	{ "Y", -1, NULL },
	{ "YQ=", -1, NULL },
	{ "YQ===", -1, NULL },
	{ "=YQ=", -1, NULL },
	{ "Y=Q=", -1, NULL },
	{ "YQ==YQ==", -1, NULL },	/* data after padding */
	{ "YW!j", -1, NULL },
	{ "YW-j", -1, NULL },		/* base64url is not base64 */
	{ "YW_j", -1, NULL },
	{ "YWJj\x80", -1, NULL },
};

static void
test_base64(void **state)
{
	unsigned char out[64];
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < sizeof(b64_rows) / sizeof(b64_rows[0]); i++) {
		const struct b64_row *r = &b64_rows[i];

		n = auth_base64_decode(r->in, strlen(r->in), out, sizeof(out));
		if (n != r->len)
			fail_msg("row %zu '%s': %ld, expected %ld", i, r->in, n,
				 r->len);
		if (n > 0)
			assert_memory_equal(out, r->out, (size_t)n);
	}
	/* No room. */
	assert_int_equal(auth_base64_decode("YWJj", 4, out, 2), -1);
	assert_int_equal(auth_base64_decode("YWJj", 4, out, 3), 3);
}

/* -------------------------------------------------------------- Basic */

struct basic_row {
	const char *val;
	unsigned    flags;
	int         rc;
	const char *user;
	const char *pass;
};

static const struct basic_row basic_rows[] = {
	{ "Basic YWxpY2U6c2VjcmV0", 0, AUTH_B_OK, "alice", "secret" },
	{ "basic YWxpY2U6c2VjcmV0", 0, AUTH_B_OK, "alice", "secret" },
	{ "  BASIC\tYWxpY2U6c2VjcmV0  ", 0, AUTH_B_OK, "alice", "secret" },
	/* casesensitive off lowercases the user, never the password. */
	{ "Basic QUxpY2U6U2VjUmV0", 0, AUTH_B_OK, "alice", "SecRet" },
	{ "Basic QUxpY2U6U2VjUmV0", AUTH_B_CASESENSITIVE, AUTH_B_OK,
	  "ALice", "SecRet" },
	/* The first ':' splits: the password may hold more. */
	{ "Basic dTpwOnE6cg==", 0, AUTH_B_OK, "u", "p:q:r" },
	/* An empty user is the helper's to refuse. */
	{ "Basic OnB3", 0, AUTH_B_OK, "", "pw" },
	{ "Basic dSBzcGFjZTpwIHc=", 0, AUTH_B_OK, "u space", "p w" },
	/* Latin-1 "\xe9" as UTF-8 with utf8 on; kept as is without. */
	{ "Basic 6Tpwdw==", AUTH_B_UTF8, AUTH_B_OK, "\xc3\xa9", "pw" },
	{ "Basic 6Tpwdw==", 0, AUTH_B_OK, "\xe9", "pw" },
	{ "Basic w6k6cHc=", AUTH_B_UTF8, AUTH_B_OK, "\xc3\xa9", "pw" },
	{ "Basic", 0, AUTH_B_NOT_BASIC, "", "" },
	{ "Basic ", 0, AUTH_B_NOT_BASIC, "", "" },
	{ "", 0, AUTH_B_NOT_BASIC, "", "" },
	{ "Basicx YWxpY2U6c2VjcmV0", 0, AUTH_B_NOT_BASIC, "", "" },
	{ "Digest username=\"a\"", 0, AUTH_B_NOT_BASIC, "", "" },
	{ "Negotiate YII=", 0, AUTH_B_NOT_BASIC, "", "" },
	{ "Basic !!!!", 0, AUTH_B_BASE64, "", "" },
	{ "Basic YWxpY2U", 0, AUTH_B_BASE64, "", "" },
	{ "Basic YWxpY2U=", 0, AUTH_B_NO_COLON, "", "" },
	{ "Basic YWxpY2U6", 0, AUTH_B_EMPTY_PASS, "", "" },
	{ "Basic YTpiDQpjOmQ=", 0, AUTH_B_BAD_CHAR, "", "" },	/* CR LF */
	{ "Basic YTpiAGM=", 0, AUTH_B_BAD_CHAR, "", "" },	/* NUL */
};

static void
test_basic_decode(void **state)
{
	struct auth_basic_cred c;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(basic_rows) / sizeof(basic_rows[0]); i++) {
		const struct basic_row *r = &basic_rows[i];

		rc = auth_basic_decode(r->val, strlen(r->val), r->flags, &c);
		if (rc != r->rc)
			fail_msg("row %zu '%s': %d (%s), expected %d", i,
				 r->val, rc, auth_basic_strerror(rc), r->rc);
		assert_string_equal(c.user, r->user);
		assert_string_equal(c.pass, r->pass);
	}
}

static void
test_basic_too_long(void **state)
{
	struct auth_basic_cred c;
	char raw[3 * AUTH_CRED_MAX], b64[4 * AUTH_CRED_MAX + 16];
	char val[sizeof(b64) + 8];
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789+/";
	size_t n, i, o = 0;

	(void)state;
	/* A user name of AUTH_CRED_MAX bytes: refused, never cut. */
	memset(raw, 'u', AUTH_CRED_MAX);
	raw[AUTH_CRED_MAX] = ':';
	raw[AUTH_CRED_MAX + 1] = 'p';
	n = AUTH_CRED_MAX + 2;
	while (n % 3 != 0)
		raw[n++] = 'p';
	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)(unsigned char)raw[i] << 16 |
			     (unsigned)(unsigned char)raw[i + 1] << 8 |
			     (unsigned char)raw[i + 2];

		b64[o++] = tbl[v >> 18 & 63];
		b64[o++] = tbl[v >> 12 & 63];
		b64[o++] = tbl[v >> 6 & 63];
		b64[o++] = tbl[v & 63];
	}
	snprintf(val, sizeof(val), "Basic %.*s", (int)o, b64);
	assert_int_equal(auth_basic_decode(val, strlen(val), 0, &c),
			 AUTH_B_TOO_LONG);
	assert_string_equal(c.user, "");
	/* Far too long: refused before decoding. */
	memset(val, 'A', sizeof(val));
	memcpy(val, "Basic ", 6);
	assert_int_equal(auth_basic_decode(val, sizeof(val), 0, &c),
			 AUTH_B_TOO_LONG);
}

/* ----------------------------------------------------------- escaping */

struct esc_row {
	const char *in;
	const char *out;
};

/* What Squid's rfc1738_escape() (RFC1738_ESCAPE_UNSAFE |
 * RFC1738_ESCAPE_CTRLS) gives. */
static const struct esc_row esc_rows[] = {
	{ "alice", "alice" },
	{ "Alice09", "Alice09" },
	{ "a b", "a%20b" },
	{ "100%", "100%25" },
	{ "c%3A:x", "c%253A:x" },
	/* Reserved characters are kept. */
	{ ";/?:@=&", ";/?:@=&" },
	{ "-_.!*$,()+", "-_.!*$,()+" },
	/* Unsafe ones are not. */
	{ "<>\"#{}|\\^~[]`'", "%3C%3E%22%23%7B%7D%7C%5C%5E%7E%5B%5D%60%27" },
	{ "\t\x01\x1f\x7f", "%09%01%1F%7F" },
	{ "\xc3\xa9", "%C3%A9" },
	{ "", "" },
};

static void
test_escape(void **state)
{
	char out[128];
	size_t i;
	long n;

	(void)state;
	for (i = 0; i < sizeof(esc_rows) / sizeof(esc_rows[0]); i++) {
		n = auth_rfc1738_escape(esc_rows[i].in,
					strlen(esc_rows[i].in), out,
					sizeof(out));
		assert_int_equal(n, (long)strlen(esc_rows[i].out));
		assert_string_equal(out, esc_rows[i].out);
	}
	/* Exactly enough room, and one byte less. */
	assert_int_equal(auth_rfc1738_escape("a b", 3, out, 6), 5);
	assert_int_equal(auth_rfc1738_escape("a b", 3, out, 5), -1);
}

static void
test_helper_line(void **state)
{
	struct auth_basic_cred c;
	char out[64];

	(void)state;
	memset(&c, 0, sizeof(c));
	memcpy(c.user, "bob smith", 10);
	memcpy(c.pass, "p%w d", 6);
	assert_int_equal(auth_basic_line(&c, out, sizeof(out)), 21);
	assert_string_equal(out, "bob%20smith p%25w%20d");
	assert_int_equal(auth_basic_line(&c, out, 12), -1);
}

/* -------------------------------------------------------------- cache */

static void
test_cred_cache(void **state)
{
	(void)state;
	auth_cache_clear();
	assert_int_equal(auth_cache_get("alice", "pw", 100), 0);
	auth_cache_put("alice", "pw", 200);
	assert_int_equal(auth_cache_get("alice", "pw", 100), 1);
	assert_int_equal(auth_cache_get("alice", "pw", 199.9), 1);
	/* Another password, another user, the same bytes split elsewhere. */
	assert_int_equal(auth_cache_get("alice", "pw2", 100), 0);
	assert_int_equal(auth_cache_get("alicep", "w", 100), 0);
	assert_int_equal(auth_cache_get("Alice", "pw", 100), 0);
	/* Expired. */
	assert_int_equal(auth_cache_get("alice", "pw", 200), 0);
	assert_int_equal(auth_cache_get("alice", "pw", 100), 0);
	auth_cache_put("alice", "pw", 300);
	auth_cache_clear();
	assert_int_equal(auth_cache_get("alice", "pw", 100), 0);
}

/* ------------------------------------------------------------- Digest */

struct digest_row {
	const char *val;
	int         rc;
	const char *user, *uri, *qop, *nc;
};

static const struct digest_row digest_rows[] = {
	{ "Digest username=\"alice\", realm=\"r\", nonce=\"n1\", "
	  "uri=\"http://a/b?c=d,e\", response=\"abc\", qop=auth, "
	  "nc=00000001, cnonce=\"xyz\", algorithm=MD5", AUTH_D_OK, "alice",
	  "http://a/b?c=d,e", "auth", "00000001" },
	{ "digest USERNAME=\"a\\\"b\",nonce=n,uri=/,response=r",
	  AUTH_D_OK, "a\"b", "/", "", "" },
	{ "Digest username=\"a\", nonce=n, uri=/, response=r, "
	  "opaque=\"o\", future-param=x", AUTH_D_OK, "a", "/", "", "" },
	{ "Basic YWxpY2U6c2VjcmV0", AUTH_D_NOT_DIGEST, "", "", "", "" },
	{ "Digest", AUTH_D_NOT_DIGEST, "", "", "", "" },
	{ "Digest username=\"a\", nonce=n, uri=/", AUTH_D_MISSING, "", "",
	  "", "" },
	{ "Digest username=\"a\", nonce=n, uri=/, response=r, qop=auth",
	  AUTH_D_MISSING, "", "", "", "" },
	{ "Digest username=\"a\", nonce=n, uri=/, response=r, "
	  "qop=auth-int, nc=00000001, cnonce=c", AUTH_D_UNSUPPORTED, "", "",
	  "", "" },
	{ "Digest username=\"a\", nonce=n, uri=/, response=r, "
	  "algorithm=SHA-256", AUTH_D_UNSUPPORTED, "", "", "", "" },
	{ "Digest username=\"a", AUTH_D_SYNTAX, "", "", "", "" },
	{ "Digest username", AUTH_D_SYNTAX, "", "", "", "" },
	{ "Digest =x", AUTH_D_SYNTAX, "", "", "", "" },
};

static void
test_digest_parse(void **state)
{
	struct auth_digest_cred d;
	char big[600];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(digest_rows) / sizeof(digest_rows[0]); i++) {
		const struct digest_row *r = &digest_rows[i];

		rc = auth_digest_parse(r->val, strlen(r->val), &d);
		if (rc != r->rc)
			fail_msg("row %zu: %d, expected %d", i, rc, r->rc);
		if (rc != AUTH_D_OK)
			continue;
		assert_string_equal(d.user, r->user);
		assert_string_equal(d.uri, r->uri);
		assert_string_equal(d.qop, r->qop);
		assert_string_equal(d.nc, r->nc);
	}
	/* A user name longer than its buffer: refused, never cut. */
	memcpy(big, "Digest username=\"", 17);
	memset(big + 17, 'u', 400);
	memcpy(big + 417, "\", nonce=n, uri=/, response=r", 30);
	assert_int_equal(auth_digest_parse(big, 447, &d), AUTH_D_TOO_LONG);
}

/* RFC 2617 3.5's example (its Authorization header, for "Mufasa" with
 * password "Circle Of Life"). */
static void
test_digest_rfc2617(void **state)
{
	static const char hdr[] =
		"Digest username=\"Mufasa\", "
		"realm=\"testrealm@host.com\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
		"uri=\"/dir/index.html\", qop=auth, nc=00000001, "
		"cnonce=\"0a4f113b\", "
		"response=\"6629fae49393a05397450978507c4ef1\", "
		"opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	struct auth_digest_cred d;
	char ha1[33], want[33];

	(void)state;
	assert_int_equal(auth_digest_parse(hdr, strlen(hdr), &d), AUTH_D_OK);
	assert_int_equal(auth_digest_ha1("Mufasa", "testrealm@host.com",
					 "Circle Of Life", ha1), 0);
	assert_int_equal(auth_digest_expect(ha1, &d, "GET", want), 0);
	assert_string_equal(want, d.response);
	/* Another method, another response. */
	assert_int_equal(auth_digest_expect(ha1, &d, "POST", want), 0);
	assert_string_not_equal(want, d.response);
}

static void
test_nonces(void **state)
{
	char n1[33], n2[33], bad[33];

	(void)state;
	auth_nonce_clear();
	assert_int_equal(auth_nonce_new(1000, n1), 0);
	assert_int_equal(auth_nonce_new(1000, n2), 0);
	assert_int_equal(strlen(n1), 32);
	assert_string_not_equal(n1, n2);
	/* Counts must grow (check_nonce_count); strict: by one. */
	assert_int_equal(auth_nonce_use(n1, "00000001", 1001, 60, 5, 1, 0),
			 0);
	assert_int_equal(auth_nonce_use(n1, "00000001", 1001, 60, 5, 1, 0),
			 1);
	assert_int_equal(auth_nonce_use(n1, "00000003", 1001, 60, 5, 1, 0),
			 0);
	assert_int_equal(auth_nonce_use(n1, "00000005", 1001, 60, 5, 1, 1),
			 1);
	assert_int_equal(auth_nonce_use(n1, "00000004", 1001, 60, 5, 1, 1),
			 0);
	assert_int_equal(auth_nonce_use(n1, "00000002", 1001, 60, 5, 0, 0),
			 0);
	/* Used 4 times: the 5th use is the last one allowed. */
	assert_int_equal(auth_nonce_use(n1, "00000009", 1001, 60, 5, 1, 0),
			 0);
	assert_int_equal(auth_nonce_use(n1, "0000000a", 1001, 60, 5, 1, 0),
			 1);
	/* Expired; bad counts; unknown. */
	assert_int_equal(auth_nonce_use(n2, "00000001", 1060, 60, 0, 1, 0),
			 1);
	assert_int_equal(auth_nonce_use(n2, "1", 1001, 60, 0, 1, 0), 1);
	assert_int_equal(auth_nonce_use(n2, "0000000g", 1001, 60, 0, 1, 0),
			 1);
	assert_int_equal(auth_nonce_use(n2, "", 1001, 60, 0, 1, 0), 0);
	memcpy(bad, n2, 33);
	bad[31] = bad[31] == '0' ? '1' : '0';
	assert_int_equal(auth_nonce_use(bad, "", 1001, 60, 0, 1, 0), 1);
	assert_int_equal(auth_nonce_use("short", "", 1001, 60, 0, 1, 0), 1);
	auth_nonce_clear();
	assert_int_equal(auth_nonce_use(n2, "", 1001, 60, 0, 1, 0), 1);
}

static void
test_ha1_cache(void **state)
{
	char ha1[33];

	(void)state;
	auth_cache_clear();
	assert_int_equal(auth_cache_get_ha1("alice", "r", 10, ha1), 0);
	auth_cache_put_ha1("alice", "r", "0123456789abcdef0123456789abcdef",
			   20);
	assert_int_equal(auth_cache_get_ha1("alice", "r", 10, ha1), 1);
	assert_string_equal(ha1, "0123456789abcdef0123456789abcdef");
	assert_int_equal(auth_cache_get_ha1("alice", "r2", 10, ha1), 0);
	assert_int_equal(auth_cache_get_ha1("alice", "r", 20, ha1), 0);
	/* Not a Basic entry: the same words never meet. */
	assert_int_equal(auth_cache_get("digest:alice", "r", 10), 0);
	auth_cache_put_ha1("bob", "r", "short", 20);
	assert_int_equal(auth_cache_get_ha1("bob", "r", 10, ha1), 0);
}

/* --------------------------------------------------------------- acls */

static struct cfg *
load(const char *text)
{
	struct cfg_msgs msgs;
	struct cfg *c;

	memset(&msgs, 0, sizeof(msgs));
	c = cfg_load_mem(text, "t.conf", &msgs);
	if (c == NULL || msgs.nerr > 0) {
		size_t i;

		for (i = 0; i < msgs.n; i++)
			print_error("    %s\n", msgs.msg[i].text);
		fail_msg("configuration not loaded");
	}
	cfg_msgs_free(&msgs);
	return c;
}

struct acl_row {
	enum acl_auth    auth;
	const char      *user;
	const char      *path;
	enum acl_verdict v;
	const char      *rule_acl;	/* last acl of the deciding rule, or
					   NULL */
};

static const char acl_conf[] =
	"http_port 3128\n"
	"auth_param basic program /bin/false\n"
	"acl alice proxy_auth alice Bob\n"
	"acl ci proxy_auth -i carol\n"
	"acl any_user proxy_auth REQUIRED\n"
	"acl re proxy_auth_regex -i ^d.*x$\n"
	"acl open urlpath_regex ^/open\n"
	"acl adm urlpath_regex ^/adm\n"
	"http_access allow open\n"
	"http_access deny adm !alice\n"
	"http_access allow alice\n"
	"http_access allow ci\n"
	"http_access allow re\n"
	"http_access deny any_user\n";

static const struct acl_row acl_rows[] = {
	/* No acl of the deciding rule needs a user. */
	{ ACL_AUTH_NONE, NULL, "/open", ACL_ALLOW, "open" },
	/* Reaching a proxy_auth acl without accepted credentials stops. */
	{ ACL_AUTH_NONE, NULL, "/x", ACL_NEED_AUTH, NULL },
	{ ACL_AUTH_UNCHECKED, NULL, "/x", ACL_NEED_AUTH, NULL },
	{ ACL_AUTH_FAILED, NULL, "/x", ACL_NEED_AUTH, NULL },
	{ ACL_AUTH_NONE, NULL, "/adm", ACL_NEED_AUTH, NULL },
	{ ACL_AUTH_OK, "alice", "/x", ACL_ALLOW, "alice" },
	{ ACL_AUTH_OK, "Bob", "/x", ACL_ALLOW, "alice" },
	{ ACL_AUTH_OK, "bob", "/x", ACL_DENY, "any_user" },	/* case */
	{ ACL_AUTH_OK, "CAROL", "/x", ACL_ALLOW, "ci" },	/* -i */
	{ ACL_AUTH_OK, "DunX", "/x", ACL_ALLOW, "re" },
	{ ACL_AUTH_OK, "dan", "/x", ACL_DENY, "any_user" },
	{ ACL_AUTH_OK, "alice", "/adm", ACL_ALLOW, "alice" },
	{ ACL_AUTH_OK, "carol", "/adm", ACL_DENY, "alice" },
	/* Intercepted: never a match, never a wait. */
	{ ACL_AUTH_NA, NULL, "/x", ACL_ALLOW, NULL },
	{ ACL_AUTH_NA, NULL, "/adm", ACL_DENY, "alice" },
};

static void
test_acls(void **state)
{
	struct cfg *c = load(acl_conf);
	const struct access_rule *rule;
	struct sockaddr_in sin;
	struct acl_ctx ctx;
	unsigned na;
	size_t i;
	enum acl_verdict v;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	for (i = 0; i < sizeof(acl_rows) / sizeof(acl_rows[0]); i++) {
		const struct acl_row *r = &acl_rows[i];

		memset(&ctx, 0, sizeof(ctx));
		ctx.client = (const struct sockaddr *)&sin;
		ctx.path = str_make(r->path, strlen(r->path));
		ctx.auth = r->auth;
		ctx.user = r->user;
		ctx.auth_wait = 1;
		na = 0;
		ctx.auth_na = &na;
		v = acl_check(&c->http_access, &ctx, ACL_DENY, &rule);
		if (v != r->v)
			fail_msg("row %zu: verdict %d, expected %d", i, v,
				 r->v);
		if (r->rule_acl != NULL) {
			assert_non_null(rule);
			assert_string_equal(rule->ref[rule->nref - 1].acl->name,
					    r->rule_acl);
			assert_true(strcmp(r->rule_acl, "open") == 0 ||
				    strcmp(r->rule_acl, "any_user") == 0 ||
				    acl_is_proxy_auth(
					rule->ref[rule->nref - 1].acl));
		}
		if (r->auth == ACL_AUTH_NA)
			assert_true(na > 0);
		/* Without auth_wait (other access lists), no waiting. */
		ctx.auth_wait = 0;
		v = acl_check(&c->http_access, &ctx, ACL_DENY, NULL);
		assert_true(v == ACL_ALLOW || v == ACL_DENY);
	}
	assert_false(acl_is_proxy_auth(cfg_acl_find(c, "open")));
	assert_true(acl_is_proxy_auth(cfg_acl_find(c, "re")));
	cfg_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_basic_decode),
		cmocka_unit_test(test_basic_too_long),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_helper_line),
		cmocka_unit_test(test_cred_cache),
		cmocka_unit_test(test_digest_parse),
		cmocka_unit_test(test_digest_rfc2617),
		cmocka_unit_test(test_nonces),
		cmocka_unit_test(test_ha1_cache),
		cmocka_unit_test(test_acls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
