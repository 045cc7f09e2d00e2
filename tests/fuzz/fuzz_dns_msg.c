/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_dns_msg.c - libFuzzer target for the DNS answer learner's pure
 * code: dnsmsg_parse() over arbitrary bytes must never crash or read out
 * of bounds, and what it accepts must hold:
 *  - every kept record has a type it keeps, and owner and CNAME target
 *    written as host names (lowercase printable labels, no empty label);
 *  - the kept records, written again without compression into a fresh
 *    message, parse back to the same records (what was read is what the
 *    bytes said, not an artefact of compression);
 *  - learn_tab_answer() on it keeps a small table (carried across inputs,
 *    so eviction and expiry run) within its bounds, and every address it
 *    says it learnt is found for the question name.
 * The input is also tried as an IP packet (learn_pkt_udp()): a payload it
 * finds must lie inside the input, and is parsed the same way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "learn/dns_msg.h"
#include "learn/learn.h"

#define MAXRR 16

static struct dnsmsg_rr rr[MAXRR], rr2[MAXRR];
static uint8_t out[70000];
static struct learn_tab tab;
static double clock_s = 1000;

/* A name as the reader writes them: labels of 1-63 bytes, printable,
 * no '.', '\\' or upper case, joined by single dots. */
static void
check_name(const char *s)
{
	size_t len = strlen(s), label = 0, i;

	FUZZ_CHECK(len < DNSMSG_TEXT_MAX);
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			FUZZ_CHECK(label > 0);
			label = 0;
			continue;
		}
		FUZZ_CHECK(s[i] > ' ' && s[i] < 0x7f && s[i] != '\\' &&
			   !(s[i] >= 'A' && s[i] <= 'Z'));
		FUZZ_CHECK(++label <= 63);
	}
	FUZZ_CHECK(len == 0 || label > 0);
}

/* Append name (text as above) uncompressed at out[*off]. */
static void
put_name(size_t *off, const char *s)
{
	size_t i = 0, n;

	while (s[i] != '\0') {
		n = strcspn(s + i, ".");
		out[(*off)++] = (uint8_t)n;
		memcpy(out + *off, s + i, n);
		*off += n;
		i += n;
		if (s[i] == '.')
			i++;
	}
	out[(*off)++] = 0;
}

static void
put16(size_t *off, unsigned v)
{
	out[(*off)++] = (uint8_t)(v >> 8);
	out[(*off)++] = (uint8_t)v;
}

/* Write m's question and the kept records again, uncompressed, and check
 * that they read back the same. */
static void
check_rewrite(const struct dnsmsg *m)
{
	struct dnsmsg m2;
	size_t off = 0, i, rdl;

	put16(&off, m->id);
	put16(&off, m->flags);
	put16(&off, m->qdcount);
	put16(&off, (unsigned)m->nrr);
	put16(&off, 0);
	put16(&off, 0);
	if (m->qdcount == 1) {
		/* An odd question name cannot be written back as text: the
		 * root stands in for it. */
		put_name(&off, m->qname_odd ? "" : m->qname);
		put16(&off, m->qtype);
		put16(&off, m->qclass);
	}
	for (i = 0; i < m->nrr; i++) {
		put_name(&off, rr[i].name);
		put16(&off, rr[i].type);
		put16(&off, DNSMSG_C_IN);
		put16(&off, rr[i].ttl >> 16);
		put16(&off, rr[i].ttl & 0xffff);
		if (rr[i].type == DNSMSG_T_CNAME) {
			rdl = off;
			off += 2;
			put_name(&off, rr[i].d.target);
			out[rdl] = (uint8_t)((off - rdl - 2) >> 8);
			out[rdl + 1] = (uint8_t)(off - rdl - 2);
		} else {
			rdl = rr[i].type == DNSMSG_T_A ? 4 : 16;
			put16(&off, (unsigned)rdl);
			memcpy(out + off, rr[i].d.addr, rdl);
			off += rdl;
		}
	}
	FUZZ_CHECK(dnsmsg_parse(out, off, &m2, rr2, MAXRR) == 0);
	FUZZ_CHECK(m2.nrr == m->nrr && m2.nodd == 0 && m2.nlost == 0);
	FUZZ_CHECK(m2.flags == m->flags && m2.qtype == m->qtype);
	if (!m->qname_odd)
		FUZZ_CHECK(strcmp(m2.qname, m->qname) == 0);
	for (i = 0; i < m->nrr; i++) {
		FUZZ_CHECK(strcmp(rr2[i].name, rr[i].name) == 0);
		FUZZ_CHECK(rr2[i].type == rr[i].type &&
			   rr2[i].ttl == rr[i].ttl);
		if (rr[i].type == DNSMSG_T_CNAME)
			FUZZ_CHECK(strcmp(rr2[i].d.target, rr[i].d.target) ==
				   0);
		else
			FUZZ_CHECK(memcmp(rr2[i].d.addr, rr[i].d.addr,
					  rr[i].type == DNSMSG_T_A ? 4 : 16) ==
				   0);
	}
}

static void
check_learn(const struct dnsmsg *m)
{
	static const uint8_t key[16] = "fuzz_dns_msg key";
	int n, found = 0;
	size_t i;

	if (tab.bucket == NULL)
		FUZZ_CHECK(learn_tab_init(&tab, 8, key) == 0);
	clock_s += 7;
	n = learn_tab_answer(&tab, m, rr, m->nrr, clock_s);
	FUZZ_CHECK(n >= 0 && tab.n <= tab.max);
	if (n == 0)
		return;
	for (i = 0; i < m->nrr; i++)
		if (rr[i].type != DNSMSG_T_CNAME &&
		    learn_tab_has(&tab, m->qname, rr[i].type == DNSMSG_T_A ?
				  AF_INET : AF_INET6, rr[i].d.addr, clock_s))
			found = 1;
	FUZZ_CHECK(found);
}

static void
one(const uint8_t *data, size_t size)
{
	struct dnsmsg m;
	size_t i;
	int rc;

	rc = dnsmsg_parse(data, size, &m, rr, MAXRR);
	FUZZ_CHECK(rc <= 0 && rc >= DNSMSG_E_RDATA);
	FUZZ_CHECK(dnsmsg_strerror(rc) != NULL);
	if (rc < 0)
		return;
	FUZZ_CHECK(size >= DNSMSG_HDR_LEN && m.nrr <= MAXRR);
	FUZZ_CHECK(m.qdcount <= 1);
	if (!m.qname_odd)
		check_name(m.qname);
	for (i = 0; i < m.nrr; i++) {
		FUZZ_CHECK(rr[i].type == DNSMSG_T_A ||
			   rr[i].type == DNSMSG_T_AAAA ||
			   rr[i].type == DNSMSG_T_CNAME);
		FUZZ_CHECK(rr[i].ttl < 0x80000000u);
		check_name(rr[i].name);
		if (rr[i].type == DNSMSG_T_CNAME)
			check_name(rr[i].d.target);
	}
	check_rewrite(&m);
	check_learn(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage src;
	const uint8_t *payload;
	size_t plen;

	one(data, size);
	if (learn_pkt_udp(data, size, &src, &payload, &plen) == 0) {
		FUZZ_CHECK(src.ss_family == AF_INET ||
			   src.ss_family == AF_INET6);
		FUZZ_CHECK(payload >= data && payload + plen <= data + size);
		one(payload, plen);
	}
	return 0;
}
