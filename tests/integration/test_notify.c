/* SPDX-License-Identifier: MIT */
/* Notifications end to end: a receiver started here on 127.0.0.1 plays PagerDuty, a Slack
 * incoming webhook and generic webhooks; escalation events are queued in notification_outbox
 * by SQL, as the detector queues them, and liaisond delivers them. Checked: each body against
 * what lib/notify.c builds for the event, the webhook signature, a 500 retried until it
 * succeeds, a 400 given up, one escalation's events kept in order, rows moved to
 * notification_log, no credential in the log, and rows left in the outbox delivered after a
 * restart. */
#include "harness.h"
#include "receiver.h"

#include "notify.h"
#include "signature.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define ROUTING_KEY   "R0UTINGKEY0123456789ABCDEFGHIJKL"
#define SECRET        "notify-test-webhook-secret"
#define SLACK_TOKEN   "slacktokenpart0123"
#define ESCALATION_ID "esc-20261123-0001"
#define WAIT_MS       20000

static int setup(void **state)
{
    h_env_new(state, true);
    rx_start();
    return 0;
}

static int teardown(void **state)
{
    h_env_teardown(state);
    rx_stop();
    return 0;
}

/* One escalation's event as lia_esc_event_json writes it. */
static json_t *event_json(enum lia_esc_event_kind kind)
{
    struct lia_esc_event ev;
    memset(&ev, 0, sizeof(ev));
    struct lia_escalation *e = &ev.esc;
    ev.kind = kind;
    ev.at_ms = INT64_C(1795428060000);
    ev.from = kind == LIA_ESC_EV_OPEN ? LIA_SEV_NONE : LIA_SEV2;
    ev.to = LIA_SEV2;
    snprintf(e->id, sizeof(e->id), "%s", ESCALATION_ID);
    e->reason = LIA_REASON_UNSEEN;
    e->state = kind == LIA_ESC_EV_RESOLVE ? LIA_ESC_RESOLVED : LIA_ESC_OPEN;
    e->severity = LIA_SEV2;
    e->first_seen_ms = INT64_C(1795427700000);
    e->updated_ms = ev.at_ms;
    e->resolved_ms = kind == LIA_ESC_EV_RESOLVE ? ev.at_ms : 0;
    e->observed = 47;
    e->expected = 6.5;
    e->excess = 40.5;
    e->share = 0.125;
    e->accounts = 37;
    e->premium_accounts = 2;
    snprintf(e->tiers[0].tier, sizeof(e->tiers[0].tier), "enterprise");
    e->tiers[0].accounts = 2;
    e->ntiers = 1;
    snprintf(e->buckets[0].key, sizeof(e->buckets[0].key), "region:emea");
    e->buckets[0].observed = 40;
    e->buckets[0].expected = 5.25;
    e->buckets[0].accounts = 31;
    e->nbuckets = 1;
    e->nbuckets_total = 1;
    return lia_esc_event_json(&ev);
}

static void insert_escalation(struct h_env *env)
{
    json_t *ev = event_json(LIA_ESC_EV_OPEN);
    char *body = json_dumps(json_object_get(ev, "escalation"), JSON_COMPACT);
    /* Stored as resolved: the events below are queued by hand, and an open one would be
     * restored by the detector at start and resolved by it, queuing an event of its own. */
    h_sql_exec(env,
               "INSERT INTO escalations (id, reason, state, severity, first_seen, updated_at, "
               "resolved_at, body) VALUES ($1, 'unseen', 'resolved', 2, now(), now(), now(), "
               "$2::jsonb)",
               ESCALATION_ID, body, NULL);
    free(body);
    json_decref(ev);
}

/* Records the event and queues it for each target (NULL-terminated), as the detector does in
 * one transaction. Returns the event's id. */
static long long queue_event(struct h_env *env, enum lia_esc_event_kind kind, ...)
{
    va_list ap;
    char id[24];
    json_t *ev = event_json(kind);
    char *body = json_dumps(ev, JSON_COMPACT);
    long long event_id =
        h_sql_int(env,
                  "INSERT INTO escalation_events (escalation_id, kind, at, severity_from, "
                  "severity_to, body) VALUES ($1, $2, now(), 2, 2, $3::jsonb) RETURNING id",
                  ESCALATION_ID, lia_esc_event_name(kind), body, NULL);
    snprintf(id, sizeof(id), "%lld", event_id);
    va_start(ap, kind);
    for (const char *t = va_arg(ap, const char *); t != NULL; t = va_arg(ap, const char *)) {
        h_sql_exec(env,
                   "INSERT INTO notification_outbox (target, event_id, escalation_id, body) "
                   "VALUES ($1, $2, $3, $4::jsonb)",
                   t, id, ESCALATION_ID, body, NULL);
    }
    va_end(ap);
    free(body);
    json_decref(ev);
    return event_id;
}

/* Waits until the outbox is empty and the log holds want rows. */
static void wait_delivered(struct h_env *env, long long want)
{
    int64_t until = h_mono_ms() + WAIT_MS;
    for (;;) {
        long long left = h_sql_int(env, "SELECT count(*) FROM notification_outbox", NULL);
        long long done = h_sql_int(env, "SELECT count(*) FROM notification_log", NULL);
        if (left == 0 && done == want) {
            return;
        }
        if (h_mono_ms() > until) {
            fail_msg("after %d ms: %lld rows still in the outbox, %lld logged (want %lld)", WAIT_MS,
                     left, done, want);
        }
        h_sleep_ms(50);
    }
}

/* "outcome attempts status error" of the logged row of target for event_id. */
static void log_row(struct h_env *env, const char *target, long long event_id, char *out,
                    size_t cap)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", event_id);
    if (!h_sql_text(env, out, cap,
                    "SELECT outcome || ' ' || attempts || ' ' || coalesce(last_status::text, "
                    "'-') || ' ' || coalesce(last_error, '-') FROM notification_log "
                    "WHERE target = $1 AND event_id = $2 AND escalation_id = $3",
                    target, id, ESCALATION_ID, NULL)) {
        fail_msg("no log row for %s", target);
    }
}

static void expect_json(const struct rx_record *rec, const json_t *want)
{
    json_t *got = rx_json(rec);
    if (!json_equal(got, want)) {
        char *w = json_dumps(want, JSON_COMPACT);
        fail_msg("%s: body differs\n got: %.*s\nwant: %s", rec->path, (int)rec->body_len, rec->body,
                 w);
    }
    json_decref(got);
}

/* The webhook's headers: its event, the same delivery id on every attempt of one row, and a
 * signature the generic adapter's scheme verifies over the bytes received. */
static void expect_signed(const struct rx_record *rec, const char *kind, const char *delivery)
{
    char ts[32];
    char sig[128];
    char event[32];
    char got_delivery[32];
    char type[64];
    rx_header(rec, "X-Liaison-Timestamp", ts, sizeof(ts));
    rx_header(rec, "X-Liaison-Signature", sig, sizeof(sig));
    rx_header(rec, "X-Liaison-Event", event, sizeof(event));
    rx_header(rec, "X-Liaison-Delivery", got_delivery, sizeof(got_delivery));
    rx_header(rec, "Content-Type", type, sizeof(type));
    assert_string_equal(type, "application/json");
    assert_string_equal(event, kind);
    if (delivery != NULL) {
        assert_string_equal(got_delivery, delivery);
    }
    long long age = h_unix_s() - strtoll(ts, NULL, 10);
    assert_true(age >= 0 && age < 60);
    assert_int_equal(strncmp(sig, "sha256=", 7), 0);
    struct lia_bytes parts[] = {{ts, strlen(ts)}, {".", 1}, {rec->body, rec->body_len}};
    assert_true(lia_hmac_verify(LIA_HMAC_SHA256, SECRET, strlen(SECRET), parts, 3, sig + 7, false));
}

static void test_deliveries(void **state)
{
    struct h_env *env = *state;
    char yaml[2048];
    char url[128];
    char text[512];
    char delivery[32];
    const struct rx_record *recs[RX_RECORDS];
    size_t len;
    char *pd_reply = h_fixture_read("notify/samples/pagerduty-events-v2-response-202.json", &len);

    rx_route("/pd/", pd_reply, 1, 202);
    rx_route("/slack/", "ok", 1, 200);
    rx_route("/hook", "", 2, 500, 200);
    rx_route("/bad", "invalid_payload", 1, 400);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/slack/T0/B0/" SLACK_TOKEN, rx.port);
    setenv("CHAT_URL", url, 1);
    snprintf(yaml, sizeof(yaml),
             "notify:\n"
             "  backoff_min: 100ms\n"
             "  backoff_max: 1s\n"
             "  max_attempts: 3\n"
             "notifications:\n"
             "  pd:\n"
             "    type: pagerduty\n"
             "    url: http://127.0.0.1:%d/pd/v2/enqueue\n"
             "    routing_key: " ROUTING_KEY "\n"
             "  chat:\n"
             "    type: slack\n"
             "    url_env: CHAT_URL\n"
             "  hook:\n"
             "    type: webhook\n"
             "    url: http://127.0.0.1:%d/hook\n"
             "    secret: " SECRET "\n"
             "  bad:\n"
             "    type: webhook\n"
             "    url: http://127.0.0.1:%d/bad\n"
             "    secret: " SECRET "\n",
             rx.port, rx.port, rx.port);
    h_serve(env, yaml);
    insert_escalation(env);
    long long open_id = queue_event(env, LIA_ESC_EV_OPEN, "pd", "chat", "hook", "bad", NULL);
    long long resolve_id = queue_event(env, LIA_ESC_EV_RESOLVE, "hook", NULL);
    wait_delivered(env, 5);

    json_t *open = event_json(LIA_ESC_EV_OPEN);
    json_t *resolve = event_json(LIA_ESC_EV_RESOLVE);
    struct lia_err err;

    /* PagerDuty: one trigger with our routing key, accepted (202). */
    assert_int_equal(rx_find("/pd/", recs, RX_RECORDS), 1);
    assert_string_equal(recs[0]->path, "/pd/v2/enqueue");
    json_t *want = lia_notify_pagerduty_body(open, ROUTING_KEY, &err);
    expect_json(recs[0], want);
    json_decref(want);
    log_row(env, "pd", open_id, text, sizeof(text));
    assert_string_equal(text, "sent 1 202 -");

    /* Slack, at the url from the environment. */
    assert_int_equal(rx_find("/slack/", recs, RX_RECORDS), 1);
    assert_string_equal(recs[0]->path, "/slack/T0/B0/" SLACK_TOKEN);
    want = lia_notify_slack_body(open, &err);
    expect_json(recs[0], want);
    json_decref(want);
    log_row(env, "chat", open_id, text, sizeof(text));
    assert_string_equal(text, "sent 1 200 -");

    /* The webhook answered 500 once: the open was retried, and the resolve of the same
     * escalation waited for it. */
    assert_int_equal(rx_find("/hook", recs, RX_RECORDS), 3);
    assert_int_equal(recs[0]->status, 500);
    rx_header(recs[0], "X-Liaison-Delivery", delivery, sizeof(delivery));
    expect_signed(recs[0], "open", NULL);
    expect_signed(recs[1], "open", delivery);
    expect_signed(recs[2], "resolve", NULL);
    expect_json(recs[0], open);
    expect_json(recs[1], open);
    expect_json(recs[2], resolve);
    log_row(env, "hook", open_id, text, sizeof(text));
    assert_string_equal(text, "sent 2 200 -");
    log_row(env, "hook", resolve_id, text, sizeof(text));
    assert_string_equal(text, "sent 1 200 -");

    /* A 400 would fail again: given up after one attempt, with the answer kept. */
    assert_int_equal(rx_find("/bad", recs, RX_RECORDS), 1);
    log_row(env, "bad", open_id, text, sizeof(text));
    assert_string_equal(text, "failed 1 400 HTTP 400: invalid_payload");

    assert_true(h_log_contains(env, "msg=\"notification given up\""));
    assert_true(h_log_contains(env, "msg=\"notification failed; will retry\""));
    assert_false(h_log_contains(env, SLACK_TOKEN));
    assert_false(h_log_contains(env, ROUTING_KEY));
    assert_false(h_log_contains(env, SECRET));

    json_decref(resolve);
    json_decref(open);
    free(pd_reply);
    unsetenv("CHAT_URL");
    env->passed = true;
}

/* Rows still in the outbox when liaisond stops, one of them already tried, are delivered by the
 * next start, in order. */
static void test_restart_delivers_outbox(void **state)
{
    struct h_env *env = *state;
    char yaml[1024];
    char text[512];
    const struct rx_record *recs[RX_RECORDS];

    rx_route("/hook", "", 1, 503);
    snprintf(yaml, sizeof(yaml),
             "notify:\n"
             "  backoff_min: 100ms\n"
             "  backoff_max: 1s\n"
             "notifications:\n"
             "  hook:\n"
             "    type: webhook\n"
             "    url: http://127.0.0.1:%d/hook\n"
             "    secret: " SECRET "\n",
             rx.port);
    h_serve(env, yaml);
    insert_escalation(env);
    long long open_id = queue_event(env, LIA_ESC_EV_OPEN, "hook", NULL);
    int64_t until = h_mono_ms() + WAIT_MS;
    while (h_sql_int(env, "SELECT coalesce(max(attempts), 0) FROM notification_outbox", NULL) < 2) {
        if (h_mono_ms() > until) {
            fail_msg("the open was not tried twice within %d ms", WAIT_MS);
        }
        h_sleep_ms(50);
    }
    assert_int_equal(WEXITSTATUS(h_stop(env, SIGTERM, 30000)), 0);
    /* A send cut short by the stop is not counted: the row is as it was before it. */
    long long attempts = h_sql_int(env, "SELECT attempts FROM notification_outbox", NULL);

    long long resolve_id = queue_event(env, LIA_ESC_EV_RESOLVE, "hook", NULL);
    size_t tried = rx_find("/hook", recs, RX_RECORDS);
    rx_route("/hook", "", 1, 204);
    h_start(env);
    wait_delivered(env, 2);

    assert_int_equal(rx_find("/hook", recs, RX_RECORDS), tried + 2);
    assert_int_equal(recs[tried]->status, 204);
    expect_signed(recs[tried], "open", NULL);
    expect_signed(recs[tried + 1], "resolve", NULL);
    log_row(env, "hook", open_id, text, sizeof(text));
    char want[64];
    snprintf(want, sizeof(want), "sent %lld 204 -", attempts + 1);
    assert_string_equal(text, want);
    log_row(env, "hook", resolve_id, text, sizeof(text));
    assert_string_equal(text, "sent 1 204 -");
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deliveries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_delivers_outbox, setup, teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
