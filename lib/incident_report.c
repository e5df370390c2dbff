/* SPDX-License-Identifier: MIT */
#include "incident_report.h"
#include "jsonutil.h"

#include "markdown.h"
#include "roles_report.h"
#include "timeutil.h"

#include <stdbool.h>
#include <string.h>

void lia_volume_add(struct lia_volume *v, int64_t minute_ms, int64_t tickets)
{
    v->tickets += tickets;
    if (tickets > 0 && (v->first_ms == 0 || minute_ms < v->first_ms)) {
        v->first_ms = minute_ms;
    }
    if (tickets > v->peak) {
        v->peak = tickets;
        v->peak_minute_ms = minute_ms;
    }
}

/* Whole minutes from a to b, null when either is unknown. */
static json_t *lead_minutes(int64_t a, int64_t b)
{
    return a == 0 || b == 0 ? json_null() : json_integer((json_int_t)((b - a) / 60000));
}

static json_t *detection_json(const struct lia_report_input *in)
{
    int64_t first_ticket = 0;
    for (size_t i = 0; i < in->nvolume; i++) {
        int64_t f = in->volume[i].first_ms;
        if (f != 0 && (first_ticket == 0 || f < first_ticket)) {
            first_ticket = f;
        }
    }
    int64_t declared = in->inc->opened_ms;
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o}", "first_ticket", lia_json_time_or_null(first_ticket),
        "tickets_diverged", lia_json_time_or_null(in->diverged_ms), "monitoring_alerted",
        lia_json_time_or_null(in->alerted_ms), "declared", lia_json_time_or_null(declared),
        "lead_over_monitoring_minutes", lead_minutes(in->diverged_ms, in->alerted_ms),
        "lead_over_declaration_minutes", lead_minutes(in->diverged_ms, declared));
}

/* The id of the newest entry correcting entry id, or 0. */
static int64_t corrected_by(const struct lia_report_input *in, int64_t id)
{
    int64_t by = 0;
    for (size_t i = 0; i < in->nentries; i++) {
        if (in->entries[i].corrects == id && in->entries[i].id > by) {
            by = in->entries[i].id;
        }
    }
    return by;
}

static json_t *id_or_null(int64_t id)
{
    return id != 0 ? json_integer((json_int_t)id) : json_null();
}

static json_t *decision_json(const struct lia_report_input *in, const struct lia_inc_entry *e)
{
    char at[LIA_TIME_STR_LEN], rec[LIA_TIME_STR_LEN];
    const json_t *d = e->detail;
    return json_pack("{s:I, s:s, s:s, s:b, s:s, s:O, s:O, s:O, s:O, s:o, s:o}", "id",
                     (json_int_t)e->id, "at", lia_time_format(e->at_ms, at), "recorded_at",
                     lia_time_format(e->recorded_ms, rec), "recorded_later",
                     lia_inc_entry_recorded_later(e), "who", e->who, "channel",
                     json_object_get(d, "channel"), "what", json_object_get(d, "what"), "why",
                     json_object_get(d, "why") != NULL ? json_object_get(d, "why") : json_null(),
                     "cites", json_object_get(d, "cites"), "corrects", id_or_null(e->corrects),
                     "corrected_by", id_or_null(corrected_by(in, e->id)));
}

json_t *lia_incident_report_json(const struct lia_report_input *in)
{
    json_t *decisions = json_array();
    json_t *well = json_array(), *wrong = json_array(), *other = json_array();
    size_t later = 0;
    for (size_t i = 0; i < in->nentries; i++) {
        const struct lia_inc_entry *e = &in->entries[i];
        if (strcmp(e->kind, "decision") == 0) {
            json_array_append_new(decisions, decision_json(in, e));
            later += lia_inc_entry_recorded_later(e) && corrected_by(in, e->id) == 0;
        } else if (strcmp(e->kind, "note") == 0 && corrected_by(in, e->id) == 0) {
            const char *type = json_string_value(json_object_get(e->detail, "type"));
            json_t *list = type == NULL                      ? other
                           : strcmp(type, "went-well") == 0  ? well
                           : strcmp(type, "went-wrong") == 0 ? wrong
                                                             : other;
            char at[LIA_TIME_STR_LEN];
            json_array_append_new(list,
                                  json_pack("{s:I, s:s, s:s, s:O, s:o}", "id", (json_int_t)e->id,
                                            "at", lia_time_format(e->at_ms, at), "who", e->who,
                                            "text", json_object_get(e->detail, "text"), "corrects",
                                            id_or_null(e->corrects)));
        }
    }
    json_t *volume = json_array();
    for (size_t i = 0; i < in->nvolume; i++) {
        const struct lia_volume *v = &in->volume[i];
        json_array_append_new(volume, json_pack("{s:s, s:I, s:o, s:o, s:I}", "bucket", v->bucket,
                                                "tickets", (json_int_t)v->tickets, "first_ticket",
                                                lia_json_time_or_null(v->first_ms), "peak_minute",
                                                lia_json_time_or_null(v->peak_minute_ms), "peak",
                                                (json_int_t)v->peak));
    }
    char gen[LIA_TIME_STR_LEN];
    return json_pack("{s:o, s:s, s:o, s:o, s:o, s:I, s:{s:o, s:o, s:o}, s:o, s:o}", "incident",
                     lia_incident_json(in->inc), "as_of", lia_time_format(in->as_of_ms, gen),
                     "detection", detection_json(in), "timeline",
                     lia_timeline_json(in->timeline, in->ntimeline), "decisions", decisions,
                     "decisions_recorded_later", (json_int_t)later, "notes", "went_well", well,
                     "went_wrong", wrong, "other", other, "accounts", lia_sla_risk_json(in->sla),
                     "ticket_volume", volume);
}

/* A code span; inside it only the pipe needs escaping (GitHub tables), and a backtick, which
 * would end it, is written as a quote. */
static void put_code(struct lia_md *m, const char *s)
{
    lia_md_printf(m, "`");
    for (; s != NULL && *s != '\0' && !m->full; s++) {
        const char *piece = *s == '|' ? "\\|" : *s == '`' ? "'" : NULL;
        m->full = piece != NULL ? lia_buf_append_str(m->out, piece) != 0
                                : lia_buf_append(m->out, s, 1) != 0;
    }
    lia_md_printf(m, "`");
}

static void put_time(struct lia_md *m, const char *iso)
{
    lia_md_time(m, iso, true, "unknown");
}

static void put_row(struct lia_md *m, const char *label, const char *value)
{
    lia_md_printf(m, "| %s | ", label);
    lia_md_text(m, value != NULL && value[0] != '\0' ? value : "not named");
    lia_md_printf(m, " |\n");
}

static void put_list_cell(struct lia_md *m, const json_t *list, bool code)
{
    size_t i;
    const json_t *v;
    if (json_array_size(list) == 0) {
        lia_md_printf(m, "none");
    }
    json_array_foreach(list, i, v)
    {
        lia_md_printf(m, "%s", i > 0 ? ", " : "");
        if (code) {
            put_code(m, json_string_value(v));
        } else {
            lia_md_text(m, json_string_value(v));
        }
    }
}

static void put_summary(struct lia_md *m, const json_t *inc)
{
    lia_md_printf(m,
                  "# Incident %lld: ", (long long)json_integer_value(json_object_get(inc, "id")));
    lia_md_text(m, lia_json_str(inc, "title"));
    lia_md_printf(m, "\n\n| Field | Value |\n| --- | --- |\n");
    put_row(m, "Severity", lia_json_str(inc, "severity"));
    put_row(m, "Status", lia_json_str(inc, "status"));
    put_row(m, "Commander", lia_json_str(inc, "commander"));
    put_row(m, "Liaison", lia_json_str(inc, "liaison"));
    lia_md_printf(m, "| Declared | ");
    put_time(m, lia_json_str(inc, "opened"));
    lia_md_printf(m, " |\n| Closed | ");
    if (json_is_null(json_object_get(inc, "closed"))) {
        lia_md_printf(m, "not closed");
    } else {
        put_time(m, lia_json_str(inc, "closed"));
    }
    lia_md_printf(m, " |\n| Buckets | ");
    put_list_cell(m, json_object_get(inc, "buckets"), true);
    lia_md_printf(m, " |\n| Escalations | ");
    put_list_cell(m, json_object_get(inc, "escalations"), true);
    lia_md_printf(m, " |\n| Links | ");
    put_list_cell(m, json_object_get(inc, "links"), false);
    lia_md_printf(m, " |\n\n");
}

static void put_lead(struct lia_md *m, const json_t *minutes, const char *what)
{
    if (json_is_null(minutes)) {
        return;
    }
    json_int_t n = json_integer_value(minutes);
    lia_md_printf(m, "- Customer-reported lead time over %s: ", what);
    if (n > 0) {
        lia_md_printf(m, "tickets diverged %lld min earlier\n", (long long)n);
    } else if (n < 0) {
        lia_md_printf(m, "%s came %lld min before tickets diverged\n", what, (long long)-n);
    } else {
        lia_md_printf(m, "none (within the same minute)\n");
    }
}

static void put_detection(struct lia_md *m, const json_t *d)
{
    static const struct {
        const char *member, *label, *none;
    } facts[] = {
        {"first_ticket", "First ticket in the affected buckets", "none"},
        {"tickets_diverged", "Tickets diverged from baseline", "no escalation attached"},
        {"monitoring_alerted", "Monitoring alerted", "no alert covered these buckets"},
        {"declared", "Incident declared", "unknown"},
    };
    lia_md_printf(m, "## Detection\n\n");
    for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
        lia_md_printf(m, "- %s: ", facts[i].label);
        const char *t = lia_json_str(d, facts[i].member);
        if (t != NULL) {
            put_time(m, t);
        } else {
            lia_md_printf(m, "%s", facts[i].none);
        }
        lia_md_printf(m, "\n");
    }
    put_lead(m, json_object_get(d, "lead_over_monitoring_minutes"), "monitoring");
    put_lead(m, json_object_get(d, "lead_over_declaration_minutes"), "the declaration");
    lia_md_printf(m, "\n");
}

static void put_timeline(struct lia_md *m, const json_t *timeline)
{
    lia_md_printf(m, "## Timeline\n\n");
    if (json_array_size(timeline) == 0) {
        lia_md_printf(m, "Nothing recorded.\n\n");
        return;
    }
    lia_md_printf(m, "| Time | Source | Event | Who |\n| --- | --- | --- | --- |\n");
    size_t i;
    const json_t *it;
    json_array_foreach(timeline, i, it)
    {
        lia_md_printf(m, "| ");
        put_time(m, lia_json_str(it, "at"));
        lia_md_printf(m, " | %s | ", lia_json_str(it, "source"));
        if (!json_is_null(json_object_get(it, "entry"))) {
            lia_md_printf(m, "#%lld ", (long long)json_integer_value(json_object_get(it, "entry")));
        }
        lia_md_text(m, lia_json_str(it, "text"));
        if (json_is_true(json_object_get(it, "recorded_later"))) {
            lia_md_printf(m, " *(recorded later)*");
        }
        if (!json_is_null(json_object_get(it, "corrected_by"))) {
            lia_md_printf(m, " *(corrected by #%lld)*",
                          (long long)json_integer_value(json_object_get(it, "corrected_by")));
        }
        lia_md_printf(m, " | ");
        lia_md_text(m, lia_json_str(it, "who") != NULL ? lia_json_str(it, "who") : "");
        lia_md_printf(m, " |\n");
    }
    lia_md_printf(m, "\n");
}

static void put_cites(struct lia_md *m, const json_t *cites)
{
    static const char *const kinds[] = {"buckets", "escalations", "tickets"};
    bool any = false;
    for (size_t k = 0; k < 3; k++) {
        const json_t *list = json_object_get(cites, kinds[k]);
        if (json_array_size(list) == 0) {
            continue;
        }
        lia_md_printf(m, "%s%s ", any ? "; " : "  - Based on: ", kinds[k]);
        put_list_cell(m, list, k < 2);
        any = true;
    }
    if (any) {
        lia_md_printf(m, "\n");
    }
}

static void put_decisions(struct lia_md *m, const json_t *report)
{
    const json_t *decisions = json_object_get(report, "decisions");
    lia_md_printf(m, "## Decisions\n\n");
    if (json_array_size(decisions) == 0) {
        lia_md_printf(m, "None recorded.\n\n");
        return;
    }
    json_int_t later = json_integer_value(json_object_get(report, "decisions_recorded_later"));
    if (later > 0) {
        lia_md_printf(m, "%lld decision%s recorded after the fact (marked below).\n\n",
                      (long long)later, later == 1 ? " was" : "s were");
    }
    size_t i;
    const json_t *d;
    json_array_foreach(decisions, i, d)
    {
        lia_md_printf(m, "- **#%lld ", (long long)json_integer_value(json_object_get(d, "id")));
        put_time(m, lia_json_str(d, "at"));
        lia_md_printf(m, "**, %s, by ", lia_json_str(d, "channel"));
        lia_md_text(m, lia_json_str(d, "who"));
        lia_md_printf(m, ": ");
        lia_md_text(m, lia_json_str(d, "what"));
        if (json_is_true(json_object_get(d, "recorded_later"))) {
            lia_md_printf(m, " *(recorded later, at ");
            put_time(m, lia_json_str(d, "recorded_at"));
            lia_md_printf(m, ")*");
        }
        if (!json_is_null(json_object_get(d, "corrects"))) {
            lia_md_printf(m, " *(corrects #%lld)*",
                          (long long)json_integer_value(json_object_get(d, "corrects")));
        }
        if (!json_is_null(json_object_get(d, "corrected_by"))) {
            lia_md_printf(m, " *(corrected by #%lld)*",
                          (long long)json_integer_value(json_object_get(d, "corrected_by")));
        }
        lia_md_printf(m, "\n");
        if (lia_json_str(d, "why") != NULL) {
            lia_md_printf(m, "  - Why: ");
            lia_md_text(m, lia_json_str(d, "why"));
            lia_md_printf(m, "\n");
        }
        put_cites(m, json_object_get(d, "cites"));
    }
    lia_md_printf(m, "\n");
}

static void put_sla_terms(struct lia_md *m, const json_t *a)
{
    const json_t *resp = json_object_get(a, "response_sla_minutes");
    const json_t *up = json_object_get(a, "uptime_sla");
    if (json_is_null(resp)) {
        lia_md_printf(m, "none | ");
    } else {
        lia_md_printf(m, "%lld min | ", (long long)json_integer_value(resp));
    }
    if (json_is_null(up)) {
        lia_md_printf(m, "none | ");
    } else {
        lia_md_printf(m, "%g%% | ", json_number_value(up));
    }
}

static void put_accounts(struct lia_md *m, const json_t *acc)
{
    lia_md_printf(m, "## Accounts affected\n\n");
    json_int_t n = json_integer_value(json_object_get(acc, "accounts"));
    if (n == 0) {
        lia_md_printf(m, "No account with tickets in the affected buckets.\n\n");
        return;
    }
    json_int_t exceeded = json_integer_value(json_object_get(acc, "response_exceeded"));
    lia_md_printf(m,
                  "%lld account%s (%lld in premium tiers) sent %lld tickets; %lld %s affected for "
                  "longer than %s response SLA.\n\n",
                  (long long)n, n == 1 ? "" : "s",
                  (long long)json_integer_value(json_object_get(acc, "premium_accounts")),
                  (long long)json_integer_value(json_object_get(acc, "tickets")),
                  (long long)exceeded, exceeded == 1 ? "was" : "were",
                  exceeded == 1 ? "its" : "their");
    size_t i;
    const json_t *tier;
    json_array_foreach(json_object_get(acc, "tiers"), i, tier)
    {
        lia_md_printf(m, "### ");
        lia_md_text(m, lia_json_str(tier, "tier") != NULL ? lia_json_str(tier, "tier") : "No tier");
        json_int_t count = json_integer_value(json_object_get(tier, "accounts"));
        lia_md_printf(m, " (%lld account%s%s)\n\n", (long long)count, count == 1 ? "" : "s",
                      json_is_true(json_object_get(tier, "premium")) ? ", premium" : "");
        lia_md_printf(
            m, "| Account | Name | Response SLA | Uptime SLA | First ticket | Affected | Tickets "
               "|\n| --- | --- | --- | --- | --- | --- | --- |\n");
        size_t j;
        const json_t *a;
        json_array_foreach(json_object_get(tier, "list"), j, a)
        {
            lia_md_printf(m, "| ");
            lia_md_text(m, lia_json_str(a, "account_id"));
            lia_md_printf(m, " | ");
            lia_md_text(m, lia_json_str(a, "name") != NULL ? lia_json_str(a, "name") : "");
            lia_md_printf(m, " | ");
            put_sla_terms(m, a);
            put_time(m, lia_json_str(a, "first_ticket"));
            lia_md_printf(m, " | %lld min%s | %lld |\n",
                          (long long)json_integer_value(json_object_get(a, "affected_minutes")),
                          json_is_true(json_object_get(a, "response_exceeded")) ? " (past SLA)"
                                                                                : "",
                          (long long)json_integer_value(json_object_get(a, "tickets")));
        }
        lia_md_printf(m, "\n");
    }
}

static void put_volume(struct lia_md *m, const json_t *volume)
{
    lia_md_printf(m, "## Ticket volume\n\n");
    if (json_array_size(volume) == 0) {
        lia_md_printf(m, "No affected bucket.\n\n");
        return;
    }
    lia_md_printf(m, "| Bucket | Tickets | First ticket | Peak minute | Peak |\n"
                     "| --- | --- | --- | --- | --- |\n");
    size_t i;
    const json_t *v;
    json_array_foreach(volume, i, v)
    {
        lia_md_printf(m, "| ");
        put_code(m, lia_json_str(v, "bucket"));
        lia_md_printf(m, " | %lld | ",
                      (long long)json_integer_value(json_object_get(v, "tickets")));
        put_time(m, lia_json_str(v, "first_ticket"));
        lia_md_printf(m, " | ");
        put_time(m, lia_json_str(v, "peak_minute"));
        lia_md_printf(m, " | %lld |\n", (long long)json_integer_value(json_object_get(v, "peak")));
    }
    lia_md_printf(m, "\n");
}

static void put_notes(struct lia_md *m, const json_t *notes, const char *member, const char *title)
{
    const json_t *list = json_object_get(notes, member);
    lia_md_printf(m, "## %s\n\n", title);
    if (json_array_size(list) == 0) {
        lia_md_printf(m, "None recorded.\n\n");
        return;
    }
    size_t i;
    const json_t *n;
    json_array_foreach(list, i, n)
    {
        lia_md_printf(m, "- ");
        lia_md_text(m, lia_json_str(n, "text"));
        lia_md_printf(m, " (");
        lia_md_text(m, lia_json_str(n, "who"));
        lia_md_printf(m, ", #%lld)\n", (long long)json_integer_value(json_object_get(n, "id")));
    }
    lia_md_printf(m, "\n");
}

int lia_incident_report_markdown(const json_t *report, struct lia_buf *out, struct lia_err *err)
{
    struct lia_md m = {.out = out};
    const json_t *notes = json_object_get(report, "notes");
    put_summary(&m, json_object_get(report, "incident"));
    put_detection(&m, json_object_get(report, "detection"));
    put_timeline(&m, json_object_get(report, "timeline"));
    put_decisions(&m, report);
    put_accounts(&m, json_object_get(report, "accounts"));
    put_volume(&m, json_object_get(report, "ticket_volume"));
    put_notes(&m, notes, "went_well", "What went well");
    put_notes(&m, notes, "went_wrong", "What went wrong");
    if (json_array_size(json_object_get(notes, "other")) > 0) {
        put_notes(&m, notes, "other", "Other notes");
    }
    if (!m.full && json_object_get(report, "roles") != NULL) {
        m.full = lia_roles_report_markdown(json_object_get(report, "roles"), out, err) != 0;
    }
    lia_md_printf(&m, "Report as of ");
    put_time(&m, lia_json_str(report, "as_of"));
    lia_md_printf(&m, ".\n");
    if (m.full) {
        return lia_err_set(err, LIA_E_TOO_LARGE, NULL, "the report is larger than %zu bytes",
                           out->max);
    }
    return 0;
}
