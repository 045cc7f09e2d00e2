/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * doctor.h - `tproxyctl doctor`: every item of the troubleshooting list
 * of Squid's TPROXY v4 guide, checked on the running system.
 */
#ifndef TPROXYCTL_DOCTOR_H
#define TPROXYCTL_DOCTOR_H

#include "plan.h"

struct cfg;

/* The --state file doctor was given (NULL: the default); its fixes that
 * run setup again name it. */
extern const char *doctor_state;

/*
 * Run all checks for the setup described by o (from the state file and the
 * command line) and the configuration c (may be NULL; conf_path names it
 * in fixes). Prints PASS / WARN / FAIL lines (or JSON) on stdout. Returns
 * the exit status: 1 if anything FAILed, else 0.
 */
int doctor_run(const struct plan_opts *o, const struct cfg *c,
	       const char *conf_path, const char *cfg_error, int json);

#endif
