/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_learn-t.h - learning the DNS answers clients receive, so that Host
 * and SNI verification accept the addresses clients were actually given
 * (cfg_learn.c); struct cfg's member learn. Used by src/learn/.
 */
#ifndef TPROXYD_CONFIG_CFG_LEARN_T_H
#define TPROXYD_CONFIG_CFG_LEARN_T_H

#include <stddef.h>
#include <sys/socket.h>

struct cfg_learn {
	int                      on;	/* host_verify_learn_dns on */
	struct sockaddr_storage *trusted;	/* answers are learnt only
						   from these resolvers
						   (host_verify_trusted_
						   resolvers); none: the
						   proxy's own */
	size_t                   ntrusted;
};

#endif
