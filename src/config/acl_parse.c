/*
 * acl_parse.c - the "acl NAME TYPE VALUE..." directive, the predefined
 * ACLs, and references to ACLs from the *_access directives.
 *
 * Values are appended to the ACL while the file is read (several lines
 * with the same name and type add up, as in Squid). cfg_acl_finish() then
 * puts them in the form src/acl/acl.c matches against: dstdomain and
 * srcdomain sorted
 * and deduplicated, regexes compiled.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "config/cfg-int.h"
#include "config/config.h"

const char cfg_builtin_file[] = "<predefined>";

/* The first name of a type is the one messages use. */
static const struct {
	const char    *name;
	enum acl_type  type;
} acl_types[] = {
	{ "src",		ACL_SRC },
	{ "dst",		ACL_DST },
	{ "port",		ACL_PORT },
	{ "localport",		ACL_LOCALPORT },
	{ "myport",		ACL_LOCALPORT },	/* Squid 3 name */
	{ "myportname",		ACL_MYPORTNAME },
	{ "localip",		ACL_LOCALIP },
	{ "myip",		ACL_LOCALIP },		/* Squid 3 name */
	{ "method",		ACL_METHOD },
	{ "proto",		ACL_PROTO },
	{ "dstdomain",		ACL_DSTDOMAIN },
	{ "dstdom_regex",	ACL_DSTDOM_REGEX },
	{ "srcdomain",		ACL_SRCDOMAIN },
	{ "srcdom_regex",	ACL_SRCDOM_REGEX },
	{ "url_regex",		ACL_URL_REGEX },
	{ "urlpath_regex",	ACL_URLPATH_REGEX },
	{ "time",		ACL_TIME },
	{ "browser",		ACL_BROWSER },
	{ "referer_regex",	ACL_REFERER_REGEX },
	{ "req_header",		ACL_REQ_HEADER },
	{ "rep_header",		ACL_REP_HEADER },
	{ "req_mime_type",	ACL_REQ_MIME_TYPE },
	{ "rep_mime_type",	ACL_REP_MIME_TYPE },
	{ "http_status",	ACL_HTTP_STATUS },
	{ "arp",		ACL_ARP },
	{ "maxconn",		ACL_MAXCONN },
	{ "has",		ACL_HAS },
	{ "all-of",		ACL_ALL_OF },
	{ "any-of",		ACL_ANY_OF },
};

/*
 * Squid's acl types that tproxyd does not have, and what ignoring them
 * would do: every one decides access, so a configuration using one is
 * refused rather than loaded with the rule quietly changed.
 */
static const struct {
	const char *name;
	const char *why;
} acl_refused[] = {
	{ "proxy_auth",		"tproxyd has no proxy authentication "
	  "(auth_param); users could not be told apart" },
	{ "proxy_auth_regex",	"tproxyd has no proxy authentication "
	  "(auth_param); users could not be told apart" },
	{ "max_user_ip",	"tproxyd has no proxy authentication "
	  "(auth_param)" },
	{ "ext_user",		"tproxyd has no external_acl_type helpers" },
	{ "ext_user_regex",	"tproxyd has no external_acl_type helpers" },
	{ "external",		"tproxyd has no external_acl_type helpers; "
	  "the helper's decision would be lost" },
	{ "ssl_error",		"tproxyd does not intercept TLS (ssl_bump)" },
	{ "server_cert_fingerprint", "tproxyd does not intercept TLS "
	  "(ssl_bump)" },
	{ "at_step",		"tproxyd does not intercept TLS (ssl_bump)" },
	{ "ssl::server_name",	"tproxyd does not intercept TLS (ssl_bump)" },
	{ "ssl::server_name_regex", "tproxyd does not intercept TLS "
	  "(ssl_bump)" },
	{ "user_cert",		"tproxyd has no TLS client certificates" },
	{ "ca_cert",		"tproxyd has no TLS client certificates" },
	{ "connections_encrypted", "tproxyd does not intercept TLS "
	  "(ssl_bump)" },
	{ "peername",		"it matches cache_peer selection, which "
	  "tproxyd makes before such acls could be asked" },
	{ "peername_regex",	"it matches cache_peer selection, which "
	  "tproxyd makes before such acls could be asked" },
	{ "eui64",		"tproxyd matches MAC addresses (arp) only, "
	  "not EUI-64" },
	{ "snmp_community",	"tproxyd has no SNMP agent" },
	{ "note",		"tproxyd keeps no transaction annotations" },
	{ "tag",		"tproxyd keeps no transaction tags" },
	{ "adaptation_service",	"tproxyd has no ICAP/eCAP adaptation" },
	{ "hier_code",		"tproxyd does not have it" },
	{ "squid_error",	"tproxyd does not have it" },
	{ "transaction_initiator", "tproxyd does not have it" },
	{ "random",		"tproxyd does not have it" },
	{ "client_connection_mark", "tproxyd does not read connection "
	  "marks" },
	{ "clientside_mark",	"tproxyd does not read connection marks" },
	{ "annotate_transaction", "tproxyd keeps no transaction "
	  "annotations" },
	{ "annotate_client",	"tproxyd keeps no transaction annotations" },
};

/*
 * Squid's predefined ACLs (Squid 5 and later: src/cf.data.pre, "acl"),
 * there before the file is read. "manager" is defined so that
 * configurations copied from Squid (http_access allow localhost manager)
 * load; tproxyd has no cache manager, so it matches nothing in practice.
 */
static const char *const builtin_acls[] = {
	"acl all src all",
	"acl manager url_regex +i ^[^:]+://[^/]+/squid-internal-mgr/",
	"acl localhost src 127.0.0.1/32 ::1",
	"acl to_localhost dst 127.0.0.0/8 0.0.0.0/32 ::1/128 ::/128",
	"acl to_linklocal dst 169.254.0.0/16 fe80::/10",
	"acl CONNECT method CONNECT",
};

static const char *
type_name(enum acl_type type)
{
	size_t i;

	for (i = 0; i < sizeof(acl_types) / sizeof(acl_types[0]); i++)
		if (acl_types[i].type == type)
			return acl_types[i].name;
	return "?";
}

/* Values compiled as regexes into v.re by cfg_acl_finish(). */
static int
is_regex(enum acl_type type)
{
	return type == ACL_DSTDOM_REGEX || type == ACL_SRCDOM_REGEX ||
	    type == ACL_URL_REGEX ||
	    type == ACL_URLPATH_REGEX || type == ACL_BROWSER ||
	    type == ACL_REFERER_REGEX ||
	    type == ACL_REQ_MIME_TYPE || type == ACL_REP_MIME_TYPE;
}

static int
is_header(enum acl_type type)
{
	return type == ACL_REQ_HEADER || type == ACL_REP_HEADER;
}

static int
is_ip(enum acl_type type)
{
	return type == ACL_SRC || type == ACL_DST || type == ACL_LOCALIP;
}

/* Squid allows letters, digits and "-_." in ACL names. */
static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.", *s) == NULL)
			return 0;
	return 1;
}

/* Strict decimal in [0, max]; no sign, no spaces. */
static int
parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
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
static int
mask_bits(const struct in6_addr *m)
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
static int
parse_ip_value(struct cfg_parse *p, const struct acl *acl,
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
		if (parse_uint(slash + 1, strlen(slash + 1), (unsigned)maxbits,
			       &ul) == 0) {
			bits = (int)ul;
		} else if (fam == AF_INET &&
			   cfg_parse_addr(slash + 1, strlen(slash + 1), &fam2,
				      &m) == 0 && fam2 == AF_INET &&
			   (bits = mask_bits(&m)) >= 0) {
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
static void
push_ip(struct cfg_parse *p, struct acl *acl, const struct tok *t,
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
static int
add_ip_name(struct cfg_parse *p, struct acl *acl, const struct tok *t)
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
		push_ip(p, acl, t, &ip);
	}
	return 1;
}

/* N or N-M, 0..65535. */
static int
parse_port_value(struct cfg_parse *p, const struct acl *acl,
		 const struct tok *t, struct acl_range *out)
{
	const char *dash = strchr(t->s, '-');
	unsigned long lo, hi;

	if (dash == NULL) {
		if (parse_uint(t->s, strlen(t->s), 65535, &lo) < 0)
			goto bad;
		hi = lo;
	} else if (parse_uint(t->s, (size_t)(dash - t->s), 65535, &lo) < 0 ||
		   parse_uint(dash + 1, strlen(dash + 1), 65535, &hi) < 0 ||
		   lo > hi) {
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

/* Per-line state for adding values: the ACL, the regex -i flag, and what
 * some types carry from one value to the next. */
struct acl_add {
	struct acl       *acl;
	int               icase;
	const char       *hname;	/* req_header / rep_header: the field */
	unsigned          days;		/* time: days not yet given a range */
	struct acl_group *grp;		/* all-of / any-of: this line's */
};

/* N, N-M or N- (up to max). */
static int
parse_num_range(const char *s, unsigned long max, struct acl_range *out)
{
	const char *dash = strchr(s, '-');
	unsigned long lo, hi;

	if (dash == NULL) {
		if (parse_uint(s, strlen(s), max, &lo) < 0)
			return -1;
		hi = lo;
	} else if (parse_uint(s, (size_t)(dash - s), max, &lo) < 0) {
		return -1;
	} else if (dash[1] == '\0') {
		hi = max;
	} else if (parse_uint(dash + 1, strlen(dash + 1), max, &hi) < 0 ||
		   lo > hi) {
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
static void
add_time(struct cfg_parse *p, const struct tok *t, struct acl_add *aa)
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
static int
parse_mac(const char *s, unsigned char mac[6])
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

/* Whether from reaches to through all-of / any-of references. */
static int
acl_reaches(const struct acl *from, const struct acl *to, int depth)
{
	size_t i, k;

	if (from == to)
		return 1;
	if (depth > 64 || (from->type != ACL_ALL_OF &&
			   from->type != ACL_ANY_OF))
		return depth > 64;
	for (i = 0; i < from->n; i++)
		for (k = 0; k < from->v.grp[i].n; k++)
			if (acl_reaches(from->v.grp[i].ref[k].acl, to,
					depth + 1))
				return 1;
	return 0;
}

static struct acl *acl_lookup(const struct cfg *c, const char *name);

/*
 * glibc's regcomp() builds a tree that doubles with each stacked
 * repetition operator ("a+++..." or "(a{99}){99}"): a short pattern can
 * take gigabytes (found by fuzz_config). POSIX leaves stacked operators
 * undefined anyway, so refuse them, and bound {n,m} counts. Returns NULL
 * when the pattern is acceptable, else why not.
 */
static const char *
regex_too_costly(const char *re)
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

static void
add_value(struct cfg_parse *p, const struct tok *t, void *arg)
{
	struct acl_add *aa = arg;
	struct acl *acl = aa->acl;
	struct acl_ip ip[2];
	struct acl_range r;
	struct acl_ref ref;
	unsigned char mac[6];
	unsigned long ul;
	regex_t re;
	char ebuf[128], *w;
	const char *why;
	size_t len, hlen;
	int i, k, rc;

	switch (acl->type) {
	case ACL_SRC:
	case ACL_DST:
	case ACL_LOCALIP:
		if (add_ip_name(p, acl, t))
			break;
		k = parse_ip_value(p, acl, t, ip);
		for (i = 0; i < k; i++)
			push_ip(p, acl, t, &ip[i]);
		break;
	case ACL_PORT:
	case ACL_LOCALPORT:
		if (parse_port_value(p, acl, t, &r) == 0)
			*AR_PUSH(p->ar, acl->v.range, acl->n) = r;
		break;
	case ACL_HTTP_STATUS:
		if (parse_num_range(t->s, 999, &r) == 0)
			*AR_PUSH(p->ar, acl->v.range, acl->n) = r;
		else
			cfg_err(p, t, "acl %s: invalid status or status range "
				"'%s' (expected N, N-M or N-, 0..999)",
				acl->name, t->s);
		break;
	case ACL_TIME:
		add_time(p, t, aa);
		break;
	case ACL_ARP:
		if (parse_mac(t->s, mac) == 0)
			memcpy(*AR_PUSH(p->ar, acl->v.mac, acl->n), mac, 6);
		else
			cfg_err(p, t, "acl %s: invalid MAC address '%s' "
				"(expected xx:xx:xx:xx:xx:xx)", acl->name,
				t->s);
		break;
	case ACL_MAXCONN:
		if (parse_uint(t->s, strlen(t->s), 0xffffffffUL, &ul) < 0) {
			cfg_err(p, t, "acl %s: invalid connection count '%s'",
				acl->name, t->s);
			break;
		}
		if (acl->n > 0) {
			cfg_warn(p, t, "acl %s: maxconn takes one number; "
				 "%s replaces %u", acl->name, t->s,
				 acl->v.num[0]);
			acl->v.num[0] = (unsigned)ul;
			break;
		}
		*AR_PUSH(p->ar, acl->v.num, acl->n) = (unsigned)ul;
		break;
	case ACL_HAS:
		if (strcmp(t->s, "request") == 0)
			k = ACL_HAS_REQUEST;
		else if (strcmp(t->s, "response") == 0)
			k = ACL_HAS_RESPONSE;
		else if (strcmp(t->s, "ALE") == 0)
			k = ACL_HAS_ALE;
		else {
			cfg_err(p, t, "acl %s: unknown component '%s' "
				"(request, response or ALE)", acl->name,
				t->s);
			break;
		}
		*AR_PUSH(p->ar, acl->v.num, acl->n) = (unsigned)k;
		break;
	case ACL_ALL_OF:
	case ACL_ANY_OF:
		ref.negate = t->s[0] == '!';
		ref.acl = acl_lookup(p->c, t->s + ref.negate);
		if (ref.acl == NULL) {
			cfg_err(p, t, "acl %s: undefined acl '%s' (define it "
				"before this line)", acl->name,
				t->s + ref.negate);
			break;
		}
		if (acl_reaches(ref.acl, acl, 0)) {
			cfg_err(p, t, "acl %s: '%s' refers back to %s",
				acl->name, t->s + ref.negate, acl->name);
			break;
		}
		if (aa->grp == NULL)
			aa->grp = AR_PUSH(p->ar, acl->v.grp, acl->n);
		*AR_PUSH(p->ar, aa->grp->ref, aa->grp->n) = ref;
		break;
	case ACL_MYPORTNAME:
	case ACL_METHOD:
	case ACL_PROTO:
		/* A value given twice (CONNECT is predefined) counts once. */
		for (i = 0; i < (int)acl->n; i++)
			if (strcmp(acl->v.word[i], t->s) == 0)
				return;
		*AR_PUSH(p->ar, acl->v.word, acl->n) = ar_strdup(p->ar, t->s);
		break;
	case ACL_REQ_HEADER:
	case ACL_REP_HEADER:
		if (aa->hname == NULL) {
			for (len = 0; t->s[len] != '\0'; len++)
				if ((unsigned char)t->s[len] <= ' ' ||
				    t->s[len] == ':' ||
				    (unsigned char)t->s[len] >= 127)
					break;
			if (t->s[len] != '\0' || len == 0) {
				cfg_err(p, t, "acl %s: invalid header name "
					"'%s'", acl->name, t->s);
				aa->hname = "";
				break;
			}
			aa->hname = ar_strdup(p->ar, t->s);
			break;
		}
		goto regex;
	case ACL_DSTDOMAIN:
	case ACL_SRCDOMAIN:
		len = strlen(t->s);
		/* "example.com." names the same domain as "example.com". */
		if (len > 1 && t->s[len - 1] == '.')
			len--;
		if (len == 0 || strcmp(t->s, ".") == 0 ||
		    strstr(t->s, "..") != NULL) {
			cfg_err(p, t, "acl %s: invalid domain '%s'", acl->name,
				t->s);
			break;
		}
		w = ar_strndup(p->ar, t->s, len);
		for (k = 0; w[k] != '\0'; k++)
			w[k] = (char)tolower((unsigned char)w[k]);
		*AR_PUSH(p->ar, acl->v.word, acl->n) = w;
		break;
	case ACL_DSTDOM_REGEX:
	case ACL_SRCDOM_REGEX:
	case ACL_URL_REGEX:
	case ACL_URLPATH_REGEX:
	case ACL_BROWSER:
	case ACL_REFERER_REGEX:
	case ACL_REQ_MIME_TYPE:
	case ACL_REP_MIME_TYPE:
	regex:
		/* Compiled here only to report errors at the right line;
		 * cfg_acl_finish() compiles into the final array. The first
		 * byte of the stored word carries the -i flag; header acls
		 * put "NAME\n" before the expression. */
		if ((why = regex_too_costly(t->s)) != NULL) {
			cfg_err(p, t, "acl %s: regular expression '%s' is too "
				"costly to compile: %s", acl->name, t->s, why);
			break;
		}
		rc = regcomp(&re, t->s, REG_EXTENDED | REG_NOSUB |
			     (aa->icase ? REG_ICASE : 0));
		if (rc != 0) {
			regerror(rc, &re, ebuf, sizeof(ebuf));
			cfg_err(p, t, "acl %s: invalid regular expression "
				"'%s': %s", acl->name, t->s, ebuf);
			break;
		}
		regfree(&re);
		len = strlen(t->s);
		hlen = is_header(acl->type) ? strlen(aa->hname) + 1 : 0;
		w = ar_alloc(p->ar, hlen + len + 2);
		w[0] = aa->icase ? 'i' : '-';
		if (hlen > 0) {
			memcpy(w + 1, aa->hname, hlen - 1);
			w[hlen] = '\n';
		}
		memcpy(w + 1 + hlen, t->s, len + 1);
		*AR_PUSH(p->ar, acl->v.word, acl->n) = w;
		break;
	}
}

static struct acl *
acl_lookup(const struct cfg *c, const char *name)
{
	struct acl *a;

	for (a = c->acls; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

const struct acl *
cfg_acl_find(const struct cfg *c, const char *name)
{
	return acl_lookup(c, name);
}

/*
 * acl NAME TYPE VALUE... Like Squid, a line for a name that exists (the
 * predefined ones included) adds its values to that acl when the type is
 * the same, and is an error when it is not.
 */
void
cfg_acl_line(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct acl_add aa;
	struct acl_time *e;
	struct acl *acl;
	enum acl_type type;
	const char *tname;
	size_t i, nval = 0;
	long k;

	if (n < 2) {
		cfg_err(p, &t[0], "acl: missing acl name");
		return;
	}
	if (!valid_name(t[1].s)) {
		cfg_err(p, &t[1], "acl: invalid acl name '%s' (letters, digits "
			"and -_. only)", t[1].s);
		return;
	}
	if (n < 3) {
		cfg_err(p, &t[1], "acl %s: missing acl type", t[1].s);
		return;
	}
	tname = t[2].s;
	for (i = 0; i < CFG_NELEM(acl_refused); i++)
		if (strcmp(acl_refused[i].name, tname) == 0) {
			cfg_err(p, &t[2], "'acl %s' is not supported by "
				"tproxyd: %s", tname, acl_refused[i].why);
			return;
		}
	for (i = 0; i < CFG_NELEM(acl_types); i++)
		if (strcmp(acl_types[i].name, tname) == 0)
			break;
	if (i == CFG_NELEM(acl_types)) {
		cfg_err(p, &t[2], "acl %s: unsupported acl type '%s'", t[1].s,
			tname);
		return;
	}
	type = acl_types[i].type;
	acl = acl_lookup(p->c, t[1].s);
	/* Squid 2 and 3 defaults: "acl manager proto cache_object". */
	if (type == ACL_PROTO && strcmp(t[1].s, "manager") == 0 &&
	    acl != NULL && acl->file == cfg_builtin_file) {
		cfg_warn(p, &t[1], "UPGRADE: ACL 'manager' is now a built-in "
			 "ACL. Remove it from your config file.");
		return;
	}
	if (strcmp(tname, "myip") == 0)
		cfg_warn(p, &t[2], "UPGRADE: ACL 'myip' type has been renamed "
			 "to 'localip' and matches the IP the client "
			 "connected to.");
	else if (strcmp(tname, "myport") == 0)
		cfg_warn(p, &t[2], "UPGRADE: ACL 'myport' type has been "
			 "renamed to 'localport' and matches the port the "
			 "client connected to.");
	if (acl != NULL && acl->type != type) {
		if (acl->file == cfg_builtin_file)
			cfg_err(p, &t[2], "acl %s: predefined with type '%s'; "
				"cannot add values of type '%s' (choose "
				"another name)", t[1].s, type_name(acl->type),
				tname);
		else
			cfg_err(p, &t[2], "acl %s: already defined as type "
				"'%s' at %s:%d; cannot add values of type "
				"'%s'", t[1].s, type_name(acl->type),
				acl->file, acl->line, tname);
		return;
	}
	if (acl == NULL) {
		/* Created even if the values turn out bad, so that the rules
		 * using it do not add "undefined acl" errors. */
		acl = ar_alloc(p->ar, sizeof(*acl));
		acl->name = ar_strdup(p->ar, t[1].s);
		acl->type = type;
		acl->file = t[1].file;
		acl->line = t[1].line;
		if (p->acl_tail != NULL)
			p->acl_tail->next = acl;
		else
			p->c->acls = acl;
		p->acl_tail = acl;
	}
	memset(&aa, 0, sizeof(aa));
	aa.acl = acl;
	for (i = 3; i < n; i++) {
		if (t[i].quoted) {
			k = lex_file_words(p, &t[i], add_value, &aa);
			if (k == 0)
				cfg_warn(p, &t[i], "acl %s: file \"%s\" has no "
					 "values", acl->name, t[i].s);
			nval++;
			continue;
		}
		if ((is_regex(type) || (is_header(type) && aa.hname)) &&
		    (strcmp(t[i].s, "-i") == 0 ||
		     strcmp(t[i].s, "+i") == 0)) {
			aa.icase = t[i].s[0] == '-';
			continue;
		}
		/* -n: "do not resolve"; tproxyd never resolves acl values. */
		if ((type == ACL_DSTDOMAIN || type == ACL_DST ||
		     type == ACL_DSTDOM_REGEX) && strcmp(t[i].s, "-n") == 0)
			continue;
		add_value(p, &t[i], &aa);
		nval++;
	}
	if (type == ACL_TIME && aa.days != 0) {
		/* Days without a range: all day. */
		e = AR_PUSH(p->ar, acl->v.time, acl->n);
		e->days = aa.days;
		e->start = 0;
		e->stop = 24 * 60;
	}
	if (nval == 0)
		cfg_err(p, &t[2], "acl %s: missing values", acl->name);
	else if (is_header(type) && nval == 1 && aa.hname != NULL)
		cfg_err(p, &t[2], "acl %s: missing regular expression after "
			"the header name '%s'", acl->name, aa.hname);
}

void
cfg_acl_builtin(struct cfg_parse *p)
{
	struct tok t[8];
	char buf[128], *q, *save;
	size_t i, n;

	for (i = 0; i < sizeof(builtin_acls) / sizeof(builtin_acls[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", builtin_acls[i]);
		n = 0;
		for (q = strtok_r(buf, " ", &save); q != NULL && n < 8;
		     q = strtok_r(NULL, " ", &save)) {
			t[n].s = q;
			t[n].file = cfg_builtin_file;
			t[n].line = 0;
			t[n].quoted = 0;
			n++;
		}
		cfg_acl_line(p, t, n);
	}
}

static int
cmp_word(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An address range as Squid prints it: ADDR, ADDR/BITS or LO-HI. */
static void
ip_fmt(const struct acl_ip *r, char *buf, size_t size)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int len = r->family == AF_INET ? 4 : 16, bits, i;
	unsigned char x;

	inet_ntop(r->family, &r->lo, lo, sizeof(lo));
	/* A prefix: lo and hi agree on the first bits, then lo has only
	 * zeros and hi only ones. */
	for (bits = 0; bits < len * 8; bits++) {
		x = (unsigned char)(0x80 >> (bits % 8));
		if ((r->lo.s6_addr[bits / 8] & x) !=
		    (r->hi.s6_addr[bits / 8] & x))
			break;
	}
	for (i = bits; i < len * 8; i++) {
		x = (unsigned char)(0x80 >> (i % 8));
		if ((r->lo.s6_addr[i / 8] & x) || !(r->hi.s6_addr[i / 8] & x))
			break;
	}
	if (i == len * 8 && bits == len * 8)
		snprintf(buf, size, "%s", lo);
	else if (i == len * 8)
		snprintf(buf, size, "%s/%d", lo, bits);
	else {
		inet_ntop(r->family, &r->hi, hi, sizeof(hi));
		snprintf(buf, size, "%s-%s", lo, hi);
	}
}

/* Sort order for merge_ips(): family, low end, wider first, then file
 * order. */
static int
cmp_ipx(const void *a, const void *b)
{
	const struct acl_ip *x = *(const struct acl_ip *const *)a;
	const struct acl_ip *y = *(const struct acl_ip *const *)b;
	int c;

	if (x->family != y->family)
		return x->family - y->family;
	if ((c = memcmp(&x->lo, &y->lo, sizeof(x->lo))) != 0)
		return c;
	if ((c = memcmp(&y->hi, &x->hi, sizeof(x->hi))) != 0)
		return c;
	return x < y ? -1 : x > y;
}

static void
ip_warn(struct cfg_parse *p, const struct acl *acl, size_t at,
	const char *fmt, const char *a, const char *b, const char *c)
{
	struct tok t;
	char msg[512];

	memset(&t, 0, sizeof(t));
	t.file = acl->vloc[at].file;
	t.line = acl->vloc[at].line;
	t.s = "";
	snprintf(msg, sizeof(msg), fmt, a, b, c);
	/* The predefined values are nobody's line: the redefinition is. */
	cfg_warn(p, t.file == cfg_builtin_file ? NULL : &t, "acl %s: %s",
		 acl->name, msg);
}

/*
 * Squid keeps the values of src/dst acls without overlaps, and says so
 * when a value is covered by, or overlaps, another: the case of the
 * Squid 2/3 defaults that redefine the predefined "localhost" or
 * "to_localhost". Matching gives the same answers either way; this keeps
 * Squid's warnings (and the lists short). O(n log n).
 */
static void
merge_ips(struct cfg_parse *p, struct acl *acl)
{
	struct acl_ip **ord, *k, *x, *out;
	char a[100], b[100], c[100];
	size_t i, n = acl->n, nout = 0, ki, xi;

	if (n < 2)
		return;
	ord = malloc(n * sizeof(*ord));
	if (ord == NULL)
		return;
	for (i = 0; i < n; i++)
		ord[i] = &acl->v.ip[i];
	qsort(ord, n, sizeof(*ord), cmp_ipx);
	for (i = 1, k = ord[0]; i < n; i++) {
		x = ord[i];
		if (x->family != k->family ||
		    memcmp(&x->lo, &k->hi, sizeof(x->lo)) > 0) {
			k = x;
			continue;
		}
		ki = (size_t)(k - acl->v.ip);
		xi = (size_t)(x - acl->v.ip);
		ip_fmt(k, a, sizeof(a));
		ip_fmt(x, b, sizeof(b));
		if (memcmp(&x->hi, &k->hi, sizeof(x->hi)) <= 0) {
			/* x inside k */
			if (xi > ki)
				ip_warn(p, acl, xi, "Ignoring %s because it is "
					"already covered by %s (advice: Remove "
					"value %s from the ACL)", b, a, b);
			else
				ip_warn(p, acl, ki, "Ignoring earlier %s "
					"because it is covered by %s (advice: "
					"Remove value %s from the ACL)", b, a,
					b);
		} else {
			k->hi = x->hi;
			ip_fmt(k, c, sizeof(c));
			ip_warn(p, acl, xi > ki ? xi : ki, "Merging "
				"overlapping %s and %s into %s", b, a, c);
		}
		x->family = 0;	/* dropped */
	}
	free(ord);
	out = ar_alloc(p->ar, n * sizeof(*out));
	for (i = 0; i < n; i++)
		if (acl->v.ip[i].family != 0)
			out[nout++] = acl->v.ip[i];
	acl->v.ip = out;
	acl->n = nout;
}

/* Compile the stored words ("F[NAME\n]REGEX", F the -i flag) of a regex
 * or header acl. */
static void
compile_words(struct cfg_parse *p, struct acl *acl)
{
	struct acl_hre *hre = NULL;
	regex_t *re = NULL;
	const char *w, *nl;
	size_t i, k = 0;
	int hdr = is_header(acl->type);

	if (hdr)
		hre = ar_alloc(p->ar, acl->n * sizeof(*hre));
	else
		re = ar_alloc(p->ar, acl->n * sizeof(*re));
	for (i = 0; i < acl->n; i++) {
		w = acl->v.word[i];
		nl = hdr ? strchr(w, '\n') : NULL;
		if (hdr && nl == NULL)
			continue;
		if (regcomp(hdr ? &hre[k].re : &re[k], nl ? nl + 1 : w + 1,
			    REG_EXTENDED | REG_NOSUB |
			    (w[0] == 'i' ? REG_ICASE : 0)) != 0)
			continue;
		if (hdr) {
			hre[k].name = ar_strndup(p->ar, w + 1,
						 (size_t)(nl - w - 1));
			ar_regex(p->ar, &hre[k].re, 1);
		}
		k++;
	}
	if (hdr) {
		acl->v.hre = hre;
	} else {
		ar_regex(p->ar, re, k);
		acl->v.re = re;
	}
	acl->n = k;
}

void
cfg_acl_finish(struct cfg_parse *p)
{
	struct acl *acl;
	size_t i, k;

	for (acl = p->c->acls; acl != NULL; acl = acl->next) {
		if ((acl->type == ACL_DSTDOMAIN ||
		     acl->type == ACL_SRCDOMAIN) && acl->n > 0) {
			/* acl.c looks names up with a binary search. */
			qsort(acl->v.word, acl->n, sizeof(char *), cmp_word);
			for (i = 1, k = 1; i < acl->n; i++)
				if (strcmp(acl->v.word[i],
					   acl->v.word[k - 1]) != 0)
					acl->v.word[k++] = acl->v.word[i];
			acl->n = k;
		} else if ((is_regex(acl->type) || is_header(acl->type)) &&
			   acl->n > 0) {
			compile_words(p, acl);
		} else if (is_ip(acl->type)) {
			merge_ips(p, acl);
		}
		acl->vloc = NULL;
	}
}

/* Whether matching acl needs the response (it never matches before). */
static int
acl_needs_reply(const struct acl *acl, int depth)
{
	size_t i, k;

	switch (acl->type) {
	case ACL_REP_HEADER:
	case ACL_REP_MIME_TYPE:
	case ACL_HTTP_STATUS:
		return 1;
	case ACL_ALL_OF:
	case ACL_ANY_OF:
		if (depth > 64)
			return 0;
		for (i = 0; i < acl->n; i++)
			for (k = 0; k < acl->v.grp[i].n; k++)
				if (acl_needs_reply(acl->v.grp[i].ref[k].acl,
						    depth + 1))
					return 1;
		return 0;
	default:
		return 0;
	}
}

void
cfg_acl_warn_reply(struct cfg_parse *p, const struct tok *t, size_t n,
		   const char *dname)
{
	struct acl_ref ref;
	size_t i;

	for (i = 2; i < n; i++) {
		ref.acl = acl_lookup(p->c, t[i].s + (t[i].s[0] == '!'));
		if (ref.acl != NULL && acl_needs_reply(ref.acl, 0))
			cfg_warn(p, &t[i], "%s: acl '%s' needs the response, "
				 "which %s does not have: it is taken as "
				 "not matching here (Squid: \"ACL is used in "
				 "context without an HTTP response. Assuming "
				 "mismatch.\")", dname, ref.acl->name, dname);
	}
}

int
cfg_acl_ref(struct cfg_parse *p, const char *dname, const struct tok *t,
	    struct acl_ref *ref)
{
	const char *name = t->s;

	ref->negate = name[0] == '!';
	if (ref->negate)
		name++;
	ref->acl = acl_lookup(p->c, name);
	if (ref->acl == NULL) {
		if (*name == '\0')
			cfg_err(p, t, "%s: '!' must be followed by an acl name "
				"without a space", dname);
		else
			cfg_err(p, t, "%s: undefined acl '%s'", dname, name);
		return -1;
	}
	return 0;
}
