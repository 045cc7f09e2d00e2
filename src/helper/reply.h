/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reply.h - reading helper reply lines (pure: no I/O, no allocation, no
 * globals). The pool (helper.c) cuts the lines and the channel IDs; the
 * users (url_rewrite, store_id, ...) read the parsed replies.
 */
#ifndef TPROXYD_HELPER_REPLY_H
#define TPROXYD_HELPER_REPLY_H

#include <stddef.h>

#include "helper/helper-t.h"

/*
 * Parse one reply line of len bytes (no line feed, no channel ID) the way
 * Squid's Helper::Reply does: a result code (OK, ERR, BH, "TT token",
 * "AF [token] user", "NA msg"), then key=value pairs (key: letters,
 * digits, '-' and '_'; value: a token, %-decoded, or a "quoted string"
 * with \" \\ \n \r escapes); what does not look like a pair ends them and
 * is left in r->other. BH and NA keep their text as message=. An empty
 * line is ERR (the old url_rewrite "no change"). The line is changed in
 * place and must have room for len + 1 bytes (line[len] is written);
 * bytes from a NUL on are ignored. Never fails.
 */
void hlp_reply_parse(char *line, size_t len, struct hlp_reply *r);

/* The value of the first pair named key, or NULL (vlen may be NULL). */
const char *hlp_reply_get(const struct hlp_reply *r, const char *key,
			  size_t *vlen);

/*
 * A reply with concurrency: "ID rest". Stores the ID and the offset of
 * the rest (after the blanks that follow the ID). Returns 0, or -1 when
 * the line does not start with a decimal ID below 2^31.
 */
int hlp_channel_split(const char *line, size_t len, unsigned *id,
		      size_t *rest);

/*
 * The url_rewrite helpers' old answers (Squid's redirectHandleReply()): a
 * reply without a result code whose first word is "301:URL" ... "308:URL"
 * (301, 302, 303, 307, 308) becomes OK status=NNN url=URL; another word
 * becomes OK rewrite-url=WORD (a leading "!group!" of Squid 2's urlgroups
 * is dropped; words after the first are ignored, as Squid does). A bad
 * redirect ("302" alone) becomes OK with no pair (no change). Replies with
 * a result code are left alone. Returns 1 when r was changed, else 0.
 */
int hlp_reply_legacy_rewrite(struct hlp_reply *r);

/* "OK", "ERR", "BH", "TT", "TIMEDOUT", "UNKNOWN" (static). */
const char *hlp_result_str(enum hlp_result res);

#endif
