/*
 * acl_parse.c - the "acl NAME TYPE VALUE..." directive, the predefined
 * ACLs, and references to ACLs from the *_access directives.
 *
 * Values are appended to the ACL while the file is read (several lines
 * with the same name and type add up, as in Squid). cfg_acl_finish() then
 * puts them in the form src/acl/acl.c matches against: dstdomain sorted
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
	{ "method",		ACL_METHOD },
	{ "proto",		ACL_PROTO },
	{ "dstdomain",		ACL_DSTDOMAIN },
	{ "dstdom_regex",	ACL_DSTDOM_REGEX },
	{ "url_regex",		ACL_URL_REGEX },
	{ "urlpath_regex",	ACL_URLPATH_REGEX },
};

/*
 * Squid 5's predefined ACLs. "manager" is defined so that configurations
 * copied from Squid (http_access allow localhost manager) load; tproxyd has
 * no cache manager, so it matches nothing in practice.
 */
static const char *const builtin_acls[] = {
	"acl all src 0.0.0.0/0 ::/0",
	"acl localhost src 127.0.0.1/32 ::1",
	"acl to_localhost dst 127.0.0.0/8 0.0.0.0/32 ::1/128 ::/128",
	"acl to_linklocal dst 169.254.0.0/16 fe80::/10",
	"acl manager urlpath_regex ^/squid-internal-mgr/",
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

static int
is_regex(enum acl_type type)
{
	return type == ACL_DSTDOM_REGEX || type == ACL_URL_REGEX ||
	    type == ACL_URLPATH_REGEX;
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

	if (strcmp(s, "all") == 0) {
		memset(out, 0, 2 * sizeof(*out));
		out[0].family = AF_INET;
		memset(&out[0].hi, 0xff, 4);
		out[1].family = AF_INET6;
		memset(&out[1].hi, 0xff, 16);
		return 2;
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
	/* No colon and a letter: a host name, not a mistyped address. */
	if (acl->type == ACL_DST && strchr(s, ':') == NULL &&
	    strpbrk(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	    != NULL) {
		cfg_err(p, t, "acl %s: dst acl values must be addresses in "
			"this version (tproxyd does not resolve names in "
			"acls): '%s'", acl->name, s);
	} else {
		cfg_err(p, t, "acl %s: invalid address '%s'", acl->name, s);
	}
	return -1;
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

/* Per-line state for adding values: the ACL and the regex -i flag. */
struct acl_add {
	struct acl *acl;
	int         icase;
};

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
	regex_t re;
	char ebuf[128], *w;
	const char *why;
	size_t len;
	int k, rc;

	switch (acl->type) {
	case ACL_SRC:
	case ACL_DST:
		k = parse_ip_value(p, acl, t, ip);
		if (k > 0)
			*AR_PUSH(p->ar, acl->v.ip, acl->n) = ip[0];
		if (k > 1)
			*AR_PUSH(p->ar, acl->v.ip, acl->n) = ip[1];
		break;
	case ACL_PORT:
	case ACL_LOCALPORT:
		if (parse_port_value(p, acl, t, &r) == 0)
			*AR_PUSH(p->ar, acl->v.range, acl->n) = r;
		break;
	case ACL_MYPORTNAME:
	case ACL_METHOD:
	case ACL_PROTO:
		*AR_PUSH(p->ar, acl->v.word, acl->n) = ar_strdup(p->ar, t->s);
		break;
	case ACL_DSTDOMAIN:
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
	case ACL_URL_REGEX:
	case ACL_URLPATH_REGEX:
		/* Compiled here only to report errors at the right line;
		 * cfg_acl_finish() compiles into the final array. The first
		 * byte of the stored word carries the -i flag. */
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
		w = ar_alloc(p->ar, len + 2);
		w[0] = aa->icase ? 'i' : '-';
		memcpy(w + 1, t->s, len + 1);
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

void
cfg_acl_line(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct acl_add aa;
	struct acl *acl;
	enum acl_type type;
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
	for (i = 0; i < sizeof(acl_types) / sizeof(acl_types[0]); i++)
		if (strcmp(acl_types[i].name, t[2].s) == 0)
			break;
	if (i == sizeof(acl_types) / sizeof(acl_types[0])) {
		cfg_err(p, &t[2], "acl %s: unsupported acl type '%s'", t[1].s,
			t[2].s);
		return;
	}
	type = acl_types[i].type;
	acl = acl_lookup(p->c, t[1].s);
	if (acl != NULL && acl->file == cfg_builtin_file &&
	    t[0].file != cfg_builtin_file) {
		cfg_err(p, &t[1], "acl '%s' is predefined and cannot be "
			"redefined", t[1].s);
		return;
	}
	if (acl != NULL && acl->type != type) {
		cfg_err(p, &t[2], "acl %s: already defined as type '%s' at "
			"%s:%d; cannot add values of type '%s'", t[1].s,
			type_name(acl->type), acl->file, acl->line, t[2].s);
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
	aa.acl = acl;
	aa.icase = 0;
	for (i = 3; i < n; i++) {
		if (t[i].quoted) {
			k = lex_file_words(p, &t[i], add_value, &aa);
			if (k == 0)
				cfg_warn(p, &t[i], "acl %s: file \"%s\" has no "
					 "values", acl->name, t[i].s);
			nval++;
			continue;
		}
		if (is_regex(type) && (strcmp(t[i].s, "-i") == 0 ||
				       strcmp(t[i].s, "+i") == 0)) {
			aa.icase = t[i].s[0] == '-';
			continue;
		}
		/* -n: "do not resolve"; tproxyd never resolves acl values. */
		if ((type == ACL_DSTDOMAIN || type == ACL_DST) &&
		    strcmp(t[i].s, "-n") == 0)
			continue;
		add_value(p, &t[i], &aa);
		nval++;
	}
	if (nval == 0)
		cfg_err(p, &t[2], "acl %s: missing values", acl->name);
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

void
cfg_acl_finish(struct cfg_parse *p)
{
	struct acl *acl;
	regex_t *re;
	char **w;
	size_t i, k;

	for (acl = p->c->acls; acl != NULL; acl = acl->next) {
		if (acl->type == ACL_DSTDOMAIN && acl->n > 0) {
			/* acl.c looks names up with a binary search. */
			qsort(acl->v.word, acl->n, sizeof(char *), cmp_word);
			for (i = 1, k = 1; i < acl->n; i++)
				if (strcmp(acl->v.word[i],
					   acl->v.word[k - 1]) != 0)
					acl->v.word[k++] = acl->v.word[i];
			acl->n = k;
		} else if (is_regex(acl->type) && acl->n > 0) {
			w = acl->v.word;
			re = ar_alloc(p->ar, acl->n * sizeof(*re));
			for (i = 0, k = 0; i < acl->n; i++)
				if (regcomp(&re[k], w[i] + 1, REG_EXTENDED |
					    REG_NOSUB | (w[i][0] == 'i' ?
							 REG_ICASE : 0)) == 0)
					k++;
			ar_regex(p->ar, re, k);
			acl->v.re = re;
			acl->n = k;
		}
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
