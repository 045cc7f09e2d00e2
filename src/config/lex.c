/*
 * lex.c - squid.conf lines: comments, blank lines, backslash continuation,
 * whitespace-separated tokens, "quoted" values, and include PATH with glob.
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg-int.h"

struct lex_src {
	struct lex_src *up;
	char           *buf;		/* whole file, NUL-terminated */
	size_t          len, pos;
	const char     *name;		/* arena-owned, for struct tok */
	int             line;		/* physical lines consumed */
	int             depth;		/* 0 for the main file */
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

size_t
lex_line(struct lexer *lx, const struct tok **tokp)
{
	size_t n;

	while (lx->top != NULL) {
		if (!read_logical(lx)) {
			lex_pop(lx);
			continue;
		}
		n = tokenize(lx);
		if (n == 0)
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
