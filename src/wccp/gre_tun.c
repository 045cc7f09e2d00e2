/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gre_tun.c - the GRE forwarding method without the kernel's GRE module:
 * a raw IPPROTO_GRE socket receives what the routers redirect, gre.c
 * checks and strips the outer IPv4, GRE and WCCPv2 redirect headers, and
 * the original packet is written to a TUN device (IFF_TUN | IFF_NO_PI).
 * The kernel then receives it on that device exactly as if it had come
 * from the wire: PREROUTING, the TPROXY rules (`iifname tpxwccp0 tcp
 * dport 80 tproxy ...`), the "fwmark -> local" policy routing, and the
 * socket lookup of the connections tproxyd already has. Nothing else is
 * done with the injected packets in user space.
 *
 * Packet return (wccp2_return_method gre, draft-wilson-wrec-wccp-v2-01
 * 4.13): before injecting, gre_return.c's flow table decides whether the
 * packet belongs to a connection this cache holds. One that does not (a
 * connection older than our bucket, whose segments the kernel would
 * answer with an RST) goes back to the router that redirected it, in the
 * same raw socket, GRE-encapsulated with its redirect header, and the
 * router forwards it normally. The table asks the kernel, through a
 * sock_diag netlink socket, about flows it has not seen open: the
 * kernel's socket table is the authority on which connections are ours.
 *
 * Why these checks: a raw GRE socket sees every GRE packet sent to this
 * host. Only packets from a configured wccp2_router are injected; anyone
 * else could otherwise put arbitrary packets on our receive path with
 * forged inner addresses. The TUN device has no address and rp_filter
 * is turned off on it, because the inner source (a client, or an origin
 * server for the return traffic) is routed through another interface.
 *
 * Privileges: socket(SOCK_RAW) needs CAP_NET_RAW and creating the TUN
 * device CAP_NET_ADMIN, so wccp2_gre_open() runs before the privilege
 * drop (the single process in wccp2_start(); the master of several
 * workers explicitly, kid1 inheriting the descriptors). -k upgrade hands
 * both to the new program (wccp2_gre_fds(), take_over()), which needs
 * neither capability then. A reconfigure
 * keeps them open (wccp2_gre_pause() + wccp2_gre_start()), and the flow
 * table with them. Sending returned packets uses the same raw socket;
 * the sock_diag socket needs no privilege and is opened by whichever
 * process runs WCCP (it sees every worker's connections: one network
 * namespace).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/inherit.h"
#include "event/loop.h"
#include "log/log.h"
#include "stats/stats.h"
#include "wccp/gre.h"
#include "wccp/wccp2.h"

#define GRE_BUDGET	64	/* packets per wake-up */
#define GRE_LOG_DROPS	20	/* drops logged at INFO, then DEBUG */
#define GRE_REPORT_S	60.0	/* period of the packet-return summary */
/* Flow table size: one entry per connection tproxyd can hold (each is a
 * descriptor), within these bounds; FLOWS_DEFAULT without a
 * max_filedescriptors line. */
#define GRE_FLOWS_MIN		4096u
#define GRE_FLOWS_MAX		(1u << 20)
#define GRE_FLOWS_DEFAULT	65536u

static struct {
	int             raw;		/* raw IPPROTO_GRE socket, or -1 */
	int             tun;		/* TUN device, or -1 */
	unsigned        ifindex;	/* of the TUN device we created */
	int             watching;
	struct evl_io   io;
	uint32_t       *router;		/* host order; accepted sources */
	size_t          nrouter;
	unsigned long   injected;
	unsigned long   dropped;
	/* packet return (wccp2_return_method gre) */
	int             ret;		/* on */
	int             draining;	/* shutting down: return new SYNs */
	struct wccp2_flowtab ft;	/* ft.cap == 0: not allocated */
	int             diag;		/* NETLINK_SOCK_DIAG socket, or -1 */
	uint32_t        diag_seq;
	int             diag_warned;
	uint32_t        src;		/* wccp2_address (host order), or 0:
					   the routing table picks */
	struct evl_timer report;
	int             report_on;
	unsigned long   returned;	/* packets given back */
	unsigned long   reported;	/* ... at the last summary */
	unsigned long   ret_failed;	/* could not be sent back */
	uint64_t        full_logged;	/* ft.full at the last warning */
	uint8_t         buf[65536];
} g = { .raw = -1, .tun = -1, .diag = -1 };

static int
uses_gre(const struct cfg *c)
{
	return c->wccp2.nrouter > 0 &&
	    c->wccp2.forwarding_method == WCCP2_METHOD_GRE;
}

/* Packet return is ours to do only when the packets come through our
 * decapsulator: GRE forwarding. With L2 forwarding they reach the
 * kernel unchanged and never pass here (see doc/wccp2.md). */
static int
uses_gre_return(const struct cfg *c)
{
	return uses_gre(c) && c->wccp2.return_method == WCCP2_METHOD_GRE;
}

/* Seconds of a clock that does not jump with the date (flow ages). */
static uint32_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_sec;
}

/* Write "0" to /proc/sys/net/ipv4/conf/<dev>/<key>. */
static int
sysctl_zero(const char *dev, const char *key)
{
	char path[128];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", dev,
		 key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "0\n", 2) != 2)
		rc = -errno;
	close(fd);
	return rc;
}

static int
sysctl_read(const char *dev, const char *key)
{
	char path[128], v[16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", dev,
		 key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, v, sizeof(v) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	v[n] = '\0';
	return atoi(v);
}

/* Create the TUN device and bring it up. Returns the fd, or -1 with the
 * reason in err. */
static int
tun_open(char *err, size_t size)
{
	struct ifreq ifr;
	int fd, s, rc, e;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, size, "cannot open /dev/net/tun: %s%s",
			 strerror(e), e == ENOENT || e == ENODEV ||
			 e == ENXIO ? " (no TUN device: the kernel's tun "
			 "module is missing or a sandbox hides the device)" :
			 e == EACCES ? " (its permissions do not let tproxyd's "
			 "user open it)" : e == EPERM ? " (the device is not "
			 "allowed: systemd's DeviceAllow= or a container's "
			 "device rules)" : "");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", WCCP2_GRE_TUN_NAME);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		snprintf(err, size, "cannot create the TUN device %s: %s%s",
			 WCCP2_GRE_TUN_NAME, strerror(e), e == EPERM ?
			 " (tproxyd needs the CAP_NET_ADMIN capability)" : "");
		close(fd);
		return -1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rc = s < 0 ? -1 : ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (rc < 0) {
		e = errno;
		snprintf(err, size, "cannot bring %s up: %s%s",
			 WCCP2_GRE_TUN_NAME, strerror(e), e == EPERM ?
			 " (tproxyd needs the CAP_NET_ADMIN capability)" : "");
		if (s >= 0)
			close(s);
		close(fd);
		return -1;
	}
	close(s);
	g.ifindex = if_nametoindex(WCCP2_GRE_TUN_NAME);
	/* The inner source is routed through another interface: strict
	 * reverse-path filtering on the TUN device would drop everything. */
	if ((rc = sysctl_zero(WCCP2_GRE_TUN_NAME, "rp_filter")) < 0)
		log_msg(LOG_CRIT, "WARNING: WCCPv2 GRE: cannot turn rp_filter "
			"off on %s: %s", WCCP2_GRE_TUN_NAME, strerror(-rc));
	if (sysctl_read("all", "rp_filter") > 0)
		log_msg(LOG_CRIT, "WARNING: WCCPv2 GRE: "
			"net.ipv4.conf.all.rp_filter is on; the kernel uses "
			"the larger of it and %s's (0), so redirected packets "
			"may be dropped", WCCP2_GRE_TUN_NAME);
	return fd;
}

/* -k upgrade: whether fd is the previous program's raw GRE socket. */
static int
is_raw_gre(int fd, const void *arg)
{
	int t, proto;
	socklen_t len = sizeof(t);

	(void)arg;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &len) < 0 ||
	    t != SOCK_RAW)
		return 0;
	len = sizeof(proto);
	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
	       proto == IPPROTO_GRE;
}

/* -k upgrade: whether fd is the previous program's TUN device. */
static int
is_our_tun(int fd, const void *arg)
{
	struct ifreq ifr;
	struct stat st;

	(void)arg;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	return ioctl(fd, TUNGETIFF, &ifr) == 0 &&
	       strcmp(ifr.ifr_name, WCCP2_GRE_TUN_NAME) == 0;
}

/* -k upgrade: take the raw socket and the TUN device over from the
 * previous program (which made them with privileges this one may not
 * have). The device is up and configured already. */
static void
take_over(void)
{
	int raw, tun;

	if (g.raw >= 0 || g.tun >= 0)
		return;
	raw = inherit_take_if(is_raw_gre, NULL);
	tun = inherit_take_if(is_our_tun, NULL);
	if (raw < 0 || tun < 0) {
		if (raw >= 0)
			close(raw);
		if (tun >= 0)
			close(tun);
		return;
	}
	fcntl(raw, F_SETFL, fcntl(raw, F_GETFL) | O_NONBLOCK);
	fcntl(tun, F_SETFL, fcntl(tun, F_GETFL) | O_NONBLOCK);
	g.raw = raw;
	g.tun = tun;
	g.ifindex = if_nametoindex(WCCP2_GRE_TUN_NAME);
	log_msg(LOG_CRIT, "Upgrade: WCCPv2 GRE forwarding goes on with the "
		"previous version's raw socket and %s", WCCP2_GRE_TUN_NAME);
}

size_t
wccp2_gre_fds(int *fds, size_t max)
{
	size_t n = 0;

	if (g.raw >= 0 && g.tun >= 0 && max >= 2) {
		fds[n++] = g.raw;
		fds[n++] = g.tun;
	}
	return n;
}

int
wccp2_gre_open(const struct cfg *c, char *err, size_t size)
{
	int pmtu, e;

	if (!uses_gre(c))
		return 0;
	if (inherit_active())
		take_over();
	if (g.raw < 0) {
		g.raw = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       IPPROTO_GRE);
		if (g.raw < 0) {
			e = errno;
			snprintf(err, size, "cannot open the raw GRE socket: "
				 "%s%s", strerror(e), e == EPERM ?
				 " (tproxyd needs the CAP_NET_RAW capability)"
				 : "");
			return -1;
		}
		/* A returned packet is as long as the redirected one was:
		 * let the kernel fragment the outer packet rather than
		 * refuse it (the router reassembles, as it does ours). */
		pmtu = IP_PMTUDISC_DONT;
		setsockopt(g.raw, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
			   sizeof(pmtu));
	}
	if (g.tun < 0 && (g.tun = tun_open(err, size)) < 0) {
		close(g.raw);
		g.raw = -1;
		return -1;
	}
	return 0;
}

const char *
wccp2_gre_down(void)
{
	struct ifreq ifr;
	unsigned idx;
	int s, rc;

	if (g.tun < 0)
		return "it is not open";
	idx = if_nametoindex(WCCP2_GRE_TUN_NAME);
	if (idx == 0 || idx != g.ifindex)
		return "the TUN device " WCCP2_GRE_TUN_NAME " was removed";
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", WCCP2_GRE_TUN_NAME);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return NULL;	/* cannot tell: assume it works */
	rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	close(s);
	if (rc == 0 && !(ifr.ifr_flags & IFF_UP))
		return "the TUN device " WCCP2_GRE_TUN_NAME " is down";
	return NULL;
}

static int
router_ok(uint32_t src)
{
	size_t i;

	for (i = 0; i < g.nrouter; i++)
		if (g.router[i] == src)
			return 1;
	return 0;
}

static void
drop(const char *why, uint32_t src)
{
	char a[16];

	g.dropped++;
	wccp2_ip_str(src, a, sizeof(a));
	log_msg(g.dropped <= GRE_LOG_DROPS ? LOG_INFO : LOG_DEBUG,
		"WCCPv2 GRE: dropping a packet from %s: %s (%lu dropped, %lu "
		"injected)", a, why, g.dropped, g.injected);
}


/* ---- packet return ---- */

static void return_close(void);

/* Open the sock_diag socket (no privilege needed). Returns fd or -1. */
static int
diag_open(void)
{
	struct sockaddr_nl sa;
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * wccp2_flow_lookup_fn: does the kernel hold a TCP connection whose
 * local side is s's destination and remote side s's source? An exact
 * sock_diag lookup (SOCK_DIAG_BY_FAMILY without NLM_F_DUMP), answered
 * synchronously inside the send, so the non-blocking receive finds the
 * answer at once. The kernel's lookup also matches listeners (a
 * connection-less socket on that port); those are not connections, so
 * LISTEN counts as no. Returns 1, 0 or a negative errno.
 */
static int
diag_lookup(void *arg, const struct wccp2_tcp_seg *s)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	union {
		struct nlmsghdr h;
		uint8_t b[8192];
	} rsp;
	struct sockaddr_nl to;
	struct nlmsghdr *h;
	ssize_t n;
	int tries;

	(void)arg;
	if (g.diag < 0)
		return -ENOTCONN;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = ++g.diag_seq;
	req.r.sdiag_family = AF_INET;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_sport = htons(s->dport);
	req.r.id.idiag_dport = htons(s->sport);
	req.r.id.idiag_src[0] = htonl(s->daddr);
	req.r.id.idiag_dst[0] = htonl(s->saddr);
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	memset(&to, 0, sizeof(to));
	to.nl_family = AF_NETLINK;
	if (sendto(g.diag, &req, sizeof(req), 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		return -errno;
	/* Skip any late answer to an earlier request (a lost race cannot
	 * happen with synchronous answers, but the check is cheap). */
	for (tries = 0; tries < 4; tries++) {
		n = recv(g.diag, &rsp, sizeof(rsp), 0);
		if (n < 0)
			return -errno;
		for (h = &rsp.h; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != g.diag_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				return e->error == -ENOENT ? 0 :
				    (e->error < 0 ? e->error : -EPROTO);
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
				const struct inet_diag_msg *m = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
					return -EPROTO;
				return m->idiag_state != TCP_LISTEN &&
				    m->idiag_state != TCP_CLOSE;
			}
		}
	}
	return -EPROTO;
}

/* Same as diag_lookup, logging once if the kernel cannot answer. */
static int
kernel_has_conn(void *arg, const struct wccp2_tcp_seg *s)
{
	int rc = diag_lookup(arg, s);

	if (rc < 0 && !g.diag_warned) {
		g.diag_warned = 1;
		log_msg(LOG_CRIT, "WARNING: WCCPv2 GRE: cannot ask the kernel "
			"which connections it holds (sock_diag: %s); segments "
			"of flows this cache did not see open are returned to "
			"the router", strerror(-rc));
	}
	return rc;
}

static const char *
seg_str(const struct wccp2_tcp_seg *s, char *b, size_t size)
{
	char a1[16], a2[16];

	snprintf(b, size, "%s:%u -> %s:%u",
		 wccp2_ip_str(s->saddr, a1, sizeof(a1)), s->sport,
		 wccp2_ip_str(s->daddr, a2, sizeof(a2)), s->dport);
	return b;
}

/*
 * Send the packet just parsed (p, in g.buf) back to the router that
 * redirected it: the GRE encapsulation is rewritten in place in front of
 * the original packet (wccp2_gre_return_encap) and the raw socket adds
 * the outer IPv4 header, from wccp2_address when one is configured.
 * Returns 0 or a negative errno.
 */
static int
return_packet(const struct wccp2_gre_pkt *p)
{
	struct sockaddr_in to;
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr c;
		uint8_t b[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cm;
	size_t start, len;

	len = wccp2_gre_return_encap(g.buf, p, &start);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(p->outer_src);
	iov.iov_base = g.buf + start;
	iov.iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &to;
	mh.msg_namelen = sizeof(to);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (g.src != 0) {
		struct in_pktinfo *pi;
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof(cm.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(*pi));
		pi = (struct in_pktinfo *)(void *)CMSG_DATA(c);
		pi->ipi_spec_dst.s_addr = htonl(g.src);
	}
	if (sendmsg(g.raw, &mh, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Inject (0) or return (1) the packet just parsed? Only called with
 * packet return on. Not TCP: tproxyd serves nothing else, so return it;
 * a fragment: inject, the kernel reassembles (see wccp2_tcp_seg_parse).
 */
static int
should_return(const struct wccp2_gre_pkt *p, uint32_t now)
{
	struct wccp2_tcp_seg s;
	uint64_t lookups = g.ft.lookups;
	char b[64], r[16];
	int kind, v;

	kind = wccp2_tcp_seg_parse(g.buf + p->inner_off, p->inner_len, &s);
	if (kind == WCCP2_SEG_FRAGMENT)
		return 0;
	if (kind == WCCP2_SEG_OTHER)
		return 1;
	/* Shutting down, the listeners are closed: a new connection would
	 * only be reset here, the origin can take it directly. */
	if (g.draining && (s.flags & (WCCP2_TCP_SYN | WCCP2_TCP_ACK |
				      WCCP2_TCP_RST)) == WCCP2_TCP_SYN)
		return 1;
	v = wccp2_flow_classify(&g.ft, &s, now, kernel_has_conn, NULL);
	if (v == WCCP2_FV_RETURN && g.ft.lookups != lookups &&
	    log_enabled(LOG_DEBUG))
		log_msg(LOG_DEBUG, "WCCPv2 GRE: flow %s is not this cache's "
			"(no connection here): returning its packets",
			seg_str(&s, b, sizeof(b)));
	if (v == WCCP2_FV_RETURN_FULL && g.ft.full > g.full_logged &&
	    g.full_logged == 0) {
		log_msg(LOG_CRIT, "WARNING: WCCPv2 GRE: the flow table is full "
			"(%u flows); new connections are returned to the "
			"router, to be served by the origin directly, until "
			"entries expire (first: %s)", g.ft.cap,
			seg_str(&s, b, sizeof(b)));
		g.full_logged = g.ft.full;
	}
	if (v == WCCP2_FV_RETURN && g.returned == 0)
		log_msg(LOG_INFO, "WCCPv2 GRE: returning to router %s a packet "
			"of %s (service %u): this cache holds no connection "
			"for it", wccp2_ip_str(p->outer_src, r, sizeof(r)),
			seg_str(&s, b, sizeof(b)), p->service_id);
	return wccp2_flow_returns(v);
}

/* One summary line when packets were returned since the last one
 * (every GRE_REPORT_S, and when packet return stops). */
static void
report(void)
{
	if (g.returned != g.reported) {
		log_msg(LOG_INFO, "WCCPv2 GRE: %lu packets returned to the "
			"routers (%lu since the last report; %lu could not "
			"be sent), %lu injected; %u flows tracked, %u of them "
			"returned; %llu new flows refused (table full)",
			g.returned, g.returned - g.reported, g.ret_failed,
			g.injected, g.ft.n, g.ft.nreturn,
			(unsigned long long)g.ft.full);
		g.reported = g.returned;
	}
	if (g.ft.full > g.full_logged && g.full_logged != 0) {
		log_msg(LOG_CRIT, "WARNING: WCCPv2 GRE: %llu more new flows "
			"returned because the flow table is full",
			(unsigned long long)(g.ft.full - g.full_logged));
		g.full_logged = g.ft.full;
	}
}

static void
report_cb(struct evl_timer *t)
{
	report();
	evl_timer_arm(t, GRE_REPORT_S);
}

static void
gre_cb(struct evl_io *io, int revents)
{
	struct wccp2_gre_pkt p;
	ssize_t n;
	int rc, budget = GRE_BUDGET, seen = 0;
	uint32_t now = g.ret ? mono_s() : 0;

	(void)io;
	(void)revents;
	while (budget-- > 0) {
		n = recv(g.raw, g.buf, sizeof(g.buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			continue;	/* an ICMP error about a packet we
					   returned, now cleared: go on */
		rc = wccp2_gre_parse(g.buf, (size_t)n, &p);
		if (rc == WCCP2_GRE_E_PROTO)
			continue;	/* another GRE user's: not ours */
		if (rc < 0) {
			drop(wccp2_gre_strerror(rc), p.outer_src);
			continue;
		}
		if (!router_ok(p.outer_src)) {
			drop("not a wccp2_router", p.outer_src);
			continue;
		}
		seen++;
		if (g.ret && should_return(&p, now)) {
			if ((rc = return_packet(&p)) < 0) {
				g.ret_failed++;
				stats.wccp_return_failed++;
				drop(strerror(-rc), p.outer_src);
			} else {
				g.returned++;
				stats.wccp_returned++;
			}
			continue;
		}
		if (write(g.tun, g.buf + p.inner_off, p.inner_len) < 0) {
			drop(strerror(errno), p.outer_src);
			continue;
		}
		stats.wccp_injected++;
		if (g.injected++ == 0) {
			char a[16];

			log_msg(LOG_INFO, "WCCPv2 GRE: first redirected packet "
				"from %s (service %u) injected on %s",
				wccp2_ip_str(p.outer_src, a, sizeof(a)),
				p.service_id, WCCP2_GRE_TUN_NAME);
		}
	}
	/* Expiry keeps pace with traffic: a few entries per packet. */
	if (g.ret && seen > 0)
		wccp2_flow_expire(&g.ft, now, 4 * (uint32_t)seen + 16);
}

/* The flow table's size for c (see GRE_FLOWS_*). */
static uint32_t
flows_for(const struct cfg *c)
{
	uint64_t n;

	if (c->max_filedescriptors == 0)
		return GRE_FLOWS_DEFAULT;
	n = (uint64_t)c->max_filedescriptors * (c->workers ? c->workers : 1);
	if (n < GRE_FLOWS_MIN)
		return GRE_FLOWS_MIN;
	return n > GRE_FLOWS_MAX ? GRE_FLOWS_MAX : (uint32_t)n;
}

/* Turn packet return on or off for c. Its failures are logged: without
 * a table, packets are injected as before (return off). */
static void
return_setup(const struct cfg *c)
{
	const struct sockaddr_in *a =
	    (const struct sockaddr_in *)&c->wccp2.address;
	uint32_t salt;
	int rc;

	g.src = a->sin_family == AF_INET ? ntohl(a->sin_addr.s_addr) : 0;
	if (!uses_gre_return(c)) {
		if (uses_gre(c))
			log_msg(LOG_CRIT, "WARNING: WCCPv2: "
				"wccp2_return_method l2 with GRE forwarding: "
				"tproxyd cannot return packets at layer 2; "
				"the packets of connections this cache does "
				"not hold are injected like the others and "
				"the kernel resets them (see doc/wccp2.md)");
		return_close();
		return;
	}
	/* The table survives a reconfigure: its flows are still ours. */
	if (g.ft.cap == 0) {
		if (getrandom(&salt, sizeof(salt), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(salt))
			salt = (uint32_t)time(NULL) ^ (uint32_t)getpid();
		rc = wccp2_flow_init(&g.ft, flows_for(c), salt);
		if (rc < 0) {
			log_msg(LOG_CRIT, "ERROR: WCCPv2 GRE: no memory "
				"for the flow table (%u flows): packets will "
				"not be returned", flows_for(c));
			return;
		}
	}
	if (g.diag < 0 && (g.diag = diag_open()) < 0)
		log_msg(LOG_CRIT, "WARNING: WCCPv2 GRE: sock_diag: %s; only "
			"flows seen opening here are served, the others are "
			"returned", strerror(errno));
	g.ret = 1;
	if (!g.report_on) {
		evl_timer_init(&g.report, report_cb, NULL);
		g.report_on = 1;
	}
	evl_timer_arm(&g.report, GRE_REPORT_S);
	log_msg(LOG_CRIT, "WCCPv2: GRE packet return: packets of "
		"connections this cache does not hold go back to the router "
		"(%u flows tracked at most)", g.ft.cap);
}

static void
return_close(void)
{
	if (g.ret)
		report();
	if (g.report_on) {
		evl_timer_stop(&g.report);
		g.report_on = 0;
	}
	if (g.diag >= 0)
		close(g.diag);
	g.diag = -1;
	if (g.ft.cap != 0)
		wccp2_flow_free(&g.ft);
	g.ret = 0;
}

int
wccp2_gre_start(const struct cfg *c)
{
	char err[256];
	size_t i;

	wccp2_gre_pause();
	if (!uses_gre(c)) {
		wccp2_gre_close();
		return 0;
	}
	if (wccp2_gre_open(c, err, sizeof(err)) < 0) {
		log_msg(LOG_CRIT, "ERROR: WCCPv2 GRE forwarding: %s", err);
		return -1;
	}
	free(g.router);
	g.router = calloc(c->wccp2.nrouter, sizeof(*g.router));
	if (g.router == NULL)
		return -1;
	for (i = 0; i < c->wccp2.nrouter; i++)
		g.router[i] = ntohl(((const struct sockaddr_in *)
				     &c->wccp2.router[i])->sin_addr.s_addr);
	g.nrouter = c->wccp2.nrouter;
	return_setup(c);
	evl_io_init(&g.io, gre_cb, g.raw, NULL);
	evl_io_want(&g.io, EVL_READ);
	g.watching = 1;
	log_msg(LOG_CRIT, "WCCPv2: GRE forwarding: decapsulating into %s",
		WCCP2_GRE_TUN_NAME);
	return 0;
}

void
wccp2_gre_drain(void)
{
	if (g.ret && !g.draining)
		log_msg(LOG_INFO, "WCCPv2 GRE: shutting down: new connections "
			"are returned to the router, established ones served "
			"until they end");
	g.draining = 1;
}

void
wccp2_gre_pause(void)
{
	if (g.watching) {
		evl_io_stop(&g.io);
		g.watching = 0;
	}
	if (g.report_on)
		evl_timer_stop(&g.report);
}

void
wccp2_gre_close(void)
{
	wccp2_gre_pause();
	return_close();
	if (g.raw >= 0)
		close(g.raw);
	if (g.tun >= 0)
		close(g.tun);
	g.raw = g.tun = -1;
	g.ifindex = 0;
	free(g.router);
	g.router = NULL;
	g.nrouter = 0;
}
