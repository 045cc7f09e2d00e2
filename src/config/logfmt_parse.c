/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * logfmt_parse.c - Squid's logformat: the format compiler, run when the
 * configuration loads. A format string becomes a list of tokens
 * (logfmt-t.h): literal text, and % codes with their encoding,
 * alignment, width and argument:
 *
 *   % [encoding] [-] [[0]width][.max] [{arg}] code [{arg}]
 *
 * as documented for Squid's logformat directive (squid.conf.documented).
 * Codes Squid knows but tproxyd has no value for yet (users, TLS, DNS
 * times, ...) are accepted and log "-", as Squid does for a missing value.
 * The formatter is src/log/logfmt.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config/logfmt.h"
static const struct {
	const char *name;
	const char *spec;
} builtins[] = {
	{ "squid", "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un "
		   "%Sh/%<a %mt" },
	{ "common", "%>a - %[un [%tl] \"%rm %ru HTTP/%rv\" %>Hs %<st "
		    "%Ss:%Sh" },
	{ "combined", "%>a - %[un [%tl] \"%rm %ru HTTP/%rv\" %>Hs %<st "
		      "\"%{Referer}>h\" \"%{User-Agent}>h\" %Ss:%Sh" },
	{ "referrer", "%ts.%03tu %>a %{Referer}>h %ru" },
	{ "useragent", "%>a [%tl] \"%{User-Agent}>h\"" },
};


const char *
lf_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(name, builtins[i].name) == 0)
			return builtins[i].spec;
	return NULL;
}

/* The code names, after an optional "http::" prefix; the longest name
 * that starts the rest of the format wins (">ha" before ">h"). */
static const struct {
	const char   *name;
	unsigned char code;
} codes[] = {
	{ ">a", LF_CLIENT_IP },		{ ">A", LF_CLIENT_IP },
	{ ">p", LF_CLIENT_PORT },	{ ">eui", LF_DASH },
	{ ">la", LF_LOCAL_IP },		{ ">lp", LF_LOCAL_PORT },
	{ ">qos", LF_DASH },		{ ">nfmark", LF_DASH },
	{ "la", LF_LOCAL_IP },		{ "lp", LF_LOCAL_PORT },
	{ "<a", LF_SERVER_IP },		{ "<A", LF_SERVER_NAME },
	{ "<p", LF_SERVER_PORT },	{ "<la", LF_DASH },
	{ "<lp", LF_DASH },		{ "<qos", LF_DASH },
	{ "<nfmark", LF_DASH },		{ ">handshake", LF_DASH },
	{ "transport::>connection_id", LF_DASH },
	{ "ts", LF_TIME_SEC },		{ "tu", LF_TIME_MSEC },
	{ "tl", LF_TIME_LOCAL },	{ "tg", LF_TIME_GMT },
	{ "tr", LF_TIME_RESP },		{ "tS", LF_TIME_START },
	{ "dt", LF_DASH },		{ "busy_time", LF_DASH },
	{ "et", LF_TAG },		{ "ea", LF_EXT_LOG },
	{ "un", LF_USER_NAME },		{ "ul", LF_USER },
	{ "ue", LF_EXT_USER },		{ "ui", LF_USER },
	{ "us", LF_USER },		{ "credentials", LF_DASH },
	{ "rm", LF_METHOD },		{ ">rm", LF_METHOD },
	{ "<rm", LF_METHOD },		{ "ru", LF_URL },
	{ "<ru", LF_URL },		{ ">ru", LF_URL_RAW },
	{ ">rs", LF_SCHEME },		{ "<rs", LF_SCHEME },
	{ ">rd", LF_DOMAIN },		{ "<rd", LF_DOMAIN },
	{ ">rP", LF_PORT },		{ "<rP", LF_PORT },
	{ "rp", LF_PATH },		{ ">rp", LF_PATH },
	{ "<rp", LF_PATH },		{ "rv", LF_VERSION },
	{ ">rv", LF_VERSION },		{ "<rv", LF_VERSION },
	{ ">h", LF_REQ_HDR },		{ ">ha", LF_REQ_HDR },
	{ "<h", LF_RESP_HDR },		{ ">Hs", LF_STATUS },
	{ "Hs", LF_STATUS },		{ "<Hs", LF_STATUS_SRV },
	{ "mt", LF_MIME },		{ "st", LF_SIZE_TOTAL },
	{ ">st", LF_SIZE_IN },		{ "<st", LF_SIZE_OUT },
	{ ">sh", LF_SIZE_REQ_HDR },	{ "<sh", LF_DASH },
	{ "<sH", LF_DASH },		{ "<sS", LF_DASH },
	{ "<bs", LF_DASH },		{ "<pt", LF_DASH },
	{ "<tt", LF_DASH },		{ "Ss", LF_SQUID_STATUS },
	{ "Sh", LF_HIER },		{ "request_attempts", LF_DASH },
	{ "err_code", LF_ERR_CODE },	{ "err_detail", LF_DASH },
	{ "note", LF_DASH },		{ "sn", LF_SEQ },
	{ "master_xaction", LF_SEQ },	{ "byte", LF_BYTE },
	/* ICAP (src/proxy/adapt.c); the other icap:: and adapt:: codes
	 * are "-". */
	{ "icap::tt", LF_ICAP_TT },	{ "icap::<service_name", LF_ICAP_SVC },
	/* TLS: intercepted connections (https_port ssl-bump); what needs
	 * decrypting (client certificates) is "-". A spliced connection
	 * has one TLS session, client to server: ">" and "<" codes read
	 * the same hellos. */
	{ "ssl::bump_mode", LF_TLS_BUMP_MODE },
	{ "ssl::>sni", LF_TLS_SNI },
	{ "ssl::>cert_subject", LF_DASH },
	{ "ssl::>cert_issuer", LF_DASH },
	{ "ssl::<cert_subject", LF_DASH },
	{ "ssl::<cert_issuer", LF_DASH },
	{ "ssl::<cert_errors", LF_TLS_CERT_ERRORS },
	{ "ssl::<cert", LF_DASH },
	{ "ssl::>negotiated_version", LF_TLS_VERSION },
	{ "ssl::<negotiated_version", LF_TLS_VERSION },
	{ "ssl::>negotiated_cipher", LF_TLS_CIPHER },
	{ "ssl::<negotiated_cipher", LF_TLS_CIPHER },
	{ "ssl::>received_hello_version", LF_TLS_HELLO_VERSION },
	{ "ssl::<received_hello_version", LF_TLS_SRV_HELLO_VERSION },
	{ "ssl::>received_supported_version", LF_TLS_SUPPORTED },
	{ "ssl::<received_supported_version", LF_TLS_SRV_HELLO_VERSION },
	{ "ssl::>ech", LF_TLS_ECH },
	{ "ssl::>alpn", LF_TLS_ALPN },
};

static void
set_err(char *err, size_t errlen, const char *a, const char *b, size_t blen)
{
	size_t n = 0, k;

	if (errlen == 0)
		return;
	k = strlen(a);
	if (k > errlen - 1)
		k = errlen - 1;
	memcpy(err, a, k);
	n = k;
	if (b != NULL) {
		k = blen;
		if (n + k + 2 > errlen)
			k = errlen > n + 2 ? errlen - n - 2 : 0;
		memcpy(err + n, b, k);
		n += k;
		if (n + 1 < errlen)
			err[n++] = '\'';
	}
	err[n] = '\0';
}

/* Decimal digits at *p into *v (at most 9). Returns the count read. */
static int
read_num(const char **p, int *v)
{
	int n = 0;

	*v = 0;
	while (**p >= '0' && **p <= '9' && n < 9) {
		*v = *v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

/* {arg} at *p: its bounds, *p moved past the '}'. 1, 0 (none), -1. */
static int
read_arg(const char **p, const char **a, size_t *alen)
{
	const char *e;

	if (**p != '{')
		return 0;
	e = strchr(*p, '}');
	if (e == NULL)
		return -1;
	*a = *p + 1;
	*alen = (size_t)(e - *a);
	*p = e + 1;
	return 1;
}

/* The length of a code of a namespace tproxyd has no values for
 * ("icap::tr", "adapt::<last_h", "ssl::>foo"), 0 if p is not one. */
static size_t
ns_code(const char *p)
{
	static const char *const ns[] = {
		"icap::", "adapt::", "ssl::", "proxy_protocol::",
	};
	size_t i, k, n;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		k = strlen(ns[i]);
		if (strncmp(p, ns[i], k) != 0)
			continue;
		n = strspn(p + k, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ_<>");
		return n > 0 ? k + n : 0;
	}
	return 0;
}

long
lf_compile(const char *spec, struct lf_tok *tok, size_t max, char *err,
	   size_t errlen)
{
	const char *p = spec, *q, *a = NULL, *c = spec;
	struct lf_tok t;
	size_t best, i, len, alen = 0;
	long n = 0;
	int v, got;

	while (*p != '\0') {
		memset(&t, 0, sizeof(t));
		t.wmax = -1;
		if (*p != '%' || p[1] == '%') {
			/* Literal text up to the next code; "%%" is '%'. */
			if (*p == '%') {
				t.arg = p;
				t.arglen = 1;
				p += 2;
			} else {
				q = strchr(p, '%');
				len = q ? (size_t)(q - p) : strlen(p);
				t.arg = p;
				t.arglen = len;
				p += len;
			}
			t.code = LF_TEXT;
			goto push;
		}
		c = p++;
		switch (*p) {
		case '"':  t.enc = LF_ENC_QUOTE; p++; break;
		case '[':  t.enc = LF_ENC_SQUID; p++; break;
		case '#':  t.enc = LF_ENC_URL; p++; break;
		case '/':  t.enc = LF_ENC_SHELL; p++; break;
		case '\'': t.enc = LF_ENC_RAW; p++; break;
		default:   break;
		}
		if (*p == '-') {
			t.left = 1;
			p++;
		}
		if (*p == '0')
			t.zero = 1;
		read_num(&p, &t.wmin);
		if (*p == '.') {
			p++;
			if (read_num(&p, &v) == 0)
				goto bad;
			t.wmax = v;
		}
		a = NULL;
		if ((got = read_arg(&p, &a, &alen)) < 0)
			goto bad;
		if (strncmp(p, "http::", 6) == 0)
			p += 6;
		best = sizeof(codes) / sizeof(codes[0]);
		len = 0;
		for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
			size_t k = strlen(codes[i].name);

			if (k > len && strncmp(p, codes[i].name, k) == 0) {
				best = i;
				len = k;
			}
		}
		if (best == sizeof(codes) / sizeof(codes[0]) &&
		    (len = ns_code(p)) > 0) {
			/* icap::, adapt::, ssl::, proxy_protocol:: codes:
			 * features tproxyd refuses or lacks; "-". */
			t.code = LF_DASH;
			p += len;
			goto args;
		}
		if (best == sizeof(codes) / sizeof(codes[0])) {
			q = p;
			while (*q != '\0' && *q != ' ' && *q != '%')
				q++;
			set_err(err, errlen, "unknown format code '",
				c, (size_t)(q - c));
			return -1;
		}
		t.code = codes[best].code;
		p += len;
args:
		if (got == 0 && (got = read_arg(&p, &a, &alen)) < 0)
			goto bad;
		if (got) {
			t.arg = a;
			t.arglen = alen;
		}
		if (t.code == LF_BYTE) {
			const char *d = a;

			if (!got || read_num(&d, &v) == 0 ||
			    d != a + alen || v < 1 || v > 255) {
				set_err(err, errlen, "%byte needs {1..255} "
					"in '", c, (size_t)(p - c));
				return -1;
			}
			t.zero = (unsigned char)v;	/* the byte */
		}
		if ((t.code == LF_REQ_HDR || t.code == LF_RESP_HDR) && got &&
		    (q = memchr(a, ':', alen)) != NULL) {
			/* {Name:member} or {Name:Smember} (separator S). */
			t.arglen = (size_t)(q - a);
			q++;
			t.sep = ',';
			if (q < a + alen && strchr(",;:|&", *q) != NULL &&
			    q + 1 < a + alen)
				t.sep = *q++;
			t.member = q;
			t.memlen = (size_t)(a + alen - q);
		}
push:
		if ((size_t)n < max && tok != NULL)
			tok[n] = t;
		n++;
	}
	return n;
bad:
	set_err(err, errlen, "malformed format code at '", c, strlen(c));
	return -1;
}
