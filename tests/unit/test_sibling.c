/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_sibling.c - src/proxy/sibling.c in one process on loopback: our
 * client asking our server (ICP and HTCP: HIT names the sibling, MISS
 * and DENIED end the query at once, the server's log records), a fake
 * sibling (a plain UDP socket) whose replies from another port, with
 * another URL or another request number are ignored, sib_cancel() (the
 * callback never runs), the configured and dynamic timeouts (Squid's:
 * twice the mean round trip within [min, max]; dead siblings asked but
 * not waited for), no-query siblings never asked, and the HTCP CLR that
 * drops a URL through the clear callback; IPv4 and IPv6 sockets side
 * by side; the acls seeing the URL; may_ask (cache_peer_access) and
 * unresolved siblings; sib_opts_from_cfg().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cache/htcp.h"
#include "cache/icp.h"
#include "config/config.h"
#include "event/loop.h"
#include "proxy/sibling.h"

static const char *table[4];
static int ncb, nlog;
static struct sib_peer *got;
static char lastcode[32], lastmethod[32];
static struct evl_timer stop_timer;

static int
lookup(const char *url, size_t len)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (table[i] != NULL && strlen(table[i]) == len &&
		    memcmp(table[i], url, len) == 0)
			return 1;
	return 0;
}

static int
clear(const char *url, size_t len)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (table[i] != NULL && strlen(table[i]) == len &&
		    memcmp(table[i], url, len) == 0) {
			table[i] = NULL;
			return 1;
		}
	return 0;
}

static void
log_cb(const struct sib_log *l)
{
	nlog++;
	snprintf(lastcode, sizeof(lastcode), "%s", l->code);
	snprintf(lastmethod, sizeof(lastmethod), "%s", l->method);
}

static void
answer(void *arg, struct sib_peer *hit)
{
	(void)arg;
	ncb++;
	got = hit;
	evl_break();
}

static void
on_brk(struct evl_timer *t)
{
	(void)t;
	evl_break();
}

/* Run the loop until a callback or s seconds; returns the time spent. */
static double
run_for(double s)
{
	double t0 = evl_time();

	evl_timer_arm(&stop_timer, s);
	evl_run();
	evl_timer_stop(&stop_timer);
	evl_now_update();
	return evl_time() - t0;
}

static struct sockaddr_in lo;

static unsigned
free_udp_port(int *fdp)
{
	struct sockaddr_in a = lo;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	a.sin_port = 0;
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	if (fdp != NULL) {
		*fdp = fd;
	} else
		close(fd);
	return ntohs(a.sin_port);
}

static void
set_peer(struct sib_peer *p, unsigned port, int htcp, const char *name)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&p->addr;

	memset(p, 0, sizeof(*p));
	*a = lo;
	a->sin_port = htons((uint16_t)port);
	p->addrlen = sizeof(*a);
	p->htcp = htcp;
	p->name = name;
}

static struct cfg *acl_cfg;

static int
setup(void **state)
{
	struct cfg_msgs msgs;

	(void)state;
	memset(&lo, 0, sizeof(lo));
	lo.sin_family = AF_INET;
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(evl_init(), 0);
	evl_timer_init(&stop_timer, on_brk, NULL);
	memset(&msgs, 0, sizeof(msgs));
	acl_cfg = cfg_load_mem("acl lo src 127.0.0.1\nhttp_access allow lo\n"
			       "http_access deny all\n", "test", &msgs);
	assert_non_null(acl_cfg);
	cfg_msgs_free(&msgs);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cfg_unref(acl_cfg);
	return 0;
}

static void
reset(void)
{
	ncb = nlog = 0;
	got = NULL;
	lastcode[0] = lastmethod[0] = '\0';
	table[0] = "http://a/held";
	table[1] = NULL;
}

/* Our client asks our server (the same process): a sibling of itself. */
static void
test_self(void **state)
{
	struct sib_peer peers[2];
	struct sib_opts o;
	char err[200];
	unsigned icp = free_udp_port(NULL), htcp = free_udp_port(NULL);
	int proto;
	double t;

	(void)state;
	for (proto = 0; proto < 2; proto++) {
		reset();
		memset(&o, 0, sizeof(o));
		o.icp_port = icp;
		o.htcp_port = htcp;
		o.udp_in = (struct sockaddr *)&lo;
		o.icp_access = &acl_cfg->http_access;
		o.htcp_access = &acl_cfg->http_access;
		o.lookup = lookup;
		o.log = log_cb;
		o.query_timeout = 2;
		set_peer(&peers[0], proto ? htcp : icp, proto, "self");
		o.peers = peers;
		o.npeers = 1;
		assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
		assert_int_equal(sib_icp_port(), icp);
		assert_int_equal(sib_htcp_port(), htcp);

		assert_non_null(sib_query("http://a/held", 13, answer, NULL));
		run_for(3);
		assert_int_equal(ncb, 1);
		assert_ptr_equal(got, &peers[0]);
		assert_int_equal(nlog, 1);
		assert_string_equal(lastcode, "UDP_HIT");
		assert_string_equal(lastmethod, proto ? "HTCP_TST" :
				    "ICP_QUERY");
		assert_int_equal(peers[0].hits, 1);

		assert_non_null(sib_query("http://a/other", 14, answer,
					  NULL));
		t = run_for(3);
		assert_int_equal(ncb, 2);
		assert_null(got);
		assert_true(t < 1);	/* the MISS, not the 2 s timeout */
		assert_string_equal(lastcode, "UDP_MISS");
		assert_int_equal(peers[0].misses, 1);
		assert_true(peers[0].rtt > 0 && peers[0].rtt < 1);
		sib_stop();
	}
}

/* No access list: ICP gets DENIED (an answer: the query ends at once);
 * HTCP gets nothing (Squid's way), so the query times out. */
static void
test_denied(void **state)
{
	struct sib_peer peers[1];
	struct sib_opts o;
	char err[200];
	unsigned icp = free_udp_port(NULL), htcp = free_udp_port(NULL);
	double t;

	(void)state;
	reset();
	memset(&o, 0, sizeof(o));
	o.icp_port = icp;
	o.htcp_port = htcp;
	o.udp_in = (struct sockaddr *)&lo;
	o.lookup = lookup;
	o.log = log_cb;
	o.query_timeout = 0.3;
	set_peer(&peers[0], icp, 0, "self");
	o.peers = peers;
	o.npeers = 1;
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	assert_non_null(sib_query("http://a/held", 13, answer, NULL));
	t = run_for(2);
	assert_int_equal(ncb, 1);
	assert_null(got);
	assert_true(t < 0.25);
	assert_string_equal(lastcode, "UDP_DENIED");
	sib_stop();

	set_peer(&peers[0], htcp, 1, "self");
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	assert_non_null(sib_query("http://a/held", 13, answer, NULL));
	t = run_for(2);
	assert_int_equal(ncb, 2);
	assert_null(got);
	assert_true(t >= 0.29);
	assert_string_equal(lastcode, "UDP_DENIED");
	assert_string_equal(lastmethod, "HTCP_TST");
	sib_stop();
}

/* A fake sibling: only its own reply, from its address, with the URL
 * and request number of the query, counts. */
static void
test_fake_sibling(void **state)
{
	struct sib_peer peers[1];
	struct sib_opts o;
	struct sockaddr_in from, to;
	socklen_t flen = sizeof(from);
	struct icp_msg m;
	uint8_t b[256], r[256];
	char err[200];
	int fd, other, n, k;
	struct timeval tv = { 2, 0 };

	(void)state;
	reset();
	set_peer(&peers[0], free_udp_port(&fd), 0, "fake");
	free_udp_port(&other);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	memset(&o, 0, sizeof(o));
	o.peers = peers;
	o.npeers = 1;
	o.query_timeout = 1;
	/* No ICP port: the client gets a socket of its own. */
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	assert_int_equal(sib_icp_port(), 0);
	assert_non_null(sib_query("http://a/x", 10, answer, NULL));
	n = (int)recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from,
			  &flen);
	assert_true(n > 0);
	assert_int_equal(icp_parse(b, (size_t)n, &m), 0);
	assert_int_equal(m.op, ICP_OP_QUERY);
	assert_true(m.reqnum != 0);
	assert_int_equal(m.url.len, 10);
	to = from;

	/* HIT from another port; MISS for another URL; HIT for another
	 * request number: all ignored. */
	k = icp_build_reply(r, sizeof(r), ICP_OP_HIT, m.reqnum, 0, 0,
			    "http://a/x", 10);
	sendto(other, r, (size_t)k, 0, (struct sockaddr *)&to, sizeof(to));
	k = icp_build_reply(r, sizeof(r), ICP_OP_MISS, m.reqnum, 0, 0,
			    "http://a/y", 10);
	sendto(fd, r, (size_t)k, 0, (struct sockaddr *)&to, sizeof(to));
	k = icp_build_reply(r, sizeof(r), ICP_OP_HIT, m.reqnum + 1, 0, 0,
			    "http://a/x", 10);
	sendto(fd, r, (size_t)k, 0, (struct sockaddr *)&to, sizeof(to));
	/* Garbage is dropped too. */
	sendto(fd, "junk", 4, 0, (struct sockaddr *)&to, sizeof(to));
	run_for(0.1);
	assert_int_equal(ncb, 0);

	k = icp_build_reply(r, sizeof(r), ICP_OP_HIT, m.reqnum, 0, 0,
			    "http://a/x", 10);
	sendto(fd, r, (size_t)k, 0, (struct sockaddr *)&to, sizeof(to));
	run_for(2);
	assert_int_equal(ncb, 1);
	assert_ptr_equal(got, &peers[0]);

	/* A second HIT for the finished query changes nothing. */
	sendto(fd, r, (size_t)k, 0, (struct sockaddr *)&to, sizeof(to));
	run_for(0.05);
	assert_int_equal(ncb, 1);
	sib_stop();
	close(fd);
	close(other);
}

static void
test_cancel(void **state)
{
	struct sib_peer peers[1];
	struct sib_opts o;
	struct sib_query *q;
	char err[200];
	unsigned icp = free_udp_port(NULL);

	(void)state;
	reset();
	memset(&o, 0, sizeof(o));
	o.icp_port = icp;
	o.udp_in = (struct sockaddr *)&lo;
	o.icp_access = &acl_cfg->http_access;
	o.lookup = lookup;
	o.query_timeout = 0.1;
	set_peer(&peers[0], icp, 0, "self");
	o.peers = peers;
	o.npeers = 1;
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	/* Cancelled before its HIT arrives and before its timeout. */
	q = sib_query("http://a/held", 13, answer, NULL);
	assert_non_null(q);
	sib_cancel(q);
	run_for(0.3);
	assert_int_equal(ncb, 0);
	/* Several at once, one cancelled: the others are answered. */
	q = sib_query("http://a/held", 13, answer, NULL);
	assert_non_null(sib_query("http://a/held", 13, answer, NULL));
	sib_cancel(q);
	run_for(1);
	assert_int_equal(ncb, 1);
	sib_cancel(NULL);
	sib_stop();
}

/* The timeout: configured; else Squid's dynamic one. */
static void
test_timeouts(void **state)
{
	struct sib_peer peers[2];
	struct sib_opts o;
	char err[200];
	int fd;
	double t;

	(void)state;
	reset();
	set_peer(&peers[0], free_udp_port(&fd), 0, "silent");
	set_peer(&peers[1], free_udp_port(NULL), 0, "nq");
	peers[1].no_query = 1;
	memset(&o, 0, sizeof(o));
	o.peers = peers;
	o.npeers = 2;
	o.timeout_min = 0.1;
	o.timeout_max = 0.4;
	o.dead_peer_timeout = 0.5;
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	/* No round trip yet: twice 0, raised to the minimum. */
	assert_true(sib_timeout() == 0.1);
	assert_non_null(sib_query("http://a/x", 10, answer, NULL));
	t = run_for(2);
	assert_int_equal(ncb, 1);
	assert_true(t >= 0.09 && t < 0.4);
	assert_int_equal(peers[0].sent, 1);
	assert_int_equal(peers[1].sent, 0);	/* no-query */
	/* A round trip of 0.15 s: 0.3. */
	peers[0].rtt = 0.15;
	peers[0].probe_start = 0;
	assert_true(sib_timeout() > 0.29 && sib_timeout() < 0.31);
	peers[0].rtt = 1;
	assert_true(sib_timeout() == 0.4);	/* the maximum */
	/* Silent for longer than dead_peer_timeout: dead, still asked,
	 * not waited for; with no live sibling, 2 s within the bounds. */
	peers[0].probe_start = evl_now() - 1;
	assert_true(sib_timeout() == 0.4);
	assert_non_null(sib_query("http://a/x", 10, answer, NULL));
	assert_int_equal(peers[0].sent, 2);
	run_for(2);
	assert_int_equal(ncb, 2);
	sib_stop();

	/* Only no-query siblings: nobody to ask. */
	o.peers = &peers[1];
	o.npeers = 1;
	o.query_timeout = 0.5;
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	assert_null(sib_query("http://a/x", 10, answer, NULL));
	assert_true(sib_timeout() == 0.5);
	sib_stop();
	close(fd);
}

/* HTCP CLR from an allowed querier drops the URL (clear callback); the
 * next TST misses. */
static void
test_clr(void **state)
{
	static const struct htcp_spec s = {
		{ "GET", 3 }, { "http://a/held", 13 }, { "HTTP/1.1", 8 },
		{ "", 0 },
	};
	struct sib_opts o;
	struct sockaddr_in to = lo;
	struct htcp_msg m;
	uint8_t b[256];
	char err[200];
	unsigned htcp = free_udp_port(NULL);
	int fd, n;
	struct timeval tv = { 2, 0 };

	(void)state;
	reset();
	memset(&o, 0, sizeof(o));
	o.htcp_port = htcp;
	o.udp_in = (struct sockaddr *)&lo;
	o.htcp_access = &acl_cfg->http_access;
	o.htcp_clr_access = &acl_cfg->http_access;
	o.lookup = lookup;
	o.clear = clear;
	o.log = log_cb;
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	free_udp_port(&fd);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	to.sin_port = htons((uint16_t)htcp);

	n = htcp_build_clr(b, sizeof(b), 77, 0, 1, &s);
	sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
	run_for(0.1);
	n = (int)recv(fd, b, sizeof(b), 0);
	assert_int_equal(htcp_parse(b, (size_t)n, &m), 0);
	assert_int_equal(m.op, HTCP_OP_CLR);
	assert_int_equal(m.rr, 1);
	assert_int_equal(m.trans_id, 77);
	assert_int_equal(m.response, HTCP_CLR_GONE);
	assert_null(table[0]);
	assert_string_equal(lastmethod, "HTCP_CLR");

	n = htcp_build_tst(b, sizeof(b), 78, &s);
	sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
	run_for(0.1);
	n = (int)recv(fd, b, sizeof(b), 0);
	assert_int_equal(htcp_parse(b, (size_t)n, &m), 0);
	assert_int_equal(m.trans_id, 78);
	assert_int_equal(m.response, HTCP_TST_MISS);
	assert_true(m.has_detail);
	sib_stop();
	close(fd);
}

/* icp_access sees the URL's host, port and path as a request's: a
 * dstdomain, port and urlpath_regex acl decide on the queried URL. */
static void
test_acl_url(void **state)
{
	struct sib_peer peers[1];
	struct sib_opts o;
	struct cfg_msgs msgs;
	struct cfg *c;
	char err[200];
	unsigned icp = free_udp_port(NULL);

	(void)state;
	reset();
	memset(&msgs, 0, sizeof(msgs));
	c = cfg_load_mem("acl lo src 127.0.0.1\nacl dom dstdomain a\n"
			 "acl p80 port 80\nacl held urlpath_regex ^/held\n"
			 "http_access allow lo dom p80 held\n"
			 "http_access deny all\n", "test", &msgs);
	assert_non_null(c);
	cfg_msgs_free(&msgs);
	memset(&o, 0, sizeof(o));
	o.icp_port = icp;
	o.udp_in = (struct sockaddr *)&lo;
	o.icp_access = &c->http_access;
	o.lookup = lookup;
	o.log = log_cb;
	o.query_timeout = 2;
	set_peer(&peers[0], icp, 0, "self");
	o.peers = peers;
	o.npeers = 1;
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	assert_non_null(sib_query("http://a/held", 13, answer, NULL));
	run_for(1);
	assert_ptr_equal(got, &peers[0]);
	assert_string_equal(lastcode, "UDP_HIT");
	assert_non_null(sib_query("http://A:80/held2", 17, answer, NULL));
	run_for(1);
	assert_string_equal(lastcode, "UDP_MISS");
	assert_non_null(sib_query("http://b/held", 13, answer, NULL));
	run_for(1);
	assert_string_equal(lastcode, "UDP_DENIED");
	assert_non_null(sib_query("http://a:8080/held", 18, answer, NULL));
	run_for(1);
	assert_string_equal(lastcode, "UDP_DENIED");
	assert_non_null(sib_query("http://a/other", 14, answer, NULL));
	run_for(1);
	assert_string_equal(lastcode, "UDP_DENIED");
	/* Not a URL Squid could use: ICP_ERR, logged UDP_INVALID. */
	assert_non_null(sib_query("no url", 6, answer, NULL));
	run_for(1);
	assert_string_equal(lastcode, "UDP_INVALID");
	assert_int_equal(ncb, 6);
	assert_null(got);
	sib_stop();
	cfg_unref(c);
}

/* Without udp_in: 0.0.0.0:N and [::]:N (when the host has IPv6), and a
 * sibling reached over IPv6 answers like one over IPv4. */
static void
test_ipv6(void **state)
{
	struct sib_peer peers[1];
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&peers[0].addr;
	struct sib_opts o;
	char err[200];
	unsigned icp = free_udp_port(NULL);
	int fd6;

	(void)state;
	reset();
	fd6 = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd6 < 0)
		skip();
	close(fd6);
	memset(&o, 0, sizeof(o));
	o.icp_port = icp;
	o.icp_access = &acl_cfg->http_access;
	o.lookup = lookup;
	o.query_timeout = 2;
	memset(peers, 0, sizeof(peers));
	a6->sin6_family = AF_INET6;
	a6->sin6_addr = in6addr_loopback;
	a6->sin6_port = htons((uint16_t)icp);
	peers[0].addrlen = sizeof(*a6);
	peers[0].name = "v6";
	o.peers = peers;
	o.npeers = 1;
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	assert_int_equal(sib_has_ipv6(), 1);
	assert_int_equal(sib_icp_port(), icp);
	/* The querier is ::1, which the IPv4 acl does not allow: DENIED,
	 * so a miss at once. */
	assert_non_null(sib_query("http://a/held", 13, answer, NULL));
	run_for(1);
	assert_int_equal(ncb, 1);
	assert_null(got);
	sib_stop();
	/* Allowed: the HIT names the IPv6 sibling. */
	{
		struct cfg_msgs msgs;
		struct cfg *c;

		memset(&msgs, 0, sizeof(msgs));
		c = cfg_load_mem("acl lo6 src ::1\nhttp_access allow lo6\n",
				 "test6", &msgs);
		assert_non_null(c);
		cfg_msgs_free(&msgs);
		o.icp_access = &c->http_access;
		assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
		assert_non_null(sib_query("http://a/held", 13, answer,
					  NULL));
		run_for(1);
		assert_int_equal(ncb, 2);
		assert_ptr_equal(got, &peers[0]);
		sib_stop();
		cfg_unref(c);
	}
}

/* sib_opts_from_cfg(): struct cfg's fields set here directly (the
 * squid.conf parsing of these directives is cfg_sibling.c's). */
static void
test_from_cfg(void **state)
{
	struct cfg c;
	struct cfg_peer cp[5];
	struct sib_opts o;
	struct sib_peer *pe;
	const struct sockaddr_in6 *a6;
	const struct sockaddr_in *a4;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(cp, 0, sizeof(cp));
	c.cache.icp_port = 3130;
	c.cache.htcp_port = 4827;
	c.cache.icp_query_timeout = 0;
	c.cache.icp_query_timeout_min = 0.05;
	c.cache.icp_query_timeout_max = 2;
	cp[0].host = "192.0.2.1";	/* a parent: not a sibling */
	cp[0].name = "parent";
	cp[1].host = "192.0.2.2";
	cp[1].name = "sib-icp";
	cp[1].sibling = 1;
	cp[1].icp_port = 3130;
	cp[2].host = "[2001:db8::3]";
	cp[2].name = "sib-htcp";
	cp[2].sibling = 1;
	cp[2].icp_port = 4827;
	cp[2].htcp = 1;
	cp[3].host = "cache.example";	/* a name: resolved by the caller */
	cp[3].name = "cache.example";
	cp[3].sibling = 1;
	cp[3].icp_port = 3130;
	cp[4].host = "192.0.2.5";	/* ICP_PORT 0: never asked */
	cp[4].name = "sib-0";
	cp[4].sibling = 1;
	c.peer = cp;
	c.npeer = 5;
	assert_int_equal(sib_opts_from_cfg(&o, &c, &pe), 4);
	assert_ptr_equal(o.peers, pe);
	assert_int_equal(o.npeers, 4);
	assert_int_equal(o.icp_port, 3130);
	assert_int_equal(o.htcp_port, 4827);
	assert_ptr_equal(o.icp_access, &c.cache.icp_access);
	assert_ptr_equal(o.htcp_clr_access, &c.cache.htcp_clr_access);
	assert_true(o.timeout_max == 2 && o.timeout_min == 0.05);

	assert_string_equal(pe[0].name, "sib-icp");
	assert_int_equal((uintptr_t)pe[0].data, 1);
	a4 = (const struct sockaddr_in *)&pe[0].addr;
	assert_int_equal(pe[0].addrlen, sizeof(*a4));
	assert_int_equal(ntohs(a4->sin_port), 3130);
	assert_int_equal(ntohl(a4->sin_addr.s_addr), 0xc0000202);
	assert_false(pe[0].htcp || pe[0].no_query);

	a6 = (const struct sockaddr_in6 *)&pe[1].addr;
	assert_int_equal(pe[1].addrlen, sizeof(*a6));
	assert_int_equal(a6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(a6->sin6_port), 4827);
	assert_true(pe[1].htcp);

	assert_int_equal(pe[2].addrlen, 0);
	assert_false(pe[2].no_query);
	assert_true(pe[3].no_query);
	assert_int_equal((uintptr_t)pe[3].data, 4);
	free(pe);

	c.npeer = 1;
	assert_int_equal(sib_opts_from_cfg(&o, &c, &pe), 0);
	assert_null(pe);
	assert_int_equal(o.npeers, 0);
}

static int
deny_first(const struct sib_peer *p, void *arg)
{
	(void)arg;
	return strcmp(p->name, "first") != 0;
}

/* may_ask (cache_peer_access) and unresolved peers: neither is asked. */
static void
test_may_ask(void **state)
{
	struct sib_peer peers[3];
	struct sib_opts o;
	char err[200];
	int fd;
	struct timeval tv = { 1, 0 };
	uint8_t b[256];

	(void)state;
	reset();
	set_peer(&peers[0], free_udp_port(NULL), 0, "first");
	set_peer(&peers[1], free_udp_port(&fd), 0, "second");
	set_peer(&peers[2], 0, 0, "unresolved");
	peers[2].addrlen = 0;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	memset(&o, 0, sizeof(o));
	o.peers = peers;
	o.npeers = 3;
	o.may_ask = deny_first;
	o.query_timeout = 0.1;
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	assert_non_null(sib_query("http://a/x", 10, answer, NULL));
	assert_true(recv(fd, b, sizeof(b), 0) > 0);
	assert_int_equal(peers[0].sent, 0);
	assert_int_equal(peers[1].sent, 1);
	assert_int_equal(peers[2].sent, 0);
	run_for(1);
	assert_int_equal(ncb, 1);
	/* Nobody allowed: not asked at all. */
	o.npeers = 1;
	assert_int_equal(sib_start(&o, err, sizeof(err)), 0);
	assert_null(sib_query("http://a/x", 10, answer, NULL));
	sib_stop();
	close(fd);
}

static void
test_bind_error(void **state)
{
	struct sib_opts o;
	char err[200];
	int fd;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.icp_port = free_udp_port(&fd);	/* still bound */
	o.udp_in = (struct sockaddr *)&lo;
	assert_int_equal(sib_start(&o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ICP port"));
	assert_non_null(strstr(err, "Address already in use"));
	assert_int_equal(sib_icp_port(), 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_fake_sibling),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_clr),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_acl_url),
		cmocka_unit_test(test_from_cfg),
		cmocka_unit_test(test_may_ask),
		cmocka_unit_test(test_bind_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
