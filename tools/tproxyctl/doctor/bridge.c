/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge.c - with --bridge: table bridge tproxyd exists (it hands bridged
 * frames to the routing path, what the ebtables broute DROP rules do in
 * Squid's TPROXY v4 guide, "ebtables on a Bridging device") and the client
 * interface is still a port of the bridge. The bridge's kernel support is
 * in kernel.c, its sysctls in sysctls.c.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../nft.h"
#include "checks.h"

void
dr_check_bridge(const struct plan_opts *o, const char *conf_path)
{
	char fix[600], path[128], master[64] = "";
	ssize_t r;

	if (!o->bridge)
		return;
	dr_fix_setup(fix, sizeof(fix), conf_path, o);
	snprintf(fix + strlen(fix), sizeof(fix) - strlen(fix),
		 " --bridge %s %s", o->br_client, o->br_inet);
	if (nft_table_exists("bridge", PLAN_NFT_TABLE) == 1)
		dr_add(ST_PASS, "bridge.divert", NULL, "table bridge %s "
		    "diverts frames from %s/%s to the routing path",
		    PLAN_NFT_TABLE, o->br_client, o->br_inet);
	else
		dr_add(ST_FAIL, "bridge.divert", fix, "no table bridge %s: "
		    "bridged frames are not handed to the routing path",
		    PLAN_NFT_TABLE);
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", o->br_client);
	r = readlink(path, master, sizeof(master) - 1);
	if (r > 0) {
		master[r] = '\0';
		if (strstr(master, o->br_dev))
			dr_add(ST_PASS, "bridge.ports", NULL, "%s is a port "
			    "of %s", o->br_client, o->br_dev);
		else
			dr_add(ST_FAIL, "bridge.ports", fix, "%s is no longer "
			    "a port of %s", o->br_client, o->br_dev);
	} else {
		dr_add(ST_FAIL, "bridge.ports", fix, "%s is not a bridge port",
		    o->br_client);
	}
}
