/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_log.c - the logs: logformat, access_log (several, each with its
 * module, format and ACLs), strip_query_terms, cache_log and
 * debug_options. Read by src/log/ (access_log.c opens the outputs,
 * logfmt.c formats) and src/core/ (setup.c opens cache_log, serve.c
 * reopens it).
 */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "config/cfg-int.h"
#include "config/config.h"
#include "config/logfmt.h"

#define ALOG_DEFAULT_PATH	"/var/log/tproxyd/access.log"

/* The format named name: defined by a logformat line (the last one wins,
 * as in Squid) or built in; NULL if none. Built-ins are compiled into the
 * arena on first use. */
static const struct logformat *
find_format(struct cfg_parse *p, const char *name)
{
	struct logformat *f;
	const char *spec;
	long n;
	size_t i;

	for (i = p->c->nlogformat; i-- > 0;)
		if (strcmp(p->c->logformat[i].name, name) == 0)
			return &p->c->logformat[i];
	if ((spec = lf_builtin(name)) == NULL)
		return NULL;
	n = lf_compile(spec, NULL, 0, NULL, 0);
	f = AR_PUSH(p->ar, p->c->logformat, p->c->nlogformat);
	f->name = ar_strdup(p->ar, name);
	f->tok = ar_alloc(p->ar, (size_t)n * sizeof(*f->tok));
	f->ntok = (size_t)lf_compile(spec, f->tok, (size_t)n, NULL, 0);
	return f;
}

/*
 * logformat NAME FORMAT: FORMAT is the rest of the line as written
 * (quotes and runs of spaces are part of it), or one "quoted" word, as
 * Squid reads it. Compiled here, once.
 */
static void
set_logformat(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct logformat *f;
	char err[160];
	char *spec;
	size_t len;
	long k;

	if (cfg_nargs(p, t, n, 2, -1) < 0)
		return;
	if (lf_builtin(t[1].s) != NULL) {
		cfg_err(p, &t[1], "logformat: '%s' is a built-in format and "
			"cannot be redefined", t[1].s);
		return;
	}
	if (t[2].quoted) {
		spec = ar_strdup(p->ar, t[2].s);
		if (n > 3)
			cfg_warn(p, &t[3], "logformat: text after the quoted "
				 "format ignored, as by Squid");
	} else {
		len = strlen(t[2].raw);
		while (len > 0 && (t[2].raw[len - 1] == ' ' ||
				   t[2].raw[len - 1] == '\t'))
			len--;
		spec = ar_strndup(p->ar, t[2].raw, len);
	}
	k = lf_compile(spec, NULL, 0, err, sizeof(err));
	if (k < 0) {
		cfg_err(p, &t[2], "logformat %s: %s", t[1].s, err);
		return;
	}
	f = AR_PUSH(p->ar, p->c->logformat, p->c->nlogformat);
	f->name = ar_strdup(p->ar, t[1].s);
	f->tok = ar_alloc(p->ar, (size_t)(k ? k : 1) * sizeof(*f->tok));
	f->ntok = (size_t)lf_compile(spec, f->tok, (size_t)k, NULL, 0);
}

static const struct {
	const char *name;
	int         value;
} syslog_names[] = {
	{ "authpriv", LOG_AUTHPRIV }, { "auth", LOG_AUTH },
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	{ "err", LOG_ERR }, { "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

/* One syslog name (with or without Squid's "LOG_" prefix): 1 and *v,
 * or 0 when unknown. */
static int
syslog_name(const char *s, size_t len, int *v)
{
	size_t i;

	if (len > 4 && strncasecmp(s, "LOG_", 4) == 0) {
		s += 4;
		len -= 4;
	}
	for (i = 0; i < CFG_NELEM(syslog_names); i++)
		if (strlen(syslog_names[i].name) == len &&
		    strncasecmp(s, syslog_names[i].name, len) == 0) {
			*v = syslog_names[i].value;
			return 1;
		}
	return 0;
}

/* syslog:FACILITY.PRIORITY (either order, '|' also separates, either may
 * be left out): Squid's defaults are local4 and info. */
static int
parse_syslog(struct cfg_parse *p, const struct tok *t, const char *place,
	     int *prio, const char *dname)
{
	const char *dot;
	int v, fac = LOG_LOCAL4, pri = LOG_INFO, i;
	size_t len;

	for (i = 0; i < 2 && *place != '\0'; i++) {
		dot = place + strcspn(place, ".|");
		len = (size_t)(dot - place);
		if (!syslog_name(place, len, &v)) {
			cfg_err(p, t, "%s: unknown syslog facility or "
				"priority '%.*s' in '%s'", dname, (int)len,
				place, t->s);
			return -1;
		}
		if (v & LOG_FACMASK)
			fac = v;
		else
			pri = v;
		place = *dot ? dot + 1 : dot;
	}
	if (*place != '\0') {
		cfg_err(p, t, "%s: expected syslog:FACILITY.PRIORITY, "
			"not '%s'", dname, t->s);
		return -1;
	}
	*prio = fac | pri;
	return 0;
}

/* //HOST:PORT of udp and tcp (HOST a name, an IPv4 or a [IPv6]). The
 * name is resolved now, once. */
static int
parse_hostport(struct cfg_parse *p, const struct tok *t, const char *place,
	       struct cfg_alog *a)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon, *h = place + 2;
	size_t hlen;
	unsigned long port;
	int rc;

	if (strncmp(place, "//", 2) != 0)
		goto bad;
	if (*h == '[') {
		colon = strchr(h, ']');
		if (colon == NULL || colon[1] != ':')
			goto bad;
		h++;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(h, ':');
		if (colon == NULL)
			goto bad;
		hlen = (size_t)(colon - h);
	}
	if (hlen == 0 || hlen >= sizeof(host) ||
	    cfg_number(colon + 1, 1, 65535, &port) < 0)
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = a->module == ALOG_UDP ? SOCK_DGRAM : SOCK_STREAM;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0 || res == NULL || res->ai_addrlen > sizeof(a->addr)) {
		cfg_err(p, t, "access_log: cannot resolve '%s': %s", host,
			rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	memcpy(&a->addr, res->ai_addr, res->ai_addrlen);
	a->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	cfg_err(p, t, "access_log: expected %s://HOST:PORT, not '%s'",
		a->module == ALOG_UDP ? "udp" : "tcp", t->s);
	return -1;
}

/*
 * access_log MODULE:PLACE [option=value...] [FORMAT] [acl...]
 * access_log none [acl...]
 * Modules: stdio and daemon (a file, written by tproxyd itself), syslog,
 * udp, tcp; a bare /path is a file. Options: logformat=NAME;
 * on-error=die|drop (die, the default: a file that cannot be opened at
 * start-up stops tproxyd; drop: it starts without it); buffer-size and
 * rotate are accepted (tproxyd buffers up to a second and leaves renaming
 * to logrotate).
 */
static void
set_access_log(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_alog a;
	const char *v = t[1].s, *colon, *fmt = NULL;
	size_t i = 2;
	int bad = 0;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	memset(&a, 0, sizeof(a));
	a.file = t[1].file;
	a.line = t[1].line;
	colon = strchr(v, ':');
	if (strcmp(v, "none") == 0) {
		a.module = ALOG_NONE;
	} else if (strncmp(v, "stdio:", 6) == 0 ||
		   strncmp(v, "daemon:", 7) == 0) {
		a.module = ALOG_FILE;
		a.place = ar_strdup(p->ar, colon + 1);
		if (a.place[0] != '/') {
			cfg_err(p, &t[1], "access_log: expected an absolute "
				"path in '%s'", v);
			bad = 1;
		}
	} else if (strcmp(v, "syslog") == 0 ||
		   strncmp(v, "syslog:", 7) == 0) {
		a.module = ALOG_SYSLOG;
		a.place = ar_strdup(p->ar, colon ? colon + 1 : "");
		bad = parse_syslog(p, &t[1], a.place, &a.prio,
				   "access_log") < 0;
	} else if (strncmp(v, "udp:", 4) == 0 || strncmp(v, "tcp:", 4) == 0) {
		a.module = v[0] == 'u' ? ALOG_UDP : ALOG_TCP;
		a.place = ar_strdup(p->ar, colon + 1);
		bad = parse_hostport(p, &t[1], a.place, &a) < 0;
	} else if (v[0] == '/') {
		a.module = ALOG_FILE;
		a.place = ar_strdup(p->ar, v);
	} else {
		cfg_err(p, &t[1], "access_log: unknown log module in '%s' "
			"(tproxyd has stdio:, daemon:, syslog:, udp://, "
			"tcp:// and none)", v);
		return;
	}
	for (; i < n && strchr(t[i].s, '=') != NULL; i++) {
		if (strncmp(t[i].s, "logformat=", 10) == 0) {
			fmt = t[i].s + 10;
		} else if (strncmp(t[i].s, "on-error=", 9) == 0) {
			if (strcmp(t[i].s + 9, "drop") == 0) {
				a.on_error_drop = 1;
			} else if (strcmp(t[i].s + 9, "die") != 0) {
				cfg_err(p, &t[i], "access_log: on-error= "
					"takes die or drop, not '%s'",
					t[i].s + 9);
				bad = 1;
			}
		} else if (strncmp(t[i].s, "buffer-size=", 12) != 0 &&
			   strncmp(t[i].s, "rotate=", 7) != 0) {
			cfg_err(p, &t[i], "access_log: unknown option '%s'",
				t[i].s);
			bad = 1;
		}
	}
	/* The older form names the format after the place: the first word
	 * that names a format is one (Squid's rule). */
	if (fmt == NULL && i < n && a.module != ALOG_NONE &&
	    find_format(p, t[i].s) != NULL)
		fmt = t[i++].s;
	if (a.module != ALOG_NONE) {
		a.fmt = find_format(p, fmt ? fmt : "squid");
		if (a.fmt == NULL) {
			cfg_err(p, &t[1], "access_log: unknown logformat '%s' "
				"(define it with logformat before this line)",
				fmt);
			bad = 1;
		}
	}
	for (; i < n; i++) {
		struct acl_ref r;

		if (cfg_acl_ref(p, "access_log", &t[i], &r) < 0) {
			bad = 1;
			continue;
		}
		*AR_PUSH(p->ar, a.acl, a.nacl) = r;
	}
	p->access_log.set = 1;
	if (bad)
		return;
	*AR_PUSH(p->ar, p->c->alog, p->c->nalog) = a;
}

static void
set_strip_query_terms(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->strip_query_terms);
}

/*
 * client_netmask MASK: client addresses in access.log lines are masked,
 * for the clients' privacy. An IPv4 mask (255.255.255.0, or a prefix
 * length /24) masks IPv4 clients; an IPv6 mask (ffff:ffff:ffff::) IPv6
 * ones. A mask given for one family only leaves the other family's
 * clients masked to a /64 (IPv6) or /24 (IPv4) rather than in full.
 */
/* The first bits bits of the len bytes at m set, the rest clear. */
static void
prefix_mask(unsigned char *m, size_t len, unsigned long bits)
{
	size_t i;

	memset(m, 0, len);
	for (i = 0; i < bits && i < len * 8; i++)
		m[i / 8] |= (unsigned char)(0x80 >> (i % 8));
}

static void
set_client_netmask(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg *c = p->c;
	const char *v;
	struct in6_addr a;
	unsigned long bits;
	int family;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	v = t[1].s;
	if (!c->client_netmask_set) {
		prefix_mask(c->client_netmask4, 4, 24);
		prefix_mask(c->client_netmask6, 16, 64);
	}
	if (cfg_number(v + (v[0] == '/'), 0, 32, &bits) == 0) {
		prefix_mask(c->client_netmask4, 4, bits);
	} else if (cfg_parse_addr(v, strlen(v), &family, &a) == 0) {
		memcpy(family == AF_INET ? c->client_netmask4 :
		       c->client_netmask6, &a, family == AF_INET ? 4 : 16);
	} else {
		cfg_err(p, &t[1], "%s: expected a netmask (255.255.255.0, "
			"/24, or an IPv6 mask such as ffff:ffff:ffff::), got "
			"'%s'", t[0].s, v);
		return;
	}
	c->client_netmask_set = 1;
}

/*
 * cache_log /path, or cache_log syslog[:FACILITY[.PRIORITY]]: the system
 * log (default facility local4, as Squid's -s), each line with its own
 * priority (a PRIORITY given is accepted and unused). Anything else is an
 * error: a relative name would be a file in the directory tproxyd happens
 * to start in.
 */
static void
set_cache_log(struct cfg_parse *p, const struct tok *t, size_t n)
{
	const char *v;
	int prio;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	v = t[1].s;
	if (strcmp(v, "syslog") == 0 || strncmp(v, "syslog:", 7) == 0) {
		if (parse_syslog(p, &t[1], v[6] ? v + 7 : "", &prio,
				 "cache_log") < 0)
			return;
		p->c->cache_log = NULL;
		p->c->cache_log_syslog = prio & LOG_FACMASK;
		return;
	}
	if (strcmp(v, "none") == 0) {
		/* Squid takes it as a file name; what is meant is no file. */
		cfg_warn(p, &t[1], "cache_log none: no cache.log file; its "
			 "lines go to standard error only (the journal under "
			 "systemd)");
		p->c->cache_log = NULL;
		p->c->cache_log_syslog = 0;
		return;
	}
	if (strncmp(v, "stdio:", 6) == 0)	/* Squid's module prefix */
		v += 6;
	if (v[0] != '/') {
		cfg_err(p, &t[1], "cache_log: expected an absolute path, "
			"stdio:PATH, syslog[:FACILITY] or none, not '%s'",
			t[1].s);
		return;
	}
	p->c->cache_log = ar_strdup(p->ar, v);
	p->c->cache_log_syslog = 0;
}

/*
 * debug_options [rotate=N] SECTION,LEVEL...: ALL,N is the cache.log level;
 * tproxyd has no per-section levels, so other sections are checked and
 * then approximated: the highest level given for any section raises the
 * whole log only when ALL is not given.
 */
static void
set_debug_options(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long sec, lvl;
	const char *comma;
	int all = -1, top = -1;
	size_t i;

	for (i = 1; i < n; i++) {
		if (strncmp(t[i].s, "rotate=", 7) == 0)
			continue;
		comma = strchr(t[i].s, ',');
		if (comma == NULL ||
		    cfg_number(comma + 1, 0, 9, &lvl) < 0 ||
		    (strncasecmp(t[i].s, "ALL,", 4) != 0 &&
		     (comma == t[i].s || strspn(t[i].s, "0123456789") !=
		      (size_t)(comma - t[i].s) ||
		      cfg_number(ar_strndup(p->ar, t[i].s,
					    (size_t)(comma - t[i].s)),
				 0, 99, &sec) < 0))) {
			cfg_err(p, &t[i], "debug_options: expected SECTION,"
				"LEVEL (ALL,1 or 33,2 with LEVEL 0..9), not "
				"'%s'", t[i].s);
			continue;
		}
		if (strncasecmp(t[i].s, "ALL,", 4) == 0)
			all = (int)lvl;
		else if ((int)lvl > top)
			top = (int)lvl;
	}
	if (all >= 0)
		p->c->debug_level = all;
	else if (top >= 0)
		p->c->debug_level = top;
}

static void
log_defaults(struct cfg_parse *p)
{
	p->c->cache_log = ar_strdup(p->ar, "/var/log/tproxyd/cache.log");
	p->c->strip_query_terms = 1;
	p->c->debug_level = 1;
}

/* No access_log line at all: Squid's default, the squid format into one
 * file. "access_log none" is a line, so it turns logging off. */
static void
log_finish(struct cfg_parse *p)
{
	struct cfg_alog *a;

	if (p->access_log.set)
		return;
	a = AR_PUSH(p->ar, p->c->alog, p->c->nalog);
	a->module = ALOG_FILE;
	a->place = ar_strdup(p->ar, ALOG_DEFAULT_PATH);
	a->fmt = find_format(p, "squid");
	a->file = p->name;
}

static const struct cfg_dir dirs[] = {
	{ "access_log",			set_access_log },
	{ "cache_access_log",		set_access_log },
	{ "logformat",			set_logformat },
	{ "strip_query_terms",		set_strip_query_terms },
	{ "client_netmask",		set_client_netmask },
	{ "cache_log",			set_cache_log },
	{ "debug_options",		set_debug_options },
};

const struct cfg_dirtab cfg_dirs_log = {
	.module		= "log",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= log_defaults,
	.finish		= log_finish,
};
