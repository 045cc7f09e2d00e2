/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.c - RFC 9111's decisions about one exchange (see policy.h):
 * whether a response may be stored, its freshness and age, whether a
 * stored response may answer a request, the primary and Vary keys,
 * revalidation and the 304 update, invalidation. The header readers they
 * stand on (Cache-Control, dates, the facts read once) are in
 * policy_read.c. Pure: no I/O, no globals beyond constant tables.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cache/policy-int.h"
#include "cache/policy.h"

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
	cache_cc_parse_named(&sc, x->resp, x->nresp, "Surrogate-Control");
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
		  const struct h1_header *r304, size_t n304, int own)
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
	/* No validator in the 304: only a stored response without one,
	 * or the one the cache revalidated itself. */
	return own || (se == NULL && sl == NULL);
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
