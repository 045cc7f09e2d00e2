/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_http.c - how requests are relayed: the headers tproxyd adds
 * (forwarded_for, via, visible_hostname), header size limits, timeouts,
 * and the DNS servers destinations are resolved with. Read by
 * src/proxy/ and src/core/.
 */
#include <stdio.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

/* dns_nameservers IP...: kept as "a,b,c", the form c-ares takes. */
static void
set_dns_nameservers(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i, len = 0, off = 0, l;
	char *s;
	int bad = 0;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	for (i = 1; i < n; i++) {
		l = strlen(t[i].s);
		if (t[i].s[0] == '[' ||
		    cfg_sockaddr(t[i].s, l, 0, &ss, &sl) < 0) {
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
	cfg_set_string(p, t, n, &p->c->visible_hostname, 0);
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

	if (cfg_nargs(p, t, n, 1, 1) < 0)
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

/* half_closed_clients on|off: whether a client that stops sending (EOF)
 * while its request is being answered still gets the answer (on), or the
 * transaction is given up at once (off, Squid's default: a client that
 * went away does not keep a server connection busy until read_timeout). */
static void
set_half_closed_clients(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->half_closed_clients);
}

static void
set_via(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->via);
}

/* retry_on_error on|off (Squid's default off): srv_h1.c. */
static void
set_retry_on_error(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_bool(p, t, n, &p->c->retry_on_error);
}

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

	if (cfg_nargs(p, t, n, 1, 2) < 0)
		return;
	if (cfg_decimal(t[1].s, &v) < 0) {
		cfg_err(p, &t[1], "%s: invalid size '%s'", t[0].s, t[1].s);
		return;
	}
	if (n == 2) {
		cfg_warn(p, &t[1], "%s: no units on '%s', assuming bytes",
			 t[0].s, t[1].s);
	} else if (cfg_size_unit(t[2].s, &mul) < 0) {
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

#define TIME_SETTER(field)						\
static void								\
set_##field(struct cfg_parse *p, const struct tok *t, size_t n)		\
{									\
	cfg_set_time(p, t, n, &p->c->field);				\
}
TIME_SETTER(connect_timeout)
TIME_SETTER(read_timeout)
TIME_SETTER(request_timeout)
TIME_SETTER(client_idle_pconn_timeout)
TIME_SETTER(server_idle_pconn_timeout)

/* Squid's defaults. */
static void
http_defaults(struct cfg_parse *p)
{
	struct cfg *c = p->c;

	c->forwarded_for = FWD_FOR_ON;
	c->via = 1;
	c->connect_timeout = 60;
	c->read_timeout = 900;
	c->request_timeout = 300;
	c->client_idle_pconn_timeout = 120;
	c->server_idle_pconn_timeout = 60;
	c->request_header_max_size = 64 * 1024;
	c->reply_header_max_size = 64 * 1024;
}

static const struct cfg_dir dirs[] = {
	{ "dns_nameservers",		set_dns_nameservers },
	{ "visible_hostname",		set_visible_hostname },
	{ "forwarded_for",		set_forwarded_for },
	{ "via",			set_via },
	{ "retry_on_error",		set_retry_on_error },
	{ "half_closed_clients",	set_half_closed_clients },
	{ "request_header_max_size",	set_request_header_max_size },
	{ "reply_header_max_size",	set_reply_header_max_size },
	{ "connect_timeout",		set_connect_timeout },
	{ "read_timeout",		set_read_timeout },
	{ "request_timeout",		set_request_timeout },
	{ "client_idle_pconn_timeout",	set_client_idle_pconn_timeout },
	{ "persistent_request_timeout", set_client_idle_pconn_timeout },
	{ "server_idle_pconn_timeout",	set_server_idle_pconn_timeout },
	{ "pconn_timeout",		set_server_idle_pconn_timeout },
};

const struct cfg_dirtab cfg_dirs_http = {
	.module		= "http",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= http_defaults,
};
