/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loopguard.h - telling a request that went round in a loop (loopguard.c):
 * its Via already names this proxy. The other half, a connection that
 * reached an interception port directly, is lsn_is_own() (listener.h).
 */
#ifndef TPROXYD_INTERCEPT_LOOPGUARD_H
#define TPROXYD_INTERCEPT_LOOPGUARD_H

#include <stddef.h>

#include "http/h1-t.h"

/*
 * Whether one of the n fields hdr names hostname as a hop in a Via field
 * (" NAME (tproxyd/", the way this proxy writes it). Pure; hostname longer
 * than 255 bytes never matches.
 */
int loop_via_names(const struct h1_header *hdr, size_t n,
		   const char *hostname);

#endif
