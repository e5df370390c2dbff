/* SPDX-License-Identifier: MIT */
/* Bounded buffer and error values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"

#include <string.h>

static void test_buf_bound_is_exact(void **state)
{
    (void)state;
    struct lia_buf b;
    lia_buf_init(&b, 10);
    assert_string_equal(lia_buf_str(&b), "");
    assert_int_equal(lia_buf_append(&b, "123456789", 9), 0);
    assert_int_equal(lia_buf_append(&b, "AB", 2), -1);
    assert_int_equal(b.len, 9);
    assert_int_equal(lia_buf_append(&b, "A", 1), 0);
    assert_string_equal(lia_buf_str(&b), "123456789A");
    assert_int_equal(lia_buf_append(&b, "", 0), 0);
    assert_int_equal(lia_buf_append(&b, "x", 1), -1);
    lia_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(lia_buf_printf(&b, "%d-%s", 42, "abcde"), 0);
    assert_string_equal(lia_buf_str(&b), "42-abcde");
    assert_int_equal(lia_buf_printf(&b, "%s", "xyz"), -1);
    assert_string_equal(lia_buf_str(&b), "42-abcde");
    lia_buf_fini(&b);
}

static void test_buf_grows_to_large_max(void **state)
{
    (void)state;
    struct lia_buf b;
    lia_buf_init(&b, 1 << 20);
    char chunk[1000];
    memset(chunk, 'z', sizeof(chunk));
    for (int i = 0; i < 1048; i++) {
        assert_int_equal(lia_buf_append(&b, chunk, sizeof(chunk)), 0);
    }
    assert_int_equal(lia_buf_append(&b, chunk, 576), 0);
    assert_int_equal(b.len, 1 << 20);
    assert_int_equal(lia_buf_append(&b, chunk, 1), -1);
    lia_buf_fini(&b);
}

/* Room reserved up front is used without moving the contents; past max it is refused. */
static void test_buf_reserve(void **state)
{
    (void)state;
    struct lia_buf b;
    lia_buf_init(&b, 5000);
    assert_int_equal(lia_buf_reserve(&b, 3000), 0);
    assert_true(b.cap > 3000);
    const char *data = b.data;
    char chunk[1000];
    memset(chunk, 'r', sizeof(chunk));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lia_buf_append(&b, chunk, sizeof(chunk)), 0);
    }
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.len, 3000);
    assert_int_equal(lia_buf_reserve(&b, 2001), -1);
    assert_int_equal(b.len, 3000);
    assert_int_equal(lia_buf_reserve(&b, 2000), 0);
    lia_buf_fini(&b);
}

static void test_err_codes(void **state)
{
    (void)state;
    struct lia_err err;
    assert_int_equal(lia_err_set(&err, LIA_E_INVALID_FIELD, "requester.country", "got %d", 7), -1);
    assert_string_equal(err.msg, "requester.country: got 7");
    assert_string_equal(err.path, "requester.country");
    assert_int_equal(lia_err_set(&err, LIA_E_TOO_LARGE, NULL, "too big"), -1);
    assert_string_equal(err.msg, "too big");
    assert_string_equal(err.path, "");
    assert_int_equal(lia_err_set(NULL, LIA_E_TOO_LARGE, NULL, "x"), -1);

    static const struct {
        enum lia_errcode code;
        const char *name;
        int status;
    } table[] = {
        {LIA_E_MALFORMED_JSON, "malformed_json", 400},
        {LIA_E_BAD_SIGNATURE, "bad_signature", 401},
        {LIA_E_FORBIDDEN, "forbidden", 403},
        {LIA_E_UNKNOWN_SOURCE, "unknown_source", 404},
        {LIA_E_METHOD, "method_not_allowed", 405},
        {LIA_E_CONFLICT, "conflict", 409},
        {LIA_E_TOO_LARGE, "too_large", 413},
        {LIA_E_CONTENT_TYPE, "unsupported_media_type", 415},
        {LIA_E_RATE_LIMITED, "rate_limited", 429},
        {LIA_E_HEADERS_TOO_LARGE, "headers_too_large", 431},
        {LIA_E_UNAVAILABLE, "unavailable", 503},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        assert_string_equal(lia_errcode_name(table[i].code), table[i].name);
        assert_int_equal(lia_errcode_http_status(table[i].code), table[i].status);
    }
    assert_string_equal(lia_errcode_name((enum lia_errcode)999), "internal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_bound_is_exact),
        cmocka_unit_test(test_buf_grows_to_large_max),
        cmocka_unit_test(test_buf_reserve),
        cmocka_unit_test(test_err_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
