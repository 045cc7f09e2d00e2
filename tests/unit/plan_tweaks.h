/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan_tweaks.h - what the test_tproxyctl_plan_*.c files share: the
 * tweaks of tproxyctl's plan options, from the defaults to the
 * configuration a case or a summary is about.
 */
#ifndef TPROXYD_TESTS_PLAN_TWEAKS_H
#define TPROXYD_TESTS_PLAN_TWEAKS_H

#include <stdio.h>

#include "../../tools/tproxyctl/plan.h"

static inline void t_default(struct plan_opts *o) { (void)o; }
static inline void t_pref(struct plan_opts *o) { o->rule_pref = 5000; }

static inline void
t_v4_ipt(struct plan_opts *o)
{
	o->backend = PLAN_IPT;
	o->families = PLAN_V4;
	o->map[PLAN_HTTP].dport[1] = 8080;
	o->map[PLAN_HTTP].ndport = 2;
	snprintf(o->bypass[0], 64, "198.18.9.0/24");
	o->nbypass = 1;
}

static inline void
t_v6_nft_addr(struct plan_opts *o)
{
	o->families = PLAN_V6;
	o->map[PLAN_HTTP].to[1].port = 3130;
	snprintf(o->map[PLAN_HTTP].to[1].addr,
		 sizeof(o->map[PLAN_HTTP].to[1].addr), "2001:db8:1::1");
	o->mark = 0x10;
	o->mask = 0xff;
	o->table = 42;
}

static inline void
t_iface_bypass(struct plan_opts *o)
{
	snprintf(o->iface[0], IFNAMSIZ, "r0");
	snprintf(o->iface[1], IFNAMSIZ, "eth0.100");
	o->niface = 2;
	snprintf(o->bypass[0], 64, "2001:db8:9::/48");
	o->nbypass = 1;
}

static inline void
t_bridge(struct plan_opts *o)
{
	o->bridge = 1;
	snprintf(o->br_client, IFNAMSIZ, "b0");
	snprintf(o->br_inet, IFNAMSIZ, "b1");
	snprintf(o->br_dev, IFNAMSIZ, "br0");
	snprintf(o->br_mac, sizeof(o->br_mac), "02:00:00:00:00:01");
}

static inline void
t_full_mask(struct plan_opts *o)
{
	o->mark = 0x1;
	o->mask = 0xffffffff;
}

/* --https-port 3130 (both families): HTTPS mapped, QUIC refused (auto). */
static inline void
t_https(struct plan_opts *o)
{
	o->map[PLAN_HTTPS].to[0].port = o->map[PLAN_HTTPS].to[1].port = 3130;
}

static inline void
t_https_ipt(struct plan_opts *o)
{
	t_https(o);
	t_v4_ipt(o);
	o->map[PLAN_HTTPS].dport[1] = 8443;
	o->map[PLAN_HTTPS].ndport = 2;
}

static inline void
t_https_ipt6_iface(struct plan_opts *o)
{
	t_https(o);
	o->backend = PLAN_IPT;
	o->families = PLAN_V6;
	snprintf(o->iface[0], IFNAMSIZ, "r0");
	o->niface = 1;
}

static inline void
t_https_quic_pass(struct plan_opts *o)
{
	t_https(o);
	o->quic = PLAN_QUIC_PASS;
}

/* --quic block without HTTPS interception: refused all the same. */
static inline void
t_quic_block_only(struct plan_opts *o)
{
	o->quic = PLAN_QUIC_BLOCK;
}

/* HTTPS for IPv4 only (an https_port with an IPv4 address): QUIC auto
 * refused for IPv4 only. */
static inline void
t_https_v4_only(struct plan_opts *o)
{
	o->map[PLAN_HTTPS].to[0].port = 3130;
	snprintf(o->map[PLAN_HTTPS].to[0].addr,
		 sizeof(o->map[PLAN_HTTPS].to[0].addr), "198.18.1.1");
	snprintf(o->bypass[0], 64, "198.18.9.0/24");
	o->nbypass = 1;
}

/* Only HTTPS: the HTTP mapping off (no http_port tproxy). */
static inline void
t_https_only(struct plan_opts *o)
{
	t_https(o);
	o->map[PLAN_HTTP].to[0].port = o->map[PLAN_HTTP].to[1].port = 0;
}

static inline void
t_https_bridge(struct plan_opts *o)
{
	t_https(o);
	t_bridge(o);
}

static inline void
t_https_bridge_ipt(struct plan_opts *o)
{
	t_https_bridge(o);
	o->backend = PLAN_IPT;
	o->families = PLAN_V4;
}

/* --on-failure closed, with and without more options. */
static inline void
t_closed(struct plan_opts *o)
{
	o->on_failure = PLAN_FAIL_CLOSED;
}

static inline void
t_closed_https_iface(struct plan_opts *o)
{
	t_closed(o);
	t_https(o);
	t_iface_bypass(o);
}

static inline void
t_closed_ipt(struct plan_opts *o)
{
	t_closed(o);
	t_v4_ipt(o);
}

static inline void
t_closed_ipt6_iface(struct plan_opts *o)
{
	t_closed(o);
	t_https_ipt6_iface(o);
}

static inline void
t_closed_v6(struct plan_opts *o)
{
	t_closed(o);
	o->families = PLAN_V6;
}

/* UDP: --udp-ports 53,443 --udp-port 3131 (HTTPS intercepted too). */
static inline void
t_udp(struct plan_opts *o)
{
	o->udp.dport[0] = 53;
	o->udp.dport[1] = 443;
	o->udp.ndport = 2;
	o->udp.to[0].port = o->udp.to[1].port = 3131;
	o->map[PLAN_HTTPS].to[0].port = o->map[PLAN_HTTPS].to[1].port = 3130;
}

static inline void
t_udp_ipt4(struct plan_opts *o)
{
	t_udp(o);
	o->backend = PLAN_IPT;
	o->families = PLAN_V4;
}

/* UDP 53 only: QUIC to 443 still refused (HTTPS intercepted). */
static inline void
t_udp_dns(struct plan_opts *o)
{
	t_udp(o);
	o->udp.ndport = 1;
}
#endif
