/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth.h - proxy authentication of a request (auth_param basic, Squid's
 * src/auth/): its Proxy-Authorization credentials, the Basic helper that
 * checks them (a phase that waits, as url_rewrite does), the credentials
 * cache, and the 407 challenge.
 */
#ifndef TPROXYD_PROXY_AUTH_H
#define TPROXYD_PROXY_AUTH_H

struct acl_ctx;
struct stream;

/* Read the request's credentials once (before its first access check):
 * s->auth says where it stands (enum acl_auth). */
void auth_prepare(struct stream *s);
/* Put s's authentication state into an acl context. */
void auth_acl_ctx(const struct stream *s, struct acl_ctx *ctx);
/*
 * http_access reached a proxy_auth acl without accepted credentials
 * (ACL_NEED_AUTH). 1: the helper was asked, its answer comes back to
 * phase_run(); 0: the client was sent a 407 challenge.
 */
int auth_need(struct stream *s);
/* Answer with Squid's ERR_CACHE_ACCESS_DENIED page: 407 with
 * Proxy-Authenticate (ERR_ACCESS_DENIED 403 on a decrypted request,
 * where no credentials can be asked for); page NULL: the default
 * page. */
void auth_challenge(struct stream *s, const char *page);
/* The Proxy-Authenticate lines of s's challenge, one per configured
 * scheme (a Digest one with a new nonce), each ending with CRLF (static
 * storage, valid until the next call). */
const char *auth_challenge_fields(struct stream *s);
/* Log the "not applicable on intercepted requests" warning when n
 * proxy_auth acls were reached on an intercepted request. */
void auth_na_warn(const struct stream *s, unsigned n);
/* An allowed CONNECT that logged in: its user becomes the connection's
 * (the requests decrypted inside it are that user's, as in Squid). */
void auth_keep_login(struct stream *s);
/* The accepted user name (or the connection's, for what a bumped
 * CONNECT carries), or NULL (for logs). */
const char *auth_user(const struct stream *s);
/* Stop waiting for the helper (a request that goes away); the lookup is
 * cancelled when nobody else waits for it. */
void auth_cancel(struct stream *s);
/* Forget the credentials (end of a request). */
void auth_clear(struct stream *s);

#endif
