/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/parse.c: accepted spellings, bounds at N-1/N/N+1, overflow, and the exact
 * error text a user sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "parse.h"

#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define KIB          UINT64_C(1024)
#define MIB          (KIB * 1024)
#define GIB          (MIB * 1024)

/* Asserts the error fields for a failed parse of key `name`. */
static void check_err(const struct lia_err *err, const char *name, const char *msg)
{
    assert_int_equal(err->code, LIA_E_INVALID_FIELD);
    assert_string_equal(err->path, name == NULL ? "" : name);
    assert_string_equal(err->msg, msg);
}

struct u64_case {
    const char *s;
    uint64_t min, max;
    uint64_t value;  /* when msg is NULL */
    const char *msg; /* expected error, or NULL for success */
};

static const struct u64_case u64_cases[] = {
    {"1", 1, 64, 1, NULL},
    {"64", 1, 64, 64, NULL},
    {"0", 0, 64, 0, NULL},
    {"0", 1, 64, 0, "http.threads: must be between 1 and 64, got \"0\""},
    {"65", 1, 64, 0, "http.threads: must be between 1 and 64, got \"65\""},
    {"100", 0, 100, 100, NULL},
    {"101", 0, 100, 0, "http.threads: must be at most 100, got \"101\""},
    {"4", 5, UINT64_MAX, 0, "http.threads: must be at least 5, got \"4\""},
    {"8", 7, 7, 0, "http.threads: must be equal to 7, got \"8\""},
    {"18446744073709551615", 0, UINT64_MAX, UINT64_MAX, NULL},
    {"18446744073709551616", 0, UINT64_MAX, 0,
     "http.threads: must be at most 18446744073709551615, got \"18446744073709551616\""},
    {"99999999999999999999999999999999999999999", 1, 64, 0,
     "http.threads: must be between 1 and 64, got \"99999999999999999999999999999999...\""},
    {"", 1, 64, 0, "http.threads: expected a whole number between 1 and 64, got \"\""},
    {"+1", 1, 64, 0, "http.threads: expected a whole number between 1 and 64, got \"+1\""},
    {"-1", 1, 64, 0, "http.threads: expected a whole number between 1 and 64, got \"-1\""},
    {" 1", 1, 64, 0, "http.threads: expected a whole number between 1 and 64, got \" 1\""},
    {"1 ", 1, 64, 0, "http.threads: expected a whole number between 1 and 64, got \"1 \""},
    {"1.0", 1, 64, 0, "http.threads: expected a whole number between 1 and 64, got \"1.0\""},
    {"0x10", 1, 64, 0, "http.threads: expected a whole number between 1 and 64, got \"0x10\""},
    {"010", 1, 64, 0, "http.threads: expected a whole number between 1 and 64, got \"010\""},
    {"1e3", 0, UINT64_MAX, 0, "http.threads: expected a whole number, got \"1e3\""},
    {"\"4\"\n", 0, UINT64_MAX, 0, "http.threads: expected a whole number, got \"?4??\""},
    {"4\xc3\xa9", 0, UINT64_MAX, 0, "http.threads: expected a whole number, got \"4??\""},
};

static void test_u64(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(u64_cases); i++) {
        const struct u64_case *c = &u64_cases[i];
        struct lia_err err;
        uint64_t out = 42;
        lia_err_clear(&err);
        int rc = lia_parse_u64(c->s, c->min, c->max, &out, "http.threads", &err);
        if (c->msg == NULL) {
            if (rc != 0) {
                fail_msg("\"%s\" rejected: %s", c->s, err.msg);
            }
            assert_int_equal(out, c->value);
        } else {
            if (rc != -1) {
                fail_msg("\"%s\" accepted", c->s);
            }
            assert_int_equal(out, 42);
            check_err(&err, "http.threads", c->msg);
        }
    }
}

static void test_u64_null_and_unnamed(void **state)
{
    (void)state;
    struct lia_err err;
    uint64_t out = 42;

    assert_int_equal(lia_parse_u64(NULL, 1, 64, &out, "k", &err), -1);
    check_err(&err, "k", "k: expected a whole number between 1 and 64, got \"\"");
    assert_int_equal(lia_parse_u64("0", 1, 64, &out, NULL, &err), -1);
    check_err(&err, NULL, "must be between 1 and 64, got \"0\"");
    assert_int_equal(lia_parse_u64("0", 1, 64, &out, "k", NULL), -1);
    assert_int_equal(lia_parse_u64("7", 1, 64, &out, "k", NULL), 0);
    assert_int_equal(out, 7);
}

struct size_case {
    const char *s;
    uint64_t value;
    const char *msg;
};

#define SIZE_SYNTAX(s)                                                                             \
    {                                                                                              \
        s, 0,                                                                                      \
            "http.max_body_bytes: expected a size like \"1MiB\" between 1KiB and 64MiB (units B, " \
            "KiB, "                                                                                \
            "MiB, GiB, KB, MB, GB), got \"" s "\""                                                 \
    }
#define SIZE_RANGE(s)                                                                              \
    {                                                                                              \
        s, 0, "http.max_body_bytes: must be between 1KiB and 64MiB, got \"" s "\""                 \
    }

/* All within [1KiB, 64MiB]. */
static const struct size_case size_cases[] = {
    {"1KiB", KIB, NULL},
    {"1024", KIB, NULL},
    {"1024B", KIB, NULL},
    {"1025", KIB + 1, NULL},
    {"2KB", 2000, NULL},
    {"1MB", 1000000, NULL},
    {"512KiB", 512 * KIB, NULL},
    {"1MiB", MIB, NULL},
    {"64MiB", 64 * MIB, NULL},
    {"67108864", 64 * MIB, NULL},
    {"65536KiB", 64 * MIB, NULL},
    {"67MB", 67000000, NULL},
    SIZE_RANGE("1023"),
    SIZE_RANGE("1023B"),
    SIZE_RANGE("1KB"),
    SIZE_RANGE("67108865"),
    SIZE_RANGE("65537KiB"),
    SIZE_RANGE("68MB"),
    SIZE_RANGE("2GiB"),
    SIZE_RANGE("1GB"),
    SIZE_RANGE("0"),
    SIZE_RANGE("17179869184GiB"),
    SIZE_RANGE("18446744073709551616"),
    SIZE_SYNTAX(""),
    SIZE_SYNTAX("MiB"),
    SIZE_SYNTAX("1 MiB"),
    SIZE_SYNTAX("1mib"),
    SIZE_SYNTAX("1kb"),
    SIZE_SYNTAX("1kB"),
    SIZE_SYNTAX("1K"),
    SIZE_SYNTAX("1M"),
    SIZE_SYNTAX("1TiB"),
    SIZE_SYNTAX("1KiB "),
    SIZE_SYNTAX(" 1KiB"),
    SIZE_SYNTAX("-1KiB"),
    SIZE_SYNTAX("+1KiB"),
    SIZE_SYNTAX("1.5MiB"),
    SIZE_SYNTAX("1MiBB"),
    SIZE_SYNTAX("01MiB"),
    SIZE_SYNTAX("1KiB1"),
};

static void test_size(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(size_cases); i++) {
        const struct size_case *c = &size_cases[i];
        struct lia_err err;
        uint64_t out = 42;
        lia_err_clear(&err);
        int rc = lia_parse_size(c->s, KIB, 64 * MIB, &out, "http.max_body_bytes", &err);
        if (c->msg == NULL) {
            if (rc != 0) {
                fail_msg("\"%s\" rejected: %s", c->s, err.msg);
            }
            assert_int_equal(out, c->value);
        } else {
            if (rc != -1) {
                fail_msg("\"%s\" accepted as %llu", c->s, (unsigned long long)out);
            }
            assert_int_equal(out, 42);
            check_err(&err, "http.max_body_bytes", c->msg);
        }
    }
}

/* Bounds are spelled back with the largest unit that is exact. */
static void test_size_bounds_text(void **state)
{
    (void)state;
    static const struct {
        uint64_t min, max;
        const char *msg;
    } cases[] = {
        {0, 1000, "k: must be at most 1KB, got \"1GiB\""},
        {0, 1536, "k: must be at most 1536B, got \"1GiB\""},
        {0, 1000 * KIB, "k: must be at most 1000KiB, got \"1GiB\""},
        {0, 3 * MIB, "k: must be at most 3MiB, got \"1GiB\""},
        {0, 512 * MIB, "k: must be at most 512MiB, got \"1GiB\""},
        {0, GIB - 1, "k: must be at most 1073741823B, got \"1GiB\""},
        {2 * GIB, 4 * GIB, "k: must be between 2GiB and 4GiB, got \"1GiB\""},
        {5 * GIB, UINT64_MAX, "k: must be at least 5GiB, got \"1GiB\""},
        {3000000000, UINT64_MAX, "k: must be at least 3GB, got \"1GiB\""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct lia_err err;
        uint64_t out;
        assert_int_equal(lia_parse_size("1GiB", cases[i].min, cases[i].max, &out, "k", &err), -1);
        check_err(&err, "k", cases[i].msg);
    }

    struct lia_err err;
    uint64_t out = 42;
    assert_int_equal(lia_parse_size("0", 0, 10, &out, "k", &err), 0);
    assert_int_equal(out, 0);
    assert_int_equal(lia_parse_size("16GiB", 0, UINT64_MAX, &out, "k", &err), 0);
    assert_int_equal(out, 16 * GIB);
    assert_int_equal(lia_parse_size("17179869184GiB", 0, UINT64_MAX, &out, "k", &err), -1);
    check_err(&err, "k", "k: must be at most 18446744073709551615B, got \"17179869184GiB\"");
    assert_int_equal(lia_parse_size("x", 0, UINT64_MAX, &out, "k", &err), -1);
    check_err(&err, "k",
              "k: expected a size like \"1MiB\" (units B, KiB, MiB, GiB, KB, MB, GB), got \"x\"");
}

struct duration_case {
    const char *s;
    int64_t value;
    const char *msg;
};

#define DUR_SYNTAX(s)                                                                              \
    {                                                                                              \
        s, 0,                                                                                      \
            "http.request_timeout: expected a duration like \"30s\" between 1s and 5m (units ms, " \
            "s, m, "                                                                               \
            "h, d), got \"" s "\""                                                                 \
    }
#define DUR_RANGE(s)                                                                               \
    {                                                                                              \
        s, 0, "http.request_timeout: must be between 1s and 5m, got \"" s "\""                     \
    }

/* All within [1s, 5m]. */
static const struct duration_case duration_cases[] = {
    {"1s", 1000, NULL},
    {"1000ms", 1000, NULL},
    {"1001ms", 1001, NULL},
    {"30s", 30000, NULL},
    {"5m", 300000, NULL},
    {"300s", 300000, NULL},
    {"299999ms", 299999, NULL},
    DUR_RANGE("999ms"),
    DUR_RANGE("250ms"),
    DUR_RANGE("0"),
    DUR_RANGE("0s"),
    DUR_RANGE("300001ms"),
    DUR_RANGE("301s"),
    DUR_RANGE("6m"),
    DUR_RANGE("1h"),
    DUR_RANGE("1d"),
    DUR_RANGE("106751991168d"),
    DUR_RANGE("99999999999999999999ms"),
    {"30", 0,
     "http.request_timeout: expected a duration like \"30s\" between 1s and 5m (a unit is "
     "required: ms, s, m, h, d), got \"30\""},
    DUR_SYNTAX(""),
    DUR_SYNTAX("s"),
    DUR_SYNTAX("30S"),
    DUR_SYNTAX("30 s"),
    DUR_SYNTAX(" 30s"),
    DUR_SYNTAX("30s "),
    DUR_SYNTAX("1.5s"),
    DUR_SYNTAX("1m30s"),
    DUR_SYNTAX("30sec"),
    DUR_SYNTAX("30us"),
    DUR_SYNTAX("1w"),
    DUR_SYNTAX("-1s"),
    DUR_SYNTAX("+1s"),
    DUR_SYNTAX("030s"),
    DUR_SYNTAX("00"),
    DUR_SYNTAX("0x"),
};

static void test_duration(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(duration_cases); i++) {
        const struct duration_case *c = &duration_cases[i];
        struct lia_err err;
        int64_t out = 42;
        lia_err_clear(&err);
        int rc = lia_parse_duration_ms(c->s, 1000, 300000, &out, "http.request_timeout", &err);
        if (c->msg == NULL) {
            if (rc != 0) {
                fail_msg("\"%s\" rejected: %s", c->s, err.msg);
            }
            assert_int_equal(out, c->value);
        } else {
            if (rc != -1) {
                fail_msg("\"%s\" accepted as %lld", c->s, (long long)out);
            }
            assert_int_equal(out, 42);
            check_err(&err, "http.request_timeout", c->msg);
        }
    }
}

static void test_duration_unbounded(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t value;
    } ok[] = {
        {"0", 0},
        {"0ms", 0},
        {"0d", 0},
        {"1ms", 1},
        {"2m", 120000},
        {"3h", 10800000},
        {"1d", 86400000},
        {"106751991167d", INT64_C(9223372036828800000)},
        {"9223372036854775807ms", INT64_MAX},
    };
    struct lia_err err;
    int64_t out;

    for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
        out = 42;
        assert_int_equal(lia_parse_duration_ms(ok[i].s, 0, INT64_MAX, &out, "k", &err), 0);
        assert_int_equal(out, ok[i].value);
    }
    assert_int_equal(lia_parse_duration_ms("9223372036854775808ms", 0, INT64_MAX, &out, "k", &err),
                     -1);
    check_err(&err, "k", "k: must be at most 9223372036854775807ms, got \"9223372036854775808ms\"");
    /* Past INT64_MAX but within uint64: must not wrap to INT64_MIN, which this minimum would
     * accept. */
    assert_int_equal(
        lia_parse_duration_ms("9223372036854775808ms", INT64_MIN, INT64_MAX, &out, "k", &err), -1);
    check_err(&err, "k", "k: must be at most 9223372036854775807ms, got \"9223372036854775808ms\"");
    assert_int_equal(lia_parse_duration_ms("106751991168d", 0, INT64_MAX, &out, "k", &err), -1);
    check_err(&err, "k", "k: must be at most 9223372036854775807ms, got \"106751991168d\"");
    assert_int_equal(lia_parse_duration_ms("soon", 0, INT64_MAX, &out, "k", &err), -1);
    check_err(&err, "k",
              "k: expected a duration like \"30s\" (units ms, s, m, h, d), got \"soon\"");
    assert_int_equal(lia_parse_duration_ms("5", 0, INT64_MAX, &out, "k", &err), -1);
    check_err(
        &err, "k",
        "k: expected a duration like \"30s\" (a unit is required: ms, s, m, h, d), got \"5\"");
}

/* Bounds are spelled back with the largest unit that is exact. */
static void test_duration_bounds_text(void **state)
{
    (void)state;
    static const struct {
        int64_t min, max;
        const char *msg;
    } cases[] = {
        {0, 1500, "k: must be at most 1500ms, got \"2d\""},
        {0, 90000, "k: must be at most 90s, got \"2d\""},
        {0, 5400000, "k: must be at most 90m, got \"2d\""},
        {0, 3600000, "k: must be at most 1h, got \"2d\""},
        {0, 129600000, "k: must be at most 36h, got \"2d\""},
        {0, 86400000, "k: must be at most 1d, got \"2d\""},
        {-5000, 86400000, "k: must be at most 1d, got \"2d\""},
        {250, 1000, "k: must be between 250ms and 1s, got \"2d\""},
        {INT64_C(604800000), INT64_MAX, "k: must be at least 7d, got \"2d\""},
        {1000, 1000, "k: must be equal to 1s, got \"2d\""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct lia_err err;
        int64_t out;
        assert_int_equal(lia_parse_duration_ms("2d", cases[i].min, cases[i].max, &out, "k", &err),
                         -1);
        check_err(&err, "k", cases[i].msg);
    }
}

static void test_bool(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int value;
    } ok[] = {
        {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"on", 1}, {"off", 0},
    };
    static const char *const bad[] = {"True", "TRUE", "1",    "0", "y",       "n",
                                      "",     " on",  "off ", "t", "enabled", "yess"};
    struct lia_err err;
    int out;

    for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
        out = 42;
        assert_int_equal(lia_parse_bool(ok[i].s, &out, "feature.x", &err), 0);
        assert_int_equal(out, ok[i].value);
    }
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char want[128];
        out = 42;
        assert_int_equal(lia_parse_bool(bad[i], &out, "feature.x", &err), -1);
        assert_int_equal(out, 42);
        snprintf(want, sizeof(want),
                 "feature.x: expected true or false (also yes/no, on/off), got \"%s\"", bad[i]);
        check_err(&err, "feature.x", want);
    }
    assert_int_equal(lia_parse_bool(NULL, &out, "feature.x", &err), -1);
    check_err(&err, "feature.x",
              "feature.x: expected true or false (also yes/no, on/off), got \"\"");
    assert_int_equal(lia_parse_bool("maybe", &out, "feature.x", NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_u64_null_and_unnamed),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_size_bounds_text),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_duration_unbounded),
        cmocka_unit_test(test_duration_bounds_text),
        cmocka_unit_test(test_bool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
