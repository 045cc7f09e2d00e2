/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sa.c - socket address helpers.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/fmt.h"
#include "core/sa.h"

void
sa_unmap(struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	if (ss->ss_family != AF_INET6)
		return;
	memcpy(&s6, ss, sizeof(s6));
	if (!IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr))
		return;
	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = s6.sin6_port;
	memcpy(&s4->sin_addr, &s6.sin6_addr.s6_addr[12], 4);
	if (len)
		*len = sizeof(*s4);
}

int
sa_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      16) == 0;
	return 0;
}

int
sa_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	return sa_same_ip(a, b) && sa_port(a) == sa_port(b);
}

unsigned
sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

void
sa_set_port(struct sockaddr *sa, unsigned port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
}

socklen_t
sa_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
	       sizeof(struct sockaddr_in6);
}

/* Copy len bytes of text into out (size n), cut to fit, NUL-terminated. */
static const char *
copy_out(char *out, size_t n, const char *text, size_t len)
{
	if (n == 0)
		return out;
	if (len >= n)
		len = n - 1;
	memcpy(out, text, len);
	out[len] = '\0';
	return out;
}

const char *
sa_ip_text(const struct sockaddr *sa, char *out, size_t n)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	char tmp[FMT_IP_MAX];
	size_t len;

	if (sa == NULL)
		len = (size_t)(stpcpy(tmp, "-") - tmp);
	else if (sa->sa_family == AF_INET)
		len = fmt_ip4(tmp, (const unsigned char *)
			      &((const struct sockaddr_in *)sa)->sin_addr);
	else if (sa->sa_family == AF_INET6 &&
		 IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		len = fmt_ip4(tmp, &s6->sin6_addr.s6_addr[12]);
	else if (sa->sa_family == AF_INET6)
		len = fmt_ip6(tmp, s6->sin6_addr.s6_addr);
	else
		len = (size_t)(stpcpy(tmp, "-") - tmp);
	return copy_out(out, n, tmp, len);
}

const char *
sa_text(const struct sockaddr *sa, char *out, size_t n)
{
	char tmp[FMT_IP_MAX + 8 + FMT_U64_MAX];
	size_t o = 0;
	int v6 = sa->sa_family == AF_INET6 &&
		 !IN6_IS_ADDR_V4MAPPED(
		     &((const struct sockaddr_in6 *)sa)->sin6_addr);

	if (v6)
		tmp[o++] = '[';
	sa_ip_text(sa, tmp + o, FMT_IP_MAX);
	o += strlen(tmp + o);
	if (v6)
		tmp[o++] = ']';
	tmp[o++] = ':';
	o += fmt_u64(tmp + o, sa_port(sa));
	return copy_out(out, n, tmp, o);
}

int
sa_is_any(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}
