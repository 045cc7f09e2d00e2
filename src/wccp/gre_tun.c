/*
 * gre_tun.c - the GRE forwarding method without the kernel's GRE module:
 * a raw IPPROTO_GRE socket receives what the routers redirect, gre.c
 * checks and strips the outer IPv4, GRE and WCCPv2 redirect headers, and
 * the original packet is written to a TUN device (IFF_TUN | IFF_NO_PI).
 * The kernel then receives it on that device exactly as if it had come
 * from the wire: PREROUTING, the TPROXY rules (`iifname tpxwccp0 tcp
 * dport 80 tproxy ...`), the "fwmark -> local" policy routing, and the
 * socket lookup of the connections tproxyd already has. Nothing else is
 * done with the packets in user space.
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
 * workers explicitly, kid1 inheriting the descriptors). A reconfigure
 * keeps them open (wccp2_gre_pause() + wccp2_gre_start()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "event/loop.h"
#include "log/log.h"
#include "wccp/gre.h"
#include "wccp/wccp2.h"

#define GRE_BUDGET	64	/* packets per wake-up */
#define GRE_LOG_DROPS	20	/* drops logged at INFO, then DEBUG */

static struct {
	int             raw;		/* raw IPPROTO_GRE socket, or -1 */
	int             tun;		/* TUN device, or -1 */
	int             watching;
	struct evl_io   io;
	uint32_t       *router;		/* host order; accepted sources */
	size_t          nrouter;
	unsigned long   injected;
	unsigned long   dropped;
	uint8_t         buf[65536];
} g = { .raw = -1, .tun = -1 };

static int
uses_gre(const struct cfg *c)
{
	return c->wccp2.nrouter > 0 &&
	    c->wccp2.forwarding_method == WCCP2_METHOD_GRE;
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

/* Create the TUN device and bring it up. Returns the fd or -1 (logged). */
static int
tun_open(void)
{
	struct ifreq ifr;
	int fd, s, rc;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_msg(LOG_CRIT, "ERROR: WCCPv2 GRE: /dev/net/tun: %s",
			strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", WCCP2_GRE_TUN_NAME);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		log_msg(LOG_CRIT, "ERROR: WCCPv2 GRE: cannot create TUN "
			"device %s: %s%s", WCCP2_GRE_TUN_NAME, strerror(errno),
			errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
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
		log_msg(LOG_CRIT, "ERROR: WCCPv2 GRE: cannot bring %s up: %s",
			WCCP2_GRE_TUN_NAME, strerror(errno));
		if (s >= 0)
			close(s);
		close(fd);
		return -1;
	}
	close(s);
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

int
wccp2_gre_open(const struct cfg *c)
{
	if (!uses_gre(c))
		return 0;
	if (g.raw < 0) {
		g.raw = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       IPPROTO_GRE);
		if (g.raw < 0) {
			log_msg(LOG_CRIT, "ERROR: WCCPv2 GRE: raw socket: %s%s",
				strerror(errno), errno == EPERM ?
				" (needs CAP_NET_RAW)" : "");
			return -1;
		}
	}
	if (g.tun < 0 && (g.tun = tun_open()) < 0) {
		close(g.raw);
		g.raw = -1;
		return -1;
	}
	return 0;
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

static void
gre_cb(struct evl_io *io, int revents)
{
	struct wccp2_gre_pkt p;
	ssize_t n;
	int rc, budget = GRE_BUDGET;

	(void)io;
	(void)revents;
	while (budget-- > 0) {
		n = recv(g.raw, g.buf, sizeof(g.buf), 0);
		if (n < 0)
			return;		/* EAGAIN */
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
		if (write(g.tun, g.buf + p.inner_off, p.inner_len) < 0) {
			drop(strerror(errno), p.outer_src);
			continue;
		}
		if (g.injected++ == 0) {
			char a[16];

			log_msg(LOG_INFO, "WCCPv2 GRE: first redirected packet "
				"from %s (service %u) injected on %s",
				wccp2_ip_str(p.outer_src, a, sizeof(a)),
				p.service_id, WCCP2_GRE_TUN_NAME);
		}
	}
}

int
wccp2_gre_start(const struct cfg *c)
{
	size_t i;

	wccp2_gre_pause();
	if (!uses_gre(c)) {
		wccp2_gre_close();
		return 0;
	}
	if (wccp2_gre_open(c) < 0) {
		log_msg(LOG_CRIT, "ERROR: WCCPv2 GRE: redirected packets will "
			"not be decapsulated (a kernel GRE tunnel toward the "
			"router can do it instead)");
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
	evl_io_init(&g.io, gre_cb, g.raw, NULL);
	evl_io_want(&g.io, EVL_READ);
	g.watching = 1;
	log_msg(LOG_CRIT, "WCCPv2: GRE forwarding: decapsulating into %s",
		WCCP2_GRE_TUN_NAME);
	return 0;
}

void
wccp2_gre_pause(void)
{
	if (g.watching) {
		evl_io_stop(&g.io);
		g.watching = 0;
	}
}

void
wccp2_gre_close(void)
{
	wccp2_gre_pause();
	if (g.raw >= 0)
		close(g.raw);
	if (g.tun >= 0)
		close(g.tun);
	g.raw = g.tun = -1;
	free(g.router);
	g.router = NULL;
	g.nrouter = 0;
}
