/* SPDX-License-Identifier: MIT */
/* HMAC through libcrypto's EVP_MAC interface, plus strict hex and base64 codecs. Knows nothing
 * about which helpdesk signs what; the adapters choose the algorithm, parts and encoding. */
#include "signature.h"

#include "parse.h"

#include <assert.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Fetching the HMAC implementation and its digest costs more than the MAC of a ticket, so it
 * is done once, into a context per digest that each call copies and keys. libcrypto fails here
 * only when HMAC is missing from the installation or memory is exhausted; neither depends on
 * the input, so it is treated like xmalloc's out-of-memory. */
static EVP_MAC_CTX *templates[LIA_HMAC_SHA256 + 1];
static pthread_once_t templates_once = PTHREAD_ONCE_INIT;

static void make_templates(void)
{
    static const char *const digests[] = {[LIA_HMAC_SHA1] = "SHA1", [LIA_HMAC_SHA256] = "SHA256"};
    EVP_MAC *impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (impl == NULL) {
        abort();
    }
    for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digests[i], 0),
            OSSL_PARAM_construct_end(),
        };
        templates[i] = EVP_MAC_CTX_new(impl);
        if (templates[i] == NULL || EVP_MAC_CTX_set_params(templates[i], params) != 1) {
            abort();
        }
    }
    EVP_MAC_free(impl);
}

size_t lia_hmac(enum lia_hmac_alg alg, const void *key, size_t keylen,
                const struct lia_bytes *parts, size_t nparts, unsigned char *mac)
{
    /* OpenSSL treats a NULL key as "keep the previous key", so an empty key needs a real
     * pointer. */
    static const unsigned char empty_key[1];
    size_t maclen = 0;

    assert(key != NULL || keylen == 0);
    if (keylen == 0) {
        key = empty_key;
    }
    pthread_once(&templates_once, make_templates);
    EVP_MAC_CTX *ctx =
        EVP_MAC_CTX_dup(templates[alg == LIA_HMAC_SHA1 ? LIA_HMAC_SHA1 : LIA_HMAC_SHA256]);
    if (ctx == NULL || EVP_MAC_init(ctx, key, keylen, NULL) != 1) {
        abort();
    }
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i].n > 0 && EVP_MAC_update(ctx, parts[i].p, parts[i].n) != 1) {
            abort();
        }
    }
    if (EVP_MAC_final(ctx, mac, &maclen, LIA_HMAC_MAX_LEN) != 1) {
        abort();
    }
    EVP_MAC_CTX_free(ctx);
    return maclen;
}

bool lia_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    /* The lengths are public (they follow from the algorithm and encoding); only the bytes are
     * compared in constant time. */
    if (alen != blen) {
        return false;
    }
    if (alen == 0) {
        return true;
    }
    return CRYPTO_memcmp(a, b, alen) == 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t lia_base64_encode(const void *in, size_t n, char *out)
{
    const unsigned char *p = in;
    size_t o = 0;
    size_t i = 0;

    for (; i + 3 <= n; i += 3) {
        unsigned long v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64_alphabet[v >> 18 & 0x3f];
        out[o++] = b64_alphabet[v >> 12 & 0x3f];
        out[o++] = b64_alphabet[v >> 6 & 0x3f];
        out[o++] = b64_alphabet[v & 0x3f];
    }
    if (n - i == 1) {
        unsigned long v = (unsigned long)p[i] << 16;
        out[o++] = b64_alphabet[v >> 18 & 0x3f];
        out[o++] = b64_alphabet[v >> 12 & 0x3f];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        unsigned long v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
        out[o++] = b64_alphabet[v >> 18 & 0x3f];
        out[o++] = b64_alphabet[v >> 12 & 0x3f];
        out[o++] = b64_alphabet[v >> 6 & 0x3f];
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* Value of one base64 alphabet character, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

long lia_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    size_t pad = 0;

    if (n % 4 != 0) {
        return -1;
    }
    if (n == 0) {
        return 0;
    }
    if (in[n - 1] == '=') {
        pad = in[n - 2] == '=' ? 2 : 1;
    }
    size_t outlen = n / 4 * 3 - pad;
    if (outlen > cap || outlen > LONG_MAX) {
        return -1;
    }

    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        /* Only the final quantum may carry padding; everything before it is four symbols. */
        size_t symbols = i + 4 == n ? 4 - pad : 4;
        int v[4] = {0, 0, 0, 0};
        for (size_t j = 0; j < symbols; j++) {
            v[j] = b64_value((unsigned char)in[i + j]);
            if (v[j] < 0) {
                return -1;
            }
        }
        /* Bits that padding discards must be zero, so every byte string has exactly one
         * accepted encoding. */
        if ((symbols == 2 && (v[1] & 0x0f) != 0) || (symbols == 3 && (v[2] & 0x03) != 0)) {
            return -1;
        }
        unsigned long bits = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
                             (unsigned long)v[2] << 6 | (unsigned long)v[3];
        out[o++] = (unsigned char)(bits >> 16);
        if (symbols > 2) {
            out[o++] = (unsigned char)(bits >> 8);
        }
        if (symbols > 3) {
            out[o++] = (unsigned char)bits;
        }
    }
    return (long)o;
}

void lia_hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

long lia_hex_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    if (n % 2 != 0 || n / 2 > cap || n / 2 > LONG_MAX) {
        return -1;
    }
    for (size_t i = 0; i < n; i += 2) {
        int hi = lia_hex_digit((unsigned char)in[i]);
        int lo = lia_hex_digit((unsigned char)in[i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

bool lia_hmac_verify(enum lia_hmac_alg alg, const void *key, size_t keylen,
                     const struct lia_bytes *parts, size_t nparts, const char *given, bool base64)
{
    unsigned char want[LIA_HMAC_MAX_LEN];
    unsigned char got[LIA_HMAC_MAX_LEN];
    long gotlen;

    /* Anyone can compute a MAC under the empty key, so it proves nothing. */
    if (given == NULL || keylen == 0) {
        return false;
    }
    /* A value that does not decode, or decodes to more than a MAC, cannot match; the cap makes
     * the decoder reject over-long input before writing anything. */
    if (base64) {
        gotlen = lia_base64_decode(given, strlen(given), got, sizeof(got));
    } else {
        gotlen = lia_hex_decode(given, strlen(given), got, sizeof(got));
    }
    if (gotlen < 0) {
        return false;
    }
    size_t wantlen = lia_hmac(alg, key, keylen, parts, nparts, want);
    return lia_ct_equal(want, wantlen, got, (size_t)gotlen);
}
