/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conf.h - what tproxyctl takes from tproxyd.conf (-f): the tproxy ports
 * each kind of traffic goes to, and the TOS of the proxy's server
 * connections. Pure: reads a loaded struct cfg, runs nothing.
 */
#ifndef TPROXYCTL_CONF_H
#define TPROXYCTL_CONF_H

#include "plan.h"

struct cfg;

/*
 * The tproxy ports of c into o's mappings: the first `http_port ...
 * tproxy` line of each family is the HTTP target, the first `https_port
 * ... tproxy` line (ssl-bump ones first) the HTTPS target. A kind given
 * on the command line (skip_http: --port, skip_https: --https-port) is
 * left as it is. A configuration with https_port lines and no tproxy
 * http_port diverts no HTTP: its HTTP mapping is turned off. Unless
 * family_locked, o->families becomes the families the lines (and the
 * command line's ports) cover. Returns those families (0: no tproxy
 * line; o is then unchanged).
 */
int conf_targets(const struct cfg *c, int family_locked, int skip_http,
		 int skip_https, struct plan_opts *o);

/*
 * The UDP target: the first `udp_port ... tproxy` line of each family
 * (none: that family's target is left as it is).
 */
void conf_udp_target(const struct cfg *c, struct plan_opts *o);

/*
 * The TOS tproxyd puts on every server connection: the first
 * tcp_outgoing_tos line that applies to all of them (no acl, or only
 * "all"), or -1.
 */
int conf_tos(const struct cfg *c);

#endif
