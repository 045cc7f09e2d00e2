/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_wccp2.c - Squid's WCCPv2 directives (wccp2_*). Values are stored
 * in the wire's units in c->wccp2 (cfg_wccp2-t.h); src/wccp/ turns them
 * into messages. Squid's rule that wccp2_service_info follows its
 * wccp2_service line is kept, so that a mistyped id is reported on the
 * line that has it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/cfg-int.h"
#include "config/config.h"

/*
 * One wccp2_router or wccp2_address value: an IPv4 address or a host name
 * (its first IPv4 address, resolved now, as Squid does), into *ss with
 * port 2048. 0, or -1 after reporting.
 */
static int
wccp2_host(struct cfg_parse *p, const struct tok *t, const char *dname,
	   const char *s, size_t len, struct sockaddr_storage *ss)
{
	struct sockaddr_storage *all;
	socklen_t sl;
	int k;

	k = cfg_host_sockaddr(p, t, dname, s, len, 2048, AF_INET, ss, &sl,
			      &all);
	if (k == 0)
		return -1;
	if (k < 0) {
		cfg_err(p, t, "%s: invalid address '%.*s' (an IPv4 address "
			"or a host name: WCCPv2 is IPv4 only)", dname,
			(int)len, s);
		return -1;
	}
	cfg_warn_first(p, t, dname, s, len, all, k, "using", "");
	return 0;
}

/*
 * wccp2_router HOST[:PORT] [...]; repeatable. IPv4 only: WCCPv2 (without
 * the rev1 address table) carries 32-bit addresses. Squid's WCCPv2 pages
 * write the router as 192.0.2.1:2048; Squid parses the port and then
 * always talks to the router's port 2048, so does tproxyd (with a
 * warning for another port).
 */
static void
set_wccp2_router(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct sockaddr_storage ss;
	const char *s, *colon;
	unsigned long pn;
	size_t i, len;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	for (i = 1; i < n; i++) {
		s = t[i].s;
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			cfg_err(p, &t[i], "wccp2_router: invalid address '%s' "
				"(an IPv4 address or a host name: WCCPv2 is "
				"IPv4 only)", s);
			continue;
		}
		len = colon != NULL ? (size_t)(colon - s) : strlen(s);
		if (colon != NULL &&
		    cfg_number(colon + 1, 1, 65535, &pn) < 0) {
			cfg_err(p, &t[i], "wccp2_router: invalid port '%s'",
				colon + 1);
			continue;
		}
		if (wccp2_host(p, &t[i], t[0].s, s, len, &ss) < 0)
			continue;
		if (colon != NULL && pn != 2048)
			cfg_warn(p, &t[i], "wccp2_router: port %lu ignored: "
				 "WCCPv2 routers are always reached on UDP "
				 "port 2048 (Squid ignores the port too)", pn);
		*AR_PUSH(p->ar, p->c->wccp2.router,
			 p->c->wccp2.nrouter) = ss;
	}
}

/* wccp2_address any_addr | IPv4 | HOST: the local address of the WCCPv2
 * socket. */
static void
set_wccp2_address(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct sockaddr_storage ss;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	if (strcmp(t[1].s, "any_addr") == 0) {
		/* Squid's name for the default: the system chooses. */
		memset(&p->c->wccp2.address, 0, sizeof(p->c->wccp2.address));
		return;
	}
	if (wccp2_host(p, &t[1], t[0].s, t[1].s, strlen(t[1].s), &ss) < 0)
		return;
	p->c->wccp2.address = ss;
}

/* A method keyword or Squid's number: a (=1) or b (=2). */
static void
set_wccp2_method(struct cfg_parse *p, const struct tok *t, size_t n,
		 const char *a, const char *b, unsigned *out)
{
	if (cfg_nargs(p, t, n, 1, 1) < 0)
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

	if (cfg_nargs(p, t, n, 2, 3) < 0)
		return;
	memset(&sv, 0, sizeof(sv));
	if (strcmp(t[1].s, "dynamic") == 0) {
		sv.dynamic = 1;
	} else if (strcmp(t[1].s, "standard") != 0) {
		cfg_err(p, &t[1], "wccp2_service: expected 'standard' or "
			"'dynamic', got '%s'", t[1].s);
		return;
	}
	if (cfg_number(t[2].s, 0, 255, &id) < 0) {
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
		if (cfg_number(num, 1, 65535, &v) < 0) {
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

	if (cfg_nargs(p, t, n, 2, -1) < 0)
		return;
	if (cfg_number(t[1].s, 0, 255, &id) < 0) {
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
			if (cfg_number(s + 9, 0, 255, &prio) < 0) {
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

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	if (cfg_number(t[1].s, 0, 65535, &v) < 0) {
		cfg_err(p, &t[1], "wccp2_weight: expected 0 to 65535, got "
			"'%s'", t[1].s);
		return;
	}
	p->c->wccp2.weight = (unsigned)v;
	p->wccp2.weight_set = 1;
}

static void
set_wccp2_rebuild_wait(struct cfg_parse *p, const struct tok *t, size_t n)
{
	int v;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	if ((v = cfg_onoff(p, &t[0], &t[1])) < 0)
		return;
	p->c->wccp2.rebuild_wait = v;
	p->wccp2.rebuild_wait_set = 1;
}

/*
 * After the whole file: Squid's defaults for what was left out, and the
 * checks that need every line (a dynamic service needs its
 * wccp2_service_info, which may only come later).
 */
static void
wccp2_finish(struct cfg_parse *p)
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
	if (!p->wccp2.weight_set)
		w->weight = 10000;
	if (!p->wccp2.rebuild_wait_set)
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

static const struct cfg_dir dirs[] = {
	{ "wccp2_router",		set_wccp2_router },
	{ "wccp2_address",		set_wccp2_address },
	{ "wccp2_forwarding_method",	set_wccp2_forwarding_method },
	{ "wccp2_return_method",	set_wccp2_return_method },
	{ "wccp2_assignment_method",	set_wccp2_assignment_method },
	{ "wccp2_service",		set_wccp2_service },
	{ "wccp2_service_info",		set_wccp2_service_info },
	{ "wccp2_weight",		set_wccp2_weight },
	{ "wccp2_rebuild_wait",		set_wccp2_rebuild_wait },
};

const struct cfg_dirtab cfg_dirs_wccp2 = {
	.module		= "wccp2",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.finish		= wccp2_finish,
};
