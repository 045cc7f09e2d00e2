/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy_read.c - the header readers under RFC 9111's decisions (see
 * policy.h): field lookup, Cache-Control (and Surrogate-Control) parsed
 * into struct cache_cc, delta-seconds, HTTP-dates, and the facts a
 * decision reads once (cache_resp_read() of a stored response,
 * cache_req_read() of a request). The decisions themselves are in
 * policy.c. Pure: no I/O, no globals beyond constant tables.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cache/policy-int.h"
#include "cache/policy.h"

const struct h1_header *
cache_field(const struct h1_header *h, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (str_ieq(h[i].name, name))
			return &h[i];
	return NULL;
}

/*
 * delta-seconds (1.2.2): 1*DIGIT; larger than 2^31 is 2^31. Returns -1
 * if s is not digits.
 */
static int64_t
parse_delta(struct str s)
{
	int64_t v = 0;
	size_t i;

	if (s.len == 0)
		return -1;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		if (v < CC_DELTA_MAX)
			v = v * 10 + (s.p[i] - '0');
	}
	return v > CC_DELTA_MAX ? CC_DELTA_MAX : v;
}

/* --- Cache-Control ---------------------------------------------------- */

enum cc_arg { ARG_NONE, ARG_DELTA, ARG_FIELDS, ARG_OPT_DELTA };

struct cc_def {
	const char *name;
	unsigned    flag;		/* without an argument */
	unsigned    flag_arg;		/* with one (fields form) */
	enum cc_arg arg;
	size_t      off;		/* of the int64_t or struct str */
};

static const struct cc_def cc_defs[] = {
	{ "no-store", CC_NO_STORE, 0, ARG_NONE, 0 },
	{ "no-cache", CC_NO_CACHE, CC_NO_CACHE_FIELDS, ARG_FIELDS,
	  offsetof(struct cache_cc, no_cache_fields) },
	{ "private", CC_PRIVATE, CC_PRIVATE_FIELDS, ARG_FIELDS,
	  offsetof(struct cache_cc, private_fields) },
	{ "public", CC_PUBLIC, 0, ARG_NONE, 0 },
	{ "must-revalidate", CC_MUST_REVALIDATE, 0, ARG_NONE, 0 },
	{ "proxy-revalidate", CC_PROXY_REVALIDATE, 0, ARG_NONE, 0 },
	{ "no-transform", CC_NO_TRANSFORM, 0, ARG_NONE, 0 },
	{ "only-if-cached", CC_ONLY_IF_CACHED, 0, ARG_NONE, 0 },
	{ "must-understand", CC_MUST_UNDERSTAND, 0, ARG_NONE, 0 },
	{ "immutable", CC_IMMUTABLE, 0, ARG_NONE, 0 },
	{ "max-age", 0, 0, ARG_DELTA, offsetof(struct cache_cc, max_age) },
	{ "s-maxage", 0, 0, ARG_DELTA, offsetof(struct cache_cc, s_maxage) },
	{ "max-stale", CC_MAX_STALE_ANY, 0, ARG_OPT_DELTA,
	  offsetof(struct cache_cc, max_stale) },
	{ "min-fresh", 0, 0, ARG_DELTA, offsetof(struct cache_cc, min_fresh) },
	{ "stale-while-revalidate", 0, 0, ARG_DELTA,
	  offsetof(struct cache_cc, stale_while_revalidate) },
	{ "stale-if-error", 0, 0, ARG_DELTA,
	  offsetof(struct cache_cc, stale_if_error) },
};

static int
is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* One directive: name, and value (quotes removed) if has_val. */
static void
cc_apply(struct cache_cc *cc, struct str name, int has_val, struct str val,
	 unsigned *seen)
{
	const struct cc_def *d = NULL;
	int64_t *num, v;
	size_t i;

	for (i = 0; i < NELEM(cc_defs); i++)
		if (str_ieq(name, cc_defs[i].name)) {
			d = &cc_defs[i];
			break;
		}
	if (d == NULL) {
		if (cc->nunknown < CC_MAX_UNKNOWN) {
			cc->unknown[cc->nunknown].name = name;
			cc->unknown[cc->nunknown].value =
				has_val ? val : STR_NULL;
			cc->nunknown++;
		} else {
			cc->unknown_dropped++;
		}
		return;
	}
	if (*seen & (1u << i)) {
		cc->duplicates++;
		return;
	}
	*seen |= 1u << i;
	switch (d->arg) {
	case ARG_NONE:
		if (has_val)
			cc->malformed++;
		cc->flags |= d->flag;
		break;
	case ARG_FIELDS:
		if (has_val) {
			cc->flags |= d->flag_arg;
			*(struct str *)((char *)cc + d->off) = val;
		} else {
			cc->flags |= d->flag;
		}
		break;
	case ARG_OPT_DELTA:
	case ARG_DELTA:
		num = (int64_t *)((char *)cc + d->off);
		if (!has_val && d->arg == ARG_OPT_DELTA) {
			cc->flags |= d->flag;
			break;
		}
		v = has_val ? parse_delta(val) : -1;
		if (v < 0) {
			cc->malformed++;
			/* 4.2.1: invalid freshness information is stale. */
			if (d->off == offsetof(struct cache_cc, max_age) ||
			    d->off == offsetof(struct cache_cc, s_maxage))
				*num = 0;
			break;
		}
		*num = v;
		break;
	}
}

/* Parse one field value: #( token [ "=" ( token / quoted-string ) ] ). */
static void
cc_line(struct cache_cc *cc, struct str s, unsigned *seen)
{
	const char *p = s.p, *e = s.p + s.len, *q;
	struct str name, val;
	int has_val;

	while (p < e) {
		while (p < e && (is_ows(*p) || *p == ','))
			p++;
		if (p >= e)
			break;
		q = p;
		while (p < e && is_tchar(*p))
			p++;
		name = str_make(q, (size_t)(p - q));
		has_val = 0;
		val = STR_NULL;
		/* No whitespace around "=" (RFC 9111 5.2: token "="
		 * argument): "max-age = 5" is not a max-age. */
		if (p < e && *p == '=') {
			has_val = 1;
			p++;
			if (p < e && is_ows(*p)) {
				cc->malformed++;
				while (p < e && *p != ',')
					p++;
				continue;
			}
			if (p < e && *p == '"') {
				q = ++p;
				while (p < e && *p != '"') {
					if (*p == '\\' && p + 1 < e)
						p++;
					p++;
				}
				val = str_make(q, (size_t)(p - q));
				if (p < e)
					p++;
			} else {
				q = p;
				while (p < e && is_tchar(*p))
					p++;
				val = str_make(q, (size_t)(p - q));
			}
		}
		while (p < e && is_ows(*p))
			p++;
		if (name.len == 0 || (p < e && *p != ',')) {
			/* Not a directive: skip to the next comma. */
			cc->malformed++;
			while (p < e && *p != ',')
				p++;
			continue;
		}
		cc_apply(cc, name, has_val, val, seen);
	}
}

/* Parse every field line named fname of h. */
void
cache_cc_parse_named(struct cache_cc *cc, const struct h1_header *h,
		     size_t n, const char *fname)
{
	unsigned seen = 0;
	size_t i;

	memset(cc, 0, sizeof(*cc));
	cc->max_age = cc->s_maxage = cc->max_stale = cc->min_fresh = CC_ABSENT;
	cc->stale_while_revalidate = cc->stale_if_error = CC_ABSENT;
	for (i = 0; i < n; i++)
		if (str_ieq(h[i].name, fname))
			cc_line(cc, h[i].value, &seen);
}

void
cache_cc_parse(struct cache_cc *cc, const struct h1_header *h, size_t n)
{
	cache_cc_parse_named(cc, h, n, "Cache-Control");
}

/* The last field line named name, or NULL. */
static const struct h1_header *
last_field(const struct h1_header *h, size_t n, const char *name)
{
	const struct h1_header *f = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (str_ieq(h[i].name, name))
			f = &h[i];
	return f;
}

/* --- HTTP-date -------------------------------------------------------- */

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct dscan {
	const char *p, *e;
};

static int
d_num(struct dscan *s, int min, int max, int *out)
{
	int v = 0, n = 0;

	while (s->p < s->e && *s->p >= '0' && *s->p <= '9' && n < 9) {
		v = v * 10 + (*s->p - '0');
		s->p++;
		n++;
	}
	if (n < min || n > max)
		return -1;
	*out = v;
	return n;
}

static int
d_lit(struct dscan *s, char c)
{
	if (s->p >= s->e || *s->p != c)
		return -1;
	s->p++;
	return 0;
}

static int
d_month(struct dscan *s, int *m)
{
	int i;

	if (s->e - s->p < 3)
		return -1;
	for (i = 0; i < 12; i++)
		if (strncmp(s->p, months[i], 3) == 0) {
			*m = i + 1;
			s->p += 3;
			return 0;
		}
	return -1;
}

static int
d_time(struct dscan *s, int *hh, int *mm, int *ss)
{
	if (d_num(s, 2, 2, hh) < 0 || d_lit(s, ':') < 0 ||
	    d_num(s, 2, 2, mm) < 0 || d_lit(s, ':') < 0 ||
	    d_num(s, 2, 2, ss) < 0)
		return -1;
	return 0;
}

int64_t
cache_parse_date(struct str in)
{
	struct str t = trim(in);
	struct dscan s = { t.p, t.p + t.len };
	int y = 0, m = 0, d = 0, hh, mm, ss, n;
	const char *comma;

	if (t.len == 0)
		return -1;
	comma = memchr(t.p, ',', t.len);
	if (comma != NULL) {
		/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" or RFC 850
		 * "Sunday, 06-Nov-94 08:49:37 GMT". */
		s.p = comma + 1;
		if (d_lit(&s, ' ') < 0 || d_num(&s, 2, 2, &d) < 0)
			return -1;
		if (s.p < s.e && *s.p == '-') {
			s.p++;
			if (d_month(&s, &m) < 0 || d_lit(&s, '-') < 0 ||
			    d_num(&s, 2, 2, &y) < 0)
				return -1;
			/* RFC 9110 5.6.7 wants years more than 50 years
			 * ahead of now in the past; without a clock here,
			 * a fixed pivot: 00-69 are 20xx (right until
			 * 2019 + 50), 70-99 19xx. */
			y += y < 70 ? 2000 : 1900;
		} else {
			if (d_lit(&s, ' ') < 0 || d_month(&s, &m) < 0 ||
			    d_lit(&s, ' ') < 0 || d_num(&s, 4, 4, &y) < 0)
				return -1;
		}
		if (d_lit(&s, ' ') < 0 || d_time(&s, &hh, &mm, &ss) < 0 ||
		    d_lit(&s, ' ') < 0 || s.e - s.p != 3 ||
		    memcmp(s.p, "GMT", 3) != 0)
			return -1;
	} else {
		/* asctime "Sun Nov  6 08:49:37 1994". */
		if (t.len < 4 || t.p[3] != ' ')
			return -1;
		s.p += 4;
		if (d_month(&s, &m) < 0 || d_lit(&s, ' ') < 0)
			return -1;
		if (s.p < s.e && *s.p == ' ') {
			s.p++;
			n = d_num(&s, 1, 1, &d);
		} else {
			n = d_num(&s, 2, 2, &d);
		}
		if (n < 0 || d_lit(&s, ' ') < 0 ||
		    d_time(&s, &hh, &mm, &ss) < 0 || d_lit(&s, ' ') < 0 ||
		    d_num(&s, 4, 4, &y) < 0 || s.p != s.e)
			return -1;
	}
	/* Before 1970 is refused: the result is never negative (an
	 * Expires that old is in the past all the same). */
	if (y < 1970 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* --- the facts a decision reads once ---------------------------------- */

/* The first line's date, -1 if absent, -2 if present but invalid. */
static int64_t
date_field(const struct h1_header *h, size_t n, const char *name)
{
	const struct h1_header *f = cache_field(h, n, name);
	int64_t t;

	if (f == NULL)
		return -1;
	t = cache_parse_date(f->value);
	return t < 0 ? -2 : t;
}

void
cache_resp_read(const struct cache_xchg *x, struct cache_resp_facts *rf)
{
	struct cache_cc cc;
	const struct h1_header *agef;

	memset(rf, 0, sizeof(*rf));
	rf->status = x->status;
	rf->request_time = x->request_time;
	rf->response_time = x->response_time;
	cache_cc_parse(&cc, x->resp, x->nresp);
	rf->cc_flags = cc.flags;
	rf->max_age = cc.max_age;
	rf->s_maxage = cc.s_maxage;
	cache_cc_parse_named(&cc, x->resp, x->nresp, "Surrogate-Control");
	rf->sc_max_age = cc.max_age;
	rf->date = date_field(x->resp, x->nresp, "Date");
	rf->expires = date_field(x->resp, x->nresp, "Expires");
	rf->last_modified = date_field(x->resp, x->nresp, "Last-Modified");
	agef = cache_field(x->resp, x->nresp, "Age");
	if (agef != NULL) {
		rf->age_value = parse_delta(trim(agef->value));
		/* An Age that is not one delta-seconds (a list, a second
		 * line, a sign, a fraction) says the response went through
		 * a cache this one cannot understand: taken as stale, the
		 * safe reading. */
		if (rf->age_value < 0 || agef != last_field(x->resp, x->nresp,
							     "Age"))
			rf->age_value = CC_DELTA_MAX;
	}
}

static int
pragma_no_cache(struct str v)
{
	const char *comma;
	struct str e;

	while (v.len > 0) {
		comma = memchr(v.p, ',', v.len);
		e = str_make(v.p, comma ? (size_t)(comma - v.p) : v.len);
		if (str_ieq(trim(e), "no-cache"))
			return 1;
		if (comma == NULL)
			break;
		v.len -= (size_t)(comma - v.p) + 1;
		v.p = comma + 1;
	}
	return 0;
}

void
cache_req_read(const struct h1_header *rq, size_t nrq,
	       struct cache_req_facts *q)
{
	struct cache_cc cc;
	size_t i;

	memset(q, 0, sizeof(*q));
	cache_cc_parse(&cc, rq, nrq);
	q->cc_flags = cc.flags;
	q->max_age = cc.max_age;
	q->max_stale = cc.max_stale;
	q->min_fresh = cc.min_fresh;
	for (i = 0; i < nrq; i++) {
		if (str_ieq(rq[i].name, "Cache-Control"))
			q->has_cc = 1;
		else if (str_ieq(rq[i].name, "Pragma") &&
			 pragma_no_cache(rq[i].value))
			q->pragma_no_cache = 1;
	}
}
