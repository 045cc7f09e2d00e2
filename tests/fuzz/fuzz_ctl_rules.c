/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_ctl_rules.c - libFuzzer target for what tproxyctl doctor reads
 * from other programs' output: `ip rule show` lines and `ip -j route get`
 * answers (doctor/pathparse.c), nft rules as listed and iptables-save
 * lines (doctor/fwrule.c), and the mark bits of nft/iptables mark
 * statements. None of it may crash or read out of bounds on any text,
 * and what is accepted must hold:
 *  - a parsed rule's prefix lengths fit its family, its port range is
 *    ordered, its strings are terminated inside their fields;
 *  - a rule read for a packet says yes, no or maybe, and a known verdict;
 *  - a free mark found for the bits in use is one bit, none of them;
 *  - a shell-quoted word is terminated within its buffer.
 * The first byte picks the family and packet; the rest is the text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../tools/tproxyctl/plan.h"
#include "../../tools/tproxyctl/doctor/fwrule.h"
#include "../../tools/tproxyctl/doctor/pathparse.h"

static char text[8192];

static void
check_rule(const char *line, int fam)
{
	struct pp_rule r;
	struct pp_pkt p;

	memset(&r, 0, sizeof(r));
	if (pp_parse_rule(line, fam, &r) != 0)
		return;
	FUZZ_CHECK(r.from_len <= (fam == 4 ? 32 : 128));
	FUZZ_CHECK(r.to_len <= (fam == 4 ? 32 : 128));
	FUZZ_CHECK(r.dport_lo <= r.dport_hi);
	FUZZ_CHECK(memchr(r.iif, '\0', sizeof(r.iif)) != NULL);
	FUZZ_CHECK(memchr(r.oif, '\0', sizeof(r.oif)) != NULL);
	FUZZ_CHECK(memchr(r.action, '\0', sizeof(r.action)) != NULL);
	FUZZ_CHECK(memchr(r.table, '\0', sizeof(r.table)) != NULL);
	FUZZ_CHECK(memchr(r.ipproto, '\0', sizeof(r.ipproto)) != NULL);
	memset(&p, 0, sizeof(p));
	p.fam = fam;
	p.src[0] = 198, p.src[1] = 18, p.src[2] = 1, p.src[3] = 2;
	p.dst[0] = 198, p.dst[1] = 19, p.dst[2] = 255, p.dst[3] = 1;
	p.iif = "r0";
	p.mark = 0x1;
	p.dport = 80;
	FUZZ_CHECK(pp_rule_matches(&r, &p) == 0 ||
		   pp_rule_matches(&r, &p) == 1);
}

static void
check_fw(const char *line, int fam, int any_state)
{
	struct fw_pkt p = { fam, 80, 0x1, 0x1, any_state };
	struct fw_rule d;

	memset(&d, 0, sizeof(d));
	dr_fw_nft_rule(line, &p, &d);
	FUZZ_CHECK(d.m == FW_NO || d.m == FW_YES || d.m == FW_MAYBE);
	FUZZ_CHECK(d.v >= FW_NONE && d.v <= FW_GOTO);
	FUZZ_CHECK(memchr(d.target, '\0', sizeof(d.target)) != NULL);
	memset(&d, 0, sizeof(d));
	dr_fw_ipt_rule(line, &p, &d);
	FUZZ_CHECK((unsigned)dr_fw_iif_may_match(line, 0, "lan2") <= 1);
	FUZZ_CHECK((unsigned)dr_fw_iif_may_match(line, 1, "lan2") <= 1);
	FUZZ_CHECK(d.m == FW_NO || d.m == FW_YES || d.m == FW_MAYBE);
	FUZZ_CHECK(d.v >= FW_NONE && d.v <= FW_GOTO);
	FUZZ_CHECK(memchr(d.target, '\0', sizeof(d.target)) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_route rt;
	uint32_t used, mark;
	char q[256];
	int fam;

	if (size < 1)
		return 0;
	fam = (data[0] & 1) ? 6 : 4;
	size--;
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data + 1, size);
	text[size] = '\0';

	check_rule(text, fam);
	check_fw(text, fam == 4 ? PLAN_V4 : PLAN_V6, data[0] & 2);
	memset(&rt, 0, sizeof(rt));
	if (pp_parse_route(text, &rt) == 0) {
		FUZZ_CHECK(memchr(rt.type, '\0', sizeof(rt.type)) != NULL);
		FUZZ_CHECK(memchr(rt.table, '\0', sizeof(rt.table)) != NULL);
		FUZZ_CHECK(memchr(rt.dev, '\0', sizeof(rt.dev)) != NULL);
		FUZZ_CHECK(memchr(rt.gateway, '\0', sizeof(rt.gateway)) !=
			   NULL);
	}
	used = pp_nft_mark_bits(text) | pp_ipt_mark_bits(text);
	if (pp_free_mark(used, &mark) == 0)
		FUZZ_CHECK(mark != 0 && (mark & used) == 0 &&
			   (mark & (mark - 1)) == 0);
	(void)pp_fwmark_overlaps(used, used | 0x1, 0x1, 0x1);
	pp_shell_quote(text, q, sizeof(q));
	FUZZ_CHECK(memchr(q, '\0', sizeof(q)) != NULL);
	/* A guard's bits are a mark that is its own mask, or none. */
	mark = pp_ipt_guard(text);
	FUZZ_CHECK(mark == 0 || strstr(text, " -m mark --mark ") != NULL);
	if (pp_ipt_jump(text, q, sizeof(q)))
		FUZZ_CHECK(q[0] != '\0' && strchr(q, ' ') == NULL &&
			   memchr(q, '\0', sizeof(q)) != NULL);
	return 0;
}
