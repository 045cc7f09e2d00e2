/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sib_tool.c - drives src/proxy/sibling.c for tests/blackbox/test_sibling.py
 * (against a real Squid). Not installed.
 *
 *   sib_tool serve [--addr IP] [--icp PORT] [--htcp PORT] [--allow CIDR]
 *                  [--hit URL]...
 *       Answer ICP and HTCP queries: HIT for the --hit URLs, MISS for
 *       others, DENIED for queriers outside --allow (none: deny all).
 *       HTCP CLR (same --allow) drops a URL from the table. Prints
 *       "ready icp=N htcp=N" once listening, then one line per query
 *       answered: "log CLIENT METHOD CODE URL BYTES". Stops on SIGTERM.
 *
 *   sib_tool ask [--timeout S] [--peer icp|htcp:IP:PORT[:no-query]]...
 *                URL...
 *       Ask the peers about each URL in turn and print "URL HIT NAME",
 *       "URL MISS" (all missed or timed out) or "URL NOT-ASKED", with
 *       the milliseconds it took.
 *
 *   sib_tool clr IP PORT URL
 *       Send an HTCP CLR (RD set) for URL with the codec alone and print
 *       the response: "clr response=N trans=N", or "clr none".
 *
 * The access list is the test's shim until struct cfg carries icp_access:
 * an "acl ... src CIDR" and "http_access allow" loaded by the real
 * config module, whose http_access list stands for icp_access,
 * htcp_access and htcp_clr_access.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/htcp.h"
#include "config/config.h"
#include "core/sa.h"
#include "event/loop.h"
#include "proxy/sibling.h"

#define MAXN 32

static const char *hits[MAXN];
static size_t nhits;
static struct evl_signal sig_term, sig_int;

static int
lookup(const char *url, size_t len)
{
	size_t i;

	for (i = 0; i < nhits; i++)
		if (hits[i] != NULL && strlen(hits[i]) == len &&
		    memcmp(hits[i], url, len) == 0)
			return 1;
	return 0;
}

static int
clear(const char *url, size_t len)
{
	size_t i;
	int n = 0;

	for (i = 0; i < nhits; i++)
		if (hits[i] != NULL && strlen(hits[i]) == len &&
		    memcmp(hits[i], url, len) == 0) {
			hits[i] = NULL;
			n = 1;
		}
	return n;
}

static void
log_cb(const struct sib_log *l)
{
	char a[64];

	printf("log %s %s %s %.*s %zu\n", sa_ip_text(l->client, a, sizeof(a)),
	       l->method, l->code, (int)l->url.len, l->url.p, l->bytes);
	fflush(stdout);
}

static void
on_signal(struct evl_signal *s)
{
	(void)s;
	evl_break();
}

static int
parse_addr(const char *ip, unsigned port, struct sockaddr_storage *ss,
	   socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int
serve(int argc, char **argv)
{
	struct sockaddr_storage in;
	struct sib_opts o;
	struct cfg_msgs msgs;
	struct cfg *c = NULL;
	char conf[256], err[256];
	const char *allow = NULL;
	socklen_t inlen;
	int i;

	memset(&o, 0, sizeof(o));
	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--icp") == 0)
			o.icp_port = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--htcp") == 0)
			o.htcp_port = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--allow") == 0)
			allow = argv[i + 1];
		else if (strcmp(argv[i], "--hit") == 0 && nhits < MAXN)
			hits[nhits++] = argv[i + 1];
		else if (strcmp(argv[i], "--addr") == 0) {
			if (parse_addr(argv[i + 1], 0, &in, &inlen) < 0)
				return 2;
			o.udp_in = (struct sockaddr *)&in;
		} else
			return 2;
	}
	if (allow != NULL) {
		snprintf(conf, sizeof(conf), "acl sibs src %s\n"
			 "http_access allow sibs\nhttp_access deny all\n",
			 allow);
		memset(&msgs, 0, sizeof(msgs));
		c = cfg_load_mem(conf, "sib_tool", &msgs);
		if (c == NULL) {
			fprintf(stderr, "sib_tool: bad --allow\n");
			return 2;
		}
		cfg_msgs_free(&msgs);
		o.icp_access = &c->http_access;
		o.htcp_access = &c->http_access;
		o.htcp_clr_access = &c->http_access;
	}
	o.lookup = lookup;
	o.clear = clear;
	o.log = log_cb;
	if (sib_start(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "sib_tool: %s\n", err);
		return 1;
	}
	evl_signal_start(&sig_term, SIGTERM, on_signal, NULL);
	evl_signal_start(&sig_int, SIGINT, on_signal, NULL);
	printf("ready icp=%u htcp=%u ipv6=%d\n", sib_icp_port(),
	       sib_htcp_port(), sib_has_ipv6());
	fflush(stdout);
	evl_run();
	sib_stop();
	if (c != NULL)
		cfg_unref(c);
	return 0;
}

static struct sib_peer peers[MAXN];
static char names[MAXN][64];
static int done;

static void
answer(void *arg, struct sib_peer *hit)
{
	const char *url = arg;

	printf("%s %s %s\n", url, hit != NULL ? "HIT" : "MISS",
	       hit != NULL ? hit->name : "-");
	fflush(stdout);
	done = 1;
	evl_break();
}

static int
ask(int argc, char **argv)
{
	struct sib_opts o;
	struct sib_query *q;
	char err[256], *spec, *ip, *port, *opt;
	double t0;
	int i;

	memset(&o, 0, sizeof(o));
	o.peers = peers;
	for (i = 2; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--timeout") == 0) {
			o.query_timeout = atof(argv[i + 1]);
			continue;
		}
		if (strcmp(argv[i], "--peer") != 0 || o.npeers == MAXN)
			return 2;
		/* icp|htcp:IP:PORT[:no-query]; IPv6 as [::1]. */
		spec = argv[i + 1];
		peers[o.npeers].htcp = strncmp(spec, "htcp:", 5) == 0;
		ip = strchr(spec, ':') + 1;
		if (*ip == '[') {
			ip++;
			port = strchr(ip, ']');
			if (port == NULL)
				return 2;
			*port++ = '\0';
		} else {
			port = strchr(ip, ':');
			if (port == NULL)
				return 2;
			*port = '\0';
		}
		port++;
		opt = strchr(port, ':');
		if (opt != NULL) {
			*opt++ = '\0';
			peers[o.npeers].no_query = strcmp(opt, "no-query") == 0;
		}
		if (parse_addr(ip, (unsigned)atoi(port),
			       &peers[o.npeers].addr,
			       &peers[o.npeers].addrlen) < 0)
			return 2;
		snprintf(names[o.npeers], sizeof(names[0]), "%s:%s", ip, port);
		peers[o.npeers].name = names[o.npeers];
		o.npeers++;
	}
	if (sib_start(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "sib_tool: %s\n", err);
		return 1;
	}
	for (; i < argc; i++) {
		evl_now_update();
		t0 = evl_time();
		done = 0;
		q = sib_query(argv[i], strlen(argv[i]), answer, argv[i]);
		if (q == NULL) {
			printf("%s NOT-ASKED -\n", argv[i]);
			continue;
		}
		while (!done)
			evl_run();
		printf("ms %.0f\n", (evl_time() - t0) * 1000);
		fflush(stdout);
	}
	sib_stop();
	return 0;
}

static int
clr(int argc, char **argv)
{
	struct sockaddr_storage to;
	struct timeval tv = { 3, 0 };
	struct htcp_spec s;
	struct htcp_msg m;
	uint8_t b[4096];
	socklen_t tlen;
	int fd, n;

	if (argc != 5 ||
	    parse_addr(argv[2], (unsigned)atoi(argv[3]), &to, &tlen) < 0)
		return 2;
	memset(&s, 0, sizeof(s));
	s.method = STR_LIT("GET");
	s.uri = str_make(argv[4], strlen(argv[4]));
	s.version = STR_LIT("HTTP/1.1");
	n = htcp_build_clr(b, sizeof(b), 4242, 0, 1, &s);
	fd = socket(to.ss_family, SOCK_DGRAM, 0);
	if (n < 0 || fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&to, tlen) < 0)
		return 1;
	n = (int)recv(fd, b, sizeof(b), 0);
	close(fd);
	if (n < 0 || htcp_parse(b, (size_t)n, &m) != 0 ||
	    m.op != HTCP_OP_CLR || !m.rr) {
		printf("clr none\n");
		return 0;
	}
	printf("clr response=%u trans=%u\n", m.response,
	       (unsigned)m.trans_id);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (evl_init() < 0)
		return 1;
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return serve(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "ask") == 0)
		return ask(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "clr") == 0)
		return clr(argc, argv);
	fprintf(stderr, "usage: sib_tool serve|ask ... (see the source)\n");
	return 2;
}
