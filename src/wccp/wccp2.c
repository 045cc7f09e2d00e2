/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wccp2.c - the WCCPv2 control plane of a serving process.
 *
 * One UDP socket on wccp2_address:2048. For every service group
 * (wccp2_service) and every wccp2_router, tproxyd announces itself with
 * HERE_I_AM every WCCP2_HELLO_S seconds, whether or not the router
 * answers (a silent router is retried for ever, and logged once). Each
 * I_SEE_YOU updates that router's view: the caches it sees and their
 * weights. The caches to assign are those every live router that sees
 * us reports (draft 4.8.1: "only those web-caches seen by every
 * router"); the designated cache is the lowest address among them (4.9).
 * When that is us, we send REDIRECT_ASSIGN to every live router that
 * sees us: the 256 hash buckets spread by weight (or mask values). A
 * REMOVAL_QUERY naming us is answered with three HERE_I_AM, HERE_I_AM_T /
 * 10 apart (4.14), so that the router keeps us.
 *
 * Timers (draft-wilson-wrec-wccp-v2-01 section 4): HERE_I_AM_T = 10 s; a
 * router that has not answered for 3 * HERE_I_AM_T is considered gone
 * (its view no longer counts). The router, not us, removes a silent cache
 * from its view (after 3 * HERE_I_AM_T); we then see the change.
 *
 * Assignment timing (4.8.1, 4.8.2, 4.9): after any change of the view
 * the designated cache waits 1.5 * HERE_I_AM_T, restarted by every
 * further change, so that the membership settles before buckets move
 * (each move sends established connections back to the router: see
 * gre_return.c). The assignment is then sent with a new key change
 * number, and repeated every HERE_I_AM_T only to a router whose
 * I_SEE_YOU does not reflect that key (it has not received it).
 *
 * Capabilities (4.4, 4.5): a router whose I_SEE_YOU does not offer our
 * forwarding, assignment or packet return method (no Capabilities
 * component: GRE, hash, GRE only) is not joined through: its messages
 * are ignored, with one ERROR line.
 *
 * Everything here runs on the event loop; nothing blocks. Errors are
 * logged and never stop the proxy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "event/loop.h"
#include "log/log.h"
#include "wccp/gre.h"
#include "wccp/wccp2.h"

#define WCCP2_HELLO_S		10.0	/* HERE_I_AM_T */
#define WCCP2_ROUTER_DEAD_S	(3 * WCCP2_HELLO_S)
#define WCCP2_SETTLE_S		(1.5 * WCCP2_HELLO_S)	/* 4.8.1 */
#define WCCP2_QUERY_REPEAT	3	/* HERE_I_AMs answering a query */
/* Cisco's default mask: 6 bits of the address, 64 values. */
#define WCCP2_DEFAULT_MASK	0x1741u

/* What one router told us in its last I_SEE_YOU for one service. */
struct w2_router {
	struct sockaddr_in sa;		/* where we send (config) */
	uint32_t        ip;		/* the configured address */
	uint32_t        local_ip;	/* our address toward it */
	uint32_t        id;		/* its Router ID (may differ from ip) */
	uint32_t        recv_id;
	uint32_t        change;		/* its member change number */
	int             alive;		/* answered within the timeout */
	int             sees_us;	/* we are in its view */
	int             caps_bad;	/* offers none of our methods */
	int             query_left;	/* HERE_I_AMs still owed to a
					   REMOVAL_QUERY */
	uint32_t        key_ip;		/* the assignment key it reflects */
	uint32_t        key_change;
	double          last_seen;
	uint32_t        ncaches;
	uint32_t        cache[WCCP2_MAX_CACHES];
	uint16_t        weight[WCCP2_MAX_CACHES];
};

struct w2_service {
	const struct cfg_wccp2_service *cf;
	struct wccp2_service wire;
	struct w2_router *router;	/* one per wccp2_router */
	uint32_t        view_change;	/* our Web-Cache View change no. */
	uint32_t        assign_change;	/* our assignment key change no. */
	uint32_t        last_sig;	/* of the view last seen designated */
	int             designated;
	double          assign_due;	/* settle time ends (0: none) */
	double          assign_sent;	/* last REDIRECT_ASSIGN sent */
};

static struct {
	int             owner;	/* wccp2_start() was called here: this
				   process runs WCCP (kid1 only) */
	int             left;	/* GRE forwarding stopped working: we
				   send nothing, so the routers drop us */
	struct cfg     *c;
	int             fd;
	struct evl_io   io;
	struct evl_timer hello;
	struct evl_timer assign;	/* the earliest assign_due */
	struct evl_timer query;		/* REMOVAL_QUERY answers */
	struct w2_service *svc;
	size_t          nsvc;
	uint8_t         buf[WCCP2_MSG_MAX];
} w2 = { .fd = -1 };

static void control_stop(void);

static const char *
ipstr(uint32_t ip)
{
	static char b[4][16];
	static unsigned i;

	i = (i + 1) % 4;
	return wccp2_ip_str(ip, b[i], sizeof(b[i]));
}

/* Our source address toward a router: a connect()ed UDP socket asks the
 * routing table without sending anything. */
static uint32_t
local_ip_for(const struct sockaddr_in *to)
{
	struct sockaddr_in me;
	socklen_t sl = sizeof(me);
	int fd;
	uint32_t ip = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &sl) == 0)
		ip = ntohl(me.sin_addr.s_addr);
	close(fd);
	return ip;
}

static uint32_t
my_ip(const struct w2_router *r)
{
	const struct sockaddr_in *a =
	    (const struct sockaddr_in *)&w2.c->wccp2.address;

	if (a->sin_family == AF_INET && a->sin_addr.s_addr != INADDR_ANY)
		return ntohl(a->sin_addr.s_addr);
	return r->local_ip;
}

static void
fill_service_header(struct wccp2_msg *m, struct w2_service *s, uint32_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->security = s->cf->password ? WCCP2_SEC_MD5 : WCCP2_SEC_NONE;
	m->has_service = 1;
	m->service = s->wire;
}

static void
send_msg(struct w2_service *s, struct w2_router *r, struct wccp2_msg *m)
{
	int n;

	if (w2.left)	/* not a member while we cannot serve */
		return;
	n = wccp2_encode(m, s->cf->password, w2.buf, sizeof(w2.buf));
	if (n < 0) {
		log_msg(LOG_CRIT, "ERROR: WCCPv2: cannot build %s: %s",
			wccp2_type_str(m->type), wccp2_strerror(n));
		return;
	}
	if (sendto(w2.fd, w2.buf, (size_t)n, 0,
		   (const struct sockaddr *)&r->sa, sizeof(r->sa)) < 0)
		log_msg(LOG_INFO, "WCCPv2: sending %s to %s: %s",
			wccp2_type_str(m->type), ipstr(r->ip), strerror(errno));
}

/* The union of the live routers' views: caches sorted by address with
 * the weight the first router reported. Returns the count. */
static uint32_t
view_caches(const struct w2_service *s, uint32_t *ip, uint16_t *weight)
{
	uint32_t n = 0, i, j, k;
	size_t ri;

	for (ri = 0; ri < w2.c->wccp2.nrouter; ri++) {
		const struct w2_router *r = &s->router[ri];

		if (!r->alive)
			continue;
		for (i = 0; i < r->ncaches; i++) {
			for (j = 0; j < n && ip[j] < r->cache[i]; j++)
				;
			if (j < n && ip[j] == r->cache[i])
				continue;
			if (n == WCCP2_MAX_CACHES)
				break;
			for (k = n; k > j; k--) {
				ip[k] = ip[k - 1];
				weight[k] = weight[k - 1];
			}
			ip[j] = r->cache[i];
			weight[j] = r->weight[i];
			n++;
		}
	}
	return n;
}

/* Does router r report cache ip? */
static int
router_sees(const struct w2_router *r, uint32_t ip)
{
	uint32_t i;

	for (i = 0; i < r->ncaches; i++)
		if (r->cache[i] == ip)
			return 1;
	return 0;
}

/*
 * The caches to assign buckets to (draft 4.8.1: "only those web-caches
 * seen by every router in the Service Group"): of the union, those that
 * every live router seeing us reports. Sorted by address. Returns the
 * count (0 when no router sees us).
 */
static uint32_t
assign_caches(const struct w2_service *s, uint32_t *ip, uint16_t *weight)
{
	uint32_t n = view_caches(s, ip, weight), i, k = 0;
	size_t ri;
	int all, any = 0;

	for (i = 0; i < n; i++) {
		all = 1;
		for (ri = 0; ri < w2.c->wccp2.nrouter; ri++) {
			const struct w2_router *r = &s->router[ri];

			if (!r->alive || !r->sees_us)
				continue;
			any = 1;
			if (!router_sees(r, ip[i]))
				all = 0;
		}
		if (all) {
			ip[k] = ip[i];
			weight[k] = weight[i];
			k++;
		}
	}
	return any ? k : 0;
}

/* FNV-1a over what an assignment depends on (the caches to assign, with
 * their weights, and the routers that see us), to notice any change. */
static uint32_t
view_sig(const struct w2_service *s)
{
	uint32_t ip[WCCP2_MAX_CACHES], h = 2166136261u, v, i;
	uint16_t wt[WCCP2_MAX_CACHES];
	uint32_t n = assign_caches(s, ip, wt);
	size_t ri;
	int b;

	for (i = 0; i < n + w2.c->wccp2.nrouter; i++) {
		if (i < n)
			v = ip[i] ^ ((uint32_t)wt[i] << 7);
		else {
			ri = i - n;
			v = s->router[ri].alive && s->router[ri].sees_us ?
			    s->router[ri].ip : 0;
		}
		for (b = 0; b < 4; b++) {
			h ^= (v >> (8 * b)) & 0xff;
			h *= 16777619u;
		}
	}
	return h;
}

static void
send_here_i_am(struct w2_service *s, struct w2_router *r)
{
	static struct wccp2_msg m;
	uint16_t wt[WCCP2_MAX_CACHES];
	size_t i;

	fill_service_header(&m, s, WCCP2_HERE_I_AM);
	m.has_wc_id = 1;
	m.wc_id.ip = my_ip(r);
	m.wc_id.weight = (uint16_t)w2.c->wccp2.weight;
	if (w2.c->wccp2.assignment_method == WCCP2_ASSIGN_MASK) {
		m.wc_id.flags = WCCP2_WCD_MASK << WCCP2_WCF_TYPE_SHIFT;
		m.wc_id.nmask = 1;
		if (s->wire.flags & WCCP2_SF_DST_IP_HASH)
			m.wc_id.mask[0].dst_ip_mask = WCCP2_DEFAULT_MASK;
		else
			m.wc_id.mask[0].src_ip_mask = WCCP2_DEFAULT_MASK;
	}
	m.has_wc_view = 1;
	m.wc_view.change = s->view_change;
	for (i = 0; i < w2.c->wccp2.nrouter; i++) {
		if (!s->router[i].alive)
			continue;
		m.wc_view.router[m.wc_view.nrouters].ip = s->router[i].id;
		m.wc_view.router[m.wc_view.nrouters].recv_id =
		    s->router[i].recv_id;
		m.wc_view.nrouters++;
	}
	m.wc_view.ncaches = view_caches(s, m.wc_view.cache, wt);
	m.has_caps = 1;
	m.cap_forward = w2.c->wccp2.forwarding_method;
	m.cap_assign = w2.c->wccp2.assignment_method;
	m.cap_return = w2.c->wccp2.return_method;
	send_msg(s, r, &m);
}

/* Our address as the routers that see us know it (the first one's), or
 * 0 when none does. */
static uint32_t
me_seen(const struct w2_service *s)
{
	size_t ri;

	for (ri = 0; ri < w2.c->wccp2.nrouter; ri++)
		if (s->router[ri].alive && s->router[ri].sees_us)
			return my_ip(&s->router[ri]);
	return 0;
}

/*
 * Build the REDIRECT_ASSIGN of key change s->assign_change for the
 * current view and send it to router only, or (only == NULL) to every
 * live router that sees us.
 */
static void
send_assignment(struct w2_service *s, struct w2_router *only)
{
	static struct wccp2_msg m;
	uint32_t ip[WCCP2_MAX_CACHES], n, me = me_seen(s);
	uint16_t wt[WCCP2_MAX_CACHES];
	uint8_t bucket[WCCP2_NBUCKETS];
	size_t ri;

	n = assign_caches(s, ip, wt);
	if (n == 0 || me == 0)
		return;

	fill_service_header(&m, s, WCCP2_REDIRECT_ASSIGN);
	m.has_assign = 1;
	m.assign.key_ip = me;
	m.assign.key_change = s->assign_change;
	for (ri = 0; ri < w2.c->wccp2.nrouter; ri++) {
		struct w2_router *r = &s->router[ri];

		if (!r->alive || !r->sees_us)
			continue;
		m.assign.router[m.assign.nrouters].ip = r->id;
		m.assign.router[m.assign.nrouters].recv_id = r->recv_id;
		m.assign.router[m.assign.nrouters].change = r->change;
		m.assign.nrouters++;
	}
	wccp2_spread_buckets(wt, n, bucket);
	if (w2.c->wccp2.assignment_method == WCCP2_ASSIGN_MASK) {
		/* 64 values of the 6-bit mask, shared like the buckets. */
		struct wccp2_mask_elem *me_ = &m.assign.mask.mask[0];
		uint32_t v, bit, k;

		m.assign.type = WCCP2_AT_MASK;
		m.assign.alternate = 1;
		m.assign.mask.nmask = 1;
		if (s->wire.flags & WCCP2_SF_DST_IP_HASH)
			me_->dst_ip_mask = WCCP2_DEFAULT_MASK;
		else
			me_->src_ip_mask = WCCP2_DEFAULT_MASK;
		me_->nval = 64;
		m.assign.mask.nval = 64;
		for (v = 0; v < 64; v++) {
			uint32_t val = 0;

			/* spread the 6 bits of v over the mask's bits */
			for (bit = 0, k = 0; bit < 32; bit++)
				if (WCCP2_DEFAULT_MASK & (1u << bit))
					val |= ((v >> k++) & 1u) << bit;
			if (me_->dst_ip_mask)
				m.assign.mask.val[v].dst_ip = val;
			else
				m.assign.mask.val[v].src_ip = val;
			m.assign.mask.val[v].cache_ip = ip[bucket[v * 4]];
		}
	} else {
		m.assign.ncaches = n;
		memcpy(m.assign.cache, ip, n * sizeof(ip[0]));
		memcpy(m.assign.bucket, bucket, sizeof(bucket));
	}
	for (ri = 0; ri < w2.c->wccp2.nrouter; ri++) {
		if (!s->router[ri].alive || !s->router[ri].sees_us)
			continue;
		if (only != NULL && only != &s->router[ri])
			continue;
		send_msg(s, &s->router[ri], &m);
	}
	s->assign_sent = evl_now();
}

/* Arm w2.assign for the earliest pending assignment, if any. */
static void
arm_assign_timer(void)
{
	double due = 0, now = evl_now();
	size_t i;

	for (i = 0; i < w2.nsvc; i++)
		if (w2.svc[i].assign_due != 0 &&
		    (due == 0 || w2.svc[i].assign_due < due))
			due = w2.svc[i].assign_due;
	if (due == 0) {
		evl_timer_stop(&w2.assign);
		return;
	}
	evl_timer_arm(&w2.assign, due > now ? due - now : 0.001);
}

/*
 * After anything that may change who is designated or what the
 * assignment would be (an I_SEE_YOU, a router gone): decide whether we
 * are the designated cache and, when the view changed, (re)start the
 * settle time after which the assignment is sent (assign_cb).
 */
static void
assign_check(struct w2_service *s)
{
	uint32_t ip[WCCP2_MAX_CACHES], n, sig, me = me_seen(s);
	uint16_t wt[WCCP2_MAX_CACHES];
	int designated;

	n = assign_caches(s, ip, wt);
	designated = n > 0 && me != 0 && ip[0] == me;
	if (designated != s->designated)
		log_msg(LOG_INFO, "WCCPv2: service %u: %s the designated cache",
			s->wire.id, designated ? "now" : "no longer");
	s->designated = designated;
	if (!designated) {
		/* Becoming designated again is a change in itself. */
		s->last_sig = 0;
		if (s->assign_due != 0) {
			s->assign_due = 0;
			arm_assign_timer();
		}
		return;
	}
	sig = view_sig(s);
	if (sig == s->last_sig)
		return;
	s->last_sig = sig;
	s->assign_due = evl_now() + WCCP2_SETTLE_S;
	log_msg(LOG_INFO, "WCCPv2: service %u: the view changed (%u "
		"cache(s) to assign); assigning in %.0f s unless it changes "
		"again", s->wire.id, n, WCCP2_SETTLE_S);
	arm_assign_timer();
}

/* The settle time of some service ended: assign. */
static void
assign_cb(struct evl_timer *t)
{
	uint32_t ip[WCCP2_MAX_CACHES], n;
	uint16_t wt[WCCP2_MAX_CACHES];
	double now = evl_now();
	size_t i;

	(void)t;
	for (i = 0; i < w2.nsvc; i++) {
		struct w2_service *s = &w2.svc[i];

		if (s->assign_due == 0 || s->assign_due > now + 0.001)
			continue;
		s->assign_due = 0;
		if (!s->designated)
			continue;
		n = assign_caches(s, ip, wt);
		s->assign_change++;
		log_msg(LOG_INFO, "WCCPv2: service %u: assigning to %u "
			"cache(s) (key change %u)", s->wire.id, n,
			s->assign_change);
		send_assignment(s, NULL);
	}
	arm_assign_timer();
}

/*
 * The periodic repeat (draft 4.8.1): to each router whose I_SEE_YOU,
 * newer than our last REDIRECT_ASSIGN, does not reflect its key.
 */
static void
assign_repeat(struct w2_service *s)
{
	uint32_t me = me_seen(s);
	size_t ri;

	if (!s->designated || s->assign_due != 0 || s->assign_change == 0 ||
	    evl_now() - s->assign_sent < 0.9 * WCCP2_HELLO_S)
		return;
	for (ri = 0; ri < w2.c->wccp2.nrouter; ri++) {
		struct w2_router *r = &s->router[ri];

		if (!r->alive || !r->sees_us || r->last_seen <= s->assign_sent)
			continue;
		if (r->key_ip == me && r->key_change == s->assign_change)
			continue;
		log_msg(LOG_INFO, "WCCPv2: service %u: router %s has not "
			"taken assignment %u (it reflects %s/%u); sending it "
			"again", s->wire.id, ipstr(r->ip), s->assign_change,
			ipstr(r->key_ip), r->key_change);
		send_assignment(s, r);
	}
}

static struct w2_service *
find_service(const struct wccp2_service *ws)
{
	size_t i;

	for (i = 0; i < w2.nsvc; i++)
		if (w2.svc[i].wire.type == ws->type &&
		    w2.svc[i].wire.id == ws->id)
			return &w2.svc[i];
	return NULL;
}

static struct w2_router *
find_router(struct w2_service *s, uint32_t src, uint32_t id)
{
	size_t i;

	for (i = 0; i < w2.c->wccp2.nrouter; i++)
		if (s->router[i].ip == src || s->router[i].ip == id)
			return &s->router[i];
	return NULL;
}

/* Which of our methods the router's I_SEE_YOU does not offer, or NULL.
 * An absent capability means the draft's default: GRE forwarding, hash
 * assignment, GRE packet return (4.4, 4.5). */
static const char *
caps_missing(const struct wccp2_msg *m)
{
	uint32_t fwd = m->cap_forward ? m->cap_forward : WCCP2_METHOD_GRE;
	uint32_t asg = m->cap_assign ? m->cap_assign : WCCP2_ASSIGN_HASH;
	uint32_t ret = m->cap_return ? m->cap_return : WCCP2_METHOD_GRE;

	if (!(fwd & w2.c->wccp2.forwarding_method))
		return "wccp2_forwarding_method";
	if (!(asg & w2.c->wccp2.assignment_method))
		return "wccp2_assignment_method";
	if (!(ret & w2.c->wccp2.return_method))
		return "wccp2_return_method";
	return NULL;
}

static void
on_i_see_you(struct w2_service *s, struct w2_router *r,
	     const struct wccp2_msg *m)
{
	uint32_t i, me = my_ip(r);
	const char *bad = caps_missing(m);
	int sees = 0;

	if (bad != NULL) {
		/* Draft 4.4/4.5: the cache abandons joining through it. */
		if (!r->caps_bad)
			log_msg(LOG_CRIT, "ERROR: WCCPv2: service %u: router "
				"%s does not offer our %s (it offers "
				"forwarding 0x%x, assignment 0x%x, return "
				"0x%x); not joining through it", s->wire.id,
				ipstr(r->ip), bad, m->cap_forward,
				m->cap_assign, m->cap_return);
		r->caps_bad = 1;
		if (r->alive) {
			r->alive = 0;
			r->sees_us = 0;
			s->view_change++;
			assign_check(s);
		}
		return;
	}
	if (r->caps_bad)
		log_msg(LOG_CRIT, "WCCPv2: service %u: router %s now offers "
			"our methods", s->wire.id, ipstr(r->ip));
	r->caps_bad = 0;
	if (!r->alive)
		log_msg(LOG_CRIT, "WCCPv2: service %u: router %s answers "
			"(router id %s)", s->wire.id, ipstr(r->ip),
			ipstr(m->router_id.id.ip));
	r->alive = 1;
	r->last_seen = evl_now();
	r->id = m->router_id.id.ip;
	r->recv_id = m->router_id.id.recv_id;
	if (r->change != m->router_view.change)
		s->view_change++;
	r->change = m->router_view.change;
	r->key_ip = m->router_view.key_ip;
	r->key_change = m->router_view.key_change;
	r->ncaches = m->router_view.ncaches;
	for (i = 0; i < r->ncaches; i++) {
		r->cache[i] = m->router_view.cache[i].ip;
		r->weight[i] = m->router_view.cache[i].weight;
		if (r->cache[i] == me)
			sees = 1;
	}
	r->sees_us = sees;
	assign_check(s);
}

/* Send the HERE_I_AMs still owed to REMOVAL_QUERYs (draft 4.14: three
 * in all, HERE_I_AM_T / 10 apart). */
static void
query_cb(struct evl_timer *t)
{
	size_t i, j;
	int more = 0;

	for (i = 0; i < w2.nsvc; i++)
		for (j = 0; j < w2.c->wccp2.nrouter; j++) {
			struct w2_router *r = &w2.svc[i].router[j];

			if (r->query_left <= 0)
				continue;
			send_here_i_am(&w2.svc[i], r);
			if (--r->query_left > 0)
				more = 1;
		}
	if (more)
		evl_timer_arm(t, WCCP2_HELLO_S / 10);
}

static void
on_removal_query(struct w2_service *s, struct w2_router *r,
		 const struct wccp2_msg *m)
{
	if (m->query.target != my_ip(r))
		return;
	log_msg(LOG_INFO, "WCCPv2: service %u: router %s asks whether we "
		"are still here; answering", s->wire.id, ipstr(r->ip));
	send_here_i_am(s, r);
	r->query_left = WCCP2_QUERY_REPEAT - 1;
	if (!evl_timer_active(&w2.query))
		evl_timer_arm(&w2.query, WCCP2_HELLO_S / 10);
}

static void
io_cb(struct evl_io *io, int revents)
{
	static struct wccp2_msg m;
	struct sockaddr_in from;
	socklen_t fl;
	struct w2_service *s;
	struct w2_router *r;
	ssize_t n;
	int rc, budget = 64;
	uint32_t src;

	(void)io;
	(void)revents;
	while (budget-- > 0) {
		fl = sizeof(from);
		n = recvfrom(w2.fd, w2.buf, sizeof(w2.buf), 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;	/* EAGAIN, or an ICMP error: try later */
		src = ntohl(from.sin_addr.s_addr);
		rc = wccp2_decode(w2.buf, (size_t)n, &m);
		if (rc < 0) {
			log_msg(LOG_INFO, "WCCPv2: ignoring a message from "
				"%s: %s", ipstr(src), wccp2_strerror(rc));
			continue;
		}
		if (m.type != WCCP2_I_SEE_YOU && m.type != WCCP2_REMOVAL_QUERY)
			continue;	/* another cache's, or our own */
		s = find_service(&m.service);
		if (s == NULL)
			continue;
		r = find_router(s, src, m.type == WCCP2_I_SEE_YOU ?
				m.router_id.id.ip : m.query.id.ip);
		if (r == NULL) {
			log_msg(LOG_INFO, "WCCPv2: ignoring %s from %s: not a "
				"wccp2_router", wccp2_type_str(m.type),
				ipstr(src));
			continue;
		}
		/* Security: with a password every message must carry a
		 * matching MD5; without one, MD5 messages are refused too
		 * (the router expects a password we do not know). */
		if ((s->cf->password != NULL) != (m.security == WCCP2_SEC_MD5)
		    || (s->cf->password != NULL &&
			wccp2_md5_verify(w2.buf, (size_t)n, m.md5_off,
					 s->cf->password) < 0)) {
			log_msg(LOG_CRIT, "SECURITY ALERT: WCCPv2: service %u: "
				"%s from %s fails the security check (%s); "
				"ignored", s->wire.id, wccp2_type_str(m.type),
				ipstr(src), s->cf->password ?
				"wrong or missing MD5 password" :
				"it uses MD5 but no password is set");
			continue;
		}
		if (m.type == WCCP2_I_SEE_YOU)
			on_i_see_you(s, r, &m);
		else
			on_removal_query(s, r, &m);
	}
}

/*
 * With GRE forwarding, is the data plane still there? When the TUN
 * device is removed or set down, every packet the routers redirect to us
 * would be lost: stop announcing (send nothing at all), so that each
 * router removes this cache after 3 * HERE_I_AM_T and forwards its
 * buckets' traffic again. A device set up again brings us back.
 */
static void
gre_check(void)
{
	const char *why;

	if (w2.c->wccp2.forwarding_method != WCCP2_METHOD_GRE)
		return;
	why = wccp2_gre_down();
	if (why != NULL && !w2.left)
		log_msg(LOG_CRIT, "ERROR: WCCPv2: GRE forwarding stopped "
			"working (%s): leaving the service group(s): no more "
			"HERE_I_AM, the routers remove this cache within %.0f "
			"s and forward its traffic themselves%s", why,
			WCCP2_ROUTER_DEAD_S, strstr(why, "removed") ?
			"; restart tproxyd to create the device again" : "");
	else if (why == NULL && w2.left)
		log_msg(LOG_CRIT, "WCCPv2: GRE forwarding works again (%s is "
			"up): announcing this cache again", WCCP2_GRE_TUN_NAME);
	w2.left = why != NULL;
}

static void
hello_cb(struct evl_timer *t)
{
	struct w2_service *s;
	struct w2_router *r;
	size_t i, j;
	double now = evl_now();

	gre_check();
	for (i = 0; i < w2.nsvc; i++) {
		s = &w2.svc[i];
		for (j = 0; j < w2.c->wccp2.nrouter; j++) {
			r = &s->router[j];
			if (r->alive &&
			    now - r->last_seen > WCCP2_ROUTER_DEAD_S) {
				log_msg(LOG_CRIT, "WARNING: WCCPv2: service "
					"%u: router %s stopped answering; "
					"still announcing", s->wire.id,
					ipstr(r->ip));
				r->alive = 0;
				r->sees_us = 0;
				s->view_change++;
			}
			if (r->local_ip == 0)	/* route appeared later? */
				r->local_ip = local_ip_for(&r->sa);
			send_here_i_am(s, r);
		}
		assign_check(s);	/* a router may have gone */
		assign_repeat(s);
	}
	evl_timer_arm(t, WCCP2_HELLO_S);
}

/* Squid's built-in definition of standard service 0 (web-cache). */
static void
wire_service(const struct cfg_wccp2_service *cf, struct wccp2_service *ws)
{
	size_t i;

	memset(ws, 0, sizeof(*ws));
	ws->id = (uint8_t)cf->id;
	if (!cf->dynamic) {
		ws->type = WCCP2_SVC_STANDARD;
		return;
	}
	ws->type = WCCP2_SVC_DYNAMIC;
	ws->priority = (uint8_t)cf->priority;
	ws->protocol = (uint8_t)cf->protocol;
	ws->flags = cf->flags;
	for (i = 0; i < 8; i++)
		ws->ports[i] = (uint16_t)cf->ports[i];
}

int
wccp2_start(struct cfg *c)
{
	static const struct cfg_wccp2_service std0 = { .id = 0 };
	struct sockaddr_in bind_sa;
	const struct sockaddr_in *a;
	size_t i, j, nsvc;
	int one = 1;

	w2.owner = 1;
	w2.left = 0;
	/* The data plane first: with GRE forwarding it decapsulates what
	 * the routers redirect (or closes itself when c does not use GRE).
	 * Without it this cache would take buckets whose packets it cannot
	 * receive: it does not announce itself at all. (At start-up
	 * proc/setup.c refuses to start instead; this is the reconfigure
	 * that turns GRE on after the privileges it needs were dropped.) */
	if (wccp2_gre_start(c) < 0 && c->wccp2.nrouter > 0) {
		log_msg(LOG_CRIT, "ERROR: WCCPv2: not announcing this cache to "
			"the routers: GRE forwarding cannot work (restart "
			"tproxyd with the privileges it needs; %s)",
			WCCP2_GRE_DROPIN_HINT);
		return -1;
	}
	if (c->wccp2.nrouter == 0)
		return 0;
	nsvc = c->wccp2.nservice ? c->wccp2.nservice : 1;
	w2.svc = calloc(nsvc, sizeof(*w2.svc));
	if (w2.svc == NULL)
		return -1;
	w2.c = cfg_ref(c);
	w2.nsvc = nsvc;
	for (i = 0; i < nsvc; i++) {
		struct w2_service *s = &w2.svc[i];

		s->cf = c->wccp2.nservice ? &c->wccp2.service[i] : &std0;
		wire_service(s->cf, &s->wire);
		s->router = calloc(c->wccp2.nrouter, sizeof(*s->router));
		if (s->router == NULL) {
			control_stop();
			return -1;
		}
		for (j = 0; j < c->wccp2.nrouter; j++) {
			struct w2_router *r = &s->router[j];

			memcpy(&r->sa, &c->wccp2.router[j], sizeof(r->sa));
			r->ip = ntohl(r->sa.sin_addr.s_addr);
			r->local_ip = local_ip_for(&r->sa);
		}
	}
	w2.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w2.fd < 0) {
		log_msg(LOG_CRIT, "ERROR: WCCPv2: socket: %s", strerror(errno));
		control_stop();
		return -1;
	}
	/* Initialized before anything can fail, so control_stop() may stop
	 * them. */
	evl_io_init(&w2.io, io_cb, w2.fd, NULL);
	evl_timer_init(&w2.hello, hello_cb, NULL);
	evl_timer_init(&w2.assign, assign_cb, NULL);
	evl_timer_init(&w2.query, query_cb, NULL);
	setsockopt(w2.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a = (const struct sockaddr_in *)&c->wccp2.address;
	memset(&bind_sa, 0, sizeof(bind_sa));
	bind_sa.sin_family = AF_INET;
	bind_sa.sin_port = htons(WCCP2_PORT);
	if (a->sin_family == AF_INET)
		bind_sa.sin_addr = a->sin_addr;
	if (bind(w2.fd, (struct sockaddr *)&bind_sa, sizeof(bind_sa)) < 0) {
		log_msg(LOG_CRIT, "ERROR: WCCPv2: cannot bind %s:%d: %s",
			inet_ntoa(bind_sa.sin_addr), WCCP2_PORT,
			strerror(errno));
		control_stop();
		return -1;
	}
	evl_io_want(&w2.io, EVL_READ);
	evl_timer_arm(&w2.hello, 0.05);	/* announce at once */
	log_msg(LOG_CRIT, "WCCPv2: %zu service group(s), %zu router(s), "
		"%s forwarding, %s assignment, %s return", nsvc,
		c->wccp2.nrouter, c->wccp2.forwarding_method == 2 ? "L2" :
		"GRE", c->wccp2.assignment_method == 2 ? "mask" : "hash",
		c->wccp2.return_method == 2 ? "L2" : "GRE");
	return 0;
}

/* Stop the control plane only (the GRE data plane stays open). */
static void
control_stop(void)
{
	size_t i;

	if (w2.fd >= 0) {
		evl_io_stop(&w2.io);
		evl_timer_stop(&w2.hello);
		evl_timer_stop(&w2.assign);
		evl_timer_stop(&w2.query);
		close(w2.fd);
		w2.fd = -1;
	}
	for (i = 0; i < w2.nsvc; i++)
		free(w2.svc[i].router);
	free(w2.svc);
	w2.svc = NULL;
	w2.nsvc = 0;
	if (w2.c != NULL) {
		cfg_unref(w2.c);
		w2.c = NULL;
	}
}

void
wccp2_drain(void)
{
	if (w2.owner)
		wccp2_gre_drain();
}

void
wccp2_stop(void)
{
	control_stop();
	wccp2_gre_close();
}

int
wccp2_reconfigure(struct cfg *c)
{
	if (!w2.owner)	/* another worker runs WCCP */
		return 0;
	/* Keep the raw socket and the TUN device: re-opening them needs
	 * the privileges dropped at start-up. wccp2_start() resumes them
	 * (or closes them if GRE forwarding is no longer configured). */
	control_stop();
	wccp2_gre_pause();
	return wccp2_start(c);
}
