/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tproxyd.c - the running tproxyd, the part of Squid's TPROXY v4 guide's
 * Troubleshooting that is about the proxy itself:
 *   tproxyd.running     a process named tproxyd runs in this network
 *                       namespace;
 *   tproxyd.listen.*    it listens on each tproxy port with IP_TRANSPARENT,
 *                       and no other program holds the port ("commBind:
 *                       cannot bind socket ... (99)": another program
 *                       already using the port; TPROXY traffic on a port
 *                       without the tproxy flag);
 *   tproxyd.capability  it holds CAP_NET_RAW or CAP_NET_ADMIN ("Squid not
 *                       spoofing the client IP", "Stopping full
 *                       transparency: Error enabling needed capabilities").
 *
 * Where the facts come from: processes named tproxyd in this network
 * namespace (/proc/PID/comm and /proc/PID/ns/net); their listening sockets
 * and IP_TRANSPARENT from `ss -Hltnp --inet-sockopt` (the kernel's
 * inet_diag reports the transparent flag); capabilities from
 * /proc/PID/status; when it is not running, the last start in its
 * cache_log tells if it lacked one.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config-t.h"

#include "checks.h"

/* tproxyd's default configuration file (the Makefile's, from PREFIX). */
#ifndef TPROXYD_CONF
#define TPROXYD_CONF "/etc/tproxyd/tproxyd.conf"
#endif

static int
same_netns(pid_t pid)
{
	char a[64], b[64], path[64];
	ssize_t r1, r2;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	r1 = readlink(path, a, sizeof(a) - 1);
	r2 = readlink("/proc/self/ns/net", b, sizeof(b) - 1);
	if (r1 <= 0 || r2 <= 0)
		return 0;
	a[r1] = b[r2] = '\0';
	return strcmp(a, b) == 0;
}

static size_t
find_tproxyd(pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL && n < max) {
		char path[300], comm[64] = "";
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
		rstrip(comm);
		if (strcmp(comm, "tproxyd") == 0 &&
		    same_netns((pid_t)atoi(de->d_name)))
			pids[n++] = (pid_t)atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

static unsigned long long
proc_caps(pid_t pid, const char *field, char *user, size_t un)
{
	struct sbuf st = { 0 };
	char path[64], key[32];
	const char *p;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(key, sizeof(key), "\n%s:", field);
	if (read_file(path, &st) == 0) {
		if ((p = strstr(sbuf_str(&st), key)) != NULL)
			v = strtoull(p + strlen(key), NULL, 16);
		if (user && (p = strstr(sbuf_str(&st), "\nUid:")) != NULL) {
			unsigned uid = 0;

			sscanf(p + 5, "%*u %u", &uid);
			snprintf(user, un, "uid %u", uid);
		}
	}
	sbuf_free(&st);
	return v;
}

/* The lines of cache_log since the last "Starting tproxyd": a capability
 * error there says why the last start failed. */
static int
last_start_cap_error(const struct cfg *c, char *line, size_t n)
{
	struct sbuf b = { 0 };
	const char *p, *start;
	int found = 0;

	if (c == NULL || c->cache_log == NULL || read_file(c->cache_log,
							   &b) < 0) {
		sbuf_free(&b);
		return 0;
	}
	start = sbuf_str(&b);
	for (p = start; (p = strstr(p, "Starting tproxyd")) != NULL; p++)
		start = p;
	if ((p = strstr(start, "CAP_NET_")) != NULL) {
		const char *bol = p, *eol = p + strcspn(p, "\n");

		while (bol > start && bol[-1] != '\n')
			bol--;
		snprintf(line, n, "%.*s", (int)(eol - bol), bol);
		found = 1;
	}
	sbuf_free(&b);
	return found;
}

void
dr_check_tproxyd(const struct plan_opts *o, const struct cfg *c,
	      const char *conf_path)
{
	pid_t pids[16];
	size_t np = find_tproxyd(pids, 16), i, k;
	char fix[600], id[64], user[32] = "";
	char *ssargv[] = { (char *)"ss", (char *)"-Hltnp",
			   (char *)"--inet-sockopt", NULL };
	struct sbuf ss = { 0 };
	unsigned ports[32];
	size_t nports = 0;

	snprintf(fix, sizeof(fix), "start it: tproxyd -f %s (or systemctl "
		 "start tproxyd)", conf_path ? conf_path : TPROXYD_CONF);
	if (np)
		dr_add(ST_PASS, "tproxyd.running", NULL, "tproxyd is running "
		    "(pid %d) in this network namespace", (int)pids[0]);
	else
		dr_add(ST_FAIL, "tproxyd.running", fix, "tproxyd is not "
		    "running in this network namespace");

	/* Listening, with IP_TRANSPARENT, on each tproxy port (both
	 * mappings', both families'). */
	{
		unsigned tmp[32];
		size_t n = dr_tproxy_ports(o, c, PLAN_V4, tmp, 32);

		for (i = 0; i < n; i++)
			ports[nports++] = tmp[i];
		n = dr_tproxy_ports(o, c, PLAN_V6, tmp, 32);
		for (i = 0; i < n && nports < 32; i++) {
			for (k = 0; k < nports; k++)
				if (ports[k] == tmp[i])
					break;
			if (k == nports)
				ports[nports++] = tmp[i];
		}
	}
	run_cmd(ssargv, NULL, &ss, NULL);
	for (k = 0; k < nports; k++) {
		const char *p;
		int listening = 0, ours = 0, transparent = 0;
		char other[128] = "";

		for (p = sbuf_str(&ss); *p; p += strcspn(p, "\n") +
		     (p[strcspn(p, "\n")] ? 1 : 0)) {
			char l[1024], local[128] = "", *colon;
			const char *next;
			unsigned port;

			snprintf(l, sizeof(l), "%.*s", (int)strcspn(p, "\n"),
				 p);
			if (strncmp(l, "LISTEN", 6) != 0)
				continue;
			sscanf(l, "%*s %*s %*s %127s", local);
			colon = strrchr(local, ':');
			if (colon == NULL)
				continue;
			port = (unsigned)strtoul(colon + 1, NULL, 10);
			if (port != ports[k])
				continue;
			listening = 1;
			next = p + strcspn(p, "\n");
			if (strstr(l, "\"tproxyd\"")) {
				ours = 1;
				if (*next && strncmp(next + 1, "\t", 1) == 0 &&
				    strstr(next + 1, "transparent") &&
				    strstr(next + 1, "transparent") <
				    next + 1 + strcspn(next + 1, "\n"))
					transparent = 1;
			} else {
				snprintf(other, sizeof(other), "%.100s", l);
			}
		}
		snprintf(id, sizeof(id), "tproxyd.listen.%u", ports[k]);
		if (ours && transparent)
			dr_add(ST_PASS, id, NULL, "tproxyd listens on port %u "
			    "with IP_TRANSPARENT", ports[k]);
		else if (ours)
			dr_add(ST_FAIL, id, dr_port_is_https(o, c, ports[k]) ==
			    1 ? "add the tproxy flag: `https_port PORT tproxy "
			    "ssl-bump`, then restart tproxyd" : "add the "
			    "tproxy flag: `http_port PORT tproxy`, then "
			    "restart tproxyd", "tproxyd listens on port %u "
			    "without IP_TRANSPARENT", ports[k]);
		else if (listening)
			dr_add(ST_FAIL, id, "stop the other program, or choose "
			    "another tproxy port", "port %u is held by another "
			    "program: %s", ports[k], other);
		else
			dr_add(ST_FAIL, id, fix, "nothing listens on tproxy "
			    "port %u", ports[k]);
	}
	sbuf_free(&ss);

	/* The capability IP_TRANSPARENT needs. */
	snprintf(fix, sizeof(fix), "start tproxyd as root (it keeps "
		 "CAP_NET_RAW when it drops privileges), or grant it: systemd "
		 "AmbientCapabilities=CAP_NET_RAW, or setcap cap_net_raw+ep "
		 "on the tproxyd binary");
	if (np) {
		unsigned long long eff = proc_caps(pids[0], "CapEff", user,
						   sizeof(user));

		if (eff & ((1ULL << 12) | (1ULL << 13)))
			dr_add(ST_PASS, "tproxyd.capability", NULL, "tproxyd "
			    "(pid %d, %s) holds %s", (int)pids[0], user,
			    eff & (1ULL << 13) ? "CAP_NET_RAW" :
			    "CAP_NET_ADMIN");
		else
			dr_add(ST_FAIL, "tproxyd.capability", fix, "tproxyd "
			    "(pid %d, %s) holds neither CAP_NET_RAW nor "
			    "CAP_NET_ADMIN: it cannot open spoofed "
			    "connections", (int)pids[0], user);
	} else {
		char line[512];

		if (last_start_cap_error(c, line, sizeof(line)))
			dr_add(ST_FAIL, "tproxyd.capability", fix, "capability "
			    "missing: tproxyd's last start failed: %s", line);
		else
			dr_add(ST_WARN, "tproxyd.capability", fix, "cannot "
			    "tell whether tproxyd gets CAP_NET_RAW while it is "
			    "not running");
	}
}
