/* SPDX-License-Identifier: MIT */
/* Hand-off reminders as notifications: the event a due hand-off produces (who holds which role
 * of which incident, for how long, and who is next on the rota), its one-line summary, and the
 * body made for each notification target type (PagerDuty Events API v2, Slack incoming webhook,
 * the event itself for a signed generic webhook). lib/notify.c builds the request around the
 * body; daemon/role_reminders.c decides when one is due. Pure. */
#ifndef LIA_ROLE_REMINDER_H
#define LIA_ROLE_REMINDER_H

#include "err.h"
#include "notify.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The event's "event" member, and X-Liaison-Event of a webhook delivery. */
#define LIA_ROLE_REMINDER_EVENT   "role-reminder"
#define LIA_ROLE_REMINDER_KEY_MAX 96

/* A new event for role (an object of lia_roles_json's array, which must be due) of incident
 * incident_id titled title, at now_ms: {event "role-reminder", incident, title, role, holder,
 * since, held_seconds, limit_seconds, relief_requested, next (or null), rota_warning (or null),
 * reminder (its number, 0 for the first), at, summary}. */
json_t *lia_role_reminder_event(int64_t incident_id, const char *title, const json_t *role,
                                int64_t now_ms);

/* True when event is one of lia_role_reminder_event's. */
bool lia_role_reminder_is(const json_t *event);

/* What identifies the reminders of one role of one incident to a target: "incident/7/liaison"
 * into out (LIA_ROLE_REMINDER_KEY_MAX bytes). Also PagerDuty's dedup_key, so the repeats of a
 * reminder update one alert. */
void lia_role_reminder_key(int64_t incident_id, const char *role, char *out);

/* The body a target of type gets for event: for pagerduty a trigger of severity "info", class
 * "role-handoff", with the summary and the event as custom_details; for slack {text, blocks}
 * with names and titles escaped; for webhook the event itself. Returns a new value, or NULL
 * with err (LIA_E_INVALID_FIELD) when event is not a reminder. */
json_t *lia_role_reminder_body(enum lia_notify_type type, const json_t *event,
                               const char *routing_key, struct lia_err *err);

#endif
