/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl_finish.c - after the whole file is read: domain lists sorted and
 * deduplicated, regexes compiled, address lists merged (with Squid's
 * warnings for values covered by others).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "config/acl-int.h"
#include "config/cfg-int.h"
#include "config/config.h"

static int
cmp_word(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An address range as Squid prints it: ADDR, ADDR/BITS or LO-HI. */
static void
ip_fmt(const struct acl_ip *r, char *buf, size_t size)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int len = r->family == AF_INET ? 4 : 16, bits, i;
	unsigned char x;

	inet_ntop(r->family, &r->lo, lo, sizeof(lo));
	/* A prefix: lo and hi agree on the first bits, then lo has only
	 * zeros and hi only ones. */
	for (bits = 0; bits < len * 8; bits++) {
		x = (unsigned char)(0x80 >> (bits % 8));
		if ((r->lo.s6_addr[bits / 8] & x) !=
		    (r->hi.s6_addr[bits / 8] & x))
			break;
	}
	for (i = bits; i < len * 8; i++) {
		x = (unsigned char)(0x80 >> (i % 8));
		if ((r->lo.s6_addr[i / 8] & x) || !(r->hi.s6_addr[i / 8] & x))
			break;
	}
	if (i == len * 8 && bits == len * 8)
		snprintf(buf, size, "%s", lo);
	else if (i == len * 8)
		snprintf(buf, size, "%s/%d", lo, bits);
	else {
		inet_ntop(r->family, &r->hi, hi, sizeof(hi));
		snprintf(buf, size, "%s-%s", lo, hi);
	}
}

/* Sort order for merge_ips(): family, low end, wider first, then file
 * order. */
static int
cmp_ipx(const void *a, const void *b)
{
	const struct acl_ip *x = *(const struct acl_ip *const *)a;
	const struct acl_ip *y = *(const struct acl_ip *const *)b;
	int c;

	if (x->family != y->family)
		return x->family - y->family;
	if ((c = memcmp(&x->lo, &y->lo, sizeof(x->lo))) != 0)
		return c;
	if ((c = memcmp(&y->hi, &x->hi, sizeof(x->hi))) != 0)
		return c;
	return x < y ? -1 : x > y;
}

static void
ip_warn(struct cfg_parse *p, const struct acl *acl, size_t at,
	const char *fmt, const char *a, const char *b, const char *c)
{
	struct tok t;
	char msg[512];

	memset(&t, 0, sizeof(t));
	t.file = acl->vloc[at].file;
	t.line = acl->vloc[at].line;
	t.s = "";
	snprintf(msg, sizeof(msg), fmt, a, b, c);
	/* The predefined values are nobody's line: the redefinition is. */
	cfg_warn(p, t.file == cfg_builtin_file ? NULL : &t, "acl %s: %s",
		 acl->name, msg);
}

/*
 * Squid keeps the values of src/dst acls without overlaps, and says so
 * when a value is covered by, or overlaps, another: the case of the
 * Squid 2/3 defaults that redefine the predefined "localhost" or
 * "to_localhost". Matching gives the same answers either way; this keeps
 * Squid's warnings (and the lists short). O(n log n).
 */
static void
merge_ips(struct cfg_parse *p, struct acl *acl)
{
	struct acl_ip **ord, *k, *x, *out;
	char a[100], b[100], c[100];
	size_t i, n = acl->n, nout = 0, ki, xi;

	if (n < 2)
		return;
	ord = malloc(n * sizeof(*ord));
	if (ord == NULL)
		return;
	for (i = 0; i < n; i++)
		ord[i] = &acl->v.ip[i];
	qsort(ord, n, sizeof(*ord), cmp_ipx);
	for (i = 1, k = ord[0]; i < n; i++) {
		x = ord[i];
		if (x->family != k->family ||
		    memcmp(&x->lo, &k->hi, sizeof(x->lo)) > 0) {
			k = x;
			continue;
		}
		ki = (size_t)(k - acl->v.ip);
		xi = (size_t)(x - acl->v.ip);
		ip_fmt(k, a, sizeof(a));
		ip_fmt(x, b, sizeof(b));
		if (memcmp(&x->hi, &k->hi, sizeof(x->hi)) <= 0) {
			/* x inside k */
			if (xi > ki)
				ip_warn(p, acl, xi, "Ignoring %s because it is "
					"already covered by %s (advice: Remove "
					"value %s from the ACL)", b, a, b);
			else
				ip_warn(p, acl, ki, "Ignoring earlier %s "
					"because it is covered by %s (advice: "
					"Remove value %s from the ACL)", b, a,
					b);
		} else {
			k->hi = x->hi;
			ip_fmt(k, c, sizeof(c));
			ip_warn(p, acl, xi > ki ? xi : ki, "Merging "
				"overlapping %s and %s into %s", b, a, c);
		}
		x->family = 0;	/* dropped */
	}
	free(ord);
	out = ar_alloc(p->ar, n * sizeof(*out));
	for (i = 0; i < n; i++)
		if (acl->v.ip[i].family != 0)
			out[nout++] = acl->v.ip[i];
	acl->v.ip = out;
	acl->n = nout;
}

/* Compile the stored words ("F[NAME\n]REGEX", F the -i flag) of a regex
 * or header acl. */
static void
compile_words(struct cfg_parse *p, struct acl *acl)
{
	struct acl_hre *hre = NULL;
	regex_t *re = NULL;
	const char *w, *nl;
	size_t i, k = 0;
	int hdr = cfg_acl_is_header(acl->type);

	if (hdr)
		hre = ar_alloc(p->ar, acl->n * sizeof(*hre));
	else
		re = ar_alloc(p->ar, acl->n * sizeof(*re));
	for (i = 0; i < acl->n; i++) {
		w = acl->v.word[i];
		nl = hdr ? strchr(w, '\n') : NULL;
		if (hdr && nl == NULL)
			continue;
		if (regcomp(hdr ? &hre[k].re : &re[k], nl ? nl + 1 : w + 1,
			    REG_EXTENDED | REG_NOSUB |
			    (w[0] == 'i' ? REG_ICASE : 0)) != 0)
			continue;
		if (hdr) {
			hre[k].name = ar_strndup(p->ar, w + 1,
						 (size_t)(nl - w - 1));
			ar_regex(p->ar, &hre[k].re, 1);
		}
		k++;
	}
	if (hdr) {
		acl->v.hre = hre;
	} else {
		ar_regex(p->ar, re, k);
		acl->v.re = re;
	}
	acl->n = k;
}

/*
 * ssl::server_name: the values reversed, sorted, in acl->rword. A
 * wildcard certificate name "*.example.com" matches every value that ends
 * with ".example.com" (acl.c), and reversed those values share a prefix.
 */
static void
reverse_words(struct cfg_parse *p, struct acl *acl)
{
	size_t i, k, len;
	char *r;

	acl->rword = ar_alloc(p->ar, acl->n * sizeof(*acl->rword));
	for (i = 0; i < acl->n; i++) {
		len = strlen(acl->v.word[i]);
		r = ar_alloc(p->ar, len + 1);
		for (k = 0; k < len; k++)
			r[k] = acl->v.word[i][len - 1 - k];
		acl->rword[i] = r;
	}
	qsort(acl->rword, acl->n, sizeof(char *), cmp_word);
}

void
cfg_acl_finish(struct cfg_parse *p)
{
	struct acl *acl;
	size_t i, k;

	for (acl = p->c->acls; acl != NULL; acl = acl->next) {
		if ((acl->type == ACL_DSTDOMAIN ||
		     acl->type == ACL_SRCDOMAIN ||
		     acl->type == ACL_SERVER_NAME) && acl->n > 0) {
			/* acl.c looks names up with a binary search. */
			qsort(acl->v.word, acl->n, sizeof(char *), cmp_word);
			for (i = 1, k = 1; i < acl->n; i++)
				if (strcmp(acl->v.word[i],
					   acl->v.word[k - 1]) != 0)
					acl->v.word[k++] = acl->v.word[i];
			acl->n = k;
			if (acl->type == ACL_SERVER_NAME)
				reverse_words(p, acl);
		} else if ((cfg_acl_is_regex(acl->type) ||
			    cfg_acl_is_header(acl->type)) && acl->n > 0) {
			compile_words(p, acl);
		} else if (cfg_acl_is_ip(acl->type)) {
			merge_ips(p, acl);
		}
		acl->vloc = NULL;
	}
}
