/*
 * fuzz_config.c - libFuzzer target for the squid.conf lexer and directive
 * parser: cfg_load_mem() over arbitrary bytes must never crash, leak or
 * hang, whatever it reports.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	memset(&m, 0, sizeof(m));
	c = cfg_load_mem(text, "fuzz.conf", &m);
	if (c != NULL && m.nerr != 0)
		abort();	/* a cfg is only returned without errors */
	cfg_unref(c);
	cfg_msgs_free(&m);
	free(text);
	return 0;
}
