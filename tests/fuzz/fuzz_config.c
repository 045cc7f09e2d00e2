/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config.c - libFuzzer target for the squid.conf lexer and directive
 * parser: cfg_load_mem() over arbitrary bytes must never crash, leak or
 * hang, whatever it reports. Host names are "resolved" by fake_gai()
 * below: the fuzzer must never send DNS queries (nor wait for them).
 */
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "config/cfg-int.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Names starting with 'x' do not resolve; any other has 192.0.2.1 and
 * 2001:db8::1 (of the family asked), so both outcomes are reached.
 */
static int
fake_gai(const char *node, const char *service, const struct addrinfo *hints,
	 struct addrinfo **res)
{
	struct addrinfo *head = NULL, *ai;
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;

	(void)service;
	if (node[0] == 'x')
		return EAI_NONAME;
	if (hints->ai_family != AF_INET) {
		ai = calloc(1, sizeof(*ai) + sizeof(*s6));
		if (ai == NULL)
			return EAI_MEMORY;
		s6 = (struct sockaddr_in6 *)(ai + 1);
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr);
		ai->ai_family = AF_INET6;
		ai->ai_addr = (struct sockaddr *)s6;
		ai->ai_addrlen = sizeof(*s6);
		head = ai;
	}
	ai = calloc(1, sizeof(*ai) + sizeof(*s4));
	if (ai == NULL) {
		free(head);
		return EAI_MEMORY;
	}
	s4 = (struct sockaddr_in *)(ai + 1);
	s4->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &s4->sin_addr);
	ai->ai_family = AF_INET;
	ai->ai_addr = (struct sockaddr *)s4;
	ai->ai_addrlen = sizeof(*s4);
	ai->ai_next = head;
	*res = ai;
	return 0;
}

static void
fake_freeai(struct addrinfo *ai)
{
	struct addrinfo *next;

	for (; ai != NULL; ai = next) {
		next = ai->ai_next;
		free(ai);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_msgs m;
	struct cfg *c;
	char *text;

	/* "include" and quoted acl values read files named by the input;
	 * a glob like "/ * / * / *" would make a run slow for no coverage
	 * of our code, so such inputs are skipped. */
	if (size > 65536 || memmem(data, size, "include", 7) != NULL ||
	    memchr(data, '"', size) != NULL)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';	/* a NUL inside just ends the text early */
	cfg_getaddrinfo = fake_gai;
	cfg_freeaddrinfo = fake_freeai;
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "fuzz.conf", &m);
	if (c != NULL && m.nerr != 0)
		abort();	/* a cfg is only returned without errors */
	cfg_unref(c);
	cfg_msgs_free(&m);
	free(text);
	return 0;
}
