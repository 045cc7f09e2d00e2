/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipe-t.h - a splice(2) pipe: one direction of a stream, moving bytes
 * from one socket to the other without a copy to user space.
 */
#ifndef TPROXYD_NET_PIPE_T_H
#define TPROXYD_NET_PIPE_T_H

#include <stddef.h>

/*
 * Opened when first needed, kept while its connection is busy, closed when
 * the connection goes idle. At any time, a direction's bytes are either in
 * its pipe or in its buffers, never both: a pipe starts filling only when
 * the buffers are empty, and nothing is read into them while the pipe
 * holds bytes. That keeps the order.
 */
struct spipe {
	int      fd[2];		/* read end, write end, or -1 */
	size_t   len;		/* bytes in it, not yet written out */
	size_t   cap;		/* its size (F_GETPIPE_SZ) */
	unsigned off:1;		/* splice failed or no descriptor: copy
				   until the connection is idle */
	unsigned full:1;	/* a fill found no room: wait until some
				   bytes were written out */
	unsigned unload:1;	/* cannot splice out: its bytes go back
				   through the input buffer */
};

#endif
