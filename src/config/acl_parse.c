/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl_parse.c - the "acl NAME TYPE VALUE..." directive, the predefined
 * ACLs, and references to ACLs from the *_access directives.
 *
 * Values are appended to the ACL while the file is read (several lines
 * with the same name and type add up, as in Squid); acl_values.c parses
 * each value. cfg_acl_finish() (acl_finish.c) then puts them in the form
 * src/acl/acl.c matches against: domain lists sorted and deduplicated,
 * regexes compiled, address lists merged.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl/acl.h"
#include "config/acl-int.h"
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
	{ "at_step",		ACL_AT_STEP },
	{ "ssl::server_name",	ACL_SERVER_NAME },
	{ "ssl::server_name_regex", ACL_SERVER_NAME_REGEX },
	{ "ssl_error",		ACL_SSL_ERROR },
	{ "connections_encrypted", ACL_ENCRYPTED },
	{ "squid_error",	ACL_SQUID_ERROR },
	{ "external",		ACL_EXTERNAL },
	{ "tag",		ACL_TAG },
	{ "proxy_auth",		ACL_PROXY_AUTH },
	{ "proxy_auth_regex",	ACL_PROXY_AUTH_REGEX },
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
	{ "max_user_ip",	"tproxyd does not count the addresses a "
	  "user logs in from; the limit would not be applied" },
	{ "ext_user",		"tproxyd does not match the user names "
	  "external_acl_type helpers return; use the helper's own OK/ERR "
	  "answer (acl NAME external TYPE)" },
	{ "ext_user_regex",	"tproxyd does not match the user names "
	  "external_acl_type helpers return; use the helper's own OK/ERR "
	  "answer (acl NAME external TYPE)" },
	{ "server_cert_fingerprint", "tproxyd does not compute the "
	  "fingerprints of server certificates" },
	{ "user_cert",		"tproxyd has no TLS client certificates" },
	{ "ca_cert",		"tproxyd has no TLS client certificates" },
	{ "peername",		"it matches cache_peer selection, which "
	  "tproxyd makes before such acls could be asked" },
	{ "peername_regex",	"it matches cache_peer selection, which "
	  "tproxyd makes before such acls could be asked" },
	{ "eui64",		"tproxyd matches MAC addresses (arp) only, "
	  "not EUI-64" },
	{ "snmp_community",	"tproxyd has no SNMP agent" },
	{ "note",		"tproxyd keeps no transaction annotations" },
	{ "adaptation_service",	"tproxyd has no ICAP/eCAP adaptation" },
	{ "hier_code",		"tproxyd does not have it" },
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
	/* Squid's shortcuts for certificate errors (built with OpenSSL). */
	"acl ssl::certHasExpired ssl_error X509_V_ERR_CERT_HAS_EXPIRED",
	"acl ssl::certNotYetValid ssl_error X509_V_ERR_CERT_NOT_YET_VALID",
	"acl ssl::certDomainMismatch ssl_error "
	"SQUID_X509_V_ERR_DOMAIN_MISMATCH",
	"acl ssl::certUntrusted ssl_error X509_V_ERR_INVALID_CA "
	"X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN "
	"X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE "
	"X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT "
	"X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY "
	"X509_V_ERR_CERT_UNTRUSTED",
	"acl ssl::certSelfSigned ssl_error "
	"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT",
};

const char *
cfg_acl_type_name(enum acl_type type)
{
	size_t i;

	for (i = 0; i < sizeof(acl_types) / sizeof(acl_types[0]); i++)
		if (acl_types[i].type == type)
			return acl_types[i].name;
	return "?";
}

/* Values compiled as regexes into v.re by cfg_acl_finish(). */
int
cfg_acl_is_regex(enum acl_type type)
{
	return type == ACL_DSTDOM_REGEX || type == ACL_SRCDOM_REGEX ||
	    type == ACL_URL_REGEX ||
	    type == ACL_URLPATH_REGEX || type == ACL_BROWSER ||
	    type == ACL_REFERER_REGEX ||
	    type == ACL_REQ_MIME_TYPE || type == ACL_REP_MIME_TYPE ||
	    type == ACL_SERVER_NAME_REGEX || type == ACL_PROXY_AUTH_REGEX;
}

int
cfg_acl_is_header(enum acl_type type)
{
	return type == ACL_REQ_HEADER || type == ACL_REP_HEADER;
}

int
cfg_acl_is_ip(enum acl_type type)
{
	return type == ACL_SRC || type == ACL_DST || type == ACL_LOCALIP;
}

/* Letters, digits and "-_.:" in ACL names (':' for Squid's predefined
 * ssl::certUntrusted and the like). */
int
cfg_acl_valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.:", *s) == NULL)
			return 0;
	return 1;
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


/* acl NAME external TYPE [ARG...]: the first value names the
 * external_acl_type, the others are its arguments (%DATA). */
static void
add_external(struct cfg_parse *p, const struct tok *t, struct acl *acl)
{
	struct acl_ext *e = acl->v.ext;

	if (e == NULL) {
		e = ar_alloc(p->ar, sizeof(*e));
		acl->v.ext = e;
		acl->n = 1;
		e->def = cfg_ext_find(p->c, t->s);
		if (e->def == NULL)
			cfg_err(p, t, "acl %s: external_acl_type '%s' is not "
				"defined (define it before this line)",
				acl->name, t->s);
		return;
	}
	*AR_PUSH(p->ar, e->arg, e->narg) = ar_strdup(p->ar, t->s);
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
		if (cfg_acl_add_ip_name(p, acl, t))
			break;
		k = cfg_acl_parse_ip_value(p, acl, t, ip);
		for (i = 0; i < k; i++)
			cfg_acl_push_ip(p, acl, t, &ip[i]);
		break;
	case ACL_PORT:
	case ACL_LOCALPORT:
		if (cfg_acl_parse_port_value(p, acl, t, &r) == 0)
			*AR_PUSH(p->ar, acl->v.range, acl->n) = r;
		break;
	case ACL_HTTP_STATUS:
		if (cfg_acl_parse_num_range(t->s, 999, &r) == 0)
			*AR_PUSH(p->ar, acl->v.range, acl->n) = r;
		else
			cfg_err(p, t, "acl %s: invalid status or status range "
				"'%s' (expected N, N-M or N-, 0..999)",
				acl->name, t->s);
		break;
	case ACL_TIME:
		cfg_acl_add_time(p, t, aa);
		break;
	case ACL_ARP:
		if (cfg_acl_parse_mac(t->s, mac) == 0)
			memcpy(*AR_PUSH(p->ar, acl->v.mac, acl->n), mac, 6);
		else
			cfg_err(p, t, "acl %s: invalid MAC address '%s' "
				"(expected xx:xx:xx:xx:xx:xx)", acl->name,
				t->s);
		break;
	case ACL_MAXCONN:
		if (cfg_acl_parse_uint(t->s, strlen(t->s), 0xffffffffUL,
				       &ul) < 0) {
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
	case ACL_SERVER_NAME:
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
		/* Server names that are IPv6 addresses are compared in
		 * inet_ntop() form (Squid asks for "::" notation). */
		if (acl->type == ACL_SERVER_NAME &&
		    (w = cfg_acl_canon_ip6(p, t->s)) != NULL) {
			*AR_PUSH(p->ar, acl->v.word, acl->n) = w;
			break;
		}
		w = ar_strndup(p->ar, t->s, len);
		for (k = 0; w[k] != '\0'; k++)
			w[k] = (char)tolower((unsigned char)w[k]);
		*AR_PUSH(p->ar, acl->v.word, acl->n) = w;
		break;
	case ACL_AT_STEP:
		cfg_acl_add_step(p, t, acl);
		break;
	case ACL_PROXY_AUTH:
		cfg_acl_add_proxy_auth(p, t, acl, aa->icase);
		break;
	case ACL_SSL_ERROR:
		cfg_acl_add_ssl_error(p, t, acl);
		break;
	case ACL_SQUID_ERROR:
		cfg_acl_add_squid_error(p, t, acl);
		break;
	case ACL_EXTERNAL:
		add_external(p, t, acl);
		break;
	case ACL_TAG:
		*AR_PUSH(p->ar, acl->v.word, acl->n) = ar_strdup(p->ar, t->s);
		break;
	case ACL_ENCRYPTED:
		cfg_warn(p, t, "acl %s: connections_encrypted takes no values; "
			 "'%s' ignored (as Squid does)", acl->name, t->s);
		break;
	case ACL_SERVER_NAME_REGEX:
	case ACL_PROXY_AUTH_REGEX:
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
		if ((why = cfg_acl_regex_too_costly(t->s)) != NULL) {
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
		hlen = cfg_acl_is_header(acl->type) ? strlen(aa->hname) + 1 : 0;
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

/* The ssl::server_name options and their flags. */
static const struct {
	const char *name;
	unsigned    flag;
} sn_options[] = {
	{ "--client-requested",	ACL_SN_CLIENT_REQUESTED },
	{ "--server-provided",	ACL_SN_SERVER_PROVIDED },
	{ "--consensus",	ACL_SN_CONSENSUS },
};

/*
 * An ssl::server_name(_regex) option ("--" alone ends Squid's options
 * and is skipped). Squid refuses two different options on one acl
 * (fatal), so does tproxyd, also across lines of the same name.
 */
static void
server_name_option(struct cfg_parse *p, const struct tok *t, struct acl *acl)
{
	size_t i, k;

	if (strcmp(t->s, "--") == 0)
		return;
	for (i = 0; i < CFG_NELEM(sn_options); i++)
		if (strcmp(t->s, sn_options[i].name) == 0)
			break;
	if (i == CFG_NELEM(sn_options)) {
		cfg_err(p, t, "acl %s: unknown option '%s' "
			"(--client-requested, --server-provided or "
			"--consensus)", acl->name, t->s);
		return;
	}
	if (acl->flags != 0 && acl->flags != sn_options[i].flag) {
		for (k = 0; k < CFG_NELEM(sn_options); k++)
			if (acl->flags == sn_options[k].flag)
				break;
		cfg_err(p, t, "acl %s: '%s' cannot be combined with '%s' (one "
			"option per acl: Squid refuses this too)", acl->name,
			t->s, k < CFG_NELEM(sn_options) ? sn_options[k].name :
			"?");
		return;
	}
	acl->flags = sn_options[i].flag;
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

int
cfg_acl_method_used(const struct cfg *c, const char *method)
{
	const struct acl *a;
	size_t i;

	for (a = c->acls; a != NULL; a = a->next)
		if (a->type == ACL_METHOD)
			for (i = 0; i < a->n; i++)
				if (strcasecmp(a->v.word[i], method) == 0)
					return 1;
	return 0;
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
	if (!cfg_acl_valid_name(t[1].s)) {
		cfg_err(p, &t[1], "acl: invalid acl name '%s' (letters, digits "
			"and -_.: only)", t[1].s);
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
				"another name)", t[1].s,
				cfg_acl_type_name(acl->type),
				tname);
		else
			cfg_err(p, &t[2], "acl %s: already defined as type "
				"'%s' at %s:%d; cannot add values of type "
				"'%s'", t[1].s, cfg_acl_type_name(acl->type),
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
	if (type == ACL_EXTERNAL && acl->v.ext != NULL) {
		cfg_err(p, &t[2], "acl %s: an external acl is defined on one "
			"line (first at %s:%d)", t[1].s, acl->file,
			acl->line);
		return;
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
		if ((cfg_acl_is_regex(type) || type == ACL_PROXY_AUTH ||
		     (cfg_acl_is_header(type) && aa.hname)) &&
		    (strcmp(t[i].s, "-i") == 0 ||
		     strcmp(t[i].s, "+i") == 0)) {
			aa.icase = t[i].s[0] == '-';
			continue;
		}
		/* -n: "do not resolve"; tproxyd never resolves acl values. */
		if ((type == ACL_DSTDOMAIN || type == ACL_DST ||
		     type == ACL_DSTDOM_REGEX) && strcmp(t[i].s, "-n") == 0)
			continue;
		if ((type == ACL_SERVER_NAME ||
		     type == ACL_SERVER_NAME_REGEX) &&
		    strncmp(t[i].s, "--", 2) == 0) {
			server_name_option(p, &t[i], acl);
			continue;
		}
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
	/* connections_encrypted is the one type without values. */
	if (nval == 0 && type != ACL_ENCRYPTED)
		cfg_err(p, &t[2], "acl %s: missing values", acl->name);
	else if (cfg_acl_is_header(type) && nval == 1 && aa.hname != NULL)
		cfg_err(p, &t[2], "acl %s: missing regular expression after "
			"the header name '%s'", acl->name, aa.hname);
}

void
cfg_acl_builtin(struct cfg_parse *p)
{
	struct tok t[16];
	char buf[512], *q, *save;
	size_t i, n;

	for (i = 0; i < sizeof(builtin_acls) / sizeof(builtin_acls[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", builtin_acls[i]);
		n = 0;
		for (q = strtok_r(buf, " ", &save); q != NULL && n < 16;
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
