/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * help.h - tproxyctl's usage texts: one per subcommand (`tproxyctl
 * SUBCOMMAND --help`) and the overview (`tproxyctl --help`).
 */
#ifndef TPROXYCTL_HELP_H
#define TPROXYCTL_HELP_H

#include <stdio.h>

/* Exit statuses, the same for every subcommand (doc/tproxyctl.8). */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* failed, not running, doctor found a FAIL */
#define EXIT_USAGE	2	/* bad command line */

/* The overview of all subcommands. */
void help_all(FILE *f);
/* The usage of one subcommand (with its options explained); 0, or -1 when
 * cmd is not a subcommand. */
int help_cmd(FILE *f, const char *cmd);
/* Whether argv[from..] asks for help (-h or --help). */
int help_asked(int argc, char **argv, int from);

#endif
