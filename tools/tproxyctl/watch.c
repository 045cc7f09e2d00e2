/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch.c - `tproxyctl watch`, the watchdog systemd runs next to tproxyd.
 *
 * Every --interval it reads the kernel's list of listening TCP sockets
 * (netlink sock_diag, what `ss -ltn` shows: Recv-Q is the accept queue)
 * and decides for each tproxy port of the last setup whether tproxyd
 * takes its connections (watch_health.c). When a port fails, the
 * intercepted ports that go to it are put in tproxyctl's failed set,
 * consulted before the TPROXY rules: such connections are routed on, so
 * clients go direct (--on-failure open) or get a TCP reset from the
 * forward-path rule setup added (--on-failure closed). When the port is
 * healthy again they are taken out.
 *
 *   nft:      elements of `set failed4` / `set failed6` in table inet
 *             tproxyd (`tcp dport @failed4 accept` after the socket rule)
 *   iptables: rules `-p tcp --dports ... -j ACCEPT` in the mangle chain
 *             TPROXYD_FAILED (jumped to before the TPROXY rules), written
 *             with one iptables-restore --noflush, so the change is atomic
 *
 * Every second it also checks that tproxyctl's rules are still there (a
 * reload of nftables.service runs `nft flush ruleset`) and puts the
 * netfilter rules and the policy routing back from the state file when
 * they are not, with one log line; and whether the state file changed
 * (a new setup: watch that one; removed by a teardown: put nothing back).
 *
 * Messages are single lines on stderr (the journal under systemd). It
 * changes nothing else, and SIGTERM ends it with status 0 leaving the
 * rules (and the failed set) as they are: `tproxyctl teardown` removes
 * them.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "nft.h"
#include "plan.h"
#include "state.h"
#include "repair.h"
#include "watch.h"

#define MAX_LSN     256
#define RULES_EVERY 1000	/* ms between two checks of the rules */

/* One listening socket, as sock_diag reports it. */
struct lsn {
	int      family;	/* AF_INET, AF_INET6 */
	unsigned port;
	unsigned queued;	/* accept queue length (Recv-Q) */
	int      v6only;
};

/* One tproxy port of one family, and the intercepted ports it takes. */
struct target {
	int               fam;	/* PLAN_V4, PLAN_V6 */
	unsigned          port;
	unsigned          dport[PLAN_MAX_PORTS * PLAN_NKIND];
	size_t            ndport;
	struct watch_port h;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	fputs("tproxyctl watch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
}

/* Whether port is one of the nt targets' tproxy ports. */
static int
wanted(const struct target *t, size_t nt, unsigned port)
{
	size_t i;

	for (i = 0; i < nt; i++)
		if (t[i].port == port)
			return 1;
	return 0;
}

/*
 * Dump the listening TCP sockets of one family on the targets' ports
 * into l (up to max, from *n on; sockets on other ports, however many,
 * are skipped). Returns 0 or -errno. fd is a NETLINK_SOCK_DIAG socket.
 */
static int
diag_dump(int fd, int family, const struct target *t, size_t nt,
	  struct lsn *l, size_t max, size_t *n)
{
	struct {
		struct nlmsghdr         nlh;
		struct inet_diag_req_v2 r;
	} req;
	static unsigned seq;
	char buf[32768];
	ssize_t len;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = ++seq;
	req.r.sdiag_family = (unsigned char)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = 1U << 10;	/* TCP_LISTEN */
	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h;

		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return len < 0 ? -errno : -EIO;
		for (h = (struct nlmsghdr *)(void *)buf;
		     NLMSG_OK(h, (unsigned)len); h = NLMSG_NEXT(h, len)) {
			struct inet_diag_msg *m;
			struct rtattr *a;
			unsigned alen;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -EIO;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    *n == max)
				continue;
			m = NLMSG_DATA(h);
			if (!wanted(t, nt, ntohs(m->id.idiag_sport)))
				continue;
			l[*n].family = m->idiag_family;
			l[*n].port = ntohs(m->id.idiag_sport);
			l[*n].queued = m->idiag_rqueue;
			l[*n].v6only = 0;
			alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (a = (struct rtattr *)(void *)(m + 1);
			     RTA_OK(a, alen); a = RTA_NEXT(a, alen))
				if (a->rta_type == INET_DIAG_SKV6ONLY)
					l[*n].v6only =
						*(unsigned char *)RTA_DATA(a);
			(*n)++;
		}
	}
}

/*
 * Whether a socket takes TPROXY's connections of family fam to port, and
 * the longest accept queue among those that do (several with
 * SO_REUSEPORT: one stuck worker is enough to leave clients waiting).
 * An IPv6 socket without IPV6_V6ONLY takes IPv4 too.
 */
static int
port_state(const struct lsn *l, size_t n, int fam, unsigned port,
	   unsigned *queued)
{
	size_t i;
	int found = 0;

	*queued = 0;
	for (i = 0; i < n; i++) {
		if (l[i].port != port)
			continue;
		if (fam == PLAN_V4 && !(l[i].family == AF_INET ||
					(l[i].family == AF_INET6 &&
					 !l[i].v6only)))
			continue;
		if (fam == PLAN_V6 && l[i].family != AF_INET6)
			continue;
		found = 1;
		if (l[i].queued > *queued)
			*queued = l[i].queued;
	}
	return found;
}

/* The (family, tproxy port) pairs of o, each with its intercepted
 * ports. Returns how many. */
static size_t
targets(const struct plan_opts *o, struct target *t, size_t max)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	size_t n = 0, i, k, d, j;

	for (i = 0; i < 2; i++)
		for (k = 0; k < PLAN_NKIND; k++) {
			const struct plan_target *to = plan_map_to(o, k,
								    fams[i]);
			const struct plan_map *m = &o->map[k];

			if (to == NULL)
				continue;
			for (j = 0; j < n; j++)
				if (t[j].fam == fams[i] &&
				    t[j].port == to->port)
					break;
			if (j == n) {
				if (n == max)
					continue;
				memset(&t[n], 0, sizeof(t[n]));
				t[n].fam = fams[i];
				t[n].port = to->port;
				t[n].h.busy_since = -1;
				t[n].h.listening = 1;
				n++;
			}
			for (d = 0; d < m->ndport; d++)
				t[j].dport[t[j].ndport++] = m->dport[d];
		}
	return n;
}

/* The intercepted ports of family fam that are failed now, into out. */
static size_t
failed_ports(const struct target *t, size_t nt, int fam, unsigned *out,
	     size_t max)
{
	size_t n = 0, i, d, j;

	for (i = 0; i < nt; i++) {
		if (t[i].fam != fam || !t[i].h.failed)
			continue;
		for (d = 0; d < t[i].ndport; d++) {
			for (j = 0; j < n; j++)
				if (out[j] == t[i].dport[d])
					break;
			if (j == n && n < max)
				out[n++] = t[i].dport[d];
		}
	}
	return n;
}

/* Write the failed set(s) to the kernel; 0 or -1 (message printed). */
static int
write_failed(const struct plan_opts *o, const struct target *t, size_t nt)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	unsigned port[PLAN_MAX_PORTS * PLAN_NKIND], all[PLAN_MAX_PORTS * 2];
	char list[sizeof(port) / sizeof(port[0]) * 8];
	struct sbuf script = { 0 }, err = { 0 };
	size_t i, n, k;
	int rc = 0;

	for (i = 0; i < 2; i++) {
		if (!(o->families & fams[i]) ||
		    plan_all_dports(o, fams[i], all, sizeof(all) /
				    sizeof(all[0])) == 0)
			continue;
		n = failed_ports(t, nt, fams[i], port,
				 sizeof(port) / sizeof(port[0]));
		plan_format_ports(port, n, ",", list, sizeof(list));
		if (o->backend == PLAN_NFT) {
			const char *set = fams[i] == PLAN_V4 ?
				PLAN_NFT_FAILED4 : PLAN_NFT_FAILED6;

			sbuf_printf(&script, "flush set inet " PLAN_NFT_TABLE
				    " %s\n", set);
			if (n)
				sbuf_printf(&script, "add element inet "
					    PLAN_NFT_TABLE " %s { %s }\n",
					    set, list);
			continue;
		}
		/* iptables: one atomic restore per family; multiport takes
		 * at most 15 ports a rule. */
		sbuf_reset(&script);
		sbuf_add(&script, "*mangle\n-F " PLAN_IPT_FAILED "\n");
		for (k = 0; k < n; k += 15) {
			plan_format_ports(port + k, n - k > 15 ? 15 : n - k,
					  ",", list, sizeof(list));
			sbuf_printf(&script, "-A " PLAN_IPT_FAILED " -p tcp "
				    "-m multiport --dports %s -j ACCEPT\n",
				    list);
		}
		sbuf_add(&script, "COMMIT\n");
		{
			char **argv = argv_new(fams[i] == PLAN_V4 ?
					       "iptables-restore" :
					       "ip6tables-restore", "-w",
					       "--noflush", NULL);

			if (run_cmd(argv, sbuf_str(&script), NULL,
				    &err) != 0) {
				say("cannot update %s: %s", PLAN_IPT_FAILED,
				    sbuf_str(&err));
				rc = -1;
			}
			argv_free(argv);
			sbuf_reset(&err);
		}
	}
	if (o->backend == PLAN_NFT && sbuf_str(&script)[0] &&
	    nft_apply(sbuf_str(&script), &err) < 0) {
		if (err.p)
			rstrip(err.p);
		say("cannot update the failed set: %s", sbuf_str(&err));
		rc = -1;
	}
	sbuf_free(&script);
	sbuf_free(&err);
	return rc;
}

/* Whether tproxyctl's capture rules are in the kernel. */
static int
rules_present(const struct plan_opts *o)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	size_t i;
	int rc;

	if (o->backend == PLAN_NFT) {
		char **argv = argv_new("nft", "list", "chain", "inet",
				       PLAN_NFT_TABLE, "prerouting", NULL);

		rc = run_cmd(argv, NULL, NULL, NULL);
		argv_free(argv);
		return rc == 0;
	}
	for (i = 0; i < 2; i++) {
		char **argv;

		if (!(o->families & fams[i]))
			continue;
		argv = argv_new(fams[i] == PLAN_V4 ? "iptables" : "ip6tables",
				"-w", "-t", "mangle", "-C", "PREROUTING", "-j",
				PLAN_IPT_CHAIN, NULL);
		rc = run_cmd(argv, NULL, NULL, NULL);
		argv_free(argv);
		if (rc != 0)
			return 0;
		if (o->on_failure != PLAN_FAIL_CLOSED)
			continue;
		/* A reload of a filter-table firewall takes only this. */
		argv = argv_new(fams[i] == PLAN_V4 ? "iptables" : "ip6tables",
				"-w", "-t", "filter", "-C", "FORWARD", "-j",
				PLAN_IPT_CLOSED, NULL);
		rc = run_cmd(argv, NULL, NULL, NULL);
		argv_free(argv);
		if (rc != 0)
			return 0;
	}
	return 1;
}

/* Put back the netfilter rules and policy routing of p (each step
 * leaves alone what is already there); sysctls are not touched. */
static int
restore(const struct plan *p, struct state *st)
{
	struct journal j = { 0 };	/* nothing is rolled back here */
	struct sbuf err = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n && rc >= 0; i++) {
		const struct step *s = &p->step[i];

		switch (s->kind) {
		case STEP_SYSCTL:
			continue;
		case STEP_NFT:
			rc = nft_apply(s->input, &err);
			break;
		case STEP_IP_RULE:
			rc = repair_ip_rule(s, st, 0, &j, &err);
			break;
		case STEP_IP_ROUTE:
			rc = repair_ip_route(s, st, 0, &j, &err);
			break;
		default:
			rc = ipt_apply(s, &err);
			break;
		}
	}
	if (rc < 0) {
		if (err.p)
			rstrip(err.p);
		say("cannot put the rules back: %s", sbuf_str(&err));
	}
	journal_free(&j);
	sbuf_free(&err);
	return rc < 0 ? -1 : 0;
}

static const char *
outcome(const struct plan_opts *o)
{
	return o->on_failure == PLAN_FAIL_CLOSED ?
		"clients are refused (on-failure closed)" :
		"clients go direct (on-failure open)";
}

static int
ms_arg(const char *name, const char *v, long long *out)
{
	char *end;
	long long x;

	if (v == NULL) {
		fprintf(stderr, "tproxyctl: %s needs a value\n", name);
		return -1;
	}
	x = strtoll(v, &end, 10);
	if (*end || end == v || x < 10 || x > 600000) {
		fprintf(stderr, "tproxyctl: bad %s '%s' (milliseconds, "
			"10..600000)\n", name, v);
		return -1;
	}
	*out = x;
	return 0;
}

/* One round: read the listeners, update every port, log and write what
 * changed. force: write the failed set even if nothing changed. Returns
 * -1 when the set could not be written (to be tried again), else 0. */
static int
check_ports(int *fd, const struct plan_opts *o, struct target *t,
	    size_t nt, long long overload_ms, int force)
{
	struct lsn l[MAX_LSN];
	size_t n = 0, i;
	int changed = force, rc;

	if (*fd < 0)
		*fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			     NETLINK_SOCK_DIAG);
	rc = *fd < 0 ? -errno : diag_dump(*fd, AF_INET, t, nt, l, MAX_LSN,
					   &n);
	if (rc == 0)
		rc = diag_dump(*fd, AF_INET6, t, nt, l, MAX_LSN, &n);
	if (rc < 0) {
		/* Not knowing is not a failure of tproxyd: leave the set
		 * as it is, and start again with a fresh socket. */
		say("cannot read the listening sockets (sock_diag): %s",
		    strerror(-rc));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return 0;
	}
	for (i = 0; i < nt; i++) {
		unsigned q;
		int lis = port_state(l, n, t[i].fam, t[i].port, &q);
		long long busy = t[i].h.busy_since;

		if (!watch_step(&t[i].h, lis, q, now_ms(), overload_ms))
			continue;
		changed = 1;
		if (t[i].h.failed && !lis)
			say("tproxy port %u (%s) not listening: %s",
			    t[i].port, plan_family_name(t[i].fam),
			    outcome(o));
		else if (t[i].h.failed)
			say("tproxy port %u (%s) not accepting: %u "
			    "connection(s) waiting for %lld ms (tproxyd hung "
			    "or overloaded): %s", t[i].port,
			    plan_family_name(t[i].fam), q, now_ms() - busy,
			    outcome(o));
		else
			say("tproxy port %u (%s) accepting again: clients are "
			    "intercepted again", t[i].port,
			    plan_family_name(t[i].fam));
	}
	return changed ? write_failed(o, t, nt) : 0;
}

int
watch_lock(const char *state_path, int exclusive)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s.lock", state_path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, exclusive ? LOCK_EX : LOCK_SH | LOCK_NB) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What the watchdog works from: the last setup's options, its plan (to
 * put rules back) and the health of each tproxy port. */
struct watch {
	const char     *path;
	struct state    st;
	struct plan     p;
	struct target   t[PLAN_MAX_PORTS * 2];
	size_t          nt;
	struct timespec mtime;	/* of the state file when loaded */
	int             gone;	/* the state file is gone (teardown) */
};

/*
 * (Re)load the state file into w. Ports that stay keep their health.
 * Returns 0, 1 when the file is gone (w->gone set, nothing else
 * changed), or -1 with a message printed (w unchanged).
 */
static int
load_setup(struct watch *w)
{
	struct target old[PLAN_MAX_PORTS * 2];
	struct state st = { 0 };
	struct plan p = { 0 };
	struct sbuf err = { 0 };
	struct stat sb;
	char msg[512];
	size_t nold = w->nt, i, k;
	int rc;

	if (stat(w->path, &sb) < 0 && errno == ENOENT) {
		w->gone = 1;
		return 1;
	}
	rc = state_load(w->path, &st, &err);
	if (rc == -ENOENT) {
		w->gone = 1;
		sbuf_free(&err);
		return 1;
	}
	if (rc < 0 || !st.have_opts ||
	    plan_build(&st.opts, &p, msg, sizeof(msg)) < 0) {
		if (err.p)
			rstrip(err.p);
		say("cannot use %s: %s", w->path, rc < 0 ? sbuf_str(&err) :
		    !st.have_opts ? "no setup recorded in it" : msg);
		plan_free(&p);
		state_free(&st);
		sbuf_free(&err);
		return -1;
	}
	sbuf_free(&err);
	memcpy(old, w->t, sizeof(old));
	plan_free(&w->p);
	state_free(&w->st);
	w->st = st;
	w->p = p;
	w->mtime = sb.st_mtim;
	w->gone = 0;
	w->nt = targets(&w->st.opts, w->t, sizeof(w->t) / sizeof(w->t[0]));
	for (i = 0; i < w->nt; i++)
		for (k = 0; k < nold; k++)
			if (old[k].fam == w->t[i].fam &&
			    old[k].port == w->t[i].port)
				w->t[i].h = old[k].h;
	return 0;
}

/* Whether the state file was replaced or removed since it was loaded. */
static int
setup_changed(const struct watch *w)
{
	struct stat sb;

	if (stat(w->path, &sb) < 0)
		return !w->gone;
	return w->gone || sb.st_mtim.tv_sec != w->mtime.tv_sec ||
		sb.st_mtim.tv_nsec != w->mtime.tv_nsec;
}

int
watch_main(int argc, char **argv)
{
	long long interval = WATCH_INTERVAL_MS, overload = WATCH_OVERLOAD_MS;
	long long last_rules = 0;
	static struct watch w;
	struct sigaction sa;
	int i, fd = -1, force = 1;

	w.path = STATE_DEFAULT;
	for (i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: tproxyctl watch [--state FILE] "
			       "[--interval MS] [--overload-after MS]\n");
			return 0;
		} else if (!strcmp(argv[i], "--state") && v) {
			w.path = v;
		} else if (!strcmp(argv[i], "--interval")) {
			if (ms_arg(argv[i], v, &interval) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--overload-after")) {
			if (ms_arg(argv[i], v, &overload) < 0)
				return 2;
		} else {
			fprintf(stderr, "tproxyctl: usage: tproxyctl watch "
				"[--state FILE] [--interval MS] "
				"[--overload-after MS]\n");
			return 2;
		}
		i++;
	}
	if (load_setup(&w) != 0) {
		fprintf(stderr, "tproxyctl watch: no setup recorded in %s "
			"(run `tproxyctl setup` first)\n", w.path);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stderr, NULL, _IOLBF, 0);
	say("watching tproxy port(s) of %s every %lld ms (not accepting for "
	    "%lld ms counts as failed); on failure %s", w.path, interval,
	    overload, outcome(&w.st.opts));
	while (!stop) {
		long long now = now_ms();
		struct timespec ts;

		if (now - last_rules >= RULES_EVERY) {
			last_rules = now;
			/* A new setup (or a teardown) while running: follow
			 * it; after a teardown nothing is put back. */
			if (setup_changed(&w)) {
				int was_gone = w.gone;

				if (load_setup(&w) == 1 && !was_gone)
					say("%s is gone (tproxyctl teardown?): "
					    "not putting rules back until a "
					    "new setup", w.path);
				else if (!w.gone)
					say("%s changed: watching the new "
					    "setup; on failure %s", w.path,
					    outcome(&w.st.opts));
				force = 1;
			}
			if (!w.gone && !rules_present(&w.st.opts)) {
				/* Not while setup or teardown runs, and not
				 * after a teardown. */
				int lk = watch_lock(w.path, 0);

				if (lk >= 0 && !setup_changed(&w)) {
					say("tproxyctl's rules are gone (a "
					    "reload of the firewall?): putting "
					    "them back from %s", w.path);
					if (restore(&w.p, &w.st) == 0)
						force = 1;
				}
				if (lk >= 0)
					close(lk);
			}
		}
		if (!w.gone)
			force = check_ports(&fd, &w.st.opts, w.t, w.nt,
					    overload, force) < 0;
		ts.tv_sec = interval / 1000;
		ts.tv_nsec = (interval % 1000) * 1000000;
		nanosleep(&ts, NULL);	/* EINTR: a signal, stop */
	}
	say("stopping; the rules stay in place (`tproxyctl teardown` "
	    "removes them)");
	if (fd >= 0)
		close(fd);
	plan_free(&w.p);
	state_free(&w.st);
	return 0;
}
