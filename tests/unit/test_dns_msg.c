/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_dns_msg.c - the DNS response reader (src/learn/dns_msg.c), table
 * driven: answers of each kept type, compression (owner, CNAME target,
 * pointers into RDATA), case, TC and RCODE reported as they are, record
 * classes and types that are skipped, names that are not host names,
 * the 255-octet limit, pointer loops and forward pointers, bad label
 * types, wrong RDATA lengths, several questions, every section's records
 * required, and every valid message cut at every byte. Then the real
 * responses of the fuzz corpus (dnsmasq, stub_dns.py) read as they
 * should. Run from the top of the tree (make unit does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/dns_msg.h"

/* Wire helpers for the tables below. */
#define U16(x)		(uint8_t)((x) >> 8), (uint8_t)((x) & 0xff)
#define U32(x)		U16((uint32_t)(x) >> 16), U16((x) & 0xffff)
#define HDR(fl, qd, an, ns, ar) \
	U16(0x1234), U16(fl), U16(qd), U16(an), U16(ns), U16(ar)
#define PTR(off)	(uint8_t)(0xc0 | ((off) >> 8)), (uint8_t)(off)
/* cdn.test at offset 12 (the question); test at offset 16. */
#define CDN_TEST	3, 'c', 'd', 'n', 4, 't', 'e', 's', 't', 0
#define Q(qt)		U16(qt), U16(1)
#define RR(type, cls, ttl, rdlen) U16(type), U16(cls), U32(ttl), U16(rdlen)
#define OK_FLAGS	0x8180	/* QR RD RA, NOERROR */

/* A: cdn.test -> 198.18.2.3, owner compressed to the question. */
static const uint8_t m_a[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(1),
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 3,
};
/* AAAA: cdn.test -> 2001:db8:2::3. */
static const uint8_t m_aaaa[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(28),
	PTR(12), RR(28, 1, 300, 16),
	0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3,
};
/* www.cdn.test CNAME edge.test (edge + pointer to "test" in the
 * question), then edge.test A via a pointer into the CNAME's RDATA. */
static const uint8_t m_cname[] = {
	HDR(OK_FLAGS, 1, 2, 0, 0),
	3, 'w', 'w', 'w', CDN_TEST, Q(1),		/* qname at 12 */
	PTR(12), RR(5, 1, 30, 7), 4, 'e', 'd', 'g', 'e', PTR(20),
	/* the CNAME's RDATA starts at 12 + 14 + 4 + 12 = 42 */
	PTR(42), RR(1, 1, 20, 4), 198, 18, 2, 3,
};
/* Upper case in the question and the owner: read in lower case. */
static const uint8_t m_case[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0),
	3, 'C', 'd', 'N', 4, 'T', 'E', 'S', 'T', 0, Q(1),
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 3,
};
/* TC set, one answer: read, TC reported (the learner skips it). */
static const uint8_t m_tc[] = {
	HDR(0x8380, 1, 1, 0, 0), CDN_TEST, Q(1),
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 3,
};
/* NXDOMAIN with the zone's SOA in the authority section. */
static const uint8_t m_nxdomain[] = {
	HDR(0x8183, 1, 0, 1, 0), CDN_TEST, Q(1),
	PTR(16), RR(6, 1, 60, 22), 0, 0,
	U32(1), U32(2), U32(3), U32(4), U32(5),
};
/* An A of class CH, then a TXT (skipped), then an A of class IN. */
static const uint8_t m_skip[] = {
	HDR(OK_FLAGS, 1, 3, 0, 0), CDN_TEST, Q(1),
	PTR(12), RR(1, 3, 60, 4), 10, 0, 0, 1,
	PTR(12), RR(16, 1, 60, 3), 2, 'h', 'i',
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 4,
};
/* An owner with a '.' inside a label and one with a blank: counted in
 * nodd, not kept; the question is odd too. */
static const uint8_t m_odd[] = {
	HDR(OK_FLAGS, 1, 2, 0, 0),
	3, 'a', '.', 'b', 4, 't', 'e', 's', 't', 0, Q(1),
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 3,
	3, 'a', ' ', 'b', 0, RR(1, 1, 60, 4), 198, 18, 2, 3,
};
/* TTL with the top bit set reads as 0 (RFC 2181 section 8). */
static const uint8_t m_ttl[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(1),
	PTR(12), RR(1, 1, 0x80000001u, 4), 198, 18, 2, 3,
};
/* An answer, an NS record in authority, an EDNS OPT in additional. */
static const uint8_t m_sections[] = {
	HDR(OK_FLAGS, 1, 1, 1, 1), CDN_TEST, Q(1),
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 3,
	PTR(16), RR(2, 1, 60, 5), 2, 'n', 's', PTR(16),
	0, U16(41), U16(1232), U32(0), U16(0),
};
/* No question, one answer: read (qname ""). */
static const uint8_t m_noq[] = {
	HDR(OK_FLAGS, 0, 1, 0, 0),
	CDN_TEST, RR(1, 1, 60, 4), 198, 18, 2, 3,
};
/* Bytes after the last record are ignored. */
static const uint8_t m_trailing[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(1),
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 3, 0xde, 0xad,
};
/* Two answers for one name, the kind of a CDN's answer. */
static const uint8_t m_two[] = {
	HDR(OK_FLAGS, 1, 2, 0, 0), CDN_TEST, Q(1),
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 2,
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 3,
};

/* ---- refused */

/* Owner is a pointer to itself (offset 26). */
static const uint8_t m_loop_self[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(1),
	PTR(26), RR(1, 1, 60, 4), 198, 18, 2, 3,
};
/* Owner at 26 points to 28 (forward). */
static const uint8_t m_forward[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(1),
	PTR(28), RR(1, 1, 60, 4), 198, 18, 2, 3,
};
/* Two pointers that point at each other: the first answer's A data
 * (at 23) holds a pointer to the second answer's owner (at 27), which is
 * a pointer back to 23. Without the guard the reader would go round. */
static const uint8_t m_loop_two[] = {
	HDR(OK_FLAGS, 0, 2, 0, 0),
	0, RR(1, 1, 60, 4), PTR(27), 0, 0,
	PTR(23), RR(1, 1, 60, 4), 198, 18, 2, 3,
};
/* A label of type 01 (0x40: RFC 6891 retired it). */
static const uint8_t m_label_type[] = {
	HDR(OK_FLAGS, 1, 0, 0, 0), 0x41, 'x', 0, Q(1),
};
/* A with 5 bytes of data; AAAA with 4; CNAME with a byte after the
 * name; CNAME whose name runs past its RDATA. */
static const uint8_t m_a_len[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(1),
	PTR(12), RR(1, 1, 60, 5), 198, 18, 2, 3, 0,
};
static const uint8_t m_aaaa_len[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(28),
	PTR(12), RR(28, 1, 60, 4), 198, 18, 2, 3,
};
static const uint8_t m_cname_len[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(5),
	PTR(12), RR(5, 1, 60, 3), PTR(12), 0,
};
static const uint8_t m_cname_short[] = {
	HDR(OK_FLAGS, 1, 1, 0, 0), CDN_TEST, Q(5),
	PTR(12), RR(5, 1, 60, 2), 4, 'e', 'd', 'g', 'e', 0,
};
/* Two questions. */
static const uint8_t m_qd2[] = {
	HDR(OK_FLAGS, 2, 0, 0, 0), CDN_TEST, Q(1), PTR(12), Q(28),
};
/* The counts announce a second answer that is not there. */
static const uint8_t m_missing[] = {
	HDR(OK_FLAGS, 1, 2, 0, 0), CDN_TEST, Q(1),
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 3,
};
/* The additional section announced but absent. */
static const uint8_t m_missing_ar[] = {
	HDR(OK_FLAGS, 1, 1, 0, 1), CDN_TEST, Q(1),
	PTR(12), RR(1, 1, 60, 4), 198, 18, 2, 3,
};
static const uint8_t m_hdr_short[] = { HDR(OK_FLAGS, 0, 0, 0, 0) };

#define MSG(a)	a, sizeof(a)

static const struct {
	const char    *what;
	const uint8_t *msg;
	size_t         len;
	int            rc;
	int            whole;	/* every strict prefix is E_SHORT */
	const char    *qname;	/* NULL: not checked */
	unsigned       rcode;
	int            tc;
	size_t         nodd;
	const char    *rrs;	/* the kept records, as rr_text() */
} cases[] = {
	{ "A", MSG(m_a), 0, 1, "cdn.test", 0, 0, 0,
	  "cdn.test A 60 198.18.2.3" },
	{ "AAAA", MSG(m_aaaa), 0, 1, "cdn.test", 0, 0, 0,
	  "cdn.test AAAA 300 2001:db8:2::3" },
	{ "CNAME, compression into RDATA", MSG(m_cname), 0, 1,
	  "www.cdn.test", 0, 0, 0,
	  "www.cdn.test CNAME 30 edge.test; edge.test A 20 198.18.2.3" },
	{ "case", MSG(m_case), 0, 1, "cdn.test", 0, 0, 0,
	  "cdn.test A 60 198.18.2.3" },
	{ "TC reported", MSG(m_tc), 0, 1, "cdn.test", 0, 1, 0,
	  "cdn.test A 60 198.18.2.3" },
	{ "NXDOMAIN with SOA", MSG(m_nxdomain), 0, 1, "cdn.test", 3, 0, 0,
	  "" },
	{ "class CH and TXT skipped", MSG(m_skip), 0, 1, "cdn.test", 0, 0,
	  0, "cdn.test A 60 198.18.2.4" },
	{ "names that are not host names", MSG(m_odd), 0, 1, NULL, 0, 0, 2,
	  "" },
	{ "TTL top bit", MSG(m_ttl), 0, 1, "cdn.test", 0, 0, 0,
	  "cdn.test A 0 198.18.2.3" },
	{ "authority and additional walked", MSG(m_sections), 0, 1,
	  "cdn.test", 0, 0, 0, "cdn.test A 60 198.18.2.3" },
	{ "no question", MSG(m_noq), 0, 1, "", 0, 0, 0,
	  "cdn.test A 60 198.18.2.3" },
	{ "trailing bytes", MSG(m_trailing), 0, 0, "cdn.test", 0, 0, 0,
	  "cdn.test A 60 198.18.2.3" },
	{ "two addresses", MSG(m_two), 0, 1, "cdn.test", 0, 0, 0,
	  "cdn.test A 60 198.18.2.2; cdn.test A 60 198.18.2.3" },
	{ "pointer to itself", MSG(m_loop_self), DNSMSG_E_NAME, 0, NULL, 0,
	  0, 0, NULL },
	{ "forward pointer", MSG(m_forward), DNSMSG_E_NAME, 0, NULL, 0, 0,
	  0, NULL },
	{ "pointer loop", MSG(m_loop_two), DNSMSG_E_NAME, 0, NULL, 0, 0, 0,
	  NULL },
	{ "label type 01", MSG(m_label_type), DNSMSG_E_NAME, 0, NULL, 0, 0,
	  0, NULL },
	{ "A of 5 bytes", MSG(m_a_len), DNSMSG_E_RDATA, 0, NULL, 0, 0, 0,
	  NULL },
	{ "AAAA of 4 bytes", MSG(m_aaaa_len), DNSMSG_E_RDATA, 0, NULL, 0, 0,
	  0, NULL },
	{ "CNAME RDATA longer than its name", MSG(m_cname_len),
	  DNSMSG_E_RDATA, 0, NULL, 0, 0, 0, NULL },
	{ "CNAME name past its RDATA", MSG(m_cname_short), DNSMSG_E_RDATA,
	  0, NULL, 0, 0, 0, NULL },
	{ "two questions", MSG(m_qd2), DNSMSG_E_QDCOUNT, 0, NULL, 0, 0, 0,
	  NULL },
	{ "answer missing", MSG(m_missing), DNSMSG_E_SHORT, 0, NULL, 0, 0, 0,
	  NULL },
	{ "additional missing", MSG(m_missing_ar), DNSMSG_E_SHORT, 0, NULL,
	  0, 0, 0, NULL },
	{ "header only, 11 bytes", m_hdr_short, 11, DNSMSG_E_SHORT, 0, NULL,
	  0, 0, 0, NULL },
};

/* "NAME TYPE TTL DATA; ..." of n records. */
static void
rr_text(const struct dnsmsg_rr *rr, size_t n, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < size; i++) {
		if (rr[i].type == DNSMSG_T_CNAME)
			snprintf(a, sizeof(a), "%s", rr[i].d.target);
		else
			inet_ntop(rr[i].type == DNSMSG_T_A ? AF_INET :
				  AF_INET6, rr[i].d.addr, a, sizeof(a));
		off += (size_t)snprintf(buf + off, size - off, "%s%s %s %u %s",
					i ? "; " : "", rr[i].name,
					rr[i].type == DNSMSG_T_A ? "A" :
					rr[i].type == DNSMSG_T_AAAA ? "AAAA" :
					"CNAME", (unsigned)rr[i].ttl, a);
	}
}

static void
test_cases(void **state)
{
	struct dnsmsg_rr rr[8];
	struct dnsmsg m;
	char got[1024];
	size_t i, cut;
	int rc, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = dnsmsg_parse(cases[i].msg, cases[i].len, &m, rr, 8);
		if (rc != cases[i].rc) {
			print_error("%s: rc %d (%s), want %d\n", cases[i].what,
				    rc, dnsmsg_strerror(rc), cases[i].rc);
			failed = 1;
			continue;
		}
		if (rc < 0)
			continue;
		rr_text(rr, m.nrr, got, sizeof(got));
		if ((cases[i].qname != NULL &&
		     strcmp(m.qname, cases[i].qname) != 0) ||
		    m.rcode != cases[i].rcode ||
		    !!(m.flags & DNSMSG_F_TC) != cases[i].tc ||
		    !(m.flags & DNSMSG_F_QR) || m.nodd != cases[i].nodd ||
		    m.nlost != 0 || strcmp(got, cases[i].rrs) != 0) {
			print_error("%s:\n  got  qname '%s' rcode %u tc %d "
				    "nodd %zu nlost %zu [%s]\n  want qname "
				    "'%s' rcode %u tc %d nodd %zu nlost 0 "
				    "[%s]\n", cases[i].what, m.qname, m.rcode,
				    !!(m.flags & DNSMSG_F_TC), m.nodd,
				    m.nlost, got, cases[i].qname ?
				    cases[i].qname : "(any)", cases[i].rcode,
				    cases[i].tc, cases[i].nodd, cases[i].rrs);
			failed = 1;
		}
		/* Cut at every byte: never read, always "short". */
		for (cut = 0; cases[i].whole && cut < cases[i].len; cut++) {
			rc = dnsmsg_parse(cases[i].msg, cut, &m, rr, 8);
			if (rc != DNSMSG_E_SHORT) {
				print_error("%s cut to %zu bytes: rc %d, want "
					    "%d\n", cases[i].what, cut, rc,
					    DNSMSG_E_SHORT);
				failed = 1;
			}
		}
	}
	if (failed)
		fail();
}

/* Room for two records: the rest are counted in nlost. */
static void
test_room(void **state)
{
	struct dnsmsg_rr rr[1];
	struct dnsmsg m;

	(void)state;
	assert_int_equal(dnsmsg_parse(MSG(m_cname), &m, rr, 1), 0);
	assert_int_equal(m.nrr, 1);
	assert_int_equal(m.nlost, 1);
	assert_string_equal(rr[0].d.target, "edge.test");
	assert_int_equal(dnsmsg_parse(MSG(m_two), &m, NULL, 0), 0);
	assert_int_equal(m.nrr, 0);
	assert_int_equal(m.nlost, 2);
}

/* A question name of labels of the given lengths ("x" repeated). */
static size_t
long_name_msg(uint8_t *buf, const unsigned *labels, size_t n)
{
	static const uint8_t hdr[] = { HDR(OK_FLAGS, 1, 0, 0, 0) };
	size_t off = sizeof(hdr), i;

	memcpy(buf, hdr, sizeof(hdr));
	for (i = 0; i < n; i++) {
		buf[off++] = (uint8_t)labels[i];
		memset(buf + off, 'x', labels[i]);
		off += labels[i];
	}
	buf[off++] = 0;
	buf[off++] = 0;
	buf[off++] = 1;
	buf[off++] = 0;
	buf[off++] = 1;
	return off;
}

/* 255 octets on the wire is the most a name may have (RFC 1035 3.1):
 * 253 characters of text; one more octet is refused. */
static void
test_name_limit(void **state)
{
	static const unsigned fits[] = { 63, 63, 63, 61 };
	static const unsigned over[] = { 63, 63, 63, 62 };
	uint8_t buf[400];
	struct dnsmsg m;
	size_t len;

	(void)state;
	len = long_name_msg(buf, fits, 4);
	assert_int_equal(dnsmsg_parse(buf, len, &m, NULL, 0), 0);
	assert_int_equal(strlen(m.qname), 253);
	len = long_name_msg(buf, over, 4);
	assert_int_equal(dnsmsg_parse(buf, len, &m, NULL, 0), DNSMSG_E_NAME);
}

/*
 * A long chain of pointers, each strictly further back, is followed to
 * the end. The 61 names live in the RDATA of a TXT answer (at 23 on):
 * "a", then each a one-byte label and a pointer to the one before; the
 * second answer's owner points at the last of them.
 */
static void
test_pointer_chain(void **state)
{
	static const uint8_t head[] = {
		HDR(OK_FLAGS, 0, 2, 0, 0), 0, RR(16, 1, 60, 0),
	};
	static const uint8_t a[] = { RR(1, 1, 60, 4), 1, 2, 3, 4 };
	struct dnsmsg_rr rr[1];
	uint8_t buf[1024];
	size_t off, i, prev, here;
	struct dnsmsg m;

	(void)state;
	memcpy(buf, head, sizeof(head));
	off = sizeof(head);
	prev = off;
	buf[off++] = 1;
	buf[off++] = 'a';
	buf[off++] = 0;
	for (i = 0; i < 60; i++) {
		here = off;
		buf[off++] = 1;
		buf[off++] = (uint8_t)('b' + i % 20);
		buf[off++] = (uint8_t)(0xc0 | (prev >> 8));
		buf[off++] = (uint8_t)prev;
		prev = here;
	}
	buf[sizeof(head) - 2] = (uint8_t)((off - sizeof(head)) >> 8);
	buf[sizeof(head) - 1] = (uint8_t)(off - sizeof(head));
	buf[off++] = (uint8_t)(0xc0 | (prev >> 8));
	buf[off++] = (uint8_t)prev;
	memcpy(buf + off, a, sizeof(a));
	off += sizeof(a);
	assert_int_equal(dnsmsg_parse(buf, off, &m, rr, 1), 0);
	assert_int_equal(m.nrr, 1);
	/* 61 labels of one byte and 60 dots, "a" last. */
	assert_int_equal(strlen(rr[0].name), 121);
	assert_int_equal(rr[0].name[120], 'a');
}

/* Real responses: the fuzz corpus's captures of dnsmasq and stub_dns.py
 * (tests/fuzz/dns_corpus.py). */
static const struct {
	const char *file;
	const char *qname;
	unsigned    rcode;
	const char *rrs;
} real[] = {
	{ "dnsmasq_cdn_example_test_A.bin", "cdn.example.test", 0,
	  "cdn.example.test A 0 198.18.2.3" },
	{ "dnsmasq_cdn_example_test_AAAA_edns.bin", "cdn.example.test", 0,
	  "cdn.example.test AAAA 0 2001:db8:2::3" },
	{ "dnsmasq_a_chain_test_A_edns.bin", "a.chain.test", 0,
	  "a.chain.test CNAME 0 b.chain.test; "
	  "b.chain.test CNAME 0 www.example.test; "
	  "www.example.test CNAME 0 cdn.example.test; "
	  "cdn.example.test A 0 198.18.2.3" },
	{ "dnsmasq_mixed_case_test_A.bin", "mixed.case.test", 0,
	  "mixed.case.test CNAME 0 cdn.example.test; "
	  "cdn.example.test A 0 198.18.2.3" },
	{ "dnsmasq_multi_example_test_A_edns.bin", "multi.example.test", 0,
	  NULL },
	{ "dnsmasq_nxdomain_example_test_A.bin", "nxdomain.example.test", 3,
	  "" },
	{ "dnsmasq_txt_example_test_TXT.bin", "txt.example.test", 0, "" },
	{ "stub_cdn_test_A.bin", "cdn.test", 0, "cdn.test A 60 198.18.2.3" },
	{ "stub_cdn_test_AAAA.bin", "cdn.test", 0,
	  "cdn.test AAAA 60 2001:db8:2::3" },
	{ "stub_nothere_test_A.bin", "nothere.test", 3, "" },
};

static void
test_real(void **state)
{
	struct dnsmsg_rr rr[8];
	struct dnsmsg m;
	char path[256], got[1024];
	uint8_t buf[4096];
	size_t i, len;
	FILE *f;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
		snprintf(path, sizeof(path), "tests/fuzz/corpus/dns_msg/%s",
			 real[i].file);
		f = fopen(path, "rb");
		if (f == NULL)
			fail_msg("cannot open %s (run from the top of the "
				 "tree)", path);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (dnsmsg_parse(buf, len, &m, rr, 8) != 0) {
			print_error("%s: not read\n", real[i].file);
			failed = 1;
			continue;
		}
		rr_text(rr, m.nrr, got, sizeof(got));
		if (strcmp(m.qname, real[i].qname) != 0 ||
		    m.rcode != real[i].rcode ||
		    (real[i].rrs != NULL && strcmp(got, real[i].rrs) != 0) ||
		    (real[i].rrs == NULL && m.nrr != 3)) {
			print_error("%s: qname '%s' rcode %u [%s]\n",
				    real[i].file, m.qname, m.rcode, got);
			failed = 1;
		}
	}
	if (failed)
		fail();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_room),
		cmocka_unit_test(test_name_limit),
		cmocka_unit_test(test_pointer_chain),
		cmocka_unit_test(test_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
