/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * backend.h - executing plan steps: one function per backend (ipt.c,
 * route.c, sysctl.c; nft.c has nft.h). Each returns 0 when it changed
 * the system, 1 when what the step wants was already there (setup is
 * idempotent), or -1 with a message in err.
 */
#ifndef TPROXYCTL_BACKEND_H
#define TPROXYCTL_BACKEND_H

#include "plan.h"
#include "util.h"

int ipt_apply(const struct step *s, struct sbuf *err);
/* 1 if iptables is the nf_tables variant (its tables appear in nft). */
int ipt_is_nft(void);
/* Delete iptables-nft's `table ip|ip6 TABLE` (mangle or filter) if it
 * holds no rule, no user chain and no built-in chain with a policy other
 * than ACCEPT (used when setup created it). */
void ipt_drop_empty_table(int family, const char *table);
/* iptables-save -t TABLE (or ip6tables-save) into out; 0 or -1. */
int ipt_save(int family, const char *table, struct sbuf *out);

/* Before changing anything: is the fwmark rule or the routing table
 * already used differently? 0, or -1 with the conflict in err. */
int route_conflicts(const struct plan_opts *o, struct sbuf *err);

/* /proc/sys access; keys in dotted form ("net.ipv4.ip_forward"), an
 * interface's dots written as '/' (sysctl_if_key()). */
void sysctl_if_key(const char *prefix, const char *ifname, const char *leaf,
		   char *key, size_t n);
int sysctl_read(const char *key, char *val, size_t n);
int sysctl_write(const char *key, const char *val);

#endif
