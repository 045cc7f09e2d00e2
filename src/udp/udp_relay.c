/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp_relay.c - the UDP relay's sockets and event loop side.
 *
 * A udp_port socket is transparent: netfilter's TPROXY target delivers to
 * it datagrams addressed to anybody, and each one's original destination
 * comes with it in a control message (IP_RECVORIGDSTADDR). Datagrams are
 * grouped in flows by (client address:port, original destination
 * address:port). The first datagram of a flow is checked against
 * udp_access and the limits; a QUIC flow's first datagrams are then held
 * and read until the client's name (SNI) is known, for udp_quic_access.
 * An allowed flow gets a socket of its own, bound to the client's
 * address:port (IP_TRANSPARENT) and connected to the destination: the
 * destination sees the client, and the kernel hands that socket the
 * destination's replies and its ICMP errors (ECONNREFUSED) only.
 *
 * Replies go back to the client from the destination's address:port, so
 * that the client (a resolver library, a QUIC stack) accepts them: a
 * transparent socket bound to that address (IP_TRANSPARENT lets a socket
 * bind to an address that is not ours), unconnected, shared by all the
 * flows to that destination and closed with the last of them. Sending
 * from the udp_port socket with IP_PKTINFO could set the source address
 * but not the source port (it would be the udp_port's), and a socket
 * connected to the client would be the "established" socket netfilter's
 * TPROXY lookup prefers for the client's next datagrams, stealing them
 * from the udp_port socket; an unconnected one is never chosen there.
 *
 * A flow ends when it has been idle for its protocol's timeout, when the
 * destination answers with an ICMP error, or at shutdown; then one
 * access.log line says what it carried. Descriptors are asked from
 * core/limits.c as TCP asks them. Lifecycle: a flow is freed only by
 * udp_flow_end(), and every caller returns at once after it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/inherit.h"
#include "core/limits.h"
#include "core/sa.h"
#include "event/loop.h"
#include "intercept/origdst.h"
#include "log/access_log.h"
#include "log/log.h"
#include "net/sock_inet.h"
#include "quic/quic.h"
#include "stats/stats.h"
#include "udp/udp.h"
#include "udp/udp-int.h"

static struct udp_sock *socks;
static struct udp_tab tab;
static int tab_ready;
static uint8_t rbuf[BATCH][DGRAM_MAX];
static uint8_t obuf[BATCH][DGRAM_MAX];

static double limit_logged;
static double own_logged;

/* ---------------------------------------------------------- reply sockets */

/* ------------------------------------------------------------------ flows */

/* The ACL context of f: client, destination, the SNI when read. */
static void
flow_ctx(const struct udp_flow *f, struct acl_ctx *ctx, char *host,
	 size_t hostlen)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->client = (const struct sockaddr *)&f->cli;
	ctx->direct = ctx->client;
	ctx->dst = (const struct sockaddr *)&f->dst;
	ctx->local = ctx->dst;
	ctx->dst_port = sa_port(ctx->dst);
	ctx->local_port = sa_port(ctx->dst);
	ctx->method = STR_LIT("UDP");
	ctx->proto = STR_LIT("UDP");
	sa_ip_text(ctx->dst, host, hostlen);
	ctx->host = str_make(host, strlen(host));
	/* A DNS question's name is what dstdomain acls see. */
	if (f->qname != NULL)
		ctx->host = str_make(f->qname, strlen(f->qname));
	ctx->port_name = f->port != NULL ? f->port->name : NULL;
	ctx->sni = f->sni;
}

/*
 * The access.log line of f, once: Squid's native fields with "UDP" as
 * the method, the SNI:port (QUIC) or address:port as the URL, bytes to
 * the client, the original destination as the hierarchy peer and the
 * protocol guess ("dns", "quic", "udp") as the content type.
 */
static void
flow_log(struct udp_flow *f)
{
	struct alog_rec r;
	struct acl_ctx ctx;
	char host[INET6_ADDRSTRLEN], url[300];
	const char *ptype;
	double now = evl_now();

	if (f->logged)
		return;
	f->logged = 1;
	flow_ctx(f, &ctx, host, sizeof(host));
	memset(&r, 0, sizeof(r));
	r.start = f->start;
	r.end = now;
	r.elapsed_ms = (long)((now - f->start) * 1000);
	r.client = (const struct sockaddr *)&f->cli;
	r.local = (const struct sockaddr *)&f->dst;
	r.code = f->code;
	r.status = 0;
	r.bytes = f->bytes_out;
	r.bytes_in = f->bytes_in;
	r.method = STR_LIT("UDP");
	if (f->sni != NULL || f->qname != NULL)
		snprintf(url, sizeof(url), "%s:%u", f->sni != NULL ? f->sni :
			 f->qname, sa_port(ctx.dst));
	else
		sa_text(ctx.dst, url, sizeof(url));
	r.url = str_make(url, strlen(url));
	r.host = f->sni != NULL ? str_make(f->sni, strlen(f->sni)) :
		 ctx.host;
	r.port = sa_port(ctx.dst);
	r.minor = -1;
	r.hier = "ORIGINAL_DST";
	r.peer = ctx.dst;
	ptype = udp_proto_str(f->proto);
	r.type = str_make(ptype, strlen(ptype));
	r.tls[ALOG_TLS_SNI] = f->sni;
	r.tls[ALOG_TLS_ALPN] = f->alpn;
	alog_write(&r, &ctx);
}

static void
held_free(struct udp_flow *f)
{
	struct udp_held *h, *next;

	for (h = f->held; h; h = next) {
		next = h->next;
		free(h);
	}
	f->held = NULL;
	f->held_tail = &f->held;
	f->nheld = 0;
	f->held_bytes = 0;
}

static void
quic_free(struct udp_flow *f)
{
	if (f->quic != NULL) {
		quic_hello_free(f->quic);
		free(f->quic);
		f->quic = NULL;
	}
}

/* End f: log it, give back what it holds, free it. */
void
udp_flow_end(struct udp_flow *f, const char *why)
{
	if (f->why == NULL)
		f->why = why;
	log_msg(LOG_DEBUG, "udp flow %s ends in state %s: %s",
		udp_proto_str(f->proto), udp_flow_state_str(f->state),
		f->why);
	flow_log(f);
	f->state = UF_CLOSED;
	udp_tab_del(&tab, f);
	stats.udp_flows--;
	evl_timer_stop(&f->idle);
	if (f->fd >= 0) {
		evl_io_stop(&f->io);
		close(f->fd);
		lim_fds_give(1);
	}
	udp_rsock_put(f->rs, tab.seed);
	quic_free(f);
	held_free(f);
	free(f->sni);
	free(f->alpn);
	free(f->qname);
	cfg_unref(f->cfg);
	free(f);
}

static void
idle_cb(struct evl_timer *t)
{
	struct udp_flow *f = t->data;
	double left = f->last + udp_flow_timeout(f) - evl_now();

	/* Armed once per period, not per datagram: look at the time of
	 * the last one. */
	if (left > 0.001) {
		evl_timer_arm(&f->idle, left);
		return;
	}
	udp_flow_end(f, "idle timeout");
}

/* Send to the client one by one the datagrams of d cut every seg bytes. */
static void
reply_split(struct udp_flow *f, const uint8_t *d, size_t n, size_t seg)
{
	size_t off, piece;

	for (off = 0; off < n; off += piece) {
		piece = n - off < seg ? n - off : seg;
		if (sendto(f->rs->fd, d + off, piece, 0,
			   (struct sockaddr *)&f->cli,
			   sa_len((struct sockaddr *)&f->cli)) < 0)
			stats.udp_drop_send++;
	}
}

/* The destination's datagrams: to the client, from the destination's
 * address, read and sent a batch at a time (kept together, with GSO,
 * when they came together). An ICMP error (the destination's port is
 * closed, or it cannot be reached) is reported on the connected socket
 * and ends the flow. */
static void
reply_cb(struct evl_io *io, int revents)
{
	struct udp_flow *f = io->data;
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	union ctlbuf ctl[BATCH];
	size_t seg[BATCH];
	int i, k, n, sent, rounds;

	(void)revents;
	for (rounds = 0; rounds < REPLY_BATCH / BATCH; rounds++) {
		memset(m, 0, sizeof(m));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = obuf[i];
			iov[i].iov_len = DGRAM_MAX;
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_control = ctl[i].buf;
			m[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
		}
		n = recvmmsg(f->fd, m, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			stats.udp_icmp_errors++;
			f->code = "UDP_REFUSED";
			udp_flow_end(f, errno == ECONNREFUSED ? "ICMP port "
				 "unreachable from the destination" :
				 strerror(errno));
			return;
		}
		f->last = evl_now();
		for (i = 0; i < n; i++) {
			size_t c;

			seg[i] = udp_seg_of(&m[i]);
			udp_dns_answer_in(f, obuf[i], m[i].msg_len, seg[i]);
			c = udp_seg_count(m[i].msg_len, seg[i]);
			f->dgrams_out += c;
			f->bytes_out += m[i].msg_len;
			stats.udp_dgrams_out += c;
			stats.udp_bytes_out += m[i].msg_len;
			iov[i].iov_len = m[i].msg_len;
			m[i].msg_hdr.msg_name = &f->cli;
			m[i].msg_hdr.msg_namelen =
				sa_len((struct sockaddr *)&f->cli);
			m[i].msg_hdr.msg_flags = 0;
			udp_gso_ctl(&m[i], &ctl[i], seg[i]);
		}
		for (i = 0; i < n; ) {
			sent = sendmmsg(f->rs->fd, m + i, (unsigned)(n - i), 0);
			if (sent > 0) {
				i += sent;
				continue;
			}
			k = errno;
			if (seg[i] && udp_gso_refused(k))
				reply_split(f, obuf[i], m[i].msg_len, seg[i]);
			else
				stats.udp_drop_send +=
					udp_seg_count(m[i].msg_len, seg[i]);
			i++;
		}
		if (!f->dns_done && udp_dns_answered(f)) {
			f->dns_done = 1;
			evl_timer_arm(&f->idle, UDP_DNS_LINGER);
		}
		if (n < BATCH)
			return;
	}
}

/* One datagram of the client to the destination (UF_RELAY). 0, or -1
 * when the flow ended. */
int
udp_flow_send(struct udp_flow *f, const uint8_t *d, size_t n)
{
	if (send(f->fd, d, n, 0) >= 0)
		return 0;
	if (errno == ECONNREFUSED) {	/* an ICMP error came first */
		stats.udp_icmp_errors++;
		f->code = "UDP_REFUSED";
		udp_flow_end(f, "ICMP port unreachable from the destination");
		return -1;
	}
	stats.udp_drop_send++;		/* EAGAIN, ENOBUFS: UDP may drop */
	return 0;
}

/* Open f's socket to its destination and start relaying, the held
 * datagrams first. 0, or -1 when the flow ended. */
static int
flow_relay(struct udp_flow *f)
{
	const struct sockaddr *cli = (const struct sockaddr *)&f->cli;
	const struct sockaddr *dst = (const struct sockaddr *)&f->dst;
	struct udp_held *h;
	int fd, err = 0;

	if (!lim_fd_room(2)) {
		stats.udp_drop_limit++;
		f->code = "UDP_LIMIT";
		udp_flow_end(f, "out of descriptors (max_filedescriptors)");
		return -1;
	}
	f->rs = udp_rsock_get(dst, tab.seed, &err);
	if (f->rs == NULL) {
		f->code = "UDP_ERROR";
		log_msg(LOG_WARN, "WARNING: udp_port: cannot open a "
			"transparent socket for replies: %s", strerror(-err));
		udp_flow_end(f, "no reply socket");
		return -1;
	}
	fd = spoof_udp_socket(cli, sa_len(cli), 0, 1);
	if (fd >= 0 && connect(fd, dst, sa_len(dst)) < 0) {
		err = -errno;
		close(fd);
		fd = err;
	}
	if (fd < 0) {
		f->code = "UDP_ERROR";
		log_msg(LOG_WARN, "WARNING: udp_port: cannot open a socket "
			"from the client's address: %s", strerror(-fd));
		udp_flow_end(f, "no socket to the destination");
		return -1;
	}
	f->fd = fd;
	lim_fds_take(1);
	/* The destination's datagrams sent together (GSO) come together,
	 * and go on together. */
	setsockopt(fd, SOL_UDP, UDP_GRO, &(int){ 1 }, sizeof(int));
	f->state = UF_RELAY;
	f->code = "UDP_RELAY";
	evl_io_init(&f->io, reply_cb, fd, f);
	evl_io_want(&f->io, EVL_READ);
	for (h = f->held; h; h = h->next)
		if (udp_flow_send(f, h->data, h->len) < 0)
			return -1;
	held_free(f);
	return 0;
}

/* f is denied: drop its datagrams until it is idle; log it now. */
static void
flow_deny(struct udp_flow *f, const char *why)
{
	stats.udp_drop_denied += f->dgrams_in;
	f->state = UF_DENIED;
	f->code = "UDP_DENIED";
	f->why = why;
	quic_free(f);
	held_free(f);
	flow_log(f);
}

/* A QUIC flow's reader has answered: keep the name, apply
 * udp_quic_access, relay. 0, or -1 when the flow ended. */
static int
flow_sniffed(struct udp_flow *f, int rc)
{
	struct acl_ctx ctx;
	char host[INET6_ADDRSTRLEN];
	const char *comma;

	if (rc == QUIC_DONE && f->quic->hello.has_sni)
		f->sni = strdup(f->quic->hello.sni);
	if (rc == QUIC_DONE && f->quic->hello.alpn[0] != '\0') {
		comma = strchr(f->quic->hello.alpn, ',');
		f->alpn = comma != NULL ?
			  strndup(f->quic->hello.alpn,
				  (size_t)(comma - f->quic->hello.alpn)) :
			  strdup(f->quic->hello.alpn);
	}
	if (rc != QUIC_DONE)
		log_msg(LOG_DEBUG, "udp flow: QUIC Initial not read: %s",
			f->quic->why != NULL ? f->quic->why :
			quic_rc_str(rc));
	if (rc == QUIC_NOT_QUIC)
		f->proto = UDP_P_OTHER;	/* passed untouched */
	quic_free(f);
	if (f->proto == UDP_P_QUIC) {
		flow_ctx(f, &ctx, host, sizeof(host));
		if (acl_check(&f->cfg->udp.quic_access, &ctx, ACL_ALLOW,
			      NULL) != ACL_ALLOW) {
			flow_deny(f, "udp_quic_access");
			return 0;
		}
	}
	return flow_relay(f);
}

/* Hold a copy of d while the flow is read (UF_SNIFF). 0 or -1 (no room:
 * the caller stops reading). */
static int
flow_hold(struct udp_flow *f, const uint8_t *d, size_t n)
{
	struct udp_held *h;

	if (f->held_bytes + n > HELD_MAX)
		return -1;
	h = malloc(sizeof(*h) + n);
	if (h == NULL)
		return -1;
	h->next = NULL;
	h->len = n;
	memcpy(h->data, d, n);
	*f->held_tail = h;
	f->held_tail = &h->next;
	f->nheld++;
	f->held_bytes += n;
	return 0;
}

/* One datagram from f's client, in whatever state f is. */
static void
flow_client_dgram(struct udp_flow *f, const uint8_t *d, size_t n)
{
	int rc;

	f->last = evl_now();
	f->dgrams_in++;
	f->bytes_in += n;
	stats.udp_dgrams_in++;
	stats.udp_bytes_in += n;
	switch (f->state) {
	case UF_RELAY:
		udp_dns_query_out(f, d, n);
		udp_flow_send(f, d, n);
		return;
	case UF_DENIED:
		stats.udp_drop_denied++;
		return;
	case UF_SNIFF:
		if (flow_hold(f, d, n) < 0) {
			/* Too much without a ClientHello: decide without
			 * the name, then this datagram follows the held
			 * ones. */
			if (flow_sniffed(f, QUIC_MALFORMED) < 0)
				return;		/* ended, freed */
			if (f->state == UF_RELAY)
				udp_flow_send(f, d, n);
			else
				stats.udp_drop_denied++;
			return;
		}
		rc = quic_hello_feed(f->quic, d, n);
		if (rc != QUIC_NEED_MORE)
			flow_sniffed(f, rc);
		return;
	case UF_CLOSED:
		return;
	}
}

/* Say once in a while that a limit drops new flows. */
static void
limit_warn(const char *what)
{
	if (evl_now() - limit_logged < 10)
		return;
	limit_logged = evl_now();
	log_msg(LOG_WARN, "WARNING: %s reached: new UDP flows are dropped",
		what);
}

/*
 * Whether dst is one of our udp_port sockets: a datagram sent to the
 * proxy itself, not intercepted. Relaying it would send it from the
 * client's address to the same socket, as the same flow, for ever. For
 * a socket on the any address, dst's address is ours when a socket can
 * be bound to it without IP_TRANSPARENT.
 */
static int
is_own(const struct sockaddr *dst)
{
	struct sockaddr_storage a;
	struct udp_sock *s;
	int fd, local;

	for (s = socks; s; s = s->next) {
		if (sa_port((struct sockaddr *)&s->addr) != sa_port(dst) ||
		    s->addr.ss_family != dst->sa_family)
			continue;
		if (sa_same_ip((struct sockaddr *)&s->addr, dst))
			return 1;
		if (!sa_is_any((struct sockaddr *)&s->addr))
			continue;
		memcpy(&a, dst, sa_len(dst));
		sa_set_port((struct sockaddr *)&a, 0);
		fd = socket(dst->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 1;	/* cannot tell: do not relay */
		local = bind(fd, (struct sockaddr *)&a, sa_len(dst)) == 0;
		close(fd);
		if (local)
			return 1;
	}
	return 0;
}

/* The first datagram of a flow from cli to dst on s: limits, udp_access,
 * then a new flow. */
static void
flow_new(struct udp_sock *s, const struct udp_key *k,
	 const struct sockaddr_storage *cli, const struct sockaddr_storage *dst,
	 const uint8_t *d, size_t n)
{
	const struct cfg_udp *u = &s->cfg->udp;
	struct udp_flow *f;
	struct acl_ctx ctx;
	char host[INET6_ADDRSTRLEN];

	if (is_own((const struct sockaddr *)dst)) {
		stats.udp_drop_error++;
		if (evl_now() - own_logged >= 10) {
			own_logged = evl_now();
			log_msg(LOG_WARN, "WARNING: udp_port: datagrams sent "
				"to tproxyd's own UDP port are dropped (they "
				"were not intercepted)");
		}
		return;
	}
	if (u->max && tab.n >= u->max) {
		stats.udp_drop_limit++;
		limit_warn("udp_flows_max");
		return;
	}
	if (u->per_client && udp_tab_client_flows(&tab, k) >= u->per_client) {
		stats.udp_drop_limit++;
		limit_warn("udp_flows_per_client");
		return;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		stats.udp_drop_error++;
		return;
	}
	f->key = *k;
	f->cli = *cli;
	f->dst = *dst;
	f->fd = -1;
	f->held_tail = &f->held;
	f->cfg = cfg_ref(s->cfg);
	f->port = s->port;
	f->start = f->last = evl_now();
	f->proto = udp_proto_guess(sa_port((const struct sockaddr *)dst), d,
				   n);
	f->code = "UDP_RELAY";
	if (f->proto == UDP_P_DNS)
		udp_dns_question(f, d, n);
	if (udp_tab_add(&tab, f) < 0) {
		cfg_unref(f->cfg);
		free(f->qname);
		free(f);
		stats.udp_drop_error++;
		return;
	}
	stats.udp_flows++;
	stats.udp_flows_total++;
	evl_timer_init(&f->idle, idle_cb, f);
	evl_timer_arm(&f->idle, udp_idle_timeout(f->cfg, f->proto));
	flow_ctx(f, &ctx, host, sizeof(host));
	if (acl_check(&u->access, &ctx, ACL_ALLOW, NULL) != ACL_ALLOW) {
		f->dgrams_in = 1;
		f->bytes_in = n;
		stats.udp_dgrams_in++;
		stats.udp_bytes_in += n;
		flow_deny(f, "udp_access");
		return;
	}
	if (f->proto == UDP_P_QUIC) {
		f->quic = malloc(sizeof(*f->quic));
		if (f->quic != NULL) {
			quic_hello_init(f->quic);
			f->state = UF_SNIFF;
			flow_client_dgram(f, d, n);
			return;
		}
	}
	if (flow_relay(f) < 0)
		return;
	flow_client_dgram(f, d, n);
}

/* The datagrams of d (cut every seg bytes; seg 0: one datagram) of a
 * flow that does not relay yet, or has no run: one at a time, the first
 * may make the flow. */
static void
dgram_each(struct udp_sock *s, const struct udp_key *k,
	   const struct sockaddr_storage *cli,
	   const struct sockaddr_storage *dst, uint8_t *d, size_t n,
	   size_t seg)
{
	struct udp_flow *f;
	size_t off = 0, piece;

	do {
		piece = seg == 0 || n - off < seg ? n - off : seg;
		f = udp_tab_find(&tab, k);
		if (f != NULL)
			flow_client_dgram(f, d + off, piece);
		else
			flow_new(s, k, cli, dst, d + off, piece);
		off += piece;
	} while (off < n);
}

/* One batch of datagrams from a udp_port socket: how many were read. */
static int
sock_batch(struct udp_sock *s)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH], cli, dst;
	union ctlbuf ctl[BATCH];
	struct udp_key k;
	struct udp_flow *f;
	struct run run;
	socklen_t clen, dlen;
	size_t seg, len;
	int i, n;

	run.f = NULL;
	run.n = 0;
	run.niov = 0;
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = rbuf[i];
		iov[i].iov_len = DGRAM_MAX;
		msg[i].msg_hdr.msg_name = &from[i];
		msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_control = ctl[i].buf;
		msg[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
	}
	n = recvmmsg(s->fd, msg, BATCH, MSG_DONTWAIT, NULL);
	for (i = 0; i < n; i++) {
		cli = from[i];
		clen = msg[i].msg_hdr.msg_namelen;
		sa_unmap(&cli, &clen);
		if (origdst_from_cmsg(&msg[i].msg_hdr, &dst, &dlen) < 0 ||
		    (msg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
		    udp_key_make(&k, (struct sockaddr *)&cli,
				 (struct sockaddr *)&dst) < 0) {
			stats.udp_drop_error++;
			continue;
		}
		len = msg[i].msg_len;
		seg = udp_seg_of(&msg[i]);
		f = udp_tab_find(&tab, &k);
		if (f != NULL && udp_run_add(&run, f, rbuf[i], len, seg))
			continue;
		/* Another flow, or one not relaying: what was gathered
		 * goes first, in order (it may end its flow: look again). */
		if (run.f != NULL) {
			udp_run_flush(&run);
			f = udp_tab_find(&tab, &k);
			if (f != NULL &&
			    udp_run_add(&run, f, rbuf[i], len, seg))
				continue;
		}
		dgram_each(s, &k, &cli, &dst, rbuf[i], len, seg);
	}
	if (run.f != NULL)
		udp_run_flush(&run);
	return n;
}

/* Datagrams on a udp_port socket: batches while they come full, up to
 * SOCK_ROUNDS of them before the other sockets get their turn. */
static void
sock_cb(struct evl_io *io, int revents)
{
	int r;

	(void)revents;
	for (r = 0; r < SOCK_ROUNDS; r++)
		if (sock_batch(io->data) < BATCH)
			return;
}

/* ---------------------------------------------------------- the udp_ports */

static void
sock_close(struct udp_sock *s)
{
	evl_io_stop(&s->io);
	close(s->fd);
	lim_fds_give(1);
	free(s);
}

/* Open a socket for port at addr (IPv4 or IPv6). NULL with err set. */
static struct udp_sock *
sock_open(const struct cfg_udp_port *port, const struct sockaddr *addr,
	  char *err, size_t errlen)
{
	struct udp_sock *s;
	char where[INET6_ADDRSTRLEN + 8];
	int fd;

	sa_text(addr, where, sizeof(where));
	/* -k upgrade: the previous program's socket, with the datagrams
	 * already queued on it. */
	fd = inherit_take(SOCK_DGRAM, addr, NULL, NULL);
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	else
		fd = spoof_udp_socket(addr, sa_len(addr), 1, 1);
	if (fd >= 0) {
		/* Every client's datagrams queue here: room for bursts
		 * (SO_RCVBUFFORCE needs CAP_NET_ADMIN, which tproxyd has
		 * while it starts; otherwise net.core.rmem_max caps it). */
		int sz = SOCK_RCVBUF;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
			       sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		/* A client's datagrams sent together (UDP_SEGMENT, as QUIC
		 * stacks send) are read together, and relayed together
		 * (udp_run_add()); without it the kernel cuts them here. */
		setsockopt(fd, SOL_UDP, UDP_GRO, &(int){ 1 }, sizeof(int));
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot open UDP port %s: %s%s", where,
			 strerror(-fd), fd == -EPERM ? ": udp_port needs "
			 "CAP_NET_ADMIN (run as root, or grant it with "
			 "systemd AmbientCapabilities= or setcap)" : "");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = fd;
	memcpy(&s->addr, addr, sa_len(addr));
	s->len = sa_len(addr);
	s->port = port;
	lim_fds_take(1);
	evl_io_init(&s->io, sock_cb, fd, s);
	return s;
}

/* The addresses a udp_port line listens on: its own, or 0.0.0.0 and ::
 * with its port. Returns how many (1 or 2). */
static int
port_addrs(const struct cfg_udp_port *p, struct sockaddr_storage a[2])
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a[0];
	unsigned pn = sa_port((const struct sockaddr *)&p->addr);

	if (!p->wildcard) {
		memcpy(&a[0], &p->addr, sizeof(a[0]));
		return 1;
	}
	memset(a, 0, 2 * sizeof(a[0]));
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)pn);
	memcpy(&a[1], &p->addr, sizeof(a[1]));	/* [::]:PORT */
	return 2;
}

/* A udp_port line whose socket could not be opened: FILE:LINE: why. */
static void
port_fail(const struct cfg_udp_port *p, const char *err, int startup)
{
	log_msg(LOG_CRIT, "ERROR: %s:%d: %s", p->file, p->line, err);
	if (startup)
		fprintf(stderr, "tproxyd: %s:%d: %s\n", p->file, p->line,
			err);
}

int
udp_apply(struct cfg *c, int startup)
{
	struct udp_sock *keep = NULL, *s, **ps;
	struct sockaddr_storage a[2];
	char err[256], where[INET6_ADDRSTRLEN + 8];
	size_t i;
	int k, na, rc = 0;

	if (!tab_ready) {
		if (udp_tab_init(&tab, 0) < 0) {
			log_msg(LOG_CRIT, "ERROR: udp_port: out of memory");
			return -1;
		}
		tab_ready = 1;
	}
	for (i = 0; i < c->udp.nport; i++) {
		na = port_addrs(&c->udp.port[i], a);
		for (k = 0; k < na; k++) {
			for (ps = &socks; (s = *ps) != NULL; ps = &s->next)
				if (sa_equal((struct sockaddr *)&s->addr,
					     (struct sockaddr *)&a[k]))
					break;
			if (s != NULL) {
				*ps = s->next;	/* keep it */
			} else {
				s = sock_open(&c->udp.port[i],
					      (struct sockaddr *)&a[k], err,
					      sizeof(err));
				if (s == NULL) {
					/* This one stays closed; the others
					 * follow c, so that no socket keeps
					 * a configuration that goes away. */
					port_fail(&c->udp.port[i], err,
						  startup);
					rc = -1;
					continue;
				}
			}
			s->port = &c->udp.port[i];
			s->next = keep;
			keep = s;
		}
	}
	while ((s = socks) != NULL) {	/* ports that went away */
		socks = s->next;
		log_msg(LOG_INFO, "Closing UDP port %s",
			sa_text((struct sockaddr *)&s->addr, where,
				sizeof(where)));
		sock_close(s);
	}
	socks = keep;
	for (s = socks; s; s = s->next) {
		if (s->cfg == NULL)
			log_msg(LOG_CRIT, "Accepting TPROXY intercepted UDP "
				"datagrams at %s, FD %d",
				sa_text((struct sockaddr *)&s->addr, where,
					sizeof(where)), s->fd);
		s->cfg = c;
		evl_io_want(&s->io, EVL_READ);
	}
	return rc;
}

void
udp_close_all(void)
{
	struct udp_sock *s;
	struct udp_flow *f;
	size_t i;

	while ((s = socks) != NULL) {
		socks = s->next;
		sock_close(s);
	}
	if (!tab_ready)
		return;
	for (i = 0; i < tab.nb; i++)
		while ((f = tab.b[i]) != NULL)
			udp_flow_end(f, "shutdown");
	udp_tab_free(&tab);
	tab_ready = 0;
}

size_t
udp_fds(int *fds, size_t max)
{
	struct udp_sock *s;
	size_t n = 0;

	for (s = socks; s != NULL && n < max; s = s->next)
		fds[n++] = s->fd;
	return n;
}

size_t
udp_nflows(void)
{
	return tab_ready ? tab.n : 0;
}
