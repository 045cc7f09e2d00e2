/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sibling.c - sibling caches over UDP: ICP (RFC 2186) and HTCP (RFC 2756).
 * See sibling.h.
 *
 * Sockets: one per protocol and family. The server side's (icp_port,
 * htcp_port) also send our own queries, as Squid does when
 * udp_outgoing_address is unset, so a sibling sees queries and answers
 * come from the port it knows us by; when a port is closed but a sibling
 * must be asked with that protocol, an unbound-port socket does it. Every
 * socket reads both queries (answered from the store) and replies
 * (matched to a waiting query).
 *
 * Replies are matched by request number (ICP) or TRANS-ID (HTCP), which
 * is the same number for every sibling asked for one URL, and by the
 * address they come from, which must be the sibling's address and port
 * as configured (Squid checks the same). An ICP reply must also echo the
 * URL. Anything else is dropped.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acl/acl.h"
#include "cache/htcp.h"
#include "cache/icp.h"
#include "core/sa.h"
#include "event/loop.h"
#include "http/url.h"
#include "proxy/sibling.h"

enum { P_ICP, P_HTCP, NPROTO };
enum { F_V4, F_V6, NFAM };

/* Squid's RTT_AV_FACTOR: the running average weighs the last 50. */
#define RTT_AV		50
/* Datagrams read per wake-up, so a flood cannot hold the loop. */
#define READ_BUDGET	64
#define QHASH		64

struct sib_sock {
	struct evl_io io;
	int          fd;
	int          proto;		/* P_ICP, P_HTCP */
	unsigned     port;		/* bound port */
	int          server;		/* the configured port */
};

/* Where a query stands with each peer. */
enum { Q_NOT = 0, Q_AWAITED, Q_ASKED, Q_ANSWERED };

struct sib_query {
	struct sib_query *next;		/* hash chain */
	struct evl_timer  timer;
	sib_cb           *cb;
	void             *arg;
	uint32_t          id;
	double            start;
	size_t            expect;	/* replies awaited (live peers) */
	size_t            answered;
	size_t            len;
	char             *url;		/* len bytes and a NUL */
	unsigned char    *asked;	/* per peer: Q_* */
};

static struct {
	int              on;
	struct sib_opts  o;
	struct sib_sock  s[NPROTO][NFAM];
	struct sib_query *q[QHASH];
	uint32_t         next_id;
} sib;

static uint8_t rbuf[65536];
static uint8_t wbuf[65536];

static int
fam_of(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? F_V6 : F_V4;
}

static void
sock_close(struct sib_sock *k)
{
	if (k->fd < 0)
		return;
	evl_io_stop(&k->io);
	close(k->fd);
	k->fd = -1;
	k->port = 0;
}

static void sock_read(struct evl_io *io, int revents);

/* Open a UDP socket of family fam bound to port and udp_in when that is
 * of family fam, else to the family's any address. Returns 0 or -1 with
 * err filled. */
static int
sock_open(struct sib_sock *k, int proto, int fam, unsigned port,
	  int server, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char txt[80];
	int fd, one = 1, e;

	memset(&ss, 0, sizeof(ss));
	if (sib.o.udp_in != NULL && fam_of(sib.o.udp_in) == fam) {
		len = sa_len(sib.o.udp_in);
		memcpy(&ss, sib.o.udp_in, len);
	} else if (fam == F_V6) {
		ss.ss_family = AF_INET6;
		len = sizeof(struct sockaddr_in6);
	} else {
		ss.ss_family = AF_INET;
		len = sizeof(struct sockaddr_in);
	}
	sa_set_port((struct sockaddr *)&ss, port);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		goto fail;
	/* [::]:N beside 0.0.0.0:N, as Squid's two sockets. */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	/* Replies leave from the address the query came to (a host with
	 * several addresses: the querier checks where they come from). */
	if (server && ss.ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	else if (server)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			   sizeof(one));
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	k->fd = fd;
	k->proto = proto;
	k->port = sa_port((struct sockaddr *)&ss);
	k->server = server;
	evl_io_init(&k->io, sock_read, fd, k);
	evl_io_want(&k->io, EVL_READ);
	return 0;
fail:
	e = errno;
	snprintf(err, errlen, "cannot open the %s %s socket on %s: %s",
		 proto == P_ICP ? "ICP" : "HTCP",
		 server ? "port" : "client",
		 sa_text((struct sockaddr *)&ss, txt, sizeof(txt)),
		 strerror(e));
	if (fd >= 0)
		close(fd);
	errno = e;		/* open_server() looks at it */
	return -1;
}

/* The server sockets of one protocol: udp_in's family only, or IPv4 and
 * (when the host has IPv6) IPv6. */
static int
open_server(int proto, unsigned port, char *err, size_t errlen)
{
	char e6[160];

	if (port == 0)
		return 0;
	if (sib.o.udp_in != NULL)
		return sock_open(&sib.s[proto][fam_of(sib.o.udp_in)], proto,
				 fam_of(sib.o.udp_in), port, 1, err, errlen);
	if (sock_open(&sib.s[proto][F_V4], proto, F_V4, port, 1, err,
		      errlen) < 0)
		return -1;
	/* No IPv6 on this host is not an error (Squid: "if available"). */
	if (sock_open(&sib.s[proto][F_V6], proto, F_V6, port, 1, e6,
		      sizeof(e6)) < 0 && errno != EAFNOSUPPORT &&
	    errno != EADDRNOTAVAIL) {
		snprintf(err, errlen, "%s", e6);
		return -1;
	}
	return 0;
}

int
sib_start(const struct sib_opts *o, char *err, size_t errlen)
{
	size_t i;
	int p, f;

	if (sib.on)
		sib_stop();
	memset(&sib, 0, sizeof(sib));
	for (p = 0; p < NPROTO; p++)
		for (f = 0; f < NFAM; f++)
			sib.s[p][f].fd = -1;
	sib.o = *o;
	if (sib.o.timeout_max <= 0)
		sib.o.timeout_max = 2;
	if (sib.o.timeout_min <= 0)
		sib.o.timeout_min = 0.05;
	if (sib.o.dead_peer_timeout <= 0)
		sib.o.dead_peer_timeout = 10;
	/* Request numbers start anywhere but 0: Squid takes a reply
	 * numbered 0 for a peer that does not echo them. */
	sib.next_id = (uint32_t)getpid() << 16 | 1;
	sib.on = 1;
	if (open_server(P_ICP, o->icp_port, err, errlen) < 0 ||
	    open_server(P_HTCP, o->htcp_port, err, errlen) < 0)
		goto fail;
	for (i = 0; i < o->npeers; i++) {
		struct sib_peer *pe = &o->peers[i];

		pe->rtt = 0;
		pe->nrtt = 0;
		pe->probe_start = 0;
		pe->sent = pe->hits = pe->misses = 0;
		if (pe->no_query)
			continue;
		/* Unresolved names get a socket of each family, so that
		 * either can be asked once the name is known. */
		p = pe->htcp ? P_HTCP : P_ICP;
		if (pe->addrlen == 0) {
			for (f = 0; f < NFAM; f++)
				if (sib.s[p][f].fd < 0 &&
				    sock_open(&sib.s[p][f], p, f, 0, 0, err,
					      errlen) < 0 &&
				    (f == F_V4 || (errno != EAFNOSUPPORT &&
						   errno != EADDRNOTAVAIL)))
					goto fail;
			continue;
		}
		f = fam_of((struct sockaddr *)&pe->addr);
		if (sib.s[p][f].fd >= 0)
			continue;
		if (sock_open(&sib.s[p][f], p, f, 0, 0, err, errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	sib_stop();
	return -1;
}

static void
q_unlink(struct sib_query *q)
{
	struct sib_query **pp;

	for (pp = &sib.q[q->id % QHASH]; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	evl_timer_stop(&q->timer);
}

void
sib_stop(void)
{
	struct sib_query *q;
	size_t h;
	int p, f;

	if (!sib.on)
		return;
	for (h = 0; h < QHASH; h++)
		while ((q = sib.q[h]) != NULL) {
			q_unlink(q);
			/* Its asker goes on without the siblings. */
			if (q->cb != NULL)
				q->cb(q->arg, NULL);
			free(q);
		}
	for (p = 0; p < NPROTO; p++)
		for (f = 0; f < NFAM; f++)
			sock_close(&sib.s[p][f]);
	sib.on = 0;
}

unsigned
sib_icp_port(void)
{
	return sib.s[P_ICP][F_V4].server ? sib.s[P_ICP][F_V4].port :
	       sib.s[P_ICP][F_V6].server ? sib.s[P_ICP][F_V6].port : 0;
}

unsigned
sib_htcp_port(void)
{
	return sib.s[P_HTCP][F_V4].server ? sib.s[P_HTCP][F_V4].port :
	       sib.s[P_HTCP][F_V6].server ? sib.s[P_HTCP][F_V6].port : 0;
}

int
sib_has_ipv6(void)
{
	return sib.s[P_ICP][F_V6].server || sib.s[P_HTCP][F_V6].server;
}

/* ---- Server side ---- */

static void
log_query(const struct sockaddr *from, const char *method, const char *code,
	  struct str url, size_t bytes)
{
	struct sib_log l;

	if (sib.o.log == NULL)
		return;
	l.client = from;
	l.method = method;
	l.code = code;
	l.url = url;
	l.bytes = bytes;
	sib.o.log(&l);
}

/* Who may ask: the list's verdict for a ctx holding the querier's
 * address, the port it reached and the URL with its host, port and path
 * (what Squid's checklist holds for ICP and HTCP: a GET of the URL). A
 * verdict that needs more (a destination address, a name) denies. */
static int
allowed(const struct access_list *list, const struct sib_sock *k,
	const struct sockaddr *from, struct str url)
{
	char host[URL_HOST_MAX];
	struct acl_ctx ctx;
	const char *end;
	unsigned port;

	if (list == NULL || list->n == 0)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.client = from;
	ctx.direct = from;
	ctx.local_port = k->port;
	ctx.method = STR_LIT("GET");
	ctx.proto = STR_LIT("HTTP");
	ctx.url = url;
	if (url.len > 7 && strncasecmp(url.p, "http://", 7) == 0 &&
	    url_authority_end(url.p, url.len, &end) == 0 &&
	    url_parse_authority(url.p + 7, (size_t)(end - url.p - 7), 80,
				host, &port) >= 0) {
		ctx.host = str_make(host, strlen(host));
		ctx.dst_port = port;
		ctx.path = str_make(end, (size_t)(url.p + url.len - end));
	}
	return acl_check(list, &ctx, ACL_DENY, NULL) == ACL_ALLOW;
}

/* Squid answers ICP_ERR to a URL it cannot use: one with white space or
 * controls in it, or that is not absolute. */
static int
url_ok(struct str u)
{
	size_t i;

	for (i = 0; i < u.len; i++)
		if ((unsigned char)u.p[i] <= ' ' || u.p[i] == 0x7f)
			return 0;
	return memmem(u.p, u.len, "://", 3) != NULL;
}

static int
stored(struct str url)
{
	return sib.o.lookup != NULL && sib.o.lookup(url.p, url.len) == 1;
}

/* The local address the datagram being handled came to (server
 * sockets), for its reply's source: family 0 when unknown. */
static struct {
	int             family;
	struct in_addr  a4;
	struct in6_addr a6;
	unsigned        ifindex;
} rx_dst;

static size_t
send_to(struct sib_sock *k, const uint8_t *p, int n,
	const struct sockaddr *to)
{
	union {
		char            buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr  align;
	} cm;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	struct in_pktinfo *pi4;
	struct in6_pktinfo *pi6;

	if (n <= 0)
		return 0;
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = (size_t)n;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = (void *)(uintptr_t)to;
	mh.msg_namelen = sa_len(to);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (k->server && rx_dst.family == to->sa_family) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		c = (struct cmsghdr *)cm.buf;
		if (rx_dst.family == AF_INET) {
			mh.msg_controllen = CMSG_SPACE(sizeof(*pi4));
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(*pi4));
			pi4 = (struct in_pktinfo *)CMSG_DATA(c);
			pi4->ipi_spec_dst = rx_dst.a4;
		} else {
			mh.msg_controllen = CMSG_SPACE(sizeof(*pi6));
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(*pi6));
			pi6 = (struct in6_pktinfo *)CMSG_DATA(c);
			pi6->ipi6_addr = rx_dst.a6;
		}
	}
	/* A full socket buffer drops the reply (Squid queues one retry);
	 * the querier times out as for a lost datagram. */
	if (sendmsg(k->fd, &mh, 0) < 0)
		return 0;
	return (size_t)n;
}

static void
icp_query_in(struct sib_sock *k, const struct icp_msg *m,
	     const struct sockaddr *from)
{
	enum icp_op op;
	const char *code;
	int n;

	if (!url_ok(m->url)) {
		op = ICP_OP_ERR;
		code = "UDP_INVALID";
	} else if (!allowed(sib.o.icp_access, k, from, m->url)) {
		op = ICP_OP_DENIED;
		code = "UDP_DENIED";
	} else if (stored(m->url)) {
		op = ICP_OP_HIT;
		code = "UDP_HIT";
	} else {
		op = ICP_OP_MISS;
		code = "UDP_MISS";
	}
	n = icp_build_reply(wbuf, sizeof(wbuf), op, m->reqnum, 0, 0,
			    m->url.p, m->url.len);
	log_query(from, "ICP_QUERY", code, m->url, send_to(k, wbuf, n, from));
}

static void
htcp_request_in(struct sib_sock *k, const struct htcp_msg *m,
		const struct sockaddr *from)
{
	const struct access_list *list;
	const char *method;
	size_t sent = 0;
	int n, r;

	method = htcp_op_str(m->op);
	list = m->op == HTCP_OP_CLR ? sib.o.htcp_clr_access :
	       sib.o.htcp_access;
	if (!url_ok(m->spec.uri)) {
		log_query(from, method, "UDP_INVALID", m->spec.uri, 0);
		return;
	}
	/* Squid answers nothing to a denied HTCP request (HTCP has no
	 * DENIED), and nothing when RD is clear. */
	if (!allowed(list, k, from, m->spec.uri)) {
		log_query(from, method, "UDP_DENIED", m->spec.uri, 0);
		return;
	}
	if (m->op == HTCP_OP_TST) {
		r = stored(m->spec.uri);
		if (m->f1) {
			n = htcp_build_tst_reply(wbuf, sizeof(wbuf),
						 m->trans_id, r, NULL);
			sent = send_to(k, wbuf, n, from);
		}
		log_query(from, method, r ? "UDP_HIT" : "UDP_MISS",
			  m->spec.uri, sent);
		return;
	}
	if (sib.o.clear == NULL)
		return;
	r = sib.o.clear(m->spec.uri.p, m->spec.uri.len);
	if (m->f1) {
		n = htcp_build_clr_reply(wbuf, sizeof(wbuf), m->trans_id,
					 r > 0 ? HTCP_CLR_GONE :
					 HTCP_CLR_NONE);
		sent = send_to(k, wbuf, n, from);
	}
	log_query(from, method, r > 0 ? "UDP_HIT" : "UDP_MISS", m->spec.uri,
		  sent);
}

/* ---- Client side ---- */

static struct sib_query *
q_find(uint32_t id)
{
	struct sib_query *q;

	for (q = sib.q[id % QHASH]; q != NULL; q = q->next)
		if (q->id == id)
			return q;
	return NULL;
}

/* The peer at from asked with protocol proto by q, or -1. */
static long
q_peer(const struct sib_query *q, int proto, const struct sockaddr *from)
{
	size_t i;

	for (i = 0; i < sib.o.npeers; i++) {
		const struct sib_peer *pe = &sib.o.peers[i];

		if ((q->asked[i] == Q_AWAITED || q->asked[i] == Q_ASKED) &&
		    (pe->htcp ? P_HTCP : P_ICP) == proto &&
		    sa_equal((const struct sockaddr *)&pe->addr, from))
			return (long)i;
	}
	return -1;
}

/* Squid's running average (Math::intAverage), in seconds. */
static void
rtt_sample(struct sib_peer *pe, double rtt)
{
	unsigned n;

	if (rtt <= 0 || rtt > 10)
		return;
	n = ++pe->nrtt < RTT_AV ? pe->nrtt : RTT_AV;
	pe->rtt = (pe->rtt * (n - 1) + rtt) / n;
}

/* End q: unlink it, run its callback, free it. */
static void
q_done(struct sib_query *q, struct sib_peer *hit)
{
	q_unlink(q);
	q->cb(q->arg, hit);
	free(q);
}

static void
reply_in(int proto, uint32_t id, int hit, struct str url,
	 const struct sockaddr *from)
{
	struct sib_query *q;
	struct sib_peer *pe;
	long i;

	if ((q = q_find(id)) == NULL || (i = q_peer(q, proto, from)) < 0)
		return;
	if (proto == P_ICP && (url.len != q->len ||
			       memcmp(url.p, q->url, q->len) != 0))
		return;
	pe = &sib.o.peers[i];
	if (q->asked[i] == Q_AWAITED)
		q->answered++;
	q->asked[i] = Q_ANSWERED;
	pe->probe_start = 0;
	rtt_sample(pe, evl_time() - q->start);
	if (hit) {
		pe->hits++;
		q_done(q, pe);
		return;
	}
	pe->misses++;
	if (q->answered >= q->expect)
		q_done(q, NULL);
}

static void
q_timeout(struct evl_timer *t)
{
	q_done(t->data, NULL);
}

static int
peer_alive(const struct sib_peer *pe, double now)
{
	return pe->probe_start == 0 ||
	       now - pe->probe_start <= sib.o.dead_peer_timeout;
}

/* Squid's neighborsUdpPing(): the configured timeout, else twice the
 * mean round trip of the live siblings, within [min, max]; 2 s (within
 * the same bounds) when none is live. */
static double
timeout_for(double now)
{
	double sum = 0, t;
	size_t i, n = 0;

	if (sib.o.query_timeout > 0)
		return sib.o.query_timeout;
	for (i = 0; i < sib.o.npeers; i++) {
		const struct sib_peer *pe = &sib.o.peers[i];

		if (pe->no_query || pe->addrlen == 0 ||
		    !peer_alive(pe, now))
			continue;
		sum += pe->rtt;
		n++;
	}
	t = n > 0 ? 2 * sum / (double)n : 2;
	if (t > sib.o.timeout_max)
		t = sib.o.timeout_max;
	if (t < sib.o.timeout_min)
		t = sib.o.timeout_min;
	return t;
}

double
sib_timeout(void)
{
	return timeout_for(evl_now());
}

struct sib_query *
sib_query(const char *url, size_t len, sib_cb *cb, void *arg)
{
	static const char empty[] = "";
	struct htcp_spec spec;
	struct sib_query *q;
	struct sib_sock *k;
	double now = evl_now(), tmo;
	size_t i, sent = 0;
	int icp_n = -1, htcp_n = -1, n;
	uint8_t *icp_b, *htcp_b;

	if (!sib.on || sib.o.npeers == 0 || len == 0)
		return NULL;
	tmo = timeout_for(now);
	q = calloc(1, sizeof(*q) + len + 1 + sib.o.npeers);
	if (q == NULL)
		return NULL;
	q->url = (char *)(q + 1);
	memcpy(q->url, url, len);
	q->len = len;
	q->asked = (unsigned char *)q->url + len + 1;
	q->cb = cb;
	q->arg = arg;
	q->start = evl_time();
	do
		q->id = sib.next_id++;
	while (q->id == 0 || q_find(q->id) != NULL);

	/* One datagram per protocol, sent to each sibling. */
	icp_b = wbuf;
	htcp_b = wbuf + ICP_MSG_MAX;
	memset(&spec, 0, sizeof(spec));
	spec.method = STR_LIT("GET");
	spec.uri = str_make(url, len);
	spec.version = STR_LIT("HTTP/1.1");
	spec.req_hdrs = str_make(empty, 0);
	for (i = 0; i < sib.o.npeers; i++) {
		struct sib_peer *pe = &sib.o.peers[i];
		const struct sockaddr *to = (struct sockaddr *)&pe->addr;

		if (pe->no_query || pe->addrlen == 0 ||
		    (sib.o.may_ask != NULL && !sib.o.may_ask(pe, arg)))
			continue;
		k = &sib.s[pe->htcp ? P_HTCP : P_ICP][fam_of(to)];
		if (k->fd < 0)
			continue;
		if (pe->htcp) {
			if (htcp_n < 0)
				htcp_n = htcp_build_tst(htcp_b,
					sizeof(wbuf) - ICP_MSG_MAX, q->id,
					&spec);
			n = htcp_n;
		} else {
			if (icp_n < 0)
				icp_n = icp_build_query(icp_b, ICP_MSG_MAX,
							q->id, 0, url, len);
			n = icp_n;
		}
		if (send_to(k, pe->htcp ? htcp_b : icp_b, n, to) == 0)
			continue;
		pe->sent++;
		sent++;
		/* A dead sibling is asked but not waited for (Squid). */
		if (peer_alive(pe, now)) {
			q->asked[i] = Q_AWAITED;
			q->expect++;
		} else
			q->asked[i] = Q_ASKED;
		if (pe->probe_start == 0)
			pe->probe_start = now;
	}
	if (sent == 0) {
		free(q);
		return NULL;
	}
	q->next = sib.q[q->id % QHASH];
	sib.q[q->id % QHASH] = q;
	evl_timer_init(&q->timer, q_timeout, q);
	evl_timer_arm(&q->timer, tmo);
	return q;
}

void
sib_cancel(struct sib_query *q)
{
	if (q == NULL)
		return;
	q_unlink(q);
	free(q);
}

/* ---- Reading ---- */

static void
datagram(struct sib_sock *k, const uint8_t *p, size_t n,
	 const struct sockaddr *from)
{
	struct icp_msg im;
	struct htcp_msg hm;

	if (k->proto == P_ICP) {
		if (icp_parse(p, n, &im) != 0)
			return;
		switch (im.op) {
		case ICP_OP_QUERY:
			icp_query_in(k, &im, from);
			break;
		case ICP_OP_HIT:
			reply_in(P_ICP, im.reqnum, 1, im.url, from);
			break;
		case ICP_OP_MISS:
		case ICP_OP_MISS_NOFETCH:
		case ICP_OP_DENIED:
		case ICP_OP_ERR:
			reply_in(P_ICP, im.reqnum, 0, im.url, from);
			break;
		default:
			break;
		}
		return;
	}
	if (htcp_parse(p, n, &hm) != 0)
		return;
	if (!hm.rr && hm.has_spec)
		htcp_request_in(k, &hm, from);
	else if (hm.rr && hm.op == HTCP_OP_TST)
		/* MO set: an error, never a hit. */
		reply_in(P_HTCP, hm.trans_id,
			 !hm.f1 && hm.response == HTCP_TST_HIT, STR_NULL,
			 from);
}

static void
sock_read(struct evl_io *io, int revents)
{
	struct sib_sock *k = io->data;
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	int i;

	(void)revents;
	for (i = 0; i < READ_BUDGET && k->fd >= 0; i++) {
		union {
			char           buf[CMSG_SPACE(sizeof(
					   struct in6_pktinfo)) +
					   CMSG_SPACE(sizeof(
					   struct in_pktinfo))];
			struct cmsghdr align;
		} cm;
		struct iovec iov = { rbuf, sizeof(rbuf) };
		struct msghdr mh;
		struct cmsghdr *c;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		n = recvmsg(k->fd, &mh, 0);
		flen = mh.msg_namelen;
		(void)flen;
		rx_dst.family = 0;
		for (c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c != NULL;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				rx_dst.family = AF_INET;
				rx_dst.a4 = pi.ipi_addr;
			} else if (c->cmsg_level == IPPROTO_IPV6 &&
				   c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				rx_dst.family = AF_INET6;
				rx_dst.a6 = pi.ipi6_addr;
			}
		}
		if (n < 0) {
			/* ICMP errors of earlier sends surface here
			 * (ECONNREFUSED): skip them like Squid. */
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			continue;
		}
		if (from.ss_family != AF_INET && from.ss_family != AF_INET6)
			continue;
		datagram(k, rbuf, (size_t)n, (struct sockaddr *)&from);
	}
}
