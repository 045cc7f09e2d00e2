/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * priv_check.c - test driver for src/core/priv.c, used by
 * tests/blackbox/test_priv.py. Not installed; tproxyd itself has no test
 * modes.
 *
 *   priv_check [--user NAME] [--transparent] [--low-port] [--no-drop]
 *              [--premade] [--handshake | --intercept PORT]
 *
 * Calls priv_drop(NAME or NULL, --transparent, --low-port) unless
 * --no-drop, then prints "key: value" lines on stdout:
 *
 *   drop        ok | error <errno> <message> | skipped
 *   Uid Gid Groups CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs
 *               copied from /proc/self/status
 *   describe    priv_describe()
 *   cap         priv_transparent_cap_name()
 *   probe4 probe6   ok | error <errno> <message>   (priv_probe_transparent)
 *   fresh_bind  ok | error <where> <strerror>: a NEW socket, IP_TRANSPARENT,
 *               bind 198.18.99.1:0 (a non-local address)
 *
 * --premade makes two transparent sockets BEFORE priv_drop() and, after it,
 * binds the first to 198.18.99.1:0 (premade_bind). --handshake (needs
 * --premade and 198.18.99.0/24 routed locally from a policy table, as in a
 * TPROXY set-up; the test makes a network namespace for it) also binds the
 * second to 198.18.99.2:0, listens, connects the first to it and prints
 * "handshake: ok peer <addr>:<port> local <addr>:<port>" with the addresses
 * the accepting side saw. --intercept PORT is --handshake through TPROXY:
 * the second socket listens on 127.0.0.1:PORT and the first connects to
 * 198.18.99.5:80, which reaches it only through an nft "tproxy to :PORT"
 * rule (the test sets it up); "local" then shows the original destination.
 *
 * Exit status: 0 when priv_drop() succeeded (or was skipped), 1 otherwise,
 * 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/priv.h"

#define NONLOCAL_CLIENT	"198.18.99.1"
#define NONLOCAL_SERVER	"198.18.99.2"
#define INTERCEPTED_DST	"198.18.99.5"
#define INTERCEPTED_PORT 80

static void
print_status(void)
{
	static const char *keys[] = { "Uid:", "Gid:", "Groups:", "CapInh:",
	    "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:" };
	char line[512];
	size_t i;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (f == NULL) {
		printf("status: error %s\n", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(line, keys[i], strlen(keys[i])) == 0)
				fputs(line, stdout);
	fclose(f);
}

static void
sin_set(struct sockaddr_in *sin, const char *addr, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sin->sin_addr);
}

/* A TCP socket with IP_TRANSPARENT set, or -1 with *where naming the step. */
static int
transparent_socket(const char **where)
{
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*where = "socket";
		return -1;
	}
	if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0) {
		*where = "setsockopt(IP_TRANSPARENT)";
		one = errno;
		close(fd);
		errno = one;
		return -1;
	}
	return fd;
}

static int
bind_to(int fd, const char *addr, const char **where)
{
	struct sockaddr_in sin;

	sin_set(&sin, addr, 0);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		*where = "bind";
		return -1;
	}
	return 0;
}

static void
report(const char *key, int ok, const char *where)
{
	if (ok)
		printf("%s: ok\n", key);
	else
		printf("%s: error %s %s\n", key, where, strerror(errno));
}

static void
probe(const char *key, int family)
{
	char err[1024];
	int rc;

	rc = priv_probe_transparent(family, err, sizeof(err));
	if (rc == 0)
		printf("%s: ok\n", key);
	else
		printf("%s: error %d %s\n", key, -rc, err);
}

/*
 * Connect cli (bound to NONLOCAL_CLIENT) to srv and print the peer address
 * and the local address the server side saw. Without port, srv listens on
 * NONLOCAL_SERVER:0 and cli connects to it. With port (--intercept), srv
 * listens on 127.0.0.1:port and cli connects to INTERCEPTED_DST, which only
 * an nft "tproxy to :port" rule can deliver to srv; the local address then
 * is the original destination.
 */
static void
handshake(int cli, int srv, int port)
{
	struct sockaddr_in sin, peer, self;
	struct timeval tv = { 3, 0 };
	socklen_t len = sizeof(sin);
	const char *where = "";
	char addr[INET_ADDRSTRLEN], laddr[INET_ADDRSTRLEN];
	int c;

	if (port > 0) {
		sin_set(&sin, "127.0.0.1", port);
		where = "bind";
		if (bind(srv, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    (where = "listen", listen(srv, 1) < 0)) {
			report("handshake", 0, where);
			return;
		}
		sin_set(&sin, INTERCEPTED_DST, INTERCEPTED_PORT);
	} else if (bind_to(srv, NONLOCAL_SERVER, &where) < 0 ||
	    (where = "listen", listen(srv, 1) < 0) ||
	    (where = "getsockname",
	     getsockname(srv, (struct sockaddr *)&sin, &len) < 0)) {
		report("handshake", 0, where);
		return;
	}
	setsockopt(cli, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(cli, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		report("handshake", 0, "connect");
		return;
	}
	len = sizeof(peer);
	c = accept(srv, (struct sockaddr *)&peer, &len);
	if (c < 0) {
		report("handshake", 0, "accept");
		return;
	}
	len = sizeof(self);
	getsockname(c, (struct sockaddr *)&self, &len);
	inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof(addr));
	inet_ntop(AF_INET, &self.sin_addr, laddr, sizeof(laddr));
	printf("handshake: ok peer %s:%u local %s:%u\n", addr,
	    ntohs(peer.sin_port), laddr, ntohs(self.sin_port));
	close(c);
}

static void
usage(void)
{
	fprintf(stderr, "usage: priv_check [--user NAME] [--transparent] "
	    "[--low-port] [--no-drop] [--premade] "
	    "[--handshake | --intercept PORT]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *user = NULL, *where = "";
	int transparent = 0, low_port = 0, drop = 1, premade = 0, hs = 0;
	int icpt = 0;
	int pre1 = -1, pre2 = -1, fd, rc = 0, i;
	char err[1024];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (strcmp(argv[i], "--transparent") == 0)
			transparent = 1;
		else if (strcmp(argv[i], "--low-port") == 0)
			low_port = 1;
		else if (strcmp(argv[i], "--no-drop") == 0)
			drop = 0;
		else if (strcmp(argv[i], "--premade") == 0)
			premade = 1;
		else if (strcmp(argv[i], "--handshake") == 0)
			hs = 1;
		else if (strcmp(argv[i], "--intercept") == 0 && i + 1 < argc) {
			hs = 1;
			icpt = atoi(argv[++i]);
			if (icpt <= 0 || icpt > 65535)
				usage();
		}
		else
			usage();
	}
	if (hs && !premade)
		usage();

	if (premade) {
		pre1 = transparent_socket(&where);
		if (pre1 >= 0)
			pre2 = transparent_socket(&where);
		report("premade", pre1 >= 0 && pre2 >= 0, where);
	}

	if (drop) {
		rc = priv_drop(user, transparent, low_port, err, sizeof(err));
		if (rc == 0)
			printf("drop: ok\n");
		else
			printf("drop: error %d %s\n", -rc, err);
	} else {
		printf("drop: skipped\n");
	}

	print_status();
	priv_describe(err, sizeof(err));
	printf("describe: %s\n", err);
	printf("cap: %s\n", priv_transparent_cap_name());
	probe("probe4", AF_INET);
	probe("probe6", AF_INET6);

	fd = transparent_socket(&where);
	if (fd >= 0) {
		report("fresh_bind", bind_to(fd, NONLOCAL_CLIENT, &where) == 0,
		    where);
		close(fd);
	} else {
		report("fresh_bind", 0, where);
	}

	if (pre1 >= 0 && pre2 >= 0) {
		report("premade_bind",
		    bind_to(pre1, NONLOCAL_CLIENT, &where) == 0, where);
		if (hs)
			handshake(pre1, pre2, icpt);
	}
	fflush(stdout);
	return rc == 0 ? 0 : 1;
}
