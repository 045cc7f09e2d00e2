/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_acl_tls.c - matching the TLS acl types (acl_match: at_step,
 * ssl::server_name, ssl::server_name_regex, ssl_error,
 * connections_encrypted, squid_error) and walking action lists
 * (acl_first), against a struct acl_ctx as the TLS side fills it.
 *
 * The acls are loaded from configuration text, as the daemon gets them.
 * ssl::server_name cases go through every source of the name Squid's
 * cf.data.pre describes: the SNI, the target without SNI (an
 * intercepted connection's original destination, IPv4 and IPv6), the
 * server certificate's names (wildcards included), none; with each
 * option.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "config/config.h"

static const char tls_conf[] =
	"http_port 65001\n"
	"https_port 65002 tproxy ssl-bump cert=/n/ca.pem\n"
	"acl step1 at_step SslBump1\n"
	"acl step23 at_step SslBump2 SslBump3\n"
	"acl gc at_step GeneratingCONNECT\n"
	"acl dom ssl::server_name .example.com exact.org\n"
	"acl ip ssl::server_name 192.0.2.1 2001:db8::1\n"
	"acl none ssl::server_name none\n"
	"acl www ssl::server_name www.wild.test\n"
	"acl deep ssl::server_name .x.deep.test\n"
	"acl bare ssl::server_name wild.test\n"
	"acl tld ssl::server_name .test\n"
	"acl lit ssl::server_name *.lit.test\n"
	"acl cr ssl::server_name --client-requested .example.com\n"
	"acl crip ssl::server_name --client-requested 192.0.2.1\n"
	"acl sp ssl::server_name --server-provided .example.com\n"
	"acl spnone ssl::server_name --server-provided none\n"
	"acl cons ssl::server_name --consensus .example.com 192.0.2.1 "
	"www.wild.test\n"
	"acl consnone ssl::server_name --consensus none\n"
	"acl re ssl::server_name_regex ^www\\.\n"
	"acl renone ssl::server_name_regex ^none$\n"
	"acl recons ssl::server_name_regex --consensus ^www\\.\n"
	"acl expired ssl_error X509_V_ERR_CERT_HAS_EXPIRED\n"
	"acl ten ssl_error 10\n"
	"acl dm ssl_error SQUID_X509_V_ERR_DOMAIN_MISMATCH\n"
	"acl enc connections_encrypted\n"
	"acl foreign squid_error ERR_PROTOCOL_UNKNOWN ERR_TOO_BIG\n"
	"acl silent squid_error ERR_REQUEST_START_TIMEOUT\n";

/* What the TLS side knows, as strings; NULL/0: not known. */
struct tctx {
	int         step;
	const char *sni;
	const char *host;	/* the (fake) CONNECT target */
	const char *cert[4];	/* the certificate's names; none: no
				   certificate seen */
	const char *err[3];	/* validation errors */
	int         encrypted;
	const char *squid_error;
};

static void
mkctx(const struct tctx *t, struct acl_ctx *ctx,
      struct sockaddr_storage *cl)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)cl;
	size_t n;

	memset(ctx, 0, sizeof(*ctx));
	memset(cl, 0, sizeof(*cl));
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, "198.51.100.7", &s4->sin_addr);
	ctx->client = (const struct sockaddr *)cl;
	ctx->tls_step = t->step;
	ctx->sni = t->sni;
	if (t->host != NULL)
		ctx->host = str_make(t->host, strlen(t->host));
	for (n = 0; n < 4 && t->cert[n] != NULL; n++)
		;
	ctx->srv_names = t->cert;
	ctx->nsrv_names = n;
	for (n = 0; n < 3 && t->err[n] != NULL; n++)
		;
	ctx->ssl_errors = t->err;
	ctx->nssl_errors = n;
	ctx->encrypted = t->encrypted;
	ctx->squid_error = t->squid_error;
}

static struct cfg *
load(const char *text)
{
	struct cfg_msgs m;
	struct cfg *c;
	size_t i;

	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "tls.conf", &m);
	if (c == NULL || m.nerr != 0) {
		for (i = 0; i < m.n; i++)
			print_error("    %s\n", m.msg[i].text);
		cfg_msgs_free(&m);
		cfg_unref(c);
		fail_msg("test configuration does not load");
	}
	cfg_msgs_free(&m);
	return c;
}

/* ------------------------------------------------------------ acl_match */

struct match_case {
	const char  *acl;
	struct tctx  t;
	int          want;
};

#define C(...)	.cert = { __VA_ARGS__ }
#define E(...)	.err = { __VA_ARGS__ }

static const struct match_case match_cases[] = {
	/* --- at_step --- */
	{ "step1", { .step = 1 }, 1 },
	{ "step1", { .step = 2 }, 0 },
	{ "step1", { .step = 0 }, 0 },
	{ "step23", { .step = 2 }, 1 },
	{ "step23", { .step = 3 }, 1 },
	{ "step23", { .step = 1 }, 0 },
	{ "gc", { .step = 0 }, 0 },
	{ "gc", { .step = 1 }, 0 },

	/* --- server name, no option: the SNI --- */
	{ "dom", { .sni = "www.example.com" }, 1 },
	{ "dom", { .sni = "example.com" }, 1 },
	{ "dom", { .sni = "WWW.Example.COM" }, 1 },
	{ "dom", { .sni = "exact.org" }, 1 },
	{ "dom", { .sni = "www.exact.org" }, 0 },
	{ "dom", { .sni = "badexample.com" }, 0 },
	{ "dom", { .sni = "other.test", .host = "www.example.com" }, 0 },
	{ "none", { .sni = "other.test" }, 0 },
	/* an SNI that is not a plain host name is no name: none */
	{ "dom", { .sni = "*.example.com" }, 0 },
	{ "none", { .sni = "*.example.com" }, 1 },
	/* no SNI: the target; intercepted: the original destination */
	{ "dom", { .host = "www.example.com" }, 1 },
	{ "ip", { .host = "192.0.2.1" }, 1 },
	{ "ip", { .host = "192.0.2.2" }, 0 },
	{ "ip", { .host = "[2001:db8::1]" }, 1 },
	{ "ip", { .host = "2001:DB8:0:0::1" }, 1 },
	{ "ip", { .host = "[2001:db8::2]" }, 0 },
	{ "ip", { .sni = "", .host = "192.0.2.1" }, 1 },
	{ "dom", { .host = "192.0.2.1" }, 0 },
	/* nothing at all: none */
	{ "none", { 0 }, 1 },
	{ "dom", { 0 }, 0 },
	{ "re", { 0 }, 0 },
	{ "renone", { 0 }, 1 },

	/* --- no option, with a certificate: its names decide --- */
	{ "dom", { .sni = "other.test", C("www.example.com") }, 1 },
	{ "dom", { .sni = "www.example.com", C("other.test") }, 0 },
	{ "dom", { .sni = "www.example.com", C("a.test", "b.test",
						"exact.org") }, 1 },
	{ "none", { .sni = "other.test", C("x.test") }, 0 },
	/* wildcard certificate names (Squid's mdnHonorWildcards) */
	{ "dom", { C("*.example.com") }, 1 },
	{ "www", { C("*.wild.test") }, 1 },
	{ "www", { C("*.test") }, 1 },
	{ "www", { C("*.a.wild.test") }, 0 },
	{ "www", { C("*.WILD.test") }, 1 },
	{ "bare", { C("*.wild.test") }, 0 },
	{ "bare", { C("wild.test") }, 1 },
	{ "deep", { C("*.deep.test") }, 1 },
	{ "deep", { C("*.y.deep.test") }, 0 },
	{ "deep", { C("*.a.x.deep.test") }, 1 },
	{ "tld", { C("*.wild.test") }, 1 },
	{ "tld", { C("*.test.org") }, 0 },
	{ "lit", { C("*.lit.test") }, 1 },
	/* a '*' anywhere else: not a name Squid takes */
	{ "dom", { C("w*.example.com") }, 0 },
	{ "dom", { C("*.*.example.com") }, 0 },
	{ "dom", { C("*") }, 0 },
	{ "dom", { C("w*.example.com", "www.example.com") }, 1 },
	/* address names, IPv6 in any form */
	{ "ip", { C("192.0.2.1") }, 1 },
	{ "ip", { C("2001:DB8:0:0:0:0:0:1") }, 1 },
	{ "ip", { C("2001:db8::2", "198.51.100.1") }, 0 },
	/* regex: any name; lowercase */
	{ "re", { .sni = "WWW.a.test" }, 1 },
	{ "re", { .sni = "a.test" }, 0 },
	{ "re", { .sni = "www.a.test", C("a.test", "b.test") }, 0 },
	{ "re", { .sni = "a.test", C("a.test", "www.b.test") }, 1 },
	{ "re", { C("*.wild.test") }, 0 },

	/* --- --client-requested: the SNI whatever the server says --- */
	{ "cr", { .sni = "www.example.com", C("other.test") }, 1 },
	{ "cr", { .sni = "other.test", C("www.example.com") }, 0 },
	{ "cr", { .host = "www.example.com", C("other.test") }, 1 },
	{ "crip", { .host = "192.0.2.1", C("other.test") }, 1 },
	{ "crip", { .sni = "a.test", .host = "192.0.2.1" }, 0 },

	/* --- --server-provided: the certificate, else none --- */
	{ "sp", { .sni = "www.example.com" }, 0 },
	{ "spnone", { .sni = "www.example.com" }, 1 },
	{ "sp", { .sni = "other.test", C("www.example.com") }, 1 },
	{ "sp", { .sni = "www.example.com", C("other.test") }, 0 },
	{ "spnone", { .sni = "www.example.com", C("other.test") }, 0 },
	{ "sp", { C("*.example.com") }, 1 },

	/* --- --consensus: the SNI if the certificate names it --- */
	{ "cons", { .sni = "www.example.com", C("www.example.com") }, 1 },
	{ "cons", { .sni = "WWW.example.com", C("a.test",
						"www.example.com") }, 1 },
	{ "cons", { .sni = "www.example.com", C("*.example.com") }, 1 },
	/* Squid's wildcard reading: one label, and the domain itself */
	{ "cons", { .sni = "example.com", C("*.example.com") }, 1 },
	{ "cons", { .sni = "a.b.example.com", C("*.example.com") }, 0 },
	{ "consnone", { .sni = "a.b.example.com", C("*.example.com") }, 1 },
	{ "cons", { .sni = "www.example.com", C("other.test") }, 0 },
	{ "consnone", { .sni = "www.example.com", C("other.test") }, 1 },
	/* a forged SNI: the certificate is another site's */
	{ "cons", { .sni = "www.wild.test", C("www.example.com") }, 0 },
	/* no certificate: the SNI */
	{ "cons", { .sni = "www.example.com" }, 1 },
	{ "consnone", { .sni = "www.example.com" }, 0 },
	/* no SNI: the target, an address matched by address names */
	{ "cons", { .host = "192.0.2.1", C("192.0.2.1") }, 1 },
	{ "cons", { .host = "192.0.2.1", C("other.test") }, 0 },
	{ "cons", { .host = "[::ffff:192.0.2.1]", C("192.0.2.1") }, 0 },
	{ "consnone", { .host = "192.0.2.1", C("other.test") }, 1 },
	/* an address needle is not matched by a host name, nor the other
	 * way round */
	{ "consnone", { .host = "192.0.2.1", C("*.2.1") }, 1 },
	{ "cons", { .sni = "www.wild.test", C("www.wild.test.") }, 0 },
	/* no name at all: none */
	{ "consnone", { C("www.example.com") }, 1 },
	{ "recons", { .sni = "www.a.test", C("www.a.test") }, 1 },
	{ "recons", { .sni = "www.a.test", C("www.b.test") }, 0 },

	/* --- ssl_error --- */
	{ "expired", { E("X509_V_ERR_CERT_HAS_EXPIRED") }, 1 },
	{ "ten", { E("X509_V_ERR_CERT_REVOKED",
		     "X509_V_ERR_CERT_HAS_EXPIRED") }, 1 },
	{ "expired", { E("X509_V_ERR_CERT_REVOKED") }, 0 },
	{ "expired", { 0 }, 0 },
	{ "ssl::certHasExpired", { E("X509_V_ERR_CERT_HAS_EXPIRED") }, 1 },
	{ "ssl::certUntrusted", { E("X509_V_ERR_CERT_HAS_EXPIRED") }, 0 },
	{ "ssl::certUntrusted",
	  { E("X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY") }, 1 },
	{ "ssl::certSelfSigned",
	  { E("X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT") }, 1 },
	{ "ssl::certNotYetValid", { E("X509_V_ERR_CERT_NOT_YET_VALID") }, 1 },
	{ "ssl::certDomainMismatch",
	  { E("SQUID_X509_V_ERR_DOMAIN_MISMATCH") }, 1 },
	{ "dm", { E("X509_V_ERR_HOSTNAME_MISMATCH") }, 0 },

	/* --- connections_encrypted --- */
	{ "enc", { .encrypted = 1 }, 1 },
	{ "enc", { .encrypted = 0 }, 0 },

	/* --- squid_error --- */
	{ "foreign", { .squid_error = "ERR_PROTOCOL_UNKNOWN" }, 1 },
	{ "foreign", { .squid_error = "ERR_TOO_BIG" }, 1 },
	{ "foreign", { .squid_error = "ERR_REQUEST_START_TIMEOUT" }, 0 },
	{ "silent", { .squid_error = "ERR_REQUEST_START_TIMEOUT" }, 1 },
	{ "foreign", { .squid_error = NULL }, 0 },
};

static void
test_match_table(void **state)
{
	const struct match_case *mc;
	struct sockaddr_storage cl;
	struct acl_ctx ctx;
	const struct acl *a;
	struct cfg *c = load(tls_conf);
	size_t i;
	int got, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		mc = &match_cases[i];
		a = cfg_acl_find(c, mc->acl);
		if (a == NULL) {
			print_error("case %zu: no acl '%s'\n", i, mc->acl);
			failed = 1;
			continue;
		}
		mkctx(&mc->t, &ctx, &cl);
		got = acl_match(a, &ctx);
		if (got != mc->want) {
			print_error("case %zu: acl %s step %d sni '%s' host "
				    "'%s' cert[0] '%s' (%zu names) err[0] "
				    "'%s': got %d, want %d\n", i, mc->acl,
				    mc->t.step,
				    mc->t.sni ? mc->t.sni : "(null)",
				    mc->t.host ? mc->t.host : "(null)",
				    mc->t.cert[0] ? mc->t.cert[0] : "(null)",
				    ctx.nsrv_names,
				    mc->t.err[0] ? mc->t.err[0] : "(null)",
				    got, mc->want);
			failed = 1;
		}
	}
	cfg_unref(c);
	if (failed)
		fail();
}

/*
 * Many values: the binary searches (sorted values, and the reversed ones
 * for wildcard names) find every one and nothing in between.
 */
static void
test_many_names(void **state)
{
	struct sockaddr_storage cl;
	struct tctx t;
	struct acl_ctx ctx;
	const struct acl *a;
	struct cfg *c;
	char *text, name[64], wild[64];
	size_t len = 0, cap = 1 << 20;
	int i, failed = 0;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len,
				"https_port 65002 tproxy ssl-bump "
				"cert=/n/ca.pem\n");
	for (i = 0; i < 2000; i += 2)
		len += (size_t)snprintf(text + len, cap - len,
					"acl many ssl::server_name "
					"h%d.d%d.test .s%d.test\n", i, i % 97,
					i);
	c = load(text);
	free(text);
	a = cfg_acl_find(c, "many");
	assert_int_equal(a->n, 2000);
	memset(&t, 0, sizeof(t));
	for (i = 0; i < 2000; i++) {
		/* SNI: hN.dM.test exactly (even N), sub.sN.test (even N) */
		snprintf(name, sizeof(name), "h%d.d%d.test", i, i % 97);
		t.sni = name;
		t.cert[0] = NULL;
		mkctx(&t, &ctx, &cl);
		if (acl_match(a, &ctx) != (i % 2 == 0)) {
			print_error("sni %s\n", name);
			failed = 1;
		}
		snprintf(name, sizeof(name), "www.s%d.test", i);
		mkctx(&t, &ctx, &cl);
		if (acl_match(a, &ctx) != (i % 2 == 0)) {
			print_error("sni %s\n", name);
			failed = 1;
		}
		/* certificate *.dM.test covers hN.dM.test for some even N
		 * with N % 97 == M: every M below 97 has one */
		snprintf(wild, sizeof(wild), "*.d%d.test", i % 120);
		t.sni = NULL;
		t.cert[0] = wild;
		mkctx(&t, &ctx, &cl);
		if (acl_match(a, &ctx) != (i % 120 < 97)) {
			print_error("cert %s\n", wild);
			failed = 1;
		}
	}
	cfg_unref(c);
	if (failed)
		fail();
}

/* ------------------------------------------------------------ acl_first */

/* ok(): the actions possible, as a bit mask of 1 << action. */
static int
allowed(int action, void *arg)
{
	return (*(unsigned *)arg >> action) & 1;
}

struct first_case {
	const char  *rules;	/* after tls_conf, lists built from it */
	struct tctx  t;
	unsigned     mask;	/* 0: ok == NULL */
	int          want;	/* enum acl_verdict */
	int          line;	/* of the rule, 0: none */
	int          action;
};

#define ALL_BUT(a)	(0xffu & ~(1u << (a)))

static const struct first_case first_cases[] = {
	/* the first rule that matches */
	{ "ssl_bump peek step1\nssl_bump terminate dom\nssl_bump splice all\n",
	  { .step = 1, .sni = "www.example.com" }, 0, ACL_ALLOW, 1,
	  SSLB_PEEK },
	{ "ssl_bump peek step1\nssl_bump terminate dom\nssl_bump splice all\n",
	  { .step = 2, .sni = "www.example.com" }, 0, ACL_ALLOW, 2,
	  SSLB_TERMINATE },
	{ "ssl_bump peek step1\nssl_bump terminate dom\nssl_bump splice all\n",
	  { .step = 2, .sni = "a.test" }, 0, ACL_ALLOW, 3, SSLB_SPLICE },
	/* rules whose action is not possible now are skipped */
	{ "ssl_bump peek step1\nssl_bump terminate dom\nssl_bump splice all\n",
	  { .step = 1, .sni = "www.example.com" }, ALL_BUT(SSLB_PEEK),
	  ACL_ALLOW, 2, SSLB_TERMINATE },
	{ "ssl_bump peek all\nssl_bump stare all\n",
	  { .step = 3 }, ALL_BUT(SSLB_PEEK) & ALL_BUT(SSLB_STARE),
	  ACL_DENY, 0, 0 },
	/* none matches: deny, no rule (not the opposite of the last) */
	{ "ssl_bump terminate dom\n", { .sni = "a.test" }, 0, ACL_DENY, 0,
	  0 },
	{ "", { .sni = "a.test" }, 0, ACL_DENY, 0, 0 },
	/* a rule without acls always matches */
	{ "ssl_bump splice\n", { 0 }, 0, ACL_ALLOW, 1, SSLB_SPLICE },
	/* unknown acls: the verdict acl_check gives, before a later rule;
	 * a definite mismatch in the same rule settles it */
	{ "acl d dst 10.0.0.0/8\nssl_bump terminate d\nssl_bump splice all\n",
	  { .host = "www.example.com" }, 0, ACL_NEED_DST, 0, 0 },
	{ "acl d dst 10.0.0.0/8\nssl_bump terminate d step1\n"
	  "ssl_bump splice all\n", { .step = 2, .host = "www.example.com" },
	  0, ACL_ALLOW, 3, SSLB_SPLICE },
	{ "acl d dst 10.0.0.0/8\nssl_bump terminate d\nssl_bump splice all\n",
	  { .host = "10.1.2.3" }, 0, ACL_ALLOW, 2, SSLB_TERMINATE },
	/* a skipped rule never makes the walk wait */
	{ "acl d dst 10.0.0.0/8\nssl_bump terminate d\nssl_bump splice all\n",
	  { .host = "www.example.com" }, ALL_BUT(SSLB_TERMINATE), ACL_ALLOW,
	  3, SSLB_SPLICE },
	{ "acl n srcdomain .clients.test\nssl_bump terminate n\n",
	  { 0 }, 0, ACL_DENY, 0, 0 },
	/* on_unsupported_protocol */
	{ "on_unsupported_protocol tunnel foreign\n"
	  "on_unsupported_protocol respond all\n",
	  { .squid_error = "ERR_PROTOCOL_UNKNOWN" }, 0, ACL_ALLOW, 1,
	  UNSUP_TUNNEL },
	{ "on_unsupported_protocol tunnel foreign\n"
	  "on_unsupported_protocol respond all\n",
	  { .squid_error = "ERR_REQUEST_START_TIMEOUT" }, 0, ACL_ALLOW, 2,
	  UNSUP_RESPOND },
};

static void
test_first_table(void **state)
{
	const struct first_case *fc;
	const struct access_rule *r;
	const struct access_list *list;
	struct sockaddr_storage cl;
	struct acl_ctx ctx;
	struct cfg *c;
	char text[4096];
	unsigned mask;
	size_t i;
	int got, line0, failed = 0;

	(void)state;
	/* rule lines are numbered from the case's first line */
	line0 = 0;
	for (i = 0; tls_conf[i] != '\0'; i++)
		line0 += tls_conf[i] == '\n';
	for (i = 0; i < sizeof(first_cases) / sizeof(first_cases[0]); i++) {
		fc = &first_cases[i];
		snprintf(text, sizeof(text), "%s%s", tls_conf, fc->rules);
		c = load(text);
		list = strncmp(fc->rules, "on_unsupported", 14) == 0 ?
		    &c->tls.on_unsupported : &c->tls.ssl_bump;
		mkctx(&fc->t, &ctx, &cl);
		mask = fc->mask;
		r = (const struct access_rule *)&ctx;	/* must be reset */
		got = (int)acl_first(list, &ctx, fc->mask ? allowed : NULL,
				     &mask, &r);
		if (got != fc->want || (fc->line == 0) != (r == NULL) ||
		    (r != NULL && (r->line - line0 != fc->line ||
				   r->allow != fc->action))) {
			print_error("case %zu: ---\n%s--- got verdict %d rule "
				    "line %d action %d; want %d line %d action "
				    "%d\n", i, fc->rules, got,
				    r ? r->line - line0 : 0,
				    r ? r->allow : 0, fc->want, fc->line,
				    fc->action);
			failed = 1;
		}
		/* rule may be NULL */
		if (acl_first(list, &ctx, fc->mask ? allowed : NULL, &mask,
			      NULL) != (enum acl_verdict)fc->want) {
			print_error("case %zu: rule NULL changes the verdict\n",
				    i);
			failed = 1;
		}
		cfg_unref(c);
	}
	if (failed)
		fail();
}

/* srcdomain before the name is known: the walk asks for it when the
 * caller can wait, as acl_check does. */
static void
test_first_need_name(void **state)
{
	const struct access_rule *r;
	struct sockaddr_storage cl;
	struct acl_ctx ctx;
	struct tctx t;
	struct cfg *c;

	(void)state;
	c = load("https_port 65002 tproxy ssl-bump cert=/n/ca.pem\n"
		 "acl n srcdomain .clients.test\n"
		 "ssl_bump terminate n\nssl_bump splice all\n");
	memset(&t, 0, sizeof(t));
	mkctx(&t, &ctx, &cl);
	ctx.name_wait = 1;
	assert_int_equal(acl_first(&c->tls.ssl_bump, &ctx, NULL, NULL, &r),
			 ACL_NEED_NAME);
	assert_null(r);
	assert_int_equal(acl_check(&c->tls.ssl_bump, &ctx, 0, &r),
			 ACL_NEED_NAME);
	ctx.client_name = "pc1.clients.test";
	assert_int_equal(acl_first(&c->tls.ssl_bump, &ctx, NULL, NULL, &r),
			 ACL_ALLOW);
	assert_non_null(r);
	assert_int_equal(r->allow, SSLB_TERMINATE);
	ctx.client_name = "none";
	assert_int_equal(acl_first(&c->tls.ssl_bump, &ctx, NULL, NULL, &r),
			 ACL_ALLOW);
	assert_int_equal(r->allow, SSLB_SPLICE);
	cfg_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_first_table),
		cmocka_unit_test(test_first_need_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
