/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quic_tool.c - the QUIC Initial reader (src/quic/) driven from the
 * command line, for tests/blackbox/test_quic_initial.py and by hand:
 *
 *   build/tests/quic_tool FILE...
 *
 * Each FILE holds the datagrams a client sent on one flow, each as a
 * 2-byte big-endian length and its bytes (scripts/quic-capture.py writes
 * them; "-" reads standard input). They are fed in order into one reader
 * until it answers; one line per file:
 *
 *   FILE rc=done version=0x00000001 sni=www.example.com alpn=h3
 *        initials=2 dgrams=2 why=-
 *
 * (on one line). Exit status 0 when every file was read to an answer
 * other than "need more", 1 otherwise, 2 on a usage or I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quic/quic.h"

#define FILE_MAX (1 << 20)

static int
one(const char *name)
{
	static uint8_t buf[FILE_MAX];
	struct quic_hello_ctx c;
	FILE *f;
	size_t n, off = 0, len;
	int rc = QUIC_NEED_MORE;

	f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	if (f == NULL) {
		perror(name);
		return 2;
	}
	n = fread(buf, 1, sizeof(buf), f);
	if (f != stdin)
		fclose(f);
	quic_hello_init(&c);
	while (off + 2 <= n && rc == QUIC_NEED_MORE) {
		len = (size_t)buf[off] << 8 | buf[off + 1];
		off += 2;
		if (len > n - off)
			len = n - off;
		rc = quic_hello_feed(&c, buf + off, len);
		off += len;
	}
	printf("%s rc=%s version=0x%08x sni=%s alpn=%s initials=%u dgrams=%u "
	    "why=%s\n", name, rc == QUIC_DONE ? "done" :
	    rc == QUIC_NEED_MORE ? "need-more" :
	    rc == QUIC_NOT_QUIC ? "not-quic" : "malformed", c.version,
	    rc == QUIC_DONE && c.hello.sni[0] ? c.hello.sni : "-",
	    rc == QUIC_DONE && c.hello.alpn[0] ? c.hello.alpn : "-",
	    c.ninitials, c.ndgrams, c.why ? c.why : "-");
	quic_hello_free(&c);
	return rc == QUIC_NEED_MORE;
}

int
main(int argc, char **argv)
{
	int i, rc, worst = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		rc = one(argv[i]);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}
