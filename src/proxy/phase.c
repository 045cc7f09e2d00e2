/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * phase.c - the phases of a request between its parsed head and a
 * connected server (see phase.h for the order). Each asynchronous step
 * (DNS, connect) comes back here; the stream stays in STRM_PREPARE until
 * phase_server_ready() or an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "acl/acl.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/sa.h"
#include "learn/learn.h"
#include "log/log.h"
#include "net/sock_inet.h"
#include "proxy/adapt.h"
#include "proxy/auth.h"
#include "proxy/bump.h"
#include "proxy/cache.h"
#include "proxy/cli-t.h"
#include "proxy/dns.h"
#include "proxy/extacl.h"
#include "proxy/peek.h"
#include "proxy/phase.h"
#include "proxy/proxy.h"
#include "proxy/req.h"
#include "proxy/rewrite.h"
#include "proxy/rules.h"
#include "proxy/srv.h"
#include "proxy/stream.h"
#include "stats/stats.h"

/* Fill s->addr from DNS answers (or one literal) with port. */
static void
set_addrs(struct stream *s, const struct sockaddr_storage *addrs, int n,
	  unsigned port)
{
	int i;

	for (i = 0; i < n && i < STRM_MAX_ADDRS; i++) {
		s->addr[i] = addrs[i];
		sa_set_port((struct sockaddr *)&s->addr[i], port);
		s->addrlen[i] = sa_len((struct sockaddr *)&s->addr[i]);
	}
	s->naddr = i;
	s->addr_idx = 0;
}

/* Numeric host to one candidate address; 1 when it was numeric. */
static int
set_literal(struct stream *s, const char *host, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		return 0;
	set_addrs(s, &ss, 1, port);
	return 1;
}

int
phase_host_forgery(struct stream *s, const char *why)
{
	char c[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];

	if (s->tls != NULL)
		stats.tls_sni_forgery++;
	else
		stats.host_forgery++;
	log_msg(LOG_CRIT, "SECURITY ALERT: %s forgery detected on "
		"local=%s remote=%s (%s): %s: %s URL: %s",
		s->tls ? "TLS SNI" : "Host header",
		sa_text((const struct sockaddr *)&s->sess->odst, d, sizeof(d)),
		sa_text((const struct sockaddr *)&s->sess->addr, c, sizeof(c)),
		why, s->tls ? "SNI" : "Host", s->host, s->url);
	if (s->sess->cfg->host_verify_strict) {
		s->hier = "HIER_NONE";
		strm_error(s, 409, "ERR_CONFLICT_HOST",
			   s->tls ? "The TLS server name (SNI) does not "
			   "match the address the connection was made to." :
			   "The Host header does not match the address your "
			   "request was sent to.");
		return -1;
	}
	/* Not strict: still go where the client was going, never where
	 * Host says, and never through a parent (which would use Host). */
	s->host_forged = 1;
	return 0;
}

static void route_try(struct stream *s);

/* Act on a DNS answer for what the stream asked it for. */
static void
dns_result(struct stream *s, enum dns_for what, int err,
	   const struct sockaddr_storage *addrs, int n)
{
	int i, found = 0;

	switch (what) {
	case DNS_FOR_VERIFY:
		s->verify_pending = 0;
		for (i = 0; i < n; i++)
			if (sa_same_ip((const struct sockaddr *)&addrs[i],
				       (const struct sockaddr *)&s->sess->odst))
				found = 1;
		if (!found && phase_host_forgery(s, err ? "Host does not "
			"resolve" : "local IP does not match any domain IP")
		    < 0)
			break;
		phase_run(s);
		break;
	case DNS_FOR_ORIGIN:
	case DNS_FOR_PEER:
		if (err != 0) {
			if (what == DNS_FOR_PEER || s->route_idx + 1 <
			    s->nroute) {
				log_msg(LOG_INFO, "cannot resolve %s: %s",
					s->peer ? s->peer->host : s->host,
					dns_strerror(err));
				s->route_idx++;
				route_try(s);
				break;
			}
			strm_error(s, 503, "ERR_DNS_FAIL", dns_strerror(err));
			break;
		}
		set_addrs(s, addrs, n, what == DNS_FOR_PEER ? s->peer->port :
			  s->port);
		s->origin_resolved = what == DNS_FOR_ORIGIN;
		/* Before routing, a lookup of the origin is for acls
		 * (http_access, url_rewrite_access, ...). */
		if (what == DNS_FOR_ORIGIN && !s->routes_done) {
			phase_run(s);	/* dst ACLs can decide now */
			break;
		}
		srv_acquire(s);
		break;
	default:
		break;
	}
}

static void
dns_done(void *arg, int err, const struct sockaddr_storage *addrs, int n)
{
	struct stream *s = arg;
	enum dns_for what = s->dns_for;

	s->dns = NULL;
	s->dns_for = DNS_FOR_NONE;
	dns_result(s, what, err, addrs, n);
	strm_wake(s);
}

static void
lookup(struct stream *s, const char *name, enum dns_for what)
{
	struct sockaddr_storage addrs[DNS_MAX_ADDRS];
	int n;

	/* A cached answer is used at once: no query object, no deferred
	 * call (the common case for a busy forward proxy). */
	if ((n = dns_cached(name, addrs)) > 0) {
		dns_result(s, what, 0, addrs, n);
		return;
	}
	s->dns_for = what;
	s->dns = dns_lookup(name, dns_done, s);
	if (s->dns == NULL)
		strm_error(s, 503, "ERR_DNS_FAIL", "out of memory");
}

/* The client's name is known (or "none"): ask http_access again. */
static void
set_client_name(struct stream *s, int err, const char *name)
{
	char a[INET6_ADDRSTRLEN + 8];
	struct acl_ctx ctx;

	if (err == 0 && name != NULL && strlen(name) < sizeof(s->client_name))
		memcpy(s->client_name, name, strlen(name) + 1);
	else
		memcpy(s->client_name, "none", 5);
	if (err == DNS_E_TIMEOUT || err == DNS_E_FAIL) {
		strm_acl_ctx(s, &ctx);
		log_msg(LOG_INFO, "cannot look up the name of client %s (%s): "
			"srcdomain acls see \"none\"",
			sa_text(ctx.client, a, sizeof(a)), dns_strerror(err));
	}
	phase_run(s);
}

static void
client_name_done(void *arg, int err, const char *name)
{
	struct stream *s = arg;

	s->dns = NULL;
	s->dns_for = DNS_FOR_NONE;
	set_client_name(s, err, name);
	strm_wake(s);
}

/*
 * Reverse lookup of the client's address (the one the acls see: the
 * indirect client with acl_uses_indirect_client) for srcdomain acls; the
 * answer comes back to phase_run(). A cached one is used at once.
 */
static void
lookup_client_name(struct stream *s, const struct sockaddr *client)
{
	char name[DNS_NAME_MAX];
	int err;

	if (dns_reverse_cached(client, &err, name)) {
		set_client_name(s, err, name);
		return;
	}
	s->dns_for = DNS_FOR_CLIENT_NAME;
	s->dns = dns_reverse(client, client_name_done, s);
	if (s->dns == NULL)
		strm_error(s, 503, "ERR_DNS_FAIL", "out of memory");
}

int
phase_acl_wait(struct stream *s, enum acl_verdict v,
	       const struct acl_ctx *ctx)
{
	if (v == ACL_NEED_DST && !s->origin_resolved &&
	    !(s->sess->intercepted && !s->rewritten && !s->host_adapted) &&
	    !set_literal(s, s->host, s->port)) {
		lookup(s, s->host, DNS_FOR_ORIGIN);
		return 1;
	}
	if (v == ACL_NEED_NAME && s->client_name[0] == '\0') {
		lookup_client_name(s, ctx->client);
		return 1;
	}
	/* An external acl: its helper (extacl.c). Not asked: the answer is
	 * taken as BH, the check ends as not allowed. */
	if (v == ACL_NEED_EXT)
		return extacl_wait(s);
	return 0;
}

/* All refs of a tcp_outgoing_address or marking line match. */
static int
refs_match(const struct acl_ref *ref, size_t n, const struct acl_ctx *ctx)
{
	size_t i;
	int m;

	for (i = 0; i < n; i++) {
		m = acl_match(ref[i].acl, ctx);
		if (m < 0)
			return 0;
		if (m == ref[i].negate)
			return 0;
	}
	return 1;
}

/*
 * The value of the first line of a marking directive whose acls all match
 * (Squid's first match), or 0 (the system's default) when none does.
 */
static uint32_t
qos_choose(const struct cfg_qos_list *l, const struct acl_ctx *ctx)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (refs_match(l->rule[i].ref, l->rule[i].nref, ctx))
			return l->rule[i].value;
	return 0;
}

/* Log a marking failure once per kind and errno: with CAP_NET_ADMIN lost
 * every connection would repeat it. */
static void
qos_failed(const char *what, int err)
{
	static int last_err[2];
	int k = what[0] == 'm';

	if (last_err[k] == err)
		return;
	last_err[k] = err;
	log_msg(LOG_CRIT, "ERROR: cannot set the %s of a connection: %s%s",
		what, strerror(err), err == EPERM && k ? " (SO_MARK needs "
		"CAP_NET_ADMIN; the connection is closed instead of leaving "
		"unmarked)" : "");
}

int
phase_mark_server(const struct stream *s, int fd, int family, int fresh)
{
	const struct cfg_qos *q = &s->sess->cfg->qos;
	int rc;

	if ((fresh ? s->srv_tos != 0 : q->tos_server.n > 0) &&
	    (rc = sock_set_tos(fd, family, s->srv_tos)) < 0) {
		qos_failed("TOS (tcp_outgoing_tos)", -rc);
		return rc;
	}
	if ((fresh ? s->srv_mark != 0 : q->mark_server.n > 0) &&
	    (rc = sock_set_mark(fd, s->srv_mark)) < 0) {
		qos_failed("mark (tcp_outgoing_mark)", -rc);
		return rc;
	}
	return 0;
}

/*
 * clientside_tos and clientside_mark, once per request after the access
 * decision (as Squid does): every request of a keep-alive connection may
 * choose other values, so the chosen ones (0 too) are always set when
 * such lines exist. Returns 0, or -1 when the mark could not be set (the
 * caller answers with an error and closes).
 */
static int
mark_client(struct stream *s, const struct acl_ctx *ctx)
{
	const struct cfg_qos *q = &s->sess->cfg->qos;
	int fd = s->cli->conn.fd, rc;

	if (q->tos_client.n > 0 &&
	    (rc = sock_set_tos(fd, s->sess->local.ss_family,
			       qos_choose(&q->tos_client, ctx))) < 0)
		qos_failed("TOS (clientside_tos)", -rc);
	if (q->mark_client.n > 0 &&
	    (rc = sock_set_mark(fd, qos_choose(&q->mark_client, ctx))) < 0) {
		qos_failed("mark (clientside_mark)", -rc);
		return -1;
	}
	return 0;
}

/*
 * The source address of the next server connection: the client's own
 * address on tproxy ports (unless spoof_client_ip denies it or the parent
 * is no-tproxy), else the first matching tcp_outgoing_address of the right
 * family, else whatever the system picks. Also its TOS and mark
 * (tcp_outgoing_tos, tcp_outgoing_mark), for phase_mark_server().
 */
void
phase_choose_source(struct stream *s, int family)
{
	const struct sess *se = s->sess;
	const struct cfg *c = se->cfg;
	struct acl_ctx ctx;
	size_t i;

	s->srclen = 0;
	s->spoofed = 0;
	memset(&s->src, 0, sizeof(s->src));
	/* Every list below decides without ACLs when it is empty: the ACL
	 * context is filled only when one is not. */
	if (c->qos.tos_server.n > 0 || c->qos.mark_server.n > 0 ||
	    c->spoof_client_ip.n > 0 || c->noutgoing > 0)
		strm_acl_ctx(s, &ctx);
	else
		memset(&ctx, 0, sizeof(ctx));
	/* The marks go with the source: both tell the network who sends. */
	s->srv_tos = qos_choose(&c->qos.tos_server, &ctx);
	s->srv_mark = qos_choose(&c->qos.mark_server, &ctx);
	if (se->port->mode == PORT_TPROXY && se->addr.ss_family == family &&
	    !(s->peer != NULL && (s->peer->no_tproxy || s->peer->sibling)) &&
	    acl_check(&c->spoof_client_ip, &ctx, ACL_ALLOW, NULL) ==
	    ACL_ALLOW) {
		s->src = se->addr;
		s->srclen = se->addrlen;
		if (!c->spoof_client_port)
			sa_set_port((struct sockaddr *)&s->src, 0);
		s->spoofed = 1;
		return;
	}
	for (i = 0; i < c->noutgoing; i++) {
		if (c->outgoing[i].addr.ss_family != family ||
		    !refs_match(c->outgoing[i].ref, c->outgoing[i].nref,
				&ctx))
			continue;
		s->src = c->outgoing[i].addr;
		s->srclen = c->outgoing[i].addrlen;
		return;
	}
}

/* Routes in order: parents allowed by cache_peer_access (unless
 * always_direct, or the Host was forged), then direct (unless
 * never_direct). CONNECT requests, and the decrypted requests of a bumped
 * connection (which a parent would get in the clear), go direct. */
static void
make_routes(struct stream *s)
{
	const struct cfg *c = s->sess->cfg;
	struct acl_ctx ctx;
	int direct = 1, peers = 1;
	size_t i;

	if (c->npeer == 0 || s->host_forged || s->meth == H1_M_CONNECT ||
	    s->sess->bumped != NULL) {
		/* No parent can be used: direct, without asking ACLs. */
		s->route[0] = -1;
		s->nroute = 1;
		s->route_idx = 0;
		s->routes_done = 1;
		return;
	}
	strm_acl_ctx(s, &ctx);
	if (acl_check(&c->always_direct, &ctx, ACL_DENY, NULL) ==
	    ACL_ALLOW)
		peers = 0;
	else if (acl_check(&c->never_direct, &ctx, ACL_DENY, NULL) ==
		 ACL_ALLOW)
		direct = 0;
	s->nroute = 0;
	for (i = 0; peers && i < c->npeer && s->nroute < STRM_MAX_ROUTES - 1;
	     i++)
		if (!c->peer[i].sibling &&	/* never a route */
		    acl_check(&c->peer[i].access, &ctx, ACL_ALLOW, NULL) ==
		    ACL_ALLOW)
			s->route[s->nroute++] = (int)i;
	if (direct)
		s->route[s->nroute++] = -1;
	s->route_idx = 0;
	s->routes_done = 1;
}

/* Try the current route; srv_acquire() reports back. */
static void
route_try(struct stream *s)
{
	const struct sess *se = s->sess;
	const struct cfg_peer *pe;
	int r;

	if (s->route_idx >= s->nroute) {
		s->hier = "HIER_NONE";
		strm_error(s, 503, s->nroute ? "ERR_CONNECT_FAIL" :
			   "ERR_CANNOT_FORWARD", s->nroute ?
			   "No server could be reached." :
			   "never_direct forbids going direct and no "
			   "cache_peer is allowed.");
		return;
	}
	r = s->route[s->route_idx];
	if (r >= 0) {
		pe = &se->cfg->peer[r];
		s->peer = pe;
		s->origin_resolved = 0;
		if (s->meth != H1_M_CONNECT && req_set_form(s, 1) < 0) {
			strm_error(s, 431, "ERR_TOO_BIG",
				   "The request headers are too large.");
			return;
		}
		/* A sibling is asked for its copy only, never to fetch
		 * (Squid does the same). */
		if (pe->sibling && s->cache.oic_len == 0) {
			size_t before = buf_len(&s->req.hd);

			if (req_add_field(s, STR_LIT("Cache-Control"),
					  STR_LIT("only-if-cached")) == 0)
				s->cache.oic_len = buf_len(&s->req.hd) -
						   before;
		}
		if (!set_literal(s, pe->host, pe->port)) {
			lookup(s, pe->host, DNS_FOR_PEER);
			return;
		}
	} else {
		if (s->peer != NULL && s->meth != H1_M_CONNECT)
			req_set_form(s, 0);
		s->peer = NULL;
		if (se->intercepted && !s->rewritten && !s->host_adapted) {
			/* Where the client was going: never a fresh DNS
			 * answer for Host (CVE-2009-0801). A rewritten URL
			 * is the rewriter's choice, resolved (Squid too);
			 * an ICAP service that changed the host sends it
			 * elsewhere likewise. */
			set_addrs(s, &se->odst, 1,
				  sa_port((const struct sockaddr *)&se->odst));
		} else if (!s->origin_resolved &&
			   !set_literal(s, s->host, s->port)) {
			lookup(s, s->host, DNS_FOR_ORIGIN);
			return;
		}
	}
	srv_acquire(s);
}

void
phase_route_failed(struct stream *s, int err)
{
	s->route_idx++;
	if (s->route_idx < s->nroute) {
		log_msg(LOG_INFO, "%s unreachable (%s), trying the next route",
			s->peer ? s->peer->host : s->host, strerror(err));
		s->naddr = 0;
		s->addr_idx = 0;
		route_try(s);
		return;
	}
	s->hier = "HIER_NONE";
	strm_error(s, 503, "ERR_CONNECT_FAIL", strerror(err));
}

void
phase_server_ready(struct stream *s)
{
	s->hier = s->peer ? (s->peer->sibling ? "SIBLING_HIT" :
			     "FIRSTUP_PARENT") : s->sess->intercepted ?
		  "ORIGINAL_DST" : "HIER_DIRECT";
	strm_deadline(s, s->sess->cfg->read_timeout);
	/* delay_access: once per request, now that the server is known
	 * (dst acls match). */
	strm_delay_choose(s);
	if (bump_server_ready(s))
		return;	/* its TLS handshake first (bump.c) */
	if (s->meth == H1_M_CONNECT) {
		/* An intercepted TLS connection (s->tls) expects the
		 * server's bytes, nothing from us: its ClientHello, waiting
		 * in the client's buffer, goes first. */
		if (s->tls == NULL &&
		    (buf_reserve(&s->res.hd, 64) < 0 ||
		     buf_append(&s->res.hd,
				"HTTP/1.1 200 Connection established\r\n\r\n",
				39) < 0)) {
			strm_error(s, 500, "ERR_INTERNAL", "Out of memory.");
			return;
		}
		s->status = 200;
		s->code = "TCP_TUNNEL";
		s->resp_head_done = 1;
		srv_tunnel(s->srv);
		strm_set_state(s, STRM_TUNNEL);
		return;
	}
	strm_set_state(s, STRM_FORWARD);
}

/*
 * Access control (which may need the destination address), Host
 * verification on intercepted ports, the cache lookup, the routes, and the
 * first route's connect.
 */
void
phase_run(struct stream *s)
{
	const struct cfg *cfg = s->sess->cfg;
	const struct access_list *list;
	const struct access_rule *rule;
	struct acl_ctx ctx;
	enum acl_verdict v;
	unsigned na = 0;
	int rw;

	/* Waiting for an external acl's helper: its answer calls again. */
	if (s->ext_lk != NULL)
		return;
	/* A bumped connection whose server could not be reached securely:
	 * its first request gets the error page. */
	if (bump_pending_error(s))
		return;
	/* client_delay_access: once per connection; everything written to
	 * the client from now on (error pages too) is limited. */
	strm_delay_choose_cli(s);
	/* 1. Access control: http_access, then REQMOD precache (adapt.c:
	 * an ICAP service may change or answer the request), then
	 * url_rewrite_program (below), then adapted_http_access on the
	 * request as adapted and rewritten (Squid's order). Without a
	 * rewriter, adapted_http_access follows at once. */
	rw = cfg->helpers.rewrite.opts.argv != NULL;
	if (!s->access_done || (s->rewrite_done && !s->adapted_done)) {
		auth_prepare(s);
		strm_acl_ctx(s, &ctx);
		/* Only here may srcdomain acls wait for the client's name,
		 * and proxy_auth acls for checked credentials. */
		ctx.name_wait = 1;
		ctx.auth_wait = 1;
		ctx.auth_na = &na;
		rule = NULL;
		if (!s->access_done) {
			list = &cfg->http_access;
			v = s->http_allowed ? ACL_ALLOW :
			    acl_check(list, &ctx, ACL_DENY, &rule);
			if (v == ACL_ALLOW && !s->reqmod_done) {
				s->http_allowed = 1;
				/* ADAPT_NEED: v says what to look up */
				if (adapt_reqmod(s, &ctx, &v) == ADAPT_WAIT)
					return;
			}
		} else {
			list = &cfg->adapted_http_access;
			v = acl_check(list, &ctx, ACL_ALLOW, &rule);
		}
		if (v == ACL_ALLOW && !s->access_done && !rw &&
		    cfg->adapted_http_access.n > 0) {
			list = &cfg->adapted_http_access;
			v = acl_check(list, &ctx, ACL_ALLOW, &rule);
		}
		if ((v == ACL_NEED_DST || v == ACL_NEED_NAME ||
		     v == ACL_NEED_EXT) && phase_acl_wait(s, v, &ctx))
			return;
		/* Credentials to check (the helper's answer comes back
		 * here), or a 407 challenge. */
		if (v == ACL_NEED_AUTH) {
			auth_need(s);
			return;
		}
		auth_na_warn(s, na);
		ctx.name_wait = 0;
		if (!s->access_done && mark_client(s, &ctx) < 0) {
			strm_error(s, 500, "ERR_INTERNAL", "The proxy could "
				   "not mark this connection as configured.");
			return;
		}
		if (v != ACL_ALLOW) {
			/* A CONNECT on a forward port that bumps gets the
			 * answer over TLS (peek.c); deny_info may choose
			 * it. Not a 407: a client answers it only to its
			 * CONNECT (Squid: "no SslBump during proxy
			 * authentication"). */
			if (s->meth == H1_M_CONNECT &&
			    !rules_challenge(list, rule, &ctx) &&
			    peek_connect_denied(s, list, rule))
				return;
			rules_deny(s, list, rule, &ctx, "TCP_DENIED");
			return;
		}
		if (s->access_done || !rw)
			s->adapted_done = 1;
		s->access_done = 1;
		/* A CONNECT's login is its connection's (a bumped one's
		 * requests are this user's). */
		auth_keep_login(s);
		/* A CONNECT on a forward http_port with ssl-bump: the
		 * ssl_bump rules at step 1 (peek.c). */
		if (s->meth == H1_M_CONNECT && peek_connect(s))
			return;
	}
	/* 2. url_rewrite_program (Squid: after http_access and the
	 * adaptation, before adapted_http_access); its answer comes back
	 * here. */
	if (!s->rewrite_done && rewrite_phase(s))
		return;
	if (!s->adapted_done) {
		phase_run(s);	/* adapted_http_access, above */
		return;
	}
	/* 3. Destination: an intercepted request's Host must name where the
	 * client was going (req.c checked literals and ports already). */
	if (s->verify_pending) {
		/* host_verify_learn_dns: a trusted resolver gave the client
		 * this address for Host (src/learn): no lookup needed. */
		if (learn_seen(s->host,
			       (const struct sockaddr *)&s->sess->odst)) {
			s->verify_pending = 0;
		} else {
			lookup(s, s->host, DNS_FOR_VERIFY);
			return;
		}
	}
	/* 3b. The cache: a hit is answered here, before any server is
	 * contacted; a stale stored response gets validators added. After
	 * verification, so that what is stored is known to come from where
	 * the client was going. */
	/* store_id_program: the key the cache uses (its answer comes back
	 * here). */
	if (!s->storeid_done && storeid_phase(s))
		return;
	if (!s->cache_looked) {
		s->cache_looked = 1;
		if (cache_lookup(s))
			return;
	}
	/* A miss: the siblings may have it (they answer in a moment). Not
	 * for a decrypted request: a sibling would get it in the clear. */
	if (s->sess->bumped == NULL &&
	    (s->cache.sibq != NULL || cache_sibling_ask(s)))
		return;
	/* Squid 3's client-first: the client's TLS handshake now, the
	 * server's with each request (bump.c). */
	if (bump_client_first(s))
		return;
	/* 4. Routing; 5. the source address (per candidate address, in
	 * srv_acquire()); 6. connect. */
	if (!s->routes_done) {
		make_routes(s);
		/* A sibling that has the object goes first. */
		if (s->cache.sib_hit && s->nroute < STRM_MAX_ROUTES) {
			memmove(&s->route[1], &s->route[0],
				(size_t)s->nroute * sizeof(s->route[0]));
			s->route[0] = s->cache.sib_peer;
			s->nroute++;
		}
	}
	route_try(s);
}

void
phase_next_route(struct stream *s, const char *why)
{
	log_msg(LOG_INFO, "%s: %s; trying the next route", s->peer ?
		s->peer->host : s->host, why);
	/* The field added for a sibling is not for the others. */
	if (s->cache.oic_len > 0 &&
	    buf_len(&s->req.hd) > s->cache.oic_len + 2) {
		s->req.hd.tail -= s->cache.oic_len;
		memcpy(buf_tail(&s->req.hd) - 2, "\r\n", 2);
		s->cache.oic_len = 0;
	}
	s->route_idx++;
	s->naddr = 0;
	s->addr_idx = 0;
	route_try(s);
}
