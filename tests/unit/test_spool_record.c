/* SPDX-License-Identifier: MIT */
/* Spool record framing: round trip, CRC32C check value, torn and corrupted records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "spool_record.h"

#include <stdio.h>
#include <string.h>

static void encode_three(struct lia_buf *b)
{
    lia_buf_init(b, 1024);
    assert_int_equal(lia_spool_record_encode(b, "first", 5), 0);
    assert_int_equal(lia_spool_record_encode(b, "", 0), 0);
    assert_int_equal(lia_spool_record_encode(b, "third record", 12), 0);
}

/* Decodes every record of data, writing "payload|" for each one and "!T" or "!C" for torn
 * and corrupt stretches into out. */
static void decode_all(const void *data, size_t len, char *out, size_t cap)
{
    const uint8_t *p = data;
    size_t at = 0;
    out[0] = '\0';
    for (;;) {
        const void *payload = NULL;
        size_t plen = 0;
        size_t consumed = 0;
        enum lia_spool_record_status st =
            lia_spool_record_decode(p + at, len - at, &payload, &plen, &consumed);
        size_t used = strlen(out);
        if (st == LIA_SPOOL_RECORD_END) {
            assert_int_equal(consumed, 0);
            return;
        }
        assert_true(consumed > 0 && consumed <= len - at);
        if (st == LIA_SPOOL_RECORD_OK) {
            snprintf(out + used, cap - used, "%.*s|", (int)plen, (const char *)payload);
        } else {
            snprintf(out + used, cap - used, "%s", st == LIA_SPOOL_RECORD_TORN ? "!T" : "!C");
        }
        at += consumed;
    }
}

static void test_crc32c_check_value(void **state)
{
    (void)state;
    /* The standard check value of CRC-32C (iSCSI, RFC 3720). */
    assert_int_equal(lia_crc32c(0, "123456789", 9), 0xe3069283);
    assert_int_equal(lia_crc32c(lia_crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
    assert_int_equal(lia_crc32c(0, "", 0), 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct lia_buf b;
    encode_three(&b);
    assert_int_equal(b.len, 3 * LIA_SPOOL_RECORD_HEADER + 17);
    char out[256];
    decode_all(b.data, b.len, out, sizeof(out));
    assert_string_equal(out, "first||third record|");
    lia_buf_fini(&b);
}

static void test_encode_bounds(void **state)
{
    (void)state;
    struct lia_buf b;
    lia_buf_init(&b, LIA_SPOOL_RECORD_HEADER + 4);
    assert_int_equal(lia_spool_record_encode(&b, "12345", 5), -1);
    assert_int_equal(b.len, 0);
    assert_int_equal(lia_spool_record_encode(&b, "1234", 4), 0);
    assert_int_equal(b.len, LIA_SPOOL_RECORD_HEADER + 4);
    assert_int_equal(lia_spool_record_encode(&b, "", LIA_SPOOL_RECORD_MAX_LEN + 1), -1);
    lia_buf_fini(&b);
}

static void test_torn_last_record_at_every_cut(void **state)
{
    (void)state;
    struct lia_buf b;
    encode_three(&b);
    size_t two = 2 * LIA_SPOOL_RECORD_HEADER + 5;
    char out[256];
    for (size_t cut = two + 1; cut < b.len; cut++) {
        decode_all(b.data, cut, out, sizeof(out));
        assert_string_equal(out, "first||!T");
    }
    decode_all(b.data, two, out, sizeof(out));
    assert_string_equal(out, "first||");
    lia_buf_fini(&b);
}

static void test_corrupted_record_is_skipped(void **state)
{
    (void)state;
    struct lia_buf b;
    encode_three(&b);
    char out[256];
    /* A flipped payload byte of the first record. */
    b.data[LIA_SPOOL_RECORD_HEADER + 1] ^= 0x20;
    decode_all(b.data, b.len, out, sizeof(out));
    assert_string_equal(out, "!C|third record|");
    b.data[LIA_SPOOL_RECORD_HEADER + 1] ^= 0x20;
    /* A damaged length must not be trusted to find the next record. */
    b.data[4] = 0x7f;
    decode_all(b.data, b.len, out, sizeof(out));
    assert_string_equal(out, "!C|third record|");
    b.data[4] = 5;
    /* Damage in the last record, with nothing intact after it. */
    b.data[b.len - 1] ^= 1;
    decode_all(b.data, b.len, out, sizeof(out));
    assert_string_equal(out, "first||!C");
    b.data[b.len - 1] ^= 1;
    /* Garbage between records. */
    struct lia_buf g;
    lia_buf_init(&g, 1024);
    assert_int_equal(lia_buf_append(&g, b.data, LIA_SPOOL_RECORD_HEADER + 5), 0);
    assert_int_equal(lia_buf_append(&g, "garbage!", 8), 0);
    assert_int_equal(lia_buf_append(&g, b.data + LIA_SPOOL_RECORD_HEADER + 5,
                                    b.len - LIA_SPOOL_RECORD_HEADER - 5),
                     0);
    decode_all(g.data, g.len, out, sizeof(out));
    assert_string_equal(out, "first|!C|third record|");
    lia_buf_fini(&g);
    lia_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_check_value),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_bounds),
        cmocka_unit_test(test_torn_last_record_at_every_cut),
        cmocka_unit_test(test_corrupted_record_is_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
