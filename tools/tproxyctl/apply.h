/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apply.h - carrying out a plan (setup) and reversing it (teardown).
 */
#ifndef TPROXYCTL_APPLY_H
#define TPROXYCTL_APPLY_H

#include "plan.h"

/* Exit statuses: 0 done, 1 failed (message printed on stderr). */
int apply_setup(const struct plan_opts *o, const char *state_path);
int apply_teardown(const char *state_path);

/* 1 if this process has CAP_NET_ADMIN in its effective set. */
int have_net_admin(void);

/* Checks shared with doctor (doctor/kernel.c, doctor/rules.c): return 0,
 * or -1 with the problem(s) in err. */
int doctor_kernel_preflight(const struct plan_opts *o, struct sbuf *err);
int doctor_foreign_capture(const struct plan_opts *o, struct sbuf *err);

#endif
