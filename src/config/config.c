/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.c - loading a configuration: the list of directive modules, the
 * read loop that hands each line to its module, the modules' defaults and
 * finish hooks, reference counting, and the diagnostics list.
 *
 * The directives themselves live in one file per module, cfg_*.c, each
 * exporting a struct cfg_dirtab (cfg-int.h). Adding a module is one new
 * file, its extern in cfg-int.h and one line in cfg_dirtabs[] below.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

/*
 * Append one message. Messages are never dropped for lack of memory
 * without counting them: nerr must stay right even if the text is lost,
 * or a broken configuration could be accepted.
 */
void
cfg_msg(struct cfg_parse *p, enum cfg_level level, const struct tok *where,
	const char *fmt, ...)
{
	struct cfg_msgs *m = p->msgs;
	struct cfg_msg *nm;
	char *body = NULL, *text = NULL;
	va_list ap;
	int r;

	if (level == CFG_ERR) {
		p->nerr++;
		m->nerr++;
	}
	va_start(ap, fmt);
	r = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	/* A predefined acl has no line to point at: blame the file. */
	if (where != NULL && where->file == cfg_builtin_file)
		where = NULL;
	if (where != NULL)
		r = asprintf(&text, "%s:%d: %s%s", where->file, where->line,
			     level == CFG_WARN ? "WARNING: " : "", body);
	else
		r = asprintf(&text, "%s: %s%s", p->name,
			     level == CFG_WARN ? "WARNING: " : "", body);
	free(body);
	if (r < 0)
		return;
	nm = realloc(m->msg, (m->n + 1) * sizeof(*m->msg));
	if (nm == NULL) {
		free(text);
		return;
	}
	m->msg = nm;
	m->msg[m->n].level = level;
	m->msg[m->n].text = text;
	m->n++;
}

void
cfg_msgs_free(struct cfg_msgs *msgs)
{
	size_t i;

	for (i = 0; i < msgs->n; i++)
		free(msgs->msg[i].text);
	free(msgs->msg);
	msgs->msg = NULL;
	msgs->n = 0;
	msgs->nerr = 0;
}

/*
 * Every module's directive table. The order is the order in which the
 * defaults and finish hooks run, and so the order of the messages of the
 * finish hooks: acls first (predefined acls exist before any line, values
 * are sorted and compiled before anyone else's finish hook looks at them),
 * then "no http_port configured" before the WCCPv2 checks.
 */
const struct cfg_dirtab *const cfg_dirtabs[] = {
	&cfg_dirs_access,
	&cfg_dirs_ports,
	&cfg_dirs_proc,
	&cfg_dirs_log,
	&cfg_dirs_http,
	&cfg_dirs_route,
	&cfg_dirs_rules,
	&cfg_dirs_wccp2,
	&cfg_dirs_qos,
	&cfg_dirs_tls,
	&cfg_dirs_learn,
	&cfg_dirs_cache,
	&cfg_dirs_sibling,
	&cfg_dirs_helper,
	&cfg_dirs_delay,
	&cfg_dirs_icap,
	&cfg_dirs_extacl,
	&cfg_dirs_auth,
	&cfg_dirs_udp,
	&cfg_dirs_ignored,
	&cfg_dirs_obsolete,
	&cfg_dirs_refused,
	NULL
};

const struct cfg_dir *
cfg_dir_find(const char *name, const struct cfg_dirtab **tab)
{
	const struct cfg_dirtab *const *dt;
	size_t i;

	for (dt = cfg_dirtabs; *dt != NULL; dt++) {
		for (i = 0; i < (*dt)->ndir; i++) {
			if (strcmp((*dt)->dir[i].name, name) != 0)
				continue;
			if (tab != NULL)
				*tab = *dt;
			return &(*dt)->dir[i];
		}
	}
	return NULL;
}

const struct cfg_nodir *
cfg_nodir_find(const char *name, const struct cfg_dirtab **tab)
{
	const struct cfg_dirtab *const *dt;
	size_t i;

	for (dt = cfg_dirtabs; *dt != NULL; dt++) {
		for (i = 0; i < (*dt)->nnodir; i++) {
			if (strcmp((*dt)->nodir[i].name, name) != 0)
				continue;
			if (tab != NULL)
				*tab = *dt;
			return &(*dt)->nodir[i];
		}
	}
	return NULL;
}

/*
 * Run one configuration line (t[0] is the directive). A directive no
 * module knows is an error. A Squid directive tproxyd does not implement
 * is accepted with a warning saying why that is safe (cfg_ignored.c), so
 * that an existing squid.conf loads unchanged, or refused with an error
 * saying what would go wrong if it were ignored (cfg_refused.c).
 */
static void
directive(struct cfg_parse *p, const struct tok *t, size_t n)
{
	const struct cfg_dirtab *tab = NULL;
	const struct cfg_nodir *nd;
	const struct cfg_dir *d;

	d = cfg_dir_find(t[0].s, NULL);
	if (d != NULL) {
		d->set(p, t, n);
		return;
	}
	nd = cfg_nodir_find(t[0].s, &tab);
	if (nd == NULL) {
		cfg_err(p, &t[0], "unknown directive '%s'", t[0].s);
		return;
	}
	switch (tab->nokind) {
	case CFG_NO_REFUSE:
		cfg_err(p, &t[0], "'%s' is not supported by tproxyd (%s): if "
			"it were ignored, %s", nd->name, nd->feature, nd->why);
		break;
	case CFG_NO_OBSOLETE:
		cfg_warn(p, &t[0], "'%s' is obsolete; ignored, as by Squid 7 "
			 "(%s)", nd->name, nd->why);
		break;
	default:
		cfg_warn(p, &t[0], "'%s' is not implemented by tproxyd; "
			 "ignored (%s)", nd->name, nd->why);
		break;
	}
}

/* Run each module's defaults hook, or (finish != 0) its finish hook. */
static void
run_hooks(struct cfg_parse *p, int finish)
{
	const struct cfg_dirtab *const *dt;
	void (*fn)(struct cfg_parse *);

	for (dt = cfg_dirtabs; *dt != NULL; dt++) {
		fn = finish ? (*dt)->finish : (*dt)->defaults;
		if (fn != NULL)
			fn(p);
	}
}

/*
 * tproxyd's workers share one configuration, read as process 1: a line
 * that names ${process_number} or ${process_name} (a per-worker path, an
 * "if ${process_number} = 2" block) would be right for the first worker
 * only, so with workers > 1 it is refused rather than applied to all.
 */
static void
kid_macro_check(struct cfg_parse *p)
{
	struct tok where;

	if (p->kid_macro.line == 0 || p->c->workers <= 1)
		return;
	where.s = p->kid_macro.name;
	where.file = p->kid_macro.file;
	where.line = p->kid_macro.line;
	where.quoted = 0;
	cfg_err(p, &where, "'%s' is not supported by tproxyd with workers "
		"%u: its workers share one configuration read as process 1, "
		"so every worker would get the first worker's value (use "
		"workers 1, or write the lines without it)", p->kid_macro.name,
		p->c->workers);
}

/*
 * The common part of cfg_load and cfg_load_mem: lx == NULL means the file
 * could not be opened (already reported). Consumes lx and the parse state.
 */
static struct cfg *
load(struct cfg_parse *p, struct lexer *lx)
{
	const struct tok *t;
	size_t n;

	if (lx != NULL) {
		while ((n = lex_line(lx, &t)) > 0)
			directive(p, t, n);
		lex_close(lx);
		run_hooks(p, 1);
		kid_macro_check(p);
	}
	if (p->nerr > 0 || lx == NULL) {
		ar_free(p->ar);
		return NULL;
	}
	return p->c;
}

/* Set up the parse state with a fresh arena and cfg, and run every
 * module's defaults hook (the acl module's defines the predefined acls). */
static void
begin(struct cfg_parse *p, const char *name, struct cfg_msgs *msgs)
{
	memset(p, 0, sizeof(*p));
	p->ar = ar_new();
	p->msgs = msgs;
	p->c = ar_alloc(p->ar, sizeof(*p->c));
	p->c->refs = 1;
	p->c->arena = p->ar;
	p->c->path = ar_strdup(p->ar, name);
	p->name = p->c->path;
	run_hooks(p, 0);
}

struct cfg *
cfg_load(const char *path, struct cfg_msgs *msgs)
{
	struct cfg_parse p;

	begin(&p, path, msgs);
	return load(&p, lex_open_file(&p, path));
}

struct cfg *
cfg_load_mem(const char *text, const char *name, struct cfg_msgs *msgs)
{
	struct cfg_parse p;

	begin(&p, name, msgs);
	return load(&p, lex_open_mem(&p, text, name));
}

/* Not atomic: references are taken and dropped on the event loop thread. */
struct cfg *
cfg_ref(struct cfg *c)
{
	c->refs++;
	return c;
}

void
cfg_unref(struct cfg *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	/* c itself lives in the arena. */
	ar_free(c->arena);
}
