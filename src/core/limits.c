/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * limits.c - the descriptor and connection budget (see limits.h).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/limits.h"

static unsigned fd_limit;	/* RLIMIT_NOFILE to account against, or 0 */
static unsigned conn_limit;	/* client_connection_limit, or 0 */
static unsigned nclients;	/* all client connections */
static unsigned nstats;		/* ... of them on the stats_port */
static unsigned nservers;	/* server connections, pooled or serving */
static unsigned nextra;		/* other descriptors (splice pipes) */

void
lim_set_fd_limit(unsigned limit)
{
	fd_limit = limit;
}

void
lim_set_conn_limit(unsigned limit)
{
	conn_limit = limit;
}

void
lim_client_open(int stats_port)
{
	nclients++;
	if (stats_port)
		nstats++;
}

void
lim_client_close(int stats_port)
{
	nclients--;
	if (stats_port)
		nstats--;
}

void
lim_server_open(void)
{
	nservers++;
}

void
lim_server_close(void)
{
	nservers--;
}

void
lim_fds_take(unsigned n)
{
	nextra += n;
}

void
lim_fds_give(unsigned n)
{
	nextra -= n;
}

int
lim_fd_room(unsigned n)
{
	return fd_limit == 0 ||
	       nclients + nservers + nextra + n + LIM_FD_RESERVE < fd_limit;
}

int
lim_over(void)
{
	/* Every client may need a server connection: count both, and the
	 * splice pipes. */
	if (fd_limit &&
	    nclients + nservers + nextra + LIM_FD_RESERVE >= fd_limit)
		return 1;
	return conn_limit && nclients - nstats >= conn_limit;
}

unsigned
lim_clients(void)
{
	return nclients;
}

unsigned
lim_servers(void)
{
	return nservers;
}

/* ---- connections per client address ------------------------------------ */

/* One address with connections open: chained in a table of power-of-two
 * size that doubles when it holds twice as many entries as buckets. */
struct ip_ent {
	struct ip_ent *next;
	uint8_t        key[17];	/* family byte, then 16 address bytes */
	unsigned       n;
};

static struct ip_ent **ip_tab;
static size_t ip_nbucket;	/* 0 or a power of two */
static size_t ip_nent;

/* The address as a key (IPv4-mapped IPv6 as IPv4); -1 for other
 * families. */
static int
ip_key(const struct sockaddr *sa, uint8_t key[17])
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	memset(key, 0, 17);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr,
		       4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		key[0] = 4;
		memcpy(key + 1, &s6->sin6_addr.s6_addr[12], 4);
		return 0;
	}
	key[0] = 6;
	memcpy(key + 1, &s6->sin6_addr, 16);
	return 0;
}

/* FNV-1a over the key. */
static size_t
ip_hash(const uint8_t key[17])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

static struct ip_ent **
ip_slot(const uint8_t key[17])
{
	struct ip_ent **pp;

	if (ip_nbucket == 0)
		return NULL;
	for (pp = &ip_tab[ip_hash(key) & (ip_nbucket - 1)]; *pp != NULL;
	     pp = &(*pp)->next)
		if (memcmp((*pp)->key, key, 17) == 0)
			return pp;
	return NULL;
}

/* Double the table (or make the first); on failure keep the old one
 * (chains only get longer). */
static void
ip_grow(void)
{
	size_t nb = ip_nbucket ? ip_nbucket * 2 : 256, i, h;
	struct ip_ent **t, *e, *next;

	t = calloc(nb, sizeof(*t));
	if (t == NULL)
		return;
	for (i = 0; i < ip_nbucket; i++) {
		for (e = ip_tab[i]; e != NULL; e = next) {
			next = e->next;
			h = ip_hash(e->key) & (nb - 1);
			e->next = t[h];
			t[h] = e;
		}
	}
	free(ip_tab);
	ip_tab = t;
	ip_nbucket = nb;
}

int
lim_ip_open(const struct sockaddr *sa, long max)
{
	uint8_t key[17];
	struct ip_ent **pp, *e;
	size_t h;

	if (ip_key(sa, key) < 0)
		return max == 0 ? -1 : -2;
	pp = ip_slot(key);
	if (pp != NULL) {
		if (max >= 0 && (*pp)->n >= (unsigned long)max)
			return -1;
		(*pp)->n++;
		return 0;
	}
	if (max == 0)
		return -1;
	if (ip_nent >= 2 * ip_nbucket)
		ip_grow();
	if (ip_nbucket == 0)
		return -2;
	e = malloc(sizeof(*e));
	if (e == NULL)
		return -2;
	memcpy(e->key, key, 17);
	e->n = 1;
	h = ip_hash(key) & (ip_nbucket - 1);
	e->next = ip_tab[h];
	ip_tab[h] = e;
	ip_nent++;
	return 0;
}

void
lim_ip_close(const struct sockaddr *sa)
{
	uint8_t key[17];
	struct ip_ent **pp, *e;

	if (ip_key(sa, key) < 0 || (pp = ip_slot(key)) == NULL)
		return;
	e = *pp;
	if (--e->n > 0)
		return;
	*pp = e->next;
	free(e);
	ip_nent--;
}

unsigned
lim_ip_count(const struct sockaddr *sa)
{
	uint8_t key[17];
	struct ip_ent **pp;

	if (ip_key(sa, key) < 0 || (pp = ip_slot(key)) == NULL)
		return 0;
	return (*pp)->n;
}
