/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config_load.c - squid.conf parsing, the table of configurations
 * and what loading each must give: every directive valid and invalid, the
 * "FILE:LINE: message" format, continuation lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg-int.h"	/* cfg_getaddrinfo: the fake resolver */
#include "config/config.h"
#include "cfg_fixture.h"

/* ------------------------------------------------------------ load table */

/*
 * One configuration and what loading it must give. Unless noport is set,
 * "http_port 65001" is appended as a last line so that cases need not
 * repeat it (and the line numbers of the case text are unchanged).
 * nwarn < 0: not checked. msg: a substring of the first message (NULL: no
 * message at all).
 */
struct load_row {
	const char *text;
	int         nerr;
	int         nwarn;
	const char *msg;
	int         noport;
};

static const struct load_row load_cases[] = {
	/* --- lexing --- */
	{ "", 0, 0, NULL, 0 },
	{ "# only a comment\n\n   \t\n", 0, 0, NULL, 0 },
	{ "http_port 3128 # trailing comment\n", 0, 0, NULL, 0 },
	{ "acl a src 10.0.0.1 \\\n  10.0.0.2 \\\n  bogus\n", 1, 0,
	  "t.conf:3: acl a: cannot resolve 'bogus'", 0 },
	{ "acl a src 10.0.0.1\\\n0.0.0.0/0\n", 1, 0,
	  "t.conf:1: acl a: invalid address '10.0.0.10.0.0.0/0'", 0 },
	{ "http_port 3128\r\nhtp_port 1\r\n", 1, 0,
	  "t.conf:2: unknown directive 'htp_port'", 0 },
	{ "acl q src \"unterminated\n", 1, 0,
	  "t.conf:1: unterminated quoted value", 0 },
	{ "include\n", 1, 0, "t.conf:1: include: missing file name", 0 },
	{ "include /nonexistent-dir-xyz/*.conf\n", 1, 0,
	  "t.conf:1: include: no file matches '/nonexistent-dir-xyz/*.conf'",
	  0 },
	{ "include /nonexistent-file-xyz.conf\n", 1, 0,
	  "t.conf:1: include: cannot read '/nonexistent-file-xyz.conf': No "
	  "such file", 0 },
	{ "\n\nhtp_port 3128\n", 1, 0,
	  "t.conf:3: unknown directive 'htp_port'", 0 },

	/* --- regular expressions glibc would blow up on (fuzz_config) --- */
	{ "acl r url_regex nam+++e\n", 1, 0,
	  "t.conf:1: acl r: regular expression 'nam+++e' is too costly", 0 },
	{ "acl r url_regex ((a{100}){100}){100}\n", 1, 0,
	  "bounds multiply past 100000", 0 },
	{ "acl r url_regex a{1000}\n", 1, 0, "a {n,m} bound above 255", 0 },
	{ "acl r url_regex ^https?://[a-z+*]+\\.example/(x|y)*[0-9]{2,4}$\n",
	  0, 0, NULL, 0 },

	/* --- processes, limits, stats --- */
	{ "workers 2\ncpu_affinity_map process_numbers=1,2 cores=1,2\n",
	  0, 0, NULL, 0 },
	{ "workers 0\n", 1, 0, "t.conf:1: workers: expected a number", 0 },
	{ "workers 65\n", 1, 0, "t.conf:1: workers: at most 64", 0 },
	{ "workers auto\n", 0, 0, NULL, 0 },
	{ "cpu_affinity_map process_numbers=1,2 cores=1\n", 1, 0,
	  "cpu_affinity_map: process_numbers= and cores= need lists", 0 },
	{ "cpu_affinity_map cpus=1 cores=1\n", 1, 0,
	  "cpu_affinity_map: expected process_numbers=", 0 },
	{ "max_filedescriptors 65536\nclient_connection_limit 100\n", 0, 0,
	  NULL, 0 },
	{ "max_filedescriptors 10\n", 1, 0,
	  "max_filedescriptors: expected a number from 64", 0 },
	{ "stats_port 9128\nstats_access allow localhost\n", 0, 0, NULL, 0 },
	{ "stats_port 9128 log\n", 0, 0, NULL, 0 },
	{ "stats_port 9128 verbose\n", 1, 0,
	  "t.conf:1: stats_port: unknown option 'verbose' (the only one is "
	  "'log'", 0 },
	{ "stats_port 9128 log log\n", 1, 0, "t.conf:1: stats_port", 0 },
	{ "http_port 127.0.0.1:3130\nstats_port 3130\n", 1, 0,
	  "t.conf:2: stats_port: '3130' is already used", 0 },
	{ "stats_access allow nosuch\n", 1, 0,
	  "stats_access: undefined acl 'nosuch'", 0 },

	/* --- adapted_http_access, client_netmask --- */
	{ "acl a src 10.0.0.0/8\nadapted_http_access deny a\n", 0, 0, NULL, 0 },
	{ "http_access2 allow all\n", 0, 0, NULL, 0 },
	{ "adapted_http_access allow nosuch\n", 1, 0,
	  "adapted_http_access: undefined acl 'nosuch'", 0 },
	{ "client_netmask 255.255.255.0\n", 0, 0, NULL, 0 },
	{ "client_netmask /16\n", 0, 0, NULL, 0 },
	{ "client_netmask 24\n", 0, 0, NULL, 0 },
	{ "client_netmask ffff:ffff:ffff::\n", 0, 0, NULL, 0 },
	{ "client_netmask /33\n", 1, 0, "client_netmask: expected a netmask",
	  0 },
	{ "client_netmask mask\n", 1, 0, "t.conf:1: client_netmask: expected "
	  "a netmask", 0 },
	{ "client_netmask\n", 1, 0, "client_netmask: missing argument", 0 },

	/* --- http_port --- */
	{ "http_port 3128\n", 0, 0, NULL, 1 },
	{ "", 0, 1, "t.conf: WARNING: no http_port configured: tproxyd "
	  "will not start with this file", 1 },
	{ "stats_port 9128\n", 0, 1, "no http_port configured", 1 },
	{ "http_port 99999\n", 1, 0, "t.conf:1: http_port: invalid port "
	  "'99999'", 0 },
	{ "http_port 0\n", 1, 0, "http_port: invalid port '0'", 0 },
	{ "http_port 3128x\n", 1, 0, "http_port: invalid port '3128x'", 0 },
	{ "http_port 1.2.3.4:\n", 1, 0, "http_port: invalid port ''", 0 },
	{ "http_port\n", 1, 0, "t.conf:1: http_port: missing argument", 0 },
	{ "http_port 1.2.3.999:3128\n", 1, 0,
	  "t.conf:1: http_port: invalid address '1.2.3.999' (expected an "
	  "IPv4 address, [IPv6] or a host name)", 0 },
	/* Host names (the fake resolver above): resolved at load, the
	 * first address used, as Squid does. */
	{ "http_port proxy.test:3128\n", 0, 0, NULL, 1 },
	{ "http_port dual.test:3128\n", 0, 1,
	  "t.conf:1: WARNING: http_port: 'dual.test' has 2 addresses "
	  "(2001:db8::1, 192.0.2.1); listening on 2001:db8::1 only, as Squid "
	  "does (add a line for each other address", 1 },
	{ "http_port dup.test:3128\n", 0, 1, "'dup.test' has 2 addresses "
	  "(192.0.2.7, 2001:db8::7); listening on 192.0.2.7 only", 1 },
	{ "http_port three.test:3128\n", 0, 1, "'three.test' has 3 addresses "
	  "(192.0.2.1, 192.0.2.2, ...); listening on 192.0.2.1 only", 1 },
	{ "http_port nosuch.test:3128\n", 1, 0,
	  "t.conf:1: http_port: cannot resolve 'nosuch.test': Name or "
	  "service not known", 0 },
	{ "http_port slow.test:3128\n", 1, 0,
	  "t.conf:1: http_port: cannot resolve 'slow.test': Temporary "
	  "failure in name resolution", 0 },
	{ "http_port nosuch.test:99999\n", 1, 0,
	  "http_port: invalid port '99999'", 0 },
	{ "http_port proxy.test:3128\nhttp_port 192.0.2.10:3128\n", 1, 0,
	  "t.conf:2: http_port: '192.0.2.10:3128' is already used by the "
	  "http_port at t.conf:1", 0 },
	{ "stats_port proxy.test:9100\n", 0, 0, NULL, 0 },
	{ "stats_port nosuch.test:9100\n", 1, 0,
	  "t.conf:1: stats_port: cannot resolve 'nosuch.test'", 0 },
	/* Every name that does not resolve is reported, in one pass. */
	{ "http_port a.test:1\nacl x dst b.test\nwccp2_router c.test\n"
	  "wccp2_address d.test\ntcp_outgoing_address e.test\n"
	  "acl y src proxy.test f.test\n", 6, 0,
	  "t.conf:1: http_port: cannot resolve 'a.test'", 0 },
	{ "http_port ::1:3128\n", 1, 0, "IPv6 addresses need brackets", 0 },
	{ "http_port [::1\n", 1, 0, "http_port: invalid address '[::1'", 0 },
	{ "http_port [::1]:3128 name=lo6\nhttp_port 127.0.0.1:3128\n", 0, 0,
	  NULL, 0 },
	{ "http_port 3129 tproxy\nhttp_port 3130 intercept\n"
	  "http_port 3131 transparent\nhttp_port 3132 accel\n", 0, 1,
	  "t.conf:4: WARNING: http_port: 'accel' (reverse proxy) is not "
	  "implemented", 0 },
	{ "http_port 3129 tproxy intercept\n", 1, 0,
	  "t.conf:1: http_port: 'tproxy' and 'intercept' cannot be used on "
	  "the same port", 0 },
	{ "http_port 3129 intercept accel\n", 1, 0,
	  "http_port: 'accel' cannot be combined with 'intercept'", 0 },
	{ "http_port 3129 tproxy accel\n", 1, 0,
	  "http_port: 'accel' cannot be combined with 'tproxy'", 0 },
	{ "http_port 80 transparent tproxy\n", 0, 1,
	  "t.conf:1: WARNING: http_port: 'transparent tproxy' is old Balabit "
	  "advice", 0 },
	{ "http_port 3128\nhttp_port 3128 tproxy\n", 1, 0,
	  "t.conf:2: http_port: '3128' is already used by the http_port at "
	  "t.conf:1", 0 },
	{ "http_port 10.0.0.1:3128\nhttp_port 10.0.0.1:3128\n", 1, 0,
	  "at t.conf:1", 0 },
	{ "http_port 3128 connection-auth=off ssl-bump vhost\n", 0, 2,
	  "t.conf:1: WARNING: http_port: option 'connection-auth=off' is not "
	  "supported by tproxyd; ignored", 0 },

	/* --- acl --- */
	{ "acl\n", 1, 0, "t.conf:1: acl: missing acl name", 0 },
	{ "acl a\n", 1, 0, "t.conf:1: acl a: missing acl type", 0 },
	{ "acl a src\n", 1, 0, "t.conf:1: acl a: missing values", 0 },
	{ "acl a$b src 1.2.3.4\n", 1, 0, "acl: invalid acl name 'a$b'", 0 },
	{ "acl foo bogus_type x\n", 1, 0,
	  "t.conf:1: acl foo: unsupported acl type 'bogus_type'", 0 },
	/* Predefined acls: same type appends (Squid's warnings for covered
	 * values), another type is an error. */
	{ "acl all src all\n", 0, 2, "t.conf:1: WARNING: acl all: Ignoring "
	  "0.0.0.0/0 because it is already covered by 0.0.0.0/0", 0 },
	{ "acl all src 0.0.0.0/0.0.0.0\n", 0, 3, "t.conf:1: WARNING: acl "
	  "all: '0.0.0.0/0.0.0.0' needs to be replaced by the term 'all'",
	  0 },
	{ "acl all src 1.2.3.4\n", 0, 1, "t.conf:1: WARNING: acl all: "
	  "Ignoring 1.2.3.4 because it is already covered by 0.0.0.0/0", 0 },
	{ "acl localhost src 127.0.0.1/32\n", 0, 1, "t.conf:1: WARNING: acl "
	  "localhost: Ignoring 127.0.0.1 because it is already covered by "
	  "127.0.0.1", 0 },
	{ "acl localhost src 127.0.0.0/8\n", 0, 1, "t.conf:1: WARNING: acl "
	  "localhost: Ignoring earlier 127.0.0.1 because it is covered by "
	  "127.0.0.0/8", 0 },
	{ "acl to_localhost dst 127.0.0.0/8 0.0.0.0/32 ::1\n", 0, 3,
	  "t.conf:1: WARNING: acl to_localhost: Ignoring 0.0.0.0 because it "
	  "is already covered by 0.0.0.0", 0 },
	{ "acl a src 10.0.0.0/9 10.100.0.0-10.200.0.0\n", 0, 1, "t.conf:1: "
	  "WARNING: acl a: Merging overlapping 10.100.0.0-10.200.0.0 and "
	  "10.0.0.0/9 into 10.0.0.0-10.200.0.0", 0 },
	{ "acl a src 10.0.0.0/9\nacl a src 10.64.0.0/10\n", 0, 1, "t.conf:2: "
	  "WARNING: acl a: Ignoring 10.64.0.0/10 because it is already "
	  "covered by 10.0.0.0/9", 0 },
	{ "acl manager proto cache_object\n", 0, 1, "t.conf:1: WARNING: "
	  "UPGRADE: ACL 'manager' is now a built-in ACL", 0 },
	{ "acl CONNECT method CONNECT\nhttp_access deny CONNECT\n", 0, 0,
	  NULL, 0 },
	{ "acl localhost dst 127.0.0.1\n", 1, 0, "t.conf:1: acl localhost: "
	  "predefined with type 'src'; cannot add values of type 'dst'", 0 },
	{ "acl CONNECT port 443\n", 1, 0, "t.conf:1: acl CONNECT: predefined "
	  "with type 'method'", 0 },
	{ "acl m myip 10.0.0.1\n", 0, 1, "t.conf:1: WARNING: UPGRADE: ACL "
	  "'myip' type has been renamed to 'localip'", 0 },
	/* Squid types tproxyd lacks: refused with the reason. */
	{ "acl s peername p1\n", 1, 0, "t.conf:1: 'acl peername' "
	  "is not supported by tproxyd: it matches cache_peer selection", 0 },
	{ "acl u max_user_ip 2\n", 1, 0, "t.conf:1: 'acl max_user_ip' "
	  "is not supported by tproxyd", 0 },
	/* proxy_auth needs auth_param basic; other schemes are refused. */
	{ "acl u proxy_auth REQUIRED\n", 1, 0, "t.conf:1: acl u: proxy "
	  "authentication needs 'auth_param basic program' or 'auth_param "
	  "digest program'", 0 },
	{ "auth_param basic program /bin/false\n"
	  "acl u proxy_auth -i alice REQUIRED\n", 0, 1, "t.conf:2: WARNING: "
	  "acl u: REQUIRED matches every authenticated user", 0 },
	{ "auth_param basic program /bin/false\n"
	  "acl u proxy_auth_regex -i ^a(\n", 1, 0, "t.conf:2: acl u: invalid "
	  "regular expression", 0 },
	{ "auth_param digest program /bin/false\n"
	  "auth_param digest nonce_max_count 0\n", 1, 0, "t.conf:2: ", 0 },
	{ "auth_param digest program /bin/false\n"
	  "auth_param digest post_workaround on\n", 0, 1, "t.conf:2: "
	  "WARNING: auth_param digest post_workaround is not implemented", 0 },
	{ "auth_param digest program /bin/false\n"
	  "auth_param digest nonce_max_duration 5 minutes\n"
	  "auth_param digest nonce_max_count 10\n"
	  "auth_param digest nonce_strictness on\n"
	  "auth_param digest check_nonce_count off\n"
	  "auth_param digest realm R\n"
	  "acl u proxy_auth REQUIRED\n", 0, 0, NULL, 0 },
	{ "auth_param digest frob 1\n", 1, 0, "t.conf:1: auth_param digest: "
	  "unknown option 'frob'", 0 },
	{ "auth_param ntlm children 5\n", 1, 0, "t.conf:1: auth_param ntlm "
	  "is not supported by tproxyd", 0 },
	{ "auth_param basic key_extras \"%>a\"\n", 1, 0, "t.conf:1: "
	  "auth_param basic key_extras is not supported", 0 },
	{ "auth_param basic realm a\\b\n", 1, 0, "t.conf:1: "
	  "auth_param basic realm: quotes", 0 },
	{ "auth_param basic children 0\n", 1, 0, "t.conf:1: children: the "
	  "maximum number of processes must be a number from 1 to 10000", 0 },
	{ "auth_param basic credentialsttl 5 minutes\n"
	  "auth_param basic casesensitive on\nauth_param basic utf8 on\n"
	  "auth_param basic realm My Proxy\n", 0, 0, NULL, 0 },
	/* srcdomain, srcdom_regex: values as dstdomain's and regexes. */
	{ "acl s srcdomain .example.com none\n", 0, 0, NULL, 0 },
	{ "acl s srcdomain a..b\n", 1, 0, "t.conf:1: acl s: invalid domain "
	  "'a..b'", 0 },
	{ "acl s srcdom_regex -i ^pc[0-9]+\\.lan$\n", 0, 0, NULL, 0 },
	{ "acl s srcdom_regex (\n", 1, 0, "t.conf:1: acl s: invalid regular "
	  "expression '('", 0 },
	/* New types: bad values. */
	{ "acl t time MTX 08:00-17:00\n", 1, 0, "t.conf:1: acl t: bad day "
	  "'X' in 'MTX'", 0 },
	{ "acl t time 08:00-25:00\n", 1, 0, "t.conf:1: acl t: bad time "
	  "range '08:00-25:00'", 0 },
	{ "acl t time 17:00-08:00\n", 1, 0, "t.conf:1: acl t: reversed time "
	  "range '17:00-08:00'", 0 },
	{ "acl t time 8:00-9:00x\n", 1, 0, "bad time range", 0 },
	{ "acl t time MTWHF 08:00-17:30 A 00:00-24:00\n", 0, 0, NULL, 0 },
	{ "acl s http_status 200 300-399 500- 1000\n", 1, 0, "t.conf:1: acl "
	  "s: invalid status or status range '1000'", 0 },
	{ "acl m arp 00:11:22:33:44:5g\n", 1, 0, "t.conf:1: acl m: invalid "
	  "MAC address '00:11:22:33:44:5g'", 0 },
	{ "acl m arp 00:11:22:33:44:55 00-AA-bb-CC-dd-EE\n", 0, 0, NULL, 0 },
	{ "acl m maxconn x\n", 1, 0, "acl m: invalid connection count 'x'",
	  0 },
	{ "acl m maxconn 2\nacl m maxconn 3\n", 0, 1, "t.conf:2: WARNING: "
	  "acl m: maxconn takes one number; 3 replaces 2", 0 },
	{ "acl h has request responses\n", 1, 0, "t.conf:1: acl h: unknown "
	  "component 'responses'", 0 },
	{ "acl h req_header X-A\n", 1, 0, "t.conf:1: acl h: missing regular "
	  "expression after the header name 'X-A'", 0 },
	{ "acl h req_header X:A foo\n", 1, 0, "acl h: invalid header name "
	  "'X:A'", 0 },
	{ "acl h rep_header Server -i ^apache\nhttp_access deny h\n", 0, 1,
	  "t.conf:2: WARNING: http_access: acl 'h' needs the response", 0 },
	{ "acl g all-of localhost nope\n", 1, 0, "t.conf:1: acl g: undefined "
	  "acl 'nope'", 0 },
	{ "acl g any-of localhost\nacl h any-of g\nacl g any-of h\n", 1, 0,
	  "t.conf:3: acl g: 'h' refers back to g", 0 },
	{ "acl g any-of g\n", 1, 0, "'g' refers back to g", 0 },
	{ "acl a src 1.2.3.4\nacl a dst 1.2.3.4\n", 1, 0,
	  "t.conf:2: acl a: already defined as type 'src' at t.conf:1", 0 },
	{ "acl a src 1.2.3.4\nacl a src 5.6.7.8\n", 0, 0, NULL, 0 },
	{ "acl a src 10.0.0.0/8 10.1.0.0/255.255.0.0 1.2.3.4-1.2.3.9 "
	  "::1 2001:db8::/32 [::2]\n", 0, 1, "Ignoring 10.1.0.0/16 because "
	  "it is already covered by 10.0.0.0/8", 0 },
	{ "acl a src 10.0.0.0/8 ::1 all\n", 0, 2, "t.conf:1: WARNING: acl a: "
	  "Ignoring earlier 10.0.0.0/8 because it is covered by 0.0.0.0/0",
	  0 },
	{ "acl a src 10.0.0.1/8\n", 0, 1, "WARNING: acl a: '10.0.0.1/8' has "
	  "bits set outside its mask; using 10.0.0.0/8", 0 },
	{ "acl a src 10.0.0.0/33\n", 1, 0, "acl a: invalid mask in "
	  "'10.0.0.0/33'", 0 },
	{ "acl a src 10.0.0.0/255.0.255.0\n", 1, 0, "invalid mask", 0 },
	{ "acl a src 1.2.3.9-1.2.3.4\n", 1, 0, "invalid address range", 0 },
	{ "acl a src 1.2.3.4-::1\n", 1, 0, "invalid address range", 0 },
	{ "acl a src 1.2.3.256\n", 1, 0, "acl a: invalid address '1.2.3.256'",
	  0 },
	/* Host names: every address, resolved at load (as Squid). */
	{ "acl a src proxy.test\nacl b dst dual.test dup.test\n"
	  "acl c localip three.test\n", 0, 0, NULL, 0 },
	{ "acl a src host.example.com\n", 1, 0, "t.conf:1: acl a: cannot "
	  "resolve 'host.example.com': Name or service not known", 0 },
	{ "acl a dst www.example.com\n", 1, 0,
	  "t.conf:1: acl a: cannot resolve 'www.example.com'", 0 },
	{ "acl a dst slow.test\n", 1, 0, "acl a: cannot resolve 'slow.test': "
	  "Temporary failure", 0 },
	/* A name with a mask or a port is not Squid's either. */
	{ "acl a dst proxy.test/24\n", 1, 0,
	  "acl a: invalid address 'proxy.test/24'", 0 },
	{ "acl a dst proxy.test:80\n", 1, 0,
	  "acl a: invalid address 'proxy.test:80'", 0 },
	{ "acl a src ipv4\nacl b dst ipv6\nacl c src ipv4 ipv6\n", 0, 0,
	  NULL, 0 },
	{ "acl a dst -n 192.0.2.0/24\n", 0, 0, NULL, 0 },
	{ "acl p port 80 8000-8080 0\n", 0, 0, NULL, 0 },
	{ "acl p port 65536\n", 1, 0, "acl p: invalid port or port range "
	  "'65536'", 0 },
	{ "acl p port 90-80\n", 1, 0, "invalid port or port range '90-80'",
	  0 },
	{ "acl p localport http\n", 1, 0, "invalid port or port range 'http'",
	  0 },
	{ "acl p myport 3128\n", 0, 1, "t.conf:1: WARNING: UPGRADE: ACL "
	  "'myport' type has been renamed to 'localport'", 0 },
	{ "acl n myportname lo6\nacl m method GET CONNECT\n"
	  "acl pr proto HTTP HTTPS\n", 0, 0, NULL, 0 },
	{ "acl d dstdomain .Example.COM example.org. .example.com\n", 0, 0,
	  NULL, 0 },
	{ "acl d dstdomain a..b\n", 1, 0, "acl d: invalid domain 'a..b'", 0 },
	{ "acl d dstdomain .\n", 1, 0, "acl d: invalid domain '.'", 0 },
	{ "acl r url_regex -i ^http://(foo\n", 1, 0,
	  "t.conf:1: acl r: invalid regular expression '^http://(foo'", 0 },
	{ "acl r url_regex -i ^http:// +i \\.exe$\n"
	  "acl s urlpath_regex ^/cgi-bin/\nacl t dstdom_regex ^www\\.\n",
	  0, 0, NULL, 0 },

	/* --- access lists --- */
	{ "http_access allow all\nhttp_access deny !all\n", 0, 0, NULL, 0 },
	{ "http_access allow foo\n", 1, 0,
	  "t.conf:1: http_access: undefined acl 'foo'", 0 },
	{ "http_access allow !foo\n", 1, 0, "http_access: undefined acl "
	  "'foo'", 0 },
	{ "http_access allow ! all\n", 1, 0, "'!' must be followed by an acl "
	  "name", 0 },
	{ "http_access allow\n", 1, 0,
	  "t.conf:1: http_access: rule without acls", 0 },
	{ "http_access\n", 1, 0, "http_access: missing 'allow' or 'deny'",
	  0 },
	{ "http_access permit all\n", 1, 0,
	  "http_access: expected 'allow' or 'deny', got 'permit'", 0 },
	{ "http_access allow localnet\nacl localnet src 10.0.0.0/8\n", 1, 0,
	  "http_access: undefined acl 'localnet'", 0 },
	{ "spoof_client_ip deny localhost\nspoof_client_ip allow all\n", 0, 0,
	  NULL, 0 },
	{ "spoof_client_ip deny nope\n", 1, 0,
	  "t.conf:1: spoof_client_ip: undefined acl 'nope'", 0 },
	{ "never_direct allow all\nalways_direct deny manager\n", 0, 0, NULL,
	  0 },
	{ "never_direct allow\n", 1, 0, "never_direct: rule without acls",
	  0 },
	{ "always_direct maybe all\n", 1, 0, "always_direct: expected "
	  "'allow' or 'deny'", 0 },

	/* --- logs and process --- */
	{ "access_log stdio:/var/log/a.log squid\n", 0, 0, NULL, 0 },
	{ "access_log none\n", 0, 0, NULL, 0 },
	{ "access_log /var/log/a.log combined\n", 0, 0, NULL, 0 },
	{ "access_log daemon:/var/log/a.log logformat=combined\n", 0, 0,
	  NULL, 0 },
	{ "access_log /a\naccess_log /b\n", 0, 0, NULL, 0 },
	{ "access_log syslog:daemon.info\n", 0, 0, NULL, 0 },
	{ "access_log syslog:local9.info\n", 1, 0, "t.conf:1: access_log: "
	  "unknown syslog facility or priority 'local9'", 0 },
	{ "access_log udp://127.0.0.1:514 squid\n", 0, 0, NULL, 0 },
	{ "access_log tcp://[::1]:5140 logformat=common\n", 0, 0, NULL, 0 },
	{ "access_log tcp://127.0.0.1\n", 1, 0,
	  "access_log: expected tcp://HOST:PORT", 0 },
	{ "access_log stdio:\n", 1, 0, "access_log: expected an absolute "
	  "path", 0 },
	{ "access_log ftp:/x\n", 1, 0, "access_log: unknown log module", 0 },
	{ "access_log\n", 1, 0, "t.conf:1: access_log: missing argument", 0 },
	{ "access_log /a squid localnet\n", 1, 0, "t.conf:1: access_log: "
	  "undefined acl 'localnet'", 0 },
	{ "access_log /a squid localhost !manager\n", 0, 0, NULL, 0 },
	{ "access_log /a logformat=nope\n", 1, 0, "access_log: unknown "
	  "logformat 'nope'", 0 },
	{ "access_log /a buffer-size=64KB on-error=drop rotate=3\n", 0, 0,
	  NULL, 0 },
	{ "access_log /a on-error=die\n", 0, 0, NULL, 0 },
	{ "cache_log syslog\n", 0, 0, NULL, 0 },
	{ "cache_log syslog:daemon.info\n", 0, 0, NULL, 0 },
	{ "cache_log syslog:nosuch\n", 1, 0, "t.conf:1: cache_log: unknown "
	  "syslog facility or priority 'nosuch'", 0 },
	{ "cache_log cache.log\n", 1, 0, "t.conf:1: cache_log: expected an "
	  "absolute path, stdio:PATH, syslog[:FACILITY] or none, not "
	  "'cache.log'", 0 },
	{ "cache_log /var/log/tproxyd/cache.log\n", 0, 0, NULL, 0 },
	{ "cache_log stdio:/var/log/tproxyd/cache.log\n", 0, 0, NULL, 0 },
	{ "cache_log none\n", 0, 1, "t.conf:1: WARNING: cache_log none: no "
	  "cache.log file; its lines go to standard error only (the journal "
	  "under systemd)", 0 },
	{ "access_log /a on-error=ignore\n", 1, 0, "t.conf:1: access_log: "
	  "on-error= takes die or drop, not 'ignore'", 0 },
	{ "access_log /a colour=blue\n", 1, 0, "access_log: unknown option "
	  "'colour=blue'", 0 },
	{ "logformat my %ts %>a \"%rm %ru\" %{Host}>h\n"
	  "access_log /a my all\n", 0, 0, NULL, 0 },
	{ "logformat my %ts %Q\n", 1, 0, "t.conf:1: logformat my: unknown "
	  "format code '%Q'", 0 },
	{ "logformat squid %ts\n", 1, 0, "logformat: 'squid' is a built-in "
	  "format", 0 },
	{ "logformat x %byte{300}\n", 1, 0, "%byte needs {1..255}", 0 },
	{ "logformat x %{Host>h\n", 1, 0, "malformed format code", 0 },
	{ "strip_query_terms off\n", 0, 0, NULL, 0 },
	{ "strip_query_terms maybe\n", 1, 0, "strip_query_terms", 0 },
	{ "debug_options ALL,1 33,2 rotate=2\n", 0, 0, NULL, 0 },
	{ "debug_options ALL\n", 1, 0, "debug_options: expected SECTION,"
	  "LEVEL", 0 },
	{ "debug_options 33,12\n", 1, 0, "debug_options: expected", 0 },
	{ "cache_log /tmp/c.log\npid_filename none\n", 0, 0, NULL, 0 },
	{ "cache_log\n", 1, 0, "t.conf:1: cache_log: missing argument", 0 },
	{ "cache_log /a /b\n", 1, 0, "cache_log: unexpected argument '/b'",
	  0 },
	{ "pid_filename\n", 1, 0, "pid_filename: missing argument", 0 },
	{ "dns_nameservers 192.0.2.1 2001:db8::1\n", 0, 0, NULL, 0 },
	{ "dns_nameservers 192.0.2.1 ns.example.com\n", 1, 0,
	  "t.conf:1: dns_nameservers: invalid address 'ns.example.com'", 0 },
	{ "dns_nameservers\n", 1, 0, "dns_nameservers: missing argument", 0 },
	{ "visible_hostname proxy.example.net\n", 0, 0, NULL, 0 },
	{ "visible_hostname\n", 1, 0, "visible_hostname: missing argument",
	  0 },
	{ "cache_effective_user proxy\n", 0, 0, NULL, 0 },
	{ "cache_effective_user a b\n", 1, 0, "cache_effective_user: "
	  "unexpected argument 'b'", 0 },

	/* --- HTTP --- */
	{ "forwarded_for transparent\nvia off\n", 0, 0, NULL, 0 },
	{ "forwarded_for maybe\n", 1, 0, "t.conf:1: forwarded_for: expected "
	  "on, off, transparent, delete or truncate, got 'maybe'", 0 },
	{ "via yes\n", 1, 0, "t.conf:1: via: expected 'on' or 'off', got "
	  "'yes'", 0 },
	{ "via\n", 1, 0, "via: missing argument", 0 },
	{ "request_header_max_size 32 KB\nreply_header_max_size 1 MB\n", 0, 0,
	  NULL, 0 },
	{ "request_header_max_size 2048\n", 0, 1,
	  "WARNING: request_header_max_size: no units on '2048', assuming "
	  "bytes", 0 },
	{ "request_header_max_size 2 MB\n", 1, 0,
	  "t.conf:1: request_header_max_size: '2 MB' is out of range: must "
	  "be between 1 KB and 1 MB", 0 },
	{ "reply_header_max_size 512 bytes\n", 1, 0,
	  "reply_header_max_size: '512 bytes' is out of range", 0 },
	{ "reply_header_max_size 64 parsecs\n", 1, 0,
	  "reply_header_max_size: unknown size unit 'parsecs'", 0 },
	{ "reply_header_max_size lots KB\n", 1, 0,
	  "reply_header_max_size: invalid size 'lots'", 0 },

	/* --- timeouts --- */
	{ "connect_timeout 30 seconds\nread_timeout 15 minutes\n"
	  "request_timeout 1 hour\nclient_idle_pconn_timeout 500 msec\n"
	  "server_idle_pconn_timeout 1.5 minutes\n"
	  "shutdown_lifetime 1 day\n", 0, 0, NULL, 0 },
	{ "connect_timeout 5\n", 0, 1,
	  "t.conf:1: WARNING: connect_timeout: no units on '5', assuming "
	  "seconds", 0 },
	{ "read_timeout 5 parsecs\n", 1, 0,
	  "t.conf:1: read_timeout: unknown time unit 'parsecs'", 0 },
	{ "request_timeout -1 seconds\n", 1, 0,
	  "request_timeout: invalid time value '-1'", 0 },
	{ "shutdown_lifetime\n", 1, 0, "shutdown_lifetime: missing argument",
	  0 },
	{ "shutdown_lifetime 1 second extra\n", 1, 0,
	  "shutdown_lifetime: unexpected argument 'extra'", 0 },

	/* --- interception --- */
	{ "spoof_client_port on\nhost_verify_strict off\n", 0, 0, NULL, 0 },
	{ "spoof_client_port sometimes\n", 1, 0,
	  "spoof_client_port: expected 'on' or 'off', got 'sometimes'", 0 },
	{ "host_verify_strict\n", 1, 0, "host_verify_strict: missing "
	  "argument", 0 },
	{ "tcp_outgoing_address 192.0.2.10\n"
	  "tcp_outgoing_address 2001:db8::10 !localhost\n", 0, 0, NULL, 0 },
	{ "tcp_outgoing_address out.example.com\n", 1, 0,
	  "t.conf:1: tcp_outgoing_address: cannot resolve 'out.example.com': "
	  "Name or service not known", 0 },
	{ "tcp_outgoing_address proxy.test\n", 0, 0, NULL, 0 },
	{ "tcp_outgoing_address dual.test\n", 0, 1,
	  "t.conf:1: WARNING: tcp_outgoing_address: 'dual.test' has 2 "
	  "addresses (2001:db8::1, 192.0.2.1); using 2001:db8::1 only, as "
	  "Squid does", 0 },
	{ "tcp_outgoing_address 1.2.3.4.5\n", 1, 0,
	  "tcp_outgoing_address: invalid address '1.2.3.4.5'", 0 },
	/* cache_peer names are resolved when used (src/proxy/phase.c), not
	 * at load: an unknown one loads. */
	{ "cache_peer nosuch.test parent 3128 0\n", 0, 0, NULL, 0 },
	{ "tcp_outgoing_address 192.0.2.10 nope\n", 1, 0,
	  "tcp_outgoing_address: undefined acl 'nope'", 0 },
	{ "cache_peer 192.0.2.1 parent 3128 0 no-query no-tproxy name=up "
	  "carp\ncache_peer_access up allow all\n", 0, 1,
	  "cache_peer: option 'carp' is not supported by tproxyd; "
	  "ignored", 0 },
	{ "cache_peer 192.0.2.1 sibling 3128 3130 no-tproxy\n", 0, 0, NULL,
	  0 },
	{ "cache_peer 192.0.2.1 multicast 3128 3130\n", 0, 1,
	  "t.conf:1: WARNING: cache_peer: multicast peers are not used "
	  "by tproxyd", 0 },
	{ "cache_peer 192.0.2.1 cousin 3128 0\n", 1, 0,
	  "t.conf:1: cache_peer: peer type must be parent", 0 },
	{ "cache_peer 192.0.2.1 parent 3128\n", 1, 0,
	  "cache_peer: missing argument", 0 },
	{ "cache_peer 192.0.2.1 parent 0 0\n", 1, 0,
	  "cache_peer: invalid port '0'", 0 },
	{ "cache_peer 192.0.2.1 parent 3128 x\n", 1, 0,
	  "cache_peer: invalid ICP port 'x'", 0 },
	{ "cache_peer p.example parent 3128 0\n"
	  "cache_peer p.example parent 3129 0\n", 1, 0,
	  "t.conf:2: cache_peer: peer name 'p.example' is already used at "
	  "t.conf:1", 0 },
	{ "cache_peer_access nope allow all\n", 1, 0,
	  "t.conf:1: cache_peer_access: unknown cache_peer 'nope'", 0 },
	{ "cache_peer p parent 3128 0\ncache_peer_access p allow\n", 1, 0,
	  "cache_peer_access: rule without acls", 0 },

	/* --- SMP macros and conditionals (lex.c) --- */
	{ "if ${process_number} = 1\nhttp_port 3128\nelse\nfrobnicate\n"
	  "endif\n", 0, 0, NULL, 0 },
	{ "if ${process_number}=2\nfrobnicate\nendif\n", 0, 0, NULL, 0 },
	{ "if true\n if false\n  frobnicate\n else\n  http_port 3128\n"
	  " endif\nelse\n if true\n  frobnicate\n endif\nendif\n", 0, 0,
	  NULL, 0 },
	{ "if 0x10 = 16\nfrobnicate\nendif\n", 1, 0,
	  "t.conf:2: unknown directive 'frobnicate'", 0 },
	{ "if false\ninclude /nonexistent-file-xyz.conf\nendif\n", 0, 0,
	  NULL, 0 },
	{ "access_log /tmp/${process_name}-${service_name}-${process_number}"
	  ".log\n", 0, 0, NULL, 0 },
	{ "acl a src 10.0.0.1 ${process_number}0.0.0.2 \\\n bogus\n", 1, 0,
	  "t.conf:2: acl a: cannot resolve 'bogus'", 0 },
	{ "else\n", 1, 0, "t.conf:1: 'else' without 'if'", 0 },
	{ "endif\n", 1, 0, "t.conf:1: 'endif' without 'if'", 0 },
	{ "if true\n", 1, 0, "t.conf:1: if: no 'endif' before the end of "
	  "the file", 0 },
	{ "if ${process_number} = one\nendif\n", 1, 0,
	  "t.conf:1: if: cannot evaluate the condition", 0 },
	{ "if 1 = 1 = 1\nendif\n", 1, 0,
	  "t.conf:1: if: cannot evaluate the condition", 0 },
	{ "if\nendif\n", 1, 0, "t.conf:1: if: cannot evaluate", 0 },
	{ "if true\nelse extra\nendif\n", 1, 0,
	  "t.conf:2: else: unexpected 'extra'", 0 },
	{ "workers 2\nif ${process_number} = 1\nhttp_port 3128\nendif\n",
	  1, 0, "t.conf:2: '${process_number}' is not supported by tproxyd "
	  "with workers 2", 0 },
	{ "workers 3\naccess_log /var/log/${process_name}.log\n", 1, 0,
	  "t.conf:2: '${process_name}' is not supported by tproxyd with "
	  "workers 3", 0 },
	{ "workers 2\naccess_log /var/log/${service_name}.log\n", 0, 0,
	  NULL, 0 },

	/* --- packet marking (cfg_qos.c) --- */
	{ "tcp_outgoing_tos 0x20 all\ntcp_outgoing_dscp 8\n"
	  "tcp_outgoing_ds 040 all\nclientside_tos default\n"
	  "tcp_outgoing_mark 0xffffffff all\nclientside_mark 1\n"
	  "mark_client_packet 0\n", 0, 0, NULL, 0 },
	{ "tcp_outgoing_tos 0x21 all\n", 0, 1,
	  "t.conf:1: WARNING: tcp_outgoing_tos: TOS value '0x21' adjusted "
	  "to 0x20 (the two lowest bits belong to ECN)", 0 },
	{ "tcp_outgoing_tos 256 all\n", 1, 0,
	  "t.conf:1: tcp_outgoing_tos: invalid TOS value '256'", 0 },
	{ "clientside_tos -4 all\n", 1, 0,
	  "t.conf:1: clientside_tos: invalid TOS value '-4'", 0 },
	{ "tcp_outgoing_tos 0x2g all\n", 1, 0,
	  "tcp_outgoing_tos: invalid TOS value '0x2g'", 0 },
	{ "tcp_outgoing_tos\n", 1, 0,
	  "t.conf:1: tcp_outgoing_tos: missing argument", 0 },
	{ "tcp_outgoing_tos 0x20 nosuchacl\n", 1, 0,
	  "t.conf:1: tcp_outgoing_tos: undefined acl 'nosuchacl'", 0 },
	{ "tcp_outgoing_mark 0x100000000 all\n", 1, 0,
	  "t.conf:1: tcp_outgoing_mark: invalid mark '0x100000000'", 0 },
	{ "tcp_outgoing_mark 0x10/0xff all\n", 1, 0,
	  "t.conf:1: tcp_outgoing_mark: '0x10/0xff': a packet mark takes "
	  "no /mask", 0 },
	{ "clientside_mark mark all\n", 1, 0,
	  "clientside_mark: invalid mark 'mark'", 0 },

	/* --- ignored and unknown --- */
	{ "cache_swap_state /var/spool/squid/swap.state\n", 0, 1,
	  "t.conf:1: WARNING: 'cache_swap_state' is not implemented by "
	  "tproxyd; ignored", 0 },
	{ "wccp2_router 192.0.2.1\nwccp2_forwarding_method gre\n"
	  "wccp2_return_method gre\nwccp2_service dynamic 80\n"
	  "wccp2_service_info 80 protocol=tcp flags=src_ip_hash priority=240 "
	  "ports=80\n", 0, 0, NULL, 0 },
	/* --- wccp2_router, wccp2_address: IPv4 or a name, Squid's :PORT */
	{ "wccp2_router 192.0.2.1:2048 proxy.test proxy.test:2048\n"
	  "wccp2_address proxy.test\n", 0, 0, NULL, 0 },
	{ "wccp2_router 192.0.2.1:3000\n", 0, 1,
	  "t.conf:1: WARNING: wccp2_router: port 3000 ignored: WCCPv2 routers "
	  "are always reached on UDP port 2048 (Squid ignores the port too)",
	  0 },
	{ "wccp2_router 192.0.2.1:0\n", 1, 0,
	  "t.conf:1: wccp2_router: invalid port '0'", 0 },
	{ "wccp2_router 192.0.2.1:x\n", 1, 0,
	  "wccp2_router: invalid port 'x'", 0 },
	{ "wccp2_router [2001:db8::1]:2048\n", 1, 0,
	  "wccp2_router: invalid address '[2001:db8::1]:2048' (an IPv4 "
	  "address or a host name: WCCPv2 is IPv4 only)", 0 },
	{ "wccp2_router 192.0.2.300\n", 1, 0,
	  "wccp2_router: invalid address '192.0.2.300'", 0 },
	{ "wccp2_router nosuch.test:2048\n", 1, 0,
	  "t.conf:1: wccp2_router: cannot resolve 'nosuch.test': Name or "
	  "service not known", 0 },
	{ "wccp2_router v6only.test\n", 1, 0,
	  "t.conf:1: wccp2_router: cannot resolve 'v6only.test': No address "
	  "associated with hostname", 0 },
	{ "wccp2_router dual.test three.test\n", 0, 1,
	  "t.conf:1: WARNING: wccp2_router: 'three.test' has 3 addresses "
	  "(192.0.2.1, 192.0.2.2, ...); using 192.0.2.1 only, as Squid does",
	  0 },
	{ "wccp2_address any_addr\n", 0, 0, NULL, 0 },
	{ "wccp2_address 2001:db8::1\n", 1, 0,
	  "wccp2_address: invalid address '2001:db8::1' (an IPv4 address or "
	  "a host name: WCCPv2 is IPv4 only)", 0 },
	{ "wccp2_address 192.0.2.1:2048\n", 1, 0,
	  "wccp2_address: invalid address '192.0.2.1:2048'", 0 },
	{ "wccp2_address nosuch.test\n", 1, 0,
	  "t.conf:1: wccp2_address: cannot resolve 'nosuch.test'", 0 },
	{ "digest_generation off\ncoredump_dir /var/spool/squid\n", 0,
	  2, "'digest_generation' is not implemented", 0 },
	{ "frobnicate yes\n", 1, 0, "t.conf:1: unknown directive "
	  "'frobnicate'", 0 },

	/* --- errors keep parsing --- */
	{ "htp_port 1\nhttp_port 99999\nacl x bogus y\nhttp_access allow z\n",
	  4, 0, "t.conf:1: unknown directive 'htp_port'", 0 },
};

static void
test_load_table(void **state)
{
	const struct load_row *lc;
	char text[4096];
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
		lc = &load_cases[i];
		snprintf(text, sizeof(text), "%s%s", lc->text,
			 lc->noport ? "" : "http_port 65001\n");
		failed |= load_differs(i, lc->text, text, lc->nerr, lc->nwarn,
				       lc->msg);
	}
	if (failed)
		fail();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_table),
	};

	fake_resolver_use();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
