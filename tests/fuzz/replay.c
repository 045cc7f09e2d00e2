/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay.c - run a fuzz target over saved inputs without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz_<name>.c, built by gcc, and run by
 * `make unit` over tests/fuzz/corpus/<name>/, so the corpus (starting inputs
 * plus every crasher ever found) is a regression suite. Usage:
 *
 *	replay_fuzz_<name> DIR|FILE...
 *
 * Each file is read into a buffer of exactly its size, so that an
 * AddressSanitizer build (make SAN=1) catches reads past the input. The
 * target abort()s when an invariant breaks; the SIGABRT handler names the
 * input first. Exit status: 0 when every input ran, 1 when an argument
 * could not be read or there were no inputs at all.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input being run, for the crash handler. */
static char current[4096];

static void
on_crash(int sig)
{
	static const char pre[] = "replay: crashed on input ";
	size_t n = strnlen(current, sizeof(current));

	/* Only async-signal-safe calls here. */
	if (write(STDERR_FILENO, pre, sizeof(pre) - 1) < 0 ||
	    write(STDERR_FILENO, current, n) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0) {
		/* nothing more we can do */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Run the target on one file. Returns 0, or -1 if it cannot be read. */
static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *data;
	struct stat sb;
	size_t size, got;

	f = fopen(path, "rb");
	if (f == NULL || fstat(fileno(f), &sb) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	size = (size_t)sb.st_size;
	/* malloc(0) may return NULL; one spare byte is never passed on. */
	data = malloc(size ? size : 1);
	if (data == NULL) {
		fclose(f);
		fprintf(stderr, "replay: %s: out of memory\n", path);
		return -1;
	}
	got = fread(data, 1, size, f);
	fclose(f);
	if (got != size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(data);
		return -1;
	}
	snprintf(current, sizeof(current), "%s", path);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

/* Run the target on every regular file of a directory (not recursive). */
static int
run_dir(const char *dir, unsigned long *count)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	char path[4096];
	int rc = 0;

	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (run_file(path) < 0)
			rc = -1;
		else
			(*count)++;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat sb;
	unsigned long count = 0;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 1;
	}
	signal(SIGABRT, on_crash);
	signal(SIGSEGV, on_crash);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &sb) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
		} else if (S_ISDIR(sb.st_mode)) {
			if (run_dir(argv[i], &count) < 0)
				rc = 1;
		} else if (run_file(argv[i]) < 0) {
			rc = 1;
		} else {
			count++;
		}
	}
	/* A target that breaks an invariant aborts, so reaching this line
	 * means no input crashed. */
	printf("replay: %lu inputs, 0 crashes\n", count);
	if (count == 0)
		rc = 1;
	return rc;
}
