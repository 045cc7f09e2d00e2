/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysctl.c - the sysctls setup needs (Squid's TPROXY v4 guide, "Routing
 * configuration"), read and written under /proc/sys.
 *
 *   net.ipv4.ip_forward = 1                 (IPv4)
 *   net.ipv6.conf.all.forwarding = 1        (IPv6)
 *   net.ipv4.conf.{all,default,IF}.rp_filter = 0   (IPv4; IPv6 has none)
 *   net.bridge.bridge-nf-call-{iptables,ip6tables,arptables} = 0  (bridge:
 *       the guide's "ebtables on a Bridging device" sets every
 *       /proc/sys/net/bridge entry to 0 so that bridged frames do not go
 *       through the IP hooks a second time)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "plan.h"

static void
add(struct plan *p, int fam, const char *what, const char *key,
    const char *val)
{
	char line[256];
	struct step *s;

	snprintf(line, sizeof(line), "%s=%s", key, val);
	s = plan_add(p, STEP_SYSCTL, fam, what,
		     argv_new("sysctl", "-w", line, NULL), NULL);
	s->key = xstrdup(key);
	s->value = xstrdup(val);
}

static int
listed(const struct plan_opts *o, const char *ifn, size_t upto)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (strcmp(o->iface[i], ifn) == 0)
			return 1;
	return 0;
}

void
sysctl_plan(const struct plan_opts *o, struct plan *p)
{
	char key[128];
	size_t i;

	if (o->families & PLAN_V4) {
		add(p, PLAN_V4, "route packets between interfaces",
		    "net.ipv4.ip_forward", "1");
		add(p, PLAN_V4, "no reverse-path filter (all)",
		    "net.ipv4.conf.all.rp_filter", "0");
		add(p, PLAN_V4, "no reverse-path filter (default)",
		    "net.ipv4.conf.default.rp_filter", "0");
		for (i = 0; i < o->niface; i++) {
			if (listed(o, o->iface[i], i))
				continue;
			sysctl_if_key("net.ipv4.conf", o->iface[i],
				      "rp_filter", key, sizeof(key));
			add(p, PLAN_V4, "no reverse-path filter on a capturing "
			    "interface", key, "0");
		}
		if (o->bridge && !listed(o, o->br_dev, o->niface)) {
			sysctl_if_key("net.ipv4.conf", o->br_dev,
				      "rp_filter", key, sizeof(key));
			add(p, PLAN_V4, "no reverse-path filter on the bridge",
			    key, "0");
		}
	}
	if (o->families & PLAN_V6)
		add(p, PLAN_V6, "route IPv6 packets between interfaces",
		    "net.ipv6.conf.all.forwarding", "1");
	if (o->bridge) {
		add(p, 0, "bridged frames skip the IP hooks (Squid TPROXY "
		    "guide: /proc/sys/net/bridge/* = 0)",
		    "net.bridge.bridge-nf-call-iptables", "0");
		add(p, 0, "bridged frames skip the IPv6 hooks",
		    "net.bridge.bridge-nf-call-ip6tables", "0");
		add(p, 0, "bridged frames skip the ARP hooks",
		    "net.bridge.bridge-nf-call-arptables", "0");
	}
}

void
sysctl_if_key(const char *prefix, const char *ifname, const char *leaf,
	      char *key, size_t n)
{
	size_t off = (size_t)snprintf(key, n, "%s.", prefix), i;

	for (i = 0; ifname[i] && off + 1 < n; i++)
		key[off++] = ifname[i] == '.' ? '/' : ifname[i];
	key[off < n ? off : n - 1] = '\0';
	if (off < n)
		snprintf(key + off, n - off, ".%s", leaf);
}

/*
 * /proc/sys path of a dotted key. As sysctl(8) reads it, a '/' in a key
 * written with dots stands for a '.' in the path (an interface name:
 * net.ipv4.conf.lan/100.rp_filter is /proc/sys/net/ipv4/conf/lan.100/
 * rp_filter). State files from before that form wrote the interface's
 * dots as they are; a rp_filter key is split by hand for them.
 */
static void
key_path(const char *key, char *path, size_t n)
{
	static const char conf[] = "net.ipv4.conf.";
	size_t klen = strlen(key), i, off;

	if (strchr(key, '/') == NULL &&
	    strncmp(key, conf, sizeof(conf) - 1) == 0 && klen > 10 &&
	    strcmp(key + klen - 10, ".rp_filter") == 0) {
		snprintf(path, n, "/proc/sys/net/ipv4/conf/%.*s/rp_filter",
			 (int)(klen - 10 - (sizeof(conf) - 1)),
			 key + sizeof(conf) - 1);
		return;
	}
	off = (size_t)snprintf(path, n, "/proc/sys/");
	for (i = 0; key[i] && off + 1 < n; i++)
		path[off++] = key[i] == '.' ? '/' : key[i] == '/' ? '.' :
			key[i];
	path[off] = '\0';
}

int
sysctl_read(const char *key, char *val, size_t n)
{
	char path[256];
	ssize_t r;
	int fd;

	key_path(key, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, val, n - 1);
	close(fd);
	if (r < 0)
		return -errno;
	val[r] = '\0';
	rstrip(val);
	return 0;
}

int
sysctl_write(const char *key, const char *val)
{
	char path[256];
	size_t len = strlen(val);
	int fd, e;

	key_path(key, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != (ssize_t)len) {
		e = errno;
		close(fd);
		return -e;
	}
	if (close(fd) < 0)
		return -errno;
	return 0;
}
