/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_rules.c - the rules Squid applies to each request and reply on top
 * of http_access: http_reply_access, reply_body_max_size,
 * request_body_max_size, deny_info, the header rules
 * ({request,reply}_header_{access,replace,add}), follow_x_forwarded_for
 * with acl_uses_indirect_client and log_uses_indirect_client, and
 * client_ip_max_connections. Fills struct cfg's member rules
 * (cfg_rules-t.h); src/proxy/rules.c applies them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg-int.h"
#include "config/config.h"

static void
set_reply_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->rules.reply_access);
}

static void
set_follow_xff(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->rules.follow_xff);
}

static void
set_acl_indirect(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->rules.acl_indirect);
}

static void
set_log_indirect(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->rules.log_indirect);
}

/*
 * SIZE [UNIT] at t[i], or "none" (*out = UINT64_MAX). Returns the index
 * of the first token after it, or 0 after reporting. A missing unit is
 * bytes, with Squid's warning; a token that is not a unit starts the
 * acls.
 */
static size_t
size_arg(struct cfg_parse *p, const struct tok *t, size_t n, size_t i,
	 uint64_t *out)
{
	double v, mul = 1;

	if (strcmp(t[i].s, "none") == 0) {
		*out = UINT64_MAX;
		return i + 1;
	}
	if (cfg_decimal(t[i].s, &v) < 0) {
		cfg_err(p, &t[i], "%s: invalid size '%s'", t[0].s, t[i].s);
		return 0;
	}
	if (i + 1 < n && cfg_size_unit(t[i + 1].s, &mul) == 0) {
		i++;
	} else {
		cfg_warn(p, &t[i], "%s: no units on '%s', assuming bytes",
			 t[0].s, t[i].s);
	}
	v *= mul;
	if (v >= 18446744073709551615.0) {
		cfg_err(p, &t[i], "%s: size '%s' is too large", t[0].s,
			t[i].s);
		return 0;
	}
	*out = (uint64_t)v;
	return i + 1;
}

/* acl names t[i..n) into *ref (counted by *nref); -1 when one is
 * unknown (reported). */
static int
acl_refs(struct cfg_parse *p, const struct tok *t, size_t n, size_t i,
	 struct acl_ref **ref, size_t *nref)
{
	struct acl_ref r;
	int bad = 0;

	for (; i < n; i++) {
		if (cfg_acl_ref(p, t[0].s, &t[i], &r) < 0) {
			bad = 1;
			continue;
		}
		*AR_PUSH(p->ar, *ref, *nref) = r;
	}
	return bad ? -1 : 0;
}

/* reply_body_max_size SIZE [UNIT] [acl...] */
static void
set_reply_body_max(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_rules *r = &p->c->rules;
	struct cfg_size_rule sr;
	size_t i;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	memset(&sr, 0, sizeof(sr));
	if ((i = size_arg(p, t, n, 1, &sr.max)) == 0)
		return;
	if (acl_refs(p, t, n, i, &sr.ref, &sr.nref) < 0)
		return;
	*AR_PUSH(p->ar, r->reply_body, r->nreply_body) = sr;
}

/* request_body_max_size SIZE [UNIT]; 0 (Squid's default) is no limit. */
static void
set_request_body_max(struct cfg_parse *p, const struct tok *t, size_t n)
{
	uint64_t v;
	size_t i;

	double mul;

	if (cfg_nargs(p, t, n, 1, 2) < 0)
		return;
	if (n == 3 && cfg_size_unit(t[2].s, &mul) < 0) {
		cfg_err(p, &t[2], "%s: unknown size unit '%s' (use bytes, "
			"KB, MB or GB)", t[0].s, t[2].s);
		return;
	}
	if ((i = size_arg(p, t, n, 1, &v)) == 0)
		return;
	p->c->rules.request_body_max = v == UINT64_MAX ? 0 : v;
}

/* client_ip_max_connections N; -1 (Squid's default): no limit. */
static void
set_client_ip_max(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	if (strcmp(t[1].s, "-1") == 0) {
		p->c->rules.client_ip_max = -1;
		return;
	}
	if (cfg_number(t[1].s, 0, 1000000, &v) < 0) {
		cfg_err(p, &t[1], "%s: invalid number '%s' (a count of "
			"connections from 0 to 1000000, or -1 for no limit)",
			t[0].s, t[1].s);
		return;
	}
	if (v == 0)
		cfg_warn(p, &t[1], "%s: 0 refuses every client connection",
			 t[0].s);
	p->c->rules.client_ip_max = (long)v;
}

/*
 * deny_info [CODE:]ERR_PAGE | [CODE:]URL | TCP_RESET acl...
 * A URL is told from a page name by its ':' (Squid's rule); CODE must be
 * a 3xx for a URL and a 4xx or 5xx for a page.
 */
static void
set_deny_info(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_rules *r = &p->c->rules;
	struct cfg_deny_info di, *e;
	const char *a = t[1].s;
	unsigned long code = 0;
	char num[4];
	size_t i;

	if (cfg_nargs(p, t, n, 2, -1) < 0)
		return;
	memset(&di, 0, sizeof(di));
	if (strlen(a) > 4 && a[3] == ':' && strspn(a, "0123456789") == 3) {
		memcpy(num, a, 3);
		num[3] = '\0';
		if (cfg_number(num, 100, 599, &code) < 0) {
			cfg_err(p, &t[1], "%s: invalid status in '%s'",
				t[0].s, a);
			return;
		}
		a += 4;
	}
	if (strcmp(a, "TCP_RESET") == 0) {
		di.kind = DENY_RESET;
	} else if (strchr(a, ':') != NULL) {
		di.kind = DENY_REDIRECT;
		if (code != 0 && (code < 300 || code > 399)) {
			cfg_err(p, &t[1], "%s: a redirect needs a 3xx "
				"status, not %lu", t[0].s, code);
			return;
		}
		di.url = ar_strdup(p->ar, a);
	} else {
		di.kind = DENY_PAGE;
		if (code != 0 && code < 400) {
			cfg_err(p, &t[1], "%s: an error page needs a 4xx or "
				"5xx status, not %lu", t[0].s, code);
			return;
		}
		di.page = ar_strdup(p->ar, a);
	}
	di.status = (int)code;
	for (i = 2; i < n; i++) {
		if (cfg_acl_find(p->c, t[i].s) == NULL)
			cfg_warn(p, &t[i], "%s: acl '%s' is not defined "
				 "(yet): this line applies only if it is",
				 t[0].s, t[i].s);
		e = AR_PUSH(p->ar, r->deny_info, r->ndeny_info);
		*e = di;
		e->acl = ar_strdup(p->ar, t[i].s);
	}
}

/* ------------------------------------------------------ header rules */

/*
 * The fields a header rule never removes, replaces or adds: the framing
 * fields decide where the message ends (a removed Content-Length, or a
 * second one added, lets the next hop read the body as another message),
 * and Host where a request goes. Squid applies its rules to them like to
 * any field; tproxyd always keeps them as the message was framed (and
 * Connection, which it writes itself).
 */
static int
hdr_protected(const char *name)
{
	return strcasecmp(name, "Content-Length") == 0 ||
	       strcasecmp(name, "Transfer-Encoding") == 0 ||
	       strcasecmp(name, "Host") == 0 ||
	       strcasecmp(name, "Connection") == 0;
}

/* A field name must be a token (RFC 9110 5.6.2). */
static int
hdr_token(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(tchar, *s) != NULL))
			return 0;
	return 1;
}

static struct cfg_hdr_rules *
hdr_dir(struct cfg_parse *p, const struct tok *t)
{
	/* header_replace is Squid's old name of request_header_replace. */
	return strncmp(t[0].s, "reply_", 6) == 0 ? &p->c->rules.rep_hdr :
	       &p->c->rules.req_hdr;
}

/* NAME_header_access FIELD allow|deny acl... */
static void
set_hdr_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_hdr_rules *h = hdr_dir(p, t);
	struct cfg_hdr_access *a = NULL;
	enum hdr_rule_kind kind = HDR_RULE_NAME;
	size_t i;

	if (cfg_nargs(p, t, n, 2, -1) < 0)
		return;
	if (strcmp(t[1].s, "All") == 0)
		kind = HDR_RULE_ALL;
	else if (strcmp(t[1].s, "Other") == 0)
		kind = HDR_RULE_OTHER;
	else if (!hdr_token(t[1].s)) {
		cfg_err(p, &t[1], "%s: invalid header name '%s'", t[0].s,
			t[1].s);
		return;
	} else if (hdr_protected(t[1].s) && strcmp(t[2].s, "deny") == 0)
		cfg_warn(p, &t[1], "%s: tproxyd never removes or replaces "
			 "'%s' (it frames or addresses the message, and the "
			 "next hop would misread it without): this rule does "
			 "not apply to it", t[0].s, t[1].s);
	for (i = 0; i < h->naccess; i++)
		if (strcasecmp(h->access[i].name, t[1].s) == 0)
			a = &h->access[i];
	if (a == NULL) {
		a = AR_PUSH(p->ar, h->access, h->naccess);
		a->name = ar_strdup(p->ar, t[1].s);
		a->kind = kind;
	}
	cfg_access_line(p, t, n, 2, t[0].s, &a->list);
}

/* The rest of the line from t[i] as one value, words joined by a space
 * (Squid takes the rest of the line). */
static char *
rest_of_line(struct cfg_parse *p, const struct tok *t, size_t n, size_t i)
{
	size_t len = 0, k, off = 0, l;
	char *s;

	for (k = i; k < n; k++)
		len += strlen(t[k].s) + 1;
	s = ar_alloc(p->ar, len + 1);
	for (k = i; k < n; k++) {
		l = strlen(t[k].s);
		if (k > i)
			s[off++] = ' ';
		memcpy(s + off, t[k].s, l);
		off += l;
	}
	s[off] = '\0';
	return s;
}

/* A value sent in a field: no CR, LF or NUL (the lexer has no NUL). */
static int
hdr_value_ok(struct cfg_parse *p, const struct tok *t, const char *v)
{
	if (strpbrk(v, "\r\n") != NULL) {
		cfg_err(p, t, "%s: line breaks are not allowed in a header "
			"value", t[0].s);
		return 0;
	}
	return 1;
}

/* NAME_header_replace FIELD VALUE... */
static void
set_hdr_replace(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_hdr_rules *h = hdr_dir(p, t);
	struct cfg_hdr_replace *r = NULL;
	char *v;
	size_t i;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (!hdr_token(t[1].s)) {
		cfg_err(p, &t[1], "%s: invalid header name '%s'", t[0].s,
			t[1].s);
		return;
	}
	if (hdr_protected(t[1].s))
		cfg_warn(p, &t[1], "%s: tproxyd never replaces '%s': this "
			 "line has no effect", t[0].s, t[1].s);
	v = rest_of_line(p, t, n, 2);
	if (!hdr_value_ok(p, t, v))
		return;
	/* A later line for the same field overrides (Squid). */
	for (i = 0; i < h->nreplace; i++)
		if (strcasecmp(h->replace[i].name, t[1].s) == 0)
			r = &h->replace[i];
	if (r == NULL) {
		r = AR_PUSH(p->ar, h->replace, h->nreplace);
		r->name = ar_strdup(p->ar, t[1].s);
	}
	r->value = v;
}

/*
 * The %-codes a header_add value may hold: a quoted value is a logformat
 * string in Squid. tproxyd expands the ones below (rules.c); any other
 * would be sent as the wrong text, so it is refused.
 */
static const char *const hdr_codes[] = {
	"%%", "%>a", "%>p", "%la", "%lp", "%>rm", "%ru", "%>rd", "%{Host}>h",
};

static int
hdr_codes_ok(struct cfg_parse *p, const struct tok *t, const char *v)
{
	size_t i, l;
	int ok;

	while ((v = strchr(v, '%')) != NULL) {
		ok = 0;
		for (i = 0; i < CFG_NELEM(hdr_codes) && !ok; i++) {
			l = strlen(hdr_codes[i]);
			if (strncmp(v, hdr_codes[i], l) == 0) {
				ok = 1;
				v += l;
			}
		}
		if (!ok) {
			cfg_err(p, &t[2], "%s: the logformat code at '%.16s' "
				"is not supported by tproxyd in header "
				"values (supported: %%>a %%>p %%la %%lp %%>rm "
				"%%ru %%>rd %%{Host}>h %%%%)", t[0].s, v);
			return 0;
		}
	}
	return 1;
}

/* NAME_header_add FIELD VALUE [acl...] */
static void
set_hdr_add(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_hdr_rules *h = hdr_dir(p, t);
	struct cfg_hdr_add a;

	if (cfg_nargs(p, t, n, 2, -1) < 0)
		return;
	if (!hdr_token(t[1].s)) {
		cfg_err(p, &t[1], "%s: invalid header name '%s'", t[0].s,
			t[1].s);
		return;
	}
	if (hdr_protected(t[1].s)) {
		cfg_err(p, &t[1], "%s: adding '%s' is not supported by "
			"tproxyd: a second framing or Host field makes the "
			"next hop read the message differently than tproxyd "
			"did", t[0].s, t[1].s);
		return;
	}
	if (!hdr_value_ok(p, t, t[2].s))
		return;
	memset(&a, 0, sizeof(a));
	a.name = ar_strdup(p->ar, t[1].s);
	a.value = ar_strdup(p->ar, t[2].s);
	a.codes = t[2].quoted && strchr(t[2].s, '%') != NULL;
	if (a.codes && !hdr_codes_ok(p, t, t[2].s))
		return;
	if (acl_refs(p, t, n, 3, &a.ref, &a.nref) < 0)
		return;
	*AR_PUSH(p->ar, h->add, h->nadd) = a;
}

/* Squid's defaults. */
static void
rules_defaults(struct cfg_parse *p)
{
	p->c->rules.acl_indirect = 1;
	p->c->rules.client_ip_max = -1;
	p->c->rules.log_indirect = 1;
}

static const struct cfg_dir dirs[] = {
	{ "http_reply_access",		set_reply_access },
	{ "reply_body_max_size",	set_reply_body_max },
	{ "request_body_max_size",	set_request_body_max },
	{ "deny_info",			set_deny_info },
	{ "request_header_access",	set_hdr_access },
	{ "reply_header_access",	set_hdr_access },
	{ "request_header_replace",	set_hdr_replace },
	{ "header_replace",		set_hdr_replace },
	{ "reply_header_replace",	set_hdr_replace },
	{ "request_header_add",		set_hdr_add },
	{ "reply_header_add",		set_hdr_add },
	{ "follow_x_forwarded_for",	set_follow_xff },
	{ "acl_uses_indirect_client",	set_acl_indirect },
	{ "log_uses_indirect_client",	set_log_indirect },
	{ "client_ip_max_connections",	set_client_ip_max },
};

const struct cfg_dirtab cfg_dirs_rules = {
	.module		= "rules",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= rules_defaults,
};
