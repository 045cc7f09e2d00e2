/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_qos-t.h - types of the packet marking settings (cfg_qos.c:
 * tcp_outgoing_tos, tcp_outgoing_mark, clientside_tos, clientside_mark),
 * part of struct cfg. Read by src/proxy/phase.c.
 */
#ifndef TPROXYD_CONFIG_CFG_QOS_T_H
#define TPROXYD_CONFIG_CFG_QOS_T_H

#include <stddef.h>
#include <stdint.h>

#include "acl/acl-t.h"

/* One "DIRECTIVE VALUE [!]acl..." line: VALUE applies when every acl
 * matches (no acl: always). The first such line of a directive wins. */
struct cfg_qos_rule {
	uint32_t        value;	/* TOS byte (ECN bits clear) or mark; 0:
				   leave the system's default */
	size_t          nref;
	struct acl_ref *ref;
};

struct cfg_qos_list {
	size_t               n;
	struct cfg_qos_rule *rule;
};

struct cfg_qos {
	struct cfg_qos_list tos_server;		/* tcp_outgoing_tos */
	struct cfg_qos_list mark_server;	/* tcp_outgoing_mark */
	struct cfg_qos_list tos_client;		/* clientside_tos */
	struct cfg_qos_list mark_client;	/* clientside_mark */
	int                 need_mark;	/* a mark line with a value != 0:
					   the daemon must keep
					   CAP_NET_ADMIN (SO_MARK) */
};

#endif
