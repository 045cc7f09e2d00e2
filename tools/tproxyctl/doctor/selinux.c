/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * selinux.c - SELinux enforcing with a policy that blocks TPROXY: Squid's
 * TPROXY v4 guide, "SELINUX Policy tuning" (the squid_use_tproxy boolean)
 * and "selinux policy denials" (a module built with audit2allow). Read
 * from /sys/fs/selinux/enforce and booleans.
 */
#include <stdio.h>
#include <string.h>

#include "checks.h"

void
dr_check_selinux(void)
{
	char val[16], fix[300];
	struct sbuf b = { 0 };
	int boolean_on = 0;

	if (read_file("/sys/fs/selinux/enforce", &b) < 0) {
		dr_add(ST_PASS, "selinux", NULL, "SELinux is not enabled");
		sbuf_free(&b);
		return;
	}
	snprintf(val, sizeof(val), "%s", sbuf_str(&b));
	rstrip(val);
	sbuf_reset(&b);
	if (strcmp(val, "1") != 0) {
		dr_add(ST_PASS, "selinux", NULL, "SELinux is permissive");
		sbuf_free(&b);
		return;
	}
	if (read_file("/sys/fs/selinux/booleans/squid_use_tproxy", &b) == 0)
		boolean_on = sbuf_str(&b)[0] == '1';
	sbuf_free(&b);
	snprintf(fix, sizeof(fix), "setsebool -P squid_connect_any=yes "
		 "squid_use_tproxy=yes, or build a module from the denials: "
		 "grep AVC.*tproxyd /var/log/audit/audit.log | audit2allow -M "
		 "tproxydtproxy && semodule -i tproxydtproxy.pp");
	if (boolean_on)
		dr_add(ST_WARN, "selinux", fix, "SELinux is enforcing; "
		    "squid_use_tproxy is on, check for AVC denials of tproxyd");
	else
		dr_add(ST_FAIL, "selinux", fix, "SELinux is enforcing with a "
		    "policy that blocks TPROXY (squid_use_tproxy is off or "
		    "missing)");
}
