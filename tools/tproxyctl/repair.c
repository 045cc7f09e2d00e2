/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repair.c - setup run again repairs what tproxyctl owns; setup that fails
 * undoes what it did (repair.h).
 *
 * What tproxyctl owns: its `ip rule` (at the preference --rule-pref, the
 * state file's rule-pref, once), its `local default dev lo` route in table
 * T, the sysctls it sets, its chains and their jumps (first in mangle
 * PREROUTING and filter FORWARD), its nft tables. A rule or route that
 * was there before the first setup is not tproxyctl's (state `had`): it
 * is never moved or removed, only put back if it went missing.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "nft.h"
#include "repair.h"

/* -- the journal ----------------------------------------------------- */

void
journal_begin(struct journal *j, const char *what)
{
	struct jentry *n = realloc(j->e, (j->n + 1) * sizeof(*n));

	if (n == NULL)
		exit(1);
	j->e = n;
	memset(&j->e[j->n], 0, sizeof(j->e[j->n]));
	j->e[j->n++].what = xstrdup(what);
}

static struct jcmd *
jadd(struct journal *j, enum jop op)
{
	struct jentry *e;
	struct jcmd *n;

	if (j->n == 0)
		journal_begin(j, "setup");
	e = &j->e[j->n - 1];
	n = realloc(e->cmd, (e->n + 1) * sizeof(*n));
	if (n == NULL)
		exit(1);
	e->cmd = n;
	memset(&n[e->n], 0, sizeof(n[e->n]));
	n[e->n].op = op;
	return &n[e->n++];
}

void
journal_cmd(struct journal *j, char **argv, const char *input)
{
	struct jcmd *c = jadd(j, JOP_CMD);

	c->argv = argv;
	c->input = input ? xstrdup(input) : NULL;
}

void
journal_sysctl(struct journal *j, const char *key, const char *value)
{
	struct jcmd *c = jadd(j, JOP_SYSCTL);

	c->key = xstrdup(key);
	c->value = xstrdup(value);
}

void
journal_drop_table(struct journal *j, const char *fam, const char *table)
{
	struct jcmd *c = jadd(j, JOP_DROP_TABLE);

	c->key = xstrdup(fam);
	c->value = xstrdup(table);
}

void
journal_repaired(struct journal *j, const char *fmt, ...)
{
	va_list ap;

	sbuf_add(&j->repaired, "  - ");
	va_start(ap, fmt);
	sbuf_vprintf(&j->repaired, fmt, ap);
	va_end(ap);
	sbuf_add(&j->repaired, "\n");
}

/* Errors meaning "not there (any more)": nothing to undo. */
static int
gone(const char *msg)
{
	return strstr(msg, "No such file") || strstr(msg, "does not exist") ||
		strstr(msg, "No chain/target/match") ||
		strstr(msg, "Bad rule") || strstr(msg, "No such process");
}

int
journal_rollback(struct journal *j, struct sbuf *err)
{
	size_t i, k;
	int bad = 0;

	for (i = j->n; i-- > 0;) {
		struct jentry *e = &j->e[i];

		for (k = 0; k < e->n; k++) {
			struct jcmd *c = &e->cmd[k];
			struct sbuf msg = { 0 };
			int rc = 0;

			if (c->op == JOP_SYSCTL) {
				rc = sysctl_write(c->key, c->value);
				if (rc < 0)
					sbuf_printf(&msg, "%s\n",
						    strerror(-rc));
			} else if (c->op == JOP_DROP_TABLE) {
				ipt_drop_empty_table(strcmp(c->key, "ip") ==
						     0 ? PLAN_V4 : PLAN_V6,
						     c->value);
			} else {
				rc = run_cmd(c->argv, c->input, NULL, &msg);
				if (rc != 0 && gone(sbuf_str(&msg)))
					rc = 0;
			}
			if (rc != 0) {
				sbuf_printf(err, "tproxyctl: could not undo "
					    "\"%s\": ", e->what);
				if (c->op == JOP_SYSCTL)
					sbuf_printf(err, "sysctl -w %s=%s",
						    c->key, c->value);
				else
					argv_render(c->argv, err);
				sbuf_printf(err, ": %s", sbuf_str(&msg));
				bad = 1;
			}
			sbuf_free(&msg);
		}
	}
	return bad ? -1 : 0;
}

void
journal_free(struct journal *j)
{
	size_t i, k;

	for (i = 0; i < j->n; i++) {
		for (k = 0; k < j->e[i].n; k++) {
			argv_free(j->e[i].cmd[k].argv);
			free(j->e[i].cmd[k].input);
			free(j->e[i].cmd[k].key);
			free(j->e[i].cmd[k].value);
		}
		free(j->e[i].cmd);
		free(j->e[i].what);
	}
	for (i = 0; i < j->nsaved; i++) {
		free(j->saved[i].label);
		argv_free(j->saved[i].list);
		free(j->saved[i].before);
	}
	free(j->saved);
	free(j->e);
	sbuf_free(&j->repaired);
	memset(j, 0, sizeof(*j));
}

static void
save_listing(struct journal *j, const char *label, char **list,
	     const char *before)
{
	struct jsaved *n = realloc(j->saved, (j->nsaved + 1) * sizeof(*n));

	if (n == NULL)
		exit(1);
	j->saved = n;
	n[j->nsaved].label = xstrdup(label);
	n[j->nsaved].list = list;
	n[j->nsaved].before = before ? xstrdup(before) : NULL;
	j->nsaved++;
}

/* -- small helpers --------------------------------------------------- */

static char **
argv_copy(char *const *v, size_t from, size_t to)
{
	char **d = xcalloc(to - from + 1, sizeof(*d));
	size_t i;

	for (i = from; i < to; i++)
		d[i - from] = xstrdup(v[i]);
	return d;
}

/* v with words appended (each copied). */
static char **
argv_cat(char **v, char *const *more)
{
	size_t n = argv_len(v), m = argv_len(more), i;
	char **d = realloc(v, (n + m + 1) * sizeof(*d));

	if (d == NULL)
		exit(1);
	for (i = 0; i < m; i++)
		d[n + i] = xstrdup(more[i]);
	d[n + m] = NULL;
	return d;
}

static int
run_quiet(char *const *argv, struct sbuf *out)
{
	return run_cmd(argv, NULL, out, NULL);
}

/* Split at blanks, keeping "double quoted" words (iptables -S quotes a
 * word with blanks that way, e.g. a comment). */
static char **
split_words(const char *s)
{
	char **v = xcalloc(1, sizeof(*v));
	struct sbuf w = { 0 };

	while (*s) {
		char *word[2] = { NULL, NULL };

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		sbuf_reset(&w);
		sbuf_add(&w, "");
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				sbuf_printf(&w, "%c", *s);
			}
			if (*s == '"')
				s++;
		} else {
			for (; *s && *s != ' ' && *s != '\t'; s++)
				sbuf_printf(&w, "%c", *s);
		}
		word[0] = w.p;
		v = argv_cat(v, word);
	}
	sbuf_free(&w);
	return v;
}

/* -- ip rule --------------------------------------------------------- */

/* Words of `ip rule` that take a value; the others stand alone ("not",
 * "[detached]"). */
static int
takes_value(const char *w)
{
	static const char *const keys[] = { "from", "to", "tos", "dsfield",
		"fwmark", "iif", "oif", "lookup", "table", "priority",
		"preference", "pref", "realms", "goto", "nat",
		"suppress_prefixlength", "suppress_ifgroup", "uidrange",
		"ipproto", "sport", "dport", "protocol", "l3mdev", NULL };
	size_t i;

	for (i = 0; keys[i]; i++)
		if (strcmp(w, keys[i]) == 0)
			return 1;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A rule's selector and action as one comparable string: the words from
 * `from` on (ip rule show) or after `add` (the command), "key value"
 * pairs sorted, without the preference and without "from all" (the
 * default), "table" said as "lookup". Also the preference, if any.
 */
void
repair_rule_key(char *const *w, char *out, size_t n, unsigned *pref)
{
	char *pair[32];
	size_t np = 0, i, off = 0;

	*pref = 0;
	out[0] = '\0';
	for (i = 0; w[i] && np < 32; i++) {
		char buf[160];
		const char *k = w[i];

		if (takes_value(k) && w[i + 1]) {
			const char *v = w[++i];

			if (!strcmp(k, "pref") || !strcmp(k, "priority") ||
			    !strcmp(k, "preference")) {
				*pref = (unsigned)strtoul(v, NULL, 10);
				continue;
			}
			if (!strcmp(k, "from") && !strcmp(v, "all"))
				continue;
			snprintf(buf, sizeof(buf), "%s %s", !strcmp(k, "table")
				 ? "lookup" : k, v);
		} else {
			snprintf(buf, sizeof(buf), "%s", k);
		}
		pair[np++] = xstrdup(buf);
	}
	qsort(pair, np, sizeof(pair[0]), cmp_str);
	for (i = 0; i < np; i++) {
		if (off < n)
			off += (size_t)snprintf(out + off, n - off, "%s%s",
						i ? " " : "", pair[i]);
		free(pair[i]);
	}
}

/* The rules of family flag ("-4"/"-6") as (pref, canon, text after the
 * "PREF:" column) triples; returns how many. */
struct rline {
	unsigned pref;
	char     canon[256];
	char     text[256];
};

static size_t
rules_list(const char *flag, struct rline *r, size_t max)
{
	char **argv = argv_new("ip", flag, "rule", "show", NULL);
	struct sbuf out = { 0 };
	const char *line;
	size_t n = 0;

	run_quiet(argv, &out);
	argv_free(argv);
	for (line = sbuf_str(&out); *line && n < max;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
		char l[512], *colon, **w;
		unsigned dummy;

		snprintf(l, sizeof(l), "%.*s", (int)strcspn(line, "\n"),
			 line);
		colon = strchr(l, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		r[n].pref = (unsigned)strtoul(l, NULL, 10);
		w = split_words(colon + 1);
		repair_rule_key(w, r[n].canon, sizeof(r[n].canon), &dummy);
		snprintf(r[n].text, sizeof(r[n].text), "%s", colon + 1 +
			 strspn(colon + 1, " \t"));
		rstrip(r[n].text);
		argv_free(w);
		n++;
	}
	sbuf_free(&out);
	return n;
}

/* "ip -4 rule del|add pref P WORDS..." from the step's argv (which is
 * "ip -4 rule add [pref P] WORDS..."). */
static char **
rule_cmd(const struct step *s, const char *op, unsigned pref)
{
	char p[16], **v = argv_new("ip", s->argv[1], "rule", op, NULL);
	size_t i;

	if (pref) {
		snprintf(p, sizeof(p), "%u", pref);
		v = argv_cat(v, (char *[]){ (char *)"pref", p, NULL });
	}
	for (i = 4; s->argv[i]; i++) {
		if (!strcmp(s->argv[i], "pref") && s->argv[i + 1]) {
			i++;
			continue;
		}
		v = argv_cat(v, (char *[]){ s->argv[i], NULL });
	}
	return v;
}

/* The `had` name of a step: its command without "add"/"pref P". */
static void
had_name(const struct step *s, char *out, size_t n)
{
	char **v = rule_cmd(s, "", 0);
	struct sbuf b = { 0 };
	size_t i;

	for (i = 0; v[i]; i++)
		if (v[i][0])
			sbuf_printf(&b, "%s%s", b.len ? " " : "", v[i]);
	snprintf(out, n, "%s", sbuf_str(&b));
	sbuf_free(&b);
	argv_free(v);
}

static int
run_or_explain(char *const *argv, struct sbuf *err)
{
	struct sbuf e = { 0 };
	int rc = run_cmd(argv, NULL, NULL, &e);

	if (rc != 0) {
		sbuf_add(err, "tproxyctl: ");
		argv_render(argv, err);
		sbuf_printf(err, ": %s", rc == 127 ? "cannot run it\n" :
			    sbuf_str(&e));
		if (strstr(sbuf_str(&e), "not permitted"))
			sbuf_add(err, "tproxyctl: this needs CAP_NET_ADMIN "
				 "(run as root)\n");
	}
	sbuf_free(&e);
	return rc == 0 ? 0 : -1;
}

int
repair_ip_rule(const struct step *s, struct state *st, int first,
	       struct journal *j, struct sbuf *err)
{
	struct rline r[128];
	char want[256], name[256], shown[300];
	char **w = argv_copy(s->argv, 4, argv_len(s->argv));
	unsigned want_pref, at[16];
	size_t n, i, nat = 0, keep = (size_t)-1;
	struct sbuf where = { 0 };

	repair_rule_key(w, want, sizeof(want), &want_pref);
	argv_free(w);
	had_name(s, name, sizeof(name));
	/* "ip rule `fwmark 0x1/0x1 lookup 100` (ipv4)" */
	snprintf(shown, sizeof(shown), "ip rule `%s` (%s)",
		 strlen(name) > 11 ? name + 11 : name,
		 strcmp(s->argv[1], "-6") == 0 ? "ipv6" : "ipv4");
	n = rules_list(s->argv[1], r, sizeof(r) / sizeof(r[0]));
	for (i = 0; i < n; i++)
		if (strcmp(r[i].canon, want) == 0 && nat < 16) {
			if (keep == (size_t)-1 && (want_pref == 0 ||
						   r[i].pref == want_pref))
				keep = nat;
			at[nat++] = r[i].pref;
		}
	if (nat == 0) {
		char **add = rule_cmd(s, "add", want_pref);

		if (run_or_explain(add, err) < 0) {
			argv_free(add);
			return -1;
		}
		argv_free(add);
		journal_cmd(j, rule_cmd(s, "del", want_pref), NULL);
		if (!first)
			journal_repaired(j, "%s was missing: added at "
					 "preference %u", shown, want_pref);
		return state_had(st, name) ? 1 : 0;
	}
	if (first) {
		/* There before tproxyctl: not ours to move or remove. */
		state_add_had(st, name);
		return 1;
	}
	if (state_had(st, name) || (nat == 1 && keep == 0))
		return 1;
	for (i = 0; i < nat; i++)
		sbuf_printf(&where, "%s%u", i ? ", " : "", at[i]);
	/* Ours, moved or duplicated: one copy, at its preference. */
	for (i = 0; i < nat; i++) {
		char **del;

		if (i == keep)
			continue;
		del = rule_cmd(s, "del", at[i]);
		if (run_or_explain(del, err) < 0) {
			argv_free(del);
			sbuf_free(&where);
			return -1;
		}
		argv_free(del);
		journal_cmd(j, rule_cmd(s, "add", at[i]), NULL);
	}
	if (keep == (size_t)-1) {
		char **add = rule_cmd(s, "add", want_pref);

		if (run_or_explain(add, err) < 0) {
			argv_free(add);
			sbuf_free(&where);
			return -1;
		}
		argv_free(add);
		journal_cmd(j, rule_cmd(s, "del", want_pref), NULL);
	}
	journal_repaired(j, "%s was at preference %s: now once, at %u",
			 shown, sbuf_str(&where), want_pref);
	sbuf_free(&where);
	return 1;
}

/* -- ip route -------------------------------------------------------- */

int
repair_ip_route(const struct step *s, struct state *st, int first,
		struct journal *j, struct sbuf *err)
{
	const char *table = s->argv[argv_len(s->argv) - 1];
	char **show = argv_new("ip", s->argv[1], "route", "show", "table",
			       table, NULL);
	char name[256];
	struct sbuf out = { 0 }, b = { 0 };
	const char *line;
	int present = 0;
	size_t i;

	for (i = 0; s->argv[i]; i++)
		if (strcmp(s->argv[i], "add") != 0)
			sbuf_printf(&b, "%s%s", i ? " " : "", s->argv[i]);
	snprintf(name, sizeof(name), "%s", sbuf_str(&b));
	sbuf_free(&b);
	run_quiet(show, &out);
	argv_free(show);
	for (line = sbuf_str(&out); *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "")
		if (strncmp(line, "local default dev lo", 20) == 0)
			present = 1;
	sbuf_free(&out);
	if (present) {
		if (first)
			state_add_had(st, name);
		return 1;
	}
	if (run_or_explain(s->argv, err) < 0) {
		if (strcmp(s->argv[1], "-6") == 0)
			sbuf_add(err, "tproxyctl: (IPv6 on lo: see `sysctl "
				 "net.ipv6.conf.lo.disable_ipv6` and `ip "
				 "link show lo`)\n");
		return -1;
	}
	journal_cmd(j, argv_copy(s->undo, 0, argv_len(s->undo)), NULL);
	if (!first)
		journal_repaired(j, "`ip %s route add local default dev lo "
				 "table %s` was missing: added", s->argv[1],
				 table);
	return state_had(st, name) ? 1 : 0;
}

/* -- iptables: the jump first, once ---------------------------------- */

int
repair_ipt_jump(const struct step *s, int first, struct journal *j,
		struct sbuf *err)
{
	/* argv: TOOL -w -t TABLE -I CHAIN 1 -j OURS;
	 * undo: TOOL -w -t TABLE -D CHAIN -j OURS */
	char *const *u = s->undo;
	char **list = argv_new(u[0], u[1], u[2], u[3], "-S", u[5], NULL);
	char want[128];
	struct sbuf out = { 0 }, where = { 0 };
	const char *line;
	unsigned pos[64], k = 0;
	size_t n = 0, i;
	int rc;

	snprintf(want, sizeof(want), "-A %s -j %s", u[5], u[7]);
	rc = run_quiet(list, &out);
	argv_free(list);
	if (rc != 0) {
		/* the built-in chain cannot be listed: let the insert say
		 * why */
		sbuf_free(&out);
		return run_or_explain(s->argv, err) < 0 ? -1 : 0;
	}
	for (line = sbuf_str(&out); *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
		size_t len = strcspn(line, "\n");

		if (strncmp(line, "-A ", 3) != 0)
			continue;
		k++;
		if (len == strlen(want) && strncmp(line, want, len) == 0 &&
		    n < 64)
			pos[n++] = k;
	}
	sbuf_free(&out);
	if (n == 1 && pos[0] == 1)
		return 1;
	if (n == 0) {
		if (run_or_explain(s->argv, err) < 0)
			return -1;
		journal_cmd(j, argv_copy(u, 0, argv_len(u)), NULL);
		if (!first)
			journal_repaired(j, "the jump to %s in %s %s was "
					 "missing: inserted first", u[7], u[3],
					 u[5]);
		return 0;
	}
	for (i = 0; i < n; i++) {
		sbuf_printf(&where, "%s%u", i ? ", " : "", pos[i]);
		if (run_or_explain(u, err) < 0) {
			sbuf_free(&where);
			return -1;
		}
	}
	/* Back: take ours away, then put each copy where it was (in
	 * ascending order, each lands where it was). */
	for (i = 0; i < n; i++) {
		char p[16];

		if (i == 0) {
			/* removes what the insert below adds */
			journal_cmd(j, argv_copy(u, 0, argv_len(u)), NULL);
		}
		snprintf(p, sizeof(p), "%u", pos[i]);
		journal_cmd(j, argv_new(u[0], u[1], u[2], u[3], "-I", u[5], p,
					"-j", u[7], NULL), NULL);
	}
	if (run_or_explain(s->argv, err) < 0) {
		sbuf_free(&where);
		return -1;
	}
	journal_repaired(j, "the jump to %s in %s %s was at position %s: "
			 "now once, first", u[7], u[3], u[5],
			 sbuf_str(&where));
	sbuf_free(&where);
	return 1;
}

/* -- iptables chains and nft tables: saved to be put back ------------ */

void
repair_ipt_chain_save(const struct step *s, struct journal *j)
{
	/* argv: TOOL -w -t TABLE -N CHAIN */
	char *const *a = s->argv;
	char **list = argv_new(a[0], a[1], a[2], a[3], "-S", a[5], NULL);
	char label[128];
	struct sbuf out = { 0 };
	const char *line;

	if (run_quiet(list, &out) != 0) {
		/* not there: back means gone (emptied first) */
		journal_cmd(j, argv_new(a[0], a[1], a[2], a[3], "-F", a[5],
					NULL), NULL);
		journal_cmd(j, argv_new(a[0], a[1], a[2], a[3], "-X", a[5],
					NULL), NULL);
		snprintf(label, sizeof(label), "%s chain %s (%s table)", a[0],
			 a[5], a[3]);
		save_listing(j, label, list, NULL);
		sbuf_free(&out);
		return;
	}
	journal_cmd(j, argv_new(a[0], a[1], a[2], a[3], "-F", a[5], NULL),
		    NULL);
	for (line = sbuf_str(&out); *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
		char l[2048], **w;

		if (strncmp(line, "-A ", 3) != 0)
			continue;
		snprintf(l, sizeof(l), "%.*s", (int)strcspn(line, "\n"),
			 line);
		w = split_words(l);
		journal_cmd(j, argv_cat(argv_new(a[0], a[1], a[2], a[3], NULL),
					w), NULL);
		argv_free(w);
	}
	snprintf(label, sizeof(label), "%s chain %s (%s table)", a[0], a[5],
		 a[3]);
	save_listing(j, label, list, sbuf_str(&out));
	sbuf_free(&out);
}

static const char *const nft_fams[] = { "inet", "bridge", "netdev" };

static int
nft_uses(const struct plan_opts *o, size_t i)
{
	if (i == 0)
		return o->backend == PLAN_NFT;
	if (i == 1)
		return o->bridge;
	return o->bridge && plan_quic_families(o);
}

void
repair_nft_save(const struct plan_opts *o, struct journal *j)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		char **list, cmd[64], label[64];
		struct sbuf out = { 0 }, in = { 0 };

		if (!nft_uses(o, i))
			continue;
		list = argv_new("nft", "list", "table", nft_fams[i],
				PLAN_NFT_TABLE, NULL);
		snprintf(label, sizeof(label), "nft table %s %s", nft_fams[i],
			 PLAN_NFT_TABLE);
		if (run_quiet(list, &out) != 0) {
			snprintf(cmd, sizeof(cmd), "delete table %s %s",
				 nft_fams[i], PLAN_NFT_TABLE);
			journal_cmd(j, argv_new("nft", cmd, NULL), NULL);
			save_listing(j, label, list, NULL);
		} else {
			sbuf_printf(&in, "table %s %s\ndelete table %s %s\n%s",
				    nft_fams[i], PLAN_NFT_TABLE, nft_fams[i],
				    PLAN_NFT_TABLE, sbuf_str(&out));
			journal_cmd(j, argv_new("nft", "-f", "-", NULL),
				    sbuf_str(&in));
			save_listing(j, label, list, sbuf_str(&out));
		}
		sbuf_free(&out);
		sbuf_free(&in);
	}
}

void
repair_report(const struct plan_opts *o, struct journal *j)
{
	size_t i;

	(void)o;
	for (i = 0; i < j->nsaved; i++) {
		struct sbuf out = { 0 };

		if (j->saved[i].before == NULL) {
			journal_repaired(j, "%s was missing: made again",
					 j->saved[i].label);
			continue;
		}
		run_quiet(j->saved[i].list, &out);
		if (strcmp(sbuf_str(&out), j->saved[i].before) != 0)
			journal_repaired(j, "%s: its rules were not the ones "
					 "setup writes: rewritten",
					 j->saved[i].label);
		sbuf_free(&out);
	}
}

/* -- preflight ------------------------------------------------------- */

int
repair_check_lo(struct sbuf *err)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), up = 1;

	if (fd < 0)
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;	/* no socket: setup's own commands will say */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		up = (ifr.ifr_flags & IFF_UP) != 0;
	close(fd);
	if (up)
		return 0;
	/* Not brought up here: whoever took it down may have meant it, and
	 * teardown could not know to put it back. */
	sbuf_add(err, "tproxyctl: the loopback interface lo is down: "
		 "intercepted connections are delivered through it (`local "
		 "default dev lo`), and IPv6 refuses that route on a down "
		 "device; bring it up with `ip link set lo up`, then run "
		 "setup again\n");
	return -1;
}

int
ipv6_unusable(char *why, size_t n)
{
	char v[16];

	why[0] = '\0';
	if (access("/proc/sys/net/ipv6/conf", F_OK) != 0) {
		snprintf(why, n, "this kernel has no IPv6 (no "
			 "/proc/sys/net/ipv6: booted with ipv6.disable=1, or "
			 "built without IPv6)");
		return 1;
	}
	if (sysctl_read("net.ipv6.conf.all.disable_ipv6", v, sizeof(v)) ==
	    0 && strcmp(v, "0") != 0) {
		snprintf(why, n, "IPv6 is disabled "
			 "(net.ipv6.conf.all.disable_ipv6 = %s)", v);
		return 1;
	}
	if (sysctl_read("net.ipv6.conf.lo.disable_ipv6", v, sizeof(v)) ==
	    0 && strcmp(v, "0") != 0) {
		snprintf(why, n, "IPv6 is disabled on lo "
			 "(net.ipv6.conf.lo.disable_ipv6 = %s), where "
			 "intercepted connections are delivered", v);
		return 1;
	}
	return 0;
}

int
repair_check_ipv6(const struct plan_opts *o, struct sbuf *err)
{
	char why[200];

	if (!(o->families & PLAN_V6) || !ipv6_unusable(why, sizeof(why)))
		return 0;
	sbuf_printf(err, "tproxyctl: IPv6 interception was asked for, but %s; "
		    "run setup with --family ipv4, or enable IPv6 first%s\n",
		    why, strstr(why, "no IPv6") ? "" : " (`sysctl -w "
		    "net.ipv6.conf.all.disable_ipv6=0 "
		    "net.ipv6.conf.lo.disable_ipv6=0`)");
	return -1;
}

int
repair_check_table_rules(const struct plan_opts *o, struct sbuf *err)
{
	static const char *const flags[] = { "-4", "-6" };
	struct rline r[128];
	char table[32], mark[64], fw[80];
	size_t f, n, i;
	int bad = 0;

	snprintf(table, sizeof(table), "lookup %u", o->table);
	plan_format_mark(o->mark, o->mask, mark, sizeof(mark));
	snprintf(fw, sizeof(fw), "fwmark %s", mark);
	for (f = 0; f < 2; f++) {
		if (!(o->families & (f ? PLAN_V6 : PLAN_V4)))
			continue;
		n = rules_list(flags[f], r, sizeof(r) / sizeof(r[0]));
		for (i = 0; i < n; i++) {
			char **w = split_words(r[i].canon);
			size_t k;
			int looks = 0, ours = 0;

			for (k = 0; w[k] && w[k + 1]; k++) {
				char pair[128];

				snprintf(pair, sizeof(pair), "%s %s", w[k],
					 w[k + 1]);
				if (strcmp(pair, table) == 0)
					looks = 1;
				if (strcmp(pair, fw) == 0)
					ours = 1;
			}
			argv_free(w);
			if (!looks || ours)
				continue;
			sbuf_printf(err, "tproxyctl: conflicting existing "
				    "rule: `%u: %s` also looks up table %u, "
				    "where tproxyctl's route delivers every "
				    "address to this box: what it selects "
				    "would be intercepted or lost; remove it "
				    "(`ip %s rule del pref %u %s`) or choose "
				    "another --table\n", r[i].pref, r[i].text,
				    o->table, flags[f], r[i].pref, r[i].text);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}
