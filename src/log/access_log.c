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

#include "core/fmt.h"
#include "core/sa.h"
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
	return sa_ip_text(sa, out, n);
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

static size_t
put_text(char *out, const char *s)
{
	size_t n = strlen(s);

	memcpy(out, s, n);
	return n;
}

size_t
alog_format(char *out, size_t n, const struct alog_rec *r)
{
	long sec = (long)r->end;
	/* Round: 0.123 is 0.12299999 in binary. */
	long ms = (long)((r->end - (double)sec) * 1000.0 + 0.5);
	size_t o = 0;

	if (ms > 999)
		ms = 999;
	if (n < 512) {
		out[0] = '\0';
		return 0;
	}
	/* The fixed-size fields fit in the first 256 bytes; the views are
	 * cut to what is left, keeping room for the rest of the line. */
	o += fmt_u64(out + o, (unsigned long long)(sec < 0 ? 0 : sec));
	out[o++] = '.';
	o += fmt_u64_pad(out + o, (unsigned long long)ms, 3, '0');
	out[o++] = ' ';
	o += fmt_u64_pad(out + o, (unsigned long long)
			 (r->elapsed_ms < 0 ? 0 : r->elapsed_ms), 6, ' ');
	out[o++] = ' ';
	sa_ip_text(r->client, out + o, FMT_IP_MAX);
	o += strlen(out + o);
	out[o++] = ' ';
	o += put_text(out + o, r->code);
	if (r->aborted)
		o += put_text(out + o, "_ABORTED");
	out[o++] = '/';
	o += fmt_u64_pad(out + o, (unsigned long long)
			 (r->status < 0 ? 0 : r->status), 3, '0');
	out[o++] = ' ';
	o += fmt_u64(out + o, (unsigned long long)r->bytes);
	out[o++] = ' ';
	o += put_field(out + o, n - o - 256, r->method);
	out[o++] = ' ';
	o += put_field(out + o, n - o - 256, r->url);
	o += put_text(out + o, " - ");
	o += put_text(out + o, r->hier);
	out[o++] = '/';
	if (r->peer_name != NULL)
		o += put_field(out + o, 128, str_make(r->peer_name,
						      strlen(r->peer_name)));
	else {
		sa_ip_text(r->peer, out + o, FMT_IP_MAX);
		o += strlen(out + o);
	}
	out[o++] = ' ';
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
