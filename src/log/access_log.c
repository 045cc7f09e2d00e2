/*
 * access_log.c - access.log in Squid's native format:
 *
 *   time.ms elapsed client code/status bytes method URL user hier/peer type
 *
 * e.g. "1732459201.123     12 127.0.0.1 TCP_MISS/200 1234 GET
 *       http://example.com/ - HIER_DIRECT/198.18.2.2 text/html"
 * (Squid's logformat squid: %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru
 *  %[un %Sh/%<a %mt). Existing Squid log tools parse it unchanged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log/access_log.h"

#define ALOG_BUF 65536

static int alog_fd = -1;
static char alog_buf[ALOG_BUF];
static size_t alog_len;

int
alog_open(const char *path)
{
	int fd;

	alog_flush();
	if (alog_fd >= 0)
		close(alog_fd);
	alog_fd = -1;
	if (path == NULL)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	alog_fd = fd;
	return 0;
}

void
alog_close(void)
{
	alog_flush();
	if (alog_fd >= 0)
		close(alog_fd);
	alog_fd = -1;
}

void
alog_flush(void)
{
	size_t off = 0;
	ssize_t n;

	while (off < alog_len && alog_fd >= 0) {
		n = write(alog_fd, alog_buf + off, alog_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* disk full: drop rather than block */
		off += (size_t)n;
	}
	alog_len = 0;
}

const char *
alog_addr(const struct sockaddr *sa, char *out, size_t n)
{
	const struct sockaddr_in6 *s6;

	if (sa == NULL) {
		snprintf(out, n, "-");
		return out;
	}
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)n);
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out,
				  (socklen_t)n);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)n);
	} else {
		snprintf(out, n, "-");
	}
	return out;
}

/* Copy a view, replacing bytes that would break the line's fields (space,
 * controls) with '%XX' escapes as Squid does for URLs. */
static size_t
put_field(char *out, size_t n, struct str s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;
	unsigned char c;

	if (s.len == 0) {
		if (n > 1)
			out[o++] = '-';
		return o;
	}
	for (i = 0; i < s.len && o + 4 < n; i++) {
		c = (unsigned char)s.p[i];
		if (c <= 0x20 || c >= 0x7f) {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}

size_t
alog_format(char *out, size_t n, const struct alog_rec *r)
{
	char client[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];
	long sec = (long)r->end;
	/* Round: 0.123 is 0.12299999 in binary. */
	long ms = (long)((r->end - (double)sec) * 1000.0 + 0.5);
	size_t o;
	int k;

	if (ms > 999)
		ms = 999;
	if (n < 256) {
		out[0] = '\0';
		return 0;
	}
	k = snprintf(out, n, "%ld.%03ld %6ld %s %s%s/%03d %llu ", sec, ms,
		     r->elapsed_ms, alog_addr(r->client, client, sizeof(client)),
		     r->code, r->aborted ? "_ABORTED" : "", r->status,
		     (unsigned long long)r->bytes);
	o = (size_t)k;
	o += put_field(out + o, n - o - 128, r->method);
	out[o++] = ' ';
	o += put_field(out + o, n - o - 128, r->url);
	k = snprintf(out + o, n - o, " - %s/%s ", r->hier,
		     r->peer_name ? r->peer_name :
		     alog_addr(r->peer, peer, sizeof(peer)));
	o += (size_t)k;
	o += put_field(out + o, n - o - 2, r->type);
	out[o++] = '\n';
	out[o] = '\0';
	return o;
}

void
alog_write(const struct alog_rec *r)
{
	char line[8192];
	size_t len;

	if (alog_fd < 0)
		return;
	len = alog_format(line, sizeof(line), r);
	if (alog_len + len > sizeof(alog_buf))
		alog_flush();
	memcpy(alog_buf + alog_len, line, len);
	alog_len += len;
}
