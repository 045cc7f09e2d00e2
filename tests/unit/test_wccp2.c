/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_wccp2.c - WCCPv2: MD5 vectors, codec round trips, hand-made wire
 * bytes, malformed input (truncated, overlong, counts beyond the data),
 * MD5 security good/bad, bucket spreading, and the wccp2_* squid.conf
 * directives (through cfg_load_mem).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config-t.h"
#include "wccp/wccp2.h"

#define EXPECT_INT(got, want, what) do {				\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_) {							\
		print_error("%s: got %lld, want %lld\n", (what), g_, w_);\
		fail();							\
	}								\
} while (0)

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
			(uint32_t)(c) << 8 | (uint32_t)(d))

/* ------------------------------------------------------------------ MD5 */

static void
hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void
test_md5_vectors(void **state)
{
	/* RFC 1321, appendix A.5. */
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz",
		  "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "12345678901234567890123456789012345678901234567890123456789"
		  "012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a" },
	};
	struct wccp2_md5 c;
	uint8_t d[16];
	char h[33];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		wccp2_md5_init(&c);
		/* byte by byte, to cross block boundaries unevenly */
		for (j = 0; v[i].in[j]; j++)
			wccp2_md5_update(&c, &v[i].in[j], 1);
		wccp2_md5_final(&c, d);
		hex(d, 16, h);
		if (strcmp(h, v[i].out) != 0) {
			print_error("md5('%s') = %s, want %s\n", v[i].in, h,
				    v[i].out);
			fail();
		}
	}
}

/* ------------------------------------------------------------ messages */

static void
svc_dynamic(struct wccp2_msg *m, uint8_t id, uint32_t flags)
{
	m->has_service = 1;
	m->service.type = WCCP2_SVC_DYNAMIC;
	m->service.id = id;
	m->service.priority = 240;
	m->service.protocol = IPPROTO_TCP;
	m->service.flags = flags | WCCP2_SF_PORTS_DEFINED;
	m->service.ports[0] = 80;
	m->service.ports[1] = 8080;
}

static void
mk_here_i_am(struct wccp2_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = WCCP2_HERE_I_AM;
	svc_dynamic(m, 80, WCCP2_SF_SRC_IP_HASH);
	m->has_wc_id = 1;
	m->wc_id.ip = IP(198, 18, 3, 2);
	m->wc_id.buckets[0] = 0xff;
	m->wc_id.buckets[31] = 0x81;
	m->wc_id.weight = 100;
	m->has_wc_view = 1;
	m->wc_view.change = 3;
	m->wc_view.nrouters = 2;
	m->wc_view.router[0].ip = IP(198, 18, 3, 1);
	m->wc_view.router[0].recv_id = 7;
	m->wc_view.router[1].ip = IP(198, 18, 3, 254);
	m->wc_view.router[1].recv_id = 9;
	m->wc_view.ncaches = 2;
	m->wc_view.cache[0] = IP(198, 18, 3, 2);
	m->wc_view.cache[1] = IP(198, 18, 3, 3);
	m->has_caps = 1;
	m->cap_forward = WCCP2_METHOD_GRE;
	m->cap_assign = WCCP2_ASSIGN_HASH;
	m->cap_return = WCCP2_METHOD_GRE;
}

static void
mk_here_i_am_mask(struct wccp2_msg *m)
{
	mk_here_i_am(m);
	memset(m->wc_id.buckets, 0, sizeof(m->wc_id.buckets));
	m->wc_id.flags = WCCP2_WCD_MASK << WCCP2_WCF_TYPE_SHIFT;
	m->wc_id.nmask = 1;
	m->wc_id.mask[0].src_ip_mask = 0x1741;
	m->has_caps = 1;
	m->cap_forward = WCCP2_METHOD_L2;
	m->cap_assign = WCCP2_ASSIGN_MASK;
	m->cap_return = WCCP2_METHOD_L2;
}

static void
mk_i_see_you(struct wccp2_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = WCCP2_I_SEE_YOU;
	m->has_service = 1;
	m->service.type = WCCP2_SVC_STANDARD;
	m->service.id = WCCP2_SVC_WEB_CACHE;
	m->has_router_id = 1;
	m->router_id.id.ip = IP(198, 18, 3, 1);
	m->router_id.id.recv_id = 42;
	m->router_id.sent_to = IP(198, 18, 3, 1);
	m->router_id.nrecv = 1;
	m->router_id.recv_from[0] = IP(198, 18, 3, 2);
	m->has_router_view = 1;
	m->router_view.change = 5;
	m->router_view.key_ip = IP(198, 18, 3, 2);
	m->router_view.key_change = 1;
	m->router_view.nrouters = 1;
	m->router_view.router[0] = IP(198, 18, 3, 1);
	m->router_view.ncaches = 2;
	m->router_view.cache[0].ip = IP(198, 18, 3, 2);
	m->router_view.cache[0].weight = 1;
	m->router_view.cache[1].ip = IP(198, 18, 3, 3);
	m->router_view.cache[1].flags = WCCP2_WCD_NONE << WCCP2_WCF_TYPE_SHIFT;
	m->has_caps = 1;
	m->cap_forward = WCCP2_METHOD_GRE | WCCP2_METHOD_L2;
	m->cap_assign = WCCP2_ASSIGN_HASH | WCCP2_ASSIGN_MASK;
	m->cap_return = WCCP2_METHOD_GRE;
}

static void
mk_redirect_assign(struct wccp2_msg *m)
{
	static const uint16_t w[2] = { 3, 1 };

	memset(m, 0, sizeof(*m));
	m->type = WCCP2_REDIRECT_ASSIGN;
	svc_dynamic(m, 90, WCCP2_SF_DST_IP_HASH | WCCP2_SF_PORTS_SOURCE);
	m->has_assign = 1;
	m->assign.key_ip = IP(198, 18, 3, 2);
	m->assign.key_change = 2;
	m->assign.nrouters = 1;
	m->assign.router[0].ip = IP(198, 18, 3, 1);
	m->assign.router[0].recv_id = 42;
	m->assign.router[0].change = 5;
	m->assign.ncaches = 2;
	m->assign.cache[0] = IP(198, 18, 3, 2);
	m->assign.cache[1] = IP(198, 18, 3, 3);
	wccp2_spread_buckets(w, 2, m->assign.bucket);
}

static void
mk_redirect_assign_mask(struct wccp2_msg *m)
{
	mk_redirect_assign(m);
	memset(m->assign.bucket, 0, sizeof(m->assign.bucket));
	m->assign.ncaches = 0;
	memset(m->assign.cache, 0, sizeof(m->assign.cache));
	m->assign.type = WCCP2_AT_MASK;
	m->assign.alternate = 1;
	m->assign.mask.nmask = 2;
	m->assign.mask.mask[0].src_ip_mask = 0x1;
	m->assign.mask.mask[0].first = 0;
	m->assign.mask.mask[0].nval = 2;
	m->assign.mask.mask[1].dst_port_mask = 0x3;
	m->assign.mask.mask[1].first = 2;
	m->assign.mask.mask[1].nval = 1;
	m->assign.mask.nval = 3;
	m->assign.mask.val[0].src_ip = 0;
	m->assign.mask.val[0].cache_ip = IP(198, 18, 3, 2);
	m->assign.mask.val[1].src_ip = 1;
	m->assign.mask.val[1].cache_ip = IP(198, 18, 3, 3);
	m->assign.mask.val[2].dst_port = 2;
	m->assign.mask.val[2].cache_ip = IP(198, 18, 3, 3);
}

static void
mk_redirect_assign_alt_hash(struct wccp2_msg *m)
{
	mk_redirect_assign(m);
	m->assign.alternate = 1;
}

static void
mk_removal_query(struct wccp2_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = WCCP2_REMOVAL_QUERY;
	svc_dynamic(m, 80, WCCP2_SF_SRC_IP_HASH);
	m->has_query = 1;
	m->query.id.ip = IP(198, 18, 3, 1);
	m->query.id.recv_id = 77;
	m->query.sent_to = IP(198, 18, 3, 1);
	m->query.target = IP(198, 18, 3, 3);
}

static const struct rt_case {
	const char *name;
	void (*mk)(struct wccp2_msg *);
	const char *password;	/* NULL: no security */
} rt_cases[] = {
	{ "HERE_I_AM hash", mk_here_i_am, NULL },
	{ "HERE_I_AM hash md5", mk_here_i_am, "s3cret" },
	{ "HERE_I_AM mask", mk_here_i_am_mask, NULL },
	{ "I_SEE_YOU", mk_i_see_you, NULL },
	{ "I_SEE_YOU md5", mk_i_see_you, "abcdefgh" },
	{ "REDIRECT_ASSIGN hash", mk_redirect_assign, NULL },
	{ "REDIRECT_ASSIGN alt hash", mk_redirect_assign_alt_hash, "x" },
	{ "REDIRECT_ASSIGN mask", mk_redirect_assign_mask, NULL },
	{ "REMOVAL_QUERY", mk_removal_query, NULL },
	{ "REMOVAL_QUERY md5", mk_removal_query, "pw" },
};

static uint8_t buf[WCCP2_MSG_MAX];
static struct wccp2_msg m1, m2;

/* Encode case c into buf; returns the length. */
static size_t
encode_case(const struct rt_case *c, struct wccp2_msg *m)
{
	int n;

	c->mk(m);
	m->security = c->password ? WCCP2_SEC_MD5 : WCCP2_SEC_NONE;
	n = wccp2_encode(m, c->password, buf, sizeof(buf));
	if (n <= 0) {
		print_error("%s: encode: %s\n", c->name, wccp2_strerror(n));
		fail();
	}
	return (size_t)n;
}

static void
test_round_trip(void **state)
{
	size_t i, len;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(rt_cases) / sizeof(rt_cases[0]); i++) {
		len = encode_case(&rt_cases[i], &m1);
		rc = wccp2_decode(buf, len, &m2);
		if (rc != 0) {
			print_error("%s: decode: %s\n", rt_cases[i].name,
				    wccp2_strerror(rc));
			fail();
		}
		/* Only the decoder fills these in. */
		memcpy(m1.md5, m2.md5, sizeof(m1.md5));
		m1.md5_off = m2.md5_off;
		if (memcmp(&m1, &m2, sizeof(m1)) != 0) {
			print_error("%s: decoded message differs\n",
				    rt_cases[i].name);
			fail();
		}
		if (rt_cases[i].password) {
			EXPECT_INT(wccp2_md5_verify(buf, len, m2.md5_off,
						    rt_cases[i].password), 0,
				   rt_cases[i].name);
		}
		/* Encoding the decoded form gives the same bytes. */
		{
			static uint8_t again[WCCP2_MSG_MAX];
			int n2 = wccp2_encode(&m2, rt_cases[i].password, again,
					      sizeof(again));

			EXPECT_INT(n2, len, rt_cases[i].name);
			if (memcmp(again, buf, len) != 0) {
				print_error("%s: re-encoding differs\n",
					    rt_cases[i].name);
				fail();
			}
		}
	}
}

/*
 * Hand-made HERE_I_AM, laid out from the draft (not from our encoder):
 * no security, dynamic service 80, one cache 198.18.3.2 with no buckets
 * and weight 1, a view with one router and one cache.
 */
static const uint8_t hand_here_i_am[] = {
	0, 0, 0, 10, 0x02, 0x00, 0, 112,	/* HERE_I_AM, v2, len 112 */
	0, 0, 0, 4, 0, 0, 0, 0,			/* security: none */
	0, 1, 0, 24,				/* service info */
	1, 80, 240, 6, 0, 0, 0, 0x11,		/* dyn 80 prio 240 tcp flags */
	0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 3, 0, 44,				/* web-cache identity */
	198, 18, 3, 2, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 0,				/* weight 1, status 0 */
	0, 5, 0, 24,				/* web-cache view */
	0, 0, 0, 1,				/* change number */
	0, 0, 0, 1, 198, 18, 3, 1, 0, 0, 0, 0,	/* 1 router, recv id 0 */
	0, 0, 0, 1, 198, 18, 3, 2,		/* 1 cache */
};

static void
test_decode_hand_made(void **state)
{
	int rc;

	(void)state;
	rc = wccp2_decode(hand_here_i_am, sizeof(hand_here_i_am), &m1);
	EXPECT_INT(rc, 0, wccp2_strerror(rc));
	EXPECT_INT(m1.type, WCCP2_HERE_I_AM, "type");
	EXPECT_INT(m1.security, WCCP2_SEC_NONE, "security");
	EXPECT_INT(m1.service.type, WCCP2_SVC_DYNAMIC, "service type");
	EXPECT_INT(m1.service.id, 80, "service id");
	EXPECT_INT(m1.service.priority, 240, "priority");
	EXPECT_INT(m1.service.protocol, 6, "protocol");
	EXPECT_INT(m1.service.flags, WCCP2_SF_SRC_IP_HASH |
		   WCCP2_SF_PORTS_DEFINED, "flags");
	EXPECT_INT(m1.service.ports[0], 80, "port 0");
	EXPECT_INT(m1.wc_id.ip, IP(198, 18, 3, 2), "cache ip");
	EXPECT_INT(m1.wc_id.weight, 1, "weight");
	EXPECT_INT(m1.wc_view.change, 1, "view change");
	EXPECT_INT(m1.wc_view.nrouters, 1, "view routers");
	EXPECT_INT(m1.wc_view.router[0].ip, IP(198, 18, 3, 1), "router");
	EXPECT_INT(m1.wc_view.ncaches, 1, "view caches");
	EXPECT_INT(m1.wc_view.cache[0], IP(198, 18, 3, 2), "view cache");
	EXPECT_INT(m1.has_caps, 0, "no capabilities");
	EXPECT_INT(m1.has_router_id, 0, "no router id");

	/* Our encoder produces exactly these bytes from that message. */
	rc = wccp2_encode(&m1, NULL, buf, sizeof(buf));
	EXPECT_INT(rc, sizeof(hand_here_i_am), "encoded length");
	if (memcmp(buf, hand_here_i_am, sizeof(hand_here_i_am)) != 0)
		fail_msg("encoder differs from the hand-made bytes");
}

/* ------------------------------------------------------------ malformed */

/* Offset of the first component of type t in buf, or 0. */
static size_t
find_comp(const uint8_t *b, size_t len, uint16_t t)
{
	size_t off = 8;

	while (off + 4 <= len) {
		if ((uint16_t)(b[off] << 8 | b[off + 1]) == t)
			return off;
		off += 4 + (size_t)(b[off + 2] << 8 | b[off + 3]);
	}
	return 0;
}

static void
set16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
set32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Remove n bytes at off (shrinking component comp and the message). */
static size_t
cut(uint8_t *b, size_t len, size_t comp, size_t off, size_t n)
{
	memmove(b + off, b + off + n, len - off - n);
	len -= n;
	set16(b + comp + 2, (size_t)(b[comp + 2] << 8 | b[comp + 3]) - n);
	set16(b + 6, len - 8);
	return len;
}

/* Insert n zero bytes at off (growing component comp and the message). */
static size_t
grow(uint8_t *b, size_t len, size_t comp, size_t off, size_t n)
{
	memmove(b + off + n, b + off, len - off);
	memset(b + off, 0, n);
	len += n;
	set16(b + comp + 2, (size_t)(b[comp + 2] << 8 | b[comp + 3]) + n);
	set16(b + 6, len - 8);
	return len;
}

enum mut {
	M_VERSION, M_MSGLEN_LONG, M_MSGLEN_SHORT, M_COMPLEN, M_SVC_SHORT,
	M_SVC_LONG, M_VIEW_COUNT, M_VIEW_HUGE, M_BUCKET, M_DUP, M_MISSING,
	M_TYPE, M_SECURITY, M_CAP_LEN, M_MD5_SHORT, M_IDENT_SHORT,
	M_ALT_LEN, M_MASK_VALUES, M_MASK_HUGE,
};

static const struct mal_case {
	const char *name;
	void (*mk)(struct wccp2_msg *);
	enum mut mut;
	int want;
} mal_cases[] = {
	{ "version 1.0", mk_here_i_am, M_VERSION, WCCP2_E_VERSION },
	{ "message length +1", mk_here_i_am, M_MSGLEN_LONG, WCCP2_E_LENGTH },
	{ "message length -1", mk_here_i_am, M_MSGLEN_SHORT, WCCP2_E_LENGTH },
	{ "component past the end", mk_here_i_am, M_COMPLEN, WCCP2_E_LENGTH },
	{ "service info truncated", mk_here_i_am, M_SVC_SHORT, WCCP2_E_SHORT },
	{ "service info overlong", mk_here_i_am, M_SVC_LONG,
	  WCCP2_E_COMPONENT },
	{ "view count beyond data", mk_here_i_am, M_VIEW_COUNT, WCCP2_E_SHORT },
	{ "view count huge", mk_i_see_you, M_VIEW_HUGE, WCCP2_E_TOOMANY },
	{ "bucket names no cache", mk_redirect_assign, M_BUCKET,
	  WCCP2_E_COMPONENT },
	{ "duplicate service", mk_here_i_am, M_DUP, WCCP2_E_DUP },
	{ "missing web-cache view", mk_here_i_am, M_MISSING, WCCP2_E_MISSING },
	{ "unknown type", mk_here_i_am, M_TYPE, WCCP2_E_TYPE },
	{ "unknown security", mk_here_i_am, M_SECURITY, WCCP2_E_SECURITY },
	{ "capability length 8", mk_here_i_am, M_CAP_LEN, WCCP2_E_COMPONENT },
	{ "md5 without checksum", mk_here_i_am, M_MD5_SHORT, WCCP2_E_SHORT },
	{ "identity truncated", mk_i_see_you, M_IDENT_SHORT, WCCP2_E_SHORT },
	{ "alt assignment length", mk_redirect_assign_mask, M_ALT_LEN,
	  WCCP2_E_LENGTH },
	{ "mask values beyond data", mk_redirect_assign_mask, M_MASK_VALUES,
	  WCCP2_E_SHORT },
	{ "mask values huge", mk_redirect_assign_mask, M_MASK_HUGE,
	  WCCP2_E_TOOMANY },
};

static void
test_malformed(void **state)
{
	const struct mal_case *c;
	size_t i, len, at;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(mal_cases) / sizeof(mal_cases[0]); i++) {
		c = &mal_cases[i];
		c->mk(&m1);
		rc = wccp2_encode(&m1, NULL, buf, sizeof(buf));
		assert_true(rc > 0);
		len = (size_t)rc;
		switch (c->mut) {
		case M_VERSION:
			set16(buf + 4, 0x0100);
			break;
		case M_MSGLEN_LONG:
			set16(buf + 6, len - 8 + 1);
			break;
		case M_MSGLEN_SHORT:
			set16(buf + 6, len - 8 - 1);
			break;
		case M_COMPLEN:
			at = find_comp(buf, len, WCCP2_C_CAPABILITIES);
			set16(buf + at + 2, len - at);	/* 4 bytes too many */
			break;
		case M_SVC_SHORT:
			at = find_comp(buf, len, WCCP2_C_SERVICE);
			len = cut(buf, len, at, at + 4 + 20, 4);
			break;
		case M_SVC_LONG:
			at = find_comp(buf, len, WCCP2_C_SERVICE);
			len = grow(buf, len, at, at + 4 + 24, 4);
			break;
		case M_VIEW_COUNT:
			at = find_comp(buf, len, WCCP2_C_WC_VIEW);
			set32(buf + at + 8, 5);	/* nrouters 5, data for 2 */
			break;
		case M_VIEW_HUGE:
			at = find_comp(buf, len, WCCP2_C_ROUTER_VIEW);
			set32(buf + at + 4 + 16 + 4, 0xffffffff); /* ncaches */
			break;
		case M_BUCKET:
			at = find_comp(buf, len, WCCP2_C_ASSIGNMENT);
			buf[len - 1] = 2;	/* only caches 0 and 1 exist */
			break;
		case M_DUP:
			at = find_comp(buf, len, WCCP2_C_SERVICE);
			memcpy(buf + len, buf + at, 28);
			len += 28;
			set16(buf + 6, len - 8);
			break;
		case M_MISSING:
			at = find_comp(buf, len, WCCP2_C_WC_VIEW);
			set16(buf + at, 0x7777);	/* unknown: skipped */
			break;
		case M_TYPE:
			set32(buf, 99);
			break;
		case M_SECURITY:
			set32(buf + 12, 7);
			break;
		case M_CAP_LEN:
			at = find_comp(buf, len, WCCP2_C_CAPABILITIES);
			set16(buf + at + 6, 8);
			len = grow(buf, len, at, len, 4);
			break;
		case M_MD5_SHORT:
			set32(buf + 12, WCCP2_SEC_MD5);
			break;
		case M_IDENT_SHORT:
			/* The last cache identity (NONE type) loses its
			 * flags: the view ends inside it. */
			at = find_comp(buf, len, WCCP2_C_ROUTER_VIEW);
			len = cut(buf, len, at, at + 4 +
				  (size_t)(buf[at + 2] << 8 | buf[at + 3]) - 2,
				  2);
			break;
		case M_ALT_LEN:
			at = find_comp(buf, len, WCCP2_C_ALT_ASSIGNMENT);
			set16(buf + at + 6, (size_t)(buf[at + 6] << 8 |
						     buf[at + 7]) + 1);
			break;
		case M_MASK_VALUES:
		case M_MASK_HUGE:
			/* The second mask claims 5 values (data for 1), or
			 * more than WCCP2_MAX_VALUES. */
			at = find_comp(buf, len, WCCP2_C_ALT_ASSIGNMENT);
			set32(buf + at + 8 + 8 + 4 + 12 + 4 + 12 + 4 + 32 + 12,
			      c->mut == M_MASK_HUGE ? 1000 : 5);
			break;
		}
		rc = wccp2_decode(buf, len, &m2);
		if (rc != c->want) {
			print_error("%s: got %d (%s), want %d (%s)\n", c->name,
				    rc, wccp2_strerror(rc), c->want,
				    wccp2_strerror(c->want));
			fail();
		}
	}
}

/*
 * Every truncation of every round-trip message, with the header length
 * patched to match so that the cut is found by the component parser:
 * never a crash, and success only when the cut falls exactly between
 * components and what remains is still complete.
 */
static void
test_truncations(void **state)
{
	static uint8_t cpy[WCCP2_MSG_MAX];
	size_t i, len, cutlen, off;
	int rc, boundary;

	(void)state;
	for (i = 0; i < sizeof(rt_cases) / sizeof(rt_cases[0]); i++) {
		len = encode_case(&rt_cases[i], &m1);
		for (cutlen = 0; cutlen < len; cutlen++) {
			memcpy(cpy, buf, cutlen);
			if (cutlen >= 8)
				set16(cpy + 6, cutlen - 8);
			rc = wccp2_decode(cpy, cutlen, &m2);
			for (boundary = 0, off = 8; off <= cutlen;
			     off += 4 + (size_t)(buf[off + 2] << 8 |
						 buf[off + 3])) {
				if (off == cutlen)
					boundary = 1;
				if (off + 4 > len)
					break;
			}
			if (rc == 0 && !boundary) {
				print_error("%s: cut at %zu decoded\n",
					    rt_cases[i].name, cutlen);
				fail();
			}
			assert_true(rc <= 0);
		}
	}
}

/* ------------------------------------------------------------ security */

static void
test_md5_security(void **state)
{
	size_t len;
	int rc;

	(void)state;
	len = encode_case(&rt_cases[1], &m1);	/* HERE_I_AM, "s3cret" */
	assert_int_equal(wccp2_decode(buf, len, &m2), 0);
	EXPECT_INT(m2.security, WCCP2_SEC_MD5, "security");
	EXPECT_INT(m2.md5_off, 16, "checksum offset");
	EXPECT_INT(wccp2_md5_verify(buf, len, m2.md5_off, "s3cret"), 0,
		   "right password");
	EXPECT_INT(wccp2_md5_verify(buf, len, m2.md5_off, "s3creT"),
		   WCCP2_E_AUTH, "wrong password");
	EXPECT_INT(wccp2_md5_verify(buf, len, m2.md5_off, ""), WCCP2_E_AUTH,
		   "empty password");
	EXPECT_INT(wccp2_md5_verify(buf, len, m2.md5_off, NULL), WCCP2_E_AUTH,
		   "no password");
	/* Any change to the message breaks the checksum. */
	buf[len - 1] ^= 1;
	EXPECT_INT(wccp2_md5_verify(buf, len, m2.md5_off, "s3cret"),
		   WCCP2_E_AUTH, "modified body");
	buf[len - 1] ^= 1;
	buf[m2.md5_off] ^= 0x80;
	EXPECT_INT(wccp2_md5_verify(buf, len, m2.md5_off, "s3cret"),
		   WCCP2_E_AUTH, "modified checksum");
	/* Only the first 8 characters are the key. */
	m1.security = WCCP2_SEC_MD5;
	rc = wccp2_encode(&m1, "12345678tail", buf, sizeof(buf));
	assert_true(rc > 0);
	EXPECT_INT(wccp2_md5_verify(buf, (size_t)rc, 16, "12345678"), 0,
		   "8-byte key");
	/* An offset that does not leave room for the sum is refused. */
	EXPECT_INT(wccp2_md5_verify(buf, 20, 16, "12345678"), WCCP2_E_AUTH,
		   "short");
	/* Without security there is nothing to verify. */
	len = encode_case(&rt_cases[0], &m1);
	assert_int_equal(wccp2_decode(buf, len, &m2), 0);
	EXPECT_INT(wccp2_md5_verify(buf, len, m2.md5_off, ""), WCCP2_E_AUTH,
		   "no md5 component");
	/* An encoder buffer that is too small is reported, not overrun. */
	mk_here_i_am(&m1);
	EXPECT_INT(wccp2_encode(&m1, NULL, buf, 40), WCCP2_E_NOSPACE,
		   "small buffer");
}

static void
test_spread(void **state)
{
	static const struct {
		uint16_t w[4];
		uint32_t n;
		unsigned want[4];
	} t[] = {
		{ { 1, 1 }, 2, { 128, 128 } },
		{ { 3, 1 }, 2, { 192, 64 } },
		{ { 0, 0, 0 }, 3, { 85, 85, 86 } },
		{ { 5, 0 }, 2, { 256, 0 } },
		{ { 10000, 10000, 10000, 10000 }, 4, { 64, 64, 64, 64 } },
		{ { 65535, 1 }, 2, { 255, 1 } },
	};
	uint8_t b[WCCP2_NBUCKETS];
	unsigned cnt[4];
	size_t i, j;
	char what[64];

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		wccp2_spread_buckets(t[i].w, t[i].n, b);
		memset(cnt, 0, sizeof(cnt));
		for (j = 0; j < WCCP2_NBUCKETS; j++) {
			assert_true(b[j] < t[i].n);
			cnt[b[j]]++;
		}
		for (j = 0; j < t[i].n; j++) {
			snprintf(what, sizeof(what), "case %zu cache %zu",
			    i, j);
			EXPECT_INT(cnt[j], t[i].want[j], what);
		}
	}
	wccp2_spread_buckets(NULL, 0, b);
	EXPECT_INT(b[0], WCCP2_BUCKET_UNASSIGNED, "no caches");
}

/* ------------------------------------------------------------ config */

static const struct cfg_case {
	const char *text;	/* after "http_port 3128\n" */
	int         nerr;
	const char *msg;	/* a message that must appear (substring) */
} cfg_cases[] = {
	/* The squid.conf lines of Squid's TPROXY v4 guide, "WCCP
	 * Configuration". */
	{ "wccp2_router 198.18.3.1\n"
	  "wccp2_forwarding_method gre\n"
	  "wccp2_return_method gre\n"
	  "wccp2_service dynamic 80\n"
	  "wccp2_service_info 80 protocol=tcp flags=src_ip_hash priority=240 "
	  "ports=80\n"
	  "wccp2_service dynamic 90\n"
	  "wccp2_service_info 90 protocol=tcp flags=dst_ip_hash,ports_source "
	  "priority=240 ports=80\n", 0, NULL },
	{ "wccp2_router 198.18.3.1\n"
	  "wccp2_forwarding_method 1\n"
	  "wccp2_return_method 1\n"
	  "wccp2_service dynamic 80\n"
	  "wccp2_service dynamic 90\n"
	  "wccp2_service_info 80 protocol=tcp flags=src_ip_hash priority=240 "
	  "ports=80\n"
	  "wccp2_service_info 90 protocol=tcp flags=dst_ip_hash,ports_source "
	  "priority=240 ports=80\n", 0, NULL },
	{ "wccp2_router 198.18.3.1 198.18.3.254\nwccp2_router 198.18.4.1\n"
	  "wccp2_address 198.18.3.2\nwccp2_assignment_method mask\n"
	  "wccp2_forwarding_method l2\nwccp2_return_method 2\n"
	  "wccp2_service standard 0 password=abcdefgh\nwccp2_weight 0\n"
	  "wccp2_rebuild_wait off\n", 0, NULL },
	{ "wccp2_router 198.18.3.1\nwccp2_service dynamic 51 password=x\n"
	  "wccp2_service_info 51 protocol=udp flags=src_ip_hash,dst_ip_hash,"
	  "source_port_hash,dst_port_hash,ports_defined,ports_source,"
	  "src_ip_alt_hash,dst_ip_alt_hash,src_port_alt_hash,"
	  "dst_port_alt_hash priority=0 ports=1,2,3,4,5,6,7,65535\n", 0, NULL },
	/* errors, each FILE:LINE: */
	{ "wccp2_router 198.18.3.1\nwccp2_service dynamic 80\n", 1,
	  "t.conf:3: wccp2_service: dynamic service 80 has no "
	  "wccp2_service_info line" },
	{ "wccp2_service dynamic 80\nwccp2_service_info 80 protocol=tcp "
	  "ports=1,2,3,4,5,6,7,8,9\n", 1, "t.conf:3: wccp2_service_info: at "
	  "most 8 ports" },
	{ "wccp2_service dynamic 80\nwccp2_service_info 80 protocol=tcp "
	  "flags=src_ip_hash,bogus_hash\n", 1, "t.conf:3: wccp2_service_info: "
	  "unknown flag 'bogus_hash'" },
	{ "wccp2_service_info 80 protocol=tcp\n", 1, "t.conf:2: "
	  "wccp2_service_info: no 'wccp2_service dynamic 80' line before" },
	{ "wccp2_service dynamic 80\nwccp2_service_info 80 flags=src_ip_hash\n",
	  1, "t.conf:3: wccp2_service_info: protocol=tcp or protocol=udp is "
	  "required" },
	{ "wccp2_service dynamic 80\nwccp2_service_info 80 protocol=sctp\n", 1,
	  "protocol must be tcp or udp" },
	{ "wccp2_service dynamic 80\nwccp2_service_info 80 protocol=tcp "
	  "priority=256\n", 1, "priority must be 0 to 255" },
	{ "wccp2_service dynamic 80\nwccp2_service_info 80 protocol=tcp "
	  "ports=80,0\n", 1, "invalid port '0'" },
	{ "wccp2_service dynamic 80\nwccp2_service_info 80 protocol=tcp "
	  "flags=ports_defined\n", 1, "flags=ports_defined needs ports=" },
	{ "wccp2_service dynamic 80\nwccp2_service_info 80 protocol=tcp "
	  "color=red\n", 1, "unknown option 'color=red'" },
	{ "wccp2_service standard 80\n", 1, "t.conf:2: wccp2_service: the only "
	  "standard service is 0" },
	{ "wccp2_service dynamic 256\n", 1, "invalid service id '256'" },
	{ "wccp2_service dynamic 80\nwccp2_service dynamic 80\n"
	  "wccp2_service_info 80 protocol=tcp\n", 1, "t.conf:3: wccp2_service: "
	  "service 80 is already defined at t.conf:2" },
	{ "wccp2_service dynamic 80 password=123456789\n", 1,
	  "password must have 1 to 8 characters" },
	{ "wccp2_service dynamic 80 secret\n", 1, "unknown option 'secret'" },
	{ "wccp2_service bogus 80\n", 1, "expected 'standard' or 'dynamic'" },
	/* Host names are resolved at load: test_config_values.c tests them
	 * with a fake resolver, so that no test depends on DNS. */
	{ "wccp2_router 198.18.3.300\n", 1, "t.conf:2: wccp2_router: invalid "
	  "address '198.18.3.300'" },
	{ "wccp2_router 2001:db8::1\n", 1, "WCCPv2 is IPv4 only" },
	{ "wccp2_address 300.1.1.1\n", 1, "wccp2_address: invalid address" },
	{ "wccp2_forwarding_method 3\n", 1, "wccp2_forwarding_method: expected "
	  "gre or l2 (or 1 or 2), got '3'" },
	{ "wccp2_return_method tunnel\n", 1, "wccp2_return_method: expected" },
	{ "wccp2_assignment_method random\n", 1, "expected hash or mask" },
	{ "wccp2_weight 65536\n", 1, "wccp2_weight: expected 0 to 65535" },
	{ "wccp2_rebuild_wait maybe\n", 1, "expected 'on' or 'off'" },
	{ "wccp2_router\n", 1, "wccp2_router: missing argument" },
};

static int
has_msg(const struct cfg_msgs *m, const char *want)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strstr(m->msg[i].text, want) != NULL)
			return 1;
	return 0;
}

static void
test_config_table(void **state)
{
	char text[2048];
	struct cfg_msgs m;
	struct cfg *c;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cfg_cases) / sizeof(cfg_cases[0]); i++) {
		snprintf(text, sizeof(text), "http_port 3128\n%s",
			 cfg_cases[i].text);
		memset(&m, 0, sizeof(m));
		c = cfg_load_mem(text, "t.conf", &m);
		if ((int)m.nerr != cfg_cases[i].nerr ||
		    (c == NULL) != (cfg_cases[i].nerr > 0) ||
		    (cfg_cases[i].msg && !has_msg(&m, cfg_cases[i].msg))) {
			print_error("case %zu: %zu errors, want %d; want "
				    "message '%s'\n%s", i, m.nerr,
				    cfg_cases[i].nerr, cfg_cases[i].msg ?
				    cfg_cases[i].msg : "", text);
			for (j = 0; j < m.n; j++)
				print_error("    %s\n", m.msg[j].text);
			fail();
		}
		/* No wccp2 line is ignored any more. */
		if (has_msg(&m, "is not implemented")) {
			print_error("case %zu: a wccp2 line was ignored\n", i);
			fail();
		}
		cfg_unref(c);
		cfg_msgs_free(&m);
	}
}

/*
 * The values the configuration of Squid's TPROXY v4 guide ("WCCP
 * Configuration") and the full example produce.
 */
static void
test_config_values(void **state)
{
	struct cfg_msgs m = { 0 };
	struct cfg *c;
	const struct cfg_wccp2 *w;
	const struct sockaddr_in *r;

	(void)state;
	c = cfg_load_mem("http_port 3129 tproxy\n"
			 "wccp2_router 198.18.3.1\n"
			 "wccp2_forwarding_method 1\n"
			 "wccp2_return_method 1\n"
			 "wccp2_service dynamic 80\n"
			 "wccp2_service dynamic 90 password=pw\n"
			 "wccp2_service_info 80 protocol=tcp flags=src_ip_hash "
			 "priority=240 ports=80\n"
			 "wccp2_service_info 90 protocol=tcp "
			 "flags=dst_ip_hash,ports_source priority=240 "
			 "ports=80\n", "s.conf", &m);
	assert_non_null(c);
	w = &c->wccp2;
	EXPECT_INT(w->nrouter, 1, "routers");
	r = (const struct sockaddr_in *)&w->router[0];
	EXPECT_INT(ntohl(r->sin_addr.s_addr), IP(198, 18, 3, 1), "router");
	EXPECT_INT(ntohs(r->sin_port), 2048, "router port");
	EXPECT_INT(w->forwarding_method, WCCP2_METHOD_GRE, "forwarding");
	EXPECT_INT(w->return_method, WCCP2_METHOD_GRE, "return");
	EXPECT_INT(w->assignment_method, WCCP2_ASSIGN_HASH, "assignment");
	EXPECT_INT(w->weight, 10000, "default weight");
	EXPECT_INT(w->rebuild_wait, 1, "default rebuild_wait");
	EXPECT_INT(w->nservice, 2, "services");
	EXPECT_INT(w->service[0].dynamic, 1, "80 dynamic");
	EXPECT_INT(w->service[0].id, 80, "80 id");
	EXPECT_INT(w->service[0].protocol, 6, "80 protocol");
	EXPECT_INT(w->service[0].priority, 240, "80 priority");
	EXPECT_INT(w->service[0].flags, WCCP2_SF_SRC_IP_HASH |
		   WCCP2_SF_PORTS_DEFINED, "80 flags");
	EXPECT_INT(w->service[0].ports[0], 80, "80 port");
	EXPECT_INT(w->service[0].ports[1], 0, "80 port 2");
	assert_null(w->service[0].password);
	EXPECT_INT(w->service[1].flags, WCCP2_SF_DST_IP_HASH |
		   WCCP2_SF_PORTS_SOURCE | WCCP2_SF_PORTS_DEFINED, "90 flags");
	assert_string_equal(w->service[1].password, "pw");
	cfg_unref(c);
	cfg_msgs_free(&m);

	/* Without any wccp2 line WCCP is off. */
	c = cfg_load_mem("http_port 3128\n", "e.conf", &m);
	assert_non_null(c);
	EXPECT_INT(c->wccp2.nrouter, 0, "no routers");
	cfg_unref(c);
	cfg_msgs_free(&m);

	/* A service without a router loads, with a warning. */
	c = cfg_load_mem("http_port 3128\nwccp2_service standard 0\n", "w.conf",
			 &m);
	assert_non_null(c);
	if (!has_msg(&m, "w.conf:2: WARNING: wccp2_service: no wccp2_router"))
		fail_msg("missing no-router warning");
	cfg_unref(c);
	cfg_msgs_free(&m);
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_hand_made),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_md5_security),
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_config_table),
		cmocka_unit_test(test_config_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
