/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/signature.c: published HMAC vectors, a Zendesk-style signature, and the
 * strictness of the base64 and hex codecs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "signature.h"

#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Decodes a hex literal of the test tables; the codec itself is checked separately below. */
static size_t unhex(const char *hex, unsigned char *out, size_t cap)
{
    long n = lia_hex_decode(hex, strlen(hex), out, cap);
    assert_true(n >= 0);
    return (size_t)n;
}

struct hmac_case {
    enum lia_hmac_alg alg;
    const char *key_hex;
    const char *data_hex;
    const char *mac_hex;
};

/* RFC 4231 section 4 (test cases 1-4 and 6) and RFC 2202 sections 3 and 2 (test cases 1-3). */
static const struct hmac_case hmac_cases[] = {
    {LIA_HMAC_SHA256, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {LIA_HMAC_SHA256, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {LIA_HMAC_SHA256, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddddddddd",
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {LIA_HMAC_SHA256, "0102030405060708090a0b0c0d0e0f10111213141516171819",
     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
     "cdcdcdcdcdcd",
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {LIA_HMAC_SHA256,
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368"
     "204b6579204669727374",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {LIA_HMAC_SHA1, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
     "b617318655057264e28bc0b6fb378c8ef146be00"},
    {LIA_HMAC_SHA1, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
     "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
    {LIA_HMAC_SHA1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddddddddd",
     "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
    /* The empty key and empty message. */
    {LIA_HMAC_SHA256, "", "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
    {LIA_HMAC_SHA1, "", "", "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"},
};

static void test_hmac_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(hmac_cases); i++) {
        const struct hmac_case *c = &hmac_cases[i];
        unsigned char key[256], data[256], mac[LIA_HMAC_MAX_LEN];
        char hex[2 * LIA_HMAC_MAX_LEN + 1];
        size_t keylen = unhex(c->key_hex, key, sizeof(key));
        struct lia_bytes part = {data, unhex(c->data_hex, data, sizeof(data))};

        size_t n = lia_hmac(c->alg, key, keylen, &part, 1, mac);
        assert_int_equal(n, c->alg == LIA_HMAC_SHA1 ? 20 : 32);
        lia_hex_encode(mac, n, hex);
        assert_string_equal(hex, c->mac_hex);
        /* The same MAC verifies, except under the empty key, which proves nothing. */
        assert_int_equal(lia_hmac_verify(c->alg, key, keylen, &part, 1, c->mac_hex, false),
                         keylen > 0);
    }
}

/* Splitting the message into parts, empty ones included, never changes the MAC. */
static void test_hmac_multipart_equals_single(void **state)
{
    (void)state;
    static const char msg[] = "2026-03-14T09:21:06Z{\"id\":\"01HQZ\"}";
    static const char key[] = "secret";
    size_t len = strlen(msg);
    unsigned char whole[LIA_HMAC_MAX_LEN], split[LIA_HMAC_MAX_LEN];
    struct lia_bytes one = {msg, len};

    for (int alg = LIA_HMAC_SHA1; alg <= LIA_HMAC_SHA256; alg++) {
        size_t n = lia_hmac(alg, key, strlen(key), &one, 1, whole);
        for (size_t a = 0; a <= len; a++) {
            for (size_t b = a; b <= len; b++) {
                struct lia_bytes parts[] = {
                    {msg, a}, {NULL, 0}, {msg + a, b - a}, {msg + b, len - b}};
                assert_int_equal(lia_hmac(alg, key, strlen(key), parts, 4, split), n);
                assert_memory_equal(split, whole, n);
            }
        }
        assert_int_equal(lia_hmac(alg, key, strlen(key), NULL, 0, split), n);
    }
}

/* Zendesk signs base64(HMAC-SHA256(secret, timestamp || body)). Expected value from:
 *   printf '%s' '2026-03-14T09:21:06Z{"id":"01HQZ","type":"zen:event-type:ticket.created"}' |
 *       openssl dgst -sha256 -hmac 'zendesk-signing-secret' -binary | base64 */
static void test_zendesk_signature(void **state)
{
    (void)state;
    static const char secret[] = "zendesk-signing-secret";
    static const char ts[] = "2026-03-14T09:21:06Z";
    static const char body[] = "{\"id\":\"01HQZ\",\"type\":\"zen:event-type:ticket.created\"}";
    static const char good[] = "Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il2SU=";
    struct lia_bytes parts[] = {{ts, strlen(ts)}, {body, strlen(body)}};
    struct lia_bytes swapped[] = {{body, strlen(body)}, {ts, strlen(ts)}};
    unsigned char mac[LIA_HMAC_MAX_LEN];
    char b64[64];

    assert_int_equal(lia_hmac(LIA_HMAC_SHA256, secret, strlen(secret), parts, 2, mac), 32);
    assert_int_equal(lia_base64_encode(mac, 32, b64), 44);
    assert_string_equal(b64, good);

    assert_true(lia_hmac_verify(LIA_HMAC_SHA256, secret, strlen(secret), parts, 2, good, true));
    /* The documented-but-wrong order (body, then timestamp) must not verify. */
    assert_false(lia_hmac_verify(LIA_HMAC_SHA256, secret, strlen(secret), swapped, 2, good, true));
    assert_false(lia_hmac_verify(LIA_HMAC_SHA256, "other", 5, parts, 2, good, true));
    assert_false(lia_hmac_verify(LIA_HMAC_SHA1, secret, strlen(secret), parts, 2, good, true));
    /* Right bytes, wrong encoding. */
    assert_false(lia_hmac_verify(LIA_HMAC_SHA256, secret, strlen(secret), parts, 2, good, false));
    /* Without the timestamp: mxd4... is the MAC of the timestamp alone, also not a match. */
    assert_false(lia_hmac_verify(LIA_HMAC_SHA256, secret, strlen(secret), parts, 2,
                                 "mxd4j1ZuU5cAzT8UF0/28q6AnNeEpb+s5zghZyD9qds=", true));
    assert_true(lia_hmac_verify(LIA_HMAC_SHA256, secret, strlen(secret), parts, 1,
                                "mxd4j1ZuU5cAzT8UF0/28q6AnNeEpb+s5zghZyD9qds=", true));
}

/* Every one-character change to a valid signature is rejected, as are truncated, extended,
 * padded-differently and empty values. */
static void test_verify_rejects_tampering(void **state)
{
    (void)state;
    static const char secret[] = "zendesk-signing-secret";
    static const char msg[] =
        "2026-03-14T09:21:06Z{\"id\":\"01HQZ\",\"type\":\"zen:event-type:ticket.created\"}";
    static const char good[] = "Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il2SU=";
    static const char *const bad[] = {
        "",
        "Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il2SU",
        "Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il2SU==",
        "Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il2SU=\n",
        " Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il2SU=",
        "Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il2SV=", /* non-canonical final bits */
        "Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il",     /* decodes to 30 bytes */
        "Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il2SUA", /* decodes to 33 bytes */
        "sha256=Di9wP7PVT6MEDai6zGMZVqbdTrXtq4RamEzMA3il2SU=",
    };
    struct lia_bytes part = {msg, strlen(msg)};
    char mutated[sizeof(good)];

    assert_true(lia_hmac_verify(LIA_HMAC_SHA256, secret, strlen(secret), &part, 1, good, true));
    assert_false(lia_hmac_verify(LIA_HMAC_SHA256, secret, strlen(secret), &part, 1, NULL, true));
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_false(
            lia_hmac_verify(LIA_HMAC_SHA256, secret, strlen(secret), &part, 1, bad[i], true));
    }
    for (size_t i = 0; i + 1 < strlen(good); i++) {
        memcpy(mutated, good, sizeof(good));
        mutated[i] = mutated[i] == 'A' ? 'B' : 'A';
        assert_false(
            lia_hmac_verify(LIA_HMAC_SHA256, secret, strlen(secret), &part, 1, mutated, true));
    }
}

/* Intercom and Jira send hex; either case is accepted, a short or long value is not. */
static void test_verify_hex(void **state)
{
    (void)state;
    static const char body[] = "what do ya want for nothing?";
    struct lia_bytes part = {body, strlen(body)};

    assert_true(lia_hmac_verify(LIA_HMAC_SHA1, "Jefe", 4, &part, 1,
                                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", false));
    assert_true(lia_hmac_verify(LIA_HMAC_SHA1, "Jefe", 4, &part, 1,
                                "EFFCDF6AE5EB2FA2D27416D5F184DF9C259A7C79", false));
    assert_false(lia_hmac_verify(LIA_HMAC_SHA1, "Jefe", 4, &part, 1,
                                 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c7", false));
    assert_false(lia_hmac_verify(LIA_HMAC_SHA1, "Jefe", 4, &part, 1,
                                 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c", false));
    assert_false(lia_hmac_verify(LIA_HMAC_SHA1, "Jefe", 4, &part, 1,
                                 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c7900", false));
    assert_false(lia_hmac_verify(LIA_HMAC_SHA1, "Jefe", 4, &part, 1,
                                 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c78", false));
    assert_false(lia_hmac_verify(LIA_HMAC_SHA256, "Jefe", 4, &part, 1,
                                 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec384",
                                 false));
    assert_true(lia_hmac_verify(LIA_HMAC_SHA256, "Jefe", 4, &part, 1,
                                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                                false));
}

static void test_ct_equal(void **state)
{
    (void)state;
    assert_true(lia_ct_equal("", 0, "", 0));
    assert_true(lia_ct_equal(NULL, 0, NULL, 0));
    assert_true(lia_ct_equal("abc", 3, "abc", 3));
    assert_false(lia_ct_equal("abc", 3, "abd", 3));
    assert_false(lia_ct_equal("abc", 3, "bbc", 3));
    assert_false(lia_ct_equal("abc", 3, "abcd", 4));
    assert_false(lia_ct_equal("abc", 3, "ab", 2));
    assert_false(lia_ct_equal("a\0c", 3, "a\0d", 3));
}

struct b64_case {
    const char *plain;
    size_t n;
    const char *encoded;
};

/* RFC 4648 section 10, plus the two characters that differ from the URL-safe alphabet. */
static const struct b64_case b64_cases[] = {
    {"", 0, ""},
    {"f", 1, "Zg=="},
    {"fo", 2, "Zm8="},
    {"foo", 3, "Zm9v"},
    {"foob", 4, "Zm9vYg=="},
    {"fooba", 5, "Zm9vYmE="},
    {"foobar", 6, "Zm9vYmFy"},
    {"\xfb\xff", 2, "+/8="},
    {"\x00\x00\x00", 3, "AAAA"},
    {"\xff\xff\xff", 3, "////"},
};

static void test_base64_known(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(b64_cases); i++) {
        const struct b64_case *c = &b64_cases[i];
        char enc[16];
        unsigned char dec[16];

        assert_int_equal(lia_base64_encode(c->plain, c->n, enc), strlen(c->encoded));
        assert_string_equal(enc, c->encoded);
        assert_int_equal(lia_base64_decode(c->encoded, strlen(c->encoded), dec, sizeof(dec)),
                         (long)c->n);
        assert_memory_equal(dec, c->plain, c->n);
    }
}

static void test_base64_round_trip(void **state)
{
    (void)state;
    unsigned char in[64] = {0};
    unsigned char out[64];
    char enc[4 * ((64 + 2) / 3) + 1];

    for (size_t n = 0; n <= 64; n++) {
        for (size_t i = 0; i < n; i++) {
            in[i] = (unsigned char)(i * 37 + n * 11 + 0xa5);
        }
        size_t elen = lia_base64_encode(in, n, enc);
        assert_int_equal(elen, 4 * ((n + 2) / 3));
        assert_int_equal(strlen(enc), elen);
        memset(out, 0, sizeof(out));
        assert_int_equal(lia_base64_decode(enc, elen, out, n), (long)n);
        assert_memory_equal(out, in, n);
        /* One byte less room than needed is refused. */
        if (n > 0) {
            assert_int_equal(lia_base64_decode(enc, elen, out, n - 1), -1);
        }
    }
}

static void test_base64_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg",        "Zg=",       "Z===",     "====",     "=",        "Zm9v\n",
        " Zm9v",     "Zm9v ",     "Zm 9v",    "Zm9v\r\n", "Zm=v",     "Z=9v",
        "Zm9v====",  "Zm9vYg=\n", "Zh==",     "Zm9=",     "Zm9-",     "Zm9_",
        "Zm9.",      "Zm9v\t",    "Zg==Zm9v", "Zm8=Zg",   "Zm8=Zm8=", "\xc3\xa9\x41\x41",
        "Zm9vYmFy=",
    };
    unsigned char out[64];

    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(lia_base64_decode(bad[i], strlen(bad[i]), out, sizeof(out)), -1);
    }
    /* An embedded NUL counts as a character outside the alphabet. */
    assert_int_equal(lia_base64_decode("Zm\0v", 4, out, sizeof(out)), -1);
}

static void test_hex(void **state)
{
    (void)state;
    static const unsigned char bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff};
    static const char *const bad[] = {"0",   "abc",  "0g", "g0", " 00",
                                      "00 ", "0x00", "-1", "+1", "zz"};
    char hex[2 * sizeof(bytes) + 1];
    unsigned char out[16];

    lia_hex_encode(bytes, sizeof(bytes), hex);
    assert_string_equal(hex, "00017f80abcdefff");
    lia_hex_encode(bytes, 0, hex);
    assert_string_equal(hex, "");

    assert_int_equal(lia_hex_decode("00017f80abcdefff", 16, out, sizeof(out)), 8);
    assert_memory_equal(out, bytes, 8);
    assert_int_equal(lia_hex_decode("00017F80ABCDEFFF", 16, out, sizeof(out)), 8);
    assert_memory_equal(out, bytes, 8);
    assert_int_equal(lia_hex_decode("00017F80abCDefFF", 16, out, sizeof(out)), 8);
    assert_memory_equal(out, bytes, 8);
    assert_int_equal(lia_hex_decode("", 0, out, sizeof(out)), 0);
    assert_int_equal(lia_hex_decode("00017f80abcdefff", 16, out, 8), 8);
    assert_int_equal(lia_hex_decode("00017f80abcdefff", 16, out, 7), -1);
    assert_int_equal(lia_hex_decode("0\0", 2, out, sizeof(out)), -1);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(lia_hex_decode(bad[i], strlen(bad[i]), out, sizeof(out)), -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_vectors),
        cmocka_unit_test(test_hmac_multipart_equals_single),
        cmocka_unit_test(test_zendesk_signature),
        cmocka_unit_test(test_verify_rejects_tampering),
        cmocka_unit_test(test_verify_hex),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_base64_known),
        cmocka_unit_test(test_base64_round_trip),
        cmocka_unit_test(test_base64_rejects),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
