/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/query.c: every accepted spelling with its exact value, bounds at N-1/N/N+1,
 * and the exact path and message of every error a client can get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "query.h"

#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MINUTE       INT64_C(60000)
#define HOUR         (60 * MINUTE)
#define DAY          (24 * HOUR)
/* 2026-11-23T10:00:00Z */
#define NOW_MS INT64_C(1795428000000)

#define TIME_FORMS_MSG                                                                             \
    "expected an ISO 8601 time, epoch seconds, \"now\" or a relative time like \"-2h\", got "
#define BEFORE_1970_MSG "expected a time at or after 1970-01-01T00:00:00Z, got "
#define WINDOW_MSG      "window: expected a duration between 1m and 8d like \"15m\", got "
#define DIMENSIONS                                                                                 \
    "(dimensions: country, region, account_range, tier, platform, app_version, app_minor, "        \
    "feature_flag)"
#define WHERE_MSG                                                                                  \
    "where: expected comma-separated dimension:value pairs like \"platform:ios,country:DE\", "     \
    "got "

/* Asserts a failed call: -1, LIA_E_BAD_REQUEST, path and message exact. */
static void check_fail(int rc, const struct lia_err *err, const char *input, const char *path,
                       const char *msg)
{
    if (rc != -1) {
        fail_msg("\"%s\" accepted", input == NULL ? "(null)" : input);
    }
    assert_int_equal(err->code, LIA_E_BAD_REQUEST);
    assert_string_equal(err->path, path);
    assert_string_equal(err->msg, msg);
}

static void check_ok(int rc, const struct lia_err *err, const char *input)
{
    if (rc != 0) {
        fail_msg("\"%s\" rejected: %s", input == NULL ? "(null)" : input, err->msg);
    }
}

/* window */

struct ms_case {
    const char *text;
    int64_t ms;      /* when msg is NULL */
    const char *msg; /* expected error, or NULL for success */
};

static const struct ms_case window_cases[] = {
    {"1m", MINUTE, NULL},
    {"15m", 15 * MINUTE, NULL},
    {"90m", 90 * MINUTE, NULL},
    {"1h", HOUR, NULL},
    {"24h", DAY, NULL},
    {"7d", 7 * DAY, NULL},
    {"8d", 8 * DAY, NULL},
    {"192h", 8 * DAY, NULL},
    {"11520m", 8 * DAY, NULL},
    {"60s", MINUTE, NULL},
    {"120s", 2 * MINUTE, NULL},
    {"60000ms", MINUTE, NULL},
    {"15x", 0, WINDOW_MSG "\"15x\""},
    {"90s", 0, "window: expected whole minutes between 1m and 8d like \"15m\", got \"90s\""},
    {"61s", 0, "window: expected whole minutes between 1m and 8d like \"15m\", got \"61s\""},
    {"60001ms", 0,
     "window: expected whole minutes between 1m and 8d like \"15m\", got \"60001ms\""},
    {"59s", 0, WINDOW_MSG "\"59s\""},
    {"0", 0, WINDOW_MSG "\"0\""},
    {"0m", 0, WINDOW_MSG "\"0m\""},
    {"11521m", 0, WINDOW_MSG "\"11521m\""},
    {"9d", 0, WINDOW_MSG "\"9d\""},
    {"99999999999999999999d", 0, WINDOW_MSG "\"99999999999999999999d\""},
    {"15", 0, WINDOW_MSG "\"15\""},
    {"", 0, WINDOW_MSG "\"\""},
    {"-15m", 0, WINDOW_MSG "\"-15m\""},
    {"+15m", 0, WINDOW_MSG "\"+15m\""},
    {"15 m", 0, WINDOW_MSG "\"15 m\""},
    {" 15m", 0, WINDOW_MSG "\" 15m\""},
    {"15m ", 0, WINDOW_MSG "\"15m \""},
    {"015m", 0, WINDOW_MSG "\"015m\""},
    {"15M", 0, WINDOW_MSG "\"15M\""},
    {"1.5h", 0, WINDOW_MSG "\"1.5h\""},
    {"1h30m", 0, WINDOW_MSG "\"1h30m\""},
    {"1w", 0, WINDOW_MSG "\"1w\""},
    {"15m\"\n\x01\xc3\xa9", 0, WINDOW_MSG "\"15m?????\""},
    {"0123456789012345678901234567890123456789", 0,
     WINDOW_MSG "\"0123456789012345678901234567890123456789\""},
    {"01234567890123456789012345678901234567890", 0,
     WINDOW_MSG "\"0123456789012345678901234567890123456789...\""},
};

static void test_window(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(window_cases); i++) {
        const struct ms_case *c = &window_cases[i];
        struct lia_err err;
        int64_t ms = -42;
        lia_err_clear(&err);
        int rc = lia_query_window("window", c->text, &ms, &err);
        if (c->msg == NULL) {
            check_ok(rc, &err, c->text);
            assert_int_equal(ms, c->ms);
        } else {
            check_fail(rc, &err, c->text, "window", c->msg);
            assert_int_equal(ms, -42);
        }
    }
}

static void test_window_null(void **state)
{
    (void)state;
    struct lia_err err;
    int64_t ms = -42;
    lia_err_clear(&err);
    check_fail(lia_query_window("window", NULL, &ms, &err), &err, NULL, "window",
               WINDOW_MSG "\"\"");
    assert_int_equal(ms, -42);
    assert_int_equal(lia_query_window("window", "15x", &ms, NULL), -1);
    assert_int_equal(lia_query_window("window", "15m", &ms, NULL), 0);
    assert_int_equal(ms, 15 * MINUTE);
}

/* time */

static const struct ms_case time_cases[] = {
    {"now", NOW_MS, NULL},
    {"-2h", NOW_MS - 2 * HOUR, NULL},
    {"-15m", NOW_MS - 15 * MINUTE, NULL},
    {"-7d", NOW_MS - 7 * DAY, NULL},
    {"-30s", NOW_MS - 30000, NULL},
    {"-0s", NOW_MS, NULL},
    {"-0d", NOW_MS, NULL},
    {"now-2h", NOW_MS - 2 * HOUR, NULL},
    {"now-90m", NOW_MS - 90 * MINUTE, NULL},
    {"now-0m", NOW_MS, NULL},
    {"-1795428000s", 0, NULL},
    {"-29923800m", 0, NULL},
    {"-20780d", NOW_MS - 20780 * DAY, NULL},
    {"2026-11-23T10:00:00Z", NOW_MS, NULL},
    {"2026-11-23T08:00:00Z", NOW_MS - 2 * HOUR, NULL},
    {"2026-11-23T12:00:00+02:00", NOW_MS, NULL},
    {"2026-11-23T05:00:00-0500", NOW_MS, NULL},
    {"2026-11-23T10:00Z", NOW_MS, NULL},
    {"2026-11-23 10:00:00.123Z", NOW_MS + 123, NULL},
    {"2026-11-23t10:00:00z", NOW_MS, NULL},
    {"2026-11-23T10:00:00", NOW_MS, NULL},
    {"2026-11-23T10:00:00.123456789Z", NOW_MS + 123, NULL},
    {"2030-01-01T00:00:00Z", INT64_C(1893456000000), NULL},
    {"1970-01-01T00:00:00Z", 0, NULL},
    {"1970-01-01T01:00:00+01:00", 0, NULL},
    {"9999-12-31T23:59:59.999Z", INT64_C(253402300799999), NULL},
    {"1795428000", NOW_MS, NULL},
    {"1795428000.5", NOW_MS + 500, NULL},
    {"1795428000123", NOW_MS + 123, NULL},
    {"0", 0, NULL},
    {"yesterday", 0, "from: " TIME_FORMS_MSG "\"yesterday\""},
    {"", 0, "from: " TIME_FORMS_MSG "\"\""},
    {"+2h", 0, "from: " TIME_FORMS_MSG "\"+2h\""},
    {"now+2h", 0, "from: " TIME_FORMS_MSG "\"now+2h\""},
    {"2h", 0, "from: " TIME_FORMS_MSG "\"2h\""},
    {"-2", 0, "from: " TIME_FORMS_MSG "\"-2\""},
    {"-2ms", 0, "from: " TIME_FORMS_MSG "\"-2ms\""},
    {"-2w", 0, "from: " TIME_FORMS_MSG "\"-2w\""},
    {"-2H", 0, "from: " TIME_FORMS_MSG "\"-2H\""},
    {"-02h", 0, "from: " TIME_FORMS_MSG "\"-02h\""},
    {"-1.5h", 0, "from: " TIME_FORMS_MSG "\"-1.5h\""},
    {"-2h30m", 0, "from: " TIME_FORMS_MSG "\"-2h30m\""},
    {"--2h", 0, "from: " TIME_FORMS_MSG "\"--2h\""},
    {"-", 0, "from: " TIME_FORMS_MSG "\"-\""},
    {"-h", 0, "from: " TIME_FORMS_MSG "\"-h\""},
    {"- 2h", 0, "from: " TIME_FORMS_MSG "\"- 2h\""},
    {"now-", 0, "from: " TIME_FORMS_MSG "\"now-\""},
    {"now -2h", 0, "from: " TIME_FORMS_MSG "\"now -2h\""},
    {"now-now", 0, "from: " TIME_FORMS_MSG "\"now-now\""},
    {"-2026-11-23T10:00:00Z", 0, "from: " TIME_FORMS_MSG "\"-2026-11-23T10:00:00Z\""},
    {"NOW", 0, "from: " TIME_FORMS_MSG "\"NOW\""},
    {"Now", 0, "from: " TIME_FORMS_MSG "\"Now\""},
    {" now", 0, "from: " TIME_FORMS_MSG "\" now\""},
    {"now ", 0, "from: " TIME_FORMS_MSG "\"now \""},
    {"-2h ", 0, "from: " TIME_FORMS_MSG "\"-2h \""},
    {"2026-11-23T10:00:00Z ", 0, "from: " TIME_FORMS_MSG "\"2026-11-23T10:00:00Z \""},
    {"2026-02-30T10:00:00Z", 0, "from: " TIME_FORMS_MSG "\"2026-02-30T10:00:00Z\""},
    {"1969-12-31T23:59:59Z", 0, "from: " TIME_FORMS_MSG "\"1969-12-31T23:59:59Z\""},
    {"10000-01-01T00:00:00Z", 0, "from: " TIME_FORMS_MSG "\"10000-01-01T00:00:00Z\""},
    {"-1795428000", 0, "from: " TIME_FORMS_MSG "\"-1795428000\""},
    {"01795428000", 0, "from: " TIME_FORMS_MSG "\"01795428000\""},
    {"1e9", 0, "from: " TIME_FORMS_MSG "\"1e9\""},
    {"yesterday at noon, in the afternoon, local time", 0,
     "from: " TIME_FORMS_MSG "\"yesterday at noon, in the afternoon, loc...\""},
    {"-1795428001s", 0, "from: " BEFORE_1970_MSG "\"-1795428001s\""},
    {"now-29923801m", 0, "from: " BEFORE_1970_MSG "\"now-29923801m\""},
    {"-20781d", 0, "from: " BEFORE_1970_MSG "\"-20781d\""},
    {"-106751991168d", 0, "from: " BEFORE_1970_MSG "\"-106751991168d\""},
    {"-99999999999999999999s", 0, "from: " BEFORE_1970_MSG "\"-99999999999999999999s\""},
    {"1970-01-01T00:59:59.999+01:00", 0,
     "from: " BEFORE_1970_MSG "\"1970-01-01T00:59:59.999+01:00\""},
};

static void test_time(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(time_cases); i++) {
        const struct ms_case *c = &time_cases[i];
        struct lia_err err;
        int64_t ms = -42;
        lia_err_clear(&err);
        int rc = lia_query_time("from", c->text, NOW_MS, &ms, &err);
        if (c->msg == NULL) {
            check_ok(rc, &err, c->text);
            if (ms != c->ms) {
                fail_msg("\"%s\": got %lld, expected %lld", c->text, (long long)ms,
                         (long long)c->ms);
            }
        } else {
            check_fail(rc, &err, c->text, "from", c->msg);
            assert_int_equal(ms, -42);
        }
    }
}

/* The parameter name is the path, and relative times follow the given now. */
static void test_time_name_and_now(void **state)
{
    (void)state;
    struct lia_err err;
    int64_t ms = -42;

    lia_err_clear(&err);
    check_ok(lia_query_time("to", "now", 1000, &ms, &err), &err, "now");
    assert_int_equal(ms, 1000);
    check_ok(lia_query_time("to", "-1s", 1000, &ms, &err), &err, "-1s");
    assert_int_equal(ms, 0);
    ms = -42;
    check_fail(lia_query_time("to", "-2s", 1000, &ms, &err), &err, "-2s", "to",
               "to: " BEFORE_1970_MSG "\"-2s\"");
    check_fail(lia_query_time("to", "now", -1, &ms, &err), &err, "now", "to",
               "to: " BEFORE_1970_MSG "\"now\"");
    check_fail(lia_query_time("to", "-0s", INT64_MIN, &ms, &err), &err, "-0s", "to",
               "to: " BEFORE_1970_MSG "\"-0s\"");
    check_fail(lia_query_time("to", NULL, NOW_MS, &ms, &err), &err, NULL, "to",
               "to: " TIME_FORMS_MSG "\"\"");
    assert_int_equal(ms, -42);
    check_ok(lia_query_time("to", "-1d", INT64_MAX, &ms, &err), &err, "-1d");
    assert_int_equal(ms, INT64_MAX - DAY);
    assert_int_equal(lia_query_time("to", "never", NOW_MS, &ms, NULL), -1);
}

/* step */

static const struct ms_case step_cases[] = {
    {"1m", MINUTE, NULL},
    {"5m", 5 * MINUTE, NULL},
    {"15m", 15 * MINUTE, NULL},
    {"1h", HOUR, NULL},
    {"1d", DAY, NULL},
    {"2m", 0, "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"2m\""},
    {"60m", 0, "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"60m\""},
    {"60s", 0, "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"60s\""},
    {"24h", 0, "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"24h\""},
    {"1M", 0, "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"1M\""},
    {"1w", 0, "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"1w\""},
    {"01m", 0, "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"01m\""},
    {"1h ", 0, "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"1h \""},
    {"", 0, "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"\""},
};

static void test_step(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(step_cases); i++) {
        const struct ms_case *c = &step_cases[i];
        struct lia_err err;
        int64_t ms = -42;
        lia_err_clear(&err);
        int rc = lia_query_step("step", c->text, &ms, &err);
        if (c->msg == NULL) {
            check_ok(rc, &err, c->text);
            assert_int_equal(ms, c->ms);
        } else {
            check_fail(rc, &err, c->text, "step", c->msg);
            assert_int_equal(ms, -42);
        }
    }
    struct lia_err err;
    int64_t ms = -42;
    check_fail(lia_query_step("step", NULL, &ms, &err), &err, NULL, "step",
               "step: expected one of 1m, 5m, 15m, 1h, 1d, got \"\"");
    assert_int_equal(ms, -42);
}

/* dimension */

struct dim_case {
    const char *text;
    int dim;         /* when msg is NULL */
    const char *msg; /* expected error, or NULL for success */
};

static const struct dim_case dim_cases[] = {
    {"country", LIA_DIM_COUNTRY, NULL},
    {"region", LIA_DIM_REGION, NULL},
    {"account_range", LIA_DIM_ACCOUNT_RANGE, NULL},
    {"tier", LIA_DIM_TIER, NULL},
    {"platform", LIA_DIM_PLATFORM, NULL},
    {"app_version", LIA_DIM_APP_VERSION, NULL},
    {"app_minor", LIA_DIM_APP_MINOR, NULL},
    {"feature_flag", LIA_DIM_FEATURE_FLAG, NULL},
    {"os", 0, "dimension: unknown dimension \"os\" " DIMENSIONS},
    {"Country", 0, "dimension: unknown dimension \"Country\" " DIMENSIONS},
    {"country ", 0, "dimension: unknown dimension \"country \" " DIMENSIONS},
    {"", 0, "dimension: unknown dimension \"\" " DIMENSIONS},
    {"feature_flags", 0, "dimension: unknown dimension \"feature_flags\" " DIMENSIONS},
    {"0123456789abcdef", 0, "dimension: unknown dimension \"0123456789abcdef\" " DIMENSIONS},
    {"0123456789abcdefg", 0, "dimension: unknown dimension \"0123456789abcdef...\" " DIMENSIONS},
    {"a_name_longer_than_thirty_two_bytes", 0,
     "dimension: unknown dimension \"a_name_longer_th...\" " DIMENSIONS},
    {"co\"un\ntry", 0, "dimension: unknown dimension \"co?un?try\" " DIMENSIONS},
};

static void test_dimension(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(dim_cases); i++) {
        const struct dim_case *c = &dim_cases[i];
        struct lia_err err;
        enum lia_dimension dim = LIA_DIM_COUNT;
        lia_err_clear(&err);
        int rc = lia_query_dimension("dimension", c->text, &dim, &err);
        if (c->msg == NULL) {
            check_ok(rc, &err, c->text);
            assert_int_equal(dim, c->dim);
        } else {
            check_fail(rc, &err, c->text, "dimension", c->msg);
            assert_int_equal(dim, LIA_DIM_COUNT);
        }
    }
    struct lia_err err;
    enum lia_dimension dim = LIA_DIM_COUNT;
    check_fail(lia_query_dimension("dimension", NULL, &dim, &err), &err, NULL, "dimension",
               "dimension: unknown dimension \"\" " DIMENSIONS);
    assert_int_equal(dim, LIA_DIM_COUNT);
}

/* uint */

struct uint_case {
    const char *name;
    const char *text;
    uint64_t min, max;
    uint64_t value;  /* when msg is NULL */
    const char *msg; /* expected error, or NULL for success */
};

static const struct uint_case uint_cases[] = {
    {"limit", "1", 1, 1000, 1, NULL},
    {"limit", "2", 1, 1000, 2, NULL},
    {"limit", "20", 1, 1000, 20, NULL},
    {"limit", "999", 1, 1000, 999, NULL},
    {"limit", "1000", 1, 1000, 1000, NULL},
    {"min_count", "0", 0, 1000000, 0, NULL},
    {"min_count", "18446744073709551615", 0, UINT64_MAX, UINT64_MAX, NULL},
    {"limit", "7", 7, 7, 7, NULL},
    {"limit", "0", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \"0\""},
    {"limit", "1001", 1, 1000, 0,
     "limit: expected a whole number between 1 and 1000, got \"1001\""},
    {"limit", "", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \"\""},
    {"limit", "abc", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \"abc\""},
    {"limit", "-1", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \"-1\""},
    {"limit", "+5", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \"+5\""},
    {"limit", "05", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \"05\""},
    {"limit", "5 ", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \"5 \""},
    {"limit", " 5", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \" 5\""},
    {"limit", "5.0", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \"5.0\""},
    {"limit", "1e3", 1, 1000, 0, "limit: expected a whole number between 1 and 1000, got \"1e3\""},
    {"limit", "0x10", 1, 1000, 0,
     "limit: expected a whole number between 1 and 1000, got \"0x10\""},
    {"limit", "8", 7, 7, 0, "limit: expected a whole number between 7 and 7, got \"8\""},
    {"min_count", "18446744073709551616", 0, UINT64_MAX, 0,
     "min_count: expected a whole number between 0 and 18446744073709551615, got "
     "\"18446744073709551616\""},
    {"min_count", "99999999999999999999999999999999999999999", 0, 1000000, 0,
     "min_count: expected a whole number between 0 and 1000000, got "
     "\"9999999999999999999999999999999999999999...\""},
};

static void test_uint(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(uint_cases); i++) {
        const struct uint_case *c = &uint_cases[i];
        struct lia_err err;
        uint64_t out = 42;
        lia_err_clear(&err);
        int rc = lia_query_uint(c->name, c->text, c->min, c->max, &out, &err);
        if (c->msg == NULL) {
            check_ok(rc, &err, c->text);
            assert_int_equal(out, c->value);
        } else {
            check_fail(rc, &err, c->text, c->name, c->msg);
            assert_int_equal(out, 42);
        }
    }
    struct lia_err err;
    uint64_t out = 42;
    check_fail(lia_query_uint("limit", NULL, 1, 1000, &out, &err), &err, NULL, "limit",
               "limit: expected a whole number between 1 and 1000, got \"\"");
    assert_int_equal(out, 42);
}

/* where */

/* 95 bytes, the longest value a bucket holds. */
#define V95                                                                                        \
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"               \
    "abcdefghijklmnopq"

struct where_case {
    const char *text;
    size_t n;                                  /* keys expected when msg is NULL */
    const char *keys[LIA_QUERY_MAX_WHERE + 1]; /* expected keys, in order */
    const char *msg;                           /* expected error, or NULL for success */
};

static const struct where_case where_cases[] = {
    {"", 0, {NULL}, NULL},
    {"platform:ios", 1, {"platform:ios"}, NULL},
    {"platform:ios,country:DE", 2, {"platform:ios", "country:DE"}, NULL},
    {"platform:iOS,country:de", 2, {"platform:ios", "country:DE"}, NULL},
    {" platform:ios , country:DE ", 2, {"platform:ios", "country:DE"}, NULL},
    {"\tplatform : ios,\r\ncountry:  DE", 2, {"platform:ios", "country:DE"}, NULL},
    {"country:unknown", 1, {"country:unknown"}, NULL},
    {"country:Unknown", 1, {"country:unknown"}, NULL},
    {"country:UNKNOWN", 1, {"country:unknown"}, NULL},
    {"country:unknowns", 1, {"country:UNKNOWNS"}, NULL},
    {"region:EMEA", 1, {"region:emea"}, NULL},
    {"region:LatAm", 1, {"region:latam"}, NULL},
    {"tier:Enterprise", 1, {"tier:enterprise"}, NULL},
    {"tier:Gold Plus", 1, {"tier:gold plus"}, NULL},
    {"tier:PR\xc3\x89MIUM", 1, {"tier:pr\xc3\x89mium"}, NULL},
    {"tier:\xe2\x82\xac\xf0\x9f\x98\x80", 1, {"tier:\xe2\x82\xac\xf0\x9f\x98\x80"}, NULL},
    {"platform:Android", 1, {"platform:android"}, NULL},
    {"app_version:ios 5.2.1", 1, {"app_version:ios 5.2.1"}, NULL},
    {"app_version:iOS 5.2.1-RC1", 1, {"app_version:ios 5.2.1-RC1"}, NULL},
    {"app_version:UNKNOWN", 1, {"app_version:unknown"}, NULL},
    {"app_version:iOS Unknown", 1, {"app_version:ios unknown"}, NULL},
    {"app_version:Unknown UNKNOWN", 1, {"app_version:unknown unknown"}, NULL},
    {"app_version:ios Unknowns", 1, {"app_version:ios Unknowns"}, NULL},
    {"app_minor:ios UNKNOWN", 1, {"app_minor:ios unknown"}, NULL},
    {"app_version:ios 5.2.1 (Beta)", 1, {"app_version:ios 5.2.1 (Beta)"}, NULL},
    {"app_minor:Android 5.2", 1, {"app_minor:android 5.2"}, NULL},
    {"account_range:200000-299999", 1, {"account_range:200000-299999"}, NULL},
    {"account_range:Enterprise-EU", 1, {"account_range:Enterprise-EU"}, NULL},
    {"account_range:a:b", 1, {"account_range:a:b"}, NULL},
    {"platform:ios;country:DE", 1, {"platform:ios;country:de"}, NULL},
    {"feature_flag:Dark_Mode", 1, {"feature_flag:dark_mode"}, NULL},
    {"feature_flag:beta,feature_flag:new_checkout",
     2,
     {"feature_flag:beta", "feature_flag:new_checkout"},
     NULL},
    {"feature_flag:beta,feature_flag:BETA", 1, {"feature_flag:beta"}, NULL},
    {"tier:" V95, 1, {"tier:" V95}, NULL},
    {"account_range:" V95, 1, {"account_range:" V95}, NULL},
    {"country:DE,region:emea,account_range:none,tier:gold,platform:ios,app_version:ios 5.2.1,"
     "app_minor:ios 5.2,feature_flag:beta",
     8,
     {"country:DE", "region:emea", "account_range:none", "tier:gold", "platform:ios",
      "app_version:ios 5.2.1", "app_minor:ios 5.2", "feature_flag:beta"},
     NULL},
    {"feature_flag:a,feature_flag:b,feature_flag:c,feature_flag:d,feature_flag:e,"
     "feature_flag:f,feature_flag:g,feature_flag:h",
     8,
     {"feature_flag:a", "feature_flag:b", "feature_flag:c", "feature_flag:d", "feature_flag:e",
      "feature_flag:f", "feature_flag:g", "feature_flag:h"},
     NULL},
    {"feature_flag:a,feature_flag:b,feature_flag:c,feature_flag:d,feature_flag:e,"
     "feature_flag:f,feature_flag:g,feature_flag:h,feature_flag:i",
     0,
     {NULL},
     "where: expected at most 8 dimension:value pairs, got 9"},
    {",,,,,,,,", 0, {NULL}, "where: expected at most 8 dimension:value pairs, got 9"},
    {"platform", 0, {NULL}, WHERE_MSG "\"platform\""},
    {"platform:ios,", 0, {NULL}, WHERE_MSG "\"platform:ios,\""},
    {",platform:ios", 0, {NULL}, WHERE_MSG "\",platform:ios\""},
    {"platform:ios,,country:DE", 0, {NULL}, WHERE_MSG "\"platform:ios,,country:DE\""},
    {"platform=ios", 0, {NULL}, WHERE_MSG "\"platform=ios\""},
    {":ios", 0, {NULL}, WHERE_MSG "\":ios\""},
    {"  :ios", 0, {NULL}, WHERE_MSG "\"  :ios\""},
    {" ", 0, {NULL}, WHERE_MSG "\" \""},
    {"platform:ios,country\n", 0, {NULL}, WHERE_MSG "\"platform:ios,country?\""},
    {"country:DE,platform:ios,tier:gold,region:emea,app_version:ios 5.2.1,x",
     0,
     {NULL},
     WHERE_MSG "\"country:DE,platform:ios,tier:gold,region...\""},
    {"os:ios", 0, {NULL}, "where: unknown dimension \"os\" " DIMENSIONS},
    {"Platform:ios", 0, {NULL}, "where: unknown dimension \"Platform\" " DIMENSIONS},
    {"plat form:ios", 0, {NULL}, "where: unknown dimension \"plat form\" " DIMENSIONS},
    {"a_name_longer_than_thirty_two_bytes:x",
     0,
     {NULL},
     "where: unknown dimension \"a_name_longer_th...\" " DIMENSIONS},
    {"platform:",
     0,
     {NULL},
     "where: empty value for platform, expected a value like \"platform:ios\""},
    {"platform:  ",
     0,
     {NULL},
     "where: empty value for platform, expected a value like \"platform:ios\""},
    {"country:DE,tier:",
     0,
     {NULL},
     "where: empty value for tier, expected a value like \"tier:enterprise\""},
    {"country:", 0, {NULL}, "where: empty value for country, expected a value like \"country:DE\""},
    {"region:", 0, {NULL}, "where: empty value for region, expected a value like \"region:emea\""},
    {"account_range:",
     0,
     {NULL},
     "where: empty value for account_range, expected a value like "
     "\"account_range:200000-299999\""},
    {"app_version:",
     0,
     {NULL},
     "where: empty value for app_version, expected a value like \"app_version:ios 5.2.1\""},
    {"app_minor:",
     0,
     {NULL},
     "where: empty value for app_minor, expected a value like \"app_minor:ios 5.2\""},
    {"feature_flag:",
     0,
     {NULL},
     "where: empty value for feature_flag, expected a value like \"feature_flag:dark_mode\""},
    {"country:DE,country:FR",
     0,
     {NULL},
     "where: dimension country given twice (only feature_flag may repeat)"},
    {"platform:ios,platform:ios",
     0,
     {NULL},
     "where: dimension platform given twice (only feature_flag may repeat)"},
    {"app_version:ios 5.2.1,country:DE,app_version:ios 5.2.2",
     0,
     {NULL},
     "where: dimension app_version given twice (only feature_flag may repeat)"},
    {"tier:" V95 "u",
     0,
     {NULL},
     "where: value for tier is longer than 95 bytes, got "
     "\"abcdefghijklmnopqrstuvwxyzabcdefghijklmn...\""},
    {"tier:a\tb", 0, {NULL}, "where: value for tier must be printable UTF-8 text, got \"a?b\""},
    {"tier:a\x7f", 0, {NULL}, "where: value for tier must be printable UTF-8 text, got \"a?\""},
    {"tier:a\x01", 0, {NULL}, "where: value for tier must be printable UTF-8 text, got \"a?\""},
    {"tier:a\xc3", 0, {NULL}, "where: value for tier must be printable UTF-8 text, got \"a?\""},
    {"tier:\xc3(", 0, {NULL}, "where: value for tier must be printable UTF-8 text, got \"?(\""},
    {"tier:\xc2\x85", 0, {NULL}, "where: value for tier must be printable UTF-8 text, got \"??\""},
    {"tier:\xc0\xaf", 0, {NULL}, "where: value for tier must be printable UTF-8 text, got \"??\""},
    {"tier:\xe0\x80\xaf",
     0,
     {NULL},
     "where: value for tier must be printable UTF-8 text, got \"???\""},
    {"tier:\xed\xa0\x80",
     0,
     {NULL},
     "where: value for tier must be printable UTF-8 text, got \"???\""},
    {"tier:\xe2\x82", 0, {NULL}, "where: value for tier must be printable UTF-8 text, got \"??\""},
    {"tier:\xf0\x8f\xbf\xbf",
     0,
     {NULL},
     "where: value for tier must be printable UTF-8 text, got \"????\""},
    {"tier:\xf4\x90\x80\x80",
     0,
     {NULL},
     "where: value for tier must be printable UTF-8 text, got \"????\""},
    {"tier:\xf5\x80\x80\x80",
     0,
     {NULL},
     "where: value for tier must be printable UTF-8 text, got \"????\""},
    {"tier:\xf0\x9f\x98",
     0,
     {NULL},
     "where: value for tier must be printable UTF-8 text, got \"???\""},
    {"tier:\x80", 0, {NULL}, "where: value for tier must be printable UTF-8 text, got \"?\""},
};

static void test_where(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(where_cases); i++) {
        const struct where_case *c = &where_cases[i];
        char keys[LIA_QUERY_MAX_WHERE][LIA_BUCKET_KEY_MAX];
        struct lia_err err;
        size_t n = 42;
        memset(keys, 'x', sizeof(keys));
        lia_err_clear(&err);
        int rc = lia_query_where("where", c->text, keys, &n, &err);
        if (c->msg == NULL) {
            check_ok(rc, &err, c->text);
            if (n != c->n) {
                fail_msg("\"%s\": %zu keys, expected %zu", c->text, n, c->n);
            }
            for (size_t k = 0; k < n; k++) {
                assert_string_equal(keys[k], c->keys[k]);
            }
        } else {
            check_fail(rc, &err, c->text, "where", c->msg);
            assert_int_equal(n, 0);
        }
    }
}

/* A quote in a value is printable, so it is kept; only the message's echo replaces it. */
static void test_where_quote_kept(void **state)
{
    (void)state;
    char keys[LIA_QUERY_MAX_WHERE][LIA_BUCKET_KEY_MAX];
    struct lia_err err;
    size_t n = 42;
    lia_err_clear(&err);
    check_ok(lia_query_where("where", "account_range:\"vip\"", keys, &n, &err), &err, "quote");
    assert_int_equal(n, 1);
    assert_string_equal(keys[0], "account_range:\"vip\"");
}

/* A caller that passes one pair needs only one entry; ASan sees any write past it. */
static void test_where_one_entry(void **state)
{
    (void)state;
    char keys[1][LIA_BUCKET_KEY_MAX];
    struct lia_err err;
    size_t n = 42;
    lia_err_clear(&err);
    check_ok(lia_query_where("value", "country:de", keys, &n, &err), &err, "country:de");
    assert_int_equal(n, 1);
    assert_string_equal(keys[0], "country:DE");
    check_fail(lia_query_where("value", "country:", keys, &n, &err), &err, "country:", "value",
               "value: empty value for country, expected a value like \"country:DE\"");
    assert_int_equal(n, 0);
}

static void test_where_null(void **state)
{
    (void)state;
    char keys[LIA_QUERY_MAX_WHERE][LIA_BUCKET_KEY_MAX];
    struct lia_err err;
    size_t n = 42;
    lia_err_clear(&err);
    check_ok(lia_query_where("where", NULL, keys, &n, &err), &err, NULL);
    assert_int_equal(n, 0);
    n = 42;
    assert_int_equal(lia_query_where("where", "os:ios", keys, &n, NULL), -1);
    assert_int_equal(n, 0);
    check_fail(lia_query_where("filter", "os:ios", keys, &n, &err), &err, "os:ios", "filter",
               "filter: unknown dimension \"os\" " DIMENSIONS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_window_null),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_time_name_and_now),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_dimension),
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_where),
        cmocka_unit_test(test_where_quote_kept),
        cmocka_unit_test(test_where_one_entry),
        cmocka_unit_test(test_where_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
