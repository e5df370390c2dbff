/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/roles_report.c: an incident run in shifts (a hand-off past the limit, a
 * relief request, a second role) as the report's JSON section and as Markdown, with escaping
 * of names and notes, an incident nobody held a role in, and a full buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "incident_entries.h"
#include "roles_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Liaisons hand off after 2h; the commander has a limit of 5h of its own. */
static struct lia_role_limit commander_5h = {.role = (char *)"commander", .limit_ms = 5 * HOUR_MS};
static const struct lia_roles_config limits = {
    .limit_ms = 2 * HOUR_MS, .limits = &commander_5h, .nlimits = 1};

/* ana is liaison from T0 and hands to ben at 2h30 (past the 2h limit); ben asks for relief at
 * 3h and hands to chloe at 3h10; dan commands throughout (within his 5h); the report is made at
 * 4h. */
static void shifts(struct entries *es)
{
    add_entry(es, "open", T0, "ana",
              "{\"title\":\"t\",\"severity\":\"SEV2\",\"commander\":\"dan\",\"liaison\":\"ana\"}");
    add_entry(es, "note", T0 + MIN_MS, "ana", "{\"type\":\"note\",\"text\":\"x\"}");
    add_entry(es, "role", T0 + 150 * MIN_MS, "dan",
              "{\"role\":\"liaison\",\"action\":\"handoff\",\"from\":\"ana\",\"to\":\"ben\","
              "\"note\":\"end of *shift* | go home\"}");
    add_entry(es, "role", T0 + 180 * MIN_MS, "ben",
              "{\"role\":\"liaison\",\"action\":\"relief\",\"holder\":\"ben\",\"note\":\"need a "
              "break\"}");
    add_entry(es, "role", T0 + 190 * MIN_MS, "dan",
              "{\"role\":\"liaison\",\"action\":\"handoff\",\"from\":\"ben\",\"to\":\"chloe\"}");
}

static void test_json(void **state)
{
    (void)state;
    struct entries es = {0};
    shifts(&es);
    json_t *section = lia_roles_report_json(es.e, es.n, &limits, T0 + 4 * HOUR_MS);
    char *text = json_dumps(section, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(
        text,
        "{\"limit_seconds\":7200,"
        "\"recognition\":\"Thanks to dan, ana, ben and chloe, who carried this incident in "
        "shifts.\","
        "\"relief_requests\":[{\"at\":\"2026-11-23T13:00:00.000Z\",\"by\":\"ben\",\"holder\":"
        "\"ben\",\"note\":\"need a break\",\"role\":\"liaison\"}],"
        "\"role_limits\":{\"commander\":18000},"
        "\"shifts\":[{\"at\":\"2026-11-23T10:00:00.000Z\",\"by\":\"ana\",\"from\":null,\"note\":"
        "null,\"role\":\"commander\",\"to\":\"dan\"},"
        "{\"at\":\"2026-11-23T10:00:00.000Z\",\"by\":\"ana\",\"from\":null,\"note\":null,"
        "\"role\":\"liaison\",\"to\":\"ana\"},"
        "{\"at\":\"2026-11-23T12:30:00.000Z\",\"by\":\"dan\",\"from\":\"ana\",\"note\":\"end of "
        "*shift* | go home\",\"role\":\"liaison\",\"to\":\"ben\"},"
        "{\"at\":\"2026-11-23T13:10:00.000Z\",\"by\":\"dan\",\"from\":\"ben\",\"note\":null,"
        "\"role\":\"liaison\",\"to\":\"chloe\"}],"
        "\"stints\":[{\"from\":\"2026-11-23T10:00:00.000Z\",\"past_limit\":false,\"person\":"
        "\"dan\",\"relief_requested\":false,\"role\":\"commander\",\"seconds\":14400,\"to\":null},"
        "{\"from\":\"2026-11-23T10:00:00.000Z\",\"past_limit\":true,\"person\":\"ana\","
        "\"relief_requested\":false,\"role\":\"liaison\",\"seconds\":9000,\"to\":"
        "\"2026-11-23T12:30:00.000Z\"},"
        "{\"from\":\"2026-11-23T12:30:00.000Z\",\"past_limit\":false,\"person\":\"ben\","
        "\"relief_requested\":true,\"role\":\"liaison\",\"seconds\":2400,\"to\":"
        "\"2026-11-23T13:10:00.000Z\"},"
        "{\"from\":\"2026-11-23T13:10:00.000Z\",\"past_limit\":false,\"person\":\"chloe\","
        "\"relief_requested\":false,\"role\":\"liaison\",\"seconds\":3000,\"to\":null}],"
        "\"stints_past_limit\":1,"
        "\"time_in_role\":[{\"person\":\"dan\",\"roles\":[\"commander\"],\"seconds\":14400},"
        "{\"person\":\"ana\",\"roles\":[\"liaison\"],\"seconds\":9000},"
        "{\"person\":\"chloe\",\"roles\":[\"liaison\"],\"seconds\":3000},"
        "{\"person\":\"ben\",\"roles\":[\"liaison\"],\"seconds\":2400}]}");
    free(text);
    json_decref(section);
    entries_fini(&es);
}

static void test_markdown(void **state)
{
    (void)state;
    struct entries es = {0};
    struct lia_buf md;
    struct lia_err err;
    shifts(&es);
    json_t *section = lia_roles_report_json(es.e, es.n, &limits, T0 + 4 * HOUR_MS);
    lia_buf_init(&md, 64 * 1024);
    assert_int_equal(lia_roles_report_markdown(section, &md, &err), 0);
    assert_string_equal(
        lia_buf_str(&md),
        "## Role shifts\n\n"
        "### Hand-offs\n\n"
        "| When | Role | From | To | Recorded by | Note |\n|---|---|---|---|---|---|\n"
        "| 2026-11-23 10:00 UTC | commander | (first holder) | dan | ana |  |\n"
        "| 2026-11-23 10:00 UTC | liaison | (first holder) | ana | ana |  |\n"
        "| 2026-11-23 12:30 UTC | liaison | ana | ben | dan | end of \\*shift\\* \\| go home |\n"
        "| 2026-11-23 13:10 UTC | liaison | ben | chloe | dan |  |\n\n"
        "Relief requests (asking for a hand-off is part of the job):\n\n"
        "- 2026-11-23 13:00 UTC: ben asked to hand off liaison (need a break)\n\n"
        "### Stints\n\n| Role | Person | From | To | Time | |\n|---|---|---|---|---|---|\n"
        "| commander | dan | 2026-11-23 10:00 UTC | still held | 4h 00m |  |\n"
        "| liaison | ana | 2026-11-23 10:00 UTC | 2026-11-23 12:30 UTC | 2h 30m | **past the "
        "limit** |\n"
        "| liaison | ben | 2026-11-23 12:30 UTC | 2026-11-23 13:10 UTC | 40m |  |\n"
        "| liaison | chloe | 2026-11-23 13:10 UTC | still held | 50m |  |\n\n"
        "### Time in role\n\n| Person | Time | Roles |\n|---|---|---|\n"
        "| dan | 4h 00m | commander |\n"
        "| ana | 2h 30m | liaison |\n"
        "| chloe | 50m | liaison |\n"
        "| ben | 40m | liaison |\n\n"
        "Limit per stint: 2h 00m, commander 5h 00m; 1 stint ran past it.\n\n"
        "Thanks to dan, ana, ben and chloe, who carried this incident in shifts.\n\n");
    lia_buf_fini(&md);

    /* A buffer too small for the section. */
    lia_buf_init(&md, 64);
    assert_int_equal(lia_roles_report_markdown(section, &md, &err), -1);
    assert_int_equal(err.code, LIA_E_TOO_LARGE);
    lia_buf_fini(&md);
    json_decref(section);
    entries_fini(&es);
}

static void test_nobody(void **state)
{
    (void)state;
    struct entries es = {0};
    struct lia_buf md;
    struct lia_err err;
    add_entry(&es, "open", T0, "ops", "{\"title\":\"t\",\"severity\":\"SEV4\"}");
    json_t *section = lia_roles_report_json(
        es.e, es.n, &(struct lia_roles_config){.limit_ms = 2 * HOUR_MS}, T0 + HOUR_MS);
    assert_true(json_is_null(json_object_get(section, "recognition")));
    assert_int_equal(json_array_size(json_object_get(section, "stints")), 0);
    lia_buf_init(&md, 4096);
    assert_int_equal(lia_roles_report_markdown(section, &md, &err), 0);
    assert_string_equal(lia_buf_str(&md), "## Role shifts\n\n### Hand-offs\n\nNo role was "
                                          "assigned.\n\nLimit per stint: 2h 00m; no stint ran "
                                          "past it.\n\n");
    lia_buf_fini(&md);
    json_decref(section);
    entries_fini(&es);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_nobody),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
