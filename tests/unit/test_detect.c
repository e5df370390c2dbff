/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/detect.c: the CUSUM's alarm minute on a known sequence, the threshold's
 * growth with the buckets watched, baselines learned by hour of week, the prior that keeps a
 * first ticket quiet, lateness, each divergence reason, the severity ladder and its
 * hysteresis, acknowledgement, the silent rebuild, and determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "detect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MS  INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)
#define WEEK_MS (7 * DAY_MS)
/* 2026-03-16T00:00:00Z, a Monday. */
#define T0 INT64_C(1773619200000)

#define MAX_EVENTS 256

struct recorder {
    struct lia_esc_event events[MAX_EVENTS];
    size_t nevents;
    struct lia_bucket_event buckets[MAX_EVENTS];
    char bucket_keys[MAX_EVENTS][LIA_BUCKET_KEY_MAX];
    size_t nbuckets;
};

static void on_event(void *ctx, const struct lia_esc_event *ev)
{
    struct recorder *r = ctx;
    assert_true(r->nevents < MAX_EVENTS);
    r->events[r->nevents++] = *ev;
}

static void on_bucket(void *ctx, const struct lia_bucket_event *ev)
{
    struct recorder *r = ctx;
    assert_true(r->nbuckets < MAX_EVENTS);
    snprintf(r->bucket_keys[r->nbuckets], LIA_BUCKET_KEY_MAX, "%s", ev->key);
    r->buckets[r->nbuckets] = *ev;
    r->buckets[r->nbuckets].key = r->bucket_keys[r->nbuckets];
    r->nbuckets++;
}

/* A config from YAML text; the detection keys not given keep their defaults. */
static struct lia_config *config(const char *yaml)
{
    struct lia_errlist errs = {0};
    struct lia_config *cfg = lia_config_parse(yaml, strlen(yaml), "test.yaml", &errs);
    if (cfg == NULL) {
        fail_msg("%s", errs.items[0].msg);
    }
    lia_errlist_fini(&errs);
    return cfg;
}

/* A severity ladder on excess alone: SEV3 from E3 tickets, SEV2 from E2 (0: never), no SEV1. */
#define LADDER(E3, E2)                                                                             \
    "severity:\n  sev3:\n    excess: " #E3 "\n    accounts: 0\n    premium_accounts: 0\n"          \
    "    share_percent: 0\n  sev2:\n    excess: " #E2 "\n    accounts: 0\n"                        \
    "    premium_accounts: 0\n    share_percent: 0\n  sev1:\n    excess: 0\n    accounts: 0\n"     \
    "    premium_accounts: 0\n    share_percent: 0\n"

/* One bucket watched (country), a flat prior of 1 ticket/minute worth a year of history, no
 * seasonal learning in the first hour, no lateness, one false alarm a week: h = ln(10080 *
 * (3 - 1 - ln 3)) = 9.114. */
static const char flat_yaml[] = "detection:\n"
                                "  dimensions: country\n"
                                "  prior_per_hour: 60\n"
                                "  prior_weight: 366d\n"
                                "  seasonal_prior_tickets: 0\n"
                                "  lateness: 0\n  warmup: 0\n  threshold_margin: 0\n"
                                "  min_tickets: 5\n";

static void tickets(struct lia_detect *d, int64_t at_ms, const char *country, const char *tier,
                    int n, int account_base)
{
    char ckey[64], tkey[64], account[32];
    snprintf(ckey, sizeof(ckey), "country:%s", country);
    snprintf(tkey, sizeof(tkey), "tier:%s", tier);
    const char *keys[] = {ckey, tkey, "region:emea"};
    for (int i = 0; i < n; i++) {
        snprintf(account, sizeof(account), "%d", account_base + i);
        lia_detect_ticket(d, at_ms + i, keys, 3, account);
    }
}

static void test_cusum_alarm_minute(void **state)
{
    (void)state;
    struct lia_config *cfg = config(flat_yaml);
    struct lia_detect *d = lia_detect_new(cfg);
    struct recorder rec = {0};
    lia_detect_set_sinks(d, on_event, on_bucket, &rec);
    lia_detect_advance(d, T0);
    /* 4 tickets a minute: S grows by 4 ln 3 - 2 = 2.394 per minute and passes 9.114 in the 4th
     * minute (9.577). */
    for (int m = 0; m < 6; m++) {
        tickets(d, T0 + m * MIN_MS, "DE", "free", 4, 1000 * m);
        if (m < 4) {
            lia_detect_advance(d, T0 + (m + 1) * MIN_MS);
            assert_int_equal(rec.nbuckets, m < 3 ? 0 : 1);
        }
    }
    assert_int_equal(rec.nbuckets, 1);
    assert_true(rec.buckets[0].alarm);
    assert_string_equal(rec.buckets[0].key, "country:DE");
    assert_int_equal(rec.buckets[0].at_ms, T0 + 4 * MIN_MS);
    assert_float_equal(rec.buckets[0].threshold, log(10080 * (2 - log(3))), 1e-9);
    assert_int_equal(rec.buckets[0].observed, 16);
    assert_float_equal(rec.buckets[0].expected, 4, 1e-6);
    /* The escalation opened in the same evaluation, unseen: no alert covers. */
    assert_int_equal(rec.nevents, 1);
    assert_int_equal(rec.events[0].kind, LIA_ESC_EV_OPEN);
    assert_int_equal(rec.events[0].esc.reason, LIA_REASON_UNSEEN);
    assert_int_equal(rec.events[0].esc.nbuckets, 1);
    assert_int_equal(rec.events[0].esc.accounts, 16);
    assert_int_equal(lia_detect_severity(d), rec.events[0].esc.severity);

    /* Back to 1 a minute: S falls by 2 - ln 3 = 0.901 a minute from its cap at h and the bucket
     * clears within 11 minutes; the escalation resolves with it. */
    int64_t t = T0 + 6 * MIN_MS;
    for (int m = 0; m < 12; m++, t += MIN_MS) {
        tickets(d, t, "DE", "free", 1, 50000 + m);
    }
    lia_detect_advance(d, t);
    assert_int_equal(rec.nbuckets, 2);
    assert_false(rec.buckets[1].alarm);
    assert_int_equal(rec.events[rec.nevents - 1].kind, LIA_ESC_EV_RESOLVE);
    assert_int_equal(rec.events[rec.nevents - 1].esc.state, LIA_ESC_RESOLVED);
    assert_int_equal(lia_detect_severity(d), LIA_SEV_NONE);
    lia_detect_free(d);
    lia_config_free(cfg);
}

static void test_min_tickets_and_first_ticket(void **state)
{
    (void)state;
    /* The default prior (0.5 tickets/hour): a first ticket, or a few, in a quiet bucket stay
     * quiet. */
    struct lia_config *cfg =
        config("detection:\n  lateness: 0\n  warmup: 0\n  threshold_margin: 0\n");
    struct lia_detect *d = lia_detect_new(cfg);
    struct recorder rec = {0};
    lia_detect_set_sinks(d, on_event, on_bucket, &rec);
    lia_detect_advance(d, T0);
    tickets(d, T0, "FR", "free", 1, 1);
    tickets(d, T0 + 10 * MIN_MS, "FR", "free", 2, 2);
    lia_detect_advance(d, T0 + 2 * HOUR_MS);
    assert_int_equal(rec.nbuckets, 0);
    assert_int_equal(rec.nevents, 0);

    /* A high threshold that would pass on a single minute's tickets still waits for
     * min_tickets. */
    lia_config_free(cfg);
    cfg = config("detection:\n  lateness: 0\n  warmup: 0\n  threshold_margin: 0\n  min_tickets: "
                 "50\n  false_alarms: 1000\n"
                 "  false_alarm_period: 1h\n  dimensions: country\n");
    lia_detect_set_config(d, cfg);
    tickets(d, T0 + 3 * HOUR_MS, "FR", "free", 20, 100);
    lia_detect_advance(d, T0 + 3 * HOUR_MS + 2 * MIN_MS);
    assert_int_equal(rec.nbuckets, 0);
    tickets(d, T0 + 3 * HOUR_MS + 2 * MIN_MS, "FR", "free", 40, 200);
    lia_detect_advance(d, T0 + 3 * HOUR_MS + 4 * MIN_MS);
    /* country:FR, tier:free and region:emea, all watched since before the reload. */
    assert_int_equal(rec.nbuckets, 3);
    lia_detect_free(d);
    lia_config_free(cfg);
}

static void test_threshold_grows_with_buckets(void **state)
{
    (void)state;
    struct lia_config *cfg = config(flat_yaml);
    struct lia_detect *d = lia_detect_new(cfg);
    struct recorder rec = {0};
    lia_detect_set_sinks(d, on_event, on_bucket, &rec);
    lia_detect_advance(d, T0);
    /* 99 more countries watched: h = ln(100 * 10080 * 0.901) = 13.72, so the same rise takes
     * 6 minutes (S = 14.37) instead of 4. */
    char code[3] = "AA";
    for (int i = 0; i < 99; i++) {
        code[0] = (char)('F' + i / 26);
        code[1] = (char)('A' + i % 26);
        tickets(d, T0, code, "free", 1, 900000 + i);
    }
    for (int m = 0; m < 8; m++) {
        tickets(d, T0 + m * MIN_MS, "DE", "free", 4, 1000 * m);
    }
    lia_detect_advance(d, T0 + 8 * MIN_MS);
    assert_int_equal(rec.nbuckets, 1);
    assert_int_equal(rec.buckets[0].at_ms, T0 + 6 * MIN_MS);
    assert_float_equal(rec.buckets[0].threshold, log(100 * 10080 * (2 - log(3))), 1e-9);
    lia_detect_free(d);
    lia_config_free(cfg);
}

static void test_baseline_learns_hour_of_week(void **state)
{
    (void)state;
    struct lia_config *cfg = config(
        "detection:\n  lateness: 0\n  warmup: 0\n  threshold_margin: 0\n  dimensions: country\n");
    struct lia_detect *d = lia_detect_new(cfg);
    struct recorder rec = {0};
    lia_detect_set_sinks(d, on_event, on_bucket, &rec);
    /* Three weeks: 2 tickets a minute from 09:00 to 17:00, none otherwise. */
    for (int64_t t = T0; t < T0 + 3 * WEEK_MS; t += MIN_MS) {
        int hour = (int)((t - T0) / HOUR_MS % 24);
        if (hour >= 9 && hour < 17) {
            tickets(d, t, "DE", "free", 2, (int)((t / MIN_MS) % 100000) * 2);
        }
        lia_detect_advance(d, t);
    }
    /* Steady traffic alarms only in the first two days, while the prior (worth a day of
     * history) still outweighs what was seen. */
    assert_true(rec.nbuckets > 0);
    for (size_t i = 0; i < rec.nbuckets; i++) {
        assert_true(rec.buckets[i].at_ms < T0 + 2 * DAY_MS);
    }
    double day = lia_detect_expected(d, "country:DE", T0 + 3 * WEEK_MS + 10 * HOUR_MS,
                                     T0 + 3 * WEEK_MS + 11 * HOUR_MS);
    double night = lia_detect_expected(d, "country:DE", T0 + 3 * WEEK_MS + 2 * HOUR_MS,
                                       T0 + 3 * WEEK_MS + 3 * HOUR_MS);
    /* Learned: about 120 in a working hour, close to none at night. */
    assert_true(day > 105 && day < 125);
    assert_true(night < 3);
    /* A key never seen gets the prior. */
    assert_float_equal(lia_detect_expected(d, "country:XX", T0, T0 + HOUR_MS), 0.5, 1e-9);
    lia_detect_free(d);
    lia_config_free(cfg);
}

static void test_late_tickets(void **state)
{
    (void)state;
    struct lia_config *cfg = config("detection:\n  lateness: 2m\n");
    struct lia_detect *d = lia_detect_new(cfg);
    lia_detect_advance(d, T0 + 10 * MIN_MS);
    const char *keys[] = {"country:DE"};
    lia_detect_ticket(d, T0 + 9 * MIN_MS, keys, 1, NULL); /* within lateness */
    lia_detect_ticket(d, T0 + 7 * MIN_MS, keys, 1, NULL); /* too late */
    struct lia_detect_stats st;
    lia_detect_stats(d, &st);
    assert_int_equal(st.tickets, 1);
    assert_int_equal(st.late_tickets, 1);
    lia_detect_free(d);
    lia_config_free(cfg);
}

static struct lia_alert alert(const char *fp, enum lia_alert_status status, enum lia_sev sev,
                              int64_t starts, int64_t ends, const char *coverage)
{
    struct lia_alert a = {.status = status, .severity = sev, .starts_ms = starts, .ends_ms = ends};
    snprintf(a.fingerprint, sizeof(a.fingerprint), "%s", fp);
    snprintf(a.name, sizeof(a.name), "Alert%s", fp);
    a.expected_accounts = -1;
    if (coverage != NULL) {
        a.coverage[0].dim = LIA_DIM_REGION;
        snprintf(a.coverage[0].text, sizeof(a.coverage[0].text), "%s", coverage);
        a.ncoverage = 1;
    }
    return a;
}

/* Ten minutes of 6 tickets a minute from new accounts, then the clock past them. */
static void spike(struct lia_detect *d, int64_t from, int minutes, int per_minute)
{
    for (int m = 0; m < minutes; m++) {
        tickets(d, from + m * MIN_MS, "DE", "premium", per_minute,
                (int)(from / MIN_MS % 1000) * 1000 + m * 100);
    }
    lia_detect_advance(d, from + minutes * MIN_MS);
}

/* Nothing alarms before detection.warmup of history: a new installation learns first. */
static void test_warmup(void **state)
{
    (void)state;
    struct lia_config *cfg = config("detection:\n  dimensions: country\n  prior_per_hour: 60\n"
                                    "  prior_weight: 366d\n  seasonal_prior_tickets: 0\n"
                                    "  lateness: 0\n  warmup: 2h\n");
    struct lia_detect *d = lia_detect_new(cfg);
    struct recorder rec = {0};
    lia_detect_set_sinks(d, on_event, on_bucket, &rec);
    lia_detect_advance(d, T0);
    spike(d, T0 + 30 * MIN_MS, 10, 6);
    assert_int_equal(rec.nbuckets, 0);
    json_t *st = lia_detect_state_json(d);
    const char *until =
        json_string_value(json_object_get(json_object_get(st, "detector"), "learning_until"));
    assert_non_null(until);
    assert_string_equal(until, "2026-03-16T02:00:00.000Z");
    json_decref(st);
    /* The same rise after two hours alarms. */
    lia_detect_advance(d, T0 + 3 * HOUR_MS);
    spike(d, T0 + 3 * HOUR_MS, 10, 6);
    assert_true(rec.nbuckets >= 1);
    assert_true(rec.buckets[0].alarm);
    st = lia_detect_state_json(d);
    assert_true(json_is_null(json_object_get(json_object_get(st, "detector"), "learning_until")));
    json_decref(st);
    lia_detect_free(d);
    lia_config_free(cfg);
}

static size_t count_kind(const struct recorder *r, enum lia_esc_event_kind k, enum lia_reason why)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nevents; i++) {
        n += r->events[i].kind == k && r->events[i].esc.reason == why;
    }
    return n;
}

static void test_divergence_reasons(void **state)
{
    (void)state;
    struct lia_config *cfg =
        config("detection:\n  dimensions: country\n  prior_per_hour: 60\n"
               "  prior_weight: 366d\n  seasonal_prior_tickets: 0\n  lateness: 0\n  warmup: 0\n  "
               "threshold_margin: 0\n" LADDER(1000, 0));
    struct lia_detect *d = lia_detect_new(cfg);
    struct recorder rec = {0};
    lia_detect_set_sinks(d, on_event, on_bucket, &rec);
    lia_detect_advance(d, T0);

    /* No alert: unseen. */
    spike(d, T0, 8, 5);
    assert_int_equal(count_kind(&rec, LIA_ESC_EV_OPEN, LIA_REASON_UNSEEN), 1);

    /* An alert on region emea (DE's region) fires at SEV2: covered, and it says more than the
     * tickets do (SEV4), so the unseen escalation resolves and nothing new opens. */
    struct lia_alert a = alert("f1", LIA_ALERT_FIRING, LIA_SEV2, T0 + 8 * MIN_MS, 0, "region:emea");
    lia_detect_alert(d, &a);
    spike(d, T0 + 8 * MIN_MS, 2, 5);
    assert_int_equal(count_kind(&rec, LIA_ESC_EV_RESOLVE, LIA_REASON_UNSEEN), 1);
    assert_int_equal(count_kind(&rec, LIA_ESC_EV_OPEN, LIA_REASON_UNDERSTATED), 0);
    bool covered = false;
    assert_true(lia_detect_alarming(d, "country:DE", &covered));
    assert_true(covered);

    /* The alert resolves while tickets stay high: lingering, naming the alert. */
    a = alert("f1", LIA_ALERT_RESOLVED, LIA_SEV2, T0 + 8 * MIN_MS, T0 + 10 * MIN_MS, "region:emea");
    lia_detect_alert(d, &a);
    spike(d, T0 + 10 * MIN_MS, 2, 5);
    assert_int_equal(count_kind(&rec, LIA_ESC_EV_OPEN, LIA_REASON_LINGERING), 1);
    assert_string_equal(rec.events[rec.nevents - 1].esc.alerts[0].fingerprint, "f1");

    /* An alert covering everything fires at SEV4, but the tickets say SEV3: understated. */
    lia_config_free(cfg);
    cfg = config("detection:\n  dimensions: country\n  prior_per_hour: 60\n"
                 "  prior_weight: 366d\n  seasonal_prior_tickets: 0\n  lateness: 0\n  warmup: 0\n  "
                 "threshold_margin: 0\n" LADDER(10, 0));
    lia_detect_set_config(d, cfg);
    a = alert("f2", LIA_ALERT_FIRING, LIA_SEV4, T0 + 12 * MIN_MS, 0, NULL);
    lia_detect_alert(d, &a);
    spike(d, T0 + 12 * MIN_MS, 2, 5);
    assert_int_equal(count_kind(&rec, LIA_ESC_EV_OPEN, LIA_REASON_UNDERSTATED), 1);
    assert_int_equal(count_kind(&rec, LIA_ESC_EV_RESOLVE, LIA_REASON_LINGERING), 1);
    const struct lia_esc_event *last = &rec.events[rec.nevents - 1];
    assert_int_equal(last->esc.reason, LIA_REASON_UNDERSTATED);
    assert_int_equal(last->esc.severity, LIA_SEV3);
    assert_string_equal(last->esc.alerts[0].fingerprint, "f2");
    assert_int_equal(last->esc.premium_accounts, last->esc.accounts);
    assert_string_equal(last->esc.tiers[0].tier, "premium");
    lia_detect_free(d);
    lia_config_free(cfg);
}

static void test_severity_ladder_and_hysteresis(void **state)
{
    (void)state;
    struct lia_config *cfg = config(
        "detection:\n  dimensions: country\n  prior_per_hour: 60\n  prior_weight: 366d\n"
        "  seasonal_prior_tickets: 0\n  lateness: 0\n  warmup: 0\n  threshold_margin: 0\n" LADDER(
            20, 60) "  up_evaluations: 2\n  down_evaluations: 3\n  cooldown: 5m\n");
    struct lia_detect *d = lia_detect_new(cfg);
    struct recorder rec = {0};
    lia_detect_set_sinks(d, on_event, on_bucket, &rec);
    lia_detect_advance(d, T0);
    /* 6 a minute against 1 expected: S grows by 4.59 a minute and excess by 5. Alarm in minute
     * 1 (S = 9.18 >= 9.11) with excess 10: opens at SEV4. Excess reaches 20 in minute 3 and 25
     * in minute 4: SEV3 after two evaluations, at the end of minute 4. SEV2 needs 60: minutes
     * 11 and 12. */
    int64_t t = T0;
    for (int m = 0; m < 14; m++, t += MIN_MS) {
        tickets(d, t, "DE", "free", 6, m * 10);
        lia_detect_advance(d, t + MIN_MS);
    }
    assert_int_equal(rec.events[0].kind, LIA_ESC_EV_OPEN);
    assert_int_equal(rec.events[0].esc.severity, LIA_SEV4);
    assert_int_equal(rec.events[0].at_ms, T0 + 2 * MIN_MS);
    assert_int_equal(rec.events[1].kind, LIA_ESC_EV_SEVERITY);
    assert_int_equal(rec.events[1].from, LIA_SEV4);
    assert_int_equal(rec.events[1].to, LIA_SEV3);
    assert_int_equal(rec.events[1].at_ms, T0 + 5 * MIN_MS);
    assert_int_equal(rec.events[2].kind, LIA_ESC_EV_SEVERITY);
    assert_int_equal(rec.events[2].to, LIA_SEV2);
    assert_int_equal(rec.events[2].at_ms, T0 + 13 * MIN_MS);
    assert_int_equal(rec.events[2].esc.excess, 65);
    assert_int_equal(rec.nevents, 3);
    assert_int_equal(lia_detect_severity(d), LIA_SEV2);

    /* Acknowledge: an event, and the escalation stays, still acknowledged. */
    const char *id = rec.events[0].esc.id;
    struct lia_err err;
    assert_int_equal(lia_detect_ack(d, id, "ic@example.com", "looking", t, &err), 0);
    assert_int_equal(rec.events[3].kind, LIA_ESC_EV_ACK);
    assert_true(rec.events[3].esc.acked);
    assert_string_equal(rec.events[3].esc.acked_by, "ic@example.com");
    assert_int_equal(lia_detect_ack(d, "esc-nope", "x", "", t, &err), -1);
    assert_int_equal(err.code, LIA_E_NOT_FOUND);
    lia_detect_free(d);
    lia_config_free(cfg);
}

/* The same calls give the same events, byte for byte. */
static char *run_to_text(void)
{
    struct lia_config *cfg = config(flat_yaml);
    struct lia_detect *d = lia_detect_new(cfg);
    struct recorder *rec = calloc(1, sizeof(*rec));
    lia_detect_set_sinks(d, on_event, on_bucket, rec);
    lia_detect_advance(d, T0);
    spike(d, T0, 10, 7);
    spike(d, T0 + 30 * MIN_MS, 3, 1);
    char *all = calloc(1, 1);
    size_t len = 0;
    for (size_t i = 0; i < rec->nevents; i++) {
        json_t *j = lia_esc_event_json(&rec->events[i]);
        char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
        size_t add = strlen(text) + 2;
        all = realloc(all, len + add);
        len += (size_t)snprintf(all + len, add, "%s\n", text);
        free(text);
        json_decref(j);
    }
    free(rec);
    lia_detect_free(d);
    lia_config_free(cfg);
    return all;
}

static void test_deterministic(void **state)
{
    (void)state;
    char *a = run_to_text();
    char *b = run_to_text();
    assert_true(strlen(a) > 100);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "\"event\":\"open\""));
    assert_non_null(strstr(a, "\"event\":\"resolve\""));
    free(a);
    free(b);
}

static void test_silent_rebuild(void **state)
{
    (void)state;
    struct lia_config *cfg = config(flat_yaml);
    struct lia_detect *d = lia_detect_new(cfg);
    struct recorder rec = {0};
    lia_detect_set_sinks(d, on_event, on_bucket, &rec);
    lia_detect_begin_silence(d);
    lia_detect_advance(d, T0);
    spike(d, T0, 8, 6);
    assert_int_equal(rec.nevents, 0);
    assert_int_equal(rec.nbuckets, 0);

    /* Persisted: the same unseen escalation (adopted quietly, keeping its id and ack) and one
     * the rebuilt state no longer has (resolved). */
    struct lia_escalation persisted[2] = {0};
    snprintf(persisted[0].id, sizeof(persisted[0].id), "esc-20260316T0001-7");
    persisted[0].reason = LIA_REASON_UNSEEN;
    persisted[0].severity = LIA_SEV3;
    persisted[0].acked = true;
    snprintf(persisted[0].acked_by, sizeof(persisted[0].acked_by), "ic");
    snprintf(persisted[1].id, sizeof(persisted[1].id), "esc-20260315T2300-6");
    persisted[1].reason = LIA_REASON_LINGERING;
    persisted[1].nalerts = 1;
    snprintf(persisted[1].alerts[0].fingerprint, sizeof(persisted[1].alerts[0].fingerprint),
             "gone");
    lia_detect_end_silence(d, persisted, 2, 8);
    assert_int_equal(rec.nevents, 1);
    assert_int_equal(rec.events[0].kind, LIA_ESC_EV_RESOLVE);
    assert_string_equal(rec.events[0].esc.id, "esc-20260315T2300-6");
    const struct lia_escalation *e = lia_detect_escalation(d, "esc-20260316T0001-7");
    assert_non_null(e);
    assert_true(e->acked);
    assert_int_equal(lia_detect_severity(d), LIA_SEV3);

    json_t *st = lia_detect_state_json(d);
    assert_int_equal(json_array_size(json_object_get(st, "escalations")), 1);
    assert_int_equal(json_array_size(json_object_get(st, "resolved")), 0);
    json_decref(st);
    lia_detect_free(d);
    lia_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cusum_alarm_minute),
        cmocka_unit_test(test_min_tickets_and_first_ticket),
        cmocka_unit_test(test_threshold_grows_with_buckets),
        cmocka_unit_test(test_baseline_learns_hour_of_week),
        cmocka_unit_test(test_warmup),
        cmocka_unit_test(test_late_tickets),
        cmocka_unit_test(test_divergence_reasons),
        cmocka_unit_test(test_severity_ladder_and_hysteresis),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_silent_rebuild),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
