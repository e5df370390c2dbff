/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/ratelimit.c: the rate texts with their exact errors, and the token bucket
 * driven by explicit times (burst, refill, waits, clock steps back, reconfiguration). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define T0           INT64_C(1000000)

static void test_rate_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double per_s;
    } good[] = {
        {"100/s", 100},
        {"1/s", 1},
        {"6000/m", 100},
        {"30/m", 0.5},
        {"3600/h", 1},
        {"1/h", 1.0 / 3600},
        {"1000000/s", 1000000},
        {"off", LIA_RATE_OFF},
        {"default", LIA_RATE_DEFAULT},
    };
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        double per_s = -42;
        struct lia_err err;
        assert_int_equal(lia_rate_parse(good[i].text, &per_s, "rate", &err), 0);
        assert_true(per_s == good[i].per_s);
    }
    static const char *const bad[] = {
        "",
        "100",
        "100/",
        "/s",
        "0/s",
        "-1/s",
        "1000001/s",
        "100/d",
        "100/ss",
        "100 /s",
        "100/s ",
        "01/s",
        "1.5/s",
        "Off",
        "100/S",
        "x/s",
        "1e3/s",
        "100/ms",
        "9999999999999999999999/s",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        double per_s = 7;
        struct lia_err err;
        assert_int_equal(lia_rate_parse(bad[i], &per_s, "sources.zd.rate_limit", &err), -1);
        assert_true(per_s == 7);
        assert_int_equal(err.code, LIA_E_INVALID_FIELD);
        assert_string_equal(err.path, "sources.zd.rate_limit");
    }
    struct lia_err err;
    double per_s;
    lia_rate_parse("10/d", &per_s, "rate_limit.source", &err);
    assert_string_equal(err.msg, "rate_limit.source: expected a rate like \"100/s\", \"600/m\" or "
                                 "\"1000/h\" (1 to 1000000 per unit), \"off\" or \"default\", got "
                                 "\"10/d\"");
    lia_rate_parse("\"\x01", &per_s, NULL, &err);
    assert_non_null(strstr(err.msg, "got \"??\""));
}

static void test_rate_format(void **state)
{
    (void)state;
    static const struct {
        double per_s;
        const char *text;
    } cases[] = {
        {100, "100/s"},
        {0.5, "30/m"},
        {1.0 / 3600, "1/h"},
        {LIA_RATE_OFF, "off"},
        {LIA_RATE_DEFAULT, "default"},
        {2.5, "150/m"},
        {1000000, "1000000/s"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char text[LIA_RATE_TEXT_MAX];
        lia_rate_format(cases[i].per_s, text);
        assert_string_equal(text, cases[i].text);
        double back = -7;
        assert_int_equal(lia_rate_parse(text, &back, NULL, NULL), 0);
        assert_true(back > cases[i].per_s - 1e-9 && back < cases[i].per_s + 1e-9);
    }
}

static void test_rate_effective(void **state)
{
    (void)state;
    assert_true(lia_rate_effective(LIA_RATE_DEFAULT, 5) == 5);
    assert_true(lia_rate_effective(LIA_RATE_DEFAULT, LIA_RATE_OFF) == LIA_RATE_OFF);
    assert_true(lia_rate_effective(LIA_RATE_OFF, 5) == LIA_RATE_OFF);
    assert_true(lia_rate_effective(2, 5) == 2);
}

/* burst requests at one instant pass, the next waits exactly one refill interval. */
static void test_bucket_burst_then_wait(void **state)
{
    (void)state;
    struct lia_token_bucket b;
    lia_token_bucket_init(&b, 10, 3, T0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lia_token_bucket_take(&b, T0), 0);
    }
    assert_int_equal(lia_token_bucket_take(&b, T0), 100);
    assert_int_equal(lia_token_bucket_take(&b, T0 + 60), 40);
    assert_int_equal(lia_token_bucket_take(&b, T0 + 100), 0);
    assert_int_equal(lia_token_bucket_take(&b, T0 + 100), 100);
}

/* An idle bucket refills to its burst and no further. */
static void test_bucket_refill_caps_at_burst(void **state)
{
    (void)state;
    struct lia_token_bucket b;
    lia_token_bucket_init(&b, 2, 4, T0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(lia_token_bucket_take(&b, T0), 0);
    }
    int64_t later = T0 + 3600 * 1000;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(lia_token_bucket_take(&b, later), 0);
    }
    assert_int_equal(lia_token_bucket_take(&b, later), 500);
}

/* Over a long run at twice the rate, exactly rate * seconds + burst requests pass. */
static void test_bucket_sustained_rate(void **state)
{
    (void)state;
    struct lia_token_bucket b;
    lia_token_bucket_init(&b, 5, 5, T0);
    int passed = 0;
    for (int ms = 0; ms < 10000; ms += 100) {
        passed += lia_token_bucket_take(&b, T0 + ms) == 0;
    }
    /* 10 s at 5/s refills 49.5 tokens by the last call at 9.9 s, plus the first 5. */
    assert_int_equal(passed, 54);
}

/* burst 0 is one second's worth, at least one; slow rates wait long. */
static void test_bucket_default_burst(void **state)
{
    (void)state;
    struct lia_token_bucket b;
    lia_token_bucket_init(&b, 2.5, 0, T0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lia_token_bucket_take(&b, T0), 0);
    }
    assert_int_equal(lia_token_bucket_take(&b, T0), 400);

    lia_token_bucket_init(&b, 1.0 / 60, 0, T0);
    assert_int_equal(lia_token_bucket_take(&b, T0), 0);
    assert_int_equal(lia_token_bucket_take(&b, T0), 60000);
    assert_int_equal(lia_token_bucket_take(&b, T0 + 59999), 1);
    assert_int_equal(lia_token_bucket_take(&b, T0 + 60000), 0);
}

/* A clock that steps back refills nothing and does not stall later refills. */
static void test_bucket_time_backwards(void **state)
{
    (void)state;
    struct lia_token_bucket b;
    lia_token_bucket_init(&b, 1, 1, T0);
    assert_int_equal(lia_token_bucket_take(&b, T0), 0);
    assert_int_equal(lia_token_bucket_take(&b, T0 - 5000), 1000);
    assert_int_equal(lia_token_bucket_take(&b, T0 + 1000), 0);
}

/* A reload lowers the burst: what the bucket holds is cut to it; raising it adds nothing. */
static void test_bucket_reconfigure(void **state)
{
    (void)state;
    struct lia_token_bucket b;
    lia_token_bucket_init(&b, 10, 10, T0);
    lia_token_bucket_set(&b, 1, 2);
    assert_int_equal(lia_token_bucket_take(&b, T0), 0);
    assert_int_equal(lia_token_bucket_take(&b, T0), 0);
    assert_int_equal(lia_token_bucket_take(&b, T0), 1000);
    lia_token_bucket_set(&b, 1, 50);
    assert_int_equal(lia_token_bucket_take(&b, T0), 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_parse),
        cmocka_unit_test(test_rate_format),
        cmocka_unit_test(test_rate_effective),
        cmocka_unit_test(test_bucket_burst_then_wait),
        cmocka_unit_test(test_bucket_refill_caps_at_burst),
        cmocka_unit_test(test_bucket_sustained_rate),
        cmocka_unit_test(test_bucket_default_burst),
        cmocka_unit_test(test_bucket_time_backwards),
        cmocka_unit_test(test_bucket_reconfigure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
