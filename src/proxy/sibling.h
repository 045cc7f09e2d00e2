/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sibling.h - sibling caches (ICP, HTCP): the server side answers their
 * queries from the store (through sib_opts.lookup), the client side asks
 * them on a miss. See sibling-t.h.
 *
 * How the lead wires it (Squid's behaviour for a sibling HIT):
 *   - at start and on reload: sib_opts_from_cfg(), resolve the siblings
 *     named by host name (dns.c) into their sib_peer.addr, set lookup /
 *     clear / log / may_ask, sib_start(). One process only may hold the
 *     ports (no SO_REUSEPORT): with workers, pick one, as Squid's
 *     coordinator does;
 *   - on a cache miss that may be stored, q = sib_query(url, ...) and
 *     keep q in the stream; if the stream ends first, sib_cancel(q);
 *   - cb(arg, peer): peer != NULL: send the request to that sibling's
 *     HTTP port (its struct cfg_peer: c->peer[(uintptr_t)peer->data])
 *     as to a proxy, never spoofing the client's address (no-tproxy:
 *     the sibling must see us), with "Cache-Control: only-if-cached"
 *     added (Squid does; test_sibling.py sees it) so that a sibling that
 *     lost the object answers 504 instead of fetching it (then go
 *     direct); do not store the answer if the peer is proxy-only.
 *     peer == NULL: go direct (or to a parent) as usual;
 *   - log: one access.log line per query answered, as Squid's
 *     log_icp_queries: "TIME 0 CLIENT UDP_HIT/000 BYTES ICP_QUERY URL
 *     - HIER_NONE/- -".
 *
 * Differences from Squid, on purpose: an ICP_DENIED reply ends the wait
 * for that sibling (Squid ignores it and waits for the timeout); a
 * sibling's own ICP port is not needed to ask (an ephemeral socket is
 * used when icp_port / htcp_port is closed).
 *
 * Interoperability notes (seen with Squid 5.7, test_sibling.py): Squid
 * drops ICP datagrams coming from its own ICP address whatever their port,
 * so tproxyd and a Squid sibling on one host need different addresses;
 * Squid's HTCP TST carries VERSION "1/1" and an empty REQ-HDRS.
 */
#ifndef TPROXYD_PROXY_SIBLING_H
#define TPROXYD_PROXY_SIBLING_H

#include <stddef.h>

#include "proxy/sibling-t.h"

struct cfg;

/*
 * Open the ICP and HTCP ports o asks for and a client socket per family
 * the peers need; copies o (the peer array and access lists it points to
 * must live until sib_stop()). Returns 0, or -1 with a message in
 * err[0..errlen) (e.g. "cannot open the ICP port socket on
 * 0.0.0.0:3130: Address already in use"); then nothing is left open.
 * Needs evl_init() first. The callbacks run from the loop and must not
 * call sib_start() or sib_stop().
 */
int sib_start(const struct sib_opts *o, char *err, size_t errlen);

/* Close everything; the queries still waiting get their callbacks with
 * no hit (their askers go on without the siblings), from inside this
 * call. */
void sib_stop(void);

/*
 * Ask every sibling that is not no-query whether it has url (len bytes;
 * an absolute URL as the store keys it). Returns a handle, owned by this
 * module, valid until cb runs or sib_cancel(); or NULL when no sibling
 * was asked (none configured, or no datagram could be sent): then cb is
 * never called and the caller goes direct at once.
 */
struct sib_query *sib_query(const char *url, size_t len, sib_cb *cb,
			    void *arg);

/* Forget a query whose cb has not run yet; cb never runs. */
void sib_cancel(struct sib_query *q);

/* The timeout a query started now would get (seconds), for logs and
 * tests. */
double sib_timeout(void);

/*
 * sibling_cfg.c: fill o from c (cfg_cache's icp_port, htcp_port,
 * icp_access, htcp_access, htcp_clr_access, icp_query_timeout and its
 * bounds; o points into c, which must outlive the module's use of it) and
 * *peersp with a new array (the caller frees it after sib_stop()) of one
 * peer per "cache_peer ... sibling" line, in order: name, htcp, no_query
 * (also for ICP_PORT 0), data = the index of its struct cfg_peer in
 * c->peer, addr = HOST:ICP_PORT when HOST is an IP literal; a host name
 * leaves addrlen 0 (not asked) until the caller has resolved it and set
 * addr (port included) and addrlen. Returns the number of siblings (0:
 * *peersp NULL) or -ENOMEM.
 */
int sib_opts_from_cfg(struct sib_opts *o, const struct cfg *c,
		      struct sib_peer **peersp);

/* The ICP and HTCP ports the server side listens on (0: closed), and
 * whether an IPv6 socket is open beside the IPv4 one. */
unsigned sib_icp_port(void);
unsigned sib_htcp_port(void);
int sib_has_ipv6(void);

#endif
