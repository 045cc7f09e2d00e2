/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_icap.c - the ICAP message layer (src/icap/icap.c), table driven:
 * requests built byte for byte (REQMOD and RESPMOD, with and without a
 * body, Preview, Allow: 204, X-Client-IP, X-Client-Username, OPTIONS),
 * response heads (status lines, fields, Encapsulated) accepted and
 * refused, every valid head cut at every byte, the Encapsulated header's
 * rules, the chunked body with "ieof" (fed whole and byte by byte), and
 * OPTIONS responses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/buf.h"
#include "icap/icap.h"

#define S(x) STR_LIT(x)

static const struct {
	const char          *name;
	struct icap_req_opts o;
	const char          *want;
} build_cases[] = {
	{ "reqmod bodiless",
	  { ICAP_M_REQMOD, S("icap://127.0.0.1:1344/echo"),
	    S("127.0.0.1:1344"), S("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"),
	    STR_NULL, 0, -1, 1, STR_NULL, STR_NULL, STR_NULL },
	  "REQMOD icap://127.0.0.1:1344/echo ICAP/1.0\r\n"
	  "Host: 127.0.0.1:1344\r\nAllow: 204\r\n"
	  "Encapsulated: req-hdr=0, null-body=35\r\n\r\n"
	  "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n" },
	{ "reqmod with body, preview, client ip and user",
	  { ICAP_M_REQMOD, S("icap://h/r"), S("h"),
	    S("POST http://a/ HTTP/1.1\r\n\r\n"), STR_NULL, 1, 1024, 0,
	    S("192.0.2.1"), S("bob"), STR_NULL },
	  "REQMOD icap://h/r ICAP/1.0\r\nHost: h\r\nPreview: 1024\r\n"
	  "X-Client-IP: 192.0.2.1\r\nX-Client-Username: bob\r\n"
	  "Encapsulated: req-hdr=0, req-body=27\r\n\r\n"
	  "POST http://a/ HTTP/1.1\r\n\r\n" },
	{ "respmod with body",
	  { ICAP_M_RESPMOD, S("icap://h/m"), S("h"),
	    S("GET / HTTP/1.1\r\n\r\n"), S("HTTP/1.1 200 OK\r\n\r\n"), 1, 0,
	    1, STR_NULL, STR_NULL, STR_NULL },
	  "RESPMOD icap://h/m ICAP/1.0\r\nHost: h\r\nAllow: 204\r\n"
	  "Preview: 0\r\n"
	  "Encapsulated: req-hdr=0, res-hdr=18, res-body=37\r\n\r\n"
	  "GET / HTTP/1.1\r\n\r\nHTTP/1.1 200 OK\r\n\r\n" },
	{ "respmod without body, no request head",
	  { ICAP_M_RESPMOD, S("icap://h/m"), S("h"), STR_NULL,
	    S("HTTP/1.1 304 Not Modified\r\n\r\n"), 0, 10, 0, STR_NULL,
	    STR_NULL, STR_NULL },
	  "RESPMOD icap://h/m ICAP/1.0\r\nHost: h\r\n"
	  "Encapsulated: res-hdr=0, null-body=29\r\n\r\n"
	  "HTTP/1.1 304 Not Modified\r\n\r\n" },
	{ "options",
	  { ICAP_M_OPTIONS, S("icap://h/m"), S("h"), STR_NULL, STR_NULL, 0,
	    -1, 1, S("192.0.2.1"), STR_NULL, STR_NULL },
	  "OPTIONS icap://h/m ICAP/1.0\r\nHost: h\r\n"
	  "Encapsulated: null-body=0\r\n\r\n" },
	{ "icap_client_username_header",
	  { ICAP_M_REQMOD, S("icap://h/r"), S("h"),
	    S("GET http://a/ HTTP/1.1\r\n\r\n"), STR_NULL, 0, -1, 0,
	    STR_NULL, S("Ym9i"), S("X-Authenticated-User") },
	  "REQMOD icap://h/r ICAP/1.0\r\nHost: h\r\n"
	  "X-Authenticated-User: Ym9i\r\n"
	  "Encapsulated: req-hdr=0, null-body=26\r\n\r\n"
	  "GET http://a/ HTTP/1.1\r\n\r\n" },
};

static void
test_build(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(build_cases) / sizeof(build_cases[0]); i++) {
		memset(&b, 0, sizeof(b));
		assert_int_equal(buf_init(&b, 16), 0);	/* grows */
		assert_int_equal(icap_build_req(&b, &build_cases[i].o), 0);
		if (buf_len(&b) != strlen(build_cases[i].want) ||
		    memcmp(buf_head(&b), build_cases[i].want,
			   buf_len(&b)) != 0)
			fail_msg("%s: got\n%.*s\nwant\n%s",
				 build_cases[i].name, (int)buf_len(&b),
				 buf_head(&b), build_cases[i].want);
		buf_free(&b);
	}
}

static void
test_build_refuses_crlf(void **state)
{
	struct icap_req_opts o = build_cases[1].o;
	struct buf b;

	(void)state;
	memset(&b, 0, sizeof(b));
	o.username = S("bob\r\nX-Evil: 1");
	assert_int_equal(icap_build_req(&b, &o), -22);
	buf_free(&b);
}

static void
test_chunk_frames(void **state)
{
	struct buf b;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(icap_chunk_head(&b, 0x1a2), 0);
	assert_int_equal(icap_chunk_end(&b, 1), 0);
	assert_int_equal(icap_chunk_end(&b, 0), 0);
	assert_int_equal(buf_len(&b), 5 + 11 + 5);
	assert_memory_equal(buf_head(&b), "1a2\r\n0; ieof\r\n\r\n0\r\n\r\n",
			    21);
	buf_free(&b);
}

static const struct {
	const char *in;
	int         rc;		/* > 0: the head's length is strlen(in) */
	int         status;
	int         nenc;
	const char *istag;
} resp_cases[] = {
	{ "ICAP/1.0 204 No Content\r\nISTag: \"W3E4R7\"\r\n\r\n", 1, 204, 0,
	  "\"W3E4R7\"" },
	{ "ICAP/1.0 200 OK\r\nEncapsulated: req-hdr=0, null-body=40\r\n\r\n",
	  1, 200, 2, "" },
	{ "ICAP/1.0 200 OK\r\nISTag: x\r\nEncapsulated: res-hdr=0, "
	  "res-body=100\r\nServer: C-ICAP/0.5.10\r\n\r\n", 1, 200, 2, "x" },
	{ "ICAP/1.0 200 OK\nEncapsulated: null-body=0\n\n", 1, 200, 1, "" },
	{ "ICAP/1.0 100 Continue\r\n\r\n", 1, 100, 0, "" },
	{ "ICAP/1.0 500 Server error\r\n\r\n", 1, 500, 0, "" },
	{ "ICAP/1.0 200\r\nEncapsulated: null-body=0\r\n\r\n", 1, 200, 1,
	  "" },
	/* c-icap's virus_scan folds X-Violations-Found */
	{ "ICAP/1.0 200 OK\r\nISTag: \"CI1\"\r\nX-Violations-Found: 1\r\n"
	  "\t-\r\n\tEICAR\r\n\t0\r\n\t0\r\n"
	  "Encapsulated: res-hdr=0, res-body=10\r\n\r\n", 1, 200, 2,
	  "\"CI1\"" },
	/* refused */
	{ "HTTP/1.1 200 OK\r\n\r\n", ICAP_E_VERSION, 0, 0, NULL },
	{ "ICAP/1.1 200 OK\r\n\r\n", ICAP_E_VERSION, 0, 0, NULL },
	{ "ICAP/1.0 2x0 OK\r\n\r\n", ICAP_E_STATUS, 0, 0, NULL },
	{ "ICAP/1.0 099 OK\r\n\r\n", ICAP_E_STATUS, 0, 0, NULL },
	{ "ICAP/1.0 2000 OK\r\n\r\n", ICAP_E_STATUS, 0, 0, NULL },
	{ "ICAP/1.0 200 OK\r\n\r\n", ICAP_E_ENCAP, 0, 0, NULL },
	{ "ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0\r\n\r\n",
	  ICAP_E_ENCAP, 0, 0, NULL },
	{ "ICAP/1.0 204 OK\r\nBad Name: x\r\n\r\n", ICAP_E_SYNTAX, 0, 0,
	  NULL },
	{ "ICAP/1.0 204 OK\r\n: x\r\n\r\n", ICAP_E_SYNTAX, 0, 0, NULL },
	{ "ICAP/1.0 204 OK\r\n folded first\r\n\r\n", ICAP_E_SYNTAX, 0, 0,
	  NULL },
	{ "ICAP/1.0 204 OK\r\nA: x\r\n \x01\r\n\r\n", ICAP_E_SYNTAX, 0, 0,
	  NULL },
	{ "ICAP/1.0 204 OK\r\nA: x\ry\r\n\r\n", ICAP_E_SYNTAX, 0, 0, NULL },
	{ "ICAP/1.0 204 OK\r\nA: \x01\r\n\r\n", ICAP_E_SYNTAX, 0, 0, NULL },
	{ "ICAP/1.0 204 OK\r\nNoColon\r\n\r\n", ICAP_E_SYNTAX, 0, 0, NULL },
};

static void
test_parse_resp(void **state)
{
	struct icap_resp r;
	size_t i, len, cut;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
		len = strlen(resp_cases[i].in);
		rc = icap_parse_resp(resp_cases[i].in, len, ICAP_HEAD_MAX, &r);
		if (resp_cases[i].rc < 0) {
			if (rc != resp_cases[i].rc)
				fail_msg("case %zu: rc %d, want %d", i, rc,
					 resp_cases[i].rc);
			continue;
		}
		if (rc != (int)len)
			fail_msg("case %zu: rc %d (%s), want %zu", i, rc,
				 icap_strerror(rc), len);
		assert_int_equal(r.status, resp_cases[i].status);
		assert_int_equal(r.enc.n, resp_cases[i].nenc);
		assert_int_equal(r.istag.len, strlen(resp_cases[i].istag));
		assert_memory_equal(r.istag.p ? r.istag.p : "",
				    resp_cases[i].istag, r.istag.len);
		/* Every cut is incomplete, never an error or a success. */
		for (cut = 0; cut < len; cut++) {
			rc = icap_parse_resp(resp_cases[i].in, cut,
					     ICAP_HEAD_MAX, &r);
			if (rc != ICAP_INCOMPLETE)
				fail_msg("case %zu cut %zu: rc %d", i, cut,
					 rc);
		}
		/* Bytes after the head are not the head's. */
		{
			char *x = malloc(len + 8);

			memcpy(x, resp_cases[i].in, len);
			memcpy(x + len, "GET / HT", 8);
			assert_int_equal(icap_parse_resp(x, len + 8,
							 ICAP_HEAD_MAX, &r),
					 (int)len);
			free(x);
		}
	}
}

static void
test_parse_limits(void **state)
{
	static char big[ICAP_HEAD_MAX + 64];
	struct icap_resp r;
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(big, sizeof(big), "ICAP/1.0 204 OK\r\n");
	for (i = 0; i <= ICAP_MAX_HEADERS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "A%d: x\r\n",
				      i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	assert_int_equal(icap_parse_resp(big, n, ICAP_HEAD_MAX, &r),
			 ICAP_E_TOO_MANY);
	/* A head with no end past the limit. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "ICAP/1.0 204 OK\r\nX: ", 20);
	assert_int_equal(icap_parse_resp(big, sizeof(big), 100, &r),
			 ICAP_E_TOO_LONG);
	assert_int_equal(icap_parse_resp(big, 90, 100, &r), ICAP_INCOMPLETE);
}

static const struct {
	const char *v;
	int         rc;
	int         n;
	int         body;	/* enum icap_part of the last part */
	int64_t     res_hdr;	/* its offset, -1 none */
} encap_cases[] = {
	{ "req-hdr=0, null-body=170", 0, 2, ICAP_P_NULL_BODY, -1 },
	{ "res-hdr=0, res-body=20", 0, 2, ICAP_P_RES_BODY, 0 },
	{ "req-hdr=0,res-hdr=5,res-body=9", 0, 3, ICAP_P_RES_BODY, 5 },
	{ "null-body=0", 0, 1, ICAP_P_NULL_BODY, -1 },
	{ "opt-body=0", 0, 1, ICAP_P_OPT_BODY, -1 },
	{ "req-body=0", 0, 1, ICAP_P_REQ_BODY, -1 },
	{ "REQ-HDR=0, REQ-BODY=7", 0, 2, ICAP_P_REQ_BODY, -1 },
	{ "", ICAP_E_ENCAP, 0, 0, 0 },
	{ "req-hdr=0", ICAP_E_ENCAP, 0, 0, 0 },
	{ "req-hdr=5, null-body=9", ICAP_E_ENCAP, 0, 0, 0 },
	{ "req-hdr=0, res-hdr=9, res-body=3", ICAP_E_ENCAP, 0, 0, 0 },
	{ "req-hdr=0, req-hdr=9, null-body=10", ICAP_E_ENCAP, 0, 0, 0 },
	{ "null-body=0, req-hdr=9", ICAP_E_ENCAP, 0, 0, 0 },
	{ "req-hdr=0; null-body=3", ICAP_E_ENCAP, 0, 0, 0 },
	{ "foo=0", ICAP_E_ENCAP, 0, 0, 0 },
	{ "null-body=", ICAP_E_ENCAP, 0, 0, 0 },
	{ "null-body=99999999999999999999999", ICAP_E_ENCAP, 0, 0, 0 },
	{ "req-hdr=0, res-hdr=1, res-body=2, null-body=3", ICAP_E_ENCAP, 0,
	  0, 0 },
};

static void
test_encap(void **state)
{
	struct icap_encap e;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(encap_cases) / sizeof(encap_cases[0]); i++) {
		rc = icap_parse_encap(str_make(encap_cases[i].v,
					       strlen(encap_cases[i].v)), &e);
		if (rc != encap_cases[i].rc)
			fail_msg("%s: rc %d, want %d", encap_cases[i].v, rc,
				 encap_cases[i].rc);
		if (rc < 0)
			continue;
		assert_int_equal(e.n, encap_cases[i].n);
		assert_int_equal(icap_encap_body(&e), encap_cases[i].body);
		assert_int_equal(icap_encap_off(&e, ICAP_P_RES_HDR),
				 encap_cases[i].res_hdr);
	}
}

static const struct {
	const char *in;
	int         rc;		/* 0: decodes, else the error */
	const char *data;
	int         ieof;
} chunk_cases[] = {
	{ "5\r\nhello\r\n0\r\n\r\n", 0, "hello", 0 },
	{ "3\r\nabc\r\n2\r\nde\r\n0; ieof\r\n\r\n", 0, "abcde", 1 },
	{ "0;ieof\r\n\r\n", 0, "", 1 },
	{ "0 ; ieof \r\n\r\n", 0, "", 1 },
	{ "0; IEOF\r\n\r\n", 0, "", 1 },
	{ "0; ieofx\r\n\r\n", 0, "", 0 },
	{ "0; i eof\r\n\r\n", 0, "", 0 },
	{ "0; foo=1\r\n\r\n", 0, "", 0 },
	{ "A\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n", 0, "0123456789", 0 },
	{ "0000a\r\n0123456789\r\n0\r\n\r\n", 0, "0123456789", 0 },
	{ "\r\n", ICAP_E_CHUNK, NULL, 0 },
	{ "g\r\n", ICAP_E_CHUNK, NULL, 0 },
	{ "1\nx\r\n0\r\n\r\n", ICAP_E_CHUNK, NULL, 0 },
	{ "1\r\nxy\r\n0\r\n\r\n", ICAP_E_CHUNK, NULL, 0 },
	{ "0\r\n\n", ICAP_E_CHUNK, NULL, 0 },
	{ "1ffffffffffffffff\r\n", ICAP_E_CHUNK_SIZE, NULL, 0 },
};

/* Decode in pieces of step bytes; returns the rc and the data. */
static int
decode(const char *in, size_t len, size_t step, char *out, size_t *olen,
       struct icap_chunk *c)
{
	size_t pos = 0, avail;
	struct str d;
	ssize_t rc;

	memset(c, 0, sizeof(*c));
	*olen = 0;
	while (!c->done) {
		avail = len - pos < step ? len - pos : step;
		if (avail == 0)
			return ICAP_INCOMPLETE;
		rc = icap_chunk_next(c, in + pos, avail, &d);
		if (rc < 0)
			return (int)rc;
		if (d.len) {
			assert_ptr_equal(d.p, in + pos);
			memcpy(out + *olen, d.p, d.len);
			*olen += d.len;
		}
		pos += (size_t)rc;
	}
	return pos == len ? 0 : -100;	/* nothing after the end eaten */
}

static void
test_chunks(void **state)
{
	char out[256];
	struct icap_chunk c;
	size_t i, olen, step, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]); i++) {
		len = strlen(chunk_cases[i].in);
		for (step = 1; step <= len; step += step < 4 ? 1 : len) {
			rc = decode(chunk_cases[i].in, len, step, out, &olen,
				    &c);
			if (rc != chunk_cases[i].rc)
				fail_msg("%zu step %zu: rc %d want %d", i,
					 step, rc, chunk_cases[i].rc);
			if (rc < 0)
				continue;
			assert_int_equal(olen, strlen(chunk_cases[i].data));
			assert_memory_equal(out, chunk_cases[i].data, olen);
			assert_int_equal(c.ieof, chunk_cases[i].ieof);
		}
	}
}

static void
test_options(void **state)
{
	static const char in[] =
		"ICAP/1.0 200 OK\r\n"
		"Methods: RESPMOD, REQMOD\r\n"
		"Service: C-ICAP/0.5.10 server - Echo demo service\r\n"
		"ISTag: \"CI0001-XXXXXXXXX\"\r\n"
		"Transfer-Preview: *\r\n"
		"Options-TTL: 3600\r\n"
		"Date: Mon, 07 Dec 2026 10:00:00 GMT\r\n"
		"Preview: 1024\r\n"
		"Allow: 204\r\n"
		"Max-Connections: 50\r\n"
		"Encapsulated: null-body=0\r\n\r\n";
	struct icap_resp r;
	struct icap_options o;

	(void)state;
	assert_int_equal(icap_parse_resp(in, sizeof(in) - 1, ICAP_HEAD_MAX,
					 &r), (int)sizeof(in) - 1);
	assert_int_equal(icap_options_read(&r, &o), 0);
	assert_int_equal(o.methods, ICAP_OPT_REQMOD | ICAP_OPT_RESPMOD);
	assert_int_equal(o.preview, 1024);
	assert_int_equal(o.allow204, 1);
	assert_int_equal(o.ttl, 3600);
	assert_int_equal(o.max_conn, 50);
	assert_string_equal(o.istag, "\"CI0001-XXXXXXXXX\"");
	assert_true(str_eq(o.transfer_preview, "*"));

	/* Defaults, and refusals. */
	{
		static const char m[] = "ICAP/1.0 200 OK\r\nMethods: REQMOD\r\n"
			"Encapsulated: null-body=0\r\n\r\n";
		static const char bad[] = "ICAP/1.0 200 OK\r\nPreview: -1\r\n"
			"Encapsulated: null-body=0\r\n\r\n";
		static const char err[] = "ICAP/1.0 404 Not Found\r\n\r\n";

		assert_true(icap_parse_resp(m, sizeof(m) - 1, ICAP_HEAD_MAX,
					    &r) > 0);
		assert_int_equal(icap_options_read(&r, &o), 0);
		assert_int_equal(o.methods, ICAP_OPT_REQMOD);
		assert_int_equal(o.preview, -1);
		assert_int_equal(o.ttl, -1);
		assert_int_equal(o.max_conn, 0);
		assert_int_equal(o.allow204, 0);
		assert_true(icap_parse_resp(bad, sizeof(bad) - 1,
					    ICAP_HEAD_MAX, &r) > 0);
		assert_int_equal(icap_options_read(&r, &o), ICAP_E_SYNTAX);
		assert_true(icap_parse_resp(err, sizeof(err) - 1,
					    ICAP_HEAD_MAX, &r) > 0);
		assert_int_equal(icap_options_read(&r, &o), ICAP_E_SYNTAX);
	}
}

static void
test_strerror(void **state)
{
	int rc;

	(void)state;
	for (rc = ICAP_INCOMPLETE; rc >= ICAP_E_LAST; rc--)
		assert_string_not_equal(icap_strerror(rc),
					"unknown ICAP error");
	assert_string_equal(icap_strerror(-99), "unknown ICAP error");
}

/* Configuration: one text (with "http_port 65001" appended), the errors
 * and warnings it gives, a substring of the first message. */
static const struct {
	const char *text;
	int         nerr;
	int         nwarn;
	const char *msg;
} cfg_cases[] = {
	{ "icap_enable on\nicap_service e reqmod_precache "
	  "icap://127.0.0.1:1344/echo\nadaptation_access e allow all\n",
	  0, 0, NULL },
	{ "icap_enable on\nicap_service e respmod_precache bypass=on "
	  "routing=off ipv6=off max-conn=4 icap://[::1]/x\n", 0, 0, NULL },
	{ "icap_enable on\nicap_service e reqmod_precache 1 "
	  "icap://127.0.0.1/x\n", 0, 0, NULL },
	{ "icap_service e reqmod_precache icap://127.0.0.1/x\n", 0, 1,
	  "icap_enable is off" },
	{ "icap_service e reqmod_postcache icap://127.0.0.1/x\n", 1, 0,
	  "'reqmod_postcache' is not supported" },
	{ "icap_service e somewhere icap://127.0.0.1/x\n", 1, 0,
	  "unknown vectoring point 'somewhere'" },
	{ "icap_service e reqmod_precache icaps://127.0.0.1/x\n", 1, 0,
	  "icaps://" },
	{ "icap_service e reqmod_precache http://127.0.0.1/x\n", 1, 0,
	  "is not an icap:// URI" },
	{ "icap_service e reqmod_precache icap://127.0.0.1:0/x\n", 1, 0,
	  "malformed URI" },
	{ "icap_service e reqmod_precache routing=on icap://127.0.0.1/x\n",
	  1, 0, "routing=on is not supported" },
	{ "icap_service e reqmod_precache on-overload=wait "
	  "icap://127.0.0.1/x\n", 1, 0, "option 'on-overload=wait' is not "
	  "supported" },
	{ "icap_service e reqmod_precache bypass=maybe icap://127.0.0.1/x\n",
	  1, 0, "must be on or off" },
	{ "icap_service e reqmod_precache icap://127.0.0.1/x\n"
	  "icap_service e respmod_precache icap://127.0.0.1/y\n", 1, 1,
	  "defined twice" },
	{ "adaptation_access nosuch allow all\n", 0, 1,
	  "t.conf:1: WARNING: adaptation_access: no icap_service named "
	  "'nosuch'; the line is ignored" },
	/* named further down: resolved at the end */
	{ "icap_enable on\nadaptation_access e allow all\n"
	  "icap_service e reqmod_precache icap://127.0.0.1/x\n", 0, 0, NULL },
	{ "icap_service e reqmod_precache icap://127.0.0.1/x\n"
	  "adaptation_access e maybe all\n", 1, 1, NULL },
	{ "icap_preview_size 4096\nicap_preview_size -1\n"
	  "icap_preview_enable off\nicap_send_client_ip on\n"
	  "adaptation_send_username on\nicap_persistent_connections off\n"
	  "icap_connect_timeout 5 seconds\nicap_io_timeout 1 minute\n"
	  "icap_service_failure_limit -1\n", 0, 0, NULL },
	{ "icap_preview_size lots\n", 1, 0, "not -1 or a size" },
	{ "icap_service_failure_limit 10 in 5 seconds\n", 1, 0,
	  "'in TIME' is not supported" },
	{ "icap_class c e\n", 1, 0, "icap_class" },
	{ "icap_access c allow all\n", 1, 0, "icap_access" },
	{ "adaptation_service_chain c a b\n", 1, 0, NULL },
	{ "ecap_service e reqmod_precache ecap://x\n", 1, 0, NULL },
	{ "icap_206_enable on\n", 0, 1, "partial (206)" },
};

static void
test_config(void **state)
{
	struct cfg_msgs m;
	struct cfg *c;
	char text[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cfg_cases) / sizeof(cfg_cases[0]); i++) {
		snprintf(text, sizeof(text), "%shttp_port 65001\n",
			 cfg_cases[i].text);
		memset(&m, 0, sizeof(m));
		c = cfg_load_mem(text, "t.conf", &m);
		if ((int)m.nerr != cfg_cases[i].nerr ||
		    (int)(m.n - m.nerr) != cfg_cases[i].nwarn ||
		    (cfg_cases[i].msg != NULL &&
		     (m.n == 0 || strstr(m.msg[0].text,
					 cfg_cases[i].msg) == NULL)))
			fail_msg("case %zu: %zu errors, %zu warnings, first "
				 "'%s'; want %d, %d, '%s'", i, m.nerr,
				 m.n - m.nerr, m.n ? m.msg[0].text : "",
				 cfg_cases[i].nerr, cfg_cases[i].nwarn,
				 cfg_cases[i].msg ? cfg_cases[i].msg : "");
		cfg_unref(c);
		cfg_msgs_free(&m);
	}
}

/* What a loaded configuration holds. */
static void
test_config_values(void **state)
{
	struct cfg_msgs m;
	struct cfg *c;

	(void)state;
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem("http_port 65001\n", "t.conf", &m);
	assert_non_null(c);
	/* Squid's defaults. */
	assert_int_equal(c->icap.enable, 0);
	assert_int_equal(c->icap.preview_enable, 1);
	assert_int_equal(c->icap.preview_size, -1);
	assert_int_equal(c->icap.persistent, 1);
	assert_int_equal(c->icap.failure_limit, 10);
	assert_int_equal(c->icap.send_client_ip, 0);
	cfg_unref(c);
	cfg_msgs_free(&m);

	memset(&m, 0, sizeof(m));
	c = cfg_load_mem("http_port 65001\nicap_enable on\n"
			 "icap_service a reqmod_precache icap://127.0.0.1/r\n"
			 "icap_service b respmod_precache bypass=on "
			 "icap://127.0.0.1:11344/m?x=1\n"
			 "adaptation_access b deny all\n"
			 "adaptation_access a allow all\n", "t.conf", &m);
	assert_non_null(c);
	assert_int_equal(m.n, 0);
	assert_int_equal(c->icap.nsvc, 2);
	assert_string_equal(c->icap.svc[0].uri, "icap://127.0.0.1:1344/r");
	assert_string_equal(c->icap.svc[0].host, "127.0.0.1:1344");
	assert_int_equal(c->icap.svc[0].vec, CFG_ICAP_REQMOD);
	assert_int_equal(c->icap.svc[0].bypass, 0);
	assert_string_equal(c->icap.svc[1].uri,
			    "icap://127.0.0.1:11344/m?x=1");
	assert_int_equal(c->icap.svc[1].vec, CFG_ICAP_RESPMOD);
	assert_int_equal(c->icap.svc[1].bypass, 1);
	assert_int_equal(c->icap.access.n, 2);
	assert_int_equal(c->icap.access.rule[0].allow, (1 << 1) | 0);
	assert_int_equal(c->icap.access.rule[1].allow, (0 << 1) | 1);
	cfg_unref(c);
	cfg_msgs_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_refuses_crlf),
		cmocka_unit_test(test_chunk_frames),
		cmocka_unit_test(test_parse_resp),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_encap),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
