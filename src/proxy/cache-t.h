/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache-t.h - what a stream keeps for the HTTP cache (cache_req.c,
 * cache_hit.c, cache_fill.c): the stored response it found or is
 * revalidating, the one it is filling from the server's response, and
 * where a hit stands in the stored body.
 */
#ifndef TPROXYD_PROXY_CACHE_T_H
#define TPROXYD_PROXY_CACHE_T_H

#include <stdint.h>

#include "cache/store-t.h"
#include "core/buf-t.h"
#include "http/h1-t.h"

struct cdisk_rd;
struct hit_open;
struct sib_query;

struct strm_cache {
	struct cobj    *found;	/* a hit, or the object being revalidated
				   (a reference) */
	struct cobj    *fill;	/* the object this response fills (the
				   filler's reference) */
	struct h1_body  dechunk;	/* the stored copy of a chunked body
					   is decoded with its own state */
	int64_t         req_time;	/* when the request went on, for the
					   stored response's age */
	struct cache_req_facts rq;	/* the request's Cache-Control and
					   Pragma (cache_lookup) */
	struct sib_query *sibq;	/* siblings being asked */
	int             sib_peer;	/* the cfg->peer index of the
					   sibling that has it (sib_hit) */
	size_t          oic_len;	/* bytes of the only-if-cached field
					   added for a sibling */
	/* Serving a hit (the applet's state). */
	struct ccursor  cur;
	uint64_t        end;	/* body offset one past the last byte to
				   send; UINT64_MAX: up to the stored end */
	struct buf      view;	/* the response channel's input: a view
				   of stored bytes, never owned */
	struct cwait    wait;	/* waiting for a fill to progress */
	struct cwait    fill_wait;	/* the filler waiting for the disk */
	/* A hit whose body is in a cache_dir file. */
	struct cdisk_rd *rd;	/* the open file */
	struct hit_open *opening;	/* an open in progress */
	char           *dbuf;	/* what the last read brought */
	int             disk_err;	/* the file could not be read */
	unsigned        on:1;	/* cache allows this request: it may be
				   stored (cache acl) */
	unsigned        cond:1;	/* validators were added to revalidate
				   found */
	unsigned        body:1;	/* the hit sends a body */
	unsigned        head_wait:1;	/* hit of a fill whose length is
					   not known: the head waits for the
					   end */
	unsigned        from_disk:1;	/* the body comes from a file */
	unsigned        head_built:1;
	unsigned        reading:1;	/* a read of the file is out */
	unsigned        rd_kept:1;	/* rd is the object's kept file */
	unsigned        own_rd:1;	/* reads need a reader of its own */
	unsigned        served:1;	/* answered from the cache */
	unsigned        sib_asked:1;	/* the siblings were asked */
	unsigned        sib_hit:1;	/* ... and sib_peer has it */
};

#endif
