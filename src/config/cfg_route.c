/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_route.c - where and from which address a request leaves: client
 * address spoofing (TPROXY), Host verification, tcp_outgoing_address,
 * parent and sibling proxies (cache_peer, cache_peer_access; a sibling is
 * never a route, only asked for hits by the cache) and never_direct /
 * always_direct. Read by src/proxy/ (phase.c, req.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/cfg-int.h"
#include "config/config.h"

static void
set_spoof_client_ip(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->spoof_client_ip);
}

static void
set_spoof_client_port(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->spoof_client_port);
}

static void
set_host_verify_strict(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->host_verify_strict);
}

/*
 * tcp_outgoing_address ADDR|HOST [[!]acl...]. A host name is resolved now
 * and its first address used, as Squid does.
 */
static void
set_tcp_outgoing_address(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_outgoing *o;
	struct sockaddr_storage ss, *all;
	struct acl_ref ref;
	socklen_t sl;
	size_t i;
	int k;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	k = cfg_host_sockaddr(p, &t[1], t[0].s, t[1].s, strlen(t[1].s), 0,
			      AF_UNSPEC, &ss, &sl, &all);
	if (k == 0)
		return;
	if (k < 0) {
		cfg_err(p, &t[1], "tcp_outgoing_address: invalid address '%s' "
			"(expected an IPv4 or IPv6 address or a host name)",
			t[1].s);
		return;
	}
	cfg_warn_first(p, &t[1], t[0].s, t[1].s, strlen(t[1].s), all, k,
		       "using", "");
	o = AR_PUSH(p->ar, p->c->outgoing, p->c->noutgoing);
	o->addr = ss;
	o->addrlen = sl;
	for (i = 2; i < n; i++)
		if (cfg_acl_ref(p, t[0].s, &t[i], &ref) == 0)
			*AR_PUSH(p->ar, o->ref, o->nref) = ref;
}

/* The cache_peer called name (compared as Squid does, ignoring case), or
 * NULL. */
static struct cfg_peer *
peer_find(struct cfg *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->npeer; i++)
		if (strcasecmp(c->peer[i].name, name) == 0)
			return &c->peer[i];
	return NULL;
}

/*
 * htcp or htcp=OPTION,...: queried by HTCP (rather than ICP) on
 * ICP_PORT. Squid's sub-options change the HTCP dialect or CLR (purge)
 * forwarding; tproxyd queries siblings the one way and forwards no CLR,
 * so they are ignored with a warning. 0, or -1 after reporting.
 */
static int
peer_htcp(struct cfg_parse *p, const struct tok *t, struct cfg_peer *peer)
{
	static const char *const known[] = {
		"oldsquid", "no-clr", "no-purge-clr", "only-clr",
		"forward-clr",
	};
	const char *s = t->s + 4, *e;
	size_t len, k;

	peer->htcp = 1;
	if (*s == '\0')
		return 0;
	for (s++; *s != '\0'; s = *e == ',' ? e + 1 : e) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		len = (size_t)(e - s);
		for (k = 0; k < CFG_NELEM(known); k++)
			if (strlen(known[k]) == len &&
			    strncmp(known[k], s, len) == 0)
				break;
		if (k == CFG_NELEM(known)) {
			cfg_err(p, t, "cache_peer: unknown htcp option "
				"'%.*s' (oldsquid, no-clr, no-purge-clr, "
				"only-clr or forward-clr)", (int)len, s);
			return -1;
		}
		cfg_warn(p, t, "cache_peer: htcp option '%.*s' is ignored "
			 "(tproxyd asks in the one HTCP dialect and forwards "
			 "no CLR requests)", (int)len, s);
	}
	return 0;
}

/*
 * cache_peer HOST parent|sibling HTTP_PORT ICP_PORT [options]. A parent
 * is a route of its own (src/proxy/phase.c); a sibling is only asked
 * (ICP, or HTCP with the htcp option) whether it has an object, and
 * never a route. multicast groups are not supported: warned and dropped.
 */
static void
set_cache_peer(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_peer peer, *dup;
	unsigned long hp, ip;
	size_t i;
	int bad = 0;

	if (cfg_nargs(p, t, n, 4, -1) < 0)
		return;
	memset(&peer, 0, sizeof(peer));
	if (strcmp(t[2].s, "multicast") == 0) {
		cfg_warn(p, &t[2], "cache_peer: multicast peers are not used "
			 "by tproxyd (no multicast ICP); line ignored");
		return;
	}
	if (strcmp(t[2].s, "sibling") == 0) {
		peer.sibling = 1;
	} else if (strcmp(t[2].s, "parent") != 0) {
		cfg_err(p, &t[2], "cache_peer: peer type must be parent, "
			"sibling or multicast (got '%s')", t[2].s);
		return;
	}
	if (cfg_number(t[3].s, 1, 65535, &hp) < 0) {
		cfg_err(p, &t[3], "cache_peer: invalid port '%s'", t[3].s);
		return;
	}
	if (cfg_number(t[4].s, 0, 65535, &ip) < 0) {
		cfg_err(p, &t[4], "cache_peer: invalid ICP port '%s'", t[4].s);
		return;
	}
	peer.host = ar_strdup(p->ar, t[1].s);
	peer.port = (unsigned)hp;
	peer.icp_port = (unsigned)ip;
	for (i = 5; i < n; i++) {
		if (strcmp(t[i].s, "no-tproxy") == 0)
			peer.no_tproxy = 1;
		else if (strncmp(t[i].s, "name=", 5) == 0 && t[i].s[5] != '\0')
			peer.name = ar_strdup(p->ar, t[i].s + 5);
		else if (strcmp(t[i].s, "no-query") == 0)
			peer.no_query = 1;
		else if (strcmp(t[i].s, "proxy-only") == 0)
			peer.proxy_only = 1;
		else if (strcmp(t[i].s, "htcp") == 0 ||
			 strncmp(t[i].s, "htcp=", 5) == 0)
			bad |= peer_htcp(p, &t[i], &peer);
		else
			cfg_warn(p, &t[i], "cache_peer: option '%s' is not "
				 "supported by tproxyd; ignored", t[i].s);
	}
	if (bad)
		return;
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

static void
set_cache_peer_access(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg_peer *peer;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	peer = peer_find(p->c, t[1].s);
	if (peer == NULL) {
		cfg_err(p, &t[1], "cache_peer_access: unknown cache_peer '%s'",
			t[1].s);
		return;
	}
	cfg_access_line(p, t, n, 2, t[0].s, &peer->access);
}

static void
set_never_direct(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->never_direct);
}

static void
set_always_direct(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_access_line(p, t, n, 1, t[0].s, &p->c->always_direct);
}

/* spoof_client_ip, never_direct, always_direct have no defaults here:
 * they stay empty, and their users pass the default decision (allow,
 * deny, deny) to acl_check(). */
static const struct cfg_dir dirs[] = {
	{ "spoof_client_ip",		set_spoof_client_ip },
	{ "spoof_client_port",		set_spoof_client_port },
	{ "host_verify_strict",		set_host_verify_strict },
	{ "tcp_outgoing_address",	set_tcp_outgoing_address },
	{ "cache_peer",			set_cache_peer },
	{ "cache_peer_access",		set_cache_peer_access },
	{ "never_direct",		set_never_direct },
	{ "always_direct",		set_always_direct },
};

const struct cfg_dirtab cfg_dirs_route = {
	.module		= "route",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
};
