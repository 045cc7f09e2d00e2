/*
 * tproxyctl - sets up, removes and diagnoses the kernel side of
 * interception (netfilter rules, policy routing, sysctls).
 *
 * This first version only prints its usage: setup, teardown and doctor
 * arrive with their own issue. It exits 2 for every command so that no
 * script mistakes it for having done something.
 */
#include <stdio.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: tproxyctl setup [-f tproxyd.conf] [--port PORT] "
		"[--dry-run] ...\n"
		"       tproxyctl teardown\n"
		"       tproxyctl doctor [-f tproxyd.conf] [--json]\n"
		"       tproxyctl -v\n");
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "-v") == 0) {
		printf("tproxyctl version %s\n", TPROXYD_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2)
		fprintf(stderr, "tproxyctl: '%s' is not available in this "
			"version\n", argv[1]);
	usage(stderr);
	return 2;
}
