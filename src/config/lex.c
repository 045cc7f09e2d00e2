/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lex.c - squid.conf lines: comments, blank lines, backslash continuation,
 * whitespace-separated tokens, "quoted" values, include PATH with glob,
 * Squid's SMP macros (${process_number}, ${process_name}, ${service_name})
 * and its conditionals (if CONDITION / else / endif).
 *
 * The lexer keeps a stack of sources (the main file on the bottom, the
 * include being read on top). A logical line is the concatenation of
 * physical lines ending with a backslash, as Squid does it; each token
 * records the physical line its first byte came from, so messages point at
 * the line the user has to edit.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg-int.h"

/* if blocks may nest this deep in one file. */
#define LEX_IF_MAX	32

struct lex_src {
	struct lex_src *up;
	char           *buf;		/* whole file, NUL-terminated */
	size_t          len, pos;
	const char     *name;		/* arena-owned, for struct tok */
	int             line;		/* physical lines consumed */
	int             depth;		/* 0 for the main file */
	/* Open if/else blocks of this file (Squid: they end with it). */
	int             nif;
	unsigned char   if_on[LEX_IF_MAX];	/* branch being read is on */
	int             if_line[LEX_IF_MAX];
};

/* Where each piece of a logical line came from. */
struct lex_seg {
	size_t off;
	int    line;
};

struct lexer {
	struct cfg_parse *p;
	struct lex_src   *top;
	char             *lbuf;		/* logical line, then token bytes */
	char             *raw;		/* the logical line untouched */
	size_t            rawcap;
	size_t            llen, lcap;
	struct lex_seg   *seg;
	size_t            nseg, segcap;
	struct tok       *tok;
	size_t            ntok, tokcap;
};

static void *
lx_xrealloc(void *p, size_t size)
{
	void *np = realloc(p, size);

	if (np == NULL)
		abort();	/* see cfg-int.h on configuration memory */
	return np;
}

int
cfg_read_file(const char *path, char **bufp, size_t *lenp)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t r;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Regular files only: /dev/zero or a FIFO would never end. */
	if (fstat(fd, &st) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if ((unsigned long long)st.st_size > CFG_FILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	buf = lx_xrealloc(NULL, (size_t)st.st_size + 1);
	/* Stop early if the file shrinks while we read it. */
	while (len < (size_t)st.st_size) {
		r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = -errno;
			free(buf);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	/* A NUL byte would silently cut a token short. */
	if (memchr(buf, '\0', len) != NULL) {
		free(buf);
		return -EINVAL;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

static const char *
read_err_str(int e)
{
	if (e == -EINVAL)
		return "not a regular text file";
	if (e == -EFBIG)
		return "file too large";
	return strerror(-e);
}

static struct lexer *
lex_new(struct cfg_parse *p)
{
	struct lexer *lx = calloc(1, sizeof(*lx));

	if (lx == NULL)
		abort();
	lx->p = p;
	return lx;
}

static void
lex_push(struct lexer *lx, char *buf, size_t len, const char *name, int depth)
{
	struct lex_src *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	s->buf = buf;
	s->len = len;
	s->name = ar_strdup(lx->p->ar, name);
	s->depth = depth;
	s->up = lx->top;
	lx->top = s;
}

static void
lex_pop(struct lexer *lx)
{
	struct lex_src *s = lx->top;
	struct tok where;

	if (s->nif > 0) {
		where.s = "if";
		where.file = s->name;
		where.line = s->if_line[s->nif - 1];
		where.quoted = 0;
		cfg_err(lx->p, &where, "if: no 'endif' before the end of the "
			"file (Squid requires one per file)");
	}

	lx->top = s->up;
	free(s->buf);
	free(s);
}

struct lexer *
lex_open_file(struct cfg_parse *p, const char *path)
{
	struct lexer *lx;
	char *buf;
	size_t len;
	int e;

	e = cfg_read_file(path, &buf, &len);
	if (e < 0) {
		cfg_err(p, NULL, "cannot read configuration: %s",
			read_err_str(e));
		return NULL;
	}
	lx = lex_new(p);
	lex_push(lx, buf, len, path, 0);
	return lx;
}

struct lexer *
lex_open_mem(struct cfg_parse *p, const char *text, const char *name)
{
	struct lexer *lx = lex_new(p);
	size_t len = strlen(text);
	char *buf = lx_xrealloc(NULL, len + 1);

	memcpy(buf, text, len + 1);
	lex_push(lx, buf, len, name, 0);
	return lx;
}

void
lex_close(struct lexer *lx)
{
	if (lx == NULL)
		return;
	while (lx->top != NULL)
		lex_pop(lx);
	free(lx->lbuf);
	free(lx->raw);
	free(lx->seg);
	free(lx->tok);
	free(lx);
}

static void
lbuf_append(struct lexer *lx, const char *s, size_t n)
{
	if (lx->llen + n + 1 > lx->lcap) {
		lx->lcap = (lx->llen + n + 1) * 2;
		lx->lbuf = lx_xrealloc(lx->lbuf, lx->lcap);
	}
	memcpy(lx->lbuf + lx->llen, s, n);
	lx->llen += n;
	lx->lbuf[lx->llen] = '\0';
}

/*
 * Read the next logical line of the top source into lx->lbuf: physical
 * lines are joined while they end with a backslash (which is removed).
 * Returns 0 at the end of the source.
 */
static int
read_logical(struct lexer *lx)
{
	struct lex_src *s = lx->top;
	const char *start, *nl;
	size_t n;
	int cont;

	lx->llen = 0;
	lx->nseg = 0;
	if (s->pos >= s->len)
		return 0;
	do {
		start = s->buf + s->pos;
		nl = memchr(start, '\n', s->len - s->pos);
		n = nl != NULL ? (size_t)(nl - start) : s->len - s->pos;
		s->pos += n + (nl != NULL);
		s->line++;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		cont = n > 0 && start[n - 1] == '\\';
		if (cont)
			n--;
		if (lx->nseg == lx->segcap) {
			lx->segcap = lx->segcap ? 2 * lx->segcap : 8;
			lx->seg = lx_xrealloc(lx->seg,
					      lx->segcap * sizeof(*lx->seg));
		}
		lx->seg[lx->nseg].off = lx->llen;
		lx->seg[lx->nseg].line = s->line;
		lx->nseg++;
		lbuf_append(lx, start, n);
	} while (cont && s->pos < s->len);
	return 1;
}

static int
line_at(const struct lexer *lx, size_t off)
{
	size_t i;

	for (i = lx->nseg; i > 1; i--)
		if (lx->seg[i - 1].off <= off)
			return lx->seg[i - 1].line;
	return lx->seg[0].line;
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	    ch == '\f';
}

/*
 * Split lx->lbuf into tokens in place. '#' at the start of a token starts a
 * comment to the end of the logical line (Squid only knows whole-line
 * comments; this also allows "http_port 3128 # note"). "..." is one token
 * without its quotes. Returns the number of tokens, or 0 after reporting
 * an unterminated quote.
 */
static size_t
tokenize(struct lexer *lx)
{
	char *q = lx->lbuf, *end;
	struct tok *t;
	size_t off;

	lx->ntok = 0;
	/* Directives whose value is the rest of the line (logformat) read
	 * it from the untouched copy. */
	if (lx->lbuf == NULL)
		return 0;
	if (lx->llen + 1 > lx->rawcap) {
		lx->rawcap = lx->llen + 1;
		lx->raw = lx_xrealloc(lx->raw, lx->rawcap);
	}
	memcpy(lx->raw, lx->lbuf, lx->llen + 1);
	for (;;) {
		while (is_space(*q))
			q++;
		if (*q == '\0' || *q == '#')
			break;
		off = (size_t)(q - lx->lbuf);
		if (lx->ntok == lx->tokcap) {
			lx->tokcap = lx->tokcap ? 2 * lx->tokcap : 16;
			lx->tok = lx_xrealloc(lx->tok,
					      lx->tokcap * sizeof(*lx->tok));
		}
		t = &lx->tok[lx->ntok++];
		t->file = lx->top->name;
		t->line = line_at(lx, off);
		t->raw = lx->raw + off;
		t->quoted = *q == '"';
		if (t->quoted) {
			end = strchr(q + 1, '"');
			if (end == NULL) {
				cfg_err(lx->p, t, "unterminated quoted value "
					"'%s'", q);
				lx->ntok = 0;
				return 0;
			}
			t->s = q + 1;
			*end = '\0';
			q = end + 1;
			continue;
		}
		t->s = q;
		while (*q != '\0' && !is_space(*q))
			q++;
		if (*q != '\0')
			*q++ = '\0';
	}
	return lx->ntok;
}

static int
has_glob_chars(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * include PATTERN...: push every matching file, in glob order, so that the
 * first match is read first and each is read entirely before the next.
 */
static void
do_include(struct lexer *lx, struct tok *t, size_t n)
{
	struct cfg_parse *p = lx->p;
	int depth = lx->top->depth + 1;
	size_t i, k;
	glob_t g;
	char *buf;
	size_t len;
	int r, e;

	if (n < 2) {
		cfg_err(p, &t[0], "include: missing file name");
		return;
	}
	/* Collect everything first; pushing changes lx->top. */
	for (i = n - 1; i >= 1; i--) {
		if (depth > CFG_INCLUDE_DEPTH) {
			cfg_err(p, &t[i], "include: cannot include '%s': "
				"includes are nested too deeply (more than %d "
				"levels; is a file including itself?)",
				t[i].s, CFG_INCLUDE_DEPTH);
			continue;
		}
		r = glob(t[i].s, has_glob_chars(t[i].s) ? 0 : GLOB_NOCHECK,
			 NULL, &g);
		if (r == GLOB_NOMATCH) {
			cfg_err(p, &t[i], "include: no file matches '%s'",
				t[i].s);
			continue;
		}
		if (r != 0) {
			cfg_err(p, &t[i], "include: cannot expand '%s'",
				t[i].s);
			continue;
		}
		for (k = g.gl_pathc; k > 0; k--) {
			e = cfg_read_file(g.gl_pathv[k - 1], &buf, &len);
			if (e < 0) {
				cfg_err(p, &t[i], "include: cannot read '%s': "
					"%s", g.gl_pathv[k - 1],
					read_err_str(e));
				continue;
			}
			lex_push(lx, buf, len, g.gl_pathv[k - 1], depth);
		}
		globfree(&g);
	}
}

/*
 * Squid's SMP macros, replaced everywhere in the logical line as Squid
 * does. tproxyd reads its configuration once, as process 1 (see
 * doc/tproxyd.conf.5, SYNTAX): ${process_number} is 1, ${process_name}
 * and ${service_name} are "squid" (the names Squid gives a worker and a
 * service without -n), so paths built from them stay those of the Squid
 * the file was written for. The first use of a per-process macro is
 * remembered: with workers > 1 it is refused (config.c), since the
 * workers could not each get their own value.
 */
static void
expand_macros(struct lexer *lx)
{
	static const struct {
		const char *name, *value;
		int         per_kid;
	} mac[] = {
		{ "${process_number}",	"1",		1 },
		{ "${process_name}",	"squid",	1 },
		{ "${service_name}",	"squid",	0 },
	};
	struct cfg_parse *p = lx->p;
	size_t i, k, off, nlen, vlen;
	char *at;

	if (strstr(lx->lbuf, "${") == NULL)
		return;
	for (i = 0; i < sizeof(mac) / sizeof(mac[0]); i++) {
		nlen = strlen(mac[i].name);
		vlen = strlen(mac[i].value);
		while ((at = strstr(lx->lbuf, mac[i].name)) != NULL) {
			off = (size_t)(at - lx->lbuf);
			if (mac[i].per_kid && p->kid_macro.line == 0) {
				p->kid_macro.file = lx->top->name;
				p->kid_macro.line = line_at(lx, off);
				p->kid_macro.name = mac[i].name;
			}
			/* vlen < nlen: shrink in place, then shift the
			 * pieces' offsets so messages keep their lines. */
			memcpy(at, mac[i].value, vlen);
			memmove(at + vlen, at + nlen,
				lx->llen - off - nlen + 1);
			lx->llen -= nlen - vlen;
			for (k = 0; k < lx->nseg; k++)
				if (lx->seg[k].off > off)
					lx->seg[k].off -= nlen - vlen;
		}
	}
}

/* "NUMBER" as Squid's strtol(..., 0) reads it, all of s. 0 or -1. */
static int
if_number(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 0);
	return end != s && *end == '\0' && errno == 0 ? 0 : -1;
}

/*
 * The condition of "if": true, false, or NUMBER = NUMBER (spaces around
 * '=' optional). Returns 1 or 0, or -1 after reporting.
 */
static int
if_eval(struct lexer *lx, const struct tok *t, size_t n)
{
	char expr[256], *eq, *rhs;
	size_t i, len = 0;
	long a, b;
	int w;

	expr[0] = '\0';
	for (i = 1; i < n; i++) {
		w = snprintf(expr + len, sizeof(expr) - len, "%s%s",
			     i > 1 ? " " : "", t[i].s);
		if (w < 0 || (size_t)w >= sizeof(expr) - len)
			break;
		len += (size_t)w;
	}
	if (strcmp(expr, "true") == 0)
		return 1;
	if (strcmp(expr, "false") == 0)
		return 0;
	eq = strchr(expr, '=');
	if (eq != NULL) {
		rhs = eq + 1;
		while (*rhs == ' ')
			rhs++;
		*eq = '\0';
		while (eq > expr && eq[-1] == ' ')
			*--eq = '\0';
		if (if_number(expr, &a) == 0 && if_number(rhs, &b) == 0)
			return a == b;
	}
	cfg_err(lx->p, &t[0], "if: cannot evaluate the condition (use true, "
		"false or NUMBER = NUMBER, e.g. 'if ${process_number} = 1')");
	return -1;
}

/* Whether every open if block of the current file reads its lines. */
static int
if_active(const struct lex_src *s)
{
	int i;

	for (i = 0; i < s->nif; i++)
		if (!s->if_on[i])
			return 0;
	return 1;
}

/*
 * if / else / endif lines (Squid's "Conditional configuration"): returns 1
 * when t was one of them (consumed), else 0. Unlike Squid, which only
 * looks at the innermost block, a block inside a branch that is not read
 * is not read either, whatever its own condition.
 */
static int
conditional(struct lexer *lx, const struct tok *t, size_t n)
{
	struct lex_src *s = lx->top;
	int v;

	if (strcmp(t[0].s, "if") == 0) {
		if (s->nif == LEX_IF_MAX) {
			cfg_err(lx->p, &t[0], "if: nested more than %d deep",
				LEX_IF_MAX);
			return 1;
		}
		v = if_eval(lx, t, n);
		s->if_line[s->nif] = t[0].line;
		s->if_on[s->nif++] = v == 1;
		return 1;
	}
	if (strcmp(t[0].s, "else") != 0 && strcmp(t[0].s, "endif") != 0)
		return 0;
	if (n > 1)
		cfg_err(lx->p, &t[1], "%s: unexpected '%s' (it must be alone "
			"on its line)", t[0].s, t[1].s);
	if (s->nif == 0) {
		cfg_err(lx->p, &t[0], "'%s' without 'if'", t[0].s);
		return 1;
	}
	if (t[0].s[0] == 'e' && t[0].s[1] == 'l')
		s->if_on[s->nif - 1] = !s->if_on[s->nif - 1];
	else
		s->nif--;
	return 1;
}

size_t
lex_line(struct lexer *lx, const struct tok **tokp)
{
	size_t n;

	while (lx->top != NULL) {
		if (!read_logical(lx)) {
			lex_pop(lx);
			continue;
		}
		expand_macros(lx);
		n = tokenize(lx);
		if (n == 0)
			continue;
		if (conditional(lx, lx->tok, n) || !if_active(lx->top))
			continue;
		if (strcmp(lx->tok[0].s, "include") == 0) {
			do_include(lx, lx->tok, n);
			continue;
		}
		*tokp = lx->tok;
		return n;
	}
	return 0;
}

long
lex_file_words(struct cfg_parse *p, const struct tok *q,
	       void (*fn)(struct cfg_parse *, const struct tok *, void *),
	       void *arg)
{
	struct lexer *lx;
	char *buf;
	size_t len, i, n;
	long count = 0;
	int e;

	e = cfg_read_file(q->s, &buf, &len);
	if (e < 0) {
		cfg_err(p, q, "cannot read acl values from \"%s\": %s", q->s,
			read_err_str(e));
		return -1;
	}
	lx = lex_new(p);
	lex_push(lx, buf, len, q->s, 0);
	/* Same lexical rules as the main file, but no include and the words
	 * are values: a quote in a value file is taken literally. */
	while (read_logical(lx)) {
		n = tokenize(lx);
		for (i = 0; i < n; i++) {
			if (lx->tok[i].quoted) {
				cfg_err(p, &lx->tok[i], "quoted value '%s' "
					"inside an acl value file",
					lx->tok[i].s);
				continue;
			}
			fn(p, &lx->tok[i], arg);
			count++;
		}
	}
	lex_close(lx);
	return count;
}
