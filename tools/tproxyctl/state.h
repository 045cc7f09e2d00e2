/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.h - the state file (default /run/tproxyctl/state, --state FILE):
 * what setup changed, so that teardown removes exactly that.
 *
 * Text, one record a line, fields separated by tabs:
 *
 *   tproxyctl-state	1
 *   opt	NAME	VALUE          the options of the last setup (doctor
 *                                 uses them as its defaults): ports/to4/
 *                                 to6 the HTTP mapping, https-ports/
 *                                 https4/https6 the HTTPS one (port 0:
 *                                 off), quic auto|block|pass,
 *                                 on-failure open|closed
 *   sysctl	KEY	PREV	NEW    a sysctl setup changed from PREV to NEW
 *   undo	ARG	ARG ...        a command removing something setup added,
 *                                 in the order added (teardown: reverse)
 *   had	WHAT                    an `ip rule`/`ip route` setup wants that
 *                                 was there before the first setup (not
 *                                 tproxyctl's: teardown leaves it, and a
 *                                 later setup that puts it back does not
 *                                 record an undo for it)
 *
 * A second setup keeps the records of the first: a sysctl's PREV is the
 * value from before the first setup (recorded for every sysctl setup
 * manages, also when it already had the wanted value: PREV = NEW), and an
 * undo command is recorded once.
 */
#ifndef TPROXYCTL_STATE_H
#define TPROXYCTL_STATE_H

#include "plan.h"
#include "util.h"

#define STATE_DEFAULT "/run/tproxyctl/state"

struct state_sysctl {
	char *key, *prev, *value;
};

struct state {
	int                  have_opts;
	struct plan_opts     opts;
	struct state_sysctl *sys;
	size_t               nsys;
	char              ***undo;	/* argv vectors */
	size_t               nundo;
	char               **had;	/* WHAT of the `had` records */
	size_t               nhad;
};

/* Load path into st (zeroed by the caller). Returns 0, -ENOENT when there
 * is no state file, or another -errno / -EINVAL (message in err). */
int state_load(const char *path, struct state *st, struct sbuf *err);
/* Write st to path atomically (temporary file + rename), creating the
 * directory. Returns 0 or -errno with a message in err. */
int state_save(const char *path, const struct state *st, struct sbuf *err);
void state_free(struct state *st);

/* Record an undo command (copied) unless the same one is recorded. */
void state_add_undo(struct state *st, char *const *argv);
struct state_sysctl *state_find_sysctl(struct state *st, const char *key);
void state_add_sysctl(struct state *st, const char *key, const char *prev,
		      const char *value);
/* Record that what (a rule or route) was there before tproxyctl; 1 if it
 * is recorded (state_had), 0 if not. */
void state_add_had(struct state *st, const char *what);
int state_had(const struct state *st, const char *what);

#endif
