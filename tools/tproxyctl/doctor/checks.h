/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * checks.h - private to tools/tproxyctl/doctor/: the result list every
 * group of checks adds to, the helpers several groups share, and one entry
 * point per group. doctor.c (the runner) calls the groups in a fixed order
 * and prints the list; each other file here is one group. The dr_ prefix
 * marks what is shared inside doctor/ only (../doctor.h and ../apply.h
 * declare what the rest of tproxyctl calls).
 */
#ifndef TPROXYCTL_DOCTOR_CHECKS_H
#define TPROXYCTL_DOCTOR_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "../plan.h"

struct cfg;

/* A check's outcome; also the index into the runner's counters. */
enum { ST_PASS, ST_WARN, ST_FAIL };

/*
 * Record one check: status, a stable id ("rules.order.ipv4"), the command
 * that fixes it (NULL when there is none; printed only when not PASS) and
 * the message. The runner owns the list; output is in the order of adding.
 */
void dr_add(int status, const char *id, const char *fix,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "ipv4" or "ipv6" for PLAN_V4 / PLAN_V6, as used in ids and messages. */
const char *dr_fam_name(int f);

/* The `tproxyctl setup ...` command (with -f and --backend as given) that
 * puts rules and bridge back; into fix (n bytes). */
void dr_fix_setup(char *fix, size_t n, const char *conf_path,
		  const struct plan_opts *o);

/* Tproxy ports wanted for family f: the configuration's (c, may be NULL)
 * and the targets of o's mappings, without repeats. Up to max into out;
 * returns how many (config.c). */
size_t dr_tproxy_ports(const struct plan_opts *o, const struct cfg *c,
		       int f, unsigned *out, size_t max);
/* Whether tproxy port takes TLS: 1 an https_port (the configuration's, or
 * o's HTTPS target), 0 an http_port, -1 neither knows it (config.c). */
int dr_port_is_https(const struct plan_opts *o, const struct cfg *c,
		     unsigned port);

/* The groups, in the order doctor_run() calls them; each in the file of
 * its name (dr_check_kernel in kernel.c, ...). conf_path may be NULL (no
 * -f), c NULL (none given, or it did not load: cfg_error says why). */
void dr_check_kernel(const struct plan_opts *o);
void dr_check_config(const struct cfg *c, const char *conf_path,
		     const char *cfg_error);
void dr_check_rules(const struct plan_opts *o, const struct cfg *c,
		    const char *conf_path);
void dr_check_https(const struct plan_opts *o, const struct cfg *c,
		    const char *conf_path);
void dr_check_drift(const struct plan_opts *o, const struct cfg *c,
		    const char *conf_path);
void dr_check_routing(const struct plan_opts *o);
void dr_check_path(const struct plan_opts *o, const struct cfg *c,
		   const char *conf_path);
/* The last part of dr_check_path() (path_marks.c): other writers of the
 * mark (nft, iptables, sockets, tproxyd's own marks) whose bits overlap
 * o's, as the check path.marks. rule_bits: the mark bits other ip rules
 * use; protected: setup's iif lo rule comes before its fwmark rule. */
void dr_path_marks(const struct plan_opts *o, const struct cfg *c,
		   const char *conf_path, uint32_t rule_bits, int protected);
/* The fix that moves setup to mark m (value and mask m): teardown, then
 * setup again with --mark (path_marks.c); into fix (n bytes). */
void dr_mark_fix(const struct plan_opts *o, const char *conf_path,
		 uint32_t m, char *fix, size_t n);
/* Whether IPv6 cannot carry interception: 0 it can, 1 booted with
 * ipv6.disable=1, 2 all.disable_ipv6, 3 lo without IPv6; why says which
 * (path.c). */
int dr_ipv6_off(char *why, size_t n);
void dr_check_sysctls(const struct plan_opts *o);
void dr_check_bridge(const struct plan_opts *o, const char *conf_path);
void dr_check_tproxyd(const struct plan_opts *o, const struct cfg *c,
		      const char *conf_path);
void dr_check_selinux(void);
/* A cache behind a WCCPv2 router (wccp2_router lines in c; nothing
 * otherwise): GRE device, MTU, the routers (wccp.c). */
void dr_check_wccp(const struct plan_opts *o, const struct cfg *c,
		   const char *conf_path);
/* firewall.c: other chains that rewrite the mark, redirect the ports or
 * drop on input; iptables-legacy beside nft. */
void dr_check_firewall(const struct plan_opts *o);
/* failure.c: what clients see when tproxyd fails (--on-failure). */
void dr_check_failure(const struct plan_opts *o, const struct cfg *c,
		      const char *conf_path);

#endif
