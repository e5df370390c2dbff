/* SPDX-License-Identifier: MIT */
/* Fuzzes the incident workspace's request bodies: every input is read as JSON and offered to
 * each parser (open, patch, decision, note, attach). Checked: a failure has a valid error and
 * leaves no entry behind; an entry has a kind, a who and an object detail, is not dated after
 * now plus the clock-skew allowance, folds into an incident without harm, and renders as
 * timeline JSON, status text and a Markdown report. */
#include "invariants.h"

#include "incident.h"
#include "incident_report.h"
#include "incident_status.h"
#include "incident_timeline.h"
#include "jsonutil.h"

#include <string.h>

#define NOW_MS 1795428000000LL /* 2026-11-23T10:00:00Z */

static void check_entry(const struct lia_inc_entry *e, struct lia_incident *inc)
{
    if (e->kind[0] == '\0' || e->who[0] == '\0' || !json_is_object(e->detail)) {
        fuzz_fail("entry without kind, who or detail");
    }
    if (e->at_ms > NOW_MS + LIA_INC_CLOCK_SKEW_MS || e->recorded_ms != NOW_MS) {
        fuzz_fail("entry dated %lld, recorded %lld", (long long)e->at_ms,
                  (long long)e->recorded_ms);
    }
    lia_incident_apply(inc, e);
    struct lia_tl_item item;
    lia_timeline_from_entries(e, 1, &item);
    json_t *tl = lia_timeline_json(&item, 1);
    json_t *ej = lia_inc_entry_json(e);
    if (json_array_size(tl) != 1 || ej == NULL) {
        fuzz_fail("entry %s does not render as JSON", e->kind);
    }
    json_decref(ej);
    json_decref(tl);

    struct lia_sla_risk sla;
    lia_sla_risk_group(NULL, 0, "premium", NOW_MS, &sla);
    struct lia_status_input sin = {.inc = inc,
                                   .sla = &sla,
                                   .last_decision = strcmp(e->kind, "decision") == 0 ? e : NULL,
                                   .update_interval_ms = 60000,
                                   .now_ms = NOW_MS};
    json_t *status = lia_incident_status_json(&sin);
    struct lia_buf text;
    struct lia_err err;
    lia_buf_init(&text, 1 << 16);
    if (status == NULL ||
        lia_status_render(lia_status_default_template, status, &text, &err) != 0) {
        fuzz_fail("status of entry %s does not render", e->kind);
    }
    struct lia_report_input rin = {.inc = inc,
                                   .entries = e,
                                   .nentries = 1,
                                   .timeline = &item,
                                   .ntimeline = 1,
                                   .sla = &sla,
                                   .as_of_ms = NOW_MS};
    json_t *report = lia_incident_report_json(&rin);
    struct lia_buf md;
    lia_buf_init(&md, 1 << 20);
    if (report == NULL || lia_incident_report_markdown(report, &md, &err) != 0) {
        fuzz_fail("report of entry %s does not render", e->kind);
    }
    lia_buf_fini(&md);
    lia_buf_fini(&text);
    json_decref(report);
    json_decref(status);
    lia_sla_risk_fini(&sla);
}

static void check_result(int rc, struct lia_inc_entry *e, struct lia_incident *inc,
                         const struct lia_err *err, const char *call)
{
    if (rc != 0) {
        fuzz_check_err(err, call);
        if (e->detail != NULL) {
            fuzz_fail("%s failed but left a detail", call);
        }
        return;
    }
    check_entry(e, inc);
    lia_inc_entry_fini(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lia_err err;
    json_t *body = lia_json_load((const char *)data, size, 8, &err);
    if (body == NULL) {
        fuzz_check_err(&err, "lia_json_load");
        return 0;
    }
    struct lia_incident inc = {.id = 1, .severity = LIA_SEV3, .opened_ms = NOW_MS - 60000};
    struct lia_inc_entry e;
    char esc[LIA_ESC_ID_MAX], who[LIA_INC_WHO_MAX];

    int rc = lia_inc_parse_open(body, NOW_MS, &e, esc, &err);
    if (rc == 0 && strnlen(esc, sizeof(esc)) == sizeof(esc)) {
        fuzz_fail("escalation id unterminated");
    }
    check_result(rc, &e, &inc, &err, "lia_inc_parse_open");
    check_result(lia_inc_parse_decision(body, NOW_MS, &e, &err), &e, &inc, &err,
                 "lia_inc_parse_decision");
    check_result(lia_inc_parse_note(body, NOW_MS, &e, &err), &e, &inc, &err, "lia_inc_parse_note");

    struct lia_inc_entry changes[2];
    size_t n = 0;
    if (lia_inc_parse_patch(body, &inc, NOW_MS, changes, &n, &err) != 0) {
        fuzz_check_err(&err, "lia_inc_parse_patch");
        if (n != 0) {
            fuzz_fail("lia_inc_parse_patch failed with %zu entries", n);
        }
    }
    for (size_t i = 0; i < n; i++) {
        check_entry(&changes[i], &inc);
        lia_inc_entry_fini(&changes[i]);
    }
    if (lia_inc_parse_attach(body, who, esc, &err) == 0) {
        lia_inc_escalation_entry(who, NOW_MS, esc, body, &e);
        check_entry(&e, &inc);
        lia_inc_entry_fini(&e);
    } else {
        fuzz_check_err(&err, "lia_inc_parse_attach");
    }
    json_decref(body);
    return 0;
}
