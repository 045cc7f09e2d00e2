/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acl_names.c - the names ssl_error and squid_error acls take: OpenSSL's
 * certificate verification results (X509_V_ERR_*: tls/verify_names.c),
 * the few Squid adds (SQUID_X509_V_ERR_*,
 * SQUID_TLS_ERR_*), and Squid's error types (ERR_*, the names of its
 * error pages). Pure tables: the configuration checks values against
 * them, and whoever checks a server's certificate can turn OpenSSL's code
 * into the name ssl_error acls compare (acl_ssl_error_name()).
 */
#include <stddef.h>
#include <string.h>

#include "acl/acl.h"
#include "tls/tls.h"


/* Squid's own names (no OpenSSL code), and the old name Squid still
 * reads for one of them. */
static const struct {
	const char *name;
	const char *canon;
} squid_errors[] = {
	{ "SQUID_X509_V_ERR_DOMAIN_MISMATCH",
	  "SQUID_X509_V_ERR_DOMAIN_MISMATCH" },
	{ "SQUID_X509_V_ERR_CERT_CHANGE", "SQUID_X509_V_ERR_CERT_CHANGE" },
	{ "SQUID_X509_V_ERR_INFINITE_VALIDATION",
	  "SQUID_X509_V_ERR_INFINITE_VALIDATION" },
	{ "SQUID_TLS_ERR_ACCEPT", "SQUID_TLS_ERR_ACCEPT" },
	{ "SQUID_TLS_ERR_CONNECT", "SQUID_TLS_ERR_CONNECT" },
	{ "SQUID_ERR_SSL_HANDSHAKE", "SQUID_TLS_ERR_CONNECT" },
};

/* Squid 7's error types (src/error/forward.h), in its order. */
static const char *const err_types[] = {
	"ERR_NONE",
	"ERR_ACCESS_DENIED", "ERR_CACHE_ACCESS_DENIED",
	"ERR_CACHE_MGR_ACCESS_DENIED", "ERR_FORWARDING_DENIED",
	"ERR_NO_RELAY", "ERR_CANNOT_FORWARD",
	"ERR_READ_TIMEOUT", "ERR_LIFETIME_EXP", "ERR_READ_ERROR",
	"ERR_WRITE_ERROR", "ERR_CONNECT_FAIL", "ERR_SECURE_CONNECT_FAIL",
	"ERR_SOCKET_FAILURE",
	"ERR_DNS_FAIL", "ERR_URN_RESOLVE",
	"ERR_ONLY_IF_CACHED_MISS", "ERR_TOO_BIG", "ERR_INVALID_RESP",
	"ERR_UNSUP_HTTPVERSION", "ERR_INVALID_REQ", "ERR_UNSUP_REQ",
	"ERR_INVALID_URL", "ERR_ZERO_SIZE_OBJECT", "ERR_PRECONDITION_FAILED",
	"ERR_CONFLICT_HOST",
	"ERR_FTP_DISABLED", "ERR_FTP_UNAVAILABLE", "ERR_FTP_FAILURE",
	"ERR_FTP_PUT_ERROR", "ERR_FTP_NOT_FOUND", "ERR_FTP_FORBIDDEN",
	"ERR_FTP_PUT_CREATED", "ERR_FTP_PUT_MODIFIED",
	"ERR_ESI", "ERR_ICAP_FAILURE", "ERR_GATEWAY_FAILURE",
	"ERR_DIR_LISTING", "ERR_SQUID_SIGNATURE", "ERR_SHUTTING_DOWN",
	"ERR_PROTOCOL_UNKNOWN",
	"TCP_RESET", "ERR_CLIENT_GONE", "ERR_SECURE_ACCEPT_FAIL",
	"ERR_REQUEST_START_TIMEOUT", "ERR_REQUEST_PARSE_TIMEOUT",
	"ERR_RELAY_REMOTE", "MGR_INDEX",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
acl_ssl_error_name(long code)
{
	return code > 0 ? tls_verify_error_name(code) : NULL;
}

const char *
acl_ssl_error_canon(const char *name)
{
	const char *c = tls_verify_error_canon(name);
	size_t i;

	if (c != NULL)
		return c;
	for (i = 0; i < NELEM(squid_errors); i++)
		if (strcmp(squid_errors[i].name, name) == 0)
			return squid_errors[i].canon;
	return NULL;
}

const char *
acl_squid_error_canon(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(err_types); i++)
		if (strcmp(err_types[i], name) == 0)
			return err_types[i];
	return NULL;
}
