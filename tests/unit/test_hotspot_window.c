/* SPDX-License-Identifier: MIT */
/* Hotspots of a rollup window on a hand-built rollup: a background of varied tickets over the
 * hours before the window and the same minutes a week before, with a cause injected into the
 * window whose answer is known; tickets with several flags; the reference's parts; a filter;
 * noise only; the escalation window; and the record scan the module reads the rollup with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hotspot_window.h"
#include "rollup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE INT64_C(60000)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)
#define WEEK   (7 * DAY)
/* 2026-11-23T10:00:00Z: the end of the window. */
#define T0 INT64_C(1795428000000)

static const char *const countries[] = {"US", "DE", "FR", "GB", "JP"};
static const char *const regions[] = {"amer", "emea", "emea", "emea", "apac"};
static const char *const platforms[] = {"ios", "android", "web"};
static const char *const versions[] = {"5.2.0", "5.2.1", "5.3.0"};
static const char *const flags[] = {"none", "new-checkout", "dark-mode"};

struct world {
    struct lia_rollup *r;
    uint64_t seq;
    uint64_t rng;
};

static unsigned pick(struct world *w, unsigned n)
{
    w->rng = w->rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (unsigned)((w->rng >> 33) % n);
}

/* One ticket: country index c, platform p, version v, flags given by name (NULL: none). */
static void put(struct world *w, int64_t at, unsigned c, unsigned p, unsigned v,
                const char *const *fl, size_t nfl)
{
    char k[8][LIA_BUCKET_KEY_MAX];
    const char *keys[8 + 2];
    size_t n = 0;
    char account[32];
    uint64_t acct = ++w->seq;
    snprintf(account, sizeof(account), "%llu", (unsigned long long)(100000 + acct % 5000));
    snprintf(k[n++], LIA_BUCKET_KEY_MAX, "country:%s", countries[c]);
    snprintf(k[n++], LIA_BUCKET_KEY_MAX, "region:%s", regions[c]);
    snprintf(k[n++], LIA_BUCKET_KEY_MAX, "account_range:%s",
             acct % 2 ? "100000-199999" : "200000-299999");
    snprintf(k[n++], LIA_BUCKET_KEY_MAX, "tier:%s", acct % 7 == 0 ? "premium" : "free");
    snprintf(k[n++], LIA_BUCKET_KEY_MAX, "platform:%s", platforms[p]);
    snprintf(k[n++], LIA_BUCKET_KEY_MAX, "app_version:%s %s", platforms[p], versions[v]);
    snprintf(k[n++], LIA_BUCKET_KEY_MAX, "app_minor:%s 5.%c", platforms[p], versions[v][2]);
    for (size_t i = 0; i < n; i++) {
        keys[i] = k[i];
    }
    char fk[2][LIA_BUCKET_KEY_MAX];
    if (nfl == 0) {
        keys[n++] = "feature_flag:none";
    }
    for (size_t i = 0; i < nfl && i < 2; i++) {
        snprintf(fk[i], LIA_BUCKET_KEY_MAX, "feature_flag:%s", fl[i]);
        keys[n++] = fk[i];
    }
    char id[32];
    snprintf(id, sizeof(id), "T-%llu", (unsigned long long)w->seq);
    assert_true(lia_rollup_put(w->r, lia_rollup_ticket_id("test", id), at, keys, n, account));
}

/* per_minute varied tickets in every minute of [from, to). */
static void background(struct world *w, int64_t from, int64_t to, unsigned per_minute)
{
    for (int64_t m = from; m < to; m += MINUTE) {
        for (unsigned i = 0; i < per_minute; i++) {
            unsigned f = pick(w, 3);
            const char *fl[] = {flags[f]};
            put(w, m + i * (MINUTE / per_minute), pick(w, 5), pick(w, 3), pick(w, 3), fl,
                f == 0 ? 0 : 1);
        }
    }
}

static struct world *world_new(int64_t horizon)
{
    struct world *w = calloc(1, sizeof(*w));
    struct lia_rollup_opts o = {.horizon_ms = horizon, .future_ms = DAY, .exact_accounts_max = 64};
    w->r = lia_rollup_new(&o);
    w->rng = 42;
    lia_rollup_advance(w->r, T0);
    return w;
}

static void world_free(struct world *w)
{
    lia_rollup_free(w->r);
    free(w);
}

/* The background of every test: 20 tickets a minute over the 3 hours before T0 and the same
 * minutes a week before. */
static struct world *busy_world(void)
{
    struct world *w = world_new(8 * DAY);
    background(w, T0 - 3 * HOUR, T0, 20);
    background(w, T0 - WEEK - 3 * HOUR, T0 - WEEK, 20);
    lia_rollup_advance(w->r, T0);
    return w;
}

/* 60 tickets in the window's 30 minutes from Android 5.2.1 in Germany with new-checkout; every
 * other one also has dark-mode. */
static void inject_cause(struct world *w)
{
    for (int i = 0; i < 60; i++) {
        const char *fl[] = {"dark-mode", "new-checkout"};
        put(w, T0 - 30 * MINUTE + i * 30000, 1, 1, 1, i % 2 ? fl : fl + 1, i % 2 ? 2 : 1);
    }
    lia_rollup_advance(w->r, T0);
}

static json_t *search(struct world *w, int64_t window, const struct lia_filter *where)
{
    struct lia_err err;
    json_t *j = lia_hotspot_window_json(w->r, T0 - window, T0, where, NULL, &err);
    if (j == NULL) {
        fail_msg("search failed: %s", err.msg);
    }
    return j;
}

static const char *value(const json_t *h, const char *dim)
{
    return json_string_value(json_object_get(json_object_get(h, "values"), dim));
}

static void test_cause_named_first(void **state)
{
    (void)state;
    struct world *w = busy_world();
    inject_cause(w);
    json_t *j = search(w, 30 * MINUTE, NULL);
    const json_t *list = json_object_get(j, "hotspots");
    assert_true(json_array_size(list) >= 1);
    const json_t *h = json_array_get(list, 0);
    assert_int_equal(json_object_size(json_object_get(h, "values")), 3);
    assert_string_equal(value(h, "country"), "DE");
    assert_string_equal(value(h, "app_version"), "android 5.2.1");
    assert_string_equal(value(h, "feature_flag"), "new-checkout");
    /* All 60 count under new-checkout, with dark-mode or without, plus the few of the
     * background. */
    json_int_t observed = json_integer_value(json_object_get(h, "observed"));
    assert_true(observed >= 60 && observed < 75);
    assert_true(json_real_value(json_object_get(h, "expected")) < 10);
    assert_true(json_real_value(json_object_get(h, "share")) > 0.7);
    assert_true(json_real_value(json_object_get(h, "score")) > 28);
    assert_true(json_integer_value(json_object_get(h, "accounts")) >= 60);
    /* The window: 30 minutes of 20 tickets, and the cause. */
    assert_int_equal(json_integer_value(json_object_get(j, "observed")), 600 + 60);
    const json_t *ref = json_object_get(j, "reference");
    assert_int_equal(json_integer_value(json_object_get(ref, "weeks")), 1);
    assert_string_equal(json_string_value(json_object_get(ref, "before_from")),
                        "2026-11-23T07:30:00.000Z");
    assert_string_equal(json_string_value(json_object_get(ref, "before_to")),
                        "2026-11-23T09:30:00.000Z");
    /* A week ago 30 minutes, and the 2 hours before the window (4 windows, at least 1 hour). */
    assert_int_equal(json_integer_value(json_object_get(ref, "tickets")), 600 + 2400);
    assert_string_equal(json_string_value(json_object_get(j, "from")), "2026-11-23T09:30:00.000Z");
    json_decref(j);
    world_free(w);
}

/* Without a cause, a window like its reference reports nothing. */
static void test_noise_only(void **state)
{
    (void)state;
    struct world *w = busy_world();
    json_t *j = search(w, 30 * MINUTE, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "hotspots")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "observed")), 600);
    json_decref(j);
    world_free(w);
}

/* Everything doubles in the window (a busy hour), the cause on top: the rise of the whole board
 * is not a hotspot, the cause still is. */
static void test_cause_under_general_rise(void **state)
{
    (void)state;
    struct world *w = busy_world();
    background(w, T0 - 30 * MINUTE, T0, 20);
    inject_cause(w);
    json_t *j = search(w, 30 * MINUTE, NULL);
    const json_t *list = json_object_get(j, "hotspots");
    assert_int_equal(json_array_size(list), 1);
    const json_t *h = json_array_get(list, 0);
    assert_string_equal(value(h, "country"), "DE");
    assert_string_equal(value(h, "app_version"), "android 5.2.1");
    assert_string_equal(value(h, "feature_flag"), "new-checkout");
    assert_true(json_real_value(json_object_get(j, "scale")) > 1.5);
    json_decref(j);
    world_free(w);
}

/* A filter narrows the window and the reference alike: within Germany the cause is the version
 * and the flag. */
static void test_filter(void **state)
{
    (void)state;
    struct world *w = busy_world();
    inject_cause(w);
    const char *keys[] = {"country:DE"};
    struct lia_filter where = {.keys = keys, .n = 1};
    json_t *j = search(w, 30 * MINUTE, &where);
    const json_t *h = json_array_get(json_object_get(j, "hotspots"), 0);
    assert_non_null(h);
    assert_string_equal(value(h, "app_version"), "android 5.2.1");
    assert_string_equal(value(h, "feature_flag"), "new-checkout");
    assert_true(json_integer_value(json_object_get(j, "observed")) < 300);
    json_decref(j);
    world_free(w);
}

/* Without a week of history the hours before the window are the whole reference; with neither,
 * there is nothing to compare with and nothing is reported. */
static void test_reference_parts(void **state)
{
    (void)state;
    struct world *w = world_new(2 * DAY);
    background(w, T0 - 3 * HOUR, T0, 20);
    inject_cause(w);
    json_t *j = search(w, 30 * MINUTE, NULL);
    const json_t *ref = json_object_get(j, "reference");
    assert_int_equal(json_integer_value(json_object_get(ref, "weeks")), 0);
    assert_int_equal(json_integer_value(json_object_get(ref, "tickets")), 2400);
    const json_t *h = json_array_get(json_object_get(j, "hotspots"), 0);
    assert_non_null(h);
    assert_string_equal(value(h, "app_version"), "android 5.2.1");
    json_decref(j);
    world_free(w);

    w = world_new(8 * DAY);
    inject_cause(w);
    j = search(w, 30 * MINUTE, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "hotspots")), 0);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "reference"), "tickets")), 0);
    json_decref(j);

    /* An empty window. */
    struct lia_err err;
    j = lia_hotspot_window_json(w->r, T0 - 2 * DAY, T0 - DAY, NULL, NULL, &err);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "observed")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "hotspots")), 0);
    json_decref(j);
    world_free(w);
}

static void test_bad_options(void **state)
{
    (void)state;
    struct world *w = busy_world();
    struct lia_hotspot_opts o;
    lia_hotspot_opts_default(&o);
    o.max_dims = 4;
    struct lia_err err;
    assert_null(lia_hotspot_window_json(w->r, T0 - HOUR, T0, NULL, &o, &err));
    assert_int_equal(err.code, LIA_E_BAD_REQUEST);
    assert_string_equal(err.path, "max_dims");
    world_free(w);
}

static void test_escalation_window(void **state)
{
    (void)state;
    int64_t from;
    int64_t to;
    /* Opened at 10:00 and evaluated at 10:00: the 15 minutes before. */
    lia_hotspot_escalation_window(T0, T0 + 1234, &from, &to);
    assert_int_equal(from, T0 - 15 * MINUTE);
    assert_int_equal(to, T0);
    /* Two days later: the last day only. */
    lia_hotspot_escalation_window(T0, T0 + 2 * DAY, &from, &to);
    assert_int_equal(from, T0 + DAY);
    assert_int_equal(to, T0 + 2 * DAY);
    /* A clock behind first_seen still gives a minute. */
    lia_hotspot_escalation_window(T0, T0 - HOUR, &from, &to);
    assert_int_equal(to - from, MINUTE);

    struct world *w = busy_world();
    inject_cause(w);
    json_t *esc = json_pack("{s:s}", "id", "esc-1");
    lia_hotspot_escalation_json(w->r, 3, T0 - 10 * MINUTE, T0, esc);
    const json_t *list = json_object_get(esc, "hotspots");
    assert_true(json_array_size(list) >= 1 && json_array_size(list) <= LIA_HOTSPOT_ESC_LIMIT);
    assert_string_equal(value(json_array_get(list, 0), "feature_flag"), "new-checkout");
    assert_true(json_object_size(json_object_get(json_array_get(list, 0), "values")) > 1);
    assert_null(json_object_get(esc, "hotspots_error"));
    /* hotspots.max_dims 2: pairs at most. */
    lia_hotspot_escalation_json(w->r, 2, T0 - 10 * MINUTE, T0, esc);
    list = json_object_get(esc, "hotspots");
    assert_true(json_array_size(list) >= 1);
    for (size_t i = 0; i < json_array_size(list); i++) {
        assert_true(json_object_size(json_object_get(json_array_get(list, i), "values")) <= 2);
    }
    json_decref(esc);
    world_free(w);
}

struct scan_count {
    size_t n;
    int64_t first, last;
};

static void count_rec(void *ctx, const struct lia_rollup_record *rec)
{
    struct scan_count *c = ctx;
    if (c->n++ == 0) {
        c->first = rec->created_ms;
    }
    assert_true(rec->created_ms >= c->last);
    c->last = rec->created_ms;
    assert_true(rec->account != 0);
    for (unsigned k = 1; k < rec->nkeys; k++) {
        assert_true(rec->keys[k - 1] < rec->keys[k]);
    }
}

/* The rollup's record scan: time order, whole minutes, filters; and its bucket names. */
static void test_rollup_scan(void **state)
{
    (void)state;
    struct world *w = world_new(8 * DAY);
    struct scan_count c = {0};
    lia_rollup_scan(w->r, T0 - HOUR, T0, NULL, count_rec, &c);
    assert_int_equal(c.n, 0);
    background(w, T0 - HOUR, T0, 10);
    lia_rollup_advance(w->r, T0);
    c = (struct scan_count){0};
    lia_rollup_scan(w->r, T0 - HOUR + 30000, T0, NULL, count_rec, &c);
    assert_int_equal(c.n, 600);
    assert_int_equal(c.first, T0 - HOUR);
    const char *keys[] = {"country:DE", "platform:ios"};
    struct lia_filter where = {.keys = keys, .n = 2};
    c = (struct scan_count){0};
    lia_rollup_scan(w->r, T0 - HOUR, T0, &where, count_rec, &c);
    assert_true(c.n > 10 && c.n < 100);
    const char *unknown[] = {"country:XX"};
    struct lia_filter none = {.keys = unknown, .n = 1};
    c = (struct scan_count){0};
    lia_rollup_scan(w->r, T0 - HOUR, T0, &none, count_rec, &c);
    assert_int_equal(c.n, 0);

    assert_true(lia_rollup_nbuckets(w->r) > 10);
    /* The first key of the first ticket. */
    assert_int_equal(strncmp(lia_rollup_bucket_key(w->r, 0), "country:", 8), 0);
    assert_int_equal(lia_rollup_bucket_dim(w->r, 0), LIA_DIM_COUNTRY);
    assert_null(lia_rollup_bucket_key(w->r, lia_rollup_nbuckets(w->r)));
    assert_int_equal(lia_rollup_bucket_dim(w->r, lia_rollup_nbuckets(w->r)), -1);
    assert_int_equal(lia_rollup_oldest_ms(w->r), T0 - 8 * DAY);
    world_free(w);

    struct lia_rollup_opts o = {.horizon_ms = DAY};
    struct lia_rollup *r = lia_rollup_new(&o);
    assert_int_equal(lia_rollup_oldest_ms(r), INT64_MIN);
    lia_rollup_free(r);
}

/* Reference tickets with the same values are read into one row that counts them all: the
 * expectation still weighs every ticket (scale 1: the total is the reference's weight). The
 * background's 600 tickets a week before weigh 0.5 each, its 2400 of the two hours before
 * 0.125; 200 more tickets alike, each with two flags, in the hours before add 25. */
static void test_reference_rows_merged(void **state)
{
    (void)state;
    struct world *w = busy_world();
    for (int i = 0; i < 200; i++) {
        const char *fl[] = {"dark-mode", "new-checkout"};
        put(w, T0 - 140 * MINUTE + i * 30000, 1, 1, 1, fl, 2);
    }
    lia_rollup_advance(w->r, T0);
    struct lia_hotspot_opts o;
    lia_hotspot_opts_default(&o);
    o.scale = 1;
    struct lia_err err;
    json_t *j = lia_hotspot_window_json(w->r, T0 - 30 * MINUTE, T0, NULL, &o, &err);
    assert_non_null(j);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "reference"), "tickets")),
        600 + 2400 + 200);
    assert_float_equal(json_real_value(json_object_get(j, "expected")), 300 + 300 + 25, 1e-9);
    /* The window is the background alone: the 200 make their combination expected, not hot. */
    assert_int_equal(json_array_size(json_object_get(j, "hotspots")), 0);
    json_decref(j);
    world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cause_named_first),        cmocka_unit_test(test_noise_only),
        cmocka_unit_test(test_cause_under_general_rise), cmocka_unit_test(test_filter),
        cmocka_unit_test(test_reference_parts),          cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_escalation_window),        cmocka_unit_test(test_rollup_scan),
        cmocka_unit_test(test_reference_rows_merged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
