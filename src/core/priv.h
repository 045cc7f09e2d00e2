/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * priv.h - privileges: the one place in tproxyd that knows about Linux
 * capabilities (and the only user of libcap).
 *
 * Start-up order the callers follow:
 *
 *   1. parse the configuration; it records whether any http_port is tproxy
 *      or spoofs client addresses (needs_transparent) and whether listeners
 *      on ports < 1024 must be re-opened on reconfigure (needs_low_port);
 *   2. if needs_transparent: priv_probe_transparent() for each address
 *      family in use, and refuse to start with its message if it fails;
 *   3. open the listeners (the transparent ones get IP_TRANSPARENT now);
 *   4. priv_drop() -- before any thread exists, see below;
 *   5. log priv_describe() once, then serve.
 *
 * Facts the design relies on (verified on Linux 6.18 by experiment, see the
 * comment above priv_transparent_cap_name() in priv.c for the commands):
 *
 *   - IP_TRANSPARENT and IPV6_TRANSPARENT are accepted with CAP_NET_RAW
 *     alone; CAP_NET_ADMIN also works but grants far more (routes, firewall,
 *     interfaces), so CAP_NET_RAW is the capability we keep.
 *   - The capability is checked only when the option is set. A socket that
 *     already has IP_TRANSPARENT keeps binding to non-local addresses,
 *     connecting from them and accepting intercepted connections after every
 *     capability is dropped. The capability is needed after start-up only
 *     to make NEW transparent sockets, i.e. for spoofed server-side
 *     connections and for listeners re-opened on reconfigure.
 *
 * All functions fill a caller's err buffer (may be NULL when errlen is 0)
 * instead of printing; errors are negative errno values.
 */
#ifndef TPROXYD_CORE_PRIV_H
#define TPROXYD_CORE_PRIV_H

#include <stddef.h>

/*
 * Can a socket of this family (AF_INET: IP_TRANSPARENT, AF_INET6:
 * IPV6_TRANSPARENT) be made transparent right now? Creates one TCP socket,
 * sets the option, closes it.
 *
 * Returns 0; -EPERM when the process lacks the capability, with a message
 * naming it and the three ways to grant it (run as root, systemd
 * AmbientCapabilities=, setcap on this binary's path); -EAFNOSUPPORT when the
 * family is not available (e.g. IPv6 disabled); -EINVAL for another family;
 * another -errno if socket() itself fails. The message is written to err only
 * on failure.
 */
int priv_probe_transparent(int family, char *err, size_t errlen);

/*
 * Drop privileges for serving. Call once, from the main thread, before any
 * other thread is created: capability sets are per thread on Linux and
 * libcap changes only the calling thread's.
 *
 * Kept capabilities, permitted and effective, nothing else:
 *   needs_transparent  the one IP_TRANSPARENT needs: CAP_NET_RAW, or
 *                      CAP_NET_ADMIN when the kernel refuses CAP_NET_RAW for
 *                      it (old kernels) or only CAP_NET_ADMIN is held;
 *                      priv_transparent_cap_name() tells which afterwards.
 *   needs_low_port     CAP_NET_BIND_SERVICE, for listeners on ports < 1024
 *                      that are re-opened on reconfigure.
 *
 * Started as root (effective uid 0): switch to user (NULL: "proxy" if that
 * user exists, else "nobody"): its primary group, initgroups() for the
 * supplementary groups, real/effective/saved ids all set (setresgid,
 * setresuid) with PR_SET_KEEPCAPS so the kept capabilities survive. A user
 * that resolves to uid 0 is refused (-EPERM).
 *
 * Started as another user: the user is not changed (user is ignored, as
 * Squid ignores cache_effective_user when not started as root); the sets are
 * reduced to exactly the kept capabilities, since systemd
 * AmbientCapabilities= or file capabilities may have granted more. A needed
 * capability that is not held is an error (-EPERM, message says how to
 * grant it).
 *
 * In both cases: the inheritable and ambient sets are cleared, every
 * capability not kept is removed from the bounding set when we may
 * (CAP_SETPCAP held; otherwise the bounding set is left as it is), and
 * PR_SET_NO_NEW_PRIVS is set so nothing exec'd later can gain privileges.
 *
 * Returns 0 or -errno with a message in err. Errors detected before any
 * change (unknown user, user is root, capability not held) leave the process
 * untouched; a failure after the identity change is partial and the caller
 * must exit.
 */
int priv_drop(const char *user, int needs_transparent, int needs_low_port,
    char *err, size_t errlen);

/*
 * The netfilter mark (tcp_outgoing_mark, clientside_mark: SO_MARK) is
 * needed for the process's life: call priv_set_needs_mark(1) before
 * priv_drop() and it keeps the capability SO_MARK needs as well (the one
 * it keeps for IP_TRANSPARENT when the kernel takes it for both:
 * CAP_NET_RAW since Linux 5.17, else CAP_NET_ADMIN), or fails with a
 * message naming it. priv_probe_mark() tries SO_MARK on a throw-away
 * socket now: 0, or -errno with a message (-EPERM: the capability is
 * missing; e.g. a -k reconfigure that adds a mark after the drop).
 */
void priv_set_needs_mark(int on);
int priv_probe_mark(char *err, size_t errlen);

/*
 * Name of the capability kept for IP_TRANSPARENT, as used in systemd units
 * and messages: "CAP_NET_RAW" by default, or "CAP_NET_ADMIN" after a
 * priv_drop() that had to fall back to it. Static storage.
 */
const char *priv_transparent_cap_name(void);

/*
 * For the start-up log line: effective user and group (name and id) and the
 * capability sets in libcap text form, e.g.
 *   "user proxy (13), group proxy (13), capabilities cap_net_raw=ep"
 * "capabilities none" when all sets are empty. Always NUL-terminates out
 * (n > 0); truncates silently.
 */
void priv_describe(char *out, size_t n);

/*
 * For a forked child about to exec a helper program: clear every
 * capability set (permitted, effective, inheritable, ambient), drop the
 * supplementary groups when allowed (it needs CAP_SETGID, which serving
 * processes do not keep: then the groups of cache_effective_user stay,
 * but never group 0), and set PR_SET_NO_NEW_PRIVS. Only system calls, no
 * allocation (safe after fork() in a threaded process). 0 or -errno.
 */
int priv_child_drop(void);
/* Before execve() of tproxyd's new program (-k upgrade): keep the
 * capabilities held now across it (ambient). Returns 0 or -errno. */
int priv_keep_across_exec(void);

#endif
