/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_icap.c - Squid's ICAP client directives (RFC 3507): icap_enable,
 * icap_service, adaptation_access (and Squid 3.0's icap_access), the
 * preview, client identity, persistence, failure and timeout settings.
 * Fills struct cfg_icap (cfg_icap-t.h). What is not implemented
 * (adaptation chains and sets, eCAP, ICAPS) is refused in cfg_refused.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

static void
set_enable(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->icap.enable);
}

static void
set_preview_enable(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->icap.preview_enable);
}

static void
set_send_client_ip(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->icap.send_client_ip);
}

static void
set_send_client_username(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->icap.send_client_username);
}

/* icap_client_username_header NAME: a field name (RFC 9110 token). */
static void
set_username_header(struct cfg_parse *p, const struct tok *t, size_t n)
{
	size_t i;

	if (n != 2 || t[1].s[0] == '\0') {
		cfg_err(p, &t[0], "icap_client_username_header: expected one "
			"header field name");
		return;
	}
	for (i = 0; t[1].s[i] != '\0'; i++)
		if (!(isalnum((unsigned char)t[1].s[i]) ||
		      strchr("!#$%&'*+-.^_`|~", t[1].s[i]) != NULL)) {
			cfg_err(p, &t[1], "icap_client_username_header: '%s' "
				"is not a header field name", t[1].s);
			return;
		}
	cfg_set_string(p, t, n, &p->c->icap.username_header, 0);
}

static void
set_username_encode(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->icap.username_encode);
}

static void
set_persistent(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->icap.persistent);
}

static void
set_connect_timeout(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_time(p, t, n, &p->c->icap.connect_timeout);
}

/* icap_service_revival_delay N (seconds, Squid's minimum 60). */
static void
set_revival_delay(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (cfg_int_line(p, t, n, 0, 86400, "seconds from 0 to 86400", &v) ==
	    0)
		p->c->icap.revival_delay = (double)v;
}

static void
set_io_timeout(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_time(p, t, n, &p->c->icap.io_timeout);
}

/* icap_preview_size N: -1 (none) or bytes. */
static void
set_preview_size(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	if (strcmp(t[1].s, "-1") == 0) {
		p->c->icap.preview_size = -1;
		return;
	}
	if (cfg_number(t[1].s, 0, 1ul << 20, &v) < 0) {
		cfg_err(p, &t[1], "%s: '%s' is not -1 or a size in bytes "
			"from 0 to 1048576", t[0].s, t[1].s);
		return;
	}
	p->c->icap.preview_size = (long)v;
}

/* icap_service_failure_limit N [in T units]: the count only; a memory
 * depth is refused (tproxyd forgets failures when OPTIONS are fetched
 * again, as Squid does with a depth of 0). */
static void
set_failure_limit(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (n > 2) {
		cfg_err(p, &t[2], "%s: 'in TIME' is not supported by "
			"tproxyd: failures are forgotten when the service's "
			"OPTIONS are fetched again; remove it", t[0].s);
		return;
	}
	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	if (t[1].s[0] == '-') {
		p->c->icap.failure_limit = -1;
		return;
	}
	if (cfg_number(t[1].s, 0, 1000000, &v) < 0) {
		cfg_err(p, &t[1], "%s: '%s' is not a number", t[0].s,
			t[1].s);
		return;
	}
	p->c->icap.failure_limit = (long)v;
}

/* NAME=on|off (also 1|0, Squid 3.0's bypass values). */
static int
opt_onoff(struct cfg_parse *p, const struct tok *t, const char *v)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		return 0;
	cfg_err(p, t, "icap_service: '%s' must be on or off", t->s);
	return -1;
}

/* The URI icap://host[:port]/path into the service. 0 or -1 (reported). */
static int
parse_uri(struct cfg_parse *p, const struct tok *t, struct cfg_icap_svc *s)
{
	const char *u = t->s, *h, *slash, *colon, *hend;
	unsigned long port = 1344;
	char host[256], num[8];
	size_t hl;
	int k;

	if (strncmp(u, "icaps://", 8) == 0) {
		cfg_err(p, t, "icap_service: ICAP over TLS (icaps://) is "
			"not supported by tproxyd: the service would be "
			"reached without the encryption configured");
		return -1;
	}
	if (strncmp(u, "icap://", 7) != 0) {
		cfg_err(p, t, "icap_service: '%s' is not an icap:// URI", u);
		return -1;
	}
	h = u + 7;
	slash = strchr(h, '/');
	if (slash == NULL)
		slash = h + strlen(h);
	if (*h == '[') {
		hend = memchr(h, ']', (size_t)(slash - h));
		if (hend == NULL)
			goto bad;
		colon = hend + 1 < slash && hend[1] == ':' ? hend + 1 : NULL;
		h++;
	} else {
		colon = memchr(h, ':', (size_t)(slash - h));
		hend = colon != NULL ? colon : slash;
	}
	hl = (size_t)(hend - h);
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (colon != NULL) {
		if ((size_t)(slash - colon - 1) >= sizeof(num))
			goto bad;
		memcpy(num, colon + 1, (size_t)(slash - colon - 1));
		num[slash - colon - 1] = '\0';
		if (cfg_number(num, 1, 65535, &port) < 0)
			goto bad;
	}
	if (cfg_host_sockaddr(p, t, "icap_service", host, hl,
			      (unsigned)port, AF_UNSPEC, &s->addr,
			      &s->addrlen, NULL) <= 0) {
		return -1;
	}
	/* The URI as sent: with the port, so that the service sees one
	 * form; Host the same authority. */
	k = snprintf(s->uri, sizeof(s->uri), "icap://%s%s%s:%lu%s",
		     strchr(host, ':') ? "[" : "", host,
		     strchr(host, ':') ? "]" : "", port,
		     *slash ? slash : "/");
	if (k < 0 || (size_t)k >= sizeof(s->uri))
		goto bad;
	k = snprintf(s->host, sizeof(s->host), "%s%s%s:%lu",
		     strchr(host, ':') ? "[" : "", host,
		     strchr(host, ':') ? "]" : "", port);
	if (k < 0 || (size_t)k >= sizeof(s->host))
		goto bad;
	return 0;
bad:
	cfg_err(p, t, "icap_service: malformed URI '%s' (want "
		"icap://HOST[:PORT]/PATH)", u);
	return -1;
}

/*
 * icap_service NAME VECTORING_POINT [option=value...] URI, and Squid
 * 3.0's icap_service NAME VECTORING_POINT 0|1 URI (the bypass flag).
 */
static void
set_service(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_icap *ic = &p->c->icap;
	struct cfg_icap_svc *s;
	unsigned long v;
	const char *eq;
	size_t i;
	int b;

	if (cfg_nargs(p, t, n, 3, -1) < 0)
		return;
	if (ic->nsvc == CFG_ICAP_MAX_SVC) {
		cfg_err(p, &t[1], "icap_service: more than %d services",
			CFG_ICAP_MAX_SVC);
		return;
	}
	for (i = 0; i < ic->nsvc; i++)
		if (strcmp(ic->svc[i].name, t[1].s) == 0) {
			cfg_err(p, &t[1], "icap_service: '%s' is defined "
				"twice", t[1].s);
			return;
		}
	s = &ic->svc[ic->nsvc];
	memset(s, 0, sizeof(*s));
	if (strlen(t[1].s) >= sizeof(s->name)) {
		cfg_err(p, &t[1], "icap_service: name too long");
		return;
	}
	memcpy(s->name, t[1].s, strlen(t[1].s) + 1);
	if (strcmp(t[2].s, "reqmod_precache") == 0) {
		s->vec = CFG_ICAP_REQMOD;
	} else if (strcmp(t[2].s, "respmod_precache") == 0) {
		s->vec = CFG_ICAP_RESPMOD;
	} else if (strcmp(t[2].s, "reqmod_postcache") == 0 ||
		   strcmp(t[2].s, "respmod_postcache") == 0) {
		cfg_err(p, &t[2], "icap_service: '%s' is not supported (nor "
			"by Squid): use reqmod_precache or respmod_precache",
			t[2].s);
		return;
	} else {
		cfg_err(p, &t[2], "icap_service: unknown vectoring point "
			"'%s' (reqmod_precache or respmod_precache)", t[2].s);
		return;
	}
	for (i = 3; i + 1 < n; i++) {
		eq = strchr(t[i].s, '=');
		if (eq == NULL) {
			/* Squid 3.0: a bare 0|1 is the bypass flag. */
			if (i == 3 && (strcmp(t[i].s, "0") == 0 ||
				       strcmp(t[i].s, "1") == 0)) {
				s->bypass = t[i].s[0] == '1';
				continue;
			}
			cfg_err(p, &t[i], "icap_service: unknown option "
				"'%s'", t[i].s);
			return;
		}
		if (strncmp(t[i].s, "bypass=", 7) == 0) {
			if ((b = opt_onoff(p, &t[i], eq + 1)) < 0)
				return;
			s->bypass = b;
		} else if (strncmp(t[i].s, "routing=", 8) == 0) {
			if ((b = opt_onoff(p, &t[i], eq + 1)) < 0)
				return;
			if (b) {
				cfg_err(p, &t[i], "icap_service: routing=on "
					"is not supported by tproxyd (no "
					"adaptation chains): the services "
					"the ICAP server names would not be "
					"applied");
				return;
			}
		} else if (strncmp(t[i].s, "ipv6=", 5) == 0) {
			/* The URI's host decides the family. */
			if (opt_onoff(p, &t[i], eq + 1) < 0)
				return;
		} else if (strncmp(t[i].s, "max-conn=", 9) == 0) {
			if (cfg_number(eq + 1, 1, 100000, &v) < 0) {
				cfg_err(p, &t[i], "icap_service: '%s': a "
					"count from 1 to 100000", t[i].s);
				return;
			}
			s->max_conn = (unsigned)v;
		} else {
			cfg_err(p, &t[i], "icap_service: option '%s' is not "
				"supported by tproxyd (bypass=, routing=off, "
				"ipv6=, max-conn= are)", t[i].s);
			return;
		}
	}
	if (parse_uri(p, &t[n - 1], s) < 0)
		return;
	ic->nsvc++;
}



static void
set_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_icap *ic = &p->c->icap;
	struct access_rule *r;
	size_t i, before = ic->access.n;

	if (cfg_nargs(p, t, n, 2, -1) < 0)
		return;
	for (i = 0; i < ic->nsvc; i++)
		if (strcmp(ic->svc[i].name, t[1].s) == 0)
			break;
	if (i == ic->nsvc) {
		/* Named further down, or nowhere: the end decides. */
		if (ic->npend == CFG_ICAP_MAX_PEND ||
		    strlen(t[1].s) >= sizeof(ic->pend[0].name)) {
			cfg_err(p, &t[1], "%s: no icap_service named '%s' "
				"above this line", t[0].s, t[1].s);
			return;
		}
		i = CFG_ICAP_MAX_SVC;	/* matches no service yet */
	}
	cfg_access_line(p, t, n, 2, t[0].s, &ic->access);
	if (ic->access.n == before + 1) {
		r = &ic->access.rule[before];
		r->allow = (int)(i << 1) | (r->allow ? 1 : 0);
		if (i == CFG_ICAP_MAX_SVC) {
			ic->pend[ic->npend].rule = before;
			memcpy(ic->pend[ic->npend].name, t[1].s,
			       strlen(t[1].s) + 1);
			ic->npend++;
		}
	}
}

static void
icap_defaults(struct cfg_parse *p)
{
	struct cfg_icap *ic = &p->c->icap;

	memset(ic, 0, sizeof(*ic));
	ic->preview_enable = 1;
	ic->preview_size = -1;
	ic->persistent = 1;
	ic->failure_limit = 10;
	ic->revival_delay = 180;
}

static void
icap_finish(struct cfg_parse *p)
{
	struct cfg_icap *ic = &p->c->icap;
	struct access_rule *r;
	struct tok where;
	size_t k, i;

	for (k = 0; k < ic->npend; k++) {
		r = &ic->access.rule[ic->pend[k].rule];
		for (i = 0; i < ic->nsvc; i++)
			if (strcmp(ic->svc[i].name, ic->pend[k].name) == 0)
				break;
		if (i < ic->nsvc) {
			r->allow = (int)(i << 1) | (r->allow & 1);
			continue;
		}
		/* Squid warns and uses no service for it either. */
		memset(&where, 0, sizeof(where));
		where.s = ic->pend[k].name;
		where.file = r->file;
		where.line = r->line;
		cfg_warn(p, &where, "adaptation_access: no icap_service named "
			 "'%s'; the line is ignored", ic->pend[k].name);
	}

	if (ic->nsvc > 0 && !ic->enable)
		cfg_warn(p, NULL, "icap_service lines are not used: "
			 "icap_enable is off");
}

static const struct cfg_dir dirs[] = {
	{ "icap_enable",		set_enable },
	{ "icap_service",		set_service },
	{ "adaptation_access",		set_access },
	{ "icap_preview_enable",	set_preview_enable },
	{ "icap_preview_size",		set_preview_size },
	{ "icap_send_client_ip",	set_send_client_ip },
	{ "adaptation_send_client_ip",	set_send_client_ip },
	{ "icap_send_client_username",	set_send_client_username },
	{ "adaptation_send_username",	set_send_client_username },
	{ "icap_client_username_header", set_username_header },
	{ "icap_client_username_encode", set_username_encode },
	{ "icap_persistent_connections", set_persistent },
	{ "icap_service_failure_limit",	set_failure_limit },
	{ "icap_connect_timeout",	set_connect_timeout },
	{ "icap_io_timeout",		set_io_timeout },
	{ "icap_service_revival_delay",	set_revival_delay },
};

const struct cfg_dirtab cfg_dirs_icap = {
	.module		= "icap",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= icap_defaults,
	.finish		= icap_finish,
};
