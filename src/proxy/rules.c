/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules.c - Squid's rules around http_access, applied to one stream (see
 * rules.h): deny_info, http_reply_access, the body size limits, the
 * header rules and follow_x_forwarded_for. Reads the loaded struct
 * cfg_rules (cfg_rules.c) and the stream's ACL context; answers through
 * strm_error() like every other refusal.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/sa.h"
#include "http/msg.h"
#include "log/log.h"
#include "net/conn.h"
#include "proxy/proxy.h"
#include "proxy/auth.h"
#include "proxy/rules.h"
#include "proxy/stream.h"

/* Every acl of refs matches; one that cannot be decided yet (a dst acl
 * before resolution) does not, as a fast acl in Squid. */
static int
refs_match(const struct acl_ref *ref, size_t n, const struct acl_ctx *ctx)
{
	size_t i;
	int m;

	for (i = 0; i < n; i++) {
		m = acl_match(ref[i].acl, ctx);
		if (m < 0 || m == ref[i].negate)
			return 0;
	}
	return 1;
}

/* ---------------------------------------------------------- deny_info */

/*
 * The acl whose deny_info applies: the last one of the deciding rule;
 * when no rule matched (the answer is the opposite of the last line), the
 * last one evaluated on the last line, the one that failed.
 */
static const struct acl *
deciding_acl(const struct access_list *list, const struct access_rule *rule,
	     const struct acl_ctx *ctx)
{
	const struct access_rule *last;
	size_t i;
	int m;

	if (rule != NULL)
		return rule->nref ? rule->ref[rule->nref - 1].acl : NULL;
	if (list->n == 0)
		return NULL;
	last = &list->rule[list->n - 1];
	for (i = 0; i < last->nref; i++) {
		m = acl_match(last->ref[i].acl, ctx);
		if (m < 0 || m == last->ref[i].negate)
			return last->ref[i].acl;
	}
	return last->nref ? last->ref[last->nref - 1].acl : NULL;
}

/* Append s (escaped like Squid's rfc1738_escape_part: all but unreserved
 * characters as %XX) to out at *o, cut at n - 1. */
static void
put_escaped(char *out, size_t n, size_t *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			if (*o + 1 >= n)
				return;
			out[(*o)++] = (char)c;
			continue;
		}
		if (*o + 3 >= n)
			return;
		out[(*o)++] = '%';
		out[(*o)++] = hex[c >> 4];
		out[(*o)++] = hex[c & 15];
	}
}

/*
 * The deny_info URL with Squid's format tags expanded (values escaped):
 * %u %U URL, %H host, %i client IP, %M method, %p port, %R path, %P
 * protocol, %h our host name, %x error name, %o the message= and %a the
 * user= of an external acl's helper, %%. Tags for what tproxyd does not
 * have (FTP, ...) expand to nothing.
 */
static char *
expand_url(const struct stream *s, const struct acl_ctx *ctx,
	   const char *tmpl, const char *errname)
{
	char out[4096], num[16], ip[INET6_ADDRSTRLEN];
	const char *v;
	size_t o = 0, vl;
	char *r;

	for (; *tmpl != '\0' && o + 1 < sizeof(out); tmpl++) {
		if (*tmpl != '%' || tmpl[1] == '\0') {
			out[o++] = *tmpl;
			continue;
		}
		tmpl++;
		v = NULL;
		vl = 0;
		switch (*tmpl) {
		case '%':
			out[o++] = '%';
			continue;
		case 'u':
		case 'U':
			v = s->url ? s->url : "";
			vl = s->url ? s->url_len : 0;
			break;
		case 'H':
			v = s->host;
			break;
		case 'i':
			v = sa_ip_text(ctx->client, ip, sizeof(ip));
			break;
		case 'M':
			v = s->method;
			break;
		case 'p':
			snprintf(num, sizeof(num), "%u", s->port);
			v = num;
			break;
		case 'R':
			v = s->url ? s->url + s->path_off : "";
			vl = s->url ? s->url_len - s->path_off : 0;
			break;
		case 'P':
			v = ctx->proto.p;
			vl = ctx->proto.len;
			break;
		case 'h':
			v = proxy_hostname;
			break;
		case 'x':
			v = errname;
			break;
		case 'o':	/* an external acl helper's message= */
			v = s->ext_msg;
			break;
		case 'a':	/* its user= */
			v = s->ext_user;
			break;
		default:
			continue;
		}
		if (v != NULL)
			put_escaped(out, sizeof(out), &o, v,
				    vl ? vl : strlen(v));
	}
	out[o] = '\0';
	r = strdup(out);
	return r;
}

int
rules_challenge(const struct access_list *list,
		const struct access_rule *rule, const struct acl_ctx *ctx)
{
	return ctx->auth_wait &&
	       acl_is_proxy_auth(deciding_acl(list, rule, ctx));
}

void
rules_deny(struct stream *s, const struct access_list *list,
	   const struct access_rule *rule, const struct acl_ctx *ctx,
	   const char *code)
{
	const struct cfg_rules *cr = &s->sess->cfg->rules;
	const struct cfg_deny_info *di = NULL;
	const struct acl *acl;
	const char *detail;
	size_t i;
	int status, challenge;

	s->code = code;
	/* An external acl helper's message= says why (Squid's %o). */
	detail = s->ext_msg[0] != '\0' ? s->ext_msg : "Access control "
		 "configuration prevents your request from being allowed at "
		 "this time.";
	/* An external acl without an answer ended the check: its deny_info
	 * (Squid's AclMatchedName). */
	acl = cr->ndeny_info == 0 && !ctx->auth_wait ? NULL :
	      rule == NULL && s->ext_fail != NULL ? s->ext_fail :
	      deciding_acl(list, rule, ctx);
	/* Squid: denied by a proxy_auth acl (the last one checked), the
	 * client is asked to log in (again), maybe as another user. Only
	 * where credentials are asked for (http_access). */
	challenge = ctx->auth_wait && acl_is_proxy_auth(acl);
	for (i = 0; acl != NULL && i < cr->ndeny_info && di == NULL; i++)
		if (strcmp(cr->deny_info[i].acl, acl->name) == 0)
			di = &cr->deny_info[i];
	if (di == NULL && challenge) {
		auth_challenge(s, NULL);
		return;
	}
	if (di == NULL) {
		strm_error(s, 403, "ERR_ACCESS_DENIED", detail);
		return;
	}
	switch (di->kind) {
	case DENY_RESET:
		/* No answer at all: the client sees its connection reset
		 * (Squid's TCP_RESET). */
		s->status = 403;
		s->errname = "TCP_RESET";
		conn_set_abortive(s->fe);
		strm_abort(s);
		return;
	case DENY_REDIRECT:
		status = di->status;
		if (status == 0)
			status = s->minor == 1 && s->meth != H1_M_GET &&
				 s->meth != H1_M_HEAD ? 307 : 302;
		free(s->location);
		s->location = expand_url(s, ctx, di->url, "ERR_ACCESS_DENIED");
		if (s->location == NULL) {
			strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
			return;
		}
		strm_error(s, status, "ERR_ACCESS_DENIED",
			   "Access control configuration redirects this "
			   "request.");
		return;
	case DENY_PAGE:
		if (challenge) {
			auth_challenge(s, di->page);
			return;
		}
		strm_error(s, di->status ? di->status : 403, di->page,
			   detail);
		return;
	}
}

/* ------------------------------------------------------ reply checks */

int
rules_reply(struct stream *s, const struct h1_info *info)
{
	const struct cfg_rules *cr = &s->sess->cfg->rules;
	const struct access_rule *rule;
	struct acl_ctx ctx;
	enum acl_verdict v;
	size_t i;

	s->resp_body_max = 0;
	if (cr->reply_access.n == 0 && cr->nreply_body == 0)
		return 0;
	strm_acl_ctx(s, &ctx);
	v = acl_check(&cr->reply_access, &ctx, ACL_ALLOW, &rule);
	if (v != ACL_ALLOW) {
		/* ACL_NEED_DST: the server's address is not known when a
		 * parent was used; a rule that cannot be decided denies. */
		rules_deny(s, &cr->reply_access, rule, &ctx,
			   "TCP_DENIED_REPLY");
		return 1;
	}
	for (i = 0; i < cr->nreply_body; i++) {
		if (!refs_match(cr->reply_body[i].ref, cr->reply_body[i].nref,
				&ctx))
			continue;
		if (cr->reply_body[i].max != UINT64_MAX)
			s->resp_body_max = cr->reply_body[i].max;
		break;
	}
	if (s->resp_body_max > 0 && info->has_cl && !info->has_te &&
	    info->cl > s->resp_body_max) {
		s->code = "TCP_DENIED_REPLY";
		strm_error(s, 403, "ERR_TOO_BIG", "The reply is larger than "
			   "the configured limit (reply_body_max_size).");
		return 1;
	}
	return 0;
}

uint64_t
rules_request_body_max(const struct stream *s)
{
	return s->sess->cfg->rules.request_body_max;
}

/* ------------------------------------------------------ header rules */

/* The field names Squid knows (its registered headers): "Other" rules
 * apply to every name not in this list. */
static const char *const known_hdr[] = {
	"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
	"Accept-Ranges", "Age", "Allow", "Alternate-Protocol",
	"Authentication-Info", "Authorization", "Cache-Control",
	"Cache-Status", "CDN-Loop", "Connection", "Content-Base",
	"Content-Disposition", "Content-Encoding", "Content-Language",
	"Content-Length", "Content-Location", "Content-MD5",
	"Content-Range", "Content-Type", "Cookie", "Cookie2", "Date", "ETag",
	"Expect", "Expires", "Forwarded", "From", "Host", "If-Match",
	"If-Modified-Since", "If-None-Match", "If-Range",
	"If-Unmodified-Since", "Keep-Alive", "Key", "Last-Modified", "Link",
	"Location", "Max-Forwards", "Mime-Version", "Negotiate", "Origin",
	"Pragma", "Priority", "Proxy-Authenticate",
	"Proxy-Authentication-Info", "Proxy-Authorization",
	"Proxy-Connection", "Proxy-support", "Public", "Range", "Referer",
	"Request-Range", "Retry-After", "Server", "Set-Cookie",
	"Set-Cookie2", "TE", "Title", "Trailer", "Transfer-Encoding",
	"Translate", "Unless-Modified-Since", "Upgrade", "User-Agent",
	"Vary", "Via", "WWW-Authenticate", "X-Forwarded-For",
	"X-Squid-Error", "X-Accelerator-Vary", "X-Next-Services",
	"Surrogate-Capability", "Surrogate-Control", "Front-End-Https",
	"FTP-Command", "FTP-Arguments", "FTP-Pre", "FTP-Status",
	"FTP-Reason",
};

static int
known_name(struct str n)
{
	size_t i;

	for (i = 0; i < sizeof(known_hdr) / sizeof(known_hdr[0]); i++)
		if (strlen(known_hdr[i]) == n.len && str_ieq(n, known_hdr[i]))
			return 1;
	return 0;
}

/*
 * hdr_filter_fn for both directions. The rule set for a field is, as in
 * Squid: the lines for its name, else "Other" (names Squid does not
 * know), else "All". As in Squid (not as its manual says), when no line
 * of the set matches, the answer is the opposite of the last line's; a
 * denied field gets the set's _replace value if there is one, else it is
 * removed.
 */
static enum hdr_verdict
hdr_filter(void *arg, struct str name, struct str *value)
{
	const struct rules_hdr *rh = arg;
	const struct cfg_hdr_rules *r = rh->r;
	const struct cfg_hdr_access *set = NULL, *other = NULL, *all = NULL;
	size_t i;

	for (i = 0; i < r->naccess; i++) {
		switch (r->access[i].kind) {
		case HDR_RULE_NAME:
			if (strlen(r->access[i].name) == name.len &&
			    str_ieq(name, r->access[i].name))
				set = &r->access[i];
			break;
		case HDR_RULE_OTHER:
			other = &r->access[i];
			break;
		case HDR_RULE_ALL:
			all = &r->access[i];
			break;
		}
	}
	if (set == NULL && other != NULL && !known_name(name))
		set = other;
	if (set == NULL)
		set = all;
	if (set == NULL ||
	    acl_check(&set->list, &rh->ctx, ACL_ALLOW, NULL) == ACL_ALLOW)
		return HDR_KEEP;
	for (i = 0; i < r->nreplace; i++) {
		if (strcasecmp(r->replace[i].name, set->name) == 0) {
			*value = str_make(r->replace[i].value,
					  strlen(r->replace[i].value));
			return HDR_REPLACE;
		}
	}
	return HDR_DROP;
}

/* Append v (len bytes) to the add area at *o; 0 or -1 when full. */
static int
area_put(struct rules_hdr *rh, size_t *o, const char *v, size_t len)
{
	if (*o + len >= sizeof(rh->area))
		return -1;
	memcpy(rh->area + *o, v, len);
	*o += len;
	return 0;
}

/* One header_add value with its %-codes (cfg_rules.c lists them). */
static int
expand_value(struct rules_hdr *rh, const struct stream *s,
	     const struct cfg_hdr_add *a, size_t *o)
{
	const struct sess *se = s->sess;
	const struct sockaddr *client = (const struct sockaddr *)&se->addr;
	const struct str *h;
	const char *p = a->value, *v;
	char tmp[INET6_ADDRSTRLEN + 8];
	size_t l;

	if (s->has_indirect && se->cfg->rules.log_indirect)
		client = (const struct sockaddr *)&s->indirect;
	while (*p != '\0') {
		if (*p != '%') {
			l = strcspn(p, "%");
			if (area_put(rh, o, p, l) < 0)
				return -1;
			p += l;
			continue;
		}
		v = NULL;
		l = 0;
		if (strncmp(p, "%%", 2) == 0) {
			v = "%", l = 2;
		} else if (strncmp(p, "%>a", 3) == 0) {
			v = sa_ip_text(client, tmp, sizeof(tmp)), l = 3;
		} else if (strncmp(p, "%>p", 3) == 0) {
			snprintf(tmp, sizeof(tmp), "%u", sa_port(client));
			v = tmp, l = 3;
		} else if (strncmp(p, "%la", 3) == 0) {
			v = sa_ip_text((const struct sockaddr *)&se->local,
				       tmp, sizeof(tmp)), l = 3;
		} else if (strncmp(p, "%lp", 3) == 0) {
			snprintf(tmp, sizeof(tmp), "%u",
				 sa_port((const struct sockaddr *)&se->local));
			v = tmp, l = 3;
		} else if (strncmp(p, "%>rm", 4) == 0) {
			v = s->method, l = 4;
		} else if (strncmp(p, "%>rd", 4) == 0) {
			v = s->host, l = 4;
		} else if (strncmp(p, "%ru", 3) == 0) {
			if (area_put(rh, o, s->url ? s->url : "",
				     s->url ? s->url_len : 0) < 0)
				return -1;
			p += 3;
			continue;
		} else if (strncmp(p, "%{Host}>h", 9) == 0) {
			h = http_msg_field(&s->reqm, "host");
			if (h != NULL && area_put(rh, o, h->p, h->len) < 0)
				return -1;
			p += 9;
			continue;
		} else {
			v = "%", l = 1;		/* checked at load */
		}
		if (v != NULL && area_put(rh, o, v, strlen(v)) < 0)
			return -1;
		p += l;
	}
	return 0;
}

/* The fields of r->add whose acls match, into rh->add; returns how many. */
static size_t
hdr_adds(struct rules_hdr *rh, const struct stream *s)
{
	const struct cfg_hdr_rules *r = rh->r;
	const struct cfg_hdr_add *a;
	size_t i, n = 0, o = 0, start;

	for (i = 0; i < r->nadd && n < RULES_ADD_MAX; i++) {
		a = &r->add[i];
		if (!refs_match(a->ref, a->nref, &rh->ctx))
			continue;
		rh->add[n].name = str_make(a->name, strlen(a->name));
		if (!a->codes) {
			rh->add[n].value = str_make(a->value,
						    strlen(a->value));
			n++;
			continue;
		}
		start = o;
		if (expand_value(rh, s, a, &o) < 0) {
			log_msg(LOG_INFO, "%s: header value too long, not "
				"added", a->name);
			o = start;
			continue;
		}
		rh->add[n].value = str_make(rh->area + start, o - start);
		n++;
	}
	return n;
}

void
rules_hdr_req(struct rules_hdr *rh, const struct stream *s,
	      struct hdr_req_opts *o)
{
	rh->r = &s->sess->cfg->rules.req_hdr;
	if (rh->r->naccess == 0 && rh->r->nadd == 0)
		return;
	strm_acl_ctx(s, &rh->ctx);
	if (rh->r->naccess > 0) {
		o->filter = hdr_filter;
		o->filter_arg = rh;
	}
	o->nadd = hdr_adds(rh, s);
	o->add = rh->add;
}

void
rules_hdr_resp(struct rules_hdr *rh, const struct stream *s,
	       struct hdr_resp_opts *o)
{
	rh->r = &s->sess->cfg->rules.rep_hdr;
	if (rh->r->naccess == 0 && rh->r->nadd == 0)
		return;
	strm_acl_ctx(s, &rh->ctx);
	if (rh->r->naccess > 0) {
		o->filter = hdr_filter;
		o->filter_arg = rh;
	}
	o->nadd = hdr_adds(rh, s);
	o->add = rh->add;
}

/* ------------------------------------------------ follow_x_forwarded_for */

#define XFF_MAX 64	/* addresses looked at, from the right */

/* One X-Forwarded-For element (trimmed, "[v6]" allowed) as an address;
 * 0 or -1. */
static int
xff_addr(struct str e, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN + 2];

	if (e.len >= 2 && e.p[0] == '[' && e.p[e.len - 1] == ']') {
		e.p++;
		e.len -= 2;
	}
	if (e.len == 0 || e.len >= sizeof(buf))
		return -1;
	memcpy(buf, e.p, e.len);
	buf[e.len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

/*
 * Squid's walk: starting with the address that connected, while the list
 * allows the current address (as a src acl sees it), take the next
 * X-Forwarded-For value from the right as the new indirect client. Stops
 * at a denial, a value that is not an address, or the end.
 */
void
rules_follow_xff(struct stream *s)
{
	const struct cfg_rules *cr = &s->sess->cfg->rules;
	const struct http_msg *m = &s->reqm;
	struct str el[XFF_MAX];
	struct sockaddr_storage cur;
	struct acl_ctx ctx;
	const char *p, *e, *b;
	size_t i, n = 0;
	int k;

	if (cr->follow_xff.n == 0 || !m->valid)
		return;
	/* All elements in order; keep the last XFF_MAX (the walk starts
	 * at the right end). */
	for (i = 0; i < m->nhdr; i++) {
		if (!str_ieq(m->hdr[i].name, "x-forwarded-for"))
			continue;
		p = m->hdr[i].value.p;
		e = p + m->hdr[i].value.len;
		while (p < e) {
			while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
				p++;
			b = p;
			while (p < e && *p != ',')
				p++;
			k = (int)(p - b);
			while (k > 0 && (b[k - 1] == ' ' || b[k - 1] == '\t'))
				k--;
			if (k == 0)
				continue;
			if (n == XFF_MAX) {
				memmove(el, el + 1, (XFF_MAX - 1) *
					sizeof(el[0]));
				n--;
			}
			el[n++] = str_make(b, (size_t)k);
		}
	}
	strm_acl_ctx(s, &ctx);
	cur = s->sess->addr;
	while (n > 0) {
		ctx.client = (const struct sockaddr *)&cur;
		if (acl_check(&cr->follow_xff, &ctx, ACL_DENY, NULL) !=
		    ACL_ALLOW)
			break;
		if (xff_addr(el[--n], &cur) < 0)
			break;
		s->indirect = cur;
		s->has_indirect = 1;
	}
}
