/* SPDX-License-Identifier: MIT */
/* Escalations end to end against the real daemon and PostgreSQL: a burst of tickets in one
 * country opens an "unseen" escalation, seen by many concurrent long polls; a monitoring signal
 * that covers the country at a higher severity turns it into covered (the escalation resolves);
 * the signal resolving while tickets stay high makes it "lingering"; an acknowledgement is kept;
 * a restart continues the same escalation without a second "open"; every event is in
 * escalation_events; bad requests get clear errors.
 *
 * The detector runs on the tickets' own time, so the test moves it with tickets created a few
 * minutes ahead of the wall clock (within the day ingestion allows), in a country of their own. */
#include "harness.h"

#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define MINUTE_MS     INT64_C(60000)
#define WAITERS       16
#define WAIT_S        20
#define POLL_LIMIT_MS 15000

/* One country watched, a prior of 6 tickets/hour worth a year (so the baseline is 0.1/minute
 * and the threshold ln(10080 * 0.1 * 0.901) = 6.8), no lateness. */
static const char config_yaml[] =
    "sources:\n" H_YAML_GEN_SOURCE H_YAML_REPLAY_AHEAD
    "tokens:\n" H_YAML_READER H_YAML_WRITER H_YAML_MONITORING "notifications:\n"
    "  ops:\n"
    "    type: webhook\n"
    "    url: http://127.0.0.1:9/nobody-listens\n"
    "    secret: integration-webhook-secret\n"
    "    min_severity: SEV4\n" H_YAML_DETECT_COUNTRY;

static int setup(void **state)
{
    h_detect_new(state, config_yaml);
    return 0;
}

/* Moves the detector's clock to the start of minute m (after base) with a ticket elsewhere. */
static void clock_to_minute(struct h_detect *w, int m)
{
    h_detect_ticket(w, "JP", w->base_ms + m * MINUTE_MS);
}

static json_t *escalation_state(struct h_detect *w)
{
    return h_escalation_state(&w->env, H_READ_TOKEN);
}

static json_t *wait_reason(struct h_detect *w, const char *reason, bool want)
{
    return h_wait_escalation(&w->env, H_READ_TOKEN, reason, want, POLL_LIMIT_MS);
}

static void send_signal(struct h_detect *w, const char *status)
{
    char body[256];
    snprintf(body, sizeof(body), H_SIGNAL_CHECKOUT_DE_FMT, status);
    h_post_signal(&w->env, H_INGEST_TOKEN, body);
}

struct waiter {
    struct h_detect *w;
    long long since;
    long status;
    long long version;
    int64_t waited_ms;
};

static void *long_poll(void *arg)
{
    struct waiter *wt = arg;
    char path[96], auth[96];
    snprintf(path, sizeof(path), "/v1/escalation?wait=%d&since=%lld", WAIT_S, wt->since);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", H_READ_TOKEN);
    struct h_req req = {.path = path, .headers = {auth}};
    struct h_full f;
    int64_t start = h_mono_ms();
    if (h_http_full(&wt->w->env, NULL, &req, &f, (WAIT_S + 10) * 1000L) == 0) {
        wt->status = f.status;
        json_t *j = json_loads(f.body, 0, NULL);
        wt->version = json_integer_value(json_object_get(j, "version"));
        json_decref(j);
    }
    wt->waited_ms = h_mono_ms() - start;
    h_full_fini(&f);
    return NULL;
}

static void test_escalation_lifecycle(void **state)
{
    struct h_detect *w = *state;
    json_t *st = escalation_state(w);
    long long v0 = json_integer_value(json_object_get(st, "version"));
    assert_string_equal(json_string_value(json_object_get(st, "recommended_severity")), "none");
    json_decref(st);

    /* Many long polls wait for the next version. */
    pthread_t threads[WAITERS];
    struct waiter waiters[WAITERS];
    for (int i = 0; i < WAITERS; i++) {
        waiters[i] = (struct waiter){.w = w, .since = v0};
        assert_int_equal(pthread_create(&threads[i], NULL, long_poll, &waiters[i]), 0);
    }
    usleep(300 * 1000);

    /* 12 tickets from 12 accounts in DE in one minute, against 0.1 expected. */
    for (int i = 0; i < 12; i++) {
        h_detect_ticket(w, "DE", w->base_ms + i * 1000);
    }
    clock_to_minute(w, 1);
    json_t *unseen = wait_reason(w, "unseen", true);
    json_t *bucket = json_array_get(json_object_get(unseen, "buckets"), 0);
    assert_string_equal(json_string_value(json_object_get(bucket, "key")), "country:DE");
    assert_int_equal(json_integer_value(json_object_get(unseen, "observed")), 12);
    assert_int_equal(json_integer_value(json_object_get(unseen, "accounts")), 12);
    /* 12 accounts pass the default SEV3 line of 10. */
    assert_string_equal(json_string_value(json_object_get(unseen, "severity")), "SEV3");
    char unseen_id[64];
    snprintf(unseen_id, sizeof(unseen_id), "%s", json_string_value(json_object_get(unseen, "id")));
    json_decref(unseen);

    for (int i = 0; i < WAITERS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(waiters[i].status, 200);
        assert_true(waiters[i].version > v0);
        assert_true(waiters[i].waited_ms < WAIT_S * 1000);
    }

    /* Monitoring catches up: a SEV2 alert on DE covers it, and says more than the tickets do. */
    send_signal(w, "firing");
    for (int i = 0; i < 3; i++) {
        h_detect_ticket(w, "DE", w->base_ms + MINUTE_MS + i * 1000);
    }
    clock_to_minute(w, 2);
    wait_reason(w, "unseen", false);
    st = escalation_state(w);
    assert_int_equal(json_array_size(json_object_get(st, "escalations")), 0);
    json_t *firing = json_object_get(json_object_get(st, "monitoring"), "firing");
    assert_int_equal(json_array_size(firing), 1);
    json_decref(st);

    /* The alert resolves while tickets keep coming: lingering. */
    send_signal(w, "resolved");
    for (int i = 0; i < 3; i++) {
        h_detect_ticket(w, "DE", w->base_ms + 2 * MINUTE_MS + i * 1000);
    }
    clock_to_minute(w, 3);
    json_t *lingering = wait_reason(w, "lingering", true);
    json_t *alert = json_array_get(json_object_get(lingering, "alerts"), 0);
    assert_string_equal(json_string_value(json_object_get(alert, "fingerprint")), "checkout-de");
    char id[64], path[128];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(lingering, "id")));
    json_decref(lingering);

    /* Acknowledge it. */
    snprintf(path, sizeof(path), "/v1/escalations/%s/ack", id);
    struct h_resp r;
    h_send_json(&w->env, NULL, path, H_WRITE_TOKEN,
                "{\"who\":\"ic@example.com\",\"note\":\"rolling back checkout\"}", &r);
    h_expect(&r, 200, NULL, "acknowledging");
    char by[64];
    assert_true(h_resp_str(&r, "/ack/by", by, sizeof(by)));
    assert_string_equal(by, "ic@example.com");

    /* Every change is stored, in order. */
    h_wait_sql_nonzero(&w->env, POLL_LIMIT_MS,
                       "SELECT count(*) FROM escalation_events WHERE kind = 'ack'", NULL);
    char kinds[256];
    h_sql_text(&w->env, kinds, sizeof(kinds),
               "SELECT string_agg(kind || ':' || (body->'escalation'->>'reason'), ',' ORDER BY id)"
               " FROM escalation_events",
               NULL);
    assert_string_equal(kinds, "open:unseen,resolve:unseen,open:lingering,ack:lingering");
    /* Each event a target wants is queued for it in the same transaction (nobody listens on
     * the target's port, so they wait there, or have been given up and logged). */
    assert_int_equal(h_sql_int(&w->env,
                               "SELECT count(*) FROM (SELECT event_id FROM notification_outbox"
                               " UNION ALL SELECT event_id FROM notification_log) n"
                               " JOIN escalation_events e ON e.id = n.event_id"
                               " WHERE e.kind IN ('open', 'resolve')",
                               NULL),
                     3);
    assert_int_equal(h_sql_int(&w->env,
                               "SELECT count(*) FROM escalations WHERE id = $1 AND state"
                               " = 'resolved'",
                               unseen_id, NULL),
                     1);
    assert_int_equal(h_sql_int(&w->env,
                               "SELECT count(*) FROM escalations WHERE id = $1 AND state"
                               " = 'open' AND acked_by = 'ic@example.com'",
                               id, NULL),
                     1);

    /* A restart rebuilds the detector from the stored tickets and continues the escalation:
     * same id, still acknowledged, no second "open". */
    h_stop(&w->env, SIGTERM, 15000);
    h_start(&w->env);
    lingering = wait_reason(w, "lingering", true);
    assert_string_equal(json_string_value(json_object_get(lingering, "id")), id);
    assert_false(json_is_null(json_object_get(lingering, "ack")));
    json_decref(lingering);
    assert_int_equal(
        h_sql_int(&w->env, "SELECT count(*) FROM escalation_events WHERE kind = 'open'", NULL), 2);
    w->env.passed = true;
}

static void test_escalation_errors(void **state)
{
    struct h_detect *w = *state;
    struct {
        const char *method, *path, *token, *body;
        long status;
        const char *code;
    } cases[] = {
        {"GET", "/v1/escalation", NULL, NULL, 401, "unauthorized"},
        {"GET", "/v1/escalation?wait=1000", H_READ_TOKEN, NULL, 400, "bad_request"},
        {"GET", "/v1/escalation?wait=x", H_READ_TOKEN, NULL, 400, "bad_request"},
        {"GET", "/v1/escalation?since=3", H_READ_TOKEN, NULL, 400, "bad_request"},
        {"POST", "/v1/escalations/esc-nope/ack", H_WRITE_TOKEN, "{\"who\":\"x\"}", 404,
         "not_found"},
        {"POST", "/v1/escalations/esc-nope/ack", H_READ_TOKEN, "{\"who\":\"x\"}", 403, "forbidden"},
        {"POST", "/v1/escalations/esc-nope/ack", H_WRITE_TOKEN, "{}", 400, "missing_field"},
        {"POST", "/v1/escalations/esc-nope/ack", H_WRITE_TOKEN, "{\"who\":7}", 400,
         "invalid_field"},
        {"POST", "/v1/escalations/esc-nope/ack", H_WRITE_TOKEN, "[", 400, "malformed_json"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct h_resp r;
        h_send_json(&w->env, cases[i].method, cases[i].path, cases[i].token, cases[i].body, &r);
        h_expect(&r, cases[i].status, cases[i].code, cases[i].path);
    }
    /* A wait that times out answers the unchanged state. */
    struct waiter wt = {.w = w, .since = 1000000};
    char path[96];
    snprintf(path, sizeof(path), "/v1/escalation?wait=1&since=%lld", wt.since);
    struct h_full f;
    char auth[96];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", H_READ_TOKEN);
    struct h_req req = {.path = path, .headers = {auth}};
    int64_t start = h_mono_ms();
    assert_int_equal(h_http_full(&w->env, NULL, &req, &f, 10000), 0);
    assert_int_equal(f.status, 200);
    assert_true(h_mono_ms() - start >= 900);
    h_full_fini(&f);
    w->env.passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_escalation_lifecycle, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_escalation_errors, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
