/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cfg_modules.c - the directive tables of src/config/cfg_*.c and how
 * config.c walks them: every directive is owned by exactly one module,
 * every one is found by name (and through a real load reaches its setter
 * or the "ignored" warning), unknown names stay errors, and the modules'
 * finish hooks report in the documented order.
 *
 * White-box: includes the private config/cfg-int.h for cfg_dirtabs[] and
 * cfg_dir_find().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg-int.h"
#include "config/config.h"

#include "squid_directives.h"

#include "cfg_cases.h"

/* Number of tables in cfg_dirtabs[] (NULL-terminated). */
static size_t
ntabs(void)
{
	size_t k = 0;

	while (cfg_dirtabs[k] != NULL)
		k++;
	return k;
}

/*
 * Every table is well formed, listed once, has a distinct module name, and
 * every directive name (lowercase squid.conf spelling) appears in exactly
 * one table, once.
 */
/* A directive name: lowercase squid.conf spelling (Squid has one dot:
 * upgrade_http0.9). */
static int
good_name(const char *name)
{
	const char *q;

	for (q = name; *q != '\0'; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
		      *q == '_' || *q == '.'))
			return 0;
	return *name != '\0';
}

/* How many entries (implemented or not) of all tables have name. */
static size_t
count_name(const char *name)
{
	const struct cfg_dirtab *tb;
	size_t b, j, count = 0;

	for (b = 0; cfg_dirtabs[b] != NULL; b++) {
		tb = cfg_dirtabs[b];
		for (j = 0; j < tb->ndir; j++)
			if (strcmp(tb->dir[j].name, name) == 0)
				count++;
		for (j = 0; j < tb->nnodir; j++)
			if (strcmp(tb->nodir[j].name, name) == 0)
				count++;
	}
	return count;
}

/*
 * Every table is well formed, listed once, has a distinct module name, and
 * every directive name (implemented, ignored, obsolete or refused)
 * appears in exactly one table, once. Implemented entries have a setter;
 * not-implemented ones a reason, and a feature exactly when refused.
 */
static void
test_names_unique(void **state)
{
	const struct cfg_dirtab *ta;
	const struct cfg_nodir *nd;
	size_t a, b, i, count, total = 0;
	const char *name;
	int failed = 0;

	(void)state;
	assert_true(ntabs() >= 10);
	for (a = 0; cfg_dirtabs[a] != NULL; a++) {
		ta = cfg_dirtabs[a];
		if (ta->module == NULL || ta->ndir + ta->nnodir == 0 ||
		    (ta->ndir > 0) != (ta->dir != NULL) ||
		    (ta->nnodir > 0) != (ta->nodir != NULL) ||
		    (ta->nnodir > 0) != (ta->nokind != CFG_NO_NONE)) {
			print_error("table %zu: empty, unnamed or "
				    "inconsistent\n", a);
			failed = 1;
			continue;
		}
		for (b = a + 1; cfg_dirtabs[b] != NULL; b++) {
			if (cfg_dirtabs[b] == ta ||
			    strcmp(cfg_dirtabs[b]->module, ta->module) == 0) {
				print_error("module '%s' listed twice\n",
					    ta->module);
				failed = 1;
			}
		}
		for (i = 0; i < ta->ndir + ta->nnodir; i++) {
			nd = i >= ta->ndir ? &ta->nodir[i - ta->ndir] : NULL;
			name = nd != NULL ? nd->name : ta->dir[i].name;
			total++;
			if (!good_name(name)) {
				print_error("%s: bad directive name '%s'\n",
					    ta->module, name);
				failed = 1;
			}
			if (nd == NULL ? ta->dir[i].set == NULL :
			    (nd->why == NULL || *nd->why == '\0' ||
			     (nd->feature != NULL) !=
			     (ta->nokind == CFG_NO_REFUSE))) {
				print_error("%s: '%s': setter, reason or "
					    "feature missing\n", ta->module,
					    name);
				failed = 1;
			}
			count = count_name(name);
			if (count != 1) {
				print_error("'%s' (module %s) appears %zu "
					    "times in the tables\n", name,
					    ta->module, count);
				failed = 1;
			}
		}
	}
	/* Squid 7 knows 420 names, 41 of them for other branches. */
	assert_true(total >= 380);
	if (failed)
		fail();
}

/* The message config.c gives for a not-implemented entry of tab. */
static void
nodir_msg(char *buf, size_t len, const struct cfg_dirtab *tab,
	  const struct cfg_nodir *nd)
{
	if (tab->nokind == CFG_NO_REFUSE)
		snprintf(buf, len, "t.conf:1: '%s' is not supported by "
			 "tproxyd (%s): if it were ignored, %s", nd->name,
			 nd->feature, nd->why);
	else if (tab->nokind == CFG_NO_OBSOLETE)
		snprintf(buf, len, "t.conf:1: WARNING: '%s' is obsolete; "
			 "ignored, as by Squid 7 (%s)", nd->name, nd->why);
	else
		snprintf(buf, len, "t.conf:1: WARNING: '%s' is not "
			 "implemented by tproxyd; ignored (%s)", nd->name,
			 nd->why);
}

/*
 * Every directive of every table: cfg_dir_find() or cfg_nodir_find()
 * returns that very entry and its table, and a configuration line with it
 * is never "unknown". An ignored or obsolete one gives exactly its
 * warning and the configuration loads; a refused one gives exactly its
 * error and the load fails; one with a setter is handed the line (here
 * without arguments, so whatever it says is about its own arguments, on
 * the line's FILE:LINE).
 */
static void
test_lookup_all(void **state)
{
	const struct cfg_dirtab *t, *got_tab;
	const struct cfg_nodir *nd;
	const struct cfg_dir *d;
	struct cfg_msgs m;
	struct cfg *c;
	char text[256], want[512];
	size_t a, i;
	int failed = 0, bad;

	(void)state;
	for (a = 0; cfg_dirtabs[a] != NULL; a++) {
		t = cfg_dirtabs[a];
		for (i = 0; i < t->ndir + t->nnodir; i++) {
			d = i < t->ndir ? &t->dir[i] : NULL;
			nd = d == NULL ? &t->nodir[i - t->ndir] : NULL;
			got_tab = NULL;
			if (d != NULL)
				bad = cfg_dir_find(d->name, &got_tab) != d ||
				    cfg_nodir_find(d->name, NULL) != NULL;
			else
				bad = cfg_nodir_find(nd->name, &got_tab) !=
				    nd || cfg_dir_find(nd->name, NULL) != NULL;
			if (bad || got_tab != t) {
				print_error("%s: lookup of '%s' failed\n",
					    t->module, d ? d->name : nd->name);
				failed = 1;
			}
			snprintf(text, sizeof(text), "%s\nhttp_port 65001\n",
				 d ? d->name : nd->name);
			memset(&m, 0, sizeof(m));
			c = cfg_load_mem(text, "t.conf", &m);
			if (d != NULL)
				bad = m.n > 0 &&
				    (strncmp(m.msg[0].text, "t.conf:1: ", 10) !=
				     0 || strstr(m.msg[0].text,
						 "unknown directive") != NULL);
			else {
				nodir_msg(want, sizeof(want), t, nd);
				bad = m.n != 1 ||
				    strcmp(m.msg[0].text, want) != 0 ||
				    (c == NULL) !=
				    (t->nokind == CFG_NO_REFUSE);
			}
			if (bad) {
				print_error("%s: loading '%s':\n", t->module,
					    d ? d->name : nd->name);
				dump_msgs(&m);
				failed = 1;
			}
			cfg_unref(c);
			cfg_msgs_free(&m);
		}
	}
	if (failed)
		fail();
}

/* What tproxyd does with a name, as a word for the tests below. */
static const char *
class_of(const char *name, const char **module)
{
	const struct cfg_dirtab *tab = NULL;

	*module = NULL;
	if (cfg_dir_find(name, &tab) != NULL) {
		*module = tab->module;
		return "implemented";
	}
	if (cfg_nodir_find(name, &tab) == NULL)
		return "unknown";
	*module = tab->module;
	switch (tab->nokind) {
	case CFG_NO_REFUSE:
		return "refused";
	case CFG_NO_OBSOLETE:
		return "obsolete";
	default:
		return "ignored";
	}
}

/*
 * The directives known before the split into modules (and before every
 * Squid directive was classified), with the module that owns each now and
 * its class. A directive may move to another module later (update its
 * row), but none may get lost. logformat, debug_options, logfile_rotate
 * and cache_store_log left the ignored table for the log module (issue
 * 12, another branch); icp_port, htcp_port, icp_access and htcp_access
 * left the cache module for the sibling module (cfg_sibling.c).
 */
static const struct {
	const char *name;
	const char *module;
	const char *cls;
} known[] = {
	{ "acl",			"access",	"implemented" },
	{ "http_access",		"access",	"implemented" },
	{ "stats_access",		"access",	"implemented" },
	{ "http_port",			"ports",	"implemented" },
	{ "stats_port",			"ports",	"implemented" },
	{ "workers",			"proc",		"implemented" },
	{ "cpu_affinity_map",		"proc",		"implemented" },
	{ "max_filedescriptors",	"proc",		"implemented" },
	{ "client_connection_limit",	"proc",		"implemented" },
	{ "pid_filename",		"proc",		"implemented" },
	{ "cache_effective_user",	"proc",		"implemented" },
	{ "shutdown_lifetime",		"proc",		"implemented" },
	{ "access_log",			"log",		"implemented" },
	{ "cache_log",			"log",		"implemented" },
	{ "dns_nameservers",		"http",		"implemented" },
	{ "visible_hostname",		"http",		"implemented" },
	{ "forwarded_for",		"http",		"implemented" },
	{ "via",			"http",		"implemented" },
	{ "request_header_max_size",	"http",		"implemented" },
	{ "reply_header_max_size",	"http",		"implemented" },
	{ "connect_timeout",		"http",		"implemented" },
	{ "read_timeout",		"http",		"implemented" },
	{ "request_timeout",		"http",		"implemented" },
	{ "client_idle_pconn_timeout",	"http",		"implemented" },
	{ "server_idle_pconn_timeout",	"http",		"implemented" },
	{ "spoof_client_ip",		"route",	"implemented" },
	{ "spoof_client_port",		"route",	"implemented" },
	{ "host_verify_strict",		"route",	"implemented" },
	/* tproxyd's own (issue 13) */
	{ "host_verify_learn_dns",	"learn",	"implemented" },
	{ "host_verify_trusted_resolvers", "learn",	"implemented" },
	/* tproxyd's own (issue 19); udp_port stays the sibling module's
	 * (Squid's icp_port alias, or with tproxy UDP interception) */
	{ "udp_idle_timeout",		"udp",		"implemented" },
	{ "udp_dns_idle_timeout",	"udp",		"implemented" },
	{ "udp_quic_idle_timeout",	"udp",		"implemented" },
	{ "udp_flows_per_client",	"udp",		"implemented" },
	{ "udp_flows_max",		"udp",		"implemented" },
	{ "udp_access",			"udp",		"implemented" },
	{ "udp_quic_access",		"udp",		"implemented" },
	{ "tcp_outgoing_address",	"route",	"implemented" },
	{ "cache_peer",			"route",	"implemented" },
	{ "cache_peer_access",		"route",	"implemented" },
	{ "never_direct",		"route",	"implemented" },
	{ "always_direct",		"route",	"implemented" },
	{ "wccp2_router",		"wccp2",	"implemented" },
	{ "wccp2_address",		"wccp2",	"implemented" },
	{ "wccp2_forwarding_method",	"wccp2",	"implemented" },
	{ "wccp2_return_method",	"wccp2",	"implemented" },
	{ "wccp2_assignment_method",	"wccp2",	"implemented" },
	{ "wccp2_service",		"wccp2",	"implemented" },
	{ "wccp2_service_info",		"wccp2",	"implemented" },
	{ "wccp2_weight",		"wccp2",	"implemented" },
	{ "wccp2_rebuild_wait",		"wccp2",	"implemented" },
	/* Squid's aliases of implemented directives */
	{ "ascii_port",			"ports",	"implemented" },
	{ "max_filedesc",		"proc",		"implemented" },
	{ "persistent_request_timeout",	"http",		"implemented" },
	{ "pconn_timeout",		"http",		"implemented" },
	{ "cache_dir",			"cache",	"implemented" },
	{ "cache_mem",			"cache",	"implemented" },
	{ "refresh_pattern",		"cache",	"implemented" },
	{ "coredump_dir",		"ignored",	"ignored" },
	{ "maximum_object_size",	"cache",	"implemented" },
	{ "maximum_object_size_in_memory", "cache",	"implemented" },
	{ "minimum_object_size",	"cache",	"implemented" },
	{ "cache",			"cache",	"implemented" },
	{ "cache_replacement_policy",	"cache",	"implemented" },
	{ "memory_replacement_policy",	"cache",	"implemented" },
	{ "hierarchy_stoplist",		"obsolete",	"obsolete" },
	{ "cache_swap_low",		"cache",	"implemented" },
	{ "cache_swap_high",		"cache",	"implemented" },
	{ "cache_mgr",			"ignored",	"ignored" },
	{ "httpd_suppress_version_string", "ignored",	"ignored" },
	{ "httpd_accel_no_pmtu_disc",	"obsolete",	"obsolete" },
	{ "pipeline_prefetch",		"ignored",	"ignored" },
	{ "dns_v4_first",		"obsolete",	"obsolete" },
	{ "memory_pools",		"ignored",	"ignored" },
	{ "client_persistent_connections", "ignored",	"ignored" },
	{ "server_persistent_connections", "ignored",	"ignored" },
	{ "half_closed_clients",	"http",		"implemented" },
	{ "forward_timeout",		"ignored",	"ignored" },
	{ "negative_ttl",		"cache",	"implemented" },
	{ "icp_port",			"sibling",	"implemented" },
	{ "htcp_port",			"sibling",	"implemented" },
	{ "snmp_port",			"ignored",	"ignored" },
	{ "icp_access",			"sibling",	"implemented" },
	{ "htcp_access",		"sibling",	"implemented" },
	{ "snmp_access",		"ignored",	"ignored" },
	{ "wccp_version",		"ignored",	"ignored" },
	{ "wccp_router",		"ignored",	"ignored" },
	{ "https_port",			"ports",	"implemented" },
	{ "ssl_bump",			"tls",		"implemented" },
	{ "on_unsupported_protocol",	"tls",		"implemented" },
	{ "tls_outgoing_options",	"tls",		"implemented" },
	{ "sslproxy_cert_error",	"tls",		"implemented" },
	{ "sslproxy_cert_sign",		"refused",	"refused" },
	{ "auth_param",			"auth",		"implemented" },
	{ "auth_schemes",		"refused",	"refused" },
	{ "header_access",		"refused",	"refused" },
};

static void
test_known_owners(void **state)
{
	const char *cls, *module;
	size_t i, j;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		for (j = 0; j < i; j++)
			if (strcmp(known[j].name, known[i].name) == 0)
				fail_msg("'%s' twice in known[]",
				    known[i].name);
		cls = class_of(known[i].name, &module);
		if (strcmp(cls, known[i].cls) != 0 || module == NULL ||
		    strcmp(module, known[i].module) != 0) {
			print_error("'%s': module %s, %s; want %s, %s\n",
				    known[i].name, module ? module : "none",
				    cls, known[i].module, known[i].cls);
			failed = 1;
		}
	}
	if (failed)
		fail();
}

/*
 * Names no table has: an error "FILE:LINE: unknown directive 'NAME'" on
 * the line that has it, the load fails, and the lines after it are still
 * read (their errors are reported in the same pass).
 */
static const struct {
	const char *text;
	const char *name;	/* must not be found by cfg_dir_find() */
	const char *msg;	/* the first message, exactly */
	size_t      nerr;
} unknown[] = {
	{ "x\nhttp_port 65001\n", "x",
	  "t.conf:1: unknown directive 'x'", 1 },
	{ "http_port 65001\n\nx y z\n", "x",
	  "t.conf:3: unknown directive 'x'", 1 },
	{ "HTTP_PORT 65001\nhttp_port 65001\n", "HTTP_PORT",
	  "t.conf:1: unknown directive 'HTTP_PORT'", 1 },
	{ "http_portx 1\nhttp_port 65001\n", "http_portx",
	  "t.conf:1: unknown directive 'http_portx'", 1 },
	{ "wccp2\nhttp_port 65001\n", "wccp2",
	  "t.conf:1: unknown directive 'wccp2'", 1 },
	{ "cfg_dirs_wccp2 on\nhttp_port 65001\n", "cfg_dirs_wccp2",
	  "t.conf:1: unknown directive 'cfg_dirs_wccp2'", 1 },
	{ "ssl_bumpx splice all\nhttp_port 65001\nvia maybe\n", "ssl_bumpx",
	  "t.conf:1: unknown directive 'ssl_bumpx'", 2 },
	/* Squid's name with another spelling is not Squid's name */
	{ "Cache_Dir ufs /x 1 1 1\nhttp_port 65001\n", "Cache_Dir",
	  "t.conf:1: unknown directive 'Cache_Dir'", 1 },
};

static void
test_unknown(void **state)
{
	struct cfg_msgs m;
	struct cfg *c;
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		if (cfg_dir_find(unknown[i].name, NULL) != NULL ||
		    cfg_nodir_find(unknown[i].name, NULL) != NULL) {
			print_error("'%s' is known\n", unknown[i].name);
			failed = 1;
		}
		memset(&m, 0, sizeof(m));
		c = cfg_load_mem(unknown[i].text, "t.conf", &m);
		if (c != NULL || m.nerr != unknown[i].nerr || m.n == 0 ||
		    m.msg[0].level != CFG_ERR ||
		    strcmp(m.msg[0].text, unknown[i].msg) != 0) {
			print_error("case %zu: want nerr %zu, first '%s'\n", i,
				    unknown[i].nerr, unknown[i].msg);
			dump_msgs(&m);
			failed = 1;
		}
		cfg_unref(c);
		cfg_msgs_free(&m);
	}
	if (failed)
		fail();
}

/*
 * Finish hooks run in the order of cfg_dirtabs[]: the ports module's
 * whole-file check before the WCCPv2 module's, errors before the warning
 * each module adds last.
 */
static void
test_finish_order(void **state)
{
	static const char *const want[] = {
		"t.conf: WARNING: no http_port configured: tproxyd will not "
		"start with this file",
		"t.conf:1: wccp2_service: dynamic service 80 has no "
		"wccp2_service_info line (protocol, flags, ports)",
		"t.conf:1: WARNING: wccp2_service: no wccp2_router is "
		"configured; WCCPv2 stays off",
	};
	struct cfg_msgs m;
	struct cfg *c;
	size_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem("wccp2_service dynamic 80\n", "t.conf", &m);
	if (c != NULL || m.n != 3 || m.nerr != 1) {
		dump_msgs(&m);
		fail_msg("want 1 error and 2 warnings");
	}
	for (i = 0; i < 3; i++)
		assert_string_equal(m.msg[i].text, want[i]);
	cfg_msgs_free(&m);
}

/*
 * Every name Squid 7 knows (squid_directives.h, generated from Squid's
 * cf.data.pre) is implemented, ignored, obsolete or refused: none is an
 * unknown directive.
 */
static void
test_squid_list(void **state)
{
	const char *cls, *module;
	size_t i, n[5] = { 0 };
	int failed = 0;

	(void)state;
	assert_true(CFG_NELEM(squid_directives) >= 420);
	for (i = 0; i < CFG_NELEM(squid_directives); i++) {
		cls = class_of(squid_directives[i], &module);
		if (strcmp(cls, "unknown") == 0) {
			print_error("Squid's '%s' is unknown\n",
				    squid_directives[i]);
			failed = 1;
		}
		n[cls[0] == 'i' ? (cls[1] == 'm' ? 0 : 1) :
		  cls[0] == 'o' ? 2 : 3]++;
	}
	print_message("Squid 7 directives: %zu implemented, %zu ignored, "
		      "%zu obsolete, %zu refused\n", n[0], n[1], n[2], n[3]);
	if (failed)
		fail();
}

/*
 * Directives that decide access, authentication, content or privacy: each
 * is implemented or refused, never ignored (nor ignored as obsolete).
 */
static const char *const sensitive[] = {
	/* access */
	"http_access", "adapted_http_access", "http_access2", "miss_access",
	"proxy_protocol_access", "http_upgrade_request_protocols",
	"check_hostnames", "uri_whitespace", "on_unsupported_protocol",
	"stats_access", "spoof_client_ip", "host_verify_strict",
	"tproxy_uses_indirect_client", "cache_peer_access", "never_direct",
	"always_direct", "cache_peer_domain", "cache_host_domain",
	"neighbor_type_domain", "prefer_direct", "nonhierarchical_direct",
	/* authentication */
	"auth_param", "auth_schemes", "external_acl_type",
	/* TLS interception */
	"https_port", "ssl_bump", "sslproxy_cert_error", "sslproxy_cert_sign",
	"sslproxy_cert_adapt", "sslcrtvalidator_program",
	"sslproxy_foreign_intermediate_certs",
	/* content */
	"url_rewrite_program", "redirect_program", "url_rewrite_access",
	"redirector_access", "url_rewrite_host_header",
	"redirect_rewrites_host_header", "url_rewrite_bypass",
	"redirector_bypass", "url_rewrite_timeout", "url_rewrite_extras",
	"store_id_program", "storeurl_rewrite_program", "store_id_access",
	"storeurl_rewrite_access", "icap_service", "ecap_service",
	"icap_class", "icap_access", "adaptation_access",
	"adaptation_service_set", "adaptation_service_chain",
	"loadable_modules", "retry_on_error", "append_domain", "ftp_port",
	"configuration_includes_quoted_values", "delay_pools", "delay_class",
	"delay_access", "delay_parameters", "client_delay_pools",
	"client_delay_parameters", "client_delay_access",
	"response_delay_pool", "response_delay_pool_access", "qos_flows",
	"mark_client_connection", "forwarded_for", "via", "visible_hostname",
	/* privacy */
	"header_access", "log_access", "client_netmask", "chroot",
};

static void
test_sensitive_not_ignored(void **state)
{
	const char *cls, *module;
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < CFG_NELEM(sensitive); i++) {
		cls = class_of(sensitive[i], &module);
		if (strcmp(cls, "implemented") != 0 &&
		    strcmp(cls, "refused") != 0) {
			print_error("'%s' decides access, authentication, "
				    "content or privacy but is %s\n",
				    sensitive[i], cls);
			failed = 1;
		}
	}
	if (failed)
		fail();
}

/*
 * Refused directives are errors like any other: every one is reported in
 * the same pass, after and among other errors, and the load fails; the
 * ignored ones around them only warn.
 */
static void
test_refused_one_pass(void **state)
{
	static const char *const want[] = {
		"t.conf:1: WARNING: 'store_avg_object_size' is not "
		"implemented by tproxyd; ignored (tuning of Squid's own "
		"store; tproxyd's cache is set by cache_mem, cache_dir and "
		"the object size limits)",
		"t.conf:2: 'auth_schemes' is not supported by tproxyd (proxy "
		"authentication): if it were ignored, the authentication "
		"schemes offered to clients would not be the configured ones "
		"(tproxyd offers Basic only)",
		"t.conf:3: via: expected 'on' or 'off', got 'maybe'",
		"t.conf:4: 'sslproxy_cert_sign' is not supported by tproxyd "
		"(TLS decryption and server certificate checks): if it were "
		"ignored, certificate checks of TLS interception would not be "
		"made as configured",
		"t.conf:5: WARNING: 'dns_v4_first' is obsolete; ignored, as "
		"by Squid 7 (Remove this line. Squid no longer supports "
		"preferential treatment of DNS A records.)",
	};
	struct cfg_msgs m;
	struct cfg *c;
	size_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem("store_avg_object_size 13 KB\n"
			 "auth_schemes basic all\n"
			 "via maybe\n"
			 "sslproxy_cert_sign signTrusted all\n"
			 "dns_v4_first on\n"
			 "http_port 65001\n", "t.conf", &m);
	if (c != NULL || m.nerr != 3 || m.n != CFG_NELEM(want)) {
		dump_msgs(&m);
		fail_msg("want 3 errors, 2 warnings, no configuration");
	}
	for (i = 0; i < CFG_NELEM(want); i++) {
		if (strcmp(m.msg[i].text, want[i]) != 0) {
			dump_msgs(&m);
			fail_msg("message %zu: want '%s'", i, want[i]);
		}
	}
	cfg_msgs_free(&m);
}

/*
 * doc/tproxyd.conf.5 ("SQUID DIRECTIVES") shows each directive of the
 * tables in bold in the subsection of its class, and in no other: the
 * manual cannot drift from the tables. Run from the top of the tree
 * (make unit does).
 */
static void
test_manpage(void **state)
{
	static const char *const sub[] = {
		".SS Implemented", ".SS Ignored", ".SS Obsolete",
		".SS Refused",
	};
	const struct cfg_dirtab *t;
	const char *name, *cls, *module, *sec, *end, *p;
	const char *from[4], *to[4];
	char *doc = NULL, bold[128];
	size_t len, a, i, k, want, hits;
	int failed = 0;

	(void)state;
	if (cfg_read_file("doc/tproxyd.conf.5", &doc, &len) != 0)
		fail_msg("cannot read doc/tproxyd.conf.5 (run from the top "
			 "of the tree)");
	/* "\:" is groff's break point inside a long name (tables): not
	 * part of the name. */
	for (a = i = 0; i < len; i++) {
		if (doc[i] == '\\' && i + 1 < len && doc[i + 1] == ':') {
			i++;
			continue;
		}
		doc[a++] = doc[i];
	}
	doc[a] = '\0';
	sec = strstr(doc, "\n.SH SQUID DIRECTIVES\n");
	assert_non_null(sec);
	end = strstr(sec + 1, "\n.SH ");
	assert_non_null(end);
	for (k = 0; k < 4; k++) {
		from[k] = strstr(sec, sub[k]);
		assert_true(from[k] != NULL && from[k] < end);
	}
	for (k = 0; k < 4; k++) {
		to[k] = k < 3 ? from[k + 1] : end;
		assert_true(to[k] > from[k]);
	}
	for (a = 0; cfg_dirtabs[a] != NULL; a++) {
		t = cfg_dirtabs[a];
		for (i = 0; i < t->ndir + t->nnodir; i++) {
			name = i < t->ndir ? t->dir[i].name :
			    t->nodir[i - t->ndir].name;
			/* tproxyd's own directives are described above;
			 * others' in their own sections. */
			if (strncmp(name, "stats_", 6) ==
			    0 || strcmp(name, "client_connection_limit") ==
			    0 || strcmp(name, "spoof_client_port") == 0 ||
			    strcmp(name, "host_verify_learn_dns") == 0 ||
			    strcmp(name, "host_verify_trusted_resolvers") ==
			    0 || strcmp(t->module, "udp") == 0)
				continue;
			cls = class_of(name, &module);
			want = cls[0] == 'i' ? (cls[1] == 'm' ? 0 : 1) :
			    cls[0] == 'o' ? 2 : 3;
			snprintf(bold, sizeof(bold), "\\fB%s\\fR", name);
			for (k = 0; k < 4; k++) {
				hits = 0;
				for (p = from[k]; (p = strstr(p, bold)) !=
				     NULL && p < to[k]; p++)
					hits++;
				if ((k == want) != (hits > 0)) {
					print_error("%s: '%s' is %s but %s in "
						    "'%s'\n", module, name, cls,
						    hits ? "shown" :
						    "missing", sub[k]);
					failed = 1;
				}
			}
		}
	}
	free(doc);
	if (failed)
		fail();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_unique),
		cmocka_unit_test(test_lookup_all),
		cmocka_unit_test(test_known_owners),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_finish_order),
		cmocka_unit_test(test_squid_list),
		cmocka_unit_test(test_sensitive_not_ignored),
		cmocka_unit_test(test_refused_one_pass),
		cmocka_unit_test(test_manpage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
