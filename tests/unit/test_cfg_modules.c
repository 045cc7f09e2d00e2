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

static void
dump_msgs(const struct cfg_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		print_error("    msg[%zu] %s\n", i, m->msg[i].text);
}

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
static void
test_names_unique(void **state)
{
	const struct cfg_dirtab *ta, *tb;
	size_t a, b, i, j, count, total = 0;
	const char *name, *q;
	int failed = 0;

	(void)state;
	assert_true(ntabs() >= 8);
	for (a = 0; cfg_dirtabs[a] != NULL; a++) {
		ta = cfg_dirtabs[a];
		if (ta->module == NULL || ta->dir == NULL || ta->ndir == 0) {
			print_error("table %zu: empty or unnamed\n", a);
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
		for (i = 0; i < ta->ndir; i++) {
			name = ta->dir[i].name;
			total++;
			for (q = name; *q != '\0'; q++)
				if (!((*q >= 'a' && *q <= 'z') ||
				      (*q >= '0' && *q <= '9') || *q == '_'))
					break;
			if (*name == '\0' || *q != '\0') {
				print_error("%s: bad directive name '%s'\n",
					    ta->module, name);
				failed = 1;
			}
			count = 0;
			for (b = 0; cfg_dirtabs[b] != NULL; b++) {
				tb = cfg_dirtabs[b];
				for (j = 0; j < tb->ndir; j++)
					if (strcmp(tb->dir[j].name, name) == 0)
						count++;
			}
			if (count != 1) {
				print_error("'%s' (module %s) appears %zu "
					    "times in the tables\n", name,
					    ta->module, count);
				failed = 1;
			}
		}
	}
	/* Every directive the single table had before the split (79). */
	assert_true(total >= 79);
	if (failed)
		fail();
}

/*
 * Every directive of every table: cfg_dir_find() returns that very entry
 * and its table, and a configuration line with it is never "unknown". A
 * directive without a setter gives exactly the "ignored" warning; one with
 * a setter is handed the line (here without arguments, so whatever it
 * says is about its own arguments, on the line's FILE:LINE).
 */
static void
test_lookup_all(void **state)
{
	const struct cfg_dirtab *t, *got_tab;
	const struct cfg_dir *d, *got;
	struct cfg_msgs m;
	struct cfg *c;
	char text[256], want[256];
	size_t a, i;
	int failed = 0;

	(void)state;
	for (a = 0; cfg_dirtabs[a] != NULL; a++) {
		t = cfg_dirtabs[a];
		for (i = 0; i < t->ndir; i++) {
			d = &t->dir[i];
			got_tab = NULL;
			got = cfg_dir_find(d->name, &got_tab);
			if (got != d || got_tab != t ||
			    cfg_dir_find(d->name, NULL) != d) {
				print_error("%s: lookup of '%s' gave %s\n",
					    t->module, d->name,
					    got == NULL ? "nothing" :
					    "another entry");
				failed = 1;
			}
			snprintf(text, sizeof(text), "%s\nhttp_port 65001\n",
				 d->name);
			memset(&m, 0, sizeof(m));
			c = cfg_load_mem(text, "t.conf", &m);
			snprintf(want, sizeof(want), "t.conf:1: WARNING: '%s' "
				 "is not implemented by tproxyd; ignored",
				 d->name);
			if (d->set == NULL ?
			    (c == NULL || m.n != 1 ||
			     strcmp(m.msg[0].text, want) != 0) :
			    (m.n > 0 &&
			     (strncmp(m.msg[0].text, "t.conf:1: ", 10) != 0 ||
			      strstr(m.msg[0].text, "unknown directive") !=
			      NULL))) {
				print_error("%s: loading '%s' (%s):\n",
					    t->module, d->name, d->set ?
					    "implemented" : "ignored");
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

/*
 * The directives known before the split into modules, with the module
 * that owns each now and whether tproxyd implements it. A directive may
 * move to another module later (update its row), but none may get lost.
 */
static const struct {
	const char *name;
	const char *module;
	int         implemented;
} known[] = {
	{ "acl",			"access",	1 },
	{ "http_access",		"access",	1 },
	{ "stats_access",		"access",	1 },
	{ "http_port",			"ports",	1 },
	{ "stats_port",			"ports",	1 },
	{ "workers",			"proc",		1 },
	{ "cpu_affinity_map",		"proc",		1 },
	{ "max_filedescriptors",	"proc",		1 },
	{ "client_connection_limit",	"proc",		1 },
	{ "pid_filename",		"proc",		1 },
	{ "cache_effective_user",	"proc",		1 },
	{ "shutdown_lifetime",		"proc",		1 },
	{ "access_log",			"log",		1 },
	{ "cache_log",			"log",		1 },
	{ "cache_access_log",		"log",		1 },
	{ "logformat",			"log",		1 },
	{ "strip_query_terms",		"log",		1 },
	{ "debug_options",		"log",		1 },
	{ "dns_nameservers",		"http",		1 },
	{ "visible_hostname",		"http",		1 },
	{ "forwarded_for",		"http",		1 },
	{ "via",			"http",		1 },
	{ "request_header_max_size",	"http",		1 },
	{ "reply_header_max_size",	"http",		1 },
	{ "connect_timeout",		"http",		1 },
	{ "read_timeout",		"http",		1 },
	{ "request_timeout",		"http",		1 },
	{ "client_idle_pconn_timeout",	"http",		1 },
	{ "server_idle_pconn_timeout",	"http",		1 },
	{ "spoof_client_ip",		"route",	1 },
	{ "spoof_client_port",		"route",	1 },
	{ "host_verify_strict",		"route",	1 },
	{ "tcp_outgoing_address",	"route",	1 },
	{ "cache_peer",			"route",	1 },
	{ "cache_peer_access",		"route",	1 },
	{ "never_direct",		"route",	1 },
	{ "always_direct",		"route",	1 },
	{ "wccp2_router",		"wccp2",	1 },
	{ "wccp2_address",		"wccp2",	1 },
	{ "wccp2_forwarding_method",	"wccp2",	1 },
	{ "wccp2_return_method",	"wccp2",	1 },
	{ "wccp2_assignment_method",	"wccp2",	1 },
	{ "wccp2_service",		"wccp2",	1 },
	{ "wccp2_service_info",		"wccp2",	1 },
	{ "wccp2_weight",		"wccp2",	1 },
	{ "wccp2_rebuild_wait",		"wccp2",	1 },
	{ "cache_dir",			"ignored",	0 },
	{ "cache_mem",			"ignored",	0 },
	{ "refresh_pattern",		"ignored",	0 },
	{ "coredump_dir",		"ignored",	0 },
	{ "maximum_object_size",	"ignored",	0 },
	{ "maximum_object_size_in_memory", "ignored",	0 },
	{ "minimum_object_size",	"ignored",	0 },
	{ "cache",			"ignored",	0 },
	{ "cache_replacement_policy",	"ignored",	0 },
	{ "memory_replacement_policy",	"ignored",	0 },
	{ "hierarchy_stoplist",		"ignored",	0 },
	{ "cache_store_log",		"ignored",	0 },
	{ "cache_swap_low",		"ignored",	0 },
	{ "cache_swap_high",		"ignored",	0 },
	{ "logfile_rotate",		"ignored",	0 },
	{ "cache_mgr",			"ignored",	0 },
	{ "httpd_suppress_version_string", "ignored",	0 },
	{ "httpd_accel_no_pmtu_disc",	"ignored",	0 },
	{ "pipeline_prefetch",		"ignored",	0 },
	{ "dns_v4_first",		"ignored",	0 },
	{ "memory_pools",		"ignored",	0 },
	{ "client_persistent_connections", "ignored",	0 },
	{ "server_persistent_connections", "ignored",	0 },
	{ "pconn_timeout",		"ignored",	0 },
	{ "half_closed_clients",	"ignored",	0 },
	{ "forward_timeout",		"ignored",	0 },
	{ "negative_ttl",		"ignored",	0 },
	{ "icp_port",			"ignored",	0 },
	{ "htcp_port",			"ignored",	0 },
	{ "snmp_port",			"ignored",	0 },
	{ "icp_access",			"ignored",	0 },
	{ "htcp_access",		"ignored",	0 },
	{ "snmp_access",		"ignored",	0 },
	{ "wccp_version",		"ignored",	0 },
	{ "wccp_router",		"ignored",	0 },
};

static void
test_known_owners(void **state)
{
	const struct cfg_dirtab *tab;
	const struct cfg_dir *d;
	size_t i, j;
	int failed = 0;

	(void)state;
	assert_int_equal(sizeof(known) / sizeof(known[0]), 81);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		for (j = 0; j < i; j++)
			if (strcmp(known[j].name, known[i].name) == 0)
				fail_msg("'%s' twice in known[]",
				    known[i].name);
		tab = NULL;
		d = cfg_dir_find(known[i].name, &tab);
		if (d == NULL) {
			print_error("'%s' is no longer known\n",
				    known[i].name);
			failed = 1;
			continue;
		}
		if (strcmp(tab->module, known[i].module) != 0 ||
		    (d->set != NULL) != known[i].implemented) {
			print_error("'%s': module %s, %s; want %s, %s\n",
				    known[i].name, tab->module,
				    d->set ? "implemented" : "ignored",
				    known[i].module, known[i].implemented ?
				    "implemented" : "ignored");
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
	{ "ssl_bump splice all\nhttp_port 65001\nvia maybe\n", "ssl_bump",
	  "t.conf:1: unknown directive 'ssl_bump'", 2 },
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
		if (cfg_dir_find(unknown[i].name, NULL) != NULL) {
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
		"t.conf: no http_port configured",
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
	if (c != NULL || m.n != 3 || m.nerr != 2) {
		dump_msgs(&m);
		fail_msg("want 2 errors and 1 warning");
	}
	for (i = 0; i < 3; i++)
		assert_string_equal(m.msg[i].text, want[i]);
	cfg_msgs_free(&m);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
