/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/rollup.c: windows across minute and hour boundaries, week-ago counts and
 * trailing means, updates, expiry, filters, series, distinct accounts, ordering, a comparison
 * with a brute-force recount of random tickets, and a printed throughput figure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rollup.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SEC_MS       INT64_C(1000)
#define MIN_MS       INT64_C(60000)
#define HOUR_MS      (60 * MIN_MS)
#define DAY_MS       (24 * HOUR_MS)
#define WEEK_MINUTES 10080
/* 2026-03-14T00:00:00Z; B, nine days later, is a midnight well inside every test's clock. */
#define T0 INT64_C(1773446400000)
#define B  (T0 + 9 * DAY_MS)

#define KEYS(...)                                                                                  \
    ((const char *const[]){__VA_ARGS__}),                                                          \
        (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static struct lia_rollup *rollup_at(int64_t horizon_ms, int64_t future_ms, unsigned exact_max,
                                    int64_t now_ms)
{
    struct lia_rollup_opts opts = {
        .horizon_ms = horizon_ms, .future_ms = future_ms, .exact_accounts_max = exact_max};
    struct lia_rollup *r = lia_rollup_new(&opts);
    lia_rollup_advance(r, now_ms);
    return r;
}

static struct lia_rollup *rollup_std(int64_t now_ms)
{
    return rollup_at(8 * DAY_MS, DAY_MS, 64, now_ms);
}

/* Runs the checks of a scenario on fresh puts (unsealed minutes) and again after an advance
 * that seals every minute before now. */
static const bool seal_modes[] = {false, true};

static void settle(struct lia_rollup *r, bool seal, int64_t now_ms)
{
    if (seal) {
        lia_rollup_advance(r, now_ms);
    }
}

static void put_ok(struct lia_rollup *r, uint64_t id, int64_t t, const char *const *keys,
                   size_t nkeys, const char *account)
{
    assert_true(lia_rollup_put(r, id, t, keys, nkeys, account));
}

static void assert_close(double got, double want)
{
    double d = got - want;
    double scale = want < 0 ? -want : want;
    if (d < 0) {
        d = -d;
    }
    if (d > 1e-9 * (scale > 1.0 ? scale : 1.0)) {
        fail_msg("got %.17g, want %.17g", got, want);
    }
}

/* Rows of dim in [from, to): every row, no minimum. */
static struct lia_bucket_stat *all_rows(const struct lia_rollup *r, enum lia_dimension dim,
                                        int64_t from, int64_t to, const struct lia_filter *where,
                                        size_t *n)
{
    return lia_rollup_buckets(r, dim, from, to, where, 0, SIZE_MAX, n);
}

static const struct lia_bucket_stat *find_row(const struct lia_bucket_stat *rows, size_t n,
                                              const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].key, key) == 0) {
            return &rows[i];
        }
    }
    return NULL;
}

/* Count of key in its listing of dim, 0 when it is not listed; checked against values too. */
static int64_t count_of(const struct lia_rollup *r, enum lia_dimension dim, const char *key,
                        int64_t from, int64_t to, const struct lia_filter *where)
{
    size_t n = 0;
    struct lia_bucket_stat *rows = all_rows(r, dim, from, to, where, &n);
    const struct lia_bucket_stat *row = find_row(rows, n, key);
    int64_t c = row != NULL ? row->count : 0;
    free(rows);
    size_t nv = 0;
    struct lia_dimension_value *vals = lia_rollup_values(r, dim, from, to, where, &nv);
    assert_int_equal(nv, n);
    int64_t cv = 0;
    for (size_t i = 0; i < nv; i++) {
        if (strcmp(vals[i].key, key) == 0) {
            cv = vals[i].count;
        }
    }
    free(vals);
    assert_int_equal(cv, c);
    return c;
}

static void test_ticket_id(void **state)
{
    (void)state;
    uint64_t a = lia_rollup_ticket_id("zendesk", "123");
    assert_true(a == lia_rollup_ticket_id("zendesk", "123"));
    assert_true(a != lia_rollup_ticket_id("zendesk", "124"));
    assert_true(a != lia_rollup_ticket_id("freshdesk", "123"));
    assert_true(lia_rollup_ticket_id("ab", "c") != lia_rollup_ticket_id("a", "bc"));
    assert_true(lia_rollup_ticket_id(NULL, "x") == lia_rollup_ticket_id("", "x"));
    assert_true(lia_rollup_ticket_id("s", NULL) == lia_rollup_ticket_id("s", ""));
}

struct window_case {
    int64_t from, to; /* offsets from B */
    int64_t de;       /* country:DE tickets */
};

static void check_counts_across_minutes_and_hours(bool seal)
{
    struct lia_rollup *r = rollup_std(B + 3 * HOUR_MS);
    static const int64_t at[] = {-1, 0, 59999, 60000, HOUR_MS - 1, HOUR_MS, 2 * HOUR_MS - 1};
    for (size_t i = 0; i < ARRAY_LEN(at); i++) {
        put_ok(r, 100 + i, B + at[i], KEYS("country:DE", "platform:ios"), NULL);
    }
    put_ok(r, 1, B + 30 * MIN_MS, KEYS("country:FR"), NULL);
    settle(r, seal, B + 3 * HOUR_MS);
    static const struct window_case cases[] = {
        {0, MIN_MS, 2},
        {0, MIN_MS + 1, 2},            /* to is floored */
        {30 * SEC_MS, 90 * SEC_MS, 2}, /* both floored: [0, 1m) */
        {-MIN_MS, 0, 1},
        {-1, 0, 1},
        {0, HOUR_MS, 4},
        {-HOUR_MS, 2 * HOUR_MS, 7},
        {MIN_MS, 2 * HOUR_MS, 4},
        {HOUR_MS, HOUR_MS + MIN_MS, 1},
        {HOUR_MS - MIN_MS, HOUR_MS + MIN_MS, 2},
        {2 * HOUR_MS, 3 * HOUR_MS, 0},
        {-DAY_MS, DAY_MS, 7},
        {-7 * DAY_MS, 2 * HOUR_MS - MIN_MS, 6},
        {2 * MIN_MS, 2 * HOUR_MS - MIN_MS, 2},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct window_case *c = &cases[i];
        assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", B + c->from, B + c->to, NULL),
                         c->de);
        assert_int_equal(
            count_of(r, LIA_DIM_PLATFORM, "platform:ios", B + c->from, B + c->to, NULL), c->de);
    }
    /* Windows shorter than a minute inside one minute are empty. */
    size_t n = 7;
    assert_null(all_rows(r, LIA_DIM_COUNTRY, B, B, NULL, &n));
    assert_int_equal(n, 0);
    n = 7;
    assert_null(all_rows(r, LIA_DIM_COUNTRY, B + 10 * SEC_MS, B + 50 * SEC_MS, NULL, &n));
    assert_int_equal(n, 0);
    n = 7;
    assert_null(lia_rollup_values(r, LIA_DIM_COUNTRY, B + MIN_MS, B, NULL, &n));
    assert_int_equal(n, 0);
    assert_null(lia_rollup_buckets(r, LIA_DIM_COUNT, B, B + HOUR_MS, NULL, 0, 10, &n));
    assert_null(lia_rollup_buckets(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, NULL, 0, 0, &n));
    assert_int_equal(n, 0);
    /* A dimension without buckets. */
    assert_null(all_rows(r, LIA_DIM_REGION, B - DAY_MS, B + DAY_MS, NULL, &n));
    lia_rollup_free(r);
}

static void test_counts_across_minutes_and_hours(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seal_modes); i++) {
        check_counts_across_minutes_and_hours(seal_modes[i]);
    }
}

static void check_week_ago(bool seal)
{
    struct lia_rollup *r = rollup_std(B + HOUR_MS);
    put_ok(r, 1, B - 7 * DAY_MS + 5 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, 2, B - 7 * DAY_MS + 5 * MIN_MS + 1, KEYS("country:DE"), NULL);
    put_ok(r, 3, B - 7 * DAY_MS + 20 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, 4, B - 7 * DAY_MS - 1, KEYS("country:DE"), NULL);
    put_ok(r, 5, B + 5 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, 6, B + 6 * MIN_MS, KEYS("country:FR"), NULL);
    settle(r, seal, B + HOUR_MS);
    size_t n = 0;
    struct lia_bucket_stat *rows = all_rows(r, LIA_DIM_COUNTRY, B, B + 15 * MIN_MS, NULL, &n);
    assert_int_equal(n, 2);
    const struct lia_bucket_stat *de = find_row(rows, n, "country:DE");
    const struct lia_bucket_stat *fr = find_row(rows, n, "country:FR");
    assert_non_null(de);
    assert_non_null(fr);
    assert_int_equal(de->count, 1);
    assert_int_equal(de->week_ago, 2);
    assert_int_equal(fr->count, 1);
    assert_int_equal(fr->week_ago, 0);
    free(rows);

    /* A week before this window lies outside the horizon. */
    assert_false(lia_rollup_put(r, 7, B - 8 * DAY_MS - 10 * MIN_MS, KEYS("country:DE"), NULL));
    put_ok(r, 8, B - DAY_MS - 10 * MIN_MS, KEYS("country:DE"), NULL);
    rows = all_rows(r, LIA_DIM_COUNTRY, B - DAY_MS - 30 * MIN_MS, B - DAY_MS, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].count, 1);
    assert_int_equal(rows[0].week_ago, 0);
    free(rows);
    lia_rollup_free(r);
}

static void test_week_ago(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seal_modes); i++) {
        check_week_ago(seal_modes[i]);
    }
}

static void check_seven_day_mean(bool seal)
{
    struct lia_rollup *r = rollup_std(B + 20 * MIN_MS);
    uint64_t id = 1;
    for (int k = 1; k <= 168; k++) {
        put_ok(r, id++, B - k * HOUR_MS + 30 * MIN_MS, KEYS("country:DE"), NULL);
    }
    put_ok(r, id++, B - 7 * DAY_MS - 30 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, id++, B + 6 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, id++, B + 7 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, id++, B + 10 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, id++, B + 16 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, id++, B + 1 * MIN_MS, KEYS("country:FR"), NULL);
    settle(r, seal, B + 20 * MIN_MS);

    size_t n = 0;
    struct lia_bucket_stat *rows = all_rows(r, LIA_DIM_COUNTRY, B, B + 15 * MIN_MS, NULL, &n);
    assert_int_equal(n, 2);
    double mean = 168.0 / WEEK_MINUTES;
    assert_string_equal(rows[0].key, "country:DE");
    assert_int_equal(rows[0].count, 3);
    assert_int_equal(rows[0].week_ago, 0);
    assert_close(rows[0].mean_per_minute, mean);
    assert_close(rows[0].expected, mean * 15);
    assert_close(rows[0].ratio, 3 / (mean * 15));
    assert_close(rows[0].excess, 3 - mean * 15);
    assert_string_equal(rows[1].key, "country:FR");
    assert_close(rows[1].expected, 0.0);
    assert_true(isnan(rows[1].ratio));
    assert_close(rows[1].excess, 1.0);
    free(rows);

    /* From inside an hour the mean still covers the 168 whole hours before that hour:
     * [B - 7d, B) holds the 168 hourly tickets, not the one at B - 7d - 30m. */
    rows = all_rows(r, LIA_DIM_COUNTRY, B + 5 * MIN_MS, B + 20 * MIN_MS, NULL, &n);
    const struct lia_bucket_stat *de = find_row(rows, n, "country:DE");
    assert_non_null(de);
    assert_int_equal(de->count, 4);
    assert_close(de->mean_per_minute, mean);
    free(rows);

    /* From B - 30m the mean covers [B - 7d - 1h, B - 1h): the ticket at B - 7d - 30m comes in,
     * the one at B - 30m goes out. */
    rows = all_rows(r, LIA_DIM_COUNTRY, B - 30 * MIN_MS, B + 20 * MIN_MS, NULL, &n);
    de = find_row(rows, n, "country:DE");
    assert_non_null(de);
    assert_int_equal(de->count, 5);
    assert_close(de->mean_per_minute, 168.0 / WEEK_MINUTES);
    free(rows);
    lia_rollup_free(r);

    /* With a 2-day horizon only 2d - 10m of the week have been seen: the mean divides by those
     * 2870 minutes. */
    r = rollup_at(2 * DAY_MS, DAY_MS, 64, B + 10 * MIN_MS);
    for (int i = 0; i < 287; i++) {
        put_ok(r, 1000 + (uint64_t)i, B - 2 * DAY_MS + 15 * MIN_MS + i * 10 * MIN_MS,
               KEYS("country:DE"), NULL);
    }
    put_ok(r, 1, B + 2 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, 2, B + 3 * MIN_MS, KEYS("country:DE"), NULL);
    settle(r, seal, B + 10 * MIN_MS);
    rows = all_rows(r, LIA_DIM_COUNTRY, B, B + 10 * MIN_MS, NULL, &n);
    assert_int_equal(n, 1);
    assert_close(rows[0].mean_per_minute, 287.0 / 2870.0);
    assert_close(rows[0].expected, 1.0);
    assert_close(rows[0].ratio, 2.0);
    assert_close(rows[0].excess, 1.0);
    free(rows);
    lia_rollup_free(r);
}

static void test_seven_day_mean(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seal_modes); i++) {
        check_seven_day_mean(seal_modes[i]);
    }
}

static void test_update_moves_ticket(void **state)
{
    (void)state;
    struct lia_rollup *r = rollup_std(B + 3 * HOUR_MS);
    const int64_t h1 = B;
    const int64_t h1_end = B + HOUR_MS;
    put_ok(r, 1, B + MIN_MS, KEYS("country:DE", "platform:ios"), "a");
    uint64_t v = lia_rollup_version(r);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", h1, h1_end, NULL), 1);

    /* Same minute, other buckets; the minute was sealed in between (advances that do not move
     * the clock seal the minutes before it, so several steps below change sealed minutes). */
    lia_rollup_advance(r, B + 3 * HOUR_MS);
    put_ok(r, 1, B + MIN_MS + 5 * SEC_MS, KEYS("country:FR", "platform:ios"), "a");
    assert_true(lia_rollup_version(r) > v);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", h1, h1_end, NULL), 0);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:FR", h1, h1_end, NULL), 1);
    assert_int_equal(count_of(r, LIA_DIM_PLATFORM, "platform:ios", h1, h1_end, NULL), 1);

    /* Repeating it exactly changes nothing. */
    v = lia_rollup_version(r);
    put_ok(r, 1, B + MIN_MS + 5 * SEC_MS, KEYS("platform:ios", "country:FR"), "a");
    assert_int_equal(lia_rollup_version(r), v);

    /* Another minute and hour, other buckets and account. */
    lia_rollup_advance(r, B + 3 * HOUR_MS);
    put_ok(r, 1, B + 2 * HOUR_MS + MIN_MS, KEYS("country:FR", "platform:android"), "b");
    assert_true(lia_rollup_version(r) > v);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:FR", h1, h1_end, NULL), 0);
    assert_int_equal(count_of(r, LIA_DIM_PLATFORM, "platform:ios", h1, h1_end, NULL), 0);
    assert_int_equal(
        count_of(r, LIA_DIM_COUNTRY, "country:FR", B + 2 * HOUR_MS, B + 3 * HOUR_MS, NULL), 1);
    assert_int_equal(count_of(r, LIA_DIM_PLATFORM, "platform:android", B, B + 3 * HOUR_MS, NULL),
                     1);
    assert_int_equal(count_of(r, LIA_DIM_PLATFORM, "platform:ios", B, B + 3 * HOUR_MS, NULL), 0);
    size_t n = 0;
    struct lia_series_point *pts =
        lia_rollup_series(r, "country:FR", B, B + 3 * HOUR_MS, HOUR_MS, NULL, &n);
    assert_int_equal(n, 3);
    assert_int_equal(pts[0].count, 0);
    assert_int_equal(pts[1].count, 0);
    assert_int_equal(pts[2].count, 1);
    free(pts);

    /* Back into a minute shared with another ticket, then that one moves out: the swap inside
     * the minute keeps both findable. */
    put_ok(r, 2, B + MIN_MS, KEYS("country:DE"), "c");
    put_ok(r, 3, B + MIN_MS, KEYS("country:AT"), "c");
    put_ok(r, 1, B + MIN_MS + 1, KEYS("country:FR", "platform:ios"), "a");
    lia_rollup_advance(r, B + 3 * HOUR_MS);
    put_ok(r, 2, B + 30 * MIN_MS, KEYS("country:DE"), "c");
    put_ok(r, 3, B + MIN_MS, KEYS("country:CH"), "c");
    put_ok(r, 1, B + MIN_MS + 2, KEYS("country:FR", "platform:web"), "a");
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:FR", B, B + 2 * MIN_MS, NULL), 1);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:CH", B, B + 2 * MIN_MS, NULL), 1);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:AT", B, B + 2 * MIN_MS, NULL), 0);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", B, B + 2 * MIN_MS, NULL), 0);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", B, B + HOUR_MS, NULL), 1);
    assert_int_equal(count_of(r, LIA_DIM_PLATFORM, "platform:web", B, B + 3 * HOUR_MS, NULL), 1);
    assert_int_equal(count_of(r, LIA_DIM_PLATFORM, "platform:android", B, B + 3 * HOUR_MS, NULL),
                     0);

    /* Key lists that outgrow their room in the minute's pool, often enough to compact the pool
     * several times, with a trim in between. */
    static const char *const six[] = {"country:DE",   "feature_flag:x", "feature_flag:y",
                                      "platform:ios", "tier:gold",      "region:DE-BE"};
    for (size_t g = 1; g <= ARRAY_LEN(six); g++) {
        for (uint64_t t = 0; t < 40; t++) {
            put_ok(r, 10 + t, B + 10 * MIN_MS + (int64_t)t, six, g, NULL);
        }
        if (g == 3) {
            lia_rollup_advance(r, B + 3 * HOUR_MS + MIN_MS);
        }
    }
    for (uint64_t t = 0; t < 40; t += 2) {
        put_ok(r, 10 + t, B + 10 * MIN_MS + (int64_t)t, six, 1, NULL);
    }
    const int64_t all = B + 3 * HOUR_MS;
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", B, B + HOUR_MS, NULL), 41);
    assert_int_equal(count_of(r, LIA_DIM_FEATURE_FLAG, "feature_flag:x", B, all, NULL), 20);
    assert_int_equal(count_of(r, LIA_DIM_REGION, "region:DE-BE", B, all, NULL), 20);
    assert_int_equal(count_of(r, LIA_DIM_TIER, "tier:gold", B, all, NULL), 20);
    assert_int_equal(count_of(r, LIA_DIM_PLATFORM, "platform:ios", B, all, NULL), 20);
    /* A key given twice counts once. */
    put_ok(r, 10, B + 10 * MIN_MS,
           KEYS("country:DE", "feature_flag:x", "feature_flag:y", "feature_flag:y"), NULL);
    assert_int_equal(count_of(r, LIA_DIM_FEATURE_FLAG, "feature_flag:y", B, all, NULL), 21);
    assert_int_equal(count_of(r, LIA_DIM_PLATFORM, "platform:ios", B, all, NULL), 20);
    assert_int_equal(count_of(r, LIA_DIM_PLATFORM, "platform:web", B, all, NULL), 1);
    lia_rollup_free(r);
}

static void test_expiry(void **state)
{
    (void)state;
    struct lia_rollup *r = rollup_at(DAY_MS, HOUR_MS, 64, B + 30 * SEC_MS);
    const int64_t all_from = B - 2 * DAY_MS;
    const int64_t all_to = B + HOUR_MS;
    assert_false(lia_rollup_put(r, 9, B - DAY_MS + 10 * SEC_MS, KEYS("country:DE"), NULL));
    put_ok(r, 1, B - DAY_MS + 40 * SEC_MS, KEYS("country:DE"), NULL);
    put_ok(r, 3, B - DAY_MS + 59 * SEC_MS, KEYS("country:DE"), NULL);
    put_ok(r, 2, B - HOUR_MS, KEYS("country:DE"), NULL);
    for (uint64_t i = 0; i < 2000; i++) {
        put_ok(r, 100 + i, B - DAY_MS + MIN_MS + (int64_t)i * 600, KEYS("country:FR"), NULL);
    }
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", all_from, all_to, NULL), 3);
    /* lia_rollup_has knows what is recorded, and nothing else. */
    assert_true(lia_rollup_has(r, 1));
    assert_true(lia_rollup_has(r, 2099));
    assert_false(lia_rollup_has(r, 9));
    assert_false(lia_rollup_has(r, 2100));

    /* The first minute stays until it lies wholly before now - horizon. */
    uint64_t v = lia_rollup_version(r);
    lia_rollup_advance(r, B + 50 * SEC_MS);
    assert_int_equal(lia_rollup_version(r), v);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", all_from, all_to, NULL), 3);
    size_t before = lia_rollup_memory(r);
    lia_rollup_advance(r, B + 60 * SEC_MS);
    assert_true(lia_rollup_version(r) > v);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", all_from, all_to, NULL), 1);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:FR", all_from, all_to, NULL), 2000);
    assert_true(lia_rollup_memory(r) < before);
    assert_false(lia_rollup_has(r, 1));
    assert_false(lia_rollup_has(r, 3));
    assert_true(lia_rollup_has(r, 2));

    /* An expired id is free again. */
    put_ok(r, 1, B, KEYS("country:DE"), NULL);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", all_from, all_to, NULL), 2);

    /* Backwards is a no-op. */
    v = lia_rollup_version(r);
    lia_rollup_advance(r, B);
    assert_int_equal(lia_rollup_version(r), v);
    assert_false(lia_rollup_put(r, 10, B - DAY_MS + 30 * SEC_MS, KEYS("country:DE"), NULL));

    /* Half the FR tickets expire with ten more minutes. */
    lia_rollup_advance(r, B + 11 * MIN_MS);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:FR", all_from, all_to, NULL), 1000);
    size_t n = 0;
    /* FR's minutes 1..10 are gone; 11..20 remain, 100 tickets each. */
    struct lia_series_point *pts = lia_rollup_series(
        r, "country:FR", B - DAY_MS, B - DAY_MS + 25 * MIN_MS, 5 * MIN_MS, NULL, &n);
    static const int64_t fives[] = {0, 0, 400, 500, 100};
    assert_int_equal(n, ARRAY_LEN(fives));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].count, fives[i]);
    }
    free(pts);

    /* A jump past everything empties it. */
    before = lia_rollup_memory(r);
    lia_rollup_advance(r, B + 10 * DAY_MS);
    assert_null(all_rows(r, LIA_DIM_COUNTRY, all_from, B + 11 * DAY_MS, NULL, &n));
    assert_int_equal(n, 0);
    assert_true(lia_rollup_memory(r) < before);
    put_ok(r, 1, B + 10 * DAY_MS, KEYS("country:DE"), NULL);
    assert_int_equal(
        count_of(r, LIA_DIM_COUNTRY, "country:DE", B + 9 * DAY_MS, B + 11 * DAY_MS, NULL), 1);
    lia_rollup_free(r);
}

static void test_accepted_range(void **state)
{
    (void)state;
    struct lia_rollup_opts opts = {
        .horizon_ms = 8 * DAY_MS, .future_ms = DAY_MS, .exact_accounts_max = 64};
    struct lia_rollup *r = lia_rollup_new(&opts);
    /* No clock yet. */
    assert_false(lia_rollup_put(r, 1, B, KEYS("country:DE"), NULL));
    assert_int_equal(lia_rollup_version(r), 0);
    lia_rollup_advance(r, B);
    assert_false(lia_rollup_put(r, 1, B - 8 * DAY_MS - 1, KEYS("country:DE"), NULL));
    put_ok(r, 2, B - 8 * DAY_MS, KEYS("country:DE"), NULL);
    put_ok(r, 3, B + DAY_MS - 1, KEYS("country:DE"), NULL);
    assert_false(lia_rollup_put(r, 4, B + DAY_MS, KEYS("country:DE"), NULL));
    const int64_t from = B - 9 * DAY_MS;
    const int64_t to = B + 2 * DAY_MS;
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", from, to, NULL), 2);

    /* An update out of range removes the ticket. */
    uint64_t v = lia_rollup_version(r);
    assert_false(lia_rollup_put(r, 2, B + 2 * DAY_MS, KEYS("country:DE"), NULL));
    assert_true(lia_rollup_version(r) > v);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", from, to, NULL), 1);

    /* Too many keys: refused, the recorded ticket is left as it was. */
    const char *many[LIA_BUCKET_KEYS_MAX + 1];
    for (size_t i = 0; i < ARRAY_LEN(many); i++) {
        many[i] = "country:FR";
    }
    assert_false(lia_rollup_put(r, 3, B, many, ARRAY_LEN(many), NULL));
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", from, to, NULL), 1);
    put_ok(r, 5, B, many, LIA_BUCKET_KEYS_MAX, NULL);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:FR", from, to, NULL), 1);

    /* Empty, NULL and over-long keys are skipped; keys without a known dimension count in
     * series only. */
    char longkey[LIA_BUCKET_KEY_MAX + 1];
    memset(longkey, 'x', sizeof(longkey) - 1);
    memcpy(longkey, "country:", 8);
    longkey[sizeof(longkey) - 1] = '\0';
    const char *odd[] = {"country:NL", "", NULL, longkey, "nodimension", "bogus:x", ":y"};
    put_ok(r, 6, B, odd, ARRAY_LEN(odd), NULL);
    size_t n = 0;
    struct lia_dimension_value *vals =
        lia_rollup_values(r, LIA_DIM_COUNTRY, B, B + MIN_MS, NULL, &n);
    assert_int_equal(n, 2);
    assert_string_equal(vals[0].key, "country:FR");
    assert_string_equal(vals[1].key, "country:NL");
    free(vals);
    struct lia_series_point *pts =
        lia_rollup_series(r, "bogus:x", B, B + 2 * MIN_MS, MIN_MS, NULL, &n);
    assert_int_equal(n, 2);
    assert_int_equal(pts[0].count, 1);
    assert_int_equal(pts[1].count, 0);
    free(pts);
    const char *fk[] = {"nodimension"};
    struct lia_filter f = {fk, 1};
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:NL", B, B + MIN_MS, &f), 1);
    lia_rollup_free(r);
}

static void check_filters(bool seal)
{
    struct lia_rollup *r = rollup_std(B + HOUR_MS);
    const int64_t from = B;
    const int64_t to = B + 30 * MIN_MS;
    put_ok(r, 1, B + 1 * MIN_MS, KEYS("country:DE", "platform:ios", "feature_flag:a"), "u1");
    put_ok(r, 2, B + 2 * MIN_MS, KEYS("country:DE", "platform:android", "feature_flag:a"), "u2");
    put_ok(r, 3, B + 3 * MIN_MS, KEYS("country:FR", "platform:ios", "feature_flag:b"), "u3");
    put_ok(r, 4, B + 4 * MIN_MS, KEYS("country:DE", "platform:ios", "feature_flag:b"), "u4");
    put_ok(r, 5, B + 5 * MIN_MS,
           KEYS("country:DE", "platform:ios", "feature_flag:a", "feature_flag:b"), "u1");
    put_ok(r, 6, B - 7 * DAY_MS + MIN_MS, KEYS("country:DE", "platform:ios", "feature_flag:a"),
           NULL);
    put_ok(r, 7, B - 7 * DAY_MS + MIN_MS, KEYS("country:DE", "platform:android", "feature_flag:a"),
           NULL);
    put_ok(r, 8, B - DAY_MS, KEYS("country:DE", "platform:ios", "feature_flag:b"), NULL);
    settle(r, seal, B + HOUR_MS);

    const char *de_ios[] = {"country:DE", "platform:ios"};
    struct lia_filter w = {de_ios, 2};
    size_t n = 0;
    struct lia_bucket_stat *rows = all_rows(r, LIA_DIM_FEATURE_FLAG, from, to, &w, &n);
    assert_int_equal(n, 2);
    double expected = 30.0 / WEEK_MINUTES;
    assert_string_equal(rows[0].key, "feature_flag:a");
    assert_int_equal(rows[0].count, 2);
    assert_int_equal(rows[0].week_ago, 1);
    assert_close(rows[0].mean_per_minute, 1.0 / WEEK_MINUTES);
    assert_close(rows[0].expected, expected);
    assert_close(rows[0].excess, 2 - expected);
    assert_int_equal(rows[0].accounts, 1);
    assert_int_equal(rows[0].first_ms, B + 1 * MIN_MS);
    assert_int_equal(rows[0].last_ms, B + 5 * MIN_MS);
    assert_string_equal(rows[1].key, "feature_flag:b");
    assert_int_equal(rows[1].count, 2);
    assert_int_equal(rows[1].week_ago, 0);
    assert_close(rows[1].mean_per_minute, 1.0 / WEEK_MINUTES);
    assert_int_equal(rows[1].accounts, 2);
    assert_int_equal(rows[1].first_ms, B + 4 * MIN_MS);
    free(rows);

    const char *ios[] = {"platform:ios", "platform:ios"};
    struct lia_filter w_ios = {ios, 2};
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", from, to, &w_ios), 3);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:FR", from, to, &w_ios), 1);

    /* A key of the queried dimension narrows to that value. */
    const char *de[] = {"country:DE"};
    struct lia_filter w_de = {de, 1};
    rows = all_rows(r, LIA_DIM_COUNTRY, from, to, &w_de, &n);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].key, "country:DE");
    assert_int_equal(rows[0].count, 4);
    assert_int_equal(rows[0].week_ago, 2);
    assert_int_equal(rows[0].accounts, 3);
    free(rows);

    /* Nothing carries both countries; unknown keys match nothing. */
    const char *both[] = {"country:DE", "country:FR"};
    struct lia_filter w_both = {both, 2};
    assert_null(all_rows(r, LIA_DIM_COUNTRY, from, to, &w_both, &n));
    assert_int_equal(n, 0);
    const char *unknown[] = {"platform:ios", "country:XX"};
    struct lia_filter w_unknown = {unknown, 2};
    assert_null(all_rows(r, LIA_DIM_COUNTRY, from, to, &w_unknown, &n));
    assert_null(lia_rollup_values(r, LIA_DIM_COUNTRY, from, to, &w_unknown, &n));
    assert_int_equal(n, 0);
    const char *null_key[] = {NULL};
    struct lia_filter w_null = {null_key, 1};
    assert_null(all_rows(r, LIA_DIM_COUNTRY, from, to, &w_null, &n));

    const char *flag_a[] = {"feature_flag:a"};
    struct lia_filter w_a = {flag_a, 1};
    struct lia_dimension_value *vals = lia_rollup_values(r, LIA_DIM_PLATFORM, from, to, &w_a, &n);
    assert_int_equal(n, 2);
    assert_string_equal(vals[0].key, "platform:ios");
    assert_int_equal(vals[0].count, 2);
    assert_string_equal(vals[1].key, "platform:android");
    assert_int_equal(vals[1].count, 1);
    free(vals);

    /* A series under a filter, and an empty filter that is not NULL. */
    struct lia_series_point *pts =
        lia_rollup_series(r, "feature_flag:a", from, to, 30 * MIN_MS, &w_ios, &n);
    assert_int_equal(n, 1);
    assert_int_equal(pts[0].count, 2);
    assert_close(pts[0].expected, 30.0 / WEEK_MINUTES);
    free(pts);
    pts = lia_rollup_series(r, "feature_flag:a", from, to, 30 * MIN_MS, &w_unknown, &n);
    assert_int_equal(n, 1);
    assert_int_equal(pts[0].count, 0);
    assert_close(pts[0].expected, 0.0);
    free(pts);
    struct lia_filter w_none = {NULL, 0};
    pts = lia_rollup_series(r, "feature_flag:a", from, to, 30 * MIN_MS, &w_none, &n);
    assert_int_equal(n, 1);
    assert_int_equal(pts[0].count, 3);
    assert_close(pts[0].expected, 2.0 * 30.0 / WEEK_MINUTES);
    free(pts);
    lia_rollup_free(r);
}

static void test_filters(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seal_modes); i++) {
        check_filters(seal_modes[i]);
    }
}

static void check_series(bool seal)
{
    struct lia_rollup *r = rollup_std(B + 2 * HOUR_MS);
    uint64_t id = 1;
    for (int i = 0; i < 630; i++) {
        put_ok(r, id++, B - 7 * DAY_MS + i * 16 * MIN_MS, KEYS("country:DE"), NULL);
    }
    static const int64_t at[] = {MIN_MS, 2 * MIN_MS + 30 * SEC_MS, 7 * MIN_MS, 16 * MIN_MS,
                                 61 * MIN_MS};
    for (size_t i = 0; i < ARRAY_LEN(at); i++) {
        put_ok(r, id++, B + at[i], KEYS("country:DE"), NULL);
    }
    settle(r, seal, B + 2 * HOUR_MS);

    size_t n = 0;
    struct lia_series_point *pts =
        lia_rollup_series(r, "country:DE", B + 2 * MIN_MS, B + 17 * MIN_MS, 5 * MIN_MS, NULL, &n);
    static const int64_t five[] = {2, 1, 0, 1};
    assert_int_equal(n, ARRAY_LEN(five));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].t_ms, B + (int64_t)i * 5 * MIN_MS);
        assert_int_equal(pts[i].count, five[i]);
        /* The mean covers [B - 7d, B): the 630 tickets of the week, none of today's. */
        assert_close(pts[i].expected, 630.0 / WEEK_MINUTES * 5);
    }
    free(pts);

    pts = lia_rollup_series(r, "country:DE", B + 30 * MIN_MS, B + 2 * HOUR_MS, HOUR_MS, NULL, &n);
    assert_int_equal(n, 2);
    assert_int_equal(pts[0].t_ms, B);
    assert_int_equal(pts[0].count, 4);
    assert_int_equal(pts[1].t_ms, B + HOUR_MS);
    assert_int_equal(pts[1].count, 1);
    assert_close(pts[0].expected, 630.0 / WEEK_MINUTES * 60);
    free(pts);

    pts = lia_rollup_series(r, "country:DE", B + HOUR_MS, B + 2 * HOUR_MS, DAY_MS, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(pts[0].t_ms, B);
    assert_int_equal(pts[0].count, 5);
    free(pts);

    pts = lia_rollup_series(r, "country:DE", B + 7 * MIN_MS, B + 8 * MIN_MS, 15 * MIN_MS, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(pts[0].t_ms, B);
    assert_int_equal(pts[0].count, 3);
    free(pts);

    pts =
        lia_rollup_series(r, "country:DE", B + 20 * MIN_MS, B + 60 * MIN_MS, 10 * MIN_MS, NULL, &n);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].t_ms, B + 20 * MIN_MS + (int64_t)i * 10 * MIN_MS);
        assert_int_equal(pts[i].count, 0);
    }
    free(pts);

    /* Minute steps over the whole week before B hold the 630 tickets, one every 16 minutes. */
    pts = lia_rollup_series(r, "country:DE", B - 7 * DAY_MS, B, MIN_MS, NULL, &n);
    assert_int_equal(n, WEEK_MINUTES);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].count, i % 16 == 0 ? 1 : 0);
        sum += pts[i].count;
    }
    assert_int_equal(sum, 630);
    free(pts);

    /* Before the horizon: zeros. Unknown key: zeros and no expectation. */
    pts = lia_rollup_series(r, "country:DE", B - 30 * DAY_MS, B - 29 * DAY_MS, HOUR_MS, NULL, &n);
    assert_int_equal(n, 24);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].count, 0);
    }
    free(pts);
    pts = lia_rollup_series(r, "country:XX", B, B + HOUR_MS, 30 * MIN_MS, NULL, &n);
    assert_int_equal(n, 2);
    assert_int_equal(pts[0].count, 0);
    assert_close(pts[1].expected, 0.0);
    free(pts);

    static const int64_t bad_steps[] = {0, -MIN_MS, 30 * SEC_MS, 90 * SEC_MS};
    for (size_t i = 0; i < ARRAY_LEN(bad_steps); i++) {
        n = 7;
        assert_null(lia_rollup_series(r, "country:DE", B, B + HOUR_MS, bad_steps[i], NULL, &n));
        assert_int_equal(n, 0);
    }
    assert_null(lia_rollup_series(r, "country:DE", B, B, MIN_MS, NULL, &n));
    assert_null(lia_rollup_series(
        r, "country:DE", B, B + (LIA_ROLLUP_SERIES_MAX_POINTS + 1) * MIN_MS, MIN_MS, NULL, &n));
    pts = lia_rollup_series(r, "country:DE", B, B + LIA_ROLLUP_SERIES_MAX_POINTS * MIN_MS, MIN_MS,
                            NULL, &n);
    assert_int_equal(n, LIA_ROLLUP_SERIES_MAX_POINTS);
    free(pts);
    /* Extreme times neither overflow nor allocate absurdly. */
    assert_null(lia_rollup_series(r, "country:DE", INT64_MIN, INT64_MAX, DAY_MS, NULL, &n));
    pts = lia_rollup_series(r, "country:DE", INT64_MAX - DAY_MS, INT64_MAX, DAY_MS, NULL, &n);
    assert_null(pts);
    assert_int_equal(n, 0);
    assert_int_equal(count_of(r, LIA_DIM_COUNTRY, "country:DE", INT64_MIN, INT64_MAX, NULL), 635);
    lia_rollup_free(r);
}

static void test_series(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seal_modes); i++) {
        check_series(seal_modes[i]);
    }
}

static void test_accounts_exact(void **state)
{
    (void)state;
    static const struct {
        unsigned exact_max;
        bool estimated;
    } cases[] = {{64, false}, {3, false}, {2, true}, {0, true}};
    for (size_t c = 0; c < 2 * ARRAY_LEN(cases); c++) {
        const bool seal = c >= ARRAY_LEN(cases);
        struct lia_rollup *r =
            rollup_at(8 * DAY_MS, DAY_MS, cases[c % ARRAY_LEN(cases)].exact_max, B + HOUR_MS);
        static const char *const accounts[] = {"a", "a", "b", NULL, "", "c", "b"};
        for (size_t i = 0; i < ARRAY_LEN(accounts); i++) {
            put_ok(r, i + 1, B + (int64_t)i * MIN_MS + 123, KEYS("country:DE"), accounts[i]);
        }
        put_ok(r, 100, B + 5 * MIN_MS, KEYS("country:FR"), NULL);
        settle(r, seal, B + HOUR_MS);
        size_t n = 0;
        struct lia_bucket_stat *rows = all_rows(r, LIA_DIM_COUNTRY, B, B + 10 * MIN_MS, NULL, &n);
        const struct lia_bucket_stat *de = find_row(rows, n, "country:DE");
        const struct lia_bucket_stat *fr = find_row(rows, n, "country:FR");
        assert_non_null(de);
        assert_non_null(fr);
        assert_int_equal(de->count, 7);
        assert_int_equal(de->accounts, 3);
        assert_int_equal(de->accounts_estimated, cases[c % ARRAY_LEN(cases)].estimated);
        assert_int_equal(de->first_ms, B + 123);
        assert_int_equal(de->last_ms, B + 6 * MIN_MS + 123);
        assert_int_equal(fr->accounts, 0);
        assert_false(fr->accounts_estimated);
        assert_int_equal(fr->first_ms, B + 5 * MIN_MS);
        assert_int_equal(fr->last_ms, B + 5 * MIN_MS);
        free(rows);
        /* A window holding only the last of DE's tickets. */
        rows = all_rows(r, LIA_DIM_COUNTRY, B + 6 * MIN_MS, B + 10 * MIN_MS, NULL, &n);
        assert_int_equal(n, 1);
        assert_int_equal(rows[0].accounts, 1);
        assert_int_equal(rows[0].first_ms, B + 6 * MIN_MS + 123);
        free(rows);
        lia_rollup_free(r);
    }
}

static void test_accounts_estimated(void **state)
{
    (void)state;
    struct lia_rollup *r = rollup_std(B);
    char account[32];
    uint64_t id = 1;
    for (int i = 0; i < 50000; i++) {
        snprintf(account, sizeof(account), "acct-%d", i);
        put_ok(r, id++, B + (i % 50) * MIN_MS, KEYS("country:DE"), account);
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(account, sizeof(account), "acct-%d", i * 5);
        put_ok(r, id++, B + (i % 50) * MIN_MS + 1, KEYS("country:DE"), account);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(account, sizeof(account), "acct-%d", i);
        put_ok(r, id++, B + (i % 50) * MIN_MS, KEYS("country:FR"), account);
    }
    for (int i = 0; i < 64; i++) {
        snprintf(account, sizeof(account), "acct-%d", i);
        put_ok(r, id++, B + (i % 50) * MIN_MS, KEYS("country:AT"), account);
        put_ok(r, id++, B + (i % 50) * MIN_MS, KEYS("country:AT"), account);
    }
    /* Half the minutes sealed, half not. */
    lia_rollup_advance(r, B + 25 * MIN_MS);
    size_t n = 0;
    struct lia_bucket_stat *rows = all_rows(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, NULL, &n);
    assert_int_equal(n, 3);
    const struct lia_bucket_stat *de = find_row(rows, n, "country:DE");
    const struct lia_bucket_stat *fr = find_row(rows, n, "country:FR");
    const struct lia_bucket_stat *at = find_row(rows, n, "country:AT");
    assert_non_null(de);
    assert_non_null(fr);
    assert_non_null(at);
    assert_int_equal(de->count, 60000);
    assert_true(de->accounts_estimated);
    assert_in_range(de->accounts, 48500, 51500);
    assert_true(fr->accounts_estimated);
    assert_in_range(fr->accounts, 970, 1030);
    assert_false(at->accounts_estimated);
    assert_int_equal(at->accounts, 64);
    printf("# distinct accounts estimated: 50000 -> %" PRIu64 ", 1000 -> %" PRIu64 "\n",
           de->accounts, fr->accounts);
    free(rows);
    lia_rollup_free(r);

    /* A large exact maximum keeps counting exactly past the first sizes of the set. */
    r = rollup_at(8 * DAY_MS, DAY_MS, 100000, B + HOUR_MS);
    for (int i = 0; i < 5000; i++) {
        snprintf(account, sizeof(account), "acct-%d", i % 2000);
        put_ok(r, (uint64_t)i + 1, B + (i % 50) * MIN_MS, KEYS("country:DE"), account);
    }
    rows = all_rows(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].accounts, 2000);
    assert_false(rows[0].accounts_estimated);
    free(rows);
    lia_rollup_free(r);
}

static void check_values_order(bool seal)
{
    struct lia_rollup *r = rollup_std(B + HOUR_MS);
    static const struct {
        const char *key;
        int n;
    } puts_[] = {{"country:DE", 3}, {"country:FR", 3}, {"country:AT", 1}, {"country:US", 5}};
    uint64_t id = 1;
    for (size_t i = 0; i < ARRAY_LEN(puts_); i++) {
        for (int k = 0; k < puts_[i].n; k++) {
            const char *keys[] = {puts_[i].key, "platform:ios"};
            put_ok(r, id++, B + k * MIN_MS, keys, 2, NULL);
        }
    }
    settle(r, seal, B + HOUR_MS);
    size_t n = 0;
    struct lia_dimension_value *vals =
        lia_rollup_values(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, NULL, &n);
    static const struct {
        const char *key;
        int64_t count;
    } want[] = {{"country:US", 5}, {"country:DE", 3}, {"country:FR", 3}, {"country:AT", 1}};
    assert_int_equal(n, ARRAY_LEN(want));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(vals[i].key, want[i].key);
        assert_int_equal(vals[i].count, want[i].count);
    }
    free(vals);
    /* Minute 2 holds only US, DE and FR. */
    vals = lia_rollup_values(r, LIA_DIM_COUNTRY, B + 2 * MIN_MS, B + 3 * MIN_MS, NULL, &n);
    assert_int_equal(n, 3);
    assert_string_equal(vals[0].key, "country:DE");
    assert_string_equal(vals[1].key, "country:FR");
    assert_string_equal(vals[2].key, "country:US");
    free(vals);
    vals = lia_rollup_values(r, LIA_DIM_PLATFORM, B, B + HOUR_MS, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(vals[0].count, 12);
    free(vals);
    lia_rollup_free(r);
}

static void test_values_order(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seal_modes); i++) {
        check_values_order(seal_modes[i]);
    }
}

static void check_sort_order_and_limits(bool seal)
{
    struct lia_rollup *r = rollup_std(B + HOUR_MS);
    uint64_t id = 1;
    /* US: 630 tickets in the week before -> mean 1/16 per minute -> expected 1 in 16 minutes.
     * ZZ: 1260 -> expected 2. Both exact in binary. */
    for (int i = 0; i < 630; i++) {
        put_ok(r, id++, B - 7 * DAY_MS + i * 16 * MIN_MS, KEYS("country:US"), NULL);
    }
    for (int i = 0; i < 1260; i++) {
        put_ok(r, id++, B - 7 * DAY_MS + i * 8 * MIN_MS, KEYS("country:ZZ"), NULL);
    }
    static const struct {
        const char *key;
        int n;
    } window[] = {{"country:AA", 1},
                  {"country:BR", 2},
                  {"country:US", 3},
                  {"country:AR", 2},
                  {"country:ZZ", 1}};
    for (size_t i = 0; i < ARRAY_LEN(window); i++) {
        for (int k = 0; k < window[i].n; k++) {
            const char *keys[] = {window[i].key};
            put_ok(r, id++, B + k * MIN_MS, keys, 1, NULL);
        }
    }
    settle(r, seal, B + HOUR_MS);
    static const struct {
        const char *key;
        int64_t count;
        double excess;
    } want[] = {{"country:US", 3, 2.0},
                {"country:AR", 2, 2.0},
                {"country:BR", 2, 2.0},
                {"country:AA", 1, 1.0},
                {"country:ZZ", 1, -1.0}};
    static const struct {
        uint64_t min_count;
        size_t limit;
        size_t n;
    } cases[] = {{0, SIZE_MAX, 5}, {1, 5, 5}, {1, 4, 4},  {2, 10, 3},
                 {1, 2, 2},        {0, 1, 1}, {3, 10, 1}, {4, 10, 0}};
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        size_t n = 99;
        struct lia_bucket_stat *rows = lia_rollup_buckets(
            r, LIA_DIM_COUNTRY, B, B + 16 * MIN_MS, NULL, cases[c].min_count, cases[c].limit, &n);
        assert_int_equal(n, cases[c].n);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(rows[i].key, want[i].key);
            assert_int_equal(rows[i].count, want[i].count);
            assert_true(rows[i].excess == want[i].excess);
        }
        if (n == 0) {
            assert_null(rows);
        }
        free(rows);
    }
    lia_rollup_free(r);
}

static void test_sort_order_and_limits(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seal_modes); i++) {
        check_sort_order_and_limits(seal_modes[i]);
    }
}

/* Expects 1 ticket a minute in DE and none elsewhere, and records the window it was asked. */
static double expect_de(void *ctx, const char *key, int64_t from_ms, int64_t to_ms)
{
    int64_t *asked = ctx;
    asked[0] = from_ms;
    asked[1] = to_ms;
    return strcmp(key, "country:DE") == 0 ? (double)(to_ms - from_ms) / MIN_MS : 0.0;
}

/* An expectation from outside orders the rows and fills expected, ratio and excess. */
static void test_outside_expectation(void **state)
{
    (void)state;
    struct lia_rollup_opts opts = {
        .horizon_ms = 8 * DAY_MS, .future_ms = DAY_MS, .exact_accounts_max = 64};
    struct lia_rollup *r = lia_rollup_new(&opts);
    lia_rollup_advance(r, B);
    for (uint64_t i = 0; i < 12; i++) {
        put_ok(r, 100 + i, B + (int64_t)i * SEC_MS, KEYS("country:DE"), NULL);
    }
    for (uint64_t i = 0; i < 5; i++) {
        put_ok(r, 200 + i, B + (int64_t)i * SEC_MS, KEYS("country:FR"), NULL);
    }
    lia_rollup_advance(r, B + 10 * MIN_MS);
    int64_t asked[2] = {0};
    struct lia_expectation ex = {.fn = expect_de, .ctx = asked};
    size_t n = 0;
    struct lia_bucket_stat *rows = lia_rollup_buckets_expected(
        r, LIA_DIM_COUNTRY, B, B + 10 * MIN_MS + 30 * SEC_MS, NULL, 1, 10, &ex, &n);
    assert_int_equal(n, 2);
    /* FR: 5 against nothing; DE: 12 against 10. */
    assert_string_equal(rows[0].key, "country:FR");
    assert_close(rows[0].excess, 5.0);
    assert_string_equal(rows[1].key, "country:DE");
    assert_close(rows[1].expected, 10.0);
    assert_close(rows[1].excess, 2.0);
    assert_close(rows[1].ratio, 1.2);
    assert_close(rows[1].mean_per_minute, 1.0);
    assert_int_equal(asked[0], B);
    assert_int_equal(asked[1], B + 10 * MIN_MS);
    free(rows);
    lia_rollup_free(r);
}

static void test_no_clock_and_bad_filters(void **state)
{
    (void)state;
    lia_rollup_free(NULL);
    struct lia_rollup_opts opts = {
        .horizon_ms = 8 * DAY_MS, .future_ms = DAY_MS, .exact_accounts_max = 64};
    struct lia_rollup *r = lia_rollup_new(&opts);
    size_t n = 7;
    assert_null(all_rows(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, NULL, &n));
    assert_int_equal(n, 0);
    assert_null(lia_rollup_values(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, NULL, &n));
    struct lia_series_point *pts =
        lia_rollup_series(r, "country:DE", B, B + HOUR_MS, HOUR_MS, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(pts[0].count, 0);
    assert_close(pts[0].expected, 0.0);
    free(pts);
    assert_true(lia_rollup_memory(r) > 0);
    assert_int_equal(lia_rollup_version(r), 0);

    lia_rollup_advance(r, B + HOUR_MS);
    put_ok(r, 1, B, KEYS("country:DE", "platform:ios"), NULL);
    struct lia_filter no_keys = {NULL, 1};
    assert_null(all_rows(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, &no_keys, &n));
    const char *empty[] = {""};
    struct lia_filter w_empty = {empty, 1};
    assert_null(all_rows(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, &w_empty, &n));
    /* More distinct keys than a ticket can carry cannot match. */
    char names[LIA_BUCKET_KEYS_MAX + 1][32];
    const char *many[LIA_BUCKET_KEYS_MAX + 1];
    for (size_t i = 0; i < ARRAY_LEN(many); i++) {
        snprintf(names[i], sizeof(names[i]), "feature_flag:f%zu", i);
        many[i] = names[i];
        const char *keys[] = {many[i]};
        put_ok(r, 100 + i, B, keys, 1, NULL);
    }
    struct lia_filter w_many = {many, ARRAY_LEN(many)};
    assert_null(all_rows(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, &w_many, &n));
    struct lia_filter w_most = {many, LIA_BUCKET_KEYS_MAX};
    assert_null(all_rows(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, &w_most, &n));
    assert_int_equal(count_of(r, LIA_DIM_FEATURE_FLAG, "feature_flag:f3", B, B + HOUR_MS, NULL), 1);
    lia_rollup_free(r);
}

/* Few rows among many buckets read the counts by lookups rather than scans; a window in an
 * hour after the clock's moves the week sums forward. */
static void check_sparse_rows_and_future_window(bool seal)
{
    struct lia_rollup *r = rollup_std(B + 10 * MIN_MS);
    uint64_t id = 1;
    char key[32];
    for (int i = 0; i < 400; i++) {
        snprintf(key, sizeof(key), "account_range:R%03d", i);
        const char *keys[] = {key};
        put_ok(r, id++, B - 7 * DAY_MS + 5 * MIN_MS, keys, 1, NULL);
        put_ok(r, id++, B - 3 * HOUR_MS, keys, 1, NULL);
    }
    for (int i = 0; i < 3; i++) {
        put_ok(r, id++, B + MIN_MS + i, KEYS("account_range:R007"), NULL);
    }
    put_ok(r, id++, B + 2 * MIN_MS, KEYS("account_range:R123"), NULL);
    /* For a window at B + 3h: tickets at B + 1m (sealed), B + 2h + 5m (ahead of the clock),
     * and B - 7d + 3h + 30m fall in its mean's week. */
    put_ok(r, id++, B + 2 * HOUR_MS + 5 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, id++, B + MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, id++, B - 7 * DAY_MS + 3 * HOUR_MS + 30 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, id++, B - 7 * DAY_MS + 30 * MIN_MS, KEYS("country:DE"), NULL);
    put_ok(r, id++, B + 3 * HOUR_MS + MIN_MS, KEYS("country:DE"), NULL);
    settle(r, seal, B + 10 * MIN_MS);

    size_t n = 0;
    struct lia_bucket_stat *rows =
        lia_rollup_buckets(r, LIA_DIM_ACCOUNT_RANGE, B, B + 15 * MIN_MS, NULL, 1, 10, &n);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].key, "account_range:R007");
    assert_int_equal(rows[0].count, 3);
    assert_int_equal(rows[0].week_ago, 1);
    assert_close(rows[0].mean_per_minute, 2.0 / WEEK_MINUTES);
    assert_string_equal(rows[1].key, "account_range:R123");
    assert_int_equal(rows[1].count, 1);
    assert_int_equal(rows[1].week_ago, 1);
    assert_close(rows[1].mean_per_minute, 2.0 / WEEK_MINUTES);
    free(rows);

    rows = all_rows(r, LIA_DIM_COUNTRY, B + 3 * HOUR_MS, B + 3 * HOUR_MS + 15 * MIN_MS, NULL, &n);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].count, 1);
    /* Seen so far of [B + 3h - 7d, B + 3h): up to the clock's minute B + 10m. */
    assert_close(rows[0].mean_per_minute, 3.0 / (WEEK_MINUTES - 180 + 11));
    free(rows);
    lia_rollup_free(r);
}

static void test_sparse_rows_and_future_window(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(seal_modes); i++) {
        check_sparse_rows_and_future_window(seal_modes[i]);
    }
}

/* A minute with more tickets than postings can index is read record by record. */
static void test_busy_minute(void **state)
{
    (void)state;
    struct lia_rollup *r = rollup_at(8 * DAY_MS, DAY_MS, 5000, B + MIN_MS + 30 * SEC_MS);
    char account[16];
    for (int i = 0; i < 70000; i++) {
        snprintf(account, sizeof(account), "a%d", i % 1000);
        const char *keys[] = {i % 2 == 0 ? "country:DE" : "country:FR", "platform:ios"};
        put_ok(r, (uint64_t)i + 1, B + MIN_MS + i % 60000, keys, i % 3 == 0 ? 2 : 1, account);
    }
    const char *ios[] = {"platform:ios"};
    struct lia_filter w_ios = {ios, 1};
    for (int pass = 0; pass < 3; pass++) {
        /* Open, then counted while still the current minute, then sealed. */
        if (pass == 1) {
            lia_rollup_advance(r, B + MIN_MS + 40 * SEC_MS);
        } else if (pass == 2) {
            lia_rollup_advance(r, B + 2 * MIN_MS);
        }
        size_t n = 0;
        struct lia_bucket_stat *rows = all_rows(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, NULL, &n);
        assert_int_equal(n, 2);
        assert_int_equal(rows[0].count, 35000);
        assert_int_equal(rows[0].accounts, 500);
        assert_int_equal(rows[1].count, 35000);
        free(rows);
        rows = all_rows(r, LIA_DIM_COUNTRY, B, B + HOUR_MS, &w_ios, &n);
        assert_int_equal(n, 2);
        assert_int_equal(rows[0].count, 11667);
        assert_int_equal(rows[0].accounts, 500);
        assert_int_equal(rows[1].count, 11667);
        free(rows);
        struct lia_series_point *pts =
            lia_rollup_series(r, "platform:ios", B, B + 3 * MIN_MS, MIN_MS, NULL, &n);
        assert_int_equal(n, 3);
        assert_int_equal(pts[1].count, 23334);
        free(pts);
    }
    lia_rollup_free(r);
}

/* ---- brute-force comparison ---- */

static uint64_t xorshift_state;

static uint64_t xorshift(void)
{
    uint64_t x = xorshift_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    xorshift_state = x;
    return x;
}

static int64_t rnd(int64_t n)
{
    return (int64_t)(xorshift() % (uint64_t)n);
}

static const char *const universe[] = {
    "country:DE",     "country:FR",       "country:US",   "country:BR",     "country:JP",
    "platform:ios",   "platform:android", "platform:web", "feature_flag:a", "feature_flag:b",
    "feature_flag:c", "feature_flag:d",   "tier:gold",    "tier:free",      "nodim:z",
};
static const enum lia_dimension universe_dim[] = {
    LIA_DIM_COUNTRY,      LIA_DIM_COUNTRY,      LIA_DIM_COUNTRY,      LIA_DIM_COUNTRY,
    LIA_DIM_COUNTRY,      LIA_DIM_PLATFORM,     LIA_DIM_PLATFORM,     LIA_DIM_PLATFORM,
    LIA_DIM_FEATURE_FLAG, LIA_DIM_FEATURE_FLAG, LIA_DIM_FEATURE_FLAG, LIA_DIM_FEATURE_FLAG,
    LIA_DIM_TIER,         LIA_DIM_TIER,         LIA_DIM_COUNT,
};
#define NKEYS ARRAY_LEN(universe)

struct model_ticket {
    int64_t t;
    uint32_t keys; /* bits into universe */
    int account;   /* -1: none */
    bool alive;
};

struct model {
    int64_t horizon, future, now;
    struct model_ticket *t;
    size_t n;
};

static int64_t mfloor(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static void model_advance(struct model *m, int64_t now)
{
    if (now <= m->now) {
        return;
    }
    m->now = now;
    int64_t lo_min = mfloor(now - m->horizon, MIN_MS);
    for (size_t i = 0; i < m->n; i++) {
        if (m->t[i].alive && mfloor(m->t[i].t, MIN_MS) < lo_min) {
            m->t[i].alive = false;
        }
    }
}

/* Minutes of the mean's week, which ends at minute mean_end, that the model has seen pass. */
static int64_t model_held(const struct model *m, int64_t mean_end)
{
    int64_t lo_min = mfloor(m->now - m->horizon, MIN_MS);
    int64_t newest_min = mfloor(m->now, MIN_MS);
    int64_t a = mean_end - WEEK_MINUTES > lo_min ? mean_end - WEEK_MINUTES : lo_min;
    int64_t b = mean_end < newest_min + 1 ? mean_end : newest_min + 1;
    return b > a ? b - a : 0;
}

static int brute_cmp(const void *pa, const void *pb)
{
    const struct lia_bucket_stat *a = pa;
    const struct lia_bucket_stat *b = pb;
    if (a->excess != b->excess) {
        return a->excess > b->excess ? -1 : 1;
    }
    if (a->count != b->count) {
        return a->count > b->count ? -1 : 1;
    }
    return strcmp(a->key, b->key);
}

/* Rows computed from the model by definition. */
static size_t brute_buckets(const struct model *m, enum lia_dimension dim, int64_t from, int64_t to,
                            uint32_t filter, struct lia_bucket_stat *out)
{
    int64_t fm = mfloor(from, MIN_MS);
    int64_t tm = mfloor(to, MIN_MS);
    int64_t mean_end = mfloor(fm, 60) * 60;
    int64_t held = model_held(m, mean_end);
    size_t n = 0;
    for (size_t k = 0; k < NKEYS; k++) {
        if (universe_dim[k] != dim) {
            continue;
        }
        int64_t cnt = 0;
        int64_t wk = 0;
        int64_t msum = 0;
        int64_t first = INT64_MAX;
        int64_t last = INT64_MIN;
        bool seen[400] = {false};
        uint64_t accounts = 0;
        for (size_t i = 0; i < m->n; i++) {
            const struct model_ticket *t = &m->t[i];
            if (!t->alive || !(t->keys & (UINT32_C(1) << k)) || (t->keys & filter) != filter) {
                continue;
            }
            int64_t mm = mfloor(t->t, MIN_MS);
            if (mm >= fm && mm < tm) {
                cnt++;
                first = t->t < first ? t->t : first;
                last = t->t > last ? t->t : last;
                if (t->account >= 0 && !seen[t->account]) {
                    seen[t->account] = true;
                    accounts++;
                }
            }
            if (mm >= fm - WEEK_MINUTES && mm < tm - WEEK_MINUTES) {
                wk++;
            }
            if (mm >= mean_end - WEEK_MINUTES && mm < mean_end) {
                msum++;
            }
        }
        if (cnt == 0) {
            continue;
        }
        struct lia_bucket_stat *s = &out[n++];
        memset(s, 0, sizeof(*s));
        snprintf(s->key, sizeof(s->key), "%s", universe[k]);
        s->count = cnt;
        s->week_ago = wk;
        s->mean_per_minute = held > 0 ? (double)msum / (double)held : 0.0;
        s->expected = s->mean_per_minute * (double)(tm - fm);
        s->excess = (double)cnt - s->expected;
        s->first_ms = first;
        s->last_ms = last;
        s->accounts = accounts;
    }
    qsort(out, n, sizeof(*out), brute_cmp);
    return n;
}

static void compare_buckets(const struct lia_rollup *r, const struct model *m,
                            enum lia_dimension dim, int64_t from, int64_t to, uint32_t filter)
{
    const char *fkeys[NKEYS];
    size_t nf = 0;
    for (size_t k = 0; k < NKEYS; k++) {
        if (filter & (UINT32_C(1) << k)) {
            fkeys[nf++] = universe[k];
        }
    }
    struct lia_filter w = {fkeys, nf};
    struct lia_bucket_stat want[NKEYS];
    size_t nwant = brute_buckets(m, dim, from, to, filter, want);
    size_t n = 0;
    struct lia_bucket_stat *got = lia_rollup_buckets(r, dim, from, to, &w, 1, SIZE_MAX, &n);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(got[i].key, want[i].key);
        assert_int_equal(got[i].count, want[i].count);
        assert_int_equal(got[i].week_ago, want[i].week_ago);
        assert_close(got[i].mean_per_minute, want[i].mean_per_minute);
        assert_close(got[i].expected, want[i].expected);
        assert_close(got[i].excess, want[i].excess);
        assert_int_equal(got[i].first_ms, want[i].first_ms);
        assert_int_equal(got[i].last_ms, want[i].last_ms);
        assert_int_equal(got[i].accounts, want[i].accounts);
        assert_false(got[i].accounts_estimated);
    }
    free(got);

    struct lia_dimension_value *vals = lia_rollup_values(r, dim, from, to, &w, &n);
    assert_int_equal(n, nwant);
    int64_t total_got = 0;
    int64_t total_want = 0;
    for (size_t i = 0; i < n; i++) {
        total_got += vals[i].count;
        total_want += want[i].count;
        if (i > 0) {
            assert_true(
                vals[i - 1].count > vals[i].count ||
                (vals[i - 1].count == vals[i].count && strcmp(vals[i - 1].key, vals[i].key) < 0));
        }
    }
    assert_int_equal(total_got, total_want);
    free(vals);
}

static void compare_series(const struct lia_rollup *r, const struct model *m, int key, int64_t from,
                           int64_t to, int64_t step, uint32_t filter)
{
    const char *fkeys[NKEYS];
    size_t nf = 0;
    for (size_t k = 0; k < NKEYS; k++) {
        if (filter & (UINT32_C(1) << k)) {
            fkeys[nf++] = universe[k];
        }
    }
    struct lia_filter w = {fkeys, nf};
    size_t n = 0;
    struct lia_series_point *pts = lia_rollup_series(r, universe[key], from, to, step, &w, &n);
    int64_t t0 = mfloor(from, step) * step;
    size_t want_n = (size_t)((to - t0 + step - 1) / step);
    assert_int_equal(n, want_n);
    uint32_t need = filter | (UINT32_C(1) << key);
    int64_t mean_end = mfloor(mfloor(from, MIN_MS), 60) * 60;
    int64_t held = model_held(m, mean_end);
    int64_t msum = 0;
    int64_t *counts = calloc(n, sizeof(*counts));
    for (size_t i = 0; i < m->n; i++) {
        const struct model_ticket *t = &m->t[i];
        if (!t->alive || (t->keys & need) != need) {
            continue;
        }
        int64_t mm = mfloor(t->t, MIN_MS);
        int64_t ms = mm * MIN_MS;
        if (ms >= t0 && ms < t0 + (int64_t)n * step) {
            counts[(ms - t0) / step]++;
        }
        if (mm >= mean_end - WEEK_MINUTES && mm < mean_end) {
            msum++;
        }
    }
    double expected = held > 0 ? (double)msum / (double)held * (double)(step / MIN_MS) : 0.0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].t_ms, t0 + (int64_t)i * step);
        assert_int_equal(pts[i].count, counts[i]);
        assert_close(pts[i].expected, expected);
    }
    free(counts);
    free(pts);
}

static uint32_t random_keys(void)
{
    uint32_t keys = UINT32_C(1) << rnd(5);
    keys |= UINT32_C(1) << (5 + rnd(3));
    for (int f = 0; f < 4; f++) {
        if (rnd(4) == 0) {
            keys |= UINT32_C(1) << (8 + f);
        }
    }
    if (rnd(10) < 7) {
        keys |= UINT32_C(1) << (12 + rnd(2));
    }
    if (rnd(20) == 0) {
        keys |= UINT32_C(1) << 14;
    }
    return keys;
}

static uint32_t random_filter(void)
{
    switch (rnd(4)) {
    case 0:
    case 1:
        return 0;
    case 2:
        return UINT32_C(1) << rnd((int64_t)NKEYS);
    default:
        return UINT32_C(1) << rnd(5) | UINT32_C(1) << (5 + rnd(9));
    }
}

static void check_random_queries(const struct lia_rollup *r, const struct model *m, int rounds)
{
    static const enum lia_dimension dims[] = {LIA_DIM_COUNTRY, LIA_DIM_PLATFORM,
                                              LIA_DIM_FEATURE_FLAG, LIA_DIM_TIER};
    static const int64_t lens[] = {MIN_MS, 15 * MIN_MS, HOUR_MS, 6 * HOUR_MS, DAY_MS, 3 * DAY_MS};
    static const int64_t steps[] = {MIN_MS, 5 * MIN_MS, 15 * MIN_MS, HOUR_MS, 3 * HOUR_MS, DAY_MS};
    for (int q = 0; q < rounds; q++) {
        int64_t len = rnd(3) == 0 ? 1 + rnd(3 * DAY_MS) : lens[rnd((int64_t)ARRAY_LEN(lens))];
        int64_t from = m->now - rnd(9 * DAY_MS) + rnd(2 * HOUR_MS);
        uint32_t filter = random_filter();
        compare_buckets(r, m, dims[rnd((int64_t)ARRAY_LEN(dims))], from, from + len, filter);
        int64_t step = steps[rnd((int64_t)ARRAY_LEN(steps))];
        if (len / step > 3000) {
            len = 3000 * step;
        }
        compare_series(r, m, (int)rnd((int64_t)NKEYS), from, from + len, step, filter);
    }
}

static void test_matches_brute_force(void **state)
{
    (void)state;
    xorshift_state = UINT64_C(0x9e3779b97f4a7c15);
    struct model m = {.horizon = 8 * DAY_MS, .future = DAY_MS, .now = T0 + 10 * DAY_MS};
    enum { NTICKETS = 3000, NOPS = 6000 };
    m.t = calloc(NTICKETS, sizeof(*m.t));
    struct lia_rollup *r = rollup_at(m.horizon, m.future, 1000000, m.now);
    for (int op = 0; op < NOPS; op++) {
        if (rnd(100) < 3) {
            int64_t now = m.now + rnd(8 * HOUR_MS) - HOUR_MS;
            lia_rollup_advance(r, now);
            model_advance(&m, now);
            continue;
        }
        size_t i = m.n < NTICKETS && (m.n == 0 || rnd(4) != 0) ? m.n++ : (size_t)rnd((int64_t)m.n);
        struct model_ticket t = {
            .t = m.now - (int64_t)(8.3 * DAY_MS) + rnd((int64_t)(9.5 * DAY_MS)),
            .keys = random_keys(),
            .account = rnd(5) == 0 ? -1 : (int)rnd(300),
        };
        if (rnd(10) == 0 && m.t[i].alive) {
            t.t = m.t[i].t; /* an update that keeps the time */
        }
        const char *keys[NKEYS];
        size_t nk = 0;
        for (size_t k = 0; k < NKEYS; k++) {
            if (t.keys & (UINT32_C(1) << k)) {
                keys[nk++] = universe[k];
            }
        }
        char account[16];
        snprintf(account, sizeof(account), "acct-%d", t.account);
        t.alive = t.t >= m.now - m.horizon && t.t < m.now + m.future;
        bool got = lia_rollup_put(r, 1000 + i, t.t, keys, nk, t.account >= 0 ? account : NULL);
        assert_int_equal(got, t.alive);
        m.t[i] = t;
        if (op % 1500 == 1499) {
            check_random_queries(r, &m, 40);
        }
    }
    check_random_queries(r, &m, 200);
    /* Everything before the clock sealed. */
    lia_rollup_advance(r, m.now);
    check_random_queries(r, &m, 100);
    /* A jump past a week: the week sums are summed again from the hours. */
    lia_rollup_advance(r, m.now + 7 * DAY_MS + 2 * HOUR_MS);
    model_advance(&m, m.now + 7 * DAY_MS + 2 * HOUR_MS);
    check_random_queries(r, &m, 50);
    for (int op = 0; op < 1000; op++) {
        size_t i = (size_t)rnd((int64_t)m.n);
        struct model_ticket t = {
            .t = m.now - rnd(2 * DAY_MS) + rnd(3 * HOUR_MS),
            .keys = random_keys(),
            .account = (int)rnd(300),
        };
        const char *keys[NKEYS];
        size_t nk = 0;
        for (size_t k = 0; k < NKEYS; k++) {
            if (t.keys & (UINT32_C(1) << k)) {
                keys[nk++] = universe[k];
            }
        }
        char account[16];
        snprintf(account, sizeof(account), "acct-%d", t.account);
        t.alive = true;
        assert_true(lia_rollup_put(r, 1000 + i, t.t, keys, nk, account));
        m.t[i] = t;
        if (op == 500) {
            lia_rollup_advance(r, m.now + MIN_MS);
            model_advance(&m, m.now + MIN_MS);
        }
    }
    check_random_queries(r, &m, 100);
    lia_rollup_free(r);
    free(m.t);
}

/* ---- throughput, printed for the record ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

enum {
    NCOUNTRY = 60,
    NREGION = 200,
    NRANGE = 20000,
    NVERSION = 120,
    NMINOR = 30,
    NFLAG = 40,
    NACCOUNT = 200000
};

struct pool {
    char country[NCOUNTRY][LIA_BUCKET_KEY_MAX];
    char region[NREGION][LIA_BUCKET_KEY_MAX];
    char range[NRANGE][LIA_BUCKET_KEY_MAX];
    char version[NVERSION][LIA_BUCKET_KEY_MAX];
    char minor[NMINOR][LIA_BUCKET_KEY_MAX];
    char flag[NFLAG][LIA_BUCKET_KEY_MAX];
    char account[NACCOUNT][16];
};

static void time_query(const struct lia_rollup *r, const char *what, enum lia_dimension dim,
                       int64_t from, int64_t to, const struct lia_filter *where)
{
    int reps = SANITIZED ? 2 : 20;
    size_t n = 0;
    double t = now_s();
    for (int i = 0; i < reps; i++) {
        free(lia_rollup_buckets(r, dim, from, to, where, 1, 50, &n));
    }
    double dt = (now_s() - t) / reps;
    printf("# buckets %-32s %8.3f ms  (%zu rows)\n", what, dt * 1e3, n);
}

static void test_throughput(void **state)
{
    (void)state;
    static const char *const platforms[] = {"ios", "android", "web"};
    static const char *const platform_keys[] = {"platform:ios", "platform:android", "platform:web"};
    static const char *const tiers[] = {"tier:gold", "tier:silver", "tier:free", "tier:unknown"};
    struct pool *p = malloc(sizeof(*p));
    for (int i = 0; i < NCOUNTRY; i++) {
        snprintf(p->country[i], LIA_BUCKET_KEY_MAX, "country:C%02d", i);
    }
    for (int i = 0; i < NREGION; i++) {
        snprintf(p->region[i], LIA_BUCKET_KEY_MAX, "region:C%02d-R%03d", i % NCOUNTRY, i);
    }
    for (int i = 0; i < NRANGE; i++) {
        snprintf(p->range[i], LIA_BUCKET_KEY_MAX, "account_range:%d00000-%d99999", i + 1, i + 1);
    }
    for (int i = 0; i < NVERSION; i++) {
        snprintf(p->version[i], LIA_BUCKET_KEY_MAX, "app_version:%s 5.%d.%d", platforms[i % 3],
                 i / 30, i % 10);
    }
    for (int i = 0; i < NMINOR; i++) {
        snprintf(p->minor[i], LIA_BUCKET_KEY_MAX, "app_minor:%s 5.%d", platforms[i % 3], i / 3);
    }
    for (int i = 0; i < NFLAG; i++) {
        snprintf(p->flag[i], LIA_BUCKET_KEY_MAX, "feature_flag:flag_%02d", i);
    }
    for (int i = 0; i < NACCOUNT; i++) {
        snprintf(p->account[i], sizeof(p->account[i]), "%d", 100000 + i * 7);
    }
    xorshift_state = UINT64_C(0x2545f4914f6cdd1d);
    const int64_t now = B;
    struct lia_rollup *r = rollup_std(now);
    size_t base = lia_rollup_memory(r);
    const int nputs = SANITIZED ? 200000 : 1000000;
    double t = now_s();
    for (int i = 0; i < nputs; i++) {
        int c = (int)rnd(NCOUNTRY);
        int v = (int)rnd(NVERSION);
        const char *keys[LIA_BUCKET_KEYS_MAX];
        size_t nk = 0;
        keys[nk++] = p->country[c];
        keys[nk++] = p->region[c + NCOUNTRY * rnd(NREGION / NCOUNTRY)];
        keys[nk++] = p->range[rnd(NRANGE)];
        keys[nk++] = tiers[rnd(4)];
        keys[nk++] = platform_keys[v % 3];
        keys[nk++] = p->version[v];
        keys[nk++] = p->minor[v % NMINOR];
        int nflags = (int)rnd(4);
        for (int f = 0; f < nflags; f++) {
            keys[nk++] = p->flag[rnd(NFLAG)];
        }
        if (nflags == 0) {
            keys[nk++] = "feature_flag:none";
        }
        int64_t created = now - rnd(8 * DAY_MS);
        lia_rollup_put(r, (uint64_t)i + 1, created, keys, nk, p->account[rnd(NACCOUNT)]);
    }
    double put_s = now_s() - t;
    size_t mem_open = lia_rollup_memory(r);
    lia_rollup_advance(r, now + 1);
    size_t mem = lia_rollup_memory(r);
    printf("# put: %d tickets in %.3f s = %.0f tickets/s\n", nputs, put_s, nputs / put_s);
    printf("# memory: %.1f MiB after puts, %.1f MiB sealed; %.0f bytes per ticket (all "
           "included, about 9.5 keys each)\n",
           (double)mem_open / 1048576.0, (double)mem / 1048576.0, (double)(mem - base) / nputs);

    const int64_t w = now;
    time_query(r, "country 15m", LIA_DIM_COUNTRY, w - 15 * MIN_MS, w, NULL);
    time_query(r, "account_range 15m", LIA_DIM_ACCOUNT_RANGE, w - 15 * MIN_MS, w, NULL);
    time_query(r, "account_range 1h", LIA_DIM_ACCOUNT_RANGE, w - HOUR_MS, w, NULL);
    time_query(r, "account_range 1d", LIA_DIM_ACCOUNT_RANGE, w - DAY_MS, w, NULL);
    time_query(r, "country 1d", LIA_DIM_COUNTRY, w - DAY_MS, w, NULL);
    time_query(r, "app_version 7d", LIA_DIM_APP_VERSION, w - 7 * DAY_MS, w, NULL);
    const char *fk[] = {"country:C07", "platform:ios"};
    struct lia_filter f = {fk, 2};
    time_query(r, "feature_flag 15m, 2-key filter", LIA_DIM_FEATURE_FLAG, w - 15 * MIN_MS, w, &f);
    time_query(r, "feature_flag 1h, 2-key filter", LIA_DIM_FEATURE_FLAG, w - HOUR_MS, w, &f);

    int reps = SANITIZED ? 2 : 20;
    size_t n = 0;
    t = now_s();
    for (int i = 0; i < reps; i++) {
        free(lia_rollup_series(r, "country:C07", w - DAY_MS, w, MIN_MS, NULL, &n));
    }
    printf("# series 1 day at 1m                 %8.3f ms  (%zu points)\n",
           (now_s() - t) / reps * 1e3, n);
    t = now_s();
    for (int i = 0; i < reps; i++) {
        free(lia_rollup_series(r, "country:C07", w - 7 * DAY_MS, w, HOUR_MS, NULL, &n));
    }
    printf("# series 7 days at 1h                %8.3f ms  (%zu points)\n",
           (now_s() - t) / reps * 1e3, n);
    t = now_s();
    for (int i = 0; i < reps; i++) {
        for (int d = 0; d < LIA_DIM_COUNT; d++) {
            free(lia_rollup_values(r, (enum lia_dimension)d, w - HOUR_MS, w, NULL, &n));
        }
    }
    printf("# values, all dimensions, 1h         %8.3f ms\n", (now_s() - t) / reps * 1e3);

    /* Per bucket: 20,000 fresh buckets with one ticket each, minus what the tickets cost. */
    size_t before = lia_rollup_memory(r);
    for (int i = 0; i < 20000; i++) {
        char key[LIA_BUCKET_KEY_MAX];
        snprintf(key, sizeof(key), "app_version:web 9.%d.%d", i / 100, i % 100);
        const char *keys[] = {key};
        lia_rollup_put(r, (uint64_t)nputs + 1 + (uint64_t)i, now - 3 * HOUR_MS, keys, 1, NULL);
    }
    lia_rollup_advance(r, now + 2);
    printf("# memory per new bucket (with one 1-key ticket): %.0f bytes\n",
           (double)(lia_rollup_memory(r) - before) / 20000.0);
    lia_rollup_free(r);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ticket_id),
        cmocka_unit_test(test_counts_across_minutes_and_hours),
        cmocka_unit_test(test_week_ago),
        cmocka_unit_test(test_seven_day_mean),
        cmocka_unit_test(test_update_moves_ticket),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_accepted_range),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_series),
        cmocka_unit_test(test_accounts_exact),
        cmocka_unit_test(test_accounts_estimated),
        cmocka_unit_test(test_values_order),
        cmocka_unit_test(test_sort_order_and_limits),
        cmocka_unit_test(test_outside_expectation),
        cmocka_unit_test(test_no_clock_and_bad_filters),
        cmocka_unit_test(test_sparse_rows_and_future_window),
        cmocka_unit_test(test_busy_minute),
        cmocka_unit_test(test_matches_brute_force),
        cmocka_unit_test(test_throughput),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
