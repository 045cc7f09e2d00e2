/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats_proc.c - this process's own figures for /metrics (Prometheus'
 * process_* metrics: CPU seconds, start time, memory, open descriptors
 * and their limit), read from /proc into the process's slot once a
 * second and before a scrape. Each serving process reads its own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "stats/stats.h"

int
stats_parse_pstat(const char *text, size_t len, struct stats_pstat *out)
{
	char tmp[1024], *p, *end;
	unsigned long long v;
	int field;

	/* The name (field 2) is in parentheses and may hold anything, ')'
	 * included: the fields after it start after the last ')'. */
	if (len >= sizeof(tmp))
		len = sizeof(tmp) - 1;
	memcpy(tmp, text, len);
	tmp[len] = '\0';
	p = strrchr(tmp, ')');
	if (p == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	p++;
	/* Field 3 (state) is a letter; numbers from field 4 on. */
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return -EINVAL;
	p++;
	for (field = 4; field <= 24; field++) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			return -EINVAL;
		v = strtoull(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = end;
		switch (field) {
		case 14: out->utime = v; break;
		case 15: out->stime = v; break;
		case 22: out->starttime = v; break;
		case 23: out->vsize = v; break;
		case 24: out->rss = v; break;
		default: break;
		}
	}
	return 0;
}

/* Read a small file of /proc into buf (NUL-terminated). Returns its
 * length or -1. */
static ssize_t
read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* When the machine booted, in seconds since the epoch (/proc/stat's
 * btime); 0 if unknown. */
static double
boot_time(void)
{
	static double bt = -1;
	char buf[8192], *p;

	if (bt >= 0)
		return bt;
	bt = 0;
	if (read_small("/proc/stat", buf, sizeof(buf)) < 0)
		return bt;
	p = strstr(buf, "\nbtime ");
	if (p != NULL)
		bt = (double)strtoull(p + 7, NULL, 10);
	return bt;
}

/* Descriptors open in this process: the entries of /proc/self/fd but
 * the one that reads it. */
static uint64_t
count_fds(void)
{
	struct dirent *e;
	uint64_t n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

void
stats_sample_self(void)
{
	struct stats_proc *pr = &stats.proc;
	struct stats_pstat ps;
	struct rlimit rl;
	char buf[1024];
	ssize_t n;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

	if (tck <= 0)
		tck = 100;
	if (page <= 0)
		page = 4096;
	n = read_small("/proc/self/stat", buf, sizeof(buf));
	if (n > 0 && stats_parse_pstat(buf, (size_t)n, &ps) == 0) {
		pr->cpu_seconds = (double)(ps.utime + ps.stime) / (double)tck;
		pr->start_time = boot_time() + (double)ps.starttime /
				 (double)tck;
		pr->vsize_bytes = ps.vsize;
		pr->rss_bytes = ps.rss * (uint64_t)page;
	}
	pr->open_fds = count_fds();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		pr->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX :
			      (uint64_t)rl.rlim_cur;
	pr->pid = (int32_t)getpid();
}
