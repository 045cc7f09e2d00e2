/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_util.c - helpers every directive module shares: argument counts,
 * on|off, numbers, numeric addresses, access lists, and Squid's time and
 * size units. Declared in cfg-int.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg-int.h"
#include "config/config.h"

/* Check the argument count; 0 if between min and max, else -1 after
 * reporting. max < 0: no limit. */
int
cfg_nargs(struct cfg_parse *p, const struct tok *t, size_t n, size_t min,
	  int max)
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
int
cfg_onoff(struct cfg_parse *p, const struct tok *d, const struct tok *v)
{
	if (strcmp(v->s, "on") == 0 || strcmp(v->s, "enable") == 0)
		return 1;
	if (strcmp(v->s, "off") == 0 || strcmp(v->s, "disable") == 0)
		return 0;
	cfg_err(p, v, "%s: expected 'on' or 'off', got '%s'", d->s, v->s);
	return -1;
}

/* Strict decimal in [lo, hi]; 0 or -1. */
int
cfg_number(const char *s, unsigned long lo, unsigned long hi,
	   unsigned long *out)
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
 * the given port. Names are refused here; cfg_resolve() resolves them.
 */
int
cfg_sockaddr(const char *s, size_t len, unsigned port,
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

/* The resolver for host names at load time; unit tests and the fuzz
 * target replace it so that they never depend on DNS. */
int (*cfg_getaddrinfo)(const char *, const char *, const struct addrinfo *,
		       struct addrinfo **) = getaddrinfo;
void (*cfg_freeaddrinfo)(struct addrinfo *) = freeaddrinfo;

int
cfg_is_hostname(const char *s, size_t len)
{
	size_t i;
	int letter = 0;

	if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')
			letter = 1;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-' &&
			 s[i] != '.' && s[i] != '_')
			return 0;
	}
	return letter;
}

/*
 * Resolve a host name at load time, as Squid does: getaddrinfo(), which
 * blocks, in the resolver's order. Squid resolves when it reads the line
 * too, and a name that does not resolve stops it; here it is one more
 * error of the load. The addresses (port 0, each once) go to an arena
 * array in *out; returns how many, or 0 after reporting.
 */
size_t
cfg_resolve(struct cfg_parse *p, const struct tok *t, const char *dname,
	    const char *name, size_t len, int family,
	    struct sockaddr_storage **out)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage *v = NULL, ss;
	char *host;
	size_t n = 0, i;
	int rc;

	host = ar_strndup(p->ar, name, len);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;	/* one entry per address */
	rc = cfg_getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		cfg_err(p, t, "%s: cannot resolve '%s': %s", dname, host,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return 0;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    (family != AF_UNSPEC && ai->ai_family != family) ||
		    ai->ai_addrlen > sizeof(ss))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		for (i = 0; i < n; i++)
			if (memcmp(&v[i], &ss, sizeof(ss)) == 0)
				break;
		if (i == n)
			*AR_PUSH(p->ar, v, n) = ss;
	}
	cfg_freeaddrinfo(res);
	if (n == 0) {
		cfg_err(p, t, "%s: cannot resolve '%s': %s", dname, host,
			family == AF_INET ? "no IPv4 address" :
			"no IPv4 or IPv6 address");
		return 0;
	}
	*out = v;
	return n;
}

void
cfg_addr_str(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	const void *a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
}

void
cfg_warn_first(struct cfg_parse *p, const struct tok *t, const char *dname,
	       const char *s, size_t len, const struct sockaddr_storage *all,
	       int k, const char *verb, const char *tail)
{
	char a0[INET6_ADDRSTRLEN], a1[INET6_ADDRSTRLEN];

	if (all == NULL || k < 2)
		return;
	cfg_addr_str(&all[0], a0, sizeof(a0));
	cfg_addr_str(&all[1], a1, sizeof(a1));
	cfg_warn(p, t, "%s: '%.*s' has %d addresses (%s, %s%s); %s %s only, "
		 "as Squid does%s", dname, (int)len, s, k, a0, a1,
		 k > 2 ? ", ..." : "", verb, a0, tail);
}

/*
 * A numeric address or a host name (the first of its addresses, as Squid
 * takes) of len bytes at s, into *ss with the given port. family AF_INET
 * keeps IPv4 only. Returns the number of addresses the name has (1 for a
 * numeric address); 0 after reporting a name that does not resolve; -1
 * when s is neither, for the caller to report in its own words. all (may
 * be NULL) gets every address of a name (arena array), NULL for a
 * numeric address.
 */
int
cfg_host_sockaddr(struct cfg_parse *p, const struct tok *t, const char *dname,
		  const char *s, size_t len, unsigned port, int family,
		  struct sockaddr_storage *ss, socklen_t *sl,
		  struct sockaddr_storage **all)
{
	struct sockaddr_storage *v;
	size_t n;

	if (all != NULL)
		*all = NULL;
	if (cfg_sockaddr(s, len, port, ss, sl) == 0)
		return family == AF_UNSPEC || ss->ss_family == family ? 1 : -1;
	if (!cfg_is_hostname(s, len))
		return -1;
	n = cfg_resolve(p, t, dname, s, len, family, &v);
	if (n == 0)
		return 0;
	*ss = v[0];
	if (all != NULL)
		*all = v;
	if (ss->ss_family == AF_INET) {
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*sl = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*sl = sizeof(struct sockaddr_in6);
	}
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/*
 * NAME allow|deny [!]acl...: append one rule to list. The first argument
 * is t[first]. At least one acl is required (Squid too).
 */
void
cfg_access_line(struct cfg_parse *p, const struct tok *t, size_t n,
		size_t first, const char *dname, struct access_list *list)
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

void
cfg_set_string(struct cfg_parse *p, const struct tok *t, size_t n,
	       char **out, int none_ok)
{
	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	if (none_ok && strcmp(t[1].s, "none") == 0)
		*out = NULL;
	else
		*out = ar_strdup(p->ar, t[1].s);
}

void
cfg_set_bool(struct cfg_parse *p, const struct tok *t, size_t n, int *out)
{
	int v;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	v = cfg_onoff(p, &t[0], &t[1]);
	if (v >= 0)
		*out = v;
}

/* NAME N with N in [lo, hi]: 0, or -1 after reporting (what: the
 * range in words). */
int
cfg_int_line(struct cfg_parse *p, const struct tok *t, size_t n,
	     unsigned long lo, unsigned long hi, const char *what,
	     unsigned long *out)
{
	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return -1;
	if (cfg_number(t[1].s, lo, hi, out) < 0) {
		cfg_err(p, &t[1], "%s: invalid value '%s' (%s)", t[0].s,
			t[1].s, what);
		return -1;
	}
	return 0;
}

/* Non-negative decimal "12" or "1.5"; no sign, exponent, hex or inf. */
int
cfg_decimal(const char *s, double *out)
{
	char *end;
	size_t digits;

	digits = strspn(s, "0123456789.");
	if (digits == 0 || s[digits] != '\0' ||
	    strchr(s, '.') != strrchr(s, '.') || strcmp(s, ".") == 0)
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

	if (cfg_decimal(num, &v) < 0)
		return -1;
	if (unit != NULL && time_unit(unit, &mul) < 0)
		return -1;
	*out = v * mul;
	return 0;
}

/* Bytes per size unit; Squid compares these case-insensitively. */
int
cfg_size_unit(const char *u, double *out)
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
cfg_parse_size_word(const char *s, size_t *out)
{
	char num[32];
	size_t k = strspn(s, "0123456789.");

	if (k == 0 || k >= sizeof(num))
		return -1;
	memcpy(num, s, k);
	num[k] = '\0';
	return cfg_parse_size(num, s[k] ? s + k : NULL, out);
}

int
cfg_parse_size(const char *num, const char *unit, size_t *out)
{
	double v, mul = 1;

	if (cfg_decimal(num, &v) < 0)
		return -1;
	if (unit != NULL && cfg_size_unit(unit, &mul) < 0)
		return -1;
	v *= mul;
	if (v >= 18446744073709551616.0 || v > (double)SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* NAME N [unit]: a bare number is seconds, with Squid's warning. */
void
cfg_set_time(struct cfg_parse *p, const struct tok *t, size_t n, double *out)
{
	double v, mul = 1;

	if (cfg_nargs(p, t, n, 1, 2) < 0)
		return;
	if (cfg_decimal(t[1].s, &v) < 0) {
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
