/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/incident.c: request bodies into timeline entries (channels, decision
 * times in the future or recorded later, unknown fields, notes, corrections), patches against
 * the current state, attaching an escalation, and folding entries into the incident. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_MS       INT64_C(60000)
/* 2026-11-23T10:00:00Z */
#define NOW INT64_C(1795428000000)

static json_t *body(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_decision_valid(void **state)
{
    (void)state;
    json_t *b = body("{\"who\":\"ic@example.com\",\"what\":\"Roll back\",\"why\":\"release\","
                     "\"channel\":\"in-person\",\"cites\":{\"buckets\":[\"country:DE\"],"
                     "\"tickets\":[\"https://help.example.com/t/1\"]}}");
    struct lia_inc_entry e;
    struct lia_err err;
    assert_int_equal(lia_inc_parse_decision(b, NOW, &e, &err), 0);
    assert_string_equal(e.kind, "decision");
    assert_string_equal(e.who, "ic@example.com");
    assert_int_equal(e.at_ms, NOW);
    assert_int_equal(e.recorded_ms, NOW);
    assert_false(lia_inc_entry_recorded_later(&e));
    assert_string_equal(json_string_value(json_object_get(e.detail, "channel")), "in-person");
    json_t *cites = json_object_get(e.detail, "cites");
    assert_int_equal(json_array_size(json_object_get(cites, "buckets")), 1);
    assert_int_equal(json_array_size(json_object_get(cites, "escalations")), 0);
    assert_int_equal(json_array_size(json_object_get(cites, "tickets")), 1);
    lia_inc_entry_fini(&e);
    json_decref(b);
}

/* A decision time in the past is kept and marked as recorded later; within the clock-skew
 * allowance it is neither refused nor marked. */
static void test_decision_times(void **state)
{
    (void)state;
    struct {
        const char *at;
        int rc;
        int64_t at_ms;
        bool later;
    } cases[] = {
        {"2026-11-23T09:40:00Z", 0, NOW - 20 * MIN_MS, true},
        {"2026-11-23T09:59:00Z", 0, NOW - MIN_MS, false},
        {"2026-11-23T09:58:59Z", 0, NOW - MIN_MS - 1000, true},
        {"2026-11-23T10:01:00Z", 0, NOW + MIN_MS, false},
        {"2026-11-23T10:01:01Z", -1, 0, false},
        {"2026-11-24T10:00:00Z", -1, 0, false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char text[160];
        snprintf(text, sizeof(text),
                 "{\"who\":\"a\",\"what\":\"b\",\"channel\":\"chat\",\"at\":\"%s\"}", cases[i].at);
        json_t *b = body(text);
        struct lia_inc_entry e;
        struct lia_err err;
        int rc = lia_inc_parse_decision(b, NOW, &e, &err);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            assert_int_equal(e.at_ms, cases[i].at_ms);
            assert_int_equal(lia_inc_entry_recorded_later(&e), cases[i].later);
            lia_inc_entry_fini(&e);
        } else {
            assert_int_equal(err.code, LIA_E_INVALID_FIELD);
            assert_string_equal(err.path, "at");
            assert_non_null(strstr(err.msg, "in the future"));
            assert_null(e.detail);
        }
        json_decref(b);
    }
}

static void test_decision_invalid(void **state)
{
    (void)state;
    struct {
        const char *body;
        enum lia_errcode code;
        const char *path;
    } cases[] = {
        {"{\"who\":\"a\",\"what\":\"b\",\"channel\":\"pager\"}", LIA_E_INVALID_FIELD, "channel"},
        {"{\"who\":\"a\",\"what\":\"b\"}", LIA_E_MISSING_FIELD, "channel"},
        {"{\"what\":\"b\",\"channel\":\"chat\"}", LIA_E_MISSING_FIELD, "who"},
        {"{\"who\":\"a\",\"channel\":\"chat\"}", LIA_E_MISSING_FIELD, "what"},
        {"{\"who\":\"\",\"what\":\"b\",\"channel\":\"chat\"}", LIA_E_INVALID_FIELD, "who"},
        {"{\"who\":\"a\",\"what\":7,\"channel\":\"chat\"}", LIA_E_INVALID_FIELD, "what"},
        {"{\"who\":\"a\",\"what\":\"b\",\"channel\":\"chat\",\"mood\":1}", LIA_E_INVALID_FIELD,
         "mood"},
        {"{\"who\":\"a\",\"what\":\"b\",\"channel\":\"chat\",\"at\":\"yesterday\"}",
         LIA_E_INVALID_FIELD, "at"},
        {"{\"who\":\"a\",\"what\":\"b\",\"channel\":\"chat\",\"cites\":[]}", LIA_E_INVALID_FIELD,
         "cites"},
        {"{\"who\":\"a\",\"what\":\"b\",\"channel\":\"chat\",\"cites\":{\"alerts\":[]}}",
         LIA_E_INVALID_FIELD, "alerts"},
        {"{\"who\":\"a\",\"what\":\"b\",\"channel\":\"chat\",\"cites\":{\"buckets\":[\"DE\"]}}",
         LIA_E_INVALID_FIELD, "cites.buckets"},
        {"{\"who\":\"a\",\"what\":\"b\",\"channel\":\"chat\",\"corrects\":0}", LIA_E_INVALID_FIELD,
         "corrects"},
        {"[1]", LIA_E_INVALID_FIELD, ""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_t *b = body(cases[i].body);
        struct lia_inc_entry e;
        struct lia_err err;
        assert_int_equal(lia_inc_parse_decision(b, NOW, &e, &err), -1);
        assert_int_equal(err.code, cases[i].code);
        assert_string_equal(err.path, cases[i].path);
        assert_null(e.detail);
        json_decref(b);
    }
}

static void test_channels(void **state)
{
    (void)state;
    const char *names[] = {"incident-call", "chat", "in-person", "email", "ticket", "other"};
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        assert_int_equal(lia_channel_from_name(names[i]), (int)i);
        assert_string_equal(lia_channel_name((enum lia_channel)i), names[i]);
    }
    assert_int_equal(lia_channel_from_name("Chat"), -1);
    assert_int_equal(lia_channel_from_name(NULL), -1);
    assert_string_equal(lia_channel_name(LIA_CHANNEL_COUNT), "unknown");
}

static void test_open_and_fold(void **state)
{
    (void)state;
    json_t *b = body("{\"title\":\"Checkout failing\",\"severity\":\"sev2\",\"commander\":\"ic\","
                     "\"links\":[\"https://status.example.com/1\"],\"escalation\":\"esc-1\"}");
    struct lia_inc_entry open;
    struct lia_err err;
    char esc[LIA_ESC_ID_MAX];
    assert_int_equal(lia_inc_parse_open(b, NOW, &open, esc, &err), 0);
    json_decref(b);
    assert_string_equal(esc, "esc-1");
    assert_string_equal(open.who, "ic"); /* no liaison named: the commander opened it */
    json_t *escalation = body("{\"id\":\"esc-1\",\"reason\":\"unseen\",\"first_seen\":"
                              "\"2026-11-23T09:55:00.000Z\",\"buckets\":[{\"key\":\"country:DE\"},"
                              "{\"key\":\"platform:ios\"}]}");
    struct lia_inc_entry attach;
    lia_inc_escalation_entry("ic", NOW, "esc-1", escalation, &attach);
    json_decref(escalation);

    struct lia_incident inc = {.id = 7};
    lia_incident_apply(&inc, &open);
    lia_incident_apply(&inc, &attach);
    lia_incident_apply(&inc, &attach); /* attaching twice adds nothing */
    assert_string_equal(inc.title, "Checkout failing");
    assert_int_equal(inc.severity, LIA_SEV2);
    assert_int_equal(inc.status, LIA_INC_OPEN);
    assert_int_equal(inc.opened_ms, NOW);
    assert_int_equal(inc.nlinks, 1);
    assert_int_equal(inc.nbuckets, 2);
    assert_string_equal(inc.buckets[1], "platform:ios");
    assert_int_equal(inc.nescalations, 1);

    /* A patch writes one entry per change; a closed incident refuses more. */
    json_t *patch = body("{\"who\":\"ic\",\"severity\":\"SEV1\",\"status\":\"closed\"}");
    struct lia_inc_entry changes[2];
    size_t n;
    assert_int_equal(lia_inc_parse_patch(patch, &inc, NOW + MIN_MS, changes, &n, &err), 0);
    json_decref(patch);
    assert_int_equal(n, 2);
    assert_string_equal(changes[0].kind, "severity");
    assert_string_equal(json_string_value(json_object_get(changes[0].detail, "from")), "SEV2");
    assert_string_equal(changes[1].kind, "status");
    for (size_t i = 0; i < n; i++) {
        lia_incident_apply(&inc, &changes[i]);
        lia_inc_entry_fini(&changes[i]);
    }
    assert_int_equal(inc.severity, LIA_SEV1);
    assert_int_equal(inc.status, LIA_INC_CLOSED);
    assert_int_equal(inc.closed_ms, NOW + MIN_MS);
    patch = body("{\"who\":\"ic\",\"status\":\"open\"}");
    assert_int_equal(lia_inc_parse_patch(patch, &inc, NOW, changes, &n, &err), -1);
    assert_int_equal(err.code, LIA_E_CONFLICT);
    json_decref(patch);

    json_t *j = lia_incident_json(&inc);
    assert_string_equal(json_string_value(json_object_get(j, "closed")),
                        "2026-11-23T10:01:00.000Z");
    json_decref(j);
    lia_inc_entry_fini(&open);
    lia_inc_entry_fini(&attach);
}

static void test_patch_nothing(void **state)
{
    (void)state;
    struct lia_incident inc = {.id = 1, .severity = LIA_SEV3};
    struct {
        const char *body;
        enum lia_errcode code;
    } cases[] = {
        {"{\"who\":\"ic\",\"severity\":\"SEV3\"}", LIA_E_BAD_REQUEST},
        {"{\"who\":\"ic\"}", LIA_E_BAD_REQUEST},
        {"{\"severity\":\"SEV1\"}", LIA_E_MISSING_FIELD},
        {"{\"who\":\"ic\",\"status\":\"resolved\"}", LIA_E_INVALID_FIELD},
        {"{\"who\":\"ic\",\"severity\":\"SEV5\"}", LIA_E_INVALID_FIELD},
        {"{\"who\":\"ic\",\"title\":\"x\"}", LIA_E_INVALID_FIELD},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_t *b = body(cases[i].body);
        struct lia_inc_entry out[2];
        size_t n = 9;
        struct lia_err err;
        assert_int_equal(lia_inc_parse_patch(b, &inc, NOW, out, &n, &err), -1);
        assert_int_equal(err.code, cases[i].code);
        assert_int_equal(n, 0);
        json_decref(b);
    }
}

static void test_notes_and_corrections(void **state)
{
    (void)state;
    json_t *b = body("{\"who\":\"l\",\"type\":\"went-well\",\"text\":\"Support spoke up early\"}");
    struct lia_inc_entry note, decision;
    struct lia_err err;
    assert_int_equal(lia_inc_parse_note(b, NOW, &note, &err), 0);
    json_decref(b);
    note.id = 3;
    b = body("{\"who\":\"l\",\"type\":\"praise\",\"text\":\"x\"}");
    assert_int_equal(lia_inc_parse_note(b, NOW, &decision, &err), -1);
    assert_string_equal(err.path, "type");
    json_decref(b);

    b = body("{\"who\":\"l\",\"what\":\"x\",\"channel\":\"email\",\"corrects\":3}");
    assert_int_equal(lia_inc_parse_decision(b, NOW, &decision, &err), 0);
    json_decref(b);
    assert_int_equal(decision.corrects, 3);
    /* A decision cannot correct a note. */
    assert_int_equal(lia_inc_check_correction(&decision, &note, &err), -1);
    assert_string_equal(err.path, "corrects");
    b = body("{\"who\":\"l\",\"type\":\"went-wrong\",\"text\":\"y\",\"corrects\":3}");
    struct lia_inc_entry fix;
    assert_int_equal(lia_inc_parse_note(b, NOW, &fix, &err), 0);
    json_decref(b);
    assert_int_equal(lia_inc_check_correction(&fix, &note, &err), 0);
    lia_inc_entry_fini(&fix);
    lia_inc_entry_fini(&decision);
    lia_inc_entry_fini(&note);
}

static void test_entry_round_trip(void **state)
{
    (void)state;
    struct lia_inc_entry e;
    struct lia_err err;
    assert_int_equal(lia_inc_entry_from_row(5, "role", NOW - 10 * MIN_MS, NOW, "l", 0,
                                            "{\"role\":\"liaison\",\"to\":\"b\"}", &e, &err),
                     0);
    /* A kind this module does not know is kept and changes no state. */
    struct lia_incident inc = {.id = 1, .severity = LIA_SEV4};
    lia_incident_apply(&inc, &e);
    assert_int_equal(inc.severity, LIA_SEV4);
    json_t *j = lia_inc_entry_json(&e);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"at\":\"2026-11-23T09:50:00.000Z\",\"corrects\":null,"
                              "\"detail\":{\"role\":\"liaison\",\"to\":\"b\"},\"id\":5,"
                              "\"kind\":\"role\",\"recorded_at\":\"2026-11-23T10:00:00.000Z\","
                              "\"recorded_later\":true,\"who\":\"l\"}");
    free(text);
    json_decref(j);
    lia_inc_entry_fini(&e);
    assert_int_equal(lia_inc_entry_from_row(6, "note", NOW, NOW, "l", 0, "[]", &e, &err), -1);
    assert_null(e.detail);
}

/* Text and list bounds: N - 1 and N accepted, N + 1 refused. */
static void test_bounds(void **state)
{
    (void)state;
    struct {
        const char *field;
        size_t max; /* bytes, or items for lists */
        bool list;
    } cases[] = {
        {"title", LIA_INC_TITLE_MAX - 1, false}, {"what", LIA_INC_TEXT_MAX - 1, false},
        {"who", LIA_INC_WHO_MAX - 1, false},     {"links", LIA_INC_MAX_LINKS, true},
        {"buckets", LIA_INC_MAX_CITES, true},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        for (size_t n = cases[i].max - 1; n <= cases[i].max + 1; n++) {
            json_t *value;
            if (cases[i].list) {
                value = json_array();
                for (size_t k = 0; k < n; k++) {
                    json_array_append_new(value, json_string("country:DE"));
                }
            } else {
                char *text = malloc(n + 1);
                assert_non_null(text);
                memset(text, 'x', n);
                text[n] = '\0';
                value = json_string(text);
                free(text);
            }
            json_t *b = body("{\"title\":\"t\",\"severity\":\"SEV3\",\"who\":\"w\","
                             "\"what\":\"x\",\"channel\":\"chat\"}");
            struct lia_inc_entry e;
            struct lia_err err;
            int rc;
            if (strcmp(cases[i].field, "buckets") == 0) {
                json_object_del(b, "title");
                json_object_del(b, "severity");
                json_object_set_new(b, "cites", json_pack("{s:o}", "buckets", value));
                rc = lia_inc_parse_decision(b, NOW, &e, &err);
            } else if (strcmp(cases[i].field, "what") == 0) {
                json_object_del(b, "title");
                json_object_del(b, "severity");
                json_object_set_new(b, "what", value);
                rc = lia_inc_parse_decision(b, NOW, &e, &err);
            } else {
                char esc[LIA_ESC_ID_MAX];
                json_object_del(b, "what");
                json_object_del(b, "channel");
                json_object_set_new(b, cases[i].field, value);
                rc = lia_inc_parse_open(b, NOW, &e, esc, &err);
            }
            assert_int_equal(rc, n <= cases[i].max ? 0 : -1);
            if (rc == 0) {
                lia_inc_entry_fini(&e);
            } else {
                assert_int_equal(err.code, LIA_E_INVALID_FIELD);
            }
            json_decref(b);
        }
    }
}

/* Alerts relate to an incident the way detection matches them to buckets. */
static void test_alert_covers(void **state)
{
    (void)state;
    struct lia_incident inc = {.nbuckets = 2};
    snprintf(inc.buckets[0], sizeof(inc.buckets[0]), "country:DE");
    snprintf(inc.buckets[1], sizeof(inc.buckets[1]), "app_version:ios 4.2.0");
    struct {
        const char *coverage;
        bool covers;
    } cases[] = {
        {"[]", true},
        {"[\"country:DE\"]", true},
        {"[\"region:emea\"]", true},
        {"[\"platform:ios\"]", true},
        {"[\"country:FR\", \"platform:android\"]", false},
        {"[\"bogus:x\"]", false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_t *c = body(cases[i].coverage);
        assert_int_equal(lia_incident_alert_covers(&inc, c, NULL), cases[i].covers);
        json_decref(c);
    }
}

static void test_utf8_trim(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"abc", "abc"},
        {"ab\xc3\xa4", "ab\xc3\xa4"},
        {"ab\xc3", "ab"},
        {"ab\xe2\x82", "ab"},
        {"ab\xe2\x82\xac", "ab\xe2\x82\xac"},
        {"ab\xf0\x9f\x98", "ab"},
        {"ab\xf0\x9f\x98\x80", "ab\xf0\x9f\x98\x80"},
        {"", ""},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char s[16];
        snprintf(s, sizeof(s), "%s", cases[i].in);
        lia_inc_utf8_trim(s);
        assert_string_equal(s, cases[i].out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_valid),
        cmocka_unit_test(test_decision_times),
        cmocka_unit_test(test_decision_invalid),
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_open_and_fold),
        cmocka_unit_test(test_patch_nothing),
        cmocka_unit_test(test_notes_and_corrections),
        cmocka_unit_test(test_entry_round_trip),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_alert_covers),
        cmocka_unit_test(test_utf8_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
