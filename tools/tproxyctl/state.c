/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.c - reading and writing the state file (format in state.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

static char **
argv_dup(char *const *v)
{
	size_t n = argv_len(v), i;
	char **d = xcalloc(n + 1, sizeof(*d));

	for (i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

void
state_add_undo(struct state *st, char *const *argv)
{
	size_t i, k, n = argv_len(argv);
	char ***nu;

	for (i = 0; i < st->nundo; i++) {
		if (argv_len(st->undo[i]) != n)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(st->undo[i][k], argv[k]) != 0)
				break;
		if (k == n)
			return;
	}
	nu = realloc(st->undo, (st->nundo + 1) * sizeof(*nu));
	if (nu == NULL)
		exit(1);
	st->undo = nu;
	st->undo[st->nundo++] = argv_dup(argv);
}

struct state_sysctl *
state_find_sysctl(struct state *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->nsys; i++)
		if (strcmp(st->sys[i].key, key) == 0)
			return &st->sys[i];
	return NULL;
}

void
state_add_sysctl(struct state *st, const char *key, const char *prev,
		 const char *value)
{
	struct state_sysctl *n = realloc(st->sys, (st->nsys + 1) *
					 sizeof(*n));

	if (n == NULL)
		exit(1);
	st->sys = n;
	n[st->nsys].key = xstrdup(key);
	n[st->nsys].prev = xstrdup(prev);
	n[st->nsys].value = xstrdup(value);
	st->nsys++;
}

int
state_had(const struct state *st, const char *what)
{
	size_t i;

	for (i = 0; i < st->nhad; i++)
		if (strcmp(st->had[i], what) == 0)
			return 1;
	return 0;
}

void
state_add_had(struct state *st, const char *what)
{
	char **n;

	if (state_had(st, what))
		return;
	n = realloc(st->had, (st->nhad + 1) * sizeof(*n));
	if (n == NULL)
		exit(1);
	st->had = n;
	st->had[st->nhad++] = xstrdup(what);
}

void
state_free(struct state *st)
{
	size_t i;

	for (i = 0; i < st->nsys; i++) {
		free(st->sys[i].key);
		free(st->sys[i].prev);
		free(st->sys[i].value);
	}
	for (i = 0; i < st->nundo; i++)
		argv_free(st->undo[i]);
	for (i = 0; i < st->nhad; i++)
		free(st->had[i]);
	free(st->had);
	free(st->sys);
	free(st->undo);
	memset(st, 0, sizeof(*st));
}

static void
target_out(FILE *f, const char *name, const struct plan_target *t)
{
	fprintf(f, "opt\t%s\t%u\t%s\n", name, t->port, t->addr);
}

static void
opts_out(FILE *f, const struct plan_opts *o)
{
	size_t i;

	fprintf(f, "opt\tbackend\t%s\n", o->backend == PLAN_NFT ? "nft" :
		"iptables");
	fprintf(f, "opt\tfamily\t%s\n", plan_family_name(o->families));
	if (o->family_given)
		fprintf(f, "opt\tfamily-given\t1\n");
	fprintf(f, "opt\tmark\t0x%x/0x%x\n", o->mark, o->mask);
	fprintf(f, "opt\ttable\t%u\n", o->table);
	fprintf(f, "opt\trule-pref\t%u\n", o->rule_pref);
	fprintf(f, "opt\tports");
	for (i = 0; i < o->map[PLAN_HTTP].ndport; i++)
		fprintf(f, "%s%u", i ? "," : "\t", o->map[PLAN_HTTP].dport[i]);
	fprintf(f, "\n");
	target_out(f, "to4", &o->map[PLAN_HTTP].to[0]);
	target_out(f, "to6", &o->map[PLAN_HTTP].to[1]);
	fprintf(f, "opt\thttps-ports");
	for (i = 0; i < o->map[PLAN_HTTPS].ndport; i++)
		fprintf(f, "%s%u", i ? "," : "\t",
			o->map[PLAN_HTTPS].dport[i]);
	fprintf(f, "\n");
	target_out(f, "https4", &o->map[PLAN_HTTPS].to[0]);
	target_out(f, "https6", &o->map[PLAN_HTTPS].to[1]);
	if (o->udp.ndport) {
		fprintf(f, "opt\tudp-ports");
		for (i = 0; i < o->udp.ndport; i++)
			fprintf(f, "%s%u", i ? "," : "\t", o->udp.dport[i]);
		fprintf(f, "\n");
		target_out(f, "udp4", &o->udp.to[0]);
		target_out(f, "udp6", &o->udp.to[1]);
	}
	fprintf(f, "opt\tquic\t%s\n", o->quic == PLAN_QUIC_BLOCK ? "block" :
		o->quic == PLAN_QUIC_PASS ? "pass" : "auto");
	fprintf(f, "opt\ton-failure\t%s\n", o->on_failure ==
		PLAN_FAIL_CLOSED ? "closed" : "open");
	for (i = 0; i < o->niface; i++)
		fprintf(f, "opt\tiface\t%s\n", o->iface[i]);
	for (i = 0; i < o->nbypass; i++)
		fprintf(f, "opt\tbypass\t%s\n", o->bypass[i]);
	if (o->bridge)
		fprintf(f, "opt\tbridge\t%s\t%s\t%s\t%s\n", o->br_client,
			o->br_inet, o->br_dev, o->br_mac);
}

int
state_save(const char *path, const struct state *st, struct sbuf *err)
{
	char tmp[4096], dir[4096], *slash;
	FILE *f;
	size_t i, k;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			sbuf_printf(err, "tproxyctl: cannot create %s: %s\n",
				    dir, strerror(errno));
			return -errno;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		sbuf_printf(err, "tproxyctl: cannot write %s: %s\n", tmp,
			    strerror(errno));
		return -errno;
	}
	fprintf(f, "tproxyctl-state\t1\n");
	if (st->have_opts)
		opts_out(f, &st->opts);
	for (i = 0; i < st->nsys; i++)
		fprintf(f, "sysctl\t%s\t%s\t%s\n", st->sys[i].key,
			st->sys[i].prev, st->sys[i].value);
	for (i = 0; i < st->nhad; i++)
		fprintf(f, "had\t%s\n", st->had[i]);
	for (i = 0; i < st->nundo; i++) {
		fprintf(f, "undo");
		for (k = 0; st->undo[i][k]; k++)
			fprintf(f, "\t%s", st->undo[i][k]);
		fprintf(f, "\n");
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		sbuf_printf(err, "tproxyctl: cannot write %s: %s\n", path,
			    strerror(errno));
		return -EIO;
	}
	return 0;
}

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static int
opt_in(struct plan_opts *o, char **f)
{
	size_t n = argv_len(f);

	if (n < 3)
		return -1;
	if (strcmp(f[1], "backend") == 0)
		o->backend = strcmp(f[2], "nft") == 0 ? PLAN_NFT : PLAN_IPT;
	else if (strcmp(f[1], "family") == 0)
		o->families = strcmp(f[2], "ipv4") == 0 ? PLAN_V4 :
			strcmp(f[2], "ipv6") == 0 ? PLAN_V6 : PLAN_BOTH;
	else if (strcmp(f[1], "family-given") == 0)
		o->family_given = strcmp(f[2], "1") == 0;
	else if (strcmp(f[1], "mark") == 0)
		return plan_parse_mark(f[2], &o->mark, &o->mask);
	else if (strcmp(f[1], "table") == 0)
		o->table = (unsigned)strtoul(f[2], NULL, 10);
	else if (strcmp(f[1], "rule-pref") == 0)
		o->rule_pref = (unsigned)strtoul(f[2], NULL, 10);
	else if (strcmp(f[1], "ports") == 0)
		return plan_parse_ports(f[2], o->map[PLAN_HTTP].dport,
					PLAN_MAX_PORTS,
					&o->map[PLAN_HTTP].ndport);
	else if (strcmp(f[1], "https-ports") == 0)
		return plan_parse_ports(f[2], o->map[PLAN_HTTPS].dport,
					PLAN_MAX_PORTS,
					&o->map[PLAN_HTTPS].ndport);
	else if (strcmp(f[1], "udp-ports") == 0)
		return plan_parse_ports(f[2], o->udp.dport, PLAN_MAX_PORTS,
					&o->udp.ndport);
	else if (strcmp(f[1], "udp4") == 0 || strcmp(f[1], "udp6") == 0) {
		struct plan_target *t = &o->udp.to[f[1][3] == '6'];

		t->port = (unsigned)strtoul(f[2], NULL, 10);
		copy(t->addr, sizeof(t->addr), n > 3 ? f[3] : "");
	} else if (strcmp(f[1], "to4") == 0 || strcmp(f[1], "to6") == 0 ||
		 strcmp(f[1], "https4") == 0 || strcmp(f[1], "https6") == 0) {
		int https = f[1][0] == 'h';
		int v6 = f[1][strlen(f[1]) - 1] == '6';
		struct plan_target *t = &o->map[https ? PLAN_HTTPS :
						 PLAN_HTTP].to[v6];

		t->port = (unsigned)strtoul(f[2], NULL, 10);
		copy(t->addr, sizeof(t->addr), n > 3 ? f[3] : "");
	} else if (strcmp(f[1], "quic") == 0)
		o->quic = strcmp(f[2], "block") == 0 ? PLAN_QUIC_BLOCK :
			strcmp(f[2], "auto") == 0 ? PLAN_QUIC_AUTO :
			PLAN_QUIC_PASS;
	else if (strcmp(f[1], "on-failure") == 0)
		o->on_failure = strcmp(f[2], "closed") == 0 ?
			PLAN_FAIL_CLOSED : PLAN_FAIL_OPEN;
	else if (strcmp(f[1], "iface") == 0 && o->niface < PLAN_MAX_IFACES)
		copy(o->iface[o->niface++], IFNAMSIZ, f[2]);
	else if (strcmp(f[1], "bypass") == 0 && o->nbypass < PLAN_MAX_BYPASS)
		copy(o->bypass[o->nbypass++], 64, f[2]);
	else if (strcmp(f[1], "bridge") == 0 && n >= 6) {
		o->bridge = 1;
		copy(o->br_client, IFNAMSIZ, f[2]);
		copy(o->br_inet, IFNAMSIZ, f[3]);
		copy(o->br_dev, IFNAMSIZ, f[4]);
		copy(o->br_mac, sizeof(o->br_mac), f[5]);
	}
	return 0;
}

int
state_load(const char *path, struct state *st, struct sbuf *err)
{
	struct sbuf text = { 0 };
	char *line, *save = NULL;
	int rc, lineno = 0;

	rc = read_file(path, &text);
	if (rc < 0) {
		if (rc != -ENOENT)
			sbuf_printf(err, "tproxyctl: cannot read %s: %s\n",
				    path, strerror(-rc));
		sbuf_free(&text);
		return rc;
	}
	plan_opts_default(&st->opts);
	st->opts.map[PLAN_HTTP].ndport = 0;
	/* A state file from before HTTPS mappings has none: HTTPS off, and
	 * QUIC left alone. */
	st->opts.quic = PLAN_QUIC_PASS;
	for (line = strtok_r(text.p, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char **f = argv_split(line, '\t');

		lineno++;
		if (lineno == 1 && strcmp(f[0], "tproxyctl-state") != 0) {
			sbuf_printf(err, "tproxyctl: %s is not a tproxyctl "
				    "state file\n", path);
			argv_free(f);
			sbuf_free(&text);
			return -EINVAL;
		}
		if (strcmp(f[0], "opt") == 0) {
			st->have_opts = 1;
			opt_in(&st->opts, f);
		} else if (strcmp(f[0], "sysctl") == 0 && argv_len(f) == 4) {
			state_add_sysctl(st, f[1], f[2], f[3]);
		} else if (strcmp(f[0], "had") == 0 && argv_len(f) == 2) {
			state_add_had(st, f[1]);
		} else if (strcmp(f[0], "undo") == 0 && argv_len(f) > 1) {
			state_add_undo(st, f + 1);
		}
		argv_free(f);
	}
	sbuf_free(&text);
	return 0;
}
