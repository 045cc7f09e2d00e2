/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * url.c - authorities and absolute URLs (see url.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "http/url.h"

int
url_authority_end(const char *p, size_t n, const char **end)
{
	const char *a, *e = p + n, *q;

	a = memmem(p, n < 9 ? n : 9, "://", 3);
	if (a == NULL)
		return -1;
	a += 3;
	for (q = a; q < e && *q != '/' && *q != '?'; q++)
		if (*q == '@')
			return -1;
	if (q == a)
		return -1;
	*end = q;
	return 0;
}

int
url_valid_host(const char *p, size_t n)
{
	size_t i;
	struct in6_addr a6;
	char tmp[64];

	if (n == 0 || n >= URL_HOST_MAX)
		return 0;
	if (p[0] == '[') {
		if (n < 3 || p[n - 1] != ']' || n - 2 >= sizeof(tmp))
			return 0;
		memcpy(tmp, p + 1, n - 2);
		tmp[n - 2] = '\0';
		return inet_pton(AF_INET6, tmp, &a6) == 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_'))
			return 0;
	}
	return 1;
}

int
url_parse_authority(const char *p, size_t n, unsigned dflt, char *host,
		    unsigned *port)
{
	size_t hl = n, i;
	const char *colon = NULL;
	unsigned long pv = dflt;

	if (n > 0 && p[0] == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb == NULL)
			return -1;
		hl = (size_t)(rb - p) + 1;
		if (hl < n) {
			if (p[hl] != ':')
				return -1;
			colon = p + hl;
		}
	} else {
		colon = memchr(p, ':', n);
		if (colon)
			hl = (size_t)(colon - p);
	}
	if (colon) {
		size_t pl = n - (size_t)(colon - p) - 1;

		if (pl == 0 || pl > 5)
			return -1;
		pv = 0;
		for (i = 0; i < pl; i++) {
			if (colon[1 + i] < '0' || colon[1 + i] > '9')
				return -1;
			pv = pv * 10 + (unsigned long)(colon[1 + i] - '0');
		}
		if (pv == 0 || pv > 65535)
			return -1;
	}
	if (!url_valid_host(p, hl))
		return -1;
	/* Keep the brackets off for resolving an IPv6 literal. */
	if (p[0] == '[') {
		memcpy(host, p + 1, hl - 2);
		host[hl - 2] = '\0';
	} else {
		memcpy(host, p, hl);
		host[hl] = '\0';
	}
	*port = (unsigned)pv;
	return colon != NULL;
}
