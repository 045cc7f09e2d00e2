/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns.h - asynchronous name resolution (c-ares behind this seam), with a
 * small positive cache.
 *
 * Results are always delivered from a deferred call, never from inside
 * dns_lookup() itself, so the caller's state is consistent when its
 * callback runs.
 */
#ifndef TPROXYD_PROXY_DNS_H
#define TPROXYD_PROXY_DNS_H

#include <sys/socket.h>

struct dns_query;

#define DNS_MAX_ADDRS 8

/* err is 0 with n >= 1 addresses (port 0), or a negative code:
 * DNS_E_NXDOMAIN, DNS_E_TIMEOUT, DNS_E_FAIL. */
typedef void dns_cb(void *arg, int err, const struct sockaddr_storage *addrs,
		    int n);

enum {
	DNS_E_NXDOMAIN = -1,
	DNS_E_TIMEOUT  = -2,
	DNS_E_FAIL     = -3,
};

/* Start the resolver; servers is a comma-separated list of addresses, or
 * NULL for /etc/resolv.conf. Returns 0, or -1 with *err set to a static
 * message. Calling it again replaces the resolver (queries in flight
 * complete with DNS_E_FAIL). */
int dns_init(const char *servers, const char **err);
void dns_shutdown(void);

/* Resolve host. Returns a handle to pass to dns_cancel() until cb has run,
 * or NULL when out of memory (cb will not run). */
struct dns_query *dns_lookup(const char *host, dns_cb *cb, void *arg);
/* A fresh cached answer for host: fills addrs (DNS_MAX_ADDRS) and returns
 * how many, or 0 when there is none. Never blocks, never allocates. */
int dns_cached(const char *host, struct sockaddr_storage *addrs);
/* The callback will not run; the query finishes in the background. */
void dns_cancel(struct dns_query *q);

/* A reverse (PTR) answer: err 0 with the name (lowercase, no trailing
 * dot), or a negative code as above and name NULL. */
typedef void dns_ptr_cb(void *arg, int err, const char *name);

#define DNS_NAME_MAX 256	/* a name and its NUL */

/* Look up the name of an address (IPv4-mapped IPv6 as IPv4), with the
 * rules of dns_lookup(): a handle for dns_cancel(), the answer always from
 * a deferred call, NULL when out of memory. Answers, failures included,
 * are cached per address for a short time (DNS_PTR_TTL). */
struct dns_query *dns_reverse(const struct sockaddr *sa, dns_ptr_cb *cb,
			      void *arg);
/* A fresh cached reverse answer for sa: 1 and err, name (DNS_NAME_MAX)
 * filled as dns_ptr_cb would get them, or 0 when there is none. */
int dns_reverse_cached(const struct sockaddr *sa, int *err, char *name);

const char *dns_strerror(int err);

#endif
