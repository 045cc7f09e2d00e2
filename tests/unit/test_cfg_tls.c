/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cfg_tls.c - the configuration of TLS interception (issue 13):
 * https_port (cfg_ports.c), ssl_bump, on_unsupported_protocol and
 * tls_outgoing_options (cfg_tls.c), and the values of the TLS acl types
 * (at_step, ssl::server_name, ssl::server_name_regex, ssl_error,
 * connections_encrypted, squid_error; acl_parse.c, acl_values.c,
 * acl_finish.c).
 *
 * Table-driven: each case is a configuration text and every message its
 * load must give, exactly and in order; then what good lines store.
 * White-box: includes the private config/cfg-int.h for the arena-owned
 * types only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "config/config.h"

#include "cfg_cases.h"

/* ------------------------------------------------------------ messages */

/*
 * A configuration ("t.conf") and every message loading it gives, in
 * order; loads: whether a configuration comes back (no error).
 */
struct msg_case {
	const char *text;
	int         loads;
	const char *msg[4];	/* NULL-terminated */
};

#define HP	"http_port 65001\n"	/* line 1 of most cases */
#define HTTPS	"https_port 65002 tproxy ssl-bump\n"

static const struct msg_case msg_cases[] = {
	/* --- https_port: what is served --- */
	{ HP HTTPS, 1, { NULL } },
	{ HP "https_port 65002 intercept ssl-bump\n", 1, { NULL } },
	{ HP "https_port [2001:db8::1]:65002 transparent ssl-bump\n", 1,
	  { NULL } },
	{ "https_port 65002 tproxy ssl-bump\n", 1, { NULL } },
	{ HP "https_port 65002 ssl-bump tproxy name=tls cert=/n/ca.pem "
	  "generate-host-certificates=on dynamic_cert_mem_cache_size=4MB "
	  "tls-dh=/n/dh.pem options=NO_SSLv3\n", 1,
	  { "t.conf:2: WARNING: https_port: tls-dh=: not applied by tproxyd "
	    "when it decrypts (ssl_bump bump); ignored", NULL } },
	{ HP "https_port 65002 tproxy sslBump\n", 1,
	  { "t.conf:2: WARNING: https_port: 'sslBump' is deprecated; use "
	    "'ssl-bump' instead (read as ssl-bump)", NULL } },
	{ HP "https_port 65002 transparent tproxy ssl-bump\n", 1,
	  { "t.conf:2: WARNING: https_port: 'transparent tproxy' is old "
	    "Balabit advice for TPROXY v2; 'transparent' means NAT "
	    "interception and would make tproxyd look up SO_ORIGINAL_DST on "
	    "a TPROXY socket; treating this port as 'tproxy' only", NULL } },
	{ HP "https_port 65002 intercept ssl-bump connection-auth=off\n", 1,
	  { "t.conf:2: WARNING: https_port: option 'connection-auth=off' is "
	    "not supported by tproxyd; ignored", NULL } },

	/* --- https_port: refused --- */
	{ HP "https_port 65002 tproxy\n", 0,
	  { "t.conf:2: https_port: 'tproxy' needs 'ssl-bump' on the same "
	    "line (Squid refuses it too): the ssl_bump rules decide what "
	    "happens to intercepted TLS connections", NULL } },
	/* a refused line gets no warning about its TLS options */
	{ HP "https_port 65002 transparent cert=/x\n", 0,
	  { "t.conf:2: https_port: 'transparent' needs 'ssl-bump' on the "
	    "same line (Squid refuses it too): the ssl_bump rules decide "
	    "what happens to intercepted TLS connections", NULL } },
	{ HP "https_port 65002 ssl-bump\n", 0,
	  { "t.conf:2: https_port: 'ssl-bump' needs 'tproxy' or 'intercept' "
	    "on the same line (Squid refuses it too): the ssl_bump rules "
	    "decide about intercepted connections", NULL } },
	{ HP "https_port 65002 cert=/x\n", 0,
	  { "t.conf:2: https_port: a port where clients' TLS ends with this "
	    "proxy's own certificate (a forward proxy reached over TLS) is "
	    "not supported by tproxyd: it handles intercepted TLS "
	    "only; write 'https_port PORT tproxy ssl-bump' (or "
	    "intercept) for intercepted HTTPS", NULL } },
	{ HP "https_port 65002 accel defaultsite=x\n", 0,
	  { "t.conf:2: WARNING: https_port: option 'defaultsite=x' is not "
	    "supported by tproxyd; ignored",
	    "t.conf:2: https_port: a port where clients' TLS ends with this "
	    "proxy's own certificate (accel: an HTTPS reverse proxy) is not "
	    "supported by tproxyd: it handles intercepted TLS "
	    "only; write 'https_port PORT tproxy ssl-bump' (or "
	    "intercept) for intercepted HTTPS", NULL } },
	{ HP "https_port 65002 accel ssl-bump\n", 0,
	  { "t.conf:2: https_port: 'ssl-bump' needs 'tproxy' or 'intercept' "
	    "on the same line (Squid refuses it too): the ssl_bump rules "
	    "decide about intercepted connections", NULL } },
	{ HP "https_port 65002 tproxy ssl-bump require-proxy-header\n", 0,
	  { "t.conf:2: https_port: require-proxy-header is not possible on "
	    "an https_port (Squid refuses it too)", NULL } },
	{ HP "https_port 65002 tproxy intercept ssl-bump\n", 0,
	  { "t.conf:2: https_port: 'tproxy' and 'intercept' cannot be used "
	    "on the same port (TPROXY keeps the original destination on the "
	    "socket; NAT interception rewrites it): use two https_port "
	    "lines", NULL } },
	{ HP "https_port 65002 tproxy accel ssl-bump\n", 0,
	  { "t.conf:2: https_port: 'accel' cannot be combined with "
	    "'tproxy'", NULL } },
	{ HP "https_port\n", 0,
	  { "t.conf:2: https_port: missing argument", NULL } },
	{ HP "https_port 99999 tproxy ssl-bump\n", 0,
	  { "t.conf:2: https_port: invalid port '99999'", NULL } },
	{ HP "https_port ::1:443 tproxy ssl-bump\n", 0,
	  { "t.conf:2: https_port: invalid address '::1:443' (IPv6 "
	    "addresses need brackets: [::1]:3128)", NULL } },

	/* --- one address, one port line, http_port or https_port --- */
	{ HP "https_port 65001 tproxy ssl-bump\n", 0,
	  { "t.conf:2: https_port: '65001' is already used by the http_port "
	    "at t.conf:1", NULL } },
	{ HTTPS "http_port 65002\n", 0,
	  { "t.conf:2: http_port: '65002' is already used by the https_port "
	    "at t.conf:1", NULL } },
	{ HTTPS "https_port 65002 intercept ssl-bump\n", 0,
	  { "t.conf:2: https_port: '65002' is already used by the "
	    "https_port at t.conf:1", NULL } },
	{ HTTPS "stats_port 127.0.0.1:65002\nhttps_port 127.0.0.1:65002 "
	  "intercept ssl-bump\n", 0,
	  { "t.conf:3: https_port: '127.0.0.1:65002' is already used by the "
	    "stats_port at t.conf:2", NULL } },
	{ "https_port 127.0.0.1:65002 tproxy ssl-bump\n"
	  "stats_port 127.0.0.1:65002\n", 0,
	  { "t.conf:2: stats_port: '127.0.0.1:65002' is already used by the "
	    "https_port at t.conf:1", NULL } },

	/* --- http_port ssl-bump: the CONNECT requests follow ssl_bump --- */
	{ "http_port 65001 ssl-bump cert=/x.pem\n", 1, { NULL } },
	{ "http_port 65001 ssl-bump\nssl_bump splice all\n", 1, { NULL } },
	{ "http_port 65001 ssl-bump\n" HTTPS "acl bad dstdomain .bad.test\n"
	  "ssl_bump peek all\nssl_bump terminate bad\n", 1, { NULL } },
	{ "http_port 65001 ssl-bump cert=/n/ca.pem key=/n/ca.key "
	  "generate-host-certificates=on dynamic_cert_mem_cache_size=8MB\n"
	  "acl step1 at_step SslBump1\nssl_bump peek step1\n"
	  "ssl_bump bump all\n", 1, { NULL } },
	{ "http_port 65001 ssl-bump generate-host-certificates=on\n"
	  "ssl_bump bump all\n", 0,
	  { "t.conf:1: http_port: ssl_bump bump needs cert=CA.pem on this "
	    "port: the CA certificate (with key=, or its key in the same "
	    "file) that signs the certificates tproxyd makes for the sites "
	    "it decrypts ('tproxyctl ca create' makes one)", NULL } },
	{ "http_port 65001 ssl-bump cert=/n/ca.pem "
	  "generate-host-certificates=off\nssl_bump bump all\n", 0,
	  { "t.conf:1: http_port: generate-host-certificates=off: tproxyd "
	    "decrypts only with a certificate it makes for each site; remove "
	    "the option", NULL } },
	{ "http_port 65001\nhttp_port 65002 tproxy ssl-bump\n", 0,
	  { "t.conf:2: http_port: 'ssl-bump' cannot be used with 'tproxy': "
	    "intercepted clients send no CONNECT requests, so the ssl_bump "
	    "rules would never apply here; for intercepted HTTPS write "
	    "'https_port PORT tproxy ssl-bump' (for clients configured to "
	    "use the proxy, 'http_port PORT ssl-bump' without 'tproxy')",
	    NULL } },
	{ "http_port 65001\nhttp_port 65002 intercept sslBump\n", 0,
	  { "t.conf:2: WARNING: http_port: 'sslBump' is deprecated; use "
	    "'ssl-bump' instead (read as ssl-bump)",
	    "t.conf:2: http_port: 'ssl-bump' cannot be used with "
	    "'intercept': intercepted clients send no CONNECT requests, so "
	    "the ssl_bump rules would never apply here; for intercepted HTTPS "
	    "write 'https_port PORT intercept ssl-bump' (for clients "
	    "configured to use the proxy, 'http_port PORT ssl-bump' without "
	    "'intercept')", NULL } },
	{ "http_port 65001 ssl-bump\non_unsupported_protocol tunnel all\n",
	  1, { NULL } },

	/* --- ssl_bump --- */
	{ HP "https_port 65002 tproxy ssl-bump cert=/n/ca.pem\n"
	  "acl step1 at_step SslBump1\nacl bad ssl::server_name "
	  ".bad.test\nssl_bump peek step1\nssl_bump terminate bad\n"
	  "ssl_bump stare !bad\nssl_bump splice all\nssl_bump none\n", 1,
	  { NULL } },
	{ HP "ssl_bump splice all\n", 1,
	  { "t.conf:2: WARNING: ssl_bump: these rules are never used: no "
	    "https_port or http_port has the ssl-bump option", NULL } },
	{ HP HTTPS "ssl_bump\n", 0,
	  { "t.conf:3: ssl_bump: missing action (splice, peek, stare or "
	    "terminate)", NULL } },
	/* bump needs the port's signing CA (made by the daemon; here the
	 * configuration is only checked). */
	{ HP HTTPS "ssl_bump bump all\n", 0,
	  { "t.conf:2: https_port: ssl_bump bump needs cert=CA.pem on this "
	    "port: the CA certificate (with key=, or its key in the same "
	    "file) that signs the certificates tproxyd makes for the sites "
	    "it decrypts ('tproxyctl ca create' makes one)", NULL } },
	/* a stare bumps at step 3 */
	{ HP HTTPS "ssl_bump peek all\nssl_bump stare all\n", 0,
	  { "t.conf:2: https_port: ssl_bump stare needs cert=CA.pem on this "
	    "port: the CA certificate (with key=, or its key in the same "
	    "file) that signs the certificates tproxyd makes for the sites "
	    "it decrypts ('tproxyctl ca create' makes one)", NULL } },
	{ HP "https_port 65002 tproxy ssl-bump cert=/n/ca.pem\n"
	  "acl step1 at_step SslBump1\nssl_bump peek step1\n"
	  "ssl_bump bump all\n", 1, { NULL } },
	{ HP "https_port 65002 tproxy ssl-bump cert=/n/ca.pem "
	  "generate-host-certificates=off\nssl_bump bump all\n", 0,
	  { "t.conf:2: https_port: generate-host-certificates=off: tproxyd "
	    "decrypts only with a certificate it makes for each site; remove "
	    "the option", NULL } },
	{ HP "http_port 65003 ssl-bump\n" HTTPS "ssl_bump bump all\n", 0,
	  { "t.conf:2: http_port: ssl_bump bump needs cert=CA.pem on this "
	    "port: the CA certificate (with key=, or its key in the same "
	    "file) that signs the certificates tproxyd makes for the sites "
	    "it decrypts ('tproxyctl ca create' makes one)",
	    "t.conf:3: https_port: ssl_bump bump needs cert=CA.pem on this "
	    "port: the CA certificate (with key=, or its key in the same "
	    "file) that signs the certificates tproxyd makes for the sites "
	    "it decrypts ('tproxyctl ca create' makes one)", NULL } },
	/* Squid 3's bumping modes decrypt: they need the CA too */
	{ HP HTTPS "ssl_bump client-first all\n", 0,
	  { "t.conf:2: https_port: ssl_bump client-first needs cert=CA.pem "
	    "on this port: the CA certificate (with key=, or its key in the "
	    "same file) that signs the certificates tproxyd makes for the "
	    "sites it decrypts ('tproxyctl ca create' makes one)", NULL } },
	{ HP "https_port 65002 tproxy ssl-bump cert=/n/ca.pem\n"
	  "ssl_bump server-first all\n", 1, { NULL } },
	{ HP "https_port 65002 tproxy ssl-bump cert=/n/ca.pem\n"
	  "ssl_bump allow all\n", 1,
	  { "t.conf:3: WARNING: ssl_bump allow: read as 'ssl_bump "
	    "client-first' (Squid 3.2's way of decrypting), as Squid does; "
	    "update your ssl_bump rules", NULL } },
	{ HP HTTPS "ssl_bump deny all\n", 1,
	  { "t.conf:3: WARNING: ssl_bump deny: read as 'ssl_bump none' "
	    "(splice), as Squid does; update your ssl_bump rules", NULL } },
	{ HP HTTPS "ssl_bump deny all\nssl_bump splice all\n", 0,
	  { "t.conf:3: WARNING: ssl_bump deny: read as 'ssl_bump none' "
	    "(splice), as Squid does; update your ssl_bump rules",
	    "t.conf:4: ssl_bump: do not mix the actions (splice, peek, ...) "
	    "with Squid 3.2's allow and deny: update your ssl_bump rules "
	    "(Squid refuses this too)", NULL } },
	{ HP HTTPS "ssl_bump peek-and-splice all\n", 0,
	  { "t.conf:3: ssl_bump: unknown action 'peek-and-splice' (splice, "
	    "peek, stare, terminate, bump, client-first, server-first or "
	    "none); for peek-and-splice write 'ssl_bump peek' and 'ssl_bump "
	    "splice' rules", NULL } },
	{ HP HTTPS "ssl_bump Splice all\n", 0,
	  { "t.conf:3: ssl_bump: unknown action 'Splice' (splice, peek, "
	    "stare, terminate, bump, client-first, server-first or none)",
	    NULL } },
	{ HP HTTPS "ssl_bump splice nosuch\n", 0,
	  { "t.conf:3: ssl_bump: undefined acl 'nosuch'", NULL } },
	{ HP HTTPS "acl st http_status 200\nssl_bump splice st\n", 1,
	  { "t.conf:4: WARNING: ssl_bump: acl 'st' needs the response, "
	    "which ssl_bump does not have: it is taken as not matching here "
	    "(Squid: \"ACL is used in context without an HTTP response. "
	    "Assuming mismatch.\")", NULL } },

	/* --- on_unsupported_protocol --- */
	{ HP HTTPS "acl foreign squid_error ERR_PROTOCOL_UNKNOWN ERR_TOO_BIG\n"
	  "on_unsupported_protocol tunnel foreign\n"
	  "on_unsupported_protocol respond all\n", 1, { NULL } },
	{ HP "on_unsupported_protocol tunnel all\n", 1,
	  { "t.conf:2: WARNING: on_unsupported_protocol: these rules are "
	    "never used: they apply to intercepted connections and to "
	    "CONNECT tunnels of ssl-bump ports, and no port intercepts "
	    "(tproxy or intercept) or has ssl-bump", NULL } },
	{ "http_port 65001 intercept\non_unsupported_protocol tunnel all\n",
	  1, { NULL } },
	{ HP HTTPS "on_unsupported_protocol\n", 0,
	  { "t.conf:3: on_unsupported_protocol: missing action (tunnel or "
	    "respond)", NULL } },
	{ HP HTTPS "on_unsupported_protocol close all\n", 0,
	  { "t.conf:3: on_unsupported_protocol: unknown action 'close' "
	    "(tunnel or respond)", NULL } },

	/* --- tls_outgoing_options --- */
	/* The cafile must be readable (stand-ins: files every system has). */
	{ HP "tls_outgoing_options cafile=/etc/passwd\n", 1, { NULL } },
	{ HP "tls_outgoing_options cafile=/nonexistent/ca.pem\n", 0,
	  { "t.conf:2: tls_outgoing_options: cannot read cafile "
	    "/nonexistent/ca.pem: No such file or directory", NULL } },
	{ HP "tls_outgoing_options min-version=1.2 cafile=/etc/passwd "
	  "options=NO_SSLv3 flags=DONT_VERIFY_PEER\n", 1,
	  { "t.conf:2: WARNING: tls_outgoing_options: "
	    "flags=DONT_VERIFY_PEER: the certificates of the servers of "
	    "bumped connections are not checked: anyone between tproxyd and "
	    "a server can read and change that traffic", NULL } },
	{ HP "tls_outgoing_options cafile=/etc/passwd tls-x=1 "
	  "flags=NO_DEFAULT_CA\n", 1,
	  { "t.conf:2: WARNING: tls_outgoing_options: tls-x=, flags=: not "
	    "implemented by tproxyd; ignored", NULL } },
	{ HP "tls_outgoing_options cafile=/etc/passwd\n"
	  "tls_outgoing_options cafile=/etc/group\n", 1,
	  { "t.conf:3: WARNING: tls_outgoing_options: tproxyd uses one "
	    "cafile= (/etc/passwd); '/etc/group' is ignored (put all the CA "
	    "certificates in one file)", NULL } },
	{ HP "tls_outgoing_options\n", 0,
	  { "t.conf:2: tls_outgoing_options: missing argument", NULL } },

	/* --- at_step --- */
	{ HP "acl s at_step SslBump1 sslbump2 SSLBUMP3\n", 1, { NULL } },
	{ HP "acl s at_step GeneratingCONNECT\n", 1,
	  { "t.conf:2: WARNING: acl s: at_step GeneratingCONNECT never "
	    "matches in tproxyd: it is the step of a CONNECT request sent to "
	    "a cache_peer, and tproxyd sends CONNECT requests directly",
	    NULL } },
	{ HP "acl s at_step SslBump4\n", 0,
	  { "t.conf:2: acl s: unknown at_step step 'SslBump4' (SslBump1, "
	    "SslBump2, SslBump3 or GeneratingCONNECT)", NULL } },
	{ HP "acl s at_step\n", 0,
	  { "t.conf:2: acl s: missing values", NULL } },

	/* --- ssl::server_name and its options --- */
	{ HP "acl n ssl::server_name --consensus .a.test\n"
	  "acl n ssl::server_name --consensus b.test\n", 1, { NULL } },
	{ HP "acl n ssl::server_name -- .a.test\n", 1, { NULL } },
	{ HP "acl n ssl::server_name --consensus --client-requested a.test\n",
	  0,
	  { "t.conf:2: acl n: '--client-requested' cannot be combined with "
	    "'--consensus' (one option per acl: Squid refuses this too)",
	    NULL } },
	{ HP "acl n ssl::server_name --server-provided a.test\n"
	  "acl n ssl::server_name --consensus b.test\n", 0,
	  { "t.conf:3: acl n: '--consensus' cannot be combined with "
	    "'--server-provided' (one option per acl: Squid refuses this "
	    "too)", NULL } },
	{ HP "acl n ssl::server_name_regex --client-requested --consensus "
	  "^a\n", 0,
	  { "t.conf:2: acl n: '--consensus' cannot be combined with "
	    "'--client-requested' (one option per acl: Squid refuses this "
	    "too)", NULL } },
	{ HP "acl n ssl::server_name --sni a.test\n", 0,
	  { "t.conf:2: acl n: unknown option '--sni' (--client-requested, "
	    "--server-provided or --consensus)", NULL } },
	{ HP "acl n ssl::server_name a..test\n", 0,
	  { "t.conf:2: acl n: invalid domain 'a..test'", NULL } },
	{ HP "acl n ssl::server_name --consensus\n", 0,
	  { "t.conf:2: acl n: missing values", NULL } },
	{ HP "acl n ssl::server_name_regex -i ^www\\. +i X$\n", 1, { NULL } },
	{ HP "acl n ssl::server_name_regex a(\n", 0,
	  { "t.conf:2: acl n: invalid regular expression 'a(': Unmatched ( "
	    "or \\(", NULL } },

	/* --- ssl_error --- */
	{ HP "acl e ssl_error X509_V_ERR_CERT_REVOKED certUntrusted "
	  "ssl::certSelfSigned 10 0x13 SQUID_ERR_SSL_HANDSHAKE\n", 1,
	  { NULL } },
	{ HP "acl e ssl_error 0 999\n", 1,
	  { "t.conf:2: WARNING: acl e: TLS error number 0 has no name "
	    "tproxyd knows (X509_V_ERR_* codes are 1 to 94): it never "
	    "matches",
	    "t.conf:2: WARNING: acl e: TLS error number 999 has no name "
	    "tproxyd knows (X509_V_ERR_* codes are 1 to 94): it never "
	    "matches", NULL } },
	{ HP "acl e ssl_error X509_V_ERR_NOPE\n", 0,
	  { "t.conf:2: acl e: unknown TLS error 'X509_V_ERR_NOPE' (an "
	    "X509_V_ERR_* name, SQUID_X509_V_ERR_DOMAIN_MISMATCH, or a "
	    "shortcut such as ssl::certUntrusted)", NULL } },
	{ HP "acl e ssl_error x509_v_err_cert_revoked\n", 0,
	  { "t.conf:2: acl e: unknown TLS error 'x509_v_err_cert_revoked' "
	    "(an X509_V_ERR_* name, SQUID_X509_V_ERR_DOMAIN_MISMATCH, or a "
	    "shortcut such as ssl::certUntrusted)", NULL } },
	{ HP "acl e ssl_error 12abc\n", 0,
	  { "t.conf:2: acl e: invalid TLS error number '12abc'", NULL } },
	{ HP "acl e ssl_error X509_V_OK\n", 0,
	  { "t.conf:2: acl e: unknown TLS error 'X509_V_OK' (an X509_V_ERR_* "
	    "name, SQUID_X509_V_ERR_DOMAIN_MISMATCH, or a shortcut such as "
	    "ssl::certUntrusted)", NULL } },
	/* The predefined ones take more values of their type, as in
	 * Squid; another type is an error. */
	{ HP "acl ssl::certUntrusted ssl_error X509_V_ERR_CERT_REVOKED\n", 1,
	  { NULL } },
	{ HP "acl ssl::certHasExpired src 10.0.0.1\n", 0,
	  { "t.conf:2: acl ssl::certHasExpired: predefined with type "
	    "'ssl_error'; cannot add values of type 'src' (choose another "
	    "name)", NULL } },
	{ HP "acl my::name src 10.0.0.1\nhttp_access allow my::name\n", 1,
	  { NULL } },

	/* --- connections_encrypted, squid_error --- */
	{ HP "acl enc connections_encrypted\n", 1, { NULL } },
	{ HP "acl enc connections_encrypted yes\n", 1,
	  { "t.conf:2: WARNING: acl enc: connections_encrypted takes no "
	    "values; 'yes' ignored (as Squid does)", NULL } },
	{ HP "acl se squid_error ERR_REQUEST_START_TIMEOUT TCP_RESET\n", 1,
	  { NULL } },
	{ HP "acl se squid_error ERR_NOPE\n", 0,
	  { "t.conf:2: acl se: unknown Squid error 'ERR_NOPE' (such as "
	    "ERR_PROTOCOL_UNKNOWN, ERR_REQUEST_START_TIMEOUT or ERR_TOO_BIG)",
	    NULL } },
	{ HP "acl se squid_error\n", 0,
	  { "t.conf:2: acl se: missing values", NULL } },

	/* --- still refused --- */
	{ HP "acl f server_cert_fingerprint AB:CD\n", 0,
	  { "t.conf:2: 'acl server_cert_fingerprint' is not supported by "
	    "tproxyd: tproxyd does not compute the fingerprints of server "
	    "certificates", NULL } },
};

static void
test_messages(void **state)
{
	const struct msg_case *mc;
	struct cfg_msgs m;
	struct cfg *c;
	size_t i, k, want;
	int failed = 0, bad;

	(void)state;
	for (i = 0; i < sizeof(msg_cases) / sizeof(msg_cases[0]); i++) {
		mc = &msg_cases[i];
		memset(&m, 0, sizeof(m));
		c = cfg_load_mem(mc->text, "t.conf", &m);
		for (want = 0; mc->msg[want] != NULL; want++)
			;
		bad = (c != NULL) != mc->loads || m.n != want;
		for (k = 0; k < want && k < m.n && !bad; k++)
			bad = strcmp(m.msg[k].text, mc->msg[k]) != 0;
		if (bad) {
			print_error("case %zu: ---\n%s--- loads %d (want %d), "
				    "%zu messages (want %zu):\n", i, mc->text,
				    c != NULL, mc->loads, m.n, want);
			dump_msgs(&m);
			for (k = 0; k < want; k++)
				print_error("    want[%zu] %s\n", k,
					    mc->msg[k]);
			failed = 1;
		}
		cfg_unref(c);
		cfg_msgs_free(&m);
	}
	if (failed)
		fail();
}

/* ------------------------------------------------------------ values */

static const struct cfg_port *
find_port(const struct cfg *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nport; i++)
		if (strcmp(c->port[i].name, name) == 0)
			return &c->port[i];
	fail_msg("no port named '%s'", name);
	return NULL;
}

/* What https_port and http_port lines store. */
static void
test_port_values(void **state)
{
	const struct cfg_port *pt;
	struct cfg *c;

	(void)state;
	c = load_ok("http_port 65001 name=plain\n"
		    "https_port 65002 tproxy ssl-bump name=tp\n"
		    "https_port 65003 intercept ssl-bump cert=/c.pem "
		    "cert=/second.pem name=ic\n"
		    "https_port 65004 intercept ssl-bump tls-cert=/c.pem "
		    "tls-key=/k.pem name=ic2\n"
		    "https_port [::1]:65005 transparent ssl-bump key=/k.pem\n"
		    "http_port 65006 ssl-bump cert=/c.pem name=hb\n");
	assert_int_equal(c->nport, 6);
	assert_int_equal(c->tproxy, 1);
	pt = find_port(c, "plain");
	assert_int_equal(pt->https, 0);
	assert_int_equal(pt->ssl_bump, 0);
	assert_null(pt->cert);
	pt = find_port(c, "tp");
	assert_int_equal(pt->mode, PORT_TPROXY);
	assert_int_equal(pt->https, 1);
	assert_int_equal(pt->ssl_bump, 1);
	assert_null(pt->cert);
	assert_null(pt->key);
	pt = find_port(c, "ic");
	assert_int_equal(pt->mode, PORT_INTERCEPT);
	assert_string_equal(pt->cert, "/c.pem");	/* the first */
	assert_string_equal(pt->key, "/c.pem");		/* key = cert */
	pt = find_port(c, "ic2");
	assert_string_equal(pt->cert, "/c.pem");
	assert_string_equal(pt->key, "/k.pem");
	pt = find_port(c, "[::1]:65005");
	assert_int_equal(pt->mode, PORT_INTERCEPT);
	assert_int_equal(pt->addr.ss_family, AF_INET6);
	assert_null(pt->cert);
	assert_string_equal(pt->key, "/k.pem");
	/* http_port ssl-bump: the rules decide about its CONNECT
	 * requests. */
	pt = find_port(c, "hb");
	assert_int_equal(pt->https, 0);
	assert_int_equal(pt->ssl_bump, 1);
	assert_int_equal(pt->mode, PORT_FORWARD);
	assert_string_equal(pt->cert, "/c.pem");
	cfg_unref(c);

	/* An intercept-only https_port does not need the capability. */
	c = load_ok("https_port 65002 intercept ssl-bump\n");
	assert_int_equal(c->tproxy, 0);
	assert_int_equal(cfg_http_ports(c), 1);
	cfg_unref(c);
}

/* The rules' actions, acls and places. */
static void
test_rule_values(void **state)
{
	const struct access_list *l;
	struct cfg *c;

	(void)state;
	c = load_ok("http_port 65001\nhttps_port 65002 tproxy ssl-bump "
		    "cert=/n/ca.pem\n"
		    "acl step1 at_step SslBump1\n"
		    "acl bad ssl::server_name .bad.test\n"
		    "ssl_bump peek step1\n"
		    "ssl_bump terminate bad !step1\n"
		    "ssl_bump stare all\n"
		    "ssl_bump splice\n"
		    "ssl_bump none all\n"
		    "on_unsupported_protocol tunnel all\n"
		    "on_unsupported_protocol respond\n"
		    "tls_outgoing_options cafile=/etc/passwd\n");
	l = &c->tls.ssl_bump;
	assert_int_equal(l->n, 5);
	assert_int_equal(l->rule[0].allow, SSLB_PEEK);
	assert_int_equal(l->rule[1].allow, SSLB_TERMINATE);
	assert_int_equal(l->rule[2].allow, SSLB_STARE);
	assert_int_equal(l->rule[3].allow, SSLB_SPLICE);
	assert_int_equal(l->rule[4].allow, SSLB_SPLICE);	/* none */
	assert_int_equal(l->rule[0].nref, 1);
	assert_string_equal(l->rule[0].ref[0].acl->name, "step1");
	assert_int_equal(l->rule[1].nref, 2);
	assert_int_equal(l->rule[1].ref[1].negate, 1);
	assert_int_equal(l->rule[3].nref, 0);		/* always matches */
	assert_int_equal(l->rule[1].line, 6);
	assert_string_equal(l->rule[1].file, "v.conf");
	l = &c->tls.on_unsupported;
	assert_int_equal(l->n, 2);
	assert_int_equal(l->rule[0].allow, UNSUP_TUNNEL);
	assert_int_equal(l->rule[1].allow, UNSUP_RESPOND);
	assert_int_equal(l->rule[1].nref, 0);
	assert_string_equal(c->tls.cafile, "/etc/passwd");
	cfg_unref(c);

	/* Squid 3.2's deny: none (splice). */
	c = load_ok("https_port 65002 tproxy ssl-bump\nssl_bump deny all\n");
	assert_int_equal(c->tls.ssl_bump.n, 1);
	assert_int_equal(c->tls.ssl_bump.rule[0].allow, SSLB_SPLICE);
	assert_null(c->tls.cafile);
	cfg_unref(c);
}

/* The values of the TLS acls, as acl.c reads them. */
static void
test_acl_values(void **state)
{
	const struct acl *a;
	struct cfg *c;

	(void)state;
	c = load_ok("http_port 65001\n"
		    "acl s at_step SslBump3 sslbump1 GeneratingCONNECT\n"
		    "acl n ssl::server_name --server-provided .B.Test a.test. "
		    "[2001:DB8:0::1] 192.0.2.1 none .b.test\n"
		    "acl n ssl::server_name --server-provided zz.a.test\n"
		    "acl r ssl::server_name_regex --consensus -i ^www\\.\n"
		    "acl e ssl_error 10 ssl::certUntrusted "
		    "SQUID_ERR_SSL_HANDSHAKE X509_V_ERR_INVALID_CA\n"
		    "acl q squid_error ERR_PROTOCOL_UNKNOWN\n"
		    "acl enc connections_encrypted\n");
	a = cfg_acl_find(c, "s");
	assert_int_equal(a->type, ACL_AT_STEP);
	assert_int_equal(a->n, 3);
	assert_int_equal(a->v.num[0], 3);
	assert_int_equal(a->v.num[1], 1);
	assert_int_equal(a->v.num[2], ACL_STEP_GENERATING_CONNECT);

	a = cfg_acl_find(c, "n");
	assert_int_equal(a->type, ACL_SERVER_NAME);
	assert_int_equal(a->flags, ACL_SN_SERVER_PROVIDED);
	/* lowercase, no trailing dot, IPv6 in inet_ntop form, sorted,
	 * unique */
	assert_int_equal(a->n, 6);
	assert_string_equal(a->v.word[0], ".b.test");
	assert_string_equal(a->v.word[1], "192.0.2.1");
	assert_string_equal(a->v.word[2], "2001:db8::1");
	assert_string_equal(a->v.word[3], "a.test");
	assert_string_equal(a->v.word[4], "none");
	assert_string_equal(a->v.word[5], "zz.a.test");
	/* reversed and sorted, for wildcard certificate names */
	assert_non_null(a->rword);
	assert_string_equal(a->rword[0], "1.2.0.291");
	assert_string_equal(a->rword[1], "1::8bd:1002");
	assert_string_equal(a->rword[2], "enon");
	assert_string_equal(a->rword[3], "tset.a");
	assert_string_equal(a->rword[4], "tset.a.zz");
	assert_string_equal(a->rword[5], "tset.b.");

	a = cfg_acl_find(c, "r");
	assert_int_equal(a->type, ACL_SERVER_NAME_REGEX);
	assert_int_equal(a->flags, ACL_SN_CONSENSUS);
	assert_int_equal(a->n, 1);

	a = cfg_acl_find(c, "e");
	assert_int_equal(a->type, ACL_SSL_ERROR);
	/* 10, the six of certUntrusted (X509_V_ERR_INVALID_CA once), the
	 * alias under its current name */
	assert_int_equal(a->n, 8);
	assert_string_equal(a->v.word[0], "X509_V_ERR_CERT_HAS_EXPIRED");
	assert_string_equal(a->v.word[1], "X509_V_ERR_INVALID_CA");
	assert_string_equal(a->v.word[6], "X509_V_ERR_CERT_UNTRUSTED");
	assert_string_equal(a->v.word[7], "SQUID_TLS_ERR_CONNECT");

	a = cfg_acl_find(c, "q");
	assert_int_equal(a->type, ACL_SQUID_ERROR);
	assert_int_equal(a->n, 1);
	assert_string_equal(a->v.word[0], "ERR_PROTOCOL_UNKNOWN");

	a = cfg_acl_find(c, "enc");
	assert_int_equal(a->type, ACL_ENCRYPTED);
	assert_int_equal(a->n, 0);

	/* Squid's predefined certificate error acls. */
	a = cfg_acl_find(c, "ssl::certHasExpired");
	assert_non_null(a);
	assert_int_equal(a->n, 1);
	assert_string_equal(a->v.word[0], "X509_V_ERR_CERT_HAS_EXPIRED");
	a = cfg_acl_find(c, "ssl::certUntrusted");
	assert_non_null(a);
	assert_int_equal(a->n, 6);
	a = cfg_acl_find(c, "ssl::certDomainMismatch");
	assert_non_null(a);
	assert_string_equal(a->v.word[0], "SQUID_X509_V_ERR_DOMAIN_MISMATCH");
	assert_non_null(cfg_acl_find(c, "ssl::certNotYetValid"));
	assert_non_null(cfg_acl_find(c, "ssl::certSelfSigned"));
	cfg_unref(c);
}

/* The name tables (acl_names.c) agree with OpenSSL's numbering. */
static void
test_error_names(void **state)
{
	static const struct {
		long        code;
		const char *name;
	} known[] = {
		{ 2, "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT" },
		{ 10, "X509_V_ERR_CERT_HAS_EXPIRED" },
		{ 18, "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT" },
		{ 19, "X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN" },
		{ 20, "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY" },
		{ 23, "X509_V_ERR_CERT_REVOKED" },
		{ 62, "X509_V_ERR_HOSTNAME_MISMATCH" },
		{ 79, "X509_V_ERR_INVALID_CA" },
		{ 94, "X509_V_ERR_EC_KEY_EXPLICIT_PARAMS" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_string_equal(acl_ssl_error_name(known[i].code),
				    known[i].name);
		assert_ptr_equal(acl_ssl_error_canon(known[i].name),
				 acl_ssl_error_name(known[i].code));
	}
	assert_null(acl_ssl_error_name(0));
	assert_null(acl_ssl_error_name(95));
	assert_null(acl_ssl_error_name(-1));
	assert_string_equal(acl_ssl_error_canon("SQUID_ERR_SSL_HANDSHAKE"),
			    "SQUID_TLS_ERR_CONNECT");
	assert_null(acl_ssl_error_canon("X509_V_OK"));
	assert_string_equal(acl_squid_error_canon("MGR_INDEX"), "MGR_INDEX");
	assert_null(acl_squid_error_canon("ERR_MAX"));
	assert_null(acl_squid_error_canon("err_too_big"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_port_values),
		cmocka_unit_test(test_rule_values),
		cmocka_unit_test(test_acl_values),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
