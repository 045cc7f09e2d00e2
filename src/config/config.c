/*
 * config.c - loading a configuration: defaults, the read loop, checks that
 * need the whole file, reference counting, and the diagnostics list.
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

/* Squid's defaults, for everything a configuration may leave out. */
static void
set_defaults(struct cfg_parse *p)
{
	struct cfg *c = p->c;

	c->access_log = ar_strdup(p->ar, "/var/log/tproxyd/access.log");
	c->cache_log = ar_strdup(p->ar, "/var/log/tproxyd/cache.log");
	c->pid_filename = ar_strdup(p->ar, "/run/tproxyd/tproxyd.pid");
	c->forwarded_for = FWD_FOR_ON;
	c->via = 1;
	c->connect_timeout = 60;
	c->read_timeout = 900;
	c->request_timeout = 300;
	c->client_idle_pconn_timeout = 120;
	c->server_idle_pconn_timeout = 60;
	c->shutdown_lifetime = 30;
	c->request_header_max_size = 64 * 1024;
	c->reply_header_max_size = 64 * 1024;
	c->workers = 1;
	/* spoof_client_ip, never_direct, always_direct: empty lists; callers
	 * pass the default (allow, deny, deny) to acl_check(). */
}

/* Checks that need the whole configuration. */
static void
validate(struct cfg_parse *p)
{
	if (p->c->nport == 0)
		cfg_err(p, NULL, "no http_port configured");
	cfg_wccp2_finish(p);
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
			cfg_directive(p, t, n);
		lex_close(lx);
		validate(p);
	}
	cfg_acl_finish(p);
	if (p->nerr > 0 || lx == NULL) {
		ar_free(p->ar);
		return NULL;
	}
	return p->c;
}

/* Set up the parse state with a fresh arena, cfg, defaults, builtins. */
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
	set_defaults(p);
	cfg_acl_builtin(p);
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
