/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * priv.c - probe for and keep the capability transparent proxying needs,
 * drop everything else. The only file in tproxyd that uses libcap.
 *
 * Modelled on nginx's worker start-up (PR_SET_KEEPCAPS, setuid, then capset
 * of one capability when proxy_bind ... transparent is configured) and on
 * Squid's restoreCapabilities(), but with messages that say what to do.
 */
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/priv.h"

/*
 * Which capability IP_TRANSPARENT needs, and for how long.
 *
 * The kernel accepts either CAP_NET_RAW or CAP_NET_ADMIN (in the socket's
 * network namespace's user namespace) when IP_TRANSPARENT is set
 * (net/ipv4/ip_sockglue.c) and likewise for IPV6_TRANSPARENT
 * (net/ipv6/ipv6_sockglue.c). Older kernels are said to accept only
 * CAP_NET_ADMIN (not verified here); the fallback below covers them.
 * CAP_NET_ADMIN also lets a process rewrite routes, firewall rules and
 * interfaces; CAP_NET_RAW "only" allows raw and packet sockets. So we keep
 * CAP_NET_RAW, and fall back to CAP_NET_ADMIN only when the running kernel
 * refuses CAP_NET_RAW for it or CAP_NET_ADMIN is all we were given;
 * priv_drop()
 * decides by trying, not by kernel version.
 *
 * Evidence, Linux 6.18, as root, a program that sets IP_TRANSPARENT and
 * IPV6_TRANSPARENT on fresh TCP sockets:
 *
 *   setpriv --reuid=nobody --regid=nogroup --clear-groups ./probe
 *       IP_TRANSPARENT: Operation not permitted
 *       IPV6_TRANSPARENT: Operation not permitted
 *   setpriv ... --inh-caps=+net_raw --ambient-caps=+net_raw ./probe
 *       IP_TRANSPARENT: ok            IPV6_TRANSPARENT: ok
 *   setpriv ... --inh-caps=+net_admin --ambient-caps=+net_admin ./probe
 *       IP_TRANSPARENT: ok            IPV6_TRANSPARENT: ok
 *
 * The check happens only in setsockopt(); bind(), connect(), listen() and
 * accept() test the socket's transparent flag, not the caller's
 * capabilities, nf_tproxy looks for a listener with that flag, and accepted
 * sockets inherit it. tests/priv/priv_check shows it, after priv_drop()
 * with nothing kept (uid proxy, CapEff/CapPrm/CapBnd 0), on sockets made
 * transparent before the drop (--premade):
 *   - bind() to the non-local 198.18.99.1 succeeds (EADDRNOTAVAIL without
 *     IP_TRANSPARENT), while a fresh socket in the same process gets EPERM
 *     from setsockopt(IP_TRANSPARENT);
 *   - --handshake, in a namespace routing 198.18.99.0/24 locally from a
 *     policy table: connect() from 198.18.99.1 to a listener bound to
 *     198.18.99.2 completes and the listener sees peer 198.18.99.1;
 *   - --intercept 3129, the same plus nft "ip daddr 198.18.99.5 tcp dport
 *     80 tproxy to 127.0.0.1:3129": the transparent listener on
 *     127.0.0.1:3129 accepts the client's connection to 198.18.99.5:80,
 *     peer 198.18.99.1, getsockname() 198.18.99.5:80 (without the rule the
 *     connect times out: the control).
 * See tests/blackbox/test_priv.py, which runs all three.
 * Consequence: the capability is needed after start-up only to create new
 * transparent sockets (spoofed server-side connections, listeners
 * re-opened on reconfigure), which is what would let a privileged helper
 * hand out pre-made transparent sockets (relayd's IMSG_BINDANY design).
 */
static cap_value_t transp_cap = CAP_NET_RAW;

/*
 * The netfilter mark (SO_MARK, for tcp_outgoing_mark and clientside_mark)
 * is checked the same way, on every setsockopt(): since Linux 5.17 either
 * CAP_NET_RAW or CAP_NET_ADMIN will do (net/core/sock.c), before that
 * only CAP_NET_ADMIN. Evidence, Linux 6.18, as root, a program that sets
 * SO_MARK on a fresh TCP socket:
 *
 *   setpriv --reuid=nobody --regid=nogroup --clear-groups ./probe
 *       SO_MARK: Operation not permitted
 *   setpriv ... --inh-caps=+net_raw --ambient-caps=+net_raw ./probe
 *       SO_MARK: ok
 *   setpriv ... --inh-caps=+net_admin --ambient-caps=+net_admin ./probe
 *       SO_MARK: ok
 *
 * Unlike IP_TRANSPARENT, every marked connection needs it again, so the
 * capability must stay for the process's life. One capability serves
 * both: the same choice (CAP_NET_RAW if the kernel takes it for all that
 * is needed, else CAP_NET_ADMIN) is made by trying.
 */
static int needs_mark;

static void
errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The capabilities this file deals in, under the three spellings users
 * meet: systemd units, setcap(8), docker --cap-add. */
static const struct {
	cap_value_t v;
	const char *upper, *lower, *bare;
} cap_names[] = {
	{ CAP_NET_RAW, "CAP_NET_RAW", "cap_net_raw", "NET_RAW" },
	{ CAP_NET_ADMIN, "CAP_NET_ADMIN", "cap_net_admin", "NET_ADMIN" },
	{ CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE",
	  "cap_net_bind_service", "NET_BIND_SERVICE" },
};

static int
cap_index(cap_value_t v)
{
	size_t i;

	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (cap_names[i].v == v)
			return (int)i;
	return 0;	/* not reached: only the above are ever passed */
}

static const char *
cap_upper(cap_value_t v)
{
	return cap_names[cap_index(v)].upper;
}

/* This binary's path for the setcap hint; a placeholder if unknown. */
static const char *
self_path(char *buf, size_t n)
{
	ssize_t len;

	len = readlink("/proc/self/exe", buf, n - 1);
	if (len <= 0)
		return "/path/to/tproxyd";
	buf[len] = '\0';
	return buf;
}

/*
 * The "how to grant it" sentence shared by every missing-capability message.
 * When we run as root and still lack it, the bounding set (a container or
 * systemd CapabilityBoundingSet=) removed it: then that is what to fix.
 */
static void
grant_hint(char *out, size_t n, cap_value_t v)
{
	int i = cap_index(v);
	char path[4096];

	if (geteuid() == 0 && cap_get_bound(v) == 0) {
		snprintf(out, n, "tproxyd runs as root but %s is not in its "
		    "capability bounding set: allow it in the container "
		    "(e.g. docker --cap-add=%s) or in the unit's "
		    "CapabilityBoundingSet=", cap_names[i].upper,
		    cap_names[i].bare);
		return;
	}
	snprintf(out, n, "start tproxyd as root (it keeps only the "
	    "capabilities it needs), or grant %s: systemd "
	    "AmbientCapabilities=%s, or `setcap %s+ep %s`",
	    cap_names[i].upper, cap_names[i].upper,
	    cap_names[i].lower, self_path(path, sizeof(path)));
}

/*
 * Set IP(V6)_TRANSPARENT on a throw-away socket. Returns 0 or -errno; no
 * message (the public wrapper writes it).
 */
static int
try_transparent(int family)
{
	int fd, one = 1, rc = 0;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET)
		rc = setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
	else
		rc = setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one,
		    sizeof(one));
	if (rc < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Set SO_MARK on a throw-away socket. Returns 0 or -errno. */
static int
try_mark(void)
{
	int fd, rc = 0;
	unsigned mark = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

void
priv_set_needs_mark(int on)
{
	needs_mark = on != 0;
}

int
priv_probe_mark(char *err, size_t errlen)
{
	char hint[4608];
	int rc;

	rc = try_mark();
	if (rc == 0)
		return 0;
	if (rc == -EPERM) {
		grant_hint(hint, sizeof(hint), transp_cap);
		errf(err, errlen, "tcp_outgoing_mark/clientside_mark: cannot "
		    "set the netfilter mark (SO_MARK): missing capability %s "
		    "(kernels before 5.17 need CAP_NET_ADMIN); connections "
		    "would leave unmarked; %s", cap_upper(transp_cap), hint);
	} else {
		errf(err, errlen, "tcp_outgoing_mark/clientside_mark: cannot "
		    "set the netfilter mark (SO_MARK): %s", strerror(-rc));
	}
	return rc;
}

int
priv_probe_transparent(int family, char *err, size_t errlen)
{
	const char *opt;
	char hint[4608];
	int rc;

	if (family == AF_INET)
		opt = "IP_TRANSPARENT";
	else if (family == AF_INET6)
		opt = "IPV6_TRANSPARENT";
	else {
		errf(err, errlen, "transparent proxying: unsupported address "
		    "family %d", family);
		return -EINVAL;
	}
	rc = try_transparent(family);
	if (rc == 0)
		return 0;
	if (rc == -EPERM) {
		grant_hint(hint, sizeof(hint), transp_cap);
		errf(err, errlen, "cannot set %s: missing capability %s "
		    "(CAP_NET_ADMIN would also do, but grants far more); %s",
		    opt, cap_upper(transp_cap), hint);
	} else if (rc == -EAFNOSUPPORT) {
		errf(err, errlen, "cannot set %s: %s sockets are not supported "
		    "on this host (IPv6 disabled?)", opt,
		    family == AF_INET ? "IPv4" : "IPv6");
	} else {
		errf(err, errlen, "cannot set %s: %s", opt, strerror(-rc));
	}
	return rc;
}

const char *
priv_transparent_cap_name(void)
{
	return cap_upper(transp_cap);
}

static int
has_cap(cap_t c, cap_value_t v, cap_flag_t set)
{
	cap_flag_value_t x = CAP_CLEAR;

	return cap_get_flag(c, v, set, &x) == 0 && x == CAP_SET;
}

/*
 * With only capability v effective (permitted untouched, so reversible),
 * can both families be made transparent (transp) and can the mark be set
 * (mark)? IPv6 being absent does not count against v. Restores cur
 * afterwards. Returns 1 yes, 0 no, -errno when the sets cannot be changed
 * or restored.
 */
static int
works_with_only(cap_t cur, cap_value_t v, int transp, int mark)
{
	cap_t t;
	int ok, rc6;

	t = cap_dup(cur);
	if (t == NULL)
		return -errno;
	if (cap_clear_flag(t, CAP_EFFECTIVE) < 0 ||
	    cap_set_flag(t, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 ||
	    cap_set_proc(t) < 0) {
		ok = -errno;
		cap_free(t);
		return ok;
	}
	cap_free(t);
	ok = 1;
	if (transp) {
		ok = try_transparent(AF_INET) == 0;
		rc6 = try_transparent(AF_INET6);
		if (rc6 != 0 && rc6 != -EAFNOSUPPORT)
			ok = 0;
	}
	if (mark && try_mark() != 0)
		ok = 0;
	if (cap_set_proc(cur) < 0)
		return -errno;
	return ok;
}

/*
 * Pick the capability to keep for IP_TRANSPARENT (transp) and SO_MARK
 * (mark) from those permitted: CAP_NET_RAW if it does the job, else
 * CAP_NET_ADMIN. Returns 0 with *out set, or -errno with a message.
 */
static int
choose_transparent_cap(cap_t cur, int transp, int mark, cap_value_t *out,
    char *err, size_t errlen)
{
	static const cap_value_t cand[] = { CAP_NET_RAW, CAP_NET_ADMIN };
	char hint[4608];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		if (!has_cap(cur, cand[i], CAP_PERMITTED))
			continue;
		rc = works_with_only(cur, cand[i], transp, mark);
		if (rc < 0) {
			errf(err, errlen, "cannot change capability sets: %s",
			    strerror(-rc));
			return rc;
		}
		if (rc == 1) {
			*out = cand[i];
			return 0;
		}
	}
	grant_hint(hint, sizeof(hint), CAP_NET_RAW);
	errf(err, errlen, "%s needs capability CAP_NET_RAW (or, on kernels "
	    "before 5.17 for the mark, CAP_NET_ADMIN) to set %s, and this "
	    "process does not hold it; %s", transp && mark ? "transparent "
	    "proxying with tcp_outgoing_mark/clientside_mark" : transp ?
	    "transparent proxying" : "tcp_outgoing_mark/clientside_mark",
	    transp && mark ? "IP_TRANSPARENT and SO_MARK" : transp ?
	    "IP_TRANSPARENT" : "SO_MARK (connections would leave unmarked)",
	    hint);
	return -EPERM;
}

/*
 * Remove from the bounding set everything not in keep[]. Needs CAP_SETPCAP
 * effective; without it in the permitted set we leave the bounding set
 * alone (a non-root process cannot gain capabilities at execve beyond its
 * file capabilities anyway, and NO_NEW_PRIVS stops even that).
 */
static int
drop_bounding(cap_t cur, const cap_value_t *keep, int nkeep)
{
	cap_value_t v, max;
	int i, kept;

	if (!has_cap(cur, CAP_SETPCAP, CAP_PERMITTED))
		return 0;
	max = cap_max_bits();
	for (v = 0; v < max; v++) {
		for (kept = 0, i = 0; i < nkeep; i++)
			kept |= keep[i] == v;
		if (kept || cap_get_bound(v) != 1)
			continue;
		if (cap_drop_bound(v) < 0)
			return -errno;
	}
	return 0;
}

int
priv_drop(const char *user, int needs_transparent, int needs_low_port,
    char *err, size_t errlen)
{
	cap_value_t keep[2];
	char name[256], hint[4608];
	struct passwd *pw;
	uid_t ruid, euid, suid, uid = 0;
	gid_t gid = 0;
	cap_t orig = NULL, cur = NULL, want = NULL;
	cap_value_t chosen = CAP_NET_RAW;
	int nkeep = 0, as_root, changed = 0, rc;

	if (getresuid(&ruid, &euid, &suid) < 0) {
		rc = -errno;
		errf(err, errlen, "getresuid: %s", strerror(-rc));
		return rc;
	}
	/* Any id 0 left behind would let the process become root again. */
	as_root = ruid == 0 || euid == 0 || suid == 0;

	/* Resolve everything and decide before changing anything. */
	if (as_root) {
		if (user == NULL) {
			errno = 0;
			pw = getpwnam("proxy");
			if (pw == NULL)
				pw = getpwnam("nobody");
			if (pw == NULL) {
				errf(err, errlen, "cache_effective_user not "
				    "set and neither user 'proxy' nor 'nobody' "
				    "exists");
				return -ENOENT;
			}
		} else {
			errno = 0;
			pw = getpwnam(user);
			if (pw == NULL) {
				rc = errno != 0 ? -errno : -ENOENT;
				errf(err, errlen, "cache_effective_user '%s': "
				    "%s", user, rc == -ENOENT ?
				    "no such user" : strerror(-rc));
				return rc;
			}
		}
		if (pw->pw_uid == 0) {
			errf(err, errlen, "cache_effective_user '%s' is root; "
			    "refusing to serve as root: name an unprivileged "
			    "user", pw->pw_name);
			return -EPERM;
		}
		if (snprintf(name, sizeof(name), "%s", pw->pw_name) >=
		    (int)sizeof(name)) {
			errf(err, errlen, "user name too long");
			return -ENAMETOOLONG;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}

	orig = cap_get_proc();
	if (orig != NULL)
		cur = cap_dup(orig);
	if (cur == NULL) {
		rc = -errno;
		errf(err, errlen, "cap_get_proc: %s", strerror(-rc));
		goto out;
	}
	/* Everything permitted becomes effective for the steps below. */
	if (cap_fill(cur, CAP_EFFECTIVE, CAP_PERMITTED) < 0 ||
	    cap_set_proc(cur) < 0) {
		rc = -errno;
		errf(err, errlen, "cannot raise permitted capabilities: %s",
		    strerror(-rc));
		goto out;
	}
	if (needs_transparent || needs_mark) {
		rc = choose_transparent_cap(cur, needs_transparent,
		    needs_mark, &chosen, err, errlen);
		if (rc < 0)
			goto out;
		keep[nkeep++] = chosen;
	}
	if (needs_low_port) {
		if (!has_cap(cur, CAP_NET_BIND_SERVICE, CAP_PERMITTED)) {
			grant_hint(hint, sizeof(hint), CAP_NET_BIND_SERVICE);
			errf(err, errlen, "listening on ports below 1024 after "
			    "start-up needs capability CAP_NET_BIND_SERVICE, "
			    "and this process does not hold it; %s", hint);
			rc = -EPERM;
			goto out;
		}
		keep[nkeep++] = CAP_NET_BIND_SERVICE;
	}

	/* From here on a failure leaves the process half-changed. */
	changed = 1;
	rc = drop_bounding(cur, keep, nkeep);
	if (rc < 0) {
		errf(err, errlen, "cannot reduce the capability bounding set: "
		    "%s", strerror(-rc));
		goto out;
	}
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0) {
		rc = -errno;
		errf(err, errlen, "cannot clear ambient capabilities: %s",
		    strerror(-rc));
		goto out;
	}
	if (as_root) {
		/* Keep the permitted set across the uid change; the
		 * effective set is emptied by it and set again below. */
		if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0) {
			rc = -errno;
			errf(err, errlen, "prctl(PR_SET_KEEPCAPS): %s",
			    strerror(-rc));
			goto out;
		}
		if (initgroups(name, gid) < 0) {
			rc = -errno;
			errf(err, errlen, "initgroups(%s, %u): %s", name,
			    (unsigned)gid, strerror(-rc));
			goto out;
		}
		if (setresgid(gid, gid, gid) < 0) {
			rc = -errno;
			errf(err, errlen, "setresgid(%u): %s", (unsigned)gid,
			    strerror(-rc));
			goto out;
		}
		if (setresuid(uid, uid, uid) < 0) {
			rc = -errno;
			errf(err, errlen, "setresuid(%u) (user %s): %s",
			    (unsigned)uid, name, strerror(-rc));
			goto out;
		}
		prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	}

	/* Exactly the kept capabilities, permitted and effective; no
	 * inheritable ones. */
	want = cap_init();
	if (want == NULL ||
	    (nkeep > 0 &&
	     (cap_set_flag(want, CAP_PERMITTED, nkeep, keep, CAP_SET) < 0 ||
	      cap_set_flag(want, CAP_EFFECTIVE, nkeep, keep, CAP_SET) < 0)) ||
	    cap_set_proc(want) < 0) {
		rc = -errno;
		errf(err, errlen, "cannot set capabilities: %s",
		    strerror(-rc));
		goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0) {
		rc = -errno;
		errf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s",
		    strerror(-rc));
		goto out;
	}

	/* Trust, but verify: no way back to root, and the kept capability
	 * still does its job. */
	if (getresuid(&ruid, &euid, &suid) < 0 || ruid == 0 || euid == 0 ||
	    suid == 0) {
		errf(err, errlen, "still able to regain root after dropping "
		    "privileges");
		rc = -EPERM;
		goto out;
	}
	transp_cap = chosen;
	if (needs_transparent) {
		rc = priv_probe_transparent(AF_INET, err, errlen);
		if (rc < 0)
			goto out;
	}
	if (needs_mark) {
		rc = priv_probe_mark(err, errlen);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	/* Failed before changing anything for good: put back the effective
	 * set we raised, so "untouched" holds. */
	if (rc < 0 && !changed && orig != NULL)
		cap_set_proc(orig);
	if (want != NULL)
		cap_free(want);
	if (cur != NULL)
		cap_free(cur);
	if (orig != NULL)
		cap_free(orig);
	return rc;
}

void
priv_describe(char *out, size_t n)
{
	char ubuf[64], gbuf[64];
	const char *uname, *gname, *caps;
	struct passwd *pw;
	struct group *gr;
	char *text = NULL;
	cap_t c;
	uid_t uid;
	gid_t gid;

	if (n == 0)
		return;
	uid = geteuid();
	gid = getegid();
	pw = getpwuid(uid);
	if (pw != NULL && strlen(pw->pw_name) < sizeof(ubuf)) {
		snprintf(ubuf, sizeof(ubuf), "%s", pw->pw_name);
		uname = ubuf;
	} else {
		uname = "?";
	}
	gr = getgrgid(gid);
	if (gr != NULL && strlen(gr->gr_name) < sizeof(gbuf)) {
		snprintf(gbuf, sizeof(gbuf), "%s", gr->gr_name);
		gname = gbuf;
	} else {
		gname = "?";
	}
	c = cap_get_proc();
	if (c != NULL)
		text = cap_to_text(c, NULL);
	if (text == NULL)
		caps = "?";
	else if (strcmp(text, "=") == 0)
		caps = "none";	/* libcap's spelling of the empty set */
	else
		caps = text;
	snprintf(out, n, "user %s (%u), group %s (%u), capabilities %s",
	    uname, (unsigned)uid, gname, (unsigned)gid, caps);
	if (text != NULL)
		cap_free(text);
	if (c != NULL)
		cap_free(c);
}

/*
 * In a forked child, just before exec (helper programs): no capability in
 * any set, no supplementary group when the process may drop them, and no
 * way to gain privileges. Only raw system calls: the parent may have
 * threads (the disk I/O threads), so nothing here may allocate.
 */
int
priv_child_drop(void)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	gid_t g[64];
	int n, i;

	/* Dropping supplementary groups needs CAP_SETGID, which no serving
	 * process keeps: then the child keeps cache_effective_user's own
	 * groups (those initgroups() gave the daemon, as Squid's helpers). */
	if (setgroups(0, NULL) < 0) {
		n = getgroups(64, g);
		if (n < 0)
			return -errno;
		for (i = 0; i < n; i++)
			if (g[i] == 0)
				return -EPERM;	/* never root's group */
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) < 0 &&
	    errno != EINVAL)
		return -errno;
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
		return -errno;
	return 0;
}

/*
 * Before tproxyd executes its new program (-k upgrade) in this process:
 * an unprivileged process loses its permitted capabilities at execve()
 * unless they are ambient, so the ones kept by priv_drop() (CAP_NET_RAW
 * for transparent sockets, CAP_NET_BIND_SERVICE) are made inheritable and
 * ambient; the new program's priv_drop() clears the ambient set again.
 * A process still running as root keeps them anyway. Returns 0 or a
 * negative errno.
 */
int
priv_keep_across_exec(void)
{
	cap_flag_value_t f;
	cap_value_t v;
	cap_t c;
	int rc = 0;

	if (geteuid() == 0)
		return 0;
	c = cap_get_proc();
	if (c == NULL)
		return -errno;
	if (cap_fill(c, CAP_INHERITABLE, CAP_PERMITTED) < 0 ||
	    cap_set_proc(c) < 0) {
		rc = -errno;
		goto out;
	}
	for (v = 0; v <= CAP_LAST_CAP; v++)
		if (cap_get_flag(c, v, CAP_PERMITTED, &f) == 0 &&
		    f == CAP_SET && cap_set_ambient(v, CAP_SET) < 0)
			rc = -errno;
out:
	cap_free(c);
	return rc;
}
