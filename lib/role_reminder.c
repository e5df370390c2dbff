/* SPDX-License-Identifier: MIT */
/* Hand-off reminder events and notification bodies (see role_reminder.h). */
#include "role_reminder.h"
#include "jsonutil.h"

#include "buf.h"
#include "roles.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SUMMARY_MAX 1024

/* "Incident 7 (Checkout errors): ana has held liaison for 2h 05m, past the 2h 00m limit; hand
 * off to ben, next on the rota." */
static void summary(int64_t incident_id, const char *title, const json_t *role, struct lia_buf *b)
{
    char held[32], limit[32];
    lia_role_duration_text(json_integer_value(json_object_get(role, "held_seconds")) * 1000, held,
                           sizeof(held));
    lia_role_duration_text(json_integer_value(json_object_get(role, "limit_seconds")) * 1000, limit,
                           sizeof(limit));
    lia_buf_printf(b, "Incident %" PRId64 " (%s): %s has held %s for %s", incident_id, title,
                   lia_json_str(role, "holder"), lia_json_str(role, "role"), held);
    if (json_is_true(json_object_get(role, "relief_requested"))) {
        lia_buf_append_str(b, " and asked for relief");
    } else {
        lia_buf_printf(b, ", past the %s limit", limit);
    }
    if (lia_json_str(role, "next") != NULL) {
        lia_buf_printf(b, "; hand off to %s, next on the rota.", lia_json_str(role, "next"));
    } else {
        lia_buf_printf(b, "; %s.", lia_json_str(role, "rota_warning"));
    }
}

json_t *lia_role_reminder_event(int64_t incident_id, const char *title, const json_t *role,
                                int64_t now_ms)
{
    char at[LIA_TIME_STR_LEN];
    struct lia_buf b;
    lia_buf_init(&b, SUMMARY_MAX);
    summary(incident_id, title, role, &b);
    json_t *ev = json_pack(
        "{s:s, s:I, s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:s, s:s}", "event",
        LIA_ROLE_REMINDER_EVENT, "incident", (json_int_t)incident_id, "title", title, "role",
        json_object_get(role, "role"), "holder", json_object_get(role, "holder"), "since",
        json_object_get(role, "since"), "held_seconds", json_object_get(role, "held_seconds"),
        "limit_seconds", json_object_get(role, "limit_seconds"), "relief_requested",
        json_object_get(role, "relief_requested"), "next", json_object_get(role, "next"),
        "rota_warning", json_object_get(role, "rota_warning"), "reminder",
        json_object_get(role, "reminder"), "at", lia_time_format(now_ms, at), "summary",
        b.data != NULL ? lia_buf_str(&b) : "");
    lia_buf_fini(&b);
    return ev;
}

bool lia_role_reminder_is(const json_t *event)
{
    const char *kind = lia_json_str(event, "event");
    return kind != NULL && strcmp(kind, LIA_ROLE_REMINDER_EVENT) == 0;
}

void lia_role_reminder_key(int64_t incident_id, const char *role, char *out)
{
    snprintf(out, LIA_ROLE_REMINDER_KEY_MAX, "incident/%" PRId64 "/%s", incident_id, role);
}

static json_t *slack_body(const json_t *event)
{
    struct lia_buf b;
    lia_buf_init(&b, 4 * SUMMARY_MAX);
    lia_buf_append_str(&b, ":relieved: *Hand-off due* - ");
    lia_notify_slack_escape(&b, lia_json_str(event, "summary"));
    json_t *body =
        json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}]}", "text", lia_json_str(event, "summary"),
                  "blocks", "type", "section", "text", "type", "mrkdwn", "text", lia_buf_str(&b));
    lia_buf_fini(&b);
    return body;
}

json_t *lia_role_reminder_body(enum lia_notify_type type, const json_t *event,
                               const char *routing_key, struct lia_err *err)
{
    char key[LIA_ROLE_REMINDER_KEY_MAX];
    if (!lia_role_reminder_is(event) || lia_json_str(event, "summary") == NULL ||
        lia_json_str(event, "role") == NULL || lia_json_str(event, "at") == NULL) {
        lia_err_set(err, LIA_E_INVALID_FIELD, "event", "not a hand-off reminder");
        return NULL;
    }
    switch (type) {
    case LIA_NOTIFY_PAGERDUTY:
        lia_role_reminder_key(json_integer_value(json_object_get(event, "incident")),
                              lia_json_str(event, "role"), key);
        return json_pack("{s:s?, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:O}, s:s}", "routing_key",
                         routing_key, "event_action", "trigger", "dedup_key", key, "payload",
                         "summary", lia_json_str(event, "summary"), "severity", "info", "source",
                         "liaison", "timestamp", lia_json_str(event, "at"), "class", "role-handoff",
                         "custom_details", event, "client", "liaison");
    case LIA_NOTIFY_SLACK:
        return slack_body(event);
    case LIA_NOTIFY_WEBHOOK:
        return json_incref((json_t *)event);
    }
    lia_err_set(err, LIA_E_INVALID_FIELD, "type", "unknown target type");
    return NULL;
}
