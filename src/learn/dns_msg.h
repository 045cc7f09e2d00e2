/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns_msg.h - a pure, bounds-checked reader of DNS responses (one UDP
 * payload), for the learner (learn.c). Types in dns_msg-t.h.
 */
#ifndef TPROXYD_LEARN_DNS_MSG_H
#define TPROXYD_LEARN_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "learn/dns_msg-t.h"

/*
 * Read the DNS message of len bytes at msg: the header, the question and
 * the answer section's A, AAAA and CNAME records of class IN, written in
 * message order to rr[0 .. maxrr-1] (m->nrr of them; more are counted in
 * m->nlost). Every record the counts announce, in all three sections, is
 * walked and must lie inside the message, so a message cut short is
 * refused whatever part is missing; bytes after the last record are
 * ignored.
 *
 * Names may be compressed (RFC 1035 4.1.4); each pointer must go strictly
 * back from where the name part holding it started, so a name is read in
 * at most len steps and pointer loops are refused.
 *
 * Pure: no I/O, no allocation, no globals; reads only msg[0 .. len-1].
 * Returns 0 with *m filled, or a DNSMSG_E_* code (*m and rr then hold
 * partial results). The caller decides what a message means (QR, TC,
 * RCODE are reported, not judged).
 */
int dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg *m,
		 struct dnsmsg_rr *rr, size_t maxrr);

/* A static description of a DNSMSG_E_* code. */
const char *dnsmsg_strerror(int err);

#endif
