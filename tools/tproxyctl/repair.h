/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repair.h - what lets setup be run again (repairing what tproxyctl owns)
 * and fail without leaving anything behind:
 *
 *   - a journal of what one setup run changed, each entry with the
 *     commands that put back what was there before; when a step fails,
 *     journal_rollback() runs them newest first;
 *   - the repairing versions of the `ip rule`, `ip route` and iptables
 *     jump steps (the rule at its preference, once; the jump first in its
 *     chain, once), which note each repair for the closing report;
 *   - the checks setup makes before changing anything that are not
 *     doctor's: loopback up, IPv6 usable, nobody else's rule on table T.
 */
#ifndef TPROXYCTL_REPAIR_H
#define TPROXYCTL_REPAIR_H

#include "plan.h"
#include "state.h"
#include "util.h"

/* One way back: the commands of an entry run in order, entries newest
 * first. A command is an argv (with optional stdin), a sysctl to write
 * back, or iptables-nft's empty table to drop. */
enum jop { JOP_CMD, JOP_SYSCTL, JOP_DROP_TABLE };

struct jcmd {
	enum jop op;
	char   **argv;	/* JOP_CMD */
	char    *input;	/* JOP_CMD: fed on stdin (nft -f -), or NULL */
	char    *key;	/* JOP_SYSCTL: key; JOP_DROP_TABLE: "ip"/"ip6" */
	char    *value;	/* JOP_SYSCTL: value; JOP_DROP_TABLE: table */
};

struct jentry {
	char        *what;	/* for the failure report */
	struct jcmd *cmd;
	size_t       n;
};

/* A chain or table as it was before this run (for repair_report()). */
struct jsaved {
	char  *label;	/* "iptables chain TPROXYD_QUIC (filter)" */
	char **list;	/* the command listing it */
	char  *before;	/* its listing before this run (NULL: none) */
};

struct journal {
	struct jentry *e;
	size_t         n;
	struct jsaved *saved;
	size_t         nsaved;
	struct sbuf    repaired;	/* "  - ...\n" lines: the repairs */
};

/* A new entry (what is copied); commands are added to the newest one. */
void journal_begin(struct journal *j, const char *what);
void journal_cmd(struct journal *j, char **argv, const char *input);
void journal_sysctl(struct journal *j, const char *key, const char *value);
void journal_drop_table(struct journal *j, const char *fam,
			const char *table);
/* Note a repair (printed after a successful run). */
void journal_repaired(struct journal *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Run every entry's commands, newest entry first. Returns 0, or -1 with
 * what could not be undone in err. */
int journal_rollback(struct journal *j, struct sbuf *err);
void journal_free(struct journal *j);

/*
 * The repairing steps. Each returns 0 when it changed something (its
 * undo is then recorded unless it was there before tproxyctl: st's `had`
 * records), 1 when everything was already as wanted, -1 with a message
 * in err. first: no earlier setup (no state file).
 */
int repair_ip_rule(const struct step *s, struct state *st, int first,
		   struct journal *j, struct sbuf *err);
int repair_ip_route(const struct step *s, struct state *st, int first,
		    struct journal *j, struct sbuf *err);
int repair_ipt_jump(const struct step *s, int first, struct journal *j,
		    struct sbuf *err);
/* Before STEP_IPT_CHAIN: journal how to put the chain back as it is now
 * (delete it if it does not exist; else its current rules), and remember
 * its rules for repair_report_chains(). */
void repair_ipt_chain_save(const struct step *s, struct journal *j);
/* Before STEP_NFT: journal how to put tproxyctl's nft tables back. */
void repair_nft_save(const struct plan_opts *o, struct journal *j);
/* After every step of a second setup: note the chains and tables whose
 * rules were not what setup wants (they were rewritten). */
void repair_report(const struct plan_opts *o, struct journal *j);

/*
 * A rule's selector and action as one comparable string, from the words
 * after "PREF:" of `ip rule show` or after "add" of `ip rule add`: "key
 * value" pairs sorted, without the preference (into *pref, 0 if none) and
 * without "from all", "table" said as "lookup".
 */
void repair_rule_key(char *const *words, char *out, size_t n,
		     unsigned *pref);

/*
 * Preflight checks (nothing changed yet); each returns 0, or -1 with the
 * problem and its fix in err.
 *   loopback up (the `local default dev lo` route needs it for IPv6, and
 *   the box's own 127.0.0.1 too);
 *   IPv6 usable when o asks for it;
 *   no rule of someone else's looks up table T (it would send its
 *   traffic to local delivery).
 */
int repair_check_lo(struct sbuf *err);
int repair_check_ipv6(const struct plan_opts *o, struct sbuf *err);
int repair_check_table_rules(const struct plan_opts *o, struct sbuf *err);
/* Why IPv6 cannot be used on this box ("" when it can), into why. */
int ipv6_unusable(char *why, size_t n);

#endif
