/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wccp2.h - WCCPv2: the pure codec (wccp2_codec.c), MD5 (md5.c) and the
 * control plane (wccp2.c). Types and wire constants are in wccp2-t.h.
 */
#ifndef TPROXYD_WCCP_WCCP2_H
#define TPROXYD_WCCP_WCCP2_H

#include <stddef.h>
#include <stdint.h>

#include "wccp/wccp2-t.h"

struct cfg;

/* ---- codec: pure functions, no I/O, no allocation, no globals ---- */

/*
 * Decode the len bytes at buf into *m (fully overwritten). Checks every
 * length against the bytes present, rejects messages missing the
 * components their type requires, and skips unknown components (their
 * length is still checked). Returns 0 or a WCCP2_E_* code (< 0). The
 * MD5 checksum is NOT verified here: see wccp2_md5_verify().
 */
int wccp2_decode(const uint8_t *buf, size_t len, struct wccp2_msg *m);

/*
 * Encode *m into buf (cap bytes). Components are written in the draft's
 * order for m->type: Security, Service, then the has_* ones. With
 * m->security == WCCP2_SEC_MD5 the checksum is computed with password
 * (NULL = empty). Returns the message length, or WCCP2_E_NOSPACE /
 * WCCP2_E_TOOMANY.
 */
int wccp2_encode(const struct wccp2_msg *m, const char *password,
		 uint8_t *buf, size_t cap);

/*
 * Check the MD5 checksum of a decoded message: MD5 over the password (NUL
 * padded to 8 bytes) followed by the whole message with the checksum
 * field zeroed. buf is not modified. Returns 0, or WCCP2_E_AUTH (also
 * when the message carries no MD5 security).
 */
int wccp2_md5_verify(const uint8_t *buf, size_t len, size_t md5_off,
		     const char *password);

/* A static description of a WCCP2_E_* code. */
const char *wccp2_strerror(int err);
/* "HERE_I_AM", ... or "type N" in the caller's buffer. */
const char *wccp2_type_str(uint32_t type);
/* Dotted quad of a host-order address into buf (>= 16 bytes). */
const char *wccp2_ip_str(uint32_t ip, char *buf, size_t size);

/*
 * Spread the 256 hash buckets over n caches in proportion to weight[i]
 * (all zero weights: equal shares), writing the cache index of each
 * bucket into bucket[]. Contiguous ranges, caches in the given order.
 */
void wccp2_spread_buckets(const uint16_t *weight, uint32_t n,
			  uint8_t bucket[WCCP2_NBUCKETS]);

/* ---- md5.c: RFC 1321 ---- */

struct wccp2_md5 {
	uint32_t        state[4];
	uint64_t        nbytes;
	uint8_t         block[64];
};

void wccp2_md5_init(struct wccp2_md5 *c);
void wccp2_md5_update(struct wccp2_md5 *c, const void *data, size_t len);
void wccp2_md5_final(struct wccp2_md5 *c, uint8_t out[16]);

/* ---- wccp2.c: the control plane (one per serving process) ---- */

/*
 * Start WCCPv2 for configuration c when it names wccp2_router lines: open
 * the UDP socket(s), schedule HERE_I_AM. Errors are logged, never fatal
 * (the proxy still serves traffic that reaches it by other means).
 * Returns 0 (also when WCCP is not configured) or -1.
 */
int wccp2_start(struct cfg *c);
/* Apply a new configuration: stop, then start with c. A no-op in a
 * process that never called wccp2_start() (workers other than kid1). */
int wccp2_reconfigure(struct cfg *c);
/* Shutdown begins (listeners closed, connections draining): keep
 * announcing, but give new connections back to the router (packet
 * return, with GRE forwarding). */
void wccp2_drain(void);
/* Close sockets and timers. */
void wccp2_stop(void);

#endif
