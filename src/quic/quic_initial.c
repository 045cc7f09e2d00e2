/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * quic_initial.c - QUIC long header packets and Initial packet protection
 * (RFC 9000 §17.2, RFC 9001 §5, RFC 9369 §3 for version 2).
 *
 * Initial packets are encrypted, but with keys derived from the client's
 * first Destination Connection ID and a salt published for each version:
 * anybody on the path can open them (RFC 9001 §5.2 says so). This file
 * derives those keys with OpenSSL's HKDF, removes the header protection
 * (AES-128-ECB over a sample of the ciphertext) and opens the payload
 * (AES-128-GCM). Pure: no I/O, no global state; the reads are bounded by
 * the lengths given.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "quic/quic.h"

#define AEAD_TAG   16
#define HP_SAMPLE  16
#define PN_MAX_LEN 4

/* RFC 9001 §5.2 and RFC 9369 §3.3.1. */
static const uint8_t salt_v1[20] = {
	0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
};
static const uint8_t salt_v2[20] = {
	0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
};

size_t
quic_varint(const uint8_t *p, size_t n, uint64_t *v)
{
	size_t len, i;

	if (n == 0)
		return 0;
	/* The two high bits of the first byte give the length. */
	len = (size_t)1 << (p[0] >> 6);
	if (len > n)
		return 0;
	*v = p[0] & 0x3f;
	for (i = 1; i < len; i++)
		*v = *v << 8 | p[i];
	return len;
}

/* Write v as a varint of exactly len bytes (1, 2, 4 or 8) when it fits. */
static int
varint_put(uint8_t *p, uint64_t v, size_t len)
{
	static const uint8_t bits[9] = { 0, 0x00, 0x40, 0, 0x80, 0, 0, 0,
					 0xc0 };
	size_t i;

	if (len < 8 && v >> (len * 8 - 2) != 0)
		return -1;
	for (i = len; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
	p[0] |= bits[len];
	return 0;
}

static size_t
varint_len(uint64_t v)
{
	return v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;
}

/*
 * HKDF (RFC 5869) through OpenSSL's EVP_KDF: extract when salt is not
 * NULL (out gets the 32-byte PRK), else expand key into outlen bytes with
 * info. 0 or -1.
 */
static int
hkdf(const uint8_t *salt, size_t salt_len, const uint8_t *key,
     size_t key_len, const uint8_t *info, size_t info_len, uint8_t *out,
     size_t outlen)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[6], *p = params;
	int mode, rc;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf == NULL)
		return -1;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (kctx == NULL)
		return -1;
	mode = salt != NULL ? EVP_KDF_HKDF_MODE_EXTRACT_ONLY :
	    EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)key, key_len);
	if (salt != NULL)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)(uintptr_t)salt, salt_len);
	else
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)(uintptr_t)info, info_len);
	*p = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kctx, out, outlen, params) > 0 ? 0 : -1;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

/* TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) with an empty context. */
static int
expand_label(const uint8_t secret[32], const char *label, uint8_t *out,
	     size_t outlen)
{
	uint8_t info[2 + 1 + 6 + 32 + 1];
	size_t llen = strlen(label), n = 0;

	if (llen > 32)
		return -1;
	info[n++] = (uint8_t)(outlen >> 8);
	info[n++] = (uint8_t)outlen;
	info[n++] = (uint8_t)(6 + llen);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0;
	return hkdf(NULL, 0, secret, 32, info, n, out, outlen);
}

int
quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
		  int server, struct quic_keys *keys)
{
	uint8_t initial[32];
	const uint8_t *salt;
	int v2;

	if (version != QUIC_V1 && version != QUIC_V2)
		return -1;
	v2 = version == QUIC_V2;
	salt = v2 ? salt_v2 : salt_v1;
	memset(keys, 0, sizeof(*keys));
	if (hkdf(salt, sizeof(salt_v1), dcid, dcid_len, NULL, 0, initial,
	    sizeof(initial)) < 0 ||
	    expand_label(initial, server ? "server in" : "client in",
	    keys->secret, sizeof(keys->secret)) < 0 ||
	    expand_label(keys->secret, v2 ? "quicv2 key" : "quic key",
	    keys->key, sizeof(keys->key)) < 0 ||
	    expand_label(keys->secret, v2 ? "quicv2 iv" : "quic iv",
	    keys->iv, sizeof(keys->iv)) < 0 ||
	    expand_label(keys->secret, v2 ? "quicv2 hp" : "quic hp",
	    keys->hp, sizeof(keys->hp)) < 0)
		return -1;
	return 0;
}

/* The header protection mask: AES-128-ECB of the 16-byte sample (RFC 9001
 * §5.4.3); its first 5 bytes are used. */
static int
hp_mask(const uint8_t hp[16], const uint8_t *sample, uint8_t mask[16])
{
	EVP_CIPHER_CTX *cx;
	int len, rc = -1;

	cx = EVP_CIPHER_CTX_new();
	if (cx == NULL)
		return -1;
	if (EVP_EncryptInit_ex(cx, EVP_aes_128_ecb(), NULL, hp, NULL) > 0 &&
	    EVP_CIPHER_CTX_set_padding(cx, 0) > 0 &&
	    EVP_EncryptUpdate(cx, mask, &len, sample, HP_SAMPLE) > 0 &&
	    len == HP_SAMPLE)
		rc = 0;
	EVP_CIPHER_CTX_free(cx);
	return rc;
}

/* The AEAD nonce: the IV with the packet number XORed into its low bytes
 * (RFC 9001 §5.3). */
static void
make_nonce(const uint8_t iv[12], uint64_t pn, uint8_t nonce[12])
{
	int i;

	memcpy(nonce, iv, 12);
	for (i = 11; i >= 4; i--) {
		nonce[i] ^= (uint8_t)pn;
		pn >>= 8;
	}
}

/*
 * AES-128-GCM over in[0..len) with the additional data given in three
 * pieces (the unprotected first byte, the header bytes after it up to the
 * packet number, the unprotected packet number): it is never assembled in
 * one buffer, so a long token costs no copy. enc 1: encrypt and write the
 * tag after the output; enc 0: in ends with the tag, check it. 0 or -1.
 */
static int
aead(int enc, const struct quic_keys *k, uint64_t pn, const uint8_t *aad1,
     size_t aad1_len, const uint8_t *aad2, size_t aad2_len,
     const uint8_t *aad3, size_t aad3_len, const uint8_t *in, size_t len,
     uint8_t *out)
{
	EVP_CIPHER_CTX *cx;
	uint8_t nonce[12], tag[AEAD_TAG];
	int l, rc = -1;

	if (!enc) {
		if (len < AEAD_TAG)
			return -1;
		len -= AEAD_TAG;
		memcpy(tag, in + len, AEAD_TAG);
	}
	make_nonce(k->iv, pn, nonce);
	cx = EVP_CIPHER_CTX_new();
	if (cx == NULL)
		return -1;
	if (EVP_CipherInit_ex(cx, EVP_aes_128_gcm(), NULL, k->key, nonce,
	    enc) <= 0)
		goto out;
	if (EVP_CipherUpdate(cx, NULL, &l, aad1, (int)aad1_len) <= 0 ||
	    (aad2_len > 0 &&
	    EVP_CipherUpdate(cx, NULL, &l, aad2, (int)aad2_len) <= 0) ||
	    EVP_CipherUpdate(cx, NULL, &l, aad3, (int)aad3_len) <= 0)
		goto out;
	if (len > 0 && (EVP_CipherUpdate(cx, out, &l, in, (int)len) <= 0 ||
	    (size_t)l != len))
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_TAG, AEAD_TAG,
	    tag) <= 0)
		goto out;
	if (EVP_CipherFinal_ex(cx, out + len, &l) <= 0)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, AEAD_TAG,
	    out + len) <= 0)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(cx);
	return rc;
}

/* RFC 9000 §17.2: the type bits of each version, by meaning. */
static enum quic_pt
pkt_type(uint32_t version, uint8_t b0)
{
	unsigned bits = (b0 >> 4) & 3;

	/* Version 2 turned them by one: Initial 1, 0-RTT 2, Handshake 3,
	 * Retry 0 (RFC 9369 §3.2). */
	if (version == QUIC_V2)
		bits = (bits + 3) & 3;
	return (enum quic_pt)bits;
}

static unsigned
type_bits(uint32_t version, enum quic_pt t)
{
	return version == QUIC_V2 ? ((unsigned)t + 1) & 3 : (unsigned)t;
}

/* Read a length-prefixed connection ID at p[*off]. */
static int
read_cid(const uint8_t *p, size_t n, size_t *off, const uint8_t **cid,
	 uint8_t *cid_len, const char **why)
{
	if (*off >= n) {
		*why = "truncated long header";
		return QUIC_MALFORMED;
	}
	*cid_len = p[(*off)++];
	if (*cid_len > QUIC_CID_MAX) {
		*why = "connection ID longer than 20 bytes";
		return QUIC_MALFORMED;
	}
	if (*cid_len > n - *off) {
		*why = "truncated long header";
		return QUIC_MALFORMED;
	}
	*cid = p + *off;
	*off += *cid_len;
	return 0;
}

int
quic_initial_parse(const uint8_t *p, size_t n, struct quic_pkt *k,
		   const char **why)
{
	uint64_t v;
	size_t off, l;
	int rc;

	memset(k, 0, sizeof(*k));
	if (n == 0 || (p[0] & 0x80) == 0) {
		*why = "not a QUIC long header packet";
		return QUIC_NOT_QUIC;
	}
	if (n < 5) {
		*why = "truncated long header";
		return QUIC_MALFORMED;
	}
	k->version = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 8 | p[4];
	if (k->version == 0) {
		*why = "QUIC Version Negotiation packet";
		return QUIC_NOT_QUIC;
	}
	if (k->version != QUIC_V1 && k->version != QUIC_V2) {
		*why = "not QUIC v1/v2";
		return QUIC_NOT_QUIC;
	}
	/* The fixed bit: 1 in every v1/v2 long header, until both ends
	 * agreed to grease it (RFC 9287), which no first flight has. */
	if ((p[0] & 0x40) == 0) {
		*why = "QUIC fixed bit is 0";
		return QUIC_MALFORMED;
	}
	k->type = pkt_type(k->version, p[0]);
	off = 5;
	if ((rc = read_cid(p, n, &off, &k->dcid, &k->dcid_len, why)) < 0 ||
	    (rc = read_cid(p, n, &off, &k->scid, &k->scid_len, why)) < 0)
		return rc;
	if (k->type == QUIC_PT_RETRY) {
		*why = "Retry packet from a client";
		return QUIC_MALFORMED;
	}
	if (k->type == QUIC_PT_INITIAL) {
		l = quic_varint(p + off, n - off, &v);
		if (l == 0 || v > n - off - l) {
			*why = "truncated Initial token";
			return QUIC_MALFORMED;
		}
		off += l;
		k->token = p + off;
		k->token_len = (size_t)v;
		off += (size_t)v;
	}
	l = quic_varint(p + off, n - off, &v);
	if (l == 0) {
		*why = "truncated long header";
		return QUIC_MALFORMED;
	}
	off += l;
	if (v > n - off) {
		*why = "packet longer than its datagram";
		return QUIC_MALFORMED;
	}
	k->pn_off = off;
	k->len = off + (size_t)v;
	return 0;
}

/* RFC 9000 §A.3: the full packet number from its truncated form. */
static uint64_t
pn_decode(int64_t largest, uint64_t truncated, unsigned bits)
{
	uint64_t expected = (uint64_t)(largest + 1);
	uint64_t win = (uint64_t)1 << bits, hwin = win / 2, mask = win - 1;
	uint64_t cand = (expected & ~mask) | truncated;

	if (cand + hwin <= expected && cand < ((uint64_t)1 << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

int
quic_initial_open(const struct quic_keys *keys, const uint8_t *p,
		  const struct quic_pkt *k, int64_t largest_pn,
		  uint8_t *out, size_t *outlen, uint64_t *pn,
		  const char **why)
{
	uint8_t mask[16], b0, pnb[PN_MAX_LEN];
	uint64_t trunc = 0;
	unsigned pn_len, i;
	size_t ct;

	/* The sample starts 4 bytes after the packet number's start,
	 * whatever its length (RFC 9001 §5.4.2). */
	if (k->len < k->pn_off + PN_MAX_LEN + HP_SAMPLE) {
		*why = "Initial packet too short for its header protection";
		return QUIC_MALFORMED;
	}
	if (hp_mask(keys->hp, p + k->pn_off + PN_MAX_LEN, mask) < 0) {
		*why = "header protection failed";
		return QUIC_MALFORMED;
	}
	b0 = p[0] ^ (mask[0] & 0x0f);
	pn_len = (b0 & 3) + 1;
	for (i = 0; i < pn_len; i++) {
		pnb[i] = p[k->pn_off + i] ^ mask[1 + i];
		trunc = trunc << 8 | pnb[i];
	}
	*pn = pn_decode(largest_pn, trunc, pn_len * 8);
	ct = k->len - k->pn_off - pn_len;
	if (aead(0, keys, *pn, &b0, 1, p + 1, k->pn_off - 1, pnb, pn_len,
	    p + k->pn_off + pn_len, ct, out) < 0) {
		*why = "Initial packet fails authentication";
		return QUIC_MALFORMED;
	}
	/* Checked only now: before, they could be a forger's (RFC 9000
	 * §17.2). */
	if ((b0 & 0x0c) != 0) {
		*why = "reserved bits set in an Initial packet";
		return QUIC_MALFORMED;
	}
	*outlen = ct - AEAD_TAG;
	if (*outlen == 0) {
		*why = "Initial packet without frames";
		return QUIC_MALFORMED;
	}
	return 0;
}

long
quic_initial_seal(const struct quic_seal *s, uint8_t *out, size_t outsz)
{
	struct quic_keys keys;
	uint8_t mask[16];
	size_t off = 0, len, need, i;
	uint64_t pn = s->pn;

	if (s->pn_len < 1 || s->pn_len > PN_MAX_LEN ||
	    s->dcid_len > QUIC_CID_MAX || s->scid_len > QUIC_CID_MAX ||
	    s->payload_len + s->pn_len < PN_MAX_LEN)
		return -1;
	if (quic_initial_keys(s->version, s->dcid, s->dcid_len, 0,
	    &keys) < 0)
		return -1;
	/* Length: packet number, payload and tag, in two bytes as most
	 * clients write it. */
	len = s->pn_len + s->payload_len + AEAD_TAG;
	need = 7 + s->dcid_len + s->scid_len + varint_len(s->token_len) +
	    s->token_len + 2 + len;
	if (len >= 16384 || need > outsz)
		return -1;
	out[off++] = (uint8_t)(0xc0 |
	    type_bits(s->version, QUIC_PT_INITIAL) << 4 |
	    (s->reserved & 3) << 2 | (s->pn_len - 1));
	for (i = 0; i < 4; i++)
		out[off++] = (uint8_t)(s->version >> (24 - 8 * i));
	out[off++] = (uint8_t)s->dcid_len;
	if (s->dcid_len > 0)
		memcpy(out + off, s->dcid, s->dcid_len);
	off += s->dcid_len;
	out[off++] = (uint8_t)s->scid_len;
	if (s->scid_len > 0)
		memcpy(out + off, s->scid, s->scid_len);
	off += s->scid_len;
	varint_put(out + off, s->token_len, varint_len(s->token_len));
	off += varint_len(s->token_len);
	if (s->token_len > 0)
		memcpy(out + off, s->token, s->token_len);
	off += s->token_len;
	varint_put(out + off, len, 2);
	off += 2;
	for (i = s->pn_len; i > 0; i--) {
		out[off + i - 1] = (uint8_t)pn;
		pn >>= 8;
	}
	if (aead(1, &keys, s->pn, out, 1, out + 1, off - 1, out + off,
	    s->pn_len, s->payload, s->payload_len,
	    out + off + s->pn_len) < 0)
		return -1;
	if (hp_mask(keys.hp, out + off + PN_MAX_LEN, mask) < 0)
		return -1;
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < s->pn_len; i++)
		out[off + i] ^= mask[1 + i];
	return (long)(off + s->pn_len + s->payload_len + AEAD_TAG);
}
