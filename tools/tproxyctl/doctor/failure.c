/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * failure.c - what clients get when tproxyd does not take their
 * connections (--on-failure, `tproxyctl watch`).
 *
 * failure.mode: on-failure open lets clients go direct while tproxyd is
 * stopped, hung or overloaded, past every http_access deny and ssl_bump
 * terminate rule of the configuration: a WARN when there are such rules.
 * failure.watch: whether `tproxyctl watch` runs in this network
 * namespace. Without it a hung or overloaded tproxyd leaves clients
 * waiting, and with iptables a stopped one too (TPROXY drops what it
 * cannot deliver): a WARN when on-failure closed was asked for, the
 * setting that promises a quick refusal.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config-t.h"

#include "../util.h"
#include "checks.h"

/* The first deny rule (http_access deny, ssl_bump terminate) of c, or
 * NULL; *n counts them all. */
static const struct access_rule *
first_deny(const struct cfg *c, size_t *n)
{
	const struct access_rule *first = NULL;
	size_t i;

	*n = 0;
	for (i = 0; i < c->http_access.n; i++)
		if (!c->http_access.rule[i].allow) {
			if (first == NULL)
				first = &c->http_access.rule[i];
			(*n)++;
		}
	for (i = 0; i < c->tls.ssl_bump.n; i++)
		if (c->tls.ssl_bump.rule[i].allow == SSLB_TERMINATE) {
			if (first == NULL)
				first = &c->tls.ssl_bump.rule[i];
			(*n)++;
		}
	return first;
}

/* 1 if a `tproxyctl watch` process shares this network namespace. */
static int
watch_running(void)
{
	struct stat self, other;
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (stat("/proc/self/ns/net", &self) < 0 ||
	    (d = opendir("/proc")) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		char path[300], buf[256];
		size_t len;
		FILE *f;
		char *arg1, *base;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
		arg1 = buf + strlen(buf) + 1;
		if (arg1 >= buf + len || strcmp(base, "tproxyctl") != 0 ||
		    strcmp(arg1, "watch") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (stat(path, &other) == 0 && other.st_ino == self.st_ino &&
		    other.st_dev == self.st_dev)
			found = 1;
	}
	closedir(d);
	return found;
}

void
dr_check_failure(const struct plan_opts *o, const struct cfg *c,
		 const char *conf_path)
{
	const struct access_rule *deny = NULL;
	char fix[600];
	size_t ndeny = 0;
	int watch = watch_running();

	if (c)
		deny = first_deny(c, &ndeny);
	if (o->on_failure == PLAN_FAIL_CLOSED) {
		dr_add(ST_PASS, "failure.mode", NULL, "on-failure closed: "
		    "when tproxyd does not take a connection, the client "
		    "gets a TCP reset");
	} else if (deny) {
		dr_fix_setup(fix, sizeof(fix), conf_path, o);
		snprintf(fix + strlen(fix), sizeof(fix) - strlen(fix),
			 " --on-failure closed");
		dr_add(ST_WARN, "failure.mode", fix, "on-failure open: while "
		    "tproxyd is stopped, hung or overloaded, clients go "
		    "direct, past the configuration's %zu deny rule(s) "
		    "(http_access deny, ssl_bump terminate; first at %s:%d); "
		    "sites that enforce a policy want on-failure closed",
		    ndeny, deny->file ? deny->file : "?", deny->line);
	} else {
		dr_add(ST_PASS, "failure.mode", NULL, "on-failure open: when "
		    "tproxyd does not take a connection, the client goes "
		    "direct");
	}
	if (watch)
		dr_add(ST_PASS, "failure.watch", NULL, "tproxyctl watch runs: "
		    "a stopped, hung or overloaded tproxyd is noticed within "
		    "its interval, and vanished rules are put back");
	else if (o->on_failure == PLAN_FAIL_CLOSED)
		dr_add(ST_WARN, "failure.watch", NULL, "tproxyctl watch is not "
		    "running here: %s; start it next to tproxyd (`tproxyctl "
		    "watch`, normally from its systemd unit)",
		    o->backend == PLAN_IPT ? "when tproxyd stops, hangs or "
		    "is overloaded, clients time out instead of being "
		    "refused (iptables' TPROXY drops what it cannot deliver)"
		    : "when tproxyd hangs or is overloaded, clients time out "
		    "instead of being refused");
	else
		dr_add(ST_PASS, "failure.watch", NULL, "tproxyctl watch is not "
		    "running: %s", o->backend == PLAN_IPT ? "with iptables, "
		    "clients time out while tproxyd is stopped (TPROXY drops "
		    "what it cannot deliver) until it runs" : "a stopped "
		    "tproxyd lets clients go direct (nftables' tproxy does "
		    "not match without a listener), a hung one leaves them "
		    "waiting");
}
