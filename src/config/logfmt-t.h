/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * logfmt-t.h - a compiled access.log format (Squid's logformat): the
 * format string is parsed once, at load, into a list of tokens; each
 * record is then formatted by walking the list.
 */
#ifndef TPROXYD_CONFIG_LOGFMT_T_H
#define TPROXYD_CONFIG_LOGFMT_T_H

#include <stddef.h>

/* What a token prints. The names are Squid's % codes. */
enum lf_code {
	LF_TEXT,		/* literal text (arg) */
	LF_DASH,		/* a code tproxyd knows but has no value for */
	LF_BYTE,		/* %byte{N} */
	LF_SEQ,			/* %sn, %master_xaction */
	LF_CLIENT_IP,		/* %>a %>A */
	LF_CLIENT_PORT,		/* %>p */
	LF_LOCAL_IP,		/* %la %>la */
	LF_LOCAL_PORT,		/* %lp %>lp */
	LF_SERVER_IP,		/* %<a */
	LF_SERVER_NAME,		/* %<A */
	LF_SERVER_PORT,		/* %<p */
	LF_TIME_SEC,		/* %ts */
	LF_TIME_MSEC,		/* %tu */
	LF_TIME_LOCAL,		/* %tl */
	LF_TIME_GMT,		/* %tg */
	LF_TIME_RESP,		/* %tr */
	LF_TIME_START,		/* %tS */
	LF_USER,		/* %ul: the authenticated user (%ui %us:
				   none, "-") */
	LF_METHOD,		/* %rm %>rm %<rm */
	LF_URL,			/* %ru %<ru: honours strip_query_terms */
	LF_URL_RAW,		/* %>ru: as received */
	LF_SCHEME,		/* %>rs %<rs */
	LF_DOMAIN,		/* %>rd %<rd */
	LF_PORT,		/* %>rP %<rP */
	LF_PATH,		/* %rp %>rp %<rp */
	LF_VERSION,		/* %rv %>rv %<rv */
	LF_REQ_HDR,		/* %>h %>ha */
	LF_RESP_HDR,		/* %<h */
	LF_STATUS,		/* %>Hs */
	LF_STATUS_SRV,		/* %<Hs */
	LF_MIME,		/* %mt */
	LF_SIZE_TOTAL,		/* %st */
	LF_SIZE_IN,		/* %>st */
	LF_SIZE_OUT,		/* %<st */
	LF_SIZE_REQ_HDR,	/* %>sh */
	LF_SQUID_STATUS,	/* %Ss */
	LF_HIER,		/* %Sh */
	LF_ERR_CODE,		/* %err_code */
	LF_ICAP_TT,		/* %icap::tt: milliseconds spent in ICAP
				   transactions */
	LF_ICAP_SVC,		/* %icap::<service_name */
	LF_USER_NAME,		/* %un: the authenticated user, else the
				   external acl's user= */
	LF_EXT_USER,		/* %ue: the external acl's user= */
	LF_TAG,			/* %et: the external acl's tag= */
	LF_EXT_LOG,		/* %ea: the external acl's log= */
	/* Intercepted TLS: one string each of struct alog_rec's tls[]
	 * (LF_TLS_FIRST + enum alog_tls). */
	LF_TLS_FIRST,
	LF_TLS_SNI = LF_TLS_FIRST,	/* %ssl::>sni */
	LF_TLS_BUMP_MODE,	/* %ssl::bump_mode */
	LF_TLS_VERSION,		/* %ssl::>negotiated_version,
				   %ssl::<negotiated_version */
	LF_TLS_CIPHER,		/* %ssl::>negotiated_cipher, <... */
	LF_TLS_HELLO_VERSION,	/* %ssl::>received_hello_version */
	LF_TLS_SUPPORTED,	/* %ssl::>received_supported_version */
	LF_TLS_SRV_HELLO_VERSION,	/* %ssl::<received_hello_version,
					   %ssl::<received_supported_version */
	LF_TLS_CERT_ERRORS,	/* %ssl::<cert_errors */
	LF_TLS_ECH,		/* %ssl::>ech (tproxyd's): "outer" */
	LF_TLS_ALPN,		/* %ssl::>alpn (tproxyd's): the client's
				   offered protocols, "h2,http/1.1" */
	LF_TLS_END,
};

/* How a value is protected; LF_ENC_AUTO is the code's own default. */
enum lf_enc {
	LF_ENC_AUTO,		/* raw codes: controls and SP %-encoded;
				   header and method codes: as LF_ENC_PASS */
	LF_ENC_QUOTE,		/* %"  \" \\ \r \n \t */
	LF_ENC_SQUID,		/* %[  % [ ] \ and outside 32..126 */
	LF_ENC_URL,		/* %#  RFC 1738, % included */
	LF_ENC_SHELL,		/* %/  \" \\ \r \n, "..." around SP */
	LF_ENC_RAW,		/* %'  as is (controls still %-encoded) */
	LF_ENC_PASS,		/* pass-through URL encoding (no %) */
};

struct lf_tok {
	unsigned char code;	/* enum lf_code */
	unsigned char enc;	/* enum lf_enc */
	unsigned char left;	/* '-': left aligned */
	unsigned char zero;	/* width started with 0: zero padded */
	int           wmin;	/* minimum width, 0 none */
	int           wmax;	/* maximum width (strings), -1 none */
	const char   *arg;	/* LF_TEXT: the text; headers: the name;
				   %tl %tg: a strftime format; NULL */
	size_t        arglen;
	const char   *member;	/* {Name:member}: the list element */
	size_t        memlen;
	char          sep;	/* {Name:;member}: the list separator */
};

struct logformat {
	const char    *name;
	size_t         ntok;
	struct lf_tok *tok;
};

#endif
