/*
 * cfg_log.c - the log files: access_log (one file, Squid's native format)
 * and cache_log. Read by src/core/ and src/log/.
 */
#include <stdio.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

/*
 * access_log [stdio:|daemon:]PATH [squid|logformat=squid] [acl...] | none.
 * tproxyd writes one file in Squid's native format; other formats are
 * accepted (so that squid.conf loads) and replaced with it.
 */
static void
set_access_log(struct cfg_parse *p, const struct tok *t, size_t n)
{
	const char *path, *fmt, *colon;
	size_t i = 2;

	if (cfg_nargs(p, t, n, 1, -1) < 0)
		return;
	if (p->access_log.set) {
		cfg_warn(p, &t[1], "access_log: only the first access_log is "
			 "used (%s:%d); '%s' ignored", p->access_log.file,
			 p->access_log.line, t[1].s);
		return;
	}
	path = t[1].s;
	colon = strchr(path, ':');
	if (strncmp(path, "stdio:", 6) == 0 ||
	    strncmp(path, "daemon:", 7) == 0) {
		path = colon + 1;
	} else if (colon != NULL && path[0] != '/') {
		cfg_warn(p, &t[1], "access_log: log module '%.*s' is not "
			 "supported (only stdio: and daemon:); line ignored",
			 (int)(colon - path), path);
		return;
	}
	if (*path == '\0') {
		cfg_err(p, &t[1], "access_log: missing path in '%s'", t[1].s);
		return;
	}
	/* Squid 3.2+ options (logformat=, buffer-size=, rotate=, ...). */
	for (; i < n && strchr(t[i].s, '=') != NULL; i++) {
		if (strcmp(t[i].s, "logformat=squid") == 0)
			continue;
		if (strncmp(t[i].s, "logformat=", 10) == 0)
			cfg_warn(p, &t[i], "access_log: only the squid format "
				 "is supported; using it instead of '%s'",
				 t[i].s + 10);
		else
			cfg_warn(p, &t[i], "access_log: option '%s' is not "
				 "supported; ignored", t[i].s);
	}
	if (i < n && strcmp(path, "none") != 0) {
		fmt = t[i].s;
		if (strcmp(fmt, "squid") != 0)
			cfg_warn(p, &t[i], "access_log: only the squid format "
				 "is supported; using it instead of '%s'", fmt);
		i++;
	}
	if (i < n)
		cfg_warn(p, &t[i], "access_log: acl conditions are not "
			 "supported; every request is logged");
	p->access_log.set = 1;
	p->access_log.file = t[1].file;
	p->access_log.line = t[1].line;
	p->c->access_log = strcmp(path, "none") == 0 ? NULL :
	    ar_strdup(p->ar, path);
}

static void
set_cache_log(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_string(p, t, n, &p->c->cache_log, 0);
}

static void
log_defaults(struct cfg_parse *p)
{
	p->c->access_log = ar_strdup(p->ar, "/var/log/tproxyd/access.log");
	p->c->cache_log = ar_strdup(p->ar, "/var/log/tproxyd/cache.log");
}

static const struct cfg_dir dirs[] = {
	{ "access_log",			set_access_log },
	{ "cache_log",			set_cache_log },
};

const struct cfg_dirtab cfg_dirs_log = {
	.module		= "log",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= log_defaults,
};
