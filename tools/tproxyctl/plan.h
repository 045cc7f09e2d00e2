/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.h - what `tproxyctl setup` does, as data.
 *
 * plan_build() is a pure function: options in, an ordered list of steps
 * out. It reads no file, runs no command and looks at no kernel state, so
 * that `--dry-run`, the unit tests and the real setup all see the same
 * plan. Each step knows how to print itself (the exact command an
 * administrator would type) and how to undo itself (the command that
 * removes exactly what it added). Executing a step is the job of the
 * backend that owns its kind (nft.c, ipt.c, route.c, sysctl.c), driven by
 * apply.c.
 */
#ifndef TPROXYCTL_PLAN_H
#define TPROXYCTL_PLAN_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>

#include "util.h"

#define PLAN_MAX_PORTS  32
#define PLAN_MAX_IFACES 16
#define PLAN_MAX_BYPASS 32

/* Names of everything tproxyctl owns in the kernel. */
#define PLAN_NFT_TABLE    "tproxyd"
#define PLAN_IPT_DIVERT   "TPROXYD_DIVERT"
#define PLAN_IPT_CHAIN    "TPROXYD_PREROUTING"
#define PLAN_IPT_QUIC     "TPROXYD_QUIC"	/* filter table, FORWARD */
/* --on-failure (watch.c): the tproxy ports tproxyd does not take. nft:
 * sets of intercepted ports in table inet tproxyd; iptables: a mangle
 * chain (empty while healthy) and, for closed, a filter FORWARD chain. */
#define PLAN_NFT_FAILED4  "failed4"
#define PLAN_NFT_FAILED6  "failed6"
#define PLAN_IPT_FAILED   "TPROXYD_FAILED"	/* mangle */
#define PLAN_IPT_CLOSED   "TPROXYD_CLOSED"	/* filter table, FORWARD */

enum plan_backend { PLAN_NFT, PLAN_IPT };

/* Address families, as a bit set. */
enum { PLAN_V4 = 1, PLAN_V6 = 2, PLAN_BOTH = 3 };

/* Where TPROXY hands connections: tproxyd's listening port, and its
 * address when the tproxy port line names one ("" = any: the kernel then
 * uses the primary address of the incoming interface). Port 0: none. */
struct plan_target {
	unsigned port;
	char     addr[INET6_ADDRSTRLEN];
};

/*
 * What is diverted where, as Squid splits it: plain HTTP to the
 * `http_port ... tproxy` port, TLS to the `https_port ... tproxy ssl-bump`
 * port (a tproxy port receives one kind of traffic: tproxyd cannot tell a
 * ClientHello from a request line before reading it, and does not try).
 */
enum plan_kind {
	PLAN_HTTP,	/* --ports (default 80) -> --port / http_port */
	PLAN_HTTPS,	/* --https-ports (default 443) -> --https-port /
			   https_port; off unless one of them names a port */
	PLAN_NKIND
};

/* One mapping: new TCP connections to dport[] go to to[] (per family). A
 * mapping applies to a family when it has ports and a target there. */
struct plan_map {
	unsigned           dport[PLAN_MAX_PORTS];	/* intercepted */
	size_t             ndport;
	struct plan_target to[2];	/* [0] IPv4, [1] IPv6 */
};

/* --quic: what happens to UDP to the HTTPS ports (HTTP/3). AUTO is block
 * when HTTPS is intercepted, else pass (plan_quic_families()). */
enum plan_quic { PLAN_QUIC_AUTO, PLAN_QUIC_BLOCK, PLAN_QUIC_PASS };

/* --on-failure: what clients get when tproxyd does not take their
 * connection. OPEN: they go direct (routed on); CLOSED: a TCP reset from
 * a forward-path rule. OPEN is 0 (the default, and what a state file
 * without the option means). */
enum plan_on_failure { PLAN_FAIL_OPEN, PLAN_FAIL_CLOSED };

struct plan_opts {
	enum plan_backend backend;
	int               families;	/* PLAN_V4 | PLAN_V6 */
	int               family_given;	/* --family: the operator's choice */
	struct plan_map   map[PLAN_NKIND];	/* [PLAN_HTTP], [PLAN_HTTPS] */
	/* --udp-ports: UDP to these ports goes to tproxyd's udp_port
	 * (--udp-port, or a `udp_port ... tproxy` line); no ports: no UDP
	 * rule at all. Not one of the kinds above: their watchdog and
	 * doctor checks are about TCP listeners. */
	struct plan_map   udp;
	enum plan_quic    quic;
	enum plan_on_failure on_failure;
	uint32_t          mark, mask;	/* fwmark value/mask */
	unsigned          table;	/* policy routing table */
	unsigned          rule_pref;	/* preference of the fwmark rule */
	char              iface[PLAN_MAX_IFACES][IFNAMSIZ];
	size_t            niface;	/* 0: capture on every interface */
	char              bypass[PLAN_MAX_BYPASS][64];	/* CIDRs */
	size_t            nbypass;
	int               bridge;	/* --bridge given */
	char              br_client[IFNAMSIZ];	/* bridge port facing clients */
	char              br_inet[IFNAMSIZ];	/* bridge port facing servers */
	char              br_dev[IFNAMSIZ];	/* the bridge (their master) */
	char              br_mac[18];	/* the bridge's MAC address */
};

enum step_kind {
	STEP_NFT,	/* nft -f - with script; undo deletes our tables */
	STEP_IPT_CHAIN,	/* iptables -N CHAIN (flushed when it exists) */
	STEP_IPT_RULE,	/* iptables -A in one of our chains */
	STEP_IPT_JUMP,	/* iptables -I PREROUTING 1 -j TPROXYD_PREROUTING,
			   iptables -t filter -I FORWARD 1 -j TPROXYD_QUIC */
	STEP_IP_RULE,	/* ip rule add fwmark ... lookup TABLE */
	STEP_IP_ROUTE,	/* ip route add local default dev lo table TABLE */
	STEP_SYSCTL,	/* sysctl -w key=value (undo: the previous value) */
};

struct step {
	enum step_kind kind;
	int            family;	/* PLAN_V4, PLAN_V6, or 0 for both/none */
	char          *what;	/* one line saying why (printed as comment) */
	char         **argv;	/* the command, as an administrator runs it */
	char          *input;	/* STEP_NFT: the ruleset fed to nft -f - */
	char         **undo;	/* the command removing it (NULL: sysctl) */
	char          *key;	/* STEP_SYSCTL: e.g. net.ipv4.ip_forward */
	char          *value;	/* STEP_SYSCTL: the value setup wants */
};

struct plan {
	struct step *step;
	size_t       n;
};

/* The fwmark rule's default preference: before the rules VPN clients,
 * multi-WAN and policy-routing packages add (1000 and up, 5210.. for
 * Tailscale, 32764/32765 for wg-quick), after `lookup local` (0). */
#define PLAN_RULE_PREF 100

/* Defaults: nft, both families, HTTP dport 80 -> port 3129, HTTPS dport
 * 443 with no port (off), QUIC auto, mark 0x1/0x1, table 100, rule
 * preference PLAN_RULE_PREF. */
void plan_opts_default(struct plan_opts *o);

/* The target of mapping kind for family f (PLAN_V4 or PLAN_V6), or NULL
 * when that mapping does not apply to f (no port there, no dport, or f
 * not selected). */
const struct plan_target *plan_map_to(const struct plan_opts *o, int kind,
				      int f);
/* The families (bit set) where mapping kind applies. */
int plan_map_families(const struct plan_opts *o, int kind);
/* The UDP target of family f (PLAN_V4/PLAN_V6), or NULL when UDP is not
 * intercepted there (no --udp-ports, no udp_port target, family off);
 * and the families where it is. */
const struct plan_target *plan_udp_to(const struct plan_opts *o, int f);
int plan_udp_families(const struct plan_opts *o);

/* The families where UDP to the HTTPS ports is refused: with --quic
 * block every selected family, with pass none, with auto those where
 * HTTPS is intercepted. */
int plan_quic_families(const struct plan_opts *o);
/* Every intercepted TCP port of family f (f = PLAN_BOTH: of either), in
 * mapping order, without repeats, up to max into out; returns how many. */
size_t plan_all_dports(const struct plan_opts *o, int f, unsigned *out,
		       size_t max);
/* "80,8080" into out (n bytes), with sep between ports. */
void plan_format_ports(const unsigned *port, size_t nport, const char *sep,
		       char *out, size_t n);
/* One line for people: "80 -> 3129, 443 -> 3130; QUIC blocked". */
void plan_summary(const struct plan_opts *o, struct sbuf *out);

/*
 * Build the plan for o into p (zeroed by the caller). Pure. Returns 0, or
 * -1 with a message in err for options that cannot make a plan (no port,
 * a mark value outside its mask, a bypass CIDR that is not one, ...).
 * The caller frees p with plan_free() either way.
 */
int plan_build(const struct plan_opts *o, struct plan *p, char *err,
	       size_t errlen);
void plan_free(struct plan *p);

/* Print one step as shell text (comment line, then the command). */
void plan_render_step(const struct step *s, struct sbuf *out);
/* The whole plan as a shell script an administrator can run as is. */
void plan_render(const struct plan *p, struct sbuf *out);
/* The command undoing s, as shell text (sysctls: with value prev). */
void plan_render_undo(const struct step *s, const char *prev,
		      struct sbuf *out);

/* Option parsing shared by setup and doctor; each returns 0 or -1. */
int plan_parse_mark(const char *s, uint32_t *mark, uint32_t *mask);
int plan_parse_ports(const char *s, unsigned *port, size_t max, size_t *n);
int plan_parse_cidr(const char *s, int *family);
void plan_format_mark(uint32_t mark, uint32_t mask, char *out, size_t n);
const char *plan_family_name(int families);

/* Builders, one per backend, used by plan_build (also pure). */
void nft_ruleset(const struct plan_opts *o, struct sbuf *out);
/* The one nft command deleting the tables nft_ruleset() makes:
 * "delete table inet tproxyd; delete table bridge tproxyd; ..." */
void nft_undo(const struct plan_opts *o, struct sbuf *out);
void ipt_plan(const struct plan_opts *o, struct plan *p);
void route_plan(const struct plan_opts *o, struct plan *p);
void sysctl_plan(const struct plan_opts *o, struct plan *p);

/* Append a step to p (used by the builders); takes ownership of the
 * argv/undo vectors and copies the strings. */
struct step *plan_add(struct plan *p, enum step_kind kind, int family,
		      const char *what, char **argv, char **undo);

#endif
