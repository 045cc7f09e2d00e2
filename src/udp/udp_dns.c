/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp_dns.c - what the UDP relay knows of DNS flows (port 53): the name
 * the first query asks for (for udp_access and the log), and when every
 * query relayed has its answer, so that the flow ends soon after.
 * Pure: reads datagrams and the flow, no I/O.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learn/dns_msg.h"
#include "udp/udp-int.h"
#include "udp/udp.h"

/* A DNS flow's first datagram: the name a query asks for, when it is one
 * query with one question whose name is a host name (else none). */
void
udp_dns_question(struct udp_flow *f, const uint8_t *d, size_t n)
{
	struct dnsmsg m;

	if (dnsmsg_parse(d, n, &m, NULL, 0) < 0 ||
	    (m.flags & DNSMSG_F_QR) || m.opcode != 0 || m.qdcount != 1 ||
	    m.qname_odd || m.qname[0] == '\0')
		return;
	f->qname = strdup(m.qname);
}

/*
 * DNS flows end soon after they are answered. A client's resolver mostly
 * sends a question from a port, takes the answer (two, A and AAAA, from
 * glibc), then uses another port: keeping each flow for
 * udp_dns_idle_timeout would hold a socket per question for that long.
 * The flow follows the IDs of the queries it relayed; once each has its
 * answer it may stay idle UDP_DNS_LINGER only (a client that keeps its
 * port asks again well before). Anything else on port 53 (not a query, more
 * than UDP_DNS_PENDING at once, answers sent together) leaves it to the
 * idle timeout.
 */
void
udp_dns_query_out(struct udp_flow *f, const uint8_t *d, size_t n)
{
	uint16_t id;
	unsigned i;

	if (f->proto != UDP_P_DNS || f->dns_off)
		return;
	/* a standard query (QR 0, opcode 0) with one question */
	if (n < 12 || (d[2] & 0xf8) != 0 || d[4] != 0 || d[5] != 1) {
		f->dns_off = 1;
		return;
	}
	id = (uint16_t)(d[0] << 8 | d[1]);
	f->dns_done = 0;
	for (i = 0; i < f->dns_n; i++)
		if (f->dns_ids[i] == id)
			return;		/* sent again */
	if (f->dns_n == UDP_DNS_PENDING) {
		f->dns_off = 1;
		return;
	}
	f->dns_ids[f->dns_n++] = id;
}

/* An answer from f's destination: its query is answered. */
void
udp_dns_answer_in(struct udp_flow *f, const uint8_t *d, size_t n, size_t seg)
{
	uint16_t id;
	unsigned i;

	if (f->proto != UDP_P_DNS || f->dns_off)
		return;
	if (seg != 0 || n < 12 || !(d[2] & 0x80)) {
		f->dns_off = 1;
		return;
	}
	id = (uint16_t)(d[0] << 8 | d[1]);
	for (i = 0; i < f->dns_n; i++)
		if (f->dns_ids[i] == id) {
			f->dns_ids[i] = f->dns_ids[--f->dns_n];
			return;
		}
}

/* Whether every DNS query f relayed has its answer now. */
int
udp_dns_answered(const struct udp_flow *f)
{
	return f->proto == UDP_P_DNS && !f->dns_off && f->dns_n == 0 &&
	       f->dgrams_out > 0;
}

double
udp_flow_timeout(const struct udp_flow *f)
{
	double t = udp_idle_timeout(f->cfg, f->proto);

	return f->dns_done && t > UDP_DNS_LINGER ? UDP_DNS_LINGER : t;
}
