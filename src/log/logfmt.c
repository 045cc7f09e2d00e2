/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * logfmt.c - Squid's logformat: the formatter. A format was compiled
 * into tokens when the configuration loaded (src/config/logfmt_parse.c);
 * formatting a record walks the tokens and writes into the caller's
 * buffer with the fmt.c helpers: no printf and no parsing per record.
 */
#include <string.h>
#include <time.h>

#include "core/fmt.h"
#include "core/sa.h"
#include "http/msg.h"
#include "log/logfmt.h"

/* ---------------------------------------------------------- formatting */

/* RFC 1738 unsafe characters, '%' and SP aside. */
static int
url_unsafe(unsigned char ch)
{
	return ch != 0 && strchr("<>\"#{}|\\^~[]`'", ch) != NULL;
}

/* Bit (1 << enc) of esc_bits[c]: byte c is %-encoded by encoding enc
 * (the quoting encodings handle their own escapes). Built once. */
static int esc_ready;		/* esc_bits[] is built (esc_init) */
static unsigned char esc_bits[256];
/* The same, plus the bytes the quoting encodings escape themselves: a run
 * of bytes copied as they are ends at any byte with the bit set. */
static unsigned char stop_bits[256];

static void
esc_init(void)
{
	unsigned ch;

	for (ch = 0; ch < 256; ch++) {
		unsigned char b = 0;

		if (ch < 0x20 || ch == 0x7f)
			b |= 1u << LF_ENC_RAW | 1u << LF_ENC_QUOTE |
			     1u << LF_ENC_SHELL;
		if (ch <= 0x20 || ch >= 0x7f)
			b |= 1u << LF_ENC_AUTO | 1u << LF_ENC_PASS |
			     1u << LF_ENC_URL;
		if (url_unsafe((unsigned char)ch))
			b |= 1u << LF_ENC_PASS | 1u << LF_ENC_URL;
		if (ch == '%')
			b |= 1u << LF_ENC_URL | 1u << LF_ENC_SQUID;
		if (ch < 0x20 || ch > 0x7e || ch == '[' || ch == ']' ||
		    ch == '\\')
			b |= 1u << LF_ENC_SQUID;
		esc_bits[ch] = b;
		if (ch == '"' || ch == '\\' || ch == '\t')
			b |= 1u << LF_ENC_QUOTE | 1u << LF_ENC_SHELL;
		stop_bits[ch] = b;
	}
	esc_ready = 1;
}

/* Write len bytes at s into out (room bytes at most) with encoding enc.
 * Returns the count written; an escape that does not fit is left out. */
static size_t
put_enc(char *out, size_t room, const char *s, size_t len, int enc)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned bit = 1u << enc;
	size_t i, o = 0, run;
	unsigned char ch;
	int quote = 0;

	if (enc == LF_ENC_SHELL && memchr(s, ' ', len) != NULL) {
		if (room < 2)
			return 0;
		quote = 1;
		out[o++] = '"';
		room--;
	}
	for (i = 0; i < len;) {
		/* The bytes that stay as they are, copied in one go. */
		for (run = i; run < len &&
		     !(stop_bits[(unsigned char)s[run]] & bit); run++)
			;
		if (run > i) {
			if (o + (run - i) > room)
				run = i + (room - o);
			memcpy(out + o, s + i, run - i);
			o += run - i;
			if (run < len && o == room)
				break;
			i = run;
			continue;
		}
		ch = (unsigned char)s[i++];
		if ((enc == LF_ENC_QUOTE || enc == LF_ENC_SHELL) &&
		    (ch == '"' || ch == '\\' || ch == '\r' || ch == '\n' ||
		     (ch == '\t' && enc == LF_ENC_QUOTE))) {
			if (o + 2 > room)
				break;
			out[o++] = '\\';
			out[o++] = ch == '\r' ? 'r' : ch == '\n' ? 'n' :
				   ch == '\t' ? 't' : (char)ch;
			continue;
		}
		if (!(esc_bits[ch] & bit)) {	/* a TAB under %/ */
			if (o + 1 > room)
				break;
			out[o++] = (char)ch;
			continue;
		}
		if (o + 3 > room)
			break;
		out[o++] = '%';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 15];
	}
	if (quote)
		out[o++] = '"';
	return o;
}

/* The header field's value (the first field named name, as Squid's
 * getByName joins repeated fields with ", " we do the same), or the
 * whole head when name is empty. Written raw into out. */
static size_t
put_header(char *out, size_t room, const struct http_msg *m,
	   const struct lf_tok *t)
{
	size_t i, o = 0, k;
	const struct h1_header *h;

	if (m == NULL || !m->valid)
		return 0;
	for (i = 0; i < m->nhdr; i++) {
		h = &m->hdr[i];
		if (t->arglen == 0) {
			k = h->name.len + h->value.len + 4;
			if (o + k > room)
				break;
			memcpy(out + o, h->name.p, h->name.len);
			o += h->name.len;
			out[o++] = ':';
			out[o++] = ' ';
			memcpy(out + o, h->value.p, h->value.len);
			o += h->value.len;
			out[o++] = '\r';
			out[o++] = '\n';
			continue;
		}
		if (h->name.len != t->arglen ||
		    strncasecmp(h->name.p, t->arg, t->arglen) != 0)
			continue;
		if (o > 0) {
			if (o + 2 > room)
				break;
			out[o++] = ',';
			out[o++] = ' ';
		}
		k = h->value.len < room - o ? h->value.len : room - o;
		memcpy(out + o, h->value.p, k);
		o += k;
	}
	return o;
}

/* {Name:member}: the values of the "member=value" items (or the items
 * equal to member) of the list in buf[0..len), joined by t->sep, moved
 * to the front of buf. */
static size_t
pick_member(char *buf, size_t len, const struct lf_tok *t)
{
	size_t i = 0, o = 0, b, e, k;

	while (i < len) {
		b = i;
		while (i < len && buf[i] != t->sep)
			i++;
		e = i++;
		while (b < e && (buf[b] == ' ' || buf[b] == '\t'))
			b++;
		while (e > b && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
			e--;
		if (e - b < t->memlen ||
		    strncasecmp(buf + b, t->member, t->memlen) != 0)
			continue;
		k = b + t->memlen;
		if (k < e && buf[k] != '=')
			continue;
		if (k < e)
			k++;
		if (o > 0)
			buf[o++] = t->sep;
		memmove(buf + o, buf + k, e - k);
		o += e - k;
	}
	return o;
}

/* Squid's %tl / %tg: strftime with the token's format or
 * "%d/%b/%Y:%H:%M:%S %z"; the default is cached for the current second
 * (one strftime per second, not per line). */
static size_t
put_time(char *out, size_t room, const struct lf_tok *t, double when,
	 int gmt)
{
	static char cache[2][64];
	static size_t cache_len[2];
	static time_t cache_sec[2] = { -1, -1 };
	char fmt[128];
	time_t sec = (time_t)when;
	struct tm tm;
	size_t n;

	if (t->arg == NULL && cache_sec[gmt] == sec) {
		n = cache_len[gmt] < room ? cache_len[gmt] : 0;
		memcpy(out, cache[gmt], n);
		return n;
	}
	if (gmt)
		gmtime_r(&sec, &tm);
	else
		localtime_r(&sec, &tm);
	if (t->arg != NULL && t->arglen < sizeof(fmt)) {
		memcpy(fmt, t->arg, t->arglen);
		fmt[t->arglen] = '\0';
	} else {
		memcpy(fmt, "%d/%b/%Y:%H:%M:%S %z", 21);
	}
	n = strftime(out, room, fmt, &tm);
	if (t->arg == NULL && n > 0 && n < sizeof(cache[0])) {
		memcpy(cache[gmt], out, n);
		cache_len[gmt] = n;
		cache_sec[gmt] = sec;
	}
	return n;
}

static size_t
put_ip(char *out, const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	sa_ip_text(sa, out, FMT_IP_MAX);
	return strlen(out);
}

static size_t
put_num(char *out, unsigned long long v)
{
	return fmt_u64(out, v);
}

/* %ru: the URL, cut after the '?' under strip_query_terms (not for
 * CONNECT, whose URL has no query), as Squid does. */
static struct str
log_url(const struct alog_rec *r)
{
	const char *q;

	if (!r->strip_query || str_eq(r->method, "CONNECT") ||
	    r->url.len == 0)
		return r->url;
	q = memchr(r->url.p, '?', r->url.len);
	if (q == NULL)
		return r->url;
	return str_make(r->url.p, (size_t)(q - r->url.p) + 1);
}

size_t
lf_format(char *out, size_t n_out, const struct lf_tok *tok, size_t n,
	  const struct alog_rec *r)
{
	size_t i, o = 0, room, len, k, pad;
	const struct lf_tok *t;
	char *v;
	struct str s;
	long ms;
	int num, enc;

	if (n_out < 512) {
		out[0] = '\0';
		return 0;
	}
	if (!esc_ready)
		esc_init();
	/* Each value is written at out + o; a margin keeps room for the
	 * fixed-size values, padding and the newline. */
	for (i = 0; i < n; i++) {
		t = &tok[i];
		v = out + o;
		room = n_out - o - 2;
		if (room < 64)
			break;
		num = 0;
		enc = LF_ENC_AUTO;
		len = 0;
		switch (t->code) {
		case LF_TEXT:
			k = t->arglen < room ? t->arglen : room;
			memcpy(v, t->arg, k);
			o += k;
			continue;
		case LF_BYTE:
			*v = (char)t->zero;
			o++;
			continue;
		case LF_DASH:
			break;
		case LF_USER:
			if (r->user == NULL || r->user[0] == '\0')
				break;
			s = str_make(r->user, strlen(r->user));
			goto text;
		case LF_SEQ:
			len = put_num(v, r->seq);
			num = 1;
			break;
		case LF_CLIENT_IP:
			len = put_ip(v, r->client);
			break;
		case LF_CLIENT_PORT:
			if (r->client != NULL) {
				len = put_num(v, sa_port(r->client));
				num = 1;
			}
			break;
		case LF_LOCAL_IP:
			len = put_ip(v, r->local);
			break;
		case LF_LOCAL_PORT:
			if (r->local != NULL) {
				len = put_num(v, sa_port(r->local));
				num = 1;
			}
			break;
		case LF_SERVER_NAME:
		case LF_SERVER_IP:
			if (r->peer_name != NULL && r->peer != NULL) {
				s = str_make(r->peer_name,
					     strlen(r->peer_name));
				len = put_enc(v, 255, s.p, s.len,
					      LF_ENC_AUTO);
			} else {
				len = put_ip(v, r->peer);
			}
			break;
		case LF_SERVER_PORT:
			if (r->peer != NULL) {
				len = put_num(v, sa_port(r->peer));
				num = 1;
			}
			break;
		case LF_TIME_SEC:
			len = put_num(v, (unsigned long long)
				      (r->end < 0 ? 0 : r->end));
			num = 1;
			break;
		case LF_TIME_MSEC:
			/* Round: 0.123 is 0.12299999 in binary. */
			ms = (long)((r->end - (double)(long)r->end) * 1000.0 +
				    0.5);
			len = put_num(v, (unsigned long long)
				      (ms > 999 ? 999 : ms < 0 ? 0 : ms));
			num = 1;
			break;
		case LF_TIME_LOCAL:
		case LF_TIME_GMT:
			len = put_time(v, room, t, r->end,
				       t->code == LF_TIME_GMT);
			break;
		case LF_TIME_RESP:
			len = put_num(v, (unsigned long long)
				      (r->elapsed_ms < 0 ? 0 : r->elapsed_ms));
			num = 1;
			break;
		case LF_TIME_START:
			if (r->start > 0) {
				ms = (long)((r->start - (double)(long)r->start)
					    * 1000.0 + 0.5);
				len = put_num(v, (unsigned long long)r->start);
				v[len++] = '.';
				len += fmt_u64_pad(v + len, (unsigned long long)
						   (ms > 999 ? 999 : ms), 3,
						   '0');
			}
			break;
		case LF_METHOD:
			s = r->method;
			enc = LF_ENC_PASS;
			goto text;
		case LF_URL:
			s = log_url(r);
			enc = LF_ENC_AUTO;
			goto text;
		case LF_URL_RAW:
			s = r->url;
			enc = LF_ENC_PASS;
			goto text;
		case LF_SCHEME: {
			const char *e = r->url.len > 3 ?
			    memchr(r->url.p, ':', r->url.len) : NULL;

			s = e != NULL && e + 2 < r->url.p + r->url.len &&
			    e[1] == '/' && e[2] == '/' ?
			    str_make(r->url.p, (size_t)(e - r->url.p)) :
			    STR_NULL;
			enc = LF_ENC_PASS;
			goto text;
		}
		case LF_DOMAIN:
			s = r->host;
			enc = LF_ENC_PASS;
			goto text;
		case LF_PORT:
			if (r->port > 0) {
				len = put_num(v, r->port);
				num = 1;
			}
			break;
		case LF_PATH:
			s = r->path;
			enc = LF_ENC_PASS;
			goto text;
		case LF_VERSION:
			v[0] = '1';
			v[1] = '.';
			len = 2 + put_num(v + 2, (unsigned long long)
					  (r->minor < 0 ? 0 : r->minor));
			if (r->minor < 0)
				v[0] = '0';
			break;
		case LF_REQ_HDR:
		case LF_RESP_HDR:
			len = put_header(v, room / 2, t->code == LF_REQ_HDR ?
					 r->req : r->resp, t);
			if (t->member != NULL)
				len = pick_member(v, len, t);
			/* Encode from a copy in the upper half of the
			 * room: escapes grow the value up to 3 times. */
			if (len > room / 4)
				len = room / 4;
			memcpy(v + room - len, v, len);
			s = str_make(v + room - len, len);
			enc = LF_ENC_PASS;
			goto text;
		case LF_STATUS:
			len = put_num(v, (unsigned long long)
				      (r->status < 0 ? 0 : r->status));
			num = 1;
			break;
		case LF_STATUS_SRV:
			if (r->resp != NULL && r->resp->valid) {
				len = put_num(v, (unsigned long long)
					      r->resp->status);
				num = 1;
			}
			break;
		case LF_MIME:
			s = r->type;
			enc = LF_ENC_AUTO;
			goto text;
		case LF_SIZE_TOTAL:
			len = put_num(v, r->bytes + r->bytes_in);
			num = 1;
			break;
		case LF_SIZE_IN:
			len = put_num(v, r->bytes_in);
			num = 1;
			break;
		case LF_SIZE_OUT:
			len = put_num(v, r->bytes);
			num = 1;
			break;
		case LF_SIZE_REQ_HDR:
			if (r->req != NULL && r->req->valid) {
				len = put_num(v, r->req->hlen);
				num = 1;
			}
			break;
		case LF_SQUID_STATUS:
			s = str_make(r->code, strlen(r->code));
			len = put_enc(v, 64, s.p, s.len, LF_ENC_AUTO);
			if (r->aborted) {
				memcpy(v + len, "_ABORTED", 8);
				len += 8;
			}
			break;
		case LF_HIER:
			s = str_make(r->hier, strlen(r->hier));
			len = put_enc(v, 64, s.p, s.len, LF_ENC_AUTO);
			break;
		case LF_ERR_CODE:
			if (r->errname != NULL) {
				s = str_make(r->errname, strlen(r->errname));
				len = put_enc(v, 64, s.p, s.len, LF_ENC_AUTO);
			}
			break;
		case LF_ICAP_TT:
			if (r->icap_svc != NULL)
				len = put_num(v, r->icap_ms);
			break;
		case LF_ICAP_SVC:
			if (r->icap_svc != NULL) {
				s = str_make(r->icap_svc, strlen(r->icap_svc));
				len = put_enc(v, 64, s.p, s.len, LF_ENC_AUTO);
			}
			break;
		case LF_USER_NAME:
		case LF_EXT_USER:
		case LF_TAG:
		case LF_EXT_LOG: {
			const char *x = t->code == LF_TAG ? r->tag :
			    t->code == LF_EXT_LOG ? r->ext_log : r->ext_user;

			/* %un: the login first, else the helper's user= */
			if (t->code == LF_USER_NAME && r->user != NULL &&
			    r->user[0] != '\0')
				x = r->user;

			if (x == NULL || x[0] == '\0')
				break;
			s = str_make(x, strlen(x));
			enc = LF_ENC_AUTO;
			goto text;
		}
		case LF_TLS_SNI:
		case LF_TLS_BUMP_MODE:
		case LF_TLS_VERSION:
		case LF_TLS_CIPHER:
		case LF_TLS_HELLO_VERSION:
		case LF_TLS_SUPPORTED:
		case LF_TLS_SRV_HELLO_VERSION:
		case LF_TLS_CERT_ERRORS:
		case LF_TLS_ECH:
		case LF_TLS_ALPN:
			if (r->tls[t->code - LF_TLS_FIRST] == NULL)
				break;
			s = str_make(r->tls[t->code - LF_TLS_FIRST],
				     strlen(r->tls[t->code - LF_TLS_FIRST]));
			enc = LF_ENC_AUTO;
			goto text;
		}
		goto value;
text:
		/* An explicit encoding replaces the code's own. */
		len = put_enc(v, room - 40, s.p, s.len,
			      t->enc != LF_ENC_AUTO ? t->enc : enc);
value:
		if (len == 0) {
			*v = '-';
			o++;
			continue;
		}
		if (t->wmax >= 0 && !num && len > (size_t)t->wmax)
			len = (size_t)t->wmax;
		if ((size_t)t->wmin > len && (size_t)t->wmin < room - len) {
			pad = (size_t)t->wmin - len;
			if (t->left) {
				memset(v + len, ' ', pad);
			} else {
				memmove(v + pad, v, len);
				memset(v, t->zero ? '0' : ' ', pad);
			}
			len += pad;
		}
		o += len;
	}
	out[o++] = '\n';
	out[o] = '\0';
	return o;
}
