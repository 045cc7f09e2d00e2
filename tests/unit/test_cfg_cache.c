/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cfg_cache.c - the cache module (cfg_cache.c), the sibling module
 * (cfg_sibling.c) and cache_peer's sibling options (cfg_route.c): every
 * directive's valid and invalid forms as a table (errors, warnings, the
 * first message), Squid's defaults, and the values stored in struct
 * cfg_cache and cfg_peer (units converted to bytes and seconds, regexes
 * compiled, acls kept).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#include "cfg_cases.h"

static const struct load_case cases[] = {
	/* cache_mem and the object sizes: Squid's units */
	{ "cache_mem 512 MB\n", 0, 0, NULL },
	{ "cache_mem 8 GB\n", 0, 0, NULL },
	{ "cache_mem 1 MBytes\n", 0, 0, NULL },
	{ "cache_mem 64 kb\n", 0, 0, NULL },
	{ "cache_mem 0\n", 0, 0, NULL },
	{ "cache_mem none\n", 0, 0, NULL },
	{ "cache_mem 100\n", 0, 1,
	  "t.conf:1: WARNING: cache_mem: no units on '100', assuming bytes" },
	{ "cache_mem 1 parsecs\n", 1, 0,
	  "t.conf:1: cache_mem: unknown size unit 'parsecs'" },
	{ "cache_mem -5 MB\n", 1, 0, "cache_mem: invalid size '-5'" },
	{ "cache_mem 99999999999 GB\n", 1, 0,
	  "cache_mem: size '99999999999' is too large" },
	{ "cache_mem\n", 1, 0, "cache_mem: missing argument" },
	{ "maximum_object_size 512 MB\nmaximum_object_size_in_memory 1 MB\n"
	  "minimum_object_size 0 KB\n", 0, 0, NULL },
	{ "maximum_object_size 10 MB minimum_object_size 3 KB\n", 0, 1,
	  "t.conf:1: WARNING: maximum_object_size: 'minimum_object_size "
	  "...' after the value is ignored" },
	{ "minimum_object_size 5 MB\nmaximum_object_size 1 MB\n", 1, 0,
	  "t.conf:2: minimum_object_size (5242880 bytes) is larger than "
	  "maximum_object_size (1048576 bytes)" },
	{ "minimum_object_size 8 MB\n", 1, 0,
	  "t.conf:1: minimum_object_size (8388608 bytes) is larger than "
	  "maximum_object_size (4194304 bytes)" },
	{ "maximum_object_size none\nminimum_object_size 8 MB\n", 0, 0,
	  NULL },
	{ "maximum_object_size_in_memory big\n", 1, 0,
	  "maximum_object_size_in_memory: invalid size 'big'" },
	/* quick_abort_*: KB by default */
	{ "quick_abort_min 0 KB\nquick_abort_max 0 KB\nquick_abort_pct 50\n",
	  0, 0, NULL },
	{ "quick_abort_min -1\n", 0, 0, NULL },
	{ "quick_abort_max 16\n", 0, 1,
	  "quick_abort_max: no units on '16', assuming KB" },
	{ "quick_abort_pct 101\n", 1, 0,
	  "t.conf:1: quick_abort_pct: invalid value '101' (a percentage "
	  "from 0 to 100)" },
	/* cache_swap_low / cache_swap_high */
	{ "cache_swap_low 98\ncache_swap_high 99\n", 0, 0, NULL },
	{ "cache_swap_low 96\n", 1, 0,
	  "t.conf:1: cache_swap_low 96 is above cache_swap_high 95" },
	{ "cache_swap_high 80\ncache_swap_low 85\n", 1, 0,
	  "t.conf:2: cache_swap_low 85 is above cache_swap_high 80" },
	{ "cache_swap_low 10\ncache_swap_high 5\n", 1, 0,
	  "t.conf:2: cache_swap_low 10 is above cache_swap_high 5" },
	{ "cache_swap_high 101\n", 1, 0,
	  "cache_swap_high: invalid value '101'" },
	{ "cache_swap_low -1\n", 1, 0, "cache_swap_low: invalid value '-1'" },
	/* replacement policies */
	{ "cache_replacement_policy heap LFUDA\n"
	  "memory_replacement_policy heap GDSF\n", 0, 0, NULL },
	{ "cache_replacement_policy heap\nmemory_replacement_policy lru\n",
	  0, 0, NULL },
	{ "cache_replacement_policy fifo\n", 1, 0,
	  "t.conf:1: cache_replacement_policy: unknown policy 'fifo'" },
	{ "memory_replacement_policy heap lfuda\n", 0, 1,
	  "memory_replacement_policy: unknown heap key 'lfuda' (LRU, GDSF "
	  "or LFUDA); using LRU" },
	{ "memory_replacement_policy heap GDSF x\n", 0, 1,
	  "'x' after the heap key is ignored" },
	{ "memory_replacement_policy\n", 1, 0, "missing argument" },
	/* cache_dir */
	{ "cache_dir ufs /var/spool/squid 100 16 256\n", 0, 0, NULL },
	{ "cache_dir aufs /c 10240 128 128 min-size=32769\n", 0, 0, NULL },
	{ "cache_dir ufs /a 100 16 256 no-store\n"
	  "cache_dir ufs /b 100 16 256 read-only\n", 0, 0, NULL },
	{ "cache_dir rock /mnt/rock 10240 max-size=32768\n", 0, 0, NULL },
	{ "cache_dir diskd /tmp/squid 256 16 128 Q1=64 Q2=72\n", 0, 2,
	  "t.conf:1: WARNING: cache_dir: option 'Q1=64' ignored" },
	{ "cache_dir rock /r 100 slot-size=16384\n", 0, 1,
	  "option 'slot-size=16384' ignored" },
	{ "cache_dir null /dev/null\n", 0, 1,
	  "t.conf:1: WARNING: cache_dir: type 'null' is not supported" },
	{ "cache_dir ufs var/spool 100 16 256\n", 1, 0,
	  "t.conf:1: cache_dir: path 'var/spool' is not absolute" },
	{ "cache_dir ufs /a 100 16 256\ncache_dir aufs /a/ 200 16 256\n", 1,
	  0, "t.conf:2: cache_dir: '/a/' is already a cache_dir at t.conf:1" },
	{ "cache_dir ufs /a 0 16 256\n", 1, 0,
	  "cache_dir: invalid size '0' (megabytes" },
	{ "cache_dir ufs /a 100 0 256\n", 1, 0,
	  "cache_dir: invalid first-level directory count '0'" },
	{ "cache_dir ufs /a 100 16 x\n", 1, 0,
	  "cache_dir: invalid second-level directory count 'x'" },
	{ "cache_dir ufs /a 100 16\n", 1, 0, "cache_dir: missing argument" },
	{ "cache_dir rock /a\n", 1, 0, "cache_dir: missing argument" },
	{ "cache_dir ufs /a 100 16 256 max-size=1MB\n", 1, 0,
	  "cache_dir: invalid size in 'max-size=1MB' (a number of bytes" },
	{ "cache_dir ufs /a 100 16 256 min-size=10 max-size=5\n", 1, 0,
	  "cache_dir: min-size=10 is larger than max-size=5" },
	{ "cache_dir ufs /a 100 16 256 no-store=yes\n", 1, 0,
	  "cache_dir: invalid 'no-store=yes' (0 or 1)" },
	{ "cache_dir ufs /a 100 16 256 turbo\n", 1, 0,
	  "t.conf:1: cache_dir: unknown option 'turbo'" },
	/* refresh_pattern */
	{ "refresh_pattern ^ftp: 1440 20% 10080\n", 0, 0, NULL },
	{ "refresh_pattern -i (/cgi-bin/|\\?) 0 0% 0\n", 0, 0, NULL },
	{ "refresh_pattern . 0 20 4320\n", 0, 0, NULL },
	{ "refresh_pattern -i \\.jpg$ 10080 90% 43200 override-expire "
	  "override-lastmod reload-into-ims ignore-reload ignore-no-store "
	  "ignore-private refresh-ims store-stale max-stale=60\n", 0, 0,
	  NULL },
	{ "refresh_pattern . 0 20% 4320 ignore-no-cache\n", 0, 1,
	  "t.conf:1: WARNING: refresh_pattern: option 'ignore-no-cache' is "
	  "obsolete" },
	{ "refresh_pattern . 0 20% 4320 ignore-auth ignore-must-revalidate\n",
	  0, 2, "option 'ignore-auth' is obsolete" },
	{ "refresh_pattern . 0 20% 4320 negative-ttl=10\n", 0, 1,
	  "option 'negative-ttl=10' is Squid 2's" },
	{ "refresh_pattern . 0 20% 4320 bogus\n", 1, 0,
	  "t.conf:1: refresh_pattern: unknown option 'bogus'" },
	{ "refresh_pattern ( 0 20% 4320\n", 1, 0,
	  "t.conf:1: refresh_pattern: invalid regular expression '(': " },
	{ "refresh_pattern -i a{2,1} 0 20% 4320\n", 1, 0,
	  "refresh_pattern: invalid regular expression 'a{2,1}': " },
	{ "refresh_pattern ^http://(.*?)/video/(.*?)/ 0 20% 4320\n", 0, 0,
	  NULL },
	{ "refresh_pattern a*?* 0 20% 4320\n", 1, 0, "too costly" },
	{ "refresh_pattern a+++++++ 0 20% 4320\n", 1, 0,
	  "t.conf:1: refresh_pattern: regular expression 'a+++++++' is too "
	  "costly to compile: stacked repetition operators" },
	{ "refresh_pattern ((a{200}){200}){200} 0 20% 4320\n", 1, 0,
	  "too costly to compile" },
	{ "refresh_pattern . -5 20% 4320\n", 0, 1,
	  "refresh_pattern: minimum age '-5' is negative; 0 is used" },
	{ "refresh_pattern . 0 20% 1008000\n", 0, 1,
	  "maximum age '1008000' minutes is more than a year" },
	{ "refresh_pattern . x 20% 4320\n", 1, 0,
	  "refresh_pattern: invalid minimum age 'x'" },
	{ "refresh_pattern . 0 20% 1.5\n", 1, 0,
	  "refresh_pattern: invalid maximum age '1.5'" },
	{ "refresh_pattern . 0 many 4320\n", 1, 0,
	  "refresh_pattern: invalid percentage 'many'" },
	{ "refresh_pattern . 0 20%\n", 1, 0, "missing argument" },
	{ "refresh_pattern -i . 0 20%\n", 1, 0, "missing argument" },
	{ "refresh_pattern . 0 20% 4320 max-stale=x\n", 1, 0,
	  "refresh_pattern: invalid 'max-stale=x'" },
	/* times */
	{ "max_stale 1 week\nnegative_ttl 2 minutes\n"
	  "minimum_expiry_time 30 seconds\n", 0, 0, NULL },
	{ "negative_ttl 0\nmax_stale 1 Hours\nmax_stale 1 month\n", 0, 0,
	  NULL },
	{ "max_stale 10\n", 0, 1,
	  "t.conf:1: WARNING: max_stale: no units on '10', assuming "
	  "seconds" },
	{ "max_stale 1 parsec\n", 1, 0,
	  "max_stale: unknown time unit 'parsec'" },
	{ "negative_ttl -1 days\n", 1, 0, "negative_ttl: invalid time '-1'" },
	{ "max_stale 400 years\n", 1, 0,
	  "max_stale: time '400 years' is too long" },
	{ "minimum_expiry_time 1 day later\n", 1, 0,
	  "minimum_expiry_time: unexpected argument 'later'" },
	/* on|off */
	{ "reload_into_ims on\nrefresh_all_ims on\ncache_miss_revalidate "
	  "off\noffline_mode on\ncollapsed_forwarding on\nicp_hit_stale on\n"
	  "log_icp_queries off\n", 0, 0, NULL },
	{ "offline_mode maybe\n", 1, 0,
	  "t.conf:1: offline_mode: expected 'on' or 'off', got 'maybe'" },
	{ "collapsed_forwarding\n", 1, 0, "missing argument" },
	/* access lists */
	{ "cache deny all\nno_cache deny all\nsend_hit deny all\n"
	  "store_miss deny all\n", 0, 0, NULL },
	{ "acl q urlpath_regex cgi-bin \\?\ncache deny q\n", 0, 0, NULL },
	{ "cache deny nosuch\n", 1, 0, "t.conf:1: cache: undefined acl "
	  "'nosuch'" },
	{ "send_hit deny\n", 1, 0, "send_hit: rule without acls" },
	{ "store_miss maybe all\n", 1, 0,
	  "store_miss: expected 'allow' or 'deny'" },
	{ "acl ok http_status 200\ncache deny ok\n", 0, 1,
	  "cache: acl 'ok' needs the response" },
	{ "acl ok http_status 200\nstore_miss deny !ok\n", 0, 0, NULL },
	{ "acl localnet src 10.0.0.0/8\nicp_access allow localnet\n"
	  "htcp_access deny all\nhtcp_clr_access deny all\n", 0, 0, NULL },
	{ "htcp_clr_access allow lan\n", 1, 0,
	  "htcp_clr_access: undefined acl 'lan'" },
	/* range_offset_limit */
	{ "range_offset_limit 200 MB\nrange_offset_limit none\n"
	  "range_offset_limit -1\n", 0, 0, NULL },
	{ "range_offset_limit 10 MB localhost !all\n", 0, 0, NULL },
	{ "range_offset_limit 100 all\n", 0, 1,
	  "range_offset_limit: no units on '100', assuming bytes" },
	{ "range_offset_limit 1 MB nosuch\n", 1, 0,
	  "range_offset_limit: undefined acl 'nosuch'" },
	{ "range_offset_limit big\n", 1, 0,
	  "range_offset_limit: invalid size 'big'" },
	/* ICP and HTCP */
	{ "icp_port 3130\nhtcp_port 4827\nudp_port 3131\nicp_port 0\n", 0, 0,
	  NULL },
	{ "icp_port 70000\n", 1, 0, "t.conf:1: icp_port: invalid value "
	  "'70000' (a UDP port" },
	{ "htcp_port\n", 1, 0, "htcp_port: missing argument" },
	{ "icp_query_timeout 2000\nmaximum_icp_query_timeout 2000\n"
	  "minimum_icp_query_timeout 5\n", 0, 0, NULL },
	{ "icp_query_timeout 2 seconds\n", 1, 0,
	  "icp_query_timeout: unexpected argument 'seconds'" },
	{ "maximum_icp_query_timeout -1\n", 1, 0,
	  "maximum_icp_query_timeout: invalid value '-1' (milliseconds" },
	/* cache_peer sibling options */
	{ "cache_peer 192.0.2.2 sibling 3128 4827 htcp proxy-only no-query "
	  "name=sib\ncache_peer_access sib allow all\n", 0, 0, NULL },
	{ "cache_peer 192.0.2.2 sibling 3128 4827 htcp=oldsquid,no-clr\n", 0,
	  2, "t.conf:1: WARNING: cache_peer: htcp option 'oldsquid' is "
	  "ignored" },
	{ "cache_peer 192.0.2.2 sibling 3128 4827 htcp=fast\n", 1, 0,
	  "t.conf:1: cache_peer: unknown htcp option 'fast'" },
	{ "cache_peer 192.0.2.2 sibling 3128 x\n", 1, 0,
	  "cache_peer: invalid ICP port 'x'" },
	/* every error of the file in one pass */
	{ "cache_mem x\ncache_dir ufs rel 1 1 1\nrefresh_pattern ( 0 0 0\n",
	  3, 0, "t.conf:1:" },
};

static void
test_load_table(void **state)
{
	(void)state;
	run_load_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Squid's defaults (cf.data.pre), in bytes and seconds. */
static void
test_defaults(void **state)
{
	struct cfg *c = load_ok("http_port 65001\n");
	const struct cfg_cache *cc = &c->cache;

	(void)state;
	assert_int_equal(cc->mem_bytes, 256 << 20);
	assert_int_equal(cc->max_obj, 4 << 20);
	assert_int_equal(cc->min_obj, 0);
	assert_int_equal(cc->max_obj_mem, 512 << 10);
	assert_int_equal(cc->repl_disk, CFG_REPL_LRU);
	assert_int_equal(cc->repl_mem, CFG_REPL_LRU);
	assert_int_equal(cc->swap_low, 90);
	assert_int_equal(cc->swap_high, 95);
	assert_int_equal(cc->ndir, 0);
	assert_int_equal(cc->nrefresh, 0);
	assert_int_equal(cc->max_stale, 7 * 86400);
	assert_int_equal(cc->negative_ttl, 0);
	assert_int_equal(cc->minimum_expiry_time, 60);
	assert_int_equal(cc->reload_into_ims, 0);
	assert_int_equal(cc->refresh_all_ims, 0);
	assert_int_equal(cc->cache_miss_revalidate, 1);
	assert_int_equal(cc->offline_mode, 0);
	assert_int_equal(cc->cache.n, 0);
	assert_int_equal(cc->send_hit.n, 0);
	assert_int_equal(cc->store_miss.n, 0);
	assert_int_equal(cc->collapsed_forwarding, 0);
	assert_int_equal(cc->nrange_limit, 0);
	assert_int_equal(cc->quick_abort_min, 16 << 10);
	assert_int_equal(cc->quick_abort_max, 16 << 10);
	assert_int_equal(cc->quick_abort_pct, 95);
	assert_int_equal(cc->icp_port, 0);
	assert_int_equal(cc->htcp_port, 0);
	assert_int_equal(cc->icp_access.n, 0);
	assert_int_equal(cc->htcp_access.n, 0);
	assert_int_equal(cc->htcp_clr_access.n, 0);
	assert_true(cc->icp_query_timeout == 0);
	assert_true(cc->icp_query_timeout_max == 2);
	assert_true(cc->icp_query_timeout_min == 0.005);
	assert_int_equal(cc->icp_hit_stale, 0);
	assert_int_equal(cc->log_icp_queries, 1);
	cfg_unref(c);
}

/* Sizes, times, policies, flags and lists as stored. */
static void
test_values(void **state)
{
	struct cfg *c;
	const struct cfg_cache *cc;

	(void)state;
	c = load_ok("http_port 65001\n"
		    "cache_mem 1.5 GB\n"
		    "maximum_object_size 200 MB\n"
		    "minimum_object_size 3 KB\n"
		    "maximum_object_size_in_memory 100\n"
		    "cache_replacement_policy heap LFUDA\n"
		    "memory_replacement_policy heap GDSF\n"
		    "cache_swap_low 80\ncache_swap_high 85\n"
		    "max_stale 2 days\nnegative_ttl 1 minute\n"
		    "minimum_expiry_time 0\n"
		    "reload_into_ims on\nrefresh_all_ims on\n"
		    "cache_miss_revalidate off\noffline_mode on\n"
		    "collapsed_forwarding on\n"
		    "acl media urlpath_regex \\.mp4$\n"
		    "cache deny media\ncache allow all\n"
		    "send_hit deny media\nstore_miss deny !media\n"
		    "range_offset_limit 2 MB media\n"
		    "range_offset_limit none\n"
		    "quick_abort_min -1\nquick_abort_max 9999 MB\n"
		    "quick_abort_pct 50\n"
		    "udp_port 3130\nhtcp_port 4827\n"
		    "icp_access allow all\nhtcp_access deny media\n"
		    "htcp_clr_access deny all\n"
		    "icp_query_timeout 1500\nmaximum_icp_query_timeout 3000\n"
		    "minimum_icp_query_timeout 20\n"
		    "icp_hit_stale on\nlog_icp_queries off\n");
	cc = &c->cache;
	assert_int_equal(cc->mem_bytes, 3ull << 29);
	assert_int_equal(cc->max_obj, 200 << 20);
	assert_int_equal(cc->min_obj, 3 << 10);
	assert_int_equal(cc->max_obj_mem, 100);
	assert_int_equal(cc->repl_disk, CFG_REPL_LFUDA);
	assert_int_equal(cc->repl_mem, CFG_REPL_GDSF);
	assert_int_equal(cc->swap_low, 80);
	assert_int_equal(cc->swap_high, 85);
	assert_int_equal(cc->max_stale, 2 * 86400);
	assert_int_equal(cc->negative_ttl, 60);
	assert_int_equal(cc->minimum_expiry_time, 0);
	assert_int_equal(cc->reload_into_ims, 1);
	assert_int_equal(cc->refresh_all_ims, 1);
	assert_int_equal(cc->cache_miss_revalidate, 0);
	assert_int_equal(cc->offline_mode, 1);
	assert_int_equal(cc->collapsed_forwarding, 1);
	assert_int_equal(cc->cache.n, 2);
	assert_int_equal(cc->cache.rule[0].allow, 0);
	assert_int_equal(cc->cache.rule[1].allow, 1);
	assert_int_equal(cc->send_hit.n, 1);
	assert_int_equal(cc->store_miss.n, 1);
	assert_int_equal(cc->store_miss.rule[0].ref[0].negate, 1);
	assert_int_equal(cc->nrange_limit, 2);
	assert_int_equal(cc->range_limit[0].limit, 2 << 20);
	assert_int_equal(cc->range_limit[0].nref, 1);
	assert_string_equal(cc->range_limit[0].ref[0].acl->name, "media");
	assert_int_equal(cc->range_limit[1].limit, -1);
	assert_int_equal(cc->range_limit[1].nref, 0);
	assert_int_equal(cc->quick_abort_min, -1);
	assert_int_equal(cc->quick_abort_max, 9999ll << 20);
	assert_int_equal(cc->quick_abort_pct, 50);
	assert_int_equal(cc->icp_port, 3130);
	assert_int_equal(cc->htcp_port, 4827);
	assert_int_equal(cc->icp_access.n, 1);
	assert_int_equal(cc->htcp_access.n, 1);
	assert_int_equal(cc->htcp_clr_access.n, 1);
	assert_true(cc->icp_query_timeout == 1.5);
	assert_true(cc->icp_query_timeout_max == 3);
	assert_true(cc->icp_query_timeout_min == 0.02);
	assert_int_equal(cc->icp_hit_stale, 1);
	assert_int_equal(cc->log_icp_queries, 0);
	cfg_unref(c);
}

/* "none" and -1: no limit (none of minimum_object_size: no minimum). */
static void
test_none(void **state)
{
	struct cfg *c;

	(void)state;
	c = load_ok("http_port 65001\ncache_mem none\n"
		    "maximum_object_size -1\nminimum_object_size none\n"
		    "maximum_object_size_in_memory none\n"
		    "quick_abort_max none\n");
	assert_true(c->cache.mem_bytes == UINT64_MAX);
	assert_true(c->cache.max_obj == UINT64_MAX);
	assert_int_equal(c->cache.min_obj, 0);
	assert_true(c->cache.max_obj_mem == UINT64_MAX);
	assert_int_equal(c->cache.quick_abort_max, -1);
	cfg_unref(c);
	/* 0: no memory cache. */
	c = load_ok("http_port 65001\ncache_mem 0\n");
	assert_int_equal(c->cache.mem_bytes, 0);
	cfg_unref(c);
}

static void
test_cache_dir(void **state)
{
	struct cfg *c;
	const struct cfg_cache_dir *d;

	(void)state;
	c = load_ok("http_port 65001\n"
		    "cache_dir ufs /var/spool/squid 100 16 256\n"
		    "cache_dir aufs /c1 10240 128 64 min-size=32769 "
		    "max-size=1048576 no-store\n"
		    "cache_dir rock /r 2048 max-size=32768\n"
		    "cache_dir null /dev/null\n"
		    "cache_dir diskd /d 1 1 1 read-only=0\n");
	assert_int_equal(c->cache.ndir, 4);
	d = &c->cache.dir[0];
	assert_string_equal(d->type, "ufs");
	assert_string_equal(d->path, "/var/spool/squid");
	assert_int_equal(d->max_bytes, 100 << 20);
	assert_int_equal(d->l1, 16);
	assert_int_equal(d->l2, 256);
	assert_int_equal(d->min_size, 0);
	assert_int_equal(d->max_size, 0);
	assert_int_equal(d->read_only, 0);
	assert_string_equal(d->file, "v.conf");
	assert_int_equal(d->line, 2);
	d = &c->cache.dir[1];
	assert_string_equal(d->type, "aufs");
	assert_int_equal(d->max_bytes, 10240ull << 20);
	assert_int_equal(d->l1, 128);
	assert_int_equal(d->l2, 64);
	assert_int_equal(d->min_size, 32769);
	assert_int_equal(d->max_size, 1048576);
	assert_int_equal(d->read_only, 1);
	d = &c->cache.dir[2];
	assert_string_equal(d->type, "rock");
	assert_int_equal(d->l1, 16);
	assert_int_equal(d->l2, 256);
	assert_int_equal(d->max_size, 32768);
	d = &c->cache.dir[3];
	assert_string_equal(d->type, "diskd");
	assert_int_equal(d->read_only, 0);
	assert_int_equal(d->line, 6);
	cfg_unref(c);
}

/* refresh_pattern: minutes into seconds, options, the regex compiled
 * (case-insensitive with -i), lines kept in order. */
static void
test_refresh(void **state)
{
	struct cfg *c;
	const struct cfg_refresh *r;

	(void)state;
	c = load_ok("http_port 65001\n"
		    "refresh_pattern ^ftp: 1440 20% 10080\n"
		    "refresh_pattern -i \\.jpg$ 10 90 43200 override-expire "
		    "ignore-private store-stale max-stale=600 "
		    "ignore-no-cache\n"
		    "refresh_pattern . -1 0% 9999999 reload-into-ims "
		    "ignore-reload override-lastmod ignore-no-store "
		    "refresh-ims\n");
	assert_int_equal(c->cache.nrefresh, 3);
	r = &c->cache.refresh[0];
	assert_string_equal(r->pattern, "^ftp:");
	assert_int_equal(r->min, 1440 * 60);
	assert_int_equal(r->percent, 20);
	assert_int_equal(r->max, 10080 * 60);
	assert_int_equal(r->opts, 0);
	assert_int_equal(r->max_stale, -1);
	assert_int_equal(r->line, 2);
	assert_int_equal(regexec(&r->re, "ftp://x/", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&r->re, "FTP://x/", 0, NULL, 0), 0);
	r = &c->cache.refresh[1];
	assert_int_equal(r->min, 600);
	assert_int_equal(r->percent, 90);
	assert_int_equal(r->opts, CFG_RF_OVERRIDE_EXPIRE |
			 CFG_RF_IGNORE_PRIVATE | CFG_RF_STORE_STALE);
	assert_int_equal(r->max_stale, 600);
	assert_int_equal(regexec(&r->re, "http://h/A.JPG", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&r->re, "http://h/a.jpeg", 0, NULL, 0),
			     0);
	r = &c->cache.refresh[2];
	assert_int_equal(r->min, 0);			/* cropped */
	assert_int_equal(r->max, 525600 * 60);		/* cropped */
	assert_int_equal(r->opts, CFG_RF_RELOAD_INTO_IMS |
			 CFG_RF_IGNORE_RELOAD | CFG_RF_OVERRIDE_LASTMOD |
			 CFG_RF_IGNORE_NO_STORE | CFG_RF_REFRESH_IMS);
	cfg_unref(c);
}

/* A missing unit warns; units are converted. */
static void
test_units(void **state)
{
	static const struct {
		const char *line;
		int64_t     want;
	} sizes[] = {
		{ "cache_mem 100 bytes\n", 100 },
		{ "cache_mem 2 KB\n", 2048 },
		{ "cache_mem 2 kb\n", 2048 },
		{ "cache_mem 2 KBytes\n", 2048 },
		{ "cache_mem 3 MB\n", 3 << 20 },
		{ "cache_mem 0.5 MB\n", 512 << 10 },
		{ "cache_mem 2 GB\n", 2ll << 30 },
	}, times[] = {
		{ "max_stale 90 seconds\n", 90 },
		{ "max_stale 1500 milliseconds\n", 1 },
		{ "max_stale 2 minutes\n", 120 },
		{ "max_stale 1.5 hours\n", 5400 },
		{ "max_stale 3 days\n", 3 * 86400 },
		{ "max_stale 2 weeks\n", 14 * 86400 },
		{ "max_stale 1 fortnight\n", 14 * 86400 },
		{ "max_stale 1 month\n", 30 * 86400 },
		{ "max_stale 1 year\n", 31557600 },
	};
	char text[128];
	struct cfg *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(text, sizeof(text), "http_port 65001\n%s",
			 sizes[i].line);
		c = load_ok(text);
		if ((int64_t)c->cache.mem_bytes != sizes[i].want)
			fail_msg("%s: got %llu", sizes[i].line,
				 (unsigned long long)c->cache.mem_bytes);
		cfg_unref(c);
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		snprintf(text, sizeof(text), "http_port 65001\n%s",
			 times[i].line);
		c = load_ok(text);
		if (c->cache.max_stale != times[i].want)
			fail_msg("%s: got %lld", times[i].line,
				 (long long)c->cache.max_stale);
		cfg_unref(c);
	}
}

/* cache_peer: parents and siblings with their options. */
static void
test_peers(void **state)
{
	struct cfg *c;
	const struct cfg_peer *pe;

	(void)state;
	c = load_ok("http_port 65001\n"
		    "cache_peer 192.0.2.1 parent 3128 0 no-tproxy\n"
		    "cache_peer 192.0.2.2 sibling 3128 3130 proxy-only "
		    "name=s1\n"
		    "cache_peer 192.0.2.3 sibling 3128 4827 htcp no-query "
		    "name=s2\n"
		    "cache_peer 192.0.2.4 sibling 3128 4827 htcp=no-clr\n"
		    "cache_peer 192.0.2.5 multicast 3128 3130\n"
		    "cache_peer_access s1 deny all\n");
	assert_int_equal(c->npeer, 4);
	pe = &c->peer[0];
	assert_int_equal(pe->sibling, 0);
	assert_int_equal(pe->no_tproxy, 1);
	assert_int_equal(pe->icp_port, 0);
	pe = &c->peer[1];
	assert_string_equal(pe->name, "s1");
	assert_int_equal(pe->sibling, 1);
	assert_int_equal(pe->port, 3128);
	assert_int_equal(pe->icp_port, 3130);
	assert_int_equal(pe->htcp, 0);
	assert_int_equal(pe->no_query, 0);
	assert_int_equal(pe->proxy_only, 1);
	assert_int_equal(pe->access.n, 1);
	pe = &c->peer[2];
	assert_int_equal(pe->sibling, 1);
	assert_int_equal(pe->htcp, 1);
	assert_int_equal(pe->no_query, 1);
	assert_int_equal(pe->proxy_only, 0);
	assert_int_equal(pe->icp_port, 4827);
	pe = &c->peer[3];
	assert_string_equal(pe->name, "192.0.2.4");
	assert_int_equal(pe->htcp, 1);
	cfg_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_cache_dir),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
