/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_log-t.h - types of the log settings (cfg_log.c), part of struct cfg:
 * the access_log lines with their formats and ACLs.
 */
#ifndef TPROXYD_CONFIG_CFG_LOG_T_H
#define TPROXYD_CONFIG_CFG_LOG_T_H

#include <stddef.h>
#include <sys/socket.h>

#include "config/logfmt-t.h"

struct acl_ref;

enum alog_module {
	ALOG_NONE,	/* access_log none [acl...]: matching lines stop */
	ALOG_FILE,	/* stdio:PATH, daemon:PATH, PATH */
	ALOG_SYSLOG,	/* syslog[:FACILITY.PRIORITY] */
	ALOG_UDP,	/* udp://HOST:PORT */
	ALOG_TCP,	/* tcp://HOST:PORT */
};

/* One access_log line. */
struct cfg_alog {
	enum alog_module        module;
	char                   *place;	/* path, or the text after "MOD:" */
	int                     prio;	/* syslog: facility | priority */
	int                     on_error_drop;	/* on-error=drop: a file
					   that cannot be opened at start-up
					   is not fatal (Squid's default,
					   on-error=die, is) */
	struct sockaddr_storage addr;	/* udp, tcp */
	socklen_t               addrlen;
	const struct logformat *fmt;
	size_t                  nacl;	/* all must match (AND) */
	struct acl_ref         *acl;
	const char             *file;
	int                     line;
};

#endif
