/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transparent_shim.c - LD_PRELOAD shim for the nginx peer of `make bench`.
 *
 * TPROXY only delivers a diverted connection to a listening socket that has
 * IP_TRANSPARENT (IPV6_TRANSPARENT) set, and nginx has no listen parameter
 * for that (its "transparent" exists only for proxy_bind). This shim wraps
 * bind(): when a TCP socket is bound to the port named by the environment
 * variable TRANSPARENT_PORT, it sets the option first, then calls the real
 * bind(). Everything else is passed through untouched.
 *
 *   cc -shared -fPIC -O2 -o transparent_shim.so transparent_shim.c -ldl
 *   TRANSPARENT_PORT=3129 LD_PRELOAD=./transparent_shim.so nginx ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	static bind_fn real_bind;
	const char *env;
	int one = 1, port = -1, type = 0;
	socklen_t tl = sizeof(type);

	if (real_bind == NULL)
		real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
	env = getenv("TRANSPARENT_PORT");
	if (env != NULL && sa != NULL &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 &&
	    type == SOCK_STREAM) {
		if (sa->sa_family == AF_INET &&
		    len >= (socklen_t)sizeof(struct sockaddr_in))
			port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
		else if (sa->sa_family == AF_INET6 &&
		    len >= (socklen_t)sizeof(struct sockaddr_in6))
			port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
		/* A failure shows up later as "no connection delivered";
		 * the bench verifies every peer before measuring it. */
		if (port == atoi(env)) {
			if (sa->sa_family == AF_INET)
				(void)setsockopt(fd, SOL_IP, IP_TRANSPARENT,
				    &one, sizeof(one));
			else
				(void)setsockopt(fd, SOL_IPV6,
				    IPV6_TRANSPARENT, &one, sizeof(one));
		}
	}
	return real_bind(fd, sa, len);
}

/*
 * mitmproxy's transparent mode asks the kernel where an intercepted
 * connection was going with SO_ORIGINAL_DST, which only the NAT (REDIRECT)
 * way of intercepting answers. Under TPROXY the accepted socket's own local
 * address is that destination: with TRANSPARENT_ORIGDST set, the shim
 * answers SO_ORIGINAL_DST (IPv4) and IP6T_SO_ORIGINAL_DST (IPv6) with
 * getsockname(). Everything else is passed through untouched.
 */
#define SHIM_SO_ORIGINAL_DST 80

typedef int (*getsockopt_fn)(int, int, int, void *, socklen_t *);

int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static getsockopt_fn real_getsockopt;

	if (real_getsockopt == NULL)
		real_getsockopt = (getsockopt_fn)dlsym(RTLD_NEXT,
						       "getsockopt");
	if (name == SHIM_SO_ORIGINAL_DST &&
	    (level == SOL_IP || level == SOL_IPV6) && val != NULL &&
	    len != NULL && getenv("TRANSPARENT_ORIGDST") != NULL)
		return getsockname(fd, (struct sockaddr *)val, len);
	return real_getsockopt(fd, level, name, val, len);
}
