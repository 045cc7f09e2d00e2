/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfg_http-t.h - types of the HTTP relaying settings (cfg_http.c), part
 * of struct cfg.
 */
#ifndef TPROXYD_CONFIG_CFG_HTTP_T_H
#define TPROXYD_CONFIG_CFG_HTTP_T_H

/* forwarded_for */
enum fwd_for {
	FWD_FOR_ON,		/* append the client address */
	FWD_FOR_OFF,		/* append "unknown" */
	FWD_FOR_TRANSPARENT,	/* leave the header as it came */
	FWD_FOR_DELETE,		/* remove the header */
	FWD_FOR_TRUNCATE,	/* replace with the client address only */
};

#endif
