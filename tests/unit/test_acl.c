/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_acl.c - ACL matching (acl_match) and access lists (acl_check).
 *
 * ACLs are built by loading configuration text, the way the daemon gets
 * them, so the tests also cover the values' parsed form (ranges, sorted
 * domains, compiled regexes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl/acl.h"
#include "config/config.h"
#include "http/msg-t.h"

static const char acl_conf[] =
	"http_port 3128 name=fwd\n"
	"acl lan src 10.0.0.0/8 192.168.1.0/255.255.255.0 "
	"172.16.0.5-172.16.0.9 2001:db8::/32 fe80::1-fe80::9\n"
	"acl one src 192.0.2.1\n"
	"acl v6all src ::/0\n"
	"acl mapped src ::ffff:0:0/96\n"
	"acl srv dst 192.0.2.0/24 2001:db8:1::/48\n"
	"acl web port 80 443 8000-8080\n"
	"acl lp localport 3128\n"
	"acl pn myportname fwd\n"
	"acl get method GET HEAD\n"
	"acl conn method CONNECT\n"
	"acl https proto HTTPS\n"
	"acl dom dstdomain .example.com exact.org\n"
	"acl lit dstdomain 192.0.2.1 example.net\n"
	"acl dre dstdom_regex ^www\\.\n"
	"acl ure url_regex -i \\.EXE$\n"
	"acl ucs url_regex \\.EXE$\n"
	"acl pre urlpath_regex ^/cgi-bin/\n"
	"acl lip localip 192.0.2.10 2001:db8::10\n"
	"acl work time MTWHF 08:00-17:30\n"
	"acl night time 00:00-06:00 A\n"
	"acl wkend time SA\n"
	"acl ua browser -i curl/ ^Wget\n"
	"acl ref referer_regex ^https?://intra\\.\n"
	"acl rh req_header X-Tag -i ^secret$\n"
	"acl rh req_header Accept-Language ^de\n"
	"acl sh rep_header Server ^nginx\n"
	"acl rqm req_mime_type ^multipart/form-data\n"
	"acl rqnone req_mime_type ^$\n"
	"acl rpm rep_mime_type -i ^video/\n"
	"acl st http_status 200 301-302 500-\n"
	"acl mac arp 02:00:00:00:00:01 02-00-00-00-00-AA\n"
	"acl many maxconn 2\n"
	"acl hreq has request\n"
	"acl hresp has response\n"
	"acl hale has ALE\n"
	"acl both all-of lan get\n"
	"acl both all-of one !get\n"
	"acl either any-of one conn\n"
	"acl eitherdst any-of srv one\n"
	"acl alldst all-of srv one\n"
	"acl sd srcdomain .clients.test exact.example.\n"
	"acl sre srcdom_regex ^pc[0-9]+\\.clients\\.\n"
	"acl snone srcdomain none\n"
	"acl sdone any-of sd one\n"
	"acl sdall all-of sd one\n";

/* A request, as strings; NULL means unknown. */
struct req {
	const char *client;	/* default 198.51.100.200 */
	const char *dst;
	unsigned    dst_port;
	unsigned    local_port;
	const char *method;
	const char *proto;
	const char *host;
	const char *url;
	const char *path;
	const char *port_name;
	const char *local;	/* the address the client reached */
	const char *reqh;	/* request fields "Name: value\n"... */
	const char *resph;	/* response fields; NULL: no response */
	int         status;	/* response status (with resph) */
	const char *when;	/* local time "YYYY-MM-DD HH:MM"; or the
				   clock */
	unsigned    conns;
	const char *mac;	/* the client's MAC; NULL: not a neighbour */
	const char *cname;	/* the client's reverse-DNS name; NULL: not
				   looked up */
	int         wait;	/* the caller can look it up (name_wait) */
};

static struct str
sv(const char *s)
{
	return s != NULL ? str_make(s, strlen(s)) : STR_NULL;
}

static void
mkaddr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return;
	}
	fail_msg("bad test address '%s'", s);
}

/* A kept message head from "Name: value\n" lines, in static storage (one
 * request and one response at a time: the tests are sequential). */
static const struct http_msg *
mkmsg(int which, const char *fields, int status)
{
	static struct http_msg m[2];
	static struct h1_header h[2][16];
	static char area[2][1024];
	struct http_msg *msg = &m[which];
	char *p, *colon, *nl;
	size_t n = 0;

	if (fields == NULL)
		return NULL;
	memset(msg, 0, sizeof(*msg));
	snprintf(area[which], sizeof(area[which]), "%s", fields);
	for (p = area[which]; *p != '\0' && n < 16; p = nl + 1) {
		nl = strchr(p, '\n');
		colon = strchr(p, ':');
		if (nl == NULL || colon == NULL || colon > nl)
			fail_msg("bad test fields '%s'", fields);
		h[which][n].name = str_make(p, (size_t)(colon - p));
		colon++;
		while (*colon == ' ')
			colon++;
		h[which][n].value = str_make(colon, (size_t)(nl - colon));
		n++;
	}
	msg->hdr = h[which];
	msg->nhdr = n;
	msg->status = status;
	msg->valid = 1;
	return msg;
}

static const char *test_mac;

/* The neighbour table as the test case says. */
/* The count "maxconn" acls see in the row being run. */
static unsigned test_conns;

static unsigned
fake_conns(const struct sockaddr *sa)
{
	(void)sa;
	return test_conns;
}

static int
fake_mac(const struct sockaddr *sa, unsigned char mac[6])
{
	unsigned v[6];
	int i;

	(void)sa;
	if (test_mac == NULL)
		return -1;
	if (sscanf(test_mac, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5]) != 6)
		fail_msg("bad test mac '%s'", test_mac);
	for (i = 0; i < 6; i++)
		mac[i] = (unsigned char)v[i];
	return 0;
}

static void
mkctx(const struct req *r, struct acl_ctx *ctx, struct sockaddr_storage *cl,
      struct sockaddr_storage *dst)
{
	static struct sockaddr_storage local;
	struct tm tm;

	memset(ctx, 0, sizeof(*ctx));
	if (r->local != NULL) {
		mkaddr(r->local, &local);
		ctx->local = (const struct sockaddr *)&local;
	}
	ctx->req = mkmsg(0, r->reqh, 0);
	ctx->resp = mkmsg(1, r->resph, r->status);
	if (r->when != NULL) {
		memset(&tm, 0, sizeof(tm));
		if (strptime(r->when, "%Y-%m-%d %H:%M", &tm) == NULL)
			fail_msg("bad test time '%s'", r->when);
		tm.tm_isdst = -1;
		ctx->now = (long long)mktime(&tm);
	}
	test_conns = r->conns;
	ctx->client_conns = fake_conns;
	test_mac = r->mac;
	ctx->client_mac = fake_mac;
	mkaddr(r->client != NULL ? r->client : "198.51.100.200", cl);
	ctx->client = (const struct sockaddr *)cl;
	if (r->dst != NULL) {
		mkaddr(r->dst, dst);
		ctx->dst = (const struct sockaddr *)dst;
	}
	ctx->dst_port = r->dst_port;
	ctx->local_port = r->local_port;
	ctx->method = sv(r->method);
	ctx->proto = sv(r->proto);
	ctx->host = sv(r->host);
	ctx->url = sv(r->url);
	ctx->path = sv(r->path);
	ctx->port_name = r->port_name;
	ctx->client_name = r->cname;
	ctx->name_wait = r->wait;
}

static struct cfg *
load(const char *extra)
{
	struct cfg_msgs m;
	struct cfg *c;
	char text[8192];
	size_t i;

	snprintf(text, sizeof(text), "%s%s", acl_conf, extra);
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "acl.conf", &m);
	if (c == NULL || m.n != 0) {
		for (i = 0; i < m.n; i++)
			print_error("    %s\n", m.msg[i].text);
		cfg_msgs_free(&m);
		cfg_unref(c);
		fail_msg("test configuration does not load clean");
	}
	cfg_msgs_free(&m);
	return c;
}

/* ------------------------------------------------------------ acl_match */

struct match_case {
	const char *acl;
	struct req  r;
	int         want;
};

static const struct match_case match_cases[] = {
	/* src: CIDR, netmask, range, IPv6, mapped */
	{ "lan", { .client = "10.1.2.3" }, 1 },
	{ "lan", { .client = "10.0.0.0" }, 1 },
	{ "lan", { .client = "10.255.255.255" }, 1 },
	{ "lan", { .client = "11.0.0.0" }, 0 },
	{ "lan", { .client = "9.255.255.255" }, 0 },
	{ "lan", { .client = "192.168.1.77" }, 1 },
	{ "lan", { .client = "192.168.2.1" }, 0 },
	{ "lan", { .client = "172.16.0.4" }, 0 },
	{ "lan", { .client = "172.16.0.5" }, 1 },
	{ "lan", { .client = "172.16.0.9" }, 1 },
	{ "lan", { .client = "172.16.0.10" }, 0 },
	{ "lan", { .client = "::ffff:10.9.9.9" }, 1 },
	{ "lan", { .client = "::ffff:11.0.0.1" }, 0 },
	{ "lan", { .client = "::10.9.9.9" }, 0 },	/* compat, not mapped */
	{ "lan", { .client = "2001:db8::1" }, 1 },
	{ "lan", { .client = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff" }, 1 },
	{ "lan", { .client = "2001:db9::1" }, 0 },
	{ "lan", { .client = "fe80::5" }, 1 },
	{ "lan", { .client = "fe80::a" }, 0 },
	{ "one", { .client = "192.0.2.1" }, 1 },
	{ "one", { .client = "192.0.2.2" }, 0 },
	{ "one", { .client = "::ffff:192.0.2.1" }, 1 },
	{ "mapped", { .client = "::ffff:1.2.3.4" }, 1 },
	{ "mapped", { .client = "1.2.3.4" }, 0 },
	{ "v6all", { .client = "::1" }, 1 },
	{ "v6all", { .client = "1.2.3.4" }, 0 },
	{ "all", { .client = "1.2.3.4" }, 1 },
	{ "all", { .client = "::1" }, 1 },
	{ "all", { .client = "::ffff:1.2.3.4" }, 1 },
	{ "localhost", { .client = "127.0.0.1" }, 1 },
	{ "localhost", { .client = "127.0.0.2" }, 0 },
	{ "localhost", { .client = "::1" }, 1 },
	{ "localhost", { .client = "::ffff:127.0.0.1" }, 1 },

	/* dst: address known, host literal, unknown */
	{ "srv", { .dst = "192.0.2.7" }, 1 },
	{ "srv", { .dst = "198.51.100.1" }, 0 },
	{ "srv", { .dst = "::ffff:192.0.2.1" }, 1 },
	{ "srv", { .dst = "2001:db8:1:ffff::1" }, 1 },
	{ "srv", { .dst = "2001:db8:2::1" }, 0 },
	{ "srv", { .host = "www.example.com" }, -1 },
	{ "srv", { .host = NULL }, -1 },
	{ "srv", { .host = "192.0.2.8" }, 1 },
	{ "srv", { .host = "198.51.100.1" }, 0 },
	{ "srv", { .host = "[2001:db8:1::5]" }, 1 },
	{ "srv", { .host = "2001:db8:1::5" }, 1 },
	{ "srv", { .dst = "198.51.100.1", .host = "192.0.2.8" }, 0 },
	{ "to_localhost", { .dst = "127.1.2.3" }, 1 },
	{ "to_localhost", { .dst = "0.0.0.0" }, 1 },
	{ "to_localhost", { .dst = "::" }, 1 },
	{ "to_localhost", { .dst = "192.0.2.1" }, 0 },
	{ "to_linklocal", { .dst = "169.254.169.254" }, 1 },
	{ "to_linklocal", { .dst = "febf::1" }, 1 },
	{ "to_linklocal", { .dst = "fec0::1" }, 0 },

	/* ports */
	{ "web", { .dst_port = 80 }, 1 },
	{ "web", { .dst_port = 443 }, 1 },
	{ "web", { .dst_port = 8000 }, 1 },
	{ "web", { .dst_port = 8080 }, 1 },
	{ "web", { .dst_port = 8081 }, 0 },
	{ "web", { .dst_port = 7999 }, 0 },
	{ "web", { .dst_port = 0 }, 0 },
	{ "web", { .local_port = 80 }, 0 },
	{ "lp", { .local_port = 3128 }, 1 },
	{ "lp", { .local_port = 3129 }, 0 },
	{ "lp", { .dst_port = 3128 }, 0 },
	{ "pn", { .port_name = "fwd" }, 1 },
	{ "pn", { .port_name = "fwd2" }, 0 },
	{ "pn", { .port_name = NULL }, 0 },

	/* methods are case-sensitive; proto is not */
	{ "get", { .method = "GET" }, 1 },
	{ "get", { .method = "HEAD" }, 1 },
	{ "get", { .method = "get" }, 0 },
	{ "get", { .method = "GETX" }, 0 },
	{ "get", { .method = "GE" }, 0 },
	{ "get", { .method = NULL }, 0 },
	{ "conn", { .method = "CONNECT" }, 1 },
	{ "https", { .proto = "HTTPS" }, 1 },
	{ "https", { .proto = "https" }, 1 },
	{ "https", { .proto = "HTTP" }, 0 },

	/* dstdomain */
	{ "dom", { .host = "example.com" }, 1 },
	{ "dom", { .host = "www.example.com" }, 1 },
	{ "dom", { .host = "a.b.EXAMPLE.Com" }, 1 },
	{ "dom", { .host = "example.com." }, 1 },
	{ "dom", { .host = "www.example.com." }, 1 },
	{ "dom", { .host = "badexample.com" }, 0 },
	{ "dom", { .host = "example.com.evil" }, 0 },
	{ "dom", { .host = "com" }, 0 },
	{ "dom", { .host = "exact.org" }, 1 },
	{ "dom", { .host = "EXACT.ORG." }, 1 },
	{ "dom", { .host = "www.exact.org" }, 0 },
	{ "dom", { .host = "xexact.org" }, 0 },
	{ "dom", { .host = "192.0.2.1" }, 0 },
	{ "dom", { .host = "[::1]" }, 0 },
	{ "dom", { .host = "::1" }, 0 },
	{ "dom", { .host = "" }, 0 },
	{ "dom", { .host = "." }, 0 },
	{ "dom", { .host = NULL }, 0 },

	/* regexes */
	{ "dre", { .host = "www.foo" }, 1 },
	{ "dre", { .host = "WWW.FOO" }, 1 },
	{ "dre", { .host = "foo.www.x" }, 0 },
	{ "ure", { .url = "http://x/a.exe" }, 1 },
	{ "ure", { .url = "http://x/a.EXE" }, 1 },
	{ "ure", { .url = "http://x/a.exe?x" }, 0 },
	{ "ucs", { .url = "http://x/a.exe" }, 0 },
	{ "ucs", { .url = "http://x/A.EXE" }, 1 },
	{ "pre", { .path = "/cgi-bin/x" }, 1 },
	{ "pre", { .path = "/x/cgi-bin/" }, 0 },
	{ "pre", { .path = NULL }, 0 },
	{ "manager", { .url = "http://proxy:3128/squid-internal-mgr/info" },
	  1 },
	{ "manager", { .url = "http://proxy:3128/SQUID-internal-mgr/info" },
	  0 },
	{ "manager", { .url = "http://x/a/squid-internal-mgr/" }, 0 },
	{ "manager", { .url = "http://x/" }, 0 },

	/* dstdomain on an address literal: only a value naming it */
	{ "lit", { .host = "192.0.2.1" }, 1 },
	{ "lit", { .host = "192.0.2.2" }, 0 },
	{ "lit", { .host = "example.net" }, 1 },

	/* localip (myip): the address the client connected to */
	{ "lip", { .local = "192.0.2.10" }, 1 },
	{ "lip", { .local = "::ffff:192.0.2.10" }, 1 },
	{ "lip", { .local = "2001:db8::10" }, 1 },
	{ "lip", { .local = "192.0.2.11" }, 0 },
	{ "lip", { .local = NULL }, 0 },

	/* time: 2026-12-07 is a Monday, 2026-12-05 a Saturday */
	{ "work", { .when = "2026-12-07 08:00" }, 1 },
	{ "work", { .when = "2026-12-07 07:59" }, 0 },
	{ "work", { .when = "2026-12-07 17:30" }, 1 },
	{ "work", { .when = "2026-12-07 17:31" }, 0 },
	{ "work", { .when = "2026-12-11 12:00" }, 1 },	/* Friday */
	{ "work", { .when = "2026-12-05 12:00" }, 0 },	/* Saturday */
	{ "work", { .when = "2026-12-06 12:00" }, 0 },	/* Sunday */
	{ "night", { .when = "2026-12-08 03:00" }, 1 },	/* any day */
	{ "night", { .when = "2026-12-08 06:01" }, 0 },
	{ "night", { .when = "2026-12-05 23:59" }, 1 },	/* "A": all Sat. */
	{ "night", { .when = "2026-12-06 23:59" }, 0 },
	{ "wkend", { .when = "2026-12-06 00:00" }, 1 },
	{ "wkend", { .when = "2026-12-05 23:59" }, 1 },
	{ "wkend", { .when = "2026-12-07 00:00" }, 0 },

	/* browser, referer_regex, req_header: the kept request */
	{ "ua", { .reqh = "User-Agent: curl/8.1\n" }, 1 },
	{ "ua", { .reqh = "User-Agent: CURL/8.1\n" }, 1 },
	{ "ua", { .reqh = "user-agent: Wget/1.21\n" }, 1 },
	{ "ua", { .reqh = "User-Agent: Mozilla/5.0 (Wget)\n" }, 0 },
	{ "ua", { .reqh = "Accept: */*\n" }, 0 },
	{ "ua", { .reqh = NULL }, 0 },
	{ "ref", { .reqh = "Referer: https://intra.example/\n" }, 1 },
	{ "ref", { .reqh = "Referer: https://intraXexample/\n" }, 0 },
	{ "rh", { .reqh = "X-Tag: SECRET\n" }, 1 },
	{ "rh", { .reqh = "X-Tag: secret2\n" }, 0 },
	{ "rh", { .reqh = "X-Other: secret\n" }, 0 },
	{ "rh", { .reqh = "Accept-Language: de-CH\n" }, 1 },
	{ "rh", { .reqh = "Accept-Language: DE\n" }, 0 },	/* no -i */
	/* several fields of one name are joined with ", " */
	{ "rh", { .reqh = "Accept-Language: en\nAccept-Language: de\n" }, 0 },
	{ "rh", { .reqh = "Accept-Language: de\nAccept-Language: en\n" }, 1 },
	{ "rh", { .reqh = "X-Tag: a\nX-Tag: secret\n" }, 0 },
	{ "rqm", { .reqh = "Content-Type: multipart/form-data; b=x\n" }, 1 },
	{ "rqm", { .reqh = "Content-Type: text/plain\n" }, 0 },
	{ "rqnone", { .reqh = "Accept: */*\n" }, 1 },	/* absent: "" */
	{ "rqnone", { .reqh = "Content-Type: a/b\n" }, 0 },

	/* response acls: no response (http_access), then with one */
	{ "sh", { .reqh = "Server: nginx\n" }, 0 },
	{ "sh", { .resph = "Server: nginx/1.25\n", .status = 200 }, 1 },
	{ "sh", { .resph = "Server: Apache\n", .status = 200 }, 0 },
	{ "rpm", { .resph = "Content-Type: VIDEO/mp4\n", .status = 200 }, 1 },
	{ "rpm", { .resph = "Content-Type: text/html\n", .status = 200 }, 0 },
	{ "rpm", { .resph = NULL }, 0 },
	{ "st", { .resph = "", .status = 200 }, 1 },
	{ "st", { .resph = "", .status = 301 }, 1 },
	{ "st", { .resph = "", .status = 302 }, 1 },
	{ "st", { .resph = "", .status = 303 }, 0 },
	{ "st", { .resph = "", .status = 404 }, 0 },
	{ "st", { .resph = "", .status = 500 }, 1 },
	{ "st", { .resph = "", .status = 599 }, 1 },
	{ "st", { .resph = NULL }, 0 },

	/* arp: the neighbour table's answer */
	{ "mac", { .mac = "02:00:00:00:00:01" }, 1 },
	{ "mac", { .mac = "02:00:00:00:00:aa" }, 1 },
	{ "mac", { .mac = "02:00:00:00:00:02" }, 0 },
	{ "mac", { .mac = NULL }, 0 },

	/* maxconn: more than N */
	{ "many", { .conns = 1 }, 0 },
	{ "many", { .conns = 2 }, 0 },
	{ "many", { .conns = 3 }, 1 },

	/* has */
	{ "hreq", { .method = "GET" }, 1 },
	{ "hreq", { .reqh = "A: b\n" }, 1 },
	{ "hreq", { .method = NULL }, 0 },
	{ "hresp", { .method = "GET" }, 0 },
	{ "hresp", { .resph = "", .status = 200 }, 1 },
	{ "hale", { .method = NULL }, 1 },

	/* all-of: lines ORed, acls of a line ANDed, '!' allowed */
	{ "both", { .client = "10.0.0.1", .method = "GET" }, 1 },
	{ "both", { .client = "10.0.0.1", .method = "POST" }, 0 },
	{ "both", { .client = "192.0.2.1", .method = "POST" }, 1 },
	{ "both", { .client = "192.0.2.1", .method = "GET" }, 0 },
	{ "either", { .client = "192.0.2.1" }, 1 },
	{ "either", { .method = "CONNECT" }, 1 },
	{ "either", { .method = "GET" }, 0 },
	/* unknown (dst not resolved) unless settled otherwise */
	{ "eitherdst", { .client = "192.0.2.1", .host = "a.example" }, 1 },
	{ "eitherdst", { .host = "a.example" }, -1 },
	{ "alldst", { .host = "a.example" }, 0 },
	{ "alldst", { .client = "192.0.2.1", .host = "a.example" }, -1 },
	{ "alldst", { .client = "192.0.2.1", .host = "192.0.2.5" }, 1 },

	/* srcdomain: the client's name like dstdomain (case-insensitive,
	 * ".x" covers x and what is under it, trailing dot ignored) */
	{ "sd", { .cname = "pc1.clients.test" }, 1 },
	{ "sd", { .cname = "PC1.Clients.TEST." }, 1 },
	{ "sd", { .cname = "clients.test" }, 1 },
	{ "sd", { .cname = "xclients.test" }, 0 },
	{ "sd", { .cname = "exact.example" }, 1 },
	{ "sd", { .cname = "a.exact.example" }, 0 },
	{ "sd", { .cname = "none" }, 0 },
	/* srcdom_regex on the lowercased name */
	{ "sre", { .cname = "pc12.clients.test" }, 1 },
	{ "sre", { .cname = "PC12.CLIENTS.test" }, 1 },
	{ "sre", { .cname = "pc.clients.test" }, 0 },
	{ "sre", { .cname = "none" }, 0 },
	/* no name (lookup failed or NXDOMAIN): "none", which matches a
	 * value "none" as in Squid */
	{ "snone", { .cname = "none" }, 1 },
	{ "snone", { .cname = "pc1.clients.test" }, 0 },
	/* not looked up: unknown where the caller can wait, else no match */
	{ "sd", { .cname = NULL, .wait = 1 }, -2 },
	{ "sre", { .cname = NULL, .wait = 1 }, -2 },
	{ "snone", { .cname = NULL, .wait = 1 }, -2 },
	{ "sd", { .cname = NULL }, 0 },
	{ "sre", { .cname = NULL }, 0 },
	{ "snone", { .cname = NULL }, 0 },
	{ "sdone", { .client = "192.0.2.1", .wait = 1 }, 1 },
	{ "sdone", { .wait = 1 }, -2 },
	{ "sdall", { .wait = 1 }, 0 },
	{ "sdall", { .client = "192.0.2.1", .wait = 1 }, -2 },
	{ "sdall", { .client = "192.0.2.1", .cname = "a.clients.test" }, 1 },
};

static void
test_match_table(void **state)
{
	const struct match_case *mc;
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	const struct acl *a;
	struct cfg *c = load("");
	size_t i;
	int got, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		mc = &match_cases[i];
		a = cfg_acl_find(c, mc->acl);
		if (a == NULL) {
			print_error("case %zu: no acl '%s'\n", i, mc->acl);
			failed = 1;
			continue;
		}
		mkctx(&mc->r, &ctx, &cl, &dst);
		got = acl_match(a, &ctx);
		if (got != mc->want) {
			print_error("case %zu: acl %s client %s dst %s host "
				    "'%s' port %u: got %d, want %d\n", i,
				    mc->acl, mc->r.client ? mc->r.client : "-",
				    mc->r.dst ? mc->r.dst : "-",
				    mc->r.host ? mc->r.host : "(null)",
				    mc->r.dst_port, got, mc->want);
			failed = 1;
		}
	}
	cfg_unref(c);
	if (failed)
		fail();
}

/* Subjects longer than the stack buffer take the malloc path. */
static void
test_long_url(void **state)
{
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	struct req r = { .client = "10.0.0.1" };
	struct cfg *c = load("");
	char url[5000];

	(void)state;
	memset(url, 'a', sizeof(url));
	memcpy(url, "http://x/", 9);
	memcpy(url + sizeof(url) - 5, ".exe", 5);
	r.url = url;
	mkctx(&r, &ctx, &cl, &dst);
	assert_int_equal(acl_match(cfg_acl_find(c, "ure"), &ctx), 1);
	url[sizeof(url) - 2] = 'x';
	assert_int_equal(acl_match(cfg_acl_find(c, "ure"), &ctx), 0);
	cfg_unref(c);
}

/* Many dstdomain values: every one is found by the binary search, and
 * names between them are not. */
static void
test_domain_bsearch(void **state)
{
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	struct req r = { 0 };
	struct cfg_msgs m;
	struct cfg *c;
	const struct acl *a;
	char *text, host[64];
	size_t len = 0, cap = 64 * 1024;
	int i, got, want;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text, cap, "http_port 1\nacl d dstdomain");
	for (i = 0; i < 500; i += 2)
		len += (size_t)snprintf(text + len, cap - len, " %sd%03d.test",
					i % 4 ? "." : "", i);
	snprintf(text + len, cap - len, "\n");
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "big.conf", &m);
	free(text);
	assert_non_null(c);
	a = cfg_acl_find(c, "d");
	assert_int_equal(a->n, 250);
	for (i = 0; i < 500; i++) {
		snprintf(host, sizeof(host), "d%03d.test", i);
		r.host = host;
		mkctx(&r, &ctx, &cl, &dst);
		got = acl_match(a, &ctx);
		want = i % 2 == 0;
		snprintf(host, sizeof(host), "sub.d%03d.test", i);
		mkctx(&r, &ctx, &cl, &dst);
		if (got != want || acl_match(a, &ctx) != (i % 4 == 2)) {
			cfg_unref(c);
			cfg_msgs_free(&m);
			fail_msg("d%03d.test: got %d want %d (sub.: want %d)",
				 i, got, want, i % 4 == 2);
		}
	}
	cfg_unref(c);
	cfg_msgs_free(&m);
}

/* ------------------------------------------------------------ acl_check */

struct check_case {
	const char      *rules;		/* http_access lines */
	struct req       r;
	int              dflt;
	enum acl_verdict want;
	int              rule;		/* index of the deciding rule, -1 */
};

static const struct check_case check_cases[] = {
	/* empty list: the caller's default, no rule */
	{ "", { .client = "10.0.0.1" }, 1, ACL_ALLOW, -1 },
	{ "", { .client = "10.0.0.1" }, 0, ACL_DENY, -1 },
	/* first match wins */
	{ "http_access allow lan\nhttp_access deny all\n",
	  { .client = "10.0.0.1" }, 0, ACL_ALLOW, 0 },
	{ "http_access allow lan\nhttp_access deny all\n",
	  { .client = "8.8.8.8" }, 1, ACL_DENY, 1 },
	{ "http_access deny one\nhttp_access allow all\n",
	  { .client = "192.0.2.1" }, 1, ACL_DENY, 0 },
	{ "http_access deny one\nhttp_access allow all\n",
	  { .client = "192.0.2.2" }, 0, ACL_ALLOW, 1 },
	/* nothing matched: the opposite of the last rule, not dflt */
	{ "http_access allow lan\n", { .client = "8.8.8.8" }, 1, ACL_DENY,
	  -1 },
	{ "http_access deny lan\n", { .client = "8.8.8.8" }, 0, ACL_ALLOW,
	  -1 },
	{ "http_access allow lan\nhttp_access deny one\n",
	  { .client = "8.8.8.8" }, 0, ACL_ALLOW, -1 },
	/* negation */
	{ "http_access deny !lan\n", { .client = "10.0.0.1" }, 0, ACL_ALLOW,
	  -1 },
	{ "http_access deny !lan\n", { .client = "8.8.8.8" }, 1, ACL_DENY, 0 },
	/* AND within a rule */
	{ "http_access allow lan web\nhttp_access deny all\n",
	  { .client = "10.0.0.1", .dst_port = 80 }, 0, ACL_ALLOW, 0 },
	{ "http_access allow lan web\nhttp_access deny all\n",
	  { .client = "10.0.0.1", .dst_port = 22 }, 1, ACL_DENY, 1 },
	/* the shipped default's CONNECT rule */
	{ "http_access deny conn !web\nhttp_access allow all\n",
	  { .method = "CONNECT", .dst_port = 22 }, 1, ACL_DENY, 0 },
	{ "http_access deny conn !web\nhttp_access allow all\n",
	  { .method = "CONNECT", .dst_port = 443 }, 0, ACL_ALLOW, 1 },
	/* dst unknown: only when it decides */
	{ "http_access allow srv\n", { .host = "www.example.com" }, 0,
	  ACL_NEED_DST, -1 },
	{ "http_access allow srv\n", { .host = "192.0.2.5" }, 0, ACL_ALLOW,
	  0 },
	{ "http_access allow srv\n", { .host = "www.example.com",
	  .dst = "192.0.2.5" }, 0, ACL_ALLOW, 0 },
	{ "http_access deny !srv\n", { .host = "www.example.com" }, 0,
	  ACL_NEED_DST, -1 },
	{ "http_access deny one srv\nhttp_access allow all\n",
	  { .client = "8.8.8.8", .host = "www.example.com" }, 0, ACL_ALLOW,
	  1 },
	{ "http_access deny srv one\nhttp_access allow all\n",
	  { .client = "8.8.8.8", .host = "www.example.com" }, 0, ACL_ALLOW,
	  1 },
	{ "http_access deny one srv\nhttp_access allow all\n",
	  { .client = "192.0.2.1", .host = "www.example.com" }, 1,
	  ACL_NEED_DST, -1 },
	{ "http_access allow all\nhttp_access deny srv\n",
	  { .host = "www.example.com" }, 0, ACL_ALLOW, 0 },
	{ "http_access deny to_localhost\nhttp_access allow all\n",
	  { .host = "127.0.0.1" }, 1, ACL_DENY, 0 },
	{ "http_access deny to_localhost\nhttp_access allow all\n",
	  { .host = "localhost" }, 1, ACL_NEED_DST, -1 },
	{ "http_access deny to_localhost\nhttp_access allow all\n",
	  { .host = "localhost", .dst = "::1" }, 1, ACL_DENY, 0 },
	/* domains and methods in rules */
	{ "http_access allow dom get\nhttp_access deny all\n",
	  { .host = "WWW.Example.com.", .method = "GET" }, 0, ACL_ALLOW, 0 },
	{ "http_access allow dom get\nhttp_access deny all\n",
	  { .host = "www.example.com", .method = "POST" }, 1, ACL_DENY, 1 },
	/* srcdomain: the client's name, asked for only when it decides */
	{ "http_access deny sd\nhttp_access allow all\n",
	  { .wait = 1 }, 0, ACL_NEED_NAME, -1 },
	{ "http_access deny sd\nhttp_access allow all\n",
	  { .cname = "pc1.clients.test", .wait = 1 }, 1, ACL_DENY, 0 },
	{ "http_access deny sd\nhttp_access allow all\n",
	  { .cname = "other.test", .wait = 1 }, 0, ACL_ALLOW, 1 },
	{ "http_access deny sd\nhttp_access allow all\n",
	  { .cname = "none", .wait = 1 }, 0, ACL_ALLOW, 1 },
	{ "http_access deny !sre\nhttp_access allow all\n",
	  { .cname = "none", .wait = 1 }, 1, ACL_DENY, 0 },
	{ "http_access deny snone\nhttp_access allow all\n",
	  { .cname = "none", .wait = 1 }, 1, ACL_DENY, 0 },
	{ "http_access allow lan\nhttp_access deny sd\nhttp_access allow "
	  "all\n", { .client = "10.0.0.1", .wait = 1 }, 0, ACL_ALLOW, 0 },
	{ "http_access deny one sd\nhttp_access allow all\n",
	  { .client = "8.8.8.8", .wait = 1 }, 0, ACL_ALLOW, 1 },
	/* both unknown in one rule: either need is fine to ask first; the
	 * name known, the destination is asked for */
	{ "http_access deny sd srv\nhttp_access allow all\n",
	  { .cname = "pc1.clients.test", .host = "a.example", .wait = 1 },
	  0, ACL_NEED_DST, -1 },
	/* without the phases (name_wait 0): no match, never a need */
	{ "http_access deny sd\nhttp_access allow all\n",
	  { .cname = NULL }, 0, ACL_ALLOW, 1 },
	{ "http_access deny !sd\nhttp_access allow all\n",
	  { .cname = NULL }, 1, ACL_DENY, 0 },
};

static void
test_check_table(void **state)
{
	const struct check_case *cc;
	const struct access_rule *rule, *want_rule;
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	enum acl_verdict v;
	struct cfg *c;
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		cc = &check_cases[i];
		c = load(cc->rules);
		mkctx(&cc->r, &ctx, &cl, &dst);
		rule = (const void *)&ctx;	/* must be overwritten */
		v = acl_check(&c->http_access, &ctx, cc->dflt, &rule);
		want_rule = cc->rule < 0 ? NULL :
		    &c->http_access.rule[cc->rule];
		if (v != cc->want || rule != want_rule) {
			print_error("case %zu: ---\n%s---\n  got verdict %d "
				    "rule %ld, want verdict %d rule %d\n", i,
				    cc->rules, (int)v, rule == NULL ? -1L :
				    (long)(rule - c->http_access.rule),
				    (int)cc->want, cc->rule);
			failed = 1;
		}
		/* The rule pointer is optional. */
		if (acl_check(&c->http_access, &ctx, cc->dflt, NULL) != v) {
			print_error("case %zu: verdict differs with rule "
				    "NULL\n", i);
			failed = 1;
		}
		cfg_unref(c);
	}
	if (failed)
		fail();
}

/* The shipped configuration's policy, end to end. */
static void
test_shipped_policy(void **state)
{
	static const struct {
		const char      *client, *method;
		unsigned         port;
		enum acl_verdict want;
	} cases[] = {
		{ "10.1.1.1", "GET", 80, ACL_ALLOW },
		{ "::ffff:192.168.0.9", "GET", 8080, ACL_ALLOW },
		{ "fd00::1", "GET", 80, ACL_ALLOW },
		{ "127.0.0.1", "GET", 80, ACL_ALLOW },
		{ "8.8.8.8", "GET", 80, ACL_DENY },
		{ "10.1.1.1", "GET", 25, ACL_DENY },
		{ "10.1.1.1", "CONNECT", 443, ACL_ALLOW },
		{ "10.1.1.1", "CONNECT", 8443, ACL_DENY },
	};
	struct sockaddr_storage cl, dst;
	struct acl_ctx ctx;
	struct cfg_msgs m;
	struct cfg *c;
	struct req r;
	enum acl_verdict v;
	size_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	c = cfg_load("etc/tproxyd.conf", &m);
	assert_non_null(c);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.client = cases[i].client;
		r.method = cases[i].method;
		r.dst_port = cases[i].port;
		r.host = "www.example.com";
		mkctx(&r, &ctx, &cl, &dst);
		v = acl_check(&c->http_access, &ctx, ACL_DENY, NULL);
		if (v != cases[i].want) {
			cfg_unref(c);
			cfg_msgs_free(&m);
			fail_msg("%s %s port %u: got %d, want %d",
				 cases[i].client, cases[i].method,
				 cases[i].port, (int)v, (int)cases[i].want);
		}
	}
	cfg_unref(c);
	cfg_msgs_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_long_url),
		cmocka_unit_test(test_domain_bsearch),
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_shipped_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
