/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/timeutil.c: every timestamp shape the helpdesks send, impossible dates,
 * formatting, and the calendar walked day by day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "timeutil.h"

#include <stdbool.h>
#include <stdio.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DAY_MS       INT64_C(86400000)

struct time_case {
    const char *text;
    int64_t ms;
};

/* Expected values computed independently with Python's datetime. */
static const struct time_case iso_valid[] = {
    {"2026-03-14T09:21:06Z", INT64_C(1773480066000)},
    {"2026-03-14T09:21:06.123Z", INT64_C(1773480066123)},
    {"2026-03-14T09:21:06.1Z", INT64_C(1773480066100)},
    {"2026-03-14T09:21:06.12Z", INT64_C(1773480066120)},
    {"2026-03-14T09:21:06.1234Z", INT64_C(1773480066123)},
    {"2026-03-14T09:21:06.123456Z", INT64_C(1773480066123)},
    {"2026-03-14T09:21:06.123456789Z", INT64_C(1773480066123)},
    {"2026-03-14T09:21:06.999999999Z", INT64_C(1773480066999)},
    {"2026-03-14T09:21:06.000Z", INT64_C(1773480066000)},
    /* Minute precision, as Zendesk's *_with_timestamp placeholders render. */
    {"2026-03-14T09:21Z", INT64_C(1773480060000)},
    {"2026-03-14T09:21", INT64_C(1773480060000)},
    {"2026-03-14T09:21+02:00", INT64_C(1773472860000)},
    {"2026-03-14 09:21:06Z", INT64_C(1773480066000)},
    {"2026-03-14t09:21:06z", INT64_C(1773480066000)},
    /* No zone means UTC, including the naive microsecond form Gorgias sends. */
    {"2026-03-14T09:21:06", INT64_C(1773480066000)},
    {"2026-03-14T09:21:06.412839", INT64_C(1773480066412)},
    {"2026-03-14T09:21:06+00:00", INT64_C(1773480066000)},
    {"2026-03-14T09:21:06-00:00", INT64_C(1773480066000)},
    {"2026-03-14T09:21:06+02:00", INT64_C(1773472866000)},
    {"2026-03-14T09:21:06+0200", INT64_C(1773472866000)},
    {"2026-03-14T09:21:06+02", INT64_C(1773472866000)},
    {"2026-03-14T09:21:06-05:30", INT64_C(1773499866000)},
    {"2026-03-14T09:21:06+05:30", INT64_C(1773460266000)},
    {"2026-03-14T09:21:06.000+0530", INT64_C(1773460266000)},
    {"2026-03-14T09:21:06+23:59", INT64_C(1773393726000)},
    {"2026-03-14T09:21:06-23:59", INT64_C(1773566406000)},
    {"2024-02-29T00:00:00Z", INT64_C(1709164800000)},
    {"2000-02-29T12:00:00Z", INT64_C(951825600000)},
    {"2024-12-31T23:59:59.999Z", INT64_C(1735689599999)},
    {"2100-03-01T00:00:00Z", INT64_C(4107542400000)},
    {"2038-01-19T03:14:08Z", INT64_C(2147483648000)},
    {"1970-01-01T00:00:00Z", 0},
    {"1970-01-01T00:00:00.001Z", 1},
    /* The year is checked as written; an offset may put the instant just before 1970. */
    {"1970-01-01T00:30:00+01:00", INT64_C(-1800000)},
    {"9999-12-31T23:59:59.999Z", INT64_C(253402300799999)},
    /* A leap second is kept in its own minute as that minute's last millisecond. */
    {"2016-12-31T23:59:60Z", INT64_C(1483228799999)},
    {"2016-12-31T23:59:60.5Z", INT64_C(1483228799999)},
};

static const char *const iso_invalid[] = {
    "",
    "garbage",
    "2023-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-01-00T00:00:00Z",
    "2026-01-32T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T25:00:00Z",
    "2026-01-01T23:60:00Z",
    "2026-01-01T23:59:61Z",
    "1969-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2026-03-14",
    "2026-03-14T",
    "2026-03-14T09",
    "2026-03-14T09Z",
    "2026-03-14T09:2Z",
    "2026-03-14T9:21:06Z",
    "2026-3-14T09:21:06Z",
    "26-03-14T09:21:06Z",
    "+2026-03-14T09:21:06Z",
    "20260314T092106Z",
    "2026-03-14_09:21:06Z",
    "2026-03-14T09:21:06.Z",
    "2026-03-14T09:21:06.",
    "2026-03-14T09:21:06.1234567890Z",
    "2026-03-14T09:21:06,5Z",
    "2026-03-14T09:21.5Z",
    "2026-03-14T09:21:6Z",
    "2026-03-14T09:21:06 Z",
    "2026-03-14T09:21:06ZZ",
    "2026-03-14T09:21:06Zjunk",
    "2026-03-14T09:21:06Z\n",
    " 2026-03-14T09:21:06Z",
    "2026-03-14T09:21:06+24:00",
    "2026-03-14T09:21:06+02:60",
    "2026-03-14T09:21:06+2:00",
    "2026-03-14T09:21:06+02:0",
    "2026-03-14T09:21:06+020",
    "2026-03-14T09:21:06+02:00:00",
    "2026-03-14T09:21:06+",
    "2026-03-14T09:21:06UTC",
    "2026-03-14T09:21:06 +0000",
    "1710408066",
    "２０２６-03-14T09:21:06Z",
};

static void test_iso_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(iso_valid); i++) {
        int64_t ms = -42;
        if (lia_time_parse_iso8601(iso_valid[i].text, &ms) != 0) {
            fail_msg("rejected \"%s\"", iso_valid[i].text);
        }
        if (ms != iso_valid[i].ms) {
            fail_msg("\"%s\": got %lld, want %lld", iso_valid[i].text, (long long)ms,
                     (long long)iso_valid[i].ms);
        }
    }
}

static void test_iso_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(iso_invalid); i++) {
        int64_t ms = -42;
        if (lia_time_parse_iso8601(iso_invalid[i], &ms) != -1) {
            fail_msg("accepted \"%s\" as %lld", iso_invalid[i], (long long)ms);
        }
        assert_int_equal(ms, -42);
    }
    assert_int_equal(lia_time_parse_iso8601(NULL, &(int64_t){0}), -1);
}

static const struct time_case epoch_valid[] = {
    {"1710408066", INT64_C(1710408066000)},
    {"1710408066123", INT64_C(1710408066123)},
    {"1710408066.5", INT64_C(1710408066500)},
    {"1710408066.123456", INT64_C(1710408066123)},
    {"1710408066.999999999", INT64_C(1710408066999)},
    {"1710408066123.9", INT64_C(1710408066123)},
    {"0", 0},
    {"0.5", 500},
    {"1", 1000},
    {"999999999", INT64_C(999999999000)},
    /* Twelve digits are still seconds; the largest that stays within year 9999. */
    {"253402300799", INT64_C(253402300799000)},
    {"1000000000000", INT64_C(1000000000000)},
    {"253402300799999", INT64_C(253402300799999)},
};

static const char *const epoch_invalid[] = {
    "",
    "-1",
    "+1",
    " 1710408066",
    "1710408066 ",
    "01710408066",
    "00",
    "1e9",
    "1710408066.",
    ".5",
    "1710408066.1234567890",
    "1710408066..5",
    "1710408066.5.5",
    "1,5",
    "0x10",
    "abc",
    "253402300800",
    "999999999999",
    "253402300800000",
    "1000000000000000",
    "17104080661234567890",
    "99999999999999999999999999999",
    "2026-03-14T09:21:06Z",
};

static void test_epoch_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(epoch_valid); i++) {
        int64_t ms = -42;
        if (lia_time_parse_epoch(epoch_valid[i].text, &ms) != 0) {
            fail_msg("rejected \"%s\"", epoch_valid[i].text);
        }
        if (ms != epoch_valid[i].ms) {
            fail_msg("\"%s\": got %lld, want %lld", epoch_valid[i].text, (long long)ms,
                     (long long)epoch_valid[i].ms);
        }
    }
}

static void test_epoch_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(epoch_invalid); i++) {
        int64_t ms = -42;
        if (lia_time_parse_epoch(epoch_invalid[i], &ms) != -1) {
            fail_msg("accepted \"%s\" as %lld", epoch_invalid[i], (long long)ms);
        }
        assert_int_equal(ms, -42);
    }
    assert_int_equal(lia_time_parse_epoch(NULL, &(int64_t){0}), -1);
}

static void test_parse_any(void **state)
{
    (void)state;
    static const struct time_case valid[] = {
        {"2026-03-14T09:21:06Z", INT64_C(1773480066000)},
        {"2026-03-14T09:21Z", INT64_C(1773480060000)},
        {"2026-03-14T09:21:06+0530", INT64_C(1773460266000)},
        {"1710408066", INT64_C(1710408066000)},
        {"1710408066123", INT64_C(1710408066123)},
        {"1710408066.5", INT64_C(1710408066500)},
    };
    static const char *const invalid[] = {"",   "now",         "2026-02-30T00:00:00Z",
                                          "-1", "1710408066Z", "0001-01-01T00:00:00Z"};

    for (size_t i = 0; i < ARRAY_LEN(valid); i++) {
        int64_t ms = -42;
        assert_int_equal(lia_time_parse_any(valid[i].text, &ms), 0);
        assert_int_equal(ms, valid[i].ms);
    }
    for (size_t i = 0; i < ARRAY_LEN(invalid); i++) {
        int64_t ms = -42;
        assert_int_equal(lia_time_parse_any(invalid[i], &ms), -1);
        assert_int_equal(ms, -42);
    }
}

static void test_format(void **state)
{
    (void)state;
    static const struct time_case cases[] = {
        {"1970-01-01T00:00:00.000Z", 0},
        {"1970-01-01T00:00:00.001Z", 1},
        {"1969-12-31T23:59:59.999Z", -1},
        {"1969-12-31T23:59:00.000Z", -60000},
        {"2024-03-14T09:21:06.123Z", INT64_C(1710408066123)},
        {"2024-02-29T00:00:00.000Z", INT64_C(1709164800000)},
        {"2000-02-29T12:00:00.000Z", INT64_C(951825600000)},
        {"2038-01-19T03:14:08.000Z", INT64_C(2147483648000)},
        {"9999-12-31T23:59:59.999Z", INT64_C(253402300799999)},
    };
    char out[LIA_TIME_STR_LEN];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        assert_ptr_equal(lia_time_format(cases[i].ms, out), out);
        assert_string_equal(out, cases[i].text);
    }
    /* The extremes of the type still fit the buffer. */
    lia_time_format(INT64_MAX, out);
    assert_string_equal(out, "292278994-08-17T07:12:55.807Z");
    lia_time_format(INT64_MIN, out);
    assert_string_equal(out, "-292275055-05-16T16:47:04.192Z");
}

/* Walks every day from 1970 to 2400 with the Gregorian rule stated independently here, and
 * checks each midnight parses to exactly one day after the previous and formats back. */
static void test_calendar_walk(void **state)
{
    (void)state;
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t expect = 0;
    char text[48], out[LIA_TIME_STR_LEN];

    for (int y = 1970; y <= 2400; y++) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (int m = 1; m <= 12; m++) {
            int ndays = month_days[m - 1] + (m == 2 && leap ? 1 : 0);
            for (int d = 1; d <= ndays; d++) {
                int64_t ms = -1;
                snprintf(text, sizeof(text), "%04d-%02d-%02dT00:00:00Z", y, m, d);
                assert_int_equal(lia_time_parse_iso8601(text, &ms), 0);
                assert_int_equal(ms, expect);
                snprintf(text, sizeof(text), "%04d-%02d-%02dT00:00:00.000Z", y, m, d);
                assert_string_equal(lia_time_format(ms, out), text);
                expect += DAY_MS;
            }
            snprintf(text, sizeof(text), "%04d-%02d-%02dT00:00:00Z", y, m, ndays + 1);
            assert_int_equal(lia_time_parse_iso8601(text, &(int64_t){0}), -1);
        }
    }
}

/* Formatting then parsing is the identity on milliseconds across the accepted range. */
static void test_round_trip(void **state)
{
    (void)state;
    char out[LIA_TIME_STR_LEN];

    for (int64_t ms = 0; ms <= INT64_C(253402300799999); ms += INT64_C(7919000003)) {
        int64_t back = -1;
        lia_time_format(ms, out);
        assert_int_equal(lia_time_parse_iso8601(out, &back), 0);
        assert_int_equal(back, ms);
        assert_int_equal(lia_time_parse_any(out, &back), 0);
        assert_int_equal(back, ms);
    }
}

static void test_minute_floor(void **state)
{
    (void)state;
    static const int64_t cases[][2] = {
        {0, 0},
        {1, 0},
        {59999, 0},
        {60000, 60000},
        {60001, 60000},
        {-1, -60000},
        {-59999, -60000},
        {-60000, -60000},
        {-60001, -120000},
        {INT64_C(1710408066123), INT64_C(1710408060000)},
        {INT64_C(1710408060000), INT64_C(1710408060000)},
        {INT64_MAX, INT64_C(9223372036854720000)},
        /* The partial minute at the bottom of the range saturates upwards. */
        {INT64_MIN, INT64_C(-9223372036854720000)},
        {INT64_MIN + 4192, INT64_C(-9223372036854720000)},
        {INT64_MIN + 55808, INT64_C(-9223372036854720000)},
        {INT64_MIN + 55809, INT64_C(-9223372036854720000)},
        {INT64_MIN + 115808, INT64_C(-9223372036854660000)},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        assert_int_equal(lia_time_minute_floor(cases[i][0]), cases[i][1]);
    }
}

/* Buckets are minutes of UTC: a local clock change (DST) or a leap day never shifts or merges
 * a minute. Local times with offsets land in the UTC minute they denote. */
static void test_minutes_across_dst_and_leap_days(void **state)
{
    (void)state;
    static const struct {
        const char *local;
        const char *minute_utc;
    } cases[] = {
        /* Europe switches to summer time at 01:00 UTC on 2026-03-29. */
        {"2026-03-29T01:59:59.999+01:00", "2026-03-29T00:59:00.000Z"},
        {"2026-03-29T03:00:00+02:00", "2026-03-29T01:00:00.000Z"},
        {"2026-03-29T03:00:59+02:00", "2026-03-29T01:00:00.000Z"},
        /* The US falls back at 06:00 UTC on 2026-11-01: 01:30 local happens twice. */
        {"2026-11-01T01:30:00-04:00", "2026-11-01T05:30:00.000Z"},
        {"2026-11-01T01:30:00-05:00", "2026-11-01T06:30:00.000Z"},
        /* Leap days. */
        {"2028-02-29T23:59:30Z", "2028-02-29T23:59:00.000Z"},
        {"2028-03-01T00:00:00Z", "2028-03-01T00:00:00.000Z"},
        {"2024-02-29T12:00:45.5+14:00", "2024-02-28T22:00:00.000Z"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms;
        assert_int_equal(lia_time_parse_iso8601(cases[i].local, &ms), 0);
        char out[LIA_TIME_STR_LEN];
        assert_string_equal(lia_time_format(lia_time_minute_floor(ms), out), cases[i].minute_utc);
    }
    int64_t before;
    int64_t after;
    assert_int_equal(lia_time_parse_iso8601("2026-03-29T00:59:00Z", &before), 0);
    assert_int_equal(lia_time_parse_iso8601("2026-03-29T01:00:00Z", &after), 0);
    assert_int_equal(after - before, 60000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_valid),
        cmocka_unit_test(test_iso_invalid),
        cmocka_unit_test(test_epoch_valid),
        cmocka_unit_test(test_epoch_invalid),
        cmocka_unit_test(test_parse_any),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_calendar_walk),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_minute_floor),
        cmocka_unit_test(test_minutes_across_dst_and_leap_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
