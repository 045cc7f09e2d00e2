/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * buf-t.h - the one byte buffer type.
 *
 * Invariants (checked by buf_check() in debug builds):
 *   area == NULL  <=>  size == 0
 *   0 <= head <= tail <= size
 *   bytes [head, tail) are pending (readable) data, [tail, size) is room.
 * A buffer never grows by itself: a connection side allocates its input
 * buffer once with the configured size, which bounds memory per connection.
 * Views (pointer + length) handed out by parsers point into area and stay
 * valid until the owner calls buf_compact(), buf_reset() or buf_free().
 */
#ifndef TPROXYD_CORE_BUF_T_H
#define TPROXYD_CORE_BUF_T_H

#include <stddef.h>

struct buf {
	char   *area;	/* storage, owned by the buffer */
	size_t  size;	/* allocated bytes */
	size_t  head;	/* offset of the first pending byte */
	size_t  tail;	/* offset one past the last pending byte */
};

#endif
