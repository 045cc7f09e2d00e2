/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * https.c - the HTTPS side, per family:
 *   https.port.FAMILY.DPORT  each HTTPS port (443) is intercepted, and to
 *                            a port that takes TLS: an https_port of the
 *                            configuration (or --https-port), not an
 *                            http_port (tproxyd would read the ClientHello
 *                            as a broken request and the client would get
 *                            an error instead of a handshake);
 *   https.config             the configuration has an https_port while
 *                            setup diverts no HTTPS to it, or HTTPS is
 *                            diverted (--https-port) to a port the
 *                            configuration has no https_port for;
 *   https.quic.FAMILY        UDP to the HTTPS ports is refused. Browsers
 *                            try HTTP/3 (QUIC, UDP 443) first; if that
 *                            path is open they never use the TCP
 *                            connection the proxy sees. Refused with a
 *                            port unreachable they fall back to TCP at
 *                            once; dropped, only after a timeout.
 * Whether something listens on the https_port is tproxyd.c's
 * tproxyd.listen.PORT, which covers both mappings' ports.
 *
 * Where the facts come from: the prerouting model of ruleset.c for the
 * TPROXY rules, its forward paths for QUIC (with --bridge: the paths
 * where bridged frames arrive, the client port's netdev ingress).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config/config-t.h"

#include "checks.h"
#include "ruleset.h"

/* The first TPROXY rule of family f catching dport, in the order of the
 * prerouting paths (NULL: none). */
static const struct ent *
tproxy_for(int f, unsigned dport)
{
	const struct walk *walks;
	size_t nwalks, w, i;

	nwalks = dr_rules_walks(&walks);
	for (w = 0; w < nwalks; w++)
		for (i = 0; i < walks[w].n; i++) {
			const struct ent *e = &walks[w].e[i];

			if (e->type == ENT_TPROXY && (e->fams & f) &&
			    dr_ent_has_port(e, dport))
				return e;
		}
	return NULL;
}

/* Among walks, the first UDP rule of family f about dport of one of the
 * types wanted (bit set of 1 << ENT_UDP_*); NULL: none. */
static const struct ent *
udp_rule(const struct walk *walks, size_t nwalks, int f, unsigned dport,
	 unsigned wanted)
{
	size_t w, i;

	for (w = 0; w < nwalks; w++)
		for (i = 0; i < walks[w].n; i++) {
			const struct ent *e = &walks[w].e[i];

			if ((wanted & (1u << e->type)) && (e->fams & f) &&
			    dr_ent_has_port(e, dport))
				return e;
		}
	return NULL;
}

/* How many tproxy https_port lines c has (port 0: any port), NULL: 0. */
static int
config_https_lines(const struct cfg *c, unsigned port)
{
	size_t i;
	int n = 0;

	for (i = 0; c && i < c->nport; i++) {
		const struct cfg_port *p = &c->port[i];
		unsigned pp = p->addr.ss_family == AF_INET ?
			ntohs(((const struct sockaddr_in *)(const void *)
			       &p->addr)->sin_port) :
			ntohs(((const struct sockaddr_in6 *)(const void *)
			       &p->addr)->sin6_port);

		if (p->mode == PORT_TPROXY && p->https && (!port || pp == port))
			n++;
	}
	return n;
}

static void
check_ports(const struct plan_opts *o, const struct cfg *c, int f,
	    const char *setup)
{
	const struct plan_map *m = &o->map[PLAN_HTTPS];
	const struct plan_target *t = plan_map_to(o, PLAN_HTTPS, f);
	char id[64];
	size_t k;

	for (k = 0; k < m->ndport; k++) {
		const struct ent *e = tproxy_for(f, m->dport[k]);

		snprintf(id, sizeof(id), "https.port.%s.%u", dr_fam_name(f),
			 m->dport[k]);
		if (e == NULL) {
			dr_add(ST_FAIL, id, setup, "%s: port %u is not "
			    "intercepted: HTTPS goes around the proxy, and "
			    "https_port %u receives nothing", dr_fam_name(f),
			    m->dport[k], t->port);
			continue;
		}
		switch (dr_port_is_https(o, c, e->onport)) {
		case 1:
			dr_add(ST_PASS, id, NULL, "%s: port %u goes to "
			    "https_port %u (%s)", dr_fam_name(f), m->dport[k],
			    e->onport, e->where);
			break;
		case 0:
			dr_add(ST_FAIL, id, setup, "%s: port %u goes to port "
			    "%u, an http_port: TLS clients get an error "
			    "instead of a handshake; it must go to the "
			    "https_port %u", dr_fam_name(f), m->dport[k],
			    e->onport, t->port);
			break;
		default:
			dr_add(ST_FAIL, id, setup, "%s: port %u goes to port "
			    "%u, which is no https_port of the configuration "
			    "(%s); it must go to the https_port %u",
			    dr_fam_name(f), m->dport[k], e->onport, e->where,
			    t->port);
		}
	}
}

/* Bridged: the first reject/drop of UDP to dport among the paths where
 * frames from the client-side bridge port arrive (the bridge family's
 * prerouting, that port's netdev ingress). */
static const struct ent *
bridge_rule(const struct plan_opts *o, int f, unsigned dport)
{
	const struct walk *bw;
	size_t nbw = dr_bridge_walks(&bw), w;

	for (w = 0; w < nbw; w++) {
		const struct ent *e;

		if (bw[w].dev[0] && strcmp(bw[w].dev, o->br_client) != 0)
			continue;
		e = udp_rule(&bw[w], 1, f, dport, (1u << ENT_UDP_REJECT) |
			     (1u << ENT_UDP_DROP));
		if (e)
			return e;
	}
	return NULL;
}

/* QUIC for family f: refused on the forward path, or with --bridge where
 * bridged frames arrive. want: refusing was asked for (or decided: auto
 * with HTTPS intercepted). */
static void
check_quic(const struct plan_opts *o, int f, int want, const char *setup)
{
	const struct plan_map *m = &o->map[PLAN_HTTPS];
	const struct walk *fw;
	size_t nfw = dr_forward_walks(&fw), k;
	char id[64], fix[700], msg[500] = "";
	int status = ST_PASS;

	snprintf(id, sizeof(id), "https.quic.%s", dr_fam_name(f));
	snprintf(fix, sizeof(fix), "%s%s", setup, want ? "" :
		 " --quic block");
	for (k = 0; k < m->ndport && status == ST_PASS; k++) {
		unsigned port = m->dport[k];
		const struct ent *e;

		/* Bridged frames never reach the forward path. */
		if (o->bridge)
			e = bridge_rule(o, f, port);
		else
			e = udp_rule(fw, nfw, f, port, (1u << ENT_UDP_REJECT) |
				     (1u << ENT_UDP_DROP));
		if (e == NULL) {
			status = want ? ST_FAIL : ST_WARN;
			snprintf(msg, sizeof(msg), "%s: QUIC is not blocked: "
				 "browsers will use HTTP/3 and bypass the "
				 "proxy (UDP to port %u %s)%s", dr_fam_name(f),
				 port,
				 o->bridge ? "is bridged" : "is forwarded",
				 want ? "" : "; --quic pass was chosen");
		} else if (e->type == ENT_UDP_DROP) {
			status = ST_WARN;
			snprintf(msg, sizeof(msg), "%s: UDP to port %u is "
				 "dropped, not refused (`%.150s`, %.100s): "
				 "browsers wait for a timeout before falling "
				 "back to TCP", dr_fam_name(f), port, e->text,
				 e->where);
		} else {
			snprintf(msg, sizeof(msg), "%s: QUIC (UDP to port %u) "
				 "is refused with port unreachable (%s): "
				 "browsers fall back to TCP, which is "
				 "intercepted", dr_fam_name(f), port, e->where);
		}
	}
	dr_add(status, id, status == ST_PASS ? NULL : fix, "%s", msg);
}

void
dr_check_https(const struct plan_opts *o, const struct cfg *c,
	       const char *conf_path)
{
	static const int fams[] = { PLAN_V4, PLAN_V6 };
	char setup[600];
	size_t fi;
	int hf = plan_map_families(o, PLAN_HTTPS);
	int qf = plan_quic_families(o);

	dr_fix_setup(setup, sizeof(setup), conf_path, o);
	if (hf == 0 && config_https_lines(c, 0) > 0) {
		dr_add(ST_FAIL, "https.config", setup, "%s has an `https_port "
		    "... tproxy` line, but no HTTPS is diverted to it for the "
		    "families set up (%s)", conf_path,
		    plan_family_name(o->families));
	} else if (hf == 0) {
		dr_add(ST_PASS, "https.config", NULL, "HTTPS is not "
		    "intercepted (no `https_port ... tproxy` line%s, no "
		    "--https-port)", conf_path ? " in the configuration" : "");
	} else if (c) {
		/* Diverted (--https-port) to a port tproxyd.conf lacks. */
		const struct plan_target *t = plan_map_to(o, PLAN_HTTPS,
							  hf & PLAN_V4 ?
							  PLAN_V4 : PLAN_V6);
		struct plan_opts no = *o;
		char fix[600];

		/* The configuration decides (as drift.* says): set up again
		 * from it, which diverts no HTTPS; the message says how to
		 * keep HTTPS instead. */
		no.map[PLAN_HTTPS].to[0].port = 0;
		no.map[PLAN_HTTPS].to[1].port = 0;
		dr_fix_setup(fix, sizeof(fix), conf_path, &no);
		if (config_https_lines(c, t->port))
			dr_add(ST_PASS, "https.config", NULL, "HTTPS goes to "
			    "https_port %u of %s", t->port, conf_path);
		else
			dr_add(ST_FAIL, "https.config", fix, "HTTPS is "
			    "diverted to port %u, but %s has no `https_port "
			    "%u tproxy ssl-bump` line: set up again from the "
			    "configuration (below), or, to intercept HTTPS, "
			    "add that line and restart tproxyd", t->port,
			    conf_path, t->port);
	}
	for (fi = 0; fi < 2; fi++) {
		int f = fams[fi];

		if (!(o->families & f))
			continue;
		if (hf & f)
			check_ports(o, c, f, setup);
		/* QUIC matters where HTTPS is intercepted, or where refusing
		 * it was asked for. */
		if ((hf | qf) & f)
			check_quic(o, f, (qf & f) != 0, setup);
	}
}
