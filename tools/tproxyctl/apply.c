/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apply.c - setup and teardown.
 *
 * Setup checks first (privileges, interfaces, lo up, IPv6 usable, kernel
 * support, conflicts) and changes nothing when a check fails. It then runs
 * the plan's steps in order, repairing what it owns (repair.c), journals
 * how to put back each change, and records in the state file after every
 * step what it changed. When a step fails, the journal is run backwards
 * and the state file put back: the box is as before this run.
 * Teardown runs the recorded undo commands in reverse order, then puts
 * back the sysctls it changed, and removes the state file.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "backend.h"
#include "nft.h"
#include "repair.h"
#include "state.h"
#include "watch.h"

int
have_net_admin(void)
{
	struct sbuf st = { 0 };
	const char *p;
	unsigned long long eff = 0;

	if (read_file("/proc/self/status", &st) == 0 &&
	    (p = strstr(sbuf_str(&st), "CapEff:")) != NULL)
		eff = strtoull(p + 7, NULL, 16);
	sbuf_free(&st);
	return (eff >> 12) & 1;	/* CAP_NET_ADMIN */
}

static int
check_ifaces(const struct plan_opts *o, struct sbuf *err)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < o->niface; i++)
		if (if_nametoindex(o->iface[i]) == 0) {
			sbuf_printf(err, "tproxyctl: interface '%s' does not "
				    "exist (see `ip link`)\n", o->iface[i]);
			bad = 1;
		}
	return bad ? -1 : 0;
}

/*
 * A sysctl setup manages: the value before the first setup is recorded
 * the first time setup sees the key, also when it is already right (so
 * that teardown after a later repair puts back that value, not the one
 * the repair found).
 */
static int
do_sysctl(struct state *st, const struct step *s, int first,
	  struct journal *j, struct sbuf *err)
{
	struct state_sysctl *rec = state_find_sysctl(st, s->key);
	char cur[64];
	int rc;

	rc = sysctl_read(s->key, cur, sizeof(cur));
	if (rc < 0) {
		sbuf_printf(err, "tproxyctl: cannot read sysctl %s: %s%s\n",
			    s->key, strerror(-rc), strncmp(s->key,
			    "net.bridge.", 11) == 0 ? " (the kernel lacks "
			    "CONFIG_BRIDGE_NETFILTER)" : "");
		return -1;
	}
	if (rec == NULL)
		rec = (state_add_sysctl(st, s->key, cur, s->value),
		       state_find_sysctl(st, s->key));
	free(rec->value);
	rec->value = xstrdup(s->value);
	if (strcmp(cur, s->value) == 0)
		return 1;
	rc = sysctl_write(s->key, s->value);
	if (rc < 0) {
		sbuf_printf(err, "tproxyctl: cannot set %s=%s: %s%s\n", s->key,
			    s->value, strerror(-rc), rc == -EACCES ||
			    rc == -EPERM ? " (run as root)" : "");
		return -1;
	}
	journal_sysctl(j, s->key, cur);
	if (!first)
		journal_repaired(j, "sysctl %s was %s: set to %s", s->key, cur,
				 s->value);
	return 0;
}

/*
 * iptables-nft creates `table ip mangle` (and, for QUIC, `table ip
 * filter`) on first use: for each one setup is about to use that is not
 * there yet, record an undo taking it away again once it is empty (it is
 * recorded first, so teardown runs it last), and the same for a rollback
 * of this run.
 */
static void
note_ipt_tables(const struct plan_opts *o, struct state *st,
		struct journal *j)
{
	static const struct { int fam; char *nft; } fams[] = {
		{ PLAN_V4, "ip" }, { PLAN_V6, "ip6" } };
	size_t i, k;

	journal_begin(j, "iptables-nft tables");
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++) {
			char *table = k ? "filter" : "mangle";
			int filt = plan_quic_families(o) |
				(o->on_failure == PLAN_FAIL_CLOSED ?
				 o->families : 0);
			int uses = k ? filt & fams[i].fam :
				o->families & fams[i].fam;

			if (!uses || nft_table_exists(fams[i].nft, table) != 0)
				continue;
			state_add_undo(st, (char *[]){
				(char *)"tproxyctl",
				(char *)"drop-empty-table",
				fams[i].nft, table,
				NULL });
			journal_drop_table(j, fams[i].nft, table);
		}
}

/* Everything setup checks before it changes anything. */
static int
preflight(const struct plan_opts *o, struct sbuf *err)
{
	int bad = 0;

	if (check_ifaces(o, err) < 0)
		return -1;
	if (repair_check_lo(err) < 0)
		bad = 1;
	if (repair_check_ipv6(o, err) < 0)
		bad = 1;
	if (doctor_kernel_preflight(o, err) < 0)
		return -1;
	/* every problem at once: one run of setup to learn them all */
	if (route_conflicts(o, err) < 0)
		bad = 1;
	if (repair_check_table_rules(o, err) < 0)
		bad = 1;
	if (doctor_foreign_capture(o, err) < 0)
		bad = 1;
	return bad ? -1 : 0;
}

static int
run_step(const struct plan_opts *o, const struct step *s, struct state *st,
	 int first, struct journal *j, struct sbuf *err)
{
	/* what undoes this step runs after what undoes the later ones */
	journal_begin(j, s->what);
	switch (s->kind) {
	case STEP_SYSCTL:
		return do_sysctl(st, s, first, j, err);
	case STEP_NFT:
		repair_nft_save(o, j);
		return nft_apply(s->input, err);
	case STEP_IP_RULE:
		return repair_ip_rule(s, st, first, j, err);
	case STEP_IP_ROUTE:
		return repair_ip_route(s, st, first, j, err);
	case STEP_IPT_JUMP:
		return repair_ipt_jump(s, first, j, err);
	case STEP_IPT_CHAIN:
		repair_ipt_chain_save(s, j);
		return ipt_apply(s, err);
	default:
		return ipt_apply(s, err);
	}
}

/* The state file back as it was before this run (text, or none). */
static void
restore_state_file(const char *path, int had_file, const struct sbuf *text)
{
	char tmp[4096];
	FILE *f;

	if (!had_file) {
		unlink(path);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	fputs(sbuf_str(text), f);
	if (fclose(f) == 0)
		rename(tmp, path);
}

int
apply_setup(const struct plan_opts *o, const char *state_path)
{
	struct plan p = { 0 };
	struct state st = { 0 };
	struct journal j = { 0 };
	struct sbuf err = { 0 }, sum = { 0 }, old = { 0 };
	char msg[512];
	size_t i;
	int rc, first, had_file;

	if (plan_build(o, &p, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "tproxyctl: %s\n", msg);
		plan_free(&p);
		return 1;
	}
	/* Held until exit: tproxyctl watch puts nothing back meanwhile. */
	watch_lock(state_path, 1);
	if (!have_net_admin()) {
		fprintf(stderr, "tproxyctl: setup needs CAP_NET_ADMIN "
			"(missing privileges: run it as root)\n");
		plan_free(&p);
		return 1;
	}
	rc = preflight(o, &err);
	rc = rc < 0 ? rc : state_load(state_path, &st, &err);
	if (rc < 0 && rc != -ENOENT) {
		fputs(sbuf_str(&err), stderr);
		fputs("tproxyctl: nothing was changed\n", stderr);
		goto fail;
	}
	first = rc == -ENOENT;
	had_file = read_file(state_path, &old) == 0;
	st.have_opts = 1;
	st.opts = *o;
	if (o->backend == PLAN_IPT && ipt_is_nft())
		note_ipt_tables(o, &st, &j);
	for (i = 0; i < p.n; i++) {
		const struct step *s = &p.step[i];

		rc = run_step(o, s, &st, first, &j, &err);
		if (rc < 0) {
			struct sbuf rb = { 0 };

			fputs(sbuf_str(&err), stderr);
			if (journal_rollback(&j, &rb) == 0) {
				restore_state_file(state_path, had_file, &old);
				fprintf(stderr, "tproxyctl: setup failed at: "
					"%s; everything this run changed was "
					"undone (%s)\n", s->what, first ?
					"the box is as it was before setup" :
					"the box is as it was before this "
					"run");
			} else {
				fputs(sbuf_str(&rb), stderr);
				state_save(state_path, &st, &err);
				fprintf(stderr, "tproxyctl: setup failed at: "
					"%s, and undoing it failed as shown "
					"above; what setup did is recorded in "
					"%s (remove it with `tproxyctl "
					"teardown --state %s`)\n", s->what,
					state_path, state_path);
			}
			sbuf_free(&rb);
			goto fail;
		}
		/* Something that was already there before (and not by an
		 * earlier setup) is not ours to remove. */
		if (s->undo && (rc == 0 || s->kind == STEP_NFT ||
				s->kind == STEP_IPT_CHAIN ||
				s->kind == STEP_IPT_RULE))
			state_add_undo(&st, s->undo);
		/* Saved as it goes: were tproxyctl killed half-way, teardown
		 * still knows what to remove. */
		if (state_save(state_path, &st, &err) < 0) {
			struct sbuf rb = { 0 };

			fputs(sbuf_str(&err), stderr);
			journal_rollback(&j, &rb);
			fputs(sbuf_str(&rb), stderr);
			restore_state_file(state_path, had_file, &old);
			sbuf_free(&rb);
			goto fail;
		}
	}
	if (!first)
		repair_report(o, &j);
	plan_summary(o, &sum);
	if (j.repaired.len)
		printf("tproxyctl: repaired what had changed since the last "
		       "setup:\n%s", sbuf_str(&j.repaired));
	printf("tproxyctl: setup done (%s, %s: %s%s); state in %s\n",
	       o->backend == PLAN_NFT ? "nftables" : "iptables",
	       plan_family_name(o->families), sbuf_str(&sum),
	       o->bridge ? "; bridged" : "", state_path);
	sbuf_free(&sum);
	sbuf_free(&old);
	journal_free(&j);
	plan_free(&p);
	state_free(&st);
	sbuf_free(&err);
	return 0;
fail:
	sbuf_free(&old);
	journal_free(&j);
	plan_free(&p);
	state_free(&st);
	sbuf_free(&err);
	return 1;
}

/* Errors meaning "already gone", which teardown does not mind. */
static int
already_gone(const char *msg)
{
	return strstr(msg, "No such file") || strstr(msg, "does not exist") ||
		strstr(msg, "No chain/target/match") ||
		strstr(msg, "Bad rule") || strstr(msg, "No such process");
}

static void
remove_own_objects(void)
{
	static char *const fams[] = { "iptables", "ip6tables" };
	size_t i;

	/* the table holds the QUIC chain too */
	nft_cmd("delete table inet " PLAN_NFT_TABLE, NULL, NULL);
	nft_cmd("delete table bridge " PLAN_NFT_TABLE, NULL, NULL);
	nft_cmd("delete table netdev " PLAN_NFT_TABLE, NULL, NULL);
	for (i = 0; i < 2; i++) {
		char *jump[] = { fams[i], (char *)"-w", (char *)"-t",
				 (char *)"mangle", (char *)"-D",
				 (char *)"PREROUTING", (char *)"-j",
				 (char *)PLAN_IPT_CHAIN, NULL };
		char *flush[] = { fams[i], (char *)"-w", (char *)"-t",
				  (char *)"mangle", (char *)"-F", NULL, NULL };
		char *del[] = { fams[i], (char *)"-w", (char *)"-t",
				(char *)"mangle", (char *)"-X", NULL, NULL };

		while (run_cmd(jump, NULL, NULL, NULL) == 0)
			;
		flush[5] = del[5] = (char *)PLAN_IPT_CHAIN;
		run_cmd(flush, NULL, NULL, NULL);
		run_cmd(del, NULL, NULL, NULL);
		flush[5] = del[5] = (char *)PLAN_IPT_DIVERT;
		run_cmd(flush, NULL, NULL, NULL);
		run_cmd(del, NULL, NULL, NULL);
		/* QUIC: filter FORWARD -> TPROXYD_QUIC */
		jump[3] = flush[3] = del[3] = (char *)"filter";
		jump[5] = (char *)"FORWARD";
		jump[7] = flush[5] = del[5] = (char *)PLAN_IPT_QUIC;
		while (run_cmd(jump, NULL, NULL, NULL) == 0)
			;
		run_cmd(flush, NULL, NULL, NULL);
		run_cmd(del, NULL, NULL, NULL);
	}
}

int
apply_teardown(const char *state_path)
{
	struct state st = { 0 };
	struct sbuf err = { 0 };
	size_t i;
	int rc, bad = 0;

	if (!have_net_admin()) {
		fprintf(stderr, "tproxyctl: teardown needs CAP_NET_ADMIN "
			"(missing privileges: run it as root)\n");
		return 1;
	}
	watch_lock(state_path, 1);	/* see apply_setup() */
	rc = state_load(state_path, &st, &err);
	if (rc == -ENOENT) {
		/* Without a record only what is ours by name can go. */
		fprintf(stderr, "tproxyctl: no state file %s: removing only "
			"tproxyctl's own table and chains; routes, rules and "
			"sysctls are left as they are\n", state_path);
		remove_own_objects();
		return 0;
	}
	if (rc < 0) {
		fputs(sbuf_str(&err), stderr);
		sbuf_free(&err);
		return 1;
	}
	for (i = st.nundo; i-- > 0;) {
		char **u = st.undo[i];
		struct sbuf e = { 0 };

		if (strcmp(u[0], "tproxyctl") == 0) {
			if (argv_len(u) == 4 && strcmp(u[1],
						       "drop-empty-table") == 0)
				ipt_drop_empty_table(strcmp(u[2], "ip") == 0 ?
						     PLAN_V4 : PLAN_V6, u[3]);
			continue;
		}
		rc = run_cmd(u, NULL, NULL, &e);
		if (rc != 0 && !already_gone(sbuf_str(&e))) {
			fputs("tproxyctl: ", stderr);
			argv_render(u, &err);
			fprintf(stderr, "%s: %s", sbuf_str(&err), sbuf_str(&e));
			sbuf_reset(&err);
			bad = 1;
		}
		sbuf_free(&e);
	}
	for (i = st.nsys; i-- > 0;) {
		struct state_sysctl *s = &st.sys[i];
		char cur[64];

		if (sysctl_read(s->key, cur, sizeof(cur)) < 0)
			continue;	/* interface gone */
		if (strcmp(cur, s->value) != 0) {
			fprintf(stderr, "tproxyctl: %s is %s, not the %s setup "
				"wrote: someone changed it since; left as it "
				"is\n", s->key, cur, s->value);
			continue;
		}
		rc = sysctl_write(s->key, s->prev);
		if (rc < 0) {
			fprintf(stderr, "tproxyctl: cannot restore %s=%s: "
				"%s\n", s->key, s->prev, strerror(-rc));
			bad = 1;
		}
	}
	if (!bad && unlink(state_path) < 0)
		fprintf(stderr, "tproxyctl: cannot remove %s: %s\n",
			state_path, strerror(errno));
	if (!bad)
		printf("tproxyctl: teardown done; everything recorded in %s "
		       "was removed or restored\n", state_path);
	state_free(&st);
	sbuf_free(&err);
	return bad ? 1 : 0;
}
