/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sibling-t.h - types of sibling.c: asking sibling caches whether they
 * hold a URL (ICP, HTCP) and answering their questions.
 *
 * The module takes its own small options struct (struct sib_opts) rather
 * than struct cfg, so that the lead fills it from cfg_cache (icp_port,
 * htcp_port, icp_access, htcp_access, htcp_clr_access, icp_query_timeout*)
 * and the cache_peer lines marked sibling (cfg_peer: host, icp_port,
 * htcp, no_query), and so that tests can run it without a squid.conf.
 */
#ifndef TPROXYD_PROXY_SIBLING_T_H
#define TPROXYD_PROXY_SIBLING_T_H

#include <stddef.h>
#include <sys/socket.h>

#include "acl/acl-t.h"
#include "core/str.h"

/*
 * One sibling the client side asks. The lead owns the array (struct
 * sib_opts.peers) and keeps it alive from sib_start() to sib_stop();
 * sibling.c writes only the fields under "run time".
 */
struct sib_peer {
	const char *name;		/* cache_peer name=, for logs */
	struct sockaddr_storage addr;	/* host and ICP_PORT (with htcp,
					   the HTCP port), as resolved */
	socklen_t   addrlen;
	int         htcp;		/* ask by HTCP TST, not ICP */
	int         no_query;		/* never asked */
	void       *data;		/* the lead's: its struct cfg_peer,
					   its HTTP port... */

	/* Run time (sibling.c), zero before sib_start(). */
	double      rtt;		/* mean round trip (s), Squid's
					   running average; 0: no sample */
	unsigned    nrtt;		/* samples so far */
	double      probe_start;	/* first query since the last reply
					   (0: none unanswered) */
	unsigned long sent, hits, misses;
};

/* A query answered by the server side, for the access.log line Squid
 * writes (log_icp_queries): "client ... UDP_HIT/000 bytes ICP_QUERY url". */
struct sib_log {
	const struct sockaddr *client;	/* who asked */
	const char *method;		/* "ICP_QUERY", "HTCP_TST",
					   "HTCP_CLR" */
	const char *code;		/* "UDP_HIT", "UDP_MISS", "UDP_DENIED",
					   "UDP_INVALID" */
	struct str  url;		/* view into the query; may be empty */
	size_t      bytes;		/* the reply's size, 0: none sent */
};

struct sib_opts {
	/* Server side: 0 closes the port. Bound to udp_in (port ignored)
	 * when not NULL, else to 0.0.0.0 and [::] (when IPv6 works), as
	 * Squid binds udp_incoming_address. */
	unsigned    icp_port;
	unsigned    htcp_port;
	const struct sockaddr *udp_in;
	/* Who may ask (src acls; the URL is in the ctx too). NULL or empty
	 * denies all, as in Squid. htcp_clr_access: who may make us drop
	 * a URL by HTCP CLR. */
	const struct access_list *icp_access;
	const struct access_list *htcp_access;
	const struct access_list *htcp_clr_access;
	/* Whether a fresh response for url (len bytes, not NUL-terminated)
	 * is stored: 1 fresh hit, 0 miss. Called from the loop, must not
	 * block. NULL: always a miss. */
	int       (*lookup)(const char *url, size_t len);
	/* HTCP CLR: drop url from the store; 1 something was dropped, 0
	 * nothing stored. NULL: CLR requests get no answer and drop
	 * nothing. */
	int       (*clear)(const char *url, size_t len);
	/* Called once per query the server side answered or refused
	 * (NULL: not logged). The record lives for the call. */
	void      (*log)(const struct sib_log *l);

	/* Client side. */
	struct sib_peer *peers;		/* a peer with addrlen 0 (its name
					   not resolved yet) is skipped */
	size_t      npeers;
	/* Whether this query may ask this sibling (cache_peer_access:
	 * Squid pings only peers the request may use); arg is the
	 * query's. NULL: every sibling. */
	int       (*may_ask)(const struct sib_peer *p, void *arg);
	double      query_timeout;	/* icp_query_timeout (s); 0: twice
					   the mean round trip, within: */
	double      timeout_min;	/* minimum_icp_query_timeout, 0.05 */
	double      timeout_max;	/* maximum_icp_query_timeout, 2 */
	double      dead_peer_timeout;	/* dead_peer_timeout, 10: a peer
					   silent that long is still asked
					   but no longer waited for */
};

struct sib_query;

/*
 * The answer to sib_query(): hit is the first sibling that said HIT, or
 * NULL when every sibling waited for said something else or the timeout
 * passed. Called once, from the loop (never from inside sib_query());
 * the query is freed when it returns, so the callback must not
 * sib_cancel() it. It may start other queries.
 */
typedef void sib_cb(void *arg, struct sib_peer *hit);

#endif
