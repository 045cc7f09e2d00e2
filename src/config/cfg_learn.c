/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_learn.c - learning the DNS answers clients receive (tproxyd's own
 * directives, not Squid's), so that Host and SNI verification accept the
 * addresses a client was really given by its resolver. Used by
 * src/learn/ (learn_apply()).
 *
 *   host_verify_learn_dns on|off            default off
 *   host_verify_trusted_resolvers ADDR ...  default: the resolvers tproxyd
 *                                           itself uses
 *
 * Answers are learnt only from trusted resolvers: if any DNS server were
 * believed, a client could run its own (anywhere on the Internet), make
 * it "resolve" an allowed name to any address, and so pass verification
 * for a connection to that address (the very bypass verification exists
 * to stop, CVE-2009-0801).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

/* Where the default resolvers come from when dns_nameservers is not set:
 * the same file c-ares reads (src/proxy/dns.c). Tests point it elsewhere. */
const char *cfg_resolv_conf = "/etc/resolv.conf";

/* Same family and address (ports are 0 here). */
static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			      &((const struct sockaddr_in *)b)->sin_addr,
			      4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/* Append ss (a cfg_sockaddr() result, port 0) to the trusted set unless
 * it is there already; IPv4-mapped IPv6 is stored as IPv4, the form
 * packets carry. */
static void
trusted_add(struct cfg_parse *p, const struct sockaddr_storage *ss)
{
	struct cfg_learn *l = &p->c->learn;
	struct sockaddr_storage a = *ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a;
	size_t i;

	if (ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memset(&a, 0, sizeof(a));
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	}
	for (i = 0; i < l->ntrusted; i++)
		if (same_addr(&l->trusted[i], &a))
			return;
	*AR_PUSH(p->ar, l->trusted, l->ntrusted) = a;
}

static void
set_learn_dns(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->learn.on);
}

/* host_verify_trusted_resolvers ADDR...: numeric addresses; several lines
 * add up. */
static void
set_trusted_resolvers(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (p->learn.file == NULL) {
		p->learn.file = t[0].file;
		p->learn.line = t[0].line;
	}
	for (i = 1; i < n; i++) {
		if (cfg_sockaddr(t[i].s, strlen(t[i].s), 0, &ss, &sl) < 0) {
			cfg_err(p, &t[i], "%s: invalid address '%s' (numeric "
				"IPv4 or IPv6 only)", t[0].s, t[i].s);
			continue;
		}
		trusted_add(p, &ss);
	}
}

/* The addresses of dns_nameservers ("a,b,c"), already checked by
 * cfg_http.c. */
static void
trusted_from_nameservers(struct cfg_parse *p, const char *list)
{
	struct sockaddr_storage ss;
	const char *s = list, *e;
	socklen_t sl;

	while (*s != '\0') {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		if (cfg_sockaddr(s, (size_t)(e - s), 0, &ss, &sl) == 0)
			trusted_add(p, &ss);
		s = *e == ',' ? e + 1 : e;
	}
}

/*
 * The nameserver lines of resolv.conf(5): "nameserver ADDR", ADDR numeric
 * (an IPv6 zone "%eth0" is dropped: addresses are compared without it).
 * A missing file is no error: the resolver then has no server either.
 */
static void
trusted_from_resolv_conf(struct cfg_parse *p)
{
	struct sockaddr_storage ss;
	char *buf = NULL, *line, *save = NULL, *w, *ws;
	size_t len, wl;
	socklen_t sl;

	if (cfg_read_file(cfg_resolv_conf, &buf, &len) != 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		w = strtok_r(line, " \t\r", &ws);
		if (w == NULL || strcmp(w, "nameserver") != 0)
			continue;
		w = strtok_r(NULL, " \t\r", &ws);
		if (w == NULL)
			continue;
		wl = strcspn(w, "%#;");
		if (cfg_sockaddr(w, wl, 0, &ss, &sl) == 0)
			trusted_add(p, &ss);
	}
	free(buf);
}

/*
 * Without a host_verify_trusted_resolvers line, learning trusts the
 * resolvers tproxyd itself asks (dns_nameservers, else resolv.conf): on a
 * router that forwards its clients' DNS to the same servers, or runs the
 * resolver its clients use, that is right without further setup.
 */
static void
learn_finish(struct cfg_parse *p)
{
	struct cfg_learn *l = &p->c->learn;
	struct tok where;

	/* Only when learning: the default costs a file read, for every
	 * configuration load otherwise (and every input of the fuzzer). */
	if (l->on && l->ntrusted == 0 && p->learn.file == NULL) {
		if (p->c->dns_nameservers != NULL)
			trusted_from_nameservers(p, p->c->dns_nameservers);
		else
			trusted_from_resolv_conf(p);
	}
	if (p->learn.file != NULL && !l->on) {
		memset(&where, 0, sizeof(where));
		where.file = p->learn.file;
		where.line = p->learn.line;
		cfg_warn(p, &where, "host_verify_trusted_resolvers has no "
			 "effect without host_verify_learn_dns on");
	}
	if (l->on && l->ntrusted == 0 && p->learn.file == NULL)
		cfg_warn(p, NULL, "host_verify_learn_dns: no trusted resolver "
			 "(no dns_nameservers, no nameserver line in %s): no "
			 "answer will be learnt; name the resolvers your "
			 "clients use with host_verify_trusted_resolvers",
			 cfg_resolv_conf);
}

static const struct cfg_dir dirs[] = {
	{ "host_verify_learn_dns",		set_learn_dns },
	{ "host_verify_trusted_resolvers",	set_trusted_resolvers },
};

const struct cfg_dirtab cfg_dirs_learn = {
	.module		= "learn",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.finish		= learn_finish,
};
