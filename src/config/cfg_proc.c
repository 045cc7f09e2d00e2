/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_proc.c - the process: workers and their CPUs, descriptor and
 * connection limits, the pid file, the user to run as and how long a
 * shutdown may take. Read by src/core/ (and tproxyctl for the pid file).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg-int.h"
#include "config/config.h"

/* A positive count (max_filedescriptors, client_connection_limit). */
static void
set_count(struct cfg_parse *p, const struct tok *t, size_t n,
	  unsigned long lo, unsigned *out)
{
	unsigned long v;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	if (cfg_number(t[1].s, lo, 10000000, &v) < 0) {
		cfg_err(p, &t[1], "%s: expected a number from %lu to 10000000, "
			"got '%s'", t[0].s, lo, t[1].s);
		return;
	}
	*out = (unsigned)v;
}

/* workers N | auto (Squid's SMP directive). */
static void
set_workers(struct cfg_parse *p, const struct tok *t, size_t n)
{
	long ncpu;

	if (cfg_nargs(p, t, n, 1, 1) < 0)
		return;
	if (strcmp(t[1].s, "auto") == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		p->c->workers = ncpu > 0 && ncpu <= 64 ? (unsigned)ncpu : 1;
		return;
	}
	set_count(p, t, n, 1, &p->c->workers);
	if (p->c->workers > 64) {
		cfg_err(p, &t[1], "workers: at most 64");
		p->c->workers = 1;
	}
}

/* Parse "N,N,..." (each 1..64) into out; returns the count or -1. */
static int
number_list(const char *s, unsigned *out, unsigned max)
{
	unsigned long v;
	char buf[16];
	unsigned k = 0;
	const char *e;
	size_t l;

	while (*s) {
		e = strchr(s, ',');
		l = e ? (size_t)(e - s) : strlen(s);
		if (l == 0 || l >= sizeof(buf) || k == max)
			return -1;
		memcpy(buf, s, l);
		buf[l] = '\0';
		if (cfg_number(buf, 1, 64, &v) < 0)
			return -1;
		out[k++] = (unsigned)v;
		s += l + (e != NULL);
	}
	return (int)k;
}

/* cpu_affinity_map process_numbers=1,2 cores=1,2 (Squid: both 1-based). */
static void
set_cpu_affinity_map(struct cfg_parse *p, const struct tok *t, size_t n)
{
	struct cfg *c = p->c;
	int nk = -1, nc = -1;
	size_t i;

	if (cfg_nargs(p, t, n, 2, 2) < 0)
		return;
	for (i = 1; i < n; i++) {
		if (strncmp(t[i].s, "process_numbers=", 16) == 0)
			nk = number_list(t[i].s + 16, c->cpu_map_kid, 64);
		else if (strncmp(t[i].s, "cores=", 6) == 0)
			nc = number_list(t[i].s + 6, c->cpu_map_core, 64);
		else {
			cfg_err(p, &t[i], "cpu_affinity_map: expected "
				"process_numbers=N,... and cores=N,..., got "
				"'%s'", t[i].s);
			return;
		}
	}
	if (nk < 0 || nc < 0 || nk != nc) {
		cfg_err(p, &t[1], "cpu_affinity_map: process_numbers= and "
			"cores= need lists of numbers 1..64 of the same "
			"length");
		return;
	}
	c->ncpu_map = (unsigned)nk;
}

static void
set_max_filedescriptors(struct cfg_parse *p, const struct tok *t, size_t n)
{
	set_count(p, t, n, 64, &p->c->max_filedescriptors);
}

static void
set_client_connection_limit(struct cfg_parse *p, const struct tok *t,
			    size_t n)
{
	set_count(p, t, n, 1, &p->c->client_connection_limit);
}

static void
set_pid_filename(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_string(p, t, n, &p->c->pid_filename, 1);
}

static void
set_cache_effective_user(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_string(p, t, n, &p->c->cache_effective_user, 0);
}

static void
set_shutdown_lifetime(struct cfg_parse *p, const struct tok *t, size_t n)
{
	cfg_set_time(p, t, n, &p->c->shutdown_lifetime);
}

/* Squid's defaults. cache_effective_user NULL means "proxy" (core/priv.c). */
static void
proc_defaults(struct cfg_parse *p)
{
	struct cfg *c = p->c;

	c->pid_filename = ar_strdup(p->ar, "/run/tproxyd/tproxyd.pid");
	c->shutdown_lifetime = 30;
	c->workers = 1;
}

static const struct cfg_dir dirs[] = {
	{ "workers",			set_workers },
	{ "cpu_affinity_map",		set_cpu_affinity_map },
	{ "max_filedescriptors",	set_max_filedescriptors },
	{ "max_filedesc",		set_max_filedescriptors },
	{ "client_connection_limit",	set_client_connection_limit },
	{ "pid_filename",		set_pid_filename },
	{ "cache_effective_user",	set_cache_effective_user },
	{ "shutdown_lifetime",		set_shutdown_lifetime },
};

const struct cfg_dirtab cfg_dirs_proc = {
	.module		= "proc",
	.dir		= dirs,
	.ndir		= CFG_NELEM(dirs),
	.defaults	= proc_defaults,
};
