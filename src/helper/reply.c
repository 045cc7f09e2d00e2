/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reply.c - reading helper reply lines, as Squid's Helper::Reply reads
 * them (src/helper/Reply.cc, strwordtok() in src/String.cc): result code,
 * key=value pairs, the rest. Pure: everything is decoded in the caller's
 * line.
 */
#include <stdint.h>
#include <string.h>

#include "helper/reply.h"

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* Squid restricts key names to these (isKeyNameChar()). */
static int
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void
add_kv(struct hlp_reply *r, const char *key, const char *val, size_t vlen)
{
	if (r->nkv >= HLP_KV_MAX) {
		r->dropped++;
		return;
	}
	r->kv[r->nkv].key = key;
	r->kv[r->nkv].val = val;
	r->kv[r->nkv].vlen = vlen;
	r->nkv++;
}

/*
 * One word from *pp (before end), as Squid's strwordtok(): leading blanks
 * skipped; '"' toggles quoting anywhere in the word; inside quotes a
 * backslash escapes the next byte (\n and \r are a line feed and a
 * carriage return), outside it is an ordinary byte; an unquoted blank
 * ends the word and is consumed. The word is decoded in place and
 * NUL-terminated (at end at the latest, which the caller owns). Returns
 * it, or NULL when only blanks were left; *pp moves past it.
 */
static char *
word_tok(char **pp, char *end, size_t *wlen)
{
	char *p = *pp, *d, *w;
	int quoted = 0;
	char ch;

	while (p < end && is_space(*p))
		p++;
	if (p >= end) {
		*pp = p;
		return NULL;
	}
	w = d = p;
	while (p < end) {
		ch = *p;
		if (ch == '\\') {
			if (quoted)
				p++;
			if (p >= end)
				break;
			ch = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p;
			*d++ = ch;
			p++;
		} else if (ch == '"') {
			quoted = !quoted;
			p++;
		} else if (!quoted && is_space(ch)) {
			p++;
			break;
		} else {
			*d++ = *p++;
		}
	}
	*d = '\0';
	*wlen = (size_t)(d - w);
	*pp = p;
	return w;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX decoding in place (Squid's rfc1738_unescape(); "%00" is left as it
 * is so that no value holds a NUL). Returns the new length. */
static size_t
pct_decode(char *s, size_t len)
{
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (h = hexval(s[i + 1])) >= 0 &&
		    (l = hexval(s[i + 2])) >= 0 && (h | l) != 0) {
			s[o++] = (char)(h << 4 | l);
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	return o;
}

/* key=value pairs from *pp until something is not one. */
static void
parse_keys(char **pp, char *end, struct hlp_reply *r)
{
	char *p = *pp, *q, *v;
	size_t vlen;
	int quoted;

	while (p < end) {
		q = p;
		while (q < end && is_key_char(*q))
			q++;
		if (q >= end || *q != '=')
			break;
		/* "key= value" is not a pair (Squid too). */
		if (q + 1 < end && is_space(q[1]))
			break;
		*q = '\0';
		quoted = q + 1 < end && q[1] == '"';
		v = q + 1;
		{
			char *w = word_tok(&v, end, &vlen);

			if (w == NULL) {
				add_kv(r, p, "", 0);
			} else {
				if (!quoted)
					vlen = pct_decode(w, vlen);
				add_kv(r, p, w, vlen);
			}
		}
		p = v;
		while (p < end && is_space(*p))
			p++;
	}
	*pp = p;
}

/* line starts with the code of n bytes, followed by the end or a space. */
static int
code_is(const char *p, size_t len, const char *code, size_t n)
{
	return len >= n && memcmp(p, code, n) == 0 && (len == n || p[n] == ' ');
}

void
hlp_reply_parse(char *line, size_t len, struct hlp_reply *r)
{
	char *p = line, *end, *nul, *w1, *w2;
	size_t l1, l2;
	int na = 0;

	memset(r, 0, sizeof(*r));
	nul = memchr(line, '\0', len);
	if (nul != NULL)
		len = (size_t)(nul - line);
	end = line + len;
	*end = '\0';
	r->other = end;
	if (len == 0) {
		/* The old url_rewrite "no change". */
		r->result = HLP_ERR;
		return;
	}
	if (len >= 2) {
		if (code_is(p, len, "OK", 2)) {
			r->result = HLP_OK;
			p += 2;
		} else if (code_is(p, len, "ERR", 3)) {
			r->result = HLP_ERR;
			p += 3;
		} else if (code_is(p, len, "BH", 2)) {
			r->result = HLP_BH;
			p += 2;
		} else if (len >= 3 && memcmp(p, "TT ", 3) == 0) {
			r->result = HLP_TT;
			p += 3;
			w1 = word_tok(&p, end, &l1);
			if (w1 != NULL) {
				add_kv(r, "token", w1, l1);
			} else {
				r->result = HLP_BH;
				add_kv(r, "message", "Missing 'token' data",
				       20);
			}
		} else if (len >= 3 && memcmp(p, "AF ", 3) == 0) {
			r->result = HLP_OK;
			p += 3;
			w1 = word_tok(&p, end, &l1);
			w2 = word_tok(&p, end, &l2);
			if (w2 != NULL) {
				add_kv(r, "token", w1, l1);
				add_kv(r, "user", w2, l2);
			} else if (w1 != NULL) {
				add_kv(r, "user", w1, l1);
			}
		} else if (len >= 3 && memcmp(p, "NA ", 3) == 0) {
			r->result = HLP_ERR;
			p += 3;
			na = 1;
		}
	}
	while (p < end && is_space(*p))
		p++;
	if (!na)
		parse_keys(&p, end, r);
	/* BH and NA used to carry a bare text message. */
	if (p < end && (na || r->result == HLP_BH)) {
		add_kv(r, "message", p, (size_t)(end - p));
		p = end;
	}
	r->other = p;
	r->other_len = (size_t)(end - p);
}

const char *
hlp_reply_get(const struct hlp_reply *r, const char *key, size_t *vlen)
{
	size_t i;

	for (i = 0; i < r->nkv; i++)
		if (strcmp(r->kv[i].key, key) == 0) {
			if (vlen != NULL)
				*vlen = r->kv[i].vlen;
			return r->kv[i].val;
		}
	return NULL;
}

int
hlp_channel_split(const char *line, size_t len, unsigned *id, size_t *rest)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < len && line[i] >= '0' && line[i] <= '9') {
		v = v * 10 + (uint64_t)(line[i] - '0');
		if (v > INT32_MAX)
			return -1;
		i++;
	}
	if (i == 0 || (i < len && !is_space(line[i])))
		return -1;
	while (i < len && is_space(line[i]))
		i++;
	*id = (unsigned)v;
	*rest = i;
	return 0;
}

int
hlp_reply_legacy_rewrite(struct hlp_reply *r)
{
	static const char *const codes[] = { "301", "302", "303", "307",
					     "308" };
	char *w = r->other, *c, *sp;
	size_t len = r->other_len, i;
	unsigned status = 0;

	if (r->result != HLP_UNKNOWN || len == 0)
		return 0;
	r->result = HLP_OK;
	r->other = w + len;
	r->other_len = 0;
	/* Only the first word: some old helpers echo the whole request. */
	sp = memchr(w, ' ', len);
	if (sp != NULL) {
		*sp = '\0';
		len = (size_t)(sp - w);
	}
	/* Squid 2's "!urlgroup!URL". */
	if (len > 1 && w[0] == '!' &&
	    (c = memchr(w + 1, '!', len - 1)) != NULL) {
		len -= (size_t)(c + 1 - w);
		w = c + 1;
	}
	for (i = 0; i < len && i < 4 && w[i] >= '0' && w[i] <= '9'; i++)
		status = status * 10 + (unsigned)(w[i] - '0');
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (status == (unsigned)(codes[i][0] - '0') * 100 +
		    (unsigned)(codes[i][2] - '0'))
			break;
	if (i < sizeof(codes) / sizeof(codes[0])) {
		c = memchr(w, ':', len);
		if (c == NULL)
			return 1;	/* a bad redirect: no change */
		*c = '\0';
		add_kv(r, "status", codes[i], 3);
		add_kv(r, "url", c + 1, len - (size_t)(c + 1 - w));
		return 1;
	}
	if (len > 0)
		add_kv(r, "rewrite-url", w, len);
	return 1;
}

const char *
hlp_result_str(enum hlp_result res)
{
	switch (res) {
	case HLP_OK:
		return "OK";
	case HLP_ERR:
		return "ERR";
	case HLP_BH:
		return "BH";
	case HLP_TT:
		return "TT";
	case HLP_TIMEDOUT:
		return "TIMEDOUT";
	default:
		return "UNKNOWN";
	}
}
