/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/incident_report.c and lib/incident_status.c: a fixed incident rendered as
 * JSON and Markdown and compared with reviewed golden files in tests/fixtures/report/ (set
 * LIAISON_UPDATE_GOLDEN=1 to rewrite them, then review the diff); Markdown escaping of user
 * text; a full buffer; the stakeholder status and its templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "incident_report.h"
#include "incident_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_MS       INT64_C(60000)
#define T0           INT64_C(1795428000000) /* 2026-11-23T10:00:00Z */

/* The incident every test renders: declared at T0 + 12 min from an escalation first seen at
 * T0 + 5 min, monitoring alerting at T0 + 9 min. */
struct fixture {
    struct lia_incident inc;
    struct lia_inc_entry entries[8];
    size_t nentries;
    struct lia_tl_item items[16];
    size_t nitems;
    struct lia_sla_risk sla;
    struct lia_volume volume[2];
};

static void add_entry(struct fixture *f, const char *kind, int64_t at, int64_t recorded,
                      const char *who, int64_t corrects, const char *detail)
{
    struct lia_err err;
    struct lia_inc_entry *e = &f->entries[f->nentries];
    assert_int_equal(lia_inc_entry_from_row((int64_t)f->nentries + 1, kind, at, recorded, who,
                                            corrects, detail, e, &err),
                     0);
    lia_incident_apply(&f->inc, e);
    f->nentries++;
}

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->inc.id = 42;
    add_entry(f, "open", T0 + 12 * MIN_MS, T0 + 12 * MIN_MS, "liaison@example.com", 0,
              "{\"title\":\"Checkout failing | DE *and* AT\",\"severity\":\"SEV2\","
              "\"commander\":\"ic@example.com\",\"liaison\":\"liaison@example.com\","
              "\"links\":[\"https://status.example.com/inc/42\"]}");
    add_entry(
        f, "escalation", T0 + 12 * MIN_MS, T0 + 12 * MIN_MS, "liaison@example.com", 0,
        "{\"escalation\":\"esc-20261123T1005-1\",\"reason\":\"unseen\",\"first_seen\":"
        "\"2026-11-23T10:05:00.000Z\",\"buckets\":[\"country:DE\",\"app_version:ios 4.2.0\"]}");
    add_entry(f, "decision", T0 + 14 * MIN_MS, T0 + 14 * MIN_MS, "ic@example.com", 0,
              "{\"what\":\"Roll back checkout 4.2\",\"why\":\"tickets started with the "
              "release\",\"channel\":\"incident-call\",\"cites\":{\"buckets\":[\"country:DE\"],"
              "\"escalations\":[\"esc-20261123T1005-1\"],\"tickets\":[]}}");
    add_entry(f, "decision", T0 + 13 * MIN_MS, T0 + 40 * MIN_MS, "liaison@example.com", 0,
              "{\"what\":\"Tell premium accounts first\",\"channel\":\"in-person\",\"cites\":"
              "{\"buckets\":[],\"escalations\":[],\"tickets\":[]}}");
    add_entry(f, "decision", T0 + 20 * MIN_MS, T0 + 20 * MIN_MS, "ic@example.com", 3,
              "{\"what\":\"Roll back 4.2 and 4.1\",\"channel\":\"incident-call\",\"cites\":"
              "{\"buckets\":[],\"escalations\":[],\"tickets\":[]}}");
    add_entry(f, "status", T0 + 45 * MIN_MS, T0 + 45 * MIN_MS, "ic@example.com", 0,
              "{\"from\":\"open\",\"to\":\"closed\"}");
    add_entry(f, "note", T0 + 50 * MIN_MS, T0 + 50 * MIN_MS, "liaison@example.com", 0,
              "{\"type\":\"went-well\",\"text\":\"Support flagged it 4 minutes before "
              "monitoring\"}");
    add_entry(f, "note", T0 + 51 * MIN_MS, T0 + 51 * MIN_MS, "liaison@example.com", 0,
              "{\"type\":\"went-wrong\",\"text\":\"No alert covered <checkout> in DE\"}");
    lia_timeline_from_entries(f->entries, f->nentries, f->items);
    f->nitems = f->nentries;
    lia_timeline_escalation(1, T0 + 5 * MIN_MS, "esc-20261123T1005-1", "open", "unseen", "none",
                            "SEV3", &f->items[f->nitems++]);
    lia_timeline_alert(1, T0 + 9 * MIN_MS, "a1b2", "CheckoutErrors", "firing",
                       &f->items[f->nitems++]);
    lia_timeline_alert(2, T0 + 30 * MIN_MS, "a1b2", "CheckoutErrors", "resolved",
                       &f->items[f->nitems++]);

    snprintf(f->volume[0].bucket, sizeof(f->volume[0].bucket), "country:DE");
    lia_volume_add(&f->volume[0], T0 + 3 * MIN_MS, 2);
    lia_volume_add(&f->volume[0], T0 + 4 * MIN_MS, 9);
    lia_volume_add(&f->volume[0], T0 + 5 * MIN_MS, 4);
    snprintf(f->volume[1].bucket, sizeof(f->volume[1].bucket), "app_version:ios 4.2.0");
    lia_volume_add(&f->volume[1], T0 + 4 * MIN_MS, 3);
    for (size_t i = 0; i < 2; i++) {
        lia_timeline_volume(f->volume[i].first_ms, f->volume[i].bucket, "first", 0,
                            &f->items[f->nitems++]);
        lia_timeline_volume(f->volume[i].peak_minute_ms, f->volume[i].bucket, "peak",
                            f->volume[i].peak, &f->items[f->nitems++]);
    }
    lia_timeline_sort(f->items, f->nitems);

    struct lia_sla_account *a = calloc(3, sizeof(*a));
    assert_non_null(a);
    const struct {
        const char *id, *name, *tier;
        long sla;
        double up;
        int64_t first;
        int tickets;
    } rows[] = {
        {"204518", "Kranich GmbH", "premium", 30, 99.95, T0 + 3 * MIN_MS, 3},
        {"100200", "", "", -1, -1, T0 + 4 * MIN_MS, 1},
        {"300007", "Otter | Co", "gold", 60, 99.9, T0 + 4 * MIN_MS, 2},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        snprintf(a[i].account_id, sizeof(a[i].account_id), "%s", rows[i].id);
        snprintf(a[i].name, sizeof(a[i].name), "%s", rows[i].name);
        snprintf(a[i].tier, sizeof(a[i].tier), "%s", rows[i].tier);
        a[i].sla_response_minutes = rows[i].sla;
        a[i].uptime_sla = rows[i].up;
        a[i].first_ms = rows[i].first;
        a[i].last_ms = rows[i].first + MIN_MS;
        a[i].tickets = rows[i].tickets;
    }
    lia_sla_risk_group(a, ARRAY_LEN(rows), "premium,enterprise", f->inc.closed_ms, &f->sla);
}

static void fixture_fini(struct fixture *f)
{
    for (size_t i = 0; i < f->nentries; i++) {
        lia_inc_entry_fini(&f->entries[i]);
    }
    lia_sla_risk_fini(&f->sla);
}

static json_t *report(const struct fixture *f)
{
    struct lia_report_input in = {.inc = &f->inc,
                                  .entries = f->entries,
                                  .nentries = f->nentries,
                                  .timeline = f->items,
                                  .ntimeline = f->nitems,
                                  .sla = &f->sla,
                                  .volume = f->volume,
                                  .nvolume = 2,
                                  .diverged_ms = T0 + 5 * MIN_MS,
                                  .alerted_ms = T0 + 9 * MIN_MS,
                                  .as_of_ms = T0 + 60 * MIN_MS};
    return lia_incident_report_json(&in);
}

/* Compares text with the golden file name, or rewrites it when LIAISON_UPDATE_GOLDEN=1. */
static void golden(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/report/%s", LIAISON_FIXTURES, name);
    const char *update = getenv("LIAISON_UPDATE_GOLDEN");
    if (update != NULL && strcmp(update, "1") == 0) {
        FILE *out = fopen(path, "wb");
        assert_non_null(out);
        fputs(text, out);
        fclose(out);
    }
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        fail_msg("%s is missing", path);
    }
    static char want[64 * 1024];
    size_t n = fread(want, 1, sizeof(want) - 1, in);
    fclose(in);
    want[n] = '\0';
    if (strcmp(want, text) != 0) {
        fprintf(stderr, "--- got ---\n%s--- end ---\n", text);
        fail_msg("output differs from %s", path);
    }
}

static void test_report_json_golden(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    json_t *j = report(&f);
    char *text = json_dumps(j, JSON_INDENT(2));
    size_t len = strlen(text);
    char *with_newline = malloc(len + 2);
    assert_non_null(with_newline);
    memcpy(with_newline, text, len);
    memcpy(with_newline + len, "\n", 2);
    golden("report.json", with_newline);
    free(with_newline);
    free(text);
    /* Facts the golden file must hold, stated here as well so a careless update is caught. */
    const json_t *det = json_object_get(j, "detection");
    assert_int_equal(json_integer_value(json_object_get(det, "lead_over_monitoring_minutes")), 4);
    assert_int_equal(json_integer_value(json_object_get(det, "lead_over_declaration_minutes")), 7);
    assert_string_equal(json_string_value(json_object_get(det, "first_ticket")),
                        "2026-11-23T10:03:00.000Z");
    assert_int_equal(json_integer_value(json_object_get(j, "decisions_recorded_later")), 1);
    json_decref(j);
    fixture_fini(&f);
}

static void test_report_markdown_golden(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    json_t *j = report(&f);
    struct lia_buf md;
    struct lia_err err;
    lia_buf_init(&md, 1 << 20);
    assert_int_equal(lia_incident_report_markdown(j, &md, &err), 0);
    golden("report.md", lia_buf_str(&md));
    /* User text cannot break the table or start markup. */
    assert_non_null(
        strstr(lia_buf_str(&md), "# Incident 42: Checkout failing \\| DE \\*and\\* AT\n"));
    assert_non_null(strstr(lia_buf_str(&md), "No alert covered \\<checkout\\> in DE"));
    assert_non_null(strstr(lia_buf_str(&md), "| 300007 | Otter \\| Co |"));

    /* A buffer too small is an error, not a cut report. */
    struct lia_buf small;
    lia_buf_init(&small, 100);
    assert_int_equal(lia_incident_report_markdown(j, &small, &err), -1);
    assert_int_equal(err.code, LIA_E_TOO_LARGE);
    lia_buf_fini(&small);
    lia_buf_fini(&md);
    json_decref(j);
    fixture_fini(&f);
}

static json_t *status(const struct fixture *f, int64_t now)
{
    struct lia_status_input in = {.inc = &f->inc,
                                  .sla = &f->sla,
                                  .last_decision = &f->entries[4],
                                  .since_ms = T0 + 5 * MIN_MS,
                                  .update_interval_ms = 30 * MIN_MS,
                                  .now_ms = now};
    return lia_incident_status_json(&in);
}

static void test_status(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    /* Reopened for the status: the next update is due on the half hour after the opening. */
    f.inc.status = LIA_INC_OPEN;
    json_t *s = status(&f, T0 + 43 * MIN_MS);
    struct lia_buf text;
    struct lia_err err;
    lia_buf_init(&text, 4096);
    assert_int_equal(lia_status_render(lia_status_default_template, s, &text, &err), 0);
    assert_string_equal(lia_buf_str(&text),
                        "[SEV2] Incident 42: Checkout failing | DE *and* AT (open)\n"
                        "Affected: country:DE, app_version:ios 4.2.0, since 2026-11-23 10:05 UTC.\n"
                        "Customers: 3 accounts (premium 1, gold 1, no tier 1); 1 in premium "
                        "tiers.\n"
                        "Last decision: Roll back 4.2 and 4.1 (incident-call, 2026-11-23 10:20 "
                        "UTC, by ic@example.com)\n"
                        "Next update: 2026-11-23 11:12 UTC\n");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(s, "customers_by_tier"), "premium")), 1);
    json_decref(s);

    /* An operator's template, with literal braces; closed incidents promise no update. */
    f.inc.status = LIA_INC_CLOSED;
    s = status(&f, T0 + 43 * MIN_MS);
    lia_buf_reset(&text);
    assert_int_equal(lia_status_render("{{{severity}}} {customers} customers; next: {next_update}",
                                       s, &text, &err),
                     0);
    assert_string_equal(lia_buf_str(&text),
                        "{SEV2} 3 customers; next: none, the incident is closed");
    json_decref(s);
    lia_buf_fini(&text);
    fixture_fini(&f);
}

static void test_status_template_check(void **state)
{
    (void)state;
    const struct {
        const char *tpl;
        int rc;
    } cases[] = {
        {"", 0},        {"plain text", 0}, {"{title} {{x}}", 0}, {"{titel}", -1},
        {"{title", -1}, {"a } b", -1},     {"{}", -1},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct lia_err err;
        assert_int_equal(lia_status_template_check(cases[i].tpl, &err), cases[i].rc);
        if (cases[i].rc != 0) {
            assert_int_equal(err.code, LIA_E_CONFIG);
        }
    }
    struct lia_err err;
    assert_int_equal(lia_status_template_check(lia_status_default_template, &err), 0);
}

/* The template is checked when the configuration is: check-config names the key. */
static void test_status_template_config(void **state)
{
    (void)state;
    static const char good[] = "incident:\n  status_template: |\n    {severity}: {title}\n";
    static const char bad[] = "incident:\n  status_template: \"{severity} {owner}\"\n";
    struct lia_errlist errs = {0};
    struct lia_config *cfg = lia_config_parse(good, sizeof(good) - 1, "t.yaml", &errs);
    assert_non_null(cfg);
    assert_string_equal(cfg->incident.status_template, "{severity}: {title}\n");
    assert_int_equal(lia_config_validate(cfg, &errs), 0);
    lia_config_free(cfg);
    cfg = lia_config_parse(bad, sizeof(bad) - 1, "t.yaml", &errs);
    assert_non_null(cfg);
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_int_equal(errs.n, 1);
    assert_string_equal(errs.items[0].path, "incident.status_template");
    assert_non_null(strstr(errs.items[0].msg, "unknown placeholder at byte 11"));
    lia_config_free(cfg);
    lia_errlist_fini(&errs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_json_golden),
        cmocka_unit_test(test_report_markdown_golden),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_status_template_check),
        cmocka_unit_test(test_status_template_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
