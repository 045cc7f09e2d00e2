/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_h1_body.c - unit tests of the HTTP/1.1 parser
 * (src/http/h1.c, src/http/h1_chunk.c): bodies, chunked, Content-Length,
 * close and tunnel.
 *
 * Table-driven: every row of every table is registered as its own cmocka
 * test, named after the row (h1_fixture.h), so a failure names the input
 * and cmocka's assert_*_equal prints both values.
 * Each chunked body is also fed at every split point, to check that the
 * parser resumes correctly.
 */
#include "h1_fixture.h"

/* ------------------------------------------------------------------ */
/* Chunked bodies                                                     */

struct chunk_case {
	const char *name;
	const char *raw;
	size_t      len;
	ssize_t     rc;		/* 0: all bytes consumed */
	int         done;
};

static struct chunk_case chunk_cases[] = {
	{ "simple", RAW("5\r\nhello\r\n0\r\n\r\n"), .done = 1 },
	{ "two chunks", RAW("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "empty body", RAW("0\r\n\r\n"), .done = 1 },
	{ "hex sizes", RAW("a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "leading zeros", RAW("0005\r\nhello\r\n000\r\n\r\n"), .done = 1 },
	{ "many leading zeros",
	  RAW("0000000000000000000000001\r\nx\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "extensions", RAW("5;a=b;c\r\nhello\r\n0;last\r\n\r\n"), .done = 1 },
	{ "quoted extension", RAW("5;a=\"x;y\\\"z\"\r\nhello\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "extension bws", RAW("5 ; a = b ;c\t;d=\"q\" \r\nhello\r\n0\r\n\r\n"),
	  .rc = H1_E_CHUNK },
	{ "extension bws ok",
	  RAW("5 ; a = b ;c\t;d=\"q\"\r\nhello\r\n0\r\n\r\n"),
	  .done = 1 },
	{ "trailers", RAW("5\r\nhello\r\n0\r\nX-A: 1\r\nX-B:\t2 \r\n\r\n"),
	  .done = 1 },
	/* Bare LF in chunk framing is refused (a smuggling vector). */
	{ "bare lf after size", RAW("5\nhello\r\n0\r\n\r\n"),
	  .rc = H1_E_CHUNK },
	{ "bare lf after data", RAW("5\r\nhello\n0\r\n\r\n"),
	  .rc = H1_E_CHUNK },
	{ "bare lf ending trailers", RAW("0\r\nX: y\n\n"), .rc = H1_E_CHUNK },
	{ "bytes after the end", RAW("0\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
	  .rc = 5, .done = 1 },
	{ "bytes after trailers", RAW("1\r\nx\r\n0\r\nA: b\r\n\r\nHTTP"),
	  .rc = 17, .done = 1 },
	{ "unfinished data", RAW("5\r\nhel"), .done = 0 },
	{ "unfinished trailers",
	  RAW("5\r\nhello\r\n0\r\nX: 1\r\n"), .done = 0 },
	{ "unfinished final crlf", RAW("0\r\n\r"), .done = 0 },
	{ "largest size", RAW("7fffffffffffffff\r\nabc"), .done = 0 },
	{ "largest size 16 digits",
	  RAW("00007FFFFFFFFFFFFFFF\r\n"), .done = 0 },

	{ "missing size", RAW("\r\nhello\r\n0\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "only extension", RAW(";a\r\n"), .rc = H1_E_CHUNK },
	{ "non-hex size", RAW("g\r\n"), .rc = H1_E_CHUNK },
	{ "negative size", RAW("-5\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "0x prefix", RAW("0x5\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "leading space", RAW(" 5\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "trailing space", RAW("5 \r\nhello\r\n0\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "bare cr after size",
	  RAW("5\rhello\r\n0\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "bare cr in extension",
	  RAW("5;a\rb\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "empty extension name", RAW("5;\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "empty extension value", RAW("5;a=\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "unterminated quote", RAW("5;a=\"x\r\nhello\r\n"), .rc = H1_E_CHUNK },
	{ "space in extension value", RAW("5;a=b c\r\nhello\r\n"),
	  .rc = H1_E_CHUNK },
	{ "data too long", RAW("5\r\nhelloX\r\n0\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "bare cr after data", RAW("5\r\nhello\rX\n0\r\n\r\n"),
	  .rc = H1_E_CHUNK },
	{ "size 2^63", RAW("8000000000000000\r\n"), .rc = H1_E_CHUNK_SIZE },
	{ "17 digits", RAW("10000000000000000\r\n"), .rc = H1_E_CHUNK_SIZE },
	{ "2^64 overflow",
	  RAW("ffffffffffffffffff\r\n"), .rc = H1_E_CHUNK_SIZE },
	{ "trailer obs-fold",
	  RAW("0\r\nX: a\r\n b\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "trailer without colon", RAW("0\r\nX\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "trailer bare cr", RAW("0\r\nX: a\rb\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "trailer nul", RAW("0\r\nX: a\0b\r\n\r\n"), .rc = H1_E_CHUNK },
	{ "final bare cr", RAW("0\r\n\rX"), .rc = H1_E_CHUNK },
};

/*
 * Feed p[0..len) to a fresh chunked scanner in pieces ending at the given
 * split offsets (strictly increasing, the last being len). Returns the
 * total consumed or the first error; *done as the scanner says. Once the
 * scanner is done, the remaining bytes are not offered again.
 */
static ssize_t
chunk_feed(const char *p, size_t len, const size_t *cuts, size_t ncut,
	   int *done)
{
	struct h1_body body;
	size_t pos = 0, i;
	ssize_t r, total = 0;

	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_CHUNKED;
	*done = 0;
	for (i = 0; i < ncut && !*done; i++) {
		r = h1_body_scan(&body, p + pos, cuts[i] - pos, done);
		if (r < 0)
			return r;
		assert_true((size_t)r <= cuts[i] - pos);
		/* Short only when the message ended. */
		if (!*done)
			assert_int_equal(r, cuts[i] - pos);
		total += r;
		pos = cuts[i];
	}
	assert_true((size_t)total <= len);
	return total;
}

static void
test_chunk(void **state)
{
	const struct chunk_case *c = *state;
	ssize_t want = c->rc ? c->rc : (ssize_t)c->len, r;
	size_t cuts[2], k, *bytes;
	int done, want_done = want < 0 ? 0 : c->done;

	cuts[0] = c->len;
	r = chunk_feed(c->raw, c->len, cuts, 1, &done);
	assert_int_equal(r, want);
	if (want >= 0)
		assert_int_equal(done, want_done);

	/* Every split point. */
	for (k = 0; k <= c->len; k++) {
		cuts[0] = k;
		cuts[1] = c->len;
		r = chunk_feed(c->raw, c->len, cuts, 2, &done);
		assert_int_equal(r, want);
		if (want >= 0)
			assert_int_equal(done, want_done);
	}

	/* One byte at a time. */
	bytes = malloc((c->len + 1) * sizeof(*bytes));
	assert_non_null(bytes);
	for (k = 0; k < c->len; k++)
		bytes[k] = k + 1;
	r = chunk_feed(c->raw, c->len, bytes, c->len, &done);
	free(bytes);
	assert_int_equal(r, want);
	if (want >= 0)
		assert_int_equal(done, want_done);
}

/* Errors stick: a scanner that failed keeps failing. */
static void
test_chunk_error_sticks(void **state)
{
	struct h1_body body;
	int done;

	(void)state;
	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_CHUNKED;
	assert_int_equal(h1_body_scan(&body, "x", 1, &done), H1_E_CHUNK);
	assert_int_equal(h1_body_scan(&body, "0\r\n\r\n", 5, &done),
	    H1_E_CHUNK);
}

/* After the end, nothing more belongs to the message. */
static void
test_chunk_done_sticks(void **state)
{
	struct h1_body body;
	int done;

	(void)state;
	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_CHUNKED;
	assert_int_equal(h1_body_scan(&body, "0\r\n\r\n", 5, &done), 5);
	assert_int_equal(done, 1);
	assert_int_equal(h1_body_scan(&body, "0\r\n\r\n", 5, &done), 0);
	assert_int_equal(done, 1);
}

/* Trailer section limit: 64 KiB passes, one byte more does not. */
static void
test_chunk_trailer_limit(void **state)
{
	static char buf[70000];
	struct h1_body body;
	size_t len, fill;
	ssize_t r;
	int done, over;

	(void)state;
	for (over = 0; over <= 1; over++) {
		/* "0\r\n" "X:" fill "\r\n" "\r\n": the section is the
		 * field line plus the final CRLF. */
		fill = 64 * 1024 - 2 - 2 - 2 + (size_t)over;
		len = 0;
		memcpy(buf, "0\r\nX:", 5);
		len = 5;
		memset(buf + len, 'a', fill);
		len += fill;
		memcpy(buf + len, "\r\n\r\n", 4);
		len += 4;
		memset(&body, 0, sizeof(body));
		body.kind = H1_BODY_CHUNKED;
		r = h1_body_scan(&body, buf, len, &done);
		if (over) {
			assert_int_equal(r, H1_E_CHUNK);
		} else {
			assert_int_equal(r, (ssize_t)len);
			assert_int_equal(done, 1);
		}
	}
}

/*
 * h1_dechunk(), the in-place decoder the server side uses for HTTP/1.0
 * clients: fed the whole body at once, and fed in pieces split at every
 * point (resuming with the same h1_body, as the server side does when a
 * body arrives in several reads). rest: bytes after the end of the message
 * that must stay behind the data, untouched.
 */
struct dechunk_case {
	const char *name;
	const char *raw;
	size_t      len;
	const char *data;	/* the decoded content */
	const char *rest;	/* what follows the message, "" if nothing */
	int         err;	/* expected negative code, or 0 */
};

static struct dechunk_case dechunk_cases[] = {
	{ "simple", RAW("5\r\nhello\r\n0\r\n\r\n"), "hello", "" },
	{ "two chunks", RAW("5\r\nhello\r\n6;x=\"y\"\r\n world\r\n0\r\n\r\n"),
	  "hello world", "" },
	{ "data looks like framing", RAW("5\r\n0\r\n\r\n\r\n0\r\n\r\n"),
	  "0\r\n\r\n", "" },
	{ "trailers dropped", RAW("3\r\nabc\r\n0\r\nX: y\r\n\r\nNEXT"), "abc",
	  "NEXT" },
	{ "empty", RAW("0\r\n\r\n"), "", "" },
	{ "pipelined response after",
	  RAW("2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK"),
	  "ok", "HTTP/1.1 200 OK" },
	{ "bare LF in framing", RAW("5\nhello\r\n0\r\n\r\n"), "", "",
	  H1_E_CHUNK },
	{ "bad size", RAW("zz\r\nhello\r\n0\r\n\r\n"), "", "", H1_E_CHUNK },
};

/* Decode c->raw fed in two pieces split at cut (cut == len: at once),
 * the way the server side does: the decoded data accumulates at the start
 * of the region, the undecoded tail follows. */
static void
dechunk_split(const struct dechunk_case *c, size_t cut)
{
	struct h1_body body;
	char buf[128];
	size_t have = 0, len, fwd = 0;
	ssize_t n;
	int done = 0, err = 0;

	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_CHUNKED;
	assert_true(c->len < sizeof(buf));
	/* First piece. */
	memcpy(buf, c->raw, cut);
	have = cut;
	len = have - fwd;
	n = h1_dechunk(&body, buf + fwd, &len, &done);
	if (n < 0) {
		err = (int)n;
	} else {
		have = fwd + len;
		fwd += (size_t)n;
	}
	/* Second piece, appended behind what the first left (and left
	 * alone when the message already ended). */
	if (!err && cut < c->len) {
		memcpy(buf + have, c->raw + cut, c->len - cut);
		have += c->len - cut;
	}
	if (!err && !done && cut < c->len) {
		len = have - fwd;
		n = h1_dechunk(&body, buf + fwd, &len, &done);
		if (n < 0) {
			err = (int)n;
		} else {
			have = fwd + len;
			fwd += (size_t)n;
		}
	}
	if (c->err) {
		assert_int_equal(err, c->err);
		return;
	}
	assert_int_equal(err, 0);
	assert_int_equal(done, 1);
	assert_int_equal(fwd, strlen(c->data));
	assert_memory_equal(buf, c->data, fwd);
	assert_int_equal(have - fwd, strlen(c->rest));
	assert_memory_equal(buf + fwd, c->rest, have - fwd);
	assert_int_equal(h1_chunk_data_left(&body), 0);
}

static void
test_dechunk(void **state)
{
	const struct dechunk_case *c = *state;
	size_t cut;

	dechunk_split(c, c->len);
	for (cut = 0; cut < c->len; cut++)
		dechunk_split(c, cut);
}

/* Only a chunked body on chunk data has data left. */
static void
test_chunk_data_left_kinds(void **state)
{
	struct h1_body body;
	int done;

	(void)state;
	memset(&body, 0, sizeof(body));
	body.kind = H1_BODY_LENGTH;
	body.left = 10;
	assert_int_equal(h1_chunk_data_left(&body), 0);
	body.kind = H1_BODY_CHUNKED;
	body.left = 0;
	assert_int_equal(h1_chunk_data_left(&body), 0);
	assert_int_equal(h1_body_scan(&body, "1a\r", 3, &done), 3);
	assert_int_equal(h1_chunk_data_left(&body), 0);
	assert_int_equal(h1_body_scan(&body, "\nxy", 3, &done), 3);
	assert_int_equal(h1_chunk_data_left(&body), 24);
}

/* ------------------------------------------------------------------ */
/* Content-Length, close and tunnel bodies                            */

struct len_case {
	const char *name;
	enum h1_body_kind kind;
	uint64_t    left;
	size_t      n;		/* bytes offered */
	ssize_t     rc;
	int         done;
	uint64_t    left_after;
};

static struct len_case len_cases[] = {
	{ "length exact", H1_BODY_LENGTH, 5, 5, 5, 1, 0 },
	{ "length short", H1_BODY_LENGTH, 5, 3, 3, 0, 2 },
	{ "length bytes after", H1_BODY_LENGTH, 5, 9, 5, 1, 0 },
	{ "length huge", H1_BODY_LENGTH, INT64_MAX, 9, 9, 0, INT64_MAX - 9 },
	{ "none", H1_BODY_NONE, 0, 9, 0, 1, 0 },
	{ "close", H1_BODY_CLOSE, 0, 9, 9, 0, 0 },
	{ "tunnel", H1_BODY_TUNNEL, 0, 9, 9, 0, 0 },
};

static void
test_len(void **state)
{
	const struct len_case *c = *state;
	struct h1_body body;
	int done = -1;

	memset(&body, 0, sizeof(body));
	body.kind = c->kind;
	body.left = c->left;
	assert_int_equal(h1_body_scan(&body, "123456789", c->n, &done), c->rc);
	assert_int_equal(done, c->done);
	assert_int_equal(body.left, c->left_after);
}
int
main(void)
{
	static const struct CMUnitTest misc[] = {
		cmocka_unit_test(test_chunk_error_sticks),
		cmocka_unit_test(test_chunk_done_sticks),
		cmocka_unit_test(test_chunk_trailer_limit),
		cmocka_unit_test(test_chunk_data_left_kinds),
	};
	int failed = 0;

	failed += RUN_TABLE("h1_chunked", test_chunk, chunk_cases);
	failed += RUN_TABLE("h1_dechunk", test_dechunk, dechunk_cases);
	failed += RUN_TABLE("h1_length", test_len, len_cases);
	failed += cmocka_run_group_tests_name("h1_body_misc", misc, NULL, NULL);
	return failed != 0;
}
