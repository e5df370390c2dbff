/* SPDX-License-Identifier: MIT */
/* Webhook authentication primitives: HMAC-SHA1/SHA256 over concatenated parts, hex and base64
 * codecs, and constant-time comparison. Wraps libcrypto; holds no state. */
#ifndef LIA_SIGNATURE_H
#define LIA_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>

enum lia_hmac_alg {
    LIA_HMAC_SHA1,
    LIA_HMAC_SHA256,
};

#define LIA_HMAC_MAX_LEN 32

/* A part of the signed message. */
struct lia_bytes {
    const void *p;
    size_t n;
};

/* Computes HMAC(key, part[0] || part[1] || ...) into mac (LIA_HMAC_MAX_LEN bytes of room).
 * Parts with n == 0 may have p == NULL; key may be NULL when keylen is 0. Returns the MAC length
 * (20 or 32). Does not fail on any input; like xmalloc it aborts only when libcrypto itself cannot
 * work (no HMAC provider, out of memory). Thread-safe. */
size_t lia_hmac(enum lia_hmac_alg alg, const void *key, size_t keylen,
                const struct lia_bytes *parts, size_t nparts, unsigned char *mac);

/* Constant-time comparison of two byte strings; false when lengths differ. */
bool lia_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Writes the standard base64 (with padding) of in into out, NUL-terminated. out must hold
 * 4 * ((n + 2) / 3) + 1 bytes. Returns the length written without the NUL. */
size_t lia_base64_encode(const void *in, size_t n, char *out);
/* Decodes standard base64 (padding required, no whitespace, no URL-safe alphabet, and the bits
 * that padding discards must be zero, so each byte string has exactly one accepted encoding).
 * Returns the decoded length, or -1 when in is not valid base64 or does not fit in cap bytes;
 * out is unspecified after -1. */
long lia_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap);

/* Lower-case hex of in into out (2n + 1 bytes), NUL-terminated. */
void lia_hex_encode(const void *in, size_t n, char *out);
/* Decodes hex (either case, even length, no prefix or spaces). Returns the decoded length, or
 * -1 when invalid or over cap. */
long lia_hex_decode(const char *in, size_t n, unsigned char *out, size_t cap);

/* Verifies that `given` (a signature header value, already stripped of any "sha256=" prefix)
 * encodes, in base64 or hex as asked, the HMAC of parts under key. Constant-time in the MAC
 * comparison. Returns true when it matches; false for NULL, for text that does not decode, for
 * a value of the wrong length, and always for an empty key (which anyone could sign with). */
bool lia_hmac_verify(enum lia_hmac_alg alg, const void *key, size_t keylen,
                     const struct lia_bytes *parts, size_t nparts, const char *given, bool base64);

#endif
