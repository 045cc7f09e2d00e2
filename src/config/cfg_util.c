/*
 * cfg_util.c - helpers every directive module shares: argument counts,
 * on|off, numbers, numeric addresses, access lists, and Squid's time and
 * size units. Declared in cfg-int.h.
 */
#include <arpa/inet.h>
#include <math.h>
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
 * the given port. Names are refused: tproxyd resolves nothing at load time.
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
