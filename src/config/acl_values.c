/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl_values.c - the values of "acl" lines: addresses and ranges (and
 * host names resolved at load), ports and numbers, times, MAC addresses,
 * the check that keeps regexes from exploding in regcomp(), and the
 * names of the TLS acls (at_step, ssl_error, squid_error).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl/acl.h"
#include "config/acl-int.h"
#include "config/cfg-int.h"
#include "config/config.h"

/* Strict decimal in [0, max]; no sign, no spaces. */
int
cfg_acl_parse_uint(const char *s, size_t len, unsigned long max,
		   unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* A numeric address, "[v6]" allowed; the family and the 16 bytes (IPv4 in
 * the first 4). Returns 0 or -1. Shared with cfg_util.c. */
int
cfg_parse_addr(const char *s, size_t len, int *family, struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 2];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* A netmask a.b.c.d with contiguous ones, as a prefix length, or -1. */
int
cfg_acl_mask_bits(const struct in6_addr *m)
{
	uint32_t v;
	int bits = 0;

	memcpy(&v, m->s6_addr, 4);
	v = ntohl(v);
	while (bits < 32 && (v & 0x80000000u)) {
		v <<= 1;
		bits++;
	}
	return v == 0 ? bits : -1;
}

/*
 * One src/dst value: ADDR, ADDR/BITS, IPv4/NETMASK, ADDR-ADDR or "all".
 * Fills out[0] (and out[1] for "all"), returns how many, or -1 after
 * reporting. Host bits under the mask are cleared with a warning, as Squid
 * does.
 */
int
cfg_acl_parse_ip_value(struct cfg_parse *p, const struct acl *acl,
	       const struct tok *t, struct acl_ip *out)
{
	const char *s = t->s, *slash, *dash;
	struct in6_addr a, b, m;
	int fam, fam2, bits, maxbits, i, hostbits = 0;
	unsigned long ul;

	/* Squid takes these old spellings of "all" as "all" (both
	 * families), with a notice. */
	if (strcmp(s, "0/0") == 0 || strcmp(s, "0.0.0.0/0") == 0 ||
	    strcmp(s, "0.0.0.0/0.0.0.0") == 0 ||
	    strcmp(s, "0.0.0.0-255.255.255.255") == 0 ||
	    strcmp(s, "0.0.0.0-0.0.0.0/0") == 0) {
		cfg_warn(p, t, "acl %s: '%s' needs to be replaced by the term "
			 "'all'; using 'all' (IPv4 and IPv6) instead",
			 acl->name, s);
		s = "all";
	}
	if (strcmp(s, "all") == 0) {
		memset(out, 0, 2 * sizeof(*out));
		out[0].family = AF_INET;
		memset(&out[0].hi, 0xff, 4);
		out[1].family = AF_INET6;
		memset(&out[1].hi, 0xff, 16);
		return 2;
	}
	/* Squid's "ipv4" and "ipv6": every address of one family. */
	if (strcmp(s, "ipv4") == 0 || strcmp(s, "ipv6") == 0) {
		memset(out, 0, sizeof(*out));
		out->family = s[3] == '4' ? AF_INET : AF_INET6;
		memset(&out->hi, 0xff, s[3] == '4' ? 4 : 16);
		return 1;
	}
	dash = strchr(s, '-');
	slash = strchr(s, '/');
	if (dash != NULL) {
		if (slash != NULL ||
		    cfg_parse_addr(s, (size_t)(dash - s), &fam, &a) < 0 ||
		    cfg_parse_addr(dash + 1, strlen(dash + 1), &fam2, &b) < 0) {
			goto bad;
		}
		if (fam != fam2 || memcmp(&a, &b, sizeof(a)) > 0) {
			cfg_err(p, t, "acl %s: invalid address range '%s': "
				"both ends must be of the same family, low "
				"first", acl->name, s);
			return -1;
		}
		out->family = fam;
		out->lo = a;
		out->hi = b;
		return 1;
	}
	if (cfg_parse_addr(s, slash ? (size_t)(slash - s) : strlen(s), &fam,
		       &a) < 0) {
		goto bad;
	}
	maxbits = fam == AF_INET ? 32 : 128;
	bits = maxbits;
	if (slash != NULL) {
		if (cfg_acl_parse_uint(slash + 1, strlen(slash + 1),
				       (unsigned)maxbits, &ul) == 0) {
			bits = (int)ul;
		} else if (fam == AF_INET &&
			   cfg_parse_addr(slash + 1, strlen(slash + 1), &fam2,
				      &m) == 0 && fam2 == AF_INET &&
			   (bits = cfg_acl_mask_bits(&m)) >= 0) {
			/* a.b.c.d/255.255.0.0 */
		} else {
			cfg_err(p, t, "acl %s: invalid mask in '%s'",
				acl->name, s);
			return -1;
		}
	}
	out->family = fam;
	out->lo = a;
	out->hi = a;
	for (i = bits; i < maxbits; i++) {
		unsigned char bit = (unsigned char)(0x80 >> (i % 8));

		if (out->lo.s6_addr[i / 8] & bit)
			hostbits = 1;
		out->lo.s6_addr[i / 8] &= (unsigned char)~bit;
		out->hi.s6_addr[i / 8] |= bit;
	}
	if (hostbits) {
		char nbuf[INET6_ADDRSTRLEN];

		inet_ntop(fam, &out->lo, nbuf, sizeof(nbuf));
		cfg_warn(p, t, "acl %s: '%s' has bits set outside its mask; "
			 "using %s/%d", acl->name, s, nbuf, bits);
	}
	return 1;
bad:
	cfg_err(p, t, "acl %s: invalid address '%s'", acl->name, s);
	return -1;
}

/* One value of an address acl, and where it was written. */
void
cfg_acl_push_ip(struct cfg_parse *p, struct acl *acl, const struct tok *t,
	const struct acl_ip *ip)
{
	size_t nloc = acl->n;
	struct acl_vloc *vl;

	*AR_PUSH(p->ar, acl->v.ip, acl->n) = *ip;
	vl = AR_PUSH(p->ar, acl->vloc, nloc);
	vl->file = t->file;
	vl->line = t->line;
}

/*
 * A src/dst/localip value that is a host name (not a keyword, mask or
 * address): Squid resolves it when it reads the line and adds every
 * address the name has; the acl does not follow later DNS changes.
 * Returns 1 when t was a name (added, or reported), 0 when it is not.
 */
int
cfg_acl_add_ip_name(struct cfg_parse *p, struct acl *acl, const struct tok *t)
{
	struct sockaddr_storage *v;
	struct acl_ip ip;
	char what[160];
	size_t n, i;

	if (strcmp(t->s, "all") == 0 || strcmp(t->s, "ipv4") == 0 ||
	    strcmp(t->s, "ipv6") == 0 || !cfg_is_hostname(t->s, strlen(t->s)))
		return 0;
	snprintf(what, sizeof(what), "acl %s", acl->name);
	n = cfg_resolve(p, t, what, t->s, strlen(t->s), AF_UNSPEC, &v);
	for (i = 0; i < n; i++) {
		memset(&ip, 0, sizeof(ip));
		ip.family = v[i].ss_family;
		if (ip.family == AF_INET)
			memcpy(&ip.lo, &((struct sockaddr_in *)&v[i])->sin_addr,
			       4);
		else
			ip.lo = ((struct sockaddr_in6 *)&v[i])->sin6_addr;
		ip.hi = ip.lo;
		cfg_acl_push_ip(p, acl, t, &ip);
	}
	return 1;
}

/* N or N-M, 0..65535. */
int
cfg_acl_parse_port_value(struct cfg_parse *p, const struct acl *acl,
		 const struct tok *t, struct acl_range *out)
{
	const char *dash = strchr(t->s, '-');
	unsigned long lo, hi;

	if (dash == NULL) {
		if (cfg_acl_parse_uint(t->s, strlen(t->s), 65535, &lo) < 0)
			goto bad;
		hi = lo;
	} else if (cfg_acl_parse_uint(t->s, (size_t)(dash - t->s), 65535,
				      &lo) < 0 ||
		   cfg_acl_parse_uint(dash + 1, strlen(dash + 1), 65535,
				      &hi) < 0 || lo > hi) {
		goto bad;
	}
	out->lo = (uint32_t)lo;
	out->hi = (uint32_t)hi;
	return 0;
bad:
	cfg_err(p, t, "acl %s: invalid port or port range '%s' (expected N "
		"or N-M, 0..65535)", acl->name, t->s);
	return -1;
}


/* N, N-M or N- (up to max). */
int
cfg_acl_parse_num_range(const char *s, unsigned long max, struct acl_range *out)
{
	const char *dash = strchr(s, '-');
	unsigned long lo, hi;

	if (dash == NULL) {
		if (cfg_acl_parse_uint(s, strlen(s), max, &lo) < 0)
			return -1;
		hi = lo;
	} else if (cfg_acl_parse_uint(s, (size_t)(dash - s), max, &lo) < 0) {
		return -1;
	} else if (dash[1] == '\0') {
		hi = max;
	} else if (cfg_acl_parse_uint(dash + 1, strlen(dash + 1), max,
				      &hi) < 0 || lo > hi) {
		return -1;
	}
	out->lo = (uint32_t)lo;
	out->hi = (uint32_t)hi;
	return 0;
}

/*
 * One "time" value: day letters (Squid's S M T W H F A, D for Monday to
 * Friday, '-' a placeholder) that apply to the next time range, or a
 * range h1:m1-h2:m2 (24:00 allowed as its end). Days with no range after
 * them cover the whole day (cfg_acl_line() adds that entry).
 */
void
cfg_acl_add_time(struct cfg_parse *p, const struct tok *t, struct acl_add *aa)
{
	static const char letters[] = "SMTWHFA";
	struct acl *acl = aa->acl;
	struct acl_time *e;
	const char *q, *d;
	int h1, m1, h2, m2, used = 0;
	char end;

	if (*t->s < '0' || *t->s > '9') {
		for (q = t->s; *q != '\0'; q++) {
			d = strchr(letters, *q);
			if (*q == 'D')
				aa->days |= 0x3e;
			else if (*q == '-')
				continue;
			else if (d != NULL)
				aa->days |= 1u << (d - letters);
			else {
				cfg_err(p, t, "acl %s: bad day '%c' in '%s' "
					"(days are S M T W H F A, D for "
					"Monday to Friday)", acl->name, *q,
					t->s);
				return;
			}
		}
		return;
	}
	if (sscanf(t->s, "%d:%d-%d:%d%n%c", &h1, &m1, &h2, &m2, &used,
		   &end) != 4 || used != (int)strlen(t->s) ||
	    h1 < 0 || h1 > 23 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 ||
	    h2 < 0 || h2 > 24 || (h2 == 24 && m2 != 0)) {
		cfg_err(p, t, "acl %s: bad time range '%s' (expected "
			"HH:MM-HH:MM)", acl->name, t->s);
		return;
	}
	if (h1 * 60 + m1 > h2 * 60 + m2) {
		cfg_err(p, t, "acl %s: reversed time range '%s': the start "
			"must not be after the end (write two ranges to "
			"cross midnight)", acl->name, t->s);
		return;
	}
	e = AR_PUSH(p->ar, acl->v.time, acl->n);
	e->days = aa->days ? aa->days : 0x7f;
	e->start = (unsigned)(h1 * 60 + m1);
	e->stop = (unsigned)(h2 * 60 + m2);
	aa->days = 0;
}

/* xx:xx:xx:xx:xx:xx (or with '-'), hex digits. */
int
cfg_acl_parse_mac(const char *s, unsigned char mac[6])
{
	unsigned v[6];
	int i, used = 0;
	char sep = s[2];

	if ((sep != ':' && sep != '-') || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) ||
		    !isxdigit((unsigned char)s[i * 3 + 1]) ||
		    (i < 5 && s[i * 3 + 2] != sep))
			return -1;
		if (sscanf(s + i * 3, "%2x%n", &v[i], &used) != 1 || used != 2)
			return -1;
		mac[i] = (unsigned char)v[i];
	}
	return 0;
}

/*
 * glibc's regcomp() builds a tree that doubles with each stacked
 * repetition operator ("a+++..." or "(a{99}){99}"): a short pattern can
 * take gigabytes (found by fuzz_config). POSIX leaves stacked operators
 * undefined anyway, so refuse them (one '?' after a repetition aside,
 * which real squid.conf files use), and bound {n,m} counts. Returns NULL
 * when the pattern is acceptable, else why not.
 */
const char *
cfg_acl_regex_too_costly(const char *re)
{
	int prev_quant = 0, nbound = 0, depth = 0;
	unsigned long n, top, prod = 1;
	const char *p = re;

	while (*p) {
		if (*p == '\\') {
			p += p[1] ? 2 : 1;
			prev_quant = 0;
			continue;
		}
		if (*p == '[') {	/* bracket expression: literal chars */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']')
				p++;
			if (*p)
				p++;
			prev_quant = 0;
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			/* One '?' after a repetition ("(.*?)", written by
			 * people used to Perl's lazy operators, which GNU
			 * regex reads as an optional repetition) copies the
			 * tree once, as Squid's regcomp() accepts it; more
			 * stacking is refused. */
			if (prev_quant == 1 && *p == '?') {
				prev_quant = 2;
				p++;
				continue;
			}
			if (prev_quant)
				return "stacked repetition operators";
			if (*p == '{') {
				if (++nbound > 8)
					return "more than 8 {n,m} bounds";
				top = 1;
				for (p++; *p && *p != '}'; p++) {
					if (*p < '0' || *p > '9')
						continue;
					for (n = 0; *p >= '0' && *p <= '9' &&
					     n <= 255; p++)
						n = n * 10 +
						    (unsigned long)(*p - '0');
					if (n > 255)
						return "a {n,m} bound "
						    "above 255";
					if (n > top)
						top = n;
					p--;
				}
				/* Nested bounds multiply the tree. */
				prod *= top;
				if (prod > 100000)
					return "{n,m} bounds multiply "
					    "past 100000";
			}
			prev_quant = 1;
			if (*p)
				p++;
			continue;
		}
		if (*p == '(' && ++depth > 20)
			return "groups nested deeper than 20";
		if (*p == ')' && depth > 0)
			depth--;
		prev_quant = 0;
		p++;
	}
	return NULL;
}

/* ------------------------------------------------------------ TLS acls */

char *
cfg_acl_canon_ip6(struct cfg_parse *p, const char *s)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a;
	int fam;

	if (cfg_parse_addr(s, strlen(s), &fam, &a) < 0 || fam != AF_INET6 ||
	    inet_ntop(AF_INET6, &a, buf, sizeof(buf)) == NULL)
		return NULL;
	return ar_strdup(p->ar, buf);
}

/*
 * at_step SslBump1|SslBump2|SslBump3 (any case, as Squid compares them).
 * Squid's GeneratingCONNECT is the step of a CONNECT request sent to a
 * cache_peer: tproxyd never sends one, so the value is kept but can
 * never match, and the operator is told.
 */
void
cfg_acl_add_step(struct cfg_parse *p, const struct tok *t, struct acl *acl)
{
	unsigned step;

	if (strcasecmp(t->s, "SslBump1") == 0)
		step = 1;
	else if (strcasecmp(t->s, "SslBump2") == 0)
		step = 2;
	else if (strcasecmp(t->s, "SslBump3") == 0)
		step = 3;
	else if (strcasecmp(t->s, "GeneratingCONNECT") == 0) {
		cfg_warn(p, t, "acl %s: at_step %s never matches in tproxyd: "
			 "it is the step of a CONNECT request sent to a "
			 "cache_peer, and tproxyd sends CONNECT requests "
			 "directly", acl->name, t->s);
		step = ACL_STEP_GENERATING_CONNECT;
	} else {
		cfg_err(p, t, "acl %s: unknown at_step step '%s' (SslBump1, "
			"SslBump2, SslBump3 or GeneratingCONNECT)", acl->name,
			t->s);
		return;
	}
	*AR_PUSH(p->ar, acl->v.num, acl->n) = step;
}

/* Squid's shortcuts for groups of certificate errors (also the names of
 * predefined acls, with "ssl::" before them). */
static const struct {
	const char *name;
	const char *errors[7];
} ssl_shortcuts[] = {
	{ "certHasExpired",	{ "X509_V_ERR_CERT_HAS_EXPIRED" } },
	{ "certNotYetValid",	{ "X509_V_ERR_CERT_NOT_YET_VALID" } },
	{ "certDomainMismatch",	{ "SQUID_X509_V_ERR_DOMAIN_MISMATCH" } },
	{ "certUntrusted",	{ "X509_V_ERR_INVALID_CA",
	  "X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN",
	  "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE",
	  "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT",
	  "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
	  "X509_V_ERR_CERT_UNTRUSTED" } },
	{ "certSelfSigned",	{ "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT" } },
};

static void
push_word(struct cfg_parse *p, struct acl *acl, const char *w)
{
	size_t i;

	for (i = 0; i < acl->n; i++)
		if (strcmp(acl->v.word[i], w) == 0)
			return;
	*AR_PUSH(p->ar, acl->v.word, acl->n) = ar_strdup(p->ar, w);
}

/*
 * One ssl_error value, read as Squid's Ssl::ParseErrorString() reads it: a
 * certificate error's name (X509_V_ERR_*, SQUID_X509_V_ERR_*), a number
 * (C notation, as strtol(s, 0, 0)), or a shortcut (ssl::certUntrusted,
 * ...) for several errors. Values are kept as the names
 * acl_ctx.ssl_errors carries. A number OpenSSL gives no name here (and 0,
 * X509_V_OK: no error) is kept out with a warning, as it never matches.
 */
void
cfg_acl_add_ssl_error(struct cfg_parse *p, const struct tok *t,
		      struct acl *acl)
{
	const char *name = t->s, *canon;
	unsigned long v;
	size_t i, k;
	char *end;

	canon = acl_ssl_error_canon(name);
	if (canon != NULL) {
		push_word(p, acl, canon);
		return;
	}
	if (*name >= '0' && *name <= '9') {
		errno = 0;
		v = strtoul(name, &end, 0);
		if (*end != '\0' || errno != 0 || v > 0x7fffffffUL) {
			cfg_err(p, t, "acl %s: invalid TLS error number '%s'",
				acl->name, name);
			return;
		}
		canon = acl_ssl_error_name((long)v);
		if (canon == NULL) {
			cfg_warn(p, t, "acl %s: TLS error number %s has no "
				 "name tproxyd knows (X509_V_ERR_* codes are "
				 "1 to 94): it never matches", acl->name,
				 name);
			return;
		}
		push_word(p, acl, canon);
		return;
	}
	if (strncmp(name, "ssl::", 5) == 0)
		name += 5;
	for (i = 0; i < CFG_NELEM(ssl_shortcuts); i++) {
		if (strcmp(ssl_shortcuts[i].name, name) != 0)
			continue;
		for (k = 0; k < CFG_NELEM(ssl_shortcuts[i].errors) &&
		     ssl_shortcuts[i].errors[k] != NULL; k++)
			push_word(p, acl, acl_ssl_error_canon(
				  ssl_shortcuts[i].errors[k]));
		return;
	}
	cfg_err(p, t, "acl %s: unknown TLS error '%s' (an X509_V_ERR_* name, "
		"SQUID_X509_V_ERR_DOMAIN_MISMATCH, or a shortcut such as "
		"ssl::certUntrusted)", acl->name, t->s);
}

/* One squid_error value: one of Squid's error names (ERR_*). */
void
cfg_acl_add_squid_error(struct cfg_parse *p, const struct tok *t,
			struct acl *acl)
{
	const char *canon = acl_squid_error_canon(t->s);

	if (canon == NULL) {
		cfg_err(p, t, "acl %s: unknown Squid error '%s' (such as "
			"ERR_PROTOCOL_UNKNOWN, ERR_REQUEST_START_TIMEOUT or "
			"ERR_TOO_BIG)", acl->name, t->s);
		return;
	}
	push_word(p, acl, canon);
}
