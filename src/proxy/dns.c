/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns.c - c-ares driven by the event loop, a positive answer cache, and
 * reverse (PTR) lookups with their own small cache.
 *
 * c-ares tells us which sockets it wants watched (sock_state_cb); we keep
 * one evl_io per such socket and one timer for its retransmissions.
 */
#include <ares.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event/loop.h"
#include "proxy/dns.h"

#define DNS_MAX_SOCKS   16
#define DNS_CACHE_SIZE  1024		/* entries, power of two */
#define DNS_CACHE_MAXTTL 300.0
#define DNS_CACHE_DEFTTL 60.0		/* answers without a TTL (hosts) */
#define PTR_CACHE_SIZE  256		/* entries, power of two */
#define DNS_PTR_TTL     60.0		/* a name, or "no name" */
#define DNS_PTR_FAILTTL 30.0		/* a timeout or failure */

/* A forward query (cb) or a reverse one (pcb, the name in host[]). */
struct dns_query {
	dns_cb                 *cb;	/* NULL once cancelled */
	dns_ptr_cb             *pcb;	/* NULL once cancelled */
	void                   *arg;
	int                     rfamily;	/* reverse: the address */
	unsigned char           raddr[16];
	int                     err;
	int                     n;
	struct sockaddr_storage addrs[DNS_MAX_ADDRS];
	struct evl_defer        deliver;
	char                    host[];
};

struct dns_sock {
	struct evl_io io;
	int           used;
};

struct cache_ent {
	char                   *host;
	double                  expires;
	int                     n;
	struct sockaddr_storage addrs[DNS_MAX_ADDRS];
};

static ares_channel chan;
static int chan_ok;
static struct dns_sock socks[DNS_MAX_SOCKS];
static struct evl_timer tmr;
static struct cache_ent cache[DNS_CACHE_SIZE];

/* One reverse answer; family 0: empty. */
struct ptr_ent {
	int           family;
	unsigned char addr[16];
	double        expires;
	int           err;
	char          name[DNS_NAME_MAX];
};

static struct ptr_ent ptr_cache[PTR_CACHE_SIZE];

static void rearm_timer(void);

static unsigned
hash_name(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)(*s | 0x20)) * 16777619u;
	return h & (DNS_CACHE_SIZE - 1);
}

static void
sock_cb(struct evl_io *io, int revents)
{
	int fd = io->w.fd;

	ares_process_fd(chan, (revents & EVL_READ) ? fd : ARES_SOCKET_BAD,
			(revents & EVL_WRITE) ? fd : ARES_SOCKET_BAD);
	rearm_timer();
}

static void
timer_cb(struct evl_timer *t)
{
	(void)t;
	ares_process_fd(chan, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm_timer();
}

static void
rearm_timer(void)
{
	struct timeval tv, *tvp;

	if (!chan_ok)
		return;
	tvp = ares_timeout(chan, NULL, &tv);
	if (tvp == NULL)
		evl_timer_stop(&tmr);
	else
		evl_timer_arm(&tmr, (double)tvp->tv_sec + tvp->tv_usec / 1e6);
}

/* c-ares opens, closes and changes interest in its sockets through this. */
static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	int i, free_i = -1, ev = (readable ? EVL_READ : 0) |
				 (writable ? EVL_WRITE : 0);

	(void)data;
	for (i = 0; i < DNS_MAX_SOCKS; i++) {
		if (socks[i].used && socks[i].io.w.fd == fd)
			break;
		if (!socks[i].used && free_i < 0)
			free_i = i;
	}
	if (i == DNS_MAX_SOCKS) {
		if (ev == 0 || free_i < 0)
			return;
		i = free_i;
		socks[i].used = 1;
		evl_io_init(&socks[i].io, sock_cb, fd, NULL);
	}
	evl_io_want(&socks[i].io, ev);
	if (ev == 0)
		socks[i].used = 0;
}

int
dns_init(const char *servers, const char **err)
{
	struct ares_options opt;
	int rc;

	if (chan_ok)
		dns_shutdown();
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		*err = ares_strerror(rc);
		return -1;
	}
	memset(&opt, 0, sizeof(opt));
	opt.sock_state_cb = sock_state_cb;
	/* Squid waits up to dns_timeout (30 s). c-ares 1.18 doubles the
	 * timeout on each round: 1 + 2 + 4 = 7 s before a lookup fails, closer
	 * to what a user behind an intercepting proxy will wait for. */
	opt.timeout = 1000;
	opt.tries = 3;
	rc = ares_init_options(&chan, &opt, ARES_OPT_SOCK_STATE_CB |
			       ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		*err = ares_strerror(rc);
		return -1;
	}
	if (servers != NULL) {
		rc = ares_set_servers_ports_csv(chan, servers);
		if (rc != ARES_SUCCESS) {
			*err = ares_strerror(rc);
			ares_destroy(chan);
			return -1;
		}
	}
	evl_timer_init(&tmr, timer_cb, NULL);
	chan_ok = 1;
	return 0;
}

void
dns_shutdown(void)
{
	int i;

	if (!chan_ok)
		return;
	ares_destroy(chan);	/* runs callbacks with ARES_EDESTRUCTION */
	evl_timer_stop(&tmr);
	for (i = 0; i < DNS_MAX_SOCKS; i++) {
		if (socks[i].used)
			evl_io_stop(&socks[i].io);
		socks[i].used = 0;
	}
	for (i = 0; i < DNS_CACHE_SIZE; i++) {
		free(cache[i].host);
		cache[i].host = NULL;
	}
	memset(ptr_cache, 0, sizeof(ptr_cache));
	chan_ok = 0;
}

static void
deliver(void *arg)
{
	struct dns_query *q = arg;

	if (q->cb != NULL)
		q->cb(q->arg, q->err, q->addrs, q->n);
	else if (q->pcb != NULL)
		q->pcb(q->arg, q->err, q->err == 0 ? q->host : NULL);
	free(q);
}

static void
cache_put(const char *host, const struct dns_query *q, double ttl)
{
	struct cache_ent *e = &cache[hash_name(host)];
	char *copy = strdup(host);

	if (copy == NULL)
		return;
	free(e->host);
	e->host = copy;
	e->expires = evl_now() + ttl;
	e->n = q->n;
	memcpy(e->addrs, q->addrs, sizeof(e->addrs[0]) * (size_t)q->n);
}

static void
addrinfo_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_query *q = arg;
	struct ares_addrinfo_node *nd;
	double ttl = DNS_CACHE_MAXTTL;

	(void)timeouts;
	q->n = 0;
	if (status == ARES_SUCCESS && res != NULL) {
		for (nd = res->nodes; nd && q->n < DNS_MAX_ADDRS;
		     nd = nd->ai_next) {
			if (nd->ai_family != AF_INET &&
			    nd->ai_family != AF_INET6)
				continue;
			memset(&q->addrs[q->n], 0, sizeof(q->addrs[0]));
			memcpy(&q->addrs[q->n], nd->ai_addr, nd->ai_addrlen);
			if (nd->ai_ttl > 0 && nd->ai_ttl < ttl)
				ttl = nd->ai_ttl;
			q->n++;
		}
		if (ttl == DNS_CACHE_MAXTTL)
			ttl = DNS_CACHE_DEFTTL;
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	if (q->n > 0) {
		q->err = 0;
		cache_put(q->host, q, ttl);
	} else if (status == ARES_ENOTFOUND || status == ARES_ENODATA ||
		   status == ARES_SUCCESS) {
		q->err = DNS_E_NXDOMAIN;
	} else if (status == ARES_ETIMEOUT) {
		q->err = DNS_E_TIMEOUT;
	} else {
		q->err = DNS_E_FAIL;
	}
	evl_defer(&q->deliver, deliver, q);
}

struct dns_query *
dns_lookup(const char *host, dns_cb *cb, void *arg)
{
	struct ares_addrinfo_hints hints;
	struct cache_ent *e = &cache[hash_name(host)];
	size_t len = strlen(host);
	struct dns_query *q;

	q = calloc(1, sizeof(*q) + len + 1);
	if (q == NULL)
		return NULL;
	q->cb = cb;
	q->arg = arg;
	memcpy(q->host, host, len + 1);
	if (e->host != NULL && strcasecmp(e->host, host) == 0 &&
	    e->expires > evl_now()) {
		q->n = e->n;
		memcpy(q->addrs, e->addrs, sizeof(e->addrs[0]) * (size_t)e->n);
		evl_defer(&q->deliver, deliver, q);
		return q;
	}
	if (!chan_ok) {
		q->err = DNS_E_FAIL;
		evl_defer(&q->deliver, deliver, q);
		return q;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* NOSORT: RFC 6724 sorting would connect a UDP socket per answer. */
	hints.ai_flags = ARES_AI_NOSORT;
	ares_getaddrinfo(chan, q->host, NULL, &hints, addrinfo_cb, q);
	rearm_timer();
	return q;
}

int
dns_cached(const char *host, struct sockaddr_storage *addrs)
{
	struct cache_ent *e = &cache[hash_name(host)];

	if (e->host == NULL || strcasecmp(e->host, host) != 0 ||
	    e->expires <= evl_now())
		return 0;
	memcpy(addrs, e->addrs, sizeof(e->addrs[0]) * (size_t)e->n);
	return e->n;
}

void
dns_cancel(struct dns_query *q)
{
	if (q != NULL) {
		q->cb = NULL;
		q->pcb = NULL;
	}
}

/* ---- reverse lookups ---------------------------------------------------- */

/* The address of sa as (family, bytes), IPv4-mapped IPv6 as IPv4 (its
 * name is under in-addr.arpa). Returns the byte count, 0 for others. */
static int
ptr_key(const struct sockaddr *sa, int *family, unsigned char a[16])
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	memset(a, 0, 16);
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		*family = AF_INET;
		memcpy(a, &s6->sin6_addr.s6_addr[12], 4);
		return 4;
	}
	*family = AF_INET6;
	memcpy(a, &s6->sin6_addr, 16);
	return 16;
}

static struct ptr_ent *
ptr_slot(int family, const unsigned char a[16])
{
	unsigned h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	h = (h ^ (unsigned)family) * 16777619u;
	return &ptr_cache[h & (PTR_CACHE_SIZE - 1)];
}

int
dns_reverse_cached(const struct sockaddr *sa, int *err, char *name)
{
	unsigned char a[16];
	struct ptr_ent *e;
	int family;

	if (ptr_key(sa, &family, a) == 0)
		return 0;
	e = ptr_slot(family, a);
	if (e->family != family || memcmp(e->addr, a, 16) != 0 ||
	    e->expires <= evl_now())
		return 0;
	*err = e->err;
	memcpy(name, e->name, DNS_NAME_MAX);
	return 1;
}

static void
hostent_cb(void *arg, int status, int timeouts, struct hostent *he)
{
	struct dns_query *q = arg;
	struct ptr_ent *e;
	size_t len = 0, i;

	(void)timeouts;
	q->host[0] = '\0';
	if (status == ARES_SUCCESS && he != NULL && he->h_name != NULL) {
		len = strlen(he->h_name);
		if (len > 0 && he->h_name[len - 1] == '.')
			len--;
		if (len >= DNS_NAME_MAX)
			len = 0;
		/* DNS names are case-insensitive: acls see lowercase. */
		for (i = 0; i < len; i++)
			q->host[i] = (char)tolower((unsigned char)
						   he->h_name[i]);
		q->host[len] = '\0';
	}
	if (len > 0)
		q->err = 0;
	else if (status == ARES_ENOTFOUND || status == ARES_ENODATA ||
		 status == ARES_SUCCESS)
		q->err = DNS_E_NXDOMAIN;
	else if (status == ARES_ETIMEOUT)
		q->err = DNS_E_TIMEOUT;
	else
		q->err = DNS_E_FAIL;
	/* Not when the resolver is going away (reload): a new one may
	 * answer differently. */
	if (status != ARES_EDESTRUCTION && status != ARES_ECANCELLED) {
		e = ptr_slot(q->rfamily, q->raddr);
		e->family = q->rfamily;
		memcpy(e->addr, q->raddr, 16);
		e->err = q->err;
		memcpy(e->name, q->host, len + 1);
		e->expires = evl_now() + (q->err == 0 ||
			     q->err == DNS_E_NXDOMAIN ? DNS_PTR_TTL :
			     DNS_PTR_FAILTTL);
	}
	evl_defer(&q->deliver, deliver, q);
}

struct dns_query *
dns_reverse(const struct sockaddr *sa, dns_ptr_cb *cb, void *arg)
{
	struct dns_query *q;
	int len;

	q = calloc(1, sizeof(*q) + DNS_NAME_MAX);
	if (q == NULL)
		return NULL;
	q->pcb = cb;
	q->arg = arg;
	len = ptr_key(sa, &q->rfamily, q->raddr);
	if (len == 0 || !chan_ok) {
		q->err = DNS_E_FAIL;
		evl_defer(&q->deliver, deliver, q);
		return q;
	}
	if (dns_reverse_cached(sa, &q->err, q->host)) {
		evl_defer(&q->deliver, deliver, q);
		return q;
	}
	ares_gethostbyaddr(chan, q->raddr, len, q->rfamily, hostent_cb, q);
	rearm_timer();
	return q;
}

const char *
dns_strerror(int err)
{
	switch (err) {
	case 0:
		return "no error";
	case DNS_E_NXDOMAIN:
		return "name not found";
	case DNS_E_TIMEOUT:
		return "DNS timeout";
	default:
		return "DNS failure";
	}
}
