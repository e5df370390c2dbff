/* SPDX-License-Identifier: MIT */
/* Hotspots end to end against the real daemon and PostgreSQL: a background of varied tickets
 * over the last three hours and, in the last half hour, a clear cause (Android 5.2.1 users in
 * Germany with new-checkout, half of them with a second flag), all through the webhook API;
 * GET /v1/hotspots names that combination first, narrows with where=, honours limit and
 * max_dims, and answers bad parameters with 400 naming them. Then an escalation opened by the
 * cause carries the same hotspots in GET /v1/escalation and in its stored open event.
 *
 * Tickets carry their own creation time: the background lies in the past, and the escalation's
 * burst a few minutes ahead of the wall clock (as in test_escalation), so the detector sees its
 * minutes close without waiting. */
#include "harness.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define MINUTE_MS     INT64_C(60000)
#define BACKGROUND    360 /* tickets over the last 3 hours */
#define CAUSE         40  /* tickets of the cause in the last 30 minutes */
#define POLL_LIMIT_MS 15000

static const char base_yaml[] =
    "sources:\n" H_YAML_GEN_SOURCE H_YAML_REPLAY_AHEAD "tokens:\n" H_YAML_READER;

/* Only countries are watched, with the quiet prior of test_escalation (0.1 tickets a minute),
 * so the burst opens one "unseen" escalation. */
static const char detect_yaml[] = H_YAML_DETECT_COUNTRY;

static const char *const countries[] = {"US", "DE", "FR", "GB", "JP"};
static const char *const platforms[] = {"ios", "android", "web"};
static const char *const versions[] = {"5.2.0", "5.2.1", "5.3.0"};
static const char *const flag_lists[] = {"[]", "[\"new-checkout\"]", "[\"dark-mode\"]"};

struct world {
    struct h_env env; /* first, for h_world_new */
    int seq;
    uint64_t rng;
};

static unsigned pick(struct world *w, unsigned n)
{
    w->rng = w->rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return (unsigned)((w->rng >> 33) % n);
}

static void post(struct world *w, int64_t created_ms, const char *country, const char *platform,
                 const char *version, const char *flags)
{
    char body[640];
    char id[32];
    snprintf(id, sizeof(id), "H-%d", ++w->seq);
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"created_at\":\"%" PRId64 "\",\"customer\":{\"country\":\"%s\","
             "\"account_id\":\"%d\"},\"app\":{\"platform\":\"%s\",\"version\":\"%s\"},"
             "\"feature_flags\":%s}",
             id, created_ms, country, 100000 + w->seq * 37, platform, version, flags);
    struct h_resp r;
    h_post_generic(&w->env, NULL, "gen", H_GEN_SECRET, body, &r);
    h_expect_ack(&r, 202, "stored", false, id, body);
}

/* Varied tickets over the 3 hours before now_ms, and every 10 minutes a pair from the cause's
 * neighbours (Android in Germany with new-checkout, on the other versions), so that the
 * version, not just the platform, is what sets the cause apart. */
static void background(struct world *w, int64_t now_ms)
{
    const int64_t span = 3 * 3600 * INT64_C(1000);
    for (int i = 0; i < BACKGROUND; i++) {
        int64_t at = now_ms - span + i * (span / BACKGROUND);
        post(w, at, countries[pick(w, 5)], platforms[pick(w, 3)], versions[pick(w, 3)],
             flag_lists[pick(w, 3)]);
        if (i % (BACKGROUND / 18) == 0) {
            post(w, at + 1000, "DE", "android", "5.2.0", "[\"new-checkout\"]");
            post(w, at + 2000, "DE", "android", "5.3.0", "[\"new-checkout\"]");
        }
    }
}

/* count tickets of the cause from start_ms on, spread over span_ms. */
static void cause(struct world *w, int64_t start_ms, int64_t span_ms, int count)
{
    for (int i = 0; i < count; i++) {
        post(w, start_ms + i * (span_ms / count), "DE", "android", "5.2.1",
             i % 2 ? "[\"dark-mode\",\"new-checkout\"]" : "[\"new-checkout\"]");
    }
}

static struct world *world_new(void **state, const char *extra_yaml)
{
    struct world *w = h_world_new(state, sizeof(*w), true);
    w->rng = 7;
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), "%s%s", base_yaml, extra_yaml);
    h_serve(&w->env, yaml);
    return w;
}

static int setup_plain(void **state)
{
    world_new(state, "");
    return 0;
}

static int setup_detect(void **state)
{
    world_new(state, detect_yaml);
    return 0;
}

static json_t *get_json(struct world *w, const char *path, long want_status)
{
    struct h_full f;
    if (h_get(&w->env, path, H_READ_TOKEN, NULL, &f) != 0) {
        fail_msg("GET %s: %s", path, f.error);
    }
    if (f.status != want_status) {
        fail_msg("GET %s: %ld, wanted %ld: %s", path, f.status, want_status, f.body);
    }
    json_t *j = h_full_json(&f);
    h_full_fini(&f);
    assert_non_null(j);
    return j;
}

static const char *value(const json_t *h, const char *dim)
{
    return json_string_value(json_object_get(json_object_get(h, "values"), dim));
}

/* Fails, showing the answer, unless the first hotspot of list has the values given in pairs
 * (dimension, value, ..., NULL), and nvalues values in all unless nvalues is 0; a NULL value
 * asks for the dimension's absence. */
static void expect_first(const json_t *answer, const json_t *list, size_t nvalues, ...)
{
    const json_t *h = json_array_get(list, 0);
    bool ok =
        h != NULL && (nvalues == 0 || json_object_size(json_object_get(h, "values")) == nvalues);
    va_list ap;
    va_start(ap, nvalues);
    const char *dim;
    while (ok && (dim = va_arg(ap, const char *)) != NULL) {
        const char *want = va_arg(ap, const char *);
        const char *got = value(h, dim);
        ok = want == NULL ? got == NULL : got != NULL && strcmp(got, want) == 0;
    }
    va_end(ap);
    if (!ok) {
        char *text = json_dumps(answer, JSON_INDENT(1));
        fail_msg("unexpected first hotspot in %s", text);
    }
}

static void test_hotspots_api(void **state)
{
    struct world *w = *state;
    int64_t now_ms = h_unix_s() * 1000;
    background(w, now_ms);
    cause(w, now_ms - 30 * MINUTE_MS, 29 * MINUTE_MS, CAUSE);

    /* The window holds the last hour's tickets once the rollup has counted them all. */
    json_t *j = NULL;
    int64_t until = h_mono_ms() + POLL_LIMIT_MS;
    for (;;) {
        j = get_json(w, "/v1/hotspots?window=1h", 200);
        if (json_integer_value(json_object_get(j, "observed")) >=
            (BACKGROUND + 36) / 3 + CAUSE - 10) {
            break;
        }
        json_decref(j);
        assert_true(h_mono_ms() < until);
        usleep(100 * 1000);
    }
    const json_t *list = json_object_get(j, "hotspots");
    expect_first(j, list, 3, "country", "DE", "app_version", "android 5.2.1", "feature_flag",
                 "new-checkout", (char *)NULL);
    const json_t *h = json_array_get(list, 0);
    /* Every ticket of the cause, those with dark-mode too, and the background's few. */
    assert_true(json_integer_value(json_object_get(h, "observed")) >= CAUSE);
    assert_true(json_integer_value(json_object_get(h, "accounts")) >= CAUSE);
    assert_true(json_real_value(json_object_get(h, "share")) > 0.5);
    assert_true(json_real_value(json_object_get(h, "expected")) < 5);
    /* The reference: the hours before the window (the rollup holds no week of history). */
    const json_t *ref = json_object_get(j, "reference");
    assert_int_equal(json_integer_value(json_object_get(ref, "weeks")), 0);
    assert_true(json_integer_value(json_object_get(ref, "tickets")) > BACKGROUND / 2);
    json_decref(j);

    /* Within Germany the version remains (with the flag, when the few tickets of the version
     * without it are enough to tell). */
    j = get_json(w, "/v1/hotspots?window=1h&where=country:DE", 200);
    expect_first(j, json_object_get(j, "hotspots"), 0, "country", NULL, "app_version",
                 "android 5.2.1", (char *)NULL);
    json_decref(j);

    /* One dimension at a time, one answer. */
    j = get_json(w, "/v1/hotspots?window=1h&max_dims=1&limit=1", 200);
    list = json_object_get(j, "hotspots");
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_object_size(json_object_get(json_array_get(list, 0), "values")), 1);
    json_decref(j);

    struct {
        const char *query;
        const char *param;
    } bad[] = {
        {"window=15x", "window"},    {"window=0m", "window"},    {"window=90s", "window"},
        {"limit=0", "limit"},        {"limit=101", "limit"},     {"limit=x", "limit"},
        {"max_dims=4", "max_dims"},  {"max_dims=0", "max_dims"}, {"where=nope:1", "where"},
        {"where=country:", "where"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "/v1/hotspots?%s", bad[i].query);
        j = get_json(w, path, 400);
        const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
        const char *msg =
            json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        assert_string_equal(code, "bad_request");
        if (msg == NULL || strncmp(msg, bad[i].param, strlen(bad[i].param)) != 0) {
            fail_msg("%s: the message does not name %s: %s", path, bad[i].param, msg);
        }
        json_decref(j);
    }
    struct h_full f;
    assert_int_equal(h_get(&w->env, "/v1/hotspots", NULL, NULL, &f), 0);
    assert_int_equal(f.status, 401);
    h_full_fini(&f);
    /* Bad requests leave the daemon answering. */
    j = get_json(w, "/v1/hotspots", 200);
    json_decref(j);
    w->env.passed = true;
}

static void test_hotspots_in_escalation(void **state)
{
    struct world *w = *state;
    int64_t now_ms = h_unix_s() * 1000;
    int64_t base_ms = (now_ms / MINUTE_MS + 5) * MINUTE_MS;
    background(w, now_ms);
    /* 30 tickets of the cause in one minute against 0.1 expected in DE, then a ticket elsewhere
     * moves the detector's clock past that minute. */
    cause(w, base_ms, 50 * 1000, 30);
    post(w, base_ms + MINUTE_MS, "JP", "web", "5.3.0", "[]");

    json_t *esc = h_wait_escalation(&w->env, H_READ_TOKEN, "unseen", true, POLL_LIMIT_MS);
    const json_t *list = json_object_get(esc, "hotspots");
    assert_true(json_is_array(list));
    assert_true(json_array_size(list) >= 1);
    const json_t *h = json_array_get(list, 0);
    assert_string_equal(value(h, "country"), "DE");
    assert_string_equal(value(h, "app_version"), "android 5.2.1");
    assert_true(json_integer_value(json_object_get(h, "observed")) >= 30);
    char id[64];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(esc, "id")));
    json_decref(esc);

    /* The stored open event carries them, for notifications and the record. */
    h_wait_sql_nonzero(&w->env, POLL_LIMIT_MS,
                       "SELECT count(*) FROM escalation_events WHERE escalation_id = $1 AND kind ="
                       " 'open'",
                       id, (char *)NULL);
    char text[128];
    assert_true(h_sql_text(&w->env, text, sizeof(text),
                           "SELECT body->'escalation'->'hotspots'->0->'values'->>'app_version'"
                           " FROM escalation_events WHERE escalation_id = $1 AND kind = 'open'",
                           id, (char *)NULL));
    assert_string_equal(text, "android 5.2.1");
    w->env.passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hotspots_api, setup_plain, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_hotspots_in_escalation, setup_detect, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
