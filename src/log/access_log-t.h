/*
 * access_log-t.h - one access.log record (Squid's native format).
 */
#ifndef TPROXYD_LOG_ACCESS_LOG_T_H
#define TPROXYD_LOG_ACCESS_LOG_T_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/str.h"

struct alog_rec {
	double                 end;		/* completion time, epoch s */
	long                   elapsed_ms;
	const struct sockaddr *client;
	const char            *code;		/* "TCP_MISS", "TCP_DENIED"
						   ... */
	int                    aborted;		/* adds "_ABORTED" to code */
	int                    status;		/* 0 logs as 000 */
	uint64_t               bytes;		/* sent to the client */
	struct str             method;
	struct str             url;
	const char            *hier;		/* "HIER_DIRECT", "HIER_NONE" */
	const struct sockaddr *peer;		/* NULL logs "-" */
	const char            *peer_name;	/* used instead of peer
						   if set */
	struct str             type;		/* Content-Type, empty
						   logs "-" */
};

#endif
