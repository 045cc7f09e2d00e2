/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_qos.c - marking the packets of server and client connections, so
 * that a router (TOS/DSCP) or the proxy box's own netfilter and policy
 * routing (the netfilter mark) can tell the proxy's traffic from the
 * clients'. Squid's TPROXY v4 guide ("Timeouts with Squid not running in
 * the router directly"): when the proxy sits behind the router, its
 * spoofed connections carry the clients' addresses, so the router needs
 * something else, e.g. the TOS set by tcp_outgoing_tos, to leave them out
 * of the interception. Applied by src/proxy/phase.c.
 *
 * Squid's names and value forms: tcp_outgoing_tos (aliases
 * tcp_outgoing_ds, tcp_outgoing_dscp; the value is the whole TOS byte in
 * all three), clientside_tos, tcp_outgoing_mark, clientside_mark (alias
 * mark_client_packet). Values are decimal, 0x hex or 0 octal, as Squid's
 * strtoul(..., 0) reads them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

/* An unsigned number in C's notation (decimal, 0x hex, 0 octal), all of s,
 * at most max. 0 or -1. */
static int
qos_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;	/* no sign, no blanks */
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* VALUE [!]acl... into list; value already checked. */
static void
qos_push(struct cfg_parse *p, const struct tok *t, size_t n,
	 struct cfg_qos_list *list, uint32_t value)
{
	struct cfg_qos_rule *r;
	struct acl_ref ref;
	size_t i;

	r = AR_PUSH(p->ar, list->rule, list->n);
	r->value = value;
	for (i = 2; i < n; i++)
		if (cfg_acl_ref(p, t[0].s, &t[i], &ref) == 0)
			*AR_PUSH(p->ar, r->ref, r->nref) = ref;
}

/*
 * tcp_outgoing_tos / clientside_tos TOS [!]acl...: an octet; Squid masks
 * the two ECN bits away (RFC 3168) with a warning, and so do we. "default"
 * (in Squid's documentation) is 0: the system's default.
 */
static void
set_tos(struct cfg_parse *p, const struct tok *t, size_t n,
	struct cfg_qos_list *list)
{
	unsigned long v;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (strcmp(t[1].s, "default") == 0)
		v = 0;
	else if (qos_number(t[1].s, 255, &v) < 0) {
		cfg_err(p, &t[1], "%s: invalid TOS value '%s' (a number "
			"0-255, e.g. 0x20)", t[0].s, t[1].s);
		return;
	}
	if ((v & 0xfc) != v) {
		cfg_warn(p, &t[1], "%s: TOS value '%s' adjusted to 0x%02lx "
			 "(the two lowest bits belong to ECN)", t[0].s,
			 t[1].s, v & 0xfc);
		v &= 0xfc;
	}
	qos_push(p, t, n, list, (uint32_t)v);
}

/* tcp_outgoing_mark / clientside_mark MARK [!]acl...: a 32-bit netfilter
 * mark; no /mask (Squid refuses it for packet marks too). */
static void
set_mark(struct cfg_parse *p, const struct tok *t, size_t n,
	 struct cfg_qos_list *list)
{
	unsigned long v;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (strchr(t[1].s, '/') != NULL) {
		cfg_err(p, &t[1], "%s: '%s': a packet mark takes no /mask",
			t[0].s, t[1].s);
		return;
	}
	if (qos_number(t[1].s, 0xffffffffUL, &v) < 0) {
		cfg_err(p, &t[1], "%s: invalid mark '%s' (a number "
			"0-0xffffffff)", t[0].s, t[1].s);
		return;
	}
	if (v != 0)
		p->c->qos.need_mark = 1;
	qos_push(p, t, n, list, (uint32_t)v);
}

static void
set_tcp_outgoing_tos(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_tos(p, t, n, &p->c->qos.tos_server);
}

static void
set_clientside_tos(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_tos(p, t, n, &p->c->qos.tos_client);
}

static void
set_tcp_outgoing_mark(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_mark(p, t, n, &p->c->qos.mark_server);
}

static void
set_clientside_mark(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_mark(p, t, n, &p->c->qos.mark_client);
}

static const struct cfg_dir dirs[] = {
	{ "tcp_outgoing_tos",		set_tcp_outgoing_tos },
	{ "tcp_outgoing_ds",		set_tcp_outgoing_tos },
	{ "tcp_outgoing_dscp",		set_tcp_outgoing_tos },
	{ "clientside_tos",		set_clientside_tos },
	{ "tcp_outgoing_mark",		set_tcp_outgoing_mark },
	{ "clientside_mark",		set_clientside_mark },
	{ "mark_client_packet",		set_clientside_mark },
};

const struct cfg_dirtab cfg_dirs_qos = {
	.module		= "qos",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
};
