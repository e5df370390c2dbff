/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/incident_timeline.c: ordering by time with equal timestamps resolved by
 * source, sequence and input position; decisions recorded later placed at their own time and
 * flagged; corrections linked to what they correct; summaries cut on a UTF-8 boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "incident_timeline.h"

#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_MS       INT64_C(60000)
#define NOW          INT64_C(1795428000000) /* 2026-11-23T10:00:00Z */

static void entry(struct lia_inc_entry *e, int64_t id, const char *kind, int64_t at_ms,
                  int64_t recorded_ms, int64_t corrects, const char *detail)
{
    struct lia_err err;
    assert_int_equal(
        lia_inc_entry_from_row(id, kind, at_ms, recorded_ms, "ic", corrects, detail, e, &err), 0);
}

static void test_equal_timestamps(void **state)
{
    (void)state;
    struct lia_tl_item items[6];
    /* Given out of order; three share one time. */
    lia_timeline_alert(2, NOW, "fp-b", "B", "firing", &items[0]);
    lia_timeline_escalation(9, NOW, "esc-1", "open", "unseen", "none", "SEV3", &items[1]);
    lia_timeline_alert(1, NOW, "fp-a", "A", "firing", &items[2]);
    lia_timeline_volume(NOW, "country:DE", "first", 0, &items[3]);
    lia_timeline_alert(1, NOW - MIN_MS, "fp-a", "A", "resolved", &items[4]);
    lia_timeline_alert(1, NOW, "fp-a", "A", "firing", &items[5]); /* same key as [2] */
    snprintf(items[5].text, sizeof(items[5].text), "second copy");
    lia_timeline_sort(items, ARRAY_LEN(items));
    const char *want[] = {"Alert A (fp-a) resolved", "First ticket in country:DE",
                          "Alert A (fp-a) firing",   "second copy",
                          "Alert B (fp-b) firing",   "Escalation esc-1 opened: unseen, SEV3"};
    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        assert_string_equal(items[i].text, want[i]);
    }
}

/* Sorting twice, or sorting a shuffled copy, gives the same order. */
static void test_sort_is_deterministic(void **state)
{
    (void)state;
    struct lia_tl_item a[8], b[8];
    for (int i = 0; i < 8; i++) {
        lia_timeline_alert(i % 3, NOW + (i % 2) * MIN_MS, "fp", "A", "firing", &a[i]);
        snprintf(a[i].text, sizeof(a[i].text), "item %d", i);
    }
    for (int i = 0; i < 8; i++) {
        b[i] = a[i];
    }
    lia_timeline_sort(a, 8);
    lia_timeline_sort(b, 8);
    lia_timeline_sort(b, 8);
    for (int i = 0; i < 8; i++) {
        assert_string_equal(a[i].text, b[i].text);
    }
    /* Equal keys keep their input order: items 0 and 6 (seq 0, first minute). */
    assert_string_equal(a[0].text, "item 0");
    assert_string_equal(a[1].text, "item 6");
}

static void test_entries(void **state)
{
    (void)state;
    struct lia_inc_entry e[5];
    entry(&e[0], 1, "open", NOW - 30 * MIN_MS, NOW - 30 * MIN_MS, 0,
          "{\"title\":\"Checkout\",\"severity\":\"SEV2\"}");
    entry(&e[1], 2, "decision", NOW - 10 * MIN_MS, NOW - 10 * MIN_MS, 0,
          "{\"what\":\"Roll back\",\"why\":\"release\",\"channel\":\"incident-call\"}");
    /* Taken 25 minutes ago, written down now. */
    entry(&e[2], 3, "decision", NOW - 25 * MIN_MS, NOW, 0,
          "{\"what\":\"Page payments\",\"channel\":\"in-person\"}");
    entry(&e[3], 4, "decision", NOW, NOW, 2,
          "{\"what\":\"Roll back 4.1 too\",\"channel\":\"incident-call\"}");
    entry(&e[4], 5, "severity", NOW, NOW, 0, "{\"from\":\"SEV2\",\"to\":\"SEV1\"}");
    struct lia_tl_item items[5];
    lia_timeline_from_entries(e, 5, items);
    lia_timeline_sort(items, 5);
    assert_int_equal(items[0].entry_id, 1);
    assert_int_equal(items[1].entry_id, 3); /* at its own time, before decision 2 */
    assert_true(items[1].recorded_later);
    assert_string_equal(items[1].text, "Decision (in-person): Page payments");
    assert_int_equal(items[2].entry_id, 2);
    assert_false(items[2].recorded_later);
    assert_int_equal(items[2].corrected_by, 4);
    assert_string_equal(items[2].text, "Decision (incident-call): Roll back Why: release");
    assert_int_equal(items[3].entry_id, 4); /* equal times: entry order */
    assert_string_equal(items[3].text,
                        "Correction of #2: Decision (incident-call): Roll back 4.1 too");
    assert_string_equal(items[4].text, "Severity changed from SEV2 to SEV1");

    json_t *j = lia_timeline_json(items, 2);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(
        text, "[{\"at\":\"2026-11-23T09:30:00.000Z\",\"source\":\"entry\",\"kind\":\"open\","
              "\"who\":\"ic\",\"text\":\"Incident declared: Checkout (SEV2)\",\"entry\":1,"
              "\"recorded_later\":false,\"corrects\":null,\"corrected_by\":null},"
              "{\"at\":\"2026-11-23T09:35:00.000Z\",\"source\":\"entry\",\"kind\":\"decision\","
              "\"who\":\"ic\",\"text\":\"Decision (in-person): Page payments\",\"entry\":3,"
              "\"recorded_later\":true,\"corrects\":null,\"corrected_by\":null}]");
    free(text);
    json_decref(j);
    for (size_t i = 0; i < ARRAY_LEN(e); i++) {
        lia_inc_entry_fini(&e[i]);
    }
}

/* A summary longer than the item holds is cut before a partial UTF-8 character. */
static void test_long_text_stays_utf8(void **state)
{
    (void)state;
    char detail[LIA_TL_TEXT_MAX * 3];
    size_t used = (size_t)snprintf(detail, sizeof(detail), "{\"what\":\"");
    for (int i = 0; i < 300; i++) {
        used += (size_t)snprintf(detail + used, sizeof(detail) - used, "\xc3\xa4");
    }
    snprintf(detail + used, sizeof(detail) - used, "\",\"channel\":\"chat\"}");
    struct lia_inc_entry e;
    entry(&e, 1, "decision", NOW, NOW, 0, detail);
    struct lia_tl_item item;
    lia_timeline_from_entries(&e, 1, &item);
    size_t len = strlen(item.text);
    assert_true(len < LIA_TL_TEXT_MAX);
    assert_true(len > LIA_TL_TEXT_MAX - 4);
    json_t *s = json_string(item.text);
    assert_non_null(s); /* jansson refuses invalid UTF-8 */
    json_decref(s);
    lia_inc_entry_fini(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_timestamps),
        cmocka_unit_test(test_sort_is_deterministic),
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_long_text_stays_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
