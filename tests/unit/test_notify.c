/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/notify.c and the "notifications:" part of the config: the exact request
 * body of every target type for every event kind (tests/fixtures/notify/<type>-<kind>.json,
 * reviewed), the webhook signature, who gets which event, the retry schedule, and the
 * configuration of targets with their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "escalation.h"
#include "jsonutil.h"
#include "mem.h"
#include "notify.h"
#include "signature.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DUMP_FLAGS   (JSON_COMPACT | JSON_REAL_PRECISION(10))
#define ROUTING_KEY  "R0UTINGKEY0123456789ABCDEFGHIJKL"
#define SECRET       "dev-only-webhook-secret"
#define T0           INT64_C(1795428000000) /* 2026-11-23T10:00:00Z */
#define MINUTE       INT64_C(60000)

static void set_bucket(struct lia_escalation *e, size_t i, const char *key, int64_t observed,
                       double expected, uint64_t accounts)
{
    snprintf(e->buckets[i].key, sizeof(e->buckets[i].key), "%s", key);
    e->buckets[i].observed = observed;
    e->buckets[i].expected = expected;
    e->buckets[i].accounts = accounts;
}

static void set_tier(struct lia_escalation *e, size_t i, const char *tier, uint64_t accounts)
{
    snprintf(e->tiers[i].tier, sizeof(e->tiers[i].tier), "%s", tier);
    e->tiers[i].accounts = accounts;
}

/* One escalation's life: opened unseen at SEV2, raised to SEV1 once an alert fired at SEV3
 * (understated), updated with a third bucket, acknowledged, resolved after the alert did
 * (lingering until then). */
static void sample_event(enum lia_esc_event_kind kind, struct lia_esc_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    struct lia_escalation *e = &ev->esc;
    ev->kind = kind;
    snprintf(e->id, sizeof(e->id), "esc-20261123-0001");
    e->state = LIA_ESC_OPEN;
    e->first_seen_ms = T0 - 6 * MINUTE;
    set_tier(e, 0, "enterprise", 2);
    set_tier(e, 1, "free", 35);
    e->ntiers = 2;
    set_bucket(e, 0, "region:emea", 40, 5.25, 31);
    set_bucket(e, 1, "app_version:ios 5.2.1", 30, 1.5, 25);
    e->nbuckets = 2;
    e->nbuckets_total = 3;
    e->observed = 47;
    e->expected = 6.5;
    e->excess = 40.5;
    e->share = 0.125;
    e->accounts = 37;
    e->premium_accounts = 2;
    e->reason = LIA_REASON_UNSEEN;
    e->severity = LIA_SEV2;
    ev->from = LIA_SEV_NONE;
    ev->to = LIA_SEV2;
    ev->at_ms = T0 + MINUTE;
    if (kind == LIA_ESC_EV_OPEN) {
        e->updated_ms = ev->at_ms;
        return;
    }
    e->reason = LIA_REASON_UNDERSTATED;
    e->severity = LIA_SEV1;
    snprintf(e->alerts[0].fingerprint, sizeof(e->alerts[0].fingerprint), "a1b2c3d4e5f60718");
    snprintf(e->alerts[0].name, sizeof(e->alerts[0].name), "CheckoutErrorRate");
    e->alerts[0].severity = LIA_SEV3;
    e->alerts[0].status = LIA_ALERT_FIRING;
    e->nalerts = 1;
    e->observed = 160;
    e->expected = 9;
    e->excess = 151;
    e->share = 0.4;
    e->accounts = 120;
    e->premium_accounts = 9;
    set_tier(e, 0, "enterprise", 9);
    set_tier(e, 1, "free", 111);
    ev->from = LIA_SEV2;
    ev->to = LIA_SEV1;
    ev->at_ms = T0 + 7 * MINUTE;
    if (kind != LIA_ESC_EV_SEVERITY) {
        set_bucket(e, 2, "feature_flag:new-checkout", 52, 0.5, 41);
        e->nbuckets = 3;
        ev->from = LIA_SEV1;
        ev->at_ms = T0 + 12 * MINUTE;
    }
    if (kind == LIA_ESC_EV_ACK || kind == LIA_ESC_EV_RESOLVE) {
        e->acked = true;
        e->acked_ms = T0 + 15 * MINUTE;
        snprintf(e->acked_by, sizeof(e->acked_by), "alice <ic>");
        snprintf(e->ack_note, sizeof(e->ack_note), "paging mobile & web");
        ev->at_ms = e->acked_ms;
    }
    if (kind == LIA_ESC_EV_RESOLVE) {
        e->reason = LIA_REASON_LINGERING;
        e->alerts[0].status = LIA_ALERT_RESOLVED;
        e->state = LIA_ESC_RESOLVED;
        e->resolved_ms = T0 + 90 * MINUTE;
        ev->at_ms = e->resolved_ms;
    }
    e->updated_ms = ev->at_ms;
}

/* The hotspots the daemon adds to open and severity events (lia_hotspot_event_json): at the
 * open, the iOS 5.2.1 users of EMEA with new-checkout, and a smaller second cause whose range
 * name needs escaping in Slack; at the raise, the version and the flag everywhere. */
static void add_hotspots(enum lia_esc_event_kind kind, json_t *event)
{
    json_t *esc = json_object_get(event, "escalation");
    json_t *list;
    if (kind == LIA_ESC_EV_OPEN) {
        list = json_pack("[{s:{s:s, s:s, s:s}, s:i, s:f, s:f, s:f, s:f, s:i},"
                         " {s:{s:s, s:s}, s:i, s:f, s:f, s:f, s:f, s:i}]",
                         "values", "region", "emea", "app_version", "ios 5.2.1", "feature_flag",
                         "new-checkout", "observed", 28, "expected", 0.9, "excess", 27.1, "share",
                         0.669, "score", 96.4, "accounts", 24, "values", "account_range",
                         "partners & resellers", "platform", "android", "observed", 9, "expected",
                         1.2, "excess", 7.8, "share", 0.193, "score", 31.0, "accounts", 8);
    } else if (kind == LIA_ESC_EV_SEVERITY) {
        list = json_pack("[{s:{s:s, s:s}, s:i, s:f, s:f, s:f, s:f, s:i}]", "values", "app_version",
                         "ios 5.2.1", "feature_flag", "new-checkout", "observed", 118, "expected",
                         3.4, "excess", 114.6, "share", 0.759, "score", 402.7, "accounts", 97);
    } else {
        return;
    }
    json_object_set_new(esc, "hotspots", list);
}

static json_t *sample_json(enum lia_esc_event_kind kind)
{
    struct lia_esc_event ev;
    sample_event(kind, &ev);
    json_t *j = lia_esc_event_json(&ev);
    assert_non_null(j);
    add_hotspots(kind, j);
    return j;
}

static char *read_text(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/notify/%s", LIAISON_FIXTURES, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static json_t *read_json(const char *rel)
{
    size_t len;
    struct lia_err err;
    char *text = read_text(rel, &len);
    json_t *j = lia_json_load(text, len, 64, &err);
    if (j == NULL) {
        fail_msg("%s: %s", rel, err.msg);
    }
    free(text);
    return j;
}

/* Compares body with the fixture byte for byte, in the compact form every request uses; on a
 * mismatch prints the body pretty enough to review and paste. */
static void expect_fixture(const char *body, const char *rel)
{
    json_t *want = read_json(rel);
    char *text = json_dumps(want, DUMP_FLAGS);
    if (strcmp(body, text) != 0) {
        print_error("%s differs; the request body is:\n%s\n", rel, body);
        fail();
    }
    free(text);
    json_decref(want);
}

static const char *const kind_names[] = {"open", "severity", "update", "ack", "resolve"};

static struct lia_notify_target target(const char *type, const char *url, const char *key,
                                       const char *secret)
{
    struct lia_notify_target t = {
        .name = (char *)"t1",
        .type = (char *)type,
        .url = (char *)url,
        .routing_key = (char *)key,
        .secret = (char *)secret,
        .min_severity = (char *)"SEV3",
        .events = 0x1f,
    };
    return t;
}

/* The PagerDuty and Slack bodies of every event kind, and the webhook's (the event itself). */
static void test_bodies(void **state)
{
    (void)state;
    struct lia_notify_target targets[] = {
        target("pagerduty", NULL, ROUTING_KEY, NULL),
        target("slack", "https://hooks.slack.com/services/T000/B000/XXXX", NULL, NULL),
        target("webhook", "https://ops.example.com/hooks/liaison", NULL, SECRET),
    };
    for (size_t t = 0; t < ARRAY_LEN(targets); t++) {
        for (int k = 0; k < LIA_ESC_EV_COUNT; k++) {
            char rel[64];
            struct lia_err err;
            struct lia_notify_request req;
            json_t *ev = sample_json((enum lia_esc_event_kind)k);
            assert_int_equal(
                lia_notify_request_build(&targets[t], ev, 42, T0 + 20 * MINUTE, &req, &err), 0);
            snprintf(rel, sizeof(rel), "%s-%s.json", targets[t].type, kind_names[k]);
            expect_fixture(req.body, rel);
            assert_int_equal(req.body_len, strlen(req.body));
            assert_string_equal(req.headers[0], "Content-Type: application/json");
            lia_notify_request_fini(&req);
            json_decref(ev);
        }
    }
}

/* The webhook body is exactly what lia_esc_event_json gives, and is signed like the generic
 * ingest adapter expects: HMAC-SHA256 over "<timestamp>.<body>". */
static void test_webhook_request(void **state)
{
    (void)state;
    struct lia_notify_target t = target("webhook", "https://ops.example.com/in", NULL, SECRET);
    struct lia_notify_request req;
    struct lia_err err;
    json_t *ev = sample_json(LIA_ESC_EV_SEVERITY);

    assert_int_equal(lia_notify_request_build(&t, ev, 42, T0 + 1234, &req, &err), 0);
    char *event_text = json_dumps(ev, DUMP_FLAGS);
    assert_string_equal(req.body, event_text);
    assert_string_equal(req.url, "https://ops.example.com/in");
    assert_int_equal(req.nheaders, 5);
    assert_string_equal(req.headers[1], "X-Liaison-Timestamp: 1795428001");
    assert_string_equal(req.headers[3], "X-Liaison-Event: severity");
    assert_string_equal(req.headers[4], "X-Liaison-Delivery: 42");

    const char *prefix = "X-Liaison-Signature: sha256=";
    assert_int_equal(strncmp(req.headers[2], prefix, strlen(prefix)), 0);
    const char *hex = req.headers[2] + strlen(prefix);
    struct lia_bytes parts[] = {{"1795428001", 10}, {".", 1}, {req.body, req.body_len}};
    assert_true(lia_hmac_verify(LIA_HMAC_SHA256, SECRET, strlen(SECRET), parts, 3, hex, false));
    struct lia_bytes wrong[] = {{"1795428002", 10}, {".", 1}, {req.body, req.body_len}};
    assert_false(lia_hmac_verify(LIA_HMAC_SHA256, SECRET, strlen(SECRET), wrong, 3, hex, false));

    free(event_text);
    lia_notify_request_fini(&req);
    lia_notify_request_fini(&req);
    json_decref(ev);
}

/* PagerDuty's endpoint is the default url; a configured one (a proxy, a test receiver) wins. */
static void test_pagerduty_url(void **state)
{
    (void)state;
    struct lia_notify_request req;
    struct lia_err err;
    json_t *ev = sample_json(LIA_ESC_EV_OPEN);

    struct lia_notify_target t = target("pagerduty", NULL, ROUTING_KEY, NULL);
    assert_int_equal(lia_notify_request_build(&t, ev, 1, T0, &req, &err), 0);
    assert_string_equal(req.url, LIA_NOTIFY_PAGERDUTY_URL);
    assert_int_equal(req.nheaders, 1);
    lia_notify_request_fini(&req);

    t.url = (char *)"http://127.0.0.1:9/v2/enqueue";
    assert_int_equal(lia_notify_request_build(&t, ev, 1, T0, &req, &err), 0);
    assert_string_equal(req.url, "http://127.0.0.1:9/v2/enqueue");
    lia_notify_request_fini(&req);
    json_decref(ev);
}

/* Our bodies keep to the shapes PagerDuty and Slack document (their samples, copied into
 * tests/fixtures/notify/samples): every member we send exists there with the same JSON type,
 * and ack and resolve carry exactly the members of PagerDuty's resolve sample. */
static bool same_shape(const json_t *ours, const json_t *theirs)
{
    for (void *it = json_object_iter((json_t *)ours); it != NULL;
         it = json_object_iter_next((json_t *)ours, it)) {
        const json_t *w = json_object_get(theirs, json_object_iter_key(it));
        if (w == NULL || json_typeof(w) != json_typeof(json_object_iter_value(it))) {
            return false;
        }
    }
    return true;
}

static void check_shape(const json_t *ours, const json_t *theirs, const char *where)
{
    if (!same_shape(ours, theirs)) {
        fail_msg("%s has a member that is not in the sample, or has another type there", where);
    }
}

static void test_vendor_shapes(void **state)
{
    (void)state;
    struct lia_err err;
    json_t *trigger = read_json("samples/pagerduty-events-v2-trigger.json");
    json_t *resolve = read_json("samples/pagerduty-events-v2-resolve.json");
    json_t *slack = read_json("samples/slack-incoming-webhook-escalation.json");

    for (int k = 0; k < LIA_ESC_EV_COUNT; k++) {
        json_t *ev = sample_json((enum lia_esc_event_kind)k);
        json_t *pd = lia_notify_pagerduty_body(ev, ROUTING_KEY, &err);
        assert_non_null(pd);
        if (k == LIA_ESC_EV_ACK || k == LIA_ESC_EV_RESOLVE) {
            assert_int_equal(json_object_size(pd), json_object_size(resolve));
            check_shape(pd, resolve, "pagerduty");
        } else {
            check_shape(pd, trigger, "pagerduty");
            check_shape(json_object_get(pd, "payload"), json_object_get(trigger, "payload"),
                        "pagerduty.payload");
        }
        json_t *sl = lia_notify_slack_body(ev, &err);
        assert_non_null(sl);
        check_shape(sl, slack, "slack");
        /* Each block is like one of the sample's: same type, members the sample has. */
        const json_t *ours = json_object_get(sl, "blocks");
        const json_t *theirs = json_object_get(slack, "blocks");
        for (size_t i = 0; i < json_array_size(ours); i++) {
            const json_t *block = json_array_get(ours, i);
            bool known = false;
            for (size_t j = 0; j < json_array_size(theirs); j++) {
                const json_t *like = json_array_get(theirs, j);
                known = known || (json_equal(json_object_get(block, "type"),
                                             json_object_get(like, "type")) &&
                                  same_shape(block, like));
            }
            if (!known) {
                fail_msg("block %zu of the %s message has no like in the Slack sample", i,
                         kind_names[k]);
            }
        }
        json_decref(sl);
        json_decref(pd);
        json_decref(ev);
    }
    json_decref(slack);
    json_decref(resolve);
    json_decref(trigger);
}

/* Text from tickets, alerts and acknowledgements cannot make Slack links or mentions, and the
 * summary stays within PagerDuty's limit, cut between characters. */
static void test_slack_escaping_and_limits(void **state)
{
    (void)state;
    struct lia_esc_event ev;
    struct lia_err err;
    sample_event(LIA_ESC_EV_ACK, &ev);
    set_bucket(&ev.esc, 0, "feature_flag:<!channel>", 40, 1, 3);
    snprintf(ev.esc.acked_by, sizeof(ev.esc.acked_by), "<https://evil.example|click>");
    json_t *j = lia_esc_event_json(&ev);
    json_t *sl = lia_notify_slack_body(j, &err);
    char *text = json_dumps(sl, JSON_COMPACT);
    assert_null(strstr(text, "<!channel>"));
    assert_null(strstr(text, "<https:"));
    assert_non_null(strstr(text, "feature_flag:&lt;!channel&gt;"));
    assert_non_null(strstr(text, "&lt;https://evil.example|click&gt;"));
    free(text);
    json_decref(sl);
    json_decref(j);

    /* A summary cut short ends with "..." after a whole character, never inside one. */
    sample_event(LIA_ESC_EV_OPEN, &ev);
    set_bucket(&ev.esc, 0, "feature_flag:\xc3\xa9t\xc3\xa9", 10, 1, 1);
    j = lia_esc_event_json(&ev);
    char full[LIA_NOTIFY_SUMMARY_MAX + 1];
    assert_int_equal(lia_notify_summary(j, full, sizeof(full), &err), 0);
    size_t at = (size_t)(strstr(full, "\xc3\xa9") - full);
    static const size_t kept[] = {0, 0, 2, 3, 3, 5};
    for (size_t i = 0; i < ARRAY_LEN(kept); i++) {
        char small[LIA_NOTIFY_SUMMARY_MAX + 1];
        size_t cap = at + i + 4; /* room for i bytes of "été", "..." and the NUL */
        assert_int_equal(lia_notify_summary(j, small, cap, &err), 0);
        assert_int_equal(strlen(small), at + kept[i] + 3);
        assert_memory_equal(small, full, at + kept[i]);
        assert_string_equal(small + at + kept[i], "...");
    }
    json_decref(j);
}

static void test_event_read(void **state)
{
    (void)state;
    struct lia_notify_event ev;
    struct lia_err err;
    json_t *j = sample_json(LIA_ESC_EV_SEVERITY);
    assert_int_equal(lia_notify_event_read(j, &ev, &err), 0);
    assert_int_equal(ev.kind, LIA_ESC_EV_SEVERITY);
    assert_int_equal(ev.from, LIA_SEV2);
    assert_int_equal(ev.to, LIA_SEV1);
    assert_string_equal(ev.escalation_id, "esc-20261123-0001");

    static const struct {
        const char *member;
        json_t *(*value)(void);
        enum lia_errcode code;
        const char *msg;
    } cases[] = {
        {"event", NULL, LIA_E_MISSING_FIELD, "event: missing"},
        {"event", json_null, LIA_E_INVALID_FIELD, "event: not a known value"},
        {"from", json_true, LIA_E_INVALID_FIELD, "from: not a known value"},
        {"to", NULL, LIA_E_MISSING_FIELD, "to: missing"},
        {"escalation", json_null, LIA_E_MISSING_FIELD, "escalation.id: missing"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_t *bad = json_deep_copy(j);
        if (cases[i].value == NULL) {
            json_object_del(bad, cases[i].member);
        } else {
            json_object_set_new(bad, cases[i].member, cases[i].value());
        }
        assert_int_equal(lia_notify_event_read(bad, &ev, &err), -1);
        assert_int_equal(err.code, cases[i].code);
        assert_string_equal(err.msg, cases[i].msg);
        struct lia_notify_target t = target("slack", "https://h.example/x", NULL, NULL);
        struct lia_notify_request req;
        assert_int_equal(lia_notify_request_build(&t, bad, 1, T0, &req, &err), -1);
        json_decref(bad);
    }
    json_decref(j);
}

/* A target without what its type needs gets no request. */
static void test_build_errors(void **state)
{
    (void)state;
    struct lia_notify_request req;
    struct lia_err err;
    json_t *ev = sample_json(LIA_ESC_EV_OPEN);
    struct lia_notify_target cases[] = {
        target("pagerduty", NULL, NULL, NULL),
        target("slack", NULL, NULL, NULL),
        target("webhook", "https://x.example/", NULL, NULL),
        target("email", "https://x.example/", NULL, NULL),
    };
    static const char *const msgs[] = {
        "notifications.t1: no routing key",
        "notifications.t1: no url",
        "notifications.t1: no secret",
        "notifications.t1: unknown type",
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        assert_int_equal(lia_notify_request_build(&cases[i], ev, 1, T0, &req, &err), -1);
        assert_string_equal(err.msg, msgs[i]);
        assert_null(req.body);
    }
    json_decref(ev);
}

static void test_wants(void **state)
{
    (void)state;
    enum { OPEN = LIA_ESC_EV_OPEN, SEV = LIA_ESC_EV_SEVERITY, UPD = LIA_ESC_EV_UPDATE };
    enum { ACK = LIA_ESC_EV_ACK, RES = LIA_ESC_EV_RESOLVE };
    static const struct {
        const char *min;
        unsigned events;
        int kind;
        enum lia_sev from, to;
        bool notified;
        bool want;
    } cases[] = {
        {"SEV3", 0x1f, OPEN, LIA_SEV_NONE, LIA_SEV3, false, true},
        {"SEV3", 0x1f, OPEN, LIA_SEV_NONE, LIA_SEV4, false, false},
        {"SEV1", 0x1f, OPEN, LIA_SEV_NONE, LIA_SEV2, false, false},
        {"SEV4", 0x1f, OPEN, LIA_SEV_NONE, LIA_SEV4, false, true},
        {"SEV3", 0x1f, OPEN, LIA_SEV_NONE, LIA_SEV_NONE, false, false},
        /* Raised into range: the first this target hears of it. */
        {"SEV2", 0x1f, SEV, LIA_SEV3, LIA_SEV2, false, true},
        /* Lowered out of range: told, because it heard of the escalation. */
        {"SEV2", 0x1f, SEV, LIA_SEV2, LIA_SEV3, true, true},
        {"SEV2", 0x1f, SEV, LIA_SEV4, LIA_SEV3, false, false},
        {"SEV3", 0x1f, UPD, LIA_SEV3, LIA_SEV3, true, true},
        {"SEV3", 0x1f, UPD, LIA_SEV4, LIA_SEV4, true, false},
        {"SEV3", 0x1f, ACK, LIA_SEV2, LIA_SEV2, true, true},
        {"SEV3", 0x1f, ACK, LIA_SEV2, LIA_SEV2, false, false},
        {"SEV3", 0x1f, RES, LIA_SEV4, LIA_SEV4, true, true},
        {"SEV1", 0x1f, RES, LIA_SEV1, LIA_SEV1, false, false},
        /* The default events leave out update and ack. */
        {"SEV3", 0x13, UPD, LIA_SEV1, LIA_SEV1, true, false},
        {"SEV3", 0x13, ACK, LIA_SEV1, LIA_SEV1, true, false},
        {"SEV3", 0x13, RES, LIA_SEV1, LIA_SEV1, true, true},
        {"SEV3", 0x13, SEV, LIA_SEV2, LIA_SEV1, true, true},
        {"SEV3", 0x00, OPEN, LIA_SEV_NONE, LIA_SEV1, false, false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct lia_notify_target t = target("slack", "https://x.example/", NULL, NULL);
        t.min_severity = (char *)cases[i].min;
        t.events = cases[i].events;
        struct lia_notify_event ev = {
            .kind = (enum lia_esc_event_kind)cases[i].kind,
            .from = cases[i].from,
            .to = cases[i].to,
        };
        if (lia_notify_wants(&t, &ev, cases[i].notified) != cases[i].want) {
            fail_msg("case %zu: expected %s", i, cases[i].want ? "wanted" : "not wanted");
        }
    }
}

static void test_verdict(void **state)
{
    (void)state;
    struct lia_notify_policy p = {
        .max_attempts = 3, .backoff_min_ms = 1000, .backoff_max_ms = 300000};
    static const struct {
        long status;
        uint32_t attempts;
        enum lia_notify_verdict want;
    } cases[] = {
        {200, 1, LIA_NOTIFY_DONE},    {202, 3, LIA_NOTIFY_DONE},    {204, 1, LIA_NOTIFY_DONE},
        {500, 1, LIA_NOTIFY_RETRY},   {503, 2, LIA_NOTIFY_RETRY},   {503, 3, LIA_NOTIFY_GIVE_UP},
        {429, 1, LIA_NOTIFY_RETRY},   {408, 1, LIA_NOTIFY_RETRY},   {0, 1, LIA_NOTIFY_RETRY},
        {0, 3, LIA_NOTIFY_GIVE_UP},   {400, 1, LIA_NOTIFY_GIVE_UP}, {403, 1, LIA_NOTIFY_GIVE_UP},
        {404, 1, LIA_NOTIFY_GIVE_UP}, {410, 1, LIA_NOTIFY_GIVE_UP}, {301, 1, LIA_NOTIFY_GIVE_UP},
        {100, 1, LIA_NOTIFY_GIVE_UP},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        if (lia_notify_verdict(&p, cases[i].status, cases[i].attempts) != cases[i].want) {
            fail_msg("status %ld after %u attempts", cases[i].status, cases[i].attempts);
        }
    }
}

/* Doubling from backoff_min with the upper half spread, capped, the same for the same row and
 * attempt, different for neighbouring rows, and lengthened by a server's Retry-After. */
static void test_retry_delay(void **state)
{
    (void)state;
    struct lia_notify_policy p = {
        .max_attempts = 20, .backoff_min_ms = 1000, .backoff_max_ms = 300000};
    for (uint32_t attempt = 1; attempt <= 20; attempt++) {
        int64_t full = 1000;
        for (uint32_t i = 1; i < attempt && full < 300000; i++) {
            full *= 2;
        }
        full = full > 300000 ? 300000 : full;
        for (int64_t row = 1; row <= 50; row++) {
            int64_t d = lia_notify_retry_delay_ms(&p, attempt, row, -1);
            assert_true(d >= full - full / 2);
            assert_true(d <= full);
            assert_int_equal(d, lia_notify_retry_delay_ms(&p, attempt, row, -1));
        }
    }
    assert_int_equal(lia_notify_retry_delay_ms(&p, 1, 7, -1), 842);
    assert_int_equal(lia_notify_retry_delay_ms(&p, 1, 8, -1), 780);
    assert_int_equal(lia_notify_retry_delay_ms(&p, 4, 7, -1), 6784);
    assert_int_equal(lia_notify_retry_delay_ms(&p, 30, 7, -1), 247222);
    assert_int_equal(lia_notify_retry_delay_ms(&p, 1, 7, 30000), 30000);
    assert_int_equal(lia_notify_retry_delay_ms(&p, 1, 7, 3600000), 300000);
    assert_int_equal(lia_notify_retry_delay_ms(&p, 1, 7, 10), 842);
    struct lia_notify_policy tiny = {
        .max_attempts = 2, .backoff_min_ms = 100, .backoff_max_ms = 100};
    assert_int_equal(lia_notify_retry_delay_ms(&tiny, 5, 3, -1), 80);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_int_equal(lia_notify_type_from_name("pagerduty"), LIA_NOTIFY_PAGERDUTY);
    assert_int_equal(lia_notify_type_from_name("slack"), LIA_NOTIFY_SLACK);
    assert_int_equal(lia_notify_type_from_name("webhook"), LIA_NOTIFY_WEBHOOK);
    assert_int_equal(lia_notify_type_from_name("Slack"), -1);
    assert_int_equal(lia_notify_type_from_name(NULL), -1);
}

/* Configuration: the targets, their defaults, and validation. */

static struct lia_config *parse(const char *yaml, struct lia_errlist *errs)
{
    return lia_config_parse(yaml, strlen(yaml), "liaison.yaml", errs);
}

static void test_config_targets(void **state)
{
    (void)state;
    struct lia_errlist errs = {0};
    struct lia_config *cfg = parse("notify:\n"
                                   "  timeout: 3s\n"
                                   "  max_attempts: 5\n"
                                   "  backoff_min: 200ms\n"
                                   "notifications:\n"
                                   "  pd:\n"
                                   "    type: pagerduty\n"
                                   "    routing_key: " ROUTING_KEY "\n"
                                   "    min_severity: SEV2\n"
                                   "    events: [open, ack, resolve]\n"
                                   "  chat:\n"
                                   "    type: slack\n"
                                   "    url_env: SLACK_URL\n"
                                   "  ops:\n"
                                   "    type: webhook\n"
                                   "    url: http://127.0.0.1:9000/in\n"
                                   "    secret: " SECRET "\n"
                                   "    timeout: 2s\n",
                                   &errs);
    assert_non_null(cfg);
    assert_int_equal(cfg->notify.timeout_ms, 3000);
    assert_int_equal(cfg->notify.connect_timeout_ms, 5000);
    assert_int_equal(cfg->notify.max_attempts, 5);
    assert_int_equal(cfg->notify.backoff_min_ms, 200);
    assert_int_equal(cfg->notify.backoff_max_ms, 300000);
    assert_int_equal(cfg->notify.ntargets, 3);
    const struct lia_notify_target *pd = &cfg->notify.targets[0];
    assert_string_equal(pd->name, "pd");
    assert_string_equal(pd->type, "pagerduty");
    assert_null(pd->url);
    assert_string_equal(pd->routing_key, ROUTING_KEY);
    assert_string_equal(pd->min_severity, "SEV2");
    assert_int_equal(pd->events,
                     (1u << LIA_ESC_EV_OPEN) | (1u << LIA_ESC_EV_ACK) | (1u << LIA_ESC_EV_RESOLVE));
    const struct lia_notify_target *chat = &cfg->notify.targets[1];
    assert_string_equal(chat->url_env, "SLACK_URL");
    assert_null(chat->url);
    assert_string_equal(chat->min_severity, "SEV3");
    assert_int_equal(chat->events, (1u << LIA_ESC_EV_OPEN) | (1u << LIA_ESC_EV_SEVERITY) |
                                       (1u << LIA_ESC_EV_RESOLVE));
    assert_int_equal(chat->url_line, 13);
    assert_int_equal(cfg->notify.targets[2].timeout_ms, 2000);

    /* The slack url comes from the environment (daemon/confload.c); until then it is missing. */
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.items[0].line, 11);
    assert_string_equal(errs.items[0].msg, "notifications.chat: no url; set url or url_env, or "
                                           "the environment variable LIAISON_NOTIFY_URL_CHAT");
    lia_errlist_fini(&errs);
    lia_config_notify_set_secret(&cfg->notify.targets[1], false,
                                 "https://hooks.slack.com/services/T0/B0/SECRETPART");
    assert_int_equal(lia_config_validate(cfg, &errs), 0);

    /* Printing masks every credential: routing key, secret and any url but PagerDuty's. */
    struct lia_buf out;
    lia_buf_init(&out, 1 << 20);
    assert_int_equal(lia_config_print(cfg, &out), 0);
    const char *text = lia_buf_str(&out);
    assert_null(strstr(text, ROUTING_KEY));
    assert_null(strstr(text, SECRET));
    assert_null(strstr(text, "SECRETPART"));
    assert_null(strstr(text, "127.0.0.1:9000"));
    assert_non_null(strstr(text, "notify:\n"
                                 "  timeout: 3s\n"
                                 "  connect_timeout: 5s\n"
                                 "  max_attempts: 5\n"
                                 "  backoff_min: 200ms\n"
                                 "  backoff_max: 5m\n"));
    assert_non_null(strstr(text, "notifications:\n"
                                 "  pd:\n"
                                 "    type: pagerduty\n"
                                 "    routing_key: \"********\"\n"
                                 "    min_severity: SEV2\n"
                                 "    timeout: 0\n"
                                 "    events: [open, ack, resolve]\n"
                                 "  chat:\n"
                                 "    type: slack\n"
                                 "    url: \"********\"\n"
                                 "    url_env: SLACK_URL\n"
                                 "    min_severity: SEV3\n"
                                 "    timeout: 0\n"
                                 "    events: [open, severity, resolve]\n"
                                 "  ops:\n"
                                 "    type: webhook\n"
                                 "    url: \"********\"\n"
                                 "    secret: \"********\"\n"
                                 "    min_severity: SEV3\n"
                                 "    timeout: 2s\n"
                                 "    events: [open, severity, resolve]\n"));
    lia_buf_fini(&out);
    lia_config_free(cfg);
    lia_errlist_fini(&errs);
}

struct config_error {
    const char *yaml;
    int line;
    const char *msg;
};

static void test_config_errors(void **state)
{
    (void)state;
    static const struct config_error cases[] = {
        {"notifications:\n  a:\n    url: https://x.example/\n", 2,
         "notifications.a.type: required: pagerduty, slack or webhook"},
        {"notifications:\n  a:\n    type: email\n", 3,
         "notifications.a.type: expected one of pagerduty|slack|webhook, got \"email\""},
        {"notifications:\n  a:\n    type: slack\n    url: ftp://x.example/\n", 4,
         "notifications.a.url: expected an http:// or https:// URL with a host and no spaces"},
        {"notifications:\n  a:\n    type: slack\n    url: \"https://x.example/a b\"\n", 4,
         "notifications.a.url: expected an http:// or https:// URL with a host and no spaces"},
        {"notifications:\n  a:\n    type: slack\n    url: https://\n", 4,
         "notifications.a.url: expected an http:// or https:// URL with a host and no spaces"},
        {"notifications:\n  a:\n    type: slack\n    url: https://x.example/\n"
         "    url_env: X_URL\n",
         5, "notifications.a.url_env: url is already set; give only one of url and url_env"},
        {"notifications:\n  a:\n    type: slack\n    url_env: 1BAD\n", 4,
         "notifications.a.url_env: not an environment variable name: \"1BAD\""},
        {"notifications:\n  a:\n    type: slack\n    url: https://x.example/\n"
         "    routing_key: abc\n",
         2,
         "notifications.a: routing_key is for pagerduty targets; a slack target does not "
         "take one"},
        {"notifications:\n  a:\n    type: pagerduty\n    secret: abc\n", 2,
         "notifications.a: secret is for webhook targets; a pagerduty target does not take one "
         "(use routing_key)"},
        {"notifications:\n  a:\n    type: slack\n    min_severity: sev2\n", 4,
         "notifications.a.min_severity: expected one of SEV1|SEV2|SEV3|SEV4, got \"sev2\""},
        {"notifications:\n  a:\n    type: slack\n    events: [open, closed]\n", 4,
         "notifications.a.events: unknown event \"closed\" (known: open, severity, update, ack, "
         "resolve)"},
        {"notifications:\n  a:\n    type: slack\n    events: [open, open]\n", 4,
         "notifications.a.events: open is listed twice"},
        {"notifications:\n  a:\n    type: slack\n    events: []\n", 2,
         "notifications.a: events: list at least one of open, severity, update, ack, resolve"},
        {"notifications:\n  a:\n    type: slack\n    timeout: 10m\n", 4,
         "notifications.a.timeout: must be at most 5m, got \"10m\""},
        {"notifications:\n  a:\n    type: slack\n    tiemout: 1s\n", 4,
         "notifications.a.tiemout: unknown key (did you mean timeout?)"},
        {"notifications:\n  Bad:\n    type: slack\n", 2,
         "notifications.Bad: a target name is 1 to 64 lower-case letters, digits, '.', '_' or "
         "'-', starting with a letter or digit; got \"Bad\""},
        {"notifications:\n  a-b:\n    type: slack\n  a.b:\n    type: slack\n", 4,
         "notifications.a.b: its variable LIAISON_NOTIFY_URL_A_B is also that of target a-b; "
         "rename one"},
        {"notifications: [a]\n", 1, "notifications: expected a map, got a list"},
        {"notificatons: {}\n", 1, "notificatons: unknown key (did you mean notifications?)"},
        {"notify:\n  max_attempts: 0\n", 2,
         "notify.max_attempts: must be between 1 and 1000, got \"0\""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct lia_errlist errs = {0};
        struct lia_config *cfg = parse(cases[i].yaml, &errs);
        if (cfg != NULL || errs.n != 1 || errs.items[0].line != cases[i].line ||
            strcmp(errs.items[0].msg, cases[i].msg) != 0) {
            fail_msg("case %zu: got %zu errors, first at line %d: %s", i, errs.n,
                     errs.n > 0 ? errs.items[0].line : 0, errs.n > 0 ? errs.items[0].msg : "-");
        }
        lia_errlist_fini(&errs);
    }
}

/* What only validation (after the environment is read) can tell. */
static void test_config_validate(void **state)
{
    (void)state;
    struct lia_errlist errs = {0};
    struct lia_config *cfg = parse("notify:\n"
                                   "  backoff_min: 10m\n"
                                   "  backoff_max: 1m\n"
                                   "notifications:\n"
                                   "  pd:\n"
                                   "    type: pagerduty\n"
                                   "    routing_key_env: PD_KEY\n"
                                   "  hook:\n"
                                   "    type: webhook\n"
                                   "    url: https://x.example/\n",
                                   &errs);
    assert_non_null(cfg);
    lia_config_notify_set_secret(&cfg->notify.targets[0], false, "not a url");
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    static const char *const msgs[] = {
        "notify.backoff_min: is longer than notify.backoff_max",
        "notifications.pd: no routing key; set routing_key or routing_key_env, or the "
        "environment variable LIAISON_NOTIFY_KEY_PD",
        "notifications.pd: the url is not an http:// or https:// URL with a host and no spaces",
        "notifications.hook: no secret; set secret or secret_env, or the environment variable "
        "LIAISON_NOTIFY_KEY_HOOK",
    };
    assert_int_equal(errs.n, ARRAY_LEN(msgs));
    for (size_t i = 0; i < ARRAY_LEN(msgs); i++) {
        assert_string_equal(errs.items[i].msg, msgs[i]);
    }
    char env[64];
    assert_int_equal(
        lia_config_notify_env_name(LIA_NOTIFY_KEY_ENV_PREFIX, "oncall.pd-1", env, sizeof(env)), 0);
    assert_string_equal(env, "LIAISON_NOTIFY_KEY_ONCALL_PD_1");
    assert_int_equal(lia_config_notify_env_name(LIA_NOTIFY_KEY_ENV_PREFIX, "pd", env, 20), -1);
    lia_config_free(cfg);
    lia_errlist_fini(&errs);
}

int main(void)
{
    lia_mem_install_json_allocator();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_webhook_request),
        cmocka_unit_test(test_pagerduty_url),
        cmocka_unit_test(test_vendor_shapes),
        cmocka_unit_test(test_slack_escaping_and_limits),
        cmocka_unit_test(test_event_read),
        cmocka_unit_test(test_build_errors),
        cmocka_unit_test(test_wants),
        cmocka_unit_test(test_verdict),
        cmocka_unit_test(test_retry_delay),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_config_targets),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
