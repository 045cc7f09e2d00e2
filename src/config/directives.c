/*
 * directives.c - the table of squid.conf directives tproxyd knows, and one
 * setter per directive.
 *
 * A setter receives the tokens of one logical line (t[0] is the directive
 * name) and either stores values in p->c or reports through cfg_err() /
 * cfg_warn(). Messages always name the directive and the offending token:
 * "FILE:LINE: http_port: invalid port '99999'". A setter never stops the
 * load; cfg_load() decides at the end from p->nerr.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "config/cfg-int.h"
#include "config/config.h"

typedef void cfg_setter(struct cfg_parse *p, const struct tok *t, size_t n);

/* ---------------------------------------------------------------- helpers */

/* Check the argument count; 0 if between min and max, else -1 after
 * reporting. max < 0: no limit. */
static int
nargs(struct cfg_parse *p, const struct tok *t, size_t n, size_t min, int max)
{
	if (n - 1 < min) {
		cfg_err(p, &t[n - 1], "%s: missing argument", t[0].s);
		return -1;
	}
	if (max >= 0 && n - 1 > (size_t)max) {
		cfg_err(p, &t[max + 1], "%s: unexpected argument '%s'",
			t[0].s, t[max + 1].s);
		return -1;
	}
	return 0;
}

/* Squid's on|off (also enable|disable). Returns 0/1, or -1 after
 * reporting. */
static int
onoff(struct cfg_parse *p, const struct tok *d, const struct tok *v)
{
	if (strcmp(v->s, "on") == 0 || strcmp(v->s, "enable") == 0)
		return 1;
	if (strcmp(v->s, "off") == 0 || strcmp(v->s, "disable") == 0)
		return 0;
	cfg_err(p, v, "%s: expected 'on' or 'off', got '%s'", d->s, v->s);
	return -1;
}

/* Strict decimal in [lo, hi]; 0 or -1. */
static int
number(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	unsigned long v = 0;
	const char *q;

	if (*s == '\0' || strlen(s) > 10)
		return -1;
	for (q = s; *q != '\0'; q++) {
		if (*q < '0' || *q > '9')
			return -1;
		v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/*
 * A numeric address, IPv6 with or without brackets, into a sockaddr with
 * the given port. Names are refused: tproxyd resolves nothing at load time.
 */
static int
sockaddr_parse(const char *s, size_t len, unsigned port,
	       struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct in6_addr a;
	int family;

	if (cfg_parse_addr(s, len, &family, &a) < 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, &a, 4);
		s4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = a;
		s6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*s6);
	}
	return 0;
}

/*
 * NAME allow|deny [!]acl...: append one rule to list. The first argument
 * is t[first]. At least one acl is required (Squid too).
 */
static void
access_line(struct cfg_parse *p, const struct tok *t, size_t n, size_t first,
	    const char *dname, struct access_list *list)
{
	struct access_rule *r;
	struct acl_ref ref;
	size_t i;
	int allow, bad = 0;

	if (n <= first) {
		cfg_err(p, &t[n - 1], "%s: missing 'allow' or 'deny'", dname);
		return;
	}
	if (strcmp(t[first].s, "allow") == 0) {
		allow = 1;
	} else if (strcmp(t[first].s, "deny") == 0) {
		allow = 0;
	} else {
		cfg_err(p, &t[first], "%s: expected 'allow' or 'deny', got "
			"'%s'", dname, t[first].s);
		return;
	}
	if (n == first + 1) {
		cfg_err(p, &t[first], "%s: rule without acls (write '%s %s "
			"all' to match every request)", dname, dname,
			t[first].s);
		return;
	}
	r = AR_PUSH(p->ar, list->rule, list->n);
	r->allow = allow;
	r->file = t[0].file;
	r->line = t[0].line;
	for (i = first + 1; i < n; i++) {
		if (cfg_acl_ref(p, dname, &t[i], &ref) < 0) {
			bad = 1;
			continue;
		}
		*AR_PUSH(p->ar, r->ref, r->nref) = ref;
	}
	/* A rule with a missing acl must not match more than was written;
	 * the load fails anyway, this only keeps the list consistent. */
	if (bad)
		list->n--;
}

static void
set_string(struct cfg_parse *p, const struct tok *t, size_t n, char **out,
	   int none_ok)
{
	if (nargs(p, t, n, 1, 1) < 0)
		return;
	if (none_ok && strcmp(t[1].s, "none") == 0)
		*out = NULL;
	else
		*out = ar_strdup(p->ar, t[1].s);
}

/* ---------------------------------------------------------------- http_port */

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

/* Split "[ADDR:]PORT" and fill port->addr; 0 or -1 after reporting. */
static int
port_addr(struct cfg_parse *p, const struct tok *t, struct cfg_port *port)
{
	const char *s = t->s, *colon, *ps;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&port->addr;
	unsigned long pn;
	size_t alen;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (colon == NULL) {
			cfg_err(p, t, "http_port: invalid address '%s' "
				"(expected [IPv6]:PORT)", s);
			return -1;
		}
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon) {
			cfg_err(p, t, "http_port: invalid address '%s' (IPv6 "
				"addresses need brackets: [::1]:3128)", s);
			return -1;
		}
	}
	ps = colon != NULL ? colon + 1 : s;
	if (number(ps, 1, 65535, &pn) < 0) {
		cfg_err(p, t, "http_port: invalid port '%s'", ps);
		return -1;
	}
	if (colon == NULL) {
		/* No address: the listener opens [::]:PORT with IPV6_V6ONLY
		 * off (or two sockets), so both families are served. */
		port->wildcard = 1;
		memset(&port->addr, 0, sizeof(port->addr));
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)pn);
		port->addrlen = sizeof(*s6);
		return 0;
	}
	alen = (size_t)(colon - s);
	if (sockaddr_parse(s, alen, (unsigned)pn, &port->addr,
			   &port->addrlen) < 0) {
		cfg_err(p, t, "http_port: invalid address '%.*s' (only numeric "
			"addresses are supported)", (int)alen, s);
		return -1;
	}
	return 0;
}

/*
 * http_port [ADDR:]PORT [tproxy|intercept|transparent|accel] [name=NAME]
 * [options]. Squid options that change nothing here (ssl-bump, vhost, ...)
 * are warned about and ignored, so that squid.conf lines load unchanged.
 */
static void
set_http_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_port port, *q;
	const struct tok *tp = NULL, *ic = NULL, *tr = NULL, *ac = NULL;
	size_t i;

	if (nargs(p, t, n, 1, -1) < 0)
		return;
	memset(&port, 0, sizeof(port));
	if (port_addr(p, &t[1], &port) < 0)
		return;
	for (i = 2; i < n; i++) {
		if (strcmp(t[i].s, "tproxy") == 0)
			tp = &t[i];
		else if (strcmp(t[i].s, "intercept") == 0)
			ic = &t[i];
		else if (strcmp(t[i].s, "transparent") == 0)
			tr = &t[i];
		else if (strcmp(t[i].s, "accel") == 0)
			ac = &t[i];
		else if (strncmp(t[i].s, "name=", 5) == 0 && t[i].s[5] != '\0')
			port.name = ar_strdup(p->ar, t[i].s + 5);
		else
			cfg_warn(p, &t[i], "http_port: option '%s' is not "
				 "supported by tproxyd; ignored", t[i].s);
	}
	if (tp != NULL && ic != NULL) {
		cfg_err(p, ic, "http_port: 'tproxy' and 'intercept' cannot be "
			"used on the same port (TPROXY keeps the original "
			"destination on the socket; NAT interception rewrites "
			"it): use two http_port lines");
		return;
	}
	if (ac != NULL && (tp != NULL || ic != NULL || tr != NULL)) {
		cfg_err(p, ac, "http_port: 'accel' cannot be combined with "
			"'%s'", (tp ? tp : ic ? ic : tr)->s);
		return;
	}
	if (tp != NULL && tr != NULL) {
		cfg_warn(p, tr, "http_port: 'transparent tproxy' is old "
			 "Balabit advice for TPROXY v2; 'transparent' means NAT "
			 "interception and would make tproxyd look up "
			 "SO_ORIGINAL_DST on a TPROXY socket; treating this "
			 "port as 'tproxy' only");
		tr = NULL;
	}
	if (tp != NULL) {
		port.mode = PORT_TPROXY;
		p->c->tproxy = 1;
	} else if (ic != NULL || tr != NULL) {
		port.mode = PORT_INTERCEPT;
	} else if (ac != NULL) {
		cfg_warn(p, ac, "http_port: 'accel' (reverse proxy) is not "
			 "implemented by tproxyd yet: this port serves as a "
			 "forward proxy (absolute-form requests only)");
		port.mode = PORT_ACCEL;
	} else {
		port.mode = PORT_FORWARD;
	}
	for (i = 0; i < p->c->nport; i++) {
		q = &p->c->port[i];
		if (same_addr(&q->addr, &port.addr)) {
			cfg_err(p, &t[1], "http_port: '%s' is already used by "
				"the http_port at %s:%d", t[1].s, q->file,
				q->line);
			return;
		}
	}
	if (port.name == NULL)
		port.name = ar_strdup(p->ar, t[1].s);
	port.file = t[0].file;
	port.line = t[0].line;
	*AR_PUSH(p->ar, p->c->port, p->c->nport) = port;
}

/*
 * stats_port [ADDR:]PORT: the Prometheus /metrics endpoint. Without an
 * address it listens on 127.0.0.1 only: metrics are not for the world.
 */
static void
set_stats_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_port port;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&port.addr;
	unsigned pn;
	size_t i;

	if (nargs(p, t, n, 1, 1) < 0)
		return;
	memset(&port, 0, sizeof(port));
	if (port_addr(p, &t[1], &port) < 0)
		return;
	if (port.wildcard) {
		pn = ntohs(((struct sockaddr_in6 *)&port.addr)->sin6_port);
		memset(&port.addr, 0, sizeof(port.addr));
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_port = htons((uint16_t)pn);
		port.addrlen = sizeof(*s4);
		port.wildcard = 0;
	}
	for (i = 0; i < p->c->nport; i++) {
		if (same_addr(&p->c->port[i].addr, &port.addr)) {
			cfg_err(p, &t[1], "stats_port: '%s' is already used by "
				"the http_port at %s:%d", t[1].s,
				p->c->port[i].file, p->c->port[i].line);
			return;
		}
	}
	port.mode = PORT_STATS;
	port.name = ar_strdup(p->ar, "stats");
	port.file = t[0].file;
	port.line = t[0].line;
	*AR_PUSH(p->ar, p->c->port, p->c->nport) = port;
}

/* A positive count (max_filedescriptors, client_connection_limit). */
static void
set_count(struct cfg_parse *p, const struct tok *t, size_t n,
	  unsigned long lo, unsigned *out)
{
	unsigned long v;

	if (nargs(p, t, n, 1, 1) < 0)
		return;
	if (number(t[1].s, lo, 10000000, &v) < 0) {
		cfg_err(p, &t[1], "%s: expected a number from %lu to 10000000, "
			"got '%s'", t[0].s, lo, t[1].s);
		return;
	}
	*out = (unsigned)v;
}

/* workers N | auto (Squid's SMP directive). */
static void
set_workers(struct cfg_parse *p, const struct tok *t, size_t n)
{
	long ncpu;

	if (nargs(p, t, n, 1, 1) < 0)
		return;
	if (strcmp(t[1].s, "auto") == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		p->c->workers = ncpu > 0 && ncpu <= 64 ? (unsigned)ncpu : 1;
		return;
	}
	set_count(p, t, n, 1, &p->c->workers);
	if (p->c->workers > 64) {
		cfg_err(p, &t[1], "workers: at most 64");
		p->c->workers = 1;
	}
}

/* Parse "N,N,..." (each 1..64) into out; returns the count or -1. */
static int
number_list(const char *s, unsigned *out, unsigned max)
{
	unsigned long v;
	char buf[16];
	unsigned k = 0;
	const char *e;
	size_t l;

	while (*s) {
		e = strchr(s, ',');
		l = e ? (size_t)(e - s) : strlen(s);
		if (l == 0 || l >= sizeof(buf) || k == max)
			return -1;
		memcpy(buf, s, l);
		buf[l] = '\0';
		if (number(buf, 1, 64, &v) < 0)
			return -1;
		out[k++] = (unsigned)v;
		s += l + (e != NULL);
	}
	return (int)k;
}

/* cpu_affinity_map process_numbers=1,2 cores=1,2 (Squid: both 1-based). */
static void
set_cpu_affinity_map(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg *c = p->c;
	int nk = -1, nc = -1;
	size_t i;

	if (nargs(p, t, n, 2, 2) < 0)
		return;
	for (i = 1; i < n; i++) {
		if (strncmp(t[i].s, "process_numbers=", 16) == 0)
			nk = number_list(t[i].s + 16, c->cpu_map_kid, 64);
		else if (strncmp(t[i].s, "cores=", 6) == 0)
			nc = number_list(t[i].s + 6, c->cpu_map_core, 64);
		else {
			cfg_err(p, &t[i], "cpu_affinity_map: expected "
				"process_numbers=N,... and cores=N,..., got "
				"'%s'", t[i].s);
			return;
		}
	}
	if (nk < 0 || nc < 0 || nk != nc) {
		cfg_err(p, &t[1], "cpu_affinity_map: process_numbers= and "
			"cores= need lists of numbers 1..64 of the same "
			"length");
		return;
	}
	c->ncpu_map = (unsigned)nk;
}

static void
set_max_filedescriptors(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_count(p, t, n, 64, &p->c->max_filedescriptors);
}

static void
set_client_connection_limit(struct cfg_parse *p, const struct tok *t,
			    size_t n)
{
	set_count(p, t, n, 1, &p->c->client_connection_limit);
}

/* ---------------------------------------------------------------- access */

static void
set_acl(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_acl_line(p, t, n);
}

static void
set_http_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	access_line(p, t, n, 1, t[0].s, &p->c->http_access);
}

static void
set_spoof_client_ip(struct cfg_parse *p, const struct tok *t, size_t n)
{
	access_line(p, t, n, 1, t[0].s, &p->c->spoof_client_ip);
}

static void
set_stats_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	access_line(p, t, n, 1, t[0].s, &p->c->stats_access);
}

static void
set_never_direct(struct cfg_parse *p, const struct tok *t, size_t n)
{
	access_line(p, t, n, 1, t[0].s, &p->c->never_direct);
}

static void
set_always_direct(struct cfg_parse *p, const struct tok *t, size_t n)
{
	access_line(p, t, n, 1, t[0].s, &p->c->always_direct);
}

static struct cfg_peer *
peer_find(struct cfg *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->npeer; i++)
		if (strcasecmp(c->peer[i].name, name) == 0)
			return &c->peer[i];
	return NULL;
}

static void
set_cache_peer_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_peer *peer;

	if (nargs(p, t, n, 1, -1) < 0)
		return;
	peer = peer_find(p->c, t[1].s);
	if (peer == NULL) {
		cfg_err(p, &t[1], "cache_peer_access: unknown cache_peer '%s'",
			t[1].s);
		return;
	}
	access_line(p, t, n, 2, t[0].s, &peer->access);
}

/* ---------------------------------------------------------------- logs */

/*
 * access_log [stdio:|daemon:]PATH [squid|logformat=squid] [acl...] | none.
 * tproxyd writes one file in Squid's native format; other formats are
 * accepted (so that squid.conf loads) and replaced with it.
 */
static void
set_access_log(struct cfg_parse *p, const struct tok *t, size_t n)
{
	const char *path, *fmt, *colon;
	size_t i = 2;

	if (nargs(p, t, n, 1, -1) < 0)
		return;
	if (p->access_log_set) {
		cfg_warn(p, &t[1], "access_log: only the first access_log is "
			 "used (%s:%d); '%s' ignored", p->access_log_file,
			 p->access_log_line, t[1].s);
		return;
	}
	path = t[1].s;
	colon = strchr(path, ':');
	if (strncmp(path, "stdio:", 6) == 0 || strncmp(path, "daemon:", 7) == 0) {
		path = colon + 1;
	} else if (colon != NULL && path[0] != '/') {
		cfg_warn(p, &t[1], "access_log: log module '%.*s' is not "
			 "supported (only stdio: and daemon:); line ignored",
			 (int)(colon - path), path);
		return;
	}
	if (*path == '\0') {
		cfg_err(p, &t[1], "access_log: missing path in '%s'", t[1].s);
		return;
	}
	/* Squid 3.2+ options (logformat=, buffer-size=, rotate=, ...). */
	for (; i < n && strchr(t[i].s, '=') != NULL; i++) {
		if (strcmp(t[i].s, "logformat=squid") == 0)
			continue;
		if (strncmp(t[i].s, "logformat=", 10) == 0)
			cfg_warn(p, &t[i], "access_log: only the squid format "
				 "is supported; using it instead of '%s'",
				 t[i].s + 10);
		else
			cfg_warn(p, &t[i], "access_log: option '%s' is not "
				 "supported; ignored", t[i].s);
	}
	if (i < n && strcmp(path, "none") != 0) {
		fmt = t[i].s;
		if (strcmp(fmt, "squid") != 0)
			cfg_warn(p, &t[i], "access_log: only the squid format "
				 "is supported; using it instead of '%s'", fmt);
		i++;
	}
	if (i < n)
		cfg_warn(p, &t[i], "access_log: acl conditions are not "
			 "supported; every request is logged");
	p->access_log_set = 1;
	p->access_log_file = t[1].file;
	p->access_log_line = t[1].line;
	p->c->access_log = strcmp(path, "none") == 0 ? NULL :
	    ar_strdup(p->ar, path);
}

static void
set_cache_log(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_string(p, t, n, &p->c->cache_log, 0);
}

static void
set_pid_filename(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_string(p, t, n, &p->c->pid_filename, 1);
}

/* ---------------------------------------------------------------- misc */

/* dns_nameservers IP...: kept as "a,b,c", the form c-ares takes. */
static void
set_dns_nameservers(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i, len = 0, off = 0, l;
	char *s;
	int bad = 0;

	if (nargs(p, t, n, 1, -1) < 0)
		return;
	for (i = 1; i < n; i++) {
		l = strlen(t[i].s);
		if (t[i].s[0] == '[' || sockaddr_parse(t[i].s, l, 0, &ss,
							&sl) < 0) {
			cfg_err(p, &t[i], "dns_nameservers: invalid address "
				"'%s' (numeric IPv4 or IPv6 only)", t[i].s);
			bad = 1;
		}
		len += l + 1;
	}
	if (bad)
		return;
	s = ar_alloc(p->ar, len);
	for (i = 1; i < n; i++) {
		l = strlen(t[i].s);
		if (i > 1)
			s[off++] = ',';
		memcpy(s + off, t[i].s, l);
		off += l;
	}
	s[off] = '\0';
	p->c->dns_nameservers = s;
}

static void
set_visible_hostname(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_string(p, t, n, &p->c->visible_hostname, 0);
}

static void
set_cache_effective_user(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_string(p, t, n, &p->c->cache_effective_user, 0);
}

static void
set_forwarded_for(struct cfg_parse *p, const struct tok *t, size_t n)
{
	static const struct {
		const char  *name;
		enum fwd_for v;
	} vals[] = {
		{ "on", FWD_FOR_ON }, { "off", FWD_FOR_OFF },
		{ "transparent", FWD_FOR_TRANSPARENT },
		{ "delete", FWD_FOR_DELETE }, { "truncate", FWD_FOR_TRUNCATE },
	};
	size_t i;

	if (nargs(p, t, n, 1, 1) < 0)
		return;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		if (strcmp(t[1].s, vals[i].name) == 0) {
			p->c->forwarded_for = vals[i].v;
			return;
		}
	}
	cfg_err(p, &t[1], "forwarded_for: expected on, off, transparent, "
		"delete or truncate, got '%s'", t[1].s);
}

static void
set_bool(struct cfg_parse *p, const struct tok *t, size_t n, int *out)
{
	int v;

	if (nargs(p, t, n, 1, 1) < 0)
		return;
	v = onoff(p, &t[0], &t[1]);
	if (v >= 0)
		*out = v;
}

static void
set_via(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_bool(p, t, n, &p->c->via);
}

static void
set_spoof_client_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_bool(p, t, n, &p->c->spoof_client_port);
}

static void
set_host_verify_strict(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_bool(p, t, n, &p->c->host_verify_strict);
}

/* ---------------------------------------------------------------- units */

/* Non-negative decimal "12" or "1.5"; no sign, exponent, hex or inf. */
static int
parse_decimal(const char *s, double *out)
{
	char *end;
	size_t digits;

	digits = strspn(s, "0123456789.");
	if (digits == 0 || s[digits] != '\0' || strchr(s, '.') != strrchr(s, '.')
	    || strcmp(s, ".") == 0)
		return -1;
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out) ? 0 : -1;
}

/* Seconds per time unit (Squid's names, singular or plural). */
static int
time_unit(const char *u, double *out)
{
	static const struct {
		const char *name;
		double      sec;
	} units[] = {
		{ "msec", 0.001 }, { "millisecond", 0.001 },
		{ "second", 1 }, { "minute", 60 }, { "hour", 3600 },
		{ "day", 86400 }, { "week", 604800 }, { "fortnight", 1209600 },
	};
	size_t i, l;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		l = strlen(units[i].name);
		if (strncmp(u, units[i].name, l) == 0 &&
		    (u[l] == '\0' || (u[l] == 's' && u[l + 1] == '\0'))) {
			*out = units[i].sec;
			return 0;
		}
	}
	return -1;
}

int
cfg_parse_time(const char *num, const char *unit, double *out)
{
	double v, mul = 1;

	if (parse_decimal(num, &v) < 0)
		return -1;
	if (unit != NULL && time_unit(unit, &mul) < 0)
		return -1;
	*out = v * mul;
	return 0;
}

/* Bytes per size unit; Squid compares these case-insensitively. */
static int
size_unit(const char *u, double *out)
{
	if (strcasecmp(u, "bytes") == 0 || strcasecmp(u, "byte") == 0)
		*out = 1;
	else if (strcasecmp(u, "KB") == 0)
		*out = 1024.0;
	else if (strcasecmp(u, "MB") == 0)
		*out = 1024.0 * 1024;
	else if (strcasecmp(u, "GB") == 0)
		*out = 1024.0 * 1024 * 1024;
	else
		return -1;
	return 0;
}

int
cfg_parse_size(const char *num, const char *unit, size_t *out)
{
	double v, mul = 1;

	if (parse_decimal(num, &v) < 0)
		return -1;
	if (unit != NULL && size_unit(unit, &mul) < 0)
		return -1;
	v *= mul;
	if (v >= 18446744073709551616.0 || v > (double)SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* NAME N [unit]: a bare number is seconds, with Squid's warning. */
static void
set_time(struct cfg_parse *p, const struct tok *t, size_t n, double *out)
{
	double v, mul = 1;

	if (nargs(p, t, n, 1, 2) < 0)
		return;
	if (parse_decimal(t[1].s, &v) < 0) {
		cfg_err(p, &t[1], "%s: invalid time value '%s'", t[0].s,
			t[1].s);
		return;
	}
	if (n == 2) {
		cfg_warn(p, &t[1], "%s: no units on '%s', assuming seconds",
			 t[0].s, t[1].s);
	} else if (time_unit(t[2].s, &mul) < 0) {
		cfg_err(p, &t[2], "%s: unknown time unit '%s' (use "
			"milliseconds, seconds, minutes, hours, days or "
			"weeks)", t[0].s, t[2].s);
		return;
	}
	*out = v * mul;
}

#define TIME_SETTER(field)						\
static void								\
set_##field(struct cfg_parse *p, const struct tok *t, size_t n)		\
{									\
	set_time(p, t, n, &p->c->field);				\
}
TIME_SETTER(connect_timeout)
TIME_SETTER(read_timeout)
TIME_SETTER(request_timeout)
TIME_SETTER(client_idle_pconn_timeout)
TIME_SETTER(server_idle_pconn_timeout)
TIME_SETTER(shutdown_lifetime)

/*
 * NAME N [bytes|KB|MB|GB], between 1 KB and 1 MB: every connection may
 * buffer a whole header block of this size, so the bound is what keeps
 * memory per connection bounded.
 */
static void
set_hdr_size(struct cfg_parse *p, const struct tok *t, size_t n, size_t *out)
{
	double v, mul = 1;
	size_t sz;

	if (nargs(p, t, n, 1, 2) < 0)
		return;
	if (parse_decimal(t[1].s, &v) < 0) {
		cfg_err(p, &t[1], "%s: invalid size '%s'", t[0].s, t[1].s);
		return;
	}
	if (n == 2) {
		cfg_warn(p, &t[1], "%s: no units on '%s', assuming bytes",
			 t[0].s, t[1].s);
	} else if (size_unit(t[2].s, &mul) < 0) {
		cfg_err(p, &t[2], "%s: unknown size unit '%s' (use bytes, KB, "
			"MB or GB)", t[0].s, t[2].s);
		return;
	}
	v *= mul;
	if (v < 1024 || v > 1024 * 1024) {
		cfg_err(p, &t[1], "%s: '%s%s%s' is out of range: must be "
			"between 1 KB and 1 MB (each connection buffers a "
			"whole header block, so this bounds memory per "
			"connection)", t[0].s, t[1].s, n > 2 ? " " : "",
			n > 2 ? t[2].s : "");
		return;
	}
	sz = (size_t)v;
	*out = sz;
}

static void
set_request_header_max_size(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_hdr_size(p, t, n, &p->c->request_header_max_size);
}

static void
set_reply_header_max_size(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_hdr_size(p, t, n, &p->c->reply_header_max_size);
}

/* ---------------------------------------------------------------- outgoing */

/* tcp_outgoing_address ADDR [[!]acl...] */
static void
set_tcp_outgoing_address(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_outgoing *o;
	struct sockaddr_storage ss;
	struct acl_ref ref;
	socklen_t sl;
	size_t i;

	if (nargs(p, t, n, 1, -1) < 0)
		return;
	if (sockaddr_parse(t[1].s, strlen(t[1].s), 0, &ss, &sl) < 0) {
		cfg_err(p, &t[1], "tcp_outgoing_address: invalid address '%s' "
			"(numeric IPv4 or IPv6 only)", t[1].s);
		return;
	}
	o = AR_PUSH(p->ar, p->c->outgoing, p->c->noutgoing);
	o->addr = ss;
	o->addrlen = sl;
	for (i = 2; i < n; i++)
		if (cfg_acl_ref(p, t[0].s, &t[i], &ref) == 0)
			*AR_PUSH(p->ar, o->ref, o->nref) = ref;
}

/*
 * cache_peer HOST parent HTTP_PORT ICP_PORT [options]. Only parents: a
 * sibling only answers ICP/HTCP queries, which tproxyd does not send.
 */
static void
set_cache_peer(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_peer peer, *dup;
	unsigned long hp, ip;
	size_t i;

	if (nargs(p, t, n, 4, -1) < 0)
		return;
	memset(&peer, 0, sizeof(peer));
	if (strcmp(t[2].s, "sibling") == 0 || strcmp(t[2].s, "multicast") == 0) {
		/* The seeds' cluster example has a sibling line: it must
		 * load, but a sibling is only ever asked through ICP/HTCP,
		 * which tproxyd does not speak, so it would never be used. */
		cfg_warn(p, &t[2], "cache_peer: %s peers are not used by "
			 "tproxyd (no ICP/HTCP); line ignored", t[2].s);
		return;
	}
	if (strcmp(t[2].s, "parent") != 0) {
		cfg_err(p, &t[2], "cache_peer: peer type must be parent, "
			"sibling or multicast (got '%s')", t[2].s);
		return;
	}
	if (number(t[3].s, 1, 65535, &hp) < 0) {
		cfg_err(p, &t[3], "cache_peer: invalid port '%s'", t[3].s);
		return;
	}
	if (number(t[4].s, 0, 65535, &ip) < 0) {
		cfg_err(p, &t[4], "cache_peer: invalid ICP port '%s'", t[4].s);
		return;
	}
	peer.host = ar_strdup(p->ar, t[1].s);
	peer.port = (unsigned)hp;
	for (i = 5; i < n; i++) {
		if (strcmp(t[i].s, "no-tproxy") == 0)
			peer.no_tproxy = 1;
		else if (strncmp(t[i].s, "name=", 5) == 0 && t[i].s[5] != '\0')
			peer.name = ar_strdup(p->ar, t[i].s + 5);
		else
			cfg_warn(p, &t[i], "cache_peer: option '%s' is not "
				 "supported by tproxyd; ignored", t[i].s);
	}
	if (peer.name == NULL)
		peer.name = peer.host;
	dup = peer_find(p->c, peer.name);
	if (dup != NULL) {
		cfg_err(p, &t[1], "cache_peer: peer name '%s' is already used "
			"at %s:%d (add name=...)", peer.name, dup->file,
			dup->line);
		return;
	}
	peer.file = t[0].file;
	peer.line = t[0].line;
	*AR_PUSH(p->ar, p->c->peer, p->c->npeer) = peer;
}

/* ---------------------------------------------------------------- wccp2 */

/*
 * Squid's WCCPv2 directives (wccp2_*). Values are stored in the wire's
 * units; src/wccp/ turns them into messages. Squid's rule that
 * wccp2_service_info follows its wccp2_service line is kept, so that a
 * mistyped id is reported on the line that has it.
 */

/* wccp2_router IP [IP...]; repeatable. IPv4 only: WCCPv2 (without the
 * rev1 address table) carries 32-bit addresses. */
static void
set_wccp2_router(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;

	if (nargs(p, t, n, 1, -1) < 0)
		return;
	for (i = 1; i < n; i++) {
		if (sockaddr_parse(t[i].s, strlen(t[i].s), 2048, &ss, &sl) < 0
		    || ss.ss_family != AF_INET) {
			cfg_err(p, &t[i], "wccp2_router: invalid address '%s' "
				"(numeric IPv4 only)", t[i].s);
			continue;
		}
		*AR_PUSH(p->ar, p->c->wccp2.router, p->c->wccp2.nrouter) = ss;
	}
}

static void
set_wccp2_address(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (nargs(p, t, n, 1, 1) < 0)
		return;
	if (sockaddr_parse(t[1].s, strlen(t[1].s), 2048, &ss, &sl) < 0 ||
	    ss.ss_family != AF_INET) {
		cfg_err(p, &t[1], "wccp2_address: invalid address '%s' "
			"(numeric IPv4 only)", t[1].s);
		return;
	}
	p->c->wccp2.address = ss;
}

/* A method keyword or Squid's number: a (=1) or b (=2). */
static void
set_wccp2_method(struct cfg_parse *p, const struct tok *t, size_t n,
		 const char *a, const char *b, unsigned *out)
{
	if (nargs(p, t, n, 1, 1) < 0)
		return;
	if (strcasecmp(t[1].s, a) == 0 || strcmp(t[1].s, "1") == 0)
		*out = 1;
	else if (strcasecmp(t[1].s, b) == 0 || strcmp(t[1].s, "2") == 0)
		*out = 2;
	else
		cfg_err(p, &t[1], "%s: expected %s or %s (or 1 or 2), got '%s'",
			t[0].s, a, b, t[1].s);
}

static void
set_wccp2_forwarding_method(struct cfg_parse *p, const struct tok *t,
			    size_t n)
{
	set_wccp2_method(p, t, n, "gre", "l2", &p->c->wccp2.forwarding_method);
}

static void
set_wccp2_return_method(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_wccp2_method(p, t, n, "gre", "l2", &p->c->wccp2.return_method);
}

static void
set_wccp2_assignment_method(struct cfg_parse *p, const struct tok *t,
			    size_t n)
{
	set_wccp2_method(p, t, n, "hash", "mask",
			 &p->c->wccp2.assignment_method);
}

static struct cfg_wccp2_service *
wccp2_find_service(struct cfg *c, int dynamic, unsigned id)
{
	size_t i;

	for (i = 0; i < c->wccp2.nservice; i++)
		if (c->wccp2.service[i].dynamic == dynamic &&
		    c->wccp2.service[i].id == id)
			return &c->wccp2.service[i];
	return NULL;
}

/* wccp2_service standard 0 | dynamic N [password=KEY] */
static void
set_wccp2_service(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_wccp2_service sv, *dup;
	unsigned long id;
	size_t i;

	if (nargs(p, t, n, 2, 3) < 0)
		return;
	memset(&sv, 0, sizeof(sv));
	if (strcmp(t[1].s, "dynamic") == 0) {
		sv.dynamic = 1;
	} else if (strcmp(t[1].s, "standard") != 0) {
		cfg_err(p, &t[1], "wccp2_service: expected 'standard' or "
			"'dynamic', got '%s'", t[1].s);
		return;
	}
	if (number(t[2].s, 0, 255, &id) < 0) {
		cfg_err(p, &t[2], "wccp2_service: invalid service id '%s' "
			"(0 to 255)", t[2].s);
		return;
	}
	if (!sv.dynamic && id != 0) {
		cfg_err(p, &t[2], "wccp2_service: the only standard service "
			"is 0 (web-cache); use 'dynamic %lu' with a "
			"wccp2_service_info line", id);
		return;
	}
	sv.id = (unsigned)id;
	for (i = 3; i < n; i++) {
		if (strncmp(t[i].s, "password=", 9) != 0) {
			cfg_err(p, &t[i], "wccp2_service: unknown option '%s' "
				"(expected password=...)", t[i].s);
			return;
		}
		if (t[i].s[9] == '\0' || strlen(t[i].s + 9) > 8) {
			cfg_err(p, &t[i], "wccp2_service: the password must "
				"have 1 to 8 characters (WCCP's MD5 key is 8 "
				"bytes)");
			return;
		}
		sv.password = ar_strdup(p->ar, t[i].s + 9);
	}
	/* Standard and dynamic services share the one-byte id on the wire:
	 * the router could not tell "standard 0" from "dynamic 0". */
	dup = wccp2_find_service(p->c, 0, sv.id);
	if (dup == NULL)
		dup = wccp2_find_service(p->c, 1, sv.id);
	if (dup != NULL) {
		cfg_err(p, &t[2], "wccp2_service: service %u is already "
			"defined at %s:%d", sv.id, dup->file, dup->line);
		return;
	}
	sv.file = t[0].file;
	sv.line = t[0].line;
	*AR_PUSH(p->ar, p->c->wccp2.service, p->c->wccp2.nservice) = sv;
}

/* flags=a,b,...: Squid's names, in wire order. */
static int
wccp2_flags(struct cfg_parse *p, const struct tok *t, const char *s,
	    unsigned *out)
{
	static const struct {
		const char *name;
		unsigned    bit;
	} names[] = {
		{ "src_ip_hash", 0x1 }, { "dst_ip_hash", 0x2 },
		{ "source_port_hash", 0x4 }, { "dst_port_hash", 0x8 },
		{ "ports_defined", 0x10 }, { "ports_source", 0x20 },
		{ "src_ip_alt_hash", 0x100 }, { "dst_ip_alt_hash", 0x200 },
		{ "src_port_alt_hash", 0x400 }, { "dst_port_alt_hash", 0x800 },
	};
	const char *e;
	size_t i, l;
	unsigned v = 0;

	while (*s != '\0') {
		e = strchr(s, ',');
		l = e ? (size_t)(e - s) : strlen(s);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == l &&
			    strncmp(names[i].name, s, l) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			cfg_err(p, t, "wccp2_service_info: unknown flag "
				"'%.*s'", (int)l, s);
			return -1;
		}
		v |= names[i].bit;
		s += l + (e != NULL);
	}
	*out = v;
	return 0;
}

/* ports=P,...: 1 to 8 ports. */
static int
wccp2_ports(struct cfg_parse *p, const struct tok *t, const char *s,
	    unsigned ports[8])
{
	unsigned long v;
	char num[8];
	const char *e;
	size_t l, k = 0;

	memset(ports, 0, 8 * sizeof(ports[0]));
	do {
		e = strchr(s, ',');
		l = e ? (size_t)(e - s) : strlen(s);
		if (k == 8) {
			cfg_err(p, t, "wccp2_service_info: at most 8 ports "
				"(the Service Info component has 8 slots)");
			return -1;
		}
		if (l == 0 || l >= sizeof(num)) {
			cfg_err(p, t, "wccp2_service_info: invalid port list "
				"'%s'", t->s + 6);
			return -1;
		}
		memcpy(num, s, l);
		num[l] = '\0';
		if (number(num, 1, 65535, &v) < 0) {
			cfg_err(p, t, "wccp2_service_info: invalid port '%s'",
				num);
			return -1;
		}
		ports[k++] = (unsigned)v;
		s += l + (e != NULL);
	} while (e != NULL);
	return 0;
}

/* wccp2_service_info N protocol=tcp|udp [flags=...] [priority=N]
 * [ports=P,...] */
static void
set_wccp2_service_info(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_wccp2_service *sv;
	unsigned long id, prio;
	unsigned flags = 0, ports[8] = { 0 };
	int have_proto = 0, have_ports = 0;
	unsigned proto = 0;
	size_t i;

	if (nargs(p, t, n, 2, -1) < 0)
		return;
	if (number(t[1].s, 0, 255, &id) < 0) {
		cfg_err(p, &t[1], "wccp2_service_info: invalid service id "
			"'%s' (0 to 255)", t[1].s);
		return;
	}
	sv = wccp2_find_service(p->c, 1, (unsigned)id);
	if (sv == NULL) {
		cfg_err(p, &t[1], "wccp2_service_info: no 'wccp2_service "
			"dynamic %lu' line before this one", id);
		return;
	}
	/* Seen, even if it has errors below: they are reported here, not
	 * again as "no wccp2_service_info line". */
	sv->has_info = 1;
	prio = sv->priority;
	for (i = 2; i < n; i++) {
		const char *s = t[i].s;

		if (strncmp(s, "protocol=", 9) == 0) {
			if (strcmp(s + 9, "tcp") == 0) {
				proto = 6;
			} else if (strcmp(s + 9, "udp") == 0) {
				proto = 17;
			} else {
				cfg_err(p, &t[i], "wccp2_service_info: "
					"protocol must be tcp or udp, got "
					"'%s'", s + 9);
				return;
			}
			have_proto = 1;
		} else if (strncmp(s, "flags=", 6) == 0) {
			if (wccp2_flags(p, &t[i], s + 6, &flags) < 0)
				return;
		} else if (strncmp(s, "priority=", 9) == 0) {
			if (number(s + 9, 0, 255, &prio) < 0) {
				cfg_err(p, &t[i], "wccp2_service_info: "
					"priority must be 0 to 255, got '%s'",
					s + 9);
				return;
			}
		} else if (strncmp(s, "ports=", 6) == 0) {
			if (wccp2_ports(p, &t[i], s + 6, ports) < 0)
				return;
			have_ports = 1;
		} else {
			cfg_err(p, &t[i], "wccp2_service_info: unknown option "
				"'%s' (expected protocol=, flags=, priority= "
				"or ports=)", s);
			return;
		}
	}
	if (!have_proto) {
		cfg_err(p, &t[0], "wccp2_service_info: protocol=tcp or "
			"protocol=udp is required");
		return;
	}
	if ((flags & 0x10) && !have_ports) {
		cfg_err(p, &t[0], "wccp2_service_info: flags=ports_defined "
			"needs ports=...");
		return;
	}
	/* Squid sets ports_defined whenever ports are listed. */
	if (have_ports)
		flags |= 0x10;
	sv->protocol = proto;
	sv->flags = flags;
	sv->priority = (unsigned)prio;
	memcpy(sv->ports, ports, sizeof(sv->ports));
}

static void
set_wccp2_weight(struct cfg_parse *p, const struct tok *t, size_t n)
{
	unsigned long v;

	if (nargs(p, t, n, 1, 1) < 0)
		return;
	if (number(t[1].s, 0, 65535, &v) < 0) {
		cfg_err(p, &t[1], "wccp2_weight: expected 0 to 65535, got "
			"'%s'", t[1].s);
		return;
	}
	p->c->wccp2.weight = (unsigned)v;
	p->c->wccp2.weight_set = 1;
}

static void
set_wccp2_rebuild_wait(struct cfg_parse *p, const struct tok *t, size_t n)
{
	int v;

	if (nargs(p, t, n, 1, 1) < 0)
		return;
	if ((v = onoff(p, &t[0], &t[1])) < 0)
		return;
	p->c->wccp2.rebuild_wait = v;
	p->c->wccp2.rebuild_wait_set = 1;
}

/*
 * After the whole file: Squid's defaults for what was left out, and the
 * checks that need every line (a dynamic service needs its
 * wccp2_service_info, which may only come later).
 */
void
cfg_wccp2_finish(struct cfg_parse *p)
{
	struct cfg_wccp2 *w = &p->c->wccp2;
	struct cfg_wccp2_service *sv;
	struct tok where;
	size_t i;

	if (w->forwarding_method == 0)
		w->forwarding_method = 1;
	if (w->return_method == 0)
		w->return_method = 1;
	if (w->assignment_method == 0)
		w->assignment_method = 1;
	if (!w->weight_set)
		w->weight = 10000;
	if (!w->rebuild_wait_set)
		w->rebuild_wait = 1;
	for (i = 0; i < w->nservice; i++) {
		sv = &w->service[i];
		if (!sv->dynamic || sv->has_info)
			continue;
		memset(&where, 0, sizeof(where));
		where.file = sv->file;
		where.line = sv->line;
		cfg_err(p, &where, "wccp2_service: dynamic service %u has no "
			"wccp2_service_info line (protocol, flags, ports)",
			sv->id);
	}
	if (w->nrouter == 0 && w->nservice > 0) {
		memset(&where, 0, sizeof(where));
		where.file = w->service[0].file;
		where.line = w->service[0].line;
		cfg_warn(p, &where, "wccp2_service: no wccp2_router is "
			 "configured; WCCPv2 stays off");
	}
}

/* ---------------------------------------------------------------- table */

/*
 * Every directive tproxyd recognizes, sorted by nothing in particular but
 * grouped by purpose. A NULL setter marks a Squid directive tproxyd does
 * not implement: it is accepted with a warning so that an existing
 * squid.conf loads unchanged.
 * Anything not in this table is an error.
 */
static const struct directive {
	const char *name;
	cfg_setter *set;
} directives[] = {
	/* listening and access control */
	{ "http_port",			set_http_port },
	{ "acl",			set_acl },
	{ "http_access",		set_http_access },
	/* logs and process */
	{ "access_log",			set_access_log },
	{ "cache_log",			set_cache_log },
	{ "pid_filename",		set_pid_filename },
	{ "cache_effective_user",	set_cache_effective_user },
	{ "dns_nameservers",		set_dns_nameservers },
	{ "visible_hostname",		set_visible_hostname },
	/* HTTP */
	{ "forwarded_for",		set_forwarded_for },
	{ "via",			set_via },
	{ "request_header_max_size",	set_request_header_max_size },
	{ "reply_header_max_size",	set_reply_header_max_size },
	/* timeouts */
	{ "connect_timeout",		set_connect_timeout },
	{ "read_timeout",		set_read_timeout },
	{ "request_timeout",		set_request_timeout },
	{ "client_idle_pconn_timeout",	set_client_idle_pconn_timeout },
	{ "server_idle_pconn_timeout",	set_server_idle_pconn_timeout },
	{ "shutdown_lifetime",		set_shutdown_lifetime },
	/* interception */
	{ "spoof_client_ip",		set_spoof_client_ip },
	{ "spoof_client_port",		set_spoof_client_port },
	{ "host_verify_strict",		set_host_verify_strict },
	{ "tcp_outgoing_address",	set_tcp_outgoing_address },
	{ "cache_peer",			set_cache_peer },
	{ "cache_peer_access",		set_cache_peer_access },
	{ "never_direct",		set_never_direct },
	{ "max_filedescriptors",	set_max_filedescriptors },
	{ "workers",			set_workers },
	{ "cpu_affinity_map",		set_cpu_affinity_map },
	{ "client_connection_limit",	set_client_connection_limit },
	{ "stats_port",			set_stats_port },
	{ "stats_access",		set_stats_access },
	{ "always_direct",		set_always_direct },
	/* WCCPv2 */
	{ "wccp2_router",		set_wccp2_router },
	{ "wccp2_address",		set_wccp2_address },
	{ "wccp2_forwarding_method",	set_wccp2_forwarding_method },
	{ "wccp2_return_method",	set_wccp2_return_method },
	{ "wccp2_assignment_method",	set_wccp2_assignment_method },
	{ "wccp2_service",		set_wccp2_service },
	{ "wccp2_service_info",		set_wccp2_service_info },
	{ "wccp2_weight",		set_wccp2_weight },
	{ "wccp2_rebuild_wait",		set_wccp2_rebuild_wait },

	/* Squid directives accepted and ignored (warning). */
	{ "cache_dir", NULL },
	{ "cache_mem", NULL },
	{ "refresh_pattern", NULL },
	{ "coredump_dir", NULL },
	{ "maximum_object_size", NULL },
	{ "maximum_object_size_in_memory", NULL },
	{ "minimum_object_size", NULL },
	{ "cache", NULL },
	{ "cache_replacement_policy", NULL },
	{ "memory_replacement_policy", NULL },
	{ "hierarchy_stoplist", NULL },
	{ "cache_store_log", NULL },
	{ "logfile_rotate", NULL },
	{ "debug_options", NULL },
	{ "cache_mgr", NULL },
	{ "httpd_suppress_version_string", NULL },
	{ "httpd_accel_no_pmtu_disc", NULL },	/* Squid-2, in the wiki */
	{ "pipeline_prefetch", NULL },
	{ "dns_v4_first", NULL },
	{ "cache_swap_low", NULL },
	{ "cache_swap_high", NULL },
	{ "memory_pools", NULL },
	{ "client_persistent_connections", NULL },
	{ "server_persistent_connections", NULL },
	{ "pconn_timeout", NULL },
	{ "half_closed_clients", NULL },
	{ "icp_port", NULL },
	{ "htcp_port", NULL },
	{ "snmp_port", NULL },
	{ "icp_access", NULL },
	{ "htcp_access", NULL },
	{ "snmp_access", NULL },
	{ "logformat", NULL },
	{ "forward_timeout", NULL },
	{ "negative_ttl", NULL },
	/* WCCPv1 (Squid's wccp_*): not implemented, only WCCPv2. */
	{ "wccp_version", NULL },
	{ "wccp_router", NULL },
};

void
cfg_directive(struct cfg_parse *p, const struct tok *t, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		if (strcmp(directives[i].name, t[0].s) != 0)
			continue;
		if (directives[i].set == NULL)
			cfg_warn(p, &t[0], "'%s' is not implemented by "
				 "tproxyd; ignored", t[0].s);
		else
			directives[i].set(p, t, n);
		return;
	}
	cfg_err(p, &t[0], "unknown directive '%s'", t[0].s);
}
