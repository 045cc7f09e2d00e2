/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - loading, checking and freeing the configuration.
 */
#ifndef TPROXYD_CONFIG_CONFIG_H
#define TPROXYD_CONFIG_CONFIG_H

#include "config/config-t.h"

/*
 * Load and check the configuration in path (following include lines).
 * Every problem found is appended to msgs as "FILE:LINE: message" (warnings
 * as "FILE:LINE: WARNING: message"; problems with the whole file as
 * "FILE: message"); parsing goes on after an error so that all of them are
 * reported. msgs must be zeroed before its first use; the caller frees it
 * with cfg_msgs_free(). Returns the new configuration with refs == 1, or
 * NULL when this load added an error (msgs->nerr grew).
 */
struct cfg *cfg_load(const char *path, struct cfg_msgs *msgs);

/* Same, from a string; name stands for the file name in messages. */
struct cfg *cfg_load_mem(const char *text, const char *name,
			 struct cfg_msgs *msgs);

/*
 * The TLS objects a configuration that bumps (ssl_bump bump) holds: the
 * ports' CAs, certificate caches and contexts, made while loading by the
 * modules that own them (tls/certgen.h, net/xprt_tls.h) through these
 * functions, which the daemon sets before loading (bump_cfg_ops). NULL
 * (tproxyctl reading tproxyd.conf, most unit tests): not made, and the
 * CA files are not read.
 */
struct tls_ca;
struct tls_certcache;
struct tls_ctx_opts;
struct cfg_tls_ops {
	struct tls_ca *(*ca_load)(const char *certfile, const char *keyfile,
				  char *err, size_t errlen);
	void (*ca_free)(struct tls_ca *ca);
	struct tls_certcache *(*cache_new)(size_t mem, const char *dir,
					   uint64_t disk, char *err,
					   size_t errlen);
	void (*cache_free)(struct tls_certcache *cc);
	void *(*ctx_new)(int server, const struct tls_ctx_opts *o, char *err,
			 size_t errlen);
	void (*ctx_free)(void *ctx);
};
extern const struct cfg_tls_ops *cfg_tls_ops;
/* Frees the helper pools a cfg holds when it is freed (cfg_helper-t.h);
 * set by the daemon; NULL in tproxyctl, which runs no helper. */
extern const struct cfg_helper_ops *cfg_helper_ops;

struct cfg *cfg_ref(struct cfg *c);
/* Drop a reference; frees the configuration with the last one. */
void cfg_unref(struct cfg *c);

void cfg_msgs_free(struct cfg_msgs *msgs);

/* Ports that serve clients (http_port lines; not stats_port). A file
 * without any loads, as in Squid, but cannot be run. */
size_t cfg_http_ports(const struct cfg *c);

/* The ACL named name, or NULL. */
const struct acl *cfg_acl_find(const struct cfg *c, const char *name);
/* Some method acl lists method (Squid enables PURGE only then). */
int cfg_acl_method_used(const struct cfg *c, const char *method);

/* Parse a Squid time value ("30 seconds", "2 minutes", "1.5 hours", a bare
 * number means seconds) into seconds. Returns 0 or -1. Exposed for tests. */
int cfg_parse_time(const char *num, const char *unit, double *out);
/* Parse a Squid size ("64 KB", "1 MB", bare number = bytes) into bytes. */
int cfg_parse_size(const char *num, const char *unit, size_t *out);
/* The same written as one word, "4MB", "512KB", "100" (Squid's form in
 * port options and helper arguments); 0 or -1. */
int cfg_parse_size_word(const char *s, size_t *out);

#endif
