/*
 * clicount.c - how many connections each client address has open.
 *
 * Squid's "maxconn N" matches a client whose address has more than N
 * connections open. The client side counts them here as it accepts and
 * closes (cli_h1.c); the acl context carries the count (stream.c). A
 * chained hash table keyed by the address (IPv4 and IPv6, port ignored),
 * grown as it fills, entries freed when their count drops to 0.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/clicount.h"

struct cc_ent {
	struct cc_ent *next;
	int            family;
	unsigned char  a[16];
	unsigned       n;
};

static struct cc_ent **tab;
static size_t tab_size, tab_used;

/* The address as (family, bytes); 0, or -1 for other families. */
static int
cc_key(const struct sockaddr *sa, int *family, unsigned char a[16])
{
	memset(a, 0, 16);
	*family = sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

/* FNV-1a over the key. */
static size_t
cc_hash(int family, const unsigned char a[16])
{
	uint32_t h = 2166136261u;
	int i;

	h = (h ^ (uint32_t)family) * 16777619u;
	for (i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	return h;
}

static struct cc_ent **
cc_slot(int family, const unsigned char a[16])
{
	struct cc_ent **pp;

	if (tab_size == 0)
		return NULL;
	for (pp = &tab[cc_hash(family, a) & (tab_size - 1)]; *pp != NULL;
	     pp = &(*pp)->next)
		if ((*pp)->family == family && memcmp((*pp)->a, a, 16) == 0)
			break;
	return pp;
}

/* Double the table (or make the first one); on failure keep the old. */
static void
cc_grow(void)
{
	size_t nsize = tab_size ? tab_size * 2 : 256, i, h;
	struct cc_ent **ntab, *e, *next;

	ntab = calloc(nsize, sizeof(*ntab));
	if (ntab == NULL)
		return;
	for (i = 0; i < tab_size; i++)
		for (e = tab[i]; e != NULL; e = next) {
			next = e->next;
			h = cc_hash(e->family, e->a) & (nsize - 1);
			e->next = ntab[h];
			ntab[h] = e;
		}
	free(tab);
	tab = ntab;
	tab_size = nsize;
}

unsigned
clicount_open(const struct sockaddr *sa)
{
	struct cc_ent **pp, *e;
	unsigned char a[16];
	int family;

	if (cc_key(sa, &family, a) < 0)
		return 0;
	if (tab_used >= tab_size)
		cc_grow();
	pp = cc_slot(family, a);
	if (pp == NULL)
		return 0;
	if (*pp == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return 0;
		e->family = family;
		memcpy(e->a, a, 16);
		*pp = e;
		tab_used++;
	}
	return ++(*pp)->n;
}

void
clicount_close(const struct sockaddr *sa)
{
	struct cc_ent **pp, *e;
	unsigned char a[16];
	int family;

	if (cc_key(sa, &family, a) < 0 ||
	    (pp = cc_slot(family, a)) == NULL || *pp == NULL)
		return;
	e = *pp;
	if (--e->n == 0) {
		*pp = e->next;
		free(e);
		tab_used--;
	}
}

unsigned
clicount_get(const struct sockaddr *sa)
{
	struct cc_ent **pp;
	unsigned char a[16];
	int family;

	if (cc_key(sa, &family, a) < 0 ||
	    (pp = cc_slot(family, a)) == NULL || *pp == NULL)
		return 0;
	return (*pp)->n;
}
