/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipe.h - splice pipes (type and ordering rule in pipe-t.h).
 */
#ifndef TPROXYD_NET_PIPE_H
#define TPROXYD_NET_PIPE_H

#include <stdint.h>
#include <sys/types.h>

#include "core/buf-t.h"
#include "net/conn-t.h"
#include "net/pipe-t.h"

#define SPIPE_SIZE 262144	/* bytes a splice pipe is asked to hold */

/* A closed pipe (no descriptors, splicing allowed). */
void spipe_init(struct spipe *p);
/* Open p if it is not yet. Returns 0, or -1 when no pipe can be had (out
 * of descriptors, or the reserve would be touched): p is then off, and its
 * direction copies until spipe_reset(). Descriptors count in core/limits. */
int spipe_open(struct spipe *p);
/* Close p, dropping whatever it holds; p->off is kept. */
void spipe_close(struct spipe *p);
/* Close, and allow splicing again (the connection went idle). */
void spipe_reset(struct spipe *p);
/* Splice refused: no more fills; what p holds is still written out. */
void spipe_off(struct spipe *p);
/* p may take more bytes now (it need not be open yet). */
int spipe_room(const struct spipe *p);

/* Move up to max bytes from connection c into the open pipe p. Returns the
 * count (> 0), 0 at the end of the stream, -EAGAIN when there is nothing
 * to move now, -EOPNOTSUPP when c cannot be spliced, or another negative
 * errno: an error of the socket. */
ssize_t spipe_fill(struct spipe *p, struct conn *c, size_t max);
/* Write what p holds to c, at most max bytes (> 0). Returns the count
 * (> 0), -EAGAIN, -EOPNOTSUPP when c cannot take spliced bytes, or
 * another negative errno. */
ssize_t spipe_flush(struct spipe *p, struct conn *c, size_t max);
/*
 * The destination cannot take spliced bytes: hand what p holds to the copy
 * path, a bufferful at a time. b is the direction's input buffer and *fwd
 * the count of its bytes approved for the other side; both must be empty,
 * so the pipe's bytes, the oldest, go first. Returns bytes moved, or -1.
 */
ssize_t spipe_unload(struct spipe *p, struct buf *b, uint64_t *fwd);

#endif
