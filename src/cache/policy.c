/*
 * policy.c - RFC 9111's decisions about one exchange (see policy.h).
 * Pure: no I/O, no globals beyond constant tables.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cache/policy.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static struct str
trim(struct str s)
{
	while (s.len > 0 && is_ows(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_ows(s.p[s.len - 1]))
		s.len--;
	return s;
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int
str_ieq_str(struct str a, struct str b)
{
	return a.len == b.len && (a.len == 0 ||
				  strncasecmp(a.p, b.p, a.len) == 0);
}

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
static void
cc_parse_named(struct cache_cc *cc, const struct h1_header *h, size_t n,
	       const char *fname)
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
	cc_parse_named(cc, h, n, "Cache-Control");
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

/* --- storing ---------------------------------------------------------- */

int
cache_status_heuristic(int status)
{
	static const int codes[] = { 200, 203, 204, 206, 300, 301, 308,
				     404, 405, 410, 414, 501 };
	size_t i;

	for (i = 0; i < NELEM(codes); i++)
		if (codes[i] == status)
			return 1;
	return 0;
}

int
cache_status_understood(int status)
{
	static const int codes[] = {
		200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304,
		305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408,
		409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426,
		500, 501, 502, 503, 504, 505 };
	size_t i;

	for (i = 0; i < NELEM(codes); i++)
		if (codes[i] == status)
			return 1;
	return 0;
}

/* Whether a list field (Vary) has the member "*". */
static int
vary_star(const struct h1_header *h, size_t n)
{
	size_t i, j, k;
	struct str v;

	for (i = 0; i < n; i++) {
		if (!str_ieq(h[i].name, "Vary"))
			continue;
		v = h[i].value;
		for (j = 0; j < v.len; j = k + 1) {
			for (k = j; k < v.len && v.p[k] != ','; k++)
				;
			if (str_eq(trim(str_make(v.p + j, k - j)), "*"))
				return 1;
		}
	}
	return 0;
}

enum cache_store
cache_storable(const struct cache_xchg *x, int shared)
{
	struct cache_cc rq, rs, sc;
	int explicit;

	if (!str_eq(x->method, "GET"))
		return CACHE_NS_METHOD;
	if (x->status < 200)
		return CACHE_NS_NOT_FINAL;
	cache_cc_parse(&rq, x->req, x->nreq);
	cache_cc_parse(&rs, x->resp, x->nresp);
	if ((rs.flags & CC_MUST_UNDERSTAND) &&
	    !cache_status_understood(x->status))
		return CACHE_NS_NOT_UNDERSTOOD;
	if (x->status == 206)
		return CACHE_NS_PARTIAL;
	if (x->status == 304)
		return CACHE_NS_NOT_MODIFIED;
	if (rq.flags & CC_NO_STORE)
		return CACHE_NS_REQ_NO_STORE;
	/* 5.2.2.3: must-understand overrides no-store when understood. */
	if ((rs.flags & CC_NO_STORE) && !(rs.flags & CC_MUST_UNDERSTAND))
		return CACHE_NS_NO_STORE;
	/* Surrogate-Control (W3C Edge Architecture): its no-store is
	 * honoured, being the safe reading for any cache. */
	cc_parse_named(&sc, x->resp, x->nresp, "Surrogate-Control");
	if (sc.flags & CC_NO_STORE)
		return CACHE_NS_NO_STORE;
	/* A qualified private is kept unqualified for now: the store
	 * cannot yet drop single fields. */
	if (shared && (rs.flags & (CC_PRIVATE | CC_PRIVATE_FIELDS)))
		return CACHE_NS_PRIVATE;
	if (shared && cache_field(x->req, x->nreq, "Authorization") != NULL &&
	    !(rs.flags & (CC_PUBLIC | CC_MUST_REVALIDATE)) &&
	    rs.s_maxage == CC_ABSENT)
		return CACHE_NS_AUTHORIZATION;
	if (vary_star(x->resp, x->nresp))
		return CACHE_NS_VARY_STAR;
	explicit = (rs.flags & CC_PUBLIC) || rs.max_age != CC_ABSENT ||
		   (shared && rs.s_maxage != CC_ABSENT) ||
		   (!shared && (rs.flags & CC_PRIVATE)) ||
		   cache_field(x->resp, x->nresp, "Expires") != NULL;
	if (!explicit && !cache_status_heuristic(x->status))
		return CACHE_NS_NO_FRESHNESS;
	return CACHE_STORE_OK;
}

const char *
cache_store_str(enum cache_store r)
{
	static const char *const names[] = {
		[CACHE_STORE_OK] = "storable",
		[CACHE_NS_METHOD] = "method not GET",
		[CACHE_NS_NOT_FINAL] = "interim response",
		[CACHE_NS_PARTIAL] = "partial content (206)",
		[CACHE_NS_NOT_MODIFIED] = "304 not modified",
		[CACHE_NS_NOT_UNDERSTOOD] =
			"must-understand with an unknown status",
		[CACHE_NS_REQ_NO_STORE] = "request no-store",
		[CACHE_NS_NO_STORE] = "response no-store",
		[CACHE_NS_PRIVATE] = "private",
		[CACHE_NS_AUTHORIZATION] =
			"Authorization without public, s-maxage "
			"or must-revalidate",
		[CACHE_NS_VARY_STAR] = "Vary: *",
		[CACHE_NS_NO_FRESHNESS] =
			"no explicit freshness, status not "
			"heuristically cacheable",
	};

	if ((unsigned)r > CACHE_STORE_LAST)
		return "?";
	return names[r];
}

/* --- freshness and age ------------------------------------------------ */

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
	cc_parse_named(&cc, x->resp, x->nresp, "Surrogate-Control");
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

void
cache_freshness_of(const struct cache_resp_facts *rf, int shared,
		   const struct cache_refresh *rule, int64_t now,
		   struct cache_fresh *f)
{
	int64_t date = rf->date, lm, apparent, delay, corrected;
	int64_t life = 0;

	memset(f, 0, sizeof(*f));
	if (date < 0)
		date = rf->response_time;	/* 4.2.3: as if on receipt */
	if (shared && rf->s_maxage != CC_ABSENT) {
		life = rf->s_maxage;
	} else if (rf->max_age != CC_ABSENT) {
		life = rf->max_age;
	} else if (rf->expires != -1) {
		/* 5.3: an invalid Expires is in the past. */
		life = rf->expires >= 0 && rf->expires > date ?
		       rf->expires - date : 0;
	} else if (rule != NULL &&
		   (cache_status_heuristic(rf->status) ||
		    (rf->cc_flags & CC_PUBLIC))) {
		f->heuristic = 1;
		lm = rf->last_modified;
		if (lm >= 0 && lm <= date) {
			life = (date - lm) * (rule->percent < 0 ? 0 :
					      rule->percent) / 100;
			if (life < rule->min)
				life = rule->min;
		} else {
			life = rule->min;
		}
		if (life > rule->max)
			life = rule->max;
		if (life < 0)
			life = 0;
	}
	f->lifetime = life;

	/* Surrogate-Control's max-age may only shorten the lifetime here:
	 * this cache is not the origin's surrogate, so it never extends
	 * what Cache-Control allows. */
	if (rf->sc_max_age != CC_ABSENT && rf->sc_max_age < life) {
		f->heuristic = 0;
		f->lifetime = rf->sc_max_age;
	}
	apparent = rf->response_time - date;
	if (apparent < 0)
		apparent = 0;
	delay = rf->response_time - rf->request_time;
	if (delay < 0)
		delay = 0;
	corrected = rf->age_value + delay;
	if (corrected < apparent)
		corrected = apparent;
	f->age = corrected + (now > rf->response_time ?
			      now - rf->response_time : 0);
}

void
cache_freshness(const struct cache_xchg *x, int shared,
		const struct cache_refresh *rule, int64_t now,
		struct cache_fresh *f)
{
	struct cache_resp_facts rf;

	cache_resp_read(x, &rf);
	cache_freshness_of(&rf, shared, rule, now, f);
}

/* Whether a Pragma value lists no-cache (RFC 9111 5.4). */
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

enum cache_use
cache_use_of(const struct cache_resp_facts *rf, const struct cache_fresh *f,
	     const struct cache_req_facts *q, int shared)
{
	/* A qualified no-cache (5.2.2.4) would allow the response without
	 * the fields it names; the store cannot drop fields yet, so it is
	 * taken as unqualified. */
	if (rf->cc_flags & (CC_NO_CACHE | CC_NO_CACHE_FIELDS))
		return CACHE_USE_REVALIDATE;
	if (q->cc_flags & CC_NO_CACHE)
		return CACHE_USE_REVALIDATE;
	/* 5.4: Pragma: no-cache counts when there is no Cache-Control. */
	if (!q->has_cc && q->pragma_no_cache)
		return CACHE_USE_REVALIDATE;
	if (q->max_age != CC_ABSENT && f->age > q->max_age)
		return CACHE_USE_REVALIDATE;
	if (f->lifetime > f->age) {
		if (q->min_fresh == CC_ABSENT ||
		    f->lifetime - f->age >= q->min_fresh)
			return CACHE_USE_FRESH;
		return CACHE_USE_REVALIDATE;
	}
	/* Stale. */
	if (rf->cc_flags & CC_MUST_REVALIDATE)
		return CACHE_USE_REVALIDATE;
	if (shared && ((rf->cc_flags & CC_PROXY_REVALIDATE) ||
		       rf->s_maxage != CC_ABSENT))
		return CACHE_USE_REVALIDATE;
	if (q->cc_flags & CC_MAX_STALE_ANY)
		return CACHE_USE_STALE_OK;
	if (q->max_stale != CC_ABSENT &&
	    f->age - f->lifetime <= q->max_stale)
		return CACHE_USE_STALE_OK;
	return CACHE_USE_REVALIDATE;
}

enum cache_use
cache_use(const struct cache_xchg *x, const struct cache_fresh *f,
	  const struct h1_header *rq, size_t nrq, int shared)
{
	struct cache_resp_facts rf;
	struct cache_req_facts q;

	cache_resp_read(x, &rf);
	cache_req_read(rq, nrq, &q);
	return cache_use_of(&rf, f, &q, shared);
}

/* --- keys ------------------------------------------------------------- */

struct out {
	char  *p;
	size_t cap, len;
	int    full;
};

static void
out_add(struct out *o, const char *s, size_t n, int low)
{
	size_t i;

	if (o->full || o->cap - o->len <= n) {
		o->full = 1;
		return;
	}
	for (i = 0; i < n; i++)
		o->p[o->len++] = low ? lower(s[i]) : s[i];
	o->p[o->len] = '\0';
}

static int
out_end(struct out *o)
{
	if (o->full || o->len > INT32_MAX)
		return -1;
	return (int)o->len;
}

/* Authority "host[:port]", lowercased, default port dropped. */
static void
out_authority(struct out *o, struct str a, const char *scheme)
{
	const char *colon = NULL;
	size_t i;

	for (i = a.len; i > 0; i--) {
		if (a.p[i - 1] == ':') {
			colon = a.p + i - 1;
			break;
		}
		if (a.p[i - 1] == ']')
			break;
	}
	if (colon != NULL) {
		struct str port = str_make(colon + 1,
					   (size_t)(a.p + a.len - colon - 1));

		if (port.len == 0 ||
		    (strcasecmp(scheme, "http") == 0 && str_eq(port, "80")) ||
		    (strcasecmp(scheme, "https") == 0 &&
		     str_eq(port, "443")))
			a.len = (size_t)(colon - a.p);
	}
	out_add(o, a.p, a.len, 1);
}

/* Split an absolute URI into scheme, authority and the rest. */
static int
split_uri(struct str u, struct str *scheme, struct str *auth,
	  struct str *rest)
{
	size_t i, j;

	for (i = 0; i < u.len && u.p[i] != ':'; i++)
		if (!((u.p[i] >= 'a' && u.p[i] <= 'z') ||
		      (u.p[i] >= 'A' && u.p[i] <= 'Z') ||
		      (i > 0 && ((u.p[i] >= '0' && u.p[i] <= '9') ||
				 u.p[i] == '+' || u.p[i] == '-' ||
				 u.p[i] == '.'))))
			return -1;
	if (i == 0 || i + 3 > u.len || u.p[i + 1] != '/' || u.p[i + 2] != '/')
		return -1;
	*scheme = str_make(u.p, i);
	for (j = i + 3; j < u.len && u.p[j] != '/' && u.p[j] != '?' &&
	     u.p[j] != '#'; j++)
		;
	*auth = str_make(u.p + i + 3, j - i - 3);
	*rest = str_make(u.p + j, u.len - j);
	return auth->len > 0 ? 0 : -1;
}

/* scheme://authority/rest normalized into o. */
static void
out_uri(struct out *o, struct str scheme, struct str auth, struct str rest)
{
	char sch[16];
	size_t i;

	for (i = 0; i < scheme.len && i < sizeof(sch) - 1; i++)
		sch[i] = lower(scheme.p[i]);
	sch[i] = '\0';
	out_add(o, scheme.p, scheme.len, 1);
	out_add(o, "://", 3, 0);
	out_authority(o, auth, sch);
	if (rest.len == 0 || rest.p[0] != '/')
		out_add(o, "/", 1, 0);
	out_add(o, rest.p, rest.len, 0);
}

int
cache_primary_key(char *out, size_t cap, struct str method,
		  const char *scheme, struct str host, struct str target)
{
	struct out o = { out, cap, 0, cap == 0 };
	struct str sch, auth, rest;

	if (cap > 0)
		out[0] = '\0';
	if (method.len == 0)
		return -1;
	out_add(&o, method.p, method.len, 0);
	out_add(&o, " ", 1, 0);
	if (target.len > 0 && target.p[0] == '/') {
		if (host.len == 0)
			return -1;
		out_uri(&o, str_make(scheme, strlen(scheme)), trim(host),
			target);
	} else if (split_uri(target, &sch, &auth, &rest) == 0) {
		out_uri(&o, sch, auth, rest);
	} else {
		return -1;
	}
	return out_end(&o);
}

#define VARY_MAX 32

static int
str_icmp(struct str a, struct str b)
{
	size_t i, n = a.len < b.len ? a.len : b.len;
	int d;

	for (i = 0; i < n; i++) {
		d = (unsigned char)lower(a.p[i]) - (unsigned char)lower(b.p[i]);
		if (d != 0)
			return d;
	}
	return a.len < b.len ? -1 : a.len > b.len;
}

/* Append a field value with OWS around commas removed. */
static void
out_value(struct out *o, struct str v, int *first)
{
	size_t j, k;
	struct str m;

	for (j = 0; j <= v.len; j = k + 1) {
		for (k = j; k < v.len && v.p[k] != ','; k++)
			;
		m = trim(str_make(v.p + j, k - j));
		if (m.len == 0 && k >= v.len && j > 0)
			break;
		if (!*first)
			out_add(o, ",", 1, 0);
		*first = 0;
		out_add(o, m.p, m.len, 0);
	}
}

int
cache_vary_key(char *out, size_t cap, const struct h1_header *resp,
	       size_t nresp, const struct h1_header *req, size_t nreq)
{
	struct out o = { out, cap, 0, cap == 0 };
	struct str names[VARY_MAX], v, m, t;
	size_t nn = 0, i, j, k, a;
	int first, present;

	if (cap > 0)
		out[0] = '\0';
	if (vary_star(resp, nresp))
		return -1;
	for (i = 0; i < nresp; i++) {
		if (!str_ieq(resp[i].name, "Vary"))
			continue;
		v = resp[i].value;
		for (j = 0; j < v.len; j = k + 1) {
			for (k = j; k < v.len && v.p[k] != ','; k++)
				;
			m = trim(str_make(v.p + j, k - j));
			if (m.len == 0)
				continue;
			/* Insert sorted, without duplicates. */
			for (a = 0; a < nn && str_icmp(names[a], m) < 0; a++)
				;
			if (a < nn && str_icmp(names[a], m) == 0)
				continue;
			if (nn == VARY_MAX)
				return -2;
			memmove(&names[a + 1], &names[a],
				(nn - a) * sizeof(names[0]));
			names[a] = m;
			nn++;
		}
	}
	for (a = 0; a < nn; a++) {
		out_add(&o, names[a].p, names[a].len, 1);
		first = 1;
		present = 0;
		for (i = 0; i < nreq; i++) {
			if (!str_ieq_str(req[i].name, names[a]))
				continue;
			if (!present)
				out_add(&o, "=", 1, 0);
			present = 1;
			t = trim(req[i].value);
			out_value(&o, t, &first);
		}
		out_add(&o, "\n", 1, 0);
	}
	return o.full ? -2 : out_end(&o);
}

/* --- revalidation ----------------------------------------------------- */

size_t
cache_cond_fields(struct h1_header out[2], const struct h1_header *stored,
		  size_t nstored)
{
	const struct h1_header *f;
	size_t n = 0;

	f = cache_field(stored, nstored, "ETag");
	if (f != NULL && f->value.len > 0) {
		out[n].name = STR_LIT("If-None-Match");
		out[n++].value = f->value;
	}
	f = cache_field(stored, nstored, "Last-Modified");
	if (f != NULL && cache_parse_date(f->value) >= 0) {
		out[n].name = STR_LIT("If-Modified-Since");
		out[n++].value = f->value;
	}
	return n;
}

/* An entity-tag's opaque part and whether it is weak; -1 if not one. */
static int
etag_parse(struct str v, struct str *opaque)
{
	int weak = 0;

	v = trim(v);
	if (v.len >= 2 && v.p[0] == 'W' && v.p[1] == '/') {
		weak = 1;
		v.p += 2;
		v.len -= 2;
	}
	if (v.len < 2 || v.p[0] != '"' || v.p[v.len - 1] != '"' ||
	    memchr(v.p + 1, '"', v.len - 2) != NULL)
		return -1;
	*opaque = v;
	return weak;
}

int
cache_304_selects(const struct h1_header *stored, size_t nstored,
		  const struct h1_header *r304, size_t n304)
{
	const struct h1_header *ne, *se, *nl, *sl;
	struct str no, so;
	int nw, sw;

	ne = cache_field(r304, n304, "ETag");
	se = cache_field(stored, nstored, "ETag");
	if (ne != NULL) {
		nw = etag_parse(ne->value, &no);
		if (nw < 0 || se == NULL)
			return 0;
		sw = etag_parse(se->value, &so);
		if (sw < 0 || no.len != so.len ||
		    memcmp(no.p, so.p, no.len) != 0)
			return 0;
		/* Strong comparison for a strong validator, weak
		 * comparison for a weak one (RFC 9110 8.8.3.2). */
		return nw ? 1 : !sw;
	}
	nl = cache_field(r304, n304, "Last-Modified");
	sl = cache_field(stored, nstored, "Last-Modified");
	if (nl != NULL) {
		int64_t a = cache_parse_date(nl->value);

		return a >= 0 && sl != NULL &&
		       cache_parse_date(sl->value) == a;
	}
	/* No validator in the 304: only a stored response without one. */
	return se == NULL && sl == NULL;
}

static const char *const no_update[] = {
	"Content-Length", "Connection", "Proxy-Connection", "Keep-Alive",
	"TE", "Transfer-Encoding", "Upgrade", "Trailer",
	"Proxy-Authenticate", "Proxy-Authorization",
};

/* Whether name appears in the 304's Connection fields. */
static int
connection_names(const struct h1_header *h, size_t n, struct str name)
{
	size_t i, j, k;
	struct str v;

	for (i = 0; i < n; i++) {
		if (!str_ieq(h[i].name, "Connection"))
			continue;
		v = h[i].value;
		for (j = 0; j < v.len; j = k + 1) {
			for (k = j; k < v.len && v.p[k] != ','; k++)
				;
			if (str_ieq_str(trim(str_make(v.p + j, k - j)), name))
				return 1;
		}
	}
	return 0;
}

static int
updates(const struct h1_header *r304, size_t n304, size_t i)
{
	size_t k;

	for (k = 0; k < NELEM(no_update); k++)
		if (str_ieq(r304[i].name, no_update[k]))
			return 0;
	return !connection_names(r304, n304, r304[i].name);
}

int
cache_update_304(struct h1_header *out, size_t cap,
		 const struct h1_header *stored, size_t nstored,
		 const struct h1_header *r304, size_t n304)
{
	size_t n = 0, i, k;
	int replaced;

	for (i = 0; i < nstored; i++) {
		replaced = 0;
		for (k = 0; k < n304 && !replaced; k++)
			if (str_ieq_str(r304[k].name, stored[i].name) &&
			    updates(r304, n304, k))
				replaced = 1;
		if (replaced)
			continue;
		if (n == cap)
			return -1;
		out[n++] = stored[i];
	}
	for (k = 0; k < n304; k++) {
		if (!updates(r304, n304, k))
			continue;
		if (n == cap)
			return -1;
		out[n++] = r304[k];
	}
	return (int)n;
}

/* --- invalidation ----------------------------------------------------- */

static int
method_safe(struct str m)
{
	return str_eq(m, "GET") || str_eq(m, "HEAD") ||
	       str_eq(m, "OPTIONS") || str_eq(m, "TRACE");
}

/* Normalized absolute form of ref (absolute, network-path, absolute-path
 * or relative-path reference) against base; -1 if unusable. */
static int
resolve(char *dst, struct str base, struct str ref)
{
	struct out o = { dst, CACHE_URI_MAX, 0, 0 };
	struct str bs, ba, br, s, a, r;
	size_t i, dir;

	dst[0] = '\0';
	if (split_uri(base, &bs, &ba, &br) < 0)
		return -1;
	ref = trim(ref);
	if (ref.len == 0 || memchr(ref.p, '#', ref.len) != NULL)
		return -1;
	if (split_uri(ref, &s, &a, &r) == 0) {
		out_uri(&o, s, a, r);
	} else if (ref.len >= 2 && ref.p[0] == '/' && ref.p[1] == '/') {
		/* Network-path reference: the base's scheme. */
		char tmp[CACHE_URI_MAX];
		struct out t = { tmp, sizeof(tmp), 0, 0 };

		out_add(&t, bs.p, bs.len, 0);
		out_add(&t, ":", 1, 0);
		out_add(&t, ref.p, ref.len, 0);
		if (t.full || split_uri(str_make(tmp, t.len), &s, &a, &r) < 0)
			return -1;
		out_uri(&o, s, a, r);
	} else if (ref.p[0] == '/') {
		out_uri(&o, bs, ba, ref);
	} else {
		for (dir = 0, i = 0; i < br.len && br.p[i] != '?'; i++)
			if (br.p[i] == '/')
				dir = i + 1;
		if (dir == 0) {
			out_uri(&o, bs, ba, STR_LIT("/"));
		} else {
			out_uri(&o, bs, ba, str_make(br.p, dir));
		}
		out_add(&o, ref.p, ref.len, 0);
	}
	return out_end(&o);
}

/* Same scheme and authority: the prefixes up to the path agree. */
static int
same_origin(const char *a, const char *b)
{
	struct str sa, aa, ra, sb, ab, rb;

	if (split_uri(str_make(a, strlen(a)), &sa, &aa, &ra) < 0 ||
	    split_uri(str_make(b, strlen(b)), &sb, &ab, &rb) < 0)
		return 0;
	return str_ieq_str(sa, sb) && str_ieq_str(aa, ab);
}

int
cache_invalidate(char out[3][CACHE_URI_MAX], struct str method,
		 int status, struct str uri,
		 const struct h1_header *resp, size_t nresp)
{
	static const char *const refs[] = { "Location", "Content-Location" };
	const struct h1_header *f;
	struct out o = { out[0], CACHE_URI_MAX, 0, 0 };
	struct str s, a, r;
	int n, k;
	size_t i;

	out[0][0] = '\0';
	if (method_safe(method) || status < 200 || status >= 400)
		return 0;
	/* The request URI itself, normalized. */
	if (split_uri(uri, &s, &a, &r) < 0)
		return 0;
	out_uri(&o, s, a, r);
	if (out_end(&o) < 0)
		return 0;
	n = 1;
	for (i = 0; i < NELEM(refs); i++) {
		f = cache_field(resp, nresp, refs[i]);
		if (f == NULL || resolve(out[n], uri, f->value) < 0)
			continue;
		if (!same_origin(out[0], out[n]))
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(out[k], out[n]) == 0)
				break;
		if (k == n)
			n++;
	}
	return n;
}
