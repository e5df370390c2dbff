/* SPDX-License-Identifier: MIT */
/* The post-incident report's section on role shifts: every hand-off and relief request, each
 * stint with stints past roles.limit flagged, the time each person spent in roles, and a line
 * recognising the people who carried the incident. Built as JSON from the incident's entries;
 * the Markdown is rendered from that JSON. Pure. */
#ifndef LIA_ROLES_REPORT_H
#define LIA_ROLES_REPORT_H

#include "buf.h"
#include "config.h"
#include "err.h"
#include "incident.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A new JSON object: {limit_seconds (roles.limit), role_limits {role: seconds} (the roles with a
 * limit of their own), shifts [{at, role, from (null for the first holder), to,
 * by, note}], relief_requests [{at, role, holder, by, note}], stints [{role, person, from, to
 * (null while held), seconds, past_limit, relief_requested}], stints_past_limit,
 * time_in_role [{person, seconds, roles [names]}] (most time first, then by name),
 * recognition (a sentence naming everyone who held a role, or null when nobody did)}. Stints
 * still held count up to end_ms (the incident's closing, or the report's time). */
json_t *lia_roles_report_json(const struct lia_inc_entry *entries, size_t n,
                              const struct lia_roles_config *roles, int64_t end_ms);

/* Appends the section ("## Role shifts") as CommonMark with GitHub tables to out; names and
 * notes are escaped so they cannot break a table or start markup. Returns 0, or -1 with err
 * (LIA_E_TOO_LARGE) when out is full. */
int lia_roles_report_markdown(const json_t *section, struct lia_buf *out, struct lia_err *err);

#endif
