/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * learn.c - the DNS answer learner: the packet socket and its kernel
 * filter, reading from the event loop, judging each answer, and the API
 * of learn.h over the table of learn_tab.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/sa.h"
#include "event/loop.h"
#include "learn/dns_msg.h"
#include "learn/learn.h"
#include "log/log.h"
#include "stats/stats.h"

/* One socket per serving process (proc/master.c's MAX_KIDS workers). */
#define LEARN_MAX_SOCKS	64
/* Packets read per wake-up, so a flood of answers cannot hold the loop;
 * the rest waits in the socket's queue for the next turn. */
#define LEARN_BURST	256
/* Answer records kept per message; CDN answers have a handful. */
#define LEARN_MAX_RR	64
/* Receive queue asked for (the kernel caps it at net.core.rmem_max):
 * room for some hundreds of answers between two turns of the loop. */
#define LEARN_RCVBUF	(1 << 20)

static int socks[LEARN_MAX_SOCKS];
static unsigned nsocks;
static int fd = -1;		/* this process's socket, or -1 */
static int on;			/* reading and learning now */
static int io_ready;		/* io initialized */
static struct evl_io io;
static struct learn_tab tab;
static struct sockaddr_storage *trusted;
static size_t ntrusted;
/* A whole packet, up to the 64 KiB an IP datagram (and lo's MTU) has. */
static uint8_t pkt[65536];
static struct dnsmsg_rr rrs[LEARN_MAX_RR];

/*
 * The kernel filter (classic BPF). On a SOCK_DGRAM packet socket the
 * packet starts at its network header in both directions. It passes
 * only what this host sends out (PACKET_OUTGOING): UDP over IPv4 (not a
 * fragment) or IPv6 (no extension header) from source port 53. Everything
 * else never leaves the kernel, so the cost on other traffic is these few
 * instructions per packet.
 */
static struct sock_filter filter_on[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 15),
	/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF +
			 SKF_AD_PROTOCOL),
	/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 1, 0),
	/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 7, 12),
	/* IPv4: protocol UDP, not a fragment, source port at 4 * IHL. */
	/* 5 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
	/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 10),
	/* 7 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
	/* 8 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 8, 0),
	/* 9 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
	/* 10 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 0),
	/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 53, 4, 5),
	/* IPv6: next header UDP, source port right after the header. */
	/* 12 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
	/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 3),
	/* 14 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 40),
	/* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 53, 0, 1),
	/* 16: accept, the whole packet */
	BPF_STMT(BPF_RET | BPF_K, 0x40000),
	/* 17: drop */
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* Learning off (and between socket() and bind()): pass nothing. */
static struct sock_filter filter_off[] = {
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static int
set_filter(int s, struct sock_filter *f, size_t n)
{
	struct sock_fprog prog;

	prog.len = (unsigned short)n;
	prog.filter = f;
	return setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog)) < 0 ? -errno : 0;
}

int
learn_open(char *err, size_t errlen)
{
	struct sockaddr_ll sll;
	int s, rc, size = LEARN_RCVBUF;

	if (nsocks >= LEARN_MAX_SOCKS) {
		snprintf(err, errlen, "too many packet sockets");
		return -EMFILE;
	}
	/* Protocol 0: no packet is queued before the filter is in place;
	 * bind() below starts the capture. */
	s = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open a packet socket to read "
			 "DNS answers: %s%s", strerror(-rc), rc == -EPERM ?
			 " (it needs CAP_NET_RAW: start tproxyd as root or "
			 "give it that capability)" :
			 "");
		return rc;
	}
	if ((rc = set_filter(s, filter_off, 1)) < 0) {
		snprintf(err, errlen, "cannot filter the packet socket: %s",
			 strerror(-rc));
		close(s);
		return rc;
	}
	/* Best effort: the kernel's default queue also works, it holds
	 * fewer answers between turns of the loop. */
	(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot bind the packet socket: %s",
			 strerror(-rc));
		close(s);
		return rc;
	}
	socks[nsocks++] = s;
	if (fd < 0)
		fd = s;
	return 0;
}

void
learn_attach(unsigned kid)
{
	unsigned i;

	if (kid == 0 || kid > nsocks)
		return;
	fd = socks[kid - 1];
	for (i = 0; i < nsocks; i++) {
		if (i != kid - 1 && socks[i] >= 0)
			close(socks[i]);
		socks[i] = i == kid - 1 ? fd : -1;
	}
}

/* Whether addr is in the trusted set. */
static int
is_trusted(const struct sockaddr_storage *addr)
{
	size_t i;

	for (i = 0; i < ntrusted; i++)
		if (sa_same_ip((const struct sockaddr *)&trusted[i],
			       (const struct sockaddr *)addr))
			return 1;
	return 0;
}

/* Judge and learn one packet read from the socket. */
static void
learn_packet(const uint8_t *p, size_t len)
{
	struct sockaddr_storage src;
	const uint8_t *payload;
	struct dnsmsg m;
	size_t plen;

	if (learn_pkt_udp(p, len, &src, &payload, &plen) < 0 ||
	    !is_trusted(&src))
		return;
	/*
	 * A response to a standard query, NOERROR, whole: a truncated
	 * (TC) answer is retried over TCP by the client, and may miss
	 * records; TCP answers are not seen.
	 */
	if (dnsmsg_parse(payload, plen, &m, rrs, LEARN_MAX_RR) < 0 ||
	    !(m.flags & DNSMSG_F_QR) || (m.flags & DNSMSG_F_TC) ||
	    m.opcode != 0 || m.rcode != 0 || m.qclass != DNSMSG_C_IN)
		return;
	if (learn_tab_answer(&tab, &m, rrs, m.nrr, evl_now()) > 0)
		stats.learn_answers++;
}

/* Read and learn up to max queued packets; stops early when the queue
 * is empty. */
static void
drain(unsigned max)
{
	struct sockaddr_ll sll;
	socklen_t sl;
	unsigned i;
	ssize_t n;

	for (i = 0; i < max; i++) {
		sl = sizeof(sll);
		n = recvfrom(fd, pkt, sizeof(pkt), MSG_TRUNC,
			     (struct sockaddr *)&sll, &sl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;	/* EAGAIN: empty; other errors: next turn */
		}
		/* The filter passes outgoing packets only; a packet cut
		 * short by the buffer is not read further. */
		if ((size_t)n > sizeof(pkt) ||
		    sll.sll_pkttype != PACKET_OUTGOING)
			continue;
		learn_packet(pkt, (size_t)n);
	}
}

static void
read_cb(struct evl_io *w, int revents)
{
	(void)w;
	(void)revents;
	drain(LEARN_BURST);
}

/* Take c's trusted set; 1 when it differs from the one held. */
static int
take_trusted(const struct cfg *c)
{
	const struct cfg_learn *l = &c->learn;
	struct sockaddr_storage *n = NULL;
	size_t i;
	int same = l->ntrusted == ntrusted;

	for (i = 0; same && i < ntrusted; i++)
		same = sa_same_ip((const struct sockaddr *)&trusted[i],
				  (const struct sockaddr *)&l->trusted[i]);
	if (same)
		return 0;
	if (l->ntrusted > 0) {
		n = calloc(l->ntrusted, sizeof(*n));
		if (n == NULL)	/* keep the old set: still a safe one */
			return 0;
		memcpy(n, l->trusted, l->ntrusted * sizeof(*n));
	}
	free(trusted);
	trusted = n;
	ntrusted = n != NULL ? l->ntrusted : 0;
	return 1;
}

/* "a, b, c" or "none" into buf. */
static const char *
trusted_text(char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	size_t i, off = 0;
	int k;

	snprintf(buf, size, "none");
	for (i = 0; i < ntrusted && off < size; i++) {
		k = snprintf(buf + off, size - off, "%s%s", i ? ", " : "",
			     sa_ip_text((const struct sockaddr *)&trusted[i],
					a, sizeof(a)));
		if (k < 0)
			break;
		off += (size_t)k;
	}
	return buf;
}

/*
 * The table, made on first use with a random key, so that which names
 * share a bucket cannot be predicted (nobody can send answers that make
 * one chain long). 0, or a negative errno.
 */
static int
tab_ready(void)
{
	uint8_t key[16];
	struct timespec ts;
	pid_t pid = getpid();

	if (tab.bucket != NULL)
		return 0;
	if (getrandom(key, sizeof(key), GRND_NONBLOCK) != sizeof(key)) {
		/* No entropy yet (early boot): the clock and the pid at
		 * least differ from run to run. */
		clock_gettime(CLOCK_REALTIME, &ts);
		memset(key, 0, sizeof(key));
		memcpy(key, &ts.tv_nsec, sizeof(ts.tv_nsec));
		memcpy(key + 8, &pid, sizeof(pid));
	}
	return learn_tab_init(&tab, LEARN_MAX_NAMES, key);
}

void
learn_apply(const struct cfg *c)
{
	char list[512];
	int changed, rc;

	changed = take_trusted(c);
	if (changed)
		learn_tab_clear(&tab);
	if (c->learn.on && fd < 0) {
		log_msg(LOG_WARN, "WARNING: host_verify_learn_dns on needs a "
			"restart of tproxyd: the packet socket DNS answers are "
			"read from can only be opened at start-up; Host names "
			"are verified with tproxyd's own lookups meanwhile");
		return;
	}
	if (c->learn.on && !on) {
		if (tab_ready() < 0) {
			log_msg(LOG_CRIT, "ERROR: host_verify_learn_dns: out "
				"of memory; not learning");
			return;
		}
		if ((rc = set_filter(fd, filter_on, sizeof(filter_on) /
				     sizeof(filter_on[0]))) < 0) {
			log_msg(LOG_CRIT, "ERROR: host_verify_learn_dns: "
				"cannot filter the packet socket: %s; not "
				"learning", strerror(-rc));
			return;
		}
		if (!io_ready) {
			evl_io_init(&io, read_cb, fd, NULL);
			io_ready = 1;
		}
		evl_io_want(&io, EVL_READ);
		on = 1;
		log_msg(LOG_CRIT, "Learning the DNS answers clients get from "
			"trusted resolvers %s, for Host verification",
			trusted_text(list, sizeof(list)));
	} else if (!c->learn.on && on) {
		set_filter(fd, filter_off, 1);
		evl_io_stop(&io);
		learn_tab_clear(&tab);
		on = 0;
		log_msg(LOG_CRIT, "No longer learning DNS answers");
	} else if (on && changed) {
		log_msg(LOG_CRIT, "Learning DNS answers from trusted resolvers "
			"%s now; what was learnt before is forgotten",
			trusted_text(list, sizeof(list)));
	}
}

int
learn_seen(const char *name, const struct sockaddr *addr)
{
	const struct sockaddr_in6 *s6;
	char key[DNSMSG_TEXT_MAX];
	const uint8_t *a;
	size_t len, i;
	int family;

	if (!on || name == NULL || addr == NULL)
		return 0;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;	/* "cdn.example." is cdn.example */
	if (len == 0 || len >= sizeof(key))
		return 0;
	for (i = 0; i < len; i++)
		key[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
				name[i] - 'A' + 'a' : name[i]);
	key[len] = '\0';
	if (addr->sa_family == AF_INET) {
		family = AF_INET;
		a = (const uint8_t *)&((const struct sockaddr_in *)addr)->
		    sin_addr;
	} else if (addr->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)addr;
		a = s6->sin6_addr.s6_addr;
		family = AF_INET6;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			family = AF_INET;
			a += 12;
		}
	} else {
		return 0;
	}
	if (!learn_tab_has(&tab, key, family, a, evl_now())) {
		/* The answer may be queued still: the client connected
		 * right after it passed, before the loop read it. */
		drain(LEARN_BURST);
		if (!learn_tab_has(&tab, key, family, a, evl_now()))
			return 0;
	}
	stats.learn_verified++;
	return 1;
}

void
learn_close(void)
{
	unsigned i;

	if (on)
		evl_io_stop(&io);
	on = 0;
	io_ready = 0;
	for (i = 0; i < nsocks; i++)
		if (socks[i] >= 0)
			close(socks[i]);
	nsocks = 0;
	fd = -1;
	learn_tab_free(&tab);
	free(trusted);
	trusted = NULL;
	ntrusted = 0;
}
