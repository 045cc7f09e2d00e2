/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sa.h - small helpers over socket addresses (IPv4 and IPv6 only).
 */
#ifndef TPROXYD_CORE_SA_H
#define TPROXYD_CORE_SA_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

/* Turn an IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack
 * socket reports for IPv4 peers) into a plain AF_INET one, in place. */
void sa_unmap(struct sockaddr_storage *ss, socklen_t *len);
/* Same family, address and port. */
int sa_equal(const struct sockaddr *a, const struct sockaddr *b);
/* Same family and address, ports ignored. */
int sa_same_ip(const struct sockaddr *a, const struct sockaddr *b);
unsigned sa_port(const struct sockaddr *sa);
/* 0.0.0.0 or :: */
int sa_is_any(const struct sockaddr *sa);
void sa_set_port(struct sockaddr *sa, unsigned port);
socklen_t sa_len(const struct sockaddr *sa);
/* "a.b.c.d" or "2001:db8::1" (IPv4-mapped printed as IPv4). */
const char *sa_ip_text(const struct sockaddr *sa, char *out, size_t n);
/* "a.b.c.d:80" or "[2001:db8::1]:80". */
const char *sa_text(const struct sockaddr *sa, char *out, size_t n);

#endif
