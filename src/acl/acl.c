/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl.c - matching one ACL against a request, and walking access lists.
 *
 * Pure functions over a loaded configuration and a struct acl_ctx: no
 * allocation except for regex subjects longer than a stack buffer, no I/O,
 * no name resolution (a dst ACL on an unresolved name, or a srcdomain ACL
 * before the client's name is known, says "unknown" and the caller
 * resolves, then asks again). What needs the system (the
 * client's MAC address) comes through a function in the context, so that
 * the fuzzers and unit tests link this file alone.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acl/acl.h"
#include "http/msg-t.h"

/*
 * The client or server address as an (family, 16 bytes) pair in the form
 * struct acl_ip uses. IPv4-mapped IPv6 (::ffff:a.b.c.d from a dual-stack
 * listener) is turned into IPv4, so IPv4 ranges cover those clients.
 * Returns 0, or -1 for other families.
 */
static int
addr_key(const struct sockaddr *sa, int *family, struct in6_addr *a,
	 int *mapped)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	memset(a, 0, sizeof(*a));
	*mapped = 0;
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		memcpy(a->s6_addr, &s4->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		*family = AF_INET;
		*mapped = 1;
		memcpy(a->s6_addr, &s6->sin6_addr.s6_addr[12], 4);
		return 0;
	}
	*family = AF_INET6;
	*a = s6->sin6_addr;
	return 0;
}

static int
ip_in(const struct acl *acl, int family, const struct in6_addr *a)
{
	const struct acl_ip *r;
	size_t i, len = family == AF_INET ? 4 : 16;

	for (i = 0; i < acl->n; i++) {
		r = &acl->v.ip[i];
		if (r->family == family &&
		    memcmp(a->s6_addr, r->lo.s6_addr, len) >= 0 &&
		    memcmp(a->s6_addr, r->hi.s6_addr, len) <= 0)
			return 1;
	}
	return 0;
}

static int
match_ip(const struct acl *acl, const struct sockaddr *sa)
{
	struct in6_addr a, m;
	int family, mapped;

	if (sa == NULL || addr_key(sa, &family, &a, &mapped) < 0)
		return 0;
	if (ip_in(acl, family, &a))
		return 1;
	/* A mapped address is also an IPv6 address: ::ffff:0:0/96 covers it. */
	if (mapped) {
		m = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return ip_in(acl, AF_INET6, &m);
	}
	return 0;
}

/* A host that is an IP literal ("192.0.2.1", "::1", "[::1]") as an
 * address, for dst ACLs before resolution. Returns 1 if it was one. */
static int
host_literal(struct str host, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN + 2];
	const char *p = host.p;
	size_t len = host.len;

	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p++;
		len -= 2;
	}
	if (p == NULL || len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, p, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return 1;
	}
	return 0;
}

static int
match_range(const struct acl *acl, unsigned v)
{
	size_t i;

	for (i = 0; i < acl->n; i++)
		if (v >= acl->v.range[i].lo && v <= acl->v.range[i].hi)
			return 1;
	return 0;
}

/*
 * Compare the key ("." if dot, then the lowercased s[0..len)) with the
 * stored, already lowercased word, like strcmp.
 */
static int
dom_cmp(int dot, const char *s, size_t len, const char *w)
{
	size_t i;
	unsigned char c;

	if (dot) {
		if (*w != '.')
			return (unsigned char)'.' - (unsigned char)*w;
		w++;
	}
	for (i = 0; i < len; i++, w++) {
		c = (unsigned char)tolower((unsigned char)s[i]);
		if (*w == '\0' || c != (unsigned char)*w)
			return *w == '\0' ? 1 : c - (unsigned char)*w;
	}
	return *w == '\0' ? 0 : -1;
}

/* Binary search in the sorted dstdomain values (cfg_acl_finish()). */
static int
dom_find(const struct acl *acl, int dot, const char *s, size_t len)
{
	size_t lo = 0, hi = acl->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = dom_cmp(dot, s, len, acl->v.word[mid]);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/*
 * host matches "example.com" exactly, or ".example.com" when it is
 * example.com or any name under it. So for a.b.example.com we look up
 * a.b.example.com, .a.b.example.com, .b.example.com, .example.com, .com.
 */
static int
match_domain(const struct acl *acl, struct str host)
{
	struct sockaddr_storage ss;
	const char *s = host.p;
	size_t len = host.len, i;

	if (s == NULL || len == 0)
		return 0;
	/*
	 * An address literal matches a value written as that address
	 * ("acl x dstdomain 192.0.2.1"), never a name: Squid would then try
	 * a reverse (PTR) lookup, whose answer the owner of the address
	 * chooses, so tproxyd does not (doc/tproxyd.conf.5).
	 */
	if (host_literal(host, &ss) || memchr(s, ':', len) != NULL)
		return dom_find(acl, 0, s, len);
	if (s[len - 1] == '.')
		len--;
	if (len == 0)
		return 0;
	if (dom_find(acl, 0, s, len))
		return 1;
	for (i = 0; i < len; i++)
		if ((i == 0 || s[i - 1] == '.') &&
		    dom_find(acl, 1, s + i, len - i))
			return 1;
	return 0;
}

/* regexec() wants a C string: copy the view, lowercased for hosts (Squid
 * matches dstdom_regex against the normalized, lowercase host). */
static int
regex_any(const regex_t *re, size_t n, struct str s, int lower)
{
	char sbuf[1024], *buf = sbuf;
	size_t i;
	int m = 0;

	if (s.p == NULL)
		return 0;
	if (s.len >= sizeof(sbuf)) {
		buf = malloc(s.len + 1);
		if (buf == NULL)
			return 0;
	}
	for (i = 0; i < s.len; i++)
		buf[i] = lower ? (char)tolower((unsigned char)s.p[i]) : s.p[i];
	buf[s.len] = '\0';
	for (i = 0; i < n && !m; i++)
		m = regexec(&re[i], buf, 0, NULL, 0) == 0;
	if (buf != sbuf)
		free(buf);
	return m;
}

static int
match_regex(const struct acl *acl, struct str s, int lower)
{
	return regex_any(acl->v.re, acl->n, s, lower);
}

/*
 * The value of the header field name in m: the first one's view, or, when
 * the field occurs several times, all values joined with ", " (as Squid
 * does) into *tmp, which the caller frees. Returns 0, or -1 when m has no
 * such field or memory ran out.
 */
static int
msg_field(const struct http_msg *m, const char *name, struct str *out,
	  char **tmp)
{
	size_t i, nlen = strlen(name), total = 0, k = 0, off = 0;
	const struct h1_header *h;

	*tmp = NULL;
	if (m == NULL)
		return -1;
	for (i = 0; i < m->nhdr; i++) {
		h = &m->hdr[i];
		if (h->name.len != nlen || strncasecmp(h->name.p, name, nlen))
			continue;
		if (k++ == 0)
			*out = h->value;
		total += h->value.len + 2;
	}
	if (k <= 1)
		return k == 1 ? 0 : -1;
	if ((*tmp = malloc(total)) == NULL)
		return -1;
	for (i = 0; i < m->nhdr; i++) {
		h = &m->hdr[i];
		if (h->name.len != nlen || strncasecmp(h->name.p, name, nlen))
			continue;
		if (off > 0) {
			memcpy(*tmp + off, ", ", 2);
			off += 2;
		}
		memcpy(*tmp + off, h->value.p, h->value.len);
		off += h->value.len;
	}
	*out = str_make(*tmp, off);
	return 0;
}

/* A regex acl on one header field; absent gives "" when empty_ok (the
 * mime-type acls, as in Squid), else no match. */
static int
match_field(const struct acl *acl, const struct http_msg *m,
	    const char *name, int empty_ok)
{
	struct str v;
	char *tmp;
	int r;

	if (m == NULL)
		return 0;
	if (msg_field(m, name, &v, &tmp) < 0) {
		if (!empty_ok)
			return 0;
		v = STR_LIT("");
	}
	r = regex_any(acl->v.re, acl->n, v, 0);
	free(tmp);
	return r;
}

/* req_header / rep_header: any value whose field is present matches its
 * regex. */
static int
match_hre(const struct acl *acl, const struct http_msg *m)
{
	struct str v;
	char *tmp;
	size_t i;
	int r = 0;

	if (m == NULL)
		return 0;
	for (i = 0; i < acl->n && !r; i++) {
		if (msg_field(m, acl->v.hre[i].name, &v, &tmp) < 0)
			continue;
		r = regex_any(&acl->v.hre[i].re, 1, v, 0);
		free(tmp);
	}
	return r;
}

/* Squid's "time": local time, minutes since midnight within an entry's
 * range on one of its days. */
static int
match_time(const struct acl *acl, long long now)
{
	time_t t = now != 0 ? (time_t)now : time(NULL);
	const struct acl_time *e;
	struct tm tm;
	unsigned min;
	size_t i;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	min = (unsigned)(tm.tm_hour * 60 + tm.tm_min);
	for (i = 0; i < acl->n; i++) {
		e = &acl->v.time[i];
		if (min >= e->start && min <= e->stop &&
		    (e->days & (1u << tm.tm_wday)))
			return 1;
	}
	return 0;
}

static int
match_arp(const struct acl *acl, const struct acl_ctx *ctx)
{
	unsigned char mac[6];
	size_t i;

	if (ctx->client_mac == NULL || ctx->client == NULL ||
	    ctx->client_mac(ctx->client, mac) < 0)
		return 0;
	for (i = 0; i < acl->n; i++)
		if (memcmp(acl->v.mac[i], mac, 6) == 0)
			return 1;
	return 0;
}

static int
match_has(const struct acl *acl, const struct acl_ctx *ctx)
{
	size_t i;

	for (i = 0; i < acl->n; i++) {
		switch (acl->v.num[i]) {
		case ACL_HAS_REQUEST:
			if (ctx->req != NULL || ctx->method.p != NULL)
				return 1;
			break;
		case ACL_HAS_RESPONSE:
			if (ctx->resp != NULL)
				return 1;
			break;
		case ACL_HAS_ALE:
			return 1;	/* every transaction is logged */
		}
	}
	return 0;
}

/*
 * all-of: some line whose acls all match; any-of: some acl of some line.
 * Like rule_match(), a definite answer wins over "unknown" (< 0, which
 * says what is missing).
 */
static int
match_group(const struct acl *acl, const struct acl_ctx *ctx, int all)
{
	const struct acl_group *g;
	size_t i, k;
	int m, unknown = 0, gm;

	for (i = 0; i < acl->n; i++) {
		g = &acl->v.grp[i];
		gm = all ? 1 : 0;
		for (k = 0; k < g->n; k++) {
			m = acl_match(g->ref[k].acl, ctx);
			if (m == ACL_M_EXT_FAIL)
				return m;
			if (m >= 0 && g->ref[k].negate)
				m = !m;
			if (all && m == 0) {
				gm = 0;
				break;
			}
			if (!all && m == 1) {
				gm = 1;
				break;
			}
			if (m < 0)
				gm = m;
		}
		if (gm == 1)
			return 1;
		if (gm < 0)
			unknown = gm;
	}
	return unknown;
}

/*
 * srcdomain and srcdom_regex: the client's reverse-DNS name, "none" when
 * it has none (a value "none" then matches, as in Squid). Not looked up
 * yet: unknown when the caller can wait for it, else no match.
 */
static int
match_srcdom(const struct acl *acl, const struct acl_ctx *ctx)
{
	struct str name;

	if (ctx->client_name == NULL)
		return ctx->name_wait ? ACL_M_NEED_NAME : 0;
	name = str_make(ctx->client_name, strlen(ctx->client_name));
	if (acl->type == ACL_SRCDOMAIN)
		return match_domain(acl, name);
	return match_regex(acl, name, 1);
}

static int
match_word(const struct acl *acl, struct str s, int icase)
{
	size_t i;

	if (s.p == NULL)
		return 0;
	for (i = 0; i < acl->n; i++)
		if (icase ? str_ieq(s, acl->v.word[i]) :
		    str_eq(s, acl->v.word[i]))
			return 1;
	return 0;
}

/* ------------------------------------------------------ TLS server names */

/*
 * s as the text ssl::server_name values are compared with: an address
 * literal ("[2001:DB8::1]", "192.0.2.1") in inet_ntop() form, without
 * brackets (Squid's "::" notation), into buf; anything else unchanged.
 */
static struct str
sn_canon(struct str s, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	const void *a;

	if (!host_literal(s, &ss))
		return s;
	a = ss.ss_family == AF_INET ?
	    (const void *)&((struct sockaddr_in *)&ss)->sin_addr :
	    (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (inet_ntop(ss.ss_family, a, buf, (socklen_t)size) == NULL)
		return s;
	return str_make(buf, strlen(buf));
}

/*
 * Whether a name may be used at all: Squid takes a '*' only as the whole
 * first label of a certificate name ("*.example.com"); any other '*'
 * makes it no name. wild: the caller accepts that leading "*." (names
 * from certificates do, the client's SNI does not).
 */
static int
sn_usable(struct str n, int wild)
{
	if (n.p == NULL || n.len == 0)
		return 0;
	if (memchr(n.p, '*', n.len) == NULL)
		return 1;
	return wild && n.len > 2 && n.p[0] == '*' && n.p[1] == '.' &&
	    memchr(n.p + 1, '*', n.len - 1) == NULL;
}

/*
 * Whether some value ends with ".R" (s[0..len) is R): acl->rword holds
 * the values reversed and sorted, so those values start with the reversed
 * ".R" and sit together; a binary search finds the first of them.
 */
static int
sn_suffix(const struct acl *acl, const char *s, size_t len)
{
	char key[256];
	size_t lo = 0, hi = acl->n, mid, i, klen = len + 1;

	if (acl->rword == NULL || klen > sizeof(key))
		return 0;
	for (i = 0; i < len; i++)
		key[i] = (char)tolower((unsigned char)s[len - 1 - i]);
	key[len] = '.';
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strncmp(acl->rword[mid], key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < acl->n && strncmp(acl->rword[lo], key, klen) == 0;
}

/*
 * One name against ssl::server_name values. A plain name matches as for
 * dstdomain. A wildcard certificate name "*.R" matches as Squid's
 * matchDomainName(mdnHonorWildcards) lets it: the values under R
 * (www.R, a.b.R, .x.R), .R and the domains above R (.com), not R itself.
 */
static int
sn_domain(const struct acl *acl, struct str name)
{
	const char *s = name.p;
	size_t len = name.len, i;

	if (s[0] != '*')
		return match_domain(acl, name);
	if (dom_find(acl, 0, s, len))	/* a value written "*.R" */
		return 1;
	s += 2;
	len -= 2;
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((i == 0 || s[i - 1] == '.') &&
		    dom_find(acl, 1, s + i, len - i))
			return 1;
	return sn_suffix(acl, s, len);
}

/* One computed name against the acl, either type. */
static int
sn_one(const struct acl *acl, struct str name)
{
	if (acl->type == ACL_SERVER_NAME_REGEX)
		return regex_any(acl->v.re, acl->n, name, 1);
	return sn_domain(acl, name);
}

/* Case-insensitive equality of two views. */
static int
str_ieq2(struct str a, struct str b)
{
	return a.len == b.len && strncasecmp(a.p, b.p, a.len) == 0;
}

/*
 * Squid's HasSubjectName() for --consensus: whether one of the
 * certificate's names names needle (the client-requested name). An
 * address needle matches an address name only (the same address); a
 * host name matches a name equal to it, or a wildcard "*.D" when it is D
 * or one label under D (Squid's mdnRejectSubsubDomains: not a.b.D).
 */
static int
sn_subject(const struct acl_ctx *ctx, struct str needle)
{
	struct sockaddr_storage a, b;
	struct str n, tail;
	size_t i, alen = 0;
	int nip;

	nip = host_literal(needle, &a);
	if (nip)
		alen = a.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6);
	for (i = 0; i < ctx->nsrv_names; i++) {
		if (ctx->srv_names[i] == NULL)
			continue;
		n = str_make(ctx->srv_names[i], strlen(ctx->srv_names[i]));
		if (!sn_usable(n, 1))
			continue;
		if (host_literal(n, &b)) {
			if (nip && memcmp(&a, &b, alen) == 0)
				return 1;
			continue;
		}
		if (nip)
			continue;
		if (n.p[0] == '*') {	/* "*.D" is read as ".D" */
			n.p++;
			n.len--;
		}
		if (str_ieq2(needle, n))
			return 1;
		if (n.p[0] != '.')
			continue;
		if (str_ieq2(needle, str_make(n.p + 1, n.len - 1)))
			return 1;
		if (needle.len <= n.len)
			continue;
		tail = str_make(needle.p + needle.len - n.len, n.len);
		if (str_ieq2(tail, n) &&
		    memchr(needle.p, '.', needle.len - n.len) == NULL)
			return 1;
	}
	return 0;
}

/*
 * ssl::server_name and ssl::server_name_regex, computing the names as
 * Squid's ServerNameCheck does (cf.data.pre): the client-requested name
 * is the SNI, or without SNI the target (for an intercepted connection
 * the original destination's address); an SNI that is not a plain host
 * name gives none. Without an option: the certificate's names when the
 * server's certificate was seen (any of them matching is enough), else
 * the client-requested name. --client-requested: that name, whatever the
 * server says. --server-provided: the certificate's names, "none" without
 * a certificate. --consensus: the client-requested name when the
 * certificate names it or there is no certificate, else "none". No name
 * at all is "none", which a value "none" matches.
 */
static int
match_server_name(const struct acl *acl, const struct acl_ctx *ctx)
{
	char rbuf[INET6_ADDRSTRLEN], nbuf[INET6_ADDRSTRLEN];
	struct str req = STR_NULL, name, n;
	size_t i;

	if (ctx->sni != NULL && ctx->sni[0] != '\0') {
		req = str_make(ctx->sni, strlen(ctx->sni));
		if (!sn_usable(req, 0))
			req = STR_NULL;
	} else if (ctx->host.p != NULL && ctx->host.len > 0) {
		req = sn_canon(ctx->host, rbuf, sizeof(rbuf));
	}
	if (acl->flags & ACL_SN_CONSENSUS) {
		name = ctx->nsrv_names == 0 || req.p == NULL ||
		    sn_subject(ctx, req) ? req : STR_NULL;
	} else if (acl->flags & ACL_SN_CLIENT_REQUESTED) {
		name = req;
	} else if (ctx->nsrv_names > 0) {
		for (i = 0; i < ctx->nsrv_names; i++) {
			if (ctx->srv_names[i] == NULL)
				continue;
			n = str_make(ctx->srv_names[i],
				     strlen(ctx->srv_names[i]));
			if (!sn_usable(n, 1))
				continue;
			if (sn_one(acl, sn_canon(n, nbuf, sizeof(nbuf))))
				return 1;
		}
		return 0;
	} else {
		name = acl->flags & ACL_SN_SERVER_PROVIDED ? STR_NULL : req;
	}
	if (name.p == NULL)
		name = STR_LIT("none");
	return sn_one(acl, name);
}

/* Some of the n names in v is one of the acl's values. */
static int
match_names(const struct acl *acl, const char *const *v, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < acl->n; k++)
			if (v[i] != NULL && strcmp(v[i], acl->v.word[k]) == 0)
				return 1;
	return 0;
}

static int
match_step(const struct acl *acl, int step)
{
	size_t i;

	for (i = 0; i < acl->n && step > 0; i++)
		if (acl->v.num[i] == (unsigned)step)
			return 1;
	return 0;
}

int
acl_match(const struct acl *acl, const struct acl_ctx *ctx)
{
	struct sockaddr_storage ss;
	int st;

	switch (acl->type) {
	case ACL_SRC:
		return match_ip(acl, ctx->client);
	case ACL_DST:
		if (ctx->dst != NULL)
			return match_ip(acl, ctx->dst);
		if (host_literal(ctx->host, &ss))
			return match_ip(acl, (const struct sockaddr *)&ss);
		return ACL_M_NEED_DST;
	case ACL_PORT:
		return match_range(acl, ctx->dst_port);
	case ACL_LOCALPORT:
		return match_range(acl, ctx->local_port);
	case ACL_MYPORTNAME:
		return ctx->port_name != NULL &&
		    match_word(acl, str_make(ctx->port_name,
					     strlen(ctx->port_name)), 0);
	case ACL_METHOD:
		/* Methods are case-sensitive (RFC 9110), as in Squid. */
		return match_word(acl, ctx->method, 0);
	case ACL_PROTO:
		return match_word(acl, ctx->proto, 1);
	case ACL_DSTDOMAIN:
		return match_domain(acl, ctx->host);
	case ACL_DSTDOM_REGEX:
		return match_regex(acl, ctx->host, 1);
	case ACL_SRCDOMAIN:
	case ACL_SRCDOM_REGEX:
		return match_srcdom(acl, ctx);
	case ACL_URL_REGEX:
		return match_regex(acl, ctx->url, 0);
	case ACL_URLPATH_REGEX:
		return match_regex(acl, ctx->path, 0);
	case ACL_LOCALIP:
		return match_ip(acl, ctx->local);
	case ACL_TIME:
		return match_time(acl, ctx->now);
	case ACL_BROWSER:
		return match_field(acl, ctx->req, "User-Agent", 0);
	case ACL_REFERER_REGEX:
		return match_field(acl, ctx->req, "Referer", 0);
	case ACL_REQ_HEADER:
		return match_hre(acl, ctx->req);
	case ACL_REP_HEADER:
		return match_hre(acl, ctx->resp);
	case ACL_REQ_MIME_TYPE:
		return match_field(acl, ctx->req, "Content-Type", 1);
	case ACL_REP_MIME_TYPE:
		return match_field(acl, ctx->resp, "Content-Type", 1);
	case ACL_HTTP_STATUS:
		st = ctx->status != 0 ? ctx->status :
		     ctx->resp != NULL ? ctx->resp->status : 0;
		return st > 0 && match_range(acl, (unsigned)st);
	case ACL_ARP:
		return match_arp(acl, ctx);
	case ACL_MAXCONN:
		return acl->n > 0 && ctx->client_conns != NULL &&
		       ctx->client_conns(ctx->direct ? ctx->direct :
					 ctx->client) > acl->v.num[0];
	case ACL_HAS:
		return match_has(acl, ctx);
	case ACL_ALL_OF:
		return match_group(acl, ctx, 1);
	case ACL_ANY_OF:
		return match_group(acl, ctx, 0);
	case ACL_AT_STEP:
		return match_step(acl, ctx->tls_step);
	case ACL_SERVER_NAME:
	case ACL_SERVER_NAME_REGEX:
		return match_server_name(acl, ctx);
	case ACL_SSL_ERROR:
		return match_names(acl, ctx->ssl_errors, ctx->nssl_errors);
	case ACL_ENCRYPTED:
		return ctx->encrypted != 0;
	case ACL_SQUID_ERROR:
		return ctx->squid_error != NULL &&
		    match_names(acl, &ctx->squid_error, 1);
	case ACL_EXTERNAL:
		return ctx->ext_match != NULL ? ctx->ext_match(acl, ctx) : 0;
	case ACL_TAG:
		return ctx->tag != NULL && ctx->tag[0] != '\0' &&
		    match_names(acl, &ctx->tag, 1);
	case ACL_PROXY_AUTH:
	case ACL_PROXY_AUTH_REGEX:
		return acl_match_auth(acl, ctx);
	}
	return 0;
}

/*
 * One rule: 1 when every acl matches, 0 when one does not, < 0 when none
 * fails but one is unknown (ACL_M_NEED_DST or ACL_M_NEED_NAME: what it
 * needs). A definite mismatch
 * anywhere settles it, so "deny !localnet to_host" does not ask for a DNS
 * lookup for clients outside localnet.
 */
static int
rule_match(const struct access_rule *r, const struct acl_ctx *ctx)
{
	size_t i;
	int m, unknown = 0;

	for (i = 0; i < r->nref; i++) {
		m = acl_match(r->ref[i].acl, ctx);
		if (m == ACL_M_EXT_FAIL)
			return m;	/* ends the check (Squid) */
		/* Authentication ends the walk here (Squid), once what the
		 * acls before it need is known. */
		if (m == ACL_M_NEED_AUTH)
			return unknown < 0 ? unknown : m;
		if (m < 0) {
			unknown = m;
			continue;
		}
		if (r->ref[i].negate)
			m = !m;
		if (!m)
			return 0;
	}
	return unknown < 0 ? unknown : 1;
}

/* What an unknown rule_match() result asks the caller for. */
static enum acl_verdict
verdict_of(int m)
{
	switch (m) {
	case ACL_M_NEED_NAME:
		return ACL_NEED_NAME;
	case ACL_M_NEED_EXT:
		return ACL_NEED_EXT;
	case ACL_M_EXT_FAIL:
		return ACL_DENY;
	case ACL_M_NEED_AUTH:
		return ACL_NEED_AUTH;
	default:
		return ACL_NEED_DST;
	}
}

enum acl_verdict
acl_check(const struct access_list *list, const struct acl_ctx *ctx, int dflt,
	  const struct access_rule **rule)
{
	size_t i;
	int m;

	if (rule != NULL)
		*rule = NULL;
	if (list->n == 0)
		return dflt ? ACL_ALLOW : ACL_DENY;
	for (i = 0; i < list->n; i++) {
		m = rule_match(&list->rule[i], ctx);
		if (m < 0)
			return verdict_of(m);
		if (m > 0) {
			if (rule != NULL)
				*rule = &list->rule[i];
			return list->rule[i].allow ? ACL_ALLOW : ACL_DENY;
		}
	}
	/* Squid: no rule matched, so do the opposite of the last one. */
	return list->rule[list->n - 1].allow ? ACL_DENY : ACL_ALLOW;
}

enum acl_verdict
acl_first(const struct access_list *list, const struct acl_ctx *ctx,
	  int (*ok)(int action, void *arg), void *arg,
	  const struct access_rule **rule)
{
	const struct access_rule *r;
	size_t i;
	int m;

	if (rule != NULL)
		*rule = NULL;
	for (i = 0; i < list->n; i++) {
		r = &list->rule[i];
		if (ok != NULL && !ok(r->allow, arg))
			continue;
		m = rule_match(r, ctx);
		if (m < 0)
			return verdict_of(m);
		if (m > 0) {
			if (rule != NULL)
				*rule = r;
			return ACL_ALLOW;
		}
	}
	return ACL_DENY;
}
