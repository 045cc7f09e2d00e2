/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.c - string buffers, argument vectors and command execution.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fputs("tproxyctl: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (p == NULL) {
		fputs("tproxyctl: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

void
sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		char *np;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			fputs("tproxyctl: out of memory\n", stderr);
			exit(1);
		}
		b->p = np;
		b->cap = cap;
	}
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
}

void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
sbuf_add(struct sbuf *b, const char *s)
{
	sbuf_printf(b, "%s", s);
}

void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
sbuf_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

const char *
sbuf_str(const struct sbuf *b)
{
	return b->p ? b->p : "";
}

char **
argv_new(const char *first, ...)
{
	va_list ap;
	size_t n = 0, i;
	const char *s;
	char **v;

	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *))
		n++;
	va_end(ap);
	v = xcalloc(n + 1, sizeof(*v));
	va_start(ap, first);
	for (i = 0, s = first; s; s = va_arg(ap, const char *))
		v[i++] = xstrdup(s);
	va_end(ap);
	return v;
}

char **
argv_split(const char *s, char sep)
{
	size_t n = 1, i = 0;
	const char *p, *q;
	char **v;

	for (p = s; *p; p++)
		if (*p == sep)
			n++;
	v = xcalloc(n + 1, sizeof(*v));
	for (p = s;; p = q + 1) {
		size_t len;

		q = strchr(p, sep);
		len = q ? (size_t)(q - p) : strlen(p);
		v[i] = xmalloc(len + 1);
		memcpy(v[i], p, len);
		v[i][len] = '\0';
		i++;
		if (q == NULL)
			break;
	}
	return v;
}

size_t
argv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void
argv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* Words made only of these characters are printed as they are. */
static int
shell_safe(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-+=/.,:@%", *s))
			return 0;
	return 1;
}

void
argv_render(char *const *v, struct sbuf *out)
{
	size_t i;
	const char *p;

	for (i = 0; v[i]; i++) {
		if (i)
			sbuf_add(out, " ");
		if (shell_safe(v[i])) {
			sbuf_add(out, v[i]);
			continue;
		}
		sbuf_add(out, "'");
		for (p = v[i]; *p; p++) {
			if (*p == '\'')
				sbuf_add(out, "'\\''");
			else
				sbuf_printf(out, "%c", *p);
		}
		sbuf_add(out, "'");
	}
}

int
ifname_check(const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name), i;
	const char *at = strchr(name, '@');

	if (len == 0 || len >= 16) {
		snprintf(err, errlen, "bad interface name '%s': it must be 1 "
			 "to 15 characters long", name);
		return -1;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(err, errlen, "bad interface name '%s'", name);
		return -1;
	}
	if (at) {
		snprintf(err, errlen, "bad interface name '%s': `ip link` "
			 "shows a link as NAME@PEER; give only the name "
			 "('%.*s')", name, (int)(at - name), name);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_')
			continue;
		if (c < 0x20 || c == 0x7f || c == ' ')
			snprintf(err, errlen, "bad interface name '%s': it "
				 "contains a space or control character",
				 name);
		else
			snprintf(err, errlen, "bad interface name '%s': '%c' "
				 "is not accepted (tproxyctl takes letters, "
				 "digits, '.', '-' and '_'; rename the "
				 "interface with `ip link set dev OLD name "
				 "NEW`)", name, c);
		return -1;
	}
	return 0;
}

static void
child_exec(char *const *argv)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin",
					    "/bin" };
	char path[512];
	size_t i;

	if (strchr(argv[0], '/') == NULL) {
		execvp(argv[0], argv);
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], argv[0]);
			execv(path, argv);
		}
	} else {
		execv(argv[0], argv);
	}
	_exit(127);
}

int
run_cmd(char *const *argv, const char *input, struct sbuf *out,
	struct sbuf *err)
{
	int in[2], o[2], e[2], status = 0, open_fds;
	size_t inlen = input ? strlen(input) : 0, inoff = 0;
	pid_t pid;
	struct pollfd pfd[3];
	time_t end = time(NULL) + 30;
	char buf[4096];

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		signal(SIGPIPE, SIG_DFL);
		child_exec(argv);
	}
	close(in[0]);
	close(o[1]);
	close(e[1]);
	signal(SIGPIPE, SIG_IGN);
	if (inlen == 0) {
		close(in[1]);
		in[1] = -1;
	}
	open_fds = 2 + (in[1] >= 0);
	while (open_fds > 0) {
		int n, k;

		pfd[0].fd = o[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = e[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = in[1];
		pfd[2].events = POLLOUT;
		n = poll(pfd, 3, 1000);
		if (n < 0 && errno != EINTR)
			break;
		if (time(NULL) > end) {
			kill(pid, SIGKILL);
			break;
		}
		for (k = 0; k < 2; k++) {
			ssize_t r;

			if (pfd[k].fd < 0 || !(pfd[k].revents &
					       (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pfd[k].fd, buf, sizeof(buf) - 1);
			if (r <= 0) {
				close(pfd[k].fd);
				if (k == 0)
					o[0] = -1;
				else
					e[0] = -1;
				open_fds--;
				continue;
			}
			buf[r] = '\0';
			if (k == 0 && out)
				sbuf_add(out, buf);
			if (k == 1 && err)
				sbuf_add(err, buf);
		}
		if (in[1] >= 0 && (pfd[2].revents & (POLLOUT | POLLERR |
						     POLLHUP))) {
			ssize_t w = write(in[1], input + inoff, inlen - inoff);

			if (w > 0)
				inoff += (size_t)w;
			if (w <= 0 || inoff == inlen) {
				close(in[1]);
				in[1] = -1;
				open_fds--;
			}
		}
	}
	if (o[0] >= 0)
		close(o[0]);
	if (e[0] >= 0)
		close(e[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int
read_file(const char *path, struct sbuf *out)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	size_t n;

	if (f == NULL)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
		buf[n] = '\0';
		sbuf_add(out, buf);
	}
	fclose(f);
	if (out->p == NULL)
		sbuf_add(out, "");
	return 0;
}

void
rstrip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
}
