/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h - small helpers shared by tproxyctl's modules: a growable string
 * buffer, NULL-terminated argument vectors, and running a command with
 * captured output (the only place tproxyctl forks).
 */
#ifndef TPROXYCTL_UTIL_H
#define TPROXYCTL_UTIL_H

#include <stdarg.h>
#include <stddef.h>

/* A NUL-terminated growable string; zero-initialise before first use. */
struct sbuf {
	char   *p;
	size_t  len;
	size_t  cap;
};

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap);
void sbuf_add(struct sbuf *b, const char *s);
void sbuf_reset(struct sbuf *b);
void sbuf_free(struct sbuf *b);
/* The text so far ("" when nothing was added yet). */
const char *sbuf_str(const struct sbuf *b);

/* Allocation that never returns NULL (exits with a message instead):
 * tproxyctl is a short-lived command, not a daemon. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
char *xstrdup(const char *s);

/* Argument vectors: NULL-terminated arrays of owned strings. */
char **argv_new(const char *first, ...) __attribute__((sentinel));
/* Split s at tabs (the state file's field separator). */
char **argv_split(const char *s, char sep);
size_t argv_len(char *const *v);
void argv_free(char **v);
/* Append v as a shell command line, quoting words that need it. */
void argv_render(char *const *v, struct sbuf *out);

/*
 * Run argv (searched in PATH, then /usr/sbin and /sbin), feeding input (may
 * be NULL) on its stdin and collecting stdout/stderr into out/err (either
 * may be NULL to discard). Returns the exit status (0..255), 127 when the
 * program cannot be run, or -1 on a local failure. Bounded: the child is
 * killed after 30 seconds.
 */
int run_cmd(char *const *argv, const char *input, struct sbuf *out,
	    struct sbuf *err);

/*
 * Is name an interface name tproxyctl passes to ip, nft, iptables, sysctl
 * and the --dry-run script? What the kernel accepts (1..15 bytes, not "."
 * or "..", no '/', ':' or whitespace), and of that only letters, digits,
 * '.', '-' and '_': a quote, backslash, ';', '$', '*' (nft wildcard) or
 * '+' (iptables wildcard) would change the meaning of a command or rule
 * somewhere, and '@' is how `ip link` shows a link's peer or parent
 * (NAME@PARENT), not part of the name. Returns 0, or -1 with the reason
 * in err.
 */
int ifname_check(const char *name, char *err, size_t errlen);

/* Read a whole (small) file into out; returns 0 or -errno. */
int read_file(const char *path, struct sbuf *out);
/* Strip trailing whitespace in place. */
void rstrip(char *s);

#endif
